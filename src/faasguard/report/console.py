"""Console report (placeholder: plain lines until the rich reporter lands)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.pipeline import ScanResult


def render_console(result: ScanResult, config: Config, output: Path | None) -> None:
    lines = [f"{f.location}: {f.rule_id} [{f.severity.value}] {f.message}" for f in result.findings
             if f.suppression is None]
    lines += [f"{d.location or ''}: {d.kind.value}: {d.message}" for d in result.diagnostics]
    text = "\n".join(lines) + "\n"
    if output:
        output.write_text(text)
    else:
        print(text, end="")
