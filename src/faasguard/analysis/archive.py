"""Function packages committed as zips (`filename = "app.zip"`, `CodeUri: app.zip`, `package.artifact`): naming
their members, finding the handler among them, and reading them in memory.

A member is named `<zip>!/<path in the zip>` (the `jar:` URL spelling Java tools and editors already use), so a
finding in `build/app.zip`'s `app.py` reads `build/app.zip!/app.py:12`. Such a path names no file on disk: every
reader of a member (the loaders looking for the handler, the code analysis, report snippets, suppression
comments) goes through this module, which opens the archive with the dependency inventory's `ZipTree` -- the
one zip reader of the scanner: members listed from the central directory, nothing extracted, entry-count,
total-size and compression-ratio limits, entries whose path leaves the archive skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from faasguard.analysis.deps._tree import ZipTree

SEPARATOR = "!/"
_ARCHIVE_SUFFIXES = (".zip", ".jar")

__all__ = ["SEPARATOR", "ZipTree", "find_member", "is_archive", "member_path", "open_archive", "read_member",
           "split_member"]


def member_path(archive: str | Path, member: str) -> str:
    return f"{archive}{SEPARATOR}{member}"


_MEMBER = re.compile(r"!/")


def split_member(path: str) -> tuple[str, str] | None:
    """(archive path, member) of a member path, None for an ordinary path.

    The split is at the first `!/` whose left side names an archive, so a directory called `a!` on the way to
    the zip (legal on POSIX) does not cut the path short."""
    for match in _MEMBER.finditer(path):
        archive, member = path[:match.start()], path[match.end():]
        if member and archive.lower().endswith(_ARCHIVE_SUFFIXES):
            return archive, member
    return None


def is_archive(path: Path) -> bool:
    """A regular file named like a package zip (a directory named `app.zip` is a directory)."""
    try:
        return path.suffix.lower() in _ARCHIVE_SUFFIXES and path.is_file()
    except OSError:
        return False


def open_archive(path: Path, display: str) -> ZipTree:
    """The archive read through the shared limits; its refusals are in `tree.diagnostics`. Close it when done."""
    return ZipTree(path, display)


def find_member(archive: Path, candidates: Iterable[str]) -> str | None:
    """The member path of the first candidate (a path inside the zip) that the archive holds; None when the
    archive holds none of them or cannot be read (the dependency inventory reports why)."""
    tree = open_archive(archive, archive.name)
    try:
        for candidate in candidates:
            rel = candidate.strip("/")
            if tree.is_file(rel):
                return member_path(archive, rel)
        return None
    finally:
        tree.close()


def read_member(path: str, max_bytes: int, cwd: Path | None = None) -> bytes | None:
    """The bytes of the member `path` names (relative paths against `cwd`), None when it is not a member path,
    the archive or member cannot be read, or the member is over `max_bytes`: callers then degrade as they do for
    a missing file (no snippet, no suppression comment)."""
    parts = split_member(path)
    if parts is None:
        return None
    archive = Path(parts[0]) if os.path.isabs(parts[0]) else (cwd or Path.cwd()) / parts[0]
    if not is_archive(archive):
        return None
    tree = open_archive(archive, parts[0])
    try:
        size = tree.size(parts[1])
        if size is None or size > max_bytes:
            return None
        return tree.read(parts[1], max_bytes)
    finally:
        tree.close()
