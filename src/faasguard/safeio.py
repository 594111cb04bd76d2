"""The one way the scanner opens a file it did not write: regular files only, with a size cap.

A pull request controls every name and every inode under the scanned tree. A FIFO called `template.yaml` blocks a
plain `open()` forever, a symlink to `/dev/zero` is an endless file, and a size checked with `stat()` before the
open describes whatever the name pointed at *then*, not what is being read. So every read here:

* opens with `O_NONBLOCK` (opening a FIFO without a writer returns at once instead of waiting) and `O_NOCTTY`;
* decides on the *opened descriptor* (`fstat`) that it is a regular file — the only check that cannot be raced;
* stops reading at the cap even when the file grows while it is read.

A `stat()` before the open is kept only as a pre-filter, so that a device node is not even opened (opening some
devices has side effects); it is never what makes a file acceptable.

Refusals raise `FileRefusedError`, an `OSError` whose `strerror` is a sentence for a diagnostic, so callers that already
turn `OSError` into a located diagnostic handle it without a new branch.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


class FileRefusedError(OSError):
    """The path is not a regular file, or is larger than the cap: not read, and not an internal error."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_special(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise FileRefusedError(errno.EINVAL, f"{_kind(mode)}, not a regular file; not read")


def _too_large(size: int | None, max_bytes: int) -> FileRefusedError:
    shown = f"{size / 1e6:.1f} MB" if size is not None else "larger than that"
    return FileRefusedError(errno.EFBIG, f"file is {shown}, above the {max_bytes / 1e6:.0f} MB limit; not read")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """A binary reader on `path` if, once opened, it is a regular file. Raises `FileRefusedError` otherwise and
    `OSError` when it cannot be opened. Symlinks are followed: callers decide beforehand where they may point."""
    _refuse_special(os.stat(path).st_mode)  # pre-filter only: keeps device nodes from being opened at all
    fd = os.open(path, _FLAGS)
    try:
        _refuse_special(os.fstat(fd).st_mode)  # the check that counts: on what was actually opened
        # A regular file ignores O_NONBLOCK for reads; cleared anyway so nothing downstream sees EAGAIN.
        os.set_blocking(fd, True)
        return open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """All of `path`'s bytes, if it is a regular file of at most `max_bytes` (checked on the descriptor, and again
    while reading, so a file that grows past the cap is refused rather than read without end)."""
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(None, max_bytes)
    return data


def read_head(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most the first `limit` bytes of a regular file (discovery sniffing: never more, whatever the size)."""
    with open_regular(path) as handle:
        return handle.read(limit)


def is_regular(path: Path) -> bool:
    """True when `path` (symlinks followed) names a regular file; False for anything else, errors included.
    A hint for discovery, never a reason to trust a later open."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False
