"""Hard-coded secrets: secret literals in handler source (issue kind "hardcoded-secret").

Two signals, both required to be specific: a string literal of a known credential shape (AWS access key id,
Stripe/GitHub/Slack/Google keys, Slack webhook URLs, private-key blocks, credentials inside a connection URL),
or a literal bound to a name whose *last word* says it holds a secret (`DB_PASSWORD`, `api_key`,
`client_secret`; not `SECRET_NAME`, `TOKEN_URL`, `password_field`). Placeholders, environment-variable names
and template references are not secrets.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import Any

from faasguard._lazy_re import LazyPattern
from faasguard.analysis.code.facts import CodeIssue
from faasguard.analysis.code.python.syntax import field_key
from faasguard.model import Location

_SHAPES: tuple[tuple[str, LazyPattern], ...] = (
    ("an AWS access key id", LazyPattern(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", LazyPattern(r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    ("a Stripe live key", LazyPattern(r"\b[sr]k_live_[0-9A-Za-z]{16,}")),
    ("a GitHub token", LazyPattern(r"\b(ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{40,}")),
    ("a Slack token", LazyPattern(r"\bxox[abprs]-[0-9A-Za-z-]{10,}")),
    ("a Google API key", LazyPattern(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("a SendGrid key", LazyPattern(r"\bSG\.[0-9A-Za-z_\-]{20,}\.[0-9A-Za-z_\-]{20,}")),
    (
        "a Slack webhook URL",  # the last part is the secret; "XXXX" placeholders have no digit and no lowercase
        LazyPattern(r"\bhooks\.slack\.com/(?:services|workflows|triggers)/T[0-9A-Z]{6,}/[0-9A-Za-z]{6,}/"
                    r"(?=[0-9A-Za-z]*[0-9])(?=[0-9A-Za-z]*[a-z])[0-9A-Za-z]{20,}"),
    ),
    ("credentials in a connection URL", LazyPattern(r"^[a-z][a-z0-9+.-]*://[^:/@\s]+:([^@/\s{}$<>]{3,})@[^\s]+$")),
)
_SECRET_NAME = re.compile(
    r"(?:^|[_-])(password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|private[_-]?key|secret[_-]?key|"
    r"access[_-]?key|auth[_-]?token|client[_-]?secret|signing[_-]?key|credentials?)$",
    re.IGNORECASE,
)
"""Snake case and header spelling alike (`api_key`, `x-api-key`)."""
_NOT_SECRET_NAME = re.compile(
    r"(name|arn|id|url|uri|path|param|parameter|header|field|env|var|key_id|type|"
    r"length|len|prefix|endpoint|file|region)$",
    re.IGNORECASE,
)
_PLACEHOLDER = LazyPattern(
    r"^(|x+|\*+|\.+|-+|changeme|change_me|password|secret|token|none|null|todo|tbd|dummy|example|test|"
    r"your[-_ ].*|<.*>|\$\{.*\}|\{\{.*\}\}|%\(.*\)s|replace.*|insert.*|\{.*\}|fake.*|sample.*)$",
    re.IGNORECASE,
)
_ENV_NAME = LazyPattern(r"^[A-Z][A-Z0-9_]*$")
_WORDISH = LazyPattern(r"\s")


def is_secret_name(name: str) -> bool:
    """Whether a variable, keyword or environment-variable name says it holds a secret (`DB_PASSWORD`,
    `api_key`; not `SECRET_NAME`, `TOKEN_URL`)."""
    return _SECRET_NAME.search(name) is not None and _NOT_SECRET_NAME.search(name) is None


def _name_of(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    # `headers.get("x-api-key") == "..."`, `config["api_key"] = "..."`: the field's key names it
    return field_key(target)


def looks_secret_value(value: str) -> bool:
    """Not a placeholder, an environment-variable name, a path, an ARN or a plain word."""
    return _looks_secret_value(value)


def _looks_secret_value(value: str) -> bool:
    if len(value) < 6 or _PLACEHOLDER.match(value) or _ENV_NAME.match(value) or _WORDISH.search(value):
        return False
    if value.startswith(("arn:", "/", "http://", "https://", "s3://", "{{resolve:", "${")):
        return False
    return not (value.isalpha() and value.islower() and len(value) < 12)


_ANCHORS = re.compile(r"A[KS]IA|PRIVATE KEY|k_live_|gh[pousr]_|github_pat_|xox|AIza|SG\.|://|hooks\.slack")
"""Text every match of one of `_SHAPES` contains (keep the two in step): one search of plain alternatives
rules out the common literal (a key, a message, a format) that the patterns would each scan."""


CONNECTION_PASSWORD_KEYS = frozenset({"password", "passwd", "pwd"})
"""How a database client's connection settings name the password (Python keywords, JavaScript fields)."""


def connection_password(value: str) -> bool:
    """Whether a literal given as a database client's password is one: anything but a placeholder, an
    environment-variable name or a template. At that place even a plain word (`"dvsxamarin"`, `"root"`) is
    the credential, so the "a lower-case word is just a word" exemption of `looks_secret_value` does not
    apply; callers report only what that general check leaves out, which the module-wide scan reports."""
    text = value.strip()
    return (len(text) >= 4 and not _PLACEHOLDER.match(text) and not _ENV_NAME.match(text)
            and not text.startswith(("${", "{{", "<")) and not _WORDISH.search(text)
            and not _looks_secret_value(text))


def secret_shape(value: str) -> str | None:
    """The kind of credential a literal's text has the shape of ("an AWS access key"...), or None: a literal
    of such a shape is reported wherever it is written, by the module-wide scan."""
    return _shape(value)


def _shape(value: str) -> str | None:
    if _ANCHORS.search(value) is None:
        return None
    for label, pattern in _SHAPES:
        match = pattern.search(value)
        if match:
            if label.startswith("credentials") and _PLACEHOLDER.match(match.group(1) or ""):
                continue
            return label
    return None


_SCALAR_FIELDS = frozenset({"ctx", "op", "ops", "id", "name", "attr", "arg", "asname", "module", "level", "kind",
                            "conversion", "is_async", "type_comment", "tag", "lineno"})
"""Fields that never hold a node a secret can hide in: identifiers, numbers, operator and expression-context
singletons. (A field of this name holds one of those in every node class that has it.)"""

_walk_specs: dict[type, tuple[tuple[str, ...], bool]] = {}
"""Per class: the fields that may hold child nodes, and whether the secrets check looks at the node itself (a
literal or a binding node). What is not a node (an identifier in a list of names, a pattern's singleton) has
neither."""


def _walk_spec(cls: type) -> tuple[tuple[str, ...], bool]:
    if cls not in _walk_specs:
        if not issubclass(cls, ast.AST):
            _walk_specs[cls] = ((), False)
        elif cls is ast.Constant or cls is ast.Global or cls is ast.Nonlocal:  # a literal; names, not nodes
            _walk_specs[cls] = ((), cls is ast.Constant)
        else:
            _walk_specs[cls] = (tuple(f for f in cls._fields if f not in _SCALAR_FIELDS), cls in _BINDERS)
    return _walk_specs[cls]


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """The literals and binding nodes of `tree` in `ast.walk`'s breadth-first order, from one pass: a list
    that grows while it is read is the queue, so a node costs an append and a lookup, no generator frames
    (the walk runs over every module a handler loads)."""
    queue: list[object] = [tree]
    append, extend = queue.append, queue.extend
    specs = _walk_specs
    out: list[ast.AST] = []
    keep = out.append
    for node in queue:
        cls = type(node)
        fields, kept = specs[cls] if cls in specs else _walk_spec(cls)
        if kept:
            keep(node)  # type: ignore[arg-type]  # only nodes are kept
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                extend(value)
            elif value is not None:
                append(value)
    return out


Pairs = list[tuple[str | None, ast.expr]]
"""(name it is bound to, value) for each value a binding node binds."""


def _assign_pairs(node: ast.Assign) -> Pairs:
    return [(_name_of(t), node.value) for t in node.targets]


def _annassign_pairs(node: ast.AnnAssign) -> Pairs:
    return [(_name_of(node.target), node.value)] if node.value is not None else []


def _keyword_pairs(node: ast.keyword) -> Pairs:
    return [(node.arg, node.value)] if node.arg is not None else []


def _dict_pairs(node: ast.Dict) -> Pairs:
    return [
        (k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None, v)
        for k, v in zip(node.keys, node.values, strict=False)
    ]


def _compare_pairs(node: ast.Compare) -> Pairs:
    if len(node.comparators) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return [(_name_of(node.left), node.comparators[0])]
    return []


def _default_pairs(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Pairs:
    defaults = node.args.defaults
    positional = node.args.args[len(node.args.args) - len(defaults) :]
    return [(a.arg, d) for a, d in zip(positional, defaults, strict=False)]


_DEFAULTING = frozenset({"get", "getenv", "setdefault"})


def _call_pairs(node: ast.Call) -> Pairs:
    """`os.environ.get("DB_PASSWORD", "Winter2024!")`, `os.getenv(...)`, `settings.get("api_key", "...")`: the
    fallback literal is what runs wherever the variable is unset, so it is bound to that name."""
    func = node.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if method not in _DEFAULTING or not node.args:
        return []
    key = node.args[0]
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return []
    default = node.args[1] if len(node.args) > 1 else next(
        (k.value for k in node.keywords if k.arg in ("default", "failobj")), None)
    return [(key.value, default)] if default is not None else []


_BINDERS: dict[type, Callable[[Any], Pairs]] = {
    ast.Assign: _assign_pairs,
    ast.AnnAssign: _annassign_pairs,
    ast.keyword: _keyword_pairs,
    ast.Dict: _dict_pairs,
    ast.Compare: _compare_pairs,
    ast.Call: _call_pairs,
    ast.FunctionDef: _default_pairs,
    ast.AsyncFunctionDef: _default_pairs,
}
"""The nodes that bind a value to a name (assignment, keyword argument, dict entry, comparison, default, the
fallback of a `get`), by
class: one lookup per node of the walk instead of a chain of isinstance checks."""


def hardcoded_secrets(tree: ast.Module, display: str) -> Iterator[CodeIssue]:
    """Every hard-coded secret in a module, one per literal.

    One walk over the tree: name-bound literals are judged as their binding node is reached; every other
    string literal is remembered and judged by its shape afterwards (so a literal that is both named and
    shaped is reported once, with its name, as before)."""
    seen: set[int] = set()
    literals: list[tuple[ast.Constant, str]] = []

    def issue(node: ast.expr, what: str) -> CodeIssue:
        return CodeIssue(
            "hardcoded-secret",
            f"{what} is hard-coded in the source; load it from Secrets Manager or SSM at init instead",
            Location(display, node.lineno, node.col_offset + 1),
        )

    constant, binders = ast.Constant, _BINDERS
    for node in _nodes(tree):
        cls = type(node)
        if cls is constant:
            if isinstance(node.value, str):  # type: ignore[attr-defined]  # a Constant
                literals.append((node, node.value))  # type: ignore[arg-type, attr-defined]
            continue
        binder = binders.get(cls)
        if binder is None:
            continue
        for name, value in binder(node):
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
