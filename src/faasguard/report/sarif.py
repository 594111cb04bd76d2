"""SARIF 2.1.0 report, shaped for GitHub code scanning (validated in the tests against the OASIS schema and
a checker of GitHub's documented constraints; docs/reports.md "SARIF for GitHub").

Choices a reader would otherwise wonder about:

* Paths are relative to the report root (the git top level, else the current directory: `report_root`) with
  `uriBaseId` `%SRCROOT%`, which is what GitHub resolves against the checkout; the absolute directory itself
  is not written (nothing from the machine's environment goes into a report). A path outside the root is an
  absolute `file:` URI. A location that names no file (an AWS-managed policy, an ARN from a live audit, a
  deleted file) has no `physicalLocation` at all, only a logical location: GitHub would otherwise show an
  alert on a file that is not in the repository.
* GitHub reads `security-severity` from the rule, never from the result. A finding whose severity differs from
  its rule's default (raised by context, or an advisory's own rating) therefore points at a severity variant
  of the rule, `FG401/critical`, a descriptor that differs from `FG401` only in its severity; the result keeps
  `properties.faasguard.rule` = `FG401`. This is what scanners with per-advisory severities do (one rule per
  severity or per advisory), and it keeps GitHub's severity equal to ours for every result.
* Suppressed findings are left out: GitHub ignores `suppressions` and would open an alert for each. Their
  number is in `runs[0].properties.suppressed`; the JSON report keeps them in full.
* `partialFingerprints` holds our own fingerprint and GitHub's `primaryLocationLineHash` (`linehash`), so
  alerts follow code that moves whether or not the upload action recomputes it.
* `rules` lists every rule that ran, not only those that found something, so a dashboard can tell "checked and
  clean" from "not checked". Each carries the rule docs as `help`; `helpUri` only when the rule catalog has a
  published address (`RULES_PAGE`), never a made-up one.
* Every region has `endLine` and `endColumn` (the end of the offending line, or of the last line of its span).
* Diagnostics become `toolExecutionNotifications`; an internal error also sets `executionSuccessful: false`.
* Code findings with source→sink evidence get a `codeFlow` whose thread flow lists the steps in order.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
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
from faasguard.report import ReportPaths, SourceLines
from faasguard.report.linehash import line_hashes

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "faasguardFingerprint/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
AUTOMATION_ID = "faasguard/"
"""`runAutomationDetails.id`: the category `faasguard` (everything before the last `/`), so that faasguard's
alerts form their own analysis beside CodeQL's; `upload-sarif`'s `category` input overrides it."""
RULES_PAGE: str | None = None
"""Published address of docs/rules.md (e.g. its page in the repository). None until the repository has one:
`helpUri` is then left out rather than pointing nowhere."""

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
    document = sarif_document(result, max_bytes=config.max_file_bytes)
    # Messages may quote file names that are not UTF-8 (lone surrogates): escaped here, once, rather than per string.
    return json_document_safe(json.dumps(document, indent=indent, ensure_ascii=False)) + "\n"


def rule_anchor(rule_id: str, name: str) -> str:
    """The anchor of a rule's heading in docs/rules.md (`## FG101 wildcard-action` → `fg101-wildcard-action`)."""
    return f"{rule_id.lower()}-{name}"


def variant_id(rule_id: str, severity: Severity) -> str:
    return f"{rule_id}/{severity.value}"


def sarif_document(result: ScanResult, paths: ReportPaths | None = None,
                   max_bytes: int = 20 * 1024 * 1024) -> dict[str, Any]:
    paths = paths or ReportPaths()
    reported = [f for f in result.findings if f.suppression is None]
    metas = _rule_metas(result)
    defaults = {meta.id: meta for meta in metas}
    variants = sorted({(f.rule_id, f.severity) for f in reported if f.severity is not defaults[f.rule_id].severity},
                      key=lambda pair: (pair[0], -pair[1].rank))
    descriptors = [_rule_descriptor(meta) for meta in metas]
    descriptors += [_rule_descriptor(replace(defaults[rule_id], severity=severity), variant_id(rule_id, severity))
                    for rule_id, severity in variants]
    index = {descriptor["id"]: position for position, descriptor in enumerate(descriptors)}
    source = SourceLines(max_bytes, paths.cwd)
    hashes = _line_hashes(reported, paths, source)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "faasguard",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": descriptors,
        }},
        "automationDetails": {"id": AUTOMATION_ID},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {
            "text": "The top of the git work tree faasguard ran in (else the directory it ran in)."}}},
        "invocations": [{
            "executionSuccessful": not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics),
            "toolExecutionNotifications": [_notification(d, paths, source) for d in result.diagnostics],
        }],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, defaults[f.rule_id], index, paths, source, hashes=hashes) for f in reported],
        "properties": {"suppressed": len(result.findings) - len(reported)},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _line_hashes(findings: list[Finding], paths: ReportPaths, source: SourceLines) -> dict[tuple[str, int], str]:
    """GitHub's line hash of each finding's primary line, reading each file once."""
    wanted: dict[str, set[int]] = {}
    for finding in findings:
        if paths.is_file(finding.location.path):
            wanted.setdefault(finding.location.path, set()).add(max(1, finding.location.line))
    hashes: dict[tuple[str, int], str] = {}
    for path, lines in wanted.items():
        text = source.text(path)
        if text is None:
            continue
        for line, digest in line_hashes(text, lines).items():
            hashes[(path, line)] = digest
    return hashes


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


def _rule_descriptor(meta: RuleMeta, descriptor_id: str | None = None) -> dict[str, Any]:
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
    descriptor: dict[str, Any] = {
        "id": descriptor_id or meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": _what_it_does(meta.docs) or meta.summary},
        "help": {"text": docs, "markdown": docs},
    }
    if RULES_PAGE:
        descriptor["helpUri"] = f"{RULES_PAGE}#{rule_anchor(meta.id, meta.name)}"
    descriptor["defaultConfiguration"] = {"level": level}
    if descriptor_id:
        properties["faasguard.rule"] = meta.id
    descriptor["properties"] = properties
    return descriptor


# -------------------------------------------------------------------------------------------- results

def artifact_location(path: str, paths: ReportPaths | None = None) -> dict[str, Any]:
    spelled = paths(path) if paths else path
    if spelled.startswith("/"):
        return {"uri": "file://" + uri_path(spelled)}
    return {"uri": uri_path(spelled), "uriBaseId": "%SRCROOT%"}


def _archive_member(path: str, paths: ReportPaths) -> tuple[str, str] | None:
    """(zip, member) when `path` is a member of a zip package that is a file of the checkout."""
    if "!/" not in path:
        return None
    from faasguard.analysis.archive import split_member

    parts = split_member(path)
    return parts if parts is not None and paths.is_file(parts[0]) else None


def _region(location: Location, source: SourceLines) -> dict[str, Any]:
    """The offending line(s), to the end of the last one: GitHub and editors underline the whole span."""
    start_line = max(1, location.line)
    start_column = max(1, location.column)
    end_line = max(start_line, location.end_line or start_line)
    text = source.line(location.path, end_line)
    end_column = len(text.rstrip()) + 1 if text is not None else start_column + 1
    if end_line == start_line:
        end_column = max(end_column, start_column + 1)
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _location(location: Location, paths: ReportPaths, source: SourceLines, resource: str | None = None,
              message: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    member = None
    if paths.is_file(location.path):
        result["physicalLocation"] = {"artifactLocation": artifact_location(location.path, paths),
                                      "region": _region(location, source)}
    elif (member := _archive_member(location.path, paths)) is not None:
        # a line of a member of a committed zip is nowhere code scanning can open: the zip is the artifact (a
        # real file of the checkout), and the member and line are named beside it
        result["physicalLocation"] = {"artifactLocation": artifact_location(member[0], paths)}
    logical = resource or location.logical_id
    entry: dict[str, Any] | None = None
    if logical:
        entry = {"name": logical, "kind": "resource"}
        if location.construct_path:
            entry["fullyQualifiedName"] = location.construct_path
    if member is not None:
        result["logicalLocations"] = [*([entry] if entry else []), {
            "name": member[1], "kind": "module", "fullyQualifiedName": f"{paths(location.path)}:{location.line}"}]
        if message:
            result["message"] = {"text": message}
        return result
    if "physicalLocation" not in result and location.path:
        # no file: the node's own name (an ARN, `<aws-managed:Name>`) is where it is
        entry = entry or {"name": location.path, "kind": "resource"}
        entry.setdefault("fullyQualifiedName", location.path)
    if entry is not None:
        result["logicalLocations"] = [entry]
    if message:
        result["message"] = {"text": message}
    return result


def _result(finding: Finding, rule: RuleMeta, index: dict[str, int], paths: ReportPaths, source: SourceLines, *,
            hashes: dict[tuple[str, int], str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "resource": finding.resource,
        "faasguard.rule": finding.rule_id,
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
    rule_id = finding.rule_id if finding.severity is rule.severity else variant_id(finding.rule_id, finding.severity)
    fingerprints = {FINGERPRINT_KEY: finding.fingerprint or finding.compute_fingerprint()}
    line_hash = hashes.get((finding.location.path, max(1, finding.location.line)))
    if line_hash:
        fingerprints[LINE_HASH_KEY] = line_hash
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index[rule_id],
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding.location, paths, source, finding.resource)],
        "partialFingerprints": fingerprints,
        "properties": properties,
    }
    if finding.evidence:
        result["codeFlows"] = [{
            "message": {"text": f"{len(finding.evidence)} steps from source to sink"},
            "threadFlows": [{"locations": [
                {"location": _location(step.location, paths, source, message=step.description),
                 "executionOrder": order}
                for order, step in enumerate(finding.evidence, 1)]}],
        }]
    return result


def _notification(diagnostic: Diagnostic, paths: ReportPaths, source: SourceLines) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": _NOTIFICATION_LEVEL[diagnostic.level],
        "message": {"text": diagnostic.message},
        "descriptor": {"id": diagnostic.kind.value},
    }
    if diagnostic.location is not None:
        where = _location(diagnostic.location, paths, source)
        if where:
            notification["locations"] = [where]
    if diagnostic.component:
        notification["properties"] = {"component": diagnostic.component}
    return notification
