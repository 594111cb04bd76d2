"""The scan cache: a re-run on an unchanged project replays the report of the run before it, in milliseconds.

A faasguard result depends on many files at once (a template, the handlers it points at, the modules they
import, lockfiles, the config, a baseline), so a cache keyed by one file's content would be wrong as soon as
a rule reads two. Each entry is instead keyed by what is fixed before the scan starts (faasguard's code and
version, the interpreter and installed packages, the command line, the configuration, the working directory,
the date, which environment values would be masked) and carries the *manifest* of everything the scan looked
at while it ran, recorded as it happened rather than predicted:

* every file opened for reading, with its content hash and its stat signature (the audit hook sees every
  `open`, whoever calls it -- a loader, an analysis, a reporter reading a snippet);
* every directory listed, with a digest of its names and which are directories or links (a new file beside
  the others is a change);
* the offline advisory database connected to (`faasguard db update` changes findings), by stat signature;
* every path whose existence or size was checked (`Path.exists`, `os.path.isfile`...), with what was found --
  a module the import resolution looked for and did not find must still be missing.

An entry is used only when the whole manifest still holds: a file whose stat signature changed is hashed
again and must have the same content. Anything else -- a changed or added file, another option, another
faasguard -- runs the scan, which replaces the entry.

Poisoning: entries live in the user cache directory, never in the scanned tree (a cache directory inside a
scanned path disables the cache). An entry is plain JSON (never pickle or marshal, whose loaders are not meant
for untrusted bytes) behind a SHA-256 of its body, so a truncated or altered file is ignored, never trusted.
A scan that crashed (exit 4), reached the network, or read the environment is not stored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from faasguard import __version__
from faasguard.cache import cache_dir, write_atomic

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
_HASHED_MAX_BYTES = 16 * 1024 * 1024
"""Larger files (container image tarballs, the OSV database) are compared by stat signature only."""
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_IGNORED_ROOTS = ("/dev/", "/proc/", "/sys/")
_os_stat, _os_lstat = os.stat, os.lstat
"""The real functions: `recording` replaces the module attributes while it runs."""


def scan_cache_dir() -> Path:
    return cache_dir() / f"scan-v{CACHE_FORMAT}"


def disabled_by_environment() -> bool:
    """`FAASGUARD_NO_CACHE=1` (any non-empty value but 0/false): the CI job or the test suite opts out."""
    value = os.environ.get("FAASGUARD_NO_CACHE", "").strip().lower()
    return value not in ("", "0", "false", "no")


# ------------------------------------------------------------------------------------------ recording

@dataclass
class Recorder:
    """What one scan looked at: absolute paths, as seen while it ran."""

    cwd: str
    excluded: tuple[str, ...]
    own: tuple[str, ...] = ()
    """faasguard's cache directory: its files are compared by stat signature only, its listings not at all
    (this very scan may add derived tables, or the scan cache's own directory). Its probes count: the advisory
    database `faasguard db update` creates is first looked for."""
    opened: dict[str, tuple[int, ...] | None] = field(default_factory=dict)
    """Path → stat signature when it was opened (None: it did not exist or was no regular file)."""
    listed: set[str] = field(default_factory=set)
    report: str | None = None
    """The report file this run writes (`-o FILE`): not an input even inside the scanned tree (each run would
    otherwise change the next one's inputs); left out of listings, opens and probes."""
    probed: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Path → (kind, size) found by a stat call."""
    incomplete: bool = False
    """Recording failed somewhere: the manifest would not cover every input, so nothing is stored."""
    unit: bool = False
    """A nested recording of one unit of work (`faasguard.unit_cache`): a file or directory this process read
    before the unit started and that the unit only checks again (a stat) counts as read by the unit, because
    the unit may be using what the process kept of it (a parsed module, the advisory data)."""
    sizes: bool = True
    """Whether a probe records the size of a file (False: its kind only, stored as size -1). For a unit whose
    code reads nothing but the kind of what it stats (the discovery walk's `lstat`s): an edited file is then
    not a change to it."""

    def is_own(self, absolute: str) -> bool:
        # asked of every probe when the manifest is built (~16,000 on the corpus): most paths share no prefix
        # with the cache directory at all, which one `startswith` tells without building `absolute + "/"`
        if not absolute.startswith(self._own_stems):
            return False
        return os.path.join(absolute, "").startswith(self.own)

    _own_stems: tuple[str, ...] = field(default=(), init=False, repr=False)
    """`own` without the final separator of each (`is_own`'s quick test)."""

    def __post_init__(self) -> None:
        self._own_stems = tuple(prefix.rstrip(os.sep) or os.sep for prefix in self.own)

    resolved: dict[str, str | None] = field(default_factory=dict, repr=False)
    """`absolute` of each path as given: a scan names the same paths again and again (half its opens are of
    the interpreter's files, excluded; thousands of stat calls repeat)."""

    def absolute(self, path: Any) -> str | None:
        if not isinstance(path, str):  # (the common case tested first: an ABC check costs a microsecond)
            try:
                path = os.fspath(path)
            except TypeError:
                return None  # a file descriptor: the file was recorded when it was opened
            if isinstance(path, bytes):
                path = os.fsdecode(path)
        if path in self.resolved:
            return self.resolved[path]
        if path[:1] == "/" and "/." not in path and "//" not in path and path[-1:] != "/":
            normal = path  # absolute and already normal (most paths a scan builds): normpath would return it
        else:
            normal = os.path.normpath(os.path.join(self.cwd, path))
        kept = None if normal.startswith(self.excluded) or normal.startswith(_IGNORED_ROOTS) \
            or normal == self.report else normal
        self.resolved[path] = kept
        return kept


_ACTIVE: list[Recorder] = []
"""The recording in progress, if any. Process-wide because audit hooks are (they cannot be removed once
added): the one hook reads this, and does nothing while it is empty."""
_HOOKED: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """An audit hook runs inside the scan's own `open`/`scandir` calls: whatever goes wrong here must never
    reach the component that made the call (it would turn into that component's internal error). A recording
    that failed is only marked incomplete, so its result is not stored."""
    if not _ACTIVE or event not in _EVENTS:
        return
    for recorder in _ACTIVE:  # a unit's recording nests in the scan's: both need the input
        try:
            _record(recorder, event, args)
        except Exception:  # see the docstring: the cache is best effort, the scan is not
            recorder.incomplete = True


def _record(recorder: Recorder, event: str, args: tuple[Any, ...]) -> None:
    """Record one event. The cheap tests come first -- an excluded path (the interpreter's and faasguard's
    own files: half of a scan's opens) or one already recorded needs nothing more -- and the walk up the
    stack that tells the import system's reads apart (`_importing`) only runs for a path new to the
    recording: it was most of the hook's cost when it ran for every open."""
    if event == "open":
        path, mode, flags = (*args, None, None, None)[:3]
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if isinstance(flags, int) and mode is None and flags & _WRITE_FLAGS:
            return
        absolute = recorder.absolute(path)
        if absolute is not None and absolute not in recorder.opened and not _importing():
            recorder.opened[absolute] = _signature(absolute)
            _SEEN_OPENED.add(absolute)
    elif event == "sqlite3.connect" and args and isinstance(args[0], str | bytes | os.PathLike):
        # the offline advisory database (`file:PATH?mode=ro`): `faasguard db update` changes what a scan finds
        database = os.fsdecode(args[0])
        if database.startswith("file:"):
            database = database[5:].split("?", 1)[0]
        absolute = recorder.absolute(database)
        if absolute is not None and absolute not in recorder.opened and not _importing():
            recorder.opened[absolute] = _signature(absolute)
            _SEEN_OPENED.add(absolute)
    elif event in ("os.listdir", "os.scandir"):
        absolute = recorder.absolute(args[0] if args and args[0] is not None else ".")
        if absolute is not None and absolute not in recorder.listed and not recorder.is_own(absolute) \
                and not _importing():
            recorder.listed.add(absolute)
            _SEEN_LISTED.add(absolute)


_SEEN_OPENED: set[str] = set()
_SEEN_LISTED: set[str] = set()
"""Every file and directory read under any recording in this process (inherited by a forked worker): a unit
that later only stats one of them may be using what the process kept of it (see `Recorder.unit`)."""


_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "sqlite3.connect"})


def _importing() -> bool:
    """Whether the event comes from the import system (a lazily imported faasguard module listing a
    `sys.path` directory, the working directory among them): the interpreter's doing, not the scan's."""
    frame: FrameType | None = sys._getframe(3)  # above this function, `_record` and `_audit`
    for _ in range(12):
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _signature(path: str) -> tuple[int, ...] | None:
    try:
        st = _os_stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _kind(st: os.stat_result | None) -> tuple[str, int]:
    if st is None:
        return ("missing", 0)
    if stat.S_ISREG(st.st_mode):
        return ("file", st.st_size)
    if stat.S_ISDIR(st.st_mode):
        return ("dir", 0)
    if stat.S_ISLNK(st.st_mode):
        return ("link", 0)
    return ("other", 0)


@contextlib.contextmanager
def recording(excluded: Sequence[str] = (), own: Sequence[str] = (), report: str | None = None, *,
              unit: bool = False, sizes: bool = True) -> Iterator[Recorder]:
    """Record what the code run inside looks at (see the module docstring). `os.stat`/`os.lstat` are wrapped
    for the duration (pathlib and os.path call them through the module): stat calls raise no audit event.
    Recordings nest (`unit`: one unit of work inside a scan): the wrappers chain, so every recording in
    progress sees every input."""
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED.append(True)
    recorder = Recorder(os.getcwd(), tuple(excluded), tuple(os.path.join(os.path.normpath(p), "") for p in own),
                        unit=unit, sizes=sizes)
    recorder.report = os.path.abspath(report) if report else None
    outer_stat, outer_lstat = os.stat, os.lstat
    if not unit:
        _LISTINGS.clear()  # a scan's listings are its own: another scan in this process may follow a change

    done: set[tuple[Any, bool]] = set()
    """(path as the caller gave it, whether links are followed) of every probe already handled: only the
    first of a path counts (`probed.setdefault`), and half of a scan's ~60,000 stat calls repeat one, which
    then skip making the path absolute."""

    def wrap(real: Callable[..., os.stat_result], lstat: bool) -> Callable[..., os.stat_result]:
        def probe(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if args or kwargs.get("dir_fd") is not None:
                return real(path, *args, **kwargs)
            follow = not lstat and kwargs.get("follow_symlinks", True) is not False
            try:
                given = os.fspath(path)
            except TypeError:  # a file descriptor
                return real(path, *args, **kwargs)
            if (given, follow) in done:
                return real(path, *args, **kwargs)
            try:
                absolute = recorder.absolute(given)
            except Exception:  # the real call below raises what the caller expects
                recorder.incomplete, absolute = True, None
            done.add((given, follow))
            try:
                result = real(path, *args, **kwargs)
            except OSError:
                if absolute is not None:
                    recorder.probed.setdefault(f"{int(follow)}{absolute}", ("missing", 0))
                raise
            if absolute is not None:
                kind = _kind(result)
                recorder.probed.setdefault(f"{int(follow)}{absolute}", kind if recorder.sizes else (kind[0], -1))
                if recorder.unit:
                    _inherit(recorder, absolute)
            return result
        return probe

    _ACTIVE.append(recorder)
    os.stat, os.lstat = wrap(outer_stat, False), wrap(outer_lstat, True)
    try:
        yield recorder
    finally:
        os.stat, os.lstat = outer_stat, outer_lstat
        _ACTIVE.remove(recorder)


def _inherit(recorder: Recorder, absolute: str) -> None:
    """A unit stat'ing a file or directory this process already read: see `Recorder.unit`."""
    if absolute in _SEEN_OPENED and absolute not in recorder.opened:
        recorder.opened[absolute] = _signature(absolute)
    elif absolute in _SEEN_LISTED and not recorder.is_own(absolute):
        recorder.listed.add(absolute)


Recorded = tuple[dict[str, tuple[int, ...] | None], set[str], dict[str, tuple[str, int]], bool]
"""A recording in transferable form: (opened, listed, probed, incomplete)."""


def forget_recorded() -> None:
    """In a forked worker (`faasguard.parallel`): start its recording empty, so that what it sends back is
    only what it read itself (the parent keeps what it recorded before the fork)."""
    if _ACTIVE:
        recorder = _ACTIVE[-1]
        recorder.opened, recorder.listed, recorder.probed = {}, set(), {}


def export_recording() -> Recorded | None:
    """What this process recorded, for the parent to merge: a worker's reads are invisible to the parent's
    audit hook, and a manifest without them would let a warm run replay a report whose input changed."""
    if not _ACTIVE:
        return None
    recorder = _ACTIVE[-1]
    return recorder.opened, recorder.listed, recorder.probed, recorder.incomplete


def merge_recording(recorded: Any) -> None:
    """Add a worker's recording to the one in progress; anything but a recording marks it incomplete (the
    worker's inputs would be missing from the manifest). The first signature seen of a file is kept."""
    for recorder in _ACTIVE:
        try:
            opened, listed, probed, incomplete = recorded
            for path, signature in opened.items():
                recorder.opened.setdefault(path, signature)
                _SEEN_OPENED.add(path)
            recorder.listed.update(listed)
            _SEEN_LISTED.update(listed)
            for key, found in probed.items():
                recorder.probed.setdefault(key, found)
            recorder.incomplete = recorder.incomplete or bool(incomplete)
        except (TypeError, ValueError, AttributeError):
            recorder.incomplete = True


def absorb(entry: Mapping[str, Any]) -> None:
    """A replayed unit's inputs, added to the recordings in progress: the whole scan's manifest must list
    them as if the unit had run (its files were not opened this time)."""
    opened = {str(path): (tuple(signature) if signature is not None else None)
              for path, signature, _digest in entry["files"]}
    for path, signature, digest in entry["files"]:
        if signature is not None and digest is not None:
            _DIGESTS.setdefault(str(path), (tuple(signature), str(digest)))
    listed = {str(item[0]) for item in entry["dirs"]}
    probed = {str(key): (str(kind), int(size)) for key, kind, size in entry["probes"]}
    merge_recording((opened, listed, probed, False))


# ------------------------------------------------------------------------------------------ manifest

def _digest(path: str) -> str | None:
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
    except OSError:
        return None
    return hasher.hexdigest()


def _listing(path: str, report: str | None = None) -> str | None:
    # the report file is left out of its own directory's listing only: elsewhere no entry is compared with it
    report = report if report is not None and os.path.dirname(report) == path else None
    try:
        with os.scandir(path) as entries:
            names = sorted(f"{e.name}\0{int(e.is_dir(follow_symlinks=False))}{int(e.is_symlink())}"
                           for e in entries if report is None or os.path.join(path, e.name) != report)
    except OSError:
        return None
    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def same_probe(found: tuple[str, int], kind: str, size: int) -> bool:
    """Whether a probe finds what it found before (size -1: only the kind was recorded)."""
    return found[0] == kind and (size == -1 or found[1] == size)


def _probe(key: str) -> tuple[str, int]:
    follow, path = key[0] == "1", key[1:]
    try:
        st = _os_stat(path) if follow else _os_lstat(path)
    except (OSError, ValueError):
        return ("missing", 0)
    return _kind(st)


_DIGESTS: dict[str, tuple[tuple[int, ...], str]] = {}
"""Path → (stat signature, content digest) computed or replayed in this process: a unit's manifest and the
whole scan's name the same files, and a replayed unit's entry already holds their digests."""


def absorb_file(path: str, signature: tuple[int, ...], digest: str) -> None:
    """A file whose content a unit cache answered for (unchanged: same stat signature), as if read."""
    _DIGESTS[path] = (signature, digest)
    merge_recording(({path: signature}, set(), {}, False))


def note_digest(path: str, signature: tuple[int, ...], digest: str) -> None:
    """The digest of a file's whole content, computed by a caller that read it all while it had `signature`."""
    _DIGESTS[path] = (signature, digest)


def known_digest(path: str, now: tuple[int, ...]) -> str | None:
    known = _DIGESTS.get(path)
    if known is not None and known[0] == now:
        return known[1]
    digest = _digest(path)
    if digest is not None:
        _DIGESTS[path] = (now, digest)
    return digest


_RACY_NS = 2_000_000_000
"""A directory modified less than this before its entry is stored keeps no signature (see `manifest`): two
seconds covers the coarsest timestamps of common filesystems (FAT's 2 s; ext4/XFS/Btrfs move in scheduler
ticks of a few milliseconds)."""


def _dir_signature(path: str) -> tuple[int, ...] | None:
    """What changes whenever a directory's entries do: creating, removing or renaming an entry (replacing a
    file by a directory or a link included) updates the directory's modification and change times. A listing
    recorded with the signature the directory had just before it was listed is still the listing while the
    signature is the same -- the trust the manifest already gives a file's stat signature -- so a warm run
    checks a directory with one `stat` instead of listing, sorting and hashing its entries."""
    try:
        st = _os_stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, st.st_size, st.st_nlink)


_LISTINGS: dict[tuple[str, str | None], tuple[tuple[int, ...] | None, str | None]] = {}


def known_directory(path: str, report: str | None) -> tuple[tuple[int, ...] | None, str | None]:
    """(the directory's signature just before it was listed, `_listing`), once per directory and process: the
    units of a run check the same directories, and the whole scan's manifest lists every one of them again at
    its end. (A directory changed while the scan ran is then stored as it was when the scan started, which
    only makes the next run scan again.)"""
    key = (path, report)
    if key not in _LISTINGS:
        signature = _dir_signature(path)
        _LISTINGS[key] = (signature, _listing(path, report))
    return _LISTINGS[key]


def known_listing(path: str, report: str | None) -> str | None:
    return known_directory(path, report)[1]


def same_directory(path: str, listing: str | None, signature: Any, report: str | None,
                   signatures: dict[str, tuple[int, ...] | None] | None = None) -> bool:
    """Whether a directory still has the entries an entry recorded (`listing`, taken while the directory had
    `signature`, None when unknown): one `stat` when the signature is the same, a listing otherwise.
    `signatures`: the directory signatures this scan already took (a unit cache's memo), given only inside a
    scan's recording -- the listings are then remembered for the scan's own manifest (`known_directory`);
    without it nothing is remembered (the whole-scan check before a scan)."""
    if signature is not None:
        if signatures is None:
            now = _dir_signature(path)
        elif path in signatures:
            now = signatures[path]
        else:
            now = signatures[path] = _dir_signature(path)
        if now is not None and list(now) == signature:
            if signatures is not None:  # the listing stands as recorded: the manifest needs no listing either
                _LISTINGS.setdefault((path, report), (now, listing))
            return True
    if signatures is None:
        return _listing(path, report) == listing
    return known_listing(path, report) == listing


def manifest(recorder: Recorder) -> dict[str, Any] | None:
    """The recorded inputs in the entry's form, or None when one changed while the scan ran (the result may
    then match neither version: not worth storing) or the recording itself failed."""
    if recorder.incomplete:
        return None
    files: list[list[Any]] = []
    for path, seen in sorted(recorder.opened.items()):
        now = _signature(path)
        ours = recorder.is_own(path)
        if now != seen and not ours:  # faasguard's own derived tables may be written by this very scan
            return None
        if now is None:
            files.append([path, None, None])
            continue
        digest = None if now[0] > _HASHED_MAX_BYTES or ours else known_digest(path, now)
        files.append([path, list(now), digest])
    # A probe says less than an opened file's entry, and a missing name in a listed directory is in its
    # listing: those are left out (most of the probes -- import resolution looks for many names per module).
    # Paths in the cache directory are taken as they are now: this scan may have written the derived tables it
    # looked for.
    opened = recorder.opened.keys()
    found_now = {key: _probe(key) if recorder.is_own(key[1:]) else found for key, found in recorder.probed.items()}
    probes = [[key, *found] for key, found in sorted(found_now.items())
              if not (key[0] == "1" and key[1:] in opened)
              and not (found[0] == "missing" and _parent(key[1:]) in recorder.listed)
              and not _implied(key, found[0], recorder.listed)]
    dirs = []
    recent = time.time_ns() - _RACY_NS
    for path in sorted(recorder.listed):
        signature, listing = known_directory(path, recorder.report)
        # the signature only while it still holds (a directory changed since is compared by listing next time),
        # and only for a directory last changed a while ago: timestamps advance in coarse ticks, so an entry
        # created in the very tick the directory was listed would leave the signature as recorded
        trusted = signature is not None and signature == _dir_signature(path) and signature[0] < recent
        dirs.append([path, listing, list(signature) if trusted and signature is not None else None])
    return {"files": files, "dirs": dirs, "probes": probes, "report": recorder.report}


signature, probe = _signature, _probe
"""Look-ups `changes` makes, for the unit cache (`faasguard.unit_cache`), which memoises them."""


def _implied(key: str, kind: str, listed: set[str]) -> bool:
    """Whether a probe says nothing the listings of the manifest do not already say (most of a unit's probes:
    the discovery walk's `lstat` of every entry, the import resolution's look-ups of modules that are not
    there). A listing holds each name with whether it is a directory or a link, without following it:

    * an entry of a listed directory found to be a directory or a link without following it (`lstat`);
    * a listed directory found to be a directory (following links: a listing of anything else fails);
    * a path missing below a missing entry of a listed directory (`src/boto3/__init__.py` with no `boto3` in
      `src`): that entry's appearance changes the listing. Checked against the disk now, not assumed.
    """
    path = key[1:]
    if key[0] == "0" and kind in ("dir", "link") and _parent(path) in listed:
        return True
    if key[0] == "1" and kind == "dir" and path in listed:
        return True
    if kind != "missing":
        return False
    child, parent = path, _parent(path)
    while parent != child:
        if parent in listed:
            return _probe(f"0{child}")[0] == "missing"  # the real lstat: not a probe of the scan's
        child, parent = parent, _parent(parent)
    return False


def _parent(path: str) -> str:
    """`os.path.dirname` of a `str` POSIX path, without its `fspath` and separator look-ups: the manifest asks
    it of every probe and of each of their parents (~18,000 calls on the corpus, the manifest's largest cost)."""
    head = path[:path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def still_valid(entry: Mapping[str, Any]) -> bool:
    """Whether every input the entry's scan looked at is as it was (the module docstring says what counts)."""
    changed = first_change(entry)
    if changed is not None:
        log.info("scan cache: %s changed; scanning", changed)
    return changed is None


def first_change(entry: Mapping[str, Any]) -> str | None:
    """The first input of the entry's scan that is no longer as it was, or None when none is."""
    try:
        for _, what in changes(entry):
            return what
    except (TypeError, ValueError, KeyError, IndexError):
        return "the entry's form"
    return None


def changes(entry: Mapping[str, Any], signature_of: Callable[[str], tuple[int, ...] | None] = _signature,
            probe_of: Callable[[str], tuple[str, int]] = _probe,
            dir_signatures: dict[str, tuple[int, ...] | None] | None = None) -> Iterator[tuple[int, str]]:
    """(index in the entry's files, the file) of each changed file, then (-1, what) of the first changed
    directory or probe, if any. The unit cache passes memoised look-ups (`signature_of`, `probe_of`, the
    directory signatures of `same_directory`): the units of one scan share most of their inputs."""
    for index, (path, signature, digest) in enumerate(entry["files"]):
        now = signature_of(path)
        if signature is None or now is None:
            if signature != now:
                yield index, str(path)
            continue
        if list(now) != signature and (digest is None or now[0] != signature[0] or _digest(path) != digest):
            yield index, str(path)
    for path, listing, *signature in entry["dirs"]:
        if not same_directory(path, listing, signature[0] if signature else None, entry["report"], dir_signatures):
            yield -1, f"the entries of {path}"
            return
    for key, kind, size in entry["probes"]:
        if not same_probe(probe_of(key), kind, size):
            yield -1, f"{key[1:]} ({kind} before)"
            return


# ------------------------------------------------------------------------------------------ entries

def _code_fingerprint() -> list[Any]:
    """faasguard's own files (a changed rule must not replay old results, version bump or not) and the
    installed packages (an upgrade changes the site-packages directory's entries, hence its mtime)."""
    installed = []
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            with contextlib.suppress(OSError):
                installed.append((entry, _os_stat(entry).st_mtime_ns))
    return [__version__, CACHE_FORMAT, sys.version, sys.platform, _own_files(), installed]


@functools.cache
def _own_files() -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every file of the faasguard package, walked once per process: a run computes two
    keys (the report's and its units'), and the walk is most of their cost (~15 ms each)."""
    package = Path(__file__).resolve().parent
    own = []
    for directory, subdirs, names in os.walk(package):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            try:
                st = _os_stat(os.path.join(directory, name))
            except OSError:
                continue
            own.append((os.path.relpath(os.path.join(directory, name), package), st.st_size, st.st_mtime_ns))
    return own


def excluded_prefixes() -> tuple[str, ...]:
    """Interpreter and package files: covered by `_code_fingerprint`, not by the manifest. And this cache's own
    directory (entries, units, stored applications, memos): each is checked against its own SHA-256 and
    manifest when it is read, and none is an input of a result -- listing the ~1,100 units a warm run reads
    in every manifest made each later check stat them all for nothing."""
    package = str(Path(__file__).resolve().parent)
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    prefixes |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    return (*sorted(os.path.join(os.path.normpath(p), "") for p in prefixes if p), os.path.join(package, ""),
            os.path.join(os.path.normpath(os.path.abspath(scan_cache_dir())), ""))


def entry_key(parts: Mapping[str, Any]) -> str:
    material = json.dumps([_code_fingerprint(), parts], sort_keys=True, default=repr)
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def read_sealed(path: Path | str) -> dict[str, Any] | None:
    """The JSON object `write_sealed` stored at `path`, or None when it is missing, damaged (its SHA-256 line
    does not match its body) or no object: entries and units are never trusted beyond that check."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    checksum, _, body = raw.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != checksum:
        log.info("scan cache: %s is damaged; ignored", path)
        return None
    try:
        entry = json.loads(body)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def write_sealed(path: Path, entry: Mapping[str, Any]) -> None:
    """Write `entry` as JSON behind the SHA-256 of its body (see `read_sealed`), atomically."""
    body = json.dumps(entry, separators=(",", ":")).encode("utf-8", "surrogateescape")
    write_atomic(path, hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


def read_entry(key: str) -> dict[str, Any] | None:
    """The entry stored under `key` if it is intact and still valid, else None."""
    entry = read_sealed(scan_cache_dir() / f"{key}.json")
    if entry is None or entry.get("key") != key or entry.get("format") != CACHE_FORMAT:
        return None
    if not still_valid(entry):
        return None
    return entry


def write_entry(key: str, inputs: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    write_sealed(scan_cache_dir() / f"{key}.json", {"format": CACHE_FORMAT, "key": key, **inputs, "payload": payload})


def clean() -> int:
    """Remove every stored scan result (`faasguard cache clean`); returns how many."""
    removed = 0
    directory = scan_cache_dir()
    for entry in directory.glob("*.json") if directory.is_dir() else ():
        with contextlib.suppress(OSError):
            entry.unlink()
            removed += 1
    return removed


def inside(directory: Path, roots: Sequence[Path]) -> bool:
    """Whether `directory` lies in (or is) one of the scanned `roots`: a cache there could arrive with the code
    under review, so it is not used."""
    try:
        resolved = directory.resolve()
    except OSError:
        return True
    return any(resolved == root or root in resolved.parents for root in roots)
