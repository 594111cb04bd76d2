"""FG512 and API Gateway token authorizers: a Cognito user pool or JWT authorizer verifies the `Authorization`
header before the function runs, so decoding that header in a function every route of which has one reads
verified claims; a token from any other header, or a route without such an authorizer, is still reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard.cli import main

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
{auth}  Profile:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: profile.handler
      Runtime: nodejs22.x
      Events:
        Read:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /me
            Method: get
"""

COGNITO = """\
      Auth:
        DefaultAuthorizer: Members
        Authorizers:
          Members:
            UserPoolArn: arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Members
"""

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


def fg512(tmp_path: Path, auth: str, handler: str) -> list[tuple[str, int]]:
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(auth=auth))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "profile.js").write_text(handler)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-o", str(out),
                                       "--select", "FG512"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    return [(Path(f["location"]["path"]).name, f["location"]["line"]) for f in report["findings"]]


def test_authorization_header_behind_cognito_authorizer_is_not_reported(tmp_path: Path) -> None:
    assert fg512(tmp_path, COGNITO, FROM_AUTHORIZATION) == []


@pytest.mark.parametrize(("auth", "handler", "line"), [
    ("", FROM_AUTHORIZATION, 5),  # nothing in front of the function checked the token
    (COGNITO, FROM_OTHER_HEADER, 4),  # the authorizer checked Authorization, not this header
])
def test_unverified_token_still_reported(tmp_path: Path, auth: str, handler: str, line: int) -> None:
    assert fg512(tmp_path, auth, handler) == [("profile.js", line)]
