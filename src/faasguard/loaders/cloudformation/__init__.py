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

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult
from faasguard.loaders._budget import Budget, BudgetExceededError, isolated
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, parse_yaml_text, read_text
from faasguard.loaders.cloudformation._apis import (
    _http_api,
    _http_route,
    _rest_api,
    _rest_method,
    _sam_api,
    _stage,
    _waf_association,
    api_nodes,
)
from faasguard.loaders.cloudformation._containers import _ecs_service, _scheduled_task, _task_definition
from faasguard.loaders.cloudformation._core import (
    _RESOURCE_POLICY_TYPES,
    CATEGORIES,
    COMPONENT,
    _Builder,
    is_sam,
)
from faasguard.loaders.cloudformation._functions import (
    _cfn_function,
    _invoke_config,
    _layer,
    _sam_function,
)
from faasguard.loaders.cloudformation._iam import (
    _attached_policy,
    _permission,
    _role,
)
from faasguard.loaders.cloudformation._network import (
    _association,
    _route,
    _route_table,
    _security_group,
    _standalone_sg_rule,
    _subnet,
)
from faasguard.loaders.cloudformation._storage import _data_resource, _registry_scanning, _resource_policy
from faasguard.loaders.cloudformation._triggers import (
    _bucket_notifications,
    _event_rule,
    _event_source_mapping,
    _function_url,
    _log_subscription,
    _scheduler,
    _sns_subscription,
    _sns_topic_subscriptions,
)
from faasguard.model import (
    Application,
    Location,
    SourceKind,
    TriggerKind,
)
from faasguard.sources import SourceFile

log = logging.getLogger(__name__)


__all__ = ["build_application", "load", "parse_template"]


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
        build(builder)
    except RecursionError:
        builder.diagnostics.append(Diagnostic(DiagnosticKind.UNRESOLVED, "template nests too deep to model",
                                              Location(display), DiagnosticLevel.WARNING, COMPONENT))
    app = Application(
        name=name or display, source=kind, root=str(path.parent), files=(display,),
        functions=tuple(builder.functions.values()), roles=tuple(builder.roles.values()),
        triggers=tuple(builder.triggers), apis=tuple(api_nodes(builder)),
        permissions=tuple(builder.permissions), layers=tuple(builder.layers),
        security_groups=tuple(builder.security_groups), subnets=tuple(builder.subnets),
        route_tables=tuple(builder.route_tables), services=tuple(builder.services),
        resources=tuple(builder.data_resources),
        registry_scanning=tuple(builder.registry_scanning),
        containers=tuple(builder.containers),
        parameters=tuple(builder.parameters), suppressions=tuple(builder.suppressions))
    return app, builder.diagnostics


_FAMILIES: tuple[tuple[Iterable[str], Callable[[_Builder, str], None]], ...] = (
    (("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"), _attached_policy),
    (("AWS::Lambda::EventInvokeConfig",), _invoke_config),
    (("AWS::WAFv2::WebACLAssociation", "AWS::WAFRegional::WebACLAssociation"), _waf_association),
    (("AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress"), _standalone_sg_rule),
    (("AWS::IAM::Role",), _role),
    (("AWS::EC2::SecurityGroup",), _security_group),
    (("AWS::EC2::Route",), _route),
    (("AWS::EC2::SubnetRouteTableAssociation",), _association),
    (("AWS::EC2::RouteTable",), _route_table),
    (("AWS::EC2::Subnet",), _subnet),
    (("AWS::Serverless::Api",), lambda b, logical_id: _sam_api(b, logical_id, TriggerKind.REST_API)),
    (("AWS::Serverless::HttpApi",), lambda b, logical_id: _sam_api(b, logical_id, TriggerKind.HTTP_API)),
    (("AWS::ApiGateway::RestApi",), _rest_api),
    (("AWS::ApiGatewayV2::Api",), _http_api),
    (("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment", "AWS::ApiGatewayV2::Stage"), _stage),
    (("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"), _layer),
    (("AWS::Serverless::Function",), _sam_function),
    (("AWS::Lambda::Function",), _cfn_function),
    (("AWS::Lambda::Permission",), _permission),
    (("AWS::Lambda::Url",), _function_url),
    (("AWS::Lambda::EventSourceMapping",), _event_source_mapping),
    (("AWS::ApiGateway::Method",), _rest_method),
    (("AWS::ApiGatewayV2::Route",), _http_route),
    (("AWS::S3::Bucket",), _bucket_notifications),
    (("AWS::SNS::Subscription",), _sns_subscription),
    (("AWS::SNS::Topic",), _sns_topic_subscriptions),
    (("AWS::Events::Rule",), _event_rule),
    (("AWS::Scheduler::Schedule",), _scheduler),
    (("AWS::Logs::SubscriptionFilter",), _log_subscription),
    (("AWS::ECS::TaskDefinition",), _task_definition),
    (("AWS::ECS::Service",), _ecs_service),
    (("AWS::Events::Rule", "AWS::Scheduler::Schedule"), _scheduled_task),
    (_RESOURCE_POLICY_TYPES, _resource_policy),
    (("AWS::ECR::RegistryScanningConfiguration",), _registry_scanning),
)
"""Resource types in the order they are modelled: things other nodes point at (policies, invoke configs, WAF
associations, standalone security group rules, roles, groups, routes, subnet associations, APIs, stages,
layers) before the functions and triggers that refer to them."""


def build(b: _Builder) -> None:
    """Model every deployed resource, one crash guard per resource, family by family in `_FAMILIES` order."""
    b._parameters()
    deployed: list[str] = []
    for logical_id, resource in b.raw.items():
        if not isinstance(resource, dict):
            b.note(DiagnosticKind.PARSE_ERROR, f"resource {logical_id} is not a mapping",
                   b.loc(logical_id), DiagnosticLevel.WARNING)
            continue
        condition = resource.get("Condition")
        if isinstance(condition, str) and b.resolver.condition(condition, b.loc(logical_id)) is False:
            continue
        deployed.append(logical_id)
        with b.guard(logical_id):
            b._suppressions(logical_id, resource)
    by_type: dict[str, list[str]] = {}
    for logical_id in deployed:
        by_type.setdefault(b.type_of(logical_id), []).append(logical_id)
    for types, handler in _FAMILIES:
        for kind in types:
            for logical_id in by_type.get(kind, ()):
                with b.guard(logical_id):
                    handler(b, logical_id)
    for kind, ids in by_type.items():
        if kind in CATEGORIES:
            for logical_id in ids:
                with b.guard(logical_id):
                    _data_resource(b, logical_id, kind)
