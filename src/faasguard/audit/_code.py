"""`--with-code`: a function's deployment package, downloaded and unpacked safely for the code analysis.

The package comes from the presigned `Code.Location` URL `GetFunction` returns. Unpacking follows DESIGN.md
"The scanner is attack surface too": size caps on the download and on what it unpacks (zip bombs), no member
outside the destination (zip slip: absolute paths, `..`, drive letters), no symlinks, a member-count cap. The
destination is a private directory (mode 0700) the caller removes once the unit's analysis is done.
"""

from __future__ import annotations

import os
import stat
import zipfile
from io import BytesIO
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

MAX_DOWNLOAD = 80 * 1024 * 1024
"""Bytes of one package we download (Lambda's direct-upload limit is 50 MB zipped)."""
MAX_UNPACKED = 250 * 1024 * 1024
"""Bytes we unpack from one package (Lambda's own unzipped limit is 250 MB)."""
MAX_MEMBERS = 20_000
MAX_RATIO = 200
"""Largest compression ratio of one member before it is treated as a bomb."""


class UnsafeArchive(Exception):  # noqa: N818 - a verdict on the input, read as "unsafe archive: why"
    """The package is not a zip we are willing to unpack; the message says why."""


def s3_object(location: str) -> tuple[str, str] | None:
    """(bucket, key) of an S3 virtual-host URL (`https://B.s3.R.amazonaws.com/K`), else None.

    AWS returns `Code.Location` presigned for the caller; an emulator (moto, LocalStack) returns the same
    shape unsigned and unreachable, so with `--endpoint-url` the audit presigns a GetObject of that bucket and
    key on the endpoint with its own credentials instead."""
    parts = urlsplit(location)
    host = parts.hostname or ""
    if not host.endswith(".amazonaws.com") or ".s3." not in host or not parts.path.strip("/"):
        return None
    return host.split(".s3.", 1)[0], unquote(parts.path.lstrip("/"))


def download(url: str, max_bytes: int = MAX_DOWNLOAD, timeout: float = 60.0) -> bytes:
    import urllib.request

    scheme = urlsplit(url).scheme
    if scheme not in ("https", "http"):
        raise UnsafeArchive(f"code location is not an HTTP(S) URL ({scheme or 'no scheme'})")
    request = urllib.request.Request(url, headers={"User-Agent": "faasguard-audit"})  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        data: bytes = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafeArchive(f"package larger than {max_bytes // (1024 * 1024)} MB; not downloaded")
    return data


def unpack(data: bytes, dest: Path, max_unpacked: int = MAX_UNPACKED) -> None:
    """Unpack a zip into `dest` (created 0700), refusing anything that could escape it or explode."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnsafeArchive(f"not a zip file ({exc})") from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UnsafeArchive(f"{len(members)} members (more than {MAX_MEMBERS})")
        total = sum(m.file_size for m in members)
        if total > max_unpacked:
            raise UnsafeArchive(f"unpacks to {total} bytes (more than {max_unpacked})")
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        root = dest.resolve()
        for member in members:
            name = member.filename.replace("\\", "/")
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
                raise UnsafeArchive(f"member {name!r} points outside the package")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise UnsafeArchive(f"member {name!r} is a symbolic link")
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO \
                    and member.file_size > 1024 * 1024:
                raise UnsafeArchive(f"member {name!r} compresses {member.file_size // member.compress_size}:1")
            target = (root / pure).resolve()
            if not target.is_relative_to(root):
                raise UnsafeArchive(f"member {name!r} points outside the package")
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with archive.open(member) as source, open(target, "wb") as sink:
                    while chunk := source.read(1024 * 1024):
                        written += len(chunk)
                        if written > member.file_size:
                            raise UnsafeArchive(f"member {name!r} is larger than its header says")
                        sink.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise UnsafeArchive(f"member {name!r} is corrupt ({exc})") from exc
            os.chmod(target, 0o600)


def handler_file(code_dir: Path, handler: str | None, runtime: str | None) -> tuple[str | None, str | None]:
    """(handler module path, handler function) for a Python handler string `pkg/mod.func` or a Node.js one
    `dir/index.handler` (the deployed package holds what Lambda loads: `.js`, `.mjs` or `.cjs`), when present."""
    language = runtime or ""
    if not handler or "." not in handler or not language.startswith(("python", "nodejs")):
        return None, None
    module, function = handler.rsplit(".", 1)
    if language.startswith("nodejs"):
        found = next((code_dir / (module + s) for s in (".js", ".mjs", ".cjs") if (code_dir / (module + s)).is_file()),
                     None)
        return (str(found), function) if found is not None else (None, function)
    candidate = code_dir / (module.replace(".", "/") + ".py")
    return (str(candidate), function) if candidate.is_file() else (None, function)
