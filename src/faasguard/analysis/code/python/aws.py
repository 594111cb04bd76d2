"""boto3 method name → botocore operation name, from botocore's own service models.

botocore knows the exact mapping (`xform_name` of each operation), including the irregular ones a naive
snake→Pascal conversion gets wrong (`describe_db_instances` → `DescribeDBInstances`). Loading every model costs
seconds, so a model is loaded only for a service a handler actually calls, and the table is kept in a small
bounded cache for the life of the process.

The model file is read straight from botocore's data directory (`data/<service>/<api-version>/service-2.json[.gz]`,
the newest API version) rather than through `botocore.session`: importing the session machinery costs ~130 ms of
start-up, more than the rest of a one-template scan.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from pathlib import Path
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
def _data_dir() -> Path | None:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data if data.is_dir() else None


def _service_model(service: str) -> dict[str, Any] | None:
    data = _data_dir()
    if data is None or not service or "/" in service or service.startswith("."):
        return None
    versions = sorted((d for d in (data / service).glob("*") if d.is_dir()), reverse=True) \
        if (data / service).is_dir() else []
    for version in versions:
        for name, opener in (("service-2.json.gz", gzip.open), ("service-2.json", open)):
            candidate = version / name
            if candidate.is_file():
                with opener(candidate, "rt", encoding="utf-8") as handle:
                    model: dict[str, Any] = json.load(handle)
                return model
    return None


@functools.lru_cache(maxsize=128)
def operations(service: str) -> dict[str, str] | None:
    """snake_case method → operation name for one service, or None when botocore does not know the service.

    The table is derived once per service and botocore version and kept in the user cache (a model such as
    EC2's takes ~100 ms to decode; the table takes ~1 ms to read back)."""
    try:
        from botocore import __version__ as botocore_version
        from botocore import xform_name

        from faasguard.cache import cache_dir, prune_siblings, read_marshal, write_marshal

        cached_path = cache_dir() / f"botocore-{botocore_version}" / f"{service}.ops.marshal" \
            if service.replace("-", "").isalnum() else None
        cached = read_marshal(cached_path) if cached_path else None
        if isinstance(cached, dict):
            return cached
        model = _service_model(service)
        if model is None:
            return None
        table = {xform_name(name): name for name in model.get("operations", {})}
        if cached_path:
            fresh = not cached_path.parent.is_dir()
            write_marshal(cached_path, table)
            if fresh and cached_path.parent.is_dir():  # a new botocore version: drop the old versions' tables
                prune_siblings(cached_path.parent, "botocore-*")
        return table
    except Exception:  # corrupt or missing botocore data: no mapping, never a crash
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


@functools.lru_cache(maxsize=64)
def waiter_operation(service: str, waiter: str) -> str | None:
    """The operation a boto3 waiter polls (`s3` `object_exists` → `HeadObject`), from botocore's own waiter
    definitions (`data/<service>/<api-version>/waiters-2.json`); None when botocore does not define it."""
    try:
        from botocore import xform_name

        data = _data_dir()
        if data is None or not service.replace("-", "").isalnum() or not (data / service).is_dir():
            return None
        for version in sorted((d for d in (data / service).glob("*") if d.is_dir()), reverse=True):
            for name, opener in (("waiters-2.json.gz", gzip.open), ("waiters-2.json", open)):
                candidate = version / name
                if candidate.is_file():
                    with opener(candidate, "rt", encoding="utf-8") as handle:
                        waiters: dict[str, Any] = json.load(handle).get("waiters", {})
                    for key, spec in waiters.items():
                        if xform_name(key) == waiter and isinstance(spec, dict):
                            operation = spec.get("operation")
                            return operation if isinstance(operation, str) else None
                    return None
        return None
    except Exception:  # corrupt or missing botocore data: no mapping, never a crash
        return None
