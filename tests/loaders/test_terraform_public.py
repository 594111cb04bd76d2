"""Terraform: buckets, queues and topics anyone may write to make the functions they trigger public (RULES.md
"Public trigger", second half), read from the resources Terraform splits them into.

`public-pos/main.tf` marks the line each finding must point at (`# expect: FG403 FG405` on the function's
block); `public-neg/main.tf` holds look-alikes that must stay quiet, and the mutation tests show each is quiet
*because of* the detail that makes it safe: change that detail and the function is public again.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import DiagnosticKind, Finding, Severity
from faasguard.model import Application, PublicAccessBlock, ResourceCategory, Unknown
from faasguard.pipeline import load_sources, scan
from faasguard.rules._common import public_reasons

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"
POS = FIXTURES / "public-pos" / "main.tf"
NEG = FIXTURES / "public-neg" / "main.tf"
RULES = ("FG403", "FG405")
_MARK = re.compile(r"#\s*expect:((?:\s+FG\d{3})+)")
_ADDRESS = re.compile(r'resource "(\w+)" "([\w-]+)"')


def expected(path: Path, rule_id: str) -> set[tuple[str, str, int]]:
    """(rule, function address, line) for every `# expect:` mark naming the rule."""
    out: set[tuple[str, str, int]] = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        mark = _MARK.search(line)
        address = _ADDRESS.search(line)
        if mark and address and rule_id in mark.group(1).split():
            out.add((rule_id, f"{address.group(1)}.{address.group(2)}", number))
    return out


def run(directory: Path, rule_id: str) -> list[Finding]:
    result = scan([str(directory)], Config(select=(rule_id,), severity=Severity.INFO), cwd=directory)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if f.rule_id == rule_id]


def load(directory: Path) -> Application:
    result = load_sources([str(directory)], Config(), cwd=directory)
    assert len(result.apps) == 1, result.diagnostics
    return result.apps[0]


def line_of(path: Path, text: str) -> int:
    hits = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def variant(tmp_path: Path, source: Path, edits: list[tuple[str, str]]) -> Path:
    text = source.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    directory = tmp_path / "app"
    directory.mkdir()
    (directory / "main.tf").write_text(text)
    return directory


# ----------------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize("rule_id", RULES)
def test_positive_exact_rule_resource_line(rule_id: str) -> None:
    want = expected(POS, rule_id)
    assert len(want) == 5
    findings = run(POS.parent, rule_id)
    assert {(f.rule_id, f.resource, f.location.line) for f in findings} == want
    assert len(findings) == len(want)


@pytest.mark.parametrize("rule_id", RULES)
def test_negative_quiet(rule_id: str) -> None:
    assert run(NEG.parent, rule_id) == []


def test_messages_name_the_policy_statement_or_acl_line() -> None:
    messages = {f.resource: f.message for f in run(POS.parent, "FG403")}
    bucket_stmt = line_of(POS, 'Sid       = "AnyoneMayUpload"') - 1
    queue_stmt = line_of(POS, 'sid     = "EveryoneSends"') - 1
    topic_stmt = line_of(POS, '"Sid": "OpenPublish"') - 1
    assert ("from bucket aws_s3_bucket.uploads, which lets anyone write objects (aws_s3_bucket_policy.uploads "
            f"line {bucket_stmt})") in messages["aws_lambda_function.thumbnails"]
    assert ("from queue aws_sqs_queue.orders, which lets anyone send messages (aws_sqs_queue_policy.orders "
            f"line {queue_stmt})") in messages["aws_lambda_function.orders"]
    assert f"from topic aws_sns_topic.alerts, which lets anyone publish (aws_sns_topic.alerts line {topic_stmt})" \
        in messages["aws_lambda_function.alerts"]
    acl_lines = [n for n, line in enumerate(POS.read_text().splitlines(), 1) if 'acl    = "public-read-write"' in line]
    assert len(acl_lines) == 2  # aws_s3_bucket_acl.drop_box, then the deprecated inline acl of the legacy bucket
    assert f"(canned ACL public-read-write, line {acl_lines[0]})" in messages["aws_lambda_function.drop_box"]
    assert f"(canned ACL public-read-write, line {acl_lines[1]})" in messages["aws_lambda_function.legacy"]


# ---------------------------------------------------------------------------------------------- model


def test_model_policies_merged_into_targets_and_located() -> None:
    app = load(POS.parent)
    bucket = app.resource("aws_s3_bucket.uploads")
    assert bucket is not None
    assert bucket.category is ResourceCategory.BUCKET
    policy = bucket.resource_policy
    assert policy is not None
    assert policy.unresolved is None
    (stmt,) = policy.statements
    assert stmt.location.logical_id == "aws_s3_bucket_policy.uploads"
    assert stmt.location.line == line_of(POS, 'Sid       = "AnyoneMayUpload"') - 1
    assert stmt.actions == ("s3:PutObject",)
    assert stmt.resources == ("arn:${AWS::Partition}:s3:::${aws_s3_bucket.uploads.id}/*",)
    assert bucket.loc("resource_policy").path.endswith("main.tf")

    queue = app.resource("aws_sqs_queue.orders")
    assert queue is not None
    assert queue.resource_policy is not None
    (qstmt,) = queue.resource_policy.statements
    assert qstmt.location.logical_id == "aws_sqs_queue_policy.orders"
    assert qstmt.location.line == line_of(POS, 'sid     = "EveryoneSends"') - 1
    assert qstmt.principals == {"*": ("*",)}

    topic = app.resource("aws_sns_topic.alerts")
    assert topic is not None
    assert topic.resource_policy is not None
    (tstmt,) = topic.resource_policy.statements
    assert tstmt.location.logical_id == "aws_sns_topic.alerts"  # inline: the topic's own address
    assert tstmt.location.line == line_of(POS, '"Sid": "OpenPublish"') - 1

    drop_box = app.resource("aws_s3_bucket.drop_box")
    assert drop_box is not None
    assert drop_box.resource_policy is None
    assert drop_box.bucket is not None
    assert drop_box.bucket.acl == "public-read-write"  # aws_s3_bucket_acl named the bucket by its name
    assert drop_box.loc("bucket.acl").line == line_of(POS, 'resource "aws_s3_bucket_acl" "drop_box"') + 2
    assert drop_box.bucket.object_ownership == "ObjectWriter"
    assert drop_box.loc("bucket.object_ownership").line == line_of(POS, 'object_ownership = "ObjectWriter"')

    legacy = app.resource("aws_s3_bucket.legacy")
    assert legacy is not None
    assert legacy.bucket is not None
    assert legacy.bucket.acl == "public-read-write"
    assert legacy.loc("bucket.acl").line == line_of(POS, 'resource "aws_s3_bucket" "legacy"') + 2


def test_model_public_access_block_folded_into_bucket() -> None:
    app = load(NEG.parent)
    blocked = app.resource("aws_s3_bucket.blocked")
    assert blocked is not None
    assert blocked.bucket is not None
    assert blocked.bucket.public_access_block == PublicAccessBlock(
        block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    assert blocked.loc("bucket.public_access_block").line == line_of(
        NEG, 'resource "aws_s3_bucket_public_access_block"')
    assert blocked.resource_policy is not None
    assert len(blocked.resource_policy.statements) == 1
    assert blocked.resource_policy.statements[0].location.logical_id == "aws_s3_bucket_policy.blocked"
    fanout = app.resource("aws_sqs_queue.fanout")
    assert fanout is not None
    assert fanout.resource_policy is not None
    assert [s.principals for s in fanout.resource_policy.statements] == [
        {"Service": ("sns.amazonaws.com",)}, {"AWS": ("*",)}]
    partner = app.resource("aws_sns_topic.partner")
    assert partner is not None
    assert partner.resource_policy is not None
    principal = partner.resource_policy.statements[0].principals
    assert principal is not None
    assert isinstance(principal["AWS"][0], Unknown)
    assert public_reasons(app) == {}


# ------------------------------------------------------------------------------------------ mutations

_BLOCK = """resource "aws_s3_bucket_public_access_block" "blocked" {
  bucket                  = aws_s3_bucket.blocked.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
"""
MUTATIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("blocked", [(_BLOCK, "")]),
    ("blocked", [("block_public_policy     = true", "block_public_policy     = false"),
                 ("restrict_public_buckets = true", "restrict_public_buckets = false")]),
    ("account", [("StringEquals = { \"aws:SourceAccount\"", "StringNotEquals = { \"aws:SourceAccount\"")]),
    ("owned", [('object_ownership = "BucketOwnerEnforced"', 'object_ownership = "ObjectWriter"')]),
    ("website", [('Action = "s3:GetObject"', 'Action = "s3:PutObject"')]),
    ("fanout", [('test     = "ArnEquals"', 'test     = "ArnLike"'),
                ("values   = [aws_sns_topic.events.arn]", 'values   = ["*"]')]),
    ("partner", [("Principal = { AWS = var.publisher }", 'Principal = { AWS = "*" }')]),
]


@pytest.mark.parametrize(("function", "edits"), MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_negative_made_public(tmp_path: Path, function: str, edits: list[tuple[str, str]]) -> None:
    directory = variant(tmp_path, NEG, edits)
    address = f"aws_lambda_function.{function}"
    assert address in public_reasons(load(directory))
    line = line_of(directory / "main.tf", f'resource "aws_lambda_function" "{function}"')
    assert {(f.resource, f.location.line) for f in run(directory, "FG403")} == {(address, line)}


def test_account_wide_block_public_access_applies_to_every_bucket(tmp_path: Path) -> None:
    account = ('resource "aws_s3_account_public_access_block" "all" {\n  block_public_policy = true\n'
               '  ignore_public_acls  = true\n}\n\n')
    anchor = 'data "aws_caller_identity" "me" {}'
    directory = variant(tmp_path, POS, [(anchor, account + anchor)])
    reasons = public_reasons(load(directory))
    # Bucket policy refused, ACLs ignored: only the queue and the topic stay public.
    assert set(reasons) == {"aws_lambda_function.orders", "aws_lambda_function.alerts"}


def test_unresolved_block_flag_may_block(tmp_path: Path) -> None:
    """A Block Public Access flag we cannot resolve may be on: never guess public."""
    directory = variant(tmp_path, NEG, [
        ("block_public_policy     = true", "block_public_policy     = var.block"),
        ("restrict_public_buckets = true", "restrict_public_buckets = false"),
        ('variable "publisher" {', 'variable "block" {\n  type = bool\n}\n\nvariable "publisher" {')])
    app = load(directory)
    blocked = app.resource("aws_s3_bucket.blocked")
    assert blocked is not None
    assert blocked.bucket is not None
    assert isinstance(blocked.bucket.public_access_block, PublicAccessBlock)
    assert isinstance(blocked.bucket.public_access_block.block_public_policy, Unknown)
    assert "aws_lambda_function.blocked" not in public_reasons(app)


def test_policy_for_a_bucket_outside_the_configuration_is_not_guessed(tmp_path: Path) -> None:
    directory = tmp_path / "app"
    shutil.copytree(POS.parent, directory)
    text = (directory / "main.tf").read_text().replace("  bucket = aws_s3_bucket.uploads.id\n  policy",
                                                       '  bucket = "someone-elses-bucket"\n  policy', 1)
    (directory / "main.tf").write_text(text)
    result = load_sources([str(directory)], Config(), cwd=directory)
    (app,) = result.apps
    bucket = app.resource("aws_s3_bucket.uploads")
    assert bucket is not None
    assert bucket.resource_policy is None
    assert "aws_lambda_function.thumbnails" not in public_reasons(app)
    notes = [d for d in result.diagnostics if d.kind is DiagnosticKind.UNRESOLVED
             and "aws_s3_bucket_policy.uploads" in d.message]
    assert len(notes) == 1
    assert notes[0].location is not None
    assert notes[0].location.line == line_of(directory / "main.tf", 'bucket = "someone-elses-bucket"')
