"""Data resources (buckets, queues, topics, tables, secrets...) and the resource policies attached to them."""

from __future__ import annotations

from typing import Any

from faasguard.loaders.cloudformation._core import (
    _RESOURCE_POLICY_TYPES,
    CATEGORIES,
    _as_bool,
    _as_str,
    _Builder,
    _item_loc,
    _key_loc,
)
from faasguard.loaders.cloudformation._iam import (
    _document,
)
from faasguard.model import (
    EcrRepositorySettings,
    Location,
    PolicyDocument,
    RegistryScanning,
    RegistryScanRule,
    Resource,
    Unknown,
)


def _resource_policy(b: _Builder, logical_id: str) -> None:
    """An S3 BucketPolicy / SQS QueuePolicy / SNS TopicPolicy: its document goes to every resource of this
    template it names (resources it names by an ARN or URL we cannot map stay unmodelled)."""
    kind = b.type_of(logical_id)
    key, target_type = _RESOURCE_POLICY_TYPES[kind]
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    document = _document(b, props.get("PolicyDocument"), _key_loc(props, "PolicyDocument", where))
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
    documents = b._resource_policies.get(logical_id, [])
    policy: PolicyDocument | None = None
    if documents:
        policy = PolicyDocument(tuple(s for d in documents for s in d.statements), documents[0].location,
                                next((d.unresolved for d in documents if d.unresolved is not None), None))
        field_locations["resource_policy"] = policy.location
    ecr = _ecr_settings(props, where, field_locations) if kind == "AWS::ECR::Repository" else None
    b.data_resources.append(Resource(
        id=logical_id, location=where, field_locations=field_locations,
        type=kind, category=CATEGORIES[kind], name=name, arn=arn, properties=props, resource_policy=policy,
        ecr=ecr))


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
