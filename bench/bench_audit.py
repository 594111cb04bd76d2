"""Audit benchmark: N functions (default 500) in one region of a moto server over HTTP.

Prints the wall time of `run_audit` for the region and the API calls per function. Run by hand:
`python bench/bench_audit.py [N] [--in-process] [--profile]`
(`--profile`: cProfile of the audit, top 40 by cumulative time). Dummy credentials are set for this process only.

By default moto runs in its own process (`python -m moto.server`), as AWS does: with `--in-process` the
`ThreadedMotoServer` shares this process's GIL with the collector, so the audit's wall time then also pays for
moto's request handling (measured on this 2-core machine: see the README's audit section).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile


def _moto_process() -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return endpoint, process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


def main(count: int, in_process: bool = False, profile: bool = False) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ[name] = value
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    from faasguard.audit import AuditOptions, run_audit
    from faasguard.config import Config

    if in_process:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint, stop = f"http://{host}:{port}", server.stop
    else:
        endpoint, process = _moto_process()
        stop = process.terminate
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
        options = AuditOptions(regions=("us-east-1",), endpoint_url=endpoint)
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            run = profiler.runcall(run_audit, options, Config())
            wall = time.perf_counter() - started
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        else:
            run = run_audit(options, Config())
            wall = time.perf_counter() - started
        for (service, operation), calls in sorted(run.calls.counts.items(), key=lambda item: -item[1]):
            print(f"  {calls:6d}  {service}:{operation}")
        print(f"audit: {run.functions} functions, {len(run.result.findings)} findings, wall {wall:.1f} s, "
              f"{run.calls.total} API calls ({run.calls.total / max(1, run.functions):.2f} per function)")
        print(f"moto {'in this process' if in_process else 'in its own process'}")
    finally:
        stop()


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    main(int(numbers[0]) if numbers else 500, in_process="--in-process" in sys.argv, profile="--profile" in sys.argv)
