"""The annotated corpus: every file's findings are exactly its `# expect:` lines (rule, line), no more, no fewer."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.code._corpus import CORPUS, actual, expected, findings

FILES = sorted(CORPUS.glob("*.py"))


def test_corpus_size() -> None:
    positive = [f for f in FILES if expected(f)]
    negative = [f for f in FILES if not expected(f)]
    assert len(positive) >= 80
    assert len(negative) >= 50
    assert all("# ok" in f.read_text() for f in negative)


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_corpus_file(path: Path) -> None:
    assert actual(path) == expected(path)


def test_findings_carry_evidence_and_identity() -> None:
    path = CORPUS / "fg501_sqs_helper.py"
    (finding,) = [f for f in findings(path) if f.rule_id == "FG501"]
    assert finding.resource == "fg501_sqs_helper.handler"
    assert finding.function == "fg501_sqs_helper.handler"
    lines = [step.location.line for step in finding.evidence]
    assert lines[0] == 10  # for record in event["Records"]
    assert lines[-1] == 6
    assert any("passed to run_job" in step.description for step in finding.evidence)
