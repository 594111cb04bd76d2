"""Security groups, their standalone rules, and the groups a function is placed in."""

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
    SecurityGroup,
    SecurityGroupRule,
    Unknown,
)


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
