"""FG901 on a function that serves several routes of one API (tests/fixtures/paths_routes): the routes of one
API with the same exposure are one path naming them all, while another API, another exposure and another
function each keep a path of their own. Modelled on deliberately vulnerable apps whose single handler serves a
whole REST API and dispatches on `event["path"]`: one SSRF there used to give one critical finding per route."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.pipeline import scan

FIXTURE = Path(__file__).parent.parent / "fixtures" / "paths_routes"


@pytest.fixture(scope="module")
def paths() -> list[Finding]:
    result = scan([str(FIXTURE)], Config(select=("FG901",)))
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    return result.findings


def test_one_path_per_api_and_exposure(paths: list[Finding]) -> None:
    assert sorted((f.resource, Path(f.location.path).name, f.location.line, f.severity.value) for f in paths) == [
        ("PortalFunction", "portal.py", 8, Severity.CRITICAL.value),  # the three open routes of the implicit API
        ("PortalFunction", "portal.py", 8, Severity.CRITICAL.value),  # the open route of PartnerApi
        ("PortalFunction", "portal.py", 8, Severity.MEDIUM.value),    # the IAM-signed route of the implicit API
        ("PreviewFunction", "preview.py", 6, Severity.CRITICAL.value),
    ]


def test_merged_path_names_every_route_and_starts_at_the_first(paths: list[Finding]) -> None:
    merged = [f for f in paths if "routes " in f.message]
    assert len(merged) == 1
    assert merged[0].message.startswith(
        "attack path: REST API ServerlessRestApi routes GET /fetch, GET /health, POST /profile (no authorization)")
    entry = merged[0].evidence[0]
    assert entry.description.startswith("entry: REST API ServerlessRestApi routes GET /fetch, GET /health, POST")
    assert (Path(entry.location.path).name, entry.location.line) == ("template.yaml", 41)  # the Fetch event


def test_single_routes_keep_their_own_wording(paths: list[Finding]) -> None:
    single = sorted(f.message.split(" → ")[0] for f in paths if "routes " not in f.message)
    assert single == [
        "attack path: REST API route GET /audit (AWS_IAM authorization)",
        "attack path: REST API route GET /partner/fetch (no authorization)",
        "attack path: REST API route GET /preview (no authorization)",
    ]
