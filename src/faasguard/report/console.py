"""Console report: findings grouped by application, then by the function they affect, with the offending lines.

The report is built once as a list of styled segments and written by one of two back-ends: plain text (not a
terminal, `NO_COLOR`, or `--output`), which needs nothing beyond the standard library, and rich, imported only
when colour is actually wanted. That keeps the pre-commit hook's start-up budget (rich costs ~40 ms to import)
for the case where nobody sees the colours, and gives byte-stable output for tests and CI logs.

A finding about a role shared by several functions is listed once, in a "shared by A, B" group, rather than
under each function: repeating it would inflate what reads like a count, and the fix is in one place anyway.
Groups come worst severity first (what to look at first), then in the template's declaration order.
Suppressed findings are not shown (they are counted in the summary and kept in JSON/SARIF).

Everything printed that came from the scanned tree (file names, resource names, YAML strings, code lines, messages
quoting them) is escaped at the one place segments are written (`faasguard.escape.console_text`): a control
character in a template cannot clear the terminal, move the cursor, forge a line or open a hyperlink, and rich
never interprets markup because segments reach it as `Text`, not as markup strings. Paths use the report spelling
of `path_text`. The code snippet of a secret finding has its values masked: like the JSON report, which never
carries the value, the console must not print a hard-coded secret in full into a CI log.
"""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from faasguard.escape import console_text, for_stream, path_text
from faasguard.findings import Diagnostic, DiagnosticLevel, Finding, Severity, incomplete_reasons
from faasguard.report import SEVERITY_ORDER, SourceLines, application_of, live_unit, summarize

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.result import ScanResult

Segment = tuple[str, str | None]
"""Text and its rich style (None: unstyled)."""
Line = list[Segment]

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_LEVEL_STYLE = {DiagnosticLevel.ERROR: "bold red", DiagnosticLevel.WARNING: "yellow", DiagnosticLevel.NOTE: "dim"}

_SECRET_RULES = frozenset({"FG201", "FG202", "FG203", "FG209"})
"""Rules whose offending lines hold (or sit next to) a secret value: their snippet is masked."""
_SECRET_CWES = frozenset({"CWE-798", "CWE-259", "CWE-321", "CWE-522", "CWE-312", "CWE-526"})
_QUOTED = re.compile(r"""(?P<prefix>\b[rRbBfFuU]{1,2})?(?P<q>["'])(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)(?P<key>\s*:)?""")
_KEY_VALUE = re.compile(r"^(?P<key>\s*(?:-\s+)?[^\s:=#\"'][^:=#]*?\s*(?::\s|:$|=)\s*)(?P<value>.*?)"
                        r"(?P<comment>\s+#.*)?$")
_REFERENCE = ("!Ref", "!GetAtt", "!ImportValue", "!Condition", "|", ">")
"""Values that name something else (or open a block scalar on the next lines): nothing to mask on this line."""


def render_console(result: ScanResult, config: Config, output: Path | None, *,
                   stream: TextIO | None = None, color: bool | None = None) -> None:
    """Write the console report to `output` (plain text), or to `stream` (default stdout), in colour when it is
    a terminal and `NO_COLOR` is not set (`FORCE_COLOR` forces colour, e.g. in CI logs that render it)."""
    emit_console(build_lines(result, config), output, stream=stream, color=color)


def emit_console(lines: list[Line], output: Path | None, *, stream: TextIO | None = None,
                 color: bool | None = None) -> None:
    """Lay out and write report lines for this terminal (its width and colour), so that the lines themselves
    are the same everywhere and a cached report (faasguard.scan_cache) fits the terminal it is replayed on."""
    lines = wrap_lines(lines, report_width())
    if output is not None:
        output.write_text(_plain(lines), encoding="utf-8")  # escaped too: the file is read with `cat` in CI logs
        return
    stream = stream or sys.stdout
    if color is None:
        color = use_color(stream)
    if color:
        _write_rich(lines, stream)
    else:
        stream.write(for_stream(_plain(lines), stream))


def report_width() -> int:
    """The terminal's width (`COLUMNS` first, as `shutil` reads it), else 80: piped and CI output is wrapped
    at 80 so that it reads the same in every log. Never below 40, where hanging indents stop making sense."""
    import shutil

    return max(40, shutil.get_terminal_size((80, 24)).columns)


_TOKEN = re.compile(r"\S+\s*|\s+")
_LABEL_ENDS = (": ", "│ ", ". ")


def _hang(line: Line) -> int:
    """Where continuation lines start: under the text after the line's indent and its label (`fix: `, a
    snippet's `12 │ `, an evidence step's `1. `), else two columns in from the indent."""
    indent = 0
    for text, _ in line:
        if text.strip():
            if len(text) <= 14 and text.endswith(_LABEL_ENDS):
                return indent + len(text)
            lead = len(text) - len(text.lstrip())
            return indent + lead + 2
        indent += len(text)
    return indent + 2


def wrap_line(line: Line, width: int) -> list[Line]:
    """`line` (escaped for the terminal first, so widths are what is printed) broken at spaces into lines of
    at most `width` columns, continuation lines indented by `_hang`; a word longer than a line is cut."""
    segments: Line = [(console_text(text), style) for text, style in line]
    if sum(len(text) for text, _ in segments) <= width:
        return [segments]
    hang = min(_hang(segments), width // 2)
    lines: list[Line] = []
    current: Line = []
    used = 0
    for text, style in segments:
        for word in _TOKEN.findall(text):
            rest = word
            while rest:
                if used + len(rest.rstrip()) <= width:
                    current.append((rest, style))
                    used += len(rest)
                    break
                if used > hang:  # something is on this line: continue on the next
                    lines.append(current)
                    current, used = [(" " * hang, None)], hang
                    rest = rest.lstrip()
                    continue
                room = max(1, width - used)
                current.append((rest[:room], style))
                lines.append(current)
                current, used = [(" " * hang, None)], hang
                rest = rest[room:]
    if current and "".join(text for text, _ in current).strip():
        lines.append(current)
    return [_rstrip(line) for line in lines]


def _rstrip(line: Line) -> Line:
    while line and not line[-1][0].strip():
        line = line[:-1]
    if line:
        text, style = line[-1]
        line = [*line[:-1], (text.rstrip(), style)]
    return line


def wrap_lines(lines: list[Line], width: int) -> list[Line]:
    return [wrapped for line in lines for wrapped in (wrap_line(line, width) if line else [line])]


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def build_lines(result: ScanResult, config: Config) -> list[Line]:
    from faasguard.report.paths import console_lines

    lines: list[Line] = console_lines(result, SEVERITY_STYLE)
    source = SourceLines(config.max_file_bytes)
    shown = [f for f in result.findings if f.suppression is None]
    owners = application_of(shown, result.apps)

    # application → group label → findings; insertion order follows the sorted findings (path, line).
    apps: dict[tuple[int, str], dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding, owner in zip(shown, owners, strict=True):
        app_key = (owner, result.apps[owner].name) if owner is not None else _unowned_key(finding, len(result.apps))
        apps[app_key][_group_label(finding)].append(finding)

    for (index, name), groups in sorted(apps.items(), key=lambda item: item[0]):
        header: Line = [(name, "bold underline")]
        if index < len(result.apps):
            app = result.apps[index]
            count = len(app.functions)
            header.append((f"  ({app.source.value}, {count} function{'s' if count != 1 else ''})", "dim"))
        lines.append(header)
        order = {fn.id: position for position, fn in enumerate(result.apps[index].functions)} \
            if index < len(result.apps) else {}
        for label, findings in sorted(groups.items(), key=lambda item: _group_rank(item[1], order)):
            lines.append([("  ", None), (label, "bold cyan")])
            for finding in sorted(findings, key=lambda f: (-f.severity.rank, f.location.line, f.rule_id)):
                lines.extend(_finding_lines(finding, source))
        lines.append([])

    if result.diagnostics:
        lines.append([("Diagnostics", "bold underline")])
        lines.extend(_diagnostic_line(d) for d in result.diagnostics)
        lines.append([])
    lines.append(_summary_line(result))
    lines.extend(incomplete_lines(result))
    return lines


def _unowned_key(finding: Finding, after: int) -> tuple[int, str]:
    """The group of a finding no single application owns. An audit finding on something global to an account
    (an IAM role several regions' functions use) is grouped under its account, beside that account's regional
    units (`aws:ACCOUNT:REGION`), rather than under its own ARN."""
    unit = live_unit(finding.location.path)
    if unit is not None and unit[0]:
        # a merged org-wide report may hold no applications: the ARN still names the unit
        return after, f"aws:{unit[0]}:{unit[1]}" if unit[1] else f"aws:{unit[0]} (global: IAM)"
    return after, finding.location.path


def _group_rank(findings: list[Finding], order: dict[str, int]) -> tuple[int, int, int]:
    """Worst severity first (triage), then functions in declaration order, shared groups after a function's
    own, resources without a function last."""
    functions = findings[0].functions
    position = min((order.get(f, len(order)) for f in functions), default=len(order) + 1)
    return -max(f.severity.rank for f in findings), position, len(functions)


def _group_label(finding: Finding) -> str:
    functions = finding.functions
    if len(functions) == 1:
        return functions[0]
    if functions:
        return "shared by " + ", ".join(functions)
    return f"{finding.resource} (not a function)"


def _finding_lines(finding: Finding, source: SourceLines) -> list[Line]:
    indent = "    "
    detail = indent + " " * 10
    sev = finding.severity
    lines: list[Line] = [[
        (indent, None), (f"{sev.value.upper():<8}", SEVERITY_STYLE[sev]), ("  ", None),
        (finding.rule_id, "bold"), (" ", None), (finding.rule_name, "dim"),
        *([(f"  ({finding.confidence.value} confidence)", "dim")] if finding.confidence.value != "high" else []),
    ]]
    lines.append([(detail, None), (finding.message, None)])
    loc = finding.location
    where: Line = [(detail, None), (f"{path_text(loc.path)}:{loc.line}:{loc.column}", "blue")]
    resource = loc.construct_path or (finding.resource if finding.resource != loc.logical_id else None) \
        or loc.logical_id
    if resource:
        where.append((f"  {resource}", "dim"))
    lines.append(where)
    snippet = source.snippet(loc.path, loc.line, loc.end_line)
    width = len(str(snippet[-1][0])) if snippet else 0
    secret = finding.rule_id in _SECRET_RULES or finding.cwe in _SECRET_CWES
    for number, text in snippet:
        shown = mask_values(text) if secret else text
        lines.append([(detail + "  ", None), (f"{number:>{width}} │ ", "dim"), (shown, "bold")])
    if finding.evidence:
        lines.append([(detail, None), ("path:", "dim")])
        for step_number, step in enumerate(finding.evidence, 1):
            lines.append([(detail + "  ", None), (f"{step_number}. ", "dim"), (step.description, None),
                          (f"  {path_text(step.location.path)}:{step.location.line}", "blue")])
    if finding.fix:
        fix_lines = finding.fix.splitlines() or [""]
        lines.append([(detail, None), ("fix: ", "green"), (fix_lines[0], None)])
        lines.extend([(detail + "     ", None), (extra, None)] for extra in fix_lines[1:])
    return lines


def _diagnostic_line(diagnostic: Diagnostic) -> Line:
    line: Line = [("  ", None), (f"{diagnostic.level.value:<7}", _LEVEL_STYLE[diagnostic.level]), ("  ", None),
                  (diagnostic.kind.value, "bold"), ("  ", None)]
    if diagnostic.location is not None:
        loc = diagnostic.location
        shown = path_text(loc.path)
        line.append((f"{shown}:{loc.line}" if loc.line > 1 or loc.column > 1 else shown, "blue"))
        line.append(("  ", None))
    line.append((diagnostic.message, None))
    if diagnostic.component:
        line.append((f"  [{diagnostic.component}]", "dim"))
    return line


def _summary_line(result: ScanResult) -> Line:
    summary = summarize(result)
    total = summary["findings"]
    line: Line = []
    if total:
        line.append((f"{total} finding{'s' if total != 1 else ''}", "bold"))
        parts = [(f"{summary['by_severity'][s.value]} {s.value}", SEVERITY_STYLE[s]) for s in SEVERITY_ORDER
                 if summary["by_severity"][s.value]]
        line.append((" (", None))
        for position, part in enumerate(parts):
            if position:
                line.append((", ", None))
            line.append(part)
        line.append((")", None))
    else:
        line.append(("No findings", "bold green"))
    if summary["suppressed"]:
        line.append((f", {summary['suppressed']} suppressed", None))
    if summary["diagnostics"]:
        line.append((f", {summary['diagnostics']} diagnostic{'s' if summary['diagnostics'] != 1 else ''}", None))
    files = summary["files_scanned"]
    line.append((f"; {files} file{'s' if files != 1 else ''} scanned in {summary['duration_seconds']:.2f} s",
                 None))
    return line


def _mask(value: str) -> str:
    """Enough to recognise which value it is (a key's `AKIA` prefix), never enough to use it."""
    return value[:4] + "****" if len(value) >= 16 else "****"


def mask_values(line: str) -> str:
    """A source line with its values masked: every quoted string that is not a mapping key, and the plain value
    of a `key: value` / `key = value` line; a line that is neither (the body of a block scalar or of a
    triple-quoted string: a PEM key) is masked whole."""
    quoted = False

    def quoted_value(match: re.Match[str]) -> str:
        nonlocal quoted
        quoted = True
        if match.group("key"):
            return match.group()
        q = match.group("q")
        return f"{match.group('prefix') or ''}{q}{_mask(match.group('body'))}{q}"

    masked = _QUOTED.sub(quoted_value, line)
    if quoted:
        return masked
    pair = _KEY_VALUE.match(line)
    if pair is not None:
        value = pair.group("value")
        if not value or value.startswith(_REFERENCE):
            return line
        return pair.group("key") + _mask(value) + (pair.group("comment") or "")
    body = line.lstrip()
    if not body or (body.startswith(("#", "!", "-", "}", "]", ")")) and len(body) < 3):
        return line
    return line[:len(line) - len(body)] + _mask(body)


def incomplete_lines(result: ScanResult) -> list[Line]:
    """One warning under the summary per way the scan checked less than asked (an input that failed to parse,
    advisory data missing or unreachable), so a reader of a green run sees it without reading the diagnostics;
    `--strict` turns the same list into exit 3 (findings.exit_code)."""
    return [[("warning: ", "bold yellow"), (reason, None), (" (see Diagnostics; --strict fails the run)", "dim")]
            for reason in incomplete_reasons(result.diagnostics)]


def _plain(lines: list[Line]) -> str:
    return "".join("".join(console_text(text) for text, _ in line).rstrip() + "\n" for line in lines)


def _write_rich(lines: list[Line], stream: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(Text.assemble(*[(for_stream(console_text(text), stream), style or "") for text, style in line]))
