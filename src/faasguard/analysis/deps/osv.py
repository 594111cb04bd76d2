"""OSV records and matching (https://ossf.github.io/osv-schema/).

A version is affected by a record when an `affected[]` entry for its ecosystem and package lists it in `versions`
or places it inside one of its `ranges` (ECOSYSTEM or SEMVER; GIT ranges name commits and are skipped): walking
the range's events in version order, `introduced` opens an affected interval, `fixed` closes it before that
version and `last_affected` closes it after that version. Withdrawn records are skipped. Records that alias each
other (PYSEC-2023-74, GHSA-j8r2-6x86-q33q and CVE-2023-32681 are one problem) are merged into one `Advisory`.

PyPI versions compare under PEP 440 (`packaging`), so pre-releases sort before their release and a local version
`2.25.0+build1` is the release `2.25.0` for the `versions` list; npm versions compare as SemVer
(`semantic_version`); Debian and Ubuntu versions in dpkg order, Alpine versions in apk order
(`faasguard.analysis.images.versions`). OS ecosystems are matched per release (`Debian:12`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from faasguard._record import record
from faasguard.analysis.deps.facts import Advisory, Ecosystem
from faasguard.findings import Severity


class OsvFormatError(ValueError):
    """A record that is not OSV-shaped (missing id, wrong types)."""


@record
class Event:
    kind: str
    """"introduced", "fixed", "last_affected" or "limit"."""
    version: str


@record
class Range:
    type: str
    events: tuple[Event, ...]


@record
class Affected:
    ecosystem: str
    name: str
    key: str
    versions: tuple[str, ...]
    ranges: tuple[Range, ...]
    severity: str | None = None


@record
class OsvRecord:
    id: str
    aliases: tuple[str, ...]
    summary: str
    withdrawn: bool
    affected: tuple[Affected, ...]
    severity: Severity | None = None
    severity_source: str | None = None


def package_key(ecosystem: str, name: str) -> str:
    """The name as we match it: PEP 503 for PyPI, lower-cased for npm (the registry is case-insensitive for
    legacy names and lower-case for new ones)."""
    if ecosystem == Ecosystem.PYPI:
        return canonicalize_name(name)
    return name.strip().lower()


_RELEASED = ("Debian", "Alpine")


def base_ecosystem(ecosystem: str) -> str:
    """The ecosystem as we index it: the language ecosystems without qualifier (`PyPI`), the OS ones with their
    release, because a Debian 11 fix says nothing about Debian 12 (`Debian:12`, `Alpine:v3.19`,
    `Ubuntu:22.04` from OSV's `Ubuntu:22.04:LTS`; Ubuntu Pro/FIPS streams keep their longer names and so never
    match a plain release)."""
    family, _, rest = ecosystem.partition(":")
    if family in _RELEASED and rest:
        return ecosystem
    if family == "Ubuntu" and rest:
        return f"Ubuntu:{rest.removesuffix(':LTS')}"
    return family


# ------------------------------------------------------------------------------------------- parsing

def parse_record(data: Any) -> OsvRecord:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise OsvFormatError("not an OSV record (no string `id`)")
    aliases = data.get("aliases")
    aliases = [] if aliases is None else aliases
    if not isinstance(aliases, list):
        raise OsvFormatError(f"{data['id']}: `aliases` is not a list")
    if isinstance(data.get("upstream"), list):
        # distribution records (DEBIAN-CVE-*, UBUNTU-CVE-*, ALPINE-CVE-*) name the CVE they track as `upstream`
        aliases = aliases + [u for u in data["upstream"] if isinstance(u, str) and u.startswith("CVE-")]
    affected_raw = data.get("affected")
    affected_raw = [] if affected_raw is None else affected_raw
    if not isinstance(affected_raw, list):
        raise OsvFormatError(f"{data['id']}: `affected` is not a list")
    affected = []
    for entry in affected_raw:
        if not isinstance(entry, dict):
            raise OsvFormatError(f"{data['id']}: an `affected` entry is not an object")
        package = entry.get("package")
        if not isinstance(package, dict) or not isinstance(package.get("name"), str) \
                or not isinstance(package.get("ecosystem"), str):
            continue  # e.g. GIT-only entries without a package
        ecosystem = base_ecosystem(package["ecosystem"])
        versions = entry.get("versions") or []
        if not isinstance(versions, list):
            raise OsvFormatError(f"{data['id']}: `versions` is not a list")
        ranges = []
        for rng in entry.get("ranges") or []:
            if not isinstance(rng, dict) or not isinstance(rng.get("events"), list):
                raise OsvFormatError(f"{data['id']}: a range has no `events` list")
            events = []
            for event in rng["events"]:
                if not isinstance(event, dict) or len(event) != 1:
                    raise OsvFormatError(f"{data['id']}: a range event is not a one-key object")
                ((kind, version),) = event.items()
                events.append(Event(str(kind), str(version)))
            ranges.append(Range(str(rng.get("type", "")), tuple(events)))
        severity = None
        for source in (entry.get("ecosystem_specific"), entry.get("database_specific")):
            if isinstance(source, dict) and isinstance(source.get("severity"), str):
                severity = source["severity"]
                break
        affected.append(Affected(ecosystem, package["name"], package_key(ecosystem, package["name"]),
                                 tuple(str(v) for v in versions if isinstance(v, (str, int, float))),
                                 tuple(ranges), severity))
    summary = data.get("summary") or ""
    if not summary and isinstance(data.get("details"), str):
        summary = data["details"].strip().splitlines()[0][:200] if data["details"].strip() else ""
    severity, source = record_severity(data)
    return OsvRecord(data["id"], tuple(str(a) for a in aliases), str(summary), bool(data.get("withdrawn")),
                     tuple(affected), severity, source)


_WORDS = {"LOW": Severity.LOW, "MODERATE": Severity.MEDIUM, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH,
          "CRITICAL": Severity.CRITICAL, "IMPORTANT": Severity.HIGH}


def record_severity(data: Mapping[str, Any]) -> tuple[Severity | None, str | None]:
    """GitHub's qualitative `database_specific.severity` when present, else the highest CVSS base score."""
    db = data.get("database_specific")
    if isinstance(db, dict) and isinstance(db.get("severity"), str) and db["severity"].upper() in _WORDS:
        return _WORDS[db["severity"].upper()], f"{data.get('id', 'record')} severity {db['severity'].upper()}"
    best: tuple[float, str] | None = None
    for entry in data.get("severity") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("score"), str):
            continue
        score = cvss_score(str(entry.get("type", "")), entry["score"])
        if score is not None and (best is None or score > best[0]):
            best = (score, entry["score"].split("/", 1)[0])
    if best is None:
        return None, None
    return score_severity(best[0]), f"{best[1]} base score {best[0]:.1f}"


def score_severity(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0:
        return Severity.LOW
    return Severity.INFO


@lru_cache(maxsize=4096)
def cvss_score(kind: str, vector: str) -> float | None:
    """Base score of a CVSS v2/v3/v4 vector via the `cvss` library (imported only when a record needs it)."""
    try:
        import cvss  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
            return float(cvss.CVSS4(vector).base_score)
        if kind == "CVSS_V3" or vector.startswith("CVSS:3"):
            return float(cvss.CVSS3(vector).base_score)
        if kind == "CVSS_V2":
            return float(cvss.CVSS2(vector).base_score)
    except Exception:
        return None
    return None


# ------------------------------------------------------------------------------------------ versions

class _Zero:
    """OSV's `introduced: "0"`: before every version."""


def parse_version(ecosystem: str, version: str) -> Any:
    """A comparable version object, or None when the string is not a version of the ecosystem."""
    if ecosystem == Ecosystem.PYPI:
        try:
            return Version(version)
        except InvalidVersion:
            return None
    family = ecosystem.split(":", 1)[0]
    if family in ("Debian", "Ubuntu"):
        from faasguard.analysis.images.versions import parse_dpkg

        return parse_dpkg(version)
    if family == "Alpine":
        from faasguard.analysis.images.versions import parse_apk

        return parse_apk(version)
    import semantic_version

    try:
        return semantic_version.Version(version.removeprefix("v"))
    except ValueError:
        try:
            return semantic_version.Version.coerce(version.removeprefix("v"))
        except ValueError:
            return None


def _same_version(ecosystem: str, listed: str, installed: str, parsed: Any) -> bool:
    if listed == installed:
        return True
    other = parse_version(ecosystem, listed)
    if other is None or parsed is None:
        return False
    if ecosystem == Ecosystem.PYPI:
        return bool(other == parsed or (parsed.local and other == Version(parsed.public)))
    return bool(other == parsed)


def _in_range(ecosystem: str, rng: Range, parsed: Any) -> bool:
    events: list[tuple[int, Any, str]] = []
    for event in rng.events:
        if event.kind not in ("introduced", "fixed", "last_affected"):
            continue
        if event.kind == "introduced" and event.version == "0":
            events.append((0, None, event.kind))
            continue
        version = parse_version(ecosystem, event.version)
        if version is None:
            return False  # an event we cannot place: never guess that a version is inside
        events.append((1, version, event.kind))
    if not events:
        return False
    compare = Version(parsed.public) if ecosystem == Ecosystem.PYPI and parsed.local else parsed
    affected = False
    for rank, version, kind in sorted(events, key=lambda e: (e[0], e[1]) if e[0] else (0, 0)):
        if kind == "introduced" and (rank == 0 or compare >= version):
            affected = True
        elif (kind == "fixed" and compare >= version) or (kind == "last_affected" and compare > version):
            affected = False
    return affected


@record
class Match:
    record: OsvRecord
    fixed: str | None
    """Lowest fixed version above the installed one in the matching entry, if any."""
    last_affected: str | None


def match(record: OsvRecord, ecosystem: str, key: str, version: str) -> Match | None:
    """Whether `version` of package `key` is affected by `record`, with the fix to suggest."""
    if record.withdrawn:
        return None
    parsed = parse_version(ecosystem, version)
    for entry in record.affected:
        if entry.ecosystem != ecosystem or entry.key != key:
            continue
        hit = any(_same_version(ecosystem, v, version, parsed) for v in entry.versions)
        usable = [r for r in entry.ranges if r.type in ("ECOSYSTEM", "SEMVER")]
        if not hit and parsed is not None:
            hit = any(_in_range(ecosystem, r, parsed) for r in usable)
        if not hit:
            continue
        return Match(record, _lowest_fix(ecosystem, usable, parsed), _last_affected(ecosystem, usable))
    return None


def _lowest_fix(ecosystem: str, ranges: Sequence[Range], parsed: Any) -> str | None:
    candidates = []
    for rng in ranges:
        for event in rng.events:
            if event.kind == "fixed":
                version = parse_version(ecosystem, event.version)
                if version is not None and (parsed is None or version > parsed):
                    candidates.append((version, event.version))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def _last_affected(ecosystem: str, ranges: Sequence[Range]) -> str | None:
    values = [(parse_version(ecosystem, e.version), e.version) for r in ranges for e in r.events
              if e.kind == "last_affected"]
    known = [v for v in values if v[0] is not None]
    return max(known, key=lambda v: v[0])[1] if known else None


# ------------------------------------------------------------------------------------------- merging

_ID_ORDER = (re.compile(r"^CVE-"), re.compile(r"^GHSA-"), re.compile(r"^PYSEC-"))


def _id_rank(identifier: str) -> tuple[int, str]:
    for rank, pattern in enumerate(_ID_ORDER):
        if pattern.match(identifier):
            return rank, identifier
    return len(_ID_ORDER), identifier


def merge(matches: Iterable[Match], ecosystem: str) -> list[Advisory]:
    """One `Advisory` per vulnerability: records joined by shared ids or aliases."""
    matches = list(matches)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in matches:
        for alias in m.record.aliases:
            parent[find(alias)] = find(m.record.id)
    groups: dict[str, list[Match]] = {}
    for m in matches:
        groups.setdefault(find(m.record.id), []).append(m)
    advisories = []
    for members in groups.values():
        ids = {m.record.id for m in members} | {a for m in members for a in m.record.aliases}
        ordered = sorted(ids, key=_id_rank)
        primary = ordered[0]
        summary_from = sorted(members, key=lambda m: (not m.record.summary, _id_rank(m.record.id)[0] != 1))[0]
        severities = [(m.record.severity, m.record.severity_source) for m in members if m.record.severity]
        severity, source = max(severities, key=lambda s: s[0].rank if s[0] else -1) if severities else (None, None)
        fixes = [(parse_version(ecosystem, m.fixed), m.fixed) for m in members if m.fixed]
        fixes = [f for f in fixes if f[0] is not None]
        fixed = (max(fixes, key=lambda f: f[0])[1],) if fixes else ()
        last = next((m.last_affected for m in members if m.last_affected), None) if not fixed else None
        record_id = sorted((m.record.id for m in members), key=_id_rank)[0]
        advisories.append(Advisory(primary, tuple(i for i in ordered if i != primary), summary_from.record.summary,
                                   severity, source, fixed, last, f"https://osv.dev/vulnerability/{record_id}"))
    advisories.sort(key=lambda a: (-(a.severity.rank if a.severity else -1), a.id))
    return advisories


class AdvisoryStore(Protocol):
    """Where records come from: `lookup` returns every record with an entry for the package."""

    def lookup(self, ecosystem: str, key: str) -> list[OsvRecord]: ...


class MemoryStore:
    """Records held in memory, indexed by (ecosystem, package key)."""

    def __init__(self, records: Iterable[OsvRecord] = ()) -> None:
        self._index: dict[tuple[str, str], dict[str, OsvRecord]] = {}
        self.count = 0
        for entry in records:
            self.add(entry)

    def add(self, record: OsvRecord) -> None:
        self.count += 1
        for entry in record.affected:
            self._index.setdefault((entry.ecosystem, entry.key), {})[record.id] = record

    def lookup(self, ecosystem: str, key: str) -> list[OsvRecord]:
        return list(self._index.get((ecosystem, key), {}).values())
