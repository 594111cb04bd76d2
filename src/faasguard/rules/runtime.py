"""Runtime configuration of functions: FG401-FG406.

Platform defaults matter here (an absent `Timeout` is Lambda's 3 s, an absent `Tracing` is off), so these
rules read `None` as "the default applies" and skip `Unknown` values rather than guess. The runtime
deprecation table is `faasguard/data/runtimes.json` (AWS's published dates), read once on first use.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from datetime import date
from functools import cache

from faasguard._packaged import packaged
from faasguard.analysis.public_sources import names_resource, trigger_source
from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import (
    Application,
    Destination,
    Function,
    Location,
    Resource,
    ResourceCategory,
    SourceKind,
    Trigger,
    TriggerKind,
    Unknown,
)
from faasguard.rules._common import describe_trigger, group_by_location, is_instance, public_reasons
from faasguard.rules.base import Rule, RuleContext, register


def _lambda_functions(ctx: RuleContext) -> Iterator[Function]:
    """Functions whose configuration we can see: bare handler code (no template) has none to judge."""
    if ctx.app.source is SourceKind.CODE:
        return iter(())
    return (fn for fn in ctx.app.functions if fn.platform == "aws-lambda")


# ----------------------------------------------------------------------------------------- FG401


@register
class ExcessiveTimeout(Rule):
    """Flags a function timeout longer than its trigger can use (audit checklist C6).

    ## What it does
    Reports a function triggered through API Gateway whose timeout exceeds what API Gateway waits for an
    integration (29 s for REST APIs, config `api_timeout`; 30 s for HTTP APIs), as low, and any function
    whose timeout exceeds 300 s (config `max_timeout`), as medium, raised to high when the function is
    reachable from the internet without authorization. A timeout inherited from SAM `Globals` is reported
    once, on the Globals line, naming every function that inherits it, at the worst of their severities. An
    absent timeout is the platform default (3 s on Lambda; Serverless Framework's 6 s counts as set) and is
    only reported where that default itself exceeds the limit.

    ## Why is this bad?
    A function behind API Gateway keeps running (and billing) after the caller got a 504 at 29 s; a
    15-minute timeout lets one slow or malicious request hold a concurrent execution for 15 minutes, which
    turns a flood of cheap requests into an expensive denial of service and hides hangs.

    ## Example
    ```yaml
    DbAdminFunction:
      Type: AWS::Serverless::Function
      Properties:
        Timeout: 900
        Events:
          RunQuery:
            Type: Api
            Properties: {Path: /admin/query, Method: post}
    ```

    ## Fix
    ```yaml
    DbAdminFunction:
      Type: AWS::Serverless::Function
      Properties:
        Timeout: 25
        Events:
          RunQuery:
            Type: Api
            Properties: {Path: /admin/query, Method: post}
    ```
    """

    id = "FG401"
    name = "excessive-timeout"
    summary = "timeout above what the trigger needs (API > 29 s, any > 300 s)"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-400"
    owasp = "SAS-8"
    checklist = "C6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        # A Globals timeout is one node: its functions' findings merge into one, at the worst severity (not
        # the instances of a Terraform count / for_each resource: see `group_by_location`).
        merged: dict[tuple[str, int, int, str], tuple[Finding, list[str]]] = {}
        for finding in self._per_function(ctx):
            loc = finding.location
            owner = str(finding.resource)
            key = (loc.path, loc.line, loc.column, owner if is_instance(owner) else "")
            if key not in merged:
                merged[key] = (finding, [finding.resource])
                continue
            kept, fids = merged[key]
            fids.append(finding.resource)
            if finding.severity.rank > kept.severity.rank:
                merged[key] = (finding, fids)
        for finding, fids in merged.values():
            if len(fids) == 1:
                yield finding
                continue
            message = finding.message + f" (the timeout is shared by {len(fids)} functions: {', '.join(fids)})"
            yield dataclasses.replace(finding, message=message, function=tuple(fids))
        yield from self._services(ctx)

    def _services(self, ctx: RuleContext) -> Iterator[Finding]:
        """Cloud Run / Knative request timeouts (default 300 s, up to 3600 s), once per service."""
        seen: set[str | None] = set()
        for container in ctx.app.containers:
            if container.platform not in ("cloudrun", "knative") or container.task in seen:
                continue
            seen.add(container.task)
            timeout = container.timeout
            if not isinstance(timeout, int) or timeout <= ctx.config.max_timeout:
                continue
            service = container.task or container.id
            yield self.finding(
                f"Cloud Run service {service} has a {timeout} s request timeout, above the "
                f"{ctx.config.max_timeout} s limit (config max_timeout): a slow or stuck request keeps an instance "
                "(and its bill) busy that long", container.loc("timeout"), service,
                fix=f"Set the timeout to the longest a request really takes, at most {ctx.config.max_timeout} s; "
                    "move long work to a job or a queue.")

    def _per_function(self, ctx: RuleContext) -> Iterator[Finding]:
        reasons = public_reasons(ctx.app)
        for fn in ctx.app.functions:
            timeout = fn.timeout
            if isinstance(timeout, Unknown):
                continue
            effective = fn.timeout_default if timeout is None else timeout
            api = next((t for t in ctx.app.triggers_of(fn.id)
                        if t.kind in (TriggerKind.REST_API, TriggerKind.HTTP_API)), None)
            # REST APIs wait 29 s for an integration, HTTP APIs 30 s.
            api_limit = ctx.config.api_timeout if api is None or api.kind is TriggerKind.REST_API \
                else max(ctx.config.api_timeout, 30)
            too_long = effective > ctx.config.max_timeout
            if api is not None and effective > api_limit:
                limit_text = f"above the {api_limit} s API Gateway waits for it ({describe_trigger(api)})"
                suggested = api_limit
            elif too_long:
                limit_text = f"above the {ctx.config.max_timeout} s limit (config max_timeout)"
                suggested = ctx.config.max_timeout
            else:
                continue
            source = "the platform default" if timeout is None else "set"
            message = f"function {fn.id} has a {effective} s timeout ({source}), {limit_text}"
            severity = self.severity
            if not too_long:
                severity = Severity.LOW
                message += "; low because it stays under the max_timeout limit"
            elif fn.id in reasons:
                severity = severity.raised()
                message += f"; severity raised: it is reachable through its {reasons[fn.id]}"
            yield self.finding(
                message, fn.loc("timeout"), fn.id, function=fn.id, severity=severity,
                fix=f"Set `Timeout` to the longest the work really takes, at most {suggested} s; move long work to "
                    "an asynchronous step (SQS, Step Functions) and return early.",
            )


# ----------------------------------------------------------------------------------------- FG402


@cache
def runtime_table(platform: str = "aws-lambda") -> Mapping[str, date]:
    """Runtime identifier → deprecation date for a platform, from the packaged tables (read once): AWS Lambda's,
    and Google Cloud Functions' (its ids, `python312`, never collide with Lambda's `python3.12`, but the dates
    are the platform's own, so the tables stay apart)."""
    raw = json.loads(packaged("runtimes.json"))
    table = raw["gcp_functions"]["runtimes"] if platform == "gcp-functions" else raw["runtimes"]
    return {name: date.fromisoformat(day) for name, day in table.items()}


def runtime_status(runtime: str, today: date, warning_days: int,
                   platform: str = "aws-lambda") -> tuple[date, int] | None:
    """(deprecation date, days until it — negative when past) for a runtime that is deprecated or within
    `warning_days` of it; None for a supported runtime or one the table does not know."""
    deprecated = runtime_table(platform).get(runtime.strip().lower())
    if deprecated is None:
        return None
    days = (deprecated - today).days
    return (deprecated, days) if days <= warning_days else None


def scan_date(ctx: RuleContext) -> date:
    """Today, unless the config injects a date (`today = "2026-11-23"`, used by tests and reproducible CI)."""
    return ctx.config.today or date.today()


@register
class DeprecatedRuntime(Rule):
    """Flags a Lambda runtime past its deprecation date or within 180 days of it.

    ## What it does
    Looks the function's `Runtime` up in a dated table of AWS Lambda runtimes (from AWS's Lambda runtimes
    page, shipped with faasguard), or of Google Cloud Functions runtimes for `google_cloudfunctions_function` /
    `google_cloudfunctions2_function` (`runtime = "python38"`, from Google's runtime support page), and reports
    it when the deprecation date has passed (medium) or is within 180 days (low; config `runtime_warning_days`).
    A runtime inherited from SAM `Globals` is reported once, on
    the Globals line, naming every function that inherits it. Container-image functions have no managed runtime and
    are not reported.

    ## Why is this bad?
    After deprecation AWS no longer patches the runtime's language or OS; known vulnerabilities stay, and
    soon after, AWS blocks creating and then updating such functions, so an urgent fix can no longer be
    deployed without a runtime migration at the worst moment.

    ## Example
    ```yaml
    QueueWorkerFunction:
      Type: AWS::Serverless::Function
      Properties:
        Runtime: python3.8
    ```

    ## Fix
    ```yaml
    QueueWorkerFunction:
      Type: AWS::Serverless::Function
      Properties:
        Runtime: python3.13
    ```
    """

    id = "FG402"
    name = "deprecated-runtime"
    summary = "runtime past or near its deprecation date"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-1104"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        today = scan_date(ctx)
        affected: list[tuple[Location, str]] = []
        runtimes: dict[str, tuple[str, str]] = {}
        candidates = [*_lambda_functions(ctx), *(fn for fn in ctx.app.functions if fn.platform == "gcp-functions")]
        for fn in candidates:
            if not isinstance(fn.runtime, str):
                continue
            if runtime_status(fn.runtime, today, ctx.config.runtime_warning_days, fn.platform) is None:
                continue
            affected.append((fn.loc("runtime"), fn.id))
            runtimes[fn.id] = (fn.runtime, fn.platform)
        for loc, fids in group_by_location(affected):
            runtime, platform = runtimes[fids[0]]
            status = runtime_status(runtime, today, ctx.config.runtime_warning_days, platform)
            assert status is not None
            deprecated, days = status
            who = f"function {fids[0]} uses" if len(fids) == 1 else \
                f"{len(fids)} functions ({', '.join(fids)}) inherit and use"
            if days < 0:
                message = f"{who} {runtime}, deprecated since {deprecated.isoformat()}: no more security patches"
                severity = self.severity
            else:
                message = f"{who} {runtime}, deprecated on {deprecated.isoformat()} (in {days} days)"
                severity = Severity.LOW
            yield self.finding(
                message, loc, fids[0], function=fids[0] if len(fids) == 1 else fids, severity=severity,
                fix="Move to a supported runtime of the same language (e.g. python312, nodejs22) and run the tests; "
                    "Google's Cloud Functions runtime support page lists the dates." if platform == "gcp-functions"
                else "Move to a supported runtime of the same language (e.g. python3.13, nodejs22.x, java21) and run "
                     "the tests; the AWS Lambda runtimes page lists the dates.",
            )


# ----------------------------------------------------------------------------------------- FG403


@register
class NoConcurrencyLimit(Rule):
    """Flags a publicly triggered function with no reserved concurrency (bill inflation).

    ## What it does
    Reports a function that is reachable from the internet without authorization (an API route or
    function URL without auth, an invoke permission open to anyone, or an S3 bucket, SQS queue or SNS
    topic trigger whose policy or ACL lets anyone write to it) and sets no `ReservedConcurrentExecutions`.
    Functions behind an authorizer, or triggered only by private queues, streams or schedules, are not
    reported; a bucket whose Block Public Access settings block or restrict public policies is private.

    ## Why is this bad?
    Anyone can call a public function as fast as they like; without a concurrency cap it scales to the
    account's whole concurrency, billing every call (denial of wallet) and starving every other function in
    the account of concurrency.

    ## Example
    ```yaml
    ReportFunction:
      Type: AWS::Serverless::Function
      Properties:
        FunctionUrlConfig:
          AuthType: NONE
    ```

    ## Fix
    ```yaml
    ReportFunction:
      Type: AWS::Serverless::Function
      Properties:
        ReservedConcurrentExecutions: 20
        FunctionUrlConfig:
          AuthType: AWS_IAM
    ```
    """

    id = "FG403"
    name = "no-concurrency-limit"
    summary = "publicly triggered function with no reserved concurrency"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-770"
    owasp = "SAS-8"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        reasons = public_reasons(ctx.app)
        for fn in _lambda_functions(ctx):
            if fn.id not in reasons or fn.reserved_concurrency is not None:
                continue
            yield self.finding(
                f"function {fn.id} is reachable through its {reasons[fn.id]} and has no reserved concurrency",
                fn.location, fn.id, function=fn.id,
                fix="Set `ReservedConcurrentExecutions` to the highest concurrency the function legitimately "
                    "needs, and throttle the API (usage plan / stage throttling).",
            )


# ----------------------------------------------------------------------------------------- FG404

# Asynchronous sources the catalog names; DynamoDB and Kinesis streams are judged per event source mapping.
_STREAMS = (TriggerKind.DYNAMODB_STREAM, TriggerKind.KINESIS)


@register
class NoFailureDestination(Rule):
    """Flags an asynchronously or stream-triggered function whose failed events are dropped.

    ## What it does
    For functions invoked asynchronously (S3, SNS, EventBridge rules, schedules), reports the function when
    it has neither a dead-letter queue (`DeadLetterQueue` / `DeadLetterConfig`) nor an on-failure
    destination (`EventInvokeConfig.DestinationConfig.OnFailure`), and the trigger has no redrive of its own.
    For DynamoDB and Kinesis stream triggers, reports each event source mapping with no `OnFailure`
    destination. For SQS triggers, failures are the queue's business: reports each queue of the
    configuration that triggers a function and has no redrive policy (`RedrivePolicy` /
    `redrive_policy` / `aws_sqs_queue_redrive_policy`) sending failing messages to a dead-letter queue, once per
    queue on the queue itself. A queue defined elsewhere (an imported ARN), a redrive policy we cannot resolve,
    and a queue that is itself a dead-letter queue or failure destination of the configuration (drained by a
    redrive function) are not reported.

    ## Why is this bad?
    Lambda retries an asynchronous event twice and then discards it; a stream batch that keeps failing is
    retried until the records expire. Either way failed events vanish without a trace: lost orders, missing
    thumbnails, and no way to replay them or even notice.

    ## Example
    ```yaml
    ImageConverterFunction:
      Type: AWS::Serverless::Function
      Properties:
        Events:
          Upload:
            Type: S3
            Properties: {Bucket: !Ref UploadsBucket, Events: s3:ObjectCreated:*}
    ```

    ## Fix
    ```yaml
    ImageConverterFunction:
      Type: AWS::Serverless::Function
      Properties:
        DeadLetterQueue:
          Type: SQS
          TargetArn: !GetAtt FailedEventsQueue.Arn
        Events:
          Upload:
            Type: S3
            Properties: {Bucket: !Ref UploadsBucket, Events: s3:ObjectCreated:*}
    ```
    """

    id = "FG404"
    name = "no-failure-destination"
    summary = "async/stream trigger with no DLQ or on-failure destination"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-755"
    owasp = "SAS-5"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn in _lambda_functions(ctx):
            triggers = ctx.app.triggers_of(fn.id)
            async_triggers = [t for t in triggers if t.kind.is_async and t.on_failure is None]
            if async_triggers and fn.dead_letter is None and fn.async_on_failure is None:
                names = ", ".join(_trigger_name(t) for t in async_triggers)
                yield self.finding(
                    f"function {fn.id} is invoked asynchronously ({names}) with no dead-letter queue or on-failure "
                    "destination: events that fail their retries are discarded",
                    fn.location, fn.id, function=fn.id,
                    fix="Add `DeadLetterQueue: {Type: SQS, TargetArn: ...}` or `EventInvokeConfig: "
                        "{DestinationConfig: {OnFailure: {Type: SQS, Destination: ...}}}` and alarm on its depth.",
                )
            for trigger in triggers:
                if trigger.kind not in _STREAMS or trigger.on_failure is not None:
                    continue
                yield self.finding(
                    f"{_trigger_name(trigger)} of function {fn.id} has no on-failure destination: a failing batch "
                    "is retried until its records expire, then lost",
                    trigger.location, trigger.id, function=fn.id, severity=Severity.MEDIUM,
                    fix="Set `DestinationConfig: {OnFailure: {Destination: <SQS/SNS ARN>}}` on the event source "
                        "mapping, with `MaximumRetryAttempts` and `BisectBatchOnFunctionError: true`.",
                )
        yield from self._queues_without_redrive(ctx)

    def _queues_without_redrive(self, ctx: RuleContext) -> Iterator[Finding]:
        consumers: dict[str, tuple[Resource, list[str]]] = {}
        lambdas = {fn.id for fn in _lambda_functions(ctx)}
        dead_letter = _dead_letter_queues(ctx.app)
        for trigger in ctx.app.triggers:
            if trigger.kind is not TriggerKind.SQS or not isinstance(trigger.function, str) \
                    or trigger.function not in lambdas:
                continue
            queue = trigger_source(ctx.app, trigger)
            if queue is None or queue.redrive is not None or queue.id in dead_letter:
                # defined elsewhere (Unknown), a redrive policy is set (possibly Unknown), or the queue is
                # itself where failures end up (a dead-letter queue drained by a redrive function)
                continue
            users = consumers.setdefault(queue.id, (queue, []))[1]
            if trigger.function not in users:
                users.append(trigger.function)
        for queue, functions in consumers.values():
            yield self.finding(
                f"queue {queue.id} triggers {', '.join(functions)} and has no redrive policy: a message that keeps "
                "failing is retried until the queue's retention period expires, then deleted unseen",
                queue.location, queue.id, function=functions,
                fix="Add `RedrivePolicy: {deadLetterTargetArn: !GetAtt <Dlq>.Arn, maxReceiveCount: 5}` to the "
                    "queue (Terraform: `redrive_policy = jsonencode({...})`) and alarm on the dead-letter queue's "
                    "depth.",
            )


def _dead_letter_queues(app: Application) -> set[str]:
    """Ids of the queues the configuration uses as a dead-letter queue or failure destination: a queue's
    redrive target, a function's DLQ or on-failure destination, a trigger's failure destination."""
    targets: list[str | Unknown] = []
    for resource in app.resources:
        if isinstance(resource.redrive, Destination):
            targets.append(resource.redrive.target)
    for fn in app.functions:
        targets += [d.target for d in (fn.dead_letter, fn.async_on_failure) if d is not None]
    targets += [t.on_failure.target for t in app.triggers if t.on_failure is not None]
    queues = [r for r in app.resources if r.category is ResourceCategory.QUEUE]
    out: set[str] = set()
    for target in targets:
        if isinstance(target, str) and app.resource(target) is not None:
            out.add(target)
            continue
        out.update(q.id for q in queues if names_resource(target, q))
    return out


def _trigger_name(trigger: Trigger) -> str:
    return f"{trigger.kind.value} trigger {trigger.id}"


# ----------------------------------------------------------------------------------------- FG405


@register
class TracingDisabled(Rule):
    """Flags a publicly triggered function without active X-Ray tracing.

    ## What it does
    Reports a function reachable from the internet without authorization (see FG403: an open HTTP trigger
    or invoke permission, or a bucket, queue or topic anyone can write to) whose `Tracing` is absent or
    `PassThrough`. Internal functions (private queue workers, schedules, authorized APIs) are not reported.

    ## Why is this bad?
    When a public endpoint is abused, traces are how you reconstruct what one request did across the
    function and the services it called; without them incident response starts from scattered logs.

    ## Example
    ```yaml
    ReportFunction:
      Type: AWS::Serverless::Function
      Properties:
        FunctionUrlConfig:
          AuthType: NONE
    ```

    ## Fix
    ```yaml
    ReportFunction:
      Type: AWS::Serverless::Function
      Properties:
        Tracing: Active
        FunctionUrlConfig:
          AuthType: NONE
    ```
    """

    id = "FG405"
    name = "tracing-disabled"
    summary = "no active X-Ray tracing on a public function"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-778"
    owasp = "SAS-5"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        reasons = public_reasons(ctx.app)
        for fn in _lambda_functions(ctx):
            if fn.id not in reasons or isinstance(fn.tracing, Unknown):
                continue
            if isinstance(fn.tracing, str) and fn.tracing.strip().lower() == "active":
                continue
            state = "PassThrough" if fn.tracing else "not enabled"
            yield self.finding(
                f"function {fn.id} is reachable through its {reasons[fn.id]} and its X-Ray tracing is {state}",
                fn.loc("tracing"), fn.id, function=fn.id,
                fix="Set `Tracing: Active` (Globals.Function.Tracing for every function).",
            )


# ----------------------------------------------------------------------------------------- FG406


@register
class NoCodeSigning(Rule):
    """Flags a function deployed from a .zip package without a code signing configuration.

    ## What it does
    Reports a .zip-packaged function with no `CodeSigningConfigArn`. Code signing is a hardening control
    that many teams do not use, so by default this is *info* (hidden at the default `--severity low`); it is
    raised to medium when another function in the same application has a code signing config, because the
    team has adopted signing and this function was missed. Container-image functions and inline code
    cannot be signed and are not reported.

    ## Why is this bad?
    Without code signing Lambda accepts any package uploaded with deploy permissions: stolen CI credentials
    or a tampered artifact bucket lead straight to code running with the function's role.

    ## Example
    ```yaml
    PaymentsFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: src/payments/
    ```

    ## Fix
    ```yaml
    PaymentsFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: src/payments/
        CodeSigningConfigArn: !Ref SigningConfig
    ```
    """

    id = "FG406"
    name = "no-code-signing"
    summary = "function without a code signing config"
    severity = Severity.INFO
    confidence = Confidence.HIGH
    cwe = "CWE-494"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        candidates = [fn for fn in _lambda_functions(ctx)
                      if fn.package_type.lower() != "image" and not (fn.code and fn.code.inline)]
        signed = [fn.id for fn in ctx.app.functions if fn.code_signing_config is not None]
        for fn in candidates:
            if fn.code_signing_config is not None:
                continue
            message = f"function {fn.id} has no code signing config"
            severity = self.severity
            if signed:
                severity = Severity.MEDIUM
                message += f"; medium because {signed[0]} in the same application is signed"
            yield self.finding(
                message, fn.location, fn.id, function=fn.id, severity=severity,
                fix="Create an AWS::Signer::SigningProfile and AWS::Lambda::CodeSigningConfig (untrusted "
                    "artifact policy Enforce) and set `CodeSigningConfigArn` on the function.",
            )
