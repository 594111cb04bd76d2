"""Where a function's code lives (CodeUri / Code / CDK asset) and which handler file and function it names;
paths outside the scanned roots are reported, never read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from faasguard.analysis.archive import find_member, is_archive
from faasguard.findings import DiagnosticKind, DiagnosticLevel
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.loaders.cloudformation._core import (
    _as_str,
    _Builder,
    _key_loc,
)
from faasguard.model import (
    CodeLocation,
    Location,
    Unknown,
)

_PY_SUFFIXES = (".py",)


_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")


def _sam_code(b: _Builder, logical_id: str, props: Mapping[str, Any], runtime: str | Unknown | None,
              handler: str | Unknown | None, *, package_type: str, where: Location) -> CodeLocation:
    if package_type == "Image":
        metadata = b.raw.get(logical_id, {}).get("Metadata") if isinstance(b.raw.get(logical_id), dict) \
            else None
        context = metadata.get("DockerContext") if isinstance(metadata, dict) else None
        image_dir = _local_dir(b, context) if isinstance(context, str) else None
        if isinstance(context, str) and image_dir is None:
            _outside(b, logical_id, "Metadata.DockerContext", context, where)
        return CodeLocation(image_dir, None, None, handler, "Image", _as_str(props.get("ImageUri"), where))
    if "InlineCode" in props:
        # as written, not as resolved: a `!Sub` in code keeps its `${...}` text and the block its first line
        return _inline(b, logical_id, b.merged_raw(logical_id), "InlineCode", handler=handler, where=where)
    code_uri = props.get("CodeUri")
    code_dir: str | None = None
    if code_uri is None:
        code_dir = _local_dir(b, ".")
    elif isinstance(code_uri, str) and not code_uri.startswith("s3://"):
        code_dir = _local_dir(b, code_uri)
        if code_dir is None:
            _outside(b, logical_id, "CodeUri", code_uri, _key_loc(props, "CodeUri", where))
    cdk_dir = _asset_dir(b, logical_id)
    code_dir = cdk_dir or code_dir
    location = _code_location(b, code_dir, runtime, handler, package_type, logical_id=logical_id, where=where)
    return _with_source(b, logical_id, location, handler, code_dir=code_dir, cdk_dir=cdk_dir)


def _cfn_code(b: _Builder, logical_id: str, props: Mapping[str, Any], runtime: str | Unknown | None,
              handler: str | Unknown | None, *, package_type: str, where: Location) -> CodeLocation:
    code = props.get("Code")
    if package_type == "Image" or (isinstance(code, dict) and "ImageUri" in code):
        image = code.get("ImageUri") if isinstance(code, dict) else None
        return CodeLocation(_asset_dir(b, logical_id), None, None, handler, "Image", _as_str(image, where))
    if isinstance(code, dict) and "ZipFile" in code:
        raw_code = b.raw_props(logical_id).get("Code")
        return _inline(b, logical_id, raw_code if isinstance(raw_code, dict) else code, "ZipFile",
                       handler=handler, where=_key_loc(props, "Code", where))
    code_dir = _asset_dir(b, logical_id)
    if code_dir is None and isinstance(code, str) and not code.startswith("s3://"):
        code_dir = _local_dir(b, code)  # `aws cloudformation package` input: a local path
        if code_dir is None:
            _outside(b, logical_id, "Code", code, _key_loc(props, "Code", where))
    location = _code_location(b, code_dir, runtime, handler, package_type, logical_id=logical_id, where=where)
    return _with_source(b, logical_id, location, handler, code_dir=code_dir,
                        cdk_dir=_asset_dir(b, logical_id))


def _inline(b: _Builder, logical_id: str, container: Mapping[str, Any], key: str, *,
            handler: str | Unknown | None, where: Location) -> CodeLocation:
    """Inline code, with its text when each of its lines is a line of the template: a YAML literal block (`|`,
    also `!Sub |`) or a one-line value. The `${...}` of an `Fn::Sub` stay as written (CloudFormation fills them
    in at deploy time; in code they are nearly always inside string literals). Code that cannot be located
    line by line (a JSON string of several lines) is kept out, with a note. The older JSON form, an `Fn::Join`
    on newlines of one string per template line, is joined back when its lines follow each other."""
    value = container.get(key)
    if isinstance(value, dict) and len(value) == 1 and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        value = sub[0] if isinstance(sub, list) and sub else sub
    key_where = _key_loc(container, key, where)
    located = container.blocks if isinstance(container, LocatedDict) else None
    first_line = (located or {}).get(key)
    text: str | None = None
    joined = _joined_lines(value)
    if joined is not None:
        text, first_line = joined
    elif isinstance(value, str) and value.strip():
        if first_line is not None:
            text = value
        elif "\n" not in value.rstrip("\n"):
            text, first_line = value, key_where.line
    if text is None and value is not None:
        b.note(DiagnosticKind.UNSUPPORTED,
               f"inline code of {logical_id} ({key}) is not analysed: only a YAML literal block (`{key}: |`), an "
               "`Fn::Join` on newlines of one literal line per template line, or a one-line value can be located "
               "line by line in the template", key_where, DiagnosticLevel.NOTE)
    return CodeLocation(None, None, _handler_function(handler), handler, inline=True, inline_source=text,
                        inline_line=first_line or 0)


def _joined_lines(value: object) -> tuple[str, int] | None:
    """`{"Fn::Join": ["\\n", ["import os", "def handler(e, c):", ...]]}` with one literal string per consecutive
    template line: the code, and the line of its first line. None for any other shape (a reference among the
    lines, two on one line, a line holding a newline): such code cannot be located line by line."""
    if not (isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::Join"), list)):
        return None
    parts = value["Fn::Join"]
    if len(parts) != 2 or parts[0] != "\n" or not isinstance(parts[1], LocatedList) or not parts[1]:
        return None
    lines, locs = parts[1], parts[1].item_locs
    if len(locs) != len(lines) or not all(isinstance(line, str) and "\n" not in line for line in lines):
        return None
    first = locs[0][0]
    if any(loc[0] != first + offset for offset, loc in enumerate(locs)):
        return None
    return "\n".join(lines), first


def _with_source(b: _Builder, logical_id: str, location: CodeLocation, handler: str | Unknown | None, *,
                 code_dir: str | None, cdk_dir: str | None) -> CodeLocation:
    """Point a bundled Node.js handler back at the source it was built from, since the bundle is not what the team
    wrote: a SAM esbuild function names its `.ts` entry in `Metadata.BuildProperties.EntryPoints`, and a CDK
    `NodejsFunction` asset is an esbuild bundle whose module comments name the entry beside the cloud assembly.
    When no source is found the location stays as it was (the bundle, or nothing)."""
    if code_dir is None or not isinstance(handler, str) or "." not in handler:
        return location
    module = handler.rsplit(".", 1)[0]
    source: str | None = None
    resource = b.raw.get(logical_id)
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    if isinstance(metadata, dict) and metadata.get("BuildMethod") == "esbuild":
        properties = metadata.get("BuildProperties")
        entries = properties.get("EntryPoints") if isinstance(properties, dict) else None
        if isinstance(entries, list):
            source = _esbuild_entry(b, Path(code_dir), module, [e for e in entries if isinstance(e, str)])
    if source is None and cdk_dir is not None and location.handler_file is not None \
            and location.handler_file.endswith(_JS_SUFFIXES) and b.asset_root is not None:
        source = _bundle_entry(b, Path(location.handler_file), b.asset_root)
    return replace(location, handler_file=source) if source is not None else location


def _esbuild_entry(b: _Builder, base: Path, module: str, entries: list[str]) -> str | None:
    """The entry point esbuild turns into the handler's module: esbuild writes each entry as `<stem>.js` under the
    entries' common directory, so `Handler: app.handler` is built from `app.ts` or `src/handlers/app.ts`; a
    handler path (`handlers/app.handler`) must match the entry's trailing directories too."""
    if base.is_file():
        base = base.parent
    wanted = module.strip("/").split("/")
    for entry in entries:
        parts = Path(entry).with_suffix("").parts if Path(entry).suffix in _JS_SUFFIXES else Path(entry).parts
        if list(parts[-len(wanted):]) != wanted:
            continue
        candidates = [base / entry] if Path(entry).suffix in _JS_SUFFIXES else [base / (entry + s) for s in
                                                                                 _JS_SUFFIXES]
        for path in candidates:
            try:
                if path.is_file() and _allowed(b, path):
                    return str(path.resolve())
            except (OSError, RuntimeError, ValueError):
                continue
    return None


MAX_STAGE_DEPTH = 4
"""Directories above the cloud assembly tried as the CDK project root (cdk.out itself, then nested Stages)."""

_BUNDLE_HEAD = 4 * 1024 * 1024
"""How much of a CDK bundle is read for its module comments: esbuild puts each module's comment just before its
code, and the entry module comes last, so a bundle larger than this is read from its end."""


def _bundle_entry(b: _Builder, bundle: Path, assembly: Path) -> str | None:
    """The source file a `NodejsFunction` bundle was built from, when the CDK project is in the scan: esbuild
    (non-minified, CDK's default) precedes each input module with a `// path/relative/to/project.ts` comment, the
    entry last. The project is the directory holding `cdk.out` (one more level up per nested Stage assembly).
    Dependencies (`node_modules/`) and paths leaving the project are skipped; a minified bundle has no such
    comments and keeps the bundle as the handler."""
    try:
        size = bundle.stat().st_size
        with bundle.open("rb") as handle:
            if size > _BUNDLE_HEAD:
                handle.seek(size - _BUNDLE_HEAD)
            text = handle.read(_BUNDLE_HEAD).decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        if not line.startswith("// ") or " " in line[3:].strip():
            continue
        name = line[3:].strip()
        if not name.endswith((*_JS_SUFFIXES, ".tsx", ".jsx")) or "node_modules/" in name or name.startswith(
                ("/", "..")) or "/../" in name:
            continue
        for project in list(assembly.parents)[:MAX_STAGE_DEPTH]:
            path = project / name
            try:
                if path.is_file() and _allowed(b, path) and path.resolve() != bundle.resolve():
                    return str(path.resolve())
            except (OSError, RuntimeError, ValueError):
                continue
        return None
    return None


def _asset_dir(b: _Builder, logical_id: str) -> str | None:
    if b.asset_root is None:
        return None
    resource = b.raw.get(logical_id)
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    if not isinstance(asset, str):
        return None
    candidate = b.asset_root / asset
    return str(candidate.resolve()) if _allowed(b, candidate) and candidate.exists() else None


def _allowed(b: _Builder, path: Path) -> bool:
    if b.ctx is None:
        return True
    try:
        return _resolved(b, path) is not None
    except (OSError, RuntimeError):
        return False


def _resolved(b: _Builder, path: Path) -> Path | None:
    """`path` resolved, or None when it leads out of the scanned roots (any path when there is no context).

    Remembered per template: resolving costs a system call per path component, and the same code directory is
    asked about by every function sharing it (its existence, its handler files, the note when it is outside).
    Errors are not remembered, so each caller still sees its own exception."""
    if path in b._resolved:
        return b._resolved[path]
    resolved = _real(b, path)
    if b.ctx is None:
        inside = True
    elif b._inside.get(resolved.parent):
        inside = True  # below a directory inside the roots
    else:
        inside = b.ctx.contains(resolved)
    b._inside[resolved] = inside
    found = b._resolved[path] = resolved if inside else None
    return found


def _real(b: _Builder, path: Path) -> Path:
    """`path.resolve()`, taken from its directory's when that is known: a resolved directory joined with a name
    that is not a symlink is resolved already, so the handler files of a shared code directory (10,000 functions,
    one `src/`) cost one `lstat` each instead of one per component of their path."""
    directory = b._real.get(path.parent)
    if directory is not None and path.name not in ("", ".", ".."):
        candidate = directory / path.name
        try:
            if not stat.S_ISLNK(os.lstat(candidate).st_mode):
                b._real[candidate] = candidate
                return candidate
        except OSError:
            pass  # missing or not examinable: the full resolution decides, as it did before
    resolved = path.resolve()
    b._real[path] = resolved
    b._real[resolved] = resolved  # a resolved path resolves to itself
    return resolved


def _local_dir(b: _Builder, relative: str) -> str | None:
    if relative in b._local_dirs:
        return b._local_dirs[relative]
    found = b._local_dirs[relative] = _find_local_dir(b, relative)
    return found


def _find_local_dir(b: _Builder, relative: str) -> str | None:
    candidate = b.directory / relative
    try:
        resolved = _resolved(b, candidate)
        if resolved is not None and candidate.exists():
            return str(resolved)
    except (OSError, RuntimeError):
        return None
    return None


def _outside(b: _Builder, logical_id: str, prop: str, value: str, where: Location) -> None:
    """Say what was not analysed: a local path the scanner rightly does not follow out of the scanned project
    (or that does not exist) would otherwise leave the function's code silently unread."""
    try:
        outside = not _allowed(b, b.directory / value)
    except (OSError, RuntimeError, ValueError):
        outside = True
    if outside:
        b.note(DiagnosticKind.UNRESOLVED, f"{prop} {value!r} of {logical_id} is outside the scanned project; "
                  "its code and dependencies are not read or analysed (scan a directory that contains both)",
                  where, DiagnosticLevel.WARNING)


def _code_location(b: _Builder, code_dir: str | None, runtime: str | Unknown | None, handler: str | Unknown | None,
                   package_type: str, *, logical_id: str = "", where: Location | None = None) -> CodeLocation:
    function_name = _handler_function(handler)
    handler_file: str | None = None
    if code_dir is not None and isinstance(handler, str) and "." in handler:
        module = handler.rsplit(".", 1)[0]
        language = runtime if isinstance(runtime, str) else ""
        candidates: list[str] = []
        if language.startswith("python") or not language:
            candidates.extend(module.replace(".", "/") + s for s in _PY_SUFFIXES)
            if "/" in module:
                candidates.append(module + ".py")
        if language.startswith("nodejs") or not language:
            candidates.extend(module + s for s in _JS_SUFFIXES)
        base, archive = _code_base(b, code_dir)
        if archive:
            # a committed zip (`CodeUri: app.zip`): the handler is a member, read in memory by the analysis
            return CodeLocation(code_dir, find_member(base, candidates), function_name, handler, package_type)
        base_text = str(base)
        for candidate in dict.fromkeys(candidates):  # `a/b.py` is listed twice for a Python `a/b` module
            # tested as a string first: most candidates do not exist (the other runtimes' suffixes, a handler
            # not in the scanned tree), and a path object each cost more than the test
            if not os.path.isfile(os.path.join(base_text, candidate)):
                continue
            path = base / candidate
            try:
                if _allowed(b, path):
                    handler_file = str(b._resolved[path] if b.ctx is not None else path.resolve())
                    break
                if where is not None:  # exists, but resolves out of the project
                    _outside(b, logical_id, "Handler module", str(path.relative_to(b.directory)), where)
                    break
            except (OSError, RuntimeError, ValueError):
                continue
    return CodeLocation(code_dir, handler_file, function_name, handler, package_type)


def _code_base(b: _Builder, code_dir: str) -> tuple[Path, bool]:
    """(the directory a handler module is looked up in, whether `code_dir` is a zip package), asked once per
    code directory: the functions of a template share a few (a Serverless service: one for all of them)."""
    found = b._code_bases.get(code_dir)
    if found is None:
        base = Path(code_dir)
        found = (base, True) if is_archive(base) else (base.parent if base.is_file() else base, False)
        b._code_bases[code_dir] = found
    return found


def _handler_function(handler: str | Unknown | None) -> str | None:
    if isinstance(handler, str) and "." in handler:
        return handler.rsplit(".", 1)[1] or None
    return None
