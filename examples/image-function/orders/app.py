"""Order lookup: the handler of the image function (the image runs it through awslambdaric)."""

import json

import urllib3

HTTP = urllib3.PoolManager()


def handler(event, context):
    order_id = (event.get("queryStringParameters") or {}).get("id", "")
    response = HTTP.request("GET", "https://orders.internal.example/v1/orders", fields={"id": order_id})
    return {"statusCode": response.status, "body": json.dumps({"order": order_id})}
