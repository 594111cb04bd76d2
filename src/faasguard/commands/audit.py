"""`faasguard audit`: the scan's model, rules and reports on live AWS accounts (see `faasguard.audit`).

Credentials come only from the command line (`--profile`, `--role-arn`, `--accounts`) or the job's AWS
environment, never from a configuration file; nothing about them reaches a report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from faasguard.cli import build_config, common_report_options
from faasguard.config import ConfigError
from faasguard.findings import ExitCode, exit_code


@click.command()
@common_report_options
@click.option("--profile", help="AWS profile of the credentials to start from.")
@click.option("--region", "regions", multiple=True, help="Region to audit (repeatable; default: the profile's).")
@click.option("--all-regions", is_flag=True, help="Every region enabled for the account.")
@click.option("--role-arn", help="Assume this role first (the account to audit).")
@click.option("--external-id", help="External id for --role-arn.")
@click.option("--accounts", "accounts_file", type=click.Path(dir_okay=False, exists=True),
              help="Many accounts: one role ARN per line (`ARN [EXTERNAL_ID]`), each assumed in turn.")
@click.option("--function", "functions", multiple=True, help="Only this function (name or ARN; repeatable).")
@click.option("--with-code", is_flag=True,
              help="Download each function's package and run the code and dependency analysis on it.")
@click.option("--endpoint-url", help="Send every AWS call to this endpoint (moto, LocalStack).")
@click.option("--units-dir", type=click.Path(file_okay=False),
              help="Write each (account, region) unit's JSON result and a manifest of finished units here.")
@click.option("--resume", is_flag=True, help="Skip the units --units-dir's manifest lists as finished.")
@click.option("--workers", type=click.IntRange(1, 32), default=8, show_default=True,
              help="Concurrent per-function API calls in a unit.")
@click.option("--compare", "compare", type=click.Path(exists=True),
              help="Report drift against the infrastructure-as-code at this path (FG113, FG211, FG315, FG606).")
@click.option("--cloudtrail-days", type=click.IntRange(0, 90), default=0,
              help="Add N days of CloudTrail LookupEvents usage by each role to least privilege (FG107).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="", default=None, metavar="[ADDRESS]",
              help="Run the (account, region) units as Ray tasks: on a local in-process cluster, or on the running "
                   "cluster at ADDRESS (needs `pip install 'faasguard[ray]'`).")
@click.option("--jobs", type=click.IntRange(1, 1024), default=None,
              help="Units in parallel (a local thread pool without --ray) [4 with --ray or --accounts].")
@click.option("--per-account", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Units of one account in parallel (IAM throttles per account).")
@click.option("--print-policy", is_flag=True, help="Print the read-only IAM policy the audit needs, and exit.")
@click.option("--advisories", help="Offline OSV advisory data (directories or zips, comma-separated).")
@click.option("--online", is_flag=True, default=None, help="Query the OSV API for dependency advisories.")
def audit(output_format: str, output: str | None, write_baseline: str | None, config_path: str | None,  # noqa: PLR0917
          profile: str | None, regions: tuple[str, ...], all_regions: bool, role_arn: str | None,
          external_id: str | None, accounts_file: str | None, functions: tuple[str, ...], with_code: bool,
          endpoint_url: str | None, units_dir: str | None, resume: bool, workers: int, compare: str | None,
          cloudtrail_days: int, ray_address: str | None, jobs: int | None, per_account: int, print_policy: bool,
          **options: Any) -> None:
    """Audit live AWS accounts: Lambda functions, their roles, triggers and (--with-code) deployed code."""
    from faasguard.audit import AccountTarget, AuditError, AuditOptions, load_accounts, run_audit
    from faasguard.audit import print_policy as policy
    from faasguard.fleet import FleetError

    if print_policy:
        click.echo(json.dumps(policy(), indent=2))
        return
    fleet = ray_address is not None or jobs is not None
    if resume and not units_dir and not fleet:
        click.echo("faasguard: --resume needs --units-dir (where the manifest of finished units is)", err=True)
        sys.exit(ExitCode.USAGE)
    if external_id and not role_arn:
        click.echo("faasguard: --external-id needs --role-arn", err=True)
        sys.exit(ExitCode.USAGE)
    try:
        config = build_config((), config_path, **options)
        targets = load_accounts(Path(accounts_file)) if accounts_file else (AccountTarget(role_arn, external_id),)
        audit_options = AuditOptions(
            targets=targets, regions=regions, all_regions=all_regions, profile=profile, endpoint_url=endpoint_url,
            functions=functions, with_code=with_code, units_dir=Path(units_dir) if units_dir else None,
            resume=resume, workers=workers, compare=Path(compare) if compare else None,
            cloudtrail_days=cloudtrail_days)
        if fleet:
            sys.exit(_fleet(audit_options, config, output_format, output, write_baseline, ray_address,
                            jobs or 4, per_account))
        run = run_audit(audit_options, config)
        if write_baseline:
            from faasguard.filtering import write_baseline as write

            write(Path(write_baseline), run.result.findings)
        from faasguard.report import render

        render(run.result, output_format, output, config)
    except (ConfigError, AuditError, FleetError) as exc:
        click.echo(f"faasguard: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    if not run.units_done and not run.units_skipped:
        click.echo("faasguard: no account or region could be audited", err=True)
        sys.exit(ExitCode.NOTHING_TO_SCAN)
    sys.exit(exit_code(run.result.findings, run.result.diagnostics, config.fail_on, config.strict))


def _fleet(options: Any, config: Any, output_format: str, output: str | None,  # noqa: PLR0917
           write_baseline: str | None, ray_address: str | None, jobs: int, per_account: int) -> int:
    """The org-wide path (`faasguard.fleet`): one unit per (account, region), run in parallel, merged."""
    from faasguard.fleet import FleetOptions
    from faasguard.fleet._cli import DEFAULT_UNITS_DIR, run_and_report
    from faasguard.fleet._work import audit_units

    units, skipped = audit_units(options, config)
    fleet_options = FleetOptions(units_dir=options.units_dir or Path(DEFAULT_UNITS_DIR), resume=options.resume,
                                 backend="ray" if ray_address is not None else "threads", jobs=jobs,
                                 ray_address=ray_address or None, per_account=per_account)
    return run_and_report(units, fleet_options, config, output_format, output, write_baseline, skipped)
