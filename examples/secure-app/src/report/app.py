"""Returns a customer's monthly report, decrypting it in memory."""

import base64
import os

import boto3

s3 = boto3.client("s3")
kms = boto3.client("kms")


def handler(event, context):
    report_id = event["queryStringParameters"]["id"]
    blob = s3.get_object(Bucket="acme-reports", Key=f"reports/{os.path.basename(report_id)}.bin")["Body"].read()
    plaintext = kms.decrypt(CiphertextBlob=blob)["Plaintext"]
    return {"statusCode": 200, "body": base64.b64encode(plaintext).decode(), "isBase64Encoded": True}
