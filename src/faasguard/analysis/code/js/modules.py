"""Parsing JavaScript/TypeScript modules once, and resolving relative imports to files on disk.

tree-sitter is error-tolerant: a file with a syntax error still yields a tree (with ERROR nodes), so a handler
with one bad line keeps the analysis of the rest. Only a file that cannot be read, or whose tree is mostly
errors, is a parse-error diagnostic. Parsed modules are cached per (path, mtime, size) like the Python ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import field
from functools import cache
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.safeio import read_regular
from faasguard.sources import display_path

JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
MAX_MODULE_BYTES = 2 * 1024 * 1024
"""Bigger files are bundles or generated code: skipped with a diagnostic."""
_CACHE_SIZE = 1024


@cache
def _parser(flavour: str) -> Any:
    """One parser per grammar, built on first use (importing the grammars costs a few milliseconds)."""
    from tree_sitter import Language, Parser

    if flavour == "js":
        import tree_sitter_javascript

        return Parser(Language(tree_sitter_javascript.language()))
    import tree_sitter_typescript

    tsx = flavour == "tsx"
    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Parser(Language(grammar))


def flavour_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".tsx":
        return "tsx"
    return "ts" if suffix in (".ts", ".mts", ".cts") else "js"


@record(frozen=False, slots=False)
class JsModule:
    """One parsed module. `root` is None when it could not be read (`error` says why, located)."""

    path: Path
    display: str
    source: bytes
    root: Any
    error: Diagnostic | None = None
    functions: dict[str, Any] = field(default_factory=dict)
    """Top-level named functions (declarations and `const f = (...) =>`), by name."""

    def text(self, node: Any) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")


_lock = threading.Lock()
_cache: OrderedDict[tuple[str, int, int, int, int], JsModule] = OrderedDict()


def parse_module(path: Path, cwd: Path | None = None) -> JsModule:
    """The parsed module at `path` (cached). Never raises: problems become `JsModule.error`."""
    display = display_path(path, cwd)
    try:
        stat = path.stat()
    except OSError as exc:
        return _error(path, display, f"cannot read JavaScript module: {exc.strerror}")
    key = (str(path), stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_size)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit.display == display:
            _cache.move_to_end(key)
            return hit
    info = _parse_uncached(path, display, stat.st_size)
    with _lock:
        _cache[key] = info
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return info


def _error(path: Path, display: str, message: str, line: int = 1) -> JsModule:
    diagnostic = Diagnostic(DiagnosticKind.PARSE_ERROR, message, Location(display, line), DiagnosticLevel.WARNING,
                            "code-analysis")
    return JsModule(path, display, b"", None, diagnostic)


def _parse_uncached(path: Path, display: str, size: int) -> JsModule:
    if size > MAX_MODULE_BYTES:
        return _error(path, display, f"JavaScript module is {size // 1024} KiB, over the "
                      f"{MAX_MODULE_BYTES // 1024} KiB limit; not analysed (a bundle or generated code?)")
    try:
        source = read_regular(path, MAX_MODULE_BYTES)
    except OSError as exc:
        return _error(path, display, f"cannot read JavaScript module: {exc.strerror}")
    return parse_source(path, display, source)


def parse_source(path: Path, display: str, source: bytes) -> JsModule:
    """The module `source`, read as if it were the file at `path` (inline code of a template is not a file)."""
    tree = _parser(flavour_of(path)).parse(source)
    root = tree.root_node
    info = JsModule(path, display, source, root)
    if root.has_error:
        first = _first_error(root)
        line = first.start_point[0] + 1 if first is not None else 1
        info.error = Diagnostic(DiagnosticKind.PARSE_ERROR, "JavaScript/TypeScript syntax error; the rest of the "
                                "module is analysed", Location(display, line), DiagnosticLevel.NOTE, "code-analysis")
    for stmt in root.named_children:
        decl = stmt.child_by_field_name("declaration") if stmt.type == "export_statement" else stmt
        if decl is None:
            continue
        if decl.type in ("function_declaration", "generator_function_declaration"):
            name = decl.child_by_field_name("name")
            if name is not None:
                info.functions[info.text(name)] = decl
        elif decl.type in ("lexical_declaration", "variable_declaration"):
            for declarator in decl.named_children:
                name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if name is not None and value is not None and name.type == "identifier" and value.type in (
                        "arrow_function", "function_expression", "function"):
                    info.functions[info.text(name)] = value
    return info


def _first_error(root: Any) -> Any:
    todo = [root]
    while todo:
        node = todo.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        if node.has_error:
            todo.extend(reversed(node.children))
    return None


def resolve_relative(spec: str, importer: Path, roots: tuple[Path, ...]) -> Path | None:
    """The local file a `require('./x')` / `import ... from '../x'` names, the way Node (and a TypeScript
    bundler) looks it up: the exact file, the file plus a known extension, a `.js` import of a `.ts` source, or
    the directory's index. Packages (bare names) are not followed, and nothing outside `roots` is read."""
    if not spec.startswith(("./", "../")) or spec in (".", ".."):
        return None
    base = (importer.parent / spec)
    candidates = [base]
    stem = base.with_suffix("") if base.suffix in (".js", ".mjs", ".cjs", ".jsx") else None
    candidates.extend(Path(f"{base}{suffix}") for suffix in JS_SUFFIXES)
    if stem is not None:
        candidates.extend(Path(f"{stem}{suffix}") for suffix in (".ts", ".tsx", ".mts", ".cts"))
    candidates.extend(base / f"index{suffix}" for suffix in JS_SUFFIXES)
    for candidate in candidates:
        try:
            if candidate.suffix in JS_SUFFIXES and candidate.is_file() and not candidate.is_symlink():
                resolved = candidate.resolve()
                if any(resolved.is_relative_to(root) for root in roots):
                    return resolved
        except (OSError, ValueError):
            continue
    return None
