"""`faasguard policy generate --from-account`: least privilege for a deployed function, from its downloaded code
and the live configuration, against a moto server over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from moto_apps import REGION, VULNERABLE, deploy_vulnerable

from faasguard.cli import main

ACCOUNT = "123456789012"


def _generate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["policy", "generate", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _statements(document: dict[str, Any]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [(tuple(s["Action"]), tuple(s["Resource"])) for s in document["Statement"]]


def test_live_policy_has_the_code_needs_with_real_arns(moto_endpoint: str) -> None:
    deploy_vulnerable(moto_endpoint)
    code, out, err = _generate("--from-account", "--function", "DbAdminFunction", "--endpoint-url", moto_endpoint,
                               "--region", REGION)
    assert code == 0, err
    live = json.loads(out)
    log = f"arn:aws:logs:{REGION}:{ACCOUNT}"
    assert _statements(live) == [
        (("dynamodb:PutItem",), (f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/AuditTable",)),
        (("ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
          "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses"), ("*",)),
        (("logs:CreateLogGroup",), (f"{log}:*",)),
        (("logs:CreateLogStream", "logs:PutLogEvents"), (f"{log}:log-group:/aws/lambda/DbAdminFunction:*",)),
    ]
    # the same actions as the policy generated from the template the function was deployed from
    static_code, static_out, _ = _generate(str(VULNERABLE), "--function", "DbAdminFunction")
    assert static_code == 0
    assert [a for a, _ in _statements(json.loads(static_out))] == [a for a, _ in _statements(live)]
    assert "was not analysed" not in err
    assert "testing" not in out + err  # the (dummy) credentials never reach the output


def test_live_policy_adds_trail_usage(moto_endpoint: str, tmp_path: Path) -> None:
    deploy_vulnerable(moto_endpoint)
    record = {"eventVersion": "1.08", "eventTime": "2026-11-30T10:00:00Z", "eventSource": "sqs.amazonaws.com",
              "eventName": "SendMessage", "awsRegion": REGION,
              "resources": [{"ARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:JobsQueue"}],
              "userIdentity": {"type": "AssumedRole",
                               "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ReportFunctionRole/ReportFunction",
                               "sessionContext": {"sessionIssuer": {
                                   "type": "Role", "userName": "ReportFunctionRole",
                                   "arn": f"arn:aws:iam::{ACCOUNT}:role/ReportFunctionRole"}}}}
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": [record]}))
    code, out, err = _generate("--from-account", "--function", "ReportFunction", "--endpoint-url", moto_endpoint,
                               "--region", REGION, "--cloudtrail", str(trail), "--cloudtrail-days", "7")
    assert code == 0, err
    pairs = {(a, r) for s in json.loads(out)["Statement"] for a in s["Action"] for r in s["Resource"]}
    assert ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:JobsQueue") in pairs  # observed in the trail
    assert ("s3:GetObject", "arn:aws:s3:::acme-reports/*") in pairs  # from the downloaded code
    # moto has no LookupEvents: said so (the usage is missing, not empty), and the trail file still counts
    assert "cloudtrail:LookupEvents failed (500); no observed usage of the last 7 days was added" in err


def test_unknown_live_function_is_a_usage_error(moto_endpoint: str) -> None:
    deploy_vulnerable(moto_endpoint)
    code, out, err = _generate("--from-account", "--function", "NoSuchFunction", "--endpoint-url", moto_endpoint,
                               "--region", REGION)
    assert (code, out) == (2, "")
    assert f"no function 'NoSuchFunction' in {ACCOUNT}/{REGION}" in err


def test_account_options_need_from_account(tmp_path: Path) -> None:
    code, _, err = _generate(str(VULNERABLE), "--function", "DbAdminFunction", "--region", REGION)
    assert code == 2
    assert "--region only apply with --from-account" in err
    code, _, err = _generate("--function", "DbAdminFunction")
    assert code == 2
    assert "give a PATH" in err
    code, _, err = _generate(str(VULNERABLE), "--from-account", "--function", "DbAdminFunction")
    assert code == 2
    assert "give no PATH" in err


def test_unreachable_account_exits_3(aws_env: None) -> None:
    code, out, err = _generate("--from-account", "--function", "f", "--endpoint-url", "http://127.0.0.1:9",
                               "--region", REGION)
    assert (code, out) == (3, "")
    assert "could not be read" in err
