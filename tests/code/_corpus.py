"""Shared helpers: run faasguard's handler rules over one corpus file and read its `# expect:` annotations."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from faasguard.analysis.code import analyze_file
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import Finding
from faasguard.model import Application, Function, Location, SourceKind
from faasguard.rules.base import RuleContext
from faasguard.rules.handler import (
    ClientControlledAuthorization,
    CodeInjection,
    CommandInjection,
    ExecutesFromTmp,
    HardcodedSecret,
    JwtNotVerified,
    NoSqlInjection,
    OpenRedirect,
    PathTraversal,
    ReflectedXss,
    SecretFetchedPerInvocation,
    SecretInResponse,
    SensitiveDataLogged,
    ServerSideRequestForgery,
    SqlInjection,
    StateLeaksAcrossInvocations,
    TemplateInjection,
    TlsVerificationDisabled,
    TmpNotCleaned,
    UnsafeDeserialization,
    UnvalidatedEvent,
    VerboseErrorResponse,
)

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "code" / "corpus"
RULES = (HardcodedSecret, SensitiveDataLogged, TmpNotCleaned, SecretFetchedPerInvocation, StateLeaksAcrossInvocations,
         CommandInjection, CodeInjection, SqlInjection, NoSqlInjection, UnsafeDeserialization, PathTraversal,
         ServerSideRequestForgery, TemplateInjection, ExecutesFromTmp, TlsVerificationDisabled, UnvalidatedEvent,
         SecretInResponse, JwtNotVerified, ClientControlledAuthorization, VerboseErrorResponse, ReflectedXss,
         OpenRedirect)
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def expected(path: Path) -> set[tuple[str, int]]:
    out = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            out |= {(rule.strip(), number) for rule in match.group(1).split(",") if rule.strip()}
    return out


def handler_name(path: Path) -> str:
    from faasguard.loaders.code import is_handler

    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_handler(node):
            return node.name
    raise AssertionError(f"no handler in {path}")


def handler_names(path: Path) -> list[str]:
    """Framework files (Chalice / Flask / FastAPI): every function the framework calls, plus handler-shaped
    functions, as the bare-code loader infers them; plain handler files: the first handler, as always."""
    from faasguard.analysis.code.routes import RouteFinder
    from faasguard.loaders.code import is_handler

    routes = list(RouteFinder().routes(path.resolve(), (path.parent,)))
    tree = ast.parse(path.read_text())
    shaped = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and is_handler(n)]
    if not routes:
        return shaped[:1]  # a file whose decorators are not a framework's has no web handlers at all
    return list(dict.fromkeys([*routes, *shaped]))


def findings(path: Path) -> list[Finding]:
    handlers = {}
    functions = []
    for name in handler_names(path):
        facts, _ = analyze_file(path, name)
        assert facts is not None, (path, name)
        function_id = f"{path.stem}.{name}"
        handlers[function_id] = facts
        functions.append(Function(function_id, Location(str(path))))
    app = Application(name=path.name, source=SourceKind.CODE, root=str(path.parent), files=(str(path),),
                      functions=tuple(functions))
    ctx = RuleContext(app, Config(), Facts(handlers=handlers))
    return [f for rule in RULES for f in rule().check(ctx)]


def actual(path: Path) -> set[tuple[str, int]]:
    return {(f.rule_id, f.location.line) for f in findings(path)}
