"""Security groups, their standalone ingress/egress rules, a function's VPC configuration, and the subnets,
route tables and routes that decide whether a subnet is public (FG308 reads them from the model only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faasguard.loaders.cloudformation._core import (
    _as_bool,
    _as_int,
    _as_str,
    _Builder,
    _dig,
    _item_loc,
    _key_loc,
    _strings,
)
from faasguard.model import (
    Location,
    Route,
    RouteTable,
    RouteTarget,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Unknown,
    VpcConfig,
)

_SG_TYPES = ("AWS::EC2::SecurityGroup",)
_SUBNET_TYPES = ("AWS::EC2::Subnet",)
_TABLE_TYPES = ("AWS::EC2::RouteTable",)

# Route target properties → what they send traffic to. `GatewayId` may name an internet gateway or a virtual
# private gateway (or be `local`), so it is judged by what it points at.
_ROUTE_TARGETS: tuple[tuple[str, RouteTarget], ...] = (
    ("GatewayId", RouteTarget.UNKNOWN),
    ("NatGatewayId", RouteTarget.NAT_GATEWAY),
    ("EgressOnlyInternetGatewayId", RouteTarget.EGRESS_ONLY_GATEWAY),
    ("TransitGatewayId", RouteTarget.OTHER),
    ("VpcPeeringConnectionId", RouteTarget.OTHER),
    ("VpcEndpointId", RouteTarget.OTHER),
    ("NetworkInterfaceId", RouteTarget.OTHER),
    ("InstanceId", RouteTarget.OTHER),
    ("LocalGatewayId", RouteTarget.OTHER),
    ("CarrierGatewayId", RouteTarget.OTHER),
    ("CoreNetworkArn", RouteTarget.OTHER),
)


def _subnet_ids(b: _Builder, value: Any, raw: Any, where: Location) -> tuple[str | Unknown, ...]:
    """Subnets as logical ids of `AWS::EC2::Subnet` resources where they are in the template, else as
    resolved (a literal `subnet-...` id, an imported value, or Unknown)."""
    if not isinstance(raw, list) or not isinstance(value, list) or len(raw) != len(value):
        return _strings(value, where)
    out: list[str | Unknown] = []
    for item, raw_item in zip(value, raw, strict=True):
        target = b.resolver.target(raw_item, _SUBNET_TYPES)
        text = target if target is not None else _as_str(item, where)
        if text is not None:
            out.append(text)
    return tuple(out)


def _gateway_target(b: _Builder, key: str, default: RouteTarget, value: Any, *, raw: Any,
                    where: Location) -> tuple[RouteTarget, str | Unknown | None]:
    """What a route's target property points at, and the target's id."""
    if isinstance(value, Unknown):
        return RouteTarget.UNKNOWN, value
    text = _as_str(value, where)
    if key != "GatewayId":
        return default, b.resolver.target(raw) or text
    if b.resolver.target(raw, ("AWS::EC2::InternetGateway",)) is not None:
        return RouteTarget.INTERNET_GATEWAY, b.resolver.target(raw)
    if b.resolver.target(raw, ("AWS::EC2::VPNGateway",)) is not None:
        return RouteTarget.OTHER, b.resolver.target(raw)
    if isinstance(text, str) and (text.startswith(("igw-", "vgw-")) or text == "local"):
        return (RouteTarget.INTERNET_GATEWAY if text.startswith("igw-") else RouteTarget.OTHER), text
    return RouteTarget.UNKNOWN, text


def _route(b: _Builder, logical_id: str) -> None:
    """`AWS::EC2::Route`: kept under its route table until the table is modelled."""
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    table = b.resolver.target(raw.get("RouteTableId"), _TABLE_TYPES)
    if table is None:
        return
    destination: str | Unknown | None = None
    for key in ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"):
        if props.get(key) is not None:
            destination = _as_str(props.get(key), _key_loc(props, key, where))
            break
    target, target_id = RouteTarget.UNKNOWN, None
    for key, kind in _ROUTE_TARGETS:
        if props.get(key) is not None:
            target, target_id = _gateway_target(b, key, kind, props.get(key), raw=raw.get(key),
                                                where=_key_loc(props, key, where))
            break
    b._routes.setdefault(table, []).append(Route(destination, target, where, target_id))


def _association(b: _Builder, logical_id: str) -> None:
    """`AWS::EC2::SubnetRouteTableAssociation`: the table a subnet uses (an unreadable table is Unknown)."""
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    subnet = b.resolver.target(raw.get("SubnetId"), _SUBNET_TYPES)
    if subnet is None:
        return
    table: str | Unknown | None = b.resolver.target(raw.get("RouteTableId"), _TABLE_TYPES)
    if table is None:
        table = Unknown("the route table of the subnet association is not in this template", where)
    b._associations.setdefault(subnet, (table, where))


def _route_table(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    b.route_tables.append(RouteTable(
        id=logical_id, location=where, field_locations=b.fields(logical_id, props, {"vpc_id": "VpcId"}),
        routes=tuple(b._routes.get(logical_id, ())), vpc_id=_as_str(props.get("VpcId"), where)))


def _subnet(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    fields = b.fields(logical_id, props, {"map_public_ip_on_launch": "MapPublicIpOnLaunch", "vpc_id": "VpcId"})
    association = b._associations.get(logical_id)
    if association is not None:
        fields["route_table"] = association[1]
    public_ip = props.get("MapPublicIpOnLaunch")
    b.subnets.append(Subnet(
        id=logical_id, location=where, field_locations=fields,
        route_table=association[0] if association is not None else None,
        map_public_ip_on_launch=_as_bool(public_ip),
        vpc_id=_as_str(props.get("VpcId"), where)))


_CAPACITY_PROVIDERS = ("AWS::Lambda::CapacityProvider", "AWS::Serverless::CapacityProvider")


def _vpc(b: _Builder, props: Mapping[str, Any], raw: Mapping[str, Any], where: Location) -> VpcConfig | None:
    vpc = props.get("VpcConfig")
    if vpc is None:
        return _capacity_provider_vpc(b, props, raw, where)
    vpc_where = _key_loc(props, "VpcConfig", where)
    return placement(b, vpc, raw.get("VpcConfig"), vpc_where, subnets_key="SubnetIds",
                     groups_key="SecurityGroupIds")


def _capacity_provider_vpc(b: _Builder, props: Mapping[str, Any], raw: Mapping[str, Any],
                           where: Location) -> VpcConfig | None:
    """The network placement of a function on Lambda Managed Instances: its `CapacityProviderConfig` names a
    capacity provider, whose instances run in the provider's `VpcConfig` (a function cannot set its own).

    SAM writes `CapacityProviderConfig.Arn`, CloudFormation
    `CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn`. A provider
    that is not in this template still places the function in a VPC: subnets and groups are then Unknown."""
    config = props.get("CapacityProviderConfig")
    if not isinstance(config, dict):
        return None
    raw_config = raw.get("CapacityProviderConfig")
    config_where = _key_loc(props, "CapacityProviderConfig", where)
    raw_arn = _dig(raw_config, "Arn")
    if raw_arn is None:
        raw_arn = _dig(raw_config, "LambdaManagedInstancesCapacityProviderConfig", "CapacityProviderArn")
    provider = b.resolver.target(raw_arn, _CAPACITY_PROVIDERS) if raw_arn is not None else None
    if provider is None:
        unknown = Unknown("the capacity provider is not a resource of this template", config_where)
        return VpcConfig(config_where, (unknown,), (unknown,))
    provider_props = b.props(provider)
    if provider_props.get("VpcConfig") is None:
        return None
    return placement(b, provider_props.get("VpcConfig"), b.raw_props(provider).get("VpcConfig"),
                     _key_loc(provider_props, "VpcConfig", b.loc(provider)), subnets_key="SubnetIds",
                     groups_key="SecurityGroupIds")


def placement(b: _Builder, config: Any, raw_config: Any, where: Location, *, subnets_key: str,
              groups_key: str) -> VpcConfig:
    """Subnets and security groups of a function's `VpcConfig` or an ECS service's `AwsvpcConfiguration`, as
    logical ids where they are resources of this template."""
    if not isinstance(config, dict):
        return VpcConfig(where, (Unknown(f"{subnets_key} cannot be resolved", where),),
                         (Unknown(f"{groups_key} cannot be resolved", where),))
    raw_config = raw_config if isinstance(raw_config, dict) else {}
    raw_groups = raw_config.get(groups_key)
    groups = config.get(groups_key)
    group_ids: list[str | Unknown] = []
    if isinstance(groups, list):
        raw_items = raw_groups if isinstance(raw_groups, list) and len(raw_groups) == len(groups) else groups
        for item, raw_item in zip(groups, raw_items, strict=False):
            target = b.resolver.target(raw_item, _SG_TYPES)
            if target is not None:
                group_ids.append(target)
            else:
                text = _as_str(item, where)
                if text is not None:
                    group_ids.append(text)
    elif groups is not None:
        group_ids.append(groups if isinstance(groups, Unknown) else Unknown("security groups cannot be resolved",
                                                                             where))
    return VpcConfig(where, _subnet_ids(b, config.get(subnets_key), raw_config.get(subnets_key), where),
                     tuple(group_ids))


def _sg_rule(b: _Builder, direction: str, item: Mapping[str, Any], raw_item: Any, where: Location) -> SecurityGroupRule:
    cidr = item.get("CidrIp") if item.get("CidrIp") is not None else item.get("CidrIpv6")
    if cidr is None and item.get("DestinationPrefixListId") is not None:
        cidr = item.get("DestinationPrefixListId")
    group_key = "DestinationSecurityGroupId" if direction == "egress" else "SourceSecurityGroupId"
    group = None
    if item.get(group_key) is not None:
        raw_group = raw_item.get(group_key) if isinstance(raw_item, dict) else None
        group = b.resolver.target(raw_group, _SG_TYPES) or _as_str(item.get(group_key), where)
    protocol = _as_str(item.get("IpProtocol"), where)
    return SecurityGroupRule(direction, protocol if protocol is not None else "-1",
                             _as_int(item.get("FromPort"), where), _as_int(item.get("ToPort"), where),
                             _as_str(cidr, where), where, group)


def _standalone_sg_rule(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    direction = "egress" if b.type_of(logical_id).endswith("Egress") else "ingress"
    group = b.resolver.target(raw.get("GroupId"), _SG_TYPES)
    if group is None:
        return
    rule = _sg_rule(b, direction, props, raw, b.loc(logical_id))
    (b._extra_egress if direction == "egress" else b._extra_ingress).setdefault(group, []).append(rule)


def _security_group(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    rules: list[SecurityGroupRule] = []
    for direction, key in (("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")):
        items = props.get(key)
        raw_items = raw.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            raw_item = raw_items[index] if isinstance(raw_items, list) and len(raw_items) == len(items) else item
            rules.append(_sg_rule(b, direction, item, raw_item, _item_loc(items, index, _key_loc(
                props, key, where))))
    rules.extend(b._extra_ingress.get(logical_id, ()))
    rules.extend(b._extra_egress.get(logical_id, ()))
    b.security_groups.append(SecurityGroup(
        id=logical_id, location=where,
        field_locations=b.fields(logical_id, props, {"rules": "SecurityGroupEgress", "vpc_id": "VpcId",
                                                        "ingress": "SecurityGroupIngress"}),
        rules=tuple(rules), implicit_allow_all_egress="SecurityGroupEgress" not in props,
        vpc_id=_as_str(props.get("VpcId"), where)))
