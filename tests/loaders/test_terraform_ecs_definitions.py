"""Terraform ECS task definitions whose container definitions are written outside the resource: `file()` of a JSON
file, `data "template_file"` `.rendered`, `jsonencode()` of a local, `templatefile()` in a module, and a variable
with no value. Each container is checked where its JSON is written (the file, not the calling attribute); a
template variable that is not known statically leaves that field unknown and the rest checked; and a task whose
containers cannot be read at all still holds its task role."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import DiagnosticKind
from faasguard.loaders.terraform._policies import parse_container_definitions
from faasguard.model import Location, Unknown
from faasguard.pipeline import scan
from faasguard.result import ScanResult
from faasguard.sources import display_path

APP = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform" / "ecs-definitions"
WORKER = APP / "containers" / "worker.json"
API = APP / "containers" / "api.json.tpl"
SERVICE = APP / "modules" / "service" / "templates" / "service.json.tpl"
MAIN = APP / "main.tf"


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([str(APP)], Config(select=("FG1", "FG6", "FG7")))


def test_container_findings_located_where_the_json_is_written(result: ScanResult) -> None:
    found = sorted((f.rule_id, f.resource, f.location.path, f.location.line) for f in result.findings
                   if f.rule_id.startswith(("FG6", "FG7")))
    assert found == sorted([
        # file(): located in containers/worker.json
        ("FG604", "aws_ecs_task_definition.worker/worker", display_path(WORKER), line_of(WORKER, '"image"')),
        ("FG702", "aws_ecs_task_definition.worker/worker", display_path(WORKER), line_of(WORKER, '"privileged"')),
        # data "template_file": located in the template; `${image}` is unknown, so no image finding
        ("FG703", "aws_ecs_task_definition.api/api", display_path(API), line_of(API, "readonlyRootFilesystem")),
        # jsonencode(local...): located in the local
        ("FG604", "aws_ecs_task_definition.cron/cron", display_path(MAIN), line_of(MAIN, "alpine:latest")),
        ("FG701", "aws_ecs_task_definition.cron/cron", display_path(MAIN), line_of(MAIN, 'user       = "0"')),
        ("FG703", "aws_ecs_task_definition.cron/cron", display_path(MAIN), line_of(MAIN, "      name       = \"cron\"")
         - 1),
        # templatefile() in a module, `"memory": ${memory}` unknown and unquoted: the rest is still checked,
        # and an unknown memory is not "no memory limit"
        ("FG702", "module.service.aws_ecs_task_definition.this/service", display_path(SERVICE),
         line_of(SERVICE, "SYS_ADMIN")),
    ])


def test_the_task_role_is_reached_when_no_container_can_be_read(result: ScanResult) -> None:
    (shared,) = [f for f in result.findings if f.rule_id == "FG104"]
    assert "aws_ecs_task_definition.sidecars" in shared.message
    (admin,) = [f for f in result.findings if f.rule_id == "FG101"]
    assert "aws_ecs_task_definition.sidecars" in admin.message
    (note,) = [d for d in result.diagnostics if d.message.startswith("aws_ecs_task_definition.sidecars:")]
    assert note.kind is DiagnosticKind.UNRESOLVED
    assert "variable sidecars" in note.message
    assert "its containers are not checked, its task and execution roles are" in note.message
    assert note.location is not None
    assert note.location.line == line_of(MAIN, "container_definitions = var.sidecars")
    # nothing about the unreadable containers is guessed
    assert not [f for f in result.findings if "sidecars/" in f.resource]


def test_unknown_template_variables_stay_unknown(result: ScanResult) -> None:
    (app,) = result.apps
    containers = {c.id: c for c in app.containers}
    api = containers["aws_ecs_task_definition.api/api"]
    assert isinstance(api.image, Unknown)
    assert "${image}" in api.image.reason
    assert api.user == "1000"
    service = containers["module.service.aws_ecs_task_definition.this/service"]
    assert isinstance(service.memory_limit, Unknown)
    assert service.read_only_root_filesystem is True
    opaque = containers["aws_ecs_task_definition.sidecars/(containers unknown)"]
    assert opaque.task_role == "aws_iam_role.task"
    assert isinstance(opaque.image, Unknown)
    assert isinstance(opaque.user, Unknown)


@pytest.mark.parametrize(("text", "expected"), [
    # unquoted interpolation in value position, and one inside a string with escaped quotes before it
    ('[{"name": "a", "memory": ${memory}, "command": ["echo \\"x\\" ${memory}"]}]',
     {"name": "a", "memory": "unknown", "command": ['echo "x" ${memory}']}),
    ('[{"name": "${name}", "cpu": 256}]', {"name": "unknown", "cpu": 256}),
])
def test_interpolations_left_in_json(text: str, expected: dict[str, object]) -> None:
    parsed = parse_container_definitions(text, Location("main.tf", 3))
    assert isinstance(parsed, list)
    (definition,) = parsed
    shown = {k: "unknown" if isinstance(v, Unknown) else v for k, v in definition.items()}
    assert shown == expected


def test_unparseable_text_is_unknown_not_guessed() -> None:
    parsed = parse_container_definitions('[{"name": "a", ', Location("main.tf", 3))
    assert isinstance(parsed, Unknown)
