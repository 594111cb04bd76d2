"""Discovery: which files under the scanned paths are which kind of source.

Infrastructure-as-code is recognised by content, not only by name (a CloudFormation template called
`stack.yml` or `infra/api.json` is still found), but cheaply: a bounded read of the file head and a few anchored
regular expressions, so that discovery never parses. Each loader parses its files exactly once.

Safety (the scanner runs on untrusted pull requests): directory symlinks are never followed, file symlinks are
only followed when they resolve inside one of the scanned roots, and build output and vendored trees are
skipped.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location


class SourceType(StrEnum):
    CLOUDFORMATION = "cloudformation"
    """CloudFormation or SAM template (YAML or JSON)."""
    CDK = "cdk"
    """A synthesized CDK app: a `cdk.out` directory."""
    SERVERLESS = "serverless"
    TERRAFORM = "terraform"
    ECS = "ecs"
    """An ECS task definition in the registered JSON shape."""
    KNATIVE = "knative"
    """Cloud Run / Knative Service YAML."""
    DOCKERFILE = "dockerfile"
    PYTHON = "python"
    """Python source that may be bare handler code (used only where a path holds no IaC)."""
    IMAGE = "image"
    """A container image: a `docker save`/OCI archive (`*.tar`), or an OCI layout (its `oci-layout` file stands
    for the directory). Read by the image enrichment, not by a loader."""


SKIP_DIRS = frozenset({
    ".aws-sam", ".serverless", ".terraform", "node_modules", ".git", ".hg", ".svn", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", ".venv", "venv", ".eggs",
    ".idea", ".vscode", "cdk.out.bak",
})

_TEST_FILE = re.compile(r"(^test_.*|.*_test|^conftest)\.py$")
_TEST_DIRS = frozenset({"tests", "test", "testing"})

_YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".template", ".cfn", ".txt"})
_HEAD_BYTES = 256 * 1024

_CFN_YAML = re.compile(rb"^(?:AWSTemplateFormatVersion|Resources|Transform)\s*:", re.MULTILINE)
_CFN_JSON = re.compile(rb'"(?:AWSTemplateFormatVersion|Resources)"\s*:')
_AWS_TYPE = re.compile(rb"(?:AWS|Custom|Alexa)::\w+")
_SLS_YAML = re.compile(rb"^provider\s*:", re.MULTILINE)
_SLS_SERVICE = re.compile(rb"^service\s*:", re.MULTILINE)
_KNATIVE = re.compile(rb"apiVersion\s*:\s*[\"']?serving\.knative\.dev/")
_ECS_JSON = re.compile(rb'"containerDefinitions"\s*:')


@dataclass(frozen=True, slots=True)
class SourceFile:
    type: SourceType
    path: Path
    """Absolute path (a directory for CDK)."""
    display: str
    """Path as shown in reports: relative to the current directory when under it."""
    root: Path
    """The scanned PATH argument it was found under."""


def display_path(path: Path, cwd: Path | None = None) -> str:
    cwd = cwd or Path.cwd()
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _is_venv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def is_cdk_out(directory: Path) -> bool:
    manifest = directory / "manifest.json"
    if not manifest.is_file():
        return False
    if directory.name == "cdk.out" or (directory / "tree.json").is_file():
        return True
    try:
        with manifest.open("rb") as handle:
            return b"aws:cloudformation:stack" in handle.read(_HEAD_BYTES)
    except OSError:
        return False


def classify(path: Path) -> SourceType | None:
    """The source type of one file from its name and head, or None when it is not a source we load."""
    name = path.name
    lower = name.lower()
    if lower.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")):
        return SourceType.TERRAFORM
    if lower.endswith((".py", ".pyw")):
        return SourceType.PYTHON
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return SourceType.DOCKERFILE
    if lower == "oci-layout" or lower.endswith((".tar", ".oci")):
        return SourceType.IMAGE
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES:
        return None
    if lower in ("package.json", "package-lock.json", "tsconfig.json", "manifest.json", "tree.json",
                 "cdk.json", "requirements.txt", "composer.json"):
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        # Unreadable: let the loader that matches its name report it (a template.yaml the user meant us to read).
        return SourceType.CLOUDFORMATION if lower.startswith("template.") else None
    if lower in ("serverless.yml", "serverless.yaml", "serverless.json"):
        return SourceType.SERVERLESS
    if suffix in (".yaml", ".yml") and _SLS_SERVICE.search(head) and _SLS_YAML.search(head) \
            and not _CFN_YAML.search(head.replace(b"Transform", b"_")):
        return SourceType.SERVERLESS
    if suffix == ".json" or head.lstrip()[:1] == b"{":
        if _CFN_JSON.search(head) and (_AWS_TYPE.search(head) or b"AWSTemplateFormatVersion" in head):
            return SourceType.CLOUDFORMATION
        if _ECS_JSON.search(head):
            return SourceType.ECS
        return None
    if _KNATIVE.search(head):
        return SourceType.KNATIVE
    if _CFN_YAML.search(head) and (_AWS_TYPE.search(head) or b"AWSTemplateFormatVersion" in head):
        return SourceType.CLOUDFORMATION
    if lower.startswith("template.") and suffix in (".yaml", ".yml"):
        # Named like a SAM template but not shaped like one: the loader will say what is wrong with it.
        return SourceType.CLOUDFORMATION
    return None


@dataclass
class Discovery:
    files: list[SourceFile]
    diagnostics: list[Diagnostic]


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def discover(paths: Iterable[str], exclude: Sequence[str] = (), cwd: Path | None = None) -> Discovery:
    cwd = cwd or Path.cwd()
    files: list[SourceFile] = []
    diagnostics: list[Diagnostic] = []
    seen: set[Path] = set()
    for raw in paths:
        given = Path(raw)
        absolute = given if given.is_absolute() else cwd / given
        try:
            root = absolute.resolve(strict=True)
        except FileNotFoundError:
            diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"path does not exist: {raw}",
                                          Location(raw), DiagnosticLevel.ERROR))
            continue
        except (RuntimeError, OSError) as exc:  # symlink loop
            diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"cannot resolve path: {exc}",
                                          Location(raw), DiagnosticLevel.ERROR))
            continue
        roots = [root]
        candidates = [root] if root.is_file() else _walk(root, roots, exclude, diagnostics, cwd)
        for candidate in candidates:
            if candidate in seen:
                continue
            seen.add(candidate)
            if candidate.is_dir():
                files.append(SourceFile(SourceType.CDK, candidate, display_path(candidate, cwd), root))
                continue
            kind = classify(candidate)
            if kind is not None:
                # an OCI layout's `oci-layout` file stands for its directory
                path = candidate.parent if kind is SourceType.IMAGE and candidate.name == "oci-layout" else candidate
                files.append(SourceFile(kind, path, display_path(path, cwd), root))
            elif candidate == root:
                # Named on the command line but not recognised: say so rather than scan nothing silently.
                diagnostics.append(Diagnostic(
                    DiagnosticKind.UNSUPPORTED,
                    "not recognised as a template, Serverless/Terraform/ECS/Cloud Run config, Dockerfile or Python "
                    "file; skipped", Location(display_path(candidate, cwd)), DiagnosticLevel.WARNING))
    return Discovery(files, diagnostics)


def _excluded(path: Path, root: Path, exclude: Sequence[str]) -> bool:
    if not exclude:
        return False
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    return any(fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern) for pattern in exclude)


def _walk(root: Path, roots: Sequence[Path], exclude: Sequence[str], diagnostics: list[Diagnostic],
          cwd: Path) -> Iterator[Path]:
    if is_cdk_out(root):
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False,
                                                 onerror=lambda e: diagnostics.append(Diagnostic(
                                                     DiagnosticKind.PARSE_ERROR,
                                                     f"cannot read directory: {e.strerror}",
                                                     Location(display_path(Path(e.filename or root), cwd)),
                                                     DiagnosticLevel.WARNING))):
        directory = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            sub = directory / name
            if name in SKIP_DIRS or _excluded(sub, root, exclude) or sub.is_symlink() or _is_venv(sub):
                continue
            if is_cdk_out(sub):
                yield sub
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = directory / name
            if _excluded(path, root, exclude):
                continue
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR,
                                                  "broken or looping symlink; skipped",
                                                  Location(display_path(path, cwd)), DiagnosticLevel.WARNING))
                    continue
                if not _inside(target, roots):
                    diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR,
                                                  "symlink points outside the scanned project; not followed",
                                                  Location(display_path(path, cwd)), DiagnosticLevel.WARNING))
                    continue
            yield path


def is_test_file(path: Path, root: Path) -> bool:
    """Test modules are not handlers. Directory names count only below the scanned root, so scanning a
    fixture directory that happens to live under `tests/` still works."""
    if _TEST_FILE.match(path.name):
        return True
    relative = path.relative_to(root).parts[:-1] if path.is_relative_to(root) else ()
    return any(part in _TEST_DIRS for part in relative)
