"""Bare handler code: Python and JavaScript/TypeScript files under a scanned path that no template's function
points at (all of them where the path holds no infrastructure-as-code; beside templates, only files that look
handler-shaped).

With no template to name the handlers, a handler is inferred from its signature: a module-level function whose
second parameter is `context`/`_context`/`ctx`, or one named `handler` / `lambda_handler`. Functions that a
serverless web framework calls are handlers too: AWS Chalice decorators (`@app.route`, `@app.on_s3_event`,
`@app.on_sqs_message`... on a `Chalice` app or `Blueprint`), and the routes of Flask / Quart / FastAPI apps,
which run on Lambda behind an adapter (Zappa, serverless-wsgi, Mangum, aws-wsgi). A decorator counts only when
the code analysis resolves its owner to an object built by the framework's imported constructor, never from
names alone (see `analysis/code/routes.py`). Google Cloud Functions entry points are handlers too: functions
decorated with the Functions Framework's `@functions_framework.http` / `@functions_framework.cloud_event`, and
`def main(request)` in a `main.py`.

A JavaScript/TypeScript module's handlers are its exports named like handlers (`handler`, `*Handler`, `main`) or
assigned a function whose first parameter is `event`: `exports.x = ...`, `module.exports.x`, `module.exports =
{ x }`, `export const x`, `export async function x`, `export { x }`. They are found in the text (the export forms
are few and fixed) so that loading needs no parse; the JavaScript front end parses each file once, when it
analyses the handler.

Each scanned root becomes one `Application(source=CODE)` with a `Function` per inferred handler, and a NOTE
diagnostic says how the handlers were inferred, so a reader of the report knows no deployment configuration
was seen. A Chalice project (`.chalice/config.json`) or a Zappa project (`zappa_settings.*`) is the code
directory of its functions, so `chalicelib/` and other local packages resolve as they do when deployed. Files
are parsed through the code analysis' module cache, so the enricher does not parse them again.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._budget import ParseError, read_text
from faasguard.model import Application, CodeLocation, Function, Location, SourceKind
from faasguard.sources import SourceType

HANDLER_NAMES = frozenset({"handler", "lambda_handler"})
CONTEXT_NAMES = frozenset({"context", "_context", "ctx", "lambda_context"})
PROJECT_MARKERS = (
    (".chalice/config.json", "Chalice"),
    ("zappa_settings.json", "Zappa"),
    ("zappa_settings.yml", "Zappa"),
    ("zappa_settings.yaml", "Zappa"),
    ("zappa_settings.toml", "Zappa"),
)
"""Files that mark the deployment unit of a framework app (its code directory)."""


def is_handler(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    params = [*node.args.posonlyargs, *node.args.args]
    return node.name in HANDLER_NAMES or (len(params) >= 2 and (params[1].arg in CONTEXT_NAMES
                                                                 or _is_lambda_context(params[1].annotation)))


def _is_lambda_context(annotation: ast.expr | None) -> bool:
    """`context: LambdaContext` (Powertools' type, also written as a string or `typing.LambdaContext`): a
    parameter only the Lambda runtime fills, whatever the team named it."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.rsplit(".", 1)[-1] == "LambdaContext"
    if isinstance(annotation, ast.Attribute):
        return annotation.attr == "LambdaContext"
    return isinstance(annotation, ast.Name) and annotation.id == "LambdaContext"


def is_cloud_function_main(path: Path, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`def main(request)` in `main.py`: the Google Cloud Functions Python layout (the runtime loads `main.py`
    and the samples name the HTTP entry point `main`), recognised only in that file so a `main()` elsewhere
    never becomes a handler."""
    params = [*node.args.posonlyargs, *node.args.args]
    return path.name == "main.py" and node.name == "main" and len(params) == 1 and params[0].arg == "request"


def _project(path: Path, base: Path) -> tuple[Path, str] | None:
    """The framework project directory holding `path` (the nearest ancestor, not above `base`)."""
    for directory in path.parents:
        for marker, name in PROJECT_MARKERS:
            if (directory / marker).is_file():
                return directory, name
        if directory == base or not directory.is_relative_to(base):
            return None
    return None


def _module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1] or [path.parent.name]
    return ".".join(parts)


_JS_EXPORT = re.compile(
    r"^[ \t]*(?:(?:exports|module\.exports)\.(?P<assigned>\w+)\s*=\s*(?P<value>[^\n]*)"
    r"|export\s+(?:default\s+)?(?:const|let|var)\s+(?P<const>\w+)"
    r"|export\s+(?:default\s+)?(?:async\s+)?function\s*\*?\s*(?P<function>\w+)"
    r"|(?:module\.exports\s*=|export)\s*\{(?P<names>[^}]*)\})", re.MULTILINE)
_JS_HANDLER_NAME = re.compile(r"^(?:\w*[hH]andler|main)$")
_JS_EVENT_FUNCTION = re.compile(r"^(?:async\s*)?(?:function\s*\w*\s*)?\(\s*(?:event|evt)\b")
_JS_LAMBDA_PARAMS = re.compile(
    r"\(\s*(?:event|evt)\s*(?:(?::[^,()]*)?,\s*_?(?:context|ctx|lambdaContext)\b"
    r"|:\s*(?:APIGateway|ALB|S3|SQS|SNS|DynamoDBStream|EventBridge|Scheduled|Kinesis|Cognito|CloudFront)\w*Event)")
"""`(event, context)`, or an event typed with one of the `aws-lambda` event types: a Lambda entry point whatever
the export is called (a DOM or React event handler takes neither)."""
_JS_LAMBDA_MODULE = re.compile(r"\bstatusCode\b|\bevent\.(?:Records|queryStringParameters|pathParameters|body)\b"
                               r"|['\"]aws-lambda['\"]|['\"]@aws-sdk/|['\"]aws-sdk['\"]")
"""Marks of server-side Lambda code: with one of them, an exported `async (event) => ...` is an entry point."""


def _js_entry_point(text: str, name: str) -> bool:
    """Whether the module defines `name` as a function taking the Lambda event (see `_JS_LAMBDA_PARAMS`; a bare
    `(event)` counts in a module that also shows a Lambda mark)."""
    found = re.search(rf"(?:\b(?:const|let|var)\s+{re.escape(name)}\s*(?::[^=\n]*)?=\s*|\bfunction\s*\*?\s*"
                      rf"{re.escape(name)}\s*(?=\())", text)
    if found is None:
        return False
    value = text[found.end():found.end() + 300]
    if not _JS_EVENT_FUNCTION.match(value if value.startswith(("(", "async", "function")) else f"({value}"):
        return False
    return bool(_JS_LAMBDA_PARAMS.search(value.split(")", 1)[0] + ")") or _JS_LAMBDA_MODULE.search(text))


def js_handlers(text: str) -> dict[str, int]:
    """Exported handler-shaped names of a JavaScript/TypeScript module → the line that exports them."""
    found: dict[str, int] = {}
    for match in _JS_EXPORT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        names: list[str] = []
        if match.group("assigned"):
            name = match.group("assigned")
            if _JS_HANDLER_NAME.match(name) or _JS_EVENT_FUNCTION.match(match.group("value") or ""):
                names.append(name)
        elif match.group("const") or match.group("function"):
            names.append(match.group("const") or match.group("function"))
        else:
            for raw in (match.group("names") or "").split(","):
                part = raw.strip()
                alias = part.split(" as ")[-1] if " as " in part else part.split(":")[0]
                names.append(alias.strip())
        for name in names:
            if (name and _JS_HANDLER_NAME.match(name)) or (match.group("assigned") == name and name) \
                    or (name and not match.group("assigned") and _js_entry_point(text, name)):
                found.setdefault(name, line)
    return found


def _js_functions(source: SourceFile, text: str, base: Path) -> list[Function]:
    module = _module_name(source.path, base)
    functions = []
    for name, line in js_handlers(text).items():
        handler = f"{module}.{name}"
        location = Location(source.display, line, 1, logical_id=handler)
        functions.append(Function(
            id=handler, location=location, field_locations={"handler": location}, name=handler, runtime=None,
            handler=handler, code=CodeLocation(code_dir=str(base), handler_file=str(source.path),
                                               handler_function=name, handler=handler)))
    return functions


def _function(source: SourceFile, node: ast.FunctionDef | ast.AsyncFunctionDef, handler: str, code_dir: Path) -> (
    Function
):
    location = Location(source.display, node.lineno, node.col_offset + 1, logical_id=handler)
    return Function(
        id=handler,
        location=location,
        field_locations={"handler": location},
        name=handler,
        runtime=None,
        handler=handler,
        code=CodeLocation(
            code_dir=str(code_dir), handler_file=str(source.path), handler_function=node.name, handler=handler
        ),
    )


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    from faasguard.analysis.code.routes import FRAMEWORK_NAMES, RouteFinder, has_route_decorators, parse_module

    result = LoadResult()
    by_root: dict[Path, list[SourceFile]] = defaultdict(list)
    for source in files:
        by_root[source.root].append(source)
    for root, sources in by_root.items():
        base = root if root.is_dir() else root.parent
        functions: list[Function] = []
        inferred: dict[str, int] = defaultdict(int)
        projects: dict[str, None] = {}
        finder = RouteFinder(ctx.cwd)
        for source in sorted(sources, key=lambda s: s.display):
            if source.type is SourceType.JAVASCRIPT:
                try:
                    text = read_text(source.path, source.display, ctx.config.max_file_bytes)
                except ParseError as exc:
                    result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                         DiagnosticLevel.WARNING, "code loader"))
                    continue
                js = _js_functions(source, text, base)
                inferred["JavaScript/TypeScript exports"] += len(js)
                functions += js
                result.handled.add(source.path)
                continue
            info = parse_module(source.path, ctx.cwd)
            if info.tree is None:
                if info.error is not None:
                    result.diagnostics.append(info.error)
                continue
            project = _project(source.path, base)
            code_dir = project[0] if project else base
            if project:
                projects[f"{project[1]} project {ctx.display(project[0])}"] = None
            found: dict[str, str] = {}
            for node in info.tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_handler(node):
                    found[node.name] = "function signatures ((event, context) or named handler/lambda_handler)"
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_cloud_function_main(
                        source.path, node):
                    found[node.name] = "Cloud Functions `main(request)` in main.py"
            if has_route_decorators(info.tree):
                roots = tuple(dict.fromkeys((source.path.parent, code_dir)))
                for name, framework in finder.routes(source.path, roots).items():
                    found.setdefault(name, f"{FRAMEWORK_NAMES[framework]} decorators")
            module = _module_name(source.path, base)
            for name, how in found.items():
                inferred[how] += 1
                functions.append(_function(source, info.functions[name], f"{module}.{name}", code_dir))
            result.handled.add(source.path)
        display = ctx.display(root)
        if not functions:
            result.diagnostics.append(
                Diagnostic(
                    DiagnosticKind.INFO,
                    f"no handler-shaped function in the code files no template points at under {display}; "
                    "nothing to analyse",
                    Location(display),
                    DiagnosticLevel.NOTE,
                    "code loader",
                )
            )
            continue
        how = ", ".join(f"{count} from {what}" for what, count in inferred.items())
        where = f" ({', '.join(projects)})" if projects else ""
        result.diagnostics.append(
            Diagnostic(
                DiagnosticKind.INFO,
                f"{len(functions)} handler(s) inferred ({how}) in {len(sources)} code file(s) under {display} "
                f"that no template points at{where}; their deployment configuration was not seen",
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
