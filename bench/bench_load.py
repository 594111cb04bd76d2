"""How much of a scan the loading stage costs: discovery, each YAML-based loader, the bare-handler pre-filter.

Issue 18 splits a scan into phases; this one covers everything before enrichment that reads YAML or walks the
tree, on the real corpus and on synthetic SAM / Serverless apps (bench/gen_sam.py, bench_serverless.py), so a
change to discovery or to the CloudFormation/Serverless loaders can be measured without the code analysis, IAM
and attack-graph stages that dominate a whole scan. Every figure is CPU seconds (user + sys of this process,
median of `--repeat` runs; on a shared machine wall time mostly measures the neighbours) or peak RSS in MB,
all measured in this run.

Run by hand: `python bench/bench_load.py [--repeat 3] [--sam 10000] [--serverless 1000] [--corpus PATH]`.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_serverless import generate as generate_serverless  # noqa: E402
from gen_sam import generate as generate_sam  # noqa: E402

from faasguard import pipeline, sources  # noqa: E402
from faasguard.config import Config  # noqa: E402
from faasguard.loaders import (  # noqa: E402
    LoadContext,
    cloudformation,
    serverless,
)

DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "serverless-patterns"


def cpu(repeat: int, action: Callable[[], object]) -> float:
    """Median CPU seconds of `action`, with the collector off as during a scan (pipeline.scan)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            action()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
    return statistics.median(times)


def phases(path: Path, repeat: int) -> dict[str, float]:
    cwd = Path.cwd()
    found = sources.discover([str(path)], (), cwd)
    by_type: dict[sources.SourceType, list[sources.SourceFile]] = {}
    for source in found.files:
        by_type.setdefault(source.type, []).append(source)
    out = {"discovery": cpu(repeat, lambda: sources.discover([str(path)], (), cwd))}
    for kind, module in ((sources.SourceType.CLOUDFORMATION, cloudformation),
                         (sources.SourceType.SERVERLESS, serverless)):
        files = by_type.get(kind, [])
        if files:
            out[f"load:{kind.value}"] = cpu(repeat, lambda m=module, f=files: m.load(f, LoadContext(
                config=Config(), cwd=cwd, roots=(path.resolve(),))))
    python = [f for f in by_type.get(sources.SourceType.PYTHON, []) if not sources.is_test_file(f.path, f.root)]
    if python:
        out["handler pre-filter"] = cpu(repeat, lambda: [f for f in python if pipeline._looks_like_handler(f.path)])
    out["load_sources (all loaders)"] = cpu(repeat, lambda: pipeline.load_sources([str(path)], Config(), cwd))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sam", type=int, default=10_000, help="functions in the synthetic SAM app (0: skip)")
    parser.add_argument("--serverless", type=int, default=1_000, help="functions in the synthetic service")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faasguard-bench-load-") as tmp:
        targets: list[tuple[str, Path]] = []
        if args.corpus.is_dir():
            targets.append((f"corpus {args.corpus.name}", args.corpus))
        if args.sam:
            targets.append((f"synthetic SAM, {args.sam} functions", generate_sam(args.sam, Path(tmp) / "sam").parent))
        if args.serverless:
            targets.append((f"synthetic Serverless, {args.serverless} functions",
                            generate_serverless(args.serverless, Path(tmp) / "sls").parent))
        for label, path in targets:
            print(f"{label} (CPU s, median of {args.repeat}):")
            for phase, seconds in phases(path, args.repeat).items():
                print(f"  {phase:28} {seconds:7.3f}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
