"""IAM reach rules: documented in the catalog format; positive and negative fixtures with exact id/resource/line."""

from __future__ import annotations

from pathlib import Path

import pytest
from iam_helpers import FIXTURES, call, enrich, load, run_rules

from faasguard.analysis.code.facts import EnvRef
from faasguard.rules.iam_reach import (
    LateralInvoke,
    MissingPermission,
    PrivilegeEscalation,
    SensitiveDataReach,
    UnknownAction,
    UnusedPermission,
)

RULES = (PrivilegeEscalation, SensitiveDataReach, UnusedPermission, MissingPermission, UnknownAction, LateralInvoke)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docs_sections(rule: type) -> None:
    docs = rule.meta().docs  # type: ignore[attr-defined]
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in docs


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          QUEUE_URL: !Ref Queue
      Policies:
        - Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: {actions}
              Resource: {resource}
  Queue:
    Type: AWS::SQS::Queue
"""


def _app(tmp_path: Path, actions: str, resource: str) -> object:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(actions=actions, resource=resource))
    return load(tmp_path)


@pytest.mark.parametrize(("rule", "actions", "resource", "positive"), [
    ("FG105", "[iam:PassRole, lambda:CreateFunction, lambda:InvokeFunction]", '"*"', True),
    ("FG105", "[iam:PassRole, lambda:CreateFunction, lambda:InvokeFunction]",
     "!Sub arn:aws:iam::${AWS::AccountId}:role/one", False),
    ("FG106", "secretsmanager:GetSecretValue", '"*"', True),
    ("FG106", "secretsmanager:GetSecretValue", "!Ref Queue", False),
    ("FG310", "lambda:InvokeFunction", '"*"', True),
    ("FG310", "lambda:InvokeFunction", "!Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:one", False),
    ("FG310", '"*"', '"*"', False),  # folded into FG101
    ("FG112", "[sqs:SendMessages]", "!GetAtt Queue.Arn", True),
    ("FG112", "[sqs:SendMessage]", "!GetAtt Queue.Arn", False),
])
def test_rule_fixture(tmp_path: Path, rule: str, actions: str, resource: str, positive: bool) -> None:
    app = _app(tmp_path, actions, resource)
    findings = [f for f in run_rules(app, enrich(app)) if f.rule_id == rule]  # type: ignore[arg-type]
    if not positive:
        assert findings == []
        return
    assert len(findings) == 1
    f = findings[0]
    assert f.resource == "Fn"  # an implicit SAM role: the function is the node to change
    expected_line = 18 if rule in ("FG106", "FG310") else 17
    assert f.location.line == expected_line
    if rule == "FG112":
        assert "sqs:SendMessage" in f.message


def test_fg107_and_fg108_from_code(tmp_path: Path) -> None:
    app = _app(tmp_path, "[sqs:SendMessage, sqs:DeleteQueue]", "!GetAtt Queue.Arn")
    calls = {"Fn": [call("sqs", "send_message", "SendMessage", QueueUrl=EnvRef("QUEUE_URL")),
                    call("sns", "publish", "Publish", TopicArn="arn:aws:sns:us-east-1:123456789012:t")]}
    findings = run_rules(app, enrich(app, calls))  # type: ignore[arg-type]
    fg107 = [f for f in findings if f.rule_id == "FG107"]
    fg108 = [f for f in findings if f.rule_id == "FG108"]
    assert len(fg107) == 1
    assert "sqs:DeleteQueue" in fg107[0].message
    assert "sqs:SendMessage," not in fg107[0].message
    assert fg107[0].location.line == 17
    assert len(fg108) == 1
    assert "sns:Publish" in fg108[0].message
    assert "sqs:SendMessage" not in fg108[0].message
    # Negative: when the code needs exactly what is granted, nothing is reported.
    ok = {"Fn": [call("sqs", "send_message", "SendMessage", QueueUrl=EnvRef("QUEUE_URL")),
                 call("sqs", "delete_queue", "DeleteQueue", QueueUrl=EnvRef("QUEUE_URL"))]}
    assert [f for f in run_rules(app, enrich(app, ok)) if f.rule_id in ("FG107", "FG108")] == []  # type: ignore[arg-type]


def test_no_finding_for_sam_execution_policies() -> None:
    app = load(FIXTURES / "seed")
    findings = run_rules(app, enrich(app))
    assert not any("AWSLambdaBasicExecutionRole" in (f.message or "") for f in findings)
