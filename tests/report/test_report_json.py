from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from faasguard.config import Config
from faasguard.findings import Finding
from faasguard.report.json_report import render_json
from faasguard.result import ScanResult


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_report_validates_against_the_shipped_schema(result: ScanResult, config: Config,
                                                      report_schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(report_schema)
    document = json.loads(render_json(result, config))
    validator(report_schema).validate(document)
    assert document["version"] == 1
    assert document["tool"] == {"name": "faasguard", "version": __import__("faasguard").__version__}
    assert document["sources"] == [{"path": "template.yaml", "type": "cloudformation"}]


def test_every_finding_field_is_written(result: ScanResult, config: Config) -> None:
    document = json.loads(render_json(result, config))
    contract = {f.name for f in fields(Finding)}
    assert all(set(f) == contract for f in document["findings"])
    wildcard = document["findings"][0]
    assert wildcard["rule_id"] == "FG101"
    assert wildcard["rule_name"] == "wildcard-action"
    assert wildcard["severity"] == "critical"
    assert wildcard["confidence"] == "high"
    assert wildcard["location"] == {"path": "template.yaml", "line": 11, "column": 17, "end_line": None,
                                    "logical_id": "SharedRole", "construct_path": None}
    assert wildcard["resource"] == "SharedRole"
    assert wildcard["function"] == ["AdminFunction", "ConvertFunction"]
    assert wildcard["statement"] == {"Effect": "Allow", "Action": "*",
                                     "Resource": ["<unknown: !Ref Unknowable>"]}
    assert wildcard["cwe"] == "CWE-732"
    assert wildcard["owasp"] == "SAS-5"
    assert wildcard["fingerprint"] == result.findings[0].fingerprint
    assert wildcard["suppression"] is None

    injection = document["findings"][3]
    assert injection["function"] == "ConvertFunction"
    assert [step["location"]["line"] for step in injection["evidence"]] == [5, 6]
    assert injection["evidence"][0]["description"].startswith("event['Records']")


def test_suppressed_finding_is_kept_with_its_suppression(result: ScanResult, config: Config) -> None:
    document = json.loads(render_json(result, config))
    (suppressed,) = [f for f in document["findings"] if f["suppression"]]
    assert suppressed["rule_id"] == "FG401"
    assert suppressed["suppression"] == {
        "kind": "inSource", "justification": "nightly batch", "until": "2027-03-01",
        "location": {"path": "template.yaml", "line": 17, "column": 20, "end_line": None, "logical_id": None,
                     "construct_path": None}}


def test_diagnostics_and_summary(result: ScanResult, config: Config) -> None:
    document = json.loads(render_json(result, config))
    assert document["diagnostics"][0] == {
        "kind": "unresolved", "level": "warning", "message": "!Ref Unknowable: parameter without a default",
        "location": {"path": "template.yaml", "line": 12, "column": 27, "end_line": None, "logical_id": "SharedRole",
                     "construct_path": None},
        "component": "cloudformation loader"}
    assert document["diagnostics"][2]["location"] is None
    assert document["summary"] == {
        "findings": 4, "suppressed": 1,
        "by_severity": {"critical": 1, "high": 2, "medium": 1, "low": 0, "info": 0},
        "diagnostics": 3, "diagnostics_by_kind": {"unresolved": 1, "suppression": 1, "info": 1},
        "applications": 1, "functions": 2, "files_scanned": 2, "rules_run": 5, "duration_seconds": 0.123,
        "internal_errors": 0}


def test_empty_result_validates(config: Config, report_schema: dict[str, Any]) -> None:
    document = json.loads(render_json(ScanResult(), config))
    validator(report_schema).validate(document)
    assert document["findings"] == []
    assert document["summary"]["findings"] == 0


@pytest.mark.parametrize("breakage", [
    lambda d: d.pop("summary"),
    lambda d: d["findings"][0].pop("fingerprint"),
    lambda d: d["findings"][0].update(severity="severe"),
    lambda d: d["findings"][0].update(rule_id="FG1"),
    lambda d: d["findings"][0]["location"].update(line=0),
    lambda d: d["findings"][0].update(function=["OnlyOne"]),
    lambda d: d["findings"][2]["suppression"].update(kind="inline"),
    lambda d: d["findings"][2]["suppression"].update(until="next week"),
    lambda d: d["diagnostics"][0].update(kind="oops"),
    lambda d: d.update(version=2),
])
def test_schema_rejects_broken_reports(result: ScanResult, config: Config, report_schema: dict[str, Any],
                                       breakage: Any) -> None:
    document = json.loads(render_json(result, config))
    breakage(document)
    with pytest.raises(jsonschema.ValidationError):
        validator(report_schema).validate(document)


@pytest.mark.parametrize("batch", [1, 3, 200])
def test_compact_report_is_the_documents_json_text(monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    """Over PRETTY_LIMIT findings the report is encoded part by part (findings, paths), `_BATCH` items per
    encoder call; the text must be what `json.dumps` of the whole document gives, attack paths, non-Latin-1
    characters and a lone surrogate (a non-UTF-8 file name quoted in a message) included, whether the items
    fill one batch, several, or several and a remainder."""
    from dataclasses import replace
    from pathlib import Path

    from faasguard.escape import json_document_safe
    from faasguard.pipeline import scan
    from faasguard.report import json_report

    examples = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-app"
    scanned = scan([str(examples)], Config())
    assert scanned.facts[0].paths is not None
    assert scanned.facts[0].paths.paths
    scanned.findings[0] = replace(scanned.findings[0], message="bad name \udcff in a message → here…")
    scanned.findings[4] = replace(scanned.findings[4], message="another \udcfe, in the second batch of 3")
    monkeypatch.setattr(json_report, "PRETTY_LIMIT", 0)
    monkeypatch.setattr(json_report, "_BATCH", batch)
    compact = render_json(scanned, Config())
    whole = json_document_safe(json.dumps(json_report.report_document(scanned), ensure_ascii=False)) + "\n"
    assert compact == whole
    document = json.loads(compact)
    assert document["findings"][0]["message"] == "bad name \\xff in a message → here…"
    assert document["findings"][4]["message"] == "another \\xfe, in the second batch of 3"
    assert len(document["findings"]) == len(scanned.findings) > 2 * 3
    assert [p["function"] for p in document["paths"]] == ["ImageConverterFunction", "PreviewFunction"]


def test_location_paths_are_spelled_and_escaped_at_every_use(tmp_path: Path) -> None:
    """The escaped spelling of a path is kept per path (`ReportPaths.text`): the second location naming the file
    is written as the first, relative to the report root, its backslash and undecodable byte escaped."""
    from faasguard.model import Location
    from faasguard.report import ReportPaths
    from faasguard.report.json_report import location_dict

    paths = ReportPaths(cwd=tmp_path, root=tmp_path)
    odd = str(tmp_path / "src" / "a\\b\udcff.py")
    first, second = location_dict(Location(odd, 3), paths), location_dict(Location(odd, 9, 2), paths)
    assert first is not None
    assert second is not None
    assert first["path"] == second["path"] == "src/a\\\\b\\xff.py"
    assert (first["line"], second["line"], second["column"]) == (3, 9, 2)
    outside = location_dict(Location("/elsewhere/x.py"), paths)
    assert outside is not None
    assert outside["path"] == "/elsewhere/x.py"
