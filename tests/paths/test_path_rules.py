"""FG901-FG903 on real templates and handler code, the same application written for SAM, Terraform and the
Serverless Framework (tests/fixtures/paths/<format>): exact rule, resource and line for every positive, and the
negative space (an IAM-only injectable handler with a log-only role, a public handler with no sink, a file read
with nothing secret to read, an internal entry) asserted as absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.pipeline import scan

FIXTURES = Path(__file__).parent.parent / "fixtures" / "paths"

# (format, function ids by role in the fixture, shared role id, role line)
FORMATS = {
    "sam": ({"exporter": "ExporterFunction", "billing": "BillingFunction", "status": "StatusFunction",
             "viewer": "ViewerFunction", "reader": "ReaderFunction", "worker": "WorkerFunction"},
            "SharedRole", ("template.yaml", 25)),
    "terraform": ({name: f"aws_lambda_function.{name}" for name in
                   ("exporter", "billing", "status", "viewer", "reader", "worker")},
                  "aws_iam_role.shared", ("main.tf", 27)),
    "serverless": ({name: name for name in ("exporter", "billing", "status", "viewer", "reader", "worker")},
                   "IamRoleLambdaExecution", ("serverless.yml", 12)),
}


@pytest.fixture(scope="module", params=sorted(FORMATS))
def scanned(request: pytest.FixtureRequest) -> tuple[str, list[Finding]]:
    fmt = request.param
    result = scan([str(FIXTURES / fmt)], Config(select=("FG9",)))
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    return fmt, result.findings


def _where(finding: Finding) -> tuple[str, str, str, int]:
    return finding.rule_id, finding.resource, Path(finding.location.path).name, finding.location.line


def test_exact_findings(scanned: tuple[str, list[Finding]]) -> None:
    fmt, findings = scanned
    ids, role, (role_file, role_line) = FORMATS[fmt]
    assert sorted(_where(f) for f in findings) == sorted([
        ("FG901", ids["exporter"], "exporter.py", 8),
        ("FG901", ids["reader"], "reader.py", 6),
        ("FG902", role, role_file, role_line),
        ("FG903", ids["reader"], "reader.py", 6),
    ])


def test_fg901_severity_from_exposure_and_impact(scanned: tuple[str, list[Finding]]) -> None:
    fmt, findings = scanned
    ids = FORMATS[fmt][0]
    paths = {f.resource: f for f in findings if f.rule_id == "FG901"}
    exporter = paths[ids["exporter"]]
    assert exporter.severity is Severity.CRITICAL  # anonymous + every secret
    assert "secretsmanager:GetSecretValue on *" in exporter.message
    assert f"data of {ids['billing']}" in exporter.message
    # anonymous + the function's own plaintext secret only: scoped impact
    assert paths[ids["reader"]].severity is Severity.HIGH
    assert "DB_PASSWORD" in paths[ids["reader"]].message


def test_fg901_hops_are_located(scanned: tuple[str, list[Finding]]) -> None:
    fmt, findings = scanned
    ids, _, (iac_file, _) = FORMATS[fmt]
    exporter = next(f for f in findings if f.rule_id == "FG901" and f.resource == ids["exporter"])
    kinds = [step.description.split(":", 1)[0] for step in exporter.evidence]
    assert kinds[0] == "entry"
    assert "flaw" in kinds
    assert "credential" in kinds
    assert kinds[-1] == "impact"
    entry, *_ = exporter.evidence
    assert Path(entry.location.path).name == iac_file
    sink = [s for s in exporter.evidence if s.location.path.endswith("exporter.py")]
    assert sink[-1].location.line == 8
    assert "subprocess.run(shell=True)" in sink[-1].description
    impacts = [s for s in exporter.evidence if s.description.startswith("impact:")]
    assert all(Path(s.location.path).name == iac_file for s in impacts)


def test_negative_space(scanned: tuple[str, list[Finding]]) -> None:
    fmt, findings = scanned
    ids = FORMATS[fmt][0]
    flagged = {fn for f in findings for fn in f.functions if f.rule_id in ("FG901", "FG903")}
    # IAM-only route + log-only role; public route with no sink; a read with nothing secret; an internal job
    for quiet in ("viewer", "status", "worker", "billing"):
        assert ids[quiet] not in flagged, quiet


def test_fg902_names_both_and_the_gain(scanned: tuple[str, list[Finding]]) -> None:
    fmt, findings = scanned
    ids = FORMATS[fmt][0]
    (finding,) = [f for f in findings if f.rule_id == "FG902"]
    assert set(finding.functions) == {ids["exporter"], ids["billing"]}
    assert f"compromising {ids['exporter']}" in finding.message
    assert "dynamodb:PutItem" in finding.message
    # the status function shares the role but has no flaw and needs nothing extra: not named
    assert ids["status"] not in finding.message
