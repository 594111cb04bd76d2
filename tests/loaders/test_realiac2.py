"""Shapes met in real Terraform and Serverless Framework applications in the second comparison with Checkov:
a Serverless resource whose body is a `${file(...)}` include, settings about passwords named like passwords,
session signing keys, per-function roles that inherit the provider's statements. Each case asserts the exact
rule, resource and line, and what must stay silent."""

from __future__ import annotations

from pathlib import Path

from tests._helpers import line_of, run

from faasguard.config import Config
from faasguard.findings import Confidence
from faasguard.pipeline import load_sources

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders"
SLS_RESOURCE_FILE = FIXTURES / "serverless" / "resource-file-include"
SLS_PASSWORD_SETTINGS = FIXTURES / "serverless" / "password-settings"
SLS_SIGNING_KEYS = FIXTURES / "serverless" / "signing-keys"
SLS_INHERIT = FIXTURES / "serverless" / "roles-per-function-inherit"
SLS_DEFAULT_INHERIT = FIXTURES / "serverless" / "roles-per-function-default"
SLS_OVERRIDE = FIXTURES / "serverless" / "override-generated"
TF_MODULE_TRUST = FIXTURES / "terraform" / "lambda-module-trust"
TF_HTTP_API_MODULE = FIXTURES / "terraform" / "apigateway-v2-module"
TF_MODULE_CONDITIONS = FIXTURES / "terraform" / "lambda-module-conditions"


def test_serverless_resource_written_in_its_own_file_is_located_there() -> None:
    found = run(SLS_RESOURCE_FILE, "FG104", "FG102")
    role_file = SLS_RESOURCE_FILE / "iam" / "worker-role.yml"
    located = sorted((f.rule_id, f.resource, f.location.path, f.location.line) for f in found)
    assert located == sorted([
        # the include's first line (its `Type:`), in the include; before, serverless.yml's key line number
        # was paired with the include's path, pointing past the end of a 16-line file
        ("FG104", "WorkerRole", "iam/worker-role.yml", 1),
        # a statement inside the include keeps its own line there
        ("FG102", "WorkerRole", "iam/worker-role.yml", line_of(role_file, 'Resource: "*"')),
        # a role written in serverless.yml itself stays at its key there
        ("FG104", "ReportRole", "serverless.yml", line_of(SLS_RESOURCE_FILE / "serverless.yml", "    ReportRole:")),
    ])


def test_password_settings_are_not_secrets() -> None:
    spec = SLS_PASSWORD_SETTINGS / "serverless.yml"
    found = run(SLS_PASSWORD_SETTINGS, "FG201", "FG203")
    assert sorted((f.rule_id, f.resource, f.location.line) for f in found) == [
        ("FG201", "signup", line_of(spec, "MAILER_API_KEY:")),
        ("FG203", "signup", line_of(spec, "  signup:")),
    ]
    (cmk,) = [f for f in found if f.rule_id == "FG203"]
    # the message names the one secret, not the iteration count and minimum length beside it
    assert "(MAILER_API_KEY)" in cmk.message


def test_session_signing_key_is_a_secret_and_its_attribute_name_is_not() -> None:
    spec = SLS_SIGNING_KEYS / "serverless.yml"
    found = run(SLS_SIGNING_KEYS, "FG201")
    assert [(f.rule_id, f.resource, f.location.line) for f in found] == [
        ("FG201", "sessions", line_of(spec, "SESSION_KEY:"))]


def test_per_function_role_inherits_the_provider_statements_when_asked() -> None:
    spec = SLS_INHERIT / "serverless.yml"
    star = line_of(spec, 'Resource: "*"')
    found = run(SLS_INHERIT, "FG102")
    assert sorted((f.rule_id, f.resource, f.location.line, f.function) for f in found) == [
        ("FG102", "IamRoleLambdaExecution", star, "reporter"),
        ("FG102", "ImporterIamRoleLambdaExecution", star, "importer"),
    ]


def test_default_inherit_applies_unless_a_function_opts_out() -> None:
    spec = SLS_DEFAULT_INHERIT / "serverless.yml"
    found = run(SLS_DEFAULT_INHERIT, "FG102")
    assert [(f.rule_id, f.resource, f.location.line, f.function) for f in found] == [
        ("FG102", "IngestIamRoleLambdaExecution", line_of(spec, 'Resource: "*"'), "ingest")]


def test_registry_lambda_module_trust_policy_is_read_from_its_inputs() -> None:
    main = TF_MODULE_TRUST / "main.tf"
    found = run(TF_MODULE_TRUST, "FG111")
    assert sorted((f.rule_id, f.resource, f.location.line) for f in found) == [
        ("FG111", "module.partner.aws_iam_role.lambda", line_of(main, "  trusted_entities = [")),
        ("FG111", "module.vendor.aws_iam_role.lambda", line_of(main, "vendor_access = {")),
    ]


def test_registry_lambda_module_function_url_cors_is_read_from_its_inputs() -> None:
    main = TF_MODULE_TRUST / "main.tf"
    found = run(TF_MODULE_TRUST, "FG314")
    assert [(f.rule_id, f.resource, f.location.line) for f in found] == [
        ("FG314", "module.widget.aws_lambda_function_url.this", line_of(main, 'allow_origins     = ["*"]'))]


def test_registry_apigateway_v2_module_routes_stage_and_cors() -> None:
    main = TF_HTTP_API_MODULE / "main.tf"
    found = run(TF_HTTP_API_MODULE, "FG301", "FG307", "FG314")
    assert sorted((f.rule_id, f.resource, f.location.line) for f in found) == sorted([
        ("FG301", 'module.orders.aws_apigatewayv2_route.this["POST /orders"]', line_of(main, '"POST /orders" = {')),
        ("FG307", "module.orders.aws_apigatewayv2_stage.default", line_of(main, 'module "orders" {')),
        ("FG314", "module.legacy.aws_apigatewayv2_api.this", line_of(main, 'allow_origins = ["*"]')),
    ])
    (route,) = [f for f in found if f.rule_id == "FG301"]
    assert route.function == "module.handler.aws_lambda_function.this"


def test_registry_apigateway_v2_module_outputs_name_its_api() -> None:
    (app,) = load_sources([str(TF_HTTP_API_MODULE)], Config(), cwd=TF_HTTP_API_MODULE).apps
    sources = {p.id.rsplit("[", 1)[-1]: p.source_arn for p in app.permissions}
    assert sources == {
        '"orders"]': "${module.orders.aws_apigatewayv2_api.this.execution_arn}/*/*",
        '"legacy"]': "${module.legacy.aws_apigatewayv2_api.this.execution_arn}/*/*",
        '"chat"]': "${module.chat.aws_apigatewayv2_api.this.execution_arn}/*/*",
    }
    chat = [t for t in app.triggers if t.api == "module.chat.aws_apigatewayv2_api.this"]
    assert [(t.path, t.function) for t in chat] == [("$connect", "module.handler.aws_lambda_function.this")]


def test_registry_lambda_module_condition_map_narrows_the_statement() -> None:
    main = TF_MODULE_CONDITIONS / "main.tf"
    (found,) = run(TF_MODULE_CONDITIONS, "FG102")
    assert (found.rule_id, found.resource, found.location.line) == (
        "FG102", "module.tagged.aws_iam_policy.additional_inline", line_of(main, 'resources = ["*"]'))
    assert found.confidence is Confidence.MEDIUM
    assert "severity lowered" in found.message


def test_serverless_resources_merge_into_the_generated_ones() -> None:
    spec = SLS_OVERRIDE / "serverless.yml"
    found = run(SLS_OVERRIDE, "FG102", "FG103", "FG301")
    assert sorted((f.rule_id, f.resource, f.location.line) for f in found) == [
        ("FG102", "IamRoleLambdaExecution", line_of(spec, 'Resource: "*"')),
        ("FG103", "IamRoleLambdaExecution", line_of(spec, "- arn:aws:iam::aws:policy/AmazonS3FullAccess")),
        ("FG301", "submit.Http0", line_of(spec, "- http:")),
    ]
    (app,) = load_sources([str(SLS_OVERRIDE)], Config(), cwd=SLS_OVERRIDE).apps
    (role,) = app.roles
    assert role.permissions_boundary == "arn:aws:iam::111122223333:policy/service-boundary"
