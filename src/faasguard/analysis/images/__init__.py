"""Container images: read what an image function or a Fargate task actually runs, offline.

`enrich` (a pipeline enricher, run before the dependency analysis) reads every image named on the command line
(`--image PATH`, `--image NAME=PATH`) or found in the scanned tree (a `docker save` tarball, an OCI layout
directory, an OCI archive), merges its layers in memory (whiteouts honoured, nothing extracted), inventories
OS, Python and npm packages with the layer that introduced each, and binds the image to the functions and
containers that deploy it. The dependency analysis then matches the packages against advisories like any other
inventory (`image_inventories`), and the rules read `facts.images` for the image's user and environment.

No daemon and no registry: the image must be on disk. An image is read once per scan, however many
applications bind it (`read_image` is cached by path, size and modification time).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from faasguard.analysis.deps.facts import Dependency, Inventory
from faasguard.analysis.images.facts import BoundImage, ImageEnv, ImageFacts, LayerInfo, ScannedImage
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Application, Location
from faasguard.sources import display_path

if TYPE_CHECKING:
    from faasguard.analysis.images._archive import ImageRecord, Source

log = logging.getLogger(__name__)
COMPONENT = "images"
MAX_DOCKERFILE_BYTES = 1024 * 1024


def enrich(app: Application, config: Config, facts: Facts, diagnostics: list[Diagnostic]) -> Facts:
    specs = _specs(config.images)
    if not specs:
        return facts
    owned = {Path(path) for path, root in config.image_owners if root == app.root}
    bound = bind(app, specs, owned, diagnostics)
    return replace(facts, images=ImageFacts(tuple(bound))) if bound else facts


def plan(apps: list[Application], config: Config, diagnostics: list[Diagnostic]) -> Config:
    """Decide, once per scan, which application reports each image that no application deploys: the one whose
    root is nearest to the file (a Dockerfile's directory before the template above it), so that an image in a
    tree of several applications is reported once. An image outside every application says so once."""
    owners: list[tuple[str, str]] = []
    for name, path in _specs(config.images):
        architectures = tuple(sorted({a for app in apps for f in app.functions for a in f.architectures}))
        images, _ = read_image(path, display_path(path), architectures, _stat(path))
        deployed = any(_matches(app, image, name) for app in apps for image in images)
        if deployed or not images:
            continue
        roots = [Path(app.root).resolve() for app in apps if app.root]
        containing = [r for r in roots if path == r or path.is_relative_to(r)]
        if containing:
            owners.append((str(path), str(max(containing, key=lambda r: len(r.parts)))))
            continue
        tags = ", ".join(t for image in images for t in image.repo_tags) or "no tags"
        what = f"no function or container named {name}" if name else f"no function or container deploys it ({tags})"
        diagnostics.append(Diagnostic(
            DiagnosticKind.UNRESOLVED, f"image {display_path(path)}: {what}; its packages were not reported (bind it "
            "with `--image NAME=PATH`, NAME a function or container id)", Location(display_path(path)),
            DiagnosticLevel.WARNING if name else DiagnosticLevel.NOTE, COMPONENT))
    return replace(config, image_owners=tuple(owners))


def _matches(app: Application, image: ScannedImage, name: str | None) -> bool:
    for _, ids, reference in _workloads(app):
        if name is not None and name in ids:
            return True
        if name is None and isinstance(reference, str) and references_image(reference, image):
            return True
    return False


def _specs(raw: tuple[str, ...]) -> list[tuple[str | None, Path]]:
    """(NAME or None, absolute path), first mention of a path wins (the command line comes before discovery)."""
    seen: dict[Path, str | None] = {}
    for item in raw:
        name: str | None = None
        text = item
        head, sep, tail = item.partition("=")
        if sep and head and "/" not in head and "\\" not in head:
            name, text = head, tail
        path = Path(text).expanduser().absolute()
        if path not in seen or (name and seen[path] is None):
            seen[path] = name
    return [(name, path) for path, name in seen.items()]


# --------------------------------------------------------------------------------------------- binding

_HOST = re.compile(r"^(?:[^/]*[.:][^/]*|localhost)/")


def normalise_reference(ref: str) -> tuple[str, str | None, str | None]:
    """(repository path without registry host or `library/`, tag, digest) of an image reference. A host part
    that is a template placeholder (`${AWS::AccountId}.dkr.ecr...`) is set aside like any host."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    ref = _HOST.sub("", ref.strip())
    ref = ref.removeprefix("docker.io/").removeprefix("library/")
    return ref.lower(), tag, digest


def references_image(ref: str, image: ScannedImage) -> bool:
    repo, tag, digest = normalise_reference(ref)
    if "${" in repo or "{{" in repo or not repo:
        return False
    if digest is not None:
        return digest in (image.manifest_digest, image.config_digest)
    if tag is not None and ("${" in tag or "{{" in tag):
        return False
    for known in image.repo_tags:
        if "/" not in known and ":" not in known:
            continue  # a bare tag annotation (`org.opencontainers.image.ref.name: 1.4`) names no repository
        k_repo, k_tag, _ = normalise_reference(known)
        if k_repo == repo and (k_tag or "latest") == (tag or "latest"):
            return True
    return False


def bind(app: Application, specs: list[tuple[str | None, Path]], owned: set[Path],
         diagnostics: list[Diagnostic]) -> list[BoundImage]:
    """The images this application deploys, plus the undeployed ones it owns (see `plan`)."""
    result: list[BoundImage] = []
    root = Path(app.root).resolve() if app.root else None
    workloads = _workloads(app)
    for name, path in specs:
        architectures = tuple(sorted({a for f in app.functions for a in f.architectures}))
        images, problems = read_image(path, display_path(path), architectures, _stat(path))
        if path in owned or any(_matches(app, image, name) for image in images):
            diagnostics.extend(problems)
        for image in images:
            functions: list[str] = []
            containers: list[str] = []
            references: list[str] = []
            for kind, ids, reference in workloads:
                named = name is not None and name in ids
                if named or (name is None and isinstance(reference, str) and references_image(reference, image)):
                    (functions if kind == "function" else containers).append(ids[0])
                    if isinstance(reference, str):
                        references.append(reference)
            if not functions and not containers and path not in owned:
                continue
            located = _with_dockerfile(image, app, functions, root)
            result.append(BoundImage(located, tuple(functions), tuple(containers),
                                     tuple(dict.fromkeys(references))))
    return result


def _workloads(app: Application) -> list[tuple[str, tuple[str, ...], object]]:
    """(kind, names it answers to, deployed reference) of everything that runs an image."""
    found: list[tuple[str, tuple[str, ...], object]] = []
    for function in app.functions:
        code = function.code
        if code is None or (code.package_type != "Image" and code.image_uri is None):
            continue
        names = (function.id,) + ((function.name,) if isinstance(function.name, str) else ())
        found.append(("function", names, code.image_uri))
    for container in app.containers:
        if container.platform == "dockerfile":
            continue
        names = (container.id,) + ((container.task,) if container.task else ())
        found.append(("container", names, container.image))
    return found


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
        return st.st_size, st.st_mtime_ns
    except OSError:
        return -1, -1


# --------------------------------------------------------------------------------------------- reading

@lru_cache(maxsize=32)
def read_image(path: Path, display: str, architectures: tuple[str, ...] = (),
               _stamp: tuple[int, int] = (0, 0)) -> tuple[tuple[ScannedImage, ...], tuple[Diagnostic, ...]]:
    """Every image in the file (a `docker save` of several images holds several), with located diagnostics for
    what could not be read. `_stamp` (size, mtime) makes a changed file a cache miss."""
    from faasguard.analysis.images._archive import ImageFormatError, open_source, read_images

    diagnostics: list[Diagnostic] = []
    where = Location(display)
    if not path.exists():
        return (), (Diagnostic(DiagnosticKind.PARSE_ERROR, f"image {display} does not exist", where,
                               DiagnosticLevel.ERROR, COMPONENT),)
    try:
        source, kind = open_source(path, display)
    except ImageFormatError as exc:
        return (), (Diagnostic(DiagnosticKind.PARSE_ERROR, f"image {display}: {exc}", where,
                               DiagnosticLevel.WARNING, COMPONENT),)
    images: list[ScannedImage] = []
    try:
        records = read_images(source, kind, architectures)
        for record in records:
            images.append(_read_one(source, kind, record, path, diagnostics))
    except ImageFormatError as exc:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"image {display}: {exc}", where,
                                      DiagnosticLevel.WARNING, COMPONENT))
    finally:
        source.close()
    return tuple(images), tuple(diagnostics)


def _read_one(source: Source, kind: str, record: ImageRecord, path: Path,
              diagnostics: list[Diagnostic]) -> ScannedImage:
    from faasguard.analysis.images._archive import ImageFormatError
    from faasguard.analysis.images._layers import Filesystem
    from faasguard.analysis.images._packages import inventory

    display = source.display
    where = Location(display)
    fs = Filesystem()
    for index, layer in enumerate(record.layers):
        label = f"layer {index + 1}/{len(record.layers)} ({layer.blob})"
        if not source.exists(layer.blob):
            diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, f"image {display}: the manifest names {label}, which is missing from "
                "the image; the packages it adds are not inventoried", where, DiagnosticLevel.WARNING, COMPONENT))
            continue
        try:
            with source.open(layer.blob) as stream:
                report = fs.apply(index, stream)
        except (ImageFormatError, OSError) as exc:
            diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"image {display}: {label}: {exc}", where,
                                          DiagnosticLevel.WARNING, COMPONENT))
            continue
        if report.error:
            diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, f"image {display}: {label}: {report.error}; its remaining entries were "
                "not read", where, DiagnosticLevel.WARNING, COMPONENT))
        if report.escaping:
            shown = ", ".join(repr(e) for e in report.escaping[:3]) + (" ..." if len(report.escaping) > 3 else "")
            diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, f"image {display}: {label} has {len(report.escaping)} entr"
                f"{'y' if len(report.escaping) == 1 else 'ies'} whose path or link target leaves the image root "
                f"({shown}); not followed", where, DiagnosticLevel.WARNING, COMPONENT))
        if report.oversized:
            diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, f"image {display}: {label}: {', '.join(report.oversized[:3])} over the "
                "size limit for a package database or manifest; not read", where, DiagnosticLevel.WARNING,
                COMPONENT))
    for note in record.notes:
        diagnostics.append(Diagnostic(DiagnosticKind.INFO, f"image {display}: {note}", where, DiagnosticLevel.NOTE,
                                      COMPONENT))

    def locate(_line: int) -> Location:
        return where

    found = inventory(fs, display, locate)
    diagnostics.extend(found.diagnostics)
    for note in found.notes:
        diagnostics.append(Diagnostic(DiagnosticKind.UNSUPPORTED, note, where, DiagnosticLevel.NOTE, COMPONENT))
    config = record.config.get("config") or record.config.get("Config") or {}
    config = config if isinstance(config, dict) else {}
    history = [h for h in record.config.get("history", []) if isinstance(h, dict) and not h.get("empty_layer")]
    layers = tuple(LayerInfo(i, ref.digest, str(history[i].get("created_by") or "") or None if i < len(history)
                             else None) for i, ref in enumerate(record.layers))
    total = len(layers)
    packages = tuple(replace(dep, layer=layers[index].describe(total) if index < total else None)
                     for dep, index in found.packages)
    env = tuple(ImageEnv(item.split("=", 1)[0], item.split("=", 1)[1], where) for item in config.get("Env") or []
                if isinstance(item, str) and "=" in item)

    def strings(value: object) -> tuple[str, ...]:
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    return ScannedImage(
        path=str(path), display=display, format=kind, repo_tags=tuple(record.repo_tags),
        manifest_digest=record.manifest_digest, config_digest=record.config_digest,
        user=str(config.get("User")) if config.get("User") is not None else None, env=env,
        entrypoint=strings(config.get("Entrypoint")), cmd=strings(config.get("Cmd")), layers=layers,
        distro=found.distro.pretty if found.distro else None,
        base_image=record.annotations.get("org.opencontainers.image.base.name"), packages=packages,
        package_layers=tuple(index for _, index in found.packages), location=where)


# --------------------------------------------------------------------------------------- the Dockerfile

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$", re.DOTALL)
_SHELL_PREFIX = re.compile(r"^(?:/bin/sh -c |\|\d+ [^ ]+ /bin/sh -c )?(?:#\(nop\)\s*)?")


def _normal(text: str) -> str:
    return " ".join(text.replace("\\\n", " ").split())


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """(first line, KEYWORD, argument) of the final build stage, continuations joined, comments dropped."""
    result: list[tuple[int, str, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not current:
            start = number
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        match = _INSTRUCTION.match(" ".join(current))
        current = []
        if match:
            keyword = match.group(1).upper()
            if keyword == "FROM":
                result = []
            result.append((start, keyword, _normal(match.group(2))))
    return result


def _step_text(created_by: str) -> tuple[str, str]:
    """(KEYWORD, argument) of a history entry: BuildKit writes `RUN /bin/sh -c apt-get ... # buildkit`,
    `COPY app.py . # buildkit`; the legacy builder `/bin/sh -c apt-get ...`."""
    text = _normal(created_by).removesuffix("# buildkit").strip()
    match = re.match(r"^([A-Z]+) (.*)$", text)
    if match and match.group(1) in ("RUN", "COPY", "ADD", "ENV", "USER", "WORKDIR"):
        keyword, argument = match.group(1), match.group(2)
    else:
        keyword, argument = "RUN", text
    if keyword == "RUN":
        argument = _SHELL_PREFIX.sub("", argument)
    return keyword, argument


def _with_dockerfile(image: ScannedImage, app: Application, functions: list[str],
                     root: Path | None) -> ScannedImage:
    """Point the image's layers, environment and user at the Dockerfile lines that made them, when a Dockerfile
    beside the image or in a bound function's build context has steps equal to the image's history."""
    candidates: list[Path] = [Path(image.path).parent / "Dockerfile"]
    for function in app.functions:
        if function.id in functions and function.code and function.code.code_dir:
            candidates.insert(0, Path(function.code.code_dir) / "Dockerfile")
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
            if root is not None and not resolved.is_relative_to(root) and candidate.parent != Path(image.path).parent:
                continue
            if not resolved.is_file() or resolved.stat().st_size > MAX_DOCKERFILE_BYTES:
                continue
            text = resolved.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        matched = _match_dockerfile(image, text, display_path(candidate))
        if matched is not None:
            return matched
    return image


def _match_dockerfile(image: ScannedImage, text: str, shown: str) -> ScannedImage | None:
    steps = _instructions(text)
    if not steps:
        return None
    by_text: dict[tuple[str, str], int] = {}
    for line, keyword, argument in steps:
        by_text.setdefault((keyword, argument), line)
    lines: dict[int, int] = {}
    for layer in image.layers:
        if layer.created_by:
            step = by_text.get(_step_text(layer.created_by))
            if step is not None:
                lines[layer.index] = step
    if not lines:
        return None
    first_own = min(lines)
    from_line = steps[0][0]
    base = image.base_image
    if base is None and steps[0][1] == "FROM":
        words = [w for w in steps[0][2].split() if not w.startswith("--")]
        base = words[0] if words else None
    layers = []
    for layer in image.layers:
        if layer.index in lines:
            layers.append(replace(layer, dockerfile_line=Location(shown, lines[layer.index])))
        elif layer.index < first_own:
            layers.append(replace(layer, dockerfile_line=Location(shown, from_line), from_base=True))
        else:
            layers.append(layer)
    by_index = {layer.index: layer for layer in layers}
    total = len(layers)
    packages: list[Dependency] = []
    for dep, index in zip(image.packages, image.package_layers, strict=True):
        found = by_index.get(index)
        if found is not None and found.dockerfile_line is not None:
            note = found.describe(total) + (f", from base image {base}" if found.from_base and base else "")
            packages.append(replace(dep, location=found.dockerfile_line, layer=note))
        else:
            packages.append(dep)
    env_lines: dict[str, int] = {}
    user_line: int | None = None
    for line, keyword, argument in steps:
        if keyword == "ENV":
            for name in re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", argument) or argument.split()[:1]:
                env_lines[name] = line
        elif keyword == "USER":
            user_line = line
    env = tuple(replace(e, location=Location(shown, env_lines[e.name])) if e.name in env_lines else e
                for e in image.env)
    location = Location(shown, user_line or from_line)
    return replace(image, layers=tuple(layers), packages=tuple(packages), env=env, base_image=base,
                   location=location, dockerfile=shown)


# ------------------------------------------------------------------------------------ for dependencies

def image_inventories(facts: Facts) -> list[Inventory]:
    """One inventory per bound or standalone image, for the advisory matching in `faasguard.analysis.deps`."""
    images = facts.images
    if images is None:
        return []
    return [Inventory(bound.image.display, "image", bound.functions, bound.image.display, bound.image.packages,
                      tuple(dict.fromkeys(d.manifest for d in bound.image.packages)), bound.containers)
            for bound in images.images]


__all__ = ["enrich", "image_inventories", "normalise_reference", "read_image", "references_image"]
