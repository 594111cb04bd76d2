"""The CloudFormation/SAM loader on fixture templates: model contents and the lines they point at."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.loaders import LoadContext, cloudformation
from faasguard.model import Application, AuthType, PolicyKind, SourceKind, TriggerKind, Unknown
from faasguard.sources import SourceFile, SourceType

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders" / "cloudformation"


def load_app(relative: str) -> Application:
    path = FIXTURES / relative
    root = path.parent
    ctx = LoadContext(config=Config(), cwd=root, roots=(root,))
    result = cloudformation.load([SourceFile(SourceType.CLOUDFORMATION, path, path.name, root)], ctx)
    assert len(result.apps) == 1, result.diagnostics
    return result.apps[0]


@pytest.fixture(scope="module")
def sam() -> Application:
    return load_app("sam_app/template.yaml")


@pytest.fixture(scope="module")
def plain() -> Application:
    return load_app("plain/template.yaml")


def test_sam_source_and_parameters(sam: Application) -> None:
    assert sam.source is SourceKind.SAM
    assert sam.files == ("template.yaml",)
    stage, password = sam.parameters
    assert (stage.name, stage.default, stage.has_default, stage.location.line) == ("Stage", "prod", True, 6)
    assert (password.has_default, password.no_echo) == (False, True)


def test_sam_function_fields_and_globals_lines(sam: Application) -> None:
    api = sam.function("ApiFunction")
    worker = sam.function("WorkerFunction")
    assert api is not None
    assert worker is not None
    assert api.location.line == 40
    assert api.timeout == 20
    assert api.loc("timeout").line == 52
    # Inherited from Globals: the value and the Globals line.
    assert worker.timeout == 900
    assert worker.loc("timeout").line == 18
    assert worker.runtime == "python3.12"
    assert worker.loc("runtime").line == 19
    assert worker.reserved_concurrency == 5
    assert worker.loc("reserved_concurrency").line == 95
    assert worker.tracing == "Active"
    assert api.reserved_concurrency is None
    assert api.loc("reserved_concurrency").line == 40


def test_sam_handler_location(sam: Application) -> None:
    api, worker, url = (sam.function(i) for i in ("ApiFunction", "WorkerFunction", "UrlFunction"))
    assert api
    assert worker
    assert url
    assert api.code
    assert worker.code
    assert url.code
    assert api.code.handler_file == str(FIXTURES / "sam_app/src/app.py")
    assert api.code.handler_function == "handler"
    assert api.code.code_dir == str(FIXTURES / "sam_app/src")
    assert worker.code.handler_file == str(FIXTURES / "sam_app/src/pkg/mod.py")
    assert worker.code.handler_function == "run"
    assert url.code.handler_file == str(FIXTURES / "sam_app/web/index.mjs")


def test_sam_environment(sam: Application) -> None:
    api = sam.function("ApiFunction")
    assert api is not None
    env = {v.name: v for v in api.environment}
    assert env["STAGE"].value == "prod"
    assert env["STAGE"].location.line == 22
    assert isinstance(env["DB_PASSWORD"].value, Unknown)
    assert "DbPassword has no default" in env["DB_PASSWORD"].value.reason
    assert env["API_TOKEN"].secret_reference
    assert env["API_TOKEN"].location.line == 64
    assert env["SECRET_KEY"].from_secret_attribute == "AWS::IAM::AccessKey.SecretAccessKey"
    assert env["TABLE"].value == "orders-prod"  # Ref of a table with a TableName: the name


def test_sam_implicit_role(sam: Application) -> None:
    api = sam.function("ApiFunction")
    assert api is not None
    assert api.role == "ApiFunctionRole"
    role = sam.role("ApiFunctionRole")
    assert role is not None
    assert role.implicit
    assert not role.external
    assert role.location.line == 53
    by_name = {p.name: p for p in role.policies}
    basic = by_name["AWSLambdaBasicExecutionRole"]
    assert basic.kind is PolicyKind.AWS_MANAGED
    assert basic.document is None
    assert by_name["AmazonS3ReadOnlyAccess"].kind is PolicyKind.AWS_MANAGED
    inline = by_name["ApiFunctionRolePolicy2"]
    assert inline.kind is PolicyKind.INLINE
    assert inline.document is not None
    statement = inline.document.statements[0]
    assert statement.actions == ("s3:*",)
    assert statement.resources == ("*",)
    assert statement.location.line == 58
    assert statement.loc("actions").line == 59
    # attached with AWS::IAM::Policy Roles: [!Ref ApiFunctionRole]
    assert by_name["extra"].kind is PolicyKind.INLINE
    assert by_name["extra"].id == "ExtraPolicy"
    assert role.trust_policy is not None
    assert role.trust_policy.statements[0].principals == {"Service": ("lambda.amazonaws.com",)}


def test_sam_policy_template_expanded(sam: Application) -> None:
    role = sam.role("ApiFunctionRole")
    assert role is not None
    crud = next(p for p in role.policies if p.kind is PolicyKind.SAM_TEMPLATE)
    assert crud.name == "DynamoDBCrudPolicy"
    assert crud.location.line == 54
    assert crud.document is not None
    assert crud.document.unresolved is None
    statement = crud.document.statements[0]
    assert "dynamodb:PutItem" in statement.actions
    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders-prod"
    assert statement.resources == (table, table + "/index/*")
    assert statement.location.line == 54


def test_role_with_managed_and_attached_policies(sam: Application) -> None:
    worker = sam.function("WorkerFunction")
    assert worker is not None
    assert worker.role == "SharedRole"
    role = sam.role("SharedRole")
    assert role is not None
    assert not role.implicit
    kinds = {p.name: (p.kind, p.location.line) for p in role.policies}
    assert kinds["AdministratorAccess"] == (PolicyKind.AWS_MANAGED, 144)
    assert kinds["WorkerManagedPolicy"] == (PolicyKind.CUSTOMER_MANAGED, 145)
    assert kinds["extra"] == (PolicyKind.INLINE, 157)
    managed = next(p for p in role.policies if p.name == "WorkerManagedPolicy")
    assert managed.document is not None
    assert managed.document.statements[0].resources == ("${JobsQueue.Arn}",)


def test_external_role(sam: Application) -> None:
    url = sam.function("UrlFunction")
    assert url is not None
    role = sam.role(url.role)
    assert role is not None
    assert role.external
    assert role.id == "arn:aws:iam::123456789012:role/external-role"
    assert role.location.line == 123


def test_layers_vpc_dlq(sam: Application) -> None:
    worker = sam.function("WorkerFunction")
    assert worker is not None
    assert worker.layers == ("SharedLayer", "arn:aws:lambda:us-east-1:123456789012:layer:foreign:3")
    layer = sam.layers[0]
    assert layer.id == "SharedLayer"
    assert layer.content_dir == str(FIXTURES / "sam_app/layer")
    assert worker.vpc is not None
    assert worker.vpc.security_group_ids == ("WorkerSG",)
    assert worker.vpc.subnet_ids == ("subnet-1",)
    assert worker.vpc.location.line == 90
    assert worker.dead_letter is not None
    assert worker.dead_letter.target == "DeadLetters"
    group = sam.security_group("WorkerSG")
    assert group is not None
    assert group.implicit_allow_all_egress
    assert group.rules == ()


def test_sam_api_auth(sam: Application) -> None:
    triggers = {t.id: t for t in sam.triggers}
    get = triggers["ApiFunction.GetOrders"]
    assert get.kind is TriggerKind.REST_API
    assert get.api == "ServerlessRestApi"
    assert (get.method, get.path, get.location.line) == ("GET", "/orders", 68)
    assert get.auth is not None
    assert get.auth.type is AuthType.COGNITO
    assert get.auth.authorizer == "CognitoAuth"
    assert get.auth.location.line == 25  # the Globals DefaultAuthorizer line
    health = triggers["ApiFunction.Health"]
    assert health.auth is not None
    assert health.auth.type is AuthType.NONE
    assert health.auth.location.line == 79
    assert "NONE" in (health.auth.detail or "")


def test_implicit_apis_and_stage_waf(sam: Application) -> None:
    apis = {a.id: a for a in sam.apis}
    rest = apis["ServerlessRestApi"]
    assert rest.implicit
    assert rest.kind is TriggerKind.REST_API
    assert rest.default_auth is not None
    assert rest.default_auth.type is AuthType.COGNITO
    (stage,) = rest.stages
    assert (stage.name, stage.id) == ("Prod", "ServerlessRestApiProdStage")
    assert (stage.waf, stage.access_logging) == (True, False)
    assert stage.loc("waf").line == 210
    http = apis["ServerlessHttpApi"]
    assert http.implicit
    assert http.stages[0].id == "ServerlessHttpApiApiGatewayDefaultStage"


def test_function_url_and_stream_triggers(sam: Application) -> None:
    triggers = {t.id: t for t in sam.triggers}
    url = triggers["UrlFunctionUrl"]
    assert url.kind is TriggerKind.FUNCTION_URL
    assert url.function == "UrlFunction"
    assert url.auth is not None
    assert url.auth.type is AuthType.NONE
    assert url.auth.location.line == 125
    http = triggers["UrlFunction.Http"]
    assert http.kind is TriggerKind.HTTP_API
    assert http.auth is not None
    assert http.auth.type is AuthType.NONE
    stream = triggers["WorkerFunction.Stream"]
    assert stream.kind is TriggerKind.KINESIS
    assert stream.source == "Stream"
    assert stream.on_failure is not None
    assert stream.on_failure.target == "DeadLetters"
    assert stream.loc("on_failure").line == 109
    queue = triggers["WorkerFunction.Queue"]
    assert queue.kind is TriggerKind.SQS
    assert queue.source == "JobsQueue"
    assert queue.on_failure is not None
    assert queue.on_failure.kind == "redrive"
    assert triggers["WorkerFunction.Nightly"].source == "rate(1 day)"


def test_suppressions_and_conditions(sam: Application) -> None:
    first, second = sam.suppressions
    assert (first.rule_id, first.resource, first.reason, first.until, first.location.line) == (
        "FG401", "ApiFunction", "long exports", "2030-01-01", 45)
    assert (second.rule_id, second.reason) == ("FG403", None)
    bucket = sam.resource("ProdOnlyBucket")  # Condition IsProd is true with the default Stage
    assert bucket is not None
    assert bucket.name == "prod-bucket"
    assert bucket.arn == "arn:${AWS::Partition}:s3:::prod-bucket"


def test_plain_cloudformation_function(plain: Application) -> None:
    assert plain.source is SourceKind.CLOUDFORMATION
    handler = plain.function("Handler")
    assert handler is not None
    assert handler.name == "orders-dev"  # Fn::Join
    assert handler.memory_size == 128  # Fn::FindInMap with a parameter default
    assert handler.timeout == 30
    assert handler.loc("timeout").line == 23
    assert handler.tracing == "Active"
    assert handler.kms_key == "${Key.Arn}"
    assert handler.vpc is not None
    assert handler.vpc.security_group_ids == ("HandlerSG",)
    assert handler.vpc.subnet_ids == ("subnet-a", "subnet-b")
    env = {v.name: v.value for v in handler.environment}
    assert env["REGION_NAME"] == "${AWS::Region}-dev"
    assert isinstance(env["FIRST_AZ"], Unknown)
    assert isinstance(env["SHARED"], Unknown)
    assert handler.async_on_failure is not None
    assert handler.async_on_failure.target == "Table"
    assert plain.resource("NotProdQueue") is None  # Condition IsProd is false
    role = plain.role("HandlerRole")
    assert role is not None
    assert role.permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    assert role.loc("permissions_boundary").line == 47


def test_plain_security_group_rules(plain: Application) -> None:
    group = plain.security_group("HandlerSG")
    assert group is not None
    assert not group.implicit_allow_all_egress
    egress, ingress = group.rules
    assert (egress.direction, egress.protocol, egress.cidr, egress.location.line) == ("egress", "-1", "0.0.0.0/0", 59)
    assert (ingress.direction, ingress.from_port, ingress.location.logical_id) == ("ingress", 443, "ExtraIngress")


def test_plain_permission_url_mapping(plain: Application) -> None:
    (permission,) = plain.permissions
    assert (permission.function, permission.principal, permission.source_arn) == ("Handler", "s3.amazonaws.com", None)
    assert permission.loc("principal").line == 76
    triggers = {t.id: t for t in plain.triggers}
    assert triggers["Url"].auth is not None
    assert triggers["Url"].auth.type is AuthType.IAM
    assert triggers["Mapping"].kind is TriggerKind.DYNAMODB_STREAM
    assert triggers["Mapping"].source == "Table"
    assert triggers["Uploads.0"].kind is TriggerKind.S3
    assert triggers["Uploads.0"].function == "Handler"


def test_plain_api_gateway(plain: Application) -> None:
    triggers = {t.id: t for t in plain.triggers}
    post = triggers["PostOrders"]
    assert (post.path, post.method, post.function, post.api) == ("/orders", "POST", "Handler", "Api")
    assert post.auth is not None
    assert post.auth.type is AuthType.NONE
    assert post.auth.location.line == 124
    assert post.takes_input is True
    assert post.request_validation is False
    get = triggers["GetOrders"]
    assert get.auth is not None
    assert get.auth.type is AuthType.LAMBDA
    assert get.auth.authorizer == "TokenAuthorizer"
    assert get.request_validation is True
    assert "OptionsOrders" not in triggers  # MOCK integration (CORS preflight) invokes no function
    route = triggers["HttpRoute"]
    assert (route.method, route.path, route.function) == ("GET", "/items/{id}", "Handler")
    assert route.auth is not None
    assert route.auth.type is AuthType.JWT
    apis = {a.id: a for a in plain.apis}
    (stage,) = apis["Api"].stages
    assert (stage.id, stage.access_logging, stage.waf) == ("ProdStage", True, True)
    assert stage.loc("access_logging").line == 172
    assert apis["Api"].endpoint_type == "REGIONAL"
    assert apis["HttpApi"].stages[0].access_logging is False


def test_json_template_positions() -> None:
    app = load_app("plain/stack.json")
    function = app.function("Fn")
    assert function is not None
    assert function.location.line == 4
    assert function.code is not None
    assert function.code.inline
    role = app.role("FnRole")
    assert role is not None
    assert role.trust_policy is not None
    assert role.trust_policy.statements[0].principals == {"AWS": ("*",)}
    statement = role.policies[0].document.statements[0]  # type: ignore[union-attr]
    assert statement.not_actions == ("iam:*",)
    assert statement.location.line == 17


def test_policy_template_shared_by_functions_located_at_each_use(tmp_path: Path) -> None:
    """A SAM policy template expanded once for several functions with the same parameters still gives each
    function's role its own statement lines; a template missing a parameter is Unknown at each use."""
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Orders:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "  First:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Runtime: python3.12\n"
        "      Handler: app.handler\n"
        "      Policies:\n"
        "        - DynamoDBCrudPolicy:\n"
        "            TableName: !Ref Orders\n"
        "        - SQSPollerPolicy: {}\n"
        "  Second:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Runtime: python3.12\n"
        "      Handler: app.handler\n"
        "      Policies:\n"
        "        - DynamoDBCrudPolicy:\n"
        "            TableName: !Ref Orders\n"
        "        - SQSPollerPolicy: {}\n")
    path = tmp_path / "template.yaml"
    ctx = LoadContext(config=Config(), cwd=tmp_path, roots=(tmp_path,))
    result = cloudformation.load([SourceFile(SourceType.CLOUDFORMATION, path, path.name, tmp_path)], ctx)
    (app,) = result.apps
    seen = []
    for role_id, line in (("FirstRole", 11), ("SecondRole", 20)):
        role = app.role(role_id)
        assert role is not None
        crud, poller = [p for p in role.policies if p.kind is PolicyKind.SAM_TEMPLATE]
        assert crud.document is not None
        assert crud.document.unresolved is None
        (statement,) = crud.document.statements[:1]
        assert statement.location.line == line
        table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Orders}"
        assert statement.resources == (table, table + "/index/*")
        seen.append(statement.resources)
        assert poller.document is not None
        assert isinstance(poller.document.unresolved, Unknown)
        assert poller.document.unresolved.location is not None
        assert poller.document.unresolved.location.line == line + 2
    assert seen[0] == seen[1]
    missing = [d for d in result.diagnostics if "SQSPollerPolicy is missing" in d.message]
    assert [d.location.line for d in missing] == [13, 22]
