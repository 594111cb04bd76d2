"""FG603-FG605 on the model (both CloudFormation and Terraform spellings), rule docs, and the AWS layer data."""

from __future__ import annotations

import inspect
import json
import re
from importlib import resources

import pytest

from faasguard.config import Config
from faasguard.findings import Severity
from faasguard.model import (
    Application,
    CodeLocation,
    Container,
    EcrRepositorySettings,
    Function,
    Location,
    RegistryScanning,
    RegistryScanRule,
    Resource,
    ResourceCategory,
    SourceKind,
    Unknown,
)
from faasguard.rules.base import RuleContext
from faasguard.rules.supply_chain import (
    ImageScanningDisabledRule,
    MutableImageReferenceRule,
    UnpinnedDependencyRule,
    UntrustedLayerRule,
    VulnerableDependencyRule,
    aws_layer_accounts,
)

RULES = (VulnerableDependencyRule, UnpinnedDependencyRule, UntrustedLayerRule, MutableImageReferenceRule,
         ImageScanningDisabledRule)


def loc(line: int, path: str = "template.yaml") -> Location:
    return Location(path, line)


def app(**nodes: object) -> Application:
    return Application("t", SourceKind.SAM, "/tmp", ("template.yaml",), **nodes)  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", RULES)
def test_rule_docs_have_the_catalog_sections(rule: type) -> None:
    docs = inspect.cleandoc(rule.__doc__ or "")
    positions = [docs.find(s) for s in ("## What it does", "## Why is this bad?", "## Example", "## Fix")]
    assert all(p >= 0 for p in positions)
    assert positions == sorted(positions)
    assert rule.meta().owasp == "SAS-6"
    assert re.fullmatch(r"FG60\d", rule.id)


def test_layer_account_data_names_its_sources() -> None:
    data = json.loads(resources.files("faasguard.data").joinpath("layer_accounts.json").read_text())
    for publisher in data["publishers"]:
        assert publisher["name"]
        assert publisher["source"].startswith("https://")
        assert all(re.fullmatch(r"\d{12}", a) for a in publisher["accounts"].values())
    accounts = aws_layer_accounts()
    assert accounts["017000801446"].startswith("Powertools")
    assert "464622532012" not in accounts  # a third-party vendor (Datadog) is not AWS


def layer_app(*refs: str | Unknown, account_id: str | None = None) -> Application:
    fn = Function("Fn", loc(10), field_locations={"layers": loc(14)}, layers=tuple(refs))
    return app(functions=(fn,), account_id=account_id)


@pytest.mark.parametrize(("ref", "reported"), [
    ("arn:aws:lambda:us-east-1:123456789012:layer:utils:7", True),
    ("arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Python312:98", True),
    ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:4", False),
    ("arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:11", False),
    ("arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:own:3", False),
    ("arn:aws:lambda:us-east-1:999999999999:layer:configured:1", False),
    ("MyLayer", False),
    (Unknown("!Ref LayerArnParameter"), False),
])
def test_fg603(ref: str | Unknown, reported: bool) -> None:
    config = Config(trusted_layer_accounts=("999999999999",))
    found = list(UntrustedLayerRule().check(RuleContext(layer_app(ref), config)))
    assert [(f.rule_id, f.resource, f.location.line) for f in found] == ([("FG603", "Fn", 14)] if reported else [])


def test_fg603_own_account_from_live_audit() -> None:
    ref = "arn:aws:lambda:us-east-1:123456789012:layer:utils:7"
    assert list(UntrustedLayerRule().check(RuleContext(layer_app(ref, account_id="123456789012"), Config()))) == []


@pytest.mark.parametrize(("image", "severity"), [
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest", Severity.MEDIUM),
    ("public.ecr.aws/nginx/nginx", Severity.MEDIUM),
    ("localhost:5000/api", Severity.MEDIUM),          # a registry port is not a tag
    ("nginx:1.25", Severity.LOW),
    ("nginx@sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270", None),
    ("repo:${ImageTag}", None),
    (Unknown("!Ref ImageParameter"), None),
])
def test_fg604_containers(image: str | Unknown, severity: Severity | None) -> None:
    container = Container("Task.api", loc(20, "task.json"), field_locations={"image": loc(23, "task.json")},
                          platform="ecs", image=image)
    found = list(MutableImageReferenceRule().check(RuleContext(app(containers=(container,)), Config())))
    if severity is None:
        assert found == []
    else:
        assert [(f.rule_id, f.resource, f.location.line, f.severity) for f in found] == [
            ("FG604", "Task.api", 23, severity)]


@pytest.mark.parametrize(("image", "reported"), [
    ("python:3.12-slim", False), ("builder", False), ("python", False), ("ghcr.io/org/base", True),
    ("python:latest", False), ("ghcr.io/org/base:latest", True),
])
def test_fg604_dockerfile_only_latest_from_a_registry_path(image: str, reported: bool) -> None:
    container = Container("Dockerfile:1", loc(1, "Dockerfile"), platform="dockerfile", image=image)
    found = list(MutableImageReferenceRule().check(RuleContext(app(containers=(container,)), Config())))
    assert bool(found) is reported


def test_fg604_lambda_image_at_its_property_line() -> None:
    code = CodeLocation(None, None, None, package_type="Image",
                        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:v1")
    fn = Function("Fn", loc(30), field_locations={"image_uri": loc(34)}, code=code, package_type="Image")
    found = list(MutableImageReferenceRule().check(RuleContext(app(functions=(fn,)), Config())))
    assert [(f.rule_id, f.resource, f.location.line, f.severity) for f in found] == [
        ("FG604", "Fn", 34, Severity.LOW)]


def repo(ecr: EcrRepositorySettings, fields: dict[str, Location] | None = None,
         name: str | None = "orders") -> Resource:
    return Resource("Repo", loc(40), field_locations=fields or {}, type="AWS::ECR::Repository",
                    category=ResourceCategory.ECR_REPOSITORY, name=name, ecr=ecr)


@pytest.mark.parametrize(("settings", "expected"), [
    (EcrRepositorySettings(), (Severity.MEDIUM, 40)),
    (EcrRepositorySettings(True, "IMMUTABLE"), None),
    (EcrRepositorySettings(False, "IMMUTABLE"), (Severity.MEDIUM, 42)),
    (EcrRepositorySettings(True, None), (Severity.LOW, 40)),
    (EcrRepositorySettings(True, "MUTABLE"), (Severity.LOW, 44)),
    (EcrRepositorySettings(Unknown("!If"), Unknown("!Ref P")), None),
    (EcrRepositorySettings(True, "IMMUTABLE_WITH_EXCLUSION"), None),
])
def test_fg605(settings: EcrRepositorySettings, expected: tuple[Severity, int] | None) -> None:
    fields = {"ecr.scan_on_push": loc(42), "ecr.tag_mutability": loc(44)}
    fields = {k: v for k, v in fields.items()
              if getattr(settings, k.removeprefix("ecr.")) is not None}
    found = list(ImageScanningDisabledRule().check(RuleContext(app(resources=(repo(settings, fields),)),
                                                               Config())))
    if expected is None:
        assert found == []
    else:
        assert [(f.rule_id, f.resource, f.severity, f.location.line) for f in found] == [
            ("FG605", "Repo", *expected)]


def registry(*rules: RegistryScanRule) -> RegistryScanning:
    return RegistryScanning("Scanning", loc(60), scan_type="ENHANCED", rules=rules)


@pytest.mark.parametrize(("config", "name", "covered"), [
    (registry(RegistryScanRule("SCAN_ON_PUSH", ("orders-*",))), "orders-api", True),
    (registry(RegistryScanRule("CONTINUOUS_SCAN", ("*",))), None, True),
    (registry(RegistryScanRule("SCAN_ON_PUSH", ("orders-*",))), "billing", False),
    (registry(RegistryScanRule("MANUAL", ("*",))), "orders", False),
    (registry(), "orders", False),
    (registry(RegistryScanRule("SCAN_ON_PUSH", ("orders-*",))), None, "unknown"),
    (registry(RegistryScanRule("SCAN_ON_PUSH", (Unknown("!Ref Filter"),))), "orders", "unknown"),
    (RegistryScanning("Scanning", loc(60), rules=Unknown("!If")), "orders", "unknown"),
])
def test_registry_scanning_covers_only_matching_repositories(
        config: RegistryScanning, name: str | None, covered: bool | str) -> None:
    result = config.covers(name)
    assert isinstance(result, Unknown) if covered == "unknown" else result is covered


def test_fg605_registry_scanning_exempts_only_what_it_covers() -> None:
    scanning = registry(RegistryScanRule("SCAN_ON_PUSH", ("orders*",)))
    covered = repo(EcrRepositorySettings(None, "IMMUTABLE"), name="orders")
    found = list(ImageScanningDisabledRule().check(RuleContext(
        app(resources=(covered,), registry_scanning=(scanning,)), Config())))
    assert found == []
    other = repo(EcrRepositorySettings(None, "IMMUTABLE"), name="billing")
    found = list(ImageScanningDisabledRule().check(RuleContext(
        app(resources=(other,), registry_scanning=(scanning,)), Config())))
    assert [(f.rule_id, f.resource, f.location.line) for f in found] == [("FG605", "Repo", 40)]
