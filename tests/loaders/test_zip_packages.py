"""Functions whose package is a committed zip (SAM `CodeUri: x.zip`, Terraform `filename` and S3 objects, Serverless
`package.artifact`): the handler and its local imports are read from the archive in memory and analysed as the
deployed function's code, the dependencies inside the zip are inventoried, and findings are located as
`x.zip!/path/in/zip.py:LINE` in every report, with snippets and suppression comments read from the archive.

The zips are built from `fixtures/loaders/zip-packages/packages/` at test time (see the fixture's README), so the
code they hold stays reviewable; the analysis itself reads nothing but the zips.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import zipfile
from pathlib import Path

import jsonschema
import pytest

from faasguard.analysis.archive import read_member, split_member
from faasguard.config import Config
from faasguard.findings import DiagnosticKind, Finding
from faasguard.pipeline import scan
from faasguard.report import ReportPaths, SourceLines
from faasguard.report.sarif import sarif_document
from faasguard.result import ScanResult

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "zip-packages"
ADVISORIES = Path(__file__).resolve().parent.parent / "fixtures" / "deps" / "advisories"
SARIF_SCHEMA = Path(__file__).resolve().parent.parent / "fixtures" / "sarif-schema-2.1.0.json"

ZIPS = {
    "sam/dist/orders.zip": "orders",
    "sam/dist/web.zip": "web",
    "terraform/build/report.zip": "report",
    "terraform/modules/worker/worker.zip": "worker",
    "terraform/artifacts/jobs.zip": "jobs",
    "terraform/build/notifier.zip": "notifier",
    "terraform/layers/deps.zip": "deps-layer",
    "serverless/dist/api.zip": "api",
    "serverless/dist/legacy.zip": "legacy",
}


def zip_dir(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(source).as_posix())


def line_of(package: str, member: str, needle: str) -> int:
    text = (FIXTURE / "packages" / package / member).read_text()
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {package}/{member}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("zip-packages")
    shutil.copytree(FIXTURE / "app", work / "app")
    for target, package in ZIPS.items():
        zip_dir(FIXTURE / "packages" / package, work / "app" / target)
    return work


@pytest.fixture(scope="module")
def result(workdir: Path) -> ScanResult:
    with contextlib.chdir(workdir):  # paths are reported relative to the current directory
        return scan(["app"], Config(advisories=(str(ADVISORIES),)), cwd=workdir)


def code_findings(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if ".zip!/" in f.location.path]


def test_code_findings_belong_to_the_deployed_functions(result: ScanResult) -> None:
    found = sorted((f.rule_id, str(f.function), f.location.path, f.location.line) for f in code_findings(result))
    assert found == sorted([
        # SAM CodeUri: dist/orders.zip, Handler orders/app.lambda_handler
        ("FG501", "OrdersFunction", "app/sam/dist/orders.zip!/orders/app.py",
         line_of("orders", "orders/app.py", "shell=True")),
        # ... and the module it imports from inside the same zip
        ("FG503", "OrdersFunction", "app/sam/dist/orders.zip!/orders/db.py",
         line_of("orders", "orders/db.py", "connection.execute")),
        # Terraform: a literal filename resolved against the root module
        ("FG501", "aws_lambda_function.report", "app/terraform/build/report.zip!/report.py",
         line_of("report", "report.py", "os.system")),
        # Terraform: a committed zip uploaded as an aws_s3_object source, handler in a package of the zip
        ("FG505", "aws_lambda_function.jobs", "app/terraform/artifacts/jobs.zip!/jobs/main.py",
         line_of("jobs", "jobs/main.py", "yaml.load")),
        # Terraform module: "${path.module}/worker.zip" (suppressed in the archive, still a finding)
        ("FG505", "module.worker.aws_lambda_function.this", "app/terraform/modules/worker/worker.zip!/worker.py",
         line_of("worker", "worker.py", "pickle.loads")),
        # the registry Lambda module's local_existing_package
        ("FG507", "module.notifier.aws_lambda_function.this", "app/terraform/build/notifier.zip!/notify.py",
         line_of("notifier", "notify.py", "urlopen")),
        # Serverless: the service's package.artifact
        ("FG501", "api", "app/serverless/dist/api.zip!/handler.py", line_of("api", "handler.py", "shell=True")),
        # Serverless: a function's own package.artifact overrides the service's
        ("FG502", "legacy", "app/serverless/dist/legacy.zip!/legacy/handler.py",
         line_of("legacy", "legacy/handler.py", "eval(")),
    ])


def test_no_handler_is_inferred(result: ScanResult) -> None:
    assert not [d for d in result.diagnostics if "inferred" in d.message]


def test_dependencies_inside_the_zip_are_checked(result: ScanResult) -> None:
    requests = [f for f in result.findings if f.rule_id == "FG601" and f.message.startswith("requests 2.25.0")
                and f.resource != "aws_lambda_layer_version.deps"]
    assert requests
    assert {f.location.path for f in requests} == {"app/sam/dist/orders.zip"}
    assert all(f.function == ("MissingFunction", "OrdersFunction") for f in requests)


def test_a_committed_layer_zip_is_inventoried(result: ScanResult) -> None:
    layer = [f for f in result.findings if f.rule_id == "FG601" and f.resource == "aws_lambda_layer_version.deps"]
    assert {f.message.split(" has ")[0] for f in layer} == {
        "requests 2.25.0 in layer aws_lambda_layer_version.deps (used by aws_lambda_function.report)"}
    assert {f.location.path for f in layer} == {"app/terraform/layers/deps.zip"}


def test_a_handler_the_zip_does_not_hold_is_not_guessed(result: ScanResult) -> None:
    app = next(a for a in result.apps if a.function("MissingFunction") is not None)
    missing = app.function("MissingFunction")
    assert missing is not None
    assert missing.code is not None
    assert missing.code.handler_file is None
    assert missing.code.code_dir is not None
    assert missing.code.code_dir.endswith("orders.zip")
    assert [d.kind for d in result.diagnostics if "'billing.handler' of MissingFunction" in d.message] == [
        DiagnosticKind.UNRESOLVED]
    assert "MissingFunction" not in {f.function for f in code_findings(result)}


def test_a_javascript_handler_in_a_zip_is_named_not_analysed(result: ScanResult) -> None:
    (note,) = [d for d in result.diagnostics if "WebFunction" in d.message]
    assert note.kind is DiagnosticKind.UNSUPPORTED
    assert "index.js inside the zip package" in note.message
    assert "WebFunction" not in {f.function for f in code_findings(result)}


def test_suppression_comment_inside_the_archive(result: ScanResult) -> None:
    (pickled,) = [f for f in code_findings(result) if f.rule_id == "FG505" and "worker" in f.location.path]
    assert pickled.suppression is not None
    assert pickled.suppression.justification == "signed by the producer"
    assert not [d for d in result.diagnostics if "unused" in d.message and "worker" in d.message]


def test_snippets_are_read_from_the_archive(workdir: Path) -> None:
    lines = SourceLines(cwd=workdir)
    number = line_of("orders", "orders/app.py", "shell=True")
    assert lines.line("app/sam/dist/orders.zip!/orders/app.py", number) == \
        (FIXTURE / "packages" / "orders" / "orders" / "app.py").read_text().splitlines()[number - 1]
    assert lines.line("app/sam/dist/orders.zip!/no/such.py", 1) is None
    assert read_member("app/sam/dist/orders.zip!/orders/app.py", 10, workdir) is None  # over the cap


def test_sarif_points_at_the_zip_and_names_the_member(result: ScanResult, workdir: Path) -> None:
    document = sarif_document(result, ReportPaths(cwd=workdir, root=workdir))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(document)
    results = [r for r in document["runs"][0]["results"] if r["ruleId"].startswith("FG501")
               and "report.zip" in json.dumps(r["locations"])]
    (report,) = results
    (location,) = report["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "app/terraform/build/report.zip", "uriBaseId": "%SRCROOT%"}}
    line = line_of("report", "report.py", "os.system")
    assert location["logicalLocations"] == [
        {"name": "aws_lambda_function.report", "kind": "resource"},
        {"name": "report.py", "kind": "module",
         "fullyQualifiedName": f"app/terraform/build/report.zip!/report.py:{line}"}]


@pytest.mark.parametrize(("path", "expected"), [
    ("app/x.zip!/a/b.py", ("app/x.zip", "a/b.py")),
    ("/abs/dir!/x.ZIP!/m.py", ("/abs/dir!/x.ZIP", "m.py")),
    ("app/x.zip", None),
    ("app/x.zip!/", None),
    ("app/notes!/x.py", None),
])
def test_split_member(path: str, expected: tuple[str, str] | None) -> None:
    assert split_member(path) == expected


# ------------------------------------------------------------------------------------------- hostile zips

def hostile_app(tmp_path: Path, members: dict[str, bytes], *, raw: bytes | None = None) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      CodeUri: pkg.zip\n      Handler: app.handler\n      Runtime: python3.12\n")
    if raw is not None:
        (app / "pkg.zip").write_bytes(raw)
        return app
    with zipfile.ZipFile(app / "pkg.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return app


def test_a_zip_bomb_handler_is_not_read(tmp_path: Path) -> None:
    bomb = b"def handler(event, context):\n    pass\n" + b"#" * (4 * 1024 * 1024 - 100)
    hostile_app(tmp_path, {"app.py": bomb})
    with contextlib.chdir(tmp_path):
        result = scan(["app"], Config(), cwd=tmp_path)
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
    assert [d for d in result.diagnostics if "app/pkg.zip!/app.py" in d.message and "zip bomb" in d.message]
    assert not code_findings(result)


def test_a_traversal_member_is_never_the_handler(tmp_path: Path) -> None:
    hostile_app(tmp_path, {"../app.py": b"import os\ndef handler(event, context):\n    os.system(event['x'])\n"})
    with contextlib.chdir(tmp_path):
        result = scan(["app"], Config(), cwd=tmp_path)
    assert not code_findings(result)
    assert [d for d in result.diagnostics if "path-traversal archive" in d.message]
    assert [d for d in result.diagnostics if "'app.handler' of Fn: module not found" in d.message]


def test_imports_stay_inside_the_archive(tmp_path: Path) -> None:
    app = hostile_app(tmp_path, {"app.py": b"from helpers import run\n\ndef handler(event, context):\n"
                                           b"    run(event['cmd'])\n"})
    # a helpers.py beside the zip on disk is not in the package Lambda runs: it is not followed
    (app / "helpers.py").write_text("import os\n\ndef run(cmd):\n    os.system(cmd)\n")
    with contextlib.chdir(tmp_path):
        result = scan(["app"], Config(select=("FG501",)), cwd=tmp_path)
    assert [f for f in result.findings if f.function == "Fn"] == []


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    hostile_app(tmp_path, {}, raw=b"PK\x03\x04 not really a zip")
    with contextlib.chdir(tmp_path):
        result = scan(["app"], Config(), cwd=tmp_path)
    assert not [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
    assert [d for d in result.diagnostics if "not a readable zip" in d.message]
