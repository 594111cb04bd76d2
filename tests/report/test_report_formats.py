"""The formats for people and CI systems, through the CLI on a copy of examples/vulnerable-app: concise lines,
GitHub workflow annotations, JUnit XML, the GitLab SAST report, `--statistics`, the console at 80 columns,
paths relative to the git top level wherever faasguard starts, and `exclude` with gitignore semantics."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner, Result

from faasguard.cli import main
from faasguard.escape import workflow_data, workflow_property

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "vulnerable-app"
CONCISE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rule>FG\d{3}) "
                     r"\[(?P<severity>critical|high|medium|low|info)\] (?P<message>.+)$")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (a `.git` directory is all git itself needs to call it one) holding the example app."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "apps" / "vulnerable-app")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def scan(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)


def json_report(*args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(scan(*args, "--format", "json").stdout)
    return document


def reported(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["suppression"] is None]


def test_concise_is_one_compiler_style_line_per_finding(repo: Path) -> None:
    result = scan("apps/vulnerable-app", "--format", "concise")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    expected = reported(json_report("apps/vulnerable-app"))
    assert len(lines) == len(expected) > 20
    parsed = [CONCISE.match(line) for line in lines]
    assert all(parsed), [line for line, match in zip(lines, parsed, strict=True) if not match]
    assert {(m["path"], int(m["line"]), int(m["col"]), m["rule"], m["severity"], m["message"])
            for m in parsed if m} == {
        (f["location"]["path"], f["location"]["line"], f["location"]["column"], f["rule_id"], f["severity"],
         f["message"]) for f in expected}
    assert "apps/vulnerable-app/src/db_admin/app.py:19:9: FG503 [critical] DbAdminFunction: event data " \
           "(event['body']) reaches cursor.execute()" in lines


def test_concise_leaves_suppressed_findings_out(repo: Path) -> None:
    scan("apps/vulnerable-app", "--select", "FG503", "--write-baseline", "baseline.json")
    document = json_report("apps/vulnerable-app", "--baseline", "baseline.json")
    assert any(f["suppression"] for f in document["findings"])
    lines = scan("apps/vulnerable-app", "--baseline", "baseline.json", "--format", "concise").stdout.splitlines()
    assert len(lines) == len(reported(document))
    assert not [line for line in lines if " FG503 " in line]


def test_github_annotations(repo: Path) -> None:
    lines = scan("apps/vulnerable-app", "--format", "github").stdout.splitlines()
    expected = reported(json_report("apps/vulnerable-app"))
    assert len(lines) == len(expected)
    sql = next(line for line in lines if "FG503" in line)
    assert sql.startswith("::error file=apps/vulnerable-app/src/db_admin/app.py,line=19,endLine=19,col=9,"
                          "endColumn=86,title=FG503 sql-injection (critical)::DbAdminFunction: event data")
    assert "%0Afix: Use query parameters (%25s / ? placeholders)" in sql  # a second line, `%` encoded
    levels = {line.split(" ", 1)[0] for line in lines}
    assert levels == {"::error", "::warning", "::notice"}
    low = next(line for line in lines if "FG602" in line)
    assert low.startswith("::notice ")


def test_workflow_command_escaping_cannot_forge_a_command() -> None:
    hostile = "x\n::error file=evil.py::forged\r\n::add-mask::1%"
    data = workflow_data(hostile)
    assert "\n" not in data
    assert "\r" not in data
    assert data == "x%0A::error file=evil.py::forged%0A::add-mask::1%25"
    assert workflow_property("a,b:c\x1b[2J") == "a%2Cb%3Ac\\x1b[2J"


def test_junit(repo: Path) -> None:
    result = scan("apps/vulnerable-app", "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    expected = reported(json_report("apps/vulnerable-app"))
    assert root.tag == "testsuites"
    assert int(root.get("failures", "")) == len(expected)
    suites = {suite.get("name", "").split()[0]: suite for suite in root}
    assert "FG101" in suites
    assert suites["FG101"].find("testcase/failure") is None
    sql = suites["FG503"].find("testcase")
    assert sql is not None
    assert sql.get("file") == "apps/vulnerable-app/src/db_admin/app.py"
    assert sql.get("line") == "19"
    failure = sql.find("failure")
    assert failure is not None
    assert failure.get("type") == "critical"
    assert "apps/vulnerable-app/src/db_admin/app.py:19:9" in (failure.text or "")
    assert sum(int(s.get("failures", "")) for s in root) == len(expected)
    assert int(root.get("tests", "")) == sum(int(s.get("tests", "")) for s in root)


def test_gitlab_sast_report(repo: Path) -> None:
    schema = json.loads((REPO / "tests" / "fixtures" / "report" / "gitlab-sast-documented.json").read_text())
    result = scan("apps/vulnerable-app", "--format", "gitlab")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    expected = reported(json_report("apps/vulnerable-app"))
    vulnerabilities = document["vulnerabilities"]
    assert len(vulnerabilities) == len(expected)
    assert len({v["id"] for v in vulnerabilities}) == len(vulnerabilities)  # ids are unique ...
    again = json.loads(scan("apps/vulnerable-app", "--format", "gitlab").stdout)
    assert [v["id"] for v in again["vulnerabilities"]] == [v["id"] for v in vulnerabilities]  # ... and stable
    sql = next(v for v in vulnerabilities if v["identifiers"][0]["value"] == "FG503")
    assert sql["severity"] == "Critical"
    assert sql["location"] == {"file": "apps/vulnerable-app/src/db_admin/app.py", "start_line": 19,
                               "end_line": 19, "method": "DbAdminFunction"}
    assert sql["identifiers"][1] == {"type": "cwe", "name": "CWE-89", "value": "89",
                                     "url": "https://cwe.mitre.org/data/definitions/89.html"}
    assert document["scan"]["status"] == "success"
    assert {i["value"] for i in document["scan"]["primary_identifiers"]} >= {"FG101", "FG503"}


def test_gitlab_schema_check_is_applied() -> None:
    schema = json.loads((REPO / "tests" / "fixtures" / "report" / "gitlab-sast-documented.json").read_text())
    broken = {"version": "15.0.7", "scan": {}, "vulnerabilities": [{"id": "x", "identifiers": []}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_statistics(repo: Path) -> None:
    result = scan("apps/vulnerable-app", "--statistics")
    assert result.exit_code == 1  # the gate does not change
    lines = result.stdout.splitlines()
    expected = reported(json_report("apps/vulnerable-app"))
    rows = [line.split() for line in lines[:-1]]
    assert sum(int(row[0]) for row in rows) == len(expected)
    counts = [int(row[0]) for row in rows]
    assert counts == sorted(counts, reverse=True)
    fg601 = next(row for row in rows if row[1] == "FG601")
    assert fg601 == [str(sum(1 for f in expected if f["rule_id"] == "FG601")), "FG601", "vulnerable-dependency",
                     "critical"]
    assert lines[-1] == f"{len(expected)} findings from {len(rows)} rules"
    assert "FG503" in scan("apps/vulnerable-app", "--statistics", "--format", "concise").stdout


def test_statistics_with_a_machine_format_is_a_usage_error(repo: Path) -> None:
    result = scan("apps/vulnerable-app", "--statistics", "--format", "json")
    assert result.exit_code == 2
    assert "--statistics" in result.stderr


@pytest.mark.parametrize("columns", [None, "60"])
def test_console_is_wrapped_at_the_terminal_width(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                  columns: str | None) -> None:
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    width = int(columns or 80)
    text = scan("apps/vulnerable-app").stdout
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert max(len(line) for line in lines) > width - 10  # it is filled, not wrapped short
    # hanging indent: a wrapped message continues two columns further in than it started
    start = next(i for i, line in enumerate(lines) if "DbAdminFunction: event data (event['body'])" in line)
    indent = len(lines[start]) - len(lines[start].lstrip())
    words = " ".join(lines[start:start + 3]).split()
    assert "cursor.execute()" in words
    if "cursor.execute()" not in lines[start]:
        assert lines[start + 1].startswith(" " * (indent + 2) + lines[start + 1].strip())


def test_paths_are_relative_to_the_git_top_wherever_faasguard_starts(repo: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    top = json_report("apps/vulnerable-app")
    top_sarif = json.loads(scan("apps/vulnerable-app", "--format", "sarif").stdout)
    monkeypatch.chdir(repo / "apps" / "vulnerable-app")
    inside = json_report(".")
    inside_sarif = json.loads(scan(".", "--format", "sarif").stdout)
    monkeypatch.chdir(repo / "apps")
    between = json_report("vulnerable-app")

    def paths(document: dict[str, Any]) -> list[str]:
        return sorted(f["location"]["path"] for f in document["findings"])

    def uris(document: dict[str, Any]) -> list[str]:
        return sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                      for r in document["runs"][0]["results"])

    assert paths(top) == paths(inside) == paths(between)
    assert all(p.startswith("apps/vulnerable-app/") for p in paths(top))
    assert [s["path"] for s in top["sources"]] == [s["path"] for s in inside["sources"]]
    assert uris(top_sarif) == uris(inside_sarif)
    assert "apps/vulnerable-app/template.yaml" in uris(top_sarif)


def test_without_git_paths_are_relative_to_the_current_directory(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    document = json_report(".")
    assert "template.yaml" in {f["location"]["path"] for f in document["findings"]}
    assert all(not f["location"]["path"].startswith(("/", "app/")) for f in document["findings"])


# ------------------------------------------------------------------------------------------------ exclude

def _rules_at(document: dict[str, Any], prefix: str) -> set[str]:
    return {f["rule_id"] for f in document["findings"] if f["location"]["path"].startswith(prefix)}


def test_exclude_option_skips_a_directory_and_its_handler_with_a_note(repo: Path) -> None:
    base = "apps/vulnerable-app/src/db_admin/"
    before = json_report("apps/vulnerable-app")
    assert "FG503" in _rules_at(before, base)
    after = json_report("apps/vulnerable-app", "--exclude", "src/db_admin/")
    assert _rules_at(after, base) == set()  # neither the handler's code nor its requirements.txt
    (note,) = [d for d in after["diagnostics"] if d["component"] == "exclude"]
    assert note["message"] == ("handler of DbAdminFunction (apps/vulnerable-app/src/db_admin/app.py) is excluded "
                               "by `exclude`; its code and its package's dependencies are not analysed")
    assert note["location"]["path"] == "apps/vulnerable-app/template.yaml"
    assert note["level"] == "note"
    # the template itself is still scanned (FG107, unused permissions, needs the excluded code to say so)
    template = "apps/vulnerable-app/template.yaml"
    # (attack-path rules read code facts too: FG902 compares what each sharer of a role needs, and an excluded
    # handler's needs are no longer known, so the blast radius is not claimed)
    assert _rules_at(before, template) - {"FG107", "FG902"} <= _rules_at(after, template) \
        <= _rules_at(before, template)


@pytest.mark.parametrize(("patterns", "gone", "kept"), [
    (["**/db_admin/*.py"], {"src/db_admin/app.py"}, {"src/queue_worker/worker.py"}),
    (["*.py", "!worker.py"], {"src/db_admin/app.py", "src/report/app.py"}, {"src/queue_worker/worker.py"}),
    (["/src/report"], {"src/report/app.py"}, {"src/db_admin/app.py"}),
    (["app.py"], {"src/report/app.py", "src/db_admin/app.py"}, {"src/queue_worker/worker.py"}),
])
def test_exclude_has_gitignore_semantics(repo: Path, patterns: list[str], gone: set[str], kept: set[str]) -> None:
    args = [a for p in patterns for a in ("--exclude", p)]
    before = {f["location"]["path"] for f in json_report("apps/vulnerable-app")["findings"]}
    after = {f["location"]["path"] for f in json_report("apps/vulnerable-app", *args)["findings"]}
    prefix = "apps/vulnerable-app/"
    assert {prefix + g for g in gone} <= before
    assert not {prefix + g for g in gone} & after
    assert {prefix + k for k in kept} <= after


def test_exclude_in_the_config_file(repo: Path) -> None:
    app = repo / "apps" / "vulnerable-app"
    (app / ".faasguard.toml").write_text('exclude = ["src/queue_worker/"]\n')
    document = json_report("apps/vulnerable-app")
    assert _rules_at(document, "apps/vulnerable-app/src/queue_worker/") == set()
    assert [d["message"] for d in document["diagnostics"] if d["component"] == "exclude"] == [
        "handler of QueueWorkerFunction (apps/vulnerable-app/src/queue_worker/worker.py) is excluded by `exclude`; "
        "its code and its package's dependencies are not analysed"]
    # --exclude adds to the file's list
    both = json_report("apps/vulnerable-app", "--exclude", "src/report/")
    assert len([d for d in both["diagnostics"] if d["component"] == "exclude"]) == 2
