"""npm manifests: package.json, package-lock.json / npm-shrinkwrap.json (lockfile versions 1, 2 and 3) and
installed `node_modules/<name>/package.json`.

Versions and ranges are read with `semantic_version` (its `NpmSpec` follows npm's range grammar). JSON carries no
positions, so each entry's line is found by searching for its key after the enclosing section's key: exact for
lockfile v2/v3 keys (`"node_modules/lodash"` is unique) and for package.json, first-match for nested v1 entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from faasguard.analysis.deps.facts import Dependency, Ecosystem, ManifestKind
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location

COMPONENT = "dependencies"
LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb")

Locate = Callable[[int], Location]

_LOCAL = ("file:", "link:", "workspace:", "portal:", "./", "../", "~/", "/")
_GIT = re.compile(r"^(git\+|git://|github:|gitlab:|bitbucket:|gist:|[\w.-]+/[\w.-]+(#.*)?$)")
_COMMIT = re.compile(r"#([0-9a-f]{40})$")
_CARET_ZERO_ZERO = re.compile(r"^\^\s*v?0\.0\.(\d+)$")
"""`^0.0.4` is npm's `>=0.0.4 <0.0.5-0`: exactly one version, as pinned as `0.0.4` (`^0.1.0` is not)."""


def npm_key(name: str) -> str:
    return name.strip().lower()


def exact_npm_version(spec: str) -> str | None:
    """The version an exact npm spec names (`1.2.3`, `=1.2.3`, `v1.2.3`), else None."""
    import semantic_version  # only when an npm manifest is read: Python-only scans never load it

    candidate = spec.strip().lstrip("=").strip().removeprefix("v")
    try:
        return str(semantic_version.Version(candidate))
    except ValueError:
        return None


def classify_spec(spec: str) -> tuple[str | None, str | None, bool]:
    """(exact version, why it is not pinned, is a registry package) for one package.json value."""
    spec = spec.strip()
    if spec.startswith(_LOCAL):
        return None, None, False
    if spec.startswith("npm:"):
        alias = spec[4:]
        at = alias.rfind("@")
        spec = alias[at + 1:] if at > 0 else ""
    if re.match(r"^https?://", spec):
        return None, None, True
    if _GIT.match(spec):
        if _COMMIT.search(spec):
            return None, None, True
        return None, f"a git reference (`{spec}`) that is not a commit", True
    version = exact_npm_version(spec)
    if version:
        return version, None, True
    if (zero := _CARET_ZERO_ZERO.match(spec)) is not None:
        return f"0.0.{int(zero.group(1))}", None, True
    if not spec or spec in ("*", "x", "latest", "next"):
        return None, f"`{spec or '*'}` accepts any version", True
    import semantic_version

    try:
        semantic_version.NpmSpec(spec)
    except ValueError:
        return None, f"`{spec}` is a dist-tag, not a version", True
    return None, f"the range `{spec}` accepts future releases", True


def _load(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: invalid JSON: {exc.msg}",
                                      locate(exc.lineno), DiagnosticLevel.WARNING, COMPONENT))
        return None
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: top level is not a JSON object",
                                      locate(1), DiagnosticLevel.WARNING, COMPONENT))
        return None
    return data


def _key_line(text: str, key: str, start: int = 0) -> tuple[int, int]:
    match = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, max(start, 0))
    if not match:
        return 1, start
    return text.count("\n", 0, match.start()) + 1, match.start()


def parse_package_json(text: str, display: str, locate: Locate, locked: bool,
                       diagnostics: list[Diagnostic]) -> list[Dependency]:
    data = _load(text, display, locate, diagnostics)
    if data is None:
        return []
    deps = []
    for section, dev in (("dependencies", False), ("optionalDependencies", False), ("devDependencies", True)):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        _, section_at = _key_line(text, section)
        for name, spec in entries.items():
            if not isinstance(spec, str):
                continue
            version, unpinned, registry = classify_spec(spec)
            if not registry:
                continue
            real_name = name
            if spec.startswith("npm:"):
                alias = spec[4:]
                at = alias.rfind("@")
                real_name = alias[:at] if at > 0 else alias
            line, _ = _key_line(text, name, section_at)
            if locked and unpinned and not unpinned.startswith("a git"):
                unpinned = None
            elif unpinned:
                unpinned += " and no lockfile pins it"
            deps.append(Dependency(Ecosystem.NPM, real_name, npm_key(real_name), version, spec,
                                   ManifestKind.PACKAGE_JSON, locate(line), display, True, dev, unpinned))
    return deps


def parse_package_lock(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> list[Dependency]:
    data = _load(text, display, locate, diagnostics)
    if data is None:
        return []
    deps: list[Dependency] = []
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        root = packages.get("", {})
        direct = set(root.get("dependencies", {}) if isinstance(root, dict) else ()) | set(
            root.get("optionalDependencies", {}) if isinstance(root, dict) else ())
        _, packages_at = _key_line(text, "packages")
        for key, entry in packages.items():
            if not key or "node_modules/" not in key or not isinstance(entry, dict) or entry.get("link"):
                continue
            name = entry.get("name") if isinstance(entry.get("name"), str) else key.rsplit("node_modules/", 1)[1]
            version = entry.get("version")
            line, _ = _key_line(text, key, packages_at)
            deps.append(_lock_dep(str(name), version, display, locate(line),
                                  direct=key == f"node_modules/{key.rsplit('node_modules/', 1)[1]}"
                                  and key.rsplit("node_modules/", 1)[1] in direct,
                                  dev=bool(entry.get("dev") or entry.get("devOptional"))))
        return deps
    dependencies = data.get("dependencies")
    if isinstance(dependencies, dict):  # lockfileVersion 1
        _, start = _key_line(text, "dependencies")
        _walk_v1(dependencies, text, start, display=display, locate=locate, out=deps, depth=0)
    elif "lockfileVersion" not in data:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: not an npm lockfile (no "
                                      "lockfileVersion, packages or dependencies)", locate(1),
                                      DiagnosticLevel.WARNING, COMPONENT))
    return deps


def workspace_entries(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic], *, member: str,
                      manifest: str) -> list[Dependency]:
    """The entries of a workspace-root package-lock.json (v2/v3) that the workspace package at `member`
    (`packages/api`) deploys: its production dependencies resolved the way npm does (`member/node_modules/x`,
    then up to the hoisted `node_modules/x`), and theirs, transitively."""
    data = _load(text, display, locate, diagnostics)
    packages = data.get("packages") if data is not None else None
    try:
        manifest_data = json.loads(manifest)
    except ValueError:
        return []
    if not isinstance(packages, dict) or not isinstance(manifest_data, dict):
        return []
    roots = [str(n) for section in ("dependencies", "optionalDependencies")
             for n in (manifest_data.get(section) or {})]

    def resolve(name: str, start: str) -> str | None:
        path: str = start
        while True:
            key = f"{path}/node_modules/{name}" if path else f"node_modules/{name}"
            if key in packages:
                return key
            if not path:
                return None
            path = path.rsplit("/node_modules/", 1)[0] if "/node_modules/" in path else path.rpartition("/")[0]

    seen: dict[str, bool] = {}
    stack = [(name, member, True) for name in roots]
    while stack and len(seen) < 50_000:
        name, start, direct = stack.pop()
        key = resolve(name, start)
        if key is None or key in seen:
            continue
        seen[key] = direct
        entry = packages[key]
        if isinstance(entry, dict):
            stack += [(str(n), key, False) for section in ("dependencies", "optionalDependencies")
                      for n in (entry.get(section) or {})]
    _, packages_at = _key_line(text, "packages")
    out = []
    for key, direct in seen.items():
        entry = packages[key]
        if not isinstance(entry, dict) or entry.get("link"):
            continue
        package_name = entry.get("name") if isinstance(entry.get("name"), str) else key.rsplit("node_modules/", 1)[1]
        line, _ = _key_line(text, key, packages_at)
        out.append(_lock_dep(str(package_name), entry.get("version"), display, locate(line), direct=direct, dev=False))
    return out


def _walk_v1(entries: dict[str, Any], text: str, start: int, *, display: str, locate: Locate,
             out: list[Dependency], depth: int) -> None:
    if depth > 32:
        return
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            continue
        line, at = _key_line(text, name, start)
        out.append(_lock_dep(name, entry.get("version"), display, locate(line), direct=depth == 0,
                             dev=bool(entry.get("dev"))))
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            _walk_v1(nested, text, at, display=display, locate=locate, out=out, depth=depth + 1)


def _lock_dep(name: str, version: Any, display: str, location: Location, *, direct: bool, dev: bool) -> Dependency:
    exact = exact_npm_version(version) if isinstance(version, str) else None
    return Dependency(Ecosystem.NPM, name, npm_key(name), exact, "", ManifestKind.PACKAGE_LOCK, location, display,
                      direct=direct, dev=dev)


def parse_installed_package(text: str, display: str, locate: Locate,
                            diagnostics: list[Diagnostic]) -> Dependency | None:
    data = _load(text, display, locate, diagnostics)
    if data is None:
        return None
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    line, _ = _key_line(text, "version")
    return Dependency(Ecosystem.NPM, name, npm_key(name), exact_npm_version(version), "", ManifestKind.NODE_MODULES,
                      locate(line), display, direct=False)
