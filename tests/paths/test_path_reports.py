"""Attack paths in JSON (schema 1.1), SARIF (codeFlows through every hop) and the console (top paths first),
from a real scan of the example app; a deselected FG901 removes the paths from every report."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from faasguard.config import Config
from faasguard.pipeline import scan
from faasguard.report.console import build_lines
from faasguard.report.json_report import report_document
from faasguard.report.sarif import sarif_document
from faasguard.result import ScanResult

ROOT = Path(__file__).parent.parent.parent
SCHEMA = json.loads((ROOT / "src" / "faasguard" / "schemas" / "report-v1.json").read_text())


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([str(ROOT / "examples" / "vulnerable-app")], Config())


def test_json_paths_section(result: ScanResult) -> None:
    doc = report_document(result)
    jsonschema.validate(doc, SCHEMA)
    assert doc["schema_version"] == "1.1"
    path, preview = doc["paths"]  # the second: the Node.js PreviewFunction (SQS → execSync)
    assert (preview["rank"], preview["severity"], preview["entry"]["node"]) == (2, "medium", "PreviewFunction.Previews")
    assert (path["rank"], path["severity"], path["exposure"], path["impact"]) == (1, "high", "untrusted-data",
                                                                                 "account-wide")
    assert path["entry"]["node"] == "ImageConverterFunction.Upload"
    assert path["entry"]["location"]["line"] == 66
    by_fp = {f["fingerprint"]: f for f in doc["findings"]}
    assert by_fp[path["finding"]]["rule_id"] == "FG901"
    components = {(by_fp[c]["rule_id"], by_fp[c]["location"]["line"]) for c in path["components"]}
    assert {("FG501", 20), ("FG106", 47), ("FG902", 23)} <= components
    # the SQL injection of another function is not a component of this path
    assert not any(rule == "FG503" for rule, _ in components)


def test_sarif_code_flow_through_every_hop(result: ScanResult) -> None:
    run = sarif_document(result)["runs"][0]
    (fg901,) = [r for r in run["results"] if r["ruleId"].split("/")[0] == "FG901"
                and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("image_converter/app.py")]
    steps = fg901["codeFlows"][0]["threadFlows"][0]["locations"]
    uris = [s["location"]["physicalLocation"]["artifactLocation"]["uri"] for s in steps]
    lines = [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps]
    assert uris[0].endswith("template.yaml")
    assert lines[0] == 66
    assert any(u.endswith("image_converter/app.py") and line == 20 for u, line in zip(uris, lines, strict=True))
    assert uris[-1].endswith("template.yaml")
    assert [s["executionOrder"] for s in steps] == list(range(1, len(steps) + 1))


def test_console_top_paths_first(result: ScanResult) -> None:
    text = ["".join(t for t, _ in line) for line in build_lines(result, Config())]
    assert text[0] == "Attack paths (2)"
    assert "HIGH" in text[1]
    assert "ImageConverterFunction" in text[1]
    block = "\n".join(text[:10])
    for needle in ("entry", "S3 trigger ImageConverterFunction.Upload", "flaw", "subprocess.run(shell=True)",
                   "credential", "role SharedCatchAllRole", "impact", "secretsmanager:GetSecretValue on *"):
        assert needle in block


def test_deselected_fg901_removes_paths() -> None:
    result = scan([str(ROOT / "examples" / "vulnerable-app")], Config(ignore=("FG901",)))
    assert report_document(result)["paths"] == []
    assert not any("".join(t for t, _ in line).startswith("Attack paths") for line in build_lines(result, Config()))
