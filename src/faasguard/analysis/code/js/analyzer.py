"""Per-application state of the JavaScript/TypeScript front end: parsed modules, module scopes and exports,
function summaries, web routes; and a handler's analysis from its entry point(s) to a `HandlerResult`.

A handler is found the way the Lambda Node.js runtime finds it: the export named by the handler string
(`exports.handler`, `module.exports.handler`, `module.exports = { handler }`, `export const handler`,
`export async function handler`), or, in a bundled TypeScript source, the function of that name. A handler
that is a web adapter (`serverless(app)`, `serverlessExpress({ app })`) runs every route its app registers;
a middy-wrapped handler is the function it wraps.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard.analysis.code.core.results import HandlerResult, Summary
from faasguard.analysis.code.core.summaries import collect
from faasguard.analysis.code.core.values import CLEAN, Val
from faasguard.analysis.code.facts import CodeIssue
from faasguard.analysis.code.js.interp import JsFunction, Scope
from faasguard.analysis.code.js.modules import JsModule, parse_module, resolve_relative
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.safeio import read_regular

if TYPE_CHECKING:
    from faasguard.analysis.code.facts import HandlerFacts

_COMPONENT = "code-analysis"

MAX_CALL_DEPTH = 24


class JsAnalyzer:
    def __init__(self, search_roots: tuple[Path, ...], cwd: Path | None = None) -> None:
        self.search_roots = tuple(r.resolve() for r in search_roots)
        self.cwd = cwd
        self.modules: dict[Path, JsModule] = {}
        self.functions: dict[str, tuple[JsModule, Any, Scope]] = {}
        self._scopes: dict[Path, Scope] = {}
        self._init: dict[Path, Summary] = {}
        self._exports: dict[Path, dict[str, Val]] = {}
        self._summaries: dict[str, Summary | None] = {}
        self._routes: dict[Path, list[str]] = {}
        self._frameworks: dict[str, str] = {}
        """Route function key → the qualified name of the app that registered it (`express`, `fastify`)."""
        self._yaml3: dict[Path, bool] = {}
        self._depth = 0
        self.secrets: dict[Path, list[CodeIssue]] = {}

    # -- modules
    def module(self, path: Path) -> JsModule:
        info = self.modules.get(path)
        if info is None:
            info = self.modules[path] = parse_module(path, self.cwd)
        return info

    def scope_of(self, path: Path) -> Scope:
        scope = self._scopes.get(path)
        if scope is not None:
            return scope
        scope = self._scopes[path] = Scope(None, module_level=True)  # visible while computed: cycles terminate
        self._exports.setdefault(path, {})
        info = self.module(path)
        if info.root is None:
            self._init[path] = Summary()
            return scope
        run = JsFunction(self, info, f"{path}::<module>", scope)
        run.is_module = True
        with contextlib.suppress(RecursionError):
            run.run_module(info.root)
        run.summary.tmp = []  # files written once at cold start are not per-invocation data
        self._init[path] = run.summary
        return scope

    def init_summary(self, path: Path) -> Summary:
        self.scope_of(path)
        return self._init.get(path, Summary())

    def export(self, module: JsModule, name: str, value: Val) -> None:
        self._exports.setdefault(module.path, {})[name] = value

    def exported(self, path: Path, name: str) -> Val:
        scope = self.scope_of(path)
        exports = self._exports.get(path, {})
        if name in exports:
            return exports[name]
        default = exports.get("default")
        if default is not None and default.fields is not None:
            field = default.field_val(name)
            if field is not None:
                return field
        if name == "default" and default is None and exports:
            return Val(kind="module", extra=str(path))
        return scope.vars.get(name, CLEAN)

    def require(self, module: JsModule, spec: str, summary: Summary) -> Val:
        spec = spec.removeprefix("node:")
        if spec.startswith(("./", "../")):
            path = resolve_relative(spec, module.path, self.search_roots)
            if path is None:
                return CLEAN
            summary.modules[str(path)] = None
            self.scope_of(path)
            return Val(kind="module", extra=str(path))
        return Val(qual=spec)

    # -- functions
    def function_value(self, module: JsModule, node: Any, scope: Scope) -> Val:
        key = f"{module.path}:{node.start_byte}"
        self.functions.setdefault(key, (module, node, scope))
        return Val(kind="function", extra=key)

    def summary(self, key: str) -> Summary | None:
        if key in self._summaries:
            return self._summaries[key]
        target = self.functions.get(key)
        if target is None or self._depth >= MAX_CALL_DEPTH:
            return None
        module, node, scope = target
        self._summaries[key] = None  # recursion: a call to a function being analysed is opaque
        self._depth += 1
        try:
            result: Summary | None = JsFunction(self, module, key, Scope(scope)).run_function(node, entry=False)
        except RecursionError:
            result = None
        except Exception:
            del self._summaries[key]
            raise
        finally:
            self._depth -= 1
        self._summaries[key] = result
        return result

    def add_route(self, module: JsModule, key: str, framework: str | None = None) -> None:
        self._routes.setdefault(module.path, []).append(key)
        if framework is not None:
            self._frameworks.setdefault(key, framework)

    def js_yaml_v3(self, path: Path) -> bool:
        """Whether the nearest package.json above `path` (inside the roots) depends on js-yaml 3, whose `load`
        constructs JavaScript functions (v4's `load` is safe)."""
        directory = path.parent
        if directory in self._yaml3:
            return self._yaml3[directory]
        found = False
        current = directory
        while True:
            manifest = current / "package.json"
            if manifest.is_file():
                with contextlib.suppress(OSError, ValueError):
                    data = json.loads(read_regular(manifest, 1024 * 1024))
                    for section in ("dependencies", "devDependencies"):
                        version = str((data.get(section) or {}).get("js-yaml", ""))
                        if version.lstrip("^~=v ").startswith("3"):
                            found = True
                break
            if not any(current.is_relative_to(r) and current != r for r in self.search_roots):
                break
            current = current.parent
        self._yaml3[directory] = found
        return found

    # -- the handler
    def handler_value(self, path: Path, name: str) -> Val | None:
        self.scope_of(path)
        value = self.exported(path, name)
        if value.kind in ("function", "web-handler"):
            return value
        info = self.module(path)
        node = info.functions.get(name)
        if node is not None:
            return self.function_value(info, node, self._scopes[path])
        return None

    def handler_line(self, path: Path, value: Val) -> tuple[int, int]:
        target = self.functions.get(value.extra or "")
        if target is not None:
            point = target[1].start_point
            return point[0] + 1, point[1] + 1
        return 1, 1

    def analyze_handler(self, path: Path, name: str) -> HandlerResult | None:
        value = self.handler_value(path, name)
        if value is None:
            return None
        parts: list[Summary] = []
        modules: dict[str, None] = {str(path): None}
        event_param: str | None = None
        if value.kind == "function":
            module, node, scope = self.functions[value.extra or ""]
            run = JsFunction(self, module, value.extra or "", Scope(scope), entry=True)
            summary = run.run_function(node, entry=True)
            parts.append(summary)
            modules.update(summary.modules)
            params = run.params(node)
            event_param = run.text(params[0]) if params else None
        modules.update(self.init_summary(path).modules)
        for module_path in list(modules):
            parts.append(self.init_summary(Path(module_path)))
            modules.update(self.init_summary(Path(module_path)).modules)
        if value.kind == "web-handler":
            for module_path in list(modules):
                for key in self._routes.get(Path(module_path), []):
                    module, node, scope = self.functions[key]
                    routed = JsFunction(self, module, key, Scope(scope), entry=True).run_function(
                        node, entry=True, web=True, framework=self._frameworks.get(key))
                    parts.append(routed)
                    modules.update(routed.modules)
        result = collect(parts)
        result.modules = [self.module(Path(m)).display for m in modules]
        result.module_paths = list(modules)
        result.event_param = event_param
        return result


def analyze_function(  # noqa: PLR0917
    analyzer: JsAnalyzer,
    handler: Path,
    name: str,
    function_id: str,
    diagnostics: list[Diagnostic],
    reported: set[str],
) -> HandlerFacts | None:
    """Analyse one Node.js handler; problems become located diagnostics, never exceptions."""
    from faasguard.analysis.code.js.secrets import hardcoded_secrets

    info = analyzer.module(handler)
    if info.root is None:
        if info.error is not None and info.display not in reported:
            reported.add(info.display)
            diagnostics.append(replace(info.error, message=f"{info.error.message}; handler {function_id} not analysed"))
        return None
    try:
        value = analyzer.handler_value(handler, name)
        result = analyzer.analyze_handler(handler, name) if value is not None else None
    except RecursionError:
        diagnostics.append(Diagnostic(DiagnosticKind.UNSUPPORTED, f"handler {name} of {function_id} is too deeply "
                                      "nested to analyse", Location(info.display), DiagnosticLevel.WARNING,
                                      _COMPONENT))
        return None
    except Exception as exc:  # one handler's defect must not cost the other handlers their findings
        diagnostics.append(Diagnostic(
            DiagnosticKind.INTERNAL_ERROR,
            f"code analysis raised {type(exc).__name__}: {exc} while analysing handler {name} in {info.display} "
            f"(function {function_id}); this handler's code findings are missing",
            Location(info.display), DiagnosticLevel.ERROR, _COMPONENT))
        return None
    if value is None or result is None:
        diagnostics.append(Diagnostic(DiagnosticKind.UNRESOLVED, f"handler function {name!r} of {function_id} not "
                                      f"exported by {info.display}", Location(info.display),
                                      DiagnosticLevel.WARNING, _COMPONENT))
        return None
    issues = list(result.issues)
    for module_path in (Path(p) for p in result.module_paths):
        module = analyzer.module(module_path)
        if module_path not in analyzer.secrets:
            analyzer.secrets[module_path] = list(hardcoded_secrets(module))
        issues.extend(analyzer.secrets[module_path])
        if module.error is not None and module.display not in reported:
            reported.add(module.display)
            diagnostics.append(module.error)
    line, column = analyzer.handler_line(handler, value)
    return result.facts(info.display, name, issues, Location(info.display, line, column, logical_id=function_id))
