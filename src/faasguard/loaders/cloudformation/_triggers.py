"""Event triggers: SAM events, event source mappings, bucket notifications, SNS, EventBridge, Scheduler,
CloudWatch Logs subscriptions and function URLs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders.cloudformation._apis import (
    _cors,
    _sam_api_trigger,
)
from faasguard.loaders.cloudformation._core import (
    _as_str,
    _Builder,
    _dig,
    _item_loc,
    _key_loc,
)
from faasguard.model import (
    Auth,
    AuthType,
    Destination,
    Location,
    Trigger,
    TriggerKind,
    Unknown,
)

_SAM_EVENT_KINDS: dict[str, TriggerKind] = {
    "Api": TriggerKind.REST_API,
    "HttpApi": TriggerKind.HTTP_API,
    "S3": TriggerKind.S3,
    "SQS": TriggerKind.SQS,
    "SNS": TriggerKind.SNS,
    "Schedule": TriggerKind.SCHEDULE,
    "ScheduleV2": TriggerKind.SCHEDULE,
    "EventBridgeRule": TriggerKind.EVENTBRIDGE,
    "CloudWatchEvent": TriggerKind.EVENTBRIDGE,
    "DynamoDB": TriggerKind.DYNAMODB_STREAM,
    "Kinesis": TriggerKind.KINESIS,
    "MSK": TriggerKind.KAFKA,
    "SelfManagedKafka": TriggerKind.KAFKA,
    "MQ": TriggerKind.MQ,
    "Cognito": TriggerKind.COGNITO,
    "IoTRule": TriggerKind.IOT,
    "CloudWatchLogs": TriggerKind.CLOUDWATCH_LOGS,
    "AlexaSkill": TriggerKind.OTHER,
    "DocumentDB": TriggerKind.OTHER,
}


_SAM_EVENT_SOURCE_PROP: dict[str, str] = {
    "S3": "Bucket", "SQS": "Queue", "SNS": "Topic", "Schedule": "Schedule", "ScheduleV2": "ScheduleExpression",
    "DynamoDB": "Stream", "Kinesis": "Stream", "MSK": "Stream", "MQ": "Broker", "Cognito": "UserPool",
    "IoTRule": "Sql", "CloudWatchLogs": "LogGroupName", "DocumentDB": "Cluster",
}


def _sam_events(b: _Builder, function_id: str, props: Mapping[str, Any], raw: Mapping[str, Any],
                where: Location) -> None:
    events = props.get("Events")
    if not isinstance(events, dict):
        return
    raw_events = raw.get("Events")
    raw_events = raw_events if isinstance(raw_events, dict) else {}
    for name, event in events.items():
        event_where = _key_loc(events, name, where)
        if not isinstance(event, dict):
            continue
        event_type = event.get("Type")
        kind = _SAM_EVENT_KINDS.get(event_type) if isinstance(event_type, str) else None
        if kind is None:
            b.note(DiagnosticKind.UNSUPPORTED, f"SAM event type {event_type!s} is not modelled",
                      event_where)
            continue
        event_props = event.get("Properties")
        event_props = event_props if isinstance(event_props, dict) else {}
        raw_event = raw_events.get(name)
        raw_props = raw_event.get("Properties") if isinstance(raw_event, dict) else None
        raw_props = raw_props if isinstance(raw_props, dict) else {}
        trigger_id = f"{function_id}.{name}"
        fields: dict[str, Location] = {}
        for model_name, key in (("method", "Method"), ("path", "Path"), ("auth", "Auth"),
                                ("source", _SAM_EVENT_SOURCE_PROP.get(str(event_type), "")),
                                ("on_failure", "DestinationConfig")):
            if key and key in event_props:
                fields[model_name] = _key_loc(event_props, key, event_where)
        if kind in (TriggerKind.REST_API, TriggerKind.HTTP_API):
            b.triggers.append(_sam_api_trigger(b, trigger_id, function_id, kind, event_props, raw=raw_props,
                                                       where=event_where, fields=fields))
            continue
        source = _event_source(b, str(event_type), event_props, raw_props, event_where)
        on_failure = _event_failure(b, str(event_type), event_props, raw_props, event_where, source=source)
        filter_key = {"S3": "Filter", "SQS": "FilterCriteria", "SNS": "FilterPolicy"}.get(str(event_type))
        event_filter = _event_filter(event_props.get(filter_key)) if filter_key else None
        if filter_key and filter_key in event_props:
            fields["event_filter"] = _key_loc(event_props, filter_key, event_where)
        b.triggers.append(Trigger(id=trigger_id, location=event_where, field_locations=fields, kind=kind,
                                     function=function_id, source=source, on_failure=on_failure,
                                     event_filter=event_filter,
                                     source_events=_s3_events(event_props.get("Events")) if event_type == "S3"
                                     else ()))


def _s3_events(value: Any) -> tuple[str | Unknown, ...]:
    """SAM `Events` / a notification's `Event`: one event type or a list of them, as written."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    return tuple(item if isinstance(item, (str, Unknown)) else Unknown("event type not a string")
                 for item in items)


def _event_filter(value: Any) -> Mapping[str, str | Unknown] | Unknown | None:
    """An S3 key filter (`{S3Key: {Rules: [{Name: prefix, Value: ...}]}}`) as {"prefix": ..., "suffix": ...},
    or an SQS `FilterCriteria` / SNS `FilterPolicy` as {"pattern": <its JSON text>}; None when absent."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict) and "S3Key" in value:
        rules = _dig(value, "S3Key", "Rules")
        if not isinstance(rules, list):
            return Unknown("S3 key filter rules not resolved")
        out: dict[str, str | Unknown] = {}
        for rule in rules:
            if not isinstance(rule, dict):
                return Unknown("S3 key filter rule not resolved")
            name, text = rule.get("Name"), rule.get("Value")
            if not isinstance(name, str):
                return Unknown("S3 key filter rule name not resolved")
            out[name.lower()] = text if isinstance(text, (str, Unknown)) else Unknown("filter value not a string")
        return out or None
    try:
        return {"pattern": value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)}
    except (TypeError, ValueError):
        return Unknown("event filter not resolved")


def _event_source(b: _Builder, event_type: str, props: Mapping[str, Any], raw: Mapping[str, Any],
                  where: Location) -> str | Unknown | None:
    if event_type in ("EventBridgeRule", "CloudWatchEvent"):
        pattern = props.get("Pattern")
        sources = pattern.get("source") if isinstance(pattern, dict) else None
        if isinstance(sources, list) and sources:
            return ",".join(str(s) for s in sources if not isinstance(s, dict)) or None
        bus = props.get("EventBusName")
        return _as_str(bus, where) if bus is not None else None
    key = _SAM_EVENT_SOURCE_PROP.get(event_type)
    if key is None or key not in props:
        return None
    return _target_or_value(b, raw.get(key), props[key], where)


def _event_failure(b: _Builder, event_type: str, props: Mapping[str, Any], raw: Mapping[str, Any],
                   where: Location, *, source: str | Unknown | None) -> Destination | None:
    destination = _dig(props, "DestinationConfig", "OnFailure", "Destination")
    if destination is not None:
        return Destination("on-failure", _target_or_value(b,
            _dig(raw, "DestinationConfig", "OnFailure", "Destination"), destination, where),
            _key_loc(props, "DestinationConfig", where))
    dead_letter = props.get("DeadLetterConfig")
    if isinstance(dead_letter, dict):
        target = dead_letter.get("Arn")
        raw_target = _dig(raw, "DeadLetterConfig", "Arn")
        value = _target_or_value(b, raw_target, target, where) if target is not None else \
            Unknown("SAM-generated dead-letter queue", where)
        return Destination("dlq", value, _key_loc(props, "DeadLetterConfig", where))
    redrive = props.get("RedrivePolicy")
    if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") is not None:
        return Destination("redrive", _target_or_value(b, _dig(raw, "RedrivePolicy", "deadLetterTargetArn"),
                                                            redrive["deadLetterTargetArn"], where),
                           _key_loc(props, "RedrivePolicy", where))
    if event_type == "SQS" and isinstance(source, str):
        return _queue_redrive(b, source)
    return None


def _queue_redrive(b: _Builder, queue: str) -> Destination | None:
    if b.type_of(queue) != "AWS::SQS::Queue":
        return None
    props = b.props(queue)
    redrive = props.get("RedrivePolicy")
    if isinstance(redrive, str):
        try:
            redrive = json.loads(redrive)
        except json.JSONDecodeError:
            redrive = None
    if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") is not None:
        where = _key_loc(props, "RedrivePolicy", b.loc(queue))
        target = redrive["deadLetterTargetArn"]
        target_id = b.resolver.id_of(target)
        return Destination("redrive", target_id or _as_str(target, where) or "", where)
    return None


def _target_or_value(b: _Builder, raw: Any, value: Any, where: Location) -> str | Unknown:
    """A logical id when the raw value points at a resource of this template, else the resolved string."""
    target = b.resolver.target(raw) if raw is not None else None
    if target is not None:
        return target
    target = b.resolver.id_of(value)
    if target is not None:
        return target
    text = _as_str(value, where)
    return text if text is not None else Unknown("value cannot be resolved", where)


def _url_trigger(b: _Builder, trigger_id: str, function: str | Unknown, config: Mapping[str, Any],
                 where: Location) -> None:
    auth_type = config.get("AuthType")
    auth_where = _key_loc(config, "AuthType", where)
    if auth_type == "NONE":
        auth = Auth(AuthType.NONE, auth_where, detail="AuthType NONE")
    elif auth_type == "AWS_IAM":
        auth = Auth(AuthType.IAM, auth_where, detail="AuthType AWS_IAM")
    else:
        auth = Auth(AuthType.UNKNOWN, auth_where, detail=f"AuthType {auth_type!s}")
    cors = config.get("Cors")
    fields = {"auth": auth_where}
    if isinstance(cors, dict):
        fields["cors"] = _key_loc(config, "Cors", where)
    url_cors = _cors(cors, config, "Cors", where, origins_key="AllowOrigins") if cors is not None else None
    b.triggers.append(Trigger(id=trigger_id, location=Location(
        where.path, where.line, where.column, logical_id=trigger_id, construct_path=where.construct_path),
        field_locations=fields, kind=TriggerKind.FUNCTION_URL, function=function, auth=auth, cors=url_cors))


def _function_url(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    function = b._function_target(raw.get("TargetFunctionArn"))
    _url_trigger(b, logical_id, function, props, b.loc(logical_id))


def _event_source_mapping(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    function = b._function_target(raw.get("FunctionName"))
    source_raw = raw.get("EventSourceArn")
    source = _target_or_value(b, source_raw, props.get("EventSourceArn"), where) \
        if "EventSourceArn" in props else None
    kind = TriggerKind.OTHER
    source_type = b.type_of(source) if isinstance(source, str) else ""
    arn_value = props.get("EventSourceArn")
    text = arn_value if isinstance(arn_value, str) else ""
    if source_type == "AWS::SQS::Queue" or ":sqs:" in text:
        kind = TriggerKind.SQS
    elif source_type in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable") or ":dynamodb:" in text \
            or "StreamArn" in str(source_raw):
        kind = TriggerKind.DYNAMODB_STREAM
    elif source_type == "AWS::Kinesis::Stream" or ":kinesis:" in text:
        kind = TriggerKind.KINESIS
    elif source_type == "AWS::MSK::Cluster" or ":kafka:" in text or "SelfManagedEventSource" in props:
        kind = TriggerKind.KAFKA
    elif source_type == "AWS::AmazonMQ::Broker" or ":mq:" in text:
        kind = TriggerKind.MQ
    on_failure = None
    destination = _dig(props, "DestinationConfig", "OnFailure", "Destination")
    if destination is not None:
        on_failure = Destination("on-failure", _target_or_value(b,
            _dig(raw, "DestinationConfig", "OnFailure", "Destination"), destination, where),
            _key_loc(props, "DestinationConfig", where))
    elif kind is TriggerKind.SQS and isinstance(source, str):
        on_failure = _queue_redrive(b, source)
    b.triggers.append(Trigger(
        id=logical_id, location=where,
        field_locations=b.fields(logical_id, props, {"source": "EventSourceArn",
                                                        "on_failure": "DestinationConfig",
                                                        "function": "FunctionName",
                                                        "event_filter": "FilterCriteria"}),
        kind=kind, function=function, source=source, on_failure=on_failure,
        event_filter=_event_filter(props.get("FilterCriteria"))))


def _bucket_notifications(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    configs = _dig(props, "NotificationConfiguration", "LambdaConfigurations")
    raw_configs = _dig(raw, "NotificationConfiguration", "LambdaConfigurations")
    if not isinstance(configs, list):
        return
    where = b.loc(logical_id)
    for index, config in enumerate(configs):
        if not isinstance(config, dict):
            continue
        raw_config = raw_configs[index] if isinstance(raw_configs, list) and len(raw_configs) == len(configs) \
            else config
        function = b._function_target(raw_config.get("Function") if isinstance(raw_config, dict) else None)
        item_where = _item_loc(configs, index, where)
        fields = {"event_filter": _key_loc(config, "Filter", item_where)} if "Filter" in config else {}
        b.triggers.append(Trigger(id=f"{logical_id}.{index}", location=item_where, kind=TriggerKind.S3,
                                     function=function, source=logical_id, field_locations=fields,
                                     event_filter=_event_filter(config.get("Filter")),
                                     source_events=_s3_events(config.get("Event"))))


def _sns_subscription(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    if str(props.get("Protocol")).lower() != "lambda":
        return
    where = b.loc(logical_id)
    function = b._function_target(raw.get("Endpoint"))
    source = _target_or_value(b, raw.get("TopicArn"), props.get("TopicArn"), where)
    redrive = props.get("RedrivePolicy")
    on_failure = None
    if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") is not None:
        on_failure = Destination("redrive", _target_or_value(b,
            _dig(raw, "RedrivePolicy", "deadLetterTargetArn"), redrive["deadLetterTargetArn"], where),
            _key_loc(props, "RedrivePolicy", where))
    b.triggers.append(Trigger(id=logical_id, location=where, kind=TriggerKind.SNS, function=function,
                                 source=source, on_failure=on_failure,
                                 event_filter=_event_filter(props.get("FilterPolicy")),
                                 field_locations=b.fields(logical_id, props, {"source": "TopicArn",
                                                                              "event_filter": "FilterPolicy"})))


def _sns_topic_subscriptions(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    subscriptions = props.get("Subscription")
    raw_subscriptions = raw.get("Subscription")
    if not isinstance(subscriptions, list):
        return
    where = b.loc(logical_id)
    for index, item in enumerate(subscriptions):
        if not isinstance(item, dict) or str(item.get("Protocol")).lower() != "lambda":
            continue
        raw_item = raw_subscriptions[index] if isinstance(raw_subscriptions, list) and \
            len(raw_subscriptions) == len(subscriptions) else item
        function = b._function_target(raw_item.get("Endpoint") if isinstance(raw_item, dict) else None)
        b.triggers.append(Trigger(id=f"{logical_id}.{index}", location=_item_loc(subscriptions, index, where),
                                     kind=TriggerKind.SNS, function=function, source=logical_id))


def _event_rule(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    targets = props.get("Targets")
    raw_targets = raw.get("Targets")
    if not isinstance(targets, list):
        return
    where = b.loc(logical_id)
    schedule = props.get("ScheduleExpression")
    pattern = props.get("EventPattern")
    source: str | Unknown | None = _as_str(schedule, where) if schedule is not None else None
    if source is None and isinstance(pattern, dict) and isinstance(pattern.get("source"), list):
        source = ",".join(str(s) for s in pattern["source"] if not isinstance(s, dict)) or None
    for index, target in enumerate(targets):
        if not isinstance(target, dict):
            continue
        raw_target = raw_targets[index] if isinstance(raw_targets, list) and len(raw_targets) == len(targets) \
            else target
        if not isinstance(raw_target, dict):
            continue
        function = b._function_target(raw_target.get("Arn"))
        if isinstance(function, Unknown):
            continue
        target_id = target.get("Id") if isinstance(target.get("Id"), str) else str(index)
        on_failure = None
        dead_letter = _dig(target, "DeadLetterConfig", "Arn")
        if dead_letter is not None:
            on_failure = Destination("dlq", _target_or_value(b,
                _dig(raw_target, "DeadLetterConfig", "Arn"), dead_letter, where),
                _key_loc(target, "DeadLetterConfig", where))
        b.triggers.append(Trigger(
            id=f"{logical_id}.{target_id}", location=_item_loc(targets, index, where),
            kind=TriggerKind.SCHEDULE if schedule is not None else TriggerKind.EVENTBRIDGE,
            function=function, source=source, on_failure=on_failure))


def _scheduler(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    function = b._function_target(_dig(raw, "Target", "Arn"))
    if isinstance(function, Unknown):
        return
    dead_letter = _dig(props, "Target", "DeadLetterConfig", "Arn")
    on_failure = Destination("dlq", _as_str(dead_letter, where) or "", where) if dead_letter is not None else None
    b.triggers.append(Trigger(id=logical_id, location=where, kind=TriggerKind.SCHEDULE, function=function,
                                 source=_as_str(props.get("ScheduleExpression"), where), on_failure=on_failure))


def _log_subscription(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    function = b._function_target(raw.get("DestinationArn"))
    if isinstance(function, Unknown):
        return
    where = b.loc(logical_id)
    b.triggers.append(Trigger(id=logical_id, location=where, kind=TriggerKind.CLOUDWATCH_LOGS,
                                 function=function, source=_as_str(props.get("LogGroupName"), where)))
