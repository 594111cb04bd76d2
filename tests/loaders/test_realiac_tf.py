"""Terraform shapes met in real applications when comparing findings with Checkov: a REST method wired to its
backend outside the configuration, and functions on Lambda Managed Instances placed in the capacity
provider's VPC. Each case asserts the exact rule, resource and line, and what must stay silent."""

from __future__ import annotations

from pathlib import Path

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.model import Unknown
from faasguard.pipeline import load_sources, scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"
OUTSIDE = FIXTURES / "outside-integration"


def run(directory: Path, *rules: str) -> list[Finding]:
    result = scan([str(directory)], Config(select=rules, severity=Severity.INFO), cwd=directory)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if f.rule_id in rules]


def line_of(path: Path, text: str) -> int:
    hits = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def test_method_without_integration_resource_is_a_route_with_unknown_backend() -> None:
    (app,) = load_sources([str(OUTSIDE)], Config(), cwd=OUTSIDE).apps
    triggers = {t.id: t for t in app.triggers}
    assert set(triggers) == {"aws_api_gateway_method.forward", "aws_api_gateway_method.signed",
                             "aws_api_gateway_method.preflight"}
    forward = triggers["aws_api_gateway_method.forward"]
    assert (forward.method, forward.path) == ("ANY", "/{proxy+}")
    assert isinstance(forward.function, Unknown)
    assert "no aws_api_gateway_integration" in forward.function.reason


def test_open_method_without_integration_resource_is_fg301_and_fg306() -> None:
    main = OUTSIDE / "main.tf"
    forward = line_of(main, 'resource "aws_api_gateway_method" "forward"')
    fg301 = run(OUTSIDE, "FG301")
    assert [(f.rule_id, f.resource, f.location.line) for f in fg301] == [
        ("FG301", "aws_api_gateway_method.forward", forward + 4)]  # its `authorization = "NONE"` line
    signed = line_of(main, 'resource "aws_api_gateway_method" "signed"')
    fg306 = run(OUTSIDE, "FG306")
    # the IAM-signed POST takes input too (FG306 does not depend on authorization); the preflight never does
    assert sorted((f.rule_id, f.resource, f.location.line) for f in fg306) == [
        ("FG306", "aws_api_gateway_method.forward", forward),
        ("FG306", "aws_api_gateway_method.signed", signed)]
