"""The attack graph on the shipped examples (the chain the vulnerable app's story tells, nothing on the secure
app) and the exposure × impact table, on real templates parsed by the real loaders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faasguard.analysis.paths import (
    AttackGraph,
    Capability,
    Exposure,
    Impact,
    ReachKind,
    path_severity,
)
from faasguard.config import Config
from faasguard.findings import Confidence, Severity
from faasguard.pipeline import scan

ROOT = Path(__file__).parent.parent.parent
VULNERABLE = ROOT / "examples" / "vulnerable-app"
SECURE = ROOT / "examples" / "secure-app"


@pytest.fixture(scope="module")
def vulnerable() -> tuple[AttackGraph, list]:  # type: ignore[type-arg]
    result = scan([str(VULNERABLE)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    return graph, result.findings


def test_example_app_has_the_s3_shell_secrets_path(vulnerable: tuple[AttackGraph, list]) -> None:  # type: ignore[type-arg]
    graph, findings = vulnerable
    path, preview = graph.paths  # the second: the Node.js PreviewFunction, SQS message → execSync
    assert (path.rank, path.function) == (1, "ImageConverterFunction")
    assert (preview.rank, preview.function, preview.severity) == (2, "PreviewFunction", Severity.MEDIUM)
    assert path.entry.node == "ImageConverterFunction.Upload"
    # The uploads bucket has no policy letting anyone write: its data comes from the app's users, not from
    # anyone (issue 15), so the path is high, not critical (test_public_bucket_makes_the_path_anonymous).
    assert path.entry.exposure is Exposure.UNTRUSTED_DATA
    assert [f.rule_id for f in path.flaws] == ["FG501"]  # the download_file target is a write, not a read
    assert path.severity is Severity.HIGH
    assert path.impact is Impact.WIDE
    hops = [(h.description.split(":", 1)[0], Path(h.location.path).name, h.location.line) for h in path.hops]
    assert hops[0] == ("entry", "template.yaml", 66)
    assert ("reaches subprocess.run(shell=True)", "app.py", 20) in hops
    assert ("credential", "template.yaml", 61) in hops
    secrets = next(r for r in path.reach if r.kind is ReachKind.SECRETS)
    assert secrets.actions == ("secretsmanager:GetSecretValue",)
    assert secrets.target == "*"
    assert secrets.location.line == 47
    admin_data = next(r for r in path.reach if r.used_by == ("DbAdminFunction",))
    assert "AuditTable" in admin_data.description

    fg901 = [f for f in findings if f.rule_id == "FG901"]
    assert [(f.severity, f.resource, Path(f.location.path).name, f.location.line) for f in fg901] == [
        (Severity.HIGH, "ImageConverterFunction", "app.py", 20),
        (Severity.MEDIUM, "PreviewFunction", "index.mjs", 12)]
    fg902 = [f for f in findings if f.rule_id == "FG902"]
    assert [(f.resource, f.location.line) for f in fg902] == [("SharedCatchAllRole", 23)]
    assert "DbAdminFunction's dynamodb:PutItem on AuditTable" in fg902[0].message


def test_example_negative_space(vulnerable: tuple[AttackGraph, list]) -> None:  # type: ignore[type-arg]
    graph, _ = vulnerable
    # SQL injection is tampering, not credential theft; the queue worker's role reaches nothing sensitive;
    # the public report function has no sink.
    assert [f.capability for f in graph.functions["DbAdminFunction"].flaws] == [Capability.DATA_TAMPERING]
    assert graph.functions["QueueWorkerFunction"].reach == ()
    assert graph.functions["ReportFunction"].flaws == ()
    assert not graph.paths_of("DbAdminFunction")
    assert not graph.paths_of("QueueWorkerFunction")


_PUBLIC_UPLOADS = """
  UploadsBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref UploadsBucket
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:PutObject
            Resource: !Sub "${UploadsBucket.Arn}/*"
"""


@pytest.mark.parametrize(("policy", "exposure", "severity"), [
    (_PUBLIC_UPLOADS, Exposure.ANONYMOUS, Severity.CRITICAL),
    (_PUBLIC_UPLOADS.replace('Resource: !Sub "${UploadsBucket.Arn}/*"', 'Resource: !Sub "${UploadsBucket.Arn}/*"\n'
                             '            Condition: {StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}}'),
     Exposure.UNTRUSTED_DATA, Severity.HIGH),
])
def test_public_bucket_makes_the_path_anonymous(tmp_path: Path, policy: str, exposure: Exposure,
                                                severity: Severity) -> None:
    """A bucket anyone may write to (FG311's condition) starts an anonymous path; a policy that narrows the
    writers to the account does not."""
    shutil.copytree(VULNERABLE, tmp_path / "app")
    template = tmp_path / "app" / "template.yaml"
    text = template.read_text()
    marker = "\n  ThumbnailsBucket:\n"
    assert text.count(marker) == 1
    template.write_text(text.replace(marker, policy + marker))
    result = scan([str(tmp_path / "app")], Config(select=("FG901", "FG311")), cwd=tmp_path)
    graph = result.facts[0].paths
    assert graph is not None
    (path,) = graph.paths_of("ImageConverterFunction")
    assert (path.entry.exposure, path.severity) == (exposure, severity)
    fg311 = [f for f in result.findings if f.rule_id == "FG311"]
    if exposure is Exposure.ANONYMOUS:
        assert "UploadsBucket, which anyone may write to (UploadsBucketPolicy line" in path.entry.description
        assert [(f.resource, f.function) for f in fg311] == [("UploadsBucket", "ImageConverterFunction")]
    else:
        assert fg311 == []


def test_secure_app_has_no_path() -> None:
    result = scan([str(SECURE)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    assert graph.paths == ()
    assert not [f for f in result.findings if f.rule_id.startswith("FG9")]


@pytest.mark.parametrize(("exposure", "impact", "expected"), [
    (Exposure.ANONYMOUS, Impact.ESCALATION, Severity.CRITICAL),
    (Exposure.ANONYMOUS, Impact.SCOPED, Severity.HIGH),
    (Exposure.UNTRUSTED_DATA, Impact.WIDE, Severity.HIGH),
    (Exposure.UNTRUSTED_DATA, Impact.SCOPED, Severity.MEDIUM),
    (Exposure.ANONYMOUS, Impact.WIDE, Severity.CRITICAL),
    (Exposure.AUTHENTICATED, Impact.SCOPED, Severity.MEDIUM),
    (Exposure.IAM_ONLY, Impact.ESCALATION, Severity.MEDIUM),
    (Exposure.IAM_ONLY, Impact.SCOPED, Severity.LOW),
    (Exposure.INTERNAL, Impact.ESCALATION, None),
])
def test_severity_table(exposure: Exposure, impact: Impact, expected: Severity | None) -> None:
    assert path_severity(exposure, impact) == expected


COGNITO_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            UserPoolArn: arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_abc
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Policies:
        - Statement:
            - Effect: Allow
              Action: ACTION
              Resource: "*"
      Events:
        Post:
          Type: Api
          Properties:
            Path: /x
            Method: post
            RestApiId: !Ref Api
"""


def _graph(tmp_path: Path, action: str) -> AttackGraph:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import subprocess\n\n\ndef handler(event, context):\n"
        "    subprocess.run('echo ' + event['body'], shell=True)\n")
    (tmp_path / "template.yaml").write_text(COGNITO_TEMPLATE.replace("ACTION", action))
    result = scan([str(tmp_path)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    return graph


def test_escalation_behind_cognito_is_high(tmp_path: Path) -> None:
    (path,) = _graph(tmp_path, "iam:AttachRolePolicy").paths
    assert path.entry.exposure is Exposure.AUTHENTICATED
    assert path.impact is Impact.ESCALATION
    assert path.severity is Severity.HIGH
    assert path.confidence is Confidence.HIGH


def test_log_only_role_behind_cognito_is_no_path(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "logs:PutLogEvents")
    assert graph.paths == ()
    assert [f.capability for f in graph.functions["Fn"].flaws] == [Capability.EXECUTION]


_FED_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Role: !GetAtt SharedRole.Arn
Resources:
  SharedRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [secretsmanager:GetSecretValue, sqs:SendMessage], Resource: "*"}
  JobsQueue:
    Type: AWS::SQS::Queue
  SubmitFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: submit.handler
      Environment:
        Variables:
          JOBS_URL: !Ref JobsQueue
      Events:
        Submit:
          Type: HttpApi
          Properties: {Path: /jobs, Method: post%s}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.handler
      Events:
        Jobs:
          Type: SQS
          Properties: {Queue: !GetAtt JobsQueue.Arn}
"""


@pytest.mark.parametrize(("auth", "exposure", "severity"), [
    ("", Exposure.ANONYMOUS, Severity.CRITICAL),
    (", Auth: {Authorizer: AWS_IAM}", Exposure.UNTRUSTED_DATA, Severity.HIGH),
])
def test_queue_fed_by_a_public_route_is_anonymous(tmp_path: Path, auth: str, exposure: Exposure,
                                                  severity: Severity) -> None:
    """A queue only the account may write to is still anyone's when an open route's handler writes into it
    ("the trigger is otherwise public"); behind IAM authorization the route's callers are not anyone."""
    (tmp_path / "template.yaml").write_text(_FED_TEMPLATE % auth)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "submit.py").write_text(
        "import os\n\nimport boto3\n\nsqs = boto3.client('sqs')\n\n\n"
        "def handler(event, context):\n"
        "    sqs.send_message(QueueUrl=os.environ['JOBS_URL'], MessageBody=event['body'])\n")
    (tmp_path / "src" / "worker.py").write_text(
        "import subprocess\n\n\ndef handler(event, context):\n"
        "    for record in event['Records']:\n"
        "        subprocess.run('convert ' + record['body'], shell=True, check=False)\n")
    result = scan([str(tmp_path)], Config(select=("FG901",)), cwd=tmp_path)
    graph = result.facts[0].paths
    assert graph is not None
    (path,) = graph.paths_of("WorkerFunction")
    assert (path.entry.exposure, path.severity) == (exposure, severity)
    if exposure is Exposure.ANONYMOUS:
        assert path.entry.description == ("SQS trigger WorkerFunction.Jobs: queue JobsQueue, which anyone feeds: "
                                          "function SubmitFunction (anyone can call it) writes to it, line 9")


_SHARED_ROLE_APP = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  SharedRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: all
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: ['dynamodb:PutItem', 'lambda:InvokeFunction']
                Resource: '*'
  Entry:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: entry.handler
      Role: !GetAtt SharedRole.Arn
      Events:
        Api:
          Type: Api
          Properties: {Path: /run, Method: post}
"""
_WORKER = """\
  Worker{i:02d}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: worker.handler
      Policies:
        - DynamoDBCrudPolicy: {{TableName: !Ref Table{i:02d}}}
      Environment:
        Variables: {{TABLE: !Ref Table{i:02d}}}
  Table{i:02d}:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
"""


def test_path_texts_name_ten_functions_and_count_the_rest(tmp_path: Path) -> None:
    """A shared role with wildcard grants reaches every function and table of the app: each path names ten of
    them and says how many more (listing all made n paths' texts grow as n squared)."""
    (tmp_path / "template.yaml").write_text(_SHARED_ROLE_APP + "".join(_WORKER.format(i=i) for i in range(14)))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(
        "import subprocess\n\n\ndef handler(event, context):\n"
        "    subprocess.run(event['body'], shell=True)\n")
    (tmp_path / "src" / "worker.py").write_text(
        "import os\nimport boto3\n\n\ndef handler(event, context):\n"
        "    boto3.resource('dynamodb').Table(os.environ['TABLE']).put_item(Item=event)\n")
    result = scan([str(tmp_path)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    (path,) = graph.paths
    assert path.function == "Entry"
    data = next(r for r in path.reach if r.kind is ReachKind.DATA)
    workers = tuple(f"Worker{i:02d}" for i in range(14))
    assert (data.used_by, data.more_users) == (workers[:10], 4)
    assert "including Table00, Table01" in data.description
    assert "Table09 and 4 more used by Worker00" in data.description
    lateral = next(r for r in path.reach if r.kind is ReachKind.LATERAL)
    assert (lateral.target, lateral.used_by, lateral.more_users) == ("*", workers[:10], 4)
    assert "(data of Worker00, Worker01" in path.summary
    assert "Worker09 and 4 more)" in path.summary


def test_account_wide_users_match_the_definition() -> None:
    """`_wide_users` derives from per-application counts what the definition says (the functions other than
    this one using a resource of the category that is not one of its own event sources, and those resources);
    checked against the definition on random apps, own resources included."""
    import random

    from faasguard.analysis.paths import _NAMED_AT_MOST, _CategoryUsers, _wide_users

    rng = random.Random(7)
    for _ in range(300):
        ids = [f"R{i}" for i in range(rng.randint(0, 30))]
        functions = [f"F{i}" for i in range(rng.randint(1, 15))]
        users = {r: tuple(sorted(rng.sample(functions, rng.randint(1, min(3, len(functions))))))
                 for r in ids if rng.random() < 0.7}
        category = _CategoryUsers(ids, users)
        function = rng.choice(functions)
        own = frozenset([*rng.sample(ids, min(len(ids), rng.randint(0, 3))), "Elsewhere"])
        hit = [r for r in ids if r not in own]
        others = sorted({u for r in hit for u in users.get(r, ()) if u != function})
        named = [r for r in hit if any(u in others for u in users.get(r, ()))]
        expected = (others[:_NAMED_AT_MOST], len(others), named[:_NAMED_AT_MOST], len(named))
        assert _wide_users(category, users, function, own) == expected


_TWO_STREAMS = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Handler: app.handler
    Role: !GetAtt SharedRole.Arn
Resources:
  SharedRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: tables
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:Scan
                Resource: [!GetAtt TableA.Arn, !GetAtt TableB.Arn]
%s
  FnA:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Stream:
          Type: DynamoDB
          Properties: {Stream: !GetAtt TableA.StreamArn, StartingPosition: LATEST}
  FnB:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Stream:
          Type: DynamoDB
          Properties: {Stream: !GetAtt TableB.StreamArn, StartingPosition: LATEST}
  FnC:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Api:
          Type: HttpApi
          Properties: {Path: /c, Method: post}
"""
_TABLE = """\
  Table{name}:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification: {{StreamViewType: NEW_IMAGE}}
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]"""


def test_shared_role_reach_leaves_out_each_functions_own_source(tmp_path: Path) -> None:
    """What a role reaches is derived once per role and shared by its functions, but a function's own event
    source stays its own: FnA's stolen role reaches TableB, FnB's reaches TableA, FnC's (an API) both."""
    (tmp_path / "template.yaml").write_text(_TWO_STREAMS % "\n".join(_TABLE.format(name=n) for n in "AB"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import subprocess\n\n\ndef handler(event, context):\n"
        "    subprocess.run(str(event['Records']), shell=True)\n")
    result = scan([str(tmp_path)], Config())
    graph = result.facts[0].paths
    assert graph is not None
    targets = {name: [(r.kind, r.actions, r.target, r.location.line) for r in node.reach]
               for name, node in graph.functions.items()}
    scan_a, scan_b = "${TableA.Arn}", "${TableB.Arn}"
    assert targets == {
        "FnA": [(ReachKind.DATA, ("dynamodb:Scan",), scan_b, 21)],
        "FnB": [(ReachKind.DATA, ("dynamodb:Scan",), scan_a, 21)],
        "FnC": [(ReachKind.DATA, ("dynamodb:Scan",), f"{scan_a}, {scan_b}", 21)],
    }
    assert [(p.function, p.entry.node) for p in graph.paths] == [
        ("FnC", "FnC.Api"), ("FnA", "FnA.Stream"), ("FnB", "FnB.Stream")]
