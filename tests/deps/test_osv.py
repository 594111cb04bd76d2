"""OSV matching semantics on hand-written records of real advisories."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from deps_helpers import ADVISORIES

from faasguard.analysis.deps.osv import MemoryStore, OsvFormatError, match, merge, parse_record
from faasguard.findings import Severity


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ADVISORIES / f"{name}.json").read_text())
    return data


def affected(record_name: str, ecosystem: str, package: str, version: str) -> bool:
    return match(parse_record(raw(record_name)), ecosystem, package, version) is not None


@pytest.mark.parametrize(("version", "expected"), [
    ("2.25.0", True), ("2.3.0", True), ("2.30.0", True), ("2.31.0", False), ("2.32.3", False),
    ("2.2.1", False),                    # before `introduced`
    ("2.31.0rc1", True),                 # a pre-release sorts before its release (PEP 440)
    ("2.25.0+ubuntu1", True),            # a local build of a vulnerable release is that release
    ("2.31.0+ubuntu1", False),
    ("2.25", True),                      # PEP 440 equality: 2.25 == 2.25.0
    ("not-a-version", False),            # never guessed
])
def test_ecosystem_range(version: str, expected: bool) -> None:
    assert affected("GHSA-j8r2-6x86-q33q", "PyPI", "requests", version) is expected


@pytest.mark.parametrize(("version", "expected"), [
    ("5.3", True), ("5.1b1", True), ("5.3.1", True), ("5.4", False), ("5.4b2", True), ("6.0", False),
])
def test_versions_list(version: str, expected: bool) -> None:
    record = raw("PYSEC-2021-142")
    record["affected"][0]["ranges"] = []  # the `versions` list alone decides
    assert (match(parse_record(record), "PyPI", "pyyaml", version) is not None) is expected


def test_versions_list_matches_local_version_of_listed_release() -> None:
    record = raw("PYSEC-2021-142")
    record["affected"][0]["ranges"] = []
    assert match(parse_record(record), "PyPI", "pyyaml", "5.3+local.1") is not None


def test_package_names_are_normalised() -> None:
    record = parse_record(raw("GHSA-8q59-q68h-6hv4"))  # written "PyYAML"
    assert match(record, "PyPI", "pyyaml", "5.3") is not None
    assert MemoryStore([record]).lookup("PyPI", "pyyaml") == [record]


@pytest.mark.parametrize(("version", "expected"), [
    ("2.6.1", True), ("2.6", True), ("2.0.1", True), ("2.6.2", False), ("3.0", False),
])
def test_last_affected_is_inclusive(version: str, expected: bool) -> None:
    assert affected("GHSA-6528-wvf6-f6qg", "PyPI", "pycrypto", version) is expected
    found = match(parse_record(raw("GHSA-6528-wvf6-f6qg")), "PyPI", "pycrypto", "2.6.1")
    assert found is not None
    assert found.fixed is None
    assert found.last_affected == "2.6.1"


@pytest.mark.parametrize(("version", "expected"), [
    ("4.17.20", True), ("4.17.21", False), ("4.17.21-beta.1", True), ("3.10.1", True), ("5.0.0", False),
])
def test_npm_semver_range(version: str, expected: bool) -> None:
    assert affected("GHSA-35jh-r3h4-6jhm", "npm", "lodash", version) is expected


def test_npm_range_with_introduced_version() -> None:
    assert affected("GHSA-p6mc-m468-83gw", "npm", "lodash", "4.17.15")
    assert not affected("GHSA-p6mc-m468-83gw", "npm", "lodash", "3.6.0")  # before introduced 3.7.0
    assert not affected("GHSA-p6mc-m468-83gw", "npm", "lodash", "4.17.19")


def test_other_package_in_the_same_record_does_not_match() -> None:
    assert not affected("GHSA-35jh-r3h4-6jhm", "npm", "lodash-es", "4.17.20")
    assert affected("GHSA-35jh-r3h4-6jhm", "npm", "lodash.template", "4.5.0")
    assert not affected("GHSA-35jh-r3h4-6jhm", "PyPI", "lodash", "4.17.20")


def test_multiple_ranges_suggest_the_fix_of_the_installed_branch() -> None:
    record = parse_record(raw("GHSA-v845-jxx5-vc9f"))
    old_branch = match(record, "PyPI", "urllib3", "1.26.5")
    new_branch = match(record, "PyPI", "urllib3", "2.0.4")
    assert old_branch is not None
    assert old_branch.fixed == "1.26.17"
    assert new_branch is not None
    assert new_branch.fixed == "2.0.6"
    assert match(record, "PyPI", "urllib3", "1.26.17") is None
    assert match(record, "PyPI", "urllib3", "2.0.6") is None


def test_unsorted_events_and_reintroduction() -> None:
    record = raw("GHSA-j8r2-6x86-q33q")
    record["affected"][0]["ranges"][0]["events"] = [
        {"fixed": "2.31.0"}, {"introduced": "3.0.0"}, {"introduced": "2.3.0"}]
    parsed = parse_record(record)
    assert match(parsed, "PyPI", "requests", "2.25.0") is not None
    assert match(parsed, "PyPI", "requests", "2.31.0") is None
    assert match(parsed, "PyPI", "requests", "3.1.0") is not None


def test_withdrawn_record_is_skipped() -> None:
    record = copy.deepcopy(raw("GHSA-j8r2-6x86-q33q"))
    record["withdrawn"] = "2023-07-01T00:00:00Z"
    assert match(parse_record(record), "PyPI", "requests", "2.25.0") is None


def test_git_ranges_are_ignored() -> None:
    record = raw("GHSA-j8r2-6x86-q33q")
    record["affected"][0]["ranges"] = [{"type": "GIT", "repo": "https://github.com/psf/requests",
                                        "events": [{"introduced": "0"}]}]
    assert match(parse_record(record), "PyPI", "requests", "2.25.0") is None


def test_aliases_merge_into_one_advisory_with_all_ids() -> None:
    records = [parse_record(raw(n)) for n in ("GHSA-j8r2-6x86-q33q", "PYSEC-2023-74", "GHSA-9wx4-h78v-vm56")]
    matches = [m for r in records if (m := match(r, "PyPI", "requests", "2.25.0"))]
    advisories = merge(matches, "PyPI")
    assert sorted(a.id for a in advisories) == ["CVE-2023-32681", "CVE-2024-35195"]
    leak = next(a for a in advisories if a.id == "CVE-2023-32681")
    assert leak.aliases == ("GHSA-j8r2-6x86-q33q", "PYSEC-2023-74")
    assert leak.summary == "Unintended leak of Proxy-Authorization header in requests"  # the GHSA summary
    assert leak.fixed == ("2.31.0",)
    assert leak.severity is Severity.MEDIUM


def test_severity_from_database_specific_then_cvss() -> None:
    assert parse_record(raw("GHSA-8q59-q68h-6hv4")).severity is Severity.CRITICAL
    record = raw("GHSA-35jh-r3h4-6jhm")
    del record["database_specific"]
    parsed = parse_record(record)  # CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H = 7.2
    assert parsed.severity is Severity.HIGH
    assert parsed.severity_source == "CVSS:3.1 base score 7.2"
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    record["severity"] = [{"type": "CVSS_V4", "score": vector}]
    assert parse_record(record).severity is Severity.CRITICAL
    assert parse_record(raw("PYSEC-2023-74")).severity is None  # no severity in the record


@pytest.mark.parametrize("data", [
    [], "x", {"id": 3}, {"id": "X-1", "aliases": "CVE-1"}, {"id": "X-1", "affected": {}},
    {"id": "X-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "ranges": [{"events": [{}]}]}]},
])
def test_malformed_records_raise_a_format_error(data: Any) -> None:
    with pytest.raises(OsvFormatError):
        parse_record(data)
