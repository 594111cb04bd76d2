# ruff: noqa: N802, N815  (visitor methods are named after the ast node classes)
"""The Python interpreter's expressions: names, attributes and subscripts (where event fields are read),
string building (f-strings, %, format, +: what is known of a URL's host or a query's SQL), containers,
comprehensions. Calls are resolved in calls.py.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from faasguard.analysis.code.core.sinks import open_relative
from faasguard.analysis.code.core.values import CLEAN, Taint, Val, data_of, join, merge_taints
from faasguard.analysis.code.python import calls
from faasguard.analysis.code.python.models import (
    AUTHZ_KEYS,
    CUSTOM_RESOURCE_FIELDS,
    HEADER_MAPS,
    NON_CREDENTIAL_FIELDS,
    REQUEST_CONTEXT_HOST_FIELDS,
    SERVICE_URL_FIELDS,
    STRINGY_KEYS,
    URL_WITH_HOST,
)
from faasguard.analysis.code.python.statements import StatementAnalysis
from faasguard.analysis.code.python.syntax import unparse
from faasguard.analysis.code.python.web import (
    APIGW_CALLER_IDENTITY,
    APIGW_SET_CONTEXT,
    GATEWAY_SET_CONTEXT,
    REQUEST_BODY_METHODS,
    REQUEST_CLEAN_ATTRS,
    REQUEST_GLOBALS,
    REQUEST_STRUCTURED,
)

MAX_EVAL_DEPTH = 150
_URL = frozenset({"url"})


class FunctionAnalysis(StatementAnalysis):
    """One function's (or module body's) pass of the Python interpreter."""

    def ev(self, node: ast.expr | None, in_with: bool = False) -> Val:
        if node is None:
            return CLEAN
        self.depth += 1
        try:
            if self.depth > MAX_EVAL_DEPTH:
                return CLEAN
            if isinstance(node, ast.Call):
                return self.call(node, in_with)
            method = _EXPRESSIONS.get(type(node))
            if method is not None:
                result: Val = method(self, node)
                return result
            values = [self.ev(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
            return data_of(*values)
        finally:
            self.depth -= 1

    def e_Constant(self, node: ast.Constant) -> Val:
        if isinstance(node.value, str):
            return Val(
                const=node.value,
                prefix=node.value,
                text=node.value,
                tmp=node.value if node.value.startswith("/tmp") else None,
            )
        if node.value is False:
            return Val(kind="false")
        if node.value is True:
            return Val(kind="true")
        return CLEAN

    def e_Name(self, node: ast.Name) -> Val:
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.globals:
            return self.globals[name]
        if name in self.info.functions and not self.is_module:
            return Val(kind="func", extra=f"{self.info.path}::{name}")
        return Val(qual=name)

    def e_Attribute(self, node: ast.Attribute) -> Val:
        base = self.ev(node.value)
        return self.attribute(base, node.attr, node)

    def attribute(self, base: Val, attr: str, node: ast.AST) -> Val:
        """`base.attr`: a member of analysed code, a part of a framework or SDK object, or a field of data."""
        member = self._code_member(base, attr)
        if member is not None:
            return member
        if base.qual in REQUEST_GLOBALS and isinstance(node, ast.Attribute):
            base = self.request_global(node.value)
        part = self._object_part(base, attr, node)
        return part if part is not None else self._data_field(base, attr, node)

    def entered(self, value: Val, node: ast.expr) -> Val:
        """`with Session() as s` binds what the analysed class's `__enter__` returns (often `self`, sometimes an
        event loop, a connection or a cursor it opened), not the instance itself."""
        if value.kind != "instance" or not value.extra or not isinstance(node, ast.Call):
            return value
        enter = self._code_member(value, "__enter__")
        if enter is None or enter.kind != "method" or not enter.extra:
            return value
        return calls.instantiate(self, enter.extra, [value], {}, [], node)

    def _code_member(self, base: Val, attr: str) -> Val | None:
        if base.kind == "module" and base.extra:
            return self._member(self.a.path(base.extra), attr)
        if base.kind == "class" and base.extra:
            path, cls = base.extra.split("::", 1)
            if f"{cls}.{attr}" in self.a.module(self.a.path(path)).functions:
                return Val(kind="func", extra=f"{path}::{cls}.{attr}")
            return Val(qual=f"{cls}.{attr}")
        if base.kind == "instance" and base.extra:
            path, cls = base.extra.split("::", 1)
            if f"{cls}.{attr}" in self.a.module(self.a.path(path)).functions:
                return Val(kind="method", extra=f"{path}::{cls}.{attr}", fields=(("self", base),))
            field = base.field_val(attr)
            return field if field is not None else base.data()
        return None

    def _object_part(self, base: Val, attr: str, node: ast.AST) -> Val | None:
        """Attributes of framework, boto3, environment, tempfile and path objects."""
        if base.kind == "webapp" and base.extra == "chalice":
            if attr == "current_request":
                request = Taint("event", unparse(node, 60), self.loc(node), whole=True)
                return Val(kind="chalice-request", taints=(request,))
            return CLEAN
        if base.kind in ("web-request", "chalice-request") and base.taints:
            return self.web_field(base, attr, node)
        if base.kind == "chalice-s3" and attr == "bucket":
            return CLEAN  # the bucket is the one the decorator names: configuration, not the uploader's choice
        if base.kind == "resolver" and attr in ("current_event", "current_request", "lambda_context"):
            if attr == "lambda_context":
                return CLEAN
            return Val(taints=(Taint("event", f"{unparse(node, 60)}", self.loc(node), whole=True),))
        if base.kind in ("resource", "table", "bucket", "object", "queue", "topic") and attr == "meta":
            return Val(kind="meta", service=base.service)
        if base.kind == "meta" and attr == "client":
            return Val(kind="client", service=base.service)
        if base.kind == "bucket" and attr in ("objects", "object_versions", "multipart_uploads"):
            return Val(kind="collection", service="s3", aws=base.aws)
        if base.kind == "environ" and attr in ("copy", "items", "keys", "values", "get"):
            return replace(base, qual=f"os.environ.{attr}")
        if base.kind == "tmpfile" and attr == "name":
            return Val(tmp=base.tmp)
        if base.kind == "path" and attr in ("name", "stem", "suffix"):
            return Val(taints=tuple(t.clean_for("path") for t in base.taints))
        if base.kind == "path" and attr == "parent":
            return base
        return None

    def _data_field(self, base: Val, attr: str, node: ast.AST) -> Val:
        """A library attribute (`os.environ`, `module.CONST`) or a field of caller data (`event.body`)."""
        if base.qual is not None:
            qual = f"{base.qual}.{attr}"
            if qual == "os.environ":
                return Val(
                    kind="environ",
                    taints=(Taint("environ", "os.environ", self.loc(node), whole=True),),
                    qual="os.environ",
                )
            return Val(qual=qual, taints=base.taints)
        if base.taints:
            self.use(base, node)
            authz = attr.lower() in AUTHZ_KEYS
            stringy = attr.lower() in STRINGY_KEYS
            structured = attr in ("json_body", "detail", "decoded_body_json")
            value = Val(
                taints=self._service_set(attr, tuple(
                    replace(
                        t.field(
                            unparse(node, 60),
                            self.loc(node),
                            authz,
                            stringy,
                            unparse(node.value, 60) if isinstance(node, ast.Attribute) else None,
                            headers=attr.lower() in HEADER_MAPS,
                        ),
                        structured=(t.structured and not stringy) or structured,
                    )
                    for t in base.taints
                    if t.kind != "environ"
                )),
                tmp=base.tmp,
            )
            return value if value.taints else CLEAN
        if base.tmp:
            return Val(tmp=base.tmp)
        return CLEAN

    def request_global(self, node: ast.AST) -> Val:
        """`flask.request` (or Quart's) read here: the current HTTP request, as a whole-event source."""
        return Val(kind="web-request", taints=(Taint("event", unparse(node, 40), self.loc(node), whole=True),))

    def web_field(self, base: Val, attr: str, node: ast.AST) -> Val:
        """A part of an HTTP request object (Chalice `current_request`, `flask.request`, a FastAPI Request)."""
        if attr in REQUEST_CLEAN_ATTRS:
            return CLEAN
        if attr != "context":  # API Gateway's own request context is not caller input to validate
            self.use(base, node)
        structured = attr in REQUEST_STRUCTURED
        taints = tuple(
            replace(
                t.field(unparse(node, 60), self.loc(node), attr.lower() in AUTHZ_KEYS, not structured,
                        headers=attr.lower() in HEADER_MAPS),
                structured=structured,
            )
            for t in base.taints
        )
        if attr in ("context", "scope") and base.kind == "chalice-request":
            return Val(kind="apigw-context", taints=taints)
        if attr in REQUEST_BODY_METHODS and not isinstance(node, ast.Attribute):
            return Val(taints=taints)
        return Val(taints=taints, kind="request-part" if attr in ("files",) else None)

    @staticmethod
    def _service_set(name: str | None, taints: tuple[Taint, ...]) -> tuple[Taint, ...]:
        """Field taints, cleaned for URL sinks when the field is an AWS-set endpoint (see SERVICE_URL_FIELDS)."""
        if name in SERVICE_URL_FIELDS:
            return tuple(t.clean_for("url") for t in taints)
        if name in REQUEST_CONTEXT_HOST_FIELDS:
            return tuple(t.clean_for("url") if "requestContext" in t.source else t for t in taints)
        return taints

    def e_Subscript(self, node: ast.Subscript) -> Val:
        base = self.ev(node.value)
        key = self.ev(node.slice)
        return self.subscript(base, key, node)

    def subscript(self, base: Val, key: Val, node: ast.AST) -> Val:
        if base.kind == "environ" and key.const is not None:
            self.summary.env_reads[key.const] = None
            return self.env_value(key.const, None, node)
        if key.const is not None:
            field_value = base.field_val(key.const)
            if field_value is not None:
                return field_value
        gateway_set = base.kind == "gateway-context" and key.const in GATEWAY_SET_CONTEXT
        if base.kind in ("apigw-context", "gateway-context", "apigw-identity") and key.const is not None \
                and not gateway_set:
            context_field = self._context_field(base, key.const, node)
            if context_field is not None:
                return context_field
        if base.kind == "request-part" and base.taints:  # request.files["doc"]: an uploaded file
            return replace(self.subscript(replace(base, kind=None), key, node), kind="upload")
        if base.kind == "split-slash" and base.taints:
            return Val(taints=tuple(t.clean_for("path") for t in base.taints))
        if base.kind == "exc-info" and isinstance(node, ast.Subscript):  # sys.exc_info()[0]: the class only
            index = node.slice.value if isinstance(node.slice, ast.Constant) else None
            return CLEAN if index == 0 else Val(taints=base.taints)
        if base.kind == "list":
            return Val(taints=base.taints, tmp=base.tmp)
        if not base.taints:
            if base.tmp:
                return Val(tmp=base.tmp)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                return base
            return CLEAN
        if key.const in CUSTOM_RESOURCE_FIELDS and any(t.whole and t.kind == "event" for t in base.taints):
            self.summary.service_formed = True
            return CLEAN  # CloudFormation's own event, filled from the template
        if key.const != "requestContext":  # read for API Gateway's own fields, it uses nothing of the caller's
            self.use(base, node)
        if key.const == "Records" and any(t.whole and t.kind == "event" for t in base.taints):
            self.batch_event = True
        name = (key.const or "").lower()
        authz = name in AUTHZ_KEYS
        stringy = name in STRINGY_KEYS
        base_text = unparse(node.value, 70) if isinstance(node, ast.Subscript) else None
        taints = tuple(
            t.field(
                unparse(node, 70) if isinstance(node, ast.Subscript) else t.source,
                self.loc(node),
                authz,
                stringy,
                base_text,
                headers=name in HEADER_MAPS,
            )
            for t in base.taints
            if t.kind != "environ" and not (t.kind == "secret" and name in NON_CREDENTIAL_FIELDS)
        )
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            taints = tuple(replace(t, whole=o.whole) for t, o in zip(taints, base.taints, strict=False))
        taints = self._service_set(key.const, taints)
        if not taints:
            return CLEAN
        if gateway_set:  # no sink's concern; still the event's for a check that validates it
            return Val(taints=tuple(t.clean_for("all") for t in taints))
        if key.const == "requestContext" and any(t.whole and t.kind == "event" for t in base.taints):
            # API Gateway's own fields (request id, stage, route key, times) are not the caller's text
            return Val(taints=taints, kind="gateway-context")
        return Val(taints=taints)

    def _context_field(self, base: Val, key: str, node: ast.AST) -> Val | None:
        """A field of API Gateway's request context (Chalice's `request.context`, an event's `requestContext`)
        or of its `identity`: CLEAN when the gateway fills it in, None for the generic field read."""
        if base.kind == "apigw-context" and key in APIGW_SET_CONTEXT:
            return CLEAN
        if base.kind == "apigw-identity":
            return CLEAN if key not in APIGW_CALLER_IDENTITY else None
        if base.kind == "gateway-context" and self.summary.event_use is None:
            self.summary.event_use = self.loc(node)  # the caller's part of the context (path, identity...)
        return Val(kind="apigw-identity", taints=base.taints) if key == "identity" else None

    def e_JoinedStr(self, node: ast.JoinedStr) -> Val:
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                part = self.ev(value.value)
                parts.append(
                    part
                    if (part.const is not None or part.taints or part.tmp or part.env)
                    else Val(taints=part.taints, kind="opaque")
                )
            else:
                parts.append(self.ev(value))
        return self.fmt(parts)

    def e_FormattedValue(self, node: ast.FormattedValue) -> Val:
        return self.ev(node.value)

    def fmt(self, parts: list[Val]) -> Val:
        """A string built from `parts` in order (f-string, +, %, .format, join)."""
        if not parts:
            return Val(const="", prefix="", text="")
        lead: list[str] = []
        known = True
        for part in parts:
            if part.const is not None:
                lead.append(part.const)
                continue
            if part.prefix:
                lead.append(part.prefix)
            known = False
            break
        prefix = "".join(lead) if lead else None
        const = prefix if known else None
        text = "".join(p.const if p.const is not None else (p.text or "{}") for p in parts)
        first = parts[0]
        # The text before the first tainted part, an untainted unknown (a region, a configured name) standing in
        # as one host character: "https://idp.{region}.amazonaws.com/{tainted}" has its host fixed.
        # A part already built with a fixed host (its taints are URL-sanitized: "https://api.x.com/{t}" + q)
        # keeps that host: concatenating more path or query onto it is not SSRF.
        safe_lead = ""
        for part in parts:
            if part.taints and not all("url" in t.sanitized for t in part.taints):
                break
            safe_lead += part.const if part.const is not None else (part.prefix or "h")
        if first.taints and not all("url" in t.sanitized for t in first.taints):
            host_fixed = False
        elif "://" in safe_lead:
            host_fixed = URL_WITH_HOST.match(safe_lead) is not None
        elif first.const is None:
            host_fixed = True  # a base URL from the environment or configuration
        else:  # a relative reference: "/orders/{id}" stays on the site, "/{x}" may become "//other.host"
            host_fixed = bool(prefix) and not open_relative(prefix or "")
        taints = merge_taints(*(p.taints for p in parts))
        taints = tuple(
            t.with_structure(False, t.sanitized | _URL if host_fixed else t.sanitized) for t in taints
        )
        tmp = None
        if prefix and prefix.startswith("/tmp"):
            tmp = prefix
        elif first.tmp:
            tmp = first.tmp
        return Val(taints=taints, const=const, prefix=prefix, text=text, tmp=tmp)

    def e_BinOp(self, node: ast.BinOp) -> Val:
        left = self.ev(node.left)
        right = self.ev(node.right)
        if isinstance(node.op, ast.Add):
            if left.kind == "list" or right.kind == "list":
                return Val(taints=merge_taints(left.taints, right.taints), kind="list")
            return self.fmt([left, right])
        if isinstance(node.op, ast.Mod) and left.const is not None:
            values = [self.ev(e) for e in node.right.elts] if isinstance(node.right, ast.Tuple) else [right]
            return self.format_template(left.const, values)
        if isinstance(node.op, ast.Div) and left.kind == "path":
            return Val(kind="path", taints=merge_taints(left.taints, right.taints), tmp=left.tmp, prefix=left.prefix)
        if isinstance(node.op, ast.BitAnd | ast.BitOr) and "condition" in (left.kind, right.kind):
            return Val(kind="condition")
        return data_of(left, right)

    def format_template(self, template: str, values: list[Val]) -> Val:
        pieces = re.split(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifxXeEgGc%]|\{[^{}]*\}", template)
        parts: list[Val] = []
        for index, piece in enumerate(pieces):
            parts.append(Val(const=piece, prefix=piece, text=piece))
            if index < len(pieces) - 1:
                parts.append(values[index] if index < len(values) else data_of(*values))
        if len(values) > len(pieces) - 1:
            parts.append(data_of(*values[len(pieces) - 1 :]))
        return self.fmt(parts)

    def e_BoolOp(self, node: ast.BoolOp) -> Val:
        values = [self.ev(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return values[-1]
        result = values[0]
        for value in values[1:]:
            result = join(result, value)
        return result

    def e_IfExp(self, node: ast.IfExp) -> Val:
        """`region if region in ALLOWED else "us-east-1"`: a branch that is the very value the test checks is
        read with what the test proves (other branches are not: `event["cmd"] if event["mode"] in MODES`
        checked the mode, not the command)."""
        self.ev(node.test)
        dispatch, narrow = self._dispatch_guards, self._narrow_guards
        self._dispatch_guards, self._narrow_guards = set(), {}
        when_true, when_false = self.guard(node.test)
        if not (when_true or when_false):
            self._dispatch_guards, self._narrow_guards = dispatch, narrow
            return join(self.ev(node.body), self.ev(node.orelse))
        tested = unparse(node.test, 400)
        before = dict(self.env)
        if unparse(node.body, 200) in tested:
            for name in when_true:
                self._clean(name)
        body = self.ev(node.body)
        self.env = dict(before)
        if unparse(node.orelse, 200) in tested:
            for name in when_false:
                self._clean(name)
        orelse = self.ev(node.orelse)
        self.env = before
        self._dispatch_guards, self._narrow_guards = dispatch, narrow
        return join(body, orelse)

    def e_Compare(self, node: ast.Compare) -> Val:
        self.ev(node.left)
        for comparator in node.comparators:
            self.ev(comparator)
        return CLEAN

    def e_UnaryOp(self, node: ast.UnaryOp) -> Val:
        self.ev(node.operand)
        return CLEAN

    def e_Lambda(self, node: ast.Lambda) -> Val:
        return CLEAN

    def e_Dict(self, node: ast.Dict) -> Val:
        fields: list[tuple[str, Val]] = []
        values: list[Val] = []
        for key_node, value_node in zip(node.keys, node.values, strict=False):
            value = self.ev(value_node)
            values.append(value)
            if key_node is None:
                continue
            key = self.ev(key_node)
            values.append(key)
            if key.const is not None:
                fields.append((key.const, value))
        data = data_of(*values)
        return Val(taints=data.taints, fields=tuple(fields), kind="dict")

    def e_List(self, node: ast.List | ast.Tuple | ast.Set) -> Val:
        values = [self.ev(e) for e in node.elts]
        data = data_of(*values)
        return Val(
            taints=data.taints,
            fields=tuple((str(i), v) for i, v in enumerate(values)),
            kind="list",
            tmp=next((v.tmp for v in values if v.tmp), None),
        )

    e_Tuple = e_List
    e_Set = e_List

    def e_Starred(self, node: ast.Starred) -> Val:
        return self.ev(node.value)

    def e_Await(self, node: ast.Await) -> Val:
        return self.ev(node.value)

    def e_NamedExpr(self, node: ast.NamedExpr) -> Val:
        value = self.ev(node.value)
        if isinstance(node.target, ast.Name):
            self.env[node.target.id] = value
        return value

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> Val:
        saved = dict(self.env)
        for generator in node.generators:
            iterable = self.ev(generator.iter)
            self.use(iterable, generator.iter)
            self.assign(generator.target, self._element(iterable, generator.iter), None, self.stmt or ast.Pass())
            for condition in generator.ifs:
                self.ev(condition)
                self._dispatch_guards = set()
                for name in self.guard(condition)[0]:
                    self._clean(name)
        if isinstance(node, ast.DictComp):
            result = data_of(self.ev(node.key), self.ev(node.value))
        else:
            result = self.ev(node.elt)
        self.env = saved
        return Val(taints=result.taints, kind="list", tmp=result.tmp)

    e_ListComp = _comprehension
    e_SetComp = _comprehension
    e_GeneratorExp = _comprehension
    e_DictComp = _comprehension


    def call(self, node: ast.Call, in_with: bool = False) -> Val:
        return calls.call(self, node, in_with)


def _visitors(cls: type, prefix: str) -> dict[type, Callable[..., Any]]:
    """The `prefix`-named visitor methods of `cls` by the `ast` class they visit (`e_Name` -> ast.Name): the
    interpreter dispatches on a node's class with one lookup instead of building a method name per node."""
    return {
        node_class: getattr(cls, name)
        for name in dir(cls)
        if name.startswith(prefix) and isinstance(node_class := getattr(ast, name[len(prefix) :], None), type)
    }


_EXPRESSIONS = _visitors(FunctionAnalysis, "e_")
FunctionAnalysis.STATEMENTS = _visitors(FunctionAnalysis, "s_")
