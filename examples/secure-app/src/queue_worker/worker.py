"""Processes archive jobs from the queue."""

import json
import re
import subprocess

ARCHIVE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        job = json.loads(record["body"])
        archive = job["archive_name"]
        if not ARCHIVE_NAME.fullmatch(archive):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        subprocess.run(["tar", "-czf", "/dev/null", archive], check=True)
    return {"batchItemFailures": failures}
