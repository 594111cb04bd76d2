"""Suppression comments in JavaScript/TypeScript handlers (`//` and one-line `/* */`), honoured whether the scan
runs from the project or from elsewhere, with every path in the report relative to the current directory
(DESIGN.md "Identity") and the same for a JS diagnostic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main

HANDLER = """const { exec } = require("child_process");

exports.handler = async (event) => {
  // faasguard: ignore[FG501] -- the name is an allow-listed tool, checked by the authorizer
  exec(`convert ${event.body}`);
  exec(`convert ${event.path}`); // faasguard: ignore[FG501] -- reviewed with the team
  exec(`convert ${event.resource}`); /* faasguard: ignore[FG501] -- block form until=2099-01-01 */
  /* faasguard: ignore[FG502] -- a block comment on its own line covers the next line */
  eval(event.x);
  exec(`convert ${event.headers}`);
  /* faasguard: ignore[FG501] */
  exec(`convert ${event.stageVariables}`);
};
"""


@pytest.mark.parametrize("where", ["project", "parent", "elsewhere"])
def test_js_suppressions_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    project = tmp_path / "repo" / "svc"
    project.mkdir(parents=True)
    (project / "handler.js").write_text(HANDLER)
    (project / "broken.mjs").write_text("export const handler = async (event) => {\n  const x = ;\n")
    cwd = {"project": project, "parent": tmp_path, "elsewhere": tmp_path / "other"}[where]
    cwd.mkdir(exist_ok=True)
    monkeypatch.chdir(cwd)
    target = str(project) if where == "elsewhere" else str(project.relative_to(cwd)) or "."
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", target, "--format", "json", "-o", str(out)])
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text())
    prefix = {"project": "", "parent": "repo/svc/", "elsewhere": "../repo/svc/"}[where]
    if where == "elsewhere":  # not under the current directory: absolute (DESIGN.md)
        prefix = f"{project}/"
    code = [(f["rule_id"], f["location"]["path"], f["location"]["line"], f["suppression"] is not None)
            for f in report["findings"] if f["rule_id"] in ("FG501", "FG502")]
    assert sorted(code) == [
        ("FG501", f"{prefix}handler.js", 5, True),
        ("FG501", f"{prefix}handler.js", 6, True),
        ("FG501", f"{prefix}handler.js", 7, True),
        ("FG501", f"{prefix}handler.js", 10, False),
        ("FG501", f"{prefix}handler.js", 12, False),  # a comment without a reason is not honoured
        ("FG502", f"{prefix}handler.js", 9, True),
    ]
    reasons = {f["location"]["line"]: f["suppression"]["justification"] for f in report["findings"]
               if f["suppression"] is not None}
    assert reasons[7] == "block form"
    assert reasons[9] == "a block comment on its own line covers the next line"
    located = {(d["kind"], d["location"]["path"], d["location"]["line"]) for d in report["diagnostics"]}
    assert ("parse-error", f"{prefix}broken.mjs", 2) in located
    assert ("suppression", f"{prefix}handler.js", 11) in located
