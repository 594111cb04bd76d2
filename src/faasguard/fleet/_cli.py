"""The part of `faasguard audit --accounts/--ray` and `faasguard scan --repos` after the units are known:
run them, print progress, write the merged report, pick the exit code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from faasguard.config import Config, ConfigError
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, ExitCode, exit_code
from faasguard.fleet import FleetOptions, FleetRun, Unit, run_units
from faasguard.model import Location

DEFAULT_UNITS_DIR = "faasguard-units"


def run_and_report(units: Sequence[Unit], options: FleetOptions, config: Config, output_format: str,  # noqa: PLR0917
                   output: str | None, write_baseline: str | None, skipped: Sequence[str] = ()) -> int:
    from faasguard.fleet._merge import merge_documents, result_from_documents
    from faasguard.fleet._progress import progress_printer
    from faasguard.report.json_report import diagnostic_dict

    hook, close = progress_printer("units")
    try:
        run = run_units(units, options, hook)
    finally:
        close()
    extra = [Diagnostic(DiagnosticKind.UNRESOLVED, message, Location(message.split(" skipped", 1)[0]),
                        DiagnosticLevel.ERROR, "fleet") for message in skipped]
    extra += [Diagnostic(DiagnosticKind.UNRESOLVED, f"unit {key} failed: {error}; --resume retries it",
                         Location(key), DiagnosticLevel.ERROR, "fleet") for key, error in sorted(run.failed.items())]
    click.echo(describe(run, len(units)), err=True)
    result = result_from_documents(run.documents, config, extra, run.seconds)
    if write_baseline:
        from faasguard.filtering import write_baseline as write

        write(Path(write_baseline), result.findings)
    if output == "-":
        output = None
    if output_format == "json":
        from faasguard.escape import json_document_safe

        merged = merge_documents(run.documents, [diagnostic_dict(d) for d in extra], run.seconds)
        text = json_document_safe(json.dumps(merged, indent=2 if len(merged["findings"]) <= 500 else None,
                                             ensure_ascii=False)) + "\n"
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot write report to {output}: {exc.strerror or exc}") from None
        else:
            from faasguard.escape import write_document

            write_document(text)
    else:
        from faasguard.report import render

        render(result, output_format, output, config)
    if not run.documents:
        click.echo("faasguard: no unit finished", err=True)
        return ExitCode.NOTHING_TO_SCAN
    return exit_code(result.findings, result.diagnostics, config.fail_on, config.strict)


def describe(run: FleetRun, total: int) -> str:
    ran = len(run.done_now)
    rate = ran / run.seconds if run.seconds else 0.0
    return (f"faasguard: {total} unit(s): {ran} run now, {len(run.resumed)} resumed, {len(run.failed)} failed, "
            f"in {run.seconds:.1f} s ({rate:.2f} units/s)")
