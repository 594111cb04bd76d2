"""Model classes of the analysed code (pydantic models, dataclasses, Powertools parser models): which of their
fields still hold the caller's text once the model has parsed it.

Parsing into a model checks types, not content. A field typed `str` (or `dict`, `list`, `Any`, an unknown
class) keeps whatever the caller sent, quotes and semicolons included, so it stays caller data; a field typed as
a number, a boolean, a UUID, a date, a `Literal`, an `Enum` of the module, or constrained by a `pattern` can only
hold values of that shape, so it is clean. The instance carries its fields, and reading one gives that field's
value (see `FunctionAnalysis._code_member`).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from faasguard._lazy_re import LazyPattern
from faasguard.analysis.code.core.values import CLEAN, Val
from faasguard.analysis.code.python.syntax import unparse

if TYPE_CHECKING:
    from faasguard.analysis.code.python.state import FunctionState

CHECKED_TYPES = LazyPattern(
    r"^(typing\.)?(Optional\[)?(int|float|bool|complex|Decimal|decimal\.Decimal|UUID\d?|uuid\.UUID|datetime|"
    r"datetime\.datetime|date|datetime\.date|time|timedelta|PositiveInt|NegativeInt|NonNegativeInt|"
    r"NonPositiveInt|PositiveFloat|NegativeFloat|NonNegativeFloat|StrictInt|StrictFloat|StrictBool|"
    r"IPv4Address|IPv6Address|IPvAnyAddress|conint\(.*\)|confloat\(.*\)|condecimal\(.*\)|Literal\[.*\])"
    r"\]?(\s*\|\s*None)?$"
)
"""Annotations whose values cannot carry free text."""
PATTERN_CONSTRAINT = LazyPattern(r"\b(pattern|regex)\s*=")
"""`constr(pattern=...)`, `Field(pattern=...)`: the text must match the developer's expression."""


def model_instance(fa: FunctionState, extra: str, data: Val) -> Val:
    """An instance of the model class `extra` ("path::Class") built from `data`: each annotated field is the
    caller's text or clean by its type; the instance as a whole carries what its text fields carry."""
    path, name = extra.split("::", 1)
    module = fa.a.module(fa.a.path(path))
    node = module.classes.get(name)
    if node is None or not data.taints:
        return Val(kind="instance", extra=extra)
    text = Val(taints=tuple(t.with_structure(False) for t in data.taints))
    fields: list[tuple[str, Val]] = []
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        annotation = unparse(stmt.annotation, 160)
        spelled = annotation + " " + (unparse(stmt.value, 160) if stmt.value is not None else "")
        checked = (
            CHECKED_TYPES.match(annotation) is not None
            or PATTERN_CONSTRAINT.search(spelled) is not None
            or _is_enum(module.classes.get(annotation.rsplit(".", 1)[-1]))
        )
        fields.append((stmt.target.id, CLEAN if checked else text))
    taints = text.taints if any(value.taints for _, value in fields) else ()
    return Val(kind="instance", extra=extra, taints=taints, fields=tuple(fields))


def _is_enum(node: ast.ClassDef | None) -> bool:
    return node is not None and any(re.search(r"\bEnum\b", unparse(base, 80)) for base in node.bases)
