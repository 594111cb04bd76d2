"""`faasguard._packaged`: the data tables shipped with the package, read through its loader."""

from __future__ import annotations

import json

import pytest

from faasguard._packaged import packaged


def test_reads_the_shipped_tables() -> None:
    runtimes = json.loads(packaged("runtimes.json"))
    assert runtimes["runtimes"]["python3.12"]
    assert "Templates" in json.loads(packaged("sam/policy_templates.json"))
    assert json.loads(packaged("layer_accounts.json"))["publishers"]


def test_a_missing_table_is_an_error_not_an_empty_one() -> None:
    with pytest.raises(FileNotFoundError):
        packaged("no-such-table.json")
