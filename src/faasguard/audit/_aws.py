"""boto3 access for one audit unit: clients with adaptive retries, call accounting, errors as diagnostics.

Every AWS call of the audit goes through `Api.call`/`Api.pages`, for three reasons a reader would otherwise
miss: the calls are counted (the benchmark reports API calls per function), the operations are recorded
(`--print-policy` derives the audit's own IAM policy from them), and a refused or unsupported call becomes one
aggregated diagnostic naming the IAM action that is missing while the rest of the audit goes on.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.model import Location

#: Error codes that mean "the thing is not configured" for the call that returns them: not a problem.
ABSENT_CODES = frozenset({
    "ResourceNotFoundException", "NoSuchBucketPolicy", "NoSuchPublicAccessBlockConfiguration",
    "NoSuchEntity", "NotFoundException", "NoSuchTagSet", "ResourceNotFound", "NotFound",
})
_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "AuthorizationErrorException", "Forbidden",
})
_UNSUPPORTED_CODES = frozenset({
    "InvalidAction", "UnknownOperationException", "NotImplemented", "NotImplementedError",
    "UnsupportedOperation", "UnsupportedOperationException",
})
_THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "SlowDown", "RequestThrottled",
})


class UnitUnreachable(Exception):  # noqa: N818 - a condition, not a programming error
    """The region's endpoints cannot be reached (disabled region, network): the unit stops, others go on."""


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


#: Calls of the audit whose IAM action the boto3 map cannot derive from the operation name (AWS docs facts).
_AUDIT_ACTIONS = {("lambda", "GetLayerVersionByArn"): ("lambda:GetLayerVersion",),
                  ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
                  ("s3control", "GetPublicAccessBlock"): ("s3:GetAccountPublicAccessBlock",)}


def missing_permission(service: str, operation: str) -> str:
    """The IAM action a call needs, from the IAM engine's boto3 map; an operation it cannot map is named as
    such (`<unmapped lambda.Foo>`), never guessed."""
    from faasguard.analysis.iam.boto_map import actions_for

    actions = _AUDIT_ACTIONS.get((service, operation)) or actions_for(service, _snake(operation), operation)
    if actions:
        return ", ".join(actions)
    return f"<unmapped {service}.{operation}>"


@dataclass
class CallLog:
    """Calls made across a whole audit run (all units), thread-safe."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, service: str, operation: str) -> None:
        with self.lock:
            self.counts[(service, operation)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class _Failure:
    kind: str
    code: str
    subjects: list[str] = field(default_factory=list)


class Api:
    """boto3 clients of one (account, region) and the wrapper every call of the audit goes through."""

    def __init__(self, session: Any, region: str, endpoint_url: str | None, log: CallLog,
                 max_pool: int = 10) -> None:
        from botocore.config import Config as BotoConfig

        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self.log = log
        self._config = BotoConfig(retries={"mode": "adaptive", "max_attempts": 6}, connect_timeout=5,
                                  read_timeout=30, max_pool_connections=max_pool, user_agent_extra="faasguard-audit")
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str, str], _Failure] = {}

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                client = self.session.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                                             config=self._config)
                if service == "s3control" and self.endpoint_url:
                    client.meta.events.register("before-sign.s3-control", _local_s3control(self.endpoint_url))
                self._clients[service] = client
            return self._clients[service]

    def call(self, service: str, operation: str, subject: str, **kwargs: Any) -> dict[str, Any] | None:
        """The response, or None when the call failed (recorded) or the thing is not configured."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        method = getattr(self.client(service), _snake(operation))
        self.log.add(service, operation)
        try:
            response: dict[str, Any] = method(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "")) or "Unknown"
            if code in ABSENT_CODES or code.endswith("NotFoundException") or code.startswith("NoSuch"):
                return None
            self._fail(service, operation, code, subject)
            return None
        except EndpointConnectionError as exc:
            raise UnitUnreachable(f"{service} endpoint unreachable in {self.region}: {exc}") from exc
        except BotoCoreError as exc:
            self._fail(service, operation, type(exc).__name__, subject)
            return None
        return response

    def pages(self, service: str, operation: str, key: str, subject: str, **kwargs: Any) -> list[Any]:
        """Every item under `key` across the pages of a paginated call (what was read before a failure)."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        client = self.client(service)
        items: list[Any] = []
        try:
            paginator = client.get_paginator(_snake(operation))
            for page in paginator.paginate(**kwargs):
                self.log.add(service, operation)
                items.extend(page.get(key, []) or [])
        except ClientError as exc:
            self.log.add(service, operation)
            code = str(exc.response.get("Error", {}).get("Code", "")) or "Unknown"
            if code not in ABSENT_CODES:
                self._fail(service, operation, code, subject)
        except EndpointConnectionError as exc:
            raise UnitUnreachable(f"{service} endpoint unreachable in {self.region}: {exc}") from exc
        except BotoCoreError as exc:
            self._fail(service, operation, type(exc).__name__, subject)
        return items

    def try_pages(self, service: str, operation: str, key: str, **kwargs: Any) -> list[Any] | None:
        """Every item of a paginated call, or None when any page fails, without a diagnostic: for a batch
        call the caller replaces by per-resource calls when it is refused or not supported (those then
        report their own failures)."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        items: list[Any] = []
        try:
            for page in self.client(service).get_paginator(_snake(operation)).paginate(**kwargs):
                self.log.add(service, operation)
                items.extend(page.get(key, []) or [])
        except EndpointConnectionError as exc:
            raise UnitUnreachable(f"{service} endpoint unreachable in {self.region}: {exc}") from exc
        except (ClientError, BotoCoreError):
            self.log.add(service, operation)
            return None
        return items

    def failed(self, service: str, operation: str, subject: str) -> bool:
        """Did this call fail for `subject` (as opposed to answering "not configured")?"""
        with self._lock:
            return any(subject in failure.subjects for (svc, op, _), failure in self._failures.items()
                       if (svc, op) == (service, operation))

    def _fail(self, service: str, operation: str, code: str, subject: str) -> None:
        if code in _DENIED_CODES:
            kind = "denied"
        elif code in _UNSUPPORTED_CODES or "NotImplemented" in code:
            kind = "unsupported"
        elif code in _THROTTLE_CODES:
            kind = "throttled"
        else:
            kind = "error"
        with self._lock:
            failure = self._failures.setdefault((service, operation, code), _Failure(kind, code))
            failure.subjects.append(subject)

    def diagnostics(self, where: Location) -> list[Diagnostic]:
        """One diagnostic per (operation, error code), naming the missing permission and the first subjects."""
        out: list[Diagnostic] = []
        for (service, operation, code), failure in sorted(self._failures.items()):
            subjects = _summary(failure.subjects)
            if failure.kind == "denied":
                message = (f"{code} on {service}:{operation} for {subjects}: the audit role lacks "
                           f"{missing_permission(service, operation)} (see `faasguard audit --print-policy`); "
                           "what it would have read is missing from this report")
                out.append(Diagnostic(DiagnosticKind.UNRESOLVED, message, where, DiagnosticLevel.WARNING, "audit"))
            elif failure.kind == "unsupported":
                out.append(Diagnostic(DiagnosticKind.UNSUPPORTED,
                                      f"{service}:{operation} is not supported by this endpoint ({code}) for "
                                      f"{subjects}; skipped", where, DiagnosticLevel.NOTE, "audit"))
            elif failure.kind == "throttled":
                out.append(Diagnostic(DiagnosticKind.UNRESOLVED,
                                      f"{service}:{operation} still throttled ({code}) after adaptive retries for "
                                      f"{subjects}; re-run the unit with --resume", where,
                                      DiagnosticLevel.WARNING, "audit"))
            else:
                out.append(Diagnostic(DiagnosticKind.UNRESOLVED,
                                      f"{service}:{operation} failed ({code}) for {subjects}", where,
                                      DiagnosticLevel.WARNING, "audit"))
        return out


def _local_s3control(endpoint_url: str) -> Any:
    """S3 Control's endpoint rules put the account id in front of the host (`ACCOUNT.s3-control...`), also in
    front of an `--endpoint-url`: a local endpoint (moto, LocalStack) has no such host name, so the request is
    sent to the endpoint as given (before signing, so the signature matches what is sent)."""
    from urllib.parse import urlsplit, urlunsplit

    authority = urlsplit(endpoint_url).netloc

    def send_to_endpoint(request: Any, **_: Any) -> None:
        url = urlsplit(request.url)
        if url.netloc.endswith("." + authority):
            request.url = urlunsplit(url._replace(netloc=authority))

    return send_to_endpoint


def _summary(subjects: Iterable[str]) -> str:
    unique = list(dict.fromkeys(subjects))
    head = ", ".join(unique[:3])
    return head + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")
