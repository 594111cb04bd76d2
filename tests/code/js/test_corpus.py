"""The JavaScript/TypeScript corpus: every handler's findings are exactly its `// expect:` lines (file, rule, line),
over the handler and every local module it loads, no more, no fewer. Files named `ok_*` (and those with an
`// ok:` line) are negatives: no finding at all.

FG511 (unvalidated event, informational) is asserted by its own tests below, not per snippet, so that each
snippet's expectations are about the flaw it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.code._corpus import RULES

from faasguard.analysis.code import analyze_file
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import Finding
from faasguard.model import Application, Function, Location, SourceKind
from faasguard.rules.base import RuleContext
from faasguard.rules.handler import UnvalidatedEvent

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "code" / "js"
CORPUS = ROOT / "corpus"
HANDLERS = sorted([p for p in CORPUS.iterdir() if p.is_file()] + [ROOT / "yaml3" / "handler.js",
                                                                   ROOT / "yaml4" / "handler.js"])
_EXPECT = re.compile(r"//\s*expect:\s*([A-Z0-9, ]+)")
_RULES = tuple(r for r in RULES if r is not UnvalidatedEvent)


def expected_in(path: Path) -> set[tuple[str, str, int]]:
    out = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            out |= {(path.name, rule.strip(), number) for rule in match.group(1).split(",") if rule.strip()}
    return out


def run(path: Path, rules: tuple[type, ...] = _RULES) -> tuple[list[Finding], list[Path]]:
    facts, diagnostics = analyze_file(path, "handler", (path.parent,))
    assert facts is not None, diagnostics
    assert not [d for d in diagnostics if d.kind.value != "parse-error"], diagnostics
    function_id = f"{path.stem}.handler"
    app = Application(name=path.name, source=SourceKind.CODE, root=str(path.parent), files=(str(path),),
                      functions=(Function(function_id, Location(str(path))),))
    ctx = RuleContext(app, Config(), Facts(handlers={function_id: facts}))
    modules = [Path(m) if Path(m).is_absolute() else Path.cwd() / m for m in facts.modules]
    return [f for rule in rules for f in rule().check(ctx)], modules


def test_corpus_size() -> None:
    negative = [p for p in HANDLERS if "// ok:" in p.read_text()]
    positive = [p for p in HANDLERS if p not in negative]
    assert len(positive) >= 100
    assert len(negative) >= 60
    assert all(not expected_in(p) for p in negative)
    assert all(p.name.startswith("fg") or p.parent != CORPUS for p in positive)


@pytest.mark.parametrize("path", HANDLERS, ids=[f"{p.parent.name}/{p.name}" for p in HANDLERS])
def test_corpus_file(path: Path) -> None:
    findings, modules = run(path)
    expected: set[tuple[str, str, int]] = set()
    for module in modules:
        expected |= expected_in(module.resolve())
    actual = {(Path(f.location.path).name, f.rule_id, f.location.line) for f in findings}
    assert actual == expected


def test_flow_evidence_crosses_the_local_module() -> None:
    findings, _ = run(CORPUS / "fg501_local_helper_module.js")
    (finding,) = findings
    assert finding.rule_id == "FG501"
    assert finding.resource == "fg501_local_helper_module.handler"
    assert Path(finding.location.path).name == "convert.js"
    assert finding.location.line == 7
    assert finding.evidence[0].location.line == 6  # the job's field read in the handler's Records loop
    assert any("passed to runConvert" in step.description for step in finding.evidence)


def test_unvalidated_event_reported_at_first_use() -> None:
    findings, _ = run(CORPUS / "fg501_exec_apigw_json.js", (UnvalidatedEvent,))
    assert [(f.rule_id, f.location.line) for f in findings] == [("FG511", 4)]


def test_checked_event_is_validated() -> None:
    findings, _ = run(CORPUS / "ok_allowlist_query_destructured.mjs", (UnvalidatedEvent,))
    assert findings == []


def test_schema_validation_counts(tmp_path: Path) -> None:
    handler = tmp_path / "index.mjs"
    handler.write_text(
        "import { z } from 'zod';\n"
        "const Order = z.object({ id: z.string() });\n"
        "export const handler = async (event) => {\n"
        "  const order = Order.parse(JSON.parse(event.body));\n"
        "  return { statusCode: 200, body: order.id };\n"
        "};\n"
    )
    findings, _ = run(handler, (UnvalidatedEvent,))
    assert findings == []


def test_check_that_skips_a_record_is_validation(tmp_path: Path) -> None:
    """A `Records` loop that skips a bad message with `continue` checks the event as much as an early return;
    a test through `typeof` or a regex on a converted value counts too."""
    handler = tmp_path / "index.mjs"
    body = (
        "const SECONDS = /^\\d+$/;\n"
        "export const handler = async (event) => {\n"
        "  for (const record of event.Records) {\n"
        "    const { key, seconds } = JSON.parse(record.body);\n"
        "    if (typeof key !== 'string' || !SECONDS.test(String(seconds))) {\n"
        "      continue;\n"
        "    }\n"
        "    console.info(key, seconds);\n"
        "  }\n"
        "};\n"
    )
    handler.write_text(body)
    assert run(handler, (UnvalidatedEvent,))[0] == []
    handler.write_text(body.replace("      continue;\n", "      console.warn('bad message');\n"))
    assert [(f.rule_id, f.location.line) for f in run(handler, (UnvalidatedEvent,))[0]] == [("FG511", 3)]
