"""Serverless Framework loader: variables, functions, roles, events and includes, located in serverless.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.model import Application, AuthType, SourceKind, TriggerKind, Unknown
from faasguard.pipeline import load_sources, scan

FIXTURES = Path(__file__).parent.parent / "fixtures" / "loaders" / "serverless"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "serverless-patterns"


def load(name: str, config: Config | None = None, root: Path | None = None) -> tuple[Application, list[str]]:
    result = load_sources([str(FIXTURES / name)], config or Config(), cwd=root or FIXTURES)
    (app,) = result.apps
    return app, [d.message for d in result.diagnostics]


def test_functions_and_provider_settings() -> None:
    app, messages = load("service")
    assert app.source is SourceKind.SERVERLESS
    functions = {f.id: f for f in app.functions}
    assert set(functions) == {"createOrder", "processStream", "publicUrl"}
    create = functions["createOrder"]
    assert create.runtime == "python3.12"
    assert create.loc("runtime").line == 13  # inherited from provider
    assert create.timeout == 10
    assert create.loc("timeout").line == 38
    assert functions["publicUrl"].timeout == 6  # the framework default counts as set
    assert create.tracing == "Active"
    assert functions["processStream"].reserved_concurrency == 5
    assert create.code is not None
    assert create.code.handler_file is not None
    assert create.code.handler_file.endswith("handlers/orders.py")
    assert create.code.handler_function == "create"
    assert any("serverless-something-unknown" in m for m in messages)


def test_variables_are_resolved_or_unknown() -> None:
    app, _ = load("service")
    env = {e.name: e for e in app.function("createOrder").environment}  # type: ignore[union-attr]
    assert env["TABLE_NAME"].value == "orders-prod"  # ${self:...} → ${sls:stage} → ${opt:stage, 'prod'}
    assert env["API_TOKEN"].value == "${ssm:/orders/api-token}"
    assert isinstance(env["BUILD_USER"].value, Unknown)
    assert "--resolve-env" in env["BUILD_USER"].value.reason


def test_env_is_resolved_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "ci-runner")
    app, _ = load("service", Config(resolve_env=True))
    env = {e.name: e.value for e in app.function("createOrder").environment}  # type: ignore[union-attr]
    assert env["BUILD_USER"] == "ci-runner"


def test_roles_shared_and_per_function() -> None:
    app, _ = load("service")
    functions = {f.id: f for f in app.functions}
    assert functions["createOrder"].role == "IamRoleLambdaExecution"
    assert functions["publicUrl"].role == "IamRoleLambdaExecution"
    assert functions["processStream"].role == "ProcessStreamIamRoleLambdaExecution"
    shared = app.role("IamRoleLambdaExecution")
    assert shared is not None
    actions = {a for p in shared.policies if p.document for s in p.document.statements for a in s.actions}
    assert "dynamodb:PutItem" in actions
    statement = next(s for p in shared.policies if p.document for s in p.document.statements
                     if "dynamodb:PutItem" in s.actions)
    assert statement.location.line == 23
    assert statement.resources == ("arn:aws:dynamodb:eu-west-1:${AWS::AccountId}:table/orders-prod",)
    own = app.role("ProcessStreamIamRoleLambdaExecution")
    assert own is not None
    own_actions = {a for p in own.policies if p.document for s in p.document.statements for a in s.actions}
    assert "dynamodb:GetItem" in own_actions
    assert "dynamodb:GetRecords" in own_actions  # the framework adds the stream's read permissions


def test_events_and_authorization() -> None:
    app, _ = load("service")
    triggers = {(t.function, t.kind, t.method, t.path): t for t in app.triggers}
    by_path = {(t.method or "").upper() + " " + (t.path or ""): t for t in app.triggers if t.kind.is_http}
    assert by_path["POST /orders"].auth.type is AuthType.IAM  # type: ignore[union-attr]
    assert by_path["GET /orders/{id}"].auth.type is AuthType.API_KEY  # type: ignore[union-attr]
    assert by_path["GET /health"].auth.type is AuthType.NONE  # type: ignore[union-attr]
    assert by_path["GET /me"].auth.type is AuthType.JWT  # type: ignore[union-attr]
    assert by_path["POST /orders"].location.line == 40
    stream = next(t for t in triggers.values() if t.kind is TriggerKind.DYNAMODB_STREAM)
    assert stream.on_failure is not None
    assert any(t.kind is TriggerKind.SCHEDULE for t in app.triggers)
    url = next(t for t in app.triggers if t.kind is TriggerKind.FUNCTION_URL)
    assert url.auth.type is AuthType.IAM  # type: ignore[union-attr]


def test_file_includes_stay_inside_the_project() -> None:
    app, _ = load("includes", root=FIXTURES / "includes")
    assert [f.id for f in app.functions] == ["worker"]
    assert any(t.kind is TriggerKind.SQS for t in app.triggers)
    assert "conf/functions.yml" in " ".join(app.files)
    assert not any(r.id == "Leaked" for r in app.resources)
    assert not any("should-never-be-read" in str(r.properties) for r in app.resources)


def test_findings_point_into_serverless_yml() -> None:
    result = scan([str(FIXTURES / "service")], Config(select=("FG301", "FG102", "FG201")), cwd=FIXTURES)
    found = {(f.rule_id, f.resource, f.location.path, f.location.line) for f in result.findings}
    assert ("FG301", "createOrder.Http2", "service/serverless.yml", 48) in found
    assert ("FG102", "ProcessStreamIamRoleLambdaExecution", "service/serverless.yml", 60) in found
    assert not any(rule == "FG201" for rule, *_ in found)  # ${ssm:...} and Unknown values are not plaintext


def test_malformed_and_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text("service: x\nprovider: [\n")
    result = load_sources([str(tmp_path)], Config(), cwd=tmp_path)
    assert result.apps == []
    (diagnostic,) = result.diagnostics
    assert diagnostic.kind.value == "parse-error"
    assert diagnostic.location is not None
    assert diagnostic.location.path == "serverless.yml"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_serverless_files_load_without_internal_errors() -> None:
    files = sorted(CORPUS.rglob("serverless.yml"))
    result = load_sources([str(p) for p in files], Config(), cwd=CORPUS)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    assert len(result.apps) == len(files)


def test_serverless_wsgi_routes_are_analysed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = scan([str(FIXTURES / "wsgi")], Config(select=("FG501",)), cwd=FIXTURES)
    assert [(f.rule_id, f.resource, f.location.path, f.location.line) for f in result.findings] == [
        ("FG501", "api", "wsgi/app.py", 11)]
    assert not any("serverless-wsgi" in d.message for d in result.diagnostics)


def test_missing_include_is_an_unresolved_warning_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(
        "service: x\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions: ${file(./fns.yml)}\n")
    result = load_sources([str(tmp_path)], Config(), cwd=tmp_path)
    assert len(result.apps) == 1
    (diagnostic,) = [d for d in result.diagnostics if "fns.yml" in d.message]
    assert diagnostic.kind.value == "unresolved"
    assert diagnostic.location is not None
    assert (diagnostic.location.path, diagnostic.location.line) == ("serverless.yml", 5)


def test_functions_that_include_themselves_are_an_unresolved_note_not_silence(tmp_path: Path) -> None:
    """A `${file(...)}` cycle leaves `functions` Unknown: the service then has no functions, and says why."""
    (tmp_path / "serverless.yml").write_text(
        "service: x\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions: ${file(./serverless.yml):functions}\n")
    result = load_sources([str(tmp_path)], Config(), cwd=tmp_path)
    (app,) = result.apps
    assert app.functions == ()
    (diagnostic,) = [d for d in result.diagnostics if "`functions` could not be resolved" in d.message]
    assert diagnostic.kind.value == "unresolved"
    assert diagnostic.location is not None
    assert (diagnostic.location.path, diagnostic.location.line) == ("serverless.yml", 5)


@pytest.mark.parametrize(("functions", "line", "message"), [
    ('"hello"', 5, "`functions` is a string, not a mapping of function names"),
    ("\n  - 42", 6, "`functions` item 1 is a number, not a mapping of function names"),
    ("\n  hello: app.handler", 6, "function hello is a string, not a mapping"),
    ("\n  hello:", 6, "function hello is empty, not a mapping"),
])
def test_functions_of_the_wrong_shape_are_a_located_warning(tmp_path: Path, functions: str, line: int,
                                                            message: str) -> None:
    """A shape the Framework rejects was silence (exit 0, "No findings"): each is a parse-error warning at its
    line."""
    (tmp_path / "serverless.yml").write_text(
        f"service: x\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions: {functions}\n")
    result = load_sources([str(tmp_path)], Config(), cwd=tmp_path)
    (app,) = result.apps
    assert app.functions == ()
    (diagnostic,) = [d for d in result.diagnostics if d.kind.value == "parse-error"]
    assert message in diagnostic.message
    assert diagnostic.level.value == "warning"
    assert diagnostic.location is not None
    assert (diagnostic.location.path, diagnostic.location.line) == ("serverless.yml", line)


def test_a_malformed_function_does_not_hide_its_well_formed_neighbours(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(
        "service: x\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions:\n  broken: 42\n"
        "  ok:\n    handler: app.handler\n")
    result = load_sources([str(tmp_path)], Config(), cwd=tmp_path)
    (app,) = result.apps
    assert [fn.id for fn in app.functions] == ["ok"]
    assert [d.location.line for d in result.diagnostics if d.kind.value == "parse-error" and d.location] == [6]
