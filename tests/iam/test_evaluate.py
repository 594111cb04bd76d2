"""Policy evaluation: explicit Deny, NotAction/NotResource, boundaries, conditions, managed policies, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from faasguard.analysis.iam import managed
from faasguard.analysis.iam.catalog import get_catalog
from faasguard.analysis.iam.document import parse_document
from faasguard.analysis.iam.evaluate import evaluate_role, policy_diagnostics, unknown_actions
from faasguard.analysis.iam.facts import Decision, is_wildcard_resource, resource_matches
from faasguard.model import Application, Location, Policy, PolicyKind, Role, SourceKind

LOC = Location("t.yaml", 3)


def role(*statements: dict[str, Any], managed_arns: tuple[str, ...] = (), boundary: str | None = None) -> Any:
    pols = [Policy("inline", PolicyKind.INLINE, LOC, parse_document({"Statement": list(statements)}, LOC))]
    pols += [Policy(a.rsplit("/", 1)[-1], PolicyKind.AWS_MANAGED, LOC, None, a) for a in managed_arns]
    r = Role("R", LOC, policies=tuple(pols), permissions_boundary=boundary)
    app = Application("t", SourceKind.SAM, "/", ("t.yaml",), roles=(r,))
    return evaluate_role(r, app, ("Fn",))


def test_allow_and_wildcards() -> None:
    ra = role({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"})
    assert ra.access("s3:GetObject", "arn:aws:s3:::b/k").decision is Decision.ALLOWED
    assert ra.access("S3:GETOBJECT", "arn:aws:s3:::b/k").decision is Decision.ALLOWED
    assert ra.access("s3:GetObject", "arn:aws:s3:::other/k").decision is Decision.NOT_GRANTED
    assert ra.access("s3:PutObject", "arn:aws:s3:::b/k").decision is Decision.NOT_GRANTED


def test_explicit_deny_wins() -> None:
    ra = role({"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    assert ra.access("iam:PassRole").decision is Decision.DENIED
    assert ra.access("s3:GetObject").decision is Decision.ALLOWED
    assert "iam:PassRole" not in ra.allowed_actions()


def test_conditional_deny_and_allow_are_kept_as_conditional() -> None:
    ra = role({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
               "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}})
    assert ra.access("kms:Decrypt").decision is Decision.CONDITIONAL
    ra2 = role({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
               {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert ra2.access("s3:GetObject").decision is Decision.CONDITIONAL


def test_not_action_and_not_resource() -> None:
    ra = role({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})
    assert ra.access("s3:GetObject").allowed
    assert not ra.access("iam:CreateUser").allowed
    ra2 = role({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"})
    assert ra2.access("s3:GetObject", "arn:aws:s3:::public/x").allowed
    assert not ra2.access("s3:GetObject", "arn:aws:s3:::secret/x").allowed


def test_permission_boundary_limits() -> None:
    ra = role({"Effect": "Allow", "Action": "*", "Resource": "*"},
              boundary="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert ra.access("s3:GetObject").allowed
    assert ra.access("dynamodb:PutItem").decision is Decision.DENIED
    unknown = role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                   boundary="arn:aws:iam::123456789012:policy/Custom")
    assert unknown.access("s3:GetObject").decision is Decision.CONDITIONAL


def test_managed_policies_resolved_from_bundled_documents() -> None:
    ra = role(managed_arns=("arn:aws:iam::aws:policy/AdministratorAccess",))
    assert ra.access("iam:PassRole").allowed
    ra = role(managed_arns=("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",))
    assert ra.access("logs:PutLogEvents").allowed
    assert not ra.access("s3:GetObject").allowed
    assert all(g.execution_policy for g in ra.allows)
    ra = role(managed_arns=("arn:aws:iam::aws:policy/NoSuchPolicyXyz",))
    assert ra.access("s3:GetObject").decision is Decision.UNKNOWN


def test_every_bundled_managed_policy_names_real_actions() -> None:
    cat = get_catalog()
    for name in managed.names():
        pol = managed.lookup(name)
        assert pol is not None
        for st in pol.document.statements:
            for a in (*st.actions, *(st.not_actions or ())):
                assert isinstance(a, str)
                assert a == "*" or cat.expand(a), f"{name}: {a}"


@pytest.mark.parametrize(("resource", "wild"), [
    ("*", True), ("arn:aws:s3:::*", True), ("arn:aws:dynamodb:*:*:table/*", True),
    ("arn:aws:secretsmanager:*:*:secret:*", True), ("arn:aws:iam::*:role/*", True),
    ("arn:aws:s3:::my-bucket/*", False), ("arn:aws:logs:us-east-1:1:log-group:X:*", False),
    ("arn:${AWS::Partition}:s3:::${Uploads}/*", False), ("${Orders.Arn}", False),
])
def test_wildcard_resource_definition(resource: str, wild: bool) -> None:
    assert is_wildcard_resource(resource) is wild


def test_symbolic_resources_match() -> None:
    assert resource_matches("arn:${AWS::Partition}:s3:::${B}/*", "arn:aws:s3:::${B}/x")
    assert resource_matches("arn:aws:dynamodb:us-east-1:123456789012:table/*",
                            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${T}")
    assert not resource_matches("arn:aws:s3:::a*", "arn:aws:s3:::b")


def test_bad_input_documents() -> None:
    bad = parse_document('{"Statement": [', LOC)
    assert bad.unresolved is not None
    assert "not valid JSON" in bad.unresolved.reason
    as_string = parse_document('{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}', LOC)
    assert as_string.unresolved is None
    assert as_string.statements[0].actions == ("s3:GetObject",)
    weird = parse_document({"Statement": ["nope", {"Effect": "Allow", "Action": 5, "Resource": "*"}]}, LOC)
    assert weird.unresolved is not None
    assert len(weird.statements) == 1
    assert parse_document(["x"], LOC).unresolved is not None
    r = Role("R", LOC, policies=(Policy("p", PolicyKind.INLINE, LOC, bad),))
    app = Application("t", SourceKind.SAM, "/", ("t.yaml",), roles=(r,))
    diags = policy_diagnostics(app)
    assert len(diags) == 1
    assert diags[0].location == LOC
    # A statement whose Action is not a string keeps the rest and grants nothing for that part.
    ra = evaluate_role(Role("R", LOC, policies=(Policy("p", PolicyKind.INLINE, LOC, weird),)), app, ())
    assert ra.allows[0].unknown


def test_unknown_actions_with_suggestions() -> None:
    ra = role({"Effect": "Allow", "Action": ["s3:GetObjct", "dynamo:PutItem", "s3:Nope*", "s3:GetObject"],
               "Resource": "*"})
    found = {u.action: u for u in unknown_actions([ra])}
    assert set(found) == {"s3:GetObjct", "dynamo:PutItem", "s3:Nope*"}
    assert found["s3:GetObjct"].suggestion == "s3:GetObject"
    assert found["dynamo:PutItem"].unknown_service
    assert found["dynamo:PutItem"].suggestion == "dynamodb:PutItem"


@pytest.mark.parametrize(("statements", "services"), [
    ([{"Effect": "Allow", "Action": ["s3:GetObject", "DynamoDB:PutItem"], "Resource": "*"}],
     frozenset({"s3", "dynamodb"})),
    ([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
      {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}], frozenset({"s3"})),  # a Deny grants nothing
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"}], None),
    ([{"Effect": "Allow", "Action": "s*:Get*", "Resource": "*"}], None),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], None),
])
def test_granted_services(statements: list[dict[str, Any]], services: frozenset[str] | None) -> None:
    """The services a role's allows can name: what lets the escalation check skip a method without asking its
    actions; None whenever one pattern may cross services."""
    ra = role(*statements)
    assert ra.granted_services() == services
    if services is not None:
        assert ra.grants_for("iam:PassRole") == ()
        assert ra.grants_for("s3:GetObject")
