"""CloudFormation intrinsic functions, resolved statically inside one template.

Why by hand: no maintained library resolves intrinsics *without deploying* while keeping source positions and
saying why a value is unknown (cfn-lint resolves for linting only, tied to its own node classes; SAM's
translator resolves just enough to transform). The resolver works on the located values of `loaders._yaml`
and returns located values again (`LocatedDict`/`LocatedList` keep their positions), so a loader resolves a
whole resource once and still knows each property's line.

Conventions (rules depend on them):

* Values only known at deploy time become **symbolic strings in `Fn::Sub` syntax** (`Symbolic`, a `str`):
  pseudo-parameters stay `${AWS::AccountId}`, `${AWS::Region}`, `${AWS::Partition}`, `${AWS::StackName}`...;
  `!Ref MyTable` is `${MyTable}` and `!GetAtt MyTable.Arn` is `${MyTable.Arn}` -- unless the resource's name is
  written in the template, in which case the real name / ARN is built with placeholders only where AWS fills
  them in (`arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders`). A rule can so tell
  "one resource of this account" from `*` without guessing. `Resolver.id_of(value)` maps such a string back
  to the logical id.
* A parameter with a `Default` resolves to the default (deployments may override it; `Parameter` records
  that it was a default). A parameter without one is `Unknown("parameter X has no default")`, and so is any
  string built from it. `Fn::ImportValue`, `Fn::GetAZs`, `Fn::Transform` and conditions that depend on an
  unknown value are `Unknown` with the reason.
* `AWS::NoValue` removes the key or list item, as CloudFormation does.
* Reference cycles (a `Condition` using itself, a resource name built from its own ARN) and runaway nesting
  become `Unknown` plus one `UNRESOLVED` diagnostic; the resolver never raises, `RecursionError` included.
* `Fn::Base64` keeps its input text (rules read user data and inline code, not its encoding).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders._budget import Budget, Work
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.model import Location, Unknown

__all__ = ["NO_VALUE", "Resolver", "Symbolic", "is_symbolic", "references"]

MAX_DEPTH = 120
"""Resolution depth (nested intrinsics plus chained references) before a value is declared Unknown."""


class Symbolic(str):
    """A string that holds deploy-time placeholders (`${AWS::Region}`, `${MyTable.Arn}`)."""

    __slots__ = ()


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId", "AWS::URLSuffix",
})

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_PLACEHOLDER_ONLY = re.compile(r"^\$\{([A-Za-z0-9:]+)((?:\.[A-Za-z0-9.]+)?)\}$")

_P = "arn:${AWS::Partition}"
_RA = "${AWS::Region}:${AWS::AccountId}"

# type -> (name property, what Ref returns ("name" / "arn" / None: generated id), ARN template using {name}).
_NAMING: dict[str, tuple[str, str | None, str | None]] = {
    "AWS::DynamoDB::Table": ("TableName", "name", f"{_P}:dynamodb:{_RA}:table/{{name}}"),
    "AWS::DynamoDB::GlobalTable": ("TableName", "name", f"{_P}:dynamodb:{_RA}:table/{{name}}"),
    "AWS::Serverless::SimpleTable": ("TableName", "name", f"{_P}:dynamodb:{_RA}:table/{{name}}"),
    "AWS::S3::Bucket": ("BucketName", "name", f"{_P}:s3:::{{name}}"),
    "AWS::SQS::Queue": ("QueueName", "url", f"{_P}:sqs:{_RA}:{{name}}"),
    "AWS::SNS::Topic": ("TopicName", "arn", f"{_P}:sns:{_RA}:{{name}}"),
    "AWS::Lambda::Function": ("FunctionName", "name", f"{_P}:lambda:{_RA}:function:{{name}}"),
    "AWS::Serverless::Function": ("FunctionName", "name", f"{_P}:lambda:{_RA}:function:{{name}}"),
    "AWS::IAM::Role": ("RoleName", "name", f"{_P}:iam::${{AWS::AccountId}}:role/{{path}}{{name}}"),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", "arn",
                                f"{_P}:iam::${{AWS::AccountId}}:policy/{{path}}{{name}}"),
    "AWS::IAM::User": ("UserName", "name", f"{_P}:iam::${{AWS::AccountId}}:user/{{path}}{{name}}"),
    "AWS::Kinesis::Stream": ("Name", "name", f"{_P}:kinesis:{_RA}:stream/{{name}}"),
    "AWS::KinesisFirehose::DeliveryStream": ("DeliveryStreamName", "name",
                                             f"{_P}:firehose:{_RA}:deliverystream/{{name}}"),
    "AWS::StepFunctions::StateMachine": ("StateMachineName", "arn", f"{_P}:states:{_RA}:stateMachine:{{name}}"),
    "AWS::Serverless::StateMachine": ("Name", "arn", f"{_P}:states:{_RA}:stateMachine:{{name}}"),
    "AWS::Events::EventBus": ("Name", "name", f"{_P}:events:{_RA}:event-bus/{{name}}"),
    "AWS::Logs::LogGroup": ("LogGroupName", "name", f"{_P}:logs:{_RA}:log-group:{{name}}:*"),
    "AWS::SSM::Parameter": ("Name", "name", f"{_P}:ssm:{_RA}:parameter/{{name}}"),
    "AWS::SecretsManager::Secret": ("Name", None, None),
    "AWS::ECR::Repository": ("RepositoryName", "name", f"{_P}:ecr:{_RA}:repository/{{name}}"),
    "AWS::Events::Rule": ("Name", "name", f"{_P}:events:{_RA}:rule/{{name}}"),
}

_ATTR_NAMES = {"TableName", "QueueName", "TopicName", "Name", "BucketName", "StreamName"}


def is_symbolic(value: object) -> bool:
    return isinstance(value, Symbolic) or (isinstance(value, str) and "${" in value)


def _intrinsic(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if key == "Ref" or key.startswith("Fn::") or key == "Condition":
            return key, value[key]
    return None


def references(value: Any, depth: int = 0) -> Iterator[str]:
    """Every logical id (or parameter name) that `value` mentions through Ref, GetAtt or Sub, in order."""
    if depth > MAX_DEPTH:
        return
    fn = _intrinsic(value)
    if fn is not None:
        name, arg = fn
        if name == "Ref" and isinstance(arg, str):
            yield arg
            return
        if name == "Fn::GetAtt":
            if isinstance(arg, list) and arg and isinstance(arg[0], str):
                yield arg[0]
            elif isinstance(arg, str):
                yield arg.split(".", 1)[0]
            return
        if name == "Fn::Sub":
            text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, None)
            if isinstance(text, str):
                local = set(variables) if isinstance(variables, dict) else set()
                for match in _SUB_VAR.finditer(text):
                    var = match.group(1)
                    if var.startswith("!"):
                        continue
                    head = var.split(".", 1)[0].strip()
                    if head in local and isinstance(variables, dict):
                        yield from references(variables[head], depth + 1)
                    else:
                        yield head
            elif text is not None:
                yield from references(text, depth + 1)
            return
    if isinstance(value, dict):
        for item in value.values():
            yield from references(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from references(item, depth + 1)


class _CycleError(Exception):
    pass


_CHUNK = 4096
"""Nodes charged to the budget at once (the resolver counts down a local credit in between)."""


class Resolver:
    """Resolves intrinsics of one template. Build once per template; `resolve` any value of it."""

    def __init__(self, template: Mapping[str, Any], path: str,
                 diagnostics: list[Diagnostic] | None = None,
                 parameter_values: Mapping[str, Any] | None = None, budget: Budget | None = None) -> None:
        self.path = path
        # Every value the resolver builds (a copy of each resolved dict and list, each Sub/Join result) is
        # charged here, in chunks to keep the hot path an integer decrement: an alias-bomb mapping read by
        # many `FindInMap`s, or Globals merged into many functions, is paid for at every use.
        self._budget = budget
        self._credit = 0
        self.diagnostics: list[Diagnostic] = diagnostics if diagnostics is not None else []
        params = template.get("Parameters")
        self.parameters: Mapping[str, Any] = params if isinstance(params, dict) else {}
        self.parameter_values = dict(parameter_values or {})
        mappings = template.get("Mappings")
        self.mappings: Mapping[str, Any] = mappings if isinstance(mappings, dict) else {}
        conditions = template.get("Conditions")
        self.conditions: Mapping[str, Any] = conditions if isinstance(conditions, dict) else {}
        resources = template.get("Resources")
        self.resources: Mapping[str, Any] = resources if isinstance(resources, dict) else {}
        self._condition_cache: dict[str, bool | Unknown] = {}
        self._in_progress: list[str] = []
        self._names: dict[str, str | Unknown | None] = {}
        self._by_value: dict[str, str] = {}
        self._reported: set[str] = set()

    # ----------------------------------------------------------------------------------------- public

    def resolve(self, value: Any, where: Location | None = None) -> Any:
        """The value with every intrinsic resolved; `NO_VALUE` only when the whole value is AWS::NoValue."""
        try:
            return self._resolve(value, 0, where)
        except RecursionError:
            return self._give_up("nesting too deep to resolve", where)

    def resolve_or_none(self, value: Any, where: Location | None = None) -> Any:
        result = self.resolve(value, where)
        return None if result is NO_VALUE else result

    def condition(self, name: str, where: Location | None = None) -> bool | Unknown:
        """The value of a named condition (True/False), or Unknown."""
        try:
            return self._condition(name, 0, where)
        except RecursionError:
            return self._give_up("condition nesting too deep", where)

    def resource_type(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        if isinstance(resource, dict):
            kind = resource.get("Type")
            return kind if isinstance(kind, str) else None
        return None

    def id_of(self, value: Any) -> str | None:
        """The logical id a resolved value stands for: `${X}`, `${X.Arn}`, or a name/ARN built for X."""
        if not isinstance(value, str):
            return None
        match = _PLACEHOLDER_ONLY.match(value)
        if match and match.group(1) in self.resources:
            return match.group(1)
        return self._by_value.get(value)

    def target(self, raw: Any, types: tuple[str, ...] | None = None) -> str | None:
        """The logical id of the resource a raw (unresolved) value points at, optionally of given types.
        Tries the intrinsic form first (`!Ref X`, `!GetAtt X.Arn`, `!Sub "${X.Arn}"`), then the resolved
        string (a concrete name or ARN built from the template)."""
        candidate: str | None = None
        fn = _intrinsic(raw)
        if fn is not None and fn[0] in ("Ref", "Fn::GetAtt", "Fn::Sub"):
            refs = [r for r in references(raw) if r in self.resources]
            if len(refs) == 1:
                candidate = refs[0]
        if candidate is None and isinstance(raw, str) and raw in self.resources:
            candidate = None  # a bare string equal to a logical id is a name, not a reference
        if candidate is None:
            candidate = self.id_of(self.resolve_or_none(raw))
        if candidate is None or (types is not None and self.resource_type(candidate) not in types):
            return None
        return candidate

    def name_of(self, logical_id: str) -> str | Unknown | None:
        """The resource's explicit name property resolved, None when it has none (AWS generates one)."""
        try:
            return self._name_of(logical_id, 0)
        except _CycleError as cycle:
            unknown = self._give_up(str(cycle), None)
            self._names[logical_id] = unknown
            return unknown
        except RecursionError:
            return self._give_up(f"name of {logical_id} nests too deep", None)

    def arn_of(self, logical_id: str) -> str:
        """The resource's ARN: built from its name when its shape is known, else `${Id.Arn}`."""
        kind = self.resource_type(logical_id) or ""
        try:
            return self._attribute(logical_id, "Arn", kind, 0, None)
        except _CycleError:
            return Symbolic("${" + logical_id + ".Arn}")
        except RecursionError:
            return Symbolic("${" + logical_id + ".Arn}")

    # ---------------------------------------------------------------------------------------- internals

    def _give_up(self, reason: str, where: Location | None) -> Unknown:
        if reason not in self._reported:
            self._reported.add(reason)
            self.diagnostics.append(Diagnostic(DiagnosticKind.UNRESOLVED, reason, where or Location(self.path),
                                               DiagnosticLevel.WARNING, "cloudformation loader"))
        return Unknown(reason, where)

    def _spend(self, amount: int, where: Location | None, kind: Work = Work.NODES) -> None:
        if self._budget is None:
            return
        if kind is not Work.NODES:
            self._budget.charge(kind, amount, where or Location(self.path))
            return
        self._credit -= amount
        if self._credit < 0:
            chunk = max(_CHUNK, -self._credit)
            self._budget.charge(Work.NODES, chunk, where or Location(self.path))
            self._credit += chunk

    def _resolve(self, value: Any, depth: int, where: Location | None) -> Any:
        # Hot path: every property of every resource goes through here, and most of a template is plain data.
        # So scalar children are copied in the loop rather than through a call (the same value, unless they sit
        # deeper than MAX_DEPTH), and a mapping's own location, which only its intrinsics and nested
        # containers can need, is built when one of them first does.
        if depth > MAX_DEPTH:
            return self._give_up(f"intrinsic functions nested more than {MAX_DEPTH} levels deep", where)
        if isinstance(value, dict):
            self._spend(len(value) + 1, where)
            if len(value) == 1:
                name = next(iter(value))
                if name == "Ref" or name.startswith("Fn::"):
                    if isinstance(value, LocatedDict):
                        where = value.loc(where.logical_id if where else None)
                    return self._function(name, value[name], depth + 1, where)
            out: dict[str, Any]
            inner = where
            pending = isinstance(value, LocatedDict)  # its own location not built yet
            if isinstance(value, LocatedDict):
                out = LocatedDict(value.path, value.line, value.column)
                out.key_locs = value.key_locs
            else:
                out = {}
            child = depth + 1
            for key, item in value.items():
                if child <= MAX_DEPTH and not isinstance(item, (dict, list)):
                    resolved = item
                else:
                    if pending and isinstance(value, LocatedDict):
                        inner, pending = value.loc(where.logical_id if where else None), False
                    resolved = self._resolve(item, child, inner)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            self._spend(len(value) + 1, where)
            child = depth + 1
            if isinstance(value, LocatedList):
                seq: list[Any] = LocatedList(value.path, value.line, value.column)
                item_locs = value.item_locs
                for index, item in enumerate(value):
                    resolved = item if child <= MAX_DEPTH and not isinstance(item, (dict, list)) \
                        else self._resolve(item, child, where)
                    if resolved is not NO_VALUE:
                        seq.append(resolved)
                        seq.item_locs.append(item_locs[index] if index < len(item_locs)  # type: ignore[attr-defined]
                                             else (value.line, value.column))
                return seq
            return [r for r in (item if child <= MAX_DEPTH and not isinstance(item, (dict, list))
                                else self._resolve(item, child, where) for item in value) if r is not NO_VALUE]
        return value

    def _function(self, name: str, arg: Any, depth: int, where: Location | None) -> Any:
        handler = _FUNCTIONS.get(name)
        if handler is None:
            return Unknown(f"{name} is not resolved statically", where)
        try:
            return handler(self, arg, depth, where)
        except _CycleError as cycle:
            return self._give_up(str(cycle), where)

    # Ref / GetAtt ---------------------------------------------------------------------------------

    def _ref(self, arg: Any, depth: int, where: Location | None) -> Any:
        if not isinstance(arg, str):
            arg = self._resolve(arg, depth + 1, where)
            if not isinstance(arg, str):
                return Unknown("Ref to a value that is not a name", where)
        if arg == "AWS::NoValue":
            return NO_VALUE
        if arg in PSEUDO_PARAMETERS:
            return Symbolic("${" + arg + "}")
        if arg == "AWS::NotificationARNs":
            return Unknown("AWS::NotificationARNs is set at deploy time", where)
        if arg in self.parameters:
            return self._parameter(arg, depth, where)
        if arg in self.resources:
            kind = self.resource_type(arg) or ""
            naming = _NAMING.get(kind)
            if naming is not None and naming[1] is not None:
                if naming[1] == "arn":
                    return self._attribute(arg, "Arn", kind, depth, where)
                name = self._name_of(arg, depth + 1)
                if isinstance(name, str):
                    if naming[1] == "url":
                        value = Symbolic(f"https://sqs.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                                         f"${{AWS::AccountId}}/{name}")
                        self._by_value.setdefault(value, arg)
                        return value
                    self._by_value.setdefault(name, arg)
                    return name
            return Symbolic("${" + arg + "}")
        return Unknown(f"Ref to {arg}, which is not defined in this template", where)

    def _parameter(self, name: str, depth: int, where: Location | None) -> Any:
        if name in self.parameter_values:
            return self.parameter_values[name]
        spec = self.parameters.get(name)
        if isinstance(spec, dict) and "Default" in spec:
            default = spec["Default"]
            kind = spec.get("Type", "String")
            if isinstance(kind, str) and kind.startswith("AWS::SSM::Parameter::Value"):
                return Unknown(f"parameter {name} is read from SSM parameter {default} at deploy time", where)
            if isinstance(kind, str) and (kind.startswith("List<") or kind == "CommaDelimitedList") \
                    and isinstance(default, str):
                return [part.strip() for part in default.split(",")] if default else []
            return self._resolve(default, depth + 1, where) if isinstance(default, (dict, list)) else default
        return Unknown(f"parameter {name} has no default", where)

    def _get_att(self, arg: Any, depth: int, where: Location | None) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            logical_id = arg[0]
            attribute = arg[1] if isinstance(arg[1], str) else self._resolve(arg[1], depth + 1, where)
            if not isinstance(attribute, str):
                return Unknown(f"GetAtt {logical_id} with an attribute that cannot be resolved", where)
        else:
            return Unknown("malformed Fn::GetAtt", where)
        if logical_id not in self.resources:
            return Unknown(f"GetAtt {logical_id}.{attribute}: {logical_id} is not defined in this template", where)
        return self._attribute(logical_id, attribute, self.resource_type(logical_id) or "", depth, where)

    def _attribute(self, logical_id: str, attribute: str, kind: str, depth: int, where: Location | None) -> str:
        placeholder = Symbolic("${" + logical_id + "." + attribute + "}")
        naming = _NAMING.get(kind)
        if naming is None:
            return placeholder
        if attribute == "Arn" and naming[2] is not None:
            name = self._name_of(logical_id, depth + 1)
            if isinstance(name, str):
                path = ""
                if "{path}" in naming[2]:
                    path_value = self._property(logical_id, "Path", depth + 1)
                    path = path_value.lstrip("/") if isinstance(path_value, str) else ""
                    path = path if not path or path.endswith("/") else path + "/"
                value = Symbolic(naming[2].replace("{path}", path).replace("{name}", name))
                self._by_value.setdefault(value, logical_id)
                return value
        elif attribute in _ATTR_NAMES:
            name = self._name_of(logical_id, depth + 1)
            if isinstance(name, str):
                return Symbolic(name) if is_symbolic(name) else name
        return placeholder

    def _property(self, logical_id: str, prop: str, depth: int) -> Any:
        resource = self.resources.get(logical_id)
        props = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(props, dict) or prop not in props:
            return None
        key = f"{logical_id}.{prop}"
        if key in self._in_progress:
            chain = " -> ".join([*self._in_progress[self._in_progress.index(key):], key])
            raise _CycleError(f"circular reference: {chain}")
        self._in_progress.append(key)
        try:
            result = self._resolve(props[prop], depth + 1, None)
        finally:
            self._in_progress.pop()
        return None if result is NO_VALUE else result

    def _name_of(self, logical_id: str, depth: int) -> str | Unknown | None:
        if logical_id in self._names:
            return self._names[logical_id]
        kind = self.resource_type(logical_id) or ""
        naming = _NAMING.get(kind)
        if naming is None:
            return None
        name: str | Unknown | None
        value = self._property(logical_id, naming[0], depth)  # a cycle raises through to the outermost caller
        if value is None or isinstance(value, (str, Unknown)):
            name = value
        elif isinstance(value, (dict, list)):
            name = Unknown(f"name of {logical_id} is not a string")
        else:
            name = str(value)
        self._names[logical_id] = name
        if isinstance(name, str):
            self._by_value.setdefault(name, logical_id)
        return name

    # Sub / Join / Select / Split ----------------------------------------------------------------------

    def _sub(self, arg: Any, depth: int, where: Location | None) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], dict):
                return Unknown("malformed Fn::Sub", where)
            text, raw_vars = arg
            for key, raw in raw_vars.items():
                variables[key] = self._resolve(raw, depth + 1, where)
        else:
            text = arg
        if not isinstance(text, str):
            text = self._resolve(text, depth + 1, where)
            if not isinstance(text, str):
                return text if isinstance(text, Unknown) else Unknown("Fn::Sub of a non-string", where)
        symbolic = False
        unknown: Unknown | None = None

        def replace(match: re.Match[str]) -> str:
            nonlocal symbolic, unknown
            var = match.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            var = var.strip()
            if var in variables:
                value = variables[var]
            elif "." in var and var.split(".", 1)[0] in self.resources:
                logical_id, attribute = var.split(".", 1)
                value = self._attribute(logical_id, attribute, self.resource_type(logical_id) or "", depth, where)
            else:
                value = self._ref(var, depth + 1, where)
            if isinstance(value, Unknown):
                unknown = unknown or value
                return match.group(0)
            if value is NO_VALUE:
                return ""
            if isinstance(value, list):
                unknown = unknown or Unknown(f"Fn::Sub variable {var} is a list", where)
                return match.group(0)
            if isinstance(value, Symbolic) or is_symbolic(value):
                symbolic = True
            return _text(value)

        result = _SUB_VAR.sub(replace, text)
        self._spend(len(result), where, Work.TEXT)
        if unknown is not None:
            return Unknown(unknown.reason, where, partial=result)
        return Symbolic(result) if symbolic else result

    def _join(self, arg: Any, depth: int, where: Location | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("malformed Fn::Join", where)
        delimiter = self._resolve(arg[0], depth + 1, where)
        items = self._resolve(arg[1], depth + 1, where)
        if isinstance(items, Unknown):
            return items
        if not isinstance(delimiter, str) or not isinstance(items, list):
            return Unknown("malformed Fn::Join", where)
        parts: list[str] = []
        for item in items:
            if isinstance(item, Unknown):
                return Unknown(item.reason, where)
            if isinstance(item, (dict, list)):
                return Unknown("Fn::Join of a non-string item", where)
            parts.append(_text(item))
        self._spend(sum(map(len, parts)) + len(delimiter) * len(parts), where, Work.TEXT)
        joined = delimiter.join(parts)
        return Symbolic(joined) if any(is_symbolic(p) for p in parts) else joined

    def _select(self, arg: Any, depth: int, where: Location | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("malformed Fn::Select", where)
        index = self._resolve(arg[0], depth + 1, where)
        items = self._resolve(arg[1], depth + 1, where)
        if isinstance(items, Unknown):
            return items
        try:
            position = int(index)
        except (TypeError, ValueError):
            return Unknown("Fn::Select index cannot be resolved", where)
        if not isinstance(items, list) or not 0 <= position < len(items):
            return Unknown("Fn::Select index out of range", where)
        return items[position]

    def _split(self, arg: Any, depth: int, where: Location | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("malformed Fn::Split", where)
        delimiter = self._resolve(arg[0], depth + 1, where)
        text = self._resolve(arg[1], depth + 1, where)
        if isinstance(text, Unknown):
            return text
        if not isinstance(delimiter, str) or not delimiter or not isinstance(text, str):
            return Unknown("malformed Fn::Split", where)
        parts = text.split(delimiter)
        return [Symbolic(p) if is_symbolic(p) else p for p in parts]

    def _find_in_map(self, arg: Any, depth: int, where: Location | None) -> Any:
        if not isinstance(arg, list) or len(arg) not in (3, 4):
            return Unknown("malformed Fn::FindInMap", where)
        keys = [self._resolve(item, depth + 1, where) for item in arg[:3]]
        default = arg[3].get("DefaultValue") if len(arg) == 4 and isinstance(arg[3], dict) else None
        level: Any = self.mappings
        candidates: list[Any] = [level]
        for key in keys:
            if isinstance(key, Unknown):
                return Unknown(key.reason, where)
            next_candidates: list[Any] = []
            for candidate in candidates:
                if not isinstance(candidate, dict):
                    continue
                if isinstance(key, str) and is_symbolic(key):
                    next_candidates.extend(candidate.values())  # e.g. keyed by ${AWS::Region}: any entry
                elif _text(key) in candidate:
                    next_candidates.append(candidate[_text(key)])
            candidates = next_candidates
        values = [self._resolve(c, depth + 1, where) for c in candidates]
        if not values:
            if default is not None:
                return self._resolve(default, depth + 1, where)
            return Unknown(f"Fn::FindInMap {'/'.join(_text(k) for k in keys)} not found", where)
        first = values[0]
        if all(v == first for v in values[1:]):
            return first
        return Unknown(f"Fn::FindInMap {'/'.join(_text(k) for k in keys)} depends on a deploy-time key", where)

    # If / conditions ---------------------------------------------------------------------------------

    def _if(self, arg: Any, depth: int, where: Location | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            return Unknown("malformed Fn::If", where)
        value = self._condition(arg[0], depth + 1, where)
        if value is True:
            return self._resolve(arg[1], depth + 1, where)
        if value is False:
            return self._resolve(arg[2], depth + 1, where)
        first = self._resolve(arg[1], depth + 1, where)
        second = self._resolve(arg[2], depth + 1, where)
        if first == second and not isinstance(first, Unknown):
            return first
        reason = value.reason if isinstance(value, Unknown) else "unknown"
        return Unknown(f"depends on condition {arg[0]} ({reason})", where)

    def _condition(self, name: str, depth: int, where: Location | None) -> bool | Unknown:
        if name in self._condition_cache:
            return self._condition_cache[name]
        if name not in self.conditions:
            return Unknown(f"condition {name} is not defined", where)
        key = f"Conditions.{name}"
        if key in self._in_progress:
            chain = " -> ".join([*self._in_progress[self._in_progress.index(key):], key])
            return self._give_up(f"circular condition: {chain}", where)
        self._in_progress.append(key)
        try:
            value = self._evaluate(self.conditions[name], depth + 1, where)
        finally:
            self._in_progress.pop()
        self._condition_cache[name] = value
        return value

    def _evaluate(self, expr: Any, depth: int, where: Location | None) -> bool | Unknown:
        if depth > MAX_DEPTH:
            return self._give_up(f"condition nested more than {MAX_DEPTH} levels deep", where)
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        fn = _intrinsic(expr)
        if fn is None:
            return Unknown("malformed condition", where)
        name, arg = fn
        if name == "Condition" and isinstance(arg, str):
            return self._condition(arg, depth + 1, where)
        if name == "Fn::Equals":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Equals", where)
            left, right = (self._resolve(a, depth + 1, where) for a in arg)
            for side in (left, right):
                if isinstance(side, Unknown):
                    return Unknown(side.reason, where)
            if _comparable(left) == _comparable(right):
                return True
            if is_symbolic(left) or is_symbolic(right):
                return Unknown("compares a value known only at deploy time", where)
            return False
        if name in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [self._evaluate(a, depth + 1, where) for a in arg]
            decisive = name == "Fn::Or"
            if decisive in values:
                return decisive
            unknown = next((v for v in values if isinstance(v, Unknown)), None)
            return unknown if unknown is not None else not decisive
        if name == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            inner = self._evaluate(arg[0], depth + 1, where)
            return inner if isinstance(inner, Unknown) else not inner
        resolved = self._function(name, arg, depth + 1, where)
        if isinstance(resolved, bool):
            return resolved
        return Unknown(f"condition uses {name}", where)

    # the rest ---------------------------------------------------------------------------------------

    def _import_value(self, arg: Any, depth: int, where: Location | None) -> Any:
        name = self._resolve(arg, depth + 1, where)
        shown = name if isinstance(name, str) else "a computed name"
        return Unknown(f"imported from another stack (Fn::ImportValue {shown})", where)

    def _get_azs(self, arg: Any, depth: int, where: Location | None) -> Any:
        return Unknown("availability zones are known only at deploy time (Fn::GetAZs)", where)

    def _base64(self, arg: Any, depth: int, where: Location | None) -> Any:
        return self._resolve(arg, depth + 1, where)

    def _length(self, arg: Any, depth: int, where: Location | None) -> Any:
        items = self._resolve(arg, depth + 1, where)
        return len(items) if isinstance(items, list) else Unknown("Fn::Length of a non-list", where)

    def _to_json(self, arg: Any, depth: int, where: Location | None) -> Any:
        value = self._resolve(arg, depth + 1, where)
        if _contains_unknown(value, 0):
            return Unknown("Fn::ToJsonString of a value that cannot be resolved", where)
        return json.dumps(value, separators=(",", ":"), default=str)


def _cidr(resolver: Resolver, arg: Any, depth: int, where: Location | None) -> Any:
    return Unknown("Fn::Cidr is not resolved statically", where)


def _transform(resolver: Resolver, arg: Any, depth: int, where: Location | None) -> Any:
    name = arg.get("Name") if isinstance(arg, dict) else None
    return Unknown(f"Fn::Transform {name or ''} is applied at deploy time".replace("  ", " "), where)


def _for_each(resolver: Resolver, arg: Any, depth: int, where: Location | None) -> Any:
    return Unknown("Fn::ForEach (LanguageExtensions) is not expanded", where)


def _cond_fn(name: str) -> Callable[[Resolver, Any, int, Location | None], Any]:
    def evaluate(resolver: Resolver, arg: Any, depth: int, where: Location | None) -> Any:
        return resolver._evaluate({name: arg}, depth, where)

    return evaluate


_FUNCTIONS: dict[str, Callable[[Resolver, Any, int, Location | None], Any]] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::If": Resolver._if,
    "Fn::ImportValue": Resolver._import_value,
    "Fn::GetAZs": Resolver._get_azs,
    "Fn::Base64": Resolver._base64,
    "Fn::Length": Resolver._length,
    "Fn::ToJsonString": Resolver._to_json,
    "Fn::Cidr": _cidr,
    "Fn::Transform": _transform,
    "Fn::ForEach": _for_each,
    "Fn::Equals": _cond_fn("Fn::Equals"),
    "Fn::And": _cond_fn("Fn::And"),
    "Fn::Or": _cond_fn("Fn::Or"),
    "Fn::Not": _cond_fn("Fn::Not"),
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return _text(value)
    return value


def _contains_unknown(value: Any, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_contains_unknown(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v, depth + 1) for v in value)
    return False
