"""Helpers the configuration rules share: who uses a role, which functions are publicly reachable, what a
wildcard resource is, whose account an ARN names.

They are here (not in the model) because they encode *judgements* the rule catalog pins down in its
"Definitions that pin the rules" section, and those judgements must be the same in every rule that uses them:
a function that FG403 calls "publicly triggered" must be the one FG101 raises severity for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from faasguard._record import record
from faasguard.analysis.public_sources import _anyone, _covers, _denies_public, _restricts, _SourceIndex
from faasguard.config import Config
from faasguard.model import (
    Application,
    AuthType,
    Function,
    Location,
    Policy,
    PolicyDocument,
    PolicyKind,
    Role,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
)

# ------------------------------------------------------------------------------------------- roles


@record
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


@record
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


@functools.lru_cache(maxsize=65536)
def is_wildcard_resource(resource: str) -> bool:
    """RULES.md "Wildcard resource": `*`, or an ARN whose resource part is a bare wildcard for the whole
    service or account (`arn:aws:s3:::*`, `arn:aws:dynamodb:*:*:table/*`, `arn:aws:logs:*:*:*`). Memoised (a
    pure function of a string): the rules ask it of every resource of every statement of every role.

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


_T = TypeVar("_T")


def per_application(compute: Callable[[Application], _T]) -> Callable[[Application], _T]:
    """Memoise a pure function of an application on the application object's identity (the last few
    applications), for what several rules derive from the same application: every rule of a family asks once
    per application. The result is shared: return immutable values."""
    cached = functools.lru_cache(maxsize=8)(lambda key: compute(key.app))

    @functools.wraps(compute)
    def wrapper(app: Application) -> _T:
        result: _T = cached(_SameApp(app))
        return result

    return wrapper


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
    sources = _SourceIndex.of(app)
    for trigger in app.triggers:
        if not isinstance(trigger.function, str) or trigger.function in reasons:
            continue
        why = sources.open_source_reason(trigger)
        if why is not None:
            reasons[trigger.function] = f"{describe_trigger(trigger)} from {why}"
    return MappingProxyType(reasons)



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


def is_instance(node_id: str) -> bool:
    """A Terraform `count` / `for_each` instance, or a node of one module instance (`aws_lambda_function.fn["a"]`,
    `aws_sqs_queue.q[0]`, `module.fn["a"].aws_lambda_function.this`): no other id holds a `[`."""
    return "[" in node_id


def group_by_location(items: Iterable[tuple[Location, str]]) -> list[tuple[Location, list[str]]]:
    """Owners grouped by the exact location of the offending value, in first-seen order.

    A SAM `Globals` value (Runtime, Timeout, an environment variable) is one node that every function
    inherits: DESIGN.md's "one finding per rule per offending node" makes it one finding naming every
    function, not one per function on the same line. The instances of a Terraform `count` / `for_each`
    resource are not merged: they share the attribute's line (`runtime = each.value.runtime`) but each is a
    resource of its own, often with its own map entry's value, reported per instance as Terraform names it."""
    groups: dict[tuple[str, int, int, str], tuple[Location, list[str]]] = {}
    for loc, owner in items:
        key = (loc.path, loc.line, loc.column, owner if is_instance(owner) else "")
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
