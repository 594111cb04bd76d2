"""JWT decoding in JavaScript/TypeScript handlers: the calls that hand the code a token's claims unverified.

Three shapes, each a row of `DECODERS`: a decoder that never verifies (`jsonwebtoken.decode`, `jwt-decode`,
jose's `decodeJwt`); `jsonwebtoken.verify` told to skip the expiry or to accept the `none` algorithm; and a
plain base64 decoder given the token's middle segment (`Buffer.from(token.split(".")[1], "base64")`,
`jose.util.base64url.decode(parts[1])` where `parts = token.split(".")`). The last needs that exact argument
shape: base64-decoding anything else is ordinary data handling, not token parsing, and is not reported.

Judged from the syntax of the call and its arguments, so a decoder reached through a wrapper of the
application's own is not seen (a miss, never a guess).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Node = Any

DECODERS: dict[str, str] = {
    "jsonwebtoken.decode": "unverified",
    "jwt-decode": "unverified",
    "jwt-decode.default": "unverified",
    "jwt-decode.jwtDecode": "unverified",
    "jose.decodeJwt": "unverified",
    "jsonwebtoken.verify": "options",
    "Buffer.from": "manual",
    "atob": "manual",
    "base64url": "manual",
    "base64url.decode": "manual",
    "node-jose.util.base64url.decode": "manual",
    "jose.base64url.decode": "manual",
    "js-base64.decode": "manual",
    "js-base64.Base64.decode": "manual",
}
"""Module-qualified callee → how it treats the token: "unverified" (reads claims only), "options" (verifies
unless its options object turns a check off), "manual" (a base64 decoder: reported only for the payload)."""

VERIFIERS = frozenset({"jsonwebtoken.verify"})
"""Decoder rows that verify: once one has accepted a token, a later `decode` of the same token in the same
handler reads claims that were checked (`verify` first for the signature, `decode` for the payload)."""

SIGNERS = frozenset({"jsonwebtoken.sign", "jsonwebtoken.verify"})
"""Calls whose second argument is the HMAC secret (or key) the tokens are signed or checked with."""

_PADDING_METHODS = frozenset({"replace", "replaceAll", "padEnd", "toString"})
_VERIFIERS = frozenset({"verify", "jwtVerify"})
_SCOPES = frozenset({"arrow_function", "function_expression", "function", "function_declaration",
                     "method_definition", "program"})

Text = Callable[[Node], str]


def unverified_decode(qual: str, call: Node, arg_nodes: list[Node], text: Text) -> str | None:
    """What the call does wrong, in words, or None when it is not an unverified decode."""
    mode = DECODERS.get(qual)
    if mode is None:
        return None
    if mode == "unverified":
        if qual == "jsonwebtoken.decode" and (_reads_header_to_verify(call, arg_nodes, text)
                                              or _verified_beside(call, arg_nodes, text)):
            return None
        return f"{qual}() reads the claims without verifying the token"
    if mode == "options":
        options = arg_nodes[2] if len(arg_nodes) > 2 else None
        disabled = _disabled_checks(options, text) if options is not None else []
        if not disabled:
            return None
        return f"{qual}() with {', '.join(disabled)} accepts a forged or expired token"
    if arg_nodes and _is_payload(arg_nodes[0], text):
        return f"the token's payload is base64-decoded by hand ({_short(text(arg_nodes[0]))})"
    return None


def literal_key(node: Node, text: Text) -> str | None:
    """The key argument's text, shortened, when it is a non-empty string literal (a template with nothing
    substituted counts); None for anything computed, and for `<...>` / `${...}` placeholders."""
    if node.type == "template_string" and any(c.type == "template_substitution" for c in node.children):
        return None
    if node.type not in ("string", "template_string"):
        return None
    value = text(node)[1:-1]
    if not value or (value.startswith("<") and value.endswith(">")) or value.startswith(("${", "{{")):
        return None
    return _short(text(node))


def _reads_header_to_verify(call: Node, arg_nodes: list[Node], text: Text) -> bool:
    """`jwt.decode(token, {complete: true})` in a function that also calls `verify`: the JWKS flow, which reads
    the header's `kid` to pick the key the token is then verified with."""
    options = arg_nodes[1] if len(arg_nodes) > 1 else None
    if options is None or options.type != "object" or not any(
            p.type == "pair" and text(p.child_by_field_name("key")).strip("'\"`") == "complete"
            and p.child_by_field_name("value").type == "true" for p in options.named_children):
        return False
    scope = _scope_of(call)
    return scope is not None and any(
        n.type == "call_expression" and _callee_name(n, text) in _VERIFIERS for n in _walk(scope))


def _verified_beside(call: Node, arg_nodes: list[Node], text: Text) -> bool:
    """The same token expression is also given to a `verify` call in the function around the decode (before or
    after it): the claims are read from a token whose signature is checked on the same path."""
    if not arg_nodes:
        return False
    token = text(arg_nodes[0])
    scope = _scope_of(call)
    if scope is None:
        return False
    for node in _walk(scope):
        if node is call or node.type != "call_expression" or _callee_name(node, text) not in _VERIFIERS:
            continue
        args = node.child_by_field_name("arguments")
        first = next((a for a in args.named_children if a.type != "comment"), None) if args is not None else None
        if first is not None and text(first) == token:
            return True
    return False


def _callee_name(call: Node, text: Text) -> str:
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "member_expression":
        fn = fn.child_by_field_name("property")
    return text(fn) if fn is not None else ""


def _scope_of(node: Node) -> Node | None:
    scope = node.parent
    while scope is not None and scope.type not in _SCOPES:
        scope = scope.parent
    return scope


def _walk(scope: Node) -> list[Node]:
    """The nodes of one function body, not descending into the functions nested in it."""
    out: list[Node] = []
    stack = [scope]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(c for c in node.named_children if c.type not in _SCOPES)
    return out


def _disabled_checks(options: Node, text: Text) -> list[str]:
    """`{ignoreExpiration: true}` and `{algorithms: [..., "none"]}` in a literal options object."""
    if options.type != "object":
        return []
    found: list[str] = []
    for pair in options.named_children:
        if pair.type != "pair":
            continue
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is None or value is None:
            continue
        name = text(key).strip("'\"`")
        if name == "ignoreExpiration" and value.type == "true":
            found.append("ignoreExpiration: true")
        elif name == "algorithms" and value.type == "array" and any(
                c.type == "string" and text(c).strip("'\"`").lower() == "none" for c in value.named_children):
            found.append('algorithms: ["none"]')
    return found


def _is_payload(node: Node, text: Text) -> bool:
    """`X.split(".")[1]`, or `parts[1]` with `parts` bound to `X.split(".")` in the enclosing function; padding
    (`+ "=="`) and alphabet fixes (`.replace(/-/g, "+")`) around it keep the shape."""
    node = _unwrap(node, text)
    if node.type != "subscript_expression":
        return False
    index = node.child_by_field_name("index")
    if index is None or text(index) != "1":
        return False
    target = node.child_by_field_name("object")
    if target is None:
        return False
    if target.type == "identifier":
        return _bound_to_split(target, text)
    return _is_dot_split(target, text)


def _unwrap(node: Node, text: Text) -> Node:
    while True:
        if node.type == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        elif node.type == "binary_expression" and node.child_by_field_name("left") is not None:
            node = node.child_by_field_name("left")
        elif node.type == "call_expression":
            fn = node.child_by_field_name("function")
            prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
            if prop is None or text(prop) not in _PADDING_METHODS:
                return node
            node = fn.child_by_field_name("object")
        else:
            return node


def _is_dot_split(node: Node, text: Text) -> bool:
    if node.type != "call_expression":
        return False
    fn = node.child_by_field_name("function")
    if fn is None or fn.type != "member_expression":
        return False
    prop = fn.child_by_field_name("property")
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    return prop is not None and text(prop) == "split" and first is not None and first.type == "string" \
        and text(first)[1:-1] == "."


def _bound_to_split(name: Node, text: Text) -> bool:
    """Is `name` declared or assigned `X.split(".")` in the function around the use?"""
    scope = _scope_of(name)
    if scope is None:
        return False
    wanted = text(name)
    for node in _walk(scope):
        if node.type == "variable_declarator":
            left, right = node.child_by_field_name("name"), node.child_by_field_name("value")
        elif node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        else:
            continue
        if left is not None and right is not None and text(left) == wanted and _is_dot_split(right, text):
            return True
    return False


def _short(source: str) -> str:
    return source if len(source) <= 50 else source[:47] + "..."
