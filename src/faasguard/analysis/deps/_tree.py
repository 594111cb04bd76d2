"""A read-only view of a function package or layer: a directory on disk, or a zip read in memory.

Layers and packages are often zips (`ContentUri: layers/deps.zip`). Nothing is ever extracted: members are listed
from the central directory and the few manifests we need are decompressed into memory, with limits, because a
zip in a pull request is untrusted input:

* more than `MAX_MEMBERS` entries, or more than `MAX_UNPACKED` bytes declared in total (Lambda's own limit for an
  unzipped package is 250 MB, so a larger archive cannot be a real layer), and the archive is refused;
* a member whose name is absolute or climbs out with `..` is refused (path traversal), and so is a member whose
  compression ratio is above `MAX_RATIO` (zip bomb); the rest of the archive is still read;
* a member is never read past `max_bytes`, whatever its header claims.

A directory is walked without following symlinks that leave it, and only where manifests live (top level,
`python/`, `nodejs/`, site-packages, node_modules), never recursively through the whole tree.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from faasguard._record import record
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.safeio import FileRefusedError, open_regular, read_regular

MAX_MEMBERS = 100_000
MAX_UNPACKED = 250 * 1024 * 1024
MAX_RATIO = 100
MAX_MANIFEST_BYTES = 20 * 1024 * 1024
COMPONENT = "dependencies"


@record(frozen=False, slots=False)
class Tree:
    """Base: `root_display` names the directory or zip in reports."""

    root_display: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def listdir(self, rel: str) -> list[tuple[str, bool]]:
        """Entries of the directory `rel` ("" = root) as (name, is_dir)."""
        raise NotImplementedError

    def read(self, rel: str, max_bytes: int = MAX_MANIFEST_BYTES) -> bytes | None:
        raise NotImplementedError

    def is_dir(self, rel: str) -> bool:
        raise NotImplementedError

    def display(self, rel: str) -> str:
        raise NotImplementedError

    def location(self, rel: str, line: int = 1) -> Location:
        raise NotImplementedError

    def files(self, rel: str) -> Iterator[str]:
        for name, is_dir in self.listdir(rel):
            if not is_dir:
                yield join(rel, name)

    def dirs(self, rel: str) -> Iterator[str]:
        for name, is_dir in self.listdir(rel):
            if is_dir:
                yield join(rel, name)

    def _diag(self, kind: DiagnosticKind, message: str, rel: str | None = None,
              level: DiagnosticLevel = DiagnosticLevel.WARNING) -> None:
        where = self.location(rel) if rel is not None else Location(self.root_display)
        self.diagnostics.append(Diagnostic(kind, message, where, level, COMPONENT))


def join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


class DirTree(Tree):
    def __init__(self, root: Path, root_display: str, max_bytes: int = MAX_MANIFEST_BYTES) -> None:
        super().__init__(root_display)
        self.root = root
        self.real_root = root.resolve()
        self.max_bytes = max_bytes

    def _path(self, rel: str) -> Path | None:
        path = self.root / rel if rel else self.root
        try:
            if path.is_symlink() and not path.resolve().is_relative_to(self.real_root):
                return None
        except OSError:
            return None
        return path

    def listdir(self, rel: str) -> list[tuple[str, bool]]:
        path = self._path(rel)
        if path is None:
            return []
        entries: list[tuple[str, bool]] = []
        try:
            with os.scandir(path) as it:
                for entry in it:
                    try:
                        if entry.is_symlink():
                            target = Path(entry.path).resolve()
                            if not target.is_relative_to(self.real_root):
                                continue
                            entries.append((entry.name, target.is_dir()))
                        else:
                            entries.append((entry.name, entry.is_dir(follow_symlinks=False)))
                    except OSError:
                        continue
        except OSError:
            return []
        return sorted(entries)

    def is_dir(self, rel: str) -> bool:
        path = self._path(rel)
        return path is not None and path.is_dir()

    def read(self, rel: str, max_bytes: int = MAX_MANIFEST_BYTES) -> bytes | None:
        path = self._path(rel)
        if path is None:
            return None
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                return None
            if st.st_size > min(max_bytes, self.max_bytes):
                self._diag(DiagnosticKind.PARSE_ERROR, f"{self.display(rel)} is {st.st_size} bytes, over the "
                           f"{min(max_bytes, self.max_bytes)}-byte limit for a manifest; not read", rel)
                return None
            return read_regular(path, min(max_bytes, self.max_bytes))
        except OSError as exc:
            self._diag(DiagnosticKind.PARSE_ERROR, f"cannot read {self.display(rel)}: {exc.strerror}", rel)
            return None

    def display(self, rel: str) -> str:
        return f"{self.root_display.rstrip('/')}/{rel}" if rel else self.root_display

    def location(self, rel: str | None, line: int = 1) -> Location:
        return Location(self.display(rel or ""), line)


class ZipTree(Tree):
    """A zip read in memory. Findings inside point at the zip itself (line 1) and name the member, because a
    report line inside an archive member is not something an editor or code scanning can open."""

    def __init__(self, path: Path, root_display: str) -> None:
        super().__init__(root_display)
        self._zip: zipfile.ZipFile | None = None
        self._handle: BinaryIO | None = None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._children: dict[str, dict[str, bool]] = {"": {}}
        self._open(path)

    def _open(self, path: Path) -> None:
        try:
            self._handle = open_regular(path)  # a FIFO or device named app.zip is refused, not waited on
            zf = zipfile.ZipFile(self._handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, FileRefusedError) else exc
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.root_display} is not a readable zip: {reason}")
            self.close()
            return
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.root_display} has {len(infos)} entries, over the "
                       f"{MAX_MEMBERS} limit; its dependencies were not inventoried")
            zf.close()
            self.close()
            return
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNPACKED:
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.root_display} unpacks to {declared} bytes, over "
                       f"Lambda's 250 MB limit for an unzipped package (possible zip bomb); its dependencies "
                       f"were not inventoried")
            zf.close()
            self.close()
            return
        traversal = []
        for info in infos:
            name = info.filename.replace("\\", "/")
            pure = PurePosixPath(name)
            if name.startswith("/") or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
                traversal.append(info.filename)
                continue
            parts = [p for p in pure.parts if p not in ("", ".")]
            if not parts:
                continue
            is_dir = info.is_dir()
            for depth, part in enumerate(parts):
                parent = "/".join(parts[:depth])
                if depth < len(parts) - 1 or is_dir:
                    self._children[parent][part] = True
                    self._children.setdefault("/".join(parts[:depth + 1]), {})
                else:
                    self._children[parent].setdefault(part, False)
            if not is_dir:
                self._infos["/".join(parts)] = info
        if traversal:
            shown = ", ".join(repr(t) for t in traversal[:3]) + (" ..." if len(traversal) > 3 else "")
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.root_display} holds {len(traversal)} entr"
                       f"{'y' if len(traversal) == 1 else 'ies'} whose path leaves the archive ({shown}): a "
                       f"path-traversal archive; those entries were skipped")
        self._zip = zf

    def listdir(self, rel: str) -> list[tuple[str, bool]]:
        return sorted(self._children.get(rel, {}).items())

    def is_dir(self, rel: str) -> bool:
        return rel in self._children

    def read(self, rel: str, max_bytes: int = MAX_MANIFEST_BYTES) -> bytes | None:
        info = self._infos.get(rel)
        if info is None or self._zip is None:
            return None
        if info.flag_bits & 0x1:
            self._diag(DiagnosticKind.UNSUPPORTED, f"{self.display(rel)} is encrypted; not read", rel,
                       DiagnosticLevel.NOTE)
            return None
        if info.file_size > max_bytes:
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.display(rel)} is {info.file_size} bytes, over the "
                       f"{max_bytes}-byte limit for a manifest; not read", rel)
            return None
        if info.file_size > 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.display(rel)} has a compression ratio over "
                       f"{MAX_RATIO}:1 (possible zip bomb); not read", rel)
            return None
        try:
            with self._zip.open(info) as handle:
                data = handle.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
            self._diag(DiagnosticKind.PARSE_ERROR, f"cannot read {self.display(rel)}: {exc}", rel)
            return None
        if len(data) > max_bytes:
            self._diag(DiagnosticKind.PARSE_ERROR, f"{self.display(rel)} unpacks past its declared size "
                       f"(possible zip bomb); not read", rel)
            return None
        return data

    def is_file(self, rel: str) -> bool:
        """Whether `rel` is a member we would read (entries whose path leaves the archive are not members)."""
        return rel in self._infos

    def size(self, rel: str) -> int | None:
        """The declared unpacked size of member `rel`, None when there is no such member."""
        info = self._infos.get(rel)
        return info.file_size if info is not None else None

    def display(self, rel: str) -> str:
        return f"{self.root_display}!/{rel}" if rel else self.root_display

    def location(self, rel: str | None, line: int = 1) -> Location:
        return Location(self.root_display, 1)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def open_tree(path: Path, display: str) -> Tree | None:
    """A directory or a zip; None (with no diagnostic) when the path is neither."""
    try:
        if path.is_dir():
            return DirTree(path, display)
        if path.is_file() and (path.suffix.lower() in (".zip", ".jar") or zipfile.is_zipfile(path)):
            return ZipTree(path, display)
    except OSError:
        return None
    return None
