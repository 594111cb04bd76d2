"""Per-application state of the Python front end: parsed modules, module globals, function summaries, routes.

One Analyzer serves every handler of an application, so shared helpers are summarised once. A handler is
analysed from its entry point (a function, or a web app object whose routes are all entry points); the summaries
of its entry point(s) and of the initialisation of every module it loads are collected by the core
(core/summaries.py `collect`) into a `HandlerResult`.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from faasguard.analysis.code.core.results import HandlerResult, Summary
from faasguard.analysis.code.core.summaries import collect
from faasguard.analysis.code.core.values import Val
from faasguard.analysis.code.facts import CodeIssue
from faasguard.analysis.code.python.expressions import FunctionAnalysis
from faasguard.analysis.code.python.modules import (
    Listings,
    ModuleInfo,
    PackageArchive,
    parse_module,
    resolve_import,
)
from faasguard.analysis.code.python.syntax import Stop, event_param
from faasguard.analysis.code.python.web import RouteSpec

MAX_CALL_DEPTH = 24


def _closed(value: Val) -> Val:
    """A name of the enclosing function as a closure sees it: the enclosing function's own parameters are not
    the inner function's, so their placeholders are dropped (the data of event, secrets... stays)."""
    if value.param is None and not any(t.kind == "param" for t in value.taints):
        return value
    return replace(value, param=None, taints=tuple(t for t in value.taints if t.kind != "param"))


class Analyzer:
    """Per-application analysis state: parsed modules, module globals, function summaries.

    One Analyzer serves every handler of an application, so shared helpers are summarised once.
    """

    def __init__(self, search_roots: tuple[Path, ...], cwd: Path | None = None,
                 archive: PackageArchive | None = None) -> None:
        self.search_roots = search_roots
        self.cwd = cwd
        self.archive = archive
        """The zip package the handler is read from, when it is one (its modules are members, not files)."""
        self._globals: dict[Path, dict[str, Val]] = {}
        self._init: dict[Path, Summary] = {}
        self._summaries: dict[str, Summary | None] = {}
        self._closures: dict[str, dict[str, Val]] = {}
        """Enclosing-scope names of locally defined functions, by summary key."""
        self._routes: dict[Path, dict[str, RouteSpec | None]] = {}
        """Entry points registered by decorators per module: Powertools routes (None: bound by the resolver's
        rules) and web-framework functions (their RouteSpec)."""
        self._depth = 0
        self.diagnostics_modules: dict[Path, ModuleInfo] = {}
        self.secrets: dict[Path, list[CodeIssue]] = {}
        """Hard-coded secrets per module (a module shared by many handlers is scanned once)."""
        self._imports: dict[tuple[str, int, Path | None], Path | None] = {}
        self._paths: dict[str, Path] = {}
        self._listings: Listings = {}
        """Directory listings for import lookups (`resolve_import`)."""

    # -- modules
    def module(self, path: Path) -> ModuleInfo:
        # asked several times per handler (entry, globals, routes, secrets): the analysis of one application
        # sees one version of each file, parsed (or fetched from the parse cache) and located once
        info = self.diagnostics_modules.get(path)
        if info is None:
            info = self.diagnostics_modules[path] = parse_module(path, self.cwd, self.archive)
        return info

    def release(self, path: Path) -> None:
        """Let go of the parsed module at `path` once no handler still to analyse is in it: an application of
        10,000 functions, each in its own file, otherwise holds 10,000 syntax trees (~25 KB each) until its
        last handler. What was learnt from the module (its globals, summaries, secrets) is kept; a later import
        of it finds it in the parse cache or parses it again. A module in which a function defined inside
        another was met is kept: that inner function is known only to this parse of it."""
        info = self.diagnostics_modules.get(path)
        if info is not None and not any(".<locals>." in qualname for qualname in info.functions):
            del self.diagnostics_modules[path]

    def path(self, text: str) -> Path:
        """The `Path` of a module the summaries name by its string (values and summaries carry strings), built
        once per application rather than at every call and module reference."""
        found = self._paths.get(text)
        if found is None:
            found = self._paths[text] = Path(text)
        return found

    def resolve(self, module: str, level: int, importer: Path) -> Path | None:
        """`resolve_import` for this application's roots, once per import: the handlers of an app import the
        same modules, and each lookup costs a few system calls per search root."""
        key = (module, level, importer.parent if level else None)
        if key not in self._imports:
            self._imports[key] = resolve_import(module, level, importer, self.search_roots, self.archive,
                                                listings=self._listings)
        return self._imports[key]

    def globals_of(self, path: Path) -> dict[str, Val]:
        existing = self._globals.get(path)
        if existing is not None:
            return existing
        env: dict[str, Val] = {}
        self._globals[path] = env  # visible (partial) while computing: import cycles terminate
        info = self.module(path)
        if info.tree is None:
            self._init[path] = Summary()
            return env
        fa = FunctionAnalysis(self, info, None, f"{path}::<module>", env)
        try:
            with contextlib.suppress(Stop, RecursionError):
                fa.run_module(info.tree)
        except Exception:
            del self._globals[path]  # not a partial module for the next handler: it fails (and says so) too
            raise
        fa.summary.fetches = [replace(fetch, cached=True) for fetch in fa.summary.fetches]
        fa.summary.tmp = []  # files written once at cold start are not per-invocation data
        self._init[path] = fa.summary
        return env

    def init_summary(self, path: Path) -> Summary:
        self.globals_of(path)
        return self._init.get(path, Summary())

    def routes_of(self, path: Path) -> list[str]:
        self.globals_of(path)
        return list(self._routes.get(path, {}))

    def web_routes(self, path: Path) -> dict[str, RouteSpec]:
        """The functions of the module at `path` that a web framework (Chalice, Flask, Quart, FastAPI) calls."""
        self.globals_of(path)
        return {name: spec for name, spec in self._routes.get(path, {}).items() if spec is not None}

    def add_route(self, path: Path, qualname: str, spec: RouteSpec | None = None) -> None:
        self._routes.setdefault(path, {}).setdefault(qualname, spec)

    # -- functions
    def local_function(
        self, info: ModuleInfo, outer: str, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: dict[str, Val]
    ) -> Val:
        """A function defined inside another one (`def save(item): table.put_item(...)` in the handler): it is
        summarised like a module function when called, reading the names of the enclosing function as they
        were where it was defined (a closure), so its AWS calls and sinks are the caller's too."""
        qualname = f"{outer.split('::', 1)[-1]}.<locals>.{node.name}@{node.lineno}"
        if qualname not in info.functions:
            info.functions[qualname] = node
            self._closures[f"{info.path}::{qualname}"] = {name: _closed(value) for name, value in scope.items()}
        return Val(kind="func", extra=f"{info.path}::{qualname}")

    def summary(self, path: Path, qualname: str, clients: Mapping[int, Val] | None = None) -> Summary | None:
        """The summary of `qualname`; with `clients`, the one for callers that pass those boto3 objects (by
        parameter index): `list_objects(s3, bucket)` calls `client.list_objects_v2` on a parameter, which a
        summary of bare parameters cannot tell from any other method call. One summary per distinct kind of
        object passed, so a helper called with the same client from many handlers is analysed once."""
        key = f"{path}::{qualname}"
        cache_key = key if not clients else key + "#" + ",".join(
            f"{index}:{value.kind}:{value.service}:{value.extra}" for index, value in sorted(clients.items()))
        if cache_key in self._summaries:
            return self._summaries[cache_key]
        info = self.module(path)
        node = info.functions.get(qualname)
        if node is None or self._depth >= MAX_CALL_DEPTH:
            return None
        self._summaries[cache_key] = None  # recursion: a call to a function being analysed is opaque
        self._depth += 1
        try:
            fa = FunctionAnalysis(self, info, node, key, None)
            fa.preset = dict(clients or {})
            closure = self._closures.get(key)
            if closure is not None:
                fa.globals = {**fa.globals, **closure}
            result: Summary | None = fa.run_function(entry=False)
        except (Stop, RecursionError):
            result = None
        except Exception:
            del self._summaries[cache_key]  # not an opaque function for the next caller: it fails (and says so) too
            raise
        finally:
            self._depth -= 1
        self._summaries[cache_key] = result
        return result

    def entry(
        self, path: Path, qualname: str, *, route: bool = False, spec: RouteSpec | None = None
    ) -> Summary | None:
        info = self.module(path)
        node = info.functions.get(qualname)
        if node is None:
            return None
        fa = FunctionAnalysis(self, info, node, f"{path}::{qualname}", None)
        try:
            return fa.run_function(entry=True, route=route, spec=spec)
        except (Stop, RecursionError):
            return None

    def _dispatched(self, modules: dict[str, None], parts: list[Summary]) -> None:
        """A handler that dispatches its event to an app (Powertools `resolve`, a WSGI/ASGI adapter) runs
        every HTTP route the app and its local modules register: analyse each as an entry point."""
        for module_path in list(modules):
            routes = self.routes_of(self.path(module_path))
            specs = self._routes.get(self.path(module_path), {})
            for route in routes:
                spec = specs.get(route)
                if spec is not None and spec.trigger != "http":
                    continue
                routed = self.entry(self.path(module_path), route, route=spec is None, spec=spec)
                if routed is not None:
                    parts.append(routed)
                    modules.update(routed.modules)

    # -- the handler
    def analyze_handler(self, path: Path, function: str) -> HandlerResult | None:
        info = self.module(path)
        node = info.functions.get(function)
        if node is None:
            return None
        spec = self.web_routes(path).get(function)
        summary = self.entry(path, function, spec=spec)
        if summary is None:
            return None
        parts = [summary]
        modules = dict(summary.modules)
        modules[str(path)] = None
        for module_path in list(modules):
            parts.append(self.init_summary(self.path(module_path)))
        if summary.resolves:
            self._dispatched(modules, parts)
        result = _finish(self, parts, node, modules)
        if spec is not None:
            result.event_param = next((name for name, how in spec.params if how in ("event", "request")), None)
            result.validated = result.validated or spec.validated
            if spec.service_formed:
                result.event_use = None  # AWS formed the event: nothing caller-shaped to validate
        return result

    def app_object(self, path: Path, name: str) -> ast.stmt | None:
        """The module-level statement binding `name` to a web app or a Lambda adapter around one (`app =
        Chalice(...)`, `app = Flask(__name__)`, `handler = Mangum(app)`): a handler string such as `app.app`
        (Chalice, Zappa) or `main.handler` (Mangum) names it instead of a function."""
        value = self.globals_of(path).get(name)
        if value is None or value.kind != "webapp":
            return None
        info = self.module(path)
        assert info.tree is not None
        for stmt in info.tree.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
                stmt, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return stmt
        return None

    def analyze_app(self, path: Path, name: str) -> HandlerResult | None:
        """The handler is a web app object: every HTTP route of the app (and of its local modules:
        blueprints, routers) is an entry point."""
        if self.app_object(path, name) is None:
            return None
        modules: dict[str, None] = {str(path): None}
        parts = [self.init_summary(path)]
        modules.update(parts[0].modules)
        for module_path in list(modules):
            parts.append(self.init_summary(self.path(module_path)))
        self._dispatched(modules, parts)
        return _finish(self, parts, None, modules)


def _finish(
    analyzer: Analyzer,
    parts: list[Summary],
    node: ast.FunctionDef | ast.AsyncFunctionDef | None,
    modules: dict[str, None],
) -> HandlerResult:
    result = collect(parts)
    result.modules = [analyzer.module(analyzer.path(m)).display for m in modules]
    result.module_paths = list(modules)
    result.event_param = event_param(node) if node is not None else None
    return result
