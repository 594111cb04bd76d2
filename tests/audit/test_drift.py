"""`faasguard audit --compare PATH`: the vulnerable example app deployed into moto as its template says, then
changed by hand through the real AWS APIs; the drift rules report exactly the hand changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from moto_apps import REGION, VULNERABLE, clients, deploy_vulnerable, zip_dir

from faasguard.cli import main

DRIFT = {"FG113", "FG211", "FG315", "FG606"}
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
ROLE_ARN = "arn:aws:iam::123456789012:role/"


def _compare(endpoint: str, tmp_path: Path, template: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "drift.json"
    result = CliRunner().invoke(main, [
        "audit", "--endpoint-url", endpoint, "--region", REGION, "--compare", str(template), "--format", "json",
        "-o", str(out)], catch_exceptions=False)
    return result.exit_code, json.loads(out.read_text())


def _drift(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((f["rule_id"], f["resource"], f["location"]["path"]) for f in report["findings"]
                  if f["rule_id"] in DRIFT)


@pytest.fixture
def deployed(moto_endpoint: str) -> dict[str, str]:
    return deploy_vulnerable(moto_endpoint)


def test_untouched_app_has_no_drift(moto_endpoint: str, deployed: dict[str, str], tmp_path: Path) -> None:
    code, report = _compare(moto_endpoint, tmp_path, VULNERABLE)
    assert code == 1  # the app's own findings, as without --compare
    assert _drift(report) == []
    assert not [d for d in report["diagnostics"] if d.get("component") == "drift"]  # all four functions matched
    assert {f["rule_id"] for f in report["findings"]} >= {"FG104", "FG201", "FG302"}


def test_hand_changes_are_drift(moto_endpoint: str, deployed: dict[str, str], tmp_path: Path) -> None:
    c = clients(moto_endpoint)
    # a role widened in the console: a new inline statement and a managed policy attached
    c.iam.put_role_policy(RoleName="ReportFunctionRole", PolicyName="hotfix", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::uploads-123456789012/*"},
            {"Effect": "Allow", "Action": ["iam:PassRole", "s3:DeleteObject"], "Resource": "*"}]}))
    c.iam.attach_role_policy(RoleName="SharedCatchAllRole", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    # a function URL and a cross-account invoke permission added by hand
    c.awslambda.create_function_url_config(FunctionName="QueueWorkerFunction", AuthType="NONE")
    c.awslambda.add_permission(FunctionName="QueueWorkerFunction", StatementId="partner",
                               Action="lambda:InvokeFunction", Principal="999999999999")
    # a layer attached and a secret pasted into the environment
    layer = c.awslambda.publish_layer_version(LayerName="helpers", Content={"ZipFile": zip_dir(
        VULNERABLE / "src" / "report")})["LayerVersionArn"]
    c.awslambda.update_function_configuration(FunctionName="ImageConverterFunction", Layers=[layer])
    c.awslambda.update_function_configuration(FunctionName="ReportFunction", Environment={"Variables": {
        "REPORT_API_TOKEN": "tok_9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"}})

    _, report = _compare(moto_endpoint, tmp_path, VULNERABLE)
    assert _drift(report) == sorted([
        ("FG113", "ReportFunctionRole", ROLE_ARN + "ReportFunctionRole/inline/hotfix"),
        ("FG113", "SharedCatchAllRole", "arn:aws:iam::aws:policy/AdministratorAccess"),
        ("FG211", "ReportFunction", ARN + "ReportFunction"),
        ("FG315", "QueueWorkerFunction.url", ARN + "QueueWorkerFunction"),
        ("FG315", "QueueWorkerFunction:partner", ARN + "QueueWorkerFunction"),
        ("FG606", "ImageConverterFunction", ARN + "ImageConverterFunction"),
    ])
    by_key = {(f["rule_id"], f["resource"]): f for f in report["findings"]}
    widened = by_key[("FG113", "ReportFunctionRole")]
    # only the statement outside the declared S3ReadPolicy: s3:GetObject on the uploads bucket was declared
    assert widened["statement"] == {"Effect": "Allow", "Action": ["iam:PassRole", "s3:DeleteObject"],
                                    "Resource": "*"}
    assert widened["function"] == "ReportFunction"
    assert by_key[("FG113", "SharedCatchAllRole")]["function"] == ["DbAdminFunction", "ImageConverterFunction"]
    # the evidence points at the template's declaration
    declared = [e for e in widened["evidence"] if e["location"]["path"].endswith("template.yaml")]
    assert declared
    assert declared[0]["location"]["line"] > 1
    assert "9f8a7b6c5d4e" not in json.dumps(report)  # the secret is judged, never printed


def test_authorization_removed_from_url(moto_endpoint: str, deployed: dict[str, str], tmp_path: Path) -> None:
    """The template (a copy) declares the URL with AWS_IAM; the live URL has AuthType NONE."""
    app = tmp_path / "app"
    shutil.copytree(VULNERABLE, app)
    template = app / "template.yaml"
    text = template.read_text()
    assert "      FunctionUrlConfig:\n        AuthType: NONE" in text
    template.write_text(text.replace("      FunctionUrlConfig:\n        AuthType: NONE",
                                     "      FunctionUrlConfig:\n        AuthType: AWS_IAM"))
    _, report = _compare(moto_endpoint, tmp_path, app)
    assert _drift(report) == [("FG315", "ReportFunction.url", ARN + "ReportFunction")]
    message = next(f["message"] for f in report["findings"] if f["rule_id"] == "FG315")
    assert "no authorization live" in message
    assert "aws-iam" in message.lower().replace("_", "-")


def test_each_drift_rule_names_a_kind_of_the_comparison_and_the_rules_import_no_comparison() -> None:
    """The rules spell their kind as a string so that a scan imports no `faasguard.analysis.drift`; the strings
    must stay the comparison's own values, one rule per kind."""
    import subprocess
    import sys

    from faasguard.analysis.drift import DriftKind
    from faasguard.rules import drift as drift_rules

    base = drift_rules._DriftRule
    kinds = [rule.kind for rule in vars(drift_rules).values()
             if isinstance(rule, type) and issubclass(rule, base) and rule is not base]
    assert sorted(kinds) == sorted(k.value for k in DriftKind)
    code = "import sys, faasguard.rules.drift; print('faasguard.analysis.drift' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
