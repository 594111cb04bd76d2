"""API Gateway REST and HTTP APIs (SAM and plain), stages, routes and the auth each route ends with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from faasguard.loaders.cloudformation._core import (
    _ApiInfo,
    _as_bool,
    _as_str,
    _Builder,
    _dig,
    _key_loc,
    _strings,
)
from faasguard.loaders.cloudformation._iam import (
    _document,
)
from faasguard.loaders.cloudformation._secrets import _secret_attribute
from faasguard.loaders.intrinsics import is_symbolic, references
from faasguard.model import (
    Api,
    Auth,
    AuthType,
    Cors,
    EnvVar,
    Location,
    Stage,
    Trigger,
    TriggerKind,
    Unknown,
)

_API_TYPES = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGateway::RestApi",
              "AWS::ApiGatewayV2::Api")


def _api_info(b: _Builder, api_id: str, kind: TriggerKind, where: Location) -> _ApiInfo:
    info = b.apis.get(api_id)
    if info is not None:
        return info
    implicit = api_id in ("ServerlessRestApi", "ServerlessHttpApi")
    info = _ApiInfo(api_id, kind, Location(where.path, where.line, where.column, logical_id=api_id),
                    implicit=implicit)
    if implicit:
        section = b.globals.get("Api" if kind is TriggerKind.REST_API else "HttpApi")
        props = b.resolver.resolve(section, where) if isinstance(section, dict) else {}
        _fill_api(b, info, props if isinstance(props, dict) else {}, where, kind)
        if kind is TriggerKind.REST_API:
            stage = "Prod"
            stage_where = _key_loc(props, "StageName", info.location) if isinstance(props, dict) else info.location
            info.stages.append(_sam_stage(b, f"{api_id}{stage}Stage", api_id, stage, props
                                               if isinstance(props, dict) else {}, where=stage_where))
        else:
            stage_name = "$default"
            info.stages.append(_sam_stage(b, f"{api_id}ApiGatewayDefaultStage", api_id, stage_name,
                                               props if isinstance(props, dict) else {}, where=info.location))
    b.apis[api_id] = info
    return info


def _sam_api(b: _Builder, logical_id: str, kind: TriggerKind) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    info = _ApiInfo(logical_id, kind, where, name=_as_str(props.get("Name"), where))
    _fill_api(b, info, props, where, kind)
    stage_name = props.get("StageName")
    if kind is TriggerKind.HTTP_API and stage_name is None:
        stage_id, name = f"{logical_id}ApiGatewayDefaultStage", "$default"
    else:
        name = stage_name if isinstance(stage_name, str) else "<unresolved>"
        stage_id = f"{logical_id}{re.sub(r'[^A-Za-z0-9]', '', name)}Stage"
    info.stages.append(_sam_stage(b, stage_id, logical_id, name, props,
                                       where=_key_loc(props, "StageName", where)))
    b.apis[logical_id] = info


def _sam_stage(b: _Builder, stage_id: str, api_id: str, name: str, props: Mapping[str, Any], *,
               where: Location) -> Stage:
    key = "AccessLogSetting" if "AccessLogSetting" in props else "AccessLogSettings"
    setting = props.get(key)
    access: bool | Unknown = False
    fields: dict[str, Location] = {}
    if isinstance(setting, dict):
        destination = setting.get("DestinationArn")
        access = isinstance(destination, str) or (isinstance(destination, Unknown) and destination)
        if isinstance(destination, Unknown):
            access = destination
        fields["access_logging"] = _key_loc(props, key, where)
    elif isinstance(setting, Unknown):
        access = setting
        fields["access_logging"] = _key_loc(props, key, where)
    waf_where = b._waf.get(stage_id) or b._waf.get(api_id)
    if waf_where is not None:
        fields["waf"] = waf_where
    location = Location(where.path, where.line, where.column, logical_id=stage_id,
                        construct_path=where.construct_path)
    variables_key = "StageVariables" if "StageVariables" in props else "Variables"
    variables = _stage_variables(b, props, b.raw_props(api_id) if api_id in b.raw else None, variables_key,
                                 location)
    return Stage(name, location, access, waf_where is not None, stage_id, fields, variables)


def _stage_variables(b: _Builder, settings: Mapping[str, Any], raw_settings: Any, key: str,
                     where: Location) -> tuple[EnvVar, ...]:
    """Stage variables as located name/value pairs (`Variables` of a REST stage or SAM Api, `StageVariables` of
    an HTTP API stage), built like function environment variables so one classifier judges both."""
    variables = settings.get(key)
    if not isinstance(variables, dict):
        return ()
    raw_variables = raw_settings.get(key) if isinstance(raw_settings, dict) else None
    raw_variables = raw_variables if isinstance(raw_variables, dict) else {}
    base = _key_loc(settings, key, where)
    out: list[EnvVar] = []
    for name, value in variables.items():
        var_where = _key_loc(variables, name, base)
        text = _as_str(value, var_where)
        reference = isinstance(text, str) and ("{{resolve:secretsmanager:" in text
                                               or "{{resolve:ssm-secure:" in text)
        out.append(EnvVar(str(name), "" if text is None else text, var_where, secret_reference=reference,
                          from_secret_attribute=_secret_attribute(b, raw_variables.get(name))))
    return tuple(out)


def _cors(cors: Any, container: Mapping[str, Any], key: str, where: Location, *, origins_key: str,
          credentials_key: str = "AllowCredentials") -> Cors | None:
    """A CORS setting in any of SAM's and CloudFormation's spellings: SAM REST `Cors: "'*'"` (a quoted header
    value), a mapping with `AllowOrigin` (SAM REST, one quoted string) or `AllowOrigins` (HTTP API, function
    URL, a list), SAM HttpApi `CorsConfiguration: true` (any origin)."""
    key_where = _key_loc(container, key, where)
    if isinstance(cors, Unknown):
        return Cors(key_where, cors)
    if cors is True:
        return Cors(key_where, ("*",))
    if isinstance(cors, str):
        return Cors(key_where, (cors.strip().strip("'\""),))
    if not isinstance(cors, dict):
        return None
    raw = cors.get(origins_key)
    origins: tuple[str | Unknown, ...] | Unknown
    if isinstance(raw, Unknown):
        origins = raw
    else:
        origins = tuple(o.strip().strip("'\"") if isinstance(o, str) else o for o in _strings(raw, key_where))
    credentials = _as_bool(cors.get(credentials_key))
    return Cors(_key_loc(cors, origins_key, key_where), origins, credentials,
                _key_loc(cors, credentials_key, key_where) if credentials_key in cors else None)


def _fill_api(b: _Builder, info: _ApiInfo, props: Mapping[str, Any], where: Location, kind: TriggerKind) -> None:
    auth = props.get("Auth")
    if isinstance(auth, dict):
        auth_where = _key_loc(props, "Auth", where)
        authorizers = auth.get("Authorizers")
        if isinstance(authorizers, dict):
            for name, spec in authorizers.items():
                info.authorizers[str(name)] = _sam_authorizer_type(spec, kind)
        default = auth.get("DefaultAuthorizer")
        if isinstance(default, str):
            info.default_authorizer = default
            info.default_location = _key_loc(auth, "DefaultAuthorizer", auth_where)
        if _as_bool(auth.get("ApiKeyRequired")) is True:
            info.api_key_required = True
            info.api_key_location = _key_loc(auth, "ApiKeyRequired", auth_where)
        if _as_bool(auth.get("EnableIamAuthorizer")) is True:
            info.iam_enabled = True
        policy = auth.get("ResourcePolicy")
        if isinstance(policy, dict) and isinstance(policy.get("CustomStatements"), (list, dict)):
            statements = policy["CustomStatements"]
            info.resource_policy = _document(b, {"Statement": statements},
                                                  _key_loc(auth, "ResourcePolicy", auth_where))
        info.field_locations["default_auth"] = info.default_location or auth_where
    if "DefinitionUri" in props:
        info.external_definition = True
    body = props.get("DefinitionBody")
    if body is not None:
        info.definition = body
    endpoint = props.get("EndpointConfiguration")
    if isinstance(endpoint, dict):
        endpoint = endpoint.get("Type")
    if endpoint is not None:
        info.endpoint_type = _as_str(endpoint, where)
        info.field_locations["endpoint_type"] = _key_loc(props, "EndpointConfiguration", where)
    cors_key = "Cors" if kind is TriggerKind.REST_API else "CorsConfiguration"
    if props.get(cors_key) is not None:
        info.cors_config = _cors(props.get(cors_key), props, cors_key, where,
                                 origins_key="AllowOrigin" if kind is TriggerKind.REST_API else "AllowOrigins")
    cors = props.get("Cors") if kind is TriggerKind.REST_API else props.get("CorsConfiguration")
    if isinstance(cors, str):
        info.cors = (cors.strip("'"),)
    elif isinstance(cors, dict):
        origins = cors.get("AllowOrigin") if kind is TriggerKind.REST_API else cors.get("AllowOrigins")
        info.cors = tuple(o.strip("'") if isinstance(o, str) else o for o in _strings(origins, where))
    if info.cors:
        info.field_locations["cors_allow_origins"] = _key_loc(
            props, "Cors" if kind is TriggerKind.REST_API else "CorsConfiguration", where)


def _sam_api_trigger(b: _Builder, trigger_id: str, function_id: str, kind: TriggerKind, props: Mapping[str, Any], *,
                     raw: Mapping[str, Any], where: Location, fields: dict[str, Location]) -> Trigger:
    api_key = "RestApiId" if kind is TriggerKind.REST_API else "ApiId"
    api_id: str | None
    if api_key in props:
        api_id = b.resolver.target(raw.get(api_key), _API_TYPES)
        if api_id is None:
            value = props.get(api_key)
            api_id = value if isinstance(value, str) else None
    else:
        api_id = "ServerlessRestApi" if kind is TriggerKind.REST_API else "ServerlessHttpApi"
    info = _api_info(b, api_id, kind, where) if api_id is not None and (
        api_id in b.apis or api_id.startswith("Serverless")) else None
    method = props.get("Method")
    path = props.get("Path")
    method_text = method.upper() if isinstance(method, str) else ("ANY" if kind is TriggerKind.HTTP_API else None)
    path_text = path if isinstance(path, str) else ("$default" if kind is TriggerKind.HTTP_API else None)
    auth = _sam_route_auth(b, info, props.get("Auth"), props, where=where, method=method_text, path=path_text)
    request_model = props.get("RequestModel")
    request_parameters = props.get("RequestParameters")
    validation: bool | None = None
    takes_input: bool | None = None
    if kind is TriggerKind.REST_API:
        validation = (isinstance(request_model, dict) and _as_bool(request_model.get("ValidateBody")) is not False \
            and request_model.get("Model") is not None) or (
                isinstance(request_parameters, list) and any(
                    isinstance(p, dict) and any(isinstance(v, dict) and v.get("Required") is True
                                                for v in p.values()) for p in request_parameters))
        takes_input = method_text in ("POST", "PUT", "PATCH", "ANY") or bool(request_parameters) or (
            isinstance(path_text, str) and "{" in path_text)
    else:  # an HTTP API validates nothing: whether the route takes input is all there is to say
        validation = False
        takes_input = _http_takes_input(method_text, path_text)
    private = info is not None and isinstance(info.endpoint_type, str) and info.endpoint_type.upper() == "PRIVATE"
    return Trigger(id=trigger_id, location=where, field_locations=fields, kind=kind, function=function_id,
                   source=api_id, api=api_id, method=method_text, path=path_text, auth=auth,
                   request_validation=validation, takes_input=takes_input, private=private)


def _sam_route_auth(b: _Builder, info: _ApiInfo | None, event_auth: Any, props: Mapping[str, Any], *,
                    where: Location, method: str | None, path: str | None) -> Auth:
    if info is None:
        return Auth(AuthType.UNKNOWN, where, detail="the API is not defined in this template")
    auth_where = _key_loc(props, "Auth", where)
    authorizer: str | None = None
    authorizer_where = where
    detail = ""
    if isinstance(event_auth, dict) and "Authorizer" in event_auth:
        value = event_auth.get("Authorizer")
        authorizer = value if isinstance(value, str) else "<unresolved>"
        authorizer_where = _key_loc(event_auth, "Authorizer", auth_where)
        detail = f"Authorizer: {authorizer} on the route"
    elif info.default_authorizer is not None:
        authorizer = info.default_authorizer
        authorizer_where = info.default_location or info.location
        detail = f"inherited from the API's DefaultAuthorizer {authorizer}"
    api_key = info.api_key_required
    key_where = info.api_key_location
    if isinstance(event_auth, dict) and "ApiKeyRequired" in event_auth:
        api_key = _as_bool(event_auth.get("ApiKeyRequired")) is True
        key_where = _key_loc(event_auth, "ApiKeyRequired", auth_where)
    if authorizer == "NONE":
        kind = AuthType.NONE
    elif authorizer == "AWS_IAM":
        kind = AuthType.IAM
    elif authorizer is not None and authorizer in info.authorizers:
        kind = info.authorizers[authorizer]
    elif authorizer is not None:
        kind = AuthType.UNKNOWN
        detail = f"authorizer {authorizer} is not defined on the API"
    else:
        openapi = _openapi_auth(info.definition, path, method) if info.definition is not None else None
        if openapi is not None:
            kind, detail = openapi
            authorizer_where = info.location
        elif info.external_definition:
            kind = AuthType.UNKNOWN
            detail = "the API's OpenAPI definition (DefinitionUri) may define authorization"
            authorizer_where = info.location
        else:
            kind = AuthType.NONE
            detail = "no authorizer on the route or the API"
    if kind is AuthType.NONE and api_key:
        kind = AuthType.API_KEY
        detail += "; API key required"
        authorizer_where = key_where or authorizer_where
    name = authorizer if kind not in (AuthType.NONE, AuthType.API_KEY, AuthType.IAM) else None
    return Auth(kind, authorizer_where, name, api_key, detail)


def _rest_api(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    info = _ApiInfo(logical_id, TriggerKind.REST_API, where, name=_as_str(props.get("Name"), where))
    endpoint = props.get("EndpointConfiguration")
    types = endpoint.get("Types") if isinstance(endpoint, dict) else None
    if isinstance(types, list) and types:
        info.endpoint_type = _as_str(types[0], where)
        info.field_locations["endpoint_type"] = _key_loc(props, "EndpointConfiguration", where)
    policy = props.get("Policy")
    if policy is not None:
        info.resource_policy = _document(b, policy, _key_loc(props, "Policy", where))
    if props.get("Body") is not None:
        info.definition = props["Body"]
    if "BodyS3Location" in props:
        info.external_definition = True
    b.apis[logical_id] = info


def _http_api(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    protocol = props.get("ProtocolType")
    info = _ApiInfo(logical_id, TriggerKind.HTTP_API, where, name=_as_str(props.get("Name"), where))
    if props.get("Body") is not None:
        info.definition = props["Body"]
    if "BodyS3Location" in props:
        info.external_definition = True
    cors = props.get("CorsConfiguration")
    if isinstance(cors, dict):
        info.cors = _strings(cors.get("AllowOrigins"), where)
    if cors is not None:
        info.cors_config = _cors(cors, props, "CorsConfiguration", where, origins_key="AllowOrigins")
    b.apis[logical_id] = info
    if protocol == "WEBSOCKET":
        info.kind = TriggerKind.OTHER
    target = props.get("Target")
    if target is not None:  # quick create: a $default route and stage, no authorization
        function = b._function_target(b.raw_props(logical_id).get("Target"))
        info.stages.append(Stage("$default", where, False, b._waf.get(logical_id) is not None,
                                 f"{logical_id}.$default"))
        b.triggers.append(Trigger(
            id=f"{logical_id}.$default", location=_key_loc(props, "Target", where), kind=TriggerKind.HTTP_API,
            function=function, source=logical_id, api=logical_id, method="ANY", path="$default",
            auth=Auth(AuthType.NONE, _key_loc(props, "Target", where), detail="quick-create route")))


def _stage(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    kind = b.type_of(logical_id)
    api_key = "ApiId" if kind == "AWS::ApiGatewayV2::Stage" else "RestApiId"
    api_id = b.resolver.target(raw.get(api_key), _API_TYPES)
    if api_id is None or api_id not in b.apis:
        return
    if kind == "AWS::ApiGateway::Deployment":
        name = props.get("StageName")
        if not isinstance(name, str):
            return
        description = props.get("StageDescription")
        settings = description if isinstance(description, dict) else {}
    else:
        name = props.get("StageName")
        name = name if isinstance(name, str) else "<unresolved>"
        settings = props
    key = "AccessLogSetting" if kind != "AWS::ApiGatewayV2::Stage" else "AccessLogSettings"
    setting = settings.get(key)
    fields: dict[str, Location] = {}
    access: bool | Unknown = False
    if isinstance(setting, dict):
        destination = setting.get("DestinationArn")
        access = destination if isinstance(destination, Unknown) else destination is not None
        fields["access_logging"] = _key_loc(settings, key, where)
    elif isinstance(setting, Unknown):
        access = setting
    waf_where = b._waf.get(logical_id)
    if waf_where is None and api_id in b._waf:
        waf_where = b._waf[api_id]
    if waf_where is not None:
        fields["waf"] = waf_where
    raw_settings = raw.get("StageDescription") if kind == "AWS::ApiGateway::Deployment" else raw
    variables = _stage_variables(b, settings, raw_settings,
                                 "StageVariables" if kind == "AWS::ApiGatewayV2::Stage" else "Variables", where)
    b.apis[api_id].stages.append(Stage(name, where, access, waf_where is not None, logical_id, fields,
                                       variables))


def _waf_association(b: _Builder, logical_id: str) -> None:
    raw = b.raw_props(logical_id)
    props = b.props(logical_id)
    where = b.loc(logical_id)
    raw_arn = raw.get("ResourceArn")
    value = props.get("ResourceArn")
    stage_name: str | None = None
    if isinstance(value, str):
        match = re.search(r"/stages/([^/]+)$", value)
        stage_name = match.group(1) if match else None
    for ref in references(raw_arn):
        kind = b.type_of(ref)
        if kind in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
            b._waf[ref] = where
        elif kind in _API_TYPES or ref in ("ServerlessRestApi", "ServerlessHttpApi"):
            if stage_name and not is_symbolic(stage_name):
                b._waf[f"{ref}{re.sub(r'[^A-Za-z0-9]', '', stage_name)}Stage"] = where
                for stage_id in b.resolver.resources:
                    if b.type_of(stage_id) in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
                        stage_props = b.raw_props(stage_id)
                        if stage_props.get("StageName") == stage_name and ref in references(
                                stage_props.get("RestApiId", stage_props.get("ApiId"))):
                            b._waf[stage_id] = where
            else:
                b._waf[ref] = where


def _rest_method(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    integration = props.get("Integration")
    integration_type = integration.get("Type") if isinstance(integration, dict) else None
    if integration_type == "MOCK":
        return
    raw_integration = raw.get("Integration")
    function = b._function_target(raw_integration.get("Uri") if isinstance(raw_integration, dict) else None)
    api_id = b.resolver.target(raw.get("RestApiId"), _API_TYPES)
    method = props.get("HttpMethod")
    method_text = method.upper() if isinstance(method, str) else None
    path = _rest_path(b, raw.get("ResourceId"), 0)
    authorization = props.get("AuthorizationType")
    auth_where = _key_loc(props, "AuthorizationType", where)
    authorizer_id = b.resolver.target(raw.get("AuthorizerId"), ("AWS::ApiGateway::Authorizer",))
    api_key = _as_bool(props.get("ApiKeyRequired")) is True
    kind, detail = AuthType.NONE, "AuthorizationType NONE" if authorization else "no AuthorizationType"
    if isinstance(authorization, str):
        upper = authorization.upper()
        if upper == "AWS_IAM":
            kind, detail = AuthType.IAM, "AuthorizationType AWS_IAM"
        elif upper == "COGNITO_USER_POOLS":
            kind, detail = AuthType.COGNITO, "AuthorizationType COGNITO_USER_POOLS"
        elif upper == "CUSTOM":
            kind = _authorizer_type(b, authorizer_id) if authorizer_id else AuthType.LAMBDA
            detail = "AuthorizationType CUSTOM"
        elif upper != "NONE":
            kind, detail = AuthType.UNKNOWN, f"AuthorizationType {authorization}"
    elif isinstance(authorization, Unknown):
        kind, detail = AuthType.UNKNOWN, authorization.reason
    if kind is AuthType.NONE and api_key:
        kind, detail = AuthType.API_KEY, detail + "; API key required"
    info = b.apis.get(api_id) if api_id else None
    private = info is not None and isinstance(info.endpoint_type, str) and info.endpoint_type.upper() == "PRIVATE"
    validation = props.get("RequestValidatorId") is not None or bool(props.get("RequestModels"))
    parameters = props.get("RequestParameters")
    takes_input = method_text in ("POST", "PUT", "PATCH", "ANY") or bool(parameters) or (
        isinstance(path, str) and "{" in path)
    fields = b.fields(logical_id, props, {"method": "HttpMethod", "auth": "AuthorizationType",
                                             "request_validation": "RequestValidatorId",
                                             "api": "RestApiId"})
    b.triggers.append(Trigger(
        id=logical_id, location=where, field_locations=fields, kind=TriggerKind.REST_API, function=function,
        source=api_id, api=api_id, method=method_text, path=path if isinstance(path, str) else None,
        auth=Auth(kind, auth_where, authorizer_id, api_key, detail), request_validation=validation,
        takes_input=takes_input, private=private))


def _rest_path(b: _Builder, raw: Any, depth: int) -> str | None:
    if depth > 30:
        return None
    fn = raw if isinstance(raw, dict) else None
    if fn is not None and "Fn::GetAtt" in fn:
        return "/"
    target = b.resolver.target(raw, ("AWS::ApiGateway::Resource",))
    if target is None:
        return None
    props = b.raw_props(target)
    part = b.resolver.resolve_or_none(props.get("PathPart"))
    parent = _rest_path(b, props.get("ParentId"), depth + 1)
    if not isinstance(part, str) or parent is None:
        return None
    return parent.rstrip("/") + "/" + part


def _authorizer_type(b: _Builder, authorizer_id: str | None) -> AuthType:
    if authorizer_id is None:
        return AuthType.UNKNOWN
    props = b.props(authorizer_id)
    kind = props.get("Type") or props.get("AuthorizerType")
    if kind in ("TOKEN", "REQUEST"):
        return AuthType.LAMBDA
    if kind == "COGNITO_USER_POOLS":
        return AuthType.COGNITO
    if kind == "JWT":
        return AuthType.JWT
    return AuthType.UNKNOWN


def _http_route(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    api_id = b.resolver.target(raw.get("ApiId"), _API_TYPES)
    route_key = props.get("RouteKey")
    method, path = None, None
    if isinstance(route_key, str):
        method, _, path = route_key.partition(" ")
        if not path:
            method, path = "ANY", route_key
    function: str | Unknown = Unknown("route target cannot be resolved", where)
    for ref in references(raw.get("Target")):
        if b.type_of(ref) == "AWS::ApiGatewayV2::Integration":
            function = b._function_target(b.raw_props(ref).get("IntegrationUri"))
            break
    authorization = props.get("AuthorizationType")
    authorizer_id = b.resolver.target(raw.get("AuthorizerId"), ("AWS::ApiGatewayV2::Authorizer",))
    kind, detail = AuthType.NONE, "AuthorizationType NONE" if authorization else "no AuthorizationType"
    if isinstance(authorization, str):
        upper = authorization.upper()
        mapping = {"AWS_IAM": AuthType.IAM, "JWT": AuthType.JWT, "CUSTOM": AuthType.LAMBDA, "NONE": AuthType.NONE}
        kind = mapping.get(upper, AuthType.UNKNOWN)
        detail = f"AuthorizationType {authorization}"
    elif isinstance(authorization, Unknown):
        kind, detail = AuthType.UNKNOWN, authorization.reason
    api_key = _as_bool(props.get("ApiKeyRequired")) is True
    if kind is AuthType.NONE and api_key:
        kind = AuthType.API_KEY
    info = b.apis.get(api_id) if api_id else None
    trigger_kind = TriggerKind.HTTP_API if info is None or info.kind is TriggerKind.HTTP_API else TriggerKind.OTHER
    b.triggers.append(Trigger(
        id=logical_id, location=where,
        field_locations=b.fields(logical_id, props, {"auth": "AuthorizationType", "path": "RouteKey",
                                                        "method": "RouteKey", "api": "ApiId"}),
        kind=trigger_kind, function=function, source=api_id, api=api_id, method=method, path=path,
        auth=Auth(kind, _key_loc(props, "AuthorizationType", where), authorizer_id, api_key, detail),
        request_validation=False if trigger_kind is TriggerKind.HTTP_API else None,
        takes_input=_http_takes_input(method, path) if trigger_kind is TriggerKind.HTTP_API else None))


def _http_takes_input(method: str | None, path: str | None) -> bool | None:
    """An HTTP API route takes a body (POST/PUT/PATCH, or ANY which includes them) or path parameters; query
    strings and headers reach every route and are not counted. None when the route key is not resolved."""
    if method is None:
        return None
    return method.upper() in ("POST", "PUT", "PATCH", "ANY", "$DEFAULT") or (path is not None and "{" in path)


def api_nodes(b: _Builder) -> list[Api]:
    out: list[Api] = []
    for info in b.apis.values():
        default = None
        if info.default_authorizer is not None:
            kind = {"NONE": AuthType.NONE, "AWS_IAM": AuthType.IAM}.get(
                info.default_authorizer, info.authorizers.get(info.default_authorizer, AuthType.UNKNOWN))
            default = Auth(kind, info.default_location or info.location, info.default_authorizer,
                           info.api_key_required, "DefaultAuthorizer")
        elif info.api_key_required:
            default = Auth(AuthType.API_KEY, info.api_key_location or info.location, None, True,
                           "ApiKeyRequired")
        cors = info.cors_config
        if cors is None and isinstance(info.definition, dict) and \
                info.definition.get("x-amazon-apigateway-cors") is not None:
            # an HTTP API's OpenAPI body may carry the CORS configuration instead of CorsConfiguration
            cors = _cors(info.definition["x-amazon-apigateway-cors"], info.definition, "x-amazon-apigateway-cors",
                         info.location, origins_key="allowOrigins", credentials_key="allowCredentials")
        out.append(Api(id=info.id, location=info.location, field_locations=info.field_locations,
                       kind=info.kind, name=info.name, stages=tuple(info.stages), default_auth=default,
                       endpoint_type=info.endpoint_type, implicit=info.implicit,
                       resource_policy=info.resource_policy, cors_allow_origins=info.cors,
                       cors=cors))
    return out


def _sam_authorizer_type(spec: Any, kind: TriggerKind) -> AuthType:
    if not isinstance(spec, dict):
        return AuthType.UNKNOWN
    if "UserPoolArn" in spec:
        return AuthType.COGNITO
    if "JwtConfiguration" in spec:
        return AuthType.JWT
    if "FunctionArn" in spec:
        return AuthType.LAMBDA
    return AuthType.UNKNOWN


def _openapi_auth(body: Any, path: str | None, method: str | None) -> tuple[AuthType, str] | None:
    """Authorization an inline OpenAPI body declares for one route, None when it declares none at all."""
    if not isinstance(body, dict):
        return None
    schemes: dict[str, Any] = {}
    for container in (body.get("securityDefinitions"), _dig(body, "components", "securitySchemes")):
        if isinstance(container, dict):
            schemes.update(container)
    operation = None
    paths = body.get("paths")
    if isinstance(paths, dict) and path is not None:
        item = paths.get(path)
        if isinstance(item, dict):
            operation = item.get((method or "").lower()) or item.get("x-amazon-apigateway-any-method")
    security = operation.get("security") if isinstance(operation, dict) and "security" in operation \
        else body.get("security")
    if security is None:
        if schemes:
            return AuthType.UNKNOWN, "the API's OpenAPI definition declares security schemes"
        return None
    if isinstance(security, list) and not security:
        return AuthType.NONE, "the OpenAPI operation declares no security"
    if not isinstance(security, list):
        return AuthType.UNKNOWN, "OpenAPI security cannot be resolved"
    for requirement in security:
        if not isinstance(requirement, dict):
            continue
        for name in requirement:
            scheme = schemes.get(name)
            if not isinstance(scheme, dict):
                continue
            authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            authorizer_type = str(authorizer.get("type", "")).lower() if isinstance(authorizer, dict) else ""
            if authtype == "cognito_user_pools" or authorizer_type == "cognito_user_pools":
                return AuthType.COGNITO, f"OpenAPI security scheme {name}"
            if authtype == "awssigv4":
                return AuthType.IAM, f"OpenAPI security scheme {name}"
            if authorizer_type == "jwt":
                return AuthType.JWT, f"OpenAPI security scheme {name}"
            if authtype == "custom" or authorizer_type in ("token", "request"):
                return AuthType.LAMBDA, f"OpenAPI security scheme {name}"
            if scheme.get("type") == "apiKey":
                return AuthType.API_KEY, f"OpenAPI security scheme {name}"
    return AuthType.UNKNOWN, "OpenAPI security requirement of an unknown kind"
