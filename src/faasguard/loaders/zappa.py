"""Zappa (`zappa_settings.json`, `.yml`/`.yaml`, `.toml`) → one `Application(source=ZAPPA)` per settings file,
one Lambda `Function` per stage.

What Zappa deploys for a stage, as its settings and documented defaults say (nothing is executed or imported):

* One function, `<project_name>-<stage>` (the project name defaults to the directory's name), running Zappa's
  own handler, which dispatches HTTP requests to the WSGI/ASGI app named by `app_function` (`service.app`) and
  events to the functions named in `events`. The app object is the code entry point, so every Flask route is
  analysed as reached through the function (`CodeLocation.handler_function` names the app object). Defaults:
  `timeout_seconds` 30, `memory_size` 512; the runtime follows the deploying Python when `runtime` is absent
  (Unknown). `extends` chains are followed, the extending stage's keys winning (a shallow update, as
  Zappa does it: an `environment_variables` mapping replaces the base stage's whole mapping).
* Environment: `environment_variables` (bundled into the package's settings module) and
  `aws_environment_variables` (set on the function): both are plaintext configuration (FG201).
* Role: `role_arn` names an existing role (external: its permissions are not visible); `manage_roles: false`
  uses an existing role named `role_name` (external too); otherwise Zappa creates `<role_name>` (default
  `<lambda name>-ZappaLambdaExecutionRole`) with its default execution policy, which is very broad (`s3:*`,
  `sqs:*`, `sns:*`, `dynamodb:*`, `kinesis:*` across the account, `lambda:InvokeFunction` on `*`, `route53:*`),
  replaced by the `attach_policy` file when one is given, plus the `extra_permissions` statements. The
  default policy is data (`data/zappa/default_policy.json`), located at the stage's key line since the
  project never wrote it. Trust: `lambda`, `apigateway` and `events` service principals (its default).
* Triggers: the API Gateway REST API (unless `apigateway_enabled: false`) with `iam_authorization`,
  `authorizer` (a Lambda authorizer by `function`/`arn`, or `COGNITO_USER_POOLS`) and `api_key_required`;
  a function URL when `function_url_enabled` (auth `function_url_config.authorizer`, default NONE);
  `events` with an `event_source.arn` (S3, SNS, SQS, DynamoDB and Kinesis streams) or an `expression`
  (schedule). Zappa's `keep_warm` ping is not modelled: it carries no caller data and needs no failure
  destination.
* `vpc_config`, `xray_tracing`, `lambda_concurrency`, `dead_letter_arn`, `aws_kms_key_arn`, `layers`.

TOML settings have no positions in the standard parser: their nodes are located at the stage's table header.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._policy_json import document, document_file, statements
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, parse_yaml_text, read_text
from faasguard.model import (
    Api,
    Application,
    Auth,
    AuthType,
    CodeLocation,
    Destination,
    EnvVar,
    Function,
    Location,
    Policy,
    PolicyDocument,
    PolicyKind,
    Role,
    SourceKind,
    Stage,
    Trigger,
    TriggerKind,
    Unknown,
    VpcConfig,
)

COMPONENT = "zappa loader"
DEFAULT_TIMEOUT = 30
DEFAULT_MEMORY = 512
_EVENT_KINDS = {"s3": TriggerKind.S3, "sns": TriggerKind.SNS, "sqs": TriggerKind.SQS,
                "dynamodb": TriggerKind.DYNAMODB_STREAM, "kinesis": TriggerKind.KINESIS}


@cache
def _default_policy() -> Mapping[str, Any]:
    raw = resources.files("faasguard.data").joinpath("zappa/default_policy.json").read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(raw)
    return data


def slug(text: str) -> str:
    """Zappa's lambda names are slugified (`python-slugify`): lower case, runs of other characters → `-`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Settings:
    """One stage's effective settings (its `extends` chain merged), each value with the line that set it."""

    def __init__(self, stage: str, values: dict[str, tuple[Any, Location]], where: Location) -> None:
        self.stage = stage
        self.values = values
        self.where = where

    def get(self, key: str, default: Any = None) -> Any:
        return self.values[key][0] if key in self.values else default

    def loc(self, key: str) -> Location:
        return self.values[key][1] if key in self.values else self.where


def _parse(source: SourceFile) -> tuple[Any, dict[str, int]]:
    """The settings document and, for TOML, the line of each stage's table header."""
    text = read_text(source.path, source.display)
    lower = source.path.name.lower()
    if lower.endswith(".toml"):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ParseError(f"TOML syntax error: {exc}", Location(source.display)) from exc
        except RecursionError as exc:
            raise ParseError("nesting too deep to parse", Location(source.display)) from exc
        headers = {m.group(1).strip().strip('"'): text.count("\n", 0, m.start()) + 1
                   for m in re.finditer(r"^\s*\[([^\]\[.]+)\]\s*$", text, re.MULTILINE)}
        return data, headers
    if lower.endswith(".json"):
        return parse_json_text(text, source.display), {}
    documents = parse_yaml_text(text, source.display)
    return (documents[0] if documents else None), {}


def _stage_settings(document: Mapping[str, Any], stage: str, display: str, headers: Mapping[str, int],
                    ) -> _Settings:
    chain: list[str] = []
    current: str | None = stage
    while isinstance(current, str) and current in document and current not in chain:
        chain.append(current)
        parent = document[current].get("extends") if isinstance(document[current], Mapping) else None
        current = parent if isinstance(parent, str) else None
    values: dict[str, tuple[Any, Location]] = {}
    for name in reversed(chain):  # the base first, so the extending stage's keys win
        block = document[name]
        fallback = block.loc(stage) if isinstance(block, LocatedDict) else \
            Location(display, headers.get(name, 1), logical_id=stage)
        for key, value in block.items():
            where = block.key_loc(key, stage) if isinstance(block, LocatedDict) else fallback
            values[str(key)] = (value, where)
    holder = document[stage]
    where = document.key_loc(stage, stage) if isinstance(document, LocatedDict) else \
        Location(display, headers.get(stage, 1), logical_id=stage)
    del holder
    return _Settings(stage, values, where)


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        try:
            document, headers = _parse(source)
        except ParseError as exc:
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                 DiagnosticLevel.ERROR, COMPONENT))
            continue
        if not isinstance(document, Mapping):
            result.diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, "Zappa settings are not a mapping of stages", Location(source.display),
                DiagnosticLevel.ERROR, COMPONENT))
            continue
        app = _application(source, document, headers, ctx, result)
        if app is not None:
            result.apps.append(app)
    return result


def _application(source: SourceFile, document: Mapping[str, Any], headers: Mapping[str, int], ctx: LoadContext,
                 result: LoadResult) -> Application | None:
    project_dir = source.path.parent
    functions: list[Function] = []
    roles: dict[str, Role] = {}
    triggers: list[Trigger] = []
    apis: list[Api] = []
    files = [source.display]
    for stage, block in document.items():
        if not isinstance(block, Mapping):
            continue
        settings = _stage_settings(document, str(stage), source.display, headers)
        fn, role = _function(settings, project_dir, ctx, files)
        functions.append(fn)
        if role is not None:
            roles.setdefault(role.id, role)
        api, http = _api(settings, fn)
        if api is not None:
            apis.append(api)
        triggers.extend(http)
        triggers.extend(_events(settings, fn))
    if not functions:
        result.diagnostics.append(Diagnostic(DiagnosticKind.INFO, "no stage in the Zappa settings; nothing deployed",
                                             Location(source.display), DiagnosticLevel.NOTE, COMPONENT))
        return None
    return Application(name=source.display, source=SourceKind.ZAPPA, root=str(project_dir), files=tuple(files),
                       functions=tuple(functions), roles=tuple(roles.values()), triggers=tuple(triggers),
                       apis=tuple(apis))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any, where: Location) -> int | Unknown | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return Unknown(f"not an integer: {value!r}", where)
    return value


def _function(settings: _Settings, project_dir: Path, ctx: LoadContext, files: list[str],
              ) -> tuple[Function, Role | None]:
    stage = settings.stage
    project = _text(settings.get("project_name")) or slug(project_dir.name)
    name = slug(f"{project}-{stage}")
    fields: dict[str, Location] = {}
    for model, key in (("runtime", "runtime"), ("handler", "app_function"), ("timeout", "timeout_seconds"),
                       ("memory_size", "memory_size"), ("role", "role_name"), ("kms_key", "aws_kms_key_arn"),
                       ("layers", "layers"), ("reserved_concurrency", "lambda_concurrency"),
                       ("tracing", "xray_tracing"), ("vpc", "vpc_config"), ("dead_letter", "dead_letter_arn"),
                       ("environment", "environment_variables")):
        if key in settings.values:
            fields[model] = settings.loc(key)
    if "role_arn" in settings.values:
        fields["role"] = settings.loc("role_arn")
    runtime = settings.get("runtime")
    app_function = _text(settings.get("app_function"))
    code = _code(project_dir, app_function, settings.get("django_settings"))
    role = _role(settings, name, project_dir, ctx, files)
    vpc_raw = settings.get("vpc_config")
    vpc = None
    if isinstance(vpc_raw, Mapping) and (vpc_raw.get("SubnetIds") or vpc_raw.get("SecurityGroupIds")):
        vpc = VpcConfig(settings.loc("vpc_config"), tuple(s for s in vpc_raw.get("SubnetIds") or () if isinstance(
            s, str)), tuple(g for g in vpc_raw.get("SecurityGroupIds") or () if isinstance(g, str)))
    dlq = _text(settings.get("dead_letter_arn"))
    layers = settings.get("layers")
    fn = Function(
        id=stage, location=settings.where, field_locations=fields, name=name,
        runtime=runtime if isinstance(runtime, str) else Unknown(
            "Zappa takes the runtime from the Python version that deploys it", settings.where),
        handler=app_function or Unknown("no app_function (a Django project or a handler Zappa finds itself)",
                                        settings.where),
        code=code, timeout=_int(settings.get("timeout_seconds"), settings.loc("timeout_seconds")),
        timeout_default=DEFAULT_TIMEOUT,
        memory_size=_int(settings.get("memory_size", DEFAULT_MEMORY), settings.loc("memory_size")),
        role=role.id if role is not None else None, environment=_environment(settings),
        kms_key=_text(settings.get("aws_kms_key_arn")),
        layers=tuple(x for x in layers if isinstance(x, str)) if isinstance(layers, list) else (),
        vpc=vpc, reserved_concurrency=_int(settings.get("lambda_concurrency"), settings.loc("lambda_concurrency")),
        tracing="Active" if settings.get("xray_tracing") is True else None,
        dead_letter=Destination("dlq", dlq, settings.loc("dead_letter_arn")) if dlq else None)
    return fn, role


def _code(project_dir: Path, app_function: str | None, django: Any) -> CodeLocation:
    if app_function is None or "." not in app_function:
        return CodeLocation(str(project_dir), None, None, handler=app_function if app_function else (
            "django" if django else None))
    module, attribute = app_function.rsplit(".", 1)
    base = project_dir / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return CodeLocation(str(project_dir), str(candidate), attribute, handler=app_function)
    return CodeLocation(str(project_dir), None, attribute, handler=app_function)


def _environment(settings: _Settings) -> tuple[EnvVar, ...]:
    out: list[EnvVar] = []
    for key in ("environment_variables", "aws_environment_variables"):
        variables = settings.get(key)
        if not isinstance(variables, Mapping):
            continue
        for name, value in variables.items():
            where = variables.key_loc(str(name), settings.stage) if isinstance(variables, LocatedDict) \
                else settings.loc(key)
            out.append(EnvVar(str(name), value if isinstance(value, str) else json.dumps(value), where))
    return tuple(out)


def _role(settings: _Settings, lambda_name: str, project_dir: Path, ctx: LoadContext,
          files: list[str]) -> Role | None:
    arn = _text(settings.get("role_arn"))
    if arn is not None:
        return Role(id=arn, location=settings.loc("role_arn"), name=arn.rsplit("/", 1)[-1], arn=arn, external=True)
    role_name = _text(settings.get("role_name"))
    if settings.get("manage_roles", True) is False:
        if role_name is None:
            return None
        return Role(id=role_name, location=settings.loc("role_name"), name=role_name, external=True)
    name = role_name or f"{lambda_name}-ZappaLambdaExecutionRole"
    where = settings.loc("role_name") if role_name else settings.where
    defaults = _default_policy()
    attach = _text(settings.get("attach_policy"))
    policies: list[Policy] = []
    if attach is not None:
        attach_where = settings.loc("attach_policy")
        policy_path = project_dir / attach
        if not ctx.inside_roots(policy_path) or not policy_path.is_file():
            doc = PolicyDocument((), attach_where, Unknown(f"attach_policy {attach} is not a file in the scanned "
                                                            "project", attach_where))
        else:
            display = ctx.display(policy_path)
            doc = document_file(policy_path, display, attach_where.with_id(name))
            files.append(display)
        policies.append(Policy(attach, PolicyKind.INLINE, attach_where, doc))
    else:
        policies.append(Policy("zappa-permissions (Zappa's default)", PolicyKind.INLINE, where,
                               _relocated(document(defaults["policy"], where), where)))
    extra = settings.get("extra_permissions")
    if extra is not None:
        extra_where = settings.loc("extra_permissions")
        found, unresolved = statements(extra, extra_where.with_id(name))
        policies.append(Policy("extra_permissions", PolicyKind.INLINE, extra_where,
                               PolicyDocument(tuple(found), extra_where, unresolved)))
    trust = _relocated(document(defaults["trust"], where), where)
    return Role(id=name, location=where, name=name, trust_policy=trust, policies=tuple(policies),
                implicit=role_name is None)


def _relocated(doc: PolicyDocument, where: Location) -> PolicyDocument:
    """A document from the packaged defaults, every node located at the setting that chose it (the project
    never wrote it)."""
    from dataclasses import replace

    return PolicyDocument(tuple(replace(s, location=where, field_locations={}) for s in doc.statements), where,
                          doc.unresolved)


def _api(settings: _Settings, fn: Function) -> tuple[Api | None, list[Trigger]]:
    """The stage's REST API (unless disabled) and its HTTP triggers: the API's proxy route, a function URL."""
    out: list[Trigger] = []
    api: Api | None = None
    if settings.get("apigateway_enabled", True) is not False:
        auth = _api_auth(settings)
        api_id = f"{settings.stage}/api"
        endpoint = settings.get("endpoint_configuration")
        api = Api(id=api_id, location=settings.where, kind=TriggerKind.REST_API, name=fn.name, implicit=True,
                  stages=(Stage(settings.stage, settings.where),), default_auth=auth,
                  endpoint_type=endpoint[0] if isinstance(endpoint, list) and endpoint and isinstance(
                      endpoint[0], str) else None)
        # Zappa creates `ANY /` and `ANY /{proxy+}` with the same settings: one trigger stands for both, so a
        # problem of the stage's settings is one finding
        out.append(Trigger(id=f"{api_id} ANY /{{proxy+}}", location=auth.location, kind=TriggerKind.REST_API,
                           function=fn.id, api=api_id, method="ANY", path="/{proxy+}", auth=auth,
                           private=api.endpoint_type == "PRIVATE", takes_input=True))
    if settings.get("function_url_enabled") is True:
        config = settings.get("function_url_config")
        authorizer = config.get("authorizer", "NONE") if isinstance(config, Mapping) else "NONE"
        where = settings.loc("function_url_enabled")
        auth = Auth(AuthType.IAM, where) if authorizer == "AWS_IAM" else \
            Auth(AuthType.NONE, where, detail="function_url_config.authorizer NONE (Zappa's default)")
        out.append(Trigger(id=f"{settings.stage}/url", location=where, kind=TriggerKind.FUNCTION_URL,
                           function=fn.id, auth=auth))
    return api, out


def _api_auth(settings: _Settings) -> Auth:
    api_key = settings.get("api_key_required") is True
    if settings.get("iam_authorization") is True:
        return Auth(AuthType.IAM, settings.loc("iam_authorization"), api_key_required=api_key,
                    detail="iam_authorization: true")
    authorizer = settings.get("authorizer")
    if isinstance(authorizer, Mapping):
        kind = authorizer.get("type")
        where = settings.loc("authorizer")
        if isinstance(kind, str) and kind.upper() == "COGNITO_USER_POOLS":
            return Auth(AuthType.COGNITO, where, api_key_required=api_key, detail="authorizer type COGNITO_USER_POOLS")
        target = authorizer.get("function") or authorizer.get("arn")
        return Auth(AuthType.LAMBDA, where, authorizer=target if isinstance(target, str) else None,
                    api_key_required=api_key, detail="Zappa authorizer")
    where = settings.loc("api_key_required") if api_key else settings.where
    return Auth(AuthType.NONE, where, api_key_required=api_key,
                detail="no iam_authorization or authorizer in the Zappa settings")


def _events(settings: _Settings, fn: Function) -> list[Trigger]:
    events = settings.get("events")
    if not isinstance(events, list):
        return []
    out: list[Trigger] = []
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            continue
        where = events.item_loc(index, fn.id) if isinstance(events, LocatedList) else settings.loc("events")
        target = _text(event.get("function")) or f"event {index}"
        expression = event.get("expression")
        source = event.get("event_source")
        if isinstance(expression, str):
            out.append(Trigger(id=f"{fn.id}/events/{index}", location=where, kind=TriggerKind.SCHEDULE,
                               function=fn.id, source=expression))
        elif isinstance(source, Mapping):
            arn = _text(source.get("arn"))
            service = arn.split(":")[2] if arn is not None and arn.count(":") >= 2 else None
            kind = _EVENT_KINDS.get(service or "", TriggerKind.OTHER)
            if kind is TriggerKind.DYNAMODB_STREAM and arn is not None and "/stream/" not in arn:
                kind = TriggerKind.OTHER
            out.append(Trigger(id=f"{fn.id}/events/{index}", location=where, kind=kind, function=fn.id,
                               source=arn if arn is not None else Unknown(f"event source of {target} has no arn",
                                                                          where)))
    return out
