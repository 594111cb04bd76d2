"""Parsing Python modules once, and resolving a handler's local imports to files on disk.

The standard `ast` is the parser: it is exact for every Python 3 version we run on, fast (the 1,439 handler
files of serverless-patterns parse in under a second), and carries line/column positions. Scanned code is only
parsed, never imported or executed.

Parsed modules are kept in a bounded LRU keyed by (path, mtime, size, the directory paths are shown relative
to), so one scan parses each file once even when several applications (or the bare-code loader and the
enricher) look at it, and a file edited between two scans in one process is parsed again.
"""

from __future__ import annotations

import ast
import itertools
import os
import threading
from collections import OrderedDict
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard._record import record
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.safeio import read_regular
from faasguard.sources import display_path

if TYPE_CHECKING:
    from faasguard.analysis.deps._tree import ZipTree

MAX_MODULE_BYTES = 4 * 1024 * 1024
"""Bigger Python files are generated code, not handlers: skipped with a diagnostic."""

_CACHE_SIZE = 1024


@record(frozen=False, slots=False)
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
_cache: OrderedDict[tuple[str, int, int, int, int, str], ModuleInfo] = OrderedDict()


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


class PackageArchive:
    """A zip package whose modules are read in memory (`faasguard.analysis.archive`).

    Its modules have paths under `root`, the virtual directory `<zip>!`, so a member path (`<zip>!/pkg/app.py`)
    is an ordinary `Path` for the rest of the analysis (parents, joins, search roots) and only reading and
    existence checks come here. Not in the parse cache: the members of one archive are parsed once per scan
    by the one Analyzer reading it."""

    def __init__(self, tree: ZipTree, archive: Path) -> None:
        self.tree = tree
        self.root = Path(f"{archive}!")

    def member(self, path: Path) -> str | None:
        """The path inside the zip of `path`, None when `path` is not under the archive."""
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return None
        return rel.as_posix() if rel.parts else None

    def is_file(self, path: Path) -> bool:
        rel = self.member(path)
        return rel is not None and self.tree.is_file(rel)


def parse_module(path: Path, cwd: Path | None = None, archive: PackageArchive | None = None) -> ModuleInfo:
    """The parsed module at `path` (cached). Never raises: problems become `ModuleInfo.error`."""
    member = archive.member(path) if archive is not None else None
    if archive is not None and member is not None:
        return _parse_member(path, display_path(path, cwd), archive.tree, member)
    try:
        stat = path.stat()
    except OSError as exc:
        display = display_path(path, cwd)
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
    # the display path is a function of the path and the directory it is shown relative to: with that
    # directory in the key, a hit needs neither computed again
    base = str(cwd) if cwd is not None else os.getcwd()
    key = (str(path), stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_size, base)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    info = _parse_uncached(path, _display(key[0], base, path, cwd), stat.st_size)
    with _lock:
        _cache[key] = info
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return info


def _display(text: str, base: str, path: Path, cwd: Path | None) -> str:
    """`display_path(path, cwd)` from the two as strings (`text`, `base`: normalised by `Path`), without
    building and comparing path objects: for absolute POSIX paths, relative when under the directory, else
    the path itself, as `relative_to` decides."""
    if os.sep == "/" and text.startswith("/") and base.startswith("/") and base not in ("/", text):
        return text[len(base) + 1 :] if text.startswith(base) and text[len(base)] == "/" else text
    return display_path(path, cwd)


def _parse_uncached(path: Path, display: str, size: int) -> ModuleInfo:
    if size > MAX_MODULE_BYTES:
        return _error(path, display, f"Python module is {size // 1024} KiB, over the {MAX_MODULE_BYTES // 1024} "
                      "KiB limit; not analysed (generated code?)")
    try:
        source = read_regular(path, MAX_MODULE_BYTES)
    except OSError as exc:
        return _error(path, display, f"cannot read Python module: {exc.strerror}")
    return _parse_source(path, display, source)


def _parse_member(path: Path, display: str, tree: ZipTree, member: str) -> ModuleInfo:
    size = tree.size(member)
    if size is None:
        return _error(path, display, "cannot read Python module: not a member of the archive")
    if size > MAX_MODULE_BYTES:
        return _error(path, display, f"Python module is {size // 1024} KiB, over the {MAX_MODULE_BYTES // 1024} "
                      "KiB limit; not analysed (generated code?)")
    source = tree.read(member, MAX_MODULE_BYTES)
    if source is None:  # encrypted, corrupt, or inflating past its declared size: the tree says which
        reason = tree.diagnostics[-1].message if tree.diagnostics else "unreadable member"
        return _error(path, display, f"cannot read Python module from the archive: {reason}")
    return _parse_source(path, display, source)


def _error(path: Path, display: str, message: str, line: int = 1, column: int = 1) -> ModuleInfo:
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


def parse_source(path: Path, display: str, source: bytes) -> ModuleInfo:
    """The module `source`, read as if it were the file at `path` (inline code of a template is not a file)."""
    return _parse_source(path, display, source)


def _parse_source(path: Path, display: str, source: bytes) -> ModuleInfo:
    def error(message: str, line: int = 1, column: int = 1) -> ModuleInfo:
        return _error(path, display, message, line, column)

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
            for sub in _statements(node):
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) and sub.name not in info.functions:
                    info.functions[sub.name] = sub
    return info


_BODIES = ("body", "handlers", "orelse", "finalbody", "cases")
"""The fields that hold statements (or except handlers and match cases, which hold statements), in the order
`ast` lists them in every node class that has several."""


def _statements(node: ast.AST) -> list[ast.AST]:
    """The statements under `node` (and their except handlers and match cases) in `ast.walk`'s breadth-first
    order. Expressions hold no statement, so skipping them keeps every function definition and their order
    while visiting a fraction of the nodes."""
    queue: list[ast.AST] = [node]
    for current in queue:
        for name in _BODIES:
            children = getattr(current, name, None)
            if children:
                queue.extend(children)
    return queue


Listings = dict[Path, frozenset[str] | None]
"""Names in a directory (case-folded), None when it cannot be listed: `resolve_import`'s negative lookups."""


_MAX_LISTED = 256
"""Bigger directories (a project root of hundreds of services) are not listed: their lookups stat as before,
rather than each application's analysis holding and searching a copy of a large listing."""


def _listed(directory: Path, listings: Listings) -> frozenset[str] | None:
    if directory not in listings:
        names: frozenset[str] | None = None
        try:
            with os.scandir(directory) as entries:
                found = list(itertools.islice((entry.name.casefold() for entry in entries), _MAX_LISTED + 1))
            if len(found) <= _MAX_LISTED:
                names = frozenset(found)
        except (OSError, ValueError):
            pass
        listings[directory] = names
    return listings[directory]


def _absent(base: Path, names: list[str], listings: Listings) -> bool:
    """Whether `base/names[0]/.../names[-1]` is certainly not there: a directory on the way was listed and
    does not hold the next name (compared case-folded, so a case-insensitive file system answers as its
    `stat` would). Unlisted directories are never ruled out: the caller asks the file system."""
    directory = base
    for name in names:
        listed = _listed(directory, listings)
        if listed is None:
            return False
        if name.casefold() not in listed:
            return True
        directory = directory / name
    return False


def resolve_import(
    module: str, level: int, importer: Path, search_roots: tuple[Path, ...], archive: PackageArchive | None = None,
    *, listings: Listings | None = None,
) -> Path | None:
    """The local file an import names, or None for a third-party or standard-library module.

    Absolute imports are looked up under the handler's search roots (its directory and the function's code
    directory, as Lambda puts them on sys.path); relative imports under the importer's package. Nothing outside
    the search roots is ever read. Inside a zip package (`archive`) the members are looked up instead of files.
    `listings` (kept by the caller for one scan) answers most lookups of modules that are not local (`json`,
    `boto3`: two system calls per search root each) from one listing per directory.
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
        for path, names in ((candidate.with_suffix(".py"), [*parts[:-1], parts[-1] + ".py"]),
                            (candidate / "__init__.py", [*parts, "__init__.py"])):
            if archive is not None and archive.member(path) is not None:
                if archive.is_file(path) and any(path.is_relative_to(root) for root in search_roots):
                    return path
                continue
            if listings is not None and _absent(base, names, listings):
                continue
            try:
                if path.is_file() and any(path.resolve().is_relative_to(root.resolve()) for root in search_roots):
                    return path
            except (OSError, ValueError):
                continue
    return None
