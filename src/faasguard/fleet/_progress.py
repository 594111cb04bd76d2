"""Progress of an org-wide run: units done / total, findings so far, ETA.

A rich bar for a person at a terminal; in CI or when stderr is not a terminal, a plain line at most every
`every` seconds (and at the end), so a log of a 17,000-unit run stays readable.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable


def _eta(done: int, total: int, elapsed: float, baseline: int) -> str:
    ran = done - baseline
    if ran <= 0 or done >= total:
        return "--:--"
    seconds = int(elapsed / ran * (total - done))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def plain_line(done: int, total: int, findings: int, failed: int, eta: str) -> str:
    return f"faasguard: units {done}/{total} done, {failed} failed, {findings} findings so far, ETA {eta}"


def progress_printer(label: str, every: float = 10.0,
                     rich: bool | None = None) -> tuple[Callable[[int, int, int, int], None], Callable[[], None]]:
    """(hook, close): the hook takes (done, total, findings, failed)."""
    if rich is None:
        rich = not os.environ.get("CI") and sys.stderr.isatty()
    started = time.perf_counter()
    first: list[int] = []
    if rich:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[findings]} findings, {task.fields[failed]} failed"),
                       TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        task = bar.add_task(label, total=None, findings=0, failed=0)
        bar.start()

        def hook(done: int, total: int, findings: int, failed: int) -> None:
            bar.update(task, completed=done, total=total, findings=findings, failed=failed)

        return hook, bar.stop

    last = [0.0]

    def plain(done: int, total: int, findings: int, failed: int) -> None:
        if not first:
            first.append(done)  # resumed units are not part of the rate
        now = time.perf_counter()
        if now - last[0] >= every or done + failed >= total:
            last[0] = now
            sys.stderr.write(plain_line(done, total, findings, failed,
                                        _eta(done, total, now - started, first[0])) + "\n")
            sys.stderr.flush()

    return plain, lambda: None
