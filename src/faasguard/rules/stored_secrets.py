"""Secrets kept where they are not protected as secrets: FG209 (secret-in-stage-variables), FG210
(public-secret-policy).

FG209 reuses FG201's classifier (`rules.secrets.classify`) on purpose: a stage variable or an SSM `String`
parameter named `DB_PASSWORD` is judged exactly like an environment variable of that name, so the two rules
never disagree about what a secret looks like. FG210 reuses the public-source test of `rules._common`, so
"open to anyone" means the same for a secret's policy as for a bucket's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import EnvVar, Resource, ResourceCategory, Unknown
from faasguard.rules._common import (
    denied_to_public,
    join_names,
    open_to_anyone,
    statement_covers,
    statement_dict,
)
from faasguard.rules.base import Rule, RuleContext, register
from faasguard.rules.secrets import SecretVerdict, classify

# ----------------------------------------------------------------------------------------- FG209

# Words a CloudFormation logical id adds to say "this is a parameter" (`DbPasswordParameter`); they are
# stripped before the name is judged, or the classifier would read the id as the *name of* a secret.
_PARAMETER_WORDS = re.compile(r"(?:Ssm)?(?:Parameter|Param)(?:Store)?$")


def _parameter_name(resource: Resource) -> str:
    """The name the classifier judges: the parameter's own `Name` when known (`/orders/db/password`), else
    its logical id / Terraform address without the trailing `Parameter`."""
    if isinstance(resource.name, str) and resource.name.strip():
        return resource.name
    local = resource.id.rsplit(".", 1)[-1]
    return _PARAMETER_WORDS.sub("", local) or local


@register
class SecretInStageVariables(Rule):
    """Flags a credential kept in API Gateway stage variables or in a plaintext SSM parameter.

    ## What it does
    Judges API Gateway stage variables (`Variables` of a REST stage, deployment or SAM `Api`,
    `StageVariables` of an HTTP API stage, Terraform `variables` / `stage_variables`) and SSM parameters of
    type `String` or `StringList` (`AWS::SSM::Parameter`, which CloudFormation cannot create as
    `SecureString`, and `aws_ssm_parameter`) with the same classifier as FG201: a secret-looking name
    (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`) with a plaintext literal value, a value with a known
    key shape (AWS access key ids, `sk_live_` keys, private-key headers, a URL with `user:password@`), or a
    copied secret attribute (`!GetAtt AccessKey.SecretAccessKey`). Values it cannot resolve (a `!Ref` to a
    parameter, `var.x`), references (`{{resolve:...}}`, ARNs, paths) and placeholders are not reported, and
    `SecureString` parameters are the fix, not a finding. The value is never shown in the report.

    ## Why is this bad?
    Stage variables are plain configuration: anyone allowed `apigateway:GET` on the API reads them, they are
    passed to every integration, and they sit in the template and the stack history. A `String` SSM
    parameter is stored unencrypted and readable by every principal allowed `ssm:GetParameter*` on it, with
    no KMS key policy to narrow who may decrypt it.

    ## Example
    ```yaml
    Resources:
      OrdersApi:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: orders
      OrdersApiStage:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: !Ref OrdersApi
          DeploymentId: a1b2c3
          StageName: prod
          Variables:
            PAYMENT_API_KEY: 9fK2xQ7mLp4vR8tZ1wYc
    ```

    ## Fix
    ```yaml
    Resources:
      OrdersApi:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: orders
      OrdersApiStage:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: !Ref OrdersApi
          DeploymentId: a1b2c3
          StageName: prod
          Variables:
            PAYMENT_API_KEY_SECRET_ARN: !Ref PaymentApiKeySecret
    ```
    """

    id = "FG209"
    name = "secret-in-stage-variables"
    summary = "credential in API Gateway stage variables or a plaintext SSM parameter"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-312"
    owasp = "SAS-7"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        no_echo_defaults = {str(p.default) for p in ctx.app.parameters
                            if p.no_echo and p.has_default and p.default not in (None, "")}
        yield from self._stage_variables(ctx, no_echo_defaults)
        yield from self._parameters(ctx, no_echo_defaults)

    def _stage_variables(self, ctx: RuleContext, no_echo_defaults: set[str]) -> Iterator[Finding]:
        # A SAM `Globals` variable is one node every stage inherits: one finding naming them all.
        hits: dict[tuple[str, int, int, str], tuple[EnvVar, SecretVerdict, list[str], list[str], set[str]]] = {}
        for api in ctx.app.apis:
            functions = {t.function for t in ctx.app.triggers if t.api == api.id and isinstance(t.function, str)}
            for stage in api.stages:
                for var in stage.variables:
                    if _is_no_echo(var, no_echo_defaults):
                        continue
                    key = (var.location.path, var.location.line, var.location.column, var.name)
                    if key not in hits:
                        verdict = classify(var)
                        if verdict is None:
                            continue
                        hits[key] = (var, verdict, [], [], set())
                    hits[key][2].append(f"stage {stage.name} of API {api.id}")
                    hits[key][3].append(stage.id or api.id)
                    hits[key][4].update(functions)
        for var, verdict, stages, resources, functions in hits.values():
            who = stages[0] if len(stages) == 1 else f"{len(stages)} stages ({', '.join(stages)})"
            yield self.finding(
                f"{who}: stage variable {var.name} {verdict.why}",
                var.location, resources[0], function=sorted(functions) or None, confidence=verdict.confidence,
                fix=(f"Keep the secret in Secrets Manager or SSM Parameter Store (SecureString), pass only "
                     f"its name or ARN (e.g. {var.name}_SECRET_ARN) and let the integration's function "
                     "fetch it; rotate the exposed secret."))

    def _parameters(self, ctx: RuleContext, no_echo_defaults: set[str]) -> Iterator[Finding]:
        for resource in ctx.app.resources:
            settings = resource.parameter
            if resource.category is not ResourceCategory.PARAMETER or settings is None:
                continue
            kind = settings.type
            if isinstance(kind, Unknown) or (isinstance(kind, str) and kind.strip().lower() == "securestring"):
                continue
            if not isinstance(settings.value, str) and settings.from_secret_attribute is None:
                continue
            where = resource.loc("parameter.value")
            value = settings.value if settings.value is not None else ""
            var = EnvVar(_parameter_name(resource), value, where,
                         from_secret_attribute=settings.from_secret_attribute)
            if _is_no_echo(var, no_echo_defaults):
                continue
            verdict = classify(var)
            if verdict is None:
                continue
            type_text = kind or "String"
            yield self.finding(
                f"SSM parameter {resource.id} ({type_text}, stored unencrypted) {verdict.why}",
                where, resource.id, confidence=verdict.confidence,
                fix=("Store the value as a `SecureString` parameter (Terraform `type = \"SecureString\"`; "
                     "CloudFormation cannot create one, so create it outside the template or use a Secrets "
                     "Manager secret with a generated value) and rotate the exposed secret."))


def _is_no_echo(var: EnvVar, no_echo_defaults: set[str]) -> bool:
    """A `!Ref` to a NoEcho parameter resolved to its default: the right pattern, as FG201 treats it."""
    return isinstance(var.value, str) and var.value in no_echo_defaults and not var.from_secret_attribute


# ----------------------------------------------------------------------------------------- FG210

# What anyone must not be able to do to a secret or a key, by resource category; the first group are reads
# of the protected value (critical when open), the rest change or destroy it (high).
_SECRET_ACTIONS: dict[ResourceCategory, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ResourceCategory.SECRET: (
        ("secretsmanager:GetSecretValue",),
        ("secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:PutResourcePolicy",
         "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret", "secretsmanager:RotateSecret")),
    ResourceCategory.KMS_KEY: (
        ("kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant"),
        ("kms:Encrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey",
         "kms:DescribeKey")),
}
_NOUNS = {ResourceCategory.SECRET: "secret", ResourceCategory.KMS_KEY: "KMS key"}


@register
class PublicSecretPolicy(Rule):
    """Flags a Secrets Manager secret or KMS key whose resource policy lets anyone use it.

    ## What it does
    Reads the resource policy of each secret (`AWS::SecretsManager::ResourcePolicy`,
    `aws_secretsmanager_secret_policy`, the `policy` argument of `aws_secretsmanager_secret`) and each KMS key
    (`KeyPolicy`, `aws_kms_key.policy`, `aws_kms_key_policy`), and reports an `Allow` for any principal
    (`"*"` or `AWS: "*"`) with no condition narrowing who may call (`aws:PrincipalOrgID`,
    `aws:PrincipalAccount`, `aws:SourceVpce`, `kms:CallerAccount`...), unless a `Deny` for everyone in the
    same policy leaves the action only to a restricted caller. Critical when the statement lets anyone read
    the protected value (`secretsmanager:GetSecretValue`, `kms:Decrypt`, `kms:CreateGrant`), high when it
    lets anyone change, describe or delete it. An unresolved principal or condition is never read as public,
    and a secret policy put with `BlockPublicPolicy: true` is not reported (Secrets Manager refuses it).
    The key policy's usual `arn:aws:iam::${AWS::AccountId}:root` statement names the account, not anyone.

    ## Why is this bad?
    A resource policy grants across accounts by itself: with `Principal: "*"`, any AWS principal in any
    account can call the secret or the key directly, without any permission in your account. A public
    `GetSecretValue` publishes the secret; a public `kms:Decrypt` makes every ciphertext under the key
    readable by whoever obtains it.

    ## Example
    ```yaml
    Resources:
      DbSecret:
        Type: AWS::SecretsManager::Secret
        Properties:
          GenerateSecretString:
            PasswordLength: 32
      DbSecretPolicy:
        Type: AWS::SecretsManager::ResourcePolicy
        Properties:
          SecretId: !Ref DbSecret
          ResourcePolicy:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal: "*"
                Action: secretsmanager:GetSecretValue
                Resource: "*"
    ```

    ## Fix
    ```yaml
    Resources:
      DbSecret:
        Type: AWS::SecretsManager::Secret
        Properties:
          GenerateSecretString:
            PasswordLength: 32
      DbSecretPolicy:
        Type: AWS::SecretsManager::ResourcePolicy
        Properties:
          SecretId: !Ref DbSecret
          BlockPublicPolicy: true
          ResourcePolicy:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal:
                  AWS: !GetAtt ReportsFunctionRole.Arn
                Action: secretsmanager:GetSecretValue
                Resource: "*"
    ```
    """

    id = "FG210"
    name = "public-secret-policy"
    summary = "Secrets Manager secret or KMS key whose resource policy lets anyone use it"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-732"
    owasp = "SAS-7"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for resource in ctx.app.resources:
            spec = _SECRET_ACTIONS.get(resource.category)
            policy = resource.resource_policy
            if spec is None or policy is None or resource.public_policy_blocked is True:
                continue
            reads, others = spec
            for stmt in policy.statements:
                if not open_to_anyone(stmt):
                    continue
                read = [a for a in reads if statement_covers(stmt, a) and not denied_to_public(policy, a)]
                other = [a for a in others if statement_covers(stmt, a) and not denied_to_public(policy, a)]
                if not read and not other:
                    continue
                noun = _NOUNS[resource.category]
                owner = stmt.location.logical_id or resource.id
                message = (f"the resource policy of {noun} {resource.id} lets any principal in any account call "
                           f"{join_names(read + other)} with no condition on who calls")
                if read:
                    message += "; critical because anyone can read the protected value"
                yield self.finding(
                    message, stmt.location, owner, severity=Severity.CRITICAL if read else self.severity,
                    statement=statement_dict(stmt),
                    fix=(f"Name the principals that need the {noun} (a role ARN, your account root) instead of "
                         "`*`, or add a condition on `aws:PrincipalOrgID` / `aws:PrincipalAccount`"
                         + (" / `kms:CallerAccount`" if resource.category is ResourceCategory.KMS_KEY else "")
                         + "."))
