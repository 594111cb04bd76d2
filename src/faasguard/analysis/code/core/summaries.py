"""Function summaries: instantiating a callee's summary at a call site, and collecting a handler's summaries.

A summary is computed once per function with symbolic parameters (taint kind "param", AWS arguments
`ParamRef`); `absorb` and `returned` substitute the actual arguments at each call site, so a helper called from
ten places is analysed once. `collect` turns the summaries of a handler's entry point(s) and of the modules it
loads into the handler's facts: every reportable flow in the order met, AWS calls, per-invocation secret
fetches, /tmp files left behind. None of this looks at syntax: a second front end reuses it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from faasguard.analysis.code.core.results import MAX_HITS, HandlerResult, Summary, TmpEvent
from faasguard.analysis.code.core.sinks import applies, compose
from faasguard.analysis.code.core.values import Arg, ParamRef, Step, Taint, Val, evidence, merge_taints
from faasguard.analysis.code.facts import AwsCall, CodeIssue, SecretFetch, TaintFlow, TmpLeftover
from faasguard.model import Location, Unknown

Subst = Callable[[Arg], Arg]
"""Replaces a `ParamRef` in a callee's recorded AWS argument by what the caller passed."""


def absorb(caller: Summary, callee: Summary, bound: dict[int, Val], step: Step, subst: Subst) -> None:
    """Add what `callee` does, with its parameters bound to the caller's actual values, to `caller`."""
    for hit in callee.hits:
        if hit.taint.kind != "param":
            if len(caller.hits) < MAX_HITS:
                caller.hits.append(hit)
            continue
        actual = bound.get(hit.taint.param)
        if actual is None:
            continue
        for outer in actual.taints:
            new = compose(outer, hit.taint, step)
            if (new.kind == "param" or applies(hit.kind, new, hit.cond)) and len(caller.hits) < MAX_HITS:
                caller.hits.append(replace(hit, taint=new))
        if hit.kind == "store" and any(t.kind == "secret" for t in actual.taints):
            caller.caches = True  # a secret kept in module state is a cache
    for call in callee.calls:
        caller.calls.append(replace(call, args=tuple((n, subst(v)) for n, v in call.args)))
    caller.issues.extend(callee.issues)
    caller.fetches.extend(callee.fetches)
    caller.tmp.extend(callee.tmp)
    for func, lines in callee.returns_at.items():
        caller.returns_at.setdefault(func, []).extend(lines)
    caller.env_reads.update(callee.env_reads)
    caller.modules.update(callee.modules)
    caller.resolves = caller.resolves or callee.resolves
    if callee.validates and any(v.taints for v in bound.values()):
        caller.validates = True
    if callee.event_use is not None and caller.event_use is None:
        caller.event_use = callee.event_use
    caller.service_formed = caller.service_formed or callee.service_formed


def returned(callee: Summary, bound: dict[int, Val], step: Step, subst: Subst) -> Val:
    """The value a call returns: the callee's return value with parameter taints replaced by the actuals'."""
    return _instantiated(callee.returns, bound, step, subst, 0)


MAX_RETURN_DEPTH = 3
"""How deep the fields of a returned container are instantiated (`return {"key": key}` read as
`helper(event)["key"]`); deeper fields keep the container's data as a whole."""


def _instantiated(value: Val, bound: dict[int, Val], step: Step, subst: Subst, depth: int) -> Val:
    out: list[Taint] = []
    for taint in value.taints:
        if taint.kind == "param":
            actual = bound.get(taint.param)
            if actual is not None:
                out.extend(compose(o, taint, step) for o in actual.taints)
        else:
            out.append(taint)
    fields = value.fields
    if fields and depth < MAX_RETURN_DEPTH:
        fields = tuple((name, _instantiated(field, bound, step, subst, depth + 1)) for name, field in fields)
    elif fields:
        fields = None
    result = replace(
        value,
        taints=merge_taints(tuple(out)),
        aws=tuple((n, subst(v)) for n, v in value.aws),
        param=None,
        fields=fields,
    )
    if value.param is not None and value.param in bound:
        result = replace(bound[value.param], taints=result.taints)
    return result


def _flow(kind: str, sink: str, loc: Location, taint: Taint) -> TaintFlow:
    return TaintFlow(kind, sink, taint.source, loc, taint.loc, evidence(taint.steps), taint.kind, taint.whole,
                     taint.authz, taint.headers)


def collect(parts: Iterable[Summary]) -> HandlerResult:
    """The facts of one handler from the summaries of its entry point(s) and module initialisation.

    Flows keep the order they were met (a rule that reports one finding per sink line keeps the first);
    repeated (kind, sink line, source) triples are dropped. Issues are one per (kind, line)."""
    parts = list(parts)
    flows: dict[tuple[object, ...], TaintFlow] = {}
    issues: dict[tuple[str, str, int], CodeIssue] = {}
    calls: dict[tuple[object, ...], AwsCall] = {}
    fetches: list[SecretFetch] = []
    env_reads: dict[str, None] = {}
    tmp: list[TmpEvent] = []
    returns_at: dict[str, list[int]] = {}
    for part in parts:
        for hit in part.hits:
            taint = hit.taint
            if taint.kind == "param" or not applies(hit.kind, taint, hit.cond):
                continue
            key = (hit.kind, hit.loc.path, hit.loc.line, taint.source, taint.loc.line, hit.sink)
            if key not in flows:
                flows[key] = _flow(hit.kind, hit.sink, hit.loc, taint)
        for issue in part.issues:
            issues.setdefault((issue.kind, issue.location.path, issue.location.line), issue)
        for call in part.calls:
            args = {
                name: (Unknown("function parameter") if isinstance(value, ParamRef) else value)
                for name, value in call.args
            }
            ckey = (call.service, call.method, call.loc.path, call.loc.line, tuple(sorted(map(str, args.items()))))
            calls.setdefault(ckey, AwsCall(call.service, call.method, call.operation, args, call.loc))
        fetches.extend(SecretFetch(f.loc, f.what) for f in part.fetches if not f.cached)
        env_reads.update(part.env_reads)
        tmp.extend(part.tmp)
        for func, lines in part.returns_at.items():
            returns_at.setdefault(func, []).extend(lines)
    leftovers = [
        TmpLeftover(write.loc, write.what)
        for write in tmp
        if not write.cleanup and not any(covers(c, write, returns_at) for c in tmp if c.cleanup)
    ]
    return HandlerResult(
        flows=list(flows.values()),
        issues=sorted(issues.values(), key=lambda i: (i.location.path, i.location.line, i.kind)),
        calls=sorted(calls.values(), key=lambda c: (c.location.path, c.location.line, c.method)),
        env_reads=list(env_reads),
        modules=[],
        event_param=None,
        validated=any(p.validates for p in parts),
        event_use=None if any(p.service_formed for p in parts)
        else next((p.event_use for p in parts if p.event_use is not None), None),
        fetches=fetches,
        tmp_leftovers=leftovers,
    )


def covers(cleanup: TmpEvent, write: TmpEvent, returns_at: dict[str, list[int]]) -> bool:
    """Whether removing `cleanup.token` removes what `write` wrote, on every path out of the writer."""
    token_ok = (
        write.token == cleanup.token
        or write.token.startswith(cleanup.token.rstrip("/") + "/")
        or cleanup.token in ("/tmp", "/tmp/")
    )
    if not token_ok:
        return False
    if cleanup.in_finally or cleanup.func != write.func:
        return True
    if cleanup.loc.line < write.loc.line:
        return False
    return not any(write.loc.line < line < cleanup.loc.line for line in returns_at.get(write.func, ()))
