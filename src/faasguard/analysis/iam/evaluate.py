"""Compile an application's roles into `RoleAccess` objects (see facts.py for the evaluation semantics).

Per role: every statement of every visible policy (inline, customer managed, SAM policy templates, AWS
managed documents from the loader or from our bundled data) becomes a `Grant`; Deny statements are kept apart;
a permission boundary is resolved when it is an AWS managed policy we bundle or a managed policy defined in the
same application, and otherwise recorded as unknown (so every allow is lower confidence, never dropped).
Statements naming actions that are not in the IAM catalog are collected for FG112.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from faasguard.analysis.iam import managed
from faasguard.analysis.iam.catalog import ActionCatalog, get_catalog
from faasguard.analysis.iam.facts import Effect, Grant, RoleAccess, UnknownAction
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Application, Policy, PolicyDocument, PolicyKind, Role, Unknown


def _known(values: Iterable[str | Unknown]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known: list[str] = []
    unknown: list[str] = []
    for v in values:
        if isinstance(v, Unknown):
            unknown.append(v.reason)
        else:
            known.append(v.strip())
    return tuple(known), tuple(unknown)


def grants_of(policy: Policy, document: PolicyDocument | None = None) -> list[Grant]:
    """The statements of one policy as grants (identity-policy statements only: no Principal)."""
    doc = document or policy.document
    if doc is None:
        return []
    out: list[Grant] = []
    for st in doc.statements:
        if not isinstance(st.effect, str) or st.effect.lower() not in ("allow", "deny"):
            continue
        actions, ua = _known(st.actions)
        not_actions = None
        un: tuple[str, ...] = ()
        if st.not_actions is not None:
            not_actions, un = _known(st.not_actions)
        resources, ur = _known(st.resources)
        not_resources = None
        unr: tuple[str, ...] = ()
        if st.not_resources is not None:
            not_resources, unr = _known(st.not_resources)
        out.append(Grant(
            effect=Effect.ALLOW if st.effect.lower() == "allow" else Effect.DENY,
            actions=actions, not_actions=not_actions, resources=resources, not_resources=not_resources,
            conditions=st.conditions, statement=st, policy=policy, unknown=ua + un + ur + unr))
    return out


def _document(policy: Policy) -> tuple[PolicyDocument | None, bool]:
    """The policy's document and whether it is complete (False: the policy may allow more than we see)."""
    if policy.document is not None and (policy.document.statements or policy.kind is not PolicyKind.AWS_MANAGED):
        return policy.document, policy.document.unresolved is None
    if policy.kind is PolicyKind.AWS_MANAGED:
        found = managed.lookup(policy.arn if isinstance(policy.arn, str) else policy.name)
        if found is not None:
            return found.document, not found.abridged
    return None, False


def _boundary(role: Role, app: Application) -> tuple[tuple[Grant, ...] | None, str | None]:
    b = role.permissions_boundary
    if b is None:
        return None, None
    if isinstance(b, Unknown):
        return None, f"permission boundary not resolvable ({b.reason})"
    found = managed.lookup(b) if managed.is_aws_managed_arn(b) else None
    if found is not None:
        pol = Policy(found.name, PolicyKind.AWS_MANAGED, role.loc("permissions_boundary"), found.document, b)
        return tuple(g for g in grants_of(pol) if g.effect is Effect.ALLOW), None
    # A managed policy of this application, referenced by logical id / symbolic ARN.
    for other in app.roles:
        for pol in other.policies:
            if pol.id and pol.document is not None and pol.id in b:
                return tuple(g for g in grants_of(pol) if g.effect is Effect.ALLOW), None
    return None, f"permission boundary {b} is not visible here"


def evaluate_role(role: Role, app: Application, functions: tuple[str, ...]) -> RoleAccess:
    allows: list[Grant] = []
    denies: list[Grant] = []
    opaque: list[str] = []
    if role.external:
        opaque.append(f"role {role.id} is not defined in this source")
    for policy in role.policies:
        doc, complete = _document(policy)
        if not complete:
            opaque.append(policy.name)
        if doc is None:
            continue
        for g in grants_of(policy, doc):
            (allows if g.effect is Effect.ALLOW else denies).append(g)
    boundary, boundary_unknown = _boundary(role, app)
    return RoleAccess(role=role, functions=functions, allows=tuple(allows), denies=tuple(denies),
                      boundary=boundary, boundary_unknown=boundary_unknown, opaque=tuple(opaque))


def evaluate_roles(app: Application) -> dict[str, RoleAccess]:
    by_role: dict[str, list[str]] = {}
    for fn in app.functions:
        if isinstance(fn.role, str):
            by_role.setdefault(fn.role, []).append(fn.id)
    for c in app.containers:
        for r in (c.task_role,):
            if isinstance(r, str):
                by_role.setdefault(r, []).append(c.task or c.id)
    return {role.id: evaluate_role(role, app, tuple(dict.fromkeys(by_role.get(role.id, ()))))
            for role in app.roles}


def unknown_actions(access: Iterable[RoleAccess], catalog: ActionCatalog | None = None) -> list[UnknownAction]:
    """Action names (or patterns) that match nothing in the IAM catalog: IAM ignores them without a word."""
    cat = catalog or get_catalog()
    out: list[UnknownAction] = []
    seen: set[tuple[int, str]] = set()
    for ra in access:
        for g in (*ra.allows, *ra.denies):
            if g.policy.kind is PolicyKind.AWS_MANAGED:
                continue
            for pattern in (g.not_actions if g.not_actions is not None else g.actions):
                key = (id(g.statement), pattern.lower())
                if key in seen or pattern == "*" or "${" in pattern:
                    continue
                seen.add(key)
                if cat.expand(pattern):
                    continue
                prefix, sep, _name = pattern.partition(":")
                unknown_service = not sep or ("*" not in prefix and "?" not in prefix and
                                              not cat.has_service(prefix))
                out.append(replace(UnknownAction(pattern, g), unknown_service=unknown_service,
                                   suggestion=_suggest(pattern, cat, unknown_service)))
    return out


def _suggest(pattern: str, cat: ActionCatalog, unknown_service: bool) -> str | None:
    from difflib import get_close_matches  # only for the rare unknown action: not part of every scan's start-up

    prefix, sep, name = pattern.partition(":")
    if not sep:
        return None
    if unknown_service:
        close = get_close_matches(prefix.lower(), cat.services(), n=1, cutoff=0.75)
        if close:
            fixed = f"{close[0]}:{name}"
            return cat.canonical(fixed) or fixed
        return None
    if "*" in name or "?" in name:
        return None
    names = {a.partition(":")[2].lower(): a for a in cat.actions_of(prefix)}
    close = get_close_matches(name.lower(), list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def policy_diagnostics(app: Application) -> list[Diagnostic]:
    """Unreadable policy documents (malformed JSON strings, intrinsics we cannot resolve), one per policy."""
    out: list[Diagnostic] = []
    for role in app.roles:
        for pol in role.policies:
            doc = pol.document
            if doc is not None and doc.unresolved is not None:
                out.append(Diagnostic(DiagnosticKind.UNRESOLVED,
                                      f"policy {pol.name} of role {role.id}: {doc.unresolved.reason}; the IAM "
                                      "analysis uses only the statements it could read",
                                      doc.unresolved.location or doc.location, DiagnosticLevel.WARNING, "iam"))
    return out
