"""Layers read as streams, merged into the final filesystem the container sees, without extracting anything.

Each layer is a tar (usually gzip-compressed) applied on top of the previous ones. Only the files the
inventory needs (package databases, `os-release`, Python `METADATA`, npm `package.json`) are kept in memory,
each with the layer that last wrote it; everything else is skipped as it streams past. OCI/Docker whiteouts
are honoured: `.wh.<name>` deletes `<name>` (and everything under it) from the lower layers, and
`.wh..wh..opq` makes its directory opaque (the lower layers' content under it disappears), so a package
removed in a later layer is gone from the inventory.

Limits, because a layer is untrusted input: a layer stops being read once it has unpacked more than
`MAX_LAYER_UNPACKED` bytes, or more than `MAX_RATIO` times its compressed size past the first 64 MiB (a
decompression bomb), or holds more than `MAX_LAYER_MEMBERS` entries; a kept file is never read past its cap. A
member whose path is absolute or climbs out, and a symlink whose target climbs above the image root, are
skipped and counted in one diagnostic per layer. A truncated layer keeps the files read before the break.
"""

from __future__ import annotations

import io
import posixpath
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from faasguard.analysis.images._archive import clean_name

MAX_LAYER_UNPACKED = 10 * 1024 * 1024 * 1024
"""Lambda's limit for an uncompressed container image: no real layer is larger."""
MAX_RATIO = 200
RATIO_FLOOR = 64 * 1024 * 1024
MAX_LAYER_MEMBERS = 1_000_000
MAX_DB_BYTES = 64 * 1024 * 1024
MAX_MANIFEST_BYTES = 2 * 1024 * 1024

_DATABASES = re.compile(
    r"^(?:var/lib/dpkg/status|var/lib/dpkg/status\.d/[^/]+|lib/apk/db/installed|etc/os-release|usr/lib/os-release"
    r"|etc/alpine-release|etc/debian_version|etc/system-release"
    r"|(?:var/lib/rpm|usr/lib/sysimage/rpm)/(?:rpmdb\.sqlite|Packages|Packages\.db))$")
_MANIFESTS = re.compile(
    r"(?:^|/)(?:[^/]+\.dist-info/METADATA|[^/]+\.egg-info/PKG-INFO|[^/]+\.egg-info"
    r"|node_modules/(?:@[^/]+/)?[^/]+/package\.json)$")


def wanted(path: str) -> int:
    """The byte cap of a file the inventory reads, 0 for a file it does not need."""
    if _DATABASES.match(path):
        return MAX_DB_BYTES
    if _MANIFESTS.search(path):
        return MAX_MANIFEST_BYTES
    return 0


class LayerError(Exception):
    """A layer that cannot be read to the end (corrupt, truncated, a bomb, an unsupported compression)."""


class _Inflate(io.RawIOBase):
    """gzip (or plain tar) bytes → tar bytes, counting both sides to stop a decompression bomb early."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw = raw
        self._limit = limit
        head = raw.read(4)
        self._pending = b""
        self.compressed_in = len(head)
        self.out = 0
        if head[:2] == b"\x1f\x8b":
            self._zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._pending = self._zlib.decompress(head)
        elif head == b"\x28\xb5\x2f\xfd":
            raise LayerError("zstd-compressed layer: not supported by this Python (no zstd decoder in the "
                             "standard library before 3.14)")
        else:
            self._zlib = None
            self._pending = head

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if not self._pending and not self._fill():
            return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.out += size
        if self.out > self._limit:
            raise LayerError(f"unpacks to more than {self._limit} bytes (possible decompression bomb)")
        if self.out > RATIO_FLOOR and self.out > MAX_RATIO * max(self.compressed_in, 1):
            raise LayerError(f"compression ratio over {MAX_RATIO}:1 past {RATIO_FLOOR // (1024 * 1024)} MiB "
                             "(possible decompression bomb)")
        return size

    def _fill(self) -> bool:
        """Refill `_pending` with at most 4 MiB of output; False at the end of the stream."""
        while not self._pending:
            decoder = self._zlib
            if decoder is not None and decoder.unconsumed_tail:
                data = decoder.unconsumed_tail
            else:
                if decoder is not None and decoder.eof:
                    return False  # the tar's end-of-archive blocks are inside the gzip member
                data = self._raw.read(256 * 1024)
                if not data:
                    if decoder is not None:
                        raise LayerError("compressed stream ends early (truncated layer)")
                    return False
                self.compressed_in += len(data)
            if decoder is None:
                self._pending = data
                continue
            try:
                self._pending = decoder.decompress(data, 4 * 1024 * 1024)
            except zlib.error as exc:
                raise LayerError(f"corrupt gzip data ({exc})") from None
        return True


@dataclass(slots=True)
class _Entry:
    name: str
    kind: str
    """The tar type flag: "0" file, "1" hard link, "2" symlink, "5" directory..."""
    linkname: str
    size: int
    read: bool = False


class _TarReader:
    """A minimal streaming tar reader (ustar, pax and GNU long names): the standard `tarfile` builds a full
    `TarInfo` per member, which costs ~0.2 ms each, and an image has tens of thousands of members of which the
    inventory needs a few hundred. Unread member data is skipped; a short read is a truncated layer."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._pending: _Entry | None = None

    def _exact(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise LayerError("unexpected end of data (truncated layer)")
        return data

    def _skip(self, size: int) -> None:
        while size > 0:
            chunk = self._stream.read(min(size, 1 << 20))
            if not chunk:
                raise LayerError("unexpected end of data (truncated layer)")
            size -= len(chunk)

    def data(self, entry: _Entry) -> bytes:
        entry.read = True
        data = self._exact(entry.size)
        self._skip(-entry.size % 512)
        return data

    def __iter__(self) -> Iterator[_Entry]:
        pax: dict[str, str] = {}
        long_name = long_link = None
        while True:
            if self._pending is not None and not self._pending.read:
                self._skip(self._pending.size + (-self._pending.size % 512))
            self._pending = None
            header = self._stream.read(512)
            if not header or header == bytes(512):
                return
            if len(header) < 512:
                raise LayerError("unexpected end of data (truncated layer)")
            size_field = header[124:136]
            if size_field[0] & 0x80:
                size = int.from_bytes(size_field[1:], "big")
            else:
                digits = size_field.replace(b"\0", b" ").strip()
                if digits and not digits.isdigit():
                    raise LayerError("invalid tar header (corrupt layer)")
                size = int(digits or b"0", 8)
            kind = chr(header[156]) if header[156] else "0"
            if kind in ("x", "g", "L", "K"):
                body = self._exact(size)
                self._skip(-size % 512)
                if kind == "x":
                    pax = _pax(body)
                elif kind == "L":
                    long_name = body.rstrip(b"\0").decode("utf-8", "surrogateescape")
                elif kind == "K":
                    long_link = body.rstrip(b"\0").decode("utf-8", "surrogateescape")
                continue
            name = header[0:100].split(b"\0", 1)[0]
            if header[257:262] == b"ustar":
                prefix = header[345:500].split(b"\0", 1)[0]
                if prefix:
                    name = prefix + b"/" + name
            entry = _Entry(pax.get("path") or long_name or name.decode("utf-8", "surrogateescape"), kind,
                           pax.get("linkpath") or long_link
                           or header[157:257].split(b"\0", 1)[0].decode("utf-8", "surrogateescape"),
                           int(pax["size"]) if pax.get("size", "").isdigit() else size)
            if entry.kind in ("1", "2", "5"):
                entry.size = 0 if entry.kind != "1" else entry.size
            pax, long_name, long_link = {}, None, None
            self._pending = entry
            yield entry


def _pax(body: bytes) -> dict[str, str]:
    """Records `<length> <key>=<value>\n` of a pax extended header."""
    values: dict[str, str] = {}
    position = 0
    while position < len(body):
        space = body.find(b" ", position)
        if space < 0:
            break
        try:
            length = int(body[position:space])
        except ValueError:
            break
        if length <= 0:
            break
        record = body[space + 1:position + length - 1]
        key, _, value = record.partition(b"=")
        values[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        position += length
    return values


@dataclass
class FileEntry:
    layer: int
    data: bytes | None = None
    """Content of a kept regular file; None for a link."""
    link: str | None = None
    """Normalised target path of a symlink or hard link."""


@dataclass
class LayerReport:
    """What went wrong in one layer, for located diagnostics."""

    index: int
    error: str | None = None
    escaping: list[str] = field(default_factory=list)
    """Members whose path or symlink target leaves the image root."""
    oversized: list[str] = field(default_factory=list)


@dataclass
class _Layer:
    """What one layer adds and deletes, collected while it streams."""

    index: int
    report: LayerReport
    added: dict[str, FileEntry]
    removed: list[str]
    opaque: list[str]


@dataclass
class Filesystem:
    """The merged view of the kept files after every layer."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    history: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    """Every version of each package database, per layer that wrote it (to tell which layer added a
    package)."""
    reports: list[LayerReport] = field(default_factory=list)

    def read(self, path: str, depth: int = 0) -> tuple[bytes, int] | None:
        """Content and writing layer of a kept file, following links inside the image."""
        entry = self.files.get(path)
        if entry is None or depth > 16:
            return None
        if entry.link is not None:
            return self.read(entry.link, depth + 1)
        return (entry.data, entry.layer) if entry.data is not None else None

    def apply(self, index: int, stream: IO[bytes]) -> LayerReport:
        report = LayerReport(index)
        added: dict[str, FileEntry] = {}
        removed: list[str] = []
        opaque: list[str] = []
        try:
            reader = _TarReader(io.BufferedReader(_Inflate(stream, MAX_LAYER_UNPACKED), 1 << 20))
            for count, entry in enumerate(reader, 1):
                if count > MAX_LAYER_MEMBERS:
                    raise LayerError(f"more than {MAX_LAYER_MEMBERS} entries")
                self._member(reader, entry, _Layer(index, report, added, removed, opaque))
        except LayerError as exc:
            report.error = str(exc)
        except (OSError, zlib.error, ValueError) as exc:
            report.error = f"truncated or corrupt layer ({exc or type(exc).__name__})"
        # whiteouts delete from the layers below; this layer's own entries are added after
        if removed or opaque:
            prefixes = tuple(p + "/" for p in removed + opaque)
            exact = set(removed)
            for store in (self.files, self.history):
                for path in [p for p in store if p in exact or p.startswith(prefixes)]:
                    del store[path]
        for path, kept in added.items():
            self.files[path] = kept
            if kept.data is not None and _DATABASES.match(path):
                self.history.setdefault(path, []).append((index, kept.data))
        self.reports.append(report)
        return report

    def _member(self, reader: _TarReader, entry: _Entry, state: _Layer) -> None:
        index, report, added, removed, opaque = state.index, state.report, state.added, state.removed, state.opaque
        path = clean_name(entry.name)
        if path is None:
            report.escaping.append(entry.name)
            return
        if not path:
            return
        directory, base = posixpath.split(path)
        if base.startswith(".wh."):
            if base == ".wh..wh..opq":
                opaque.append(directory)
            else:
                removed.append(posixpath.join(directory, base[4:]))
            return
        if entry.kind == "5":
            added.pop(path, None)
            return
        if entry.kind in ("1", "2"):
            target = entry.linkname
            if entry.kind == "2" and not target.startswith("/"):
                target = posixpath.join(directory, target)
            # an absolute target is inside the image (`/` is the image root); a relative one may climb out
            resolved = (posixpath.normpath(target).lstrip("/") if target.startswith("/")
                        else clean_name(posixpath.normpath(target)))
            if resolved is None:
                report.escaping.append(f"{path} -> {entry.linkname}")
                return
            if wanted(path) or wanted(resolved):
                added[path] = FileEntry(index, link=resolved)
            return
        if entry.kind not in ("0", "\0", "7", ""):
            return
        cap = wanted(path)
        if not cap:
            return
        if entry.size > cap:
            report.oversized.append(path)
            return
        added[path] = FileEntry(index, reader.data(entry))
