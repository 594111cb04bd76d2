"""Handler code analysis benchmark and robustness run (by hand, not a test).

    .venv/bin/python bench/bench_code.py [--stdlib] [--patterns] [--corpus]

--corpus    average time per handler file over tests/fixtures/code/corpus (warm botocore models)
--patterns  every .py file of /work/shared/corpora/serverless-patterns (1,439 real handler files): each
            handler-shaped function analysed; reports internal errors (must be 0) and time per file
--stdlib    every .py file of the Python standard library: every module-level function analysed as an entry
            point with its first parameter as the event; reports crashes (must be 0) and total time
"""

from __future__ import annotations

import argparse
import ast
import gc
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


def run_files(files: list[Path], every_function: bool) -> tuple[int, int, list[str], float]:
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


def _run_files(files: list[Path], every_function: bool) -> tuple[int, int, list[str], float]:
    crashes: list[str] = []
    analysed = 0
    analyzers: dict[Path, Analyzer] = {}  # one per directory, as one per application in a scan
    start = time.perf_counter()
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
    return len(files), analysed, crashes, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdlib", action="store_true")
    parser.add_argument("--patterns", action="store_true")
    parser.add_argument("--corpus", action="store_true")
    args = parser.parse_args()
    if args.corpus or not (args.stdlib or args.patterns):
        files = sorted(CORPUS.glob("*.py"))
        run_files(files, False)  # warm-up: botocore service models, imports
        from faasguard.analysis.code.python import modules as _modules
        _modules._cache.clear()
        n, analysed, crashes, seconds = run_files(files, False)
        print(f"corpus: {n} files, {analysed} handlers, {len(crashes)} crashes, "
              f"{seconds * 1000 / n:.2f} ms per file (parse + analysis)")
    if args.patterns:
        if not PATTERNS.is_dir():
            print("serverless-patterns corpus absent; skipped")
        else:
            files = sorted(PATTERNS.rglob("*.py"))
            n, analysed, crashes, seconds = run_files(files, False)
            print(f"serverless-patterns: {n} files, {analysed} handlers, {len(crashes)} crashes, "
                  f"{seconds:.2f} s, {seconds * 1000 / n:.2f} ms per file")
            for crash in crashes[:20]:
                print("  ", crash)
    if args.stdlib:
        root = Path(sysconfig.get_paths()["stdlib"])
        files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
        n, analysed, crashes, seconds = run_files(files, True)
        print(f"stdlib: {n} files, {analysed} functions analysed as entry points, {len(crashes)} crashes, "
              f"{seconds:.1f} s")
        for crash in crashes[:20]:
            print("  ", crash)


if __name__ == "__main__":
    main()
