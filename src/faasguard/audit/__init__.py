"""`faasguard audit`: live AWS accounts read into the same model, through the same pipeline as `scan`.

An audit is a list of independent *units*, one per (account, region). Each unit is collected
(`_collect.collect`), then analysed by `pipeline.analyse` (enrich → rules → filter) exactly as a scanned
template is; with `--units-dir` each finished unit writes its own JSON v1 result and is recorded in a
manifest there, so `--resume` continues an interrupted organisation-wide run without redoing a finished unit.
A unit that fails (region unreachable, role not assumable) is a diagnostic; the other units still run.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from faasguard.audit._aws import Api, CallLog, UnitUnreachable
from faasguard.audit._collect import UnitSpec, calls_made, collect
from faasguard.config import Config
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, EvidenceStep, Finding, internal_error
from faasguard.model import CodeLocation, Location, Role
from faasguard.result import ScanResult

__all__ = ["AccountTarget", "AuditError", "AuditOptions", "AuditRun", "print_policy", "run_audit"]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class AuditError(Exception):
    """A usage-level problem (no credentials, bad accounts file): exit code 2."""


@dataclass(frozen=True)
class AccountTarget:
    """One account to audit: the profile's own (no role) or one reached through AssumeRole."""

    role_arn: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class AuditOptions:
    targets: tuple[AccountTarget, ...] = (AccountTarget(),)
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    profile: str | None = None
    endpoint_url: str | None = None
    functions: tuple[str, ...] = ()
    with_code: bool = False
    units_dir: Path | None = None
    resume: bool = False
    workers: int = 8
    compare: Path | None = None
    """`--compare PATH`: infrastructure-as-code to report drift against (FG113, FG211, FG315, FG606)."""
    cloudtrail_days: int = 0
    """`--cloudtrail-days N`: add N days of CloudTrail LookupEvents usage to least privilege (0: off)."""


@dataclass
class AuditRun:
    result: ScanResult
    calls: CallLog
    units_done: list[tuple[str, str]] = field(default_factory=list)
    units_skipped: list[tuple[str, str]] = field(default_factory=list)
    functions: int = 0
    seconds: float = 0.0


def load_accounts(path: Path) -> tuple[AccountTarget, ...]:
    """`--accounts FILE`: one role ARN per line (`ARN [EXTERNAL_ID]`, `#` comments), or a JSON list of
    `{"role_arn": ..., "external_id": ...}`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuditError(f"cannot read accounts file {path}: {exc.strerror or exc}") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise AuditError(f"accounts file {path} is not valid JSON: {exc}") from None
        targets = [AccountTarget(str(r["role_arn"]), r.get("external_id")) for r in rows
                   if isinstance(r, Mapping) and r.get("role_arn")]
    else:
        targets = []
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split()
            if fields:
                targets.append(AccountTarget(fields[0], fields[1] if len(fields) > 1 else None))
    if not targets:
        raise AuditError(f"accounts file {path} names no role ARN")
    return tuple(targets)


@functools.cache
def _shared_loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


def _botocore_session() -> Any:
    """A botocore session sharing this process's one data loader: a fresh one re-parses endpoints.json and
    every service model (~1 s of a unit's ~1.5 s on moto), and an org-wide run makes a session per unit."""
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("data_loader", _shared_loader())
    return session


def _session(options: AuditOptions, target: AccountTarget, region: str) -> Any:
    import boto3

    base = boto3.Session(profile_name=options.profile, region_name=region, botocore_session=_botocore_session())
    if target.role_arn is None:
        return base
    sts = base.client("sts", region_name=region, endpoint_url=options.endpoint_url)
    kwargs: dict[str, Any] = {"RoleArn": target.role_arn, "RoleSessionName": "faasguard-audit"}
    if target.external_id:
        kwargs["ExternalId"] = target.external_id
    creds = sts.assume_role(**kwargs)["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region,
                         botocore_session=_botocore_session())


def _regions(session: Any, options: AuditOptions, home: str, log_: CallLog) -> list[str]:
    if not options.all_regions:
        return list(options.regions) or [home]
    log_.add("ec2", "DescribeRegions")
    ec2 = session.client("ec2", region_name=home, endpoint_url=options.endpoint_url)
    # AllRegions=False lists only the regions enabled for the account: no waiting on timeouts in the others
    regions = ec2.describe_regions(AllRegions=False)["Regions"]
    return sorted(str(r["RegionName"]) for r in regions
                  if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in")


def _manifest(units_dir: Path | None) -> dict[str, Any]:
    if units_dir is None or not (units_dir / MANIFEST).is_file():
        return {"version": 1, "units": {}}
    try:
        data: dict[str, Any] = json.loads((units_dir / MANIFEST).read_text(encoding="utf-8"))
    except ValueError:
        return {"version": 1, "units": {}}
    data.setdefault("units", {})
    return data


def _write_manifest(units_dir: Path, manifest: Mapping[str, Any]) -> None:
    tmp = units_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, units_dir / MANIFEST)  # atomic: a kill never leaves half a manifest


def run_audit(options: AuditOptions, config: Config,
              progress: Callable[[str, int, int], None] | None = None) -> AuditRun:
    """Audit every unit; the merged result holds the units run now (a resumed unit's result is its file)."""
    started = time.perf_counter()
    calls = CallLog()
    run = AuditRun(ScanResult(), calls)
    manifest: dict[str, Any] = _manifest(options.units_dir) if options.resume else {"version": 1, "units": {}}
    finished: dict[str, dict[str, Any]] = manifest["units"]
    if options.units_dir is not None:
        options.units_dir.mkdir(parents=True, exist_ok=True)
    home = options.regions[0] if options.regions else (os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    declared = _declared(options.compare, config, run.result.diagnostics) if options.compare else None
    for target in options.targets:
        label = target.role_arn or "default credentials"
        try:
            session = _session(options, target, home)
            calls.add("sts", "GetCallerIdentity")
            account = str(session.client("sts", region_name=home, endpoint_url=options.endpoint_url)
                          .get_caller_identity()["Account"])
            regions = _regions(session, options, home, calls)
        except Exception as exc:
            from botocore.exceptions import NoCredentialsError

            if isinstance(exc, NoCredentialsError) and len(options.targets) == 1:
                raise AuditError("no AWS credentials found (use --profile or the usual AWS_* variables)") from None
            run.result.diagnostics.append(Diagnostic(
                DiagnosticKind.UNRESOLVED, f"account {label} skipped: {type(exc).__name__}: {exc}",
                Location(label), DiagnosticLevel.ERROR, "audit"))
            continue
        roles: dict[str, Role] = {}
        for region in regions:
            key = f"{account}/{region}"
            if key in finished:
                run.units_skipped.append((account, region))
                run.result.diagnostics.append(Diagnostic(
                    DiagnosticKind.INFO, f"unit {key} finished in an earlier run (--resume); its result is "
                    f"{finished[key].get('file')}", Location(f"arn:aws:::{account}:{region}"),
                    DiagnosticLevel.NOTE, "audit"))
                continue
            if progress:
                progress(key, len(run.units_done), len(regions))
            unit = _run_unit(session if region == home else _session(options, target, region),
                             UnitSpec(account, region, options.functions, options.workers), options, config,
                             calls, roles, declared)
            run.functions += sum(len(a.functions) for a in unit.apps)
            _merge(run.result, unit)
            run.units_done.append((account, region))
            if options.units_dir is not None:
                from faasguard.report import render

                name = f"{account}-{region}.json"
                render(unit, "json", str(options.units_dir / name), config)
                finished[key] = {"file": name, "findings": len(unit.findings),
                                          "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                _write_manifest(options.units_dir, manifest)
    run.result.diagnostics = list(dict.fromkeys(run.result.diagnostics))
    run.seconds = time.perf_counter() - started
    run.result.timings["total"] = run.seconds
    return run


def _merge(into: ScanResult, unit: ScanResult) -> None:
    offset = len(into.apps)
    into.apps.extend(unit.apps)
    into.facts.update({offset + k: v for k, v in unit.facts.items()})
    # a finding on something global to the account (an IAM role) comes once from each region that uses it
    seen = {(f.fingerprint, f.location, f.message, f.function) for f in into.findings}
    into.findings.extend(f for f in unit.findings if (f.fingerprint, f.location, f.message, f.function) not in seen)
    into.diagnostics.extend(unit.diagnostics)
    into.rules = unit.rules or into.rules


def _declared(path: Path, config: Config, diagnostics: list[Diagnostic]) -> ScanResult:
    """The infrastructure-as-code `--compare` names, through the same loaders as `scan` (loaded once for every
    unit); a path with nothing to load is a usage error rather than an audit that silently finds no drift."""
    from faasguard import pipeline

    declared = pipeline.load_sources([str(path)], config)
    if not declared.apps:
        raise AuditError(f"--compare {path}: no infrastructure-as-code found to compare with")
    diagnostics.extend(d for d in declared.diagnostics if d.level is not DiagnosticLevel.NOTE)
    return declared


def _run_unit(session: Any, spec: UnitSpec, options: AuditOptions, config: Config, calls: CallLog,  # noqa: PLR0917
              roles: dict[str, Role], declared: ScanResult | None = None) -> ScanResult:
    from faasguard import pipeline

    if options.compare is not None:  # drift matches functions by their CloudFormation tags
        spec = replace(spec, tags=True)
    result = ScanResult()
    where = Location(f"arn:aws:::{spec.account}:{spec.region}", logical_id=f"{spec.account}/{spec.region}")
    api = Api(session, spec.region, options.endpoint_url, calls, max_pool=max(10, options.workers))
    workdir = Path(tempfile.mkdtemp(prefix="faasguard-audit-")) if options.with_code else None
    packages: dict[str, str] = {}
    try:
        fetcher = _code_fetcher(workdir, api, packages, result.diagnostics) if workdir else None
        try:
            app, diagnostics = collect(api, spec, fetcher, roles)
        except UnitUnreachable as exc:
            result.diagnostics.append(Diagnostic(DiagnosticKind.UNRESOLVED, f"unit {spec.account}/{spec.region} "
                                                 f"skipped: {exc}", where, DiagnosticLevel.ERROR, "audit"))
            return result
        except Exception as exc:
            result.diagnostics.append(internal_error("audit collector", where.path, exc))
            log.debug("collector crashed", exc_info=True)
            return result
        result.apps.append(app)
        result.diagnostics.extend(diagnostics)
        extra: dict[str, Any] = {}
        if options.cloudtrail_days > 0:
            from faasguard.audit._trail import lookup_records, observed

            trail_diagnostics: list[Diagnostic] = []
            records = lookup_records(api, options.cloudtrail_days, trail_diagnostics, where)
            extra["observed_needs"] = observed(app, records, options.cloudtrail_days)
            result.diagnostics.extend(trail_diagnostics)
        if declared is not None and options.compare is not None:
            from faasguard.analysis.drift import compare

            extra["drift"], drift_diagnostics = compare(declared.apps, app, str(options.compare))
            result.diagnostics.extend(drift_diagnostics)
        pipeline.analyse(result, config, relocate=_relocator(packages), extra_facts=extra)
        result.diagnostics = [_relocate_diagnostic(d, packages) for d in result.diagnostics]
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def _code_fetcher(workdir: Path, api: Api, packages: dict[str, str],
                  diagnostics: list[Diagnostic]) -> Callable[[Mapping[str, Any], str], CodeLocation | None]:
    from botocore.exceptions import BotoCoreError, ClientError

    from faasguard.audit._code import UnsafeArchive, download, handler_file, s3_object, unpack

    lock = threading.Lock()

    def fetch(config: Mapping[str, Any], location: str) -> CodeLocation | None:
        name = str(config["FunctionName"])
        arn = str(config.get("FunctionArn") or name)
        dest = workdir / name
        try:
            url = location
            s3 = s3_object(location) if api.endpoint_url else None
            if s3 is not None:
                url = api.client("s3").generate_presigned_url(
                    "get_object", Params={"Bucket": s3[0], "Key": s3[1]}, ExpiresIn=600)
            unpack(download(url), dest)
        except (UnsafeArchive, OSError, ValueError, ClientError, BotoCoreError) as exc:
            with lock:
                diagnostics.append(Diagnostic(
                    DiagnosticKind.PARSE_ERROR, f"deployment package of {name} not analysed: {exc}",
                    Location(arn, logical_id=name), DiagnosticLevel.WARNING, "audit"))
            shutil.rmtree(dest, ignore_errors=True)
            return None
        with lock:
            packages[str(dest)] = arn
        handler = config.get("Handler")
        path, function = handler_file(dest, handler if isinstance(handler, str) else None,
                                      str(config.get("Runtime") or ""))
        return CodeLocation(str(dest), path, function, handler, "Zip")

    return fetch


def _relocate_path(path: str, packages: Mapping[str, str]) -> str:
    for directory, arn in packages.items():
        if path == directory or path.startswith(directory + os.sep):
            return f"{arn}/{os.path.relpath(path, directory)}" if path != directory else arn
        rel = os.path.relpath(directory)
        if path == rel or path.startswith(rel + os.sep):
            return f"{arn}/{os.path.relpath(path, rel)}" if path != rel else arn
    return path


def _relocator(packages: Mapping[str, str]) -> Callable[[Finding], Finding]:
    """Code findings point into the temporary package directory; reports name the function's ARN instead
    (`arn:...:function:name/app.py`), which is stable across runs, so fingerprints and baselines are too."""

    def move(location: Location) -> Location:
        new = _relocate_path(location.path, packages)
        return location if new == location.path else replace(location, path=new)

    def relocate(finding: Finding) -> Finding:
        if not packages:
            return finding
        evidence = tuple(EvidenceStep(_relocate_text(s.description, packages), move(s.location))
                         for s in finding.evidence)
        moved = replace(finding, location=move(finding.location), evidence=evidence,
                        message=_relocate_text(finding.message, packages))
        return replace(moved, fingerprint=moved.compute_fingerprint())

    return relocate


def _relocate_diagnostic(diagnostic: Diagnostic, packages: Mapping[str, str]) -> Diagnostic:
    if not packages:
        return diagnostic
    if diagnostic.location is None:
        return replace(diagnostic, message=_relocate_text(diagnostic.message, packages))
    path = _relocate_path(diagnostic.location.path, packages)
    return replace(diagnostic, location=replace(diagnostic.location, path=path),
                   message=_relocate_text(diagnostic.message, packages))


def _relocate_text(text: str, packages: Mapping[str, str]) -> str:
    for directory, arn in packages.items():
        text = text.replace(directory, arn).replace(os.path.relpath(directory), arn)
    return text


def print_policy() -> dict[str, object]:
    """The read-only IAM policy the audit needs, generated by the IAM engine from the calls the collector
    makes (`_collect.calls_made`), each mapped to its IAM action as for handler code."""
    from faasguard.analysis.iam.facts import Need
    from faasguard.analysis.iam.least_privilege import generate
    from faasguard.audit._aws import missing_permission

    needs: list[Need] = []
    for service, operation in calls_made():
        if (service, operation) == ("sts", "GetCallerIdentity"):
            continue  # needs no permission
        for action in missing_permission(service, operation).split(", "):
            needs.append(Need(action, "*", f"{service}.{operation}", origin="platform"))
    document = generate(needs).document
    statements = document.get("Statement")
    if isinstance(statements, list):
        for statement in statements:
            if isinstance(statement, dict):
                statement["Sid"] = "FaasguardAuditReadOnly"
    return document


def calls_per_function(run: AuditRun) -> float:
    return run.calls.total / run.functions if run.functions else float(run.calls.total)


def describe(run: AuditRun) -> Sequence[str]:
    return [f"{len(run.units_done)} unit(s) audited, {len(run.units_skipped)} resumed, {run.functions} function(s), "
            f"{run.calls.total} API calls in {run.seconds:.1f} s"]
