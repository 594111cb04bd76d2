"""Crash isolation per handler, and the layering of the code analysis (kinds, not rule ids; public seams)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from faasguard.analysis.code.core.sinks import SINK_KINDS
from faasguard.analysis.code.core.values import Val
from faasguard.analysis.code.python import library
from faasguard.analysis.code.python.library import CallSite
from faasguard.analysis.code.python.models import QUAL_MODELS, Model
from faasguard.config import Config
from faasguard.findings import DiagnosticKind
from faasguard.pipeline import scan
from faasguard.rules.base import registered
from faasguard.rules.handler import _HandlerRule

SRC = Path(__file__).resolve().parents[2] / "src" / "faasguard"
CODE = SRC / "analysis" / "code"

SHELL_HANDLER = """import os


def handler(event, context):
    os.system("convert " + event["name"])
"""
SUBPROCESS_HANDLER = """import subprocess


def handler(event, context):
    subprocess.run("echo " + event["name"], shell=True)
"""


def _crash(fa: object, site: CallSite, model: Model) -> Val | None:
    raise ValueError("model table entry broken on purpose")


def test_one_handler_crash_loses_only_its_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shell.py").write_text(SHELL_HANDLER)
    (tmp_path / "proc.py").write_text(SUBPROCESS_HANDLER)
    monkeypatch.setitem(library.TRANSFERS, "shell-string", _crash)  # os.system's row now raises
    result = scan([str(tmp_path)], Config())
    found = sorted((f.rule_id, Path(f.location.path).name, f.location.line, str(f.function)) for f in result.findings)
    assert ("FG501", "proc.py", 5, "proc.handler") in found
    assert not [f for f in found if f[1] == "shell.py"]
    (crash,) = [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
    assert "shell.py" in crash.message
    assert "handler handler" in crash.message
    assert "shell.handler" in crash.message
    assert "ValueError" in crash.message
    assert Path(crash.location.path).name == "shell.py"
    assert crash.location.line == 4


def test_without_the_crash_both_handlers_report(tmp_path: Path) -> None:
    (tmp_path / "shell.py").write_text(SHELL_HANDLER)
    (tmp_path / "proc.py").write_text(SUBPROCESS_HANDLER)
    result = scan([str(tmp_path)], Config())
    found = sorted((f.rule_id, Path(f.location.path).name, f.location.line) for f in result.findings)
    assert found == [("FG501", "proc.py", 5), ("FG501", "shell.py", 5)]
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]


def test_crash_in_a_shared_helper_is_reported_for_every_handler_that_calls_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "helpers.py").write_text("import os\n\n\ndef run(cmd):\n    os.system(cmd)\n")
    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text(
            "from helpers import run\n\n\ndef handler(event, context):\n    run(event['cmd'])\n"
        )
    monkeypatch.setitem(library.TRANSFERS, "shell-string", _crash)
    result = scan([str(tmp_path)], Config())
    crashes = sorted(Path(d.location.path).name for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR)
    assert crashes == ["a.py", "b.py"]
    assert not [f for f in result.findings if f.rule_id == "FG501"]


def test_every_sink_and_source_kind_is_claimed_by_exactly_one_rule() -> None:
    rules = [r for r in registered().values() if isinstance(r, type) and issubclass(r, _HandlerRule)]
    for kind, policy in SINK_KINDS.items():
        for source in policy.sources:
            claiming = [r for r in rules if kind in r.sinks and (not r.sources or source in r.sources)]
            assert len(claiming) == 1, (kind, source, claiming)
    assert {m.sink for m in QUAL_MODELS.values() if m.sink} <= set(SINK_KINDS)


def test_no_rule_id_in_the_code_analysis() -> None:
    import re

    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(CODE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bFG\d{3}\b", line)
    ]
    assert offenders == []


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported when `path` runs (imports under `if TYPE_CHECKING:` are for the type checker only)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_code_analysis_import_graph_is_acyclic_and_below_rules() -> None:
    files = {_module_of(p): p for p in CODE.rglob("*.py")}
    graph = {name: {m for m in _runtime_imports(path) if m in files and m != name} for name, path in files.items()}
    for name, path in files.items():
        assert not any(m.startswith("faasguard.rules") for m in _runtime_imports(path)), name
    state: dict[str, int] = {}

    def visit(node: str, trail: tuple[str, ...]) -> None:
        if state.get(node) == 2:
            return
        assert state.get(node) != 1, " -> ".join((*trail, node))
        state[node] = 1
        for nxt in graph[node]:
            visit(nxt, (*trail, node))
        state[node] = 2

    for name in graph:
        visit(name, ())


def test_code_loader_uses_only_public_analysis_modules() -> None:
    imported = _runtime_imports(SRC / "loaders" / "code.py")
    analysis = sorted(m for m in imported if m.startswith("faasguard.analysis"))
    assert analysis
    assert not [m for m in analysis if any(part.startswith("_") for part in m.split("."))]
    assert not [m for m in analysis if ".python" in m or ".core" in m]
