"""What reading the deployed container images taught us, for the rules (FG201, FG601, FG604, FG701).

A reader would otherwise get one thing wrong: an image is bound to a function or container only when the
deployed reference is known to name it (`--image NAME=PATH`, or a tag/digest of the image equal to the
`ImageUri` / `image` reference once the registry host is set aside). An image nobody references is kept as
*standalone* (`functions` and `containers` empty) and reported on its own, never attached to a guess.
"""

from __future__ import annotations

from faasguard._record import record
from faasguard.analysis.deps.facts import Dependency
from faasguard.model import Location


@record
class ImageEnv:
    name: str
    value: str
    location: Location
    """The Dockerfile `ENV` line that sets it when known, else the image file."""


@record
class LayerInfo:
    index: int
    """0-based, bottom layer first."""
    digest: str | None
    created_by: str | None
    """The build step from the image history (`RUN /bin/sh -c pip install ...`)."""
    dockerfile_line: Location | None = None
    from_base: bool = False
    """Added by the base image (before the first step of the image's own Dockerfile)."""

    def describe(self, total: int) -> str:
        digest = f" {self.digest[:19]}" if self.digest else ""
        step = (self.created_by or "").strip()
        step = step if len(step) <= 100 else step[:97] + "..."
        return f"layer {self.index + 1}/{total}{digest}" + (f" ({step})" if step else "")


@record(slots=False)
class ScannedImage:
    path: str
    """Absolute path of the tarball or layout directory."""
    display: str
    format: str
    """"docker-save", "oci-layout" or "oci-archive"."""
    repo_tags: tuple[str, ...]
    manifest_digest: str | None
    """The manifest digest (what `repo@sha256:...` references) when the file records it."""
    config_digest: str | None
    """The image id."""
    user: str | None
    """The config's `User`; None or "" means root."""
    env: tuple[ImageEnv, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    layers: tuple[LayerInfo, ...]
    distro: str | None
    """PRETTY_NAME of the OS, when known."""
    base_image: str | None
    """The base image, from the manifest annotation or the Dockerfile's final `FROM`."""
    packages: tuple[Dependency, ...]
    package_layers: tuple[int, ...]
    """The index of the layer that introduced each package (parallel to `packages`)."""
    location: Location
    """Where findings about the image as a whole point: the Dockerfile's `USER`/`FROM` line when known, else the
    image file."""
    dockerfile: str | None = None

    @property
    def runs_as_root(self) -> bool:
        user = (self.user or "").strip()
        return not user or user.split(":")[0] in ("root", "0")


@record(slots=False)
class BoundImage:
    image: ScannedImage
    functions: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    """The deployed references (ImageUri / image) that named this image."""

    @property
    def phrase(self) -> str:
        return f"image {self.image.display}{deployed_by(self.functions, self.containers)}"


def deployed_by(functions: tuple[str, ...], containers: tuple[str, ...]) -> str:
    """" (deployed by function A, container B)", or " (not referenced by any function or container)"."""
    who = [f"function {f}" for f in functions] + [f"container {c}" for c in containers]
    return f" (deployed by {', '.join(who)})" if who else " (not referenced by any function or container)"


@record(slots=False)
class ImageFacts:
    images: tuple[BoundImage, ...] = ()

    def for_function(self, function_id: str) -> BoundImage | None:
        return next((b for b in self.images if function_id in b.functions), None)

    def for_container(self, container_id: str) -> BoundImage | None:
        return next((b for b in self.images if container_id in b.containers), None)
