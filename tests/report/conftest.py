"""A hand-made `ScanResult` covering every shape a reporter must render: a shared-role finding, a code finding
with a source→sink path, an IAM finding whose statement holds an unresolved value, a suppressed finding, a
finding with no function, and diagnostics of each level (including an internal error)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

from faasguard.config import Config
from faasguard.findings import (
    Confidence,
    Diagnostic,
    DiagnosticKind,
    DiagnosticLevel,
    EvidenceStep,
    Finding,
    Severity,
    Suppression,
)
from faasguard.model import Application, Function, Location, Role, SourceKind, Unknown
from faasguard.result import ScanResult
from faasguard.rules.base import Rule
from faasguard.sources import SourceFile, SourceType

FIXTURES = Path(__file__).parent.parent / "fixtures"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  SharedRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - Effect: Allow
                Action: "*"
                Resource: !Ref Unknowable
  ConvertFunction:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt SharedRole.Arn
      Timeout: 900
  AdminFunction:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt SharedRole.Arn
  PublicApi:
    Type: AWS::Serverless::Api
"""

HANDLER = """\
import os


def handler(event, context):
    key = event["Records"][0]["s3"]["object"]["key"]
    os.system(f"convert {key} out.png")
"""


def _doc(summary: str) -> str:
    return (f"## What it does\nChecks that {summary}.\nSecond line of the first paragraph.\n\n"
            "More detail.\n\n## Why is this bad?\nBecause.\n\n## Example\n```yaml\nbad: true\n```\n\n"
            "## Fix\n```yaml\nbad: false\n```")


class FakeWildcard(Rule):
    __doc__ = _doc("no policy allows every action")
    id = "FG101"
    name = "wildcard-action"
    summary = "A function's role allows every action"
    severity = Severity.CRITICAL
    cwe = "CWE-732"
    owasp = "SAS-5"
    checklist = "C1"


class FakeShared(Rule):
    __doc__ = _doc("each function has its own role")
    id = "FG104"
    name = "shared-execution-role"
    summary = "One role shared by several functions"
    severity = Severity.MEDIUM
    cwe = "CWE-250"


class FakeTimeout(Rule):
    __doc__ = _doc("timeouts are short")
    id = "FG401"
    name = "excessive-timeout"
    summary = "Timeout longer than needed"
    severity = Severity.LOW
    confidence: ClassVar[Confidence] = Confidence.MEDIUM


class FakeInjection(Rule):
    __doc__ = _doc("event data does not reach a shell")
    id = "FG501"
    name = "command-injection"
    summary = "Event data reaches a shell command"
    severity = Severity.HIGH
    cwe = "CWE-78"


class FakeUnused(Rule):
    __doc__ = _doc("nothing")
    id = "FG302"
    name = "api-without-authorizer"
    summary = "API route without authorization"
    severity = Severity.INFO


def _finding(rule: type[Rule], message: str, location: Location, resource: str, **kw: object) -> Finding:
    made = rule().finding(message, location, resource, **kw)  # type: ignore[arg-type]
    return replace(made, fingerprint=made.compute_fingerprint())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


@pytest.fixture
def result(project: Path) -> ScanResult:
    t = "template.yaml"
    app = Application(
        name=t, source=SourceKind.SAM, root=str(project), files=(t, str(project / "src" / "app.py")),
        functions=(Function("ConvertFunction", Location(t, 13, 3, logical_id="ConvertFunction")),
                   Function("AdminFunction", Location(t, 18, 3, logical_id="AdminFunction"))),
        roles=(Role("SharedRole", Location(t, 4, 3, logical_id="SharedRole")),))
    findings = [
        _finding(FakeWildcard, 'Role SharedRole allows Action "*" on an unresolved resource',
                 Location(t, 11, 17, logical_id="SharedRole"), "SharedRole",
                 function=["ConvertFunction", "AdminFunction"],
                 statement={"Effect": "Allow", "Action": "*", "Resource": (Unknown("!Ref Unknowable"),)},
                 fix='Replace "*" with the actions the functions call.'),
        _finding(FakeShared, "Role SharedRole is shared by AdminFunction and ConvertFunction",
                 Location(t, 4, 3, logical_id="SharedRole"), "SharedRole",
                 function=["ConvertFunction", "AdminFunction"]),
        _finding(FakeTimeout, "ConvertFunction has a 900 s timeout", Location(t, 17, 7, logical_id="ConvertFunction"),
                 "ConvertFunction", function="ConvertFunction", fix="Timeout: 30"),
        _finding(FakeInjection, "S3 object key reaches os.system in handler",
                 Location("src/app.py", 6, 5, end_line=6, logical_id="ConvertFunction"), "ConvertFunction",
                 function="ConvertFunction",
                 evidence=[EvidenceStep("event['Records'][0]['s3']['object']['key'] (S3 object key)",
                                        Location("src/app.py", 5, 11)),
                           EvidenceStep("os.system(f\"convert {key} out.png\")", Location("src/app.py", 6, 5))]),
        _finding(FakeWildcard, "PublicApi has no authorizer", Location(t, 22, 3, logical_id="PublicApi"),
                 "PublicApi", severity=Severity.HIGH),
    ]
    findings[2] = replace(findings[2], suppression=Suppression(
        "inSource", "nightly batch", Location(t, 17, 20), "2027-03-01"))
    diagnostics = [
        Diagnostic(DiagnosticKind.UNRESOLVED, "!Ref Unknowable: parameter without a default",
                   Location(t, 12, 27, logical_id="SharedRole"), DiagnosticLevel.WARNING, "cloudformation loader"),
        Diagnostic(DiagnosticKind.SUPPRESSION, "unused suppression comment for FG201: it matches no finding",
                   Location(t, 16, 20), DiagnosticLevel.WARNING, "filter"),
        Diagnostic(DiagnosticKind.INFO, "1 baseline entry no longer match a finding", None, DiagnosticLevel.NOTE),
    ]
    return ScanResult(
        apps=[app], findings=findings, diagnostics=diagnostics,
        sources=[SourceFile(SourceType.CLOUDFORMATION, project / t, t, project)],
        timings={"total": 0.123}, rules=[FakeWildcard, FakeShared, FakeTimeout, FakeInjection, FakeUnused])


@pytest.fixture
def crashed(result: ScanResult) -> ScanResult:
    result.diagnostics.append(Diagnostic(
        DiagnosticKind.INTERNAL_ERROR, "rule FG104 raised KeyError: 'x' (iam.py:10) while processing template.yaml",
        Location("template.yaml"), DiagnosticLevel.ERROR, "rule FG104"))
    return result


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    return loaded


@pytest.fixture(scope="session")
def report_schema() -> dict[str, object]:
    from importlib.resources import files

    loaded: dict[str, object] = json.loads(files("faasguard").joinpath("schemas/report-v1.json").read_text())
    return loaded
