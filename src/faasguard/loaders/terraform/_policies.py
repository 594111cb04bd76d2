"""IAM policy documents written as JSON strings, `jsonencode(...)` or `aws_iam_policy_document` data, parsed into
the model with each statement located where it is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from faasguard.loaders._hcl import (
    Attribute,
    EvalError,
    FileText,
    JsonExpr,
    to_plain,
)
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text
from faasguard.model import (
    Cors,
    Location,
    PolicyDocument,
    Statement,
    Unknown,
)

_UNRESOLVED_KEY = "__faasguard_unresolved__"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def _statements_of(value: Any, location: Location, unresolved: list[str]) -> Iterator[Any]:
    """Statements of one or more policy documents (JSON text or already-structured)."""
    for item in _as_list(value):
        doc = _document_value(item, location)
        if isinstance(doc, Unknown):
            unresolved.append(doc.reason)
            continue
        if isinstance(doc, dict):
            if _UNRESOLVED_KEY in doc:
                unresolved.append(str(doc[_UNRESOLVED_KEY]))
            yield from _as_list(doc.get("Statement"))


def _document_value(value: Any, location: Location, first_line: int | None = None) -> Any:
    if isinstance(value, (Unknown, dict)) or value is None:
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped.startswith(("{", "[")):
            if "${" in stripped:
                return Unknown(f"document {_short(stripped)} is only known after apply", location)
            return EvalError(f"document {_short(stripped)} is not JSON", location)
        if first_line is not None:
            shifted = "\n" * (first_line - 1) + value
            try:
                return parse_json_text(shifted, location.path)
            except ParseError as exc:
                return EvalError(f"policy is not valid JSON: {exc.message}", location)
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            return EvalError(f"policy is not valid JSON: {exc.msg}", location)
        except RecursionError:
            return EvalError("policy nested too deeply", location)
    return EvalError(f"policy document is a {type(value).__name__}", location)


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _expr_first_line(attr: Attribute | None) -> int | None:
    """The line a JSON policy written literally in this attribute starts on (for exact statement lines)."""
    if attr is None or isinstance(attr.expr, JsonExpr):
        return None
    text = attr.expr.text[:3]
    if text.startswith(b"<<"):
        return int(attr.expr.start_point[0]) + 2
    if text.startswith(b'"'):
        return int(attr.expr.start_point[0]) + 1
    return None


def policy_document(value: Any, location: Location, first_line: int | None = None) -> PolicyDocument:
    """A policy value (JSON text, `jsonencode` object, `aws_iam_policy_document`) → `PolicyDocument`."""
    doc = _document_value(value, location, first_line)
    if isinstance(doc, Unknown):
        return PolicyDocument((), location, unresolved=Unknown(doc.reason, doc.location or location))
    if not isinstance(doc, dict):
        return PolicyDocument((), location, unresolved=Unknown("policy document is empty", location))
    doc_loc = _value_loc(doc, location)
    unresolved = doc.get(_UNRESOLVED_KEY)
    raw = doc.get("Statement")
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    statements: list[Statement] = []
    problems: list[str] = [str(unresolved)] if unresolved else []
    for index, item in enumerate(items):
        item_loc = raw.item_loc(index, location.logical_id) if isinstance(raw, LocatedList) else doc_loc
        if isinstance(item, Unknown):
            problems.append(item.reason)
            continue
        if not isinstance(item, dict):
            problems.append("a statement is not an object")
            continue
        statements.append(_statement(item, _value_loc(item, item_loc)))
    if isinstance(raw, Unknown):
        problems.append(raw.reason)
    return PolicyDocument(tuple(statements), doc_loc,
                          unresolved=Unknown("; ".join(problems), doc_loc) if problems else None)


def _value_loc(value: Any, fallback: Location) -> Location:
    if isinstance(value, (LocatedDict, LocatedList)) and value.path:
        return Location(value.path, value.line, value.column, logical_id=fallback.logical_id)
    return fallback


def _key_loc(mapping: Any, key: str, fallback: Location) -> Location:
    if isinstance(mapping, LocatedDict) and key in mapping.key_locs and mapping.path:
        line, column = mapping.key_locs[key]
        return Location(mapping.path, line, column, logical_id=fallback.logical_id)
    return fallback


def _strings(value: Any) -> tuple[str | Unknown, ...]:
    out: list[str | Unknown] = []
    for item in _as_list(value):
        if isinstance(item, (str, Unknown)):
            out.append(item)
        elif item is not None:
            plain = to_plain(item)
            out.append(plain if isinstance(plain, str) else Unknown(f"not a string: {item!r}"))
    return tuple(out)


def _principals(value: Any) -> dict[str, tuple[str | Unknown, ...]] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"*": (value,)} if value == "*" else {"AWS": (value,)}
    if isinstance(value, Unknown):
        return {"AWS": (value,)}
    if isinstance(value, dict):
        return {str(k): _strings(v) for k, v in value.items()}
    return {"AWS": (Unknown(f"principal is a {type(value).__name__}"),)}


def _statement(item: Mapping[str, Any], loc: Location) -> Statement:
    effect = item.get("Effect")
    conditions: dict[str, dict[str, tuple[str | Unknown, ...]]] = {}
    raw_conditions = item.get("Condition")
    if isinstance(raw_conditions, dict):
        for op, keys in raw_conditions.items():
            if isinstance(keys, dict):
                conditions[str(op)] = {str(k): _strings(v) for k, v in keys.items()}
            else:
                conditions[str(op)] = {"?": (Unknown("condition not resolved"),)}
    elif isinstance(raw_conditions, Unknown):
        conditions["Unknown"] = {"?": (raw_conditions,)}
    fields = {name: _key_loc(item, key, loc) for name, key in (
        ("sid", "Sid"), ("effect", "Effect"), ("actions", "Action"), ("not_actions", "NotAction"),
        ("resources", "Resource"), ("not_resources", "NotResource"), ("principals", "Principal"),
        ("not_principals", "NotPrincipal"), ("conditions", "Condition")) if key in item}
    sid = item.get("Sid")
    return Statement(
        effect=effect if isinstance(effect, (str, Unknown)) else Unknown("Effect is not a string", loc),
        location=loc,
        sid=sid if isinstance(sid, str) else None,
        actions=_strings(item.get("Action")),
        not_actions=_strings(item["NotAction"]) if "NotAction" in item else None,
        resources=_strings(item.get("Resource")),
        not_resources=_strings(item["NotResource"]) if "NotResource" in item else None,
        principals=_principals(item.get("Principal")),
        not_principals=_principals(item.get("NotPrincipal")),
        conditions=conditions,
        field_locations=fields,
    )


def parse_container_definitions(value: Any, location: Location,
                                first_line: int | None = None) -> LocatedList | list[Any] | Unknown:
    """`aws_ecs_task_definition.container_definitions` → a (located) list of container definitions.

    Accepts what the attribute holds after evaluation: JSON text (quoted string, heredoc, `file()`,
    `templatefile()`, `data "template_file"`), or the structure `jsonencode([...])` keeps. JSON read from a file is
    located in that file; JSON written in the `.tf` file is located there when `first_line` says where it starts.
    A template variable whose value is not known statically (`${image}` left in the text) becomes an `Unknown`
    value of its field, also where the template writes it unquoted (`"memory": ${memory}`), so the rest of the
    definition is still checked."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        where = Location(value.display, 1) if isinstance(value, FileText) else location
        start = 1 if isinstance(value, FileText) else first_line
        parsed = _document_value(value, where, start)
        if isinstance(parsed, EvalError) and "${" in value:
            parsed = _document_value(_quote_interpolations(value), where, start)
        value = _unknown_interpolations(parsed)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return value
    return EvalError("container_definitions is not a list of definitions", location)


_INTERPOLATION = re.compile(r"\$\{[^{}]*\}")


def _quote_interpolations(text: str) -> str:
    """`${x}` written where a JSON value goes (outside any string) turned into the string `"${x}"`, so one
    unknown number or boolean does not make the whole document unreadable."""
    out: list[str] = []
    in_string = escaped = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "$" and (match := _INTERPOLATION.match(text, index)):
            out.append(f'"{match.group(0)}"')
            index = match.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _unknown_interpolations(value: Any) -> Any:
    """Strings that are nothing but one `${...}` (a value the template could not fill) → `Unknown`, in place,
    keeping the located containers' key positions."""
    if isinstance(value, str) and (match := _INTERPOLATION.fullmatch(value.strip())):
        return Unknown(f"{match.group(0)} is not known statically")
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _unknown_interpolations(value[key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _unknown_interpolations(item)
    return value


def map_cors(value: Any, where: Location) -> Cors | None:
    """A CORS setting given as a map rather than a block: a registry module's input (apigateway-v2's
    `cors_configuration`, the Lambda module's `cors` for its function URL), which the module copies into
    the block."""
    if isinstance(value, Unknown):
        return Cors(where, value)
    if not isinstance(value, dict) or not value:
        return None
    raw = value.get("allow_origins")
    origins: tuple[str | Unknown, ...] | Unknown = raw if isinstance(raw, Unknown) else tuple(_strings(raw))
    credentials = value.get("allow_credentials")
    return Cors(_key_loc(value, "allow_origins", where), origins,
                credentials if isinstance(credentials, (bool, Unknown)) else None,
                _key_loc(value, "allow_credentials", where) if "allow_credentials" in value else None)
