"""Analysis facts beyond the corpus: AWS calls for least privilege, local imports, bad input, robustness."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faasguard.analysis.code import analyze_file, enrich
from faasguard.analysis.code.facts import EnvRef
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import DiagnosticKind
from faasguard.model import Application, CodeLocation, Function, Location, SourceKind, Unknown
from faasguard.pipeline import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "code"
APP = FIXTURES / "app"


def _calls() -> dict[str, object]:
    facts, diagnostics = analyze_file(APP / "app.py", "lambda_handler", (APP,))
    assert facts is not None
    assert diagnostics == []
    return {c.method: c for c in facts.aws_calls}


def test_aws_calls_resolved_to_literals_and_env() -> None:
    calls = _calls()
    get_item = calls["get_item"]
    assert (get_item.service, get_item.operation) == ("dynamodb", "GetItem")  # type: ignore[attr-defined]
    assert get_item.arguments == {"TableName": EnvRef("ORDERS_TABLE")}  # type: ignore[attr-defined]
    put = calls["put_object"]
    assert put.operation == "PutObject"  # type: ignore[attr-defined]
    assert put.arguments == {"Bucket": EnvRef("REPORT_BUCKET", "reports"), "Key": "latest.json"}  # type: ignore[attr-defined]
    pages = calls["get_paginator(list_objects_v2)"]
    assert pages.operation == "ListObjectsV2"  # type: ignore[attr-defined]
    upload = calls["bucket.upload_file"]
    assert upload.operation is None  # type: ignore[attr-defined]
    assert upload.arguments == {"Bucket": "archive", "Key": "a.txt"}  # type: ignore[attr-defined]
    assert calls["get_secret_value"].arguments == {"SecretId": "prod/api"}  # type: ignore[attr-defined]
    assert calls["invoke"].arguments == {"FunctionName": EnvRef("WORKER")}  # type: ignore[attr-defined]
    # through a local import, with the queue URL from another module's environment-backed constant
    send = calls["send_message"]
    assert send.operation == "SendMessage"  # type: ignore[attr-defined]
    assert send.arguments == {"QueueUrl": EnvRef("REPORT_QUEUE_URL")}  # type: ignore[attr-defined]
    assert send.location.path.endswith("lib/db.py")  # type: ignore[attr-defined]


def test_flow_through_local_modules_and_import_cycle() -> None:
    facts, _ = analyze_file(APP / "app.py", "lambda_handler", (APP,))
    assert facts is not None
    (flow,) = [f for f in facts.flows if f.kind in ("shell", "program")]
    assert flow.location.path.endswith("lib/helpers.py")
    assert flow.location.line == 10
    assert flow.steps[0].location.line == 21
    assert any(m.endswith("lib/helpers.py") for m in facts.modules)
    assert {"ORDERS_TABLE", "REPORT_BUCKET", "WORKER", "REPORT_QUEUE_URL"} <= set(facts.env_reads)


def test_botocore_operation_names_irregular() -> None:
    from faasguard.analysis.code.python.aws import operation_name

    assert operation_name("rds", "describe_db_instances") == "DescribeDBInstances"
    assert operation_name("s3", "list_objects_v2") == "ListObjectsV2"
    assert operation_name("s3", "upload_file") is None
    assert operation_name("s3", "not_an_operation") is None


def _app(handler_file: str | None, function: str, code_dir: Path, handler: str = "app.handler") -> Application:
    fn = Function("Fn", Location("template.yaml", 3), runtime="python3.12",
                  code=CodeLocation(str(code_dir), handler_file, function, handler))
    return Application("template.yaml", SourceKind.SAM, str(code_dir), ("template.yaml",), functions=(fn,))


_BAD = {"py2.py": 'def handler(event, context):\n    print "hello"\n',
        "syntax.py": "def handler(event, context:\n    return 1\n",
        "nul.py": "def handler(event, context):\n    return '\x00'\n\x00"}


@pytest.mark.parametrize(("name", "fragment"), [("py2.py", "Python 2"), ("syntax.py", "syntax error"),
                                                ("nul.py", "null bytes")])
def test_bad_modules_become_located_diagnostics(tmp_path: Path, name: str, fragment: str) -> None:
    (tmp_path / name).write_text(_BAD[name])
    diagnostics: list = []
    app = _app(str(tmp_path / name), "handler", tmp_path)
    facts = enrich(app, Config(), Facts(), diagnostics)
    assert "Fn" not in facts.handlers
    (diag,) = diagnostics
    assert diag.kind is DiagnosticKind.PARSE_ERROR
    assert fragment in diag.message
    assert diag.location.line >= 1
    assert diag.location.path.endswith(name)


def test_missing_function_and_missing_module() -> None:
    diagnostics: list = []
    enrich(_app(str(APP / "app.py"), "nope", APP), Config(), Facts(), diagnostics)
    enrich(_app(None, "handler", APP, "missing.handler"), Config(), Facts(), diagnostics)
    assert [d.kind for d in diagnostics] == [DiagnosticKind.UNRESOLVED, DiagnosticKind.UNRESOLVED]
    assert "'nope'" in diagnostics[0].message
    assert "missing.handler" in diagnostics[1].message


def test_huge_generated_module(tmp_path: Path) -> None:
    body = "\n".join(f"X{i} = {i}" for i in range(20000))
    deep = "x = " + "+".join(["event['a']"] * 3000)
    (tmp_path / "gen.py").write_text(f"{body}\n\ndef handler(event, context):\n    {deep}\n    eval(x)\n")
    facts, diagnostics = analyze_file(tmp_path / "gen.py")
    assert facts is not None or diagnostics


def test_bare_code_scan_infers_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(APP)
    result = scan(["."], Config())
    (app,) = result.apps
    assert app.source is SourceKind.CODE
    assert sorted(f.id for f in app.functions) == ["app.lambda_handler", "app.other"]
    assert any("inferred" in d.message for d in result.diagnostics)
    fg501 = [f for f in result.findings if f.rule_id == "FG501"]
    assert [(f.location.path, f.location.line, f.function) for f in fg501] == [
        ("lib/helpers.py", 10, "app.lambda_handler")]
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]



_TYPED_HANDLERS = {
    # the second parameter is what the runtime fills: Powertools' name and type, a typed event with a comma in it
    "powertools.py": "import os\nfrom typing import Any, Dict\n\n\n"
                     "def process(event: Dict[str, Any], lambda_context: LambdaContext) -> dict:\n"
                     "    os.system('convert ' + event['queryStringParameters']['file'])\n",
    "annotated.py": "import os\n\n\ndef handle(evt, ctx_: 'LambdaContext'):\n"
                    "    os.system('convert ' + evt['queryStringParameters']['file'])\n",
    # two positional parameters and nothing that says Lambda: a library function, not an entry point
    "library.py": "import os\n\n\ndef run(command: str, cwd: str) -> None:\n    os.system(command)\n",
}


def test_bare_code_scan_knows_typed_lambda_contexts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in _TYPED_HANDLERS.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    result = scan(["."], Config())
    assert sorted((f.rule_id, f.location.path, f.location.line) for f in result.findings
                  if f.rule_id == "FG501") == [("FG501", "annotated.py", 5), ("FG501", "powertools.py", 6)]
    assert sorted(f.id for app in result.apps for f in app.functions) == ["annotated.handle", "powertools.process"]


# ------------------------------------------------------------------------------ robustness

_SNIPPETS = [
    "x = event['a']", "y = json.loads(x)", "os.system(y)", "for r in event['Records']:\n    z = r['body']",
    "if not re.fullmatch(r'[a-z]+', x):\n    return 1", "with open('/tmp/' + x, 'w') as f:\n    f.write(x)",
    "global G\nG = x", "try:\n    eval(z)\nexcept ValueError:\n    raise", "s3.download_file('b', x, '/tmp/' + x)",
    "t = table.query(KeyConditionExpression=x)", "print(event)", "x = [a for a in event]", "x = {**event}",
    "x = lambda q: q", "x = f'{x!r:>10}'", "x, *y = event", "del x", "assert x", "x += 'a'", "while x:\n    break",
    "match x:\n    case {'a': b}:\n        os.system(b)", "x = y if x else z", "x = await x", "x = (y := event)",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=8))
def test_random_handlers_never_raise(tmp_path_factory: pytest.TempPathFactory, parts: list[str]) -> None:
    import textwrap

    body = "\n".join(textwrap.indent(p, "    ") for p in parts)
    source = ("import os, re, json, boto3\ns3 = boto3.client('s3')\ntable = boto3.resource('dynamodb').Table('t')\n"
              f"G = None\n\nasync def handler(event, context):\n{body}\n    return x\n")
    path = tmp_path_factory.mktemp("h") / "h.py"
    path.write_text(source)
    analyze_file(path)


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"[a-z_()\[\]'\"+.,:= \n0-9]{0,80}", fullmatch=True))
def test_random_text_never_raises(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("r") / "r.py"
    path.write_text(f"def handler(event, context):\n    {text}\n")
    analyze_file(path)


def test_stdlib_sample_does_not_crash() -> None:
    import ast

    from faasguard.analysis.code import analyze_function
    from faasguard.analysis.code.python.analyzer import Analyzer

    root = Path(sysconfig.get_paths()["stdlib"])
    names = ["json/__init__.py", "subprocess.py", "shutil.py", "tarfile.py", "argparse.py", "email/utils.py",
             "urllib/request.py", "http/client.py", "logging/__init__.py", "tempfile.py", "ast.py", "re/_parser.py"]
    for name in names:
        path = root / name
        tree = ast.parse(path.read_bytes())
        analyzer = Analyzer((path.parent,))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                analyze_function(analyzer, path, node.name, node.name, [])


PATTERNS = Path("/work/shared/corpora/serverless-patterns")


@pytest.mark.skipif(not PATTERNS.is_dir(), reason="serverless-patterns corpus absent")
def test_serverless_patterns_sample_no_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(PATTERNS.rglob("*.py"))[::15]
    assert files
    for path in files:
        analyze_file(path, "lambda_handler")
        analyze_file(path, "handler")
    assert sys.getrecursionlimit() >= 1000
    assert os.path.isdir(PATTERNS)


def test_unknown_argument_reason() -> None:
    calls = _calls()
    assert isinstance(calls["get_item"].arguments.get("Key", Unknown("absent")), Unknown)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kinds", "reported"),
    [
        ((), True),  # bare code: the trigger is unknown
        (("s3",), False),
        (("schedule", "dynamodb-stream"), False),
        (("sqs",), True),  # a producer's message is a document to validate
        (("s3", "rest-api"), True),
    ],
)
def test_unvalidated_event_quiet_for_service_formed_events(kinds: tuple[str, ...], reported: bool) -> None:
    from faasguard.model import Trigger, TriggerKind
    from faasguard.rules.base import RuleContext
    from faasguard.rules.handler import UnvalidatedEvent

    path = FIXTURES / "corpus" / "fg511_sqs_body.py"
    facts, _ = analyze_file(path, "handler")
    assert facts is not None
    triggers = tuple(Trigger(f"T{i}", Location(str(path)), kind=TriggerKind(k), function="Fn")
                     for i, k in enumerate(kinds))
    app = Application(name="a", source=SourceKind.SAM, root=str(path.parent), files=(str(path),),
                      functions=(Function("Fn", Location(str(path))),), triggers=triggers)
    found = list(UnvalidatedEvent().check(RuleContext(app, Config(), Facts(handlers={"Fn": facts}))))
    assert [f.rule_id for f in found] == (["FG511"] if reported else [])
