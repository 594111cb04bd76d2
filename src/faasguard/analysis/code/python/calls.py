"""Call resolution for the Python front end: what a call is, and who interprets it.

In order: a function, method or class of the analysed code (its summary is instantiated with the actual
arguments: core/summaries.py); a web framework's app constructor or Lambda adapter (web.py); a DynamoDB
condition; a mutation of module-level state (it survives into the next invocation: a "store" sink); a boto3
object (sdk.py); a library call known to the models (models.py rows, library.py transfers); otherwise the
generic rule: the data of the receiver and the arguments flows into the result, except through functions that
return no caller data (`len`, `int`, hashes...).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from faasguard.analysis.code.core.summaries import absorb, returned
from faasguard.analysis.code.core.values import CLEAN, Arg, LazyStep, Val, data_of, merge_taints
from faasguard.analysis.code.python.library import CallSite, library_call
from faasguard.analysis.code.python.models import (
    BOOL_METHODS,
    BOTO3_FACTORIES,
    BOTO3_OBJECT_KINDS,
    BOTO3_SESSIONS,
    CHECKING_CONVERSIONS,
    CLEAN_FUNCS,
    CLEAN_PREFIXES,
    CONTAINER_MUTATORS,
    DYNAMO_CONDITIONS,
)
from faasguard.analysis.code.python.schemas import model_instance
from faasguard.analysis.code.python.sdk import aws_call, boto3_factory
from faasguard.analysis.code.python.syntax import unparse
from faasguard.analysis.code.python.web import ADAPTER_CALLS, ADAPTER_CTORS, REQUEST_GLOBALS, WEB_APPS

if TYPE_CHECKING:
    from faasguard.analysis.code.core.results import Summary
    from faasguard.analysis.code.python.expressions import FunctionAnalysis


def call(fa: FunctionAnalysis, node: ast.Call, in_with: bool = False) -> Val:
    """The value of a call expression, after recording what the call does."""
    site, callee = _site(fa, node, in_with)
    _tls_checks(fa, site)
    result = _analysed_code(fa, site, callee)
    if result is None:
        result = _framework(fa, site, callee)
    if result is None:
        result = _sdk(fa, site)
    if result is None:
        result = library_call(fa, site)
    return result if result is not None else _generic(fa, site)


def _site(fa: FunctionAnalysis, node: ast.Call, in_with: bool) -> tuple[CallSite, Val]:
    """Evaluate the callee, the receiver of a method call, and the arguments (left to right)."""
    func = node.func
    receiver: Val | None = None
    method: str | None = None
    if isinstance(func, ast.Attribute):
        receiver = fa.ev(func.value)
        if receiver.qual in REQUEST_GLOBALS:
            receiver = fa.request_global(func.value)
        method = func.attr
        callee = (
            fa.attribute(receiver, method, func)
            if receiver.kind in ("module", "class", "instance")
            else Val(qual=f"{receiver.qual}.{method}" if receiver.qual else None)
        )
    else:
        callee = fa.ev(func)
    args = [fa.ev(a) for a in node.args]
    kwargs: dict[str, Val] = {}
    spread: list[Val] = []
    for kw in node.keywords:
        value = fa.ev(kw.value)
        if kw.arg is None:
            spread.append(value)
        else:
            kwargs[kw.arg] = value
    for index, arg_node in enumerate(node.args):
        if isinstance(arg_node, ast.Starred):
            args[index] = args[index].data()
    return CallSite(node, callee.qual or "", receiver, method, args, kwargs, spread, in_with), callee


def _tls_checks(fa: FunctionAnalysis, site: CallSite) -> None:
    kwargs, node = site.kwargs, site.node
    for name in ("verify", "verify_certs", "verify_ssl", "ssl_verify"):
        value = kwargs.get(name)
        if value is not None and value.kind == "false":
            fa.issue("tls-disabled", f"TLS certificate verification is disabled ({name}=False)", node)
            return
    cert = kwargs.get("cert_reqs")
    if cert is not None and (cert.const == "CERT_NONE" or (cert.qual or "").endswith("CERT_NONE")):
        fa.issue("tls-disabled", "TLS certificate verification is disabled (cert_reqs=CERT_NONE)", node)
    if site.qual.endswith("_create_unverified_context"):
        fa.issue("tls-disabled", "an unverified SSL context disables certificate and host name checks", node)


def _analysed_code(fa: FunctionAnalysis, site: CallSite, callee: Val) -> Val | None:
    """Local functions, methods and classes: instantiate the summary."""
    if callee.kind in ("func", "method") and callee.extra:
        bound = [callee.field_val("self") or CLEAN] if callee.kind == "method" else []
        return instantiate(fa, callee.extra, [*bound, *site.args], site.kwargs, site.spread, site.node)
    if callee.kind == "class" and callee.extra:
        return _construct(fa, callee, site)
    return None


def _framework(fa: FunctionAnalysis, site: CallSite, callee: Val) -> Val | None:
    """Web apps and adapters, DynamoDB conditions, and mutations of module-level state."""
    qual, node, func = site.qual, site.node, site.node.func
    if qual in WEB_APPS:
        return Val(kind="webapp", extra=WEB_APPS[qual])
    if qual in ADAPTER_CTORS:
        return Val(kind="webapp", extra="adapter")
    if qual in ADAPTER_CALLS or (callee.kind == "webapp" and site.args):
        fa.summary.resolves = True  # the event is dispatched to the app: every route runs
        return CLEAN
    if (site.receiver is not None and site.receiver.kind == "condition") or qual in DYNAMO_CONDITIONS:
        return Val(kind="condition")
    if site.method in CONTAINER_MUTATORS and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if fa.is_module_state(func.value.id):
            fa.store_global(data_of(*site.args, *site.kwargs.values()), f"{func.value.id}.{site.method}()", node)
            return CLEAN
        return _local_container_add(fa, site, func.value.id)
    return None


def _local_container_add(fa: FunctionAnalysis, site: CallSite, name: str) -> Val | None:
    """`values.append(x)`, `params.update(x)` on a local list or dict: what is added is in the container from
    then on, as `values[i] = x` already is (a statement built piece by piece, `", ".join(values)`). Only a
    container the code built itself (a literal or comprehension) is changed: `digest.update(body)` on a
    hash object is not a container and keeps the generic rule."""
    current = fa.env.get(name)
    if current is None or current.kind not in ("list", "dict"):
        return None
    added = data_of(*site.args, *site.kwargs.values(), *site.spread)
    if added.taints:
        step = LazyStep(unparse, (site.node, 70), fa.loc(site.node))
        taints = merge_taints(current.taints, tuple(t.step(step) for t in added.taints))
        fa.env[name] = replace(current, taints=taints, fields=_fields_after(current, site))
    return CLEAN


def _fields_after(current: Val, site: CallSite) -> tuple[tuple[str, Val], ...] | None:
    """The known items of a container after a mutation added caller data: appending keeps every index, a
    dict literal merged in by `update` replaces its keys; `insert` shifts indexes and any other update may
    replace any key, so the items are no longer known (a read gets the container's data)."""
    fields = current.fields
    if fields is None or site.method in ("append", "extend", "add"):
        return fields
    if site.method == "update" and len(site.args) == 1 and not site.kwargs and not site.spread:
        merged = site.args[0].fields
        if merged is not None:
            keys = {key for key, _ in merged}
            return (*[(k, v) for k, v in fields if k not in keys], *merged)
    return None


def _sdk(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver, method, qual = site.receiver, site.method, site.qual
    if receiver is not None and method is not None:
        aws = aws_call(fa, receiver, method, site.args, site.kwargs, site.node)
        if aws is not None:
            return aws
    session = receiver is not None and receiver.kind == "session"
    if qual in BOTO3_FACTORIES or (session and method in ("client", "resource")):
        return boto3_factory(fa, qual, method, site.arg(0, "service_name"), site.kwargs, site.node)
    if qual in BOTO3_SESSIONS:
        return Val(kind="session")
    return None


SECRET_TRANSFORMS = frozenset(
    {
        "base64.b64decode",
        "base64.b64encode",
        "base64.urlsafe_b64decode",
        "base64.urlsafe_b64encode",
        "codecs.decode",
        "codecs.encode",
        "bytes.decode",
        "str.encode",
        "urllib.parse.quote",
        "urllib.parse.urlencode",
        "",
    }
)
"""Calls that only re-encode their argument: a secret passed in is still the secret ("" is a call of an
unknown callable, which keeps its data as before)."""


def _generic(fa: FunctionAnalysis, site: CallSite) -> Val:
    """No model: the data of the receiver and the arguments flows into the result."""
    values = [*site.args, *site.kwargs.values(), *site.spread]
    receiver, qual = site.receiver, site.qual
    if receiver is not None:
        if site.method in BOOL_METHODS:
            return CLEAN
        if receiver.taints:
            fa.use(receiver, site.node)
        values.append(receiver)
    if qual and (qual in CLEAN_FUNCS or qual.startswith(CLEAN_PREFIXES)):
        if qual in CHECKING_CONVERSIONS and any(v.taints for v in values):
            fa.summary.validates = True  # a conversion that raises on bad input is a check
        return CLEAN
    if qual not in SECRET_TRANSFORMS:  # credentials go in by keyword: password=, headers=, auth=, aws_secret_...=
        keywords = {id(v) for v in site.kwargs.values()}
        values = [_without_secrets(v) if id(v) in keywords else v for v in values]
    result = data_of(*values)
    return Val(result.taints, qual=f"{qual}()") if qual else result


def _without_secrets(value: Val) -> Val:
    """A secret passed by keyword to a library call (`connect(password=...)`, `headers={...}`, `auth=`)
    authenticates the call; what the call returns (a connection, rows, an API's answer) is not the secret. A
    positional secret (`load_pem_private_key(pem)`) is the call's data and flows on."""
    if not any(t.kind == "secret" for t in value.taints):
        return value
    return value.with_taints(tuple(t for t in value.taints if t.kind != "secret"))


def instantiate(  # noqa: PLR0917
    fa: FunctionAnalysis, key: str, args: list[Val], kwargs: dict[str, Val], spread: list[Val], node: ast.Call
) -> Val:
    """A call to the analysed function `key` ("path::qualname"): its summary with the actuals bound."""
    path, qualname = key.split("::", 1)
    clients = {index: arg for index, arg in enumerate(args) if arg.kind in BOTO3_OBJECT_KINDS}
    summary = fa.a.summary(fa.a.path(path), qualname, clients)
    actuals = [*args, *spread]
    if summary is None:
        return data_of(*actuals, *kwargs.values())
    params = summary.params
    bound: dict[int, Val] = dict(enumerate(args[: len(params)] if summary.vararg >= 0 else args))
    extra: list[tuple[str, Val]] = []
    for name, value in kwargs.items():
        if name in params:
            bound[params.index(name)] = value
        elif name in summary.names[len(params) :]:
            bound[summary.names.index(name)] = value
        else:
            extra.append((name, value))
    if spread:
        for index in range(len(params)):
            bound.setdefault(index, data_of(*spread))
    _bind_collectors(summary, bound, args[len(params) :], extra, spread)
    step = LazyStep(_passed, (qualname, node), fa.loc(node))

    def subst(value: Arg) -> Arg:
        return fa.subst(value, bound)

    absorb(fa.summary, summary, bound, step, subst)
    for index in summary.param_uses:
        actual = bound.get(index)
        if actual is not None:
            fa.use(actual, node)
    return returned(summary, bound, step, subst)


def _passed(qualname: str, node: ast.Call) -> str:
    """The evidence text of a call of an analysed function (written only for a flow that is shown)."""
    return f"passed to {qualname}() ({unparse(node, 60)})"


def _bind_collectors(
    summary: Summary, bound: dict[int, Val], rest: list[Val], extra: list[tuple[str, Val]], spread: list[Val]
) -> None:
    """`*args` receives the positional arguments past the named ones; `**kwargs` whatever `**mapping` the
    caller spread into the call (`run(**event)`: every field of the event) and the keywords no parameter names.

    A summary tracks a parameter as one value, so `kwargs["cmd"]` in the callee stands for every keyword the
    caller passed: when only some of them carry caller data (`run(cmd="ls", user=name)`) which one reaches a
    sink is not known, and none is reported rather than the wrong one."""
    if summary.vararg >= 0 and rest:
        data = data_of(*rest)
        bound[summary.vararg] = Val(
            taints=data.taints, kind="list", fields=tuple((str(i), v) for i, v in enumerate(rest))
        )
    if summary.kwarg >= 0 and (extra or spread):
        named = [value for _, value in extra]
        uniform = all(value.taints for value in named) or not any(value.taints for value in named)
        data = data_of(*spread, *(named if uniform else ()))
        bound[summary.kwarg] = Val(taints=data.taints, kind="dict", fields=None if spread else tuple(extra))


def _construct(fa: FunctionAnalysis, callee: Val, site: CallSite) -> Val:
    """An instance of an analysed class: a model class validates what it is built from (and keeps the caller's
    text in its text fields: schemas.py); otherwise the instance carries its arguments' data and `__init__`
    runs."""
    assert callee.extra is not None
    path, cls = callee.extra.split("::", 1)
    args, kwargs, spread = site.args, site.kwargs, site.spread
    is_model = bool(re.search(r"BaseModel|Schema|Model\b|dataclass", callee.text))
    data = data_of(*args, *kwargs.values(), *spread)
    if is_model:
        if data.taints:
            fa.summary.validates = True
        return model_instance(fa, callee.extra, data)
    instance = Val(kind="instance", extra=callee.extra, taints=data.taints)
    if f"{cls}.__init__" in fa.a.module(fa.a.path(path)).functions:
        instantiate(fa, f"{path}::{cls}.__init__", [instance, *args], kwargs, spread, site.node)
    return instance
