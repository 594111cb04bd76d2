"""The boto3 object model: clients, resources and their sub-resources, batch writers, collections, paginators.

Every AWS call a handler can make is recorded with its resolved arguments (least-privilege generation reads
them); a few calls are sources (a fetched secret, an S3 object named by the event) or sinks (a DynamoDB
expression or PartiQL statement built from caller data, a local file path of a transfer helper). The tables
are in models.py (RESOURCE_OPS, RESOURCE_CTORS, ARG_NAMES, TRANSFER_POSITIONS, SUBRESOURCE_TRANSFER...).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from faasguard.analysis.code.core.results import Fetch, TmpEvent
from faasguard.analysis.code.core.sinks import SQL_TEXT_PARAMETERS
from faasguard.analysis.code.core.values import CLEAN, Arg, Taint, Val, nested_roles, stringify
from faasguard.analysis.code.facts import is_role_parameter
from faasguard.analysis.code.python.aws import TRANSFER_METHODS, operation_name, waiter_operation
from faasguard.analysis.code.python.models import (
    ARG_NAMES,
    DYNAMO_EXPRESSIONS,
    DYNAMO_LEGACY_CONDITIONS,
    IMPLIED_S3_READS,
    IMPLIED_S3_READS_SECOND,
    PARTIQL_METHODS,
    PUBLISH_PARAMETERS,
    RESOURCE_CTORS,
    RESOURCE_OPS,
    SECRET_PARAMETERS,
    SUBRESOURCE_KINDS,
    SUBRESOURCE_TRANSFER,
    TRANSFER_POSITIONS,
)
from faasguard.analysis.code.python.secrets import is_secret_name, looks_secret_value
from faasguard.analysis.code.python.syntax import shorten
from faasguard.model import Unknown

if TYPE_CHECKING:
    from faasguard.analysis.code.python.expressions import FunctionAnalysis


def boto3_factory(  # noqa: PLR0917
    fa: FunctionAnalysis, qual: str, method: str | None, service_val: Val | None, kwargs: dict[str, Val], node: ast.Call
) -> Val:
    """`boto3.client("s3")`, `session.resource("dynamodb")`: a client or resource for the named service."""
    service = service_val.const if service_val is not None else None
    endpoint = kwargs.get("endpoint_url")
    if endpoint is not None:
        fa.hit("url", f"{qual or method}(endpoint_url=...)", node, endpoint)
    kind = "resource" if (qual.endswith("resource") or method == "resource") else "client"
    if service is None:
        return Val(kind=kind, service=None)
    return Val(kind=kind, service=service)


def _resource_args(kwargs: dict[str, Val]) -> dict[str, Val | Arg]:
    """The arguments that name what the call acts on, and the roles it hands to the service (also inside a
    structure: `Target={"RoleArn": ...}`), which need `iam:PassRole`."""
    found: dict[str, Val | Arg] = {
        name: value
        for name, value in kwargs.items()
        if name in ARG_NAMES or name.endswith(("Name", "Arn", "ARN", "Url", "Identifier")) or is_role_parameter(name)
    }
    for name, value in kwargs.items():
        if value.fields:
            found.update(nested_roles(name, value))
    return found

def aws_call(  # noqa: PLR0917
    fa: FunctionAnalysis, receiver: Val, method: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call
) -> Val | None:
    """A method of a boto3 client, resource, sub-resource (table, bucket, object, queue...), batch writer,
    collection or paginator: the AWS call it makes (recorded with its resolved arguments), and what it returns.
    None when the receiver is not a boto3 object."""
    kind, service = receiver.kind, receiver.service
    if kind == "client" and service:
        return _client_call(fa, service, method, args, kwargs, node)
    if kind == "resource" and service:
        return _resource_call(fa, service, method, args, kwargs, node)
    if kind in SUBRESOURCE_KINDS and service:
        return _subresource_call(fa, receiver, method, args, kwargs, node)
    if kind == "waiter" and service and method == "wait":
        name = receiver.extra or "?"
        fa.record(service, f"get_waiter({name})", waiter_operation(service, name), _resource_args(kwargs), node)
        return CLEAN
    if kind == "paginator" and service and method == "paginate":
        name = receiver.extra or "?"
        fa.record(
            service, f"get_paginator({name})", operation_name(service, name), _resource_args(kwargs), node
        )
        return CLEAN
    return None



def _resource_call(  # noqa: PLR0917
    fa: FunctionAnalysis, service: str, method: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call
) -> Val:
    """`boto3.resource(service).Table(name)` and friends, or an operation of the service resource."""
    if method in RESOURCE_CTORS:
        sub_kind, names = RESOURCE_CTORS[method]
        aws = tuple(
            (name, fa.argvalue(args[i] if i < len(args) else kwargs.get(name)))
            for i, name in enumerate(names)
        )
        return Val(kind=sub_kind, service=service, aws=aws)
    if method == "get_queue_by_name":
        fa.record(service, method, "GetQueueUrl", _resource_args(kwargs), node)
        return Val(kind="queue", service=service, aws=(("QueueUrl", Unknown("looked up by name")),))
    operation = operation_name(service, method)
    if operation is not None:
        fa.record(service, method, operation, _resource_args(kwargs), node)
        return CLEAN
    return Val(kind="resource-sub", service=service)


def _subresource_call(  # noqa: PLR0917
    fa: FunctionAnalysis, receiver: Val, method: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call
) -> Val:
    """A method of a table, bucket, object, queue, topic, batch writer or object collection: its call is
    recorded with the identifiers the sub-resource was built with (TableName, Bucket, Key...)."""
    kind, service = receiver.kind or "", receiver.service or ""
    base = dict(receiver.aws)
    if kind == "table" and method == "batch_writer":
        return Val(kind="batch_writer", service=service, aws=receiver.aws)
    if kind == "bucket" and method == "Object":
        key = args[0] if args else kwargs.get("key")
        return Val(kind="object", service=service, aws=(*receiver.aws, ("Key", fa.argvalue(key))))
    transfer = SUBRESOURCE_TRANSFER.get((kind, method))
    merged: dict[str, Val | Arg] = dict(base)
    if transfer is not None:
        for index, name in enumerate(transfer):
            value = args[index] if index < len(args) else kwargs.get(name)
            if value is not None and name in ("Key", "CopySource"):
                merged[name] = value
            if name == "Filename" and value is not None:
                _local_file(fa, method, value, node, merged.get("Key"))
        fa.record(
            service, f"{kind}.{method}" if kind != "object" else f"object.{method}", None, merged, node
        )
        return CLEAN
    if kind == "batch_writer":
        if method in ("put_item", "delete_item"):
            fa.record(service, f"batch_writer.{method}", "BatchWriteItem", merged, node)
        return CLEAN
    if kind == "collection":
        if method in ("all", "filter", "limit", "page_size", "delete"):
            merged.update(_resource_args(kwargs))
            listing = "DeleteObjects" if method == "delete" else "ListObjects"
            fa.record(service, f"objects.{method}", listing, merged, node)
        return CLEAN
    operation = RESOURCE_OPS.get((service, method)) or operation_name(service, method)
    if operation is None:
        return CLEAN
    merged.update(_resource_args(kwargs))
    fa.record(service, method, operation, merged, node)
    _dynamo_checks(fa, service, method, kwargs, node)
    _published(fa, service, method, kwargs, node)
    if kind == "object" and method == "get" and any(
        isinstance(v, Unknown) and "event" in v.reason for _, v in receiver.aws
    ):
        return Val(taints=(Taint("event", "S3 object named by the event", fa.loc(node), structured=False),))
    return CLEAN


def _client_call(  # noqa: PLR0917
    fa: FunctionAnalysis, service: str, method: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call
) -> Val:
    if method == "get_paginator":
        name = args[0].const if args else (kwargs["operation_name"].const if "operation_name" in kwargs else None)
        return Val(kind="paginator", service=service, extra=name)
    if method == "get_waiter":
        name = args[0].const if args else (kwargs["waiter_name"].const if "waiter_name" in kwargs else None)
        return Val(kind="waiter", service=service, extra=name)
    if method in ("can_paginate", "close"):
        return CLEAN
    if method in ("generate_presigned_url", "generate_presigned_post"):
        target = args[0].const if args else (kwargs["ClientMethod"].const if "ClientMethod" in kwargs else None)
        params = kwargs.get("Params")
        fields: dict[str, Val | Arg] = dict(params.fields or ()) if params is not None else {}
        if method == "generate_presigned_post":
            fields = {
                "Bucket": kwargs.get("Bucket") or (args[0] if args else CLEAN),
                "Key": kwargs.get("Key") or (args[1] if len(args) > 1 else CLEAN),
            }
            target = "put_object"
        fa.record(
            service,
            f"{method}({target})",
            operation_name(service, target) if target else None,
            {k: v for k, v in fields.items() if k in ARG_NAMES},
            node,
        )
        return CLEAN
    if (service, method) == ("rds", "generate_db_auth_token"):
        fa.record(service, method, None, {}, node)  # the token is for connecting: iam/boto_map.py HELPER_ACTIONS
        return CLEAN
    if method in TRANSFER_METHODS:
        positions = TRANSFER_POSITIONS[method]
        merged: dict[str, Val | Arg] = {}
        for index, name in enumerate(positions):
            value = args[index] if index < len(args) else kwargs.get(name)
            if value is not None and name in ("Bucket", "Key", "CopySource"):
                merged[name] = value
            if name == "Filename" and value is not None:
                _local_file(fa, method, value, node, merged.get("Key"))
        fa.record(service, method, None, merged, node)
        return CLEAN
    operation = operation_name(service, method)
    if operation is None:
        return CLEAN
    fa.record(service, method, operation, _resource_args(kwargs), node)
    _dynamo_checks(fa, service, method, kwargs, node)
    sql_parameter = SQL_TEXT_PARAMETERS.get((service, operation))
    if sql_parameter is not None and sql_parameter in kwargs:
        fa.hit("sql", f"{service}.{method}({sql_parameter}=...)", node, stringify(kwargs[sql_parameter]))
    _secret_literals(fa, service, method, kwargs, node)
    _published(fa, service, method, kwargs, node)
    _implied_s3_reads(fa, service, method, kwargs, node)
    if (service == "secretsmanager" and method == "get_secret_value") or (
        service == "ssm"
        and method in ("get_parameter", "get_parameters", "get_parameters_by_path")
        and kwargs.get("WithDecryption", CLEAN).kind == "true"
    ):
        ident = kwargs.get("SecretId") or kwargs.get("Name") or kwargs.get("Names") or kwargs.get("Path")
        label = f"{service}.{method}({shorten(str(fa.argvalue(ident)), 50)})"
        fa.summary.fetches.append(Fetch(fa.loc(node), f"secret {label}", False))
        return Val(taints=(Taint("secret", label, fa.loc(node), whole=True),), kind="secret-holder")
    if service == "kms" and method == "decrypt":
        # decrypted data: often the caller's own document (not a credential to keep from them), never for a log
        return Val(taints=(Taint("decrypted", "kms.decrypt(...)", fa.loc(node), whole=True),))
    if service == "s3" and method == "get_object":
        key = kwargs.get("Key")
        if key is not None and any(t.kind == "event" for t in key.taints):
            return Val(
                taints=(
                    Taint(
                        "event", f"S3 object {shorten(key.taints[0].source, 50)}", fa.loc(node), structured=False
                    ),
                )
            )
    return CLEAN

def _dynamo_checks(
    fa: FunctionAnalysis, service: str, method: str, kwargs: dict[str, Val], node: ast.Call
) -> None:
    if service != "dynamodb":
        return
    for name in DYNAMO_EXPRESSIONS:
        value = kwargs.get(name)
        if value is not None and value.kind != "condition" and value.taints:
            fa.hit("nosql", f"{method}({name}=...)", node, stringify(value))
    for name in DYNAMO_LEGACY_CONDITIONS:
        value = kwargs.get(name)
        if value is None or not value.taints:
            continue
        if value.fields is None:  # the whole condition document comes from elsewhere: the caller may shape it
            fa.hit("nosql", f"{method}({name}=...)", node, value, "structured")
            continue
        _legacy_condition(fa, method, name, value, node)
    if method in PARTIQL_METHODS:
        statement = kwargs.get("Statement")
        if statement is not None:
            fa.hit("nosql", f"{method}(Statement=...)", node, stringify(statement))

def _legacy_condition(fa: FunctionAnalysis, method: str, name: str, value: Val, node: ast.Call) -> None:
    """`ScanFilter={attr: {"ComparisonOperator": op, "AttributeValueList": [v]}}`: caller data as the values is
    fine (they are bound like ExpressionAttributeValues); as an attribute name, an operator or a whole
    condition it changes what is compared."""
    fields = value.fields or ()
    inner = {t.key() for _, field_value in fields for t in field_value.taints}
    key_taints = tuple(t for t in value.taints if t.key() not in inner)
    if key_taints:
        fa.hit("nosql", f"{method}({name}) attribute name", node, Val(taints=key_taints))
    for _, condition in fields:
        if condition.fields is None:
            fa.hit("nosql", f"{method}({name}=...)", node, condition, "structured")
            continue
        operator = condition.field_val("ComparisonOperator")
        if operator is not None:
            fa.hit("nosql", f"{method}({name}) ComparisonOperator", node, stringify(operator))


def _implied_s3_reads(
    fa: FunctionAnalysis, service: str, method: str, kwargs: dict[str, Val], node: ast.Call
) -> None:
    """A service API that reads an S3 object as the caller (models.py IMPLIED_S3_READS): the function also
    makes an s3 GetObject on that object, recorded as its own call for least privilege."""
    for table in (IMPLIED_S3_READS, IMPLIED_S3_READS_SECOND):
        row = table.get((service, method))
        if row is None:
            continue
        path, key_field = row
        location: Val | None = kwargs.get(path[0])
        for part in path[1:]:
            location = location.field_val(part) if location is not None else None
        if location is None:
            continue
        if key_field == "MediaFileUri":
            bucket, key = _s3_uri(location.field_val(key_field))
        else:
            bucket, key = location.field_val("Bucket"), location.field_val(key_field)
        arguments: dict[str, Val | Arg] = {
            "Bucket": bucket if bucket is not None else Unknown("not given"),
            "Key": key if key is not None else Unknown("not given"),
        }
        fa.record("s3", f"{service}.{method} reads the object", "GetObject", arguments, node)


def _s3_uri(uri: Val | None) -> tuple[Val | Arg | None, Val | Arg | None]:
    """`s3://bucket/key`: the bucket and key as far as the literal part of the URI says."""
    if uri is None:
        return None, None
    text = uri.const if uri.const is not None else uri.prefix
    if not text or not text.startswith("s3://"):
        return Unknown("media URI not known"), Unknown("media URI not known")
    bucket, slash, key = text[len("s3://") :].partition("/")
    if uri.const is not None:
        return bucket, key
    return (bucket if slash else Unknown("bucket built at runtime")), Unknown("key built at runtime")


def _published(fa: FunctionAnalysis, service: str, method: str, kwargs: dict[str, Val], node: ast.Call) -> None:
    """A message handed to other readers (topic subscribers, queue consumers, WebSocket clients)."""
    for name in PUBLISH_PARAMETERS.get((service, method), ()):
        value = kwargs.get(name)
        if value is not None:
            fa.hit("publish", f"{service}.{method}({name}=...)", node, value)


def _secret_literals(fa: FunctionAnalysis, service: str, method: str, kwargs: dict[str, Val], node: ast.Call) -> None:
    """A literal passed as a credential parameter of an SDK call is a hard-coded secret whatever the variable
    holding it is called. A literal written in the call under a secret-looking keyword is left to the
    module-wide literal scan, which reports it on its own line."""
    for keyword in node.keywords:
        if keyword.arg not in SECRET_PARAMETERS:
            continue
        value = kwargs.get(keyword.arg)
        if value is None or value.const is None or not looks_secret_value(value.const):
            continue
        if isinstance(keyword.value, ast.Constant) and is_secret_name(keyword.arg):
            continue
        fa.issue(
            "hardcoded-secret",
            f"a literal is passed as {keyword.arg} of {service}.{method}(); a credential in the source is "
            "hard-coded: load it from Secrets Manager or SSM at init instead",
            keyword.value,
        )


def _local_file(fa: FunctionAnalysis, method: str, value: Val, node: ast.Call, key: Val | Arg | None) -> None:
    fa.hit("path", f"{method}(Filename=...)", node, value)
    if method.startswith("download") and value.tmp:
        fa.summary.tmp.append(
            TmpEvent(value.tmp, fa.loc(node), fa.key, False, fa.in_finally > 0, f"the file {method} writes")
        )
        if isinstance(key, Val) and key.taints:  # the object the event names: its content is the uploader's
            source = Taint("event", f"S3 object {shorten(key.taints[0].source, 50)}", fa.loc(node), structured=False)
            fa.downloads[value.tmp] = (source,)

