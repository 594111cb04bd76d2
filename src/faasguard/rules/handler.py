"""Handler code rules (FG202, FG204–FG208, FG501–FG516), reading the facts of `faasguard.analysis.code`.

Each rule owns its detection: it names the sink kinds, source (taint) kinds and issue kinds it reports (the
analysis knows kinds, never rule ids; its library models are rows that name a sink kind, and sanitiser rows name
the sink kind they protect), and it decides what turns those facts into a
finding: the message, the evidence, and which repeated flows are one problem. The location is the sink (or the
offending line), `resource` and
`function` are the function id, and taint findings carry every hop source → sink as evidence (the SARIF reporter
renders it as a code flow). When several functions share a handler module, one offending line is one finding
naming all of them.

Size: a family of a dozen handler rules; most of the lines are each rule's catalog documentation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from faasguard.analysis.code.facts import HandlerFacts, TaintFlow
from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.model import AuthType, Location, TriggerKind
from faasguard.rules.base import Rule, RuleContext, register

Item = tuple[Location, str, tuple[EvidenceStep, ...]]


class _HandlerRule(Rule):
    """A rule over handler facts: it claims sink kinds (`sinks`) and issue kinds (`issue_kinds`) that the code
    analysis reports, and decides what one finding is: its message, its evidence, and which repeated flows are
    one problem (`flow_key`)."""

    fix_text: ClassVar[str] = ""
    sinks: ClassVar[frozenset[str]] = frozenset()
    """Sink kinds of `faasguard.analysis.code.core.sinks` whose flows this rule reports."""
    issue_kinds: ClassVar[frozenset[str]] = frozenset()
    sources: ClassVar[frozenset[str]] = frozenset()
    """Taint kinds of those sinks this rule reports ("secret", "exception"...); empty: every kind the sink
    kind's policy keeps."""
    http_only: ClassVar[bool] = False
    """Report only functions a caller reaches over HTTP (or whose triggers are not known)."""

    def flow_key(self, flow: TaintFlow) -> tuple[object, ...]:
        """Flows with the same key are one finding (the first met is reported): one per sink line."""
        return (flow.location.line, flow.location.path)

    def flow_item(self, flow: TaintFlow) -> Item:
        return (flow.location, f"event data ({flow.source}) reaches {flow.sink}", flow.steps)

    def items(self, facts: HandlerFacts) -> Iterator[Item]:
        """(location, message, evidence) of every offending place in one handler, first-met first."""
        seen: set[tuple[object, ...]] = set()
        for flow in facts.flows:
            if flow.kind in self.sinks and (not self.sources or flow.taint in self.sources):
                key = self.flow_key(flow)
                if key not in seen:
                    seen.add(key)
                    yield self.flow_item(flow)
        for issue in facts.issues:
            if issue.kind in self.issue_kinds:
                yield (issue.location, issue.message, issue.evidence)

    def items_of(self, ctx: RuleContext, function_id: str, facts: HandlerFacts) -> Iterator[Item]:
        """`items` of one function of the application (a rule whose judgement depends on how the function is
        deployed overrides this)."""
        return self.items(facts)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for location, message, functions, evidence in self._grouped(ctx):
            names = ", ".join(functions)
            yield self.finding(
                f"{names}: {message}",
                location.with_id(functions[0]),
                functions[0],
                function=list(functions),
                evidence=evidence,
                fix=self.fix_text or None,
            )

    def _grouped(self, ctx: RuleContext) -> Iterator[tuple[Location, str, list[str], tuple[EvidenceStep, ...]]]:
        """(location, message, function ids, evidence) per offending line, merged across functions."""
        merged: dict[tuple[str, int], tuple[Location, str, list[str], tuple[EvidenceStep, ...]]] = {}
        # a rule that reads only the flows and issues it claims skips the handlers holding none of their kinds
        claimed = self.sinks | self.issue_kinds if type(self).items is _HandlerRule.items else None
        for function_id, facts, kinds in _handler_index(ctx):
            if claimed is not None and claimed.isdisjoint(kinds):
                continue
            if self.http_only and not _reached_over_http(ctx, function_id):
                continue
            for location, message, evidence in self.items_of(ctx, function_id, facts):
                key = (location.path, location.line)
                if key in merged:
                    merged[key][2].append(function_id)
                else:
                    merged[key] = (location, message, [function_id], evidence)
        yield from (merged[k] for k in sorted(merged))


_HandlerIndex = list[tuple[str, HandlerFacts, frozenset[str]]]


def _handler_index(ctx: RuleContext) -> _HandlerIndex:
    """The application's handler facts sorted by function id, each with the kinds of its flows and issues:
    derived once per application for the twenty handler rules, each of which otherwise sorted every handler
    and walked every flow (a 10,000-function app: 200,000 handler visits for a few hundred findings)."""
    held: list[tuple[Mapping[str, HandlerFacts], _HandlerIndex]] = ctx.app.derived("handler-rule-index", lambda _: [])
    handlers = ctx.facts.handlers
    if not held or held[0][0] is not handlers:  # the same application with other facts (tests, audit)
        held[:] = [(handlers, [(function_id, facts, frozenset([*(f.kind for f in facts.flows),
                                                                 *(i.kind for i in facts.issues)]))
                               for function_id, facts in sorted(handlers.items())])]
    return held[0][1]


def _reached_over_http(ctx: RuleContext, function_id: str) -> bool:
    """A function with an HTTP trigger, or with no trigger the model knows (bare code, a web route, a
    function invoked directly): its return value may reach a person."""
    triggers = ctx.app.triggers_of(function_id)
    return not triggers or any(t.kind.is_http for t in triggers)


def _behind_token_authorizers(ctx: RuleContext, function_id: str) -> bool:
    """Every trigger of the function is an API route with a Cognito user pool or JWT authorizer (which read and
    verify the `Authorization` header, their default identity source, before invoking it)."""
    triggers = ctx.app.triggers_of(function_id)
    return bool(triggers) and all(t.kind.is_http and t.auth is not None
                                  and t.auth.type in (AuthType.COGNITO, AuthType.JWT) for t in triggers)


def _label(flow: TaintFlow) -> str:
    return {
        "secret": "secret read",
        "decrypted": "data decrypted with KMS",
        "environ": "the whole environment",
        "event": "event data",
        "exception": "exception text",
    }.get(flow.taint, "value")


def _sink_evidence(flow: TaintFlow) -> tuple[EvidenceStep, ...]:
    """source → hops → the sink itself (a log call or a store is the problem, not something it reaches)."""
    return (
        EvidenceStep(f"{_label(flow)}: {flow.source}", flow.source_location),
        *flow.hops,
        EvidenceStep(flow.sink, flow.location),
    )


def _first_per_line(items: Iterator[Item]) -> Iterator[Item]:
    seen: set[tuple[str, int]] = set()
    for item in items:
        key = (item[0].path, item[0].line)
        if key not in seen:
            seen.add(key)
            yield item


@register
class HardcodedSecret(_HandlerRule):
    """## What it does
    Finds secret literals in handler source: strings with the shape of a credential (AWS access key ids,
    private keys, Stripe/GitHub/Slack/Google keys, Slack incoming-webhook URLs, passwords inside connection
    URLs) and literals bound to names that say they hold a secret (`DB_PASSWORD`, `api_key`, `client_secret`,
    a `"x-api-key"` header entry), or compared with what such a name holds
    (`headers.get("x-api-key") == "..."`), or given as the fallback of such a name
    (`os.environ.get("DB_PASSWORD", "Winter2024!")`, `os.getenv(...)`: it runs wherever the variable is
    unset; empty and placeholder fallbacks are not reported). Also any string literal given as a JWT key
    (`jsonwebtoken`'s `sign` / `verify`, PyJWT and python-jose `encode` / `decode`: `jwt.verify(token,
    "shhhhh")`; public keys are not secrets), and any literal password given to a database client
    (`pymysql.connect(password=...)`, `mysql.createConnection({password})`, knex's `connection`): whoever reads
    it can mint tokens the function accepts or log in to the database, however short or word-like it is.

    ## Why is this bad?
    Source code is copied into deployment packages, build logs, forks and developer laptops, and anyone who can
    read the function's code (`lambda:GetFunction`) gets the secret. It cannot be rotated without a deploy.

    ## Example
    ```python
    DB_PASSWORD = "S3cr3t!2024"

    def handler(event, context):
        conn = pymysql.connect(host=HOST, user="app", password=DB_PASSWORD)
    ```

    ## Fix
    ```python
    from aws_lambda_powertools.utilities import parameters

    DB_PASSWORD = parameters.get_secret(os.environ["DB_SECRET_ID"])  # once, at init
    ```
    """

    id = "FG202"
    name = "hardcoded-secret"
    summary = "secret literal in handler source"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = "CWE-798"
    owasp = "SAS-7"
    fix_text = "Move the secret to Secrets Manager or SSM SecureString and read it at init."
    issue_kinds = frozenset({"hardcoded-secret"})


@register
class SensitiveDataLogged(_HandlerRule):
    """## What it does
    Finds handlers that log the whole event, the whole `os.environ`, a secret they fetched, an environment
    variable whose name says it holds a credential (`DB_PASSWORD`, `process.env.API_KEY`; not `DB_SECRET_ARN` or
    `API_KEY_SECRET`, which name the secret), an authorization header, or the request's whole header map
    (`event["headers"]`, `event.headers`, `request.headers`: it holds Authorization and cookies; one header
    such as `headers["content-type"]` is fine) (print, logging, `console.*`, Powertools `log_event=True`).

    ## Why is this bad?
    CloudWatch Logs are read by far more people and tools than the function: events carry tokens, cookies and
    personal data, the environment carries credentials, and a logged secret is a leaked secret.

    ## Example
    ```python
    def handler(event, context):
        print(json.dumps(event))
    ```

    ## Fix
    ```python
    def handler(event, context):
        logger.info("request", extra={"request_id": event["requestContext"]["requestId"]})
    ```
    """

    id = "FG204"
    name = "sensitive-data-logged"
    summary = "handler logs the whole event, os.environ, a fetched secret, or an authorization header"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-532"
    owasp = "SAS-5"
    fix_text = "Log only the fields you need (ids, counts), never secrets, headers or the whole event."
    sinks = frozenset({"log"})
    issue_kinds = frozenset({"log"})

    def flow_item(self, flow: TaintFlow) -> Item:
        if flow.taint == "secret":
            what = f"a secret ({flow.source})"
        elif flow.taint == "decrypted":
            what = f"data decrypted with KMS ({flow.source})"
        elif flow.taint == "environ":
            what = "the whole environment (os.environ), which holds credentials"
        elif flow.authz:
            what = f"an authorization header ({flow.source})"
        elif flow.headers:
            what = f"the request's header map ({flow.source}) with its Authorization header and cookies"
        else:
            what = "the whole event"
        return (flow.location, f"{what} is logged by {flow.sink}", _sink_evidence(flow))

    def items(self, facts: HandlerFacts) -> Iterator[Item]:
        return _first_per_line(super().items(facts))


@register
class TmpNotCleaned(_HandlerRule):
    """## What it does
    Finds handlers that write files under `/tmp` (open for writing, `download_file`, `tempfile` without a
    context manager) and do not remove them on every path before returning (a loop over several paths,
    `for path in (src, dst): os.remove(path)`, removes each of them). Opening a file for update (`"r+"`)
    creates nothing: the file is reported where it is written first, if that is in the handler. A fixed file
    written only when it is missing (`if not os.path.exists("/tmp/model.onnx"): s3.download_file(...)`,
    `Path(...).exists()`) is a warm-start cache kept on purpose and is not reported; a guard on a path built
    from the event is no cache.

    ## Why is this bad?
    `/tmp` survives between invocations in a warm execution environment: the next caller's invocation can read
    the previous caller's data, and the 512 MB–10 GB of ephemeral storage fills up (audit checklist C3).

    ## Example
    ```python
    def handler(event, context):
        s3.download_file(BUCKET, "report.csv", "/tmp/report.csv")
        return summarize("/tmp/report.csv")
    ```

    ## Fix
    ```python
    def handler(event, context):
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "report.csv")
            s3.download_file(BUCKET, "report.csv", path)
            return summarize(path)
    ```
    """

    id = "FG205"
    name = "tmp-not-cleaned"
    summary = "handler writes to /tmp and does not remove it before returning"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-459"
    owasp = "SAS-7"
    checklist = "C3"
    fix_text = "Use tempfile.TemporaryDirectory() as a context manager, or remove the file in a finally block."

    def items(self, facts: HandlerFacts) -> Iterator[Item]:
        return _first_per_line(
            (
                left.location,
                f"{left.what} under /tmp is not removed before the handler returns; the next invocation in this "
                "warm environment can read it",
                (),
            )
            for left in facts.tmp_leftovers
        )


@register
class SecretFetchedPerInvocation(_HandlerRule):
    """## What it does
    Finds secrets (Secrets Manager `get_secret_value`, SSM parameters with decryption, Powertools parameters
    with caching disabled) fetched inside the handler on every invocation instead of once at init.

    ## Why is this bad?
    Every invocation pays the latency and the API cost, and a traffic spike hits the Secrets Manager/SSM
    throttling limits, turning a burst into an outage. Caching at init with a refresh is the recommended pattern.

    ## Example
    ```python
    def handler(event, context):
        secret = sm.get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"]
    ```

    ## Fix
    ```python
    _secret = None

    def handler(event, context):
        global _secret
        if _secret is None:
            _secret = sm.get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"]
    ```
    A Secrets Manager rotation function (it writes secret versions: `put_secret_value`,
    `update_secret_version_stage`) is not reported: the secret it reads is the one it is changing.
    """

    id = "FG206"
    name = "secret-fetched-per-invocation"
    summary = "a secret fetched inside the handler on every call instead of cached at init"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-400"
    owasp = "SAS-8"
    fix_text = "Fetch the secret once at init (module level or a global cache) and refresh it on a timer."

    def items(self, facts: HandlerFacts) -> Iterator[Item]:
        if any(call.service == "secretsmanager" and call.method in _ROTATION_METHODS for call in facts.aws_calls):
            # a rotation function: the secret it reads is the one it is changing, and a cached copy would be stale
            return iter(())
        return _first_per_line(
            (
                fetch.location,
                f"{fetch.what} is fetched on every invocation; fetch it once at init and cache it with a refresh",
                (),
            )
            for fetch in facts.fetches
        )


_ROTATION_METHODS = frozenset({"put_secret_value", "update_secret_version_stage"})


@register
class StateLeaksAcrossInvocations(_HandlerRule):
    """## What it does
    Finds handlers that store event data or per-caller data in module-level state (globals, module-level
    dicts/lists, class attributes, caches keyed by user input) that outlives the invocation. In JavaScript this
    includes merging caller data into a module-level object (`Object.assign(settings, body)`, lodash
    `merge`/`defaultsDeep`/`set`, `deep-extend`), the shape of prototype pollution: the catalog has no separate
    id for it, and the message says so when the merged data is parsed JSON or a caller-chosen property path.

    ## Why is this bad?
    A warm execution environment serves many callers one after the other: whatever one caller left in a global
    is visible to the next, which leaks data between users or tenants; a `__proto__` key merged into a shared
    object changes what every later request sees. Caching configuration and secrets at init is fine and not
    reported.

    ## Example
    ```python
    CURRENT_USER = {}

    def handler(event, context):
        CURRENT_USER["id"] = event["requestContext"]["authorizer"]["claims"]["sub"]
    ```

    ## Fix
    ```python
    def handler(event, context):
        user_id = event["requestContext"]["authorizer"]["claims"]["sub"]
        return process(user_id)  # pass per-request data explicitly
    ```
    """

    id = "FG207"
    name = "state-leaks-across-invocations"
    summary = "handler stores event or per-caller data in module-level state that survives the invocation"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = "CWE-488"
    owasp = "SAS-9"
    fix_text = "Keep per-request data in local variables; key module-level caches only by configuration."
    sinks = frozenset({"store"})

    def flow_item(self, flow: TaintFlow) -> Item:
        message = (
            f"event data ({flow.source}) is stored in module-level state ({flow.sink}) that survives into the "
            "next invocation in this warm environment"
        )
        return (flow.location, message, _sink_evidence(flow))

    def items(self, facts: HandlerFacts) -> Iterator[Item]:
        return _first_per_line(super().items(facts))


@register
class CommandInjection(_HandlerRule):
    """## What it does
    Finds event data reaching a shell: `os.system`, `os.popen`, `subprocess` with `shell=True`, asyncio's
    `create_subprocess_shell` and `loop.subprocess_shell`, or a shell started with `-c` and the command as a
    separate argument (`["sh", "-c", cmd]`, `os.spawnl(mode, "/bin/sh", "sh", "-c", cmd)`,
    `create_subprocess_exec("bash", "-lc", cmd)`). Also event data chosen as the program itself: the first
    element of an argument list, the program of `os.exec*`/`os.spawn*`/`create_subprocess_exec`, or the first
    word of `shlex.split(line)`. A value passed as a plain argument to a fixed program is not reported, nor is
    a string run without a shell whose fixed start already names the program (`"/opt/bin/tool " + name`).

    ## Why is this bad?
    The caller runs any command in the function's environment, with its role's credentials.

    ## Example
    ```python
    def handler(event, context):
        name = event["queryStringParameters"]["file"]
        subprocess.run(f"convert {name} out.png", shell=True)
    ```

    ## Fix
    ```python
    def handler(event, context):
        name = event["queryStringParameters"]["file"]
        subprocess.run(["convert", name, "out.png"], check=True)  # no shell
    ```
    """

    id = "FG501"
    name = "command-injection"
    summary = "event data reaches os.system, os.popen or subprocess with a shell"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = "CWE-78"
    owasp = "SAS-1"
    fix_text = "Pass an argument list without shell=True, or quote with shlex.quote()."
    sinks = frozenset({"shell", "program"})


@register
class CodeInjection(_HandlerRule):
    """## What it does
    Finds event data reaching `eval`, `exec`, `compile`, `importlib.import_module` or `__import__`, and event
    data naming the Django management command a handler runs (`call_command(event["command"])`,
    `execute_from_command_line([...])`, or the code of `shell -c`). A fixed command given the caller's
    arguments (`call_command("loaddata", name)`) is not reported. In JavaScript/TypeScript: `eval`,
    `new Function`, `vm`, and `require()` / `import()` of a module path built from event data.

    ## Why is this bad?
    The caller runs arbitrary Python inside the function, with its role's credentials. A management Lambda
    that runs whatever command the event names lets the caller pick `flush`, `shell -c ...` or any command
    module installed with the app.

    ## Example
    ```python
    def handler(event, context):
        return {"result": eval(event["queryStringParameters"]["expr"])}
    ```

    ## Fix
    ```python
    import ast

    def handler(event, context):
        return {"result": ast.literal_eval(event["queryStringParameters"]["expr"])}
    ```
    """

    id = "FG502"
    name = "code-injection"
    summary = "event data reaches eval, exec, compile or importlib.import_module"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = "CWE-94"
    owasp = "SAS-1"
    fix_text = "Never evaluate event data; parse it (json, ast.literal_eval) or dispatch through an allowlist."
    sinks = frozenset({"code"})


@register
class SqlInjection(_HandlerRule):
    """## What it does
    Finds event data formatted into SQL passed to a DB-API cursor (psycopg, pymysql, sqlite3), SQLAlchemy
    `text()` or `exec_driver_sql`, Django's `objects.raw`, pandas `read_sql`, awswrangler's `read_sql_query`,
    DuckDB, or an AWS API that runs SQL text (Athena `start_query_execution`, the
    Redshift and RDS Data APIs' `execute_statement`, Timestream `query`; in JavaScript the same operations of
    SDK v2 clients and v3 commands, `StartQueryExecutionCommand`...). Values bound as parameters
    (`parameters=`, `ExecutionParameters=`) are not the statement and are not reported.

    ## Why is this bad?
    The caller rewrites the query: reads other users' rows, changes data, or drops tables.

    ## Example
    ```python
    def handler(event, context):
        cur.execute(f"SELECT * FROM orders WHERE id = '{event['pathParameters']['id']}'")
    ```

    ## Fix
    ```python
    def handler(event, context):
        cur.execute("SELECT * FROM orders WHERE id = %s", (event["pathParameters"]["id"],))
    ```
    """

    id = "FG503"
    name = "sql-injection"
    summary = "event data formatted into SQL"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = "CWE-89"
    owasp = "SAS-1"
    fix_text = "Use query parameters (%s / ? placeholders) instead of string formatting."
    sinks = frozenset({"sql"})


@register
class NoSqlInjection(_HandlerRule):
    """## What it does
    Finds event data used as a DynamoDB expression string, in a PartiQL statement built by formatting, or as a
    MongoDB filter / operator document; in JavaScript/TypeScript handlers also event data passed as a DynamoDB
    call's whole request (`docClient.query(JSON.parse(event.body))`, `new ScanCommand(event.queryStringParameters)`),
    and a field of a web framework's parsed JSON body or Express query string in a MongoDB filter
    (`users.findOne({ email: req.body.email })`: the body may carry `{"$ne": null}`), also on a Mongoose model
    defined in a file the scan does not see when the receiver is named like one (`User`, `memberModel`,
    `ordersCollection`) and the filter is an object literal without ORM option keys (`where`, `select`,
    `include`...). Route parameters, headers and cookies are strings, and `new ObjectId(id)` accepts only an
    id, so neither is reported.

    ## Why is this bad?
    The caller changes the condition (`{"$ne": null}` logs in without a password; a crafted expression reads
    other items); with the whole request the caller also picks the table.

    ## Example
    ```python
    def handler(event, context):
        body = json.loads(event["body"])
        user = users.find_one({"name": body["name"], "password": body["password"]})
    ```

    ## Fix
    ```python
    def handler(event, context):
        body = json.loads(event["body"])
        user = users.find_one({"name": str(body["name"]), "password": str(body["password"])})
    ```
    """

    id = "FG504"
    name = "nosql-injection"
    summary = "event data used as a DynamoDB expression, PartiQL statement or MongoDB operator"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = "CWE-943"
    owasp = "SAS-1"
    fix_text = "Use Key()/Attr() conditions and ExpressionAttributeValues; cast MongoDB filter values to str."
    sinks = frozenset({"nosql"})


@register
class UnsafeDeserialization(_HandlerRule):
    """## What it does
    Finds event data reaching pickle, dill, cloudpickle, marshal, shelve, jsonpickle, `yaml.load` without a
    safe loader, or ruamel's `YAML(typ="unsafe").load`. Bytes this code just produced with `pickle.dumps` (a
    deep copy: `pickle.loads(pickle.dumps(data))`) are not reported: loading them rebuilds the object it
    already held.

    ## Why is this bad?
    Unpickling attacker data runs attacker code.

    ## Example
    ```python
    def handler(event, context):
        state = pickle.loads(base64.b64decode(event["body"]))
    ```

    ## Fix
    ```python
    def handler(event, context):
        state = json.loads(event["body"])
    ```
    """

    id = "FG505"
    name = "unsafe-deserialization"
    summary = "event data reaches pickle/marshal/shelve/jsonpickle or an unsafe yaml.load"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = "CWE-502"
    owasp = "SAS-1"
    fix_text = "Use json, or yaml.safe_load."
    sinks = frozenset({"deser"})


@register
class PathTraversal(_HandlerRule):
    """## What it does
    Finds event data (an S3 object key, a path parameter) used in a local file path or a `download_file`
    target without `os.path.basename` / `PurePath.name`, or a normalisation followed by a base-directory check;
    and a tar archive the event names (the uploaded object, by path or stream, or a /tmp file the handler
    downloaded from the object the event names) extracted with `extractall`, `extract` or
    `shutil.unpack_archive` without a `filter=` ("tar slip": the member names are the archive author's).
    `zipfile` already drops `..` and leading slashes; `filter="data"` (Python 3.12+) does the same for tar.

    ## Why is this bad?
    A key such as `../../var/task/app.py` or `../proc/self/environ` reads or overwrites files outside the
    intended directory, including the function's own code and credentials.

    ## Example
    ```python
    def handler(event, context):
        key = event["Records"][0]["s3"]["object"]["key"]
        s3.download_file(BUCKET, key, f"/tmp/{key}")
    ```

    ## Fix
    ```python
    def handler(event, context):
        key = event["Records"][0]["s3"]["object"]["key"]
        s3.download_file(BUCKET, key, os.path.join("/tmp", os.path.basename(key)))
    ```
    """

    id = "FG506"
    name = "path-traversal"
    summary = "event data used in a local file path without basename or a checked normalisation"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-22"
    owasp = "SAS-1"
    fix_text = "Use os.path.basename(), or normalise and check the result stays under the base directory."
    sinks = frozenset({"path"})

    def flow_key(self, flow: TaintFlow) -> tuple[object, ...]:
        """One tainted path used by open() and then os.remove() is one problem: one finding per source."""
        return (flow.source_location.line, flow.source)


@register
class ServerSideRequestForgery(_HandlerRule):
    """## What it does
    Finds event data used as the URL, scheme or host of an outgoing request (requests, httpx, urllib, urllib3,
    boto3 `endpoint_url`, GitPython `Repo.clone_from`). A tainted path or query on a fixed host is not
    reported, nor is a URL the code checked to start with a fixed `scheme://host/` (the check must reach past
    the host name: a prefix ending at the host lets `https://api.example.com.attacker.net/` through), nor one
    picked from a dict of fixed URLs.
    A base URL from the environment or configuration (`${process.env.ORDERS_API}/orders/${id}`), or a literal
    host with a configured part (`https://cognito-idp.${REGION}.amazonaws.com/...`), fixes the host too. In
    JavaScript/TypeScript an API Gateway / ALB request path (`event.path`, `event.rawPath`) pasted right
    after a literal `https://host` is a path on that host (it always starts with "/"); `fetch`, `node-fetch`
    (also `require("node-fetch").default`), axios, got, `http(s)`, undici, superagent, needle and the `request`
    modules are the outgoing requests.

    ## Why is this bad?
    The caller makes the function fetch internal addresses (the Lambda runtime API, VPC services, metadata
    endpoints) with its network position and credentials.

    ## Example
    ```python
    def handler(event, context):
        return requests.get(event["queryStringParameters"]["url"], timeout=5).text
    ```

    ## Fix
    ```python
    ALLOWED = {"api.partner.com"}

    def handler(event, context):
        url = event["queryStringParameters"]["url"]
        if urlparse(url).hostname not in ALLOWED:
            return {"statusCode": 400}
        return requests.get(url, timeout=5).text
    ```
    """

    id = "FG507"
    name = "server-side-request-forgery"
    summary = "event data used as a URL or host of an outgoing request"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-918"
    owasp = "SAS-1"
    fix_text = "Fix the host in code, or check the parsed host against an allowlist before the request."
    sinks = frozenset({"url"})


@register
class TemplateInjection(_HandlerRule):
    """## What it does
    Finds event data used as the source of a Jinja2, Mako or Django template.

    ## Why is this bad?
    Template expressions run code: `{{ cycler.__init__.__globals__.os.popen('id').read() }}`.

    ## Example
    ```python
    def handler(event, context):
        return jinja2.Template(event["body"]).render()
    ```

    ## Fix
    ```python
    TEMPLATE = jinja2.Template("Hello {{ name }}")

    def handler(event, context):
        return TEMPLATE.render(name=event["body"])
    ```
    """

    id = "FG508"
    name = "template-injection"
    summary = "event data used as a template source"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-1336"
    owasp = "SAS-1"
    fix_text = "Keep templates in code or files and pass event data as render variables."
    sinks = frozenset({"template"})


@register
class ExecutesFromTmp(_HandlerRule):
    """## What it does
    Finds handlers that run a binary or load code (sys.path, importlib, ctypes) from `/tmp`, or run the text of
    a file read there as code (`exec(open("/tmp/plugin.py").read())`, `eval(Path("/tmp/x").read_text())`).

    ## Why is this bad?
    `/tmp` is writable by every earlier invocation in the environment, so one path-traversal or upload bug
    becomes persistent code execution.

    ## Example
    ```python
    def handler(event, context):
        shutil.copy("/opt/bin/ffmpeg", "/tmp/ffmpeg")
        subprocess.run(["/tmp/ffmpeg", "-i", "/tmp/in.mp4", "/tmp/out.mp3"])
    ```

    ## Fix
    ```python
    def handler(event, context):
        subprocess.run(["/opt/bin/ffmpeg", "-i", "/tmp/in.mp4", "/tmp/out.mp3"])  # from the layer
    ```
    """

    id = "FG509"
    name = "executes-from-tmp"
    summary = "code runs a binary or loads a module from /tmp"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-427"
    owasp = "SAS-3"
    fix_text = "Ship binaries and modules in the package or a layer (/opt) and run them from there."
    issue_kinds = frozenset({"exec-tmp"})


@register
class TlsVerificationDisabled(_HandlerRule):
    """## What it does
    Finds `verify=False`, unverified SSL contexts, `check_hostname = False` and `CERT_NONE`.

    ## Why is this bad?
    Anyone on the network path can impersonate the server and read or change the traffic, credentials
    included.

    ## Example
    ```python
    requests.post(WEBHOOK_URL, json=payload, verify=False)
    ```

    ## Fix
    ```python
    requests.post(WEBHOOK_URL, json=payload, timeout=5)  # or verify="/opt/ca-bundle.pem"
    ```
    """

    id = "FG510"
    name = "tls-verification-disabled"
    summary = "TLS certificate verification disabled"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-295"
    owasp = "SAS-3"
    fix_text = "Remove verify=False; point verify at a CA bundle for private CAs."
    issue_kinds = frozenset({"tls-disabled"})


SERVICE_FORMED_EVENTS = frozenset(
    {TriggerKind.S3, TriggerKind.SCHEDULE, TriggerKind.DYNAMODB_STREAM, TriggerKind.CLOUDWATCH_LOGS,
     TriggerKind.COGNITO}
)
"""Triggers whose event AWS builds itself (a notification about an object, a schedule tick, a stream record, a
log batch, a user-pool hook): there is no caller-shaped document to validate, so FG511 stays quiet for a
function fired only by these. Message payloads (SQS, SNS, EventBridge, Kinesis) and HTTP requests are the
producers' own documents and still count."""


@register
class UnvalidatedEvent(Rule):
    """## What it does
    Reports handlers that read fields of their event with no validation at all: no pydantic / Powertools parser
    model, no JSON schema, no explicit check that returns or raises. Functions triggered only by events AWS
    forms itself (S3 notifications, schedules, DynamoDB streams, CloudWatch Logs, Cognito hooks) are not
    reported. A model checks shape, not content: the injection rules (FG501-FG508) still follow a parsed
    model's text fields (`str`, `dict`, `Any`); fields typed as numbers, UUIDs, dates, a `Literal`, an `Enum`,
    or constrained by a `pattern` are clean.

    ## Why is this bad?
    Every downstream bug becomes reachable with any input the trigger lets through; validation at the edge is
    the cheapest event-injection defence (informational).

    ## Example
    ```python
    def handler(event, context):
        body = json.loads(event["body"])
        return save(body["email"])
    ```

    ## Fix
    ```python
    from aws_lambda_powertools.utilities.parser import event_parser

    @event_parser(model=Signup)
    def handler(event: Signup, context):
        return save(event.email)
    ```
    """

    id = "FG511"
    name = "unvalidated-event"
    summary = "handler uses event fields with no validation at all"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    cwe = "CWE-20"
    owasp = "SAS-1"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for function_id, facts in sorted(ctx.facts.handlers.items()):
            if facts.validated or facts.event_use is None:
                continue
            triggers = ctx.app.triggers_of(function_id)
            if triggers and all(t.kind in SERVICE_FORMED_EVENTS for t in triggers):
                continue
            yield self.finding(
                f"{function_id}: handler {facts.handler_function} reads event fields with no validation "
                "(no model, schema or explicit check)",
                facts.event_use.with_id(function_id),
                function_id,
                function=function_id,
                fix="Validate the event with a pydantic / Powertools parser model or a JSON schema.",
            )


@register
class SecretInResponse(_HandlerRule):
    """## What it does
    Finds a secret the handler read (Secrets Manager, an SSM SecureString, KMS `decrypt`, a secret-named
    environment variable such as `DB_PASSWORD`) that reaches what the handler returns to its caller, or a
    message it publishes to a topic, queue, event bus, stream or WebSocket connection.

    Sources: the "secret" taint. Sinks: "response" (the value an entry point returns) and "publish"
    (`sns.publish` Message/Subject, `sqs.send_message` MessageBody, `events.put_events` Entries, Kinesis and
    Firehose records, `post_to_connection` Data). A secret passed to a library call that only uses it to
    authenticate (`pymysql.connect(password=...)`, `headers={"Authorization": ...}`) does not taint what the
    call returns.

    ## Why is this bad?
    Whoever calls the function, or reads the topic or queue, gets the credential: API responses are cached,
    logged by clients and proxies, and message consumers are often other teams' code.

    ## Example
    ```python
    def handler(event, context):
        config = json.loads(sm.get_secret_value(SecretId=os.environ["CONFIG_SECRET"])["SecretString"])
        return {"statusCode": 200, "body": json.dumps(config)}
    ```

    ## Fix
    ```python
    def handler(event, context):
        config = json.loads(sm.get_secret_value(SecretId=os.environ["CONFIG_SECRET"])["SecretString"])
        return {"statusCode": 200, "body": json.dumps({"region": config["region"]})}  # no credentials
    ```
    """

    id = "FG208"
    name = "secret-in-response"
    summary = "a secret returned to the caller or published to a topic/queue others read"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = "CWE-200"
    owasp = "SAS-7"
    fix_text = "Return or publish only the non-secret fields; keep credentials inside the function."
    sinks = frozenset({"response", "publish"})

    def flow_item(self, flow: TaintFlow) -> Item:
        where = "is returned to the caller" if flow.kind == "response" else f"is published by {flow.sink}"
        return (flow.location, f"a secret ({flow.source}) {where}", _sink_evidence(flow))


@register
class JwtNotVerified(_HandlerRule):
    """## What it does
    Finds JWTs decoded without verifying them: PyJWT / python-jose `decode` with
    `options={"verify_signature": False}` or `{"verify_exp": False}`, PyJWT 1's `verify=False`, the `none`
    algorithm, `get_unverified_claims`, and the token's payload base64-decoded by hand
    (`base64.urlsafe_b64decode(token.split(".")[1])`, also through `parts = token.split(".")` then
    `parts[1]`). In JavaScript/TypeScript: `jsonwebtoken`'s `decode`, `jwt-decode`, jose's `decodeJwt`,
    `jwt.verify` with `ignoreExpiration: true` or the `none` algorithm, and the payload decoded by hand
    (`Buffer.from(token.split(".")[1], "base64")`, `atob(parts[1])`, `base64url.decode(...)`). Base64 of
    anything other than a dotted value's second section is not a token and is not reported, nor is
    `jwt.decode(token, {complete: true})` in a function that then calls `verify` (reading the header's `kid`
    to pick the verification key is the JWKS flow), nor a `jwt.decode(token)` of the very token the same
    function also gives to `verify` (before or after it, also through `promisify(jwt.verify)`). In both
    languages a token read from the `Authorization` header is not reported when every route of the function
    has an API Gateway Cognito user pool or JWT authorizer: API Gateway verified that header (their default
    identity source) before invoking the function.

    Issue kinds: "jwt-unverified", and "jwt-unverified-bearer" for a token from the `Authorization` header
    (decoders are rows of the Python library models and of
    `analysis/code/js/jwt.py`, each saying how it verifies).

    ## Why is this bad?
    Anyone can write a token with any claims (`"cognito:groups": ["admin"]`, another user's `sub`): without
    the signature check the claims are the caller's words, and without the expiry check a leaked token works
    forever. An API Gateway JWT or Cognito authorizer verifies the token before the function runs; read the
    verified claims from `requestContext.authorizer` then.

    ## Example
    ```python
    def handler(event, context):
        token = event["headers"]["authorization"].split()[1]
        claims = jwt.decode(token, options={"verify_signature": False})
    ```

    ## Fix
    ```python
    JWKS = jwt.PyJWKClient(os.environ["JWKS_URL"])

    def handler(event, context):
        token = event["headers"]["authorization"].split()[1]
        key = JWKS.get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=os.environ["CLIENT_ID"])
    ```
    """

    id = "FG512"
    name = "jwt-not-verified"
    summary = "JWT decoded without signature or expiry verification"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = "CWE-347"
    owasp = "SAS-2"
    fix_text = "Verify the signature with the issuer's key and a fixed algorithm list, and keep expiry checks on."
    issue_kinds = frozenset({"jwt-unverified", "jwt-unverified-bearer"})

    def items_of(self, ctx: RuleContext, function_id: str, facts: HandlerFacts) -> Iterator[Item]:
        """A token read from the `Authorization` header ("jwt-unverified-bearer") of a function every route of
        which API Gateway guards with a Cognito or JWT authorizer was verified before the function ran."""
        gateway_checked = _behind_token_authorizers(ctx, function_id)
        for issue in facts.issues:
            if issue.kind == "jwt-unverified" or (issue.kind == "jwt-unverified-bearer" and not gateway_checked):
                yield (issue.location, issue.message, issue.evidence)


@register
class ClientControlledAuthorization(_HandlerRule):
    """## What it does
    Finds authorization decided from request fields the caller writes: a privilege flag tested for truth
    (`if body.get("isAdmin"):`), or a role-like field compared with a privileged value
    (`if event["headers"].get("x-user-role") == "admin":`, `if "admin" in body["groups"]:`), read from the
    body, query string, path parameters, headers or cookies.

    Issue kind: "client-authz". Fields API Gateway fills after authenticating the caller
    (`requestContext.authorizer`, verified JWT claims, `requestContext.identity`) are not reported; nor is a
    role field checked against a list of allowed values (that is input validation).

    ## Why is this bad?
    The caller sets the field: `{"isAdmin": true}` in the body makes anyone an administrator.

    ## Example
    ```python
    def handler(event, context):
        body = json.loads(event["body"])
        if body.get("isAdmin"):
            return delete_user(body["userId"])
    ```

    ## Fix
    ```python
    def handler(event, context):
        groups = event["requestContext"]["authorizer"]["claims"].get("cognito:groups", "")
        if "admin" in groups.split(","):
            return delete_user(json.loads(event["body"])["userId"])
    ```
    """

    id = "FG513"
    name = "client-controlled-authorization"
    summary = "authorization decided from event fields the caller controls"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = "CWE-639"
    owasp = "SAS-2"
    fix_text = "Decide from the authorizer's verified identity (claims, groups), not from the request body or headers."
    issue_kinds = frozenset({"client-authz"})


@register
class VerboseErrorResponse(_HandlerRule):
    """## What it does
    Finds handlers reached over HTTP that return a traceback (`traceback.format_exc()`) or the text of an
    unexpected exception (`except Exception as e: return {"body": str(e)}`) to the caller.

    Source: the "exception" taint (the value bound by `except` of a broad type: `Exception`,
    `BaseException`, botocore `ClientError`, database and HTTP client errors; the traceback module; and the
    value and traceback of `sys.exc_info()`, whose first item is only the exception's class).
    Sink: "http-response" (a returned dict with a `statusCode`, or what a web route returns). An
    application's own narrow exception (`except ValueError as e`) is its message to the caller and is not
    reported. Functions whose triggers are all non-HTTP (queues, streams, schedules) are not
    reported: nobody reads their return value. In JavaScript every `catch (err)` is broad (the language has no
    typed catch), and the sinks are the `body` of a returned or `callback(null, ...)` response and what an
    Express/Fastify route sends (`res.send`, `res.json`); `statusCode: err.statusCode` shows nothing and is fine.

    ## Why is this bad?
    Exception text names tables, buckets, ARNs, SQL, file paths and library versions: a map of the backend
    for whoever sends the request that breaks it.

    ## Example
    ```python
    def handler(event, context):
        try:
            return {"statusCode": 200, "body": json.dumps(process(event))}
        except Exception as e:
            return {"statusCode": 500, "body": json.dumps({"error": str(e)})}
    ```

    ## Fix
    ```python
    def handler(event, context):
        try:
            return {"statusCode": 200, "body": json.dumps(process(event))}
        except Exception:
            logger.exception("processing failed")
            return {"statusCode": 500, "body": json.dumps({"error": "internal error"})}
    ```
    """

    id = "FG514"
    name = "verbose-error-response"
    summary = "stack traces or exception text returned to the caller"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-209"
    owasp = "SAS-10"
    fix_text = "Log the exception and return a generic message with a request id."
    sinks = frozenset({"http-response"})
    http_only = True

    def flow_item(self, flow: TaintFlow) -> Item:
        return (flow.location, f"exception text ({flow.source}) is returned to the caller", _sink_evidence(flow))


@register
class ReflectedXss(_HandlerRule):
    """## What it does
    Finds caller data written into an HTML response without escaping: the body of a response whose
    `Content-Type` is `text/html`, or the markup a web route (Flask, Chalice, Express, Koa, Fastify) returns or
    sends (`res.send`, `reply.type('text/html').send`, Koa `ctx.body`). Express's `res.send` of a string built
    from request fields is HTML even without a tag in it (`` res.send(`Welcome ${req.query.name}`) ``): Express
    answers a string as `text/html` unless the route set another type (`res.type("text/plain")`, also on a line
    of its own); Fastify and Koa answer a string as text/plain.

    Source: event data. Sink: "html". Sanitisers (rows of the library models): `html.escape`,
    `markupsafe.escape`, `bleach.clean`, `nh3.clean`, Django's `escape`/`format_html`, `xml.sax.saxutils.escape`;
    in JavaScript `escape-html`, `he`, `sanitize-html`, DOMPurify, `lodash.escape`; templates rendered with
    autoescaping are not sinks (Flask's `render_template` of an `.html` file; a Jinja `Environment` created
    with `autoescape=True` or `select_autoescape(...)`, its `get_template`/`from_string` templates). A default
    Jinja `Environment()` or `jinja2.Template` does not escape.

    ## Why is this bad?
    A link with `?name=<script>...</script>` runs the attacker's script in the victim's browser on your
    origin: session theft, actions as the victim.

    ## Example
    ```python
    def handler(event, context):
        name = event["queryStringParameters"]["name"]
        return {"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": f"<h1>Hello {name}</h1>"}
    ```

    ## Fix
    ```python
    def handler(event, context):
        name = html.escape(event["queryStringParameters"]["name"])
        return {"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": f"<h1>Hello {name}</h1>"}
    ```
    """

    id = "FG515"
    name = "reflected-xss"
    summary = "event data written into an HTML response without escaping"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = "CWE-79"
    owasp = "SAS-1"
    fix_text = "Escape caller data with html.escape() or render through an autoescaping template."
    sinks = frozenset({"html"})
    http_only = True


@register
class OpenRedirect(_HandlerRule):
    """## What it does
    Finds event data used as the target of a redirect when the caller picks the host: the `Location` header of
    an API Gateway / ALB / function URL response (also in `multiValueHeaders`), Flask/Quart/Werkzeug
    `redirect()`, Django `redirect()` / `HttpResponseRedirect`, Starlette/FastAPI `RedirectResponse`, and
    Express/Fastify `res.redirect()`, `res.location()`, `res.set("Location", ...)`. What keeps a request on
    its host keeps a redirect there too (the FG507 sanitisers): a path or query after a literal
    `https://host/` or after `/`, a URL checked to start with a fixed `scheme://host/`, one picked from a dict
    of fixed URLs or checked against an allow-list.

    ## Why is this bad?
    A link on your own domain (`https://api.example.com/login?next=https://examp1e.com/`) sends the victim
    to the attacker's page, which phishing mails and OAuth token theft rely on: the victim trusts the domain
    in the link, and a redirect after login carries the session's trust with it.

    ## Example
    ```python
    def handler(event, context):
        target = event["queryStringParameters"]["next"]
        return {"statusCode": 302, "headers": {"Location": target}}
    ```

    ## Fix
    ```python
    def handler(event, context):
        target = event["queryStringParameters"]["next"]
        return {"statusCode": 302, "headers": {"Location": "https://app.example.com/" + target.lstrip("/")}}
    ```
    """

    id = "FG516"
    name = "open-redirect"
    summary = "event data decides the host an HTTP redirect sends the browser to"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-601"
    owasp = "SAS-1"
    fix_text = ("Redirect to a path on your own host (a literal scheme://host/ prefix), or check the parsed "
                "host against an allowlist first.")
    sinks = frozenset({"redirect"})
