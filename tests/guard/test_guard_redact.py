"""Log redaction: registered secrets, secret-named environment variables, AWS key patterns."""

from __future__ import annotations

import io
import logging

from faasguard.guard._redact import RedactingFilter, RedactingStream, Redactor, is_redacting, secret_env_values


def test_patterns_and_registered_values() -> None:
    redactor = Redactor()
    redactor.add("correct-horse")
    redactor.add("abc")  # too short: would mask ordinary words
    text = ("pw=correct-horse id=AKIAIOSFODNN7EXAMPLE sk=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
            "sha=da39a3ee5e6b4b0d3255bfef95601890afd80709 abc aws_secret_access_key = hunter")
    assert redactor.redact(text) == ("pw=**** id=**** sk=**** sha=da39a3ee5e6b4b0d3255bfef95601890afd80709 abc "
                                     "aws_secret_access_key = ****")


def test_secret_named_environment_variables() -> None:
    env = {"DB_PASSWORD": "pw-123456", "STRIPE_API_KEY": "sk_live_1234", "AWS_SESSION_TOKEN": "tok-abcdef",
           "TABLE_NAME": "orders-table", "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/23/[$LATEST]abc", "TOKEN": "x"}
    assert sorted(secret_env_values(env)) == ["pw-123456", "sk_live_1234", "tok-abcdef"]


def test_stream_and_logging_filter() -> None:
    redactor = Redactor()
    redactor.add("sup3r-secret")
    buffer = io.StringIO()
    stream = RedactingStream(buffer, redactor)
    print("the value is sup3r-secret", file=stream)
    assert buffer.getvalue() == "the value is ****\n"
    assert is_redacting(stream) and not is_redacting(buffer)

    logger = logging.getLogger("faasguard-test-redact")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter(redactor))  # type: ignore[arg-type]
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("value %s", "sup3r-secret")
        try:
            raise ValueError("boom sup3r-secret")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "sup3r-secret" not in out.getvalue() and out.getvalue().count("****") == 3
