"""Configuration files and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import ConfigError, load_config
from faasguard.findings import Severity


def test_pyproject_table_is_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.faasguard]\nseverity = "medium"\nmax-timeout = 120\naccounts = ["111122223333"]\n'
        '[[tool.faasguard.ignore]]\nrule = "FG104"\nresource = "SharedRole"\nreason = "split planned"\n')
    (tmp_path / "app").mkdir()
    config = load_config(None, search_from=tmp_path / "app")
    assert config.severity is Severity.MEDIUM
    assert config.max_timeout == 120
    assert config.accounts == ("111122223333",)
    assert config.ignores[0].rule == "FG104"


def test_dot_file_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / ".faasguard.toml").write_text('advisories = ["adv"]\nignore = ["FG406"]\n')
    config = load_config(None, search_from=tmp_path)
    assert config.advisories == (str(tmp_path / "adv"),)
    assert config.ignore == ("FG406",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('severity = "urgent"', "severity must be one of"),
        ("max_timeout = -1", "non-negative integer"),
        ('[[ignore]]\nrule = "FG104"\nresource = "R"\n', "needs a `reason`"),
        ("strict = 1", "true or false"),
        ("x = [", "invalid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / ".faasguard.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
