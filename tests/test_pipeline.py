"""The pipeline's contracts: crash isolation (exit 4, nothing else lost), and which Python files are analysed as
bare handler code beside infrastructure-as-code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard import pipeline
from faasguard.cli import main
from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.model import SourceKind
from faasguard.rules.base import Rule, RuleContext

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Timeout: 900
"""
SHELL_HANDLER = """\
import os


def handler(event, context):
    os.system("echo " + event["name"])
"""


def make_app(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "src" / "app.py").write_text(SHELL_HANDLER)
    return tmp_path


class Exploding(Rule):
    """## What it does
    Raises, to prove a crashing rule cannot hide the rest of the report.

    ## Why is this bad?
    It is a test double.

    ## Example
    ```yaml
    x: 1
    ```

    ## Fix
    ```yaml
    x: 2
    ```
    """

    id = "FG999"
    name = "exploding"
    summary = "raises"
    severity = Severity.LOW

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        raise RuntimeError("boom")


def test_a_crashing_rule_is_an_internal_error_and_nothing_else_is_lost(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    real = pipeline.selected_rules
    monkeypatch.setattr(pipeline, "selected_rules", lambda config: [*real(config), Exploding])
    result = pipeline.scan([str(app)], Config(), cwd=tmp_path)
    errors = [d for d in result.diagnostics if d.kind.value == "internal-error"]
    assert len(errors) == 1
    assert "FG999" in errors[0].message
    assert "boom" in errors[0].message
    assert {"FG401", "FG501"} <= {f.rule_id for f in result.findings}
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(main, ["scan", "."])
    assert outcome.exit_code == 4
    assert "FG401" in outcome.output


def test_a_crashing_loader_is_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path)
    (tmp_path / "task.json").write_text('{"family": "t", "containerDefinitions": [{"name": "c"}]}')
    from faasguard.loaders import ecs

    def explode(*_: object) -> None:
        raise KeyError("bad")

    monkeypatch.setattr(ecs, "load", explode)
    result = pipeline.scan([str(app)], Config(), cwd=tmp_path)
    assert [d.component for d in result.diagnostics if d.kind.value == "internal-error"] == ["ecs loader"]
    assert any(f.rule_id == "FG401" for f in result.findings)


def test_referenced_handlers_are_analysed_once(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    result = pipeline.scan([str(app / "template.yaml"), str(app / "src" / "app.py")], Config(), cwd=tmp_path)
    assert [a.source for a in result.apps] == [SourceKind.SAM]
    assert [f.location.line for f in result.findings if f.rule_id == "FG501"] == [5]


def test_unreferenced_handlers_beside_a_template_are_still_analysed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path)
    (app / "lambdas").mkdir()
    (app / "lambdas" / "index.py").write_text(SHELL_HANDLER)
    (app / "lambdas" / "helpers.py").write_text("def add(a, b):\n    return a + b\n")
    (app / "cdk_stack.py").write_text("class Stack:\n    def __init__(self, scope, id):\n        pass\n")
    result = pipeline.scan([str(app)], Config(), cwd=tmp_path)
    code_apps = [a for a in result.apps if a.source is SourceKind.CODE]
    assert len(code_apps) == 1
    assert [Path(f.code.handler_file).name for f in code_apps[0].functions if f.code and f.code.handler_file] \
        == ["index.py"]
    assert {(Path(f.location.path).as_posix(), f.location.line) for f in result.findings if f.rule_id == "FG501"} \
        == {("src/app.py", 5), ("lambdas/index.py", 5)}


def test_packages_vendored_in_a_layer_python_dir_are_not_handlers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python/<package>/...` is what a Lambda layer puts on sys.path: library code whose handler-shaped
    functions (botocore's handlers.py) are not entry points; a module directly in `python/` still is."""
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path)
    vendored = app / "layer" / "python" / "vendorlib"
    vendored.mkdir(parents=True)
    (vendored / "__init__.py").write_text("")
    (vendored / "handlers.py").write_text(SHELL_HANDLER)
    (app / "layer" / "python" / "index.py").write_text(SHELL_HANDLER)
    result = pipeline.scan([str(app)], Config(), cwd=tmp_path)
    assert {(Path(f.location.path).as_posix(), f.location.line) for f in result.findings if f.rule_id == "FG501"} \
        == {("src/app.py", 5), ("layer/python/index.py", 5)}


def test_nothing_to_scan_exits_3(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here")
    assert CliRunner().invoke(main, ["scan", str(tmp_path)]).exit_code == 3


def test_allow_empty_only_forgives_finding_nothing(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: docs\n")
    (tmp_path / "template.yaml").write_text("Resources: [\n")
    runner = CliRunner()
    assert runner.invoke(main, ["scan", "--allow-empty", str(tmp_path / "mkdocs.yml")]).exit_code == 0
    assert runner.invoke(main, ["scan", str(tmp_path / "mkdocs.yml")]).exit_code == 3
    assert runner.invoke(main, ["scan", "--allow-empty", str(tmp_path / "template.yaml")]).exit_code == 3


def test_cli_severity_names_match_the_model_and_version_imports_no_model() -> None:
    import subprocess
    import sys

    from faasguard.cli import SEVERITIES
    from faasguard.findings import Severity

    assert tuple(s.value for s in Severity) == SEVERITIES
    code = "import sys, faasguard.cli; print(sorted(m for m in sys.modules if m.startswith('faasguard')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "faasguard.model" not in loaded
    assert "faasguard.config" not in loaded


def test_an_offline_scan_imports_no_network_module(tmp_path: Path) -> None:
    """`urllib.request` (and with it http.client and ssl) is for `--online` and `db update` only."""
    import subprocess
    import sys

    app = make_app(tmp_path)
    (app / "src" / "requirements.txt").write_text("requests==2.0.0\n")
    code = ("import sys\nfrom faasguard.cli import main\ntry:\n    main(['scan', sys.argv[1], '--format', 'json',"
            " '-o', sys.argv[2]])\nexcept SystemExit:\n    pass\nprint('urllib.request' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code, str(app), str(tmp_path / "r.json")], capture_output=True,
                           text=True, check=True).stdout
    assert shown.strip() == "False"
    assert '"FG601"' in (tmp_path / "r.json").read_text()


def test_a_missing_handler_module_is_named_relative_to_the_scan(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The diagnostic names the code directory as every other location does, not the checkout's absolute
    path (which would put the CI machine's layout into shared reports)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "other.py").write_text("VALUE = 1\n")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Runtime: python3.12\n")
    monkeypatch.chdir(tmp_path)
    result = pipeline.scan(["."], Config(), cwd=tmp_path)
    (message,) = [d.message for d in result.diagnostics if "module not found" in d.message]
    assert "module not found under src;" in message
    assert str(tmp_path) not in message
