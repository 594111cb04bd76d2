"""How fast the CloudFormation/SAM loader is on real templates (aws-samples/serverless-patterns, 498 files).

Reports, best of N runs each:
  1. the parse floor: libyaml composing every template (what any YAML-based scanner must pay);
  2. the loader alone, in process: parse + intrinsic resolution + model for every template;
  3. a full `faasguard scan` of the corpus in a subprocess (start-up, discovery, loading, enrichment, rules,
     JSON report), with its peak RSS.

Run by hand: `python bench/bench_corpus_sam.py [--repeat 3] [--corpus PATH]`. Target (issue 3): the whole
corpus loaded well under 1.5 s. Competitors are timed only in the same run (bench_scale.py --competitors);
no figure measured elsewhere is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "serverless-patterns"


def best_of(repeat: int, action: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus: Path = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2

    from faasguard.config import Config
    from faasguard.loaders import LoadContext, cloudformation
    from faasguard.sources import SourceType, discover

    files = [f for f in discover([str(corpus)], cwd=corpus).files if f.type is SourceType.CLOUDFORMATION]
    texts = [f.path.read_text(errors="replace") for f in files]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def parse_only() -> None:
        for text in texts:
            with contextlib.suppress(yaml.YAMLError):
                list(yaml.compose_all(text, Loader=loader))

    ctx = LoadContext(config=Config(), cwd=corpus, roots=(corpus,))
    outcome: dict[str, int] = {}

    def load_all() -> None:
        result = cloudformation.load(files, ctx)
        outcome["apps"] = len(result.apps)
        outcome["functions"] = sum(len(a.functions) for a in result.apps)
        outcome["triggers"] = sum(len(a.triggers) for a in result.apps)
        outcome["diagnostics"] = len(result.diagnostics)

    parse_time = best_of(args.repeat, parse_only)
    load_time = best_of(args.repeat, load_all)

    scan_cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "faasguard", "scan", str(corpus),
                "--format", "json", "--output", "/dev/null"]
    scan_best = float("inf")
    rss_kb = 0
    code = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        done = subprocess.run(scan_cmd, capture_output=True, text=True, check=False)
        scan_best = min(scan_best, time.perf_counter() - start)
        code = done.returncode
        tail = done.stderr.strip().splitlines()
        if tail and tail[-1].isdigit():
            rss_kb = max(rss_kb, int(tail[-1]))

    print(f"corpus: {corpus} ({len(files)} CloudFormation/SAM templates)")
    print(f"parse floor (libyaml compose):   {parse_time:6.2f} s")
    print(f"loader (parse+resolve+model):    {load_time:6.2f} s  -> {outcome['apps']} apps, "
          f"{outcome['functions']} functions, {outcome['triggers']} triggers, {outcome['diagnostics']} diagnostics")
    print(f"full `faasguard scan` (subproc): {scan_best:6.2f} s  exit {code}, peak RSS {rss_kb / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
