"""The FG201 classifier on its own: which variable names hold secrets, which values look generated."""

from __future__ import annotations

import pytest

from faasguard.model import EnvVar, Location, Unknown
from faasguard.rules.secrets import classify, looks_random, secret_name_kind

HERE = Location("template.yaml", 1)


@pytest.mark.parametrize(("name", "kind"), [
    ("DB_PASSWORD", "password"), ("dbPassword", "password"), ("MYSQL_PWD", "password"),
    ("JWT_SECRET", "secret"), ("AWS_SECRET_ACCESS_KEY", "secret"), ("APIKey", "secret"),
    ("STRIPE_API_KEY", "secret"), ("GITHUB_TOKEN", "secret"), ("PRIVATE_KEY", "secret"),
    ("DB_SECRET_ARN", None), ("API_KEY_PARAMETER", None), ("TOKEN_TTL", None), ("TOKEN_URL", None),
    ("SECRET_NAME", None), ("MAX_TOKENS", None), ("PARTITION_KEY", None), ("SSM_PASSWORD", None),
    ("TABLE_NAME", None), ("ACCESS_KEY_ID", None),
    # settings about how passwords are derived or checked, not passwords
    ("PASSWORD_ITERATIONS", None), ("HASH_ROUNDS", None), ("PASSWORD_MIN", None), ("LOGIN_ATTEMPTS", None),
    ("TOKEN_RETRIES", None),
    # keys that sign or encrypt sessions and tokens
    ("SESSION_KEY", "secret"), ("HMAC_KEY", "secret"), ("JWT_KEY", "secret"), ("SESSION_KEY_NAME", None),
])
def test_secret_names(name: str, kind: str | None) -> None:
    assert secret_name_kind(name) == kind


@pytest.mark.parametrize(("value", "random"), [
    ("9f8Kq2LmZx4vB7nR1tYw3eHs6", True), ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),
    ("poc-microvm-token-42", False), ("MyAppSecretName", False), ("orders-db-credentials", False),
    ("short1A", False),
])
def test_generated_looking_values(value: str, random: bool) -> None:
    assert looks_random(value) is random


@pytest.mark.parametrize(("name", "value", "reported"), [
    ("DB_PASSWORD", "Sup3rS3cretPassw0rd!", True),
    ("ANYTHING", "AKIAIOSFODNN7EXAMPLE", True),
    ("DATABASE_URL", "mysql://app:s3cr3t-pass@db.example.com/app", True),
    ("DATABASE_URL", "mysql://db.example.com/app", False),
    ("DB_PASSWORD", "changeme", False),
    ("DB_PASSWORD", "{{resolve:secretsmanager:db:SecretString:password}}", False),
    ("DB_PASSWORD", "/prod/db/password", False),
    ("API_KEY", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:key-AbCdEf", False),
    ("API_TOKEN", "my-service-token", False),
    ("FEATURE_FLAG", "true", False),
    ("SESSION_KEY", "9f8Kq2LmZx4vB7nR1tYw3eHs6", True),
    ("SESSION_KEY", "session_id", False),
    # a bare *_KEY name: reported only with a generated-looking value that is not a key id, path or host
    ("BLOG_KEY", "5d1c7e09b2a84f36c0e9a7d3b6f21e48", True),
    ("mapsKey", "q7Rz2Lk9Wm4Xv8Tn3Bp6", True),
    ("BLOG_KEY", "blog-v2", False),
    ("CACHE_KEY", "q7Rz2Lk9Wm4Xv8Tn3Bp6", False),
    ("STRIPE_PUBLISHABLE_KEY", "pk_live_q7Rz2Lk9Wm4Xv8Tn3Bp6", False),
    ("RECAPTCHA_SITE_KEY", "6Lc9q7Rz2Lk9Wm4Xv8Tn3Bp6", False),
    ("S3_KEY", "uploads/2024/q7Rz2Lk9Wm4Xv8Tn3Bp6.csv", False),
    ("KMS_KEY", "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b", False),
    ("GPG_KEY", "4C1D9E7A0B3F62E85D17A9C0B4E36F2819D7A05C", False),
    ("SIGNER_KEY", "mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9", False),
    ("LICENSE_KEY", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:lic-AbCdEf", False),
])
def test_classify(name: str, value: str, reported: bool) -> None:
    assert (classify(EnvVar(name, value, HERE)) is not None) is reported


def test_unknown_and_references_are_never_reported() -> None:
    assert classify(EnvVar("DB_PASSWORD", Unknown("!Ref to NoEcho parameter DbPassword"), HERE)) is None
    assert classify(EnvVar("DB_PASSWORD", "whatever", HERE, secret_reference=True)) is None
    verdict = classify(EnvVar("KEY", "", HERE, from_secret_attribute="AWS::IAM::AccessKey.SecretAccessKey"))
    assert verdict is not None


def test_long_names_and_values_are_classified_without_the_cache() -> None:
    """Names and values over the cache's length bound are classified directly, with the answers the short ones
    get: a long generated password is reported, a long table name is not, and asking twice changes nothing."""
    from faasguard.rules.secrets import _CACHED_VALUE_CHARS, _classify_cached

    generated = "9f8Kq2LmZx4vB7nR1tYw3eHs6" * 12
    assert len(generated) > _CACHED_VALUE_CHARS
    before = _classify_cached.cache_info().currsize
    verdict = classify(EnvVar("DB_PASSWORD", generated, HERE))
    assert verdict is not None
    assert verdict.why == "holds a plaintext password"
    assert classify(EnvVar("DB_PASSWORD", generated, HERE)) == verdict
    assert classify(EnvVar("TABLE_NAME", "orders-" * 50, HERE)) is None
    assert _classify_cached.cache_info().currsize == before  # not kept
    long_name = "DB_PASSWORD_FOR_" + "REPLICA_" * 40
    assert len(long_name) > _CACHED_VALUE_CHARS
    assert secret_name_kind(long_name) == "password"
    assert secret_name_kind("REPLICA_" * 40 + "TOKEN_TTL") is None


def test_repeated_variables_get_the_same_answer() -> None:
    """The cache answers a repeated (name, value) as the first call did, reported or not."""
    for _ in range(3):
        verdict = classify(EnvVar("API_TOKEN", "9f8Kq2LmZx4vB7nR1tYw3eHs6", HERE))
        assert verdict is not None
        assert verdict.why == "holds a plaintext secret"
        assert classify(EnvVar("API_TOKEN", "my-service-token", HERE)) is None
