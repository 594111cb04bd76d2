"""Secrets from Secrets Manager or SSM Parameter Store (SecureString), fetched with the runtime's boto3.

Why a cache with refresh-ahead: fetching on every invocation adds ~10-50 ms and an API call each time, and
fetching only at cold start serves a rotated secret for the life of the environment. A value is fetched the
first time it is asked for (normally at init, outside the billed invocation), served from memory for `ttl`
seconds, and refreshed once its age enters the last `refresh_before` seconds, so a fetch failure then can still
serve the old value until it actually expires. Every value fetched is registered with the log redactor.

boto3 is imported lazily and is not a dependency of the guard: the Lambda Python runtime ships it.
"""

from __future__ import annotations

import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Fetcher = Callable[[str], str]


class SecretError(RuntimeError):
    """A secret could not be fetched (and no unexpired cached value exists)."""


class _Entry:
    __slots__ = ("fetched_at", "value")

    def __init__(self, value: str, fetched_at: float) -> None:
        self.value = value
        self.fetched_at = fetched_at


def source_of(name: str) -> str:
    """'ssm' for parameter names and SSM ARNs ('/app/db', 'ssm:/app/db', 'arn:aws:ssm:...'), else 'secretsmanager'."""
    if name.startswith(("ssm:", "/", "arn:aws:ssm:", "arn:aws-cn:ssm:", "arn:aws-us-gov:ssm:")):
        return "ssm"
    return "secretsmanager"


def boto3_fetcher(source: str, client: Any = None) -> Fetcher:
    """A fetcher using boto3 (imported now, not at guard import). Endpoint overrides (AWS_ENDPOINT_URL_*) apply."""
    if client is None:
        import boto3

        client = boto3.client("ssm" if source == "ssm" else "secretsmanager")

    def fetch(name: str) -> str:
        if source == "ssm":
            param = name[4:] if name.startswith("ssm:") else name
            response = client.get_parameter(Name=param, WithDecryption=True)
            return str(response["Parameter"]["Value"])
        response = client.get_secret_value(SecretId=name)
        if "SecretString" in response:
            return str(response["SecretString"])
        binary = response.get("SecretBinary", b"")
        return binary.decode("utf-8", "replace") if isinstance(binary, bytes) else str(binary)

    return fetch


class SecretCache:
    """Cache of secret values with refresh-ahead. `clock` is injectable (tests use a fake one)."""

    def __init__(self, *, ttl: float = 300.0, refresh_before: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 fetchers: dict[str, Fetcher] | None = None,
                 on_value: Callable[[str], None] | None = None,
                 on_stale: Callable[[str, BaseException], None] | None = None) -> None:
        if refresh_before >= ttl:
            raise ValueError("refresh_before must be shorter than ttl")
        self.ttl = ttl
        self.refresh_before = refresh_before
        self._clock = clock
        self._fetchers = dict(fetchers or {})
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._on_value = on_value
        self._on_stale = on_stale
        self.fetches = 0

    def _fetcher(self, source: str) -> Fetcher:
        fetcher = self._fetchers.get(source)
        if fetcher is None:
            fetcher = self._fetchers[source] = boto3_fetcher(source)
        return fetcher

    def get(self, name: str) -> str:
        now = self._clock()
        entry = self._entries.get(name)
        if entry is not None and now - entry.fetched_at < self.ttl - self.refresh_before:
            return entry.value
        with self._lock:  # one fetch per name at a time; others wait and reuse it
            entry = self._entries.get(name)
            now = self._clock()
            if entry is not None and now - entry.fetched_at < self.ttl - self.refresh_before:
                return entry.value
            try:
                value = self._fetcher(source_of(name))(name)
                self.fetches += 1
            except Exception as exc:
                if entry is not None and now - entry.fetched_at < self.ttl:
                    if self._on_stale is not None:
                        self._on_stale(name, exc)
                    return entry.value
                raise SecretError(f"cannot fetch secret {name!r}: {type(exc).__name__}: {exc}") from exc
            if self._on_value is not None:
                self._on_value(value)
            self._entries[name] = _Entry(value, self._clock())
            return value

    def invalidate(self, name: str | None = None) -> None:
        with self._lock:
            if name is None:
                self._entries.clear()
            else:
                self._entries.pop(name, None)
