"""ECS/Fargate task definitions in the registered JSON shape (`aws ecs register-task-definition
--cli-input-json`, or `describe-task-definition` output with its `taskDefinition` wrapper).

Each file is one `Application(source=ECS)` holding a `Container` per container definition. The task and
execution roles are referenced by ARN and are not defined in the file, so they become external `Role` nodes:
the container rules apply in full, the IAM rules only where a role's policies are visible (CloudFormation and
Terraform task definitions, which their own loaders handle through the same `_containers` helper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._containers import ecs_container, get_ci, key_location
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, read_text
from faasguard.model import Application, Container, Location, Role, SourceKind


def _external_role(arn: Any, location: Location) -> Role | None:
    if not isinstance(arn, str) or not arn:
        return None
    return Role(id=arn, location=location, arn=arn, name=arn.rsplit("/", 1)[-1], external=True)


def load_task_definition(document: Mapping[str, Any], display: str, root: str) -> Application | None:
    task = get_ci(document, "taskDefinition") if isinstance(get_ci(document, "taskDefinition"), Mapping) \
        else document
    definitions = get_ci(task, "containerDefinitions")
    if not isinstance(definitions, list):
        return None
    family = get_ci(task, "family")
    task_id = family if isinstance(family, str) and family else display
    task_loc = task.loc(task_id) if isinstance(task, LocatedDict) else Location(display, logical_id=task_id)
    roles: dict[str, Role] = {}
    role_ids: dict[str, str | None] = {}
    for key in ("taskRoleArn", "executionRoleArn"):
        role = _external_role(get_ci(task, key), key_location(task, key, task_loc))
        if role:
            roles[role.id] = role
        role_ids[key] = role.id if role else None
    containers: list[Container] = []
    for index, definition in enumerate(definitions):
        if not isinstance(definition, Mapping):
            continue
        loc = definitions.item_loc(index, task_id) if isinstance(definitions, LocatedList) else task_loc
        containers.append(ecs_container(
            definition, loc, task_id, task_role=role_ids["taskRoleArn"],
            execution_role=role_ids["executionRoleArn"], task_cpu=get_ci(task, "cpu"),
            task_memory=get_ci(task, "memory")))
    return Application(name=display, source=SourceKind.ECS, root=root, files=(display,),
                       containers=tuple(containers), roles=tuple(roles.values()))


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        try:
            document = parse_json_text(read_text(source.path, source.display, ctx.config.max_file_bytes),
                                       source.display)
        except ParseError as exc:
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                 DiagnosticLevel.ERROR, "ecs loader"))
            continue
        app = load_task_definition(document, source.display, str(source.path.parent)) \
            if isinstance(document, Mapping) else None
        if app is None:
            result.diagnostics.append(Diagnostic(
                DiagnosticKind.PARSE_ERROR, "not an ECS task definition: no containerDefinitions list",
                Location(source.display), DiagnosticLevel.WARNING, "ecs loader"))
            continue
        result.apps.append(app)
    return result
