"""Settings the exposure and supply-chain rules read, collected live from moto: S3 Block Public Access (bucket
and account) and ACLs, ECR scan on push, tag mutability and the registry scanning configuration."""

from __future__ import annotations

import json

import boto3
from moto_apps import REGION, clients, role

from faasguard.audit import AuditOptions, run_audit
from faasguard.audit._collect import calls_made
from faasguard.config import Config
from faasguard.findings import Finding

ACCOUNT = "123456789012"


def _audit(endpoint: str) -> list[Finding]:
    run = run_audit(AuditOptions(regions=(REGION,), endpoint_url=endpoint), Config())
    assert run.units_done == [(ACCOUNT, REGION)]
    # every call made is one `--print-policy` knows, so the printed policy covers the audit
    assert set(run.calls.counts) <= set(calls_made())
    return run.result.findings


def _fed_by_bucket(endpoint: str, bucket: str, *, policy: bool = True) -> None:
    """Function `ingest`, fired by `bucket`, whose policy (when `policy`) lets anyone put objects."""
    c = clients(endpoint)
    arn = role(c, "ingest-role", ["AWSLambdaBasicExecutionRole"], {})
    fn = c.awslambda.create_function(FunctionName="ingest", Runtime="python3.12", Role=arn, Handler="a.h",
                                     Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})["FunctionArn"]
    c.s3.create_bucket(Bucket=bucket)
    if policy:
        c.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Drop", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    c.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "New", "LambdaFunctionArn": fn, "Events": ["s3:ObjectCreated:*"]}]})


def _fg403(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.resource, f.location.path, f.message) for f in findings if f.rule_id == "FG403"]


def test_public_bucket_policy_makes_the_function_public(moto_endpoint: str) -> None:
    _fed_by_bucket(moto_endpoint, "drop")
    assert _fg403(_audit(moto_endpoint)) == [
        ("ingest", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ingest",
         "function ingest is reachable through its s3 trigger drop:New from bucket drop, which lets anyone write "
         "objects (drop line 1) and has no reserved concurrency")]


def test_bucket_block_public_access_voids_the_policy(moto_endpoint: str) -> None:
    _fed_by_bucket(moto_endpoint, "drop")
    clients(moto_endpoint).s3.put_public_access_block(Bucket="drop", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True})
    assert _fg403(_audit(moto_endpoint)) == []


def test_account_block_public_access_voids_the_policy(moto_endpoint: str) -> None:
    _fed_by_bucket(moto_endpoint, "drop")
    from faasguard.audit._aws import Api, CallLog

    # the audit's own client: it sends S3 Control requests to a local endpoint as given (no account host prefix)
    s3control = Api(boto3.Session(region_name=REGION), REGION, moto_endpoint, CallLog()).client("s3control")
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    assert _fg403(_audit(moto_endpoint)) == []


def test_public_write_acl_makes_the_function_public(moto_endpoint: str) -> None:
    _fed_by_bucket(moto_endpoint, "drop", policy=False)
    c = clients(moto_endpoint)
    # an explicit grant (moto's canned public-read-write stores READ only): everyone may write objects
    c.s3.put_bucket_acl(Bucket="drop", GrantWrite='uri="http://acs.amazonaws.com/groups/global/AllUsers"',
                        GrantFullControl=f"id={c.s3.get_bucket_acl(Bucket='drop')['Owner']['ID']}")
    assert [(r, m.split(" from ")[1]) for r, _, m in _fg403(_audit(moto_endpoint))] == [
        ("ingest", "bucket drop, which lets anyone write objects (canned ACL public-read-write, line 1) and has "
                   "no reserved concurrency")]
    c.s3.put_public_access_block(Bucket="drop", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    assert _fg403(_audit(moto_endpoint)) == []


def test_private_bucket_reads_no_block_public_access(moto_endpoint: str) -> None:
    """Nothing public for Block Public Access to void: it is not read (one call per bucket saved)."""
    _fed_by_bucket(moto_endpoint, "drop", policy=False)
    run = run_audit(AuditOptions(regions=(REGION,), endpoint_url=moto_endpoint), Config())
    assert _fg403(run.result.findings) == []
    assert ("s3", "GetPublicAccessBlock") not in run.calls.counts
    assert run.calls.counts[("s3", "GetBucketAcl")] == 1


def test_ecr_repositories_and_registry_scanning(moto_endpoint: str) -> None:
    ecr = clients(moto_endpoint).ecr
    ecr.create_repository(repositoryName="orders")
    ecr.create_repository(repositoryName="payments", imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True})
    ecr.create_repository(repositoryName="reports", imageTagMutability="IMMUTABLE")
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/"
    fg605 = sorted((f.resource, f.location.path, f.severity.value, f.message)
                   for f in _audit(moto_endpoint) if f.rule_id == "FG605")
    assert fg605 == [
        ("orders", repo + "orders", "medium",
         "ECR repository orders has scan on push turned off and has ImageTagMutability MUTABLE"),
        ("reports", repo + "reports", "medium", "ECR repository reports has scan on push turned off")]
    # a registry rule scanning `rep*` on push covers reports (and not orders)
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "rep*", "filterType": "WILDCARD"}]}])
    fg605 = sorted((f.resource, f.message) for f in _audit(moto_endpoint) if f.rule_id == "FG605")
    assert fg605 == [("orders", "ECR repository orders has scan on push turned off and has ImageTagMutability "
                                "MUTABLE")]
