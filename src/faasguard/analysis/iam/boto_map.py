"""boto3 calls → the IAM actions they need.

For most AWS APIs the IAM action is the botocore operation name under the service's IAM prefix
(`dynamodb.put_item` → `PutItem` → `dynamodb:PutItem`). The prefix is the botocore service model's
`signingName` (what SigV4 signs with, which is what IAM authorizes), from a static table for the services
handlers use and from botocore's own model files (loaded per service, on demand) for the rest. The cases where
the names differ are a curated table below (facts from AWS's documentation): S3's `ListObjectsV2` →
`s3:ListBucket`, `HeadObject` → `s3:GetObject`, Lambda `Invoke` → `lambda:InvokeFunction`, batch and
transaction operations, the S3 transfer helpers (`upload_file`/`download_file`, multipart included),
API Gateway's HTTP-verb actions, Step Functions' `states:` prefix. Every action we emit is checked against the
catalog; an operation we cannot map is reported as unmapped, never guessed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from faasguard.analysis.iam.catalog import get_catalog

#: boto3 client name → IAM prefix, where it differs from the client name or is commonly used.
SERVICE_PREFIX: dict[str, str] = {
    "stepfunctions": "states",
    "dynamodbstreams": "dynamodb",
    "apigatewaymanagementapi": "execute-api",
    "apigatewayv2": "apigateway",
    "sesv2": "ses",
    "bedrock-runtime": "bedrock",
    "bedrock-agent-runtime": "bedrock",
    "sagemaker-runtime": "sagemaker",
    "appconfigdata": "appconfig",
    "iot-data": "iot",
    "timestream-write": "timestream",
    "timestream-query": "timestream",
    "cloudwatch": "cloudwatch",
    "logs": "logs",
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "lex-runtime": "lex",
    "lexv2-runtime": "lex",
    "kinesis-video-media": "kinesisvideo",
    "s3control": "s3",
    "opensearchserverless": "aoss",
    "opensearch": "es",
    "es": "es",
    "rds-data": "rds-data",
    "cognito-idp": "cognito-idp",
    "cognito-identity": "cognito-identity",
    "mediastore-data": "mediastore",
    "personalize-runtime": "personalize",
    "marketplace-entitlement": "aws-marketplace",
    "pricing": "pricing",
    "resourcegroupstaggingapi": "tag",
    "emr": "elasticmapreduce",
    "emr-serverless": "emr-serverless",
    "application-autoscaling": "application-autoscaling",
    "ssm-incidents": "ssm-incidents",
    "iotevents-data": "iotevents",
    "connect-contact-lens": "connect",
    "sso-oidc": "sso-oauth",
    "textract": "textract",
    "comprehendmedical": "comprehendmedical",
}

# (boto3 service, operation) → IAM actions. Operations whose action name differs from the operation name.
OPERATION_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # S3: object listing and metadata are authorized as bucket/object actions of other names.
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "GetObjectAttributes"): ("s3:GetObject", "s3:GetObjectAttributes"),
    ("s3", "SelectObjectContent"): ("s3:GetObject",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "UploadPartCopy"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "ListParts"): ("s3:ListMultipartUploadParts",),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
    ("s3", "DeleteBucketPolicy"): ("s3:DeleteBucketPolicy",),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "PutBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    # DynamoDB: transactions and PartiQL are authorized per item operation.
    ("dynamodb", "TransactWriteItems"): ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                         "dynamodb:ConditionCheckItem"),
    ("dynamodb", "TransactGetItems"): ("dynamodb:GetItem",),
    ("dynamodb", "ExecuteStatement"): ("dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                                       "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"),
    ("dynamodb", "BatchExecuteStatement"): ("dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                                            "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"),
    ("dynamodb", "ExecuteTransaction"): ("dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                                         "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"),
    # Lambda.
    ("lambda", "Invoke"): ("lambda:InvokeFunction",),
    ("lambda", "InvokeWithResponseStream"): ("lambda:InvokeFunction",),
    ("lambda", "InvokeAsync"): ("lambda:InvokeAsync",),
    # SQS / SNS batch operations use the single-message action.
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    ("sns", "PublishBatch"): ("sns:Publish",),
    # Kinesis Firehose, API Gateway management API (WebSocket callbacks).
    ("apigatewaymanagementapi", "PostToConnection"): ("execute-api:ManageConnections",),
    ("apigatewaymanagementapi", "GetConnection"): ("execute-api:ManageConnections",),
    ("apigatewaymanagementapi", "DeleteConnection"): ("execute-api:ManageConnections",),
    # Bedrock runtime: the Converse APIs use the model-invocation actions.
    ("bedrock-runtime", "Converse"): ("bedrock:InvokeModel",),
    ("bedrock-runtime", "ConverseStream"): ("bedrock:InvokeModelWithResponseStream",),
    ("sesv2", "SendEmail"): ("ses:SendEmail",),
    ("sesv2", "SendBulkEmail"): ("ses:SendBulkEmail",),
    ("iot-data", "Publish"): ("iot:Publish",),
    # Needs no permission at all: AWS documents that even an explicit Deny does not stop it.
    ("sts", "GetCallerIdentity"): (),
    ("sagemaker-runtime", "InvokeEndpoint"): ("sagemaker:InvokeEndpoint",),
    ("appconfigdata", "StartConfigurationSession"): ("appconfig:StartConfigurationSession",),
    ("appconfigdata", "GetLatestConfiguration"): ("appconfig:GetLatestConfiguration",),
    ("timestream-write", "WriteRecords"): ("timestream:WriteRecords",),
    ("timestream-query", "Query"): ("timestream:Select",),
    ("cognito-idp", "InitiateAuth"): (),  # unauthenticated API: no IAM permission needed
    ("cognito-idp", "RespondToAuthChallenge"): (),
    ("cognito-idp", "SignUp"): (),
    ("cognito-idp", "ConfirmSignUp"): (),
    ("cognito-idp", "ForgotPassword"): (),
    ("cognito-idp", "ConfirmForgotPassword"): (),
}

# boto3 helper methods (not API operations) → the IAM actions they need.
HELPER_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # S3 transfer manager: PutObject or CreateMultipartUpload/UploadPart/CompleteMultipartUpload (all
    # authorized as s3:PutObject), AbortMultipartUpload on failure.
    ("s3", "upload_file"): ("s3:PutObject", "s3:AbortMultipartUpload"),
    ("s3", "upload_fileobj"): ("s3:PutObject", "s3:AbortMultipartUpload"),
    # HeadObject then GetObject (ranged for large objects): both authorized as s3:GetObject.
    ("s3", "download_file"): ("s3:GetObject",),
    ("s3", "download_fileobj"): ("s3:GetObject",),
    # Managed copy: HeadObject on the source, then CopyObject or multipart UploadPartCopy.
    ("s3", "copy"): ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"),
    # Pre-signed URLs need nothing at signing time; the action is checked when the URL is used.
    ("s3", "generate_presigned_url"): (),
    ("s3", "generate_presigned_post"): (),
    # An IAM database auth token is signed locally too, but the function makes it to connect with it, and the
    # connection is authorized as rds-db:connect on the database user (RDS Proxy included).
    ("rds", "generate_db_auth_token"): ("rds-db:connect",),
}

# API Gateway's control plane is authorized by HTTP verb on the resource path.
_APIGW_VERBS = (("Get", "apigateway:GET"), ("Create", "apigateway:POST"), ("Import", "apigateway:PUT"),
                ("Put", "apigateway:PUT"), ("Update", "apigateway:PATCH"), ("Delete", "apigateway:DELETE"),
                ("Flush", "apigateway:DELETE"), ("Tag", "apigateway:PUT"), ("Untag", "apigateway:DELETE"),
                ("Test", "apigateway:POST"), ("Reset", "apigateway:DELETE"), ("Generate", "apigateway:POST"))


def _snake_to_camel(method: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


SIGNING_TABLE = Path(__file__).resolve().parents[2] / "data" / "iam" / "boto-signing-prefixes.json"
"""botocore's signingName (or endpointPrefix) of every service whose boto3 name is not itself an IAM prefix,
reduced to the IAM prefix the catalog knows (null: none), generated at release time by `python -m
faasguard.analysis.iam.boto_map table`. Reading a service model instead imports botocore's loader, and with it
urllib3 and most of botocore (~0.25 s), to learn one string."""


@lru_cache(maxsize=256)
def iam_prefix(service: str) -> str | None:
    """IAM prefix of a boto3 service name: static table, then the catalog, then botocore's signingName (from the
    shipped table; from botocore's model only for a service newer than the table)."""
    if service in SERVICE_PREFIX:
        return SERVICE_PREFIX[service]
    cat = get_catalog()
    if cat.has_service(service):
        return service
    table = _signing_table()
    if service in table:
        return table[service]
    return _model_prefix(service)


@lru_cache(maxsize=1)
def _signing_table() -> dict[str, str | None]:
    try:
        data = json.loads(SIGNING_TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    prefixes = data.get("prefixes") if isinstance(data, dict) else None
    return {str(k): v if isinstance(v, str) else None for k, v in prefixes.items()} \
        if isinstance(prefixes, dict) else {}


def _model_prefix(service: str) -> str | None:
    """The IAM prefix from botocore's own service model: its signingName, else its endpointPrefix, when the
    catalog knows it."""
    cat = get_catalog()
    try:
        import botocore.loaders

        model = botocore.loaders.create_loader().load_service_model(service, "service-2")
        meta = model.get("metadata", {})
        for candidate in (meta.get("signingName"), meta.get("endpointPrefix")):
            if isinstance(candidate, str) and cat.has_service(candidate):
                return candidate
    except Exception:
        return None
    return None


def signing_table() -> dict[str, object]:
    """`SIGNING_TABLE`'s content for the installed botocore and catalog (release tooling and its test)."""
    import botocore
    import botocore.loaders

    cat = get_catalog()
    services = botocore.loaders.create_loader().list_available_services("service-2")
    prefixes = {s: _model_prefix(s) for s in sorted(services)
                if s not in SERVICE_PREFIX and not cat.has_service(s)}
    return {"botocore": botocore.__version__, "prefixes": prefixes}


def _operation_name(method: str) -> str:
    m = re.fullmatch(r"get_(?:paginator|waiter)\((\w+)\)", method)
    return _snake_to_camel(m.group(1) if m else method)


def actions_for(service: str, method: str, operation: str | None) -> tuple[str, ...] | None:
    """IAM actions a boto3 call needs; `()` when it needs none; None when we cannot tell (unmapped)."""
    if operation is None:
        helper = HELPER_ACTIONS.get((service, method))
        if helper is not None:
            return helper
        if method.startswith(("get_paginator(", "get_waiter(")) or "_" in method or method.islower():
            operation = _operation_name(method)
        else:
            return None
    curated = OPERATION_ACTIONS.get((service, operation))
    if curated is not None:
        return curated
    prefix = iam_prefix(service)
    if prefix is None:
        return None
    if prefix == "apigateway":
        for start, action in _APIGW_VERBS:
            if operation.startswith(start):
                return (action,)
        return None
    cat = get_catalog()
    canonical = cat.canonical(f"{prefix}:{operation}")
    if canonical:
        return (canonical,)
    for suffix in ("Batch",):  # e.g. PutRecordBatch is its own action in firehose; DeleteThingBatch is not
        if operation.endswith(suffix):
            canonical = cat.canonical(f"{prefix}:{operation[: -len(suffix)]}")
            if canonical:
                return (canonical,)
    return None


if __name__ == "__main__":  # pragma: no cover - release tooling
    import sys

    if sys.argv[1:] != ["table"]:
        sys.exit("usage: python -m faasguard.analysis.iam.boto_map table")
    SIGNING_TABLE.write_text(json.dumps(signing_table(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SIGNING_TABLE}")
