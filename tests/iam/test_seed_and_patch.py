"""Seed scenario and the "done when" test: generate + diff --format patch, git apply, rescan: no IAM finding."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from iam_helpers import FIXTURES, call, enrich, load, run_rules

from faasguard.analysis.code.facts import EnvRef, Unknown
from faasguard.analysis.iam.least_privilege import generate
from faasguard.analysis.iam.patch import build_patch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-app"

SEED_CALLS = {
    "ReaderFunction": [call("s3", "get_object", "GetObject", Bucket=EnvRef("BUCKET"),
                            Key=Unknown("event['key']"))],
    "WriterFunction": [call("dynamodb", "put_item", "PutItem", TableName=EnvRef("TABLE_NAME"))],
}

# What the code analysis reports for the example app's handlers (their AWS calls, as written there).
EXAMPLE_CALLS = {
    "ImageConverterFunction": [
        call("s3", "download_file", None, Bucket=Unknown("event['Records'][*]['s3']['bucket']['name']"),
             Key=Unknown("event key")),
        call("s3", "upload_file", None, Bucket=EnvRef("THUMBNAIL_BUCKET"), Key=Unknown("f-string")),
    ],
    "DbAdminFunction": [call("dynamodb", "put_item", "PutItem", TableName=EnvRef("AUDIT_TABLE"))],
    "QueueWorkerFunction": [],
    "ReportFunction": [
        call("s3", "get_object", "GetObject", Bucket="acme-reports", Key=Unknown("f-string")),
        call("kms", "decrypt", "Decrypt"),
    ],
}


def test_seed_findings_and_per_function_policies() -> None:
    app = load(FIXTURES / "seed")
    facts = enrich(app, SEED_CALLS)
    findings = run_rules(app, facts)
    by_rule = {(f.rule_id, f.resource, f.location.line) for f in findings}
    assert ("FG106", "CatchAllRole", 26) in by_rule
    fg107 = [f for f in findings if f.rule_id == "FG107"]
    assert len(fg107) == 1
    assert "secretsmanager:GetSecretValue" in fg107[0].message
    assert fg107[0].location.line == 22  # the Action line of the statement
    assert facts.iam is not None
    reader = generate(facts.iam.needs["ReaderFunction"], facts.iam.role_of("ReaderFunction"))
    writer = generate(facts.iam.needs["WriterFunction"], facts.iam.role_of("WriterFunction"))
    reader_actions = {a for st in reader.document["Statement"] for a in st["Action"]}  # type: ignore[attr-defined]
    writer_actions = {a for st in writer.document["Statement"] for a in st["Action"]}  # type: ignore[attr-defined]
    assert "s3:GetObject" in reader_actions
    assert "dynamodb:PutItem" not in reader_actions
    assert "dynamodb:PutItem" in writer_actions
    assert "s3:GetObject" not in writer_actions
    assert not any("secretsmanager" in a for a in reader_actions | writer_actions)
    resources = {r for st in reader.document["Statement"] for r in st["Resource"]}  # type: ignore[attr-defined]
    assert "arn:${AWS::Partition}:s3:::${Uploads}/*" in resources
    writer_res = {r for st in writer.document["Statement"] for r in st["Resource"]}  # type: ignore[attr-defined]
    assert "${Orders.Arn}" in writer_res


def _git_apply(workdir: Path, patch: str) -> None:
    (workdir / "fix.patch").write_text(patch)
    subprocess.run(["git", "apply", "--check", "fix.patch"], cwd=workdir, check=True, capture_output=True)
    subprocess.run(["git", "apply", "fix.patch"], cwd=workdir, check=True, capture_output=True)


@pytest.mark.parametrize(("source", "calls"), [("seed", SEED_CALLS), ("example", EXAMPLE_CALLS)])
def test_patch_applies_and_rescan_is_clean(tmp_path: Path, source: str, calls: dict[str, list[object]]) -> None:
    assert shutil.which("git") is not None, "git is needed to apply the patch"
    src = FIXTURES / "seed" if source == "seed" else EXAMPLE
    work = tmp_path / "app"
    shutil.copytree(src, work)
    app = load(work)
    facts = enrich(app, calls)  # type: ignore[arg-type]
    before = [f for f in run_rules(app, facts) if f.rule_id != "FG108"]
    assert before, "the scenario must start with IAM findings"
    assert facts.iam is not None
    result = build_patch(app, facts.iam, work, work)
    assert result.diffs, result.notes
    assert list(result.diffs) == ["template.yaml"]
    _git_apply(work, "".join(result.diffs.values()))
    app2 = load(work)
    facts2 = enrich(app2, calls)  # type: ignore[arg-type]
    after = run_rules(app2, facts2)
    assert after == [], [(f.rule_id, f.resource, f.message) for f in after]
    # Each former sharer now has its own role.
    roles = {fn.id: fn.role for fn in app2.functions}
    first, second = (("ReaderFunction", "WriterFunction") if source == "seed"
                     else ("ImageConverterFunction", "DbAdminFunction"))
    assert roles[first] != roles[second]
    assert all(r.id != ("CatchAllRole" if source == "seed" else "SharedCatchAllRole") for r in app2.roles)


def test_cli_patch_on_example_app_with_real_code_analysis(tmp_path: Path) -> None:
    """The issue's "done when", through the CLI and the real pipeline: diff --format patch, git apply, rescan."""
    import json
    import os
    import sys

    assert shutil.which("git") is not None, "git is needed to apply the patch"
    work = tmp_path / "app"
    shutil.copytree(EXAMPLE, work)
    exe = [sys.executable, "-m", "faasguard"]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    from faasguard import pipeline
    from faasguard.config import Config

    scanned = pipeline.scan([str(work)], Config(), cwd=work)
    assert any(f.handlers for f in scanned.facts.values()), "the code analysis produced no handler facts"
    out = subprocess.run([*exe, "policy", "diff", ".", "--format", "patch"], cwd=work, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("--- a/template.yaml")
    _git_apply(work, out.stdout)
    rescan = subprocess.run([*exe, "scan", ".", "--format", "json"], cwd=work, env=env, capture_output=True,
                            text=True, check=False)
    report = json.loads(rescan.stdout)
    iam = [f for f in report["findings"] if f["rule_id"].startswith("FG1") or f["rule_id"] == "FG310"]
    assert iam == []
