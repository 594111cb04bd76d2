"""faasguard.guard: runtime protection for Python Lambda functions (standard library only).

Use it as a decorator (``@guard`` on the handler) or through the Lambda layer (``AWS_LAMBDA_EXEC_WRAPPER=
/opt/faasguard-guard``), which needs no code change. See docs/guard.md, including what audit hooks cannot do.

This package imports nothing from the rest of faasguard and nothing outside the standard library: it runs
inside customers' functions, on every Python version Lambda supports (3.10 and later).
"""

from __future__ import annotations

import threading

from faasguard.guard._config import GuardConfig, GuardConfigError, load_config
from faasguard.guard._core import guard, install, installed, register_secret
from faasguard.guard._errors import GuardBlocked, GuardTamper, ValidationError
from faasguard.guard._secrets import SecretCache, SecretError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from faasguard.guard import _validate as validate

_SECRETS: SecretCache | None = None
_SECRETS_LOCK = threading.Lock()


def get_secret(name: str) -> str:
    """A secret from Secrets Manager (name or ARN) or SSM Parameter Store ('/path', 'ssm:name' or an SSM ARN).

    Cached for 5 minutes and refreshed in the last minute of that; call it at module level to fetch at cold
    start. The value is masked in logs from then on. Raises SecretError when it cannot be fetched.
    """
    global _SECRETS  # noqa: PLW0603 - one cache per process, created on first use
    if _SECRETS is None:
        with _SECRETS_LOCK:
            if _SECRETS is None:
                _SECRETS = SecretCache(on_value=register_secret)
    return _SECRETS.get(name)


def __getattr__(name: str) -> Any:
    """`faasguard.guard.validate` is imported on first use (it is not needed by functions that do not use it)."""
    if name == "validate":
        import importlib

        module = importlib.import_module("faasguard.guard._validate")
        globals()["validate"] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def redact(value: Any) -> None:
    """Register a value to be masked in logs (what get_secret does for its values)."""
    register_secret(str(value))


__all__ = [
    "GuardBlocked", "GuardConfig", "GuardConfigError", "GuardTamper", "SecretCache", "SecretError",
    "ValidationError", "get_secret", "guard", "install", "installed", "load_config", "redact", "validate",
]
