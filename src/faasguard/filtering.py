"""The filter stage (DESIGN.md "Suppression"): severity threshold, suppressions and the baseline, in one place.

Rules have already been narrowed by `--select/--ignore` (pipeline.selected_rules); this stage decides, for every
raw finding, whether it is reported, suppressed (kept, with `Finding.suppression` set, so SARIF dashboards still
see it) or dropped (below `--severity`). Reporters render what comes out and decide nothing.

Suppressions come from four places, tried in this order (the first valid one is recorded on the finding; every
matching one counts as used):

1. comments `faasguard: ignore[FG104,FG201] -- reason` (optional `until=YYYY-MM-DD`) in YAML, HCL (`#`, `//`),
   Python and JavaScript/TypeScript (`//`, one-line `/* ... */`), on the finding's line, or on comment-only lines
   directly above it ("inSource");
2. CloudFormation `Metadata: {faasguard: {ignore: [...]}}`, which loaders hand over as
   `Application.suppressions` ("inSource");
3. the central `[[tool.faasguard.ignore]]` list that a security team owns in the config ("external");
4. the baseline file (`--baseline`), matched by fingerprint ("external", justification "baseline").

Governance, because a scanner whose findings can be silenced without a trace is not a control: a suppression
without a reason, with an expired or malformed `until`, or aimed at a rule the config marks `unsuppressible` is
not honoured; each of those, and every suppression that matches no finding of a rule that ran, becomes a
located `DiagnosticKind.SUPPRESSION` diagnostic (which fails the run under `--strict`, see findings.exit_code).
`unsuppressible` is absolute: it also overrides the central list and the baseline.

Comments are found with a regular expression per line rather than with each language's tokenizer: the marker is
distinctive, a tokenizer per language would cost start-up time in the pre-commit budget, and the only miss (the
marker inside a string literal) can at worst suppress a finding on that very line.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from faasguard import __version__
from faasguard._record import record
from faasguard.config import Config, ConfigError
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, Finding, Suppression
from faasguard.model import Application, Location
from faasguard.safeio import open_regular, read_regular

BASELINE_VERSION = 1

_MARKER = b"faasguard:"
_COMMENT = re.compile(r"(?P<open>#|//|/\*+)\s*faasguard:\s*ignore\s*\[(?P<ids>[^\]]*)\](?P<rest>.*)$",
                      re.IGNORECASE)
_BARE_COMMENT = re.compile(r"(?:#|//|/\*)\s*faasguard:\s*ignore\b(?!\s*\[)", re.IGNORECASE)
_UNTIL = re.compile(r"\buntil\s*=\s*(?P<date>\S+)", re.IGNORECASE)
_RULE_ID = re.compile(r"^FG\d{3}$", re.IGNORECASE)
_RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(eq=False)
class _Candidate:
    """One suppression from any origin, before and while it is matched against findings."""

    origin: str
    """"comment", "metadata", "config" or "baseline" (for messages)."""
    kind: str
    """SARIF suppression kind: "inSource" or "external"."""
    rule: str
    """Normalized rule id (FG104) or rule name (shared-execution-role)."""
    reason: str | None
    until: str | None
    location: Location | None
    used: bool = False

    def covers_rule(self, finding: Finding) -> bool:
        return self.rule in (finding.rule_id, finding.rule_name)

    def suppression(self) -> Suppression:
        return Suppression(self.kind, self.reason or "", self.location, self.until)

    def describe(self) -> str:
        return {"comment": "suppression comment", "metadata": "Metadata suppression",
                "config": "central ignore", "baseline": "baseline entry"}[self.origin]


@record(frozen=False, slots=False)
class _Comments:
    """Suppression comments of one file, indexed by the line each applies to."""

    by_line: dict[int, list[_Candidate]] = field(default_factory=lambda: defaultdict(list))
    all: list[_Candidate] = field(default_factory=list)


@record(frozen=False, slots=False)
class _Sources:
    """Every valid suppression of a run, by origin, ready to be matched against findings.

    Each origin is collected by its own function below (`_comment_source`, `_metadata_source`,
    `_central_source`, `_baseline_source`); `matching` is the one place that says which of them cover a finding.
    """

    cwd: Path
    config_dir: Path | None
    comments: dict[str, _Comments] = field(default_factory=dict)
    metadata: list[tuple[set[str], str, _Candidate]] = field(default_factory=list)
    """(files of the application, resource, candidate): Metadata applies within its own application."""
    central: list[tuple[str, str | None, _Candidate]] = field(default_factory=list)
    """(resource glob, path glob or None, candidate)."""
    baseline: dict[str, _Candidate] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    """`_abs_key` per finding path: thousands of findings name a few files."""

    def matching(self, finding: Finding) -> list[_Candidate]:
        key = self.keys.get(finding.location.path)
        if key is None:
            key = self.keys[finding.location.path] = _abs_key(finding.location.path, self.cwd)
        matched: list[_Candidate] = []
        file_comments = self.comments.get(key)
        if file_comments:
            matched += [c for c in file_comments.by_line.get(finding.location.line, ()) if c.covers_rule(finding)]
        resources = {finding.resource, finding.location.logical_id} - {None}
        matched += [c for files, resource, c in self.metadata
                    if resource in resources and key in files and c.covers_rule(finding)]
        matched += [c for resource, glob, c in self.central
                    if c.covers_rule(finding) and any(fnmatch.fnmatchcase(r, resource) for r in resources if r)
                    and (glob is None or _path_matches(glob, finding.location.path, key, self.config_dir))]
        entry = self.baseline.get(finding.fingerprint or finding.compute_fingerprint())
        if entry is not None and entry.rule in ("", finding.rule_id):
            matched.append(entry)
        return matched

    def reasoned(self) -> list[_Candidate]:
        """Suppressions that carry their own reason (all but the baseline): each must be used or reported."""
        return ([c for f in self.comments.values() for c in f.all] + [c for _, _, c in self.metadata]
                + [c for _, _, c in self.central])


class FileFacts(Protocol):
    """What a file was found to hold the last time its content was the same (`UnitCache.fact`/`learn`)."""

    def fact(self, kind: str, path: str) -> tuple[Any, tuple[int, ...] | None]: ...

    def learn(self, kind: str, path: str, before: tuple[int, ...] | None, value: Any,
              content: bytes | None = None) -> None: ...


def apply_filters(findings: Sequence[Finding], apps: Sequence[Application], config: Config, *,
                  today: date | None = None, cwd: Path | None = None, facts: FileFacts | None = None
                  ) -> tuple[list[Finding], list[Diagnostic]]:
    """Suppress, threshold and sort `findings`; return them with the diagnostics about suppressions.

    `today` is injectable so expiry is testable; `cwd` is what relative finding paths are relative to.
    `facts`: the unit cache's memo of files known to hold no suppression marker, which are then not read.
    Raises ConfigError for an unreadable or corrupt baseline (a usage error, exit 2).
    """
    today = today or date.today()
    cwd = cwd or Path.cwd()
    diagnostics: list[Diagnostic] = []

    def valid(candidate: _Candidate) -> bool:
        problem = _problem(candidate, config, today)
        if problem:
            diagnostics.append(Diagnostic(DiagnosticKind.SUPPRESSION, problem, candidate.location,
                                          DiagnosticLevel.WARNING, "filter"))
            return False
        return True

    sources = _Sources(cwd, Path(config.source).resolve().parent if config.source else None)
    sources.comments = _comment_source(findings, apps, config, cwd, valid=valid, diagnostics=diagnostics,
                                       facts=facts)
    sources.metadata = _metadata_source(apps, cwd, valid)
    sources.central = _central_source(config, cwd, valid)
    sources.baseline = _baseline_source(config, cwd)

    result: list[Finding] = []
    blocked: set[_Candidate] = set()
    for raw in findings:
        finding = decide(raw, sources.matching(raw), config, blocked, diagnostics)
        if finding is not None:
            result.append(finding)
    diagnostics += _unused(sources, config, cwd)
    result.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id, f.resource))
    return result, diagnostics


def decide(finding: Finding, matched: list[_Candidate], config: Config, blocked: set[_Candidate],
           diagnostics: list[Diagnostic]) -> Finding | None:
    """The one decision: the finding as reported (suppressed or not), or None when below `--severity`.

    Every matching suppression counts as used; the first is recorded. An unsuppressible rule is checked here
    too, not only when validating, because the config may name the rule by id and the suppression by name
    (or the other way round); each blocked suppression is reported once (`blocked` remembers them).
    """
    for candidate in matched:
        candidate.used = True
    if matched and (_matches(finding.rule_id, config.unsuppressible)
                    or _matches(finding.rule_name, config.unsuppressible)):
        for candidate in matched:
            if candidate.origin != "baseline" and candidate not in blocked:
                blocked.add(candidate)
                diagnostics.append(Diagnostic(DiagnosticKind.SUPPRESSION, _unsuppressible_message(
                    candidate, config), candidate.location, DiagnosticLevel.WARNING, "filter"))
        matched = []
    if matched and finding.suppression is None:
        finding = replace(finding, suppression=matched[0].suppression())
    return finding if finding.severity.rank >= config.severity.rank else None


def _comment_source(findings: Sequence[Finding], apps: Sequence[Application], config: Config, cwd: Path, *,
                    valid: Callable[[_Candidate], bool], diagnostics: list[Diagnostic],
                    facts: FileFacts | None = None) -> dict[str, _Comments]:
    """Comments: files holding findings are read (once, on demand); other files of the applications are only
    checked for the marker bytes so that an unused comment anywhere is still reported."""
    reader = _CommentReader(config.max_file_bytes, cwd, facts)
    for path in dict.fromkeys([f.location.path for f in findings] + [p for app in apps for p in app.files]):
        reader.get(path)
    comments: dict[str, _Comments] = {}
    for key, parsed in reader.files.items():
        kept = _Comments()
        for line, candidate in parsed:
            if valid(candidate):
                kept.by_line[line].append(candidate)
                kept.all.append(candidate)
        comments[key] = kept
    diagnostics.extend(reader.diagnostics)
    return comments


def _metadata_source(apps: Sequence[Application], cwd: Path,
                     valid: Callable[[_Candidate], bool]) -> list[tuple[set[str], str, _Candidate]]:
    """CloudFormation Metadata suppressions apply to findings in their own application's files."""
    metadata: list[tuple[set[str], str, _Candidate]] = []
    for app in apps:
        files = {_abs_key(p, cwd) for p in (*app.files, *(s.location.path for s in app.suppressions))}
        for sup in app.suppressions:
            for rule in _split_rules(sup.rule_id):
                candidate = _Candidate("metadata", "inSource", rule, _clean(sup.reason), sup.until, sup.location)
                if valid(candidate):
                    metadata.append((files, sup.resource, candidate))
    return metadata


def _central_source(config: Config, cwd: Path,
                    valid: Callable[[_Candidate], bool]) -> list[tuple[str, str | None, _Candidate]]:
    central: list[tuple[str, str | None, _Candidate]] = []
    header_lines = _central_header_lines(config)
    for position, item in enumerate(config.ignores):
        location = None
        if config.source:
            line = header_lines[position] if position < len(header_lines) else 1
            location = Location(_display(config.source, cwd), line)
        for rule in _split_rules(item.rule):
            candidate = _Candidate("config", "external", rule, _clean(item.reason), item.until, location)
            if valid(candidate):
                central.append((item.resource, item.path, candidate))
    return central


def _baseline_source(config: Config, cwd: Path) -> dict[str, _Candidate]:
    """Baseline entries by fingerprint; an unsuppressible rule's entries are dropped (the finding shows: a
    baseline is not a place to argue about it)."""
    baseline: dict[str, _Candidate] = {}
    if config.baseline:
        baseline_location = Location(_display(config.baseline, cwd))
        for fingerprint, rule in read_baseline(Path(config.baseline)).items():
            if rule and _matches(rule, config.unsuppressible):
                continue
            baseline[fingerprint] = _Candidate("baseline", "external", rule, "baseline", None, baseline_location)
    return baseline


def _unused(sources: _Sources, config: Config, cwd: Path) -> list[Diagnostic]:
    """Unused suppressions, only for rules that ran (a `--select FG1` run must not call a FG401 comment unused),
    and one note for stale baseline entries."""
    diagnostics = []
    for candidate in sources.reasoned():
        if not candidate.used and _rule_ran(candidate.rule, config):
            why = "no such rule in this version of faasguard" if _unknown_rule(candidate.rule) \
                else "it matches no finding"
            diagnostics.append(Diagnostic(
                DiagnosticKind.SUPPRESSION, f"unused {candidate.describe()} for {candidate.rule}: {why}",
                candidate.location, DiagnosticLevel.WARNING, "filter"))
    stale = sum(1 for c in sources.baseline.values() if not c.used and _rule_ran(c.rule, config))
    if stale:
        diagnostics.append(Diagnostic(
            DiagnosticKind.INFO,
            f"{stale} baseline {'entry no longer matches' if stale == 1 else 'entries no longer match'} a finding "
            "(fixed or changed); "
            "refresh the baseline with --write-baseline", Location(_display(config.baseline or "", cwd)),
            DiagnosticLevel.NOTE, "filter"))
    return diagnostics


# ------------------------------------------------------------------------------------------- validation

def check_rule_selectors(patterns: Iterable[str], where: str) -> None:
    """Raise ConfigError (exit 2) for a rule id, prefix or name in `patterns` that selects no rule.

    `--select FG9` or `unsuppressible = ["FG10l"]` that matches nothing would otherwise run every rule, or
    protect none, without a word: the gate passes by mistake. A prefix is valid when at least one rule id starts
    with it (`FG`, `FG1`, `FG104`); names match exactly (`shared-execution-role`), both case-insensitively.
    `where` names the option or file for the message.
    """
    from faasguard.config import nearest
    from faasguard.rules import all_rules

    rules = all_rules()
    for pattern in patterns:
        token = pattern.strip()
        if any(r.id.startswith(token.upper()) or r.name == token.lower() for r in rules) and token:
            continue
        valid = [r.id for r in rules] + [r.name for r in rules]
        probe = token.upper() if token.upper().startswith("FG") else token.lower()
        if probe.startswith("FG"):
            # difflib ranks FG10l closer to FG510 than to FG101; read the usual look-alikes as digits first
            probe = "FG" + probe[2:].translate(str.maketrans("LIO", "110"))
        hint = f"; did you mean `{probe}`?" if probe in valid else nearest(probe, valid, what="rules")
        raise ConfigError(f"{where}: unknown rule id, prefix or name `{token}`{hint}")


def _problem(candidate: _Candidate, config: Config, today: date) -> str | None:
    """Why a suppression is not honoured, or None when it is valid."""
    what = f"{candidate.describe()} for {candidate.rule}"
    if not (_RULE_ID.match(candidate.rule) or _RULE_NAME.match(candidate.rule)):
        return f"{candidate.describe()} names {candidate.rule!r}, which is not a rule id (FG + three digits)"
    if _matches(candidate.rule, config.unsuppressible):
        return _unsuppressible_message(candidate, config)
    if not candidate.reason:
        hint = f" (write `faasguard: ignore[{candidate.rule}] -- why`)" if candidate.origin == "comment" else ""
        return f"{what} has no reason{hint}; not honoured"
    if candidate.until:
        try:
            expiry = date.fromisoformat(candidate.until)
        except ValueError:
            return f"{what} has an invalid until date {candidate.until!r} (expected YYYY-MM-DD); not honoured"
        if expiry < today:
            return f"{what} expired on {expiry.isoformat()}; not honoured"
    return None


def _unsuppressible_message(candidate: _Candidate, config: Config) -> str:
    return (f"{candidate.rule} cannot be suppressed (marked unsuppressible in "
            f"{config.source or 'the configuration'}); {candidate.describe()} not honoured")


def _matches(rule: str, patterns: Iterable[str]) -> bool:
    """Same matching as --select/--ignore: an id prefix (FG1, FG104) or a rule name."""
    return any(rule.startswith(p.upper()) or rule == p.lower() for p in patterns)


def _rule_ran(rule: str, config: Config) -> bool:
    if not rule:
        return True
    rule_id = rule
    if not _RULE_ID.match(rule):
        from faasguard.rules.base import registered

        rule_id = next((r.id for r in registered().values() if r.name == rule), rule)
    selected = not config.select or _matches(rule_id, config.select) or _matches(rule, config.select)
    return selected and not (_matches(rule_id, config.ignore) or _matches(rule, config.ignore))


def _unknown_rule(rule: str) -> bool:
    """True when the rule catalog is loaded (as in every scan) and has no such id or name."""
    from faasguard.rules.base import registered

    known = registered()
    return bool(known) and not any(rule in (r.id, r.name) for r in known.values())


def _split_rules(text: str) -> list[str]:
    return [_normalize_rule(t) for t in re.split(r"[,\s]+", text) if t]


def _normalize_rule(token: str) -> str:
    return token.upper() if _RULE_ID.match(token) else token.lower()


def _clean(reason: str | None) -> str | None:
    reason = (reason or "").strip()
    return reason or None


# ------------------------------------------------------------------------------------------------ paths

def _abs_key(path: str, cwd: Path) -> str:
    """One spelling per file: finding paths are relative to cwd when under it, application files may not be."""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))


def _display(path: str, cwd: Path) -> str:
    absolute = Path(_abs_key(path, cwd))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


def _path_matches(glob: str, display: str, absolute: str, config_dir: Path | None) -> bool:
    candidates = [display]
    if config_dir is not None and Path(absolute).is_relative_to(config_dir):
        candidates.append(Path(absolute).relative_to(config_dir).as_posix())
    return any(fnmatch.fnmatchcase(c, glob) or fnmatch.fnmatchcase(c, f"*/{glob}") for c in candidates)


def _central_header_lines(config: Config) -> list[int]:
    """Lines of the `[[tool.faasguard.ignore]]` (or `[[ignore]]`) headers in the config file, so a diagnostic
    about the n-th central ignore points at it. Best effort: an inline-array spelling gets line 1."""
    if not config.source or not config.ignores:
        return []
    try:
        text = read_regular(config.source).decode("utf-8", errors="replace")
    except OSError:
        return []
    header = re.compile(r"^\s*\[\[\s*(?:tool\.faasguard\.)?ignores?\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]


# --------------------------------------------------------------------------------------------- comments

class _CommentReader:
    """Reads each file at most once and extracts its suppression comments."""

    def __init__(self, max_bytes: int, cwd: Path, facts: FileFacts | None = None) -> None:
        self.max_bytes = max_bytes
        self.cwd = cwd
        self.facts = facts
        """Files known to hold no marker (kind "unmarked"): ~1,200 files re-read on every run of the corpus,
        a few of them with comments."""
        self.files: dict[str, list[tuple[int, _Candidate]]] = {}
        self.diagnostics: list[Diagnostic] = []

    def get(self, path: str) -> None:
        key = _abs_key(path, self.cwd)
        if key in self.files:
            return
        self.files[key] = []
        before = None
        if self.facts is not None:
            unmarked, before = self.facts.fact("unmarked", key)
            if unmarked is True:
                return
        try:
            with open_regular(key) as handle:
                data = handle.read(self.max_bytes + 1)
        except OSError:
            member = _archive_member(key, self.max_bytes)
            if member is None:
                return  # a loader already reported an unreadable source; nothing to suppress in it
            data = member  # a handler inside a zip package: its comments suppress as on disk
        if len(data) > self.max_bytes:
            return
        if _MARKER not in data.lower():
            if self.facts is not None:  # the whole file was read: no marker, whatever `max_file_bytes` becomes
                self.facts.learn("unmarked", key, before, True, data)
            return
        self.files[key] = parse_comments(data.decode("utf-8", errors="replace"), _display(path, self.cwd),
                                         self.diagnostics)


def _archive_member(path: str, max_bytes: int) -> bytes | None:
    if "!/" not in path:
        return None
    from faasguard.analysis.archive import read_member

    return read_member(path, max_bytes)


def parse_comments(text: str, path: str, diagnostics: list[Diagnostic]) -> list[tuple[int, _Candidate]]:
    """(line a comment applies to, candidate) for every suppression comment in `text`.

    A trailing comment applies to its own line only (so it cannot leak onto the next property); a comment on a
    line of its own applies to the next line that is not itself a comment, so several can be stacked.
    """
    lines = text.splitlines()
    result: list[tuple[int, _Candidate]] = []
    pending: list[_Candidate] = []
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        comment_only = stripped.startswith(("#", "//")) or (stripped.startswith("/*") and stripped.endswith("*/"))
        if not comment_only:
            # Blank lines break the chain: a comment applies to the line right below it (through comments).
            result += [(number, c) for c in pending] if stripped else [(0, c) for c in pending]
            pending = []
        if "faasguard" not in line.lower():
            continue
        match = _COMMENT.search(line)
        if match is None:
            bare = _BARE_COMMENT.search(line)
            if bare:
                diagnostics.append(Diagnostic(
                    DiagnosticKind.SUPPRESSION,
                    "suppression comment names no rule; write `faasguard: ignore[FG104] -- why`; not honoured",
                    Location(path, number, bare.start() + 1), DiagnosticLevel.WARNING, "filter"))
            continue
        rest = match.group("rest")
        if match.group("open").startswith("/*"):
            rest = rest.split("*/", 1)[0]  # JavaScript/TypeScript `/* ... */`: the reason ends with the comment
        until_match = _UNTIL.search(rest)
        until = until_match.group("date") if until_match else None
        if until_match:
            rest = rest[:until_match.start()] + rest[until_match.end():]
        reason = _clean(rest.split("--", 1)[1]) if "--" in rest else None
        location = Location(path, number, match.start() + 1)
        rules = _split_rules(match.group("ids"))
        if not rules:
            diagnostics.append(Diagnostic(DiagnosticKind.SUPPRESSION,
                                          "suppression comment `ignore[]` names no rule; not honoured",
                                          location, DiagnosticLevel.WARNING, "filter"))
        for rule in rules:
            candidate = _Candidate("comment", "inSource", rule, reason, until, location)
            if comment_only:
                pending.append(candidate)
            else:
                result.append((number, candidate))
    return result + [(0, c) for c in pending]


# --------------------------------------------------------------------------------------------- baseline

def write_baseline(path: Path, findings: Sequence[Finding]) -> int:
    """Record the reported findings' fingerprints so later scans show only new ones.

    Findings the current baseline already hides are kept (rewriting a baseline must not resurrect old debt);
    findings suppressed by a comment or the config are not recorded (they have their own, reasoned, record).
    No timestamp: the file is meant to be committed and diffed. Returns the number of entries written.
    """
    entries = {}
    for f in findings:
        if f.suppression is not None and f.suppression.justification != "baseline":
            continue
        fingerprint = f.fingerprint or f.compute_fingerprint()
        entries[fingerprint] = {"fingerprint": fingerprint, "rule_id": f.rule_id, "resource": f.resource,
                                "path": f.location.path, "message": f.message}
    document = {"version": BASELINE_VERSION, "tool": {"name": "faasguard", "version": __version__},
                "findings": sorted(entries.values(), key=lambda e: (e["path"], e["rule_id"], e["resource"],
                                                                    e["fingerprint"]))}
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def read_baseline(path: Path) -> dict[str, str]:
    """Fingerprint → rule id ("" when the entry does not say) of a baseline file.

    Any problem is a ConfigError (exit 2) naming the file: a silently ignored baseline would flood a CI gate,
    a silently half-read one would hide nothing it should.
    """
    try:
        raw = read_regular(path)
    except FileNotFoundError:
        raise ConfigError(f"baseline file not found: {path} (create it with --write-baseline)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"baseline {path} is not valid JSON ({exc}); rewrite it with --write-baseline") \
            from None
    if not isinstance(document, dict) or "findings" not in document:
        raise ConfigError(f"baseline {path} is not a faasguard baseline (no \"findings\" list)")
    version = document.get("version")
    if version != BASELINE_VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > BASELINE_VERSION
        raise ConfigError(f"baseline {path} has version {version!r}; this faasguard reads version "
                          f"{BASELINE_VERSION}" + ("; upgrade faasguard" if newer else ""))
    entries = document["findings"]
    if not isinstance(entries, list):
        raise ConfigError(f"baseline {path}: \"findings\" must be a list")
    result: dict[str, str] = {}
    for index, entry in enumerate(entries):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        rule = entry.get("rule_id", "") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint or not isinstance(rule, str):
            raise ConfigError(f"baseline {path}: findings[{index}] needs a string \"fingerprint\" and \"rule_id\"")
        result[fingerprint] = _normalize_rule(rule) if rule else ""
    return result
