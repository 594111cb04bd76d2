"""Known IAM privilege-escalation methods and the check of a role against them.

Each method lists what it needs (every action in `needs`, each granted on a wildcard resource or on the role
itself) and why it escalates. The list follows the publicly documented methods (Rhino Security Labs' AWS IAM
privilege-escalation research and the AWS documentation of each API); wording here is ours.

`iam:PassRole` is special: a grant constrained by an `iam:PassedToService` condition only counts for a method
whose service is in the condition's values (so AWSLambda_FullAccess's PassRole-to-Lambda enables the Lambda
methods but not the EC2 one). Grants with other conditions count, with lower confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from faasguard.analysis.iam.facts import Grant, RoleAccess, action_matches, resource_matches
from faasguard.model import Unknown


@dataclass(frozen=True)
class Method:
    id: str
    needs: tuple[str, ...]
    why: str
    passes_to: str | None = None
    """Service principal the role must be passable to (for methods that need iam:PassRole)."""


METHODS: tuple[Method, ...] = (
    Method("create-policy-version", ("iam:CreatePolicyVersion",),
           "can publish a new default version of a customer managed policy attached to itself (or anyone), with "
           "any permissions, e.g. Action \"*\""),
    Method("set-default-policy-version", ("iam:SetDefaultPolicyVersion",),
           "can switch a managed policy to an older, more permissive version"),
    Method("attach-role-policy", ("iam:AttachRolePolicy",),
           "can attach AdministratorAccess to its own role (or another role it can use)"),
    Method("attach-user-policy", ("iam:AttachUserPolicy",),
           "can attach AdministratorAccess to an IAM user whose credentials it can get"),
    Method("attach-group-policy", ("iam:AttachGroupPolicy",),
           "can attach AdministratorAccess to a group of a user it controls"),
    Method("put-role-policy", ("iam:PutRolePolicy",),
           "can write an inline policy granting \"*\" on its own role"),
    Method("put-user-policy", ("iam:PutUserPolicy",), "can write an inline admin policy on an IAM user"),
    Method("put-group-policy", ("iam:PutGroupPolicy",), "can write an inline admin policy on a group"),
    Method("add-user-to-group", ("iam:AddUserToGroup",), "can add a user it controls to a privileged group"),
    Method("create-access-key", ("iam:CreateAccessKey",),
           "can mint long-lived access keys for other IAM users, admins included"),
    Method("create-login-profile", ("iam:CreateLoginProfile",),
           "can set a console password for a user that has none and log in as that user"),
    Method("update-login-profile", ("iam:UpdateLoginProfile",),
           "can reset another user's console password and log in as that user"),
    Method("update-assume-role-policy", ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
           "can rewrite a privileged role's trust policy to trust itself, then assume that role"),
    Method("assume-any-role", ("sts:AssumeRole",),
           "can assume any role in the account (and other accounts') whose trust policy allows the account"),
    Method("passrole-lambda-create-invoke", ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
           "can create a function running with a more privileged role and invoke it", "lambda.amazonaws.com"),
    Method("passrole-lambda-create-esm", ("iam:PassRole", "lambda:CreateFunction",
                                          "lambda:CreateEventSourceMapping"),
           "can create a function with a more privileged role and have an event source trigger it",
           "lambda.amazonaws.com"),
    Method("update-function-code", ("lambda:UpdateFunctionCode",),
           "can replace the code of other functions, which then runs with their roles"),
    Method("update-function-configuration", ("lambda:UpdateFunctionConfiguration",),
           "can attach a layer or change the handler/environment of other functions to run its own code with "
           "their roles"),
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
           "can run a build with a privileged service role", "codebuild.amazonaws.com"),
    Method("passrole-sagemaker-notebook", ("iam:PassRole", "sagemaker:CreateNotebookInstance",
                                           "sagemaker:CreatePresignedNotebookInstanceUrl"),
           "can open a notebook running with a privileged role", "sagemaker.amazonaws.com"),
    Method("ssm-send-command", ("ssm:SendCommand",),
           "can run commands on EC2 instances and use their instance roles"),
    Method("ec2-instance-connect", ("ec2-instance-connect:SendSSHPublicKey",),
           "can push an SSH key to instances and use their instance roles"),
)


@dataclass(frozen=True)
class Escalation:
    method: Method
    grants: tuple[Grant, ...]
    conditional: bool


def _self_arns(ra: RoleAccess) -> list[str]:
    out = [f"${{{ra.role.id}.Arn}}", f"${{{ra.role.id}}}"]
    if isinstance(ra.role.arn, str):
        out.append(ra.role.arn)
    return out


def _passed_to(grant: Grant) -> tuple[str, ...] | None:
    """Services a PassRole grant is restricted to (None: not restricted)."""
    values: list[str] = []
    found = False
    for op, vals in grant.condition_values("iam:PassedToService"):
        if "equals" in op.lower() or "like" in op.lower():
            found = True
            values.extend(v for v in vals if not isinstance(v, Unknown))
    return tuple(values) if found else None


def _usable_grants(ra: RoleAccess, action: str, passes_to: str | None) -> list[Grant]:
    out = []
    selves = _self_arns(ra)
    for g in ra.grants_for(action):
        if g.execution_policy:
            continue
        broad = bool(g.wildcard_resources()) or any(resource_matches(r, s) for r in g.resources for s in selves) \
            or any(r.endswith(("/*", ":*")) and "${" not in r for r in g.resources)
        if not broad:
            continue
        if action.lower() == "iam:passrole" and passes_to is not None:
            services = _passed_to(g)
            if services is not None and not any(action_matches(s, passes_to) for s in services):
                continue
        targets = g.wildcard_resources() or g.resources
        if not any(ra.access(action, t).allowed for t in targets[:3]):
            continue
        out.append(g)
    return out


def escalations(ra: RoleAccess) -> list[Escalation]:
    """Methods this role can use. Each needed action must be granted broadly (wildcard resource or itself)."""
    out: list[Escalation] = []
    for m in METHODS:
        per_action: list[list[Grant]] = []
        for action in m.needs:
            usable = _usable_grants(ra, action, m.passes_to)
            if not usable:
                break
            per_action.append(usable)
        else:
            grants = tuple(dict.fromkeys(g for gs in per_action for g in gs))
            conditional = any(all(g.conditional and not (action.lower() == "iam:passrole" and _passed_to(g))
                                  for g in gs) for action, gs in zip(m.needs, per_action, strict=True))
            out.append(Escalation(m, grants, conditional))
    # A method subsumed by a simpler one with the same key action adds nothing for the reader.
    names = {e.method.id for e in out}
    if "passrole-lambda-create-invoke" in names:
        out = [e for e in out if e.method.id != "passrole-lambda-create-esm"]
    if "assume-any-role" in names:
        out = [e for e in out if e.method.id != "update-assume-role-policy"]
    return out
