"""Roles, their inline and attached policies, and `aws_lambda_permission`s."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._instances import (
    PARTITION,
    node_ref,
)
from faasguard.loaders.terraform._policies import (
    _as_list,
    _expr_first_line,
    policy_document,
)
from faasguard.model import (
    Location,
    Permission,
    Policy,
    PolicyDocument,
    PolicyKind,
    Role,
    Unknown,
)


def _roles(b: _Builder) -> None:
    for entry in b.entries["aws_iam_role"]:
        res = entry.res
        policies: list[Policy] = []
        inline_blocks, unknown = res.blocks("inline_policy")
        for inline in inline_blocks:
            if not inline.has("policy"):
                continue  # an empty inline_policy block means "no inline policies" (exclusive management)
            name = inline.text("name")
            attr = inline.block.body.attr("policy")
            doc = policy_document(inline.get("policy"), inline.loc("policy"), _expr_first_line(attr))
            policies.append(Policy(name if isinstance(name, str) else "inline", PolicyKind.INLINE,
                                   inline.location, doc, id=res.address))
        if unknown is not None:
            policies.append(Policy("inline", PolicyKind.INLINE, res.location,
                                   PolicyDocument((), res.location, unresolved=unknown), id=res.address))
        for arn in _as_list(res.get("managed_policy_arns")):
            policies.append(_policy_from_arn(b, arn, res.loc("managed_policy_arns")))
        trust = None
        if res.has("assume_role_policy"):
            trust = policy_document(res.get("assume_role_policy"), res.loc("assume_role_policy"),
                                    _expr_first_line(res.block.body.attr("assume_role_policy")))
        name = res.text("name")
        if name is None and res.has("name_prefix"):
            prefix = res.text("name_prefix")
            name = Unknown(f"generated from name_prefix {prefix}", res.loc("name_prefix"))
        fields = {f: res.loc(a) for f, a in (("name", "name"), ("trust_policy", "assume_role_policy"),
                                              ("permissions_boundary", "permissions_boundary"),
                                              ("policies", "inline_policy")) if res.has(a)}
        b.roles[res.address] = Role(
            id=res.address, location=res.location, field_locations=fields, name=name,
            arn=node_ref(res.address, "arn"), trust_policy=trust, policies=tuple(policies),
            permissions_boundary=res.text("permissions_boundary"))


def _policy_from_arn(b: _Builder, arn: Any, location: Location) -> Policy:
    address = b.ref_of(arn, "aws_iam_policy")
    if address is not None and address in b.by_address:
        entry = b.by_address[address]
        res = entry.res
        name = res.text("name")
        doc = policy_document(res.get("policy"), res.loc("policy"),
                              _expr_first_line(res.block.body.attr("policy")))
        return Policy(name if isinstance(name, str) else address, PolicyKind.CUSTOMER_MANAGED, res.location,
                      doc, arn=node_ref(address, "arn"), id=address)
    if isinstance(arn, str):
        normal = arn.replace(PARTITION, "aws")
        match = re.match(r"^arn:aws[\w-]*:iam::aws:policy/(.+)$", normal)
        if match:
            return Policy(match.group(1).rsplit("/", 1)[-1], PolicyKind.AWS_MANAGED, location, None, arn=normal)
        return Policy(arn.rsplit("/", 1)[-1], PolicyKind.EXTERNAL, location, None, arn=arn)
    reason = arn.reason if isinstance(arn, Unknown) else "policy ARN is not a string"
    return Policy("unknown", PolicyKind.EXTERNAL, location, None, arn=Unknown(reason, location))


def _attachments(b: _Builder) -> None:
    for entry in b.entries["aws_iam_role_policy"]:
        res = entry.res
        role = b.role_id(res.get("role"), res.loc("role"))
        if not isinstance(role, str):
            b.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: role is not known statically; "
                             "its policy is not attached to any role", res.loc("role"))
            continue
        name = res.text("name")
        doc = policy_document(res.get("policy"), res.loc("policy"),
                              _expr_first_line(res.block.body.attr("policy")))
        b.role_policies[role].append(Policy(name if isinstance(name, str) else res.address,
                                               PolicyKind.INLINE, res.location, doc, id=res.address))
    for entry in b.entries["aws_iam_role_policy_attachment"]:
        res = entry.res
        role = b.role_id(res.get("role"), res.loc("role"))
        if isinstance(role, str):
            b.role_policies[role].append(_policy_from_arn(b, res.get("policy_arn"), res.loc("policy_arn")))
    for entry in b.entries["aws_iam_policy_attachment"]:
        res = entry.res
        for role_value in _as_list(res.get("roles")):
            role = b.role_id(role_value, res.loc("roles"))
            if isinstance(role, str):
                b.role_policies[role].append(_policy_from_arn(b, res.get("policy_arn"),
                                                                      res.loc("policy_arn")))
    for role_id, extra in b.role_policies.items():
        owner = b.roles.get(role_id)
        if owner is not None:
            b.roles[role_id] = _with_policies(owner, extra)


def _permissions(b: _Builder) -> None:
    for entry in b.entries["aws_lambda_permission"]:
        res = entry.res
        fields = {m: res.loc(a) for m, a in (
            ("function", "function_name"), ("action", "action"), ("principal", "principal"),
            ("source_arn", "source_arn"), ("source_account", "source_account"),
            ("principal_org_id", "principal_org_id"), ("function_url_auth_type", "function_url_auth_type"))
            if res.has(a)}
        b.permissions.append(Permission(
            id=res.address, location=res.location, field_locations=fields,
            function=b.function_id(res.get("function_name")),
            action=res.text("action") or "lambda:InvokeFunction",
            principal=res.text("principal") or Unknown("no principal", res.location),
            source_arn=res.text("source_arn"), source_account=res.text("source_account"),
            principal_org_id=res.text("principal_org_id"),
            function_url_auth_type=res.text("function_url_auth_type")))


def _with_policies(role: Role, extra: Sequence[Policy]) -> Role:
    from dataclasses import replace

    return replace(role, policies=(*role.policies, *extra))
