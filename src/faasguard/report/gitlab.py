"""GitLab SAST report (`--format gitlab`, schema version 15.0.x), for `artifacts: reports: sast:` in
.gitlab-ci.yml: findings appear in merge requests and the vulnerability report.

* `id` is our fingerprint written as a UUID, so it is stable across runs like GitLab's own analyzers' ids.
* The first identifier (GitLab's "primary identifier", which tracks a vulnerability across commits) is the rule;
  CWE follows when the rule has one. `scan.primary_identifiers` lists every rule that ran, so GitLab can resolve
  vulnerabilities of rules that no longer find anything.
* Suppressed findings are left out (GitLab has no suppressed state to give them); JSON and SARIF count them.
* Paths are relative to the report root (the repository top), as GitLab resolves `location.file`.
* `scan.status` is `failure` when a component crashed (exit 4), so GitLab does not read a partial report as clean.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from faasguard import __version__
from faasguard.escape import json_document_safe, path_text
from faasguard.findings import Finding, Severity
from faasguard.report import ReportPaths, summarize

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

SCHEMA_VERSION = "15.0.7"
SCHEMA = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/"
          "sast-report-format.json")
SEVERITY = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MEDIUM: "Medium", Severity.LOW: "Low",
            Severity.INFO: "Info"}
_TOOL = {"id": "faasguard", "name": "faasguard", "version": __version__, "vendor": {"name": "faasguard"}}


def _uuid(fingerprint: str) -> str:
    digits = (fingerprint + "0" * 32)[:32]
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"


def _rule_identifier(rule_id: str, name: str) -> dict[str, str]:
    return {"type": "faasguard_rule_id", "name": f"{rule_id} {name}", "value": rule_id}


def _vulnerability(finding: Finding, paths: ReportPaths) -> dict[str, Any]:
    loc = finding.location
    identifiers = [_rule_identifier(finding.rule_id, finding.rule_name)]
    if finding.cwe:
        number = finding.cwe.upper().removeprefix("CWE-")
        identifiers.append({"type": "cwe", "name": f"CWE-{number}", "value": number,
                            "url": f"https://cwe.mitre.org/data/definitions/{number}.html"})
    location: dict[str, Any] = {"file": path_text(paths(loc.path)), "start_line": max(1, loc.line),
                                "end_line": max(loc.line, loc.end_line or loc.line, 1)}
    if finding.functions:
        location["method"] = ", ".join(finding.functions)
    vulnerability: dict[str, Any] = {
        "id": _uuid(finding.fingerprint or finding.compute_fingerprint()),
        "name": f"{finding.rule_id} {finding.rule_name}",
        "description": finding.message,
        "severity": SEVERITY[finding.severity],
        "location": location,
        "identifiers": identifiers,
    }
    if finding.fix:
        vulnerability["solution"] = finding.fix
    return vulnerability


def gitlab_document(result: ScanResult, now: datetime | None = None) -> dict[str, Any]:
    paths = ReportPaths()
    summary = summarize(result)
    end = (now or datetime.now(UTC)).replace(microsecond=0)
    start = end - timedelta(seconds=round(summary["duration_seconds"]))
    names = {rule.id: rule.name for rule in result.rules}
    return {
        "$schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": _TOOL,
            "scanner": _TOOL,
            "type": "sast",
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "end_time": end.strftime("%Y-%m-%dT%H:%M:%S"),
            "status": "failure" if summary["internal_errors"] else "success",
            "primary_identifiers": [_rule_identifier(rule_id, names[rule_id]) for rule_id in sorted(names)],
        },
        "vulnerabilities": [_vulnerability(f, paths) for f in result.findings if f.suppression is None],
    }


def render_gitlab(result: ScanResult, config: Config) -> str:
    return json_document_safe(json.dumps(gitlab_document(result), indent=2, ensure_ascii=False)) + "\n"
