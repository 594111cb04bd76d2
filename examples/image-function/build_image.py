"""Rebuild orders/image.tar, the example's container image, without a Docker daemon.

The tarball has the layout `docker save` writes (Docker 25+: manifest.json plus the OCI index, so the manifest
digest is known), with a Debian 12 base (`python:3.12-slim-bookworm`-shaped dpkg database, OpenSSL
3.0.11-1~deb12u1), the Dockerfile's `pip install urllib3==1.26.5` layer and its `ENV DB_PASSWORD`. Run from the
repository root: `python examples/image-function/build_image.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests" / "images"))

from imagebuild import (  # noqa: E402
    DEBIAN_12,
    Image,
    Layer,
    docker_save,
    dpkg_entry,
    dpkg_status,
    metadata,
)

BASE_PACKAGES = [
    ("base-files", "12.4+deb12u5", None), ("bash", "5.2.15-2+b2", "bash (5.2.15-2)"),
    ("ca-certificates", "20230311", None), ("libc6", "2.36-9+deb12u4", "glibc"),
    ("libssl3", "3.0.11-1~deb12u1", "openssl"), ("openssl", "3.0.11-1~deb12u1", None),
    ("tzdata", "2024a-0+deb12u1", None), ("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
]
SITE = "usr/local/lib/python3.12/site-packages"


def build() -> Image:
    base = Layer({"usr/lib/os-release": DEBIAN_12, "etc/os-release": ("symlink", "../usr/lib/os-release"),
                  "etc/debian_version": "12.5\n",
                  "var/lib/dpkg/status": dpkg_status(*(dpkg_entry(n, v, s) for n, v, s in BASE_PACKAGES))},
                 created_by="/bin/sh -c #(nop) ADD file:9b1e4f0c7d2a in / ")
    python = Layer({f"{SITE}/pip-24.0.dist-info/METADATA": metadata("pip", "24.0")},
                   created_by="RUN /bin/sh -c set -eux; savedAptMark=\"$(apt-mark showmanual)\"; "
                              "pip install --disable-pip-version-check pip==24.0 # buildkit")
    deps = Layer({f"{SITE}/urllib3-1.26.5.dist-info/METADATA": metadata("urllib3", "1.26.5")},
                 created_by="RUN /bin/sh -c pip install --no-cache-dir urllib3==1.26.5 # buildkit")
    code = Layer({"var/task/app.py": (HERE / "orders" / "app.py").read_text()},
                 created_by="COPY app.py /var/task/ # buildkit")
    return Image([base, python, deps, code], tags=("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4",),
                 env=("PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
                      "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", "PYTHON_VERSION=3.12.3",
                      "DB_PASSWORD=Qw7sKp2Lm9xTr4vB"),
                 entrypoint=("python", "-m", "awslambdaric"), cmd=("app.handler",))


if __name__ == "__main__":
    out = docker_save(build(), HERE / "orders" / "image.tar", oci_index=True)
    print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out} "
          f"({out.stat().st_size} bytes)")
