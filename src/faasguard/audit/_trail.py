"""CloudTrail `LookupEvents` → observed usage per function, for least privilege (`--cloudtrail-days N`).

LookupEvents returns each event's full record (`CloudTrailEvent`, a JSON string), the same shape as a trail
file, so the records go through `analysis.iam.cloudtrail.observed_needs` exactly as `policy generate
--cloudtrail FILE` reads files: a function's usage is what its role's sessions (the function name as session)
did. The API allows 2 requests per second per account and region, so the pages read are capped; hitting the cap
is a diagnostic (the usage is then partial, never guessed complete).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from faasguard.audit._aws import Api
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Application, Location

MAX_PAGES = 200
"""50 events a page: 10,000 management events, ~100 s at the API's 2 requests per second."""


def lookup_records(api: Api, days: int, diagnostics: list[Diagnostic], where: Location,
                   max_pages: int = MAX_PAGES) -> list[Mapping[str, Any]]:
    """The CloudTrail records of the last `days` days in the unit's region (management events only: that is
    what LookupEvents holds; data events such as `s3:GetObject` need trail files)."""
    from botocore.exceptions import BotoCoreError, ClientError

    start = datetime.now(UTC) - timedelta(days=days)
    records: list[Mapping[str, Any]] = []
    pages = 0
    try:
        paginator = api.client("cloudtrail").get_paginator("lookup_events")
        for page in paginator.paginate(StartTime=start, PaginationConfig={"PageSize": 50}):
            api.log.add("cloudtrail", "LookupEvents")
            pages += 1
            for event in page.get("Events") or ():
                try:
                    record = json.loads(str(event.get("CloudTrailEvent") or ""))
                except ValueError:
                    continue
                if isinstance(record, Mapping):
                    records.append(record)
            if pages >= max_pages:
                diagnostics.append(Diagnostic(
                    DiagnosticKind.UNRESOLVED, f"CloudTrail LookupEvents stopped after {pages} pages "
                    f"({len(records)} events) of the last {days} days; observed usage is partial",
                    where, DiagnosticLevel.WARNING, "audit"))
                break
    except ClientError as exc:
        api.log.add("cloudtrail", "LookupEvents")
        code = str(exc.response.get("Error", {}).get("Code", "")) or "Unknown"
        diagnostics.append(_failed(code, days, where))
    except BotoCoreError as exc:
        diagnostics.append(_failed(type(exc).__name__, days, where))
    return records


def _failed(code: str, days: int, where: Location) -> Diagnostic:
    """A failed lookup: the usage is missing (never assumed empty), and a refusal names the permission."""
    if "AccessDenied" in code or "Unauthorized" in code:
        return Diagnostic(DiagnosticKind.UNRESOLVED, f"{code} on cloudtrail:LookupEvents: the audit role lacks "
                          "cloudtrail:LookupEvents; no observed usage was added to least privilege", where,
                          DiagnosticLevel.WARNING, "audit")
    if "NotImplemented" in code or code in ("InvalidAction", "UnknownOperationException"):
        return Diagnostic(DiagnosticKind.UNSUPPORTED, f"cloudtrail:LookupEvents is not supported by this endpoint "
                          f"({code}); no observed usage of the last {days} days was added", where,
                          DiagnosticLevel.NOTE, "audit")
    return Diagnostic(DiagnosticKind.UNRESOLVED, f"cloudtrail:LookupEvents failed ({code}); no observed usage "
                      f"of the last {days} days was added", where, DiagnosticLevel.WARNING, "audit")


def observed(app: Application, records: list[Mapping[str, Any]], days: int) -> dict[str, tuple[Any, ...]]:
    """Function id → the needs its role's sessions showed in `records` (generalised as for trail files)."""
    from faasguard.analysis.iam.cloudtrail import Identity, observed_needs

    out: dict[str, tuple[Any, ...]] = {}
    if not records:
        return out
    for fn in app.functions:
        role = fn.role if isinstance(fn.role, str) else None
        name = fn.name if isinstance(fn.name, str) else fn.id
        who = Identity((role,) if role else (), (name,))
        needs = tuple(observed_needs(records, who, source=f"CloudTrail LookupEvents ({days} days)"))
        if needs:
            out[fn.id] = needs
    return out
