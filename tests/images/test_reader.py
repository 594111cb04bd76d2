"""Reading images in the three on-disk formats, merging layers with whiteouts, and the inventory."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from tests.images.imagebuild import (
    ALPINE_318,
    DEBIAN_12,
    Image,
    Layer,
    apk_entry,
    docker_save,
    dpkg_entry,
    dpkg_status,
    layer_tar,
    metadata,
    oci_archive,
    oci_layout,
    package_json,
)

from faasguard.analysis.deps.facts import Ecosystem
from faasguard.analysis.images import normalise_reference, read_image, references_image
from faasguard.analysis.images.facts import ScannedImage

SITE = "usr/local/lib/python3.12/site-packages"


def debian_image() -> Image:
    base = Layer({"usr/lib/os-release": DEBIAN_12, "etc/os-release": ("symlink", "../usr/lib/os-release"),
                  "var/lib/dpkg/status": dpkg_status(dpkg_entry("libssl3", "3.0.11-1~deb12u1", "openssl"),
                                                     dpkg_entry("openssl", "3.0.11-1~deb12u1"),
                                                     dpkg_entry("bash", "5.2.15-2+b2", "bash (5.2.15-2)"),
                                                     dpkg_entry("oldpkg", "1.0-1",
                                                                status="deinstall ok config-files"))},
                 created_by="/bin/sh -c #(nop) ADD file:abc in / ")
    apt = Layer({"var/lib/dpkg/status": dpkg_status(dpkg_entry("libssl3", "3.0.11-1~deb12u1", "openssl"),
                                                    dpkg_entry("openssl", "3.0.11-1~deb12u1"),
                                                    dpkg_entry("bash", "5.2.15-2+b2", "bash (5.2.15-2)"),
                                                    dpkg_entry("curl", "7.88.1-10+deb12u4"))},
                created_by="RUN /bin/sh -c apt-get install -y curl # buildkit")
    pip = Layer({f"{SITE}/urllib3-1.26.5.dist-info/METADATA": metadata("urllib3", "1.26.5"),
                 f"{SITE}/six-1.16.0.dist-info/METADATA": metadata("six", "1.16.0"),
                 "usr/lib/python3/dist-packages/requests-2.28.1.egg-info": metadata("requests", "2.28.1"),
                 "app/node_modules/lodash/package.json": package_json("lodash", "4.17.20"),
                 "app/node_modules/@types/node/package.json": package_json("@types/node", "20.1.0")},
                created_by="RUN /bin/sh -c pip install urllib3==1.26.5 six # buildkit")
    cleanup = Layer({}, whiteouts=(f"{SITE}/six-1.16.0.dist-info",),
                    created_by="RUN /bin/sh -c pip uninstall -y six # buildkit")
    return Image([base, apt, pip, cleanup], user="app")


def one(path: Path) -> ScannedImage:
    images, diagnostics = read_image(path, path.name)
    assert not diagnostics, diagnostics
    assert len(images) == 1
    return images[0]


def inventory(image: ScannedImage) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    return {(d.ecosystem.value, d.name): (d.version, d.layer.split(" ")[1] if d.layer else None)
            for d in image.packages}


@pytest.mark.parametrize("fmt", ["docker-save", "docker-save-25", "oci-layout", "oci-archive"])
def test_formats_give_the_same_inventory(tmp_path: Path, fmt: str) -> None:
    img = debian_image()
    if fmt == "docker-save":
        path = docker_save(img, tmp_path / "i.tar")
    elif fmt == "docker-save-25":
        path = docker_save(img, tmp_path / "i.tar", oci_index=True)
    elif fmt == "oci-layout":
        path = tmp_path / "layout"
        path.mkdir()
        oci_layout(img, path)
    else:
        path = tmp_path / "i.oci.tar"
        oci_archive(img, path)
    image = one(path)
    assert inventory(image) == {
        ("Debian", "bash"): ("5.2.15-2", "1/4"),
        ("Debian", "curl"): ("7.88.1-10+deb12u4", "2/4"),
        ("Debian", "openssl"): ("3.0.11-1~deb12u1", "1/4"),
        ("PyPI", "urllib3"): ("1.26.5", "3/4"),
        ("npm", "lodash"): ("4.17.20", "3/4"),
        ("npm", "@types/node"): ("20.1.0", "3/4"),
    }  # six whited out, the deinstalled package and the dpkg-owned dist-packages left out
    openssl = next(d for d in image.packages if d.name == "openssl")
    assert openssl.binaries == ("libssl3", "openssl")
    assert openssl.distro == "12"
    assert openssl.osv_ecosystem == "Debian:12"
    assert image.distro == "Debian GNU/Linux 12 (bookworm)"
    assert image.user == "app"
    assert not image.runs_as_root
    assert (image.manifest_digest is None) == (fmt == "docker-save")


def test_opaque_directory_hides_lower_layers(tmp_path: Path) -> None:
    img = Image([Layer({f"{SITE}/a-1.0.dist-info/METADATA": metadata("a", "1.0"), "etc/os-release": DEBIAN_12}),
                 Layer({f"{SITE}/b-2.0.dist-info/METADATA": metadata("b", "2.0")}, opaque=(SITE,))])
    assert set(inventory(one(docker_save(img, tmp_path / "i.tar")))) == {("PyPI", "b")}


def test_alpine_database_and_apk_owned_python(tmp_path: Path) -> None:
    owned = "usr/lib/python3.11/site-packages/urllib3-1.26.18.dist-info"
    db = "\n".join([apk_entry("musl", "1.2.4-r2"), apk_entry("libssl3", "3.1.3-r0", origin="openssl"),
                    apk_entry("libcrypto3", "3.1.3-r0", origin="openssl"),
                    apk_entry("py3-urllib3", "1.26.18-r0", files=[owned])])
    img = Image([Layer({"etc/os-release": ALPINE_318, "lib/apk/db/installed": db,
                        f"{owned}/METADATA": metadata("urllib3", "1.26.18")})])
    image = one(docker_save(img, tmp_path / "i.tar"))
    found = {(d.ecosystem, d.name, d.version, d.distro) for d in image.packages}
    assert found == {(Ecosystem.ALPINE, "musl", "1.2.4-r2", "v3.18"),
                     (Ecosystem.ALPINE, "openssl", "3.1.3-r0", "v3.18"),
                     (Ecosystem.ALPINE, "py3-urllib3", "1.26.18-r0", "v3.18")}


def test_distroless_status_d(tmp_path: Path) -> None:
    img = Image([Layer({"etc/os-release": DEBIAN_12,
                        "var/lib/dpkg/status.d/libssl3": dpkg_entry("libssl3", "3.0.11-1~deb12u2", "openssl"),
                        "var/lib/dpkg/status.d/libssl3.md5sums": "abc  usr/lib/libssl.so.3\n"})])
    image = one(docker_save(img, tmp_path / "i.tar"))
    assert [(d.name, d.version) for d in image.packages] == [("openssl", "3.0.11-1~deb12u2")]


def test_rpm_image_says_it_is_not_inventoried(tmp_path: Path) -> None:
    img = Image([Layer({"etc/os-release": 'ID="amzn"\nVERSION_ID="2023"\n', "var/lib/rpm/rpmdb.sqlite": b"SQLite"})])
    images, diagnostics = read_image(docker_save(img, tmp_path / "i.tar"), "i.tar")
    assert images[0].packages == ()
    assert [d.level.value for d in diagnostics] == ["note"]
    assert "RPM database var/lib/rpm/rpmdb.sqlite found" in diagnostics[0].message


def test_unknown_release_is_inventoried_but_unversioned(tmp_path: Path) -> None:
    img = Image([Layer({"etc/os-release": "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n",
                        "var/lib/dpkg/status": dpkg_entry("libssl3", "3.1.4-2", "openssl")})])
    images, diagnostics = read_image(docker_save(img, tmp_path / "i.tar"), "i.tar")
    assert [(d.name, d.version) for d in images[0].packages] == [("openssl", None)]
    assert "cannot be matched to advisories" in diagnostics[0].message


# ------------------------------------------------------------------------------------------- bad input

def test_truncated_layer_keeps_what_was_read(tmp_path: Path) -> None:
    img = debian_image()
    data = layer_tar(img.layers[2])
    path = docker_save(img, tmp_path / "i.tar", layer_override={2: data[: len(data) // 2]})
    images, diagnostics = read_image(path, "i.tar")
    assert len(images) == 1
    assert [d.location.path for d in diagnostics] == ["i.tar"]
    assert "layer 3/4" in diagnostics[0].message
    assert "truncated" in diagnostics[0].message
    assert ("Debian", "curl") in inventory(images[0])


def test_gzip_truncated_layer(tmp_path: Path) -> None:
    img = debian_image()
    data = gzip.compress(layer_tar(img.layers[1]))
    path = docker_save(img, tmp_path / "i.tar", layer_override={1: data[:-200]})
    _, diagnostics = read_image(path, "i.tar")
    assert len(diagnostics) == 1
    assert "layer 2/4" in diagnostics[0].message


def test_decompression_bomb_layer_is_stopped(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as gz, \
            tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 300 * 1024 * 1024
        tar.addfile(info, _Zeros(info.size))
    bomb = buffer.getvalue()
    assert len(bomb) < 1024 * 1024
    img = debian_image()
    path = docker_save(img, tmp_path / "i.tar", layer_override={3: bomb})
    images, diagnostics = read_image(path, "i.tar")
    assert len(diagnostics) == 1
    assert "layer 4/4" in diagnostics[0].message
    assert "decompression bomb" in diagnostics[0].message
    assert ("PyPI", "urllib3") in inventory(images[0])


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n

    def readable(self) -> bool:
        return True


def test_symlink_pointing_out_is_not_followed(tmp_path: Path) -> None:
    img = Image([Layer({"etc/os-release": ("symlink", "../../../../host/etc/os-release"),
                        "var/lib/dpkg/status": ("symlink", "/var/lib/dpkg/status-real"),
                        "var/lib/dpkg/status-real": dpkg_entry("bash", "5.2.15-2")})])
    images, diagnostics = read_image(docker_save(img, tmp_path / "i.tar"), "i.tar")
    messages = [d.message for d in diagnostics]
    assert any("leaves the image root" in m and "etc/os-release" in m for m in messages)
    assert images[0].distro is None


def test_member_path_traversal_is_skipped(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = dpkg_entry("evil", "1.0").encode()
        info = tarfile.TarInfo("../../var/lib/dpkg/status")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    img = debian_image()
    path = docker_save(img, tmp_path / "i.tar", layer_override={3: buffer.getvalue()})
    images, diagnostics = read_image(path, "i.tar")
    assert "leaves the image root" in diagnostics[0].message
    assert ("Debian", "evil") not in inventory(images[0])


def test_manifest_naming_missing_blob(tmp_path: Path) -> None:
    path = docker_save(debian_image(), tmp_path / "i.tar", drop_layers=[1])
    images, diagnostics = read_image(path, "i.tar")
    assert len(diagnostics) == 1
    assert diagnostics[0].location.path == "i.tar"
    assert "layer 2/4" in diagnostics[0].message
    assert "missing from the image" in diagnostics[0].message
    assert ("Debian", "curl") not in inventory(images[0])


@pytest.mark.parametrize(("content", "expected"), [
    (b"not a tar at all", "not a readable tar archive"),
    (None, "neither manifest.json"),
])
def test_not_an_image(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "x.tar"
    if content is None:
        with tarfile.open(path, "w") as tar:
            info = tarfile.TarInfo("readme.txt")
            tar.addfile(info, io.BytesIO(b""))
    else:
        path.write_bytes(content)
    images, diagnostics = read_image(path, "x.tar")
    assert images == ()
    assert expected in diagnostics[0].message


def test_manifest_blob_outside_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.tar"
    with tarfile.open(path, "w") as tar:
        data = json.dumps([{"Config": "../../etc/passwd", "Layers": []}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    _, diagnostics = read_image(path, "x.tar")
    assert "outside the archive" in diagnostics[0].message


# ------------------------------------------------------------------------------------------- references

@pytest.mark.parametrize(("ref", "expected"), [
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4", ("orders", "1.4", None)),
    ("${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/orders:1.4", ("orders", "1.4", None)),
    ("python:3.12-slim", ("python", "3.12-slim", None)),
    ("docker.io/library/python", ("python", None, None)),
    ("localhost:5000/team/api@sha256:abc", ("team/api", None, "sha256:abc")),
])
def test_normalise_reference(ref: str, expected: tuple[str, str | None, str | None]) -> None:
    assert normalise_reference(ref) == expected


def test_references_image(tmp_path: Path) -> None:
    img = debian_image()
    img.tags = ("orders:1.4",)
    image = one(docker_save(img, tmp_path / "i.tar", oci_index=True))
    assert references_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4", image)
    assert not references_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.5", image)
    assert not references_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders", image)
    assert references_image(f"registry.example/orders@{image.manifest_digest}", image)
    assert not references_image("${Repo}:1.4", image)
