"""The pre-commit hook (issue 14): a dependency manifest staged alone still gets its application scanned, and the
hook's file filter passes manifests and lockfiles as well as templates and code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from faasguard.cli import main

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "fixtures" / "deps" / "sam-app"
ADVISORIES = ROOT / "tests" / "fixtures" / "deps" / "advisories"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(APP, tmp_path / "sam-app")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_a_requirements_file_alone_scans_the_template_that_deploys_it(repo: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "--allow-empty", "sam-app/orders/requirements.txt", "--format", "json",
                                       "--select", "FG601", "--advisories", str(ADVISORIES)])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [s["path"] for s in report["sources"]] == ["sam-app/template.yaml"]
    assert any(f["location"]["path"] == "sam-app/orders/requirements.txt" for f in report["findings"])


def test_an_unrelated_text_file_alone_is_not_a_failure(repo: Path) -> None:
    (repo / "notes.txt").write_text("hello\n")
    result = CliRunner().invoke(main, ["scan", "--allow-empty", "notes.txt"])
    assert result.exit_code == 0


def test_a_manifest_outside_any_application_finds_nothing_above_the_repository(repo: Path) -> None:
    (repo / "tools").mkdir()
    (repo / "tools" / "requirements.txt").write_text("requests==2.25.0\n")
    result = CliRunner().invoke(main, ["scan", "--allow-empty", "tools/requirements.txt", "--format", "json"])
    assert result.exit_code == 0


@pytest.mark.parametrize(("name", "passed"), [
    ("services/api/requirements.txt", True), ("requirements-prod.txt", True), ("requirements.in", True),
    ("yarn.lock", True), ("pnpm-lock.yaml", True), ("package-lock.json", True), ("poetry.lock", True),
    ("Pipfile", True), ("pyproject.toml", True), ("template.yaml", True), ("main.tf", True),
    ("handler.py", True), ("Dockerfile", True), ("Dockerfile.prod", True), ("README.md", False),
    ("logo.png", False), ("src/index.html", False),
])
def test_hook_file_filter(name: str, passed: bool) -> None:
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    assert bool(re.search(hook["files"], name)) is passed
