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


@pytest.mark.parametrize(("actions", "expected"), [
    # invoke-only on "*": the lateral-invoke finding says it all, on the Resource line
    ("lambda:InvokeFunction", [("FG310", 18)]),
    ("[lambda:InvokeFunction, lambda:UpdateFunctionCode]", [("FG310", 18)]),
    # another scopable action on "*" beside it: two problems, two findings on the same line
    ("[lambda:InvokeFunction, sqs:SendMessage]", [("FG102", 18), ("FG310", 18)]),
    ("sqs:SendMessage", [("FG102", 18)]),
])
def test_fg102_leaves_an_invoke_only_wildcard_to_fg310(tmp_path: Path, actions: str,
                                                       expected: list[tuple[str, int]]) -> None:
    app = _app(tmp_path, actions, '"*"')
    findings = [f for f in run_rules(app, enrich(app)) if f.rule_id in ("FG102", "FG310")]  # type: ignore[arg-type]
    assert sorted((f.rule_id, f.location.line) for f in findings) == expected
    assert {f.resource for f in findings} == {"Fn"}


def test_fg102_keeps_a_conditioned_invoke_wildcard(tmp_path: Path) -> None:
    """FG310 reports a conditioned grant at low confidence only; FG102 still names the wildcard then."""
    (tmp_path / "src").mkdir()
    text = TEMPLATE.format(actions="lambda:InvokeFunction", resource='"*"').replace(
        '              Resource: "*"\n',
        '              Resource: "*"\n              Condition: {StringEquals: {"aws:ResourceTag/team": pay}}\n')
    (tmp_path / "template.yaml").write_text(text)
    app = load(tmp_path)
    found = sorted(f.rule_id for f in run_rules(app, enrich(app)) if f.rule_id in ("FG102", "FG310"))  # type: ignore[arg-type]
    assert found == ["FG102", "FG310"]
