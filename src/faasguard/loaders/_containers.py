"""ECS container definitions → `Container` nodes, shared by every source that can hold one.

The same container definition appears in three spellings: the registered JSON shape (`aws ecs
register-task-definition --cli-input-json`, camelCase), CloudFormation's `AWS::ECS::TaskDefinition`
(PascalCase) and Terraform's `container_definitions` (a JSON string, camelCase). Keys are therefore looked up
case-insensitively, so one function serves all three and the container rules see one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.model import Container, EnvVar, Location, Unknown

_SECRET_REFERENCE_PREFIXES = ("arn:aws:secretsmanager:", "arn:aws:ssm:", "arn:aws-us-gov:", "arn:aws-cn:")


def get_ci(mapping: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """Case-insensitive key lookup (camelCase JSON vs PascalCase CloudFormation)."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.lower() == lowered:
            return value
    return default


def key_location(mapping: Mapping[str, Any], key: str, fallback: Location) -> Location:
    if isinstance(mapping, LocatedDict):
        for candidate in mapping:
            if candidate.lower() == key.lower():
                return mapping.key_loc(candidate, fallback.logical_id).with_id(fallback.logical_id,
                                                                             fallback.construct_path)
    return fallback


def _bool(value: Any) -> bool | Unknown | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, Unknown):
        return value
    return Unknown(f"not a boolean: {value!r}")


def _text(value: Any) -> str | Unknown | None:
    if value is None or isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return Unknown(f"unresolved value {value!r}")


def ecs_container(definition: Mapping[str, Any], location: Location, task_id: str, *,
                  task_role: str | Unknown | None = None, execution_role: str | Unknown | None = None,
                  task_cpu: Any = None, task_memory: Any = None) -> Container:
    """One container definition → a `Container` (platform "ecs"). `location` is the definition's own."""
    name = get_ci(definition, "name")
    container_id = f"{task_id}/{name}" if isinstance(name, str) else f"{task_id}/container"
    loc = location.with_id(container_id, location.construct_path)
    fields: dict[str, Location] = {}

    def remember(field_name: str, *path: str) -> Any:
        current: Any = definition
        current_loc = loc
        for key in path:
            if not isinstance(current, Mapping):
                return None
            current_loc = key_location(current, key, current_loc)
            current = get_ci(current, key)
            if current is None:
                return None
        fields[field_name] = current_loc
        return current

    linux = get_ci(definition, "linuxParameters") or {}
    capabilities = get_ci(linux, "capabilities") if isinstance(linux, Mapping) else None
    added = get_ci(capabilities, "add") if isinstance(capabilities, Mapping) else None
    if added is not None and isinstance(capabilities, Mapping):
        fields["capabilities_add"] = key_location(capabilities, "add", loc)

    environment: list[EnvVar] = []
    env_list = get_ci(definition, "environment") or []
    if isinstance(env_list, list):
        for index, item in enumerate(env_list):
            if not isinstance(item, Mapping):
                continue
            env_name = get_ci(item, "name")
            if not isinstance(env_name, str):
                continue
            item_loc = env_list.item_loc(index, container_id) if isinstance(env_list, LocatedList) else loc
            value = _text(get_ci(item, "value"))
            environment.append(EnvVar(env_name, value if value is not None else "", item_loc))
    secrets_list = get_ci(definition, "secrets") or []
    if isinstance(secrets_list, list):
        for index, item in enumerate(secrets_list):
            if isinstance(item, Mapping) and isinstance(get_ci(item, "name"), str):
                item_loc = secrets_list.item_loc(index, container_id) if isinstance(secrets_list, LocatedList) \
                    else loc
                value_from = _text(get_ci(item, "valueFrom"))
                environment.append(EnvVar(get_ci(item, "name"), value_from if value_from is not None else "",
                                          item_loc, secret_reference=True))

    cpu = get_ci(definition, "cpu")
    memory = get_ci(definition, "memory")
    if memory is None or memory == 0:  # an Unknown memory is a limit whose value is not known, not no limit
        memory = get_ci(definition, "memoryReservation")
    if memory is not None:
        fields["memory_limit"] = key_location(definition, "memory", loc)
    # Task-level CPU and memory are hard limits for every container of the task (Fargate requires them).
    cpu = cpu if cpu is not None else task_cpu
    memory = memory if memory is not None else task_memory

    return Container(
        id=container_id,
        location=loc,
        field_locations=fields,
        platform="ecs",
        task=task_id,
        image=_text(remember("image", "image")),
        user=_text(remember("user", "user")),
        privileged=_bool(remember("privileged", "privileged")),
        read_only_root_filesystem=_bool(remember("read_only_root_filesystem", "readonlyRootFilesystem")),
        capabilities_add=tuple(_text(c) or "" for c in added) if isinstance(added, list) else (),
        environment=tuple(environment),
        cpu_limit=_text(cpu if cpu not in (0, "0") else None),
        memory_limit=_text(memory),
        task_role=task_role,
        execution_role=execution_role,
    )
