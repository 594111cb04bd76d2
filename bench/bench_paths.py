"""Attack-path benchmarks (run by hand): what the attack-graph stage and the FG9xx rules add to a corpus scan,
and how large the corpus's HTML report is and how long it takes to open in headless Chromium.

    .venv/bin/python bench/bench_paths.py [CORPUS]   # default ../shared/corpora/serverless-patterns

Targets (issue 11): the stage adds < 10 % to the corpus scan; the whole corpus's HTML report opens in < 3 s
and stays under 10 MB.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
DEFAULT = next((p for p in (_REPO.parent / "shared", _REPO.parent.parent / "shared") if p.is_dir()),
               _REPO.parent / "shared") / "corpora" / "serverless-patterns"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def stage_cost(corpus: Path, rounds: int = 3) -> None:
    from faasguard.analysis.paths import build_graph
    from faasguard.config import Config
    from faasguard.pipeline import run_rules, scan
    from faasguard.rules.base import RuleContext
    from faasguard.rules.paths import AttackPath, CredentialExposure, SharedRoleBlastRadius

    config = Config()
    totals, stages = [], []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = scan([str(corpus)], config)
        totals.append(time.perf_counter() - started)
        # the stage's own work, re-run on the same facts: the graph of every application plus the FG9xx rules
        started = time.perf_counter()
        for index, app in enumerate(result.apps):
            facts = result.facts[index]
            build_graph(app, facts)
            run_rules(RuleContext(app, config, facts), [AttackPath, SharedRoleBlastRadius, CredentialExposure], [])
        stages.append(time.perf_counter() - started)
    assert result is not None
    assert result.apps, f"nothing to scan under {corpus}"
    total, stage = min(totals), min(stages)
    paths = sum(len(f.paths.paths) for f in result.facts.values() if f.paths is not None)
    print(f"corpus scan: {total:.2f} s best of {rounds} ({len(result.apps)} applications, "
          f"{sum(len(a.functions) for a in result.apps)} functions, {paths} attack paths)")
    print(f"attack-path stage (graph + FG901-FG903): {stage * 1000:.0f} ms = {stage / total * 100:.1f} % of the scan")


def html_open(corpus: Path) -> None:
    from playwright.sync_api import sync_playwright

    from faasguard.config import Config
    from faasguard.pipeline import scan
    from faasguard.report.html import render_html

    result = scan([str(corpus)], Config())
    started = time.perf_counter()
    text = render_html(result, Config())
    render = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.html"
        report.write_text(text, encoding="utf-8")
        size = report.stat().st_size
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_context(offline=True).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            times = []
            for _ in range(3):
                started = time.perf_counter()
                page.goto(report.as_uri())
                page.wait_for_function("document.getElementById('row-count') !== null", timeout=60000)
                assert not errors, errors
                times.append(time.perf_counter() - started)
            browser.close()
    print(f"HTML report: {len(result.findings)} findings, {size / 1e6:.2f} MB, rendered in {render * 1000:.0f} ms, "
          f"opened in Chromium in {min(times):.2f} s (best of 3; first {times[0]:.2f} s)")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    stage_cost(target)
    html_open(target)
