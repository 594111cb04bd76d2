"""Many accounts × regions in one moto server, each reached through AssumeRole as an organisation would be."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def accounts(count: int) -> list[str]:
    return [f"{100000000000 + index * 1111:012d}" for index in range(count)]


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def seed(endpoint: str, account_ids: list[str], regions: list[str]) -> list[str]:
    """One function per (account, region), with a scenario that depends on both (a deprecated runtime, a
    public function URL, a wildcard role, or nothing wrong); returns the audit role ARNs (the accounts file)."""
    code = _zip()
    arns = []
    sts = boto3.client("sts", region_name=regions[0], endpoint_url=endpoint)
    for a, account in enumerate(account_ids):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/audit", RoleSessionName="seed")["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"])
        iam = session.client("iam", region_name=regions[0], endpoint_url=endpoint)
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        if a % 2:
            iam.put_role_policy(RoleName="fn-role", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        iam.create_role(RoleName="audit", AssumeRolePolicyDocument="{}")
        arns.append(f"arn:aws:iam::{account}:role/audit")
        for r, region in enumerate(regions):
            lam = session.client("lambda", region_name=region, endpoint_url=endpoint)
            name = f"fn-{account}-{region}"
            lam.create_function(FunctionName=name, Runtime="python3.8" if (a + r) % 3 == 0 else "python3.12",
                                Role=role, Handler="app.handler", Code={"ZipFile": code})
            if (a + r) % 4 == 1:
                lam.create_function_url_config(FunctionName=name, AuthType="NONE")
                lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                                   Principal="*", FunctionUrlAuthType="NONE")
    return arns
