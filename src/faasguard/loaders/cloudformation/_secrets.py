"""Secret-bearing attributes a template can copy into plaintext configuration (an environment variable, a stage
variable, an SSM `String` parameter): `!GetAtt AccessKey.SecretAccessKey` and the like.

Kept apart from the function family because API stages and data resources read them too, and those families
come before functions in the loader's import order.
"""

from __future__ import annotations

import re
from typing import Any

from faasguard.loaders.cloudformation._core import _Builder

_SECRET_ATTRIBUTES: dict[str, frozenset[str]] = {
    "AWS::IAM::AccessKey": frozenset({"SecretAccessKey"}),
    "AWS::Cognito::UserPoolClient": frozenset({"ClientSecret"}),
    "AWS::AppSync::ApiKey": frozenset({"ApiKey"}),
}


def _secret_attribute(b: _Builder, raw: Any) -> str | None:
    if raw is None or not isinstance(raw, dict):
        return None
    for name in _attribute_refs(raw):
        logical_id, _, attribute = name.partition(".")
        kind = b.type_of(logical_id)
        if attribute in _SECRET_ATTRIBUTES.get(kind, ()):
            return f"{kind}.{attribute}"
    return None


def _attribute_refs(raw: Any) -> list[str]:
    """`Id.Attribute` strings a raw value reads through GetAtt or Sub."""
    out: list[str] = []
    if isinstance(raw, dict) and len(raw) == 1:
        key, arg = next(iter(raw.items()))
        if key == "Fn::GetAtt":
            if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
                out.append(f"{arg[0]}.{arg[1]}")
            elif isinstance(arg, str):
                out.append(arg)
        elif key == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            if isinstance(text, str):
                out.extend(m.group(1) for m in re.finditer(r"\$\{([A-Za-z0-9]+\.[A-Za-z0-9.]+)\}", text))
            if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
                for value in arg[1].values():
                    out.extend(_attribute_refs(value))
        elif key in ("Fn::Join", "Fn::If", "Fn::Select"):
            for item in arg if isinstance(arg, list) else []:
                out.extend(_attribute_refs(item))
    elif isinstance(raw, list):
        for item in raw:
            out.extend(_attribute_refs(item))
    return out
