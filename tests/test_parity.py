"""One result whatever the format: the vulnerable example app as SAM, Serverless Framework and Terraform.

`examples/vulnerable-app` (SAM), `examples/parity/serverless` and `examples/parity/terraform` declare the same
backend with the same flaws. Each is copied with the shared handler code (`examples/vulnerable-app/src`) into a
temporary directory and scanned; each finding becomes (rule, function) pairs with the function reduced to its
bare name (`aws_lambda_function.DbAdminFunction` → `DbAdminFunction`), and the three sets must be equal.

`EXPECTED` pins the set itself, so a regression shared by all three formats (a rule that stops firing
everywhere) fails too. `KNOWN_GAPS` lists, pair by pair, where one variant differs today and why; the test
fails when a listed gap disappears, so a fixed gap cannot linger in the list.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.pipeline import scan

ROOT = Path(__file__).resolve().parent.parent
SAM = ROOT / "examples" / "vulnerable-app"
VARIANTS = {
    "sam": SAM,
    "serverless": ROOT / "examples" / "parity" / "serverless",
    "terraform": ROOT / "examples" / "parity" / "terraform",
}
CONFIG = Config(severity=Severity.INFO)

Pair = tuple[str, str | None]

SHARED = ("DbAdminFunction", "ImageConverterFunction")
EXPECTED: set[Pair] = {
    *{(rule, fn) for rule in ("FG102", "FG104", "FG106", "FG107") for fn in SHARED},  # the shared catch-all role
    ("FG201", "DbAdminFunction"), ("FG203", "DbAdminFunction"),  # plaintext DB_PASSWORD (C2)
    ("FG205", "ImageConverterFunction"), ("FG205", "ReportFunction"),  # /tmp not cleaned (C3)
    ("FG301", "DbAdminFunction"), ("FG305", "DbAdminFunction"), ("FG306", "DbAdminFunction"),
    ("FG307", "DbAdminFunction"),  # the unauthenticated admin route and its stage (C4)
    ("FG302", "ReportFunction"),  # function URL with AuthType NONE
    ("FG303", "ReportFunction"),  # events.amazonaws.com permission without a source
    ("FG309", "DbAdminFunction"),  # all-egress security group (C5)
    ("FG401", "DbAdminFunction"),  # 900 s behind API Gateway (C6)
    ("FG402", "QueueWorkerFunction"),  # python3.8
    ("FG403", "DbAdminFunction"), ("FG403", "ReportFunction"),
    ("FG404", "ImageConverterFunction"),
    ("FG404", "QueueWorkerFunction"), ("FG404", "PreviewFunction"),  # their queues have no redrive policy
    ("FG405", "DbAdminFunction"), ("FG405", "ReportFunction"),
    ("FG501", "ImageConverterFunction"), ("FG501", "QueueWorkerFunction"),  # shell injection from S3 / SQS
    ("FG503", "DbAdminFunction"),  # SQL injection from the API body
    ("FG506", "ImageConverterFunction"),  # S3 key as a local path
    ("FG602", "ImageConverterFunction"), ("FG602", "QueueWorkerFunction"),  # unpinned requirements
    ("FG601", "DbAdminFunction"),  # requests 2.25.0 / PyYAML 5.3, from the advisory snapshot shipped in the package
    ("FG901", "ImageConverterFunction"),  # S3 upload → shell → shared role → every secret (attack path)
    *{("FG902", fn) for fn in SHARED},  # the converter's compromise yields the admin function's table
    # info
    ("FG108", "ImageConverterFunction"), ("FG108", "ReportFunction"),  # calls its role does not grant
    *{("FG406", fn) for fn in (*SHARED, "QueueWorkerFunction", "ReportFunction")},  # no code signing
    ("FG511", "DbAdminFunction"), ("FG511", "QueueWorkerFunction"), ("FG511", "ReportFunction"),
    # the Node.js worker: ffmpeg command line from the SQS message, on nodejs20.x, and its queue as attack entry
    ("FG501", "PreviewFunction"), ("FG901", "PreviewFunction"), ("FG402", "PreviewFunction"),
    ("FG406", "PreviewFunction"), ("FG511", "PreviewFunction"),
}

IGNORED_RULES: dict[str, str] = {}
"""Rules that genuinely cannot be expressed the same way in every format (none today)."""

KNOWN_GAPS: dict[str, dict[Pair, str]] = {}


def _bare(function: str) -> str:
    return re.sub(r"^(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*aws_lambda_function\.", "", function)


def _pairs(findings: list[Finding]) -> set[Pair]:
    out: set[Pair] = set()
    for finding in findings:
        if finding.rule_id in IGNORED_RULES:
            continue
        functions = finding.function
        if functions is None or isinstance(functions, str):
            out.add((finding.rule_id, _bare(functions) if functions else None))
        else:
            out.update((finding.rule_id, _bare(f)) for f in functions)
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[Pair]]:
    out: dict[str, set[Pair]] = {}
    # the advisory data is the snapshot shipped in the package, never what `db update` left in the user's cache
    isolate = pytest.MonkeyPatch()
    isolate.setenv("FAASGUARD_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    try:
        _scan_variants(tmp_path_factory, out)
    finally:
        isolate.undo()
    return out


def _scan_variants(tmp_path_factory: pytest.TempPathFactory, out: dict[str, set[Pair]]) -> None:
    for name, source in VARIANTS.items():
        target = tmp_path_factory.mktemp(name) / "app"
        shutil.copytree(source, target)
        if name != "sam":
            shutil.copytree(SAM / "src", target / "src")
        result = scan([str(target)], CONFIG, cwd=target)
        assert len(result.apps) == 1, [d.message for d in result.diagnostics]
        errors = [d for d in result.diagnostics if d.kind.value in ("internal-error", "parse-error")]
        assert not errors, errors
        out[name] = _pairs(result.findings)


def test_sam_app_gives_the_expected_pairs(results: dict[str, set[Pair]]) -> None:
    found = results["sam"]
    assert found == EXPECTED, f"missing {sorted(EXPECTED - found)}, unexpected {sorted(found - EXPECTED)}"


@pytest.mark.parametrize("variant", ["serverless", "terraform"])
def test_variant_matches_sam(results: dict[str, set[Pair]], variant: str) -> None:
    found = results[variant]
    gaps = KNOWN_GAPS.get(variant, {})
    adjusted = (found - {p for p in gaps if p not in EXPECTED}) | {p for p in gaps if p in EXPECTED}
    assert adjusted == results["sam"], (
        f"{variant}: missing {sorted(results['sam'] - adjusted)}, unexpected {sorted(adjusted - results['sam'])}")
    still_there = {p for p in gaps if (p in found) != (p in EXPECTED)}
    assert still_there == set(gaps), f"{variant}: gaps fixed, remove them from KNOWN_GAPS: {set(gaps) - still_there}"


def test_terraform_has_no_known_gap() -> None:
    assert "terraform" not in KNOWN_GAPS
