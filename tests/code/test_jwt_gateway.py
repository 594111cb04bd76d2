"""FG512 in Python and API Gateway token authorizers, as in JavaScript (tests/code/js/test_jwt_gateway.py): a
Cognito user pool or JWT authorizer verifies the `Authorization` header before the function runs, so decoding
that header without verification in a function every route of which has one reads claims already checked; a
token from any other header, a route without such an authorizer, or a function with one open route is still
reported."""

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
      Runtime: python3.12
      Events:
        Read:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /me
            Method: get
{extra}"""

COGNITO = """\
      Auth:
        DefaultAuthorizer: Members
        Authorizers:
          Members:
            UserPoolArn: arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Members
"""

OPEN_ROUTE = """\
        Public:
          Type: HttpApi
          Properties:
            Path: /me
            Method: get
"""

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


def fg512(tmp_path: Path, auth: str, handler: str, extra: str = "") -> list[tuple[str, int]]:
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(auth=auth, extra=extra))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "profile.py").write_text(handler)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-o", str(out),
                                       "--select", "FG512"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    return [(Path(f["location"]["path"]).name, f["location"]["line"]) for f in report["findings"]]


def test_authorization_header_behind_cognito_authorizer_is_not_reported(tmp_path: Path) -> None:
    assert fg512(tmp_path, COGNITO, FROM_AUTHORIZATION) == []


@pytest.mark.parametrize(("auth", "handler", "extra", "line"), [
    ("", FROM_AUTHORIZATION, "", 8),  # nothing in front of the function checked the token
    (COGNITO, FROM_OTHER_HEADER, "", 7),  # the authorizer checked Authorization, not this header
    (COGNITO, FROM_AUTHORIZATION, OPEN_ROUTE, 8),  # a second route reaches the function with no authorizer
])
def test_unverified_token_still_reported(tmp_path: Path, auth: str, handler: str, extra: str, line: int) -> None:
    assert fg512(tmp_path, auth, handler, extra) == [("profile.py", line)]
