"""The user cache directory and atomic, best-effort cache files, shared by every component that keeps derived
data between runs (the compact IAM catalog, botocore operation tables, the OSV advisory database).

Caches hold only data we derived ourselves from installed packages or downloads: a failure to read or write one
is never an error, only a slower run.
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """Where derived data lives, by each platform's convention (what platformdirs' user cache dir gives,
    without the dependency): `$FAASGUARD_CACHE_DIR` when set; on Windows `%LOCALAPPDATA%\\faasguard\\Cache`;
    on macOS `~/Library/Caches/faasguard`; elsewhere `$XDG_CACHE_HOME/faasguard`, else `~/.cache/faasguard`."""
    if os.environ.get("FAASGUARD_CACHE_DIR"):
        return Path(os.environ["FAASGUARD_CACHE_DIR"])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "faasguard" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "faasguard"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faasguard"


_DISTRUSTED: list[bool] = []
"""Non-empty while the scan in progress has the cache directory inside a path it scans."""


def distrust_if_inside(scanned: list[Path]) -> None:
    """Stop reading and writing derived data for this process when the cache directory lies inside a scanned
    path: files there could arrive with the code under review (a planted catalog or operation table would be
    loaded as ours), and a scan must not write into the tree it reviews. Everything is then derived in memory:
    slower, never wrong."""
    _DISTRUSTED.clear()
    try:
        here = cache_dir().resolve()
    except (OSError, RuntimeError):
        return
    if any(here == root or root in here.parents for root in scanned):
        _DISTRUSTED.append(True)


def prune_siblings(keep: Path, pattern: str) -> int:
    """Remove the cache entries matching `pattern` (a glob in `keep`'s directory) other than `keep`: the files
    or directories an earlier faasguard, policy-sentry or botocore version wrote, which nothing reads again.
    Called right after `keep` is written, so only a version change prunes. Best-effort; returns how many."""
    import shutil

    removed = 0
    try:
        candidates = list(keep.parent.glob(pattern))
    except OSError:
        return 0
    for entry in candidates:
        if entry == keep or entry.name.startswith("."):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def write_atomic(path: Path, payload: bytes) -> None:
    """Temp file + rename, so concurrent scans never read half a file; OS errors are swallowed."""
    if _DISTRUSTED:
        return
    import tempfile  # only a scan that writes its cache pays for tempfile (random, shutil, bz2, lzma)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def read_marshal(path: Path) -> Any:
    """A cache file we wrote with `write_marshal`, or None when missing or unreadable."""
    if _DISTRUSTED:
        return None
    try:
        # Our own file in the user's cache dir; marshal only yields plain containers and scalars.
        return marshal.loads(path.read_bytes())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write_marshal(path: Path, data: Any) -> None:
    write_atomic(path, marshal.dumps(data))
