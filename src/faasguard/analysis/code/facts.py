"""What the handler code analysis learned about one function's handler (owned by the code-analysis issue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HandlerFacts:
    """Placeholder until the code analysis lands; fields are added there."""

    handler_file: str
    handler_function: str
