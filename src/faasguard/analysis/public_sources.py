"""Who may write to a bucket, queue or topic: RULES.md "Public trigger", second half.

The judgement is shared by the rules (FG311 reports the open source; FG403, FG405 and every rule that reads
`rules._common.public_reasons` treat the functions it fires as public) and by the attack graph (an entry through
an open source is reachable by anyone), so it lives below both. It reads only the model: the resource's
`resource_policy` and, for a bucket, its typed `bucket` settings (canned ACL, Block Public Access, ownership).
Anything unresolved (a principal, an action, a condition, a Block Public Access flag) is never read as public.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from faasguard.model import (
    Application,
    BucketSettings,
    Function,
    Location,
    Resource,
    ResourceCategory,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
)


def _known(values: Iterable[str | Unknown]) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def _action_matches(pattern: str, action: str) -> bool:
    from faasguard.analysis.iam.catalog import matches

    return matches(pattern, action)


def open_source_reason(app: Application, trigger: Trigger) -> str | None:
    """Why the bucket/queue/topic that fires `trigger` is writable by anyone (RULES.md "Public trigger", second
    half), e.g. "bucket ReceiptsBucket, which lets anyone write objects (ReceiptsBucketPolicy line 42)"; None
    when it is not, or when we cannot tell (an unresolved principal, action or condition is never read as
    public, and a source outside the application has no policy we can see)."""
    return _SourceIndex.of(app).open_source_reason(trigger)


def trigger_source(app: Application, trigger: Trigger) -> Resource | None:
    """The bucket/queue/topic of this application that fires an S3/SQS/SNS trigger (by id, name or ARN)."""
    return _SourceIndex.of(app).source_of(trigger)


# What anyone must be able to do to a source for it to fire the function, by source kind.
_SOURCE_WRITES: dict[TriggerKind, tuple[ResourceCategory, str, str, str]] = {
    TriggerKind.S3: (ResourceCategory.BUCKET, "s3:PutObject", "bucket", "write objects"),
    TriggerKind.SQS: (ResourceCategory.QUEUE, "sqs:SendMessage", "queue", "send messages"),
    TriggerKind.SNS: (ResourceCategory.TOPIC, "sns:Publish", "topic", "publish"),
}

# Condition keys that narrow *who* may make the request (an account, organisation, network, source resource
# or AWS service). A public statement conditioned on one of them is not public.
_RESTRICTING_KEYS = frozenset({
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpce", "aws:sourcevpc", "aws:sourceip",
    "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgid", "aws:principalorgpaths",
    "aws:principalaccount", "aws:principalarn", "aws:principalisawsservice", "aws:principalservicename",
    "aws:principalservicenameslist", "aws:principaltype", "aws:userid", "aws:username", "aws:vpcsourceip",
})
# Condition keys that say something about the request but not about who sends it (transport, encryption,
# ACL, time, headers the caller chooses). Any key in neither set is read as restricting: we cannot tell.
_NEUTRAL_KEYS = frozenset({
    "aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:requestedregion", "aws:referer",
    "aws:useragent", "aws:tagkeys", "s3:x-amz-acl", "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-storage-class", "s3:x-amz-content-sha256",
    "s3:signatureversion", "s3:signatureage", "s3:authtype", "s3:tlsversion", "s3:object-lock-mode",
    "sns:protocol", "sns:endpoint",
})
_NEUTRAL_PREFIXES = ("aws:requesttag/", "s3:requestobjecttag", "s3:x-amz-grant-")
_ANY_NETWORK = frozenset({"0.0.0.0/0", "::/0"})


class _SourceIndex:
    """The application's buckets, queues and topics, found by id, name or ARN (a trigger's `source` may be
    any of them, or an ARN/URL whose last segment is the name)."""

    @classmethod
    def of(cls, app: Application) -> _SourceIndex:
        """The application's index, built once: rules and the attack graph ask once per trigger, and an index
        built per question made a 1,000-function app quadratic (4,000 indexes of every resource, ~30 s)."""
        return app.derived("event-sources", cls)

    def __init__(self, app: Application) -> None:
        self._by_key: dict[tuple[ResourceCategory, str], Resource] = {}
        self.sources: list[Resource] = []
        """The application's buckets, queues and topics, in model order."""
        for resource in app.resources:
            if resource.category not in (ResourceCategory.BUCKET, ResourceCategory.QUEUE, ResourceCategory.TOPIC):
                continue
            self.sources.append(resource)
            for key in (resource.id, resource.name, resource.arn):
                if isinstance(key, str) and key:
                    self._by_key.setdefault((resource.category, key), resource)

    def source_of(self, trigger: Trigger) -> Resource | None:
        spec = _SOURCE_WRITES.get(trigger.kind)
        if spec is None or not isinstance(trigger.source, str) or not trigger.source:
            return None
        category, source = spec[0], trigger.source.strip()
        found = self._by_key.get((category, source))
        if found is None and ("/" in source or ":" in source):
            # arn:aws:sqs:region:account:name, arn:aws:s3:::name, https://sqs.region.amazonaws.com/account/name
            found = self._by_key.get((category, re.split(r"[:/]", source.rstrip("/"))[-1]))
        return found

    def open_source_reason(self, trigger: Trigger) -> str | None:
        resource = self.source_of(trigger)
        if resource is None:
            return None
        _, action, noun, verb = _SOURCE_WRITES[trigger.kind]
        why = _open_write(resource, action)
        if why is None:
            return None
        return f"{noun} {resource.id}, which lets anyone {verb} ({why})"


def _open_write(resource: Resource, action: str) -> str | None:
    """Where `resource` lets anyone perform `action`: "<policy id> line N" or the ACL line; None otherwise."""
    found = _open_write_at(resource, action)
    return found[0] if found is not None else None


def open_write(resource: Resource, kind: TriggerKind) -> tuple[str, Location] | None:
    """Whether anyone may write to the bucket/queue/topic `resource` (what fires an S3/SQS/SNS trigger of
    `kind`): the statement or ACL that allows it, described ("ReceiptsBucketPolicy line 42") and located;
    None when it is not public or we cannot tell (same judgement as `open_source_reason`)."""
    spec = _SOURCE_WRITES.get(kind)
    if spec is None or resource.category is not spec[0]:
        return None
    return _open_write_at(resource, spec[1])


def _open_write_at(resource: Resource, action: str) -> tuple[str, Location] | None:
    is_bucket = resource.category is ResourceCategory.BUCKET
    settings = resource.bucket if is_bucket else None
    if settings is not None and _public_write_acl(settings):
        where = resource.loc("bucket.acl")
        return f"canned ACL {settings.acl}, line {where.line}", where
    policy = resource.resource_policy
    if policy is None:
        return None
    if settings is not None and (_blocks(settings, "block_public_policy")
                                 or _blocks(settings, "restrict_public_buckets")):
        return None  # Block Public Access refuses (or ignores) a public bucket policy
    denied = any(_denies_public(stmt, action, is_bucket) for stmt in policy.statements)
    if denied:
        return None
    for stmt in policy.statements:
        if _allows_public(stmt, action, is_bucket):
            where = stmt.location
            return f"{where.logical_id or 'policy'} line {where.line}", where
    return None


def _blocks(settings: BucketSettings, flag: str) -> bool:
    """Is a Block Public Access flag on? A flag absent from a written configuration is false (the API's
    default); an unresolved configuration or flag may block, so it counts as on. An absent configuration
    blocks nothing here: S3 has turned Block Public Access (and bucket-owner-enforced ownership) on for new
    buckets since April 2023, so such a template only deploys where the account turned it off, but a
    template that writes a public policy or ACL states that intent, and that intent is the finding."""
    block = settings.public_access_block
    if block is None:
        return False
    if isinstance(block, Unknown):
        return True
    value: bool | Unknown = getattr(block, flag)
    return value is not False


def _public_write_acl(settings: BucketSettings) -> bool:
    """A legacy public-read-write canned ACL (`AccessControl: PublicReadWrite`, Terraform
    `acl = "public-read-write"`), unless Block Public Access or bucket-owner-enforced ownership (ACLs
    disabled) makes it void."""
    if settings.acl != "public-read-write":
        return False
    if _blocks(settings, "block_public_acls") or _blocks(settings, "ignore_public_acls"):
        return False
    return settings.object_ownership != "BucketOwnerEnforced"


def _anyone(principals: Mapping[str, tuple[str | Unknown, ...]] | None) -> bool:
    if not principals:
        return False
    return any(kind in ("*", "AWS") and any(v == "*" for v in values if isinstance(v, str))
               for kind, values in principals.items())


def _covers(stmt: Statement, action: str, is_bucket: bool) -> bool:
    """The statement applies to `action` (on objects, for a bucket)."""
    if stmt.not_actions is not None:
        if any(isinstance(a, Unknown) for a in stmt.not_actions) or \
                any(_action_matches(a, action) for a in _known(stmt.not_actions)):
            return False
    elif not any(_action_matches(a, action) for a in _known(stmt.actions)):
        return False
    if not is_bucket:
        return True
    if stmt.not_resources is not None:
        return False  # rare in bucket policies; not worth guessing which objects it leaves
    # s3:PutObject applies to object ARNs (`bucket/*`, `bucket/prefix/*`), never to the bucket ARN itself.
    return any(r.strip() == "*" or "/" in r for r in _known(stmt.resources))


def _allows_public(stmt: Statement, action: str, is_bucket: bool) -> bool:
    if not stmt.is_allow or not _anyone(stmt.principals) or not _covers(stmt, action, is_bucket):
        return False
    return not any(_restricts(operator, key, values)
                   for operator, keys in stmt.conditions.items() for key, values in keys.items())


def _denies_public(stmt: Statement, action: str, is_bucket: bool) -> bool:
    """A Deny for everyone that leaves the action only to a restricted caller (or to no one)."""
    if stmt.is_allow or not isinstance(stmt.effect, str) or not _anyone(stmt.principals):
        return False
    if not _covers(stmt, action, is_bucket):
        return False
    # "Deny unless aws:SourceVpce is X" is written with a negated operator on a restricting key.
    return all(_negated(operator) and key.lower() in _RESTRICTING_KEYS
               for operator, keys in stmt.conditions.items() for key in keys)


def _base_operator(operator: str) -> str:
    op = operator.lower()
    for prefix in ("foranyvalue:", "forallvalues:"):
        if op.startswith(prefix):
            op = op[len(prefix):]
    return op


def _negated(operator: str) -> bool:
    op = _base_operator(operator)
    return "not" in op and not op.startswith("null")


def _restricts(operator: str, key: str, values: tuple[str | Unknown, ...]) -> bool:
    """Does this condition on an Allow narrow who may call? Unreadable conditions count as restricting."""
    name = key.lower()
    if name in _NEUTRAL_KEYS or name.startswith(_NEUTRAL_PREFIXES):
        return False
    if name not in _RESTRICTING_KEYS:
        return True  # a key we do not know: we cannot tell, so never call the statement public
    op = _base_operator(operator)
    if any(isinstance(v, Unknown) for v in values):
        return True
    texts = [v.strip() for v in values if isinstance(v, str)]
    if op.endswith("ifexists") or _negated(op):
        return False  # passes whenever the key is absent / for everyone but the named value
    if op == "null":
        return not all(t.lower() == "true" for t in texts)
    if name in ("aws:sourceip", "aws:vpcsourceip"):
        return not all(t in _ANY_NETWORK for t in texts)
    return not all(t == "*" for t in texts)


# --------------------------------------------------------------------------- who writes to a source

# A `${...}` left in a literal that is not a pseudo parameter (`${AWS::Region}` in a queue URL is harmless).
_UNRESOLVED = re.compile(r"\$\{(?!AWS::)[^}]*\}")


def _last(text: str) -> str:
    return text.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]


def names_resource(target: Resource | Function | str | Unknown, resource: Resource) -> bool:
    """Is a resolved call target or destination (`least_privilege.call_target`) this resource? A literal
    matches its deployed name or ARN (or a queue URL / ARN ending in its name), never its logical id, which is
    not a name AWS knows."""
    if isinstance(target, Resource):
        return target.id == resource.id
    if not isinstance(target, str) or not target.strip():
        return False
    text = target.strip()
    if isinstance(resource.arn, str) and text == resource.arn:
        return True
    symbols = _UNRESOLVED.findall(text)
    if symbols:
        # The Terraform loader spells a URL or ARN built from a queue as `https://sqs.../${aws_sqs_queue.q.name}`:
        # the resource is the one whose attribute ends the text, and nothing else is unresolved.
        return len(symbols) == 1 and text.endswith(symbols[0]) and \
            re.fullmatch(r"\$\{" + re.escape(resource.id) + r"\.[a-z_]+\}", symbols[0]) is not None
    return isinstance(resource.name, str) and bool(resource.name) and resource.name in (text, _last(text))


# What writing into each kind of source is, as the IAM action of the writing call (so `send_message_batch`,
# `upload_fileobj`, `copy_object` and resource-style calls count as what they are).
WRITE_ACTIONS: Mapping[TriggerKind, str] = {
    TriggerKind.S3: "s3:PutObject", TriggerKind.SQS: "sqs:SendMessage", TriggerKind.SNS: "sns:Publish"}
_TARGET_PARAMS = {"s3": ("Bucket",), "sqs": ("QueueUrl", "QueueName"), "sns": ("TopicArn", "TargetArn")}


def code_writes(app: Application, fn: Function, calls: Iterable[object]) -> list[tuple[Resource, Location]]:
    """The buckets, queues and topics of `app` that `fn`'s handler calls write to, each with the call's
    location: targets resolved from configuration (an environment variable bound to the resource, a reference,
    its name); a target we cannot resolve is left out, never guessed."""
    from faasguard.analysis.code.facts import AwsCall
    from faasguard.analysis.iam.boto_map import actions_for
    from faasguard.analysis.iam.least_privilege import call_target

    out: list[tuple[Resource, Location]] = []
    for call in calls:
        if not isinstance(call, AwsCall) or call.service not in _TARGET_PARAMS:
            continue
        actions = set(actions_for(call.service, call.method, call.operation) or ())
        if not actions & set(WRITE_ACTIONS.values()):
            continue
        param = next((p for p in _TARGET_PARAMS[call.service] if p in call.arguments), None)
        if param is None:
            continue
        target = call_target(call.arguments[param], fn, app)
        for resource in _SourceIndex.of(app).sources:
            if names_resource(target, resource) and all(r.id != resource.id for r, _ in out):
                out.append((resource, call.location))
    return out
