"""Loaders: one module per source format, each turning its files into `Application`s and nothing else.

Every loader module exposes `load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult`. It is called
once per scan with every file of its type, so a loader that needs to see several files together (Terraform
modules, Serverless `${file()}` includes, a CDK app's stacks) can. Loaders are imported only when a file of
their type was found.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

from faasguard._record import record
from faasguard.config import Config
from faasguard.findings import Diagnostic
from faasguard.loaders._budget import SCAN_LIMITS, Budget
from faasguard.model import Application
from faasguard.sources import SourceFile, SourceType, display_path

__all__ = ["LOADER_MODULES", "LoadContext", "LoadResult", "SourceFile", "SourceType"]

LOADER_MODULES: dict[SourceType, str] = {
    # Serverless first: its `${file()}` includes may look like CloudFormation templates of their own, and the
    # files it consumes are not loaded again.
    SourceType.SERVERLESS: "faasguard.loaders.serverless",
    SourceType.CLOUDFORMATION: "faasguard.loaders.cloudformation",
    SourceType.CDK: "faasguard.loaders.cdk",
    SourceType.TERRAFORM: "faasguard.loaders.terraform",
    SourceType.ECS: "faasguard.loaders.ecs",
    SourceType.KNATIVE: "faasguard.loaders.cloudrun",
    SourceType.ZAPPA: "faasguard.loaders.zappa",
    SourceType.CHALICE: "faasguard.loaders.chalice",
    SourceType.DOCKERFILE: "faasguard.loaders.dockerfile",
    SourceType.PYTHON: "faasguard.loaders.code",
    SourceType.JAVASCRIPT: "faasguard.loaders.code",
}


@record(slots=False)
class LoadContext:
    config: Config
    cwd: Path
    roots: tuple[Path, ...]
    """The resolved scanned paths: nothing outside them is read (includes, `file()`, symlinks)."""
    environment_values: set[str] = field(default_factory=set, compare=False)
    """Values a loader took from the process environment (`--resolve-env`): the pipeline masks them in every
    report string, because the environment of a CI job holds its credentials."""
    budget: Budget = field(default_factory=lambda: Budget(SCAN_LIMITS, "the scan"), repr=False, compare=False)
    """The scan's work budget; each input charges a child of it (`budget_for`)."""
    _root_dirs: frozenset[Path] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A scanned file allows its own directory (its handlers live next to it). Kept as a set so the check
        # costs O(depth), not O(roots): a pre-commit run or a benchmark may pass hundreds of paths.
        dirs = frozenset(root if root.is_dir() else root.parent for root in self.roots)
        object.__setattr__(self, "_root_dirs", dirs)

    def display(self, path: Path) -> str:
        return display_path(path, self.cwd)

    def budget_for(self, display: str) -> Budget:
        """A fresh per-input budget, charged to the scan's as well."""
        return self.budget.child(display)

    def inside_roots(self, path: Path) -> bool:
        return self.contains(path.resolve())

    def contains(self, resolved: Path) -> bool:
        """`inside_roots` for a path the caller has already resolved (resolving costs a system call per
        component; a loader that needs the resolved path anyway resolves it once)."""
        return resolved in self._root_dirs or any(parent in self._root_dirs for parent in resolved.parents)


@record(frozen=False, slots=False)
class LoadResult:
    apps: list[Application] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    handled: set[Path] = field(default_factory=set)
    """Extra files the loader consumed (includes, handler files) so nothing else loads them again."""
