"""The shipped example apps (issue 3 "Done when"): the vulnerable app shows every audit-checklist item at the
right line, the secure app has nothing high or critical, and both reports validate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from faasguard.cli import main
from faasguard.config import load_config
from faasguard.findings import Severity
from faasguard.pipeline import scan

ROOT = Path(__file__).resolve().parent.parent
VULNERABLE = ROOT / "examples" / "vulnerable-app"
SECURE = ROOT / "examples" / "secure-app"
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
REPORT_SCHEMA = ROOT / "src" / "faasguard" / "schemas" / "report-v1.json"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def findings(app: Path) -> set[tuple[str, str, str, int]]:
    result = scan([str(app)], load_config(None, search_from=app))
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    return {(f.rule_id, f.resource, Path(f.location.path).name, f.location.line) for f in result.findings}


# (checklist item, rule, resource, file, line)
CHECKLIST = [
    ("C1 role isolation", "FG104", "SharedCatchAllRole", "template.yaml", 23),
    ("C2 environment secrets", "FG201", "DbAdminFunction", "template.yaml", 85),
    ("C3 /tmp cleanup", "FG205", "ReportFunction", "app.py", 17),
    ("C4 API authorization", "FG301", "DbAdminFunction.RunQuery", "template.yaml", 93),
    ("C4 function URL", "FG302", "ReportFunctionUrl", "template.yaml", 159),
    ("C5 VPC egress", "FG309", "DbAdminSecurityGroup", "template.yaml", 105),
    ("C6 timeouts", "FG401", "DbAdminFunction", "template.yaml", 80),
]

THREAT_MODEL = [
    ("wildcard policy", "FG102", "SharedCatchAllRole", "template.yaml", 47),
    ("S3 key to a shell", "FG501", "ImageConverterFunction", "app.py", 20),
    ("SQS message to os.system", "FG501", "QueueWorkerFunction", "worker.py", 11),
    ("SQL built from the body", "FG503", "DbAdminFunction", "app.py", 19),
    ("invoke permission without SourceArn", "FG303", "ReportInvokePermission", "template.yaml", 174),
    ("deprecated runtime", "FG402", "QueueWorkerFunction", "template.yaml", 134),
    ("vulnerable pinned dependency", "FG601", "DbAdminFunction", "requirements.txt", 2),
    ("unpinned dependency", "FG602", "QueueWorkerFunction", "requirements.txt", 1),
    ("SQS message to child_process.execSync (Node.js)", "FG501", "PreviewFunction", "index.mjs", 12),
    ("deprecated Node.js runtime", "FG402", "PreviewFunction", "template.yaml", 187),
]


@pytest.mark.parametrize(("item", "rule", "resource", "file", "line"), CHECKLIST + THREAT_MODEL,
                         ids=[c[0] for c in CHECKLIST + THREAT_MODEL])
def test_vulnerable_app_shows_each_flaw_at_its_line(item: str, rule: str, resource: str, file: str,
                                                    line: int) -> None:
    assert (rule, resource, file, line) in findings(VULNERABLE), item


def test_secure_app_has_nothing_high_or_critical() -> None:
    result = scan([str(SECURE)], load_config(None, search_from=SECURE))
    serious = [(f.rule_id, f.resource, f.message) for f in result.findings
               if f.severity.rank >= Severity.HIGH.rank]
    assert serious == []
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]


@pytest.mark.parametrize("app", [VULNERABLE, SECURE], ids=["vulnerable", "secure"])
def test_reports_validate(app: Path) -> None:
    runner = CliRunner()
    sarif = runner.invoke(main, ["scan", str(app.relative_to(ROOT)), "--format", "sarif"])
    assert sarif.exit_code in (0, 1), sarif.output
    jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).validate(json.loads(sarif.output))
    report = runner.invoke(main, ["scan", str(app.relative_to(ROOT)), "--format", "json"])
    jsonschema.Draft202012Validator(json.loads(REPORT_SCHEMA.read_text())).validate(json.loads(report.output))


def test_node_function_policy_is_scoped_to_its_buckets() -> None:
    """Issue 13: `policy generate` for the Node.js function gives the S3 actions of its SDK v3 calls, each on
    the bucket its environment variable is bound to; the safe twin in the secure app needs the same."""
    for app in (VULNERABLE, SECURE):
        result = CliRunner().invoke(main, ["policy", "generate", str(app), "--function", "PreviewFunction"])
        assert result.exit_code == 0, result.output
        s3 = [s for s in json.loads(result.stdout)["Statement"] if any(a.startswith("s3:") for a in s["Action"])]
        assert s3 == [
            {"Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": ["arn:${AWS::Partition}:s3:::${UploadsBucket}/*"]},
            {"Effect": "Allow", "Action": ["s3:PutObject"],
             "Resource": ["arn:${AWS::Partition}:s3:::${ThumbnailsBucket}/*"]},
        ], app.name


def test_secure_node_function_has_no_finding_at_all() -> None:
    """The safe twin (execFileSync with an argument array, the message checked before use) gives nothing, not
    even the info-level FG511, while the vulnerable one is reported."""
    def preview(app: Path) -> list[tuple[str, str, int]]:
        config = dataclasses.replace(load_config(None, search_from=app), severity=Severity.INFO)
        found = scan([str(app)], config).findings
        return sorted((f.rule_id, Path(f.location.path).name, f.location.line) for f in found
                      if f.function == "PreviewFunction" and f.rule_id.startswith("FG5"))

    assert preview(SECURE) == []
    assert preview(VULNERABLE) == [("FG501", "index.mjs", 12), ("FG511", "index.mjs", 8)]


def test_exit_codes_of_the_examples() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["scan", "examples/vulnerable-app"]).exit_code == 1
    assert runner.invoke(main, ["scan", "examples/secure-app", "--fail-on", "high"]).exit_code == 0


def test_docs_rules_page_is_current() -> None:
    from faasguard.cli import rules_markdown
    from faasguard.rules import all_rules

    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == rules_markdown([r.meta() for r in all_rules()]), \
        "docs/rules.md is stale: run `faasguard rules list --format markdown > docs/rules.md`"


IMAGE_APP = ROOT / "examples" / "image-function"


def test_image_function_example() -> None:
    """Issue 21 "Done when": the image example reports the vulnerable packages, the root user and the ENV
    secret, each at the Dockerfile or template line that causes it."""
    found = findings(IMAGE_APP)
    image = "examples/image-function/orders/image.tar"
    assert {f for f in found if f[0] in ("FG601", "FG201", "FG701", "FG604")} == {
        ("FG601", image, "Dockerfile", 1),   # openssl (Debian 12), from the base image
        ("FG601", image, "Dockerfile", 3),   # urllib3 1.26.5, two advisories at the pip install line
        ("FG201", image, "Dockerfile", 2),   # ENV DB_PASSWORD
        ("FG701", "OrdersWorkerTask/worker", "template.yaml", 34),  # the Fargate task runs the root image
        ("FG701", "examples/image-function/orders/Dockerfile", "Dockerfile", 1),
        ("FG604", "OrdersFunction", "template.yaml", 13),
        ("FG604", "OrdersWorkerTask/worker", "template.yaml", 35),
    }
