"""Every rule's documented example really yields the rule (issue 15: "a rule whose documented behaviour cannot
happen is worse than no rule").

For EVERY rule in the registry there is a fixture directory `tests/fixtures/docs_examples/<RULE_ID>/`: a minimal
complete app that contains each code block of the rule's `## Example` section verbatim (every line, in order,
under one common indentation, so a resource fragment can sit under `Resources:`). Scanning that directory
through the CLI (`faasguard scan DIR --format json`) must report the rule. The registry is iterated, so a rule
added on another branch is covered as soon as it merges: without its fixture directory this test fails.

The drift rules come from `faasguard audit --compare`, which reads a live account; their examples are console
commands against one. Their fixture directories hold the example (and a template) too, and they are listed
below with the test that produces each of them through that command against a moto server over HTTP
(tests/audit/test_docs_drift.py runs the docs' own changes); this file checks that the proving test is there.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main
from faasguard.rules import all_rules
from faasguard.rules.base import Rule

FIXTURES = Path(__file__).parent / "fixtures" / "docs_examples"
RULES = all_rules()

PRODUCED_ELSEWHERE: dict[str, tuple[str, str, str]] = {
    **dict.fromkeys(("FG113", "FG211", "FG315"), (
        "tests/audit/test_docs_drift.py", "test_drift_docs_example",
        "the docs example's live change, made in moto, then `faasguard audit --compare` of its fixture")),
    "FG606": ("tests/audit/test_drift.py", "test_hand_changes_are_drift",
              "moto refuses the example's layer of another account; a layer of the audited account is attached "
              "instead and `faasguard audit --compare` reports it"),
}
"""Rule → (test file, test, how) that yields it through the command producing it. Why not a scan: drift compares
a live account with the source, and the docs' examples are `aws` commands run against that account."""

_BLOCK = re.compile(r"```[\w-]*\n(.*?)```", re.DOTALL)


def example_blocks(rule: type[Rule]) -> list[str]:
    docs = rule.meta().docs
    section = docs.split("## Example", 1)[1].split("## Fix", 1)[0]
    return [textwrap.dedent(block).strip("\n") for block in _BLOCK.findall(section)]


def contains_verbatim(text: str, block: str) -> bool:
    """Every line of `block`, in order and consecutive, each under the same indentation prefix."""
    lines = text.splitlines()
    wanted = block.splitlines()
    first = wanted[0]
    for index, line in enumerate(lines):
        if not line.endswith(first) or line[: len(line) - len(first)].strip():
            continue
        prefix = line[: len(line) - len(first)]
        window = lines[index:index + len(wanted)]
        if len(window) == len(wanted) and all(
                (have == prefix + want) or (not want.strip() and not have.strip())
                for have, want in zip(window, wanted, strict=True)):
            return True
    return False


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_every_rule_has_a_fixture() -> None:
    ids = {rule.id for rule in RULES}
    missing = sorted(i for i in ids if not (FIXTURES / i).is_dir())
    assert not missing, f"rules without tests/fixtures/docs_examples/<ID>/: {missing}"
    stale = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ids)
    assert not stale, f"fixture directories for rules not in the registry: {stale}"


@pytest.mark.parametrize("rule_id", sorted(PRODUCED_ELSEWHERE))
def test_rules_produced_elsewhere_have_their_proving_test(rule_id: str) -> None:
    test_file, test_name, _ = PRODUCED_ELSEWHERE[rule_id]
    source = (Path(__file__).parent.parent / test_file).read_text(encoding="utf-8")
    body = source.split(f"def {test_name}(", 1)
    assert len(body) == 2, f"{test_file} has no {test_name}"
    proving = body[1].split("\ndef ", 1)[0] if test_name != "test_drift_docs_example" else source
    assert f'("{rule_id}", ' in proving or f'"{rule_id}": ' in proving, \
        f"{test_file}::{test_name} does not produce {rule_id}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docs_example_is_in_its_fixture(rule: type[Rule]) -> None:
    directory = FIXTURES / rule.id
    assert directory.is_dir(), f"add tests/fixtures/docs_examples/{rule.id}/ holding the docs example"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in _files(directory)]
    for block in example_blocks(rule):
        assert any(contains_verbatim(text, block) for text in texts), \
            f"{rule.id}: no file of {directory} holds this docs example verbatim:\n{block}"


SCANNED = [rule for rule in RULES if rule.id not in PRODUCED_ELSEWHERE]


@pytest.mark.parametrize("rule", SCANNED, ids=lambda r: r.id)
def test_docs_example_yields_the_rule(rule: type[Rule], tmp_path: Path) -> None:
    directory = FIXTURES / rule.id
    assert directory.is_dir(), f"add tests/fixtures/docs_examples/{rule.id}/ holding the docs example"
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(directory), "--format", "json", "-o", str(out),
                                       "--severity", "info", "--fail-on", "critical"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    crashes = [d for d in report["diagnostics"] if d["kind"] == "internal-error"]
    assert not crashes, crashes
    found = {f["rule_id"] for f in report["findings"]}
    assert rule.id in found, f"{rule.id}: the docs example scanned as {directory} yields {sorted(found)}"
