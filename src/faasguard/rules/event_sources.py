"""The buckets, queues and topics that fire functions: who may write to them (FG311), and whether the function
writes back into its own trigger (FG407).

Both rules read only the model and the code facts: the trigger's source is found among the application's
resources by `rules._common.trigger_source` (id, name or ARN), the public judgement is the one FG403 and the
attack graph use (`rules._common.open_write`), and a handler's write target is resolved the way least-privilege
generation resolves it (an environment variable bound to a template resource, a reference, a literal name).
A source defined outside the configuration, a target we cannot resolve and a trigger filter we cannot compare
with the written key are Unknown: no finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from faasguard._record import record
from faasguard.analysis.public_sources import names_resource, open_write, trigger_source
from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.model import (
    Application,
    Destination,
    Function,
    Location,
    Resource,
    SourceKind,
    Trigger,
    TriggerKind,
    Unknown,
)
from faasguard.rules._common import join_names
from faasguard.rules.base import Rule, RuleContext, register

_SOURCE_KINDS = (TriggerKind.S3, TriggerKind.SQS, TriggerKind.SNS)
_NOUN = {TriggerKind.S3: "bucket", TriggerKind.SQS: "queue", TriggerKind.SNS: "topic"}
_VERB = {TriggerKind.S3: "write objects to it", TriggerKind.SQS: "send messages to it",
         TriggerKind.SNS: "publish to it"}


# ----------------------------------------------------------------------------------------- FG311


@register
class PublicEventSource(Rule):
    """Flags a bucket, queue or topic that anyone can write to and that triggers a function.

    ## What it does
    Reports each S3 bucket, SQS queue or SNS topic of the application that fires a function and whose
    resource policy lets any principal (`"*"`, `{AWS: "*"}`) write to it -- `s3:PutObject`,
    `sqs:SendMessage`, `sns:Publish`, or a wildcard that covers them -- with no condition that narrows who
    may call (`aws:SourceArn`, `aws:SourceAccount`, `aws:PrincipalOrgID`, `aws:SourceVpce`, a source IP
    range...), or a bucket with the legacy `PublicReadWrite` ACL. Block Public Access settings that void the
    policy or ACL, a Deny for everyone outside a network or organisation, and a source defined outside the
    configuration (whose policy we cannot see) are not reported. One finding per source, on the statement
    (or ACL) that opens it, naming every function it triggers.

    ## Why is this bad?
    The event is attacker data: anyone with an AWS account (or, for a bucket, anyone at all) can put an
    object, message or notification of their choosing in front of the function, at the volume they choose.
    Every injection flaw in the handler becomes reachable from outside, and every event costs you an
    invocation.

    ## Example
    ```yaml
    JobsQueuePolicy:
      Type: AWS::SQS::QueuePolicy
      Properties:
        Queues: [!Ref JobsQueue]
        PolicyDocument:
          Statement:
            - Effect: Allow
              Principal: "*"
              Action: sqs:SendMessage
              Resource: !GetAtt JobsQueue.Arn
    ```

    ## Fix
    ```yaml
    JobsQueuePolicy:
      Type: AWS::SQS::QueuePolicy
      Properties:
        Queues: [!Ref JobsQueue]
        PolicyDocument:
          Statement:
            - Effect: Allow
              Principal: {Service: sns.amazonaws.com}
              Action: sqs:SendMessage
              Resource: !GetAtt JobsQueue.Arn
              Condition:
                ArnEquals: {aws:SourceArn: !Ref OrdersTopic}
    ```
    """

    id = "FG311"
    name = "public-event-source"
    summary = "a bucket, queue or topic that anyone can write to triggers a function"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-284"
    owasp = "SAS-1"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        app = ctx.app
        by_source: dict[str, tuple[Resource, TriggerKind, list[Trigger]]] = {}
        for trigger in app.triggers:
            if trigger.kind not in _SOURCE_KINDS or not isinstance(trigger.function, str):
                continue
            resource = trigger_source(app, trigger)
            if resource is None:
                continue
            by_source.setdefault(resource.id, (resource, trigger.kind, []))[2].append(trigger)
        for resource, kind, triggers in by_source.values():
            opened = open_write(resource, kind)
            if opened is None:
                continue
            why, where = opened
            functions = list(dict.fromkeys(t.function for t in triggers if isinstance(t.function, str)))
            evidence = [EvidenceStep(f"anyone may {_VERB[kind].removesuffix(' to it')} ({why})", where)]
            evidence += [EvidenceStep(f"{kind.value} trigger {t.id} fires {t.function}", t.location)
                         for t in triggers]
            yield self.finding(
                f"{_NOUN[kind]} {resource.id} lets anyone {_VERB[kind]} ({why}) and triggers "
                f"{join_names(functions)}: every event it delivers is attacker data",
                where, resource.id, function=functions, evidence=evidence,
                fix="Name the producers instead of `*`: your account or a service principal with an "
                    "`aws:SourceArn` / `aws:SourceAccount` condition (or `aws:PrincipalOrgID`); for a bucket "
                    "also turn on Block Public Access and drop public-write ACLs.",
            )


# ----------------------------------------------------------------------------------------- FG407

# What writing to each kind of source means, as IAM actions of the handler's calls (so `send_message_batch`,
# `upload_fileobj`, `copy_object` and resource-style calls count as what they are).
_WRITE_ACTIONS: Mapping[TriggerKind, frozenset[str]] = {
    TriggerKind.S3: frozenset({"s3:PutObject"}),
    TriggerKind.SQS: frozenset({"sqs:SendMessage"}),
    TriggerKind.SNS: frozenset({"sns:Publish"}),
}
_INVOKE = frozenset({"lambda:InvokeFunction", "lambda:InvokeAsync"})
_TARGET_PARAMS = {"s3": ("Bucket",), "sqs": ("QueueUrl", "QueueName"), "sns": ("TopicArn", "TargetArn"),
                  "lambda": ("FunctionName",)}
_FROM_EVENT = "taken from the event"
_PRESIGNED = ("generate_presigned_url", "generate_presigned_post")
"""Signing a URL or an upload form is local work: whoever later uses it writes, not this run, so it starts no
loop (the role still needs the action for the signature to be honoured: FG107/`policy generate` count it)."""


@record
class _Loop:
    """One way a function re-triggers itself."""

    via: str
    """The bucket/queue/topic id, or the function itself for a direct invoke."""
    kind: TriggerKind | None
    """The trigger kind the loop goes through; None for a direct self-invocation."""
    location: Location
    evidence: tuple[EvidenceStep, ...]
    inferred: bool = False
    """The write target was taken from the event (the triggering bucket), not resolved from configuration."""
    destination: bool = False
    """The loop goes through the function's on-success destination, not a call in its code."""


def _write_target(fn: Function, app: Application, value: object) -> Resource | Function | str | Unknown:
    from faasguard.analysis.iam.least_privilege import call_target

    return call_target(value, fn, app)


def _key_matches(trigger: Trigger, key: object) -> bool | None:
    """Does an object written under `key` fire the S3 trigger? None when we cannot tell. A write is an
    `s3:ObjectCreated:*` event (Put, Copy or CompleteMultipartUpload as the call goes); a trigger on other event
    types only (removals, restores) never fires from it."""
    events = trigger.source_events
    if any(isinstance(e, Unknown) for e in events):
        return None
    if events and not any(isinstance(e, str) and (e.startswith("s3:ObjectCreated") or e == "s3:*")
                          for e in events):
        return False
    rules = trigger.event_filter
    if rules is None:
        return True
    if isinstance(rules, Unknown) or "pattern" in rules:
        return None
    if not isinstance(key, str):
        return None
    prefix, suffix = rules.get("prefix", ""), rules.get("suffix", "")
    if isinstance(prefix, Unknown) or isinstance(suffix, Unknown):
        return None
    return key.startswith(prefix) and key.endswith(suffix)


def _loops(fn: Function, app: Application, calls: tuple[object, ...]) -> list[_Loop]:
    from faasguard.analysis.code.facts import AwsCall
    from faasguard.analysis.iam.boto_map import actions_for

    sources: list[tuple[Trigger, Resource]] = []
    for trigger in app.triggers_of(fn.id):
        if trigger.kind in _SOURCE_KINDS:
            resource = trigger_source(app, trigger)
            if resource is not None:
                sources.append((trigger, resource))
    event_bucket = sources[0] if len(sources) == 1 and len(app.triggers_of(fn.id)) == 1 and \
        sources[0][0].kind is TriggerKind.S3 else None
    found: dict[str, _Loop] = {}
    for call in calls:
        if not isinstance(call, AwsCall) or call.method.startswith(_PRESIGNED):
            continue
        actions = set(actions_for(call.service, call.method, call.operation) or ())
        param = next((p for p in _TARGET_PARAMS.get(call.service, ()) if p in call.arguments), None)
        if param is None or not actions:
            continue
        value = call.arguments[param]
        where = f"{call.service}.{call.method}"
        if actions & _INVOKE:
            target = _write_target(fn, app, value)
            if isinstance(target, Function) and target.id == fn.id and fn.id not in found:
                found[fn.id] = _Loop(fn.id, None, call.location, (
                    EvidenceStep(f"{where} invokes {fn.id} itself", call.location),))
            continue
        for trigger, resource in sources:
            if not actions & _WRITE_ACTIONS[trigger.kind] or resource.id in found:
                continue
            inferred = False
            if isinstance(value, Unknown) and value.reason == _FROM_EVENT and event_bucket is not None \
                    and event_bucket[0] is trigger:
                inferred = True  # the bucket named by the S3 event that fired this very function
            elif not names_resource(_write_target(fn, app, value), resource):
                continue
            if trigger.kind is TriggerKind.S3:
                if _key_matches(trigger, call.arguments.get("Key")) is not True:
                    continue
            elif trigger.event_filter is not None:
                continue  # an SQS filter / SNS filter policy may drop what the function sends
            steps = [EvidenceStep(f"{trigger.kind.value} trigger {trigger.id}: {_NOUN[trigger.kind]} "
                                  f"{resource.id} fires {fn.id}", trigger.location)]
            steps += _binding(fn, value)
            steps.append(EvidenceStep(f"{where} writes to {_NOUN[trigger.kind]} {resource.id}"
                                      + (" (the bucket of the event that fired it)" if inferred else ""),
                                      call.location))
            found[resource.id] = _Loop(resource.id, trigger.kind, call.location, tuple(steps), inferred)
    _destination_loop(fn, app, fn.async_on_success, sources, found)
    return list(found.values())


def _binding(fn: Function, value: object) -> list[EvidenceStep]:
    from faasguard.analysis.code.facts import EnvRef

    if isinstance(value, EnvRef):
        env = next((e for e in fn.environment if e.name == value.name), None)
        if env is not None:
            return [EvidenceStep(f"environment variable {env.name} = {env.value}", env.location)]
    return []


def _destination_loop(fn: Function, app: Application, destination: Destination | None,
                      sources: list[tuple[Trigger, Resource]], found: dict[str, _Loop]) -> None:
    if destination is None or isinstance(destination.target, Unknown):
        return
    # Loaders name a destination of the same configuration by its id; anything else is resolved like a call
    # argument (a Terraform `${aws_sqs_queue.q.arn}`, an ARN spelled out).
    target = app.resource(destination.target) or app.function(destination.target) or \
        _write_target(fn, app, destination.target)
    where = fn.loc("async_on_success")
    if isinstance(target, Function) and target.id == fn.id:
        found.setdefault(f"{fn.id}#destination", _Loop(fn.id, None, where, (
            EvidenceStep(f"the on-success destination of {fn.id} is {fn.id} itself", where),), destination=True))
        return
    for trigger, resource in sources:
        if trigger.kind is TriggerKind.S3 or not names_resource(target, resource):
            continue  # S3 is not a Lambda destination type that re-fires a notification of the same bucket
        if trigger.event_filter is not None:
            continue
        found.setdefault(f"{resource.id}#destination", _Loop(resource.id, trigger.kind, where, (
            EvidenceStep(f"{trigger.kind.value} trigger {trigger.id}: {_NOUN[trigger.kind]} {resource.id} fires "
                         f"{fn.id}", trigger.location),
            EvidenceStep(f"the on-success destination of {fn.id} is {_NOUN[trigger.kind]} {resource.id}", where)),
            destination=True))


@register
class RecursiveInvocation(Rule):
    """Flags a function that writes to the bucket, queue or topic that triggers it, or invokes itself.

    ## What it does
    Reads the AWS calls of the function's handler (`put_object`, `upload_file`, `copy_object`,
    `send_message`, `publish`, `invoke`...) and resolves their target the way least-privilege generation
    does: an environment variable bound to a resource of the configuration (`QUEUE_URL: !Ref JobsQueue`,
    `aws_sqs_queue.jobs.url`), a reference, or a literal name. Reports the function when the target is the
    bucket, queue or topic of one of its own triggers, when it invokes itself (`FunctionName` from
    `AWS_LAMBDA_FUNCTION_NAME` or bound to the function), or when its asynchronous on-success destination is
    its own trigger's queue or topic, or itself. An S3 trigger only on other event types than object
    creation (removals, restores) is not a loop; one with a key filter (prefix/suffix) is a loop only when the
    written key is known and matches it; a presigned URL or upload form for the bucket
    (`generate_presigned_url`, `generate_presigned_post`) is not a write by the function (the client that
    uses it writes, once); an SQS filter or SNS filter policy, or a target we
    cannot resolve, is not reported. The bucket of the S3 event that fired the function counts as that
    bucket when the function has no other trigger (confidence medium). Medium; high when the function sets
    `RecursiveLoop: Allow` (SAM/CloudFormation) or `recursive_loop = "Allow"`
    (`aws_lambda_function_recursion_config`), which turns off Lambda's loop detection.

    ## Why is this bad?
    Each invocation produces the event that starts the next: the function runs, and bills, until someone
    notices. Lambda's recursive loop detection stops loops through SQS and SNS (since 2023) and S3 (since
    2024) after about 16 rounds, but only for supported runtimes and SDKs, not for direct `invoke` calls,
    and not at all when `RecursiveLoop` is set to `Allow`.

    ## Example
    ```yaml
    ResizeFunction:
      Type: AWS::Serverless::Function
      Properties:
        Environment:
          Variables:
            OUTPUT_BUCKET: !Ref ImagesBucket
        Events:
          Upload:
            Type: S3
            Properties: {Bucket: !Ref ImagesBucket, Events: s3:ObjectCreated:*}
    ```
    with a handler that calls `s3.put_object(Bucket=os.environ["OUTPUT_BUCKET"], ...)`.

    ## Fix
    ```yaml
    ResizeFunction:
      Type: AWS::Serverless::Function
      Properties:
        Environment:
          Variables:
            OUTPUT_BUCKET: !Ref ThumbnailsBucket
        Events:
          Upload:
            Type: S3
            Properties: {Bucket: !Ref ImagesBucket, Events: s3:ObjectCreated:*}
    ```
    Write to another bucket (or, when it must be the same bucket, filter the trigger on a prefix the function
    never writes under), and keep `RecursiveLoop` at its default, `Terminate`.
    """

    id = "FG407"
    name = "recursive-invocation"
    summary = "function that writes to the bucket/queue/topic that triggers it, or invokes itself"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-674"
    owasp = "SAS-8"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        app = ctx.app
        if app.source is SourceKind.CODE:
            return
        for fn in app.functions:
            handler = ctx.facts.handlers.get(fn.id)
            calls: tuple[object, ...] = tuple(handler.aws_calls) if handler is not None else ()
            for loop in _loops(fn, app, calls):
                yield self._report(fn, loop)

    def _report(self, fn: Function, loop: _Loop) -> Finding:
        allow = isinstance(fn.recursive_loop, str) and fn.recursive_loop.strip().lower() == "allow"
        evidence = list(loop.evidence)
        if loop.destination:
            target = "itself" if loop.kind is None else f"{_NOUN[loop.kind]} {loop.via}, which triggers it"
            message = f"the on-success destination of function {fn.id} is {target}: each success starts the next run"
        elif loop.kind is None:
            message = f"function {fn.id} invokes itself: each run starts the next"
        else:
            message = (f"function {fn.id} writes to {_NOUN[loop.kind]} {loop.via}, which triggers it: each run "
                       "starts the next")
        if allow:
            evidence.append(EvidenceStep("RecursiveLoop: Allow turns Lambda's loop detection off",
                                         fn.loc("recursive_loop")))
            message += "; high because RecursiveLoop is Allow, so Lambda's loop detection will not stop it"
        elif loop.kind is None:
            message += " (Lambda's loop detection does not cover direct invocations)"
        return self.finding(
            message, loop.location, fn.id, function=fn.id,
            severity=Severity.HIGH if allow else None,
            confidence=Confidence.MEDIUM if loop.inferred else None, evidence=evidence,
            fix="Write the output to a different bucket/queue/topic than the one that triggers the function (or "
                "filter the trigger on a prefix the function never writes), bound any self-invocation with a "
                "depth counter, and leave RecursiveLoop at Terminate.",
        )
