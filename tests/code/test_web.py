"""Serverless web frameworks: Chalice apps and Flask/FastAPI apps behind Lambda adapters, end to end.

The corpus (`web_*.py`) pins sources and sinks snippet by snippet; these tests scan whole project directories
the way a user does (`faasguard scan DIR`), check that the handlers are inferred and said to be, that local
packages (`chalicelib/`, a Zappa app's modules) are followed, that a handler string naming an app object
(`app.app`, `handler = Mangum(app)`) analyses every route, and that each negative choice is quiet for its
reason (the same code with the reason removed is reported).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.code._corpus import CORPUS, actual

from faasguard.analysis.code import analyze_file
from faasguard.config import Config
from faasguard.findings import DiagnosticKind, Severity
from faasguard.model import SourceKind
from faasguard.pipeline import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "code"


def _scan(monkeypatch: pytest.MonkeyPatch, directory: Path) -> tuple[list[tuple[str, str, int, str]], list[str]]:
    monkeypatch.chdir(directory)
    result = scan(["."], Config(severity=Severity.INFO, select=("FG2", "FG5")))
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
    found = sorted((f.rule_id, f.location.path, f.location.line, _function(f.function)) for f in result.findings)
    return found, [d.message for d in result.diagnostics]


def _function(function: object) -> str:
    return ",".join(function) if isinstance(function, list | tuple) else str(function)


def test_chalice_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's `.chalice/config.json` deploys it: findings name the deployed functions (the API handler
    for every route, blueprints included; the SQS consumer's own function), nothing is inferred."""
    found, messages = _scan(monkeypatch, FIXTURES / "chalice_app")
    assert found == [
        ("FG501", "chalicelib/reports.py", 13, "dev/api_handler"),  # blueprint route, query param
        ("FG503", "chalicelib/db.py", 11, "dev/api_handler"),  # URI parameter {sku} into SQL in chalicelib
        ("FG511", "app.py", 25, "dev/restock"),  # SQS messages read unvalidated (the query is parameterised)
        ("FG511", "chalicelib/reports.py", 11, "dev/api_handler"),
    ]
    assert not [m for m in messages if "inferred" in m]


def test_chalice_project_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "chalice_app")
    result = scan(["."], Config())
    (app,) = result.apps
    assert app.source is SourceKind.CHALICE
    assert sorted(f.id for f in app.functions) == ["dev/api_handler", "dev/nightly", "dev/restock"]
    nightly = next(f for f in app.functions if f.id == "dev/nightly")
    assert nightly.code is not None
    assert nightly.code.code_dir == str(FIXTURES / "chalice_app")
    facts = next(iter(result.facts.values())).handlers["dev/nightly"]
    assert facts.event_use is None
    assert not facts.flows


def test_flask_zappa_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """`zappa_settings.json` deploys the Flask app as stage `production`: its routes' findings name it."""
    found, messages = _scan(monkeypatch, FIXTURES / "flask_zappa_app")
    assert found == [
        ("FG501", "tools/convert.py", 6, "production"),  # request.form into a helper's shell
        ("FG511", "service.py", 11, "production"),
    ]  # test_service.py is a test module: skipped; <int:page> is validated by the converter
    assert not [m for m in messages if "inferred" in m]


def test_app_object_handler_analyses_every_route() -> None:
    """A template or zappa_settings names the app object (`app.app`): all HTTP routes, blueprints included."""
    root = FIXTURES / "chalice_app"
    facts, diagnostics = analyze_file(root / "app.py", "app", (root,))
    assert diagnostics == []
    assert facts is not None
    assert sorted((f.kind, Path(f.location.path).name, f.location.line) for f in facts.flows) == [
        ("shell", "reports.py", 13), ("sql", "db.py", 11)]  # not the SQS/schedule functions: own Lambdas
    assert facts.handler_location is not None
    assert facts.handler_location.line == 9


def test_mangum_handler_object() -> None:
    facts, diagnostics = analyze_file(CORPUS / "web_fastapi_query_sql.py", "handler")
    assert diagnostics == []
    assert facts is not None
    assert [(f.kind, f.location.line) for f in facts.flows] == [("sql", 14)]


def test_no_framework_no_handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CDK app files and look-alike decorators without the framework import infer nothing."""
    (tmp_path / "cdk.json").write_text('{"app": "python3 app.py"}')
    (tmp_path / "app.py").write_text(
        "import aws_cdk as cdk\nfrom stacks import ApiStack\n\napp = cdk.App()\nApiStack(app, 'api')\napp.synth()\n")
    shutil.copy(CORPUS / "web_flask_lookalike_ok.py", tmp_path / "router.py")
    monkeypatch.chdir(tmp_path)
    result = scan(["."], Config())
    assert result.apps == [] or all(not a.functions for a in result.apps)
    assert any("no handler-shaped function" in d.message for d in result.diagnostics)


# ------------------------------------------------------------------ negatives are quiet for their reason

MUTATIONS = [
    ("web_flask_int_converter_ok.py", "<int:user_id>", "<user_id>", {("FG503", 12)}),
    ("web_chalice_parameterised_ok.py", '"SELECT status FROM orders WHERE id = %s", (order_id,)',
     'f"SELECT status FROM orders WHERE id = {order_id}"', {("FG503", 14)}),
    ("web_chalice_context_identity_ok.py", 'context["requestId"]', 'context["authorizer"]', {("FG503", 15)}),
    ("web_chalice_context_identity_ok.py", 'context["identity"]["sourceIp"]',
     'context["identity"]["userAgent"]', {("FG503", 15)}),
    ("web_chalice_s3_bucket_ok.py", "event.bucket", "event.key", {("FG501", 12)}),
    ("web_chalice_s3_bucket_ok.py", "os.path.basename(event.key)", "event.key", {("FG506", 14)}),
    ("web_chalice_schedule_ok.py", "@app.schedule(Rate(1, unit=Rate.HOURS))", "@app.lambda_function()",
     {("FG204", 13), ("FG501", 14), ("FG511", 13)}),
    ("web_flask_secure_filename_ok.py", "secure_filename(picture.filename)", "picture.filename",
     {("FG506", 15)}),
    ("web_fastapi_depends_ok.py", "user: str = Depends(current_user)", "user: str", {("FG501", 23)}),
    ("web_fastapi_depends_ok.py", "version: int = 1", "version: str = '1'", {("FG503", 29)}),
    ("web_flask_parents_guard_ok.py", "(root / relative).resolve()", "root / relative", {("FG506", 20)}),
    ("web_flask_lookalike_ok.py", "import os\n", "import os\n\nfrom flask import Flask, request\n",
     set()),  # still a home-made Router: importing flask alone makes no handler
]


@pytest.mark.parametrize(("name", "old", "new", "reported"), MUTATIONS,
                         ids=[f"{m[0]}:{m[2][:30]}" for m in MUTATIONS])
def test_negative_mutated(tmp_path: Path, name: str, old: str, new: str, reported: set[tuple[str, int]]) -> None:
    text = (CORPUS / name).read_text()
    assert old in text
    mutated = tmp_path / name
    mutated.write_text(text.replace(old, new, 1))
    assert actual(CORPUS / name) == set()
    assert actual(mutated) == reported


def test_framework_app_beside_infrastructure_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository with Terraform for its tables and a Chalice app no template points at: the app's modules
    pass the pipeline's handler-shape pre-filter through their decorators, and are analysed."""
    shutil.copytree(FIXTURES / "chalice_app", tmp_path / "service")
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "tables.tf").write_text(
        'resource "aws_dynamodb_table" "items" {\n  name     = "items"\n  hash_key = "sku"\n'
        '  attribute {\n    name = "sku"\n    type = "S"\n  }\n}\n')
    monkeypatch.chdir(tmp_path)
    result = scan(["."], Config(select=("FG5",)))
    assert sorted((f.rule_id, f.location.path, f.location.line) for f in result.findings) == [
        ("FG501", "service/chalicelib/reports.py", 13), ("FG503", "service/chalicelib/db.py", 11)]


def test_template_naming_the_app_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SAM template deploys the Chalice app (`Handler: app.app`, as `chalice package` writes it) and one event
    function: routes are analysed through the app object, once (no second, inferred copy of the blueprint)."""
    shutil.copytree(FIXTURES / "chalice_app", tmp_path / "service")
    (tmp_path / "service" / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  ApiHandler:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.app, CodeUri: .}\n"
        "  Restock:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.restock, CodeUri: .}\n")
    monkeypatch.chdir(tmp_path / "service")
    result = scan(["."], Config(severity=Severity.INFO, select=("FG5",)))
    assert sorted((f.rule_id, f.location.path, f.location.line, str(f.function)) for f in result.findings) == [
        ("FG501", "chalicelib/reports.py", 13, "ApiHandler"),
        ("FG503", "chalicelib/db.py", 11, "ApiHandler"),
        ("FG511", "app.py", 25, "Restock"),
        ("FG511", "chalicelib/reports.py", 11, "ApiHandler"),
    ]
    assert not [d for d in result.diagnostics if "inferred" in d.message or "not found" in d.message]
    # the Chalice config beside it describes the same deployment: checked once, through the template
    assert [d.message for d in result.diagnostics if "also deployed by a template" in d.message]
