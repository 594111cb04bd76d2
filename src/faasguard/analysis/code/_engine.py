# ruff: noqa: N802, N815, PLR0917  (visitor methods are named after the ast node classes)
"""Taint and fact analysis of Python handler code: an abstract interpreter over the standard `ast`.

Written by hand because no maintained library does what we need offline and in-process: follow one Lambda
handler's event through its own modules with summaries, know boto3's object model (clients, resources, tables,
paginators), and report each hop with its line. Semgrep/Bandit-style pattern matching cannot tell a constant
argument list from a formatted shell string, nor a guarded value from an unguarded one.

How it works, in one paragraph: each function is interpreted once, statement by statement, with an environment
mapping names to `Val`s (see _values.py); branches are analysed separately and joined, loops once. A function
other than the entry point is analysed with symbolic parameters (taint kind "param"), giving a `Summary`: which
parameters reach which sinks, what it returns, which AWS calls it makes (arguments possibly `ParamRef`s),
what it writes under /tmp, which secrets it fetches. Each call site instantiates the callee's summary with
the actual arguments, so every function is analysed once however often it is called. Guards (a regex
full-match, an allowlist membership, an `isdigit()` check that returns or raises) clean the guarded name for
the code they dominate, per RULES.md "Guards".
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from faasguard.analysis.code._aws import TRANSFER_METHODS, operation_name
from faasguard.analysis.code._modules import ModuleInfo, parse_module, resolve_import
from faasguard.analysis.code._values import (
    CLEAN,
    Arg,
    ParamRef,
    Taint,
    Val,
    data_of,
    join,
    merge_taints,
    stringify,
)
from faasguard.analysis.code._web import (
    ADAPTER_CALLS,
    ADAPTER_CTORS,
    APIGW_CALLER_IDENTITY,
    APIGW_SET_CONTEXT,
    REQUEST_BODY_METHODS,
    REQUEST_CLEAN_ATTRS,
    REQUEST_GLOBALS,
    REQUEST_STRUCTURED,
    ROUTE_DECORATORS,
    WEB_APPS,
    RouteSpec,
    route_spec,
)
from faasguard.analysis.code.facts import AwsCall, CodeIssue, EnvRef, TaintFlow
from faasguard.findings import EvidenceStep
from faasguard.model import Location, Unknown

MAX_CALL_DEPTH = 24
MAX_HITS = 400
MAX_EVAL_DEPTH = 150

# ------------------------------------------------------------------------------------------- tables

AUTHZ_KEYS = frozenset(
    {"authorization", "x-api-key", "cookie", "cookies", "x-auth-token", "proxy-authorization", "x-amz-security-token"}
)
STRINGY_KEYS = frozenset(
    {
        "body",
        "rawpath",
        "path",
        "rawquerystring",
        "querystringparameters",
        "pathparameters",
        "headers",
        "multivalueheaders",
        "multivaluequerystringparameters",
        "message",
        "subject",
        "key",
        "stagevariables",
        "cookies",
        "resource",
        "httpmethod",
        "query_string_parameters",
        "path_parameters",
        "raw_query_string",
        "raw_path",
        "get_query_string_value",
        "get_header_value",
        "object_key",
        "decoded_body",
    }
)
SERVICE_URL_FIELDS = frozenset({"ResponseURL", "inputS3Url"})
"""Event fields an AWS service fills with its own URL, never the caller: the CloudFormation custom-resource
response URL and the S3 Object Lambda presigned input URL. Fetching them is the documented protocol, not SSRF."""
REQUEST_CONTEXT_HOST_FIELDS = frozenset({"domainName", "stage", "apiId", "domainPrefix"})
"""`requestContext` fields API Gateway sets to the API's own endpoint (the WebSocket callback URL is built from
them); the caller cannot choose a host through them."""
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
SHELL_FUNCS = {
    "os.system": 0,
    "os.popen": 0,
    "subprocess.getoutput": 0,
    "subprocess.getstatusoutput": 0,
    "commands.getoutput": 0,
    "commands.getstatusoutput": 0,
    "asyncio.create_subprocess_shell": 0,
    "os.popen2": 0,
    "os.popen3": 0,
    "popen2.popen2": 0,
}
SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "asyncio.create_subprocess_exec",
    }
)
EXEC_PROGRAM = {
    **{f"os.exec{s}": 0 for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")},
    **{f"os.spawn{s}": 1 for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")},
    "os.posix_spawn": 0,
    "os.posix_spawnp": 0,
}
CODE_FUNCS = {
    "eval": 0,
    "exec": 0,
    "compile": 0,
    "importlib.import_module": 0,
    "__import__": 0,
    "runpy.run_path": 0,
    "runpy.run_module": 0,
    "builtins.eval": 0,
    "builtins.exec": 0,
}
DESER_FUNCS = {
    "pickle.loads": 0,
    "pickle.load": 0,
    "_pickle.loads": 0,
    "_pickle.load": 0,
    "cPickle.loads": 0,
    "cPickle.load": 0,
    "dill.loads": 0,
    "dill.load": 0,
    "marshal.loads": 0,
    "marshal.load": 0,
    "shelve.open": 0,
    "jsonpickle.decode": 0,
    "jsonpickle.loads": 0,
    "yaml.unsafe_load": 0,
    "yaml.full_load": 0,
    "yaml.unsafe_load_all": 0,
    "yaml.full_load_all": 0,
    "pandas.read_pickle": 0,
    "joblib.load": 0,
    "torch.load": 0,
    "cloudpickle.loads": 0,
    "cloudpickle.load": 0,
    "pickle.Unpickler": 0,
}
SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
TEMPLATE_FUNCS = {
    "jinja2.Template": 0,
    "jinja2.environment.Template": 0,
    "mako.template.Template": 0,
    "flask.render_template_string": 0,
    "django.template.Template": 0,
    "jinja2.Environment().from_string": 0,
    "jinja2.environment.Environment().from_string": 0,
}
HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
HTTP_LIBS = ("requests", "httpx")
HTTP_SESSIONS = frozenset(
    {
        "requests.Session()",
        "requests.session()",
        "requests.sessions.Session()",
        "httpx.Client()",
        "httpx.AsyncClient()",
        "aiohttp.ClientSession()",
    }
)
URL_FUNCS = {
    "urllib.request.urlopen": 0,
    "urllib.request.urlretrieve": 0,
    "urllib.urlopen": 0,
    "urllib2.urlopen": 0,
    "http.client.HTTPConnection": 0,
    "http.client.HTTPSConnection": 0,
    "socket.create_connection": 0,
    "aiohttp.request": 1,
    "urllib3.request": 1,
}
PATH_FUNCS = {
    "open": 0,
    "io.open": 0,
    "codecs.open": 0,
    "os.open": 0,
    "os.remove": 0,
    "os.unlink": 0,
    "os.rmdir": 0,
    "os.removedirs": 0,
    "os.rename": 0,
    "os.replace": 0,
    "shutil.copy": 0,
    "shutil.copyfile": 0,
    "shutil.copy2": 0,
    "shutil.move": 0,
    "shutil.rmtree": 0,
    "shutil.copytree": 0,
    "flask.send_file": 0,
    "tarfile.open": 0,
    "zipfile.ZipFile": 0,
    "builtins.open": 0,
}
PATH_DEST = {
    "os.rename": 1,
    "os.replace": 1,
    "shutil.copy": 1,
    "shutil.copyfile": 1,
    "shutil.copy2": 1,
    "shutil.move": 1,
    "shutil.copytree": 1,
}
PATH_METHODS = frozenset(
    {
        "open",
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "unlink",
        "rename",
        "touch",
        "rmdir",
        "mkdir",
        "iterdir",
        "replace",
        "rmtree",
    }
)
CLEAN_FUNCS = frozenset(
    {
        "len",
        "int",
        "float",
        "bool",
        "isinstance",
        "issubclass",
        "hasattr",
        "hash",
        "id",
        "ord",
        "abs",
        "round",
        "type",
        "callable",
        "range",
        "uuid.UUID",
        "uuid.uuid4",
        "uuid.uuid1",
        "decimal.Decimal",
        "datetime.datetime",
        "datetime.date",
        "time.time",
        "math.floor",
        "math.ceil",
        "complex",
        "divmod",
        "bin",
        "hex",
        "oct",
        "chr",
        "psycopg2.sql.Identifier",
        "psycopg2.sql.Literal",
        "psycopg.sql.Identifier",
        "psycopg.sql.Literal",
        "sql.Identifier",
        "sql.Literal",
        "pymysql.converters.escape_string",
        "MySQLdb.escape_string",
        "boto3.dynamodb.conditions.Key",
        "boto3.dynamodb.conditions.Attr",
        "datetime.datetime.fromisoformat",
        "datetime.datetime.strptime",
        "datetime.date.fromisoformat",
        "ipaddress.ip_address",
    }
)
CLEAN_PREFIXES = (
    "hashlib.",
    "hmac.",
    "secrets.",
    "random.",
    "math.",
    "time.",
    "datetime.",
    "uuid.",
    "decimal.",
    "boto3.dynamodb.conditions.",
)
BOOL_METHODS = frozenset(
    {
        "startswith",
        "endswith",
        "isdigit",
        "isnumeric",
        "isdecimal",
        "isalpha",
        "isalnum",
        "isidentifier",
        "isascii",
        "islower",
        "isupper",
        "isspace",
        "count",
        "find",
        "rfind",
        "index",
        "rindex",
        "exists",
        "is_file",
        "is_dir",
        "__len__",
        "__contains__",
        "hexdigest",
        "digest",
        "is_relative_to",
        "fullmatch_ok",
    }
)
GUARD_METHODS = frozenset({"isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isidentifier"})
JSON_LOADS = frozenset(
    {
        "json.loads",
        "json.load",
        "orjson.loads",
        "ujson.loads",
        "simplejson.loads",
        "ast.literal_eval",
        "rapidjson.loads",
    }
)
PATH_SANITIZERS = frozenset(
    {
        "os.path.basename",
        "posixpath.basename",
        "ntpath.basename",
        "werkzeug.utils.secure_filename",
        "werkzeug.secure_filename",
        "secure_filename",
        "pathvalidate.sanitize_filename",
    }
)
NORMALIZERS = frozenset({"os.path.normpath", "os.path.realpath", "os.path.abspath", "posixpath.normpath"})
SHELL_QUOTE = frozenset({"shlex.quote", "pipes.quote", "shlex.join"})
TMP_WRITE_TRANSFER = {"download_file": 2}
SECRET_SUFFIX = re.compile(
    r"(pass(word|wd)?|pwd|secret|token|api_?key|private_?key|secret_?key|access_?key|credentials?)$", re.IGNORECASE
)
SQL_WORDS = re.compile(
    r"\b(select|insert|update|delete|from|where|into|values|drop|create|alter|order\s+by|"
    r"group\s+by|limit|join|set)\b",
    re.IGNORECASE,
)
URL_WITH_HOST = re.compile(r"^[A-Za-z][\w+.-]*://[^/?#{}\s]+[/?#]")
MONGO_METHODS = frozenset(
    {
        "find",
        "find_one",
        "find_one_and_update",
        "find_one_and_delete",
        "find_one_and_replace",
        "update_one",
        "update_many",
        "delete_one",
        "delete_many",
        "count_documents",
        "aggregate",
        "replace_one",
        "distinct",
    }
)
DYNAMO_EXPRESSIONS = (
    "KeyConditionExpression",
    "FilterExpression",
    "ConditionExpression",
    "UpdateExpression",
    "ProjectionExpression",
)
PARTIQL_METHODS = frozenset({"execute_statement", "batch_execute_statement", "execute_transaction"})
RESOLVER_CLASSES = frozenset(
    {
        "APIGatewayRestResolver",
        "APIGatewayHttpResolver",
        "ALBResolver",
        "ApiGatewayResolver",
        "LambdaFunctionUrlResolver",
        "VPCLatticeResolver",
        "VPCLatticeV2Resolver",
        "Router",
        "APIGatewayRouter",
        "BedrockAgentResolver",
        "AppSyncResolver",
    }
)
ROUTE_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "route", "resolver", "options", "any"})
VALIDATE_METHODS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "parse_obj",
        "parse_raw",
        "validate_python",
        "validate_json",
        "model_validate_strings",
    }
)
RESOURCE_OPS = {
    ("s3", "get"): "GetObject",
    ("s3", "put"): "PutObject",
    ("s3", "delete"): "DeleteObject",
    ("s3", "copy_from"): "CopyObject",
    ("s3", "load"): "HeadObject",
    ("s3", "reload"): "HeadObject",
    ("sqs", "receive_messages"): "ReceiveMessage",
    ("sqs", "send_messages"): "SendMessageBatch",
    ("sqs", "delete_messages"): "DeleteMessageBatch",
    ("sqs", "purge"): "PurgeQueue",
    ("sqs", "change_message_visibility_batch"): "ChangeMessageVisibilityBatch",
    ("dynamodb", "load"): "DescribeTable",
    ("dynamodb", "reload"): "DescribeTable",
}
RESOURCE_CTORS = {
    "Table": ("table", ("TableName",)),
    "Bucket": ("bucket", ("Bucket",)),
    "Object": ("object", ("Bucket", "Key")),
    "Queue": ("queue", ("QueueUrl",)),
    "Topic": ("topic", ("TopicArn",)),
    "ObjectSummary": ("object", ("Bucket", "Key")),
    "PlatformEndpoint": ("topic", ("EndpointArn",)),
}
ARG_NAMES = frozenset(
    {
        "Bucket",
        "Key",
        "Prefix",
        "CopySource",
        "Path",
        "Name",
        "Names",
        "TableName",
        "SecretId",
        "QueueUrl",
        "QueueName",
        "TopicArn",
        "TargetArn",
        "FunctionName",
        "StateMachineArn",
        "stateMachineArn",
        "executionArn",
        "StreamName",
        "StreamARN",
        "DeliveryStreamName",
        "EventBusName",
        "KeyId",
        "LogGroupName",
        "ResourceArn",
        "resourceArn",
        "secretArn",
        "RoleArn",
        "UserPoolId",
        "ClusterArn",
        "SecretArn",
        "DBClusterIdentifier",
        "IndexName",
        "Destination",
        "Source",
        "TopicName",
        "ParameterName",
        "database",
        "RequestItems",
        "ApiId",
        "RestApiId",
        "Arn",
        "FileSystemId",
        "WorkGroup",
        "QueueArn",
        "BucketName",
        "ApplicationId",
        "CollectionId",
        "ModelId",
        "modelId",
        "EndpointName",
        "JobName",
        "ClusterName",
        "ServiceName",
        "Repository",
        "repositoryName",
        "DomainName",
        "Id",
    }
)
TRANSFER_POSITIONS = {
    "upload_file": ("Filename", "Bucket", "Key"),
    "download_file": ("Bucket", "Key", "Filename"),
    "upload_fileobj": ("Fileobj", "Bucket", "Key"),
    "download_fileobj": ("Bucket", "Key", "Fileobj"),
    "copy": ("CopySource", "Bucket", "Key"),
}
SUBRESOURCE_TRANSFER = {  # bucket / object helper positions
    ("bucket", "upload_file"): ("Filename", "Key"),
    ("bucket", "download_file"): ("Key", "Filename"),
    ("bucket", "upload_fileobj"): ("Fileobj", "Key"),
    ("bucket", "download_fileobj"): ("Key", "Fileobj"),
    ("bucket", "copy"): ("CopySource", "Key"),
    ("object", "upload_file"): ("Filename",),
    ("object", "download_file"): ("Filename",),
    ("object", "upload_fileobj"): ("Fileobj",),
    ("object", "download_fileobj"): ("Fileobj",),
    ("object", "copy"): ("CopySource",),
}


# ------------------------------------------------------------------------------------------ records


@dataclass(frozen=True, slots=True)
class SinkHit:
    rule: str
    kind: str
    """Sanitiser kind that protects this sink ("shell", "path", "url", "sql", "code", "log", "store"...)."""
    sink: str
    loc: Location
    taint: Taint
    cond: str = ""
    """Extra condition: "structured" (operator injection needs a JSON object)."""


@dataclass(frozen=True, slots=True)
class CallRec:
    service: str
    method: str
    operation: str | None
    args: tuple[tuple[str, Arg], ...]
    loc: Location


@dataclass(frozen=True, slots=True)
class TmpEvent:
    token: str
    loc: Location
    func: str
    cleanup: bool
    in_finally: bool = False
    what: str = ""


@dataclass(frozen=True, slots=True)
class Fetch:
    loc: Location
    what: str
    cached: bool


@dataclass
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
    param_uses: dict[int, Location] = field(default_factory=dict)
    resolves: bool = False
    modules: dict[str, None] = field(default_factory=dict)
    params: tuple[str, ...] = ()
    caches: bool = False


@dataclass
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


# ----------------------------------------------------------------------------------------- helpers


_TEXT = "_faasguard_text"
"""Attribute under which a node keeps its normalised source text: `ast.unparse` is pure Python and the same
nodes are described again for every handler and summary that reaches them (trees are never modified)."""


def _unparse(node: ast.AST, limit: int = 90) -> str:
    text: str | None = node.__dict__.get(_TEXT)
    if text is None:
        try:
            text = ast.unparse(node)
        except Exception:  # very deep or odd nodes: a description only
            return type(node).__name__
        text = " ".join(text.split())
        setattr(node, _TEXT, text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _terminates(body: Sequence[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    if isinstance(last, ast.If):
        return _terminates(last.body) and _terminates(last.orelse)
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        name = _unparse(last.value.func, 200)
        return name.endswith(("abort", "sys.exit", "exit", "raise_error"))
    return False


def _names_in(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id


def _is_anchored(pattern: str | None) -> bool:
    if pattern is None:
        return False
    return (pattern.startswith(("^", "\\A"))) and pattern.endswith(("$", "\\Z", "\\z"))


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Stop(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Analysis of one function abandoned (too deep); the rest of the scan continues."""


# ---------------------------------------------------------------------------------------- analyzer


class Analyzer:
    """Per-application analysis state: parsed modules, module globals, function summaries.

    One Analyzer serves every handler of an application, so shared helpers are summarised once.
    """

    def __init__(self, search_roots: tuple[Path, ...], cwd: Path | None = None) -> None:
        self.search_roots = search_roots
        self.cwd = cwd
        self._globals: dict[Path, dict[str, Val]] = {}
        self._init: dict[Path, Summary] = {}
        self._summaries: dict[str, Summary | None] = {}
        self._routes: dict[Path, dict[str, RouteSpec | None]] = {}
        """Entry points registered by decorators per module: Powertools routes (None: bound by the resolver's
        rules) and web-framework functions (their RouteSpec)."""
        self._depth = 0
        self.diagnostics_modules: dict[Path, ModuleInfo] = {}
        self.secrets: dict[Path, list[CodeIssue]] = {}
        """FG202 findings per module (a module shared by many handlers is scanned once)."""

    # -- modules
    def module(self, path: Path) -> ModuleInfo:
        # asked several times per handler (entry, globals, routes, secrets): the analysis of one application
        # sees one version of each file, parsed (or fetched from the parse cache) and located once
        info = self.diagnostics_modules.get(path)
        if info is None:
            info = self.diagnostics_modules[path] = parse_module(path, self.cwd)
        return info

    def globals_of(self, path: Path) -> dict[str, Val]:
        existing = self._globals.get(path)
        if existing is not None:
            return existing
        env: dict[str, Val] = {}
        self._globals[path] = env  # visible (partial) while computing: import cycles terminate
        info = self.module(path)
        if info.tree is None:
            self._init[path] = Summary()
            return env
        fa = FunctionAnalysis(self, info, None, f"{path}::<module>", env)
        with contextlib.suppress(_Stop, RecursionError):
            fa.run_module(info.tree)
        fa.summary.fetches = [replace(fetch, cached=True) for fetch in fa.summary.fetches]
        fa.summary.tmp = []  # files written once at cold start are not per-invocation data
        self._init[path] = fa.summary
        return env

    def init_summary(self, path: Path) -> Summary:
        self.globals_of(path)
        return self._init.get(path, Summary())

    def routes_of(self, path: Path) -> list[str]:
        self.globals_of(path)
        return list(self._routes.get(path, {}))

    def web_routes(self, path: Path) -> dict[str, RouteSpec]:
        """The functions of the module at `path` that a web framework (Chalice, Flask, Quart, FastAPI) calls."""
        self.globals_of(path)
        return {name: spec for name, spec in self._routes.get(path, {}).items() if spec is not None}

    def add_route(self, path: Path, qualname: str, spec: RouteSpec | None = None) -> None:
        self._routes.setdefault(path, {}).setdefault(qualname, spec)

    # -- functions
    def summary(self, path: Path, qualname: str) -> Summary | None:
        key = f"{path}::{qualname}"
        if key in self._summaries:
            return self._summaries[key]
        info = self.module(path)
        node = info.functions.get(qualname)
        if node is None or self._depth >= MAX_CALL_DEPTH:
            return None
        self._summaries[key] = None  # recursion: a call to a function being analysed is opaque
        self._depth += 1
        try:
            fa = FunctionAnalysis(self, info, node, key, None)
            result: Summary | None = fa.run_function(entry=False)
        except (_Stop, RecursionError):
            result = None
        finally:
            self._depth -= 1
        self._summaries[key] = result
        return result

    def entry(
        self, path: Path, qualname: str, *, route: bool = False, spec: RouteSpec | None = None
    ) -> Summary | None:
        info = self.module(path)
        node = info.functions.get(qualname)
        if node is None:
            return None
        fa = FunctionAnalysis(self, info, node, f"{path}::{qualname}", None)
        try:
            return fa.run_function(entry=True, route=route, spec=spec)
        except (_Stop, RecursionError):
            return None

    def _dispatched(self, modules: dict[str, None], parts: list[Summary]) -> None:
        """A handler that dispatches its event to an app (Powertools `resolve`, a WSGI/ASGI adapter) runs
        every HTTP route the app and its local modules register: analyse each as an entry point."""
        for module_path in list(modules):
            routes = self.routes_of(Path(module_path))
            specs = self._routes.get(Path(module_path), {})
            for route in routes:
                spec = specs.get(route)
                if spec is not None and spec.trigger != "http":
                    continue
                routed = self.entry(Path(module_path), route, route=spec is None, spec=spec)
                if routed is not None:
                    parts.append(routed)
                    modules.update(routed.modules)

    # -- the handler
    def analyze_handler(self, path: Path, function: str) -> HandlerResult | None:
        info = self.module(path)
        node = info.functions.get(function)
        if node is None:
            return None
        spec = self.web_routes(path).get(function)
        summary = self.entry(path, function, spec=spec)
        if summary is None:
            return None
        parts = [summary]
        modules = dict(summary.modules)
        modules[str(path)] = None
        for module_path in list(modules):
            parts.append(self.init_summary(Path(module_path)))
        if summary.resolves:
            self._dispatched(modules, parts)
        result = _finish(self, parts, node, modules)
        if spec is not None:
            result.event_param = next((name for name, how in spec.params if how in ("event", "request")), None)
            result.validated = result.validated or spec.validated
            if spec.service_formed:
                result.event_use = None  # AWS formed the event: nothing caller-shaped to validate (FG511)
        return result

    def app_object(self, path: Path, name: str) -> ast.stmt | None:
        """The module-level statement binding `name` to a web app or a Lambda adapter around one (`app =
        Chalice(...)`, `app = Flask(__name__)`, `handler = Mangum(app)`): a handler string such as `app.app`
        (Chalice, Zappa) or `main.handler` (Mangum) names it instead of a function."""
        value = self.globals_of(path).get(name)
        if value is None or value.kind != "webapp":
            return None
        info = self.module(path)
        assert info.tree is not None
        for stmt in info.tree.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
                stmt, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return stmt
        return None

    def analyze_app(self, path: Path, name: str) -> HandlerResult | None:
        """The handler is a web app object: every HTTP route of the app (and of its local modules:
        blueprints, routers) is an entry point."""
        if self.app_object(path, name) is None:
            return None
        modules: dict[str, None] = {str(path): None}
        parts = [self.init_summary(path)]
        modules.update(parts[0].modules)
        for module_path in list(modules):
            parts.append(self.init_summary(Path(module_path)))
        self._dispatched(modules, parts)
        return _finish(self, parts, None, modules)


def _event_param(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    args = node.args.posonlyargs + node.args.args
    if args and args[0].arg in ("self", "cls") and len(args) > 1:
        return args[1].arg
    return args[0].arg if args else None


def _finish(
    analyzer: Analyzer,
    parts: list[Summary],
    node: ast.FunctionDef | ast.AsyncFunctionDef | None,
    modules: dict[str, None],
) -> HandlerResult:
    flows: dict[tuple[str, int, int], TaintFlow] = {}
    issues: dict[tuple[str, str, int], CodeIssue] = {}
    calls: dict[tuple[object, ...], AwsCall] = {}
    env_reads: dict[str, None] = {}
    validated = any(p.validates for p in parts)
    event_use = next((p.event_use for p in parts if p.event_use is not None), None)
    tmp: list[TmpEvent] = []
    returns_at: dict[str, list[int]] = {}
    for part in parts:
        for hit in part.hits:
            taint = hit.taint
            if not _applies(hit, taint):
                continue
            if hit.rule in ("FG204", "FG207"):
                steps = (
                    EvidenceStep(f"{_label(taint)}: {taint.source}", taint.loc),
                    *taint.steps,
                    EvidenceStep(hit.sink, hit.loc),
                )
                message = _issue_message(hit, taint)
                issues.setdefault((hit.rule, hit.loc.path, hit.loc.line), CodeIssue(hit.rule, message, hit.loc, steps))
                continue
            key = (hit.rule, hit.loc.line, hash(hit.loc.path))
            if hit.rule == "FG506":  # one tainted path used by open() and then os.remove() is one problem
                key = (hit.rule, taint.loc.line, hash(taint.source))
            if key in flows:
                continue
            steps = (
                EvidenceStep(f"event data read: {taint.source}", taint.loc),
                *taint.steps,
                EvidenceStep(f"reaches {hit.sink}", hit.loc),
            )
            flows[key] = TaintFlow(hit.rule, hit.sink, taint.source, hit.loc, steps)
        for issue in part.issues:
            issues.setdefault((issue.rule_id, issue.location.path, issue.location.line), issue)
        for call in part.calls:
            args = {
                name: (Unknown("function parameter") if isinstance(value, ParamRef) else value)
                for name, value in call.args
            }
            ckey = (call.service, call.method, call.loc.path, call.loc.line, tuple(sorted(map(str, args.items()))))
            calls.setdefault(ckey, AwsCall(call.service, call.method, call.operation, args, call.loc))
        for fetch in part.fetches:
            if not fetch.cached:
                issues.setdefault(
                    ("FG206", fetch.loc.path, fetch.loc.line),
                    CodeIssue(
                        "FG206",
                        f"{fetch.what} is fetched on every invocation; fetch it once at init and cache it "
                        "with a refresh",
                        fetch.loc,
                    ),
                )
        env_reads.update(part.env_reads)
        tmp.extend(part.tmp)
        for func, lines in part.returns_at.items():
            returns_at.setdefault(func, []).extend(lines)
    for write in (e for e in tmp if not e.cleanup):
        if not any(_covers(c, write, returns_at) for c in tmp if c.cleanup):
            issues.setdefault(
                ("FG205", write.loc.path, write.loc.line),
                CodeIssue(
                    "FG205",
                    f"{write.what} under /tmp is not removed before the handler returns; the next invocation "
                    "in this warm environment can read it",
                    write.loc,
                ),
            )
    return HandlerResult(
        flows=sorted(flows.values(), key=lambda f: (f.location.path, f.location.line, f.rule_id)),
        issues=sorted(issues.values(), key=lambda i: (i.location.path, i.location.line, i.rule_id)),
        calls=sorted(calls.values(), key=lambda c: (c.location.path, c.location.line, c.method)),
        env_reads=list(env_reads),
        modules=[analyzer.module(Path(m)).display for m in modules],
        event_param=_event_param(node) if node is not None else None,
        validated=validated,
        event_use=event_use,
        module_paths=list(modules),
    )


def _label(taint: Taint) -> str:
    return {"secret": "secret fetched", "environ": "the whole environment", "event": "event data"}.get(
        taint.kind, "value"
    )


def _issue_message(hit: SinkHit, taint: Taint) -> str:
    if hit.rule == "FG204":
        if taint.kind == "secret":
            what = f"a secret ({taint.source})"
        elif taint.kind == "environ":
            what = "the whole environment (os.environ), which holds credentials"
        elif taint.authz:
            what = f"an authorization header ({taint.source})"
        else:
            what = "the whole event"
        return f"{what} is logged by {hit.sink}"
    return (
        f"event data ({taint.source}) is stored in module-level state ({hit.sink}) that survives into the "
        "next invocation in this warm environment"
    )


def _applies(hit: SinkHit, taint: Taint) -> bool:
    if taint.kind == "param":
        return False
    if hit.rule == "FG204":
        return taint.kind in ("secret", "environ") or (taint.kind == "event" and (taint.whole or taint.authz))
    if taint.kind != "event":
        return False
    if "all" in taint.sanitized or hit.kind in taint.sanitized:
        return False
    return not (hit.cond == "structured" and not taint.structured)


def _covers(cleanup: TmpEvent, write: TmpEvent, returns_at: dict[str, list[int]]) -> bool:
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


def compose(outer: Taint, inner: Taint, step: EvidenceStep) -> Taint:
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
    )


# ------------------------------------------------------------------------------ one function's pass


class FunctionAnalysis:
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
        self.summary = Summary()
        self.summary.modules[str(info.path)] = None
        self.in_finally = 0
        self.depth = 0
        self.entry = False
        self.stmt: ast.stmt | None = None
        self._dispatch_guards: set[str] = set()
        """Names the current test cleans only by comparing them for equality (`if method == "GET"`)."""

    # -- locations
    def loc(self, node: ast.AST) -> Location:
        return Location(
            self.info.display,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0) + 1,
            getattr(node, "end_lineno", None),
        )

    # -- entry points
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
        decorators = [_unparse(d, 200) for d in node.decorator_list]
        parsed_model = any(re.search(r"\bevent_parser\b", d) and "model" in d for d in decorators)
        if any(re.search(r"\b(event_parser|validator|validate)\b", d) for d in decorators):
            self.summary.validates = True
        for d in node.decorator_list:
            self._decorator_issues(d)
        event_name = _event_param(node)
        bindings = dict(spec.params) if spec is not None else {}
        for index, name in enumerate(names):
            if entry and spec is not None:
                self.env[name] = self._bound(name, bindings.get(name), spec, node)
            elif entry:
                if route:
                    annotation = positional[index].annotation if index < len(positional) else None
                    typed = annotation is not None and _unparse(annotation) not in (
                        "str",
                        "Optional[str]",
                        "str | None",
                    )
                    self.env[name] = (
                        CLEAN
                        if typed
                        else Val(taints=(Taint("event", f"path parameter {name}", self.loc(node), structured=False),))
                    )
                elif name == event_name and not parsed_model:
                    self.env[name] = Val(taints=(Taint("event", name, self.loc(node), whole=True),))
                else:
                    self.env[name] = CLEAN
            else:
                self.env[name] = Val(
                    taints=(Taint("param", name, self.loc(node), param=index, whole=True),),
                    param=index if index < len(positional) else None,
                )
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.ev(default)
        self.block(node.body)
        if any(re.search(r"\b(lru_cache|cache|cached|ttl_cache|cachedmethod)\b", d) for d in decorators):
            self.summary.caches = True
        if self.summary.caches:
            self.summary.fetches = [replace(f, cached=True) for f in self.summary.fetches]
        return self.summary

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
                        "FG204",
                        "the whole event is logged by Powertools `inject_lambda_context(log_event=True)`",
                        kw.value,
                    )

    # -- records
    def issue(self, rule: str, message: str, node: ast.AST, evidence: tuple[EvidenceStep, ...] = ()) -> None:
        loc = self.loc(node)
        if len(self.summary.issues) < MAX_HITS:
            self.summary.issues.append(CodeIssue(rule, message, loc, evidence))

    def hit(self, rule: str, kind: str, sink: str, node: ast.AST, value: Val, cond: str = "") -> None:
        loc = self.loc(node)
        for taint in value.taints:
            if (taint.kind == "param" or _applies(SinkHit(rule, kind, sink, loc, taint, cond), taint)) and len(
                self.summary.hits
            ) < MAX_HITS:
                self.summary.hits.append(SinkHit(rule, kind, sink, loc, taint, cond))

    def use(self, value: Val, node: ast.AST) -> None:
        """An event field is read (FG511 needs the first such place)."""
        for taint in value.taints:
            if taint.whole:
                if taint.kind == "event" and self.summary.event_use is None:
                    self.summary.event_use = self.loc(node)
                elif taint.kind == "param" and taint.param not in self.summary.param_uses:
                    self.summary.param_uses[taint.param] = self.loc(node)

    # -- statements
    def block(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        self.stmt = stmt
        method = getattr(self, f"s_{type(stmt).__name__}", None)
        if method is not None:
            method(stmt)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.ev(child)

    def s_Expr(self, stmt: ast.Expr) -> None:
        self.ev(stmt.value)

    def s_Return(self, stmt: ast.Return) -> None:
        self.summary.returns_at.setdefault(self.key, []).append(stmt.lineno)
        if stmt.value is not None:
            self.summary.returns = (
                join(self.summary.returns, self.ev(stmt.value))
                if self.summary.returns is not CLEAN
                else self.ev(stmt.value)
            )

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
            step = EvidenceStep(f"{_unparse(target, 40)} = {_unparse(value_node, 70)}", self.loc(stmt))
            value = replace(value, taints=tuple(t.step(step) for t in value.taints))
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
            if isinstance(container, ast.Name) and self._is_module_state(container.id):
                self.store_global(value, f"{container.id}[...]", stmt, key)
            elif isinstance(container, ast.Name):
                current = self.env.get(container.id)
                if current is not None:
                    merged_fields = current.fields
                    const_key = _const_str(target.slice)
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
            self.issue("FG510", f"TLS verification is disabled (`{_unparse(target)} = False`)", stmt)
        if attr == "verify_mode" and value_node is not None and _unparse(value_node).endswith("CERT_NONE"):
            self.issue("FG510", f"TLS certificate verification is disabled (`{_unparse(target)} = CERT_NONE`)", stmt)
        if attr == "_create_default_https_context" and value_node is not None and "unverified" in _unparse(value_node):
            self.issue("FG510", "the default HTTPS context is replaced by an unverified one", stmt)
        base = target.value
        if isinstance(base, ast.Name) and base.id not in ("self", "cls"):
            if self._is_module_state(base.id) or (base.id in self.info.classes and base.id not in self.env):
                self.store_global(value, f"{base.id}.{attr}", stmt)
            elif base.id in self.env:
                current = self.env[base.id]
                self.env[base.id] = replace(current, taints=merge_taints(current.taints, value.taints))

    def _is_module_state(self, name: str) -> bool:
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
        self.hit("FG207", "store", where, node, data_of(value, key))

    def s_If(self, stmt: ast.If) -> None:
        self._dispatch_guards = set()
        test_val = self.ev(stmt.test)
        when_true, when_false = self.guard(stmt.test)
        dispatch = set(self._dispatch_guards)
        tainted_test = bool(test_val.taints) or self._test_reads_taint(stmt.test)
        before = dict(self.env)
        for name in when_true:
            self._clean(name)
        self.block(stmt.body)
        after_body = self.env
        self.env = dict(before)
        self._dispatch_guards = dispatch
        for name in when_false:
            self._clean(name)
        self.block(stmt.orelse)
        after_else = self.env
        body_ends, else_ends = _terminates(stmt.body), _terminates(stmt.orelse)
        if tainted_test and (body_ends or else_ends):
            self.summary.validates = True
        if body_ends and not else_ends:
            self.env = after_else
        elif else_ends and not body_ends:
            self.env = after_body
        else:
            self.env = self._join_envs(after_body, after_else)

    def _reads_taint(self, body: Sequence[ast.stmt]) -> bool:
        return any(
            isinstance(n, ast.Name) and self.env.get(n.id, CLEAN).taints for stmt in body for n in ast.walk(stmt)
        )

    def _test_reads_taint(self, test: ast.expr) -> bool:
        return any(self.env.get(n, CLEAN).taints for n in _names_in(test))

    def _join_envs(self, a: dict[str, Val], b: dict[str, Val]) -> dict[str, Val]:
        out = dict(a)
        for name, value in b.items():
            out[name] = join(out[name], value) if name in out else value
        return out

    def _clean(self, name: str, kinds: tuple[str, ...] = ("all",)) -> None:
        current = self.env.get(name)
        if current is not None and current.taints:
            self.env[name] = replace(current, taints=tuple(t.clean_for(*kinds) for t in current.taints))
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
            ):  # equal to a value that is not the caller's: that value (a dispatch, not a validation: FG511)
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
            if isinstance(op, ast.Eq | ast.NotEq) and "commonpath" in _unparse(test.left):
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
        callee = _unparse(func, 200)
        if isinstance(func, ast.Attribute):
            if func.attr in GUARD_METHODS:
                return self._guarded_names(func.value), []
            if func.attr in ("startswith", "is_relative_to"):
                return self._normalized_names(func.value), []
            if func.attr in ("fullmatch", "match", "search"):
                pattern = self._pattern_of(test, func)
                if func.attr == "fullmatch" or _is_anchored(pattern):
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
            and any(t in _unparse(test.args[1]) for t in ("int", "float", "bool", "UUID"))
        ):
            return self._guarded_names(test.args[0]), []
        return [], []

    def _pattern_of(self, call: ast.Call, func: ast.Attribute) -> str | None:
        if _unparse(func.value) == "re":
            return self.ev(call.args[0]).const if call.args else None
        compiled = self.ev(func.value)
        return compiled.extra if compiled.kind == "regex" else None

    def _guarded_names(self, node: ast.expr) -> list[str]:
        names = [n for n in _names_in(node) if self.env.get(n, CLEAN).taints]
        return names[:1]

    def _normalized_names(self, node: ast.expr) -> list[str]:
        out = []
        for name in _names_in(node):
            value = self.env.get(name, CLEAN)
            if value.taints and all(t.normalized for t in value.taints):
                out.append(name)
        return out

    def s_Assert(self, stmt: ast.Assert) -> None:
        self._dispatch_guards = set()
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
        if not iterable.taints:
            if iterable.tmp:
                return Val(tmp=iterable.tmp)
            return CLEAN
        return Val(
            taints=tuple(t.field(f"{_unparse(node, 60)}[*]", self.loc(node), False, False) for t in iterable.taints)
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
                self.assign(item.optional_vars, value, item.context_expr, stmt)
        self.block(stmt.body)

    s_AsyncWith = s_With

    def s_Try(self, stmt: ast.Try) -> None:
        before = dict(self.env)
        self.block(stmt.body)
        after = self.env
        for handler in stmt.handlers:
            caught = _unparse(handler.type) if handler.type is not None else ""
            if (
                _terminates(handler.body)
                and re.search(r"KeyError|ValueError|JSONDecodeError|TypeError|Validation", caught)
                and self._reads_taint(stmt.body)
            ):
                self.summary.validates = True
            self.env = self._join_envs(before, after)
            if handler.name:
                self.env[handler.name] = CLEAN
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
            bases = " ".join(_unparse(b) for b in stmt.bases)
            self.env[stmt.name] = Val(kind="class", extra=f"{self.info.path}::{stmt.name}", qual=None, text=bases)
            for item in stmt.body:
                if isinstance(item, ast.Assign | ast.AnnAssign) and item.value is not None:
                    self.ev(item.value)

    def s_Import(self, stmt: ast.Import) -> None:
        for alias in stmt.names:
            local = resolve_import(alias.name, 0, self.info.path, self.a.search_roots)
            if alias.asname:
                self.env[alias.asname] = self._module_val(alias.name, local)
            else:
                top = alias.name.split(".")[0]
                top_local = resolve_import(top, 0, self.info.path, self.a.search_roots) if local else None
                self.env[top] = self._module_val(top, top_local)

    def _module_val(self, name: str, local: Path | None) -> Val:
        if local is not None:
            self.summary.modules[str(local)] = None
            return Val(kind="module", extra=str(local), qual=None)
        return Val(qual=name)

    def s_ImportFrom(self, stmt: ast.ImportFrom) -> None:
        module = stmt.module or ""
        local = (
            resolve_import(module, stmt.level, self.info.path, self.a.search_roots) if (module or stmt.level) else None
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
                sub = resolve_import(alias.name, stmt.level, self.info.path, self.a.search_roots)
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
            sub = resolve_import(name, 1, module_path, self.a.search_roots)
            if sub is not None:
                self.summary.modules[str(sub)] = None
                return Val(kind="module", extra=str(sub))
        return CLEAN

    # -- expressions
    def ev(self, node: ast.expr | None, in_with: bool = False) -> Val:
        if node is None:
            return CLEAN
        self.depth += 1
        try:
            if self.depth > MAX_EVAL_DEPTH:
                return CLEAN
            if isinstance(node, ast.Call):
                return self.call(node, in_with)
            method = getattr(self, f"e_{type(node).__name__}", None)
            if method is not None:
                result: Val = method(node)
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
        if base.kind == "module" and base.extra:
            return self._member(Path(base.extra), attr)
        if base.kind == "class" and base.extra:
            path, cls = base.extra.split("::", 1)
            if f"{cls}.{attr}" in self.a.module(Path(path)).functions:
                return Val(kind="func", extra=f"{path}::{cls}.{attr}")
            return Val(qual=f"{cls}.{attr}")
        if base.kind == "instance" and base.extra:
            path, cls = base.extra.split("::", 1)
            if f"{cls}.{attr}" in self.a.module(Path(path)).functions:
                return Val(kind="method", extra=f"{path}::{cls}.{attr}", fields=(("self", base),))
            return base.data()
        if base.qual in REQUEST_GLOBALS and isinstance(node, ast.Attribute):
            base = self._request_global(node.value)
        if base.kind == "webapp" and base.extra == "chalice":
            if attr == "current_request":
                request = Taint("event", _unparse(node, 60), self.loc(node), whole=True)
                return Val(kind="chalice-request", taints=(request,))
            return CLEAN
        if base.kind in ("web-request", "chalice-request") and base.taints:
            return self._web_field(base, attr, node)
        if base.kind == "chalice-s3" and attr == "bucket":
            return CLEAN  # the bucket is the one the decorator names: configuration, not the uploader's choice
        if base.kind == "resolver" and attr in ("current_event", "current_request", "lambda_context"):
            if attr == "lambda_context":
                return CLEAN
            return Val(taints=(Taint("event", f"{_unparse(node, 60)}", self.loc(node), whole=True),))
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
                            _unparse(node, 60),
                            self.loc(node),
                            authz,
                            stringy,
                            _unparse(node.value, 60) if isinstance(node, ast.Attribute) else None,
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

    def _request_global(self, node: ast.AST) -> Val:
        """`flask.request` (or Quart's) read here: the current HTTP request, as a whole-event source."""
        return Val(kind="web-request", taints=(Taint("event", _unparse(node, 40), self.loc(node), whole=True),))

    def _web_field(self, base: Val, attr: str, node: ast.AST) -> Val:
        """A part of an HTTP request object (Chalice `current_request`, `flask.request`, a FastAPI Request)."""
        if attr in REQUEST_CLEAN_ATTRS:
            return CLEAN
        if attr != "context":  # API Gateway's own request context is not caller input to validate (FG511)
            self.use(base, node)
        structured = attr in REQUEST_STRUCTURED
        taints = tuple(
            replace(
                t.field(_unparse(node, 60), self.loc(node), attr.lower() in AUTHZ_KEYS, not structured),
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
            return Val(env=EnvRef(key.const))
        if key.const is not None:
            field_value = base.field_val(key.const)
            if field_value is not None:
                return field_value
        if base.kind == "apigw-context" and key.const is not None:
            if key.const in APIGW_SET_CONTEXT:
                return CLEAN
            if key.const == "identity":
                return Val(kind="apigw-identity", taints=base.taints)
        if base.kind == "apigw-identity" and key.const is not None and key.const not in APIGW_CALLER_IDENTITY:
            return CLEAN
        if base.kind == "request-part" and base.taints:  # request.files["doc"]: an uploaded file
            return replace(self.subscript(replace(base, kind=None), key, node), kind="upload")
        if base.kind == "split-slash" and base.taints:
            return Val(taints=tuple(t.clean_for("path") for t in base.taints))
        if base.kind == "list":
            return Val(taints=base.taints, tmp=base.tmp)
        if not base.taints:
            if base.tmp:
                return Val(tmp=base.tmp)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                return base
            return CLEAN
        self.use(base, node)
        name = (key.const or "").lower()
        authz = name in AUTHZ_KEYS
        stringy = name in STRINGY_KEYS
        base_text = _unparse(node.value, 70) if isinstance(node, ast.Subscript) else None
        taints = tuple(
            t.field(
                _unparse(node, 70) if isinstance(node, ast.Subscript) else t.source,
                self.loc(node),
                authz,
                stringy,
                base_text,
            )
            for t in base.taints
            if t.kind != "environ"
        )
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            taints = tuple(replace(t, whole=o.whole) for t, o in zip(taints, base.taints, strict=False))
        taints = self._service_set(key.const, taints)
        return Val(taints=taints) if taints else CLEAN

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
        else:
            host_fixed = bool(prefix)
        taints = merge_taints(*(p.taints for p in parts))
        taints = tuple(
            replace(t, structured=False, sanitized=t.sanitized | ({"url"} if host_fixed else set())) for t in taints
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
            return self._format_template(left.const, values)
        if isinstance(node.op, ast.Div) and left.kind == "path":
            return Val(kind="path", taints=merge_taints(left.taints, right.taints), tmp=left.tmp, prefix=left.prefix)
        if isinstance(node.op, ast.BitAnd | ast.BitOr) and "condition" in (left.kind, right.kind):
            return Val(kind="condition")
        return data_of(left, right)

    def _format_template(self, template: str, values: list[Val]) -> Val:
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
        self.ev(node.test)
        return join(self.ev(node.body), self.ev(node.orelse))

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

    # -- calls
    def call(self, node: ast.Call, in_with: bool = False) -> Val:
        func = node.func
        receiver: Val | None = None
        method: str | None = None
        if isinstance(func, ast.Attribute):
            receiver = self.ev(func.value)
            if receiver.qual in REQUEST_GLOBALS:
                receiver = self._request_global(func.value)
            method = func.attr
            callee = (
                self.attribute(receiver, method, func)
                if receiver.kind in ("module", "class", "instance")
                else Val(qual=f"{receiver.qual}.{method}" if receiver.qual else None)
            )
        else:
            callee = self.ev(func)
        qual = callee.qual
        args = [self.ev(a) for a in node.args]
        kwargs: dict[str, Val] = {}
        spread: list[Val] = []
        for kw in node.keywords:
            value = self.ev(kw.value)
            if kw.arg is None:
                spread.append(value)
            else:
                kwargs[kw.arg] = value
        for index, arg_node in enumerate(node.args):
            if isinstance(arg_node, ast.Starred):
                args[index] = args[index].data()

        def arg(index: int, name: str | None = None) -> Val | None:
            if name is not None and name in kwargs:
                return kwargs[name]
            return args[index] if 0 <= index < len(args) else None

        self._tls_checks(node, qual, method, kwargs)

        # local functions, classes and methods: instantiate the summary
        if callee.kind in ("func", "method") and callee.extra:
            bound = [callee.field_val("self") or CLEAN] if callee.kind == "method" else []
            return self.instantiate(callee.extra, [*bound, *args], kwargs, spread, node)
        if callee.kind == "class" and callee.extra:
            return self._construct(callee, args, kwargs, spread, node)
        if qual in WEB_APPS:
            return Val(kind="webapp", extra=WEB_APPS[qual])
        if qual in ADAPTER_CTORS:
            return Val(kind="webapp", extra="adapter")
        if qual in ADAPTER_CALLS or (callee.kind == "webapp" and args):
            self.summary.resolves = True  # the event is dispatched to the app: every route runs
            return CLEAN

        if (receiver is not None and receiver.kind == "condition") or qual in (
            "boto3.dynamodb.conditions.Key",
            "boto3.dynamodb.conditions.Attr",
        ):
            return Val(kind="condition")
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and method in ("append", "add", "update", "setdefault", "extend", "insert", "appendleft", "__setitem__")
            and self._is_module_state(func.value.id)
        ):
            self.store_global(data_of(*args, *kwargs.values()), f"{func.value.id}.{method}()", node)
            return CLEAN
        # AWS SDK
        if receiver is not None and method is not None:
            aws = self._aws_call(receiver, method, args, kwargs, node)
            if aws is not None:
                return aws
        if qual in (
            "boto3.client",
            "boto3.resource",
            "boto3.session.Session().client",
            "boto3.Session().client",
            "boto3.session.Session().resource",
            "boto3.Session().resource",
            "aioboto3.client",
        ) or (receiver is not None and receiver.kind == "session" and method in ("client", "resource")):
            return self._boto3_factory(qual or "", method, arg, kwargs, node)
        if qual in ("boto3.Session", "boto3.session.Session"):
            return Val(kind="session")

        result = self._library_call(node, qual, receiver, method, args, kwargs, spread, arg, in_with)
        if result is not None:
            return result

        # generic: the data of the receiver and the arguments flows into the result
        values = [*args, *kwargs.values(), *spread]
        if receiver is not None:
            if method in BOOL_METHODS:
                return CLEAN
            if receiver.taints:
                self.use(receiver, node)
            values.append(receiver)
        if qual is not None and (qual in CLEAN_FUNCS or qual.startswith(CLEAN_PREFIXES)):
            if qual in ("int", "float", "uuid.UUID", "decimal.Decimal", "bool", "datetime.datetime.fromisoformat",
                        "ipaddress.ip_address") and any(v.taints for v in values):
                self.summary.validates = True  # a conversion that raises on bad input is a check
            return CLEAN
        result_val = data_of(*values)
        if qual is not None:
            return replace(result_val, qual=f"{qual}()")
        return result_val

    def _tls_checks(self, node: ast.Call, qual: str | None, method: str | None, kwargs: dict[str, Val]) -> None:
        for name in ("verify", "verify_certs", "verify_ssl", "ssl_verify"):
            value = kwargs.get(name)
            if value is not None and value.kind == "false":
                self.issue("FG510", f"TLS certificate verification is disabled ({name}=False)", node)
                return
        cert = kwargs.get("cert_reqs")
        if cert is not None and (cert.const == "CERT_NONE" or (cert.qual or "").endswith("CERT_NONE")):
            self.issue("FG510", "TLS certificate verification is disabled (cert_reqs=CERT_NONE)", node)
        if qual is not None and qual.endswith("_create_unverified_context"):
            self.issue("FG510", "an unverified SSL context disables certificate and host name checks", node)

    def instantiate(self, key: str, args: list[Val], kwargs: dict[str, Val], spread: list[Val], node: ast.Call) -> Val:
        path, qualname = key.split("::", 1)
        summary = self.a.summary(Path(path), qualname)
        actuals = [*args, *spread]
        if summary is None:
            return data_of(*actuals, *kwargs.values())
        params = summary.params
        bound: dict[int, Val] = {}
        for index, value in enumerate(args):
            bound[index] = value
        for name, value in kwargs.items():
            if name in params:
                bound[params.index(name)] = value
        if spread:
            for index in range(len(params)):
                bound.setdefault(index, data_of(*spread))
        step = EvidenceStep(f"passed to {qualname}() ({_unparse(node, 60)})", self.loc(node))
        s = self.summary
        for hit in summary.hits:
            if hit.taint.kind != "param":
                s.hits.append(hit) if len(s.hits) < MAX_HITS else None
                continue
            actual = bound.get(hit.taint.param)
            if actual is None:
                continue
            for outer in actual.taints:
                new = compose(outer, hit.taint, step)
                candidate = replace(hit, taint=new)
                if (new.kind == "param" or _applies(candidate, new)) and len(s.hits) < MAX_HITS:
                    s.hits.append(candidate)
            if hit.rule == "FG207" and any(t.kind == "secret" for t in actual.taints):
                s.caches = True
        for call in summary.calls:
            s.calls.append(replace(call, args=tuple((n, self._subst(v, bound)) for n, v in call.args)))
        s.issues.extend(summary.issues)
        s.fetches.extend(summary.fetches)
        s.tmp.extend(summary.tmp)
        for func, lines in summary.returns_at.items():
            s.returns_at.setdefault(func, []).extend(lines)
        s.env_reads.update(summary.env_reads)
        s.modules.update(summary.modules)
        s.resolves = s.resolves or summary.resolves
        if summary.caches:
            s.caches = s.caches or False
        if summary.validates and any(v.taints for v in bound.values()):
            s.validates = True
        if summary.event_use is not None and s.event_use is None:
            s.event_use = summary.event_use
        for index, _where in summary.param_uses.items():
            actual = bound.get(index)
            if actual is not None:
                self.use(actual, node)
        returned = summary.returns
        out_taints: list[Taint] = []
        for taint in returned.taints:
            if taint.kind == "param":
                actual = bound.get(taint.param)
                if actual is not None:
                    out_taints.extend(compose(o, taint, step) for o in actual.taints)
            else:
                out_taints.append(taint)
        result = replace(
            returned,
            taints=merge_taints(tuple(out_taints)),
            aws=tuple((n, self._subst(v, bound)) for n, v in returned.aws),
            param=None,
        )
        if returned.param is not None and returned.param in bound:
            base = bound[returned.param]
            result = replace(base, taints=result.taints)
        return result

    def _subst(self, value: Arg, bound: dict[int, Val]) -> Arg:
        if isinstance(value, ParamRef):
            actual = bound.get(value.index)
            return self.argvalue(actual) if actual is not None else Unknown("function parameter not passed")
        return value

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

    def _construct(
        self, callee: Val, args: list[Val], kwargs: dict[str, Val], spread: list[Val], node: ast.Call
    ) -> Val:
        assert callee.extra is not None
        path, cls = callee.extra.split("::", 1)
        is_model = bool(re.search(r"BaseModel|Schema|Model\b|dataclass", callee.text))
        data = data_of(*args, *kwargs.values(), *spread)
        if is_model:
            if data.taints:
                self.summary.validates = True
            return Val(kind="instance", extra=callee.extra)
        instance = Val(kind="instance", extra=callee.extra, taints=data.taints)
        if f"{cls}.__init__" in self.a.module(Path(path)).functions:
            self.instantiate(f"{path}::{cls}.__init__", [instance, *args], kwargs, spread, node)
        return instance

    # -- AWS
    def _boto3_factory(self, qual: str, method: str | None, arg: object, kwargs: dict[str, Val], node: ast.Call) -> Val:
        assert callable(arg)
        service_val = arg(0, "service_name")
        service = service_val.const if service_val is not None else None
        endpoint = kwargs.get("endpoint_url")
        if endpoint is not None:
            self.hit("FG507", "url", f"{qual or method}(endpoint_url=...)", node, endpoint)
        kind = "resource" if (qual.endswith("resource") or method == "resource") else "client"
        if service is None:
            return Val(kind=kind, service=None)
        return Val(kind=kind, service=service)

    def _record(
        self, service: str, method: str, operation: str | None, args: dict[str, Val | Arg], node: ast.AST
    ) -> None:
        resolved: list[tuple[str, Arg]] = []
        for name, value in args.items():
            if name == "Key" and service != "s3":
                continue
            resolved.append((name, self.argvalue(value) if isinstance(value, Val) else value))
        if len(self.summary.calls) < MAX_HITS:
            self.summary.calls.append(CallRec(service, method, operation, tuple(resolved), self.loc(node)))

    def _resource_args(self, kwargs: dict[str, Val]) -> dict[str, Val | Arg]:
        return {
            name: value
            for name, value in kwargs.items()
            if name in ARG_NAMES or name.endswith(("Name", "Arn", "ARN", "Url", "Identifier"))
        }

    def _aws_call(
        self, receiver: Val, method: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call
    ) -> Val | None:
        kind, service = receiver.kind, receiver.service
        if kind == "client" and service:
            return self._client_call(service, method, args, kwargs, node)
        if kind == "resource" and service:
            if method in RESOURCE_CTORS:
                sub_kind, names = RESOURCE_CTORS[method]
                aws = tuple(
                    (name, self.argvalue(args[i] if i < len(args) else kwargs.get(name)))
                    for i, name in enumerate(names)
                )
                return Val(kind=sub_kind, service=service, aws=aws)
            if method == "get_queue_by_name":
                self._record(service, method, "GetQueueUrl", self._resource_args(kwargs), node)
                return Val(kind="queue", service=service, aws=(("QueueUrl", Unknown("looked up by name")),))
            operation = operation_name(service, method)
            if operation is not None:
                self._record(service, method, operation, self._resource_args(kwargs), node)
                return CLEAN
            return Val(kind="resource-sub", service=service)
        if kind in ("table", "bucket", "object", "queue", "topic", "batch_writer", "collection") and service:
            base = dict(receiver.aws)
            if kind == "table" and method == "batch_writer":
                return Val(kind="batch_writer", service=service, aws=receiver.aws)
            if kind == "bucket" and method == "Object":
                key = args[0] if args else kwargs.get("key")
                return Val(kind="object", service=service, aws=(*receiver.aws, ("Key", self.argvalue(key))))
            transfer = SUBRESOURCE_TRANSFER.get((kind, method))
            merged: dict[str, Val | Arg] = dict(base)
            if transfer is not None:
                for index, name in enumerate(transfer):
                    value = args[index] if index < len(args) else kwargs.get(name)
                    if value is not None and name in ("Key", "CopySource"):
                        merged[name] = value
                    if name == "Filename" and value is not None:
                        self._local_file(method, value, node)
                self._record(
                    service, f"{kind}.{method}" if kind != "object" else f"object.{method}", None, merged, node
                )
                return CLEAN
            if kind == "batch_writer":
                if method in ("put_item", "delete_item"):
                    self._record(service, f"batch_writer.{method}", "BatchWriteItem", merged, node)
                return CLEAN
            if kind == "collection":
                operation = "DeleteObjects" if method == "delete" else "ListObjects"
                if method in ("all", "filter", "limit", "page_size", "delete"):
                    merged.update(self._resource_args(kwargs))
                    self._record(service, f"objects.{method}", operation, merged, node)
                return CLEAN
            operation = RESOURCE_OPS.get((service, method)) or operation_name(service, method)
            if operation is None:
                return CLEAN
            merged.update(self._resource_args(kwargs))
            self._record(service, method, operation, merged, node)
            self._dynamo_checks(service, method, kwargs, node)
            if kind == "object" and method == "get" and any(
                isinstance(v, Unknown) and "event" in v.reason for _, v in receiver.aws
            ):
                    return Val(
                        taints=(Taint("event", "S3 object named by the event", self.loc(node), structured=False),)
                    )
            return CLEAN
        if kind == "paginator" and service and method == "paginate":
            name = receiver.extra or "?"
            self._record(
                service, f"get_paginator({name})", operation_name(service, name), self._resource_args(kwargs), node
            )
            return CLEAN
        return None

    def _client_call(self, service: str, method: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call) -> Val:
        if method == "get_paginator":
            name = args[0].const if args else (kwargs["operation_name"].const if "operation_name" in kwargs else None)
            return Val(kind="paginator", service=service, extra=name)
        if method in ("get_waiter", "can_paginate", "close"):
            return CLEAN
        if method in ("generate_presigned_url", "generate_presigned_post"):
            target = args[0].const if args else (kwargs["ClientMethod"].const if "ClientMethod" in kwargs else None)
            params = kwargs.get("Params")
            fields: dict[str, Val | Arg] = dict(params.fields or ()) if params is not None else {}
            if method == "generate_presigned_post":
                fields = {
                    "Bucket": kwargs.get("Bucket") or (args[0] if args else CLEAN),
                    "Key": kwargs.get("Key") or (args[1] if len(args) > 1 else CLEAN),
                }
                target = "put_object"
            self._record(
                service,
                f"{method}({target})",
                operation_name(service, target) if target else None,
                {k: v for k, v in fields.items() if k in ARG_NAMES},
                node,
            )
            return CLEAN
        if method in TRANSFER_METHODS:
            positions = TRANSFER_POSITIONS[method]
            merged: dict[str, Val | Arg] = {}
            for index, name in enumerate(positions):
                value = args[index] if index < len(args) else kwargs.get(name)
                if value is not None and name in ("Bucket", "Key", "CopySource"):
                    merged[name] = value
                if name == "Filename" and value is not None:
                    self._local_file(method, value, node)
            self._record(service, method, None, merged, node)
            return CLEAN
        operation = operation_name(service, method)
        if operation is None:
            return CLEAN
        self._record(service, method, operation, self._resource_args(kwargs), node)
        self._dynamo_checks(service, method, kwargs, node)
        if (service == "secretsmanager" and method == "get_secret_value") or (
            service == "ssm"
            and method in ("get_parameter", "get_parameters", "get_parameters_by_path")
            and kwargs.get("WithDecryption", CLEAN).kind == "true"
        ):
            ident = kwargs.get("SecretId") or kwargs.get("Name") or kwargs.get("Names") or kwargs.get("Path")
            label = f"{service}.{method}({_shorten(str(self.argvalue(ident)), 50)})"
            self.summary.fetches.append(Fetch(self.loc(node), f"secret {label}", False))
            return Val(taints=(Taint("secret", label, self.loc(node), whole=True),), kind="secret-holder")
        if service == "kms" and method == "decrypt":
            return Val(taints=(Taint("secret", "kms.decrypt(...)", self.loc(node), whole=True),))
        if service == "s3" and method == "get_object":
            key = kwargs.get("Key")
            if key is not None and any(t.kind == "event" for t in key.taints):
                return Val(
                    taints=(
                        Taint(
                            "event", f"S3 object {_shorten(key.taints[0].source, 50)}", self.loc(node), structured=False
                        ),
                    )
                )
        return CLEAN

    def _dynamo_checks(self, service: str, method: str, kwargs: dict[str, Val], node: ast.Call) -> None:
        if service != "dynamodb":
            return
        for name in DYNAMO_EXPRESSIONS:
            value = kwargs.get(name)
            if value is not None and value.kind != "condition" and value.taints:
                self.hit("FG504", "nosql", f"{method}({name}=...)", node, stringify(value))
        if method in PARTIQL_METHODS:
            statement = kwargs.get("Statement")
            if statement is not None:
                self.hit("FG504", "nosql", f"{method}(Statement=...)", node, stringify(statement))

    def _local_file(self, method: str, value: Val, node: ast.Call) -> None:
        self.hit("FG506", "path", f"{method}(Filename=...)", node, value)
        if method.startswith("download") and value.tmp:
            self.summary.tmp.append(
                TmpEvent(value.tmp, self.loc(node), self.key, False, self.in_finally > 0, f"the file {method} writes")
            )

    # -- library calls (sinks, sanitisers, sources)
    def _library_call(
        self,
        node: ast.Call,
        qual: str | None,
        receiver: Val | None,
        method: str | None,
        args: list[Val],
        kwargs: dict[str, Val],
        spread: list[Val],
        arg: object,
        in_with: bool,
    ) -> Val | None:
        assert callable(arg)
        q = qual or ""
        # environment
        if q in ("os.getenv", "os.environ.get", "os.environ.setdefault") and args and args[0].const is not None:
            self.summary.env_reads[args[0].const] = None
            default = args[1].const if len(args) > 1 else None
            return Val(env=EnvRef(args[0].const, default))
        if q in ("os.environ.copy", "dict", "os.environ.items", "os.environ.keys", "os.environ.values") and (
            (receiver is not None and receiver.kind == "environ") or (args and args[0].kind == "environ")
        ):
            return Val(kind="environ", taints=(receiver or args[0]).taints)
        # logging (FG204)
        if self._is_log(q, receiver, method, node):
            for value in [*args, *kwargs.values()]:
                self.hit("FG204", "log", f"{_unparse(node.func, 40)}()", node, value)
            return CLEAN
        # command injection and /tmp execution
        if q in SHELL_FUNCS:
            command = arg(SHELL_FUNCS[q], "cmd") or arg(0, "command")
            if command is not None:
                self.hit("FG501", "shell", f"{q}()", node, command)
                self._exec_tmp(command, q, node)
            return data_of(*args)
        if q in SUBPROCESS:
            self._subprocess(q, node, args, kwargs)
            return CLEAN if q != "subprocess.check_output" else data_of(*args)
        if q in EXEC_PROGRAM:
            program = arg(EXEC_PROGRAM[q], "path")
            if program is not None:
                self.hit("FG501", "shell", f"{q}()", node, program)
                self._exec_tmp(program, q, node)
            return CLEAN
        # code injection
        if q in CODE_FUNCS:
            source = arg(CODE_FUNCS[q], "source" if q != "importlib.import_module" else "name")
            if source is not None:
                self.hit("FG502", "code", f"{q}()", node, source)
            if q.startswith("runpy") and source is not None:
                self._exec_tmp(source, q, node, load=True)
            return data_of(*args)
        if q in (
            "importlib.util.spec_from_file_location",
            "imp.load_source",
            "ctypes.CDLL",
            "ctypes.cdll.LoadLibrary",
            "ctypes.CDLL",
            "ctypes.PyDLL",
            "imp.load_dynamic",
            "zipimport.zipimporter",
        ):
            location = arg(
                1 if q in ("importlib.util.spec_from_file_location", "imp.load_source", "imp.load_dynamic") else 0
            )
            if location is not None:
                self._exec_tmp(location, q, node, load=True)
            return CLEAN
        if q in ("sys.path.insert", "sys.path.append") and args:
            self._exec_tmp(args[-1], q, node, load=True)
            return CLEAN
        # deserialisation
        if q in DESER_FUNCS:
            data = arg(DESER_FUNCS[q])
            if data is not None:
                self.hit("FG505", "deser", f"{q}()", node, data)
            return data_of(*args)
        if q in ("yaml.load", "yaml.load_all"):
            loader = kwargs.get("Loader") or (args[1] if len(args) > 1 else None)
            loader_name = (loader.qual or loader.const or "") if loader is not None else ""
            if not loader_name.endswith(SAFE_YAML_LOADERS) and args:
                self.hit("FG505", "deser", f"{q}(Loader={loader_name.rsplit('.', 1)[-1] or 'default'})", node, args[0])
            return replace(
                data_of(*args[:1]), taints=tuple(replace(t, structured=True) for t in data_of(*args[:1]).taints)
            )
        if q == "numpy.load" and kwargs.get("allow_pickle", CLEAN).kind == "true" and args:
            self.hit("FG505", "deser", "numpy.load(allow_pickle=True)", node, args[0])
            return CLEAN
        # templates
        if q in TEMPLATE_FUNCS or (
            method == "from_string"
            and (receiver is not None)
            and (receiver.qual or "").startswith(("jinja2.Environment(", "jinja2.environment"))
        ):
            source = arg(0, "source") or arg(0, "text")
            if source is not None:
                self.hit("FG508", "template", f"{q or method}()", node, source)
            return CLEAN
        # SSRF
        if q == "urllib.request.Request":  # the request goes where its URL says; a tainted body is not SSRF
            url_arg = arg(0, "url")
            return url_arg.data() if url_arg is not None else CLEAN
        ssrf = self._url_arg(q, receiver, method, arg)
        if ssrf is not None:
            name, url = ssrf
            if url is not None:
                self.hit("FG507", "url", f"{name}()", node, url)
                if q == "urllib.request.urlretrieve" and len(args) > 1 and args[1].tmp:
                    self.summary.tmp.append(
                        TmpEvent(
                            args[1].tmp,
                            self.loc(node),
                            self.key,
                            False,
                            self.in_finally > 0,
                            "the file urlretrieve writes",
                        )
                    )
            return CLEAN
        if q in (
            "requests.Session",
            "requests.session",
            "httpx.Client",
            "httpx.AsyncClient",
            "aiohttp.ClientSession",
            "urllib3.PoolManager",
            "requests.sessions.Session",
        ):
            return Val(qual=f"{q}()")
        # SQL
        if (
            method in ("execute", "executemany", "executescript", "mogrify")
            and args
            and (receiver is None or receiver.kind not in ("client",))
        ):
            self._sql(args[0], f"{_unparse(node.func, 40)}()", node, receiver)
            return CLEAN if method != "mogrify" else data_of(args[0])
        if (
            method == "query"
            and args
            and args[0].text
            and (receiver is None or receiver.kind not in ("client", "table", "resource"))
        ):  # sqlite_utils / records / dataset / pg8000 `db.query(sql)`: only a string built with SQL in it
            self._sql(args[0], f"{_unparse(node.func, 40)}()", node, receiver)
        if (
            q
            in (
                "sqlalchemy.text",
                "sqlalchemy.sql.text",
                "sqlalchemy.sql.expression.text",
                "pandas.read_sql",
                "pandas.read_sql_query",
            )
            and args
        ):
            self._sql(args[0], f"{q}()", node, None, force=True)
            return Val(taints=args[0].taints)
        # MongoDB operator injection
        if (
            method in MONGO_METHODS
            and args
            and receiver is not None
            and receiver.const is None
            and not (receiver.taints and method == "find")
            and receiver.kind not in ("client", "table")
        ):
            filt = args[0]
            is_filter = (
                isinstance(node.args[0], ast.Dict)
                or receiver.qual is not None
                or re.search(
                    r"coll|db|mongo|users|table",
                    _unparse(node.func.value if isinstance(node.func, ast.Attribute) else node.func).lower(),
                )
                is not None
            )
            if is_filter:
                if isinstance(node.args[0], ast.Dict) and filt.fields is not None:
                    for key, value in filt.fields:
                        if key == "$where":
                            self.hit("FG504", "nosql", f"{method}($where)", node, stringify(value))
                        else:
                            self.hit("FG504", "nosql", f"{method}() filter", node, value, "structured")
                else:
                    self.hit("FG504", "nosql", f"{method}() filter", node, filt, "structured")
            return CLEAN
        # paths (FG506) and /tmp writes (FG205)
        path_result = self._paths(q, receiver, method, args, kwargs, node, arg, in_with)
        if path_result is not None:
            return path_result
        # sanitisers and sources
        return self._transforms(q, receiver, method, args, kwargs, spread, node)

    def _is_log(self, q: str, receiver: Val | None, method: str | None, node: ast.Call) -> bool:
        if q in ("print", "pprint.pprint", "pprint", "sys.stdout.write", "sys.stderr.write", "builtins.print"):
            return True
        if method not in LOG_METHODS:
            return False
        if q.startswith(("logging.", "aws_lambda_powertools", "structlog", "loguru")):
            return True
        text = _unparse(node.func, 80).lower()
        return "log" in text.rsplit(".", 1)[0]

    def _subprocess(self, q: str, node: ast.Call, args: list[Val], kwargs: dict[str, Val]) -> None:
        command_node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "args"), None)
        command = args[0] if args else kwargs.get("args")
        if command is None or command_node is None:
            return
        shell = kwargs.get("shell")
        shell_on = shell is not None and (shell.kind == "true" or bool(shell.taints))
        if shell_on:
            self.hit("FG501", "shell", f"{q}(shell=True)", node, command)
            self._exec_tmp(command, q, node)
            return
        if isinstance(command_node, ast.List | ast.Tuple):
            elements = [self.ev(e) for e in command_node.elts]
            if elements:
                self.hit("FG501", "program", f"{q}() program", node, elements[0])
                self._exec_tmp(elements[0], q, node)
                first = (elements[0].const or "").rsplit("/", 1)[-1]
                if first in ("sh", "bash", "zsh", "dash", "ksh") and len(elements) > 2 and elements[1].const == "-c":
                    self.hit("FG501", "shell", f"{q}([{first}, '-c', ...])", node, elements[2])
            return
        if command.kind == "list" and command.fields:
            program = command.field_val("0")
            if program is not None:
                self.hit("FG501", "program", f"{q}() program", node, program)
                self._exec_tmp(program, q, node)
            return
        if command.kind == "list" or command.qual == "shlex.split()":
            return
        self.hit("FG501", "program", f"{q}() program", node, command)
        self._exec_tmp(command, q, node)

    def _exec_tmp(self, value: Val, what: str, node: ast.AST, load: bool = False) -> None:
        lead = value.const if value.const is not None else value.prefix
        program = lead.strip().split(" ")[0] if lead else ""
        if program.startswith("/tmp/") or (not program and value.tmp is not None):
            shown = program or "a file under /tmp"
            verb = "loads code from" if load else "runs"
            self.issue(
                "FG509",
                f"{what}() {verb} {shown}; /tmp is writable by anything that ran in this environment before",
                node,
            )

    def _url_arg(self, q: str, receiver: Val | None, method: str | None, arg: object) -> tuple[str, Val | None] | None:
        assert callable(arg)
        lib = q.split(".", 1)[0]
        if lib in HTTP_LIBS and q.count(".") == 1:
            verb = q.split(".", 1)[1]
            if verb in HTTP_VERBS or verb == "stream":
                return q, arg(0, "url")
            if verb == "request":
                return q, arg(1, "url")
        if receiver is not None and (receiver.qual or "") in HTTP_SESSIONS | {"urllib3.PoolManager()"} and method:
            if method in HTTP_VERBS:
                return f"{receiver.qual}.{method}", arg(0, "url")
            if method in ("request", "urlopen", "stream"):
                return f"{receiver.qual}.{method}", arg(1, "url")
        if q in URL_FUNCS:
            index = URL_FUNCS[q]
            return q, arg(max(index, 0), "url") or arg(0, "host")
        return None

    def _sql(self, query: Val, sink: str, node: ast.Call, receiver: Val | None, force: bool = False) -> None:
        if not query.taints:
            return
        formatted = bool(query.text) and SQL_WORDS.search(query.text) is not None
        whole = not query.text
        receiver_text = _unparse(node.func, 60).lower()
        db_like = re.search(r"cur|conn|db|session|engine|sql|con\b|c\.", receiver_text) is not None
        if force or formatted or (whole and db_like):
            self.hit("FG503", "sql", sink, node, query)

    def _paths(
        self,
        q: str,
        receiver: Val | None,
        method: str | None,
        args: list[Val],
        kwargs: dict[str, Val],
        node: ast.Call,
        arg: object,
        in_with: bool,
    ) -> Val | None:
        assert callable(arg)
        if q in PATH_FUNCS:
            target = arg(PATH_FUNCS[q], "file") or arg(0, "path") or arg(0, "name")
            if target is not None:
                self.hit("FG506", "path", f"{q}()", node, target)
            if q in PATH_DEST:
                dest = arg(PATH_DEST[q], "dst")
                if dest is not None:
                    self.hit("FG506", "path", f"{q}()", node, dest)
                    if dest.tmp:
                        self._tmp_write(dest, node, f"the file {q} writes")
            if q in ("open", "io.open", "codecs.open", "builtins.open") and target is not None:
                mode = arg(1, "mode")
                mode_text = mode.const if mode is not None and mode.const is not None else "r"
                if any(c in mode_text for c in "wax+") and target.tmp:
                    self._tmp_write(target, node, f"a file opened for writing ({mode_text!r})")
                return CLEAN
            if q in ("os.remove", "os.unlink", "shutil.rmtree", "os.rmdir", "os.removedirs") and target is not None:
                self._tmp_cleanup(target, node)
            if q == "os.makedirs" and target is not None and target.tmp:
                return CLEAN
            return CLEAN
        if q in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path", "pathlib.PurePosixPath"):
            data = data_of(*args)
            first = args[0] if args else CLEAN
            tmp = first.tmp or (first.prefix if (first.prefix or "").startswith("/tmp") else None)
            return Val(kind="path", taints=data.taints, tmp=tmp, prefix=first.prefix, const=first.const)
        if receiver is not None and receiver.kind == "path" and method is not None:
            if method in ("resolve", "absolute"):
                return replace(receiver, taints=tuple(replace(t, normalized=True) for t in receiver.taints))
            if method in ("joinpath", "with_name", "with_suffix"):
                return replace(receiver, taints=merge_taints(receiver.taints, data_of(*args).taints))
            if method in PATH_METHODS:
                self.hit("FG506", "path", f"Path.{method}()", node, receiver)
                if method in ("write_text", "write_bytes", "touch") and receiver.tmp:
                    self._tmp_write(receiver, node, f"a file written by Path.{method}")
                if method == "open" and args and any(c in (args[0].const or "") for c in "wax+") and receiver.tmp:
                    self._tmp_write(receiver, node, "a file opened for writing")
                if method in ("unlink", "rmdir", "rmtree"):
                    self._tmp_cleanup(receiver, node)
                return CLEAN
            if method in ("exists", "is_file", "is_dir", "stat"):
                return CLEAN
        if q in ("tempfile.mkstemp",):
            token = f"mkstemp@{node.lineno}"
            self.summary.tmp.append(
                TmpEvent(
                    token,
                    self.loc(node),
                    self.key,
                    False,
                    self.in_finally > 0,
                    "a temporary file from tempfile.mkstemp()",
                )
            )
            return Val(kind="list", fields=(("0", CLEAN), ("1", Val(tmp=token))))
        if q in ("tempfile.mkdtemp",):
            return Val(tmp=f"mkdtemp@{node.lineno}")
        if q in ("tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"):
            delete = kwargs.get("delete") or kwargs.get("delete_on_close")
            if q == "tempfile.NamedTemporaryFile" and delete is not None and delete.kind == "false":
                token = f"ntf@{node.lineno}"
                self.summary.tmp.append(
                    TmpEvent(
                        token,
                        self.loc(node),
                        self.key,
                        False,
                        self.in_finally > 0,
                        "a temporary file created with delete=False",
                    )
                )
                return Val(kind="tmpfile", tmp=token)
            return CLEAN
        if q in ("tempfile.gettempdir", "tempfile.TemporaryDirectory"):
            return Val(const=None, prefix="/tmp", tmp="/tmp") if q == "tempfile.gettempdir" else CLEAN
        if method == "extractall" and receiver is not None:
            target = arg(0, "path")
            if target is not None and target.tmp:
                self._tmp_write(target, node, "an archive extracted")
            return CLEAN
        if method in ("cleanup",) and receiver is not None and receiver.tmp:
            self._tmp_cleanup(receiver, node)
            return CLEAN
        return None

    def _tmp_write(self, target: Val, node: ast.AST, what: str) -> None:
        if target.tmp:
            self.summary.tmp.append(TmpEvent(target.tmp, self.loc(node), self.key, False, self.in_finally > 0, what))

    def _tmp_cleanup(self, target: Val, node: ast.AST) -> None:
        token = target.tmp or (target.prefix if (target.prefix or "").startswith("/tmp") else None)
        if token:
            self.summary.tmp.append(TmpEvent(token, self.loc(node), self.key, True, self.in_finally > 0))

    def _transforms(
        self,
        q: str,
        receiver: Val | None,
        method: str | None,
        args: list[Val],
        kwargs: dict[str, Val],
        spread: list[Val],
        node: ast.Call,
    ) -> Val | None:
        first = args[0] if args else (next(iter(kwargs.values())) if kwargs else CLEAN)
        if q in SHELL_QUOTE:
            return Val(taints=tuple(t.clean_for("shell") for t in first.taints))
        if q in PATH_SANITIZERS or q.endswith(".secure_filename"):
            return Val(taints=tuple(t.clean_for("path") for t in first.taints))
        if q in NORMALIZERS:
            return Val(
                taints=tuple(replace(t, normalized=True) for t in first.taints), tmp=first.tmp, prefix=first.prefix
            )
        if q in ("os.path.join", "posixpath.join", "os.path.expanduser"):
            return self.fmt([args[0], *[p for a in args[1:] for p in (Val(const="/"), a)]]) if args else CLEAN
        if q in ("os.path.split", "os.path.splitext"):
            return Val(
                kind="list",
                fields=(
                    ("0", first.data()),
                    ("1", Val(taints=tuple(t.clean_for("path") if q == "os.path.split" else t for t in first.taints))),
                ),
            )
        if q in JSON_LOADS:
            if first.kind == "environ":
                return first
            return Val(taints=tuple(replace(t, structured=True) for t in first.taints))
        if q in ("json.dumps", "str", "repr", "orjson.dumps", "bytes"):
            if first.kind == "environ":
                return first
            return stringify(first)
        if q in ("re.compile",) and args:
            return Val(kind="regex", extra=args[0].const)
        if q in ("re.sub",) and len(args) >= 3:
            pattern = args[0].const or ""
            if pattern.startswith("[^") and args[1].const == "":
                return CLEAN
            return stringify(args[2])
        if q in ("re.fullmatch", "re.match", "re.search") and len(args) >= 2:
            anchored = q == "re.fullmatch" or _is_anchored(args[0].const)
            return Val(
                kind="match" if anchored else None,
                extra=next(iter(_names_in(node.args[1])), None),
                taints=args[1].taints,
            )
        if q.startswith(("aws_lambda_powertools", "parameters.")):
            return self._powertools(q, args, kwargs, node)
        if (
            method in VALIDATE_METHODS
            or q.endswith(("jsonschema.validate", "fastjsonschema.validate"))
            or (q.rsplit(".", maxsplit=1)[-1] in ("parse", "validate") and "model" in kwargs)
        ):
            if any(v.taints for v in [*args, *kwargs.values()]):
                self.summary.validates = True
            return CLEAN
        if method == "validate" and args and any(a.taints for a in args):
            self.summary.validates = True
            return CLEAN
        if receiver is not None and receiver.kind == "regex" and method in ("fullmatch", "match", "search") and args:
            anchored = method == "fullmatch" or _is_anchored(receiver.extra)
            return Val(
                kind="match" if anchored else None,
                extra=next(iter(_names_in(node.args[0])), None),
                taints=args[0].taints,
            )
        if receiver is not None and method is not None and receiver.taints:
            if receiver.kind in ("web-request", "chalice-request"):
                return self._web_field(receiver, method, node)
            self.use(receiver, node)
            if receiver.kind == "upload" and method == "save" and (args or "dst" in kwargs):
                destination = args[0] if args else kwargs["dst"]
                self.hit("FG506", "path", f"{_unparse(node.func, 40)}()", node, destination)
                self._tmp_write(destination, node, "an uploaded file saved")
                return CLEAN
            if method == "to_dict":
                return Val(taints=receiver.taints)
            if method in ("get", "pop", "setdefault", "getlist", "get_header_value", "get_query_string_value"):
                key = args[0] if args else kwargs.get("name", CLEAN)
                default = args[1] if len(args) > 1 else kwargs.get("default_value", CLEAN)
                field_value = self.subscript(receiver, key, node)
                if receiver.kind == "environ":
                    return field_value
                return (
                    join(field_value, default)
                    if default.taints
                    else replace(
                        field_value,
                        taints=tuple(
                            replace(
                                t,
                                source=f"{_unparse(node, 70)}"
                                if t.source == receiver.taints[0].source and receiver.taints[0].whole
                                else t.source,
                            )
                            for t in field_value.taints
                        ),
                    )
                )
            if method == "split" and args and "/" in (args[0].const or ""):
                return Val(kind="split-slash", taints=tuple(replace(t, structured=False) for t in receiver.taints))
            if method == "rsplit" and args and "/" in (args[0].const or ""):
                return Val(kind="split-slash", taints=tuple(replace(t, structured=False) for t in receiver.taints))
            if (
                method == "replace"
                and args
                and ("/" in (args[0].const or "") or ".." in (args[0].const or ""))
                and len(args) > 1
                and args[1].const is not None
                and "/" not in args[1].const
            ):
                return Val(taints=tuple(t.clean_for("path") for t in receiver.taints))
            if method in ("format", "format_map"):
                return self._format_template(receiver.const or receiver.text or "", [*args, *kwargs.values()])
            if method in ("items", "values", "keys", "copy"):
                return Val(taints=receiver.taints, kind="list" if method != "copy" else None)
            if method in BOOL_METHODS:
                return CLEAN
            return stringify(data_of(receiver, *args))
        if receiver is not None and method == "format" and receiver.const is not None:
            return self._format_template(receiver.const, [*args, *kwargs.values()])
        if receiver is not None and method == "join" and receiver.const is not None and args:
            joined = args[0]
            taints = joined.taints
            if "/" in receiver.const:
                taints = tuple(replace(t, sanitized=t.sanitized - {"path"}) for t in taints)
            return Val(taints=tuple(replace(t, structured=False) for t in taints), text=receiver.const)
        return None

    def _powertools(self, q: str, args: list[Val], kwargs: dict[str, Val], node: ast.Call) -> Val | None:
        name = q.rsplit(".", 1)[-1]
        if name in RESOLVER_CLASSES:
            return Val(kind="resolver", qual=f"{q}()")
        if name == "resolve":
            self.summary.resolves = True
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
                self._record(
                    "secretsmanager", "parameters.get_secret", "GetSecretValue", {"SecretId": ident or CLEAN}, node
                )
                label = f"parameters.get_secret({_shorten(str(self.argvalue(ident)), 50)})"
                self.summary.fetches.append(Fetch(self.loc(node), f"secret {label}", cached))
                return Val(taints=(Taint("secret", label, self.loc(node), whole=True),), kind="secret-holder")
            op = {
                "get_parameter": "GetParameter",
                "get_parameters": "GetParametersByPath",
                "get_parameters_by_name": "GetParameters",
            }[name]
            self._record(
                "ssm", f"parameters.{name}", op, {"Name" if name != "get_parameters" else "Path": ident or CLEAN}, node
            )
            if kwargs.get("decrypt", CLEAN).kind == "true":
                label = f"parameters.{name}({_shorten(str(self.argvalue(ident)), 50)}, decrypt=True)"
                self.summary.fetches.append(Fetch(self.loc(node), f"secret {label}", cached))
                return Val(taints=(Taint("secret", label, self.loc(node), whole=True),), kind="secret-holder")
            return CLEAN
        if name in ("parse",) and "model" in kwargs:
            if any(v.taints for v in [*args, *kwargs.values()]):
                self.summary.validates = True
            return CLEAN
        if name == "validate" and ("schema" in kwargs or len(args) > 1):
            self.summary.validates = True
            return CLEAN
        if name == "Logger":
            return Val(qual=f"{q}()")
        return None
