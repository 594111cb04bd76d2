"""Discovery: sources found by content, build output skipped, symlinks out of the project not followed."""

from __future__ import annotations

import os
from pathlib import Path

from faasguard.sources import SourceType, classify, discover, is_test_file

SAM = (
    "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
    "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_classify_by_content(tmp_path: Path) -> None:
    assert classify(write(tmp_path / "infra/stack.yml", SAM)) is SourceType.CLOUDFORMATION
    assert classify(write(tmp_path / "api.json", '{"Resources": {"F": {"Type": "AWS::Lambda::Function"}}}')) \
        is SourceType.CLOUDFORMATION
    assert classify(write(tmp_path / "serverless.yml", "service: x\nprovider:\n  name: aws\n")) \
        is SourceType.SERVERLESS
    assert classify(write(tmp_path / "svc.yaml", "apiVersion: serving.knative.dev/v1\nkind: Service\n")) \
        is SourceType.KNATIVE
    assert classify(write(tmp_path / "task.json", '{"family": "x", "containerDefinitions": []}')) is SourceType.ECS
    assert classify(write(tmp_path / "main.tf", 'resource "aws_lambda_function" "f" {}')) is SourceType.TERRAFORM
    assert classify(write(tmp_path / "config.yaml", "logging: debug\n")) is None
    assert classify(write(tmp_path / "package.json", '{"name": "x"}')) is None


def test_discover_skips_build_output_and_venvs(tmp_path: Path) -> None:
    write(tmp_path / "template.yaml", SAM)
    write(tmp_path / ".aws-sam/build/template.yaml", SAM)
    write(tmp_path / "node_modules/x/template.yaml", SAM)
    write(tmp_path / "env/pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "env/lib/template.yaml", SAM)
    found = discover([str(tmp_path)], cwd=tmp_path)
    assert [f.display for f in found.files] == ["template.yaml"]


def test_cdk_out_is_one_source(tmp_path: Path) -> None:
    write(tmp_path / "cdk.out/manifest.json", '{"artifacts": {"S": {"type": "aws:cloudformation:stack"}}}')
    write(tmp_path / "cdk.out/S.template.json", '{"Resources": {"F": {"Type": "AWS::Lambda::Function"}}}')
    found = discover([str(tmp_path)], cwd=tmp_path)
    assert [(f.type, f.display) for f in found.files] == [(SourceType.CDK, "cdk.out")]


def test_symlink_out_of_project_is_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside/secret.yaml", SAM)
    project = tmp_path / "project"
    project.mkdir()
    os.symlink(outside, project / "template.yaml")
    os.symlink(project / "loop", project / "loop")
    found = discover([str(project)], cwd=tmp_path)
    assert found.files == []
    messages = sorted(d.message for d in found.diagnostics)
    assert any("outside the scanned project" in m for m in messages)
    assert any("looping" in m for m in messages)


def test_missing_path_is_a_diagnostic(tmp_path: Path) -> None:
    found = discover([str(tmp_path / "nope")], cwd=tmp_path)
    assert found.files == []
    assert "does not exist" in found.diagnostics[0].message


def test_test_files_are_relative_to_the_root(tmp_path: Path) -> None:
    root = tmp_path / "tests" / "fixtures"
    assert not is_test_file(root / "handler.py", root)
    assert is_test_file(root / "tests" / "handler.py", root)
    assert is_test_file(root / "test_handler.py", root)


def test_an_unrecognised_file_named_on_the_command_line_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.yaml", "Resources: [\n")
    found = discover([str(path)], cwd=tmp_path)
    assert found.files == []
    (diagnostic,) = found.diagnostics
    assert diagnostic.location is not None
    assert diagnostic.location.path == "notes.yaml"
    assert "not recognised" in diagnostic.message
