"""The attack graph: how an outsider's event becomes the execution role's credentials and what they reach.

Built per application from what the loaders and the other enrichers already produced (no parsing here): the
entry points of every function with who can reach them (`Exposure`), the code flaws its handler has (the taint
flows of the code analysis, classified by what they give an attacker), the credentials the function holds (its
role, plaintext secrets in its environment, secrets it leaves in /tmp), and what the role reaches according to
the IAM engine (escalation methods, secrets, data, other functions).

An `AttackPath` is one (entry, function) pair where the entry is reachable from outside, the handler has a flaw
that yields the credentials (code execution, file read, SSRF), and the credentials reach something sensitive;
the routes of one API with the same exposure into one function count as one entry (`_doors`).
Two things a reader would otherwise get wrong:

* Nothing is guessed. A role we cannot see (external ARN, opaque managed policy) contributes no reach; an HTTP
  trigger whose authorization is Unknown is `Exposure.UNKNOWN` and its path has low confidence; a function whose
  handler was not analysed has no flaw, hence no path.
* Internal entries (schedules, EventBridge rules, Cognito triggers) never start a path: whoever controls them
  already controls the account. Other functions become reachable through reach (`Impact.LATERAL`), not as
  entries of their own.

The enricher runs after `iam` and `dependencies` and stores the graph in `Facts.paths`; rules FG901-FG903 and
the reporters read it.

Size: the graph's records and the one pass that builds them (entries, flaws, credentials, reach and the
per-application and per-role memos that keep a large template linear) read each other's tables; split, each
half would import the other's private helpers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field, replace
from enum import IntEnum, StrEnum
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any

from faasguard._record import record
from faasguard.analysis.public_sources import WRITE_ACTIONS, code_writes, open_write, trigger_source
from faasguard.findings import Confidence, EvidenceStep, Severity
from faasguard.model import (
    Application,
    AuthType,
    Function,
    Location,
    ResourceCategory,
    Trigger,
    TriggerKind,
    Unknown,
)

if TYPE_CHECKING:
    from faasguard.analysis.code.facts import HandlerFacts, TaintFlow
    from faasguard.analysis.iam.facts import Grant, IamFacts, RoleAccess
    from faasguard.config import Config
    from faasguard.facts import Facts
    from faasguard.findings import Diagnostic


class Exposure(IntEnum):
    """Who can reach an entry point, most exposed last (the values order them)."""

    INTERNAL = 0
    """Schedules, EventBridge rules, Cognito and log triggers: only the account itself fires them."""
    IAM_ONLY = 1
    """AWS_IAM authorization, or a private (VPC-only) endpoint."""
    UNKNOWN = 2
    """An HTTP entry whose authorization could not be resolved: treated like an authenticated one, with low
    confidence."""
    AUTHENTICATED = 3
    """Any signed-in user (Cognito, JWT, Lambda authorizer) or any holder of an API key."""
    UNTRUSTED_DATA = 4
    """Whoever can put an object, message or record into the bucket/queue/topic/stream that fires the
    function: the application's own producers and users (uploads through the app, messages other functions
    send); the data is not the function's own, but not anyone may write it. A bucket, queue or topic whose
    policy lets anyone write (FG311) is `ANONYMOUS` instead."""
    ANONYMOUS = 5
    """Anyone on the internet: an HTTP route or function URL without authorization, an open invoke
    permission, a bucket/queue/topic trigger whose source anyone may write to."""

    @property
    def label(self) -> str:
        return _EXPOSURE_LABEL[self]


_EXPOSURE_LABEL = {
    Exposure.INTERNAL: "internal only",
    Exposure.IAM_ONLY: "IAM-authenticated callers",
    Exposure.UNKNOWN: "callers allowed by an authorization we cannot resolve",
    Exposure.AUTHENTICATED: "any authenticated user",
    Exposure.UNTRUSTED_DATA: "whoever can write to its source",
    Exposure.ANONYMOUS: "anyone on the internet",
}


class Capability(StrEnum):
    """What a handler flaw gives an attacker."""

    EXECUTION = "code-execution"
    FILE_READ = "file-read"
    SSRF = "ssrf"
    FILE_WRITE = "file-write"
    DATA_TAMPERING = "data-tampering"

    @property
    def yields_credentials(self) -> bool:
        """Execution reads the role's keys from the environment; a file read gets `/proc/self/environ`; an
        SSRF reaches the runtime API on localhost and, through `file://` in urllib, the same file."""
        return self in (Capability.EXECUTION, Capability.FILE_READ, Capability.SSRF)


_SINK_KINDS = {
    # sink kind of the code analysis → (the FG5xx rule that reports it, what it gives an attacker)
    "shell": ("FG501", Capability.EXECUTION), "program": ("FG501", Capability.EXECUTION),
    "code": ("FG502", Capability.EXECUTION), "deser": ("FG505", Capability.EXECUTION),
    "template": ("FG508", Capability.EXECUTION), "path": ("FG506", Capability.FILE_READ),
    "url": ("FG507", Capability.SSRF), "sql": ("FG503", Capability.DATA_TAMPERING),
    "nosql": ("FG504", Capability.DATA_TAMPERING),
}
_FLAW_NAME = {
    "FG501": "command injection", "FG502": "code injection", "FG505": "unsafe deserialization",
    "FG508": "template injection", "FG506": "path traversal", "FG507": "server-side request forgery",
    "FG503": "SQL injection", "FG504": "NoSQL injection",
}
# Path sinks that only write (a download target, a save): no read of /proc/self/environ through them.
_WRITE_SINK = re.compile(r"^(?:download_file|download_fileobj|Path\.(?:write_text|write_bytes|touch|mkdir)|"
                         r"os\.(?:remove|unlink|makedirs|mkdir|rmdir)|shutil\.rmtree|.*\.save)\b")


class Impact(IntEnum):
    """What stolen credentials reach, worst last."""

    SCOPED = 1
    """Named secrets, tables, buckets, keys; plaintext secrets of the function's own environment."""
    WIDE = 2
    """Every secret, key, table or bucket of the account (a wildcard resource), or other functions."""
    ESCALATION = 3
    """A privilege-escalation method: the attacker becomes more than the role."""

    @property
    def label(self) -> str:
        return {Impact.SCOPED: "scoped", Impact.WIDE: "account-wide", Impact.ESCALATION: "escalation"}[self]


@record
class Entry:
    function: str
    kind: str
    """The trigger kind ("s3", "rest-api", "function-url"...) or "permission" for an open invoke permission."""
    exposure: Exposure
    description: str
    """E.g. "S3 trigger ImageConverterFunction.Upload on bucket UploadsBucket"."""
    location: Location
    node: str
    """Trigger or permission id."""
    api: str | None = None
    """For an API Gateway route: the API it belongs to, so the routes of one API into one function make one
    path (`_doors`)."""
    route: str = ""
    """For an API Gateway route: "GET /orders"."""
    detail: str = ""
    """Why the entry has its exposure ("no authorization"), as shown in parentheses in `description`."""


@record
class Flaw:
    function: str
    rule_id: str
    capability: Capability
    sink: str
    source: str
    location: Location
    steps: tuple[EvidenceStep, ...]

    @property
    def name(self) -> str:
        return _FLAW_NAME.get(self.rule_id, self.rule_id)


class CredentialKind(StrEnum):
    ROLE = "role"
    ENVIRONMENT = "environment-secret"
    TMP = "tmp-secret"


@record
class Credential:
    function: str
    kind: CredentialKind
    name: str
    """Role id, variable name, or the /tmp write's description."""
    location: Location


class ReachKind(StrEnum):
    ESCALATION = "escalation"
    SECRETS = "secrets"
    DATA = "data"
    LATERAL = "lateral"


@record
class Reach:
    """One thing a role's credentials reach."""

    role: str
    kind: ReachKind
    impact: Impact
    actions: tuple[str, ...]
    target: str
    """"*" or the resource pattern(s) as granted; for escalation the method's description."""
    description: str
    location: Location
    """The statement that grants it (its Resource line when present)."""
    conditional: bool = False
    used_by: tuple[str, ...] = ()
    """Other functions of the application whose resources this reaches (their data), sorted: the first ten."""
    more_users: int = 0
    """How many more such functions `used_by` leaves out. A shared role with a wildcard grant reaches every
    function of a large app; n paths each naming all n functions made the paths of a 2,000-function template
    take ~1 GB."""


@record
class AttackPath:
    id: str
    """Stable across scans: a hash of the application, entry, function and impact."""
    rank: int
    """1 = most severe in the application."""
    entry: Entry
    function: str
    flaws: tuple[Flaw, ...]
    credentials: tuple[Credential, ...]
    reach: tuple[Reach, ...]
    impact: Impact
    severity: Severity
    confidence: Confidence
    hops: tuple[EvidenceStep, ...]
    """entry → taint steps → credential → every reach, each located."""
    summary: str
    """One line: entry → flaw → credential → impact (used as the FG901 message)."""


@record(slots=False)
class FunctionNode:
    function: str
    role: str | None
    entries: tuple[Entry, ...]
    flaws: tuple[Flaw, ...]
    credentials: tuple[Credential, ...]
    reach: tuple[Reach, ...]


@record(slots=False)
class AttackGraph:
    application: str
    functions: Mapping[str, FunctionNode] = field(default_factory=dict)
    paths: tuple[AttackPath, ...] = ()

    def paths_of(self, function_id: str) -> tuple[AttackPath, ...]:
        return tuple(p for p in self.paths if p.function == function_id)


# ------------------------------------------------------------------------------------------ severity

_SEVERITY: Mapping[tuple[Exposure, Impact], Severity] = {
    (Exposure.ANONYMOUS, Impact.ESCALATION): Severity.CRITICAL,
    (Exposure.ANONYMOUS, Impact.WIDE): Severity.CRITICAL,
    (Exposure.ANONYMOUS, Impact.SCOPED): Severity.HIGH,
    (Exposure.UNTRUSTED_DATA, Impact.ESCALATION): Severity.HIGH,
    (Exposure.UNTRUSTED_DATA, Impact.WIDE): Severity.HIGH,
    (Exposure.UNTRUSTED_DATA, Impact.SCOPED): Severity.MEDIUM,
    (Exposure.AUTHENTICATED, Impact.ESCALATION): Severity.HIGH,
    (Exposure.AUTHENTICATED, Impact.WIDE): Severity.HIGH,
    (Exposure.AUTHENTICATED, Impact.SCOPED): Severity.MEDIUM,
    (Exposure.UNKNOWN, Impact.ESCALATION): Severity.HIGH,
    (Exposure.UNKNOWN, Impact.WIDE): Severity.HIGH,
    (Exposure.UNKNOWN, Impact.SCOPED): Severity.MEDIUM,
    (Exposure.IAM_ONLY, Impact.ESCALATION): Severity.MEDIUM,
    (Exposure.IAM_ONLY, Impact.WIDE): Severity.MEDIUM,
    (Exposure.IAM_ONLY, Impact.SCOPED): Severity.LOW,
}
"""Exposure × impact (issue 11: anonymous + escalation is critical, an authenticated user reading one table is
medium). Data sources nobody outside can write to rank with authenticated users (issue 15: a bucket, queue or
topic starts an anonymous path only when FG311's condition holds). Internal entries start no path."""


def path_severity(exposure: Exposure, impact: Impact) -> Severity | None:
    return _SEVERITY.get((exposure, impact))


# ------------------------------------------------------------------------------------------ entries

_DATA_SOURCES = {
    TriggerKind.S3: "bucket", TriggerKind.SQS: "queue", TriggerKind.SNS: "topic",
    TriggerKind.KINESIS: "stream", TriggerKind.DYNAMODB_STREAM: "table stream", TriggerKind.KAFKA: "topic",
    TriggerKind.MQ: "broker", TriggerKind.IOT: "IoT topic",
}


def _trigger_entry(app: Application, trigger: Trigger, function: str, fed: Mapping[str, str]) -> Entry:
    kind = trigger.kind
    if kind.is_http:
        exposure, detail = _http_exposure(trigger)
        if kind is TriggerKind.FUNCTION_URL:
            what = "function URL"
        elif kind is TriggerKind.HTTP_FUNCTION:
            what = "Cloud Functions HTTPS trigger"
        elif kind is TriggerKind.ALB:
            what = "load balancer target"
        else:
            api = "REST API" if kind is TriggerKind.REST_API else "HTTP API"
            route = " ".join(p for p in ((trigger.method or "").upper(), trigger.path or "") if p) or trigger.id
            return Entry(function, kind.value, exposure, f"{api} route {route} ({detail})", trigger.location,
                         trigger.id, api=trigger.api if isinstance(trigger.api, str) and trigger.api else None,
                         route=route, detail=detail)
        return Entry(function, kind.value, exposure, f"{what} ({detail})", trigger.location, trigger.id)
    if kind in _DATA_SOURCES:
        source = trigger.source if isinstance(trigger.source, str) and trigger.source else "its source"
        noun = _DATA_SOURCES[kind]
        label = kind.value.upper() if kind is not TriggerKind.DYNAMODB_STREAM else "DynamoDB stream"
        resource = trigger_source(app, trigger) if kind in (TriggerKind.S3, TriggerKind.SQS, TriggerKind.SNS) \
            else None
        opened = open_write(resource, kind) if resource is not None else None
        if resource is not None and opened is not None:
            # FG311's condition: the source's policy or ACL lets anyone write, so anyone starts this path.
            description = f"{label} trigger {trigger.id}: {noun} {resource.id}, which anyone may write to " \
                          f"({opened[0]})"
            return Entry(function, kind.value, Exposure.ANONYMOUS, description, trigger.location, trigger.id)
        if resource is not None and resource.id in fed:
            description = f"{label} trigger {trigger.id}: {noun} {resource.id}, which anyone feeds: {fed[resource.id]}"
            return Entry(function, kind.value, Exposure.ANONYMOUS, description, trigger.location, trigger.id)
        description = f"{label} trigger {trigger.id}: data written to {noun} {short_name(source)} by whoever " \
                      "can write to it"
        return Entry(function, kind.value, Exposure.UNTRUSTED_DATA, description, trigger.location, trigger.id)
    return Entry(function, kind.value, Exposure.INTERNAL, f"{kind.value} trigger {trigger.id} (internal)",
                 trigger.location, trigger.id)


def _http_exposure(trigger: Trigger) -> tuple[Exposure, str]:
    auth = trigger.auth
    if trigger.private:
        return Exposure.IAM_ONLY, "private endpoint"
    if auth is None or auth.type is AuthType.UNKNOWN:
        return Exposure.UNKNOWN, "authorization unresolved"
    if auth.type is AuthType.NONE:
        if auth.api_key_required:
            return Exposure.AUTHENTICATED, "API key required"
        return Exposure.ANONYMOUS, "no authorization"
    if auth.type is AuthType.IAM:
        if trigger.kind is TriggerKind.HTTP_FUNCTION:
            return Exposure.IAM_ONLY, "invoker role required"
        return Exposure.IAM_ONLY, "AWS_IAM authorization"
    name = f" {auth.authorizer}" if auth.authorizer else ""
    return Exposure.AUTHENTICATED, f"{auth.type.value.lower()} authorizer{name}"


def _permission_entries(app: Application) -> dict[str, list[Entry]]:
    """Invoke permissions open to any principal with no source condition: anyone with an AWS account."""
    out: dict[str, list[Entry]] = {}
    for perm in app.permissions:
        if not isinstance(perm.function, str) or perm.principal != "*":
            continue
        if perm.source_arn is not None or perm.source_account is not None or perm.principal_org_id is not None:
            continue
        if isinstance(perm.action, str) and perm.action.lower() == "lambda:invokefunctionurl" \
                and perm.function_url_auth_type != "NONE":
            continue
        out.setdefault(perm.function, []).append(Entry(
            perm.function, "permission", Exposure.ANONYMOUS,
            f"invoke permission {perm.id} open to any principal", perm.location, perm.id))
    return out


_SYMBOLIC = re.compile(r"\$\{[^}]*\}")
_WHOLE_PATH = re.compile(r"/\*$")
_TYPE_WORD = re.compile(r"^(?:table|secret|key|parameter|function|cluster|db|stream|alias)[/:]")
_REFERENCE = re.compile(r"\$\{([^}]+)\}")


def _colons_hidden(match: re.Match[str]) -> str:
    return match.group(0).replace(":", "\x00")


@lru_cache(maxsize=65536)
def short_name(text: str, limit: int = 60) -> str:
    """A readable name for a resource as granted or referenced: `${UploadsBucket}` and
    `arn:${AWS::Partition}:s3:::${UploadsBucket}/*` → `UploadsBucket`, `arn:aws:dynamodb:...:table/Orders` →
    `Orders`; long values cut.

    Memoised (a pure function of two immutable values): the graph asks it for the same few resource patterns
    of every grant of every function sharing a role, and each answer costs three regular expressions."""
    if text.startswith("arn:"):
        parts = _SYMBOLIC.sub(_colons_hidden, text).split(":", 5)
        if len(parts) == 6:
            rest = parts[5].replace("\x00", ":")
            rest = _WHOLE_PATH.sub("", rest)
            rest = _TYPE_WORD.sub("", rest)
            text = rest or text
    match = _REFERENCE.fullmatch(text)
    if match:
        return _ref_id(match.group(1))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _ref_id(reference: str) -> str:
    """The node id a symbolic reference names: `AuditTable.Arn` → `AuditTable` (CloudFormation: id, then one
    attribute), `aws_dynamodb_table.ledger.arn` → `aws_dynamodb_table.ledger` (Terraform: type.name.attribute,
    possibly under `module.x.`)."""
    parts = reference.split(".")
    if len(parts) >= 3 and (parts[0].startswith(("aws_", "google_")) or parts[0] in ("module", "data")):
        return ".".join(parts[:-1])
    return parts[0]


# -------------------------------------------------------------------------------------------- flaws

def _flaws(function: str, handler: HandlerFacts | None) -> tuple[Flaw, ...]:
    if handler is None:
        return ()
    out = []
    for flow in handler.flows:
        known = _SINK_KINDS.get(flow.kind)
        if known is None or flow.taint != "event":
            continue  # secrets reaching a log or a store are FG2xx facts, not an attacker's foothold
        rule_id, capability = known
        out.append(Flaw(function, rule_id, _capability(flow, capability), flow.sink, flow.source, flow.location,
                        flow.steps))
    return tuple(out)


def _capability(flow: TaintFlow, capability: Capability) -> Capability:
    if capability is Capability.FILE_READ and _WRITE_SINK.match(flow.sink):
        return Capability.FILE_WRITE
    return capability


# -------------------------------------------------------------------------------------- credentials

_SECRET_NAME = re.compile(r"(?i)(passw|secret|token|api_?key|private_?key|credential|access_?key|client_?secret"
                          r"|dsn|connection_?string)")
_NOT_SECRET_NAME = re.compile(r"(?i)(_arn|_name|_id|_table|_bucket|_url|_uri|_region|_ttl|_expir|_length)$")
_SECRET_CALLS = frozenset({("secretsmanager", "get_secret_value"), ("kms", "decrypt"), ("ssm", "get_parameter"),
                           ("ssm", "get_parameters"), ("ssm", "get_parameters_by_path")})


def _credentials(function: Function, handler: HandlerFacts | None, role: str | None) -> tuple[Credential, ...]:
    out: list[Credential] = []
    if role is not None:
        out.append(Credential(function.id, CredentialKind.ROLE, role, function.loc("role")))
    for var in function.environment:
        if var.secret_reference or isinstance(var.value, Unknown):
            continue
        if var.from_secret_attribute or (_SECRET_NAME.search(var.name) and not _NOT_SECRET_NAME.search(var.name)
                                         and len(var.value) >= 6):
            out.append(Credential(function.id, CredentialKind.ENVIRONMENT, var.name, var.location))
    if handler is not None and handler.tmp_leftovers and (
            handler.fetches or any((c.service, c.method) in _SECRET_CALLS for c in handler.aws_calls)):
        out.append(Credential(function.id, CredentialKind.TMP, "decrypted or fetched secrets left in /tmp",
                              handler.tmp_leftovers[0].location))
    return tuple(out)


# -------------------------------------------------------------------------------------------- reach

_SECRET_ACTIONS = (
    ("secretsmanager:GetSecretValue", "read secrets", ResourceCategory.SECRET),
    ("ssm:GetParameter", "read SSM parameters", ResourceCategory.PARAMETER),
    ("ssm:GetParametersByPath", "read SSM parameter trees", ResourceCategory.PARAMETER),
    ("kms:Decrypt", "decrypt with KMS keys", ResourceCategory.KMS_KEY),
)
_DATA_ACTIONS = (
    ("s3:GetObject", "read objects", ResourceCategory.BUCKET),
    ("s3:PutObject", "write objects", ResourceCategory.BUCKET),
    ("s3:DeleteObject", "delete objects", ResourceCategory.BUCKET),
    ("dynamodb:Scan", "dump tables", ResourceCategory.TABLE),
    ("dynamodb:Query", "query tables", ResourceCategory.TABLE),
    ("dynamodb:GetItem", "read items", ResourceCategory.TABLE),
    ("dynamodb:PutItem", "write items", ResourceCategory.TABLE),
    ("dynamodb:UpdateItem", "change items", ResourceCategory.TABLE),
    ("dynamodb:DeleteItem", "delete items", ResourceCategory.TABLE),
    ("dynamodb:DeleteTable", "delete tables", ResourceCategory.TABLE),
    ("rds-data:ExecuteStatement", "run SQL on Aurora clusters", ResourceCategory.RDS),
    ("rds-db:connect", "connect to databases as IAM users", ResourceCategory.RDS),
)
_LATERAL_ACTIONS = ("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:InvokeFunction")
_NOUN = {ResourceCategory.SECRET: "secret", ResourceCategory.PARAMETER: "parameter",
         ResourceCategory.KMS_KEY: "key", ResourceCategory.BUCKET: "bucket", ResourceCategory.TABLE: "table",
         ResourceCategory.RDS: "database"}


def _role_reach(app: Application, ra: RoleAccess, iam: IamFacts, function: str, *,
                own: frozenset[str], users: Mapping[str, tuple[str, ...]]) -> tuple[Reach, ...]:
    """What the role reaches beyond the platform's own needs (logs, ENIs, X-Ray are never sensitive).

    `own` holds the resource ids of the function's own event sources: reading the queue that triggers it is
    what the function is for, and whoever controls the event already controls that data. `used_by` names the
    other functions (sharers of the role included) whose resources a grant reaches; `users` is
    `_resource_users` of the application, computed once per graph. What depends on the role alone (its
    escalations, which grants give each action, whether IAM allows them) is `_RoleReach`, derived once per role
    and shared by the functions holding it."""
    memo = _role_memo(app, users, ra)
    role = ra.role.id
    out: list[Reach] = list(memo.escalations)
    for kind, action, verb, category, candidates in memo.tables:
        for candidate in candidates:
            reach = _grant_reach(app, role, candidate, action, verb=verb, category=category, kind=kind,
                                 users=users, function=function, own=own)
            if reach is not None:
                out.append(reach)
                break
    for action, grants in memo.lateral:
        for grant in grants:
            invoked = _invocable(app, users, iam, grant)
            others = [f for f in invoked.functions if f != function]
            wide = bool(grant.wildcard_resources())
            if not wide and not others:
                continue
            target = "*" if wide else ", ".join(others)
            roles = sorted(invoked.roles - {role})
            via = f" (and through them role{'s' if len(roles) > 1 else ''} {_some(roles)})" if roles else ""
            out.append(Reach(role, ReachKind.LATERAL, Impact.WIDE, (action,), target,
                             f"{action} on {'every function' if wide else 'function ' + _some(others)}{via}",
                             _grant_location(grant), grant.conditional, *_first(others)))
            break
    return tuple(out)


class _Candidate:
    """One grant that may give one action of the reach tables, with what does not depend on the function
    holding the role: its wildcard resources, and for each resource as granted the name it is matched against
    the function's own event sources (without a trailing `/*`), its readable name, and (asked lazily, once)
    whether IAM allows the action on it."""

    __slots__ = ("_access", "_action", "_allowed", "grant", "resources", "wide")

    def __init__(self, ra: RoleAccess, grant: Grant, action: str) -> None:
        self._access = ra
        self._action = action
        self.grant = grant
        self.wide = grant.wildcard_resources()
        self.resources = () if self.wide else tuple(
            (r, short_name(r.removesuffix("/*")), short_name(r)) for r in grant.resources)
        """(resource, its name as an own source, its readable name) for a grant without a wildcard."""
        self._allowed: dict[str, bool] = {}

    def allowed(self, resource: str) -> bool:
        found = self._allowed.get(resource)
        if found is None:
            found = self._allowed[resource] = self._access.access(self._action, resource).allowed
        return found


class _RoleReach:
    """The part of `_role_reach` that depends on the role alone: a role is typically shared by many functions
    (100 roles for 1,000 functions in a large template), and asking IAM the same questions for each of them
    made the graph of such an app cost more than its code analysis."""

    def __init__(self, ra: RoleAccess) -> None:
        from faasguard.analysis.iam.escalation import escalations

        role = ra.role.id
        self.escalations = tuple(
            Reach(role, ReachKind.ESCALATION, Impact.ESCALATION, esc.method.needs, esc.method.id,
                  f"privilege escalation: {esc.method.why} ({', '.join(esc.method.needs)})",
                  _grant_location(esc.grants[0]), esc.conditional)
            for esc in escalations(ra))
        # the services the role's allows can name (None: any): most roles grant one or two of the eight the
        # tables ask about, and the others need no question at all
        services = ra.granted_services()

        def granted(action: str) -> tuple[Grant, ...]:
            if services is not None and action.partition(":")[0].lower() not in services:
                return ()
            return tuple(g for g in ra.effective_grants(action) if not g.execution_policy)

        tables: list[tuple[ReachKind, str, str, ResourceCategory, tuple[_Candidate, ...]]] = []
        for kind, table in ((ReachKind.SECRETS, _SECRET_ACTIONS), (ReachKind.DATA, _DATA_ACTIONS)):
            for action, verb, category in table:
                candidates = tuple(_Candidate(ra, g, action) for g in granted(action))
                if candidates:
                    tables.append((kind, action, verb, category, candidates))
        self.tables = tuple(tables)
        self.lateral = tuple((action, grants) for action in _LATERAL_ACTIONS if (grants := granted(action)))


def _function_patterns(fn: Function) -> tuple[str, ...]:
    names = [f"${{{fn.id}.Arn}}", f"${{{fn.id}}}"]
    if isinstance(fn.name, str):
        names.append(f"arn:aws:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{fn.name}")
    return tuple(names)


class _Invocable:
    """The functions of the application a lambda:InvokeFunction grant matches, and their roles."""

    def __init__(self, app: Application, iam: IamFacts, grant: Grant) -> None:
        self.functions = [fn.id for fn in app.functions
                          if any(grant.matches_resource(p) for p in _function_patterns(fn))]
        self.roles = {r for f in self.functions if (r := iam.function_roles.get(f))}


class _CategoryUsers:
    """One category of the application's resources (tables, buckets...) and the functions that use them, for
    the account-wide grants every function of a shared role holds: derived once per application rather than
    per function and grant (which made a large app quadratic)."""

    def __init__(self, ids: list[str], users: Mapping[str, tuple[str, ...]]) -> None:
        self.ids = ids
        self.id_set = frozenset(ids)
        self.used = [r for r in ids if users.get(r)]
        """Resources some function uses, in model order."""
        self.uses: dict[str, int] = {}
        """Function → how many of `used` it uses."""
        self.sole: dict[str, int] = {}
        """Function → how many of `used` it alone uses."""
        for r in self.used:
            for user in users[r]:
                self.uses[user] = self.uses.get(user, 0) + 1
            if len(users[r]) == 1:
                self.sole[users[r][0]] = self.sole.get(users[r][0], 0) + 1
        self.users = sorted(self.uses)


class _GraphMemo:
    """What the attack graph derives per application rather than per function, for one `users` table (the
    application's own, kept with it by `Application.derived`)."""

    def __init__(self, users: Mapping[str, tuple[str, ...]]) -> None:
        self.users = users
        self.categories: dict[ResourceCategory, _CategoryUsers] = {}
        self.invocable: dict[int, tuple[Grant, _Invocable]] = {}
        self.roles: dict[str, tuple[RoleAccess, _RoleReach]] = {}
        self.wide: dict[tuple[Any, ...], Reach] = {}
        """`_grant_reach`'s answers for account-wide grants, by everything they are made of: the functions sharing
        a role mostly get the same one (a service's 1,000 functions: 3 distinct Reach for 3,000 questions)."""


def _memo(app: Application, users: Mapping[str, tuple[str, ...]]) -> _GraphMemo:
    held: list[_GraphMemo] = app.derived("attack-graph", lambda _: [])
    if not held or held[0].users is not users:  # the same application enriched again (other facts)
        held[:] = [_GraphMemo(users)]
    return held[0]


def _category(app: Application, users: Mapping[str, tuple[str, ...]], category: ResourceCategory) -> _CategoryUsers:
    memo = _memo(app, users)
    found = memo.categories.get(category)
    if found is None:
        found = _CategoryUsers([r.id for r in app.resources if r.category is category], users)
        memo.categories[category] = found
    return found


def _role_memo(app: Application, users: Mapping[str, tuple[str, ...]], ra: RoleAccess) -> _RoleReach:
    memo = _memo(app, users)
    found = memo.roles.get(ra.role.id)
    if found is None or found[0] is not ra:
        found = memo.roles[ra.role.id] = (ra, _RoleReach(ra))
    return found[1]


def _invocable(app: Application, users: Mapping[str, tuple[str, ...]], iam: IamFacts, grant: Grant) -> _Invocable:
    memo = _memo(app, users)
    found = memo.invocable.get(id(grant))
    if found is None or found[0] is not grant:
        found = (grant, _Invocable(app, iam, grant))
        memo.invocable[id(grant)] = found
    return found[1]


def _first(names: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """(`Reach.used_by`, `Reach.more_users`) for these names."""
    return tuple(names[:_NAMED_AT_MOST]), max(0, len(names) - _NAMED_AT_MOST)


def _wide_users(cat: _CategoryUsers, users: Mapping[str, tuple[str, ...]], function: str,
                own: frozenset[str]) -> tuple[list[str], int, list[str], int]:
    """For a grant on every resource of `cat`: the first functions (other than `function`) using one of them and
    how many there are, and the first resources used by such a function and how many. Resources of `own` (the
    function's event sources) do not count."""
    if function not in cat.uses and cat.id_set.isdisjoint(own):
        # the usual case (a function using none of the category): nothing of the category is taken away
        return cat.users[:_NAMED_AT_MOST], len(cat.users), cat.used[:_NAMED_AT_MOST], len(cat.used)
    # what the function's own resources take away (a few): their users' counts, and those only it uses
    lost: dict[str, int] = {}
    own_used = [r for r in own if r in cat.id_set and users.get(r)]
    for r in own_used:
        for user in users[r]:
            lost[user] = lost.get(user, 0) + 1
    gone = {u for u, n in lost.items() if n == cat.uses[u]}
    gone.add(function)

    def named(r: str) -> bool:
        return r not in own and users[r] != (function,)

    first_users = list(islice((u for u in cat.users if u not in gone), _NAMED_AT_MOST))
    users_total = len(cat.users) - len(gone & cat.uses.keys())
    first_named = list(islice(filter(named, cat.used), _NAMED_AT_MOST))
    named_total = len(cat.used) - len(own_used) - cat.sole.get(function, 0) \
        + sum(1 for r in own_used if users[r] == (function,))
    return first_users, users_total, first_named, named_total


def _grant_reach(app: Application, role: str, candidate: _Candidate, action: str, *, verb: str,
                 category: ResourceCategory, kind: ReachKind, users: Mapping[str, tuple[str, ...]],
                 function: str, own: frozenset[str]) -> Reach | None:
    grant = candidate.grant
    wide = candidate.wide
    if wide:
        if not candidate.allowed(wide[0]):
            return None
        used, used_total, named, named_total = _wide_users(_category(app, users, category), users, function, own)
        answers = _memo(app, users).wide
        key = (candidate, role, action, kind, verb, category, tuple(used), used_total, tuple(named), named_total)
        found = answers.get(key)
        if found is None:
            also = f", including {_some(named, named_total)} used by {_some(used, used_total)}" if used else ""
            found = answers[key] = Reach(role, kind, Impact.WIDE, (action,), "*",
                                         f"{action} on * ({verb} in every {_NOUN[category]} of the account{also})",
                                         _grant_location(grant), grant.conditional, tuple(used),
                                         used_total - len(used))
        return found
    # a resource whose name is one of the function's own event sources is what the function is for
    targets = [(r, name) for r, own_name, name in candidate.resources if own_name not in own]
    if not targets:
        return None
    if not any(candidate.allowed(t) for t, _ in targets[:3]):
        return None
    names = list(dict.fromkeys(name for _, name in targets))
    used = sorted({u for n in names for u in users.get(n, ()) if u != function})
    whose = f" (data of {_some(used)})" if used else ""
    return Reach(role, kind, Impact.SCOPED, (action,), ", ".join(t for t, _ in targets),
                 f"{action} on {', '.join(names[:4])}{'…' if len(names) > 4 else ''}{whose}",
                 _grant_location(grant), grant.conditional, *_first(used))


def _grant_location(grant: Grant) -> Location:
    return grant.statement.field_locations.get("resources", grant.statement.location)


def _resource_users(app: Application, iam: IamFacts) -> Mapping[str, tuple[str, ...]]:
    """Resource id → functions whose code or configuration use it (their needs name it, or an environment
    variable refers to it). That is what "another function's data" means in a path."""
    ids = {r.id for r in app.resources}
    users: dict[str, set[str]] = {}
    # the functions of an application share most of their needs' resource patterns (the platform's log groups,
    # a table every handler reads): each distinct pattern is parsed once
    named: dict[str, list[str]] = {}
    for fn_id, needs in iam.needs.items():
        for need in needs.needs:
            if isinstance(need.resource, str):
                refs = named.get(need.resource)
                if refs is None:
                    refs = named[need.resource] = [ref for ref in (_ref_id(r) for r in _REFERENCE.findall(
                        need.resource)) if ref in ids]
                for ref in refs:
                    users.setdefault(ref, set()).add(fn_id)
    return {k: tuple(sorted(v)) for k, v in users.items()}


# -------------------------------------------------------------------------------------------- paths

def _fed_by_anyone(app: Application, facts: Facts, open_permissions: Mapping[str, list[Entry]]) -> dict[str, str]:
    """Bucket/queue/topic id → why anyone can put data in it through the application itself: a function anyone
    can reach (an open route or URL, an open invoke permission, or, transitively, an open source) writes to it
    in its code. The writes come from the code analysis with targets resolved from configuration, nothing
    guessed."""
    reachable: dict[str, str] = {}
    for fn in app.functions:
        for trigger in app.triggers_of(fn.id):
            if trigger.kind.is_http and _http_exposure(trigger)[0] is Exposure.ANONYMOUS:
                reachable.setdefault(fn.id, "anyone can call it")
        if fn.id in open_permissions:
            reachable.setdefault(fn.id, "anyone can invoke it")
    fed: dict[str, str] = {}
    writes = {fn.id: code_writes(app, fn, handler.aws_calls)
              for fn in app.functions if (handler := facts.handlers.get(fn.id)) is not None}
    changed = True
    while changed:
        changed = False
        for function, why in list(reachable.items()):
            for resource, where in writes.get(function, ()):
                if resource.id not in fed:
                    fed[resource.id] = f"function {function} ({why}) writes to it, line {where.line}"
                    changed = True
        for trigger in app.triggers:
            if trigger.kind not in WRITE_ACTIONS or not isinstance(trigger.function, str) \
                    or trigger.function in reachable:
                continue
            source = trigger_source(app, trigger)
            if source is not None and (source.id in fed or open_write(source, trigger.kind) is not None):
                reachable[trigger.function] = f"fired by {source.id}, which anyone can write to"
                changed = True
    return fed


def build_graph(app: Application, facts: Facts) -> AttackGraph:
    iam = facts.iam
    open_permissions = _permission_entries(app)
    fed = _fed_by_anyone(app, facts, open_permissions)
    nodes: dict[str, FunctionNode] = {}
    users = _resource_users(app, iam) if iam is not None else {}
    for fn in app.functions:
        entries = [_trigger_entry(app, t, fn.id, fed) for t in app.triggers_of(fn.id)]
        entries += open_permissions.get(fn.id, [])
        handler = facts.handlers.get(fn.id)
        ra = iam.role_of(fn.id) if iam is not None else None
        role = ra.role.id if ra is not None and not ra.role.external else None
        own = frozenset(short_name(t.source) for t in app.triggers_of(fn.id) if isinstance(t.source, str))
        reach: tuple[Reach, ...] = ()
        if ra is not None and iam is not None and role is not None:
            reach = _role_reach(app, ra, iam, fn.id, own=own, users=users)
        nodes[fn.id] = FunctionNode(fn.id, role, tuple(entries), _flaws(fn.id, handler),
                                    _credentials(fn, handler, role), reach)
    paths = _paths(app, nodes)
    return AttackGraph(app.name, nodes, paths)


def _paths(app: Application, nodes: Mapping[str, FunctionNode]) -> tuple[AttackPath, ...]:
    """Every path, ranked: ordered by what decides the rank before any is built, so each is built once, with
    its rank."""
    found: list[tuple[tuple[int, int, int, int, str, str], FunctionNode, Entry, tuple[Flaw, ...], Impact, Severity,
                      Confidence]] = []
    for node in nodes.values():
        flaws = tuple(f for f in node.flaws if f.capability.yields_credentials)
        if not flaws:
            continue
        env_secrets = tuple(c for c in node.credentials if c.kind is not CredentialKind.ROLE)
        impact = max((r.impact for r in node.reach), default=Impact.SCOPED if env_secrets else None)
        if impact is None:
            continue
        for entry in _doors(node.entries):
            severity = path_severity(entry.exposure, impact)
            if severity is None:
                continue
            if all(r.conditional for r in node.reach) and node.reach:
                severity = severity.lowered()
            confidence = Confidence.LOW if entry.exposure is Exposure.UNKNOWN else \
                Confidence.MEDIUM if any(f.capability is Capability.SSRF for f in flaws) and \
                all(f.capability is Capability.SSRF for f in flaws) else Confidence.HIGH
            key = (-severity.rank, -entry.exposure, -impact, -len(node.reach), node.function, entry.node)
            found.append((key, node, entry, flaws, impact, severity, confidence))
    found.sort(key=lambda item: item[0])
    return tuple(_path(app, node, entry, flaws, rank=rank, impact=impact, severity=severity, confidence=confidence)
                 for rank, (_, node, entry, flaws, impact, severity, confidence) in enumerate(found, 1))


def _doors(entries: Sequence[Entry]) -> list[Entry]:
    """The entries that start distinct paths: the routes of one API into one function, with the same exposure,
    are one door with several handles. A function that serves a whole API and dispatches on the path (the
    common "Lambda-lith") otherwise repeated one critical finding per route for the same flaw at the same line;
    which routes reach the sink depends on the dispatch, which is not modelled, so the path names them all."""
    groups: dict[tuple[str, str, Exposure, str], list[Entry]] = {}
    doors: list[Entry | tuple[str, str, Exposure, str]] = []
    for entry in entries:
        if entry.api is None:
            doors.append(entry)
            continue
        key = (entry.kind, entry.api, entry.exposure, entry.detail)
        if key not in groups:
            groups[key] = []
            doors.append(key)
        groups[key].append(entry)
    merged: list[Entry] = []
    for door in doors:
        if isinstance(door, Entry):
            merged.append(door)
            continue
        routes = groups[door]
        first = routes[0]
        if len(routes) > 1:
            api = "REST API" if first.kind == TriggerKind.REST_API.value else "HTTP API"
            names = sorted(dict.fromkeys(e.route for e in routes))
            first = replace(first, description=f"{api} {first.api} routes {_some(names)} ({first.detail})")
        merged.append(first)
    return merged


def _path(app: Application, node: FunctionNode, entry: Entry, flaws: tuple[Flaw, ...], *, rank: int,
          impact: Impact, severity: Severity, confidence: Confidence) -> AttackPath:
    hops: list[EvidenceStep] = [EvidenceStep(f"entry: {entry.description} -- reachable by {entry.exposure.label}",
                                             entry.location)]
    for flaw in flaws:
        steps = flaw.steps or (EvidenceStep(f"reaches {flaw.sink}", flaw.location),)
        hops.append(EvidenceStep(f"flaw: {flaw.rule_id} {flaw.name} in {node.function} ({flaw.capability.value}) "
                                 f"from {flaw.source}", steps[0].location))
        hops.extend(steps[1:] if len(steps) > 1 else ())
    for cred in node.credentials:
        if cred.kind is CredentialKind.ROLE:
            text = f"credential: the execution role {cred.name} (its keys are in the environment)"
        elif cred.kind is CredentialKind.ENVIRONMENT:
            text = f"credential: plaintext secret in environment variable {cred.name}"
        else:
            text = f"credential: {cred.name}"
        hops.append(EvidenceStep(text, cred.location))
    ordered = sorted(node.reach, key=lambda r: (-r.impact, _KIND_ORDER[r.kind], not r.used_by))
    hops.extend(EvidenceStep(f"impact: {r.description}" + (" (under a condition)" if r.conditional else ""),
                             r.location) for r in ordered)
    flaw_names = ", ".join(dict.fromkeys(f.name for f in flaws))
    via = f"role {node.role}" if node.role else "its environment"
    held = [c.name for c in node.credentials if c.kind is CredentialKind.ENVIRONMENT]
    gained = [_gain(r) for r in ordered[:3]]
    if held:
        gained.append(f"plaintext {'secrets' if len(held) > 1 else 'secret'} {', '.join(held)} in its environment")
    gains = "; ".join(gained)
    more = f" and {len(ordered) - 3} more" if len(ordered) > 3 else ""
    summary = (f"attack path: {entry.description} → {flaw_names} in {node.function} → {via} → {gains}{more}")
    digest = hashlib.sha256("\x1f".join((app.name, entry.node, node.function, impact.label)).encode())
    return AttackPath(f"path-{digest.hexdigest()[:12]}", rank, entry, node.function, flaws, node.credentials,
                      tuple(ordered), impact, severity, confidence, tuple(hops), summary)


_KIND_ORDER = {ReachKind.ESCALATION: 0, ReachKind.SECRETS: 1, ReachKind.LATERAL: 2, ReachKind.DATA: 3}


_NAMED_AT_MOST = 10


def _some(names: Sequence[str], total: int | None = None) -> str:
    """The first ten of `names` (`total` of them in all, if more than given) for a sentence, and how many more:
    a shared role with a wildcard grant reaches every function and table of a large app, and listing them all
    in each path's text made the text of n paths grow as n squared (a 2,000-function template: a 160 MB
    report)."""
    total = len(names) if total is None else total
    if total <= _NAMED_AT_MOST:
        return ", ".join(names)
    return f"{', '.join(names[:_NAMED_AT_MOST])} and {total - _NAMED_AT_MOST:,} more"


def _gain(reach: Reach) -> str:
    if reach.kind is ReachKind.ESCALATION:
        return f"privilege escalation ({reach.target})"
    text = f"{reach.actions[0]} on *" if reach.target == "*" else reach.description
    if reach.used_by and reach.target == "*":
        text += f" (data of {_some(reach.used_by, len(reach.used_by) + reach.more_users)})"
    return text


def iter_paths(graphs: Iterable[AttackGraph]) -> Iterable[AttackPath]:
    for graph in graphs:
        yield from graph.paths


def enrich(app: Application, config: Config, facts: Facts, diagnostics: list[Diagnostic]) -> Facts:
    """Pipeline entry point (registered after iam and dependencies in `pipeline.ENRICHERS`)."""
    del config, diagnostics
    return replace(facts, paths=build_graph(app, facts))
