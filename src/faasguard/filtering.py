"""The filter stage: severity threshold, inline and central suppressions, baseline — in one place.

(Minimal version; the suppression machinery is completed with the reporters.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faasguard.config import Config
from faasguard.findings import Diagnostic, Finding
from faasguard.model import Application


def apply_filters(findings: Sequence[Finding], apps: Sequence[Application],
                  config: Config) -> tuple[list[Finding], list[Diagnostic]]:
    kept = [f for f in findings if f.severity.rank >= config.severity.rank]
    kept.sort(key=lambda f: (f.location.path, f.location.line, f.rule_id))
    return kept, []


def write_baseline(path: Path, findings: Sequence[Finding]) -> None:
    """Record current findings' fingerprints so later scans show only new ones."""
    import json

    entries = sorted({(f.rule_id, f.fingerprint, f.resource) for f in findings if f.suppression is None})
    path.write_text(json.dumps({"version": 1, "findings": [
        {"rule_id": r, "fingerprint": fp, "resource": res} for r, fp, res in entries]}, indent=2) + "\n")
