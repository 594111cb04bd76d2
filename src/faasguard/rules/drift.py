"""FG113, FG211, FG315, FG606: drift between a live account and the infrastructure-as-code that deploys it.

They read `facts.extra["drift"]` (a `faasguard.analysis.drift.DriftFacts`), which only
`faasguard audit --compare PATH` computes; on a plain scan or audit they never fire. The comparison and its
exactness rules (what is matched, why an unresolved template value never yields drift) live in
`faasguard.analysis.drift`; each rule here reports one kind of difference so it can be selected, ignored and
suppressed like any other family member.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.rules.base import Rule, RuleContext, register

if TYPE_CHECKING:
    from faasguard.analysis.drift import Drift


class _DriftRule(Rule):
    kind: ClassVar[str]
    """A `DriftKind` value. Spelled as its string so that importing the rules (every scan does) does not import
    the comparison, which only `audit --compare` runs."""
    fix_text: ClassVar[str]

    def judge(self, item: Drift) -> str | None:
        """The finding's message, or None when this difference is not a finding of this rule."""
        return item.message

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        facts = ctx.facts.extra.get("drift")
        if facts is None:
            return
        from faasguard.analysis.drift import DriftFacts

        if not isinstance(facts, DriftFacts):
            return
        for item in facts.items:
            if item.kind != self.kind:
                continue
            message = self.judge(item)
            if message is None:
                continue
            evidence = [EvidenceStep(f"live: {item.location.path}", item.location)]
            if item.declared is not None:
                evidence.append(EvidenceStep(f"declared in {facts.source}", item.declared))
            yield self.finding(message, item.location, item.resource, function=list(item.functions),
                               evidence=evidence, statement=item.statement, fix=self.fix_text)


@register
class PolicyDrift(_DriftRule):
    """
    ## What it does
    With `faasguard audit --compare PATH`, reports each permission a live execution role holds that the
    infrastructure-as-code at PATH does not declare for the function's role: an action or a resource outside
    every declared Allow statement, or a managed policy attached by hand. AWS managed policies declared in the
    template are compared by name; a declared statement whose resource the scanner cannot resolve (a `${...}`
    still in it, an unresolved reference) counts as granting any resource, so only provable widening is
    reported. A role whose declared policies cannot all be read is not compared.

    ## Why is this bad?
    A role widened in the console ("just to unblock the release") is invisible to every scan of the template,
    survives until someone deletes the stack, and is the first thing an attacker who reaches the function
    uses. The next deployment may not even revert it (CloudFormation only reverts what it manages).

    ## Example
    ```yaml
    # template.yaml declares
    Policies:
      - S3ReadPolicy: {BucketName: !Ref Uploads}
    # live, added with `aws iam put-role-policy ... --policy-document '{"Action": "iam:*", "Resource": "*"}'`
    ```

    ## Fix
    Remove the hand-made grant (or move it into the template, reviewed), then redeploy:
    ```console
    $ aws iam delete-role-policy --role-name ReportFunctionRole --policy-name hotfix
    ```
    """

    id = "FG113"
    name = "policy-drift"
    summary = "A live execution role grants permissions its infrastructure-as-code does not declare"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-269"
    owasp = "SAS-4"
    kind = "policy"
    fix_text = "remove the grant made outside the template, or declare it in the template and redeploy"


@register
class SecretDrift(_DriftRule):
    """
    ## What it does
    With `faasguard audit --compare PATH`, reports an environment variable of a live function that holds a
    plaintext secret (judged as FG201 judges it) and was added outside the infrastructure-as-code at PATH, or
    whose declared non-secret value was replaced by one. Values the template resolves at deploy time
    (`${...}`, references, `{{resolve:...}}`) are not compared; values are never printed.

    ## Why is this bad?
    A password pasted into the console's environment editor never passes code review and escapes the secret
    scanning of the repository; anyone with `lambda:GetFunctionConfiguration` reads it.

    ## Example
    ```console
    $ aws lambda update-function-configuration --function-name Report \\
        --environment 'Variables={DB_PASSWORD=Sup3rS3cret!}'
    ```

    ## Fix
    Remove the variable, store the secret in Secrets Manager or SSM (SecureString), grant the role read access
    to that one secret and fetch it at init; rotate the exposed value.
    """

    id = "FG211"
    name = "secret-drift"
    summary = "A plaintext secret was added to a live function's environment outside its infrastructure-as-code"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-798"
    owasp = "SAS-7"
    checklist = "C2"
    kind = "secret"
    fix_text = "remove the variable, keep the secret in Secrets Manager / SSM SecureString, and rotate it"

    def judge(self, item: Drift) -> str | None:
        """Only a variable that holds a secret (FG201's judgement) and did not already in the template (FG201
        reports that one on the template itself)."""
        from faasguard.rules.secrets import classify

        if item.variable is None:
            return None
        verdict = classify(item.variable)
        if verdict is None or (item.declared_variable is not None and classify(item.declared_variable)):
            return None
        return f"{item.message} and {verdict.why}"


@register
class ExposureDrift(_DriftRule):
    """
    ## What it does
    With `faasguard audit --compare PATH`, reports what exposes a live function beyond the infrastructure-as-code
    at PATH: a trigger (API route, function URL, bucket notification, queue mapping, subscription, rule) that
    the template does not declare, a resource-policy statement letting a principal invoke the function that
    the template grants no permission to, and a route or URL whose authorization is NONE live while the template
    declares an authorizer, IAM or an API key.

    ## Why is this bad?
    A function URL with `AuthType NONE` or a route whose authorizer was detached "for testing" makes an internal
    function public without any change to the reviewed code; a hand-added invoke permission lets another
    account or service call it.

    ## Example
    ```console
    $ aws lambda create-function-url-config --function-name Report --auth-type NONE
    ```

    ## Fix
    Delete the hand-made trigger, URL or permission (or declare it in the template, with authorization), then
    redeploy so the live API matches the reviewed one.
    """

    id = "FG315"
    name = "exposure-drift"
    summary = "A live function has a trigger, URL or invoke permission, or lacks an authorizer, unlike its IaC"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-284"
    owasp = "SAS-2"
    checklist = "C4"
    kind = "exposure"
    fix_text = "remove what was added outside the template (or declare it, with authorization) and redeploy"


@register
class LayerDrift(_DriftRule):
    """
    ## What it does
    With `faasguard audit --compare PATH`, reports a layer a live function runs that the infrastructure-as-code
    at PATH does not declare: a layer added by hand, another account's layer in place of the declared one, or a
    different version of a layer the template pins. A template layer given by an unresolved value is not
    compared.

    ## Why is this bad?
    A layer's code runs inside the function with its role and sees every event. Swapping a layer is a quiet way
    to ship unreviewed code (or a backdoor) into production without touching the function's package.

    ## Example
    ```console
    $ aws lambda update-function-configuration --function-name Report \\
        --layers arn:aws:lambda:us-east-1:999999999999:layer:helpers:3
    ```

    ## Fix
    Restore the declared layers (redeploy the stack) and find out who changed them; pin layers by full ARN with
    a version in the template.
    """

    id = "FG606"
    name = "layer-drift"
    summary = "A live function runs a layer its infrastructure-as-code does not declare (added or swapped)"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-829"
    owasp = "SAS-6"
    kind = "layer"
    fix_text = "restore the declared layers by redeploying, and pin layers by full ARN and version"
