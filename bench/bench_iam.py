"""IAM engine benchmarks (run by hand): catalog load cold/warm, evaluating 1,000 roles, a 1,000-function diff.

    .venv/bin/python bench/bench_iam.py

Targets (issue 5): catalog load < 100 ms after the first run; 1,000 roles < 1 s; 1,000-function diff < 3 s.
Issue 18: `policy diff` linear -- the 1,000- and 5,000-function runs print the time per function, which stays flat
when the cost is linear (also with roles shared by 50 functions each); then the command end to end on a Serverless
service whose one role all functions share, where the JSON itself grows with the square (each entry lists the
other sharers).
"""

from __future__ import annotations

import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOAD = "import time; t=time.perf_counter(); from faasguard.analysis.iam.catalog import get_catalog; " \
       "get_catalog(); print(time.perf_counter()-t)"


def catalog_load() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        for label in ("cold (builds the cache)", "warm", "warm"):
            out = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True)
            print(f"catalog load {label}: {float(out.stdout) * 1000:.0f} ms")


def synthetic_app(n: int, shared: int = 1) -> object:
    """n functions; each role is shared by `shared` consecutive functions."""
    from faasguard.analysis.iam.document import parse_document
    from faasguard.model import (
        Application,
        EnvVar,
        Function,
        Location,
        Policy,
        PolicyKind,
        Resource,
        ResourceCategory,
        Role,
        SourceKind,
    )

    loc = Location("template.yaml", 1)
    functions, roles, resources = [], [], []
    for i in range(n):
        doc = parse_document({"Statement": [
            {"Effect": "Allow", "Action": ["s3:Get*", "dynamodb:PutItem", "secretsmanager:GetSecretValue"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ]}, loc)
        pols = (Policy("inline", PolicyKind.INLINE, loc, doc),
                Policy("AWSLambdaBasicExecutionRole", PolicyKind.AWS_MANAGED, loc, None,
                       "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"))
        if i % shared == 0:
            roles.append(Role(f"Role{i // shared}", loc, policies=pols))
        resources.append(Resource(f"Table{i}", loc, type="AWS::DynamoDB::Table", category=ResourceCategory.TABLE))
        functions.append(Function(f"Fn{i}", loc, role=f"Role{i // shared}",
                                  environment=(EnvVar("TABLE", f"${{Table{i}}}", loc),)))
    return Application("bench", SourceKind.SAM, "/", ("template.yaml",), functions=tuple(functions),
                       roles=tuple(roles), resources=tuple(resources))


def evaluate_and_diff(n: int = 1000, shared: int = 1) -> None:
    from faasguard.analysis import iam as engine
    from faasguard.analysis.code.facts import AwsCall, EnvRef, HandlerFacts
    from faasguard.analysis.iam.catalog import get_catalog
    from faasguard.analysis.iam.escalation import escalations
    from faasguard.commands.policy import _function_report
    from faasguard.config import Config
    from faasguard.facts import Facts
    from faasguard.model import Location

    get_catalog()
    app = synthetic_app(n, shared)
    handlers = {f"Fn{i}": HandlerFacts("app.py", "handler", aws_calls=(
        AwsCall("dynamodb", "put_item", "PutItem", {"TableName": EnvRef("TABLE")}, Location("app.py", 3)),
        AwsCall("s3", "get_object", "GetObject", {"Bucket": "b"}, Location("app.py", 4)))) for i in range(n)}
    t = time.perf_counter()
    facts = engine.enrich(app, Config(), Facts(handlers=handlers), [])  # type: ignore[arg-type]
    assert facts.iam is not None
    for ra in facts.iam.roles.values():
        ra.access("secretsmanager:GetSecretValue")
        escalations(ra)
    label = f"{n} functions, {n // shared} roles"
    print(f"evaluate {label} (compile, needs, access + escalation checks): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    memo: dict[str, object] = {}
    for fn in app.functions:  # type: ignore[attr-defined]
        _function_report(app, facts.iam, fn.id, memo)  # type: ignore[arg-type]
    took = time.perf_counter() - t
    print(f"diff of {label}: {took:.2f} s ({took / n * 1e6:.0f} µs per function)")


def cli_diff(count: int) -> None:
    """`faasguard policy diff --format json` end to end on a Serverless service whose one role all `count`
    functions share (each entry lists the count - 1 others: the output grows with the square)."""
    from bench_serverless import generate

    with tempfile.TemporaryDirectory() as work:
        target = generate(count, Path(work) / f"s{count}").parent
        with tempfile.TemporaryFile() as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "faasguard", "policy", "diff", str(target), "--format", "json"],
                           stdout=out, check=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            size = out.tell()
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"policy diff --format json, Serverless {count} functions on one role: {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU, {size / 1e6:.0f} MB of output")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    catalog_load()
    gc.disable()  # as `faasguard policy diff` runs (pipeline's collector pause): the figures are the command's
    evaluate_and_diff(1000)
    evaluate_and_diff(5000)
    evaluate_and_diff(5000, shared=50)
    gc.enable()
    cli_diff(1000)
    cli_diff(5000)
