"""The console report of an audit groups findings by account and region (one unit each); what is global to an
account (an IAM role functions of several regions share) under the account."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from moto_apps import clients, role

from faasguard.cli import main

ACCOUNT = "123456789012"


def test_console_groups_by_account_and_region(moto_endpoint: str, tmp_path: Path) -> None:
    arn = role(clients(moto_endpoint), "shared-role", ["AWSLambdaBasicExecutionRole"],
               {"all": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    for region, name in (("us-east-1", "east-fn"), ("eu-west-1", "west-fn")):
        clients(moto_endpoint, region=region).awslambda.create_function(
            FunctionName=name, Runtime="python3.8", Role=arn, Handler="a.h",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(main, ["audit", "--endpoint-url", moto_endpoint, "--region", "us-east-1",
                                       "--region", "eu-west-1", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 1
    lines = out.read_text().splitlines()
    headers = [line for line in lines if line.startswith("aws:")]
    assert headers == [f"aws:{ACCOUNT}:us-east-1  (live, 1 function)", f"aws:{ACCOUNT}:eu-west-1  (live, 1 function)",
                       f"aws:{ACCOUNT} (global: IAM)"]

    def section(header: str) -> list[str]:
        start = lines.index(header)
        end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
        return lines[start + 1:end]

    east, west, global_ = (section(h) for h in headers)
    assert "  east-fn" in east
    assert not [x for x in east if "west-fn" in x]
    assert "  west-fn" in west
    assert not [x for x in west if "east-fn" in x]
    assert any("FG402" in x for x in east)
    assert any("FG402" in x for x in west)
    # the role's wildcard: under the account, not under a region (each unit reports it for its own function)
    assert sum("FG101" in x for x in lines) == 2
    assert sum("FG101" in x for x in global_) == 2
    assert [x for x in global_ if x.startswith("  ") and not x.startswith("   ")] == ["  east-fn", "  west-fn"]
