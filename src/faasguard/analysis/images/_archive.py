"""Image containers on disk: a `docker save` tarball, an OCI image layout directory, or an OCI archive (a tar of
a layout). Only the metadata (manifest.json, index.json, the manifest and config blobs) is parsed here; layers
are handed to `_layers` as streams.

Everything here is untrusted input from the scanned tree: a blob name from a manifest is used only when it is a
plain relative path inside the archive or layout (never `..`, never absolute, never through a symlink that
leaves the layout), JSON documents are capped at `MAX_JSON_BYTES`, and an archive with more than
`MAX_OUTER_MEMBERS` members is refused before anything is read.
"""

from __future__ import annotations

import json
import posixpath
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from faasguard._record import record

MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_OUTER_MEMBERS = 100_000
MAX_LAYERS = 256
_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json")


class ImageFormatError(Exception):
    """The input is not a readable image; the message says what is wrong, for a diagnostic."""


@record
class LayerRef:
    blob: str
    """Path of the layer inside the archive or layout."""
    digest: str | None
    """The blob's digest when the manifest names it (OCI), else the diff id from the config."""
    media_type: str | None = None


@dataclass
class ImageRecord:
    """One image found in the container file, before its layers are read."""

    config: dict[str, Any]
    layers: list[LayerRef]
    repo_tags: list[str] = field(default_factory=list)
    manifest_digest: str | None = None
    config_digest: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Source:
    """Read-only access to the members of an archive or the files of a layout, by relative path."""

    display: str

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        raise NotImplementedError
        yield  # pragma: no cover

    def size(self, name: str) -> int | None:
        raise NotImplementedError

    def read_json(self, name: str) -> Any:
        size = self.size(name)
        if size is None:
            raise ImageFormatError(f"{name} is missing")
        if size > MAX_JSON_BYTES:
            raise ImageFormatError(f"{name} is {size} bytes, over the {MAX_JSON_BYTES}-byte limit for image "
                                   "metadata")
        with self.open(name) as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ImageFormatError(f"{name} is not valid JSON ({exc})") from None

    def close(self) -> None:
        """Release the underlying file (tar sources)."""


def clean_name(name: str) -> str | None:
    """A member name as a relative POSIX path, or None when it is absolute or climbs out with `..`."""
    name = name.replace("\\", "/")
    if name.startswith("/"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts)


class TarSource(Source):
    def __init__(self, path: Path, display: str) -> None:
        self.display = display
        try:
            self._tar = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ImageFormatError(f"not a readable tar archive ({exc})") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            for count, member in enumerate(self._tar, 1):
                if count > MAX_OUTER_MEMBERS:
                    raise ImageFormatError(f"more than {MAX_OUTER_MEMBERS} members; not an image archive")
                name = clean_name(member.name)
                if name is not None and (member.isfile() or member.issym() or member.islnk()):
                    self._members[name] = member
        except (tarfile.TarError, OSError, EOFError, zlib_error()) as exc:
            self._tar.close()
            raise ImageFormatError(f"the archive is truncated or corrupt ({exc})") from None

    def _member(self, name: str, depth: int = 0) -> tarfile.TarInfo | None:
        member = self._members.get(name)
        if member is None or depth > 8:
            return None
        if member.isfile():
            return member
        base = posixpath.dirname(name) if member.issym() else ""
        target = clean_name(posixpath.normpath(posixpath.join(base, member.linkname)))
        return self._member(target, depth + 1) if target else None

    def exists(self, name: str) -> bool:
        return self._member(name) is not None

    def size(self, name: str) -> int | None:
        member = self._member(name)
        return member.size if member else None

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        member = self._member(name)
        handle = self._tar.extractfile(member) if member else None
        if handle is None:
            raise ImageFormatError(f"{name} is missing")
        try:
            yield handle
        finally:
            handle.close()

    def names(self) -> list[str]:
        return list(self._members)

    def close(self) -> None:
        self._tar.close()


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


class DirSource(Source):
    """An OCI layout directory; nothing outside it is opened, whatever a symlink in it says."""

    def __init__(self, root: Path, display: str) -> None:
        self.display = display
        self._root = root.resolve()

    def _path(self, name: str) -> Path | None:
        clean = clean_name(name)
        if not clean:
            return None
        path = self._root / clean
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self._root) or not resolved.is_file():
            return None
        return resolved

    def exists(self, name: str) -> bool:
        return self._path(name) is not None

    def size(self, name: str) -> int | None:
        path = self._path(name)
        try:
            return path.stat().st_size if path else None
        except OSError:
            return None

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        path = self._path(name)
        if path is None:
            raise ImageFormatError(f"{name} is missing")
        with path.open("rb") as handle:
            yield handle


def open_source(path: Path, display: str) -> tuple[Source, str]:
    """The source and its format name: "docker-save", "oci-archive" or "oci-layout"."""
    if path.is_dir():
        source: Source = DirSource(path, display)
        if not source.exists("index.json"):
            raise ImageFormatError("directory has no index.json; not an OCI image layout")
        return source, "oci-layout"
    tar = TarSource(path, display)
    if tar.exists("manifest.json"):
        return tar, "docker-save"
    if tar.exists("index.json"):
        return tar, "oci-archive"
    tar.close()
    raise ImageFormatError("archive has neither manifest.json (docker save) nor index.json (OCI); not an image")


def _blob_path(digest: Any) -> str:
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ImageFormatError(f"invalid digest {str(digest)[:80]!r}")
    algorithm, value = digest.split(":", 1)
    return f"blobs/{algorithm}/{value}"


def read_images(source: Source, kind: str, architectures: tuple[str, ...] = ()) -> list[ImageRecord]:
    if kind == "docker-save":
        return _docker_save(source)
    return _oci(source, architectures)


def _config_history(config: dict[str, Any]) -> None:
    if not isinstance(config.get("history"), list):
        config["history"] = []


def _docker_save(source: Source) -> list[ImageRecord]:
    manifest = source.read_json("manifest.json")
    if not isinstance(manifest, list) or not manifest:
        raise ImageFormatError("manifest.json is not a non-empty list of images")
    digests: dict[str, str] = {}
    if source.exists("index.json"):
        # docker 25+ writes an OCI index beside manifest.json: it knows each image's manifest digest
        try:
            for descriptor in _descriptors(source.read_json("index.json")):
                digest = descriptor.get("digest")
                if descriptor.get("mediaType") in _INDEX_TYPES:
                    continue
                try:
                    manifest_doc = source.read_json(_blob_path(digest))
                except ImageFormatError:
                    continue
                config_digest = (manifest_doc.get("config") or {}).get("digest") if isinstance(manifest_doc,
                                                                                               dict) else None
                if isinstance(config_digest, str) and isinstance(digest, str):
                    digests[config_digest] = digest
        except ImageFormatError:
            pass
    records = []
    for number, entry in enumerate(manifest):
        if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str) \
                or not isinstance(entry.get("Layers"), list):
            raise ImageFormatError(f"manifest.json entry {number} has no Config/Layers")
        config_name = clean_name(entry["Config"])
        if not config_name:
            raise ImageFormatError(f"manifest.json names config {entry['Config']!r} outside the archive")
        config = source.read_json(config_name)
        if not isinstance(config, dict):
            raise ImageFormatError(f"{config_name} is not an image config object")
        _config_history(config)
        diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
        layers = []
        if len(entry["Layers"]) > MAX_LAYERS:
            raise ImageFormatError(f"{len(entry['Layers'])} layers, over the {MAX_LAYERS} limit")
        for index, name in enumerate(entry["Layers"]):
            clean = clean_name(str(name))
            if not clean:
                raise ImageFormatError(f"manifest.json names layer {name!r} outside the archive")
            diff_id = diff_ids[index] if index < len(diff_ids) and isinstance(diff_ids[index], str) else None
            blob_digest = "sha256:" + clean.rsplit("/", 1)[-1] if clean.startswith("blobs/sha256/") else None
            layers.append(LayerRef(clean, blob_digest or diff_id))
        config_digest = ("sha256:" + config_name.rsplit("/", 1)[-1].removesuffix(".json")
                         if re.search(r"[0-9a-f]{64}(\.json)?$", config_name) else None)
        tags = [t for t in entry.get("RepoTags") or [] if isinstance(t, str)]
        records.append(ImageRecord(config, layers, tags, digests.get(config_digest or ""), config_digest))
    return records


def _descriptors(index: Any) -> list[dict[str, Any]]:
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise ImageFormatError("index.json has no `manifests` list")
    return [d for d in index["manifests"] if isinstance(d, dict)]


def _oci(source: Source, architectures: tuple[str, ...]) -> list[ImageRecord]:
    records = []
    for descriptor in _descriptors(source.read_json("index.json")):
        records.extend(_from_descriptor(source, descriptor, architectures, depth=0, names=[]))
    if not records:
        raise ImageFormatError("index.json lists no image manifest")
    return records


def _ref_names(annotations: dict[str, Any]) -> list[str]:
    names = []
    for key in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
        value = annotations.get(key)
        if isinstance(value, str) and value:
            names.append(value)
    return names


def _from_descriptor(source: Source, descriptor: dict[str, Any], architectures: tuple[str, ...], depth: int,
                     names: list[str]) -> list[ImageRecord]:
    if depth > 4:
        raise ImageFormatError("image index nesting too deep")
    annotations: dict[str, Any] = descriptor["annotations"] if isinstance(descriptor.get("annotations"), dict) else {}
    names = names + [n for n in _ref_names(annotations) if n not in names]
    document = source.read_json(_blob_path(descriptor.get("digest")))
    if not isinstance(document, dict):
        raise ImageFormatError(f"{descriptor.get('digest')} is not a manifest object")
    media_type = document.get("mediaType") or descriptor.get("mediaType")
    if media_type in _INDEX_TYPES or (isinstance(document.get("manifests"), list) and "layers" not in document):
        children = _descriptors(document)
        chosen = _pick_platform(children, architectures)
        notes = []
        if len(children) > 1 and chosen:
            platform = chosen[0].get("platform") or {}
            notes.append(f"multi-platform image: read the {platform.get('os', '?')}/"
                         f"{platform.get('architecture', '?')} manifest of {len(children)}")
        result = []
        for child in chosen:
            for record in _from_descriptor(source, child, architectures, depth + 1, names):
                record.notes.extend(notes)
                result.append(record)
        return result
    config_descriptor = document.get("config")
    if not isinstance(config_descriptor, dict):
        raise ImageFormatError(f"manifest {descriptor.get('digest')} has no config descriptor")
    config = source.read_json(_blob_path(config_descriptor.get("digest")))
    if not isinstance(config, dict):
        raise ImageFormatError("the image config is not an object")
    _config_history(config)
    layers = []
    raw_layers = document.get("layers") or []
    if len(raw_layers) > MAX_LAYERS:
        raise ImageFormatError(f"{len(raw_layers)} layers, over the {MAX_LAYERS} limit")
    for layer in raw_layers:
        if not isinstance(layer, dict):
            raise ImageFormatError("a layer descriptor is not an object")
        layers.append(LayerRef(_blob_path(layer.get("digest")), str(layer.get("digest")), layer.get("mediaType")))
    manifest_annotations: dict[str, Any] = (document["annotations"] if isinstance(document.get("annotations"), dict)
                                            else {})
    merged = {k: str(v) for k, v in {**manifest_annotations, **annotations}.items()}
    return [ImageRecord(config, layers, names, str(descriptor.get("digest")), str(config_descriptor.get("digest")),
                        merged)]


def _pick_platform(children: list[dict[str, Any]], architectures: tuple[str, ...]) -> list[dict[str, Any]]:
    """The manifest a Lambda or Fargate task would run: linux, the function's architecture (x86_64 → amd64),
    else amd64; attestation manifests (`unknown/unknown`) are not images."""
    wanted = ["arm64" if a == "arm64" else "amd64" for a in architectures] or ["amd64"]
    images = [c for c in children if (c.get("platform") or {}).get("os") != "unknown"]
    if len(images) <= 1:
        return images
    for arch in wanted:
        for child in images:
            platform = child.get("platform") or {}
            if platform.get("os") in ("linux", None) and platform.get("architecture") == arch:
                return [child]
    return images[:1]
