"""Runs report queries for the back office."""

import json
import os

import boto3
import psycopg2

secrets = boto3.client("secretsmanager")
audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])
_password = secrets.get_secret_value(SecretId=os.environ["DB_PASSWORD_SECRET_ARN"])["SecretString"]


def lambda_handler(event, context):
    body = json.loads(event["body"])
    customer = body["customer"]
    if not isinstance(customer, str) or len(customer) > 64:
        return {"statusCode": 400, "body": "bad customer"}
    connection = psycopg2.connect(host=os.environ["DB_HOST"], user=os.environ["DB_USER"], password=_password)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, total FROM orders WHERE customer = %s", (customer,))
        rows = cursor.fetchall()
    audit.put_item(Item={"id": context.aws_request_id, "customer": customer})
    return {"statusCode": 200, "body": json.dumps(rows, default=str)}
