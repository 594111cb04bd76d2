"""Shared helpers: run faasguard's handler rules over one corpus file and read its `# expect:` annotations."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from faasguard.analysis.code import analyze_file
from faasguard.config import Config
from faasguard.findings import Finding
from faasguard.model import Application, Function, Location, SourceKind
from faasguard.rules.base import Facts, RuleContext
from faasguard.rules.handler import (
    CodeInjection,
    CommandInjection,
    ExecutesFromTmp,
    HardcodedSecret,
    NoSqlInjection,
    PathTraversal,
    SecretFetchedPerInvocation,
    SensitiveDataLogged,
    ServerSideRequestForgery,
    SqlInjection,
    StateLeaksAcrossInvocations,
    TemplateInjection,
    TlsVerificationDisabled,
    TmpNotCleaned,
    UnsafeDeserialization,
    UnvalidatedEvent,
)

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "code" / "corpus"
RULES = (HardcodedSecret, SensitiveDataLogged, TmpNotCleaned, SecretFetchedPerInvocation, StateLeaksAcrossInvocations,
         CommandInjection, CodeInjection, SqlInjection, NoSqlInjection, UnsafeDeserialization, PathTraversal,
         ServerSideRequestForgery, TemplateInjection, ExecutesFromTmp, TlsVerificationDisabled, UnvalidatedEvent)
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


def findings(path: Path) -> list[Finding]:
    name = handler_name(path)
    facts, _ = analyze_file(path, name)
    assert facts is not None, path
    function_id = f"{path.stem}.{name}"
    app = Application(name=path.name, source=SourceKind.CODE, root=str(path.parent), files=(str(path),),
                      functions=(Function(function_id, Location(str(path))),))
    ctx = RuleContext(app, Config(), Facts(handlers={function_id: facts}))
    return [f for rule in RULES for f in rule().check(ctx)]


def actual(path: Path) -> set[tuple[str, int]]:
    return {(f.rule_id, f.location.line) for f in findings(path)}
