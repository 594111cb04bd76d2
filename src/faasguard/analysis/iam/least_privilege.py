"""What each function needs (from its code's AWS calls and its own configuration) and the minimal policy for it.

Resources are resolved to ARNs where the call's target is known: a literal, or an environment variable bound
to a template resource (`TABLE_NAME: !Ref Orders` → the loader's `${Orders}` → the table's ARN
`${Orders.Arn}`). ARNs use the loader's symbolic Fn::Sub syntax, so they paste into a template as `!Sub`.
`*` is used only where the action has no resource type in the IAM catalog; a target we cannot resolve stays
`Unknown` in the needs and becomes, in the generated policy, the declared policy's own scope for that action
when that scope is narrower than `*` (never wider than what the author already granted), else `*` -- each such
fallback is returned as a note that the CLI prints on stderr.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from faasguard._record import record
from faasguard.analysis.iam.boto_map import actions_for
from faasguard.analysis.iam.catalog import get_catalog
from faasguard.analysis.iam.facts import FunctionNeeds, Need, RoleAccess, is_wildcard_resource
from faasguard.model import Application, Function, Resource, ResourceCategory, Trigger, TriggerKind, Unknown

if TYPE_CHECKING:
    from faasguard.analysis.code.facts import AwsCall

PART = "${AWS::Partition}"
REGION = "${AWS::Region}"
ACCOUNT = "${AWS::AccountId}"

_REF = re.compile(r"^\$\{([A-Za-z0-9_:.\-\[\]\"]+?)(?:\.(Arn|Name|QueueName|QueueUrl|StreamArn|KeyId|TopicName|"
                  r"TopicArn|Id))?\}$")
_TF_ADDRESS = re.compile(r"(?:module\.[A-Za-z0-9_-]+\.)*(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+")
"""A Terraform resource address as the loader writes node ids (`aws_s3_bucket.b`, `module.m.aws_sqs_queue.q`)."""
_TF_REF = re.compile(r"^\$\{(" + _TF_ADDRESS.pattern + r")\.(arn|id|name|bucket|url|function_name|key_id)\}$")
"""A Terraform reference to an attribute that identifies the resource (`${aws_sqs_queue.q.arn}`)."""

#: Platform actions covered by the AWS managed execution policies (used by the patch to attach those).
LOGS_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
               "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries")


# ------------------------------------------------------------------------------ application index

class _AppIndex:
    """`Application.resource/function/triggers_of` answered from dicts: those scan the whole application per
    call, and least privilege asks them for every function (quadratic in functions on a large template).
    Same answers: the first resource/function with the id, the triggers of a function in template order."""

    __slots__ = ("_spellings", "app", "functions", "resources", "triggers")

    def __init__(self, app: Application) -> None:
        self.app = app
        self.resources: dict[str, Resource] = {}
        for res in app.resources:
            self.resources.setdefault(res.id, res)
        self.functions: dict[str, Function] = {}
        for fn in app.functions:
            self.functions.setdefault(fn.id, fn)
        self.triggers: dict[str, list[Trigger]] = {}
        for t in app.triggers:
            if isinstance(t.function, str):
                self.triggers.setdefault(t.function, []).append(t)
        self._spellings: _SpellingIndex | None = None

    def spelling_index(self) -> _SpellingIndex:
        """Built on first use (only comparing declared with needed ARNs reads it)."""
        if self._spellings is None:
            self._spellings = _SpellingIndex(self.app)
        return self._spellings


_last_index: _AppIndex | None = None


def _index(app: Application) -> _AppIndex:
    """The index of `app` (an Application is frozen and its collections are tuples, so it cannot go stale);
    only the last application's index is kept, checked by identity."""
    global _last_index  # noqa: PLW0603 - a one-entry memo
    index = _last_index
    if index is None or index.app is not app:
        index = _last_index = _AppIndex(app)
    return index


def _resource(app: Application, rid: str | Unknown | None) -> Resource | None:
    return _index(app).resources.get(rid) if isinstance(rid, str) else None


def _function(app: Application, fid: str) -> Function | None:
    return _index(app).functions.get(fid)


def _triggers_of(app: Application, fid: str) -> tuple[Trigger, ...]:
    return tuple(_index(app).triggers.get(fid, ()))


# ------------------------------------------------------------------------------ value resolution

@record(slots=False)
class _Target:
    """A resolved call argument: a literal, or a template resource (by logical id) with the attribute."""

    literal: str | None = None
    resource: Resource | None = None
    function: Function | None = None
    ref_text: str | None = None
    """The symbolic text as the loader wrote it (`${Orders}`)."""


def _resolve_arg(value: object, fn: Function, app: Application) -> _Target | Unknown:
    from faasguard.analysis.code.facts import EnvRef

    if isinstance(value, Unknown):
        return value
    if isinstance(value, EnvRef):
        env = next((e for e in fn.environment if e.name == value.name), None)
        if env is None:
            if value.default is not None:
                return _from_text(value.default, app)
            return Unknown(f"environment variable {value.name} is not set on function {fn.id}")
        if isinstance(env.value, Unknown):
            return Unknown(f"environment variable {value.name}: {env.value.reason}")
        return _from_text(env.value, app)
    if isinstance(value, str):
        return _from_text(value, app)
    return Unknown(f"argument of type {type(value).__name__}")


def call_target(value: object, fn: Function, app: Application) -> Resource | Function | str | Unknown:
    """What a call argument (or a destination) names: a resource or function of the application -- through
    an environment variable bound to it (`QUEUE_URL: !Ref Jobs`), a reference, or a name/ARN spelled out --
    else the literal text; Unknown when it cannot be resolved. `AWS_LAMBDA_FUNCTION_NAME`, which the runtime
    sets, is the function itself."""
    from faasguard.analysis.code.facts import EnvRef

    if isinstance(value, EnvRef) and value.name == "AWS_LAMBDA_FUNCTION_NAME" \
            and not any(e.name == value.name for e in fn.environment):
        return fn
    target = _resolve_arg(value, fn, app)
    if isinstance(target, Unknown):
        return target
    if target.resource is not None:
        return target.resource
    if target.function is not None:
        return target.function
    return target.literal if target.literal is not None else Unknown("no target")


def _from_text(text: str, app: Application) -> _Target:
    tf = _TF_REF.match(text.strip())
    if tf:
        res = _resource(app, tf.group(1))
        if res is not None:
            return _Target(resource=res, ref_text=text)
        f = _function(app, tf.group(1))
        if f is not None:
            return _Target(function=f, ref_text=text)
    m = _REF.match(text.strip())
    if m:
        rid = m.group(1)
        res = _resource(app, rid)
        if res is not None:
            return _Target(resource=res, ref_text=text)
        f = _function(app, rid)
        if f is not None:
            return _Target(function=f, ref_text=text)
    return _Target(literal=text)


def _arn_of(res: Resource, ref_text: str | None) -> str:
    if isinstance(res.arn, str) and (res.arn.startswith("arn:") or (res.arn and _TF_ADDRESS.fullmatch(res.id))):
        return res.arn  # a Terraform ARN is `${address.arn}` when the loader knows no better shape
    if res.category in (ResourceCategory.TOPIC, ResourceCategory.SECRET, ResourceCategory.STATE_MACHINE):
        return f"${{{res.id}}}"  # Ref returns the ARN
    if res.category is ResourceCategory.BUCKET:
        return f"arn:{PART}:s3:::${{{res.id}}}"
    if res.category is ResourceCategory.PARAMETER:
        name = res.name if isinstance(res.name, str) else None
        sep = "" if name and name.startswith("/") else "/"
        return f"arn:{PART}:ssm:{REGION}:{ACCOUNT}:parameter{sep}${{{res.id}}}"
    return f"${{{res.id}.Arn}}"


def _name_arn(service: str, name: str) -> str:
    """ARN of a resource given by literal name."""
    if name.startswith("arn:"):
        return name
    match service:
        case "s3":
            return f"arn:{PART}:s3:::{name}"
        case "dynamodb":
            return f"arn:{PART}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        case "secretsmanager":
            return f"arn:{PART}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-??????"
        case "sqs":
            url = re.match(r"https?://[^/]+/(\d{12}|[^/]+)/([^/]+)$", name)
            if url:
                acct = url.group(1) if url.group(1).isdigit() else ACCOUNT
                return f"arn:{PART}:sqs:{REGION}:{acct}:{url.group(2)}"
            return f"arn:{PART}:sqs:{REGION}:{ACCOUNT}:{name}"
        case "sns":
            return f"arn:{PART}:sns:{REGION}:{ACCOUNT}:{name}"
        case "lambda":
            return f"arn:{PART}:lambda:{REGION}:{ACCOUNT}:function:{name}"
        case "ssm":
            return f"arn:{PART}:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"
        case "kinesis":
            return f"arn:{PART}:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
        case "firehose":
            return f"arn:{PART}:firehose:{REGION}:{ACCOUNT}:deliverystream/{name}"
        case "kms":
            if name.startswith("alias/"):
                return f"arn:{PART}:kms:{REGION}:{ACCOUNT}:{name}"
            return f"arn:{PART}:kms:{REGION}:{ACCOUNT}:key/{name}"
        case "events":
            return f"arn:{PART}:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        case "states":
            return f"arn:{PART}:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    return name


def _target_arn(service: str, target: _Target) -> str:
    if target.resource is not None:
        return _arn_of(target.resource, target.ref_text)
    if target.function is not None:
        fid = target.function.id
        return f"${{{fid}.arn}}" if _TF_ADDRESS.fullmatch(fid) else f"${{{fid}.Arn}}"
    assert target.literal is not None
    return _name_arn(service, target.literal)


# Which call parameter names the target, per IAM prefix.
_TARGET_PARAMS: dict[str, tuple[str, ...]] = {
    "s3": ("Bucket",),
    "dynamodb": ("TableName", "TableArn", "StreamArn"),
    "secretsmanager": ("SecretId",),
    "sqs": ("QueueUrl", "QueueName"),
    "sns": ("TopicArn", "TargetArn"),
    "lambda": ("FunctionName",),
    "states": ("stateMachineArn",),
    "kms": ("KeyId",),
    "ssm": ("Name", "Path"),
    "kinesis": ("StreamARN", "StreamName"),
    "firehose": ("DeliveryStreamName",),
    "events": ("EventBusName",),
}

_S3_BUCKET_ACTIONS = frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads",
                                "s3:GetBucketLocation", "s3:GetBucketNotification", "s3:PutBucketNotification"})


def _call_resources(action: str, arguments: Mapping[str, object], fn: Function,
                    app: Application) -> list[str | Unknown]:
    cat = get_catalog()
    rtypes = cat.resource_types(action)
    if rtypes == ():
        return ["*"]
    prefix = action.partition(":")[0]
    params = _TARGET_PARAMS.get(prefix)
    if not params:
        return [Unknown(f"no resource resolution for {prefix} calls")]
    name = next((p for p in params if p in arguments), None)
    if name is None:
        if prefix == "events":
            return [f"arn:{PART}:events:{REGION}:{ACCOUNT}:event-bus/default"]
        return [Unknown(f"the call names no {' / '.join(params)}")]
    target = _resolve_arg(arguments[name], fn, app)
    if isinstance(target, Unknown):
        return [target]
    arn = _target_arn(prefix, target)
    if prefix == "s3" and action not in _S3_BUCKET_ACTIONS and (rtypes and "object" in rtypes):
        key = arguments.get("Key")
        if isinstance(key, str) and "${" not in key and key:
            return [f"{arn}/{key}"]
        return [f"{arn}/*"]
    if prefix == "dynamodb" and "IndexName" in arguments and action in ("dynamodb:Query", "dynamodb:Scan"):
        index = arguments["IndexName"]
        return [arn, f"{arn}/index/{index if isinstance(index, str) else '*'}"]
    if prefix == "ssm" and name == "Path" and "${" not in arn:
        return [arn, f"{arn.rstrip('/')}/*"]
    return [arn]


# ---------------------------------------------------------------------------------------- needs

def _trigger_arn(source: object, app: Application, service: str) -> str | Unknown:
    if isinstance(source, Unknown):
        return source
    if not isinstance(source, str) or not source:
        return Unknown("the trigger's source is not known")
    res = _resource(app, source)
    if res is not None:
        return _arn_of(res, None)
    target = _from_text(source, app)
    return _target_arn(service, target)


def platform_needs(fn: Function, app: Application) -> list[Need]:
    """What the Lambda service itself does with the function's role, from the function's configuration."""
    out: list[Need] = []
    fname = f"${{{fn.id}.function_name}}" if _TF_ADDRESS.fullmatch(fn.id) else f"${{{fn.id}}}"
    log_group = f"arn:{PART}:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{fname}"
    loc = fn.location
    out.append(Need("logs:CreateLogGroup", f"arn:{PART}:logs:{REGION}:{ACCOUNT}:*", "CloudWatch Logs", "platform",
                    loc))
    for a in LOGS_ACTIONS[1:]:
        out.append(Need(a, f"{log_group}:*", "CloudWatch Logs", "platform", loc))
    if fn.vpc is not None:
        for a in VPC_ACTIONS:
            out.append(Need(a, "*", "VPC network interfaces", "platform", fn.loc("vpc"),
                            note="Lambda's ENI actions cannot be scoped usefully"))
    if isinstance(fn.tracing, str) and fn.tracing.lower() == "active":
        for a in XRAY_ACTIONS:
            out.append(Need(a, "*", "X-Ray active tracing", "platform", fn.loc("tracing"),
                            note="X-Ray actions have no resource type"))
    if fn.kms_key is not None:
        key = fn.kms_key
        arn: str | Unknown = key if isinstance(key, Unknown) else _target_arn("kms", _from_text(key, app))
        out.append(Need("kms:Decrypt", arn, "environment encrypted with a customer managed key", "platform",
                        fn.loc("kms_key")))
    for t in _triggers_of(app, fn.id):
        reason = f"{t.kind.value} event source {t.id}"
        if t.kind is TriggerKind.SQS:
            arn = _trigger_arn(t.source, app, "sqs")
            for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
                out.append(Need(a, arn, reason, "platform", t.location))
        elif t.kind is TriggerKind.DYNAMODB_STREAM:
            arn = _trigger_arn(t.source, app, "dynamodb")
            for a in ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"):
                out.append(Need(a, arn, reason, "platform", t.location))
            out.append(Need("dynamodb:ListStreams", "*", reason, "platform", t.location,
                            note="ListStreams has no resource type"))
        elif t.kind is TriggerKind.KINESIS:
            arn = _trigger_arn(t.source, app, "kinesis")
            for a in ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                      "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"):
                out.append(Need(a, arn, reason, "platform", t.location))
            out.append(Need("kinesis:ListStreams", "*", reason, "platform", t.location,
                            note="ListStreams has no resource type"))
        dest = t.on_failure
        if dest is not None:
            out.extend(_destination_needs(dest.target, app, f"on-failure destination of {t.id}", dest.location))
    for dest in (fn.dead_letter, fn.async_on_failure):
        if dest is not None:
            out.extend(_destination_needs(dest.target, app, f"{dest.kind} {dest.target}", dest.location))
    return out


def _destination_needs(target: object, app: Application, reason: str, loc: object) -> list[Need]:
    from faasguard.model import Location

    location = loc if isinstance(loc, Location) else None
    if not isinstance(target, str):
        return []
    res = _resource(app, target) or (_resource(app, m.group(1)) if (m := _REF.match(target)) else None)
    arn = _arn_of(res, target if "${" in target else None) if res else target
    text = f"{target} {res.type if res else ''}".lower()
    if (res and res.category is ResourceCategory.QUEUE) or ":sqs:" in text or "sqs" in text:
        return [Need("sqs:SendMessage", arn, reason, "platform", location)]
    if (res and res.category is ResourceCategory.TOPIC) or ":sns:" in text or "sns" in text:
        return [Need("sns:Publish", arn, reason, "platform", location)]
    if ":lambda:" in text or "function" in text:
        return [Need("lambda:InvokeFunction", arn, reason, "platform", location)]
    if ":events:" in text or "event-bus" in text:
        return [Need("events:PutEvents", arn, reason, "platform", location)]
    return []


def code_needs(fn: Function, app: Application, calls: Sequence[object]) -> tuple[list[Need], list[str]]:
    """Needs from the handler's AWS calls; returns (needs, calls that could not be mapped)."""
    from faasguard.analysis.code.facts import AwsCall

    out: list[Need] = []
    unmapped: list[str] = []
    s3_trigger_buckets = [t.source for t in _triggers_of(app, fn.id) if t.kind is TriggerKind.S3]
    for call in calls:
        if not isinstance(call, AwsCall):
            continue
        actions = actions_for(call.service, call.method, call.operation)
        where = f"{call.service}.{call.method} ({call.location.path}:{call.location.line})"
        if actions is None:
            unmapped.append(where)
            continue
        out.extend(_passed_roles(call, fn, app, where))
        for action in actions:
            for res in _call_resources(action, call.arguments, fn, app):
                note = None
                if isinstance(res, Unknown) and action.startswith("s3:") and s3_trigger_buckets \
                        and "Bucket" in call.arguments:
                    # The usual shape: the bucket comes from the S3 event that triggered the function.
                    for src in s3_trigger_buckets:
                        arn = _trigger_arn(src, app, "s3")
                        if isinstance(arn, str):
                            object_level = action not in _S3_BUCKET_ACTIONS
                            out.append(Need(action, f"{arn}/*" if object_level else arn, where, "code",
                                            call.location, note=f"bucket not resolvable ({res.reason}); assumed "
                                            "to be the S3 trigger's bucket"))
                    continue
                out.append(Need(action, res, where, "code", call.location, note=note))
    return out, unmapped


def _passed_roles(call: AwsCall, fn: Function, app: Application, where: str) -> list[Need]:
    """`iam:PassRole` for every role the call hands to a service (`CreateSchedule`'s `Target.RoleArn`,
    `CreateFunction`'s `Role`, `StartBuild`'s `serviceRoleOverride`...), on that role when it resolves."""
    from faasguard.analysis.code.facts import is_role_parameter

    if call.service == "sts":
        return []
    needs: list[Need] = []
    for name, value in call.arguments.items():
        if not is_role_parameter(name.rpartition(".")[2]):
            continue
        target = _resolve_arg(value, fn, app)
        arn: str | Unknown = target if isinstance(target, Unknown) else _target_arn("iam", target)
        needs.append(Need("iam:PassRole", arn, where, "code", call.location,
                          note=f"the {name} parameter hands the role to {call.service}"))
    return needs


def function_needs(fn: Function, app: Application, handler: object | None) -> FunctionNeeds:
    needs = platform_needs(fn, app)
    unmapped: list[str] = []
    analyzed = handler is not None
    if handler is not None:
        calls = getattr(handler, "aws_calls", ())
        code, unmapped = code_needs(fn, app, calls)
        needs.extend(code)
    return FunctionNeeds(fn.id, fn.role if isinstance(fn.role, str) else None, tuple(needs), tuple(unmapped),
                         analyzed)


# ------------------------------------------------------------------------------ generated policy

@record(slots=False)
class GeneratedPolicy:
    document: dict[str, object]
    notes: tuple[str, ...]
    """Every `*` or fallback resource with its reason (printed on stderr by the CLI)."""


def resolve_resources(needs: Iterable[Need], declared: RoleAccess | None) -> tuple[dict[str, set[str]], list[str]]:
    """action → resources, with Unknown resources replaced by the declared scope (or `*`) and noted."""
    by_action: dict[str, set[str]] = {}
    notes: list[str] = []
    for n in needs:
        if isinstance(n.resource, Unknown):
            fallback: list[str] = []
            if declared is not None:
                for g in declared.effective_grants(n.action):
                    if g.not_resources is None:
                        fallback.extend(r for r in g.resources if not is_wildcard_resource(r))
            if fallback and not any(is_wildcard_resource(r) for r in fallback):
                by_action.setdefault(n.action, set()).update(fallback)
                notes.append(f"{n.action}: resource of {n.reason} not resolvable ({n.resource.reason}); kept the "
                             f"declared scope {', '.join(sorted(set(fallback)))}")
            else:
                by_action.setdefault(n.action, set()).add("*")
                notes.append(f"{n.action}: resource of {n.reason} not resolvable ({n.resource.reason}); using "
                             "\"*\" -- replace it with the real ARN")
            continue
        by_action.setdefault(n.action, set()).add(n.resource)
        if n.resource == "*":
            notes.append(f"{n.action} on \"*\": {n.note or 'the action has no resource type'} ({n.reason})")
        elif n.note:
            notes.append(f"{n.action} on {n.resource}: {n.note}")
    # A wildcard subsumes the specific resources of the same action.
    for action, res in by_action.items():
        if "*" in res:
            by_action[action] = {"*"}
    return by_action, list(dict.fromkeys(notes))


def statements_from(by_action: Mapping[str, set[str]]) -> list[dict[str, object]]:
    """Group actions with the same resources into statements, deterministic order."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for action, res in by_action.items():
        groups.setdefault(tuple(sorted(res)), []).append(action)
    out: list[dict[str, object]] = []
    for res_key, actions in sorted(groups.items(), key=lambda kv: (sorted(kv[1])[0], kv[0])):
        out.append({"Effect": "Allow", "Action": sorted(set(actions)), "Resource": list(res_key)})
    return out


def generate(needs: FunctionNeeds | Iterable[Need], declared: RoleAccess | None = None,
             exclude_actions: Iterable[str] = ()) -> GeneratedPolicy:
    items = needs.needs if isinstance(needs, FunctionNeeds) else tuple(needs)
    skip = {a.lower() for a in exclude_actions}
    by_action, notes = resolve_resources([n for n in items if n.action.lower() not in skip], declared)
    return GeneratedPolicy({"Version": "2012-10-17", "Statement": statements_from(by_action)}, tuple(notes))


# --------------------------------------------------------------------------- declared vs needed

# Every way a template can spell a resource's ARN, per category: (IAM service prefix, CloudFormation
# attributes holding its name, ... holding its ARN, Terraform attributes holding its name, ... holding its ARN);
# "" is CloudFormation's `Ref`. A name becomes an ARN through `_name_arn`, as a need built from it does.
_Spellings = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_SPELLINGS: dict[ResourceCategory, _Spellings] = {
    ResourceCategory.BUCKET: ("s3", ("",), ("Arn",), ("id", "bucket"), ("arn",)),
    ResourceCategory.TABLE: ("dynamodb", ("",), ("Arn",), ("name", "id"), ("arn",)),
    ResourceCategory.QUEUE: ("sqs", ("QueueName",), ("Arn",), ("name",), ("arn",)),
    ResourceCategory.TOPIC: ("sns", ("TopicName",), ("", "TopicArn", "Arn"), ("name",), ("arn", "id")),
    ResourceCategory.STREAM: ("kinesis", ("",), ("Arn",), ("name",), ("arn", "id")),
    ResourceCategory.SECRET: ("secretsmanager", (), ("", "Id", "Arn"), ("name",), ("arn", "id")),
    ResourceCategory.PARAMETER: ("ssm", ("",), (), ("name", "id"), ("arn",)),
    ResourceCategory.KMS_KEY: ("kms", ("", "KeyId"), ("Arn",), ("key_id", "id"), ("arn",)),
    ResourceCategory.STATE_MACHINE: ("states", ("Name",), ("", "Arn"), ("name",), ("arn", "id")),
    ResourceCategory.EVENT_BUS: ("events", ("", "Name"), ("Arn",), ("name", "id"), ("arn",)),
}
_FUNCTION_SPELLINGS: _Spellings = ("lambda", ("",), ("Arn",), ("function_name",), ("arn",))

_PSEUDO = re.compile(r"\$\{AWS::(\w+)\}")
_PROTECTED = re.compile("\x00(\\w+)")


def _ref_text(node_id: str, attr: str) -> str:
    return f"${{{node_id}.{attr}}}" if attr else f"${{{node_id}}}"


def _spellings_of(node: Resource | Function) -> list[str]:
    """The ARN of `node` in every spelling a template or a handler may use: through the template's own
    references (`${Orders.Arn}`, `arn:...:table/${Orders}`, `${aws_s3_bucket.b.arn}`), as the loader folded
    it (`Resource.arn`), and through its literal name (`Resource.name`: `arn:...:s3:::my-bucket`)."""
    if isinstance(node, Function):
        spec = _FUNCTION_SPELLINGS
        arns: list[str] = []
    else:
        found = _SPELLINGS.get(node.category)
        if found is None:
            return []
        spec = found
        arns = [_arn_of(node, None)] + ([node.arn] if isinstance(node.arn, str) and node.arn else [])
    service, cfn_names, cfn_arns, tf_names, tf_arns = spec
    name_attrs, arn_attrs = (tf_names, tf_arns) if _TF_ADDRESS.fullmatch(node.id) else (cfn_names, cfn_arns)
    names = [_ref_text(node.id, a) for a in name_attrs]
    if isinstance(node.name, str) and node.name.strip():
        names.append(node.name.strip())
    arns += [_ref_text(node.id, a) for a in arn_attrs]
    arns += [_name_arn(service, n) for n in names]
    return list(dict.fromkeys(arns))


def _split_arn(text: str) -> tuple[str, str, str, str]:
    """(`arn:partition:service`, region, account, resource part) of an ARN, pseudo parameters protected
    (`${AWS::Region}` holds colons) and the partition read as `aws`; ("", "", "", text) for anything else."""
    protected = _PSEUDO.sub(lambda m: "\x00" + m.group(1), text.strip())
    if protected.startswith("arn:"):
        parts = protected.split(":", 5)
        if len(parts) == 6:
            partition = "aws" if parts[1] == "\x00Partition" else parts[1]
            return f"arn:{partition}:{parts[2]}", parts[3], parts[4], parts[5]
    return "", "", "", protected


def _same_scope(a: str, b: str) -> bool:
    """Region or account segments that may name the same place: equal, or either symbolic/wildcard (the
    deploying stack's region is any concrete region, as in `resource_matches`)."""
    return a == b or any(s.startswith("\x00") or "${" in s or "*" in s for s in (a, b))


class _SpellingIndex:
    """(ARN head, resource part) of every spelling of every resource and function → the node's spellings."""

    __slots__ = ("by_key", "spellings")

    def __init__(self, app: Application) -> None:
        self.spellings: list[list[str]] = []
        self.by_key: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
        nodes: list[Resource | Function] = [*app.resources, *app.functions]
        for node in nodes:
            forms = _spellings_of(node)
            if not forms:
                continue
            self.spellings.append(forms)
            for form in forms:
                head, region, account, part = _split_arn(form)
                hits = self.by_key.setdefault((head, part), [])
                hit = (region, account, len(self.spellings) - 1)
                if hit not in hits:
                    hits.append(hit)


def equivalent_arns(arn: str, app: Application) -> list[str]:
    """Other spellings of the same ARN, for comparing what a function needs with what its role declares without
    false "missing" reports: `${Orders.Arn}` is `arn:...:table/${Orders}`; a bucket the handler names literally
    (`arn:...:s3:::photos-0412/*`, from `Bucket="photos-0412"` or an environment variable holding the name) is
    the template's `${PhotoBucket}` or Terraform's `${aws_s3_bucket.photos.id}` when that resource has this name.

    The longest prefix of `arn` (cut before a `/` or `:` of its resource part) that is a spelling of a resource
    or function of the application names it; the rest (`/*`, `/index/x`) is kept on every other spelling."""
    index = _index(app).spelling_index()
    head, region, account, part = _split_arn(arn)
    cuts = [len(part), *(i for i in range(len(part) - 1, 0, -1) if part[i] in "/:")]
    out = [arn]
    for cut in cuts:
        hits = [h for h in index.by_key.get((head, part[:cut]), ())
                if _same_scope(h[0], region) and _same_scope(h[1], account)]
        if not hits:
            continue
        rest = _PROTECTED.sub(lambda m: f"${{AWS::{m.group(1)}}}", part[cut:])
        for _, _, node in hits:
            out.extend(form + rest for form in index.spellings[node])
        break
    return list(dict.fromkeys(out))


def need_covered(ra: RoleAccess, need: Need, app: Application) -> bool | None:
    """True when the role grants the need; False when it surely does not; None when we cannot tell."""
    from faasguard.analysis.iam.facts import Decision

    if isinstance(need.resource, Unknown):
        if ra.effective_grants(need.action):
            return True
        return None if ra.opaque else False
    decisions = [ra.access(need.action, form).decision for form in equivalent_arns(need.resource, app)]
    if any(d in (Decision.ALLOWED, Decision.CONDITIONAL) for d in decisions):
        return True
    if any(d is Decision.UNKNOWN for d in decisions):
        return None
    if any(g.unknown for g in ra.grants_for(need.action)):
        return None  # a grant of this action names resources we could not resolve: it may be this one
    return False
