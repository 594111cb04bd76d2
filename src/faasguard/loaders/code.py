"""Bare handler code: Python files under a scanned path that holds no infrastructure-as-code.

With no template to name the handlers, a handler is inferred from its signature: a module-level function whose
second parameter is `context`/`_context`/`ctx`, or one named `handler` / `lambda_handler`. Each scanned root
becomes one `Application(source=CODE)` with a `Function` per inferred handler, and a NOTE diagnostic says the
handlers were inferred, so a reader of the report knows no deployment configuration was seen. Files are parsed
through the code analysis' module cache, so the enricher does not parse them again.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.model import Application, CodeLocation, Function, Location, SourceKind

HANDLER_NAMES = frozenset({"handler", "lambda_handler"})
CONTEXT_NAMES = frozenset({"context", "_context", "ctx"})


def is_handler(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    params = [*node.args.posonlyargs, *node.args.args]
    return node.name in HANDLER_NAMES or (len(params) >= 2 and params[1].arg in CONTEXT_NAMES)


def _module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1] or [path.parent.name]
    return ".".join(parts)


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    from faasguard.analysis.code._modules import parse_module

    result = LoadResult()
    by_root: dict[Path, list[SourceFile]] = defaultdict(list)
    for source in files:
        by_root[source.root].append(source)
    for root, sources in by_root.items():
        base = root if root.is_dir() else root.parent
        functions: list[Function] = []
        for source in sorted(sources, key=lambda s: s.display):
            info = parse_module(source.path, ctx.cwd)
            if info.tree is None:
                if info.error is not None:
                    result.diagnostics.append(info.error)
                continue
            module = _module_name(source.path, base)
            for node in info.tree.body:
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not is_handler(node):
                    continue
                handler = f"{module}.{node.name}"
                location = Location(source.display, node.lineno, node.col_offset + 1, logical_id=handler)
                functions.append(
                    Function(
                        id=handler,
                        location=location,
                        field_locations={"handler": location},
                        name=handler,
                        runtime=None,
                        handler=handler,
                        code=CodeLocation(
                            code_dir=str(base),
                            handler_file=str(source.path),
                            handler_function=node.name,
                            handler=handler,
                        ),
                    )
                )
            result.handled.add(source.path)
        display = ctx.display(root)
        if not functions:
            result.diagnostics.append(
                Diagnostic(
                    DiagnosticKind.INFO,
                    f"no infrastructure-as-code and no handler-shaped function under {display}; nothing to analyse",
                    Location(display),
                    DiagnosticLevel.NOTE,
                    "code loader",
                )
            )
            continue
        result.diagnostics.append(
            Diagnostic(
                DiagnosticKind.INFO,
                f"no infrastructure-as-code under {display}: {len(functions)} handler(s) inferred from function "
                f"signatures ((event, context) or named handler/lambda_handler) in {len(sources)} Python file(s)",
                Location(display),
                DiagnosticLevel.NOTE,
                "code loader",
            )
        )
        result.apps.append(
            Application(
                name=display,
                source=SourceKind.CODE,
                root=str(base),
                files=tuple(s.display for s in sources),
                functions=tuple(functions),
            )
        )
    return result
