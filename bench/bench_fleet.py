"""Org-wide benchmark: units/s of `faasguard scan --repos` at 1, 2 and 4 workers, local pool against Ray.

Builds a repositories file of N folders of ../shared/corpora/serverless-patterns (default 200), runs the merged
scan with the local process pool and with an in-process Ray cluster at each worker count, and prints units/s,
Ray's fixed overhead (start-up and worker imports) and the run size under which `--ray` is not worth it.
Run by hand: `python bench/bench_fleet.py [N] [WORKERS,...]`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "serverless-patterns"


def _run(repos: Path, workers: int, ray: bool, out: Path) -> float:
    units = out / f"units-{workers}-{int(ray)}"
    shutil.rmtree(units, ignore_errors=True)
    args = [sys.executable, "-m", "faasguard", "scan", "--repos", str(repos), "--jobs", str(workers),
            "--units-dir", str(units), "--format", "json", "-o", str(out / "merged.json")]
    started = time.perf_counter()
    subprocess.run([*args, *(["--ray"] if ray else [])], env={**os.environ, "CI": "1"}, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(count: int, workers: list[int]) -> None:
    corpus = CORPUS if CORPUS.is_dir() else Path("/work/shared/corpora/serverless-patterns")
    folders = sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))[:count]
    out = Path(tempfile.mkdtemp(prefix="faasguard-bench-fleet-"))
    repos = out / "repos.txt"
    repos.write_text("\n".join(str(p) for p in folders) + "\n")
    small = out / "small.txt"
    small.write_text("\n".join(str(p) for p in folders[:4]) + "\n")
    try:
        print(f"{len(folders)} repositories")
        rates: dict[tuple[int, bool], float] = {}
        for n in workers:
            for ray in (False, True):
                wall = _run(repos, n, ray, out)
                rates[(n, ray)] = len(folders) / wall
                print(f"workers={n} {'ray ' if ray else 'pool'}: {wall:6.1f} s  {rates[(n, ray)]:5.2f} units/s")
        n = workers[-1]
        overhead = _run(small, n, True, out) - _run(small, n, False, out)
        per_unit_pool = 1 / rates[(n, False)]
        print(f"Ray fixed overhead over the local pool (4 units, {n} workers): {overhead:.1f} s")
        print(f"advice: below ~{max(1, int(overhead / per_unit_pool))} units on one machine, --ray is not worth "
              "it; use --jobs (the local pool). Ray pays off across machines, not on one.")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
         [int(w) for w in (sys.argv[2] if len(sys.argv) > 2 else "1,2,4").split(",")])
