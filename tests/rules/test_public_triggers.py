"""RULES.md "Public trigger", second half: a bucket, queue or topic others can write to makes the functions it
triggers public (FG403, FG405 and every rule that reads `public_reasons`).

The fixtures mark expectations like the per-rule fixtures do (`# expect: FG403 SendReceiptFunction` on the
line the finding must point at); `neg.yaml` holds look-alikes (Block Public Access, restricting conditions,
service principals, an unresolved principal, a disabled ACL) that must stay quiet, and the mutation tests
below show each of them is quiet *because of* the detail that makes it safe: remove it and the function is
public again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faasguard.analysis.public_sources import open_source_reason, trigger_source
from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.model import Application, BucketSettings, PublicAccessBlock, ResourceCategory, TriggerKind, Unknown
from faasguard.pipeline import load_sources, scan
from faasguard.rules._common import public_reasons

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules" / "public_triggers"
POS = FIXTURES / "pos.yaml"
NEG = FIXTURES / "neg.yaml"
RULES = ("FG403", "FG405")
_MARK = re.compile(r"#\s*expect:\s*(FG\d{3})\s+(\S+)")


def expected(path: Path, rule_id: str) -> set[tuple[str, str, int]]:
    text = path.read_text()
    return {(m.group(1), m.group(2), number) for number, line in enumerate(text.splitlines(), start=1)
            for m in _MARK.finditer(line) if m.group(1) == rule_id}


def run(path: Path, rule_id: str) -> list[Finding]:
    result = scan([str(path)], Config(select=(rule_id,), severity=Severity.INFO), cwd=path.parent)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if f.rule_id == rule_id]


def found(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.resource, f.location.line) for f in findings}


def load(path: Path) -> Application:
    result = load_sources([str(path)], Config(), cwd=path.parent)
    assert len(result.apps) == 1, result.diagnostics
    return result.apps[0]


def line_of(path: Path, text: str) -> int:
    lines = path.read_text().splitlines()
    matches = [n for n, line in enumerate(lines, start=1) if text in line]
    assert len(matches) == 1, (text, matches)
    return matches[0]


# ----------------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize("rule_id", RULES)
def test_positive(rule_id: str) -> None:
    want = expected(POS, rule_id)
    assert len(want) == 4
    findings = run(POS, rule_id)
    assert found(findings) == want
    assert len(findings) == len(want)


@pytest.mark.parametrize("rule_id", RULES)
def test_negative(rule_id: str) -> None:
    assert run(NEG, rule_id) == []


def test_fg311_reports_each_open_source_on_its_statement() -> None:
    """FG311 says it about the source (the node to change), on the statement or ACL that opens it."""
    want = expected(POS, "FG311")
    assert len(want) == 4
    findings = run(POS, "FG311")
    assert found(findings) == want
    by_resource = {f.resource: f for f in findings}
    assert by_resource["OrdersQueue"].function == "OrderWorkerFunction"
    assert by_resource["ReceiptsBucket"].message.startswith(
        "bucket ReceiptsBucket lets anyone write objects to it (ReceiptsBucketPolicy line 24) and triggers "
        "SendReceiptFunction")
    assert all(f.severity is Severity.HIGH for f in findings)


def test_fg311_negatives() -> None:
    """Of the look-alikes only OpenQueue is public (its function is capped and traced, which FG403/FG405 care
    about and FG311 does not): the source is still open to anyone."""
    line = line_of(NEG, "Queues: [!Ref OpenQueue]") + 3
    assert found(run(NEG, "FG311")) == {("FG311", "OpenQueue", line)}


def test_messages_name_the_source_and_the_policy_line() -> None:
    messages = {f.resource: f.message for f in run(POS, "FG403")}
    bucket_line = line_of(POS, "- Sid: PublicWrite")
    assert ("s3 trigger SendReceiptFunction.Upload from bucket ReceiptsBucket, which lets anyone write objects "
            f"(ReceiptsBucketPolicy line {bucket_line})") in messages["SendReceiptFunction"]
    queue_line = line_of(POS, 'Principal: {AWS: "*"}') - 1
    assert f"queue OrdersQueue, which lets anyone send messages (OrdersQueueOpenPolicy line {queue_line})" \
        in messages["OrderWorkerFunction"]
    assert "topic AlertsTopic, which lets anyone publish (AlertsTopicPolicy line" in messages["AlertFunction"]
    acl_line = line_of(POS, "AccessControl: PublicReadWrite")
    assert f"bucket DropBoxBucket, which lets anyone write objects (canned ACL public-read-write, line {acl_line})" \
        in messages["DropBoxFunction"]


def test_every_negative_source_is_found_and_judged_private() -> None:
    """The negatives are quiet because their policies were read and judged, not because a source was missed."""
    app = load(NEG)
    source_triggers = [t for t in app.triggers if t.kind in (TriggerKind.S3, TriggerKind.SQS, TriggerKind.SNS)]
    assert len(source_triggers) == 10
    for trigger in source_triggers:
        resource = trigger_source(app, trigger)
        assert resource is not None, trigger.id
        if resource.id != "OwnerEnforcedBucket":
            assert resource.resource_policy is not None, resource.id
            assert resource.resource_policy.statements, resource.id
        expected_public = resource.id == "OpenQueue"  # capped and traced, so the rules are quiet anyway
        assert (open_source_reason(app, trigger) is not None) is expected_public, trigger.id
    assert set(public_reasons(app)) == {"CappedWorkerFunction"}


# Each neutralising detail of neg.yaml, removed or reversed, makes its function public.
_BLOCKED = ("      PublicAccessBlockConfiguration:\n        BlockPublicAcls: true\n        BlockPublicPolicy: true\n"
            "        IgnorePublicAcls: true\n        RestrictPublicBuckets: true\n\n  BlockedBucketPolicy")
MUTATIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("BlockedFunction", [(_BLOCKED, "\n  BlockedBucketPolicy")]),
    ("BlockedFunction", [(_BLOCKED, _BLOCKED.replace("Policy: true", "Policy: false")
                          .replace("RestrictPublicBuckets: true", "RestrictPublicBuckets: false"))]),
    ("RestrictedFunction", [("RestrictPublicBuckets: true\n\n  RestrictedBucketPolicy",
                             "RestrictPublicBuckets: false\n\n  RestrictedBucketPolicy")]),
    ("AccountFunction", [("StringEquals: {aws:SourceAccount", "StringNotEquals: {aws:SourceAccount")]),
    ("ReadOnlyFunction", [("IpAddress: {aws:SourceIp: 10.0.0.0/8}", "IpAddress: {aws:SourceIp: 0.0.0.0/0}")]),
    ("ReadOnlyFunction", [("StringEquals: {aws:PrincipalOrgID: o-exampleorg1}",
                           "StringEqualsIfExists: {aws:PrincipalOrgID: o-exampleorg1}")]),
    ("EndpointFunction", [("StringNotEquals: {aws:SourceVpce: vpce-0123456789abcdef0}",
                           'Bool: {aws:SecureTransport: "false"}')]),
    ("OwnerEnforcedFunction", [("- ObjectOwnership: BucketOwnerEnforced", "- ObjectOwnership: ObjectWriter")]),
    ("FanoutWorkerFunction", [("ArnEquals: {aws:SourceArn: !Ref EventsTopic}", 'ArnLike: {aws:SourceArn: "*"}')]),
    ("EventsFunction", [("Principal: {Service: events.amazonaws.com}", 'Principal: "*"')]),
    ("PartnerWorkerFunction", [("Principal: {AWS: !Ref PartnerPrincipal}", 'Principal: {AWS: "*"}')]),
]


@pytest.mark.parametrize(("function", "edits"), MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_negative_made_public(tmp_path: Path, function: str, edits: list[tuple[str, str]]) -> None:
    text = NEG.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    assert function in public_reasons(load(path))
    assert {f.resource for f in run(path, "FG403")} == {function}
    opened = {f.function for f in run(path, "FG311")}
    assert opened == {function, "CappedWorkerFunction"}


def test_unresolved_block_public_access_is_not_read_as_off(tmp_path: Path) -> None:
    """A Block Public Access flag we cannot resolve may block: never guess public."""
    text = NEG.read_text().replace("Parameters:\n", "Parameters:\n  Block:\n    Type: String\n", 1)
    text = text.replace(_BLOCKED, _BLOCKED.replace("BlockPublicPolicy: true", "BlockPublicPolicy: !Ref Block")
                        .replace("RestrictPublicBuckets: true", "RestrictPublicBuckets: false"))
    assert "BlockPublicPolicy: !Ref Block" in text
    path = tmp_path / "template.yaml"
    path.write_text(text)
    assert "BlockedFunction" not in public_reasons(load(path))


def test_http_reason_wins_over_source_reason(tmp_path: Path) -> None:
    """A function public both ways keeps the HTTP reason, so existing messages do not change."""
    text = POS.read_text().replace(
        "        Upload:\n          Type: S3\n",
        "        Web:\n          Type: HttpApi\n          Properties: {Path: /r, Method: post}\n"
        "        Upload:\n          Type: S3\n", 1)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    assert public_reasons(load(path))["SendReceiptFunction"] == "HTTP API route POST /r with no authorization"


def test_source_named_by_arn(tmp_path: Path) -> None:
    """A trigger naming its queue by a literal ARN still finds the queue of the template by its name."""
    path = tmp_path / "template.yaml"
    path.write_text("""\
Transform: AWS::Serverless-2016-10-31
Resources:
  Inbox:
    Type: AWS::SQS::Queue
    Properties: {QueueName: inbox}
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: ["https://sqs.eu-west-1.amazonaws.com/111122223333/inbox"]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: "*", Action: "sqs:*", Resource: "*"}
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): pass"
      Events:
        Mail:
          Type: SQS
          Properties: {Queue: "arn:aws:sqs:eu-west-1:111122223333:inbox"}
""")
    app = load(path)
    trigger = app.triggers[0]
    resource = trigger_source(app, trigger)
    assert resource is not None
    assert resource.id == "Inbox"
    # The policy names the queue by a URL that is not built from this template: it is not attached (never
    # guessed), so the queue has no policy we can see and the function is not public.
    assert resource.resource_policy is None
    assert public_reasons(app) == {}


# ---------------------------------------------------------------------------------------------- loader


def test_loader_merges_policies_and_locates_statements() -> None:
    app = load(POS)
    queue = next(r for r in app.resources if r.id == "OrdersQueue")
    assert queue.category is ResourceCategory.QUEUE
    policy = queue.resource_policy
    assert policy is not None
    assert policy.unresolved is None
    # Both QueuePolicy resources name the queue: statements merged in template order, each located in its own.
    assert [s.location.logical_id for s in policy.statements] == ["OrdersQueueFanoutPolicy", "OrdersQueueOpenPolicy"]
    assert [s.principals for s in policy.statements] == [{"Service": ("sns.amazonaws.com",)}, {"AWS": ("*",)}]
    first_doc = line_of(POS, "Principal: {Service: sns.amazonaws.com}") - 2  # the document's `Statement:` line
    assert policy.location.line == first_doc
    assert queue.loc("resource_policy").line == first_doc

    bucket = next(r for r in app.resources if r.id == "ReceiptsBucket")
    assert bucket.resource_policy is not None
    (stmt,) = bucket.resource_policy.statements
    assert stmt.location.line == line_of(POS, "- Sid: PublicWrite")
    assert stmt.actions == ("s3:PutObject", "s3:GetObject")
    assert stmt.resources == ("arn:aws:s3:::receipts-${AWS::AccountId}/*",)
    assert stmt.conditions == {"Bool": {"aws:SecureTransport": ("true",)}}

    topic = next(r for r in app.resources if r.id == "AlertsTopic")
    assert topic.resource_policy is not None
    assert topic.resource_policy.statements[0].actions == ("sns:*",)
    drop_box = next(r for r in app.resources if r.id == "DropBoxBucket")
    assert drop_box.resource_policy is None
    assert drop_box.properties["AccessControl"] == "PublicReadWrite"


def test_loader_skips_policies_of_undeployed_resources(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("""\
Conditions:
  Never: !Equals [a, b]
Resources:
  Topic:
    Type: AWS::SNS::Topic
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Condition: Never
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument: {Statement: [{Effect: Allow, Principal: "*", Action: sns:Publish, Resource: "*"}]}
  BadPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: 42
      PolicyDocument: not a document
""")
    result = load_sources([str(path)], Config(), cwd=tmp_path)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    (app,) = result.apps
    (topic,) = app.resources
    assert topic.resource_policy is None


# ----------------------------------------------------------------------------- Terraform-shaped models
# The Terraform loader folds bucket/queue/topic policies and the S3 settings kept in separate resources into
# the target resource (end to end: tests/loaders/test_terraform_public.py). These tests pin, independently of
# that loader, the contract the rules read: the policy document on the target `Resource.resource_policy`
# (statements located in the policy resource, logical id = its address), and the bucket's typed
# `BucketSettings` (canned ACL, Block Public Access flags, object ownership).


def _tf_app(settings: BucketSettings, policy: str | None) -> Application:
    from faasguard.loaders.terraform import policy_document
    from faasguard.model import Function, Location, Resource, SourceKind, Trigger

    where = Location("main.tf", 20, 1, logical_id="aws_s3_bucket_policy.uploads")
    bucket = Resource(
        id="aws_s3_bucket.uploads", location=Location("main.tf", 1, 1, logical_id="aws_s3_bucket.uploads"),
        field_locations={"bucket.acl": Location("main.tf", 3, 3)}, type="aws_s3_bucket",
        category=ResourceCategory.BUCKET, name="uploads", bucket=settings,
        resource_policy=policy_document(policy, where) if policy is not None else None)
    fn = Function(id="aws_lambda_function.thumbs", location=Location("main.tf", 40, 1))
    trigger = Trigger(id="aws_s3_bucket_notification.uploads", location=Location("main.tf", 50, 1),
                      kind=TriggerKind.S3, function=fn.id, source=bucket.id)
    return Application(name="main.tf", source=SourceKind.TERRAFORM, root=".", files=("main.tf",),
                       functions=(fn,), triggers=(trigger,), resources=(bucket,))


_OPEN = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject", ' \
        '"Resource": "arn:aws:s3:::uploads/*"}]}'


@pytest.mark.parametrize(("settings", "policy", "public"), [
    (BucketSettings(), _OPEN, True),
    (BucketSettings(public_access_block=PublicAccessBlock(block_public_policy=True)), _OPEN, False),
    (BucketSettings(public_access_block=PublicAccessBlock(restrict_public_buckets=True)), _OPEN, False),
    (BucketSettings(public_access_block=PublicAccessBlock(block_public_acls=True, ignore_public_acls=True)), _OPEN,
     True),
    (BucketSettings(public_access_block=Unknown("var.block")), _OPEN, False),
    (BucketSettings(public_access_block=PublicAccessBlock(block_public_policy=Unknown("var.block"))), _OPEN,
     False),
    (BucketSettings(acl="public-read-write"), None, True),
    (BucketSettings(acl="public-read"), None, False),
    (BucketSettings(acl="public-read-write", public_access_block=PublicAccessBlock(ignore_public_acls=True)),
     None, False),
    (BucketSettings(acl="public-read-write", object_ownership="BucketOwnerEnforced"), None, False),
])
def test_bucket_settings_judged(settings: BucketSettings, policy: str | None, public: bool) -> None:
    """The judgement reads only the typed `BucketSettings`, whichever source format filled them."""
    reasons = public_reasons(_tf_app(settings, policy))
    assert ("aws_lambda_function.thumbs" in reasons) is public
    if public:
        why = reasons["aws_lambda_function.thumbs"]
        assert why.startswith("s3 trigger aws_s3_bucket_notification.uploads from bucket aws_s3_bucket.uploads, "
                              "which lets anyone write objects (")
        want = "aws_s3_bucket_policy.uploads line 20" if policy else "canned ACL public-read-write, line 3"
        assert want in why
