"""Data resources (buckets, queues, topics, tables, secrets...) with their resource policies and bucket
public-access settings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders._cognito import custom_attribute_name
from faasguard.loaders.terraform._containers import _task_definition
from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._instances import (
    ACCOUNT,
    PARTITION,
    REGION,
    _arn_shape,
    _Res,
    node_ref,
)
from faasguard.loaders.terraform._loader import _Entry
from faasguard.loaders.terraform._policies import (
    _document_value,
    _expr_first_line,
    _key_loc,
    _strings,
    policy_document,
)
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
    ResourceCategory,
    Unknown,
    UserPoolAttribute,
    UserPoolClient,
    UserPoolSettings,
)

_CATEGORIES: dict[str, tuple[ResourceCategory, tuple[str, ...]]] = {
    "aws_db_instance": (ResourceCategory.RDS, ("identifier", "db_name")),
    "aws_rds_cluster": (ResourceCategory.RDS, ("cluster_identifier",)),
    "aws_rds_cluster_instance": (ResourceCategory.RDS, ("identifier",)),
    "aws_db_proxy": (ResourceCategory.RDS, ("name",)),
    "aws_elasticache_cluster": (ResourceCategory.ELASTICACHE, ("cluster_id",)),
    "aws_elasticache_replication_group": (ResourceCategory.ELASTICACHE, ("replication_group_id",)),
    "aws_elasticache_serverless_cache": (ResourceCategory.ELASTICACHE, ("name",)),
    "aws_redshift_cluster": (ResourceCategory.REDSHIFT, ("cluster_identifier",)),
    "aws_redshiftserverless_workgroup": (ResourceCategory.REDSHIFT, ("workgroup_name",)),
    "aws_docdb_cluster": (ResourceCategory.DOCUMENTDB, ("cluster_identifier",)),
    "aws_opensearch_domain": (ResourceCategory.OPENSEARCH, ("domain_name",)),
    "aws_elasticsearch_domain": (ResourceCategory.OPENSEARCH, ("domain_name",)),
    "aws_memorydb_cluster": (ResourceCategory.MEMORYDB, ("name",)),
    "aws_neptune_cluster": (ResourceCategory.NEPTUNE, ("cluster_identifier",)),
    "aws_dynamodb_table": (ResourceCategory.TABLE, ("name",)),
    "aws_s3_bucket": (ResourceCategory.BUCKET, ("bucket",)),
    "aws_sqs_queue": (ResourceCategory.QUEUE, ("name",)),
    "aws_sns_topic": (ResourceCategory.TOPIC, ("name",)),
    "aws_kinesis_stream": (ResourceCategory.STREAM, ("name",)),
    "aws_secretsmanager_secret": (ResourceCategory.SECRET, ("name",)),
    "aws_ssm_parameter": (ResourceCategory.PARAMETER, ("name",)),
    "aws_kms_key": (ResourceCategory.KMS_KEY, ("description",)),
    "aws_ecr_repository": (ResourceCategory.ECR_REPOSITORY, ("name",)),
    "aws_sfn_state_machine": (ResourceCategory.STATE_MACHINE, ("name",)),
    "aws_cloudwatch_event_bus": (ResourceCategory.EVENT_BUS, ("name",)),
    "aws_cloudwatch_log_group": (ResourceCategory.LOG_GROUP, ("name",)),
    "aws_cognito_user_pool": (ResourceCategory.USER_POOL, ("name",)),
    "aws_cognito_identity_pool": (ResourceCategory.IDENTITY_POOL, ("identity_pool_name",)),
    "aws_ecs_task_definition": (ResourceCategory.OTHER, ("family",)),
}


_POLICY_RESOURCES: dict[str, tuple[str, str]] = {
    "aws_s3_bucket_policy": ("bucket", "aws_s3_bucket"),
    "aws_sqs_queue_policy": ("queue_url", "aws_sqs_queue"),
    "aws_sns_topic_policy": ("arn", "aws_sns_topic"),
    "aws_secretsmanager_secret_policy": ("secret_arn", "aws_secretsmanager_secret"),
    "aws_kms_key_policy": ("key_id", "aws_kms_key"),
}
"""Resource-policy resource → (the argument naming its target, the target's type)."""


_POLICY_TARGETS = {rtype: target for rtype, (_, target) in _POLICY_RESOURCES.items()}


_BLOCK_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


def _resources(b: _Builder) -> None:
    policies = _resource_policies(b)
    settings = _bucket_settings(b)
    blocked = _secret_policy_blocks(b)
    redrives = _redrive_policies(b)
    for rtype, (category, name_attrs) in _CATEGORIES.items():
        for entry in b.entries[rtype]:
            res = entry.res
            props = res.plain()
            name_attr = next((a for a in name_attrs if res.has(a)), None)
            name = res.text(name_attr) if name_attr else None
            fields = {"name": res.loc(name_attr)} if name_attr else {}
            if rtype == "aws_ecs_task_definition":
                _task_definition(b, entry, props)
            policy: PolicyDocument | None = None
            bucket: BucketSettings | None = None
            if rtype == "aws_s3_bucket":
                bucket = _bucket(res, settings.get(res.address, {}), fields)
            if rtype in _POLICY_TARGETS.values():
                documents = policies.get(res.address, [])
                if res.get("policy") is not None:  # the inline `policy` argument comes first
                    documents = [_policy_attr(res, "policy"), *documents]
                if documents:
                    policy = PolicyDocument(
                        tuple(s for d in documents for s in d.statements), documents[0].location,
                        next((d.unresolved for d in documents if d.unresolved is not None), None))
                    fields["resource_policy"] = policy.location
            prefix, _, local = res.address.rpartition(f"{rtype}.")
            arn = _arn_shape(prefix, rtype, local, [("attr", "arn")]) or node_ref(res.address, "arn")
            ecr = _ecr_settings(res, fields) if rtype == "aws_ecr_repository" else None
            parameter = _parameter_settings(b, entry, fields) if rtype == "aws_ssm_parameter" else None
            user_pool = _user_pool(b, res, fields) if rtype == "aws_cognito_user_pool" else None
            identity_pool = _identity_pool(b, res, fields) if rtype == "aws_cognito_identity_pool" else None
            redrive: Destination | Unknown | None = None
            if rtype == "aws_sqs_queue":
                redrive = redrives.get(res.address)
                if res.get("redrive_policy") is not None:  # the queue's own argument wins, as it does in AWS
                    redrive = _redrive(b, res.get("redrive_policy"), res.loc("redrive_policy"))
                if redrive is not None:
                    fields["redrive"] = redrive.location or res.location
            b.resources.append(Resource(
                id=res.address, location=res.location, field_locations=fields, type=rtype, category=category,
                name=name, arn=arn, properties=props, resource_policy=policy, ecr=ecr, parameter=parameter,
                user_pool=user_pool, identity_pool=identity_pool,
                public_policy_blocked=blocked.get(res.address) if rtype == "aws_secretsmanager_secret" else None,
                redrive=redrive, bucket=bucket,
                publicly_accessible=res.flag("publicly_accessible") if category.vpc_only else None))
    for entry in b.entries["aws_ecr_registry_scanning_configuration"]:
        b.registry_scanning.append(_registry_scanning(entry.res))


def _secret_policy_blocks(b: _Builder) -> dict[str, bool | Unknown]:
    """Secret address → `block_public_policy` of the `aws_secretsmanager_secret_policy` naming it (True wins)."""
    out: dict[str, bool | Unknown] = {}
    for entry in b.entries["aws_secretsmanager_secret_policy"]:
        res = entry.res
        target = _policy_target(b, res.get("secret_arn"), "aws_secretsmanager_secret")
        flag = res.flag("block_public_policy")
        if target is not None and flag is not None and out.get(target) is not True:
            out[target] = flag
    return out


def _parameter_settings(b: _Builder, entry: _Entry, fields: dict[str, Location]) -> ParameterSettings:
    """`type` and `value` (or `insecure_value`, the provider's explicitly non-sensitive spelling)."""
    res = entry.res
    value_attr = "value" if res.has("value") else "insecure_value"
    if res.has("type"):
        fields["parameter.type"] = res.loc("type")
    if res.has(value_attr):
        fields["parameter.value"] = res.loc(value_attr)
    from faasguard.loaders.terraform._functions import _secret_attribute

    copied = _secret_attribute(b, res.get(value_attr), entry.inst) if res.has(value_attr) else None
    return ParameterSettings(type=res.text("type"), value=res.text(value_attr), from_secret_attribute=copied)


def _user_pool(b: _Builder, res: _Res, fields: dict[str, Location]) -> UserPoolSettings:
    """`password_policy { minimum_length }`, custom `schema` blocks, `admin_create_user_config`, and the
    `aws_cognito_user_pool_client`s of this configuration that name the pool."""
    password = res.first_block("password_policy")
    minimum: int | Unknown | None = None
    if password is not None:
        fields["user_pool.password_policy"] = password.location
        if password.has("minimum_length"):
            minimum = password.num("minimum_length")
            fields["user_pool.minimum_length"] = password.loc("minimum_length")
    schema_blocks, schema_unknown = res.blocks("schema")
    attributes: tuple[UserPoolAttribute, ...] | Unknown
    if schema_unknown is not None:
        attributes = schema_unknown
    else:
        found: list[UserPoolAttribute] = []
        for block in schema_blocks:
            raw_name = block.text("name")
            name = custom_attribute_name(raw_name) if isinstance(raw_name, str) else None
            if name is not None:
                found.append(UserPoolAttribute(name, block.loc("name"), mutable=block.flag("mutable"),
                                               developer_only=block.flag("developer_only_attribute")))
        attributes = tuple(found)
    admin = res.first_block("admin_create_user_config")
    admin_only = admin.flag("allow_admin_create_user_only") if admin is not None else None
    if admin is not None and admin.has("allow_admin_create_user_only"):
        fields["user_pool.admin_create_user_only"] = admin.loc("allow_admin_create_user_only")
    clients: list[UserPoolClient] = []
    for entry in b.entries["aws_cognito_user_pool_client"]:
        client = entry.res
        if b.ref_of(client.get("user_pool_id"), "aws_cognito_user_pool") != res.address:
            continue
        writes = client.get("write_attributes")
        write_attributes: tuple[str | Unknown, ...] | Unknown | None
        if writes is None:
            write_attributes = None
        elif isinstance(writes, Unknown):
            write_attributes = writes
        else:
            write_attributes = tuple(_strings(writes))
        clients.append(UserPoolClient(client.address, client.location, write_attributes,
                                      client.loc("write_attributes") if writes is not None else None))
    return UserPoolSettings(password_policy=password is not None, minimum_length=minimum,
                            custom_attributes=attributes, admin_create_user_only=admin_only,
                            clients=tuple(clients))


def _identity_pool(b: _Builder, res: _Res, fields: dict[str, Location]) -> IdentityPoolSettings:
    """`allow_unauthenticated_identities`, and the `unauthenticated` role of the
    `aws_cognito_identity_pool_roles_attachment` naming this pool."""
    if res.has("allow_unauthenticated_identities"):
        fields["identity_pool.allow_unauthenticated"] = res.loc("allow_unauthenticated_identities")
    role: str | Unknown | None = None
    for entry in b.entries["aws_cognito_identity_pool_roles_attachment"]:
        attachment = entry.res
        if b.ref_of(attachment.get("identity_pool_id"), "aws_cognito_identity_pool") != res.address:
            continue
        roles = attachment.get("roles")
        if isinstance(roles, Unknown):
            role = roles
            fields["identity_pool.unauthenticated_role"] = attachment.loc("roles")
            continue
        if not isinstance(roles, Mapping) or "unauthenticated" not in roles:
            continue
        where = _key_loc(roles, "unauthenticated", attachment.loc("roles"))
        role = b.role_id(roles["unauthenticated"], where)
        fields["identity_pool.unauthenticated_role"] = where
    return IdentityPoolSettings(allow_unauthenticated=res.flag("allow_unauthenticated_identities"),
                                unauthenticated_role=role)


def _redrive(b: _Builder, value: Any, where: Location) -> Destination | Unknown | None:
    """A `redrive_policy` (jsonencode or a JSON string): its dead-letter queue, as the queue's address when it
    is one of this configuration. A policy known only after apply, or null, is Unknown / absent."""
    if value is None:
        return None
    parsed = _document_value(value, where)
    if isinstance(parsed, Unknown):
        return Unknown(f"redrive policy: {parsed.reason}", where)
    if not isinstance(parsed, dict):
        return Unknown("redrive policy is not a JSON object", where)
    target = parsed.get("deadLetterTargetArn")
    if target is None:
        return None
    if isinstance(target, Unknown):
        return Destination("redrive", target, where)
    address = b.ref_of(target, "aws_sqs_queue")
    return Destination("redrive", address or (target if isinstance(target, str) else Unknown(
        "dead-letter target is not a string", where)), where)


def _redrive_policies(b: _Builder) -> dict[str, Destination | Unknown]:
    """aws_sqs_queue_redrive_policy → the queue it configures (by reference or literal URL) → its redrive."""
    out: dict[str, Destination | Unknown] = {}
    for entry in b.entries["aws_sqs_queue_redrive_policy"]:
        res = entry.res
        target = _policy_target(b, res.get("queue_url"), "aws_sqs_queue")
        if target is None:
            continue
        redrive = _redrive(b, res.get("redrive_policy"), res.loc("redrive_policy"))
        if redrive is not None:
            out[target] = redrive
    return out


def _bucket(res: _Res, separate: Mapping[str, tuple[Any, Location]],
            fields: dict[str, Location]) -> BucketSettings:
    """The bucket's public-access settings: its own `acl` argument, or the separate resources that name it
    (those win, as they are what the provider applies last)."""
    acl: str | Unknown | None = res.text("acl")
    if res.has("acl"):
        fields["bucket.acl"] = res.loc("acl")
    block: PublicAccessBlock | None = None
    ownership: str | Unknown | None = None
    for key, (value, where) in separate.items():
        fields[f"bucket.{key}"] = where
        if key == "acl":
            acl = value
        elif key == "object_ownership":
            ownership = value
        elif key == "public_access_block":
            block = PublicAccessBlock(**{flag: (False if value.get(flag) is None else value[flag])
                                         for flag in _BLOCK_FLAGS})
    return BucketSettings(acl=acl, public_access_block=block, object_ownership=ownership)


def _ecr_settings(res: _Res, fields: dict[str, Location]) -> EcrRepositorySettings:
    """`image_scanning_configuration { scan_on_push }` and `image_tag_mutability`, located at the attributes that
    set them (a `dynamic` scanning block over an unknown collection leaves scan on push Unknown)."""
    blocks, unknown = res.blocks("image_scanning_configuration")
    scan: bool | Unknown | None = None
    if blocks:
        scan = blocks[0].flag("scan_on_push")
        fields["ecr.scan_on_push"] = blocks[0].loc("scan_on_push")
    elif unknown is not None:
        scan = unknown
        fields["ecr.scan_on_push"] = unknown.location or res.location
    if res.has("image_tag_mutability"):
        fields["ecr.tag_mutability"] = res.loc("image_tag_mutability")
    return EcrRepositorySettings(scan_on_push=scan, tag_mutability=res.text("image_tag_mutability"))


def _registry_scanning(res: _Res) -> RegistryScanning:
    """`aws_ecr_registry_scanning_configuration`: each `rule` with its frequency and `repository_filter`s."""
    rule_blocks, unknown_rules = res.blocks("rule")
    rules: list[RegistryScanRule] = []
    for rule in rule_blocks:
        filter_blocks, unknown_filters = rule.blocks("repository_filter")
        filters: list[str | Unknown] = []
        for item in filter_blocks:
            text = item.text("filter")
            kind = item.text("filter_type")
            if isinstance(kind, Unknown):
                filters.append(kind)
            elif text is None or (kind is not None and kind != "WILDCARD"):
                filters.append(Unknown(f"repository filter of type {kind}", item.location))
            else:
                filters.append(text)
        if unknown_filters is not None:
            filters.append(unknown_filters)
        rules.append(RegistryScanRule(rule.text("scan_frequency"), tuple(filters)))
    if unknown_rules is not None:
        rules.append(RegistryScanRule(unknown_rules, unknown_rules))
    return RegistryScanning(res.address, res.location, scan_type=res.text("scan_type"), rules=tuple(rules))


def _policy_target(b: _Builder, value: Any, target_type: str) -> str | None:
    """The bucket/queue/topic of this configuration a policy or setting names: by reference
    (`aws_s3_bucket.b.id`, `aws_sqs_queue.q.url`, `aws_sns_topic.t.arn`), or by a literal name, URL or ARN
    whose last segment is the name of exactly one of them. Anything else is not attached (never guessed)."""
    address = b.ref_of(value, target_type)
    if address is not None:
        return address if address in b.by_address else None
    if not isinstance(value, str) or not value.strip() or "${" in value.replace(ACCOUNT, "").replace(
            REGION, "").replace(PARTITION, ""):
        return None
    text = value.strip().rstrip("/")
    wanted = {text, re.split(r"[:/]", text)[-1]}
    name_attr = _CATEGORIES[target_type][1][0]
    hits = [e.res.address for e in b.entries[target_type]
            if isinstance(name := e.res.get(name_attr), str) and name in wanted]
    return hits[0] if len(hits) == 1 else None


def _resource_policies(b: _Builder) -> dict[str, list[PolicyDocument]]:
    """aws_s3_bucket_policy / aws_sqs_queue_policy / aws_sns_topic_policy → target address → documents, in
    source order; each statement keeps its own line and the policy resource's address as logical id."""
    out: dict[str, list[PolicyDocument]] = defaultdict(list)
    for rtype, (attr, target_type) in _POLICY_RESOURCES.items():
        for entry in b.entries[rtype]:
            res = entry.res
            target = _policy_target(b, res.get(attr), target_type)
            if target is None:
                if res.has(attr):
                    b.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: the {target_type} it names "
                                     "is not one of this configuration; its policy is not checked", res.loc(attr))
                continue
            if res.get("policy") is not None:
                out[target].append(_policy_attr(res, "policy"))
    return out


def _bucket_settings(b: _Builder) -> dict[str, dict[str, tuple[Any, Location]]]:
    """The S3 settings Terraform keeps in resources of their own, by bucket address, each with where it is
    written: `acl` (aws_s3_bucket_acl), `public_access_block` (aws_s3_bucket_public_access_block's flags; an
    account-wide aws_s3_account_public_access_block applies to every bucket, the stricter of the two wins) and
    `object_ownership` (aws_s3_bucket_ownership_controls). They become the bucket's `BucketSettings`."""
    out: dict[str, dict[str, tuple[Any, Location]]] = defaultdict(dict)
    account_block: tuple[dict[str, Any], Location] | None = None
    for entry in b.entries["aws_s3_account_public_access_block"]:
        account_block = (_block_flags(entry.res), entry.res.location)
    for entry in b.entries["aws_s3_bucket_public_access_block"]:
        target = _policy_target(b, entry.res.get("bucket"), "aws_s3_bucket")
        if target is not None:
            out[target]["public_access_block"] = (_block_flags(entry.res), entry.res.location)
    if account_block is not None:
        for entry in b.entries["aws_s3_bucket"]:
            own = out[entry.res.address].get("public_access_block")
            flags = account_block[0] if own is None else _stricter(own[0], account_block[0])
            out[entry.res.address]["public_access_block"] = (flags, (own or account_block)[1])
    for entry in b.entries["aws_s3_bucket_acl"]:
        res = entry.res
        target = _policy_target(b, res.get("bucket"), "aws_s3_bucket")
        if target is not None and res.has("acl"):
            out[target]["acl"] = (res.text("acl"), res.loc("acl"))
    for entry in b.entries["aws_s3_bucket_ownership_controls"]:
        res = entry.res
        target = _policy_target(b, res.get("bucket"), "aws_s3_bucket")
        rule = res.first_block("rule")
        if target is not None and rule is not None and rule.has("object_ownership"):
            out[target]["object_ownership"] = (rule.text("object_ownership"), rule.loc("object_ownership"))
    return {k: v for k, v in out.items() if v}


def _policy_attr(res: _Res, name: str) -> PolicyDocument:
    return policy_document(res.get(name), res.loc(name), _expr_first_line(res.block.body.attr(name)))


def _block_flags(res: _Res) -> dict[str, Any]:
    """The four Block Public Access flags as written (bool, Unknown, or absent = off, the API default)."""
    return {flag: res.flag(flag) for flag in _BLOCK_FLAGS if res.has(flag)}


def _stricter(own: Mapping[str, Any], account: Mapping[str, Any]) -> dict[str, Any]:
    """A bucket's and its account's Block Public Access together: S3 applies the most restrictive of the two,
    so a flag is on when either is on (an unknown flag may be on, and stays unknown unless the other is on)."""
    merged: dict[str, Any] = {}
    for flag in _BLOCK_FLAGS:
        values = [v for v in (own.get(flag), account.get(flag)) if v is not None and v is not False]
        if any(v is True for v in values):
            merged[flag] = True
        elif values:
            merged[flag] = values[0]
    return merged
