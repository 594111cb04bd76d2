# ruff: noqa: N802, N815  (visitor methods are named after the ast node classes)
"""The Python interpreter's statements: entry, assignment, branches and guards, loops, try, imports.

Each function is interpreted once, statement by statement, with an environment mapping names to `Val`s;
branches are analysed separately and joined, loops once. Guards (a regex full-match, an allowlist membership,
an `isdigit()` check that returns or raises) clean the guarded name for the code they dominate, per RULES.md
"Guards"; a test on caller data that returns or raises marks the function as validating its input.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from faasguard.analysis.code.core.results import Summary
from faasguard.analysis.code.core.values import CLEAN, LazyStep, Taint, Val, data_of, join, merge_taints
from faasguard.analysis.code.python.models import GUARD_METHODS, ROUTE_METHODS, TMP_PATHS, URL_WITH_HOST
from faasguard.analysis.code.python.responses import client_authz, exception_value, response
from faasguard.analysis.code.python.schemas import model_instance
from faasguard.analysis.code.python.state import FunctionState
from faasguard.analysis.code.python.syntax import (
    const_str,
    event_param,
    is_anchored,
    names_in,
    terminates,
    unparse,
)
from faasguard.analysis.code.python.web import (
    FF_DECORATORS,
    ROUTE_DECORATORS,
    RouteSpec,
    functions_framework_spec,
    route_spec,
)


def _assignment(target: ast.expr, value: ast.expr) -> str:
    """The evidence text of an assignment that carries caller data (written only for a flow that is shown)."""
    return f"{unparse(target, 40)} = {unparse(value, 70)}"


class StatementAnalysis(FunctionState):
    STATEMENTS: ClassVar[dict[type, Callable[..., None]]] = {}
    """The `s_` visitor of each statement class (filled in by expressions.py, where the class is complete)."""

    def run_module(self, tree: ast.Module) -> None:
        self.block(tree.body)

    def run_function(self, *, entry: bool, route: bool = False, spec: RouteSpec | None = None) -> Summary:
        node = self.node
        assert node is not None
        self.entry = entry
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        names = (
            [a.arg for a in positional]
            + ([args.vararg.arg] if args.vararg else [])
            + [a.arg for a in args.kwonlyargs]
            + ([args.kwarg.arg] if args.kwarg else [])
        )
        self.summary.params = tuple(a.arg for a in positional)
        self.summary.names = tuple(names)
        if args.vararg:
            self.summary.vararg = len(positional)
        if args.kwarg:
            self.summary.kwarg = len(names) - 1
        self.route = route or spec is not None
        decorators = [unparse(d, 200) for d in node.decorator_list]
        parsed_model = any(re.search(r"\bevent_parser\b", d) and "model" in d for d in decorators)
        if any(re.search(r"\b(event_parser|validator|validate)\b", d) for d in decorators):
            self.summary.validates = True
        for d in node.decorator_list:
            self._decorator_issues(d)
        event_name = event_param(node)
        bindings = dict(spec.params) if spec is not None else {}
        for index, name in enumerate(names):
            if entry and spec is not None:
                self.env[name] = self._bound(name, bindings.get(name), spec, node)
            elif entry:
                if route:
                    annotation = positional[index].annotation if index < len(positional) else None
                    typed = annotation is not None and unparse(annotation) not in (
                        "str",
                        "Optional[str]",
                        "str | None",
                    )
                    self.env[name] = (
                        CLEAN
                        if typed
                        else Val(taints=(Taint("event", f"path parameter {name}", self.loc(node), structured=False),))
                    )
                elif name == event_name:
                    event = Val(taints=(Taint("event", name, self.loc(node), whole=True),))
                    self.env[name] = self._parsed_event(node, event) if parsed_model else event
                else:
                    self.env[name] = CLEAN
            else:
                self.env[name] = Val(
                    taints=(Taint("param", name, self.loc(node), param=index, whole=True),),
                    param=index if index < len(positional) else None,
                )
                client = self.preset.get(index)
                if client is not None:  # the boto3 object the caller passed: its methods are AWS calls here too
                    self.env[name] = replace(client, taints=self.env[name].taints, param=self.env[name].param)
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.ev(default)
        self.block(node.body)
        if any(re.search(r"\b(lru_cache|cache|cached|ttl_cache|cachedmethod)\b", d) for d in decorators):
            self.summary.caches = True
        if self.summary.caches:
            self.summary.fetches = [replace(f, cached=True) for f in self.summary.fetches]
        return self.summary

    def _parsed_event(self, node: ast.FunctionDef | ast.AsyncFunctionDef, event: Val) -> Val:
        """The event as Powertools' `@event_parser(model=Order)` hands it over: an `Order`, whose text fields are
        still the caller's (schemas.py); clean when the model is not a class of the analysed code."""
        for decorator in node.decorator_list:
            if not isinstance(decorator, ast.Call) or not re.search(r"\bevent_parser\b", unparse(decorator.func)):
                continue
            model = next((k.value for k in decorator.keywords if k.arg == "model"), None)
            value = self.ev(model) if model is not None else CLEAN
            if value.kind == "class" and value.extra:
                return model_instance(self, value.extra, event)
        return CLEAN

    def _bound(
        self, name: str, how: str | None, spec: RouteSpec, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> Val:
        """The value a web framework passes for parameter `name` (see RouteSpec.params)."""
        loc = self.loc(node)
        if how == "event":
            return Val(kind=spec.event_kind, taints=(Taint("event", name, loc, whole=True),))
        if how == "request":
            return Val(kind="web-request", taints=(Taint("event", name, loc, whole=True),))
        if how == "path":
            return Val(taints=(Taint("event", f"path parameter {name}", loc, structured=False),))
        if how in ("value", "body"):
            return Val(taints=(Taint("event", f"request parameter {name}", loc, structured=how == "body"),))
        return CLEAN

    def _decorator_issues(self, d: ast.expr) -> None:
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "inject_lambda_context":
            for kw in d.keywords:
                if kw.arg == "log_event" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                    self.issue(
                        "log",
                        "the whole event is logged by Powertools `inject_lambda_context(log_event=True)`",
                        kw.value,
                    )

    # -- statements
    def entered(self, value: Val, node: ast.expr) -> Val:
        """What `with node as name` binds when `node` evaluates to `value` (the interpreter refines it for the
        analysed code's own context managers)."""
        return value

    def block(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        self.stmt = stmt
        method = self.STATEMENTS.get(type(stmt))
        if method is not None:
            method(self, stmt)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.ev(child)

    def s_Expr(self, stmt: ast.Expr) -> None:
        self.ev(stmt.value)

    def s_Return(self, stmt: ast.Return) -> None:
        self.summary.returns_at.setdefault(self.key, []).append(stmt.lineno)
        if stmt.value is not None:
            value = self.ev(stmt.value)
            self.summary.returns = join(self.summary.returns, value) if self.summary.returns is not CLEAN else value
            if self.entry:
                response(self, value, stmt.value, self.route)

    def s_Global(self, stmt: ast.Global) -> None:
        self.declared_global.update(stmt.names)

    def s_Nonlocal(self, stmt: ast.Nonlocal) -> None:
        return

    def s_Pass(self, stmt: ast.Pass) -> None:
        return

    def s_Assign(self, stmt: ast.Assign) -> None:
        value = self.ev(stmt.value)
        for target in stmt.targets:
            self.assign(target, value, stmt.value, stmt)

    def s_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            self.assign(stmt.target, self.ev(stmt.value), stmt.value, stmt)

    def s_AugAssign(self, stmt: ast.AugAssign) -> None:
        value = self.ev(stmt.value)
        current = self.ev(stmt.target) if isinstance(stmt.target, ast.Name) else CLEAN
        combined = self.fmt([current, value]) if isinstance(stmt.op, ast.Add) else data_of(current, value)
        self.assign(stmt.target, combined, stmt.value, stmt)

    def assign(self, target: ast.expr, value: Val, value_node: ast.expr | None, stmt: ast.stmt) -> None:
        if value.taints and value_node is not None and isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
            step = LazyStep(_assignment, (target, value_node), self.loc(stmt))
            value = value.with_taints(tuple(t.step(step) for t in value.taints))
        if isinstance(target, ast.Name):
            name = target.id
            if not self.is_module and name in self.declared_global:
                self.store_global(value, f"global {name}", stmt)
                self.globals[name] = join(self.globals.get(name, CLEAN), value)
            self.env[name] = value
        elif isinstance(target, ast.Tuple | ast.List):
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Starred):
                    self.assign(element.value, value.data(), None, stmt)
                    continue
                part = value.field_val(str(index))
                if (
                    part is None
                    and isinstance(value_node, ast.Tuple | ast.List)
                    and len(value_node.elts) == len(target.elts)
                ):
                    part = self.ev(value_node.elts[index])
                self.assign(element, part if part is not None else value.data(), None, stmt)
        elif isinstance(target, ast.Subscript):
            container = target.value
            key = self.ev(target.slice)
            if isinstance(container, ast.Name) and self.is_module_state(container.id):
                self.store_global(value, f"{container.id}[...]", stmt, key)
            elif isinstance(container, ast.Name):
                current = self.env.get(container.id)
                if current is not None:
                    merged_fields = current.fields
                    const_key = const_str(target.slice)
                    if current.fields is not None and const_key is not None:
                        merged_fields = (*[(k, v) for k, v in current.fields if k != const_key], (const_key, value))
                    self.env[container.id] = replace(
                        current, taints=merge_taints(current.taints, value.taints), fields=merged_fields
                    )
            else:
                self.ev(container)
        elif isinstance(target, ast.Attribute):
            self._attribute_store(target, value, value_node, stmt)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value.data(), None, stmt)

    def _attribute_store(self, target: ast.Attribute, value: Val, value_node: ast.expr | None, stmt: ast.stmt) -> None:
        attr = target.attr
        false = value.kind == "false" or (isinstance(value_node, ast.Constant) and value_node.value is False)
        if attr in ("check_hostname", "verify") and false:
            self.issue("tls-disabled", f"TLS verification is disabled (`{unparse(target)} = False`)", stmt)
        if attr == "verify_mode" and value_node is not None and unparse(value_node).endswith("CERT_NONE"):
            message = f"TLS certificate verification is disabled (`{unparse(target)} = CERT_NONE`)"
            self.issue("tls-disabled", message, stmt)
        if attr == "_create_default_https_context" and value_node is not None and "unverified" in unparse(value_node):
            self.issue("tls-disabled", "the default HTTPS context is replaced by an unverified one", stmt)
        base = target.value
        if isinstance(base, ast.Name) and base.id not in ("self", "cls"):
            if self.is_module_state(base.id) or (base.id in self.info.classes and base.id not in self.env):
                self.store_global(value, f"{base.id}.{attr}", stmt)
            elif base.id in self.env:
                current = self.env[base.id]
                self.env[base.id] = current.with_taints(merge_taints(current.taints, value.taints))

    def is_module_state(self, name: str) -> bool:
        if self.is_module:
            return False
        if name in self.declared_global:
            return True
        return (
            name not in self.env
            and name in self.globals
            and self.globals[name].kind in ("dict", "list", None)
            and self.globals[name].qual is None
            and self.globals[name].const is None
        )

    def store_global(self, value: Val, where: str, node: ast.AST, key: Val = CLEAN) -> None:
        if any(t.kind == "secret" for t in value.taints) or value.kind == "secret-holder":
            self.summary.caches = True
        self.hit("store", where, node, data_of(value, key))

    def s_If(self, stmt: ast.If) -> None:
        self._dispatch_guards = set()
        self._narrow_guards = {}
        client_authz(self, stmt.test)
        test_val = self.ev(stmt.test)
        when_true, when_false = self.guard(stmt.test)
        dispatch = set(self._dispatch_guards)
        narrow = dict(self._narrow_guards)
        tainted_test = bool(test_val.taints) or self._test_reads_taint(stmt.test)
        before = dict(self.env)
        for name in when_true:
            self._clean(name)
        filled = self._cache_fill(stmt.test)
        written = len(self.summary.tmp)
        self.block(stmt.body)
        if filled is not None:
            # `if not os.path.exists("/tmp/model.bin"): download(...)`: a warm-start cache of a fixed file (model
            # weights, a binary) meant to outlive the invocation, not a request's data left behind
            self.summary.tmp[written:] = [e for e in self.summary.tmp[written:] if e.cleanup or e.token != filled]
        after_body = self.env
        self.env = dict(before)
        self._dispatch_guards = dispatch
        self._narrow_guards = narrow
        for name in when_false:
            self._clean(name)
        self.block(stmt.orelse)
        after_else = self.env
        body_ends, else_ends = terminates(stmt.body), terminates(stmt.orelse)
        if tainted_test and (body_ends or else_ends):
            self.summary.validates = True
        if body_ends and not else_ends:
            self.env = after_else
        elif else_ends and not body_ends:
            self.env = after_body
        else:
            self.env = self._join_envs(after_body, after_else)

    def _cache_fill(self, test: ast.expr) -> str | None:
        """The fixed /tmp path of `if not os.path.exists(PATH)` / `os.path.isfile(PATH)` /
        `Path(PATH).exists()` / `.is_file()`, or None (any other test, or a path built from event data)."""
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call)):
            return None
        call = test.operand
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in ("exists", "isfile", "is_file"):
            return None
        subject = call.args[0] if call.args else call.func.value
        value = self.ev(subject)
        return value.tmp if value.tmp and not value.taints else None

    def _reads_taint(self, body: Sequence[ast.stmt]) -> bool:
        return any(
            isinstance(n, ast.Name) and self.env.get(n.id, CLEAN).taints for stmt in body for n in ast.walk(stmt)
        )

    def _test_reads_taint(self, test: ast.expr) -> bool:
        return any(self.env.get(n, CLEAN).taints for n in names_in(test))

    def _join_envs(self, a: dict[str, Val], b: dict[str, Val]) -> dict[str, Val]:
        out = dict(a)
        for name, value in b.items():
            out[name] = join(out[name], value) if name in out else value
        return out

    def _clean(self, name: str, kinds: tuple[str, ...] = ("all",)) -> None:
        current = self.env.get(name)
        kinds = self._narrow_guards.get(name, kinds)
        if current is not None and current.taints:
            self.env[name] = current.with_taints(tuple(t.clean_for(*kinds) for t in current.taints))
            if name not in self._dispatch_guards:
                self.summary.validates = True

    def guard(self, test: ast.expr) -> tuple[list[str], list[str]]:
        """Names cleaned when `test` is true, and when it is false (RULES.md "Guards")."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            true, false = self.guard(test.operand)
            return false, true
        if isinstance(test, ast.BoolOp):
            parts = [self.guard(value) for value in test.values]
            # `a and b` true: each part's true names; false: only names every part's falsity cleans
            # (`target == base or base in target.parents` spelled as `target != base and base not in ...`)
            sure = 0 if isinstance(test.op, ast.And) else 1
            union = [name for part in parts for name in part[sure]]
            common = [name for name in parts[0][1 - sure] if all(name in part[1 - sure] for part in parts[1:])]
            return (union, common) if sure == 0 else (common, union)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, right = test.ops[0], test.comparators[0]
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Attribute) and right.attr == "parents":
                names = self._normalized_names(right.value)  # `base in target.resolve().parents`: contained
                return (names, []) if isinstance(op, ast.In) else ([], names)
            if (
                isinstance(op, ast.Eq | ast.NotEq)
                and isinstance(test.left, ast.Name)
                and not (isinstance(right, ast.Constant) and right.value is None)
                and not self.ev(right).taints
            ):  # equal to a value that is not the caller's: that value (a dispatch, not a validation)
                names = self._guarded_names(test.left)
                self._dispatch_guards.update(names)
                return (names, []) if isinstance(op, ast.Eq) else ([], names)
            if isinstance(op, ast.In | ast.NotIn):
                container = self.ev(right)
                if container.taints or container.const is not None:
                    return [], []
                names = self._guarded_names(test.left)
                return (names, []) if isinstance(op, ast.In) else ([], names)
            if (
                isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq)
                and isinstance(right, ast.Constant)
                and right.value is None
            ):
                true, false = self._match_guard(test.left)
                return (false, true) if isinstance(op, ast.Is | ast.Eq) else (true, false)
            if isinstance(op, ast.Eq | ast.NotEq) and "commonpath" in unparse(test.left):
                names = self._normalized_names(test.left)
                return (names, []) if isinstance(op, ast.Eq) else ([], names)
            return [], []
        return self._match_guard(test)

    def _match_guard(self, test: ast.expr) -> tuple[list[str], list[str]]:
        if isinstance(test, ast.NamedExpr):
            return self._match_guard(test.value)
        if not isinstance(test, ast.Call):
            if isinstance(test, ast.Name) and test.id in self.env and self.env[test.id].kind == "match":
                return [self.env[test.id].extra or ""], []
            return [], []
        func = test.func
        callee = unparse(func, 200)
        if isinstance(func, ast.Attribute):
            if func.attr in GUARD_METHODS:
                return self._guarded_names(func.value), []
            if func.attr == "startswith" and self._fixed_hosts(test.args[0] if test.args else None):
                names = self._guarded_names(func.value)
                self._narrow_guards.update(dict.fromkeys(names, ("url",)))
                return names, []
            if func.attr in ("startswith", "is_relative_to"):
                return self._normalized_names(func.value), []
            if func.attr in ("fullmatch", "match", "search"):
                pattern = self._pattern_of(test, func)
                if func.attr == "fullmatch" or is_anchored(pattern):
                    target = (
                        test.args[1]
                        if callee.startswith("re.") and len(test.args) > 1
                        else (test.args[0] if test.args and not callee.startswith("re.") else None)
                    )
                    if target is not None:
                        return self._guarded_names(target), []
        if (
            callee == "isinstance"
            and len(test.args) == 2
            and any(t in unparse(test.args[1]) for t in ("int", "float", "bool", "UUID"))
        ):
            return self._guarded_names(test.args[0]), []
        return [], []

    def _fixed_hosts(self, prefix: ast.expr | None) -> bool:
        """`url.startswith("https://api.example.com/")` (or a tuple of such): the URL goes to a fixed host. A
        prefix that stops at the host name ("https://api.example.com") is not: ".evil.com" may follow it."""
        options = prefix.elts if isinstance(prefix, ast.Tuple) else [prefix] if prefix is not None else []
        texts = [self.ev(option).const for option in options]
        return bool(texts) and all(t is not None and URL_WITH_HOST.match(t) is not None for t in texts)

    def _pattern_of(self, call: ast.Call, func: ast.Attribute) -> str | None:
        if unparse(func.value) == "re":
            return self.ev(call.args[0]).const if call.args else None
        compiled = self.ev(func.value)
        return compiled.extra if compiled.kind == "regex" else None

    def _guarded_names(self, node: ast.expr) -> list[str]:
        names = [n for n in names_in(node) if self.env.get(n, CLEAN).taints]
        return names[:1]

    def _normalized_names(self, node: ast.expr) -> list[str]:
        out = []
        for name in names_in(node):
            value = self.env.get(name, CLEAN)
            if value.taints and all(t.normalized for t in value.taints):
                out.append(name)
        return out

    def s_Assert(self, stmt: ast.Assert) -> None:
        self._dispatch_guards = set()
        self._narrow_guards = {}
        self.ev(stmt.test)
        if self._test_reads_taint(stmt.test):
            self.summary.validates = True
        for name in self.guard(stmt.test)[0]:
            self._clean(name)

    def s_For(self, stmt: ast.For | ast.AsyncFor) -> None:
        iterable = self.ev(stmt.iter)
        self.use(iterable, stmt.iter)
        element = self._element(iterable, stmt.iter)
        self.assign(stmt.target, element, stmt.iter if element.taints else None, stmt)
        before = dict(self.env)
        self.block(stmt.body)
        self.env = self._join_envs(before, self.env)
        self.block(stmt.orelse)

    s_AsyncFor = s_For

    def _element(self, iterable: Val, node: ast.AST) -> Val:
        if iterable.kind == "environ":
            return Val(taints=iterable.taints)
        paths = tuple(dict.fromkeys(v.tmp for _, v in iterable.fields or () if v.tmp))
        if len(paths) > 1:  # `for path in (src, dst): os.remove(path)` removes each of them
            files = Val(tmp=paths[0], kind=TMP_PATHS, fields=tuple((str(i), Val(tmp=p)) for i, p in enumerate(paths)))
            if not iterable.taints:
                return files
            taints = tuple(t.field(f"{unparse(node, 60)}[*]", self.loc(node), False, False) for t in iterable.taints)
            return replace(files, taints=taints)
        if not iterable.taints:
            if iterable.tmp:
                return Val(tmp=iterable.tmp)
            return CLEAN
        return Val(
            taints=tuple(t.field(f"{unparse(node, 60)}[*]", self.loc(node), False, False) for t in iterable.taints)
        )

    def s_While(self, stmt: ast.While) -> None:
        self.ev(stmt.test)
        before = dict(self.env)
        self.block(stmt.body)
        self.env = self._join_envs(before, self.env)
        self.block(stmt.orelse)

    def s_With(self, stmt: ast.With | ast.AsyncWith) -> None:
        for item in stmt.items:
            value = self.ev(item.context_expr, in_with=True)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, self.entered(value, item.context_expr), item.context_expr, stmt)
        self.block(stmt.body)

    s_AsyncWith = s_With

    def s_Try(self, stmt: ast.Try) -> None:
        before = dict(self.env)
        self.block(stmt.body)
        after = self.env
        for handler in stmt.handlers:
            caught = unparse(handler.type) if handler.type is not None else ""
            if (
                terminates(handler.body)
                and re.search(r"KeyError|ValueError|JSONDecodeError|TypeError|Validation", caught)
                and self._reads_taint(stmt.body)
            ):
                self.summary.validates = True
            self.env = self._join_envs(before, after)
            if handler.name:
                self.env[handler.name] = exception_value(self, handler)
            self.block(handler.body)
            after = self._join_envs(after, self.env)
        self.env = after
        self.block(stmt.orelse)
        self.in_finally += 1
        self.block(stmt.finalbody)
        self.in_finally -= 1

    s_TryStar = s_Try

    def s_Match(self, stmt: ast.Match) -> None:
        self.ev(stmt.subject)
        before = dict(self.env)
        merged = dict(before)
        for case in stmt.cases:
            self.env = dict(before)
            self.block(case.body)
            merged = self._join_envs(merged, self.env)
        self.env = merged

    def s_FunctionDef(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        qualname = stmt.name
        if self.is_module:
            for decorator in stmt.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(func, ast.Name | ast.Attribute) and (
                        func.id if isinstance(func, ast.Name) else func.attr) in FF_DECORATORS:
                    ff = functions_framework_spec(self.ev(func).qual, decorator, stmt)
                    if ff is not None:
                        self.a.add_route(self.info.path, qualname, ff)
                        continue
                if not isinstance(func, ast.Attribute) or func.attr not in ROUTE_METHODS | ROUTE_DECORATORS:
                    continue
                owner = self.ev(func.value)
                if owner.kind == "resolver" and isinstance(decorator, ast.Call) and func.attr in ROUTE_METHODS:
                    self.a.add_route(self.info.path, qualname)
                elif owner.kind == "webapp" and owner.extra in ("chalice", "flask", "fastapi"):
                    spec = route_spec(owner.extra, decorator, stmt, self._is_model_annotation)
                    if spec is not None:
                        self.a.add_route(self.info.path, qualname, spec)
        if qualname in self.info.functions and (self.is_module or self.info.functions[qualname] is stmt):
            self.env[stmt.name] = Val(kind="func", extra=f"{self.info.path}::{qualname}")
        elif not self.is_module:
            self.env[stmt.name] = self.a.local_function(self.info, self.key, stmt, self.env)
        else:
            self.env[stmt.name] = CLEAN

    s_AsyncFunctionDef = s_FunctionDef

    def _is_model_annotation(self, annotation: ast.expr) -> bool:
        """A FastAPI parameter annotated with a local pydantic model (validates the request body)."""
        target = annotation
        if isinstance(target, ast.Subscript):  # Optional[Model], Annotated[Model, ...]
            inner = target.slice
            target = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        if not isinstance(target, ast.Name | ast.Attribute):
            return False
        value = self.ev(target)
        return value.kind == "class" and re.search(r"BaseModel|Schema|Model\b", value.text) is not None

    def s_ClassDef(self, stmt: ast.ClassDef) -> None:
        if self.is_module:
            bases = " ".join(unparse(b) for b in stmt.bases)
            self.env[stmt.name] = Val(kind="class", extra=f"{self.info.path}::{stmt.name}", qual=None, text=bases)
            for item in stmt.body:
                if isinstance(item, ast.Assign | ast.AnnAssign) and item.value is not None:
                    self.ev(item.value)

    def s_Import(self, stmt: ast.Import) -> None:
        for alias in stmt.names:
            local = self.a.resolve(alias.name, 0, self.info.path)
            if alias.asname:
                self.env[alias.asname] = self._module_val(alias.name, local)
            else:
                top = alias.name.split(".")[0]
                top_local = (
                    self.a.resolve(top, 0, self.info.path) if local else None
                )
                self.env[top] = self._module_val(top, top_local)

    def _module_val(self, name: str, local: Path | None) -> Val:
        if local is not None:
            self.summary.modules[str(local)] = None
            return Val(kind="module", extra=str(local), qual=None)
        return Val(qual=name)

    def s_ImportFrom(self, stmt: ast.ImportFrom) -> None:
        module = stmt.module or ""
        local = (
            self.a.resolve(module, stmt.level, self.info.path)
            if (module or stmt.level)
            else None
        )
        if stmt.level and not module:
            local_pkg = self.info.path.parent
            for _ in range(stmt.level - 1):
                local_pkg = local_pkg.parent
        for alias in stmt.names:
            if alias.name == "*":
                if local is not None and local != self.info.path:
                    self.summary.modules[str(local)] = None
                    for name, value in self.a.globals_of(local).items():
                        self.env.setdefault(name, value)
                continue
            bound = alias.asname or alias.name
            if local is not None and local != self.info.path:
                self.summary.modules[str(local)] = None
                self.env[bound] = self._member(local, alias.name)
            elif stmt.level and not module:
                sub = self.a.resolve(alias.name, stmt.level, self.info.path)
                self.env[bound] = self._module_val(alias.name, sub)
            elif local is None and not stmt.level:
                self.env[bound] = Val(qual=f"{module}.{alias.name}")
            else:
                self.env[bound] = CLEAN

    def _member(self, module_path: Path, name: str) -> Val:
        members = self.a.globals_of(module_path)
        if name in members:
            return members[name]
        info = self.a.module(module_path)
        if name in info.functions:
            return Val(kind="func", extra=f"{module_path}::{name}")
        if module_path.name == "__init__.py":
            sub = self.a.resolve(name, 1, module_path)
            if sub is not None:
                self.summary.modules[str(sub)] = None
                return Val(kind="module", extra=str(sub))
        return CLEAN

