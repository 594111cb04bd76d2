"""Serverless Framework loader benchmark (issue 6): synthetic services of 100, 1,000 and 5,000 functions (target,
issue 18: 1,000 functions under 1 s for a whole uncached `faasguard scan`), and the corpus' serverless.yml files.

Run by hand: `python bench/bench_serverless.py`.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "serverless-patterns"
EVENTS = [
    "      - http:\n          path: r{i}\n          method: post\n",
    "      - sqs:\n          arn: arn:aws:sqs:eu-west-1:111122223333:q{i}\n",
    "      - schedule: rate(5 minutes)\n",
    "      - httpApi:\n          method: get\n          path: /r{i}\n",
    "      - stream:\n          type: dynamodb\n"
    "          arn: arn:aws:dynamodb:eu-west-1:111122223333:table/t{i}/stream/x\n",
]


def generate(count: int, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        "service: synthetic\nframeworkVersion: '3'\nprovider:\n  name: aws\n  runtime: python3.12\n"
        "  stage: ${opt:stage, 'dev'}\n  environment:\n    STAGE: ${self:provider.stage}\n"
        "  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: ['s3:*']\n"
        "          Resource: '*'\nfunctions:\n"
    ]
    for i in range(count):
        timeout = "    timeout: 900\n" if i % 7 == 0 else ""
        parts.append(f"  fn{i}:\n    handler: src/fn{i}.handler\n{timeout}    environment:\n"
                     f"      TABLE: table-{i}\n    events:\n" + EVENTS[i % len(EVENTS)].format(i=i))
    path = out / "serverless.yml"
    path.write_text("".join(parts))
    return path


def _run(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit code) of one uncached, one-process scan: with the scan
    cache a repeated run replays the first and measures nothing."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "faasguard", "scan", *args, "--no-cache", "--jobs", "1",
                           "--format", "json"], stdout=subprocess.DEVNULL, check=False).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, code


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="faasguard-sls-"))
    for count in (100, 1000, 5000):
        target = generate(count, work / f"s{count}")
        runs = [_run([str(target.parent)]) for _ in range(3)]
        wall, cpu, code = min(runs)
        print(f"serverless.yml with {count:>5} functions: {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"(best of 3, exit {code})")
    if CORPUS.is_dir():
        files = [str(p) for p in sorted(CORPUS.rglob("serverless.yml"))]
        wall, cpu, code = _run(files)
        print(f"corpus, {len(files)} serverless.yml files: {wall:.2f} s wall, {cpu:.2f} s CPU (exit {code})")


if __name__ == "__main__":
    main()
