"""Build container images without a daemon, in the on-disk formats `docker save` and OCI tools write.

Layers are real tar streams written with `tarfile` (gzip-compressed where the format does), the config is an
OCI/Docker image config with a `history` whose `created_by` strings have BuildKit's shape, and the three
containers are laid out as the tools lay them out:

* `docker save` (classic): `manifest.json`, `<config-hex>.json`, `<layer-id>/layer.tar` (uncompressed layers);
* `docker save` (Docker 25+): the same `manifest.json` plus an OCI `index.json`, `oci-layout` and `blobs/sha256/`;
* an OCI image layout directory, and an OCI archive (the layout in a tar).

Used by the tests, the benchmark and the example's build script.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FileSpec = bytes | str | tuple[str, str]
"""Content of a regular file, or ("symlink" | "hardlink", target)."""


@dataclass
class Layer:
    files: Mapping[str, FileSpec]
    created_by: str = "RUN /bin/sh -c true # buildkit"
    whiteouts: tuple[str, ...] = ()
    """Paths deleted from lower layers (written as `.wh.<name>`)."""
    opaque: tuple[str, ...] = ()
    """Directories made opaque (written as `<dir>/.wh..wh..opq`)."""


@dataclass
class Image:
    layers: list[Layer]
    tags: tuple[str, ...] = ("orders:1.4",)
    user: str | None = None
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    entrypoint: tuple[str, ...] = ("/lambda-entrypoint.sh",)
    cmd: tuple[str, ...] = ("app.handler",)
    architecture: str = "amd64"
    annotations: dict[str, str] = field(default_factory=dict)


def layer_tar(layer: Layer) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories: set[str] = set()

        def add_dirs(path: str) -> None:
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directory = "/".join(parts[:depth])
                if directory not in directories:
                    directories.add(directory)
                    info = tarfile.TarInfo(directory + "/")
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
                    tar.addfile(info)

        for path in layer.whiteouts:
            add_dirs(path)
            directory, _, name = path.rpartition("/")
            info = tarfile.TarInfo(f"{directory}/.wh.{name}" if directory else f".wh.{name}")
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(b""))
        for directory in layer.opaque:
            add_dirs(directory + "/x")
            info = tarfile.TarInfo(f"{directory}/.wh..wh..opq")
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(b""))
        for path, content in layer.files.items():
            add_dirs(path)
            info = tarfile.TarInfo(path)
            info.mtime, info.mode = 1_700_000_000, 0o644
            if isinstance(content, tuple):
                info.type = tarfile.SYMTYPE if content[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = content[1]
                tar.addfile(info)
                continue
            data = content.encode() if isinstance(content, str) else content
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _config(image: Image, diff_ids: list[str]) -> bytes:
    config: dict[str, object] = {"Env": list(image.env), "Entrypoint": list(image.entrypoint),
                                 "Cmd": list(image.cmd), "WorkingDir": "/var/task"}
    if image.user is not None:
        config["User"] = image.user
    history = []
    for layer in image.layers:
        history.append({"created": "2024-05-01T10:00:00Z", "created_by": layer.created_by})
    history.insert(1, {"created": "2024-05-01T10:00:00Z", "created_by": "ENV LANG=C.UTF-8", "empty_layer": True})
    return json.dumps({"architecture": image.architecture, "os": "linux", "config": config,
                       "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
    tar.addfile(info, io.BytesIO(data))


def docker_save(image: Image, out: Path, oci_index: bool = False, drop_layers: Iterable[int] = (),
                layer_override: Mapping[int, bytes] | None = None) -> Path:
    """A `docker save` tarball (uncompressed layers). `oci_index` writes Docker 25+'s layout beside it;
    `drop_layers` leaves layer blobs out (a manifest naming missing blobs); `layer_override` replaces a
    layer's bytes (truncated or hostile layers)."""
    raw = [layer_tar(layer) for layer in image.layers]
    for index, data in (layer_override or {}).items():
        raw[index] = data
    diff_ids = [_digest(layer_tar(layer)) for layer in image.layers]
    config = _config(image, diff_ids)
    config_hex = hashlib.sha256(config).hexdigest()
    with tarfile.open(out, "w") as tar:
        names = []
        for index, data in enumerate(raw):
            if oci_index:
                name = f"blobs/sha256/{hashlib.sha256(data).hexdigest()}"
            else:
                name = f"{hashlib.sha256(diff_ids[index].encode()).hexdigest()}/layer.tar"
            names.append(name)
            if index not in set(drop_layers):
                _add(tar, name, data)
        config_name = f"blobs/sha256/{config_hex}" if oci_index else f"{config_hex}.json"
        _add(tar, config_name, config)
        if oci_index:
            manifest = _oci_manifest(config, [(d, "application/vnd.oci.image.layer.v1.tar") for d in raw], image)
            _add(tar, f"blobs/sha256/{hashlib.sha256(manifest).hexdigest()}", manifest)
            _add(tar, "index.json", _oci_index(manifest, image))
            _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "manifest.json", json.dumps([{"Config": config_name, "RepoTags": list(image.tags),
                                                "Layers": names}]).encode())
    return out


def _oci_manifest(config: bytes, layers: list[tuple[bytes, str]], image: Image) -> bytes:
    document: dict[str, object] = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(config),
                   "size": len(config)},
        "layers": [{"mediaType": media, "digest": _digest(data), "size": len(data)} for data, media in layers]}
    if image.annotations:
        document["annotations"] = image.annotations
    return json.dumps(document).encode()


def _oci_index(manifest: bytes, image: Image) -> bytes:
    annotations = {}
    if image.tags:
        annotations = {"io.containerd.image.name": f"docker.io/library/{image.tags[0]}"
                       if "/" not in image.tags[0] else image.tags[0],
                       "org.opencontainers.image.ref.name": image.tags[0].rsplit(":", 1)[-1]}
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                      "digest": _digest(manifest), "size": len(manifest),
                                      "annotations": annotations,
                                      "platform": {"architecture": image.architecture, "os": "linux"}}]}).encode()


def oci_blobs(image: Image, gzip_layers: bool = True) -> tuple[dict[str, bytes], str]:
    """Every file of an OCI layout (relative path → bytes) and the manifest digest."""
    raw = [layer_tar(layer) for layer in image.layers]
    config = _config(image, [_digest(d) for d in raw])
    media = "application/vnd.oci.image.layer.v1.tar+gzip" if gzip_layers else "application/vnd.oci.image.layer.v1.tar"
    blobs = [gzip.compress(d, mtime=0) if gzip_layers else d for d in raw]
    manifest = _oci_manifest(config, [(b, media) for b in blobs], image)
    files = {f"blobs/sha256/{_digest(b)[7:]}": b for b in [*blobs, config, manifest]}
    files["index.json"] = _oci_index(manifest, image)
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    return files, _digest(manifest)


def oci_layout(image: Image, out: Path, gzip_layers: bool = True) -> str:
    files, digest = oci_blobs(image, gzip_layers)
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return digest


def oci_archive(image: Image, out: Path) -> str:
    files, digest = oci_blobs(image)
    with tarfile.open(out, "w") as tar:
        for name, data in sorted(files.items()):
            _add(tar, name, data)
    return digest


# ------------------------------------------------------------------------------------------ file content

def dpkg_entry(package: str, version: str, source: str | None = None, status: str = "install ok installed",
               arch: str = "amd64") -> str:
    """One stanza of `var/lib/dpkg/status` as dpkg writes it."""
    lines = [f"Package: {package}", f"Status: {status}", "Priority: optional", "Section: libs",
             "Installed-Size: 6200", "Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
             f"Architecture: {arch}", "Multi-Arch: same"]
    if source:
        lines.append(f"Source: {source}")
    lines += [f"Version: {version}", "Depends: libc6 (>= 2.34)",
              f"Description: {package} package", " This is the long description of the package,",
              " continued on indented lines.", " .", " A paragraph break inside it."]
    return "\n".join(lines) + "\n"


def dpkg_status(*entries: str) -> str:
    return "\n".join(entries)


def apk_entry(package: str, version: str, origin: str | None = None, files: Iterable[str] = ()) -> str:
    """One record of Alpine's `lib/apk/db/installed`."""
    lines = ["C:Q1" + hashlib.sha1(package.encode()).hexdigest()[:26] + "=", f"P:{package}", f"V:{version}",
             "A:x86_64", "S:123456", "I:456789", f"T:{package} package", "U:https://alpinelinux.org",
             "L:MIT", f"o:{origin or package}", "m:Natanael Copa <ncopa@alpinelinux.org>", "t:1700000000",
             "c:0123456789abcdef0123456789abcdef01234567"]
    for directory in files:
        lines += [f"F:{directory}", "R:METADATA", "Z:Q1abcdefabcdefabcdefabcdefabcdefa="]
    return "\n".join(lines) + "\n"


def metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {name}\n\nlong description\n"


def package_json(name: str, version: str) -> str:
    return json.dumps({"name": name, "version": version, "description": name, "main": "index.js"}, indent=2)


DEBIAN_12 = ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
             'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n')
ALPINE_318 = ('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18"\n'
              'HOME_URL="https://alpinelinux.org/"\n')
