"""The supply-chain rules through the whole pipeline on a SAM app (CloudFormation loader → enrich → rules)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from deps_helpers import ADVISORIES, line_of

from faasguard import pipeline
from faasguard.config import Config
from faasguard.findings import DiagnosticKind, DiagnosticLevel, Finding, Incomplete, Severity


def scan(app: Path, **options: object) -> pipeline.ScanResult:
    config = Config(select=("FG6",)).with_options(**options)
    return pipeline.scan([str(app)], config, cwd=app)


def by_rule(result: pipeline.ScanResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule]


def test_fg601_pinned_vulnerable_requirement_with_fix(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    orders = [f for f in by_rule(result, "FG601") if f.resource == "OrdersFunction"]
    requirements = sam_app / "orders" / "requirements.txt"
    requests = [f for f in orders if f.message.startswith("requests 2.25.0")]
    assert {f.location.line for f in requests} == {line_of(requirements, "requests==2.25.0")}
    assert requests[0].location.path == "orders/requirements.txt"
    ids = sorted(f.message.split("vulnerability ")[1].split(" ")[0] for f in requests)
    assert ids == ["CVE-2023-32681", "CVE-2024-35195"]  # PYSEC-2023-74 and its GHSA merged into one
    leak = next(f for f in requests if "CVE-2023-32681" in f.message)
    assert "GHSA-j8r2-6x86-q33q" in leak.message
    assert "PYSEC-2023-74" in leak.message
    assert "fixed in 2.31.0" in leak.message
    assert leak.fix
    assert "2.31.0" in leak.fix
    assert leak.severity is Severity.MEDIUM  # GitHub's MODERATE
    assert leak.function == "OrdersFunction"


def test_fg601_constraint_pins_unversioned_requirement(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    urllib3 = [f for f in by_rule(result, "FG601") if f.message.startswith("urllib3 1.26.5")]
    assert len(urllib3) == 1
    assert urllib3[0].location.line == line_of(sam_app / "orders" / "requirements.txt", "urllib3")
    assert "fixed in 1.26.17" in urllib3[0].message  # the 1.x branch's fix, not 2.0.6
    assert not [f for f in by_rule(result, "FG602") if "urllib3" in f.message]


def test_fg601_last_affected_without_fix(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    pycrypto = [f for f in by_rule(result, "FG601") if f.message.startswith("pycrypto")]
    assert len(pycrypto) == 1
    assert "no fixed version published (last affected 2.6.1)" in pycrypto[0].message
    assert pycrypto[0].severity is Severity.HIGH


def test_fg601_layer_zip_reported_through_its_functions(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    layer = [f for f in by_rule(result, "FG601") if f.resource == "DepsLayer"]
    assert {f.message.split(" has ")[0] for f in layer} == {
        "requests 2.25.0 in layer DepsLayer (used by OrdersFunction, ReportsFunction)",
        "PyYAML 5.3 in layer DepsLayer (used by OrdersFunction, ReportsFunction)"}
    assert all(f.function == ("OrdersFunction", "ReportsFunction") for f in layer)
    assert all(f.location.path == "layers/deps.zip" and f.location.line == 1 for f in layer)
    pyyaml = sorted(f.message.split("vulnerability ")[1].split(" ")[0] for f in layer if "PyYAML" in f.message)
    assert pyyaml == ["CVE-2020-14343", "CVE-2020-1747"]
    assert all(f.severity is Severity.CRITICAL for f in layer if "PyYAML" in f.message)


def test_fg601_npm_exact_version_in_package_json(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    lodash = [f for f in by_rule(result, "FG601") if f.message.startswith("lodash 4.17.20")]
    assert [f.resource for f in lodash] == ["WebFunction"]
    assert lodash[0].location.line == line_of(sam_app / "web" / "package.json", '"lodash"')
    assert "CVE-2021-23337" in lodash[0].message
    assert "fixed in 4.17.21" in lodash[0].message


def test_no_fg601_for_dev_only_or_fixed_or_marker_excluded(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    reports = [f for f in by_rule(result, "FG601") if f.resource == "ReportsFunction"]
    assert reports == []  # requests 2.32.3 is fixed; requests 2.25.0 only in requirements-dev.txt
    assert not [f for f in result.findings if "simplejson" in f.message]  # python_version < "3"


def test_fg602_unpinned_requirements_and_npm_ranges(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    unpinned = {(f.resource, f.location.path, f.location.line) for f in by_rule(result, "FG602")}
    requirements = sam_app / "orders" / "requirements.txt"
    package_json = sam_app / "web" / "package.json"
    assert unpinned == {
        ("OrdersFunction", "orders/requirements.txt", line_of(requirements, "PyYAML>=5.1")),
        ("WebFunction", "web/package.json", line_of(package_json, '"express"')),
    }


def test_fg603_foreign_layer_only(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    found = by_rule(result, "FG603")
    template = sam_app / "template.yaml"
    assert [(f.resource, f.location.line) for f in found] == [("OrdersFunction", line_of(template, "Layers:"))]
    assert "123456789012" in found[0].message
    allowed = scan(sam_app, advisories=(str(ADVISORIES),), trusted_layer_accounts=("123456789012",))
    assert by_rule(allowed, "FG603") == []


def test_fg604_and_fg605(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    template = sam_app / "template.yaml"
    images = by_rule(result, "FG604")
    # The line is the ImageUri line once the loader records it (field "image_uri"), else the function's line;
    # tests/deps/test_rules.py pins the exact line on the model.
    assert [f.resource for f in images] == ["ImageFunction"]
    assert images[0].location.line in (line_of(template, "ImageFunction:"), line_of(template, "thumbnails:latest"))
    repos = sorted((f.resource, f.location.line, f.severity) for f in by_rule(result, "FG605"))
    assert repos == [
        ("ScanOffRepository", line_of(template, "ImageScanningConfiguration:", 2), Severity.MEDIUM),
        ("ThumbnailsRepository", line_of(template, "ThumbnailsRepository:"), Severity.MEDIUM),
    ]


def test_no_advisory_data_uses_the_shipped_snapshot_and_says_npm_is_unchecked(sam_app: Path) -> None:
    """No cache, no --advisories: Python dependencies are matched against the shipped PyPA snapshot (real
    records), the report names it with its date, and npm packages, which it does not cover, are reported as
    not checked, once, rather than implied clean."""
    result = scan(sam_app, today=date(2024, 11, 1))
    requirements = sam_app / "orders" / "requirements.txt"
    leak = [f for f in by_rule(result, "FG601") if "PYSEC-2023-74" in f.message]
    assert sorted((f.resource, f.location.path, f.location.line) for f in leak) == [
        ("DepsLayer", "layers/deps.zip", 1),
        ("OrdersFunction", "orders/requirements.txt", line_of(requirements, "requests==2.25.0"))]
    assert not any(f.message.startswith("left-pad") for f in by_rule(result, "FG601"))
    (used,) = [d for d in result.diagnostics if d.message.startswith("dependencies checked against")]
    assert "PyPA advisory database snapshot shipped with faasguard (data of 2024-10-10; CC-BY 4.0)" in used.message
    notes = [d for d in result.diagnostics if "NOT checked for known vulnerabilities" in d.message]
    assert [(n.message.split(" ")[0], n.incomplete) for n in notes] == [("npm", Incomplete.DEPENDENCIES)]
    assert "faasguard db update" in notes[0].message
    assert not [d for d in result.diagnostics if "days old" in d.message]  # 22 days: not stale
    assert by_rule(result, "FG602")  # everything else is still reported


def test_stale_snapshot_warns_after_90_days(sam_app: Path) -> None:
    result = scan(sam_app, today=date(2025, 1, 9))  # 91 days after the snapshot's data
    (stale,) = [d for d in result.diagnostics if "days old" in d.message]
    assert stale.level is DiagnosticLevel.WARNING
    assert "91 days old (data of 2024-10-10)" in stale.message
    assert not [d for d in scan(sam_app, today=date(2025, 1, 8)).diagnostics if "days old" in d.message]


def test_snapshot_not_mixed_with_named_advisory_data(sam_app: Path) -> None:
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    (used,) = [d for d in result.diagnostics if d.message.startswith("dependencies checked against")]
    assert "snapshot" not in used.message


def test_broken_inputs_are_located_diagnostics(sam_app: Path) -> None:
    (sam_app / "orders" / "requirements.txt").write_text("requests==2.25.0\nrequests=2.25.0\n--frobnicate\n")
    (sam_app / "web" / "package.json").write_text('{"dependencies": {"lodash": "4.17.20",}}')
    result = scan(sam_app, advisories=(str(ADVISORIES),))
    parse_errors = {(d.location.path, d.location.line) for d in result.diagnostics
                    if d.kind is DiagnosticKind.PARSE_ERROR and d.location}
    assert ("orders/requirements.txt", 2) in parse_errors
    assert ("orders/requirements.txt", 3) in parse_errors
    assert ("web/package.json", 1) in parse_errors
    assert [f for f in by_rule(result, "FG601") if f.message.startswith("requests 2.25.0 in function")]
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics)


def test_shipped_snapshot_index_and_lazy_records() -> None:
    # Format 2 (JSON Lines): every record line parses, the index points at records of the package it names, and
    # a lookup parses only that package's records.
    import gzip
    import json

    from packaging.utils import canonicalize_name

    from faasguard.analysis.deps.advisories import SNAPSHOT, SnapshotStore

    header, *lines = gzip.decompress(SNAPSHOT.read_bytes()).split(b"\n")
    assert json.loads(header)["format"] == 2
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    index = json.loads(header)["packages"]
    for package, positions in index.items():
        for position in positions:
            assert package in {canonicalize_name(a["package"]["name"]) for a in records[position]["affected"]}
    store = SnapshotStore()
    found = store.lookup("PyPI", "django")
    assert found
    assert {r.id for r in found} == {records[i]["id"] for i in index["django"]}
    assert set(store._parsed) == set(index["django"])
    assert store.lookup("npm", "django") == []
