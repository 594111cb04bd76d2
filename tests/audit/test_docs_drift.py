"""The drift rules' docs examples, through the command that produces them: the example app (under
`tests/fixtures/docs_examples/<RULE_ID>/`, holding the docs example verbatim) is deployed into moto as its template
says, the example's live change is made through the AWS API, and `faasguard audit --compare DIR` must report the
rule. Each change below is the docs' console command, call for call (`live-change.sh` / the template comment
holds the command itself)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from moto_apps import REGION, clients, role, upload_code, zip_dir
from tests.test_docs_examples import FIXTURES, contains_verbatim, example_blocks

from faasguard.cli import main

_S3_READ = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
            "s3:GetLifecycleConfiguration"]


def _deploy(c: Any, directory: Path, *, s3_read: bool) -> None:
    """`Report` as SAM deploys it: its generated role `ReportRole` (basic execution, plus the S3ReadPolicy
    statements on `uploads-<account>` when the template declares them) and the function from `src/`."""
    inline: dict[str, Any] = {}
    if s3_read:
        bucket = f"uploads-{c.sts.get_caller_identity()['Account']}"
        c.s3.create_bucket(Bucket=bucket)
        inline["ReportRolePolicy0"] = [{"Effect": "Allow", "Action": _S3_READ,
                                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]
    arn = role(c, "ReportRole", ["AWSLambdaBasicExecutionRole"], inline, sam=True)
    c.awslambda.create_function(FunctionName="Report", Runtime="python3.12", Role=arn, Handler="app.handler",
                                Code=upload_code(c, "Report", zip_dir(directory / "src")))


def _put_role_policy(c: Any, endpoint: str) -> None:
    c.iam.put_role_policy(RoleName="ReportRole", PolicyName="hotfix", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))


def _secret_env(c: Any, endpoint: str) -> None:
    c.awslambda.update_function_configuration(FunctionName="Report",
                                              Environment={"Variables": {"DB_PASSWORD": "Sup3rS3cret!"}})


def _public_url(c: Any, endpoint: str) -> None:
    c.awslambda.create_function_url_config(FunctionName="Report", AuthType="NONE")


CHANGES: dict[str, Callable[[Any, str], None]] = {
    "FG113": _put_role_policy, "FG211": _secret_env, "FG315": _public_url}
"""FG606's example attaches a layer of another account (999999999999); moto looks layers up in the caller's
own account and refuses it, so that command cannot run offline. tests/audit/test_drift.py yields FG606
through `audit --compare` with a layer published in the audited account instead."""


@pytest.mark.parametrize("rule_id", sorted(CHANGES))
def test_drift_docs_example(rule_id: str, moto_endpoint: str, tmp_path: Path) -> None:
    from faasguard.rules import all_rules

    rule = next(r for r in all_rules() if r.id == rule_id)
    directory = FIXTURES / rule_id
    texts = [p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*")) if p.is_file()]
    for block in example_blocks(rule):
        assert any(contains_verbatim(text, block) for text in texts), f"{rule_id}: docs example not in {directory}"
    c = clients(moto_endpoint)
    _deploy(c, directory, s3_read=rule_id == "FG113")
    CHANGES[rule_id](c, moto_endpoint)
    out = tmp_path / "drift.json"
    result = CliRunner().invoke(main, [
        "audit", "--endpoint-url", moto_endpoint, "--region", REGION, "--compare", str(directory),
        "--format", "json", "-o", str(out), "--severity", "info", "--fail-on", "critical"],
        catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    found = {(f["rule_id"], f["resource"]) for f in report["findings"]}
    assert any(rid == rule_id for rid, _ in found), f"{rule_id}: audit --compare yields {sorted(found)}"
