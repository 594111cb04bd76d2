"""Version order of the OS package managers: dpkg (Debian, Ubuntu), apk (Alpine) and RPM.

None of them is PEP 440 or SemVer, and an advisory's `fixed` event is only meaningful in the distribution's own
order: `3.0.11-1~deb12u1` is *before* `3.0.11-1` (a tilde sorts before everything, even the end of the
string), `1:1.2.11` is after `2.0` (the epoch wins), and Alpine's `1.36.1-r2` is after `1.36.1-r10` only if
revisions were compared as text, which they are not. Each class here implements its tool's documented algorithm
(deb-version(7) and dpkg's `verrevcmp`; apk-tools' version.c token order; rpm's `rpmvercmp`) so that
`parse_*` returns an object the OSV range walk can sort, or None for a string the tool itself would reject:
a version we cannot place is never guessed to be inside a range.
"""

from __future__ import annotations

import re
from functools import total_ordering

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


# --------------------------------------------------------------------------------------------------- dpkg

def _dpkg_order(ch: str) -> int:
    """dpkg's character weight: `~` below the end of the string, letters below other symbols."""
    if ch in _DIGITS:
        return 0
    if ch in _LETTERS:
        return ord(ch)
    if ch == "~":
        return -1
    return ord(ch) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        first_diff = 0
        while (i < la and a[i] not in _DIGITS) or (j < lb and b[j] not in _DIGITS):
            ac = _dpkg_order(a[i]) if i < la else 0
            bc = _dpkg_order(b[j]) if j < lb else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < la and a[i] == "0":
            i += 1
        while j < lb and b[j] == "0":
            j += 1
        while i < la and a[i] in _DIGITS and j < lb and b[j] in _DIGITS:
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < la and a[i] in _DIGITS:
            return 1
        if j < lb and b[j] in _DIGITS:
            return -1
        if first_diff:
            return first_diff
    return 0


_DPKG_UPSTREAM = re.compile(r"^[0-9][A-Za-z0-9.+~:-]*$")
_DPKG_REVISION = re.compile(r"^[A-Za-z0-9.+~]*$")


@total_ordering
class DpkgVersion:
    """`[epoch:]upstream[-revision]`, compared as dpkg compares it."""

    __slots__ = ("epoch", "revision", "text", "upstream")

    def __init__(self, epoch: int, upstream: str, revision: str, text: str) -> None:
        self.epoch, self.upstream, self.revision, self.text = epoch, upstream, revision, text

    def _cmp(self, other: DpkgVersion) -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        return _verrevcmp(self.upstream, other.upstream) or _verrevcmp(self.revision, other.revision)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DpkgVersion) and self._cmp(other) == 0

    def __lt__(self, other: DpkgVersion) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash((self.epoch, self.upstream.rstrip("0."), self.revision.rstrip("0.")))

    def __repr__(self) -> str:
        return f"DpkgVersion({self.text!r})"


def parse_dpkg(text: str) -> DpkgVersion | None:
    version = text.strip()
    epoch = 0
    rest = version
    if ":" in version:
        head, rest = version.split(":", 1)
        if not head.isdigit():
            return None
        epoch = int(head)
    upstream, revision = (rest.rsplit("-", 1) if "-" in rest else (rest, ""))
    if not _DPKG_UPSTREAM.match(upstream) or not _DPKG_REVISION.match(revision) or ("-" in rest and not revision):
        return None
    return DpkgVersion(epoch, upstream, revision, version)


# ---------------------------------------------------------------------------------------------------- apk

_APK_PRE = {"alpha": 0, "beta": 1, "pre": 2, "rc": 3}
_APK_POST = {"cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}
_APK_RELEASE = 4
_APK = re.compile(
    r"^(?P<numbers>\d+(?:\.\d+)*)(?P<letter>[a-z]?)(?P<suffixes>(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)"
    r"(?:~(?P<hash>[0-9a-f]+))?(?:-r(?P<revision>\d+))?$")
_APK_SUFFIX = re.compile(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)")


@total_ordering
class ApkVersion:
    """An Alpine package version: `numbers[letter][_suffix[n]]...[~hash][-rN]`, in apk's token order."""

    __slots__ = ("letter", "numbers", "revision", "suffixes", "text")

    def __init__(self, numbers: tuple[str, ...], letter: str, suffixes: tuple[tuple[int, int], ...],
                 revision: int, text: str) -> None:
        self.numbers, self.letter, self.suffixes, self.revision, self.text = (numbers, letter, suffixes,
                                                                             revision, text)

    def _cmp(self, other: ApkVersion) -> int:
        for index, (a, b) in enumerate(zip(self.numbers, other.numbers, strict=False)):
            if index and (a.startswith("0") or b.startswith("0")):
                # a component with a leading zero is a decimal fraction (apk's DIGIT_OR_ZERO): 1.02 < 1.1
                left, right = a.rstrip("0"), b.rstrip("0")
                if left != right:
                    return -1 if left < right else 1
            elif int(a) != int(b):
                return -1 if int(a) < int(b) else 1
        if len(self.numbers) != len(other.numbers):
            return -1 if len(self.numbers) < len(other.numbers) else 1
        if self.letter != other.letter:
            return -1 if self.letter < other.letter else 1
        for a_suffix, b_suffix in zip(self.suffixes, other.suffixes, strict=False):
            if a_suffix != b_suffix:
                return -1 if a_suffix < b_suffix else 1
        if len(self.suffixes) != len(other.suffixes):
            longer, sign = (self, 1) if len(self.suffixes) > len(other.suffixes) else (other, -1)
            extra = longer.suffixes[min(len(self.suffixes), len(other.suffixes))][0]
            # a trailing pre-release suffix makes the version older, a post-release one newer
            return -sign if extra < _APK_RELEASE else sign
        if self.revision != other.revision:
            return -1 if self.revision < other.revision else 1
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApkVersion) and self._cmp(other) == 0

    def __lt__(self, other: ApkVersion) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash((tuple(int(n) for n in self.numbers[:1]), self.letter, self.suffixes, self.revision))

    def __repr__(self) -> str:
        return f"ApkVersion({self.text!r})"


def parse_apk(text: str) -> ApkVersion | None:
    match = _APK.match(text.strip())
    if match is None:
        return None
    suffixes = tuple(((_APK_PRE | _APK_POST)[name], int(number or 0))
                     for name, number in _APK_SUFFIX.findall(match.group("suffixes")))
    return ApkVersion(tuple(match.group("numbers").split(".")), match.group("letter"), suffixes,
                      int(match.group("revision") or 0), text.strip())


# ---------------------------------------------------------------------------------------------------- rpm

def rpmvercmp(a: str, b: str) -> int:  # noqa: C901, PLR0912 -- RPM's rpmvercmp algorithm, kept in the shape of its specification
    """rpm's segment comparison: alphanumeric runs compared numerically or as text, `~` before anything
    (even the end), `^` after the end but before any further segment."""
    if a == b:
        return 0
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        while i < la and not a[i].isalnum() and a[i] not in "~^":
            i += 1
        while j < lb and not b[j].isalnum() and b[j] not in "~^":
            j += 1
        a_tilde, b_tilde = i < la and a[i] == "~", j < lb and b[j] == "~"
        if a_tilde or b_tilde:
            if not (a_tilde and b_tilde):
                return -1 if a_tilde else 1
            i += 1
            j += 1
            continue
        a_caret, b_caret = i < la and a[i] == "^", j < lb and b[j] == "^"
        if a_caret or b_caret:
            if i >= la:
                return -1
            if j >= lb:
                return 1
            if not a_caret:
                return 1
            if not b_caret:
                return -1
            i += 1
            j += 1
            continue
        if i >= la or j >= lb:
            break
        start_i, start_j = i, j
        numeric = a[i] in _DIGITS
        if numeric:
            while i < la and a[i] in _DIGITS:
                i += 1
            while j < lb and b[j] in _DIGITS:
                j += 1
        else:
            while i < la and a[i] in _LETTERS:
                i += 1
            while j < lb and b[j] in _LETTERS:
                j += 1
        seg_a, seg_b = a[start_i:i], b[start_j:j]
        if not seg_b:
            return 1 if numeric else -1  # a number is newer than a word
        if numeric:
            seg_a, seg_b = seg_a.lstrip("0"), seg_b.lstrip("0")
            if len(seg_a) != len(seg_b):
                return 1 if len(seg_a) > len(seg_b) else -1
        if seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
    if i >= la and j >= lb:
        return 0
    return -1 if i >= la else 1


@total_ordering
class RpmVersion:
    """`[epoch:]version[-release]` (EVR), compared as rpm compares it; a missing epoch is 0."""

    __slots__ = ("epoch", "release", "text", "version")

    def __init__(self, epoch: int, version: str, release: str, text: str) -> None:
        self.epoch, self.version, self.release, self.text = epoch, version, release, text

    def _cmp(self, other: RpmVersion) -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        return rpmvercmp(self.version, other.version) or rpmvercmp(self.release, other.release)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RpmVersion) and self._cmp(other) == 0

    def __lt__(self, other: RpmVersion) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash(self.epoch)

    def __repr__(self) -> str:
        return f"RpmVersion({self.text!r})"


def parse_rpm(text: str) -> RpmVersion | None:
    evr = text.strip()
    if not evr or any(c.isspace() for c in evr):
        return None
    epoch = 0
    if ":" in evr:
        head, evr = evr.split(":", 1)
        if not head.isdigit():
            return None
        epoch = int(head)
    version, release = evr.rsplit("-", 1) if "-" in evr else (evr, "")
    if not version:
        return None
    return RpmVersion(epoch, version, release, text.strip())
