"""boto3 → IAM mapping against the catalog, and CloudTrail input of every accepted (and a few broken) shapes."""

from __future__ import annotations

import gzip
import json
from datetime import UTC
from pathlib import Path

import pytest

from faasguard.analysis.iam.boto_map import HELPER_ACTIONS, OPERATION_ACTIONS, SERVICE_PREFIX, actions_for
from faasguard.analysis.iam.catalog import get_catalog
from faasguard.analysis.iam.cloudtrail import Identity, observed_needs, read_records


def test_every_mapped_action_exists_in_the_catalog() -> None:
    cat = get_catalog()
    for table in (OPERATION_ACTIONS, HELPER_ACTIONS):
        for key, actions in table.items():
            for a in actions:
                assert cat.exists(a), f"{key} -> {a}"
                assert cat.canonical(a) == a, f"{a} is not spelt canonically"
    for service, prefix in SERVICE_PREFIX.items():
        assert cat.has_service(prefix), f"{service} -> {prefix}"


@pytest.mark.parametrize(("service", "method", "operation", "expected"), [
    ("s3", "list_objects_v2", "ListObjectsV2", ("s3:ListBucket",)),
    ("s3", "head_object", "HeadObject", ("s3:GetObject",)),
    ("s3", "get_object", "GetObject", ("s3:GetObject",)),
    ("s3", "upload_file", None, ("s3:PutObject", "s3:AbortMultipartUpload")),
    ("s3", "download_file", None, ("s3:GetObject",)),
    ("lambda", "invoke", "Invoke", ("lambda:InvokeFunction",)),
    ("dynamodb", "put_item", "PutItem", ("dynamodb:PutItem",)),
    ("dynamodb", "batch_write_item", "BatchWriteItem", ("dynamodb:BatchWriteItem",)),
    ("sqs", "send_message_batch", "SendMessageBatch", ("sqs:SendMessage",)),
    ("stepfunctions", "start_execution", "StartExecution", ("states:StartExecution",)),
    ("apigateway", "get_rest_apis", "GetRestApis", ("apigateway:GET",)),
    ("apigateway", "create_deployment", "CreateDeployment", ("apigateway:POST",)),
    ("secretsmanager", "get_secret_value", "GetSecretValue", ("secretsmanager:GetSecretValue",)),
    ("s3", "get_paginator(list_objects_v2)", None, ("s3:ListBucket",)),
    ("s3", "generate_presigned_url", None, ()),
    ("rds", "generate_db_auth_token", None, ("rds-db:connect",)),
])
def test_mapping(service: str, method: str, operation: str | None, expected: tuple[str, ...]) -> None:
    assert actions_for(service, method, operation) == expected


def test_unmappable_is_none_not_a_guess() -> None:
    assert actions_for("s3", "frobnicate_bucket", "FrobnicateBucket") is None
    assert actions_for("nosuchservice", "x", "X") is None


def _record(name: str = "GetObject", source: str = "s3.amazonaws.com", role: str = "stack-FnRole-ABC",
            when: str = "2026-01-02T03:04:05Z", **params: str) -> dict[str, object]:
    return {"eventSource": source, "eventName": name, "eventTime": when,
            "userIdentity": {"type": "AssumedRole",
                             "arn": f"arn:aws:sts::123456789012:assumed-role/{role}/Fn"},
            "requestParameters": params}


def test_records_file_and_filters(tmp_path: Path) -> None:
    f = tmp_path / "trail.json.gz"
    f.write_bytes(gzip.compress(json.dumps({"Records": [
        _record(bucketName="b", key="k"), _record("PutItem", "dynamodb.amazonaws.com"),
        _record(role="someone-else"), _record(when="2020-01-01T00:00:00Z", bucketName="old"),
        _record("PutMetricData", "monitoring.amazonaws.com"),
    ]}).encode()))
    problems: list[str] = []
    records = read_records(f, problems)
    assert not problems
    from datetime import datetime

    needs = list(observed_needs(records, Identity(("FnRole",)), since=datetime(2025, 1, 1, tzinfo=UTC)))
    got = {(n.action, str(n.resource)) for n in needs}
    assert ("s3:GetObject", "arn:aws:s3:::b/*") in got  # an object key is generalised to its prefix
    assert ("cloudwatch:PutMetricData", "*") in got
    assert any(a == "dynamodb:PutItem" for a, _ in got)
    assert not any("old" in r for _, r in got)
    assert len(needs) == 3


def test_lookup_events_shape(tmp_path: Path) -> None:
    f = tmp_path / "lookup.json"
    f.write_text(json.dumps({"Events": [{"CloudTrailEvent": json.dumps(_record(bucketName="b"))},
                                        {"CloudTrailEvent": "{broken"}]}))
    problems: list[str] = []
    records = read_records(f, problems)
    assert len(records) == 1
    assert problems


@pytest.mark.parametrize("content", [b'{"Records": [{"eventName": "GetOb', b"\x00\x01binary", b'{"foo": 1}',
                                     b"\x1f\x8b\x08truncated-gzip"])
def test_broken_cloudtrail_files_are_reported(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "bad.json"
    f.write_bytes(content)
    problems: list[str] = []
    assert read_records(f, problems) == []
    assert len(problems) == 1


def test_calls_that_need_no_permission_map_to_no_action() -> None:
    assert actions_for("sts", "get_caller_identity", "GetCallerIdentity") == ()


_TOKEN_APP = """
resource "aws_iam_role" "fn" {
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Action = "sts:AssumeRole",
    Effect = "Allow", Principal = {Service = "lambda.amazonaws.com"}}]})
}
resource "aws_iam_role_policy" "fn" {
  role   = aws_iam_role.fn.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Action = ["rds-db:connect"], Effect = "Allow",
    Resource = "arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-0123456789abcdef0/app"}]})
}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  filename      = "src"
  handler       = "app.handler"
  runtime       = "python3.12"
  role          = aws_iam_role.fn.arn
}
"""


@pytest.mark.parametrize(("code", "unused"), [
    # IAM database authentication: the token is signed locally and authorized as rds-db:connect when used
    ("import boto3\nrds = boto3.client('rds')\n\ndef handler(event, context):\n"
     "    return rds.generate_db_auth_token(DBHostname='db', Port=3306, DBUsername='app')\n", False),
    ("def handler(event, context):\n    return 1\n", True),
])
def test_db_auth_token_needs_rds_db_connect(tmp_path: Path, code: str, unused: bool) -> None:
    from faasguard.config import Config
    from faasguard.pipeline import scan

    (tmp_path / "main.tf").write_text(_TOKEN_APP)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(code)
    result = scan([str(tmp_path)], Config(select=("FG107",)))
    found = [f for f in result.findings if f.rule_id == "FG107" and "rds-db:connect" in f.message]
    assert bool(found) is unused


def test_signing_table_covers_every_botocore_service_and_matches_its_models() -> None:
    # The shipped table stands in for botocore's service models: every service the installed botocore knows and
    # the static table and the catalog do not is in it, and a sample agrees with the model read directly.
    import botocore.loaders

    from faasguard.analysis.iam import boto_map

    table = boto_map._signing_table()
    listed = botocore.loaders.create_loader().list_available_services("service-2")
    cat = get_catalog()
    missing = [s for s in listed if s not in SERVICE_PREFIX and not cat.has_service(s) and s not in table]
    assert not missing, "refresh with `python -m faasguard.analysis.iam.boto_map table`"
    for service, prefix in (("pinpoint", "mobiletargeting"), ("bedrock-agent", "bedrock"),
                            ("pinpoint-sms-voice-v2", "sms-voice"), ("efs", "elasticfilesystem")):
        assert table[service] == prefix == boto_map._model_prefix(service)
    assert all(prefix is None or cat.has_service(prefix) for prefix in table.values())


def test_iam_prefix_of_a_tabled_service_does_not_import_botocore() -> None:
    import subprocess
    import sys

    code = ("import sys; from faasguard.analysis.iam.boto_map import actions_for, iam_prefix; "
            "assert iam_prefix('pinpoint') == 'mobiletargeting'; "
            "assert actions_for('pinpoint', 'send_messages', 'SendMessages') == ('mobiletargeting:SendMessages',); "
            "assert iam_prefix('not-a-service') is None; "  # unknown to the table: botocore's loader is asked
            "print('botocore' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    code = code.replace("assert iam_prefix('not-a-service') is None; ", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
