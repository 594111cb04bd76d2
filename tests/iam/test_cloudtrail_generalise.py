"""`policy generate --cloudtrail`: observed ARNs generalised so the policy allows tomorrow's requests, and
IAM's policy size limits checked (issue 16). Through the CLI on the shipped example app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faasguard.analysis.iam.cloudtrail import generalise, generalise_arn
from faasguard.analysis.iam.facts import Need
from faasguard.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-app"
ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/app-SharedCatchAllRole-1XYZ/ImageConverterFunction"


def record(name: str, source: str, **extra: Any) -> dict[str, Any]:
    return {"eventSource": source, "eventName": name, "eventTime": "2026-11-02T10:00:00Z",
            "userIdentity": {"type": "AssumedRole", "arn": ROLE_SESSION}, **extra}


def s3(name: str, bucket: str, key: str) -> dict[str, Any]:
    return record(name, "s3.amazonaws.com", requestParameters={"bucketName": bucket, "key": key})


def generate(tmp_path: Path, records: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": records}))
    result = CliRunner().invoke(main, ["policy", "generate", str(EXAMPLE), "--function", "ImageConverterFunction",
                                       "--cloudtrail", str(trail)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def resources_of(document: dict[str, Any], action: str) -> list[str]:
    return sorted(r for st in document["Statement"] if action in st["Action"] for r in st["Resource"])


def test_object_keys_become_their_shared_prefix(tmp_path: Path) -> None:
    document, _ = generate(tmp_path, [
        s3("PutObject", "archive-bkt", "exports/7f3c2a9e-4b1d-4c55-9a0e-2b7f7c1d9e01/report.csv"),
        s3("PutObject", "archive-bkt", "exports/0b5f6d1e-9c8a-4e2b-8f7d-5a4c3b2a1f00/report.csv"),
        s3("DeleteObject", "scratch-bkt", "jobs/daily/2026-11-02/out.json"),
        s3("DeleteObject", "scratch-bkt", "jobs/weekly/out.json"),
    ])
    assert resources_of(document, "s3:PutObject")[-1] == "arn:aws:s3:::archive-bkt/exports/*"
    assert "arn:aws:s3:::scratch-bkt/jobs/*" in resources_of(document, "s3:DeleteObject")
    text = json.dumps(document)
    assert "7f3c2a9e" not in text
    assert "report.csv" not in text


def test_execution_and_log_stream_ids_are_generalised(tmp_path: Path) -> None:
    document, _ = generate(tmp_path, [
        record("DescribeExecution", "states.amazonaws.com", resources=[
            {"ARN": "arn:aws:states:eu-west-1:123456789012:execution:Thumbnails:"
                    "5f0c1c1e-8f55-4a5e-9d77-0c1b2c3d4e5f"}]),
        record("GetItem", "dynamodb.amazonaws.com", resources=[
            {"ARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"}]),
    ])
    assert resources_of(document, "states:DescribeExecution") == [
        "arn:aws:states:eu-west-1:123456789012:execution:Thumbnails:*"]
    # a place, not a request: unchanged
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders" in resources_of(document, "dynamodb:GetItem")


@pytest.mark.parametrize(("arn", "expected"), [
    ("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:2026/11/02/[$LATEST]0123456789abcdef0123",
     "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:*"),
    ("arn:aws:sqs:us-east-1:1:orders-queue", "arn:aws:sqs:us-east-1:1:orders-queue"),
    ("arn:aws:lambda:us-east-1:1:function:resize-images", "arn:aws:lambda:us-east-1:1:function:resize-images"),
    ("arn:aws:dynamodb:us-east-1:1:table/Orders/index/by-customer",
     "arn:aws:dynamodb:us-east-1:1:table/Orders/index/by-customer"),
])
def test_generalise_arn(arn: str, expected: str) -> None:
    assert generalise_arn(arn) == expected


def test_single_key_at_bucket_root_and_unknown_stays_unknown() -> None:
    from faasguard.model import Unknown

    needs = generalise([Need("s3:GetObject", "arn:aws:s3:::b/file.txt", "r", "cloudtrail"),
                        Need("sqs:SendMessage", Unknown("no ARN"), "r", "cloudtrail")])
    assert [str(n.resource) for n in needs if n.action == "s3:GetObject"] == ["arn:aws:s3:::b/*"]
    assert [type(n.resource).__name__ for n in needs if n.action == "sqs:SendMessage"] == ["Unknown"]


def test_size_limits_warned(tmp_path: Path) -> None:
    _, quiet = generate(tmp_path, [s3("GetObject", "one-bkt", "a/b.txt")])
    assert "limit" not in quiet
    tables = [record("PutItem", "dynamodb.amazonaws.com", resources=[
        {"ARN": f"arn:aws:dynamodb:eu-west-1:123456789012:table/customer-orders-archive-{n:03d}"}])
        for n in range(120)]
    document, warnings = generate(tmp_path, tables)
    size = len(json.dumps(document, separators=(",", ":")))
    assert 6_144 < size < 10_240
    assert f"the generated policy is {size:,} characters (whitespace not counted), over IAM's 6,144-character " \
           "limit for a managed policy" in warnings
    assert "10,240" not in warnings
    document, warnings = generate(tmp_path, tables + [
        record("PutItem", "dynamodb.amazonaws.com", resources=[
            {"ARN": f"arn:aws:dynamodb:eu-west-1:123456789012:table/customer-orders-archive-x{n:03d}"}])
        for n in range(120)])
    assert "over IAM's 10,240-character limit for an inline role policy" in warnings
