"""The intrinsic resolver: unit cases for each function and a property test that it never raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faasguard.loaders._yaml import parse_yaml_text
from faasguard.loaders.intrinsics import NO_VALUE, Resolver, Symbolic
from faasguard.model import Unknown

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: prod}
  Secret: {Type: String, NoEcho: true}
  Subnets: {Type: CommaDelimitedList, Default: "a,b"}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/name}
Mappings:
  Region:
    us-east-1: {Ami: ami-1}
    eu-west-1: {Ami: ami-2}
  Same:
    us-east-1: {Size: 1}
    eu-west-1: {Size: 1}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsEast: !Equals [!Ref "AWS::Region", us-east-1]
  Both: !And [!Condition IsProd, !Condition IsEast]
  Either: !Or [!Condition IsProd, !Condition IsEast]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: !Sub "orders-${Env}"}
  Bucket:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: jobs}
  Role:
    Type: AWS::IAM::Role
    Properties: {RoleName: app, Path: /service/}
"""


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    (template,) = parse_yaml_text(TEMPLATE, "t.yaml")
    return Resolver(template, "t.yaml")


def resolve(resolver: Resolver, text: str) -> Any:
    (value,) = parse_yaml_text(text, "v.yaml")
    return resolver.resolve(value)


P = "arn:${AWS::Partition}"


@pytest.mark.parametrize(("expression", "expected"), [
    ("!Ref Env", "prod"),
    ("!Ref AWS::AccountId", "${AWS::AccountId}"),
    ("!Ref Bucket", "${Bucket}"),
    ("!GetAtt Bucket.Arn", "${Bucket.Arn}"),
    ("!Ref Table", "orders-prod"),
    ("!GetAtt Table.Arn", P + ":dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders-prod"),
    ("!GetAtt Queue.Arn", P + ":sqs:${AWS::Region}:${AWS::AccountId}:jobs"),
    ("!GetAtt Role.Arn", P + ":iam::${AWS::AccountId}:role/service/app"),
    ("!Sub 'arn:aws:s3:::${Bucket}/*'", "arn:aws:s3:::${Bucket}/*"),
    ("!Sub ['${A}-${Env}', {A: x}]", "x-prod"),
    ("!Sub '${!Literal}'", "${Literal}"),
    ("!Join [':', [a, !Ref Env]]", "a:prod"),
    ("!Select [1, [a, b, c]]", "b"),
    ("!Select [1, !Ref Subnets]", "b"),
    ("!Split [',', 'x,y']", ["x", "y"]),
    ("!If [IsProd, big, small]", "big"),
    ("!If [Either, 1, 2]", 1),
    ("!FindInMap [Same, !Ref 'AWS::Region', Size]", 1),
    ("!Base64 hello", "hello"),
    ("[a, !Ref 'AWS::NoValue', b]", ["a", "b"]),
    ("{A: 1, B: !Ref 'AWS::NoValue'}", {"A": 1}),
])
def test_resolves(resolver: Resolver, expression: str, expected: Any) -> None:
    assert resolve(resolver, expression) == expected


@pytest.mark.parametrize(("expression", "reason"), [
    ("!Ref Secret", "parameter Secret has no default"),
    ("!Sub 'x-${Secret}'", "parameter Secret has no default"),
    ("!ImportValue shared", "imported from another stack"),
    ("!Select [0, !GetAZs '']", "availability zones"),
    ("!If [Both, a, b]", "depends on condition Both"),
    ("!FindInMap [Region, !Ref 'AWS::Region', Ami]", "deploy-time key"),
    ("!Ref FromSsm", "read from SSM parameter"),
    ("!Ref Missing", "not defined in this template"),
    ("!GetAtt Missing.Arn", "not defined in this template"),
])
def test_unknowns_say_why(resolver: Resolver, expression: str, reason: str) -> None:
    value = resolve(resolver, expression)
    assert isinstance(value, Unknown)
    assert reason in value.reason


def test_symbolic_marks_deploy_time_values(resolver: Resolver) -> None:
    value = resolve(resolver, "!Sub '${AWS::Region}-x'")
    assert isinstance(value, Symbolic)
    assert resolver.id_of(resolve(resolver, "!GetAtt Table.Arn")) == "Table"
    assert resolver.id_of("${Bucket.Arn}") == "Bucket"
    assert resolve(resolver, "!Ref 'AWS::NoValue'") is NO_VALUE


def test_resolved_containers_keep_positions(resolver: Resolver) -> None:
    value = resolve(resolver, "Outer:\n  Inner: !Ref Env\n  List:\n    - !Ref 'AWS::NoValue'\n    - kept\n")
    assert value["Outer"]["Inner"] == "prod"
    assert value["Outer"].key_locs["Inner"] == (2, 3)
    assert value["Outer"]["List"] == ["kept"]
    assert value["Outer"]["List"].item_locs == [(5, 7)]


_NAMES = st.sampled_from(["Env", "Secret", "Table", "Bucket", "Missing", "AWS::Region", "AWS::NoValue",
                          "IsProd", "Both", "Loop", "Table.Arn", "Bucket.Arn"])
_FUNCTIONS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Select", "Fn::FindInMap",
              "Fn::ImportValue", "Fn::Split", "Fn::GetAZs", "Fn::Base64", "Fn::Equals", "Fn::And", "Fn::Or",
              "Fn::Not", "Condition", "Fn::Cidr", "Fn::Transform", "Fn::Length", "Fn::ToJsonString"]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), _NAMES,
                     st.text(alphabet="${}!.:-ab", max_size=12))


def _expressions() -> st.SearchStrategy[Any]:
    return st.recursive(
        _SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.sampled_from(_FUNCTIONS), children, min_size=1, max_size=1),
            st.dictionaries(st.sampled_from(["A", "B", "Ref", "Fn::Sub"]), children, max_size=3),
        ),
        max_leaves=40,
    )


@settings(max_examples=300, deadline=None)
@given(expression=_expressions(), conditions=st.dictionaries(st.sampled_from(["IsProd", "Both", "Loop"]),
                                                             _expressions(), max_size=3))
def test_resolver_never_raises(expression: Any, conditions: dict[str, Any]) -> None:
    template = {
        "Parameters": {"Env": {"Default": "prod"}, "Secret": {}},
        "Conditions": conditions,
        "Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": expression}},
                      "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": expression}}},
        "Mappings": {"M": {"a": {"b": expression}}},
    }
    resolver = Resolver(template, "t.yaml")
    resolver.resolve(expression)
    resolver.resolve({"Fn::If": ["Loop", expression, expression]})
    resolver.name_of("Table")
    resolver.arn_of("Bucket")
    for name in conditions:
        assert isinstance(resolver.condition(name), (bool, Unknown))


def test_fixture_dir_exists() -> None:
    assert (Path(__file__).resolve().parents[1] / "fixtures" / "loaders" / "cloudformation").is_dir()
