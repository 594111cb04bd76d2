"""AWS Chalice (`.chalice/config.json` + the project's `app.py`) → one `Application(source=CHALICE)` per project,
the Lambda functions each stage deploys.

What `chalice deploy` creates, read from the config and the decorators in `app.py` (parsed, never executed):

* Per stage (`stages.<name>`, top-level keys as defaults, `stages.<name>.lambda_functions.<fn>` per function):
  an API handler `<app_name>-<stage>` serving every `@app.route` when there is one (its code entry point is
  the `Chalice` object, so each route is analysed as reached through it), and one function
  `<app_name>-<stage>-<name>` per `@app.lambda_function`, `@app.authorizer`, `@app.schedule`,
  `@app.on_s3_event`, `@app.on_sqs_message`, `@app.on_sns_message`, `@app.on_cw_event`,
  `@app.on_dynamodb_record` and `@app.on_kinesis_record` (`name=` or the function's name). Defaults:
  `lambda_timeout` 60, `lambda_memory_size` 128; the runtime follows the deploying Python (Unknown).
* Roles: `manage_iam_role: false` uses `iam_role_arn` (external). Otherwise one role per stage, shared by its
  functions (Chalice's default) unless a function has its own `iam_policy_file`/`iam_role_arn`. With
  `autogen_policy` (the default) its policy is what Chalice generates from `app.py`: CloudWatch Logs plus every
  AWS API the module calls through `boto3.client(...)`, allowed on `Resource: "*"`, located at the calls that
  caused them; with `autogen_policy: false` it is the `iam_policy_file` (default `.chalice/policy-<stage>.json`).
* Triggers: each route and method is a REST API method with its `authorizer=` (an `@app.authorizer` function
  or `CustomAuthorizer` → LAMBDA, `CognitoUserPoolAuthorizer` → COGNITO, `IAMAuthorizer` → IAM) and
  `api_key_required`; event decorators are S3/SQS/SNS/EventBridge/schedule/stream triggers, located at the
  decorator. Blueprints registered from other modules are reached by the code analysis, but their routes are
  not read here (their triggers are unknown, not absent).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._policy_json import document_file
from faasguard.loaders._yaml import LocatedDict, ParseError, parse_json_text, read_text
from faasguard.model import (
    Api,
    Application,
    Auth,
    AuthType,
    CodeLocation,
    EnvVar,
    Function,
    Location,
    Policy,
    PolicyDocument,
    PolicyKind,
    Role,
    SourceKind,
    Stage,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
    VpcConfig,
)

COMPONENT = "chalice loader"
DEFAULT_TIMEOUT = 60
DEFAULT_MEMORY = 128
_EVENTS = {
    "on_s3_event": (TriggerKind.S3, "bucket"), "on_sqs_message": (TriggerKind.SQS, "queue"),
    "on_sns_message": (TriggerKind.SNS, "topic"), "on_cw_event": (TriggerKind.EVENTBRIDGE, "event_pattern"),
    "on_dynamodb_record": (TriggerKind.DYNAMODB_STREAM, "stream_arn"),
    "on_kinesis_record": (TriggerKind.KINESIS, "stream"), "schedule": (TriggerKind.SCHEDULE, "expression"),
}
_STANDALONE = frozenset({*_EVENTS, "lambda_function", "authorizer"})
_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


@dataclass
class _Entry:
    """One decorated function of `app.py`."""

    function: str
    decorator: str
    call: ast.Call | None
    line: int
    column: int

    def kwarg(self, name: str, position: int | None = None) -> ast.expr | None:
        if self.call is None:
            return None
        for keyword in self.call.keywords:
            if keyword.arg == name:
                return keyword.value
        if position is not None and len(self.call.args) > position:
            return self.call.args[position]
        return None

    def text(self, name: str, position: int | None = None) -> str | None:
        value = self.kwarg(name, position)
        return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


@dataclass
class _Module:
    display: str
    app_var: str | None = None
    entries: list[_Entry] = field(default_factory=list)
    authorizers: dict[str, tuple[AuthType, str]] = field(default_factory=dict)
    """Name bound at module level → (auth type, what it is)."""
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    """(IAM action, line, column) of every AWS API call through a `boto3.client(...)`."""


def _parse_app(path: Path, display: str) -> _Module:
    tree = ast.parse(read_text(path, display), filename=display)
    module = _Module(display)
    _bind_module_objects(tree, module)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            func = call.func if call is not None else decorator
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and func.value.id == module.app_var and (func.attr == "route" or func.attr in _STANDALONE):
                module.entries.append(_Entry(node.name, func.attr, call, decorator.lineno, decorator.col_offset + 1))
                if func.attr == "authorizer":
                    module.authorizers[node.name] = (AuthType.LAMBDA, f"@{module.app_var}.authorizer {node.name}")
    _sdk_calls(tree, module)
    return module


_AUTHORIZER_CLASSES = {"IAMAuthorizer": AuthType.IAM, "CognitoUserPoolAuthorizer": AuthType.COGNITO,
                       "CustomAuthorizer": AuthType.LAMBDA}


def _bind_module_objects(tree: ast.Module, module: _Module) -> None:
    """The module-level `Chalice(...)` app and the authorizer objects routes name."""
    chalice_names = {"Chalice", "chalice.Chalice"}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in ("chalice", "chalice.app"):
            chalice_names.update(alias.asname or alias.name for alias in node.names if alias.name == "Chalice")
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)):
            continue
        callee = _name(node.value.func)
        target = node.targets[0].id
        if callee in chalice_names:
            module.app_var = target
        elif callee is not None and callee.rsplit(".", 1)[-1] in _AUTHORIZER_CLASSES:
            kind = callee.rsplit(".", 1)[-1]
            module.authorizers[target] = (_AUTHORIZER_CLASSES[kind], kind)


def _sdk_calls(tree: ast.Module, module: _Module) -> None:
    """The IAM actions of the calls made through `boto3.client("service")` objects anywhere in the module, as
    Chalice's policy generator finds them."""
    clients: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call) and _name(node.value.func) in ("boto3.client", "client"):
            service = node.value.args[0] if node.value.args else None
            if isinstance(service, ast.Constant) and isinstance(service.value, str):
                clients[node.targets[0].id] = service.value
    if not clients:
        return
    from faasguard.analysis.iam.boto_map import actions_for

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in clients:
            for action in actions_for(clients[node.func.value.id], node.func.attr, None) or ():
                module.calls.append((action, node.lineno, node.col_offset + 1))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


class _Config:
    """One stage's settings: stage keys over top-level keys, a function's `lambda_functions` entry over both."""

    def __init__(self, top: Mapping[str, Any], stage: Mapping[str, Any], display: str, where: Location) -> None:
        self.layers: list[Mapping[str, Any]] = [stage, top]
        self.display = display
        self.where = where

    def for_function(self, name: str) -> _Config:
        overrides = self.layers[0].get("lambda_functions")
        own = overrides.get(name) if isinstance(overrides, Mapping) else None
        child = _Config({}, {}, self.display, self.where)
        child.layers = [own, *self.layers] if isinstance(own, Mapping) else list(self.layers)
        return child

    def get(self, key: str, default: Any = None) -> Any:
        for layer in self.layers:
            if key in layer:
                return layer[key]
        return default

    def loc(self, key: str) -> Location:
        for layer in self.layers:
            if key in layer:
                return layer.key_loc(key) if isinstance(layer, LocatedDict) else self.where
        return self.where

    def own(self, key: str) -> bool:
        """Set for this function itself (not inherited from the stage)."""
        return len(self.layers) > 2 and key in self.layers[0]


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        try:
            config = parse_json_text(read_text(source.path, source.display), source.display)
        except ParseError as exc:
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                 DiagnosticLevel.ERROR, COMPONENT))
            continue
        if not isinstance(config, Mapping):
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, "Chalice config is not a mapping",
                                                 Location(source.display), DiagnosticLevel.ERROR, COMPONENT))
            continue
        project = source.path.parent.parent
        app_path = project / "app.py"
        app_display = ctx.display(app_path)
        if not app_path.is_file():
            result.diagnostics.append(Diagnostic(
                DiagnosticKind.UNRESOLVED, f"Chalice project {ctx.display(project)} has no app.py; its functions "
                "are not known", Location(source.display), DiagnosticLevel.WARNING, COMPONENT))
            continue
        try:
            module = _parse_app(app_path, app_display)
        except (SyntaxError, ValueError, RecursionError, ParseError) as exc:
            result.diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, f"app.py of the Chalice project cannot be parsed: {exc}",
                Location(app_display), DiagnosticLevel.ERROR, COMPONENT))
            continue
        result.apps.append(_application(source, config, module, project=project, app_path=app_path, ctx=ctx))
    return result


def _application(source: SourceFile, config: Mapping[str, Any], module: _Module, *, project: Path,
                 app_path: Path, ctx: LoadContext) -> Application:
    app_name = config.get("app_name") if isinstance(config.get("app_name"), str) else project.name
    stages = config.get("stages")
    stage_items = list(stages.items()) if isinstance(stages, Mapping) and stages else [("dev", {})]
    functions: list[Function] = []
    roles: dict[str, Role] = {}
    triggers: list[Trigger] = []
    apis: list[Api] = []
    files = [source.display, module.display]
    for stage, block in stage_items:
        if not isinstance(block, Mapping):
            continue
        where = stages.key_loc(stage, stage) if isinstance(stages, LocatedDict) else Location(source.display)
        settings = _Config(config, block, source.display, where)
        shared = _Env(module, project, ctx, files, str(stage))
        stage_role = _role(settings, f"{stage}/role", f"{app_name}-{stage}", shared)
        if stage_role is not None:
            roles.setdefault(stage_role.id, stage_role)
        routes = [e for e in module.entries if e.decorator == "route"]
        if routes and module.app_var is not None:
            fn_id = f"{stage}/api_handler"
            fn_settings = settings.for_function("api_handler")
            role = _own_role(fn_settings, fn_id, f"{app_name}-{stage}", shared)
            if role is not None:
                roles.setdefault(role.id, role)
            functions.append(_function(fn_id, f"{app_name}-{stage}", fn_settings, handler_function=module.app_var,
                                       app_path=app_path, project=project, role=role or stage_role, where=where))
            api_id = f"{stage}/api"
            endpoint = settings.get("api_gateway_endpoint_type")
            apis.append(Api(id=api_id, location=where, kind=TriggerKind.REST_API, name=app_name, implicit=True,
                            stages=(Stage(str(settings.get("api_gateway_stage", "api")), where),),
                            endpoint_type=endpoint if isinstance(endpoint, str) else None))
            for entry in routes:
                triggers.extend(_routes(entry, module, fn_id, api_id, endpoint == "PRIVATE"))
        for entry in module.entries:
            if entry.decorator == "route":
                continue
            name = entry.text("name") or entry.function
            fn_id = f"{stage}/{name}"
            fn_settings = settings.for_function(name)
            role = _own_role(fn_settings, fn_id, f"{app_name}-{stage}-{name}", shared)
            if role is not None:
                roles.setdefault(role.id, role)
            location = Location(module.display, entry.line, entry.column, logical_id=fn_id)
            functions.append(_function(fn_id, f"{app_name}-{stage}-{name}", fn_settings,
                                       handler_function=entry.function, app_path=app_path, project=project,
                                       role=role or stage_role, where=location))
            trigger = _event(entry, fn_id, location)
            if trigger is not None:
                triggers.append(trigger)
    return Application(name=ctx.display(project), source=SourceKind.CHALICE, root=str(project),
                       files=tuple(dict.fromkeys(files)), functions=tuple(functions), roles=tuple(roles.values()),
                       triggers=tuple(triggers), apis=tuple(apis))


def _function(fn_id: str, name: str, settings: _Config, *, handler_function: str, app_path: Path, project: Path,
              role: Role | None, where: Location) -> Function:
    fields: dict[str, Location] = {}
    for model, key in (("timeout", "lambda_timeout"), ("memory_size", "lambda_memory_size"),
                       ("environment", "environment_variables"), ("reserved_concurrency", "reserved_concurrency"),
                       ("tracing", "xray"), ("vpc", "subnet_ids"), ("layers", "layers")):
        if settings.get(key) is not None:
            fields[model] = settings.loc(key)
    if role is not None:
        fields["role"] = role.location
    environment: list[EnvVar] = []
    variables: dict[str, tuple[Any, Location]] = {}
    for layer in reversed(settings.layers):  # function over stage over top level
        env = layer.get("environment_variables")
        if isinstance(env, Mapping):
            for key, value in env.items():
                variables[str(key)] = (value, env.key_loc(str(key), fn_id) if isinstance(env, LocatedDict)
                                       else settings.where)
    for key, (value, loc) in variables.items():
        environment.append(EnvVar(key, value if isinstance(value, str) else str(value), loc))
    subnets = settings.get("subnet_ids")
    groups = settings.get("security_group_ids")
    vpc = VpcConfig(settings.loc("subnet_ids"), tuple(s for s in subnets if isinstance(s, str)),
                    tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else ()) \
        if isinstance(subnets, list) and subnets else None
    timeout = settings.get("lambda_timeout")
    memory = settings.get("lambda_memory_size", DEFAULT_MEMORY)
    concurrency = settings.get("reserved_concurrency")
    layers = settings.get("layers")
    return Function(
        id=fn_id, location=where.with_id(fn_id), field_locations=fields, name=name,
        runtime=Unknown("Chalice takes the runtime from the Python version that deploys it", where),
        handler=f"app.{handler_function}", code=CodeLocation(str(project), str(app_path), handler_function,
                                                             handler=f"app.{handler_function}"),
        timeout=timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else None,
        timeout_default=DEFAULT_TIMEOUT, memory_size=memory if isinstance(memory, int) else None,
        role=role.id if role is not None else None, environment=tuple(environment),
        layers=tuple(x for x in layers if isinstance(x, str)) if isinstance(layers, list) else (), vpc=vpc,
        reserved_concurrency=concurrency if isinstance(concurrency, int) else None,
        tracing="Active" if settings.get("xray") is True else None)


@dataclass
class _Env:
    """What building a role needs besides the settings: the app module, the project, and the files read."""

    module: _Module
    project: Path
    ctx: LoadContext
    files: list[str]
    stage: str


def _own_role(settings: _Config, fn_id: str, name: str, env: _Env) -> Role | None:
    """A role of the function's own, when its `lambda_functions` entry names one."""
    if not any(settings.own(key) for key in ("iam_role_arn", "iam_policy_file", "autogen_policy",
                                             "manage_iam_role")):
        return None
    return _role(settings, f"{fn_id}/role", name, env)


def _role(settings: _Config, role_id: str, name: str, env: _Env) -> Role | None:
    if settings.get("manage_iam_role", True) is False:
        arn = settings.get("iam_role_arn")
        if not isinstance(arn, str):
            return None
        return Role(id=arn, location=settings.loc("iam_role_arn"), name=arn.rsplit("/", 1)[-1], arn=arn,
                    external=True)
    where = settings.where.with_id(role_id)
    if settings.get("autogen_policy", True) is False or (
            settings.get("iam_policy_file") is not None and settings.get("autogen_policy") is None):
        file_name = settings.get("iam_policy_file", f"policy-{env.stage}.json")
        file_where = settings.loc("iam_policy_file") if settings.get("iam_policy_file") else \
            settings.loc("autogen_policy")
        path = env.project / ".chalice" / str(file_name)
        if env.ctx.inside_roots(path) and path.is_file():
            display = env.ctx.display(path)
            env.files.append(display)
            doc = document_file(path, display, file_where.with_id(role_id))
        else:
            doc = PolicyDocument((), file_where, Unknown(f".chalice/{file_name} is not in the scanned project",
                                                         file_where))
        policy = Policy(str(file_name), PolicyKind.INLINE, file_where, doc)
    else:
        policy = Policy("autogenerated by Chalice from app.py", PolicyKind.INLINE, where,
                        _autogen(env.module, where))
    return Role(id=role_id, location=where, name=name, policies=(policy,))


def _autogen(module: _Module, where: Location) -> PolicyDocument:
    """The policy `chalice deploy` generates: logs, plus each AWS API app.py calls, on `*`."""
    logs = Statement("Allow", where, actions=_LOGS, resources=("arn:*:logs:*:*:*",))
    found: list[Statement] = [logs]
    seen: set[str] = set()
    for action, line, column in module.calls:
        if action in seen:
            continue
        seen.add(action)
        found.append(Statement("Allow", Location(module.display, line, column, logical_id=where.logical_id),
                               actions=(action,), resources=("*",)))
    return PolicyDocument(tuple(found), where)


def _routes(entry: _Entry, module: _Module, fn_id: str, api_id: str, private: bool) -> list[Trigger]:
    path = entry.text("path", 0) or "/"
    methods_node = entry.kwarg("methods")
    methods: list[str] = []
    if isinstance(methods_node, ast.List | ast.Tuple):
        methods = [m.value for m in methods_node.elts if isinstance(m, ast.Constant) and isinstance(m.value, str)]
    location = Location(module.display, entry.line, entry.column, logical_id=fn_id)
    auth = _route_auth(entry, module, location)
    out = []
    for method in methods or ["GET"]:
        out.append(Trigger(id=f"{api_id} {method.upper()} {path}", location=location, kind=TriggerKind.REST_API,
                           function=fn_id, api=api_id, method=method.upper(), path=path, auth=auth, private=private,
                           takes_input=method.upper() in ("POST", "PUT", "PATCH") or "{" in path))
    return out


def _route_auth(entry: _Entry, module: _Module, location: Location) -> Auth:
    api_key = isinstance(entry.kwarg("api_key_required"), ast.Constant) and \
        entry.kwarg("api_key_required").value is True  # type: ignore[union-attr]
    node = entry.kwarg("authorizer")
    if node is None:
        return Auth(AuthType.NONE, location, api_key_required=api_key, detail="no authorizer= on the route")
    name = _name(node.func) if isinstance(node, ast.Call) else _name(node)
    if name is not None and name in module.authorizers:
        kind, what = module.authorizers[name]
        return Auth(kind, location, authorizer=name, api_key_required=api_key, detail=what)
    if name is not None:
        for suffix, kind in (("IAMAuthorizer", AuthType.IAM), ("CognitoUserPoolAuthorizer", AuthType.COGNITO),
                             ("CustomAuthorizer", AuthType.LAMBDA)):
            if name.endswith(suffix):
                return Auth(kind, location, authorizer=name, api_key_required=api_key, detail=suffix)
    return Auth(AuthType.UNKNOWN, location, authorizer=name, api_key_required=api_key,
                detail="authorizer not resolved in app.py")


def _event(entry: _Entry, fn_id: str, location: Location) -> Trigger | None:
    if entry.decorator not in _EVENTS:
        return None
    kind, attr = _EVENTS[entry.decorator]
    source: str | Unknown | None = entry.text(attr, 0)
    if source is None:
        source = Unknown(f"{attr} of @{entry.decorator} is not a literal", location)
    return Trigger(id=f"{fn_id}/{entry.decorator}", location=location, kind=kind, function=fn_id, source=source)
