"""The CloudFormation builder's state and what every resource family shares: resolved properties (SAM Globals
merged), locations, diagnostics and the per-resource crash guard.

The families (`_functions`, `_iam`, `_apis`, `_triggers`, `_storage`, `_network`, `_containers`, `_code`) are
plain functions taking the `_Builder` as `b`; they import this module and never each other in a circle, so a
family can be read (and changed) without the others. Intrinsics stay in `loaders.intrinsics`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext
from faasguard.loaders._budget import Budget, isolated
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.loaders.intrinsics import Resolver, references
from faasguard.model import (
    AuthType,
    Container,
    Cors,
    Destination,
    Function,
    Layer,
    Location,
    Parameter,
    Permission,
    Policy,
    PolicyDocument,
    RegistryScanning,
    Resource,
    ResourceCategory,
    Role,
    Route,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    Service,
    SourceSuppression,
    Stage,
    Subnet,
    Trigger,
    TriggerKind,
    Unknown,
)

COMPONENT = "cloudformation loader"


_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


_ROLE_TYPES = ("AWS::IAM::Role",)


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
    "AWS::Cognito::IdentityPool": ResourceCategory.IDENTITY_POOL,
}


_RESOURCE_POLICY_TYPES: dict[str, tuple[str, str]] = {
    "AWS::S3::BucketPolicy": ("Bucket", "AWS::S3::Bucket"),
    "AWS::SQS::QueuePolicy": ("Queues", "AWS::SQS::Queue"),
    "AWS::SNS::TopicPolicy": ("Topics", "AWS::SNS::Topic"),
    "AWS::SecretsManager::ResourcePolicy": ("SecretId", "AWS::SecretsManager::Secret"),
}
"""Resource-policy type → (property naming the targets, target resource type)."""


def is_sam(template: Mapping[str, Any]) -> bool:
    transform = template.get("Transform")
    items = transform if isinstance(transform, list) else [transform]
    return any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in items)


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


_GLOBALS_SECTIONS = {"AWS::Serverless::Function": "Function", "AWS::Serverless::Api": "Api",
                     "AWS::Serverless::HttpApi": "HttpApi", "AWS::Serverless::SimpleTable": "SimpleTable",
                     "AWS::Serverless::StateMachine": "StateMachine", "AWS::Serverless::LayerVersion": "LayerVersion"}
"""Resource type → its section of the SAM `Globals`."""


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
        if isinstance(merged, LocatedDict):  # literal blocks (inline code) keep their first lines
            blocks = {k: line for k, line in (getattr(base, "blocks", None) or {}).items() if k not in override}
            blocks.update(getattr(override, "blocks", None) or {})
            merged.blocks = blocks or None
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


@record(frozen=False, slots=False)
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
    cors_config: Cors | None = None
    field_locations: dict[str, Location] = field(default_factory=dict)


class _Builder:
    def __init__(self, template: LocatedDict, path: Path, display: str, ctx: LoadContext | None, *,
                 asset_root: Path | None, construct_paths: Mapping[str, str], budget: Budget | None = None) -> None:
        self.template = template
        self.construct_paths = construct_paths
        self._locs: dict[str, Location] = {}
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
        self.subnets: list[Subnet] = []
        self.route_tables: list[RouteTable] = []
        self.services: list[Service] = []
        self._routes: dict[str, list[Route]] = {}
        self._associations: dict[str, tuple[str | Unknown, Location]] = {}
        self.containers: list[Container] = []
        self.data_resources: list[Resource] = []
        self.registry_scanning: list[RegistryScanning] = []
        self.parameters: list[Parameter] = []
        self.suppressions: list[SourceSuppression] = []
        self._props: dict[str, Any] = {}
        self._merged: dict[str, dict[str, Any]] = {}
        self._expansions: dict[tuple[object, ...], Any] = {}
        """SAM policy templates expanded with literal parameters (`_iam._expanded`)."""
        self._attached: dict[str, list[Policy]] = {}
        self._invoke_configs: dict[str, Destination] = {}
        self._invoke_successes: dict[str, Destination] = {}
        self._waf: dict[str, Location] = {}
        self._extra_egress: dict[str, list[SecurityGroupRule]] = {}
        self._extra_ingress: dict[str, list[SecurityGroupRule]] = {}
        self._resource_policies: dict[str, list[PolicyDocument]] = {}
        self._local_dirs: dict[str, str | None] = {}
        """`_local_dir` answers for this template (functions share a CodeUri: resolved once, not per function)."""
        self._code_bases: dict[str, tuple[Path, bool]] = {}
        """Per code directory: (where its handlers are looked up, whether it is a zip): `_code._code_base`."""
        self._resolved: dict[Path, Path | None] = {}
        """Local paths resolved for this template (`_code._resolved`), None when they lead out of the roots."""
        self._real: dict[Path, Path] = {}
        """`Path.resolve()` answers for this template (`_code._real`)."""
        self._inside: dict[Path, bool] = {}
        """Whether a resolved path is inside the scanned roots."""

    # ----------------------------------------------------------------------------------- basics

    def type_of(self, logical_id: str) -> str:
        return self.resolver.resource_type(logical_id) or ""

    def loc(self, logical_id: str) -> Location:
        """Where a resource is declared; built once per resource, since every family reading it asks (SAM
        2,000 functions: ~13,000 calls for ~4,000 resources)."""
        found = self._locs.get(logical_id)
        if found is not None:
            return found
        line, column = self.raw.key_locs.get(logical_id, (self.raw.line, self.raw.column))
        resource = self.raw.get(logical_id)
        construct_path = self.construct_paths.get(logical_id)
        if isinstance(resource, dict):
            metadata = resource.get("Metadata")
            if isinstance(metadata, dict) and isinstance(metadata.get("aws:cdk:path"), str):
                construct_path = metadata["aws:cdk:path"]
        path = self.display
        if isinstance(resource, LocatedDict) and resource.path != self.raw.path:
            path = resource.path  # written in another file: a Serverless `resources: ${file(...)}` include
        found = self._locs[logical_id] = Location(path, line, column, logical_id=logical_id,
                                                  construct_path=construct_path)
        return found

    def raw_props(self, logical_id: str) -> dict[str, Any]:
        resource = self.raw.get(logical_id)
        props = resource.get("Properties") if isinstance(resource, dict) else None
        return props if isinstance(props, dict) else {}

    def props(self, logical_id: str) -> dict[str, Any]:
        """Resolved properties of a resource (SAM Globals merged in for serverless resources), cached."""
        if logical_id not in self._props:
            raw = self._merged[logical_id] = self.merged_raw(logical_id)
            resolved = self.resolver.resolve(raw, self.loc(logical_id))
            self._props[logical_id] = resolved if isinstance(resolved, dict) else {}
        result: dict[str, Any] = self._props[logical_id]
        return result

    def merged_raw(self, logical_id: str) -> dict[str, Any]:
        """The raw properties with SAM Globals merged in; once per resource (`props` merges them first)."""
        found = self._merged.get(logical_id)
        if found is not None:
            return found
        raw = self.raw_props(logical_id)
        section = _GLOBALS_SECTIONS.get(self.type_of(logical_id))
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


    def guard(self, logical_id: str) -> contextlib.AbstractContextManager[None]:
        """One resource's modelling: if it raises, that resource is reported and the rest of the app kept."""
        return isolated(self.diagnostics, COMPONENT, f"{self.display} resource {logical_id}", self.loc(logical_id),
                        refuse_whole=True)


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


    # --------------------------------------------------------------------------------- functions


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


    # --------------------------------------------------------------------------------- events


    # ------------------------------------------------------------------------------------- APIs


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


    # --------------------------------------------------------------------- permissions, URLs, ESMs


    # ---------------------------------------------------------------------- layers, network, data




def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
