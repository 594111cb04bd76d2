"""Google Cloud Functions in Terraform (`google_cloudfunctions_function`, `google_cloudfunctions2_function`, their
IAM resources, and Cloud Run IAM on a gen 2 function) → `Function` nodes, and the rules that apply to them.

Each fixture is a small project in the shape Google's samples use (archive_file → bucket object → function;
Functions Framework handlers in `main.py`) and is scanned through the whole pipeline; the exact (rule,
resource, function, path, line) set is asserted, so a rule that over- or under-reports, a finding attributed to
the wrong function, or one at the wrong line fails. Lines are looked up by content.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Severity
from faasguard.model import Application, AuthType, Function, TriggerKind, Unknown
from faasguard.pipeline import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"
RULES = Config(select=("FG2", "FG4", "FG5", "FG7", "FG9"), ignore=("FG511",), severity=Severity.INFO,
               today=date(2026, 12, 1))
G1 = "google_cloudfunctions_function"
G2 = "google_cloudfunctions2_function"

Found = set[tuple[str, str, str, str, int]]


def line_of(fixture: str, file: str, needle: str) -> int:
    path = FIXTURES / fixture / file
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert hits, f"{needle!r} not in {path}"
    return hits[0]


def scan_fixture(fixture: str) -> tuple[Application, Found]:
    directory = FIXTURES / fixture
    result = scan([str(directory)], RULES, cwd=directory)
    assert len(result.apps) == 1, [(a.name, a.source) for a in result.apps]
    assert not [d for d in result.diagnostics if d.kind.value in ("parse-error", "internal-error")]
    found = {(f.rule_id, f.resource, str(f.function), _relative(directory, f.location.path), f.location.line)
             for f in result.findings}
    return result.apps[0], found


def _relative(directory: Path, path: str) -> str:
    """Findings name files relative to the process's directory (code) or the scan's (templates)."""
    candidate = Path(path) if Path(path).is_absolute() else Path.cwd() / path
    if not candidate.is_file():
        candidate = directory / path
    return candidate.resolve().relative_to(directory.resolve()).as_posix()


def functions(app: Application) -> dict[str, Function]:
    return {fn.id: fn for fn in app.functions}


CASES: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    # (rule, function, file, needle): resource and function are the same node for these rules
    ("gcf-gen1", [
        ("FG201", f"{G1}.thumbnail", "main.tf", '"sk_live_'),
        ("FG402", f"{G1}.thumbnail", "main.tf", 'runtime     = "python38"'),
        ("FG706", f"{G1}.thumbnail", "main.tf", 'member         = "allUsers"'),
        ("FG707", f"{G1}.thumbnail", "main.tf", 'resource "google_cloudfunctions_function" "thumbnail"'),
        ("FG501", f"{G1}.thumbnail", "src/main.py", "subprocess.check_output"),
        ("FG901", f"{G1}.thumbnail", "src/main.py", "subprocess.check_output"),
    ]),
    ("gcf-gen2", [
        ("FG201", f"{G2}.report", "main.tf", 'DB_PASSWORD = "Winter2024!reports"'),
        ("FG706", f"{G2}.report", "main.tf", 'member   = "allAuthenticatedUsers"'),
        ("FG707", f"{G2}.report", "main.tf",
         "service_account_email = data.google_compute_default_service_account.default.email"),
        ("FG507", f"{G2}.report", "function/main.py", "requests.get(target"),
        ("FG901", f"{G2}.report", "function/main.py", "requests.get(target"),
        ("FG903", f"{G2}.report", "function/main.py", "requests.get(target"),
        ("FG505", f"{G2}.ingest", "function/main.py", "pickle.loads"),
        ("FG705", f"{G2}.export", "main.tf", 'resource "google_cloudfunctions2_function" "export"'),
        ("FG402", f"{G2}.export", "main.tf", 'runtime     = "python310"'),
    ]),
    ("gcf-binding-only", [
        ("FG706", "stripe-webhook", "main.tf", '"allUsers",'),
    ]),
    ("gcf-hardened", []),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: list[tuple[str, str, str, str]]) -> None:
    _, found = scan_fixture(fixture)
    assert found == {(rule, fn, fn, file, line_of(fixture, file, needle)) for rule, fn, file, needle in expected}


def test_gen1_model() -> None:
    app, _ = scan_fixture("gcf-gen1")
    fns = functions(app)
    thumbnail, resize = fns[f"{G1}.thumbnail"], fns[f"{G1}.resize"]
    assert thumbnail.platform == resize.platform == "gcp-functions"
    assert thumbnail.runtime == "python38"
    assert thumbnail.service_account is None
    assert thumbnail.ingress is None
    assert thumbnail.invokers == ("allUsers",)
    assert thumbnail.code is not None
    assert thumbnail.code.handler_file is not None
    assert Path(thumbnail.code.handler_file) == FIXTURES / "gcf-gen1" / "src" / "main.py"
    assert thumbnail.code.handler_function == "render"
    (https,) = app.triggers_of(thumbnail.id)
    assert https.kind is TriggerKind.HTTP_FUNCTION
    assert https.auth is not None
    assert https.auth.type is AuthType.NONE
    assert https.location.line == line_of("gcf-gen1", "main.tf", "trigger_http          = true")
    (event,) = app.triggers_of(resize.id)
    assert event.kind is TriggerKind.OTHER
    assert event.source == "${google_storage_bucket.source.name}"
    assert resize.ingress == "internal"
    assert resize.service_account == "resizer@${var.project_id}.iam.gserviceaccount.com"
    assert resize.code is not None
    assert resize.code.handler_function == "on_upload"


def test_gen2_model() -> None:
    app, _ = scan_fixture("gcf-gen2")
    fns = functions(app)
    report, ingest, export = fns[f"{G2}.report"], fns[f"{G2}.ingest"], fns[f"{G2}.export"]
    assert report.service_account == "PROJECT_NUMBER-compute@developer.gserviceaccount.com"
    assert report.account_roles == ("roles/editor",)
    assert report.vpc_egress == "all-traffic"
    assert report.timeout == 60
    env = {e.name: e for e in report.environment}
    assert env["API_TOKEN"].secret_reference
    assert not env["DB_PASSWORD"].secret_reference
    assert report.invokers == ("allAuthenticatedUsers",)
    assert report.code is not None
    assert report.code.handler_file is not None
    assert Path(report.code.handler_file) == FIXTURES / "gcf-gen2" / "function" / "main.py"
    assert [t.kind for t in app.triggers_of(ingest.id)] == [TriggerKind.OTHER]
    assert app.triggers_of(ingest.id)[0].source == "projects/acme-reports/topics/ingest"
    (https,) = app.triggers_of(export.id)
    assert https.auth is not None
    assert https.auth.type is AuthType.IAM
    assert export.service_account == "${google_service_account.exporter.email}"


def test_binding_alone_models_an_external_function() -> None:
    app, _ = scan_fixture("gcf-binding-only")
    fns = functions(app)
    webhook, ledger = fns["stripe-webhook"], fns["ledger-sync"]
    assert webhook.external
    assert ledger.external
    assert webhook.invokers == ("serviceAccount:scheduler@acme-payments.iam.gserviceaccount.com", "allUsers")
    assert isinstance(webhook.runtime, Unknown)
    assert isinstance(webhook.service_account, Unknown)
    assert webhook.code is None
    assert ledger.invokers == ("serviceAccount:ledger@acme-payments.iam.gserviceaccount.com",)


def test_hardened_model() -> None:
    app, found = scan_fixture("gcf-hardened")
    (api,) = app.functions
    assert found == set()
    assert api.ingress == "internal-and-cloud-load-balancing"
    assert api.service_account == "${google_service_account.api.email}"
    (secret,) = api.environment
    assert secret.secret_reference
    assert secret.value == "secret:orders-db-password:3"


def test_handlers_without_terraform_are_inferred_from_the_functions_framework() -> None:
    """The same `main.py` scanned alone: the decorated functions are the handlers, with the same sources."""
    directory = FIXTURES / "gcf-gen2" / "function"
    result = scan([str(directory)], RULES, cwd=directory)
    found = {(f.rule_id, str(f.function), f.location.line) for f in result.findings if f.rule_id != "FG402"}
    main = "function/main.py"
    assert found == {
        ("FG507", "main.handle", line_of("gcf-gen2", main, "requests.get(target")),
        ("FG505", "main.on_message", line_of("gcf-gen2", main, "pickle.loads")),
    }
    (app,) = result.apps
    assert sorted(fn.id for fn in app.functions) == ["main.export", "main.handle", "main.on_message"]


@pytest.mark.parametrize("fixture", ["gcf-gen1", "gcf-gen2"])
def test_secret_fix_names_googles_secret_store(fixture: str) -> None:
    """Cloud Functions take secrets through `secret_environment_variables` from Secret Manager; the AWS
    advice (Secrets Manager, SSM, `{{resolve:...}}`) would point at the wrong cloud."""
    directory = FIXTURES / fixture
    result = scan([str(directory)], Config(select=("FG201",), severity=Severity.INFO), cwd=directory)
    assert result.findings
    for finding in result.findings:
        assert "secret_environment_variables" in (finding.fix or ""), finding.fix
        assert "SSM" not in (finding.fix or "")
