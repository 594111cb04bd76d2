"""IAM policy documents written as plain JSON files (Zappa's `attach_policy`, Chalice's `iam_policy_file`,
Zappa's default execution policy) → located `PolicyDocument`s.

Unlike CloudFormation or Terraform there is nothing to resolve in these files: every value is a literal, so
only the shape can be wrong, and a shape we cannot read is an `Unknown` on the document rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, read_text
from faasguard.model import Location, PolicyDocument, Statement, Unknown


def _loc(value: Any, fallback: Location) -> Location:
    if isinstance(value, LocatedDict | LocatedList):
        return value.loc(fallback.logical_id)
    return fallback


def _key_loc(holder: Any, key: str, fallback: Location) -> Location:
    if isinstance(holder, LocatedDict) and key in holder.key_locs:
        return holder.key_loc(key, fallback.logical_id)
    return fallback


def _strings(value: Any, where: Location) -> tuple[str | Unknown, ...]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return tuple(item if isinstance(item, str) else Unknown(f"not a string: {item!r}", where) for item in items)


def statement(item: Mapping[str, Any], where: Location) -> Statement:
    """One statement of a literal JSON policy."""

    def principals(raw: Any) -> dict[str, tuple[str | Unknown, ...]] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return {"*": (raw,)} if raw == "*" else {"AWS": (raw,)}
        if isinstance(raw, Mapping):
            return {str(k): _strings(v, where) for k, v in raw.items()}
        return {"AWS": (Unknown("principal is not a string or mapping", where),)}

    conditions: dict[str, dict[str, tuple[str | Unknown, ...]]] = {}
    raw_conditions = item.get("Condition")
    if isinstance(raw_conditions, Mapping):
        for operator, block in raw_conditions.items():
            if isinstance(block, Mapping):
                conditions[str(operator)] = {str(k): _strings(v, where) for k, v in block.items()}
    effect = item.get("Effect")
    sid = item.get("Sid")
    return Statement(
        effect=effect if isinstance(effect, str) else Unknown("statement without Effect", where),
        location=where, sid=sid if isinstance(sid, str) else None,
        actions=_strings(item.get("Action"), where),
        not_actions=_strings(item.get("NotAction"), where) if "NotAction" in item else None,
        resources=_strings(item.get("Resource"), where),
        not_resources=_strings(item.get("NotResource"), where) if "NotResource" in item else None,
        principals=principals(item.get("Principal")),
        not_principals=principals(item.get("NotPrincipal")),
        conditions=conditions,
        field_locations={name: _key_loc(item, key, where) for name, key in (
            ("effect", "Effect"), ("sid", "Sid"), ("actions", "Action"), ("not_actions", "NotAction"),
            ("resources", "Resource"), ("not_resources", "NotResource"), ("principals", "Principal"),
            ("conditions", "Condition")) if key in item})


def statements(raw: Any, where: Location) -> tuple[list[Statement], Unknown | None]:
    """The statements of a list (Zappa's `extra_permissions`) or one statement mapping."""
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[Statement] = []
    unresolved: Unknown | None = None
    for index, item in enumerate(items):
        item_where = raw.item_loc(index, where.logical_id) if isinstance(raw, LocatedList) else _loc(item, where)
        if not isinstance(item, Mapping):
            unresolved = unresolved or Unknown("statement is not a mapping", item_where)
            continue
        out.append(statement(item, _loc(item, item_where)))
    return out, unresolved


def document(value: Any, where: Location) -> PolicyDocument:
    """A policy document mapping (`{"Version": ..., "Statement": [...]}`)."""
    if not isinstance(value, Mapping):
        return PolicyDocument((), where, Unknown("policy document is not a mapping", where))
    where = _loc(value, where)
    found, unresolved = statements(value.get("Statement"), _key_loc(value, "Statement", where))
    return PolicyDocument(tuple(found), where, unresolved)


def document_file(path: Path, display: str, where: Location) -> PolicyDocument:
    """A policy document file; a file we cannot read or parse is an Unknown document, located at the setting
    that names it."""
    try:
        value = parse_json_text(read_text(path, display), display)
    except ParseError as exc:
        return PolicyDocument((), where, Unknown(f"policy file {display}: {exc.message}", where))
    except OSError as exc:
        return PolicyDocument((), where, Unknown(f"policy file {display} cannot be read: {exc}", where))
    return document(value, Location(display, logical_id=where.logical_id))
