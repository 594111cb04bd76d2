"""The layering of DESIGN.md, checked on the source: data flows one way (cli → pipeline → filtering → rules /
loaders → analysis → facts/model), and no two modules import each other through any chain.

Imports are read with `ast` from every module of the package, at module level and inside functions (a lazy
import is still a dependency); only `if TYPE_CHECKING:` blocks are left out, because they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.model import Application
from faasguard.pipeline import enrich

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "faasguard"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for stmt in child.orelse:
                    visit(stmt)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for name_imported in imports_of(path):
            # `from faasguard.x import y` names module x.y when y is a module, else x
            imported = name_imported
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            # a module importing its own package (`from faasguard.report import summarize` in report.console)
            # is how Python packages share helpers, not a layering problem
            if imported and imported != name and imported.startswith("faasguard") \
                    and not name.startswith(imported + "."):
                targets.add(imported)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return result


def test_the_walker_sees_imports() -> None:
    edges = graph()
    assert "faasguard.facts" in edges["faasguard.pipeline"]
    assert "faasguard.model" not in edges["faasguard.facts"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize(("lower", "upper"), [
    ("faasguard.analysis", "faasguard.rules"),
    ("faasguard.analysis", "faasguard.loaders"),
    ("faasguard.analysis", "faasguard.pipeline"),
    ("faasguard.rules", "faasguard.loaders"),
    ("faasguard.rules", "faasguard.pipeline"),
    ("faasguard.loaders", "faasguard.rules"),
    ("faasguard.loaders", "faasguard.pipeline"),
    ("faasguard.report", "faasguard.pipeline"),
    ("faasguard.model", "faasguard.analysis"),
    ("faasguard.facts", "faasguard.rules"),
    ("faasguard.guard", "faasguard.analysis"),
])
def test_layers_point_one_way(lower: str, upper: str) -> None:
    offenders = {f"{name} → {target}" for name, targets in graph().items() if name.startswith(lower)
                 for target in targets if target.startswith(upper)}
    assert not offenders


def test_loaders_do_not_reach_into_private_analysis_modules() -> None:
    offenders = {f"{name} → {target}" for name, targets in graph().items() if name.startswith("faasguard.loaders")
                 for target in targets if target.startswith("faasguard.analysis")
                 and any(part.startswith("_") for part in target.split(".")[2:])}
    assert not offenders


def test_a_missing_or_failing_enricher_is_an_internal_error() -> None:
    diagnostics: list = []  # type: ignore[type-arg]
    facts = enrich(Application("app", "sam", ".", ("t.yaml",)), Config(),
                   diagnostics, enrichers=(("nowhere", "faasguard.analysis.no_such_enricher"),
                                           ("not-an-enricher", "faasguard.model")))
    assert isinstance(facts, Facts)
    assert [d.kind.value for d in diagnostics] == ["internal-error", "internal-error"]
    assert "nowhere" in diagnostics[0].message
    assert "not-an-enricher" in diagnostics[1].message
