"""A checker of what GitHub code scanning documents about the SARIF it accepts and how it reads it ("SARIF
support for code scanning" and the upload limits), beyond what the OASIS schema says.

The schema accepts documents GitHub then rejects or misreads: a `security-severity` on the result (ignored:
GitHub reads the rule's), a region without a line, a URI naming a file that is not in the checkout, a
`primaryLocationLineHash` that disagrees with the one the upload action computes (it warns, and alerts stop
following the code), suppressed results (shown as open alerts). Each violation is one readable line.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from faasguard.report.linehash import line_hashes

MAX_RUNS = 20
MAX_RESULTS_PER_RUN = 25_000
MAX_RULES_PER_RUN = 25_000
MAX_LOCATIONS_PER_RESULT = 1_000
MAX_THREAD_FLOW_LOCATIONS = 10_000
MAX_TAGS_PER_RULE = 20
BANDS = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}


def _file_of(location: dict[str, Any], root: Path) -> Path | None:
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme:
        return None
    return root / unquote(uri)


def github_violations(document: dict[str, Any], root: Path) -> list[str]:
    """Every way `document` departs from GitHub's documented constraints; empty when it complies. `root` is
    the checkout the upload resolves `%SRCROOT%` against."""
    problems: list[str] = []
    if document.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    runs = document.get("runs") or []
    if not 1 <= len(runs) <= MAX_RUNS:
        problems.append(f"{len(runs)} runs (1..{MAX_RUNS} accepted)")
    for run in runs:
        problems += _run_violations(run, root)
    return problems


def _run_violations(run: dict[str, Any], root: Path) -> list[str]:
    problems: list[str] = []
    driver = run["tool"]["driver"]
    if not driver.get("name"):
        problems.append("tool.driver.name is empty")
    if not run.get("automationDetails", {}).get("id"):
        problems.append("no runAutomationDetails.id: analyses of different tools/categories would overwrite")
    rules = driver.get("rules", [])
    if len(rules) > MAX_RULES_PER_RUN:
        problems.append(f"{len(rules)} rules")
    by_id: dict[str, dict[str, Any]] = {}
    for rule in rules:
        rule_id = rule.get("id")
        if not rule_id or rule_id in by_id:
            problems.append(f"rule id missing or repeated: {rule_id!r}")
        by_id[rule_id] = rule
        if "help" in rule and not rule["help"].get("text"):
            problems.append(f"{rule_id}: help without text")
        help_uri = rule.get("helpUri")
        if help_uri is not None and urlparse(help_uri).scheme != "https":
            problems.append(f"{rule_id}: helpUri {help_uri!r} is not an https URL")
        properties = rule.get("properties", {})
        if len(properties.get("tags", [])) > MAX_TAGS_PER_RULE:
            problems.append(f"{rule_id}: more than {MAX_TAGS_PER_RULE} tags")
        score = properties.get("security-severity")
        if score is not None:
            if not isinstance(score, str):
                problems.append(f"{rule_id}: security-severity must be a string")
            elif not (math.isfinite(float(score)) and 0.0 <= float(score) <= 10.0):
                problems.append(f"{rule_id}: security-severity {score} outside 0.0-10.0")
            if "security" not in properties.get("tags", []):
                problems.append(f"{rule_id}: security-severity without the `security` tag")
    results = run.get("results", [])
    if len(results) > MAX_RESULTS_PER_RUN:
        problems.append(f"{len(results)} results")
    hashes: dict[Path, dict[int, str]] = {}
    for number, result in enumerate(results):
        where = f"result {number} ({result.get('ruleId')})"
        rule = by_id.get(result.get("ruleId", ""))
        if rule is None:
            problems.append(f"{where}: ruleId names no rule of the driver")
            continue
        if "ruleIndex" in result and run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] != result["ruleId"]:
            problems.append(f"{where}: ruleIndex points at another rule")
        if not result.get("message", {}).get("text"):
            problems.append(f"{where}: no message text")
        if result.get("suppressions"):
            problems.append(f"{where}: suppressed, yet GitHub would open an alert for it")
        problems += _severity_violations(where, rule, result)
        locations = result.get("locations") or []
        if not 1 <= len(locations) <= MAX_LOCATIONS_PER_RESULT:
            problems.append(f"{where}: {len(locations)} locations")
        for location in locations:
            problems += _location_violations(where, location, root)
        if locations and "physicalLocation" in locations[0]:
            path = _file_of(locations[0], root)
            line = locations[0]["physicalLocation"]["region"]["startLine"]
            expected = result.get("partialFingerprints", {}).get("primaryLocationLineHash")
            if path is not None and path.is_file():
                if path not in hashes:
                    hashes[path] = line_hashes(path.read_bytes().decode("utf-8", errors="replace"))
                if expected != hashes[path].get(line):
                    problems.append(f"{where}: primaryLocationLineHash {expected!r} != {hashes[path].get(line)!r}")
        for flow in result.get("codeFlows", []):
            for thread in flow["threadFlows"]:
                if len(thread["locations"]) > MAX_THREAD_FLOW_LOCATIONS:
                    problems.append(f"{where}: thread flow too long")
                for step in thread["locations"]:
                    problems += _location_violations(where + " code flow", step["location"], root)
    return problems


def _severity_violations(where: str, rule: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """GitHub shows the rule's `security-severity` band; it must be the result's own faasguard severity."""
    severity = result.get("properties", {}).get("severity")
    score = rule.get("properties", {}).get("security-severity")
    if severity in BANDS:
        low, high = BANDS[severity]
        if score is None or not low <= float(score) <= high:
            return [f"{where}: GitHub would show {score!r} for a {severity} finding"]
    elif score is not None:
        return [f"{where}: GitHub would rank an {severity} finding at {score}"]
    return []


def _location_violations(where: str, location: dict[str, Any], root: Path) -> list[str]:
    if "physicalLocation" not in location:
        if not location.get("logicalLocations"):
            return [f"{where}: a location with neither a file nor a logical location"]
        return []
    physical = location["physicalLocation"]
    problems: list[str] = []
    uri = physical.get("artifactLocation", {}).get("uri")
    if not uri:
        return [f"{where}: artifactLocation without uri"]
    path = _file_of(location, root)
    if path is None or not path.is_file():
        problems.append(f"{where}: {uri} is not a file of the checkout")
    elif not path.resolve().is_relative_to(root.resolve()):
        problems.append(f"{where}: {uri} is outside the checkout (GitHub cannot show it)")
    if physical.get("artifactLocation", {}).get("uriBaseId") not in (None, "%SRCROOT%"):
        problems.append(f"{where}: uriBaseId other than %SRCROOT%")
    region = physical.get("region")
    if not region or region.get("startLine", 0) < 1:
        return [*problems, f"{where}: region without a startLine"]
    for key in ("endLine", "endColumn", "startColumn"):
        if key not in region:
            problems.append(f"{where}: region without {key}")
    if region.get("endLine", 0) < region["startLine"]:
        problems.append(f"{where}: endLine before startLine")
    if region.get("endLine") == region["startLine"] and region.get("endColumn", 0) <= region.get("startColumn", 1):
        problems.append(f"{where}: empty region")
    return problems
