"""Run a script under the guard in a fresh interpreter (audit hooks cannot be removed from a process).

`PRELUDE` gives each script a context object like the runtime's and `attempt(fn)`, which names how an
operation ended: "ok", "GuardBlocked", "GuardTamper" or the repr of another exception.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

SRC = str(Path(__file__).parents[2] / "src")

PRELUDE = """
import json, os, sys, threading, time
from faasguard.guard import guard, GuardBlocked, GuardTamper, installed
TMP = os.environ["APP_TMP"]
class Ctx:
    def __init__(self, rid, ms=60000):
        self.aws_request_id = rid
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
        self._end = time.monotonic() + ms / 1000
    def get_remaining_time_in_millis(self):
        return int((self._end - time.monotonic()) * 1000)
def attempt(fn):
    try:
        fn()
        return "ok"
    except (GuardBlocked, GuardTamper) as exc:
        return type(exc).__name__
    except Exception as exc:
        return repr(exc)
"""


SRC_PATH = SRC


def run(script: str, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[Any, list[dict[str, Any]]]:
    tmp = tmp_path / "fn-tmp"
    tmp.mkdir(exist_ok=True)
    config = {"tmp": {"dir": str(tmp)}, "files": {"write_allow": [str(tmp), "/dev/null"]}}
    full_env = {"PATH": os.environ["PATH"], "PYTHONPATH": SRC, "APP_TMP": str(tmp), "AWS_REGION": "us-east-1",
                "AWS_LAMBDA_FUNCTION_NAME": "fn", "PYTHONDONTWRITEBYTECODE": "1",
                "FAASGUARD_CONFIG_JSON": json.dumps(config), **(env or {})}
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script)], env=full_env, check=False,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"faasguard"')]
    assert proc.returncode == 0, proc.stderr
    result_lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(result_lines[-1][7:]) if result_lines else None, events
