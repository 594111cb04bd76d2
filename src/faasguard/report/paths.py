"""Attack paths as every report shows them: which paths were reported, their components, JSON and console forms.

A path is shown when its FG901 finding survived the filter stage (so `--ignore FG901`, a severity threshold or
a suppression applies to the paths section too; a suppressed path stays in JSON with its finding's suppression,
as findings do). The "components" of a path are the other reported findings about its links -- the flaw
(FG5xx), the open entry (FG301/FG302...), the role's reach (FG1xx), the plaintext secret (FG201) -- so each
component finding can say which path it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faasguard.escape import path_text
from faasguard.findings import Finding, Severity

if TYPE_CHECKING:
    from faasguard.analysis.paths import AttackPath
    from faasguard.model import Location
    from faasguard.result import ScanResult

PATHS_SCHEMA_VERSION = "1.1"
"""Minor version of report-v1.json that added the `paths` section."""

_ROLE_RULES = frozenset({"FG101", "FG102", "FG103", "FG104", "FG105", "FG106", "FG109", "FG110", "FG310", "FG902"})
_ENTRY_RULES = frozenset({"FG301", "FG302", "FG303", "FG304", "FG306"})


@dataclass(frozen=True)
class ReportedPath:
    application: str
    path: AttackPath
    finding: Finding
    components: tuple[Finding, ...]


def reported_paths(result: ScanResult) -> list[ReportedPath]:
    """Paths whose FG901 finding is in the report, worst first, with their component findings."""
    fg901 = {(f.resource, f.location.path, f.location.line, f.message.split(" (path ", 1)[0]): f
             for f in result.findings if f.rule_id == "FG901"}
    if not fg901:
        return []
    candidates = _ComponentIndex(result.findings)
    out: list[ReportedPath] = []
    for index, app in enumerate(result.apps):
        facts = result.facts.get(index)
        graph = facts.paths if facts is not None else None
        if graph is None:
            continue
        for path in graph.paths:
            flaw = path.flaws[0].location
            finding = fg901.get((path.function, flaw.path, flaw.line, path.summary))
            if finding is None:
                continue
            components = tuple(f for f in candidates.of(path) if f is not finding and _belongs(f, path))
            out.append(ReportedPath(app.name, path, finding, components))
    out.sort(key=lambda r: (-r.finding.severity.rank, r.path.rank, r.application))
    return out


class _ComponentIndex:
    """The findings that may be components of a path, found by the names and places `_belongs` compares: every
    path tested against every finding made the report quadratic (a 1,000-function app: 3,600 paths x 2,700
    findings, ~8 s). `of` returns a superset of the components, in report order, for `_belongs` to decide."""

    def __init__(self, findings: list[Finding]) -> None:
        self._findings = findings
        self._by_function: dict[str, list[int]] = {}
        self._by_resource: dict[str, list[int]] = {}
        self._by_place: dict[tuple[str, int | None], list[int]] = {}
        for index, finding in enumerate(findings):
            rule = finding.rule_id
            if (rule.startswith(("FG9", "FG5")) and rule != "FG901") or rule == "FG201":
                for function in finding.functions:
                    self._by_function.setdefault(function, []).append(index)
            elif rule in _ENTRY_RULES or rule in _ROLE_RULES:
                self._by_resource.setdefault(finding.resource, []).append(index)
                if rule in _ENTRY_RULES:
                    place = (finding.location.path, finding.location.line)
                    self._by_place.setdefault(place, []).append(index)

    def of(self, path: AttackPath) -> list[Finding]:
        indices = set(self._by_function.get(path.function, ()))
        indices.update(self._by_resource.get(path.entry.node, ()))
        entry = path.entry.location
        indices.update(self._by_place.get((entry.path, entry.line), ()))
        for credential in path.credentials:
            if credential.kind.value == "role":
                indices.update(self._by_resource.get(credential.name, ()))
        return [self._findings[i] for i in sorted(indices)]


def _belongs(finding: Finding, path: AttackPath) -> bool:
    if finding.rule_id.startswith("FG9") and finding.rule_id != "FG901":
        return path.function in finding.functions
    if finding.rule_id.startswith("FG5"):
        return path.function in finding.functions and any(
            _same(finding.location, flaw.location) for flaw in path.flaws)
    if finding.rule_id in _ENTRY_RULES:
        return finding.resource == path.entry.node or _same(finding.location, path.entry.location)
    if finding.rule_id in _ROLE_RULES:
        roles = {c.name for c in path.credentials if c.kind.value == "role"}
        return finding.resource in roles
    if finding.rule_id == "FG201":
        return path.function in finding.functions and any(
            _same(finding.location, c.location) for c in path.credentials)
    return False


def _same(a: Location, b: Location) -> bool:
    return a.path == b.path and a.line == b.line


# ----------------------------------------------------------------------------------------------- JSON

def paths_section(result: ScanResult,
                  location_dict: Callable[[Location | None], dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The JSON report's `paths` (schema report-v1.json, minor version 1.1)."""
    return list(iter_paths_section(result, location_dict))


def iter_paths_section(result: ScanResult,
                       location_dict: Callable[[Location | None], dict[str, Any] | None]) -> Iterator[dict[str, Any]]:
    """`paths_section` one path at a time: a large app's paths section is as big as all its findings, and the
    compact JSON report encodes each path as soon as it is built rather than holding them all as dicts."""
    for reported in reported_paths(result):
        path = reported.path
        yield {
            "id": path.id,
            "rank": path.rank,
            "application": reported.application,
            "function": path.function,
            "severity": reported.finding.severity.value,
            "confidence": reported.finding.confidence.value,
            "exposure": path.entry.exposure.name.lower().replace("_", "-"),
            "impact": path.impact.label,
            "summary": path.summary,
            "entry": {"kind": path.entry.kind, "node": path.entry.node, "description": path.entry.description,
                      "location": location_dict(path.entry.location)},
            "flaws": [{"rule_id": f.rule_id, "capability": f.capability.value, "sink": f.sink, "source": f.source,
                       "location": location_dict(f.location)} for f in path.flaws],
            "credentials": [{"kind": c.kind.value, "name": c.name, "location": location_dict(c.location)}
                            for c in path.credentials],
            "reach": [{"kind": r.kind.value, "impact": r.impact.label, "actions": list(r.actions),
                       "target": r.target, "description": r.description, "conditional": r.conditional,
                       "used_by": list(r.used_by), "location": location_dict(r.location)} for r in path.reach],
            "hops": [{"description": h.description, "location": location_dict(h.location)} for h in path.hops],
            "finding": reported.finding.fingerprint or reported.finding.compute_fingerprint(),
            "components": [f.fingerprint or f.compute_fingerprint() for f in reported.components],
            "suppressed": reported.finding.suppression is not None,
        }


# -------------------------------------------------------------------------------------------- console

def console_lines(result: ScanResult, severity_style: Mapping[Severity, str],
                  limit: int = 5) -> list[list[tuple[str, str | None]]]:
    """The console's "top paths first" block: one short block per path (entry → flaw → credential → impact).
    Untrusted text is escaped where the console writes segments (`faasguard.escape.console_text`), paths here."""

    shown = [r for r in reported_paths(result) if r.finding.suppression is None]
    if not shown:
        return []
    lines: list[list[tuple[str, str | None]]] = [[(f"Attack paths ({len(shown)})", "bold underline")]]
    for number, reported in enumerate(shown[:limit], 1):
        path = reported.path
        sev: Severity = reported.finding.severity
        flaw = path.flaws[0]
        lines.append([("  ", None), (f"{number}. ", "bold"), (f"{sev.value.upper():<8}", severity_style[sev]),
                      ("  ", None), ((path.function), "bold cyan"),
                      (f"  {(reported.application)}", "dim")])
        role = next((c.name for c in path.credentials if c.kind.value == "role"), None)
        steps = [
            ("entry", f"{path.entry.description} [{path.entry.exposure.label}]", path.entry.location),
            ("flaw", f"{flaw.rule_id} {flaw.name}: {flaw.sink}", flaw.location),
            ("credential", f"role {role}" if role else "environment secrets", path.credentials[0].location
             if path.credentials else flaw.location),
        ]
        steps += [("impact", r.description, r.location) for r in path.reach[:3]]
        if len(path.reach) > 3:
            steps.append(("impact", f"... and {len(path.reach) - 3} more", path.reach[3].location))
        for label, text, location in steps:
            lines.append([("       ", None), (f"{label:<11}", "dim"), ((text), None),
                          (f"  {path_text(location.path)}:{location.line}", "blue")])
        if reported.components:
            parts = ", ".join(f"{f.rule_id}:{f.location.line}" for f in reported.components[:8])
            lines.append([("       ", None), (f"{'findings':<11}", "dim"), (parts, "dim")])
    if len(shown) > limit:
        lines.append([("  ", None), (f"... {len(shown) - limit} more paths in the findings below (FG901)", "dim")])
    lines.append([])
    return lines
