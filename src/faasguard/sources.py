"""Discovery: which files under the scanned paths are which kind of source.

Infrastructure-as-code is recognised by content, not only by name (a CloudFormation template called
`stack.yml` or `infra/api.json` is still found), but cheaply: a bounded read of the file head and a few anchored
regular expressions, so that discovery never parses. Each loader parses its files exactly once.

Safety (the scanner runs on untrusted pull requests): directory symlinks are never followed, file symlinks are
only followed when they resolve inside one of the scanned roots, build output and vendored trees are skipped, and
only regular files are opened (`faasguard.safeio`): a FIFO, socket or device named like a source is reported as a
located diagnostic and handed to no loader. A directory that cannot be listed or an entry that cannot be examined
is a diagnostic too, never a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location
from faasguard.safeio import FileRefusedError, is_regular, read_head


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
    ZAPPA = "zappa"
    """A Zappa project's settings (`zappa_settings.json`, `.yml`/`.yaml`, `.toml`)."""
    CHALICE = "chalice"
    """An AWS Chalice project's `.chalice/config.json` (the project is its parent directory)."""
    DOCKERFILE = "dockerfile"
    PYTHON = "python"
    """Python source that may be bare handler code (used only where a path holds no IaC)."""
    JAVASCRIPT = "javascript"
    """JavaScript/TypeScript source that may be bare handler code (`.js .mjs .cjs .jsx .ts .mts .cts .tsx`;
    declaration files, tests and tool configs are not)."""
    IMAGE = "image"
    """A container image: a `docker save`/OCI archive (`*.tar`), or an OCI layout (its `oci-layout` file stands
    for the directory). Read by the image enrichment, not by a loader."""


SKIP_DIRS = frozenset({
    ".aws-sam", ".serverless", ".terraform", "node_modules", ".git", ".hg", ".svn", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", ".venv", "venv", ".eggs",
    ".idea", ".vscode", "cdk.out.bak",
})

_TEST_FILE = re.compile(r"(^test_.*|.*_test|^conftest)\.py$|.*\.(test|spec)\.[cm]?[jt]sx?$")
_TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__", "__mocks__"})

_YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".template", ".cfn", ".txt"})
_HEAD_BYTES = 256 * 1024

_CFN_YAML = re.compile(rb"^(?:AWSTemplateFormatVersion|Resources|Transform)\s*:", re.MULTILINE)
_CFN_JSON = re.compile(rb'"(?:AWSTemplateFormatVersion|Resources)"\s*:')
_AWS_TYPE = re.compile(rb"(?:AWS|Custom|Alexa)::\w+")
_SLS_YAML = re.compile(rb"^provider\s*:", re.MULTILINE)
_SLS_SERVICE = re.compile(rb"^service\s*:", re.MULTILINE)
_KNATIVE = re.compile(rb"apiVersion\s*:\s*[\"']?serving\.knative\.dev/")
_ECS_JSON = re.compile(rb'"containerDefinitions"\s*:')


@record
class SourceFile:
    type: SourceType
    path: Path
    """Absolute path (a directory for CDK)."""
    display: str
    """Path as shown in reports: relative to the current directory when under it."""
    root: Path
    """The scanned PATH argument it was found under."""


def display_path(path: Path, cwd: Path | None = None) -> str:
    # `relative_to` is lexical: for two absolute paths, "below cwd" is a prefix test on their string forms (a
    # path's string is its parts joined by "/"), without building a path or raising for the paths outside.
    # The current directory is read as a string: a path object per call cost more than the rest of the test.
    text, base = str(path), str(cwd) if cwd else os.getcwd()
    if base[:1] == "/" and text[:1] == "/" and base[:2] != "//" and text[:2] != "//":
        prefix = base if base.endswith("/") else base + "/"
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix):]
        return "." if text == base else text
    try:
        return path.relative_to(cwd or base).as_posix()
    except ValueError:
        return path.as_posix()


def _is_venv(directory: Path) -> bool:
    return is_regular(directory / "pyvenv.cfg")


def is_cdk_out(directory: Path) -> bool:
    manifest = directory / "manifest.json"
    if not is_regular(manifest):
        return False
    if directory.name == "cdk.out" or is_regular(directory / "tree.json"):
        return True
    try:
        return b"aws:cloudformation:stack" in read_head(manifest, _HEAD_BYTES)
    except OSError:
        return False


def _maybe_source(name: str) -> bool:
    """Whether a file of this name could be something a loader or the dependency inventory reads: decides if a
    special file (FIFO, socket, device) found under that name deserves a diagnostic or is just noise."""
    lower = name.lower()
    return lower.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json", ".py", ".pyw", ".dockerfile", ".zip",
                           ".toml", ".lock", ".cfg")) \
        or lower == "dockerfile" or lower.startswith(("dockerfile.", "requirements")) \
        or Path(lower).suffix in _YAML_SUFFIXES


ZAPPA_SETTINGS = frozenset({"zappa_settings.json", "zappa_settings.yml", "zappa_settings.yaml",
                            "zappa_settings.toml"})
"""The settings file names Zappa reads by default (its `-s` option can name another, which we cannot know)."""

_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
_JS_NOT_CODE = (".d.ts", ".d.mts", ".d.cts", ".min.js", ".map.js")
_JS_TOOLING = re.compile(
    r"^(?:\.?[\w-]+\.config|\.eslintrc|jest\.setup|babel\.config|gulpfile|gruntfile)\.[cm]?[jt]sx?$")
"""Build and lint configuration that happens to be JavaScript: never handler code."""


def classify(path: Path) -> SourceType | None:
    """The source type of one file from its name and head, or None when it is not a source we load."""
    name = path.name
    lower = name.lower()
    if lower.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")):
        return SourceType.TERRAFORM
    if lower in ZAPPA_SETTINGS:
        return SourceType.ZAPPA
    if lower == "config.json" and path.parent.name == ".chalice":
        return SourceType.CHALICE
    if lower.endswith((".py", ".pyw")):
        return SourceType.PYTHON
    if lower.endswith(_JS_SUFFIXES) and not lower.endswith(_JS_NOT_CODE) and not _JS_TOOLING.match(lower):
        return SourceType.JAVASCRIPT
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
        head = read_head(path, _HEAD_BYTES)
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


@record(frozen=False, slots=False)
class Discovery:
    files: list[SourceFile]
    diagnostics: list[Diagnostic]


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def discover(paths: Iterable[str], exclude: Sequence[str] = (), cwd: Path | None = None) -> Discovery:
    cwd = cwd or Path.cwd()
    exclusion = Exclusion(exclude)
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
        candidates: Iterable[tuple[Path, bool, int | None]] = [(root, False, None)] if not root.is_dir() \
            else _walk(root, roots, exclusion, diagnostics, cwd)
        for candidate, is_cdk, mode in candidates:
            if candidate in seen:
                continue
            seen.add(candidate)
            if is_cdk:
                files.append(SourceFile(SourceType.CDK, candidate, display_path(candidate, cwd), root))
                continue
            # the walk's lstat already says "regular file" for most (the loaders' checked open still decides)
            refusal = None if mode is not None and stat.S_ISREG(mode) else _special_file(candidate)
            if refusal is not None:
                if candidate == root or _maybe_source(candidate.name):
                    diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, refusal,
                                                  Location(display_path(candidate, cwd)), DiagnosticLevel.WARNING))
                continue
            kind = classify(candidate)
            if kind is not None:
                # an OCI layout's `oci-layout` file stands for its directory
                path = candidate.parent if kind is SourceType.IMAGE and candidate.name == "oci-layout" else candidate
                files.append(SourceFile(kind, path, display_path(path, cwd), root))
            elif candidate == root and _is_manifest(candidate.name):
                # A dependency manifest named alone (a pre-commit run where only requirements.txt changed): scan
                # the infrastructure-as-code that deploys it, found upwards within the working directory.
                for owner in _owning_iac(candidate, cwd):
                    if owner not in seen:
                        seen.add(owner)
                        kind = classify(owner)
                        if kind is not None:
                            files.append(SourceFile(kind, owner, display_path(owner, cwd), owner.parent))
            elif candidate == root:
                # Named on the command line but not recognised: say so rather than scan nothing silently.
                diagnostics.append(Diagnostic(
                    DiagnosticKind.UNSUPPORTED,
                    "not recognised as a template, Serverless/Terraform/ECS/Cloud Run config, Dockerfile or Python "
                    "file; skipped", Location(display_path(candidate, cwd)), DiagnosticLevel.WARNING))
    return Discovery(files, diagnostics)


_MANIFEST = re.compile(r"^(?:(?:[\w.-]*[-_.])?requirements(?:[-_.][\w.-]*)?\.(?:txt|in)|Pipfile(?:\.lock)?|"
                       r"poetry\.lock|uv\.lock|pdm\.lock|pyproject\.toml|package(?:-lock)?\.json|"
                       r"npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml)$", re.IGNORECASE)


def _is_manifest(name: str) -> bool:
    return bool(_MANIFEST.match(name))


def _owning_iac(manifest: Path, cwd: Path) -> list[Path]:
    """The infrastructure-as-code files of the nearest directory above `manifest` that has any, looking no
    higher than the working directory (the repository a pre-commit hook runs in)."""
    top = cwd.resolve()
    for directory in manifest.parents:
        if not (directory == top or directory.is_relative_to(top)):
            return []
        try:
            entries = sorted(p for p in directory.iterdir() if p.is_file() and not p.is_symlink())
        except OSError:
            return []
        owners = [p for p in entries if (kind := classify(p)) is not None and kind not in (
            SourceType.PYTHON, SourceType.IMAGE)]
        if owners:
            return owners
    return []


class Exclusion:
    """`exclude` patterns with gitignore semantics (the `pathspec` library's git flavour), matched against a
    path relative to the scanned root it was found under: like git, a pattern with a slash before its end is
    anchored at the root (`/infra/old`,
    `infra/old/`), one without (`tests/`, `*.gen.yaml`) matches at any depth; `**/` matches any directories;
    `!pattern` re-includes. A directory is matched with a trailing `/`, so `build/` skips only directories.
    The pattern library is imported only when a pattern is given (start-up budget)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(p for p in patterns if p.strip())
        self._spec: Any = None
        if self.patterns:
            import pathspec

            self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def excludes(self, path: Path, roots: Iterable[Path], is_dir: bool | None = None) -> bool:
        """True when `path` (or a directory above it, below its root) is excluded under any of `roots`."""
        if self._spec is None:
            return False
        for root in roots:
            if path == root or not path.is_relative_to(root):
                continue
            rel = path.relative_to(root).as_posix()
            if is_dir is None:
                is_dir = path.is_dir()
            parts = rel.split("/")
            # git never descends into an excluded directory, so a file below one is excluded whatever follows
            for depth in range(1, len(parts)):
                if self._spec.match_file("/".join(parts[:depth]) + "/"):
                    return True
            if self._spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False


def _excluded(path: Path, root: Path, exclude: Exclusion, is_dir: bool) -> bool:
    return bool(exclude) and exclude.excludes(path, (root,), is_dir)


def _special_file(path: Path) -> str | None:
    """Why `path` will not be read (not a regular file, or cannot be examined), or None for a regular file. A
    pre-filter: the loaders open through `faasguard.safeio`, which checks the opened descriptor again."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot examine file: {exc.strerror or exc}; skipped"
    if stat.S_ISREG(mode):
        return None
    try:
        read_head(path, 0)
    except FileRefusedError as exc:
        return str(exc.strerror)
    except OSError as exc:
        return f"cannot open file: {exc.strerror or exc}; skipped"
    return None  # became a regular file in between: the loader's own checked open decides


_Listing = tuple[list[str], list[str]]
"""A directory's (subdirectory names, other names), as `os.walk` splits them."""

_UNSEEN_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
"""`lstat` failures that `Path.is_symlink` reads as "not a symlink" (the entry vanished or cannot be a link)."""


def _list_dir(path: Path) -> _Listing | OSError:
    """One directory's entries split like `os.walk` does (symlinks to directories count as directories), or the
    error that stops `os.walk` from listing it."""
    dirs: list[str] = []
    others: list[str] = []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                (dirs if is_dir else others).append(entry.name)
    except OSError as exc:
        return exc
    return dirs, others


def _skipped_tree(directory: Path, listing: _Listing | OSError) -> bool | None:
    """True for a virtual environment, None for a CDK output directory, False for a directory to walk.

    Decided from the directory's listing, which the walk needs anyway: only a directory that holds a
    `pyvenv.cfg` or a `manifest.json` is examined further (two `stat` calls per directory otherwise, for names
    almost no directory has). An unlistable directory is examined the old way, by name, so that a directory
    one may search but not list is still recognised."""
    if isinstance(listing, OSError):
        venv, cdk = True, True
    else:
        names = {name.lower() for part in listing for name in part}
        venv, cdk = "pyvenv.cfg" in names, "manifest.json" in names
    if venv and _is_venv(directory):
        return True
    if cdk and is_cdk_out(directory):
        return None
    return False


def _walk(root: Path, roots: Sequence[Path], exclude: Exclusion, diagnostics: list[Diagnostic],
          cwd: Path) -> Iterator[tuple[Path, bool, int | None]]:
    """(path, is a CDK output directory, the file's `lstat` mode when it is not a symlink) for every candidate
    under `root`, in `os.walk` order (top-down, names sorted). Anything the walk cannot examine (a directory
    without search permission, a name too long for the system) becomes a diagnostic and is skipped.

    One `lstat` per entry and one listing per directory: the listing also answers "is this a virtual
    environment or a CDK output" and the `lstat` mode "is this a regular file", which used to cost three more
    system calls per directory and one more per file."""
    if is_cdk_out(root):
        yield root, True, None
        return

    def unreadable(path: Path, exc: OSError) -> None:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"cannot read: {exc.strerror or exc}; skipped",
                                      Location(display_path(path, cwd)), DiagnosticLevel.WARNING))
    pending: list[tuple[Path, _Listing | OSError]] = [(root, _list_dir(root))]
    while pending:
        directory, listing = pending.pop()
        if isinstance(listing, OSError):
            diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, f"cannot read directory: {listing.strerror}",
                                          Location(display_path(Path(listing.filename or root), cwd)),
                                          DiagnosticLevel.WARNING))
            continue
        dirnames, filenames = listing
        keep: list[tuple[Path, _Listing | OSError]] = []
        for name in sorted(dirnames):
            sub = directory / name
            try:
                if name in SKIP_DIRS or _excluded(sub, root, exclude, True) or sub.is_symlink():
                    continue
                sub_listing = _list_dir(sub)
                skipped = _skipped_tree(sub, sub_listing)
                if skipped is None:
                    yield sub, True, None
                    continue
                if skipped:
                    continue
            except OSError as exc:
                unreadable(sub, exc)
                continue
            keep.append((sub, sub_listing))
        for name in sorted(filenames):
            path = directory / name
            if _excluded(path, root, exclude, False):
                continue
            mode: int | None
            try:
                mode = os.lstat(path).st_mode
            except OSError as exc:
                if exc.errno not in _UNSEEN_ERRNOS:
                    unreadable(path, exc)
                    continue
                mode = None
            except ValueError:
                mode = None
            if mode is not None and stat.S_ISLNK(mode):
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
                mode = None  # what the link points at is examined again before it is read
            yield path, False, mode
        pending.extend(reversed(keep))


def is_test_file(path: Path, root: Path) -> bool:
    """Test modules are not handlers. Directory names count only below the scanned root, so scanning a
    fixture directory that happens to live under `tests/` still works."""
    if _TEST_FILE.match(path.name):
        return True
    parts, base = path.parts, root.parts
    if base:  # `relative_to` on the parts, without building the relative path (called for every Python file)
        relative = parts[len(base):-1] if parts[:len(base)] == base else ()
    else:
        relative = path.relative_to(root).parts[:-1] if path.is_relative_to(root) else ()
    return any(part in _TEST_DIRS for part in relative)
