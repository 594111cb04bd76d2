"""Known IAM privilege-escalation methods and the check of a role against them.

The catalog is data: each method lists what it needs (every action in `needs`), why it escalates, and where
the method is documented (`source`). The methods follow the publicly documented research (Rhino Security
Labs' "AWS IAM Privilege Escalation -- Methods and Mitigation", its follow-ups, and the AWS documentation of
each API); wording here is ours.

Two kinds of method:
- *broad* methods need each action granted on a wildcard resource (or on the role itself): creating a function
  with any role, updating any function's code. Scoped to one named resource they are ordinary work.
- *principal* methods (`targets` set) act on another IAM principal: attaching or writing a policy, adding to a
  group, minting keys or passwords, rewriting a trust policy. Scoped to NAMED users, groups or roles they still
  hand those principals any policy, so a named resource counts too and is reported by name
  (`Escalation.targets`). A condition that bounds what may be attached (`iam:PolicyARN`,
  `iam:PermissionsBoundary`) neutralises them.

`iam:PassRole` is special: a grant constrained by an `iam:PassedToService` condition only counts for a method
whose service is in the condition's values (so AWSLambda_FullAccess's PassRole-to-Lambda enables the Lambda
methods but not the EC2 one). Grants with other conditions count, with lower confidence.
"""

from __future__ import annotations

from functools import lru_cache

from faasguard._record import record
from faasguard.analysis.iam.facts import Grant, RoleAccess, action_matches, resource_matches
from faasguard.model import Unknown

_RHINO = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
_RHINO_2 = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation-part-2/"
_LAMBDA_PASSROLE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
_SSM_SESSION = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html"
_ECS_EXEC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html"
_EC2_CONNECT = "https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSSHPublicKey.html"


@record(slots=False)
class Method:
    id: str
    needs: tuple[str, ...]
    why: str
    passes_to: str | None = None
    """Service principal the role must be passable to (for methods that need iam:PassRole)."""
    source: str = _RHINO
    """Where the method is documented."""
    targets: str | None = None
    """For a principal method: the IAM resource type it acts on (`user`, `role`, `group`)."""
    named_ok: tuple[str, ...] = ()
    """Actions of a broad method for which one named resource is enough (swapping the role of ONE existing
    function is as good as any, once PassRole is broad)."""


METHODS: tuple[Method, ...] = (
    Method("create-policy-version", ("iam:CreatePolicyVersion",),
           "can publish a new default version of a customer managed policy attached to itself (or anyone), with "
           "any permissions, e.g. Action \"*\""),
    Method("set-default-policy-version", ("iam:SetDefaultPolicyVersion",),
           "can switch a managed policy to an older, more permissive version"),
    Method("attach-role-policy", ("iam:AttachRolePolicy",),
           "can attach AdministratorAccess to a role it can use", targets="role"),
    Method("attach-user-policy", ("iam:AttachUserPolicy",),
           "can attach AdministratorAccess to an IAM user whose credentials it can get", targets="user"),
    Method("attach-group-policy", ("iam:AttachGroupPolicy",),
           "can attach AdministratorAccess to a group of a user it controls", targets="group"),
    Method("put-role-policy", ("iam:PutRolePolicy",),
           "can write an inline policy granting \"*\" on a role it can use", targets="role"),
    Method("put-user-policy", ("iam:PutUserPolicy",), "can write an inline admin policy on an IAM user",
           targets="user"),
    Method("put-group-policy", ("iam:PutGroupPolicy",), "can write an inline admin policy on a group",
           targets="group"),
    Method("add-user-to-group", ("iam:AddUserToGroup",), "can add a user it controls to a privileged group",
           targets="group"),
    Method("create-access-key", ("iam:CreateAccessKey",),
           "can mint long-lived access keys for other IAM users, admins included", targets="user"),
    Method("create-login-profile", ("iam:CreateLoginProfile",),
           "can set a console password for a user that has none and log in as that user", targets="user"),
    Method("update-login-profile", ("iam:UpdateLoginProfile",),
           "can reset another user's console password and log in as that user", targets="user"),
    Method("update-assume-role-policy", ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
           "can rewrite a privileged role's trust policy to trust itself, then assume that role", targets="role"),
    Method("assume-any-role", ("sts:AssumeRole",),
           "can assume any role in the account (and other accounts') whose trust policy allows the account"),
    Method("passrole-lambda-create-invoke", ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
           "can create a function running with a more privileged role and invoke it", "lambda.amazonaws.com"),
    Method("passrole-lambda-create-esm", ("iam:PassRole", "lambda:CreateFunction",
                                          "lambda:CreateEventSourceMapping"),
           "can create a function with a more privileged role and have an event source trigger it",
           "lambda.amazonaws.com"),
    Method("passrole-lambda-create-permission", ("iam:PassRole", "lambda:CreateFunction", "lambda:AddPermission"),
           "can create a function with a more privileged role and let itself (or anyone) invoke it",
           "lambda.amazonaws.com", _LAMBDA_PASSROLE),
    Method("passrole-lambda-create-url", ("iam:PassRole", "lambda:CreateFunction",
                                          "lambda:CreateFunctionUrlConfig"),
           "can create a function with a more privileged role and give it a public URL to call",
           "lambda.amazonaws.com", _LAMBDA_PASSROLE),
    Method("passrole-lambda-update-configuration", ("iam:PassRole", "lambda:UpdateFunctionConfiguration"),
           "can swap the execution role of an existing function for a more privileged one (its next invocation "
           "runs with it)", "lambda.amazonaws.com", _RHINO_2, named_ok=("lambda:UpdateFunctionConfiguration",)),
    Method("update-function-code", ("lambda:UpdateFunctionCode",),
           "can replace the code of other functions, which then runs with their roles"),
    Method("update-function-configuration", ("lambda:UpdateFunctionConfiguration",),
           "can attach a layer or change the handler/environment of other functions to run its own code with "
           "their roles", source=_RHINO_2),
    Method("passrole-ec2-run-instances", ("iam:PassRole", "ec2:RunInstances"),
           "can start an instance with a privileged instance profile and read its credentials",
           "ec2.amazonaws.com"),
    Method("passrole-cloudformation", ("iam:PassRole", "cloudformation:CreateStack"),
           "can deploy a stack with a privileged service role that creates whatever it wants",
           "cloudformation.amazonaws.com"),
    Method("passrole-glue-dev-endpoint", ("iam:PassRole", "glue:CreateDevEndpoint"),
           "can create a Glue dev endpoint with a privileged role and SSH into it", "glue.amazonaws.com"),
    Method("glue-update-dev-endpoint", ("glue:UpdateDevEndpoint",),
           "can add its SSH key to an existing Glue dev endpoint and use that endpoint's role"),
    Method("passrole-datapipeline", ("iam:PassRole", "datapipeline:CreatePipeline",
                                     "datapipeline:PutPipelineDefinition"),
           "can run arbitrary commands in a pipeline with a privileged role", "datapipeline.amazonaws.com"),
    Method("passrole-codebuild", ("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"),
           "can run a build with a privileged service role", "codebuild.amazonaws.com", _RHINO_2),
    Method("passrole-sagemaker-notebook", ("iam:PassRole", "sagemaker:CreateNotebookInstance",
                                           "sagemaker:CreatePresignedNotebookInstanceUrl"),
           "can open a notebook running with a privileged role", "sagemaker.amazonaws.com", _RHINO_2),
    Method("ssm-send-command", ("ssm:SendCommand",),
           "can run commands on EC2 instances and use their instance roles", source=_SSM_SESSION),
    Method("ssm-start-session", ("ssm:StartSession",),
           "can open a shell on managed instances and use their instance roles", source=_SSM_SESSION),
    Method("ecs-execute-command", ("ecs:ExecuteCommand",),
           "can open a shell in running ECS tasks and use their task roles", source=_ECS_EXEC),
    Method("ec2-instance-connect", ("ec2-instance-connect:SendSSHPublicKey",),
           "can push an SSH key to instances and use their instance roles", source=_EC2_CONNECT),
)

_BOUNDING_CONDITIONS = ("iam:policyarn", "iam:permissionsboundary")
"""Condition keys that bound what a principal method may attach (`iam:PolicyARN` limits the policies,
`iam:PermissionsBoundary` caps whatever is attached)."""


@record(slots=False)
class Escalation:
    method: Method
    grants: tuple[Grant, ...]
    conditional: bool
    targets: tuple[str, ...] = ()
    """For a principal method usable only on named principals: their ARNs or references (the finding names
    them); empty when it is usable on any principal."""


def _self_arns(ra: RoleAccess) -> tuple[str, ...]:
    out = [f"${{{ra.role.id}.Arn}}", f"${{{ra.role.id}}}"]
    if isinstance(ra.role.arn, str):
        out.append(ra.role.arn)
    return tuple(out)


def _passed_to(grant: Grant) -> tuple[str, ...] | None:
    """Services a PassRole grant is restricted to (None: not restricted)."""
    values: list[str] = []
    found = False
    for op, vals in grant.condition_values("iam:PassedToService"):
        if "equals" in op.lower() or "like" in op.lower():
            found = True
            values.extend(v for v in vals if not isinstance(v, Unknown))
    return tuple(values) if found else None


def _bounded(grant: Grant) -> bool:
    return any(key.lower() in _BOUNDING_CONDITIONS for body in grant.conditions.values() for key in body)


def _usable_grants(ra: RoleAccess, action: str, method: Method,
                   selves: tuple[str, ...]) -> tuple[list[Grant], list[str]]:
    """The grants of `action` that serve `method`, and the named principals they are limited to (empty when
    one of them is broad). `selves` is `_self_arns(ra)`, computed once per role by the caller."""
    out: list[Grant] = []
    named: list[str] = []
    for g in ra.grants_for(action):
        if g.execution_policy:
            continue
        if not _broad(g, selves):
            named_allowed = method.targets is not None or action.lower() in (a.lower() for a in method.named_ok)
            if not named_allowed or _bounded(g) or not g.resources:
                continue
            named.extend(r for r in g.resources if r not in named)
        if action.lower() == "iam:passrole" and method.passes_to is not None:
            services = _passed_to(g)
            if services is not None and not any(action_matches(s, method.passes_to) for s in services):
                continue
        targets = g.wildcard_resources() or g.resources
        if not any(ra.access(action, t).allowed for t in targets[:3]):
            continue
        out.append(g)
    if any(_broad(g, selves) for g in out):
        named = []
    return out, named


def _broad(grant: Grant, selves: tuple[str, ...]) -> bool:
    """Granted on a wildcard, on the role itself, or on a whole path of resources."""
    return bool(grant.wildcard_resources()) \
        or any(resource_matches(r, s) for r in grant.resources for s in selves) \
        or any(r.endswith(("/*", ":*")) and "${" not in r for r in grant.resources)


def escalations(ra: RoleAccess) -> list[Escalation]:
    """Methods this role can use: each needed action granted broadly (wildcard resource or itself), or, for a
    principal method, on named principals (reported as `targets`).

    Memoised on the role access (FG105 and the attack graph both ask, for every role): the role access is
    frozen and its grants immutable, so the answer cannot change. A fresh list is returned each time."""
    memo: tuple[Escalation, ...] | None = ra.__dict__.get("_escalations")
    if memo is None:
        memo = tuple(_escalations(ra))
        object.__setattr__(ra, "_escalations", memo)
    return list(memo)


@lru_cache(maxsize=256)
def _services_of(needs: tuple[str, ...]) -> tuple[str, ...]:
    """The services (lower case) of the actions a method needs; () when one is not spelled `service:Action` in
    ASCII (then only `grants_for` can tell)."""
    services = []
    for action in needs:
        service, sep, _ = action.partition(":")
        if not sep or not service.isascii():
            return ()
        services.append(service.lower())
    return tuple(dict.fromkeys(services))


def _escalations(ra: RoleAccess) -> list[Escalation]:
    out: list[Escalation] = []
    selves = _self_arns(ra)
    services = ra.granted_services()
    for m in METHODS:
        if (services is not None and not services.issuperset(_services_of(m.needs))) \
                or not all(ra.grants_for(action) for action in m.needs):
            continue  # most roles grant none of the management actions: no per-grant work
        per_action: list[list[Grant]] = []
        targets: list[str] = []
        for action in m.needs:
            usable, named = _usable_grants(ra, action, m, selves)
            if not usable:
                break
            per_action.append(usable)
            targets.extend(t for t in named if t not in targets)
        else:
            grants = tuple(dict.fromkeys(g for gs in per_action for g in gs))
            conditional = any(all(g.conditional and not (action.lower() == "iam:passrole" and _passed_to(g))
                                  for g in gs) for action, gs in zip(m.needs, per_action, strict=True))
            out.append(Escalation(m, grants, conditional, tuple(targets)))
    # A method subsumed by a simpler one with the same key action adds nothing for the reader.
    names = {e.method.id for e in out}
    if "passrole-lambda-create-invoke" in names:
        out = [e for e in out if e.method.id not in ("passrole-lambda-create-esm",
                                                      "passrole-lambda-create-permission",
                                                      "passrole-lambda-create-url")]
    if "assume-any-role" in names:
        out = [e for e in out if e.method.id != "update-assume-role-policy"]
    if "update-function-configuration" in names:
        out = [e for e in out if e.method.id != "passrole-lambda-update-configuration"]
    return out
