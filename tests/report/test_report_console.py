from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

from faasguard.config import Config, ConfigError
from faasguard.findings import Severity
from faasguard.report import render
from faasguard.report.console import render_console, use_color
from faasguard.result import ScanResult

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(result: ScanResult, config: Config) -> str:
    stream = io.StringIO()
    render_console(result, config, None, stream=stream)
    return stream.getvalue()


def test_grouped_by_application_then_function(result: ScanResult, config: Config) -> None:
    text = plain(result, config)
    lines = text.splitlines()
    assert lines[0] == "template.yaml  (sam, 2 functions)"
    # Groups worst severity first, then functions in declaration order, then resources without a function; the
    # handler finding is in another file of the same application, so it is in that application's group.
    groups = [line.strip() for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert groups[:3] == ["shared by AdminFunction, ConvertFunction", "ConvertFunction", "PublicApi (not a function)"]
    shared = text.index("shared by AdminFunction")
    # Within a group, worst first.
    assert text.index("CRITICAL  FG101 wildcard-action", shared) < text.index("MEDIUM    FG104", shared)


def test_group_order_is_severity_then_declaration(result: ScanResult, config: Config) -> None:
    result.findings = [replace(f, severity=Severity.LOW) for f in result.findings]
    text = plain(result, config)
    groups = [line.strip() for line in text.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    assert groups[:3] == ["ConvertFunction", "shared by AdminFunction, ConvertFunction", "PublicApi (not a function)"]


def test_finding_shows_message_location_source_lines_evidence_and_fix(result: ScanResult, config: Config) -> None:
    text = plain(result, config)
    assert 'Role SharedRole allows Action "*" on an unresolved resource' in text
    assert "template.yaml:11:17  SharedRole" in text
    assert '11 │                 Action: "*"' in text
    assert 'fix: Replace "*" with the actions the functions call.' in text
    # The code finding: its line, then the path from source to sink.
    assert "src/app.py:6:5" in text
    assert '6 │     os.system(f"convert {key} out.png")' in text
    path = text[text.index("path:"):]
    # at 80 columns the first step's location wraps under its text (hanging indent)
    assert re.search(r"1\. event\['Records'\].*\n {19}src/app.py:5\n.*2\. os.system.*src/app.py:6", path)


def test_suppressed_findings_are_counted_not_shown(result: ScanResult, config: Config,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line each (wrapping: test_wrapped_at_the_terminal_width)
    text = plain(result, config)
    assert "900 s timeout" not in text
    assert "FG401" not in text.split("Diagnostics")[0]
    summary = text.strip().splitlines()[-1]
    assert summary == ("4 findings (1 critical, 2 high, 1 medium), 1 suppressed, 3 diagnostics; "
                       "2 files scanned in 0.12 s")


def test_diagnostics_section(result: ScanResult, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line each (wrapping: test_wrapped_at_the_terminal_width)
    text = plain(result, config)
    section = text[text.index("Diagnostics\n"):].splitlines()
    assert section[1].split() == ["warning", "unresolved", "template.yaml:12", "!Ref", "Unknowable:", "parameter",
                                  "without", "a", "default", "[cloudformation", "loader]"]
    assert section[2].startswith("  warning  suppression  template.yaml:16  unused suppression comment for FG201")
    assert section[3].startswith("  note     info  1 baseline entry")


def test_no_findings(result: ScanResult, config: Config) -> None:
    result.findings = []
    result.diagnostics = []
    assert plain(result, config) == "No findings; 2 files scanned in 0.12 s\n"


def test_missing_source_file_does_not_break_the_report(result: ScanResult, config: Config, project: Path) -> None:
    (project / "src" / "app.py").unlink()
    text = plain(result, config)
    assert "src/app.py:6:5" in text
    assert "│     os.system" not in text


def test_plain_when_not_a_terminal_and_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_color(Tty()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color(io.StringIO()) is True


def test_colour_output_has_the_same_text(result: ScanResult, config: Config) -> None:
    stream = io.StringIO()
    render_console(result, config, None, stream=stream, color=True)
    coloured = stream.getvalue()
    assert "\x1b[" in coloured
    assert "\x1b[1;37;41mCRITICAL" in coloured  # bold white on red
    assert [line.rstrip() for line in ANSI.sub("", coloured).splitlines()] == plain(result, config).splitlines()


def test_output_file_is_plain(result: ScanResult, config: Config, project: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    render(result, "console", "report.txt", config)
    written = (project / "report.txt").read_text()
    assert "\x1b[" not in written
    assert written.startswith("template.yaml  (sam, 2 functions)")


def test_unavailable_format_and_unwritable_output_are_usage_errors(result: ScanResult, config: Config,
                                                                    project: Path) -> None:
    with pytest.raises(ConfigError, match="unknown report format"):
        render(result, "pdf", None, config)
    with pytest.raises(ConfigError, match="cannot write report"):
        render(result, "json", str(project / "missing-dir" / "r.json"), config)


def test_rich_is_not_imported_for_plain_output(result: ScanResult, config: Config) -> None:
    import subprocess
    import sys

    code = ("import sys, io\n"
            "from faasguard.report.console import render_console\n"
            "from faasguard.result import ScanResult\n"
            "from faasguard.config import Config\n"
            "render_console(ScanResult(), Config(), None, stream=io.StringIO())\n"
            "print('rich' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
