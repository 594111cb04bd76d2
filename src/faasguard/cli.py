"""The command line (DESIGN.md "Commands", a contract): parse options, call the pipeline, pick the exit code.

Sub-commands other than `scan` and `rules` live in their own modules under `faasguard.commands` and are
imported only when invoked, which keeps `faasguard --version` and the pre-commit hook fast.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from faasguard import __version__

if TYPE_CHECKING:
    from faasguard.config import Config

SEVERITIES = ("info", "low", "medium", "high", "critical")
"""`faasguard.findings.Severity`'s values, spelled here so that `--version` and `--help` import no model
(importing the model's dataclasses costs ~0.1 s; a test keeps the two lists equal)."""
REPORT_FORMATS = ("console", "concise", "json", "sarif", "html", "github", "junit", "gitlab")
"""The same list as `faasguard.report.FORMATS` (kept here so that `--help` imports no reporter)."""

LAZY_COMMANDS: dict[str, str] = {
    "policy": "faasguard.commands.policy:policy",
    "audit": "faasguard.commands.audit:audit",
    "guard": "faasguard.commands.guard:guard",
    "db": "faasguard.commands.db:db",
    "cache": "faasguard.commands.cache:cache",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        available = [name for name, target in LAZY_COMMANDS.items() if _module_exists(target)]
        return sorted([*super().list_commands(ctx), *available])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and _module_exists(LAZY_COMMANDS[cmd_name]):
            module_name, attr = LAZY_COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)


def _module_exists(target: str) -> bool:
    import importlib.util

    module_name = target.split(":", maxsplit=1)[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="faasguard")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """faasguard: find and fix security problems in serverless applications."""
    from faasguard.escape import tolerant_streams

    tolerant_streams()
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO, stream=sys.stderr,
                            format="%(levelname)s %(name)s: %(message)s")


def run() -> None:
    """The program's entry point (`faasguard`, `python -m faasguard`): `main`, then a cheap exit.

    Once the command has finished (its report written and flushed by then), the whole heap -- templates,
    syntax trees, the model, the IAM catalog -- is moved out of the garbage collector's reach with
    `gc.freeze()`, so that interpreter shutdown does not traverse and free it object by object (~0.3 s after
    a scan of 500 templates, a fifth of the run); the OS reclaims the memory at once. Exit code, output and
    atexit handlers are unchanged. Tests and library users call `main` itself, which never freezes: a frozen
    heap would outlive the command in their process.
    """
    try:
        main(prog_name="faasguard")
    finally:
        import gc

        gc.freeze()


class SeverityType(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A severity name, case-insensitive (`--fail-on HIGH`); a misspelling exits 2 naming the nearest one."""

    name = "severity"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(SEVERITIES) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from faasguard.config import nearest

        text = str(value).strip().lower()
        if text in SEVERITIES:
            return text
        return self.fail(f"unknown severity {value!r}{nearest(text, SEVERITIES, 'severities')}", param, ctx)


def common_report_options(func: Any) -> Any:
    """Options shared by `scan` and `audit` (DESIGN.md)."""
    options = [
        click.option("--format", "output_format", type=click.Choice(list(REPORT_FORMATS)),
                     default="console", show_default=True,
                     help="Report format: console (people), concise (one line per finding, for editors), json, "
                          "sarif (GitHub code scanning), github (workflow annotations), junit, gitlab (GitLab "
                          "SAST report)."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
                     help="Write the report to FILE instead of stdout (`-` is stdout)."),
        click.option("--exclude", multiple=True, metavar="PATTERN",
                     help="Skip paths matching this gitignore pattern (`src/`, `**/tests/`, `*.gen.yaml`), "
                          "in addition to `exclude` in the config. Repeatable."),
        click.option("--statistics", is_flag=True, default=None,
                     help="Print how many findings each rule reported instead of the findings (console, concise)."),
        click.option("--select", help="Only these rules (ids or prefixes, comma-separated: FG101,FG2)."),
        click.option("--ignore", help="Skip these rules (ids or prefixes, comma-separated)."),
        click.option("--severity", type=SeverityType(), help="Minimum severity to report [low]."),
        click.option("--fail-on", type=SeverityType(),
                     help="Exit 1 when a finding at or above this severity is reported [low]."),
        click.option("--baseline", type=click.Path(dir_okay=False),
                     help="Hide findings recorded in this baseline file."),
        click.option("--write-baseline", type=click.Path(dir_okay=False),
                     help="Record the current findings as the baseline in FILE, print how many, and exit 0 "
                          "without a report."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="Config file (default: [tool.faasguard] in pyproject.toml, or .faasguard.toml)."),
        click.option("--strict", is_flag=True, default=None,
                     help="Fail the run (exit 3) when the scan is incomplete: an input failed to parse, advisory "
                          "data was missing, unreachable or never consulted; unused or expired suppressions "
                          "fail it too (exit 1)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _csv(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def build_config(paths: tuple[str, ...], config_path: str | None, **options: Any) -> Config:
    """The file configuration overridden by the command line; every rule selector in either is checked against
    the catalog (ConfigError naming the option or file and the nearest rule)."""
    from faasguard.config import load_config
    from faasguard.filtering import check_rule_selectors
    from faasguard.findings import Severity

    search_from = Path(paths[0]) if paths else Path.cwd()
    if not search_from.exists():
        search_from = Path.cwd()
    config = load_config(Path(config_path) if config_path else None, search_from=search_from)
    source = config.source or "the configuration"
    for key in ("select", "ignore", "unsuppressible"):
        check_rule_selectors(getattr(config, key), f"{source}: {key}")
        if options.get(key):
            check_rule_selectors(_csv(options[key]) or (), f"--{key}")
    return config.with_options(
        select=_csv(options.get("select")), ignore=_csv(options.get("ignore")),
        severity=Severity(options["severity"]) if options.get("severity") else None,
        fail_on=Severity(options["fail_on"]) if options.get("fail_on") else None,
        baseline=options.get("baseline"), strict=options.get("strict"),
        online=options.get("online"), resolve_env=options.get("resolve_env"),
        advisories=_csv(options.get("advisories")),
        images=tuple(options["image"]) if options.get("image") else None,
        exclude=(*config.exclude, *options["exclude"]) if options.get("exclude") else None,
        statistics=options.get("statistics"),
    )


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@common_report_options
@click.option("--advisories", help="Offline OSV advisory data (directories or zips, comma-separated).")
@click.option("--online", is_flag=True, default=None, help="Query the OSV API for dependency advisories.")
@click.option("--image", multiple=True, metavar="[NAME=]PATH",
              help="A container image to inventory (docker save tarball, OCI layout directory or OCI archive); "
                   "NAME binds it to a function or container id, else it binds by its tags. Repeatable.")
@click.option("--allow-empty", is_flag=True,
              help="Exit 0 instead of 3 when no source is found at all (pre-commit runs that only touch unrelated "
                   "files); sources that fail to parse still exit 3.")
@click.option("--resolve-env", is_flag=True, default=None,
              help="Resolve ${env:...} in Serverless configs (never done by default: reports must not leak "
                   "the CI machine's environment).")
@click.option("--repos", "repos_file", type=click.Path(dir_okay=False, exists=True),
              help="Many repositories: one checkout directory per line, each scanned as one unit, one merged report.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="", default=None, metavar="[ADDRESS]",
              help="With --repos: run the units as Ray tasks, on a local in-process cluster or the running cluster "
                   "at ADDRESS (`pip install 'faasguard[ray]'`).")
@click.option("--jobs", type=click.IntRange(1, 1024), default=None,
              help="Processes to use [auto: the usable CPUs when the scan is big enough; 1 = serial]. With "
                   "--repos: units in parallel (a local process pool without --ray) [CPU count].")
@click.option("--units-dir", type=click.Path(file_okay=False),
              help="With --repos: where each unit's JSON report and the manifest go [faasguard-units].")
@click.option("--resume", is_flag=True, help="With --repos: skip the units the manifest lists as finished.")
@click.option("--no-cache", is_flag=True,
              help="Neither replay nor store the result in the scan cache (also: FAASGUARD_NO_CACHE=1).")
def scan(paths: tuple[str, ...], output_format: str, output: str | None, write_baseline: str | None,  # noqa: PLR0917
         config_path: str | None, repos_file: str | None, ray_address: str | None, jobs: int | None,
         units_dir: str | None, resume: bool, **options: Any) -> None:
    """Scan serverless applications under PATH (default: the current directory)."""
    if repos_file or ray_address is not None or units_dir or resume:
        options.pop("no_cache", None)
        sys.exit(_scan_repos(paths, repos_file, output_format, output, write_baseline, config_path, ray_address,
                             jobs, units_dir, resume, options))
    paths = paths or (".",)
    if output == "-":
        output = None
    from faasguard.cache import distrust_if_inside

    distrust_if_inside([Path(p).resolve() for p in paths])
    keys = None if options.get("no_cache") or write_baseline \
        else _cache_key(paths, config_path, output_format, output, options)
    key = keys[0] if keys is not None else None
    if key is not None:
        from faasguard import scan_cache

        entry = scan_cache.read_entry(key)
        if entry is not None:
            _replay(entry["payload"], output)
    units = _units(keys[1], output) if keys is not None and _units_wanted(keys[1]) else None
    # the configuration is read inside the recording: the config file is an input of the cached result like
    # any other, and a replay needs neither it nor the rule catalog that checks its selectors
    with _recording(key is not None, output) as recorder:
        report, code, message, config = _scan(paths, config_path, output_format, output,
                                               write_baseline=write_baseline, options=options, jobs=jobs,
                                               units=units)
    if recorder is not None and code != _INTERNAL_ERROR and not config.online and not config.resolve_env:
        from faasguard.scan_cache import manifest, write_entry

        recorded = manifest(recorder)
        if key is not None and recorded is not None:
            write_entry(key, recorded, {"report": report, "exit": int(code), "message": message})
    if units is not None and units.stored:
        units.prune()
    from faasguard.config import ConfigError
    from faasguard.report import emit

    try:
        emit(report, output)
    except ConfigError as exc:
        click.echo(f"faasguard: {exc}", err=True)
        sys.exit(_USAGE)
    if message:
        click.echo(message, err=True)
    sys.exit(code)


_USAGE = 2
_INTERNAL_ERROR = 4
"""`faasguard.findings.ExitCode.USAGE` and `INTERNAL_ERROR` (a test keeps them equal): a replayed scan imports
neither the findings nor the model."""


def _scan(paths: tuple[str, ...], config_path: str | None, output_format: str, output: str | None, *,
          write_baseline: str | None, options: dict[str, Any], jobs: int | None = None, units: Any = None
          ) -> tuple[Any, int, str | None, Config]:
    """Configure, scan and prepare the report: (report, exit code, stderr message, configuration). Exits 2 on
    a configuration error, as `--write-baseline` exits after writing the baseline."""
    from faasguard import pipeline
    from faasguard.config import ConfigError
    from faasguard.report import prepare

    try:
        config = build_config(paths, config_path, **options)
        if write_baseline and config.baseline and not Path(config.baseline).exists() \
                and Path(config.baseline).resolve() == Path(write_baseline).resolve():
            # First run of `--baseline F --write-baseline F` (or `baseline = F` in the config): nothing to read.
            from dataclasses import replace

            config = replace(config, baseline=None)
        if config.online or config.resolve_env:
            units = None  # the configuration asks for the network or the environment: not files
        result = pipeline.scan(paths, config, progress=_progress_callback(output_format, output), jobs=jobs,
                               units=units)
        if write_baseline:
            _write_baseline(result, Path(write_baseline))
        report = prepare(result, output_format, config)
    except ConfigError as exc:
        click.echo(f"faasguard: {exc}", err=True)
        sys.exit(_USAGE)
    code, message = _outcome(result, config, output_format, output, bool(options.get("allow_empty")))
    return report, code, message, config


def _outcome(result: Any, config: Config, output_format: str, output: str | None,
             allow_empty: bool) -> tuple[int, str | None]:
    """The exit code of a finished scan and the message that goes with it on stderr, if any."""
    from faasguard.findings import DiagnosticKind, ExitCode, exit_code

    if result.nothing_loaded and not any(f.suppression is None for f in result.findings) \
            and not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics):
        if allow_empty and not result.sources:
            return ExitCode.OK, None
        message = "faasguard: nothing to scan was found (or nothing could be parsed)" \
            if output_format == "console" or output else None
        return ExitCode.NOTHING_TO_SCAN, message
    return exit_code(result.findings, result.diagnostics, config.fail_on, config.strict), None


def _cache_key(paths: tuple[str, ...], config_path: str | None, output_format: str, output: str | None,
               options: dict[str, Any]) -> tuple[str, str] | None:
    """The scan cache key of this run and the base of its units' keys (the same without the report's form),
    or None when the run must not use the cache: asked not to, a run that reads the network or the
    environment, or a cache directory inside a scanned path (it could arrive with the code under review). The
    command line is the key; the files it leads to (the config among them) are the entry's manifest."""
    import datetime
    import hashlib
    import os

    from faasguard import scan_cache
    from faasguard.escape import environment_secrets

    if scan_cache.disabled_by_environment() or options.get("online") or options.get("resolve_env"):
        return None
    roots = [Path(p).resolve() for p in paths]
    if scan_cache.inside(scan_cache.scan_cache_dir(), roots):
        return None
    masked = hashlib.sha256("\0".join(environment_secrets(os.environ, set())).encode()).hexdigest()
    parts: dict[str, Any] = {
        "paths": list(paths), "roots": [str(r) for r in roots], "cwd": os.getcwd(), "config": config_path,
        "options": sorted(options.items()), "date": datetime.date.today().isoformat(), "masked": masked,
        "env": sorted((k, v) for k, v in os.environ.items() if k.startswith("FAASGUARD_")),
    }
    units = scan_cache.entry_key({**parts, "units": True})
    return scan_cache.entry_key({**parts, "format": output_format, "to_file": output is not None}), units


def _units_wanted(base: str) -> bool:
    from faasguard.unit_cache import wanted

    return wanted(base)


def _units(base: str, output: str | None) -> Any:
    """The unit cache of this run (`faasguard.unit_cache`): what an earlier scan of a partly changed tree
    may still give."""
    from faasguard.cache import cache_dir
    from faasguard.scan_cache import excluded_prefixes
    from faasguard.unit_cache import UnitCache

    return UnitCache(base, excluded_prefixes(), (str(cache_dir()),), output)


def _recording(active: bool, output: str | None) -> Any:
    import contextlib

    if not active:
        return contextlib.nullcontext()
    from faasguard.cache import cache_dir
    from faasguard.scan_cache import excluded_prefixes, recording

    return recording(excluded_prefixes(), own=(str(cache_dir()),), report=output)


def _replay(payload: dict[str, Any], output: str | None) -> None:
    """A cached run's report and outcome, as the run itself gave them."""
    report = payload["report"]
    if "lines" in report:
        from faasguard.report import emit

        emit(report, output)  # laid out for this terminal
    elif output:
        try:
            Path(output).write_text(report["text"], encoding="utf-8")
        except OSError as exc:
            click.echo(f"faasguard: cannot write report to {output}: {exc.strerror or exc}", err=True)
            sys.exit(_USAGE)
    else:
        from faasguard.escape import write_document

        write_document(report["text"])
    if payload.get("message"):
        click.echo(payload["message"], err=True)
    sys.exit(payload["exit"])


def _scan_repos(paths: tuple[str, ...], repos_file: str | None, output_format: str,  # noqa: PLR0917
                output: str | None, write_baseline: str | None, config_path: str | None, ray_address: str | None,
                jobs: int | None, units_dir: str | None, resume: bool, options: dict[str, Any]) -> int:
    """`scan --repos FILE`: each checkout is one unit of `faasguard.fleet`, run in parallel, merged."""
    import os

    from faasguard.config import ConfigError
    from faasguard.findings import ExitCode
    from faasguard.fleet import FleetError, FleetOptions

    if not repos_file or paths:
        click.echo("faasguard: --ray, --units-dir and --resume go with --repos FILE (and no PATH)", err=True)
        return ExitCode.USAGE
    try:
        from faasguard.fleet._cli import DEFAULT_UNITS_DIR, run_and_report
        from faasguard.fleet._work import load_repos, scan_units

        config = build_config((), config_path, **options)
        units = scan_units(load_repos(Path(repos_file)), config, Path.cwd())
        fleet_options = FleetOptions(units_dir=Path(units_dir or DEFAULT_UNITS_DIR), resume=resume,
                                     backend="ray" if ray_address is not None else "processes",
                                     jobs=jobs or os.cpu_count() or 1, ray_address=ray_address or None,
                                     retries=0)
        return run_and_report(units, fleet_options, config, output_format, output, write_baseline)
    except (ConfigError, FleetError) as exc:
        click.echo(f"faasguard: {exc}", err=True)
        return ExitCode.USAGE


def _write_baseline(result: Any, path: Path) -> None:
    """`--write-baseline`: record the findings, say how many, and end the run without a report.

    Exit 0: recording debt is not a gate. Two exceptions keep a broken run from producing a baseline that
    silently hides less than it should later: a component that crashed (4) and nothing found to scan (3)."""
    from faasguard.filtering import write_baseline as write
    from faasguard.findings import DiagnosticKind, ExitCode

    count = write(path, result.findings)
    click.echo(f"faasguard: wrote {count} baseline entr{'y' if count == 1 else 'ies'} to {path}", err=True)
    if any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics):
        click.echo("faasguard: a component crashed during the scan; the baseline may be incomplete", err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)
    if result.nothing_loaded:
        click.echo("faasguard: nothing to scan was found (or nothing could be parsed)", err=True)
        sys.exit(ExitCode.NOTHING_TO_SCAN)
    sys.exit(ExitCode.OK)


def _progress_callback(output_format: str, output: str | None) -> Any:
    """A progress bar only for a person at a terminal: never in CI, never when the report is piped."""
    import os

    if os.environ.get("CI") or not sys.stderr.isatty() or (output_format != "console" and not output):
        return None

    def progress(name: str, index: int, total: int) -> None:
        if total > 5:
            from faasguard.escape import console_text  # a file name from the pull request: no raw control bytes

            sys.stderr.write(f"\r\x1b[2Kscanning {index + 1}/{total}: {console_text(name)[-60:]}")
            if index + 1 == total:
                sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()

    return progress


@main.group()
def rules() -> None:
    """The rule catalog."""


@rules.command("list")
@click.option("--format", "output_format", type=click.Choice(["console", "json", "markdown"]), default="console",
              help="markdown: the whole catalog with every rule's documentation (docs/rules.md is made this way).")
def rules_list(output_format: str) -> None:
    """List every rule with its default severity."""
    from faasguard.rules import all_rules

    metas = [r.meta() for r in all_rules()]
    if output_format == "markdown":
        click.echo(rules_markdown(metas), nl=False)
        return
    if output_format == "json":
        import json

        click.echo(json.dumps([{"id": m.id, "name": m.name, "severity": m.severity.value,
                                "confidence": m.confidence.value, "summary": m.summary, "cwe": m.cwe,
                                "owasp": m.owasp, "status": m.status.value} for m in metas], indent=2))
        return
    for m in metas:
        click.echo(f"{m.id}  {m.name:<34} {m.severity.value:<8} {m.summary}")


def rules_markdown(metas: list[Any]) -> str:
    """The rule catalog as one Markdown page: an index table, then each rule's docs (headings shifted down)."""
    lines = ["# faasguard rules", "", "Generated by `faasguard rules list --format markdown`; do not edit by hand.",
             "", "| id | name | severity | summary |", "|---|---|---|---|"]
    lines += [f"| [{m.id}](#{m.id.lower()}-{m.name}) | {m.name} | {m.severity.value} | {m.summary} |" for m in metas]
    for m in metas:
        tags = ", ".join(t for t in (m.cwe, m.owasp, m.checklist) if t)
        lines += ["", f"## {m.id} {m.name}", "", m.summary, "",
                  f"Default severity: {m.severity.value}. Confidence: {m.confidence.value}. Status: {m.status.value}."
                  + (f" Tags: {tags}." if tags else ""), ""]
        lines += [("#" + line) if line.startswith("## ") else line for line in m.docs.splitlines()]
    return "\n".join(lines) + "\n"


@rules.command("explain")
@click.argument("rule_id")
def rules_explain(rule_id: str) -> None:
    """Print a rule's documentation."""
    from faasguard.findings import ExitCode
    from faasguard.rules import rule_meta

    meta = rule_meta(rule_id)
    if meta is None:
        click.echo(f"faasguard: no rule {rule_id!r} (see `faasguard rules list`)", err=True)
        sys.exit(ExitCode.USAGE)
    header = [f"# {meta.id} {meta.name}", "", meta.summary, "",
              f"Severity: {meta.severity.value} (default)  Confidence: {meta.confidence.value}  "
              f"Status: {meta.status.value}"]
    tags = [t for t in (meta.cwe, meta.owasp, meta.checklist) if t]
    if tags:
        header.append("Tags: " + ", ".join(tags))
    click.echo("\n".join(header) + "\n\n" + meta.docs)


if __name__ == "__main__":  # pragma: no cover
    main()
