"""CloudFormation and SAM templates (YAML or JSON) → one `Application` per template.

The loader parses each file once (`loaders._yaml`, libyaml with positions), resolves intrinsics with
`loaders.intrinsics` (see its docstring for how deploy-time values are written: `${AWS::AccountId}`,
`${MyTable.Arn}`...), and maps resources onto the model. It makes no security judgement: rules do.

Ids and naming conventions (rules and reports depend on these):

* Every node's id is the resource's **logical id**; its `location` is the line of the logical id under
  `Resources`, and `field_locations[<model field>]` the line of the property (the `Globals` line when a SAM
  function inherits it).
* SAM function without `Role`: an implicit role with id **`<FunctionId>Role`** (SAM's own name), `implicit=True`,
  holding `AWSLambdaBasicExecutionRole` (plus `AWSLambdaVPCAccessExecutionRole` with `VpcConfig`,
  `AWSXrayWriteOnlyAccess` with `Tracing: Active`, and the SQS/Kinesis/DynamoDB/MSK poller policy for those
  events, as SAM attaches them; AWS managed policies have `document=None`), inline statements (policy name
  **`<FunctionId>RolePolicy<index>`**, index of the `Policies` item), managed policies, and expanded SAM policy
  templates (`PolicyKind.SAM_TEMPLATE`, name = the template name). Its location is the function's `Policies`
  line (the function's line when there is no `Policies`).
* `Role` given as an ARN or name of a role not in the template: a `Role` with `external=True` whose **id is the
  resolved ARN/name string** (so two functions naming the same external role share one node).
* Implicit APIs: **`ServerlessRestApi`** (REST, stage `Prod`, stage id `ServerlessRestApiProdStage`) and
  **`ServerlessHttpApi`** (HTTP, stage `$default`, stage id `ServerlessHttpApiApiGatewayDefaultStage`), both
  `implicit=True`, located at the first event that creates them. Explicit SAM APIs: stage id
  `<ApiId><StageName>Stage` (`<ApiId>ApiGatewayDefaultStage` for an HTTP API without `StageName`).
* Triggers: a SAM event is **`<FunctionId>.<EventName>`** (located at the event's name); a function URL is
  **`<FunctionId>Url`** for SAM `FunctionUrlConfig` and the `AWS::Lambda::Url` logical id otherwise; plain
  CloudFormation triggers use the logical id of the resource that creates them (`AWS::ApiGateway::Method`,
  `AWS::ApiGatewayV2::Route`, `AWS::Lambda::EventSourceMapping`, `AWS::SNS::Subscription`), or
  **`<ResourceId>.<index|TargetId>`** for triggers nested in another resource (an S3 bucket's
  `LambdaConfigurations[index]`, an `AWS::Events::Rule` target's `Id`, an SNS topic's `Subscription[index]`).
* HTTP trigger auth: `AuthType.API_KEY` when no authorizer applies but an API key is required; `UNKNOWN` when the
  authorization may be defined where we cannot see it (an external OpenAPI `DefinitionUri`, an unresolvable
  authorizer). `Auth.detail` says where the decision came from.
* SAM-generated invoke permissions (for events and function URLs) are *not* modelled as `Permission`s: SAM
  scopes them itself; only `AWS::Lambda::Permission` resources are.
* Bucket, queue and topic policies (`AWS::S3::BucketPolicy`, `AWS::SQS::QueuePolicy`, `AWS::SNS::TopicPolicy`)
  become the target `Resource`'s `resource_policy` (statements merged when several name one resource).
* A resource whose `Condition` is known to be false is not deployed and is skipped; an unknown condition keeps
  it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult
from faasguard.loaders._budget import Budget, BudgetExceededError, isolated
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, parse_yaml_text, read_text
from faasguard.loaders.intrinsics import Resolver, is_symbolic, references
from faasguard.model import (
    Api,
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
    Parameter,
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
    SourceSuppression,
    Stage,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
    VpcConfig,
)
from faasguard.sources import SourceFile

log = logging.getLogger(__name__)

COMPONENT = "cloudformation loader"

__all__ = ["build_application", "load", "parse_template"]

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_ROLE_TYPES = ("AWS::IAM::Role",)
_SG_TYPES = ("AWS::EC2::SecurityGroup",)
_API_TYPES = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGateway::RestApi",
              "AWS::ApiGatewayV2::Api")
_AWS_MANAGED = re.compile(r"^arn:(?:aws|aws-[a-z-]+|\$\{AWS::Partition\}):iam::aws:policy/(?:.*/)?([^/]+)$")
_POLICY_ARN = "arn:aws:iam::aws:policy/"

CATEGORIES: dict[str, ResourceCategory] = {
    "AWS::RDS::DBInstance": ResourceCategory.RDS,
    "AWS::RDS::DBCluster": ResourceCategory.RDS,
    "AWS::RDS::DBProxy": ResourceCategory.RDS,
    "AWS::ElastiCache::CacheCluster": ResourceCategory.ELASTICACHE,
    "AWS::ElastiCache::ReplicationGroup": ResourceCategory.ELASTICACHE,
    "AWS::ElastiCache::ServerlessCache": ResourceCategory.ELASTICACHE,
    "AWS::Redshift::Cluster": ResourceCategory.REDSHIFT,
    "AWS::DocDB::DBCluster": ResourceCategory.DOCUMENTDB,
    "AWS::DocDB::DBInstance": ResourceCategory.DOCUMENTDB,
    "AWS::OpenSearchService::Domain": ResourceCategory.OPENSEARCH,
    "AWS::Elasticsearch::Domain": ResourceCategory.OPENSEARCH,
    "AWS::MemoryDB::Cluster": ResourceCategory.MEMORYDB,
    "AWS::Neptune::DBCluster": ResourceCategory.NEPTUNE,
    "AWS::Neptune::DBInstance": ResourceCategory.NEPTUNE,
    "AWS::DynamoDB::Table": ResourceCategory.TABLE,
    "AWS::DynamoDB::GlobalTable": ResourceCategory.TABLE,
    "AWS::Serverless::SimpleTable": ResourceCategory.TABLE,
    "AWS::S3::Bucket": ResourceCategory.BUCKET,
    "AWS::SQS::Queue": ResourceCategory.QUEUE,
    "AWS::SNS::Topic": ResourceCategory.TOPIC,
    "AWS::Kinesis::Stream": ResourceCategory.STREAM,
    "AWS::KinesisFirehose::DeliveryStream": ResourceCategory.STREAM,
    "AWS::SecretsManager::Secret": ResourceCategory.SECRET,
    "AWS::SSM::Parameter": ResourceCategory.PARAMETER,
    "AWS::KMS::Key": ResourceCategory.KMS_KEY,
    "AWS::ECR::Repository": ResourceCategory.ECR_REPOSITORY,
    "AWS::StepFunctions::StateMachine": ResourceCategory.STATE_MACHINE,
    "AWS::Serverless::StateMachine": ResourceCategory.STATE_MACHINE,
    "AWS::Events::EventBus": ResourceCategory.EVENT_BUS,
    "AWS::Logs::LogGroup": ResourceCategory.LOG_GROUP,
    "AWS::Cognito::UserPool": ResourceCategory.USER_POOL,
}

_RESOURCE_POLICY_TYPES: dict[str, tuple[str, str]] = {
    "AWS::S3::BucketPolicy": ("Bucket", "AWS::S3::Bucket"),
    "AWS::SQS::QueuePolicy": ("Queues", "AWS::SQS::Queue"),
    "AWS::SNS::TopicPolicy": ("Topics", "AWS::SNS::Topic"),
}
"""Resource-policy type → (property naming the targets, target resource type)."""

_SECRET_ATTRIBUTES: dict[str, frozenset[str]] = {
    "AWS::IAM::AccessKey": frozenset({"SecretAccessKey"}),
    "AWS::Cognito::UserPoolClient": frozenset({"ClientSecret"}),
    "AWS::AppSync::ApiKey": frozenset({"ApiKey"}),
}

_SAM_EVENT_KINDS: dict[str, TriggerKind] = {
    "Api": TriggerKind.REST_API,
    "HttpApi": TriggerKind.HTTP_API,
    "S3": TriggerKind.S3,
    "SQS": TriggerKind.SQS,
    "SNS": TriggerKind.SNS,
    "Schedule": TriggerKind.SCHEDULE,
    "ScheduleV2": TriggerKind.SCHEDULE,
    "EventBridgeRule": TriggerKind.EVENTBRIDGE,
    "CloudWatchEvent": TriggerKind.EVENTBRIDGE,
    "DynamoDB": TriggerKind.DYNAMODB_STREAM,
    "Kinesis": TriggerKind.KINESIS,
    "MSK": TriggerKind.KAFKA,
    "SelfManagedKafka": TriggerKind.KAFKA,
    "MQ": TriggerKind.MQ,
    "Cognito": TriggerKind.COGNITO,
    "IoTRule": TriggerKind.IOT,
    "CloudWatchLogs": TriggerKind.CLOUDWATCH_LOGS,
    "AlexaSkill": TriggerKind.OTHER,
    "DocumentDB": TriggerKind.OTHER,
}

_SAM_EVENT_SOURCE_PROP: dict[str, str] = {
    "S3": "Bucket", "SQS": "Queue", "SNS": "Topic", "Schedule": "Schedule", "ScheduleV2": "ScheduleExpression",
    "DynamoDB": "Stream", "Kinesis": "Stream", "MSK": "Stream", "MQ": "Broker", "Cognito": "UserPool",
    "IoTRule": "Sql", "CloudWatchLogs": "LogGroupName", "DocumentDB": "Cluster",
}

_POLLER_POLICIES = {
    "SQS": "AWSLambdaSQSQueueExecutionRole",
    "Kinesis": "AWSLambdaKinesisExecutionRole",
    "DynamoDB": "AWSLambdaDynamoDBExecutionRole",
    "MSK": "AWSLambdaMSKExecutionRole",
}

_PY_SUFFIXES = (".py",)
_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")


# ----------------------------------------------------------------------------------------------- entry


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        with isolated(result.diagnostics, COMPONENT, source.display):
            # one budget for parsing and modelling: an alias expanded by FindInMap or Globals pays again
            budget = ctx.budget_for(source.display)
            diagnostics: list[Diagnostic] = []
            template = parse_template(source.path, source.display, diagnostics, budget)
            if template is None:
                result.diagnostics.extend(diagnostics)
                continue
            app, build_diagnostics = build_application(template, source.path, source.display, ctx, budget=budget)
            result.diagnostics.extend(diagnostics)
            result.diagnostics.extend(build_diagnostics)
            result.apps.append(app)
    return result


def parse_template(path: Path, display: str, diagnostics: list[Diagnostic],
                   budget: Budget | None = None) -> LocatedDict | None:
    """The template's top-level mapping, or None with a located diagnostic when it is not a usable template."""
    try:
        text = read_text(path, display)
        if path.suffix.lower() == ".json" or text.lstrip()[:1] == "{":
            data = parse_json_text(text, display, budget)
        else:
            documents = parse_yaml_text(text, display, budget)
            data = documents[0] if documents else None
    except BudgetExceededError:
        raise
    except ParseError as exc:
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                      DiagnosticLevel.ERROR, COMPONENT))
        return None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        where = data.loc() if isinstance(data, LocatedDict) else Location(display)
        diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR,
                                      "not a CloudFormation template: no Resources mapping", where,
                                      DiagnosticLevel.WARNING, COMPONENT))
        return None
    if not isinstance(data, LocatedDict):  # plain-json fallback lost positions; keep going at line 1
        data = _relocate(data, display)
    template: LocatedDict = data
    return template


def _relocate(value: Any, display: str) -> Any:
    if isinstance(value, dict):
        out = LocatedDict(display, 1, 1)
        for key, item in value.items():
            out[str(key)] = _relocate(item, display)
        return out
    if isinstance(value, list):
        seq = LocatedList(display, 1, 1)
        for item in value:
            seq.append(_relocate(item, display))
            seq.item_locs.append((1, 1))
        return seq
    return value


def is_sam(template: Mapping[str, Any]) -> bool:
    transform = template.get("Transform")
    items = transform if isinstance(transform, list) else [transform]
    return any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in items)


def build_application(template: LocatedDict, path: Path, display: str, ctx: LoadContext | None, *,
                      source: SourceKind | None = None, name: str | None = None,
                      asset_root: Path | None = None,
                      construct_paths: Mapping[str, str] | None = None,
                      budget: Budget | None = None) -> tuple[Application, list[Diagnostic]]:
    """Map one parsed template onto an `Application` (also used by the CDK loader for each stack).

    Raises `BudgetExceededError` when resolving the template builds more than `budget` allows."""
    builder = _Builder(template, path, display, ctx, asset_root=asset_root, construct_paths=construct_paths or {},
                       budget=budget)
    kind = source or (SourceKind.SAM if is_sam(template) else SourceKind.CLOUDFORMATION)
    try:
        builder.build()
    except RecursionError:
        builder.diagnostics.append(Diagnostic(DiagnosticKind.UNRESOLVED, "template nests too deep to model",
                                              Location(display), DiagnosticLevel.WARNING, COMPONENT))
    app = Application(
        name=name or display, source=kind, root=str(path.parent), files=(display,),
        functions=tuple(builder.functions.values()), roles=tuple(builder.roles.values()),
        triggers=tuple(builder.triggers), apis=tuple(builder.api_nodes()),
        permissions=tuple(builder.permissions), layers=tuple(builder.layers),
        security_groups=tuple(builder.security_groups), resources=tuple(builder.data_resources),
        containers=tuple(builder.containers),
        parameters=tuple(builder.parameters), suppressions=tuple(builder.suppressions))
    return app, builder.diagnostics


# -------------------------------------------------------------------------------------------- helpers


def _as_int(value: Any, where: Location) -> int | Unknown | None:
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown("not a number", where)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        if len(value) > 4000:  # above int()'s str-digits limit; no property takes such a number
            return Unknown("number with too many digits", where)
        return int(value.strip())
    return Unknown(f"not a number: {value!s}"[:120], where)


def _as_str(value: Any, where: Location) -> str | Unknown | None:
    if value is None:
        return None
    if isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return Unknown("not a string value", where)


def _as_bool(value: Any) -> bool | Unknown | None:
    if value is None or isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown("not a boolean")


def _strings(value: Any, where: Location) -> tuple[str | Unknown, ...]:
    if value is None:
        return ()
    if isinstance(value, Unknown):
        return (value,)
    items = value if isinstance(value, list) else [value]
    out: list[str | Unknown] = []
    for item in items:
        text = _as_str(item, where)
        if text is not None:
            out.append(text)
    return tuple(out)


def _key_loc(container: Any, key: str, fallback: Location) -> Location:
    if isinstance(container, LocatedDict) and key in container.key_locs:
        line, column = container.key_locs[key]
        return Location(container.path, line, column, logical_id=fallback.logical_id,
                        construct_path=fallback.construct_path)
    return fallback


def _item_loc(container: Any, index: int, fallback: Location) -> Location:
    if isinstance(container, LocatedList) and index < len(container.item_locs):
        line, column = container.item_locs[index]
        return Location(container.path, line, column, logical_id=fallback.logical_id,
                        construct_path=fallback.construct_path)
    return fallback


def _node_loc(value: Any, fallback: Location) -> Location:
    if isinstance(value, (LocatedDict, LocatedList)):
        return Location(value.path, value.line, value.column, logical_id=fallback.logical_id,
                        construct_path=fallback.construct_path)
    return fallback


def _merge(base: Any, override: Any) -> Any:
    """SAM Globals semantics: maps merge (recursively), lists concatenate, scalars are overridden. Keys taken
    from `base` keep their Globals positions."""
    if isinstance(base, dict) and isinstance(override, dict) and not _is_intrinsic(base) \
            and not _is_intrinsic(override):
        if isinstance(override, LocatedDict):
            merged: dict[str, Any] = LocatedDict(override.path, override.line, override.column)
        else:
            merged = {}
        for key, value in base.items():
            merged[key] = value
            if isinstance(base, LocatedDict) and isinstance(merged, LocatedDict) and key in base.key_locs:
                merged.key_locs[key] = base.key_locs[key]
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
            if isinstance(override, LocatedDict) and isinstance(merged, LocatedDict) \
                    and key in override.key_locs:
                merged.key_locs[key] = override.key_locs[key]
        return merged
    if isinstance(base, list) and isinstance(override, list):
        if isinstance(override, LocatedList):
            seq = LocatedList(override.path, override.line, override.column)
            seq.extend(base)
            seq.extend(override)
            seq.item_locs.extend(base.item_locs if isinstance(base, LocatedList)
                                 else [(override.line, override.column)] * len(base))
            seq.item_locs.extend(override.item_locs)
            return seq
        return [*base, *override]
    return override


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in (
        "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Select", "Fn::FindInMap", "Fn::ImportValue",
        "Fn::Split", "Fn::Base64", "Fn::Transform", "Fn::GetAZs", "Fn::ToJsonString", "Fn::Cidr")


def _aws_managed_name(arn: str) -> str | None:
    match = _AWS_MANAGED.match(arn)
    return match.group(1) if match else None


@dataclass
class _ApiInfo:
    """What a SAM/CloudFormation API contributes to the auth of its routes."""

    id: str
    kind: TriggerKind
    location: Location
    implicit: bool = False
    name: str | Unknown | None = None
    authorizers: dict[str, AuthType] = field(default_factory=dict)
    default_authorizer: str | None = None
    default_location: Location | None = None
    api_key_required: bool = False
    api_key_location: Location | None = None
    iam_enabled: bool = False
    definition: Any = None
    external_definition: bool = False
    endpoint_type: str | Unknown | None = None
    stages: list[Stage] = field(default_factory=list)
    resource_policy: PolicyDocument | None = None
    cors: tuple[str | Unknown, ...] = ()
    field_locations: dict[str, Location] = field(default_factory=dict)


# -------------------------------------------------------------------------------------------- builder


class _Builder:
    def __init__(self, template: LocatedDict, path: Path, display: str, ctx: LoadContext | None, *,
                 asset_root: Path | None, construct_paths: Mapping[str, str], budget: Budget | None = None) -> None:
        self.template = template
        self.construct_paths = construct_paths
        self.path = path
        self.display = display
        self.ctx = ctx
        self.asset_root = asset_root
        self.directory = path.parent
        self.diagnostics: list[Diagnostic] = []
        raw_resources = template.get("Resources")
        self.raw: LocatedDict = raw_resources if isinstance(raw_resources, LocatedDict) else LocatedDict(display, 1, 1)
        globals_ = template.get("Globals")
        self.globals: Mapping[str, Any] = globals_ if isinstance(globals_, dict) else {}
        self.sam = is_sam(template)
        self.resolver = Resolver(template, display, self.diagnostics, budget=budget)
        self._add_sam_generated()
        self.functions: dict[str, Function] = {}
        self.roles: dict[str, Role] = {}
        self.triggers: list[Trigger] = []
        self.apis: dict[str, _ApiInfo] = {}
        self.permissions: list[Permission] = []
        self.layers: list[Layer] = []
        self.security_groups: list[SecurityGroup] = []
        self.containers: list[Container] = []
        self.data_resources: list[Resource] = []
        self.parameters: list[Parameter] = []
        self.suppressions: list[SourceSuppression] = []
        self._props: dict[str, Any] = {}
        self._attached: dict[str, list[Policy]] = {}
        self._invoke_configs: dict[str, Destination] = {}
        self._waf: dict[str, Location] = {}
        self._extra_egress: dict[str, list[SecurityGroupRule]] = {}
        self._extra_ingress: dict[str, list[SecurityGroupRule]] = {}
        self._resource_policies: dict[str, list[PolicyDocument]] = {}
        self._local_dirs: dict[str, str | None] = {}
        """`_local_dir` answers for this template (functions share a CodeUri: resolved once, not per function)."""

    # ----------------------------------------------------------------------------------- basics

    def type_of(self, logical_id: str) -> str:
        return self.resolver.resource_type(logical_id) or ""

    def loc(self, logical_id: str) -> Location:
        line, column = self.raw.key_locs.get(logical_id, (self.raw.line, self.raw.column))
        resource = self.raw.get(logical_id)
        construct_path = self.construct_paths.get(logical_id)
        if isinstance(resource, dict):
            metadata = resource.get("Metadata")
            if isinstance(metadata, dict) and isinstance(metadata.get("aws:cdk:path"), str):
                construct_path = metadata["aws:cdk:path"]
        return Location(self.display, line, column, logical_id=logical_id, construct_path=construct_path)

    def raw_props(self, logical_id: str) -> dict[str, Any]:
        resource = self.raw.get(logical_id)
        props = resource.get("Properties") if isinstance(resource, dict) else None
        return props if isinstance(props, dict) else {}

    def props(self, logical_id: str) -> dict[str, Any]:
        """Resolved properties of a resource (SAM Globals merged in for serverless resources), cached."""
        if logical_id not in self._props:
            raw = self.merged_raw(logical_id)
            resolved = self.resolver.resolve(raw, self.loc(logical_id))
            self._props[logical_id] = resolved if isinstance(resolved, dict) else {}
        result: dict[str, Any] = self._props[logical_id]
        return result

    def merged_raw(self, logical_id: str) -> dict[str, Any]:
        raw = self.raw_props(logical_id)
        section = {"AWS::Serverless::Function": "Function", "AWS::Serverless::Api": "Api",
                   "AWS::Serverless::HttpApi": "HttpApi", "AWS::Serverless::SimpleTable": "SimpleTable",
                   "AWS::Serverless::StateMachine": "StateMachine",
                   "AWS::Serverless::LayerVersion": "LayerVersion"}.get(self.type_of(logical_id))
        if section and isinstance(self.globals.get(section), dict):
            merged = _merge(self.globals[section], raw)
            if not isinstance(merged, dict):
                return raw
            if isinstance(raw, LocatedDict) and isinstance(merged, LocatedDict):
                merged.path, merged.line, merged.column = raw.path, raw.line, raw.column
            result: dict[str, Any] = merged
            return result
        return raw

    def fields(self, logical_id: str, props: Any, mapping: Mapping[str, str]) -> dict[str, Location]:
        base = self.loc(logical_id)
        return {name: _key_loc(props, key, base) for name, key in mapping.items()
                if isinstance(props, dict) and key in props}

    def note(self, kind: DiagnosticKind, message: str, where: Location,
             level: DiagnosticLevel = DiagnosticLevel.NOTE) -> None:
        self.diagnostics.append(Diagnostic(kind, message, where, level, COMPONENT))

    def _add_sam_generated(self) -> None:
        """Let intrinsics refer to resources SAM generates (`MyFunctionRole`, `ServerlessRestApi`...)."""
        if not self.sam:
            return
        extra: dict[str, Any] = {}
        for logical_id, resource in self.raw.items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
                continue
            props = resource.get("Properties")
            props = props if isinstance(props, dict) else {}
            role_given = "Role" in props or "Role" in (self.globals.get("Function") or {})
            if not role_given:
                extra[f"{logical_id}Role"] = {"Type": "AWS::IAM::Role"}
            if "FunctionUrlConfig" in props:
                extra[f"{logical_id}Url"] = {"Type": "AWS::Lambda::Url"}
            events = props.get("Events")
            for event in (events.values() if isinstance(events, dict) else ()):
                if not isinstance(event, dict):
                    continue
                event_props = event.get("Properties")
                event_props = event_props if isinstance(event_props, dict) else {}
                if event.get("Type") == "Api" and "RestApiId" not in event_props:
                    extra["ServerlessRestApi"] = {"Type": "AWS::ApiGateway::RestApi"}
                    extra["ServerlessRestApiProdStage"] = {"Type": "AWS::ApiGateway::Stage"}
                if event.get("Type") == "HttpApi" and "ApiId" not in event_props:
                    extra["ServerlessHttpApi"] = {"Type": "AWS::ApiGatewayV2::Api"}
        if extra:
            merged = dict(self.resolver.resources)
            for key, value in extra.items():
                merged.setdefault(key, value)
            self.resolver.resources = merged

    # ------------------------------------------------------------------------------------- build

    def build(self) -> None:
        self._parameters()
        deployed: list[str] = []
        for logical_id, resource in self.raw.items():
            if not isinstance(resource, dict):
                self.note(DiagnosticKind.PARSE_ERROR, f"resource {logical_id} is not a mapping",
                          self.loc(logical_id), DiagnosticLevel.WARNING)
                continue
            condition = resource.get("Condition")
            if isinstance(condition, str) and self.resolver.condition(condition, self.loc(logical_id)) is False:
                continue
            deployed.append(logical_id)
            with self.guard(logical_id):
                self._suppressions(logical_id, resource)
        by_type: dict[str, list[str]] = {}
        for logical_id in deployed:
            by_type.setdefault(self.type_of(logical_id), []).append(logical_id)

        def each(*types: str) -> Iterable[str]:
            for kind in types:
                yield from by_type.get(kind, ())

        # Things other nodes point at first.
        for logical_id in each("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            with self.guard(logical_id):
                self._attached_policy(logical_id)
        for logical_id in each("AWS::Lambda::EventInvokeConfig"):
            with self.guard(logical_id):
                self._invoke_config(logical_id)
        for logical_id in each("AWS::WAFv2::WebACLAssociation", "AWS::WAFRegional::WebACLAssociation"):
            with self.guard(logical_id):
                self._waf_association(logical_id)
        for logical_id in each("AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress"):
            with self.guard(logical_id):
                self._standalone_sg_rule(logical_id)
        for logical_id in each("AWS::IAM::Role"):
            with self.guard(logical_id):
                self._role(logical_id)
        for logical_id in each("AWS::EC2::SecurityGroup"):
            with self.guard(logical_id):
                self._security_group(logical_id)
        for logical_id in each("AWS::Serverless::Api"):
            with self.guard(logical_id):
                self._sam_api(logical_id, TriggerKind.REST_API)
        for logical_id in each("AWS::Serverless::HttpApi"):
            with self.guard(logical_id):
                self._sam_api(logical_id, TriggerKind.HTTP_API)
        for logical_id in each("AWS::ApiGateway::RestApi"):
            with self.guard(logical_id):
                self._rest_api(logical_id)
        for logical_id in each("AWS::ApiGatewayV2::Api"):
            with self.guard(logical_id):
                self._http_api(logical_id)
        for logical_id in each("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment", "AWS::ApiGatewayV2::Stage"):
            with self.guard(logical_id):
                self._stage(logical_id)
        for logical_id in each("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            with self.guard(logical_id):
                self._layer(logical_id)
        for logical_id in each("AWS::Serverless::Function"):
            with self.guard(logical_id):
                self._sam_function(logical_id)
        for logical_id in each("AWS::Lambda::Function"):
            with self.guard(logical_id):
                self._cfn_function(logical_id)
        for logical_id in each("AWS::Lambda::Permission"):
            with self.guard(logical_id):
                self._permission(logical_id)
        for logical_id in each("AWS::Lambda::Url"):
            with self.guard(logical_id):
                self._function_url(logical_id)
        for logical_id in each("AWS::Lambda::EventSourceMapping"):
            with self.guard(logical_id):
                self._event_source_mapping(logical_id)
        for logical_id in each("AWS::ApiGateway::Method"):
            with self.guard(logical_id):
                self._rest_method(logical_id)
        for logical_id in each("AWS::ApiGatewayV2::Route"):
            with self.guard(logical_id):
                self._http_route(logical_id)
        for logical_id in each("AWS::S3::Bucket"):
            with self.guard(logical_id):
                self._bucket_notifications(logical_id)
        for logical_id in each("AWS::SNS::Subscription"):
            with self.guard(logical_id):
                self._sns_subscription(logical_id)
        for logical_id in each("AWS::SNS::Topic"):
            with self.guard(logical_id):
                self._sns_topic_subscriptions(logical_id)
        for logical_id in each("AWS::Events::Rule"):
            with self.guard(logical_id):
                self._event_rule(logical_id)
        for logical_id in each("AWS::Scheduler::Schedule"):
            with self.guard(logical_id):
                self._scheduler(logical_id)
        for logical_id in each("AWS::Logs::SubscriptionFilter"):
            with self.guard(logical_id):
                self._log_subscription(logical_id)
        for logical_id in each("AWS::ECS::TaskDefinition"):
            with self.guard(logical_id):
                self._task_definition(logical_id)
        for logical_id in each(*_RESOURCE_POLICY_TYPES):
            with self.guard(logical_id):
                self._resource_policy(logical_id)
        for kind, ids in by_type.items():
            if kind in CATEGORIES:
                for logical_id in ids:
                    with self.guard(logical_id):
                        self._data_resource(logical_id, kind)

    def guard(self, logical_id: str) -> contextlib.AbstractContextManager[None]:
        """One resource's modelling: if it raises, that resource is reported and the rest of the app kept."""
        return isolated(self.diagnostics, COMPONENT, f"{self.display} resource {logical_id}", self.loc(logical_id),
                        refuse_whole=True)

    def _task_definition(self, logical_id: str) -> None:
        """ECS task definitions: containers through the shared `_containers` helper (same shape as the ECS JSON
        loader and Terraform); task and execution roles resolved to template roles so FG1xx rules apply."""
        from faasguard.loaders._containers import ecs_container

        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        roles: dict[str, str | Unknown | None] = {}
        for key in ("TaskRoleArn", "ExecutionRoleArn"):
            if key not in raw:
                roles[key] = None
                continue
            role_id: str | Unknown | None = self._role_id(raw[key])
            if role_id is None:
                value = self.resolver.resolve_or_none(raw[key])
                role_id = self._external_role(value, _key_loc(raw, key, self.loc(logical_id))) \
                    if isinstance(value, (str, Unknown)) else None
            roles[key] = role_id
        definitions = props.get("ContainerDefinitions")
        if not isinstance(definitions, list):
            return
        for index, definition in enumerate(definitions):
            if isinstance(definition, dict):
                where = _item_loc(definitions, index, self.loc(logical_id))
                self.containers.append(ecs_container(
                    definition, where.with_id(logical_id, self.loc(logical_id).construct_path), logical_id,
                    task_role=roles["TaskRoleArn"], execution_role=roles["ExecutionRoleArn"],
                    task_cpu=props.get("Cpu"), task_memory=props.get("Memory")))

    # -------------------------------------------------------------------------------- parameters

    def _parameters(self) -> None:
        params = self.template.get("Parameters")
        if not isinstance(params, LocatedDict):
            return
        for name, raw_spec in params.items():
            where = params.key_loc(name, name)
            spec = raw_spec if isinstance(raw_spec, dict) else {}
            no_echo = _as_bool(spec.get("NoEcho")) is True
            self.parameters.append(Parameter(name, where, spec.get("Default"), "Default" in spec, no_echo))

    def _suppressions(self, logical_id: str, resource: Mapping[str, Any]) -> None:
        metadata = resource.get("Metadata")
        config = metadata.get("faasguard") if isinstance(metadata, dict) else None
        entries = config.get("ignore") if isinstance(config, dict) else None
        if entries is None:
            return
        base = self.loc(logical_id)
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, list):
            self.note(DiagnosticKind.SUPPRESSION, "Metadata.faasguard.ignore must be a list", base,
                      DiagnosticLevel.WARNING)
            return
        for index, entry in enumerate(entries):
            where = _item_loc(entries, index, base)
            if isinstance(entry, str):
                self.suppressions.append(SourceSuppression(entry.strip(), logical_id, None, where))
                continue
            rule = entry.get("id") or entry.get("rule") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not isinstance(rule, str):
                self.note(DiagnosticKind.SUPPRESSION, "suppression without a rule id", where,
                          DiagnosticLevel.WARNING)
                continue
            reason = entry.get("reason")
            until = entry.get("until")
            self.suppressions.append(SourceSuppression(
                rule.strip(), logical_id, str(reason) if reason not in (None, "") else None, where,
                str(until) if until is not None else None))

    # --------------------------------------------------------------------------------------- IAM

    def _document(self, value: Any, where: Location) -> PolicyDocument:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return PolicyDocument((), where, Unknown("policy document is not valid JSON", where))
        if isinstance(value, Unknown):
            return PolicyDocument((), where, value)
        if not isinstance(value, dict):
            return PolicyDocument((), where, Unknown("policy document is not a mapping", where))
        where = _node_loc(value, where)
        raw_statements = value.get("Statement")
        if isinstance(raw_statements, Unknown):
            return PolicyDocument((), where, raw_statements)
        items = raw_statements if isinstance(raw_statements, list) else \
            [raw_statements] if raw_statements is not None else []
        statements: list[Statement] = []
        unresolved: Unknown | None = None
        for index, item in enumerate(items):
            item_where = _item_loc(raw_statements, index, _key_loc(value, "Statement", where)) \
                if isinstance(raw_statements, list) else _node_loc(item, where)
            if isinstance(item, Unknown):
                unresolved = unresolved or item
                continue
            if not isinstance(item, dict):
                unresolved = unresolved or Unknown("statement is not a mapping", item_where)
                continue
            statements.append(self._statement(item, _node_loc(item, item_where)))
        return PolicyDocument(tuple(statements), where, unresolved)

    def _statement(self, item: Mapping[str, Any], where: Location) -> Statement:
        def principals(raw: Any) -> dict[str, tuple[str | Unknown, ...]] | None:
            if raw is None:
                return None
            if isinstance(raw, str):
                return {"*": (raw,)} if raw == "*" else {"AWS": (raw,)}
            if isinstance(raw, Unknown):
                return {"AWS": (raw,)}
            if isinstance(raw, dict):
                return {str(k): _strings(v, where) for k, v in raw.items()}
            return {"AWS": (Unknown("principal cannot be resolved", where),)}

        conditions: dict[str, dict[str, tuple[str | Unknown, ...]]] = {}
        raw_conditions = item.get("Condition")
        if isinstance(raw_conditions, dict):
            for operator, block in raw_conditions.items():
                if isinstance(block, dict):
                    conditions[str(operator)] = {str(k): _strings(v, where) for k, v in block.items()}
                else:
                    conditions[str(operator)] = {"?": (Unknown("condition block cannot be resolved", where),)}
        elif isinstance(raw_conditions, Unknown):
            conditions["?"] = {"?": (raw_conditions,)}
        effect = _as_str(item.get("Effect"), where)
        sid = item.get("Sid")
        return Statement(
            effect=effect if effect is not None else Unknown("statement without Effect", where),
            location=where, sid=sid if isinstance(sid, str) else None,
            actions=_strings(item.get("Action"), where),
            not_actions=_strings(item.get("NotAction"), where) if "NotAction" in item else None,
            resources=_strings(item.get("Resource"), where),
            not_resources=_strings(item.get("NotResource"), where) if "NotResource" in item else None,
            principals=principals(item.get("Principal")),
            not_principals=principals(item.get("NotPrincipal")),
            conditions=conditions,
            field_locations={name: _key_loc(item, key, where) for name, key in (
                ("effect", "Effect"), ("sid", "Sid"), ("actions", "Action"), ("not_actions", "NotAction"),
                ("resources", "Resource"), ("not_resources", "NotResource"), ("principals", "Principal"),
                ("not_principals", "NotPrincipal"), ("conditions", "Condition")) if key in item})

    def _managed_policy_ref(self, raw: Any, value: Any, where: Location) -> Policy:
        """A managed policy named by ARN (or by a Ref to a policy defined in the template)."""
        target = self.resolver.target(raw, ("AWS::IAM::ManagedPolicy",))
        if target is not None:
            props = self.props(target)
            name = props.get("ManagedPolicyName")
            return Policy(name if isinstance(name, str) else target, PolicyKind.CUSTOMER_MANAGED, where,
                          self._document(props.get("PolicyDocument"), self.loc(target)),
                          self.resolver.arn_of(target), target)
        if isinstance(value, str):
            managed = _aws_managed_name(value)
            if managed is not None:
                return Policy(managed, PolicyKind.AWS_MANAGED, where, None, value)
            return Policy(value.rsplit("/", 1)[-1], PolicyKind.EXTERNAL, where, None, value)
        unknown = value if isinstance(value, Unknown) else Unknown("policy ARN cannot be resolved", where)
        return Policy("<unresolved>", PolicyKind.EXTERNAL, where, None, unknown)

    def _attached_policy(self, logical_id: str) -> None:
        raw = self.raw_props(logical_id)
        props = self.props(logical_id)
        where = self.loc(logical_id)
        kind = self.type_of(logical_id)
        name = props.get("PolicyName") if kind == "AWS::IAM::Policy" else props.get("ManagedPolicyName")
        policy = Policy(name if isinstance(name, str) else logical_id,
                        PolicyKind.INLINE if kind == "AWS::IAM::Policy" else PolicyKind.CUSTOMER_MANAGED,
                        where, self._document(props.get("PolicyDocument"), _key_loc(props, "PolicyDocument", where)),
                        self.resolver.arn_of(logical_id) if kind == "AWS::IAM::ManagedPolicy" else None,
                        logical_id)
        raw_roles = raw.get("Roles")
        for item in raw_roles if isinstance(raw_roles, list) else []:
            role = self._role_id(item)
            if role is not None:
                self._attached.setdefault(role, []).append(policy)

    def _role_id(self, raw: Any) -> str | None:
        """The role a Ref/GetAtt/name points at: a template role, a SAM implicit role, or None."""
        target = self.resolver.target(raw, ("AWS::IAM::Role",))
        if target is not None:
            return target
        value = self.resolver.resolve_or_none(raw)
        if isinstance(value, str):
            for role_id in self.resolver.resources:
                if self.type_of(role_id) == "AWS::IAM::Role" and self.resolver.name_of(role_id) == value:
                    return role_id
        return None

    def _role(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        policies: list[Policy] = []
        inline = props.get("Policies")
        for index, item in enumerate(inline if isinstance(inline, list) else []):
            item_where = _item_loc(inline, index, _key_loc(props, "Policies", where))
            if isinstance(item, Unknown):
                policies.append(Policy("<unresolved>", PolicyKind.INLINE, item_where, PolicyDocument(
                    (), item_where, item)))
                continue
            if not isinstance(item, dict):
                continue
            name = item.get("PolicyName")
            policies.append(Policy(name if isinstance(name, str) else f"{logical_id}Policy{index}",
                                   PolicyKind.INLINE, item_where,
                                   self._document(item.get("PolicyDocument"), item_where)))
        managed = props.get("ManagedPolicyArns")
        raw_managed = raw.get("ManagedPolicyArns")
        managed_items = managed if isinstance(managed, list) else []
        raw_items = raw_managed if isinstance(raw_managed, list) and len(raw_managed) == len(managed_items) \
            else managed_items
        for index, item in enumerate(managed_items):
            item_where = _item_loc(managed, index, _key_loc(props, "ManagedPolicyArns", where))
            raw_item = raw_items[index]
            policies.append(self._managed_policy_ref(raw_item, item, item_where))
        policies.extend(self._attached.get(logical_id, ()))
        trust = props.get("AssumeRolePolicyDocument")
        self.roles[logical_id] = Role(
            id=logical_id, location=where,
            field_locations=self.fields(logical_id, props, {
                "name": "RoleName", "trust_policy": "AssumeRolePolicyDocument", "policies": "Policies",
                "permissions_boundary": "PermissionsBoundary"}),
            name=_as_str(props.get("RoleName"), where),
            arn=self.resolver.arn_of(logical_id),
            trust_policy=self._document(trust, _key_loc(props, "AssumeRolePolicyDocument", where))
            if trust is not None else None,
            policies=tuple(policies),
            permissions_boundary=_as_str(props.get("PermissionsBoundary"), where))

    def _external_role(self, value: str | Unknown, where: Location) -> str | Unknown:
        if isinstance(value, Unknown):
            return value
        if value not in self.roles:
            name = value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
            self.roles[value] = Role(id=value, location=where, name=name,
                                     arn=value if value.startswith("arn:") else None, external=True)
        return value

    # --------------------------------------------------------------------------------- functions

    def _sam_function(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.merged_raw(logical_id)
        where = self.loc(logical_id)
        role = self._function_role(logical_id, props, raw, where, sam=True)
        runtime = _as_str(props.get("Runtime"), where)
        handler = _as_str(props.get("Handler"), where)
        declared_type = props.get("PackageType")
        package_type = declared_type if isinstance(declared_type, str) else ("Image" if "ImageUri" in props else "Zip")
        code = self._sam_code(logical_id, props, runtime, handler, package_type=package_type, where=where)
        tracing = props.get("Tracing")
        function = self._function(logical_id, props, raw, where, role=role, runtime=runtime, handler=handler,
                                  code=code, package_type=package_type, tracing=_as_str(tracing, where), sam=True)
        self.functions[logical_id] = function
        self._sam_events(logical_id, props, raw, where)
        url = props.get("FunctionUrlConfig")
        if isinstance(url, dict):
            self._url_trigger(f"{logical_id}Url", logical_id, url, _key_loc(props, "FunctionUrlConfig", where))

    def _cfn_function(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        role = self._function_role(logical_id, props, raw, where, sam=False)
        runtime = _as_str(props.get("Runtime"), where)
        handler = _as_str(props.get("Handler"), where)
        declared_type = props.get("PackageType")
        package_type = declared_type if isinstance(declared_type, str) else "Zip"
        code = self._cfn_code(logical_id, props, runtime, handler, package_type=package_type, where=where)
        tracing_config = props.get("TracingConfig")
        tracing = _as_str(tracing_config.get("Mode"), where) if isinstance(tracing_config, dict) else \
            (tracing_config if isinstance(tracing_config, Unknown) else None)
        self.functions[logical_id] = self._function(
            logical_id, props, raw, where, role=role, runtime=runtime, handler=handler, code=code,
            package_type=package_type, tracing=tracing, sam=False)

    def _function(self, logical_id: str, props: dict[str, Any], raw: Mapping[str, Any], where: Location, *,
                  role: str | Unknown | None, runtime: str | Unknown | None, handler: str | Unknown | None,
                  code: CodeLocation, package_type: str, tracing: str | Unknown | None, sam: bool) -> Function:
        field_map = {
            "name": "FunctionName", "runtime": "Runtime", "handler": "Handler", "timeout": "Timeout",
            "memory_size": "MemorySize", "role": "Role", "environment": "Environment", "kms_key": "KmsKeyArn",
            "layers": "Layers", "vpc": "VpcConfig", "reserved_concurrency": "ReservedConcurrentExecutions",
            "tracing": "Tracing" if sam else "TracingConfig", "code_signing_config": "CodeSigningConfigArn",
            "dead_letter": "DeadLetterQueue" if sam else "DeadLetterConfig", "async_on_failure": "EventInvokeConfig",
            "package_type": "PackageType", "architectures": "Architectures", "tags": "Tags",
            "code": "CodeUri" if sam else "Code",
        }
        field_locations = self.fields(logical_id, props, field_map)
        if "role" not in field_locations and "Policies" in props:
            field_locations["role"] = _key_loc(props, "Policies", where)
        if logical_id in self._invoke_configs and "async_on_failure" not in field_locations:
            field_locations["async_on_failure"] = self._invoke_configs[logical_id].location
        if sam and "Handler" in props and "code" not in field_locations:
            field_locations["code"] = _key_loc(props, "Handler", where)
        if "ImageUri" in props:
            field_locations["image_uri"] = _key_loc(props, "ImageUri", where)
        elif isinstance(props.get("Code"), dict) and "ImageUri" in props["Code"]:
            field_locations["image_uri"] = _key_loc(props["Code"], "ImageUri", where)
        dead_letter = None
        dlq = props.get("DeadLetterQueue") if sam else props.get("DeadLetterConfig")
        if isinstance(dlq, dict) and dlq.get("TargetArn") is not None:
            dlq_raw = raw.get("DeadLetterQueue" if sam else "DeadLetterConfig")
            dead_letter = Destination("dlq", self._target_or_value(
                dlq_raw.get("TargetArn") if isinstance(dlq_raw, dict) else None, dlq["TargetArn"], where),
                _key_loc(props, "DeadLetterQueue" if sam else "DeadLetterConfig", where))
        async_failure = self._invoke_configs.get(logical_id)
        config = props.get("EventInvokeConfig") if sam else None
        if isinstance(config, dict):
            destination = _dig(config, "DestinationConfig", "OnFailure", "Destination")
            raw_destination = _dig(raw.get("EventInvokeConfig"), "DestinationConfig", "OnFailure", "Destination")
            on_failure = _dig(config, "DestinationConfig", "OnFailure")
            if destination is not None:
                async_failure = Destination("on-failure", self._target_or_value(raw_destination, destination, where),
                                            _key_loc(config, "DestinationConfig", where))
            elif isinstance(on_failure, dict) and on_failure.get("Type") is not None:
                async_failure = Destination("on-failure", Unknown("SAM-generated destination", where),
                                            _key_loc(config, "DestinationConfig", where))
        architectures = props.get("Architectures")
        return Function(
            id=logical_id, location=where, field_locations=field_locations,
            name=_as_str(props.get("FunctionName"), where), runtime=runtime, handler=handler, code=code,
            timeout=_as_int(props.get("Timeout"), field_locations.get("timeout", where)),
            memory_size=_as_int(props.get("MemorySize"), where), role=role,
            environment=self._environment(props, raw, where),
            kms_key=_as_str(props.get("KmsKeyArn"), where),
            layers=self._layers_of(props, raw, where),
            vpc=self._vpc(props, raw, where),
            reserved_concurrency=_as_int(props.get("ReservedConcurrentExecutions"), where),
            tracing=tracing,
            code_signing_config=_as_str(props.get("CodeSigningConfigArn"), where),
            dead_letter=dead_letter, async_on_failure=async_failure, package_type=package_type,
            architectures=tuple(a for a in architectures if isinstance(a, str))
            if isinstance(architectures, list) else (),
            tags=self._tags(props.get("Tags"), where))

    def _function_role(self, logical_id: str, props: dict[str, Any], raw: Mapping[str, Any], where: Location,
                       sam: bool) -> str | Unknown | None:
        if "Role" in props or "Role" in raw:
            raw_role = raw.get("Role")
            role_id = self._role_id(raw_role)
            if role_id is not None and (role_id in self.roles or (role_id.endswith("Role")
                                        and role_id[:-4] in self.resolver.resources)):
                return role_id
            value = props.get("Role")
            if value is None:
                return None
            where_role = _key_loc(props, "Role", where)
            return self._external_role(_as_str(value, where_role) or Unknown("role cannot be resolved"),
                                       where_role)
        if not sam:
            return Unknown("AWS::Lambda::Function without Role", where)
        return self._implicit_role(logical_id, props, raw, where)

    def _implicit_role(self, logical_id: str, props: dict[str, Any], raw: Mapping[str, Any],
                       where: Location) -> str:
        role_id = f"{logical_id}Role"
        policies_where = _key_loc(props, "Policies", where)
        managed = ["service-role/AWSLambdaBasicExecutionRole"]
        if props.get("VpcConfig") is not None:
            managed.append("service-role/AWSLambdaVPCAccessExecutionRole")
        if props.get("Tracing") == "Active":
            managed.append("AWSXrayWriteOnlyAccess")
        events = props.get("Events")
        for event in events.values() if isinstance(events, dict) else ():
            if isinstance(event, dict) and event.get("Type") in _POLLER_POLICIES:
                managed.append(f"service-role/{_POLLER_POLICIES[event['Type']]}")
        policies = [Policy(name.rsplit("/", 1)[-1], PolicyKind.AWS_MANAGED, where, None,
                           f"arn:${{AWS::Partition}}:iam::aws:policy/{name}") for name in dict.fromkeys(managed)]
        value = props.get("Policies")
        raw_value = raw.get("Policies")
        items = value if isinstance(value, list) else [value] if value is not None else []
        raw_items = raw_value if isinstance(raw_value, list) else [raw_value] if raw_value is not None else []
        if len(raw_items) != len(items):
            raw_items = items
        for index, item in enumerate(items):
            item_where = _item_loc(value, index, policies_where) if isinstance(value, list) else policies_where
            policies.extend(self._sam_policy_item(role_id, index, item, raw_items[index], item_where))
        policies.extend(self._attached.get(role_id, ()))
        boundary = props.get("PermissionsBoundary")
        trust = props.get("AssumeRolePolicyDocument")
        trust_policy = self._document(trust, _key_loc(props, "AssumeRolePolicyDocument", where)) \
            if trust is not None else PolicyDocument((Statement(
                "Allow", where, actions=("sts:AssumeRole",), principals={"Service": ("lambda.amazonaws.com",)}),),
                where)
        role_where = policies_where
        self.roles[role_id] = Role(
            id=role_id, location=Location(role_where.path, role_where.line, role_where.column, logical_id=role_id,
                                          construct_path=where.construct_path),
            field_locations={"policies": policies_where, **self.fields(
                logical_id, props, {"permissions_boundary": "PermissionsBoundary",
                                    "trust_policy": "AssumeRolePolicyDocument"})},
            arn=f"${{{role_id}.Arn}}", trust_policy=trust_policy, policies=tuple(policies),
            permissions_boundary=_as_str(boundary, where), implicit=True)
        return role_id

    def _sam_policy_item(self, role_id: str, index: int, item: Any, raw_item: Any,
                         where: Location) -> list[Policy]:
        from faasguard.loaders import _sam_policies

        if isinstance(item, Unknown):
            return [Policy(f"{role_id}Policy{index}", PolicyKind.INLINE, where, PolicyDocument((), where, item))]
        if isinstance(item, str):
            if item.startswith("arn:") or is_symbolic(item):
                return [self._managed_policy_ref(raw_item, item, where)]
            return [Policy(item, PolicyKind.AWS_MANAGED, where, None,
                           f"arn:${{AWS::Partition}}:iam::aws:policy/{item}")]
        if isinstance(item, dict):
            if "Statement" in item:
                return [Policy(f"{role_id}Policy{index}", PolicyKind.INLINE, where, self._document(item, where))]
            if len(item) == 1:
                name = next(iter(item))
                if _sam_policies.is_policy_template(name):
                    document, problem = _sam_policies.expand(name, item[name], where, self.display,
                                                             self.diagnostics)
                    doc = self._document(document, where) if document is not None else \
                        PolicyDocument((), where, problem)
                    statements = tuple(_relocate_statement(s, where) for s in doc.statements)
                    doc = PolicyDocument(statements, where, doc.unresolved or problem)
                    if problem is not None:
                        self.note(DiagnosticKind.UNRESOLVED, problem.reason, where, DiagnosticLevel.WARNING)
                    return [Policy(name, PolicyKind.SAM_TEMPLATE, where, doc)]
                self.note(DiagnosticKind.UNSUPPORTED, f"unknown SAM policy template {name}", where,
                          DiagnosticLevel.WARNING)
                return [Policy(name, PolicyKind.SAM_TEMPLATE, where, PolicyDocument(
                    (), where, Unknown(f"unknown SAM policy template {name}", where)))]
        return [Policy(f"{role_id}Policy{index}", PolicyKind.INLINE, where,
                       PolicyDocument((), where, Unknown("policy item cannot be resolved", where)))]

    def _environment(self, props: Mapping[str, Any], raw: Mapping[str, Any], where: Location) -> tuple[EnvVar, ...]:
        environment = props.get("Environment")
        variables = environment.get("Variables") if isinstance(environment, dict) else None
        if not isinstance(variables, dict):
            return ()
        raw_env = raw.get("Environment")
        raw_variables = raw_env.get("Variables") if isinstance(raw_env, dict) else None
        raw_variables = raw_variables if isinstance(raw_variables, dict) else {}
        base = _key_loc(environment, "Variables", where)
        out: list[EnvVar] = []
        for name, value in variables.items():
            var_where = _key_loc(variables, name, base)
            text = _as_str(value, var_where)
            if text is None:
                text = ""
            reference = isinstance(text, str) and ("{{resolve:secretsmanager:" in text
                                                   or "{{resolve:ssm-secure:" in text)
            out.append(EnvVar(str(name), text, var_where, secret_reference=reference,
                              from_secret_attribute=self._secret_attribute(raw_variables.get(name))))
        return tuple(out)

    def _secret_attribute(self, raw: Any) -> str | None:
        if raw is None or not isinstance(raw, dict):
            return None
        for name in _attribute_refs(raw):
            logical_id, _, attribute = name.partition(".")
            kind = self.type_of(logical_id)
            if attribute in _SECRET_ATTRIBUTES.get(kind, ()):
                return f"{kind}.{attribute}"
        return None

    def _layers_of(self, props: Mapping[str, Any], raw: Mapping[str, Any],
                   where: Location) -> tuple[str | Unknown, ...]:
        layers = props.get("Layers")
        raw_layers = raw.get("Layers")
        if not isinstance(layers, list):
            return () if layers is None else (Unknown("layers cannot be resolved", where),)
        raw_items = raw_layers if isinstance(raw_layers, list) and len(raw_layers) == len(layers) else layers
        out: list[str | Unknown] = []
        for item, raw_item in zip(layers, raw_items, strict=False):
            target = self.resolver.target(raw_item, ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"))
            if target is not None:
                out.append(target)
            else:
                text = _as_str(item, where)
                if text is not None:
                    out.append(text)
        return tuple(out)

    def _vpc(self, props: Mapping[str, Any], raw: Mapping[str, Any], where: Location) -> VpcConfig | None:
        vpc = props.get("VpcConfig")
        if vpc is None:
            return None
        vpc_where = _key_loc(props, "VpcConfig", where)
        if not isinstance(vpc, dict):
            return VpcConfig(vpc_where, (Unknown("VpcConfig cannot be resolved", vpc_where),),
                             (Unknown("VpcConfig cannot be resolved", vpc_where),))
        raw_vpc = raw.get("VpcConfig")
        raw_groups = raw_vpc.get("SecurityGroupIds") if isinstance(raw_vpc, dict) else None
        groups = vpc.get("SecurityGroupIds")
        group_ids: list[str | Unknown] = []
        if isinstance(groups, list):
            raw_items = raw_groups if isinstance(raw_groups, list) and len(raw_groups) == len(groups) else groups
            for item, raw_item in zip(groups, raw_items, strict=False):
                target = self.resolver.target(raw_item, _SG_TYPES)
                if target is not None:
                    group_ids.append(target)
                else:
                    text = _as_str(item, vpc_where)
                    if text is not None:
                        group_ids.append(text)
        elif groups is not None:
            group_ids.append(groups if isinstance(groups, Unknown) else Unknown("security groups cannot be resolved",
                                                                                 vpc_where))
        return VpcConfig(vpc_where, _strings(vpc.get("SubnetIds"), vpc_where), tuple(group_ids))

    def _tags(self, tags: Any, where: Location) -> dict[str, str | Unknown]:
        out: dict[str, str | Unknown] = {}
        if isinstance(tags, dict):
            for key, value in tags.items():
                text = _as_str(value, where)
                if text is not None:
                    out[str(key)] = text
        elif isinstance(tags, list):
            for item in tags:
                if isinstance(item, dict) and isinstance(item.get("Key"), str):
                    text = _as_str(item.get("Value"), where)
                    out[item["Key"]] = text if text is not None else ""
        return out

    # ------------------------------------------------------------------------------------- code

    def _sam_code(self, logical_id: str, props: Mapping[str, Any], runtime: str | Unknown | None,
                  handler: str | Unknown | None, *, package_type: str, where: Location) -> CodeLocation:
        if package_type == "Image":
            metadata = self.raw.get(logical_id, {}).get("Metadata") if isinstance(self.raw.get(logical_id), dict) \
                else None
            context = metadata.get("DockerContext") if isinstance(metadata, dict) else None
            image_dir = self._local_dir(context) if isinstance(context, str) else None
            if isinstance(context, str) and image_dir is None:
                self._outside(logical_id, "Metadata.DockerContext", context, where)
            return CodeLocation(image_dir, None, None, handler, "Image", _as_str(props.get("ImageUri"), where))
        if "InlineCode" in props:
            return CodeLocation(None, None, _handler_function(handler), handler, inline=True)
        code_uri = props.get("CodeUri")
        code_dir: str | None = None
        if code_uri is None:
            code_dir = self._local_dir(".")
        elif isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            code_dir = self._local_dir(code_uri)
            if code_dir is None:
                self._outside(logical_id, "CodeUri", code_uri, _key_loc(props, "CodeUri", where))
        cdk_dir = self._asset_dir(logical_id)
        code_dir = cdk_dir or code_dir
        return self._code_location(code_dir, runtime, handler, package_type, logical_id=logical_id, where=where)

    def _cfn_code(self, logical_id: str, props: Mapping[str, Any], runtime: str | Unknown | None,
                  handler: str | Unknown | None, *, package_type: str, where: Location) -> CodeLocation:
        code = props.get("Code")
        if package_type == "Image" or (isinstance(code, dict) and "ImageUri" in code):
            image = code.get("ImageUri") if isinstance(code, dict) else None
            return CodeLocation(self._asset_dir(logical_id), None, None, handler, "Image", _as_str(image, where))
        if isinstance(code, dict) and "ZipFile" in code:
            return CodeLocation(None, None, _handler_function(handler), handler, inline=True)
        code_dir = self._asset_dir(logical_id)
        if code_dir is None and isinstance(code, str) and not code.startswith("s3://"):
            code_dir = self._local_dir(code)  # `aws cloudformation package` input: a local path
            if code_dir is None:
                self._outside(logical_id, "Code", code, _key_loc(props, "Code", where))
        return self._code_location(code_dir, runtime, handler, package_type, logical_id=logical_id, where=where)

    def _asset_dir(self, logical_id: str) -> str | None:
        if self.asset_root is None:
            return None
        resource = self.raw.get(logical_id)
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        if not isinstance(asset, str):
            return None
        candidate = self.asset_root / asset
        return str(candidate.resolve()) if self._allowed(candidate) and candidate.exists() else None

    def _allowed(self, path: Path) -> bool:
        if self.ctx is None:
            return True
        try:
            return self.ctx.inside_roots(path)
        except (OSError, RuntimeError):
            return False

    def _local_dir(self, relative: str) -> str | None:
        if relative in self._local_dirs:
            return self._local_dirs[relative]
        found = self._local_dirs[relative] = self._find_local_dir(relative)
        return found

    def _find_local_dir(self, relative: str) -> str | None:
        candidate = self.directory / relative
        try:
            if self._allowed(candidate) and candidate.exists():
                return str(candidate.resolve())
        except (OSError, RuntimeError):
            return None
        return None

    def _outside(self, logical_id: str, prop: str, value: str, where: Location) -> None:
        """Say what was not analysed: a local path the scanner rightly does not follow out of the scanned project
        (or that does not exist) would otherwise leave the function's code silently unread."""
        try:
            outside = not self._allowed(self.directory / value)
        except (OSError, RuntimeError, ValueError):
            outside = True
        if outside:
            self.note(DiagnosticKind.UNRESOLVED, f"{prop} {value!r} of {logical_id} is outside the scanned project; "
                      "its code and dependencies are not read or analysed (scan a directory that contains both)",
                      where, DiagnosticLevel.WARNING)

    def _code_location(self, code_dir: str | None, runtime: str | Unknown | None, handler: str | Unknown | None,
                       package_type: str, *, logical_id: str = "", where: Location | None = None) -> CodeLocation:
        function_name = _handler_function(handler)
        handler_file: str | None = None
        if code_dir is not None and isinstance(handler, str) and "." in handler:
            module = handler.rsplit(".", 1)[0]
            language = runtime if isinstance(runtime, str) else ""
            candidates: list[str] = []
            if language.startswith("python") or not language:
                candidates.extend(module.replace(".", "/") + s for s in _PY_SUFFIXES)
                if "/" in module:
                    candidates.append(module + ".py")
            if language.startswith("nodejs") or not language:
                candidates.extend(module + s for s in _JS_SUFFIXES)
            base = Path(code_dir)
            if base.is_file():
                base = base.parent
            for candidate in candidates:
                path = base / candidate
                try:
                    if path.is_file() and self._allowed(path):
                        handler_file = str(path.resolve())
                        break
                    if where is not None and path.is_file():  # exists, but resolves out of the project
                        self._outside(logical_id, "Handler module", str(path.relative_to(self.directory)), where)
                        break
                except (OSError, RuntimeError, ValueError):
                    continue
        return CodeLocation(code_dir, handler_file, function_name, handler, package_type)

    # --------------------------------------------------------------------------------- events

    def _sam_events(self, function_id: str, props: Mapping[str, Any], raw: Mapping[str, Any],
                    where: Location) -> None:
        events = props.get("Events")
        if not isinstance(events, dict):
            return
        raw_events = raw.get("Events")
        raw_events = raw_events if isinstance(raw_events, dict) else {}
        for name, event in events.items():
            event_where = _key_loc(events, name, where)
            if not isinstance(event, dict):
                continue
            event_type = event.get("Type")
            kind = _SAM_EVENT_KINDS.get(event_type) if isinstance(event_type, str) else None
            if kind is None:
                self.note(DiagnosticKind.UNSUPPORTED, f"SAM event type {event_type!s} is not modelled",
                          event_where)
                continue
            event_props = event.get("Properties")
            event_props = event_props if isinstance(event_props, dict) else {}
            raw_event = raw_events.get(name)
            raw_props = raw_event.get("Properties") if isinstance(raw_event, dict) else None
            raw_props = raw_props if isinstance(raw_props, dict) else {}
            trigger_id = f"{function_id}.{name}"
            fields: dict[str, Location] = {}
            for model_name, key in (("method", "Method"), ("path", "Path"), ("auth", "Auth"),
                                    ("source", _SAM_EVENT_SOURCE_PROP.get(str(event_type), "")),
                                    ("on_failure", "DestinationConfig")):
                if key and key in event_props:
                    fields[model_name] = _key_loc(event_props, key, event_where)
            if kind in (TriggerKind.REST_API, TriggerKind.HTTP_API):
                self.triggers.append(self._sam_api_trigger(trigger_id, function_id, kind, event_props, raw_props,
                                                           where=event_where, fields=fields))
                continue
            source = self._event_source(str(event_type), event_props, raw_props, event_where)
            on_failure = self._event_failure(str(event_type), event_props, raw_props, event_where, source)
            self.triggers.append(Trigger(id=trigger_id, location=event_where, field_locations=fields, kind=kind,
                                         function=function_id, source=source, on_failure=on_failure))

    def _event_source(self, event_type: str, props: Mapping[str, Any], raw: Mapping[str, Any],
                      where: Location) -> str | Unknown | None:
        if event_type in ("EventBridgeRule", "CloudWatchEvent"):
            pattern = props.get("Pattern")
            sources = pattern.get("source") if isinstance(pattern, dict) else None
            if isinstance(sources, list) and sources:
                return ",".join(str(s) for s in sources if not isinstance(s, dict)) or None
            bus = props.get("EventBusName")
            return _as_str(bus, where) if bus is not None else None
        key = _SAM_EVENT_SOURCE_PROP.get(event_type)
        if key is None or key not in props:
            return None
        return self._target_or_value(raw.get(key), props[key], where)

    def _event_failure(self, event_type: str, props: Mapping[str, Any], raw: Mapping[str, Any],
                       where: Location, source: str | Unknown | None) -> Destination | None:
        destination = _dig(props, "DestinationConfig", "OnFailure", "Destination")
        if destination is not None:
            return Destination("on-failure", self._target_or_value(
                _dig(raw, "DestinationConfig", "OnFailure", "Destination"), destination, where),
                _key_loc(props, "DestinationConfig", where))
        dead_letter = props.get("DeadLetterConfig")
        if isinstance(dead_letter, dict):
            target = dead_letter.get("Arn")
            raw_target = _dig(raw, "DeadLetterConfig", "Arn")
            value = self._target_or_value(raw_target, target, where) if target is not None else \
                Unknown("SAM-generated dead-letter queue", where)
            return Destination("dlq", value, _key_loc(props, "DeadLetterConfig", where))
        redrive = props.get("RedrivePolicy")
        if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") is not None:
            return Destination("redrive", self._target_or_value(_dig(raw, "RedrivePolicy", "deadLetterTargetArn"),
                                                                redrive["deadLetterTargetArn"], where),
                               _key_loc(props, "RedrivePolicy", where))
        if event_type == "SQS" and isinstance(source, str):
            return self._queue_redrive(source)
        return None

    def _queue_redrive(self, queue: str) -> Destination | None:
        if self.type_of(queue) != "AWS::SQS::Queue":
            return None
        props = self.props(queue)
        redrive = props.get("RedrivePolicy")
        if isinstance(redrive, str):
            try:
                redrive = json.loads(redrive)
            except json.JSONDecodeError:
                redrive = None
        if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") is not None:
            where = _key_loc(props, "RedrivePolicy", self.loc(queue))
            target = redrive["deadLetterTargetArn"]
            target_id = self.resolver.id_of(target)
            return Destination("redrive", target_id or _as_str(target, where) or "", where)
        return None

    def _target_or_value(self, raw: Any, value: Any, where: Location) -> str | Unknown:
        """A logical id when the raw value points at a resource of this template, else the resolved string."""
        target = self.resolver.target(raw) if raw is not None else None
        if target is not None:
            return target
        target = self.resolver.id_of(value)
        if target is not None:
            return target
        text = _as_str(value, where)
        return text if text is not None else Unknown("value cannot be resolved", where)

    # ------------------------------------------------------------------------------------- APIs

    def _api_info(self, api_id: str, kind: TriggerKind, where: Location) -> _ApiInfo:
        info = self.apis.get(api_id)
        if info is not None:
            return info
        implicit = api_id in ("ServerlessRestApi", "ServerlessHttpApi")
        info = _ApiInfo(api_id, kind, Location(where.path, where.line, where.column, logical_id=api_id),
                        implicit=implicit)
        if implicit:
            section = self.globals.get("Api" if kind is TriggerKind.REST_API else "HttpApi")
            props = self.resolver.resolve(section, where) if isinstance(section, dict) else {}
            self._fill_api(info, props if isinstance(props, dict) else {}, where, kind)
            if kind is TriggerKind.REST_API:
                stage = "Prod"
                stage_where = _key_loc(props, "StageName", info.location) if isinstance(props, dict) else info.location
                info.stages.append(self._sam_stage(f"{api_id}{stage}Stage", api_id, stage, props
                                                   if isinstance(props, dict) else {}, stage_where))
            else:
                stage_name = "$default"
                info.stages.append(self._sam_stage(f"{api_id}ApiGatewayDefaultStage", api_id, stage_name,
                                                   props if isinstance(props, dict) else {}, info.location))
        self.apis[api_id] = info
        return info

    def _sam_api(self, logical_id: str, kind: TriggerKind) -> None:
        props = self.props(logical_id)
        where = self.loc(logical_id)
        info = _ApiInfo(logical_id, kind, where, name=_as_str(props.get("Name"), where))
        self._fill_api(info, props, where, kind)
        stage_name = props.get("StageName")
        if kind is TriggerKind.HTTP_API and stage_name is None:
            stage_id, name = f"{logical_id}ApiGatewayDefaultStage", "$default"
        else:
            name = stage_name if isinstance(stage_name, str) else "<unresolved>"
            stage_id = f"{logical_id}{re.sub(r'[^A-Za-z0-9]', '', name)}Stage"
        info.stages.append(self._sam_stage(stage_id, logical_id, name, props,
                                           _key_loc(props, "StageName", where)))
        self.apis[logical_id] = info

    def _sam_stage(self, stage_id: str, api_id: str, name: str, props: Mapping[str, Any],
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
        waf_where = self._waf.get(stage_id) or self._waf.get(api_id)
        if waf_where is not None:
            fields["waf"] = waf_where
        location = Location(where.path, where.line, where.column, logical_id=stage_id,
                            construct_path=where.construct_path)
        return Stage(name, location, access, waf_where is not None, stage_id, fields)

    def _fill_api(self, info: _ApiInfo, props: Mapping[str, Any], where: Location, kind: TriggerKind) -> None:
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
                info.resource_policy = self._document({"Statement": statements},
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
        cors = props.get("Cors") if kind is TriggerKind.REST_API else props.get("CorsConfiguration")
        if isinstance(cors, str):
            info.cors = (cors.strip("'"),)
        elif isinstance(cors, dict):
            origins = cors.get("AllowOrigin") if kind is TriggerKind.REST_API else cors.get("AllowOrigins")
            info.cors = tuple(o.strip("'") if isinstance(o, str) else o for o in _strings(origins, where))
        if info.cors:
            info.field_locations["cors_allow_origins"] = _key_loc(
                props, "Cors" if kind is TriggerKind.REST_API else "CorsConfiguration", where)

    def _sam_api_trigger(self, trigger_id: str, function_id: str, kind: TriggerKind, props: Mapping[str, Any],
                         raw: Mapping[str, Any], *, where: Location, fields: dict[str, Location]) -> Trigger:
        api_key = "RestApiId" if kind is TriggerKind.REST_API else "ApiId"
        api_id: str | None
        if api_key in props:
            api_id = self.resolver.target(raw.get(api_key), _API_TYPES)
            if api_id is None:
                value = props.get(api_key)
                api_id = value if isinstance(value, str) else None
        else:
            api_id = "ServerlessRestApi" if kind is TriggerKind.REST_API else "ServerlessHttpApi"
        info = self._api_info(api_id, kind, where) if api_id is not None and (
            api_id in self.apis or api_id.startswith("Serverless")) else None
        method = props.get("Method")
        path = props.get("Path")
        method_text = method.upper() if isinstance(method, str) else ("ANY" if kind is TriggerKind.HTTP_API else None)
        path_text = path if isinstance(path, str) else ("$default" if kind is TriggerKind.HTTP_API else None)
        auth = self._sam_route_auth(info, props.get("Auth"), props, where=where, method=method_text, path=path_text)
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
        private = info is not None and isinstance(info.endpoint_type, str) and info.endpoint_type.upper() == "PRIVATE"
        return Trigger(id=trigger_id, location=where, field_locations=fields, kind=kind, function=function_id,
                       source=api_id, api=api_id, method=method_text, path=path_text, auth=auth,
                       request_validation=validation, takes_input=takes_input, private=private)

    def _sam_route_auth(self, info: _ApiInfo | None, event_auth: Any, props: Mapping[str, Any], *,
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

    def _rest_api(self, logical_id: str) -> None:
        props = self.props(logical_id)
        where = self.loc(logical_id)
        info = _ApiInfo(logical_id, TriggerKind.REST_API, where, name=_as_str(props.get("Name"), where))
        endpoint = props.get("EndpointConfiguration")
        types = endpoint.get("Types") if isinstance(endpoint, dict) else None
        if isinstance(types, list) and types:
            info.endpoint_type = _as_str(types[0], where)
            info.field_locations["endpoint_type"] = _key_loc(props, "EndpointConfiguration", where)
        policy = props.get("Policy")
        if policy is not None:
            info.resource_policy = self._document(policy, _key_loc(props, "Policy", where))
        if props.get("Body") is not None:
            info.definition = props["Body"]
        if "BodyS3Location" in props:
            info.external_definition = True
        self.apis[logical_id] = info

    def _http_api(self, logical_id: str) -> None:
        props = self.props(logical_id)
        where = self.loc(logical_id)
        protocol = props.get("ProtocolType")
        info = _ApiInfo(logical_id, TriggerKind.HTTP_API, where, name=_as_str(props.get("Name"), where))
        if props.get("Body") is not None:
            info.definition = props["Body"]
        if "BodyS3Location" in props:
            info.external_definition = True
        cors = props.get("CorsConfiguration")
        if isinstance(cors, dict):
            info.cors = _strings(cors.get("AllowOrigins"), where)
        self.apis[logical_id] = info
        if protocol == "WEBSOCKET":
            info.kind = TriggerKind.OTHER
        target = props.get("Target")
        if target is not None:  # quick create: a $default route and stage, no authorization
            function = self._function_target(self.raw_props(logical_id).get("Target"))
            info.stages.append(Stage("$default", where, False, self._waf.get(logical_id) is not None,
                                     f"{logical_id}.$default"))
            self.triggers.append(Trigger(
                id=f"{logical_id}.$default", location=_key_loc(props, "Target", where), kind=TriggerKind.HTTP_API,
                function=function, source=logical_id, api=logical_id, method="ANY", path="$default",
                auth=Auth(AuthType.NONE, _key_loc(props, "Target", where), detail="quick-create route")))

    def _stage(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        kind = self.type_of(logical_id)
        api_key = "ApiId" if kind == "AWS::ApiGatewayV2::Stage" else "RestApiId"
        api_id = self.resolver.target(raw.get(api_key), _API_TYPES)
        if api_id is None or api_id not in self.apis:
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
        waf_where = self._waf.get(logical_id)
        if waf_where is None and api_id in self._waf:
            waf_where = self._waf[api_id]
        if waf_where is not None:
            fields["waf"] = waf_where
        self.apis[api_id].stages.append(Stage(name, where, access, waf_where is not None, logical_id, fields))

    def _waf_association(self, logical_id: str) -> None:
        raw = self.raw_props(logical_id)
        props = self.props(logical_id)
        where = self.loc(logical_id)
        raw_arn = raw.get("ResourceArn")
        value = props.get("ResourceArn")
        stage_name: str | None = None
        if isinstance(value, str):
            match = re.search(r"/stages/([^/]+)$", value)
            stage_name = match.group(1) if match else None
        for ref in references(raw_arn):
            kind = self.type_of(ref)
            if kind in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
                self._waf[ref] = where
            elif kind in _API_TYPES or ref in ("ServerlessRestApi", "ServerlessHttpApi"):
                if stage_name and not is_symbolic(stage_name):
                    self._waf[f"{ref}{re.sub(r'[^A-Za-z0-9]', '', stage_name)}Stage"] = where
                    for stage_id in self.resolver.resources:
                        if self.type_of(stage_id) in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
                            stage_props = self.raw_props(stage_id)
                            if stage_props.get("StageName") == stage_name and ref in references(
                                    stage_props.get("RestApiId", stage_props.get("ApiId"))):
                                self._waf[stage_id] = where
                else:
                    self._waf[ref] = where

    def _function_target(self, raw: Any) -> str | Unknown:
        for ref in references(raw):
            kind = self.type_of(ref)
            if kind in _FUNCTION_TYPES:
                return ref
            if kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
                inner = self._function_target(self.raw_props(ref).get("FunctionName"))
                if isinstance(inner, str):
                    return inner
        value = self.resolver.resolve_or_none(raw)
        if isinstance(value, str):
            target = self.resolver.id_of(value)
            if target is not None and self.type_of(target) in _FUNCTION_TYPES:
                return target
            return Unknown(f"not a function of this template: {value}"[:200])
        return value if isinstance(value, Unknown) else Unknown("function cannot be resolved")

    def _rest_method(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        integration = props.get("Integration")
        integration_type = integration.get("Type") if isinstance(integration, dict) else None
        if integration_type == "MOCK":
            return
        raw_integration = raw.get("Integration")
        function = self._function_target(raw_integration.get("Uri") if isinstance(raw_integration, dict) else None)
        api_id = self.resolver.target(raw.get("RestApiId"), _API_TYPES)
        method = props.get("HttpMethod")
        method_text = method.upper() if isinstance(method, str) else None
        path = self._rest_path(raw.get("ResourceId"), 0)
        authorization = props.get("AuthorizationType")
        auth_where = _key_loc(props, "AuthorizationType", where)
        authorizer_id = self.resolver.target(raw.get("AuthorizerId"), ("AWS::ApiGateway::Authorizer",))
        api_key = _as_bool(props.get("ApiKeyRequired")) is True
        kind, detail = AuthType.NONE, "AuthorizationType NONE" if authorization else "no AuthorizationType"
        if isinstance(authorization, str):
            upper = authorization.upper()
            if upper == "AWS_IAM":
                kind, detail = AuthType.IAM, "AuthorizationType AWS_IAM"
            elif upper == "COGNITO_USER_POOLS":
                kind, detail = AuthType.COGNITO, "AuthorizationType COGNITO_USER_POOLS"
            elif upper == "CUSTOM":
                kind = self._authorizer_type(authorizer_id) if authorizer_id else AuthType.LAMBDA
                detail = "AuthorizationType CUSTOM"
            elif upper != "NONE":
                kind, detail = AuthType.UNKNOWN, f"AuthorizationType {authorization}"
        elif isinstance(authorization, Unknown):
            kind, detail = AuthType.UNKNOWN, authorization.reason
        if kind is AuthType.NONE and api_key:
            kind, detail = AuthType.API_KEY, detail + "; API key required"
        info = self.apis.get(api_id) if api_id else None
        private = info is not None and isinstance(info.endpoint_type, str) and info.endpoint_type.upper() == "PRIVATE"
        validation = props.get("RequestValidatorId") is not None or bool(props.get("RequestModels"))
        parameters = props.get("RequestParameters")
        takes_input = method_text in ("POST", "PUT", "PATCH", "ANY") or bool(parameters) or (
            isinstance(path, str) and "{" in path)
        fields = self.fields(logical_id, props, {"method": "HttpMethod", "auth": "AuthorizationType",
                                                 "request_validation": "RequestValidatorId",
                                                 "api": "RestApiId"})
        self.triggers.append(Trigger(
            id=logical_id, location=where, field_locations=fields, kind=TriggerKind.REST_API, function=function,
            source=api_id, api=api_id, method=method_text, path=path if isinstance(path, str) else None,
            auth=Auth(kind, auth_where, authorizer_id, api_key, detail), request_validation=validation,
            takes_input=takes_input, private=private))

    def _rest_path(self, raw: Any, depth: int) -> str | None:
        if depth > 30:
            return None
        fn = raw if isinstance(raw, dict) else None
        if fn is not None and "Fn::GetAtt" in fn:
            return "/"
        target = self.resolver.target(raw, ("AWS::ApiGateway::Resource",))
        if target is None:
            return None
        props = self.raw_props(target)
        part = self.resolver.resolve_or_none(props.get("PathPart"))
        parent = self._rest_path(props.get("ParentId"), depth + 1)
        if not isinstance(part, str) or parent is None:
            return None
        return parent.rstrip("/") + "/" + part

    def _authorizer_type(self, authorizer_id: str | None) -> AuthType:
        if authorizer_id is None:
            return AuthType.UNKNOWN
        props = self.props(authorizer_id)
        kind = props.get("Type") or props.get("AuthorizerType")
        if kind in ("TOKEN", "REQUEST"):
            return AuthType.LAMBDA
        if kind == "COGNITO_USER_POOLS":
            return AuthType.COGNITO
        if kind == "JWT":
            return AuthType.JWT
        return AuthType.UNKNOWN

    def _http_route(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        api_id = self.resolver.target(raw.get("ApiId"), _API_TYPES)
        route_key = props.get("RouteKey")
        method, path = None, None
        if isinstance(route_key, str):
            method, _, path = route_key.partition(" ")
            if not path:
                method, path = "ANY", route_key
        function: str | Unknown = Unknown("route target cannot be resolved", where)
        for ref in references(raw.get("Target")):
            if self.type_of(ref) == "AWS::ApiGatewayV2::Integration":
                function = self._function_target(self.raw_props(ref).get("IntegrationUri"))
                break
        authorization = props.get("AuthorizationType")
        authorizer_id = self.resolver.target(raw.get("AuthorizerId"), ("AWS::ApiGatewayV2::Authorizer",))
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
        info = self.apis.get(api_id) if api_id else None
        trigger_kind = TriggerKind.HTTP_API if info is None or info.kind is TriggerKind.HTTP_API else TriggerKind.OTHER
        self.triggers.append(Trigger(
            id=logical_id, location=where,
            field_locations=self.fields(logical_id, props, {"auth": "AuthorizationType", "path": "RouteKey",
                                                            "method": "RouteKey", "api": "ApiId"}),
            kind=trigger_kind, function=function, source=api_id, api=api_id, method=method, path=path,
            auth=Auth(kind, _key_loc(props, "AuthorizationType", where), authorizer_id, api_key, detail)))

    def api_nodes(self) -> list[Api]:
        out: list[Api] = []
        for info in self.apis.values():
            default = None
            if info.default_authorizer is not None:
                kind = {"NONE": AuthType.NONE, "AWS_IAM": AuthType.IAM}.get(
                    info.default_authorizer, info.authorizers.get(info.default_authorizer, AuthType.UNKNOWN))
                default = Auth(kind, info.default_location or info.location, info.default_authorizer,
                               info.api_key_required, "DefaultAuthorizer")
            elif info.api_key_required:
                default = Auth(AuthType.API_KEY, info.api_key_location or info.location, None, True,
                               "ApiKeyRequired")
            out.append(Api(id=info.id, location=info.location, field_locations=info.field_locations,
                           kind=info.kind, name=info.name, stages=tuple(info.stages), default_auth=default,
                           endpoint_type=info.endpoint_type, implicit=info.implicit,
                           resource_policy=info.resource_policy, cors_allow_origins=info.cors))
        return out

    # --------------------------------------------------------------------- permissions, URLs, ESMs

    def _permission(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        function = self._function_target(raw.get("FunctionName"))
        if isinstance(function, Unknown):
            value = props.get("FunctionName")
            function = value if isinstance(value, str) else function
        self.permissions.append(Permission(
            id=logical_id, location=where,
            field_locations=self.fields(logical_id, props, {
                "function": "FunctionName", "action": "Action", "principal": "Principal",
                "source_arn": "SourceArn", "source_account": "SourceAccount", "principal_org_id": "PrincipalOrgID",
                "function_url_auth_type": "FunctionUrlAuthType"}),
            function=function, action=_as_str(props.get("Action"), where) or "lambda:InvokeFunction",
            principal=_as_str(props.get("Principal"), where) or "",
            source_arn=_as_str(props.get("SourceArn"), where),
            source_account=_as_str(props.get("SourceAccount"), where),
            principal_org_id=_as_str(props.get("PrincipalOrgID"), where),
            function_url_auth_type=_as_str(props.get("FunctionUrlAuthType"), where)))

    def _url_trigger(self, trigger_id: str, function: str | Unknown, config: Mapping[str, Any],
                     where: Location) -> None:
        auth_type = config.get("AuthType")
        auth_where = _key_loc(config, "AuthType", where)
        if auth_type == "NONE":
            auth = Auth(AuthType.NONE, auth_where, detail="AuthType NONE")
        elif auth_type == "AWS_IAM":
            auth = Auth(AuthType.IAM, auth_where, detail="AuthType AWS_IAM")
        else:
            auth = Auth(AuthType.UNKNOWN, auth_where, detail=f"AuthType {auth_type!s}")
        cors = config.get("Cors")
        fields = {"auth": auth_where}
        if isinstance(cors, dict):
            fields["cors"] = _key_loc(config, "Cors", where)
        self.triggers.append(Trigger(id=trigger_id, location=Location(
            where.path, where.line, where.column, logical_id=trigger_id, construct_path=where.construct_path),
            field_locations=fields, kind=TriggerKind.FUNCTION_URL, function=function, auth=auth))

    def _function_url(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        function = self._function_target(raw.get("TargetFunctionArn"))
        self._url_trigger(logical_id, function, props, self.loc(logical_id))

    def _event_source_mapping(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        function = self._function_target(raw.get("FunctionName"))
        source_raw = raw.get("EventSourceArn")
        source = self._target_or_value(source_raw, props.get("EventSourceArn"), where) \
            if "EventSourceArn" in props else None
        kind = TriggerKind.OTHER
        source_type = self.type_of(source) if isinstance(source, str) else ""
        arn_value = props.get("EventSourceArn")
        text = arn_value if isinstance(arn_value, str) else ""
        if source_type == "AWS::SQS::Queue" or ":sqs:" in text:
            kind = TriggerKind.SQS
        elif source_type in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable") or ":dynamodb:" in text \
                or "StreamArn" in str(source_raw):
            kind = TriggerKind.DYNAMODB_STREAM
        elif source_type == "AWS::Kinesis::Stream" or ":kinesis:" in text:
            kind = TriggerKind.KINESIS
        elif source_type == "AWS::MSK::Cluster" or ":kafka:" in text or "SelfManagedEventSource" in props:
            kind = TriggerKind.KAFKA
        elif source_type == "AWS::AmazonMQ::Broker" or ":mq:" in text:
            kind = TriggerKind.MQ
        on_failure = None
        destination = _dig(props, "DestinationConfig", "OnFailure", "Destination")
        if destination is not None:
            on_failure = Destination("on-failure", self._target_or_value(
                _dig(raw, "DestinationConfig", "OnFailure", "Destination"), destination, where),
                _key_loc(props, "DestinationConfig", where))
        elif kind is TriggerKind.SQS and isinstance(source, str):
            on_failure = self._queue_redrive(source)
        self.triggers.append(Trigger(
            id=logical_id, location=where,
            field_locations=self.fields(logical_id, props, {"source": "EventSourceArn",
                                                            "on_failure": "DestinationConfig",
                                                            "function": "FunctionName"}),
            kind=kind, function=function, source=source, on_failure=on_failure))

    def _invoke_config(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        function = self._function_target(raw.get("FunctionName"))
        destination = _dig(props, "DestinationConfig", "OnFailure", "Destination")
        if isinstance(function, str) and destination is not None:
            self._invoke_configs[function] = Destination(
                "on-failure", self._target_or_value(_dig(raw, "DestinationConfig", "OnFailure", "Destination"),
                                                    destination, where),
                _key_loc(props, "DestinationConfig", where))

    def _bucket_notifications(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        configs = _dig(props, "NotificationConfiguration", "LambdaConfigurations")
        raw_configs = _dig(raw, "NotificationConfiguration", "LambdaConfigurations")
        if not isinstance(configs, list):
            return
        where = self.loc(logical_id)
        for index, config in enumerate(configs):
            if not isinstance(config, dict):
                continue
            raw_config = raw_configs[index] if isinstance(raw_configs, list) and len(raw_configs) == len(configs) \
                else config
            function = self._function_target(raw_config.get("Function") if isinstance(raw_config, dict) else None)
            item_where = _item_loc(configs, index, where)
            self.triggers.append(Trigger(id=f"{logical_id}.{index}", location=item_where, kind=TriggerKind.S3,
                                         function=function, source=logical_id))

    def _sns_subscription(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        if str(props.get("Protocol")).lower() != "lambda":
            return
        where = self.loc(logical_id)
        function = self._function_target(raw.get("Endpoint"))
        source = self._target_or_value(raw.get("TopicArn"), props.get("TopicArn"), where)
        redrive = props.get("RedrivePolicy")
        on_failure = None
        if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") is not None:
            on_failure = Destination("redrive", self._target_or_value(
                _dig(raw, "RedrivePolicy", "deadLetterTargetArn"), redrive["deadLetterTargetArn"], where),
                _key_loc(props, "RedrivePolicy", where))
        self.triggers.append(Trigger(id=logical_id, location=where, kind=TriggerKind.SNS, function=function,
                                     source=source, on_failure=on_failure,
                                     field_locations=self.fields(logical_id, props, {"source": "TopicArn"})))

    def _sns_topic_subscriptions(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        subscriptions = props.get("Subscription")
        raw_subscriptions = raw.get("Subscription")
        if not isinstance(subscriptions, list):
            return
        where = self.loc(logical_id)
        for index, item in enumerate(subscriptions):
            if not isinstance(item, dict) or str(item.get("Protocol")).lower() != "lambda":
                continue
            raw_item = raw_subscriptions[index] if isinstance(raw_subscriptions, list) and \
                len(raw_subscriptions) == len(subscriptions) else item
            function = self._function_target(raw_item.get("Endpoint") if isinstance(raw_item, dict) else None)
            self.triggers.append(Trigger(id=f"{logical_id}.{index}", location=_item_loc(subscriptions, index, where),
                                         kind=TriggerKind.SNS, function=function, source=logical_id))

    def _event_rule(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        targets = props.get("Targets")
        raw_targets = raw.get("Targets")
        if not isinstance(targets, list):
            return
        where = self.loc(logical_id)
        schedule = props.get("ScheduleExpression")
        pattern = props.get("EventPattern")
        source: str | Unknown | None = _as_str(schedule, where) if schedule is not None else None
        if source is None and isinstance(pattern, dict) and isinstance(pattern.get("source"), list):
            source = ",".join(str(s) for s in pattern["source"] if not isinstance(s, dict)) or None
        for index, target in enumerate(targets):
            if not isinstance(target, dict):
                continue
            raw_target = raw_targets[index] if isinstance(raw_targets, list) and len(raw_targets) == len(targets) \
                else target
            if not isinstance(raw_target, dict):
                continue
            function = self._function_target(raw_target.get("Arn"))
            if isinstance(function, Unknown):
                continue
            target_id = target.get("Id") if isinstance(target.get("Id"), str) else str(index)
            on_failure = None
            dead_letter = _dig(target, "DeadLetterConfig", "Arn")
            if dead_letter is not None:
                on_failure = Destination("dlq", self._target_or_value(
                    _dig(raw_target, "DeadLetterConfig", "Arn"), dead_letter, where),
                    _key_loc(target, "DeadLetterConfig", where))
            self.triggers.append(Trigger(
                id=f"{logical_id}.{target_id}", location=_item_loc(targets, index, where),
                kind=TriggerKind.SCHEDULE if schedule is not None else TriggerKind.EVENTBRIDGE,
                function=function, source=source, on_failure=on_failure))

    def _scheduler(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        function = self._function_target(_dig(raw, "Target", "Arn"))
        if isinstance(function, Unknown):
            return
        dead_letter = _dig(props, "Target", "DeadLetterConfig", "Arn")
        on_failure = Destination("dlq", _as_str(dead_letter, where) or "", where) if dead_letter is not None else None
        self.triggers.append(Trigger(id=logical_id, location=where, kind=TriggerKind.SCHEDULE, function=function,
                                     source=_as_str(props.get("ScheduleExpression"), where), on_failure=on_failure))

    def _log_subscription(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        function = self._function_target(raw.get("DestinationArn"))
        if isinstance(function, Unknown):
            return
        where = self.loc(logical_id)
        self.triggers.append(Trigger(id=logical_id, location=where, kind=TriggerKind.CLOUDWATCH_LOGS,
                                     function=function, source=_as_str(props.get("LogGroupName"), where)))

    # ---------------------------------------------------------------------- layers, network, data

    def _layer(self, logical_id: str) -> None:
        props = self.props(logical_id)
        where = self.loc(logical_id)
        content = props.get("ContentUri") if "ContentUri" in props else props.get("Content")
        content_dir = None
        if isinstance(content, str) and not content.startswith("s3://"):
            content_dir = self._local_dir(content)
        content_dir = self._asset_dir(logical_id) or content_dir
        runtimes = props.get("CompatibleRuntimes")
        self.layers.append(Layer(
            id=logical_id, location=where,
            field_locations=self.fields(logical_id, props, {"name": "LayerName", "content_dir": "ContentUri",
                                                            "compatible_runtimes": "CompatibleRuntimes"}),
            arn=f"${{{logical_id}}}", name=_as_str(props.get("LayerName"), where), content_dir=content_dir,
            compatible_runtimes=tuple(r for r in runtimes if isinstance(r, str)) if isinstance(runtimes, list)
            else ()))

    def _sg_rule(self, direction: str, item: Mapping[str, Any], raw_item: Any, where: Location) -> SecurityGroupRule:
        cidr = item.get("CidrIp") if item.get("CidrIp") is not None else item.get("CidrIpv6")
        if cidr is None and item.get("DestinationPrefixListId") is not None:
            cidr = item.get("DestinationPrefixListId")
        group_key = "DestinationSecurityGroupId" if direction == "egress" else "SourceSecurityGroupId"
        group = None
        if item.get(group_key) is not None:
            raw_group = raw_item.get(group_key) if isinstance(raw_item, dict) else None
            group = self.resolver.target(raw_group, _SG_TYPES) or _as_str(item.get(group_key), where)
        protocol = _as_str(item.get("IpProtocol"), where)
        return SecurityGroupRule(direction, protocol if protocol is not None else "-1",
                                 _as_int(item.get("FromPort"), where), _as_int(item.get("ToPort"), where),
                                 _as_str(cidr, where), where, group)

    def _standalone_sg_rule(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        direction = "egress" if self.type_of(logical_id).endswith("Egress") else "ingress"
        group = self.resolver.target(raw.get("GroupId"), _SG_TYPES)
        if group is None:
            return
        rule = self._sg_rule(direction, props, raw, self.loc(logical_id))
        (self._extra_egress if direction == "egress" else self._extra_ingress).setdefault(group, []).append(rule)

    def _security_group(self, logical_id: str) -> None:
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        rules: list[SecurityGroupRule] = []
        for direction, key in (("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")):
            items = props.get(key)
            raw_items = raw.get(key)
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                raw_item = raw_items[index] if isinstance(raw_items, list) and len(raw_items) == len(items) else item
                rules.append(self._sg_rule(direction, item, raw_item, _item_loc(items, index, _key_loc(
                    props, key, where))))
        rules.extend(self._extra_ingress.get(logical_id, ()))
        rules.extend(self._extra_egress.get(logical_id, ()))
        self.security_groups.append(SecurityGroup(
            id=logical_id, location=where,
            field_locations=self.fields(logical_id, props, {"rules": "SecurityGroupEgress", "vpc_id": "VpcId",
                                                            "ingress": "SecurityGroupIngress"}),
            rules=tuple(rules), implicit_allow_all_egress="SecurityGroupEgress" not in props,
            vpc_id=_as_str(props.get("VpcId"), where)))

    def _resource_policy(self, logical_id: str) -> None:
        """An S3 BucketPolicy / SQS QueuePolicy / SNS TopicPolicy: its document goes to every resource of this
        template it names (resources it names by an ARN or URL we cannot map stay unmodelled)."""
        kind = self.type_of(logical_id)
        key, target_type = _RESOURCE_POLICY_TYPES[kind]
        props = self.props(logical_id)
        raw = self.raw_props(logical_id)
        where = self.loc(logical_id)
        document = self._document(props.get("PolicyDocument"), _key_loc(props, "PolicyDocument", where))
        raw_targets = raw.get(key)
        items = raw_targets if isinstance(raw_targets, list) else [raw_targets] if raw_targets is not None else []
        for item in items:
            target = self.resolver.target(item, (target_type,))
            if target is not None:
                self._resource_policies.setdefault(target, []).append(document)

    def _data_resource(self, logical_id: str, kind: str) -> None:
        props = self.props(logical_id)
        where = self.loc(logical_id)
        name = self.resolver.name_of(logical_id)
        arn = self.resolver.arn_of(logical_id)
        field_locations = {key: _key_loc(props, key, where) for key in props} if isinstance(props, dict) else {}
        documents = self._resource_policies.get(logical_id, [])
        policy: PolicyDocument | None = None
        if documents:
            policy = PolicyDocument(tuple(s for d in documents for s in d.statements), documents[0].location,
                                    next((d.unresolved for d in documents if d.unresolved is not None), None))
            field_locations["resource_policy"] = policy.location
        self.data_resources.append(Resource(
            id=logical_id, location=where, field_locations=field_locations,
            type=kind, category=CATEGORIES[kind], name=name, arn=arn, properties=props, resource_policy=policy))


# ------------------------------------------------------------------------------------------- utilities


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _attribute_refs(raw: Any) -> list[str]:
    """`Id.Attribute` strings a raw value reads through GetAtt or Sub."""
    out: list[str] = []
    if isinstance(raw, dict) and len(raw) == 1:
        key, arg = next(iter(raw.items()))
        if key == "Fn::GetAtt":
            if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
                out.append(f"{arg[0]}.{arg[1]}")
            elif isinstance(arg, str):
                out.append(arg)
        elif key == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            if isinstance(text, str):
                out.extend(m.group(1) for m in re.finditer(r"\$\{([A-Za-z0-9]+\.[A-Za-z0-9.]+)\}", text))
            if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
                for value in arg[1].values():
                    out.extend(_attribute_refs(value))
        elif key in ("Fn::Join", "Fn::If", "Fn::Select"):
            for item in arg if isinstance(arg, list) else []:
                out.extend(_attribute_refs(item))
    elif isinstance(raw, list):
        for item in raw:
            out.extend(_attribute_refs(item))
    return out


def _handler_function(handler: str | Unknown | None) -> str | None:
    if isinstance(handler, str) and "." in handler:
        return handler.rsplit(".", 1)[1] or None
    return None


def _relocate_statement(statement: Statement, where: Location) -> Statement:
    """SAM policy template statements come from SAM's data, not the template: point them at the use site."""
    return Statement(statement.effect, where, statement.sid, statement.actions, statement.not_actions,
                     statement.resources, statement.not_resources, statement.principals, statement.not_principals,
                     statement.conditions, {})


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
