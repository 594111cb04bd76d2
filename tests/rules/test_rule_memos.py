"""Per-application memos of the rules (the handler rules' index of flow kinds, FG102's reading of repeated
statements): derived once per application, they must still follow the facts they are given and must not
carry one statement's or one handler's answer over to another."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from faasguard import pipeline
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.model import Application
from faasguard.rules.base import RuleContext
from faasguard.rules.handler import CommandInjection

ROOT = Path(__file__).resolve().parents[2]
VULNERABLE = ROOT / "examples" / "vulnerable-app"


def _analysed() -> tuple[Application, Facts]:
    result = pipeline.scan([str(VULNERABLE)], Config())
    return result.apps[0], result.facts[0]


def test_handler_rules_follow_the_facts_they_are_given() -> None:
    """The same application checked with its facts, then without the converter's handler, then with them
    again: the index of handler kinds is rebuilt for other facts, never reused."""
    app, facts = _analysed()
    config = Config()
    with_all = [(f.resource, f.location.line) for f in CommandInjection().check(RuleContext(app, config, facts))]
    assert with_all == [("ImageConverterFunction", 20), ("PreviewFunction", 12), ("QueueWorkerFunction", 11)]
    fewer = replace(facts, handlers={k: v for k, v in facts.handlers.items() if k != "ImageConverterFunction"})
    assert [(f.resource, f.location.line) for f in CommandInjection().check(RuleContext(app, config, fewer))] \
        == with_all[1:]
    again = [(f.resource, f.location.line) for f in CommandInjection().check(RuleContext(app, config, facts))]
    assert again == with_all


def test_issue_rule_finds_its_kind_beside_other_flows(tmp_path: Path) -> None:
    """The index skips a handler by the kinds it holds: a handler with a shell flow and a hard-coded secret is
    reported by both rules, one with only the shell flow by the command injection rule only."""
    (tmp_path / "template.yaml").write_text(_TWO_HANDLERS)
    (tmp_path / "src").mkdir()
    shell = "import subprocess\n\n\ndef handler(event, context):\n    subprocess.run(event['cmd'], shell=True)\n"
    (tmp_path / "src" / "plain.py").write_text(shell)
    (tmp_path / "src" / "keyed.py").write_text('API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n' + shell)
    result = pipeline.scan([str(tmp_path)], Config())
    found = sorted((f.rule_id, f.resource, Path(f.location.path).name, f.location.line)
                   for f in result.findings if f.rule_id in ("FG202", "FG501"))
    assert found == [("FG202", "Keyed", "keyed.py", 1), ("FG501", "Keyed", "keyed.py", 6),
                     ("FG501", "Plain", "plain.py", 5)]


_TWO_HANDLERS = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, CodeUri: src/}
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties: {Handler: plain.handler}
  Keyed:
    Type: AWS::Serverless::Function
    Properties: {Handler: keyed.handler}
"""

_ROLE = """\
  {name}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: {actions}
                Resource: {resource}
  {name}Fn:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, InlineCode: "def handler(e, c): pass", Handler: index.handler,
                 Role: !GetAtt {name}.Arn}}
"""


def test_repeated_statements_are_each_reported_with_their_own_answer(tmp_path: Path) -> None:
    """FG102 reads a statement's actions once per application and per distinct (actions, wildcards): two roles
    with the same statement get a finding each, at their own line; the same actions on an ARN wildcard of
    another service grant none of them and are not reported."""
    roles = [_ROLE.format(name="RoleA", actions="[s3:GetObject, dynamodb:PutItem]", resource="'*'"),
             _ROLE.format(name="RoleB", actions="[s3:GetObject, dynamodb:PutItem]", resource="'*'"),
             _ROLE.format(name="RoleC", actions="[s3:GetObject, dynamodb:PutItem]",
                          resource="'arn:aws:sqs:*:*:*'")]
    (tmp_path / "template.yaml").write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n" + "".join(roles))
    result = pipeline.scan([str(tmp_path)], Config())
    found = [(f.resource, f.location.line, f.severity.value) for f in result.findings if f.rule_id == "FG102"]
    assert found == [("RoleA", 15, "high"), ("RoleB", 32, "high")]
    assert all("2 actions (1 Write/Permissions management)" in f.message
               for f in result.findings if f.rule_id == "FG102")
