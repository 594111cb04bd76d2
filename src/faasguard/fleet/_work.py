"""The two kinds of unit: an (account, region) of the live audit and one repository checkout of the scan.

Each is the single-process command's own code (`audit._run_unit`, `pipeline.scan`) rendered by the JSON v1
reporter, so a unit's file is byte for byte the report `faasguard audit --region R` / `faasguard scan PATH`
would write with the same configuration, and the merged report is their union.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from faasguard.config import Config
from faasguard.fleet import FleetError, Unit

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):")


@dataclass(frozen=True)
class AuditUnitSpec:
    options: Any
    """`AuditOptions` with this unit's one target and one region."""
    config: Config
    account: str
    region: str


@dataclass(frozen=True)
class ScanUnitSpec:
    path: str
    config: Config
    cwd: str
    """The driver's directory: report paths are relative to it, as in `faasguard scan PATH` run there."""


def audit_unit(spec: AuditUnitSpec) -> dict[str, Any]:
    from faasguard.audit import _declared, _run_unit, _session
    from faasguard.audit._aws import CallLog
    from faasguard.audit._collect import UnitSpec
    from faasguard.report.json_report import render_json

    options = spec.options
    calls = CallLog()
    session = _session(options, options.targets[0], spec.region)  # assume-role errors propagate: retried or failed
    declared = None
    if options.compare is not None:  # the IaC of --compare, loaded by each unit's worker (it may be another node)
        declared = _declared(options.compare, spec.config, [])
    result = _run_unit(session, UnitSpec(spec.account, spec.region, options.functions, options.workers), options,
                       spec.config, calls, {}, declared)
    return {"report": render_json(result, spec.config),
            "stats": {"functions": sum(len(a.functions) for a in result.apps), "api_calls": calls.total}}


def scan_unit(spec: ScanUnitSpec) -> dict[str, Any]:
    from faasguard import pipeline
    from faasguard.report.json_report import render_json

    if not Path(spec.path).is_dir():
        raise FileNotFoundError(f"no checkout at {spec.path} on this worker")
    result = pipeline.scan((spec.path,), spec.config, cwd=Path(spec.cwd))
    return {"report": render_json(result, spec.config),
            "stats": {"functions": sum(len(a.functions) for a in result.apps),
                      "files": len(result.sources)}}


def _file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key.replace("/", "-"))[:150] + ".json"


def load_repos(path: Path) -> tuple[str, ...]:
    """`--repos FILE`: one checkout directory per line (`#` comments); relative paths are the file's."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetError(f"cannot read repositories file {path}: {exc.strerror or exc}") from None
    repos = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            repos.append(os.path.normpath(path.parent / entry if not os.path.isabs(entry) else entry))
    if not repos:
        raise FleetError(f"repositories file {path} names no checkout")
    return tuple(dict.fromkeys(repos))


def scan_units(repos: Sequence[str], config: Config, cwd: Path) -> list[Unit]:
    units = []
    for index, repo in enumerate(repos):
        key = repo
        units.append(Unit(key, f"{index:05d}-{_file_name(Path(repo).name)}", scan_unit,
                          ScanUnitSpec(repo, config, str(cwd))))
    return units


def account_of(role_arn: str | None) -> str | None:
    match = _ACCOUNT_IN_ARN.match(role_arn or "")
    return match.group(1) if match else None


def audit_units(options: Any, config: Config) -> tuple[list[Unit], list[str]]:
    """One unit per (account, region), and the accounts that could not be listed (their errors).

    The account id comes from the role ARN, so building the list costs no call; only the profile's own
    account (no role) and `--all-regions` (the enabled regions differ per account) ask AWS, once per account,
    from the driver."""
    from faasguard.audit import _regions, _session
    from faasguard.audit._aws import CallLog

    home = options.regions[0] if options.regions else (os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    units: list[Unit] = []
    errors: list[str] = []
    for target in options.targets:
        account = account_of(target.role_arn)
        regions = list(options.regions) or [home]
        if account is None or options.all_regions:
            try:
                session = _session(options, target, home)
                if account is None:
                    account = str(session.client("sts", region_name=home, endpoint_url=options.endpoint_url)
                                  .get_caller_identity()["Account"])
                regions = _regions(session, options, home, CallLog())
            except Exception as exc:
                errors.append(f"account {target.role_arn or 'default credentials'} skipped: "
                              f"{type(exc).__name__}: {exc}")
                continue
        for region in regions:
            key = f"{account}/{region}"
            unit_options = replace(options, targets=(target,), regions=(region,), all_regions=False)
            units.append(Unit(key, f"{account}-{region}.json", audit_unit,
                              AuditUnitSpec(unit_options, config, account, region), account))
    return units, errors
