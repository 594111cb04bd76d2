from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.report.github_sarif import github_violations

from faasguard.config import Config
from faasguard.findings import Severity
from faasguard.model import Location
from faasguard.report.linehash import line_hashes
from faasguard.report.sarif import FINGERPRINT_KEY, LINE_HASH_KEY, render_sarif
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
    assert "informationUri" not in driver  # the project has no published site: no made-up address
    # FG302 found nothing; FG101/high is the severity variant of the PublicApi finding (see test_severity_variant)
    assert [r["id"] for r in driver["rules"]] == ["FG101", "FG104", "FG302", "FG401", "FG501", "FG101/high"]
    wildcard = driver["rules"][0]
    assert wildcard["name"] == "wildcard-action"
    assert wildcard["shortDescription"] == {"text": "A function's role allows every action"}
    assert wildcard["fullDescription"] == {
        "text": "Checks that no policy allows every action. Second line of the first paragraph."}
    assert wildcard["help"]["markdown"].startswith("## What it does")
    assert "## Fix" in wildcard["help"]["text"]
    assert "helpUri" not in wildcard  # RULES_PAGE is unset: the docs are in `help`, no dead link
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


def test_results(result: ScanResult, config: Config, project: Path) -> None:
    run = sarif(result, config)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    reported = [f for f in result.findings if f.suppression is None]
    assert len(results) == len(reported) == 4  # the suppressed finding is not uploaded
    for entry, finding in zip(results, reported, strict=True):
        assert rules[entry["ruleIndex"]]["id"] == entry["ruleId"]
        assert entry["properties"]["faasguard.rule"] == finding.rule_id
        assert entry["partialFingerprints"][FINGERPRINT_KEY] == finding.fingerprint
    first = results[0]
    assert first["ruleId"] == "FG101"
    assert first["level"] == "error"
    assert first["message"] == {"text": 'Role SharedRole allows Action "*" on an unresolved resource'}
    assert first["locations"] == [{
        "physicalLocation": {"artifactLocation": {"uri": "template.yaml", "uriBaseId": "%SRCROOT%"},
                             # `                Action: "*"` is 27 characters: the region ends after it
                             "region": {"startLine": 11, "startColumn": 17, "endLine": 11, "endColumn": 28}},
        "logicalLocations": [{"name": "SharedRole", "kind": "resource"}]}]
    assert first["partialFingerprints"][LINE_HASH_KEY] == line_hashes((project / "template.yaml").read_text())[11]
    assert first["properties"]["functions"] == ["AdminFunction", "ConvertFunction"]
    assert first["properties"]["statement"]["Resource"] == ["<unknown: !Ref Unknowable>"]
    assert first["properties"]["fix"].startswith('Replace "*"')
    assert "suppressions" not in first
    assert [r["level"] for r in results] == ["error", "warning", "error", "error"]
    assert run["automationDetails"] == {"id": "faasguard/"}
    assert github_violations(sarif(result, config), project) == []


def test_suppressed_results_are_counted_not_uploaded(result: ScanResult, config: Config) -> None:
    """GitHub ignores `suppressions` and would open an alert: a suppressed finding is only counted."""
    run = sarif(result, config)["runs"][0]
    assert "FG401" not in {r["ruleId"] for r in run["results"]}
    assert run["properties"] == {"suppressed": 1}
    result.findings[2] = replace(result.findings[2], suppression=None)
    run = sarif(result, config)["runs"][0]
    assert "FG401" in {r["ruleId"] for r in run["results"]}
    assert run["properties"] == {"suppressed": 0}


def test_severity_variant_keeps_the_raised_severity(result: ScanResult, config: Config) -> None:
    """GitHub reads security-severity from the rule only: a finding reported above (or below) its rule's
    default points at a variant descriptor carrying its own severity, so GitHub shows what faasguard says."""
    run = sarif(result, config)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    api = run["results"][-1]
    assert api["message"]["text"] == "PublicApi has no authorizer"
    assert api["ruleId"] == "FG101/high"
    variant = rules[api["ruleIndex"]]
    assert variant["id"] == "FG101/high"
    assert variant["properties"]["security-severity"] == "8.0"
    assert variant["properties"]["faasguard.rule"] == "FG101"
    assert variant["defaultConfiguration"] == {"level": "error"}
    assert variant["name"] == "wildcard-action"
    assert api["properties"]["severity"] == "high"
    # the same finding at its rule's default severity uses the rule itself
    result.findings[4] = replace(result.findings[4], severity=Severity.CRITICAL)
    run = sarif(result, config)["runs"][0]
    assert run["results"][-1]["ruleId"] == "FG101"
    assert "FG101/high" not in [r["id"] for r in run["tool"]["driver"]["rules"]]


def test_checker_catches_what_github_misreads(result: ScanResult, config: Config, project: Path) -> None:
    """The GitHub checker is really applied: each broken property is named."""
    document = sarif(result, config)
    run = document["runs"][0]
    run["results"][-1]["ruleId"] = "FG101"
    run["results"][-1]["ruleIndex"] = 0
    run["results"][0]["partialFingerprints"][LINE_HASH_KEY] = "0:1"
    run["results"][1]["suppressions"] = [{"kind": "inSource"}]
    del run["results"][2]["locations"][0]["physicalLocation"]["region"]["endColumn"]
    run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "gone.yaml"
    del run["automationDetails"]
    problems = github_violations(document, project)
    assert any("GitHub would show '9.5' for a high finding" in p for p in problems)
    assert any("primaryLocationLineHash '0:1'" in p for p in problems)
    assert any("suppressed" in p for p in problems)
    assert any("region without endColumn" in p for p in problems)
    assert any("gone.yaml is not a file of the checkout" in p for p in problems)
    assert any("runAutomationDetails" in p for p in problems)


def test_code_flow_from_evidence(result: ScanResult, config: Config) -> None:
    injection = sarif(result, config)["runs"][0]["results"][2]
    (flow,) = injection["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = thread["locations"]
    assert [s["executionOrder"] for s in steps] == [1, 2]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [5, 6]
    assert steps[0]["location"]["physicalLocation"]["artifactLocation"] == {"uri": "src/app.py",
                                                                             "uriBaseId": "%SRCROOT%"}
    assert steps[0]["location"]["message"]["text"].startswith("event['Records']")
    assert injection["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 40}  # to the end of the line


def test_notifications(result: ScanResult, config: Config) -> None:
    invocation = sarif(result, config)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["descriptor"]["id"]) for n in notes] == [
        ("warning", "unresolved"), ("warning", "suppression"), ("note", "info")]
    assert notes[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 16
    assert "locations" not in notes[2]


def test_uris_are_encoded_and_absolute_paths_are_file_uris(result: ScanResult, config: Config, project: Path,
                                                           tmp_path_factory: pytest.TempPathFactory,
                                                           sarif_schema: dict[str, Any]) -> None:
    (project / "infra").mkdir()
    (project / "infra" / "my stack#1.yaml").write_text("a: 1\nb: 2\nc: 3\n")
    outside = tmp_path_factory.mktemp("elsewhere") / "t.yaml"
    outside.write_text("x: 1\ny: 2\n")
    result.findings[0] = replace(result.findings[0], location=Location("infra/my stack#1.yaml", 3, 1,
                                                                       construct_path="App/Stack/Role"))
    result.findings[1] = replace(result.findings[1], location=Location(str(outside), 2, 1))
    document = sarif(result, config)
    validate(document, sarif_schema)
    results = document["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "infra/my%20stack%231.yaml", "uriBaseId": "%SRCROOT%"}
    assert results[0]["locations"][0]["logicalLocations"] == [
        {"name": "SharedRole", "kind": "resource", "fullyQualifiedName": "App/Stack/Role"}]
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": f"file://{outside}"}


@pytest.mark.parametrize("path", ["<aws-managed:AdministratorAccess>", "arn:aws:lambda:eu-west-1:1:function:f",
                                  "deleted.yaml", ""])
def test_no_artifact_location_for_what_is_not_a_file(result: ScanResult, config: Config, project: Path,
                                                     sarif_schema: dict[str, Any], path: str) -> None:
    """A managed policy, an ARN of a live audit, a file that is gone: a logical location only, never a URI
    GitHub would try to open."""
    result.findings[1] = replace(result.findings[1], location=Location(path, 4, 3))
    document = sarif(result, config)
    validate(document, sarif_schema)
    (location,) = document["runs"][0]["results"][1]["locations"]
    assert "physicalLocation" not in location
    expected = {"name": "SharedRole", "kind": "resource"}
    if path:
        expected["fullyQualifiedName"] = path
    assert location["logicalLocations"] == [expected]
    assert LINE_HASH_KEY not in document["runs"][0]["results"][1]["partialFingerprints"]
    assert github_violations(document, project) == []


def test_helpuri_points_at_the_rule_heading_of_docs_rules_md(result: ScanResult, config: Config,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """When the catalog has an address, each rule links to its own heading; the anchors are those of
    docs/rules.md (GitHub's heading slugs)."""
    import re

    from faasguard.report import sarif as sarif_module
    from faasguard.rules import all_rules

    monkeypatch.setattr(sarif_module, "RULES_PAGE", "https://example.invalid/faasguard/docs/rules.md")
    rules = sarif(result, config)["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["helpUri"] == "https://example.invalid/faasguard/docs/rules.md#fg101-wildcard-action"
    docs = (Path(__file__).parents[2] / "docs" / "rules.md").read_text()
    headings = {"-".join(re.sub(r"[^\w\- ]", "", h.lower()).split(" "))
                for h in re.findall(r"^## (.+)$", docs, re.MULTILINE)}
    for rule in all_rules():
        assert sarif_module.rule_anchor(rule.id, rule.name) in headings, rule.id


def test_rule_of_a_finding_that_did_not_run_is_still_described(result: ScanResult, config: Config,
                                                               sarif_schema: dict[str, Any]) -> None:
    result.rules = []
    result.findings[0] = replace(result.findings[0], rule_id="FG999", rule_name="made-up")
    document = sarif(result, config)
    validate(document, sarif_schema)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert "FG999" in [r["id"] for r in rules]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in document["runs"][0]["results"])
    assert document["runs"][0]["results"][0]["ruleId"] == "FG999"


def test_no_environment_in_the_report(result: ScanResult, config: Config) -> None:
    """The absolute directory of the CI machine is not written: %SRCROOT% stays symbolic."""
    import os

    text = render_sarif(result, config)
    assert os.getcwd() not in text
