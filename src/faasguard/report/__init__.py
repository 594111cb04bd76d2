"""Reporters: they only render a `ScanResult` (DESIGN.md); filtering and suppression happened before.

This module holds what every format shares (the summary counts, reading the offending source lines, grouping by
application) so that console, JSON and SARIF cannot disagree about a number. Each format lives in its own
module and is imported only when chosen: a JSON run never imports rich.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard.escape import path_text
from faasguard.findings import DiagnosticKind, Finding, Severity
from faasguard.safeio import open_regular

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.model import Application
    from faasguard.result import ScanResult

SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
_MAX_LINE_CHARS = 200


FORMATS = ("console", "concise", "json", "sarif", "html", "github", "junit", "gitlab")
"""Every report format, in the order `--help` lists them."""


def render(result: ScanResult, output_format: str, output: str | None, config: Config) -> None:
    """Write the report in `output_format` to `output` (a file) or stdout. Raises ConfigError for an unknown or
    unavailable format, or an output file that cannot be written (both usage errors, exit 2)."""
    emit(prepare(result, output_format, config), output)


Report = dict[str, Any]
"""A rendered report before it is written: `{"lines": [...]}` for the console (laid out for the terminal only
when written) or `{"text": "..."}`; plain JSON data, which is what the scan cache stores."""


def prepare(result: ScanResult, output_format: str, config: Config) -> Report:
    """The report in `output_format`, not yet written (see `Report`). Raises ConfigError as `render` does."""
    from faasguard.config import ConfigError

    if config.statistics and output_format not in ("console", "concise"):
        raise ConfigError(f"--statistics is a summary for people (console, concise), not for --format {output_format}")
    if output_format == "console" and not config.statistics:
        from faasguard.report.console import build_lines

        return {"lines": build_lines(result, config)}
    if config.statistics:
        from faasguard.report.lines import render_statistics as renderer
    elif output_format == "json":
        from faasguard.report.json_report import render_json as renderer
    elif output_format == "sarif":
        from faasguard.report.sarif import render_sarif as renderer
    elif output_format == "concise":
        from faasguard.report.lines import render_concise as renderer
    elif output_format == "github":
        from faasguard.report.lines import render_github as renderer
    elif output_format == "junit":
        from faasguard.report.junit import render_junit as renderer
    elif output_format == "gitlab":
        from faasguard.report.gitlab import render_gitlab as renderer
    elif output_format == "html":
        from faasguard.report.html import render_html as renderer
    else:
        raise ConfigError(f"unknown report format {output_format!r}; use " + ", ".join(FORMATS))
    return {"text": renderer(result, config)}


def emit(report: Report, output: str | None) -> None:
    """Write a prepared report to `output` (a file) or stdout; ConfigError when the file cannot be written."""
    from faasguard.config import ConfigError

    if "lines" in report:
        from faasguard.report.console import emit_console

        emit_console([[(str(text), style) for text, style in line] for line in report["lines"]],
                     Path(output) if output else None)
        return
    text = report["text"]
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write report to {output}: {exc.strerror or exc}") from None
    else:
        from faasguard.escape import write_document

        write_document(text)


def abs_path(path: str, cwd: Path | str | None = None) -> str:
    """One spelling per file (finding paths are relative to the current directory when under it)."""
    if os.path.isabs(path):
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(cwd or Path.cwd(), path))


def report_root(cwd: Path | None = None) -> Path:
    """The directory every machine-readable report is relative to: the top of the git work tree holding `cwd`
    (a `.git` directory, or the `.git` file of a worktree or submodule), else `cwd` itself.

    Found by looking, not by running git: the scanner runs no program, and a report must not change with
    whether git is installed. The same root for SARIF `%SRCROOT%`, JSON paths, the line-based formats and
    `policy diff --format patch`, so that a report made in `app/` names the same files as one made at the top.
    """
    start = (cwd or Path.cwd()).absolute()
    for directory in (start, *start.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return start


class ReportPaths:
    """Spells the paths findings carry (relative to the current directory when under it) relative to the
    report root, in POSIX form; a path outside the root stays absolute. `exists` tells whether a path names a
    regular file, so that SARIF never points an `artifactLocation` at an ARN or a synthetic node."""

    def __init__(self, cwd: Path | None = None, root: Path | None = None) -> None:
        self.cwd = (cwd or Path.cwd()).absolute()
        self.root = root or report_root(self.cwd)
        self._cache: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        self._exists: dict[str, bool] = {}
        self._root_prefix = os.path.join(os.path.normpath(self.root), "")

    def absolute(self, path: str) -> str:
        return abs_path(path, self.cwd)

    def __call__(self, path: str) -> str:
        spelled = self._cache.get(path)
        if spelled is None:
            if not path or _SYNTHETIC.match(path):
                spelled = path
            else:
                absolute = self.absolute(path)
                if absolute.startswith(self._root_prefix):  # the common case, without relpath's own normalising
                    spelled = absolute[len(self._root_prefix):]
                else:
                    relative = os.path.relpath(absolute, self.root)
                    spelled = absolute if relative == ".." or relative.startswith("../") else relative
                spelled = spelled.replace(os.sep, "/")
            self._cache[path] = spelled
        return spelled

    def text(self, path: str) -> str:
        """`path_text` of the spelled path: what a report's `path` fields hold. Kept per path, as the spelling
        is: a large report names the same few files in tens of thousands of locations."""
        found = self._texts.get(path)
        if found is None:
            found = self._texts[path] = path_text(self(path))
        return found

    def is_file(self, path: str) -> bool:
        """True when `path` names a regular file (a synthetic node, an ARN or a deleted file does not)."""
        known = self._exists.get(path)
        if known is None:
            known = bool(path) and not _SYNTHETIC.match(path) and os.path.isfile(self.absolute(path))
            self._exists[path] = known
        return known


_SYNTHETIC = re.compile(r"^(?:<.*>|\?|arn:.*|[a-z][a-z0-9+.-]*://.*)$", re.DOTALL)
"""Locations that name no file: AWS-managed policies (`<aws-managed:...>`), ARNs of a live audit, URLs."""


def files_scanned(result: ScanResult) -> int:
    cwd = os.getcwd()  # once: ~5,600 paths on the corpus, each asked the working directory again before
    files = {abs_path(str(s.path), cwd) for s in result.sources}
    files |= {abs_path(p, cwd) for app in result.apps for p in app.files}
    return len(files)


def summarize(result: ScanResult) -> dict[str, Any]:
    """The summary every format reports: reported (unsuppressed) findings by severity, suppressed findings,
    diagnostics by kind, and the size and duration of the scan."""
    reported = [f for f in result.findings if f.suppression is None]
    by_severity = Counter(f.severity for f in reported)
    by_kind = Counter(d.kind for d in result.diagnostics)
    return {
        "findings": len(reported),
        "suppressed": len(result.findings) - len(reported),
        "by_severity": {s.value: by_severity.get(s, 0) for s in SEVERITY_ORDER},
        "diagnostics": len(result.diagnostics),
        "diagnostics_by_kind": {k.value: by_kind[k] for k in DiagnosticKind if by_kind.get(k)},
        "applications": len(result.apps),
        "functions": sum(len(app.functions) for app in result.apps),
        "files_scanned": files_scanned(result),
        "rules_run": len(result.rules),
        "duration_seconds": round(result.timings.get("total", 0.0), 3),
        "internal_errors": by_kind.get(DiagnosticKind.INTERNAL_ERROR, 0),
    }


class SourceLines:
    """Reads the lines findings point at, lazily and at most once per file, never more than `max_bytes`."""

    def __init__(self, max_bytes: int = 20 * 1024 * 1024, cwd: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.cwd = cwd or Path.cwd()
        self._files: dict[str, list[str] | None] = {}
        self._texts: dict[str, str | None] = {}

    def text(self, path: str) -> str | None:
        """The whole file as text (undecodable bytes as U+FFFD), or None: missing, binary, or too large."""
        key = abs_path(path, self.cwd)
        if key not in self._texts:
            self._texts[key] = None
            try:
                with open_regular(key) as handle:
                    data = handle.read(self.max_bytes + 1)
            except OSError:
                member = _archive_member(key, self.max_bytes)
                if member is None:
                    return None
                data = member
            if len(data) <= self.max_bytes and b"\0" not in data[:8192]:
                self._texts[key] = data.decode("utf-8", errors="replace")
        return self._texts[key]

    def lines(self, path: str) -> list[str] | None:
        key = abs_path(path, self.cwd)
        if key not in self._files:
            text = self.text(path)
            self._files[key] = text.splitlines() if text is not None else None
        return self._files[key]

    def line(self, path: str, number: int) -> str | None:
        lines = self.lines(path)
        if not lines or number < 1 or number > len(lines):
            return None
        return lines[number - 1]

    def snippet(self, path: str, line: int, end_line: int | None = None, limit: int = 4) -> list[tuple[int, str]]:
        """(line number, text) for `line`..`end_line`, at most `limit` lines, long lines shortened."""
        lines = self.lines(path)
        if not lines or line < 1 or line > len(lines):
            return []
        last = min(max(end_line or line, line), len(lines), line + limit - 1)
        result = []
        for number in range(line, last + 1):
            text = lines[number - 1].rstrip()
            if len(text) > _MAX_LINE_CHARS:
                text = text[:_MAX_LINE_CHARS - 1] + "…"
            result.append((number, text))
        return result


def _archive_member(path: str, max_bytes: int) -> bytes | None:
    """A member of a zip package (`app.zip!/app.py`), read from the archive; None for any other path."""
    if "!/" not in path:
        return None
    from faasguard.analysis.archive import read_member

    return read_member(path, max_bytes)


def application_of(findings: Sequence[Finding], apps: Sequence[Application]) -> list[int | None]:
    """Index into `apps` of the application each finding belongs to: by the file it points at, else by the one
    application that defines its function or resource; None when neither tells."""
    owner: dict[str, int] = {}
    for position, app in enumerate(apps):
        for path in app.files:
            owner.setdefault(abs_path(path), position)
    defined: dict[str, set[int]] | None = None  # node id → applications defining it, built on first need
    result: list[int | None] = []
    for finding in findings:
        index = owner.get(abs_path(finding.location.path))
        if index is None:
            if defined is None:
                defined = {}
                for position, app in enumerate(apps):
                    for node in (*app.functions, *app.roles, *app.resources):
                        defined.setdefault(node.id, set()).add(position)
            live = live_unit(finding.location.path)
            hits = {i for name in {finding.resource, *finding.functions} for i in defined.get(name, ())
                    if live is None or _in_unit(apps[i], *live)}
            index = next(iter(hits)) if len(hits) == 1 else None
        result.append(index)
    return result


def live_unit(path: str) -> tuple[str, str] | None:
    """(account, region) an audit finding's ARN names; either may be empty (IAM roles have no region, S3
    buckets neither). None for a path that is not an ARN."""
    fields = path.split(":", 5)
    if len(fields) < 6 or fields[0] != "arn":
        return None
    return fields[4], fields[3]


def _in_unit(app: Application, account: str, region: str) -> bool:
    """Is `app` the audit unit of (account, region)? Live applications are named `aws:ACCOUNT:REGION`; an
    empty account or region in the ARN matches any."""
    name = app.name.split(":")
    if app.source.value != "live" or len(name) != 3:
        return False
    return (not account or name[1] == account) and (not region or name[2] == region)
