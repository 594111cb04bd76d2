"""Serverless Framework loader benchmark (issue 6): synthetic services of 100 and 1,000 functions (target:
1,000 functions under 2 s for a whole `faasguard scan`), and the corpus' serverless.yml files.

Run by hand: `python bench/bench_serverless.py`.
"""

from __future__ import annotations

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


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="faasguard-sls-"))
    for count in (100, 1000):
        target = generate(count, work / f"s{count}")
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            code = subprocess.run([sys.executable, "-m", "faasguard", "scan", str(target.parent), "--format",
                                   "json"], stdout=subprocess.DEVNULL, check=False).returncode
            best = min(best, time.perf_counter() - start)
        print(f"serverless.yml with {count:>5} functions: {best:.2f} s (exit {code})")
    if CORPUS.is_dir():
        files = [str(p) for p in sorted(CORPUS.rglob("serverless.yml"))]
        start = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", "faasguard", "scan", *files, "--format", "json"],
                              stdout=subprocess.DEVNULL, check=False).returncode
        print(f"corpus, {len(files)} serverless.yml files: {time.perf_counter() - start:.2f} s (exit {code})")


if __name__ == "__main__":
    main()
