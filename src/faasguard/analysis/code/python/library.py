"""Library calls: the transfers that interpret the rows of models.py, and the rank-ordered dispatch.

`library_call` offers a call to its qualified-name row (`QUAL_MODELS`) and to the method rules (`METHOD_RULES`)
in rank order; the first transfer that answers (returns a value) decides what the call returns, after recording
the sink hits, /tmp events and secret fetches it implies. A transfer that returns None lets the call fall
through to the next one, and finally to the generic rule (the data of receiver and arguments flows into the
result). Each transfer is small and reads its row; which rule reports a sink kind is not known here.

Size: one small transfer per row kind of models.py; split by sink family, the rank-ordered dispatch at the end
would have to import every family back to keep one order.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING

from faasguard._record import record
from faasguard.analysis.code.core.results import TmpEvent
from faasguard.analysis.code.core.values import (
    CLEAN,
    Taint,
    Val,
    claims_of,
    data_of,
    from_authorization_header,
    join,
    merge_taints,
    names_of,
    stringify,
)
from faasguard.analysis.code.python.models import (
    ARCHIVE_WRITERS,
    BOOL_METHODS,
    EVENT_LOOPS,
    FIELD_READS,
    HTML_AUTOESCAPE,
    HTTP_SESSIONS,
    HTTP_VERBS,
    JINJA_ENVIRONMENTS,
    JWT_VERIFY_OPTIONS,
    LOG_FUNCS,
    LOG_LIBRARIES,
    LOG_METHODS,
    LOOP_SUBPROCESS,
    METHOD_RULES,
    MONGO_METHODS,
    OPEN_FUNCS,
    PATH_DEST,
    PATH_METHODS,
    POWERTOOLS_PREFIXES,
    QUAL_MODELS,
    REMOVE_FUNCS,
    RESPONSE_OBJECTS,
    RUAMEL_UNSAFE_TYPES,
    RUAMEL_YAML,
    SAFE_YAML_LOADERS,
    SCHEMA_VALIDATORS,
    SHELL_COMMAND_FLAG,
    SHELLS,
    SQL_METHODS,
    SQL_WHERE_METHODS,
    SQL_WORDS,
    TAR_OPENERS,
    VALIDATE_METHODS,
    Model,
)
from faasguard.analysis.code.python.powertools import powertools
from faasguard.analysis.code.python.schemas import model_instance
from faasguard.analysis.code.python.secrets import (
    CONNECTION_PASSWORD_KEYS,
    connection_password,
    is_secret_name,
    looks_secret_value,
    secret_shape,
)
from faasguard.analysis.code.python.syntax import is_anchored, names_in, shorten, unparse

if TYPE_CHECKING:
    from faasguard.analysis.code.python.expressions import FunctionAnalysis


@record(frozen=False)
class CallSite:
    """One call as the transfers see it: the callee's qualified name (or ""), the receiver of a method call,
    and the evaluated arguments."""

    node: ast.Call
    qual: str
    receiver: Val | None
    method: str | None
    args: list[Val]
    kwargs: dict[str, Val]
    spread: list[Val]
    in_with: bool = False

    def arg(self, index: int, name: str | None = None) -> Val | None:
        """The argument at `index`, or its keyword spelling `name`."""
        if name is not None and name in self.kwargs:
            return self.kwargs[name]
        return self.args[index] if 0 <= index < len(self.args) else None

    @property
    def first(self) -> Val:
        if self.args:
            return self.args[0]
        return next(iter(self.kwargs.values())) if self.kwargs else CLEAN


GENERIC = Val(kind="generic")
"""A rule's answer "this call is mine, and what it returns is the generic data flow": stops the dispatch."""

Transfer = Callable[["FunctionAnalysis", CallSite, Model], "Val | None"]
Rule = Callable[["FunctionAnalysis", CallSite], "Val | None"]


def library_call(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """What a library call returns, recording what it does; None when no model knows it."""
    pending = QUAL_MODELS.get(site.qual)
    for rank, rule in _ORDERED_RULES:
        if pending is not None and pending.rank < rank:
            result = TRANSFERS[pending.transfer](fa, site, pending)
            pending = None
            if result is not None:
                return result
        result = rule(fa, site)
        if result is not None:
            return None if result is GENERIC else result
    return TRANSFERS[pending.transfer](fa, site, pending) if pending is not None else None


# -------------------------------------------------------------------------------- environment, logging


def _env_read(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    args = site.args
    if not args or args[0].const is None:
        return None
    fa.summary.env_reads[args[0].const] = None
    default = args[1].const if len(args) > 1 else None
    return fa.env_value(args[0].const, default, site.node)


def _env_copy(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    receiver, args = site.receiver, site.args
    if (receiver is not None and receiver.kind == "environ") or (args and args[0].kind == "environ"):
        return Val(kind="environ", taints=(receiver or args[0]).taints)
    return None


def is_log(site: CallSite) -> bool:
    """A print or a logging call; also a logger's method bound to a name first (`log = logger.info`, then
    `log(...)`), which the call site sees by the qualified name alone."""
    if site.qual in LOG_FUNCS:
        return True
    if site.method is None:
        return site.qual.startswith(LOG_LIBRARIES) and site.qual.rsplit(".", 1)[-1] in LOG_METHODS
    if site.method not in LOG_METHODS:
        return False
    if site.qual.startswith(LOG_LIBRARIES):
        return True
    text = unparse(site.node.func, 80).lower()
    return "log" in text.rsplit(".", 1)[0]


def _log(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    if not is_log(site):
        return None
    for value in [*site.args, *site.kwargs.values()]:
        fa.hit("log", f"{unparse(site.node.func, 40)}()", site.node, value)
    return CLEAN


# ---------------------------------------------------------------------------- commands, code, loading


def _shell_string(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    command = site.arg(model.position, model.keyword) or site.arg(0, "command")
    if command is not None:
        fa.hit(model.sink, f"{site.qual}()", site.node, command)
        fa.exec_tmp(command, site.qual, site.node)
    return data_of(*site.args)


def _subprocess(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    _subprocess_command(fa, site)
    return CLEAN if site.qual != "subprocess.check_output" else data_of(*site.args)


def _subprocess_command(fa: FunctionAnalysis, site: CallSite) -> None:
    """A shell string with shell=True; otherwise the program (first element of an argument list), and the
    command string of `[sh, -c, command]`."""
    q, node = site.qual, site.node
    command_node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "args"), None)
    command = site.args[0] if site.args else site.kwargs.get("args")
    if command is None or command_node is None:
        return
    shell = site.kwargs.get("shell")
    if shell is not None and (shell.kind == "true" or bool(shell.taints)):
        fa.hit("shell", f"{q}(shell=True)", node, command)
        fa.exec_tmp(command, q, node)
        return
    if isinstance(command_node, ast.List | ast.Tuple):
        elements = [fa.ev(e) for e in command_node.elts]
        if elements:
            fa.hit("program", f"{q}() program", node, elements[0])
            fa.exec_tmp(elements[0], q, node)
            _shell_dash_c(fa, site, elements[:3])
        return
    if command.qual == "shlex.split()":
        if command.taints and _first_word_tainted(command):
            fa.hit("program", f"{q}() program", node, command)
        return
    if command.kind == "list" and command.fields:
        program = command.field_val("0")
        if program is not None:
            fa.hit("program", f"{q}() program", node, program)
            fa.exec_tmp(program, q, node)
            _shell_dash_c(fa, site, [command.field_val(str(i)) or CLEAN for i in range(3)])
        return
    if command.kind == "list" or command.qual == "shlex.split()":
        return
    fa.exec_tmp(command, q, node)
    if _first_word_tainted(command):  # no shell: the whole string names one executable; text after a fixed
        fa.hit("program", f"{q}() program", node, command)  # "tool " start cannot turn it into another path


def _shell_dash_c(fa: FunctionAnalysis, site: CallSite, elements: list[Val]) -> None:
    """`[sh, "-c", command]`, written in the call or built first (`argv = ["/bin/bash", "-c", cmd]`): the
    third element is a shell command line."""
    first = (elements[0].const or "").rsplit("/", 1)[-1] if elements else ""
    if first in SHELLS and len(elements) > 2 and elements[1].const == "-c":
        fa.hit("shell", f"{site.qual}([{first}, '-c', ...])", site.node, elements[2])


def _first_word_fixed(prefix: str) -> bool:
    """Whether a command line's known start already holds its whole first word (`"convert " + opts`): the
    program is fixed, and the caller's text only adds arguments."""
    stripped = prefix.lstrip()
    return bool(stripped) and any(c.isspace() for c in stripped)


def _first_word_tainted(line: Val) -> bool:
    """Whether the caller's data (`line` carries some) is the first word of a command line: the line is the
    caller's value whole, or its first word holds the line's only unknown part (`"/opt/tools/" + name`).
    A first word that is some other unknown (`f"{FFMPEG} -i {key}"`: a configured program) is not."""
    if _first_word_fixed(line.prefix or ""):
        return False
    if not line.text:
        return True
    words = line.text.split()
    return bool(words) and "{}" in words[0] and line.text.count("{}") == 1


def _split_argv(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`shlex.split(line)`: an argument list whose first word (the program) comes from the line's start."""
    first = site.first
    return Val(
        taints=first.taints, kind="list", qual=f"{site.qual}()", prefix=first.prefix or first.const, text=first.text
    )


def _argv_shell(fa: FunctionAnalysis, site: CallSite, program: Val, argv: list[Val], what: str) -> None:
    """`bash -c CMD` spelled as separate arguments (or an argument list): CMD is a shell command line. Each
    list argument counts element by element, so `exec("bash", ["-c", cmd])` reads the same."""
    if (program.const or "").rsplit("/", 1)[-1] not in SHELLS:
        return
    flat: list[Val] = []
    for value in argv:
        if value.kind == "list" and value.fields is not None:
            flat.extend(element for _, element in value.fields)
        else:
            flat.append(value)
    for flag, command in pairwise(flat):
        if flag.const is not None and SHELL_COMMAND_FLAG.match(flag.const):
            fa.hit("shell", f"{what}({program.const}, '-c', ...)", site.node, command)
            return


def _exec_argv(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`create_subprocess_exec(program, *args)`: the program is chosen by the caller, or a shell runs one of
    the arguments."""
    program = site.arg(model.position, "program")
    if program is None:
        return None
    fa.hit(model.sink, f"{site.qual}() program", site.node, program)
    fa.exec_tmp(program, site.qual, site.node)
    _argv_shell(fa, site, program, site.args[model.position + 1 :], site.qual)
    return CLEAN


def _loop_subprocess(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """`loop.subprocess_shell(factory, cmd)` / `loop.subprocess_exec(factory, program, *args)` on an asyncio loop
    (one the code made, or any receiver of no other known kind: these method names are asyncio's own)."""
    receiver, method = site.receiver, site.method
    if receiver is None or method not in LOOP_SUBPROCESS:
        return None
    if receiver.qual not in EVENT_LOOPS and (receiver.kind not in (None, "instance") or receiver.const is not None):
        return None  # the method names are asyncio's own: a loop passed in (or held by an object) is still a loop
    command = site.arg(1, "cmd" if method == "subprocess_shell" else "program")
    if command is not None:
        fa.hit(LOOP_SUBPROCESS[method], f"loop.{method}()", site.node, command)
        fa.exec_tmp(command, f"loop.{method}", site.node)
        if method == "subprocess_exec":
            _argv_shell(fa, site, command, site.args[2:], f"loop.{method}")
    return CLEAN


def _exec_program(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    program = site.arg(model.position, model.keyword)
    if program is not None:
        fa.hit(model.sink, f"{site.qual}()", site.node, program)
        fa.exec_tmp(program, site.qual, site.node)
        _argv_shell(fa, site, program, site.args[model.position + 1 :], site.qual)
    return CLEAN


def _code(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    source = site.arg(model.position, model.keyword)
    if source is not None:
        fa.hit(model.sink, f"{site.qual}()", site.node, source)
        if site.qual.startswith("runpy"):
            fa.exec_tmp(source, site.qual, site.node, load=True)
        elif source.kind == "tmp-content":  # exec(open("/tmp/x.py").read()): code that /tmp holds is run
            path = source.extra or ""
            fa.exec_tmp(Val(const=path) if path.startswith("/tmp/") else Val(tmp=path), site.qual, site.node,
                        load=True)
    return data_of(*site.args)


def _response_object(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`chalice.Response(body, headers=...)`, Flask/Starlette/Django responses: the shape of a `statusCode`
    dict (body, headers with the content type the call sets), so that what an entry point returns is judged
    the same way whichever form it takes (`responses.response`)."""
    body_keyword, headers_position, type_keyword, implied_type = RESPONSE_OBJECTS[site.qual]
    body = site.arg(0, body_keyword) or CLEAN
    headers = site.arg(headers_position, "headers") if headers_position is not None else site.kwargs.get("headers")
    header_fields = list(headers.fields or ()) if headers is not None else []
    chosen = site.kwargs.get(type_keyword) if type_keyword else None
    if type_keyword == "mimetype" and chosen is None:
        chosen = site.kwargs.get("content_type")
    content_type = chosen.const if chosen is not None else implied_type
    if content_type and not any(key.lower() == "content-type" for key, _ in header_fields):
        header_fields.append(("Content-Type", Val(const=content_type)))
    header_val = Val(taints=headers.taints if headers is not None else (), fields=tuple(header_fields), kind="dict")
    status = site.kwargs.get("status_code") or site.kwargs.get("status") or Val(const="200")
    fields = (("statusCode", status), ("headers", header_val), ("body", body))
    return Val(taints=data_of(body, header_val).taints, fields=fields, kind="dict")


def _management_command(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """Django's `call_command(name, *args)` and `execute_from_command_line(argv)`: whoever names the command
    picks the code that runs (Django imports the command's module by that name), and `shell -c CODE` runs a
    string. A fixed command with the caller's arguments (`call_command("loaddata", name)`) is not reported."""
    if site.qual.endswith("execute_from_command_line"):
        argv = site.arg(0, "argv")
        if argv is None:
            return CLEAN
        words = [value for _, value in argv.fields[1:]] if argv.fields else []
        name: Val | None = words[0] if words else (None if argv.fields else argv)
    else:
        name = site.arg(0, "command_name") or (site.spread[0] if site.spread else None)
        words = [name, *site.args[1:]] if name is not None else []
    if name is None:
        return CLEAN
    fa.hit(model.sink, f"{site.qual}() command", site.node, name)
    if name.const == "shell":
        code = site.kwargs.get("command")
        for flag, value in pairwise(words[1:]):
            if flag.const in ("-c", "--command"):
                code = value
        if code is not None:
            fa.hit(model.sink, f"{site.qual}('shell', command=...)", site.node, code)
    return CLEAN


def _load_from_path(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    location = site.arg(model.position)
    if location is not None:
        fa.exec_tmp(location, site.qual, site.node, load=True)
    return CLEAN


def _sys_path(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    if not site.args:
        return None
    fa.exec_tmp(site.args[-1], site.qual, site.node, load=True)
    return CLEAN


# --------------------------------------------------------------------------- deserialisation, templates


def _deser(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    data = site.arg(model.position)
    if data is not None:
        fa.hit(model.sink, f"{site.qual}()", site.node, data)
    return data_of(*site.args)


def _yaml_load(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    args = site.args
    loader = site.kwargs.get("Loader") or (args[1] if len(args) > 1 else None)
    loader_name = (loader.qual or loader.const or "") if loader is not None else ""
    if not loader_name.endswith(SAFE_YAML_LOADERS) and args:
        shown = loader_name.rsplit(".", 1)[-1] or "default"
        fa.hit(model.sink, f"{site.qual}(Loader={shown})", site.node, args[0])
    data = data_of(*args[:1])
    return replace(data, taints=tuple(t.with_structure(True) for t in data.taints))


def _ruamel_yaml(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`ruamel.yaml.YAML(typ=...)`: the loader object, remembering its type for `.load()`."""
    typ = site.arg(0, "typ")
    return Val(qual=f"{site.qual}()", extra=(typ.const if typ is not None else None) or "rt")


def _ruamel_load(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver = site.receiver
    if (
        receiver is None
        or site.method not in ("load", "load_all")
        or (receiver.qual or "")[:-2] not in RUAMEL_YAML
        or receiver.extra not in RUAMEL_UNSAFE_TYPES
        or not site.args
    ):
        return None
    fa.hit("deser", f"YAML(typ={receiver.extra!r}).{site.method}()", site.node, site.args[0])
    return data_of(site.args[0])


def _numpy_load(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    if site.kwargs.get("allow_pickle", CLEAN).kind != "true" or not site.args:
        return None
    fa.hit(model.sink, "numpy.load(allow_pickle=True)", site.node, site.args[0])
    return CLEAN


def _template(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    source = site.arg(0, "source") or site.arg(0, "text")
    if source is not None:
        fa.hit("template", f"{site.qual or site.method}()", site.node, source)
    receiver = site.receiver
    if receiver is not None and receiver.extra == HTML_AUTOESCAPE:  # env.from_string(): the env escapes
        return Val(qual=f"{receiver.qual}.from_string()", extra=HTML_AUTOESCAPE)
    return CLEAN


def _template_from_string(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver = site.receiver
    if site.method != "from_string" or receiver is None or not (receiver.qual or "").startswith(JINJA_ENVIRONMENTS):
        return None
    return _template(fa, site, QUAL_MODELS["jinja2.Template"])


def _jinja_environment(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`jinja2.Environment(autoescape=...)`: an environment that escapes HTML (`True`, `select_autoescape()`)
    renders the caller's values escaped; the default one does not."""
    autoescape = site.kwargs.get("autoescape")
    escapes = autoescape is not None and autoescape.kind != "false" and autoescape.const is None
    return Val(qual=f"{site.qual}()", extra=HTML_AUTOESCAPE if escapes else None)


def _jinja_render(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """A template of an escaping environment, and what it renders: the caller's values come out HTML-escaped.
    Flask's `render_template` escapes `.html`/`.htm`/`.xml` templates by default."""
    receiver, method = site.receiver, site.method
    if site.qual == "flask.render_template":
        name = site.arg(0, "template_name_or_list")
        if name is None or not (name.const or "").endswith((".html", ".htm", ".xml")):
            return None
        return _escaped(site)
    if receiver is None or receiver.extra != HTML_AUTOESCAPE or not (receiver.qual or "").startswith("jinja2."):
        return None
    if method in ("get_template", "select_template", "get_or_select_template"):
        return Val(qual=f"{receiver.qual}.{method}()", extra=HTML_AUTOESCAPE)
    if method in ("render", "render_async", "generate", "stream"):
        return _escaped(site)
    return None


def _escaped(site: CallSite) -> Val:
    data = data_of(*site.args, *site.kwargs.values(), *site.spread)
    return Val(taints=tuple(t.clean_for("html") for t in data.taints))


# ----------------------------------------------------------------------------------------------- SSRF


def _url_request_object(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`urllib.request.Request(url, data)`: the request goes where its URL says; a tainted body is not SSRF."""
    url = site.arg(0, "url")
    return url.data() if url is not None else CLEAN


def _url(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    url = site.arg(model.position, model.keyword)
    if url is None and model.option:
        url = site.arg(0, model.option)
    if url is not None:
        fa.hit(model.sink, f"{site.qual}()", site.node, url)
        args = site.args
        if site.qual == "urllib.request.urlretrieve" and len(args) > 1 and args[1].tmp:
            fa.tmp_write(args[1], site.node, "the file urlretrieve writes")
    return CLEAN


def _url_session(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver, method = site.receiver, site.method
    if receiver is None or not method or (receiver.qual or "") not in HTTP_SESSIONS | {"urllib3.PoolManager()"}:
        return None
    if method in HTTP_VERBS:
        url = site.arg(0, "url")
    elif method in ("request", "urlopen", "stream"):
        url = site.arg(1, "url")
    else:
        return None
    if url is not None:
        fa.hit("url", f"{receiver.qual}.{method}()", site.node, url)
    return CLEAN


def _http_session(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    return Val(qual=f"{site.qual}()")


# ------------------------------------------------------------------------------------------ databases


def _sql(fa: FunctionAnalysis, query: Val, sink: str, node: ast.Call, force: bool = False) -> None:
    """A query string reaches the database: reported when it was formatted with SQL words around the caller's
    data, or is the caller's data whole and the receiver looks like a connection (or `force`)."""
    if not query.taints:
        return
    formatted = bool(query.text) and SQL_WORDS.search(query.text) is not None
    whole = not query.text
    receiver_text = unparse(node.func, 60).lower()
    db_like = re.search(r"cur|conn|db|session|engine|sql|con\b|c\.", receiver_text) is not None
    if force or formatted or (whole and db_like):
        fa.hit("sql", sink, node, query)


def _sql_execute(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver = site.receiver
    if site.method not in SQL_METHODS or not site.args or (receiver is not None and receiver.kind == "client"):
        return None
    _sql(fa, site.args[0], f"{unparse(site.node.func, 40)}()", site.node)
    return CLEAN if site.method != "mogrify" else data_of(site.args[0])


def _sql_query(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """sqlite_utils / records / dataset / pg8000 `db.query(sql)`: only a string built with SQL in it. The
    call falls through (its result is the generic one)."""
    receiver, args = site.receiver, site.args
    if site.method in SQL_WHERE_METHODS and args and args[0].text and args[0].taints:
        fa.hit("sql", f"{unparse(site.node.func, 40)}()", site.node, args[0])  # a WHERE clause built by formatting
        return None
    if (
        site.method == "query"
        and args
        and args[0].text
        and (receiver is None or receiver.kind not in ("client", "table", "resource"))
    ):
        _sql(fa, args[0], f"{unparse(site.node.func, 40)}()", site.node)
    return None


def _sql_text(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    if not site.args:
        return None
    _sql(fa, site.args[0], f"{site.qual}()", site.node, force=True)
    return Val(taints=site.args[0].taints)


def _mongo(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """MongoDB operator injection: a filter document the caller shapes (`{"$ne": ...}`), or a `$where`."""
    receiver, method, node, args = site.receiver, site.method, site.node, site.args
    if (
        method not in MONGO_METHODS
        or not args
        or receiver is None
        or receiver.const is not None
        or (receiver.taints and method == "find")
        or receiver.kind in ("client", "table")
    ):
        return None
    filt = args[0]
    owner = node.func.value if isinstance(node.func, ast.Attribute) else node.func
    is_filter = (
        isinstance(node.args[0], ast.Dict)
        or receiver.qual is not None
        or re.search(r"coll|db|mongo|users|table", unparse(owner).lower()) is not None
    )
    if is_filter:
        if isinstance(node.args[0], ast.Dict) and filt.fields is not None:
            for key, value in filt.fields:
                if key == "$where":
                    fa.hit("nosql", f"{method}($where)", node, stringify(value))
                else:
                    fa.hit("nosql", f"{method}() filter", node, value, "structured")
        else:
            fa.hit("nosql", f"{method}() filter", node, filt, "structured")
    return CLEAN


# ------------------------------------------------------------------------------------ paths and /tmp


def _path_func(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    q, node = site.qual, site.node
    target = site.arg(model.position, "file") or site.arg(0, "path") or site.arg(0, "name")
    if target is not None:
        fa.hit(model.sink, f"{q}()", node, target)
    if q in PATH_DEST:
        dest = site.arg(PATH_DEST[q], "dst")
        if dest is not None:
            fa.hit(model.sink, f"{q}()", node, dest)
            if dest.tmp:
                fa.tmp_write(dest, node, f"the file {q} writes")
    if q in ARCHIVE_WRITERS and target is not None and target.tmp:
        mode = site.arg(1, ARCHIVE_WRITERS[q])
        mode_text = (mode.const or "") if mode is not None else ""
        if mode_text[:1] in ("w", "a", "x"):
            fa.tmp_write(target, node, f"an archive written by {q}({mode_text!r})")
    if q in OPEN_FUNCS and target is not None:
        mode = site.arg(1, "mode")
        mode_text = mode.const if mode is not None and mode.const is not None else "r"
        if any(c in mode_text for c in "wax") and target.tmp:  # "r+" updates a file another write made
            fa.tmp_write(target, node, f"a file opened for writing ({mode_text!r})")
        elif "r" in mode_text and (where := _under_tmp(target)) is not None:
            return Val(kind="tmp-file", extra=where)
    elif q in REMOVE_FUNCS and target is not None:
        fa.tmp_cleanup(target, node)
    if q == "tarfile.open":  # the archive keeps what names it: its member names are its author's
        data = data_of(target or CLEAN, site.kwargs.get("fileobj", CLEAN))
        downloaded = fa.downloads.get(target.tmp, ()) if target is not None and target.tmp else ()
        return Val(qual="tarfile.open()", taints=downloaded or data.taints)
    return CLEAN


def _under_tmp(path: Val) -> str | None:
    """The /tmp path (or the tempfile call that made it) a file name stands for, or None."""
    if (path.const or path.prefix or "").startswith("/tmp/"):
        return path.const or path.prefix
    return path.tmp


def _tmp_file_read(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """`f.read()` of a file opened under /tmp: its text is what anything that ran here before left there
    ("tmp-content", judged only where it is run as code)."""
    receiver = site.receiver
    if receiver is None or receiver.kind != "tmp-file" or site.method not in ("read", "readlines", "readline"):
        return None
    return Val(kind="tmp-content", extra=receiver.extra)


def _path_object(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    data = data_of(*site.args)
    first = site.args[0] if site.args else CLEAN
    tmp = first.tmp or (first.prefix if (first.prefix or "").startswith("/tmp") else None)
    return Val(kind="path", taints=data.taints, tmp=tmp, prefix=first.prefix, const=first.const)


def _path_object_method(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver, method, node, args = site.receiver, site.method, site.node, site.args
    if receiver is None or receiver.kind != "path" or method is None:
        return None
    if method in ("resolve", "absolute"):
        return replace(receiver, taints=tuple(replace(t, normalized=True) for t in receiver.taints))
    if method in ("joinpath", "with_name", "with_suffix"):
        return replace(receiver, taints=merge_taints(receiver.taints, data_of(*args).taints))
    if method in PATH_METHODS:
        fa.hit("path", f"Path.{method}()", node, receiver)
        if method in ("write_text", "write_bytes", "touch") and receiver.tmp:
            fa.tmp_write(receiver, node, f"a file written by Path.{method}")
        if method == "open" and args and any(c in (args[0].const or "") for c in "wax") and receiver.tmp:
            fa.tmp_write(receiver, node, "a file opened for writing")
        if method in ("unlink", "rmdir", "rmtree"):
            fa.tmp_cleanup(receiver, node)
        if method in ("read_text", "read_bytes") and (where := _under_tmp(receiver)) is not None:
            return Val(kind="tmp-content", extra=where)
        return CLEAN
    if method in ("exists", "is_file", "is_dir", "stat"):
        return CLEAN
    return None


def _tmp_file_event(fa: FunctionAnalysis, token: str, node: ast.Call, what: str) -> None:
    fa.summary.tmp.append(TmpEvent(token, fa.loc(node), fa.key, False, fa.in_finally > 0, what))


def _mkstemp(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    token = f"mkstemp@{site.node.lineno}"
    _tmp_file_event(fa, token, site.node, "a temporary file from tempfile.mkstemp()")
    return Val(kind="list", fields=(("0", CLEAN), ("1", Val(tmp=token))))


def _mkdtemp(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    return Val(tmp=f"mkdtemp@{site.node.lineno}")


def _tempfile_object(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    delete = site.kwargs.get("delete") or site.kwargs.get("delete_on_close")
    if site.qual == "tempfile.NamedTemporaryFile" and delete is not None and delete.kind == "false":
        token = f"ntf@{site.node.lineno}"
        _tmp_file_event(fa, token, site.node, "a temporary file created with delete=False")
        return Val(kind="tmpfile", tmp=token)
    return CLEAN


def _tempdir(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    return Val(const=None, prefix="/tmp", tmp="/tmp") if site.qual == "tempfile.gettempdir" else CLEAN


def _extract_archive(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver = site.receiver
    if site.method not in ("extractall", "extract") or receiver is None:
        return None
    target = site.arg(0 if site.method == "extractall" else 1, "path")
    if site.method == "extractall" and target is not None and target.tmp:
        fa.tmp_write(target, site.node, "an archive extracted")
    _tar_members(fa, site, receiver)
    return CLEAN


def _unpack_archive(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`shutil.unpack_archive(name, dest)` unpacks a tar with tarfile's own defaults: the same member names as
    `extractall` (a zip is unpacked by zipfile, which drops `..` itself)."""
    archive = site.arg(0, "filename")
    if archive is None or (archive.const or archive.prefix or "").endswith(".zip"):
        return CLEAN
    downloaded = fa.downloads.get(archive.tmp, ()) if archive.tmp else ()
    opened = Val(qual="tarfile.open()", taints=downloaded or archive.taints)
    fmt = site.arg(2, "format")
    if fmt is None or fmt.const != "zip":
        _tar_members(fa, site, opened)
    return CLEAN


def _tar_members(fa: FunctionAnalysis, site: CallSite, receiver: Val) -> None:
    """A tar archive the event names (its path or stream carries event data: the uploaded object) extracted
    without a `filter=`: its member names are paths its author chose (`../../var/task/app.py`, absolute
    paths, links). Only a tarfile: `zipfile` drops `..` and leading slashes itself. Cleaning the archive's own
    path (`basename(key)`) says nothing about the names inside, so that sanitiser does not count here."""
    if (receiver.qual or "") not in TAR_OPENERS or not receiver.taints:
        return
    chosen = site.kwargs.get("filter")
    if chosen is not None and chosen.const != "fully_trusted":
        return
    members = Val(taints=tuple(t.with_structure(False, sanitized=frozenset()) for t in receiver.taints))
    fa.hit("path", f"{site.method or site.qual}() member names", site.node, members)


def _tmp_cleanup_method(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    if site.method != "cleanup" or site.receiver is None or not site.receiver.tmp:
        return None
    fa.tmp_cleanup(site.receiver, site.node)
    return CLEAN


# ------------------------------------------------------------------------ exceptions and JWT decoding


def _exception_text(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """`traceback.format_exc()`: the current exception's traceback, an "exception" source. `sys.exc_info()` is
    a (type, value, traceback) triple: its first item is only the exception's class, no message or frames."""
    taint = Taint("exception", f"{site.qual}()", fa.loc(site.node), whole=True, structured=False)
    if site.qual == "sys.exc_info":
        text = Val(taints=(taint,))
        return Val(taints=(taint,), kind="exc-info", fields=(("0", CLEAN), ("1", text), ("2", text)))
    return Val(taints=(taint,))


def _jwt_decode(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """JWT claims read without verifying the token (the row's option says how the decoder verifies), and the
    signing key written in the source."""
    node = site.node
    if model.option in ("decode", "sign"):
        _jwt_literal_key(fa, site)
    if model.option == "sign":
        return data_of(site.first)
    if model.option == "manual":
        if not _is_jwt_payload(node.args[0] if node.args else None, fa.node):
            return None  # any other base64: the generic flow
        _jwt_issue(fa, site, f"the token's payload is base64-decoded by hand ({unparse(node, 50)})")
        return claims_of(*site.args)
    if model.option == "unverified":
        _jwt_issue(fa, site, f"{site.qual}() reads the claims without verifying the token")
        return claims_of(site.first)
    options = site.kwargs.get("options")
    disabled = [
        name for name in JWT_VERIFY_OPTIONS
        if options is not None and (flag := options.field_val(name)) is not None and flag.kind == "false"
    ]
    verify = site.kwargs.get("verify")
    if verify is not None and verify.kind == "false":
        disabled.append("verify")
    algorithms = site.kwargs.get("algorithms")
    if algorithms is not None and "none" in {(v.const or "").lower() for _, v in algorithms.fields or ()}:
        disabled.append('algorithms=["none"]')
    if disabled:
        _jwt_issue(fa, site, f"{site.qual}() with {', '.join(disabled)} disabled accepts a forged or expired token")
    return claims_of(site.first)


def _db_connect(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    """A literal password given to a database client (also through a constant) is a hard-coded credential
    even when it is a plain word; what looks like a secret anyway is the module-wide scan's to report."""
    for keyword in site.node.keywords:
        value = site.kwargs.get(keyword.arg or "")
        if (keyword.arg in CONNECTION_PASSWORD_KEYS and value is not None and value.const is not None
                and value.env is None and not value.taints and connection_password(value.const)):
            fa.issue("hardcoded-secret", f"the database password given to {site.qual}() is hard-coded in the "
                     "source; load it from Secrets Manager at init (or use IAM database authentication)",
                     keyword.value)
    return None


_PUBLIC_KEY = ("-----BEGIN PUBLIC KEY", "-----BEGIN RSA PUBLIC KEY", "-----BEGIN CERTIFICATE", "ssh-rsa ")


def _jwt_literal_key(fa: FunctionAnalysis, site: CallSite) -> None:
    """The key of `jwt.decode(token, key)` / `jwt.encode(claims, key)` is a literal: anyone who reads the code
    can sign tokens, whatever the literal looks like ("secret" is the classic one), as in JavaScript. Not a
    public key (it verifies, it cannot sign), a template placeholder, an environment lookup's fallback (the
    fallback check judges those), nor a literal the module-wide scan already reports (a credential shape, a
    secret-named constant where it is bound)."""
    key_node = site.node.args[1] if len(site.node.args) > 1 else next(
        (k.value for k in site.node.keywords if k.arg == "key"), None)
    key = site.arg(1, "key")
    if key_node is None or key is None or key.const is None or key.env is not None or key.taints:
        return
    text = key.const.strip()
    if not text or text.startswith(("<", "${", "{{", *_PUBLIC_KEY)) or secret_shape(text) is not None:
        return
    if isinstance(key_node, ast.Name) and is_secret_name(key_node.id) and looks_secret_value(text):
        return
    fa.issue("hardcoded-secret", f"the JWT signing key {shorten(repr(text), 30)} is hard-coded in the source; "
             "anyone who reads the code can forge tokens: load it from Secrets Manager or SSM at init", key_node)


def _is_jwt_payload(arg: ast.expr | None, scope: ast.AST | None) -> bool:
    """`token.split(".")[1]` (possibly padded: `token.split(".")[1] + "=="`), or `parts[1]` where the function
    around the call assigns `parts = token.split(".")`."""
    if isinstance(arg, ast.BinOp):
        arg = arg.left
    if not (isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Constant) and arg.slice.value == 1):
        return False
    if isinstance(arg.value, ast.Name):
        return scope is not None and _bound_to_dot_split(arg.value.id, scope)
    return _is_dot_split(arg.value)


def _is_dot_split(value: ast.expr) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "split"
        and bool(value.args)
        and isinstance(value.args[0], ast.Constant)
        and value.args[0].value == "."
    )


def _bound_to_dot_split(name: str, scope: ast.AST) -> bool:
    """Only asked when a base64 decoder is handed `name[1]`, so walking the function once is cheap."""
    return any(
        isinstance(node, ast.Assign) and _is_dot_split(node.value)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        for node in ast.walk(scope)
    )


def _jwt_issue(fa: FunctionAnalysis, site: CallSite, what: str) -> None:
    """A token read from the `Authorization` header is "jwt-unverified-bearer": the rule drops it when an API
    Gateway Cognito or JWT authorizer in front of every route of the function verified that header."""
    kind = "jwt-unverified-bearer" if from_authorization_header(site.first) else "jwt-unverified"
    fa.issue(kind, f"{what}; anyone can forge the claims the code then trusts", site.node)


# -------------------------------------------------------------------------- sanitisers and transforms


def _sanitize(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    return Val(taints=tuple(t.clean_for(model.option) for t in site.first.taints))


def _sanitize_path_suffix(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    if not site.qual.endswith(".secure_filename"):
        return None
    return Val(taints=tuple(t.clean_for("path") for t in site.first.taints))


def _normalize(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    first = site.first
    return Val(taints=tuple(replace(t, normalized=True) for t in first.taints), tmp=first.tmp, prefix=first.prefix)


def _path_join(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    args = site.args
    return fa.fmt([args[0], *[p for a in args[1:] for p in (Val(const="/"), a)]]) if args else CLEAN


def _path_split(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    first = site.first
    tail = tuple(t.clean_for("path") if site.qual == "os.path.split" else t for t in first.taints)
    return Val(kind="list", fields=(("0", first.data()), ("1", Val(taints=tail))))


def _parse_json(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    first = site.first
    if first.kind == "environ":
        return first
    return Val(taints=tuple(t.with_structure(True) for t in first.taints))


def _to_string(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    first = site.first
    return first if first.kind == "environ" else stringify(first)


def _regex_compile(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    return Val(kind="regex", extra=site.args[0].const) if site.args else None


def _regex_sub(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    args = site.args
    if len(args) < 3:
        return None
    if (args[0].const or "").startswith("[^") and args[1].const == "":
        return CLEAN  # a negated character class replaced by nothing: an allowlist
    return stringify(args[2])


def _regex_match(fa: FunctionAnalysis, site: CallSite, model: Model) -> Val | None:
    args = site.args
    if len(args) < 2:
        return None
    anchored = site.qual == "re.fullmatch" or is_anchored(args[0].const)
    subject = next(iter(names_in(site.node.args[1])), None)
    return Val(kind="match" if anchored else None, extra=subject, taints=args[1].taints)


def _powertools(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    if not site.qual.startswith(POWERTOOLS_PREFIXES):
        return None
    result = powertools(fa, site.qual, site.args, site.kwargs, site.node)
    return GENERIC if result is None else result


def _validate(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    q, kwargs = site.qual, site.kwargs
    if not (
        site.method in VALIDATE_METHODS
        or q.endswith(SCHEMA_VALIDATORS)
        or (q.rsplit(".", maxsplit=1)[-1] in ("parse", "validate") and "model" in kwargs)
    ):
        return None
    data = data_of(*site.args, *kwargs.values())
    if data.taints:
        fa.summary.validates = True
    model = site.receiver if site.method in VALIDATE_METHODS else kwargs.get("model")
    if model is not None and model.kind == "class" and model.extra:
        return model_instance(fa, model.extra, data_of(*site.args, kwargs.get("event", CLEAN)))
    return CLEAN


def _validate_method(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    if site.method == "validate" and site.args and any(a.taints for a in site.args):
        fa.summary.validates = True
        return CLEAN
    return None


def _regex_match_method(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver, args = site.receiver, site.args
    if receiver is None or receiver.kind != "regex" or site.method not in ("fullmatch", "match", "search") or not args:
        return None
    anchored = site.method == "fullmatch" or is_anchored(receiver.extra)
    subject = next(iter(names_in(site.node.args[0])), None)
    return Val(kind="match" if anchored else None, extra=subject, taints=args[0].taints)


def _tainted_receiver(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """A method of caller data: field reads keep the access path, splitting on "/" and replacing "/" or ".."
    make path-safe parts, formatting builds a string, anything else carries the data on."""
    receiver, method, node, args, kwargs = site.receiver, site.method, site.node, site.args, site.kwargs
    if receiver is None or method is None or not receiver.taints:
        return None
    if receiver.kind in ("web-request", "chalice-request"):
        return fa.web_field(receiver, method, node)
    fa.use(receiver, node)
    if receiver.kind == "upload" and method == "save" and (args or "dst" in kwargs):
        destination = args[0] if args else kwargs["dst"]
        fa.hit("path", f"{unparse(node.func, 40)}()", node, destination)
        fa.tmp_write(destination, node, "an uploaded file saved")
        return CLEAN
    if method == "to_dict":
        return Val(taints=receiver.taints)
    if method == "keys" and not args:
        return names_of(receiver)
    if method in FIELD_READS:
        return _field_read(fa, site, receiver)
    if method in ("split", "rsplit") and args and "/" in (args[0].const or ""):
        return Val(kind="split-slash", taints=tuple(t.with_structure(False) for t in receiver.taints))
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
        return fa.format_template(receiver.const or receiver.text or "", [*args, *kwargs.values(), *site.spread])
    if method in ("items", "values", "keys", "copy"):
        return Val(taints=receiver.taints, kind="list" if method != "copy" else None)
    if method in BOOL_METHODS:
        return CLEAN
    return stringify(data_of(receiver, *args))


def _field_read(fa: FunctionAnalysis, site: CallSite, receiver: Val) -> Val:
    """`event.get("body")`, `headers.get("x", default)`: the field, named by the call that read it."""
    args, kwargs, node = site.args, site.kwargs, site.node
    key = args[0] if args else kwargs.get("name", CLEAN)
    default = args[1] if len(args) > 1 else kwargs.get("default_value", CLEAN)
    field_value = fa.subscript(receiver, key, node)
    if receiver.kind == "environ":
        return field_value
    if default.taints:
        return join(field_value, default)
    head = receiver.taints[0]
    if not head.whole:
        return field_value
    read = unparse(node, 70)
    return field_value.with_taints(
        tuple(t.with_source(read) if t.source == head.source else t for t in field_value.taints))


def _table_lookup(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    """`HOSTS.get(tenant)` on a dict literal of fixed values: the result is one of those values (or the
    default), whichever key the caller chose."""
    receiver, args = site.receiver, site.args
    if (
        site.method != "get"
        or receiver is None
        or receiver.kind != "dict"
        or receiver.taints
        or not receiver.fields
        or not args
        or any(value.taints for _, value in receiver.fields)
    ):
        return None
    result = args[1] if len(args) > 1 else CLEAN
    for _, value in receiver.fields:
        result = join(result, value)
    return result


def _format_literal(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver = site.receiver
    if receiver is None or site.method != "format" or receiver.const is None:
        return None
    return fa.format_template(receiver.const, [*site.args, *site.kwargs.values(), *site.spread])


def _join_literal(fa: FunctionAnalysis, site: CallSite) -> Val | None:
    receiver = site.receiver
    if receiver is None or site.method != "join" or receiver.const is None or not site.args:
        return None
    taints = site.args[0].taints
    if "/" in receiver.const:
        taints = tuple(replace(t, sanitized=t.sanitized - {"path"}) for t in taints)
    return Val(taints=tuple(t.with_structure(False) for t in taints), text=receiver.const)


TRANSFERS: dict[str, Transfer] = {
    "env-read": _env_read,
    "exception-text": _exception_text,
    "jwt-decode": _jwt_decode,
    "db-connect": _db_connect,
    "env-copy": _env_copy,
    "shell-string": _shell_string,
    "subprocess": _subprocess,
    "exec-program": _exec_program,
    "code": _code,
    "response-object": _response_object,
    "management-command": _management_command,
    "load-from-path": _load_from_path,
    "sys-path": _sys_path,
    "deser": _deser,
    "yaml-load": _yaml_load,
    "ruamel-yaml": _ruamel_yaml,
    "exec-argv": _exec_argv,
    "split-argv": _split_argv,
    "numpy-load": _numpy_load,
    "template": _template,
    "jinja-environment": _jinja_environment,
    "unpack-archive": _unpack_archive,
    "url-request-object": _url_request_object,
    "url": _url,
    "http-session": _http_session,
    "sql-text": _sql_text,
    "path-func": _path_func,
    "path-object": _path_object,
    "mkstemp": _mkstemp,
    "mkdtemp": _mkdtemp,
    "tempfile-object": _tempfile_object,
    "tempdir": _tempdir,
    "sanitize": _sanitize,
    "normalize": _normalize,
    "path-join": _path_join,
    "path-split": _path_split,
    "parse-json": _parse_json,
    "to-string": _to_string,
    "regex-compile": _regex_compile,
    "regex-sub": _regex_sub,
    "regex-match": _regex_match,
}
"""Transfer name (models.py `Model.transfer`) → its function."""

RULES: dict[str, Rule] = {
    "log": _log,
    "loop-subprocess": _loop_subprocess,
    "ruamel-load": _ruamel_load,
    "template-from-string": _template_from_string,
    "jinja-render": _jinja_render,
    "url-session": _url_session,
    "sql-execute": _sql_execute,
    "sql-query": _sql_query,
    "mongo": _mongo,
    "path-object-method": _path_object_method,
    "tmp-file-read": _tmp_file_read,
    "extract-archive": _extract_archive,
    "tmp-cleanup-method": _tmp_cleanup_method,
    "sanitize-path-suffix": _sanitize_path_suffix,
    "powertools": _powertools,
    "validate": _validate,
    "validate-method": _validate_method,
    "regex-match-method": _regex_match_method,
    "table-lookup": _table_lookup,
    "tainted-receiver": _tainted_receiver,
    "format-literal": _format_literal,
    "join-literal": _join_literal,
}
"""Method rule name (models.py `METHOD_RULES`) → its function."""

_ORDERED_RULES: tuple[tuple[int, Rule], ...] = tuple((rank, RULES[name]) for rank, name in METHOD_RULES)
