"""Dependency enrichment: inventory every function package and layer, then match it against OSV advisories.

`enrich` is the pipeline's entry point (see `faasguard.pipeline.ENRICHERS`). It reads only inside the scanned
project (function code directories, layer content, includes that stay under the application's root) and the
advisory sources the user named or `faasguard db update` cached; it touches the network only with `--online`.
When there is no advisory data at all it says so in one NOTE diagnostic instead of implying the dependencies
are clean.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard.analysis.deps.facts import (
    Advisory,
    Dependency,
    DependencyFacts,
    Ecosystem,
    Inventory,
    VulnerableDependency,
)
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, Incomplete
from faasguard.model import Application, Function, Layer
from faasguard.sources import display_path

if TYPE_CHECKING:
    from faasguard.analysis.deps.advisories import LoadedSources
    from faasguard.analysis.deps.osv import OsvRecord

log = logging.getLogger(__name__)
COMPONENT = "dependencies"
STALE_DAYS = 30

NO_DATA_MESSAGE = (
    "dependencies were inventoried but NOT checked for known vulnerabilities: no advisory data is available. "
    "Run `faasguard db update` (downloads the OSV PyPI, npm, Debian, Ubuntu and Alpine exports into the cache), pass "
    "`--advisories PATH` (a directory or zip of OSV JSON records), or scan with `--online`.")


def enrich(app: Application, config: Config, facts: Facts, diagnostics: list[Diagnostic]) -> Facts:
    from faasguard.analysis.images import image_inventories

    inventories = build_inventories(app, diagnostics) + image_inventories(facts)
    if not any(d.version for inv in inventories for d in inv.dependencies):
        # A named advisory source that does not exist is reported even when there is nothing to match against
        # it: under --strict it fails the run, and a misspelt path must not wait for the first dependency.
        if config.advisories:  # (the advisory module pulls in sqlite3 and packaging: not for nothing)
            from faasguard.analysis.deps.advisories import missing_sources

            diagnostics.extend(missing_sources(config.advisories))
        return replace(facts, deps=DependencyFacts(inventories=tuple(inventories)))
    checked, names, vulnerable = check(inventories, config, diagnostics)
    return replace(facts, deps=DependencyFacts(tuple(inventories), tuple(vulnerable), tuple(names), checked))


# --------------------------------------------------------------------------------------------- inventory

def build_inventories(app: Application, diagnostics: list[Diagnostic]) -> list[Inventory]:
    from faasguard.analysis.deps._tree import open_tree
    from faasguard.analysis.deps.inventory import inventory

    allowed = [Path(app.root)] if app.root else []
    result: list[Inventory] = []
    by_dir: dict[str, list[Function]] = {}
    for function in app.functions:
        if function.code and function.code.code_dir and not function.code.inline:
            by_dir.setdefault(function.code.code_dir, []).append(function)
    for code_dir, functions in sorted(by_dir.items()):
        functions.sort(key=lambda f: f.id)
        path = Path(code_dir)
        tree = open_tree(path, display_path(path))
        if tree is None:
            continue
        runtimes = sorted({f.runtime for f in functions if isinstance(f.runtime, str)})
        architectures = sorted({a for f in functions for a in f.architectures})
        found = inventory(tree, "function", runtimes, architectures, allowed)
        diagnostics.extend(found.diagnostics)
        result.append(Inventory(functions[0].id, "function", tuple(f.id for f in functions), tree.root_display,
                                tuple(found.dependencies), tuple(dict.fromkeys(found.manifests))))
    for layer in app.layers:
        if not layer.content_dir:
            continue
        path = Path(layer.content_dir)
        tree = open_tree(path, display_path(path))
        if tree is None:
            continue
        users = functions_using(app, layer)
        runtimes = list(layer.compatible_runtimes) or sorted(
            {f.runtime for f in app.functions if f.id in users and isinstance(f.runtime, str)})
        found = inventory(tree, "layer", runtimes, (), allowed)
        diagnostics.extend(found.diagnostics)
        result.append(Inventory(layer.id, "layer", users, tree.root_display, tuple(found.dependencies),
                                tuple(dict.fromkeys(found.manifests))))
    return result


def functions_using(app: Application, layer: Layer) -> tuple[str, ...]:
    refs = {layer.id} | ({layer.arn} if isinstance(layer.arn, str) else set())
    return tuple(sorted(f.id for f in app.functions if any(isinstance(r, str) and r in refs for r in f.layers)))


# ------------------------------------------------------------------------------------------------ matching

@lru_cache(maxsize=8)
def _sources(paths: tuple[str, ...], use_cache: bool,
             fingerprint: tuple[tuple[str, int, int], ...]) -> LoadedSources:
    """Advisory sources, loaded once per distinct set of inputs (a scan of many applications loads them once;
    a changed file changes the fingerprint)."""
    from faasguard.analysis.deps.advisories import load_sources

    return load_sources(paths, use_cache)


def _fingerprint(paths: Sequence[str], use_cache: bool) -> tuple[tuple[str, int, int], ...]:
    from faasguard.analysis.deps.advisories import ECOSYSTEMS, osv_dir

    candidates = [Path(p) for p in paths]
    if use_cache:
        candidates += [osv_dir() / f"{e}.sqlite" for e in ECOSYSTEMS]
    prints = []
    for path in candidates:
        try:
            st = path.stat()
            prints.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            prints.append((str(path), -1, -1))
    return tuple(prints)


def _deployed_versions(inventory: Inventory) -> list[Dependency]:
    """One dependency per (package, version) that ships: dev-only entries dropped, the best manifest kept."""
    best: dict[tuple[str, str, str], Dependency] = {}
    dev_only: dict[tuple[str, str, str], bool] = {}
    for dep in inventory.dependencies:
        if not dep.version:
            continue
        key = (dep.osv_ecosystem, dep.key, dep.version)
        dev_only[key] = dev_only.get(key, True) and dep.dev
        current = best.get(key)
        rank = (dep.dev, dep.kind.priority, dep.manifest, dep.location.line)
        if current is None or rank < (current.dev, current.kind.priority, current.manifest, current.location.line):
            best[key] = dep
    return [dep for key, dep in best.items() if not dev_only[key]]


SNAPSHOT_STALE_DAYS = 90


def _data_notes(loaded: LoadedSources, names: Sequence[str], config: Config,
                deployed: dict[str, list[Dependency]], online: bool) -> list[Diagnostic]:
    """What the report must say about the advisory data: which data was used and how old it is (a note), a
    warning when the cache or the shipped snapshot is stale, and an incomplete-scan note for each ecosystem of
    the deployed dependencies that no source covers (npm packages with only the PyPI snapshot are unchecked,
    not clean)."""
    from datetime import date

    notes = [Diagnostic(DiagnosticKind.INFO, "dependencies checked against " + "; ".join(names), None,
                        DiagnosticLevel.NOTE, COMPONENT)]
    if loaded.cache_age_days is not None and loaded.cache_age_days > STALE_DAYS:
        notes.append(Diagnostic(
            DiagnosticKind.INFO, f"the advisory database is {loaded.cache_age_days:.0f} days old; run "
            "`faasguard db update` for advisories published since", None, DiagnosticLevel.NOTE, COMPONENT))
    if loaded.snapshot_date:
        age = ((config.today or date.today()) - date.fromisoformat(loaded.snapshot_date)).days
        if age > SNAPSHOT_STALE_DAYS:
            notes.append(Diagnostic(
                DiagnosticKind.INFO, f"Python dependencies were checked against the advisory snapshot shipped with "
                f"faasguard, {age} days old (data of {loaded.snapshot_date}): advisories published since are "
                "missing; run `faasguard db update` or scan with `--online`", None, DiagnosticLevel.WARNING,
                COMPONENT))
    if not online and loaded.ecosystems is not None:
        missing = sorted({d.ecosystem.value for deps in deployed.values() for d in deps} - loaded.ecosystems)
        if missing:
            notes.append(Diagnostic(
                DiagnosticKind.INFO, f"{', '.join(missing)} dependencies were NOT checked for known "
                "vulnerabilities: no advisory data for that ecosystem. Run `faasguard db update`, pass "
                "`--advisories PATH`, or scan with `--online`.", None, DiagnosticLevel.NOTE, COMPONENT,
                Incomplete.DEPENDENCIES))
    return notes


def check(inventories: Sequence[Inventory], config: Config,
          diagnostics: list[Diagnostic]) -> tuple[bool, list[str], list[VulnerableDependency]]:
    from faasguard.analysis.deps import advisories as adv
    from faasguard.analysis.deps.osv import match, merge

    use_cache = not config.online
    loaded = _sources(tuple(config.advisories), use_cache, _fingerprint(config.advisories, use_cache))
    diagnostics.extend(loaded.diagnostics)
    stores = list(loaded.stores)
    names = list(loaded.names)
    deployed = {inv.owner: _deployed_versions(inv) for inv in inventories}

    online: dict[tuple[str, str, str], list[OsvRecord]] | None = None
    if config.online:
        triples = sorted({(d.osv_ecosystem, d.key if d.ecosystem is Ecosystem.PYPI else d.name, d.version or "")
                          for deps in deployed.values() for d in deps})
        try:
            online = adv.query_online(triples)
            names.append(adv.api_url())
        except adv.AdvisoryError as exc:
            diagnostics.append(Diagnostic(
                DiagnosticKind.UNRESOLVED, f"online advisory lookup failed: {exc}; dependencies were checked "
                f"only against {'local advisory data' if stores else 'nothing'}, so FG601 may be incomplete",
                None, DiagnosticLevel.WARNING, COMPONENT, Incomplete.ONLINE))
    checked = bool(stores) or online is not None
    if not checked:
        diagnostics.append(Diagnostic(DiagnosticKind.INFO, NO_DATA_MESSAGE, None, DiagnosticLevel.NOTE, COMPONENT,
                                      Incomplete.DEPENDENCIES))
        return False, names, []
    diagnostics.extend(_data_notes(loaded, names, config, deployed, online is not None))

    vulnerable: list[VulnerableDependency] = []
    for inv in inventories:
        for dep in deployed[inv.owner]:
            assert dep.version is not None
            ecosystem = dep.osv_ecosystem
            records: dict[str, OsvRecord] = {}
            for store in stores:
                for record in store.lookup(ecosystem, dep.key):
                    records[record.id] = record
            if online is not None:
                query_name = dep.key if dep.ecosystem is Ecosystem.PYPI else dep.name
                for record in online.get((ecosystem, query_name, dep.version), []):
                    records[record.id] = record
            matches = [m for r in records.values() if (m := match(r, ecosystem, dep.key, dep.version))]
            if matches:
                found: list[Advisory] = merge(matches, ecosystem)
                vulnerable.append(VulnerableDependency(inv, dep, tuple(found)))
    return True, names, vulnerable
