"""Which functions of a Python module a serverless web framework calls: the one analysis question handler
inference (the bare-code loader) asks.

A decorator counts only when the analysis resolves its owner to an object built by the framework's imported
constructor (`app = Chalice(...)`, `app = Flask(__name__)`, `router = APIRouter()`), never from names alone, so
answering needs the module's globals interpreted; this module hides how. Modules are parsed through the
analysis' parse cache, so the enricher does not parse them again.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard.analysis.code.python.modules import ModuleInfo, parse_module
from faasguard.analysis.code.python.web import FF_DECORATORS, ROUTE_DECORATORS

if TYPE_CHECKING:
    from faasguard.analysis.code.python.analyzer import Analyzer

__all__ = ["FRAMEWORK_NAMES", "ModuleInfo", "RouteFinder", "has_route_decorators", "parse_module"]

FRAMEWORK_NAMES = {"chalice": "Chalice", "flask": "Flask/Quart route", "fastapi": "FastAPI route",
                   "functions-framework": "Functions Framework"}


def has_route_decorators(tree: ast.Module) -> bool:
    """Cheap pre-check: some module-level function has a `@owner.route(...)`-shaped decorator (only those
    modules can register framework handlers)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(func, ast.Attribute) and func.attr in ROUTE_DECORATORS | FF_DECORATORS:
                    return True
                if isinstance(func, ast.Name) and func.id in FF_DECORATORS:  # from functions_framework import http
                    return True
    return False


class RouteFinder:
    """Framework routes per module; one finder per scanned root shares module interpretation between files
    with the same import roots."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd
        self._analyzers: dict[tuple[Path, ...], Analyzer] = {}

    def routes(self, path: Path, roots: tuple[Path, ...]) -> dict[str, str]:
        """Function name → framework ("chalice", "flask", "fastapi", "functions-framework") of every route the
        module registers."""
        from faasguard.analysis.code.python.analyzer import Analyzer

        analyzer = self._analyzers.get(roots)
        if analyzer is None:
            analyzer = self._analyzers[roots] = Analyzer(roots, self.cwd)
        return {name: spec.framework for name, spec in analyzer.web_routes(path).items()}
