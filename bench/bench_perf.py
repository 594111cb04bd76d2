"""The whole-corpus targets of issue 18, each measured in this run: wall, CPU and peak RSS of a subprocess.

Rows (medians of --repeat runs, each a fresh process):
  scan, no cache        `faasguard scan CORPUS --no-cache` (IaC + handler code + dependencies, JSON report);
                        processes chosen automatically (both cores when the scan is big enough)
  scan, --jobs 1        the same in one process, measured alternately with the row above (same conditions);
                        the line "both cores" below the table says what the second core brings
  scan, --select FG30   the same, with only the API rules FG30x (FG306 still reads the code analysis)
  cache: first run      a scan that records its inputs and stores the report
  cache: warm re-run    nothing changed: the report is replayed
  cache: first change   one handler changed: the command line's second scan, the first to keep units
  cache: one file       one handler changed (in a copy of the corpus), then scanned: the units it does not
                        touch are replayed (faasguard.unit_cache)
  cache: one template   the same with one SAM template changed (a comment appended)
  floor: changed app    the application of the changed handler scanned alone, no cache: what re-analysing it
                        costs by itself (start-up, the imports its analysis needs, its analysis, its report) --
                        the least a one-file change of the corpus can cost without a resident process
  --version             start-up
  pre-commit            one template and one handler (examples/vulnerable-app), no cache
  checkov               `checkov -d CORPUS --framework cloudformation terraform serverless` (IaC only), when
                        --checkov or $CHECKOV names its executable; no Checkov figure is printed otherwise
  baseline: ...         the same rows for another faasguard source tree (--baseline-src, e.g. main's `src`),
                        for a before/after table from one run

Run by hand: `python bench/bench_perf.py [--repeat 3] [--checkov /tmp/ckv/bin/checkov] [--baseline-src DIR]`;
`--only cache` measures the "cache:" and "floor:" rows alone (a few minutes instead of a quarter of an hour).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "serverless-patterns"
Measure = tuple[float, float, float]
"""(wall seconds, CPU seconds (user + system), peak RSS in MB)."""


def measure(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Measure:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median(runs: list[Measure]) -> Measure:
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            statistics.median(r[2] for r in runs))


def faasguard_rows(src: Path, corpus: Path, repeat: int, label: str, only_cache: bool = False) -> dict[str, Measure]:
    cache = Path(tempfile.mkdtemp(prefix="fg-bench-cache-"))
    env = {**os.environ, "PYTHONPATH": str(src), "FAASGUARD_CACHE_DIR": str(cache)}
    env.pop("FAASGUARD_NO_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode compiled
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "fg-bench-pycache")  # not beside `src`
    fg = [sys.executable, "-m", "faasguard"]
    out = ["--format", "json", "-o", str(cache / "report.json")]
    has_cache = (src / "faasguard" / "scan_cache.py").is_file()
    no_cache = ["--no-cache"] if has_cache else []
    rows: dict[str, Measure] = {}
    measure([*fg, "scan", str(corpus), *out, *no_cache], env)  # warm-up: bytecode, derived tables
    if not only_cache:
        rows |= _scan_rows(fg, out, no_cache, src, corpus, repeat, env)
    if has_cache:
        copy = Path(tempfile.mkdtemp(prefix="fg-bench-corpus-")) / "corpus"
        shutil.copytree(corpus, copy, symlinks=True)
        firsts, warms, seconds, ones, templates = [], [], [], [], []
        handler = next(p for p in sorted(copy.rglob("app.py")) if "python" not in p.parts)
        template = next(iter(sorted(copy.rglob("template.yaml"))))
        for index in range(repeat):
            shutil.rmtree(cache / "scan-v1", ignore_errors=True)
            firsts.append(measure([*fg, "scan", str(copy), *out], env))
            warms.append(measure([*fg, "scan", str(copy), *out], env))
            # the second scan of a command line is the first to keep units (`unit_cache.wanted`)
            with handler.open("a") as stream:
                stream.write(f"\n# edited {index}\n")
            seconds.append(measure([*fg, "scan", str(copy), *out], env))
            with handler.open("a") as stream:
                stream.write(f"\n# changed {index}\n")
            ones.append(measure([*fg, "scan", str(copy), *out], env))
            with template.open("a") as stream:
                stream.write(f"\n# changed {index}\n")
            templates.append(measure([*fg, "scan", str(copy), *out], env))
        rows["cache: first run"] = median(firsts)
        rows["cache: warm re-run"] = median(warms)
        rows["cache: first change (keeps units)"] = median(seconds)
        rows["cache: one file changed"] = median(ones)
        rows["cache: one template changed"] = median(templates)
        alone = copy / handler.relative_to(copy).parts[0]
        rows["floor: changed app alone, no cache"] = median([measure([*fg, "scan", str(alone), *out, *no_cache], env)
                                                             for _ in range(repeat)])
        shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return {f"{label}{name}": value for name, value in rows.items()}


def _scan_rows(fg: list[str], out: list[str], no_cache: list[str], src: Path, corpus: Path, repeat: int,  # noqa: PLR0917
               env: dict[str, str]) -> dict[str, Measure]:
    rows: dict[str, Measure] = {}
    if (src / "faasguard" / "parallel.py").is_file():
        auto, serial = [], []
        for _ in range(repeat):  # alternately: load from other processes on the machine hits both alike
            auto.append(measure([*fg, "scan", str(corpus), *out, *no_cache], env))
            serial.append(measure([*fg, "scan", str(corpus), "--jobs", "1", *out, *no_cache], env))
        rows["scan, no cache"], rows["scan, --jobs 1"] = median(auto), median(serial)
    else:
        rows["scan, no cache"] = median([measure([*fg, "scan", str(corpus), *out, *no_cache], env)
                                         for _ in range(repeat)])
    rows["scan, --select FG30"] = median([measure([*fg, "scan", str(corpus), "--select", "FG30", *out, *no_cache],
                                                  env) for _ in range(repeat)])
    app = HERE.parent / "examples" / "vulnerable-app"
    rows["--version"] = median([measure([*fg, "--version"], env) for _ in range(repeat)])
    rows["pre-commit"] = median([measure([*fg, "scan", str(app / "template.yaml"),
                                          str(app / "src" / "report" / "app.py"), *out, *no_cache], env)
                                 for _ in range(repeat)])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkov", default=os.environ.get("CHECKOV"),
                        help="Checkov's executable (default $CHECKOV); without it no Checkov figure is printed.")
    parser.add_argument("--checkov-repeat", type=int, default=1)
    parser.add_argument("--baseline-src", type=Path, help="Another faasguard `src` directory to measure too.")
    parser.add_argument("--only", choices=("all", "cache"), default="all",
                        help="`cache`: only the cache and floor rows.")
    args = parser.parse_args()
    corpus: Path = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    only_cache = args.only == "cache"
    rows = faasguard_rows(SRC, corpus, args.repeat, "", only_cache)
    if args.baseline_src:
        rows |= faasguard_rows(args.baseline_src.resolve(), corpus, args.repeat, "baseline: ", only_cache)
    checkov = None
    if args.checkov and shutil.which(args.checkov):
        work = Path(tempfile.mkdtemp(prefix="fg-bench-checkov-"))
        checkov = median([measure([args.checkov, "-d", str(corpus), "--framework", "cloudformation", "terraform",
                                   "serverless", "--quiet", "--compact", "-o", "json"], dict(os.environ), cwd=work)
                          for _ in range(args.checkov_repeat)])
        rows["checkov (IaC only)"] = checkov
        shutil.rmtree(work, ignore_errors=True)
    print(f"corpus: {corpus}  (median of {args.repeat} runs; checkov {args.checkov_repeat})")
    print(f"{'run':<36}{'wall s':>9}{'CPU s':>9}{'RSS MB':>9}")
    for name, (wall, cpu, rss) in rows.items():
        print(f"{name:<36}{wall:>9.2f}{cpu:>9.2f}{rss:>9.0f}")
    for label in ("", "baseline: "):
        if f"{label}scan, --jobs 1" in rows:
            auto_wall, auto_cpu, _ = rows[f"{label}scan, no cache"]
            one_wall, one_cpu, _ = rows[f"{label}scan, --jobs 1"]
            print(f"{label}both cores (auto vs --jobs 1, {len(os.sched_getaffinity(0))} usable CPUs): "
                  f"{one_wall / auto_wall:.2f}x wall, {auto_cpu / one_cpu:.2f}x the CPU")
    if checkov:
        for name in ("scan, no cache", "scan, --jobs 1", "cache: first run", "baseline: scan, no cache"):
            if name in rows:
                print(f"checkov / {name}: {checkov[0] / rows[name][0]:.1f}x wall, "
                      f"{checkov[1] / rows[name][1]:.1f}x CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
