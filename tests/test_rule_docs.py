"""Every registered rule documents itself in the catalog format (DESIGN.md "Code style", ruff's rule docs).

The sections *What it does*, *Why is this bad?*, *Example* (vulnerable, with a code block) and *Fix*, in that
order; metadata whose id and name follow RULES.md (`FG` + three digits, kebab-case) and, where the shared
catalog is present, the same id ↔ name pairs as RULES.md itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faasguard.findings import Confidence, Severity
from faasguard.rules import all_rules
from faasguard.rules.base import Rule

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Fix")
RULES_MD = Path(__file__).resolve().parents[2] / "shared" / "RULES.md"
_ROW = re.compile(r"^\|\s*(FG\d{3})\s*\|\s*([a-z0-9-]+)\s*\|", re.MULTILINE)

RULES = all_rules()


def _sections(docs: str) -> dict[str, str]:
    parts = re.split(r"^(## .+)$", docs, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def test_rules_are_registered() -> None:
    assert len(RULES) >= 24
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docs_have_the_catalog_sections(rule: type[Rule]) -> None:
    docs = rule.meta().docs
    sections = _sections(docs)
    for heading in SECTIONS:
        assert heading in sections, f"{rule.id} docs lack {heading!r}"
        assert sections[heading], f"{rule.id}: {heading!r} is empty"
    positions = [docs.index(h) for h in SECTIONS]
    assert positions == sorted(positions), f"{rule.id}: sections out of order"
    assert "```" in sections["## Example"], f"{rule.id}: '## Example' needs a (vulnerable) code block"
    assert docs.split("\n", 1)[0].strip(), f"{rule.id}: docs start with a one-line summary"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_metadata_format(rule: type[Rule]) -> None:
    assert re.fullmatch(r"FG\d{3}", rule.id)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule.name)
    assert isinstance(rule.severity, Severity)
    assert isinstance(rule.confidence, Confidence)
    assert rule.summary.strip()
    if rule.owasp is not None:
        assert re.fullmatch(r"SAS-(?:[1-9]|10)", rule.owasp), rule.owasp
    if rule.checklist is not None:
        assert re.fullmatch(r"C[1-6]", rule.checklist), rule.checklist
    if rule.cwe is not None:
        assert re.fullmatch(r"CWE-\d+", rule.cwe), rule.cwe


def test_ids_and_names_match_the_catalog() -> None:
    if not RULES_MD.is_file():
        pytest.skip("the shared RULES.md is not present")
    catalog = dict(_ROW.findall(RULES_MD.read_text(encoding="utf-8")))
    # Rules added after the catalog was written (next free number in a family) are fine; a catalog id must
    # keep its catalog name, and a new id must not take a name the catalog gives to another id.
    mismatched = {r.id: (r.name, catalog[r.id]) for r in RULES if r.id in catalog and catalog[r.id] != r.name}
    assert not mismatched, f"rule id/name differs from RULES.md (ours, catalog's): {mismatched}"
    names = {name: rule_id for rule_id, name in catalog.items()}
    stolen = {r.id: r.name for r in RULES if r.id not in catalog and r.name in names}
    assert not stolen, f"new rule ids reuse catalog names: {stolen}"
