"""Bundled AWS managed policy documents (`faasguard/data/iam/managed_policies.json`), looked up by ARN or name.

AWS does not ship these documents in any package we can depend on (aws-sam-translator only maps names to
ARNs), so the common ones are written down as facts in our data file. Lookup ignores the partition and the
path (`arn:aws-cn:iam::aws:policy/service-role/X` and `X` find the same policy). A policy the file marks
`abridged` lists the real policy's risky actions but not every read-only one, so evaluation treats it as
"may allow more" (opaque) for anything it does not list.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from faasguard._record import record
from faasguard.analysis.iam.document import parse_document
from faasguard.model import Location, PolicyDocument

DATA_FILE = "managed_policies.json"


@record(slots=False)
class ManagedPolicy:
    name: str
    arn: str
    document: PolicyDocument
    abridged: bool


@lru_cache(maxsize=1)
def _all() -> dict[str, ManagedPolicy]:
    text = (Path(__file__).resolve().parents[2] / "data" / "iam" / DATA_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)["policies"]
    out: dict[str, ManagedPolicy] = {}
    for name, entry in raw.items():
        loc = Location(f"<aws-managed:{name}>", logical_id=name)
        out[name.lower()] = ManagedPolicy(name, entry["arn"], parse_document(entry["document"], loc),
                                          bool(entry.get("abridged")))
    return out


def short_name(arn_or_name: str) -> str:
    return arn_or_name.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if "/" in arn_or_name else arn_or_name


def is_aws_managed_arn(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


def lookup(arn_or_name: str) -> ManagedPolicy | None:
    """The bundled document of an AWS managed policy, by ARN (any partition, with `${AWS::Partition}`) or name."""
    if "/" in arn_or_name and not is_aws_managed_arn(arn_or_name):
        return None
    return _all().get(short_name(arn_or_name).lower())


def names() -> list[str]:
    return sorted(p.name for p in _all().values())
