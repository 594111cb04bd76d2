"""Event validation helpers per source: API Gateway (v1 REST, v2 HTTP / function URLs, ALB), S3, SQS, SNS.

Each helper checks the event's *shape* first (an S3 helper given an API Gateway event says so instead of
raising KeyError deep in the handler), then the caller's constraints, and returns a small typed view of the
event. Every failure is a `ValidationError`; the guard's handler wrapper turns it into a 400 response for HTTP
sources. Bodies are checked against a JSON Schema subset written here (the guard is standard-library only; the
subset: type, properties, required, additionalProperties, items, enum, const, min/maxLength, pattern,
minimum/maximum, min/maxItems) or against a pydantic model when one is passed (pydantic is used when the
function has it; the guard never imports it itself).
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from faasguard.guard._errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping, Pattern

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# AWS's "safe characters" for object keys (letters, digits, ! - _ . * ' ( ) /) plus the space, which uploads
# commonly contain. Shell metacharacters (; | & $ ` < > and quotes) are outside it.
_SAFE_KEY = re.compile(r"^[A-Za-z0-9!\-_.*'()/ ]+$")
_TRAVERSAL = re.compile(r"(^|[/\\])\.\.([/\\]|$)")


# ------------------------------------------------------------------------------------------ JSON schema subset
_TYPES: dict[str, Any] = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    kind = _TYPES.get(expected)
    if kind is None:
        raise ValueError(f"unsupported JSON schema type {expected!r}")
    return isinstance(value, kind)


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:  # noqa: C901, PLR0912 -- one check per JSON-schema keyword of the supported subset
    """Errors of `value` against the JSON Schema subset; an empty list means valid."""
    errors: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        options = expected if isinstance(expected, list) else [expected]
        if not any(_type_ok(value, t) for t in options):
            return [f"{path}: expected {' or '.join(options)}, got {_json_type(value)}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must equal {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: must be one of {schema['enum']!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: greater than {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                errors.extend(schema_errors(item, schema["items"], f"{path}[{index}]"))
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{path}: missing required property {name!r}")
        for name, item in value.items():
            if name in properties:
                errors.extend(schema_errors(item, properties[name], f"{path}.{name}"))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected property {name!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors.extend(schema_errors(item, schema["additionalProperties"], f"{path}.{name}"))
    return errors


def _json_type(value: Any) -> str:
    for name, kind in (("null", type(None)), ("boolean", bool), ("integer", int), ("number", float),
                       ("string", str), ("array", list), ("object", dict)):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def check_data(data: Any, schema: Any, source: str, where: str = "body") -> Any:
    """Validate parsed JSON against a schema dict or a pydantic model class; returns the data or the model."""
    if schema is None:
        return data
    if isinstance(schema, dict):
        errors = schema_errors(data, schema, where)
        if errors:
            raise ValidationError(errors, source)
        return data
    validate = getattr(schema, "model_validate", None) or getattr(schema, "parse_obj", None)
    if validate is None:
        raise TypeError("schema must be a JSON schema dict or a pydantic model class")
    try:
        return validate(data)
    except Exception as exc:
        if type(exc).__name__ != "ValidationError":
            raise
        items = exc.errors() if hasattr(exc, "errors") else []
        raise ValidationError([f"{where}.{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                               for e in items] or [str(exc)], source) from None


def _parse_json(text: str | bytes, source: str, where: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{where}: not valid JSON ({exc})", source) from None


# ------------------------------------------------------------------------------------------ API Gateway
class _Record:
    """A small read-only record (the guard avoids dataclasses: importing them costs ~8 ms at cold start)."""

    __slots__: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()

    def __init__(self, *values: Any) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self._fields)

    def __hash__(self) -> int:
        return hash(tuple(repr(getattr(self, n)) for n in self._fields))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields) + ")"


class HttpRequest(_Record):
    """The normalized request of an API Gateway v1/v2, function URL or ALB event."""

    _fields = ("version", "method", "path", "headers", "query", "path_params", "body", "data")
    __slots__ = ("body", "data", "headers", "method", "path", "path_params", "query", "version")
    version: str
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    path_params: dict[str, str]
    body: str | bytes | None
    data: Any


def is_http_event(event: Any) -> bool:
    """API Gateway REST/HTTP APIs, function URLs and ALB all carry requestContext plus a method."""
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return False
    return "httpMethod" in event or isinstance(event["requestContext"].get("http"), dict)


def _str_map(value: Any, what: str, source: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValidationError(f"{what}: expected an object", source)
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def unquote_plus(text: str) -> str:
    from urllib.parse import unquote_plus as unquote  # lazily: urllib.parse costs ~4 ms to import

    return unquote(text)


def api_gateway(event: Any, *, methods: Iterable[str] | None = None, path: str | Pattern[str] | None = None,  # noqa: C901, PLR0912 -- the API Gateway v1/v2 event shapes side by side
                max_body: int = 1024 * 1024, max_params: int = 50, max_param_length: int = 1024,
                schema: Any = None, json_body: bool | None = None) -> HttpRequest:
    """Validate an HTTP event. `path` must match the whole path; `schema` applies to the JSON body."""
    source = "http"
    if not is_http_event(event):
        raise ValidationError("not an API Gateway / function URL / ALB event "
                              "(requestContext with httpMethod or requestContext.http missing)", source)
    context = event["requestContext"]
    if isinstance(context.get("http"), dict):
        version = "2.0"
        method = context["http"].get("method")
        raw_path = event.get("rawPath", context["http"].get("path"))
    else:
        version = "1.0"
        method = event.get("httpMethod")
        raw_path = event.get("path")
    errors: list[str] = []
    if not isinstance(method, str) or not isinstance(raw_path, str):
        raise ValidationError("method or path missing or not a string", source)
    if methods is not None and method.upper() not in {m.upper() for m in methods}:
        errors.append(f"method {method} not allowed")
    if path is not None:
        pattern = re.compile(path) if isinstance(path, str) else path
        if not pattern.fullmatch(raw_path):
            errors.append(f"path {raw_path[:200]!r} does not match {pattern.pattern!r}")
    headers = {k.lower(): v for k, v in _str_map(event.get("headers"), "headers", source).items()}
    query = _str_map(event.get("queryStringParameters"), "queryStringParameters", source)
    multi = event.get("multiValueQueryStringParameters")
    count = sum(len(v) if isinstance(v, list) else 1 for v in multi.values()) if isinstance(multi, dict) \
        else len(query)
    path_params = _str_map(event.get("pathParameters"), "pathParameters", source)
    if count + len(path_params) > max_params:
        errors.append(f"{count + len(path_params)} parameters, more than {max_params}")
    for where, params in (("query", query), ("path", path_params)):
        for name, value in params.items():
            if len(value) > max_param_length or len(name) > max_param_length:
                errors.append(f"{where} parameter {name[:50]!r} longer than {max_param_length}")
            if _CONTROL.search(value):
                errors.append(f"{where} parameter {name[:50]!r} contains control characters")
    for name, value in path_params.items():
        if _TRAVERSAL.search(unquote_plus(value)):
            errors.append(f"path parameter {name[:50]!r} contains '..' (path traversal)")
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        errors.append("body: expected a string")
        body = None
    decoded: str | bytes | None = body
    if isinstance(body, str) and event.get("isBase64Encoded"):
        try:
            decoded = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            errors.append("body: isBase64Encoded but not valid base64")
            decoded = None
    size = len(decoded.encode() if isinstance(decoded, str) else decoded or b"")
    if size > max_body:
        errors.append(f"body is {size} bytes, more than {max_body}")
    if errors:
        raise ValidationError(errors, source)
    data = None
    want_json = json_body if json_body is not None else schema is not None
    if want_json:
        if decoded is None or decoded == "":
            raise ValidationError("body: missing (a JSON body is required)", source)
        data = check_data(_parse_json(decoded, source, "body"), schema, source)
    return HttpRequest(version, method.upper(), raw_path, headers, query, path_params, decoded, data)


# ------------------------------------------------------------------------------------------ S3
class S3Object(_Record):
    """One object of an S3 notification."""

    _fields = ("bucket", "key", "size", "event_name")
    __slots__ = ("bucket", "event_name", "key", "size")
    bucket: str
    key: str  # URL-decoded: S3 notifications encode keys (space as '+')
    size: int | None
    event_name: str


def _records(event: Any, source_field: str, expected: str, source: str) -> list[dict[str, Any]]:
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list) or not event["Records"]:
        raise ValidationError(f"not a {source.upper()} event: no Records list", source)
    records: list[dict[str, Any]] = event["Records"]
    for index, record in enumerate(records):
        if not isinstance(record, dict) or record.get(source_field) != expected:
            got = record.get(source_field) if isinstance(record, dict) else type(record).__name__
            raise ValidationError(f"Records[{index}]: {source_field} is {got!r}, expected {expected!r}", source)
    return records


def s3(event: Any, *, extensions: Iterable[str] | None = None, prefix: str | None = None,
       max_key_length: int = 1024, safe_characters: bool = True) -> list[S3Object]:
    """Validate an S3 notification: keys without traversal or control characters, allowed extensions."""
    source = "s3"
    out: list[S3Object] = []
    allowed = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions) if extensions else None
    errors: list[str] = []
    for index, record in enumerate(_records(event, "eventSource", "aws:s3", source)):
        info: Any = record.get("s3")
        try:
            bucket = info["bucket"]["name"]
            raw_key = info["object"]["key"]
        except (KeyError, TypeError):
            raise ValidationError(f"Records[{index}].s3: bucket.name or object.key missing", source) from None
        if not isinstance(bucket, str) or not isinstance(raw_key, str):
            raise ValidationError(f"Records[{index}].s3: bucket.name and object.key must be strings", source)
        key = unquote_plus(raw_key)
        where = f"Records[{index}] key {key[:100]!r}"
        if len(key) > max_key_length:
            errors.append(f"{where}: longer than {max_key_length}")
        if _CONTROL.search(key):
            errors.append(f"{where}: contains control characters")
        if _TRAVERSAL.search(key) or key.startswith("/"):
            errors.append(f"{where}: path traversal ('..' segment or leading '/')")
        if safe_characters and not _SAFE_KEY.match(key):
            errors.append(f"{where}: characters outside the safe set (letters, digits, space, !-_.*'()/)")
        if allowed is not None and not key.lower().endswith(allowed):
            errors.append(f"{where}: extension not in {list(allowed)}")
        if prefix is not None and not key.startswith(prefix):
            errors.append(f"{where}: not under prefix {prefix!r}")
        size = info["object"].get("size")
        out.append(S3Object(bucket, key, size if isinstance(size, int) else None, str(record.get("eventName", ""))))
    if errors:
        raise ValidationError(errors, source)
    return out


# ------------------------------------------------------------------------------------------ SQS / SNS
class Message(_Record):
    """One SQS or SNS message: its id, the raw body, the parsed (and validated) data, the attributes."""

    _fields = ("message_id", "body", "data", "attributes")
    __slots__ = ("attributes", "body", "data", "message_id")
    message_id: str
    body: str
    data: Any
    attributes: dict[str, Any]


def sqs(event: Any, *, schema: Any = None, max_body: int = 256 * 1024, unwrap_sns: bool = False) -> list[Message]:
    """Validate an SQS batch: each body JSON-parsed and checked; `unwrap_sns` reads SNS-to-SQS envelopes."""
    source = "sqs"
    out: list[Message] = []
    for index, record in enumerate(_records(event, "eventSource", "aws:sqs", source)):
        body = record.get("body")
        if not isinstance(body, str):
            raise ValidationError(f"Records[{index}].body: expected a string", source)
        if len(body.encode()) > max_body:
            raise ValidationError(f"Records[{index}].body: more than {max_body} bytes", source)
        data = _parse_json(body, source, f"Records[{index}].body") if schema is not None or unwrap_sns else None
        if unwrap_sns:
            if not (isinstance(data, dict) and data.get("Type") == "Notification" and isinstance(data.get("Message"),
                                                                                                  str)):
                raise ValidationError(f"Records[{index}].body: not an SNS notification envelope", source)
            data = _parse_json(data["Message"], source, f"Records[{index}].Message") if schema is not None else None
        if schema is not None:
            data = check_data(data, schema, source, f"Records[{index}].body")
        out.append(Message(str(record.get("messageId", "")), body, data,
                           dict(record.get("messageAttributes") or {})))
    return out


def sns(event: Any, *, schema: Any = None, max_body: int = 256 * 1024) -> list[Message]:
    """Validate an SNS notification batch: each Sns.Message JSON-parsed and checked against `schema`."""
    source = "sns"
    out: list[Message] = []
    for index, record in enumerate(_records(event, "EventSource", "aws:sns", source)):
        message = record.get("Sns")
        if not isinstance(message, dict) or not isinstance(message.get("Message"), str):
            raise ValidationError(f"Records[{index}].Sns.Message: missing or not a string", source)
        body = message["Message"]
        if len(body.encode()) > max_body:
            raise ValidationError(f"Records[{index}].Sns.Message: more than {max_body} bytes", source)
        data = None
        if schema is not None:
            data = check_data(_parse_json(body, source, f"Records[{index}].Sns.Message"), schema, source,
                              f"Records[{index}].Sns.Message")
        out.append(Message(str(message.get("MessageId", "")), body, data,
                           dict(message.get("MessageAttributes") or {})))
    return out


def bad_request(error: ValidationError) -> dict[str, Any]:
    """The 400 response the handler wrapper returns for a ValidationError on an HTTP event."""
    return {"statusCode": 400, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": "invalid request", "errors": error.errors[:20]})}
