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

from collections.abc import Iterable, Iterator

_BLOCK = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, _BLOCK, 1 << 64)
_SPACE, _TAB, _LF, _CR = 0x20, 0x09, 0x0A, 0x0D
_END = 65535


def _code_units(text: str) -> Iterator[int]:
    for char in text:
        code = ord(char)
        if code < 0x10000:
            yield code
        else:  # a surrogate pair, as charCodeAt sees it
            code -= 0x10000
            yield 0xD800 + (code >> 10)
            yield 0xDC00 + (code & 0x3FF)


def line_hashes(text: str, wanted: Iterable[int] | None = None) -> dict[int, str]:
    """`{line number: "hex:count"}` for every line of `text` (1-based), or only for the lines in `wanted`;
    the walk stops once the last wanted line is hashed (the counts only depend on the lines before it)."""
    want = set(wanted) if wanted is not None else None
    last = max(want) if want else None
    if want is not None and not want:
        return {}
    window = [0] * _BLOCK
    starts = [-1] * _BLOCK
    value = 0
    index = 0
    line = 0
    line_start = True
    previous_cr = False
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def emit() -> None:
        digest = format(value, "x")
        counts[digest] = counts.get(digest, 0) + 1
        if want is None or starts[index] in want:
            out[starts[index]] = f"{digest}:{counts[digest]}"
        starts[index] = -1

    def push(code: int) -> None:
        nonlocal value, index
        leaving = window[index]
        window[index] = code
        value = (_MOD * value + code - _FIRST_MOD * leaving) & _MASK
        index = (index + 1) % _BLOCK

    def process(code: int) -> bool:
        """False once every wanted line has its hash."""
        nonlocal line, line_start, previous_cr
        if code in (_SPACE, _TAB) or (previous_cr and code == _LF):
            previous_cr = False
            return True
        if code == _CR:
            code = _LF
            previous_cr = True
        else:
            previous_cr = False
        if starts[index] != -1:
            emit()
            if last is not None and last in out:
                return False
        if line_start:
            line_start = False
            line += 1
            starts[index] = line
        if code == _LF:
            line_start = True
        push(code)
        return True

    for code in _code_units(text):
        if not process(code):
            return out
    if not process(_END):
        return out
    for _ in range(_BLOCK):
        if starts[index] != -1:
            emit()
        push(0)
    return out
