"""Rule cases per source format (issue 15): FG308 judges public subnets and FG309 ECS services from the
model's network nodes, FG201 generated and read secrets copied into plaintext environments, FG604 a literal
tag after an unresolved registry or repository. Fixtures mark each expected finding with
`# expect: FGxxx <resource>` on its line, as in `test_config_rules`; the negative fixture of each pair holds the
look-alikes and must produce none of the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.rules.test_config_rules import FIXTURES, expected, found, run

from faasguard.config import Config
from faasguard.model import RouteTarget
from faasguard.pipeline import scan

CASES = [
    ("FG308", "pos_public_subnet.yaml", "neg_subnets.yaml"),
    ("FG308", "tf_pos/main.tf", "tf_neg/main.tf"),
    ("FG309", "ecs_pos.yaml", "ecs_neg.yaml"),
    ("FG309", "tf_ecs_pos/main.tf", "tf_ecs_neg/main.tf"),
    ("FG201", "cfn_generated_pos.yaml", "cfn_generated_neg.yaml"),
    ("FG201", "tf_generated_pos/main.tf", "tf_generated_neg/main.tf"),
    ("FG604", "cfn_symbolic_pos.yaml", "cfn_symbolic_neg.yaml"),
    ("FG604", "tf_symbolic_pos/main.tf", "tf_symbolic_neg/main.tf"),
]


def _target(relative: str, rule_id: str) -> Path:
    path = FIXTURES / rule_id / relative
    return path.parent if path.suffix == ".tf" else path


@pytest.mark.parametrize(("rule_id", "pos", "neg"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_positive_and_negative(rule_id: str, pos: str, neg: str) -> None:
    want = expected(FIXTURES / rule_id / pos, rule_id)
    assert want
    findings = run(_target(pos, rule_id), rule_id)
    assert found(findings) == want
    assert len(findings) == len(want)
    assert all(f.message and f.fix for f in findings)
    assert not expected(FIXTURES / rule_id / neg, rule_id)
    assert found(run(_target(neg, rule_id), rule_id)) == set()


def _app(path: Path):  # type: ignore[no-untyped-def]
    result = scan([str(path)], Config(), cwd=path.parent)
    assert len(result.apps) == 1
    return result.apps[0]


def test_cloudformation_network_model() -> None:
    app = _app(FIXTURES / "FG308" / "pos_public_subnet.yaml")
    subnet = app.subnet("PublicSubnetV6")
    assert subnet is not None
    assert subnet.route_table == "PublicRoutesV6"
    assert subnet.map_public_ip_on_launch is True
    assert subnet.loc("route_table").line == 89  # the association
    table = app.route_table("PublicRoutesV6")
    assert table is not None
    (route,) = table.routes
    assert (route.destination, route.target, route.target_id) == ("::/0", RouteTarget.INTERNET_GATEWAY,
                                                                  "igw-0123456789abcdef0")
    fn = next(f for f in app.functions if f.id == "ExposedV6Function")
    assert fn.vpc is not None
    assert fn.vpc.subnet_ids == ("PublicSubnet", "PublicSubnetV6")


def test_cloudformation_unreadable_routes_are_unknown() -> None:
    app = _app(FIXTURES / "FG308" / "neg_subnets.yaml")
    unknown = app.route_table("UnknownRoutes")
    assert unknown is not None
    assert unknown.routes[0].target is RouteTarget.UNKNOWN
    assert not isinstance(unknown.internet_route(), bool)  # Unknown, not False
    private = app.route_table("PrivateRoutes")
    assert private is not None
    assert private.internet_route() is False
    assert {r.target for r in private.routes} == {RouteTarget.NAT_GATEWAY, RouteTarget.INTERNET_GATEWAY}
    unassociated = app.subnet("UnassociatedSubnet")
    assert unassociated is not None
    assert unassociated.route_table is None


def test_terraform_network_model() -> None:
    app = _app(FIXTURES / "FG308" / "tf_neg")
    main = app.subnet("aws_subnet.main")
    assert main is not None
    assert main.route_table == "aws_default_route_table.main"  # the VPC's declared main table
    public = app.subnet("aws_subnet.public")
    assert public is not None
    assert public.route_table == "aws_route_table.public"
    assert public.map_public_ip_on_launch is True
    table = app.route_table("aws_route_table.unknown")
    assert table is not None
    assert table.routes[0].target is RouteTarget.UNKNOWN
    pos = _app(FIXTURES / "FG308" / "tf_pos")
    edge = pos.route_table("aws_route_table.edge")
    assert edge is not None
    (route,) = edge.routes
    assert route.location.logical_id == "aws_route.edge_default"
    assert route.target is RouteTarget.INTERNET_GATEWAY


def test_ecs_service_model_both_formats() -> None:
    cfn = _app(FIXTURES / "FG309" / "ecs_pos.yaml")
    api = next(s for s in cfn.services if s.id == "ApiService")
    assert api.task == "TaskDefinition"
    assert api.assign_public_ip is True
    assert api.network is not None
    assert api.network.security_group_ids == ("ApiGroup",)
    assert api.network.location.line == 54  # NetworkConfiguration
    tf = _app(FIXTURES / "FG309" / "tf_ecs_pos")
    worker = next(s for s in tf.services if s.id == "aws_ecs_service.worker")
    assert worker.task == "aws_ecs_task_definition.worker"
    assert worker.network is not None
    assert worker.network.security_group_ids == ("aws_security_group.worker", "aws_security_group.api")
    assert worker.network.subnet_ids == ("subnet-0123456789abcdef0",)
    neg = _app(FIXTURES / "FG309" / "tf_ecs_neg")
    bridge = next(s for s in neg.services if s.id == "aws_ecs_service.bridge")
    assert bridge.network is None
