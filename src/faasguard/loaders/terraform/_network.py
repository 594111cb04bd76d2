"""Security groups, their standalone rules, the groups a function is placed in, and the subnets, route tables
and routes that decide whether a subnet is public (FG308 reads them from the model only)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._instances import (
    _as_int,
    _as_text,
    _Res,
)
from faasguard.loaders.terraform._policies import (
    _as_list,
    _strings,
    _value_loc,
)
from faasguard.model import (
    Location,
    Route,
    RouteTable,
    RouteTarget,
    SecurityGroup,
    SecurityGroupRule,
    Service,
    Subnet,
    Unknown,
    VpcConfig,
)

# Route target arguments (inline `route` blocks and `aws_route`) → what they send traffic to. `gateway_id` may
# name an internet gateway or a virtual private gateway (or be `local`), so it is judged by what it points at.
_ROUTE_TARGETS: tuple[tuple[str, RouteTarget], ...] = (
    ("gateway_id", RouteTarget.UNKNOWN),
    ("nat_gateway_id", RouteTarget.NAT_GATEWAY),
    ("egress_only_gateway_id", RouteTarget.EGRESS_ONLY_GATEWAY),
    ("transit_gateway_id", RouteTarget.OTHER),
    ("vpc_peering_connection_id", RouteTarget.OTHER),
    ("vpc_endpoint_id", RouteTarget.OTHER),
    ("network_interface_id", RouteTarget.OTHER),
    ("instance_id", RouteTarget.OTHER),
    ("local_gateway_id", RouteTarget.OTHER),
    ("carrier_gateway_id", RouteTarget.OTHER),
    ("core_network_arn", RouteTarget.OTHER),
)
_DESTINATIONS = ("cidr_block", "ipv6_cidr_block", "destination_cidr_block", "destination_ipv6_cidr_block",
                 "destination_prefix_list_id")


def _network_topology(b: _Builder) -> None:
    """Subnets and route tables: inline `route` blocks (or `route = [...]`) of `aws_route_table` and
    `aws_default_route_table`, standalone `aws_route`s, `aws_route_table_association`s, and the VPC's main
    table where the configuration declares it (`aws_main_route_table_association`, `aws_default_route_table`),
    which applies to the VPC's subnets without an association of their own."""
    routes: dict[str, list[Route]] = {}
    tables: list[_Res] = []
    main_tables: dict[str, tuple[str, Location]] = {}
    for rtype in ("aws_route_table", "aws_default_route_table"):
        for entry in b.entries[rtype]:
            res = entry.res
            tables.append(res)
            own = routes.setdefault(res.address, [])
            blocks, unknown = res.blocks("route")
            own.extend(_route(b, block, block.location) for block in blocks)
            if unknown is not None:
                own.append(Route(unknown, RouteTarget.UNKNOWN, unknown.location or res.location))
            if res.has("route") and not blocks:
                value = res.get("route")
                if isinstance(value, Unknown):
                    own.append(Route(value, RouteTarget.UNKNOWN, res.loc("route")))
                for item in _as_list(value):
                    if isinstance(item, Mapping):
                        own.append(_route_from_map(b, item, res.loc("route")))
            if rtype == "aws_default_route_table":
                vpc = b.ref_of(res.get("default_route_table_id"), "aws_vpc")
                if vpc is not None:
                    main_tables[vpc] = (res.address, res.location)
    for entry in b.entries["aws_route"]:
        table = b.ref_of(entry.res.get("route_table_id"), "aws_route_table", "aws_default_route_table")
        if table is not None:
            routes.setdefault(table, []).append(_route(b, entry.res, entry.res.location))
    for entry in b.entries["aws_main_route_table_association"]:
        vpc = b.ref_of(entry.res.get("vpc_id"), "aws_vpc")
        table = b.ref_of(entry.res.get("route_table_id"), "aws_route_table", "aws_default_route_table")
        if vpc is not None and table is not None:
            main_tables[vpc] = (table, entry.res.location)
    for res in tables:
        b.route_tables[res.address] = RouteTable(
            id=res.address, location=res.location, routes=tuple(routes.get(res.address, ())),
            vpc_id=res.text("vpc_id"))
    _subnets(b, main_tables)


def _subnets(b: _Builder, main_tables: Mapping[str, tuple[str, Location]]) -> None:
    """Each `aws_subnet` with the table of its `aws_route_table_association`, else its VPC's declared main
    table, else none (the main table we cannot see)."""
    associations: dict[str, tuple[str | Unknown, Location]] = {}
    for entry in b.entries["aws_route_table_association"]:
        res = entry.res
        subnet = b.ref_of(res.get("subnet_id"), "aws_subnet")
        if subnet is None:
            continue
        table: str | Unknown | None = b.ref_of(res.get("route_table_id"), "aws_route_table",
                                               "aws_default_route_table")
        if table is None:
            table = Unknown("the route table of the subnet association is not in this configuration",
                            res.loc("route_table_id"))
        associations.setdefault(subnet, (table, res.location))
    for entry in b.entries["aws_subnet"]:
        res = entry.res
        fields = {name: res.loc(attr) for name, attr in (("map_public_ip_on_launch", "map_public_ip_on_launch"),
                                                          ("vpc_id", "vpc_id")) if res.has(attr)}
        association = associations.get(res.address)
        if association is None:
            vpc = b.ref_of(res.get("vpc_id"), "aws_vpc")
            association = main_tables.get(vpc) if vpc is not None else None
        if association is not None:
            fields["route_table"] = association[1]
        b.subnets[res.address] = Subnet(
            id=res.address, location=res.location, field_locations=fields,
            route_table=association[0] if association is not None else None,
            map_public_ip_on_launch=res.flag("map_public_ip_on_launch"), vpc_id=res.text("vpc_id"))


def _route(b: _Builder, res: _Res, location: Location) -> Route:
    destination = next((res.text(a) for a in _DESTINATIONS if res.has(a)), None)
    for attr, kind in _ROUTE_TARGETS:
        if res.has(attr):
            target, target_id = _target(b, attr, kind, res.get(attr), res.loc(attr))
            return Route(destination, target, location, target_id)
    return Route(destination, RouteTarget.UNKNOWN, location)


def _route_from_map(b: _Builder, item: Mapping[str, Any], location: Location) -> Route:
    loc = _value_loc(item, location)
    destination = next((_as_text(item.get(a), loc) for a in _DESTINATIONS if item.get(a) not in (None, "")), None)
    for attr, kind in _ROUTE_TARGETS:
        if item.get(attr) not in (None, ""):
            target, target_id = _target(b, attr, kind, item.get(attr), loc)
            return Route(destination, target, loc, target_id)
    return Route(destination, RouteTarget.UNKNOWN, loc)


def _target(b: _Builder, attr: str, kind: RouteTarget, value: Any,
            location: Location) -> tuple[RouteTarget, str | Unknown | None]:
    if isinstance(value, Unknown):
        return RouteTarget.UNKNOWN, value
    address = b.ref_of(value)
    text = _as_text(value, location)
    if attr != "gateway_id":
        return kind, address or text
    if b.ref_of(value, "aws_internet_gateway") is not None:
        return RouteTarget.INTERNET_GATEWAY, address
    if b.ref_of(value, "aws_vpn_gateway") is not None:
        return RouteTarget.OTHER, address
    if isinstance(text, str) and "${" not in text and (text.startswith(("igw-", "vgw-")) or text == "local"):
        return (RouteTarget.INTERNET_GATEWAY if text.startswith("igw-") else RouteTarget.OTHER), text
    return RouteTarget.UNKNOWN, address or text


def _subnet_ids(b: _Builder, value: Any) -> tuple[str | Unknown, ...]:
    """Subnets as `aws_subnet` addresses where they are in this configuration, else as written."""
    if isinstance(value, Unknown):
        return (value,)
    out: list[str | Unknown] = []
    for item in _as_list(value):
        address = b.ref_of(item, "aws_subnet")
        if address is not None:
            out.append(address)
        elif isinstance(item, (str, Unknown)):
            out.append(item)
    return tuple(out)


def _ecs_services(b: _Builder) -> None:
    """`aws_ecs_service`: the task definition it runs and, for `awsvpc` tasks, the subnets and security groups
    of its `network_configuration` (FG309 judges those groups as it does a function's)."""
    for entry in b.entries["aws_ecs_service"]:
        res = entry.res
        blocks, unknown = res.blocks("network_configuration")
        network: VpcConfig | None = None
        public_ip: bool | Unknown | None = None
        fields: dict[str, Location] = {}
        if blocks:
            block = blocks[0]
            network = VpcConfig(block.location, _subnet_ids(b, block.get("subnets")),
                                tuple(_group_ids(b, block.get("security_groups"))))
            public_ip = block.flag("assign_public_ip")
            fields["network"] = block.location
        elif unknown is not None:
            network = VpcConfig(unknown.location or res.location, (unknown,), (unknown,))
            fields["network"] = unknown.location or res.location
        task = b.ref_of(res.get("task_definition"), "aws_ecs_task_definition") or res.text("task_definition")
        b.services.append(Service(id=res.address, location=res.location, field_locations=fields, task=task,
                                  network=network, assign_public_ip=public_ip))


def _scheduled_tasks(b: _Builder) -> None:
    """ECS tasks an EventBridge rule target (`aws_cloudwatch_event_target` `ecs_target`) or an EventBridge
    Scheduler schedule (`aws_scheduler_schedule` `target { ecs_parameters }`) runs: placed in a VPC by their
    `network_configuration` as a service's tasks are, so they are modelled as services and FG309 judges their
    security groups."""
    launches: list[tuple[_Res, _Res]] = []
    for entry in b.entries["aws_cloudwatch_event_target"]:
        ecs = entry.res.first_block("ecs_target")
        if ecs is not None:
            launches.append((entry.res, ecs))
    for entry in b.entries["aws_scheduler_schedule"]:
        target = entry.res.first_block("target")
        ecs = target.first_block("ecs_parameters") if target is not None else None
        if ecs is not None:
            launches.append((entry.res, ecs))
    for res, ecs in launches:
        block = ecs.first_block("network_configuration")
        network: VpcConfig | None = None
        fields: dict[str, Location] = {}
        if block is not None:
            network = VpcConfig(block.location, _subnet_ids(b, block.get("subnets")),
                                tuple(_group_ids(b, block.get("security_groups"))))
            fields["network"] = block.location
        task = b.ref_of(ecs.get("task_definition_arn"), "aws_ecs_task_definition") or ecs.text("task_definition_arn")
        b.services.append(Service(id=res.address, location=res.location, field_locations=fields, task=task,
                                  network=network,
                                  assign_public_ip=block.flag("assign_public_ip") if block is not None else None))


def _security_groups(b: _Builder) -> None:
    for entry in b.entries["aws_security_group"]:
        res = entry.res
        for direction in ("ingress", "egress"):
            for rule in res.blocks(direction)[0]:
                b.group_rules[res.address].extend(_sg_rules(rule, direction, rule.location))
            if res.has(direction) and not res.blocks(direction)[0]:
                # Attribute syntax (`egress = [...]`): a list of rule objects.
                for item in _as_list(res.get(direction)):
                    if isinstance(item, dict):
                        b.group_rules[res.address].extend(
                            _sg_rules_from_map(item, direction, res.loc(direction)))
    for entry in b.entries["aws_security_group_rule"]:
        res = entry.res
        group = b.ref_of(res.get("security_group_id"), "aws_security_group")
        rule_type = res.text("type")
        if group and isinstance(rule_type, str):
            b.group_rules[group].extend(_sg_rules(res, rule_type, res.location))
    for rtype, direction in (("aws_vpc_security_group_egress_rule", "egress"),
                             ("aws_vpc_security_group_ingress_rule", "ingress")):
        for entry in b.entries[rtype]:
            res = entry.res
            group = b.ref_of(res.get("security_group_id"), "aws_security_group")
            if group is None:
                continue
            cidr = res.get("cidr_ipv4")
            if cidr is None:
                cidr = res.get("cidr_ipv6")
            protocol = _as_text(res.get("ip_protocol"), res.loc("ip_protocol"))
            b.group_rules[group].append(SecurityGroupRule(
                direction, "-1" if protocol in ("-1", "all") else (protocol or "-1"),
                res.num("from_port"), res.num("to_port"), _as_text(cidr, res.loc("cidr_ipv4")),
                res.location, destination_group=_group_ref(b, res.get("referenced_security_group_id"))))
    for entry in b.entries["aws_security_group"]:
        res = entry.res
        group_fields = {d: res.loc(d) for d in ("ingress", "egress") if res.has(d)}
        first_egress = res.first_block("egress")
        if first_egress is not None:
            group_fields["egress"] = first_egress.location
        b.groups[res.address] = SecurityGroup(
            id=res.address, location=res.location, field_locations=group_fields,
            rules=tuple(b.group_rules.get(res.address, ())), implicit_allow_all_egress=False,
            vpc_id=res.text("vpc_id"))


def _group_ref(b: _Builder, value: Any) -> str | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    return b.ref_of(value, "aws_security_group") or _as_text(value, Location(""))


def _group_ids(b: _Builder, value: Any) -> Iterator[str | Unknown]:
    if isinstance(value, Unknown):
        yield value
        return
    for item in _as_list(value):
        address = b.ref_of(item, "aws_security_group")
        if address is not None:
            yield address
        elif isinstance(item, (str, Unknown)):
            yield item


def _sg_rules(res: _Res, direction: str, location: Location) -> list[SecurityGroupRule]:
    protocol = _as_text(res.get("protocol"), res.loc("protocol"))
    protocol = "-1" if protocol in ("-1", "all", "ALL") else protocol
    from_port, to_port = res.num("from_port"), res.num("to_port")
    cidrs = _strings(res.get("cidr_blocks")) + _strings(res.get("ipv6_cidr_blocks"))
    groups = _strings(res.get("security_groups"))
    if res.flag("self") is True:
        groups = (*groups, "self")
    rules = [SecurityGroupRule(direction, protocol or "-1", from_port, to_port, cidr, location) for cidr in cidrs]
    rules.extend(SecurityGroupRule(direction, protocol or "-1", from_port, to_port, None, location,
                                   destination_group=group) for group in groups)
    prefix_lists = _strings(res.get("prefix_list_ids"))
    rules.extend(SecurityGroupRule(direction, protocol or "-1", from_port, to_port, None, location,
                                   destination_group=p) for p in prefix_lists)
    if res.has("source_security_group_id"):
        rules.append(SecurityGroupRule(direction, protocol or "-1", from_port, to_port, None, location,
                                       destination_group=res.text("source_security_group_id")))
    return rules


def _sg_rules_from_map(item: Mapping[str, Any], direction: str, location: Location) -> list[SecurityGroupRule]:
    protocol = _as_text(item.get("protocol"), location)
    protocol = "-1" if protocol in ("-1", "all") else protocol
    from_port, to_port = _as_int(item.get("from_port"), location), _as_int(item.get("to_port"), location)
    loc = _value_loc(item, location)
    cidrs = _strings(item.get("cidr_blocks")) + _strings(item.get("ipv6_cidr_blocks"))
    return [SecurityGroupRule(direction, protocol or "-1", from_port, to_port, cidr, loc) for cidr in cidrs]
