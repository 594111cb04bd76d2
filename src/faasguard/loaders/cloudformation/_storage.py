"""Data resources (buckets, queues, topics, tables, secrets...) and the resource policies attached to them."""

from __future__ import annotations

from faasguard.loaders.cloudformation._core import (
    _RESOURCE_POLICY_TYPES,
    CATEGORIES,
    _Builder,
    _key_loc,
)
from faasguard.loaders.cloudformation._iam import (
    _document,
)
from faasguard.model import (
    PolicyDocument,
    Resource,
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
    b.data_resources.append(Resource(
        id=logical_id, location=where, field_locations=field_locations,
        type=kind, category=CATEGORIES[kind], name=name, arn=arn, properties=props, resource_policy=policy))
