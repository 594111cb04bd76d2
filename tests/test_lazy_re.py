"""`LazyPattern` compiles on first use and then answers exactly as the compiled pattern does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import faasguard
from faasguard._lazy_re import LazyPattern
from faasguard.analysis.code.python import models, secrets


def test_compiled_on_first_use_only_and_once() -> None:
    lazy = LazyPattern(r"^(x-)?is[_-]?admin$", re.I)
    assert lazy._compiled is None
    assert lazy.match("X-Is-Admin") is not None
    first = lazy._compiled
    assert first is not None
    assert lazy.search("isadmin") is not None
    assert lazy._compiled is first


def test_answers_as_the_compiled_pattern() -> None:
    cases = ["select * from t where id = 1", "Hello <div>x</div>", "isAdmin", "https://host.example/x", "", "x"]
    for lazy in (models.SQL_WORDS, models.HTML_TAG, models.AUTHZ_FLAGS, models.URL_WITH_HOST,
                 secrets._PLACEHOLDER, secrets._ENV_NAME, *(shape for _, shape in secrets._SHAPES)):
        compiled = re.compile(lazy.pattern, lazy._flags)
        for text in cases:
            for ours, theirs in ((lazy.search(text), compiled.search(text)), (lazy.match(text), compiled.match(text)),
                                 (lazy.search(text, 2, 9), compiled.search(text, 2, 9))):
                assert (ours and ours.span()) == (theirs and theirs.span())


def test_a_module_import_compiles_none_of_them() -> None:
    """The point: a scan that never reaches the SQL check or a credential shape does not pay for them (a fresh
    interpreter, so that no earlier test has used them)."""
    code = ("import faasguard.analysis.code.python.models as m, faasguard.analysis.code.python.secrets as s; "
            "print(m.SQL_WORDS._compiled, m.AUTHZ_ROLE_FIELDS._compiled, s._SHAPES[0][1]._compiled)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(faasguard.__file__).parent.parent)})
    assert out.stdout.split() == ["None", "None", "None"]
