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
    BucketSettings,
    CodeLocation,
    Container,
    Destination,
    EcrRepositorySettings,
    EnvVar,
    Function,
    Layer,
    Location,
    Permission,
    Policy,
    PolicyDocument,
    PolicyKind,
    PublicAccessBlock,
    RegistryScanning,
    RegistryScanRule,
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

NOT_COLLECTED = (
    "not collected by the audit, so the rules reading them cannot fire on it: VPC-only data stores (RDS, "
    "ElastiCache, Redshift, DocumentDB, MemoryDB, Neptune) and subnet route tables (FG308); DynamoDB tables, "
    "KMS keys and other data resources (IAM reach and attack paths judge them by the ARNs policies name); layer "
    "contents (FG601/FG602 on layers); ECS tasks run outside services")
"""What a rule reads and the live model leaves empty: said once per unit, never silently absent."""

#: Code fetcher: (function configuration, Code.Location URL) → CodeLocation of the unpacked package, or None.
CodeFetcher = Callable[[Mapping[str, Any], str], CodeLocation | None]


@dataclass
class UnitSpec:
    account: str
    region: str
    functions: tuple[str, ...] = ()
    """Only these function names/ARNs (empty: all)."""
    workers: int = 8
    tags: bool = False
    """Read each function's tags (`--compare` matches functions by their CloudFormation tags)."""


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
    registry_scanning: list[RegistryScanning] = field(default_factory=list)
    task_roles: list[str] = field(default_factory=list)
    """Role names ECS task definitions in use name (read with the execution roles)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def merge(self, other: _Parts) -> None:
        self.triggers.extend(other.triggers)
        self.apis.extend(other.apis)
        self.resources.extend(other.resources)
        self.containers.extend(other.containers)
        self.registry_scanning.extend(other.registry_scanning)
        self.task_roles.extend(n for n in other.task_roles if n not in self.task_roles)
        self.diagnostics.extend(other.diagnostics)


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
    """Read one region of one account into an `Application` (name `aws:<account>:<region>`).

    Everything runs on one bounded pool sharing the unit's clients (boto3 clients are thread-safe, sessions
    are not): the per-function calls and the region-wide list sections at once, then what depends on both
    (reserved concurrency of triggered functions, roles, layers, security groups). Each section fills its own
    `_Parts`, merged in a fixed order, so a report never depends on which call returned first."""
    parts = _Parts()
    where = at(f"arn:aws:::{unit.account}:{unit.region}", f"{unit.account}/{unit.region}")
    configs = _list_functions(api, unit)
    wanted = {c["FunctionName"] for c in configs}
    cache = role_cache if role_cache is not None else {}
    sections: list[Callable[[Api, UnitSpec, set[str], _Parts], None]] = [
        _event_source_mappings, _rest_apis, _http_apis, _buckets, _queues, _topics, _event_rules, _secrets,
        _parameters, _ecr]
    if not unit.functions:  # `--function` narrows the audit to functions: no tasks then
        sections.insert(0, _ecs)
    with ThreadPoolExecutor(max_workers=max(1, unit.workers)) as pool:
        running = [pool.submit(_section, section, api, unit, wanted) for section in sections]
        signing = pool.submit(_signing_configs, api, unit)
        details = list(pool.map(lambda c: _function_details(api, c, fetch_code, unit), configs))
        for fragment in (future.result() for future in running):
            parts.merge(fragment)
        _signing(api, pool, configs, details, signing.result())
        _concurrency(api, pool, configs, details, parts)
        for config, extra in zip(configs, details, strict=True):
            fn, perms, trig, diags = _function(config, extra, unit)
            parts.functions.append(fn)
            parts.permissions.extend(perms)
            parts.triggers.extend(trig)
            parts.diagnostics.extend(diags)
        _roles(api, pool, parts, cache)
        _layers(api, pool, unit, parts)
    _security_groups(api, parts)
    parts.diagnostics.extend(api.diagnostics(where))
    parts.diagnostics.append(Diagnostic(DiagnosticKind.UNSUPPORTED, NOT_COLLECTED, where, DiagnosticLevel.NOTE,
                                        "audit"))
    app = Application(
        name=f"aws:{unit.account}:{unit.region}", source=SourceKind.LIVE, root="", files=(),
        functions=tuple(parts.functions), roles=tuple(parts.roles.values()), triggers=tuple(parts.triggers),
        apis=tuple(parts.apis), permissions=tuple(parts.permissions), layers=tuple(parts.layers.values()),
        security_groups=tuple(parts.security_groups), resources=tuple(parts.resources),
        containers=tuple(parts.containers), registry_scanning=tuple(parts.registry_scanning),
        account_id=unit.account)
    return app, parts.diagnostics


def _section(section: Callable[[Api, UnitSpec, set[str], _Parts], None], api: Api, unit: UnitSpec,
             wanted: set[str]) -> _Parts:
    fragment = _Parts()
    section(api, unit, wanted, fragment)
    return fragment


# ------------------------------------------------------------------------------------------- Lambda


def _list_functions(api: Api, unit: UnitSpec) -> list[dict[str, Any]]:
    configs = api.pages("lambda", "ListFunctions", "Functions", f"functions in {unit.region}")
    if unit.functions:
        names = {_function_name(f) for f in unit.functions}
        configs = [c for c in configs if c.get("FunctionName") in names]
    return sorted(configs, key=lambda c: str(c.get("FunctionName")))


def _function_details(api: Api, config: Mapping[str, Any], fetch_code: CodeFetcher | None,
                      unit: UnitSpec) -> dict[str, Any]:
    """The per-function calls. `GetFunction` only where its answer is needed (the package location for
    `--with-code`, the image URI, tags for `--compare`): `ListFunctions` already returned the configuration,
    and reserved concurrency is read afterwards for triggered functions only (`_concurrency`)."""
    name = str(config["FunctionName"])
    arn = str(config.get("FunctionArn", name))
    out: dict[str, Any] = {}
    package = config.get("PackageType", "Zip")
    if fetch_code is not None or package == "Image" or unit.tags:
        got = api.call("lambda", "GetFunction", arn, FunctionName=name)
        if got:
            out["tags"] = got.get("Tags") or {}
            out["concurrency"] = (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
            out["code"] = got.get("Code") or {}
    policy = api.call("lambda", "GetPolicy", arn, FunctionName=name)
    out["policy"] = _doc(policy.get("Policy")) if policy else None
    out["url"] = api.call("lambda", "GetFunctionUrlConfig", arn, FunctionName=name)
    out["invoke_config"] = api.call("lambda", "GetFunctionEventInvokeConfig", arn, FunctionName=name)
    if fetch_code is not None and package == "Zip":
        location = (out.get("code") or {}).get("Location")
        if isinstance(location, str) and location:
            out["code_location"] = fetch_code(config, location)
    return out


def _signing_configs(api: Api, unit: UnitSpec) -> dict[str, str | None] | None:
    """Function ARN → its code signing config, from the region's few signing configs (two list calls instead
    of one call per function). None when the listing is refused or not supported: each function is then
    asked (`GetFunctionCodeSigningConfig`), so a refusal costs calls, never the answer."""
    configs = api.try_pages("lambda", "ListCodeSigningConfigs", "CodeSigningConfigs")
    if configs is None:
        return None
    signed: dict[str, str | None] = {}
    for signing in configs:
        config_arn = str(signing.get("CodeSigningConfigArn"))
        functions = api.try_pages("lambda", "ListFunctionsByCodeSigningConfig", "FunctionArns",
                                  CodeSigningConfigArn=config_arn)
        if functions is None:
            return None
        signed.update({str(f): config_arn for f in functions})
    return signed


def _signing(api: Api, pool: ThreadPoolExecutor, configs: Sequence[Mapping[str, Any]],
             details: Sequence[dict[str, Any]], signed: Mapping[str, str | None] | None) -> None:
    if signed is not None:
        for config, extra in zip(configs, details, strict=True):
            extra["signing"] = signed.get(str(config.get("FunctionArn")))
        return

    def read(item: tuple[Mapping[str, Any], dict[str, Any]]) -> None:
        config, extra = item
        name = str(config["FunctionName"])
        got = api.call("lambda", "GetFunctionCodeSigningConfig", str(config.get("FunctionArn", name)),
                       FunctionName=name)
        extra["signing"] = (got or {}).get("CodeSigningConfigArn")

    list(pool.map(read, zip(configs, details, strict=True)))


def _concurrency(api: Api, pool: ThreadPoolExecutor, configs: Sequence[Mapping[str, Any]],
                 details: Sequence[dict[str, Any]], parts: _Parts) -> None:
    """Reserved concurrency matters where a function can be invoked from outside (FG403 asks it of public
    functions only): it is read for functions with a trigger, a URL or a resource policy. For the others it
    is an `Unknown` saying it was not read, never a guessed "none"."""
    triggered = {t.function for t in parts.triggers}
    todo: list[tuple[Mapping[str, Any], dict[str, Any]]] = []
    for config, extra in zip(configs, details, strict=True):
        if "concurrency" in extra:
            continue
        if config["FunctionName"] in triggered or extra.get("url") or extra.get("policy"):
            todo.append((config, extra))
        else:
            extra["concurrency"] = Unknown("reserved concurrency not read: the function has no trigger, URL or "
                                           "resource policy")

    def read(item: tuple[Mapping[str, Any], dict[str, Any]]) -> None:
        config, extra = item
        name = str(config["FunctionName"])
        got = api.call("lambda", "GetFunctionConcurrency", str(config.get("FunctionArn", name)),
                       FunctionName=name)
        extra["concurrency"] = (got or {}).get("ReservedConcurrentExecutions") if got is not None else \
            Unknown("GetFunctionConcurrency failed")

    list(pool.map(read, todo))


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


def _layers(api: Api, pool: ThreadPoolExecutor, unit: UnitSpec, parts: _Parts) -> None:
    """Layer nodes for the layers of this account the functions use (others' layers stay ARNs)."""
    arns = [arn for arn in sorted({layer for fn in parts.functions for layer in fn.layers if isinstance(layer, str)})
            if len(arn.split(":")) >= 8 and arn.split(":")[4] == unit.account]
    for arn, got in zip(arns, pool.map(lambda a: api.call("lambda", "GetLayerVersionByArn", a, Arn=a), arns),
                        strict=True):
        if got is None:
            continue
        name = arn.split(":")[6]
        parts.layers[arn] = Layer(arn, at(arn, name), arn=arn, name=name,
                                  compatible_runtimes=tuple(got.get("CompatibleRuntimes") or ()))


# ---------------------------------------------------------------------------------------------- IAM


def _roles(api: Api, pool: ThreadPoolExecutor, parts: _Parts, cache: dict[str, Role]) -> None:
    """Each role once, concurrently: those of ECS tasks in use, then the execution roles (IAM is global: the
    cache is shared by the units of one account)."""
    names = list(dict.fromkeys([*parts.task_roles,
                                *sorted({fn.role for fn in parts.functions if isinstance(fn.role, str)})]))
    missing = [name for name in names if name not in cache]
    cache.update(zip(missing, pool.map(lambda name: _role(api, name), missing), strict=True))
    for name in names:
        parts.roles[name] = cache[name]


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
    account_block: list[Any] = []  # read once, for the first bucket that needs it
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
        settings = _bucket_access(api, unit, name, document is not None, account_block)
        parts.resources.append(Resource(name, loc, type="AWS::S3::Bucket", category=ResourceCategory.BUCKET,
                                        name=name, arn=arn, resource_policy=document, bucket=settings))
        notes = api.call("s3", "GetBucketNotificationConfiguration", name, Bucket=name) or {}
        for index, cfg in enumerate(notes.get("LambdaFunctionConfigurations") or ()):
            fn = _function_name(str(cfg.get("LambdaFunctionArn", "")))
            if fn not in wanted:
                continue
            trigger_id = f"{name}:{cfg.get('Id') or index + 1}"
            parts.triggers.append(Trigger(trigger_id, at(arn, trigger_id), kind=TriggerKind.S3, function=fn,
                                          source=name))


_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _bucket_access(api: Api, unit: UnitSpec, name: str, has_policy: bool,
                   account_block: list[Any]) -> BucketSettings:
    """What the bucket-exposure rules read, as the typed settings the loaders fill (`Resource.bucket`).

    Block Public Access is read only when there is something public for it to void (a policy, or an ACL grant
    to everyone), and is the *effective* setting: a flag is on when the bucket or the account turns it on. A
    setting that could not be read is an `Unknown`, which the rules treat as "may block" (no claim of public
    access the audit cannot prove); "not configured" is an absent key, which blocks nothing."""
    acl = api.call("s3", "GetBucketAcl", name, Bucket=name)
    public_write = any((g.get("Grantee") or {}).get("URI") == _ALL_USERS and g.get("Permission") in ("WRITE",
                                                                                                   "FULL_CONTROL")
                       for g in (acl or {}).get("Grants") or ())
    # everyone may write objects: what the canned ACL public-read-write grants, for the rules' purpose
    canned = "public-read-write" if public_write else None
    if not (has_policy or public_write):
        return BucketSettings(acl=canned)
    got = api.call("s3", "GetPublicAccessBlock", name, Bucket=name)
    bucket: Any = (got or {}).get("PublicAccessBlockConfiguration")
    if got is None and api.failed("s3", "GetPublicAccessBlock", name):
        bucket = Unknown(f"Block Public Access of bucket {name} could not be read")
    if not account_block:
        account_subject = f"account {unit.account}"
        read = api.call("s3control", "GetPublicAccessBlock", account_subject, AccountId=unit.account)
        account: Any = (read or {}).get("PublicAccessBlockConfiguration")
        if read is None and api.failed("s3control", "GetPublicAccessBlock", account_subject):
            account = Unknown(f"account-level Block Public Access of {unit.account} could not be read")
        account_block.append(account)
    effective = _effective_block(bucket, account_block[0])
    block: PublicAccessBlock | Unknown | None = None
    if isinstance(effective, Unknown):
        block = effective
    elif effective is not None:
        block = PublicAccessBlock(*(effective.get(flag) is True for flag in _BLOCK_FLAGS))
    return BucketSettings(acl=canned, public_access_block=block)


def _effective_block(bucket: Any, account: Any) -> Any:
    if bucket is None and account is None:
        return None
    for setting in (bucket, account):
        if isinstance(setting, Mapping) and all(setting.get(flag) is True for flag in _BLOCK_FLAGS):
            return dict(setting)  # fully on at one level: what the other says no longer matters
    unknown = next((s for s in (bucket, account) if isinstance(s, Unknown)), None)
    if unknown is not None:
        return unknown
    return {flag: any(isinstance(s, Mapping) and s.get(flag) is True for s in (bucket, account))
            for flag in _BLOCK_FLAGS}


def _queues(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
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


def _topics(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
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


def _secrets(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    """Secrets Manager metadata only (names, ARNs, KMS keys): `ListSecrets` never returns values."""
    for secret in api.pages("secretsmanager", "ListSecrets", "SecretList", "secrets"):
        arn = str(secret.get("ARN"))
        name = str(secret.get("Name"))
        parts.resources.append(Resource(name, at(arn, name), type="AWS::SecretsManager::Secret",
                                        category=ResourceCategory.SECRET, name=name, arn=arn))


def _parameters(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    """SSM Parameter Store metadata only (name, type, KMS key, tier): `DescribeParameters` never returns values,
    and `GetParameter*` is never called."""
    for param in api.pages("ssm", "DescribeParameters", "Parameters", "parameters"):
        name = str(param.get("Name"))
        arn = str(param.get("ARN") or f"arn:aws:ssm:{api.region}::parameter/{name.lstrip('/')}")
        parts.resources.append(Resource(
            name, at(arn, name), type="AWS::SSM::Parameter", category=ResourceCategory.PARAMETER, name=name,
            arn=arn, properties={"live": {"type": param.get("Type"), "kms_key": param.get("KeyId"),
                                          "tier": param.get("Tier")}}))


# ---------------------------------------------------------------------------------------------- ECR


def _ecr(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
    """ECR repositories (scan on push, tag mutability) and the registry's scanning configuration, which
    overrides a repository's own setting for the repositories its filters match (FG605)."""
    del wanted
    repositories = api.pages("ecr", "DescribeRepositories", "repositories", f"ECR repositories in {unit.region}")
    for repo in repositories:
        name = str(repo.get("repositoryName"))
        arn = str(repo.get("repositoryArn") or f"arn:aws:ecr:{unit.region}:{unit.account}:repository/{name}")
        scan = (repo.get("imageScanningConfiguration") or {}).get("scanOnPush")
        mutability = repo.get("imageTagMutability")
        parts.resources.append(Resource(
            name, at(arn, name), type="AWS::ECR::Repository", category=ResourceCategory.ECR_REPOSITORY, name=name,
            arn=arn, ecr=EcrRepositorySettings(scan_on_push=scan if isinstance(scan, bool) else None,
                                               tag_mutability=str(mutability) if mutability else None)))
    if not repositories:
        return
    registry_arn = f"arn:aws:ecr:{unit.region}:{unit.account}:registry"
    got = api.call("ecr", "GetRegistryScanningConfiguration", registry_arn)
    if got is None:
        # unread, the registry may scan every repository: an Unknown, so FG605 does not claim "no scanning"
        parts.registry_scanning.append(RegistryScanning(
            "registry", at(registry_arn, "registry"),
            rules=Unknown("the registry scanning configuration could not be read", at(registry_arn))))
        return
    config = got.get("scanningConfiguration") or {}
    rules = tuple(RegistryScanRule(rule.get("scanFrequency"),
                                   tuple(str(f.get("filter")) for f in rule.get("repositoryFilters") or ()))
                  for rule in config.get("rules") or ())
    parts.registry_scanning.append(RegistryScanning("registry", at(registry_arn, "registry"),
                                                    scan_type=config.get("scanType"), rules=rules))


# ---------------------------------------------------------------------------------------------- ECS


def _ecs(api: Api, unit: UnitSpec, wanted: set[str], parts: _Parts) -> None:
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
            if name is not None and name not in parts.task_roles:
                parts.task_roles.append(name)
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
        ("s3", "GetBucketNotificationConfiguration"), ("s3", "GetBucketAcl"), ("s3", "GetPublicAccessBlock"),
        ("s3control", "GetPublicAccessBlock"),
        ("sqs", "ListQueues"), ("sqs", "GetQueueAttributes"),
        ("sns", "ListTopics"), ("sns", "GetTopicAttributes"), ("sns", "ListSubscriptionsByTopic"),
        ("sns", "GetSubscriptionAttributes"),
        ("events", "ListRules"), ("events", "ListTargetsByRule"),
        ("ec2", "DescribeSecurityGroups"), ("ec2", "DescribeRegions"),
        ("secretsmanager", "ListSecrets"), ("ssm", "DescribeParameters"),
        ("ecs", "ListClusters"), ("ecs", "ListServices"), ("ecs", "DescribeServices"),
        ("ecs", "DescribeTaskDefinition"),
        ("ecr", "DescribeRepositories"), ("ecr", "GetRegistryScanningConfiguration"),
        ("lambda", "ListCodeSigningConfigs"), ("lambda", "ListFunctionsByCodeSigningConfig"),
        ("lambda", "GetFunctionConcurrency"),
        ("cloudtrail", "LookupEvents"),
        ("sts", "GetCallerIdentity"), ("sts", "AssumeRole"),
    )
