"""Handler code analysis: what each function's handler does with its event, secrets, /tmp and AWS APIs.

The pipeline calls `enrich` once per application. For every Function whose handler is a Python file on disk it
analyses the handler (and the project's own modules it imports) and records a `HandlerFacts` under the
function's id. The analysis itself lives in `_engine` and is imported on first use, so importing this package
stays cheap.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location

if TYPE_CHECKING:
    from faasguard.analysis.code.facts import HandlerFacts
    from faasguard.config import Config
    from faasguard.facts import Facts
    from faasguard.model import Application, Function

__all__ = ["analyze_file", "enrich"]

_COMPONENT = "code-analysis"


def _python_handler(function: Function) -> Path | None:
    code = function.code
    if code is None or not code.handler_file or not code.handler_file.endswith((".py", ".pyw")):
        return None
    path = Path(code.handler_file)
    return path if path.is_file() else None


def _search_roots(
    app: Application, function: Function, handler: Path, memo: dict[tuple[Path, str | None], tuple[Path, ...]]
) -> tuple[Path, ...]:
    """The handler's import roots, resolved. `memo` (one per application) keeps them per handler directory:
    functions of an app usually share it, and resolving costs a system call per path component."""
    code_dir = function.code.code_dir if function.code else None
    key = (handler.parent, code_dir)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _compute_roots(handler.parent, code_dir, app.root)
    return found


def _compute_roots(directory: Path, code_dir: str | None, app_root: str) -> tuple[Path, ...]:
    handler_parent = directory
    roots: list[Path] = [handler_parent]
    if code_dir:
        roots.append(Path(code_dir))
    parent = handler_parent
    limit = Path(code_dir) if code_dir else Path(app_root)
    while parent != limit and limit in parent.parents:
        parent = parent.parent
        roots.append(parent)
    return tuple(dict.fromkeys(r.resolve() for r in roots))


def enrich(app: Application, config: Config, facts: Facts, diagnostics: list[Diagnostic]) -> Facts:
    """Add `HandlerFacts` for every Python handler of `app` to `facts.handlers`."""
    from faasguard.analysis.code._engine import Analyzer

    handlers: dict[str, HandlerFacts] = dict(facts.handlers)
    analyzers: dict[tuple[Path, ...], Analyzer] = {}
    reported: set[str] = set()
    roots_memo: dict[tuple[Path, str | None], tuple[Path, ...]] = {}
    for function in app.functions:
        handler = _python_handler(function)
        if handler is None:
            _missing_handler(function, diagnostics)
            continue
        roots = _search_roots(app, function, handler, roots_memo)
        analyzer = analyzers.setdefault(roots, Analyzer(roots))
        name = function.code.handler_function if function.code else None
        result = analyze_function(analyzer, handler, name or "handler", function.id, diagnostics, reported)
        if result is not None:
            handlers[function.id] = result
    return replace(facts, handlers=handlers)


def _missing_handler(function: Function, diagnostics: list[Diagnostic]) -> None:
    code = function.code
    runtime = function.runtime if isinstance(function.runtime, str) else ""
    if code is None or code.handler_file or not code.code_dir or code.inline or not runtime.startswith("python"):
        return
    handler = code.handler if isinstance(code.handler, str) else "?"
    diagnostics.append(
        Diagnostic(
            DiagnosticKind.UNRESOLVED,
            f"handler {handler!r} of {function.id}: module not found under {code.code_dir}; its code is not analysed",
            function.loc("handler"),
            DiagnosticLevel.WARNING,
            _COMPONENT,
        )
    )


def analyze_function(  # noqa: PLR0917
    analyzer: object,
    handler: Path,
    name: str,
    function_id: str,
    diagnostics: list[Diagnostic],
    reported: set[str] | None = None,
) -> HandlerFacts | None:
    """Analyse one handler function; problems become located diagnostics, never exceptions."""
    from faasguard.analysis.code._engine import Analyzer
    from faasguard.analysis.code._secrets import hardcoded_secrets
    from faasguard.analysis.code.facts import HandlerFacts

    assert isinstance(analyzer, Analyzer)
    reported = reported if reported is not None else set()
    info = analyzer.module(handler)
    if info.tree is None:
        if info.error is not None and info.display not in reported:
            reported.add(info.display)
            diagnostics.append(replace(info.error, message=f"{info.error.message}; handler {function_id} not analysed"))
        return None
    node = info.functions.get(name)
    app_stmt = analyzer.app_object(handler, name) if node is None else None
    if node is None and app_stmt is None:
        diagnostics.append(
            Diagnostic(
                DiagnosticKind.UNRESOLVED,
                f"handler function {name!r} of {function_id} not found in {info.display}",
                Location(info.display),
                DiagnosticLevel.WARNING,
                _COMPONENT,
            )
        )
        return None
    located = node if node is not None else app_stmt
    assert located is not None
    try:
        # a handler string may name a web app object (Chalice/Zappa `app.app`, Mangum `handler = Mangum(app)`):
        # then every HTTP route of the app is an entry point
        result = analyzer.analyze_handler(handler, name) if node is not None else analyzer.analyze_app(handler, name)
    except RecursionError:
        result = None
    if result is None:
        diagnostics.append(
            Diagnostic(
                DiagnosticKind.UNSUPPORTED,
                f"handler {name} of {function_id} is too deeply nested to analyse",
                Location(info.display, located.lineno),
                DiagnosticLevel.WARNING,
                _COMPONENT,
            )
        )
        return None
    issues = list(result.issues)
    for module_path in [handler, *(p for p in (Path(m) for m in result.module_paths) if p != handler)]:
        module = analyzer.module(module_path)
        if module.tree is not None:
            if module_path not in analyzer.secrets:
                analyzer.secrets[module_path] = list(hardcoded_secrets(module.tree, module.display))
            issues.extend(analyzer.secrets[module_path])
        elif module.error is not None and module.display not in reported:
            reported.add(module.display)
            diagnostics.append(module.error)
    return HandlerFacts(
        handler_file=info.display,
        handler_function=name,
        event_param=result.event_param,
        flows=tuple(result.flows),
        issues=tuple(issues),
        aws_calls=tuple(result.calls),
        env_reads=tuple(result.env_reads),
        modules=tuple(result.modules),
        handler_location=Location(info.display, located.lineno, located.col_offset + 1, logical_id=function_id),
        event_use=result.event_use,
        validated=result.validated,
    )


def analyze_file(
    path: str | Path, function: str = "handler", search_roots: tuple[Path, ...] = ()
) -> tuple[HandlerFacts | None, list[Diagnostic]]:
    """Analyse one handler in one file (tests, benchmarks, and `faasguard` users calling the library)."""
    from faasguard.analysis.code._engine import Analyzer

    handler = Path(path).resolve()
    diagnostics: list[Diagnostic] = []
    analyzer = Analyzer(search_roots or (handler.parent,))
    return analyze_function(analyzer, handler, function, function, diagnostics), diagnostics
