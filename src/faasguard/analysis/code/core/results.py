"""What one analysed function yields: the records a front end produces and the core composes.

A front end (the Python interpreter today) fills one `Summary` per function: sink hits, AWS calls, /tmp events,
secret fetches, the value it returns. The core instantiates summaries at call sites (`summaries.absorb`) and
collects the summaries of a handler's entry point and modules into one `HandlerResult` (`summaries.collect`).
Nothing here depends on the language of the analysed code.
"""

from __future__ import annotations

from dataclasses import field

from faasguard._record import record
from faasguard.analysis.code.core.values import CLEAN, Arg, Taint, Val
from faasguard.analysis.code.facts import AwsCall, CodeIssue, HandlerFacts, SecretFetch, TaintFlow, TmpLeftover
from faasguard.model import Location

MAX_HITS = 400
"""Records kept per summary: a generated module with thousands of sinks must not make a scan quadratic."""


@record
class SinkHit:
    kind: str
    """The sink kind ("shell", "program", "code", "sql", "nosql", "deser", "path", "url", "template", "log",
    "store"): the sanitiser kind that protects it, and what the rules map to themselves (see core/sinks.py)."""
    sink: str
    loc: Location
    taint: Taint
    cond: str = ""
    """Extra condition: "structured" (operator injection needs a JSON object)."""


@record
class CallRec:
    service: str
    method: str
    operation: str | None
    args: tuple[tuple[str, Arg], ...]
    loc: Location


@record
class TmpEvent:
    token: str
    loc: Location
    func: str
    cleanup: bool
    in_finally: bool = False
    what: str = ""


@record
class Fetch:
    loc: Location
    what: str
    cached: bool


@record(frozen=False, slots=False)
class Summary:
    hits: list[SinkHit] = field(default_factory=list)
    calls: list[CallRec] = field(default_factory=list)
    issues: list[CodeIssue] = field(default_factory=list)
    tmp: list[TmpEvent] = field(default_factory=list)
    returns_at: dict[str, list[int]] = field(default_factory=dict)
    fetches: list[Fetch] = field(default_factory=list)
    env_reads: dict[str, None] = field(default_factory=dict)
    returns: Val = CLEAN
    validates: bool = False
    event_use: Location | None = None
    service_formed: bool = False
    """The event is one an AWS service formed from the deployer's configuration (a CloudFormation custom
    resource's): there is no caller's input to validate, so no `event_use`."""
    param_uses: dict[int, Location] = field(default_factory=dict)
    resolves: bool = False
    modules: dict[str, None] = field(default_factory=dict)
    params: tuple[str, ...] = ()
    """The positional parameters, in order (what positional arguments and same-named keywords bind)."""
    caches: bool = False
    names: tuple[str, ...] = ()
    """Every parameter in the order the front end numbers them (positional, `*args`, keyword-only, `**kwargs`):
    a parameter's taint index is its position here."""
    vararg: int = -1
    """Index (in `names`) of the `*args` parameter, or -1."""
    kwarg: int = -1
    """Index (in `names`) of the `**kwargs` parameter, or -1."""


@record(frozen=False, slots=False)
class HandlerResult:
    flows: list[TaintFlow]
    issues: list[CodeIssue]
    calls: list[AwsCall]
    env_reads: list[str]
    modules: list[str]
    event_param: str | None
    validated: bool
    event_use: Location | None
    module_paths: list[str] = field(default_factory=list)
    fetches: list[SecretFetch] = field(default_factory=list)
    tmp_leftovers: list[TmpLeftover] = field(default_factory=list)

    def facts(self, display: str, name: str, issues: list[CodeIssue], location: Location) -> HandlerFacts:
        """The handler's facts as rules read them, whichever front end produced this result (`issues` adds the
        hard-coded secrets of every module the handler reached to the result's own)."""
        return HandlerFacts(
            handler_file=display, handler_function=name, event_param=self.event_param, flows=tuple(self.flows),
            issues=tuple(issues), fetches=tuple(self.fetches), tmp_leftovers=tuple(self.tmp_leftovers),
            aws_calls=tuple(self.calls), env_reads=tuple(self.env_reads), modules=tuple(self.modules),
            handler_location=location, event_use=self.event_use, validated=self.validated)
