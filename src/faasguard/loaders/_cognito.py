"""What every loader needs to know about Cognito user pool schemas: which attribute names are standard.

A schema lists standard attributes (`email`) and custom ones (`role`) side by side, and Cognito prefixes only
the custom ones (`custom:role` in tokens, `WriteAttributes` and the API); the loaders name custom attributes
the way clients and tokens do, so a rule compares one spelling.
"""

from __future__ import annotations

_STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "identities",
    "locale", "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture",
    "preferred_username", "profile", "sub", "updated_at", "website", "zoneinfo",
})


def custom_attribute_name(schema_name: str) -> str | None:
    """`custom:<name>` for a custom attribute of a schema, None for a standard one (or a `dev:` attribute,
    which no client can write)."""
    name = schema_name.strip()
    if not name or name in _STANDARD_ATTRIBUTES or name.startswith("dev:"):
        return None
    return f"custom:{name.removeprefix('custom:')}"
