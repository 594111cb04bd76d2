"""Returns a customer's monthly report, decrypting it on the way."""

import base64
import os

import boto3

s3 = boto3.client("s3")
kms = boto3.client("kms")


def handler(event, context):
    report_id = event["queryStringParameters"]["id"]
    blob = s3.get_object(Bucket="acme-reports", Key=f"reports/{os.path.basename(report_id)}.bin")["Body"].read()
    plaintext = kms.decrypt(CiphertextBlob=blob)["Plaintext"]
    path = "/tmp/report.csv"
    with open(path, "wb") as handle:
        handle.write(plaintext)
    with open(path, "rb") as handle:
        data = handle.read()
    return {"statusCode": 200, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}
