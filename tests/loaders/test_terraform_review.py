"""Terraform modelling fixes found by reviewing findings on real projects (serverless-patterns), each pinned by
a fixture of our own with the exact rule, resource and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests._helpers import line_of, run

from faasguard.findings import Finding
from faasguard.loaders.terraform import _instances as terraform_instances

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"


def found(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.resource, f.location.line) for f in findings}


# --------------------------------------------------------------- ARNs of named resources, one spelling

ARN_SHAPES = FIXTURES / "arn-shapes"


def test_grant_on_arn_covers_call_on_name() -> None:
    """A grant on `aws_dynamodb_table.t.arn` covers the handler's call on `TABLE_NAME = ...t.name` (same for a
    bucket reached through `.bucket` and a state machine through `.arn`): no FG108; the one action granted
    and never called is FG107 at its `Action` line."""
    main = ARN_SHAPES / "main.tf"
    actions = line_of(main, '"dynamodb:DeleteItem"')
    assert found(run(ARN_SHAPES, "FG107", "FG108")) == {("FG107", "aws_iam_role.ledger", actions)}


def test_without_shapes_the_comparison_still_matches_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two independent layers keep this fixture quiet: the loader's shared spelling (`_ARN_SHAPES`) and least
    privilege's own knowledge of Terraform references (the handler's `${aws_dynamodb_table.ledger.name}` is that
    table, and a grant on `${aws_dynamodb_table.ledger.arn}` is one of its spellings). Either one alone
    suffices; with neither, the calls on the table, bucket and state machine all look ungranted (the false
    positives seen on real projects)."""
    from faasguard.analysis.iam import least_privilege

    monkeypatch.setattr(terraform_instances, "_ARN_SHAPES", {})
    assert run(ARN_SHAPES, "FG108") == []
    monkeypatch.setattr(least_privilege, "_SPELLINGS", {})
    monkeypatch.setattr(least_privilege, "_TF_REF", re.compile(r"(?!)"))
    findings = run(ARN_SHAPES, "FG108")
    assert {(f.resource, f.location.line) for f in findings} == {
        ("aws_lambda_function.ledger", line_of(ARN_SHAPES / "main.tf", "role          = aws_iam_role.ledger.arn"))}
    (finding,) = findings
    for action in ("dynamodb:Query", "dynamodb:UpdateItem", "s3:PutObject", "states:StartExecution"):
        assert action in finding.message


# --------------------------------------------------------------- REST path parameters are input (parity)

PATH_PARAMS = FIXTURES / "path-params"


def test_path_parameter_is_input_for_request_validation() -> None:
    """GET/DELETE on `/book/{bookId}` read a path parameter: FG306 on each method block, as CloudFormation
    reports the same methods; GET /health takes no input and stays quiet."""
    main = PATH_PARAMS / "main.tf"
    assert found(run(PATH_PARAMS, "FG306")) == {
        ("FG306", "aws_api_gateway_method.get_book", line_of(main, 'resource "aws_api_gateway_method" "get_book"')),
        ("FG306", "aws_api_gateway_method.delete_book",
         line_of(main, 'resource "aws_api_gateway_method" "delete_book"'))}
