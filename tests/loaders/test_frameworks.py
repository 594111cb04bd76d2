"""Zappa and Chalice deployments → the functions, roles, APIs and triggers they create, with the app's code
attributed to the deployed functions.

Fixtures are small projects written the way the frameworks' own docs and real projects write them; each is
scanned through the whole pipeline and the exact (rule, resource, function, file, line) set of the selected
rules is asserted, so a finding that lands on an "inferred" handler instead of the deployed function, or at
another line, fails. Lines are looked up by content.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.model import Application, AuthType, SourceKind, TriggerKind
from faasguard.pipeline import scan
from faasguard.sources import SourceType, classify

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders"
TODAY = date(2026, 12, 1)

Found = set[tuple[str, str, str, str, int]]


def line_of(path: Path, needle: str) -> int:
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert hits, f"{needle!r} not in {path}"
    return hits[0]


def _relative(directory: Path, path: str) -> str:
    candidate = Path(path) if Path(path).is_absolute() else Path.cwd() / path
    if not candidate.is_file():
        candidate = directory / path
    return candidate.resolve().relative_to(directory.resolve()).as_posix()


def run(directory: Path, select: tuple[str, ...]) -> tuple[list[Application], list[Finding], Found]:
    result = scan([str(directory)], Config(select=select, severity=Severity.INFO, today=TODAY), cwd=directory)
    assert not [d for d in result.diagnostics if d.kind.value in ("parse-error", "internal-error")], \
        [d.message for d in result.diagnostics]
    found = {(f.rule_id, f.resource,
              ",".join(sorted(f.function)) if isinstance(f.function, list | tuple) else str(f.function),
              _relative(directory, f.location.path), f.location.line) for f in result.findings}
    return result.apps, result.findings, found


@pytest.mark.parametrize(("name", "expected"), [
    ("zappa_settings.json", SourceType.ZAPPA), ("zappa_settings.yml", SourceType.ZAPPA),
    ("zappa_settings.toml", SourceType.ZAPPA), ("settings.json", None),
])
def test_zappa_settings_are_discovered_by_name(tmp_path: Path, name: str, expected: SourceType | None) -> None:
    path = tmp_path / name
    path.write_text('{"dev": {"app_function": "app.app"}}' if not name.endswith(".toml")
                    else '[dev]\napp_function = "app.app"\n')
    assert classify(path) is expected


def test_chalice_config_is_discovered_only_under_dot_chalice(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text('{"app_name": "x"}')
    (tmp_path / "config.json").write_text('{"app_name": "x"}')
    assert classify(tmp_path / ".chalice" / "config.json") is SourceType.CHALICE
    assert classify(tmp_path / "config.json") is None


# ------------------------------------------------------------------------------------------------- Zappa

ZAPPA = FIXTURES / "zappa"


def test_zappa_flask_api() -> None:
    directory = ZAPPA / "flask-api"
    apps, _, found = run(directory, ("FG101", "FG201", "FG301", "FG401", "FG402", "FG503"))
    settings = directory / "zappa_settings.json"
    app = next(a for a in apps if a.source is SourceKind.ZAPPA)
    dev_key, prod_key = line_of(settings, '"dev": {'), line_of(settings, '"production": {')
    assert found == {
        ("FG503", "dev", "dev,production", "api.py", line_of(directory / "api.py", "conn.execute(f")),
        ("FG201", "dev", "dev", "zappa_settings.json", line_of(settings, '"DATABASE_URL"')),
        ("FG402", "dev", "dev,production", "zappa_settings.json", line_of(settings, '"runtime": "python3.8"')),
        ("FG401", "dev", "dev", "zappa_settings.json", line_of(settings, '"timeout_seconds": 120')),
        ("FG401", "production", "production", "zappa_settings.json", line_of(settings, '"timeout_seconds": 30')),
        ("FG301", "dev/api ANY /{proxy+}", "dev", "zappa_settings.json", dev_key),
        ("FG101", "dev", "dev", "zappa_settings.json", dev_key),
        ("FG101", "production", "production", "zappa_settings.json", prod_key),
    }
    dev, production = app.function("dev"), app.function("production")
    assert dev is not None
    assert production is not None
    assert dev.name == "notes-api-dev"
    assert production.name == "notes-api-production"
    assert dev.code is not None
    assert dev.code.handler_function == "app"
    assert dev.code.handler_file == str(directory / "api.py")
    assert (dev.timeout, production.timeout, dev.memory_size) == (120, 30, 512)
    env = {e.name: e.value for e in production.environment}
    assert env == {"LOG_LEVEL": "info"}  # `extends` is a shallow update, as Zappa does it: the whole mapping wins
    role = app.role(dev.role)
    assert role is not None
    assert role.name == "notes-api-dev-ZappaLambdaExecutionRole"
    assert role.implicit
    kinds = sorted(t.kind.value for t in app.triggers_of("dev"))
    assert kinds == ["rest-api", "s3", "schedule"]
    prod_routes = [t for t in app.triggers_of("production") if t.kind is TriggerKind.REST_API]
    assert all(t.auth is not None and t.auth.api_key_required for t in prod_routes)


def test_zappa_hardened_attach_policy_and_iam_authorization() -> None:
    directory = ZAPPA / "hardened"
    apps, _, found = run(directory, ("FG1", "FG2", "FG301", "FG302", "FG401", "FG402", "FG5"))
    assert found == set()
    (app,) = apps
    (fn,) = app.functions
    role = app.role(fn.role)
    assert role is not None
    assert role.name == "billing-production-lambda"
    assert not role.implicit
    (policy,) = role.policies
    assert policy.document is not None
    assert len(policy.document.statements) == 2
    assert policy.document.statements[1].location.path.endswith("policy.json")
    assert all(t.auth is not None and t.auth.type is AuthType.IAM for t in app.triggers_of(fn.id))
    assert fn.tracing == "Active"


def test_zappa_yaml_function_url_and_extra_permissions() -> None:
    directory = ZAPPA / "yaml-stages"
    settings = directory / "zappa_settings.yml"
    _, _, found = run(directory, ("FG109", "FG201", "FG302", "FG507"))
    assert found == {
        ("FG302", "staging/url", "staging", "zappa_settings.yml", line_of(settings, "function_url_enabled: true")),
        ("FG109", "staging", "staging", "zappa_settings.yml", line_of(settings, 'Resource: "*"')),
        ("FG201", "staging", "staging", "zappa_settings.yml", line_of(settings, "GITHUB_TOKEN")),
        ("FG507", "staging", "staging", "web.py", line_of(directory / "web.py", "requests.get(")),
    }


def test_zappa_toml_settings(tmp_path: Path) -> None:
    (tmp_path / "zappa_settings.toml").write_text(
        '[dev]\napp_function = "service.app"\nruntime = "python3.9"\n\n[dev.aws_environment_variables]\n'
        'API_TOKEN = "ghp_R8x2kLm9Qw4Zt7Yb3Nc6Vd1Fh5Jp0Ks8Ua2E"\n')
    (tmp_path / "service.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    apps, _, found = run(tmp_path, ("FG201", "FG402"))
    assert {(rule, fn, line) for rule, _, fn, _, line in found} == {("FG201", "dev", 1), ("FG402", "dev", 1)}
    assert apps[0].source is SourceKind.ZAPPA


# ------------------------------------------------------------------------------------------------ Chalice

CHALICE = FIXTURES / "chalice"


def test_chalice_todo_app() -> None:
    directory = CHALICE / "todo-app"
    app_py, config = directory / "app.py", directory / ".chalice" / "config.json"
    apps, _, found = run(directory, ("FG102", "FG104", "FG201", "FG301", "FG401", "FG501", "FG503"))
    (app,) = apps
    assert app.source is SourceKind.CHALICE
    stage = line_of(config, '"dev": {')
    assert found == {
        ("FG503", "dev/api_handler", "dev/api_handler", "chalicelib/db.py",
         line_of(directory / "chalicelib" / "db.py", "conn.execute(")),
        ("FG501", "dev/scan_attachment", "dev/scan_attachment", "app.py", line_of(app_py, "subprocess.run(")),
        ("FG301", "dev/api GET /todos", "dev/api_handler", "app.py", line_of(app_py, '@app.route("/todos", ')),
        ("FG102", "dev/role", "dev/api_handler,dev/purge,dev/scan_attachment", "app.py",
         line_of(app_py, "dynamodb.delete_item(")),
        ("FG102", "dev/role", "dev/api_handler,dev/purge,dev/scan_attachment", "app.py",
         line_of(app_py, "s3.download_file(")),
        ("FG104", "dev/role", "dev/api_handler,dev/purge,dev/scan_attachment", ".chalice/config.json", stage),
        ("FG201", "dev/api_handler", "dev/api_handler,dev/purge,dev/scan_attachment", ".chalice/config.json",
         line_of(config, '"SLACK_WEBHOOK_TOKEN"')),
        ("FG401", "dev/api_handler", "dev/api_handler", ".chalice/config.json", line_of(config, '"lambda_timeout"')),
    }
    ids = sorted(fn.id for fn in app.functions)
    assert ids == ["dev/api_handler", "dev/purge", "dev/scan_attachment"]
    routes = {(t.method, t.path): t for t in app.triggers if t.kind is TriggerKind.REST_API}
    delete = routes[("DELETE", "/todos/{todo_id}")]
    assert delete.auth is not None
    assert delete.auth.type is AuthType.IAM
    kinds = {t.function: t.kind for t in app.triggers if not t.kind.is_http}
    assert kinds == {"dev/scan_attachment": TriggerKind.S3, "dev/purge": TriggerKind.SCHEDULE}


def test_chalice_hardened_policy_file_and_cognito() -> None:
    directory = CHALICE / "hardened"
    apps, _, found = run(directory, ("FG1", "FG2", "FG301", "FG401", "FG403", "FG405", "FG5"))
    assert found == set()
    (app,) = apps
    (fn,) = app.functions
    role = app.role(fn.role)
    assert role is not None
    (policy,) = role.policies
    assert policy.name == "policy-prod.json"
    (route,) = app.triggers
    assert route.auth is not None
    assert route.auth.type is AuthType.COGNITO


def test_hostile_settings_are_diagnostics_not_crashes(tmp_path: Path) -> None:
    """Nesting past the parser's recursion limit, and policy files pointing outside the project, never raise."""
    (tmp_path / "zappa_settings.toml").write_text("dev = " + "[" * 5000 + "]" * 5000 + "\n")
    chalice = tmp_path / "svc"
    (chalice / ".chalice").mkdir(parents=True)
    (chalice / ".chalice" / "config.json").write_text(
        '{"app_name": "svc", "stages": {"dev": {"autogen_policy": false, '
        '"iam_policy_file": "../../../../etc/passwd"}}}')
    (chalice / "app.py").write_text("from chalice import Chalice\n\napp = Chalice(app_name='svc')\n\n\n"
                                    "@app.lambda_function()\ndef work(event, context):\n    return event\n")
    result = scan([str(tmp_path)], Config(severity=Severity.INFO), cwd=tmp_path)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    assert any(d.kind.value == "parse-error" and "zappa_settings.toml" in d.location.path for d in result.diagnostics)
    (app,) = [a for a in result.apps if a.source is SourceKind.CHALICE]
    (fn,) = app.functions
    role = app.role(fn.role)
    assert role is not None
    (policy,) = role.policies
    assert policy.document is not None
    assert policy.document.unresolved is not None
    assert "/etc/passwd" not in app.files
