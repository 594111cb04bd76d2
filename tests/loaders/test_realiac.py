"""Terraform, CloudFormation and Serverless shapes met in real applications when comparing findings with
Checkov: a REST method wired to its backend outside the configuration, functions on Lambda Managed Instances
placed in the capacity provider's VPC, ECS tasks that EventBridge rules and schedules launch into a VPC, and
Serverless functions and resources written in `${file(...)}` includes. Each case asserts the exact rule,
resource and line, and what must stay silent."""

from __future__ import annotations

from pathlib import Path

from tests._helpers import line_of, run

from faasguard.config import Config
from faasguard.model import Unknown
from faasguard.pipeline import load_sources

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders"
OUTSIDE = FIXTURES / "terraform" / "outside-integration"
TF_MANAGED = FIXTURES / "terraform" / "managed-instances"
CFN_MANAGED = FIXTURES / "cloudformation" / "managed-instances"
TF_SCHEDULED = FIXTURES / "terraform" / "scheduled-tasks"
CFN_SCHEDULED = FIXTURES / "cloudformation" / "scheduled-tasks"
SPLIT = FIXTURES / "serverless" / "split-files"


def test_method_without_integration_resource_is_a_route_with_unknown_backend() -> None:
    (app,) = load_sources([str(OUTSIDE)], Config(), cwd=OUTSIDE).apps
    triggers = {t.id: t for t in app.triggers}
    assert set(triggers) == {"aws_api_gateway_method.forward", "aws_api_gateway_method.signed",
                             "aws_api_gateway_method.preflight"}
    forward = triggers["aws_api_gateway_method.forward"]
    assert (forward.method, forward.path) == ("ANY", "/{proxy+}")
    assert isinstance(forward.function, Unknown)
    assert "no aws_api_gateway_integration" in forward.function.reason


def test_open_method_without_integration_resource_is_fg301_and_fg306() -> None:
    main = OUTSIDE / "main.tf"
    forward = line_of(main, 'resource "aws_api_gateway_method" "forward"')
    fg301 = run(OUTSIDE, "FG301")
    assert [(f.rule_id, f.resource, f.location.line) for f in fg301] == [
        ("FG301", "aws_api_gateway_method.forward", forward + 4)]  # its `authorization = "NONE"` line
    signed = line_of(main, 'resource "aws_api_gateway_method" "signed"')
    fg306 = run(OUTSIDE, "FG306")
    # the IAM-signed POST takes input too (FG306 does not depend on authorization); the preflight never does
    assert sorted((f.rule_id, f.resource, f.location.line) for f in fg306) == [
        ("FG306", "aws_api_gateway_method.forward", forward),
        ("FG306", "aws_api_gateway_method.signed", signed)]


def test_terraform_function_on_managed_instances_is_placed_in_the_provider_vpc() -> None:
    (app,) = load_sources([str(TF_MANAGED)], Config(), cwd=TF_MANAGED).apps
    placed = {fn.id: fn.vpc for fn in app.functions}
    render = placed["aws_lambda_function.render"]
    assert render is not None
    assert render.security_group_ids == ("aws_security_group.open_egress",)
    external = placed["aws_lambda_function.external"]
    assert external is not None
    assert all(isinstance(g, Unknown) for g in external.security_group_ids)


def test_terraform_managed_instances_egress_is_fg309_and_no_fg308() -> None:
    main = TF_MANAGED / "main.tf"
    open_group = line_of(main, 'resource "aws_security_group" "open_egress"')
    found = run(TF_MANAGED, "FG309", "FG308")
    # render's provider group is open (its egress block); resize's only reaches 443 in the VPC; external
    # runs on a provider outside the configuration: in a VPC, so its database endpoint is not FG308
    assert [(f.rule_id, f.resource, f.location.line, f.function) for f in found] == [
        ("FG309", "aws_security_group.open_egress", open_group + 4, "aws_lambda_function.render")]


def test_cloudformation_function_on_managed_instances_is_placed_in_the_provider_vpc() -> None:
    (app,) = load_sources([str(CFN_MANAGED)], Config(), cwd=CFN_MANAGED).apps
    placed = {fn.id: fn.vpc for fn in app.functions}
    thumbnail, archive = placed["ThumbnailFunction"], placed["ArchiveFunction"]
    assert thumbnail is not None
    assert thumbnail.security_group_ids == ("OpenEgressGroup",)
    assert archive is not None
    assert archive.security_group_ids == ("TlsOnlyGroup",)


def test_cloudformation_managed_instances_egress_is_fg309() -> None:
    template = CFN_MANAGED / "template.yaml"
    group = line_of(template, "  OpenEgressGroup:")
    found = run(CFN_MANAGED, "FG309")
    assert [(f.rule_id, f.resource, f.location.line, f.function) for f in found] == [
        ("FG309", "OpenEgressGroup", group, "ThumbnailFunction")]


def test_terraform_tasks_launched_by_eventbridge_are_placed_services() -> None:
    (app,) = load_sources([str(TF_SCHEDULED)], Config(), cwd=TF_SCHEDULED).apps
    services = {s.id: s for s in app.services}
    assert set(services) == {"aws_scheduler_schedule.nightly_export", "aws_cloudwatch_event_target.on_upload"}
    nightly = services["aws_scheduler_schedule.nightly_export"]
    assert nightly.task == "aws_ecs_task_definition.export"
    assert nightly.network is not None
    assert nightly.network.security_group_ids == ("aws_security_group.anywhere",)


def test_terraform_scheduled_task_egress_is_fg309_only_for_the_open_group() -> None:
    main = TF_SCHEDULED / "main.tf"
    anywhere = line_of(main, 'resource "aws_security_group" "anywhere"')
    found = run(TF_SCHEDULED, "FG309")
    assert [(f.rule_id, f.resource, f.location.line, f.function) for f in found] == [
        ("FG309", "aws_security_group.anywhere", anywhere + 4, "aws_scheduler_schedule.nightly_export")]


def test_cloudformation_tasks_launched_by_rules_and_schedules_are_placed_services() -> None:
    (app,) = load_sources([str(CFN_SCHEDULED)], Config(), cwd=CFN_SCHEDULED).apps
    groups = {s.id: s.network.security_group_ids if s.network else None for s in app.services}
    assert groups == {"CleanupRule.purge": ("DefaultEgressGroup",), "CleanupRule.audit": ("TlsGroup",),
                      "WeeklyReport": ("OpenGroup",)}
    assert {s.task for s in app.services} == {"JobTask"}


def test_cloudformation_scheduled_task_egress_is_fg309() -> None:
    template = CFN_SCHEDULED / "template.yaml"
    default_group = line_of(template, "  DefaultEgressGroup:")
    open_rule = line_of(template, '- IpProtocol: "-1"')
    found = run(CFN_SCHEDULED, "FG309")
    assert sorted((f.rule_id, f.resource, f.location.line, f.function) for f in found) == [
        ("FG309", "DefaultEgressGroup", default_group, "CleanupRule.purge"),
        ("FG309", "OpenGroup", open_rule, "WeeklyReport")]


def test_serverless_findings_point_into_the_included_files() -> None:
    found = run(SPLIT, "FG402", "FG201", "FG301", "FG104")
    functions, roles = SPLIT / "fns" / "functions.yml", SPLIT / "res" / "roles.yml"
    located = sorted((f.rule_id, f.resource, f.location.path, f.location.line) for f in found)
    assert located == sorted([
        ("FG104", "LedgerRole", "res/roles.yml", line_of(roles, "  LedgerRole:")),
        ("FG201", "export", "fns/functions.yml", line_of(functions, "SIGNING_SECRET:")),
        ("FG301", "export.Http0", "fns/functions.yml", line_of(functions, "- http:")),
        ("FG402", "export", "fns/functions.yml", line_of(functions, "runtime: nodejs16.x")),
        # a function written in serverless.yml itself stays located there
        ("FG402", "audit", "serverless.yml", line_of(SPLIT / "serverless.yml", "runtime: nodejs16.x")),
    ])
