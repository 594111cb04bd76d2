"""ECS task definitions, through the container helper shared with the ECS JSON and Terraform loaders."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from faasguard.loaders.cloudformation._core import (
    _as_str,
    _Builder,
    _item_loc,
    _key_loc,
)
from faasguard.loaders.cloudformation._iam import (
    _external_role,
    _role_id,
)
from faasguard.loaders.cloudformation._network import placement
from faasguard.loaders.cloudformation._secrets import _secret_attribute
from faasguard.model import (
    Container,
    Location,
    Service,
    Unknown,
)


def _task_definition(b: _Builder, logical_id: str) -> None:
    """ECS task definitions: containers through the shared `_containers` helper (same shape as the ECS JSON
    loader and Terraform); task and execution roles resolved to template roles so FG1xx rules apply."""
    from faasguard.loaders._containers import ecs_container

    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    roles: dict[str, str | Unknown | None] = {}
    for key in ("TaskRoleArn", "ExecutionRoleArn"):
        if key not in raw:
            roles[key] = None
            continue
        role_id: str | Unknown | None = _role_id(b, raw[key])
        if role_id is None:
            value = b.resolver.resolve_or_none(raw[key])
            role_id = _external_role(b, value, _key_loc(raw, key, b.loc(logical_id))) \
                if isinstance(value, (str, Unknown)) else None
        roles[key] = role_id
    definitions = props.get("ContainerDefinitions")
    if not isinstance(definitions, list):
        return
    raw_definitions = raw.get("ContainerDefinitions")
    for index, definition in enumerate(definitions):
        if isinstance(definition, dict):
            where = _item_loc(definitions, index, b.loc(logical_id))
            container = ecs_container(
                definition, where.with_id(logical_id, b.loc(logical_id).construct_path), logical_id,
                task_role=roles["TaskRoleArn"], execution_role=roles["ExecutionRoleArn"],
                task_cpu=props.get("Cpu"), task_memory=props.get("Memory"))
            raw_definition = raw_definitions[index] if isinstance(raw_definitions, list) \
                and len(raw_definitions) == len(definitions) else None
            b.containers.append(_secret_attributes(b, container, raw_definition))


def _secret_attributes(b: _Builder, container: Container, raw_definition: Any) -> Container:
    """Mark environment values that copy a secret attribute (`!GetAtt AccessKey.SecretAccessKey`), as the
    function loader does, from the definition as written (the resolved value no longer says where it came
    from)."""
    raw_env = raw_definition.get("Environment") if isinstance(raw_definition, dict) else None
    if not isinstance(raw_env, list):
        return container
    sources: dict[str, str] = {}
    for item in raw_env:
        if isinstance(item, dict) and isinstance(item.get("Name"), str):
            attribute = _secret_attribute(b, item.get("Value"))
            if attribute is not None:
                sources[item["Name"]] = attribute
    if not sources:
        return container
    return replace(container, environment=tuple(
        replace(var, from_secret_attribute=sources[var.name]) if var.name in sources else var
        for var in container.environment))


def _ecs_service(b: _Builder, logical_id: str) -> None:
    """`AWS::ECS::Service`: the task definition it runs and, for `awsvpc` tasks, the subnets and security groups
    of `NetworkConfiguration.AwsvpcConfiguration` (FG309 judges those groups as it does a function's)."""
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    task = b.resolver.target(raw.get("TaskDefinition"), ("AWS::ECS::TaskDefinition",))
    network = None
    public_ip: bool | Unknown | None = None
    config = props.get("NetworkConfiguration")
    fields = b.fields(logical_id, props, {"network": "NetworkConfiguration", "task": "TaskDefinition"})
    if config is not None:
        raw_config = raw.get("NetworkConfiguration")
        awsvpc = config.get("AwsvpcConfiguration") if isinstance(config, dict) else config
        raw_awsvpc = raw_config.get("AwsvpcConfiguration") if isinstance(raw_config, dict) else None
        network_where = _key_loc(props, "NetworkConfiguration", where)
        network = placement(b, awsvpc, raw_awsvpc, network_where, subnets_key="Subnets",
                            groups_key="SecurityGroups")
        if isinstance(awsvpc, dict) and awsvpc.get("AssignPublicIp") is not None:
            text = _as_str(awsvpc.get("AssignPublicIp"), network_where)
            public_ip = text if isinstance(text, Unknown) else (text or "").upper() == "ENABLED"
    b.services.append(Service(
        id=logical_id, location=where, field_locations=fields, task=task or _as_str(props.get("TaskDefinition"),
                                                                                  where),
        network=network, assign_public_ip=public_ip))


def _scheduled_task(b: _Builder, logical_id: str) -> None:
    """ECS tasks an `AWS::Events::Rule` target or an `AWS::Scheduler::Schedule` runs (`EcsParameters`).

    Such a task is placed in a VPC as a service's tasks are, with the subnets and security groups of the
    target's `NetworkConfiguration` (FG309 judges those groups): it is modelled as a service so that no rule
    needs to know who launched it. The two services spell the key differently (`AwsVpcConfiguration` on a
    rule, `AwsvpcConfiguration` on a schedule); both are read."""
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    if b.type_of(logical_id) == "AWS::Events::Rule":
        targets, raw_targets = props.get("Targets"), raw.get("Targets")
    else:
        targets, raw_targets = [props.get("Target")], [raw.get("Target")]
    if not isinstance(targets, list):
        return
    if not isinstance(raw_targets, list) or len(raw_targets) != len(targets):
        raw_targets = targets
    for index, (target, raw_target) in enumerate(zip(targets, raw_targets, strict=True)):
        ecs = target.get("EcsParameters") if isinstance(target, dict) else None
        if not isinstance(ecs, dict):
            continue
        raw_ecs = raw_target.get("EcsParameters") if isinstance(raw_target, dict) else None
        raw_ecs = raw_ecs if isinstance(raw_ecs, dict) else ecs
        service_id, service_where = logical_id, where
        if isinstance(props.get("Targets"), list):
            target_id = target.get("Id")
            service_id = f"{logical_id}.{target_id if isinstance(target_id, str) else index}"
            service_where = _item_loc(targets, index, where)
        task = b.resolver.target(raw_ecs.get("TaskDefinitionArn"), ("AWS::ECS::TaskDefinition",))
        network, public_ip = None, None
        fields: dict[str, Location] = {}
        config = ecs.get("NetworkConfiguration")
        if config is not None:
            raw_config = raw_ecs.get("NetworkConfiguration")
            awsvpc, raw_awsvpc = _awsvpc(config), _awsvpc(raw_config)
            network_where = _key_loc(ecs, "NetworkConfiguration", service_where)
            fields["network"] = network_where
            network = placement(b, awsvpc, raw_awsvpc, network_where, subnets_key="Subnets",
                                groups_key="SecurityGroups")
            if isinstance(awsvpc, dict) and awsvpc.get("AssignPublicIp") is not None:
                text = _as_str(awsvpc.get("AssignPublicIp"), network_where)
                public_ip = text if isinstance(text, Unknown) else (text or "").upper() == "ENABLED"
        b.services.append(Service(
            id=service_id, location=service_where, field_locations=fields,
            task=task or _as_str(ecs.get("TaskDefinitionArn"), service_where), network=network,
            assign_public_ip=public_ip))


def _awsvpc(config: Any) -> Any:
    if not isinstance(config, dict):
        return config
    return config.get("AwsVpcConfiguration", config.get("AwsvpcConfiguration"))
