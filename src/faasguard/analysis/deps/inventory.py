"""What a function package or a layer ships: every manifest, lockfile and installed package in it.

Where to look follows how Lambda loads code: a function's package directory (or zip) at its top level (where
`sam build` and `pip install -t .` put things), and a layer's `python/`, `python/lib/python3.x/site-packages/`
and `nodejs/node_modules/` (the paths Lambda adds to `sys.path` / `NODE_PATH` from `/opt`), plus manifests at the
layer's top level (SAM builds a layer from a `requirements.txt` in its ContentUri).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard._record import record
from faasguard.analysis.deps import _jslocks, _npm
from faasguard.analysis.deps._tree import DirTree, Tree, ZipTree, join
from faasguard.analysis.deps.facts import Dependency
from faasguard.findings import Diagnostic
from faasguard.model import Location
from faasguard.safeio import read_regular
from faasguard.sources import display_path

if TYPE_CHECKING:  # imported where a Python manifest is found: `packaging` costs ~30 ms of a one-file scan
    from faasguard.analysis.deps import _python

_REQUIREMENTS = re.compile(r"^(?:[\w.-]*[-_.])?requirements(?:[-_.][\w.-]*)?\.(?:txt|in)$", re.IGNORECASE)
_PY_LOCKS = ("poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock")
_PY_FILES = frozenset({*_PY_LOCKS, "Pipfile", "pyproject.toml"})
_SITE = re.compile(r"^python\d+(\.\d+)?$")
MAX_NODE_PACKAGES = 20_000
MAX_NODE_DEPTH = 4


@record(frozen=False, slots=False)
class TreeInventory:
    dependencies: list[Dependency] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def inventory(tree: Tree, owner_kind: str, runtimes: Sequence[str] = (), architectures: Sequence[str] = (),
              allowed_roots: Sequence[Path] = ()) -> TreeInventory:
    """Inventory one tree. `allowed_roots` bound where `-r`/`-c` includes and lockfile lookups may reach on disk
    (the tree itself is always allowed): the scanner never reads outside the scanned project."""
    result = TreeInventory()
    bases = [""]
    if owner_kind == "layer":
        bases += [b for b in ("python", "nodejs") if tree.is_dir(b)]
        bases += [d for d in tree.dirs("nodejs") if posixpath.basename(d).startswith("node")
                  and posixpath.basename(d) != "node_modules"] if tree.is_dir("nodejs") else []
    roots = [r.resolve() for r in allowed_roots]
    if isinstance(tree, DirTree):
        roots.append(tree.real_root)
    for base in bases:
        _scan_base(tree, base, (tuple(runtimes), tuple(architectures)), roots, result)
    result.diagnostics.extend(tree.diagnostics)
    if isinstance(tree, ZipTree):
        tree.close()
    return result


def _locator(tree: Tree, rel: str) -> _python.Locate:
    def locate(line: int) -> Location:
        return tree.location(rel, line)
    return locate


def _scan_base(tree: Tree, base: str, platform: tuple[tuple[str, ...], tuple[str, ...]], roots: list[Path],
               out: TreeInventory) -> None:
    """The manifests of one directory, Python's then npm's. `platform`: the runtimes and architectures whose
    marker environments decide which Python requirements apply."""
    files = {posixpath.basename(f): f for f in tree.files(base)}

    def text_of(rel: str) -> str | None:
        data = tree.read(rel)
        if data is None:
            return None
        out.manifests.append(tree.display(rel))
        return data.decode("utf-8", errors="replace")

    site_dirs = [base]
    lib = join(base, "lib")
    if tree.is_dir(lib):
        site_dirs += [join(d, "site-packages") for d in tree.dirs(lib) if _SITE.match(posixpath.basename(d))]
    distributions = [dist for site in site_dirs for dist in tree.dirs(site) if dist.endswith(".dist-info")]
    if distributions or any(_REQUIREMENTS.match(name) or name in _PY_FILES for name in files):
        _scan_python(tree, files, text_of, distributions, platform, roots, out)
    _scan_npm(tree, base, files, text_of, roots, out)


def _scan_python(tree: Tree, files: dict[str, str], text_of: Callable[[str], str | None],  # noqa: PLR0917
                 distributions: list[str], platform: tuple[tuple[str, ...], tuple[str, ...]], roots: list[Path],
                 out: TreeInventory) -> None:
    from faasguard.analysis.deps import _python

    diags = out.diagnostics
    envs = _python.marker_environments(*platform)
    requirement_files = sorted(name for name in files if _REQUIREMENTS.match(name))
    deployed_requirements = [n for n in requirement_files
                             if not _python.is_dev_requirements(n) and n.lower().endswith(".txt")]
    for name in requirement_files:
        rel = files[name]
        text = text_of(rel)
        if text is None:
            continue
        parser = _python.RequirementsParser(_resolver(tree, roots), envs)
        ref = str((tree.root / rel).resolve()) if isinstance(tree, DirTree) else f"tree:{rel}"
        req_file = _python.RequirementsFile(tree.display(rel), text, _locator(tree, rel), ref)
        parsed = parser.parse(req_file, dev=_python.is_dev_requirements(name))
        if name.lower().endswith(".in") and name[:-3] + ".txt" in files:
            # pip-tools' input: the compiled requirements.txt beside it pins every version; ranges here are
            # how pip-tools is meant to be used, not unpinned deployments
            parsed = [replace(d, unpinned_reason=None) for d in parsed]
        out.dependencies.extend(parsed)
        diags.extend(parser.diagnostics)
    py_locked = any(lock in files for lock in _PY_LOCKS) or bool(deployed_requirements)
    if "Pipfile" in files and (text := text_of(files["Pipfile"])) is not None:
        out.dependencies.extend(_python.parse_pipfile(text, tree.display(files["Pipfile"]),
                                                      _locator(tree, files["Pipfile"]),
                                                      locked="Pipfile.lock" in files, diagnostics=diags))
    if "pyproject.toml" in files and (text := text_of(files["pyproject.toml"])) is not None:
        out.dependencies.extend(_python.parse_pyproject(text, tree.display(files["pyproject.toml"]),
                                                        _locator(tree, files["pyproject.toml"]), envs,
                                                        locked=py_locked, diagnostics=diags))
    for name, parse in (("poetry.lock", _python.parse_poetry_lock), ("uv.lock", _python.parse_uv_lock),
                        ("Pipfile.lock", _python.parse_pipfile_lock)):
        if name in files and (text := text_of(files[name])) is not None:
            out.dependencies.extend(parse(text, tree.display(files[name]), _locator(tree, files[name]), diags))
    for dist in distributions:
        meta = join(dist, "METADATA")
        data = tree.read(meta, max_bytes=2 * 1024 * 1024)
        if data is None:
            continue
        dep = _python.parse_metadata(data.decode("utf-8", errors="replace"), tree.display(meta),
                                     _locator(tree, meta), diags)
        if dep:
            out.dependencies.append(dep)


def _scan_npm(tree: Tree, base: str, files: dict[str, str], text_of: Callable[[str], str | None],  # noqa: PLR0917
              roots: list[Path], out: TreeInventory) -> None:
    diags = out.diagnostics
    lock_names = [n for n in ("package-lock.json", "npm-shrinkwrap.json") if n in files]
    if "package.json" in files and (text := text_of(files["package.json"])) is not None:
        locked = _has_npm_lockfile(tree, base, files, roots)
        out.dependencies.extend(_npm.parse_package_json(text, tree.display(files["package.json"]),
                                                        _locator(tree, files["package.json"]), locked, diags))
    for name in lock_names:
        if (text := text_of(files[name])) is not None:
            out.dependencies.extend(_npm.parse_package_lock(text, tree.display(files[name]),
                                                            _locator(tree, files[name]), diags))
    package_json = tree.read(files["package.json"]) if "package.json" in files else None
    manifest_text = package_json.decode("utf-8", errors="replace") if package_json is not None else None
    if "yarn.lock" in files and (text := text_of(files["yarn.lock"])) is not None:
        out.dependencies.extend(_jslocks.parse_yarn_lock(text, tree.display(files["yarn.lock"]),
                                                         _locator(tree, files["yarn.lock"]), diags, manifest_text))
    if "pnpm-lock.yaml" in files and (text := text_of(files["pnpm-lock.yaml"])) is not None:
        out.dependencies.extend(_jslocks.parse_pnpm_lock(text, tree.display(files["pnpm-lock.yaml"]),
                                                         _locator(tree, files["pnpm-lock.yaml"]), diags))
    if "package.json" in files and not lock_names and "yarn.lock" not in files and "pnpm-lock.yaml" not in files:
        out.dependencies.extend(_workspace_lock(tree, base, roots, manifest_text, diags))
    node_modules = join(base, "node_modules")
    if tree.is_dir(node_modules):
        _scan_node_modules(tree, node_modules, out, depth=0, budget=[MAX_NODE_PACKAGES])


def _scan_node_modules(tree: Tree, directory: str, out: TreeInventory, depth: int, budget: list[int]) -> None:
    if depth > MAX_NODE_DEPTH:
        return
    for entry in tree.dirs(directory):
        name = posixpath.basename(entry)
        if name.startswith("."):
            continue
        packages = list(tree.dirs(entry)) if name.startswith("@") else [entry]
        for package in packages:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            manifest = join(package, "package.json")
            data = tree.read(manifest, max_bytes=1024 * 1024)
            if data is not None:
                dep = _npm.parse_installed_package(data.decode("utf-8", errors="replace"), tree.display(manifest),
                                                   _locator(tree, manifest), out.diagnostics)
                if dep:
                    out.dependencies.append(dep)
            nested = join(package, "node_modules")
            if tree.is_dir(nested):
                _scan_node_modules(tree, nested, out, depth + 1, budget)


def _has_npm_lockfile(tree: Tree, base: str, files: dict[str, str], roots: list[Path]) -> bool:
    if any(lock in files for lock in _npm.LOCKFILES):
        return True
    if isinstance(tree, ZipTree):
        rel = base
        while rel:
            rel = posixpath.dirname(rel)
            if any(posixpath.basename(f) in _npm.LOCKFILES for f in tree.files(rel)):
                return True
        return False
    if isinstance(tree, DirTree):
        directory = (tree.root / base).resolve() if base else tree.real_root
        for parent in directory.parents:
            if not any(parent == r or parent.is_relative_to(r) for r in roots):
                break
            if any((parent / lock).is_file() for lock in _npm.LOCKFILES):
                return True
    return False


def _resolver(tree: Tree, roots: list[Path]) -> _python.Resolver:
    """Resolve `-r`/`-c` targets: inside a zip, relative to the member; on disk, relative to the including file
    and only inside the allowed roots."""
    from faasguard.analysis.deps import _python

    def resolve(current: _python.RequirementsFile, target: str) -> _python.RequirementsFile | str:
        if current.ref.startswith("tree:") and isinstance(tree, ZipTree):
            rel = posixpath.normpath(posixpath.join(posixpath.dirname(current.ref[5:]), target))
            if rel.startswith(".."):
                return "points outside the archive; not read"
            data = tree.read(rel)
            if data is None:
                return "not found in the archive"
            return _python.RequirementsFile(tree.display(rel), data.decode("utf-8", errors="replace"),
                                            _locator(tree, rel), f"tree:{rel}")
        if not isinstance(tree, DirTree):
            return "cannot be resolved"
        path = (Path(current.ref).parent / target).resolve()
        if not any(path == r or path.is_relative_to(r) for r in roots):
            return "outside the scanned project; not read"
        try:
            if not path.is_file():
                return "file not found"
            if path.stat().st_size > tree.max_bytes:
                return "file too large; not read"
            text = read_regular(path, tree.max_bytes).decode("utf-8", errors="replace")
        except OSError as exc:
            return f"cannot be read: {exc.strerror}"
        display = display_path(path)

        def locate(line: int) -> Location:
            return Location(display, line)

        return _python.RequirementsFile(display, text, locate, str(path))

    return resolve


def _workspace_lock(tree: Tree, base: str, roots: list[Path], manifest: str | None,
                    diagnostics: list[Diagnostic]) -> list[Dependency]:
    """A workspace package (npm, yarn or pnpm workspaces) has no lockfile of its own: the one at the workspace
    root pins its dependencies. Read the nearest one above the package, inside the scanned project, and keep
    the entries this package's production dependencies reach (for npm: the package's own `node_modules` first,
    then the hoisted ones, as npm resolves them)."""
    if not isinstance(tree, DirTree) or manifest is None:
        return []
    directory = (tree.root / base).resolve() if base else tree.real_root
    for parent in directory.parents:
        if not any(parent == r or parent.is_relative_to(r) for r in roots):
            return []
        for name in ("package-lock.json", "yarn.lock", "pnpm-lock.yaml"):
            lock = parent / name
            if lock.is_file() and lock.stat().st_size <= tree.max_bytes:
                try:
                    text = read_regular(lock, tree.max_bytes).decode("utf-8", errors="replace")
                except OSError:  # swapped for a FIFO or grown since the check: not read
                    continue
                display = display_path(lock)

                def locate(line: int, display: str = display) -> Location:
                    return Location(display, line)

                if name == "yarn.lock":
                    return _jslocks.parse_yarn_lock(text, display, locate, diagnostics, manifest)
                if name == "pnpm-lock.yaml":
                    return _jslocks.parse_pnpm_lock(text, display, locate, diagnostics)
                member = directory.relative_to(parent).as_posix()
                return _npm.workspace_entries(text, display, locate, diagnostics, member=member, manifest=manifest)
    return []
