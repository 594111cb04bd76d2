"""Log redaction: mask registered secrets, values of secret-named environment variables and AWS key patterns.

Routes text takes out of the function, each given the same `Redactor`: the `logging` module (every record, at
creation, whatever logger and handler it goes to: under the Lambda runtime, logging may write to the telemetry
file descriptor and never touch sys.stdout), sys.stdout/sys.stderr and sys.__stdout__/sys.__stderr__ with their
binary `.buffer` (print, tracebacks), the guard's own events, and the errorMessage/stackTrace of a failed
invocation (the exception leaving the handler, and awslambdaric's error builders). What none sees: writes to
file descriptors 1/2 made by os.write, native code or child processes, and a secret split across two separate
write() calls. docs/guard.md lists these.
"""

from __future__ import annotations

import re
import sys
import threading
from itertools import pairwise

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any, Mapping

MASK = "****"
MIN_SECRET_LENGTH = 6
# Names are split into words (UPPER_SNAKE, kebab, camelCase) and judged by whole words, so AUTHOR, OAUTH_CLIENT_ID,
# PWD (the shell's working directory) or DSN_HOST are not secrets by name, while DB_PWD, OAUTH_CLIENT_SECRET,
# BASIC_AUTH and dbPassword are.
_SECRET_WORDS = frozenset({"secret", "secrets", "password", "passwd", "passphrase", "pwd", "pass", "token",
                           "tokens", "credential", "credentials", "creds", "apikey", "privatekey", "signingkey",
                           "clientkey", "webhooksecret"})
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("signing", "key"), ("client", "key"),
                           ("secret", "key"), ("access", "token"), ("master", "key"), ("encryption", "key")})
_LAST_WORD_SECRETS = frozenset({"auth", "authorization"})  # BASIC_AUTH yes; AUTH_URL, AUTH_DOMAIN no
# Names whose values are connection strings: the value itself is not a secret, the password inside it is.
_DSN_WORDS = frozenset({"dsn", "url", "uri", "connection", "connstr", "conn"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Variables named like secrets that are not secrets in Lambda.
_NOT_SECRET = frozenset({"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "PWD", "OLDPWD"})
# user:password@ in a URL (a DSN, a proxy URL): the password part.
_URL_PASSWORD = re.compile(r"(?<=[a-zA-Z0-9+.-]://)([^:/?#@\s]*):([^@/?#\s]{3,})@")
_ACCESS_KEY_ID = r"\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b"
# A 40-character secret access key: base64 alphabet, with upper, lower and digit (so hex digests do not match).
_SAK_SHAPE = (
    r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
_KEYED = r"(?i)(?<=aws_secret_access_key)(\s*[=:]\s*[\"']?)[^\s\"',;]+"


def name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


def is_secret_name(name: str) -> bool:
    """A variable name that says its value is a secret, judged word by word (see _SECRET_WORDS)."""
    if name in _NOT_SECRET or name.startswith("FAASGUARD_"):
        return False
    words = name_words(name)
    if not words:
        return False
    if any(w in _SECRET_WORDS for w in words) or words[-1] in _LAST_WORD_SECRETS:
        return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(words))


def url_passwords(value: str) -> list[str]:
    """The passwords inside URLs in `value` (postgres://user:PASSWORD@host/db)."""
    return [m.group(2) for m in _URL_PASSWORD.finditer(value)]


def secret_env_values(environ: Mapping[str, str]) -> list[str]:
    """Values of variables whose names say they hold secrets (AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN too),
    and the password inside any variable holding a URL with credentials (DATABASE_URL, SENTRY_DSN...)."""
    values = []
    for name, value in environ.items():
        if len(value) < MIN_SECRET_LENGTH:
            continue
        if is_secret_name(name):
            values.append(value)
        elif "://" in value and not name.startswith("FAASGUARD_"):
            values.extend(p for p in url_passwords(value) if len(p) >= MIN_SECRET_LENGTH)
    return values


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
        # the value as repr() and JSON print it too (quotes, backslashes, non-ASCII escaped): a secret in a
        # dict, an exception's repr or a JSON body is still the secret
        import json

        forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        with self._lock:
            if value in self._secrets:
                return
            self._secrets.update(f for f in forms if len(f) >= MIN_SECRET_LENGTH)
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
        if "://" in text:
            text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
        return text

    def redact_value(self, value: Any, depth: int = 0) -> Any:
        """`value` with every string value in it redacted, for structures about to be JSON-encoded. Keys are the
        guard's own field names and are left alone; numbers cost nothing."""
        if isinstance(value, str):
            return self.redact(value) if len(value) >= MIN_SECRET_LENGTH else value
        if depth > 20:
            return value
        if isinstance(value, dict):
            return {k: v if isinstance(v, (int, float)) else self.redact_value(v, depth + 1)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.redact_value(v, depth + 1) for v in value]
        if isinstance(value, bytes):
            return self.redact(value.decode("utf-8", "replace"))
        return value

    def redact_bytes(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")
        masked = self.redact(text)
        return data if masked == text else masked.encode("utf-8", "surrogateescape")


class RedactingFilter:
    """A logging filter (any object with `filter(record)` works) that rewrites the record's message and
    exception text through the redactor. Not a logging.Filter subclass, so logging is not imported for it."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_faasguard_redacted", False):
            return True
        return redact_record(record, self.redactor)


def redact_record(record: logging.LogRecord, redactor: Redactor) -> bool:
    """Rewrite a record's message, exception and stack text through the redactor (in place)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: let logging report it as usual
        return True
    redacted = redactor.redact(message)
    if redacted != message or record.args:
        record.msg, record.args = redacted, None
    if record.exc_info and not record.exc_text:
        import logging

        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)
    record._faasguard_redacted = True
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
    def buffer(self) -> Any:
        """The binary layer, redacted too (sys.stdout.buffer.write(secret) must not bypass the text layer)."""
        raw = getattr(self._stream, "buffer", None)
        if raw is None:
            raise AttributeError("buffer")
        return RedactingBuffer(raw, self._redactor)

    @property
    def wrapped(self) -> Any:
        return self._stream


class RedactingBuffer:
    """The binary side of a RedactingStream: bytes are decoded (UTF-8, undecodable bytes kept), redacted and
    written back. Everything else is delegated."""

    _faasguard_redacting = True

    def __init__(self, raw: Any, redactor: Redactor) -> None:
        self._stream = raw
        self._redactor = redactor

    def write(self, data: Any) -> int:
        if isinstance(data, (bytes, bytearray, memoryview)):
            payload = bytes(data)
            self._stream.write(self._redactor.redact_bytes(payload))
            return len(payload)
        return int(self._stream.write(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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
    """Redact every log record when it is created (a record factory wrapping the current one), so loggers with
    their own handlers (propagate=False, a StreamHandler on sys.__stderr__) are covered; plus the filter on
    every root handler for records made outside the factory. Runs at each invocation (the runtime installs its
    handlers after the guard's init; a library may replace the factory): a few attribute reads. Does nothing
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
    factory = logging_module.getLogRecordFactory()
    if not getattr(factory, "_faasguard", False):
        logging_module.setLogRecordFactory(_record_factory(factory, redactor))


def _record_factory(previous: Any, redactor: Redactor) -> Any:
    def factory(*args: Any, **kwargs: Any) -> Any:
        record = previous(*args, **kwargs)
        redact_record(record, redactor)
        return record

    factory._faasguard = True  # type: ignore[attr-defined]
    return factory


def redact_exception(exc: BaseException, redactor: Redactor) -> BaseException:
    """`exc`, or when its message holds a secret, an exception of a look-alike class (same name, a subclass, so
    `except` clauses and the errorType reported by the runtime are unchanged) whose message is masked. The
    runtime turns str(exc) into errorMessage and logs it; this is where a secret in it can still be stopped."""
    try:
        message = str(exc)
    except Exception:
        return exc
    masked = redactor.redact(message)
    if masked == message:
        return exc
    cls = type(exc)
    replacement: BaseException | None = None
    lookalike: Any = None
    try:  # noqa: SIM105 - contextlib is one more import
        lookalike = type(cls.__name__, (cls,), {"__str__": lambda self: masked, "__module__": cls.__module__,
                                                 "__qualname__": cls.__qualname__})
    except TypeError:  # a class that cannot be subclassed
        pass
    for make in (cls.__new__, BaseException.__new__):
        if lookalike is None:
            break
        try:
            replacement = make(lookalike)
            break
        except TypeError:  # a constructor that insists on its arguments (UnicodeDecodeError...)
            continue
    if replacement is None:  # keep the object, mask what str() is built from
        for name, value in (("args", (masked,)), ("filename", None), ("filename2", None), ("strerror", masked)):
            try:  # noqa: SIM105 - contextlib is one more import on the error path
                setattr(exc, name, value)
            except (AttributeError, TypeError):
                pass
        return exc
    replacement.args = (masked,)
    replacement.__cause__, replacement.__context__ = None, None
    return replacement


def wrap_error_builders(bootstrap: Any, redactor: Redactor) -> None:
    """Mask errorMessage, errorType and each stackTrace line in what awslambdaric posts to the Runtime API and
    logs for a failed invocation (make_error), and the message in the X-Ray fault (make_xray_fault)."""
    make_error = getattr(bootstrap, "make_error", None)
    if make_error is not None and not getattr(make_error, "_faasguard", False):
        def masked_error(error_message: Any, error_type: Any, stack_trace: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(stack_trace, list):
                stack_trace = [redactor.redact(line) if isinstance(line, str) else line for line in stack_trace]
            return make_error(redactor.redact(str(error_message)) if error_message is not None else None,
                              error_type, stack_trace, *args, **kwargs)

        masked_error._faasguard = True  # type: ignore[attr-defined]
        bootstrap.make_error = masked_error
    make_fault = getattr(bootstrap, "make_xray_fault", None)
    if make_fault is not None and not getattr(make_fault, "_faasguard", False):
        def masked_fault(ex_type: Any, ex_msg: Any, *args: Any, **kwargs: Any) -> Any:
            return make_fault(ex_type, redactor.redact(str(ex_msg)), *args, **kwargs)

        masked_fault._faasguard = True  # type: ignore[attr-defined]
        bootstrap.make_xray_fault = masked_fault
