"""Event triggers: event source mappings, S3/SNS/EventBridge/Logs subscriptions and function URLs."""

from __future__ import annotations

from typing import Any

from faasguard.loaders.terraform._apis import cors_settings
from faasguard.loaders.terraform._core import _Builder, _url_auth
from faasguard.loaders.terraform._instances import (
    _as_text,
    _Res,
)
from faasguard.loaders.terraform._policies import (
    _as_list,
    _document_value,
)
from faasguard.model import (
    Destination,
    Location,
    Trigger,
    TriggerKind,
    Unknown,
)


def _function_urls(b: _Builder) -> None:
    for entry in b.entries["aws_lambda_function_url"]:
        res = entry.res
        auth = res.text("authorization_type")
        b.triggers.append(Trigger(
            id=res.address, location=res.location,
            field_locations={"auth": res.loc("authorization_type"), "function": res.loc("function_name")},
            kind=TriggerKind.FUNCTION_URL, function=b.function_id(res.get("function_name")),
            auth=_url_auth(auth, res.loc("authorization_type")), cors=cors_settings(res.first_block("cors"))))


def _event_sources(b: _Builder) -> None:
    queues = {e.res.address: e.res for e in b.entries["aws_sqs_queue"]}
    for entry in b.entries["aws_lambda_event_source_mapping"]:
        res = entry.res
        source = res.get("event_source_arn")
        kind = _stream_kind(source, b.refs(source))
        if res.has("self_managed_event_source") or res.first_block("self_managed_event_source"):
            kind = TriggerKind.KAFKA
        address = b.ref_of(source)
        on_failure = None
        dest = res.first_block("destination_config")
        failure = dest.first_block("on_failure") if dest else None
        if failure is not None:
            on_failure = Destination("on-failure", failure.text("destination_arn") or Unknown("no target"),
                                     failure.location)
        elif kind is TriggerKind.SQS and address in queues:
            on_failure = _redrive(queues[address])
        criteria = res.first_block("filter_criteria")
        fields = {"source": res.loc("event_source_arn"), "on_failure": (
            failure.location if failure else res.location)}
        if criteria is not None:
            fields["event_filter"] = criteria.location
        b.triggers.append(Trigger(
            id=res.address, location=res.location, field_locations=fields,
            kind=kind, function=b.function_id(res.get("function_name")),
            source=address or _as_text(source, res.loc("event_source_arn")), on_failure=on_failure,
            event_filter={"pattern": f"filter_criteria at line {criteria.location.line}"} if criteria else None))
    _bucket_notifications(b)
    _rule_targets(b)


def _bucket_notifications(b: _Builder) -> None:
    for entry in b.entries["aws_s3_bucket_notification"]:
        res = entry.res
        bucket = res.get("bucket")
        blocks, _ = res.blocks("lambda_function")
        for index, block in enumerate(blocks):
            tid = res.address if len(blocks) == 1 else f"{res.address}.lambda_function[{index}]"
            key_filter: dict[str, str | Unknown] = {}
            for name in ("prefix", "suffix"):
                value = block.text(f"filter_{name}")
                if value is not None and value != "":
                    key_filter[name] = value
            b.triggers.append(Trigger(
                id=tid, location=block.location, kind=TriggerKind.S3,
                function=b.function_id(block.get("lambda_function_arn")),
                source=b.ref_of(bucket, "aws_s3_bucket") or _as_text(bucket, res.loc("bucket")),
                event_filter=key_filter or None,
                source_events=_event_types(block.get("events")),
                field_locations={"event_filter": block.loc("filter_prefix" if block.has("filter_prefix")
                                                           else "filter_suffix")} if key_filter else {}))


def _rule_targets(b: _Builder) -> None:
    rules = {e.res.address: e.res for e in b.entries["aws_cloudwatch_event_rule"]}
    for entry in b.entries["aws_cloudwatch_event_target"]:
        res = entry.res
        fid = b.function_id(res.get("arn"))
        if not isinstance(fid, str):
            continue
        rule = rules.get(b.ref_of(res.get("rule"), "aws_cloudwatch_event_rule") or "")
        kind, source = TriggerKind.EVENTBRIDGE, None
        if rule is not None:
            schedule = rule.text("schedule_expression")
            if schedule is not None:
                kind, source = TriggerKind.SCHEDULE, schedule
            else:
                source = _pattern_source(rule.get("event_pattern")) or rule.address
        dlq = res.first_block("dead_letter_config")
        b.triggers.append(Trigger(
            id=res.address, location=res.location, kind=kind, function=fid, source=source,
            on_failure=Destination("dlq", dlq.text("arn") or Unknown("no target"), dlq.location) if dlq else None))
    for entry in b.entries["aws_scheduler_schedule"]:
        res = entry.res
        target = res.first_block("target")
        if target is None:
            continue
        fid = b.function_id(target.get("arn"))
        if not isinstance(fid, str):
            continue
        dlq = target.first_block("dead_letter_config")
        b.triggers.append(Trigger(
            id=res.address, location=res.location, kind=TriggerKind.SCHEDULE, function=fid,
            source=res.text("schedule_expression"),
            on_failure=Destination("dlq", dlq.text("arn") or Unknown("no target"), dlq.location) if dlq else None))
    for entry in b.entries["aws_sns_topic_subscription"]:
        res = entry.res
        if res.text("protocol") != "lambda":
            continue
        redrive = res.get("redrive_policy")
        on_failure = None
        if redrive is not None:
            parsed = _document_value(redrive, res.loc("redrive_policy"))
            target = parsed.get("deadLetterTargetArn") if isinstance(parsed, dict) else None
            on_failure = Destination("redrive", target if isinstance(target, (str, Unknown)) else Unknown(
                "redrive policy not resolved"), res.loc("redrive_policy"))
        topic = res.get("topic_arn")
        policy = res.get("filter_policy")
        b.triggers.append(Trigger(
            id=res.address, location=res.location, kind=TriggerKind.SNS,
            function=b.function_id(res.get("endpoint")),
            source=b.ref_of(topic, "aws_sns_topic") or _as_text(topic, res.loc("topic_arn")),
            on_failure=on_failure,
            event_filter=None if policy is None else policy if isinstance(policy, Unknown) else {
                "pattern": policy if isinstance(policy, str) else str(policy)},
            field_locations={"event_filter": res.loc("filter_policy")} if policy is not None else {}))
    for entry in b.entries["aws_cloudwatch_log_subscription_filter"]:
        res = entry.res
        fid = b.function_id(res.get("destination_arn"))
        if isinstance(fid, str):
            b.triggers.append(Trigger(id=res.address, location=res.location,
                                         kind=TriggerKind.CLOUDWATCH_LOGS, function=fid,
                                         source=res.text("log_group_name")))


def _event_types(value: Any) -> tuple[str | Unknown, ...]:
    """A notification block's `events` list as written (an unresolved list is one Unknown)."""
    if isinstance(value, Unknown):
        return (value,)
    return tuple(v if isinstance(v, (str, Unknown)) else Unknown("event type not a string")
                 for v in _as_list(value))


def _stream_kind(source: Any, refs: list[tuple[str, str, str]]) -> TriggerKind:
    by_type = {"aws_sqs_queue": TriggerKind.SQS, "aws_kinesis_stream": TriggerKind.KINESIS,
               "aws_dynamodb_table": TriggerKind.DYNAMODB_STREAM, "aws_msk_cluster": TriggerKind.KAFKA,
               "aws_msk_serverless_cluster": TriggerKind.KAFKA, "aws_mq_broker": TriggerKind.MQ}
    for _address, rtype, _ in refs:
        if rtype in by_type:
            return by_type[rtype]
    if isinstance(source, str):
        for marker, kind in ((":sqs:", TriggerKind.SQS), (":kinesis:", TriggerKind.KINESIS),
                             (":dynamodb:", TriggerKind.DYNAMODB_STREAM), (":kafka:", TriggerKind.KAFKA),
                             (":mq:", TriggerKind.MQ)):
            if marker in source:
                return kind
    return TriggerKind.OTHER


def _redrive(queue: _Res) -> Destination | None:
    redrive = queue.get("redrive_policy")
    if redrive is None:
        return None
    parsed = _document_value(redrive, queue.loc("redrive_policy"))
    target = parsed.get("deadLetterTargetArn") if isinstance(parsed, dict) else None
    return Destination("redrive", target if isinstance(target, (str, Unknown)) else Unknown(
        "redrive policy not resolved"), queue.loc("redrive_policy"))


def _pattern_source(pattern: Any) -> str | None:
    parsed = _document_value(pattern, Location("")) if isinstance(pattern, str) else pattern
    if isinstance(parsed, dict):
        source = parsed.get("source")
        first = _as_list(source)[0] if _as_list(source) else None
        return first if isinstance(first, str) else None
    return None
