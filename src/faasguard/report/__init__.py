"""Reporters: they only render a `ScanResult` (DESIGN.md); filtering happened before."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.pipeline import ScanResult


def render(result: ScanResult, output_format: str, output: str | None, config: Config) -> None:
    if output_format == "json":
        from faasguard.report.json_report import render_json as renderer
    elif output_format == "sarif":
        from faasguard.report.sarif import render_sarif as renderer
    elif output_format == "html":
        from faasguard.config import ConfigError

        raise ConfigError("--format html is not available yet (planned); use console, json or sarif")
    else:
        from faasguard.report.console import render_console

        render_console(result, config, Path(output) if output else None)
        return
    text = renderer(result, config)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
