"""Audit benchmark: N functions (default 500) in one region of a moto server over HTTP.

Prints the wall time of `run_audit` for the region and the API calls per function. Run by hand:
`python bench/bench_audit.py [N]`. Dummy credentials are set for this process only.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import zipfile


def main(count: int) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ[name] = value
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    from faasguard.audit import AuditOptions, run_audit
    from faasguard.config import Config

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        iam = boto3.client("iam", endpoint_url=endpoint)
        lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return event\n")
        code = buffer.getvalue()
        started = time.perf_counter()
        for index in range(count):
            role = iam.create_role(RoleName=f"role-{index % 50}", AssumeRolePolicyDocument=json.dumps(trust)) \
                if index < 50 else None
            if role is not None:
                iam.put_role_policy(RoleName=f"role-{index % 50}", PolicyName="p", PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
            lam.create_function(FunctionName=f"fn-{index}", Runtime="python3.12", Handler="app.handler",
                                Role=f"arn:aws:iam::123456789012:role/role-{index % 50}", Code={"ZipFile": code},
                                Environment={"Variables": {"STAGE": "prod", "API_TOKEN": f"tok_{index:032d}"}})
            if index % 5 == 0:
                lam.create_function_url_config(FunctionName=f"fn-{index}", AuthType="NONE")
        print(f"setup: {count} functions in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        run = run_audit(AuditOptions(regions=("us-east-1",), endpoint_url=endpoint), Config())
        wall = time.perf_counter() - started
        print(f"audit: {run.functions} functions, {len(run.result.findings)} findings, wall {wall:.1f} s, "
              f"{run.calls.total} API calls ({run.calls.total / max(1, run.functions):.2f} per function)")
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
