"""Python manifests: requirements files, PEP 621 pyproject.toml, poetry.lock, Pipfile.lock, uv.lock and installed
`*.dist-info/METADATA`.

`packaging` parses every requirement and version, so a line is accepted or rejected exactly as pip would (pip
vendors the same library). What no library does is the requirements-file *format* around those requirements
(continuations, comments, `-r`/`-c` includes, per-line `--hash` options, URL and editable lines): pip's own parser
is internal API, so that part is written here, following pip's documented format. Lockfiles are TOML or JSON
parsed with the standard library; their line numbers come from a light scan of the text, since neither parser
keeps positions.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import Any

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from faasguard._record import record
from faasguard.analysis.deps.facts import Dependency, Ecosystem, ManifestKind
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location

COMPONENT = "dependencies"
MAX_INCLUDE_DEPTH = 10

Locate = Callable[[int], Location]
"""Line → Location in the manifest being parsed."""


@record(slots=False)
class RequirementsFile:
    """One requirements file's text and how to point into it."""

    display: str
    text: str
    locate: Locate
    ref: str
    """Opaque reference used to resolve `-r`/`-c` includes relative to this file."""


Resolver = Callable[[RequirementsFile, str], "RequirementsFile | str"]
"""Resolve an include target relative to a file: the included file, or a reason it cannot be read."""


# ------------------------------------------------------------------------------------------- markers

_PYTHON_RUNTIMES = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


def marker_environments(runtimes: Sequence[str], architectures: Sequence[str] = ()) -> list[dict[str, str]]:
    """Marker environments for the Lambda runtimes a package runs on (`python3.12` → Python 3.12 on Amazon
    Linux). When the runtime is not known, every supported Python version is tried, so a requirement is only
    dropped when its marker is false for all of them."""
    versions = [r.removeprefix("python") for r in runtimes if r.startswith("python")] or list(_PYTHON_RUNTIMES)
    machines = ["aarch64" if a == "arm64" else "x86_64" for a in architectures] or ["x86_64"]
    return [{
        "python_version": v, "python_full_version": f"{v}.0", "implementation_name": "cpython",
        "implementation_version": f"{v}.0", "os_name": "posix", "platform_machine": m,
        "platform_python_implementation": "CPython", "platform_release": "", "platform_system": "Linux",
        "platform_version": "", "sys_platform": "linux", "extra": "",
    } for v in versions for m in machines]


def marker_applies(marker: Marker | None, environments: Sequence[Mapping[str, str]]) -> bool:
    if marker is None:
        return True
    for env in environments:
        try:
            if marker.evaluate(dict(env)):
                return True
        except (UndefinedComparison, UndefinedEnvironmentName):
            return True
    return False


# --------------------------------------------------------------------------------------- requirements

_COMMENT = re.compile(r"(^|\s+)#.*$")
_HEX40 = re.compile(r"@([0-9a-f]{40})(?:#|$)")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_VCS = ("git+", "hg+", "svn+", "bzr+")
_FILE_OPTIONS = {
    "-r": "requirement", "--requirement": "requirement", "-c": "constraint", "--constraint": "constraint",
    "-e": "editable", "--editable": "editable",
}
_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-binary",
                  "--only-binary", "--use-feature", "--config-settings", "--global-option", "--install-option",
                  "--hash"}
_FLAG_OPTIONS = {"--no-index", "--pre", "--prefer-binary", "--require-hashes"}
_LINE_OPTIONS = {"--hash", "--config-settings", "--global-option", "--install-option"}
_DEV_FILE = re.compile(r"(?:^|[-_./])(dev|devel|develop|test|tests|testing|lint|docs?|ci|local|typing|mypy)"
                       r"(?:[-_.]|$)", re.IGNORECASE)


def is_dev_requirements(filename: str) -> bool:
    """`requirements-dev.txt`, `requirements_test.txt`, `dev-requirements.txt`: files that are not deployed."""
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower().replace("requirements", "")
    return bool(_DEV_FILE.search(stem))


@record(frozen=False, slots=False)
class _Pending:
    name: str
    specifier: str
    version: str | None
    unpinned: str | None
    line: int
    file: RequirementsFile
    dev: bool


@record(frozen=False, slots=False)
class RequirementsParser:
    """Parse a requirements file and its `-r` includes into dependencies, applying `-c` constraints."""

    resolve: Resolver
    environments: list[dict[str, str]]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _pending: list[_Pending] = field(default_factory=list)
    _constraints: dict[str, str] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def parse(self, file: RequirementsFile, dev: bool) -> list[Dependency]:
        self._walk(file, dev, constraint=False, depth=0)
        deps = []
        for p in self._pending:
            key = canonicalize_name(p.name)
            version, unpinned = p.version, p.unpinned
            if version is None and key in self._constraints:
                version, unpinned = self._constraints[key], None
            deps.append(Dependency(Ecosystem.PYPI, p.name, key, version, p.specifier, ManifestKind.REQUIREMENTS,
                                   p.file.locate(p.line), p.file.display, True, p.dev, unpinned))
        return deps

    def _diag(self, kind: DiagnosticKind, message: str, location: Location,
              level: DiagnosticLevel = DiagnosticLevel.WARNING) -> None:
        self.diagnostics.append(Diagnostic(kind, message, location, level, COMPONENT))

    def _walk(self, file: RequirementsFile, dev: bool, constraint: bool, depth: int) -> None:
        if file.ref in self._seen:
            return
        self._seen.add(file.ref)
        for line_no, raw in _logical_lines(file.text):
            line = _COMMENT.sub("", raw).strip()
            if not line:
                continue
            if "${" in line:
                self._diag(DiagnosticKind.UNRESOLVED, f"{file.display}:{line_no}: environment variables in "
                           "requirements are not expanded (the scanner never reads the environment); line skipped",
                           file.locate(line_no), DiagnosticLevel.NOTE)
                continue
            if line.startswith("-"):
                self._option_line(file, line_no, line, dev=dev, constraint=constraint, depth=depth)
            else:
                self._requirement_line(file, line_no, line, dev=dev, constraint=constraint, editable=False)

    def _option_line(self, file: RequirementsFile, line_no: int, line: str, *, dev: bool, constraint: bool,
                     depth: int) -> None:
        option, value = _split_option(line)
        where = file.locate(line_no)
        kind = _FILE_OPTIONS.get(option)
        if kind in ("requirement", "constraint"):
            if not value:
                self._diag(DiagnosticKind.PARSE_ERROR, f"{file.display}:{line_no}: {option} needs a file name "
                           "(pip rejects this line)", where)
                return
            if depth >= MAX_INCLUDE_DEPTH:
                self._diag(DiagnosticKind.PARSE_ERROR, f"{file.display}:{line_no}: includes nested more than "
                           f"{MAX_INCLUDE_DEPTH} deep; {value} not read", where)
                return
            if _URL.match(value):
                self._diag(DiagnosticKind.UNRESOLVED, f"{file.display}:{line_no}: {option} {value} is a URL; the "
                           "scanner does not fetch it", where, DiagnosticLevel.NOTE)
                return
            included = self.resolve(file, value)
            if isinstance(included, str):
                self._diag(DiagnosticKind.UNRESOLVED, f"{file.display}:{line_no}: {option} {value}: {included}",
                           where)
                return
            self._walk(included, dev or is_dev_requirements(value), constraint or kind == "constraint", depth + 1)
        elif kind == "editable":
            if not value:
                self._diag(DiagnosticKind.PARSE_ERROR, f"{file.display}:{line_no}: {option} needs a path or URL "
                           "(pip rejects this line)", where)
                return
            self._requirement_line(file, line_no, value, dev=dev, constraint=constraint, editable=True)
        elif option in _VALUE_OPTIONS or option in _FLAG_OPTIONS:
            return
        else:
            self._diag(DiagnosticKind.PARSE_ERROR, f"{file.display}:{line_no}: unknown option {option} (pip "
                       "rejects this line)", where)

    def _requirement_line(self, file: RequirementsFile, line_no: int, line: str, *, dev: bool, constraint: bool,
                          editable: bool) -> None:
        where = file.locate(line_no)
        tokens = line.split()
        req_tokens: list[str] = []
        options: list[str] = []
        for token in tokens:
            if options or (token.startswith("-") and req_tokens):
                options.append(token)
            else:
                req_tokens.append(token)
        for token in options:
            if token.startswith("-") and token.split("=", 1)[0] not in _LINE_OPTIONS:
                self._diag(DiagnosticKind.PARSE_ERROR, f"{file.display}:{line_no}: {token.split('=', 1)[0]} is "
                           "not allowed on a requirement line (pip rejects this line)", where)
                return
        hashed = any(t.startswith("--hash") for t in options)
        text = " ".join(req_tokens)
        if _is_path_or_url(text):
            self._url_requirement(file, line_no, text, dev=dev, constraint=constraint, hashed=hashed)
            return
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            self._diag(DiagnosticKind.PARSE_ERROR, f"{file.display}:{line_no}: invalid requirement {text!r} "
                       f"(pip rejects this line): {_first_line(str(exc))}", where)
            return
        if editable and req.url is None:
            return
        if not marker_applies(req.marker, self.environments):
            return
        if req.url:
            self._url_requirement(file, line_no, req.url, dev=dev, constraint=constraint, hashed=hashed, name=req.name)
            return
        version = exact_version(req)
        if constraint:
            if version:
                self._constraints[canonicalize_name(req.name)] = version
            return
        unpinned = None if version else (
            f"`{req.name}` has no version constraint" if not str(req.specifier)
            else f"`{req.name}{req.specifier}` allows any matching version")
        self._pending.append(_Pending(req.name, str(req.specifier), version, unpinned, line_no, file, dev))

    def _url_requirement(self, file: RequirementsFile, line_no: int, url: str, *, dev: bool, constraint: bool,
                         hashed: bool, name: str | None = None) -> None:
        if constraint:
            return
        lowered = url.lower()
        is_vcs = lowered.startswith(_VCS)
        is_remote = is_vcs or (bool(_URL.match(url)) and not lowered.startswith("file:"))
        if not is_remote:
            return  # a local path: the project's own code, not a registry package
        egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", url)
        name = name or (egg.group(1) if egg else None)
        version: str | None = None
        filename = url.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1]
        try:
            if filename.endswith(".whl"):
                wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
                name, version = name or str(wheel_name), str(wheel_version)
            elif filename.endswith((".tar.gz", ".zip")):
                sdist_name, sdist_version = parse_sdist_filename(filename)
                name, version = name or str(sdist_name), str(sdist_version)
        except (InvalidWheelFilename, InvalidSdistFilename):
            pass
        if not name:
            self._diag(DiagnosticKind.UNRESOLVED, f"{file.display}:{line_no}: cannot tell the package name of "
                       f"{url} (add #egg=NAME or write NAME @ URL); not checked", file.locate(line_no),
                       DiagnosticLevel.NOTE)
            return
        pinned_commit = bool(_HEX40.search(url.split("#", 1)[0] + "#"))
        if is_vcs and not pinned_commit and not hashed:
            unpinned: str | None = f"`{name}` comes from a VCS branch or tag, not a commit"
        else:
            unpinned = None
        self._pending.append(_Pending(name, url, version if not is_vcs else None, unpinned, line_no, file, dev))


def exact_version(req: Requirement) -> str | None:
    """The version an `==`/`===` specifier pins (not a wildcard `==1.*`), else None."""
    for spec in req.specifier:
        if spec.operator in ("==", "===") and "*" not in spec.version:
            return spec.version
    return None


def _split_option(line: str) -> tuple[str, str]:
    if line.startswith("--"):
        head, _, rest = line.partition("=") if "=" in line.split(maxsplit=1)[0] else line.partition(" ")
        return head.strip(), rest.strip()
    option = line[:2]
    return option, line[2:].strip()


def _is_path_or_url(text: str) -> bool:
    lowered = text.lower()
    return (lowered.startswith((*_VCS, ".", "/", "~")) or bool(_URL.match(text))
            or (lowered.endswith((".whl", ".tar.gz", ".zip")) and "@" not in text))


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Physical lines joined at trailing backslashes, each with its first line number (pip's join_lines)."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buffer:
            start = number
        if raw.endswith("\\") and not _COMMENT.search(raw[:-1]):
            buffer.append(raw[:-1])
            continue
        buffer.append(raw)
        yield start, " ".join(buffer)
        buffer = []
    if buffer:
        yield start, " ".join(buffer)


# ------------------------------------------------------------------------------------------ pyproject

def parse_pyproject(text: str, display: str, locate: Locate, environments: list[dict[str, str]], *,
                    locked: bool, diagnostics: list[Diagnostic]) -> list[Dependency]:
    """PEP 621 `[project].dependencies`. Ranges there are normal when a lockfile pins them (`locked`)."""
    data = _load_toml(text, display, locate, diagnostics)
    if data is None:
        return []
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("dependencies"), list):
        return []
    deps = []
    for item in project["dependencies"]:
        if not isinstance(item, str):
            continue
        line = _line_of_string(text, item)
        try:
            req = Requirement(item)
        except InvalidRequirement as exc:
            diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}:{line}: invalid dependency "
                                          f"{item!r}: {_first_line(str(exc))}", locate(line),
                                          DiagnosticLevel.WARNING, COMPONENT))
            continue
        if req.url or not marker_applies(req.marker, environments):
            continue
        version = exact_version(req)
        unpinned = None if version or locked else (
            f"`{req.name}{req.specifier}` in pyproject.toml with no lockfile" if str(req.specifier)
            else f"`{req.name}` has no version constraint and no lockfile")
        deps.append(Dependency(Ecosystem.PYPI, req.name, canonicalize_name(req.name), version, str(req.specifier),
                               ManifestKind.PYPROJECT, locate(line), display, True, False, unpinned))
    return deps


def _line_of_string(text: str, value: str) -> int:
    for quote in ('"', "'"):
        index = text.find(f"{quote}{value}{quote}")
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return 1


def _load_toml(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else (text.count("\n") + 1 if "end of document" in str(exc) else 1)
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: invalid TOML: {exc}", locate(line),
                                      DiagnosticLevel.WARNING, COMPONENT))
        return None


# ------------------------------------------------------------------------------------------ lockfiles

_PACKAGE_HEADER = re.compile(r"^\[\[package\]\]\s*$")
_NAME_LINE = re.compile(r"^name\s*=\s*[\"']([^\"']+)[\"']")


def _package_name_lines(text: str) -> list[int]:
    """Line of each `[[package]]` block's `name = ...`, in file order (poetry.lock, uv.lock)."""
    lines: list[int] = []
    in_block = False
    for number, line in enumerate(text.splitlines(), 1):
        if _PACKAGE_HEADER.match(line):
            in_block = True
            lines.append(number)
        elif in_block and _NAME_LINE.match(line):
            lines[-1] = number
            in_block = False
        elif line.startswith("["):
            in_block = False
    return lines


def parse_poetry_lock(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> list[Dependency]:
    data = _load_toml(text, display, locate, diagnostics)
    if data is None:
        return []
    packages = data.get("package")
    if not isinstance(packages, list):
        return []
    lines = _package_name_lines(text)
    deps = []
    for index, package in enumerate(packages):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        version = package.get("version")
        source = package.get("source")
        if isinstance(source, dict) and source.get("type") in ("directory", "file"):
            continue
        groups = package.get("groups")
        dev = package.get("category") == "dev" or (isinstance(groups, list) and "main" not in groups)
        line = lines[index] if index < len(lines) else 1
        deps.append(Dependency(Ecosystem.PYPI, package["name"], canonicalize_name(package["name"]),
                               str(version) if isinstance(version, str) else None, "", ManifestKind.POETRY_LOCK,
                               locate(line), display, direct=False, dev=dev))
    return deps


def parse_uv_lock(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> list[Dependency]:
    data = _load_toml(text, display, locate, diagnostics)
    if data is None:
        return []
    packages = [p for p in data.get("package", []) if isinstance(p, dict) and isinstance(p.get("name"), str)]
    lines = _package_name_lines(text)
    roots = [p for p in packages if isinstance(p.get("source"), dict)
             and ({"editable", "virtual"} & set(p["source"]))]
    by_name = {canonicalize_name(p["name"]): p for p in packages}
    main: set[str] = set()
    dev_reach: set[str] = set()

    def walk(names: list[str], into: set[str]) -> None:
        stack = list(names)
        while stack:
            key = canonicalize_name(stack.pop())
            if key in into or key not in by_name:
                continue
            into.add(key)
            stack.extend(d["name"] for d in by_name[key].get("dependencies", [])
                         if isinstance(d, dict) and isinstance(d.get("name"), str))

    for root in roots:
        walk([d["name"] for d in root.get("dependencies", []) if isinstance(d, dict) and "name" in d], main)
        for group in (root.get("dev-dependencies") or {}).values():
            if isinstance(group, list):
                walk([d["name"] for d in group if isinstance(d, dict) and "name" in d], dev_reach)
    deps = []
    for index, package in enumerate(data.get("package", [])):
        if package not in packages or package in roots:
            continue
        source = package.get("source")
        if isinstance(source, dict) and ({"path", "directory", "editable", "virtual"} & set(source)):
            continue
        key = canonicalize_name(package["name"])
        dev = bool(roots) and key not in main and key in dev_reach
        version = package.get("version")
        line = lines[index] if index < len(lines) else 1
        deps.append(Dependency(Ecosystem.PYPI, package["name"], key, version if isinstance(version, str) else None,
                               "", ManifestKind.UV_LOCK, locate(line), display, direct=False, dev=dev))
    return deps


def parse_pipfile_lock(text: str, display: str, locate: Locate,
                       diagnostics: list[Diagnostic]) -> list[Dependency]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: invalid JSON: {exc.msg}",
                                      locate(exc.lineno), DiagnosticLevel.WARNING, COMPONENT))
        return []
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: not a Pipfile.lock (top level is "
                                      "not an object)", locate(1), DiagnosticLevel.WARNING, COMPONENT))
        return []
    deps = []
    for section, dev in (("default", False), ("develop", True)):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        section_at = _json_key_offset(text, section, 0)
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            version = entry.get("version")
            version = version[2:] if isinstance(version, str) and version.startswith("==") else None
            if version is None and ("path" in entry or "file" in entry):
                continue
            offset = _json_key_offset(text, name, section_at)
            line = text.count("\n", 0, offset) + 1 if offset >= 0 else 1
            deps.append(Dependency(Ecosystem.PYPI, name, canonicalize_name(name), version, "",
                                   ManifestKind.PIPFILE_LOCK, locate(line), display, direct=False, dev=dev))
    return deps


def parse_pipfile(text: str, display: str, locate: Locate, *, locked: bool,
                  diagnostics: list[Diagnostic]) -> list[Dependency]:
    """`[packages]` and `[dev-packages]` of a Pipfile: what the project declares (versions come from
    Pipfile.lock; a range is normal when that lock exists, `locked`)."""
    data = _load_toml(text, display, locate, diagnostics)
    if data is None:
        return []
    deps = []
    for section, dev in (("packages", False), ("dev-packages", True)):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for name, value in entries.items():
            if isinstance(value, dict) and any(k in value for k in ("path", "file", "git", "editable")):
                continue
            raw = value.get("version", "*") if isinstance(value, dict) else value
            if not isinstance(raw, str):
                continue
            spec = raw.strip()
            version = spec[2:].strip() if spec.startswith("==") and "*" not in spec and "," not in spec else None
            line = _line_of_key(text, name)
            unpinned = None if version or locked or dev else (
                f"`{name} = \"{spec}\"` in Pipfile with no Pipfile.lock" if spec != "*"
                else f"`{name}` has no version constraint and no Pipfile.lock")
            deps.append(Dependency(Ecosystem.PYPI, name, canonicalize_name(name), version,
                                   "" if spec == "*" else spec, ManifestKind.PIPFILE, locate(line), display, True,
                                   dev, unpinned))
    return deps


def _line_of_key(text: str, key: str) -> int:
    match = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=", re.MULTILINE).search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _json_key_offset(text: str, key: str, start: int) -> int:
    match = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, max(start, 0))
    return match.start() if match else -1


# ------------------------------------------------------------------------------------------- installed

def parse_metadata(text: str, display: str, locate: Locate, diagnostics: list[Diagnostic]) -> Dependency | None:
    """`Name:` and `Version:` from a dist-info METADATA header (RFC 822 style, first block only)."""
    name = version = None
    name_line = 1
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            break
        if line.startswith("Name:") and name is None:
            name, name_line = line[5:].strip(), number
        elif line.startswith("Version:") and version is None:
            version = line[8:].strip()
    if not name or not version:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"{display}: no Name/Version header; not a "
                                      "package METADATA file", locate(1), DiagnosticLevel.WARNING, COMPONENT))
        return None
    return Dependency(Ecosystem.PYPI, name, canonicalize_name(name), version, "", ManifestKind.INSTALLED,
                      locate(name_line), display, direct=False)


__all__ = [
    "RequirementsFile",
    "RequirementsParser",
    "exact_version",
    "is_dev_requirements",
    "marker_environments",
    "parse_metadata",
    "parse_pipfile",
    "parse_pipfile_lock",
    "parse_poetry_lock",
    "parse_pyproject",
    "parse_uv_lock",
]

