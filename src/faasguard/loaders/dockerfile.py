"""Dockerfiles → one `Container(platform="dockerfile")` for the final build stage, for FG701 (runs as root).

Hand-written because the only facts needed are the final stage's base image and its last `USER`, and a
Dockerfile's line syntax (continuations, comments, parser directives) is small; a full parser library would add
a dependency for two instructions.

Images that run as a non-root user whatever the Dockerfile says are recorded as such: AWS Lambda base images
(Lambda never runs a function as root) and distroless `:nonroot` tags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._budget import ParseError, read_text
from faasguard.model import Application, Container, Location, SourceKind

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$")
_NON_ROOT_IMAGES = re.compile(
    r"^(public\.ecr\.aws/lambda/|amazon/aws-lambda-|gcr\.io/distroless/[^:]+:(debug-)?nonroot)")
_ROOT_USERS = frozenset({"root", "0", "0:0", "root:root", "root:0", "0:root"})


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Instructions with their first line number, continuations joined, comments dropped."""
    result: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if not current:
            start = number
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        result.append((start, " ".join(current)))
        current = []
    if current:
        result.append((start, " ".join(current)))
    return result


def parse_dockerfile(text: str, display: str) -> Container | None:
    image: str | None = None
    image_line = 1
    user: str | None = None
    user_line: int | None = None
    for line, instruction in _logical_lines(text):
        match = _INSTRUCTION.match(instruction)
        if not match:
            continue
        keyword, argument = match.group(1).upper(), match.group(2).strip()
        if keyword == "FROM":
            words = [w for w in argument.split() if not w.startswith("--")]
            image = words[0] if words else None
            image_line = line
            user, user_line = None, None  # a new stage starts as the base image's user
        elif keyword == "USER":
            user, user_line = argument.split()[0] if argument else None, line
    if image is None:
        return None
    location = Location(display, image_line, logical_id=display)
    fields = {"image": location}
    if user_line is not None:
        fields["user"] = Location(display, user_line, logical_id=display)
    non_root_image = bool(_NON_ROOT_IMAGES.match(image))
    if user is not None:
        run_as_non_root: bool | None = user.lower() not in _ROOT_USERS
    else:
        run_as_non_root = True if non_root_image else None
    return Container(id=display, location=location, field_locations=fields, platform="dockerfile",
                     image=image, user=user, run_as_non_root=run_as_non_root)


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        try:
            text = read_text(source.path, source.display, ctx.config.max_file_bytes)
        except ParseError as exc:
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                 DiagnosticLevel.ERROR, "dockerfile loader"))
            continue
        container = parse_dockerfile(text, source.display)
        if container is None:
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, "no FROM instruction",
                                                 Location(source.display), DiagnosticLevel.WARNING,
                                                 "dockerfile loader"))
            continue
        result.apps.append(Application(name=source.display, source=SourceKind.DOCKERFILE,
                                       root=str(source.path.parent), files=(source.display,),
                                       containers=(container,)))
    return result
