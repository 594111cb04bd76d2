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
        try:
            text = ast.unparse(node)
        except Exception:  # very deep or odd nodes: a description only
            return type(node).__name__
        text = " ".join(text.split())
        setattr(node, TEXT_ATTR, text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
