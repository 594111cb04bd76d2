"""`LazyPattern`: a regular expression compiled the first time it is used, not when its module is imported.

Why: `re.compile` is pure Python and slow for case-insensitive alternations (1-4 ms each here); modules of the
code analysis define tables of patterns that most scans never reach (the credential shapes behind an anchor
search, the HTML/SQL/authorisation vocabularies of rarely seen code). Compiling them at import cost a
one-template scan ~20 ms for nothing. Only the methods faasguard calls are offered; each is the compiled
pattern's own.
"""

from __future__ import annotations

import re
import sys


class LazyPattern:
    __slots__ = ("_compiled", "_flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        # two threads racing here compile the same pattern twice and keep either: equal, and harmless
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self._flags)
        return self._compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().match(string, pos, endpos)
