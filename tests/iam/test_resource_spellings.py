"""One resource, two spellings: a need built from a handler's literal name (or an environment variable holding
it) and a grant written through the template's own reference are the same resource, so FG108 (missing
permission) stays quiet; a grant that really is missing is still reported at the function's role line."""

from __future__ import annotations

from pathlib import Path

from tests._helpers import line_of, run

from faasguard.analysis.iam.facts import Need
from faasguard.analysis.iam.least_privilege import equivalent_arns, need_covered
from faasguard.config import Config
from faasguard.model import (
    Application,
    Function,
    Location,
    Resource,
    ResourceCategory,
    SourceKind,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "iam"
PART = "${AWS::Partition}"


# ------------------------------------------------------------------------------------ fixtures, end to end

def test_sam_literal_names_and_topic_reference_are_the_granted_resources() -> None:
    """Uploader names its bucket and table literally and publishes to `!Ref Alerts` (the topic's ARN) while
    SAM's SNSPublishMessagePolicy grants on the topic's name: all granted, no FG108. Archiver writes to a bucket
    its role does not grant: FG108 at its `Role:` line, naming that bucket only."""
    root = FIXTURES / "literal-names-sam"
    findings = run(root, "FG108")
    assert [(f.rule_id, f.resource, f.location.line) for f in findings] == [
        ("FG108", "Archiver", line_of(root / "template.yaml", "Role: !GetAtt ArchiverRole.Arn"))]
    assert "s3:PutObject on arn:${AWS::Partition}:s3:::northwind-cold-0412/*" in findings[0].message
    assert "photos" not in findings[0].message


def test_terraform_literal_names_are_the_granted_resources() -> None:
    """uploader reaches `aws_s3_bucket.photos` and `aws_dynamodb_table.ledger` through environment variables
    holding their literal names; the grants are `${aws_s3_bucket.photos.arn}/*` and
    `arn:aws:dynamodb:*:*:table/${aws_dynamodb_table.ledger.name}`: no FG108. archiver writes to the cold
    bucket by literal name without a grant: FG108 at its `role` line."""
    root = FIXTURES / "literal-names-tf"
    findings = run(root, "FG108")
    role_line = line_of(root / "main.tf", "role          = aws_iam_role.archiver.arn")
    assert [(f.rule_id, f.resource, f.location.line) for f in findings] == [
        ("FG108", "aws_lambda_function.archiver", role_line)]
    assert "northwind-cold-tf" in findings[0].message
    assert "photos" not in findings[0].message


def test_grant_with_unresolved_resource_is_not_a_missing_permission() -> None:
    """The S3 read grant names the bucket through a parameter without a default (Unknown): whether it covers
    the triggering bucket cannot be told, so only the table write, which no grant mentions, is FG108."""
    root = FIXTURES / "unresolved-grant"
    findings = run(root, "FG108")
    assert [(f.rule_id, f.resource, f.location.line) for f in findings] == [
        ("FG108", "Reader", line_of(root / "template.yaml", "      Policies:"))]
    assert "dynamodb:PutItem" in findings[0].message
    assert "s3:" not in findings[0].message


def test_unresolved_grant_makes_the_need_undecidable_not_covered() -> None:
    from faasguard import pipeline
    from faasguard.analysis import iam as iam_engine
    from faasguard.facts import Facts

    root = FIXTURES / "unresolved-grant"
    loaded = pipeline.load_sources([str(root)], Config(), cwd=root)
    app = loaded.apps[0]
    facts = iam_engine.enrich(app, Config(), Facts(), [])
    ra = facts.iam.role_of("Reader") if facts.iam else None
    assert ra is not None
    need = Need("s3:GetObject", f"arn:{PART}:s3:::${{Inbox}}/*", "test", "code", Location("app.py", 1))
    assert need_covered(ra, need, app) is None
    other = Need("dynamodb:PutItem", f"arn:{PART}:dynamodb:us-east-1:123456789012:table/x", "test", "code",
                 Location("app.py", 1))
    assert need_covered(ra, other, app) is False


# ---------------------------------------------------------------------------------- equivalent_arns

def _app(*resources: Resource, functions: tuple[Function, ...] = ()) -> Application:
    return Application("t", SourceKind.TERRAFORM, ".", ("main.tf",), functions=functions, resources=resources)


def _bucket(rid: str, name: str) -> Resource:
    return Resource(id=rid, location=Location("main.tf", 1), type="aws_s3_bucket", category=ResourceCategory.BUCKET,
                    name=name, arn=f"arn:{PART}:s3:::${{{rid}.id}}")


def test_literal_bucket_name_in_a_module_is_its_terraform_reference() -> None:
    app = _app(_bucket("module.store.aws_s3_bucket.b", "acme-store"))
    forms = equivalent_arns(f"arn:{PART}:s3:::acme-store/reports/*", app)
    assert f"arn:{PART}:s3:::${{module.store.aws_s3_bucket.b.id}}/reports/*" in forms
    assert "${module.store.aws_s3_bucket.b.arn}/reports/*" in forms
    assert f"arn:{PART}:s3:::${{module.store.aws_s3_bucket.b.bucket}}/reports/*" in forms
    # and the other way round: a need on the reference is the literal name
    assert "arn:${AWS::Partition}:s3:::acme-store/*" in equivalent_arns(
        "${module.store.aws_s3_bucket.b.arn}/*", app)


def test_a_longer_name_is_not_the_same_bucket() -> None:
    """`acme-store-archive` starts with `acme-store` but is another bucket: prefixes only end at `/` or `:`."""
    app = _app(_bucket("aws_s3_bucket.b", "acme-store"))
    assert equivalent_arns(f"arn:{PART}:s3:::acme-store-archive/*", app) == [f"arn:{PART}:s3:::acme-store-archive/*"]


def test_concrete_accounts_that_differ_are_not_the_same_queue() -> None:
    """A queue known only by its concrete ARN (an imported one) is not the same-named queue of another account;
    the deploying stack's own account and region (`${AWS::AccountId}`) match any concrete one."""
    imported = Resource(id="aws_sqs_queue.q", location=Location("main.tf", 1), type="aws_sqs_queue",
                        category=ResourceCategory.QUEUE, arn="arn:aws:sqs:eu-west-1:111111111111:jobs")
    app = _app(imported)
    assert "${aws_sqs_queue.q.arn}" in equivalent_arns("arn:aws:sqs:eu-west-1:111111111111:jobs", app)
    other = "arn:aws:sqs:eu-west-1:222222222222:jobs"
    assert equivalent_arns(other, app) == [other]
    own = Resource(id="aws_sqs_queue.q", location=Location("main.tf", 1), type="aws_sqs_queue",
                   category=ResourceCategory.QUEUE, name="jobs",
                   arn=f"arn:{PART}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:${{aws_sqs_queue.q.name}}")
    forms = equivalent_arns(other, _app(own))
    assert "${aws_sqs_queue.q.arn}" in forms
    assert f"arn:{PART}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:${{aws_sqs_queue.q.name}}" in forms


def test_cloudformation_topic_ref_arn_and_name_spellings() -> None:
    topic = Resource(id="Alerts", location=Location("t.yaml", 1), type="AWS::SNS::Topic",
                     category=ResourceCategory.TOPIC, arn="${Alerts.Arn}")
    app = Application("t", SourceKind.CLOUDFORMATION, ".", ("t.yaml",), resources=(topic,))
    forms = equivalent_arns("${Alerts}", app)
    assert "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${Alerts.TopicName}" in forms
    assert "${Alerts.TopicArn}" in forms
    assert "${Alerts.Arn}" in forms


def test_terraform_function_reference_and_literal_name() -> None:
    fn = Function(id="aws_lambda_function.worker", location=Location("main.tf", 1), name="worker")
    app = _app(functions=(fn,))
    forms = equivalent_arns("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:worker", app)
    assert "${aws_lambda_function.worker.arn}" in forms
    assert "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" \
           "${aws_lambda_function.worker.function_name}" in forms
