"""HTML report: ONE self-contained file (inline CSS and JS, no network), readable offline in any browser.

What a reader would otherwise get wrong:

* Everything from the scanned project is untrusted (names, messages, code lines). The page carries it only as
  a JSON data block whose `<`, `>` and `&` are \\u-escaped (so no `</script>` can end it), and the script builds
  every element with `textContent` -- never `innerHTML` with data. The few server-rendered strings go through
  `html.escape`.
* A strict Content-Security-Policy meta tag allows nothing but the page's own inline script and style, by
  their SHA-256 hashes: no network fetch, no other script, no form, no frame.
* The graph is drawn by the page's own script as SVG in four columns (entry → function → role → reach); it
  needs no graph library, so nothing third-party is vendored.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from faasguard import __version__
from faasguard.escape import json_document_safe, path_text
from faasguard.findings import Finding
from faasguard.report import SEVERITY_ORDER, SourceLines, application_of, summarize
from faasguard.report.console import mask_values

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

CHECKLIST = {
    "C1": "Role isolation", "C2": "Environment secrets", "C3": "/tmp cleanup", "C4": "API authorization",
    "C5": "VPC egress isolation", "C6": "Timeouts",
}
_SNIPPET_CONTEXT = 2
_MAX_SNIPPET_LINES = 12


@cache
def _asset(name: str) -> str:
    return resources.files("faasguard.data").joinpath("report").joinpath(name).read_text(encoding="utf-8")


def render_html(result: ScanResult, config: Config) -> str:
    data = report_data(result, config)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    payload = json_document_safe(payload).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    script, style = _asset("report.js"), _asset("report.css")
    csp = ("default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
           f"style-src '{_sha256(style)}'; script-src '{_sha256(script)}'")
    summary = data["summary"]
    title = f"faasguard report: {summary['findings']} findings, {len(data['paths'])} attack paths"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{html.escape(csp)}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        "<a class=\"skip\" href=\"#findings\">Skip to findings</a>\n"
        f"<header><h1>faasguard report</h1><p class=\"meta\">faasguard {html.escape(__version__)}</p></header>\n"
        "<main id=\"app\" aria-live=\"polite\"><p id=\"loading\">Loading the report…</p></main>\n"
        f"<script type=\"application/json\" id=\"report-data\">{payload}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def report_data(result: ScanResult, config: Config) -> dict[str, Any]:
    """Everything the page shows, as plain JSON values (the page renders; this only selects)."""
    from faasguard.report.paths import reported_paths

    source = SourceLines(config.max_file_bytes)
    rules = {rule.id: rule.meta() for rule in result.rules}
    shown = list(result.findings)
    owners = application_of(shown, result.apps)
    findings = []
    for number, (finding, owner) in enumerate(zip(shown, owners, strict=True)):
        meta = rules.get(finding.rule_id)
        findings.append({
            "n": number,
            "rule": finding.rule_id,
            "name": finding.rule_name,
            "severity": finding.severity.value,
            "confidence": finding.confidence.value,
            "message": finding.message,
            "path": path_text(finding.location.path),
            "line": finding.location.line,
            "resource": finding.resource,
            "functions": list(finding.functions),
            "app": result.apps[owner].name if owner is not None else None,
            "checklist": meta.checklist if meta is not None else None,
            "fix": finding.fix,
            "suppressed": finding.suppression is not None,
            "fingerprint": finding.fingerprint or finding.compute_fingerprint(),
            "evidence": [{"d": s.description, "p": path_text(s.location.path), "l": s.location.line}
                         for s in finding.evidence],
            "snippet": _snippet(finding, source),
        })
    by_fp = {f["fingerprint"]: f["n"] for f in findings}
    paths = []
    for reported in reported_paths(result):
        path = reported.path
        paths.append({
            "id": path.id, "app": reported.application, "function": path.function,
            "severity": reported.finding.severity.value, "summary": path.summary,
            "exposure": path.entry.exposure.label, "impact": path.impact.label,
            "finding": by_fp.get(reported.finding.fingerprint),
            "components": [by_fp[f.fingerprint] for f in reported.components if f.fingerprint in by_fp],
            "hops": [{"d": h.description, "p": path_text(h.location.path), "l": h.location.line} for h in path.hops],
            "suppressed": reported.finding.suppression is not None,
        })
    functions = []
    for index, app in enumerate(result.apps):
        facts = result.facts.get(index)
        graph = facts.paths if facts is not None else None
        for fn in app.functions:
            node = graph.functions.get(fn.id) if graph is not None else None
            functions.append({
                "app": app.name, "id": fn.id,
                "role": node.role if node is not None else (fn.role if isinstance(fn.role, str) else None),
                "entries": [{"d": e.description, "exposure": e.exposure.label, "rank": int(e.exposure)}
                            for e in node.entries] if node else [],
                "flaws": [{"rule": f.rule_id, "capability": f.capability.value, "sink": f.sink,
                           "p": path_text(f.location.path), "l": f.location.line} for f in node.flaws] if node else [],
                "reach": [{"kind": r.kind.value, "impact": r.impact.label, "d": r.description}
                          for r in node.reach] if node else [],
            })
    checklist: dict[str, int] = dict.fromkeys(CHECKLIST, 0)
    for item in findings:
        if item["checklist"] in checklist and not item["suppressed"]:
            checklist[item["checklist"]] += 1
    return {
        "tool": {"name": "faasguard", "version": __version__},
        "summary": summarize(result),
        "severities": [s.value for s in SEVERITY_ORDER],
        "checklist": [{"id": key, "title": title, "count": checklist[key]} for key, title in CHECKLIST.items()],
        "findings": findings,
        "paths": paths,
        "functions": functions,
    }


def _snippet(finding: Finding, source: SourceLines) -> dict[str, Any] | None:
    """The code around a code finding's sink, with the lines of its taint path marked. Only for findings in
    handler code (templates are long and the line is enough there)."""
    path = finding.location.path
    if not path.endswith((".py", ".js", ".ts", ".mjs", ".cjs")):
        return None
    marked = sorted({s.location.line for s in finding.evidence if s.location.path == path} | {finding.location.line})
    first = max(1, min(marked) - _SNIPPET_CONTEXT)
    last = max(marked) + _SNIPPET_CONTEXT
    if last - first + 1 > _MAX_SNIPPET_LINES:
        first = max(1, finding.location.line - _MAX_SNIPPET_LINES + _SNIPPET_CONTEXT + 1)
        last = finding.location.line + _SNIPPET_CONTEXT
    lines = source.snippet(path, first, last, limit=_MAX_SNIPPET_LINES)
    if not lines:
        return None
    if _secret(finding):
        lines = [(number, mask_values(text)) for number, text in lines]
    return {"lines": [[number, text] for number, text in lines], "marked": marked}


def _secret(finding: Finding) -> bool:
    """The console's rule for masking a snippet (a hard-coded secret must not be published in full)."""
    from faasguard.report import console

    return finding.rule_id in console._SECRET_RULES or finding.cwe in console._SECRET_CWES
