"""Terraform `count` / `for_each`: one node per instance when the collection is known (terraform._expansion).

Each fixture under `fixtures/loaders/terraform/expansion/` is one shape seen in real apps (a map of functions in
`locals`, `toset([...])`, `count = length(var.list)`, a disabled `count = var.x ? 1 : 0`, a collection only known
at plan time, a hostile count). The tests assert the rule, the instance address Terraform itself uses and the
line, for the instance that must be reported and for its sibling that must not.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests._helpers import line_of, run

from faasguard.config import Config
from faasguard.findings import DiagnosticKind, DiagnosticLevel, Finding
from faasguard.loaders import LoadContext, LoadResult, terraform
from faasguard.loaders._budget import SCAN_LIMITS, Budget
from faasguard.loaders.terraform._expansion import MAX_INSTANCES
from faasguard.model import Application, Unknown
from faasguard.sources import SourceType, discover

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform" / "expansion"
LAMBDA_ARN = '${aws_lambda_function.fn["%s"].arn}'


def load(name: str) -> tuple[Application, LoadResult]:
    directory = FIXTURES / name
    found = discover([str(directory)], cwd=directory)
    files = [f for f in found.files if f.type is SourceType.TERRAFORM]
    result = terraform.load(files, LoadContext(Config(), directory, (directory,)))
    (app,) = result.apps
    return app, result


def located(findings: list[Finding]) -> list[tuple[str, str | None, int]]:
    return sorted((f.rule_id, f.location.logical_id, f.location.line) for f in findings)


# ------------------------------------------------------------------------------------------------ for_each map

def test_for_each_map_reports_only_the_instances_whose_entry_is_unsafe() -> None:
    main = FIXTURES / "foreach-map" / "main.tf"
    findings = run(FIXTURES / "foreach-map", "FG401", "FG402")
    timeout, runtime = line_of(main, "timeout       = each.value.timeout"), line_of(main, "runtime       = each.value.")
    assert located(findings) == [
        ("FG401", 'aws_lambda_function.fn["batch"]', timeout),
        ("FG401", 'aws_lambda_function.fn["legacy"]', timeout),
        ("FG402", 'aws_lambda_function.fn["batch"]', runtime),
        ("FG402", 'aws_lambda_function.fn["legacy"]', runtime),
    ]  # fn["current"] (python3.12, 30 s) is quiet
    # one line, two values: one finding per instance, each with its own entry's value (not merged as a
    # Globals value shared by several functions would be)
    messages = {(f.rule_id, f.location.logical_id): f.message for f in findings}
    assert "nodejs16.x" in messages[("FG402", 'aws_lambda_function.fn["batch"]')]
    assert "python3.8" in messages[("FG402", 'aws_lambda_function.fn["legacy"]')]
    assert "600 s" in messages[("FG401", 'aws_lambda_function.fn["batch"]')]
    assert "shared" not in messages[("FG401", 'aws_lambda_function.fn["legacy"]')]


def test_for_each_map_binds_each_key_and_value_per_instance() -> None:
    app, _ = load("foreach-map")
    functions = {f.id: f for f in app.functions}
    assert set(functions) == {'aws_lambda_function.fn["batch"]', 'aws_lambda_function.fn["current"]',
                              'aws_lambda_function.fn["legacy"]'}
    current = functions['aws_lambda_function.fn["current"]']
    assert (current.name, current.runtime, current.timeout) == ("shop-current", "python3.12", 30)
    assert current.role == 'aws_iam_role.fn["current"]'  # aws_iam_role.fn[each.key].arn, per instance
    assert [(e.name, e.value) for e in current.environment] == [("TABLE", "orders")]
    block_line = line_of(FIXTURES / "foreach-map" / "main.tf", 'resource "aws_lambda_function" "fn"')
    assert current.location.line == block_line
    assert current.location.logical_id == 'aws_lambda_function.fn["current"]'
    roles = {r.id for r in app.roles}
    assert {'aws_iam_role.fn["current"]', 'aws_iam_role.fn["legacy"]'} <= roles
    assert "aws_iam_role.fn" not in roles


def test_references_to_instances_resolve_or_stay_unknown() -> None:
    app, _ = load("foreach-map")
    (role,) = [r for r in app.roles if r.id == 'aws_iam_role.fn["current"]']
    (policy,) = [p for p in role.policies if p.id == "aws_iam_role_policy.invoke_all"]
    assert policy.document is not None
    by_action = {s.actions[0]: s.resources for s in policy.document.statements}
    # values(...)[*].arn: every instance, in key order
    assert by_action["lambda:InvokeFunction"] == (LAMBDA_ARN % "batch", LAMBDA_ARN % "current", LAMBDA_ARN % "legacy")
    assert by_action["lambda:GetFunction"] == (LAMBDA_ARN % "current",)
    # an index not known statically (var.pick has no default), or naming no instance: never a guess
    for action in ("lambda:GetPolicy", "lambda:ListTags"):
        (resource,) = by_action[action]
        assert isinstance(resource, Unknown), action


# ------------------------------------------------------------------------------------------------ for_each set

def test_for_each_set_instances_are_keyed_by_the_member() -> None:
    main = FIXTURES / "foreach-set" / "main.tf"
    findings = run(FIXTURES / "foreach-set", "FG402")
    # one literal runtime line, two resources: one finding per instance, as Terraform and Checkov name them
    # (not merged as a SAM Globals value inherited by several functions is); fresh[...] (python3.12) is quiet
    runtime = line_of(main, '"python3.8"')
    assert located(findings) == [("FG402", 'aws_lambda_function.jobs["ingest"]', runtime),
                                 ("FG402", 'aws_lambda_function.jobs["report"]', runtime)]
    assert [f.function for f in findings] == ['aws_lambda_function.jobs["ingest"]',
                                              'aws_lambda_function.jobs["report"]']
    app, _ = load("foreach-set")
    functions = {f.id: f for f in app.functions}
    assert set(functions) == {'aws_lambda_function.jobs["ingest"]', 'aws_lambda_function.jobs["report"]',
                              'aws_lambda_function.fresh["alpha"]', 'aws_lambda_function.fresh["beta"]'}
    assert functions['aws_lambda_function.jobs["report"]'].handler == "report.handler"
    # the permission's function_name = each.key names one function per instance
    assert sorted((p.id, p.function) for p in app.permissions) == [
        ('aws_lambda_permission.jobs_from_events["ingest"]', 'aws_lambda_function.jobs["ingest"]'),
        ('aws_lambda_permission.jobs_from_events["report"]', 'aws_lambda_function.jobs["report"]')]


# ------------------------------------------------------------------------------------------------ count

def test_count_from_length_and_literal() -> None:
    main = FIXTURES / "count" / "main.tf"
    findings = run(FIXTURES / "count", "FG401", "FG404")
    queue_line = line_of(main, 'resource "aws_sqs_queue" "jobs"')
    assert located(findings) == [
        ("FG401", "aws_lambda_function.workers[0]", line_of(main, "timeout       = count.index")),
        ("FG404", "aws_sqs_queue.jobs[0]", queue_line),
        ("FG404", "aws_sqs_queue.jobs[1]", queue_line),
    ]  # workers[1] (60 s) and the queue with a redrive policy (safe[0]) stay quiet
    app, _ = load("count")
    names = {f.id: f.name for f in app.functions}
    assert names == {"aws_lambda_function.workers[0]": "resize", "aws_lambda_function.workers[1]": "thumbnail"}
    sources = sorted((t.function, str(t.source)) for t in app.triggers)
    assert [function for function, _ in sources] == [
        "aws_lambda_function.workers[0]", "aws_lambda_function.workers[1]", "aws_lambda_function.workers[1]"]


def test_count_splat_lists_every_instance() -> None:
    app, result = load("count")
    queues = {r.id for r in app.resources if r.id.startswith("aws_sqs_queue.")}
    assert queues == {"aws_sqs_queue.jobs[0]", "aws_sqs_queue.jobs[1]", "aws_sqs_queue.safe[0]", "aws_sqs_queue.dlq"}
    (send,) = [p for role in app.roles for p in role.policies if p.id == "aws_iam_role_policy.send"]
    assert send.document is not None
    (statement,) = send.document.statements
    assert statement.resources == tuple(
        f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:${{aws_sqs_queue.jobs[{i}].name}}"
        for i in range(2))
    assert not [d for d in result.diagnostics if d.level is DiagnosticLevel.WARNING]


# ------------------------------------------------------------------------------------------------ count = 0

def test_disabled_resources_make_no_node_and_no_finding() -> None:
    main = FIXTURES / "count-zero" / "main.tf"
    findings = run(FIXTURES / "count-zero", "FG302", "FG401", "FG402", "FG403")
    replacement = line_of(main, 'resource "aws_lambda_function" "replacement"')
    assert located(findings) == [("FG402", "aws_lambda_function.replacement[0]", replacement + 5)]
    app, _ = load("count-zero")
    assert [f.id for f in app.functions] == ["aws_lambda_function.replacement[0]"]
    assert not app.triggers
    assert not app.permissions


# ------------------------------------------------------------------------------------------------ unknown

def test_unknown_collections_keep_one_node_with_unknown_values() -> None:
    main = FIXTURES / "unknown" / "main.tf"
    app, result = load("unknown")
    functions = {f.id: f for f in app.functions}
    assert set(functions) == {"aws_lambda_function.from_var", "aws_lambda_function.from_data"}
    assert isinstance(functions["aws_lambda_function.from_var"].runtime, Unknown)
    notes = {(d.location.logical_id, d.location.line) for d in result.diagnostics
             if d.kind is DiagnosticKind.INFO and d.location is not None and "not known statically" in d.message}
    assert notes == {("aws_lambda_function.from_var", line_of(main, "for_each      = var.functions")),
                     ("aws_lambda_function.from_data", line_of(main, "count         = data."))}
    # what is written in the block itself is still checked, on the one node
    assert located(run(FIXTURES / "unknown", "FG402")) == [
        ("FG402", "aws_lambda_function.from_data", line_of(main, '"python3.8"'))]


# ------------------------------------------------------------------------------------------------ hostile

def test_hostile_count_is_not_expanded_and_warned_where_written() -> None:
    main = FIXTURES / "hostile" / "main.tf"
    app, result = load("hostile")
    assert [f.id for f in app.functions] == ["aws_lambda_function.flood"]
    (warning,) = [d for d in result.diagnostics if d.level is DiagnosticLevel.WARNING]
    assert warning.location is not None
    assert warning.location.line == line_of(main, "count         = 100000000")
    assert "100,000,000 instances" in warning.message
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]


@pytest.mark.parametrize("count", [MAX_INSTANCES, MAX_INSTANCES + 1])
def test_expansion_stops_at_the_instance_cap(tmp_path: Path, count: int) -> None:
    (tmp_path / "main.tf").write_text(
        f'resource "aws_sqs_queue" "q" {{\n  count = {count}\n  name  = "q-${{count.index}}"\n}}\n')
    found = discover([str(tmp_path)], cwd=tmp_path)
    result = terraform.load([f for f in found.files if f.type is SourceType.TERRAFORM],
                            LoadContext(Config(), tmp_path, (tmp_path,)))
    ids = [r.id for r in result.apps[0].resources]
    expanded = count <= MAX_INSTANCES
    assert ids == ([f"aws_sqs_queue.q[{i}]" for i in range(count)] if expanded else ["aws_sqs_queue.q"])
    warnings = [d for d in result.diagnostics if d.level is DiagnosticLevel.WARNING]
    assert len(warnings) == (0 if expanded else 1)


def test_expansions_stop_at_what_the_root_budget_can_evaluate(tmp_path: Path) -> None:
    """Many blocks each under the per-block cap: the root's work budget decides, and the blocks past it stay one
    node with a warning while the root still loads (it is not refused halfway through evaluating instances)."""
    (tmp_path / "main.tf").write_text("".join(
        f'resource "aws_sqs_queue" "q{i}" {{\n  count = 1000\n  name  = "q{i}-${{count.index}}"\n'
        f'  delay_seconds = 5\n}}\n' for i in range(5)))
    found = discover([str(tmp_path)], cwd=tmp_path)
    scan_budget = Budget(dataclasses.replace(SCAN_LIMITS, steps=100_000), "the scan")
    result = terraform.load([f for f in found.files if f.type is SourceType.TERRAFORM],
                            LoadContext(Config(), tmp_path, (tmp_path,), budget=scan_budget))
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]
    ids = {r.id for r in result.apps[0].resources}
    expanded = sorted({i.split("[")[0] for i in ids if i.endswith("]")})
    assert expanded == ["aws_sqs_queue.q0", "aws_sqs_queue.q1", "aws_sqs_queue.q2"]
    assert len(ids) == 3 * 1000 + 2
    warned = sorted((d.location.logical_id, d.location.line) for d in result.diagnostics
                    if d.level is DiagnosticLevel.WARNING and d.location is not None and "work budget" in d.message)
    assert warned == [("aws_sqs_queue.q3", 17), ("aws_sqs_queue.q4", 22)]


# ------------------------------------------------------------------------------------------------ data sources

def test_for_each_archive_links_each_function_to_its_own_code() -> None:
    data = FIXTURES / "data"
    app, _ = load("data")
    code = {f.id: f.code.code_dir if f.code else None for f in app.functions}
    assert code == {'aws_lambda_function.fn["hello"]': str(data / "src" / "hello"),
                    'aws_lambda_function.fn["shell"]': str(data / "src" / "shell")}
    # the handler's finding is the instance's: only the shell function runs a shell
    shell = data / "src" / "shell" / "app.py"
    findings = run(data, "FG501")
    assert [(f.rule_id, f.function, f.location.line) for f in findings] == [
        ("FG501", 'aws_lambda_function.fn["shell"]', line_of(shell, "subprocess.run("))]


def test_for_each_policy_document_is_built_per_instance() -> None:
    app, _ = load("data")
    roles = {r.id: r for r in app.roles}
    for key in ("hello", "shell"):
        (policy,) = [p for p in roles[f'aws_iam_role.fn["{key}"]'].policies if p.id.startswith("aws_iam_role_policy")]
        assert policy.id == f'aws_iam_role_policy.access["{key}"]'
        assert policy.document is not None
        (statement,) = policy.document.statements
        assert statement.resources == (
            f'arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/'
            f'${{aws_dynamodb_table.state["{key}"].name}}',)


def test_for_each_over_one_instance_is_not_a_guess(tmp_path: Path) -> None:
    """An instance taken as a whole has only apply-time attributes: iterating it must not read as empty (which
    would drop the resource as if disabled); it stays one node, with the reason."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {\n  for_each = toset(["a"])\n  name = each.key\n}\n'
        'resource "aws_sqs_queue" "odd" {\n  for_each = aws_sqs_queue.q["a"]\n  name = "odd"\n}\n')
    found = discover([str(tmp_path)], cwd=tmp_path)
    result = terraform.load([f for f in found.files if f.type is SourceType.TERRAFORM],
                            LoadContext(Config(), tmp_path, (tmp_path,)))
    assert sorted(r.id for r in result.apps[0].resources) == ['aws_sqs_queue.odd', 'aws_sqs_queue.q["a"]']
    assert any("attributes of a resource instance" in d.message for d in result.diagnostics)


# ------------------------------------------------------------------------------------------------ modules

def test_module_instances_carry_their_key_and_inputs() -> None:
    modules = FIXTURES / "modules"
    worker = modules / "modules" / "worker" / "main.tf"
    main = modules / "main.tf"
    findings = run(modules, "FG401", "FG402")
    assert located(findings) == [
        ("FG401", 'module.worker["legacy"].aws_lambda_function.this', line_of(worker, "timeout       = var.")),
        ("FG402", 'module.edge["eu"].aws_lambda_function.this', line_of(main, "runtime                = each")),
        ("FG402", 'module.worker["legacy"].aws_lambda_function.this', line_of(worker, "runtime       = var.")),
    ]  # worker["modern"], edge["us"] and the one-instance tenant module (python3.12, 60 s) are quiet
    app, result = load("modules")
    functions = {f.id: f for f in app.functions}
    assert set(functions) == {
        'module.worker["legacy"].aws_lambda_function.this', 'module.worker["modern"].aws_lambda_function.this',
        'module.edge["eu"].aws_lambda_function.this', 'module.edge["us"].aws_lambda_function.this',
        "module.tenant.aws_lambda_function.this"}  # audit: count = 0, no instance at all
    modern = functions['module.worker["modern"].aws_lambda_function.this']
    assert (modern.name, modern.role) == ("worker-modern", 'module.worker["modern"].aws_iam_role.this')
    # references through the instance key: an output of a local module, an output of the registry module
    assert sorted((p.id, p.function) for p in app.permissions) == [
        ("aws_lambda_permission.edge_from_sns", 'module.edge["us"].aws_lambda_function.this'),
        ('aws_lambda_permission.worker_from_s3["legacy"]', 'module.worker["legacy"].aws_lambda_function.this'),
        ('aws_lambda_permission.worker_from_s3["modern"]', 'module.worker["modern"].aws_lambda_function.this')]
    (note,) = [d for d in result.diagnostics if d.location is not None and d.location.logical_id == "module.tenant"]
    assert "modelled as one instance" in note.message
    assert note.location is not None
    assert note.location.line == line_of(main, "for_each = var.tenants")


def test_hostile_module_count_is_one_instance_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    (tmp_path / "main.tf").write_text('module "many" {\n  source = "./mod"\n  count  = 100000\n}\n')
    found = discover([str(tmp_path)], cwd=tmp_path)
    result = terraform.load([f for f in found.files if f.type is SourceType.TERRAFORM],
                            LoadContext(Config(), tmp_path, (tmp_path,)))
    assert [r.id for r in result.apps[0].resources] == ["module.many.aws_sqs_queue.q"]
    (warning,) = [d for d in result.diagnostics if d.level is DiagnosticLevel.WARNING]
    assert warning.location is not None
    assert (warning.location.logical_id, warning.location.line) == ("module.many", 3)
    assert "modelled as one instance" in warning.message
