"""The code analysis lets go of a handler's syntax tree after the last handler in its file (memory of a large
application), and a module released that way is still analysed right when a later handler imports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.analysis.code.python.analyzer import Analyzer
from faasguard.config import Config
from faasguard.pipeline import scan

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
Resources:
  HelperFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: helpers.handler
  CallerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: caller.handler
  SameFileFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: caller.other
"""

HELPERS = """\
import subprocess


def run(command):
    subprocess.run(command, shell=True)


def handler(event, context):
    run(event["cmd"])
"""

CALLER = """\
from helpers import run


def handler(event, context):
    run(event["name"])


def other(event, context):
    return {"statusCode": 200}
"""


def _app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src" / "helpers.py").write_text(HELPERS)
    (root / "src" / "caller.py").write_text(CALLER)
    return root


def test_a_module_released_after_its_handler_is_analysed_again_when_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helpers.py is released after HelperFunction, its only handler; CallerFunction then imports it. caller.py
    is released only after SameFileFunction, the second handler in it. The command injection in the helper is
    reached from both handlers that pass it event data."""
    released: list[str] = []
    release = Analyzer.release

    def spy(self: Analyzer, path: Path) -> None:
        released.append(path.name)
        release(self, path)

    monkeypatch.setattr(Analyzer, "release", spy)
    result = scan([str(_app(tmp_path / "app"))], Config(select=("FG501",)))
    assert released == ["helpers.py", "caller.py"]
    found = [(f.rule_id, f.resource, f.function, Path(f.location.path).name, f.location.line)
             for f in result.findings]
    # one sink reached from two handlers: one finding naming both
    assert found == [("FG501", "CallerFunction", ("CallerFunction", "HelperFunction"), "helpers.py", 5)]


def test_release_forgets_the_tree_but_not_what_was_learnt(tmp_path: Path) -> None:
    root = _app(tmp_path / "app") / "src"
    helpers, caller = root / "helpers.py", root / "caller.py"
    analyzer = Analyzer((root,))
    first = analyzer.analyze_handler(helpers, "handler")
    assert first is not None
    assert helpers in analyzer.diagnostics_modules
    analyzer.release(helpers)
    assert helpers not in analyzer.diagnostics_modules
    assert analyzer.summary(helpers, "run") is not None  # kept: not analysed again
    again = analyzer.analyze_handler(caller, "handler")
    assert again is not None
    assert [f.kind for f in again.flows] == [f.kind for f in first.flows] == ["shell"]


def test_a_module_with_an_inner_function_is_kept(tmp_path: Path) -> None:
    """An inner function is registered in the parse of its module that met it: that parse is not released."""
    module = tmp_path / "inner.py"
    module.write_text("import os\n\n\ndef handler(event, context):\n    def go(cmd):\n        os.system(cmd)\n\n"
                      "    go(event['cmd'])\n")
    analyzer = Analyzer((tmp_path,))
    assert analyzer.analyze_handler(module, "handler") is not None
    assert any(".<locals>." in name for name in analyzer.module(module).functions)
    analyzer.release(module)
    assert module in analyzer.diagnostics_modules
