"""CloudTrail events → what a function's role was observed doing (`Need`s with origin "cloudtrail").

Accepted shapes: a trail file (`{"Records": [...]}`, gzip or not), `aws cloudtrail lookup-events` output
(`{"Events": [{"CloudTrailEvent": "<json string>"}]}`), a bare list of records, and the runtime guard's learn
mode (which writes the `Records` shape). A file that is truncated, not JSON or of another shape is reported
as a problem and skipped; records missing fields are skipped one by one. Files are capped in size.

Filtering: records whose identity is the function's role (assumed-role ARN with the role's name, or a CFN
generated name containing the role's logical id) or whose session name is the function's name / logical id,
within an optional time window.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from faasguard.analysis.iam.boto_map import OPERATION_ACTIONS
from faasguard.analysis.iam.catalog import get_catalog
from faasguard.analysis.iam.facts import Need
from faasguard.model import Location, Unknown
from faasguard.safeio import read_regular

MAX_BYTES = 200 * 1024 * 1024

_SOURCE_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "streams.dynamodb": "dynamodb",
                  "execute-api": "execute-api", "states": "states", "bedrock": "bedrock"}


@dataclass(frozen=True)
class Identity:
    role_names: tuple[str, ...] = ()
    """Exact role names, or logical ids that a generated role name contains."""
    session_names: tuple[str, ...] = ()


def read_records(path: Path, problems: list[str]) -> list[Mapping[str, Any]]:
    try:
        if path.stat().st_size > MAX_BYTES:
            problems.append(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB, skipped")
            return []
        data = read_regular(path, MAX_BYTES)
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        raw = json.loads(data)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        problems.append(f"{path}: cannot read ({exc})")
        return []
    except ValueError as exc:
        problems.append(f"{path}: not valid JSON (truncated?): {exc}")
        return []
    records: list[Any]
    if isinstance(raw, Mapping) and isinstance(raw.get("Records"), list):
        records = raw["Records"]
    elif isinstance(raw, Mapping) and isinstance(raw.get("Events"), list):
        records = []
        for ev in raw["Events"]:
            text = ev.get("CloudTrailEvent") if isinstance(ev, Mapping) else None
            try:
                records.append(json.loads(text) if isinstance(text, str) else ev)
            except ValueError:
                problems.append(f"{path}: an event's CloudTrailEvent is not JSON; skipped")
    elif isinstance(raw, list):
        records = raw
    else:
        problems.append(f"{path}: not a CloudTrail file (expected Records, Events or a list of records)")
        return []
    return [r for r in records if isinstance(r, Mapping)]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _matches(record: Mapping[str, Any], who: Identity) -> bool:
    ident = record.get("userIdentity")
    if not isinstance(ident, Mapping):
        return False
    arn = str(ident.get("arn", ""))
    issuer = ((ident.get("sessionContext") or {}).get("sessionIssuer") or {}) \
        if isinstance(ident.get("sessionContext"), Mapping) else {}
    role_name = str(issuer.get("userName", "")) if isinstance(issuer, Mapping) else ""
    session = ""
    if ":assumed-role/" in arn:
        parts = arn.split(":assumed-role/", 1)[1].split("/")
        role_name = role_name or parts[0]
        session = parts[1] if len(parts) > 1 else ""
    for name in who.role_names:
        if name and (role_name == name or (len(name) > 3 and name in role_name)):
            return True
    return any(s and (session == s or (len(s) > 3 and s in session)) for s in who.session_names)


def _action(record: Mapping[str, Any]) -> str | None:
    source = str(record.get("eventSource", ""))
    name = str(record.get("eventName", ""))
    if not source or not name:
        return None
    service = source.removesuffix(".amazonaws.com")
    prefix = _SOURCE_PREFIX.get(service, service)
    for (svc, op), actions in OPERATION_ACTIONS.items():
        if op == name and actions and actions[0].startswith(f"{prefix}:") and len(actions) == 1:
            return actions[0]
        if op == name and svc == prefix and len(actions) == 1:
            return actions[0]
    return get_catalog().canonical(f"{prefix}:{name}")


def _resource(record: Mapping[str, Any], action: str) -> str | Unknown:
    cat = get_catalog()
    if cat.resource_types(action) == ():
        return "*"
    params = record.get("requestParameters")
    if action.startswith("s3:") and isinstance(params, Mapping) and isinstance(params.get("bucketName"), str):
        bucket = params["bucketName"]
        key = params.get("key")
        if action in ("s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation"):
            return f"arn:aws:s3:::{bucket}"
        return f"arn:aws:s3:::{bucket}/{key}" if isinstance(key, str) else f"arn:aws:s3:::{bucket}/*"
    resources = record.get("resources")
    if isinstance(resources, list):
        arns = [r.get("ARN") for r in resources if isinstance(r, Mapping) and isinstance(r.get("ARN"), str)]
        if arns:
            return str(arns[0])
    return Unknown(f"CloudTrail event {record.get('eventName')} names no resource ARN")


def observed_needs(records: Iterable[Mapping[str, Any]], who: Identity, since: datetime | None = None,
                   until: datetime | None = None, source: str = "cloudtrail") -> Iterator[Need]:
    """The needs the records show, with their resources generalised (see `generalise`): a trail shows the
    objects and executions of the last days, a policy must allow those of tomorrow."""
    observed: list[Need] = []
    for record in records:
        if not _matches(record, who):
            continue
        when = _time(record.get("eventTime"))
        if (since and when and when < since) or (until and when and when > until):
            continue
        action = _action(record)
        if action is None:
            continue
        denied = str(record.get("errorCode", "")) in ("AccessDenied", "AccessDeniedException",
                                                      "UnauthorizedOperation")
        observed.append(Need(action, _resource(record, action), f"observed in {source} at "
                             f"{record.get('eventTime')}" + (" (denied)" if denied else ""), "cloudtrail",
                             Location(source)))
    yield from generalise(observed)


_PER_REQUEST = re.compile(
    r"""^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}   # UUID
        |(?=[a-f]*\d)[0-9a-f]{16,}                                             # long hex ids (with a digit)
        |\d{6,}|(?:19|20)\d{2}|\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?|\d{8}T\d*Z?     # epochs, years, dates
        |\[\$LATEST\]\w+|\[\d+\]\w+)$""", re.VERBOSE | re.IGNORECASE)
"""A path segment that names one request, upload or execution rather than a place: UUIDs, long hex ids, epoch
and ISO timestamps, years (date-partitioned keys), Lambda log-stream ids. Generalised to `*` with everything
after it. Deliberately narrow: a name like `customer-orders-archive-001` is a place, and widening it would
grant more than was observed."""


def _generalise_path(segments: list[str]) -> list[str]:
    """Segments up to the first per-request one (exclusive), then `*`; unchanged when none is per-request."""
    for index, segment in enumerate(segments):
        if _PER_REQUEST.match(segment):
            return [*segments[:index], "*"]
    return segments


def _s3_object(arn: str) -> tuple[str, list[str]] | None:
    """(bucket, key directories) of an S3 object ARN; None for anything else."""
    if not arn.startswith("arn:aws:s3:::") or "/" not in arn:
        return None
    bucket, _, key = arn.removeprefix("arn:aws:s3:::").partition("/")
    if key == "*":
        return None
    return bucket, key.split("/")[:-1]


def generalise_arn(arn: str) -> str:
    """An observed ARN with its per-request part replaced by `*` (Step Functions executions, log streams,
    anything whose resource path holds an id); ARNs naming a place (a table, a queue) are unchanged."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5]:
        return arn
    resource = parts[5]
    pieces = re.split(r"([/:])", resource)
    names, separators = pieces[0::2], pieces[1::2]
    general = _generalise_path(names)
    if general == names:
        return arn
    rebuilt = "".join(name + sep for name, sep in zip(general[:-1], separators, strict=False)) + general[-1]
    return ":".join([*parts[:5], rebuilt])


def generalise(needs: Iterable[Need]) -> list[Need]:
    """Observed needs whose resources allow the next request too, one need per (action, generalised resource).

    S3 object keys become the longest directory prefix the observed keys of one action and bucket share, cut
    before the first per-request segment, plus `*` (`uploads/u1/a.png` and `uploads/u2/b.png` give
    `uploads/*`; one key `reports/2024-05-01/x.csv` gives `reports/*`). Other ARNs lose their per-request
    part (`generalise_arn`). An Unknown resource stays Unknown: it is never widened to `*` here.
    """
    result: dict[tuple[str, str], Need] = {}
    prefixes: dict[tuple[str, str], list[str]] = {}
    firsts: dict[tuple[str, str], Need] = {}
    for need in needs:
        if isinstance(need.resource, str):
            s3 = _s3_object(need.resource)
            if s3 is not None:
                bucket, directories = s3
                key = (need.action, bucket)
                general = _generalise_path(directories)
                current = prefixes.get(key)
                if current is None:
                    prefixes[key] = general
                    firsts[key] = need
                else:
                    common = []
                    for mine, theirs in zip(current, general, strict=False):
                        if mine != theirs or mine == "*":
                            break
                        common.append(mine)
                    prefixes[key] = common
                continue
            general_need = replace(need, resource=generalise_arn(need.resource))
        else:
            general_need = need
        result.setdefault((general_need.action, str(general_need.resource)), general_need)
    for (action, bucket), directories in prefixes.items():
        path = "/".join(d for d in directories if d != "*")
        resource = f"arn:aws:s3:::{bucket}/{path + '/' if path else ''}*"
        result.setdefault((action, resource), replace(firsts[(action, bucket)], resource=resource))
    return list(result.values())
