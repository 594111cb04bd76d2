"""Start-up and small scans: `--version`, the pre-commit case and a few small real apps (by hand, not a test).

    python bench/bench_startup.py [--repeat 7] [--checkov EXE] [--bandit EXE] [--semgrep EXE] [--src DIR]
                                  [--baseline-src DIR]

On single small apps -- one template and its handlers, what a pre-commit hook or a pull request touches --
start-up and per-scan fixed costs (imports, data tables) are most of the run, and they are what a user compares
with Checkov, Semgrep and Bandit. Each case is run `--repeat` times, faasguard and the competitors alternately
(other work on the machine then hits both alike); the medians of wall seconds and CPU seconds (user + system,
from `wait4`) and the largest peak RSS are printed. Competitors run only when their executables are given
(`--checkov`/`$CHECKOV`, `--bandit`/`$BANDIT`, `--semgrep`/`$SEMGREP`, each from a throwaway virtualenv, never
the project's) and are measured in the same run on the same files: Checkov on the infrastructure-as-code
(`-f`/`-d`, the matching `--framework`), Bandit and Semgrep (`--config` of `$SEMGREP_CONFIG`, default
`p/python`, which needs the network) on the Python handlers.

faasguard runs with its bytecode compiled, as an installed package has it: a warm-up run writes the bytecode
under a private `PYTHONPYCACHEPREFIX` (a checkout with `PYTHONDONTWRITEBYTECODE=1` would otherwise compile every
module on every run, ~0.45 s here), and with `--no-cache` so that every run does the whole scan. `--src` measures
another checkout's sources with the same interpreter; `--baseline-src DIR` adds a "baseline" row measured in the
same run, alternately with the others (e.g. `git archive main src | tar -x -C /tmp/base`), for a before/after.
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
ROOT = HERE.parent
CORPUS = ROOT.parent.parent / "shared" / "corpora" / "serverless-patterns"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/serverless-patterns")
APP = ROOT / "examples" / "vulnerable-app"
Measure = tuple[float, float, float]
"""(wall seconds, CPU seconds (user + system), peak RSS in MB)."""


def measure(argv: Sequence[str], env: dict[str, str] | None = None) -> Measure:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read() if proc.stderr else b""  # a chatty competitor must not block on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RunFailedError(f"{' '.join(argv[:3])}... exited {code}: {stderr.decode(errors='replace')[-600:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


class RunFailedError(Exception):
    """A run that exited with neither 0 nor 1 (a competitor without network for its rules, a crash)."""


class Case:
    """One small input: what faasguard scans, and what each competitor is given of the same files."""

    def __init__(self, name: str, paths: Sequence[Path], framework: str | None, code: Sequence[Path]) -> None:
        self.name, self.paths, self.framework, self.code = name, list(paths), framework, list(code)

    def available(self) -> bool:
        return all(p.exists() for p in self.paths)


def cases() -> list[Case]:
    sam = CORPUS / "apigw-rest-api-lambda-python"
    tf = CORPUS / "eventbridge-schedule-to-lambda-terraform-python"
    sls = CORPUS / "lambda-sqs-sls"
    return [
        Case("pre-commit (template + handler)", [APP / "template.yaml", APP / "src" / "report" / "app.py"],
             "cloudformation", [APP / "src" / "report" / "app.py"]),
        Case("examples/vulnerable-app", [APP], "cloudformation", [APP / "src"]),
        Case(f"SAM {sam.name}", [sam], "cloudformation", [sam]),
        Case(f"Terraform {tf.name}", [tf], "terraform", [tf]),
        Case(f"Serverless {sls.name}", [sls], "serverless", [sls]),
    ]


def competitor_argv(tool: str, exe: str, case: Case, semgrep_config: str) -> list[str] | None:
    if tool == "checkov":
        if not case.framework:
            return None
        targets: list[str] = []
        for path in case.paths:
            if path.suffix == ".py":
                continue
            targets += ["-d" if path.is_dir() else "-f", str(path)]
        return [exe, *targets, "--framework", case.framework, "--quiet", "-o", "json"]
    if tool == "bandit":
        return [exe, "-q", "-f", "json", "-r", *map(str, case.code)]
    return [exe, "scan", "--config", semgrep_config, "--json", "--metrics", "off", "--quiet",
            *map(str, case.code)]


def row(label: str, runs: list[Measure]) -> str:
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    return f"  {label:34} {wall:6.3f} s wall {cpu:6.3f} s CPU {rss:6.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="faasguard sources to measure")
    parser.add_argument("--baseline-src", type=Path, help="sources of the version to compare with")
    for tool in ("checkov", "bandit", "semgrep"):
        parser.add_argument(f"--{tool}", default=os.environ.get(tool.upper()), help=f"{tool} executable")
    args = parser.parse_args()

    pycache = Path(tempfile.mkdtemp(prefix="fg-bench-pycache-"))
    report = pycache / "report.json"
    env = {**os.environ, "PYTHONPATH": str(args.src.resolve()), "PYTHONPYCACHEPREFIX": str(pycache / "new"),
           "FAASGUARD_NO_CACHE": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    versions = {"faasguard": env}
    if args.baseline_src:
        versions["baseline"] = {**env, "PYTHONPATH": str(args.baseline_src.resolve()),
                                "PYTHONPYCACHEPREFIX": str(pycache / "baseline")}
    fg = [sys.executable, "-m", "faasguard"]
    out = ["--no-cache", "--format", "json", "-o", str(report)]
    tools = {t: getattr(args, t) for t in ("checkov", "bandit", "semgrep")
             if getattr(args, t) and shutil.which(getattr(args, t))}
    semgrep_config = os.environ.get("SEMGREP_CONFIG", "p/python")

    print(f"faasguard from {args.src}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} runs, alternately")
    for case in cases():  # warm-up: the bytecode of everything each scan imports
        if case.available():
            for version_env in versions.values():
                measure([*fg, "scan", *map(str, case.paths), *out], version_env)
    version_runs: dict[str, list[Measure]] = {label: [] for label in versions}
    for _ in range(args.repeat):
        for label, version_env in versions.items():
            version_runs[label].append(measure([*fg, "--version"], version_env))
    for label, measured in version_runs.items():
        print(row(f"{label} --version", measured))
    for case in cases():
        if not case.available():
            print(f"{case.name}: absent, skipped")
            continue
        runs: dict[str, list[Measure]] = {label: [] for label in versions}
        failed: dict[str, str] = {}
        for _ in range(args.repeat):
            for label, version_env in versions.items():
                runs[label].append(measure([*fg, "scan", *map(str, case.paths), *out], version_env))
            for tool, exe in tools.items():
                argv = competitor_argv(tool, exe, case, semgrep_config)
                if argv is not None and tool not in failed:
                    try:
                        runs.setdefault(tool, []).append(measure(argv))
                    except RunFailedError as error:
                        failed[tool] = str(error)
                        runs.pop(tool, None)
        print(case.name)
        for label, measured in runs.items():
            print(row(label, measured))
        for tool, error in failed.items():
            print(f"  {tool}: not measured ({error})")
        ours = statistics.median(r[0] for r in runs["faasguard"])
        ours_cpu = statistics.median(r[1] for r in runs["faasguard"])
        if "baseline" in runs:
            wall = statistics.median(r[0] for r in runs["baseline"])
            cpu = statistics.median(r[1] for r in runs["baseline"])
            print(f"  baseline / faasguard: {wall / ours:.2f}x wall, {cpu / ours_cpu:.2f}x CPU")
        for tool in tools:
            if tool in runs:
                wall = statistics.median(r[0] for r in runs[tool])
                cpu = statistics.median(r[1] for r in runs[tool])
                print(f"  {tool} / faasguard: {wall / ours:.1f}x wall, {cpu / ours_cpu:.1f}x CPU")
    shutil.rmtree(pycache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
