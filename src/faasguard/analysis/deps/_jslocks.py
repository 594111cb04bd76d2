"""The other JavaScript lockfiles: `yarn.lock` (classic v1 and berry v2+) and `pnpm-lock.yaml` (v5 to v9).

yarn's classic format is not YAML (`"a@^1", a@~1.2:` headers, unquoted two-space blocks) and no maintained
Python library reads it, so both yarn formats are read here by lines: an entry is a non-indented header of one
or more comma-separated selectors (`name@range`), followed by indented `version`, `dependencies` and
`optionalDependencies` fields; berry writes the same shape as YAML (`version: 1.2.3`, `"name@npm:^1.0.0":`).
pnpm's lockfile is YAML and is read with PyYAML's C loader.

Neither yarn format marks development-only packages, and pnpm 9 stopped doing so: an entry is a production
dependency when it is reachable from the production dependencies of `package.json` (or, for pnpm, of the
lockfile's importers) through the lockfile's own dependency edges, and development-only otherwise, so that a
vulnerable test tool is not reported as deployed. Without a `package.json` every entry counts as deployed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any

from faasguard._record import record
from faasguard.analysis.deps._npm import COMPONENT, Locate, exact_npm_version, npm_key
from faasguard.analysis.deps.facts import Dependency, Ecosystem, ManifestKind
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location

MAX_ENTRIES = 100_000


@record(frozen=False, slots=False)
class _Entry:
    selectors: list[str]
    line: int
    version: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)
    local: bool = False
    """A workspace or linked package (berry `linkType: soft`, version `0.0.0-use.local`): not from a registry."""


def split_selector(selector: str) -> tuple[str, str]:
    """`@scope/name@^1.0.0` → (`@scope/name`, `^1.0.0`); berry's `name@npm:^1` keeps `npm:^1`."""
    selector = selector.strip().strip('"')
    at = selector.find("@", 1)
    return (selector, "") if at < 0 else (selector[:at], selector[at + 1:])


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    return text


def parse_yarn_lock(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic],
                    package_json: str | None = None) -> list[Dependency]:
    entries = _yarn_entries(text)
    if entries is None:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: not a yarn lockfile", locate(1),
                                      DiagnosticLevel.WARNING, COMPONENT))
        return []
    by_selector: dict[str, _Entry] = {}
    for entry in entries:
        for selector in entry.selectors:
            by_selector[selector] = entry
    roots = _production_roots(package_json)
    reachable = None if roots is None else _reach(
        (by_selector.get(f"{name}@{spec}") or by_selector.get(f"{name}@npm:{spec}") for name, spec in roots),
        lambda e: (by_selector.get(f"{n}@{s}") or by_selector.get(f"{n}@npm:{s}")
                   for n, s in e.dependencies.items()))
    direct_names = {name for name, _ in roots} if roots is not None else set()
    out = []
    for entry in entries:
        if entry.local or entry.version is None:
            continue
        name = split_selector(entry.selectors[0])[0]
        out.append(_dep(name, entry.version, ManifestKind.YARN_LOCK, display, locate(entry.line),
                        direct=name in direct_names, dev=reachable is not None and id(entry) not in reachable))
    return out


def _yarn_entries(text: str) -> list[_Entry] | None:
    entries: list[_Entry] = []
    current: _Entry | None = None
    section: str | None = None
    seen_header = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            section = None
            if line.startswith("__metadata"):
                current = None
                continue
            if not line.endswith(":"):
                return None if not seen_header else entries
            seen_header = True
            selectors = [_unquote(s) for s in _split_header(line[:-1])]
            current = _Entry(selectors, number)
            entries.append(current)
            if len(entries) > MAX_ENTRIES:
                break
            continue
        if current is None:
            continue
        depth = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(" ")
        if key.endswith(":"):
            key, value = key[:-1], line.strip()[len(key):].strip()
        key, value = _unquote(key), _unquote(value)
        if depth <= 2:
            section = key if key in ("dependencies", "optionalDependencies") and not value else None
            if key == "version":
                current.version = value
                current.local = current.local or value.startswith("0.0.0-use.local")
            elif key == "linkType" and value == "soft":
                current.local = True
        elif section is not None:
            current.dependencies[key] = value
    return entries


def _split_header(header: str) -> list[str]:
    parts, buf, quoted = [], "", False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(buf.strip())
            buf = ""
        else:
            buf += char
    return [p for p in [*parts, buf.strip()] if p]


def parse_pnpm_lock(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> list[Dependency]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 -- a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: invalid YAML: {exc}", locate(1),
                                      DiagnosticLevel.WARNING, COMPONENT))
        return []
    if not isinstance(data, dict) or not isinstance(data.get("packages", {}), dict):
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: not a pnpm lockfile", locate(1),
                                      DiagnosticLevel.WARNING, COMPONENT))
        return []
    packages: Mapping[str, Any] = data.get("packages") or {}
    snapshots: Mapping[str, Any] = data.get("snapshots") or packages
    lines = _key_lines(text)
    importers = data.get("importers") or {".": data}
    roots: list[str] = []
    direct: set[str] = set()
    for importer in importers.values() if isinstance(importers, dict) else ():
        if not isinstance(importer, dict):
            continue
        for section in ("dependencies", "optionalDependencies"):
            for name, spec in (importer.get(section) or {}).items():
                version = spec.get("version") if isinstance(spec, dict) else spec
                direct.add(str(name))
                roots.append(_pnpm_key(str(name), str(version)))
    has_dev_flags = any(isinstance(e, dict) and "dev" in e for e in packages.values())

    def edges(key: str) -> Iterable[str]:
        entry = snapshots.get(key) or packages.get(key) or snapshots.get("/" + key) or packages.get("/" + key)
        if not isinstance(entry, dict):
            return ()
        deps = {**(entry.get("dependencies") or {}), **(entry.get("optionalDependencies") or {})}
        return [_pnpm_key(str(n), str(v)) for n, v in deps.items()]

    reachable = _reach_keys(roots, edges)
    out = []
    for key, entry in packages.items():
        name, version = _pnpm_name_version(str(key), entry if isinstance(entry, dict) else {})
        if name is None or version is None:
            continue
        if has_dev_flags:
            dev = bool(isinstance(entry, dict) and entry.get("dev") is True)
        else:
            dev = bool(importers) and _norm(str(key)) not in reachable
        out.append(_dep(name, version, ManifestKind.PNPM_LOCK, display, locate(lines.get(str(key), 1)),
                        direct=name in direct, dev=dev))
    return out


def _norm(key: str) -> str:
    """One spelling of a pnpm package key: no leading slash, peer suffix dropped, `name@version`."""
    key = key.lstrip("/").split("(", 1)[0]
    if "@" not in key.lstrip("@"):  # v5: /name/1.2.3
        name, _, version = key.rpartition("/")
        return f"{name}@{version}"
    return key


def _pnpm_key(name: str, version: str) -> str:
    version = version.split("(", 1)[0]
    if version.startswith(("/", "link:", "file:")):
        return _norm(version)
    return f"{name}@{version}"


def _pnpm_name_version(key: str, entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    norm = _norm(key)
    name, version = split_selector(norm)
    if isinstance(entry.get("name"), str):
        name = entry["name"]
    if isinstance(entry.get("version"), str):
        version = entry["version"]
    exact = exact_npm_version(version) if version else None
    return (name or None), exact


def _key_lines(text: str) -> dict[str, int]:
    """Line of each top-level key of the `packages:` section (pnpm writes them at two spaces, maybe quoted)."""
    lines: dict[str, int] = {}
    in_packages = False
    for number, raw in enumerate(text.splitlines(), 1):
        if raw and not raw[0].isspace():
            in_packages = raw.startswith("packages:")
            continue
        if in_packages and raw.startswith("  ") and not raw.startswith("   ") and raw.rstrip().endswith(":"):
            lines[_unquote(raw.strip()[:-1]).strip("'")] = number
    return lines


def _production_roots(package_json: str | None) -> list[tuple[str, str]] | None:
    if package_json is None:
        return None
    try:
        data = json.loads(package_json)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    roots = []
    for section in ("dependencies", "optionalDependencies"):
        entries = data.get(section)
        if isinstance(entries, dict):
            roots += [(str(n), str(s)) for n, s in entries.items()]
    return roots


def _reach(start: Iterable[_Entry | None], edges: Any) -> set[int]:
    seen: set[int] = set()
    stack = [e for e in start if e is not None]
    while stack:
        entry = stack.pop()
        if id(entry) in seen:
            continue
        seen.add(id(entry))
        stack.extend(e for e in edges(entry) if e is not None and id(e) not in seen)
    return seen


def _reach_keys(start: Iterable[str], edges: Any) -> set[str]:
    seen: set[str] = set()
    stack = [_norm(k) for k in start]
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        stack.extend(_norm(k) for k in edges(key) if _norm(k) not in seen)
    return seen


def _dep(name: str, version: str, kind: ManifestKind, display: str, location: Location, *, direct: bool,
         dev: bool) -> Dependency:
    exact = exact_npm_version(version) if version else None
    return Dependency(Ecosystem.NPM, name, npm_key(name), exact, "", kind, location, display, direct=direct,
                      dev=dev)
