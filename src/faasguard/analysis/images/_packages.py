"""What an image's merged filesystem has installed: OS packages (dpkg, apk), Python distributions and npm
packages, each with the index of the layer that introduced it.

OS packages are matched by *source* package, because that is what Debian, Ubuntu and Alpine advisories name
(`openssl`, not `libssl3`): the binary packages built from one source are folded into one entry that lists
them. Python distributions that the OS package manager owns (`/usr/lib/python3/dist-packages` on Debian and
Ubuntu, files listed in Alpine's database) are left to the OS advisories: their `METADATA` carries the upstream
version while the distribution patches fixes in, so matching them against PyPI advisories would report fixed
packages as vulnerable.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from faasguard._record import record
from faasguard.analysis.deps import _npm, _python
from faasguard.analysis.deps.facts import Dependency, Ecosystem, ManifestKind
from faasguard.analysis.images._layers import Filesystem
from faasguard.findings import Diagnostic
from faasguard.model import Location

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_DB = "lib/apk/db/installed"
RPM_DBS = ("var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
           "usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db")
_OS_PYTHON = re.compile(r"^usr/lib/python3/dist-packages/")
_PY_META = re.compile(r"(?:^|/)([^/]+)\.(?:dist-info/METADATA|egg-info/PKG-INFO|egg-info)$")
_NODE = re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/]+/package\.json$")


@record
class Distro:
    id: str
    """os-release `ID`: debian, ubuntu, alpine, amzn, rhel..."""
    version_id: str | None
    pretty: str
    ecosystem: Ecosystem | None
    """The OSV ecosystem, None when OSV has none for this distribution."""
    release: str | None
    """The OSV release qualifier (`12`, `22.04`, `v3.19`), None when unknown."""

    @property
    def osv_name(self) -> str | None:
        return f"{self.ecosystem.value}:{self.release}" if self.ecosystem and self.release else None


@dataclass
class Found:
    packages: list[tuple[Dependency, int]] = field(default_factory=list)
    """Each package with the index of the layer that introduced it."""
    notes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    distro: Distro | None = None


def _os_release(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("\"'")
    return values


def detect_distro(fs: Filesystem) -> Distro | None:
    found = fs.read("etc/os-release") or fs.read("usr/lib/os-release")
    values = _os_release(found[0].decode("utf-8", "replace")) if found else {}
    if not values:
        alpine = fs.read("etc/alpine-release")
        if alpine:
            values = {"ID": "alpine", "VERSION_ID": alpine[0].decode("ascii", "replace").strip()}
        elif fs.read("etc/debian_version"):
            values = {"ID": "debian"}
        else:
            return None
    distro_id = values.get("ID", "").lower()
    version_id = values.get("VERSION_ID") or None
    pretty = values.get("PRETTY_NAME") or f"{distro_id} {version_id or ''}".strip()
    ecosystem: Ecosystem | None = None
    release: str | None = None
    if distro_id == "debian":
        ecosystem = Ecosystem.DEBIAN
        release = version_id.split(".")[0] if version_id and version_id.split(".")[0].isdigit() else None
    elif distro_id == "ubuntu":
        ecosystem = Ecosystem.UBUNTU
        release = version_id if version_id and re.fullmatch(r"\d+\.\d+", version_id) else None
    elif distro_id == "alpine":
        ecosystem = Ecosystem.ALPINE
        match = re.match(r"^(\d+)\.(\d+)", version_id or "")
        release = f"v{match.group(1)}.{match.group(2)}" if match else None
    return Distro(distro_id, version_id, pretty, ecosystem, release)


def _paragraphs(text: str) -> Iterator[dict[str, str]]:
    """RFC 822-style stanzas (dpkg status): `Key: value`, continuation lines start with a space."""
    fields: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, None
            continue
        if line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
            continue
        if ":" in line:
            key, value = line.split(":", 1)
            last = key.strip()
            fields[last] = value.strip()
    if fields:
        yield fields


def _dpkg_packages(text: str, require_status: bool) -> dict[str, tuple[str, str, str]]:
    """binary package → (source name, source version, binary version) of installed packages."""
    installed = {}
    for fields in _paragraphs(text):
        name, version = fields.get("Package"), fields.get("Version")
        if not name or not version:
            continue
        status = fields.get("Status", "")
        if require_status and status.split()[-1:] != ["installed"]:
            continue
        source, source_version = name, version
        if fields.get("Source"):
            match = re.match(r"^(\S+)(?:\s+\((\S+)\))?", fields["Source"])
            if match:
                source, source_version = match.group(1), match.group(2) or version
        installed[name] = (source, source_version, version)
    return installed


def _apk_packages(text: str) -> tuple[dict[str, tuple[str, str, str]], set[str]]:
    """binary package → (origin, version, version), and the directories apk owns."""
    installed: dict[str, tuple[str, str, str]] = {}
    owned: set[str] = set()
    fields: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if fields.get("P") and fields.get("V"):
                installed[fields["P"]] = (fields.get("o") or fields["P"], fields["V"], fields["V"])
            fields = {}
            continue
        if len(line) > 2 and line[1] == ":":
            key, value = line[0], line[2:]
            if key == "F":
                owned.add(value.strip("/"))
            elif key not in fields:
                fields[key] = value
    return installed, owned


def _introduced(history: list[tuple[int, dict[str, tuple[str, str, str]]]], name: str, version: str,
                final_layer: int) -> int:
    """The earliest layer from which the package was present at this version up to the final database."""
    layer = final_layer
    for index, packages in reversed(history):
        entry = packages.get(name)
        if entry is None or entry[2] != version:
            break
        layer = index
    return layer


def inventory(fs: Filesystem, display: str, locate: Callable[[int], Location]) -> Found:
    found = Found()
    found.distro = distro = detect_distro(fs)
    owned_dirs: set[str] = set()
    os_packages: dict[str, list[tuple[str, str, str, int]]] = {}
    kind = ManifestKind.DPKG_STATUS
    manifest = ""
    status = fs.read(DPKG_STATUS)
    if status is not None:
        manifest = f"{display}!{DPKG_STATUS}"
        final = _dpkg_packages(status[0].decode("utf-8", "replace"), require_status=True)
        history = [(i, _dpkg_packages(d.decode("utf-8", "replace"), True)) for i, d in fs.history.get(DPKG_STATUS, [])]
        for binary, (source, source_version, version) in final.items():
            layer = _introduced(history, binary, version, status[1])
            os_packages.setdefault(source, []).append((binary, source_version, version, layer))
    for path in sorted(p for p in fs.files if p.startswith(DPKG_STATUS_D) and "." not in p[len(DPKG_STATUS_D):]):
        entry = fs.read(path)
        if entry is None:
            continue
        manifest = manifest or f"{display}!{DPKG_STATUS_D}"
        for binary, (source, source_version, version) in _dpkg_packages(entry[0].decode("utf-8", "replace"),
                                                                        require_status=False).items():
            os_packages.setdefault(source, []).append((binary, source_version, version, entry[1]))
    apk = fs.read(APK_DB)
    if apk is not None:
        kind, manifest = ManifestKind.APK_INSTALLED, f"{display}!{APK_DB}"
        final, owned_dirs = _apk_packages(apk[0].decode("utf-8", "replace"))
        history = [(i, _apk_packages(d.decode("utf-8", "replace"))[0]) for i, d in fs.history.get(APK_DB, [])]
        for binary, (origin, version, _) in final.items():
            layer = _introduced(history, binary, version, apk[1])
            os_packages.setdefault(origin, []).append((binary, version, version, layer))
    rpm = next((p for p in RPM_DBS if fs.read(p) is not None), None)
    if rpm is not None:
        found.notes.append(f"{display}: RPM database {rpm} found; RPM packages are not inventoried (reading the "
                           "rpmdb, BerkeleyDB, NDB or SQLite, is not supported yet), so this image's OS packages "
                           "were not checked for advisories")
    if os_packages and (distro is None or distro.osv_name is None):
        what = distro.pretty if distro else "an unidentified distribution"
        found.notes.append(f"{display}: OS packages of {what} cannot be matched to advisories (OSV has no "
                           "ecosystem for it, or its release is unknown); they were inventoried only")
    for source, binaries in sorted(os_packages.items()):
        binaries.sort()
        # the source version all binaries share (binNMUs differ in the binary version only)
        version = binaries[0][1]
        layer = min(b[3] for b in binaries)
        ecosystem = distro.ecosystem if distro and distro.ecosystem else Ecosystem.DEBIAN
        usable = distro is not None and distro.osv_name is not None
        dep = Dependency(ecosystem, source, source.lower(), version if usable else None, "", kind, locate(1),
                         manifest, direct=False, distro=distro.release if distro else None,
                         binaries=tuple(b[0] for b in binaries))
        found.packages.append((dep, layer))
    _language_packages(fs, display, locate, owned_dirs, found)
    return found


def _language_packages(fs: Filesystem, display: str, locate: Callable[[int], Location], owned_dirs: set[str],
                       found: Found) -> None:
    for path in sorted(fs.files):
        if _PY_META.search(path):
            directory = posixpath.dirname(path) if not path.endswith(".egg-info") else path
            if _OS_PYTHON.match(path) or directory in owned_dirs:
                continue
            entry = fs.read(path)
            if entry is None:
                continue
            shown = f"{display}!{path}"
            dep = _python.parse_metadata(entry[0].decode("utf-8", "replace"), shown, locate, found.diagnostics)
            if dep is not None:
                found.packages.append((dep, entry[1]))
        elif _NODE.search(path):
            entry = fs.read(path)
            if entry is None:
                continue
            npm = _npm.parse_installed_package(entry[0].decode("utf-8", "replace"), f"{display}!{path}", locate,
                                               found.diagnostics)
            if npm is not None:
                found.packages.append((npm, entry[1]))
