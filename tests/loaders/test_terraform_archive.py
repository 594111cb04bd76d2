"""Terraform functions packaged by `data "archive_file"`: the handler source is found whether the function's
`filename` references the archive or repeats its `output_path`, so code findings belong to the deployed
function (its Terraform address) rather than to an inferred handler."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding
from faasguard.pipeline import scan
from faasguard.result import ScanResult

APP = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform" / "archive-literal"


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([str(APP)], Config())


def _code_findings(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.location.path.endswith(".py")]


def _handler_file(result: ScanResult, address: str) -> str | None:
    (app,) = result.apps
    fn = app.function(address)
    assert fn is not None
    assert fn.code is not None
    return fn.code.handler_file


def test_code_findings_belong_to_the_deployed_functions(result: ScanResult) -> None:
    orders = APP / "src" / "orders" / "app.py"
    report = APP / "modules" / "report" / "src" / "report.py"
    resize = APP / "modules" / "resize" / "handler" / "resize.py"
    notify = APP / "modules" / "notify" / "functions" / "send_notification.py"
    found = sorted((f.rule_id, str(f.function), Path(f.location.path).resolve(), f.location.line)
                   for f in _code_findings(result))
    assert found == sorted([
        # literal "build/orders.zip" == "${path.module}/build/orders.zip" of the root module
        ("FG501", "aws_lambda_function.orders", orders, line_of(orders, "shell=True")),
        # module function, bare relative path == "${path.root}/build/report.zip"; source_file
        ("FG501", "module.report.aws_lambda_function.this", report, line_of(report, "os.system")),
        # "${path.module}/resize.zip" on both sides, inside a module
        ("FG505", "module.resize.aws_lambda_function.this", resize, line_of(resize, "pickle.loads")),
        # `source { content = file(...), filename = "index.py" }`, referenced by output_path
        ("FG505", "module.notify.aws_lambda_function.this", notify, line_of(notify, "yaml.load")),
    ])


def test_no_handler_is_inferred(result: ScanResult) -> None:
    assert not [d for d in result.diagnostics if "inferred" in d.message]


def test_source_dir_and_source_file(result: ScanResult) -> None:
    orders = _handler_file(result, "aws_lambda_function.orders")
    report = _handler_file(result, "module.report.aws_lambda_function.this")
    assert orders is not None
    assert Path(orders) == (APP / "src" / "orders" / "app.py").resolve()
    assert report is not None
    assert Path(report) == (APP / "modules" / "report" / "src" / "report.py").resolve()


def test_source_block_renamed_in_the_zip(result: ScanResult) -> None:
    notify = _handler_file(result, "module.notify.aws_lambda_function.this")
    expected = APP / "modules" / "notify" / "functions" / "send_notification.py"
    assert notify is not None
    assert Path(notify) == expected.resolve()


def test_unmatched_packages_get_no_code(result: ScanResult) -> None:
    # a zip no archive_file in the configuration writes: nothing is guessed
    assert _handler_file(result, "aws_lambda_function.prebuilt") is None
    # the same archive by literal path, but its handler module is not a member of the zip
    assert _handler_file(result, "module.notify.aws_lambda_function.missing_member") is None
    functions = {str(f.function) for f in _code_findings(result)}
    assert "aws_lambda_function.prebuilt" not in functions
    assert "module.notify.aws_lambda_function.missing_member" not in functions
