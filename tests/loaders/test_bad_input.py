"""Bad input (issue 3): each case gives a located diagnostic, the scan goes on, the exit code follows DESIGN.md."""

from __future__ import annotations

import json
import os
from pathlib import Path

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


def _scan_unprivileged(root: Path) -> dict[str, object]:
    """Scan `root` in a forked child that dropped root first (CI runs as root, which reads a chmod 000 file):
    the permission error is then real whoever runs the tests."""
    import tempfile

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            os.environ["FAASGUARD_CACHE_DIR"] = tempfile.mkdtemp()
            result = pipeline.scan([str(root)], Config(), cwd=root)
            payload = {"apps": [a.name for a in result.apps],
                       "diagnostics": [(d.kind.value, d.message, d.location.path if d.location else "")
                                       for d in result.diagnostics]}
            os.write(write, json.dumps(payload).encode())
        except BaseException as exc:
            os.write(write, json.dumps({"exception": repr(exc)}).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))  # type: ignore[no-any-return]


def test_unreadable_file() -> None:
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="fg-unreadable-"))
    try:
        root.chmod(0o755)
        (root / "bad").mkdir(mode=0o755)
        target = root / "bad" / "template.yaml"
        target.write_text(GOOD)
        target.chmod(0)
        with_good(root)
        (root / "good").chmod(0o755)
        (root / "good" / "template.yaml").chmod(0o644)
        outcome = _scan_unprivileged(root)
        assert "exception" not in outcome, outcome
        assert outcome["apps"] == ["good/template.yaml"]
        diagnostics = outcome["diagnostics"]
        assert isinstance(diagnostics, list)
        bad = [d for d in diagnostics if d[2].endswith("bad/template.yaml")]
        assert len(bad) == 1
        assert "cannot read" in bad[0][1] or "permission" in bad[0][1].lower(), bad
        assert not any(d[0] == "internal-error" for d in diagnostics)
    finally:
        shutil.rmtree(root, ignore_errors=True)


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


def test_binary_serverless_and_pathologically_nested_js_beside_a_good_template(tmp_path: Path) -> None:
    """A binary file named serverless.yml is a located parse error; a JS handler nested 20,000 deep is a
    located 'too deeply nested' warning, not a crash; the good template beside them still yields its finding."""
    with_good(tmp_path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "serverless.yml").write_bytes(b"\x00\xff\xfe" * 1000 + bytes(range(256)) * 100)
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "index.js").write_text("exports.handler = async (event) => " + "(" * 20000 + "1"
                                              + ")" * 20000 + ";\n")
    result = pipeline.scan([str(tmp_path)], Config(), cwd=tmp_path)
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics)
    located = [d for d in result.diagnostics if d.location is not None]
    binary = [d for d in located if d.location.path.endswith("bin/serverless.yml")]  # type: ignore[union-attr]
    nested = [d for d in located if d.location.path.endswith("js/index.js")]  # type: ignore[union-attr]
    assert [d.kind for d in binary] == [DiagnosticKind.PARSE_ERROR]
    assert len(nested) == 1
    assert "too deeply nested" in nested[0].message
    assert "good/template.yaml" in [a.name for a in result.apps]
    assert scan_exit(tmp_path) in (ExitCode.OK, ExitCode.FINDINGS)
