"""Handler code analysis: what each function's handler does with its event, secrets, /tmp and AWS APIs.

The pipeline calls `enrich` once per application. For every Function whose handler is a Python file on disk it
analyses the handler (and the project's own modules it imports) and records a `HandlerFacts` under the
function's id. The analysis is imported on first use, so importing this package stays cheap. A handler whose
analysis raises loses its own facts only: the failure becomes an internal-error diagnostic naming the handler's
file and function, and the other handlers are analysed as usual.

Layout:
* `facts.py`: the output (`HandlerFacts`): flows by sink KIND, issues by kind, AWS calls, secret fetches, /tmp
  files left behind. No rule ids: the handler rules (`faasguard.rules.handler`) map kinds to themselves.
* `core/`: language-neutral: abstract values (values.py), sink kinds as data (sinks.py), per-function records
  (results.py), summary instantiation at call sites and collection into a handler's facts (summaries.py).
* `python/`: the Python front end: an abstract interpreter over `ast`, library models as table rows (models.py)
  interpreted by named transfers (library.py), the boto3 object model (sdk.py), web frameworks (web.py).
* `routes.py`: the small public helper the bare-code loader uses to infer web-framework handlers.

How to add a language (e.g. JavaScript/TypeScript with tree-sitter): write a front end package beside `python/`
that parses a file (its own module cache and import resolution), interprets each function into the core's
`Val`s, and records through the same calls `python/state.py` makes: `hit(kind, sink, node, value)` with an
existing sink kind of core/sinks.py, `issue(kind, ...)`, AWS calls (`CallRec`, the SDK's operation names),
`TmpEvent`s and `Fetch`es into a `core.results.Summary`; instantiate callees with `core.summaries.absorb` /
`returned`, and finish a handler with `core.summaries.collect`. Its library models are rows in its own
models table (qualified name → transfer, sink kind, argument position), not branches in the interpreter. Then
dispatch on the handler file's extension in `analyze_function` below. The rules need no change unless the
language brings a new sink kind (a row in core/sinks.py and the rule that claims it).
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.sources import display_path

if TYPE_CHECKING:
    import ast

    from faasguard.analysis.code.core.results import HandlerResult
    from faasguard.analysis.code.facts import HandlerFacts
    from faasguard.analysis.code.js.analyzer import JsAnalyzer
    from faasguard.analysis.code.python.analyzer import Analyzer
    from faasguard.analysis.code.python.modules import PackageArchive
    from faasguard.config import Config
    from faasguard.facts import Facts
    from faasguard.model import Application, Function

__all__ = ["analyze_file", "enrich"]

_COMPONENT = "code-analysis"
_INLINE_LIMIT_BYTES = 1024 * 1024
"""Inline code above this is not analysed: CloudFormation accepts 4 KB in `ZipFile` (SAM's `InlineCode` is
uploaded as a zip, so larger code exists), and a module of megabytes in a template is generated or hostile."""


def _python_handler(function: Function) -> Path | None:
    code = function.code
    if code is None or not code.handler_file or not code.handler_file.endswith((".py", ".pyw")):
        return None
    path = Path(code.handler_file)
    return path if path.is_file() or _archive_of(function) is not None else None


def _archive_of(function: Function) -> tuple[Path, str] | None:
    """(zip, member) when the function's package is a committed zip and its handler a member of it."""
    from faasguard.analysis.archive import split_member

    code = function.code
    parts = split_member(code.handler_file) if code is not None and code.handler_file else None
    return (Path(parts[0]), parts[1]) if parts is not None else None


_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")


def _js_handler(function: Function) -> Path | None:
    code = function.code
    if code is None or not code.handler_file or not code.handler_file.lower().endswith(_JS_SUFFIXES):
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
    """Add `HandlerFacts` for every Python handler of `app` to `facts.handlers`. The JavaScript front end (and
    tree-sitter under it) is imported only for an application that has a JavaScript handler, and the Python one
    only for an application with a Python handler file (a service whose handlers are all missing or elsewhere
    does not pay its import)."""
    handlers: dict[str, HandlerFacts] = dict(facts.handlers)
    analyzers: dict[tuple[Path, ...], Analyzer] = {}
    js_analyzers: dict[tuple[Path, ...], JsAnalyzer] = {}
    reported: set[str] = set()
    roots_memo: dict[tuple[Path, str | None], tuple[Path, ...]] = {}
    archives: dict[Path, PackageArchive] = {}
    # handlers still to analyse per file: a file no later handler is in is released after its last one
    pending: Counter[str | None] = Counter(
        f.code.handler_file for f in app.functions if f.code is not None and f.code.handler_file)
    try:
        for function in app.functions:
            if function.code is not None and function.code.inline_source is not None:
                found = _analyze_inline(app, function, diagnostics, reported)
                if found is not None:
                    handlers[function.id] = found
                continue
            js = _js_handler(function)
            if js is not None:
                from faasguard.analysis.code.js.analyzer import JsAnalyzer
                from faasguard.analysis.code.js.analyzer import analyze_function as analyze_js

                roots = _search_roots(app, function, js, roots_memo)
                js_analyzer = js_analyzers.setdefault(roots, JsAnalyzer(roots))
                js_name = (function.code.handler_function if function.code else None) or "handler"
                found = analyze_js(js_analyzer, js.resolve(), js_name, function.id, diagnostics, reported)
                if found is not None:
                    handlers[function.id] = found
                continue
            handler = _python_handler(function)
            if handler is None:
                _missing_handler(function, diagnostics)
                continue
            archive = _package_archive(function, archives)
            if archive is not None:
                # Lambda puts the package's top level on sys.path: the archive's root is the code directory
                roots = _compute_roots(handler.parent, str(archive.root), app.root)
            else:
                roots = _search_roots(app, function, handler, roots_memo)
            from faasguard.analysis.code.python.analyzer import Analyzer

            analyzer = analyzers.setdefault(roots, Analyzer(roots, archive=archive))
            name = function.code.handler_function if function.code else None
            result = analyze_function(analyzer, handler, name or "handler", function.id, diagnostics, reported)
            if result is not None:
                handlers[function.id] = result
            file = function.code.handler_file if function.code else None
            pending[file] -= 1
            if pending[file] <= 0:
                analyzer.release(handler)
    finally:
        for archive in archives.values():
            diagnostics.extend(archive.tree.diagnostics)
            archive.tree.close()
    return replace(facts, handlers=handlers)


def _analyze_inline(app: Application, function: Function, diagnostics: list[Diagnostic],
                    reported: set[str]) -> HandlerFacts | None:
    """Analyse code written in the template (`Code.ZipFile`, SAM `InlineCode`) as the module Lambda makes of
    it (`index.py` / `index.js`), preceded by blank lines so that its line numbers are the template's: its
    findings point at the template, where the code is. The module lives in a directory that does not exist,
    so its imports resolve to libraries, as in the deployed function (inline code has no package beside it)."""
    code = function.code
    assert code is not None
    assert code.inline_source is not None
    runtime = function.runtime if isinstance(function.runtime, str) else ""
    handler = code.handler if isinstance(code.handler, str) and "." in code.handler else "index.handler"
    module, name = handler.rsplit(".", 1)
    text = code.inline_source.encode("utf-8", "surrogatepass")
    directory = Path(app.root) / f".inline-{function.id}"
    display = function.location.path
    limit = _INLINE_LIMIT_BYTES
    if len(text) > limit:  # a hostile template may hold megabytes in one block; Lambda itself takes 4 KB
        diagnostics.append(Diagnostic(
            DiagnosticKind.UNSUPPORTED,
            f"inline code of {function.id} is {len(text) // 1024} KiB, over the {limit // 1024} KiB limit; "
            "not analysed", Location(display, max(code.inline_line, 1)), DiagnosticLevel.WARNING, _COMPONENT))
        return None
    source = b"\n" * max(code.inline_line - 1, 0) + text
    if runtime.startswith("python"):
        from faasguard.analysis.code.python.analyzer import Analyzer
        from faasguard.analysis.code.python.modules import parse_source

        path = directory / f"{module.replace('.', '/')}.py"
        analyzer = Analyzer((directory,))
        analyzer.diagnostics_modules[path] = parse_source(path, display, source)
        return analyze_function(analyzer, path, name, function.id, diagnostics, reported)
    if runtime.startswith("nodejs"):
        from faasguard.analysis.code.js.analyzer import JsAnalyzer
        from faasguard.analysis.code.js.analyzer import analyze_function as analyze_js
        from faasguard.analysis.code.js.modules import parse_source as parse_js

        path = directory / f"{module.replace('.', '/')}.js"
        js_analyzer = JsAnalyzer((directory,))
        js_analyzer.modules[path] = parse_js(path, display, source)
        return analyze_js(js_analyzer, path, name, function.id, diagnostics, reported)
    return None


def _package_archive(function: Function, archives: dict[Path, PackageArchive]) -> PackageArchive | None:
    """The zip the function's handler is read from (opened once per application), None for code on disk."""
    archived = _archive_of(function)
    if archived is None:
        return None
    path = archived[0]
    if path not in archives:
        from faasguard.analysis.archive import open_archive
        from faasguard.analysis.code.python.modules import PackageArchive

        archives[path] = PackageArchive(open_archive(path, display_path(path)), path)
    return archives[path]


def _missing_handler(function: Function, diagnostics: list[Diagnostic]) -> None:
    code = function.code
    archived = _archive_of(function)
    if archived is not None:
        diagnostics.append(Diagnostic(
            DiagnosticKind.UNSUPPORTED,
            f"handler of {function.id} is {archived[1]} inside the zip package {display_path(archived[0])}; only "
            "Python handlers are analysed inside a zip (the package's dependencies are inventoried)",
            function.loc("handler"), DiagnosticLevel.NOTE, _COMPONENT))
        return
    runtime = function.runtime if isinstance(function.runtime, str) else ""
    if code is None or code.handler_file or not code.code_dir or code.inline or not runtime.startswith("python"):
        return
    handler = code.handler if isinstance(code.handler, str) else "?"
    diagnostics.append(
        Diagnostic(
            DiagnosticKind.UNRESOLVED,
            f"handler {handler!r} of {function.id}: module not found under {display_path(Path(code.code_dir))}; "
            "its code is not analysed",
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
    from faasguard.analysis.code.python.analyzer import Analyzer

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
        if result is not None:
            return _facts(analyzer, handler, info.display, name, function_id, located, result, diagnostics, reported)
    except RecursionError:
        pass  # reported below as too deeply nested
    except Exception as exc:  # one handler's defect must not cost the other handlers their findings
        diagnostics.append(_crashed(exc, info.display, name, function_id, located.lineno))
        return None
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


def _crashed(exc: Exception, display: str, name: str, function_id: str, line: int) -> Diagnostic:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return Diagnostic(
        DiagnosticKind.INTERNAL_ERROR,
        f"code analysis raised {type(exc).__name__}: {exc}{where} while analysing handler {name} in {display} "
        f"(function {function_id}); this handler's code findings are missing",
        Location(display, line),
        DiagnosticLevel.ERROR,
        _COMPONENT,
    )


def _facts(  # noqa: PLR0917
    analyzer: Analyzer,
    handler: Path,
    display: str,
    name: str,
    function_id: str,
    located: ast.stmt,
    result: HandlerResult,
    diagnostics: list[Diagnostic],
    reported: set[str],
) -> HandlerFacts:
    """The handler's facts: the analysis result plus the secret literals of every module it loaded."""
    from faasguard.analysis.code.python.secrets import hardcoded_secrets

    issues = list(result.issues)
    for module_path in [handler, *(p for p in (analyzer.path(m) for m in result.module_paths) if p != handler)]:
        module = analyzer.module(module_path)
        if module.tree is not None:
            if module_path not in analyzer.secrets:
                analyzer.secrets[module_path] = list(hardcoded_secrets(module.tree, module.display))
            issues.extend(analyzer.secrets[module_path])
        elif module.error is not None and module.display not in reported:
            reported.add(module.display)
            diagnostics.append(module.error)
    return result.facts(display, name, issues,
                        Location(display, located.lineno, located.col_offset + 1, logical_id=function_id))


def analyze_file(
    path: str | Path, function: str = "handler", search_roots: tuple[Path, ...] = ()
) -> tuple[HandlerFacts | None, list[Diagnostic]]:
    """Analyse one handler in one file (tests, benchmarks, and `faasguard` users calling the library)."""
    from faasguard.analysis.code.python.analyzer import Analyzer

    handler = Path(path).resolve()
    diagnostics: list[Diagnostic] = []
    if handler.suffix.lower() in _JS_SUFFIXES:
        from faasguard.analysis.code.js.analyzer import JsAnalyzer
        from faasguard.analysis.code.js.analyzer import analyze_function as analyze_js

        js_analyzer = JsAnalyzer(search_roots or (handler.parent,))
        return analyze_js(js_analyzer, handler, function, function, diagnostics, set()), diagnostics
    analyzer = Analyzer(search_roots or (handler.parent,))
    return analyze_function(analyzer, handler, function, function, diagnostics), diagnostics
