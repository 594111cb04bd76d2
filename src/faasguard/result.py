"""What a scan produced, for reporters and commands: applications, facts, findings, diagnostics, timings.

Kept apart from `faasguard.pipeline` so that reporters depend on the result, not on the machinery that
made it (a live audit builds the same result from another source).
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from faasguard._record import record
from faasguard.facts import Facts
from faasguard.findings import Diagnostic, Finding
from faasguard.model import Application

if TYPE_CHECKING:
    from faasguard.rules.base import Rule
    from faasguard.sources import SourceFile


@record(frozen=False, slots=False)
class ScanResult:
    apps: list[Application] = field(default_factory=list)
    facts: dict[int, Facts] = field(default_factory=dict)
    """Facts per application, keyed by the application's index in `apps`."""
    findings: list[Finding] = field(default_factory=list)
    """After the filter stage; suppressed findings are kept with `suppression` set."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    rules: list[type[Rule]] = field(default_factory=list)
    environment_values: set[str] = field(default_factory=set)
    """Values read from the process environment during the scan (see `LoadContext.environment_values`)."""

    @property
    def nothing_loaded(self) -> bool:
        return not self.apps
