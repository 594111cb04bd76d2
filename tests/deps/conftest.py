"""Fixtures for the supply-chain tests: an isolated advisory cache and a copy of the SAM fixture app with its
layer zipped."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from deps_helpers import FIXTURES, zip_dir


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Never read or write the user's real advisory cache, never reach the real OSV URLs."""
    from faasguard.analysis import deps

    cache = tmp_path / "cache"
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(cache))
    monkeypatch.setenv("FAASGUARD_OSV_API_URL", "http://127.0.0.1:9/unused")
    monkeypatch.setenv("FAASGUARD_OSV_EXPORT_URL", "http://127.0.0.1:9/unused")
    deps._sources.cache_clear()
    yield cache
    deps._sources.cache_clear()


@pytest.fixture
def sam_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture app, copied; the current directory is the app (reports show paths relative to it)."""
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "sam-app", app)
    zip_dir(app / "layers" / "deps", app / "layers" / "deps.zip")
    monkeypatch.chdir(app)
    return app
