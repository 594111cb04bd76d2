"""ECS services and SSM parameter metadata read from moto; CloudTrail LookupEvents records → observed needs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_apps import REGION, clients, role

from faasguard.audit import AuditOptions, run_audit
from faasguard.audit._aws import Api, CallLog
from faasguard.audit._trail import lookup_records, observed
from faasguard.config import Config
from faasguard.findings import Diagnostic
from faasguard.model import Application, Function, Location, SourceKind

ECS_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def test_ecs_services_in_use_and_ssm_metadata(moto_endpoint: str) -> None:
    c = clients(moto_endpoint)
    task_role = c.iam.create_role(RoleName="web-task", AssumeRolePolicyDocument=json.dumps(ECS_TRUST))["Role"]["Arn"]
    c.iam.put_role_policy(RoleName="web-task", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    c.ecs.create_cluster(clusterName="prod")
    used = c.ecs.register_task_definition(family="web", taskRoleArn=task_role, containerDefinitions=[
        {"name": "app", "image": "nginx:latest", "privileged": True, "memory": 256}])["taskDefinition"]
    # registered but run by no service: not in use, not audited
    c.ecs.register_task_definition(family="unused", containerDefinitions=[
        {"name": "x", "image": "busybox:1", "privileged": True, "memory": 64}])
    c.ecs.create_service(cluster="prod", serviceName="web", taskDefinition=used["taskDefinitionArn"],
                         desiredCount=1)
    key = c.kms.create_key()["KeyMetadata"]["KeyId"]
    c.ssm.put_parameter(Name="/prod/db/password", Value="hunter2-very-secret", Type="SecureString", KeyId=key)
    c.ssm.put_parameter(Name="/prod/feature", Value="on", Type="String")

    run = run_audit(AuditOptions(regions=(REGION,), endpoint_url=moto_endpoint), Config())
    app = run.result.apps[0]
    assert [(x.id, x.task, x.task_role, x.location.path) for x in app.containers] == [
        ("web/app", "web", "web-task", used["taskDefinitionArn"])]
    pairs = {(f.rule_id, f.resource) for f in run.result.findings}
    assert {("FG701", "web/app"), ("FG702", "web/app"), ("FG604", "web/app"), ("FG101", "web-task")} <= pairs
    assert not {r for r, res in pairs if res.startswith("unused")}
    params = {r.name: r.properties["live"] for r in app.resources if r.type == "AWS::SSM::Parameter"}
    assert params["/prod/db/password"]["type"] == "SecureString"
    assert params["/prod/db/password"]["kms_key"] is not None
    assert params["/prod/feature"] == {**params["/prod/feature"], "type": "String"}
    assert "hunter2" not in repr(app)  # metadata only: DescribeParameters, never GetParameter
    assert ("ssm", "GetParameter") not in run.calls.counts
    assert ("ecs", "DescribeServices") in run.calls.counts


def test_cloudtrail_days_on_moto_is_a_note_not_a_crash(moto_endpoint: str) -> None:
    """moto does not implement LookupEvents: the audit says so and adds no usage."""
    c = clients(moto_endpoint)
    arn = role(c, "fn-role", ["AWSLambdaBasicExecutionRole"], {})
    c.awslambda.create_function(FunctionName="fn", Runtime="python3.12", Role=arn, Handler="a.h",
                                Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})
    run = run_audit(AuditOptions(regions=(REGION,), endpoint_url=moto_endpoint, cloudtrail_days=7), Config())
    notes = [d.message for d in run.result.diagnostics if "LookupEvents" in d.message]
    assert len(notes) == 1
    assert "no observed usage" in notes[0]
    assert run.units_done == [("123456789012", REGION)]


def _event(name: str, source: str, role_name: str, arn: str) -> dict[str, Any]:
    """A LookupEvents item: the full record as CloudTrail writes it, as a JSON string."""
    record = {"eventVersion": "1.08", "eventTime": "2026-11-30T10:00:00Z", "eventSource": source,
              "eventName": name, "awsRegion": REGION, "resources": [{"ARN": arn}],
              "userIdentity": {"type": "AssumedRole",
                               "arn": f"arn:aws:sts::123456789012:assumed-role/{role_name}/{role_name}-fn",
                               "sessionContext": {"sessionIssuer": {
                                   "type": "Role", "userName": role_name,
                                   "arn": f"arn:aws:iam::123456789012:role/{role_name}"}}}}
    return {"EventId": name, "EventName": name, "CloudTrailEvent": json.dumps(record)}


_PAGES: dict[str | None, tuple[list[dict[str, Any]], str | None]] = {
    None: ([_event("GetSecretValue", "secretsmanager.amazonaws.com", "ReportRole",
                   "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")], "p2"),
    "p2": ([_event("PutItem", "dynamodb.amazonaws.com", "ReportRole",
                   "arn:aws:dynamodb:us-east-1:123456789012:table/orders"),
            _event("DeleteTable", "dynamodb.amazonaws.com", "OtherRole",
                   "arn:aws:dynamodb:us-east-1:123456789012:table/orders")], None)}


class _LookupEvents(BaseHTTPRequestHandler):
    """CloudTrail's JSON protocol for LookupEvents, two pages (botocore does the request, paging, parsing)."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        assert str(self.headers["X-Amz-Target"]).endswith(".LookupEvents")
        events, token = _PAGES[body.get("NextToken")]
        payload = json.dumps({"Events": events, **({"NextToken": token} if token else {})}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def trail_endpoint(aws_env: None) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LookupEvents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_lookup_events_become_needs_of_the_function(trail_endpoint: str, tmp_path: Path) -> None:
    log = CallLog()
    api = Api(boto3.Session(region_name=REGION), REGION, trail_endpoint, log)
    diagnostics: list[Diagnostic] = []
    records = lookup_records(api, 7, diagnostics, Location("unit"))
    assert len(records) == 3
    assert not diagnostics
    assert log.counts[("cloudtrail", "LookupEvents")] == 2
    app = Application("aws:1:r", SourceKind.LIVE, "", (), functions=(
        Function("Report", Location("arn:fn"), name="Report", role="ReportRole"),))
    needs = observed(app, records, 7)
    assert sorted((n.action, n.resource) for n in needs["Report"]) == [
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders"),
        ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")]
    # the page cap is a diagnostic: partial usage is never presented as complete
    capped: list[Diagnostic] = []
    assert len(lookup_records(api, 7, capped, Location("unit"), max_pages=1)) == 1
    assert "stopped after 1 pages" in capped[0].message
