"""End to end through `faasguard scan` on a small SAM app (tests/fixtures/report/sam-app): a finding appears,
a suppression hides it (kept in JSON/SARIF), and it comes back when the suppression is not acceptable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from faasguard.cli import main

APP = Path(__file__).parent.parent / "fixtures" / "report" / "sam-app"
SLOT = "# SUPPRESSION-SLOT"
SECRET_LINE = 38
ROLE_LINE = 6


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(APP, tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path / "app"


def edit(app: Path, old: str, new: str) -> None:
    template = app / "template.yaml"
    text = template.read_text()
    assert old in text
    template.write_text(text.replace(old, new))


def scan(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)


def scan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = scan("template.yaml", "src/app.py", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def only(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    (finding,) = [f for f in document["findings"] if f["rule_id"] == rule_id]
    return finding


def suppression_diagnostics(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in document["diagnostics"] if d["kind"] == "suppression"]


def test_findings_without_suppressions(app: Path) -> None:
    code, document = scan_json()
    assert code == 1
    secret = only(document, "FG201")
    assert (secret["resource"], secret["location"]["line"], secret["suppression"]) == \
        ("ThumbnailFunction", SECRET_LINE, None)
    shared = only(document, "FG104")
    assert (shared["resource"], shared["location"]["line"]) == ("ThumbnailRole", ROLE_LINE)
    assert suppression_diagnostics(document) == []


def test_comment_suppresses_and_the_finding_is_kept(app: Path) -> None:
    edit(app, SLOT, "# faasguard: ignore[FG201] -- dummy value for the local stack, never deployed")
    code, document = scan_json("--select", "FG201")
    assert code == 0
    secret = only(document, "FG201")
    assert secret["suppression"]["kind"] == "inSource"
    assert secret["suppression"]["justification"] == "dummy value for the local stack, never deployed"
    assert document["summary"]["findings"] == 0
    assert document["summary"]["suppressed"] == 1
    # Console: not shown, counted.
    console = scan("template.yaml", "--select", "FG201")
    assert console.exit_code == 0
    assert "DB_PASSWORD" not in console.stdout
    assert "1 suppressed" in console.stdout


@pytest.mark.parametrize(("comment", "problem"), [
    ("# faasguard: ignore[FG201]", "has no reason"),
    ("# faasguard: ignore[FG201] until=2020-01-31 -- until the vault migration", "expired on 2020-01-31"),
])
def test_finding_reappears_when_the_comment_is_not_acceptable(app: Path, comment: str, problem: str) -> None:
    edit(app, SLOT, comment)
    code, document = scan_json("--select", "FG201")
    assert code == 1
    assert only(document, "FG201")["suppression"] is None
    (diagnostic,) = suppression_diagnostics(document)
    assert problem in diagnostic["message"]
    assert diagnostic["location"]["line"] == SECRET_LINE


def test_metadata_suppression(app: Path) -> None:
    edit(app, "  ThumbnailRole:\n    Type: AWS::IAM::Role\n",
         "  ThumbnailRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      faasguard:\n        ignore:\n"
         "          - id: FG104\n            reason: both functions read the same bucket prefix\n")
    code, document = scan_json("--select", "FG104")
    assert code == 0
    assert only(document, "FG104")["suppression"]["justification"] == "both functions read the same bucket prefix"


def test_metadata_suppression_without_reason_is_not_honoured(app: Path) -> None:
    edit(app, "  ThumbnailRole:\n    Type: AWS::IAM::Role\n",
         "  ThumbnailRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      faasguard:\n        ignore:\n"
         "          - id: FG104\n")
    code, document = scan_json("--select", "FG104")
    assert code == 1
    assert only(document, "FG104")["suppression"] is None
    assert "has no reason" in suppression_diagnostics(document)[0]["message"]


def test_central_ignore_and_unsuppressible(app: Path) -> None:
    (app / ".faasguard.toml").write_text(
        'unsuppressible = ["FG201"]\n\n'
        '[[ignore]]\nrule = "FG104"\nresource = "ThumbnailRole"\nreason = "SEC-42: accepted until the split"\n')
    edit(app, SLOT, "# faasguard: ignore[FG201] -- please")
    code, document = scan_json("--select", "FG104,FG201")
    assert code == 1
    assert only(document, "FG104")["suppression"]["kind"] == "external"
    assert only(document, "FG201")["suppression"] is None
    (diagnostic,) = suppression_diagnostics(document)
    assert "FG201 cannot be suppressed" in diagnostic["message"]


def test_unused_suppression_fails_under_strict(app: Path) -> None:
    edit(app, SLOT, "# faasguard: ignore[FG101] -- no wildcard here anyway")
    code, document = scan_json("--select", "FG101")
    assert code == 0
    assert "unused suppression comment for FG101" in suppression_diagnostics(document)[0]["message"]
    code, _ = scan_json("--select", "FG101", "--strict")
    assert code == 1


def test_baseline_write_then_read(app: Path) -> None:
    written = scan("template.yaml", "src/app.py", "--write-baseline", "baseline.json", "--format", "json")
    assert written.exit_code == 0  # recording debt is not a gate
    assert written.stdout == ""  # and prints no report
    baseline = json.loads((app / "baseline.json").read_text())
    assert f"wrote {len(baseline['findings'])} baseline entries to baseline.json" in written.stderr
    assert baseline["version"] == 1
    assert {e["rule_id"] for e in baseline["findings"]} >= {"FG104", "FG201"}

    code, document = scan_json("--baseline", "baseline.json")
    assert code == 0
    assert all(f["suppression"] == {"kind": "external", "justification": "baseline", "until": None,
                                    "location": f["suppression"]["location"]} for f in document["findings"])

    # A new problem is reported despite the baseline.
    edit(app, "          BUCKET: thumbnails-bucket\n",
         "          BUCKET: thumbnails-bucket\n          API_TOKEN: ghp_0123456789abcdefghijABCDEFGHIJklmnopqr\n")
    code, document = scan_json("--baseline", "baseline.json", "--select", "FG201")
    assert code == 1
    (new,) = [f for f in document["findings"] if f["suppression"] is None]
    assert "API_TOKEN" in new["message"]


def test_first_baseline_run_with_the_same_file(app: Path) -> None:
    result = scan("template.yaml", "--baseline", "b.json", "--write-baseline", "b.json", "--format", "json")
    assert result.exit_code == 0
    assert (app / "b.json").is_file()


@pytest.mark.parametrize("content", ["{oops", '{"version": 99, "findings": []}'])
def test_corrupt_baseline_exits_2(app: Path, content: str) -> None:
    (app / "baseline.json").write_text(content)
    result = scan("template.yaml", "--baseline", "baseline.json")
    assert result.exit_code == 2
    assert "baseline" in result.stderr
    assert result.stdout == ""


def test_missing_baseline_exits_2(app: Path) -> None:
    result = scan("template.yaml", "--baseline", "nope.json")
    assert result.exit_code == 2
    assert "baseline file not found: nope.json" in result.stderr


def test_sarif_end_to_end(app: Path) -> None:
    edit(app, SLOT, "# faasguard: ignore[FG201] -- dummy value for the local stack, never deployed")
    result = scan("template.yaml", "src/app.py", "--format", "sarif")
    assert result.exit_code == 1  # FG104 is still reported
    document = json.loads(result.stdout)
    schema = json.loads((Path(__file__).parent.parent / "fixtures" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    assert len(run["tool"]["driver"]["rules"]) > 10  # every rule that ran, not only those that found something
    # the suppressed secret is not uploaded as an open alert (GitHub ignores `suppressions`); JSON keeps it
    assert not [r for r in run["results"] if r["properties"]["faasguard.rule"] == "FG201"]
    assert run["properties"]["suppressed"] == 1
    (shared,) = [r for r in run["results"] if r["properties"]["faasguard.rule"] == "FG104"]
    region = shared["locations"][0]["physicalLocation"]["region"]
    assert shared["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "template.yaml", "uriBaseId": "%SRCROOT%"}
    line = (app / "template.yaml").read_text().splitlines()[region["startLine"] - 1]
    assert region["endLine"] == region["startLine"]
    assert region["endColumn"] == len(line.rstrip()) + 1
    assert shared["partialFingerprints"]["primaryLocationLineHash"].endswith(":1")


def test_json_report_validates_end_to_end(app: Path) -> None:
    from importlib.resources import files

    _, document = scan_json()
    schema = json.loads(files("faasguard").joinpath("schemas/report-v1.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["summary"]["files_scanned"] == 2


def test_report_to_unwritable_output_is_a_usage_error(app: Path) -> None:
    result = scan("template.yaml", "--format", "json", "--output", "missing/dir/report.json")
    assert result.exit_code == 2
    assert "cannot write report" in result.stderr
