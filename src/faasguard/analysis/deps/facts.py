"""What the dependency analysis learned about one application: what each function and layer ships, and which of
it has known advisories. Produced by `faasguard.analysis.deps.enrich`, read by the FG6xx rules.

A reader would otherwise get two things wrong:

* `Dependency.version` is set only when the exact version is *known* (an `==` pin, a lockfile entry, an installed
  `METADATA`, an exact npm version). A range never gets a guessed version, so an unpinned dependency can be
  reported as unpinned (FG602) but never as vulnerable (FG601).
* A layer's packages are held by the layer's `Inventory`; `Inventory.functions` lists every function that uses
  the layer, which is how a vulnerable package in a layer is reported through its functions.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from faasguard._record import record
from faasguard.findings import Severity
from faasguard.model import Location


class Ecosystem(StrEnum):
    """OSV ecosystem names, spelled as OSV spells them."""

    PYPI = "PyPI"
    NPM = "npm"
    DEBIAN = "Debian"
    UBUNTU = "Ubuntu"
    ALPINE = "Alpine"

    @property
    def is_os(self) -> bool:
        """An OS distribution's packages: OSV names them per release (`Debian:12`, `Alpine:v3.19`), by source
        package, in the distribution's own version order."""
        return self in (Ecosystem.DEBIAN, Ecosystem.UBUNTU, Ecosystem.ALPINE)


class ManifestKind(StrEnum):
    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    POETRY_LOCK = "poetry-lock"
    PIPFILE_LOCK = "pipfile-lock"
    UV_LOCK = "uv-lock"
    INSTALLED = "installed"
    """A `*.dist-info/METADATA` of a package installed into the function or layer directory."""
    PACKAGE_JSON = "package-json"
    PACKAGE_LOCK = "package-lock"
    YARN_LOCK = "yarn-lock"
    PNPM_LOCK = "pnpm-lock"
    PIPFILE = "pipfile"
    NODE_MODULES = "node-modules"
    """`node_modules/<name>/package.json` of an installed npm package."""
    DPKG_STATUS = "dpkg-status"
    """An image's `var/lib/dpkg/status` or distroless `status.d/` entry."""
    APK_INSTALLED = "apk-installed"
    """An image's `lib/apk/db/installed`."""

    @property
    def priority(self) -> int:
        """Which manifest names the package best when several list the same version: the file a person edits
        first, then lockfiles, then installed trees."""
        return _PRIORITY[self]


_PRIORITY = {
    ManifestKind.REQUIREMENTS: 0, ManifestKind.PACKAGE_JSON: 0, ManifestKind.PYPROJECT: 1,
    ManifestKind.POETRY_LOCK: 2, ManifestKind.PIPFILE_LOCK: 2, ManifestKind.UV_LOCK: 2,
    ManifestKind.PACKAGE_LOCK: 2, ManifestKind.YARN_LOCK: 2, ManifestKind.PNPM_LOCK: 2, ManifestKind.PIPFILE: 1,
    ManifestKind.INSTALLED: 3, ManifestKind.NODE_MODULES: 3, ManifestKind.DPKG_STATUS: 3, ManifestKind.APK_INSTALLED: 3,
}


@record
class Dependency:
    """One package one manifest declares, locks or has installed."""

    ecosystem: Ecosystem
    name: str
    """As written in the manifest."""
    key: str
    """The name normalised for matching (PEP 503 for PyPI; npm names as written, lower-cased)."""
    version: str | None
    """The exact version when known (pinned, locked or installed), else None."""
    specifier: str
    """The requirement as written after the name (`>=2.0`, `^4.17.0`, `==2.25.0`), "" when none."""
    kind: ManifestKind
    location: Location
    """The manifest line that names the package (for a zip: the zip file, line 1)."""
    manifest: str
    """Display path of the manifest (for an archive member: `layer.zip!/python/x.dist-info/METADATA`)."""
    direct: bool = True
    """Declared by the project itself (not only pulled in transitively through a lockfile)."""
    dev: bool = False
    """Only used for development (devDependencies, dev groups, requirements-dev.txt): not deployed."""
    unpinned_reason: str | None = None
    """Why this declaration does not pin an exact artifact (FG602), None when it does or is not the kind of
    declaration that should (local paths, transitive lockfile entries)."""
    distro: str | None = None
    """For OS packages, the release OSV qualifies the ecosystem with (`12` for `Debian:12`, `v3.19` for
    `Alpine:v3.19`); None for language packages."""
    layer: str | None = None
    """For a package found in a container image: the layer that introduced it (number, digest, the build step
    that created it)."""
    binaries: tuple[str, ...] = ()
    """For OS packages: the binary packages installed from this source package (`libssl3`, `openssl`)."""

    @property
    def osv_ecosystem(self) -> str:
        return f"{self.ecosystem.value}:{self.distro}" if self.distro else self.ecosystem.value


@record
class Inventory:
    """What one function package or one layer ships."""

    owner: str
    """Function or layer id."""
    owner_kind: str
    """"function", "layer" or "image"."""
    functions: tuple[str, ...]
    """Every function that ships this content (the functions sharing a package directory, or using the layer)."""
    root: str
    """Display path of the package directory or zip."""
    dependencies: tuple[Dependency, ...] = ()
    manifests: tuple[str, ...] = ()
    """Display paths of the manifests read."""
    containers: tuple[str, ...] = ()
    """For an image: the containers (ECS/Fargate, Cloud Run) that run it, beside the functions."""


@record
class Advisory:
    """One vulnerability, after merging the records that alias each other (PYSEC, GHSA and CVE ids of the same
    problem give one advisory)."""

    id: str
    """The preferred id to show: the CVE when there is one, else the GHSA, else the record id."""
    aliases: tuple[str, ...]
    """Every other id of the same vulnerability, sorted (CVE, GHSA, then the rest)."""
    summary: str
    severity: Severity | None
    """From the record (GitHub's `database_specific.severity`, or the CVSS base score); None when absent."""
    severity_source: str | None = None
    """Where the severity came from, e.g. "CVSS:3.1 score 9.8" or "GHSA severity HIGH"."""
    fixed: tuple[str, ...] = ()
    """The lowest fixed versions above the installed one, one per affected range (sorted ascending)."""
    last_affected: str | None = None
    """Set when the advisory names a last affected version but no fix."""
    url: str | None = None


@record
class VulnerableDependency:
    """A dependency with a known version that has at least one advisory."""

    inventory: Inventory
    dependency: Dependency
    advisories: tuple[Advisory, ...]


@record(slots=False)
class DependencyFacts:
    inventories: tuple[Inventory, ...] = ()
    vulnerable: tuple[VulnerableDependency, ...] = ()
    advisory_sources: tuple[str, ...] = ()
    """What advisory data was consulted (paths, the cache database, the OSV API)."""
    checked: bool = False
    """True when at least one advisory source answered; False means "not checked", never "clean"."""
    notes: tuple[str, ...] = field(default_factory=tuple)
