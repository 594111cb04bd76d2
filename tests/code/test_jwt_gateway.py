"""FG512 in Python and API Gateway token authorizers, as in JavaScript (tests/code/js/test_jwt_gateway.py): a
Cognito user pool or JWT authorizer verifies the `Authorization` header before the function runs, so decoding
that header without verification in a function every route of which has one reads claims already checked; a
token from any other header, a route without such an authorizer, or a function with one open route is still
reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.code._gateway import COGNITO, OPEN_ROUTE, fg512

FROM_AUTHORIZATION = """\
import json

import jwt


def handler(event, context):
    bearer = event["headers"]["Authorization"].replace("Bearer ", "")
    claims = jwt.decode(bearer, options={"verify_signature": False})
    return {"statusCode": 200, "body": json.dumps({"sub": claims["sub"]})}
"""

FROM_OTHER_HEADER = """\
import json

import jwt


def handler(event, context):
    claims = jwt.decode(event["headers"]["x-id-token"], options={"verify_signature": False})
    return {"statusCode": 200, "body": json.dumps({"email": claims["email"]})}
"""


def test_authorization_header_behind_cognito_authorizer_is_not_reported(tmp_path: Path) -> None:
    assert fg512(tmp_path, "profile.py", FROM_AUTHORIZATION, auth=COGNITO) == []


@pytest.mark.parametrize(("auth", "handler", "extra", "line"), [
    ("", FROM_AUTHORIZATION, "", 8),  # nothing in front of the function checked the token
    (COGNITO, FROM_OTHER_HEADER, "", 7),  # the authorizer checked Authorization, not this header
    (COGNITO, FROM_AUTHORIZATION, OPEN_ROUTE, 8),  # a second route reaches the function with no authorizer
])
def test_unverified_token_still_reported(tmp_path: Path, auth: str, handler: str, extra: str, line: int) -> None:
    assert fg512(tmp_path, "profile.py", handler, auth=auth, extra=extra) == [("profile.py", line)]
