"""Findings, diagnostics and rule metadata: the report contract (DESIGN.md "Findings").

A `Finding` is what a rule says about one offending node; a `Diagnostic` is what the scanner says about its own
inputs (a parse error, an unresolved value, a component that crashed). Reporters render both; the exit code is
decided from both in one place (`exit_code`).
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.model import Location


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def raised(self, steps: int = 1) -> Severity:
        return _SEVERITIES[min(len(_SEVERITIES) - 1, self.rank + steps)]

    def lowered(self, steps: int = 1) -> Severity:
        return _SEVERITIES[max(0, self.rank - steps)]


_SEVERITIES = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
_SEVERITY_RANK = {s: i for i, s in enumerate(_SEVERITIES)}


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RuleStatus(StrEnum):
    STABLE = "stable"
    PREVIEW = "preview"
    DEPRECATED = "deprecated"


@record
class RuleMeta:
    id: str
    name: str
    summary: str
    severity: Severity
    confidence: Confidence
    cwe: str | None
    owasp: str | None
    """OWASP Serverless Top 10 id, e.g. "SAS-4"."""
    checklist: str | None = None
    """Audit checklist item C1..C6 where it applies."""
    status: RuleStatus = RuleStatus.STABLE
    docs: str = ""
    """Markdown with the sections What it does / Why is this bad? / Example / Fix."""

    @property
    def help_uri(self) -> str:
        return f"https://faasguard.dev/rules/{self.id}/"


@record
class EvidenceStep:
    """One hop of a taint path (source → ... → sink) or one piece of supporting evidence."""

    description: str
    location: Location


@record
class Suppression:
    kind: str
    """"inSource" (comment or template Metadata) or "external" (config list, baseline)."""
    justification: str
    location: Location | None = None
    until: str | None = None


@record
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    confidence: Confidence
    message: str
    location: Location
    resource: str
    function: str | tuple[str, ...] | None = None
    evidence: tuple[EvidenceStep, ...] = ()
    statement: Mapping[str, Any] | None = field(default=None, compare=False)
    """For IAM findings: the offending statement as written."""
    fix: str | None = None
    cwe: str | None = None
    owasp: str | None = None
    fingerprint: str = ""
    suppression: Suppression | None = None

    @property
    def functions(self) -> tuple[str, ...]:
        if self.function is None:
            return ()
        return (self.function,) if isinstance(self.function, str) else self.function

    def compute_fingerprint(self) -> str:
        """Stable across unrelated edits: rule, file, resource, function(s) and the message's identifying
        part, never the line number (which moves when anything above it changes)."""
        return fingerprint(self.rule_id, self.location.path, self.resource, self.functions, self.message)


def fingerprint(rule_id: str, path: str, resource: str, functions: tuple[str, ...], message: str) -> str:
    """`Finding.compute_fingerprint` of a finding with these fields, for code that builds one."""
    parts = [rule_id, path, resource, ",".join(functions), message]
    # surrogatepass: a file name that is not UTF-8 (or a lone surrogate from JSON text) still hashes, stably.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class DiagnosticLevel(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class DiagnosticKind(StrEnum):
    PARSE_ERROR = "parse-error"
    """The input is malformed (YAML/JSON/HCL/Python syntax, too large, unreadable)."""
    UNRESOLVED = "unresolved"
    """A value could not be resolved statically; findings depending on it are weaker or absent."""
    UNSUPPORTED = "unsupported"
    """The input uses a feature we do not model yet."""
    INTERNAL_ERROR = "internal-error"
    """A loader, analysis or rule raised: a defect in faasguard. Exit code 4."""
    SUPPRESSION = "suppression"
    """An unused, expired or invalid suppression."""
    INFO = "info"


class Incomplete(StrEnum):
    """Why a scan checked less than it was asked to. Each reason is a warning in the console summary, and under
    `--strict` it fails the run (exit 3): a gate must not pass because an input or a data source was missing.
    A parse error needs no tag (its kind says it); the others are tagged where they are diagnosed."""

    PARSE = "parse"
    ONLINE = "online"
    ADVISORIES = "advisories"
    DEPENDENCIES = "dependencies"


@record
class Diagnostic:
    kind: DiagnosticKind
    message: str
    location: Location | None = None
    level: DiagnosticLevel = DiagnosticLevel.WARNING
    component: str | None = None
    """The loader / analysis / rule that produced it (always set for internal errors)."""
    incomplete: Incomplete | None = None
    """Set when this diagnostic means part of what was asked was not checked (see `Incomplete`). Not part of
    the JSON report: the kind and message already say it there."""


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    NOTHING_TO_SCAN = 3
    """Nothing to scan was found or could be parsed; under `--strict` also: the scan was incomplete."""
    INTERNAL_ERROR = 4


_INCOMPLETE_TEXT = {
    Incomplete.PARSE: "{n} input(s) failed to parse and were not checked",
    Incomplete.ONLINE: "the online advisory lookup failed",
    Incomplete.ADVISORIES: "{n} advisory source(s) given do not exist",
    Incomplete.DEPENDENCIES: "dependencies were not checked for known vulnerabilities",
}


def incomplete_reasons(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """One sentence per way the scan checked less than asked (see `Incomplete`), in a fixed order; empty when
    it checked everything. Shared by the exit code and the console summary so the two cannot disagree."""
    counts: dict[Incomplete, int] = {}
    for d in diagnostics:
        reason = Incomplete.PARSE if d.kind is DiagnosticKind.PARSE_ERROR else d.incomplete
        if reason is not None:
            counts[reason] = counts.get(reason, 0) + 1
    return [_INCOMPLETE_TEXT[r].format(n=counts[r]) for r in Incomplete if r in counts]


def exit_code(findings: Iterable[Finding], diagnostics: Iterable[Diagnostic], fail_on: Severity,
              strict: bool = False) -> ExitCode:
    """The exit-code contract: internal errors win (no CI gate may pass by accident); then, under --strict, an
    incomplete scan (exit 3: an input failed to parse, advisory data was missing or unreachable -- a different
    code from 1 because the fix is to the pipeline, not the code); then findings at or above `fail_on` that are
    not suppressed; then (under --strict) suppression problems."""
    diagnostics = list(diagnostics)
    if any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in diagnostics):
        return ExitCode.INTERNAL_ERROR
    if strict and incomplete_reasons(diagnostics):
        return ExitCode.NOTHING_TO_SCAN
    if any(f.suppression is None and f.severity.rank >= fail_on.rank for f in findings):
        return ExitCode.FINDINGS
    if strict and any(d.kind is DiagnosticKind.SUPPRESSION for d in diagnostics):
        return ExitCode.FINDINGS
    return ExitCode.OK


def internal_error(component: str, subject: str, exc: BaseException, where: Location | None = None) -> Diagnostic:
    """A component raised: a defect in faasguard, reported with the input that triggered it (exit code 4)."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return Diagnostic(DiagnosticKind.INTERNAL_ERROR,
                      f"{component} raised {type(exc).__name__}: {exc}"[:500] + f"{at} while processing {subject}",
                      where or Location(subject), DiagnosticLevel.ERROR, component)
