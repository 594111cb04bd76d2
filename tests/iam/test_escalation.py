"""Every escalation method: a positive (granted on a wildcard) and a negative (scoped or constrained)."""

from __future__ import annotations

from typing import Any

import pytest

from faasguard.analysis.iam.document import parse_document
from faasguard.analysis.iam.escalation import METHODS, Method, escalations
from faasguard.analysis.iam.evaluate import evaluate_role
from faasguard.model import Application, Location, Policy, PolicyKind, Role, SourceKind

LOC = Location("t.yaml", 3)


def access(*statements: dict[str, Any]) -> Any:
    doc = parse_document({"Statement": list(statements)}, LOC)
    r = Role("FnRole", LOC, policies=(Policy("inline", PolicyKind.INLINE, LOC, doc),))
    app = Application("t", SourceKind.SAM, "/", ("t.yaml",), roles=(r,))
    return evaluate_role(r, app, ("Fn",))


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.id)
def test_method_positive(method: Method) -> None:
    found = {e.method.id for e in escalations(access({"Effect": "Allow", "Action": list(method.needs),
                                                      "Resource": "*"}))}
    assert method.id in found or SUBSUMED.get(method.id) in found


SUBSUMED = {"passrole-lambda-create-esm": "passrole-lambda-create-invoke",
            "passrole-lambda-create-permission": "passrole-lambda-create-invoke",
            "passrole-lambda-create-url": "passrole-lambda-create-invoke",
            "passrole-lambda-update-configuration": "update-function-configuration",
            "update-assume-role-policy": "assume-any-role"}
"""Methods reported under a simpler one with the same key action."""


BROAD = [m for m in METHODS if m.targets is None]
PRINCIPAL = [m for m in METHODS if m.targets is not None]


@pytest.mark.parametrize("method", BROAD, ids=lambda m: m.id)
def test_broad_method_negative_scoped_to_named_resource(method: Method) -> None:
    named = "arn:aws:iam::123456789012:role/app/specific-worker-role"
    found = {e.method.id for e in escalations(access({"Effect": "Allow", "Action": list(method.needs),
                                                      "Resource": named}))}
    assert method.id not in found


@pytest.mark.parametrize("method", PRINCIPAL, ids=lambda m: m.id)
def test_principal_method_on_a_named_principal_is_reported_with_its_name(method: Method) -> None:
    named = f"arn:aws:iam::123456789012:{method.targets}/ops/deployer"
    found = {e.method.id: e for e in escalations(access({"Effect": "Allow", "Action": list(method.needs),
                                                         "Resource": named}))}
    assert found[method.id].targets == (named,)


@pytest.mark.parametrize("method", PRINCIPAL, ids=lambda m: m.id)
def test_principal_method_bounded_by_policy_arn_condition_is_not_escalation(method: Method) -> None:
    named = f"arn:aws:iam::123456789012:{method.targets}/ops/deployer"
    bounded = access({"Effect": "Allow", "Action": list(method.needs), "Resource": named,
                      "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
                     {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": named})
    assert method.id not in {e.method.id for e in escalations(bounded)} or method.id == "update-assume-role-policy"


def test_every_method_names_its_source() -> None:
    assert all(m.source.startswith("https://") for m in METHODS)


def test_passrole_and_update_configuration_on_a_named_function() -> None:
    ra = access({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
                {"Effect": "Allow", "Action": "lambda:UpdateFunctionConfiguration",
                 "Resource": "arn:aws:lambda:us-east-1:123456789012:function:worker"})
    assert [e.method.id for e in escalations(ra)] == ["passrole-lambda-update-configuration"]


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.id)
def test_method_negative_missing_one_action(method: Method) -> None:
    if len(method.needs) == 1:
        ra = access({"Effect": "Allow", "Action": list(method.needs), "Resource": "*"},
                    {"Effect": "Deny", "Action": list(method.needs), "Resource": "*"})
    else:
        ra = access({"Effect": "Allow", "Action": list(method.needs[:-1]), "Resource": "*"})
    assert method.id not in {e.method.id for e in escalations(ra)}


def test_passrole_constrained_by_passed_to_service() -> None:
    needs = ["lambda:CreateFunction", "lambda:InvokeFunction"]
    other = access({"Effect": "Allow", "Action": needs, "Resource": "*"},
                   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": "states.amazonaws.com"}}})
    assert not escalations(other)
    to_lambda = access({"Effect": "Allow", "Action": needs, "Resource": "*"},
                       {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                        "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}})
    found = escalations(to_lambda)
    assert [e.method.id for e in found] == ["passrole-lambda-create-invoke"]
    assert not found[0].conditional  # PassedToService is understood, not an opaque condition


def test_other_conditions_lower_confidence() -> None:
    ra = access({"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}})
    found = escalations(ra)
    assert found
    assert found[0].conditional


def test_self_modification_counts() -> None:
    ra = access({"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "${FnRole.Arn}"})
    assert [e.method.id for e in escalations(ra)] == ["put-role-policy"]


def test_managed_lambda_full_access_is_escalation_but_dynamodb_full_access_is_not() -> None:
    def with_managed(name: str) -> Any:
        r = Role("R", LOC, policies=(Policy(name, PolicyKind.AWS_MANAGED, LOC, None,
                                            f"arn:aws:iam::aws:policy/{name}"),))
        return evaluate_role(r, Application("t", SourceKind.SAM, "/", (), roles=(r,)), ("Fn",))

    assert "passrole-lambda-create-invoke" in {e.method.id for e in escalations(with_managed("AWSLambda_FullAccess"))}
    ddb = {e.method.id for e in escalations(with_managed("AmazonDynamoDBFullAccess"))}
    assert "passrole-lambda-create-invoke" not in ddb


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.id)
def test_method_found_beside_grants_of_other_services(method: Method) -> None:
    """The per-role service pre-check skips a method only when a needed service is granted nowhere: grants of
    unrelated services beside the method's actions do not hide it, nor does splitting them over statements."""
    statements = [{"Effect": "Allow", "Action": ["dynamodb:PutItem", "logs:PutLogEvents"], "Resource": "*"}]
    statements += [{"Effect": "Allow", "Action": action, "Resource": "*"} for action in method.needs]
    found = {e.method.id for e in escalations(access(*statements))}
    assert method.id in found or SUBSUMED.get(method.id) in found
    unrelated = access({"Effect": "Allow", "Action": ["dynamodb:PutItem", "logs:PutLogEvents"], "Resource": "*"})
    assert escalations(unrelated) == []
