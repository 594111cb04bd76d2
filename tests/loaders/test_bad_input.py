"""Bad input (issue 3): each case gives a located diagnostic, the scan goes on, the exit code follows DESIGN.md."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard import pipeline
from faasguard.cli import main
from faasguard.config import Config
from faasguard.findings import DiagnosticKind, ExitCode

GOOD = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
"""


def scan_exit(*paths: Path) -> int:
    result = CliRunner().invoke(main, ["scan", "--format", "json", *map(str, paths)])
    return result.exit_code


def diagnostics_for(path: Path, name: str) -> list[tuple[DiagnosticKind, str, int]]:
    result = pipeline.scan([str(path)], Config(), cwd=path)
    return [(d.kind, d.message, d.location.line if d.location else 0) for d in result.diagnostics
            if d.location is not None and d.location.path.endswith(name)]


def with_good(tmp_path: Path) -> Path:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "template.yaml").write_text(GOOD)
    return tmp_path


def assert_goes_on(tmp_path: Path) -> None:
    """The good template still loads, and the bad file alone is not an internal error."""
    result = pipeline.scan([str(tmp_path)], Config(), cwd=tmp_path)
    assert [a.name for a in result.apps] == ["good/template.yaml"]
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics)
    assert scan_exit(tmp_path) in (ExitCode.OK, ExitCode.FINDINGS)


def test_malformed_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.yaml").write_text("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n   Properties: [\n")
    found = diagnostics_for(tmp_path, "bad/template.yaml")
    assert found
    assert found[0][0] is DiagnosticKind.PARSE_ERROR
    assert found[0][2] > 1
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "stack.json").write_text('{"AWSTemplateFormatVersion": "2010-09-09",\n "Resources": {"Q": '
                                    '{"Type": "AWS::SQS::Queue",,}}\n')
    found = diagnostics_for(tmp_path, "bad/stack.json")
    assert [k for k, _, _ in found] == [DiagnosticKind.PARSE_ERROR]
    assert found[0][2] == 2
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_yaml_that_is_not_a_template(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.yaml").write_text("name: not a template\nitems: [1, 2]\n")
    found = diagnostics_for(tmp_path, "bad/template.yaml")
    assert len(found) == 1
    assert "no Resources mapping" in found[0][1]
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_empty_directory(tmp_path: Path) -> None:
    assert scan_exit(tmp_path) == ExitCode.NOTHING_TO_SCAN


def test_binary_template(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.yaml").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    found = diagnostics_for(tmp_path, "bad/template.yaml")
    assert len(found) == 1
    assert found[0][0] is DiagnosticKind.PARSE_ERROR
    assert "binary" in found[0][1]
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_huge_template(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    padding = "# " + "x" * 1022 + "\n"
    with (bad / "template.yaml").open("w") as handle:
        handle.write(GOOD)
        handle.write(padding * (21 * 1024))  # 21 MB, above the 20 MB cap
    found = diagnostics_for(tmp_path, "bad/template.yaml")
    assert len(found) == 1
    assert "MB limit" in found[0][1]
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_deeply_nested_intrinsics(tmp_path: Path) -> None:
    value: object = "x"
    for _ in range(180):
        value = {"Fn::Base64": value}
    template = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "a.b", "Role": "arn:aws:iam::1:role/r",
        "Environment": {"Variables": {"DEEP": value}}}}}}
    (tmp_path / "template.json").write_text(json.dumps(template))
    result = pipeline.scan([str(tmp_path)], Config(), cwd=tmp_path)
    (app,) = result.apps
    (function,) = app.functions
    assert type(function.environment[0].value).__name__ == "Unknown"
    assert any(d.kind is DiagnosticKind.UNRESOLVED and "nested" in d.message for d in result.diagnostics)
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics)


CYCLES = """\
AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  A: !Condition B
  B: !Not [!Condition A]
Resources:
  TableA:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !GetAtt TableB.Arn
  TableB:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${TableA.Arn}-b"
  SelfBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${SelfBucket}-logs"
  Guarded:
    Type: AWS::SQS::Queue
    Condition: A
    Properties:
      QueueName: !If [B, yes, no]
"""


def test_cyclic_intrinsics(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(CYCLES)
    result = pipeline.scan([str(tmp_path)], Config(), cwd=tmp_path)
    (app,) = result.apps
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics)
    messages = [d.message for d in result.diagnostics if d.kind is DiagnosticKind.UNRESOLVED]
    assert any("circular reference" in m and "TableA" in m for m in messages)
    assert any("circular reference" in m and "SelfBucket" in m for m in messages)
    assert any("circular condition" in m for m in messages)
    bucket = app.resource("SelfBucket")
    assert bucket is not None
    assert type(bucket.name).__name__ == "Unknown"
    assert app.resource("Guarded") is not None  # unknown condition: kept
    for diagnostic in result.diagnostics:
        assert diagnostic.location is not None
        assert diagnostic.location.path == "template.yaml"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files")
def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    target = bad / "template.yaml"
    target.write_text(GOOD)
    target.chmod(0)
    try:
        found = diagnostics_for(tmp_path, "bad/template.yaml")
        assert len(found) == 1
        assert "cannot read" in found[0][1]
        assert_goes_on(with_good(tmp_path))
    finally:
        target.chmod(0o600)


def test_dangling_symlink_template(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.yaml").symlink_to(bad / "missing.yaml")
    found = diagnostics_for(tmp_path, "bad/template.yaml")
    assert len(found) == 1
    assert found[0][0] is DiagnosticKind.PARSE_ERROR
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_symlink_loop(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.yaml").symlink_to(bad / "other.yaml")
    (bad / "other.yaml").symlink_to(bad / "template.yaml")
    found = diagnostics_for(tmp_path, "bad/template.yaml")
    assert len(found) == 1
    assert "symlink" in found[0][1]
    assert scan_exit(bad) == ExitCode.NOTHING_TO_SCAN
    assert_goes_on(with_good(tmp_path))


def test_cdk_manifest_malformed(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text('{"artifacts": {"S": {"type": "aws:cloudformation:stack",,}}')
    result = pipeline.scan([str(tmp_path)], Config(), cwd=tmp_path)
    assert not result.apps
    assert [d.kind for d in result.diagnostics] == [DiagnosticKind.PARSE_ERROR]
    assert result.diagnostics[0].location is not None
    assert result.diagnostics[0].location.path == "cdk.out/manifest.json"
    assert scan_exit(tmp_path) == ExitCode.NOTHING_TO_SCAN
