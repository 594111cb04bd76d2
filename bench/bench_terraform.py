"""How fast and how big the Terraform loader is: synthetic apps of 100 to 10,000 functions, and the real corpus.

Reports, best of N runs each:
  1. synthetic Terraform root modules (generated here into a temp dir): N functions, each with its own role,
     `jsonencode` inline policy, `aws_iam_policy_document` + attachment, environment, function URL, SQS event
     source mapping and API Gateway method/integration; the loader alone, each run in a fresh process so that
     its peak RSS is the load's own (wall, CPU, peak RSS, and what was loaded: a root module the work budget
     refuses loads no function and says so), with the CPU time of tree-sitter's parse alone on the same files:
     the floor that no change to the loader's Python goes under; that parse's throughput, and whether it
     releases the GIL (a pure-Python thread's pace while it runs), which decides if threads could share it;
  2. the parse floor on the corpus (tree-sitter-hcl on every `.tf` file, and `parse_hcl`, which adds the copy
     of what the loader keeps out of each tree), then the loader on all of
     `serverless-patterns`' 159 Terraform directories (337 `.tf` files), in process.

With `--for-each`, each size is also written as one `for_each` block per resource over a map in `locals` (the
loader expands one instance per entry), and loaded the same way.

Run by hand: `python bench/bench_terraform.py [--repeat 3] [--sizes 100,1000,10000] [--corpus PATH] [--keep DIR]
[--for-each]`.
Targets (issues 6 and 18): 1,000 functions under 1 s, 10,000 under 10 s in under 500 MB on this machine kind.
Competitors are timed only in the same run, by bench_scale.py --competitors.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "serverless-patterns"

_FUNCTION = '''
resource "aws_iam_role" "fn{i}" {{
  name = "${{local.prefix}}-fn{i}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "lambda.amazonaws.com" }} }}]
  }})
  inline_policy {{
    name = "table"
    policy = jsonencode({{
      Version   = "2012-10-17"
      Statement = [{{ Effect = "Allow", Action = ["dynamodb:GetItem"], Resource = aws_dynamodb_table.t{i}.arn }}]
    }})
  }}
}}

data "aws_iam_policy_document" "fn{i}" {{
  statement {{
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = [aws_sqs_queue.q{i}.arn]
  }}
}}

resource "aws_iam_policy" "fn{i}" {{
  name   = "fn{i}"
  policy = data.aws_iam_policy_document.fn{i}.json
}}

resource "aws_iam_role_policy_attachment" "fn{i}" {{
  role       = aws_iam_role.fn{i}.name
  policy_arn = aws_iam_policy.fn{i}.arn
}}

resource "aws_dynamodb_table" "t{i}" {{
  name     = "t{i}"
  hash_key = "id"
}}

resource "aws_sqs_queue" "q{i}" {{
  name = "q{i}"
}}

resource "aws_lambda_function" "fn{i}" {{
  function_name = "${{local.prefix}}-fn{i}"
  role          = aws_iam_role.fn{i}.arn
  handler       = "app.handler"
  runtime       = var.runtime
  timeout       = {timeout}
  environment {{
    variables = {{
      TABLE = aws_dynamodb_table.t{i}.name
      STAGE = var.stage
    }}
  }}
}}

resource "aws_lambda_function_url" "fn{i}" {{
  function_name      = aws_lambda_function.fn{i}.function_name
  authorization_type = "{auth}"
}}

resource "aws_lambda_event_source_mapping" "fn{i}" {{
  event_source_arn = aws_sqs_queue.q{i}.arn
  function_name    = aws_lambda_function.fn{i}.arn
}}

resource "aws_api_gateway_resource" "fn{i}" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "fn{i}"
}}

resource "aws_api_gateway_method" "fn{i}" {{
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.fn{i}.id
  http_method   = "POST"
  authorization = "NONE"
}}

resource "aws_api_gateway_integration" "fn{i}" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.fn{i}.id
  http_method = aws_api_gateway_method.fn{i}.http_method
  type        = "AWS_PROXY"
  uri         = aws_lambda_function.fn{i}.invoke_arn
}}
'''

_HEADER = '''
variable "stage" {
  default = "dev"
}

variable "runtime" {
  default = "python3.12"
}

locals {
  prefix = "bench-${var.stage}"
}

resource "aws_api_gateway_rest_api" "api" {
  name = "bench"
}
'''


def generate(directory: Path, functions: int, per_file: int = 50) -> None:
    """A root module of `functions` functions, split over several files as real projects are."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(_HEADER)
    for start in range(0, functions, per_file):
        chunk = "".join(_FUNCTION.format(i=i, timeout=30 + i % 900, auth="NONE" if i % 3 else "AWS_IAM")
                        for i in range(start, min(functions, start + per_file)))
        (directory / f"functions_{start // per_file:03d}.tf").write_text(chunk)


_FOR_EACH = '''
resource "aws_sqs_queue" "q" {
  for_each = local.functions
  name     = "${local.prefix}-${each.key}"
}

resource "aws_iam_role" "fn" {
  for_each = local.functions
  name     = "${local.prefix}-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

data "aws_iam_policy_document" "fn" {
  for_each = local.functions
  statement {
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = [aws_sqs_queue.q[each.key].arn]
  }
}

resource "aws_iam_role_policy" "fn" {
  for_each = local.functions
  role     = aws_iam_role.fn[each.key].id
  policy   = data.aws_iam_policy_document.fn[each.key].json
}

resource "aws_lambda_function" "fn" {
  for_each      = local.functions
  function_name = "${local.prefix}-${each.key}"
  role          = aws_iam_role.fn[each.key].arn
  handler       = "app.handler"
  runtime       = each.value.runtime
  timeout       = each.value.timeout
  filename      = "build/app.zip"
  environment {
    variables = { QUEUE = aws_sqs_queue.q[each.key].url, STAGE = var.stage }
  }
}

resource "aws_lambda_function_url" "fn" {
  for_each           = local.functions
  function_name      = aws_lambda_function.fn[each.key].function_name
  authorization_type = each.value.auth
}

resource "aws_lambda_event_source_mapping" "fn" {
  for_each         = local.functions
  event_source_arn = aws_sqs_queue.q[each.key].arn
  function_name    = aws_lambda_function.fn[each.key].arn
}
'''


def generate_for_each(directory: Path, functions: int) -> None:
    """The same kind of app written the way many real ones are: one `for_each` block per resource over a map of
    `functions` entries in `locals` (each instance is expanded by the loader)."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = "\n".join(f'    fn{i} = {{ runtime = "python3.12", timeout = {30 + i % 900}, '
                        f'auth = "{"NONE" if i % 3 else "AWS_IAM"}" }}' for i in range(functions))
    (directory / "main.tf").write_text(_HEADER + f"\nlocals {{\n  functions = {{\n{entries}\n  }}\n}}\n")
    (directory / "functions.tf").write_text(_FOR_EACH)


def best_of(repeat: int, action: Callable[[], object]) -> tuple[float, object]:
    """Best wall time of `action` over `repeat` runs. The garbage a previous run left is collected before the
    clock starts, so one run does not pay for another's (the loader pauses the collector while it runs).
    The best CPU time of the same runs is kept in `LAST_CPU["best"]` (on a shared machine it is the steadier
    number)."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    LAST_CPU["best"] = best_cpu
    return best, result


LAST_CPU: dict[str, float] = {"best": 0.0}


def load_tree(root: Path) -> object:
    from faasguard.config import Config
    from faasguard.loaders import LoadContext, terraform
    from faasguard.sources import SourceType, discover

    found = discover([str(root)], cwd=root)
    files = [f for f in found.files if f.type is SourceType.TERRAFORM]
    return terraform.load(files, LoadContext(Config(), root, (root,)))


def measure_once(root: Path) -> dict[str, object]:
    """One load of `root` in this (fresh) process: its times, peak RSS and what it loaded, then (after the peak
    RSS is read) the CPU time of tree-sitter's parse alone on the same files, the floor under the loader."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = load_tree(root)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    apps = getattr(result, "apps", [])
    diagnostics = getattr(result, "diagnostics", [])
    summary = {"functions": sum(len(a.functions) for a in apps), "triggers": sum(len(a.triggers) for a in apps),
               "refused": [d.message for d in diagnostics if "work budget" in d.message]}
    del result, apps, diagnostics
    from faasguard.loaders._hcl import _parser

    sources = [path.read_bytes() for path in sorted(root.glob("*.tf"))]
    parser = _parser()
    gc.collect()
    parse_start = time.process_time()
    for source in sources:
        parser.parse(source)
    parse_cpu = time.process_time() - parse_start
    size = sum(len(source) for source in sources)
    return {"wall": wall, "cpu": cpu, "rss_mb": rss_mb, "parse_cpu": parse_cpu,
            "parse_mb_s": size / 1e6 / parse_cpu if parse_cpu else 0.0, "gil_pace": gil_pace(parser, sources),
            **summary}


def gil_pace(parser: Any, sources: list[bytes]) -> float:
    """How much of its own pace a pure-Python thread keeps while tree-sitter parses `sources` (1.0: the parse
    releases the GIL, and threads could parse files in parallel on both cores; near 0: it holds it). The pace is
    counted against the same thread while the main thread sleeps for as long as the parse took."""
    counted = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counted[0] += 1

    def pace(work: Callable[[], object]) -> tuple[float, float]:
        stop.clear()
        counted[0] = 0
        spinner = threading.Thread(target=spin)
        spinner.start()
        time.sleep(0.05)
        before, start = counted[0], time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        done = counted[0] - before
        stop.set()
        spinner.join()
        return done / elapsed if elapsed else 0.0, elapsed

    during, elapsed = pace(lambda: [parser.parse(source) for source in sources])
    idle, _ = pace(lambda: time.sleep(elapsed))
    return during / idle if idle else 0.0


def measure(root: Path, repeat: int) -> dict[str, object]:
    """Best wall and CPU, and the largest peak RSS, over `repeat` fresh processes."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--measure-once", str(root)], capture_output=True,
                              text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = dict(runs[0])
    best["wall"] = min(float(r["wall"]) for r in runs)
    best["cpu"] = min(float(r["cpu"]) for r in runs)
    best["parse_cpu"] = min(float(r["parse_cpu"]) for r in runs)
    best["parse_mb_s"] = max(float(r["parse_mb_s"]) for r in runs)
    best["gil_pace"] = max(float(r["gil_pace"]) for r in runs)
    best["rss_mb"] = max(float(r["rss_mb"]) for r in runs)
    return best


def parse_floor(sources: list[tuple[Path, bytes]]) -> None:
    """tree-sitter-hcl alone on every file: the floor under `copy_out`."""
    from faasguard.loaders._hcl import _parser

    parser = _parser()
    for _, source in sources:
        parser.parse(source)


def copy_out(sources: list[tuple[Path, bytes]]) -> None:
    """`parse_hcl` on every file: the parse plus the copy of what the loader keeps out of each tree."""
    from faasguard.loaders._hcl import parse_hcl

    for path, source in sources:
        parse_hcl(source, str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the synthetic apps here instead of a temp dir")
    parser.add_argument("--sizes", default="100,1000,10000", help="synthetic sizes, comma-separated")
    parser.add_argument("--for-each", action="store_true",
                        help="also each size written as for_each blocks over a map (count/for_each expansion)")
    parser.add_argument("--measure-once", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_once is not None:
        print(json.dumps(measure_once(args.measure_once)))
        return 0

    targets = {1000: " (target < 1 s)", 10000: " (target < 10 s, < 500 MB)"}
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for count in (int(size) for size in args.sizes.split(",") if size.strip()):
            app_dir = base / f"tf-{count}"
            generate(app_dir, count)
            run = measure(app_dir, args.repeat)
            refused = run["refused"]
            note = f"; REFUSED by the work budget: {refused[0]}" if isinstance(refused, list) and refused else ""
            print(f"synthetic {count:>5} functions: {run['wall']:6.3f} s ({run['cpu']:6.3f} s CPU, of which "
                  f"tree-sitter's parse alone {run['parse_cpu']:6.3f} s), peak RSS {run['rss_mb']:5.0f} MB  "
                  f"[{run['functions']} functions, {run['triggers']} triggers loaded{note}]{targets.get(count, '')}")
            if args.for_each:
                each_dir = base / f"tf-each-{count}"
                generate_for_each(each_dir, count)
                each = measure(each_dir, args.repeat)
                print(f"synthetic {count:>5} functions as for_each instances: {each['wall']:6.3f} s "
                      f"({each['cpu']:6.3f} s CPU), peak RSS {each['rss_mb']:5.0f} MB  "
                      f"[{each['functions']} functions, {each['triggers']} triggers loaded]")
            pace = float(run["gil_pace"])
            print(f"  tree-sitter-hcl parse: {run['parse_mb_s']:.2f} MB/s; a Python thread keeps {pace:.0%} of its "
                  f"pace while it parses ({'it releases' if pace > 0.3 else 'it holds'} the GIL"
                  f"{': threads could parse files side by side' if pace > 0.3 else ': threads cannot share it'})")

    if args.corpus.is_dir():
        tf_files = sorted(p for p in args.corpus.rglob("*.tf") if ".terraform" not in p.parts)
        sources = [(path, path.read_bytes()) for path in tf_files]
        best_of(args.repeat, lambda: parse_floor(sources))
        floor = LAST_CPU["best"]
        best_of(args.repeat, lambda: copy_out(sources))
        copied = LAST_CPU["best"]
        print(f"corpus parse floor (tree-sitter alone, {len(tf_files)} .tf files, "
              f"{sum(len(s) for _, s in sources) / 1e6:.2f} MB): {floor:6.3f} s CPU; with the copy-out "
              f"(parse_hcl): {copied:6.3f} s CPU")
        elapsed, result = best_of(args.repeat, lambda: load_tree(args.corpus))
        corpus_cpu = LAST_CPU["best"]
        apps = getattr(result, "apps", [])
        diagnostics = getattr(result, "diagnostics", [])
        internal = sum(1 for d in diagnostics if d.kind.value == "internal-error")
        print(f"corpus loader ({len({p.parent for p in tf_files})} directories, {len(apps)} root modules, "
              f"{sum(len(a.functions) for a in apps)} functions): {elapsed:6.3f} s ({corpus_cpu:6.3f} s CPU)  "
              f"[{internal} internal errors]")
    else:
        print(f"corpus not found at {args.corpus}; skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
