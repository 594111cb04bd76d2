"""Handler code analysis benchmark and robustness run (by hand, not a test).

    .venv/bin/python bench/bench_code.py [--stdlib] [--patterns [--repeat N]] [--corpus]

--corpus    average time per handler file over tests/fixtures/code/corpus (warm botocore models)
--patterns  every .py file of /work/shared/corpora/serverless-patterns (1,439 real handler files): each
            handler-shaped function analysed; reports internal errors (must be 0), and the cost of the analysis
            (parse + analysis) against its floor, reading and `ast.parse` of exactly the same files, both measured
            in this run (alternately, --repeat times each, medians; CPU seconds and wall seconds)
--stdlib    every .py file of the Python standard library: every module-level function analysed as an entry
            point with its first parameter as the event; reports crashes (must be 0) and total time
"""

from __future__ import annotations

import argparse
import ast
import gc
import statistics
import sys
import sysconfig
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from faasguard.analysis.code import analyze_function
from faasguard.analysis.code.python.analyzer import Analyzer
from faasguard.analysis.code.python.modules import parse_module
from faasguard.loaders.code import is_handler

PATTERNS = Path("/work/shared/corpora/serverless-patterns")
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "code" / "corpus"


def parse_floor(files: list[Path]) -> tuple[float, float]:
    """(CPU s, wall s) of reading and `ast.parse`-ing `files`, with the collector paused as in `run_files`: the
    least any Python analysis of these files pays."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        trees = []
        for path in files:
            try:
                trees.append(ast.parse(path.read_bytes(), filename=str(path)))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
        return time.process_time() - cpu, time.perf_counter() - wall
    finally:
        if was_enabled:
            gc.enable()


def run_files(files: list[Path], every_function: bool) -> tuple[int, int, list[str], float, float]:
    """Parse and analyse `files` the way a scan does: `pipeline.scan` pauses the cyclic garbage collector (the
    parsed trees are long-lived and acyclic; with the collector on, its full passes over them cost 4x the
    parsing itself on serverless-patterns), so the benchmark does too."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_files(files, every_function)
    finally:
        if was_enabled:
            gc.enable()


def _run_files(files: list[Path], every_function: bool) -> tuple[int, int, list[str], float, float]:
    from faasguard.analysis.code.python import modules as _modules

    _modules._cache.clear()  # every file parsed in the run, as on a first scan
    crashes: list[str] = []
    analysed = 0
    analyzers: dict[Path, Analyzer] = {}  # one per directory, as one per application in a scan
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        info = parse_module(path)
        if info.tree is None:
            continue
        names = [n.name for n in info.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and (every_function or is_handler(n))]
        analyzer = analyzers.setdefault(path.parent, Analyzer((path.parent,)))
        for name in names:
            diagnostics: list = []
            try:
                analyze_function(analyzer, path, name, name, diagnostics)
                analysed += 1
            except Exception:
                crashes.append(f"{path}:{name}: {traceback.format_exc(limit=3).splitlines()[-1]}")
    return len(files), analysed, crashes, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdlib", action="store_true")
    parser.add_argument("--patterns", action="store_true")
    parser.add_argument("--corpus", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.corpus or not (args.stdlib or args.patterns):
        files = sorted(CORPUS.glob("*.py"))
        run_files(files, False)  # warm-up: botocore service models, imports
        n, analysed, crashes, seconds, _ = run_files(files, False)
        print(f"corpus: {n} files, {analysed} handlers, {len(crashes)} crashes, "
              f"{seconds * 1000 / n:.2f} ms per file (parse + analysis)")
    if args.patterns:
        if not PATTERNS.is_dir():
            print("serverless-patterns corpus absent; skipped")
        else:
            patterns(sorted(PATTERNS.rglob("*.py")), args.repeat)
    if args.stdlib:
        root = Path(sysconfig.get_paths()["stdlib"])
        files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
        n, analysed, crashes, seconds, _ = run_files(files, True)
        print(f"stdlib: {n} files, {analysed} functions analysed as entry points, {len(crashes)} crashes, "
              f"{seconds:.1f} s")
        for crash in crashes[:20]:
            print("  ", crash)


def patterns(files: list[Path], repeat: int) -> None:
    """The analysis against its parse floor on the same files, alternating the two so that the load of a shared
    machine falls on both alike."""
    run_files(sorted(CORPUS.glob("*.py")), False)  # warm-up: imports, botocore service models
    floors: list[tuple[float, float]] = []
    runs: list[tuple[float, float]] = []
    n = analysed = 0
    crashes: list[str] = []
    for _ in range(max(repeat, 1)):
        floors.append(parse_floor(files))
        n, analysed, crashes, wall, cpu = run_files(files, False)
        runs.append((cpu, wall))
    floor_cpu, floor_wall = (statistics.median(f[i] for f in floors) for i in (0, 1))
    run_cpu, run_wall = (statistics.median(r[i] for r in runs) for i in (0, 1))
    print(f"serverless-patterns: {n} files, {analysed} handlers, {len(crashes)} crashes; medians of {len(runs)}")
    print(f"  floor (read + ast.parse): {floor_cpu:.2f} s CPU, {floor_wall:.2f} s wall")
    print(f"  analysis (parse + analysis): {run_cpu:.2f} s CPU, {run_wall:.2f} s wall, "
          f"{run_wall * 1000 / n:.2f} ms per file")
    print(f"  ratio to the floor: {run_cpu / floor_cpu:.2f}x CPU, {run_wall / floor_wall:.2f}x wall (target <= 1.5x)")
    for crash in crashes[:20]:
        print("  ", crash)


if __name__ == "__main__":
    main()
