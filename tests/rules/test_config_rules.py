"""Every configuration rule against real SAM/CloudFormation fixtures, scanned through the whole pipeline.

Each fixture marks what it expects with a comment on the offending line:

    Action: "*"        # expect: FG101 AppRole critical

meaning "a finding of FG101 whose resource is AppRole on this line" (and, when a severity follows, that the
context made it that severity). `pos.yaml` must produce exactly the
marked findings of its rule (no more, no fewer); `neg.yaml` holds the look-alikes the rule must stay quiet
about and must produce none. Only the rule under test runs, so the markers of one rule never depend on
another.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.pipeline import scan

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"
TODAY = date(2026, 11, 23)
_MARK = re.compile(r"#\s*expect:\s*(FG\d{3})\s+(\S+)(?:\s+(info|low|medium|high|critical)\b)?")

RULES = ["FG101", "FG102", "FG103", "FG104", "FG109", "FG110", "FG111", "FG201", "FG203", "FG301", "FG302",
         "FG303", "FG304", "FG305", "FG306", "FG307", "FG308", "FG309", "FG401", "FG402", "FG403", "FG404",
         "FG405", "FG406", "FG311"]


def expected(path: Path, rule_id: str) -> set[tuple[str, str, int]]:
    out = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for m in _MARK.finditer(line):
            if m.group(1) == rule_id:
                out.add((m.group(1), m.group(2), number))
    return out


def run(path: Path, rule_id: str, **config: object) -> list[Finding]:
    cfg = Config(select=(rule_id,), severity=Severity.INFO, today=TODAY, **config)  # type: ignore[arg-type]
    result = scan([str(path)], cfg, cwd=path.parent)
    crashes = [d for d in result.diagnostics if d.kind.value == "internal-error"]
    assert not crashes, crashes
    return [f for f in result.findings if f.rule_id == rule_id]


def found(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.resource, f.location.line) for f in findings}


def expected_severities(path: Path, rule_id: str) -> dict[tuple[str, int], str]:
    out = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for m in _MARK.finditer(line):
            if m.group(1) == rule_id and m.group(3):
                out[(m.group(2), number)] = m.group(3)
    return out


@pytest.mark.parametrize("rule_id", RULES)
def test_positive(rule_id: str) -> None:
    path = FIXTURES / rule_id / "pos.yaml"
    want = expected(path, rule_id)
    assert want, f"{path} marks no expected finding"
    findings = run(path, rule_id)
    assert found(findings) == want
    assert len(findings) == len(want), "one finding per offending node"
    severities = expected_severities(path, rule_id)
    for f in findings:
        assert f.message, f
        assert f.fix, f
        want_severity = severities.get((f.resource, f.location.line))
        if want_severity:
            assert f.severity.value == want_severity, f.message


@pytest.mark.parametrize("rule_id", RULES)
def test_negative(rule_id: str) -> None:
    path = FIXTURES / rule_id / "neg.yaml"
    assert not expected(path, rule_id)
    assert found(run(path, rule_id)) == set()
