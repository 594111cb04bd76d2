"""One unit, with retries and exponential backoff for transient errors; runs inside a worker.

Only errors that a later attempt can cure are retried (throttling, a dropped connection, a timeout, a 5xx):
a role that cannot be assumed or a checkout that is not there fails the unit at once, with its error, so a
broken account costs one attempt and not four. Ray's own `max_retries` is left for the other kind of
failure, a worker process or node that died.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from faasguard.fleet import Outcome

THROTTLE_OR_SERVER_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "SlowDown", "RequestThrottled", "RequestThrottledException",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalError", "InternalFailure",
    "InternalServerError", "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    "IDPCommunicationError",
})


class TransientUnitError(Exception):
    """Raised by a unit's work for a condition worth another attempt."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (TransientUnitError, TimeoutError, ConnectionError)):
        return True
    try:
        from botocore.exceptions import ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError
    except ImportError:  # the scan of repositories runs without botocore's network layer ever loaded
        return False
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True  # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError are subclasses
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return str(error.get("Code", "")) in THROTTLE_OR_SERVER_CODES or int(status or 0) >= 500
    return False


def attempt(key: str, work: Callable[[Any], dict[str, Any]], payload: Any, retries: int,
            backoff: float) -> Outcome:
    """The unit's outcome; never raises for an error of the unit itself (it is the outcome's `error`)."""
    started = time.perf_counter()
    tries = 0
    while True:
        tries += 1
        try:
            result = work(payload)
        except Exception as exc:
            if tries <= retries and is_transient(exc):
                # full jitter: units of one account that failed together do not come back together
                time.sleep(backoff * (2 ** (tries - 1)) * (0.5 + random.random() / 2))  # noqa: S311
                continue
            return Outcome(key, None, f"{type(exc).__name__}: {exc}"[:1000], tries, time.perf_counter() - started)
        return Outcome(key, str(result["report"]), None, tries, time.perf_counter() - started,
                       dict(result.get("stats", {})))
