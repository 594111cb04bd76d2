"""Security groups, their standalone ingress/egress rules, and a function's VPC configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faasguard.loaders.cloudformation._core import (
    _as_int,
    _as_str,
    _Builder,
    _item_loc,
    _key_loc,
    _strings,
)
from faasguard.model import (
    Location,
    SecurityGroup,
    SecurityGroupRule,
    Unknown,
    VpcConfig,
)

_SG_TYPES = ("AWS::EC2::SecurityGroup",)


def _vpc(b: _Builder, props: Mapping[str, Any], raw: Mapping[str, Any], where: Location) -> VpcConfig | None:
    vpc = props.get("VpcConfig")
    if vpc is None:
        return None
    vpc_where = _key_loc(props, "VpcConfig", where)
    if not isinstance(vpc, dict):
        return VpcConfig(vpc_where, (Unknown("VpcConfig cannot be resolved", vpc_where),),
                         (Unknown("VpcConfig cannot be resolved", vpc_where),))
    raw_vpc = raw.get("VpcConfig")
    raw_groups = raw_vpc.get("SecurityGroupIds") if isinstance(raw_vpc, dict) else None
    groups = vpc.get("SecurityGroupIds")
    group_ids: list[str | Unknown] = []
    if isinstance(groups, list):
        raw_items = raw_groups if isinstance(raw_groups, list) and len(raw_groups) == len(groups) else groups
        for item, raw_item in zip(groups, raw_items, strict=False):
            target = b.resolver.target(raw_item, _SG_TYPES)
            if target is not None:
                group_ids.append(target)
            else:
                text = _as_str(item, vpc_where)
                if text is not None:
                    group_ids.append(text)
    elif groups is not None:
        group_ids.append(groups if isinstance(groups, Unknown) else Unknown("security groups cannot be resolved",
                                                                             vpc_where))
    return VpcConfig(vpc_where, _strings(vpc.get("SubnetIds"), vpc_where), tuple(group_ids))


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
