"""`faasguard policy diff` console and JSON output: what each function of a shared role shows, and the JSON
text written function by function being exactly `json.dumps(document, indent=2)`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from faasguard.cli import main
from faasguard.commands.policy import _indented, _write_json_report

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "iam" / "seed"

LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def _diff(path: Path, *options: str) -> str:
    result = CliRunner().invoke(main, ["policy", "diff", str(path), *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_diff_of_a_shared_role_is_the_indented_document() -> None:
    text = _diff(SEED, "--format", "json")
    document = json.loads(text)
    assert text == json.dumps(document, indent=2) + "\n"
    union = sorted(["dynamodb:PutItem", *LOGS, "s3:GetObject"])
    assert document == {"version": 1, "functions": [
        {"function": "ReaderFunction", "role": "CatchAllRole", "shared_with": ["WriterFunction"],
         "code_analyzed": True, "needed": [*LOGS, "s3:GetObject"], "unused": ["secretsmanager:GetSecretValue"],
         "missing": [], "union": union},
        {"function": "WriterFunction", "role": "CatchAllRole", "shared_with": ["ReaderFunction"],
         "code_analyzed": True, "needed": ["dynamodb:PutItem", *LOGS], "unused": ["secretsmanager:GetSecretValue"],
         "missing": [], "union": union},
    ]}


def test_console_diff_of_a_shared_role() -> None:
    assert _diff(SEED).splitlines() == [
        "ReaderFunction  (role CatchAllRole, shared with WriterFunction)",
        "  needs:   " + ", ".join([*LOGS, "s3:GetObject"]),
        "  unused:  secretsmanager:GetSecretValue   [FG107]",
        "  union of the sharers' needs: " + ", ".join(sorted(["dynamodb:PutItem", *LOGS, "s3:GetObject"])),
        "WriterFunction  (role CatchAllRole, shared with ReaderFunction)",
        "  needs:   " + ", ".join(["dynamodb:PutItem", *LOGS]),
        "  unused:  secretsmanager:GetSecretValue   [FG107]",
        "  union of the sharers' needs: " + ", ".join(sorted(["dynamodb:PutItem", *LOGS, "s3:GetObject"])),
    ]


def test_roles_of_the_same_id_in_two_applications_are_not_confused(tmp_path: Path) -> None:
    """The per-role part (union, unused grants) is kept by role id while the functions are listed: a second
    application with a role of the same id but other functions gets its own."""
    shutil.copytree(SEED, tmp_path / "one")
    shutil.copytree(SEED, tmp_path / "two")
    template = tmp_path / "two" / "template.yaml"
    text = template.read_text()
    template.write_text(text[: text.index("  WriterFunction:")])
    shutil.rmtree(tmp_path / "two" / "src" / "b")  # else the bare-code loader finds its handler
    document = json.loads(_diff(tmp_path, "--format", "json"))
    alone = document["functions"][2]
    assert [f["function"] for f in document["functions"]] == ["ReaderFunction", "WriterFunction", "ReaderFunction"]
    assert document["functions"][0]["union"] == sorted(["dynamodb:PutItem", *LOGS, "s3:GetObject"])
    assert alone == {"function": "ReaderFunction", "role": "CatchAllRole", "shared_with": [],
                     "code_analyzed": True, "needed": [*LOGS, "s3:GetObject"],
                     "unused": ["dynamodb:PutItem", "secretsmanager:GetSecretValue"], "missing": [],
                     "union": [*LOGS, "s3:GetObject"]}


def test_json_writer_without_functions(capsys: pytest.CaptureFixture[str]) -> None:
    _write_json_report([])
    assert capsys.readouterr().out == json.dumps({"version": 1, "functions": []}, indent=2) + "\n"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.text(), _JSON, max_size=5), max_size=3))
def test_json_writer_is_json_dumps_indented(items: list[dict[str, Any]]) -> None:
    """Any function entries (strings with quotes, controls and non-ASCII, nested and empty containers, lists
    mixing strings and other values) are written as `json.dumps(indent=2)` writes them."""
    assert "".join(_indented(item, 2) for item in items) == "".join(
        json.dumps({"functions": [item]}, indent=2)[len('{\n  "functions": [\n    '):-len("\n  ]\n}")]
        for item in items)
