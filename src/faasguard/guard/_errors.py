"""The exceptions the guard raises into a function (kept tiny: the handler wrapper imports it at init)."""

from __future__ import annotations


class GuardBlocked(PermissionError):  # noqa: N818 - public name, reads as what happened
    """Raised into the function when a policy in `block` mode stops an operation."""


class GuardTamper(RuntimeError):  # noqa: N818 - public name
    """Raised when code tries to change the guard, or to add an audit hook while the tamper policy blocks
    (a RuntimeError: CPython then refuses the new hook silently, as documented for sys.addaudithook)."""


class ValidationError(ValueError):
    """The event does not have the expected shape or breaks a constraint. `errors` lists each problem."""

    def __init__(self, errors: str | list[str], source: str = "event") -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        self.source = source
        super().__init__(f"invalid {source} event: " + "; ".join(self.errors))
