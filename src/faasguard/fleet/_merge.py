"""One report from many units' JSON v1 reports.

The JSON merge works on the documents themselves (findings and diagnostics concatenated in unit order, the
summary's counts added up), so the merged JSON is exactly the union of the per-unit reports. SARIF and the
console need `Finding` objects: `result_from_documents` reads them back from JSON v1, every field the reporters
use; the model itself stays on the workers (the driver of a 17,000-unit run holds findings, not applications).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from faasguard import __version__
from faasguard.config import Config
from faasguard.findings import (
    Confidence,
    Diagnostic,
    DiagnosticKind,
    DiagnosticLevel,
    EvidenceStep,
    Finding,
    Severity,
    Suppression,
)
from faasguard.model import Location
from faasguard.result import ScanResult


def merge_documents(documents: Sequence[Mapping[str, Any]], extra: Iterable[Mapping[str, Any]] = (),
                    seconds: float = 0.0) -> dict[str, Any]:
    """Lists concatenated in unit order; the summary's counts added up key by key (so a count a later
    version adds is merged too), `rules_run` the largest and `duration_seconds` the run's wall time."""
    extra = list(extra)
    merged: dict[str, Any] = {"version": 1, "tool": {"name": "faasguard", "version": __version__},
                              "sources": [], "findings": [], "diagnostics": [], "summary": {}}
    summary: dict[str, Any] = {}
    for document in documents:
        for key in ("sources", "findings", "diagnostics", "paths"):
            if key in document:
                merged.setdefault(key, []).extend(document[key])
        if "schema_version" in document:
            merged["schema_version"] = document["schema_version"]
        for name, value in document.get("summary", {}).items():
            if isinstance(value, Mapping):
                into = summary.setdefault(name, {})
                for sub, count in value.items():
                    into[sub] = into.get(sub, 0) + count
            elif name == "rules_run":
                summary[name] = max(summary.get(name, 0), value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                summary[name] = summary.get(name, 0) + value
    merged["diagnostics"].extend(extra)
    summary["diagnostics"] = summary.get("diagnostics", 0) + len(extra)
    by_kind = summary.setdefault("diagnostics_by_kind", {})
    for diagnostic in extra:
        by_kind[diagnostic["kind"]] = by_kind.get(diagnostic["kind"], 0) + 1
    summary["duration_seconds"] = round(seconds, 3)
    merged["summary"] = summary
    return merged


def _location(data: Mapping[str, Any] | None) -> Location | None:
    if not data:
        return None
    return Location(str(data["path"]), int(data.get("line") or 1), int(data.get("column") or 1),
                    data.get("end_line"), data.get("logical_id"), data.get("construct_path"))


def finding_from_dict(data: Mapping[str, Any]) -> Finding:
    function = data.get("function")
    suppression = data.get("suppression")
    return Finding(
        rule_id=str(data["rule_id"]), rule_name=str(data["rule_name"]), severity=Severity(data["severity"]),
        confidence=Confidence(data["confidence"]), message=str(data["message"]),
        location=_location(data["location"]) or Location("<unknown>"), resource=str(data["resource"]),
        function=tuple(function) if isinstance(function, list) else function,
        evidence=tuple(EvidenceStep(str(s["description"]), _location(s["location"]) or Location("<unknown>"))
                       for s in data.get("evidence") or ()),
        statement=data.get("statement"), fix=data.get("fix"), cwe=data.get("cwe"), owasp=data.get("owasp"),
        fingerprint=str(data.get("fingerprint") or ""),
        suppression=Suppression(str(suppression["kind"]), str(suppression["justification"]),
                                _location(suppression.get("location")), suppression.get("until"))
        if suppression else None)


def diagnostic_from_dict(data: Mapping[str, Any]) -> Diagnostic:
    return Diagnostic(DiagnosticKind(data["kind"]), str(data["message"]), _location(data.get("location")),
                      DiagnosticLevel(data["level"]), data.get("component"))


def result_from_documents(documents: Sequence[Mapping[str, Any]], config: Config, extra: Iterable[Diagnostic] = (),
                          seconds: float = 0.0) -> ScanResult:
    from faasguard.pipeline import selected_rules

    result = ScanResult()
    for document in documents:
        result.findings.extend(finding_from_dict(f) for f in document.get("findings", []))
        result.diagnostics.extend(diagnostic_from_dict(d) for d in document.get("diagnostics", []))
    result.diagnostics.extend(extra)
    result.rules = selected_rules(config)  # every unit ran the same selection
    result.timings["total"] = seconds
    return result
