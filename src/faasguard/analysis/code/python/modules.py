"""Parsing Python modules once, and resolving a handler's local imports to files on disk.

The standard `ast` is the parser: it is exact for every Python 3 version we run on, fast (the 1,439 handler
files of serverless-patterns parse in under a second), and carries line/column positions. Scanned code is only
parsed, never imported or executed.

Parsed modules are kept in a bounded LRU keyed by (path, mtime, size), so one scan parses each file once even
when several applications (or the bare-code loader and the enricher) look at it, and a file edited between
two scans in one process is parsed again.
"""

from __future__ import annotations

import ast
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.safeio import read_regular
from faasguard.sources import display_path

MAX_MODULE_BYTES = 4 * 1024 * 1024
"""Bigger Python files are generated code, not handlers: skipped with a diagnostic."""

_CACHE_SIZE = 1024


@dataclass
class ModuleInfo:
    """One parsed module. `tree` is None when it could not be parsed (`error` says why, located)."""

    path: Path
    display: str
    tree: ast.Module | None
    error: Diagnostic | None = None
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    """Module-level functions and methods ("Class.method") by qualified name."""
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)


_lock = threading.Lock()
_cache: OrderedDict[tuple[str, int, int], ModuleInfo] = OrderedDict()


def _py2_hint(source: bytes, exc: SyntaxError) -> str:
    line = (exc.text or "").strip()
    if (
        line.startswith(("print ", "exec "))
        or ("except " in line and "," in line and " as " not in line)
        or b'print "' in source
        or b"print '" in source
    ):
        return " (Python 2 syntax? Lambda runs Python 3 only)"
    return ""


def parse_module(path: Path, cwd: Path | None = None) -> ModuleInfo:
    """The parsed module at `path` (cached). Never raises: problems become `ModuleInfo.error`."""
    display = display_path(path, cwd)
    try:
        stat = path.stat()
    except OSError as exc:
        return ModuleInfo(
            path,
            display,
            None,
            Diagnostic(
                DiagnosticKind.PARSE_ERROR,
                f"cannot read Python module: {exc.strerror}",
                Location(display),
                DiagnosticLevel.WARNING,
                "code-analysis",
            ),
        )
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            if hit.display == display:
                return hit
    info = _parse_uncached(path, display, stat.st_size)
    with _lock:
        _cache[key] = info
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return info


def _parse_uncached(path: Path, display: str, size: int) -> ModuleInfo:
    def error(message: str, line: int = 1, column: int = 1) -> ModuleInfo:
        return ModuleInfo(
            path,
            display,
            None,
            Diagnostic(
                DiagnosticKind.PARSE_ERROR,
                message,
                Location(display, max(line, 1), max(column, 1)),
                DiagnosticLevel.WARNING,
                "code-analysis",
            ),
        )

    if size > MAX_MODULE_BYTES:
        return error(
            f"Python module is {size // 1024} KiB, over the {MAX_MODULE_BYTES // 1024} KiB limit; "
            "not analysed (generated code?)"
        )
    try:
        source = read_regular(path, MAX_MODULE_BYTES)
    except OSError as exc:
        return error(f"cannot read Python module: {exc.strerror}")
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return error(f"Python syntax error: {exc.msg}{_py2_hint(source, exc)}", exc.lineno or 1, exc.offset or 1)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, pathological nesting
        return error(f"cannot parse Python module: {type(exc).__name__}: {str(exc)[:200]}")
    info = ModuleInfo(path, display, tree)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            info.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            info.classes[node.name] = node
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    info.functions[f"{node.name}.{item.name}"] = item
        elif isinstance(node, ast.If | ast.Try):
            # `if TYPE_CHECKING:` / `try: import x except ImportError:` blocks defining functions
            for sub in ast.walk(node):
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) and sub.name not in info.functions:
                    info.functions[sub.name] = sub
    return info


def resolve_import(module: str, level: int, importer: Path, search_roots: tuple[Path, ...]) -> Path | None:
    """The local file an import names, or None for a third-party or standard-library module.

    Absolute imports are looked up under the handler's search roots (its directory and the function's code
    directory, as Lambda puts them on sys.path); relative imports under the importer's package. Nothing outside
    the search roots is ever read.
    """
    parts = [p for p in module.split(".") if p] if module else []
    if level:
        base = importer.parent
        for _ in range(level - 1):
            base = base.parent
        bases: tuple[Path, ...] = (base,)
    else:
        bases = search_roots
    if not parts:
        return None
    for base in bases:
        candidate = base.joinpath(*parts)
        for path in (candidate.with_suffix(".py"), candidate / "__init__.py"):
            try:
                if path.is_file() and any(path.resolve().is_relative_to(root.resolve()) for root in search_roots):
                    return path
            except (OSError, ValueError):
                continue
    return None
