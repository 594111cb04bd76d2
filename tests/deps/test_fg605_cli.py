"""FG605 through `faasguard scan` on real CloudFormation and Terraform files (issue 15): the registry-wide
scanning configuration is loaded into the model and exempts only the repositories its filters match, and the
fix text keeps the case-sensitive property names intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main

ECR = Path(__file__).parent.parent / "fixtures" / "ecr"
SCAN_FIX = ("Turn on scan on push (`ImageScanningConfiguration: {ScanOnPush: true}` / "
            "`image_scanning_configuration { scan_on_push = true }`).")
TAG_FIX = "Make tags immutable (`ImageTagMutability: IMMUTABLE` / `image_tag_mutability = \"IMMUTABLE\"`)."


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")


def fg605(app: str, tmp_path: Path) -> list[tuple[str, str, int, str, str]]:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(ECR / app), "--select", "FG605", "--format", "json",
                                       "-o", str(out)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    return [(f["rule_id"], f["resource"], f["location"]["line"], f["severity"], f["fix"])
            for f in report["findings"]]


def test_cloudformation_registry_scanning_exempts_only_matching_repositories(tmp_path: Path) -> None:
    assert fg605("cfn-positive", tmp_path) == [
        ("FG605", "BillingRepository", 13, "medium", SCAN_FIX),
        ("FG605", "ScanOffRepository", 23, "medium", SCAN_FIX),
        ("FG605", "MutableRepository", 29, "low", TAG_FIX),
    ]


def test_cloudformation_scanned_immutable_repositories_are_clean(tmp_path: Path) -> None:
    assert fg605("cfn-negative", tmp_path) == []


def test_terraform_registry_scanning_exempts_only_matching_repositories(tmp_path: Path) -> None:
    assert fg605("tf-positive", tmp_path) == [
        ("FG605", "aws_ecr_repository.billing", 13, "medium", SCAN_FIX),
        ("FG605", "aws_ecr_repository.reports", 22, "medium", SCAN_FIX),
        ("FG605", "aws_ecr_repository.orders", 28, "low", TAG_FIX),
    ]


def test_terraform_scanned_immutable_repositories_are_clean(tmp_path: Path) -> None:
    assert fg605("tf-negative", tmp_path) == []
