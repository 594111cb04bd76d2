"""`faasguard audit` against a moto server over HTTP: parity with the static scan, units, failures."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto_apps import REGION, VULNERABLE, clients, deploy_vulnerable, role

from faasguard.audit import AuditOptions, print_policy, run_audit
from faasguard.audit._code import UnsafeArchive, unpack
from faasguard.audit._collect import _permissions
from faasguard.cli import main
from faasguard.config import Config

ADVISORIES = str(VULNERABLE / ".faasguard" / "advisories")


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _pairs(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    out = set()
    for f in findings:
        functions = f["function"] if isinstance(f["function"], list) else [f["function"]]
        out |= {(f["rule_id"], fn) for fn in functions}
    return out


def _audit_json(endpoint: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "audit.json"
    code, _ = _run(["audit", "--endpoint-url", endpoint, "--region", REGION, "--format", "json", "-o", str(out),
                    *extra])
    return code, json.loads(out.read_text())


def test_vulnerable_app_same_pairs_as_static_scan(moto_endpoint: str, tmp_path: Path) -> None:
    deploy_vulnerable(moto_endpoint)
    code, live = _audit_json(moto_endpoint, tmp_path, "--with-code", "--advisories", ADVISORIES)
    scan_out = tmp_path / "scan.json"
    _run(["scan", str(VULNERABLE), "--format", "json", "-o", str(scan_out)])
    static = json.loads(scan_out.read_text())
    assert code == 1
    assert _pairs(live["findings"]) == _pairs(static["findings"])
    assert len(live["findings"]) == len(static["findings"])
    # located by ARN; code findings by the function's ARN and the file inside the package
    by_rule = {(f["rule_id"], f["resource"]): f for f in live["findings"]}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:"
    assert by_rule[("FG201", "DbAdminFunction")]["location"]["path"] == arn + "DbAdminFunction"
    assert by_rule[("FG503", "DbAdminFunction")]["location"] == {
        **by_rule[("FG503", "DbAdminFunction")]["location"], "path": arn + "DbAdminFunction/app.py", "line": 19}
    assert by_rule[("FG104", "SharedCatchAllRole")]["location"]["path"] == \
        "arn:aws:iam::123456789012:role/SharedCatchAllRole"
    text = json.dumps(live)
    assert "Sup3rS3cretPassw0rd!" not in text  # inspected, never printed
    assert "faasguard-audit-" not in text  # no temporary path leaks into the report
    assert "testing" not in text  # the (dummy) credentials never reach a report
    assert not [d for d in live["diagnostics"] if d["level"] == "error"]


def test_without_code_only_configuration_rules(moto_endpoint: str, tmp_path: Path) -> None:
    deploy_vulnerable(moto_endpoint)
    _, live = _audit_json(moto_endpoint, tmp_path)
    rules = {f["rule_id"] for f in live["findings"]}
    assert {"FG104", "FG201", "FG301", "FG302", "FG303", "FG309", "FG402"} <= rules
    assert not rules & {"FG501", "FG503", "FG601", "FG602"}  # need the package


def test_secure_counterpart_has_no_url_finding(moto_endpoint: str, tmp_path: Path) -> None:
    deploy_vulnerable(moto_endpoint, secure_url=True)
    _, live = _audit_json(moto_endpoint, tmp_path, "--function", "ReportFunction")
    pairs = _pairs(live["findings"])
    assert ("FG302", "ReportFunction") not in pairs
    assert ("FG303", "ReportFunction") in pairs
    assert {fn for _, fn in pairs} == {"ReportFunction"}  # --function filter


def test_url_public_permission_is_fg302_not_fg304() -> None:
    """The statement AWS adds beside a public URL (moto drops its condition, so it is tested here)."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*",
         "Action": "lambda:InvokeFunctionUrl", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
         "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
        {"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
         "Condition": {"StringEquals": {"AWS:SourceAccount": "1"},
                       "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}}]}
    perms = _permissions("f", "arn:aws:lambda:us-east-1:1:function:f", policy, [])
    assert [(p.id, p.principal, p.function_url_auth_type, p.source_arn, p.source_account) for p in perms] == [
        ("f:FunctionURLAllowPublicAccess", "*", "NONE", None, None),
        ("f:s3", "s3.amazonaws.com", None, "arn:aws:s3:::b", "1")]


def test_units_manifest_and_resume(moto_endpoint: str, tmp_path: Path) -> None:
    """Three accounts through AssumeRole; a resumed run redoes no finished unit."""
    accounts = ["111111111111", "222222222222", "333333333333"]
    sts = boto3.client("sts", region_name=REGION, endpoint_url=moto_endpoint)
    lines = []
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/audit", RoleSessionName="setup")["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], region_name=REGION)
        c = clients(moto_endpoint, session)
        arn = role(c, "fn-role", ["AWSLambdaBasicExecutionRole"], {})
        c.awslambda.create_function(FunctionName=f"fn-{account}", Runtime="python3.8", Role=arn, Handler="a.h",
                                    Code={"ZipFile": _zip({"a.py": "def h(e, c): pass\n"})})
        c.iam.create_role(RoleName="audit", AssumeRolePolicyDocument="{}")
        lines.append(f"arn:aws:iam::{account}:role/audit")
    accounts_file = tmp_path / "accounts.txt"
    accounts_file.write_text("# org\n" + "\n".join(lines[:2]) + "\n")
    units = tmp_path / "units"
    base = ["audit", "--endpoint-url", moto_endpoint, "--region", REGION, "--units-dir", str(units),
            "--format", "json", "-o", str(tmp_path / "merged.json"), "--accounts", str(accounts_file)]
    code, _ = _run(base)
    assert code == 1
    manifest = json.loads((units / "manifest.json").read_text())
    assert sorted(manifest["units"]) == [f"{a}/{REGION}" for a in accounts[:2]]
    first = {a: (units / f"{a}-{REGION}.json").stat().st_mtime_ns for a in accounts[:2]}
    unit = json.loads((units / f"111111111111-{REGION}.json").read_text())
    assert _pairs(unit["findings"]) == {("FG402", "fn-111111111111")}
    # the interrupted run is continued with the whole list: only the third account is audited now
    accounts_file.write_text("\n".join(lines) + "\n")
    code, _ = _run([*base, "--resume"])
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert _pairs(merged["findings"]) == {("FG402", "fn-333333333333")}
    assert {a: (units / f"{a}-{REGION}.json").stat().st_mtime_ns for a in accounts[:2]} == first
    assert sorted(json.loads((units / "manifest.json").read_text())["units"]) == [f"{a}/{REGION}" for a in accounts]


def test_access_denied_names_missing_permission(moto_endpoint: str) -> None:
    """A refused call is one aggregated diagnostic naming the IAM action; the unit's other calls still run.
    moto's server does not enforce IAM per request here, so the refusal is botocore's own error for a real
    request, raised by a handler on that request (the call, retries and parsing are real)."""
    from botocore.exceptions import ClientError

    from faasguard.audit._aws import Api, CallLog
    from faasguard.model import Location

    deploy_vulnerable(moto_endpoint)
    api = Api(boto3.Session(region_name=REGION), REGION, moto_endpoint, CallLog())

    def deny(**kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetPolicy")

    api.client("lambda").meta.events.register("before-call.lambda.GetPolicy", deny)
    for name in ("DbAdminFunction", "ReportFunction"):
        assert api.call("lambda", "GetPolicy", name, FunctionName=name) is None
    assert api.call("lambda", "GetFunction", "x", FunctionName="DbAdminFunction") is not None
    diags = api.diagnostics(Location("arn:aws:::123456789012:us-east-1"))
    assert [(d.kind.value, d.level.value) for d in diags] == [("unresolved", "warning")]
    assert diags[0].message.startswith("AccessDeniedException on lambda:GetPolicy for DbAdminFunction, "
                                       "ReportFunction: the audit role lacks lambda:GetPolicy")


def test_unreachable_region_is_a_diagnostic(aws_env: None) -> None:
    run = run_audit(AuditOptions(regions=(REGION,), endpoint_url="http://127.0.0.1:9"), Config())
    assert run.units_done == []
    assert [d.level.value for d in run.result.diagnostics] == ["error"]
    assert "skipped" in run.result.diagnostics[0].message


def _zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_corrupt_zip_is_a_diagnostic_and_the_rest_is_audited(moto_endpoint: str, tmp_path: Path) -> None:
    deploy_vulnerable(moto_endpoint)
    c = clients(moto_endpoint)
    c.s3.put_object(Bucket=f"awslambda-{REGION}-tasks", Key="QueueWorkerFunction.zip", Body=b"PK\x03\x04garbage")
    _, live = _audit_json(moto_endpoint, tmp_path, "--with-code")
    diags = [d for d in live["diagnostics"] if "deployment package" in d["message"]]
    assert [(d["location"]["path"], d["kind"]) for d in diags] == [
        ("arn:aws:lambda:us-east-1:123456789012:function:QueueWorkerFunction", "parse-error")]
    pairs = _pairs(live["findings"])
    assert ("FG501", "ImageConverterFunction") in pairs
    assert ("FG501", "QueueWorkerFunction") not in pairs
    assert ("FG402", "QueueWorkerFunction") in pairs


@pytest.mark.parametrize(("files", "reason"), [
    ({"../evil.py": "x"}, "outside"),
    ({"/abs.py": "x"}, "outside"),
    ({"bomb.bin": b"\0" * (3 * 1024 * 1024)}, "compresses"),
])
def test_unsafe_packages_are_refused(tmp_path: Path, files: dict[str, str | bytes], reason: str) -> None:
    with pytest.raises(UnsafeArchive, match=reason):
        unpack(_zip(files), tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


def test_symlink_member_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        unpack(buffer.getvalue(), tmp_path / "out")


def test_safe_package_unpacks(tmp_path: Path) -> None:
    unpack(_zip({"pkg/app.py": "def handler(e, c): pass\n"}), tmp_path / "out")
    assert (tmp_path / "out" / "pkg" / "app.py").read_text() == "def handler(e, c): pass\n"


def test_print_policy_is_read_only_and_from_the_iam_engine() -> None:
    document = print_policy()
    actions = [a for s in document["Statement"] for a in s["Action"]]  # type: ignore[index, union-attr]
    assert "lambda:GetLayerVersion" in actions
    assert "s3:GetBucketNotification" in actions
    assert "s3:ListAllMyBuckets" in actions
    assert "apigateway:GET" in actions
    assert not [a for a in actions if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update"))]
    assert not [a for a in actions if "unmapped" in a]
    code, out = _run(["audit", "--print-policy"])
    assert code == 0
    assert json.loads(out) == document
    # the README's list of what the policy holds beyond the obvious reads is the policy's
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("- Permissions: the policy `faasguard audit --print-policy`"):]
    section = section[:section.index("\n- ")]
    named = set(re.findall(r"`([a-z0-9-]+:[A-Za-z]+)`", section))
    assert {"s3:GetBucketPublicAccessBlock", "s3:GetAccountPublicAccessBlock", "ecr:DescribeRepositories",
            "lambda:ListCodeSigningConfigs", "lambda:GetFunctionConcurrency"} <= named
    assert named <= set(actions)
