"""Identity and location decisions from the precision review of the configuration and IAM rules on real
templates: an inherited SAM Globals value is one node (one finding naming every function), and a capability
that comes from an AWS managed policy is located on the line that attaches it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.pipeline import scan

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"


def _run(path: Path, rule_id: str) -> list[Finding]:
    cfg = Config(select=(rule_id,), severity=Severity.INFO, today=date(2026, 11, 23))
    result = scan([str(path)], cfg, cwd=path.parent)
    return [f for f in result.findings if f.rule_id == rule_id]


def test_globals_runtime_is_one_finding_naming_every_inheriting_function() -> None:
    findings = [f for f in _run(FIXTURES / "FG402" / "pos.yaml", "FG402") if f.location.line == 7]
    assert len(findings) == 1
    assert findings[0].resource == "InheritingFunction"
    assert findings[0].functions == ("InheritingFunction", "InheritingTooFunction")
    assert "2 functions" in findings[0].message


def test_globals_environment_secret_is_one_finding() -> None:
    findings = [f for f in _run(FIXTURES / "FG201" / "pos.yaml", "FG201") if f.location.line == 12]
    assert len(findings) == 1
    assert set(findings[0].functions) == {"DbAdminFunction", "PaymentsFunction"}
    assert "STRIPE_API_KEY" in findings[0].message


def test_globals_timeout_merges_at_the_worst_severity() -> None:
    findings = [f for f in _run(FIXTURES / "FG401" / "pos.yaml", "FG401") if f.location.line == 10]
    assert len(findings) == 1
    f = findings[0]
    assert f.severity is Severity.HIGH
    assert set(f.functions) == {"PublicReportFunction", "NightlyFunction"}


def test_managed_policy_capabilities_point_at_the_attachment() -> None:
    path = FIXTURES / "review" / "managed_reach.yaml"
    for rule_id in ("FG105", "FG310"):
        findings = _run(path, rule_id)
        assert [(f.resource, f.location.line) for f in findings] == [("DeployHelperFunction", 15)], rule_id
        assert findings[0].location.path.endswith("managed_reach.yaml")
