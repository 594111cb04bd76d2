"""One line per finding: `--format concise` for editors and terminals, `--format github` for GitHub Actions
workflow annotations, and `--statistics` (a count per rule, like ruff's).

Suppressed findings are left out of all three (they are counted in JSON and SARIF). Concise paths are relative
to the current directory, as a person typed them and an editor opens them; annotation paths are relative to the
report root (the repository top), which is what GitHub resolves them against.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from faasguard.escape import console_text, path_text, workflow_data, workflow_property
from faasguard.findings import Finding, Severity
from faasguard.report import ReportPaths, SourceLines

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

ANNOTATION = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
              Severity.LOW: "notice", Severity.INFO: "notice"}
"""GitHub has three annotation levels; critical and high fail a review as errors, like SARIF's `error`."""


def _reported(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.suppression is None]


def render_concise(result: ScanResult, config: Config) -> str:
    """`path:line:col: FG101 [high] message`, the shape compilers use, so editors jump to each line."""
    out = []
    for finding in _reported(result):
        loc = finding.location
        out.append(console_text(f"{path_text(loc.path)}:{loc.line}:{loc.column}: {finding.rule_id} "
                                f"[{finding.severity.value}] {finding.message}"))
    return "".join(line + "\n" for line in out)


def render_github(result: ScanResult, config: Config) -> str:
    """`::error file=...,line=...,endLine=...,col=...,endColumn=...,title=...::message` per finding. A finding that
    points at no file of the checkout (a managed policy, an ARN) is annotated without `file`."""
    paths = ReportPaths()
    source = SourceLines(config.max_file_bytes, paths.cwd)
    out = []
    for finding in _reported(result):
        loc = finding.location
        props = []
        if paths.is_file(loc.path):
            end_line = max(loc.line, loc.end_line or loc.line)
            text = source.line(loc.path, end_line)
            props += [f"file={workflow_property(path_text(paths(loc.path)))}", f"line={loc.line}",
                      f"endLine={end_line}", f"col={loc.column}"]
            if text is not None and end_line == loc.line:
                props.append(f"endColumn={max(loc.column + 1, len(text.rstrip()) + 1)}")
        props.append(f"title={workflow_property(f'{finding.rule_id} {finding.rule_name} ({finding.severity.value})')}")
        message = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
        out.append(f"::{ANNOTATION[finding.severity]} {','.join(props)}::{workflow_data(message)}")
    return "".join(line + "\n" for line in out)


def render_statistics(result: ScanResult, config: Config) -> str:
    """`count  rule  name  severity` per rule that reported something, most frequent first (ties by rule id).
    The severity is the worst the rule reported, since context may raise it above the rule's default."""
    findings = _reported(result)
    counts = Counter(f.rule_id for f in findings)
    names = {f.rule_id: f.rule_name for f in findings}
    worst: dict[str, Severity] = {}
    for f in findings:
        if f.rule_id not in worst or f.severity.rank > worst[f.rule_id].rank:
            worst[f.rule_id] = f.severity
    if not counts:
        return "No findings\n"
    width = len(str(max(counts.values())))
    name_width = max(len(n) for n in names.values())
    lines = [f"{count:>{width}}  {rule_id}  {names[rule_id]:<{name_width}}  {worst[rule_id].value}".rstrip()
             for rule_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    total = sum(counts.values())
    lines.append(f"{total} finding{'s' if total != 1 else ''} from {len(counts)} rule{'s' if len(counts) != 1 else ''}")
    return "".join(console_text(line) + "\n" for line in lines)
