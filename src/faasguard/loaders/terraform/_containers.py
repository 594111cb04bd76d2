"""ECS task definitions, through the container helper shared with the ECS JSON and CloudFormation loaders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders._yaml import LocatedList
from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._loader import (
    _Entry,
)
from faasguard.loaders.terraform._policies import (
    parse_container_definitions,
)
from faasguard.model import (
    Unknown,
)


def _task_definition(b: _Builder, entry: _Entry, props: dict[str, Any]) -> None:
    from faasguard.loaders._containers import ecs_container

    res = entry.res
    loc = res.loc("container_definitions")
    definitions = parse_container_definitions(res.get("container_definitions"), loc)
    props["container_definitions"] = definitions
    task_role = b.role_id(res.get("task_role_arn"), res.loc("task_role_arn"))
    execution_role = b.role_id(res.get("execution_role_arn"), res.loc("execution_role_arn"))
    props["task_role"] = task_role
    props["execution_role"] = execution_role
    if isinstance(definitions, Unknown):
        b.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: container_definitions not known "
                         f"statically ({definitions.reason}); its containers are not checked", loc)
        return
    for index, definition in enumerate(definitions):
        if not isinstance(definition, Mapping):
            continue
        item_loc = definitions.item_loc(index, res.address) if isinstance(definitions, LocatedList) \
            and definitions.path else loc
        b.containers.append(ecs_container(definition, item_loc, res.address, task_role=task_role,
                                             execution_role=execution_role, task_cpu=res.get("cpu"),
                                             task_memory=res.get("memory")))
