"""What the handler code analysis learned about one function's handler.

This is the interface between the code analysis (producer) and its consumers: the handler rules, least-privilege
generation (`AwsCall`), and later the attack graph (`TaintFlow`). Extend it additively. The analysis names what it
saw by KIND (a sink kind such as "shell" or "sql", an issue kind such as "tls-disabled"), never by rule id: which
rule reports a kind is the rule's decision (`faasguard.rules.handler`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from faasguard._record import record
from faasguard.findings import EvidenceStep
from faasguard.model import Location, Unknown


def is_role_parameter(name: str) -> bool:
    """Whether an AWS API parameter hands an IAM role to the service (`RoleArn`, `roleArn`, `RoleARN`,
    `executionRoleArn`, Lambda's `Role`...): the caller then needs `iam:PassRole` on that role, whatever the
    operation (STS's `AssumeRole` takes a `RoleArn` too, but assumes it itself: callers leave `sts` out)."""
    return name.lower().endswith("rolearn") or name in ("Role", "ServiceRole")


@record
class EnvRef:
    """A value read from the function's environment variable `name` (os.environ["X"], os.getenv("X"))."""

    name: str
    default: str | None = None


ArgValue = str | EnvRef | Unknown
"""A call argument as far as it can be resolved: a literal, an environment variable, or Unknown(reason)."""


@record
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


@record
class TaintFlow:
    """Untrusted event data (or a secret, or the environment, for the "log" and "store" kinds) reaching a sink."""

    kind: str
    """The sink kind: "shell", "program", "code", "sql", "nosql", "deser", "path", "url", "template", "log",
    "store"."""
    sink: str
    """The sink as called, e.g. "subprocess.run(shell=True)"."""
    source: str
    """The source, e.g. "event['Records'][*]['s3']['object']['key']"."""
    location: Location
    """The sink's location."""
    source_location: Location
    hops: tuple[EvidenceStep, ...] = ()
    """The steps between source and sink, each with its line."""
    taint: str = "event"
    """What flows: "event" (caller data), "secret" (a fetched secret), "environ" (the whole environment)."""
    whole: bool = False
    """The whole event object, not a field of it."""
    authz: bool = False
    """An authorization header, cookie or API key."""
    headers: bool = False
    """The request's whole header map (it holds the Authorization header and cookies)."""

    @property
    def steps(self) -> tuple[EvidenceStep, ...]:
        """source → hops → sink, each with its line."""
        return (
            EvidenceStep(f"event data read: {self.source}", self.source_location),
            *self.hops,
            EvidenceStep(f"reaches {self.sink}", self.location),
        )


@record
class CodeIssue:
    """A non-flow fact that a rule reports: "hardcoded-secret", "tls-disabled", "exec-tmp", "log" (the whole
    event logged by a framework option)."""

    kind: str
    message: str
    location: Location
    evidence: tuple[EvidenceStep, ...] = ()


@record
class SecretFetch:
    """A secret fetched on every invocation (not at init, not through a cache)."""

    location: Location
    what: str


@record
class TmpLeftover:
    """A file written under /tmp that is not removed on every path before the handler returns."""

    location: Location
    what: str


@record(slots=False)
class HandlerFacts:
    handler_file: str
    """Display path of the handler module."""
    handler_function: str
    event_param: str | None = None
    flows: tuple[TaintFlow, ...] = ()
    issues: tuple[CodeIssue, ...] = ()
    fetches: tuple[SecretFetch, ...] = ()
    tmp_leftovers: tuple[TmpLeftover, ...] = ()
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
    that returns or raises); a rule reports handlers that read event fields with no validation at all."""
