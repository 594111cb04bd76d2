"""JSON report, version 1 (a contract: DESIGN.md "Findings"; schema in `faasguard/schemas/report-v1.json`).

Every `Finding` field is written, absent values as `null` (never omitted), so consumers can rely on the keys.
Suppressed findings are included with their `suppression`; the summary counts them apart. Values the loaders
could not resolve (`Unknown`) appear as the string `<unknown: reason>` wherever they occur (IAM statements).
Every path is relative to the report root (the git top level, else the current directory: `report_root`), the
same root as SARIF's `%SRCROOT%`, so a report made in a sub-directory names files as one made at the top does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
_BATCH = 200
"""Findings (diagnostics, paths) encoded per `encode` call of the compact report: the text held at once stays
a few hundred KB whatever the report's size."""


def render_json(result: ScanResult, config: Config) -> str:
    # Indented for people up to a few hundred findings; beyond that a machine reads it, and only the compact
    # form uses json's C encoder (the indented one costs ~0.3 s per 2,500 SARIF results).
    if len(result.findings) > PRETTY_LIMIT:
        return _compact(result)
    # Paths are spelled with `path_text` where they are fields; any other string quoting a non-UTF-8 name (a
    # message) is escaped here, once, rather than per string (docs/reports.md "Escaping").
    return json_document_safe(json.dumps(report_document(result), indent=2, ensure_ascii=False)) + "\n"


def _compact(result: ScanResult) -> str:
    """The compact report, the same text `json.dumps(report_document(result))` gives, encoded one finding and one
    path at a time into UTF-8 and decoded once at the end.

    A 10,000-function app's report is 125 million characters, held as UCS-2 (its arrows and ellipses are not
    Latin-1): built as a document, then as the encoder's chunks, then joined and copied for the final newline,
    it existed three times at once (~530 MB above the scan). Here the peak is its UTF-8 bytes and the text.
    The surrogate escape (`json_document_safe`) is applied per part: a lone surrogate is one character inside
    one string, so escaping the parts is escaping the whole."""
    from faasguard.report.paths import PATHS_SCHEMA_VERSION, iter_paths_section

    paths = ReportPaths()
    encoder = json.JSONEncoder(ensure_ascii=False)
    out = bytearray()

    def put(text: str) -> None:
        out.extend(json_document_safe(text).encode("utf-8", "surrogatepass"))

    def members(key: str, items: Iterable[Any]) -> None:
        # Encoded a batch at a time: each `encode` call sets up the C encoder anew, which cost more than
        # encoding a finding; a list's items come out joined by ", " as the items' own texts would be.
        put(f", {encoder.encode(key)}: [")
        batch: list[Any] = []
        separator = ""
        for item in items:
            batch.append(item)
            if len(batch) == _BATCH:
                put(separator + encoder.encode(batch)[1:-1])
                separator = ", "
                batch.clear()
        if batch:
            put(separator + encoder.encode(batch)[1:-1])
        put("]")

    head = encoder.encode({"version": REPORT_VERSION, "tool": {"name": "faasguard", "version": __version__},
                           "sources": [{"path": path_text(paths(s.display)), "type": s.type.value}
                                       for s in result.sources]})
    put(head[:-1])
    members("findings", (finding_dict(f, paths) for f in result.findings))
    members("diagnostics", (diagnostic_dict(d, paths) for d in result.diagnostics))
    put(f", \"summary\": {encoder.encode(summarize(result))}")
    put(f", \"schema_version\": {encoder.encode(PATHS_SCHEMA_VERSION)}")
    members("paths", iter_paths_section(result, lambda location: location_dict(location, paths)))
    put("}\n")
    return out.decode("utf-8", "surrogatepass")


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
    return {"path": paths.text(location.path) if paths else path_text(location.path), "line": location.line,
            "column": location.column,
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
