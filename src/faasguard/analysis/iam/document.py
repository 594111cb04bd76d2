"""Plain IAM policy JSON → the model's `PolicyDocument`, for documents that do not come from a loader.

The bundled AWS managed policies, policies in CloudTrail-learned data and policy documents that a source gives
as a JSON *string* (Terraform `jsonencode` output, CloudFormation `PolicyDocument: '{"Version": ...}'`) all go
through here. IAM's own leniency is kept: a single string where a list is allowed, `Effect` case as written.
Nothing here raises on bad input: what cannot be read becomes `Unknown(reason)` and is reported by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from faasguard.model import Location, PolicyDocument, Statement, Unknown


def _strings(value: Any, what: str, location: Location) -> tuple[str | Unknown, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(v if isinstance(v, str) else Unknown(f"{what} is not a string: {type(v).__name__}", location)
                 for v in items)


def parse_statement(raw: Any, location: Location) -> Statement | Unknown:
    if isinstance(raw, Unknown):
        return raw
    if not isinstance(raw, Mapping):
        return Unknown(f"policy statement is a {type(raw).__name__}, not an object", location)
    effect = raw.get("Effect")
    effect_value: str | Unknown = effect if isinstance(effect, str) else Unknown("Effect missing or not a string",
                                                                                  location)
    not_actions = _strings(raw["NotAction"], "NotAction", location) if "NotAction" in raw else None
    not_resources = _strings(raw["NotResource"], "NotResource", location) if "NotResource" in raw else None
    conditions: dict[str, dict[str, tuple[str | Unknown, ...]]] = {}
    cond = raw.get("Condition")
    if isinstance(cond, Mapping):
        for op, keys in cond.items():
            if isinstance(keys, Mapping):
                conditions[str(op)] = {str(k): tuple(v if isinstance(v, str) else str(v) if isinstance(
                    v, (bool, int, float)) else Unknown("condition value not a scalar", location)
                    for v in (vals if isinstance(vals, list) else [vals])) for k, vals in keys.items()}
    principals = None
    if "Principal" in raw:
        p = raw["Principal"]
        principals = {"*": ("*",)} if p == "*" else (
            {str(k): _strings(v, "Principal", location) for k, v in p.items()} if isinstance(p, Mapping) else
            {"*": (Unknown("Principal not understood", location),)})
    return Statement(
        effect=effect_value, location=location, sid=raw.get("Sid") if isinstance(raw.get("Sid"), str) else None,
        actions=_strings(raw.get("Action"), "Action", location), not_actions=not_actions,
        resources=_strings(raw.get("Resource"), "Resource", location), not_resources=not_resources,
        principals=principals, conditions=conditions)


def parse_document(raw: Any, location: Location) -> PolicyDocument:
    """A policy document from a dict or a JSON string; problems end up in `PolicyDocument.unresolved`."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            return PolicyDocument((), location, Unknown(f"policy document is not valid JSON: {exc}", location))
    if isinstance(raw, Unknown):
        return PolicyDocument((), location, raw)
    if not isinstance(raw, Mapping):
        return PolicyDocument((), location, Unknown(f"policy document is a {type(raw).__name__}", location))
    stmts = raw.get("Statement")
    items = stmts if isinstance(stmts, list) else [stmts] if stmts is not None else []
    out: list[Statement] = []
    problems: list[str] = []
    for item in items:
        st = parse_statement(item, location)
        if isinstance(st, Unknown):
            problems.append(st.reason)
        else:
            out.append(st)
    if stmts is None:
        problems.append("policy document has no Statement")
    unresolved = Unknown("; ".join(problems), location) if problems else None
    return PolicyDocument(tuple(out), location, unresolved)
