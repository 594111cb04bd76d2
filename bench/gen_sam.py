"""Generate synthetic SAM apps for the scaling benchmark: N functions, shared and dedicated roles, mixed events.

Usage: python bench/gen_sam.py N OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

EVENTS = [
    "        Api:\n          Type: Api\n          Properties:\n            Path: /r{i}\n            Method: post\n",
    "        Q:\n          Type: SQS\n          Properties:\n            Queue: !GetAtt Queue{q}.Arn\n",
    "        Up:\n          Type: S3\n          Properties:\n            Bucket: !Ref Bucket{q}\n"
    "            Events: s3:ObjectCreated:*\n",
    "        Tick:\n          Type: Schedule\n          Properties:\n            Schedule: rate(5 minutes)\n",
    "        Stream:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table{q}.StreamArn\n"
    "            StartingPosition: LATEST\n",
]

HANDLER = '''import json
import os
import subprocess

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    body = json.loads(event.get("body") or "{{}}")
    name = body.get("name", "x")
    subprocess.run(f"echo {{name}}", shell=True)
    table.put_item(Item={{"id": context.aws_request_id, "n": {i}}})
    return {{"statusCode": 200}}
'''


def generate(count: int, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    groups = max(1, count // 20)
    parts = [
        "AWSTemplateFormatVersion: '2010-09-09'\n",
        "Transform: AWS::Serverless-2016-10-31\n",
        "Globals:\n  Function:\n    Runtime: python3.12\n    Timeout: 30\n",
        "Resources:\n",
    ]
    for q in range(groups):
        parts.append(f"  Queue{q}:\n    Type: AWS::SQS::Queue\n")
        parts.append(f"  Bucket{q}:\n    Type: AWS::S3::Bucket\n")
        parts.append(
            f"  Table{q}:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n"
            "      StreamSpecification:\n        StreamViewType: NEW_IMAGE\n"
            "      AttributeDefinitions:\n        - AttributeName: id\n          AttributeType: S\n"
            "      KeySchema:\n        - AttributeName: id\n          KeyType: HASH\n")
        parts.append(
            f"  SharedRole{q}:\n    Type: AWS::IAM::Role\n    Properties:\n"
            "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
            "          - Effect: Allow\n            Principal: {Service: lambda.amazonaws.com}\n"
            "            Action: sts:AssumeRole\n"
            "      Policies:\n        - PolicyName: all\n          PolicyDocument:\n            Statement:\n"
            "              - Effect: Allow\n                Action: ['s3:*', 'dynamodb:PutItem']\n"
            "                Resource: '*'\n")
    code = out / "src"
    code.mkdir(exist_ok=True)
    for i in range(count):
        q = i % groups
        (code / f"fn{i}.py").write_text(HANDLER.format(i=i))
        role = f"      Role: !GetAtt SharedRole{q}.Arn\n" if i % 2 == 0 else (
            f"      Policies:\n        - DynamoDBCrudPolicy:\n            TableName: !Ref Table{q}\n")
        parts.append(
            f"  Function{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            f"      CodeUri: src/\n      Handler: fn{i}.handler\n{role}"
            f"      Environment:\n        Variables:\n          TABLE: !Ref Table{q}\n"
            f"      Events:\n" + EVENTS[i % len(EVENTS)].format(i=i, q=q))
    template = out / "template.yaml"
    template.write_text("".join(parts))
    return template


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
