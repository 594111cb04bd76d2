"""The secret cache: TTL and refresh-ahead on a fake clock; Secrets Manager and SSM through moto's HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faasguard.guard._redact import Redactor
from faasguard.guard._secrets import SecretCache, SecretError, source_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Store:
    """A fetcher whose value and availability the test controls."""

    def __init__(self) -> None:
        self.value = "v1-secret-value"
        self.down = False
        self.calls = 0

    def __call__(self, name: str) -> str:
        self.calls += 1
        if self.down:
            raise ConnectionError("endpoint unreachable")
        return self.value


def test_ttl_refresh_ahead_and_stale_serving() -> None:
    clock, store, stale = Clock(), Store(), []
    cache = SecretCache(ttl=300, refresh_before=60, clock=clock, fetchers={"secretsmanager": store},
                        on_stale=lambda name, exc: stale.append(name))
    assert cache.get("db") == "v1-secret-value" and store.calls == 1  # cold start fetch
    clock.now += 239
    assert cache.get("db") == "v1-secret-value" and store.calls == 1  # served from memory
    store.value = "v2-rotated-value"
    clock.now += 2  # age 241 s: inside the refresh window (last 60 s of 300)
    assert cache.get("db") == "v2-rotated-value" and store.calls == 2
    store.down = True
    clock.now += 250  # due for refresh, fetch fails, not yet expired: old value, reported
    assert cache.get("db") == "v2-rotated-value" and stale == ["db"]
    clock.now += 60  # expired and still failing
    with pytest.raises(SecretError, match="endpoint unreachable"):
        cache.get("db")


def test_values_are_registered_for_redaction() -> None:
    redactor = Redactor()
    cache = SecretCache(fetchers={"secretsmanager": lambda name: '{"username": "admin", "password": "pa55word!"}'},
                        on_value=redactor.add_json_leaves)
    cache.get("db")
    assert redactor.redact("login admin / pa55word!") == "login admin / ****"  # 'admin' is too short to mask


def test_source_of() -> None:
    assert source_of("/app/db/password") == "ssm"
    assert source_of("ssm:db-password") == "ssm"
    assert source_of("arn:aws:ssm:us-east-1:123456789012:parameter/x") == "ssm"
    assert source_of("prod/db") == "secretsmanager"
    assert source_of("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf") == "secretsmanager"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_secrets_manager_and_ssm_over_http(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(key, value)
    boto3.client("secretsmanager").create_secret(Name="prod/db", SecretString="s3cr3t-from-sm")
    boto3.client("ssm").put_parameter(Name="/prod/api-key", Value="key-from-ssm-123", Type="SecureString")
    redactor = Redactor()
    cache = SecretCache(on_value=redactor.add)
    assert cache.get("prod/db") == "s3cr3t-from-sm"
    assert cache.get("/prod/api-key") == "key-from-ssm-123"
    assert cache.get("prod/db") == "s3cr3t-from-sm" and cache.fetches == 2
    assert redactor.redact("x s3cr3t-from-sm key-from-ssm-123") == "x **** ****"
    with pytest.raises(SecretError, match="ResourceNotFoundException"):
        cache.get("prod/missing")
