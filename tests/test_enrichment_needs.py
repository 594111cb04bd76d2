"""`--select`/`--ignore` skip the analyses no selected rule needs, and never change a selected rule's findings.

`faasguard.rules.ENRICHMENT_NEEDS` says which enrichers each rule reads; a wrong entry would make a rule pass
silently under `--select`. Two checks keep it honest: each rule module's code may read only the facts its
entries name, and on real apps every group of rules finds exactly what it finds in a full scan.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from faasguard import pipeline
from faasguard.config import Config
from faasguard.rules import ENRICHMENT_NEEDS, RULE_MODULES, all_rules, enrichment_needs

ROOT = Path(__file__).resolve().parents[1]
FACT_OF_ENRICHER = {"handlers": "code-analysis", "iam": "iam", "deps": "dependencies", "images": "images",
                    "paths": "attack-paths"}
APPS = [ROOT / "examples" / "vulnerable-app", ROOT / "tests" / "fixtures" / "paths" / "sam",
        ROOT / "tests" / "fixtures" / "paths" / "serverless", ROOT / "tests" / "fixtures" / "paths" / "terraform",
        ROOT / "tests" / "fixtures" / "rules"]


@pytest.mark.parametrize("module", [m for m in RULE_MODULES if ENRICHMENT_NEEDS.get(m) is not None])
def test_a_rule_module_reads_only_the_facts_its_entries_name(module: str) -> None:
    source = inspect.getsource(importlib.import_module(module))
    read = {FACT_OF_ENRICHER[name] for name in re.findall(r"\bfacts\.(handlers|iam|deps|images|paths)\b", source)}
    declared: set[str] = set()
    for rule in all_rules():
        if rule.__module__ == module:
            needs = enrichment_needs(rule)
            assert needs is not None
            declared |= needs
    assert read <= declared, f"{module} reads facts of {sorted(read - declared)} without saying so"


def test_enricher_names_are_the_pipelines() -> None:
    names = {name for name, _ in pipeline.ENRICHERS}
    for needs in ENRICHMENT_NEEDS.values():
        assert needs is None or needs <= names


@pytest.mark.parametrize(("select", "expected"), [
    (("FG30",), ("code-analysis",)),                # FG306 asks whether an HTTP API's handler validates
    (("FG301",), ()),
    (("FG3",), ("code-analysis", "iam")),
    (("FG101",), ()),
    (("FG104",), ("code-analysis",)),
    (("FG105", "FG112"), ("iam",)),
    (("FG107",), ("code-analysis", "iam")),
    (("FG5", "FG601"), ("code-analysis", "images", "dependencies")),
    (("FG901",), tuple(name for name, _ in pipeline.ENRICHERS)),
])
def test_selection_decides_the_enrichers(select: tuple[str, ...], expected: tuple[str, ...]) -> None:
    rules = pipeline.selected_rules(Config(select=select))
    assert tuple(name for name, _ in pipeline.needed_enrichers(rules)) == expected


def test_every_enricher_runs_when_any_selected_rule_does_not_say(monkeypatch: pytest.MonkeyPatch) -> None:
    from faasguard import rules

    monkeypatch.setitem(rules.ENRICHMENT_NEEDS, "faasguard.rules.exposure", None)
    assert pipeline.needed_enrichers(pipeline.selected_rules(Config(select=("FG301",)))) == pipeline.ENRICHERS


def _findings(paths: list[Path], config: Config, cwd: Path) -> list[str]:
    result = pipeline.scan([str(p) for p in paths], config, cwd=cwd)
    return sorted(json.dumps([f.rule_id, f.location.path, f.location.line, f.location.column, f.resource,
                              str(f.function), f.message, f.severity.value, f.confidence.value,
                              [(e.description, e.location.line) for e in f.evidence], f.fingerprint])
                  for f in result.findings)


def test_each_group_of_rules_finds_under_select_what_it_finds_in_a_full_scan() -> None:
    groups: dict[frozenset[str] | None, list[str]] = defaultdict(list)
    for rule in all_rules():
        groups[enrichment_needs(rule)].append(rule.id)
    full = _findings(APPS, Config(), ROOT)
    assert len(full) > 100
    for needs, ids in groups.items():
        expected = [f for f in full if json.loads(f)[0] in ids]
        selected = _findings(APPS, Config(select=tuple(ids)), ROOT)
        assert selected == expected, f"rules {ids} (needs {needs})"
        if needs == frozenset():
            assert expected, "the apps exercise the rules that need no enrichment"
