"""Runs ad-hoc report queries for the back office."""

import json
import os

import boto3
import psycopg2

audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])


def lambda_handler(event, context):
    body = json.loads(event["body"])
    customer = body["customer"]
    connection = psycopg2.connect(
        host=os.environ["DB_HOST"], user=os.environ["DB_USER"], password=os.environ["DB_PASSWORD"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, total FROM orders WHERE customer = '{customer}'")
        rows = cursor.fetchall()
    audit.put_item(Item={"id": context.aws_request_id, "customer": customer})
    return {"statusCode": 200, "body": json.dumps(rows, default=str)}
