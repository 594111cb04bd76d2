"""Event validation helpers: shapes, constraints, schema subset, pydantic models."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from faasguard.guard import ValidationError, validate


def v1(method: str = "GET", path: str = "/items/42", body: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"resource": "/items/{id}", "path": path, "httpMethod": method, "headers": {"Content-Type": "x"},
            "queryStringParameters": {"q": "a"}, "pathParameters": {"id": path.rsplit("/", 1)[-1]},
            "requestContext": {"stage": "prod"}, "body": body, "isBase64Encoded": False, **extra}


def v2(method: str = "POST", path: str = "/items", body: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"version": "2.0", "routeKey": f"{method} {path}", "rawPath": path, "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": method, "path": path}}, "body": body,
            "isBase64Encoded": False, **extra}


SCHEMA = {"type": "object", "required": ["name", "qty"], "additionalProperties": False,
          "properties": {"name": {"type": "string", "maxLength": 10, "pattern": "^[a-z]+$"},
                         "qty": {"type": "integer", "minimum": 1, "maximum": 5},
                         "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}}}


def test_api_gateway_v1_and_v2() -> None:
    request = validate.api_gateway(v1(), methods=["GET"], path=r"/items/[0-9]+")
    assert (request.version, request.method, request.path, request.query, request.path_params) == \
        ("1.0", "GET", "/items/42", {"q": "a"}, {"id": "42"})
    assert request.headers == {"content-type": "x"}
    request = validate.api_gateway(v2(body='{"name": "abc", "qty": 2}'), methods=["POST"], schema=SCHEMA)
    assert request.version == "2.0" and request.data == {"name": "abc", "qty": 2}


@pytest.mark.parametrize(("event", "kwargs", "message"), [
    (v1("DELETE"), {"methods": ["GET"]}, "method DELETE not allowed"),
    (v1(path="/admin"), {"path": r"/items/[0-9]+"}, "does not match"),
    (v1(path="/items/..%2F..%2Fetc"), {}, "path traversal"),
    (v1(body="x" * 20), {"max_body": 10}, "more than 10"),
    (v1(queryStringParameters={f"p{i}": "1" for i in range(60)}), {}, "more than 50"),
    (v1(queryStringParameters={"q": "a" * 2000}), {}, "longer than 1024"),
    (v1(body="!!notbase64", isBase64Encoded=True), {}, "not valid base64"),
    (v2(body='{"name": "ABC", "qty": 9, "x": 1}'), {"schema": SCHEMA}, "does not match"),
    (v2(body="not json"), {"schema": SCHEMA}, "not valid JSON"),
    (v2(body=None), {"schema": SCHEMA}, "missing"),
    ({"Records": []}, {}, "not an API Gateway"),
    ("a string", {}, "not an API Gateway"),
])
def test_api_gateway_rejects(event: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate.api_gateway(event, **kwargs)
    assert message in str(excinfo.value)
    assert excinfo.value.source == "http"


def test_schema_errors_are_all_listed() -> None:
    errors = validate.schema_errors({"name": "ABC", "qty": 9, "x": 1, "tags": [1, "a", "b"]}, SCHEMA)
    assert len(errors) == 5, errors


def test_base64_body_is_decoded() -> None:
    event = v2(body=base64.b64encode(b'{"name": "ab", "qty": 1}').decode(), isBase64Encoded=True)
    assert validate.api_gateway(event, schema=SCHEMA).data == {"name": "ab", "qty": 1}


def s3_event(*keys: str) -> dict[str, Any]:
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": "b"}, "object": {"key": k, "size": 3}}} for k in keys]}


def test_s3() -> None:
    objects = validate.s3(s3_event("photos/My+Cat.JPG"), extensions=[".jpg", "png"])
    assert objects[0].key == "photos/My Cat.JPG" and objects[0].bucket == "b" and objects[0].size == 3


@pytest.mark.parametrize(("key", "message"), [
    ("../../etc/passwd.jpg", "path traversal"),
    ("%2Fetc%2Fpasswd.jpg", "path traversal"),
    ("a%3Bcurl+evil%7Csh.jpg", "outside the safe set"),
    ("a%00.jpg", "control characters"),
    ("doc.exe", "extension not in"),
])
def test_s3_rejects(key: str, message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate.s3(s3_event(key), extensions=[".jpg"])
    assert message in str(excinfo.value)


def test_s3_wrong_shape() -> None:
    with pytest.raises(ValidationError, match="eventSource is 'aws:sqs'"):
        validate.s3({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]})
    with pytest.raises(ValidationError, match=r"bucket\.name or object\.key missing"):
        validate.s3({"Records": [{"eventSource": "aws:s3", "s3": {}}]})


def test_sqs_sns_with_schema_and_envelope() -> None:
    body = json.dumps({"name": "ab", "qty": 1})
    sqs_event = {"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": body}]}
    assert validate.sqs(sqs_event, schema=SCHEMA)[0].data == {"name": "ab", "qty": 1}
    envelope = json.dumps({"Type": "Notification", "TopicArn": "arn:aws:sns:x", "Message": body})
    wrapped = {"Records": [{"eventSource": "aws:sqs", "messageId": "m2", "body": envelope}]}
    assert validate.sqs(wrapped, schema=SCHEMA, unwrap_sns=True)[0].data["qty"] == 1
    sns_event = {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "s1", "Message": body}}]}
    assert validate.sns(sns_event, schema=SCHEMA)[0].message_id == "s1"
    bad = {"Records": [{"eventSource": "aws:sqs", "messageId": "m3", "body": '{"name": 5}'}]}
    with pytest.raises(ValidationError, match=r"Records\[0\].body.name: expected string"):
        validate.sqs(bad, schema=SCHEMA)
    with pytest.raises(ValidationError, match="EventSource"):
        validate.sns(sqs_event)


def test_pydantic_model() -> None:
    import pydantic

    class Order(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str
        qty: int

    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": '{"name": "a", "qty": "3"}'}]}
    assert validate.sqs(event, schema=Order)[0].data.qty == 3
    event["Records"][0]["body"] = '{"name": "a"}'
    with pytest.raises(ValidationError, match="qty"):
        validate.sqs(event, schema=Order)


def test_bad_request_shape() -> None:
    response = validate.bad_request(ValidationError(["a", "b"], "http"))
    assert response["statusCode"] == 400 and json.loads(response["body"])["errors"] == ["a", "b"]
