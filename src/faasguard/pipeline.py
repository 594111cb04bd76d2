"""load → enrich → rules → filter: the one pipeline every command shares (DESIGN.md "One pipeline").

Each stage is guarded per component and per input: a loader, enricher or rule that raises becomes an
internal-error diagnostic naming the component and the input, and everything else still runs, so a report is
complete for everything but the part that crashed (and the exit code is 4).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import logging
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard.config import Config
from faasguard.escape import MASK as _MASK
from faasguard.escape import environment_secrets
from faasguard.facts import Enricher, Facts
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, Finding, internal_error
from faasguard.loaders import LOADER_MODULES, LoadContext, LoadResult
from faasguard.model import Application, Location, SourceKind
from faasguard.result import ScanResult
from faasguard.rules.base import Rule, RuleContext
from faasguard.safeio import read_head
from faasguard.sources import Exclusion, SourceFile, SourceType, discover, display_path, is_test_file

if TYPE_CHECKING:
    from faasguard.unit_cache import UnitCache

log = logging.getLogger(__name__)

ENRICHERS: tuple[tuple[str, str], ...] = (
    ("code-analysis", "faasguard.analysis.code"),
    ("iam", "faasguard.analysis.iam"),
    ("images", "faasguard.analysis.images"),
    ("dependencies", "faasguard.analysis.deps"),
    ("attack-paths", "faasguard.analysis.paths"),
)
"""Enrichment modules in order (code facts feed IAM least privilege; the attack graph reads all of them). Each
module's `enrich` is an `Enricher` (faasguard.facts): it returns the facts it was given plus its own."""

Progress = Callable[[str, int, int], None]


def load_sources(paths: Sequence[str], config: Config, cwd: Path | None = None,
                 units: UnitCache | None = None) -> ScanResult:
    """Discover and load. `units`: replay the loader runs whose inputs did not change (`faasguard.unit_cache`);
    every step across them runs as usual."""
    cwd = cwd or Path.cwd()
    result = ScanResult()
    found = units.discover(paths, config, cwd, lambda: discover(paths, config.exclude, cwd)) if units is not None \
        else discover(paths, config.exclude, cwd)
    result.diagnostics.extend(found.diagnostics)
    result.sources = found.files
    roots = tuple(f.root for f in found.files) or tuple(Path(p).resolve() for p in paths)
    ctx = LoadContext(config=config, cwd=cwd, roots=tuple(dict.fromkeys(roots)),
                      environment_values=result.environment_values)
    by_type: dict[SourceType, list[SourceFile]] = defaultdict(list)
    for source in found.files:
        by_type[source.type].append(source)

    handled: set[Path] = set()
    for source_type, module_name in LOADER_MODULES.items():
        if source_type in _CODE_TYPES or source_type not in by_type:
            continue
        files = [f for f in by_type[source_type] if f.path not in handled]
        if units is not None and source_type is SourceType.CLOUDFORMATION:
            # one unit per template: the loader reads each on its own, so an edit reloads that one only
            for source in files:
                handled |= _run_loader(module_name, [source], ctx, result, units).handled
            continue
        loaded = _run_loader(module_name, files, ctx, result, units)
        handled |= loaded.handled
    result.apps = _without_packaged_frameworks(result.apps, result.diagnostics)

    if config.exclude:
        scan_roots = tuple(dict.fromkeys(f.root for f in found.files if f.root.is_dir())) or (cwd,)
        result.apps = [_drop_excluded_handlers(app, Exclusion(config.exclude), scan_roots, result.diagnostics,
                                               units)
                       for app in result.apps]

    # Bare handler code: Python files no application points at (a pre-commit run passes both the template
    # and its handlers; those are analysed once, through the template). This includes files under a path that
    # does hold infrastructure-as-code, so that a handler the templates reach only indirectly (a CDK asset
    # without cdk.out, a build step, an S3 CodeUri) is not silently skipped; the code loader only makes
    # functions of handler-shaped code and says that it inferred them.
    handler_files = {Path(fn.code.handler_file) for app in result.apps for fn in app.functions
                     if fn.code and fn.code.handler_file}
    shapes = _shapes if units is None else functools.partial(units.shapes, compute=_shapes)
    roots_with_iac = {f.root for f in found.files if f.type not in _CODE_TYPES}
    # a web-framework module inside the code directory of a function whose handler was found is reached
    # through that handler (Chalice `app.app`, a Mangum handler): inferring its routes again would duplicate
    analysed_dirs = {Path(fn.code.code_dir) for app in result.apps for fn in app.functions
                     if fn.code and fn.code.handler_file and fn.code.code_dir}
    layers: dict[Path, bool] = {}
    bare = [f for f in by_type.get(SourceType.PYTHON, [])
            if f.path not in handler_files and f.path not in handled and not is_test_file(f.path, f.root)
            and (f.root not in roots_with_iac
                 or _looks_like_handler(f.path, analysed_dirs, shapes, layers))]
    # JavaScript/TypeScript beside or without templates: only files exporting a handler-shaped function (a
    # Node project holds far more library, build and test code than handlers)
    bare += [f for f in by_type.get(SourceType.JAVASCRIPT, [])
             if f.path not in handler_files and f.path not in handled and not is_test_file(f.path, f.root)
             and _looks_like_js_handler(f.path)]
    if bare:
        _run_loader(LOADER_MODULES[SourceType.PYTHON], bare, ctx, result, units)
    return result


@functools.cache
def _python_shapes() -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(handler-shaped function, web-framework entry point), compiled on first use: only a scan with Python
    files that no template names asks (compiling these and `_js_handler_shape` at import cost every scan ~7 ms)."""
    handler = re.compile(
        rb"^(?:async\s+)?def\s+(?:\w+\s*\(\s*\w+\s*(?::[^()]*?)?,\s*(?:_|lambda_)?(?:context|ctx)\b"
        rb"|\w+\s*\(\s*\w+\s*(?::[^()]*?)?,\s*\w+\s*:\s*[\"']?(?:\w+\.)*LambdaContext\b|(?:lambda_)?handler\s*\("
        rb"|main\s*\(\s*request\s*\))",
        re.MULTILINE)
    framework = re.compile(
        # entry points of Chalice, Flask/Quart and FastAPI apps; the code loader keeps only real framework objects
        rb"^@\w+\.(?:route|get|post|put|patch|delete|api_route|websocket|schedule|lambda_function|authorizer"
        rb"|on_(?:s3_event|sqs_message|sns_message|cw_event|kinesis_record|dynamodb_record|ws_\w+))\s*\("
        # Google Cloud Functions' Functions Framework
        rb"|^@(?:functions_framework\.)?(?:http|cloud_event)\s*$",
        re.MULTILINE)
    return handler, framework


_CODE_TYPES = frozenset({SourceType.PYTHON, SourceType.JAVASCRIPT})
@functools.cache
def _js_handler_shape() -> re.Pattern[bytes]:
    """Compiled on first use, like `_python_shapes`: only JavaScript files that no template names are tested."""
    return re.compile(
        rb"(?:^|\n)\s*(?:exports|module\.exports)\.(?:\w*[hH]andler|main)\s*=|"
        rb"(?:^|\n)\s*export\s+(?:const|let|var|async\s+function|function)\s+(?:\w*[hH]andler|main)\b|"
        rb"module\.exports\s*=\s*\{[^}]*\b\w*[hH]andler\b|export\s*\{[^}]*\b\w*[hH]andler\b|"
        rb"(?:^|\n)\s*(?:exports|module\.exports)\.\w+\s*=\s*(?:async\s*)?(?:function\s*\w*\s*)?\(\s*(?:event|evt)\b|"
        rb"\(\s*(?:event|evt)\s*[,:)]")


def _looks_like_js_handler(path: Path) -> bool:
    try:
        head = read_head(path, 2 * 1024 * 1024)
    except OSError:
        return False
    return bool(_js_handler_shape().search(head))


_FRAMEWORK_SOURCES = frozenset({SourceKind.ZAPPA, SourceKind.CHALICE})


def _without_packaged_frameworks(apps: list[Application], diagnostics: list[Diagnostic]) -> list[Application]:
    """A Zappa or Chalice project that a template in the scan also deploys (`chalice package` / `zappa template`
    output kept beside the code) is one deployment described twice: the template is what is deployed, so the
    framework's own view is dropped, with a note, rather than reporting every finding twice."""
    claimed = {fn.code.handler_file for app in apps if app.source not in _FRAMEWORK_SOURCES
               for fn in app.functions if fn.code is not None and fn.code.handler_file}
    kept: list[Application] = []
    for app in apps:
        handlers = {fn.code.handler_file for fn in app.functions if fn.code is not None and fn.code.handler_file}
        if app.source in _FRAMEWORK_SOURCES and handlers and handlers <= claimed:
            diagnostics.append(Diagnostic(
                DiagnosticKind.INFO, f"the {app.source.value.capitalize()} project {app.name} is also deployed by a "
                "template in this scan; its functions are checked through the template only", Location(app.name),
                DiagnosticLevel.NOTE, f"{app.source.value} loader"))
            continue
        kept.append(app)
    return kept


def _drop_excluded_handlers(app: Application, exclusion: Exclusion, roots: Sequence[Path],
                            diagnostics: list[Diagnostic], units: UnitCache | None = None) -> Application:
    """A template may point at a handler that `exclude` covers (vendored, generated, or owned by another
    team): the exclusion wins, so its code is not read or analysed, and a note says so, since the function's
    code findings are then missing by choice rather than clean. An application with no excluded handler is
    returned as it is (a replayed skeleton stays one: `faasguard.unit_cache`)."""
    if not any(fn.code is not None and fn.code.handler_file
               and exclusion.excludes(Path(fn.code.handler_file), roots, False) for fn in app.functions):
        return app
    if units is not None:
        app = units.full(app)
    functions = []
    for function in app.functions:
        code = function.code
        if code is not None and code.handler_file and exclusion.excludes(Path(code.handler_file), roots, False):
            diagnostics.append(Diagnostic(
                DiagnosticKind.INFO,
                f"handler of {function.id} ({display_path(Path(code.handler_file))}) is excluded by `exclude`; "
                "its code and its package's dependencies are not analysed", function.loc("handler"),
                DiagnosticLevel.NOTE, "exclude"))
            # no code directory either: the code analysis would otherwise report the module as missing
            functions.append(replace(function, code=replace(code, handler_file=None, code_dir=None)))
            continue
        functions.append(function)
    return replace(app, functions=tuple(functions))


def _looks_like_handler(path: Path, analysed_dirs: set[Path] | frozenset[Path] = frozenset(),
                        shapes: Callable[[Path], tuple[bool, bool] | None] | None = None,
                        layers: dict[Path, bool] | None = None) -> bool:
    """Cheap pre-filter (no parse) for Python files beside infrastructure-as-code: a module-level function
    shaped like a Lambda handler, or a web-framework entry point outside the code directories of the
    functions already analysed. Library, CDK and tooling modules are then never parsed as handlers.
    `shapes`: `_shapes`, or the unit cache's memo of it (`UnitCache.shapes`); `layers`: `_in_layer_package`'s."""
    if _in_layer_package(path, layers):
        return False
    found = (shapes or _shapes)(path)
    if found is None:
        return False
    handler, framework = found
    # (a set test per parent: `d in path.parents` for each of ~600 directories built every parent each time)
    return handler or (framework and analysed_dirs.isdisjoint(path.parents))


def _shapes(path: Path) -> tuple[bool, bool] | None:
    """(a handler-shaped function, a web-framework entry point) in the file's head; None when unreadable."""
    try:
        head = read_head(path, 2 * 1024 * 1024)
    except OSError:
        return None
    handler, framework = _python_shapes()
    return _matches_a_line(handler, head, (b"def", b"async")), _matches_a_line(framework, head, (b"@",))


def _matches_a_line(pattern: re.Pattern[bytes], text: bytes, leads: tuple[bytes, ...]) -> bool:
    """`pattern.search(text)` found something, for a multiline pattern whose every match starts at the start of
    a line that begins with one of `leads`: only those lines are tried. A line-anchored search otherwise tries
    every byte of the file (~9 MB of library code on the corpus), while `find` skips to the few module-level
    `def`s and decorators."""
    for lead in leads:
        if text.startswith(lead) and pattern.match(text):
            return True
        needle = b"\n" + lead
        found = text.find(needle)
        while found != -1:
            if pattern.match(text, found + 1):
                return True
            found = text.find(needle, found + 1)
    return False


def _in_layer_package(path: Path, layers: dict[Path, bool] | None = None) -> bool:
    """Whether `path` lies inside a package vendored into a Lambda layer's `python/` directory (the layout
    Lambda puts on `sys.path`: `python/<package>/...`). Those are installed libraries (botocore's
    `handlers.py` has a handler-shaped function), never entry points: analysing them as handlers pulled ~100
    library modules into the taint analysis of the corpus and found nothing. A module directly in `python/`
    (`python/index.py`) is still considered, and so is a `python/` directory that is itself a package.
    `layers`: the answer for each package directory of this scan (a vendored package has many modules)."""
    if "python" not in path.parts[:-2]:  # the common case, decided without building the parents
        return False
    parents = path.parents
    for index, parent in enumerate(parents):
        if parent.name == "python" and index >= 1:
            package = parents[index - 1]
            if layers is not None and package in layers:
                return layers[package]
            found = (package / "__init__.py").is_file() and not (parent / "__init__.py").exists()
            if layers is not None:
                layers[package] = found
            return found
    return False


def _run_loader(module_name: str, files: list[SourceFile], ctx: LoadContext, result: ScanResult,
                units: UnitCache | None = None) -> LoadResult:
    if units is None:
        return _run_loader_now(module_name, files, ctx, result)
    start = time.perf_counter()

    def run() -> LoadResult:
        """The run, as what it adds to the result (a crash is a diagnostic, not an exception)."""
        staged = ScanResult()
        handled = _run_loader_now(module_name, files, ctx, staged).handled
        return LoadResult(apps=staged.apps, diagnostics=staged.diagnostics, handled=handled)

    loaded = units.load(module_name, files, ctx, run)
    result.apps.extend(loaded.apps)
    result.diagnostics.extend(loaded.diagnostics)
    name = f"load:{module_name.rsplit('.', 1)[-1]}"
    result.timings[name] = result.timings.get(name, 0.0) + time.perf_counter() - start
    return loaded


def _run_loader_now(module_name: str, files: list[SourceFile], ctx: LoadContext, result: ScanResult
                    ) -> LoadResult:
    start = time.perf_counter()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        for source in files:
            result.diagnostics.append(Diagnostic(
                DiagnosticKind.UNSUPPORTED, f"{source.type.value} sources are not supported yet; skipped",
                Location(source.display), DiagnosticLevel.NOTE))
        return LoadResult()
    try:
        loaded: LoadResult = module.load(files, ctx)
    except Exception as exc:
        subject = files[0].display if len(files) == 1 else f"{len(files)} files ({files[0].display}, ...)"
        result.diagnostics.append(internal_error(module_name.rsplit(".", 1)[-1] + " loader", subject, exc))
        log.debug("loader crashed", exc_info=True)
        return LoadResult()
    result.apps.extend(loaded.apps)
    result.diagnostics.extend(loaded.diagnostics)
    result.timings[f"load:{module_name.rsplit('.', 1)[-1]}"] = time.perf_counter() - start
    return loaded


def enrich(app: Application, config: Config, diagnostics: list[Diagnostic],
           enrichers: Sequence[tuple[str, str]] = ENRICHERS, initial: Facts | None = None) -> Facts:
    """Run every registered enricher on `app`, in order, each seeing the facts of those before it.

    An enricher that cannot be imported, does not implement the `Enricher` interface, or raises is an
    internal-error diagnostic naming it and the application (exit 4): a silently skipped enricher would make
    every rule reading its facts pass by mistake.
    """
    facts = initial or Facts()
    for component, module_name in enrichers:
        try:
            module: Any = importlib.import_module(module_name)
            enricher: Enricher | None = getattr(module, "enrich", None)
            if not callable(enricher):
                raise TypeError(f"{module_name} has no enrich(app, config, facts, diagnostics) function")
            facts = enricher(app, config, facts, diagnostics)
            if not isinstance(facts, Facts):
                raise TypeError(f"{module_name}.enrich returned {type(facts).__name__}, not Facts")
        except Exception as exc:
            diagnostics.append(internal_error(component, app.name, exc))
            log.debug("enricher crashed", exc_info=True)
            facts = facts if isinstance(facts, Facts) else Facts()
    return facts


def run_rules(ctx: RuleContext, rules: Sequence[type[Rule]], diagnostics: list[Diagnostic]) -> list[Finding]:
    findings: list[Finding] = []
    for rule_class in rules:
        try:
            for finding in rule_class().check(ctx):
                # `Rule.finding` sets it; a rule that changed a field afterwards (or built its own) is corrected
                fingerprint = finding.compute_fingerprint()
                findings.append(finding if finding.fingerprint == fingerprint
                                else replace(finding, fingerprint=fingerprint))
        except Exception as exc:
            diagnostics.append(internal_error(f"rule {rule_class.id}", ctx.app.name, exc))
            log.debug("rule crashed", exc_info=True)
    return findings


def selected_rules(config: Config) -> list[type[Rule]]:
    from faasguard.rules import all_rules

    def matches(rule: type[Rule], patterns: Sequence[str]) -> bool:
        return any(rule.id.startswith(p.upper()) or rule.name == p.lower() for p in patterns)

    rules = all_rules()
    if config.select:
        rules = [r for r in rules if matches(r, config.select)]
    return [r for r in rules if not matches(r, config.ignore)]


def needed_enrichers(rules: Sequence[type[Rule]]) -> tuple[tuple[str, str], ...]:
    """The enrichers whose facts at least one of `rules` reads, in pipeline order: with `--select FG3` no code
    is analysed and no IAM policy evaluated. All of them when any rule does not say (`ENRICHMENT_NEEDS`)."""
    from faasguard.rules import enrichment_needs

    wanted: set[str] = set()
    for rule in rules:
        needs = enrichment_needs(rule)
        if needs is None:
            return ENRICHERS
        wanted |= needs
    return tuple(entry for entry in ENRICHERS if entry[0] in wanted)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the duration of a scan.

    A scan builds a large, long-lived heap (parsed templates, syntax trees, the model) and frees almost nothing
    cyclic until it ends (a 1,000-function app leaves ~40 cyclic objects behind), so the collector's full
    passes, triggered each time the heap grows by a quarter, re-traverse everything for nothing: ~25% of a
    large scan. Reference counting still frees all acyclic garbage at once; the previous state is restored
    afterwards, so the collector runs again as usual (and collects the few cycles) once the scan is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                # Everything the scan allocated is still counted as young: re-enabled as is, the collector's
                # next pass would traverse all of it at once (~0.1 s after 500 templates). Freezing and
                # unfreezing moves it to the oldest generation without a traversal (two list splices); it is
                # then examined by the next full collection like any long-lived data. Skipped when the host
                # process froze objects itself, which unfreezing would undo.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def scan(paths: Sequence[str], config: Config, progress: Progress | None = None,
         cwd: Path | None = None, *, jobs: int | None = 1, units: UnitCache | None = None) -> ScanResult:
    """Scan `paths`. `jobs`: processes for the per-application analysis (`faasguard.parallel.plan_jobs`;
    None = as many as pays off). Serial by default for library callers: a fleet or audit worker is already
    one of many processes. `units`: the loader runs and application analyses of an earlier scan, replayed
    where their inputs are unchanged (`faasguard.unit_cache`); the result is the same either way."""
    with _collector_paused():
        if units is not None:
            from faasguard.unit_cache import DamagedError

            try:
                return _scan(paths, config, progress, cwd, jobs, units)
            except DamagedError as exc:  # a stored application is unreadable: everything is done again
                log.info("unit cache: %s; scanning without it", exc)
        return _scan(paths, config, progress, cwd, jobs)


def _scan(paths: Sequence[str], config: Config, progress: Progress | None, cwd: Path | None,  # noqa: PLR0917
          jobs: int | None = 1, units: UnitCache | None = None) -> ScanResult:
    started = time.perf_counter()
    result = load_sources(paths, config, cwd, units)
    result.diagnostics[:0] = [Diagnostic(DiagnosticKind.INFO, warning, Location(warning.split(": ", 1)[0]),
                                         DiagnosticLevel.WARNING, "config") for warning in config.warnings]
    found_images = tuple(str(f.path) for f in result.sources if f.type is SourceType.IMAGE)
    if found_images or config.images:
        from faasguard.analysis.images import plan

        if units is not None:  # the plan reads what skeletons leave out (architectures, image URIs, containers)
            result.apps = [units.full(app) for app in result.apps]
        config = plan(result.apps, replace(config, images=config.images + found_images), result.diagnostics)
    analysed = time.perf_counter()
    analyse(result, config, progress, cwd, jobs=jobs, units=units)
    result.timings["analyse"] = time.perf_counter() - analysed
    if units is not None:
        units.save_facts()
    result.timings["total"] = time.perf_counter() - started
    if units is not None:
        log.info("unit cache: %d units replayed, %d stored", units.replayed, units.stored)
    return result


def analyse(result: ScanResult, config: Config, progress: Progress | None = None,
            cwd: Path | None = None, relocate: Callable[[Finding], Finding] | None = None,
            *, extra_facts: Mapping[str, Any] | None = None, jobs: int | None = 1,
            units: UnitCache | None = None) -> ScanResult:
    """enrich → rules → filter on the applications already in `result`, whatever built them.

    `scan` fills `result` from files and `faasguard audit` from a live account; both then share every later
    stage, so a rule, a suppression or a baseline behaves the same on either. Updates `result` in place
    (facts, rules, findings, diagnostics) and returns it. `relocate` rewrites each raw finding before the
    filter (the audit moves code findings from its temporary package directory to the function's ARN, so the
    baseline sees stable fingerprints). `extra_facts` starts every application's `Facts.extra`, before the enrichers
    (the audit's drift against `--compare PATH`, which needs a second model, and CloudTrail usage, which the
    IAM enricher adds to each function's needs). `jobs` as in `scan`: the applications are independent here,
    so they may be analysed in several processes (`_analyse_apps`); the result is the same either way.
    `units` as in `scan` (not with `relocate` or `extra_facts`, whose inputs are not files).
    """
    result.rules = selected_rules(config)
    enrichers = needed_enrichers(result.rules)
    rules = result.rules

    parent = os.getpid()

    def one(index: int) -> _AppOutcome:
        app = result.apps[index]
        if progress and os.getpid() == parent:  # a worker's progress would garble the parent's line
            progress(app.name, index, len(result.apps))
        diagnostics: list[Diagnostic] = []
        facts = enrich(app, config, diagnostics, enrichers, initial=Facts(extra=extra_facts) if extra_facts else None)
        return facts, run_rules(RuleContext(app, config, facts), rules, diagnostics), diagnostics

    indices = list(range(len(result.apps)))
    replayed: dict[int, _AppOutcome] = {}
    if units is not None and relocate is None and extra_facts is None:
        analysed = _analyse_with_units(result, one, units, config, rules, enrichers, jobs, replayed)
    else:
        analysed = dict(_analyse_apps(result, one, config, jobs, indices))
    raw: list[Finding] = []
    for index in range(len(result.apps)):
        if index not in replayed and index not in analysed:
            continue  # lost with its worker: reported as an internal error
        facts, findings, diagnostics = replayed[index] if index in replayed else analysed[index]
        result.facts[index] = facts
        raw.extend(findings)
        result.diagnostics.extend(diagnostics)
    if relocate is not None:
        raw = [relocate(finding) for finding in raw]
    from faasguard.filtering import apply_filters

    memo = units if units is not None and relocate is None and extra_facts is None else None
    result.findings, filter_diagnostics = apply_filters(raw, result.apps, config, cwd=cwd, facts=memo)
    result.diagnostics.extend(filter_diagnostics)
    result.diagnostics = list(dict.fromkeys(result.diagnostics))
    _mask_environment(result)
    return result


_AppOutcome = tuple[Facts, list[Finding], list[Diagnostic]]


def _analyse_with_units(result: ScanResult, one: Callable[[int], _AppOutcome], units: UnitCache,  # noqa: PLR0917
                        config: Config, rules: Sequence[type[Rule]], enrichers: Sequence[tuple[str, str]],
                        jobs: int | None, replayed: dict[int, _AppOutcome]) -> dict[int, _AppOutcome]:
    """The outcomes of the applications whose analysis runs (each stored as a unit); `replayed` receives the
    others'. An application to analyse that is a replayed skeleton is read back in full first.

    After a one-file change a few applications are analysed and hundreds are read back: when two processes
    may run (`faasguard.parallel.beside_pays`), a forked child analyses the few while this process decodes the
    many, instead of one after the other. An outcome that does not decode is analysed here afterwards."""
    keys: dict[int, str | None] = {}
    payloads: dict[int, Any] = {}
    for index, app in enumerate(result.apps):
        key = keys[index] = units.analysis_key(app, config, rules, enrichers)
        payload = units.lookup(key) if key is not None else None
        if payload is not None:
            payloads[index] = payload
    indices = [index for index in range(len(result.apps)) if index not in payloads]
    for index in indices:
        result.apps[index] = units.full(result.apps[index])

    def stored(index: int) -> _AppOutcome:
        key = keys[index]
        return one(index) if key is None else units.analysed(key, lambda: one(index), _reduced)

    def decode() -> None:
        for index, payload in payloads.items():
            outcome = units.decode_analysis(payload)
            if outcome is not None:
                replayed[index] = outcome

    from faasguard import parallel

    analysed: dict[int, _AppOutcome] = {}
    if parallel.beside_pays(jobs, config.jobs, len(indices), len(payloads)):
        run = parallel.run_beside(stored, _reduced, indices, decode)
        for name, lost, exc in run.failed:
            subject = f"{name}: " + ", ".join(result.apps[i].name for i in lost)
            result.diagnostics.append(internal_error("parallel analysis", subject, exc))
        analysed, indices = run.outcomes, []
    else:
        decode()
    undecoded = [index for index in payloads if index not in replayed]
    for index in undecoded:  # a damaged outcome: analysed again, as if it had not been stored
        result.apps[index] = units.full(result.apps[index])
    analysed.update(_analyse_apps(result, stored, config, jobs, sorted([*indices, *undecoded])))
    return analysed


def _analyse_apps(result: ScanResult, one: Callable[[int], _AppOutcome], config: Config,
                  jobs: int | None, indices: Sequence[int]) -> Iterator[tuple[int, _AppOutcome]]:
    """(index, outcome) of the applications at `indices`, in application order, whichever process analysed it.

    Serial unless `faasguard.parallel.plan_jobs` says more processes pay off. An application analysed in a
    worker comes back with the facts reporters read (the attack graph) rather than all of them: the rest can
    hold syntax trees, costly to pickle, that nothing after the rules reads. A share lost twice (its worker
    died and the retry here raised) is an internal error naming the worker and its applications."""
    if jobs == 1 or len(indices) < 2:
        for index in indices:
            yield index, one(index)
        return
    from faasguard import parallel

    costs = [_cost(result.apps[index]) for index in indices]
    planned = parallel.plan_jobs(jobs, config.jobs, costs)
    if planned == 1:
        for index in indices:
            yield index, one(index)
        return
    # analysed before the fork: the cheapest application with handler code imports what the others need
    first = min(range(len(indices)), key=lambda i: (not _has_code(result.apps[indices[i]]), costs[i], i))
    order = [indices[i] for i in parallel.heaviest_first(costs)]
    run = parallel.run(one, _reduced, order, planned, indices[first])
    for name, lost, exc in run.failed:
        subject = f"{name}: " + ", ".join(result.apps[i].name for i in lost)
        result.diagnostics.append(internal_error("parallel analysis", subject, exc))
    for index in indices:
        if index in run.outcomes:
            yield index, run.outcomes[index]


_COST_PER_APP = 2.0


def _cost(app: Application) -> float:
    """Rough milliseconds of analysis (measured on the corpus): a few per application and function, and the
    handler code, whose analysis dominates (~1.5 ms per KB, the modules it imports included)."""
    handler_bytes = 0
    for function in app.functions:
        if function.code is not None and function.code.handler_file:
            with contextlib.suppress(OSError, ValueError):
                handler_bytes += Path(function.code.handler_file).stat().st_size
    return _COST_PER_APP + len(app.functions) + handler_bytes * 1.5 / 1024


def _has_code(app: Application) -> bool:
    return any(function.code is not None and function.code.handler_file for function in app.functions)


def _reduced(outcome: _AppOutcome) -> _AppOutcome:
    facts, findings, diagnostics = outcome
    return Facts(paths=facts.paths), findings, diagnostics


def _mask_environment(result: ScanResult) -> None:
    """Mask environment secrets in every string of the findings and diagnostics (DESIGN.md: nothing from the
    environment goes into a report). Cheap when nothing matches: one substring test per string."""
    secrets = environment_secrets(os.environ, result.environment_values)
    if not secrets:
        return

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, _MASK)
            return value
        if isinstance(value, tuple):
            return tuple(clean(v) for v in value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, Mapping):
            return {clean(k): clean(v) for k, v in value.items()}
        if is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: clean(getattr(value, f.name)) for f in fields(value) if f.init}
            return replace(value, **changes)
        return value

    result.findings = [clean(f) for f in result.findings]
    result.diagnostics = [clean(d) for d in result.diagnostics]
