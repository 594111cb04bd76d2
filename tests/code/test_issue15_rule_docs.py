"""The documented examples of the issue 15 handler rules: the vulnerable example yields the rule, the fix does
not (each written to a file with the imports a real module has, and analysed like any handler)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from tests.code._corpus import findings

from faasguard.rules.base import Rule
from faasguard.rules.handler import (
    ClientControlledAuthorization,
    JwtNotVerified,
    ReflectedXss,
    SecretInResponse,
    VerboseErrorResponse,
)

PRELUDE = (
    "import html\nimport json\nimport logging\nimport os\n\nimport boto3\nimport jwt\n\n"
    'logger = logging.getLogger()\nsm = boto3.client("secretsmanager")\n\n\n'
)
_BLOCK = re.compile(r"## (Example|Fix)\n```python\n(.*?)```", re.S)


def _blocks(rule: type[Rule]) -> dict[str, str]:
    return dict(_BLOCK.findall(inspect.cleandoc(rule.__doc__ or "")))


@pytest.mark.parametrize(
    "rule", [SecretInResponse, JwtNotVerified, ClientControlledAuthorization, VerboseErrorResponse, ReflectedXss]
)
def test_example_yields_the_rule_and_fix_does_not(rule: type[Rule], tmp_path: Path) -> None:
    blocks = _blocks(rule)
    for name, expected in (("Example", 1), ("Fix", 0)):
        path = tmp_path / f"{name.lower()}_{rule.id}.py"
        path.write_text(PRELUDE + blocks[name])
        got = [f for f in findings(path) if f.rule_id == rule.id]
        assert len(got) == expected, (name, [f.message for f in got])
