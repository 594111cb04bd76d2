"""Terraform functions deployed from S3 objects the same configuration uploads: the object's `source` (a literal
path or an `archive_file`'s `output_path`) is the function's package, whether the function names the object by
reference or repeats its bucket and key, so code findings belong to the deployed function instead of an
inferred handler."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.pipeline import scan
from faasguard.result import ScanResult

APP = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform" / "s3-package"


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([str(APP)], Config())


def _handler_file(result: ScanResult, address: str) -> str | None:
    (app,) = result.apps
    fn = app.function(address)
    assert fn is not None
    assert fn.code is not None
    return fn.code.handler_file


def test_code_findings_belong_to_the_deployed_functions(result: ScanResult) -> None:
    api = APP / "src" / "api" / "app.py"
    jobs = APP / "src" / "jobs" / "jobs.py"
    worker = APP / "modules" / "worker" / "handler" / "worker.py"
    found = sorted((f.rule_id, str(f.function), Path(f.location.path).resolve(), f.location.line)
                   for f in result.findings if f.location.path.endswith(".py"))
    assert found == sorted([
        # s3_key = aws_s3_object.api.key; source = data.archive_file.api_zip.output_path (source_dir)
        ("FG501", "aws_lambda_function.api", api, line_of(api, "shell=True")),
        # aws_s3_bucket_object with the same literal bucket and key; literal source == archive output_path
        ("FG505", "aws_lambda_function.jobs", jobs, line_of(jobs, "pickle.loads")),
        # in a module: s3_key = aws_s3_object.worker.id with a computed key
        ("FG501", "module.worker.aws_lambda_function.this", worker, line_of(worker, "os.system")),
    ])


def test_no_handler_is_inferred(result: ScanResult) -> None:
    assert not [d for d in result.diagnostics if "inferred" in d.message]


@pytest.mark.parametrize(("address", "expected"), [
    ("aws_lambda_function.api", APP / "src" / "api" / "app.py"),
    ("aws_lambda_function.jobs", APP / "src" / "jobs" / "jobs.py"),
    ("module.worker.aws_lambda_function.this", APP / "modules" / "worker" / "handler" / "worker.py"),
])
def test_handler_file_of_the_uploaded_package(result: ScanResult, address: str, expected: Path) -> None:
    handler = _handler_file(result, address)
    assert handler is not None
    assert Path(handler) == expected.resolve()


@pytest.mark.parametrize("address", ["aws_lambda_function.other_bucket", "aws_lambda_function.prebuilt"])
def test_objects_not_uploaded_here_link_nothing(result: ScanResult, address: str) -> None:
    # the same key in another bucket is another object; a key nothing here uploads is built elsewhere
    assert _handler_file(result, address) is None
    (app,) = result.apps
    fn = app.function(address)
    assert fn is not None
    assert fn.code is not None
    assert fn.code.code_dir is None
    assert address not in {str(f.function) for f in result.findings if f.location.path.endswith(".py")}


def test_code_field_points_at_the_s3_key(result: ScanResult) -> None:
    (app,) = result.apps
    fn = app.function("aws_lambda_function.api")
    assert fn is not None
    assert fn.loc("code").line == line_of(APP / "main.tf", "s3_key           = aws_s3_object.api.key")
