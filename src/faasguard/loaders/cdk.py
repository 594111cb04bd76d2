"""A synthesized CDK app (`cdk.out`): every CloudFormation stack of the cloud assembly, as CloudFormation.

We read the cloud assembly, not the CDK source: `manifest.json` lists the artifacts, each
`aws:cloudformation:stack` artifact names its template, and `cdk:cloud-assembly` artifacts are nested
assemblies (CDK Stages) in sub-directories. Each stack template goes through the CloudFormation loader's
`build_application`, with source `CDK`, the stack name as the application name, construct paths from the
resources' `aws:cdk:path` metadata (or the manifest's `aws:cdk:logicalId` entries when path metadata is off),
and asset directories (`aws:asset:path`) resolved under the assembly so the code analysis finds the handlers.

Nothing outside the scanned roots is read: a manifest naming `../../somewhere` gets a diagnostic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult
from faasguard.loaders._budget import isolated
from faasguard.loaders._yaml import ParseError, parse_json_text, read_text
from faasguard.loaders.cloudformation import build_application, parse_template
from faasguard.model import Location, SourceKind
from faasguard.sources import SourceFile

__all__ = ["load"]

COMPONENT = "cdk loader"
MAX_NESTING = 8
"""Nested cloud assemblies deeper than this are not followed (CDK Stages rarely nest more than twice)."""


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        with isolated(result.diagnostics, COMPONENT, source.display):  # one cloud assembly's crash stays its own
            _load_assembly(source.path, ctx, result, 0, set())
    return result


def _diagnostic(result: LoadResult, kind: DiagnosticKind, message: str, where: Location,
                level: DiagnosticLevel = DiagnosticLevel.ERROR) -> None:
    result.diagnostics.append(Diagnostic(kind, message, where, level, COMPONENT))


def _load_assembly(directory: Path, ctx: LoadContext, result: LoadResult, depth: int, seen: set[Path]) -> None:
    try:
        resolved = directory.resolve()
    except (OSError, RuntimeError):
        _diagnostic(result, DiagnosticKind.PARSE_ERROR, "cannot resolve cloud assembly directory",
                    Location(ctx.display(directory)))
        return
    if resolved in seen:
        return
    seen.add(resolved)
    manifest_path = directory / "manifest.json"
    display = ctx.display(manifest_path)
    try:
        manifest = parse_json_text(read_text(manifest_path, display), display)
    except ParseError as exc:
        _diagnostic(result, DiagnosticKind.PARSE_ERROR, exc.message, exc.location)
        return
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        _diagnostic(result, DiagnosticKind.PARSE_ERROR, "CDK manifest without an artifacts mapping",
                    Location(display), DiagnosticLevel.WARNING)
        return
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        kind = artifact.get("type")
        properties = artifact.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        where = _artifact_loc(artifacts, artifact_id, display)
        if kind == "aws:cloudformation:stack":
            template_file = properties.get("templateFile")
            if not isinstance(template_file, str):
                _diagnostic(result, DiagnosticKind.PARSE_ERROR, f"stack {artifact_id} names no templateFile", where,
                            DiagnosticLevel.WARNING)
                continue
            stack_name = properties.get("stackName") if isinstance(properties.get("stackName"), str) \
                else artifact_id
            _load_stack(directory, template_file, str(stack_name),
                        construct_paths=_construct_paths(artifact.get("metadata")), ctx=ctx, result=result,
                        where=where)
        elif kind == "cdk:cloud-assembly":
            nested = properties.get("directoryName")
            if not isinstance(nested, str):
                continue
            if depth >= MAX_NESTING:
                _diagnostic(result, DiagnosticKind.UNSUPPORTED,
                            f"nested cloud assembly {nested} is more than {MAX_NESTING} levels deep; skipped", where,
                            DiagnosticLevel.WARNING)
                continue
            nested_dir = directory / nested
            if not _inside(nested_dir, ctx):
                _diagnostic(result, DiagnosticKind.PARSE_ERROR,
                            f"nested cloud assembly {nested} is outside the scanned project; not read", where,
                            DiagnosticLevel.WARNING)
                continue
            if (nested_dir / "manifest.json").is_file():
                _load_assembly(nested_dir, ctx, result, depth + 1, seen)
            else:
                _diagnostic(result, DiagnosticKind.PARSE_ERROR,
                            f"nested cloud assembly {nested} has no manifest.json", where, DiagnosticLevel.WARNING)


def _artifact_loc(artifacts: Any, artifact_id: str, display: str) -> Location:
    key_loc = getattr(artifacts, "key_loc", None)
    if callable(key_loc):
        location: Location = key_loc(artifact_id, artifact_id)
        return location
    return Location(display, logical_id=artifact_id)


def _inside(path: Path, ctx: LoadContext) -> bool:
    try:
        return ctx.inside_roots(path)
    except (OSError, RuntimeError):
        return False


def _construct_paths(metadata: Any) -> dict[str, str]:
    """logical id → construct path from the manifest's `aws:cdk:logicalId` entries."""
    out: dict[str, str] = {}
    if not isinstance(metadata, dict):
        return out
    for construct_path, entries in metadata.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId" \
                    and isinstance(entry.get("data"), str):
                out.setdefault(entry["data"], str(construct_path))
    return out


def _load_stack(directory: Path, template_file: str, stack_name: str, *, construct_paths: Mapping[str, str],
                ctx: LoadContext, result: LoadResult, where: Location) -> None:
    template_path = directory / template_file
    if not _inside(template_path, ctx):
        _diagnostic(result, DiagnosticKind.PARSE_ERROR,
                    f"stack {stack_name} template {template_file} is outside the scanned project; not read", where,
                    DiagnosticLevel.WARNING)
        return
    if not template_path.is_file():
        _diagnostic(result, DiagnosticKind.PARSE_ERROR, f"stack {stack_name} template {template_file} is missing",
                    where, DiagnosticLevel.WARNING)
        return
    display = ctx.display(template_path)
    diagnostics: list[Diagnostic] = []
    template = parse_template(template_path, display, diagnostics)
    result.diagnostics.extend(diagnostics)
    result.handled.add(template_path)
    if template is None:
        return
    app, build_diagnostics = build_application(template, template_path, display, ctx, source=SourceKind.CDK,
                                               name=stack_name, asset_root=directory,
                                               construct_paths=construct_paths)
    result.diagnostics.extend(build_diagnostics)
    result.apps.append(app)
