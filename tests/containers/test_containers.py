"""Container loaders (ECS task definitions, Cloud Run / Knative services, Dockerfiles) and rules FG701–FG709.

Each case scans a real-shaped fixture through the pipeline and asserts the exact (rule, resource, line) set for
the container rules, so a rule that over- or under-reports fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Severity
from faasguard.model import SourceKind
from faasguard.pipeline import scan
from faasguard.rules import rule_meta

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers"
CONTAINER_RULES = Config(select=("FG7",), severity=Severity.INFO)


def findings_of(name: str) -> set[tuple[str, str, int]]:
    result = scan([str(FIXTURES / name)], CONTAINER_RULES, cwd=FIXTURES)
    assert result.apps, [d.message for d in result.diagnostics]
    return {(f.rule_id, f.resource, f.location.line) for f in result.findings}


CASES = [
    ("hardened-task.json", set()),
    ("weak-task.json", {
        ("FG701", "orders-worker/worker", 5),
        ("FG702", "orders-worker/worker", 9),
        ("FG703", "orders-worker/worker", 5),
        ("FG708", "orders-worker/worker", 5),
        ("FG701", "orders-worker/sidecar", 15),
        ("FG702", "orders-worker/sidecar", 18),
    }),
    ("hardened-service.yaml", set()),
    ("weak-service.yaml", {
        ("FG705", "orders", 9),
        ("FG707", "orders", 13),
        ("FG709", "orders", 19),
    }),
    ("gke-service.yaml", {
        ("FG701", "ledger", 11),
        ("FG702", "ledger", 13),
        ("FG703", "ledger", 11),
        ("FG704", "ledger", 11),
        ("FG708", "ledger", 11),
    }),
    ("gke-hardened.yaml", set()),
    ("cfn-task.yaml", {
        ("FG701", "WorkerTask/worker", 19),
        ("FG702", "WorkerTask/worker", 21),
        ("FG703", "WorkerTask/worker", 19),
    }),
    ("docker-root", {("FG701", "docker-root/Dockerfile", 5)}),
    ("docker-user", set()),
    ("docker-lambda", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_container_rules(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert findings_of(fixture) == expected


def test_ecs_model() -> None:
    result = scan([str(FIXTURES / "hardened-task.json")], CONTAINER_RULES, cwd=FIXTURES)
    (app,) = result.apps
    assert app.source is SourceKind.ECS
    (container,) = app.containers
    assert container.user == "1000:1000"
    assert container.read_only_root_filesystem is True
    assert container.memory_limit == "1024"  # the task-level limit applies
    assert container.task_role == "arn:aws:iam::111122223333:role/orders-api-task"
    secret = next(e for e in container.environment if e.name == "DB_PASSWORD")
    assert secret.secret_reference
    assert secret.location.line == 20
    assert {r.id for r in app.roles} == {"arn:aws:iam::111122223333:role/orders-api-task",
                                          "arn:aws:iam::111122223333:role/orders-api-execution"}
    assert all(r.external for r in app.roles)


def test_cloud_run_model_and_platform() -> None:
    result = scan([str(FIXTURES / "weak-service.yaml")], CONTAINER_RULES, cwd=FIXTURES)
    (app,) = result.apps
    (container,) = app.containers
    assert container.platform == "cloudrun"
    assert container.security_context_declared
    assert container.security_context_enforced is False
    assert container.ingress == "all"
    # The ConfigMap document is not a service: noted, not an error.
    assert any("ConfigMap" in d.message for d in result.diagnostics)
    gke = scan([str(FIXTURES / "gke-hardened.yaml")], CONTAINER_RULES, cwd=FIXTURES).apps[0].containers[0]
    assert gke.platform == "knative"
    assert gke.run_as_non_root is True


def test_broken_inputs_are_located_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "task.json").write_text('{"family": "x", "containerDefinitions": [\n  {"name": "a"\n')
    (tmp_path / "svc.yaml").write_text("apiVersion: serving.knative.dev/v1\nkind: Service\nspec: [\n")
    (tmp_path / "Dockerfile").write_text("# only a comment\n")
    result = scan([str(tmp_path)], CONTAINER_RULES, cwd=tmp_path)
    assert result.apps == []
    located = {(d.location.path, d.kind.value) for d in result.diagnostics if d.location}
    assert ("task.json", "parse-error") in located
    assert ("svc.yaml", "parse-error") in located
    assert ("Dockerfile", "parse-error") in located
    assert not any(d.kind.value == "internal-error" for d in result.diagnostics)


@pytest.mark.parametrize("rule_id", [f"FG70{i}" for i in range(1, 10)])
def test_container_rules_are_documented(rule_id: str) -> None:
    meta = rule_meta(rule_id)
    assert meta is not None
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in meta.docs


def test_cloudformation_task_definition_uses_template_roles() -> None:
    result = scan([str(FIXTURES / "cfn-task.yaml")], CONTAINER_RULES, cwd=FIXTURES)
    (app,) = result.apps
    worker = next(c for c in app.containers if c.id == "WorkerTask/worker")
    assert worker.task_role == "TaskRole"
    assert worker.memory_limit == "512"
    assert worker.environment[0].name == "STRIPE_KEY"
    assert worker.environment[0].location.line == 23


def test_cloud_run_request_timeout_is_fg401() -> None:
    long = scan([str(FIXTURES / "long-timeout-service.yaml")], Config(select=("FG401",)), cwd=FIXTURES)
    assert [(f.rule_id, f.resource, f.location.line) for f in long.findings] == [("FG401", "orders", 17)]
    short = scan([str(FIXTURES / "hardened-service.yaml")], Config(select=("FG401",)), cwd=FIXTURES)
    assert short.findings == []
