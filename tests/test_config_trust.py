"""Issue 20 item 1: a config file that arrives with the code under review may narrow a scan, never widen what
it reads or sends, and no value from the CI job's environment reaches any report.

The scans run the real CLI (in-process, click's runner) with a CI-like environment (credentials in environment
variables, the rest of the environment removed), and every report format is searched for the credential values."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main
from faasguard.config import ConfigError, load_config
from faasguard.pipeline import environment_secrets

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
DB_PASS = "hunter2-correct-horse"

SERVERLESS = """\
service: leaky-${env:GITHUB_TOKEN}
provider:
  name: aws
  runtime: python3.12
  iam:
    role:
      statements:
        - Effect: Allow
          Action: "*"
          Resource: "arn:aws:s3:::${env:AWS_SECRET_ACCESS_KEY}/*"
  environment:
    DEPLOY_TOKEN: ${env:GITHUB_TOKEN}
functions:
  api:
    name: fn-${env:DB_PASS}
    handler: handler.main
    environment:
      DB_PASSWORD: ${env:DB_PASS}
    events:
      - httpApi: {path: /x, method: get}
"""


def ci_environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_", "FAASGUARD_"))}
    env.update(AWS_SECRET_ACCESS_KEY=AWS_SECRET, GITHUB_TOKEN=GITHUB_TOKEN, DB_PASS=DB_PASS, CI="true",
               FAASGUARD_CACHE_DIR=str(tmp_path / "cache"))
    return env


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """The CLI with exactly `env` as its environment (variables not in it are removed for the call)."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, env={**cleared, **env})
    finally:
        os.chdir(previous)
    return Run(result.exit_code, result.stdout, result.stderr)


def make_service(tmp_path: Path, config: str | None) -> Path:
    app = tmp_path / "repo"
    app.mkdir()
    (app / ".git").mkdir()
    (app / "serverless.yml").write_text(SERVERLESS)
    (app / "handler.py").write_text("def main(event, context):\n    return {'statusCode': 200}\n")
    if config is not None:
        (app / ".faasguard.toml").write_text(config)
    return app


def all_reports(app: Path, env: dict[str, str], *extra: str) -> tuple[str, list[dict[str, object]]]:
    """Console, JSON and SARIF of the same scan, concatenated, and the JSON report's diagnostics."""
    outputs = []
    diagnostics: list[dict[str, object]] = []
    for fmt in ("console", "json", "sarif"):
        proc = run_cli(["scan", ".", "--format", fmt, *extra], app, env)
        assert proc.returncode in (0, 1), proc.stderr
        outputs.append(proc.stdout + proc.stderr)
        if fmt == "json":
            diagnostics = json.loads(proc.stdout)["diagnostics"]
    return "\n".join(outputs), diagnostics


def assert_no_credentials(text: str) -> None:
    for secret in (AWS_SECRET, GITHUB_TOKEN, DB_PASS):
        assert secret not in text
        assert secret[:16] not in text  # not even a prefix of it


@pytest.mark.parametrize("spelling", ["resolve_env = true", "resolve-env = true"])
def test_resolve_env_from_a_config_in_the_tree_is_ignored_and_said(tmp_path: Path, spelling: str) -> None:
    app = make_service(tmp_path, spelling + "\n")
    text, diagnostics = all_reports(app, ci_environment(tmp_path))
    assert_no_credentials(text)
    assert any("`resolve_env` ignored" in str(d["message"]) for d in diagnostics)


def test_resolve_env_from_pyproject_in_the_tree_is_ignored(tmp_path: Path) -> None:
    app = make_service(tmp_path, None)
    (app / "pyproject.toml").write_text("[tool.faasguard]\nresolve_env = true\n")
    text, diagnostics = all_reports(app, ci_environment(tmp_path))
    assert_no_credentials(text)
    assert any("`resolve_env` ignored" in str(d["message"]) for d in diagnostics)


def test_explicit_resolve_env_resolves_but_never_prints_the_values(tmp_path: Path) -> None:
    app = make_service(tmp_path, None)
    env = ci_environment(tmp_path)
    text, _ = all_reports(app, env, "--resolve-env")
    assert_no_credentials(text)
    # resolved (so FG201 judges the real value) and masked in the message
    proc = run_cli(["scan", ".", "--format", "json", "--resolve-env", "--select", "FG101,FG201"], app, env)
    findings = json.loads(proc.stdout)["findings"]
    assert {f["rule_id"] for f in findings} == {"FG101", "FG201"}
    # the ARN built from the environment is shown, with the value masked
    assert any("arn:aws:s3:::****/*" in json.dumps(f) for f in findings if f["rule_id"] == "FG101")


def test_explicit_config_file_is_trusted(tmp_path: Path) -> None:
    app = make_service(tmp_path, None)
    trusted = tmp_path / "security-team.toml"
    trusted.write_text("resolve_env = true\n")
    config = load_config(trusted)
    assert config.resolve_env
    assert not config.warnings
    text, _ = all_reports(app, ci_environment(tmp_path), "--config", str(trusted))
    assert_no_credentials(text)


@pytest.mark.parametrize("paths", ['["/"]', '["../../.."]', '["/etc", "adv"]', '["link"]'])
def test_advisory_paths_outside_the_project_are_ignored(tmp_path: Path, paths: str) -> None:
    app = make_service(tmp_path, f"advisories = {paths}\n")
    (app / "adv").mkdir()
    (app / "link").symlink_to("/")
    config = load_config(None, search_from=app)
    assert all(Path(p).resolve().is_relative_to(app.resolve()) for p in config.advisories)
    assert "/" not in config.advisories
    assert any("advisory paths outside the project ignored" in w for w in config.warnings)


def test_advisory_paths_inside_the_project_are_kept(tmp_path: Path) -> None:
    app = make_service(tmp_path, 'advisories = [".faasguard/advisories"]\n')
    config = load_config(None, search_from=app)
    assert config.advisories == (str(app / ".faasguard" / "advisories"),)
    assert not config.warnings


def test_online_and_bigger_files_cannot_be_asked_for_by_the_tree(tmp_path: Path) -> None:
    app = make_service(tmp_path, "online = true\nmax_file_bytes = 99999999999\nbaseline = \"/etc/passwd\"\n")
    config = load_config(None, search_from=app)
    assert not config.online
    assert config.max_file_bytes == 20 * 1024 * 1024
    assert config.baseline is None
    assert len(config.warnings) == 3


def test_an_added_dot_file_does_not_replace_the_projects_table(tmp_path: Path) -> None:
    app = make_service(tmp_path, 'ignore = ["FG101", "FG3"]\n[[ignores]]\nrule = "FG104"\nresource = "*"\n'
                                 'reason = "nothing to see"\n')
    (app / "pyproject.toml").write_text('[tool.faasguard]\nunsuppressible = ["FG104"]\nseverity = "medium"\n')
    config = load_config(None, search_from=app)
    assert config.source == str(app.resolve() / "pyproject.toml")
    assert config.unsuppressible == ("FG104",)
    assert config.ignore == ()
    assert any(".faasguard.toml: config file not used" in w for w in config.warnings)


def test_unsuppressible_is_the_union_of_every_config_found(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.faasguard]\nunsuppressible = ["FG101", "FG201"]\n')
    nested = tmp_path / "services" / "api"
    nested.mkdir(parents=True)
    (nested / ".faasguard.toml").write_text('[[ignore]]\nrule = "FG101"\nresource = "*"\nreason = "r"\n')
    config = load_config(None, search_from=nested)
    assert config.source == str(nested.resolve() / ".faasguard.toml")
    assert set(config.unsuppressible) == {"FG101", "FG201"}


def test_second_config_is_a_diagnostic_in_the_report(tmp_path: Path) -> None:
    app = make_service(tmp_path, 'severity = "low"\n')
    (app / "pyproject.toml").write_text("[tool.faasguard]\nseverity = \"low\"\n")
    _, diagnostics = all_reports(app, ci_environment(tmp_path))
    assert any("config file not used" in str(d["message"]) and d["level"] == "warning" for d in diagnostics)


@pytest.mark.parametrize(("text", "message"), [
    ('unsupressible = ["FG101"]', "did you mean `unsuppressible`"),
    ("resolve_envs = true", "did you mean `resolve_env`"),
    ("zzz = 1", "unknown key `zzz`"),
    ("[tool.faasguard]\nseverity = 'low'\n", "top level"),
    ('today = "yesterday"', "must be a date"),
])
def test_unknown_or_misplaced_keys_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    app = make_service(tmp_path, text + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(None, search_from=app)
    proc = run_cli(["scan", "."], app, ci_environment(tmp_path))
    assert proc.returncode == 2
    assert message.split("`", maxsplit=1)[0] in proc.stderr


def test_environment_secrets_are_chosen_by_name_and_by_resolution() -> None:
    environ = {"PWD": "/home/runner/work/repo", "PATH": "/usr/bin:/bin", "GITHUB_TOKEN": GITHUB_TOKEN,
               "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "STAGE": "production", "SHORT_TOKEN": "abc"}
    chosen = environment_secrets(environ, {"production-db.internal", "dev"})
    assert set(chosen) == {GITHUB_TOKEN, AWS_SECRET, "production-db.internal"}
