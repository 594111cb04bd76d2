"""The attack graph on the shipped examples (the chain the vulnerable app's story tells, nothing on the secure
app) and the exposure × impact table, on real templates parsed by the real loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.analysis.paths import (
    AttackGraph,
    Capability,
    Exposure,
    Impact,
    ReachKind,
    path_severity,
)
from faasguard.config import Config
from faasguard.findings import Confidence, Severity
from faasguard.pipeline import scan

ROOT = Path(__file__).parent.parent.parent
VULNERABLE = ROOT / "examples" / "vulnerable-app"
SECURE = ROOT / "examples" / "secure-app"


@pytest.fixture(scope="module")
def vulnerable() -> tuple[AttackGraph, list]:  # type: ignore[type-arg]
    result = scan([str(VULNERABLE)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    return graph, result.findings


def test_example_app_has_the_s3_shell_secrets_path(vulnerable: tuple[AttackGraph, list]) -> None:  # type: ignore[type-arg]
    graph, findings = vulnerable
    path, preview = graph.paths  # the second: the Node.js PreviewFunction, SQS message → execSync
    assert (path.rank, path.function) == (1, "ImageConverterFunction")
    assert (preview.rank, preview.function, preview.severity) == (2, "PreviewFunction", Severity.HIGH)
    assert path.entry.node == "ImageConverterFunction.Upload"
    assert path.entry.exposure is Exposure.UNTRUSTED_DATA
    assert [f.rule_id for f in path.flaws] == ["FG501"]  # the download_file target is a write, not a read
    assert path.severity is Severity.CRITICAL
    assert path.impact is Impact.WIDE
    hops = [(h.description.split(":", 1)[0], Path(h.location.path).name, h.location.line) for h in path.hops]
    assert hops[0] == ("entry", "template.yaml", 66)
    assert ("reaches subprocess.run(shell=True)", "app.py", 20) in hops
    assert ("credential", "template.yaml", 61) in hops
    secrets = next(r for r in path.reach if r.kind is ReachKind.SECRETS)
    assert secrets.actions == ("secretsmanager:GetSecretValue",)
    assert secrets.target == "*"
    assert secrets.location.line == 47
    admin_data = next(r for r in path.reach if r.used_by == ("DbAdminFunction",))
    assert "AuditTable" in admin_data.description

    fg901 = [f for f in findings if f.rule_id == "FG901"]
    assert [(f.severity, f.resource, Path(f.location.path).name, f.location.line) for f in fg901] == [
        (Severity.CRITICAL, "ImageConverterFunction", "app.py", 20),
        (Severity.HIGH, "PreviewFunction", "index.mjs", 12)]
    fg902 = [f for f in findings if f.rule_id == "FG902"]
    assert [(f.resource, f.location.line) for f in fg902] == [("SharedCatchAllRole", 23)]
    assert "DbAdminFunction's dynamodb:PutItem on AuditTable" in fg902[0].message


def test_example_negative_space(vulnerable: tuple[AttackGraph, list]) -> None:  # type: ignore[type-arg]
    graph, _ = vulnerable
    # SQL injection is tampering, not credential theft; the queue worker's role reaches nothing sensitive;
    # the public report function has no sink.
    assert [f.capability for f in graph.functions["DbAdminFunction"].flaws] == [Capability.DATA_TAMPERING]
    assert graph.functions["QueueWorkerFunction"].reach == ()
    assert graph.functions["ReportFunction"].flaws == ()
    assert not graph.paths_of("DbAdminFunction")
    assert not graph.paths_of("QueueWorkerFunction")


def test_secure_app_has_no_path() -> None:
    result = scan([str(SECURE)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    assert graph.paths == ()
    assert not [f for f in result.findings if f.rule_id.startswith("FG9")]


@pytest.mark.parametrize(("exposure", "impact", "expected"), [
    (Exposure.ANONYMOUS, Impact.ESCALATION, Severity.CRITICAL),
    (Exposure.ANONYMOUS, Impact.SCOPED, Severity.HIGH),
    (Exposure.UNTRUSTED_DATA, Impact.WIDE, Severity.CRITICAL),
    (Exposure.AUTHENTICATED, Impact.SCOPED, Severity.MEDIUM),
    (Exposure.IAM_ONLY, Impact.ESCALATION, Severity.MEDIUM),
    (Exposure.IAM_ONLY, Impact.SCOPED, Severity.LOW),
    (Exposure.INTERNAL, Impact.ESCALATION, None),
])
def test_severity_table(exposure: Exposure, impact: Impact, expected: Severity | None) -> None:
    assert path_severity(exposure, impact) == expected


COGNITO_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            UserPoolArn: arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_abc
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Policies:
        - Statement:
            - Effect: Allow
              Action: ACTION
              Resource: "*"
      Events:
        Post:
          Type: Api
          Properties:
            Path: /x
            Method: post
            RestApiId: !Ref Api
"""


def _graph(tmp_path: Path, action: str) -> AttackGraph:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import subprocess\n\n\ndef handler(event, context):\n"
        "    subprocess.run('echo ' + event['body'], shell=True)\n")
    (tmp_path / "template.yaml").write_text(COGNITO_TEMPLATE.replace("ACTION", action))
    result = scan([str(tmp_path)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    return graph


def test_escalation_behind_cognito_is_high(tmp_path: Path) -> None:
    (path,) = _graph(tmp_path, "iam:AttachRolePolicy").paths
    assert path.entry.exposure is Exposure.AUTHENTICATED
    assert path.impact is Impact.ESCALATION
    assert path.severity is Severity.HIGH
    assert path.confidence is Confidence.HIGH


def test_log_only_role_behind_cognito_is_no_path(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "logs:PutLogEvents")
    assert graph.paths == ()
    assert [f.capability for f in graph.functions["Fn"].flaws] == [Capability.EXECUTION]
