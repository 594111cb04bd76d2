"""Processes archive jobs from the queue."""

import json
import os


def handler(event, context):
    for record in event["Records"]:
        job = json.loads(record["body"])
        archive = job["archive_name"]
        os.system("tar -czf /tmp/out.tgz " + archive)
    return {"batchItemFailures": []}
