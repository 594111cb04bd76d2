"""ECS task definitions, through the container helper shared with the ECS JSON and CloudFormation loaders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders._yaml import LocatedList
from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._functions import _secret_attribute
from faasguard.loaders.terraform._loader import (
    _Entry,
)
from faasguard.loaders.terraform._policies import (
    _expr_first_line,
    parse_container_definitions,
)
from faasguard.model import (
    Container,
    Location,
    Unknown,
)


def _task_definition(b: _Builder, entry: _Entry, props: dict[str, Any]) -> None:
    from faasguard.loaders._containers import ecs_container

    res = entry.res
    loc = res.loc("container_definitions")
    attr = res.block.body.attr("container_definitions")
    definitions = parse_container_definitions(res.get("container_definitions"), loc, _expr_first_line(attr))
    props["container_definitions"] = definitions
    task_role = b.role_id(res.get("task_role_arn"), res.loc("task_role_arn"))
    execution_role = b.role_id(res.get("execution_role_arn"), res.loc("execution_role_arn"))
    props["task_role"] = task_role
    props["execution_role"] = execution_role
    if isinstance(definitions, Unknown):
        b.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: container_definitions not known "
                         f"statically ({definitions.reason}); its containers are not checked, its task and "
                         "execution roles are", loc)
        b.containers.append(_opaque(res.address, loc, definitions, task_role, execution_role))
        return
    found = 0
    for index, definition in enumerate(definitions):
        item_loc = definitions.item_loc(index, res.address) if isinstance(definitions, LocatedList) \
            and definitions.path else loc
        if not isinstance(definition, Mapping):
            reason = definition.reason if isinstance(definition, Unknown) else "not an object"
            b.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: container definition #{index + 1} not known "
                             f"statically ({reason}); that container is not checked, the others are", item_loc)
            continue
        found += 1
        container = ecs_container(definition, item_loc, res.address, task_role=task_role,
                                  execution_role=execution_role, task_cpu=res.get("cpu"),
                                  task_memory=res.get("memory"))
        b.containers.append(replace(container, environment=tuple(
            var if var.secret_reference or var.from_secret_attribute
            else replace(var, from_secret_attribute=_secret_attribute(b, var.value, entry.inst))
            for var in container.environment)))
    if not found and definitions:
        b.containers.append(_opaque(res.address, loc, Unknown("no container definition is known statically", loc),
                                    task_role, execution_role))


def _opaque(task: str, location: Location, why: Unknown, task_role: str | Unknown | None,
            execution_role: str | Unknown | None) -> Container:
    """The task's containers when none can be read: every setting unknown (so no container rule guesses), but
    the task and execution roles known, because what the task's code may do in AWS does not depend on them --
    IAM rules, shared-role findings and attack paths still see the task."""
    unknown = Unknown(f"container definitions of {task} not known statically ({why.reason})", location)
    return Container(id=f"{task}/(containers unknown)", location=location.with_id(task), platform="ecs", task=task,
                     image=unknown, user=unknown, privileged=unknown, read_only_root_filesystem=unknown,
                     memory_limit=unknown, cpu_limit=unknown, task_role=task_role, execution_role=execution_role)
