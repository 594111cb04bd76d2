"""A moto server on 127.0.0.1 (a free port), reached over real HTTP through `--endpoint-url`.

Credentials are dummy values set here for the test process only; the real environment's credentials and
profiles are hidden so that nothing of them can reach a report.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

_DUMMY = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
          "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
          "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in _DUMMY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[str]:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(aws_env: None, _moto_server: str) -> str:
    """The moto server, emptied (its state is the test's fixture)."""
    request = urllib.request.Request(f"{_moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=120):
        pass
    return _moto_server
