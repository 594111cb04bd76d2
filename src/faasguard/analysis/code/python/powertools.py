"""AWS Lambda Powertools: resolvers (their routes are entry points), parameters/secrets fetches, and the
parser/validator utilities (a model or schema check is validation; the parsed model keeps the caller's text in
its text fields: schemas.py)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from faasguard.analysis.code.core.results import Fetch
from faasguard.analysis.code.core.values import CLEAN, Taint, Val, data_of
from faasguard.analysis.code.python.models import RESOLVER_CLASSES
from faasguard.analysis.code.python.schemas import model_instance
from faasguard.analysis.code.python.syntax import shorten

if TYPE_CHECKING:
    from faasguard.analysis.code.python.expressions import FunctionAnalysis


def powertools(fa: FunctionAnalysis, q: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call) -> Val | None:
    name = q.rsplit(".", 1)[-1]
    if name in RESOLVER_CLASSES:
        return Val(kind="resolver", qual=f"{q}()")
    if name == "resolve":
        fa.summary.resolves = True
        return CLEAN
    if (
        name in ("get_secret", "get_parameter", "get_parameters", "get_parameters_by_name")
        and ".parameters" in f".{q}"
    ):
        ident = args[0] if args else kwargs.get("name") or kwargs.get("path")
        cached = not (
            kwargs.get("force_fetch", CLEAN).kind == "true"
            or (
                kwargs.get("max_age") is not None
                and isinstance(node.keywords, list)
                and any(
                    k.arg == "max_age" and isinstance(k.value, ast.Constant) and k.value.value == 0
                    for k in node.keywords
                )
            )
        )
        if name == "get_secret":
            fa.record(
                "secretsmanager", "parameters.get_secret", "GetSecretValue", {"SecretId": ident or CLEAN}, node
            )
            label = f"parameters.get_secret({shorten(str(fa.argvalue(ident)), 50)})"
            fa.summary.fetches.append(Fetch(fa.loc(node), f"secret {label}", cached))
            return Val(taints=(Taint("secret", label, fa.loc(node), whole=True),), kind="secret-holder")
        op = {
            "get_parameter": "GetParameter",
            "get_parameters": "GetParametersByPath",
            "get_parameters_by_name": "GetParameters",
        }[name]
        fa.record(
            "ssm", f"parameters.{name}", op, {"Name" if name != "get_parameters" else "Path": ident or CLEAN}, node
        )
        if kwargs.get("decrypt", CLEAN).kind == "true":
            label = f"parameters.{name}({shorten(str(fa.argvalue(ident)), 50)}, decrypt=True)"
            fa.summary.fetches.append(Fetch(fa.loc(node), f"secret {label}", cached))
            return Val(taints=(Taint("secret", label, fa.loc(node), whole=True),), kind="secret-holder")
        return CLEAN
    if name in ("parse",) and "model" in kwargs:
        data = data_of(*args, kwargs.get("event", CLEAN))
        if data.taints:
            fa.summary.validates = True
        model = kwargs["model"]
        return model_instance(fa, model.extra, data) if model.kind == "class" and model.extra else CLEAN
    if name == "validate" and ("schema" in kwargs or len(args) > 1):
        fa.summary.validates = True
        return CLEAN
    if name == "Logger":
        return Val(qual=f"{q}()")
    return None
