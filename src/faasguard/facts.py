"""What enrichment learned about one application, beside the model.

This module sits below both `faasguard.analysis` (which writes facts) and `faasguard.rules` (which reads
them), so that neither package imports the other: the data flows one way, load → model → enrich → rules.
The per-area fact types live with the analysis that produces them and are only named here for typing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any, Protocol

from faasguard._record import record

if TYPE_CHECKING:
    from faasguard.analysis.code.facts import HandlerFacts
    from faasguard.analysis.deps.facts import DependencyFacts
    from faasguard.analysis.iam.facts import IamFacts
    from faasguard.analysis.images.facts import ImageFacts
    from faasguard.analysis.paths import AttackGraph
    from faasguard.config import Config
    from faasguard.findings import Diagnostic
    from faasguard.model import Application


@record(slots=False)
class Facts:
    """What enrichment learned about one application (see model.py's docstring)."""

    handlers: Mapping[str, HandlerFacts] = field(default_factory=dict)
    """Function id → what its handler code does (taint flows, AWS calls, secrets, /tmp)."""
    iam: IamFacts | None = None
    deps: DependencyFacts | None = None
    images: ImageFacts | None = None
    """The container images the application deploys, read from disk (`--image`, or found in the tree)."""
    paths: AttackGraph | None = None
    """The attack graph (entry → flaw → credential → reach) and its ranked paths."""
    extra: Mapping[str, Any] = field(default_factory=dict)


class Enricher(Protocol):
    """What an enrichment stage is: it reads the model and the facts of the stages before it, and returns those
    facts plus its own (frozen: `dataclasses.replace`). Problems with the input are diagnostics it appends; a
    defect is an exception, which the pipeline turns into an internal-error diagnostic (exit 4)."""

    def __call__(self, app: Application, config: Config, facts: Facts, diagnostics: list[Diagnostic]) -> Facts:
        ...
