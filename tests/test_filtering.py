"""The filter stage on hand-made findings: every suppression path, its governance, and the baseline.

Findings are built by hand here because the point is the filter's logic; `tests/report/test_report_e2e.py`
goes through `faasguard scan` on a real template.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faasguard.config import CentralIgnore, Config, ConfigError, parse_config
from faasguard.filtering import apply_filters, read_baseline, write_baseline
from faasguard.findings import (
    Confidence,
    DiagnosticKind,
    ExitCode,
    Finding,
    Severity,
    exit_code,
)
from faasguard.model import Application, Location, SourceKind, SourceSuppression

TODAY = date(2026, 11, 23)

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  # faasguard: ignore[FG104] -- the two functions are one deployable unit
  SharedRole:
    Type: AWS::IAM::Role
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 900  # faasguard: ignore[FG401] -- batch export, called by a scheduler only
      Environment:
        Variables:
          DB_PASSWORD: hunter2
"""


def finding(rule_id: str = "FG104", path: str = "template.yaml", line: int = 4, resource: str = "SharedRole",
            severity: Severity = Severity.HIGH, function: str | tuple[str, ...] | None = None,
            name: str | None = None, logical_id: str | None = None, message: str | None = None) -> Finding:
    names = {"FG104": "shared-execution-role", "FG401": "excessive-timeout", "FG201": "secret-in-environment",
             "FG101": "wildcard-action", "FG501": "command-injection"}
    made = Finding(rule_id=rule_id, rule_name=name or names.get(rule_id, "some-rule"), severity=severity,
                   confidence=Confidence.HIGH, message=message or f"{rule_id} on {resource}",
                   location=Location(path, line, 3, logical_id=logical_id or resource), resource=resource,
                   function=function)
    return replace(made, fingerprint=made.compute_fingerprint())


def app(files: tuple[str, ...] = ("template.yaml",), suppressions: tuple[SourceSuppression, ...] = ()) -> Application:
    return Application(name="template.yaml", source=SourceKind.SAM, root=".", files=files,
                       suppressions=suppressions)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


def run(project: Path, findings: list[Finding], config: Config | None = None, apps: list[Application] | None = None,
        today: date = TODAY) -> tuple[list[Finding], list]:
    return apply_filters(findings, apps if apps is not None else [app()], config or Config(), today=today,
                         cwd=project)


def by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule_id: f for f in findings}


def suppression_messages(diagnostics: list) -> list[str]:
    return [d.message for d in diagnostics if d.kind is DiagnosticKind.SUPPRESSION]


# ------------------------------------------------------------------------------------------ thresholds

def test_severity_threshold_drops_lower_findings_and_sorts(project: Path) -> None:
    findings = [finding("FG201", line=12, severity=Severity.LOW, resource="ApiFunction"),
                finding("FG101", line=2, severity=Severity.CRITICAL, resource="X"),
                finding("FG201", line=12, severity=Severity.INFO, resource="Other")]
    kept, _ = run(project, findings, Config(severity=Severity.LOW))
    assert [(f.rule_id, f.location.line, f.severity) for f in kept] == [
        ("FG101", 2, Severity.CRITICAL), ("FG201", 12, Severity.LOW)]
    kept, _ = run(project, findings, Config(severity=Severity.HIGH))
    assert [f.rule_id for f in kept] == ["FG101"]


# -------------------------------------------------------------------------------------------- comments

def test_comment_on_line_above_and_trailing_comment_suppress(project: Path) -> None:
    kept, diagnostics = run(project, [finding("FG104", line=4), finding("FG401", line=9, resource="ApiFunction"),
                                      finding("FG201", line=12, resource="ApiFunction")])
    found = by_rule(kept)
    assert found["FG104"].suppression is not None
    assert found["FG104"].suppression.kind == "inSource"
    assert found["FG104"].suppression.justification == "the two functions are one deployable unit"
    assert found["FG104"].suppression.location == Location("template.yaml", 3, 3)
    assert found["FG401"].suppression is not None
    assert found["FG401"].suppression.justification == "batch export, called by a scheduler only"
    assert found["FG201"].suppression is None
    assert suppression_messages(diagnostics) == []
    assert exit_code(kept, diagnostics, Severity.LOW, strict=True) is ExitCode.FINDINGS  # FG201 remains


def test_comment_only_covers_its_own_rule(project: Path) -> None:
    kept, diagnostics = run(project, [finding("FG101", line=4)])
    assert kept[0].suppression is None
    # ... and the FG104 comment is then unused (reported, located at the comment).
    (diagnostic,) = [d for d in diagnostics if "FG104" in d.message]
    assert diagnostic.kind is DiagnosticKind.SUPPRESSION
    assert "unused suppression comment for FG104" in diagnostic.message
    assert diagnostic.location == Location("template.yaml", 3, 3)


def test_trailing_comment_does_not_leak_to_next_line(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Variables:\n"
        "  DB_PASSWORD: x  # faasguard: ignore[FG201] -- test fixture value\n"
        "  API_TOKEN: y\n")
    kept, diagnostics = run(tmp_path, [finding("FG201", line=2, resource="A"),
                                       finding("FG201", line=3, resource="B")])
    assert [(f.resource, f.suppression is not None) for f in kept] == [("A", True), ("B", False)]
    assert suppression_messages(diagnostics) == []


def test_stacked_comments_and_several_ids(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  # faasguard: ignore[FG104, FG201] -- legacy stack, tracked in SEC-12\n"
        "  # faasguard: ignore[excessive-timeout] until=2027-03-01 -- nightly batch\n"
        "  Fn:\n")
    kept, diagnostics = run(tmp_path, [finding("FG104", line=4, resource="Fn"),
                                       finding("FG201", line=4, resource="Fn"),
                                       finding("FG401", line=4, resource="Fn")])
    assert all(f.suppression is not None for f in kept)
    assert by_rule(kept)["FG401"].suppression.until == "2027-03-01"  # type: ignore[union-attr]
    assert by_rule(kept)["FG401"].suppression.justification == "nightly batch"  # type: ignore[union-attr]
    assert suppression_messages(diagnostics) == []


def test_blank_line_breaks_the_comment_chain(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  # faasguard: ignore[FG104] -- shared on purpose\n"
        "\n"
        "  Fn:\n")
    kept, diagnostics = run(tmp_path, [finding("FG104", line=4, resource="Fn")])
    assert kept[0].suppression is None
    assert any("unused suppression comment for FG104" in m for m in suppression_messages(diagnostics))


@pytest.mark.parametrize(("filename", "text", "line"), [
    ("main.tf", '# faasguard: ignore[FG104] -- one role per service by policy\nresource "aws_iam_role" "r" {\n', 2),
    ("main.tf", 'resource "aws_iam_role" "r" { // faasguard: ignore[FG104] -- accepted\n', 1),
    ("main.tf", '  // faasguard: ignore[FG104] -- accepted\n  role = aws_iam_role.r.arn\n', 2),
    ("handler.py", "def handler(event, context):\n"
                   "    # faasguard: ignore[FG104] -- argument is an enum checked above\n"
                   "    os.system(event['cmd'])\n", 3),
    ("handler.py", "    os.system(cmd)  # faasguard: ignore[FG104] -- constant\n", 1),
    ("template.yaml", "Fn:  #faasguard:ignore[FG104]--no spaces needed\n", 1),
])
def test_comment_syntaxes_per_language(tmp_path: Path, filename: str, text: str, line: int) -> None:
    (tmp_path / filename).write_text(text)
    kept, diagnostics = run(tmp_path, [finding("FG104", path=filename, line=line)], apps=[app((filename,))])
    assert kept[0].suppression is not None, text
    assert suppression_messages(diagnostics) == []


def test_comment_in_file_without_findings_is_reported_unused(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    (tmp_path / "app.py").write_text("x = 1  # faasguard: ignore[FG501] -- sanitized upstream\n")
    _, diagnostics = run(tmp_path, [], apps=[app(("template.yaml", str(tmp_path / "app.py")))])
    (diagnostic,) = diagnostics
    assert diagnostic.kind is DiagnosticKind.SUPPRESSION
    assert diagnostic.location == Location("app.py", 1, 8)


def test_comment_missing_reason_is_not_honoured(project: Path) -> None:
    (project / "template.yaml").write_text("Fn:  # faasguard: ignore[FG104]\nGn:  # faasguard: ignore[FG104] --  \n")
    kept, diagnostics = run(project, [finding("FG104", line=1, resource="Fn"),
                                      finding("FG104", line=2, resource="Gn")])
    assert [f.suppression for f in kept] == [None, None]
    messages = suppression_messages(diagnostics)
    assert len(messages) == 2
    assert all("has no reason" in m and "-- why" in m for m in messages)
    assert exit_code(kept, diagnostics, Severity.CRITICAL) is ExitCode.OK
    assert exit_code(kept, diagnostics, Severity.CRITICAL, strict=True) is ExitCode.FINDINGS


@pytest.mark.parametrize(("until", "honoured", "problem"), [
    ("2026-11-22", False, "expired on 2026-11-22"),
    ("2026-11-23", True, None),
    ("2027-03-01", True, None),
    ("next-year", False, "invalid until date"),
])
def test_comment_expiry(tmp_path: Path, until: str, honoured: bool, problem: str | None) -> None:
    (tmp_path / "template.yaml").write_text(f"Fn:  # faasguard: ignore[FG104] until={until} -- migration\n")
    kept, diagnostics = run(tmp_path, [finding("FG104", line=1, resource="Fn")])
    assert (kept[0].suppression is not None) is honoured
    messages = suppression_messages(diagnostics)
    if problem:
        assert len(messages) == 1
        assert problem in messages[0]
        assert diagnostics[0].location == Location("template.yaml", 1, 6)
    else:
        assert messages == []


def test_expiry_clock_is_injectable(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Fn:  # faasguard: ignore[FG104] until=2027-03-01 -- migration\n")
    kept, _ = run(tmp_path, [finding("FG104", line=1, resource="Fn")], today=date(2027, 3, 2))
    assert kept[0].suppression is None


def test_bare_or_empty_ignore_comment_is_reported(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Fn:  # faasguard: ignore -- everything\nGn: # faasguard: ignore[] -- x\n")
    kept, diagnostics = run(tmp_path, [finding("FG104", line=1, resource="Fn")])
    assert kept[0].suppression is None
    messages = suppression_messages(diagnostics)
    assert len(messages) == 2
    assert "names no rule" in messages[0]


def test_not_a_rule_id(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Fn:  # faasguard: ignore[FG1O4!] -- typo\n")
    _, diagnostics = run(tmp_path, [finding("FG104", line=1, resource="Fn")])
    assert "not a rule id" in suppression_messages(diagnostics)[0]


def test_unused_only_for_rules_that_ran(project: Path) -> None:
    """`--select FG2` runs no FG104/FG401: their comments are not "unused", they are simply not in play."""
    _, diagnostics = run(project, [], Config(select=("FG2",)))
    assert suppression_messages(diagnostics) == []
    _, diagnostics = run(project, [], Config(ignore=("FG104",)))
    assert [m.split(":")[0] for m in suppression_messages(diagnostics)] == ["unused suppression comment for FG401"]


def test_unused_suppression_fails_only_under_strict(project: Path) -> None:
    kept, diagnostics = run(project, [finding("FG104", line=4)])  # the FG401 comment is unused
    assert kept[0].suppression is not None
    assert len(suppression_messages(diagnostics)) == 1
    assert exit_code(kept, diagnostics, Severity.LOW) is ExitCode.OK
    assert exit_code(kept, diagnostics, Severity.LOW, strict=True) is ExitCode.FINDINGS


def test_suppressed_below_threshold_still_uses_the_comment(project: Path) -> None:
    """A comment whose finding is below --severity is not "unused": it still matched."""
    kept, diagnostics = run(project, [finding("FG104", line=4, severity=Severity.INFO),
                                      finding("FG401", line=9, resource="ApiFunction", severity=Severity.INFO)])
    assert kept == []
    assert suppression_messages(diagnostics) == []


# -------------------------------------------------------------------------------------------- metadata

def meta(rule: str = "FG104", resource: str = "SharedRole", reason: str | None = "accepted risk, SEC-9",
         until: str | None = None) -> SourceSuppression:
    return SourceSuppression(rule, resource, reason, Location("template.yaml", 6, 11, logical_id=resource), until)


def test_metadata_suppression(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    findings = [finding("FG104", line=4, resource="SharedRole"), finding("FG104", line=20, resource="OtherRole")]
    kept, diagnostics = run(tmp_path, findings, apps=[app(suppressions=(meta(),))])
    assert [(f.resource, f.suppression and f.suppression.kind) for f in kept] == [
        ("SharedRole", "inSource"), ("OtherRole", None)]
    assert kept[0].suppression.justification == "accepted risk, SEC-9"  # type: ignore[union-attr]
    assert suppression_messages(diagnostics) == []


def test_metadata_applies_to_code_findings_of_the_same_application(tmp_path: Path) -> None:
    """Metadata on a function suppresses its handler finding (in another file of the same application), but
    not a finding in another application that happens to use the same logical id."""
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    handler = finding("FG501", path="src/app.py", line=7, resource="ImageFn")
    other = finding("FG501", path="other/app.py", line=7, resource="ImageFn")
    apps = [app(("template.yaml", "src/app.py"), (meta("FG501", "ImageFn"),)), app(("other/t.yaml", "other/app.py"))]
    kept, _ = run(tmp_path, [handler, other], apps=apps)
    assert [(f.location.path, f.suppression is not None) for f in kept] == [("other/app.py", False),
                                                                           ("src/app.py", True)]


def test_metadata_governance(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    sups = (meta(reason=None), meta("FG401", "ApiFunction", until="2020-01-01"), meta("FG101", "Nothing"))
    kept, diagnostics = run(tmp_path, [finding("FG104", resource="SharedRole"),
                                       finding("FG401", resource="ApiFunction")], apps=[app(suppressions=sups)])
    assert [f.suppression for f in kept] == [None, None]
    messages = suppression_messages(diagnostics)
    assert len(messages) == 3
    assert "Metadata suppression for FG104 has no reason" in messages[0]
    assert "expired on 2020-01-01" in messages[1]
    assert "unused Metadata suppression for FG101" in messages[2]
    assert all(d.location is not None and d.location.line == 6 for d in diagnostics)


# --------------------------------------------------------------------------------------- central config

def test_central_ignores_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.faasguard]\nseverity = "low"\n\n'
        '[[tool.faasguard.ignore]]\nrule = "FG104"\nresource = "SharedRole"\nreason = "approved by SEC-3"\n\n'
        '[[tool.faasguard.ignore]]\nrule = "FG401"\nresource = "*"\nreason = "batch stack"\npath = "batch/*.yaml"\n\n'
        '[[tool.faasguard.ignore]]\nrule = "FG201"\nresource = "Gone"\nreason = "stale"\n')
    from faasguard.config import load_config

    config = load_config(pyproject)
    findings = [finding("FG104", resource="SharedRole"), finding("FG104", resource="Other", line=9),
                finding("FG401", path="batch/t.yaml", resource="Fn"), finding("FG401", resource="Fn", line=30)]
    kept, diagnostics = run(tmp_path, findings, config, apps=[app(("template.yaml", "batch/t.yaml"))])
    got = [(f.location.path, f.resource, f.suppression and f.suppression.kind) for f in kept]
    assert got == [("batch/t.yaml", "Fn", "external"), ("template.yaml", "SharedRole", "external"),
                   ("template.yaml", "Other", None), ("template.yaml", "Fn", None)]
    assert kept[1].suppression.location == Location("pyproject.toml", 4)  # type: ignore[union-attr]
    (unused,) = diagnostics
    assert "unused central ignore for FG201" in unused.message
    assert unused.location == Location("pyproject.toml", 15)


def test_central_ignore_expired(tmp_path: Path) -> None:
    config = Config(ignores=(CentralIgnore("FG104", "SharedRole", "until the migration", until="2026-01-01"),))
    kept, diagnostics = run(tmp_path, [finding("FG104")], config)
    assert kept[0].suppression is None
    assert "expired on 2026-01-01" in suppression_messages(diagnostics)[0]


def test_central_ignore_without_reason_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs a `reason`"):
        parse_config({"ignore": [{"rule": "FG104", "resource": "R"}]}, "pyproject.toml")


# -------------------------------------------------------------------------------------- unsuppressible

def test_unsuppressible_overrides_every_suppression(project: Path, tmp_path: Path) -> None:
    findings = [finding("FG104", line=4), finding("FG401", line=9, resource="ApiFunction")]
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, findings)
    config = Config(unsuppressible=("FG104", "excessive-timeout"), source="pyproject.toml",
                    ignores=(CentralIgnore("FG104", "SharedRole", "security team said so"),),
                    baseline=str(baseline))
    kept, diagnostics = run(project, findings, config, apps=[app(suppressions=(meta(),))])
    assert [f.suppression for f in kept] == [None, None]
    messages = suppression_messages(diagnostics)
    # comment FG104, comment FG401 (by name), Metadata FG104, central FG104; the baseline entries are simply void
    assert len(messages) == 4
    assert all("cannot be suppressed" in m and "pyproject.toml" in m for m in messages)
    assert exit_code(kept, diagnostics, Severity.LOW) is ExitCode.FINDINGS


def test_unsuppressible_by_prefix(project: Path) -> None:
    kept, _ = run(project, [finding("FG104", line=4)], Config(unsuppressible=("FG1",)))
    assert kept[0].suppression is None


# --------------------------------------------------------------------------------------------- baseline

def test_baseline_round_trip(tmp_path: Path) -> None:
    old = [finding("FG104", resource="SharedRole"), finding("FG201", resource="ApiFunction", line=12)]
    path = tmp_path / "faasguard-baseline.json"
    write_baseline(path, old)
    document = json.loads(path.read_text())
    assert document["version"] == 1
    assert document["tool"]["name"] == "faasguard"
    assert {e["rule_id"] for e in document["findings"]} == {"FG104", "FG201"}
    assert read_baseline(path) == {f.fingerprint: f.rule_id for f in old}

    # Lines moved (an unrelated edit above), one new finding: only the new one is reported.
    moved = [replace(f, location=replace(f.location, line=f.location.line + 5)) for f in old]
    new = finding("FG101", resource="AdminRole", line=40)
    kept, diagnostics = run(tmp_path, [*moved, new], Config(baseline=str(path)))
    assert [(f.rule_id, f.suppression and (f.suppression.kind, f.suppression.justification)) for f in kept] == [
        ("FG104", ("external", "baseline")), ("FG201", ("external", "baseline")), ("FG101", None)]
    assert diagnostics == []

    # Rewriting the baseline keeps what it already hid and adds nothing suppressed otherwise.
    write_baseline(path, kept)
    assert set(read_baseline(path)) == {f.fingerprint for f in kept}


def test_baseline_stale_entries_are_a_note_not_a_strict_failure(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_baseline(path, [finding("FG104")])
    kept, diagnostics = run(tmp_path, [], Config(baseline=str(path), strict=True))
    (note,) = diagnostics
    assert note.kind is DiagnosticKind.INFO
    assert "1 baseline entry no longer matches a finding" in note.message
    assert exit_code(kept, diagnostics, Severity.LOW, strict=True) is ExitCode.OK


def test_write_baseline_skips_findings_suppressed_otherwise(project: Path, tmp_path: Path) -> None:
    kept, _ = run(project, [finding("FG104", line=4), finding("FG201", line=12, resource="ApiFunction")])
    path = tmp_path / "b.json"
    write_baseline(path, kept)
    assert list(read_baseline(path).values()) == ["FG201"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "baseline file not found"),
    ("{not json", "is not valid JSON"),
    (b"\xff\xfe\x00garbage", "is not valid JSON"),
    ("[]", "is not a faasguard baseline"),
    ('{"version": 1}', "is not a faasguard baseline"),
    ('{"version": 2, "findings": []}', "upgrade faasguard"),
    ('{"version": "1", "findings": []}', "has version '1'"),
    ('{"version": 1, "findings": {}}', "must be a list"),
    ('{"version": 1, "findings": [{"rule_id": "FG104"}]}', r"findings\[0\] needs"),
    ('{"version": 1, "findings": ["abc"]}', r"findings\[0\] needs"),
])
def test_corrupt_baseline_is_a_usage_error(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        run(tmp_path, [finding()], Config(baseline=str(path)))


def test_precedence_inline_first_and_every_match_used(project: Path, tmp_path: Path) -> None:
    f = finding("FG104", line=4)
    path = tmp_path / "b.json"
    write_baseline(path, [f])
    config = Config(baseline=str(path), ignores=(CentralIgnore("FG104", "SharedRole", "central"),))
    kept, diagnostics = run(project, [f], config, apps=[app(suppressions=(meta(),))])
    assert kept[0].suppression.justification == "the two functions are one deployable unit"  # type: ignore[union-attr]
    assert [m for m in suppression_messages(diagnostics) if "FG104" in m] == []


# ------------------------------------------------------------------------------------------ reading files

def test_each_file_is_read_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faasguard.filtering as filtering
    from faasguard.safeio import open_regular

    opened: list[str] = []

    def counting_open(path: str) -> object:
        opened.append(str(path))
        return open_regular(path)

    monkeypatch.setattr(filtering, "open_regular", counting_open)
    findings = [finding("FG104", line=4), finding("FG401", line=9, resource="ApiFunction"),
                finding("FG201", line=12, resource="ApiFunction")]
    # The application lists the same file under its absolute spelling, and a file that does not exist.
    run(project, findings, apps=[app((str(project / "template.yaml"), "gone.yaml"))])
    assert sorted(Path(p).name for p in opened) == ["gone.yaml", "template.yaml"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "Fn:", "  # faasguard: ignore[FG104] -- why", "x: 1  # faasguard: ignore[FG201,FG104] until=2027-01-01 -- r",
    "", "# faasguard: ignore", "// faasguard: ignore[] --", "  # plain comment", "faasguard: ignore[FG1]",
    "# faasguard: ignore[FG104 -- unterminated", "\x00\udcff"]), max_size=12))
def test_comment_parser_never_raises_and_targets_real_lines(lines: list[str]) -> None:
    from faasguard.filtering import parse_comments

    diagnostics: list = []
    parsed = parse_comments("\n".join(lines), "t.yaml", diagnostics)
    for target, candidate in parsed:
        assert 0 <= target <= len(lines)
        assert candidate.location is not None
        assert 1 <= candidate.location.line <= len(lines)
        if target:
            assert target >= candidate.location.line
            assert not lines[target - 1].lstrip().startswith(("#", "//"))


def test_unused_suppression_of_a_rule_that_does_not_exist(tmp_path: Path) -> None:
    from faasguard.rules import all_rules

    assert all_rules()  # the catalog is loaded, as in every scan
    (tmp_path / "template.yaml").write_text("Fn:  # faasguard: ignore[FG999] -- from a newer faasguard\n")
    _, diagnostics = run(tmp_path, [])
    assert suppression_messages(diagnostics) == [
        "unused suppression comment for FG999: no such rule in this version of faasguard"]
