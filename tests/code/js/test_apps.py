"""Whole apps with Node.js functions: the template's handler string resolves to the TypeScript source, the code
findings name the function and line, and `policy generate` scopes the SDK v3 call to the template's table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main

APP = Path(__file__).resolve().parents[2] / "fixtures" / "code" / "js" / "apps" / "sam_esbuild"


def test_sam_esbuild_app_code_findings(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(APP), "--format", "json", "-o", str(out)])
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text())
    code = [(f["rule_id"], Path(f["location"]["path"]).name, f["location"]["line"], f["function"])
            for f in report["findings"] if f["rule_id"].startswith("FG5")]
    assert code == [("FG501", "app.ts", 9, "ExportFn")]


def test_policy_generate_for_node_function() -> None:
    result = CliRunner().invoke(main, ["policy", "generate", str(APP), "--function", "ExportFn"])
    assert result.exit_code == 0, result.output
    policy = json.loads(result.output)
    table = [s for s in policy["Statement"] if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert table == [{"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": ["${Orders.Arn}"]}]


APPS = APP.parent

# Whole apps mixing Python and Node.js functions, one per source format: (rule, function, file, line) of every
# handler-code finding of a function the template declares.
MIXED: dict[str, set[tuple[str, str, str, int]]] = {
    "mixed_sam": {
        # handlers/create.handler → EntryPoints src/handlers/create.ts; the flaw is in the module it imports
        ("FG501", "CreateOrderFunction", "notify.ts", 4),
        ("FG511", "CreateOrderFunction", "create.ts", 9),
        ("FG515", "ReceiptFunction", "receipt.ts", 5),
        ("FG511", "ReceiptFunction", "receipt.ts", 4),
        ("FG503", "ReportFunction", "app.py", 12),
        ("FG511", "ReportFunction", "app.py", 9),
    },
    "mixed_serverless": {
        ("FG507", "api", "app.js", 9),  # Express behind serverless-http
        ("FG515", "api", "app.js", 14),  # markup built in ./card.js, sent by res.send
        ("FG511", "api", "app.js", 9),
        ("FG505", "ingest", "handler.py", 10),
        ("FG511", "ingest", "handler.py", 9),
    },
    "mixed_terraform": {
        ("FG506", "aws_lambda_function.thumbs", "index.mjs", 10),
        ("FG511", "aws_lambda_function.thumbs", "index.mjs", 8),
        ("FG502", "aws_lambda_function.rules", "rules.py", 7),
    },
    "mixed_cdk": {
        # the NodejsFunction's bundle in cdk.out maps back to lambda/orders/lookup.ts, which imports ./db
        ("FG503", "Lookup7C1A4C3E", "db.ts", 7),
        ("FG511", "Lookup7C1A4C3E", "lookup.ts", 5),
        ("FG501", "Audit5D2E9A77", "index.py", 8),
        ("FG511", "Audit5D2E9A77", "index.py", 7),
    },
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_python_and_node_app(name: str, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(APPS / name), "--format", "json", "-o", str(out),
                                       "--severity", "info"])
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text())
    assert not [d for d in report["diagnostics"] if d["kind"] in ("internal-error", "parse-error")]
    declared = {f for _, f, _, _ in MIXED[name]}
    code = {(f["rule_id"], f["function"], Path(f["location"]["path"]).name, f["location"]["line"])
            for f in report["findings"] if f["rule_id"].startswith("FG5") and f["function"] in declared}
    assert code == MIXED[name]


def test_cdk_bundle_is_the_handler_without_the_source_tree(tmp_path: Path) -> None:
    """Only the cloud assembly (no lambda/ sources beside it): the bundle itself is analysed, and the flaw is
    reported in it (esbuild inlined db.ts), never in a file that is not there."""
    shutil.copytree(APPS / "mixed_cdk" / "cdk.out", tmp_path / "cdk.out")
    out = tmp_path / "report.json"
    CliRunner().invoke(main, ["scan", str(tmp_path / "cdk.out"), "--format", "json", "-o", str(out)])
    report = json.loads(out.read_text())
    node = [(f["rule_id"], Path(f["location"]["path"]).as_posix().split("cdk.out/")[-1], f["location"]["line"])
            for f in report["findings"] if f["function"] == "Lookup7C1A4C3E" and f["rule_id"].startswith("FG5")]
    assert node == [("FG503", "asset.4f1c2a/index.js", 32)]


def _handler_files(root: Path) -> dict[str, str | None]:
    from faasguard.config import Config
    from faasguard.pipeline import scan

    result = scan([str(root)], Config(), cwd=root)
    return {f.id: (Path(f.code.handler_file).relative_to(root.resolve()).as_posix()
                           if f.code is not None and f.code.handler_file else None)
            for app in result.apps for f in app.functions if f.id == "Fn"}  # not the bare files' inferred


_ESBUILD = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code_uri}
      Handler: {handler}
      Runtime: nodejs22.x
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints: {entries}
"""


@pytest.mark.parametrize(("handler", "entries", "expected"), [
    ("app.handler", "[app.ts]", "svc/app.ts"),
    ("get.handler", "[src/handlers/list.ts, src/handlers/get.ts]", "svc/src/handlers/get.ts"),
    ("handlers/get.handler", "[src/handlers/get.ts]", "svc/src/handlers/get.ts"),
    ("other/get.handler", "[src/handlers/get.ts]", None),  # the trailing directory must match too
    ("get.handler", "[src/handlers/list.ts]", None),  # no entry builds this module: nothing guessed
    ("lib.handler", "[../../outside/lib.ts]", None),  # never read outside the scanned project
])
def test_sam_esbuild_entry_points(tmp_path: Path, handler: str, entries: str, expected: str | None) -> None:
    root = tmp_path / "project"
    for source in ("project/svc/app.ts", "project/svc/src/handlers/get.ts", "project/svc/src/handlers/list.ts",
                   "outside/lib.ts"):
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / source).write_text("export const handler = async (event: any) => event;\n")
    (root / "template.yaml").write_text(_ESBUILD.format(code_uri="svc/", handler=handler, entries=entries))
    assert _handler_files(root) == {"Fn": expected}


def test_esbuild_entry_wins_over_a_compiled_twin(tmp_path: Path) -> None:
    """`tsc` output left beside the source (`app.js` next to `app.ts`) is not what esbuild bundles."""
    (tmp_path / "app.ts").write_text("export const handler = async (event: any) => event;\n")
    (tmp_path / "app.js").write_text("exports.handler = async (event) => event;\n")
    (tmp_path / "template.yaml").write_text(_ESBUILD.format(code_uri="./", handler="app.handler", entries="[app.ts]"))
    assert _handler_files(tmp_path) == {"Fn": "app.ts"}


_CDK_TEMPLATE = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
    "Code": {"S3Bucket": "b", "S3Key": "k.zip"}, "Handler": "index.handler", "Runtime": "nodejs22.x"},
    "Metadata": {"aws:cdk:path": "S/Fn/Resource", "aws:asset:path": "asset.1"}}}}
_CDK_MANIFEST = {"version": "36.0.0", "artifacts": {"S": {"type": "aws:cloudformation:stack",
                                                          "properties": {"templateFile": "S.template.json"}}}}


@pytest.mark.parametrize(("bundle", "expected"), [
    ("// src/fn.ts\nvar handler = async (e) => e;\n", "src/fn.ts"),
    # dependencies come first and are never the entry; the entry's last comment wins
    ("// node_modules/uuid/index.js\nvar v4 = 1;\n// src/util.ts\nvar u = 2;\n// src/fn.ts\nvar handler = 3;\n"
     "// Annotate the CommonJS export names for ESM import in node:\n0 && (module.exports = { handler });\n",
     "src/fn.ts"),
    ("var a=1;exports.handler=async e=>e;\n", "cdk.out/asset.1/index.js"),  # minified: no module comments
    ("// ../outside.ts\nvar handler = 1;\n", "cdk.out/asset.1/index.js"),  # leaves the project: not followed
    ("// src/missing.ts\nvar handler = 1;\n", "cdk.out/asset.1/index.js"),  # source not in the scan
])
def test_cdk_bundle_maps_to_its_entry(tmp_path: Path, bundle: str, expected: str) -> None:
    assembly = tmp_path / "cdk.out"
    (assembly / "asset.1").mkdir(parents=True)
    (assembly / "asset.1" / "index.js").write_text(bundle)
    (assembly / "S.template.json").write_text(json.dumps(_CDK_TEMPLATE))
    (assembly / "manifest.json").write_text(json.dumps(_CDK_MANIFEST))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "fn.ts").write_text("export const handler = async (event: any) => event;\n")
    (tmp_path / "src" / "util.ts").write_text("export const u = 2;\n")
    (tmp_path.parent / "outside.ts").write_text("export const handler = 1;\n")
    assert _handler_files(tmp_path) == {"Fn": expected}
