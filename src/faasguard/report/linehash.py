"""GitHub's `primaryLocationLineHash`: the rolling hash code scanning uses to follow an alert across edits.

When a SARIF result lacks this fingerprint, `github/codeql-action/upload-sarif` computes it on the runner from
the checked-out file; a result uploaded through the REST API, or from a runner whose checkout differs, gets
none and GitHub then matches alerts by line number only. Writing it ourselves makes both routes agree. The
value must be bit-for-bit what the action computes, so this follows its documented algorithm (reimplemented,
see docs/reports.md "SARIF for GitHub"):

* the file is read as UTF-8 text (undecodable bytes become U+FFFD) and walked in UTF-16 code units, as
  JavaScript strings are;
* spaces and tabs are skipped everywhere; CR, LF and CRLF all count as one LF;
* each line's hash is a polynomial rolling hash (base 37, 64-bit two's-complement wrap-around) over the 100
  characters that follow the line's first kept character, across line ends; after the last character of the
  file one end marker (65535) and then zeros fill the window;
* the hash is written in lower-case hex of its unsigned value, followed by `:` and how many times that hash
  value has been seen so far in the file (1 for the first), so that identical lines stay distinct.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from itertools import accumulate
from operator import add

_BLOCK = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, _BLOCK, 1 << 64)
_END = 65535


def _normalised(text: str) -> tuple[array[int], list[int]]:
    """The UTF-16 code units the action's walk keeps: CRLF, then a lone CR, become LF (in that order: a CR and
    an LF with a space between them are two line ends, as in the walk), spaces and tabs are dropped; and the
    position of each line's first unit. Without characters above U+FFFF (one unit each, then), the positions
    are those of the text's lines, summed in C; otherwise each LF is looked up in the units."""
    kept = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = array("H")
    units.frombytes(kept.encode("utf-16-le", "surrogatepass"))
    if len(units) == len(kept):
        lines = kept.split("\n")  # line i starts after the i lines before it and their LFs:
        return units, list(map(add, accumulate(map(len, lines), initial=0), range(len(lines))))
    starts = [0]
    position = units.index(0x0A) if 0x0A in units else -1
    while position >= 0:
        starts.append(position + 1)
        try:
            position = units.index(0x0A, position + 1)
        except ValueError:
            break
    return units, starts


def line_hashes(text: str, wanted: Iterable[int] | None = None) -> dict[int, str]:
    """`{line number: "hex:count"}` for every line of `text` (1-based), or only for the lines in `wanted`.

    Computed from prefix hashes rather than by replaying the action's character-by-character window (the same
    numbers, ~20x faster in Python): with P[i+1] = 37·P[i] + c[i] over the kept code units followed by the end
    marker and 100 zeros, the window that starts at position p hashes to P[p+100] − 37^100·P[p] (mod 2^64)."""
    want = set(wanted) if wanted is not None else None
    if want is not None and not want:
        return {}
    units, starts = _normalised(text)
    length = len(units)
    last = min(max(want), len(starts)) if want else len(starts)
    # the windows of lines 1..last reach at most 100 units past the last one's start: hash no further
    end = starts[last - 1] + _BLOCK
    if end > length:
        units.append(_END)
        units.extend([0] * (end - len(units)))
    if want is not None and len(want) * _BLOCK < end:
        return _sparse(units, starts[:last], want)
    prefix = [0] * (end + 1)
    value = 0
    mod, mask = _MOD, _MASK
    for index, unit in enumerate(units[:end], 1):
        value = (value * mod + unit) & mask
        prefix[index] = value
    counts: dict[str, int] = {}
    out: dict[int, str] = {}
    for line, start in enumerate(starts[:last], 1):
        digest = format((prefix[start + _BLOCK] - _FIRST_MOD * prefix[start]) & _MASK, "x")
        counts[digest] = counts.get(digest, 0) + 1
        if want is None or line in want:
            out[line] = f"{digest}:{counts[digest]}"
    return out


def _sparse(units: array[int], starts: list[int], want: set[int]) -> dict[int, str]:
    """`line_hashes` for a few lines of a long file (a report's findings: a line or two per file): only their
    windows are hashed, in Python, and the count of each is how many lines up to it start the same 100 units,
    compared as bytes (equal windows are what give equal hashes; a 64-bit collision between different windows,
    which the action would count together, is not reproduced). The equal windows are found with `bytes.find`
    (usually the line's own is the only one); a text that repeats a window more than `_FIND_LIMIT` times
    (a hostile or generated file) has every line's window counted instead, in one pass."""
    raw = units.tobytes()
    width = 2 * _BLOCK
    line_starts = set(starts)
    counts: dict[int, int] = {}
    finds = 0
    for line in sorted(want):
        if line > len(starts):
            break
        start = starts[line - 1]
        window = raw[2 * start:2 * start + width]
        count = 0
        position = raw.find(window)
        while 0 <= position <= 2 * start:
            finds += 1
            if finds > _FIND_LIMIT:
                return _counted(units, raw, starts, want)
            if position % 2 == 0 and position // 2 in line_starts:
                count += 1
            position = raw.find(window, position + 1)
        counts[line] = count
    return {line: f"{_window_hash(units, starts[line - 1])}:{count}" for line, count in counts.items()}


_FIND_LIMIT = 5_000


def _window_hash(units: array[int], start: int) -> str:
    value = 0
    mod, mask = _MOD, _MASK
    for unit in units[start:start + _BLOCK]:
        value = (value * mod + unit) & mask
    return format(value, "x")


def _counted(units: array[int], raw: bytes, starts: list[int], want: set[int]) -> dict[int, str]:
    """`_sparse` with the windows of every line up to the last wanted one counted in a dictionary."""
    width = 2 * _BLOCK
    seen: dict[bytes, int] = {}
    out: dict[int, str] = {}
    for line, start in enumerate(starts, 1):
        window = raw[2 * start:2 * start + width]
        count = seen.get(window, 0) + 1
        seen[window] = count
        if line in want:
            out[line] = f"{_window_hash(units, start)}:{count}"
    return out
