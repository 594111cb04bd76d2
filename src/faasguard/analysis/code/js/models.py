"""JavaScript/TypeScript library models as data: which calls are sinks, sanitisers, sources and pass-throughs.

Rows name a callable by its module-qualified name as imported (`child_process.exec` whether it came from
`require('child_process').exec`, `import { exec } from 'node:child_process'` or `util.promisify(exec)`), or by
method name on an object kind the interpreter tracks (an SQL client, a knex instance, a Mongo collection).
Each row says what the call is in the core's terms: a sink KIND of core/sinks.py and which arguments reach it,
never a rule id. To model a new library call, add a row here with a positive and a negative corpus snippet in
tests/fixtures/code/js/corpus.
"""

from __future__ import annotations

from faasguard._record import record

ALL_ARGS = -1


@record
class SinkRow:
    kind: str
    """Sink kind (core/sinks.py)."""
    args: tuple[int, ...] = (0,)
    """Argument positions that reach the sink; ALL_ARGS for every argument."""
    when: str = ""
    """"" always; "shell-option": only with `{shell: true}` in the options argument (spawn/execFile);
    "string": only when the argument is not a function (setTimeout); "unsafe-yaml": js-yaml load with an
    unsafe schema or js-yaml 3; "structured": the value must be able to be an object (operator injection)."""
    field: str = ""
    """For an options-object argument: the field that reaches the sink (`{url}` for axios, `{sql}` for mysql)."""


QUAL_SINKS: dict[str, SinkRow] = {
    # command execution
    "child_process.exec": SinkRow("shell"),
    "child_process.execSync": SinkRow("shell"),
    "child_process.spawn": SinkRow("shell", (0, 1), "shell-option"),
    "child_process.spawnSync": SinkRow("shell", (0, 1), "shell-option"),
    "child_process.execFile": SinkRow("shell", (0, 1), "shell-option"),
    "child_process.execFileSync": SinkRow("shell", (0, 1), "shell-option"),
    "shelljs.exec": SinkRow("shell"),
    "execa.execaCommand": SinkRow("shell"),
    "execa.execaCommandSync": SinkRow("shell"),
    "execa.command": SinkRow("shell"),
    "execa.commandSync": SinkRow("shell"),
    # code evaluation
    "eval": SinkRow("code"),
    "Function": SinkRow("code", (ALL_ARGS,)),
    "vm.runInNewContext": SinkRow("code"),
    "vm.runInThisContext": SinkRow("code"),
    "vm.runInContext": SinkRow("code"),
    "vm.Script": SinkRow("code"),
    "vm.compileFunction": SinkRow("code"),
    "setTimeout": SinkRow("code", (0,), "string"),
    "setInterval": SinkRow("code", (0,), "string"),
    # deserialization
    "node-serialize.unserialize": SinkRow("deser"),
    "serialize-to-js.deserialize": SinkRow("deser"),
    "funcster.deepDeserialize": SinkRow("deser"),
    "js-yaml.load": SinkRow("deser", (0,), "unsafe-yaml"),
    "js-yaml.loadAll": SinkRow("deser", (0,), "unsafe-yaml"),
    # templates
    "ejs.render": SinkRow("template"),
    "ejs.compile": SinkRow("template"),
    "handlebars.compile": SinkRow("template"),
    "pug.render": SinkRow("template"),
    "pug.compile": SinkRow("template"),
    "lodash.template": SinkRow("template"),
    "nunjucks.renderString": SinkRow("template"),
    # outbound requests (the url rule checks the host is not fixed)
    "fetch": SinkRow("url", (0,), field="url"),
    "node-fetch": SinkRow("url", (0,), field="url"),
    "axios": SinkRow("url", (0,), field="url"),
    "axios.get": SinkRow("url"),
    "axios.post": SinkRow("url"),
    "axios.put": SinkRow("url"),
    "axios.patch": SinkRow("url"),
    "axios.delete": SinkRow("url"),
    "axios.head": SinkRow("url"),
    "axios.request": SinkRow("url", (0,), field="url"),
    "got": SinkRow("url", (0,), field="url"),
    "got.get": SinkRow("url"),
    "got.post": SinkRow("url"),
    "http.get": SinkRow("url", (0,), field="host"),
    "http.request": SinkRow("url", (0,), field="host"),
    "https.get": SinkRow("url", (0,), field="host"),
    "https.request": SinkRow("url", (0,), field="host"),
    **{f"{module}{method}": SinkRow("url", (0,), field="url")
       for module in ("request", "request-promise", "request-promise-native")
       for method in ("", ".get", ".post", ".put", ".patch", ".del", ".delete", ".head")},
    "superagent.get": SinkRow("url"),
    "superagent.post": SinkRow("url"),
    "needle.get": SinkRow("url"),
    "undici.request": SinkRow("url"),
    "undici.fetch": SinkRow("url"),
    # logging
    "console.log": SinkRow("log", (ALL_ARGS,)),
    "console.info": SinkRow("log", (ALL_ARGS,)),
    "console.warn": SinkRow("log", (ALL_ARGS,)),
    "console.error": SinkRow("log", (ALL_ARGS,)),
    "console.debug": SinkRow("log", (ALL_ARGS,)),
    "console.dir": SinkRow("log", (ALL_ARGS,)),
    "console.trace": SinkRow("log", (ALL_ARGS,)),
}

_FS_PATH_CALLS = (
    "readFile", "readFileSync", "writeFile", "writeFileSync", "appendFile", "appendFileSync", "createReadStream",
    "createWriteStream", "unlink", "unlinkSync", "rm", "rmSync", "readdir", "readdirSync", "open", "openSync",
    "stat", "statSync", "mkdir", "mkdirSync", "copyFile", "copyFileSync", "rename", "renameSync", "access",
    "accessSync", "existsSync", "rmdir", "rmdirSync", "lstat", "lstatSync", "truncate",
)
for _module in ("fs", "fs.promises", "fs/promises", "fs-extra", "graceful-fs"):
    for _name in _FS_PATH_CALLS:
        QUAL_SINKS[f"{_module}.{_name}"] = SinkRow("path", (0, 1) if _name.startswith(("copyFile", "rename")) else (0,))
for _name in ("outputFile", "outputFileSync", "readJson", "readJSON", "writeJson", "remove", "removeSync",
              "pathExists", "ensureFile"):
    QUAL_SINKS[f"fs-extra.{_name}"] = SinkRow("path")

TMP_WRITES = frozenset(
    f"{m}.{n}" for m in ("fs", "fs.promises", "fs/promises", "fs-extra")
    for n in ("writeFile", "writeFileSync", "appendFile", "appendFileSync", "createWriteStream", "outputFile",
              "outputFileSync", "writeJson", "copyFile", "copyFileSync", "mkdtemp", "mkdtempSync")
)
"""Calls that leave a file under /tmp when their path argument (the last path one for copies) is there."""
TMP_CLEANUPS = frozenset(
    f"{m}.{n}" for m in ("fs", "fs.promises", "fs/promises", "fs-extra")
    for n in ("unlink", "unlinkSync", "rm", "rmSync", "rmdir", "rmdirSync", "remove", "removeSync", "emptyDir",
              "emptyDirSync")
)

SHELL_PROGRAMS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "cmd", "cmd.exe", "powershell", "pwsh"})
SHELL_COMMAND_FLAGS = frozenset({"-c", "-lc", "-ec", "/c", "-Command", "-command"})
"""`spawn("bash", ["-c", script])` runs `script` through the shell as surely as `exec(script)` does."""

SANITIZERS: dict[str, tuple[str, ...]] = {
    "path.basename": ("path",),
    "path.posix.basename": ("path",),
    "encodeURIComponent": ("url", "path", "shell", "sql"),
    "escape-html": ("template", "all"),
    "validator.escape": ("all",),
    "he.encode": ("template", "html"),
    "he.escape": ("template", "html"),
    "lodash.escape": ("html",),
    "xss": ("html",),
    "xss.filterXSS": ("html",),
    "sanitize-html": ("html",),
    "dompurify.sanitize": ("html",),
    "isomorphic-dompurify.sanitize": ("html",),
    "html-entities.encode": ("html",),
    "entities.encode": ("html",),
    "entities.escape": ("html",),
    "sqlstring.escape": ("sql",),
    "mysql.escape": ("sql",),
    "mysql2.escape": ("sql",),
    "mysql.format": ("sql",),
    "mysql2.format": ("sql",),
    "pg-format": ("sql",),
    "shell-quote.quote": ("shell",),
    "shell-escape": ("shell",),
    "sanitize-filename": ("path",),
    "parseInt": ("all",),
    "mongodb.ObjectId": ("all",),
    "mongodb.ObjectID": ("all",),
    "bson.ObjectId": ("all",),
    "mongoose.Types.ObjectId": ("all",),
    "mongoose.mongo.ObjectId": ("all",),
    "parseFloat": ("all",),
    "Number": ("all",),
    "Boolean": ("all",),
    "Number.parseInt": ("all",),
    "Number.parseFloat": ("all",),
    "Math.floor": ("all",),
    "Math.round": ("all",),
    "uuid.v4": ("all",),
    "crypto.randomUUID": ("all",),
    "crypto.createHash": ("all",),
}
"""Calls whose result is safe for the listed sink kinds ("all": a number, a hash, a fresh id)."""

NORMALIZERS = frozenset({"path.resolve", "path.normalize", "path.join", "path.posix.join", "path.posix.resolve"})
"""The result is normalised: a following prefix check (`startsWith(base)`) with an exit makes it a safe path."""

PASS_THROUGH = frozenset({
    "decodeURIComponent", "decodeURI", "unescape", "String", "Buffer.from", "querystring.parse", "qs.parse",
    "url.parse", "URL", "URLSearchParams", "Object.values", "Object.entries", "Object.keys", "Array.from",
    "util.format", "Promise.resolve", "Promise.all", "structuredClone",
})
"""Calls whose result carries their arguments' data (the default for unknown calls too; listed for clarity and
for the parse-is-JSON distinction below)."""

JSON_PARSERS = frozenset({"JSON.parse", "querystring.parse", "qs.parse", "JSON5.parse", "json5.parse"})
"""The result is a structure the sender chose (operator injection possible), whatever the input was."""

VALIDATOR_METHODS = frozenset({"validate", "validateAsync", "validateSync", "parse", "parseAsync", "safeParse",
                               "safeParseAsync", "assert", "is", "check", "cast"})
"""Methods of a schema object (zod, joi, yup, ajv, superstruct, class-validator): calling one on event data
counts as validating the event."""
VALIDATOR_MODULES = frozenset({"zod", "joi", "yup", "ajv", "superstruct", "class-validator", "@middy/validator",
                               "@hapi/joi", "io-ts", "valibot", "@sinclair/typebox", "jsonschema"})

SQL_CLIENTS = {
    "mysql.createConnection": "sql-client", "mysql.createPool": "sql-client",
    "mysql2.createConnection": "sql-client", "mysql2.createPool": "sql-client",
    "mysql2/promise.createConnection": "sql-client", "mysql2/promise.createPool": "sql-client",
    "pg.Client": "sql-client", "pg.Pool": "sql-client", "pg": "sql-client",
    "serverless-mysql": "sql-client", "postgres": "sql-client",
    "knex": "knex", "knex.knex": "knex",
    "sequelize.Sequelize": "sequelize", "sequelize": "sequelize",
    "mongodb.MongoClient": "mongo", "mongodb.MongoClient.connect": "mongo", "mongoose.connect": "mongo",
    "mongoose.model": "mongo-collection", "mongoose": "mongo",
    "express": "webapp", "koa": "webapp", "fastify": "webapp", "express.Router": "webapp", "@koa/router": "webapp",
    "koa-router": "webapp", "hono.Hono": "webapp", "lambda-api": "webapp",
}
"""Constructors/factories → the object kind their result is (method rows below apply to it)."""

KIND_METHODS: dict[str, dict[str, SinkRow]] = {
    "sql-client": {"query": SinkRow("sql", (0,), field="sql"), "execute": SinkRow("sql", (0,), field="sql"),
                   "unsafe": SinkRow("sql")},
    "knex": {m: SinkRow("sql") for m in ("raw", "whereRaw", "orWhereRaw", "havingRaw", "orderByRaw", "joinRaw",
                                           "groupByRaw", "selectRaw", "fromRaw")},
    "sequelize": {"query": SinkRow("sql")},
    "mongo-collection": {m: SinkRow("nosql", (0,), "structured") for m in (
        "find", "findOne", "updateOne", "updateMany", "deleteOne", "deleteMany", "countDocuments", "findOneAndUpdate",
        "findOneAndDelete", "aggregate", "where", "replaceOne", "exists")},
}
KIND_RESULTS: dict[str, dict[str, str]] = {
    "mongo": {"db": "mongo", "collection": "mongo-collection", "connect": "mongo", "model": "mongo-collection"},
    "sequelize": {"define": "model"},
    "knex": {"table": "knex", "select": "knex", "where": "knex", "from": "knex", "transaction": "knex"},
    "sql-client": {"connect": "sql-client", "getConnection": "sql-client", "promise": "sql-client"},
}
"""Methods of a tracked kind whose result is again a tracked kind (`client.db(x).collection(y)`)."""

SQL_METHOD_NAMES = frozenset({"query", "execute", "raw", "unsafe", "run", "all", "get", "exec"})
SQL_TEXT = ("select ", "insert ", "update ", "delete ", " from ", " where ", "values", "order by")
"""A call named like a query method whose (partly known) text is SQL is an SQL sink even when the client object
came from somewhere the interpreter does not follow (a package, a parameter)."""

LOG_METHODS = frozenset({"info", "debug", "warn", "error", "log", "trace", "fatal", "critical", "verbose"})
LOGGER_NAMES = frozenset({"logger", "log", "console", "winston", "pino", "bunyan"})

WEB_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "del", "all", "use", "route", "head",
                               "options", "any"})
WEB_WRAPPERS = frozenset({"serverless-http", "@vendia/serverless-express", "@codegenie/serverless-express",
                          "aws-serverless-express", "aws-lambda-fastify", "@fastify/aws-lambda",
                          "serverless-http.default", "hono/aws-lambda.handle"})
"""Adapters whose result is a Lambda handler running every route of the app they wrap."""
HANDLER_WRAPPERS = frozenset({"@middy/core", "middy", "@middy/core.default",
                              "@aws-lambda-powertools/logger.injectLambdaContext",
                              *(f"vandium.{kind}" for kind in ("generic", "s3", "sqs", "sns", "dynamodb", "kinesis",
                                                               "scheduled", "cloudwatch", "cloudformation",
                                                               "cognito", "ses", "lex"))})
"""Wrappers (middy) whose result is the wrapped handler; `.use(...)` on it returns it again, and
`.handler(fn)` on it is `fn` (vandium's `vandium.generic().handler((event, context, callback) => ...)`)."""
REQUEST_FIELDS = frozenset({"body", "query", "params", "headers", "cookies", "path", "url", "originalUrl",
                            "hostname", "ip", "request", "get", "header", "param"})

STRING_REQUEST_PARTS = frozenset({"params", "headers", "cookies"})
"""Parts of a web framework's request that only ever hold strings (route parameters, header and cookie values);
`body` (parsed JSON) and `query` (Express's `qs` turns `a[$ne]=1` into an object) may be objects the sender
shaped, which is what operator injection needs."""

GATEWAY_SET_CONTEXT = frozenset({"requestId", "extendedRequestId", "stage", "apiId", "domainName", "domainPrefix",
                                 "accountId", "resourceId", "resourcePath", "httpMethod", "requestTime",
                                 "requestTimeEpoch", "time", "timeEpoch", "routeKey", "connectionId",
                                 "connectedAt", "eventType", "messageId"})
"""`event.requestContext` fields API Gateway (and Lambda function URLs) fill in themselves: ids it generated, the
API's own stage and domain, the matched route template, timestamps. A request id in a /tmp file name or a
command line is not caller text. (`path`, `http.path` and `identity.userAgent` are the caller's and stay
tainted; `authorizer` claims may hold attributes the user chose.)"""

UNSAFE_YAML_SCHEMAS = ("DEFAULT_FULL_SCHEMA", "FULL_SCHEMA")

RESPONSE_BODY_METHODS = frozenset({"send", "end", "write"})
"""Methods of an Express/Fastify response whose argument is the body sent to the caller (`json` is not: it is
never HTML)."""
RESPONSE_JSON_METHODS = frozenset({"json", "jsonp"})
"""Methods that serialise their argument as the body: never HTML, but an exception in it is still shown."""
RESPONSE_TYPE_METHODS = frozenset({"type", "contentType"})
HTML_BY_DEFAULT = frozenset({"express", "express.Router", "express.default"})
"""Apps whose `res.send(string)` answers `Content-Type: text/html` unless the route set another type (Express;
Fastify and Koa answer a string as text/plain)."""
RESPONSE_HEADER_METHODS = frozenset({"set", "header", "setHeader", "append"})
"""`res.type("html")`, `reply.header("Content-Type", "text/html")`: the body sent next is HTML whatever it looks
like."""
RESPONSE_CHAIN_METHODS = frozenset({"status", "code", "headers", "cookie", "vary", "location"})
RESPONSE_REDIRECT_METHODS = frozenset({"redirect", "location"})
"""Express/Fastify response methods that set where the browser goes (a "redirect" sink)."""
"""Methods that return the response again, so a chained `.send()` keeps what was set before."""

MERGE_INTO: dict[str, tuple[int, ...]] = {
    "Object.assign": (ALL_ARGS,),
    **{f"{lib}.{name}": (ALL_ARGS,) for lib in ("lodash", "lodash-es", "underscore")
       for name in ("merge", "mergeWith", "defaultsDeep", "defaults", "assign", "assignIn", "extend")},
    **{f"{lib}.{name}": (1, 2) for lib in ("lodash", "lodash-es") for name in ("set", "setWith")},
    **{f"lodash.{name}": (ALL_ARGS,) for name in ("merge", "mergewith", "defaultsdeep")},  # standalone packages
    **{f"lodash/{name}": (ALL_ARGS,) for name in ("merge", "mergeWith", "defaultsDeep", "assign")},
    **{f"lodash/{name}": (1, 2) for name in ("set", "setWith")},
    "deep-extend": (ALL_ARGS,),
    "merge.recursive": (ALL_ARGS,),
    "dot-prop.setProperty": (1, 2),
    "dot-prop.set": (1, 2),
    "set-value": (1, 2),
}
"""Calls that copy their other arguments (ALL_ARGS: every argument after the first) into their first: caller data
merged into a module-level object outlives the invocation (state kept across callers), and a `__proto__` or
`constructor.prototype` key in parsed caller JSON reaches `Object.prototype` of the warm environment (prototype
pollution). Recorded as a "store" into module-level state when the target is module-level; a merge into a fresh
local object is neither."""
