"""Helpers shared by the tests that scan a fixture directory for a few rules and point at a line by its text."""

from __future__ import annotations

from pathlib import Path

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.pipeline import scan


def run(directory: Path, *rules: str) -> list[Finding]:
    """The findings of `rules` on `directory` (every severity), after checking that no component crashed."""
    result = scan([str(directory)], Config(select=rules, severity=Severity.INFO), cwd=directory)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if f.rule_id in rules]


def line_of(path: Path, text: str) -> int:
    """The line of `path` holding `text`, which must be on exactly one line (fixtures are edited without
    renumbering the tests)."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]
