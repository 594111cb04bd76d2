"""Whole apps with Node.js functions: the template's handler string resolves to the TypeScript source, the code
findings name the function and line, and `policy generate` scopes the SDK v3 call to the template's table."""

from __future__ import annotations

import json
from pathlib import Path

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
