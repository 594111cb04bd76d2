"""Shared helpers for the IAM tests: load a fixture through the real loaders, enrich with handler facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from faasguard import pipeline
from faasguard.analysis import iam as iam_engine
from faasguard.analysis.code.facts import ArgValue, AwsCall, HandlerFacts
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import Finding
from faasguard.model import Application, Location
from faasguard.rules.base import RuleContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "iam"


def load(path: Path) -> Application:
    result = pipeline.load_sources([str(path)], Config(), cwd=path if path.is_dir() else path.parent)
    assert result.apps, result.diagnostics
    return result.apps[0]


def call(service: str, method: str, operation: str | None, path: str = "app.py", line: int = 1,
         **arguments: ArgValue) -> AwsCall:
    return AwsCall(service, method, operation, arguments, Location(path, line))


def enrich(app: Application, calls: Mapping[str, Sequence[AwsCall]] | None = None) -> Facts:
    handlers = {fid: HandlerFacts(f"{fid}.py", "handler", aws_calls=tuple(c)) for fid, c in (calls or {}).items()}
    facts = Facts(handlers=handlers)
    return iam_engine.enrich(app, Config(), facts, [])


def run_rules(app: Application, facts: Facts, prefixes: tuple[str, ...] = ("FG1", "FG310")) -> list[Finding]:
    from faasguard.rules import all_rules

    rules = [r for r in all_rules() if r.id.startswith(prefixes)]
    diags: list[object] = []
    findings = pipeline.run_rules(RuleContext(app, Config(), facts), rules, diags)  # type: ignore[arg-type]
    assert not diags, diags
    return findings


def with_handlers(facts: Facts, handlers: Mapping[str, HandlerFacts]) -> Facts:
    return replace(facts, handlers=handlers)
