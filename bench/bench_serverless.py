"""Serverless Framework loader benchmark (issue 6): synthetic services of 1, 100, 1,000 and 5,000 functions (target,
issue 18: 1,000 functions under 1 s for a whole uncached `faasguard scan`), and the corpus' serverless.yml files.

Each figure is one whole `python -m faasguard scan` process (start-up, imports, load, analysis, JSON report and
exit), uncached (`--no-cache`) and serial (`--jobs 1`), its CPU time and peak RSS read from that child alone
(`os.wait4`); the best of 3 runs is shown. The 1-function service is the fixed cost every scan pays. The
synthetic handlers are not written to disk: what is timed is the IaC side (the loader, IAM, attack paths, rules,
report) plus one "module not found" warning per function, not the code analysis.

Run by hand: `python bench/bench_serverless.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = next((p / "shared" / "corpora" / "serverless-patterns" for p in Path(__file__).resolve().parents
               if (p / "shared" / "corpora" / "serverless-patterns").is_dir()), Path("shared-corpus-not-found"))
"""Beside the checkout (`../shared`), or beside the folder of worktrees (`../../shared`)."""
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


def _run(args: list[str]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one uncached, one-process scan: with the scan
    cache a repeated run replays the first and measures nothing."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "faasguard", "scan", *args, "--no-cache", "--jobs", "1",
                              "--format", "json"], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, child.returncode


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="faasguard-sls-"))
    for count in (1, 100, 1000, 5000):
        target = generate(count, work / f"s{count}")
        runs = [_run([str(target.parent)]) for _ in range(3)]
        print(f"serverless.yml with {count:>5} functions: {min(r[0] for r in runs):.2f} s wall, "
              f"{min(r[1] for r in runs):.2f} s CPU, {min(r[2] for r in runs)} MB (best of 3, exit {runs[0][3]})")
    if CORPUS.is_dir():
        files = [str(p) for p in sorted(CORPUS.rglob("serverless.yml"))]
        wall, cpu, rss, code = _run(files)
        print(f"corpus, {len(files)} serverless.yml files: {wall:.2f} s wall, {cpu:.2f} s CPU, {rss} MB (exit {code})")

if __name__ == "__main__":
    main()
