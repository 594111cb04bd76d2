"""Makes a thumbnail of every uploaded image with ImageMagick."""

import os
import subprocess
import tempfile
import urllib.parse

import boto3

s3 = boto3.client("s3")
THUMBNAIL_BUCKET = os.environ["THUMBNAIL_BUCKET"]


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        with tempfile.TemporaryDirectory() as workdir:
            source = os.path.join(workdir, "source")
            thumbnail = os.path.join(workdir, "thumb.png")
            s3.download_file(bucket, key, source)
            # An argument list without a shell: the key never reaches a command line.
            subprocess.run(["convert", source, "-resize", "128x128", thumbnail], check=True)
            s3.upload_file(thumbnail, THUMBNAIL_BUCKET, f"thumbs/{os.path.basename(key)}")
    return {"converted": len(event["Records"])}
