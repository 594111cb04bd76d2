"""Dependencies and advisories of one application's functions and layers (owned by the supply-chain issue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DependencyFacts:
    """Placeholder until the supply-chain analysis lands."""
