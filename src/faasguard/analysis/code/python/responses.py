"""What a handler hands back to its caller, and the authorization decisions it takes from the request.

Three records for the handler rules of issue 15, kept out of the statement interpreter so each stays one
readable table-driven check:

* `response`: the value an entry point returns is a "response" sink (a fetched secret reaching it is leaked
  to the caller); when it is shaped as an HTTP response (a `statusCode` dict from a function that does not
  read an event batch `event["Records"]`, or a web route's return) it is an "http-response" sink as well (an
  unexpected exception's text reaching it is shown to the caller); and when the response is HTML (a
  `text/html` Content-Type, or a web route returning markup), its body is an "html" sink for unescaped caller
  data.
  A `Location` header (also in `multiValueHeaders`) is a "redirect" sink: where the browser is sent.
* `exception_value`: the value bound by `except <broad type> as e` is an "exception" source; a narrow type the
  application raises itself (`ValueError`) is not.
* `client_authz`: an `if` that grants a privilege on a request field the caller writes (`body["isAdmin"]`,
  `headers["x-user-role"] == "admin"`) is a "client-authz" issue. Fields API Gateway fills after
  authenticating the caller (authorizer context, verified claims) are not.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from faasguard.analysis.code.core.values import CLEAN, Taint, Val
from faasguard.analysis.code.python.models import (
    AUTHZ_FLAGS,
    AUTHZ_ROLE_FIELDS,
    BROAD_EXCEPTIONS,
    CLIENT_REQUEST_PARTS,
    HTML_TAG,
    PRIVILEGED_VALUES,
    TRUSTED_REQUEST_PARTS,
)
from faasguard.analysis.code.python.syntax import field_key, unparse

if TYPE_CHECKING:
    from faasguard.analysis.code.python.state import FunctionState


def response(fa: FunctionState, value: Val, node: ast.expr, route: bool) -> None:
    """The entry point returns `value` to its caller."""
    fa.hit("response", "the response returned to the caller", node, value)
    if route or (value.field_val("statusCode") is not None and not fa.batch_event):
        fa.hit("http-response", "the HTTP response returned to the caller", node, value)
    body = value.field_val("body")
    headers = value.field_val("headers")
    content_header = _header_value(headers, "content-type")
    content_type = content_header.const if content_header is not None else None
    if content_type is not None and "html" in content_type.lower():
        fa.hit("html", "the HTML response body", node, body if body is not None else value)
    elif route and value.kind != "dict" and HTML_TAG.search(value.text or value.const or ""):
        fa.hit("html", "the HTML the route returns", node, value)
    for group in ("headers", "multiValueHeaders"):
        location = _header_value(value.field_val(group), "location")
        if location is not None:
            fa.hit("redirect", "the Location header of the response", node, location)


def _header_value(headers: Val | None, name: str) -> Val | None:
    for key, header in (headers.fields or ()) if headers is not None else ():
        if key.lower() == name:
            return header
    return None


def exception_value(fa: FunctionState, handler: ast.ExceptHandler) -> Val:
    """The value bound to `except ... as name`."""
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    broad = any(t is None or unparse(t).rsplit(".", 1)[-1] in BROAD_EXCEPTIONS for t in types)
    if not broad or handler.name is None:
        return CLEAN
    shown = unparse(handler.type, 40) if handler.type is not None else "any exception"
    return Val(taints=(Taint("exception", f"{handler.name} ({shown})", fa.loc(handler), whole=True, structured=False),))


def client_authz(fa: FunctionState, test: ast.expr) -> None:
    """An `if` test that grants a privilege on a field the caller writes."""
    for field, key in _decisions(test):
        root = _root(field)
        value = fa.env.get(root.id) if root is not None else None
        if value is None or not any(t.kind == "event" for t in value.taints):
            continue
        chain = unparse(field, 80)
        sources = " ".join([chain, *(t.source for t in value.taints if t.kind == "event")])
        if TRUSTED_REQUEST_PARTS.search(sources) or not CLIENT_REQUEST_PARTS.search(sources):
            continue
        fa.issue(
            "client-authz",
            f"access is decided by {chain} ({key!r}), a request field the caller sets; take roles and "
            "ownership from the authorizer's verified identity instead",
            field,
        )
        return


def _decisions(test: ast.expr) -> list[tuple[ast.expr, str]]:
    """(field read, key) pairs the test grants on: a privilege flag tested for truth, or a role-like field
    compared with (or containing) a privileged value."""
    out: list[tuple[ast.expr, str]] = []
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BoolOp):
            stack.extend(node.values)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            stack.append(node.operand)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.Is | ast.IsNot) and _privileged(right):
                key = field_key(left)
                if key is not None and AUTHZ_ROLE_FIELDS.match(key):
                    out.append((left, key))
            elif isinstance(node.ops[0], ast.In | ast.NotIn) and _privileged(left):
                key = field_key(right)
                if key is not None and AUTHZ_ROLE_FIELDS.match(key):
                    out.append((right, key))
        else:
            key = field_key(node)
            if key is not None and AUTHZ_FLAGS.match(key):
                out.append((node, key))
    return out


def _privileged(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is True or (isinstance(node.value, str) and node.value.lower() in PRIVILEGED_VALUES)
    return False


def _root(node: ast.expr) -> ast.Name | None:
    while True:
        if isinstance(node, ast.Name):
            return node
        if isinstance(node, ast.Subscript | ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return None
