"""Benchmark of faasguard.guard (run by hand): python bench/bench_guard.py

1. Added latency per invocation of a no-op handler with every policy on (block), summary line written, timeout
   watch active: guarded vs the same handler unguarded, interleaved in one run (targets: p50 < 50 us,
   p99 < 200 us).
2. Import time of faasguard.guard in a fresh interpreter (target < 10 ms): alone, and on top of what the Lambda
   runtime (awslambdaric) has already imported when it loads a handler.
3. /tmp wipe cost when an invocation created 10 and 1,000 files, plus the tracking cost per created file.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20000"))


def percentiles(samples: list[int]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] / 1000, ordered[int(len(ordered) * 0.99)] / 1000


def latency() -> dict[str, float]:
    code = f"""
import json, os, sys, time, tempfile
sys.path.insert(0, {SRC!r})
log = tempfile.TemporaryFile()
os.dup2(log.fileno(), 2)  # events and summaries go to a real file, as they go to a pipe in Lambda
tmp = tempfile.mkdtemp()
from faasguard.guard import guard
class Ctx:
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self):
        return 600000
def noop(event, context):
    return None
guarded = guard(noop, process="block", network="block", files="block", deserialization="block", ctypes="block",
                tamper="block", tmp_dir=tmp, write_allow=[tmp])
ctx, event = Ctx(), {{"a": 1}}
plain_ns, guarded_ns = [], []
clock = time.perf_counter_ns
for i in range({ROUNDS} + 2000):
    t0 = clock(); noop(event, ctx); t1 = clock(); guarded(event, ctx); t2 = clock()
    if i >= 2000:
        plain_ns.append(t1 - t0); guarded_ns.append(t2 - t1)
print(json.dumps([plain_ns, guarded_ns]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    plain, guarded = json.loads(out)
    p50, p99 = percentiles(plain)
    g50, g99 = percentiles(guarded)
    return {"unguarded_p50_us": p50, "unguarded_p99_us": p99, "guarded_p50_us": g50, "guarded_p99_us": g99,
            "added_p50_us": round(g50 - p50, 2), "added_p99_us": round(g99 - p99, 2)}


def import_time(pre: str, runs: int = 15, bytecode: bool = True) -> float:
    """Median wall time of `import faasguard.guard`; bytecode=False is a read-only layer without .pyc files."""
    code = f"""
import sys, time
sys.path.insert(0, {SRC!r})
{pre}
t = time.perf_counter()
import faasguard.guard
print((time.perf_counter() - t) * 1000)
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp()  # an empty cache: every run compiles the source
    samples = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                    check=True).stdout) for _ in range(runs + 1)][1:]  # first run writes .pyc
    return round(statistics.median(samples), 2)


def wipe(count: int) -> dict[str, float]:
    code = f"""
import json, os, sys, time, tempfile
sys.path.insert(0, {SRC!r})
tmp = tempfile.mkdtemp()
from faasguard.guard import install, load_config
g = install(load_config({{}}, tmp_dir=tmp, write_allow=[tmp], summary="never"))
# creation with tracking (inside an invocation) vs at init (checked the same way, not tracked)
def make(prefix):
    t = time.perf_counter()
    for i in range({count}):
        with open(os.path.join(tmp, prefix + str(i)), "w") as handle:
            handle.write("x")
    return time.perf_counter() - t
from faasguard.guard import guard
timings = {{}}
untracked = make("u")
@guard
def handler(event, context):
    timings["create_tracked"] = make("t")
handler({{}}, None)
created = [(os.path.join(tmp, "u" + str(i)), False) for i in range({count})]
t = time.perf_counter(); removed = g._cleanup(created); timings["wipe"] = time.perf_counter() - t
assert removed == {count} and not os.listdir(tmp), os.listdir(tmp)[:3]
timings["create_untracked"] = untracked
print(json.dumps(timings))
"""
    result = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    return {"files": count, "wipe_ms": round(result["wipe"] * 1000, 3),
            "wipe_us_per_file": round(result["wipe"] * 1e6 / count, 2),
            "tracking_overhead_us_per_file": round((result["create_tracked"] - result["create_untracked"])
                                                   * 1e6 / count, 2)}


def main() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {ROUNDS} invocations")
    result = latency()
    print(json.dumps(result))
    ok = result["added_p50_us"] < 50 and result["added_p99_us"] < 200
    print(f"added latency p50 {result['added_p50_us']} us (target < 50), p99 {result['added_p99_us']} us "
          f"(target < 200): {'OK' if ok else 'MISSED'}")
    pre = ("import awslambdaric.bootstrap, awslambdaric.lambda_runtime_client" if _has_awslambdaric()
           else "import json, logging, threading")
    alone, runtime = import_time(""), import_time(pre)
    no_pyc = import_time(pre, bytecode=False)
    print(f"import faasguard.guard: {alone} ms in a bare interpreter, {runtime} ms after the runtime's imports "
          f"(target < 10 ms): {'OK' if runtime < 10 else 'MISSED'}; without .pyc files (source compiled at "
          f"cold start): {no_pyc} ms")
    for count in (10, 1000):
        print(json.dumps(wipe(count)))


def _has_awslambdaric() -> bool:
    try:
        import awslambdaric  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
