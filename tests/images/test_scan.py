"""Images through the whole pipeline: binding to functions and containers, advisories per OS release, and the
rules that read the image (FG201, FG601, FG604, FG701), each with its negative case."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.images.imagebuild import (
    ALPINE_318,
    DEBIAN_12,
    Image,
    Layer,
    apk_entry,
    docker_save,
    dpkg_entry,
    dpkg_status,
    metadata,
)

from faasguard.cli import main
from faasguard.config import Config
from faasguard.findings import Confidence, Finding
from faasguard.pipeline import scan

ADVISORIES = str(Path(__file__).resolve().parent.parent / "fixtures" / "images" / "advisories")
SITE = "usr/local/lib/python3.12/site-packages"
URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4"

TEMPLATE = f"""AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: {URI}
    Metadata:
      DockerContext: ./orders
  WorkerTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      ContainerDefinitions:
        - Name: worker
          Image: {URI}
"""
DOCKERFILE = """FROM python:3.12-slim-bookworm
ENV DB_PASSWORD=Qw7sKp2Lm9xTr4vB
RUN pip install urllib3==1.26.5
USER 10001
"""


def debian(openssl: str = "3.0.11-1~deb12u1", urllib3: str = "1.26.5", user: str | None = None,
           env: tuple[str, ...] = ("DB_PASSWORD=Qw7sKp2Lm9xTr4vB",)) -> Image:
    return Image([
        Layer({"etc/os-release": DEBIAN_12,
               "var/lib/dpkg/status": dpkg_status(dpkg_entry("libssl3", openssl, "openssl"))},
              created_by="/bin/sh -c #(nop) ADD file:abc in / "),
        Layer({f"{SITE}/urllib3-{urllib3}.dist-info/METADATA": metadata("urllib3", urllib3)},
              created_by="RUN /bin/sh -c pip install urllib3==1.26.5 # buildkit"),
    ], tags=(URI,), user=user, env=("PATH=/usr/bin", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", *env))


def project(tmp_path: Path, image: Image, template: str = TEMPLATE, oci_index: bool = True) -> Path:
    (tmp_path / "template.yaml").write_text(template)
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "Dockerfile").write_text(DOCKERFILE)
    docker_save(image, tmp_path / "orders" / "image.tar", oci_index=oci_index)
    return tmp_path


def run(path: Path, monkeypatch: pytest.MonkeyPatch, **options: object) -> list[Finding]:
    monkeypatch.chdir(path)
    result = scan(["template.yaml", "orders/image.tar"] if options.pop("explicit", False) else ["."],
                  Config(advisories=(ADVISORIES,), **options))  # type: ignore[arg-type]
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return result.findings


def by_rule(findings: list[Finding], rule: str) -> list[tuple[str, str, int, str]]:
    return sorted((f.resource, f.location.path, f.location.line, f.message) for f in findings if f.rule_id == rule)


def test_vulnerable_os_and_python_packages_bound_to_function_and_task(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    findings = run(project(tmp_path, debian()), monkeypatch)
    fg601 = [f for f in findings if f.rule_id == "FG601"]
    assert sorted((f.resource, f.location.path, f.location.line, f.function) for f in fg601) == [
        ("orders/image.tar", "orders/Dockerfile", 1, "OrdersFunction"),  # openssl: from the base image
        ("orders/image.tar", "orders/Dockerfile", 3, "OrdersFunction"),  # urllib3: the RUN pip install line
    ]
    openssl = next(f for f in fg601 if "openssl" in f.message)
    assert openssl.message.startswith("Debian:12 package openssl 3.0.11-1~deb12u1 in image orders/image.tar "
                                      "(deployed by function OrdersFunction, container WorkerTask/worker) has "
                                      "known vulnerability CVE-2023-5363 (DEBIAN-CVE-2023-5363)")
    assert "fixed in 3.0.11-1~deb12u2" in openssl.message
    steps = [s.description for s in openssl.evidence]
    assert "installed binary packages: libssl3" in steps
    assert any(s.startswith("introduced by layer 1/2") and "from base image python:3.12-slim-bookworm" in s
               for s in steps)


def test_fixed_versions_are_not_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = run(project(tmp_path, debian(openssl="3.0.11-1~deb12u2", urllib3="1.26.17")), monkeypatch)
    assert by_rule(findings, "FG601") == []


def test_other_debian_release_is_not_matched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = debian()
    image.layers[0].files = {**image.layers[0].files,
                             "etc/os-release": DEBIAN_12.replace('VERSION_ID="12"', 'VERSION_ID="11"')}
    findings = run(project(tmp_path, image), monkeypatch)
    assert not [f for f in findings if f.rule_id == "FG601" and "openssl" in f.message]


@pytest.mark.parametrize(("version", "reported"), [("3.1.3-r0", True), ("3.1.4-r0", False), ("3.1.4-r1", False)])
def test_alpine_openssl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, reported: bool) -> None:
    image = Image([Layer({"etc/os-release": ALPINE_318,
                          "lib/apk/db/installed": apk_entry("libssl3", version, origin="openssl")})], tags=(URI,))
    fg601 = by_rule(run(project(tmp_path, image), monkeypatch), "FG601")
    assert [m.split(" in image")[0] for *_, m in fg601] == ([f"Alpine:v3.18 package openssl {version}"]
                                                          if reported else [])


def test_image_env_secret_fg201(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fg201 = by_rule(run(project(tmp_path, debian()), monkeypatch), "FG201")
    assert [(r, p, line) for r, p, line, _ in fg201] == [("orders/image.tar", "orders/Dockerfile", 2)]
    assert "DB_PASSWORD" in fg201[0][3]
    assert "Qw7s" not in fg201[0][3]


def test_image_env_without_secret_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert by_rule(run(project(tmp_path, debian(env=("LANG=C.UTF-8",))), monkeypatch), "FG201") == []


def test_ecs_container_with_root_image_fg701(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = run(project(tmp_path, debian()), monkeypatch)
    worker = [f for f in findings if f.rule_id == "FG701" and f.resource == "WorkerTask/worker"]
    assert len(worker) == 1
    assert worker[0].confidence is Confidence.HIGH
    assert "its image orders/image.tar runs as root" in worker[0].message


def test_ecs_container_with_non_root_image_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = run(project(tmp_path, debian(user="10001")), monkeypatch)
    assert not [f for f in findings if f.rule_id == "FG701" and f.resource == "WorkerTask/worker"]


def test_lambda_only_image_is_not_fg701(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = TEMPLATE.split("  WorkerTask:", maxsplit=1)[0]
    findings = run(project(tmp_path, debian(), template=template), monkeypatch)
    assert not [f for f in findings if f.rule_id == "FG701" and f.resource == "orders/image.tar"]


def test_fg604_names_the_digest_when_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = run(project(tmp_path, debian()), monkeypatch)
    fg604 = [f for f in findings if f.rule_id == "FG604" and f.resource == "OrdersFunction"]
    assert len(fg604) == 1
    assert fg604[0].location.line == 8
    assert "the scanned image orders/image.tar has manifest digest sha256:" in fg604[0].message
    assert fg604[0].fix is not None
    assert "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:" in fg604[0].fix


def test_fg604_without_digest_keeps_the_generic_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = run(project(tmp_path, debian(), oci_index=False), monkeypatch)
    fg604 = [f for f in findings if f.rule_id == "FG604" and f.resource == "OrdersFunction"]
    assert len(fg604) == 1
    assert "manifest digest" not in fg604[0].message


def test_undeployed_image_is_standalone_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = debian()
    image.tags = ("other:2.0",)
    findings = run(project(tmp_path, image), monkeypatch)
    fg601 = [f for f in findings if f.rule_id == "FG601"]
    assert len(fg601) == 2
    assert all(f.function is None for f in fg601)
    assert all("(not referenced by any function or container)" in f.message for f in fg601)
    assert [f.resource for f in findings if f.rule_id == "FG701" and f.resource == "orders/image.tar"] == \
        ["orders/image.tar"]


def test_cli_binds_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = debian()
    image.tags = ()
    path = project(tmp_path, image)
    outside = tmp_path.parent / f"{tmp_path.name}-img.tar"
    (path / "orders" / "image.tar").rename(outside)
    monkeypatch.chdir(path)
    result = CliRunner().invoke(main, ["scan", "template.yaml", "--image", f"OrdersFunction={outside}",
                                       "--advisories", ADVISORIES, "--format", "json", "--select", "FG601"])
    assert result.exit_code == 1, result.output
    assert '"function": "OrdersFunction"' in result.output
    assert "CVE-2023-5363" in result.output


def test_cli_unknown_name_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project(tmp_path, debian())
    outside = tmp_path.parent / f"{tmp_path.name}-img2.tar"
    (path / "orders" / "image.tar").rename(outside)
    monkeypatch.chdir(path)
    result = scan(["template.yaml"], Config(advisories=(ADVISORIES,), images=(f"NoSuchFunction={outside}",)))
    assert not [f for f in result.findings if f.rule_id == "FG601"]
    notes = [d for d in result.diagnostics if d.component == "images"]
    assert len(notes) == 1
    assert "no function or container named NoSuchFunction" in notes[0].message
    assert notes[0].level.value == "warning"
