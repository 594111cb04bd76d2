"""dpkg, apk and rpm version order, on version pairs taken from real package archives and advisories."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faasguard.analysis.images.versions import parse_apk, parse_dpkg, parse_rpm, rpmvercmp

# (older, newer): each pair is from Debian/Ubuntu archives or advisories (DSA/USN fixed versions)
DPKG = [
    ("3.0.11-1~deb12u1", "3.0.11-1~deb12u2"),   # DSA-5532-1 openssl
    ("3.0.11-1~deb12u2", "3.0.11-1"),           # a backport sorts before the unstable upload
    ("1.2.13.dfsg-1", "1:1.2.11.dfsg-2+deb11u2"),  # the epoch wins (zlib)
    ("2.36-9+deb12u3", "2.36-9+deb12u4"),       # glibc security updates
    ("5.2.15-2", "5.2.15-2+b2"),                # a binNMU
    ("3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.12"),  # USN openssl on 22.04
    ("1.0~rc1-1", "1.0-1"),                     # ~ before the release
    ("7.88.1-10+deb12u4", "7.88.1-10+deb12u10"),  # numeric, not lexical
    ("2024a-0+deb12u1", "2024b-0+deb12u1"),     # tzdata
    ("1.0", "1.0-0.1"),
]
APK = [
    ("3.1.3-r0", "3.1.4-r0"),        # openssl on Alpine 3.18, CVE-2023-5363 fixed in 3.1.4-r0
    ("1.36.1-r2", "1.36.1-r10"),     # revisions are numbers
    ("1.2.4-r2", "1.2.4_git20230717-r4"),  # a post-release suffix is newer (musl)
    ("2.4.0_rc1-r0", "2.4.0-r0"),    # a pre-release suffix is older
    ("1.0_alpha1", "1.0_beta1"),
    ("1.2", "1.2a"),                 # a letter after the numbers is newer
    ("1.2a", "1.2.1"),               # more numeric components win first
    ("1.02", "1.1"),                 # leading zero: a decimal fraction
    ("8.4.0-r0", "8.5.0-r0"),        # curl
]
RPM = [
    ("3.0.7-24.el9", "3.0.7-25.el9"),       # openssl on RHEL 9
    ("1:3.0.7-24.el9", "2:1.0-1"),          # the epoch wins
    ("1.0~rc1-1", "1.0-1"),
    ("1.0-1", "1.0^git1-1"),                # caret: a post-release snapshot
    ("2.26-59.amzn2", "2.26-63.amzn2"),     # glibc on Amazon Linux 2
    ("1.0a", "1.0.1"),
    ("5.2.15", "5.2.15.1"),
]


@pytest.mark.parametrize(("older", "newer"), DPKG)
def test_dpkg_order(older: str, newer: str) -> None:
    a, b = parse_dpkg(older), parse_dpkg(newer)
    assert a is not None
    assert b is not None
    assert a < b
    assert b > a
    assert a != b


@pytest.mark.parametrize(("older", "newer"), APK)
def test_apk_order(older: str, newer: str) -> None:
    a, b = parse_apk(older), parse_apk(newer)
    assert a is not None
    assert b is not None
    assert a < b
    assert b > a
    assert a != b


@pytest.mark.parametrize(("older", "newer"), RPM)
def test_rpm_order(older: str, newer: str) -> None:
    a, b = parse_rpm(older), parse_rpm(newer)
    assert a is not None
    assert b is not None
    assert a < b
    assert b > a
    assert a != b


@pytest.mark.parametrize(("left", "right"), [("1.0", "1.0-0"), ("0:1.2-3", "1.2-3"), ("1.01-1", "1.1-1")])
def test_dpkg_equal(left: str, right: str) -> None:
    assert parse_dpkg(left) == parse_dpkg(right)


@pytest.mark.parametrize("bad", ["", "abc", "x:1.0", "1.0-", "1.0 2", "1.0-r@"])
def test_dpkg_rejects(bad: str) -> None:
    assert parse_dpkg(bad) is None


@pytest.mark.parametrize("bad", ["", "v3.1", "3.1-rx", "3.1_foo1"])
def test_apk_rejects(bad: str) -> None:
    assert parse_apk(bad) is None


def test_rpm_segments() -> None:
    assert rpmvercmp("1.0", "1.0") == 0
    assert rpmvercmp("1.0", "1_0") == 0  # separators are not significant
    assert rpmvercmp("10", "9") == 1
    assert rpmvercmp("a", "1") == -1


_DPKG_CHARS = st.text("ab01.+~", max_size=5)
_DPKG_TEXT = st.builds(lambda epoch, head, upstream, revision: f"{epoch}{head}{upstream}{revision}",
                       st.sampled_from(["", "1:"]), st.sampled_from("0129"), _DPKG_CHARS,
                       st.sampled_from(["", "-1", "-0~a", "-1+b1", "-2"]))


@given(_DPKG_TEXT, _DPKG_TEXT, _DPKG_TEXT)
def test_dpkg_is_a_total_order(a: str, b: str, c: str) -> None:
    x, y, z = parse_dpkg(a), parse_dpkg(b), parse_dpkg(c)
    assert x is not None
    assert y is not None
    assert z is not None
    assert (x < y) + (y < x) + (x == y) == 1
    if x <= y and y <= z:
        assert x <= z


_APK_TEXT = st.builds(lambda numbers, letter, suffix, revision: ".".join(numbers) + letter + suffix + revision,
                      st.lists(st.sampled_from(["0", "1", "2", "10", "01"]), min_size=1, max_size=3),
                      st.sampled_from(["", "a", "c"]), st.sampled_from(["", "_rc1", "_p2", "_git", "_alpha"]),
                      st.sampled_from(["", "-r0", "-r1", "-r10"]))


@given(_APK_TEXT, _APK_TEXT)
def test_apk_is_antisymmetric(a: str, b: str) -> None:
    x, y = parse_apk(a), parse_apk(b)
    assert x is not None
    assert y is not None
    assert (x < y) + (y < x) + (x == y) == 1
