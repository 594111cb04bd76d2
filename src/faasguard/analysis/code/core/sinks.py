"""Sink kinds as data: which taints matter at a sink of each kind, and how a taint crosses a call.

A front end reports a hit as (sink kind, sink text, location, value); the kind decides which of the value's
taints are worth keeping (`applies`). Most kinds care about caller data only, unless the value was sanitised
for that kind; "log" cares about secrets, the whole environment, the whole event, authorization headers and
the request's header map, sanitised or not (a logged secret is leaked whatever was done to it). "response"
(what the handler returns to its caller) and "publish" (a message sent to a topic, queue or bus) care about
secrets; "http-response" (a return value shaped as an HTTP response: a `statusCode` dict, a web route's body)
about exception text; "html" (the body of an HTML response) about caller data not escaped for HTML;
"redirect" (where an HTTP response sends the browser) about caller data whose host is not fixed, so what makes
a URL safe for a request makes it safe there too. A new language reuses these kinds; a new kind is a row here
plus the rule that reports it.
"""

from __future__ import annotations

from faasguard._record import record
from faasguard.analysis.code.core.values import Step, Taint


@record
class SinkKind:
    sources: frozenset[str]
    """Taint kinds that reach this sink in a way worth reporting."""
    whole_event_only: bool = False
    """Event data counts only as the whole event, an authorization header or the header map (logging a field
    is fine)."""
    sanitizable: bool = True
    """A sanitiser for this kind (or "all") makes the value safe here."""
    also_cleaned_by: frozenset[str] = frozenset()
    """Other kinds whose sanitisers make the value safe here too."""


_CALLER_DATA = SinkKind(frozenset({"event"}))
SINK_KINDS: dict[str, SinkKind] = {
    "shell": _CALLER_DATA,
    "program": _CALLER_DATA,
    "code": _CALLER_DATA,
    "sql": _CALLER_DATA,
    "nosql": _CALLER_DATA,
    "deser": _CALLER_DATA,
    "path": _CALLER_DATA,
    "url": _CALLER_DATA,
    "template": _CALLER_DATA,
    "store": _CALLER_DATA,
    "log": SinkKind(frozenset({"secret", "decrypted", "environ", "event"}), whole_event_only=True, sanitizable=False),
    "response": SinkKind(frozenset({"secret"}), sanitizable=False),
    "http-response": SinkKind(frozenset({"exception"}), sanitizable=False),
    "publish": SinkKind(frozenset({"secret"}), sanitizable=False),
    "html": _CALLER_DATA,
    "redirect": SinkKind(frozenset({"event"}), also_cleaned_by=frozenset({"url"})),
}


SQL_TEXT_PARAMETERS: dict[tuple[str, str], str] = {
    ("athena", "StartQueryExecution"): "QueryString",
    ("redshift-data", "ExecuteStatement"): "Sql",
    ("redshift-data", "BatchExecuteStatement"): "Sqls",
    ("rds-data", "ExecuteStatement"): "sql",
    ("rds-data", "BatchExecuteStatement"): "sql",
    ("rds-data", "ExecuteSql"): "sqlStatements",
    ("timestream-query", "Query"): "QueryString",
}
"""AWS APIs that run a SQL text they are given ((service, API operation) → the request member holding it):
Athena, the Redshift and RDS Data APIs (also RDS Data's deprecated `ExecuteSql`, still in SDK v2 code),
Timestream. Keyed by the API's own names, which boto3 and both JavaScript SDKs share, so each front end reads
the same rows. Their bound parameters (`parameters`, `ExecutionParameters`) are not the statement and are not
checked."""


def open_relative(prefix: str) -> bool:
    """A string starting with `prefix` is a reference whose host what follows may still choose: "/" + x or
    f"/{x}" becomes `//evil.example` (or `/\\evil.example`, which browsers read the same) when x starts with a
    slash. A path with a fixed first segment ("/orders/", "/home?next=") stays on the site; so does a relative
    reference that does not start with a slash. Both front ends judge a redirect target's known prefix here."""
    return prefix[:1] in ("/", "\\") and (prefix[:1] == "\\" or prefix[1:2] in ("", "/", "\\"))


def applies(kind: str, taint: Taint, cond: str = "") -> bool:
    """Whether `taint` at a sink of `kind` is a reportable flow (a "param" taint never is: it is substituted
    at each call site first)."""
    policy = SINK_KINDS.get(kind, _CALLER_DATA)
    if taint.kind not in policy.sources:
        return False
    if policy.whole_event_only and taint.kind == "event":
        return taint.whole or taint.authz or taint.headers
    if policy.sanitizable and ("all" in taint.sanitized or kind in taint.sanitized
                               or not policy.also_cleaned_by.isdisjoint(taint.sanitized)):
        return False
    return not (cond == "structured" and not taint.structured)


def compose(outer: Taint, inner: Taint, step: Step) -> Taint:
    """An actual argument's taint `outer` flowing through a callee along `inner` (relative to the parameter)."""
    source, loc = outer.source, outer.loc
    if outer.whole and not inner.whole:
        source, loc = inner.source, inner.loc
    steps = (*outer.steps, step, *inner.steps)[-14:]
    return Taint(
        outer.kind,
        source,
        loc,
        steps,
        outer.param,
        outer.sanitized | inner.sanitized,
        outer.whole and inner.whole,
        outer.authz or inner.authz,
        outer.structured and inner.structured,
        outer.normalized or inner.normalized,
        (outer.headers and inner.whole) or (inner.headers and outer.whole),
    )
