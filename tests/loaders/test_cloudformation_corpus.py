"""Robustness on real templates: the 498 SAM/CloudFormation templates of aws-samples/serverless-patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import DiagnosticKind
from faasguard.loaders import LoadContext, cloudformation
from faasguard.sources import SourceType, discover

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "serverless-patterns"

# Files of the corpus that really are malformed or are not templates (checked by hand).
NOT_TEMPLATES = {
    # the pattern skeleton (a header and a comment, no Resources), copied unchanged into four CDK patterns
    "_pattern-model/template.yaml",
    "apigw-lambda-sagemaker-jumpstartendpoint-cdk-python/template.yaml",
    "dynamodb-lambda-cdk-kotlin/template.yaml",
    "kinesis-lambda-ddb-cdk-java/template.yaml",
    "kinesis-lambda-py-cdk/template.yaml",
    "apigw-custom-domain-edge/template.yaml",  # YAML syntax error at 35:9
    "rds-sns-event-notification/template.yaml",  # YAML syntax error at 3:97
}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_corpus_loads_without_internal_errors() -> None:
    found = discover([str(CORPUS)], cwd=CORPUS)
    files = [f for f in found.files if f.type is SourceType.CLOUDFORMATION]
    assert len(files) >= 490
    ctx = LoadContext(config=Config(), cwd=CORPUS, roots=(CORPUS,))
    result = cloudformation.load(files, ctx)  # raising here would be an internal error
    assert len(result.apps) >= len(files) - len(NOT_TEMPLATES)
    for diagnostic in result.diagnostics:
        assert diagnostic.location is not None
        if diagnostic.kind is DiagnosticKind.PARSE_ERROR:
            assert diagnostic.location.path in NOT_TEMPLATES, diagnostic
        else:
            assert diagnostic.kind in (DiagnosticKind.UNSUPPORTED, DiagnosticKind.UNRESOLVED), diagnostic
    functions = [f for app in result.apps for f in app.functions]
    assert len(functions) >= 500
    assert all(f.role is not None for f in functions)
    python = [f for f in functions if isinstance(f.runtime, str) and f.runtime.startswith("python")
              and f.code is not None and not f.code.inline and f.code.code_dir is not None]
    located = [f for f in python if f.code is not None and f.code.handler_file is not None]
    assert len(located) >= 0.9 * len(python)
