"""boto3 method name → botocore operation name, from botocore's own service models.

botocore knows the exact mapping (`xform_name` of each operation), including the irregular ones a naive
snake→Pascal conversion gets wrong (`describe_db_instances` → `DescribeDBInstances`). Loading every model costs
seconds, so a model is loaded only for a service a handler actually calls, and the table is kept in a small
bounded cache for the life of the process.
"""

from __future__ import annotations

import functools
from typing import Any

TRANSFER_METHODS = frozenset(
    {
        "upload_file",
        "download_file",
        "upload_fileobj",
        "download_fileobj",
        "copy",
    }
)
"""s3transfer helpers: not API operations (the IAM engine knows what they need); the method name is kept."""

_NOT_OPERATIONS = frozenset(
    {
        "get_paginator",
        "get_waiter",
        "can_paginate",
        "close",
        "generate_presigned_url",
        "generate_presigned_post",
        "exceptions",
        "meta",
        "generate_db_auth_token",
    }
)


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.lru_cache(maxsize=128)
def operations(service: str) -> dict[str, str] | None:
    """snake_case method → operation name for one service, or None when botocore does not know the service."""
    try:
        from botocore import xform_name

        model = _session().get_service_model(service)
        return {xform_name(name): name for name in model.operation_names}
    except Exception:  # an unknown service name, or botocore data missing: no mapping, never a crash
        return None


def _pascal(method: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def operation_name(service: str, method: str) -> str | None:
    """The botocore operation for `client.<method>`; None for transfer helpers and non-operations.

    When botocore does not know the service (a typo, a newer service than the installed botocore), the
    conventional PascalCase spelling is returned so least privilege still has something to work with.
    """
    if method in TRANSFER_METHODS or method in _NOT_OPERATIONS or method.startswith("_"):
        return None
    table = operations(service)
    if table is None:
        return _pascal(method)
    return table.get(method)
