"""JavaScript/TypeScript handler code with no template (issue 13): discovered, its handlers inferred from their
exports, analysed, and reported at the exact line; library, test, declaration and tool-config files are not
handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main
from faasguard.loaders.code import js_handlers

SHELL = """\
const { exec } = require('child_process');
exports.handler = async (event) => {
  const name = event.queryStringParameters.name;
  exec(`convert ${name} out.png`);
  return { statusCode: 200 };
};
"""
READ = """\
import { readFileSync } from 'fs';
export const lambdaHandler = async (event: any) => {
  const data = readFileSync('/var/task/' + event.pathParameters.file, 'utf8');
  return { statusCode: 200, body: data };
};
"""
SAFE = """\
const { execFile } = require('child_process');
module.exports.resize = async (event, context) => {
  execFile('convert', [event.queryStringParameters.name, 'out.png']);
  return { statusCode: 200 };
};
"""
NOT_HANDLERS = {
    "util.js": ("module.exports.add = (a, b) => a + b;\n"
                "module.exports.run = (cmd) => require('child_process').exec(cmd);\n"),
    "jest.config.js": "module.exports = { testEnvironment: 'node' };\n",
    "types.d.ts": "export declare function handler(event: any): Promise<void>;\n",
    "index.test.js": "const { exec } = require('child_process');\nexports.handler = (event) => exec(event.cmd);\n",
    "__tests__/a.js": "const { exec } = require('child_process');\nexports.handler = (event) => exec(event.cmd);\n",
}


def scan(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int, str]]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["scan", ".", "--format", "json", "--select", "FG5"])
    report = json.loads(result.stdout)
    assert not [d for d in report["diagnostics"] if d["kind"] == "internal-error"]
    return sorted((f["rule_id"], f["location"]["path"], f["location"]["line"], f["function"])
                  for f in report["findings"])


def test_bare_js_and_ts_handlers_are_analysed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in {"index.js": SHELL, "src/app.ts": READ, "safe.js": SAFE, **NOT_HANDLERS}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert scan(tmp_path, monkeypatch) == [
        ("FG501", "index.js", 4, "index.handler"),
        ("FG506", "src/app.ts", 3, "src.app.lambdaHandler"),
    ]


def test_bare_js_beside_a_template_only_when_handler_shaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      CodeUri: fn/\n      Handler: index.handler\n      Runtime: nodejs20.x\n")
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "index.js").write_text(SHELL)
    (tmp_path / "lambdas").mkdir()
    (tmp_path / "lambdas" / "other.js").write_text(SHELL)
    (tmp_path / "util.js").write_text(NOT_HANDLERS["util.js"])
    found = scan(tmp_path, monkeypatch)
    assert ("FG501", "fn/index.js", 4, "Fn") in found  # through the template, once
    assert ("FG501", "lambdas/other.js", 4, "lambdas.other.handler") in found  # deployed some other way
    assert len(found) == 2


@pytest.mark.parametrize(("text", "names"), [
    ("exports.handler = async (event) => {}", {"handler": 1}),
    ("module.exports.hello = async (event, context) => {}", {"hello": 1}),
    ("module.exports.add = (a, b) => a + b", {}),
    ("export async function handler(event) {}", {"handler": 1}),
    ("export const main: Handler = async (event) => {}", {"main": 1}),
    ("const handler = middy(base);\nmodule.exports = { handler };", {"handler": 2}),
    ("async function h(e) {}\nexport { h as handler };", {"handler": 2}),
    ("export const config = {};", {}),
    # any export name, when the function takes the Lambda event: with a context, a typed event, or a Lambda mark
    ("async function restore(event, context) {}\nmodule.exports = { restore };", {"restore": 2}),
    ("export async function list(event: APIGatewayProxyEventV2) {}", {"list": 1}),
    ("const upload = async (event: any) => ({ statusCode: 201 });\nexport { upload };", {"upload": 2}),
    ("export const getUser = async (event) => ({ statusCode: 200, body: event.pathParameters.id });",
     {"getUser": 1}),
    # a browser or React event handler takes neither a context nor an AWS event type
    ("export const onSubmit = async (event) => { event.preventDefault(); };", {}),
    ("export const onClick: MouseEventHandler = (event) => { fetch(event.currentTarget.href) };", {}),
    ("export function parse(evt) { return evt.x }", {}),
])
def test_js_handler_exports(text: str, names: dict[str, int]) -> None:
    assert js_handlers(text) == names


BACKUP = """\
const { execSync } = require('child_process');

const restoreBackup = async (event, context) => {
  const { snapshot } = JSON.parse(event.body);
  execSync(`pg_restore --dbname=app /tmp/${snapshot}`);
  return { statusCode: 202 };
};

module.exports = { restoreBackup };
"""
FORM = """\
export const onSubmit = async (event) => {
  event.preventDefault();
  await fetch(event.target.action, { method: 'POST' });
};
"""


def test_bare_js_entry_point_under_any_export_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "backup.js").write_text(BACKUP)
    (tmp_path / "form.js").write_text(FORM)
    assert scan(tmp_path, monkeypatch) == [("FG501", "backup.js", 5, "backup.restoreBackup")]
