"""Drift: what a live account grants or exposes beyond the infrastructure-as-code that deploys it.

`faasguard audit --compare PATH` loads PATH through the same loaders as `scan` (the *declared* model) and reads
the account (the *live* model); `compare` then reports, per live function matched to a declared one, only the
differences that widen the attack surface: a role granting actions or resources its template never declared,
a trigger, URL or invoke permission added by hand, authorization removed from a route, a secret-looking
environment variable added, a layer added or swapped. Narrowing (a statement removed, a URL deleted) is not
drift in security terms and is not reported.

Exactness over recall: a declared value the loaders could not resolve (`Unknown`, or a string still holding
`${...}`) matches anything, so an unresolved template never produces drift it cannot prove; a live function
that cannot be matched to exactly one declared function is a note, never compared by guess.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import (
    Application,
    AuthType,
    EnvVar,
    Function,
    Layer,
    Location,
    Policy,
    PolicyKind,
    Role,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
)

__all__ = ["Drift", "DriftFacts", "DriftKind", "compare"]

LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
STACK_TAG = "aws:cloudformation:stack-name"


class DriftKind(StrEnum):
    POLICY = "policy"
    """The live role grants an action/resource, or holds a managed policy, that the template does not."""
    EXPOSURE = "exposure"
    """A trigger, function URL or invoke permission added, or authorization removed from a route."""
    SECRET = "secret"  # noqa: S105 - a kind of drift, not a credential
    """A secret-looking environment variable added (or a declared value replaced by one)."""
    LAYER = "layer"
    """A layer added, or a declared layer swapped for another (or another version)."""


@dataclass(frozen=True)
class Drift:
    kind: DriftKind
    resource: str
    """The live node a finding names (role, function, trigger id)."""
    functions: tuple[str, ...]
    location: Location
    """The live node (its ARN)."""
    declared: Location | None
    """Where the template declares the counterpart (the role, the function), for the evidence."""
    message: str
    statement: Mapping[str, Any] | None = None
    variable: EnvVar | None = None
    """SECRET: the live variable added or changed (whether it holds a secret is FG211's judgement)."""
    declared_variable: EnvVar | None = None


@dataclass(frozen=True)
class DriftFacts:
    source: str
    matched: Mapping[str, str] = field(default_factory=dict)
    """Live function name → declared function id."""
    items: tuple[Drift, ...] = ()


# ------------------------------------------------------------------------------------------ matching


def _name(value: str | Unknown | None) -> str | None:
    return value if isinstance(value, str) and "${" not in value else None


def _generated_by(live_name: str, fn: Function, stack: str | None) -> bool:
    """CloudFormation/SAM physical names are `<stack>-<LogicalId>-<RANDOM>` (the logical id possibly
    truncated to fit 64 characters); Serverless Framework's are `<service>-<stage>-<function key>`."""
    logical = fn.id.rsplit(".", 1)[-1]
    if stack is not None and re.fullmatch(rf"{re.escape(stack)}-{re.escape(logical[:30])}\w*-[A-Za-z0-9]{{8,13}}",
                                          live_name):
        return True
    if re.fullmatch(rf"[\w.-]+-{re.escape(logical)}-[A-Z0-9]{{8,13}}", live_name):
        return True
    return fn.name is None and live_name.endswith(f"-{logical}") and live_name.count("-") >= 2


def match_function(live: Function, declared: Sequence[tuple[Application, Function]],
                   ) -> tuple[tuple[Application, Function] | None, str | None]:
    """The declared function `live` was deployed from, or (None, why) when that is not exactly one."""
    live_name = live.name if isinstance(live.name, str) else live.id
    tag = live.tags.get(LOGICAL_ID_TAG)
    stack = live.tags.get(STACK_TAG)
    stages = (
        [d for d in declared if isinstance(tag, str) and d[1].id == tag],
        [d for d in declared if _name(d[1].name) == live_name],
        [d for d in declared if (d[1].id.rsplit(".", 1)[-1] == live_name and d[1].name is None)
         or d[1].id == live_name],
        [d for d in declared if d[1].name is None or isinstance(d[1].name, Unknown)
         if _generated_by(live_name, d[1], stack if isinstance(stack, str) else None)],
    )
    for candidates in stages:
        if len(candidates) == 1:
            return candidates[0], None
        if len(candidates) > 1:
            ids = ", ".join(sorted(f.id for _, f in candidates))
            return None, f"matches more than one declared function ({ids})"
    return None, "matches no declared function"


# ------------------------------------------------------------------------------------------ patterns


_SYMBOL = re.compile(r"\$\{[^}]*\}")


def _pattern(value: str | Unknown) -> str:
    """A declared value as a glob: unresolved parts (`${...}`, Unknown) match anything."""
    if isinstance(value, Unknown):
        return "*"
    return _SYMBOL.sub("*", value).lower()


def _covers(declared: Iterable[str | Unknown], live: str) -> bool:
    text = live.lower()
    return any(fnmatch.fnmatchcase(text, _pattern(d)) for d in declared)


# ---------------------------------------------------------------------------------------------- IAM


def _managed_name(policy: Policy) -> str:
    arn = policy.arn if isinstance(policy.arn, str) else ""
    return (arn.rsplit("/", 1)[-1] if arn else policy.name).lower()


def _declared_statements(role: Role) -> tuple[list[Statement], bool]:
    """Every Allow statement the declared role holds (AWS managed ones from the bundled data), and whether a
    policy's document is unknown (then nothing can be proven widened)."""
    from faasguard.analysis.iam import managed

    out: list[Statement] = []
    complete = True
    for policy in role.policies:
        document = policy.document
        if (document is None or not document.statements) and policy.kind is PolicyKind.AWS_MANAGED:
            found = managed.lookup(_managed_name(policy))
            document = found.document if found is not None else None
        if document is None or document.unresolved is not None:
            complete = False
            continue
        out.extend(s for s in document.statements if isinstance(s.effect, str) and s.effect.lower() == "allow")
    return out, complete


def _statement_dict(stmt: Statement, actions: Sequence[str], resources: Sequence[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions) if len(actions) != 1 else actions[0],
            "Resource": list(resources) if len(resources) != 1 else resources[0],
            **({"Sid": stmt.sid} if stmt.sid else {})}


def _role_drift(live: Role, declared: Role, functions: tuple[str, ...]) -> list[Drift]:
    declared_statements, complete = _declared_statements(declared)
    if not complete:
        return []  # a declared policy we cannot read may grant anything: nothing is provably widened
    declared_managed = {_managed_name(p) for p in declared.policies
                        if p.kind in (PolicyKind.AWS_MANAGED, PolicyKind.CUSTOMER_MANAGED)}
    out: list[Drift] = []
    for policy in live.policies:
        if policy.kind in (PolicyKind.AWS_MANAGED, PolicyKind.CUSTOMER_MANAGED) \
                and _managed_name(policy) not in declared_managed:
            label = policy.arn if isinstance(policy.arn, str) else policy.name
            out.append(Drift(DriftKind.POLICY, live.id, functions, policy.location, declared.location,
                             f"role {live.id} has the managed policy {label} attached, which the template does "
                             f"not declare for {declared.id}"))
            continue
        if policy.kind is PolicyKind.AWS_MANAGED or policy.document is None:
            continue  # the same AWS managed policy as declared: the same document
        for stmt in policy.document.statements:
            if not isinstance(stmt.effect, str) or stmt.effect.lower() != "allow":
                continue
            widened = _widened(stmt, declared_statements)
            if widened is None:
                continue
            actions, resources = widened
            out.append(Drift(
                DriftKind.POLICY, live.id, functions, policy.location, declared.location,
                f"role {live.id} (policy {policy.name}) allows {', '.join(actions)} on {', '.join(resources)}, "
                f"which the template does not grant to {declared.id}",
                _statement_dict(stmt, actions, resources)))
    return out


def _widened(stmt: Statement, declared: Sequence[Statement]) -> tuple[list[str], list[str]] | None:
    """The (actions, resources) of a live statement no declared statement grants, or None when all are."""
    if stmt.not_actions is not None or stmt.not_resources is not None:
        same = [d for d in declared if d.not_actions is not None or d.not_resources is not None]
        if same:
            return None  # NotAction against NotAction: no exact subset test; never guessed
        return ["NotAction/NotResource"], [str(r) for r in stmt.resources if isinstance(r, str)] or ["*"]
    actions: list[str] = []
    resources: list[str] = []
    for action in stmt.actions:
        if not isinstance(action, str):
            continue
        granting = [d for d in declared if d.not_actions is None and _covers(d.actions, action)]
        if not granting:
            actions.append(action)
            resources.extend(r for r in stmt.resources if isinstance(r, str) and r not in resources)
            continue
        for resource in stmt.resources:
            if not isinstance(resource, str):
                continue
            if not any(_covers(d.resources, resource) for d in granting if d.not_resources is None):
                if action not in actions:
                    actions.append(action)
                if resource not in resources:
                    resources.append(resource)
    return (actions, resources) if actions else None


# ----------------------------------------------------------------------------------------- exposure


#: The service principal AWS (and SAM) uses for each kind of event source's invoke permission.
_PRINCIPALS = {
    TriggerKind.S3: "s3.amazonaws.com", TriggerKind.SNS: "sns.amazonaws.com",
    TriggerKind.REST_API: "apigateway.amazonaws.com", TriggerKind.HTTP_API: "apigateway.amazonaws.com",
    TriggerKind.EVENTBRIDGE: "events.amazonaws.com", TriggerKind.SCHEDULE: "events.amazonaws.com",
}


def _route(trigger: Trigger) -> tuple[str, str] | None:
    if trigger.method is None and trigger.path is None:
        return None
    return (trigger.method or "").upper(), (trigger.path or "").rstrip("/") or "/"


def _source_key(value: str | Unknown | None) -> str | None:
    """The name part of a trigger source (an ARN's last segment, a queue URL's), to compare with a declared
    logical id or name; None when unknown."""
    if not isinstance(value, str) or "${" in value:
        return None
    return re.split(r"[:/]", value.rstrip("/"))[-1]


def _trigger_drift(fn_live: str, live: Application, fn_declared: Function, declared: Application,
                   functions: tuple[str, ...]) -> list[Drift]:
    live_triggers = [t for t in live.triggers if t.function == fn_live]
    declared_triggers = [t for t in declared.triggers if t.function == fn_declared.id]
    declared_names = {_name(r.name) for r in declared.resources} | {r.id for r in declared.resources}
    out: list[Drift] = []
    remaining = list(declared_triggers)
    unmatched: list[Trigger] = []
    for trigger in live_triggers:
        same_kind = [d for d in remaining if d.kind is trigger.kind]
        route = _route(trigger)
        if route is not None and trigger.kind in (TriggerKind.REST_API, TriggerKind.HTTP_API):
            same_kind = [d for d in same_kind if _route(d) == route]
        elif trigger.kind is not TriggerKind.FUNCTION_URL:
            key = _source_key(trigger.source)
            exact = [d for d in same_kind if key is not None and _source_key(d.source) == key]
            # a declared source that is a logical id of a resource with a generated name stands for any
            same_kind = exact or [d for d in same_kind if _source_key(d.source) is None
                                  or _source_key(d.source) in declared_names]
        if not same_kind:
            unmatched.append(trigger)
            continue
        counterpart = same_kind[0]
        remaining.remove(counterpart)
        if _auth_removed(counterpart, trigger):
            what = "function URL" if trigger.kind is TriggerKind.FUNCTION_URL else f"route {trigger.id}"
            declared_auth = counterpart.auth.type.value if counterpart.auth else "?"
            out.append(Drift(DriftKind.EXPOSURE, trigger.id, functions, trigger.location, counterpart.location,
                             f"the {what} of {fn_live} has no authorization live; the template declares "
                             f"{declared_auth}"))
    for trigger in unmatched:
        what = "function URL" if trigger.kind is TriggerKind.FUNCTION_URL else f"{trigger.kind.value} trigger"
        auth = f" (auth {trigger.auth.type.value})" if trigger.auth else ""
        out.append(Drift(DriftKind.EXPOSURE, trigger.id, functions, trigger.location, fn_declared.location,
                         f"{what} {trigger.id}{auth} invokes {fn_live} but is not in the template"))
    out.extend(_permission_drift(fn_live, live, fn_declared, declared, declared_triggers=declared_triggers,
                                 functions=functions))
    return out


def _auth_removed(declared: Trigger, live: Trigger) -> bool:
    if declared.auth is None or live.auth is None:
        return False
    declared_open = declared.auth.type is AuthType.NONE and not declared.auth.api_key_required
    live_open = live.auth.type is AuthType.NONE and not live.auth.api_key_required
    return live_open and not declared_open and declared.auth.type is not AuthType.UNKNOWN


def _permission_drift(fn_live: str, live: Application, fn_declared: Function, declared: Application, *,
                      declared_triggers: Sequence[Trigger], functions: tuple[str, ...]) -> list[Drift]:
    principals: set[str] = {_PRINCIPALS[t.kind] for t in declared_triggers if t.kind in _PRINCIPALS}
    unknown = False
    for perm in declared.permissions:
        if perm.function != fn_declared.id and not (isinstance(perm.function, str)
                                                    and perm.function.endswith(fn_declared.id)):
            continue
        if isinstance(perm.principal, str) and "${" not in perm.principal:
            principals.add(perm.principal.lower())
        else:
            unknown = True
    if unknown:
        return []
    out: list[Drift] = []
    has_url = any(t.kind is TriggerKind.FUNCTION_URL for t in declared_triggers)
    for perm in live.permissions:
        if perm.function != fn_live or not isinstance(perm.principal, str):
            continue
        principal = perm.principal.lower()
        if principal in principals:
            continue
        if principal == "*" and has_url and isinstance(perm.action, str) \
                and perm.action.lower() == "lambda:invokefunctionurl":
            continue  # the statement AWS adds beside a declared URL
        out.append(Drift(DriftKind.EXPOSURE, perm.id, functions, perm.location, fn_declared.location,
                         f"invoke permission {perm.id} lets {perm.principal} call {fn_live} ({perm.action}); "
                         "the template grants no such permission"))
    return out


# ------------------------------------------------------------------------------------ secrets, layers


def _secret_drift(fn_live: Function, fn_declared: Function, functions: tuple[str, ...]) -> list[Drift]:
    """Environment variables added or changed outside the template (candidates: FG211 judges the value).
    A declared value resolved at deploy time (`${...}`, a reference, Unknown) cannot be compared."""
    declared = {v.name: v for v in fn_declared.environment}
    out: list[Drift] = []
    for var in fn_live.environment:
        before = declared.get(var.name)
        if before is not None and (not isinstance(before.value, str) or "${" in before.value
                                   or before.secret_reference or before.value == var.value):
            continue
        change = "was added outside the template" if before is None else "was changed outside the template"
        out.append(Drift(DriftKind.SECRET, fn_live.id, functions, var.location, fn_declared.location,
                         f"environment variable {var.name} of {fn_live.id} {change}", variable=var,
                         declared_variable=before))
    return out


_VERSION = re.compile(r"^(arn:[^:]+:lambda:[^:]*:[^:]+:layer:[^:]+)(?::(\d+))?$")


def _declared_layer(ref: str | Unknown, declared: Application) -> str | None:
    """A declared layer reference as an ARN glob (a local layer's name or logical id), None when unknown."""
    if isinstance(ref, Unknown):
        return None
    local: Layer | None = next((layer for layer in declared.layers if layer.id == ref), None)
    if local is not None:
        name = _name(local.name) or local.id
        return f"arn:*:lambda:*:*:layer:{name}:*".lower()
    if "${" in ref:
        return _pattern(ref) if ref.startswith("arn:") else None
    if _VERSION.match(ref):
        return ref.lower()
    return f"arn:*:lambda:*:*:layer:{ref}:*".lower()


def _layer_drift(fn_live: Function, fn_declared: Function, declared: Application,
                 functions: tuple[str, ...]) -> list[Drift]:
    patterns = [_declared_layer(ref, declared) for ref in fn_declared.layers]
    if any(p is None for p in patterns):
        return []  # a layer the template names by an unresolved value may be any layer
    out: list[Drift] = []
    for arn in fn_live.layers:
        if not isinstance(arn, str) or any(fnmatch.fnmatchcase(arn.lower(), p) for p in patterns if p):
            continue
        versioned = _VERSION.match(arn)
        base = versioned.group(1).lower() if versioned else arn.lower()
        same_layer = [p for p in patterns if p and _VERSION.match(p) and p.rsplit(":", 1)[0] == base]
        what = (f"version {arn.rsplit(':', 1)[-1]} instead of the declared {same_layer[0].rsplit(':', 1)[-1]}"
                if same_layer else "not declared in the template")
        out.append(Drift(DriftKind.LAYER, fn_live.id, functions, fn_live.location, fn_declared.location,
                         f"{fn_live.id} runs layer {arn}: {what}"))
    return out


# -------------------------------------------------------------------------------------------- entry


def compare(declared_apps: Sequence[Application], live: Application, source: str,
            ) -> tuple[DriftFacts, list[Diagnostic]]:
    """Drift of `live` against the applications loaded from `source` (see the module docstring)."""
    declared = [(app, fn) for app in declared_apps for fn in app.functions]
    diagnostics: list[Diagnostic] = []
    items: list[Drift] = []
    matched: dict[str, str] = {}
    pairs: list[tuple[Function, Application, Function]] = []
    for fn in live.functions:
        found, why = match_function(fn, declared)
        if found is None:
            diagnostics.append(Diagnostic(DiagnosticKind.INFO, f"drift: live function {fn.id} {why} in {source}; "
                                          "not compared", fn.location, DiagnosticLevel.NOTE, "drift"))
            continue
        app, declared_fn = found
        matched[fn.id] = declared_fn.id
        pairs.append((fn, app, declared_fn))
    roles: dict[tuple[str, str], list[str]] = {}
    role_nodes: dict[tuple[str, str], tuple[Role, Role]] = {}
    for fn, app, declared_fn in pairs:
        functions = (fn.id,)
        items.extend(_trigger_drift(fn.id, live, declared_fn, app, functions))
        items.extend(_secret_drift(fn, declared_fn, functions))
        items.extend(_layer_drift(fn, declared_fn, app, functions))
        live_role = live.role(fn.role) if isinstance(fn.role, str) else None
        declared_role = app.role(declared_fn.role) if isinstance(declared_fn.role, str) else None
        if live_role is None or declared_role is None:
            continue
        key = (live_role.id, declared_role.id)
        roles.setdefault(key, []).append(fn.id)
        role_nodes[key] = (live_role, declared_role)
    for key, users in sorted(roles.items()):
        live_role, declared_role = role_nodes[key]
        items.extend(_role_drift(live_role, declared_role, tuple(sorted(users))))
    unique = {(d.kind, d.resource, d.location, d.message): d for d in items}
    return DriftFacts(source, matched, tuple(unique.values())), diagnostics
