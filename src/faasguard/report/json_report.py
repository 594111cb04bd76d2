"""JSON report, version 1 (a contract: DESIGN.md "Findings"; schema in `faasguard/schemas/report-v1.json`).

Every `Finding` field is written, absent values as `null` (never omitted), so consumers can rely on the keys.
Suppressed findings are included with their `suppression`; the summary counts them apart. Values the loaders
could not resolve (`Unknown`) appear as the string `<unknown: reason>` wherever they occur (IAM statements).
Every path is relative to the report root (the git top level, else the current directory: `report_root`), the
same root as SARIF's `%SRCROOT%`, so a report made in a sub-directory names files as one made at the top does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from faasguard import __version__
from faasguard.escape import json_document_safe, path_text
from faasguard.findings import Diagnostic, EvidenceStep, Finding, Suppression
from faasguard.model import Location, Unknown
from faasguard.report import ReportPaths, summarize

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

REPORT_VERSION = 1

PRETTY_LIMIT = 500


def render_json(result: ScanResult, config: Config) -> str:
    # Indented for people up to a few hundred findings; beyond that a machine reads it, and only the compact
    # form uses json's C encoder (the indented one costs ~0.3 s per 2,500 SARIF results).
    indent = 2 if len(result.findings) <= PRETTY_LIMIT else None
    # Paths are spelled with `path_text` where they are fields; any other string quoting a non-UTF-8 name (a
    # message) is escaped here, once, rather than per string (docs/reports.md "Escaping").
    return json_document_safe(json.dumps(report_document(result), indent=indent, ensure_ascii=False)) + "\n"


def report_document(result: ScanResult, paths: ReportPaths | None = None) -> dict[str, Any]:
    paths = paths or ReportPaths()
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "faasguard", "version": __version__},
        "sources": [{"path": path_text(paths(s.display)), "type": s.type.value} for s in result.sources],
        "findings": [finding_dict(f, paths) for f in result.findings],
        "diagnostics": [diagnostic_dict(d, paths) for d in result.diagnostics],
        "summary": summarize(result),
        **_paths(result, paths),
    }


def _paths(result: ScanResult, paths: ReportPaths | None) -> dict[str, Any]:
    """The attack paths section (schema minor version 1.1, additive)."""
    from faasguard.report.paths import PATHS_SCHEMA_VERSION, paths_section

    return {"schema_version": PATHS_SCHEMA_VERSION,
            "paths": paths_section(result, lambda location: location_dict(location, paths))}


def location_dict(location: Location | None, paths: ReportPaths | None = None) -> dict[str, Any] | None:
    if location is None:
        return None
    path = paths(location.path) if paths else location.path
    return {"path": path_text(path), "line": location.line, "column": location.column,
            "end_line": location.end_line, "logical_id": location.logical_id,
            "construct_path": location.construct_path}


def _evidence(step: EvidenceStep, paths: ReportPaths | None) -> dict[str, Any]:
    return {"description": step.description, "location": location_dict(step.location, paths)}


def _suppression(suppression: Suppression | None, paths: ReportPaths | None) -> dict[str, Any] | None:
    if suppression is None:
        return None
    return {"kind": suppression.kind, "justification": suppression.justification,
            "location": location_dict(suppression.location, paths), "until": suppression.until}


def finding_dict(finding: Finding, paths: ReportPaths | None = None) -> dict[str, Any]:
    function: str | list[str] | None = finding.function if not isinstance(finding.function, tuple) \
        else list(finding.function)
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "message": finding.message,
        "location": location_dict(finding.location, paths),
        "resource": finding.resource,
        "function": function,
        "evidence": [_evidence(step, paths) for step in finding.evidence],
        "statement": jsonable(finding.statement) if finding.statement is not None else None,
        "fix": finding.fix,
        "cwe": finding.cwe,
        "owasp": finding.owasp,
        "fingerprint": finding.fingerprint or finding.compute_fingerprint(),
        "suppression": _suppression(finding.suppression, paths),
    }


def diagnostic_dict(diagnostic: Diagnostic, paths: ReportPaths | None = None) -> dict[str, Any]:
    return {"kind": diagnostic.kind.value, "level": diagnostic.level.value, "message": diagnostic.message,
            "location": location_dict(diagnostic.location, paths), "component": diagnostic.component}


def jsonable(value: Any) -> Any:
    """Plain JSON values from what a loader kept "as written" (mappings, tuples, Unknown)."""
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
