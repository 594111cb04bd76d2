"""Cloud Run in Terraform (`google_cloud_run_v2_service`, `google_cloud_run_service`, their IAM resources) →
`Container` nodes, and the container / secret / image rules on them.

Each fixture directory is scanned through the whole pipeline; the exact (rule, resource, line) set of FG7xx,
FG201 and FG604 is asserted, so a rule that over- or under-reports, or a finding at the wrong line, fails.
Lines are looked up by content so the fixtures can be edited without renumbering.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Severity
from faasguard.model import Application, Container, SourceKind, Unknown
from faasguard.pipeline import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "terraform"
RULES = Config(select=("FG7", "FG201", "FG604"), severity=Severity.INFO)


def line_of(fixture: str, needle: str, nth: int = 1) -> int:
    path = FIXTURES / fixture / "main.tf"
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not in {path}"
    return hits[nth - 1]


def scan_fixture(fixture: str) -> tuple[Application, set[tuple[str, str, int]]]:
    directory = FIXTURES / fixture
    result = scan([str(directory)], RULES, cwd=directory)
    assert len(result.apps) == 1, [d.message for d in result.diagnostics]
    assert not [d for d in result.diagnostics if d.kind.value in ("parse-error", "internal-error")]
    return result.apps[0], {(f.rule_id, f.resource, f.location.line) for f in result.findings}


def containers(app: Application) -> dict[str, Container]:
    return {c.id: c for c in app.containers}


V2 = "google_cloud_run_v2_service"
V1 = "google_cloud_run_service"

CASES: list[tuple[str, list[tuple[str, str, str, int]]]] = [
    ("cloudrun-hardened", []),
    ("cloudrun-public-ingress", [
        ("FG705", f"{V2}.orders", '"INGRESS_TRAFFIC_ALL"', 1),
        ("FG705", f"{V2}.billing", 'resource "google_cloud_run_v2_service" "billing"', 1),  # absent: the default
    ]),
    ("cloudrun-allusers", [
        ("FG706", f"{V2}.orders", '"allUsers",', 1),
        ("FG706", f"{V2}.status", "invoker_iam_disabled = true", 1),
    ]),
    ("cloudrun-default-sa", [
        ("FG707", f"{V2}.implicit", 'resource "google_cloud_run_v2_service" "implicit"', 1),
        ("FG707", f"{V2}.explicit", "-compute@developer.gserviceaccount.com", 1),
        ("FG707", f"{V2}.data_source", "data.google_compute_default_service_account.default.email", 1),
    ]),
    ("cloudrun-security-context", [
        ("FG709", f"{V2}.orders/app", "security_context {", 1),
    ]),
    ("cloudrun-plaintext-secret", [
        ("FG201", f"{V2}.orders", '"sk_live_', 1),
        ("FG201", f"{V2}.orders", "random_password.db.result", 1),
        ("FG604", f"{V2}.orders", "orders:1.4.2", 1),
    ]),
    ("cloudrun-v1", [
        ("FG201", f"{V1}.weak", '"ghp_', 1),
        ("FG604", f"{V1}.weak", "api:latest", 1),
        ("FG706", f"{V1}.weak", 'member   = "allUsers"', 1),
        ("FG707", f"{V1}.weak", 'resource "google_cloud_run_service" "weak"', 1),
    ]),
    ("cloudrun-policy", [
        ("FG706", f"{V2}.public_site", '"allUsers",', 1),
        ("FG706", f"{V1}.legacy", '["allAuthenticatedUsers"]', 1),
    ]),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: list[tuple[str, str, str, int]]) -> None:
    _, found = scan_fixture(fixture)
    assert found == {(rule, resource, line_of(fixture, needle, nth)) for rule, resource, needle, nth in expected}


def test_hardened_v2_model() -> None:
    app, _ = scan_fixture("cloudrun-hardened")
    assert app.source is SourceKind.TERRAFORM
    (container,) = app.containers
    assert container.id == container.task == f"{V2}.orders"
    assert container.platform == "cloudrun"
    assert container.security_context_enforced is False
    assert not container.security_context_declared
    assert container.ingress == "internal"
    assert container.service_account == "${google_service_account.orders.email}"
    assert container.max_instances == 10
    assert container.timeout == 60
    assert container.vpc_egress == "all-traffic"
    assert (container.cpu_limit, container.memory_limit) == ("1", "512Mi")
    assert container.invokers == ("serviceAccount:frontend@acme-prod.iam.gserviceaccount.com",)
    env = {e.name: e for e in container.environment}
    assert env["DB_HOST"].value == "10.20.0.5"
    assert not env["DB_HOST"].secret_reference
    assert env["DB_PASSWORD"].secret_reference
    assert env["DB_PASSWORD"].value == "secret:${google_secret_manager_secret.db_password.secret_id}:latest"
    fixture = "cloudrun-hardened"
    assert container.loc("ingress").line == line_of(fixture, "INGRESS_TRAFFIC_INTERNAL_ONLY")
    assert container.loc("service_account").line == line_of(fixture, "service_account = google_")
    assert container.loc("timeout").line == line_of(fixture, 'timeout         = "60s"')
    assert container.loc("max_instances").line == line_of(fixture, "max_instance_count = 10")
    assert container.loc("invokers").line == line_of(fixture, 'member   = "serviceAccount:')
    assert container.loc("image").line == line_of(fixture, "image = ")
    assert container.loc("memory_limit").line == line_of(fixture, "limits = {")
    assert env["DB_HOST"].location.line == line_of(fixture, 'value = "10.20.0.5"')


def test_v1_model() -> None:
    app, _ = scan_fixture("cloudrun-v1")
    by_id = containers(app)
    hardened, weak = by_id[f"{V1}.hardened"], by_id[f"{V1}.weak"]
    assert hardened.ingress == "internal"
    assert hardened.max_instances == 5
    assert hardened.vpc_egress == "all-traffic"
    assert hardened.timeout == 120
    assert hardened.service_account == "hardened-runtime@acme-prod.iam.gserviceaccount.com"
    (token,) = hardened.environment
    assert token.secret_reference
    assert token.value == "secret:api-token:3"
    assert hardened.loc("ingress").line == line_of("cloudrun-v1", '"run.googleapis.com/ingress" = "internal"')
    assert hardened.loc("max_instances").line == line_of("cloudrun-v1", "autoscaling.knative.dev/maxScale")
    assert weak.timeout == 3600
    assert weak.loc("timeout").line == line_of("cloudrun-v1", "timeout_seconds = 3600")
    assert weak.service_account is None
    assert weak.invokers == ("allUsers",)


def test_multi_container_service_settings_repeat() -> None:
    app, _ = scan_fixture("cloudrun-security-context")
    by_id = containers(app)
    assert set(by_id) == {f"{V2}.orders/app", f"{V2}.orders/proxy"}
    app_container, proxy = by_id[f"{V2}.orders/app"], by_id[f"{V2}.orders/proxy"]
    assert app_container.security_context_declared
    assert app_container.run_as_non_root is True
    assert not proxy.security_context_declared
    assert app_container.ingress == proxy.ingress == "internal"
    assert app_container.task == proxy.task == f"{V2}.orders"


def test_unknown_values_are_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('''
variable "ingress" {}
variable "account" {}
variable "members" { type = list(string) }
variable "digest" {}

resource "google_cloud_run_v2_service" "svc" {
  name    = "svc"
  ingress = var.ingress
  template {
    service_account = var.account
    timeout         = "1m"
    containers {
      image = "europe-docker.pkg.dev/acme/svc/svc@sha256:${var.digest}"
    }
  }
}

resource "google_cloud_run_v2_service_iam_binding" "invokers" {
  name    = google_cloud_run_v2_service.svc.name
  role    = "roles/run.invoker"
  members = var.members
}

resource "google_cloud_run_v2_service_iam_member" "elsewhere" {
  name   = "a-service-defined-elsewhere"
  role   = "roles/run.invoker"
  member = "allUsers"
}
''')
    result = scan([str(tmp_path)], RULES, cwd=tmp_path)
    (app,) = result.apps
    (container,) = app.containers
    assert isinstance(container.ingress, Unknown)
    assert isinstance(container.service_account, Unknown)
    assert isinstance(container.timeout, Unknown)  # "1m" is not a protobuf duration
    assert len(container.invokers) == 1
    assert isinstance(container.invokers[0], Unknown)
    assert not result.findings  # nothing is guessed into a finding
    assert any("not defined in this configuration" in d.message for d in result.diagnostics)


def test_json_syntax(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text('''{
  "resource": {
    "google_cloud_run_v2_service": {
      "api": {
        "name": "api",
        "ingress": "INGRESS_TRAFFIC_ALL",
        "template": {
          "service_account": "api@acme.iam.gserviceaccount.com",
          "containers": [
            {
              "image": "gcr.io/acme/api:latest",
              "env": [{"name": "API_TOKEN", "value": "ghp_4bq9PzXk2LmN7vR5sT8wY1cE3dF6gH0jK9aB"}]
            }
          ]
        }
      }
    },
    "google_cloud_run_v2_service_iam_member": {
      "public": {"name": "${google_cloud_run_v2_service.api.name}", "role": "roles/run.invoker", "member": "allUsers"}
    }
  }
}
''')
    result = scan([str(tmp_path)], RULES, cwd=tmp_path)
    found = {(f.rule_id, f.resource, f.location.line) for f in result.findings}
    assert found == {("FG604", f"{V2}.api", 11), ("FG201", f"{V2}.api", 12), ("FG706", f"{V2}.api", 19)}


def test_dynamic_env_blocks(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('''
variable "extra" {}

locals {
  env = { LOG_LEVEL = "info", DB_PASSWORD = "Sup3rS3cretPassw0rd!" }
}

resource "google_cloud_run_v2_service" "svc" {
  name    = "svc"
  ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  template {
    service_account = "svc@acme.iam.gserviceaccount.com"
    containers {
      image = "europe-docker.pkg.dev/acme/svc/svc@sha256:9b2f6c1e8d4a7b3c5e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
      dynamic "env" {
        for_each = local.env
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = var.extra
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }
}
''')
    result = scan([str(tmp_path)], RULES, cwd=tmp_path)
    (app,) = result.apps
    (container,) = app.containers
    env = {e.name: e.value for e in container.environment}
    assert env["LOG_LEVEL"] == "info"
    assert env["DB_PASSWORD"] == "Sup3rS3cretPassw0rd!"
    assert isinstance(env["*"], Unknown)  # the second dynamic block iterates over an unknown variable
    assert {(f.rule_id, f.location.line) for f in result.findings} == {("FG201", 19)}


def test_secret_fix_names_googles_secret_store_not_aws() -> None:
    """A Cloud Run secret is fixed with Secret Manager and `secret_key_ref`: AWS's Secrets Manager, SSM and
    `{{resolve:...}}` do not exist on Google Cloud."""
    result = scan([str(FIXTURES / "cloudrun-plaintext-secret")], Config(select=("FG201",), severity=Severity.INFO),
                  cwd=FIXTURES / "cloudrun-plaintext-secret")
    fixes = {f.fix for f in result.findings if f.rule_id == "FG201"}
    assert len(fixes) == 1, fixes
    fix = fixes.pop() or ""
    assert "Secret Manager" in fix
    assert "secret_key_ref" in fix
    assert "SSM" not in fix
    assert "resolve:" not in fix


def test_secret_fix_on_aws_still_names_secrets_manager() -> None:
    directory = FIXTURES.parents[1] / "rules" / "FG201" / "tf_generated_pos"
    result = scan([str(directory)], Config(select=("FG201",), severity=Severity.INFO), cwd=directory)
    assert result.findings
    assert all("Secrets Manager or SSM" in (f.fix or "") for f in result.findings)
