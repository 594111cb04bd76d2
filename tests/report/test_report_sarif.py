from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from faasguard.config import Config
from faasguard.model import Location
from faasguard.report.sarif import FINGERPRINT_KEY, render_sarif
from faasguard.result import ScanResult


def sarif(result: ScanResult, config: Config) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(result, config))
    return document


def validate(document: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


def test_validates_against_the_official_schema(result: ScanResult, config: Config,
                                               sarif_schema: dict[str, Any]) -> None:
    document = sarif(result, config)
    validate(document, sarif_schema)
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1


def test_empty_and_crashed_runs_validate(crashed: ScanResult, config: Config, sarif_schema: dict[str, Any]) -> None:
    validate(sarif(ScanResult(), config), sarif_schema)
    document = sarif(crashed, config)
    validate(document, sarif_schema)
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    crash = invocation["toolExecutionNotifications"][-1]
    assert crash["level"] == "error"
    assert crash["descriptor"] == {"id": "internal-error"}
    assert crash["properties"] == {"component": "rule FG104"}


def test_schema_catches_a_broken_document(result: ScanResult, config: Config, sarif_schema: dict[str, Any]) -> None:
    """The vendored schema is really applied: a result without a message is rejected."""
    document = sarif(result, config)
    del document["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document, sarif_schema)


def test_driver_lists_every_rule_that_ran_with_help(result: ScanResult, config: Config) -> None:
    driver = sarif(result, config)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "faasguard"
    assert driver["version"] == driver["semanticVersion"] == __import__("faasguard").__version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["FG101", "FG104", "FG302", "FG401", "FG501"]  # FG302 found nothing
    wildcard = driver["rules"][0]
    assert wildcard["name"] == "wildcard-action"
    assert wildcard["shortDescription"] == {"text": "A function's role allows every action"}
    assert wildcard["fullDescription"] == {
        "text": "Checks that no policy allows every action. Second line of the first paragraph."}
    assert wildcard["help"]["markdown"].startswith("## What it does")
    assert "## Fix" in wildcard["help"]["text"]
    assert wildcard["helpUri"] == "https://faasguard.dev/rules/FG101/"
    assert wildcard["defaultConfiguration"] == {"level": "error"}
    assert wildcard["properties"]["tags"] == ["security", "external/cwe/cwe-732", "CWE-732", "SAS-5", "C1"]
    assert wildcard["properties"]["precision"] == "high"


def test_github_security_severity(result: ScanResult, config: Config) -> None:
    """GitHub reads `security-severity` (a number as a string) to rank alerts: critical >= 9, high 7-8.9,
    medium 4-6.9, low 0.1-3.9."""
    rules = {r["id"]: r for r in sarif(result, config)["runs"][0]["tool"]["driver"]["rules"]}
    bands = {"FG101": (9.0, 10.0), "FG104": (4.0, 6.9), "FG401": (0.1, 3.9), "FG501": (7.0, 8.9)}
    for rule_id, (low, high) in bands.items():
        assert low <= float(rules[rule_id]["properties"]["security-severity"]) <= high
    assert "security-severity" not in rules["FG302"]["properties"]  # info: no security ranking


def test_results(result: ScanResult, config: Config) -> None:
    run = sarif(result, config)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(result.findings)  # suppressed findings stay
    for entry, finding in zip(results, result.findings, strict=True):
        assert rules[entry["ruleIndex"]]["id"] == entry["ruleId"] == finding.rule_id
        assert entry["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}
    first = results[0]
    assert first["level"] == "error"
    assert first["message"] == {"text": 'Role SharedRole allows Action "*" on an unresolved resource'}
    assert first["locations"] == [{
        "physicalLocation": {"artifactLocation": {"uri": "template.yaml", "uriBaseId": "%SRCROOT%"},
                             "region": {"startLine": 11, "startColumn": 17}},
        "logicalLocations": [{"name": "SharedRole", "kind": "resource"}]}]
    assert first["properties"]["functions"] == ["AdminFunction", "ConvertFunction"]
    assert first["properties"]["statement"]["Resource"] == ["<unknown: !Ref Unknowable>"]
    assert first["properties"]["fix"].startswith('Replace "*"')
    assert "suppressions" not in first
    assert [r["level"] for r in results] == ["error", "warning", "note", "error", "error"]


def test_suppressed_result_carries_kind_and_justification(result: ScanResult, config: Config) -> None:
    suppressed = sarif(result, config)["runs"][0]["results"][2]
    assert suppressed["ruleId"] == "FG401"
    (suppression,) = suppressed["suppressions"]
    assert suppression["kind"] == "inSource"
    assert suppression["justification"] == "nightly batch"
    assert suppression["status"] == "accepted"
    assert suppression["location"]["physicalLocation"]["region"] == {"startLine": 17, "startColumn": 20}
    assert suppression["properties"] == {"until": "2027-03-01"}


def test_code_flow_from_evidence(result: ScanResult, config: Config) -> None:
    injection = sarif(result, config)["runs"][0]["results"][3]
    (flow,) = injection["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = thread["locations"]
    assert [s["executionOrder"] for s in steps] == [1, 2]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [5, 6]
    assert steps[0]["location"]["physicalLocation"]["artifactLocation"] == {"uri": "src/app.py",
                                                                             "uriBaseId": "%SRCROOT%"}
    assert steps[0]["location"]["message"]["text"].startswith("event['Records']")
    assert injection["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 5}


def test_notifications(result: ScanResult, config: Config) -> None:
    invocation = sarif(result, config)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["descriptor"]["id"]) for n in notes] == [
        ("warning", "unresolved"), ("warning", "suppression"), ("note", "info")]
    assert notes[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 16
    assert "locations" not in notes[2]


def test_uris_are_encoded_and_absolute_paths_are_file_uris(result: ScanResult, config: Config,
                                                           sarif_schema: dict[str, Any]) -> None:
    result.findings[0] = replace(result.findings[0], location=Location("infra/my stack#1.yaml", 3, 1,
                                                                       construct_path="App/Stack/Role"))
    result.findings[1] = replace(result.findings[1], location=Location("/elsewhere/t.yaml", 2, 1))
    document = sarif(result, config)
    validate(document, sarif_schema)
    results = document["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "infra/my%20stack%231.yaml", "uriBaseId": "%SRCROOT%"}
    assert results[0]["locations"][0]["logicalLocations"] == [
        {"name": "SharedRole", "kind": "resource", "fullyQualifiedName": "App/Stack/Role"}]
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/t.yaml"}


def test_rule_of_a_finding_that_did_not_run_is_still_described(result: ScanResult, config: Config,
                                                               sarif_schema: dict[str, Any]) -> None:
    result.rules = []
    result.findings[0] = replace(result.findings[0], rule_id="FG999", rule_name="made-up")
    document = sarif(result, config)
    validate(document, sarif_schema)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert "FG999" in [r["id"] for r in rules]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in document["runs"][0]["results"])


def test_no_environment_in_the_report(result: ScanResult, config: Config) -> None:
    """The absolute directory of the CI machine is not written: %SRCROOT% stays symbolic."""
    import os

    text = render_sarif(result, config)
    assert os.getcwd() not in text
