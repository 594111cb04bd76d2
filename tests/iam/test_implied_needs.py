"""`policy generate` grants what the code needs beyond the handler body: AWS calls in helpers defined inside the
handler, paginators, waiters, resource collections, and S3 objects other services read as the caller."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from faasguard.analysis.code import analyze_file
from faasguard.cli import main

APP = Path(__file__).resolve().parent.parent / "fixtures" / "iam" / "implied-needs-sam"


def _policy(function: str) -> dict[str, set[str]]:
    result = CliRunner().invoke(main, ["policy", "generate", str(APP), "--function", function], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    granted: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(statement["Resource"])
    return granted


def test_calls_in_helpers_defined_inside_the_handler_are_granted() -> None:
    granted = _policy("Intake")
    assert granted["dynamodb:PutItem"] == {"${Orders.Arn}"}
    assert granted["sns:Publish"] == {"${Done}"}
    assert "ssm:GetParameter" in granted


def test_paginator_waiter_collection_and_service_reads_are_granted_and_scoped() -> None:
    granted = _policy("Scanner")
    bucket = "arn:${AWS::Partition}:s3:::acme-intake-docs"
    assert granted["s3:ListBucket"] == {bucket}  # get_paginator('list_objects_v2') and objects.filter()
    assert granted["s3:GetObject"] == {  # the waiter's HeadObject, Textract/Rekognition keys, Transcribe's media
        f"{bucket}/*",
        f"{bucket}/inbox/manifest.json",
        f"{bucket}/calls/today.wav",
    }
    assert {"textract:DetectDocumentText", "rekognition:DetectLabels", "transcribe:StartTranscriptionJob"} <= set(
        granted
    )


def test_the_implied_reads_are_recorded_at_the_service_call() -> None:
    facts, _ = analyze_file(APP / "src" / "scanner" / "app.py")
    assert facts is not None
    reads = [(c.method, c.location.line) for c in facts.aws_calls if c.service == "s3" and c.operation == "GetObject"]
    assert reads == [
        ("textract.detect_document_text reads the object", 18),
        ("rekognition.detect_labels reads the object", 20),
        ("transcribe.start_transcription_job reads the object", 21),
    ]
    waits = [(c.method, c.operation) for c in facts.aws_calls if c.method.startswith("get_waiter")]
    assert waits == [("get_waiter(object_exists)", "HeadObject")]


def test_a_closure_does_not_take_the_enclosing_functions_parameters_as_its_own(tmp_path: Path) -> None:
    """`records` is the outer helper's parameter; inside `emit` it is not `emit`'s first argument."""
    handler = tmp_path / "app.py"
    handler.write_text(
        "import os\nimport subprocess\n\n\n"
        "def process(records, label):\n"
        "    def emit(tag):\n"
        "        subprocess.run(records[0], shell=True)\n"
        "        return tag\n"
        "    return emit(label)\n\n\n"
        "def handler(event, context):\n"
        "    return process([os.environ['CMD']], event['body'])\n"
    )
    facts, _ = analyze_file(handler)
    assert facts is not None
    assert [f.kind for f in facts.flows] == []
