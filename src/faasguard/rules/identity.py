"""Cognito settings that hand out more trust than intended: FG312 (weak-user-pool).

Three checks under one rule because they are one question, "how cheaply does a caller become a trusted user
of this app": a guessable password, a privilege the user writes into their own token, or AWS credentials
handed to anyone who asks the identity pool.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import (
    Application,
    PolicyKind,
    Resource,
    ResourceCategory,
    Role,
    Statement,
    Unknown,
    UserPoolAttribute,
    UserPoolClient,
    UserPoolSettings,
)
from faasguard.rules._common import (
    allow_statements,
    editable_policies,
    is_wildcard_resource,
    join_names,
    known_strings,
    statement_dict,
)
from faasguard.rules.base import Rule, RuleContext, register

_MIN_LENGTH = 8
"""Cognito's own default and NIST SP 800-63B's minimum for user-chosen passwords."""

# Words that make a custom attribute carry authorization: a role, a group, a tenant, an admin flag.
_PRIVILEGED_WORDS = frozenset({
    "admin", "administrator", "role", "roles", "group", "groups", "permission", "permissions", "privilege",
    "privileges", "tenant", "tenantid", "superuser", "staff", "isadmin", "accesslevel", "scope", "scopes",
    "entitlement", "entitlements", "approver", "moderator",
})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

# Actions an anonymous browser client is meant to have (analytics, RUM, push endpoints): not over-broad on `*`.
_ANONYMOUS_CLIENT_ACTIONS = frozenset({
    "mobileanalytics:putevents", "cognito-sync:*", "rum:putrumevents", "mobiletargeting:putevents",
    "mobiletargeting:updateendpoint", "personalize:putevents",
})
_BROAD_MANAGED = frozenset({"AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "SecretsManagerReadWrite"})


def privileged_attribute(name: str) -> bool:
    """`custom:role`, `custom:isAdmin`, `custom:tenant_id`, `custom:accessLevel`: an attribute whose name says
    it decides what the user may do."""
    local = name.split(":", 1)[-1]
    words = [w.lower() for part in re.split(r"[^A-Za-z0-9]+", local) for w in _WORD.findall(part)]
    joined = "".join(words)
    return joined in _PRIVILEGED_WORDS or any(w in _PRIVILEGED_WORDS for w in words)


def _writable(attribute: UserPoolAttribute, pool: UserPoolSettings) -> bool:
    """A user can set the attribute: it is mutable (UpdateUserAttributes), or users sign themselves up
    (SignUp takes every writable attribute, mutable or not). `AllowAdminCreateUserOnly` absent is Cognito's
    default, self sign-up on; an attribute whose mutability is not written is only judged through sign-up."""
    if attribute.developer_only is True:
        return False
    return attribute.mutable is True or pool.admin_create_user_only in (False, None)


def _client_writes(client: UserPoolClient, attribute: str) -> bool:
    if client.write_attributes is None:
        return True  # no WriteAttributes: Cognito lets the client write every attribute
    if isinstance(client.write_attributes, Unknown):
        return False
    return attribute in known_strings(client.write_attributes)


def _over_broad(role: Role) -> tuple[Statement | None, str] | None:
    """The first thing that makes a role too broad for anonymous callers: a wildcard action, `NotAction`, an
    action on every resource (beyond the analytics actions anonymous clients are meant to have), or a broad
    AWS managed policy. None when the role is scoped."""
    for policy in role.policies:
        if policy.kind is PolicyKind.AWS_MANAGED and (policy.name in _BROAD_MANAGED or
                                                       policy.name.endswith("FullAccess")):
            return None, f"the AWS managed policy {policy.name}"
    for policy in editable_policies(role):
        for stmt in allow_statements(policy):
            if stmt.not_actions is not None:
                return stmt, "an Allow with NotAction"
            actions = known_strings(stmt.actions)
            wild = [a for a in actions if a == "*" or a.endswith(":*")]
            wild = [a for a in wild if a.lower() not in _ANONYMOUS_CLIENT_ACTIONS]
            if wild:
                return stmt, f"the wildcard action {wild[0]}"
            if any(is_wildcard_resource(r) for r in known_strings(stmt.resources)):
                broad = [a for a in actions if a.lower() not in _ANONYMOUS_CLIENT_ACTIONS]
                if broad:
                    return stmt, f"{join_names(broad, 3)} on every resource"
    return None


@register
class WeakUserPool(Rule):
    """Flags Cognito settings that make becoming a trusted user cheap: a weak password policy, privileged
    attributes users write themselves, or an identity pool giving anonymous callers a broad role.

    ## What it does
    - A user pool (`AWS::Cognito::UserPool`, `aws_cognito_user_pool`) whose password policy sets a minimum
      length below 8 (Cognito's own default and NIST SP 800-63B's minimum). Medium.
    - An app client (`AWS::Cognito::UserPoolClient`, `aws_cognito_user_pool_client`) that lets users write a
      custom attribute whose name says it carries authorization (`custom:role`, `custom:isAdmin`,
      `custom:group`, `custom:tenant_id`, `custom:accessLevel`...): listed in `WriteAttributes`, or
      `WriteAttributes` absent (then every attribute is writable). Reported when users can set it, through
      `UpdateUserAttributes` (the attribute is mutable) or through self sign-up
      (`AllowAdminCreateUserOnly` not true). High.
    - An identity pool with `AllowUnauthenticatedIdentities: true` whose unauthenticated role grants a
      wildcard action, a `NotAction`, an action on every resource (beyond the analytics actions anonymous
      clients are meant to have: `mobileanalytics:PutEvents`, `rum:PutRumEvents`, `cognito-sync:*`...), or a
      broad AWS managed policy. High.
    Values that cannot be resolved (a `!Ref` minimum length, an unresolved `WriteAttributes`, a role outside
    the source) are not reported, and clients outside the source are never assumed.

    ## Why is this bad?
    Tokens carry user attributes to the API's authorizers and handlers, which trust them: a user who can
    write `custom:role=admin` into their own profile makes themselves an administrator. Short passwords fall
    to credential stuffing and guessing. An unauthenticated identity-pool role gives AWS credentials to
    anyone who asks, so whatever it allows, the internet is allowed.

    ## Example
    ```yaml
    Resources:
      ShopUserPool:
        Type: AWS::Cognito::UserPool
        Properties:
          Schema:
            - Name: role
              AttributeDataType: String
              Mutable: true
      ShopUserPoolClient:
        Type: AWS::Cognito::UserPoolClient
        Properties:
          UserPoolId: !Ref ShopUserPool
          WriteAttributes:
            - email
            - custom:role
    ```

    ## Fix
    ```yaml
    Resources:
      ShopUserPool:
        Type: AWS::Cognito::UserPool
        Properties:
          Schema:
            - Name: role
              AttributeDataType: String
              Mutable: true
      ShopUserPoolClient:
        Type: AWS::Cognito::UserPoolClient
        Properties:
          UserPoolId: !Ref ShopUserPool
          WriteAttributes:
            - email
    ```
    """

    id = "FG312"
    name = "weak-user-pool"
    summary = "Cognito user pool with weak passwords, user-writable privileged attributes or a broad guest role"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-287"
    owasp = "SAS-2"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for resource in ctx.app.resources:
            if resource.category is ResourceCategory.USER_POOL and resource.user_pool is not None:
                yield from self._password(resource, resource.user_pool)
                yield from self._attributes(resource, resource.user_pool)
            elif resource.category is ResourceCategory.IDENTITY_POOL and resource.identity_pool is not None:
                yield from self._guest_role(ctx.app, resource)

    def _password(self, resource: Resource, pool: UserPoolSettings) -> Iterator[Finding]:
        length = pool.minimum_length
        if not isinstance(length, int) or length >= _MIN_LENGTH:
            return
        yield self.finding(
            f"user pool {resource.id} accepts passwords of {length} characters (minimum length below "
            f"{_MIN_LENGTH})", resource.loc("user_pool.minimum_length"), resource.id, severity=Severity.MEDIUM,
            fix="Set `MinimumLength` (Terraform `minimum_length`) to at least 8, better 12 or more, and turn on "
                "threat protection (compromised-credential checks).")

    def _attributes(self, resource: Resource, pool: UserPoolSettings) -> Iterator[Finding]:
        if isinstance(pool.custom_attributes, Unknown):
            return
        privileged = [a for a in pool.custom_attributes if privileged_attribute(a.name) and _writable(a, pool)]
        if not privileged:
            return
        for client in pool.clients:
            written = [a.name for a in privileged if _client_writes(client, a.name)]
            if not written:
                continue
            how = "lists them in WriteAttributes" if client.write_attributes is not None \
                else "declares no WriteAttributes, so every attribute is writable"
            yield self.finding(
                f"app client {client.id} of user pool {resource.id} lets users write the privileged attribute(s) "
                f"{join_names(written)} into their own profile (the client {how})",
                client.write_location or client.location, client.id,
                fix=("List only the attributes users may change in `WriteAttributes` (Terraform "
                     "`write_attributes`), leaving out role, group and tenant attributes; set those with "
                     "AdminUpdateUserAttributes from a trusted back end, or use Cognito groups."))

    def _guest_role(self, app: Application, resource: Resource) -> Iterator[Finding]:
        settings = resource.identity_pool
        if settings is None or settings.allow_unauthenticated is not True:
            return
        role = app.role(settings.unauthenticated_role)
        if role is None or role.external:
            return
        broad = _over_broad(role)
        if broad is None:
            return
        stmt, why = broad
        location = stmt.location if stmt is not None else resource.loc("identity_pool.unauthenticated_role")
        yield self.finding(
            f"identity pool {resource.id} gives unauthenticated callers the role {role.id}, which grants {why}: "
            "anyone on the internet can obtain these AWS credentials",
            location, role.id, statement=statement_dict(stmt) if stmt is not None else None,
            fix=("Scope the unauthenticated role to the few actions and resources anonymous clients need (e.g. "
                 "`rum:PutRumEvents` on one app monitor), or set `AllowUnauthenticatedIdentities: false`."))
