"""Terraform API routes whose integration is not a Lambda function (HTTP_PROXY, AWS service integrations) are
kept as triggers with `function=Unknown(...)`, as the CloudFormation loader keeps them: a route anyone can call
is FG301 whatever its backend, and rules that need the function skip it quietly."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.model import TriggerKind, Unknown
from faasguard.pipeline import load_sources, scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"
ROUTES = FIXTURES / "non-lambda-routes"
CORPUS = Path("/work/shared/corpora/serverless-patterns")


def run(directory: Path, *rules: str) -> list[Finding]:
    config = Config(select=rules, severity=Severity.INFO) if rules else Config(severity=Severity.INFO)
    result = scan([str(directory)], config, cwd=directory)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if not rules or f.rule_id in rules]


def line_of(path: Path, text: str) -> int:
    hits = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def test_non_lambda_routes_are_triggers_with_unknown_function() -> None:
    result = load_sources([str(ROUTES)], Config(), cwd=ROUTES)
    (app,) = result.apps
    triggers = {t.id: t for t in app.triggers}
    # the MOCK preflight is API Gateway answering itself: not a route
    assert set(triggers) == {"aws_api_gateway_method.list", "aws_api_gateway_method.update",
                             "aws_apigatewayv2_route.restock", "aws_apigatewayv2_route.audit",
                             "aws_apigatewayv2_route.ping"}
    listing = triggers["aws_api_gateway_method.list"]
    assert listing.kind is TriggerKind.REST_API
    assert (listing.method, listing.path) == ("GET", "/stock")
    assert isinstance(listing.function, Unknown)
    assert listing.function.reason == ("integration is not a Lambda function: HTTP_PROXY "
                                       "https://inventory.example.org/stock")
    restock = triggers["aws_apigatewayv2_route.restock"]
    assert restock.kind is TriggerKind.HTTP_API
    assert (restock.method, restock.path) == ("POST", "/restock")
    assert isinstance(restock.function, Unknown)
    assert restock.function.reason == "integration is not a Lambda function: AWS_PROXY SQS-SendMessage"
    # a WebSocket API's routes are not HTTP routes (as in the CloudFormation loader)
    assert triggers["aws_apigatewayv2_route.ping"].kind is TriggerKind.OTHER
    assert {a.id: a.kind for a in app.apis}["aws_apigatewayv2_api.live"] is TriggerKind.OTHER


def test_open_http_proxy_method_is_fg301_and_iam_method_is_not() -> None:
    main = ROUTES / "main.tf"
    found = {(f.rule_id, f.resource, f.location.line) for f in run(ROUTES, "FG301")}
    assert found == {
        ("FG301", "aws_api_gateway_method.list", _auth_line(main, "list")),
        # no authorization_type: located at the route block
        ("FG301", "aws_apigatewayv2_route.restock", line_of(main, 'resource "aws_apigatewayv2_route" "restock"')),
    }
    assert _auth_line(main, "update") not in {line for _, _, line in found}


def _auth_line(main: Path, method: str) -> int:
    """The `authorization` line inside `resource "aws_api_gateway_method" "<method>"`."""
    lines = main.read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f'resource "aws_api_gateway_method" "{method}"'))
    offset = next(n for n, line in enumerate(lines[start:]) if line.strip().startswith("authorization"))
    return start + offset + 1


def test_rules_reading_the_function_stay_quiet_on_unknown() -> None:
    """Every rule runs on these triggers without an internal error; none invents a function for them, and the
    only findings are the route-level ones (FG301 on the two open routes, FG306 on the POST without a
    validator)."""
    findings = run(ROUTES)
    assert sorted((f.rule_id, f.resource) for f in findings) == [
        ("FG301", "aws_api_gateway_method.list"), ("FG301", "aws_apigatewayv2_route.restock"),
        ("FG306", "aws_api_gateway_method.update")]
    assert all(f.function is None for f in findings)


def test_corpus_http_integration_matches_its_sam_twin() -> None:
    """serverless-patterns ships the same HTTP_PROXY API as SAM and Terraform: the same FG301 (GET /, medium)."""
    sam, tf = CORPUS / "apigw-rest-api-http-integration", CORPUS / "apigw-rest-api-http-integration-terraform"
    if not (sam.is_dir() and tf.is_dir()):
        pytest.skip("shared corpus not available")
    sam_hits, tf_hits = run(sam, "FG301"), run(tf, "FG301")
    expected = [(Severity.MEDIUM, "REST API route GET /")]
    assert [(f.severity, f.message.split(" with no")[0]) for f in sam_hits] == expected
    assert [(f.severity, f.message.split(" with no")[0]) for f in tf_hits] == expected
    assert tf_hits[0].location.line == line_of(tf / "main.tf", 'authorization = "NONE"')
