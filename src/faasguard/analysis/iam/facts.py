"""What IAM evaluation learned about the roles of one application: the interface the IAM rules read.

`IamFacts.roles` maps every role id to a `RoleAccess`: the role's statements compiled (inline, customer
managed, SAM policy templates and bundled AWS managed documents), its explicit denies, its permission
boundary, and what could not be seen. `RoleAccess.allows(action, resource)` answers the question rules ask
("can this role read any secret?") the way IAM would: explicit Deny wins, a boundary must allow too, and a
grant with a Condition is *kept* but marked conditional (we cannot know the request context), never silently
dropped and never silently honoured.

`IamFacts.needs` maps a function id to what its code and configuration need (`FunctionNeeds`), when the code
analysis saw its handler; least-privilege generation and FG107/FG108 read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from faasguard._record import record
from faasguard.model import Location, Policy, PolicyKind, Role, Statement, Unknown

# AWS managed policies SAM (and the Lambda console) attach for the platform's own needs: never a finding.
EXECUTION_POLICIES = frozenset({
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSXRayDaemonWriteAccess",
    "AWSXrayWriteOnlyAccess",
    "CloudWatchLambdaInsightsExecutionRolePolicy",
    "AWSLambdaENIManagementAccess",
})


def policy_short_name(policy: Policy) -> str:
    """`AWSLambdaBasicExecutionRole` for `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`."""
    arn = policy.arn if isinstance(policy.arn, str) else policy.name
    return arn.rsplit("/", 1)[-1]


def is_execution_policy(policy: Policy) -> bool:
    return policy.kind is PolicyKind.AWS_MANAGED and policy_short_name(policy) in EXECUTION_POLICIES


# ------------------------------------------------------------------------------------- matching

@lru_cache(maxsize=8192)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@lru_cache(maxsize=65536)
def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: wildcards, case-insensitive. A pure function of two strings, memoised: the rules
    and the escalation checks ask the same (pattern, action) pairs for every role of every application."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern and pattern.isascii() and action.isascii():
        return pattern.lower() == action.lower()  # what the compiled literal would say, without compiling it
    return _glob(pattern, True).fullmatch(action) is not None


@lru_cache(maxsize=16384)
def _any_action_matches(patterns: tuple[str, ...], action: str) -> bool:
    """Does any of `patterns` match `action`? Memoised on the whole tuple: statements repeat across roles (a
    SAM policy template expands to the same action list for every function that uses it)."""
    return any(action_matches(p, action) for p in patterns)


@lru_cache(maxsize=65536)
def resource_matches(pattern: str, resource: str) -> bool:
    """IAM resource matching: `*`/`?` wildcards, case-sensitive, segment-aware for the ARN's first five parts.

    Symbolic parts (`${Orders.Arn}`, `${AWS::Region}`) are matched as literal text: a pattern `*` matches them,
    `table/*` matches `table/${Orders}`, and a symbolic pattern matches the same symbolic value.
    """
    if pattern in ("*", resource):
        return True
    pattern = _PSEUDO_RX.sub(_pseudo_token, pattern.replace(_PARTITION, "aws"))
    resource = _PSEUDO_RX.sub(_pseudo_token, resource.replace(_PARTITION, "aws"))
    if pattern.startswith("arn:") and resource.startswith("arn:"):
        p_parts = pattern.split(":", 5)
        r_parts = resource.split(":", 5)
        if len(p_parts) == 6 and len(r_parts) == 6:
            return all(_segment_matches(p, r, i) for i, (p, r) in enumerate(zip(p_parts, r_parts, strict=True)))
    return _case_sensitive_match(pattern, resource)


_PARTITION = "${AWS::Partition}"
_PSEUDO_RX = re.compile(r"\$\{AWS::(\w+)\}")
_PSEUDO = frozenset({"\x00Region", "\x00AccountId"})


def _pseudo_token(m: re.Match[str]) -> str:
    """`${AWS::Region}` holds colons: replace pseudo-parameters before splitting an ARN into segments."""
    return "\x00" + m.group(1)


def _segment_matches(pattern: str, value: str, index: int) -> bool:
    # Region and account of the deploying stack: a symbolic value matches a concrete one and vice versa.
    if index in (3, 4) and (pattern in _PSEUDO or value in _PSEUDO) and pattern and value:
        return True
    return _case_sensitive_match(pattern, value)


def _case_sensitive_match(pattern: str, value: str) -> bool:
    """`*`/`?` glob match; a pattern without wildcards is plain equality (no regex to compile: most ARN
    segments are literal)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    return _glob(pattern, False).fullmatch(value) is not None


_SYMBOLIC = re.compile(r"\$\{[^}]*\}")
_WILD_BUCKET = re.compile(r"[*?]*")
_TYPED_NAME = re.compile(r"([A-Za-z-]+)([/:])(.*)")
_WILD_NAME = re.compile(r"[*?]+(/\*)?")


@lru_cache(maxsize=65536)
def is_wildcard_resource(resource: str) -> bool:
    """RULES.md's *wildcard resource*: `*`, or an ARN whose resource part is a bare wildcard for the whole
    service or account (`arn:aws:s3:::*`, `arn:aws:dynamodb:*:*:table/*`, `arn:aws:secretsmanager:*:*:secret:*`,
    `arn:aws:iam::*:role/*`). `arn:aws:s3:::my-bucket/*` and `arn:...:log-group:X:*` are scoped.

    Memoised (a pure function of a string): every grant's resources are asked again by the attack graph and the
    rules for every role and function, and the same patterns repeat across the roles of an application."""
    if resource.strip() == "*":
        return True
    text = _SYMBOLIC.sub("X", resource)
    if not text.startswith("arn:"):
        return False
    parts = text.split(":", 5)
    if len(parts) < 6:
        return False
    rest = parts[5]
    if parts[2] == "s3":  # bucket[/key]: no resource-type word
        bucket = rest.split("/", 1)[0]
        return bool(_WILD_BUCKET.fullmatch(bucket))
    # Strip a leading resource-type word ("table/", "secret:", "role/", "function:", "parameter/").
    m = _TYPED_NAME.fullmatch(rest)
    name = m.group(3) if m else rest
    return name in {"*", ""} or rest in {"*"} or bool(_WILD_NAME.fullmatch(name))


# ------------------------------------------------------------------------------------------ grants

class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True, eq=False)
class Grant:
    """One statement of one policy, ready for evaluation. Unknown parts are listed, not dropped.

    Compared and hashed by identity: two grants are the same only if they come from the same statement."""

    effect: Effect
    actions: tuple[str, ...]
    """Action patterns as written (known values only)."""
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    conditions: Mapping[str, Mapping[str, tuple[str | Unknown, ...]]]
    statement: Statement
    policy: Policy
    unknown: tuple[str, ...] = ()
    """Reasons for parts that could not be resolved (an Unknown action or resource)."""

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    @property
    def location(self) -> Location:
        return self.statement.location

    @property
    def execution_policy(self) -> bool:
        return is_execution_policy(self.policy)

    def matches_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not _any_action_matches(self.not_actions, action)
        return _any_action_matches(self.actions, action)

    def matches_resource(self, resource: str) -> bool:
        if self.not_resources is not None:
            return not any(resource_matches(p, resource) for p in self.not_resources)
        return any(resource_matches(p, resource) for p in self.resources)

    def wildcard_resources(self) -> tuple[str, ...]:
        """The resources of this grant that are wildcards (NotResource counts as a wildcard)."""
        if self.not_resources is not None:
            return ("*",)
        return tuple(r for r in self.resources if is_wildcard_resource(r))

    def condition_values(self, key: str) -> tuple[tuple[str, tuple[str | Unknown, ...]], ...]:
        """(operator, values) for every condition on `key` (case-insensitive key match)."""
        out = []
        for op, keys in self.conditions.items():
            for k, values in keys.items():
                if k.lower() == key.lower():
                    out.append((op, values))
        return tuple(out)

    def as_json(self) -> dict[str, object]:
        """The statement as written, for a finding's `statement` field."""
        doc: dict[str, object] = {"Effect": self.effect.value}
        if self.statement.sid:
            doc["Sid"] = self.statement.sid
        if self.not_actions is not None:
            doc["NotAction"] = list(self.not_actions)
        else:
            doc["Action"] = list(self.actions)
        if self.not_resources is not None:
            doc["NotResource"] = list(self.not_resources)
        else:
            doc["Resource"] = list(self.resources)
        if self.conditions:
            doc["Condition"] = {op: {k: [str(v) for v in vals] for k, vals in keys.items()}
                                for op, keys in self.conditions.items()}
        return doc


def _named_services(grant: Grant) -> frozenset[str] | None:
    """The services (lower case, ASCII) whose actions the patterns of `grant` can match, or None when a pattern
    may match across services. A pattern whose service part is literal matches only that service's actions (IAM
    matches the whole string, so the text before the first colon must be equal, ignoring case); `*`, `s*:Get*`,
    a non-ASCII service part and NotAction may match anything."""
    if grant.not_actions is not None:
        return None
    services = set()
    for pattern in grant.actions:
        prefix, sep, _ = pattern.partition(":")
        if not sep or "*" in prefix or "?" in prefix or not prefix.isascii():
            return None
        services.add(prefix.lower())
    return frozenset(services)


class _ServiceIndex:
    """A role's allow grants by the services their action patterns name (see `RoleAccess._service_grants`)."""

    __slots__ = ("_by_service", "_named", "services")

    def __init__(self, allows: tuple[Grant, ...]) -> None:
        self._named = [(g, _named_services(g)) for g in allows]
        self._by_service: dict[str, tuple[Grant, ...]] = {}
        named = [services for _, services in self._named]
        self.services: frozenset[str] | None = None if any(n is None for n in named) else frozenset().union(
            *(n for n in named if n is not None))
        """Every service some allow grant can name (lower case), or None when a grant may name any service."""

    def grants(self, service: str) -> tuple[Grant, ...]:
        if self.services is not None and service not in self.services:
            return ()
        found = self._by_service.get(service)
        if found is None:
            found = self._by_service[service] = tuple(
                g for g, services in self._named if services is None or service in services)
        return found


class Decision(StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    """Allowed only under a condition we cannot evaluate statically (or a conditional Deny may apply)."""
    DENIED = "denied"
    """An explicit Deny (or the permission boundary) blocks it."""
    NOT_GRANTED = "not-granted"
    UNKNOWN = "unknown"
    """Some of the role's policies cannot be seen: the answer may be yes."""


@record
class Access:
    decision: Decision
    grants: tuple[Grant, ...] = ()
    """The Allow grants that give it (for evidence and locations)."""
    note: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision in (Decision.ALLOWED, Decision.CONDITIONAL)


@record(slots=False)
class RoleAccess:
    """The effective permissions of one role, evaluated the way IAM does (identity policies only)."""

    role: Role
    functions: tuple[str, ...]
    allows: tuple[Grant, ...]
    denies: tuple[Grant, ...]
    boundary: tuple[Grant, ...] | None = None
    """Allow grants of the permission boundary; None when the role has no boundary."""
    boundary_unknown: str | None = None
    """Set when the role has a boundary we cannot see: every allow is then lower confidence."""
    opaque: tuple[str, ...] = ()
    """Policies we cannot see (external ARNs, unbundled AWS managed policies): the role may do more."""

    def access(self, action: str, resource: str = "*") -> Access:
        """Can the role perform `action` on `resource`? `resource="*"` asks "on anything at all" only when a
        grant's pattern is itself `*`-wide; to ask "on some resource", use `grants_for`."""
        allows = tuple(g for g in self.grants_for(action) if g.matches_resource(resource))
        return self._decide(action, resource, allows)

    def grants_for(self, action: str) -> tuple[Grant, ...]:
        """Allow grants naming `action` on any resource (not filtered by denies; see `access`).

        Memoised per instance (the escalation methods and least privilege ask the same actions again and
        again); the role access is frozen and its grants immutable, so the answer cannot change."""
        memo: dict[str, tuple[Grant, ...]] | None = self.__dict__.get("_grants_for")
        if memo is None:
            memo = {}
            object.__setattr__(self, "_grants_for", memo)
        found = memo.get(action)
        if found is None:
            candidates = self._service_grants(action)
            found = memo[action] = tuple(g for g in candidates if g.matches_action(action)) if candidates else ()
        return found

    def granted_services(self) -> frozenset[str] | None:
        """Every service (lower case) an allow grant of the role can name an action of, or None when one may
        name any (`*`, `s*:Get*`, NotAction): the escalation methods ask about services most roles never
        mention, and this answers all of them with one set test instead of a lookup per action."""
        return self._index().services

    def _index(self) -> _ServiceIndex:
        index: _ServiceIndex | None = self.__dict__.get("_service_index")
        if index is None:
            index = _ServiceIndex(self.allows)
            object.__setattr__(self, "_service_index", index)
        return index

    def _service_grants(self, action: str) -> tuple[Grant, ...]:
        """The allow grants that could name `action` at all, in order: those with a pattern for its service
        (`s3:Get*` can only match `s3:` actions) and those whose patterns cross services (`*`, `s*:Get*`,
        NotAction). Most roles grant nothing of the services the escalation and reach checks ask about, so
        those questions are answered without matching a single pattern."""
        service, sep, _ = action.partition(":")
        if not sep or not service.isascii():
            return self.allows
        return self._index().grants(service.lower())

    def _decide(self, action: str, resource: str, allows: tuple[Grant, ...]) -> Access:
        if not allows:
            if self.opaque:
                return Access(Decision.UNKNOWN, note=f"policies not visible: {', '.join(self.opaque)}")
            return Access(Decision.NOT_GRANTED)
        conditional = all(g.conditional for g in allows)
        note = None
        for deny in self.denies:
            if deny.matches_action(action) and deny.matches_resource(resource):
                if not deny.conditional:
                    return Access(Decision.DENIED, allows, note=f"explicit Deny at {deny.location}")
                conditional = True
                note = f"a conditional Deny at {deny.location} may apply"
        if self.boundary is not None:
            bound = [g for g in self.boundary if g.matches_action(action) and g.matches_resource(resource)]
            if not bound:
                return Access(Decision.DENIED, allows, note="not allowed by the permission boundary")
            if all(g.conditional for g in bound):
                conditional = True
        elif self.boundary_unknown:
            conditional = True
            note = self.boundary_unknown
        return Access(Decision.CONDITIONAL if conditional else Decision.ALLOWED, allows, note)

    def effective_grants(self, action: str) -> tuple[Grant, ...]:
        """Allow grants for `action` that are not wholly cancelled by an unconditional Deny on `*` or the
        boundary.

        Memoised per instance like `grants_for` (the attack graph asks the same actions for every function
        sharing the role)."""
        memo: dict[str, tuple[Grant, ...]] | None = self.__dict__.get("_effective_grants")
        if memo is None:
            memo = {}
            object.__setattr__(self, "_effective_grants", memo)
        found = memo.get(action)
        if found is None:
            found = memo[action] = () if not self.grants_for(action) else tuple(
                g for g in self.grants_for(action)
                if any(self._decide(action, r, (g,)).allowed
                       for r in (g.resources if g.not_resources is None else ("*",)) or ("*",)))
        return found

    def allowed_actions(self) -> frozenset[str]:
        """Every catalog action some grant allows (before resource scoping); computed on demand."""
        from faasguard.analysis.iam.catalog import get_catalog

        cat = get_catalog()
        out: set[str] = set()
        for g in self.allows:
            if g.not_actions is not None:
                out.update(a for a in cat.expand("*") if g.matches_action(a))
            else:
                for p in g.actions:
                    out.update(cat.expand(p))
        return frozenset(a for a in out if self.effective_grants(a)) if self.denies or self.boundary else \
            frozenset(out)


# ------------------------------------------------------------------------------------ needs

@record
class Need:
    """One permission a function needs: an action on a resource, and why."""

    action: str
    """Canonical IAM action."""
    resource: str | Unknown
    """ARN (symbolic parts in Fn::Sub syntax: `arn:${AWS::Partition}:s3:::${Uploads}/*`), `*` when the action
    has no resource type, or Unknown when the code's target could not be resolved."""
    reason: str
    """Where the need comes from: "s3.get_object (app.py:12)", "SQS event source JobsQueue"."""
    origin: str = "code"
    """"code", "platform" (the function's own configuration) or "cloudtrail"."""
    location: Location | None = None
    note: str | None = None
    """Why the resource is what it is when it is a fallback (`*`, inferred from a trigger)."""


@record(slots=False)
class FunctionNeeds:
    function: str
    role: str | None
    needs: tuple[Need, ...]
    unmapped: tuple[str, ...] = ()
    """Calls we could not map to IAM actions (named, so a reviewer can add them)."""
    code_analyzed: bool = False
    """True when the handler's code was analysed, so absent calls mean "not needed"."""

    def actions(self) -> frozenset[str]:
        return frozenset(n.action for n in self.needs)


@record
class UnknownAction:
    """An action in an Allow/Deny that is not in the IAM catalog: IAM ignores it, silently."""

    action: str
    grant: Grant
    suggestion: str | None = None
    unknown_service: bool = False


@record(slots=False)
class IamFacts:
    roles: Mapping[str, RoleAccess] = field(default_factory=dict)
    function_roles: Mapping[str, str] = field(default_factory=dict)
    """Function id → role id (only for functions whose role is in `roles`)."""
    needs: Mapping[str, FunctionNeeds] = field(default_factory=dict)
    unknown_actions: tuple[UnknownAction, ...] = ()

    def role_of(self, function_id: str) -> RoleAccess | None:
        role_id = self.function_roles.get(function_id)
        return self.roles.get(role_id) if role_id else None
