"""Time the inventory of a real-sized image: a Debian 12 base with hundreds of dpkg packages, a Python layer with
a hundred distributions and a node_modules tree, written as a `docker save` tarball (uncompressed layers) and as
an OCI layout (gzip layers). Run by hand: `python bench/bench_images.py [--trivy]`; with --trivy and a `trivy`
binary on PATH, Trivy's time on the same tarball (`trivy image --input ... --offline-scan --skip-db-update`) is
printed beside ours.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.images.imagebuild import (  # noqa: E402
    DEBIAN_12,
    Image,
    Layer,
    docker_save,
    dpkg_entry,
    dpkg_status,
    metadata,
    oci_layout,
    package_json,
)

from faasguard.analysis.images import read_image  # noqa: E402

FILLER = 2_000
"""Regular files per layer that the inventory must stream past (binaries, docs, locales in a real image)."""


def build(packages: int = 400, python: int = 120, node: int = 300) -> Image:
    status = dpkg_status(*(dpkg_entry(f"lib{n:04d}", f"1.{n}.0-1+deb12u1", f"src{n // 3:04d}")
                           for n in range(packages)))
    filler = {f"usr/share/doc/pkg{n}/copyright": "Copyright " * 200 for n in range(FILLER)}
    base = Layer({"etc/os-release": DEBIAN_12, "var/lib/dpkg/status": status, **filler},
                 created_by="/bin/sh -c #(nop) ADD file:abc in / ")
    site = "usr/local/lib/python3.12/site-packages"
    py = Layer({f"{site}/pkg{n}-1.{n}.dist-info/METADATA": metadata(f"pkg{n}", f"1.{n}") for n in range(python)}
               | {f"{site}/pkg{n}/__init__.py": "x = 1\n" * 100 for n in range(python)},
               created_by="RUN /bin/sh -c pip install -r requirements.txt # buildkit")
    js = Layer({f"app/node_modules/m{n}/package.json": package_json(f"m{n}", f"2.{n}.0") for n in range(node)}
               | {f"app/node_modules/m{n}/index.js": "module.exports = 1;\n" * 50 for n in range(node)},
               created_by="RUN /bin/sh -c npm ci # buildkit")
    return Image([base, py, js])


def timed(path: Path, runs: int = 5) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for run in range(runs):
        start = time.perf_counter()
        images, _ = read_image(path, path.name, (), (run, 0))  # a new stamp each run: no cache hit
        best = min(best, time.perf_counter() - start)
        count = len(images[0].packages)
    return best, count


def main() -> None:
    image = build()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = docker_save(image, Path(tmp) / "image.tar")
        layout = Path(tmp) / "layout"
        layout.mkdir()
        oci_layout(image, layout)
        size = tarball.stat().st_size
        seconds, count = timed(tarball)
        print(f"docker save tarball: {size / 1e6:.1f} MB, {count} packages, best of 5: {seconds * 1000:.0f} ms")
        seconds, count = timed(layout)
        print(f"OCI layout (gzip layers): {count} packages, best of 5: {seconds * 1000:.0f} ms")
        if "--trivy" in sys.argv:
            trivy = shutil.which("trivy")
            if trivy is None:
                print("trivy: not installed")
                return
            start = time.perf_counter()
            subprocess.run([trivy, "image", "--input", str(tarball), "--offline-scan", "--skip-db-update",
                            "--list-all-pkgs", "--format", "json", "--quiet"], check=False, capture_output=True)
            print(f"trivy: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
