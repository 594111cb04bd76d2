"""What the handler code analysis learned about one function's handler.

This is the interface between the code analysis (producer) and its consumers: the handler rules (FG2xx/FG5xx),
least-privilege generation (`AwsCall`), and later the attack graph (`TaintFlow`). Extend it additively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from faasguard.findings import EvidenceStep
from faasguard.model import Location, Unknown


@dataclass(frozen=True, slots=True)
class EnvRef:
    """A value read from the function's environment variable `name` (os.environ["X"], os.getenv("X"))."""

    name: str
    default: str | None = None


ArgValue = str | EnvRef | Unknown
"""A call argument as far as it can be resolved: a literal, an environment variable, or Unknown(reason)."""


@dataclass(frozen=True, slots=True)
class AwsCall:
    """One AWS SDK call a handler can make."""

    service: str
    """boto3 service name: "s3", "dynamodb", "secretsmanager", "sqs", "lambda", "stepfunctions"..."""
    method: str
    """The Python method called: "get_object", "put_item", "upload_file", "get_paginator(list_objects_v2)"."""
    operation: str | None
    """The botocore operation name ("GetObject") when the method is an API operation; None for helpers such as
    upload_file/download_file, whose IAM needs the IAM engine knows."""
    arguments: Mapping[str, ArgValue]
    """API parameter name ("Bucket", "Key", "TableName", "SecretId", "QueueUrl", "FunctionName"...) → value."""
    location: Location


@dataclass(frozen=True, slots=True)
class TaintFlow:
    """Untrusted event data reaching a dangerous sink."""

    rule_id: str
    """The FG5xx rule the sink belongs to."""
    sink: str
    """The sink as called, e.g. "subprocess.run(shell=True)"."""
    source: str
    """The source, e.g. "event['Records'][*]['s3']['object']['key']"."""
    location: Location
    """The sink's location."""
    steps: tuple[EvidenceStep, ...]
    """source → ... → sink, each with its line."""


@dataclass(frozen=True, slots=True)
class CodeIssue:
    """A non-taint fact that a rule reports (hard-coded secret, secret logged, /tmp not cleaned...)."""

    rule_id: str
    message: str
    location: Location
    evidence: tuple[EvidenceStep, ...] = ()


@dataclass(frozen=True)
class HandlerFacts:
    handler_file: str
    """Display path of the handler module."""
    handler_function: str
    event_param: str | None = None
    flows: tuple[TaintFlow, ...] = ()
    issues: tuple[CodeIssue, ...] = ()
    aws_calls: tuple[AwsCall, ...] = ()
    env_reads: tuple[str, ...] = ()
    """Environment variables the handler reads."""
    modules: tuple[str, ...] = field(default_factory=tuple)
    """Display paths of every module analysed for this handler (handler + local imports)."""
    handler_location: Location | None = None
    """The handler's `def` line."""
    event_use: Location | None = None
    """Where the handler first reads a field of its event (None when it never does)."""
    validated: bool = False
    """The event is validated somewhere (a pydantic / Powertools parser model, jsonschema, or an explicit check
    that returns or raises) — FG511 reports handlers that read event fields with no validation at all."""
