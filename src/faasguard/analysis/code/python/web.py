"""Serverless web frameworks: which functions are entry points, and what their parameters carry.

Many Lambda apps are not written as `handler(event, context)`: AWS Chalice registers functions with decorators
(`@app.route`, `@app.on_s3_event`, ...), and Flask / Quart / FastAPI apps run on Lambda behind an adapter (Zappa,
serverless-wsgi, Mangum, aws-wsgi, apig-wsgi). Their untrusted input arrives through framework objects instead
of an `event` dict: `app.current_request` (Chalice), `flask.request`, a FastAPI `Request`, and the route's path
parameters, which the framework passes as function arguments.

This module holds that knowledge as data plus one function, `route_spec`, which reads one decorator and says
how each parameter of the decorated function is bound. The engine recognises the framework objects only through
real imports (`from chalice import Chalice`), never from names alone: a decorator counts when its owner is an
object the module built with the framework's own constructor. Nothing here imports the frameworks.

Decisions (precision first):
* Chalice `@app.schedule` functions get no taint: the event is AWS's own schedule tick (like the unvalidated-event
  rule's exemption). `@app.on_s3_event` and `@app.on_dynamodb_record` are AWS-formed notifications: their fields
  stay tainted (the uploader chose the object key, the table holds user data) but nothing asks to validate them.
* `app.current_request.context` is API Gateway's `requestContext`. The fields API Gateway sets itself (request
  id, stage, API id, domain, account, resource path, HTTP method, source IP, caller identity) are clean; the
  caller's `userAgent` and everything under `authorizer` (claims may hold attributes the user chose at sign-up)
  stay tainted. `current_request.method` and `.stage_vars` (deployment configuration) are clean.
* FastAPI parameters declared as dependencies (`Depends(...)`/`Security(...)`, also inside `Annotated`) are not
  request data; parameters typed as numbers, booleans, UUIDs, dates, enums or models are validated by FastAPI
  (the same stance the engine takes for pydantic models); `str`, containers, `UploadFile`, `Any` and unannotated
  parameters carry request data; `Request` / `WebSocket` parameters are the whole request.
* Flask path converters `int`, `float` and `uuid` only ever pass validated values; `string`, `path` and `any`
  (and unnamed converters) pass caller text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from faasguard._record import record

WEB_APPS = {
    "chalice.Chalice": "chalice",
    "chalice.app.Chalice": "chalice",
    "chalice.Blueprint": "chalice",
    "chalice.app.Blueprint": "chalice",
    "flask.Flask": "flask",
    "flask.app.Flask": "flask",
    "flask.Blueprint": "flask",
    "flask.blueprints.Blueprint": "flask",
    "quart.Quart": "flask",
    "quart.Blueprint": "flask",
    "fastapi.FastAPI": "fastapi",
    "fastapi.APIRouter": "fastapi",
    "fastapi.routing.APIRouter": "fastapi",
}
"""Constructors of framework application objects → the framework whose decorators they offer."""

ADAPTER_CTORS = frozenset({"mangum.Mangum", "apig_wsgi.make_lambda_handler", "mangum.adapter.Mangum"})
"""Objects that turn a web app into a Lambda handler: `handler = Mangum(app)`."""

ADAPTER_CALLS = frozenset(
    {
        "awsgi.response",
        "aws_wsgi.response",
        "serverless_wsgi.handle_request",
        "zappa.handler.lambda_handler",
    }
)
"""Functions a hand-written handler calls to dispatch its event into a web app (every route then runs)."""

REQUEST_GLOBALS = frozenset({"flask.request", "flask.globals.request", "quart.request", "quart.globals.request"})
"""Context-local request objects: reading them anywhere reads the current HTTP request."""

REQUEST_CLEAN_ATTRS = frozenset(
    {
        "method",
        "stage_vars",
        "endpoint",
        "blueprint",
        "blueprints",
        "url_rule",
        "is_json",
        "is_secure",
        "scheme",
        "remote_addr",
        "content_length",
        "lambda_context",
        "state",
        "app",
        "client",
    }
)
"""Request attributes set by the framework or API Gateway, not chosen by the caller (`client` is the peer
address; `state` is what the app's own middleware stored)."""

REQUEST_STRUCTURED = frozenset({"json", "json_body", "get_json", "to_dict", "form", "media"})
"""Request parts that may be a JSON object the sender shaped (operator injection needs one)."""

REQUEST_BODY_METHODS = frozenset(
    {"get_json", "json", "get_data", "body", "form", "stream", "to_dict", "data", "values", "files", "text"}
)

APIGW_SET_CONTEXT = frozenset(
    {
        "requestId",
        "extendedRequestId",
        "stage",
        "apiId",
        "domainName",
        "domainPrefix",
        "accountId",
        "resourceId",
        "resourcePath",
        "httpMethod",
        "requestTime",
        "requestTimeEpoch",
        "protocol",
        "path",
    }
)
"""`requestContext` fields API Gateway fills in itself. (`path` here is the matched stage path, not the query.)"""

GATEWAY_SET_CONTEXT = frozenset({"requestId", "extendedRequestId", "stage", "apiId", "domainName", "domainPrefix",
                                 "accountId", "resourceId", "resourcePath", "httpMethod", "requestTime",
                                 "requestTimeEpoch", "time", "timeEpoch", "routeKey", "connectionId",
                                 "connectedAt", "eventType", "messageId"})
"""`event["requestContext"]` fields API Gateway and function URLs fill in themselves (as in the JavaScript
front end): a request id in a /tmp name or a command line is not caller text. `path` and `http.path` hold the
caller's path and stay tainted."""

APIGW_CALLER_IDENTITY = frozenset({"userAgent"})
"""The only `requestContext.identity` field the caller chooses freely; the rest (source IP, Cognito ids, caller
ARN, API key id) are set by API Gateway and IAM."""

CHALICE_EVENTS = {
    "on_s3_event": ("s3", True),
    "on_sqs_message": ("sqs", False),
    "on_sns_message": ("sns", False),
    "on_cw_event": ("eventbridge", False),
    "on_kinesis_record": ("kinesis", False),
    "on_dynamodb_record": ("dynamodb-stream", True),
    "on_ws_connect": ("websocket", False),
    "on_ws_message": ("websocket", False),
    "on_ws_disconnect": ("websocket", False),
    "authorizer": ("authorizer", False),
    "lambda_function": ("invoke", False),
}
"""Chalice event decorators → (trigger, event formed by AWS itself). The first parameter is the event."""

FUNCTIONS_FRAMEWORK = {
    "functions_framework.http": ("gcf-http", "request"),
    "functions_framework.cloud_event": ("cloudevent", "event"),
}
"""Google Cloud Functions' Functions Framework decorators → (trigger, what the first parameter carries): an HTTP
function receives the Flask request, a CloudEvent function the event whose `data` the sender (or the topic's
publisher) shaped. The decorator is resolved through the import like the frameworks above; a function named
by `entry_point` needs no decorator (the loader names it), its first parameter is then the event."""

FF_DECORATORS = frozenset(q.rsplit(".", 1)[1] for q in FUNCTIONS_FRAMEWORK)

FLASK_ROUTES = frozenset({"route", "get", "post", "put", "patch", "delete", "websocket"})
FASTAPI_ROUTES = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "websocket"}
)
CHALICE_ROUTES = frozenset({"route", *CHALICE_EVENTS, "schedule"})
ROUTE_DECORATORS = FLASK_ROUTES | FASTAPI_ROUTES | CHALICE_ROUTES

FLASK_SAFE_CONVERTERS = frozenset({"int", "float", "uuid"})
FASTAPI_REQUEST_TYPES = frozenset({"Request", "WebSocket", "HTTPConnection"})
FASTAPI_INJECTED_TYPES = frozenset({"Response", "BackgroundTasks", "SecurityScopes", "JSONResponse"})
FASTAPI_TAINTED_TYPES = frozenset(
    {"str", "bytes", "dict", "list", "set", "tuple", "Any", "Dict", "List", "Set", "Tuple", "UploadFile", "Json",
     "Mapping", "Sequence", "object", "AnyStr"}
)
FASTAPI_STRUCTURED_TYPES = frozenset({"dict", "list", "Any", "Dict", "List", "Json", "Mapping", "Sequence", "object"})

_CHALICE_PARAM = re.compile(r"\{(\w+)\+?\}")
_FLASK_PARAM = re.compile(r"<(?:(\w+)(?:\([^)>]*\))?:)?(\w+)>")
_FASTAPI_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@record
class RouteSpec:
    """How the framework calls one decorated function."""

    framework: str
    """"chalice", "flask" (Flask and Quart), "fastapi" or "functions-framework" (Google Cloud Functions)."""
    trigger: str
    """"http" for routes served by the app's API handler; else the Chalice event source ("s3", "sqs"...)."""
    decorator: str
    """The decorator as written, for messages."""
    params: tuple[tuple[str, str], ...] = ()
    """Parameter name → what it carries: "event" (the whole event object), "request" (the whole HTTP request),
    "path" (a path parameter: caller text), "value" (a request value, caller text), "body" (a request value that
    may be a JSON structure). Parameters not listed are not caller data."""
    service_formed: bool = False
    """The event is formed by AWS itself (S3 notification, stream record, schedule): nothing caller-shaped to
    validate."""
    event_kind: str | None = None
    """Val kind of the event object ("chalice-s3" whose `.bucket` is configuration, not caller data)."""
    validated: bool = False
    """A parameter is a model the framework validates the request against (FastAPI body model)."""


def _positional(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    params = [*node.args.posonlyargs, *node.args.args]
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return params


def _all_params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    return [*_positional(node), *node.args.kwonlyargs]


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    positional = [*node.args.posonlyargs, *node.args.args]
    with_default = positional[len(positional) - len(node.args.defaults) :]
    out = {a.arg: d for a, d in zip(with_default, node.args.defaults, strict=False)}
    out.update({a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=False) if d is not None})
    return out


def _route_path(call: ast.Call | None) -> str | None:
    if call is None:
        return None
    node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("path", "rule")), None)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pathological nodes: no text, no match
        return ""


def _is_dependency(node: ast.AST | None) -> bool:
    return node is not None and re.search(r"\b(Depends|Security)\s*\(", _text(node)) is not None


def _type_names(annotation: ast.expr) -> list[str]:
    """The type names an annotation allows: `Optional[str]` → ["str"], `Annotated[int, Query()]` → ["int"]."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return ["?"]
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _type_names(annotation.left) + _type_names(annotation.right)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return []
    if isinstance(annotation, ast.Subscript):
        outer = _text(annotation.value).rsplit(".", 1)[-1]
        inner = annotation.slice
        if outer == "Annotated":
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return _type_names(first)
        if outer in ("Optional", "Union"):
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return [name for elt in elts for name in _type_names(elt)]
        if outer == "Literal":
            return ["Literal"]
        return [outer]
    return [_text(annotation).rsplit(".", 1)[-1]]


def _fastapi_param(
    arg: ast.arg, default: ast.expr | None, is_model: Callable[[ast.expr], bool]
) -> tuple[str | None, bool]:
    """(binding, validated) for one FastAPI endpoint parameter; binding None = not request data."""
    if _is_dependency(default) or _is_dependency(arg.annotation):
        return None, False
    if arg.annotation is None:
        return "body", False
    names = _type_names(arg.annotation)
    if any(n in FASTAPI_REQUEST_TYPES for n in names):
        return "request", False
    if not names or all(n in FASTAPI_INJECTED_TYPES for n in names):
        return None, False
    if any(n in FASTAPI_TAINTED_TYPES for n in names):
        return ("body" if any(n in FASTAPI_STRUCTURED_TYPES for n in names) else "value"), False
    # numbers, UUIDs, dates, enums, Literal, pydantic models and classes we cannot see: validated by FastAPI
    return None, is_model(arg.annotation)


def functions_framework_spec(qual: str | None, decorator: ast.expr,
                             function: ast.FunctionDef | ast.AsyncFunctionDef) -> RouteSpec | None:
    """How the Functions Framework calls a function decorated with `decorator` (resolved to `qual`)."""
    if qual not in FUNCTIONS_FRAMEWORK:
        return None
    trigger, how = FUNCTIONS_FRAMEWORK[qual]
    first = [p.arg for p in _positional(function)][:1]
    return RouteSpec("functions-framework", trigger, _text(decorator)[:120], tuple((n, how) for n in first))


def route_spec(
    framework: str,
    decorator: ast.expr,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    is_model: Callable[[ast.expr], bool] = lambda _node: False,
) -> RouteSpec | None:
    """How `function`, decorated with `decorator` of a `framework` app object, is called; None when the
    decorator does not make an entry point (`@app.middleware`, `@app.errorhandler`...)."""
    call = decorator if isinstance(decorator, ast.Call) else None
    func = call.func if call is not None else decorator
    if not isinstance(func, ast.Attribute):
        return None
    attr = func.attr
    text = _text(decorator)[:120]
    params = _all_params(function)
    names = [p.arg for p in params]
    if framework == "chalice":
        if attr == "route" and call is not None:
            path = _route_path(call)
            bound = set(_CHALICE_PARAM.findall(path)) if path is not None else set(names)
            return RouteSpec("chalice", "http", text, tuple((n, "path") for n in names if n in bound))
        if attr == "schedule" and call is not None:
            return RouteSpec("chalice", "schedule", text, (), True)
        if attr in CHALICE_EVENTS and call is not None:
            trigger, formed = CHALICE_EVENTS[attr]
            first = names[:1]
            return RouteSpec(
                "chalice",
                trigger,
                text,
                tuple((n, "event") for n in first),
                formed,
                "chalice-s3" if trigger == "s3" else None,
            )
        return None
    if framework == "flask" and attr in FLASK_ROUTES and call is not None:
        path = _route_path(call)
        if path is None:
            return RouteSpec("flask", "http", text, tuple((n, "path") for n in names))
        converters = {name: (conv or "string") for conv, name in _FLASK_PARAM.findall(path)}
        flask_bound = tuple(
            (n, "path") for n in names if n in converters and converters[n] not in FLASK_SAFE_CONVERTERS
        )
        return RouteSpec("flask", "http", text, flask_bound)
    if framework == "fastapi" and attr in FASTAPI_ROUTES and call is not None:
        defaults = _defaults(function)
        path = _route_path(call)
        in_path = set(_FASTAPI_PARAM.findall(path)) if path is not None else set()
        bindings: list[tuple[str, str]] = []
        validated = False
        for param in params:
            binding, model = _fastapi_param(param, defaults.get(param.arg), is_model)
            validated = validated or model
            if binding is not None:
                bindings.append((param.arg, "path" if param.arg in in_path and binding == "body" else binding))
        return RouteSpec("fastapi", "http", text, tuple(bindings), validated=validated)
    return None
