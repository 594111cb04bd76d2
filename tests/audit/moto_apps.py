"""Deploy the example apps into a moto server over real HTTP, as CloudFormation would have deployed them.

Each helper makes the same calls a deployment makes (create role, put policies, create function from a zip in
S3, add permissions, wire triggers), so the audit reads them back through the real AWS APIs. Names are the
template's logical ids, so the audit's (rule, function) pairs compare directly with `faasguard scan`'s.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
VULNERABLE = ROOT / "examples" / "vulnerable-app"
REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
MANAGED = "arn:aws:iam::aws:policy/service-role/"


def clients(endpoint: str, session: boto3.Session | None = None, region: str = REGION) -> Any:
    session = session or boto3.Session(region_name=region)

    class _C:
        def __getattr__(self, name: str) -> Any:
            client = session.client("lambda" if name == "awslambda" else name, region_name=region,
                                    endpoint_url=endpoint)
            setattr(self, name, client)
            return client

    return _C()


def zip_dir(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def code_bucket(region: str = REGION) -> str:
    """The bucket the Lambda service keeps packages in: moto's `GetFunction` `Code.Location` names it."""
    return f"awslambda-{region}-tasks"


def upload_code(c: Any, name: str, data: bytes, region: str = REGION) -> dict[str, str]:
    bucket = code_bucket(region)
    with contextlib.suppress(c.s3.exceptions.BucketAlreadyOwnedByYou):
        c.s3.create_bucket(Bucket=bucket)
    c.s3.put_object(Bucket=bucket, Key=f"{name}.zip", Body=data)
    return {"S3Bucket": bucket, "S3Key": f"{name}.zip"}


def role(c: Any, name: str, managed: list[str], inline: dict[str, Any], *, sam: bool = False) -> str:
    """A role; `sam=True` for one SAM generates for a function (SAM tags it `lambda:createdBy: SAM`)."""
    tags = [{"Key": "lambda:createdBy", "Value": "SAM"}] if sam else []
    arn: str = c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                                 Tags=tags)["Role"]["Arn"]
    for policy in managed:
        c.iam.attach_role_policy(RoleName=name, PolicyArn=MANAGED + policy)
    for policy_name, statements in inline.items():
        c.iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
    return arn


def deploy_vulnerable(endpoint: str, session: boto3.Session | None = None, *, secure_url: bool = False,
                      region: str = REGION) -> dict[str, str]:
    """The vulnerable example app; returns logical id → physical name/ARN of what it created."""
    c = clients(endpoint, session, region)
    account = c.sts.get_caller_identity()["Account"]
    out: dict[str, str] = {}
    uploads, thumbs = f"uploads-{account}", f"thumbnails-{account}"
    c.s3.create_bucket(Bucket=uploads)
    c.s3.create_bucket(Bucket=thumbs)
    table = c.dynamodb.create_table(
        TableName="AuditTable", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])["TableDescription"]["TableName"]
    queue_url = c.sqs.create_queue(QueueName="JobsQueue")["QueueUrl"]
    queue_arn = c.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    key_id = c.kms.create_key()["KeyMetadata"]["KeyId"]
    vpc = c.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = c.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = c.ec2.create_security_group(GroupName="DbAdminSecurityGroup", Description="db admin lambda",
                                        VpcId=vpc)["GroupId"]
    out["DbAdminSecurityGroup"] = group

    shared = role(c, "SharedCatchAllRole", ["AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"],
                  {"do-everything": [{"Effect": "Allow", "Action": [
                      "s3:GetObject", "s3:PutObject", "dynamodb:PutItem", "secretsmanager:GetSecretValue"],
                      "Resource": "*"}]})
    worker_role = role(c, "QueueWorkerFunctionRole", ["AWSLambdaBasicExecutionRole",
                                                      "AWSLambdaSQSQueueExecutionRole"],
                       {"QueueWorkerFunctionRolePolicy0": [{"Effect": "Allow", "Action": [
                           "sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
                           "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                           "Resource": queue_arn}]}, sam=True)
    report_role = role(c, "ReportFunctionRole", ["AWSLambdaBasicExecutionRole"], {
        "ReportFunctionRolePolicy0": [{"Effect": "Allow", "Action": [
            "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
            "s3:GetLifecycleConfiguration"], "Resource": [f"arn:aws:s3:::{uploads}", f"arn:aws:s3:::{uploads}/*"]}],
        "ReportFunctionRolePolicy1": [{"Effect": "Allow", "Action": ["kms:Decrypt"],
                                       "Resource": f"arn:aws:kms:{region}:{account}:key/{key_id}"}]},
                       sam=True)

    preview_url = c.sqs.create_queue(QueueName="PreviewQueue")["QueueUrl"]
    preview_arn = c.sqs.get_queue_attributes(QueueUrl=preview_url,
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    preview_role = role(c, "PreviewFunctionRole", ["AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole"], {
        "PreviewFunctionRolePolicy0": [{"Effect": "Allow", "Action": [
            "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
            "s3:GetLifecycleConfiguration"], "Resource": [f"arn:aws:s3:::{uploads}", f"arn:aws:s3:::{uploads}/*"]}],
        "PreviewFunctionRolePolicy1": [{"Effect": "Allow", "Action": [
            "s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"],
            "Resource": [f"arn:aws:s3:::{thumbs}", f"arn:aws:s3:::{thumbs}/*"]}]}, sam=True)

    def function(name: str, src: str, handler: str, role_arn: str, **extra: Any) -> str:
        code = upload_code(c, name, zip_dir(VULNERABLE / "src" / src), region)
        arn: str = c.awslambda.create_function(
            FunctionName=name, Runtime=extra.pop("Runtime", "python3.12"), Role=role_arn, Handler=handler,
            Code=code, MemorySize=512, Timeout=extra.pop("Timeout", 30), **extra)["FunctionArn"]
        out[name] = arn
        return arn

    image = function("ImageConverterFunction", "image_converter", "app.handler", shared,
                     Environment={"Variables": {"THUMBNAIL_BUCKET": thumbs}})
    function("DbAdminFunction", "db_admin", "app.lambda_handler", shared, Timeout=900,
             Environment={"Variables": {"DB_HOST": "orders.abc123.us-east-1.rds.amazonaws.com", "DB_USER": "admin",
                                        "DB_PASSWORD": "Sup3rS3cretPassw0rd!", "AUDIT_TABLE": table}},
             VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]})
    worker = function("QueueWorkerFunction", "queue_worker", "worker.handler", worker_role, Runtime="python3.8")
    function("ReportFunction", "report", "app.handler", report_role)
    preview = function("PreviewFunction", "preview", "index.handler", preview_role, Runtime="nodejs20.x",
                       Environment={"Variables": {"UPLOADS_BUCKET": uploads, "THUMBNAIL_BUCKET": thumbs}})

    # triggers, as SAM wires them (with the permissions SAM adds, each scoped by SourceArn)
    c.awslambda.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=worker, BatchSize=10)
    c.awslambda.create_event_source_mapping(EventSourceArn=preview_arn, FunctionName=preview, BatchSize=10)
    c.awslambda.add_permission(FunctionName="ImageConverterFunction", StatementId="UploadPermission",
                               Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                               SourceArn=f"arn:aws:s3:::{uploads}", SourceAccount=account)
    c.s3.put_bucket_notification_configuration(Bucket=uploads, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "Upload", "LambdaFunctionArn": image,
                                          "Events": ["s3:ObjectCreated:*"]}]})
    url_auth = "AWS_IAM" if secure_url else "NONE"
    c.awslambda.create_function_url_config(FunctionName="ReportFunction", AuthType=url_auth)
    # AWS adds `lambda:InvokeFunctionUrl` for `*` with the condition `lambda:FunctionUrlAuthType: NONE` next to a
    # public URL; moto drops that condition from the stored policy (a gap: the statement would read as an
    # unconditioned public grant), so the fixture leaves it out. test_collect covers the real policy shape.
    c.awslambda.add_permission(FunctionName="ReportFunction", StatementId="ReportInvokePermission",
                               Action="lambda:InvokeFunction", Principal="events.amazonaws.com")

    rest = c.apigateway.create_rest_api(name="vulnerable-app")["id"]
    root = next(r["id"] for r in c.apigateway.get_resources(restApiId=rest)["items"] if r["path"] == "/")
    admin = c.apigateway.create_resource(restApiId=rest, parentId=root, pathPart="admin")["id"]
    query = c.apigateway.create_resource(restApiId=rest, parentId=admin, pathPart="query")["id"]
    c.apigateway.put_method(restApiId=rest, resourceId=query, httpMethod="POST", authorizationType="NONE")
    db_arn = out["DbAdminFunction"]
    c.apigateway.put_integration(
        restApiId=rest, resourceId=query, httpMethod="POST", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{db_arn}/invocations")
    c.apigateway.create_deployment(restApiId=rest, stageName="Prod")
    c.awslambda.add_permission(FunctionName="DbAdminFunction", StatementId="RunQueryPermission",
                               Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                               SourceArn=f"arn:aws:execute-api:{region}:{account}:{rest}/*/POST/admin/query")
    out["ServerlessRestApi"] = rest
    return out
