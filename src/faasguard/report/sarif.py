"""SARIF 2.1.0 report, shaped for GitHub code scanning (validated in the tests against the OASIS schema).

Choices a reader would otherwise wonder about:

* Paths are relative to the directory faasguard ran in (the repository root in CI) with `uriBaseId`
  `%SRCROOT%`, which is what GitHub resolves; the absolute directory itself is not written (nothing from the
  machine's environment goes into a report). A path outside it is written as an absolute `file:` URI.
* `rules` lists every rule that ran, not only those that found something, so a dashboard can tell "checked and
  clean" from "not checked". Each carries the rule docs as `help` and a GitHub `security-severity`.
* Suppressed findings stay, with `suppressions` (kind and justification): dashboards show them as dismissed.
* Diagnostics become `toolExecutionNotifications`; an internal error also sets `executionSuccessful: false`.
* Code findings with source→sink evidence get a `codeFlow` whose thread flow lists the steps in order.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from faasguard import __version__
from faasguard.escape import json_document_safe, uri_path
from faasguard.findings import (
    Confidence,
    Diagnostic,
    DiagnosticKind,
    DiagnosticLevel,
    Finding,
    RuleMeta,
    Severity,
)
from faasguard.model import Location

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://faasguard.dev/"
FINGERPRINT_KEY = "faasguardFingerprint/v1"

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
         Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
"""GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. Info findings carry none."""
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_NOTIFICATION_LEVEL = {DiagnosticLevel.ERROR: "error", DiagnosticLevel.WARNING: "warning",
                       DiagnosticLevel.NOTE: "note"}

PRETTY_LIMIT = 500


def render_sarif(result: ScanResult, config: Config) -> str:
    # Indented for people up to a few hundred findings; beyond that a machine reads it, and only the compact
    # form uses json's C encoder (the indented one costs ~0.3 s per 2,500 SARIF results).
    indent = 2 if len(result.findings) <= PRETTY_LIMIT else None
    # Messages may quote file names that are not UTF-8 (lone surrogates): escaped here, once, rather than per string.
    return json_document_safe(json.dumps(sarif_document(result), indent=indent, ensure_ascii=False)) + "\n"


def sarif_document(result: ScanResult) -> dict[str, Any]:
    metas = _rule_metas(result)
    index = {meta.id: position for position, meta in enumerate(metas)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "faasguard",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_rule_descriptor(meta) for meta in metas],
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {
            "text": "The directory faasguard ran in (the repository root in CI)."}}},
        "invocations": [{
            "executionSuccessful": not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics),
            "toolExecutionNotifications": [_notification(d) for d in result.diagnostics],
        }],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule_id]) for f in result.findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


# ---------------------------------------------------------------------------------------------- rules

def _rule_metas(result: ScanResult) -> list[RuleMeta]:
    """Every rule that ran, plus any rule a finding names that is not among them (kept, never dropped)."""
    metas = {rule.id: rule.meta() for rule in result.rules}
    missing = {f.rule_id: f for f in result.findings if f.rule_id not in metas}
    if missing:
        from faasguard.rules.base import registered

        known = registered()
        for rule_id, finding in missing.items():
            if rule_id in known:
                metas[rule_id] = known[rule_id].meta()
            else:
                metas[rule_id] = RuleMeta(id=rule_id, name=finding.rule_name, summary=finding.rule_name,
                                          severity=finding.severity, confidence=finding.confidence,
                                          cwe=finding.cwe, owasp=finding.owasp)
    return [metas[key] for key in sorted(metas)]


def _what_it_does(docs: str) -> str | None:
    """The first paragraph of the docs' "What it does" section."""
    match = re.search(r"^##\s*What it does\s*\n+(.*?)(?:\n\s*\n|\n##|\Z)", docs, re.MULTILINE | re.DOTALL)
    return " ".join(match.group(1).split()) if match else None


def _cwe_tag(cwe: str) -> str:
    number = cwe.upper().removeprefix("CWE-")
    return f"external/cwe/cwe-{number}"


def _rule_descriptor(meta: RuleMeta) -> dict[str, Any]:
    level = LEVEL[meta.severity]
    docs = meta.docs.strip() or meta.summary
    tags = ["security"]
    if meta.cwe:
        tags += [_cwe_tag(meta.cwe), meta.cwe.upper()]
    tags += [t for t in (meta.owasp, meta.checklist) if t]
    properties: dict[str, Any] = {
        "tags": tags,
        "precision": PRECISION[meta.confidence],
        "problem.severity": PROBLEM_SEVERITY[level],
        "faasguard.severity": meta.severity.value,
        "faasguard.status": meta.status.value,
    }
    if meta.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[meta.severity]
    return {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": _what_it_does(meta.docs) or meta.summary},
        "help": {"text": docs, "markdown": docs},
        "helpUri": meta.help_uri,
        "defaultConfiguration": {"level": level},
        "properties": properties,
    }


# -------------------------------------------------------------------------------------------- results

def artifact_location(path: str) -> dict[str, Any]:
    if path.startswith("/"):
        return {"uri": "file://" + uri_path(path)}
    return {"uri": uri_path(path), "uriBaseId": "%SRCROOT%"}


def _physical(location: Location) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, location.line), "startColumn": max(1, location.column)}
    if location.end_line and location.end_line > location.line:
        region["endLine"] = location.end_line
    return {"artifactLocation": artifact_location(location.path), "region": region}


def _location(location: Location, resource: str | None = None, message: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"physicalLocation": _physical(location)}
    logical = resource or location.logical_id
    if logical:
        entry: dict[str, Any] = {"name": logical, "kind": "resource"}
        if location.construct_path:
            entry["fullyQualifiedName"] = location.construct_path
        result["logicalLocations"] = [entry]
    if message:
        result["message"] = {"text": message}
    return result


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "resource": finding.resource,
    }
    if finding.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[finding.severity]
    if finding.functions:
        properties["functions"] = list(finding.functions)
    for key in ("fix", "cwe", "owasp"):
        value = getattr(finding, key)
        if value:
            properties[key] = value
    if finding.statement is not None:
        from faasguard.report.json_report import jsonable

        properties["statement"] = jsonable(finding.statement)
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding.location, finding.resource)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint or finding.compute_fingerprint()},
        "properties": properties,
    }
    if finding.evidence:
        result["codeFlows"] = [{
            "message": {"text": f"{len(finding.evidence)} steps from source to sink"},
            "threadFlows": [{"locations": [
                {"location": _location(step.location, message=step.description), "executionOrder": order}
                for order, step in enumerate(finding.evidence, 1)]}],
        }]
    if finding.suppression is not None:
        suppression: dict[str, Any] = {"kind": finding.suppression.kind,
                                       "justification": finding.suppression.justification,
                                       "status": "accepted"}
        if finding.suppression.location is not None:
            suppression["location"] = _location(finding.suppression.location)
        if finding.suppression.until:
            suppression["properties"] = {"until": finding.suppression.until}
        result["suppressions"] = [suppression]
    return result


def _notification(diagnostic: Diagnostic) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": _NOTIFICATION_LEVEL[diagnostic.level],
        "message": {"text": diagnostic.message},
        "descriptor": {"id": diagnostic.kind.value},
    }
    if diagnostic.location is not None:
        notification["locations"] = [_location(diagnostic.location)]
    if diagnostic.component:
        notification["properties"] = {"component": diagnostic.component}
    return notification
