"""FG311, FG404 (SQS queues), FG407 and FG306 (HTTP API routes) on whole apps: templates in every source
format that can express them, with their handler code, scanned through the pipeline.

Expectations are `# expect: FG407 RetryFunction [severity]` marks on the line the finding must point at, in
any file of the app (the template, `main.tf`, `serverless.yml`, or the handler line of a code finding).
Each app holds the rule's look-alikes too, so "exactly the marked findings" is the negative test as much as
the positive one; the tests below the table pin *why* the quiet cases are quiet.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.analysis.public_sources import trigger_source
from faasguard.config import Config
from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import Application, Destination, TriggerKind, Unknown
from faasguard.pipeline import load_sources, scan

APPS = Path(__file__).parent.parent / "fixtures" / "rules" / "event_sources"
_MARK = re.compile(r"#\s*expect:\s*(FG\d{3})\s+(\S+)(?:\s+(info|low|medium|high|critical)\b)?")

CASES = [
    ("sam_loop", "FG407"), ("tf_app", "FG407"), ("sls_app", "FG407"),
    ("tf_app", "FG311"), ("sls_app", "FG311"),
    ("tf_app", "FG404"), ("sls_app", "FG404"),
    ("http_api", "FG306"), ("sls_http", "FG306"), ("tf_app", "FG306"),
]


def marks(app: Path, rule_id: str) -> dict[tuple[str, str, int], str | None]:
    """(resource, file relative to the app, line) → the marked severity, for every mark of `rule_id`."""
    out: dict[tuple[str, str, int], str | None] = {}
    for path in sorted(app.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".tf", ".py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for m in _MARK.finditer(line):
                if m.group(1) == rule_id:
                    out[(m.group(2), path.relative_to(app).as_posix(), number)] = m.group(3)
    return out


def run(app: Path, rule_id: str) -> list[Finding]:
    result = scan([str(app)], Config(select=(rule_id,), severity=Severity.INFO), cwd=app)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if f.rule_id == rule_id]


def where(app: Path, finding: Finding) -> tuple[str, str, int]:
    path = Path(finding.location.path)
    # template findings are relative to the scan's cwd, code findings to the process's: take whichever exists
    candidates = [path] if path.is_absolute() else [app / path, Path.cwd() / path]
    found = next(c for c in candidates if c.is_file())
    relative = found.resolve().relative_to(app.resolve())
    return finding.resource, relative.as_posix(), finding.location.line


def load(app: Path) -> Application:
    result = load_sources([str(app)], Config(), cwd=app)
    (application,) = result.apps
    return application


@pytest.mark.parametrize(("app", "rule_id"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_exactly_the_marked_findings(app: str, rule_id: str) -> None:
    root = APPS / app
    want = marks(root, rule_id)
    assert want, f"{app} marks no {rule_id}"
    findings = run(root, rule_id)
    assert {where(root, f) for f in findings} == set(want)
    assert len(findings) == len(want), "one finding per offending node"
    for f in findings:
        assert f.message
        assert f.fix
        severity = want[where(root, f)]
        if severity is not None:
            assert f.severity.value == severity, f.message


# ------------------------------------------------------------------------------------------- FG407


def test_fg407_evidence_ties_trigger_binding_and_call() -> None:
    root = APPS / "sam_loop"
    (resize,) = [f for f in run(root, "FG407") if f.resource == "ResizeFunction"]
    steps = [(s.description, Path(s.location.path).name, s.location.line) for s in resize.evidence]
    template = (root / "template.yaml").read_text().splitlines()
    assert steps == [
        ("s3 trigger ResizeFunction.Upload: bucket ImagesBucket fires ResizeFunction", "template.yaml",
         template.index("        Upload:", template.index("  ResizeFunction:")) + 1),
        ("environment variable OUTPUT_BUCKET = ${ImagesBucket}", "template.yaml",
         template.index("          OUTPUT_BUCKET: !Ref ImagesBucket") + 1),
        ("s3.put_object writes to bucket ImagesBucket", "resize.py", 12),
    ]
    assert resize.confidence is Confidence.HIGH


@pytest.mark.parametrize(("old", "new", "function"), [
    # the thumbnails go to the images bucket after all
    ("OUTPUT_BUCKET: !Ref ThumbnailsBucket", "OUTPUT_BUCKET: !Ref ImagesBucket", "ThumbnailFunction"),
    # the key filter goes, so thumbs/latest.png fires the function again
    ("            Filter: {S3Key: {Rules: [{Name: prefix, Value: uploads/}]}}\n", "", "PrefixedFunction"),
    # ... or it covers thumbs/
    ("{Name: prefix, Value: uploads/}", "{Name: prefix, Value: thumbs/}", "PrefixedFunction"),
    # the SQS filter goes
    ("            FilterCriteria:\n              Filters:\n"
     "                - Pattern: '{\"body\": {\"kind\": [\"new\"]}}'\n", "", "FilteredFunction"),
])
def test_fg407_negatives_are_quiet_because_of_the_detail(tmp_path: Path, old: str, new: str, function: str) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "sam_loop", app)
    template = app / "template.yaml"
    text = template.read_text()
    assert text.count(old) == 1, old
    template.write_text(text.replace(old, new))
    assert function in {f.resource for f in run(app, "FG407")}


def test_fg407_trigger_on_removals_is_not_fired_by_a_write(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "sam_loop", app)
    template = app / "template.yaml"
    text = template.read_text()
    old = "          Properties: {Bucket: !Ref ImagesBucket, Events: s3:ObjectCreated:*}\n"
    first = text.index(old)  # ResizeFunction's trigger
    template.write_text(text[:first] + old.replace("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
                        + text[first + len(old):])
    assert load(app).triggers[0].source_events == ("s3:ObjectRemoved:*",)
    assert "ResizeFunction" not in {f.resource for f in run(app, "FG407")}


def test_fg407_bucket_from_the_event_is_the_trigger_bucket(tmp_path: Path) -> None:
    """The classic thumbnail loop: the bucket named by the S3 event that fired the function, written back to.
    Medium confidence (inferred from the event, not from configuration), and only when S3 is its only
    trigger."""
    app = tmp_path / "app"
    shutil.copytree(APPS / "sam_loop", app)
    resize = app / "src" / "resize.py"
    resize.write_text(resize.read_text().replace('Bucket=os.environ["OUTPUT_BUCKET"]',
                                                 'Bucket=record["s3"]["bucket"]["name"]'))
    (finding,) = [f for f in run(app, "FG407") if f.resource == "ResizeFunction"]
    assert finding.confidence is Confidence.MEDIUM
    assert "(the bucket of the event that fired it)" in finding.evidence[-1].description
    template = app / "template.yaml"
    text = template.read_text()
    marker = "          Properties: {Bucket: !Ref ImagesBucket, Events: s3:ObjectCreated:*}\n"
    first = text.index(marker) + len(marker)
    template.write_text(text[:first] + "        Nightly:\n          Type: Schedule\n"
                        "          Properties: {Schedule: rate(1 day)}\n" + text[first:])
    assert "ResizeFunction" not in {f.resource for f in run(app, "FG407")}


def test_fg407_recursive_loop_allow_is_high_and_terminate_is_not(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "sam_loop", app)
    template = app / "template.yaml"
    template.write_text(template.read_text().replace("RecursiveLoop: Allow", "RecursiveLoop: Terminate"))
    (retry,) = [f for f in run(app, "FG407") if f.resource == "RetryFunction"]
    assert retry.severity is Severity.MEDIUM


def test_loaders_model_recursion_settings_and_success_destinations() -> None:
    sam = load(APPS / "sam_loop")
    retry = sam.function("RetryFunction")
    chain = sam.function("ChainFunction")
    assert retry is not None
    assert chain is not None
    assert retry.recursive_loop == "Allow"
    assert chain.async_on_success == Destination("on-success", "ChainQueue", chain.loc("async_on_success"))
    prefixed = next(t for t in sam.triggers if t.id == "PrefixedFunction.Upload")
    assert prefixed.event_filter == {"prefix": "uploads/"}
    filtered = next(t for t in sam.triggers if t.id == "FilteredFunction.Jobs")
    assert isinstance(filtered.event_filter, dict)
    assert "pattern" in filtered.event_filter

    tf = load(APPS / "tf_app")
    tasks = tf.function("aws_lambda_function.tasks")
    orders = tf.function("aws_lambda_function.orders")
    assert tasks is not None
    assert orders is not None
    assert tasks.recursive_loop == "Allow"
    assert orders.async_on_success is not None
    assert orders.async_on_success.kind == "on-success"
    ingest = next(t for t in tf.triggers if t.kind is TriggerKind.S3)
    assert ingest.event_filter == {"prefix": "incoming/"}
    assert ingest.source_events == ("s3:ObjectCreated:*",)

    sls = load(APPS / "sls_app")
    audit = sls.function("audit")
    assert audit is not None
    assert audit.async_on_success is not None
    assert audit.async_on_success.target == "audit"
    thumbs = next(t for t in sls.triggers if t.kind is TriggerKind.S3)
    assert thumbs.event_filter == {"prefix": "uploads/"}


# ------------------------------------------------------------------------------------- FG404 (SQS)


def test_loaders_model_queue_redrive() -> None:
    """Every spelling of a redrive policy ends on the queue; one we cannot resolve is Unknown, not absent."""
    neg = load(Path(__file__).parent.parent / "fixtures" / "rules" / "FG404" / "neg.yaml")
    queues = {r.id: r.redrive for r in neg.resources}
    assert queues["JobsQueue"] == Destination("redrive", "FailedEvents", queues["JobsQueue"].location)  # type: ignore[union-attr]
    reports = queues["ReportsQueue"]
    assert isinstance(reports, Destination)
    assert reports.target == "arn:aws:sqs:eu-west-1:111122223333:reports-dlq"
    assert isinstance(queues["MaybeQueue"], Unknown)
    assert isinstance(queues["ChosenQueue"], Unknown)
    assert queues["FailedEvents"] is None
    imported = next(t for t in neg.triggers if t.id == "WorkerFunction.Imported")
    assert trigger_source(neg, imported) is None  # not ours: Unknown, so no finding

    tf = {r.id: r.redrive for r in load(APPS / "tf_app").resources}
    assert tf["aws_sqs_queue.tasks"] is None
    for queue in ("aws_sqs_queue.orders", "aws_sqs_queue.billing"):  # own argument / separate resource
        redrive = tf[queue]
        assert isinstance(redrive, Destination), queue
        assert redrive.target == "aws_sqs_queue.orders_dlq"


def test_fg404_queue_finding_names_every_consumer() -> None:
    path = Path(__file__).parent.parent / "fixtures" / "rules" / "FG404" / "pos.yaml"
    result = scan([str(path)], Config(select=("FG404",), severity=Severity.INFO), cwd=path.parent)
    (intake,) = [f for f in result.findings if f.resource == "IntakeQueue"]
    assert intake.function == ("IntakeAuditFunction", "IntakeFunction")


def test_fg404_terraform_queue_gets_a_redrive_policy(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "tf_app", app)
    main = app / "main.tf"
    text = main.read_text()
    old = 'resource "aws_sqs_queue" "tasks" {  # expect: FG404 aws_sqs_queue.tasks\n  name = "tasks"\n'
    assert text.count(old) == 1
    main.write_text(text.replace(old, old + "  redrive_policy = jsonencode({ deadLetterTargetArn = "
                                              "aws_sqs_queue.orders_dlq.arn, maxReceiveCount = 3 })\n"))
    assert "aws_sqs_queue.tasks" not in {f.resource for f in run(app, "FG404")}


# ------------------------------------------------------------------------------------ FG306 (HTTP)


def test_fg306_http_api_evidence_reaches_the_sink() -> None:
    (finding,) = run(APPS / "http_api", "FG306")
    assert finding.evidence[0].description.startswith("HTTP API route SearchFunction.Search")
    assert (Path(finding.evidence[-1].location.path).name, finding.evidence[-1].location.line) == ("search.py", 9)
    assert "Powertools parser" in (finding.fix or "")


def test_fg306_http_api_with_an_authorizer_is_low(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "http_api", app)
    template = app / "template.yaml"
    template.write_text(template.read_text().replace(
        "Properties: {Path: /search, Method: post}",
        "Properties: {Path: /search, Method: post, Auth: {Authorizer: AWS_IAM}}"))
    (finding,) = run(app, "FG306")
    assert finding.severity is Severity.LOW


# ------------------------------------------------------------------------------------ docs examples


@pytest.mark.parametrize("rule_id", ["FG311", "FG407"])
def test_docs_example_yields_the_rule_through_the_cli(rule_id: str) -> None:
    """The rule's own `## Example`, written into a complete app under tests/fixtures/docs_examples, scanned by
    the command line, reports the rule (a documented behaviour that cannot happen is worse than no rule)."""
    from faasguard.cli import main
    from faasguard.rules import rule_meta

    app = Path(__file__).parent.parent / "fixtures" / "docs_examples" / rule_id
    meta = rule_meta(rule_id)
    assert meta is not None
    example = meta.docs.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    text = (app / "template.yaml").read_text()
    # verbatim, at the indentation of a resource under `Resources:`
    assert textwrap.indent(example, "  ") in text
    outcome = CliRunner().invoke(main, ["scan", str(app), "--select", rule_id, "--format", "json", "-o", "-"])
    assert outcome.exit_code == 1, outcome.output
    assert {f["rule_id"] for f in json.loads(outcome.output)["findings"]} == {rule_id}


_SIGNER_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Attachments:
    Type: AWS::S3::Bucket
  AttachmentFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          ATTACHMENTS: !Ref Attachments
      Policies:
        - S3CrudPolicy: {BucketName: !Ref Attachments}
      Events:
        Stored:
          Type: S3
          Properties: {Bucket: !Ref Attachments, Events: s3:ObjectCreated:*}
"""

_SIGNER_HANDLER = """\
import os
import uuid

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    if "Records" in event:
        return {"scanned": event["Records"][0]["s3"]["object"]["key"]}
    key = f"incoming/{uuid.uuid4()}"
    return s3.{call}
"""


@pytest.mark.parametrize(("call", "looping"), [
    # the upload form and the download link are signed here; the browser uploads, once
    ('generate_presigned_post(os.environ["ATTACHMENTS"], key, ExpiresIn=300)', False),
    ('generate_presigned_url("put_object", Params={"Bucket": os.environ["ATTACHMENTS"], "Key": key})', False),
    # the function itself writes into the bucket that fires it
    ('put_object(Bucket=os.environ["ATTACHMENTS"], Key=key, Body=b"")', True),
])
def test_fg407_signing_an_upload_for_the_trigger_bucket_is_not_a_write(
        tmp_path: Path, call: str, looping: bool) -> None:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "template.yaml").write_text(_SIGNER_TEMPLATE)
    (app / "src" / "app.py").write_text(_SIGNER_HANDLER.replace("{call}", call))
    found = [(f.resource, Path(f.location.path).name, f.location.line) for f in run(app, "FG407")]
    assert found == ([("AttachmentFunction", "app.py", 13)] if looping else [])
