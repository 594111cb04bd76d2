"""SAM policy templates (`S3ReadPolicy: {BucketName: ...}`) expanded from aws-sam-translator's own data.

We read `samtranslator/policy_templates_data/policy_templates.json` (the file SAM itself uses when it
transforms a template), as a copy shipped in `faasguard/data/sam/` (scripts/refresh_vendored_data.py; the
package itself, with boto3 and pydantic behind it, is not a dependency), lazily, once, and expand a template
by resolving its definition with a second `Resolver` whose parameters are the values the function gave,
already resolved in the template's own context.
So `DynamoDBCrudPolicy: {TableName: !Ref Orders}` yields the real table ARN (or `${Orders}`), and a missing or
unresolvable parameter is an `Unknown` resource, never a guess.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from faasguard._packaged import packaged
from faasguard.findings import Diagnostic
from faasguard.model import Location, Unknown

__all__ = ["expand", "is_policy_template", "template_names"]


@cache
def _templates() -> dict[str, Any]:
    text = packaged("sam/policy_templates.json")
    data = json.loads(text)
    templates = data.get("Templates", {})
    return templates if isinstance(templates, dict) else {}


def template_names() -> frozenset[str]:
    return frozenset(_templates())


def is_policy_template(name: str) -> bool:
    return name in _templates()


def expand(name: str, given: Any, where: Location, path: str,
           diagnostics: list[Diagnostic]) -> tuple[Any, Unknown | None]:
    """The resolved policy document of template `name` with the already-resolved parameter values `given`;
    second item is an Unknown naming what could not be resolved (None when everything was)."""
    from faasguard.loaders.intrinsics import Resolver

    spec = _templates().get(name)
    if not isinstance(spec, dict):
        return None, Unknown(f"unknown SAM policy template {name}", where)
    declared = spec.get("Parameters") or {}
    values: dict[str, Any] = {}
    missing: list[str] = []
    given_map = given if isinstance(given, dict) else {}
    for parameter in declared:
        if parameter in given_map:
            values[parameter] = given_map[parameter]
        else:
            missing.append(parameter)
            values[parameter] = Unknown(f"SAM policy template {name} is missing parameter {parameter}", where)
    resolver = Resolver({"Parameters": {p: {} for p in declared}}, path, diagnostics, parameter_values=values)
    document = resolver.resolve(spec.get("Definition"), where)
    problem = Unknown(f"SAM policy template {name} is missing {', '.join(missing)}", where) if missing else None
    return document, problem
