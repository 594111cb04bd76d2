"""`faasguard policy generate|diff`: least-privilege policies from code (and CloudTrail), declared vs needed.

`generate` prints the minimal IAM policy for one function (JSON by default; `--format sam|terraform` prints
the snippet to paste) and lists every `*` or fallback resource with its reason on stderr. `diff` shows, per
function, what its role grants that nothing needs (FG107) and what it needs but lacks (FG108), for shared
roles each sharer's needs and their union; `--format patch` prints a unified diff of the template that
`git apply` accepts in the scanned directory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, NoReturn

import click

from faasguard.escape import console_text
from faasguard.findings import ExitCode


def _echo(message: str, err: bool = False) -> None:
    """Human-readable output: function ids, notes and diagnostics come from the scanned tree, so every control
    character is escaped before it reaches a terminal (JSON output is escaped by the JSON encoder)."""
    click.echo(console_text(message), err=err)


def _load(path: str) -> tuple[list[Any], list[Any]]:
    """(applications, facts) for PATH: load and enrich, no rules."""
    from faasguard import pipeline
    from faasguard.config import ConfigError, load_config

    try:
        config = load_config(None, search_from=Path(path))
    except ConfigError as exc:
        _echo(f"faasguard: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    loaded = pipeline.load_sources([path], config)
    if not loaded.apps:
        _echo("faasguard: nothing to scan was found (or nothing could be parsed)", err=True)
        sys.exit(ExitCode.NOTHING_TO_SCAN)
    facts = [pipeline.enrich(app, config, loaded.diagnostics) for app in loaded.apps]
    for d in loaded.diagnostics:
        if d.kind.value in ("internal-error", "parse-error"):
            _echo(f"faasguard: {d.kind.value}: {d.message}", err=True)
    return loaded.apps, facts


@click.group()
def policy() -> None:
    """Least-privilege IAM policies from what the code does."""


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value}") from exc


@policy.command()
@click.argument("path", type=click.Path(exists=True), required=False)
@click.option("--function", "function_name", required=True,
              help="Function logical id, name or address (with --from-account: the deployed name or ARN).")
@click.option("--cloudtrail", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="CloudTrail JSON (Records files, lookup-events output, guard learn-mode output).")
@click.option("--since", help="Only CloudTrail events at or after this ISO 8601 time.")
@click.option("--until", help="Only CloudTrail events at or before this ISO 8601 time.")
@click.option("--format", "output_format", type=click.Choice(["json", "sam", "terraform"]), default="json",
              show_default=True)
@click.option("--from-account", is_flag=True,
              help="Read the deployed function, its role and its downloaded code from AWS instead of PATH.")
@click.option("--profile", help="--from-account: AWS profile of the credentials to start from.")
@click.option("--region", help="--from-account: the function's region (default: the profile's).")
@click.option("--role-arn", help="--from-account: assume this role first (the account to read).")
@click.option("--external-id", help="--from-account: external id for --role-arn.")
@click.option("--endpoint-url", help="--from-account: send every AWS call to this endpoint (moto, LocalStack).")
@click.option("--cloudtrail-days", type=click.IntRange(0, 90), default=0,
              help="--from-account: add N days of CloudTrail LookupEvents usage by the function's role.")
def generate(path: str | None, function_name: str, cloudtrail: tuple[str, ...], since: str | None,  # noqa: PLR0917
             until: str | None, output_format: str, from_account: bool, profile: str | None, region: str | None,
             role_arn: str | None, external_id: str | None, endpoint_url: str | None, cloudtrail_days: int) -> None:
    """Print the least-privilege policy for one function of PATH (or, with --from-account, of a live account)."""
    from faasguard.analysis.iam.cloudtrail import Identity, observed_needs, read_records
    from faasguard.analysis.iam.least_privilege import generate as gen

    account_options = {"--profile": profile, "--region": region, "--role-arn": role_arn,
                       "--external-id": external_id, "--endpoint-url": endpoint_url,
                       "--cloudtrail-days": cloudtrail_days or None}
    if from_account:
        if path is not None:
            _usage("--from-account reads the function from AWS: give no PATH")
        if external_id and not role_arn:
            _usage("--external-id needs --role-arn")
        found = _live_function(function_name, profile, region, role_arn, external_id, endpoint_url,
                               cloudtrail_days)
    else:
        given = [name for name, value in account_options.items() if value]
        if given:
            _usage(f"{', '.join(given)} only apply with --from-account")
        if path is None:
            _usage("give a PATH to scan, or --from-account to read the function from AWS")
        found = _scanned_function(path, function_name)
    app, f, fn = found
    iam = f.iam
    fn_needs = iam.needs.get(fn.id) if iam else None
    needs = list(fn_needs.needs) if fn_needs else []
    if fn_needs is not None and not fn_needs.code_analyzed:
        _echo(f"note: the handler code of {fn.id} was not analysed; the policy holds only what the "
                   "platform needs for its configuration", err=True)
    for u in fn_needs.unmapped if fn_needs else ():
        _echo(f"note: call not mapped to IAM actions (add it by hand): {u}", err=True)
    if cloudtrail:
        problems: list[str] = []
        role = app.role(fn.role)
        role_names = [r for r in ((role.name if role and isinstance(role.name, str) else None),
                                  fn.role if isinstance(fn.role, str) else None) if r]
        who = Identity(tuple(role_names), tuple(n for n in (fn.id, fn.name if isinstance(fn.name, str) else None)
                                                 if n))
        for file in cloudtrail:
            records = read_records(Path(file), problems)
            needs.extend(observed_needs(records, who, _parse_time(since), _parse_time(until), file))
        for p in problems:
            _echo(f"warning: {p}", err=True)
    declared = iam.role_of(fn.id) if iam else None
    result = gen(needs, declared)
    if from_account:
        _concrete(result.document, fn)
    for note in result.notes:
        _echo(f"note: {note}", err=True)
    statements = result.document["Statement"]
    assert isinstance(statements, list)
    for warning in size_warnings(result.document):
        click.echo(f"warning: {warning}", err=True)
    if output_format == "json":
        click.echo(json.dumps(result.document, indent=2))
    elif output_format == "sam":
        from faasguard.analysis.iam.patch import yaml_statements

        lines = ["Policies:", '  - Version: "2012-10-17"', "    Statement:", *yaml_statements(statements, 6)]
        click.echo("\n".join(lines))
    else:
        click.echo(_terraform(fn.id, statements))


def _usage(message: str) -> NoReturn:
    _echo(f"faasguard: {message}", err=True)
    sys.exit(ExitCode.USAGE)


def _scanned_function(path: str, function_name: str) -> tuple[Any, Any, Any]:
    """(application, facts, function) of PATH for `--function`; a usage error naming the functions there."""
    apps, facts = _load(path)
    for app, f in zip(apps, facts, strict=True):
        for fn in app.functions:
            if function_name in (fn.id, fn.name if isinstance(fn.name, str) else None):
                return app, f, fn
    names = sorted(fn.id for app in apps for fn in app.functions)
    _usage(f"no function {function_name!r}; functions: {', '.join(names) or '(none)'}")


def _live_function(function_name: str, profile: str | None, region: str | None,  # noqa: PLR0917
                   role_arn: str | None, external_id: str | None, endpoint_url: str | None,
                   cloudtrail_days: int) -> tuple[Any, Any, Any]:
    """(application, facts, function) of one deployed function, read by the audit's collector with its code
    (`--with-code`), so the needs are the deployed code's, plus CloudTrail usage when asked. What the audit
    could not read (a refused call, a package it would not unpack) is printed: the policy is then only as
    complete as what was read, and says so instead of looking complete."""
    from faasguard.audit import AccountTarget, AuditError, AuditOptions, run_audit
    from faasguard.config import Config
    from faasguard.findings import DiagnosticLevel

    options = AuditOptions(targets=(AccountTarget(role_arn, external_id),), regions=(region,) if region else (),
                           profile=profile, endpoint_url=endpoint_url, functions=(function_name,), with_code=True,
                           workers=1, cloudtrail_days=cloudtrail_days)
    try:
        run = run_audit(options, Config(select=("FG107",)))
    except AuditError as exc:
        _usage(str(exc))
    for d in run.result.diagnostics:
        if d.level is not DiagnosticLevel.NOTE or "LookupEvents" in d.message:
            _echo(f"{d.level.value}: {d.message}", err=True)
    if not run.units_done:
        _echo("faasguard: the account could not be read", err=True)
        sys.exit(ExitCode.NOTHING_TO_SCAN)
    for index, app in enumerate(run.result.apps):
        if app.functions:
            return app, run.result.facts[index], app.functions[0]
    where = ", ".join(f"{account}/{unit_region}" for account, unit_region in run.units_done)
    _usage(f"no function {function_name!r} in {where}")


def _concrete(document: dict[str, Any], fn: Any) -> None:
    """A deployed function's policy names its own partition, region and account, which the function's ARN
    gives, instead of the template placeholders (`${AWS::Region}`...) a policy for a template keeps."""
    arn = fn.location.path.split(":")
    if len(arn) < 7 or arn[0] != "arn":
        return
    values = {"${AWS::Partition}": arn[1], "${AWS::Region}": arn[3], "${AWS::AccountId}": arn[4],
              f"${{{fn.id}}}": str(fn.name if isinstance(fn.name, str) else fn.id)}
    for statement in document.get("Statement") or ():
        resources = statement.get("Resource")
        if isinstance(resources, list):
            for index, resource in enumerate(resources):
                text = resource
                for placeholder, value in values.items():
                    text = text.replace(placeholder, value)
                resources[index] = text


IAM_SIZE_LIMITS = (("an inline role policy (all inline policies of a role together)", 10_240),
                   ("a managed policy", 6_144))
"""IAM's quotas on policy size, in characters, whitespace not counted (AWS IAM quotas documentation)."""


def size_warnings(document: dict[str, Any]) -> list[str]:
    """One warning per IAM size limit the policy exceeds: IAM would reject it at deploy time, long after the
    policy was reviewed. Measured as IAM does, without whitespace."""
    size = len(json.dumps(document, separators=(",", ":")))
    return [f"the generated policy is {size:,} characters (whitespace not counted), over IAM's {limit:,}-character "
            f"limit for {what}; split it or use wildcards on resource prefixes" for what, limit in IAM_SIZE_LIMITS
            if size > limit]


def _terraform(name: str, statements: list[dict[str, Any]]) -> str:
    import re

    def tf(value: str) -> str:
        value = value.replace("${AWS::Partition}", "${data.aws_partition.current.partition}")
        value = value.replace("${AWS::Region}", "${data.aws_region.current.name}")
        value = value.replace("${AWS::AccountId}", "${data.aws_caller_identity.current.account_id}")
        value = re.sub(r"\$\{([A-Za-z0-9_]+)\.Arn\}", r"${\1.arn}", value)
        return json.dumps(value)

    ident = re.sub(r"[^A-Za-z0-9_]", "_", name).lower()
    out = [f'data "aws_iam_policy_document" "{ident}" {{']
    for st in statements:
        out += ["  statement {", '    effect    = "Allow"',
                f"    actions   = [{', '.join(json.dumps(a) for a in st['Action'])}]",
                f"    resources = [{', '.join(tf(r) for r in st['Resource'])}]", "  }"]
    out.append("}")
    return "\n".join(out)


@policy.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(["console", "json", "patch"]), default="console",
              show_default=True)
def diff(path: str, output_format: str) -> None:
    """Per function: declared vs needed permissions; `--format patch` prints the template change."""
    from faasguard.pipeline import _collector_paused

    with _collector_paused():  # as in `scan`: the collector's passes over a large heap grow with its size
        _diff(path, output_format)


def _diff(path: str, output_format: str) -> None:
    apps, facts = _load(path)
    if output_format == "patch":
        from faasguard.analysis.iam.patch import build_patch

        scanned = Path(path) if Path(path).is_dir() else Path(path).parent
        for app, f in zip(apps, facts, strict=True):
            if f.iam is None:
                continue
            result = build_patch(app, f.iam, scanned, Path.cwd())
            for note in result.notes:
                _echo(f"note: {note}", err=True)
            from faasguard.escape import write_document

            for text in result.diffs.values():
                write_document(text)
        return
    roles: dict[str, _RoleView] = {}
    report = (_function_report(app, f.iam, fn.id, roles) for app, f in zip(apps, facts, strict=True) if f.iam
              for fn in app.functions)
    if output_format == "json":
        _write_json_report(report)
        return
    for item in report:
        _echo(f"{item['function']}  (role {item['role'] or '?'}"
                   + (f", shared with {', '.join(item['shared_with'])}" if item["shared_with"] else "") + ")")
        if not item["code_analyzed"]:
            _echo("  handler code not analysed: only platform needs are known")
        _echo("  needs:   " + (", ".join(item["needed"]) or "(nothing)"))
        if item["unused"]:
            _echo("  unused:  " + ", ".join(item["unused"]) + "   [FG107]")
        if item["missing"]:
            _echo("  missing: " + ", ".join(item["missing"]) + "   [FG108]")
        if item["shared_with"]:
            _echo("  union of the sharers' needs: " + (", ".join(item["union"]) or "(nothing)"))


def _write_json_report(report: Iterable[dict[str, Any]]) -> None:
    """Write `{"version": 1, "functions": [...]}` as `json.dumps(..., indent=2)` does, one function at a time.

    Each function of a shared role lists every other sharer, so the document grows with the square of a
    role's functions (a 5,000-function Serverless service: ~450 MB): built whole and encoded by json's
    pure-Python indenting encoder it took minutes and gigabytes. Here each function is encoded and written
    before the next one is built, and a list of strings is one join of the C string encoder."""
    out = sys.stdout
    out.write('{\n  "version": 1,\n  "functions": [')
    first = True
    for item in report:
        out.write("\n    " if first else ",\n    ")
        out.write(_indented(item, 2))
        first = False
    out.write("]\n}\n" if first else "\n  ]\n}\n")


def _indented(value: Any, level: int) -> str:
    """`json.dumps(value, indent=2)` of a value nested `level` deep in the document (dicts with string keys,
    lists, strings, booleans, integers, None: what `_function_report` returns)."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        body = ("," + inner).join(f"{encode_basestring_ascii(k)}: {_indented(v, level + 1)}"
                                  for k, v in value.items())
        return "{" + inner + body + "\n" + "  " * level + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = "\n" + "  " * (level + 1)
        try:  # the C encoder rejects anything but a string: then element by element
            body = ("," + inner).join(map(encode_basestring_ascii, value))
        except TypeError:
            body = ("," + inner).join(_indented(v, level + 1) for v in value)
        return "[" + inner + body + "\n" + "  " * level + "]"
    return json.dumps(value)


class _RoleView:
    """What the diff shows alike for every function of one role: the union of its functions' needs and the
    granted patterns no function of the role needs. Computed once per role, not once per sharer (which is
    quadratic in a role's functions)."""

    def __init__(self, ra: Any, iam: Any) -> None:
        self.ra = ra
        self.iam = iam
        self.functions: list[str] = list(ra.functions)
        self._position = {f: i for i, f in enumerate(self.functions)}
        self.union = sorted({a for f in ra.functions if iam.needs.get(f) for a in iam.needs[f].actions()})
        self._unused: list[str] | None = None

    def sharers(self, fid: str) -> list[str]:
        """The role's functions but `fid`, in order. Each function of an n-function role lists the n - 1
        others: slicing around its position keeps that copy in C."""
        index = self._position.get(fid)
        if index is None or len(self._position) != len(self.functions):  # not a function of it, or repeated
            return [f for f in self.functions if f != fid]
        return self.functions[:index] + self.functions[index + 1 :]

    def unused(self) -> list[str]:
        if self._unused is None:
            from faasguard.analysis.iam.catalog import get_catalog
            from faasguard.analysis.iam.facts import action_matches

            cat = get_catalog()
            found: list[str] = []
            for g in self.ra.allows:
                if g.execution_policy or g.not_actions is not None:
                    continue
                for pattern in g.actions:
                    if cat.expand(pattern) and not any(action_matches(pattern, a) for a in self.union):
                        found.append(pattern)
            self._unused = sorted(set(found))
        return self._unused


def _function_report(app: Any, iam: Any, fid: str, roles: dict[str, _RoleView] | None = None) -> dict[str, Any]:
    """One function's entry of the diff. `roles` keeps each role's shared part (`_RoleView`) for the
    functions after the first: one per call when not given."""
    from faasguard.analysis.iam.least_privilege import need_covered

    fn_needs = iam.needs.get(fid)
    ra = iam.role_of(fid)
    needed = sorted(fn_needs.actions()) if fn_needs else []
    view: _RoleView | None = None
    if ra is not None:
        roles = {} if roles is None else roles
        view = roles.get(ra.role.id)
        if view is None or view.ra is not ra:
            view = roles[ra.role.id] = _RoleView(ra, iam)
    sharers = view.sharers(fid) if view is not None else []
    union = list(view.union) if view is not None else []
    unused: list[str] = []
    missing: list[str] = []
    if view is not None and fn_needs is not None and fn_needs.code_analyzed:
        unused = list(view.unused())
        for n in fn_needs.needs:
            if need_covered(ra, n, app) is False:
                missing.append(f"{n.action} on {n.resource}")
    return {"function": fid, "role": ra.role.id if ra else None, "shared_with": sharers,
            "code_analyzed": bool(fn_needs and fn_needs.code_analyzed), "needed": needed,
            "unused": unused, "missing": sorted(set(missing)), "union": union}
