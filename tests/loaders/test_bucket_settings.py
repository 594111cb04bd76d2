"""CloudFormation bucket settings become the typed `Resource.bucket` the public-source judgement reads (the
Terraform side is pinned in test_terraform_public.py): the canned ACL in the S3 API's spelling, each Block
Public Access flag (absent = False, unresolvable = Unknown), ownership, and where each is written."""

from __future__ import annotations

from pathlib import Path

from faasguard.config import Config
from faasguard.model import BucketSettings, PublicAccessBlock, Unknown
from faasguard.pipeline import load_sources

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  BlockPolicy:
    Type: String
Resources:
  DropBox:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicReadWrite
      OwnershipControls:
        Rules:
          - ObjectOwnership: ObjectWriter
  Blocked:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: !Ref BlockPolicy
  Plain:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
"""


def test_cloudformation_bucket_settings(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (app,) = load_sources([str(tmp_path)], Config(), cwd=tmp_path).apps
    drop_box = app.resource("DropBox")
    assert drop_box is not None
    assert drop_box.bucket == BucketSettings(acl="public-read-write", object_ownership="ObjectWriter")
    assert drop_box.loc("bucket.acl").line == 9
    assert drop_box.loc("bucket.object_ownership").line == 10
    blocked = app.resource("Blocked")
    assert blocked is not None
    assert blocked.bucket is not None
    block = blocked.bucket.public_access_block
    assert isinstance(block, PublicAccessBlock)
    assert block.block_public_acls is True
    assert isinstance(block.block_public_policy, Unknown)
    assert block.ignore_public_acls is False
    assert blocked.loc("bucket.public_access_block").line == 16
    plain = app.resource("Plain")
    assert plain is not None
    assert plain.bucket == BucketSettings()
    queue = app.resource("Queue")
    assert queue is not None
    assert queue.bucket is None
