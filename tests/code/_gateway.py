"""The SAM app both FG512 authorizer tests deploy (tests/code/test_jwt_gateway.py for Python,
tests/code/js/test_jwt_gateway.py for JavaScript): one function behind a REST API, with or without a Cognito
authorizer, optionally a second route that has none; and the scan that returns where FG512 points."""

from __future__ import annotations

import json
from pathlib import Path

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
      Runtime: {runtime}
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


def fg512(tmp_path: Path, handler_file: str, handler: str, *, auth: str, extra: str = "") -> list[tuple[str, int]]:
    """(file name, line) of each FG512 finding when `handler` is `src/<handler_file>` of the app above."""
    runtime = "python3.12" if handler_file.endswith(".py") else "nodejs22.x"
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(auth=auth, extra=extra, runtime=runtime))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / handler_file).write_text(handler)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-o", str(out),
                                       "--select", "FG512"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    return [(Path(f["location"]["path"]).name, f["location"]["line"]) for f in report["findings"]]
