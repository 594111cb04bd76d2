"""The CDK loader on a synthesized cloud assembly: stacks, nested assemblies, construct paths, assets."""

from __future__ import annotations

from pathlib import Path

from faasguard.config import Config
from faasguard.loaders import LoadContext, cdk
from faasguard.model import SourceKind
from faasguard.sources import SourceFile, SourceType

APP = Path(__file__).resolve().parents[1] / "fixtures" / "loaders" / "cdk" / "app"


def test_cdk_stacks_construct_paths_and_assets() -> None:
    out = APP / "cdk.out"
    ctx = LoadContext(config=Config(), cwd=APP, roots=(APP,))
    result = cdk.load([SourceFile(SourceType.CDK, out, "cdk.out", APP)], ctx)
    assert result.diagnostics == []
    apps = {a.name: a for a in result.apps}
    assert set(apps) == {"OrdersStack", "Prod-QueueStack"}
    orders = apps["OrdersStack"]
    assert orders.source is SourceKind.CDK
    assert orders.files == ("cdk.out/OrdersStack.template.json",)
    (function,) = orders.functions
    assert function.id == "Handler886CB40B"
    assert function.location.construct_path == "OrdersStack/Handler/Resource"
    assert function.location.line == 15
    assert function.code is not None
    assert function.code.code_dir == str(out / "asset.abc123")
    assert function.code.handler_file == str(out / "asset.abc123" / "index.py")
    assert function.role == "HandlerServiceRoleFCDC14AE"
    (role,) = orders.roles
    # no aws:cdk:path metadata on the role: the manifest's aws:cdk:logicalId entry names it
    assert role.location.construct_path == "/OrdersStack/Handler/ServiceRole/Resource"
    assert [p.name for p in role.policies] == ["AWSLambdaBasicExecutionRole"]
    nested = apps["Prod-QueueStack"]
    (queue,) = nested.resources
    assert queue.location.construct_path == "Prod/QueueStack/Queue/Resource"
    assert queue.location.path == "cdk.out/assembly-Prod/ProdQueueStack.template.json"


def test_cdk_template_outside_roots_is_not_read(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (tmp_path / "outside.template.json").write_text('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}')
    (out / "manifest.json").write_text('{"artifacts": {"S": {"type": "aws:cloudformation:stack", '
                                       '"properties": {"templateFile": "../outside.template.json"}}}}')
    ctx = LoadContext(config=Config(), cwd=tmp_path, roots=(out,))
    result = cdk.load([SourceFile(SourceType.CDK, out, "cdk.out", out)], ctx)
    assert result.apps == []
    (diagnostic,) = result.diagnostics
    assert "outside the scanned project" in diagnostic.message
    assert diagnostic.location is not None
    assert diagnostic.location.path == "cdk.out/manifest.json"
