"""The interpreter: one JavaScript/TypeScript function (or module body) walked over its tree-sitter syntax into the
core's abstract values, recording sink hits, AWS calls, /tmp events and secret fetches in a `Summary`.

Flow-sensitive within a function, with branches joined; calls to module-level functions use the callee's summary
(computed once with symbolic parameters and instantiated by `core.summaries`), closures and callbacks
(`records.forEach(r => ...)`, `.then(res => ...)`) are interpreted in place with their arguments bound. What a call
means is looked up in the tables of models.py and sdk.py; an unknown call carries its arguments' data
(taint-in, taint-out). A value the code does not let us know is just "not constant": never a guess.

Size: one abstract interpreter over the JavaScript/TypeScript grammar's statement and expression kinds; the
kinds dispatch to each other, so splitting them would only spread one recursion over several files.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard.analysis.code.core.results import MAX_HITS, CallRec, Fetch, SinkHit, Summary, TmpEvent
from faasguard.analysis.code.core.sinks import SQL_TEXT_PARAMETERS, applies, open_relative
from faasguard.analysis.code.core.summaries import absorb, returned
from faasguard.analysis.code.core.values import (
    CLEAN,
    Arg,
    ParamRef,
    Taint,
    Val,
    claims_of,
    data_of,
    from_authorization_header,
    join,
    names_of,
    nested_roles,
    stringify,
)
from faasguard.analysis.code.facts import CodeIssue, EnvRef
from faasguard.analysis.code.js import classes, jwt, sdk, secrets
from faasguard.analysis.code.js import models as m
from faasguard.analysis.code.python.models import (
    AUTHZ_KEYS,
    CUSTOM_RESOURCE_FIELDS,
    HEADER_MAPS,
    HTML_TAG,
    SERVICE_URL_FIELDS,
    STRINGY_KEYS,
)
from faasguard.analysis.code.python.secrets import is_secret_name
from faasguard.analysis.code.python.state import SECRET_REFERENCE_ENV
from faasguard.findings import EvidenceStep
from faasguard.model import Location, Unknown

if TYPE_CHECKING:
    from faasguard.analysis.code.js.analyzer import JsAnalyzer
    from faasguard.analysis.code.js.modules import JsModule

Node = Any
MAX_INLINE_DEPTH = 4
_FUNCTION_TYPES = frozenset({"arrow_function", "function_expression", "function", "function_declaration",
                             "generator_function_declaration", "generator_function", "method_definition"})
_FIXED_HOST = re.compile(r"^(https?|wss?)://[^/?#\s${}]+[/?#]")
_BARE_HOST = re.compile(r"^(https?|wss?)://[^/?#\s${}@]+$")
_REQUEST_PATH = re.compile(r"^[\w$]+\.(?:path|rawPath|requestContext\.(?:http\.)?path)$")
"""The request path of an API Gateway, function URL or ALB event: it always starts with "/", so pasted right after
a literal host it stays a path on that host."""
_WRAPPERS = frozenset({"parenthesized_expression", "await_expression", "non_null_expression", "as_expression",
                       "satisfies_expression", "type_assertion", "spread_element", "yield_expression"})
_ITERATORS = frozenset({"forEach", "map", "filter", "flatMap", "find", "some", "every", "reduce", "findIndex"})
_STRING_METHODS = frozenset({"trim", "toLowerCase", "toUpperCase", "split", "slice", "substring", "substr",
                             "replace", "replaceAll", "padStart", "padEnd", "toString", "concat", "join", "at",
                             "trimStart", "trimEnd", "normalize", "charAt", "repeat", "flat", "reverse", "sort"})


class Scope:
    __slots__ = ("module_level", "parent", "vars")

    def __init__(self, parent: Scope | None, module_level: bool = False) -> None:
        self.parent = parent
        self.vars: dict[str, Val] = {}
        self.module_level = module_level

    def find(self, name: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope
            scope = scope.parent
        return None

    def get(self, name: str) -> Val | None:
        scope = self.find(name)
        return scope.vars[name] if scope is not None else None


class JsFunction:
    """One run of the interpreter over a function body (or a module body), recording into `summary`."""

    def __init__(self, analyzer: JsAnalyzer, module: JsModule, key: str, scope: Scope, summary: Summary | None = None,
                 *, entry: bool = False, depth: int = 0) -> None:
        self.a = analyzer
        self.mod = module
        self.key = key
        self.scope = scope
        self.summary = summary if summary is not None else Summary()
        self.summary.modules[str(module.path)] = None
        self.entry = entry
        self.depth = depth
        self.in_finally = 0
        self.is_module = scope.module_level and summary is None
        self.web = False
        self.verified: set[str] = set()
        """Source text of the tokens a JWT verifier (under any local name) was given in this run."""
        self.frame = key
        """The function whose `return` a `return` here ends, for the /tmp bookkeeping: a closure, callback or
        method run in place (see `inline`) is its own frame, though it records into the caller's summary."""

    # ------------------------------------------------------------------ records
    def loc(self, node: Node) -> Location:
        return Location(self.mod.display, node.start_point[0] + 1, node.start_point[1] + 1, node.end_point[0] + 1)

    def text(self, node: Node) -> str:
        return self.mod.text(node)

    def hit(self, kind: str, sink: str, node: Node, value: Val, cond: str = "") -> None:
        if kind in ("url", "redirect") and value.prefix and _FIXED_HOST.match(value.prefix):
            return  # a path or query on a fixed host
        if kind == "redirect" and value.prefix and value.prefix[0] == "/" and not open_relative(value.prefix):
            return  # a path on this site (`/profile/${id}`; not `/${x}`, which may become `//other.host`)
        if kind == "store" and any(t.kind == "secret" for t in value.taints):
            self.summary.caches = True  # a secret kept in module state is a cache
        loc = self.loc(node)
        for taint in value.taints:
            if (taint.kind == "param" or applies(kind, taint, cond)) and len(self.summary.hits) < MAX_HITS:
                self.summary.hits.append(SinkHit(kind, sink, loc, taint, cond))

    def issue(self, kind: str, message: str, node: Node) -> None:
        if len(self.summary.issues) < MAX_HITS:
            self.summary.issues.append(CodeIssue(kind, message, self.loc(node)))

    def use(self, value: Val, node: Node) -> None:
        for taint in value.taints:
            if taint.whole:
                if taint.kind == "event" and self.summary.event_use is None:
                    self.summary.event_use = self.loc(node)
                elif taint.kind == "param" and taint.param not in self.summary.param_uses:
                    self.summary.param_uses[taint.param] = self.loc(node)

    def argvalue(self, value: Val | None) -> Arg:
        if value is None:
            return Unknown("not given")
        if value.const is not None:
            return value.const
        if value.env is not None:
            return value.env
        if value.param is not None and not self.entry:
            return ParamRef(value.param)
        if any(t.kind == "event" for t in value.taints):
            return Unknown("taken from the event")
        if value.prefix:
            return Unknown(f"built at runtime from {value.prefix!r}...")
        return Unknown("computed at runtime")

    def subst(self, value: Arg, bound: dict[int, Val]) -> Arg:
        if isinstance(value, ParamRef):
            actual = bound.get(value.index)
            return self.argvalue(actual) if actual is not None else Unknown("function parameter not passed")
        return value

    # ------------------------------------------------------------------ entry points
    def run_function(self, node: Node, *, entry: bool, web: bool = False, framework: str | None = None) -> Summary:
        self.web = entry and web
        params = self.params(node)
        self.summary.params = tuple(self.text(p) for p in params)
        for index, param in enumerate(params):
            if entry:
                if web and index == 0:
                    value = Val(kind="web-request", taints=(Taint("event", self.text(param), self.loc(param),
                                                                   whole=True),))
                elif web and index == 1:
                    value = Val(kind="web-response", qual=framework)
                elif index == 0 and not web:
                    value = Val(taints=(Taint("event", _param_name(self, param), self.loc(param), whole=True),))
                elif index == 2 and not web:
                    value = Val(kind="lambda-callback")  # `callback(null, response)` answers the invocation
                else:
                    value = CLEAN
            else:
                value = Val(taints=(Taint("param", _param_name(self, param), self.loc(param), param=index,
                                          whole=True),), param=index)
            self.bind(param, value)
        body = node.child_by_field_name("body")
        if body is not None:
            if body.type == "statement_block":
                self.block(body)
            else:  # an arrow function's expression body is its return value
                self.ret(self.ev(body), body)
        if self.summary.caches:
            self.summary.fetches = [replace(f, cached=True) for f in self.summary.fetches]
        return self.summary

    def params(self, node: Node) -> list[Node]:
        params = node.child_by_field_name("parameters")
        if params is None:
            single = node.child_by_field_name("parameter")
            return [single] if single is not None else []
        return [p for p in params.named_children if p.type != "comment"]

    def run_module(self, root: Node) -> None:
        self.block(root)

    # ------------------------------------------------------------------ statements
    def block(self, node: Node) -> None:
        for stmt in node.named_children:
            self.stmt(stmt)

    def stmt(self, node: Node) -> None:  # noqa: C901, PLR0912 -- one dispatch over the statement kinds of the JavaScript grammar
        t = node.type
        if t in ("expression_statement",):
            for child in node.named_children:
                self.ev(child)
        elif t in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                if declarator.type == "variable_declarator":
                    name = declarator.child_by_field_name("name")
                    value = declarator.child_by_field_name("value")
                    val = self.ev(value) if value is not None else CLEAN
                    if name is not None:
                        self.bind(name, val, declare=True)
        elif t in ("function_declaration", "generator_function_declaration"):
            name = node.child_by_field_name("name")
            if name is not None:
                self.scope.vars[self.text(name)] = self.a.function_value(self.mod, node, self.scope)
        elif t == "class_declaration":
            name = node.child_by_field_name("name")
            if name is not None:
                self.scope.vars[self.text(name)] = self.class_value(node)
        elif t == "statement_block":
            self.block(node)
        elif t == "if_statement":
            self.if_stmt(node)
        elif t == "for_in_statement":
            self.for_in(node)
        elif t in ("for_statement", "while_statement", "do_statement"):
            for child in node.named_children:
                self.stmt(child) if child.type.endswith(("statement", "block", "declaration")) else self.ev(child)
        elif t == "return_statement":
            value = node.named_children[0] if node.named_children else None
            self.ret(self.ev(value) if value is not None else CLEAN, node)
        elif t == "try_statement":
            body, handler, final = (node.child_by_field_name(f) for f in ("body", "handler", "finalizer"))
            if body is not None:
                self.block(body)
            if handler is not None:
                param = handler.child_by_field_name("parameter")
                if param is not None:
                    # JavaScript has no typed catch: whatever was thrown (an SDK error naming tables and ARNs, a
                    # driver's SQL, a stack) is bound here, so it is always the "exception" source
                    self.bind(param, Val(taints=(Taint("exception", f"{self.text(param)} (caught)", self.loc(param),
                                                       whole=True, structured=False),)), declare=True)
                catch_body = handler.child_by_field_name("body")
                if catch_body is not None:
                    self.block(catch_body)
            if final is not None:
                self.in_finally += 1
                for child in final.named_children:
                    self.stmt(child)
                self.in_finally -= 1
        elif t == "export_statement":
            self.export(node)
        elif t == "import_statement":
            self.import_stmt(node)
        elif t == "switch_statement":
            value = node.child_by_field_name("value")
            if value is not None:
                self.ev(value)
            body = node.child_by_field_name("body")
            for case in body.named_children if body is not None else []:
                for child in case.named_children:
                    if child.type.endswith(("statement", "declaration")):
                        self.stmt(child)
        elif t in ("throw_statement", "labeled_statement"):
            for child in node.named_children:
                self.stmt(child) if child.type.endswith("statement") else self.ev(child)
        elif t in ("comment", "empty_statement", "break_statement", "continue_statement", "debugger_statement",
                   "type_alias_declaration", "interface_declaration", "enum_declaration", "ambient_declaration",
                   "abstract_class_declaration", "module", "internal_module", "hash_bang_line", "import_alias"):
            return
        else:
            for child in node.named_children:
                self.stmt(child) if child.type.endswith(("statement", "declaration")) else self.ev(child)

    def ret(self, value: Val, node: Node) -> None:
        self.summary.returns = join(self.summary.returns, value) if self.summary.returns is not CLEAN else value
        self.summary.returns_at.setdefault(self.frame, []).append(node.start_point[0] + 1)
        if self.entry:
            self.response(value, node)

    def response(self, value: Val, node: Node) -> None:
        """What an entry point hands back to its caller: a secret in it is leaked ("response"); the body of an
        API Gateway response with an HTML Content-Type, or markup a web route returns, is an "html" sink."""
        self.hit("response", "the response returned to the caller", node, value)
        if value.fields is None and self.web:
            self.hit("http-response", "the HTTP response returned to the caller", node, value)
        elif value.field_val("statusCode") is not None or self.web:
            # what the caller reads is the body: `statusCode: err.statusCode || 500` shows nothing of the error
            shown = value.field_val("body")
            if shown is not None:
                self.hit("http-response", "the HTTP response returned to the caller", node, shown)
        headers, body = value.field_val("headers"), value.field_val("body")
        content_type = next((h.const for k, h in (headers.fields or ()) if k.lower() == "content-type"), None) \
            if headers is not None else None
        if content_type is not None and "html" in content_type.lower():
            self.hit("html", "the HTML response body", node, body if body is not None else value)
        elif self.web and value.fields is None and HTML_TAG.search(value.text or value.const or ""):
            self.hit("html", "the HTML the route returns", node, value)
        for group in (headers, value.field_val("multiValueHeaders")):
            location = next((h for k, h in (group.fields or ()) if k.lower() == "location"), None) \
                if group is not None else None
            if location is not None:
                self.hit("redirect", "the Location header of the response", node, location)

    def web_response(self, recv: Val, method: str, args: list[Val], node: Node) -> Val:
        """Express/Fastify response methods: `res.type("html")` and a Content-Type header mark the response as
        HTML; `send`/`end`/`write` of markup (a literal tag in the text) or of anything on an HTML response is
        the "html" sink. `res.json()` never is."""
        first = args[0].const if args else None
        if method in m.RESPONSE_REDIRECT_METHODS or (method in m.RESPONSE_HEADER_METHODS and first is not None
                                                     and first.lower() == "location"):
            # `res.redirect([status,] url)`, Fastify's `reply.redirect(url[, code])`, `res.location(url)`,
            # `res.set("Location", url)`: a status code is a number, so every argument but a header's name
            targets = args[1:] if method in m.RESPONSE_HEADER_METHODS else args
            for target in targets:
                self.hit("redirect", f"the redirect target ({method}())", node, target)
            return recv if method != "redirect" else CLEAN
        if method in m.RESPONSE_TYPE_METHODS and first is not None:
            return self.typed_response(recv, "html" if "html" in first.lower() else "typed", node)
        if method in m.RESPONSE_HEADER_METHODS and first is not None and first.lower() == "content-type":
            value = args[1].const if len(args) > 1 else None
            return self.typed_response(recv, "html" if value is not None and "html" in value.lower() else "typed",
                                       node)
        if method in m.RESPONSE_BODY_METHODS or method in m.RESPONSE_JSON_METHODS:
            for arg in args[:1]:
                self.hit("http-response", f"the HTTP response ({method}())", node, arg)
        if method in m.RESPONSE_BODY_METHODS:
            for arg in args[:1]:
                if recv.extra == "html" or (arg.fields is None and HTML_TAG.search(arg.text or arg.const or "")) \
                        or (method == "send" and recv.extra is None and recv.qual in m.HTML_BY_DEFAULT
                            and _text_of_request(arg)):
                    self.hit("html", f"the HTML response ({method}())", node, arg)
            return CLEAN
        return recv if method in m.RESPONSE_CHAIN_METHODS or method in m.RESPONSE_HEADER_METHODS else CLEAN

    def typed_response(self, recv: Val, content: str, node: Node) -> Val:
        """The response with its content type known; `res.type("text")` on a line of its own types `res` for the
        rest of the route too."""
        typed = replace(recv, extra=content)
        fn = node.child_by_field_name("function")
        target = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
        if target is not None and target.type == "identifier":
            holder = self.scope.find(self.text(target))
            if holder is not None:
                holder.vars[self.text(target)] = typed
        return typed

    def merge_into(self, qual: str, positions: tuple[int, ...], args: list[Val], arg_nodes: list[Node],
                   node: Node) -> None:
        """`Object.assign(settings, body)`, `_.merge(cache, parsed)`, `_.set(config, path, value)` into an object
        the module holds: the caller's data stays for the next caller, and parsed JSON can carry `__proto__`."""
        if not arg_nodes or self.scope.module_level:
            return
        root = arg_nodes[0]
        while root.type in ("member_expression", "subscript_expression"):
            inner = root.child_by_field_name("object")
            if inner is None:
                break
            root = inner
        if root.type != "identifier":
            return
        scope = self.scope.find(self.text(root))
        holder = self.scope.get(self.text(root))
        if scope is None or not scope.module_level or holder is None or holder.kind is not None:
            return
        sources = args[1:] if positions == (m.ALL_ARGS,) else [args[i] for i in positions if i < len(args)]
        stored = data_of(*sources)
        if not stored.taints:
            return
        path_tainted = positions != (m.ALL_ARGS,) and len(args) > 1 and bool(args[1].taints)
        polluting = "; a `__proto__` key from the caller reaches its prototype chain" \
            if path_tainted or any(t.structured for t in stored.taints) else ""
        self.hit("store", f"module-level {self.text(arg_nodes[0])} via {qual}(){polluting}", node, stored)

    def if_stmt(self, node: Node) -> None:
        cond = node.child_by_field_name("condition")
        then, other = node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
        test = self.ev(cond) if cond is not None else CLEAN
        guards = self.guards(cond) if cond is not None else []
        exits = then is not None and _exits(then)
        checked = [self.scope.get(name) for name, _, _ in guards]
        tested = [test, *(c for c in checked if c is not None)]
        if exits and (any(t.kind == "event" for v in tested for t in v.taints)
                      or (cond is not None and self.test_reads_event(cond))):
            self.summary.validates = True
        before = dict(self.scope.vars)
        for name, kinds, negated in guards:
            if not negated:
                self.clean(name, kinds)
        if then is not None:
            self.stmt(then)
        after_then = self.scope.vars
        self.scope.vars = dict(before)
        for name, kinds, negated in guards:
            if negated:
                self.clean(name, kinds)
        if other is not None:
            for child in other.named_children:
                self.stmt(child)
        if not exits:
            merged = dict(self.scope.vars)
            for name, value in after_then.items():
                merged[name] = join(merged[name], value) if name in merged else value
            self.scope.vars = merged

    def clean(self, name: str, kinds: tuple[str, ...]) -> None:
        scope = self.scope.find(name)
        value = scope.vars.get(name) if scope is not None else None
        if value is None or not value.taints:
            return
        if kinds == ("path",) and not all(t.normalized for t in value.taints):
            return  # a prefix check protects only a normalised path
        self.scope.vars[name] = value.map_taints(lambda t: t.clean_for(*kinds))

    def test_reads_event(self, cond: Node) -> bool:
        """Whether a test names event data anywhere (`typeof key !== "string"`, `!RE.test(String(n))`): the value
        of such a test is clean, yet a test on event fields that rejects is the explicit check that "validates"
        records."""
        stack = [cond]
        while stack:
            node = stack.pop()
            if node.type == "identifier":
                value = self.scope.get(self.text(node))
                if value is not None and any(t.kind == "event" for t in value.taints):
                    return True
            elif node.type not in ("arrow_function", "function_expression"):
                stack.extend(node.named_children)
        return False

    def guards(self, cond: Node, members: bool = False) -> list[tuple[str, tuple[str, ...], bool]]:
        """Names a test checks against an allow-list, a pattern or a base directory: (name, sink kinds it is then
        safe for, whether the check holds when the test is false, i.e. `if (!ok) return`). With `members`, a
        checked member expression (`q.dir`) is named by its text too (a ternary's branch is matched by text)."""
        checkable = ("identifier", "member_expression", "subscript_expression") if members else ("identifier",)
        out: list[tuple[str, tuple[str, ...], bool]] = []
        node, negated = cond, False
        while node.type in ("parenthesized_expression", "unary_expression"):
            if node.type == "unary_expression":
                if self.text(node)[:1] != "!":
                    return out
                negated = not negated
            inner = node.named_children
            if not inner:
                return out
            node = inner[-1]
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and self.text(op) in ("||", "&&"):
                for side in ("left", "right"):
                    child = node.child_by_field_name(side)
                    if child is not None and (self.text(op) == "||") == (not negated):
                        out.extend(g for g in self.guards(child, members) if g[2])
                        out.extend(g for g in self.guards(child, members) if not g[2] and negated)
                return out
            if op is not None and self.text(op) in ("===", "=="):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and left.type in checkable and right.type == "string":
                    out.append((self.text(left), ("all",), negated))
            return out
        if node.type != "call_expression":
            return out
        fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if fn is None or fn.type != "member_expression" or args is None or not args.named_children:
            return out
        method = self.text(fn.child_by_field_name("property"))
        target = fn.child_by_field_name("object")
        first = args.named_children[0]
        if method in ("includes", "has", "test", "hasOwnProperty", "isValid") and first.type in checkable:
            out.append((self.text(first), ("all",), negated))
        elif method == "startsWith" and target is not None and target.type == "identifier":
            out.append((self.text(target), ("path",), negated))
        return out

    def ternary(self, node: Node) -> Val:
        """`ALLOWED.includes(q.dir) ? q.dir : "asc"`: the branch taken when the allow-list check holds yields the
        checked value, which is then one of the listed constants (the same guards as an `if`, also for a checked
        member expression, matched by its text)."""
        cond = node.child_by_field_name("condition")
        self.ev(cond)
        guards = self.guards(cond, members=True) if cond is not None else []
        values = []
        for field, negated in (("consequence", False), ("alternative", True)):
            branch = node.child_by_field_name(field)
            held = [(name, kinds) for name, kinds, neg in guards if neg == negated]
            before = {name: self.scope.vars.get(name) for name, _ in held}
            for name, kinds in held:
                self.clean(name, kinds)
            value = self.ev(branch)
            for name, old in before.items():  # the check's cleaning holds inside this branch only
                if old is None:
                    self.scope.vars.pop(name, None)
                else:
                    self.scope.vars[name] = old
            if branch is not None and any(self.text(branch) == name for name, _ in held):
                kinds = next(k for name, k in held if self.text(branch) == name)
                if kinds == ("all",):
                    value = value.map_taints(lambda taint: taint.clean_for("all"))
            values.append(value)
        return join(*values)

    def for_in(self, node: Node) -> None:
        left, right, body = (node.child_by_field_name(f) for f in ("left", "right", "body"))
        iterable = self.ev(right) if right is not None else CLEAN
        operator = node.child_by_field_name("operator")
        of = operator is None or self.text(operator) == "of"
        element = self.element(iterable, right) if of else stringify(data_of(iterable))
        if left is not None:
            self.bind(left, element, declare=True)
        if body is not None:
            self.stmt(body)

    def element(self, iterable: Val, node: Node | None) -> Val:
        if iterable.kind == "module" or not iterable.taints:
            return data_of(iterable)
        if node is not None:
            self.use(iterable, node)
        loc = self.loc(node) if node is not None else iterable.taints[0].loc
        return Val(taints=tuple(t.field(f"{t.source}[*]", loc, False, False, base=t.source)
                                for t in iterable.taints))

    # ------------------------------------------------------------------ binding
    def bind(self, target: Node, value: Val, *, declare: bool = False) -> None:  # noqa: C901, PLR0912 -- one dispatch over the destructuring pattern kinds of the grammar
        t = target.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            self.scope.vars[self.text(target)] = value
        elif t in ("required_parameter", "optional_parameter"):
            pattern = target.child_by_field_name("pattern")
            default = target.child_by_field_name("value")
            if default is not None:
                value = join(value, self.ev(default))
            if pattern is not None:
                self.bind(pattern, value, declare=declare)
        elif t == "assignment_pattern":
            left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
            if right is not None:
                value = join(value, self.ev(right)) if value.taints else self.ev(right) if value == CLEAN else value
            if left is not None:
                self.bind(left, value, declare=declare)
        elif t == "object_pattern":
            for prop in target.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    name = self.text(prop)
                    self.scope.vars[name] = self.member(value, name, prop)
                elif prop.type == "pair_pattern":
                    key, sub = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                    if key is not None and sub is not None:
                        self.bind(sub, self.member(value, _key_text(self, key), key), declare=declare)
                elif prop.type == "object_assignment_pattern":
                    left, right = prop.child_by_field_name("left"), prop.child_by_field_name("right")
                    if left is not None:
                        field = self.member(value, self.text(left), left)
                        default = self.ev(right) if right is not None else CLEAN
                        self.scope.vars[self.text(left)] = field if field.taints or field.kind else join(field, default)
                elif prop.type == "rest_pattern":
                    rest = data_of(value)
                    if any(name.lower() in AUTHZ_KEYS for name in _pattern_keys(self, target)):
                        # `{authorization, cookie, ...rest} = event.headers`: the rest is the map without them
                        rest = rest.map_taints(lambda t: replace(t, headers=False) if t.headers else t)
                    for child in prop.named_children:
                        self.bind(child, rest, declare=declare)
        elif t == "array_pattern":
            for child in target.named_children:
                self.bind(child, self.element(value, child) if child.type != "rest_pattern" else data_of(value),
                          declare=declare)
        elif t == "rest_pattern":
            for child in target.named_children:
                self.bind(child, value, declare=declare)
        elif t in ("member_expression", "subscript_expression"):
            self.assign_member(target, value)
        elif t == "parenthesized_expression" and target.named_children:
            self.bind(target.named_children[0], value)

    def assign(self, target: Node, value: Val, node: Node) -> None:
        if target.type == "identifier":
            name = self.text(target)
            scope = self.scope.find(name)
            if scope is not None and scope.module_level and not self.scope.module_level and value.taints:
                self.hit("store", f"module-level variable {name}", node, value)
            (scope or self.scope).vars[name] = value
        else:
            self.bind(target, value)

    def assign_member(self, target: Node, value: Val) -> None:
        obj = target.child_by_field_name("object")
        if obj is None:
            return
        text = self.text(obj)
        prop = target.child_by_field_name("property") if target.type == "member_expression" else None
        key = self.text(prop) if prop is not None else None
        index = target.child_by_field_name("index") if target.type == "subscript_expression" else None
        key_val = self.ev(index) if index is not None else CLEAN
        if key is None and key_val.const is not None:
            key = key_val.const
        if text in ("exports", "module.exports") and key is not None:
            self.a.export(self.mod, key, value)
            return
        if text == "module" and key == "exports":
            self.a.export(self.mod, "default", value)
            for name, field in value.fields or ():
                self.a.export(self.mod, name, field)
            return
        if text == "process.env" and key == "NODE_TLS_REJECT_UNAUTHORIZED" and value.const == "0":
            self.issue("tls-disabled", "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate verification for "
                       "every request this process makes", target)
        if obj.type == "this" and key is not None:
            self.set_this_field(key, value)
            return
        root = obj
        while root.type in ("member_expression", "subscript_expression"):
            inner = root.child_by_field_name("object")
            if inner is None:
                break
            root = inner
        if root.type == "identifier":
            scope = self.scope.find(self.text(root))
            stored = data_of(value, key_val)
            holder = self.scope.get(self.text(root))
            if key == "body" and holder is not None and holder.kind == "web-request" and value.fields is None \
                    and HTML_TAG.search(value.text or value.const or ""):
                self.hit("html", f"the HTML response ({self.text(target)})", target, value)  # Koa `ctx.body = ...`
            if scope is not None and scope.module_level and not self.scope.module_level and stored.taints \
                    and holder is not None and holder.kind not in ("web-response", "module"):
                self.hit("store", f"module-level {self.text(root)}", target, stored)
            base = scope.vars.get(self.text(root)) if scope is not None else None
            if base is not None and root is obj and key is not None and base.kind is None and base.fields is not None:
                fields = (*tuple((n, v) for n, v in base.fields if n != key), (key, value))
                (scope or self.scope).vars[self.text(root)] = replace(base, fields=fields)

    # ------------------------------------------------------------------ modules
    def import_stmt(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        if source is None:
            return
        spec = _string_value(self.text(source))
        module = self.a.require(self.mod, spec, self.summary)
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return
        for part in clause.named_children:
            if part.type == "identifier":  # default import
                self.scope.vars[self.text(part)] = self.member(module, "default", part) \
                    if module.kind == "module" else module
            elif part.type == "namespace_import":
                for child in part.named_children:
                    self.scope.vars[self.text(child)] = module
            elif part.type == "named_imports":
                for spec_node in part.named_children:
                    name, alias = spec_node.child_by_field_name("name"), spec_node.child_by_field_name("alias")
                    if name is not None:
                        local = self.text(alias) if alias is not None else self.text(name)
                        self.scope.vars[local] = self.member(module, _string_value(self.text(name)), name)

    def export(self, node: Node) -> None:
        decl = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        if decl is not None:
            self.stmt(decl)
            names: list[str] = []
            if decl.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
                name = decl.child_by_field_name("name")
                names = [self.text(name)] if name is not None else []
            elif decl.type in ("lexical_declaration", "variable_declaration"):
                names = [self.text(d.child_by_field_name("name")) for d in decl.named_children
                         if d.type == "variable_declarator" and d.child_by_field_name("name") is not None]
            for name in names:
                self.a.export(self.mod, name, self.scope.vars.get(name, CLEAN))
            if any(c.type == "default" for c in node.children) and names:
                self.a.export(self.mod, "default", self.scope.vars.get(names[0], CLEAN))
        elif value is not None:
            self.a.export(self.mod, "default", self.ev(value))
        for clause in node.named_children:
            if clause.type == "export_clause":
                for spec_node in clause.named_children:
                    name, alias = spec_node.child_by_field_name("name"), spec_node.child_by_field_name("alias")
                    if name is not None:
                        exported = self.text(alias) if alias is not None else self.text(name)
                        self.a.export(self.mod, exported, self.scope.get(self.text(name)) or CLEAN)

    # ------------------------------------------------------------------ expressions
    def ev(self, node: Node | None) -> Val:  # noqa: C901, PLR0912 -- one dispatch over the expression kinds of the JavaScript grammar
        if node is None:
            return CLEAN
        t = node.type
        if t in {"identifier", "shorthand_property_identifier"}:
            name = self.text(node)
            value = self.scope.get(name)
            if value is not None:
                return value
            if name == "undefined":
                return CLEAN
            return Val(qual=name)
        if t == "string":
            text = _string_value(self.text(node))
            return _const(text)
        if t == "template_string":
            parts: list[Val] = []
            for child in node.children:
                if child.type == "string_fragment":
                    parts.append(_const(self.text(child)))
                elif child.type == "template_substitution" and child.named_children:
                    parts.append(self.ev(child.named_children[0]))
                elif child.type == "escape_sequence":
                    parts.append(_const(self.text(child)))
            return self.fmt(parts)
        if t == "this":
            return self.scope.get("this") or CLEAN
        if t in ("number", "true", "false", "null", "regex", "super"):
            return _const(self.text(node))
        if t in _WRAPPERS:
            inner = node.named_children
            return self.ev(inner[0]) if inner else CLEAN
        if t == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            base = self.ev(obj)
            return self.member(base, self.text(prop) if prop is not None else "", node)
        if t == "subscript_expression":
            base, index = self.ev(node.child_by_field_name("object")), self.ev(node.child_by_field_name("index"))
            if index.const is not None:
                return self.member(base, index.const, node)
            self.use(base, node)
            return Val(taints=tuple(t.field(f"{t.source}[…]", self.loc(node), False, False, base=t.source)
                                    for t in base.taints)) if base.taints else data_of(base)
        if t == "call_expression":
            return self.call(node)
        if t == "new_expression":
            return self.new(node)
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            left, right = self.ev(node.child_by_field_name("left")), self.ev(node.child_by_field_name("right"))
            operator = self.text(op) if op is not None else ""
            if operator == "+":
                return self.fmt([left, right])
            if operator in ("||", "??"):
                return join(left, right) if left != CLEAN else right
            if operator == "&&":
                return right
            return CLEAN
        if t == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value = self.ev(right)
            if left is not None:
                self.assign(left, value, node)
            return value
        if t == "augmented_assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value = self.fmt([self.ev(left), self.ev(right)])
            if left is not None:
                self.assign(left, value, node)
            return value
        if t == "object":
            return self.obj(node)
        if t == "array":
            values = [self.ev(c) for c in node.named_children]
            return data_of(*values)
        if t in _FUNCTION_TYPES:
            return self.a.function_value(self.mod, node, self.scope)
        if t == "ternary_expression":
            return self.ternary(node)
        if t == "unary_expression":
            for child in node.named_children:
                self.ev(child)
            return CLEAN
        if t in ("update_expression",):
            return CLEAN
        if t == "sequence_expression":
            values = [self.ev(c) for c in node.named_children]
            return values[-1] if values else CLEAN
        if t in ("class", "class_declaration"):
            return self.class_value(node)
        if t in ("comment", "type_arguments", "type_annotation"):
            return CLEAN
        values = [self.ev(c) for c in node.named_children]
        return data_of(*values)

    def fmt(self, parts: list[Val]) -> Val:
        taints: list[Taint] = []
        const: str | None = ""
        prefix: str | None = ""
        text = ""
        tmp: str | None = None
        for index, part in enumerate(parts):
            taints.extend(replace(t, structured=False) for t in part.taints)
            if part.const is not None and not part.taints:
                text += part.const
                if const is not None:
                    const += part.const
                if prefix is not None and const is not None:
                    prefix = const
            else:
                if index == 0 and part.prefix:
                    prefix = part.prefix
                    text += part.prefix
                elif const is not None:
                    prefix = const + "/" if _BARE_HOST.match(const) and _slash_led(part) else const
                text += " " + part.text if part.text else ""
                const = None
            if index == 0 and part.tmp:
                tmp = part.tmp
        if const is not None:
            return _const(const)
        from faasguard.analysis.code.core.values import merge_taints

        if tmp is None and prefix and prefix.startswith("/tmp"):
            tmp = prefix
        if taints and _host_fixed(parts):
            taints = [t.clean_for("url") for t in taints]
        return Val(taints=merge_taints(tuple(taints)), prefix=prefix or None, text=text, tmp=tmp)

    def obj(self, node: Node) -> Val:
        fields: list[tuple[str, Val]] = []
        extra: list[Val] = []
        for prop in node.named_children:
            if prop.type == "pair":
                key, value = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                val = self.ev(value)
                if key is not None:
                    name = _key_text(self, key)
                    if name == "rejectUnauthorized" and val.const == "false":
                        self.issue("tls-disabled", "rejectUnauthorized: false turns off TLS certificate verification",
                                   prop)
                    fields.append((name, val))
            elif prop.type == "shorthand_property_identifier":
                fields.append((self.text(prop), self.ev(prop)))
            elif prop.type == "spread_element":
                spread = self.ev(prop)
                fields.extend(spread.fields or ())
                extra.append(spread)
            elif prop.type == "method_definition":
                name = prop.child_by_field_name("name")
                if name is not None:
                    fields.append((self.text(name), self.a.function_value(self.mod, prop, self.scope)))
        data = data_of(*(v for _, v in fields), *extra)
        return Val(taints=data.taints, fields=tuple(fields))

    def member(self, base: Val, name: str, node: Node) -> Val:
        if base.fields is not None:
            field = base.field_val(name)
            if field is not None:
                return field
        if base.kind == "module" and base.extra:
            return self.a.exported(Path(base.extra), name)
        if base.kind == "environ":
            if not is_secret_name(name) or SECRET_REFERENCE_ENV.search(name):
                return Val(env=EnvRef(name))
            # `process.env.DB_PASSWORD`: a credential by its name, so logging or returning it is reported like a
            # fetched secret (the Python front end's rule for `os.environ`)
            return Val(env=EnvRef(name), taints=(Taint("secret", f"process.env.{name}", self.loc(node), whole=True),))
        if base.kind in ("aws-client", "aws-command", "sql-client", "knex", "sequelize", "mongo", "mongo-collection",
                         "webapp", "function", "web-handler", "secret-holder"):
            return replace(base, extra=base.extra, qual=f"{base.qual}.{name}" if base.qual else None) \
                if base.kind == "aws-client" else base if base.kind != "function" else CLEAN
        if base.taints:
            if name in CUSTOM_RESOURCE_FIELDS and any(t.kind == "event" and t.whole for t in base.taints):
                self.summary.service_formed = True  # CloudFormation's own event, filled from the template
                return CLEAN
            self.use(base, node)
            loc = self.loc(node)
            lower = name.lower()
            stringy = name in m.STRING_REQUEST_PARTS if base.kind == "web-request" else lower in STRINGY_KEYS
            out = tuple(t.field(f"{t.source}.{name}"[-160:], loc, lower in AUTHZ_KEYS, stringy, base=t.source,
                                headers=lower in HEADER_MAPS)
                        for t in base.taints if t.kind in _FIELD_TAINTS
                        and not (t.kind == "event" and name in m.GATEWAY_SET_CONTEXT
                                 and t.source.endswith(".requestContext")))
            if name in ("length", "size"):
                return CLEAN
            if not out:
                return CLEAN
            if name in SERVICE_URL_FIELDS:
                # AWS fills it with its own URL (the Python front end's rule): also when the event reaches a
                # helper as a parameter, as in every `cfn-response`-style `sendResponse(event, ...)`
                out = tuple(t.clean_for("url") for t in out)
            if base.kind == "web-request" and name in ("body", "query", "params", "headers", "cookies", "request"):
                return Val(taints=out, kind="web-request" if name == "request" else None)
            return Val(taints=out)
        if base.qual is not None:
            if name == "default" and "." not in base.qual:
                return base  # `require("node-fetch").default`: the CommonJS view of the ES default export
            qual = f"{base.qual}.{name}"
            if qual == "process.env":
                return Val(kind="environ", taints=(Taint("environ", "process.env", self.loc(node), whole=True),))
            if qual in ("os.tmpdir",):
                return Val(qual=qual)
            return Val(qual=qual)
        return CLEAN

    # ------------------------------------------------------------------ calls
    def args(self, node: Node) -> list[Val]:
        args = node.child_by_field_name("arguments")
        if args is None:
            return []
        if args.type == "template_string":  # tagged template: sql`...${x}` is parameterised by the tag
            return [CLEAN]
        return [self.ev(a) for a in args.named_children if a.type != "comment"]

    def computed_module(self, fn: Node, path: Node, node: Node) -> None:
        """`require(x)` / `import(x)` of a module path computed at run time: caller data in it picks the code
        that is loaded and run (`require(`../data/${file}`)` with `file` = `../../tmp/payload`)."""
        self.hit("code", f"{self.text(fn)}() of a computed module path", node, self.ev(path))

    def call(self, node: Node) -> Val:
        fn = node.child_by_field_name("function")
        if fn is None:
            return CLEAN
        if fn.type == "identifier" and self.text(fn) == "require" and self.scope.get("require") is None:
            first = _first_argument(node)
            if first is not None and first.type == "string":
                return self.a.require(self.mod, _string_value(self.text(first)), self.summary)
            if first is not None:
                self.computed_module(fn, first, node)
            return CLEAN
        if fn.type == "import" and (first := _first_argument(node)) is not None and first.type != "string":
            self.computed_module(fn, first, node)
            return CLEAN
        method: str | None = None
        recv = CLEAN
        recv_node = None
        if fn.type == "member_expression":
            recv_node = fn.child_by_field_name("object")
            recv = self.ev(recv_node)
            prop = fn.child_by_field_name("property")
            method = self.text(prop) if prop is not None else ""
            callee = self.member(recv, method, fn) if recv.kind in ("module", None) and not recv.taints else CLEAN
        else:
            callee = self.ev(fn)
        args = self.args(node)
        arg_nodes = [a for a in (node.child_by_field_name("arguments").named_children
                                 if node.child_by_field_name("arguments") is not None else [])
                     if a.type != "comment"]
        if method is not None and recv.kind is not None and recv.kind != "module":
            known = self.kind_call(recv, method, args, arg_nodes, node)
            if known is not None:
                return known
        qual = callee.qual if callee.kind is None else None
        if qual is not None:
            known = self.qual_call(qual, args, arg_nodes, node)
            if known is not None:
                return known
        if callee.kind == "function":
            return self.call_function(callee, args, node)
        if callee.kind == "lambda-callback" and method is None:
            if len(args) >= 2 and self.entry:
                self.response(args[1], node)
            return CLEAN
        if callee.kind in ("aws-client",) and method is None:
            return callee
        if method is not None:
            return self.method_call(recv, recv_node, method, args, arg_nodes, node)
        for arg in args:
            if arg.kind == "function":
                self.call_function(arg, [CLEAN], node)
        return data_of(*args)

    def new(self, node: Node) -> Val:
        ctor = node.child_by_field_name("constructor")
        callee = self.ev(ctor)
        args = self.args(node)
        arg_nodes = list(node.child_by_field_name("arguments").named_children
                                 if node.child_by_field_name("arguments") is not None else [])
        qual = callee.qual
        if callee.kind == "aws-client" and qual:  # new AWS.DynamoDB.DocumentClient()
            if qual.endswith("DocumentClient"):
                return replace(callee, extra="docclient")
            return callee
        if qual is not None:
            known = self.qual_call(qual, args, arg_nodes, node, new=True)
            if known is not None:
                return known
        if callee.kind == "function":
            return self.call_function(callee, args, node)
        if callee.kind == "class":
            return self.construct(callee, args, node)
        for arg in args:  # `new Promise((resolve, reject) => ...)`: the executor runs now, in this invocation
            if arg.kind == "function":
                self.call_function(arg, [CLEAN, CLEAN], node)
        return data_of(*args)

    def call_function(self, callee: Val, args: list[Val], node: Node) -> Val:
        target = self.a.functions.get(callee.extra or "")
        if target is None:
            return data_of(*args)
        module, fnode, scope = target
        step = EvidenceStep(f"passed to {_fn_name(module, fnode)}()", self.loc(node))
        if scope.module_level and self.depth < MAX_INLINE_DEPTH and any(a.kind in _CLIENT_KINDS for a in args):
            # `listObjects(s3, bucket)`: a summary sees `client.listObjectsV2(...)` on a bare parameter, so the
            # AWS call (or the query on a passed database client) is lost; run the helper with the client bound
            return self.inline(module, fnode, scope, args, entry=False)[0]
        if scope.module_level:
            callee_summary = self.a.summary(callee.extra or "")
            if callee_summary is None:
                return data_of(*args)
            bound = dict(enumerate(args))
            absorb(self.summary, callee_summary, bound, step, lambda v: self.subst(v, bound))
            return returned(callee_summary, bound, step, lambda v: self.subst(v, bound))
        if self.depth >= MAX_INLINE_DEPTH:
            return data_of(*args)
        return self.inline(module, fnode, scope, args)[0]

    def inline(self, module: JsModule, fnode: Node, scope: Scope, args: list[Val],
               this: Val | None = None, *, entry: bool | None = None) -> tuple[Val, Scope]:
        """Run a closure or method in place with its arguments (and `this`) bound: its return value and its scope
        (where a constructor left `this`). `entry=False` for a module-level helper: what it returns goes back to
        its caller, not to the handler's (a closure's return inside an entry point may be the response)."""
        inner = JsFunction(self.a, module, self.key, Scope(scope), self.summary,
                           entry=self.entry if entry is None else entry, depth=self.depth + 1)
        if this is not None:
            inner.scope.vars["this"] = this
        saved = self.summary.returns
        self.summary.returns = CLEAN
        inner.in_finally = self.in_finally
        inner.verified = self.verified
        inner.frame = f"{self.frame}>{fnode.start_byte}"
        params = inner.params(fnode)
        for index, param in enumerate(params):
            inner.bind(param, args[index] if index < len(args) else CLEAN, declare=True)
        body = fnode.child_by_field_name("body")
        if body is not None:
            if body.type == "statement_block":
                inner.block(body)
            else:
                inner.ret(inner.ev(body), body)
        result = self.summary.returns
        self.summary.returns = saved
        return result, inner.scope

    # ------------------------------------------------------------------ classes
    def class_value(self, node: Node) -> Val:
        return replace(self.a.function_value(self.mod, node, self.scope), kind="class")

    def construct(self, cls: Val, args: list[Val], node: Node) -> Val:
        """`new Repo(pool)`: an object whose fields are what the field initialisers and the constructor stored on
        `this` (TypeScript parameter properties included)."""
        target = self.a.functions.get(cls.extra or "")
        if target is None or self.depth >= MAX_INLINE_DEPTH:
            return data_of(*args)
        module, cnode, scope = target
        instance = Val(kind="instance", extra=cls.extra, fields=())
        init = JsFunction(self.a, module, self.key, Scope(scope), self.summary, entry=self.entry,
                          depth=self.depth + 1)
        fields = [(name, init.ev(value)) for name, value in classes.field_initialisers(cnode, init.text)]
        instance = replace(instance, fields=tuple(fields))
        ctor = classes.method(cnode, "constructor", init.text)
        if ctor is None:
            return instance
        for index, param in enumerate(init.params(ctor)):
            name = classes.parameter_property(param, init.text)
            if name is not None and index < len(args):
                instance = replace(instance, fields=(*(instance.fields or ()), (name, args[index])))
        _, ctor_scope = self.inline(module, ctor, scope, args, this=instance)
        built = ctor_scope.vars.get("this")
        return built if built is not None and built.kind == "instance" else instance

    def method_of_class(self, recv: Val, method: str, args: list[Val], node: Node) -> Val | None:
        """`repo.find(id)` on an instance (or `Repo.find(id)` on the class): the method run in place with `this`
        bound; None when the class declares no such method (inherited, or a field holding a function)."""
        target = self.a.functions.get(recv.extra or "")
        if target is None:
            return None
        module, cnode, scope = target
        fnode = classes.method(cnode, method, module.text)
        if fnode is None or method == "constructor":
            return None
        if self.depth >= MAX_INLINE_DEPTH:
            return data_of(*args)
        return self.inline(module, fnode, scope, args, this=recv)[0]

    def set_this_field(self, key: str, value: Val) -> None:
        scope = self.scope.find("this")
        base = scope.vars.get("this") if scope is not None else None
        if scope is None or base is None or base.kind != "instance":
            return
        kept = tuple((n, v) for n, v in base.fields or () if n != key)
        scope.vars["this"] = replace(base, fields=(*kept, (key, value)))

    def kind_call(self, recv: Val, method: str, args: list[Val], arg_nodes: list[Node], node: Node) -> Val | None:
        kind = recv.kind
        if kind == "aws-client":
            return self.sdk_call(recv, method, args, node)
        if kind in ("instance", "class"):
            return self.method_of_class(recv, method, args, node)
        if kind == "function" and method in ("use", "before", "after", "onError", "handler"):
            if method == "handler" and args and args[0].kind == "function":
                return args[0]
            for arg in args:
                if arg.qual and any(arg.qual.startswith(v) for v in m.VALIDATOR_MODULES):
                    self.summary.validates = True
                if arg.kind == "validator":
                    self.summary.validates = True
            return recv
        if kind == "webapp":
            if method in m.WEB_ROUTE_METHODS:
                for arg in args:
                    handler = arg.field_val("handler") if arg.fields is not None else None
                    if handler is not None and handler.kind == "function" and handler.extra:
                        self.a.add_route(self.mod, handler.extra, recv.qual)  # Fastify `app.route({...})`
                    if arg.kind == "function" and arg.extra:
                        self.a.add_route(self.mod, arg.extra, recv.qual)
                    if arg.kind == "validator":
                        self.summary.validates = True
            return recv
        if kind == "validator":
            if any(t.kind in ("event", "param") for a in args for t in a.taints):
                self.summary.validates = True
            return args[0] if args else CLEAN
        rows = m.KIND_METHODS.get(kind or "", {})
        row = rows.get(method)
        if row is not None:
            self.sink(row, f"{kind}.{method}()", args, arg_nodes, node)
            return Val(kind=kind) if kind in ("knex",) else CLEAN
        result_kind = m.KIND_RESULTS.get(kind or "", {}).get(method)
        if result_kind is not None:
            return Val(kind=result_kind)
        if kind == "web-response":
            return self.web_response(recv, method, args, node)
        if kind in ("sql-client", "knex", "sequelize", "mongo", "mongo-collection"):
            return CLEAN
        return None

    def sink(self, row: m.SinkRow, label: str, args: list[Val], arg_nodes: list[Node], node: Node) -> None:
        positions = range(len(args)) if row.args == (m.ALL_ARGS,) else row.args
        for position in positions:
            if position >= len(args):
                continue
            value = args[position]
            if row.field and value.fields is not None:
                field = value.field_val(row.field) or value.field_val("hostname")
                value = field if field is not None else CLEAN
            if row.when == "string" and value.kind == "function":
                continue
            if row.kind == "nosql" and value.fields is not None and value.field_val("$where") is not None:
                self.hit("nosql", f"{label} with $where", node, value.field_val("$where") or CLEAN)
                continue
            self.hit(row.kind, label, node, value, "structured" if row.when == "structured" else "")

    def qual_call(self, qual: str, args: list[Val], arg_nodes: list[Node], node: Node,  # noqa: C901, PLR0912 -- calls by qualified name, in the order the library tables rank them
                  new: bool = False) -> Val | None:
        qual = qual.removeprefix("node:")
        if qual in ("util.promisify", "promisify", "util.callbackify"):
            return args[0] if args else CLEAN
        if qual in ("os.tmpdir",):
            return Val(const="/tmp", prefix="/tmp", text="/tmp", tmp="/tmp")
        if qual == "Object.keys":
            return names_of(args[0]) if args else CLEAN
        if qual in jwt.DECODERS:
            problem = jwt.unverified_decode(qual, node, arg_nodes, self.text)
            token = self.text(arg_nodes[0]) if arg_nodes else ""
            if problem is None and qual in jwt.VERIFIERS and token:
                self.verified.add(token)
            elif problem is not None and token not in self.verified:
                bearer = bool(args) and from_authorization_header(args[0])
                self.issue("jwt-unverified-bearer" if bearer else "jwt-unverified",
                           f"{problem}; anyone can forge the claims the code then trusts", node)
            if jwt.DECODERS[qual] == "unverified":
                return claims_of(*args[:1])
        if qual in jwt.SIGNERS and len(arg_nodes) > 1:
            literal = jwt.literal_key(arg_nodes[1], self.text)
            if literal is not None:
                self.issue("hardcoded-secret", f"the JWT signing key {literal} is hard-coded in the source; anyone "
                           "who reads the code can forge tokens; load it from Secrets Manager or SSM at init",
                           arg_nodes[1])
            # a signed token, or the claims of a checked one, carry the payload's data, never the key itself
            claims = data_of(*args[:1]) if qual not in jwt.VERIFIERS else claims_of(*args[:1])
            for arg in args[2:]:
                if arg.kind == "function":
                    self.call_function(arg, [CLEAN, claims], node)
            return claims
        row = m.QUAL_SINKS.get(qual)
        if row is not None:
            self.model_sink(qual, row, args, arg_nodes, node)
            if qual in m.TMP_WRITES or qual in m.TMP_CLEANUPS:
                self.tmp_call(qual, args, node)
            if qual.startswith(("js-yaml.", "node-serialize.")) or qual == "JSON.parse":
                return _structured(data_of(*args[:1]))
            if row.kind == "template":  # the engine escapes what it fills in; a tainted template is the "template" sink
                return data_of(*args[:1]).map_taints(lambda t: t.clean_for("html"))
            return data_of(*args[:1]) if row.kind in ("path", "url", "shell", "deser", "template") else CLEAN
        if qual in m.TMP_WRITES or qual in m.TMP_CLEANUPS:
            return self.tmp_call(qual, args, node)
        if qual in m.MERGE_INTO:
            self.merge_into(qual, m.MERGE_INTO[qual], args, arg_nodes, node)
            if qual == "Object.assign" and args and all(a.fields is not None for a in args):
                # `Object.assign({}, defaults, { Item })`: every part is a literal object, so the result's fields
                # are known (later parts win, as at run time)
                fields = {name: value for a in args for name, value in a.fields or ()}
                return Val(taints=data_of(*args).taints, fields=tuple(fields.items()))
            return data_of(*args)
        if qual in m.SANITIZERS:
            kinds = m.SANITIZERS[qual]
            if "all" in kinds and qual not in ("escape-html", "validator.escape"):
                return CLEAN
            return data_of(*args[:1]).map_taints(lambda t: t.clean_for(*kinds))
        if qual in m.NORMALIZERS:
            joined = self.fmt([p for a in args for p in (a, _const("/"))][:-1]) if args else CLEAN
            return joined.map_taints(lambda t: replace(t, normalized=True))
        if qual in m.JSON_PARSERS:
            return _structured(data_of(*args[:1]))
        if qual == "JSON.stringify":
            return stringify(args[0]) if args else CLEAN
        if qual in m.WEB_WRAPPERS or (qual.endswith(".handle") and qual.startswith("hono")):
            app = next((a for a in args if a.kind == "webapp"), None)
            if app is None and args and args[0].fields is not None:
                app = args[0].field_val("app")
            return Val(kind="web-handler") if app is not None else CLEAN
        if qual in m.HANDLER_WRAPPERS:
            return args[0] if args and args[0].kind == "function" else Val(kind="function")
        if qual in m.SQL_CLIENTS:
            if arg_nodes and len(self.summary.issues) < MAX_HITS:
                self.summary.issues.extend(secrets.connection_passwords(self.mod, arg_nodes[0]))
            return Val(kind=m.SQL_CLIENTS[qual], qual=qual)
        if qual in sdk.POWERTOOLS_SECRETS:
            cached = not any(a.fields is not None and (a.field_val("forceFetch") or CLEAN).const == "true"
                             for a in args[1:])
            self.summary.fetches.append(Fetch(self.loc(node), "secret fetched with Powertools", cached))
            return Val(taints=(Taint("secret", "Powertools parameter", self.loc(node), whole=True),))
        root = qual.split(".", 1)[0]
        if root in m.VALIDATOR_MODULES or qual.split(".")[0] in m.VALIDATOR_MODULES:
            if any(t.kind in ("event", "param") for a in args for t in a.taints):
                self.summary.validates = True
            return Val(kind="validator") if not any(a.taints for a in args) else data_of(*args[:1])
        aws = self.sdk_object(qual, args, new)
        if aws is not None:
            return aws
        if qual in ("require",):
            return CLEAN
        return None

    def model_sink(self, qual: str, row: m.SinkRow, args: list[Val], arg_nodes: list[Node], node: Node) -> None:
        if qual.startswith("child_process.") and args:
            self.exec_tmp(args[0], qual, node)
        if row.when == "shell-option":
            options = next((a for a in reversed(args) if a.fields is not None), None)
            shell = options.field_val("shell") if options is not None else None
            if shell is not None and shell.const not in (None, "false"):
                self.sink(m.SinkRow("shell", row.args), f"{qual}(shell: true)", args, arg_nodes, node)
            elif args:
                lead = args[0].prefix or ""
                if not any(c.isspace() for c in lead):
                    # a fixed lead with a space (`spawn(\`Rscript -e ... ${key}\`)`, no shell) names no program
                    # the caller can pick: the whole string is looked up as one file name and fails
                    self.hit("program", f"{qual}() program", node, args[0])
                script = self.shell_script(args[0], arg_nodes[1] if len(arg_nodes) > 1 else None)
                if script is not None:
                    self.hit("shell", f"{qual}({args[0].const} -c)", node, self.ev(script))
            return
        if row.when == "unsafe-yaml":
            options = args[1] if len(args) > 1 else None
            schema = options.field_val("schema") if options is not None and options.fields is not None else None
            unsafe = schema is not None and any((schema.qual or "").endswith(s) for s in m.UNSAFE_YAML_SCHEMAS)
            if not unsafe and not self.a.js_yaml_v3(self.mod.path):
                return
        self.sink(row, f"{qual}()", args, arg_nodes, node)

    def shell_script(self, program: Val, argv: Node | None) -> Node | None:
        """`spawn("sh", ["-c", script, ...])`: the element after `-c` is a command line a shell parses, whatever
        the missing `shell` option says (later elements are the script's positional parameters: data, not code)."""
        name = (program.const or "").rsplit("/", 1)[-1].lower()
        if name not in m.SHELL_PROGRAMS or argv is None or argv.type != "array":
            return None
        elements = [e for e in argv.named_children if e.type != "comment"]
        for index, element in enumerate(elements[:-1]):
            if element.type == "string" and _string_value(self.text(element)) in m.SHELL_COMMAND_FLAGS:
                return elements[index + 1]
        return None

    def exec_tmp(self, value: Val, what: str, node: Node) -> None:
        lead = value.const if value.const is not None else value.prefix
        program = lead.strip().split(" ")[0] if lead else ""
        if program.startswith("/tmp/"):
            self.issue("exec-tmp", f"{what}() runs {program}; /tmp is writable by anything that ran in this "
                       "environment before", node)

    def tmp_call(self, qual: str, args: list[Val], node: Node) -> Val:
        if not args:
            return CLEAN
        target = args[1] if "copyFile" in qual and len(args) > 1 else args[0]
        token = target.tmp or (target.const if (target.const or "").startswith("/tmp") else None)
        if qual in m.TMP_CLEANUPS:
            if token:
                self.summary.tmp.append(TmpEvent(token, self.loc(node), self.frame, True, self.in_finally > 0))
            return CLEAN
        if token:
            what = f"{qual.rsplit('.', 1)[-1]}({token!r})"
            self.summary.tmp.append(TmpEvent(token, self.loc(node), self.frame, False, self.in_finally > 0, what))
        if "mkdtemp" in qual:
            return Val(tmp=token or "/tmp", prefix="/tmp")
        return CLEAN

    # ------------------------------------------------------------------ AWS SDK
    def sdk_object(self, qual: str, args: list[Val], new: bool) -> Val | None:
        parts = qual.split(".")
        if parts[0] == "aws-sdk" and len(parts) >= 2:
            service = sdk.v2_service(parts[1])
            if service is not None:
                return Val(kind="aws-client", service=service, qual=qual,
                           extra="docclient" if qual.endswith("DocumentClient") else "v2")
            return None
        if parts[0].startswith("aws-sdk/clients/"):
            name = parts[0].removeprefix("aws-sdk/clients/")
            if len(parts) == 1 or parts[-1] == "default":
                service = {"dynamodb": "dynamodb"}.get(name, name)
                return Val(kind="aws-client", service=sdk.V2_CLASSES.get(name, service), qual=qual, extra="v2")
            if parts[-1] == "DocumentClient":
                return Val(kind="aws-client", service="dynamodb", qual=qual, extra="docclient")
            return None
        package = parts[0]
        service = sdk.v3_service(package)
        if service is None or len(parts) < 2:
            return None
        name = parts[1]
        if name in {"DynamoDBDocumentClient", "DynamoDBDocument"}:
            return Val(kind="aws-client", service="dynamodb", qual=qual, extra="docclient")
        if package == "@aws-sdk/lib-storage" and name == "Upload":
            params = args[0].field_val("params") if args and args[0].fields is not None else None
            self.record_call("s3", "upload", "PutObject", params or CLEAN, self.node_for_calls)
            return CLEAN
        operation = sdk.command_operation(name)
        if operation is not None and (new or name.endswith("Command")):
            return Val(kind="aws-command", service=service, extra=operation, fields=(("params", args[0] if args
                                                                                       else CLEAN),))
        if name.endswith("Client") or new:
            return Val(kind="aws-client", service=service, qual=qual, extra="v3")
        return None

    node_for_calls: Node = None

    def sdk_call(self, client: Val, method: str, args: list[Val], node: Node) -> Val:
        self.node_for_calls = node
        service = client.service or ""
        if method == "from" and client.extra == "docclient":
            return client
        if method in ("send",):
            command = args[0] if args else CLEAN
            if command.kind != "aws-command":
                return CLEAN
            params = command.field_val("params") or CLEAN
            operation = command.extra or ""
            return self.record_call(command.service or service, sdk.snake(operation), operation, params, node)
        if method in sdk.NOT_OPERATIONS:
            return client if method == "promise" else CLEAN
        if client.extra == "docclient":
            found = sdk.DOC_CLIENT_OPERATIONS.get(method)
            if found is None:
                return CLEAN
            operation = found
        else:
            operation = sdk.operation_of(method)
        params = args[0] if args else CLEAN
        for arg in args[1:]:
            if arg.kind == "function":
                self.call_function(arg, [CLEAN, CLEAN], node)
        return self.record_call(service, sdk.snake(operation), operation, params, node)

    def record_call(self, service: str, method: str, operation: str, params: Val, node: Node) -> Val:
        resolved: list[tuple[str, Arg]] = []
        if service == "dynamodb" and params.fields is None and params.kind is None:
            # the whole request is an object the caller sent (`docClient.query(JSON.parse(event.body))`): the
            # caller picks the table, the key condition and the filter, so every check the code meant is gone.
            # Only for data read here: a helper's `params` parameter is usually an object literal at its call
            # sites whose fields a summary does not keep, so it would be reported for the fields it holds.
            direct = params.map_taints(lambda t: t if t.kind != "param" else None)
            self.hit("nosql", f"{operation} request parameters", node, direct)
        sql_text = SQL_TEXT_PARAMETERS.get((service, operation))
        for name, value in params.fields or ():
            if name == "Key" and service != "s3":
                continue
            resolved.append((name, self.argvalue(value)))
            if value.fields:
                resolved.extend((path, self.argvalue(role)) for path, role in nested_roles(name, value))
            if name == sql_text:
                self.hit("sql", f"{operation} {name}", node, stringify(value))
            if (service == "dynamodb" and name.endswith("Expression")) or name == "Statement":
                self.hit("nosql", f"{operation} {name}", node, value)
            elif service == "dynamodb" and name in ("ScanFilter", "QueryFilter", "KeyConditions", "Expected",
                                                     "AttributeUpdates"):
                self.hit("nosql", f"{operation} {name}", node, value, "structured")
        if len(self.summary.calls) < MAX_HITS:
            self.summary.calls.append(CallRec(service, method, operation, tuple(resolved), self.loc(node)))
        if (service, operation) in sdk.SECRET_OPERATIONS and (
                operation != "GetParameter" or (params.field_val("WithDecryption") or CLEAN).const == "true"
                or service == "secretsmanager"):
            self.summary.fetches.append(Fetch(self.loc(node), f"secret {operation}", self.is_module))
            return Val(taints=(Taint("secret", f"{service}.{operation}", self.loc(node), whole=True),))
        return Val(kind="aws-result")

    # ------------------------------------------------------------------ plain methods
    def method_call(self, recv: Val, recv_node: Node | None, method: str, args: list[Val],  # noqa: C901, PLR0912, PLR0917 -- method calls by receiver kind, in the order the library tables rank them
                    arg_nodes: list[Node], node: Node) -> Val:
        if method in {"then", "catch", "finally"}:
            for arg in args:
                if arg.kind == "function":
                    return self.call_function(arg, [recv if method == "then" else CLEAN], node)
            return recv
        if method in _ITERATORS:
            element = self.element(recv, recv_node)
            out = CLEAN
            for arg in args:
                if arg.kind == "function":
                    out = join(out, self.call_function(arg, [element, CLEAN], node))
            return data_of(recv, out) if method in ("map", "flatMap", "reduce") else \
                element if method == "find" else data_of(recv) if method == "filter" else CLEAN
        if method in ("push", "set", "add", "unshift", "setItem") and recv_node is not None:
            root = recv_node
            while root.type in ("member_expression", "subscript_expression"):
                inner = root.child_by_field_name("object")
                if inner is None:
                    break
                root = inner
            scope = self.scope.find(self.text(root)) if root.type == "identifier" else None
            stored = data_of(*args)
            if scope is not None and scope.module_level and not self.scope.module_level and stored.taints:
                self.hit("store", f"module-level {self.text(root)}.{method}()", node, stored)
            return CLEAN
        recv_text = self.text(recv_node) if recv_node is not None else ""
        last = recv_text.rsplit(".", 1)[-1].lower()
        if method in m.LOG_METHODS and (last in m.LOGGER_NAMES or last.endswith("logger")):
            for arg in args:
                self.hit("log", f"{recv_text}.{method}()", node, arg)
            return CLEAN
        if method in m.VALIDATOR_METHODS and recv.kind != "aws-result" and recv_text not in ("JSON", "Date") \
                and any(t.kind in ("event", "param") for a in args for t in a.taints) and not recv.taints:
            self.summary.validates = True
            if method in ("safeParse", "safeParseAsync", "validate"):
                return data_of(*args[:1])
            return data_of(*args[:1])
        if method in m.SQL_METHOD_NAMES and args:
            first = args[0]
            sql = first.field_val("sql") if first.fields is not None else first
            if sql is not None and sql.taints and any(k in f" {sql.text.lower()} " for k in m.SQL_TEXT):
                self.hit("sql", f"{recv_text or 'db'}.{method}()", node, sql)
                return CLEAN
        row = m.KIND_METHODS["mongo-collection"].get(method)
        if row is not None and recv.kind is None and not recv.taints \
                and _model_filter(self, recv_text.rsplit(".", 1)[-1], arg_nodes):
            self.sink(row, f"{recv_text}.{method}()", args, arg_nodes, node)
            return CLEAN
        if method in ("startsWith", "endsWith", "includes", "indexOf", "test", "match", "has", "localeCompare"):
            return CLEAN
        if method in _STRING_METHODS or recv.taints:
            for arg in args:
                if arg.kind == "function":
                    self.call_function(arg, [CLEAN], node)
            if method in ("toString",) and recv.taints:
                return stringify(recv)
            return stringify(data_of(recv, *(args if method in ("concat", "join", "replace") else ())))
        for arg in args:
            if arg.kind == "function":
                self.call_function(arg, [CLEAN, CLEAN], node)
        return data_of(*args)


_EXITS = ("return_statement", "throw_statement", "continue_statement", "break_statement")
"""Statements after which the rest of the enclosing block does not run: `continue` in a `Records` loop skips a
bad message exactly as `return` rejects a bad request, so a check ending in either guards what follows."""


def _exits(node: Node) -> bool:
    if node.type in _EXITS:
        return True
    if node.type == "statement_block":
        return any(c.type in _EXITS for c in node.named_children)
    return False


_MODEL_NAME = re.compile(r"(?:[mM]odel|[cC]ollection)$|^[A-Z][A-Za-z0-9]*$")
"""How code names a Mongoose model or MongoDB collection it imported (`User`, `signupModel`, `ordersCollection`)."""
_ORM_OPTIONS = frozenset({"where", "select", "include", "data", "relations", "order", "attributes"})
"""Top-level keys of a Sequelize / TypeORM / Prisma options object: a filter under `where` is not a Mongo one."""


def _model_filter(fa: JsFunction, receiver: str, arg_nodes: list[Node]) -> bool:
    """`User.findOne({ email })` on a model this analysis cannot resolve (defined in a file not scanned): the
    receiver is named like a model and the first argument is a literal filter object, not ORM options."""
    if not arg_nodes or arg_nodes[0].type != "object" or not _MODEL_NAME.search(receiver):
        return False
    keys = {_key_text(fa, p.child_by_field_name("key")) for p in arg_nodes[0].named_children if p.type == "pair"}
    return not keys & _ORM_OPTIONS


def _text_of_request(value: Val) -> bool:
    """A string built from request fields (`` `Hello ${req.query.name}` ``, `req.params.id`), not a whole parsed
    part (`req.body` is an object, which Express answers as JSON)."""
    return value.fields is None and value.kind is None and bool(value.taints) and (
        bool(value.text or value.prefix)
        or all(t.source.rsplit(".", 1)[-1] not in m.REQUEST_FIELDS for t in value.taints))


def _host_fixed(parts: list[Val]) -> bool:
    """Whether the text before the first caller-chosen part fixes a URL's host: a literal `scheme://host/`
    (an untainted unknown, such as a region, standing in for one host character), or a first part that is a
    base URL from the environment or configuration (`${process.env.API_URL}/users/${id}`), as in the Python
    front end. A part already sanitized for URLs keeps its host."""
    lead = ""
    for part in parts:
        if part.taints and not all("url" in t.sanitized for t in part.taints):
            break
        lead += part.const if part.const is not None else (part.prefix or "h")
    first = parts[0]
    if first.taints and not all("url" in t.sanitized for t in first.taints):
        return False
    if "://" in lead:
        return _FIXED_HOST.match(lead) is not None
    return first.const is None


def _slash_led(part: Val) -> bool:
    """Whether every taint of `part` is an event's request path (text that begins with "/")."""
    return bool(part.taints) and part.prefix is None and all(
        t.kind == "event" and _REQUEST_PATH.match(t.source) for t in part.taints)


def _const(text: str) -> Val:
    return Val(const=text, prefix=text, text=text, tmp=text if text.startswith("/tmp") else None)


def _structured(value: Val) -> Val:
    return value.map_taints(lambda t: replace(t, structured=True))


def _pattern_keys(interp: JsFunction, pattern: Node) -> list[str]:
    """The property names an object pattern takes out by name (before its `...rest`)."""
    keys = []
    for prop in pattern.named_children:
        if prop.type == "shorthand_property_identifier_pattern":
            keys.append(interp.text(prop))
        elif prop.type == "pair_pattern" and (key := prop.child_by_field_name("key")) is not None:
            keys.append(_key_text(interp, key))
        elif prop.type == "object_assignment_pattern" and (left := prop.child_by_field_name("left")) is not None:
            keys.append(interp.text(left))
    return keys


def _first_argument(call: Node) -> Node | None:
    args = call.child_by_field_name("arguments")
    return next((a for a in args.named_children if a.type != "comment"), None) if args is not None else None


def _string_value(text: str) -> str:
    if len(text) >= 2 and text[0] in "'\"`" and text[-1] == text[0]:
        inner = text[1:-1]
        if "\\" in inner:
            try:
                return str(json.loads('"' + inner.replace('"', '\\"').replace("\\'", "'") + '"'))
            except ValueError:
                return inner
        return inner
    return text


def _key_text(fa: JsFunction, key: Node) -> str:
    text = fa.text(key)
    if key.type == "string":
        return _string_value(text)
    if key.type == "computed_property_name" and key.named_children:
        value = fa.ev(key.named_children[0])
        return value.const if value.const is not None else text
    return text


def _param_name(fa: JsFunction, node: Node) -> str:
    if node.type in ("required_parameter", "optional_parameter"):
        pattern = node.child_by_field_name("pattern")
        if pattern is not None:
            node = pattern
    if node.type == "assignment_pattern":
        left = node.child_by_field_name("left")
        if left is not None:
            node = left
    return fa.text(node) if node.type == "identifier" else "event"


_FIELD_TAINTS = frozenset({"event", "param", "secret", "exception"})
_CLIENT_KINDS = frozenset({"aws-client", "sql-client", "knex", "sequelize", "mongo", "mongo-collection"})
"""Objects whose methods are sinks or AWS calls: a helper they are passed to runs in place (`call_function`)."""
"""Taints a field read keeps: `event.body`, `secret.password`, `err.stack`."""


def _fn_name(module: JsModule, node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return module.text(name)
    parent = node.parent
    if parent is not None and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        if target is not None:
            return module.text(target)
    if parent is not None and parent.type == "assignment_expression":
        target = parent.child_by_field_name("left")
        if target is not None:
            return module.text(target)
    return "callback"
