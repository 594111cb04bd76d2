"""Data resources (buckets, queues, topics, tables, secrets...) and the resource policies attached to them."""

from __future__ import annotations

import json
import re
from typing import Any

from faasguard.loaders._cognito import custom_attribute_name
from faasguard.loaders.cloudformation._core import (
    _RESOURCE_POLICY_TYPES,
    CATEGORIES,
    _as_bool,
    _as_int,
    _as_str,
    _Builder,
    _dig,
    _item_loc,
    _key_loc,
    _strings,
)
from faasguard.loaders.cloudformation._iam import (
    _document,
)
from faasguard.loaders.cloudformation._secrets import _secret_attribute
from faasguard.model import (
    BucketSettings,
    Destination,
    EcrRepositorySettings,
    IdentityPoolSettings,
    Location,
    ParameterSettings,
    PolicyDocument,
    PublicAccessBlock,
    RegistryScanning,
    RegistryScanRule,
    Resource,
    Unknown,
    UserPoolAttribute,
    UserPoolClient,
    UserPoolSettings,
)

_POLICY_DOCUMENT_KEYS = {"AWS::SecretsManager::ResourcePolicy": "ResourcePolicy"}
"""Policy types whose document is not under `PolicyDocument`."""


def _resource_policy(b: _Builder, logical_id: str) -> None:
    """An S3 BucketPolicy / SQS QueuePolicy / SNS TopicPolicy: its document goes to every resource of this
    template it names (resources it names by an ARN or URL we cannot map stay unmodelled)."""
    kind = b.type_of(logical_id)
    key, target_type = _RESOURCE_POLICY_TYPES[kind]
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    doc_key = _POLICY_DOCUMENT_KEYS.get(kind, "PolicyDocument")
    document = _document(b, props.get(doc_key), _key_loc(props, doc_key, where))
    raw_targets = raw.get(key)
    items = raw_targets if isinstance(raw_targets, list) else [raw_targets] if raw_targets is not None else []
    for item in items:
        target = b.resolver.target(item, (target_type,))
        if target is not None:
            b._resource_policies.setdefault(target, []).append(document)


def _data_resource(b: _Builder, logical_id: str, kind: str) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    name = b.resolver.name_of(logical_id)
    arn = b.resolver.arn_of(logical_id)
    field_locations = {key: _key_loc(props, key, where) for key in props} if isinstance(props, dict) else {}
    documents = list(b._resource_policies.get(logical_id, []))
    if kind == "AWS::KMS::Key" and isinstance(props, dict) and props.get("KeyPolicy") is not None:
        documents.insert(0, _document(b, props["KeyPolicy"], _key_loc(props, "KeyPolicy", where)))
    policy: PolicyDocument | None = None
    if documents:
        policy = PolicyDocument(tuple(s for d in documents for s in d.statements), documents[0].location,
                                next((d.unresolved for d in documents if d.unresolved is not None), None))
        field_locations["resource_policy"] = policy.location
    ecr = _ecr_settings(props, where, field_locations) if kind == "AWS::ECR::Repository" else None
    parameter = _parameter_settings(b, logical_id, props, where, field_locations) \
        if kind == "AWS::SSM::Parameter" else None
    user_pool = _user_pool(b, logical_id, props, where, field_locations) \
        if kind == "AWS::Cognito::UserPool" else None
    identity_pool = _identity_pool(b, logical_id, props, where, field_locations) \
        if kind == "AWS::Cognito::IdentityPool" else None
    blocked = _public_policy_blocked(b, logical_id) if kind == "AWS::SecretsManager::Secret" else None
    redrive = _queue_redrive(b, logical_id, props, where) if kind == "AWS::SQS::Queue" else None
    bucket = _bucket_settings(props, where, field_locations) if kind == "AWS::S3::Bucket" else None
    b.data_resources.append(Resource(
        id=logical_id, location=where, field_locations=field_locations,
        type=kind, category=CATEGORIES[kind], name=name, arn=arn, properties=props, resource_policy=policy,
        ecr=ecr, public_policy_blocked=blocked, parameter=parameter, user_pool=user_pool,
        identity_pool=identity_pool, redrive=redrive, bucket=bucket,
        publicly_accessible=_as_bool(props.get("PubliclyAccessible")) if isinstance(props, dict) else None))


def _public_policy_blocked(b: _Builder, secret_id: str) -> bool | Unknown | None:
    """`BlockPublicPolicy` of the `AWS::SecretsManager::ResourcePolicy` naming this secret (True wins when
    several do: Secrets Manager checks each policy as it is put)."""
    found: bool | Unknown | None = None
    for policy_id in b.resolver.resources:
        if b.type_of(policy_id) != "AWS::SecretsManager::ResourcePolicy":
            continue
        if b.resolver.target(b.raw_props(policy_id).get("SecretId"), ("AWS::SecretsManager::Secret",)) != secret_id:
            continue
        flag = _as_bool(b.props(policy_id).get("BlockPublicPolicy"))
        if flag is True:
            return True
        found = flag if found is None else found
    return found


def _parameter_settings(b: _Builder, logical_id: str, props: Any, where: Location,
                        field_locations: dict[str, Location]) -> ParameterSettings:
    """`Type` and `Value` of an `AWS::SSM::Parameter` (a `!Ref` to a parameter stays Unknown), and the secret
    attribute the value copies (`!GetAtt AccessKey.SecretAccessKey`)."""
    if not isinstance(props, dict):
        return ParameterSettings()
    for key, name in (("Type", "parameter.type"), ("Value", "parameter.value")):
        if key in props:
            field_locations[name] = _key_loc(props, key, where)
    value = props.get("Value")
    return ParameterSettings(type=_as_str(props.get("Type"), where),
                             value=value if isinstance(value, (str, Unknown)) or value is None
                             else Unknown("parameter value is not a string", where),
                             from_secret_attribute=_secret_attribute(b, b.raw_props(logical_id).get("Value")))


def _user_pool(b: _Builder, logical_id: str, props: Any, where: Location,
               field_locations: dict[str, Location]) -> UserPoolSettings:
    """Password policy, custom attributes and self sign-up of an `AWS::Cognito::UserPool`, with the
    `AWS::Cognito::UserPoolClient`s of this template that name it."""
    if not isinstance(props, dict):
        return UserPoolSettings()
    policies = props.get("Policies")
    password = policies.get("PasswordPolicy") if isinstance(policies, dict) else None
    minimum: int | Unknown | None = None
    if isinstance(password, dict):
        field_locations["user_pool.password_policy"] = _key_loc(policies, "PasswordPolicy", where)
        if "MinimumLength" in password:
            minimum = _as_int(password.get("MinimumLength"), where)
            field_locations["user_pool.minimum_length"] = _key_loc(password, "MinimumLength", where)
    elif isinstance(password, Unknown):
        minimum = password
    schema = props.get("Schema")
    attributes: tuple[UserPoolAttribute, ...] | Unknown = ()
    if isinstance(schema, Unknown):
        attributes = schema
    elif isinstance(schema, list):
        found: list[UserPoolAttribute] = []
        for index, item in enumerate(schema):
            item_where = _item_loc(schema, index, where)
            if not isinstance(item, dict):
                continue
            raw_name = item.get("Name")
            name = custom_attribute_name(raw_name) if isinstance(raw_name, str) else None
            if name is None:
                continue
            found.append(UserPoolAttribute(
                name, _key_loc(item, "Name", item_where),
                mutable=_as_bool(item.get("Mutable")), developer_only=_as_bool(item.get("DeveloperOnlyAttribute"))))
        attributes = tuple(found)
    admin = props.get("AdminCreateUserConfig")
    admin_only = _as_bool(admin.get("AllowAdminCreateUserOnly")) if isinstance(admin, dict) else (
        admin if isinstance(admin, Unknown) else None)
    if isinstance(admin, dict) and "AllowAdminCreateUserOnly" in admin:
        field_locations["user_pool.admin_create_user_only"] = _key_loc(admin, "AllowAdminCreateUserOnly", where)
    clients: list[UserPoolClient] = []
    for client_id in b.resolver.resources:
        if b.type_of(client_id) != "AWS::Cognito::UserPoolClient":
            continue
        raw_client = b.raw_props(client_id)
        if b.resolver.target(raw_client.get("UserPoolId"), ("AWS::Cognito::UserPool",)) != logical_id:
            continue
        client_props = b.props(client_id)
        client_where = b.loc(client_id)
        writes = client_props.get("WriteAttributes") if isinstance(client_props, dict) else None
        write_attributes: tuple[str | Unknown, ...] | Unknown | None
        if writes is None:
            write_attributes = None
        elif isinstance(writes, Unknown):
            write_attributes = writes
        else:
            write_attributes = _strings(writes, client_where)
        clients.append(UserPoolClient(
            client_id, client_where, write_attributes,
            _key_loc(client_props, "WriteAttributes", client_where) if writes is not None else None))
    return UserPoolSettings(password_policy=isinstance(password, dict), minimum_length=minimum,
                            custom_attributes=attributes, admin_create_user_only=admin_only,
                            clients=tuple(clients))


def _identity_pool(b: _Builder, logical_id: str, props: Any, where: Location,
                   field_locations: dict[str, Location]) -> IdentityPoolSettings:
    """`AllowUnauthenticatedIdentities` and the `unauthenticated` role of the `IdentityPoolRoleAttachment`
    naming this pool (a role outside the template, or not resolvable, is Unknown)."""
    if not isinstance(props, dict):
        return IdentityPoolSettings()
    if "AllowUnauthenticatedIdentities" in props:
        field_locations["identity_pool.allow_unauthenticated"] = _key_loc(
            props, "AllowUnauthenticatedIdentities", where)
    role: str | Unknown | None = None
    for attachment in b.resolver.resources:
        if b.type_of(attachment) != "AWS::Cognito::IdentityPoolRoleAttachment":
            continue
        raw = b.raw_props(attachment)
        if b.resolver.target(raw.get("IdentityPoolId"), ("AWS::Cognito::IdentityPool",)) != logical_id:
            continue
        roles = raw.get("Roles")
        if not isinstance(roles, dict) or "unauthenticated" not in roles:
            continue
        role_where = _key_loc(roles, "unauthenticated", b.loc(attachment))
        role = b.resolver.target(roles["unauthenticated"], ("AWS::IAM::Role",)) or Unknown(
            "the unauthenticated role is not a role of this template", role_where)
        field_locations["identity_pool.unauthenticated_role"] = role_where
    return IdentityPoolSettings(allow_unauthenticated=_as_bool(props.get("AllowUnauthenticatedIdentities")),
                                unauthenticated_role=role)


def _queue_redrive(b: _Builder, logical_id: str, props: Any, where: Location) -> Destination | Unknown | None:
    """`RedrivePolicy.deadLetterTargetArn` of a queue (a mapping, or the JSON string the API also accepts),
    as the dead-letter queue's logical id when it is one of this template. A policy behind a condition or a
    parameter is Unknown: it may well name a dead-letter queue."""
    raw = b.raw_props(logical_id)
    if isinstance(raw, dict) and len(raw) == 1 and str(next(iter(raw))).startswith("Fn::"):
        return Unknown(f"the properties of {logical_id} are chosen by {next(iter(raw))}", where)
    if not isinstance(props, dict) or props.get("RedrivePolicy") is None:
        return None
    policy = props["RedrivePolicy"]
    policy_where = _key_loc(props, "RedrivePolicy", where)
    if isinstance(policy, Unknown):
        return Unknown(f"RedrivePolicy of {logical_id}: {policy.reason}", policy_where)
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError:
            return Unknown(f"RedrivePolicy of {logical_id} is not JSON", policy_where)
    if not isinstance(policy, dict):
        return Unknown(f"RedrivePolicy of {logical_id} is not a mapping", policy_where)
    target = policy.get("deadLetterTargetArn")
    if target is None:
        return None  # a redrive *allow* policy only (RedriveAllowPolicy keys), no dead-letter target
    if isinstance(target, Unknown):
        return Destination("redrive", target, policy_where)
    raw_target = _dig(b.raw_props(logical_id), "RedrivePolicy", "deadLetterTargetArn")
    resolved = b.resolver.target(raw_target) if raw_target is not None else None
    return Destination("redrive", resolved or b.resolver.id_of(target) or _as_str(target, policy_where) or "",
                       policy_where)


_FLAGS = (("BlockPublicAcls", "block_public_acls"), ("IgnorePublicAcls", "ignore_public_acls"),
          ("BlockPublicPolicy", "block_public_policy"), ("RestrictPublicBuckets", "restrict_public_buckets"))


def canned_acl(value: str | Unknown | None) -> str | Unknown | None:
    """`PublicReadWrite` (CloudFormation) → `public-read-write` (the S3 API's spelling, which Terraform uses)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "-", value.strip()).lower()


def _bucket_settings(props: Any, where: Location, field_locations: dict[str, Location]) -> BucketSettings:
    """`AccessControl`, `PublicAccessBlockConfiguration` and `OwnershipControls`, located at their keys."""
    if not isinstance(props, dict):
        return BucketSettings()
    for key, name in (("AccessControl", "bucket.acl"), ("PublicAccessBlockConfiguration",
                                                        "bucket.public_access_block"),
                      ("OwnershipControls", "bucket.object_ownership")):
        if key in props:
            field_locations[name] = _key_loc(props, key, where)
    block: PublicAccessBlock | Unknown | None = None
    written = props.get("PublicAccessBlockConfiguration")
    if isinstance(written, dict):
        flags: dict[str, bool | Unknown] = {}
        for key, name in _FLAGS:
            value = _as_bool(written.get(key))
            flags[name] = False if value is None else value
        block = PublicAccessBlock(**flags)
    elif written is not None:
        block = written if isinstance(written, Unknown) else Unknown(
            "PublicAccessBlockConfiguration is not a mapping", where)
    ownership: str | Unknown | None = None
    controls = props.get("OwnershipControls")
    rules = controls.get("Rules") if isinstance(controls, dict) else None
    if isinstance(controls, Unknown) or isinstance(rules, Unknown):
        ownership = Unknown("OwnershipControls cannot be resolved", where)
    elif isinstance(rules, list):
        values = [_as_str(r.get("ObjectOwnership"), where) for r in rules if isinstance(r, dict)]
        ownership = next((v for v in values if v == "BucketOwnerEnforced"), next(iter(values), None))
    return BucketSettings(acl=canned_acl(_as_str(props.get("AccessControl"), where)), public_access_block=block,
                          object_ownership=ownership)


def _ecr_settings(props: Any, where: Location, field_locations: dict[str, Location]) -> EcrRepositorySettings:
    """`ImageScanningConfiguration.ScanOnPush` and `ImageTagMutability`, located at the keys that set them."""
    if not isinstance(props, dict):
        return EcrRepositorySettings()
    scanning = props.get("ImageScanningConfiguration")
    scan: bool | Unknown | None
    if isinstance(scanning, Unknown):
        scan = scanning
    elif isinstance(scanning, dict):
        scan = _as_bool(scanning.get("ScanOnPush"))
    else:
        scan = None if scanning is None else Unknown("ImageScanningConfiguration is not a mapping", where)
    if "ImageScanningConfiguration" in props:
        field_locations["ecr.scan_on_push"] = _key_loc(props, "ImageScanningConfiguration", where)
    mutability = _as_str(props.get("ImageTagMutability"), where)
    if "ImageTagMutability" in props:
        field_locations["ecr.tag_mutability"] = _key_loc(props, "ImageTagMutability", where)
    return EcrRepositorySettings(scan_on_push=scan, tag_mutability=mutability)


def _registry_scanning(b: _Builder, logical_id: str) -> None:
    """`AWS::ECR::RegistryScanningConfiguration`: its rules with their frequencies and repository filters."""
    props = b.props(logical_id)
    where = b.loc(logical_id)
    raw_rules = props.get("Rules") if isinstance(props, dict) else None
    rules: tuple[RegistryScanRule, ...] | Unknown
    if isinstance(raw_rules, Unknown):
        rules = raw_rules
    elif isinstance(raw_rules, list):
        parsed: list[RegistryScanRule] = []
        for index, item in enumerate(raw_rules):
            item_where = _item_loc(raw_rules, index, where)
            if isinstance(item, Unknown) or not isinstance(item, dict):
                parsed.append(RegistryScanRule(Unknown("scanning rule not known statically", item_where),
                                               Unknown("scanning rule not known statically", item_where)))
                continue
            raw_filters = item.get("RepositoryFilters")
            filters: tuple[str | Unknown, ...] | Unknown
            if isinstance(raw_filters, Unknown):
                filters = raw_filters
            elif isinstance(raw_filters, list):
                filters = tuple(_filter_text(f, item_where) for f in raw_filters)
            else:
                filters = ()
            parsed.append(RegistryScanRule(_as_str(item.get("ScanFrequency"), item_where), filters))
        rules = tuple(parsed)
    else:
        rules = ()
    scan_type = _as_str(props.get("ScanType"), where) if isinstance(props, dict) else None
    b.registry_scanning.append(RegistryScanning(logical_id, where, scan_type=scan_type, rules=rules))


def _filter_text(value: Any, where: Location) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, dict):
        return Unknown("repository filter is not a mapping", where)
    text = _as_str(value.get("Filter"), where)
    kind = value.get("FilterType", "WILDCARD")
    if isinstance(kind, Unknown):
        return kind
    if text is None or kind != "WILDCARD":
        return Unknown(f"repository filter of type {kind}", where)
    return text
