"""Property-based: the generated policy allows every call the code makes, and when the declared policy already
suffices, the generated one allows nothing outside it."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iam_helpers import FIXTURES, call, enrich, load

from faasguard.analysis.code.facts import EnvRef
from faasguard.analysis.iam.document import parse_document
from faasguard.analysis.iam.evaluate import evaluate_role
from faasguard.analysis.iam.least_privilege import generate, need_covered
from faasguard.model import Location, Policy, PolicyKind, Role

APP = load(FIXTURES / "seed")
LOC = Location("gen.json", 1)

CALLS = [
    ("s3", "get_object", "GetObject", {"Bucket": EnvRef("BUCKET")}),
    ("s3", "put_object", "PutObject", {"Bucket": EnvRef("BUCKET")}),
    ("s3", "list_objects_v2", "ListObjectsV2", {"Bucket": EnvRef("BUCKET")}),
    ("s3", "upload_file", None, {"Bucket": "literal-bucket"}),
    ("dynamodb", "put_item", "PutItem", {"TableName": EnvRef("TABLE_NAME")}),
    ("dynamodb", "query", "Query", {"TableName": EnvRef("TABLE_NAME"), "IndexName": "byDate"}),
    ("dynamodb", "get_item", "GetItem", {"TableName": "orders-literal"}),
    ("secretsmanager", "get_secret_value", "GetSecretValue", {"SecretId": "prod/db"}),
    ("sqs", "send_message", "SendMessage",
     {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"}),
    ("cloudwatch", "put_metric_data", "PutMetricData", {}),
    ("xray", "put_trace_segments", "PutTraceSegments", {}),
    ("lambda", "invoke", "Invoke", {"FunctionName": "other-fn"}),
    ("ssm", "get_parameter", "GetParameter", {"Name": "/app/key"}),
]


def _role_from(document: dict[str, object]) -> object:
    role = Role("Generated", LOC, policies=(Policy("gen", PolicyKind.INLINE, LOC, parse_document(document, LOC)),))
    return evaluate_role(role, APP, ("ReaderFunction",))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CALLS), min_size=1, max_size=6))
def test_generated_policy_allows_every_call(picked: list[tuple[str, str, str | None, dict[str, object]]]) -> None:
    calls = [call(s, m, o, **args) for s, m, o, args in picked]  # type: ignore[arg-type]
    facts = enrich(APP, {"ReaderFunction": calls})
    assert facts.iam is not None
    needs = facts.iam.needs["ReaderFunction"]
    gen = generate(needs)
    generated = _role_from(gen.document)
    for need in needs.needs:
        assert need_covered(generated, need, APP) is True, need  # type: ignore[arg-type]
    # Minimal: no statement grants an action nothing needs.
    needed = {n.action for n in needs.needs}
    granted = {a for s in gen.document["Statement"] for a in s["Action"]}  # type: ignore[attr-defined]
    assert granted == needed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CALLS), min_size=1, max_size=6))
def test_generated_stays_inside_a_sufficient_declared_policy(
        picked: list[tuple[str, str, str | None, dict[str, object]]]) -> None:
    calls = [call(s, m, o, **args) for s, m, o, args in picked]  # type: ignore[arg-type]
    facts = enrich(APP, {"ReaderFunction": calls})
    assert facts.iam is not None
    needs = facts.iam.needs["ReaderFunction"]
    # A declared policy that suffices but is broader: every needed action (plus extras) on "*".
    actions = [*sorted({n.action for n in needs.needs}), "s3:DeleteObject"]
    declared_doc = {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    declared = _role_from(declared_doc)
    gen = generate(needs, declared)  # type: ignore[arg-type]
    for s in gen.document["Statement"]:  # type: ignore[attr-defined]
        for action in s["Action"]:
            for res in s["Resource"]:
                assert declared.access(action, res).allowed  # type: ignore[attr-defined]
    assert "s3:DeleteObject" not in {a for s in gen.document["Statement"] for a in s["Action"]}  # type: ignore[attr-defined]


def test_fixture_dir_exists() -> None:
    assert Path(FIXTURES / "seed" / "template.yaml").is_file()


_PATTERNS = st.sampled_from(["*", "s3:*", "S3:Get*", "s3:GetObject", "s*:Get*", "iam:PassRole", "IAM:*", "?am:Pass*",
                             "lambda:Update*", "sts:AssumeRole", "dynamodb:*Item", "s3", "ſ3:GetObject",
                             "kms:Decrypt"])
_ACTIONS = ["s3:GetObject", "S3:getobject", "s3:PutObject", "iam:PassRole", "lambda:UpdateFunctionCode",
            "sts:AssumeRole", "dynamodb:PutItem", "kms:Decrypt", "ec2:RunInstances", "noservice", "s3:Get:x"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_PATTERNS, min_size=1, max_size=3), st.booleans()), min_size=1, max_size=5))
def test_grants_for_equals_scanning_every_grant(statements: list[tuple[list[str], bool]]) -> None:
    # The per-service index of a role's grants only skips grants that cannot match: the answer (and its order)
    # is the plain scan of every allow grant.
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", ("NotAction" if negated else "Action"): patterns, "Resource": "*"}
        for patterns, negated in statements]}
    ra = _role_from(document)
    for action in _ACTIONS:
        assert ra.grants_for(action) == tuple(g for g in ra.allows if g.matches_action(action)), action  # type: ignore[attr-defined]
