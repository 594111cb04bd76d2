"""AWS SDK for JavaScript v2 and v3 → the boto3 service name and API operation the IAM engine maps to actions.

v2: `new AWS.S3()` (or `require('aws-sdk/clients/s3')`) then `s3.getObject(params)`; the DocumentClient's
short names (`put`, `get`...) are the DynamoDB operations they call. v3: `new S3Client()` from `@aws-sdk/client-s3`
and `client.send(new GetObjectCommand(params))`, or the aggregated `new S3()` with methods; `@aws-sdk/lib-dynamodb`
commands (`PutCommand`) are DynamoDB's `PutItem`. The operation name is the SDK's own (the same API model as
botocore), so `faasguard.analysis.iam.boto_map` maps it to IAM actions unchanged.
"""

from __future__ import annotations

import re

V2_CLASSES: dict[str, str] = {
    "S3": "s3", "DynamoDB": "dynamodb", "SQS": "sqs", "SNS": "sns", "SecretsManager": "secretsmanager",
    "SSM": "ssm", "Lambda": "lambda", "StepFunctions": "stepfunctions", "KMS": "kms", "EventBridge": "events",
    "CloudWatchEvents": "events", "Kinesis": "kinesis", "Firehose": "firehose", "SES": "ses", "SESV2": "sesv2",
    "STS": "sts", "CognitoIdentityServiceProvider": "cognito-idp", "CloudWatch": "cloudwatch",
    "CloudWatchLogs": "logs", "Athena": "athena", "ApiGatewayManagementApi": "apigatewaymanagementapi",
    "Rekognition": "rekognition", "Textract": "textract", "Comprehend": "comprehend", "Translate": "translate",
    "Polly": "polly", "IotData": "iot-data", "RDSDataService": "rds-data", "ECS": "ecs", "EC2": "ec2",
    "IAM": "iam", "Glue": "glue", "AppSync": "appsync", "SageMakerRuntime": "sagemaker-runtime",
    "BedrockRuntime": "bedrock-runtime", "DynamoDBStreams": "dynamodbstreams", "CodeBuild": "codebuild",
    "RedshiftData": "redshift-data", "TimestreamQuery": "timestream-query",
}
V3_PACKAGES: dict[str, str] = {
    "sfn": "stepfunctions", "eventbridge": "events", "cloudwatch-events": "events", "cloudwatch-logs": "logs",
    "secrets-manager": "secretsmanager", "cognito-identity-provider": "cognito-idp", "iot-data-plane": "iot-data",
    "api-gateway": "apigateway", "apigatewaymanagementapi": "apigatewaymanagementapi",
    "sagemaker-runtime": "sagemaker-runtime", "bedrock-runtime": "bedrock-runtime", "dynamodb-streams":
    "dynamodbstreams",
}
DOC_CLIENT_OPERATIONS = {
    "get": "GetItem", "put": "PutItem", "update": "UpdateItem", "delete": "DeleteItem", "query": "Query",
    "scan": "Scan", "batchGet": "BatchGetItem", "batchWrite": "BatchWriteItem", "transactGet": "TransactGetItems",
    "transactWrite": "TransactWriteItems",
}
DOC_COMMANDS = {
    "GetCommand": "GetItem", "PutCommand": "PutItem", "UpdateCommand": "UpdateItem", "DeleteCommand": "DeleteItem",
    "QueryCommand": "Query", "ScanCommand": "Scan", "BatchGetCommand": "BatchGetItem",
    "BatchWriteCommand": "BatchWriteItem", "TransactGetCommand": "TransactGetItems",
    "TransactWriteCommand": "TransactWriteItems", "ExecuteStatementCommand": "ExecuteStatement",
}
NOT_OPERATIONS = frozenset({"promise", "send", "on", "config", "destroy", "middlewareStack", "then", "catch",
                            "createReadStream", "getSignedUrl", "getSignedUrlPromise", "makeRequest", "waitFor"})


def v3_service(package: str) -> str | None:
    """`@aws-sdk/client-s3` → "s3"; `@aws-sdk/lib-dynamodb` → "dynamodb"; None for other packages."""
    if package == "@aws-sdk/lib-dynamodb":
        return "dynamodb"
    if package == "@aws-sdk/lib-storage":
        return "s3"
    if not package.startswith("@aws-sdk/client-"):
        return None
    name = package.removeprefix("@aws-sdk/client-")
    return V3_PACKAGES.get(name, name)


def v2_service(class_name: str) -> str | None:
    return V2_CLASSES.get(class_name)


def snake(method: str) -> str:
    """getObject → get_object, listObjectsV2 → list_objects_v2 (boto3's method naming)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


def operation_of(method: str) -> str:
    return method[:1].upper() + method[1:]


def command_operation(command: str) -> str | None:
    """`GetObjectCommand` → "GetObject" (None for a class that is not a command)."""
    if command in DOC_COMMANDS:
        return DOC_COMMANDS[command]
    if command.endswith("Command") and len(command) > len("Command"):
        return command.removesuffix("Command")
    return None


SECRET_OPERATIONS = frozenset({("secretsmanager", "GetSecretValue"), ("ssm", "GetParameter"),
                               ("ssm", "GetParameters"), ("ssm", "GetParametersByPath"), ("kms", "Decrypt")})
POWERTOOLS_SECRETS = frozenset({"@aws-lambda-powertools/parameters/secrets.getSecret",
                                "@aws-lambda-powertools/parameters/ssm.getParameter",
                                "@aws-lambda-powertools/parameters/ssm.getParameters"})
