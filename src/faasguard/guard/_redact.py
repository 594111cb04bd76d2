"""Log redaction: mask registered secrets, values of secret-named environment variables and AWS key patterns.

Two places text leaves the function: the `logging` module (which, under the Lambda runtime, may write to the
telemetry file descriptor and never touch sys.stdout) and sys.stdout/sys.stderr (print, tracebacks). Both get
the same `Redactor`. What neither sees: writes to file descriptors 1/2 made by os.write, native code or child
processes, and a secret split across two separate write() calls. docs/guard.md lists these.
"""

from __future__ import annotations

import re
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any, Mapping

MASK = "****"
MIN_SECRET_LENGTH = 6
_SECRET_NAME = re.compile(r"(?i)(secret|passw(or)?d|passwd|token|api_?key|private_?key|credential|auth|"
                          r"signing_?key|client_?key|\bpwd\b|_pwd$|^pwd_|dsn|connection_?string)")
# Variables named like secrets that are not secrets in Lambda.
_NOT_SECRET = frozenset({"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"})
_ACCESS_KEY_ID = r"\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b"
# A 40-character secret access key: base64 alphabet, with upper, lower and digit (so hex digests do not match).
_SAK_SHAPE = (
    r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
_KEYED = r"(?i)(?<=aws_secret_access_key)(\s*[=:]\s*[\"']?)[^\s\"',;]+"


def secret_env_values(environ: Mapping[str, str]) -> list[str]:
    """Values of variables whose names say they hold secrets (AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN too)."""
    return [value for name, value in environ.items()
            if name not in _NOT_SECRET and _SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH
            and not name.startswith("FAASGUARD_")]


class Redactor:
    """Masks known secret strings and AWS credential patterns in text. Thread-safe to add to and to use."""

    def __init__(self, extra_patterns: tuple[str, ...] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._patterns = [re.compile(_ACCESS_KEY_ID), re.compile(_SAK_SHAPE),
                          *(re.compile(p) for p in extra_patterns)]
        self._keyed = re.compile(_KEYED)
        self._literal: re.Pattern[str] | None = None

    def add(self, value: Any) -> None:
        """Register a secret value (strings shorter than 6 characters are ignored: they would mask words)."""
        if isinstance(value, bytes):
            try:
                value = value.decode()
            except UnicodeDecodeError:
                return
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._secrets:
                return
            self._secrets.add(value)
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest first: no partial masks
            self._literal = re.compile("|".join(re.escape(s) for s in ordered))

    def add_json_leaves(self, value: str) -> None:
        """A JSON secret ({"username": ..., "password": ...}): register the whole text and each string leaf."""
        self.add(value)
        import json

        try:
            doc = json.loads(value)
        except ValueError:
            return
        stack = [doc]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str):
                self.add(item)

    def __len__(self) -> int:
        return len(self._secrets)

    def redact(self, text: str) -> str:
        literal = self._literal
        if literal is not None:
            text = literal.sub(MASK, text)
        for pattern in self._patterns:
            text = pattern.sub(MASK, text)
        if "ecret_access_key" in text.lower():
            text = self._keyed.sub(lambda m: m.group(1) + MASK, text)
        return text


class RedactingFilter:
    """A logging filter (any object with `filter(record)` works) that rewrites the record's message and
    exception text through the redactor. Not a logging.Filter subclass, so logging is not imported for it."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        redacted = self.redactor.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            import logging

            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


class RedactingStream:
    """Wraps sys.stdout/sys.stderr: text written through it is redacted; everything else is delegated."""

    _faasguard_redacting = True

    def __init__(self, stream: Any, redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor

    def write(self, text: str) -> int:
        if isinstance(text, str):
            self._stream.write(self._redactor.redact(text))
            return len(text)
        return int(self._stream.write(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property
    def wrapped(self) -> Any:
        return self._stream


def is_redacting(stream: Any, depth: int = 4) -> bool:
    """True when writes to `stream` pass through a RedactingStream (directly or via runtime wrappers)."""
    while stream is not None and depth > 0:
        if getattr(type(stream), "_faasguard_redacting", False):
            return True
        stream = getattr(stream, "stream", None) or getattr(stream, "_stream", None)
        depth -= 1
    return False


_FILTERS: dict[int, RedactingFilter] = {}


def install_logging_filter(redactor: Redactor) -> None:
    """Add the redacting filter to every root-logger handler that lacks it (the runtime adds its handler after
    the guard's init, so this runs at each invocation; it costs a loop over usually one handler). Does nothing
    while nobody has imported logging."""
    logging_module = sys.modules.get("logging")
    if logging_module is None:
        return
    filt = _FILTERS.get(id(redactor))
    if filt is None:
        filt = _FILTERS[id(redactor)] = RedactingFilter(redactor)
    for handler in logging_module.getLogger().handlers:
        if filt not in handler.filters:
            handler.addFilter(filt)
