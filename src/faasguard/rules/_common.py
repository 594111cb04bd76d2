"""Helpers the configuration rules share: who uses a role, which functions are publicly reachable, what a
wildcard resource is, whose account an ARN names.

They are here (not in the model) because they encode *judgements* the rule catalog pins down in its
"Definitions that pin the rules" section, and those judgements must be the same in every rule that uses them:
a function that FG403 calls "publicly triggered" must be the one FG101 raises severity for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from faasguard.config import Config
from faasguard.model import (
    Application,
    AuthType,
    BucketSettings,
    Function,
    Location,
    Policy,
    PolicyDocument,
    PolicyKind,
    Resource,
    ResourceCategory,
    Role,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
)

# ------------------------------------------------------------------------------------------- roles


@dataclass(frozen=True, slots=True)
class RoleUse:
    """A role together with what uses it, and the node a role-level finding should name."""

    role: Role
    functions: tuple[str, ...]
    """Ids of functions whose execution role this is."""
    tasks: tuple[str, ...]
    """Ids of container tasks (ECS task role) that use it."""

    @property
    def resource(self) -> str:
        """The node to change: the role, or the function itself when the platform generates the role for
        it (SAM `Policies`), because that is where the user edits the permissions."""
        if self.role.implicit and len(self.functions) == 1:
            return self.functions[0]
        return self.role.id

    @property
    def function(self) -> tuple[str, ...] | None:
        return self.functions or None


def role_uses(app: Application) -> Iterator[RoleUse]:
    """Every role of the application with the functions and tasks that hold it (unused roles included)."""
    by_role: dict[str, list[str]] = {}
    for fn in app.functions:
        if isinstance(fn.role, str):
            by_role.setdefault(fn.role, []).append(fn.id)
    tasks: dict[str, list[str]] = {}
    for container in app.containers:
        if isinstance(container.task_role, str):
            task = container.task or container.id
            users = tasks.setdefault(container.task_role, [])
            if task not in users:
                users.append(task)
    for role in app.roles:
        yield RoleUse(role, tuple(by_role.get(role.id, ())), tuple(tasks.get(role.id, ())))


def editable_policies(role: Role) -> Iterator[Policy]:
    """Policies whose statements the user writes (inline, customer-managed, SAM templates).

    AWS managed policies are not the user's to edit: what they grant is judged as a whole by FG103, and the
    execution policies SAM attaches (AWSLambdaBasicExecutionRole, AWSLambdaVPCAccessExecutionRole) are the
    platform's own and never a finding."""
    for policy in role.policies:
        if policy.kind in (PolicyKind.AWS_MANAGED, PolicyKind.EXTERNAL) or policy.document is None:
            continue
        yield policy


def allow_statements(policy: Policy) -> Iterator[Statement]:
    if policy.document is None:
        return
    for stmt in policy.document.statements:
        if stmt.is_allow:
            yield stmt


def known_strings(values: Iterable[str | Unknown]) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def statement_dict(stmt: Statement) -> dict[str, Any]:
    """The statement as written, for a finding's `statement` field (Unknown values shown as text)."""

    def plain(values: Iterable[str | Unknown]) -> list[str]:
        return [v if isinstance(v, str) else str(v) for v in values]

    out: dict[str, Any] = {"Effect": stmt.effect if isinstance(stmt.effect, str) else str(stmt.effect)}
    if stmt.sid:
        out["Sid"] = stmt.sid
    if stmt.principals is not None:
        out["Principal"] = {k: plain(v) for k, v in stmt.principals.items()}
    if stmt.actions:
        out["Action"] = plain(stmt.actions)
    if stmt.not_actions is not None:
        out["NotAction"] = plain(stmt.not_actions)
    if stmt.resources:
        out["Resource"] = plain(stmt.resources)
    if stmt.not_resources is not None:
        out["NotResource"] = plain(stmt.not_resources)
    if stmt.conditions:
        out["Condition"] = {op: {k: plain(v) for k, v in keys.items()} for op, keys in stmt.conditions.items()}
    return out


def condition_keys(stmt: Statement) -> set[str]:
    """Condition keys of a statement, lower-cased (IAM condition keys are case-insensitive)."""
    return {key.lower() for keys in stmt.conditions.values() for key in keys}


def action_matches(pattern: str, action: str) -> bool:
    from faasguard.analysis.iam.catalog import matches

    return matches(pattern, action)


# ------------------------------------------------------------------------------------- resources

_SYMBOL = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str) -> Arn | None:
    """Split an ARN into its fields. Deploy-time symbols such as `${AWS::AccountId}` contain colons, so they
    are protected before splitting and restored after."""
    symbols: list[str] = []

    def protect(m: re.Match[str]) -> str:
        symbols.append(m.group(0))
        return f"\x00{len(symbols) - 1}\x00"

    parts = _SYMBOL.sub(protect, text.strip()).split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    restored = [re.sub(r"\x00(\d+)\x00", lambda m: symbols[int(m.group(1))], p) for p in parts[1:]]
    return Arn(*restored)
_TYPE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9-]*[/:]")
_ONLY_WILDCARDS = re.compile(r"^[*?/:]+$")


def is_wildcard_resource(resource: str) -> bool:
    """RULES.md "Wildcard resource": `*`, or an ARN whose resource part is a bare wildcard for the whole
    service or account (`arn:aws:s3:::*`, `arn:aws:dynamodb:*:*:table/*`, `arn:aws:logs:*:*:*`).

    `arn:aws:s3:::my-bucket/*` and `arn:aws:logs:...:log-group:X:*` are scoped: the wildcard only covers the
    objects or streams *under* a named resource. S3 ARNs carry no resource-type prefix (the bucket name comes
    first), so for S3 a leading `name/` is a bucket, never a type."""
    text = resource.strip()
    if text in ("*", "arn:*", "arn:aws:*"):
        return True
    arn = parse_arn(text)
    if arn is None:
        return False
    part = arn.resource
    if arn.service != "s3":
        part = _TYPE_PREFIX.sub("", part, count=1)
    return bool(_ONLY_WILDCARDS.match(part))


def arn_account(value: str) -> str | None:
    """The account an ARN or bare principal names: `123456789012`, `arn:aws:iam::123456789012:root`,
    `arn:aws:iam::${AWS::AccountId}:role/x` (returned as written, so callers can see it is symbolic)."""
    text = value.strip()
    if re.fullmatch(r"\d{12}", text):
        return text
    arn = parse_arn(text)
    return (arn.account or None) if arn else None


def is_own_account(account: str, app: Application, config: Config) -> bool:
    """The template's own account (`${AWS::AccountId}`, the audited account) or one the config lists."""
    if "AWS::AccountId" in account or account in config.accounts:
        return True
    return isinstance(app.account_id, str) and account == app.account_id


def foreign_account(value: str, app: Application, config: Config) -> str | None:
    """RULES.md "Foreign account": the account id a principal names when it is neither the app's own nor
    listed in the config; None otherwise (including when the account cannot be read)."""
    account = arn_account(value)
    if account is None or not re.fullmatch(r"\d{12}", account):
        return None
    return None if is_own_account(account, app, config) else account


# ----------------------------------------------------------------------------------------- exposure


def unauthenticated_http(trigger: Trigger) -> bool:
    """An HTTP trigger reachable from the internet with no authorizer and no API key (RULES.md "Public
    trigger"). An UNKNOWN auth type is not public: we cannot tell, and never guess."""
    if not trigger.kind.is_http or trigger.private or trigger.auth is None:
        return False
    return trigger.auth.type is AuthType.NONE and not trigger.auth.api_key_required


class _SameApp:
    """Cache key by identity: an Application's own hash would walk every node (and its mappings are
    unhashable); one scan asks about the same object hundreds of times."""

    __slots__ = ("app",)

    def __init__(self, app: Application) -> None:
        self.app = app

    def __hash__(self) -> int:
        return id(self.app)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SameApp) and other.app is self.app


def public_reasons(app: Application) -> Mapping[str, str]:
    """Function id → why it is publicly triggered (the first reason found), for every public function.

    HTTP triggers and open invoke permissions are looked at first, so a function that is public both ways
    keeps the HTTP reason; then event sources (bucket/queue/topic) anyone can write to. Memoised per
    application object (rules of every family ask); the result is read-only."""
    return _public_reasons(_SameApp(app))


@functools.lru_cache(maxsize=8)
def _public_reasons(key: _SameApp) -> Mapping[str, str]:
    app = key.app
    reasons: dict[str, str] = {}
    for trigger in app.triggers:
        if not isinstance(trigger.function, str) or trigger.function in reasons:
            continue
        if unauthenticated_http(trigger):
            reasons[trigger.function] = describe_trigger(trigger) + " with no authorization"
    for perm in app.permissions:
        if not isinstance(perm.function, str) or perm.function in reasons:
            continue
        if perm.principal == "*" and perm.source_arn is None and perm.source_account is None \
                and perm.principal_org_id is None:
            if isinstance(perm.action, str) and perm.action.lower() == "lambda:invokefunctionurl" \
                    and perm.function_url_auth_type != "NONE":
                continue
            reasons[perm.function] = f"invoke permission {perm.id} open to any principal"
    sources = _SourceIndex(app)
    for trigger in app.triggers:
        if not isinstance(trigger.function, str) or trigger.function in reasons:
            continue
        why = sources.open_source_reason(trigger)
        if why is not None:
            reasons[trigger.function] = f"{describe_trigger(trigger)} from {why}"
    return MappingProxyType(reasons)


def open_source_reason(app: Application, trigger: Trigger) -> str | None:
    """Why the bucket/queue/topic that fires `trigger` is writable by anyone (RULES.md "Public trigger", second
    half), e.g. "bucket ReceiptsBucket, which lets anyone write objects (ReceiptsBucketPolicy line 42)"; None
    when it is not, or when we cannot tell (an unresolved principal, action or condition is never read as
    public, and a source outside the application has no policy we can see)."""
    return _SourceIndex(app).open_source_reason(trigger)


def trigger_source(app: Application, trigger: Trigger) -> Resource | None:
    """The bucket/queue/topic of this application that fires an S3/SQS/SNS trigger (by id, name or ARN)."""
    return _SourceIndex(app).source_of(trigger)


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

    def __init__(self, app: Application) -> None:
        self._by_key: dict[tuple[ResourceCategory, str], Resource] = {}
        for resource in app.resources:
            if resource.category not in (ResourceCategory.BUCKET, ResourceCategory.QUEUE, ResourceCategory.TOPIC):
                continue
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
    settings = resource.bucket
    is_bucket = resource.category is ResourceCategory.BUCKET
    if settings is not None and _public_write_acl(settings):
        return f"canned ACL {settings.acl}, line {resource.loc('bucket.acl').line}"
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
            return f"{where.logical_id or 'policy'} line {where.line}"
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
                any(action_matches(a, action) for a in known_strings(stmt.not_actions)):
            return False
    elif not any(action_matches(a, action) for a in known_strings(stmt.actions)):
        return False
    if not is_bucket:
        return True
    if stmt.not_resources is not None:
        return False  # rare in bucket policies; not worth guessing which objects it leaves
    # s3:PutObject applies to object ARNs (`bucket/*`, `bucket/prefix/*`), never to the bucket ARN itself.
    return any(r.strip() == "*" or "/" in r for r in known_strings(stmt.resources))


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


def describe_trigger(trigger: Trigger) -> str:
    if trigger.kind is TriggerKind.FUNCTION_URL:
        return "function URL"
    if trigger.kind is TriggerKind.HTTP_FUNCTION:
        return "Cloud Functions HTTPS trigger"
    if trigger.kind in (TriggerKind.REST_API, TriggerKind.HTTP_API):
        kind = "REST API" if trigger.kind is TriggerKind.REST_API else "HTTP API"
        route = " ".join(p for p in ((trigger.method or "").upper(), trigger.path or "") if p)
        return f"{kind} route {route}".rstrip() if route else f"{kind} route {trigger.id}"
    if trigger.kind is TriggerKind.ALB:
        return "load balancer target"
    return f"{trigger.kind.value} trigger {trigger.id}"


def functions_by_id(app: Application) -> Mapping[str, Function]:
    return {fn.id: fn for fn in app.functions}


def join_names(names: Iterable[str], limit: int = 6) -> str:
    items = list(names)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def group_by_location(items: Iterable[tuple[Location, str]]) -> list[tuple[Location, list[str]]]:
    """Owners grouped by the exact location of the offending value, in first-seen order.

    A SAM `Globals` value (Runtime, Timeout, an environment variable) is one node that every function
    inherits: DESIGN.md's "one finding per rule per offending node" makes it one finding naming every
    function, not one per function on the same line."""
    groups: dict[tuple[str, int, int], tuple[Location, list[str]]] = {}
    for loc, owner in items:
        key = (loc.path, loc.line, loc.column)
        if key not in groups:
            groups[key] = (loc, [])
        if owner not in groups[key][1]:
            groups[key][1].append(owner)
    return list(groups.values())


# ------------------------------------------------------------------------------ resource policies


def statement_covers(stmt: Statement, action: str) -> bool:
    """The statement applies to `action` (its `Action` matches, or its `NotAction` leaves it in)."""
    return _covers(stmt, action, is_bucket=False)


def open_to_anyone(stmt: Statement) -> bool:
    """An Allow for any principal (`*`, `AWS: "*"`) with no condition narrowing who may call: the same test
    the public-source check applies, so FG210/FG313 and "Public trigger" agree on what "anyone" means. An
    unresolved principal or condition is never read as public."""
    if not stmt.is_allow or not _anyone(stmt.principals):
        return False
    return not any(_restricts(operator, key, values)
                   for operator, keys in stmt.conditions.items() for key, values in keys.items())


def denied_to_public(policy: PolicyDocument, action: str) -> bool:
    """A Deny for everyone in the same policy leaves `action` only to a restricted caller (the "Allow `*`,
    Deny unless `aws:SourceVpce`/`aws:SourceIp`" pattern)."""
    return any(_denies_public(stmt, action, is_bucket=False) for stmt in policy.statements)
