"""Hard-coded secrets: secret literals in handler source (issue kind "hardcoded-secret").

Two signals, both required to be specific: a string literal of a known credential shape (AWS access key id,
Stripe/GitHub/Slack/Google keys, private-key blocks, credentials inside a connection URL), or a literal bound to
a name whose *last word* says it holds a secret (`DB_PASSWORD`, `api_key`, `client_secret`; not `SECRET_NAME`,
`TOKEN_URL`, `password_field`). Placeholders, environment-variable names and template references are not
secrets.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterator

from faasguard.analysis.code.facts import CodeIssue
from faasguard.model import Location

_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    ("a Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}")),
    ("a GitHub token", re.compile(r"\b(ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{40,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("a SendGrid key", re.compile(r"\bSG\.[0-9A-Za-z_\-]{20,}\.[0-9A-Za-z_\-]{20,}")),
    ("credentials in a connection URL", re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]+:([^@/\s{}$<>]{3,})@[^\s]+$")),
)
_SECRET_NAME = re.compile(
    r"(?:^|_)(password|passwd|pwd|pass|secret|token|api_?key|apikey|private_?key|secret_?key|access_?key|"
    r"auth_?token|client_?secret|signing_?key|credentials?)$",
    re.IGNORECASE,
)
_NOT_SECRET_NAME = re.compile(
    r"(name|arn|id|url|uri|path|param|parameter|header|field|env|var|key_id|type|"
    r"length|len|prefix|endpoint|file|region)$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"^(|x+|\*+|\.+|-+|changeme|change_me|password|secret|token|none|null|todo|tbd|dummy|example|test|"
    r"your[-_ ].*|<.*>|\$\{.*\}|\{\{.*\}\}|%\(.*\)s|replace.*|insert.*|\{.*\}|fake.*|sample.*)$",
    re.IGNORECASE,
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_WORDISH = re.compile(r"\s")


def is_secret_name(name: str) -> bool:
    """Whether a variable, keyword or environment-variable name says it holds a secret (`DB_PASSWORD`,
    `api_key`; not `SECRET_NAME`, `TOKEN_URL`)."""
    return _SECRET_NAME.search(name) is not None and _NOT_SECRET_NAME.search(name) is None


def _name_of(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
    ):
        return target.slice.value
    return None


def looks_secret_value(value: str) -> bool:
    """Not a placeholder, an environment-variable name, a path, an ARN or a plain word."""
    return _looks_secret_value(value)


def _looks_secret_value(value: str) -> bool:
    if len(value) < 6 or _PLACEHOLDER.match(value) or _ENV_NAME.match(value) or _WORDISH.search(value):
        return False
    if value.startswith(("arn:", "/", "http://", "https://", "s3://", "{{resolve:", "${")):
        return False
    return not (value.isalpha() and value.islower() and len(value) < 12)


def _shape(value: str) -> str | None:
    for label, pattern in _SHAPES:
        match = pattern.search(value)
        if match:
            if label.startswith("credentials") and _PLACEHOLDER.match(match.group(1) or ""):
                continue
            return label
    return None


_SKIP_FIELDS = frozenset({"ctx", "op", "ops"})
"""Fields that hold only operator / expression-context singletons: nothing a secret can hide in."""

_child_fields: dict[type, tuple[str, ...]] = {}


def _fields_of(cls: type) -> tuple[str, ...]:
    fields = _child_fields.get(cls)
    if fields is None:
        names: tuple[str, ...] = getattr(cls, "_fields", ())
        fields = () if cls is ast.Constant else tuple(f for f in names if f not in _SKIP_FIELDS)
        _child_fields[cls] = fields
    return fields


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk` (the same breadth-first order) without its two generator layers per node, and without
    descending into operator and context singletons (never a literal, an assignment or a call keyword)."""
    todo: deque[ast.AST] = deque([tree])
    pop, push, extend = todo.popleft, todo.append, todo.extend
    AST = ast.AST  # noqa: N806 - a local for speed on the hot path
    while todo:
        node = pop()
        for name in _fields_of(type(node)):
            value = getattr(node, name, None)
            if isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                extend(item for item in value if isinstance(item, AST))
        yield node


def hardcoded_secrets(tree: ast.Module, display: str) -> Iterator[CodeIssue]:
    """Every hard-coded secret in a module, one per literal.

    One walk over the tree: name-bound literals are judged as their binding node is reached; every other
    string literal is remembered and judged by its shape afterwards (so a literal that is both named and
    shaped is reported once, with its name, as before). Its complexity (a case per binding form) is the price
    of walking each module once."""
    seen: set[int] = set()
    literals: list[tuple[ast.Constant, str]] = []

    def issue(node: ast.expr, what: str) -> CodeIssue:
        return CodeIssue(
            "hardcoded-secret",
            f"{what} is hard-coded in the source; load it from Secrets Manager or SSM at init instead",
            Location(display, node.lineno, node.col_offset + 1),
        )

    for node in _walk(tree):
        pairs: list[tuple[str | None, ast.expr]]
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                literals.append((node, node.value))
            continue
        if isinstance(node, ast.Assign):
            pairs = [(_name_of(t), node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(_name_of(node.target), node.value)]
        elif isinstance(node, ast.keyword) and node.arg is not None:
            pairs = [(node.arg, node.value)]
        elif isinstance(node, ast.Dict):
            pairs = [
                (k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None, v)
                for k, v in zip(node.keys, node.values, strict=False)
            ]
        elif (
            isinstance(node, ast.Compare) and len(node.comparators) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq)
        ):
            pairs = [(_name_of(node.left), node.comparators[0])]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defaults = node.args.defaults
            positional = node.args.args[len(node.args.args) - len(defaults) :]
            pairs = [(a.arg, d) for a, d in zip(positional, defaults, strict=False)]
        else:
            continue
        for name, value in pairs:
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)) or id(value) in seen:
                continue
            literal = value.value
            shape = _shape(literal)
            if shape is not None:
                seen.add(id(value))
                yield issue(value, f"{shape} ({name or 'literal'})")
                continue
            if (
                name
                and _SECRET_NAME.search(name)
                and not _NOT_SECRET_NAME.search(name)
                and _looks_secret_value(literal)
            ):
                seen.add(id(value))
                yield issue(value, f"a secret value assigned to `{name}`")
    for node, text in literals:
        if id(node) not in seen and len(text) < 5000:
            shape = _shape(text)
            if shape is not None:
                seen.add(id(node))
                yield issue(node, shape)
