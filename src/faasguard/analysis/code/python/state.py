"""The state of one Python function's analysis and the records it makes (hits, issues, AWS calls, /tmp).

`FunctionState` is the base of the Python interpreter (statements.py, expressions.py): it owns the function's
`Summary` and the helpers every part records through. `hit` keeps only taints that matter at a sink of that kind
(core/sinks.py) or that are parameters (substituted at each call site).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from faasguard.analysis.code.core.results import MAX_HITS, CallRec, SinkHit, Summary, TmpEvent
from faasguard.analysis.code.core.sinks import applies
from faasguard.analysis.code.core.values import Arg, ParamRef, Taint, Val
from faasguard.analysis.code.facts import CodeIssue, EnvRef
from faasguard.analysis.code.python.models import TMP_PATHS
from faasguard.analysis.code.python.modules import ModuleInfo
from faasguard.analysis.code.python.secrets import is_secret_name
from faasguard.findings import EvidenceStep
from faasguard.model import Location, Unknown

if TYPE_CHECKING:
    from faasguard.analysis.code.python.analyzer import Analyzer


SECRET_REFERENCE_ENV = re.compile(r"(password|passwd|pwd|token|api_?key|private_?key|credentials?)_?secret$", re.I)
"""`API_KEY_SECRET`, `DB_PASSWORD_SECRET`: the name of the secret that holds the credential, not the credential."""


class FunctionState:
    def __init__(
        self,
        analyzer: Analyzer,
        info: ModuleInfo,
        node: ast.FunctionDef | ast.AsyncFunctionDef | None,
        key: str,
        module_env: dict[str, Val] | None,
    ) -> None:
        self.a = analyzer
        self.info = info
        self.node = node
        self.key = key
        self.is_module = module_env is not None
        self.env: dict[str, Val] = module_env if module_env is not None else {}
        self.globals: dict[str, Val] = module_env if module_env is not None else analyzer.globals_of(info.path)
        self.declared_global: set[str] = set()
        self.preset: dict[int, Val] = {}
        """boto3 objects the caller passes, by parameter index (`Analyzer.summary`'s `clients`)."""
        self.summary = Summary()
        self.summary.modules[str(info.path)] = None
        self.in_finally = 0
        self.depth = 0
        self.entry = False
        self.route = False
        self.batch_event = False
        """The function read `event["Records"]`: a batch from S3, SQS, SNS, DynamoDB or Kinesis, whose return
        value no HTTP caller reads (whatever `statusCode` the code puts in it)."""
        """A web route (its return value is the HTTP response body, HTML by default in Flask)."""
        self.downloads: dict[str, tuple[Taint, ...]] = {}
        """/tmp files this function downloaded from an S3 object the event names (identity → where from): what
        is read back from them is the uploader's content (an archive's member names)."""
        self.stmt: ast.stmt | None = None
        self._dispatch_guards: set[str] = set()
        """Names the current test cleans only by comparing them for equality (`if method == "GET"`)."""
        self._narrow_guards: dict[str, tuple[str, ...]] = {}
        """Names the current test makes safe for some sink kinds only (a URL checked to start with a fixed
        `scheme://host/` is safe to fetch, not to run)."""

    # -- locations
    def loc(self, node: ast.AST) -> Location:
        return Location(
            self.info.display,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0) + 1,
            getattr(node, "end_lineno", None),
        )


    # -- records
    def issue(self, kind: str, message: str, node: ast.AST, evidence: tuple[EvidenceStep, ...] = ()) -> None:
        loc = self.loc(node)
        if len(self.summary.issues) < MAX_HITS:
            self.summary.issues.append(CodeIssue(kind, message, loc, evidence))

    def hit(self, kind: str, sink: str, node: ast.AST, value: Val, cond: str = "") -> None:
        """`value` reaches a sink of `kind` (core/sinks.py) described as `sink`."""
        loc = self.loc(node)
        for taint in value.taints:
            if (taint.kind == "param" or applies(kind, taint, cond)) and len(self.summary.hits) < MAX_HITS:
                self.summary.hits.append(SinkHit(kind, sink, loc, taint, cond))

    def use(self, value: Val, node: ast.AST) -> None:
        """An event field is read (the unvalidated-event check needs the first such place)."""
        for taint in value.taints:
            if taint.whole:
                if taint.kind == "event" and self.summary.event_use is None:
                    self.summary.event_use = self.loc(node)
                elif taint.kind == "param" and taint.param not in self.summary.param_uses:
                    self.summary.param_uses[taint.param] = self.loc(node)

    def argvalue(self, value: Val | None) -> Arg:
        """What a value is as an AWS call argument: a literal, an environment variable, a parameter of the
        function being summarised, or Unknown with the reason."""
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

    def record(
        self, service: str, method: str, operation: str | None, args: dict[str, Val | Arg], node: ast.AST
    ) -> None:
        resolved: list[tuple[str, Arg]] = []
        for name, value in args.items():
            if name == "Key" and service != "s3":
                continue
            resolved.append((name, self.argvalue(value) if isinstance(value, Val) else value))
        if len(self.summary.calls) < MAX_HITS:
            self.summary.calls.append(CallRec(service, method, operation, tuple(resolved), self.loc(node)))

    def env_value(self, name: str, default: str | None, node: ast.AST) -> Val:
        """The value of environment variable `name`: a secret when its name says it holds one (`DB_PASSWORD`,
        `API_KEY`; not `SECRET_ARN`), so logging or returning it is reported like a fetched secret."""
        ref = EnvRef(name, default)
        if not is_secret_name(name) or SECRET_REFERENCE_ENV.search(name):
            return Val(env=ref)
        return Val(env=ref, taints=(Taint("secret", f"os.environ[{name!r}]", self.loc(node), whole=True),))

    def tmp_write(self, target: Val, node: ast.AST, what: str) -> None:
        if target.tmp:
            self.summary.tmp.append(TmpEvent(target.tmp, self.loc(node), self.key, False, self.in_finally > 0, what))

    def tmp_cleanup(self, target: Val, node: ast.AST) -> None:
        if target.kind == TMP_PATHS and target.fields:
            for _, path in target.fields:
                self.tmp_cleanup(path, node)
            return
        token = target.tmp or (target.prefix if (target.prefix or "").startswith("/tmp") else None)
        if token:
            self.summary.tmp.append(TmpEvent(token, self.loc(node), self.key, True, self.in_finally > 0))

    def exec_tmp(self, value: Val, what: str, node: ast.AST, load: bool = False) -> None:
        lead = value.const if value.const is not None else value.prefix
        program = lead.strip().split(" ")[0] if lead else ""
        if program.startswith("/tmp/") or (not program and value.tmp is not None):
            shown = program or "a file under /tmp"
            verb = "loads code from" if load else "runs"
            self.issue(
                "exec-tmp",
                f"{what}() {verb} {shown}; /tmp is writable by anything that ran in this environment before",
                node,
            )


    # -- implemented by the interpreter (statements.py, expressions.py)
    def ev(self, node: ast.expr | None, in_with: bool = False) -> Val:
        raise NotImplementedError

    def fmt(self, parts: list[Val]) -> Val:
        raise NotImplementedError

    def format_template(self, template: str, values: list[Val]) -> Val:
        raise NotImplementedError

    def subscript(self, base: Val, key: Val, node: ast.AST) -> Val:
        raise NotImplementedError

    def web_field(self, base: Val, attr: str, node: ast.AST) -> Val:
        raise NotImplementedError
