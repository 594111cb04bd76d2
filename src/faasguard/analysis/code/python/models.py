"""Python library models as data: which calls are sources, sinks, sanitisers and transfers, and how.

Like CodeQL's sourceModel/sinkModel/summaryModel rows or Pysa's taint.config, each row names a callable by its
dotted import path and says what it does in terms the core understands: a sink KIND ("shell", "sql", "path",
"url"...; see core/sinks.py), never a rule. The rows of one table share a transfer (`Model.transfer`, a named
function in library.py that reads the row's position/keyword/option); `QUAL_MODELS` is every row by qualified
name, `METHOD_RULES` the calls recognised by method name or receiver instead of by import path. Both carry a
rank: a call is offered to the rows and rules in rank order, the first answer wins.

To model a new library call, add a row to the table of its kind (or a new table and transfer), with a
positive and a negative test in tests/fixtures/code/corpus.

Size: data -- the Python library models as table rows (sources, sinks, sanitizers, transfers), one place to
read and extend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from faasguard._lazy_re import LazyPattern
from faasguard._record import record

CUSTOM_RESOURCE_FIELDS = frozenset({"RequestType", "ResourceProperties", "OldResourceProperties", "ResponseURL",
                                    "StackId", "RequestId", "LogicalResourceId", "PhysicalResourceId",
                                    "ResourceType", "ServiceToken"})
"""Top-level fields of a CloudFormation custom-resource event. CloudFormation sends it, from the template's own
properties, at deploy time: a handler reading them is a custom resource provider, and what it does with them is
what the stack's author wrote, not a caller's text (cleaning a bucket named in `ResourceProperties` with a shell
command is no command injection)."""

AUTHZ_KEYS = frozenset(
    {"authorization", "x-api-key", "cookie", "cookies", "x-auth-token", "proxy-authorization", "x-amz-security-token"}
)
HEADER_MAPS = frozenset({"headers", "multivalueheaders"})
"""Request fields (lower-cased) holding every header of the request, Authorization and cookies included."""
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
    "asyncio.subprocess.create_subprocess_shell": 0,
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
        "pty.spawn",
    }
)
EXEC_ARGV = frozenset({"asyncio.create_subprocess_exec", "asyncio.subprocess.create_subprocess_exec"})
"""`create_subprocess_exec(program, *args)`: the program, then its arguments one by one (a shell program
followed by "-c" runs the next argument as a shell command)."""
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
MANAGEMENT_COMMANDS = frozenset(
    {"django.core.management.call_command", "django.core.management.execute_from_command_line"}
)
"""Django management commands run by name: a Lambda that runs `manage.py` commands for its deployment."""
SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
RUAMEL_YAML = frozenset({"ruamel.yaml.YAML", "ruamel.yaml.main.YAML"})
"""ruamel.yaml's loader object: `YAML(typ="unsafe")` builds arbitrary Python objects from tags; the default
round-trip, "safe" and "base" types do not."""
RUAMEL_UNSAFE_TYPES = frozenset({"unsafe"})
SERIALISERS = frozenset(
    {
        "pickle.dumps",
        "_pickle.dumps",
        "cPickle.dumps",
        "dill.dumps",
        "cloudpickle.dumps",
        "marshal.dumps",
        "jsonpickle.encode",
        "jsonpickle.dumps",
    }
)
"""Serialisers whose output is the faithful encoding of an object this code already holds: loading it back
(`pickle.loads(pickle.dumps(x))`, a deep copy) rebuilds that object and runs nothing the caller chose, so
the result is safe for the "deser" sink whatever data went in."""
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
    "git.Repo.clone_from": 0,  # GitPython: also file:// and, before 3.1.30, the ext:: transport (a command)
}
REDIRECT_FUNCS = {
    "flask.redirect": "location",
    "quart.redirect": "location",
    "werkzeug.utils.redirect": "location",
    "django.shortcuts.redirect": "to",
    "django.http.HttpResponseRedirect": "redirect_to",
    "django.http.HttpResponsePermanentRedirect": "redirect_to",
    "django.http.response.HttpResponseRedirect": "redirect_to",
    "starlette.responses.RedirectResponse": "url",
    "fastapi.responses.RedirectResponse": "url",
}
"""Web frameworks' redirects (qualified name → the keyword of the target, their first argument)."""
RESPONSE_OBJECTS: dict[str, tuple[str, int | None, str | None, str | None]] = {
    "chalice.Response": ("body", 1, None, None),
    "chalice.app.Response": ("body", 1, None, None),
    "flask.Response": ("response", 2, "mimetype", "text/html"),
    "werkzeug.wrappers.Response": ("response", 2, "mimetype", None),
    "starlette.responses.Response": ("content", 2, "media_type", None),
    "starlette.responses.HTMLResponse": ("content", 2, "media_type", "text/html"),
    "fastapi.responses.Response": ("content", 2, "media_type", None),
    "fastapi.responses.HTMLResponse": ("content", 2, "media_type", "text/html"),
    "django.http.HttpResponse": ("content", None, "content_type", "text/html"),
    "django.http.response.HttpResponse": ("content", None, "content_type", "text/html"),
}
"""Web frameworks' response objects (qualified name → body keyword, position of `headers`, the keyword that sets
the content type, the content type when none is set): a route returning one is judged like a `statusCode` dict,
its body (HTML?) and its `Location` header included. Django answers `text/html` unless told otherwise."""
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

SQL_WORDS = LazyPattern(
    r"\b(select|insert|update|delete|from|where|into|values|drop|create|alter|order\s+by|"
    r"group\s+by|limit|join|set)\b",
    re.IGNORECASE,
)
URL_WITH_HOST = LazyPattern(r"^[A-Za-z][\w+.-]*://[^/?#{}\s]+[/?#]")
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
SUBRESOURCE_KINDS = frozenset({"table", "bucket", "object", "queue", "topic", "batch_writer", "collection"})
"""boto3 objects that carry the identifiers of one AWS resource (or a batch writer / collection of one)."""
BOTO3_OBJECT_KINDS = SUBRESOURCE_KINDS | {"client", "resource"}
"""Every boto3 object whose methods are AWS calls: a helper it is passed to is summarised with it bound."""
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

ENV_READS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
ENV_COPIES = frozenset({"os.environ.copy", "dict", "os.environ.items", "os.environ.keys", "os.environ.values"})
LOG_FUNCS = frozenset({"print", "pprint.pprint", "pprint", "sys.stdout.write", "sys.stderr.write", "builtins.print"})
LOG_LIBRARIES = ("logging.", "aws_lambda_powertools", "structlog", "loguru")
DYNAMIC_LOADERS = {
    "importlib.util.spec_from_file_location": 1,
    "imp.load_source": 1,
    "imp.load_dynamic": 1,
    "ctypes.CDLL": 0,
    "ctypes.cdll.LoadLibrary": 0,
    "ctypes.PyDLL": 0,
    "zipimport.zipimporter": 0,
}
"""Calls that load code from a file path (argument position): a path under /tmp runs what an earlier caller
left there."""
SYS_PATH_EDITS = frozenset({"sys.path.insert", "sys.path.append"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "csh", "tcsh", "ash"})
SHELL_COMMAND_FLAG = LazyPattern(r"^-[A-Za-z]*c$")
"""A shell's "run this string" option: `-c`, and combined short options ending in it (`-lc`, `-ec`)."""
JINJA_ENVIRONMENTS = ("jinja2.Environment(", "jinja2.environment")
TMP_PATHS = "tmp-paths"
"""`Val.kind` of a loop variable over several /tmp paths (`for path in (src, dst)`): each is in `fields`."""
TAR_OPENERS = frozenset({"tarfile.open()", "tarfile.TarFile()", "tarfile.TarFile.open()"})
"""What a tar archive object is called once opened (the qualified name its Val carries)."""
HTML_AUTOESCAPE = "html-autoescape"
"""`Val.extra` of a Jinja environment (and its templates) that escapes HTML when it renders."""
HTTP_SESSION_CTORS = frozenset(
    {
        "requests.Session",
        "requests.session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "urllib3.PoolManager",
        "requests.sessions.Session",
    }
)
SQL_METHODS = frozenset({"execute", "executemany", "executescript", "mogrify", "exec_driver_sql", "raw"})
"""DB-API cursors, SQLAlchemy connections (`exec_driver_sql`), Django managers (`Model.objects.raw`)."""
SQL_TEXT_FUNCS = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "pandas.read_sql",
        "pandas.read_sql_query",
        *(f"awswrangler.{db}.read_sql_query" for db in ("athena", "redshift", "postgresql", "mysql", "sqlserver")),
        "awswrangler.athena.start_query_execution",
        "duckdb.sql",
        "duckdb.query",
        "duckdb.execute",
    }
)
OPEN_FUNCS = frozenset({"open", "io.open", "codecs.open", "builtins.open"})
REMOVE_FUNCS = frozenset({"os.remove", "os.unlink", "shutil.rmtree", "os.rmdir", "os.removedirs"})
PATHLIB_CTORS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path", "pathlib.PurePosixPath"})
TEMPFILE_OBJECTS = frozenset({"tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"})
PATH_JOINS = frozenset({"os.path.join", "posixpath.join", "os.path.expanduser"})
PATH_SPLITS = frozenset({"os.path.split", "os.path.splitext"})
TO_STRING = frozenset({"json.dumps", "str", "repr", "orjson.dumps", "bytes"})
REGEX_MATCHES = frozenset({"re.fullmatch", "re.match", "re.search"})
CHECKING_CONVERSIONS = frozenset(
    {
        "int",
        "float",
        "uuid.UUID",
        "decimal.Decimal",
        "bool",
        "datetime.datetime.fromisoformat",
        "datetime.date.fromisoformat",
        "datetime.datetime.strptime",
        "ipaddress.ip_address",
    }
)
"""Conversions that raise on bad input: applied to event data they are a check (the handler validates)."""
DYNAMO_CONDITIONS = frozenset({"boto3.dynamodb.conditions.Key", "boto3.dynamodb.conditions.Attr"})
CONTAINER_MUTATORS = frozenset(
    {"append", "add", "update", "setdefault", "extend", "insert", "appendleft", "__setitem__"}
)
BOTO3_FACTORIES = frozenset(
    {
        "boto3.client",
        "boto3.resource",
        "boto3.session.Session().client",
        "boto3.Session().client",
        "boto3.session.Session().resource",
        "boto3.Session().resource",
        "aioboto3.client",
    }
)
BOTO3_SESSIONS = frozenset({"boto3.Session", "boto3.session.Session"})
POWERTOOLS_PREFIXES = ("aws_lambda_powertools", "parameters.")
POWERTOOLS_PARAMETER_OPS = {
    "get_parameter": "GetParameter",
    "get_parameters": "GetParametersByPath",
    "get_parameters_by_name": "GetParameters",
}
SCHEMA_VALIDATORS = ("jsonschema.validate", "fastjsonschema.validate")
FIELD_READS = frozenset({"get", "pop", "setdefault", "getlist", "get_header_value", "get_query_string_value"})


# ---------------------------------------------------------------- handler rules of issue 15 (Python rows)
EVENT_LOOPS = frozenset(
    {"asyncio.get_event_loop()", "asyncio.get_running_loop()", "asyncio.new_event_loop()", "uvloop.new_event_loop()"}
)
"""Calls that return an asyncio event loop (the receiver of `loop.subprocess_shell/exec`)."""
LOOP_SUBPROCESS = {"subprocess_shell": "shell", "subprocess_exec": "program"}
"""Event-loop methods that start a process: method → sink kind of their second argument (after the protocol
factory)."""
DYNAMO_LEGACY_CONDITIONS = ("QueryFilter", "ScanFilter", "Expected", "KeyConditions")
"""DynamoDB's legacy condition parameters: attribute name → {ComparisonOperator, AttributeValueList}. The
values are data, but a caller who chooses the attribute names, the operator or the whole document changes the
condition."""
ARCHIVE_WRITERS = {"zipfile.ZipFile": "mode", "tarfile.open": "mode"}
"""Archive constructors whose second argument (or keyword) is a mode: "w", "a", "x" (and "w:gz"...) write."""
SQL_WHERE_METHODS = frozenset({"rows_where", "count_where", "delete_where", "pks_and_rows_where"})
"""sqlite_utils table methods taking a raw SQL WHERE clause as their first argument."""
SECRET_PARAMETERS = frozenset(
    {
        "TemporaryPassword",
        "MasterUserPassword",
        "Password",
        "ProposedPassword",
        "NewPassword",
        "SecretString",
        "ClientSecret",
        "SecretAccessKey",
        "AuthToken",
    }
)
"""SDK call parameters that carry a credential: a literal passed there is hard-coded whatever the variable that
holds it is called (Cognito `admin_create_user(TemporaryPassword=)`, RDS `MasterUserPassword`, Secrets Manager
`SecretString`, Cognito app-client `ClientSecret`, ElastiCache `AuthToken`)."""


HTML_ESCAPERS = frozenset(
    {
        "html.escape",
        "markupsafe.escape",
        "markupsafe.Markup.escape",
        "flask.escape",
        "jinja2.escape",
        "bleach.clean",
        "nh3.clean",
        "cgi.escape",
        "django.utils.html.escape",
        "django.utils.html.format_html",
        "xml.sax.saxutils.escape",
        "werkzeug.utils.escape",
    }
)
"""Calls that make text safe inside HTML (the "html" sanitiser)."""
HTML_TAG = LazyPattern(r"<\s*(html|body|div|span|p|h[1-6]|a|script|table|tr|td|li|ul|pre|b|i|form|img)\b", re.I)
"""A literal fragment that makes a returned string an HTML document or snippet."""
TRACEBACK_TEXT = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_exception_only",
        "traceback.format_tb",
        "traceback.extract_tb",
        "traceback.format_stack",
        "sys.exc_info",
    }
)
"""Calls that return the current exception's traceback or text (the "exception" source)."""
BROAD_EXCEPTIONS = frozenset(
    {
        "Exception",
        "BaseException",
        "ClientError",
        "BotoCoreError",
        "Error",
        "DatabaseError",
        "OperationalError",
        "ProgrammingError",
        "SQLAlchemyError",
        "RequestException",
        "HTTPError",
        "PyMongoError",
    }
)
"""Caught types (last dotted name) whose text is not the application's own message: an unexpected error
describing internals (SQL, paths, ARNs, stack frames). `except ValueError as e` around the app's own
validation is not a source: its text is what the developer wrote for the caller."""
PUBLISH_PARAMETERS = {
    ("sns", "publish"): ("Message", "Subject"),
    ("sqs", "send_message"): ("MessageBody",),
    ("sqs", "send_message_batch"): ("Entries",),
    ("events", "put_events"): ("Entries",),
    ("kinesis", "put_record"): ("Data",),
    ("firehose", "put_record"): ("Record",),
    ("iot-data", "publish"): ("payload",),
    ("apigatewaymanagementapi", "post_to_connection"): ("Data",),
}
"""SDK calls that hand a message to other readers (subscribers, consumers, WebSocket clients): where a
secret must not go (the "publish" sink)."""
DB_CONNECTORS = frozenset({
    "pymysql.connect", "pymysql.Connect", "pymysql.connections.Connection", "MySQLdb.connect",
    "mysql.connector.connect", "psycopg2.connect", "psycopg.connect", "psycopg.Connection.connect",
    "pg8000.connect", "pg8000.native.Connection", "pymssql.connect", "redshift_connector.connect",
    "redis.Redis", "redis.StrictRedis", "pymongo.MongoClient",
})
"""Database clients whose `password=` (`passwd=`, `pwd=`) keyword is the credential they log in with."""
JWT_DECODERS = {
    "jwt.decode": "decode",
    "jwt.api_jwt.decode": "decode",
    "jwt.decode_complete": "decode",
    "jose.jwt.decode": "decode",
    "jwt.get_unverified_claims": "unverified",
    "jose.jwt.get_unverified_claims": "unverified",
    "python_jwt.process_jwt": "unverified",
    "base64.b64decode": "manual",
    "base64.urlsafe_b64decode": "manual",
    "jwt.encode": "sign",
    "jwt.api_jwt.encode": "sign",
    "jose.jwt.encode": "sign",
}
"""JWT decoding: "decode" verifies unless told not to (options verify_signature/verify_exp False, PyJWT 1's
verify=False, the "none" algorithm); "unverified" never verifies; "manual" is base64 of the token's middle
part (`token.split(".")[1]`), the claims read by hand; "sign" makes a token. "decode" and "sign" take the key
second (`key=`): a literal there is a hard-coded signing secret."""
JWT_VERIFY_OPTIONS = ("verify_signature", "verify_exp")
CLIENT_REQUEST_PARTS = LazyPattern(
    r"\b(body|json_body|queryStringParameters|multiValueQueryStringParameters|query_string_parameters|"
    r"pathParameters|path_parameters|headers|multiValueHeaders|cookies|request parameter|form|args|get_json)\b"
)
"""Where an HTTP caller writes: a field read from these is the caller's to choose."""
TRUSTED_REQUEST_PARTS = LazyPattern(r"\b(authorizer|requestContext|claims|identity|jwt)\b")
"""Parts API Gateway fills after authenticating the caller (authorizer context, verified claims)."""
AUTHZ_FLAGS = LazyPattern(
    r"^(x-)?(is[_-]?)?(admin|administrator|superuser|super[_-]?user|staff|privileged|root|"
    r"authori[sz]ed|authenticated|bypass[_-]?auth|skip[_-]?auth)$",
    re.I,
)
"""Field names whose truth grants a privilege (`isAdmin`, `is_superuser`, `x-is-admin`)."""
AUTHZ_ROLE_FIELDS = LazyPattern(
    r"^(x-)?(user[_-]?)?(role|roles|group|groups|permission|permissions|access[_-]?level|user[_-]?type|"
    r"account[_-]?type|scope|scopes|privilege|privileges|admin|is[_-]?admin)$",
    re.I,
)
"""Field names compared against a privileged value (`body["role"] == "admin"`)."""
PRIVILEGED_VALUES = frozenset({"admin", "administrator", "superuser", "root", "owner", "staff", "true", "yes"})


IMPLIED_S3_READS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    **{
        ("textract", m): (("Document", "S3Object"), "Name")
        for m in ("detect_document_text", "analyze_document", "analyze_expense")
    },
    **{
        ("textract", m): (("DocumentLocation", "S3Object"), "Name")
        for m in (
            "start_document_text_detection",
            "start_document_analysis",
            "start_expense_analysis",
            "start_lending_analysis",
        )
    },
    **{
        ("rekognition", m): (("Image", "S3Object"), "Name")
        for m in (
            "detect_labels",
            "detect_faces",
            "detect_text",
            "detect_moderation_labels",
            "detect_protective_equipment",
            "recognize_celebrities",
            "index_faces",
            "search_faces_by_image",
            "detect_custom_labels",
        )
    },
    ("rekognition", "compare_faces"): (("SourceImage", "S3Object"), "Name"),
    **{
        ("rekognition", m): (("Video", "S3Object"), "Name")
        for m in (
            "start_label_detection",
            "start_face_detection",
            "start_text_detection",
            "start_content_moderation",
            "start_celebrity_recognition",
            "start_person_tracking",
            "start_segment_detection",
            "start_face_search",
        )
    },
    ("transcribe", "start_transcription_job"): (("Media",), "MediaFileUri"),
    ("transcribe", "start_medical_transcription_job"): (("Media",), "MediaFileUri"),
    ("transcribe", "start_call_analytics_job"): (("Media",), "MediaFileUri"),
}
"""Service APIs that read an S3 object with the CALLER's credentials, so the function's role needs
`s3:GetObject` on it: (service, method) → (path to the object's location in the request, key field). An
`S3Object` has `Bucket` and the key field (`Name`); a `MediaFileUri` is an `s3://bucket/key` URI.
Sources: Textract "Calling Amazon Textract synchronous/asynchronous operations" (the caller needs read access to
the object), Rekognition "Analyzing an image stored in an Amazon S3 bucket" / stored-video operations,
Transcribe "StartTranscriptionJob: Media" (the requester's permissions are used to read the media file).
Comprehend and Translate batch jobs read S3 through their `DataAccessRoleArn`, not the caller, and their
synchronous APIs take the text itself: no row."""
IMPLIED_S3_READS_SECOND = {("rekognition", "compare_faces"): (("TargetImage", "S3Object"), "Name")}
"""A second object read by the same call (CompareFaces reads a source and a target image)."""


NON_CREDENTIAL_FIELDS = frozenset(
    {
        "host",
        "hostname",
        "port",
        "dbname",
        "database",
        "engine",
        "region",
        "username",
        "user",
        "url",
        "endpoint",
        "dbinstanceidentifier",
        "dbclusteridentifier",
    }
)
"""Fields of a JSON secret that describe where and as whom to connect, not the credential (the RDS secret
layout: engine, host, port, dbname, username next to password): reading one is not reading the secret."""


@record
class Model:
    """One library row: the transfer that interprets the call, and the row's parameters for it."""

    rank: int
    transfer: str
    sink: str = ""
    """The sink kind the call's argument reaches ("" when the call is not a sink)."""
    position: int = 0
    """Position of the argument the transfer reads (the command, the URL, the path...)."""
    keyword: str | None = None
    """The keyword spelling of that argument."""
    option: str = ""
    """Transfer-specific: a sanitiser's kind, a second keyword, a flag."""


def _table(  # noqa: PLR0917 - a row's columns
    rank: int,
    transfer: str,
    quals: Mapping[str, int] | Iterable[str],
    sink: str = "",
    keyword: str | None = None,
    option: str = "",
) -> dict[str, Model]:
    """Rows for every qualified name of `quals` (a set, or a mapping qual → argument position)."""
    positions = dict(quals) if isinstance(quals, Mapping) else dict.fromkeys(quals, 0)
    return {q: Model(rank, transfer, sink, position, keyword, option) for q, position in positions.items()}


def _http_library_rows() -> dict[str, Model]:
    """`requests.get(url)`, `httpx.post(url)`, `requests.request(method, url)`..."""
    rows: dict[str, Model] = {}
    for lib in HTTP_LIBS:
        for verb in (*sorted(HTTP_VERBS), "stream"):
            rows[f"{lib}.{verb}"] = Model(50, "url", "url", 0, "url")
        rows[f"{lib}.request"] = Model(50, "url", "url", 1, "url")
    return rows


_TABLES: tuple[dict[str, Model], ...] = (
    _table(10, "env-read", ENV_READS),
    _table(11, "env-copy", ENV_COPIES),
    _table(30, "shell-string", SHELL_FUNCS, "shell", "cmd"),
    _table(31, "subprocess", SUBPROCESS, "shell"),
    _table(32, "exec-program", EXEC_PROGRAM, "shell", "path"),
    _table(33, "code", {q: p for q, p in CODE_FUNCS.items() if q != "importlib.import_module"}, "code", "source"),
    _table(33, "code", {"importlib.import_module": 0}, "code", "name"),
    _table(33, "management-command", MANAGEMENT_COMMANDS, "code"),
    _table(34, "load-from-path", DYNAMIC_LOADERS),
    _table(35, "sys-path", SYS_PATH_EDITS),
    _table(36, "deser", DESER_FUNCS, "deser"),
    _table(37, "yaml-load", {"yaml.load", "yaml.load_all", "ruamel.yaml.load", "ruamel.yaml.load_all"}, "deser"),
    _table(37, "ruamel-yaml", RUAMEL_YAML),
    _table(31, "exec-argv", EXEC_ARGV, "program"),
    _table(86, "split-argv", {"shlex.split"}),
    _table(38, "numpy-load", {"numpy.load"}, "deser"),
    _table(40, "template", TEMPLATE_FUNCS, "template"),
    _table(42, "jinja-environment", {"jinja2.Environment", "jinja2.environment.Environment"}),
    _table(74, "unpack-archive", {"shutil.unpack_archive"}),
    _table(45, "url-request-object", {"urllib.request.Request"}),
    _http_library_rows(),
    _table(52, "url", URL_FUNCS, "url", "url", option="host"),
    *(_table(53, "url", {qual}, "redirect", keyword) for qual, keyword in REDIRECT_FUNCS.items()),
    _table(54, "response-object", RESPONSE_OBJECTS),
    _table(55, "http-session", HTTP_SESSION_CTORS),
    _table(62, "sql-text", SQL_TEXT_FUNCS, "sql"),
    _table(70, "path-func", PATH_FUNCS, "path"),
    _table(71, "path-object", PATHLIB_CTORS),
    _table(73, "mkstemp", {"tempfile.mkstemp"}),
    _table(73, "mkdtemp", {"tempfile.mkdtemp"}),
    _table(73, "tempfile-object", TEMPFILE_OBJECTS),
    _table(73, "tempdir", {"tempfile.gettempdir", "tempfile.TemporaryDirectory"}),
    _table(80, "sanitize", SHELL_QUOTE, option="shell"),
    _table(80, "sanitize", SERIALISERS, option="deser"),
    _table(81, "sanitize", PATH_SANITIZERS, option="path"),
    _table(82, "normalize", NORMALIZERS),
    _table(83, "path-join", PATH_JOINS),
    _table(84, "path-split", PATH_SPLITS),
    _table(85, "parse-json", JSON_LOADS),
    _table(86, "to-string", TO_STRING),
    _table(87, "regex-compile", {"re.compile"}),
    _table(88, "regex-sub", {"re.sub"}),
    _table(89, "regex-match", REGEX_MATCHES),
    _table(79, "sanitize", HTML_ESCAPERS, option="html"),
    _table(76, "exception-text", TRACEBACK_TEXT),
    {q: Model(77, "jwt-decode", option=mode) for q, mode in JWT_DECODERS.items()},
    _table(75, "db-connect", DB_CONNECTORS),
)


def _compile(tables: tuple[dict[str, Model], ...]) -> dict[str, Model]:
    rows: dict[str, Model] = {}
    for table in tables:
        for qual, model in table.items():
            if qual in rows:
                raise ValueError(f"library model {qual!r} is in two tables")
            rows[qual] = model
    return rows


QUAL_MODELS: dict[str, Model] = _compile(_TABLES)
"""Every library call recognised by its qualified name."""

METHOD_RULES: tuple[tuple[int, str], ...] = (
    (20, "log"),
    (41, "template-from-string"),
    (42, "jinja-render"),
    (51, "url-session"),
    (29, "loop-subprocess"),
    (39, "ruamel-load"),
    (60, "sql-execute"),
    (61, "sql-query"),
    (65, "mongo"),
    (72, "path-object-method"),
    (73, "tmp-file-read"),
    (74, "extract-archive"),
    (75, "tmp-cleanup-method"),
    (81, "sanitize-path-suffix"),
    (90, "powertools"),
    (91, "validate"),
    (92, "validate-method"),
    (93, "regex-match-method"),
    (94, "table-lookup"),
    (94, "tainted-receiver"),
    (95, "format-literal"),
    (96, "join-literal"),
)
"""Calls recognised by method name, receiver kind or a name prefix/suffix, in rank order with the rows."""
