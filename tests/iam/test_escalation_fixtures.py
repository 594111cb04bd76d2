"""FG105 on named principals and the newer methods, through the CLI, in SAM, Terraform and Serverless: each
fixture marks the line it expects with `# expect: FG105 RESOURCE SEVERITY`; every other role is a negative (a
bounded attach, a PassRole-less update of one function)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "iam" / "escalation-named"
_MARK = re.compile(r"#\s*expect:\s*(FG\d{3})\s+(\S+)\s+(\w+)")


def expected(directory: Path) -> set[tuple[str, str, str, int, str]]:
    out = set()
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for m in _MARK.finditer(line):
                out.add((m.group(1), m.group(2), path.name, number, m.group(3)))
    return out


@pytest.mark.parametrize("fmt", ["sam", "tf", "sls"])
def test_fg105_fixtures(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / fmt)
    result = CliRunner().invoke(main, ["scan", ".", "--select", "FG105", "--severity", "info", "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.output)["findings"]
    got = {(f["rule_id"], f["resource"], Path(f["location"]["path"]).name, f["location"]["line"], f["severity"])
           for f in findings}
    assert got == expected(FIXTURES / fmt)


def test_named_principals_are_named_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "sam")
    result = CliRunner().invoke(main, ["scan", ".", "--select", "FG105", "--format", "json"])
    messages = {f["resource"]: f["message"] for f in json.loads(result.output)["findings"]}
    assert "on arn:aws:iam::123456789012:user/ci/deployer" in messages["OnboardFunction"]
    assert "passrole-lambda-update-configuration" in messages["RoleSwapFunction"] \
        or "update-function-configuration" in messages["RoleSwapFunction"]
