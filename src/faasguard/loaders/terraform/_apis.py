"""API Gateway REST (v1) and HTTP (v2) APIs: routes, integrations, stages and the auth each route ends with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._instances import (
    _as_str,
    _as_text,
    _Res,
)
from faasguard.loaders.terraform._loader import _Entry, _SyntheticHttpApi
from faasguard.loaders.terraform._policies import (
    _as_list,
    _key_loc,
    _strings,
    map_cors,
    policy_document,
)
from faasguard.model import (
    Api,
    Auth,
    AuthType,
    Cors,
    EnvVar,
    Location,
    PolicyDocument,
    Stage,
    Trigger,
    TriggerKind,
    Unknown,
)


def _rest_apis(b: _Builder) -> None:
    authorizers: dict[str, tuple[AuthType, str]] = {}
    for entry in b.entries["aws_api_gateway_authorizer"]:
        rtype = entry.res.text("type") or "TOKEN"
        kind = AuthType.COGNITO if rtype == "COGNITO_USER_POOLS" else (
            AuthType.LAMBDA if rtype in ("TOKEN", "REQUEST") else AuthType.UNKNOWN)
        authorizers[entry.res.address] = (kind, entry.res.address)
    resources = {e.res.address: e.res for e in b.entries["aws_api_gateway_resource"]}
    stages: dict[str, list[Stage]] = defaultdict(list)
    waf_targets: set[str] = set()
    waf_unknown = False
    for rtype in ("aws_wafv2_web_acl_association", "aws_wafregional_web_acl_association"):
        for entry in b.entries[rtype]:
            target = b.ref_of(entry.res.get("resource_arn"), "aws_api_gateway_stage")
            if target is not None:
                waf_targets.add(target)
            elif "apigateway" in str(entry.res.get("resource_arn")) or isinstance(
                    entry.res.get("resource_arn"), Unknown):
                waf_unknown = True
    for entry in b.entries["aws_api_gateway_stage"]:
        res = entry.res
        api = b.ref_of(res.get("rest_api_id"), "aws_api_gateway_rest_api")
        logs = res.first_block("access_log_settings")
        name = res.text("stage_name")
        waf: bool | Unknown = res.address in waf_targets or (
            Unknown("a WAF association targets a stage not known statically") if waf_unknown else False)
        stages[api or ""].append(Stage(
            name if isinstance(name, str) else res.address, res.location,
            access_logging=logs is not None, waf=waf, id=res.address,
            field_locations={"access_logging": logs.location if logs else res.location},
            variables=_stage_variables(b, entry, "variables")))
    for entry in b.entries["aws_api_gateway_deployment"]:
        res = entry.res
        if res.has("stage_name"):
            api = b.ref_of(res.get("rest_api_id"), "aws_api_gateway_rest_api")
            name = res.text("stage_name")
            stages[api or ""].append(Stage(name if isinstance(name, str) else res.address, res.location,
                                           access_logging=False, waf=False, id=res.address,
                                           variables=_stage_variables(b, entry, "variables")))
    policies: dict[str, PolicyDocument] = {}
    for entry in b.entries["aws_api_gateway_rest_api_policy"]:
        api = b.ref_of(entry.res.get("rest_api_id"), "aws_api_gateway_rest_api")
        if api:
            policies[api] = policy_document(entry.res.get("policy"), entry.res.loc("policy"))
    endpoint_types: dict[str, str | Unknown | None] = {}
    for entry in b.entries["aws_api_gateway_rest_api"]:
        res = entry.res
        endpoint = res.first_block("endpoint_configuration")
        types = endpoint.get("types") if endpoint else None
        etype = _as_text(_as_list(types)[0], endpoint.location) if endpoint and _as_list(types) else None
        endpoint_types[res.address] = etype
        if res.has("body"):
            b.loader.diag(DiagnosticKind.UNSUPPORTED, f"{res.address}: routes defined in the OpenAPI body "
                             "are not modelled; only aws_api_gateway_method resources are checked",
                             res.loc("body"))
        policy = policies.get(res.address)
        if policy is None and res.has("policy"):
            policy = policy_document(res.get("policy"), res.loc("policy"))
        b.apis[res.address] = Api(
            id=res.address, location=res.location, kind=TriggerKind.REST_API, name=res.text("name"),
            stages=tuple(stages.get(res.address, ())), endpoint_type=etype, resource_policy=policy,
            field_locations={"endpoint_type": endpoint.location} if endpoint else {})
    integrations: dict[tuple[str, str], _Res] = {}
    by_method: dict[str, _Res] = {}
    for entry in b.entries["aws_api_gateway_integration"]:
        res = entry.res
        method_ref = b.ref_of(res.get("http_method"), "aws_api_gateway_method")
        resource_key = _resource_key(b, res.get("resource_id"))
        method = method_ref or str(res.get("http_method"))
        integrations[(resource_key, method)] = res
        if method_ref is not None:
            # `http_method = aws_api_gateway_method.m.http_method` names the method whatever spelling its
            # resource_id uses (often `aws_api_gateway_method.m.resource_id`)
            by_method.setdefault(method_ref, res)
    for entry in b.entries["aws_api_gateway_method"]:
        res = entry.res
        http_method = res.text("http_method")
        resource_key = _resource_key(b, res.get("resource_id"))
        fid = _method_backend(b, by_method.get(res.address) or integrations.get(
            (resource_key, res.address), integrations.get((resource_key, str(http_method)))))
        if fid is None:
            continue  # MOCK: API Gateway answers itself (CORS preflights), as the CloudFormation loader skips
        api = b.ref_of(res.get("rest_api_id"), "aws_api_gateway_rest_api")
        path = _resource_path(b, resource_key, resources, 0)
        authorization = res.text("authorization")
        api_key = res.flag("api_key_required") is True
        authorizer = b.ref_of(res.get("authorizer_id"), "aws_api_gateway_authorizer")
        auth = _rest_auth(authorization, api_key, authorizers.get(authorizer or ""), res.loc("authorization"))
        validator = res.get("request_validator_id")
        models = res.get("request_models")
        validation: bool | Unknown = bool(validator) or bool(models)
        if isinstance(validator, Unknown) and not models:
            validation = validator
        params = res.get("request_parameters")
        takes_input: bool | Unknown | None = None
        if isinstance(http_method, str):
            # A path parameter (`/person/{id}`) is input too, as in the CloudFormation loader.
            takes_input = http_method.upper() in ("POST", "PUT", "PATCH", "ANY") or bool(
                isinstance(params, dict) and params) or (isinstance(path, str) and "{" in path)
        b.triggers.append(Trigger(
            id=res.address, location=res.location,
            field_locations={"auth": res.loc("authorization"), "method": res.loc("http_method"),
                             "request_validation": res.loc("request_validator_id")},
            kind=TriggerKind.REST_API, function=fid, api=api,
            method=http_method if isinstance(http_method, str) else None, path=path, auth=auth,
            request_validation=validation, takes_input=takes_input,
            private=endpoint_types.get(api or "") == "PRIVATE"))


def _method_backend(b: _Builder, integration: _Res | None) -> str | Unknown | None:
    """The function behind a REST method, Unknown for another backend, None for a MOCK integration.

    A method with no `aws_api_gateway_integration` here is wired outside this configuration (another module,
    a `local-exec` running `aws apigateway put-integration`): it is still deployed and open, only its backend
    is unknown -- as the CloudFormation loader keeps a method without `Integration`."""
    if integration is None:
        return Unknown("no aws_api_gateway_integration for this method in the configuration")
    return _integration_target(b, integration.get("type"), integration.get("uri"))


def _stage_variables(b: _Builder, entry: _Entry, attribute: str) -> tuple[EnvVar, ...]:
    """A stage's variables as located name/value pairs, built like a function's environment so FG209 and FG201
    judge them with one classifier."""
    from faasguard.loaders.terraform._functions import _environment

    res = entry.res
    if not res.has(attribute):
        return ()
    return tuple(v for v in _environment(b, res.get(attribute), res.loc(attribute), entry.inst)
                 if v.name != "*")


def cors_settings(block: _Res | None) -> Cors | None:
    """`cors_configuration` (API Gateway v2) / `cors` (function URL): `allow_origins` and `allow_credentials`,
    located at the attributes that set them."""
    if block is None:
        return None
    raw = block.get("allow_origins")
    origins: tuple[str | Unknown, ...] | Unknown = raw if isinstance(raw, Unknown) else tuple(_strings(raw))
    return Cors(block.loc("allow_origins") if block.has("allow_origins") else block.location, origins,
                block.flag("allow_credentials"),
                block.loc("allow_credentials") if block.has("allow_credentials") else None)


def _integration_target(b: _Builder, itype: Any, uri: Any, subtype: Any = None) -> str | Unknown | None:
    """The function an API integration invokes, Unknown saying so when the backend is not a Lambda function
    (an HTTP endpoint, an AWS service), None for a MOCK integration.

    Why keep the non-Lambda routes: a route with no authorizer is open whatever its backend (FG301), and
    the CloudFormation loader keeps them the same way; rules that need the function skip an Unknown one."""
    kind = itype.strip().upper() if isinstance(itype, str) else None
    if kind == "MOCK":
        return None
    what = " ".join(p for p in (kind, subtype if isinstance(subtype, str) else None,
                                uri if isinstance(uri, str) else None) if p) or "no target"
    if kind in ("HTTP", "HTTP_PROXY") or isinstance(subtype, str):
        return Unknown(f"integration is not a Lambda function: {what}"[:200])
    fid = b.function_id(uri)
    if isinstance(fid, Unknown) and not b.refs(uri) and not (isinstance(uri, str) and "lambda" in uri):
        return Unknown(f"integration is not a Lambda function: {what}"[:200])
    return fid


def _resource_key(b: _Builder, value: Any) -> str:
    address = b.ref_of(value, "aws_api_gateway_resource")
    if address is not None:
        return address
    api = b.ref_of(value, "aws_api_gateway_rest_api")
    return f"{api}/" if api else str(value)


def _resource_path(b: _Builder, key: str, resources: Mapping[str, _Res], depth: int) -> str | None:
    if key.endswith("/"):
        return "/"
    res = resources.get(key)
    if res is None or depth > 30:
        return None
    part = res.text("path_part")
    parent = _resource_path(b, _resource_key(b, res.get("parent_id")), resources, depth + 1)
    if not isinstance(part, str) or parent is None:
        return None
    return parent.rstrip("/") + "/" + part


def _http_apis(b: _Builder) -> None:
    authorizers: dict[str, AuthType] = {}
    for entry in b.entries["aws_apigatewayv2_authorizer"]:
        atype = entry.res.text("authorizer_type")
        authorizers[entry.res.address] = AuthType.JWT if atype == "JWT" else (
            AuthType.LAMBDA if atype == "REQUEST" else AuthType.UNKNOWN)
    integrations = {e.res.address: e.res for e in b.entries["aws_apigatewayv2_integration"]}
    stages: dict[str, list[Stage]] = defaultdict(list)
    for entry in b.entries["aws_apigatewayv2_stage"]:
        res = entry.res
        api = b.ref_of(res.get("api_id"), "aws_apigatewayv2_api") or ""
        logs = res.first_block("access_log_settings")
        name = res.text("name")
        stages[api].append(Stage(name if isinstance(name, str) else res.address, res.location,
                                 access_logging=logs is not None, waf=False, id=res.address,
                                 field_locations={"access_logging": logs.location if logs else res.location},
                                 variables=_stage_variables(b, entry, "stage_variables")))
    websocket: set[str] = set()
    for entry in b.entries["aws_apigatewayv2_api"]:
        res = entry.res
        protocol = res.text("protocol_type")
        if isinstance(protocol, str) and protocol.upper() == "WEBSOCKET":
            # As in the CloudFormation loader: a WebSocket API's routes are not HTTP routes (only `$connect`
            # is authorized; every later message rides the open connection)
            websocket.add(res.address)
        cors = res.first_block("cors_configuration")
        origins = tuple(_strings(cors.get("allow_origins"))) if cors else ()
        api_stages = list(stages.get(res.address, ()))
        if res.has("target"):
            api_stages.append(Stage("$default", res.loc("target"), access_logging=False, waf=False))
            fid = b.function_id(res.get("target"))
            b.triggers.append(Trigger(
                id=res.address, location=res.loc("target"), kind=TriggerKind.HTTP_API, function=fid,
                api=res.address, method="ANY", path=_as_str(res.text("route_key"), "$default"),
                auth=Auth(AuthType.NONE, res.loc("target"), detail="quick-create API target: no authorizer")))
        b.apis[res.address] = Api(
            id=res.address, location=res.location,
            kind=TriggerKind.OTHER if res.address in websocket else TriggerKind.HTTP_API, name=res.text("name"),
            stages=tuple(api_stages), cors_allow_origins=origins, cors=cors_settings(cors),
            field_locations={"cors_allow_origins": cors.location} if cors else {})
    for entry in b.entries["aws_apigatewayv2_route"]:
        res = entry.res
        target = res.get("target")
        integration = b.ref_of(target, "aws_apigatewayv2_integration")
        if integration is None or integration not in integrations:
            continue
        target_res = integrations[integration]
        route_fid = _integration_target(b, target_res.get("integration_type"),
                                             target_res.get("integration_uri"),
                                             target_res.get("integration_subtype"))
        if route_fid is None:
            continue
        route_key = res.text("route_key")
        method, path = None, None
        if isinstance(route_key, str):
            method, _, path = route_key.partition(" ")
            if not path:
                method, path = "ANY", route_key
        atype = res.text("authorization_type") or "NONE"
        route_api = b.ref_of(res.get("api_id"), "aws_apigatewayv2_api")
        authorizer = b.ref_of(res.get("authorizer_id"), "aws_apigatewayv2_authorizer")
        auth = _http_auth(atype, authorizers.get(authorizer or ""), authorizer,
                          res.flag("api_key_required") is True, res.loc("authorization_type"))
        b.triggers.append(Trigger(
            id=res.address, location=res.location,
            field_locations={"auth": res.loc("authorization_type"), "path": res.loc("route_key")},
            kind=TriggerKind.OTHER if route_api in websocket else TriggerKind.HTTP_API, function=route_fid,
            api=route_api, method=method, path=path, auth=auth,
            request_validation=None if route_api in websocket else False,
            takes_input=None if route_api in websocket or method is None else (
                method.upper() in ("POST", "PUT", "PATCH", "ANY", "$DEFAULT") or "{" in (path or ""))))


def _module_http_api(b: _Builder, module: _SyntheticHttpApi) -> None:
    """The API, stage and routes the apigateway-v2 registry module creates from its inputs, named as the
    module names them (`module.<name>.aws_apigatewayv2_route.this["GET /x"]`). Without them an application
    built on the module had no API at all: every open route and unlogged stage went unseen."""
    api_id = module.api_id
    protocol = module.value("protocol_type")
    websocket = isinstance(protocol, str) and protocol.upper() == "WEBSOCKET"
    cors_value = module.value("cors_configuration") if "cors_configuration" in module.inputs else None
    cors = map_cors(cors_value, module.loc("cors_configuration"))
    stages: list[Stage] = []
    if module.value("create_default_stage") is not False and module.value("create_stage") is not False:
        logging, where = _module_access_logging(module)
        name = module.value("stage_name")
        stages.append(Stage(name if isinstance(name, str) else "$default", module.block.location.with_id(api_id),
                            access_logging=logging, waf=False, id=f"{module.prefix}aws_apigatewayv2_stage.default",
                            field_locations={"access_logging": where}))
    b.apis[api_id] = Api(
        id=api_id, location=module.block.location.with_id(api_id),
        kind=TriggerKind.OTHER if websocket else TriggerKind.HTTP_API, name=module.value("name"),
        stages=tuple(stages), cors=cors,
        cors_allow_origins=cors.allow_origins if cors and isinstance(cors.allow_origins, tuple) else (),
        field_locations={"cors_allow_origins": cors.location} if cors else {})
    authorizers = module.value("authorizers")
    kinds: dict[str, AuthType] = {}
    if isinstance(authorizers, dict):
        for key, spec in authorizers.items():
            atype = spec.get("authorizer_type") if isinstance(spec, dict) else None
            kinds[str(key)] = AuthType.JWT if atype == "JWT" else (
                AuthType.LAMBDA if atype == "REQUEST" else AuthType.UNKNOWN)
    if module.value("create_routes_and_integrations") is False:
        return
    for attribute in ("integrations", "routes"):
        if attribute in module.inputs:
            _module_routes(b, module, attribute, kinds, websocket)


def _module_routes(b: _Builder, module: _SyntheticHttpApi, attribute: str, authorizers: Mapping[str, AuthType],
                   websocket: bool) -> None:
    routes = module.value(attribute)
    fallback = module.loc(attribute)
    if not isinstance(routes, dict):
        b.loader.diag(DiagnosticKind.UNRESOLVED, f"{module.api_id}: {attribute} not known statically; its routes "
                      "are not checked", fallback)
        return
    for route_key, spec in routes.items():
        if not isinstance(spec, dict):
            continue
        where = _key_loc(routes, str(route_key), fallback)
        # `integrations` (the module's first spelling) holds the target beside the route's settings;
        # `routes` (its later one) nests it in an `integration` map
        target = spec.get("integration") if attribute == "routes" else spec
        target = target if isinstance(target, dict) else {}
        uri = target.get("lambda_arn") or target.get("uri") or target.get("integration_uri")
        itype = target.get("integration_type", target.get("type"))
        if itype is None:
            itype = "AWS_PROXY" if uri else "MOCK"
        fid = _integration_target(b, itype, uri, target.get("integration_subtype", target.get("subtype")))
        if fid is None:
            continue
        method, _, path = str(route_key).partition(" ")
        if not path:
            method, path = "ANY", str(route_key)
        auth_loc = _key_loc(spec, "authorization_type", where)
        named = spec.get("authorizer_key")
        authorizer = f'{module.prefix}aws_apigatewayv2_authorizer.this["{named}"]' if isinstance(named, str) \
            else None
        if "authorization_type" in spec:
            atype = spec["authorization_type"]
            auth = _http_auth(atype if isinstance(atype, (str, Unknown)) else Unknown("authorization_type is not a "
                                                                                      "string", auth_loc),
                              authorizers.get(named) if isinstance(named, str) else None, authorizer,
                              spec.get("api_key_required") is True, auth_loc)
        elif named is not None or spec.get("authorizer_id") is not None:
            # an authorizer named without a type: what the module's version makes of it is not certain
            auth = Auth(AuthType.UNKNOWN, auth_loc, authorizer=authorizer,
                        detail="an authorizer is named but authorization_type is not set")
        else:
            auth = _http_auth("NONE", None, None, spec.get("api_key_required") is True, where)
        b.triggers.append(Trigger(
            id=f'{module.prefix}aws_apigatewayv2_route.this["{route_key}"]', location=where,
            field_locations={"auth": auth_loc, "path": where},
            kind=TriggerKind.OTHER if websocket else TriggerKind.HTTP_API, function=fid,
            api=module.api_id, method=method, path=path, auth=auth,
            request_validation=None if websocket else False,
            takes_input=None if websocket else (
                method.upper() in ("POST", "PUT", "PATCH", "ANY", "$DEFAULT") or "{" in path)))


def _module_access_logging(module: _SyntheticHttpApi) -> tuple[bool | Unknown, Location]:
    """Whether the module's stage logs access: `stage_access_log_settings` with a log group it creates or a
    destination, or (its first spelling) both `default_stage_access_log_destination_arn` and `_format`."""
    if "stage_access_log_settings" in module.inputs:
        where = module.loc("stage_access_log_settings")
        settings = module.value("stage_access_log_settings")
        if isinstance(settings, Unknown):
            return settings, where
        if isinstance(settings, dict):
            create, destination = settings.get("create_log_group"), settings.get("destination_arn")
            if isinstance(create, Unknown) or isinstance(destination, Unknown):
                return Unknown("stage_access_log_settings not known statically", where), where
            return create is True or destination is not None, where
    keys = ("default_stage_access_log_destination_arn", "default_stage_access_log_format")
    if all(key in module.inputs for key in keys):
        where = module.loc(keys[0])
        values = [module.value(key) for key in keys]
        unknown = next((v for v in values if isinstance(v, Unknown)), None)
        return (unknown, where) if unknown is not None else (all(v is not None for v in values), where)
    return False, module.block.location.with_id(module.api_id)


def _rest_auth(authorization: str | Unknown | None, api_key: bool, authorizer: tuple[AuthType, str] | None,
               location: Location) -> Auth:
    if isinstance(authorization, Unknown) or authorization is None:
        detail = authorization.reason if isinstance(authorization, Unknown) else "authorization not set"
        return Auth(AuthType.UNKNOWN, location, api_key_required=api_key, detail=detail)
    upper = authorization.upper()
    if upper == "NONE":
        if api_key:
            return Auth(AuthType.API_KEY, location, api_key_required=True,
                        detail="authorization NONE, API key required")
        return Auth(AuthType.NONE, location, detail="authorization = NONE")
    if upper == "AWS_IAM":
        return Auth(AuthType.IAM, location, api_key_required=api_key)
    kind = AuthType.COGNITO if upper == "COGNITO_USER_POOLS" else AuthType.LAMBDA if upper == "CUSTOM" \
        else AuthType.UNKNOWN
    if authorizer is not None and kind is AuthType.LAMBDA:
        kind = authorizer[0]
    return Auth(kind, location, authorizer=authorizer[1] if authorizer else None, api_key_required=api_key)


def _http_auth(atype: str | Unknown, authorizer_kind: AuthType | None, authorizer: str | None, api_key: bool,
               location: Location) -> Auth:
    if isinstance(atype, Unknown):
        return Auth(AuthType.UNKNOWN, location, detail=atype.reason)
    upper = atype.upper()
    if upper == "NONE":
        if api_key:
            return Auth(AuthType.API_KEY, location, api_key_required=True)
        return Auth(AuthType.NONE, location, detail="authorization_type = NONE")
    if upper == "AWS_IAM":
        return Auth(AuthType.IAM, location)
    if upper == "JWT":
        return Auth(AuthType.JWT, location, authorizer=authorizer)
    if upper == "CUSTOM":
        return Auth(authorizer_kind or AuthType.LAMBDA, location, authorizer=authorizer)
    return Auth(AuthType.UNKNOWN, location, detail=f"authorization_type {atype!r}")
