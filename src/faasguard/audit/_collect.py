"""One (account, region) of a live AWS account → the same `Application` model the loaders build.

Read-only and paginated. Node ids are the names AWS shows (function name, role name, API id, queue name), so
rules, suppressions and reports treat them like logical ids; every node's `Location.path` is its ARN (line 1),
which carries the account and region into every finding. Per-function calls run on a bounded thread pool.

What the live account cannot give us is an `Unknown` or a diagnostic, never a guess. Properties that rules
today read in a CloudFormation/Terraform spelling (`Resource.properties`: bucket Block Public Access and ACLs,
ECR scanning, RDS `PubliclyAccessible`) are deliberately *not* written here in those spellings; until the
model has typed fields for them those rules cannot fire on an audit (README "Audit gaps").
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from faasguard.analysis.iam.document import parse_document
from faasguard.audit._aws import Api
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import (
    Api as ApiNode,
)
from faasguard.model import (
    Application,
    Auth,
    AuthType,
    CodeLocation,
    Container,
    Destination,
    EnvVar,
    Function,
    Layer,
    Location,
    Permission,
    Policy,
    PolicyDocument,
    PolicyKind,
    Resource,
    ResourceCategory,
    Role,
    SecurityGroup,
    SecurityGroupRule,
    SourceKind,
    Stage,
    Trigger,
    TriggerKind,
    Unknown,
    VpcConfig,
)

log = logging.getLogger(__name__)

#: Code fetcher: (function configuration, Code.Location URL) → CodeLocation of the unpacked package, or None.
CodeFetcher = Callable[[Mapping[str, Any], str], CodeLocation | None]


@dataclass
class UnitSpec:
    account: str
    region: str
    functions: tuple[str, ...] = ()
    """Only these function names/ARNs (empty: all)."""
    workers: int = 8


@dataclass
class _Parts:
    functions: list[Function] = field(default_factory=list)
    roles: dict[str, Role] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)
    apis: list[ApiNode] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)
    layers: dict[str, Layer] = field(default_factory=dict)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def at(arn: str, name: str | None = None) -> Location:
    """Where a live node is: its ARN (account and region included), line 1, the node's name as logical id."""
    return Location(arn, 1, 1, logical_id=name)


def _function_name(arn_or_name: str) -> str:
    """`arn:aws:lambda:r:a:function:NAME[:qualifier]` → NAME; a bare name stays."""
    parts = arn_or_name.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return parts[6]
    return arn_or_name


def _lambda_from_uri(uri: str) -> str | None:
    """The function name in an API Gateway Lambda integration URI (`.../functions/<arn>/invocations`)."""
    if "/functions/" not in uri:
        return None
    inner = uri.split("/functions/", 1)[1].split("/invocations", 1)[0]
    return _function_name(inner)


def _doc(raw: Any) -> Any:
    """Policy documents arrive as dicts (IAM via botocore) or JSON strings, sometimes URL-encoded."""
    if isinstance(raw, str):
        text = raw if raw.lstrip().startswith("{") else unquote(raw)
        try:
            return json.loads(text)
        except ValueError:
            return text
    return raw


def collect(api: Api, unit: UnitSpec, fetch_code: CodeFetcher | None = None,
            role_cache: dict[str, Role] | None = None) -> tuple[Application, list[Diagnostic]]:
    """Read one region of one account into an `Application` (name `aws:<account>:<region>`)."""
    parts = _Parts()
    where = at(f"arn:aws:::{unit.account}:{unit.region}", f"{unit.account}/{unit.region}")
    configs = _list_functions(api, unit)
    with ThreadPoolExecutor(max_workers=max(1, unit.workers)) as pool:
        details = list(pool.map(lambda c: _function_details(api, c, fetch_code), configs))
    wanted = {c["FunctionName"] for c in configs}
    for config, extra in zip(configs, details, strict=True):
        fn, perms, trig, diags = _function(config, extra, unit)
        parts.functions.append(fn)
        parts.permissions.extend(perms)
        parts.triggers.extend(trig)
        parts.diagnostics.extend(diags)
    _event_source_mappings(api, unit, wanted, parts)
    cache = role_cache if role_cache is not None else {}
    if not unit.functions:  # `--function` narrows the audit to functions: no tasks then
        _ecs(api, unit, parts, cache)
    _roles(api, parts, cache)
    _layers(api, unit, parts)
    _rest_apis(api, unit, wanted, parts)
    _http_apis(api, unit, wanted, parts)
    _buckets(api, unit, wanted, parts)
    _queues(api, parts)
    _topics(api, wanted, parts)
    _event_rules(api, unit, wanted, parts)
    _security_groups(api, parts)
    _secrets(api, parts)
    _parameters(api, parts)
    parts.diagnostics.extend(api.diagnostics(where))
    app = Application(
        name=f"aws:{unit.account}:{unit.region}", source=SourceKind.LIVE, root="", files=(),
        functions=tuple(parts.functions), roles=tuple(parts.roles.values()), triggers=tuple(parts.triggers),
        apis=tuple(parts.apis), permissions=tuple(parts.permissions), layers=tuple(parts.layers.values()),
        security_groups=tuple(parts.security_groups), resources=tuple(parts.resources),
        containers=tuple(parts.containers), account_id=unit.account)
    return app, parts.diagnostics


# ------------------------------------------------------------------------------------------- Lambda


def _list_functions(api: Api, unit: UnitSpec) -> list[dict[str, Any]]:
    configs = api.pages("lambda", "ListFunctions", "Functions", f"functions in {unit.region}")
    if unit.functions:
        names = {_function_name(f) for f in unit.functions}
        configs = [c for c in configs if c.get("FunctionName") in names]
    return sorted(configs, key=lambda c: str(c.get("FunctionName")))


def _function_details(api: Api, config: Mapping[str, Any], fetch_code: CodeFetcher | None) -> dict[str, Any]:
    name = str(config["FunctionName"])
    arn = str(config.get("FunctionArn", name))
    out: dict[str, Any] = {}
    got = api.call("lambda", "GetFunction", arn, FunctionName=name)
    if got:
        out["tags"] = got.get("Tags") or {}
        out["concurrency"] = (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        out["code"] = got.get("Code") or {}
    policy = api.call("lambda", "GetPolicy", arn, FunctionName=name)
    out["policy"] = _doc(policy.get("Policy")) if policy else None
    out["url"] = api.call("lambda", "GetFunctionUrlConfig", arn, FunctionName=name)
    out["invoke_config"] = api.call("lambda", "GetFunctionEventInvokeConfig", arn, FunctionName=name)
    signing = api.call("lambda", "GetFunctionCodeSigningConfig", arn, FunctionName=name)
    out["signing"] = (signing or {}).get("CodeSigningConfigArn")
    if fetch_code is not None and config.get("PackageType", "Zip") == "Zip":
        location = (out.get("code") or {}).get("Location")
        if isinstance(location, str) and location:
            out["code_location"] = fetch_code(config, location)
    return out


def _function(config: Mapping[str, Any], extra: Mapping[str, Any], unit: UnitSpec,
              ) -> tuple[Function, list[Permission], list[Trigger], list[Diagnostic]]:
    name = str(config["FunctionName"])
    arn = str(config.get("FunctionArn") or name)
    loc = at(arn, name)
    diags: list[Diagnostic] = []
    env_vars = (config.get("Environment") or {}).get("Variables") or {}
    # values stay in the model so the secret rules can judge them; reports print names only
    environment = tuple(EnvVar(k, str(v), at(arn, name)) for k, v in sorted(env_vars.items()))
    vpc_raw = config.get("VpcConfig") or {}
    vpc = VpcConfig(loc, tuple(vpc_raw.get("SubnetIds") or ()), tuple(vpc_raw.get("SecurityGroupIds") or ())) \
        if vpc_raw.get("SubnetIds") else None
    dlq_arn = (config.get("DeadLetterConfig") or {}).get("TargetArn")
    on_failure = (((extra.get("invoke_config") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}) \
        .get("Destination")
    role_arn = config.get("Role")
    handler = config.get("Handler")
    package = str(config.get("PackageType") or "Zip")
    code: CodeLocation | None = extra.get("code_location")
    if code is None:
        image = (extra.get("code") or {}).get("ImageUri") if package == "Image" else None
        code = CodeLocation(None, None, None, handler, package, image)
    fn = Function(
        id=name, location=loc, name=name, runtime=config.get("Runtime"), handler=handler, code=code,
        timeout=config.get("Timeout"), timeout_default=3, memory_size=config.get("MemorySize"),
        role=role_arn.rsplit("/", 1)[-1] if isinstance(role_arn, str) else None,
        environment=environment, kms_key=config.get("KMSKeyArn"),
        layers=tuple(str(layer.get("Arn")) for layer in config.get("Layers") or ()), vpc=vpc,
        reserved_concurrency=extra.get("concurrency"),
        tracing=(config.get("TracingConfig") or {}).get("Mode"),
        code_signing_config=extra.get("signing"),
        dead_letter=Destination("dlq", str(dlq_arn), loc) if dlq_arn else None,
        async_on_failure=Destination("on-failure", str(on_failure), loc) if on_failure else None,
        package_type=package, architectures=tuple(config.get("Architectures") or ()),
        tags={str(k): str(v) for k, v in (extra.get("tags") or {}).items()},
    )
    triggers: list[Trigger] = []
    url = extra.get("url")
    if url:
        url_arn = str(url.get("FunctionArn") or arn)
        auth_type = str(url.get("AuthType") or "")
        auth = Auth(AuthType.NONE if auth_type == "NONE" else AuthType.IAM if auth_type == "AWS_IAM"
                    else AuthType.UNKNOWN, at(url_arn, f"{name}.url"), detail=f"AuthType {auth_type}")
        triggers.append(Trigger(f"{name}.url", at(url_arn, f"{name}.url"), kind=TriggerKind.FUNCTION_URL,
                                function=name, source=str(url.get("FunctionUrl") or ""), auth=auth))
    perms = _permissions(name, arn, extra.get("policy"), diags)
    return fn, perms, triggers, diags


def _condition(conditions: Mapping[str, Any], key: str) -> str | None:
    for values in conditions.values():
        if isinstance(values, Mapping):
            for k, v in values.items():
                if k.lower() == key.lower():
                    return str(v[0] if isinstance(v, list) and v else v)
    return None


def _permissions(name: str, arn: str, policy: Any, diags: list[Diagnostic]) -> list[Permission]:
    """The function's resource-based policy, one `Permission` per statement (Sid as its id)."""
    if not isinstance(policy, Mapping):
        if policy is not None:
            diags.append(Diagnostic(DiagnosticKind.UNRESOLVED, f"resource policy of {name} is not JSON",
                                    at(arn, name), DiagnosticLevel.WARNING, "audit"))
        return []
    out: list[Permission] = []
    statements = policy.get("Statement") or []
    for index, stmt in enumerate(statements if isinstance(statements, list) else [statements]):
        if not isinstance(stmt, Mapping) or str(stmt.get("Effect", "Allow")) != "Allow":
            continue
        principal = stmt.get("Principal")
        if isinstance(principal, Mapping):
            principal = principal.get("Service") or principal.get("AWS") or ""
        if isinstance(principal, list):
            principal = principal[0] if principal else ""
        conditions = stmt.get("Condition") or {}
        action = stmt.get("Action")
        sid = str(stmt.get("Sid") or f"statement{index + 1}")
        out.append(Permission(
            id=f"{name}:{sid}", location=at(arn, f"{name}:{sid}"), function=name,
            action=str(action[0] if isinstance(action, list) and action else action or ""),
            principal=str(principal or ""),
            source_arn=_condition(conditions, "AWS:SourceArn"),
            source_account=_condition(conditions, "AWS:SourceAccount"),
            principal_org_id=_condition(conditions, "aws:PrincipalOrgID"),
            function_url_auth_type=_condition(conditions, "lambda:FunctionUrlAuthType")))
    return out


_ESM_KINDS = {"sqs": TriggerKind.SQS, "dynamodb": TriggerKind.DYNAMODB_STREAM, "kinesis": TriggerKind.KINESIS,
              "kafka": TriggerKind.KAFKA, "mq": TriggerKind.MQ}


def _event_source_mappings(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    for esm in api.pages("lambda", "ListEventSourceMappings", "EventSourceMappings",
                         f"event source mappings in {unit.region}"):
        fn = _function_name(str(esm.get("FunctionArn", "")))
        if fn not in wanted:
            continue
        source = str(esm.get("EventSourceArn") or "")
        service = source.split(":")[2] if source.count(":") >= 5 else ""
        kind = _ESM_KINDS.get(service, TriggerKind.OTHER)
        uuid = str(esm.get("UUID"))
        esm_arn = str(esm.get("EventSourceMappingArn")
                      or f"arn:aws:lambda:{unit.region}:{unit.account}:event-source-mapping:{uuid}")
        dest = ((esm.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        parts.triggers.append(Trigger(
            uuid, at(esm_arn, uuid), kind=kind, function=fn, source=source or None,
            on_failure=Destination("on-failure", str(dest), at(esm_arn, uuid)) if dest else None))


def _layers(api: Api, unit: UnitSpec, parts: _Parts) -> None:
    """Layer nodes for the layers of this account the functions use (others' layers stay ARNs)."""
    for arn in sorted({layer for fn in parts.functions for layer in fn.layers if isinstance(layer, str)}):
        fields = arn.split(":")
        if len(fields) < 8 or fields[4] != unit.account:
            continue
        got = api.call("lambda", "GetLayerVersionByArn", arn, Arn=arn)
        if got is None:
            continue
        parts.layers[arn] = Layer(arn, at(arn, fields[6]), arn=arn, name=fields[6],
                                  compatible_runtimes=tuple(got.get("CompatibleRuntimes") or ()))


# ---------------------------------------------------------------------------------------------- IAM


def _roles(api: Api, parts: _Parts, cache: dict[str, Role]) -> None:
    """Each execution role once (IAM is global: the cache is shared by the units of one account)."""
    role_names = sorted({fn.role for fn in parts.functions if isinstance(fn.role, str)})
    for role_name in role_names:
        if role_name not in cache:
            cache[role_name] = _role(api, role_name)
        parts.roles[role_name] = cache[role_name]


def _role(api: Api, name: str) -> Role:
    got = api.call("iam", "GetRole", name, RoleName=name)
    if got is None:
        return Role(name, at(f"role/{name}", name), name=name, arn=Unknown("the role could not be read"),
                    external=True)
    raw = got["Role"]
    arn = str(raw.get("Arn"))
    loc = at(arn, name)
    trust = parse_document(_doc(raw.get("AssumeRolePolicyDocument")), loc)
    policies: list[Policy] = []
    # SAM tags the role it generates for a function `lambda:createdBy: SAM` and names the policies it expands
    # from `Policies:` (policy templates, inline statements) `<Function>RolePolicy<N>`: those are the
    # template's SAM policies, judged as the scan judges them (the user cannot narrow a policy template).
    sam_role = any(t.get("Key") == "lambda:createdBy" and t.get("Value") == "SAM" for t in raw.get("Tags") or ())
    for policy_name in api.pages("iam", "ListRolePolicies", "PolicyNames", arn, RoleName=name):
        doc = api.call("iam", "GetRolePolicy", arn, RoleName=name, PolicyName=policy_name)
        ploc = at(f"{arn}/inline/{policy_name}", name)
        document = parse_document(_doc(doc.get("PolicyDocument")), ploc) if doc else None
        kind = PolicyKind.SAM_TEMPLATE if sam_role and _SAM_POLICY.fullmatch(str(policy_name)) \
            else PolicyKind.INLINE
        policies.append(Policy(str(policy_name), kind, ploc, document))
    for attached in api.pages("iam", "ListAttachedRolePolicies", "AttachedPolicies", arn, RoleName=name):
        policy_arn = str(attached.get("PolicyArn"))
        aws_managed = ":iam::aws:policy/" in policy_arn
        ploc = at(policy_arn, name)
        document = _managed_document(api, policy_arn, ploc)
        policies.append(Policy(str(attached.get("PolicyName")),
                               PolicyKind.AWS_MANAGED if aws_managed else PolicyKind.CUSTOMER_MANAGED, ploc,
                               document, arn=policy_arn, id=None if aws_managed else policy_arn))
    boundary = (raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return Role(name, loc, name=name, arn=arn, trust_policy=trust, policies=tuple(policies),
                permissions_boundary=boundary)


_SAM_POLICY = re.compile(r"\w+RolePolicy\d+")


def _managed_document(api: Api, policy_arn: str, loc: Location) -> PolicyDocument | None:
    """The default version's document; None when it cannot be read (AWS managed ones then come from the
    bundled data, as for templates)."""
    meta = api.call("iam", "GetPolicy", policy_arn, PolicyArn=policy_arn)
    version = ((meta or {}).get("Policy") or {}).get("DefaultVersionId")
    if not version:
        return None
    got = api.call("iam", "GetPolicyVersion", policy_arn, PolicyArn=policy_arn, VersionId=version)
    if not got:
        return None
    return parse_document(_doc(got["PolicyVersion"].get("Document")), loc)


# -------------------------------------------------------------------------------------- API Gateway


_REST_AUTH = {"NONE": AuthType.NONE, "AWS_IAM": AuthType.IAM, "COGNITO_USER_POOLS": AuthType.COGNITO,
              "CUSTOM": AuthType.LAMBDA}


def _rest_apis(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    for rest in api.pages("apigateway", "GetRestApis", "items", f"REST APIs in {unit.region}"):
        api_id = str(rest["id"])
        arn = f"arn:aws:apigateway:{unit.region}::/restapis/{api_id}"
        loc = at(arn, api_id)
        routes: list[Trigger] = []
        authorizers = {str(a["id"]): a for a in api.pages("apigateway", "GetAuthorizers", "items", arn,
                                                           restApiId=api_id)}
        for resource in api.pages("apigateway", "GetResources", "items", arn, restApiId=api_id,
                                  embed=["methods"]):
            path = str(resource.get("path", "/"))
            for verb, embedded in (resource.get("resourceMethods") or {}).items():
                method = embedded
                if not method or "methodIntegration" not in method:
                    method = api.call("apigateway", "GetMethod", arn, restApiId=api_id,
                                      resourceId=resource["id"], httpMethod=verb) or {}
                integration = method.get("methodIntegration") or {}
                fn = _lambda_from_uri(str(integration.get("uri") or ""))
                if fn is None or fn not in wanted:
                    continue
                auth_type = str(method.get("authorizationType") or "NONE")
                authorizer = authorizers.get(str(method.get("authorizerId")))
                route_id = f"{api_id}:{verb} {path}"
                rloc = at(f"{arn}/resources/{resource['id']}/methods/{verb}", route_id)
                auth = Auth(_REST_AUTH.get(auth_type, AuthType.UNKNOWN), rloc,
                            authorizer=str(authorizer["name"]) if authorizer else None,
                            api_key_required=bool(method.get("apiKeyRequired")),
                            detail=f"authorizationType {auth_type}")
                takes_input = verb.upper() in ("POST", "PUT", "PATCH") or bool(method.get("requestParameters"))
                routes.append(Trigger(route_id, rloc, kind=TriggerKind.REST_API, function=fn, source=api_id,
                                      api=api_id, method=verb.upper(), path=path, auth=auth,
                                      request_validation=bool(method.get("requestValidatorId")
                                                              or method.get("requestModels")),
                                      takes_input=takes_input))
        if not routes:
            continue
        stages = _rest_stages(api, arn, api_id)
        types = (rest.get("endpointConfiguration") or {}).get("types") or []
        private = "PRIVATE" in types
        policy = rest.get("policy")
        parts.apis.append(ApiNode(
            api_id, loc, kind=TriggerKind.REST_API, name=rest.get("name"), stages=stages,
            endpoint_type=types[0] if types else None,
            resource_policy=parse_document(_doc(policy.replace('\\"', '"')), loc) if policy else None))
        parts.triggers.extend(
            Trigger(r.id, r.location, kind=r.kind, function=r.function, source=r.source, api=r.api,
                    method=r.method, path=r.path, auth=r.auth, request_validation=r.request_validation,
                    takes_input=r.takes_input, private=private) for r in routes)


def _rest_stages(api: Api, arn: str, api_id: str) -> tuple[Stage, ...]:
    got = api.call("apigateway", "GetStages", arn, restApiId=api_id) or {}
    return tuple(
        Stage(str(s["stageName"]), at(f"{arn}/stages/{s['stageName']}", f"{api_id}/{s['stageName']}"),
              access_logging=bool((s.get("accessLogSettings") or {}).get("destinationArn")),
              waf=bool(s.get("webAclArn")), id=f"{api_id}/{s['stageName']}")
        for s in got.get("item") or ())


_HTTP_AUTH = {"NONE": AuthType.NONE, "AWS_IAM": AuthType.IAM, "JWT": AuthType.JWT, "CUSTOM": AuthType.LAMBDA}


def _http_apis(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    for http in api.pages("apigatewayv2", "GetApis", "Items", f"HTTP APIs in {unit.region}"):
        api_id = str(http["ApiId"])
        arn = f"arn:aws:apigateway:{unit.region}::/apis/{api_id}"
        loc = at(arn, api_id)
        websocket = str(http.get("ProtocolType")) == "WEBSOCKET"
        integrations = {str(i["IntegrationId"]): i for i in
                        (api.call("apigatewayv2", "GetIntegrations", arn, ApiId=api_id) or {}).get("Items") or ()}
        authorizers = {str(a["AuthorizerId"]): a for a in
                       (api.call("apigatewayv2", "GetAuthorizers", arn, ApiId=api_id) or {}).get("Items") or ()}
        routes: list[Trigger] = []
        for route in (api.call("apigatewayv2", "GetRoutes", arn, ApiId=api_id) or {}).get("Items") or ():
            target = str(route.get("Target") or "")
            integration = integrations.get(target.removeprefix("integrations/"))
            fn = _function_name(str((integration or {}).get("IntegrationUri") or ""))
            if fn not in wanted:
                continue
            key = str(route.get("RouteKey") or "")
            verb, _, path = key.partition(" ")
            auth_type = str(route.get("AuthorizationType") or "NONE")
            authorizer = authorizers.get(str(route.get("AuthorizerId")))
            route_id = f"{api_id}:{key}"
            rloc = at(f"{arn}/routes/{route.get('RouteId')}", route_id)
            routes.append(Trigger(
                route_id, rloc, kind=TriggerKind.OTHER if websocket else TriggerKind.HTTP_API, function=fn,
                source=api_id, api=api_id, method=None if websocket else verb.upper(),
                path=path or key, auth=Auth(_HTTP_AUTH.get(auth_type, AuthType.UNKNOWN), rloc,
                                            authorizer=str(authorizer["Name"]) if authorizer else None,
                                            api_key_required=bool(route.get("ApiKeyRequired")),
                                            detail=f"AuthorizationType {auth_type}")))
        if not routes:
            continue
        stages = tuple(
            Stage(str(s["StageName"]), at(f"{arn}/stages/{s['StageName']}", f"{api_id}/{s['StageName']}"),
                  access_logging=bool((s.get("AccessLogSettings") or {}).get("DestinationArn")),
                  waf=False, id=f"{api_id}/{s['StageName']}")
            for s in (api.call("apigatewayv2", "GetStages", arn, ApiId=api_id) or {}).get("Items") or ())
        parts.apis.append(ApiNode(api_id, loc, kind=TriggerKind.OTHER if websocket else TriggerKind.HTTP_API,
                                  name=http.get("Name"), stages=stages))
        parts.triggers.extend(routes)


# --------------------------------------------------------------------------------- S3, SQS, SNS, events


def _buckets(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    listed = api.call("s3", "ListBuckets", f"buckets of {unit.account}") or {}
    for bucket in listed.get("Buckets") or ():
        name = str(bucket["Name"])
        region = bucket.get("BucketRegion")
        if region is None:
            where = api.call("s3", "GetBucketLocation", name, Bucket=name)
            region = ((where or {}).get("LocationConstraint") or "us-east-1") if where is not None else None
        if region != unit.region:
            continue
        arn = f"arn:aws:s3:::{name}"
        loc = at(arn, name)
        policy = api.call("s3", "GetBucketPolicy", name, Bucket=name)
        document = parse_document(_doc(policy["Policy"]), loc) if policy else None
        parts.resources.append(Resource(name, loc, type="AWS::S3::Bucket", category=ResourceCategory.BUCKET,
                                        name=name, arn=arn, resource_policy=document))
        notes = api.call("s3", "GetBucketNotificationConfiguration", name, Bucket=name) or {}
        for index, cfg in enumerate(notes.get("LambdaFunctionConfigurations") or ()):
            fn = _function_name(str(cfg.get("LambdaFunctionArn", "")))
            if fn not in wanted:
                continue
            trigger_id = f"{name}:{cfg.get('Id') or index + 1}"
            parts.triggers.append(Trigger(trigger_id, at(arn, trigger_id), kind=TriggerKind.S3, function=fn,
                                          source=name))


def _queues(api: Api, parts: _Parts) -> None:
    for url in api.pages("sqs", "ListQueues", "QueueUrls", "queues"):
        got = api.call("sqs", "GetQueueAttributes", str(url), QueueUrl=url, AttributeNames=["All"])
        attrs = (got or {}).get("Attributes") or {}
        arn = str(attrs.get("QueueArn") or url)
        name = arn.rsplit(":", 1)[-1]
        loc = at(arn, name)
        policy = attrs.get("Policy")
        parts.resources.append(Resource(
            name, loc, type="AWS::SQS::Queue", category=ResourceCategory.QUEUE, name=name, arn=arn,
            resource_policy=parse_document(_doc(policy), loc) if policy else None))


def _topics(api: Api, wanted: set[str], parts: _Parts) -> None:
    for topic in api.pages("sns", "ListTopics", "Topics", "topics"):
        arn = str(topic["TopicArn"])
        name = arn.rsplit(":", 1)[-1]
        loc = at(arn, name)
        got = api.call("sns", "GetTopicAttributes", arn, TopicArn=arn)
        policy = ((got or {}).get("Attributes") or {}).get("Policy")
        parts.resources.append(Resource(
            name, loc, type="AWS::SNS::Topic", category=ResourceCategory.TOPIC, name=name, arn=arn,
            resource_policy=parse_document(_doc(policy), loc) if policy else None))
        for sub in api.pages("sns", "ListSubscriptionsByTopic", "Subscriptions", arn, TopicArn=arn):
            if sub.get("Protocol") != "lambda":
                continue
            fn = _function_name(str(sub.get("Endpoint", "")))
            if fn not in wanted:
                continue
            sub_arn = str(sub.get("SubscriptionArn"))
            attrs = (api.call("sns", "GetSubscriptionAttributes", sub_arn, SubscriptionArn=sub_arn)
                     or {}).get("Attributes") or {}
            redrive = _doc(attrs.get("RedrivePolicy")) if attrs.get("RedrivePolicy") else None
            dlq = redrive.get("deadLetterTargetArn") if isinstance(redrive, Mapping) else None
            parts.triggers.append(Trigger(
                sub_arn, at(sub_arn, name), kind=TriggerKind.SNS, function=fn, source=arn,
                on_failure=Destination("redrive", str(dlq), at(sub_arn, name)) if dlq else None))


def _event_rules(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    for rule in api.pages("events", "ListRules", "Rules", f"EventBridge rules in {unit.region}"):
        rule_arn = str(rule.get("Arn"))
        name = str(rule.get("Name"))
        schedule = rule.get("ScheduleExpression")
        targets = (api.call("events", "ListTargetsByRule", rule_arn, Rule=name,
                            EventBusName=rule.get("EventBusName") or "default") or {}).get("Targets") or ()
        for target in targets:
            fn = _function_name(str(target.get("Arn", "")))
            if fn not in wanted:
                continue
            dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
            trigger_id = f"{name}:{target.get('Id')}"
            parts.triggers.append(Trigger(
                trigger_id, at(rule_arn, trigger_id),
                kind=TriggerKind.SCHEDULE if schedule else TriggerKind.EVENTBRIDGE, function=fn,
                source=str(schedule or rule.get("EventPattern") or rule_arn),
                on_failure=Destination("dlq", str(dlq), at(rule_arn, trigger_id)) if dlq else None))


# ------------------------------------------------------------------------------------ network, data


def _security_groups(api: Api, parts: _Parts) -> None:
    ids = sorted({g for fn in parts.functions if fn.vpc for g in fn.vpc.security_group_ids if isinstance(g, str)})
    if not ids:
        return
    for group in api.pages("ec2", "DescribeSecurityGroups", "SecurityGroups", ", ".join(ids), GroupIds=ids):
        gid = str(group["GroupId"])
        arn = f"arn:aws:ec2:{api.region}:{group.get('OwnerId', '')}:security-group/{gid}"
        loc = at(arn, gid)
        rules: list[SecurityGroupRule] = []
        for perm in group.get("IpPermissionsEgress") or ():
            cidrs: Sequence[str | None] = [r.get("CidrIp") for r in perm.get("IpRanges") or ()] + \
                [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or ()]
            peers = [p.get("GroupId") for p in perm.get("UserIdGroupPairs") or ()]
            for cidr in cidrs or ([None] if not peers else []):
                rules.append(SecurityGroupRule("egress", str(perm.get("IpProtocol", "-1")), perm.get("FromPort"),
                                               perm.get("ToPort"), cidr, loc))
            for peer in peers:
                rules.append(SecurityGroupRule("egress", str(perm.get("IpProtocol", "-1")), perm.get("FromPort"),
                                               perm.get("ToPort"), None, loc, destination_group=peer))
        parts.security_groups.append(SecurityGroup(gid, loc, rules=tuple(rules), vpc_id=group.get("VpcId")))


def _secrets(api: Api, parts: _Parts) -> None:
    """Secrets Manager metadata only (names, ARNs, KMS keys): `ListSecrets` never returns values."""
    for secret in api.pages("secretsmanager", "ListSecrets", "SecretList", "secrets"):
        arn = str(secret.get("ARN"))
        name = str(secret.get("Name"))
        parts.resources.append(Resource(name, at(arn, name), type="AWS::SecretsManager::Secret",
                                        category=ResourceCategory.SECRET, name=name, arn=arn))


def _parameters(api: Api, parts: _Parts) -> None:
    """SSM Parameter Store metadata only (name, type, KMS key, tier): `DescribeParameters` never returns values,
    and `GetParameter*` is never called."""
    for param in api.pages("ssm", "DescribeParameters", "Parameters", "parameters"):
        name = str(param.get("Name"))
        arn = str(param.get("ARN") or f"arn:aws:ssm:{api.region}::parameter/{name.lstrip('/')}")
        parts.resources.append(Resource(
            name, at(arn, name), type="AWS::SSM::Parameter", category=ResourceCategory.PARAMETER, name=name,
            arn=arn, properties={"live": {"type": param.get("Type"), "kms_key": param.get("KeyId"),
                                          "tier": param.get("Tier")}}))


# ---------------------------------------------------------------------------------------------- ECS


def _ecs(api: Api, unit: UnitSpec, parts: _Parts, roles: dict[str, Role]) -> None:
    """The task definitions ECS services run (what is in use, not every registered revision), each container
    modelled as the ECS loader models a task definition file; task and execution roles are read like
    execution roles so the IAM rules judge them too."""
    from faasguard.loaders._containers import ecs_container

    in_use: dict[str, list[str]] = {}
    for cluster in api.pages("ecs", "ListClusters", "clusterArns", f"ECS clusters in {unit.region}"):
        services = api.pages("ecs", "ListServices", "serviceArns", str(cluster), cluster=cluster)
        for start in range(0, len(services), 10):  # DescribeServices takes at most 10
            got = api.call("ecs", "DescribeServices", str(cluster), cluster=cluster,
                           services=services[start:start + 10]) or {}
            for service in got.get("services") or ():
                task = service.get("taskDefinition")
                if isinstance(task, str):
                    in_use.setdefault(task, []).append(str(service.get("serviceName")))
    for task_arn in sorted(in_use):
        got = api.call("ecs", "DescribeTaskDefinition", task_arn, taskDefinition=task_arn) or {}
        task = got.get("taskDefinition")
        if not isinstance(task, Mapping):
            continue
        family = str(task.get("family") or task_arn.rsplit("/", 1)[-1].split(":", 1)[0])
        loc = at(task_arn, family)
        role_names: dict[str, str | None] = {}
        for key in ("taskRoleArn", "executionRoleArn"):
            role_arn = task.get(key)
            name = role_arn.rsplit("/", 1)[-1] if isinstance(role_arn, str) and role_arn else None
            if name is not None and name not in roles:
                roles[name] = _role(api, name)
            if name is not None:
                parts.roles[name] = roles[name]
            role_names[key] = name
        for definition in task.get("containerDefinitions") or ():
            if isinstance(definition, Mapping):
                parts.containers.append(ecs_container(
                    definition, loc, family, task_role=role_names["taskRoleArn"],
                    execution_role=role_names["executionRoleArn"], task_cpu=task.get("cpu"),
                    task_memory=task.get("memory")))


def calls_made() -> Iterable[tuple[str, str]]:
    """Every (service, operation) the collector may call: the source of `--print-policy`."""
    return (
        ("lambda", "ListFunctions"), ("lambda", "GetFunction"), ("lambda", "GetPolicy"),
        ("lambda", "GetFunctionUrlConfig"), ("lambda", "GetFunctionEventInvokeConfig"),
        ("lambda", "GetFunctionCodeSigningConfig"), ("lambda", "ListEventSourceMappings"),
        ("lambda", "GetLayerVersionByArn"),
        ("iam", "GetRole"), ("iam", "ListRolePolicies"), ("iam", "GetRolePolicy"),
        ("iam", "ListAttachedRolePolicies"), ("iam", "GetPolicy"), ("iam", "GetPolicyVersion"),
        ("apigateway", "GetRestApis"), ("apigateway", "GetResources"), ("apigateway", "GetMethod"),
        ("apigateway", "GetAuthorizers"), ("apigateway", "GetStages"),
        ("apigatewayv2", "GetApis"), ("apigatewayv2", "GetRoutes"), ("apigatewayv2", "GetIntegrations"),
        ("apigatewayv2", "GetAuthorizers"), ("apigatewayv2", "GetStages"),
        ("s3", "ListBuckets"), ("s3", "GetBucketLocation"), ("s3", "GetBucketPolicy"),
        ("s3", "GetBucketNotificationConfiguration"),
        ("sqs", "ListQueues"), ("sqs", "GetQueueAttributes"),
        ("sns", "ListTopics"), ("sns", "GetTopicAttributes"), ("sns", "ListSubscriptionsByTopic"),
        ("sns", "GetSubscriptionAttributes"),
        ("events", "ListRules"), ("events", "ListTargetsByRule"),
        ("ec2", "DescribeSecurityGroups"), ("ec2", "DescribeRegions"),
        ("secretsmanager", "ListSecrets"), ("ssm", "DescribeParameters"),
        ("ecs", "ListClusters"), ("ecs", "ListServices"), ("ecs", "DescribeServices"),
        ("ecs", "DescribeTaskDefinition"),
        ("cloudtrail", "LookupEvents"),
        ("sts", "GetCallerIdentity"), ("sts", "AssumeRole"),
    )
