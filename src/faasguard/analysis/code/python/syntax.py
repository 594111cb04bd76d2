"""Small readers of Python syntax shared by the Python front end: source text of a node, literal strings,
whether a block always leaves, names in an expression."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

TEXT_ATTR = "_faasguard_text"
"""Attribute under which a node keeps its normalised source text: `ast.unparse` is pure Python and the same
nodes are described again for every handler and summary that reaches them (trees are never modified)."""


def unparse(node: ast.AST, limit: int = 90) -> str:
    text: str | None = node.__dict__.get(TEXT_ATTR)
    if text is None:
        text = _simple(node, 0)
        if text is None:
            try:
                text = ast.unparse(node)
            except Exception:  # very deep or odd nodes: a description only
                return type(node).__name__
        text = " ".join(text.split())
        setattr(node, TEXT_ATTR, text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_SIMPLE_DEPTH = 12


def _simple(node: ast.AST, depth: int) -> str | None:
    """What `ast.unparse` writes for the access chains most descriptions are made of (`event`, `os.environ`,
    `event['body']['id']`, `table.get_item(Key=key)`), built directly: `ast.unparse` is pure Python with a
    visitor and precedence bookkeeping per node. None for anything else (the caller then asks `ast.unparse`);
    tests/code check the two agree on every such node of real code."""
    cls = type(node)
    if cls is ast.Name:
        return node.id  # type: ignore[attr-defined, no-any-return]
    if depth > _SIMPLE_DEPTH:
        return None
    if cls is ast.Constant:
        value = node.value  # type: ignore[attr-defined]
        if type(value) in _REPR_CONSTANTS or (type(value) is str and node.kind is None):  # type: ignore[attr-defined]
            return repr(value)  # (u'...' keeps its prefix)
        return None
    if cls is ast.Attribute:
        base = node.value  # type: ignore[attr-defined]
        inner = _simple(base, depth + 1) if type(base) in _CHAINS else None
        return None if inner is None else f"{inner}.{node.attr}"  # type: ignore[attr-defined]
    if cls is ast.Subscript:
        base, key = node.value, node.slice  # type: ignore[attr-defined]
        if type(base) not in _CHAINS or type(key) not in _KEYS:
            return None
        inner, index = _simple(base, depth + 1), _simple(key, depth + 1)
        return None if inner is None or index is None else f"{inner}[{index}]"
    if cls is ast.Call:
        return _simple_call(node, depth)  # type: ignore[arg-type]
    if cls is ast.BoolOp:
        return _simple_boolop(node, depth)  # type: ignore[arg-type]
    return None


def _simple_call(node: ast.Call, depth: int) -> str | None:
    if type(node.func) not in _CHAINS:
        return None
    parts = [_simple(node.func, depth + 1)]
    parts.extend(_simple(a, depth + 1) if type(a) in _ARGS else None for a in node.args)
    parts.extend(f"{kw.arg}={_simple(kw.value, depth + 1)}" if kw.arg is not None and type(kw.value) in _ARGS
                 and _simple(kw.value, depth + 1) is not None else None for kw in node.keywords)
    if any(part is None for part in parts):
        return None
    return f"{parts[0]}({', '.join(parts[1:])})"  # type: ignore[arg-type]


def _simple_boolop(node: ast.BoolOp, depth: int) -> str | None:
    """`event.get("body") or "{}"`: operands that are atoms need no parentheses at any precedence; where the
    whole needs them (the base of a chain, a subscript key) it is not taken as simple."""
    parts = [_simple(v, depth + 1) if type(v) in _OPERANDS else None for v in node.values]
    if any(part is None for part in parts):
        return None
    return (" and " if type(node.op) is ast.And else " or ").join(parts)  # type: ignore[arg-type]


_REPR_CONSTANTS = frozenset({int, bool, type(None)})
"""Constants `ast.unparse` writes as their `repr` (floats are not: it spells infinity its own way)."""
_CHAINS = frozenset({ast.Name, ast.Attribute, ast.Subscript, ast.Call})
"""Nodes written without parentheses as the base of `.attr`, `[key]` or `(...)`."""
_KEYS = frozenset({ast.Name, ast.Constant, ast.Attribute, ast.Subscript})
_OPERANDS = frozenset({ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Call})
"""Atoms: written without parentheses wherever they stand."""
_ARGS = _OPERANDS | {ast.BoolOp}
"""What a call's argument may be (a boolean operation needs no parentheses there)."""


def const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def terminates(body: Sequence[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    if isinstance(last, ast.If):
        return terminates(last.body) and terminates(last.orelse)
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        name = unparse(last.value.func, 200)
        return name.endswith(("abort", "sys.exit", "exit", "raise_error"))
    return False


def names_in(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id


def is_anchored(pattern: str | None) -> bool:
    if pattern is None:
        return False
    return (pattern.startswith(("^", "\\A"))) and pattern.endswith(("$", "\\Z", "\\z"))


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Stop(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Analysis of one function abandoned (too deep); the rest of the scan continues."""



def event_param(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The parameter a Lambda handler receives its event in (the first, after `self`/`cls` of a method)."""
    args = node.args.posonlyargs + node.args.args
    if args and args[0].arg in ("self", "cls") and len(args) > 1:
        return args[1].arg
    return args[0].arg if args else None


def field_key(node: ast.expr) -> str | None:
    """The key a field read names: `x["key"]`, `x.get("key")`, `x.get("key", default)`."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None
