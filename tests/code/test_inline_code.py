"""Inline code in templates (`Code.ZipFile`, SAM `InlineCode`) is analysed where it is written, and roles that
handler code hands to a service count as `iam:PassRole` needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests._helpers import line_of, run

from faasguard.config import Config
from faasguard.findings import Severity
from faasguard.pipeline import scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inline"
TEMPLATE = FIXTURES / "yaml" / "template.yaml"


def test_python_inline_block_is_analysed_at_its_template_line() -> None:
    found = [f for f in run(FIXTURES / "yaml", "FG501") if f.resource == "ReportFunction"]
    assert [(f.location.path.endswith("template.yaml"), f.location.line) for f in found] == [
        (True, line_of(TEMPLATE, 'subprocess.run("zip /tmp/out.zip " + name, shell=True)'))]


def test_argument_list_in_inline_code_stays_quiet() -> None:
    assert not [f for f in run(FIXTURES / "yaml", "FG501") if f.resource == "SafeFunction"]


def test_javascript_inline_sub_block_keeps_its_lines() -> None:
    found = [f for f in run(FIXTURES / "yaml", "FG501") if f.resource == "CleanupFunction"]
    assert [f.location.line for f in found] == [line_of(TEMPLATE, "execSync(`aws s3 rm")]


def test_one_line_inline_value_is_analysed() -> None:
    found = [f for f in run(FIXTURES / "yaml", "FG204") if f.resource == "OneLiner"]
    assert [f.location.line for f in found] == [line_of(TEMPLATE, 'ZipFile: "exports.handler')]


def test_json_string_of_several_lines_is_not_guessed_but_said() -> None:
    directory = FIXTURES / "json"
    result = scan([str(directory)], Config(severity=Severity.INFO), cwd=directory)
    assert not [f for f in result.findings if f.rule_id.startswith("FG5")]
    notes = [d for d in result.diagnostics if "inline code of Fn (ZipFile) is not analysed" in d.message]
    assert len(notes) == 1
    assert notes[0].location.line == line_of(directory / "template.json", '"ZipFile"')


def test_inline_findings_through_the_cli_point_at_the_template() -> None:
    done = subprocess.run([sys.executable, "-m", "faasguard", "scan", str(FIXTURES / "yaml"), "--no-cache",
                           "--format", "json", "--select", "FG501"], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert sorted(f["resource"] for f in report["findings"]) == ["CleanupFunction", "ReportFunction"]
    assert {Path(f["location"]["path"]).name for f in report["findings"]} == {"template.yaml"}


def test_a_role_passed_inside_a_request_is_a_passrole_need() -> None:
    # Python `Target={"RoleArn": ...}` and the JS v3 command: the role's iam:PassRole is used
    unused = {f.resource for f in run(FIXTURES / "passrole", "FG107")}
    assert "Scheduler" not in unused
    assert "NodeScheduler" not in unused


def test_assuming_a_role_is_not_passing_it() -> None:
    found = [f for f in run(FIXTURES / "passrole", "FG107") if f.resource == "Assumer"]
    assert len(found) == 1
    assert "iam:PassRole" in found[0].message
    lines = (FIXTURES / "passrole" / "template.yaml").read_text().splitlines()
    passrole_lines = [n for n, line in enumerate(lines, start=1) if "Action: iam:PassRole" in line]
    assert found[0].location.line == passrole_lines[2]  # the Assumer's statement, the third in the file
