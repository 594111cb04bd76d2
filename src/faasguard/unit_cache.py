"""Units of a scan kept between runs, so that a one-file change re-does only the work that file feeds.

The whole-scan cache (`faasguard.scan_cache`) replays a report when *nothing* changed. Below it, this module
keeps two kinds of units, each with its own manifest of what it read (the same audit-hook recording, nested
inside the scan's, so every read also lands in the whole-scan manifest):

* a **load unit**: one loader run -- one CloudFormation/SAM template, or the whole run of the other loaders
  (Terraform, Serverless, the code loader...), which read their files together. It keeps the applications
  built and the loader's diagnostics, and what it charged to the scan's work budget (replayed only while the
  budget still has room, so a hostile tree is refused exactly as without the cache). Its probes record the
  kind of what was found, not the size: a loader only asks whether a handler file is there (the one size it
  reads is of a file it then opens, whose content is an input), so an edited handler re-runs its application's
  analysis but not the load of its template;
* an **analysis unit**: one application's enrichment and rules -- its findings, diagnostics and attack
  graph (the facts reporters read: `pipeline._reduced`), keyed by a digest of the whole application, the
  configuration and the rules selected, and valid while what the analysis read (handler code, the modules it
  imports, lockfiles, advisory data...) is unchanged.

A replayed load unit gives back *skeleton* applications: name, source, root, files, suppressions, the ids,
locations, code and role of functions, and the ids and locations of roles and resources -- what the steps
after the analysis (exclusions, bare-handler detection, filters, every reporter) read; a test keeps every
report format of a replayed scan equal to a scan without the cache. Decoding every application in full
costs more than the 0.5 s a one-file change may take; the full application is read back (`full`) only for an
application whose analysis must run again.
The cross-unit steps (discovery, the dropping of packaged frameworks, bare handlers, exclusions, filters,
baseline, suppressions, the report) always run.

Everything is JSON (`faasguard.codec`) behind a SHA-256, in the scan cache directory, never in the scanned
tree; a damaged unit is recomputed, a damaged full application makes the scan start again without units
(`DamagedError`). Files unused for `MAX_AGE_DAYS` are removed at the end of a run that stored units, at most
once a day (a hit moves its file's modification time to now when it is more than a day old), and so is the
oldest part when the units exceed `MAX_BYTES`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard import codec, scan_cache
from faasguard.cache import write_atomic

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.facts import Facts
    from faasguard.findings import Diagnostic, Finding
    from faasguard.loaders import LoadContext, LoadResult
    from faasguard.model import Application
    from faasguard.sources import Discovery, SourceFile

log = logging.getLogger(__name__)

MAX_AGE_DAYS = 14
MAX_BYTES = 512 * 1024 * 1024
_RESTORE_AFTER = 16
"""Files changed since the discovery's entry was stored beyond which it is stored again (`_reclassified`)."""

Outcome = tuple["Facts", list["Finding"], list["Diagnostic"]]


class DamagedError(Exception):
    """A stored full application could not be read back: the scan starts again without units."""


def units_dir() -> Path:
    return scan_cache.scan_cache_dir() / "units"


def _blobs_dir() -> Path:
    return scan_cache.scan_cache_dir() / "apps"


def wanted(base: str) -> bool:
    """Whether this run keeps units: from the second scan of the same command line (same units key) on. Storing
    ~1,100 units and ~640 applications costs a third of a full scan of the corpus, which a project scanned once
    (a CI job with an empty cache, a first look at a repository) would pay for nothing; a project scanned again is
    one being edited, where units pay. The first run leaves a marker (an empty file) and stores none."""
    marker = units_dir() / f"{base}.seen"
    if marker.is_file():
        return True
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return False


class UnitCache:
    """The units of one scan run: looked up, replayed, recorded and stored (see the module docstring)."""

    def __init__(self, base: str, excluded: Sequence[str], own: Sequence[str], report: str | None) -> None:
        self.base = base
        """The scan's key without the report's format: what every unit of this command line shares."""
        self._excluded, self._own, self._report = tuple(excluded), tuple(own), report
        self._apps: dict[int, tuple[Application, str | None, str]] = {}
        """id(application) → (the application, its stored full form's digest or None when it is the full
        application, the digest of its full encoded form)."""
        self._signatures: dict[str, tuple[int, ...] | None] = {}
        self._probes: dict[str, tuple[str, int]] = {}
        self._dir_signatures: dict[str, tuple[int, ...] | None] = {}
        self._analysis_salt: tuple[tuple[Any, ...], str] | None = None
        self._units = os.path.join(units_dir(), "")
        """Where this run's units are (looked up ~1,100 times a run: the cache directory is found once)."""
        self._blobs = os.path.join(_blobs_dir(), "")
        """Where the full applications are (each replayed skeleton's is marked used: ~640 a run)."""
        self.stored = 0
        self.replayed = 0
        self._facts: dict[str, Any] | None = None
        self._seen_facts: dict[str, dict[str, Any]] = {}
        self._missed: tuple[str, dict[str, Any]] | None = None
        """The last entry a look-up read and found changed: the discovery's is read once, not again to be
        classified anew (~1 MB on the corpus)."""

    # ------------------------------------------------------------------------------------------ entries

    def key(self, *parts: Any) -> str:
        material = json.dumps([self.base, *parts], sort_keys=True, default=repr)
        return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()

    @contextlib.contextmanager
    def recording(self, sizes: bool = True) -> Iterator[scan_cache.Recorder]:
        with scan_cache.recording(self._excluded, self._own, self._report, unit=True, sizes=sizes) as recorder:
            yield recorder

    def lookup(self, key: str) -> Any:
        """The payload stored under `key` if the entry is intact and its inputs unchanged (they are then added
        to the scan's recording), else None."""
        path = f"{self._units}{key}.json"
        entry = scan_cache.read_sealed(path)
        if entry is None:
            return None
        try:
            if entry.get("key") != key:
                return None
            changed = self._first_change(entry)
            if changed is not None:
                log.debug("unit cache: %s changed; recomputed", changed)
                self._missed = (key, entry)
                return None
            payload = entry["payload"]
            scan_cache.absorb(entry)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None
        _refresh(path)  # used: kept by the pruning
        self.replayed += 1
        return payload

    def store(self, key: str, recorder: scan_cache.Recorder, payload: Any) -> None:
        recorded = scan_cache.manifest(recorder)
        if recorded is None:
            return
        scan_cache.write_sealed(Path(f"{self._units}{key}.json"), {"key": key, **recorded, "payload": payload})
        self.stored += 1

    def _first_change(self, entry: Mapping[str, Any]) -> str | None:
        for _, what in self._changes(entry):
            return what
        return None

    def _changes(self, entry: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
        """`scan_cache.changes`, with what this run already checked remembered."""
        return scan_cache.changes(entry, self._signature, self._probe, self._dir_signatures)

    def _signature(self, path: str) -> tuple[int, ...] | None:
        return self._signatures[path] if path in self._signatures \
            else self._signatures.setdefault(path, scan_cache.signature(path))

    def _probe(self, key: str) -> tuple[str, int]:
        return self._probes[key] if key in self._probes else self._probes.setdefault(key, scan_cache.probe(key))

    # ------------------------------------------------------------------------------------------ discovery

    def discover(self, paths: Sequence[str], config: Config, cwd: Path, run: Callable[[], Discovery]) -> Discovery:
        """`run()` (the walk of the scanned paths), or its sources when no directory it listed and no file
        whose head it read changed: a handler edited leaves every listing as it was. The walk reads only the
        kind of each entry it `lstat`s (`sources._walk`), so its probes record kinds, not sizes."""
        from faasguard.sources import Discovery, SourceFile, SourceType

        key = self.key("discover", list(paths), str(cwd), _config_digest(config))
        payload = self.lookup(key)
        if payload is None:
            payload = self._reclassified(key, paths, cwd)
        if payload is not None:
            roots: dict[str, Path] = {}  # a few roots for ~2,300 files: one Path each
            try:
                return Discovery([SourceFile(SourceType(kind), Path(path), str(display),
                                             roots[root] if root in roots else roots.setdefault(root, Path(root)))
                                  for kind, path, display, root in payload["files"]],
                                 list(codec.decode(payload["diagnostics"])))
            except (codec.UndecodableError, ValueError, TypeError, KeyError):
                pass
        with self.recording(sizes=False) as recorder:
            found = run()
        try:
            self.store(key, recorder, {
                "files": [[f.type.value, str(f.path), f.display, str(f.root)] for f in found.files],
                "diagnostics": codec.encode(tuple(found.diagnostics))})
        except codec.UnencodableError as exc:
            log.info("unit cache: the discovery not stored (%s)", exc)
        return found

    def _reclassified(self, key: str, paths: Sequence[str], cwd: Path) -> Any:
        """The stored discovery still standing after a template edit: when no directory or probe changed, the
        walk would visit the same files in the same order, and an edited file changes its result only through
        its type (`sources.classify`, which reads its head). Each edited file is classified again; when every
        one keeps its type, the stored sources stand (the walk of ~1,500 directories is a third of a warm run).
        The entry is stored again with the files as they are now only once more than `_RESTORE_AFTER` of them
        changed: below that, classifying them again on each run costs less than rewriting the entry (~1 MB on
        the corpus). Not for a file the walk reads for anything else (a CDK `manifest.json`) nor when a scanned
        path is a file (`sources._owning_iac`)."""
        from faasguard.sources import classify

        path = f"{self._units}{key}.json"
        missed, self._missed = self._missed, None
        entry = missed[1] if missed is not None and missed[0] == key else scan_cache.read_sealed(path)
        try:
            if entry is None or entry.get("key") != key \
                    or not all(os.path.isdir(os.path.join(cwd, given)) for given in paths):
                return None
            changed = list(self._changes(entry))
            if not changed or any(index < 0 for index, _ in changed):
                return None
            kinds = {str(file_path): str(kind) for kind, file_path, _, _ in entry["payload"]["files"]}
            for index, file_path in changed:
                before = scan_cache.signature(file_path)
                if before is None or entry["files"][index][1] is None \
                        or os.path.basename(file_path).lower() == "manifest.json":
                    return None
                kind = classify(Path(file_path))  # (read inside the scan's recording: an input of the scan)
                if (kind.value if kind is not None else None) != kinds.get(file_path):
                    log.debug("unit cache: %s is now %s; the walk runs again", file_path, kind)
                    return None
                digest = scan_cache.known_digest(file_path, before)
                if digest is None or scan_cache.signature(file_path) != before:
                    return None
                entry["files"][index] = [file_path, list(before), digest]
                self._signatures[file_path] = before
            scan_cache.absorb(entry)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None
        if len(changed) > _RESTORE_AFTER:
            scan_cache.write_sealed(Path(path), entry)
        self.replayed += 1
        return entry["payload"]

    # ------------------------------------------------------------------------------------------ file facts

    def fact(self, kind: str, path: str) -> tuple[Any, tuple[int, ...] | None]:
        """(what `kind` says of the file at `path`, or None when nothing is remembered for its content as it is
        now; its stat signature now). A remembered fact counts as a read of the file by the scan (it is added to
        the recordings in progress, with the digest of the content it was learnt from).

        The cross-unit steps look at every file again on every run: the bare-handler pre-filter reads the head
        of every Python file beside the templates (`pipeline._shapes`, kind "shapes"), the filter every file of
        every application for suppression comments (kind "unmarked": the file holds no marker at all). An
        unchanged file has the same facts, so one stat answers instead of a read."""
        if self._facts is None:
            self._facts = _read_facts(self._facts_path())
        now = self._signature(path)  # (a file a unit was checked against moments ago: one stat a run)
        known = self._facts.get(kind, {}).get(path)
        if now is not None and isinstance(known, list) and len(known) == 3 and known[0] == list(now) \
                and isinstance(known[1], str):
            scan_cache.absorb_file(path, now, known[1])
            self._seen_facts.setdefault(kind, {})[path] = known
            return known[2], now
        return None, now

    def learn(self, kind: str, path: str, before: tuple[int, ...] | None, value: Any,
              content: bytes | None = None) -> None:
        """Remember `value` (JSON) as what `kind` says of the file at `path`, learnt from its content while its
        stat signature was `before` (`fact`'s). Nothing is remembered when the file changed meanwhile. `content`:
        the whole file as read, when the caller has it (its digest then costs no second read)."""
        if before is None or scan_cache.signature(path) != before:
            return
        digest: str | None
        if content is not None:
            digest = hashlib.sha256(content).hexdigest()
            scan_cache.note_digest(path, before, digest)
        else:
            digest = scan_cache.known_digest(path, before)
        if digest is not None:
            self._seen_facts.setdefault(kind, {})[path] = [list(before), digest, value]

    def shapes(self, path: Path, compute: Callable[[Path], tuple[bool, bool] | None]) -> tuple[bool, bool] | None:
        """`compute(path)` (`pipeline._shapes`), remembered per file (`fact`)."""
        text = str(path)
        known, now = self.fact("shapes", text)
        if isinstance(known, list) and len(known) == 2:
            return bool(known[0]), bool(known[1])
        found = compute(path)
        if found is not None:
            self.learn("shapes", text, now, list(found))
        return found

    def save_facts(self) -> None:
        """Store the facts of the files seen this run (only those: the memo follows the tree)."""
        if self._facts is None or self._seen_facts == self._facts:
            return
        scan_cache.write_sealed(self._facts_path(), self._seen_facts)

    def _facts_path(self) -> Path:
        return units_dir() / f"memo-{self.key('facts')}.json"

    # ------------------------------------------------------------------------------------------ load units

    def load(self, module_name: str, files: Sequence[SourceFile], ctx: LoadContext,
             run: Callable[[], LoadResult]) -> LoadResult:
        """`run()` (one loader run over `files`), or what it gave the last time its inputs were the same."""
        from faasguard.loaders import LoadResult
        from faasguard.loaders._budget import Work

        key = self.key("load", module_name, _config_digest(ctx.config), [str(r) for r in ctx.roots],
                       [[str(f.path), f.type.value, f.display, str(f.root)] for f in files])
        payload = self.lookup(key)
        if payload is not None:
            try:
                charged = {Work(kind): int(amount) for kind, amount in payload["charged"].items()}
                replayed = LoadResult(diagnostics=list(codec.decode(payload["diagnostics"])),
                                      handled=_paths(payload["handled"], files))
                skeletons = [(codec.decode(skeleton), blob, digest) for skeleton, blob, digest in payload["apps"]]
            except (codec.UndecodableError, ValueError, TypeError, KeyError):
                skeletons, charged = [], {}
                payload = None
            if payload is not None and all(ctx.budget.left(kind) >= amount for kind, amount in charged.items()):
                where = _where(files)
                for kind, amount in charged.items():
                    ctx.budget.charge(kind, amount, where)
                for app, blob, digest in skeletons:
                    self._apps[id(app)] = (app, str(blob), str(digest))
                    replayed.apps.append(app)
                    # in use while its skeleton is: pruned, it would send a later re-analysis back to a scan
                    # without units (`DamagedError`)
                    _refresh(f"{self._blobs}{blob}.json")
                return replayed
        before = {kind: ctx.budget.left(kind) for kind in Work}
        # probes by kind: a loader asks whether a handler file exists, never its size unless it opens it (a
        # test holds the loaders to that), so an edited handler leaves its template's load standing
        with self.recording(sizes=False) as recorder:
            loaded = run()
        after = {kind: ctx.budget.left(kind) for kind in Work}
        stored: list[list[Any]] = []
        for app in loaded.apps:
            encoded = self._encoded(app)
            if encoded is None:
                return loaded
            digest, text = encoded
            _write_blob(digest, text)
            stored.append([codec.encode(skeleton(app)), digest, digest])
        if min(after.values()) < 0 or _crashed(loaded.diagnostics):
            return loaded  # the scan's budget ran out (the next run may fare differently), or a defect
        try:
            self.store(key, recorder, {
                "apps": stored, "diagnostics": codec.encode(tuple(loaded.diagnostics)),
                "handled": sorted(str(p) for p in loaded.handled),
                "charged": {kind.value: before[kind] - after[kind] for kind in Work if before[kind] != after[kind]},
            })
        except codec.UnencodableError as exc:
            log.info("unit cache: %s not stored (%s)", module_name, exc)
        return loaded

    def remember(self, app: Application) -> str | None:
        """The digest of `app`'s full form (None when it has none), remembered for its analysis key."""
        known = self._apps.get(id(app))
        if known is not None and known[0] is app:
            return known[2]
        encoded = self._encoded(app)
        return encoded[0] if encoded is not None else None

    def _encoded(self, app: Application) -> tuple[str, bytes] | None:
        """(digest, JSON form) of the full application, remembered by identity; None when it has none."""
        try:
            text = json.dumps(codec.encode(app), separators=(",", ":")).encode("utf-8", "surrogateescape")
        except codec.UnencodableError as exc:
            log.info("unit cache: %s has no JSON form (%s)", app.name, exc)
            return None
        digest = hashlib.sha256(text).hexdigest()
        self._apps[id(app)] = (app, None, digest)
        return digest, text

    def is_skeleton(self, app: Application) -> bool:
        known = self._apps.get(id(app))
        return known is not None and known[0] is app and known[1] is not None

    def full(self, app: Application) -> Application:
        """The full application behind a skeleton (the application itself when it is not one)."""
        known = self._apps.get(id(app))
        if known is None or known[0] is not app or known[1] is None:
            return app
        _, blob, digest = known
        path = _blobs_dir() / f"{blob}.json"
        try:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != blob:
                raise DamagedError(f"{path} is damaged")
            loaded = codec.decode(json.loads(data))
        except (OSError, ValueError, codec.UndecodableError) as exc:
            raise DamagedError(f"{path}: {exc}") from exc
        from faasguard.model import Application

        if not isinstance(loaded, Application):
            raise DamagedError(f"{path} holds no application")
        _refresh(path)
        self._apps[id(loaded)] = (loaded, None, digest)
        return loaded

    # ------------------------------------------------------------------------------------------ analysis units

    def analysis_key(self, app: Application, config: Config, rules: Sequence[type[Any]],
                     enrichers: Sequence[tuple[str, str]]) -> str | None:
        digest = self.remember(app)
        if digest is None:
            return None
        # what every application's analysis shares, digested once (the ~130 rule ids, for ~640 applications)
        shared = (_config_digest(config), tuple(r.id for r in rules), tuple(name for name, _ in enrichers))
        if self._analysis_salt is None or self._analysis_salt[0] != shared:
            self._analysis_salt = (shared, self.key("analysis-shared", *shared))
        # three hex digests: joined, they need none of `key`'s JSON (asked ~640 times a run)
        return hashlib.sha256(f"analysis\0{self.base}\0{digest}\0{self._analysis_salt[1]}".encode()).hexdigest()

    def replay_analysis(self, key: str) -> Outcome | None:
        payload = self.lookup(key)
        return None if payload is None else self.decode_analysis(payload)

    @staticmethod
    def decode_analysis(payload: Any) -> Outcome | None:
        """The outcome an analysis unit's payload (`lookup`'s) holds, or None when it does not decode. Apart
        from the look-up, so that the decoding can run beside the analysis of what changed
        (`faasguard.parallel.run_beside`)."""
        from faasguard.facts import Facts

        try:
            graph = codec.decode(payload["paths"])
            findings = list(codec.decode(payload["findings"]))
            diagnostics = list(codec.decode(payload["diagnostics"]))
        except (codec.UndecodableError, KeyError, TypeError):
            return None
        return Facts(paths=graph), findings, diagnostics

    def analysed(self, key: str, work: Callable[[], Outcome], reduce: Callable[[Outcome], Outcome]) -> Outcome:
        """`work()` under its own recording, stored as its reduced outcome."""
        with self.recording() as recorder:
            outcome = work()
        facts, findings, diagnostics = reduce(outcome)
        if _crashed(diagnostics):
            return outcome
        try:
            self.store(key, recorder, {"paths": codec.encode(facts.paths), "findings": codec.encode(tuple(findings)),
                                       "diagnostics": codec.encode(tuple(diagnostics))})
        except codec.UnencodableError as exc:
            log.info("unit cache: an analysis not stored (%s)", exc)
        return outcome

    # ------------------------------------------------------------------------------------------ size

    def prune(self, now: float | None = None) -> int:
        """`prune`, at most once a day: it examines every stored file (~1,800 on the corpus, a tenth of a
        second), and a run that re-analysed one application stores two units."""
        now = time.time() if now is None else now
        marker = units_dir() / ".pruned"
        try:
            if marker.stat().st_mtime > now - 86400:
                return 0
        except OSError:
            pass
        with contextlib.suppress(OSError):
            marker.touch()
        return prune(now)


def _read_facts(path: Path) -> dict[str, Any]:
    found = scan_cache.read_sealed(path) or {}
    return {kind: files for kind, files in found.items() if isinstance(files, dict)}


def prune(now: float | None = None, max_age_days: float = MAX_AGE_DAYS, max_bytes: int = MAX_BYTES) -> int:
    now = time.time() if now is None else now
    entries: list[tuple[float, int, Path]] = []
    for directory in (units_dir(), _blobs_dir()):
        with contextlib.suppress(OSError), os.scandir(directory) as found:
            for item in found:
                if item.name.startswith("."):  # the pruning's marker, a file being written
                    continue
                with contextlib.suppress(OSError):
                    st = item.stat(follow_symlinks=False)
                    entries.append((st.st_mtime, st.st_size, Path(item.path)))
    entries.sort()
    total = sum(size for _, size, _ in entries)
    removed = 0
    for mtime, size, path in entries:
        if mtime >= now - max_age_days * 86400 and total <= max_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
            total -= size
    return removed


def clean() -> int:
    """Remove every unit and stored application (`faasguard cache clean`); returns how many."""
    removed = 0
    for directory in (units_dir(), _blobs_dir()):
        for entry in directory.glob("*.json") if directory.is_dir() else ():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
    for marker in units_dir().glob("*.seen") if units_dir().is_dir() else ():  # `wanted`'s: not results
        with contextlib.suppress(OSError):
            marker.unlink()
    return removed


def skeleton(app: Application) -> Application:
    """What the steps after the analysis read of an application (see the module docstring)."""
    from faasguard.model import Function, Resource, Role

    return replace(
        app, functions=tuple(Function(fn.id, fn.location, code=fn.code, role=fn.role) for fn in app.functions),
        roles=tuple(Role(role.id, role.location) for role in app.roles),
        resources=tuple(Resource(resource.id, resource.location) for resource in app.resources),
        triggers=(), apis=(), permissions=(), layers=(), containers=(), security_groups=(), subnets=(),
        route_tables=(), services=(), registry_scanning=(), parameters=())


def _write_blob(digest: str, data: bytes) -> None:
    """A full application under its content's digest (the same application loaded again is one file)."""
    path = _blobs_dir() / f"{digest}.json"
    if path.exists():
        _refresh(path)
    else:
        write_atomic(path, data)


_REFRESH_SECONDS = 86400


def _refresh(path: Path | str, now: float | None = None) -> None:
    """Mark a unit or stored application as used, so that the pruning (`MAX_AGE_DAYS`) keeps it: its modification
    time is moved to now when it is more than a day old. A day is nothing next to the fortnight the pruning
    waits, and a hit then costs a `stat` instead of an inode write (a one-file change replays ~1,100 units: it
    rewrote ~1,100 inodes on every run)."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        if os.stat(path).st_mtime < now - _REFRESH_SECONDS:
            os.utime(path)


def _crashed(diagnostics: Sequence[Diagnostic]) -> bool:
    from faasguard.findings import DiagnosticKind

    return any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in diagnostics)


def _config_digest(config: Config) -> str:
    """A digest of every configuration field (the config is part of every unit's key); the last one is kept,
    since a scan asks for the same configuration once per unit."""
    if _LAST_CONFIG and _LAST_CONFIG[0][0] is config:
        return _LAST_CONFIG[0][1]
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=repr).encode()).hexdigest()
    _LAST_CONFIG[:] = [(config, digest)]
    return digest


_LAST_CONFIG: list[tuple[Config, str]] = []


def _paths(stored: Any, files: Sequence[SourceFile]) -> set[Path]:
    """The paths a replayed loader run handled, as the discovery's own `Path` objects where they are its files (a
    template's unit handles the template): ~500 units, each otherwise parsing its paths again."""
    known = {str(f.path): f.path for f in files}
    return {known.get(text) or Path(text) for text in map(str, stored)}


def _where(files: Sequence[SourceFile]) -> Any:
    from faasguard.model import Location

    return Location(files[0].display if files else "the scan")
