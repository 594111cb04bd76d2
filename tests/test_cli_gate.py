"""The CI gate through `faasguard scan` (issue 16, "Never pass by mistake").

Each way a scan can check less than it was asked -- an input that does not parse, advisory data that is missing,
unreachable or absent for an ecosystem -- is a warning under the console summary, and exit 3 under `--strict`.
Rule selectors and severities that name nothing exit 2 with the nearest valid name. The apps are written as real
files and go through the real loaders; the OSV endpoint is a closed local port, never the internet.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from faasguard.cli import main
from faasguard.findings import ExitCode

FIXTURES = Path(__file__).parent / "fixtures"
NPM_ADVISORIES = FIXTURES / "deps" / "advisories"

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Timeout: 10
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faasguard.analysis import deps

    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FAASGUARD_OSV_API_URL", "http://127.0.0.1:9/closed")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    deps._sources.cache_clear()


def scan(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)


def write_app(root: Path, *, broken: bool = False, npm: bool = False) -> Path:
    app = root / "app"
    (app / "src").mkdir(parents=True)
    (app / "template.yaml").write_text(TEMPLATE)
    (app / "src" / "app.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    if broken:
        (app / "other").mkdir()
        (app / "other" / "template.yaml").write_text("Resources:\n  Broken: [\n")
    if npm:
        (app / "src" / "package.json").write_text(json.dumps({"name": "x", "version": "1.0.0",
                                                              "dependencies": {"lodash": "4.17.20"}}))
        (app / "src" / "package-lock.json").write_text(json.dumps({
            "name": "x", "version": "1.0.0", "lockfileVersion": 3,
            "packages": {"": {"name": "x", "dependencies": {"lodash": "4.17.20"}},
                         "node_modules/lodash": {"version": "4.17.20"}}}))
    return app


def warnings_of(result: Result) -> list[str]:
    """The summary's warnings, each unwrapped (the console wraps at 80 columns with a hanging indent)."""
    found: list[str] = []
    continued = False
    for line in result.stdout.splitlines():
        if line.startswith("warning: "):
            found.append(line)
            continued = True
        elif continued and line.startswith("  ") and line.strip():
            found[-1] += " " + line.strip()
        else:
            continued = False
    return found


# ------------------------------------------------------------------------------ --strict: incomplete scans

def test_complete_scan_has_no_warning_and_passes_strict(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    result = scan(str(app), "--strict")
    assert warnings_of(result) == []
    assert result.exit_code == ExitCode.OK


def test_parse_error_is_a_summary_warning_and_fails_strict(tmp_path: Path) -> None:
    app = write_app(tmp_path, broken=True)
    result = scan(str(app))
    assert result.exit_code == ExitCode.OK
    assert warnings_of(result) == [
        "warning: 1 input(s) failed to parse and were not checked (see Diagnostics; --strict fails the run)"]
    assert scan(str(app), "--strict").exit_code == ExitCode.NOTHING_TO_SCAN == 3


def test_missing_advisories_path_fails_strict(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    result = scan(str(app), "--advisories", str(tmp_path / "nowhere"))
    assert result.exit_code == ExitCode.OK
    assert "warning: 1 advisory source(s) given do not exist" in result.stdout
    assert scan(str(app), "--advisories", str(tmp_path / "nowhere"), "--strict").exit_code == 3
    # an existing one is fine
    assert scan(str(app), "--advisories", str(NPM_ADVISORIES), "--strict").exit_code == ExitCode.OK


def test_unreachable_online_service_fails_strict(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    (app / "src" / "requirements.txt").write_text("requests==2.31.0\n")
    result = scan(str(app), "--online")
    assert "warning: the online advisory lookup failed" in result.stdout
    assert "127.0.0.1:9" in result.stdout  # the diagnostic says which service
    assert result.exit_code == ExitCode.OK
    assert scan(str(app), "--online", "--strict").exit_code == 3


def test_unchecked_dependencies_fail_strict(tmp_path: Path) -> None:
    """npm packages with only the shipped (PyPI) snapshot: not checked, which is not clean."""
    app = write_app(tmp_path, npm=True)
    result = scan(str(app))
    assert "warning: dependencies were not checked for known vulnerabilities" in result.stdout
    assert scan(str(app), "--strict").exit_code == 3
    with_data = scan(str(app), "--strict", "--advisories", str(NPM_ADVISORIES), "--format", "json")
    assert with_data.exit_code == ExitCode.FINDINGS  # lodash 4.17.20 is vulnerable in the fixture data
    assert {f["rule_id"] for f in json.loads(with_data.stdout)["findings"]} >= {"FG601"}


def test_internal_error_still_wins_over_incomplete() -> None:
    from faasguard.findings import Diagnostic, DiagnosticKind, Severity, exit_code

    diagnostics = [Diagnostic(DiagnosticKind.PARSE_ERROR, "bad"), Diagnostic(DiagnosticKind.INTERNAL_ERROR, "x")]
    assert exit_code([], diagnostics, Severity.LOW, strict=True) is ExitCode.INTERNAL_ERROR
    assert exit_code([], diagnostics[:1], Severity.LOW, strict=True) is ExitCode.NOTHING_TO_SCAN
    assert exit_code([], diagnostics[:1], Severity.LOW, strict=False) is ExitCode.OK


# ------------------------------------------------------------------------------ selectors and severities

@pytest.mark.parametrize(("args", "message"), [
    (("--select", "FG8"), "--select: unknown rule id, prefix or name `FG8`"),
    (("--select", "FG101,FG10l"), "--select: unknown rule id, prefix or name `FG10l`; did you mean `FG101`?"),
    (("--ignore", "shared-execution-rol"),
     "--ignore: unknown rule id, prefix or name `shared-execution-rol`; did you mean `shared-execution-role`?"),
])
def test_unknown_rule_selector_exits_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = scan(str(write_app(tmp_path)), *args)
    assert result.exit_code == ExitCode.USAGE
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("selector", ["fg1", "FG", "FG104", "shared-execution-role", "FG1,FG2"])
def test_valid_rule_selectors_are_accepted(tmp_path: Path, selector: str) -> None:
    assert scan(str(write_app(tmp_path)), "--select", selector).exit_code == ExitCode.OK


def test_unknown_unsuppressible_in_config_names_the_file(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    (app / ".faasguard.toml").write_text('unsuppressible = ["FG1O1"]\n')
    result = scan(str(app))
    assert result.exit_code == ExitCode.USAGE
    assert ".faasguard.toml: unsuppressible: unknown rule id, prefix or name `FG1O1`; did you mean `FG101`?" \
        in result.stderr


def test_severity_names_are_case_insensitive(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    (app / "src" / "app.py").write_text("def handler(event, context):\n    return eval(event['body'])\n")
    assert scan(str(app), "--fail-on", "HIGH").exit_code == ExitCode.FINDINGS
    assert scan(str(app), "--fail-on", "Critical", "--severity", "Info").exit_code == ExitCode.FINDINGS
    (app / ".faasguard.toml").write_text('fail_on = "CRITICAL"\nseverity = "Medium"\n')
    assert scan(str(app)).exit_code == ExitCode.FINDINGS


def test_unknown_severity_exits_2_with_nearest(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    result = scan(str(app), "--fail-on", "hgh")
    assert result.exit_code == ExitCode.USAGE
    assert "unknown severity 'hgh'; did you mean `high`?" in result.stderr
    (app / ".faasguard.toml").write_text('severity = "meduim"\n')
    result = scan(str(app))
    assert result.exit_code == ExitCode.USAGE
    assert "severity must be one of info, low, medium, high, critical, not 'meduim'; did you mean `medium`?" \
        in result.stderr


# ------------------------------------------------------------------------------ output and baselines

def test_dash_output_is_stdout(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    result = scan(str(app), "--format", "json", "-o", "-")
    assert json.loads(result.stdout)["version"] == 1
    assert not (tmp_path / "-").exists()
    console = scan(str(app), "--output", "-")
    assert "No findings" in console.stdout
    assert not (tmp_path / "-").exists()


def test_write_baseline_prints_count_and_no_report(tmp_path: Path) -> None:
    app = tmp_path / "report-app"
    shutil.copytree(FIXTURES / "report" / "sam-app", app)
    result = scan(str(app), "--write-baseline", str(tmp_path / "b.json"))
    entries = json.loads((tmp_path / "b.json").read_text())["findings"]
    assert len(entries) > 1
    assert result.exit_code == ExitCode.OK
    assert result.stdout == ""
    assert f"wrote {len(entries)} baseline entries to {tmp_path / 'b.json'}" in result.stderr
    again = scan(str(app), "--baseline", str(tmp_path / "b.json"))
    assert again.exit_code == ExitCode.OK
    assert f"No findings, {len(entries)} suppressed" in again.stdout


def test_write_baseline_of_nothing_exits_3(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = scan(str(tmp_path / "empty"), "--write-baseline", str(tmp_path / "b.json"))
    assert result.exit_code == ExitCode.NOTHING_TO_SCAN
    assert "wrote 0 baseline entries" in result.stderr
