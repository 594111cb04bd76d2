"""Bounded work and per-input isolation for every loader (DESIGN.md "The scanner is attack surface too").

The scanner runs on pull requests whose every byte an attacker controls, and a few bytes can ask for unbounded
work: YAML aliases and complex keys, `Fn::FindInMap` of an aliased mapping, Serverless `${self:}` doubling,
Terraform `concat`/`format` doubling through locals, module fan-out. Limits on the *input* (file size, depth)
do not bound these: the *output* grows. So every construct that multiplies work charges what it produces to a
`Budget`: one per file (or per Terraform root module, which is evaluated as one unit), chained to one per scan
so that a thousand files each just under their own limit still stop. Exceeding either raises `BudgetExceededError`,
which is a `ParseError`: the input is refused with a located diagnostic and the rest of the scan goes on.

`isolated()` is the other half: whatever one file (or one resource of an app) does to a loader, the loader's
other files keep their results. Hostile-but-valid input that Python refuses (too deep for the interpreter's
stack, an integer above the str-digits limit, a path above NAME_MAX) is malformed input, reported as a parse
error so that the exit code follows the findings; anything else is a defect in faasguard and stays an
internal error (exit 4), now naming the one file that triggered it.

Charging is meant to be cheap enough for the hot paths: callers batch (the YAML converter charges its node count
once per document, the HCL evaluator only charges values it built) and the checks are integer decrements.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from faasguard._record import record
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, internal_error
from faasguard.model import Location
from faasguard.safeio import FileRefusedError, read_regular

__all__ = ["FILE_LIMITS", "MAX_FILE_BYTES", "SCAN_LIMITS", "Budget", "BudgetExceededError", "Limits", "ParseError",
           "Work", "internal_error", "isolated", "read_text"]

log = logging.getLogger(__name__)


class ParseError(Exception):
    """A malformed or refused input; carries the location of the problem."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


class Work(StrEnum):
    NODES = "nodes"
    """Values built (YAML nodes after alias expansion, resolved intrinsic values)."""
    TEXT = "text"
    """Characters of strings built by expansion (joins, substitutions, templates, complex keys)."""
    ITEMS = "items"
    """List and map elements built by evaluation (concat, for, flatten, range...)."""
    MODULES = "modules"
    """Terraform module instances (nested modules, count/for_each of modules)."""
    STEPS = "steps"
    """Evaluation steps (HCL expression nodes, Serverless variable resolutions)."""


@record
class Limits:
    nodes: int
    text: int
    items: int
    modules: int
    steps: int


FILE_LIMITS = Limits(nodes=2_000_000, text=64 * 1024 * 1024, items=2_000_000, modules=1_000, steps=1_000_000)
"""Per file. Real inputs are far below: the largest template of the corpora (a 1,000-function app) builds
~60k nodes, and the biggest Terraform root module ~30k evaluation steps; a file at these limits costs a few
hundred MB at most."""

SCAN_LIMITS = Limits(nodes=40_000_000, text=512 * 1024 * 1024, items=20_000_000, modules=20_000,
                     steps=20_000_000)
"""Per scan: the serverless-patterns corpus (498 templates) charges ~1.5M nodes; these are ~25× that."""


class BudgetExceededError(ParseError):
    """Work on one input went above its budget (or the scan's): the input is refused, the scan goes on."""


class Budget:
    """What one input (or the whole scan, as `parent`) may still build. Not thread-safe: one per loader run."""

    __slots__ = ("_left", "_limits", "parent", "subject")

    def __init__(self, limits: Limits, subject: str, parent: Budget | None = None) -> None:
        self._limits = limits
        self._left: dict[Work, int] = {kind: getattr(limits, kind.value) for kind in Work}
        self.subject = subject
        self.parent = parent

    def child(self, subject: str, limits: Limits = FILE_LIMITS) -> Budget:
        return Budget(limits, subject, self)

    def left(self, kind: Work) -> int:
        own = self._left[kind]
        return min(own, self.parent.left(kind)) if self.parent is not None else own

    def charge(self, kind: Work, amount: int, where: Location) -> None:
        left = self._left[kind] - amount
        self._left[kind] = left
        if left < 0:
            limit: int = getattr(self._limits, kind.value)
            scope = "the whole scan" if self.parent is None else self.subject
            raise BudgetExceededError(f"input expands beyond the work budget of {scope} ({kind.value} above "
                                 f"{limit:,}): a construct multiplies (aliases, complex keys, doubling "
                                 f"variables or lists, module fan-out); refused", where)
        if self.parent is not None:
            self.parent.charge(kind, amount, where)


_HOSTILE_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL, errno.EILSEQ})


def malformed(exc: BaseException) -> str | None:
    """Why hostile-but-valid input made Python raise `exc`, or None when `exc` is a defect of ours."""
    if isinstance(exc, ParseError):
        return exc.message
    if isinstance(exc, RecursionError):
        return "nests too deeply to load (the interpreter's stack would overflow); refused"
    if isinstance(exc, MemoryError):
        return "too large to load in the memory available; refused"
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return "holds an integer with too many digits to convert; refused"
    if isinstance(exc, OSError) and exc.errno in _HOSTILE_ERRNOS:
        return f"names a path the system refuses ({exc.strerror}); refused"
    if isinstance(exc, UnicodeError):
        return f"holds text that cannot be encoded or decoded ({type(exc).__name__}); refused"
    return None


@contextmanager
def isolated(diagnostics: list[Diagnostic], component: str, subject: str, where: Location | None = None, *,
             refuse_whole: bool = False) -> Iterator[None]:
    """Run one input's work (a file, or one resource of an app: `subject` names it, `where` locates it); if it
    raises, record why (parse error or internal error) and go on.

    The body must publish its results only at its end, so that a failed input leaves nothing half-built behind.
    `refuse_whole`: a budget overrun is re-raised, because the budget belongs to the enclosing file and every
    later resource of it would only fail again.
    """
    try:
        yield
    except Exception as exc:
        if refuse_whole and isinstance(exc, BudgetExceededError):
            raise
        reason = malformed(exc)
        if reason is None:
            diagnostics.append(internal_error(component, subject, exc, where))
            log.debug("%s crashed on %s", component, subject, exc_info=True)
            return
        if isinstance(exc, ParseError):
            location = exc.location
        else:
            location = where or Location(subject)
            reason = f"{subject}: {reason}"
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, reason, location, DiagnosticLevel.ERROR,
                                      component))


MAX_FILE_BYTES = 20 * 1024 * 1024  # above this a file is refused unread: no template or handler is that big


def read_text(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a source file with the scanner's safety limits; raise `ParseError` with a location on refusal."""
    try:
        data = read_regular(path, max_bytes)  # regular files only, checked on the opened descriptor
    except FileRefusedError as exc:
        raise ParseError(str(exc.strerror), Location(display)) from exc
    except (OSError, ValueError) as exc:
        raise ParseError(f"cannot read file: {(exc.strerror or exc) if isinstance(exc, OSError) else exc}",
                         Location(display)) from exc
    if b"\x00" in data[:8192]:
        raise ParseError("binary file, not a text template", Location(display))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})", Location(display)) from exc
