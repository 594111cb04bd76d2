"""What IAM evaluation learned about the roles of one application (owned by the IAM issue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IamFacts:
    """Placeholder until the IAM engine lands."""
