"""FG512 and API Gateway token authorizers: a Cognito user pool or JWT authorizer verifies the `Authorization`
header before the function runs, so decoding that header in a function every route of which has one reads
verified claims; a token from any other header, or a route without such an authorizer, is still reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.code._gateway import COGNITO, fg512

FROM_AUTHORIZATION = """\
const jwt = require('jsonwebtoken');

exports.handler = async (event) => {
  const bearer = event.headers.Authorization.replace('Bearer ', '');
  const { sub, email } = jwt.decode(bearer);
  return { statusCode: 200, body: JSON.stringify({ sub, email }) };
};
"""

FROM_OTHER_HEADER = """\
const jwt = require('jsonwebtoken');

exports.handler = async (event) => {
  const { email } = jwt.decode(event.headers['x-id-token']);
  return { statusCode: 200, body: JSON.stringify({ email }) };
};
"""


def test_authorization_header_behind_cognito_authorizer_is_not_reported(tmp_path: Path) -> None:
    assert fg512(tmp_path, "profile.js", FROM_AUTHORIZATION, auth=COGNITO) == []


@pytest.mark.parametrize(("auth", "handler", "line"), [
    ("", FROM_AUTHORIZATION, 5),  # nothing in front of the function checked the token
    (COGNITO, FROM_OTHER_HEADER, 4),  # the authorizer checked Authorization, not this header
])
def test_unverified_token_still_reported(tmp_path: Path, auth: str, handler: str, line: int) -> None:
    assert fg512(tmp_path, "profile.js", handler, auth=auth) == [("profile.js", line)]
