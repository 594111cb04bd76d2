"""Precision/recall/time of faasguard's handler rules vs Semgrep and Bandit on our annotated corpus (by hand).

    .venv/bin/python bench/bench_code_tools.py [--venv /tmp/sastvenv]

Semgrep and Bandit are run from a throwaway virtualenv (never the project's), offline: Semgrep with the
registry-free `p/python`-like local rules is not possible offline, so Semgrep runs its bundled
`--config auto` only when the network allows; otherwise it is reported as unavailable. Bandit needs no network.

Scoring is per (rule family, line): a tool's result counts as a true positive when the corpus expects a finding
of the matching family on that line. Families: Bandit test ids and Semgrep rule ids are mapped to our FG ids by
what they detect (B602/B605 → FG501, B307 → FG502, B608 → FG503, B301/B506 → FG505, B501 → FG510, B105/B106 →
FG202, B108 → FG205...). Rules neither tool has (FG204, FG206, FG207, FG504, FG506-FG509, FG511) count only in
our own figures and in the "comparable" column, which restricts all three to the families each tool covers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.code._corpus import CORPUS, actual, expected  # noqa: E402

BANDIT = {
    "B602": "FG501",
    "B605": "FG501",
    "B604": "FG501",
    "B609": "FG501",
    "B601": "FG501",
    "B307": "FG502",
    "B102": "FG502",
    "B608": "FG503",
    "B301": "FG505",
    "B302": "FG505",
    "B506": "FG505",
    "B501": "FG510",
    "B323": "FG510",
    "B105": "FG202",
    "B106": "FG202",
    "B107": "FG202",
    "B108": "FG205",
    "B701": "FG508",
    "B310": "FG507",
    "B603": "FG501",
    "B607": "FG501",
    "B404": None,
    "B403": None,
}
SEMGREP = (
    ("subprocess", "FG501"),
    ("os-system", "FG501"),
    ("dangerous-system-call", "FG501"),
    ("eval", "FG502"),
    ("exec", "FG502"),
    ("sql", "FG503"),
    ("pickle", "FG505"),
    ("yaml", "FG505"),
    ("marshal", "FG505"),
    ("jsonpickle", "FG505"),
    ("ssrf", "FG507"),
    ("request", "FG507"),
    ("path-traversal", "FG506"),
    ("open", "FG506"),
    ("jinja", "FG508"),
    ("template", "FG508"),
    ("verify", "FG510"),
    ("ssl", "FG510"),
    ("secret", "FG202"),
    ("password", "FG202"),
    ("key", "FG202"),
    ("tmp", "FG205"),
    ("dynamo", "FG504"),
    ("mongo", "FG504"),
    ("nosql", "FG504"),
    ("logging", "FG204"),
)


def score(
    found: set[tuple[str, str, int]], truth: set[tuple[str, str, int]], families: set[str] | None = None
) -> tuple[float, float, int, int, int]:
    if families is not None:
        found = {f for f in found if f[1] in families}
        truth = {t for t in truth if t[1] in families}
    tp = len(found & truth)
    fp = len(found - truth)
    fn = len(truth - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def run_bandit(venv: Path) -> tuple[set[tuple[str, str, int]], float] | None:
    exe = venv / "bin" / "bandit"
    if not exe.exists():
        return None
    start = time.perf_counter()
    proc = subprocess.run(
        [str(exe), "-r", str(CORPUS), "-f", "json", "-q"], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    data = json.loads(proc.stdout or "{}")
    found = set()
    for result in data.get("results", []):
        family = BANDIT.get(result["test_id"])
        if family:
            found.add((Path(result["filename"]).name, family, result["line_number"]))
    return found, seconds


def run_semgrep(venv: Path) -> tuple[set[tuple[str, str, int]], float] | None:
    exe = venv / "bin" / "semgrep"
    if not exe.exists():
        return None
    start = time.perf_counter()
    proc = subprocess.run(
        [
            str(exe),
            "scan",
            "--config",
            "p/python",
            "--config",
            "p/security-audit",
            "--json",
            "--metrics",
            "off",
            "--quiet",
            str(CORPUS),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.perf_counter() - start
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print("semgrep unavailable:", (proc.stderr or proc.stdout)[-300:])
        return None
    found = set()
    for result in data.get("results", []):
        rule = result["check_id"].lower()
        family = next((fg for needle, fg in SEMGREP if needle in rule), None)
        if family:
            found.add((Path(result["path"]).name, family, result["start"]["line"]))
    return found, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", default="/tmp/sastvenv")
    args = parser.parse_args()
    files = sorted(CORPUS.glob("*.py"))
    truth = {(f.name, rule, line) for f in files for rule, line in expected(f)}
    start = time.perf_counter()
    ours = {(f.name, rule, line) for f in files for rule, line in actual(f)}
    our_seconds = time.perf_counter() - start
    rows = [("faasguard", ours, our_seconds)]
    for name, runner in (("bandit", run_bandit), ("semgrep", run_semgrep)):
        result = runner(Path(args.venv))
        if result is not None:
            rows.append((name, *result))
    print(f"corpus: {len(files)} files, {len(truth)} expected findings")
    print(
        f"{'tool':10} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4} {'time s':>7} | comparable "
        "families: ours P/R vs tool P/R"
    )
    for name, found, seconds in rows:
        p, r, tp, fp, fn = score(found, truth)
        families = {fam for _, fam, _ in found}
        if name == "faasguard":
            extra = ""
        else:
            op, orr, *_ = score(ours, truth, families)
            tp_, tr_, *_ = score(found, truth, families)
            extra = f"{sorted(families)}: ours {op:.2f}/{orr:.2f} vs {tp_:.2f}/{tr_:.2f}"
        print(f"{name:10} {p:9.2f} {r:7.2f} {tp:4} {fp:4} {fn:4} {seconds:7.2f} | {extra}")


if __name__ == "__main__":
    main()
