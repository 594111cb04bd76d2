"""Roles (explicit, implicit SAM roles, external ARNs), inline/managed/SAM-template policies and
`AWS::Lambda::Permission`s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from faasguard.findings import DiagnosticKind, DiagnosticLevel
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.loaders.cloudformation._core import (
    _as_str,
    _Builder,
    _item_loc,
    _key_loc,
    _strings,
)
from faasguard.loaders.intrinsics import Symbolic, is_symbolic
from faasguard.model import (
    Location,
    Permission,
    Policy,
    PolicyDocument,
    PolicyKind,
    Role,
    Statement,
    Unknown,
)

_AWS_MANAGED = re.compile(r"^arn:(?:aws|aws-[a-z-]+|\$\{AWS::Partition\}):iam::aws:policy/(?:.*/)?([^/]+)$")


_POLLER_POLICIES = {
    "SQS": "AWSLambdaSQSQueueExecutionRole",
    "Kinesis": "AWSLambdaKinesisExecutionRole",
    "DynamoDB": "AWSLambdaDynamoDBExecutionRole",
    "MSK": "AWSLambdaMSKExecutionRole",
}


def _node_loc(value: Any, fallback: Location) -> Location:
    if isinstance(value, (LocatedDict, LocatedList)):
        return Location(value.path, value.line, value.column, logical_id=fallback.logical_id,
                        construct_path=fallback.construct_path)
    return fallback


def _aws_managed_name(arn: str) -> str | None:
    match = _AWS_MANAGED.match(arn)
    return match.group(1) if match else None


def _document(b: _Builder, value: Any, where: Location) -> PolicyDocument:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return PolicyDocument((), where, Unknown("policy document is not valid JSON", where))
    if isinstance(value, Unknown):
        return PolicyDocument((), where, value)
    if not isinstance(value, dict):
        return PolicyDocument((), where, Unknown("policy document is not a mapping", where))
    where = _node_loc(value, where)
    raw_statements = value.get("Statement")
    if isinstance(raw_statements, Unknown):
        return PolicyDocument((), where, raw_statements)
    items = raw_statements if isinstance(raw_statements, list) else \
        [raw_statements] if raw_statements is not None else []
    statements: list[Statement] = []
    unresolved: Unknown | None = None
    for index, item in enumerate(items):
        item_where = _item_loc(raw_statements, index, _key_loc(value, "Statement", where)) \
            if isinstance(raw_statements, list) else _node_loc(item, where)
        if isinstance(item, Unknown):
            unresolved = unresolved or item
            continue
        if not isinstance(item, dict):
            unresolved = unresolved or Unknown("statement is not a mapping", item_where)
            continue
        statements.append(_statement(b, item, _node_loc(item, item_where)))
    return PolicyDocument(tuple(statements), where, unresolved)


def _statement(b: _Builder, item: Mapping[str, Any], where: Location) -> Statement:
    def principals(raw: Any) -> dict[str, tuple[str | Unknown, ...]] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return {"*": (raw,)} if raw == "*" else {"AWS": (raw,)}
        if isinstance(raw, Unknown):
            return {"AWS": (raw,)}
        if isinstance(raw, dict):
            return {str(k): _strings(v, where) for k, v in raw.items()}
        return {"AWS": (Unknown("principal cannot be resolved", where),)}

    conditions: dict[str, dict[str, tuple[str | Unknown, ...]]] = {}
    raw_conditions = item.get("Condition")
    if isinstance(raw_conditions, dict):
        for operator, block in raw_conditions.items():
            if isinstance(block, dict):
                conditions[str(operator)] = {str(k): _strings(v, where) for k, v in block.items()}
            else:
                conditions[str(operator)] = {"?": (Unknown("condition block cannot be resolved", where),)}
    elif isinstance(raw_conditions, Unknown):
        conditions["?"] = {"?": (raw_conditions,)}
    effect = _as_str(item.get("Effect"), where)
    sid = item.get("Sid")
    return Statement(
        effect=effect if effect is not None else Unknown("statement without Effect", where),
        location=where, sid=sid if isinstance(sid, str) else None,
        actions=_strings(item.get("Action"), where),
        not_actions=_strings(item.get("NotAction"), where) if "NotAction" in item else None,
        resources=_strings(item.get("Resource"), where),
        not_resources=_strings(item.get("NotResource"), where) if "NotResource" in item else None,
        principals=principals(item.get("Principal")),
        not_principals=principals(item.get("NotPrincipal")),
        conditions=conditions,
        field_locations={name: _key_loc(item, key, where) for name, key in (
            ("effect", "Effect"), ("sid", "Sid"), ("actions", "Action"), ("not_actions", "NotAction"),
            ("resources", "Resource"), ("not_resources", "NotResource"), ("principals", "Principal"),
            ("not_principals", "NotPrincipal"), ("conditions", "Condition")) if key in item})


def _managed_policy_ref(b: _Builder, raw: Any, value: Any, where: Location) -> Policy:
    """A managed policy named by ARN (or by a Ref to a policy defined in the template)."""
    target = b.resolver.target(raw, ("AWS::IAM::ManagedPolicy",))
    if target is not None:
        props = b.props(target)
        name = props.get("ManagedPolicyName")
        return Policy(name if isinstance(name, str) else target, PolicyKind.CUSTOMER_MANAGED, where,
                      _document(b, props.get("PolicyDocument"), b.loc(target)),
                      b.resolver.arn_of(target), target)
    if isinstance(value, str):
        managed = _aws_managed_name(value)
        if managed is not None:
            return Policy(managed, PolicyKind.AWS_MANAGED, where, None, value)
        return Policy(value.rsplit("/", 1)[-1], PolicyKind.EXTERNAL, where, None, value)
    unknown = value if isinstance(value, Unknown) else Unknown("policy ARN cannot be resolved", where)
    return Policy("<unresolved>", PolicyKind.EXTERNAL, where, None, unknown)


def _attached_policy(b: _Builder, logical_id: str) -> None:
    raw = b.raw_props(logical_id)
    props = b.props(logical_id)
    where = b.loc(logical_id)
    kind = b.type_of(logical_id)
    name = props.get("PolicyName") if kind == "AWS::IAM::Policy" else props.get("ManagedPolicyName")
    policy = Policy(name if isinstance(name, str) else logical_id,
                    PolicyKind.INLINE if kind == "AWS::IAM::Policy" else PolicyKind.CUSTOMER_MANAGED,
                    where, _document(b, props.get("PolicyDocument"), _key_loc(props, "PolicyDocument", where)),
                    b.resolver.arn_of(logical_id) if kind == "AWS::IAM::ManagedPolicy" else None,
                    logical_id)
    raw_roles = raw.get("Roles")
    for item in raw_roles if isinstance(raw_roles, list) else []:
        role = _role_id(b, item)
        if role is not None:
            b._attached.setdefault(role, []).append(policy)


def _role_id(b: _Builder, raw: Any) -> str | None:
    """The role a Ref/GetAtt/name points at: a template role, a SAM implicit role, or None."""
    target = b.resolver.target(raw, ("AWS::IAM::Role",))
    if target is not None:
        return target
    value = b.resolver.resolve_or_none(raw)
    if isinstance(value, str):
        for role_id in b.resolver.resources:
            if b.type_of(role_id) == "AWS::IAM::Role" and b.resolver.name_of(role_id) == value:
                return role_id
    return None


def _role(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    policies: list[Policy] = []
    inline = props.get("Policies")
    for index, item in enumerate(inline if isinstance(inline, list) else []):
        item_where = _item_loc(inline, index, _key_loc(props, "Policies", where))
        if isinstance(item, Unknown):
            policies.append(Policy("<unresolved>", PolicyKind.INLINE, item_where, PolicyDocument(
                (), item_where, item)))
            continue
        if not isinstance(item, dict):
            continue
        name = item.get("PolicyName")
        policies.append(Policy(name if isinstance(name, str) else f"{logical_id}Policy{index}",
                               PolicyKind.INLINE, item_where,
                               _document(b, item.get("PolicyDocument"), item_where)))
    managed = props.get("ManagedPolicyArns")
    raw_managed = raw.get("ManagedPolicyArns")
    managed_items = managed if isinstance(managed, list) else []
    raw_items = raw_managed if isinstance(raw_managed, list) and len(raw_managed) == len(managed_items) \
        else managed_items
    for index, item in enumerate(managed_items):
        item_where = _item_loc(managed, index, _key_loc(props, "ManagedPolicyArns", where))
        raw_item = raw_items[index]
        policies.append(_managed_policy_ref(b, raw_item, item, item_where))
    policies.extend(b._attached.get(logical_id, ()))
    trust = props.get("AssumeRolePolicyDocument")
    b.roles[logical_id] = Role(
        id=logical_id, location=where,
        field_locations=b.fields(logical_id, props, {
            "name": "RoleName", "trust_policy": "AssumeRolePolicyDocument", "policies": "Policies",
            "permissions_boundary": "PermissionsBoundary"}),
        name=_as_str(props.get("RoleName"), where),
        arn=b.resolver.arn_of(logical_id),
        trust_policy=_document(b, trust, _key_loc(props, "AssumeRolePolicyDocument", where))
        if trust is not None else None,
        policies=tuple(policies),
        permissions_boundary=_as_str(props.get("PermissionsBoundary"), where))


def _external_role(b: _Builder, value: str | Unknown, where: Location) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if value not in b.roles:
        name = value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
        b.roles[value] = Role(id=value, location=where, name=name,
                                 arn=value if value.startswith("arn:") else None, external=True)
    return value


def _function_role(b: _Builder, logical_id: str, props: dict[str, Any], raw: Mapping[str, Any], where: Location, *,
                   sam: bool) -> str | Unknown | None:
    if "Role" in props or "Role" in raw:
        raw_role = raw.get("Role")
        role_id = _role_id(b, raw_role)
        if role_id is not None and (role_id in b.roles or (role_id.endswith("Role")
                                    and role_id[:-4] in b.resolver.resources)):
            return role_id
        value = props.get("Role")
        if value is None:
            return None
        where_role = _key_loc(props, "Role", where)
        return _external_role(b, _as_str(value, where_role) or Unknown("role cannot be resolved"),
                                   where_role)
    if not sam:
        return Unknown("AWS::Lambda::Function without Role", where)
    return _implicit_role(b, logical_id, props, raw, where)


def _implicit_role(b: _Builder, logical_id: str, props: dict[str, Any], raw: Mapping[str, Any],
                   where: Location) -> str:
    role_id = f"{logical_id}Role"
    policies_where = _key_loc(props, "Policies", where)
    managed = ["service-role/AWSLambdaBasicExecutionRole"]
    if props.get("VpcConfig") is not None:
        managed.append("service-role/AWSLambdaVPCAccessExecutionRole")
    if props.get("Tracing") == "Active":
        managed.append("AWSXrayWriteOnlyAccess")
    events = props.get("Events")
    for event in events.values() if isinstance(events, dict) else ():
        if isinstance(event, dict) and event.get("Type") in _POLLER_POLICIES:
            managed.append(f"service-role/{_POLLER_POLICIES[event['Type']]}")
    policies = [Policy(name.rsplit("/", 1)[-1], PolicyKind.AWS_MANAGED, where, None,
                       f"arn:${{AWS::Partition}}:iam::aws:policy/{name}") for name in dict.fromkeys(managed)]
    value = props.get("Policies")
    raw_value = raw.get("Policies")
    items = value if isinstance(value, list) else [value] if value is not None else []
    raw_items = raw_value if isinstance(raw_value, list) else [raw_value] if raw_value is not None else []
    if len(raw_items) != len(items):
        raw_items = items
    for index, item in enumerate(items):
        item_where = _item_loc(value, index, policies_where) if isinstance(value, list) else policies_where
        policies.extend(_sam_policy_item(b, role_id, index, item, raw_items[index], where=item_where))
    policies.extend(b._attached.get(role_id, ()))
    boundary = props.get("PermissionsBoundary")
    trust = props.get("AssumeRolePolicyDocument")
    trust_policy = _document(b, trust, _key_loc(props, "AssumeRolePolicyDocument", where)) \
        if trust is not None else PolicyDocument((Statement(
            "Allow", where, actions=("sts:AssumeRole",), principals={"Service": ("lambda.amazonaws.com",)}),),
            where)
    role_where = policies_where
    b.roles[role_id] = Role(
        id=role_id, location=Location(role_where.path, role_where.line, role_where.column, logical_id=role_id,
                                      construct_path=where.construct_path),
        field_locations={"policies": policies_where, **b.fields(
            logical_id, props, {"permissions_boundary": "PermissionsBoundary",
                                "trust_policy": "AssumeRolePolicyDocument"})},
        arn=f"${{{role_id}.Arn}}", trust_policy=trust_policy, policies=tuple(policies),
        permissions_boundary=_as_str(boundary, where), implicit=True)
    return role_id


def _sam_policy_item(b: _Builder, role_id: str, index: int, item: Any, raw_item: Any, *,
                     where: Location) -> list[Policy]:
    from faasguard.loaders import _sam_policies

    if isinstance(item, Unknown):
        return [Policy(f"{role_id}Policy{index}", PolicyKind.INLINE, where, PolicyDocument((), where, item))]
    if isinstance(item, str):
        if item.startswith("arn:") or is_symbolic(item):
            return [_managed_policy_ref(b, raw_item, item, where)]
        return [Policy(item, PolicyKind.AWS_MANAGED, where, None,
                       f"arn:${{AWS::Partition}}:iam::aws:policy/{item}")]
    if isinstance(item, dict):
        if "Statement" in item:
            return [Policy(f"{role_id}Policy{index}", PolicyKind.INLINE, where, _document(b, item, where))]
        if len(item) == 1:
            name = next(iter(item))
            if _sam_policies.is_policy_template(name):
                document, problem = _expanded(b, name, item[name], where)
                doc = _document(b, document, where) if document is not None else \
                    PolicyDocument((), where, problem)
                statements = tuple(_relocate_statement(s, where) for s in doc.statements)
                doc = PolicyDocument(statements, where, doc.unresolved or problem)
                if problem is not None:
                    b.note(DiagnosticKind.UNRESOLVED, problem.reason, where, DiagnosticLevel.WARNING)
                return [Policy(name, PolicyKind.SAM_TEMPLATE, where, doc)]
            b.note(DiagnosticKind.UNSUPPORTED, f"unknown SAM policy template {name}", where,
                      DiagnosticLevel.WARNING)
            return [Policy(name, PolicyKind.SAM_TEMPLATE, where, PolicyDocument(
                (), where, Unknown(f"unknown SAM policy template {name}", where)))]
    return [Policy(f"{role_id}Policy{index}", PolicyKind.INLINE, where,
                   PolicyDocument((), where, Unknown("policy item cannot be resolved", where)))]


def _expanded(b: _Builder, name: str, given: Any, where: Location) -> tuple[Any, Unknown | None]:
    """A SAM policy template expanded with the (resolved) parameters `given`: once per distinct template and
    literal parameters in a template (a table's CRUD policy on many functions), where the expansion is plain
    data that did not depend on where it was used (no Unknown, which would carry the location, and no
    diagnostic, which a reuse would not repeat)."""
    from faasguard.loaders import _sam_policies

    key = _expansion_key(name, given)
    if key is not None and key in b._expansions:
        return b._expansions[key], None
    noted = len(b.diagnostics)
    document, problem = _sam_policies.expand(name, given, where, b.display, b.diagnostics)
    if key is not None and problem is None and len(b.diagnostics) == noted and _plain(document):
        b._expansions[key] = document
    return document, problem


def _expansion_key(name: str, given: Any) -> tuple[object, ...] | None:
    if not isinstance(given, dict) or not all(type(v) in (str, Symbolic) for v in given.values()):
        return None
    return (name, *((k, type(v), v) for k, v in given.items()))


def _plain(value: Any, depth: int = 0) -> bool:
    """Only strings, numbers, booleans, lists and mappings of them (a small document: bounded depth)."""
    if isinstance(value, dict):
        return depth < 20 and all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return depth < 20 and all(_plain(v, depth + 1) for v in value)
    return isinstance(value, str | int | float | bool)


def _permission(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    function = b._function_target(raw.get("FunctionName"))
    if isinstance(function, Unknown):
        value = props.get("FunctionName")
        function = value if isinstance(value, str) else function
    b.permissions.append(Permission(
        id=logical_id, location=where,
        field_locations=b.fields(logical_id, props, {
            "function": "FunctionName", "action": "Action", "principal": "Principal",
            "source_arn": "SourceArn", "source_account": "SourceAccount", "principal_org_id": "PrincipalOrgID",
            "function_url_auth_type": "FunctionUrlAuthType"}),
        function=function, action=_as_str(props.get("Action"), where) or "lambda:InvokeFunction",
        principal=_as_str(props.get("Principal"), where) or "",
        source_arn=_as_str(props.get("SourceArn"), where),
        source_account=_as_str(props.get("SourceAccount"), where),
        principal_org_id=_as_str(props.get("PrincipalOrgID"), where),
        function_url_auth_type=_as_str(props.get("FunctionUrlAuthType"), where)))


def _relocate_statement(statement: Statement, where: Location) -> Statement:
    """SAM policy template statements come from SAM's data, not the template: point them at the use site."""
    return Statement(statement.effect, where, statement.sid, statement.actions, statement.not_actions,
                     statement.resources, statement.not_resources, statement.principals, statement.not_principals,
                     statement.conditions, {})
