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
    assert not [f for f in result.findings if f.rule_id.startswith("FG5") and f.resource != "Joined"]
    notes = {d.location.line: d.message.split(":")[0] for d in result.diagnostics if "inline code of" in d.message}
    zipfiles = [n for n, line in enumerate((directory / "template.json").read_text().splitlines(), start=1)
                if '"ZipFile"' in line]
    # the JSON string (Fn) and the Fn::Join with a reference among its lines (JoinedWithRef)
    assert notes == {zipfiles[0]: "inline code of Fn (ZipFile) is not analysed",
                     zipfiles[2]: "inline code of JoinedWithRef (ZipFile) is not analysed"}


def test_json_join_of_lines_is_analysed_at_each_line() -> None:
    directory = FIXTURES / "json"
    found = [f for f in run(directory, "FG501") if f.resource == "Joined"]
    lines = [n for n, line in enumerate((directory / "template.json").read_text().splitlines(), start=1)
             if "subprocess.call('convert '" in line]
    assert [f.location.line for f in found] == [lines[0]]


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


def test_inline_syntax_error_and_oversized_block_are_located_warnings(tmp_path: Path) -> None:
    filler = "\n".join(f"          value_{i} = {i}" for i in range(60_000))  # > 1 MiB of code in one block
    template = tmp_path / "template.yaml"
    template.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  Big:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n"
        "      Handler: index.handler\n      Role: arn:aws:iam::111122223333:role/x\n"
        f"      Code:\n        ZipFile: |\n{filler}\n"
        "  Broken:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n"
        "      Handler: index.handler\n      Role: arn:aws:iam::111122223333:role/x\n"
        "      Code:\n        ZipFile: |\n          def handler(event, context)\n              return 1\n")
    result = scan([str(tmp_path)], Config(severity=Severity.INFO), cwd=tmp_path)
    by_message = {d.message.split(";")[0]: d.location.line for d in result.diagnostics}
    assert by_message["inline code of Big is 1150 KiB, over the 1024 KiB limit"] == 11
    assert by_message["Python syntax error: expected ':'"] == line_of(template, "def handler(event, context)")
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
