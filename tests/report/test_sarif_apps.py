"""Every SARIF the test apps produce, through the CLI from the repository root, is valid against the OASIS
schema and meets GitHub's documented constraints (tests/report/github_sarif.py). Nothing is uploaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from tests.report.github_sarif import github_violations

from faasguard.cli import main
from faasguard.report import report_root

REPO = Path(__file__).resolve().parents[2]
APPS = sorted([*(p for p in (REPO / "examples").iterdir() if p.is_dir()),
               REPO / "tests" / "fixtures" / "report" / "sam-app",
               *(p for p in (REPO / "tests" / "fixtures" / "rules").iterdir() if p.is_dir())])


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text())
    return loaded


@pytest.mark.parametrize("app", APPS, ids=[str(a.relative_to(REPO)) for a in APPS])
def test_sarif_of_every_test_app(app: Path, schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["scan", str(app.relative_to(REPO)), "--format", "sarif"])
    assert result.exit_code in (0, 1), result.output
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(document)
    assert github_violations(document, report_root(REPO)) == []
    run = document["runs"][0]
    for entry in run["results"]:
        location = entry["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["physicalLocation"]["artifactLocation"]["uri"].startswith(
            str(app.relative_to(report_root(REPO))))
