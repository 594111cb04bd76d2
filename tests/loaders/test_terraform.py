"""Terraform loader: model contents and lines from fixtures, bad input, scanner safety, the corpus."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import DiagnosticKind
from faasguard.loaders import LoadContext, LoadResult, terraform
from faasguard.model import Application, AuthType, PolicyKind, TriggerKind, Unknown
from faasguard.sources import SourceType, discover

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"
# References to a named resource's ARN keep the name symbolic (terraform._instances._arn_shape).
SQS_ARN = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
TABLE_ARN = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "serverless-patterns"


def load_dir(directory: Path, roots: tuple[Path, ...] | None = None) -> LoadResult:
    found = discover([str(directory)], cwd=directory)
    files = [f for f in found.files if f.type is SourceType.TERRAFORM]
    return terraform.load(files, LoadContext(Config(), directory, roots or (directory,)))


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing `needle` (so fixtures can change without renumbering)."""
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not in {path}"
    return hits[nth - 1]


@pytest.fixture(scope="module")
def app_result() -> LoadResult:
    return load_dir(FIXTURES / "app")


@pytest.fixture(scope="module")
def app(app_result: LoadResult) -> Application:
    assert len(app_result.apps) == 1, "modules/worker is a local module, not a second root"
    return app_result.apps[0]


MAIN = FIXTURES / "app" / "main.tf"
API = FIXTURES / "app" / "api.tf"
MODULES = FIXTURES / "app" / "modules.tf"
WORKER = FIXTURES / "app" / "modules" / "worker" / "main.tf"


def test_application_shape(app: Application) -> None:
    assert app.source.value == "terraform"
    assert "modules/worker/main.tf" in app.files
    assert "terraform.tfvars" in app.files
    assert {f.id for f in app.functions} == {
        "aws_lambda_function.api", "aws_lambda_function.policy_from_file",
        "module.worker.aws_lambda_function.this", "module.thumbnailer.aws_lambda_function.this"}
    assert app.account_id == "${AWS::AccountId}"


def test_function_fields_and_lines(app: Application) -> None:
    fn = app.function("aws_lambda_function.api")
    assert fn is not None
    assert fn.location.line == line_of(MAIN, 'resource "aws_lambda_function" "api"')
    assert fn.location.logical_id == "aws_lambda_function.api"
    assert fn.name == "shop-prod-api"  # local built from var.stage, overridden by terraform.tfvars
    assert fn.timeout == 60
    assert fn.loc("timeout").line == line_of(MAIN, "timeout       = 60")
    assert fn.loc("memory_size").line == fn.location.line  # absent → the block's line
    assert fn.memory_size is None
    assert fn.role == "aws_iam_role.api"
    assert fn.tracing == "Active"
    assert fn.layers == ("aws_lambda_layer_version.deps", "arn:aws:lambda:us-east-1:999999999999:layer:x:1")
    assert fn.vpc is not None
    assert fn.vpc.security_group_ids == ("aws_security_group.fn",)
    assert fn.vpc.subnet_ids == ("subnet-1", "subnet-2")
    assert fn.async_on_failure is not None
    assert fn.async_on_failure.target == SQS_ARN + "${aws_sqs_queue.dlq.name}"
    assert fn.code is not None
    assert fn.code.code_dir == str(FIXTURES / "app" / "src")
    assert fn.code.handler_file == str(FIXTURES / "app" / "src" / "app.py")
    assert fn.code.handler_function == "lambda_handler"


def test_environment_values(app: Application) -> None:
    fn = app.function("aws_lambda_function.api")
    assert fn is not None
    env = {e.name: e for e in fn.environment}
    assert env["TABLE"].value == "${aws_dynamodb_table.orders.name}"
    assert env["DB_PASSWORD"].value == "hunter2-from-tfvars"
    assert env["DB_PASSWORD"].location.line == line_of(MAIN, "DB_PASSWORD = var.db_password")
    assert isinstance(env["API_TOKEN"].value, Unknown)
    assert env["API_TOKEN"].from_secret_attribute == "var.api_token (sensitive)"
    assert env["ADMIN_KEY"].from_secret_attribute == "aws_iam_access_key.secret"
    assert env["MODE"].value == "live"  # conditional on a known variable


def test_role_inline_policies_and_attachments(app: Application) -> None:
    role = app.role("aws_iam_role.api")
    assert role is not None
    assert role.name == "shop-prod-api"
    assert role.trust_policy is not None
    assert role.trust_policy.statements[0].principals == {"Service": ("lambda.amazonaws.com",)}
    by_name = {p.name: p for p in role.policies}
    tables = by_name["tables"]
    assert tables.kind is PolicyKind.INLINE
    assert tables.document is not None
    first, second = tables.document.statements
    assert first.resources == (TABLE_ARN + "${aws_dynamodb_table.orders.name}",)
    assert first.location.line == line_of(MAIN, "Action   = [\"dynamodb:GetItem\"") - 2
    assert second.actions == ("s3:*",)
    assert second.resources == ("*",)
    assert second.loc("actions").line == line_of(MAIN, 'Action   = "s3:*"')
    logs = by_name["logs"]
    assert logs.document is not None
    statement = logs.document.statements[0]
    assert statement.resources == ("arn:aws:logs:${AWS::Region}:${AWS::AccountId}:*",)
    assert statement.loc("actions").line == line_of(MAIN, '"Action": ["logs:CreateLogStream"')
    secrets = by_name["secrets"]
    assert secrets.kind is PolicyKind.CUSTOMER_MANAGED
    assert secrets.id == "aws_iam_policy.secrets"
    assert secrets.document is not None
    read, passrole = secrets.document.statements
    assert read.sid == "ReadSecret"
    assert read.effect == "Allow"
    assert read.loc("actions").line == line_of(MAIN, 'actions   = ["secretsmanager:GetSecretValue"]')
    assert passrole.conditions == {"StringEquals": {"iam:PassedToService": ("lambda.amazonaws.com",)}}
    admin = by_name["AdministratorAccess"]
    assert admin.kind is PolicyKind.AWS_MANAGED
    assert admin.arn == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert admin.location.line == line_of(MAIN, 'policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"')


def test_local_module_inputs_and_dynamic_statements(app: Application) -> None:
    fn = app.function("module.worker.aws_lambda_function.this")
    assert fn is not None
    assert fn.name == "shop-prod-worker"
    assert fn.timeout == 900
    assert fn.location.path == "modules/worker/main.tf"
    assert fn.loc("timeout").line == line_of(WORKER, "timeout       = var.timeout")
    assert fn.role == "module.worker.aws_iam_role.this"
    assert fn.code is not None
    assert fn.code.handler_file is not None
    assert fn.code.handler_file.endswith("worker.py")
    role = app.role("module.worker.aws_iam_role.this")
    assert role is not None
    (policy,) = role.policies
    assert policy.document is not None
    assert policy.document.unresolved is None
    actions = [s.actions for s in policy.document.statements]
    assert actions == [("sqs:ReceiveMessage", "sqs:DeleteMessage"), ("logs:*",)]
    assert policy.document.statements[0].resources == (SQS_ARN + "${aws_sqs_queue.jobs.name}",)


def test_registry_lambda_module(app: Application) -> None:
    fn = app.function("module.thumbnailer.aws_lambda_function.this")
    assert fn is not None
    assert fn.runtime == "python3.8"
    assert fn.timeout == 120
    assert fn.loc("runtime").line == line_of(MODULES, 'runtime       = "python3.8"')
    assert fn.code is not None
    assert fn.code.handler_file == str(FIXTURES / "app" / "src" / "app.py")
    assert [e.value for e in fn.environment] == ["sk_live_0123456789abcdef"]
    role = app.role(fn.role)
    assert role is not None
    assert role.implicit
    kinds = {p.name: p for p in role.policies}
    inline = kinds["thumbnailer-inline"]
    assert inline.document is not None
    assert inline.document.statements[0].resources == ("arn:${AWS::Partition}:s3:::${aws_s3_bucket.uploads.id}/*",)
    assert kinds["AmazonS3FullAccess"].kind is PolicyKind.AWS_MANAGED
    url = next(t for t in app.triggers if t.id == "module.thumbnailer.aws_lambda_function_url.this")
    assert url.auth is not None
    assert url.auth.type is AuthType.NONE
    perms = {p.id: p for p in app.permissions if p.function == fn.id}
    assert perms['module.thumbnailer.aws_lambda_permission.triggers["Anyone"]'].principal == "*"
    assert perms['module.thumbnailer.aws_lambda_permission.triggers["S3"]'].source_arn == \
        "arn:${AWS::Partition}:s3:::${aws_s3_bucket.uploads.id}"
    assert perms["aws_lambda_permission.thumbnailer_sns"].principal == "sns.amazonaws.com"


def test_triggers(app: Application) -> None:
    triggers = {t.id: t for t in app.triggers}
    url = triggers["aws_lambda_function_url.api"]
    assert url.kind is TriggerKind.FUNCTION_URL
    assert url.auth is not None
    assert url.auth.type is AuthType.NONE
    assert url.auth.location.line == line_of(MAIN, 'authorization_type = "NONE"')
    queue = triggers["aws_lambda_event_source_mapping.queue"]
    assert queue.kind is TriggerKind.SQS
    assert queue.source == "aws_sqs_queue.jobs"
    assert queue.on_failure is not None
    assert queue.on_failure.kind == "redrive"
    stream = triggers["aws_lambda_event_source_mapping.stream"]
    assert stream.kind is TriggerKind.DYNAMODB_STREAM
    assert stream.on_failure is not None
    assert stream.on_failure.kind == "on-failure"
    assert triggers["aws_s3_bucket_notification.uploads"].source == "aws_s3_bucket.uploads"
    assert triggers["aws_cloudwatch_event_target.nightly"].kind is TriggerKind.SCHEDULE
    assert triggers["aws_cloudwatch_event_target.nightly"].source == "rate(1 day)"
    assert triggers["aws_sns_topic_subscription.events"].kind is TriggerKind.SNS
    assert all(t.function == "aws_lambda_function.api" for t in triggers.values()
               if not t.id.startswith("module."))


def test_rest_api(app: Application) -> None:
    triggers = {t.id: t for t in app.triggers}
    create = triggers["aws_api_gateway_method.create"]
    assert create.kind is TriggerKind.REST_API
    assert create.path == "/orders"
    assert create.method == "POST"
    assert create.api == "aws_api_gateway_rest_api.shop"
    assert create.auth is not None
    assert create.auth.type is AuthType.NONE
    assert create.auth.location.line == line_of(API, 'authorization = "NONE"')
    assert create.request_validation is False
    assert create.takes_input is True
    get = triggers["aws_api_gateway_method.get"]
    assert get.path == "/orders/{id}"
    assert get.auth is not None
    assert get.auth.type is AuthType.COGNITO
    assert get.auth.authorizer == "aws_api_gateway_authorizer.cognito"
    assert get.request_validation is True
    assert "aws_api_gateway_method.health" not in triggers  # a MOCK integration invokes no function
    api = next(a for a in app.apis if a.id == "aws_api_gateway_rest_api.shop")
    stages = {s.name: s for s in api.stages}
    assert stages["prod"].access_logging is True
    assert stages["prod"].waf is True
    assert stages["dev"].access_logging is False
    assert stages["dev"].waf is False
    assert api.endpoint_type == "REGIONAL"


def test_http_api(app: Application) -> None:
    triggers = {t.id: t for t in app.triggers}
    public = triggers["aws_apigatewayv2_route.public"]
    assert public.kind is TriggerKind.HTTP_API
    assert public.method == "GET"
    assert public.path == "/items"
    assert public.auth is not None
    assert public.auth.type is AuthType.NONE
    private = triggers["aws_apigatewayv2_route.private"]
    assert private.auth is not None
    assert private.auth.type is AuthType.JWT
    api = next(a for a in app.apis if a.id == "aws_apigatewayv2_api.http")
    assert api.cors_allow_origins == ("*",)


def test_security_groups_have_no_implicit_egress(app: Application) -> None:
    groups = {g.id: g for g in app.security_groups}
    fn_group = groups["aws_security_group.fn"]
    assert not fn_group.implicit_allow_all_egress
    (rule,) = fn_group.rules
    assert (rule.direction, rule.protocol, rule.cidr) == ("egress", "-1", "0.0.0.0/0")
    assert rule.location.line == line_of(MAIN, "egress {")
    (https,) = groups["aws_security_group.db"].rules
    assert (https.protocol, https.from_port, https.to_port, https.cidr) == ("tcp", 443, 443, "10.0.0.0/16")


def test_resources_containers_and_counts(app: Application, app_result: LoadResult) -> None:
    resources = {r.id: r for r in app.resources}
    assert resources["aws_db_instance.main"].category.vpc_only
    assert resources["aws_dynamodb_table.orders"].name == "orders"
    assert resources["aws_s3_bucket.uploads"].name == "shop-prod-uploads"
    ecr = resources["aws_ecr_repository.app"]
    assert ecr.properties["image_tag_mutability"] == "MUTABLE"
    assert ecr.properties["image_scanning_configuration"] == [{"scan_on_push": False}]
    assert "aws_sqs_queue.disabled" not in resources  # count = 0: not created
    # count = 3: three instances, addressed and named as Terraform makes them (terraform._expansion)
    assert [resources[f"aws_sqs_queue.many[{i}]"].name for i in range(3)] == ["many-0", "many-1", "many-2"]
    assert "aws_sqs_queue.many" not in resources
    assert resources["aws_sqs_queue.many[2]"].location.line == line_of(MAIN, 'resource "aws_sqs_queue" "many"')
    task = resources["aws_ecs_task_definition.worker"]
    assert task.properties["task_role"] == "aws_iam_role.api"
    (container,) = app.containers
    assert container.id == "aws_ecs_task_definition.worker/app"
    assert container.privileged is True
    assert container.image == "nginx:latest"
    assert container.task_role == "aws_iam_role.api"
    assert container.location.line == line_of(MAIN, "name       = \"app\"") - 1


def test_external_role_and_parameters(app: Application) -> None:
    fn = app.function("aws_lambda_function.policy_from_file")
    assert fn is not None
    assert fn.role == "arn:aws:iam::123456789012:role/external-role"
    role = app.role(fn.role)
    assert role is not None
    assert role.external
    assert role.name == "external-role"
    params = {p.name: p for p in app.parameters}
    assert params["db_password"].no_echo
    assert not params["db_password"].has_default
    assert params["stage"].default == "dev"


def test_unresolved_diagnostics(app_result: LoadResult) -> None:
    messages = [(d.kind, d.message, d.location.line if d.location else 0) for d in app_result.diagnostics]
    assert (DiagnosticKind.UNRESOLVED, "reference cycle: local.cycle_a → local.cycle_b → local.cycle_a; "
            "values on it are unknown", line_of(MAIN, "cycle_a   =")) in messages
    assert any(k is DiagnosticKind.UNSUPPORTED and "module vpc" in m and line == line_of(MODULES, 'module "vpc"')
               for k, m, line in messages)
    assert any(k is DiagnosticKind.UNRESOLVED and "var.api_token" in m for k, m, _ in messages)
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in app_result.diagnostics)


def test_file_outside_project_is_never_read() -> None:
    project = FIXTURES / "outside" / "project"
    result = load_dir(project)
    (app,) = result.apps
    (fn,) = app.functions
    env = {e.name: e.value for e in fn.environment}
    assert isinstance(env["LEAK"], Unknown)
    assert "outside the scanned project" in env["LEAK"].reason
    assert isinstance(env["LEAK2"], Unknown)
    assert env["INSIDE"] == "inside-value"
    text = repr(app) + repr(result.diagnostics)
    assert "TOP-SECRET-OUTSIDE" not in text
    located = [d for d in result.diagnostics if "outside the scanned project" in d.message]
    assert {d.location.line for d in located if d.location} == {8, 9}


def test_syntax_errors_keep_the_rest() -> None:
    result = load_dir(FIXTURES / "broken")
    (app,) = result.apps
    path = FIXTURES / "broken" / "main.tf"
    assert {f.id for f in app.functions} == {"aws_lambda_function.ok", "aws_lambda_function.after"}
    errors = [d for d in result.diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]
    assert errors
    assert errors[0].location is not None
    assert errors[0].location.line == line_of(path, 'name = "x" "y"')
    ok = app.function("aws_lambda_function.ok")
    assert ok is not None
    assert isinstance(ok.timeout, Unknown)
    assert "cycle" in ok.timeout.reason
    role = app.role("aws_iam_role.r")
    assert role is not None
    assert role.trust_policy is not None
    assert role.trust_policy.unresolved is not None
    assert not role.trust_policy.statements
    assert any(d.kind is DiagnosticKind.UNRESOLVED and "undefined_thing" in d.message for d in result.diagnostics)
    assert not any(d.kind is DiagnosticKind.INTERNAL_ERROR for d in result.diagnostics)


def test_json_syntax() -> None:
    result = load_dir(FIXTURES / "json")
    (app,) = result.apps
    path = FIXTURES / "json" / "main.tf.json"
    fn = app.function("aws_lambda_function.fn")
    assert fn is not None
    assert fn.name == "json-fn"
    assert fn.timeout == 30
    assert fn.role == "aws_iam_role.fn"
    assert fn.loc("timeout").line == line_of(path, '"timeout": 30')
    assert [(e.name, e.value) for e in fn.environment] == [("STAGE", "prod")]
    role = app.role("aws_iam_role.fn")
    assert role is not None
    assert role.name == "json-fn-role"
    assert role.trust_policy is not None
    assert role.trust_policy.statements[0].actions == ("sts:AssumeRole",)
    (url,) = app.triggers
    assert url.auth is not None
    assert url.auth.type is AuthType.IAM


def test_root_modules_are_separate(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            f'resource "aws_lambda_function" "f" {{\n  function_name = "{name}"\n}}\n')
    result = load_dir(tmp_path)
    assert sorted(a.name for a in result.apps) == ["a", "b"]


def test_named_tfvars_are_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "t" {}\nresource "aws_lambda_function" "f" {\n  timeout = var.t\n}\n')
    (tmp_path / "prod.tfvars").write_text("t = 900\n")
    (tmp_path / "x.auto.tfvars.json").write_text('{"unused": 1}')
    (app,) = load_dir(tmp_path).apps
    (fn,) = app.functions
    assert isinstance(fn.timeout, Unknown)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_loads_without_internal_error() -> None:
    found = discover([str(CORPUS)], cwd=CORPUS)
    files = [f for f in found.files if f.type is SourceType.TERRAFORM]
    assert sum(1 for f in files if f.path.suffix == ".tf") == 337
    start = time.perf_counter()
    result = terraform.load(files, LoadContext(Config(), CORPUS, (CORPUS,)))
    elapsed = time.perf_counter() - start
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]
    directories = {f.path.parent for f in files if f.path.suffix == ".tf"}
    assert len(directories) == 159
    loaded = {Path(a.root) for a in result.apps}
    assert len(result.apps) >= 120
    assert loaded <= directories
    assert sum(len(a.functions) for a in result.apps) >= 90
    assert elapsed < 30  # a sanity bound only; the timing target lives in bench/bench_terraform.py
