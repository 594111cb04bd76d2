"""Serverless Framework (`serverless.yml` / `.yaml` / `.json`) → the model, through the CloudFormation loader.

The framework itself compiles a service into a CloudFormation template; we do the same, but into a *SAM*
template built from located values, because SAM's resource shapes map one-to-one onto the framework's
(function settings, `http`→`Api`, `httpApi`→`HttpApi`, `s3`/`sqs`/`sns`/`schedule`/`stream`/`eventBridge`
events, `url`→`FunctionUrlConfig`). The CloudFormation loader then models it exactly as it models SAM, so every
rule applies unchanged, and every synthesized property keeps the line of the `serverless.yml` key it came from.
The `resources` section is plain CloudFormation and is merged in as written.

What the framework does implicitly is made explicit:
- one execution role for the whole service, logical id `IamRoleLambdaExecution` (the framework's own name),
  holding `provider.iam.role.statements` / legacy `iamRoleStatements`, managed policies, the log permissions
  the framework adds, and the event-source permissions it adds (SQS receive/delete, stream reads) — so FG104
  sees that every function shares it; a function with its own `role` (or the per-function
  `iamRoleStatements` of serverless-iam-roles-per-function) gets its own, which also holds the provider's
  statements when the plugin's `iamRoleStatementsInherit` / `defaultInherit` says so;
- the 6 s default timeout counts as set (RULES.md FG401), at the `provider` line when inherited;
- the REST API (`ApiGatewayRestApi`) and HTTP API (`HttpApi`) the framework creates for http/httpApi events.

Variables: `${self:...}`, `${opt:...}` (no CLI options: the fallback, else Unknown), `${sls:stage}`,
`${aws:accountId}` / `${aws:region}` (symbolic, as CloudFormation pseudo-parameters), `${ssm:...}` (kept as a
reference, which FG201 knows is not a plaintext secret), `${file(...)}` (only inside the scanned project) and
`${strToBool(...)}`. `${env:...}` is never resolved unless `--resolve-env` is given: a scan of an untrusted pull
request must not copy the CI machine's environment into its report. Anything else (`${cf:...}`, `${s3:...}`,
`${param:...}`) is Unknown.

Size: the Serverless Framework's variable resolution and its translation to CloudFormation are one pass over
one document; most of the module is the table of event types.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._budget import Budget, BudgetExceededError, Work, isolated
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, parse_yaml_file, read_text
from faasguard.model import Location, SourceKind, Unknown

DEFAULT_TIMEOUT = 6
MAX_VARIABLE_DEPTH = 30
_VARIABLE = re.compile(r"\$\{([^${}]*)\}")
_SOURCE = re.compile(r"^\s*([A-Za-z][\w-]*)(?:\((.*)\))?\s*:?(.*)$", re.DOTALL)
_UNKNOWN_MARK = "\x00unknown:"


# ------------------------------------------------------------------------------------------- values

def _ld(path: str, line: int, column: int = 1) -> LocatedDict:
    return LocatedDict(path, line, column)


def _put(target: LocatedDict, key: str, value: Any, at: Location) -> None:
    target[key] = value
    target.key_locs[key] = (at.line, at.column)


def _loc(mapping: Any, key: str | None = None) -> Location:
    if isinstance(mapping, LocatedDict):
        return mapping.key_loc(key) if key is not None and key in mapping else mapping.loc()
    if isinstance(mapping, LocatedList):
        return mapping.loc()
    return Location("?")


def _kind(value: Any) -> str:
    """How a diagnostic names a value of the wrong shape (what the YAML says, not a Python type name)."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "empty" if value is None else "not a mapping"


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


_MISSING = object()


class _Variables:
    """Resolves the framework's `${...}` variables over a located document, keeping positions."""

    def __init__(self, root: Mapping[str, Any], base_dir: Path, ctx: LoadContext, display: str,
                 diagnostics: list[Diagnostic], *, budget: Budget | None = None) -> None:
        self.root = root
        # Each `${...}` resolved is a step and each string it builds is charged: `${self:}` references are
        # resolved again at every use, so `v2: ${self:custom.v1}${self:custom.v1}` doubles per line.
        self.budget = budget if budget is not None else ctx.budget_for(display)
        self.base_dir = base_dir
        self.ctx = ctx
        self.display = display
        self.diagnostics = diagnostics
        self.files: dict[Path, Any] = {}
        self._self_values: dict[str, Any] = {}
        self.consumed: set[Path] = set()
        self.where = Location(display)
        """The key being resolved, so a diagnostic about a variable points at its line."""

    # The document is resolved lazily per value, so `${self:...}` may point anywhere, including at values
    # that themselves hold variables; depth bounds cycles.
    def resolve(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_VARIABLE_DEPTH:
            return Unknown("variable references nest too deep (a cycle?)")
        if isinstance(value, str):
            return self._string(value, depth)
        if isinstance(value, (dict, list)):
            self.budget.charge(Work.NODES, len(value) + 1, self.where)
        if isinstance(value, LocatedDict):
            out = LocatedDict(value.path, value.line, value.column)
            # Most values are plain text, which nothing here can charge or report about: they are copied as they
            # are, and `where` is built only for a value that is resolved (and, as after resolving it, for the
            # last key), not for each key of the document.
            plain = depth + 1 <= MAX_VARIABLE_DEPTH
            last_copied = False
            for key, item in value.items():
                if plain and ((isinstance(item, str) and "${" not in item)
                              or not isinstance(item, (str, dict, list))):
                    out[key] = item
                    last_copied = True
                else:
                    self.where = value.key_loc(key)
                    out[key] = self.resolve(item, depth + 1)
                    last_copied = False
                out.key_locs[key] = value.key_locs.get(key, (value.line, value.column))
            if last_copied:
                self.where = value.key_loc(next(reversed(value)))
            return out
        if isinstance(value, LocatedList):
            out_list = LocatedList(value.path, value.line, value.column)
            plain = depth + 1 <= MAX_VARIABLE_DEPTH
            for index, item in enumerate(value):
                out_list.append(item if plain and ((isinstance(item, str) and "${" not in item)
                                                   or not isinstance(item, (str, dict, list)))
                                else self.resolve(item, depth + 1))
                out_list.item_locs.append(value.item_locs[index] if index < len(value.item_locs)
                                          else (value.line, value.column))
            return out_list
        if isinstance(value, dict):
            return {k: self.resolve(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, depth + 1) for v in value]
        return value

    def _string(self, text: str, depth: int) -> Any:
        if "${" not in text:
            return text
        for _ in range(MAX_VARIABLE_DEPTH):
            match = _VARIABLE.search(text)
            if match is None:
                break
            expression = match.group(1)
            if _is_cloudformation_placeholder(expression):
                # Fn::Sub placeholders (${AWS::Region}, ${MyBucket.Arn}) are CloudFormation's, not ours.
                text = text[:match.start()] + "\x01{" + expression + "}" + text[match.end():]
                continue
            value = self._expression(expression, depth)
            if match.group(0) == text:
                return self._restore(value) if isinstance(value, str) else value
            if isinstance(value, Unknown):
                return value
            if isinstance(value, (dict, list)):
                return Unknown(f"`${{{expression}}}` is a structure embedded in a string")
            rendered = str(value).lower() if isinstance(value, bool) else str(value)
            self.budget.charge(Work.TEXT, len(text) + len(rendered), self.where)
            text = text[:match.start()] + rendered + text[match.end():]
        return self._restore(text)

    @staticmethod
    def _restore(text: str) -> str:
        return text.replace("\x01{", "${")

    def _expression(self, expression: str, depth: int) -> Any:
        candidates = _split_fallbacks(expression)
        last: Any = Unknown(f"`${{{expression}}}` cannot be resolved statically")
        for candidate in candidates:
            value = self._single(candidate.strip(), depth)
            if value is not None and not isinstance(value, Unknown):
                return value
            if isinstance(value, Unknown):
                last = value
        return last

    def _single(self, text: str, depth: int) -> Any:
        self.budget.charge(Work.STEPS, 1, self.where)
        literal = _literal(text)
        if literal is not None:
            return literal
        match = _SOURCE.match(text)
        if not match:
            return Unknown(f"unsupported variable `${{{text}}}`")
        source, argument, address = match.group(1), match.group(2), match.group(3).strip()
        if source == "self":
            return self._lookup(self.root, address, depth)
        if source == "opt":
            return None  # no command-line options in a static scan: use the fallback
        if source == "sls":
            if address == "stage":
                return self._lookup(self.root, "provider.stage", depth) or "dev"
            return Unknown(f"`${{sls:{address}}}` is only known at deploy time")
        if source == "aws":
            if address == "accountId":
                return "${AWS::AccountId}"
            if address == "region":
                region = self._lookup(self.root, "provider.region", depth)
                return region if isinstance(region, str) else "${AWS::Region}"
            return Unknown(f"`${{aws:{address}}}` is only known at deploy time")
        if source == "env":
            if not self.ctx.config.resolve_env:
                return Unknown(f"`${{env:{address}}}` is not resolved (scanner safety; --resolve-env resolves it)")
            env_value = os.environ.get(address)
            if env_value:
                self.ctx.environment_values.add(env_value)
            return env_value
        if source in ("ssm", "secretsmanager"):
            return f"\x01{{{source}:{address}}}"
        if source == "file" and argument is not None:
            return self._file(argument.strip().strip("'\""), address, depth)
        if source == "strToBool" and argument is not None:
            inner = self.resolve(argument.strip(), depth + 1)
            return str(inner).strip().lower() in ("true", "1") if not isinstance(inner, Unknown) else inner
        return Unknown(f"`${{{source}:{address}}}` is only known at deploy time")

    def _lookup(self, document: Any, address: str, depth: int) -> Any:
        if document is self.root:
            # A `${self:}` value does not depend on where it is used: resolved once, so a value referenced
            # twice per line over many lines costs linear time (its growing text is still charged at each use).
            cached = self._self_values.get(address, _MISSING)
            if cached is not _MISSING:
                return cached
            value = self._lookup_in(document, address, depth)
            if not isinstance(value, Unknown):  # an Unknown may come from the depth limit at this depth only
                self._self_values[address] = value
            return value
        return self._lookup_in(document, address, depth)

    def _lookup_in(self, document: Any, address: str, depth: int) -> Any:
        current: Any = document
        for part in [p for p in re.split(r"\.(?![^\[]*\])", address) if p]:
            if isinstance(current, Mapping) and part in current:
                current = current[part]
            elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
                current = current[int(part)]
            else:
                return None
        return self.resolve(current, depth + 1)

    def _file(self, relative: str, address: str, depth: int) -> Any:
        relative = self._restore(str(self._string(relative, depth + 1)))
        try:
            target = (self.base_dir / relative).resolve()
            inside = self.ctx.inside_roots(target)
            exists = target in self.files or target.is_file()
        except (OSError, RuntimeError, ValueError) as exc:  # too long, a symlink loop, a NUL byte
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            self.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR,
                                               f"`${{file(...)}}` names a path the system refuses ({reason})",
                                               self.where, DiagnosticLevel.ERROR, "serverless loader"))
            return Unknown(f"`${{file(...)}}` names an unusable path ({reason})")
        if not inside:
            return Unknown(f"`${{file({relative})}}` points outside the scanned project; not read")
        if not exists:
            self.files[target] = Unknown(f"`${{file({relative})}}` does not exist")
            self.diagnostics.append(Diagnostic(DiagnosticKind.UNRESOLVED,
                                               f"`${{file({relative})}}`: no such file; its content is not modelled",
                                               self.where, DiagnosticLevel.WARNING, "serverless loader"))
        if target not in self.files:
            display = self.ctx.display(target)
            try:
                if target.suffix.lower() == ".json":
                    self.files[target] = parse_json_text(read_text(target, display), display, self.budget)
                elif target.suffix.lower() in (".yml", ".yaml"):
                    docs = parse_yaml_file(target, display, self.budget)
                    self.files[target] = docs[0] if docs else None
                else:
                    self.files[target] = Unknown(f"`${{file({relative})}}` is not YAML or JSON (a script?)")
            except BudgetExceededError:
                raise
            except ParseError as exc:
                self.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                   DiagnosticLevel.ERROR, "serverless loader"))
                self.files[target] = Unknown(f"`${{file({relative})}}` could not be parsed")
            self.consumed.add(target)
        document = self.files[target]
        if isinstance(document, Unknown) or not address:
            return self.resolve(document, depth + 1)
        return self._lookup(document, address, depth)


def _is_cloudformation_placeholder(expression: str) -> bool:
    if expression.startswith("AWS::"):
        return True
    if ":" in expression or "," in expression or "(" in expression:
        return False
    return bool(re.fullmatch(r"[A-Za-z0-9]+(\.[A-Za-z0-9.]+)?", expression))


def _split_fallbacks(expression: str) -> list[str]:
    parts, depth, current, quote = [], 0, [], ""
    for char in expression:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return None


# ------------------------------------------------------------------------------------- translation

_HTTP_AUTH_TYPES = {"aws_iam": "AWS_IAM", "cognito_user_pools": "COGNITO", "token": "TOKEN", "request": "REQUEST"}


class _Translator:
    """serverless.yml (resolved) → a located SAM template."""

    def __init__(self, doc: LocatedDict, display: str, diagnostics: list[Diagnostic], service_dir: Path) -> None:
        self.doc = doc
        self.service_dir = service_dir
        self.display = display
        self.diagnostics = diagnostics
        provider = doc.get("provider")
        self.provider: Mapping[str, Any] = provider if isinstance(provider, Mapping) else {}
        self.provider_loc = _loc(doc, "provider")
        self.resources = _ld(display, 1)
        self.rest_auth = _ld(display, self.provider_loc.line)
        self.http_auth = _ld(display, self.provider_loc.line)
        self.role_statements: LocatedList = LocatedList(display, self.provider_loc.line, 1)
        self.needs_rest_api = False
        self.needs_http_api = False
        self.rest_cors: list[LocatedDict] = []
        self.external_role: Any = None
        self.function_statements = LocatedList(display, 1, 1)
        self.external_role_loc = self.provider_loc
        self._own_packages: dict[str, bool] = {}
        self._provider_locs: dict[str, Location] = {}
        """`_package_dir` answers per handler directory (functions of one service share a few: asked once)."""

    def note(self, message: str, where: Location, kind: DiagnosticKind = DiagnosticKind.UNSUPPORTED) -> None:
        self.diagnostics.append(Diagnostic(kind, message, where, DiagnosticLevel.NOTE, "serverless loader"))

    def _malformed(self, message: str, where: Location) -> None:
        """A shape the Framework itself rejects: a located warning, so that a service does not pass the scan by
        having nothing modelled (exit 3 under `--strict`, as any parse error)."""
        self.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, message, where, DiagnosticLevel.WARNING,
                                           "serverless loader"))

    def _function_entry(self, name: str, spec: Any, where: Location, shared_role: Any) -> None:
        if isinstance(spec, Mapping):
            self._function(name, spec, where, shared_role)
        elif not isinstance(spec, Unknown):
            self._malformed(f"function {name} is {_kind(spec)}, not a mapping (handler, events...): it is not "
                            "modelled", where)

    def template(self) -> LocatedDict:
        template = _ld(self.display, 1)
        _put(template, "AWSTemplateFormatVersion", "2010-09-09", Location(self.display))
        _put(template, "Transform", "AWS::Serverless-2016-10-31", Location(self.display))
        provider_name = self.provider.get("name")
        if provider_name not in (None, "aws"):
            self.note(f"provider `{provider_name}` is not supported (only aws)", self.provider_loc)
        functions = self.doc.get("functions")
        shared_role = self._service_role()
        if isinstance(functions, Mapping):
            for key, spec in functions.items():
                self._function_entry(str(key), spec, _loc(functions, key), shared_role)
        elif isinstance(functions, list):
            for index, block in enumerate(functions):
                if isinstance(block, Mapping):
                    for key, spec in block.items():
                        self._function_entry(str(key), spec, _loc(block, key), shared_role)
                else:
                    self._malformed(f"`functions` item {index + 1} is {_kind(block)}, not a mapping of function "
                                    "names: its functions are not modelled",
                                    functions.item_loc(index) if isinstance(functions, LocatedList)
                                    else _loc(self.doc, "functions"))
        elif isinstance(functions, Unknown) and not any(d.location == _loc(self.doc, "functions")
                                                        for d in self.diagnostics):
            # said nowhere else (a missing include already is): an include cycle would otherwise be silence
            self.note(f"`functions` could not be resolved ({functions.reason}): no function of this service is "
                      "modelled", _loc(self.doc, "functions"), DiagnosticKind.UNRESOLVED)
        elif functions is not None and not isinstance(functions, Unknown):
            self._malformed(f"`functions` is {_kind(functions)}, not a mapping of function names: no function "
                            "of this service is modelled", _loc(self.doc, "functions"))
        if shared_role is not None and self.role_statements is not None:
            self._finish_service_role(shared_role)
        self._apis()
        self._merge_resources()
        _put(template, "Resources", self.resources, Location(self.display))
        outputs_holder = self.doc.get("resources")
        if isinstance(outputs_holder, Mapping) and isinstance(outputs_holder.get("Conditions"), Mapping):
            _put(template, "Conditions", outputs_holder["Conditions"], _loc(outputs_holder, "Conditions"))
        return template

    # -- roles ------------------------------------------------------------------------------------
    def _service_role(self) -> str | None:
        """The logical id of the shared role, or None when provider.iam.role / provider.role names one."""
        iam = self.provider.get("iam")
        role_setting = iam.get("role") if isinstance(iam, Mapping) else None
        legacy_role = self.provider.get("role")
        if isinstance(role_setting, (str, Mapping)) and not _is_role_definition(role_setting):
            self.external_role = role_setting
            self.external_role_loc = _loc(iam, "role")
            return None
        if legacy_role is not None:
            self.external_role = legacy_role
            self.external_role_loc = _loc(self.provider, "role")
            return None
        return "IamRoleLambdaExecution"

    def _finish_service_role(self, role_id: str) -> None:
        iam = self.provider.get("iam")
        role = iam.get("role") if isinstance(iam, Mapping) else None
        role = role if isinstance(role, Mapping) else {}
        where = _loc(iam, "role") if isinstance(iam, Mapping) and "role" in iam else self.provider_loc
        statements = LocatedList(self.display, where.line, where.column)
        for source, key in ((role, "statements"), (self.provider, "iamRoleStatements")):
            items = source.get(key) if isinstance(source, Mapping) else None
            if isinstance(items, list):
                for index, statement in enumerate(items):
                    statements.append(statement)
                    statements.item_locs.append(items.item_locs[index] if isinstance(items, LocatedList)
                                                and index < len(items.item_locs) else (where.line, where.column))
        for statement in self.role_statements:
            statements.append(statement)
            statements.item_locs.append((statement.line, statement.column) if isinstance(statement, LocatedDict)
                                        else (where.line, where.column))
        self._role_resource(role_id, statements, where,
                            managed=_list(role.get("managedPolicies")) + _list(self.provider.get("iamManagedPolicies")),
                            boundary=role.get("permissionsBoundary") or self.provider.get("rolePermissionsBoundary"))

    def _role_resource(self, role_id: str, statements: LocatedList, where: Location, managed: list[Any],
                       boundary: Any) -> None:
        role = _ld(self.display, where.line, where.column)
        _put(role, "Type", "AWS::IAM::Role", where)
        props = _ld(self.display, where.line, where.column)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "lambda.amazonaws.com"}}]}
        _put(props, "AssumeRolePolicyDocument", trust, where)
        logs = _ld(self.display, where.line, where.column)
        logs.update({"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:CreateLogGroup",
                                                   "logs:PutLogEvents"],
                     "Resource": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*"})
        statements.insert(0, logs)
        statements.item_locs.insert(0, (where.line, where.column))
        policy = _ld(self.display, where.line, where.column)
        policy.update({"PolicyName": f"{role_id}-policy",
                       "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}})
        policies = LocatedList(self.display, where.line, where.column)
        policies.append(policy)
        policies.item_locs.append((where.line, where.column))
        _put(props, "Policies", policies, where)
        if managed:
            managed_list = LocatedList(self.display, where.line, where.column)
            for arn in managed:
                managed_list.append(arn)
                managed_list.item_locs.append((where.line, where.column))
            _put(props, "ManagedPolicyArns", managed_list, where)
        if boundary:
            _put(props, "PermissionsBoundary", boundary, where)
        _put(role, "Properties", props, where)
        _put(self.resources, role_id, role, where)

    # -- functions --------------------------------------------------------------------------------
    def _setting(self, spec: Mapping[str, Any], key: str, provider_key: str | None = None
                 ) -> tuple[Any, Location | None]:
        if key in spec:
            return spec[key], _loc(spec, key)
        provider_key = provider_key or key
        if provider_key in self.provider:
            where = self._provider_locs.get(provider_key)
            if where is None:  # inherited by most functions: located once per service
                where = self._provider_locs[provider_key] = _loc(self.provider, provider_key)
            return self.provider[provider_key], where
        return None, None

    def _function(self, key: str, spec: Mapping[str, Any], key_loc: Location, shared_role: str | None) -> None:  # noqa: C901 -- the function keys of serverless.yml, in the framework's order
        # A function written in another file (`functions: ${file(...)}`) is located in that file; a setting it
        # inherits from this file's provider is then located at the function's key, the one line of that
        # file where the inheritance applies (a location holds one path).
        path = key_loc.path
        fn = _ld(path, key_loc.line, key_loc.column)
        props = _ld(path, key_loc.line, key_loc.column)
        _put(fn, "Type", "AWS::Serverless::Function", key_loc)

        def copy(name: str, value: Any, where: Location | None) -> None:
            if value is not None and where is not None:
                _put(props, name, value, where if where.path == path else key_loc)

        image = spec.get("image")
        if image is not None:
            copy("PackageType", "Image", _loc(spec, "image"))
            copy("ImageUri", image if isinstance(image, str) else (image.get("uri") if isinstance(image, Mapping)
                                                                   else None), _loc(spec, "image"))
        else:
            handler = spec.get("handler")
            handler = self._wsgi_app(handler)
            code_uri, handler, code_loc = self._code_uri(spec, handler)
            copy("Handler", handler, _loc(spec, "handler"))
            copy("CodeUri", code_uri, code_loc or key_loc)
            runtime, runtime_loc = self._setting(spec, "runtime")
            copy("Runtime", runtime if runtime is not None else "nodejs20.x", runtime_loc or self.provider_loc)
        timeout, timeout_loc = self._setting(spec, "timeout")
        copy("Timeout", timeout if timeout is not None else DEFAULT_TIMEOUT, timeout_loc or self.provider_loc)
        for name, source_key in (("MemorySize", "memorySize"), ("KmsKeyArn", "kmsKeyArn")):
            value, where = self._setting(spec, source_key)
            copy(name, value, where)
        copy("ReservedConcurrentExecutions", spec.get("reservedConcurrency"), _loc(spec, "reservedConcurrency"))
        tracing = spec.get("tracing")
        tracing_loc = _loc(spec, "tracing") if "tracing" in spec else None
        if tracing is None:
            provider_tracing = self.provider.get("tracing")
            if isinstance(provider_tracing, Mapping) and "lambda" in provider_tracing:
                tracing, tracing_loc = provider_tracing["lambda"], _loc(provider_tracing, "lambda")
        if tracing is not None and tracing_loc is not None:
            copy("Tracing", "Active" if tracing is True or tracing == "Active" else "PassThrough", tracing_loc)
        environment = _merge_maps(self.provider.get("environment"), spec.get("environment"), key_loc)
        if environment:
            variables = _ld(path, environment.line, environment.column)
            _put(variables, "Variables", environment, Location(path, environment.line, environment.column))
            copy("Environment", variables, Location(path, environment.line, environment.column))
        vpc, vpc_loc = self._setting(spec, "vpc")
        if isinstance(vpc, Mapping):
            config = _ld(path, vpc_loc.line if vpc_loc and vpc_loc.path == path else key_loc.line)
            for src, dst in (("securityGroupIds", "SecurityGroupIds"), ("subnetIds", "SubnetIds")):
                if src in vpc:
                    _put(config, dst, vpc[src], _loc(vpc, src))
            copy("VpcConfig", config, vpc_loc)
        layers, layers_loc = self._setting(spec, "layers")
        copy("Layers", layers, layers_loc)
        if "onError" in spec:
            dlq = _ld(path, _loc(spec, "onError").line)
            target = spec["onError"]
            dlq.update({"Type": "SNS" if isinstance(target, str) and ":sns:" in target else "SQS",
                        "TargetArn": target})
            copy("DeadLetterQueue", dlq, _loc(spec, "onError"))
        invoke_config = self._invoke_config(spec.get("destinations"))
        if invoke_config is not None:
            copy("EventInvokeConfig", *invoke_config)
        url = spec.get("url")
        if url:
            auth = "NONE"
            if isinstance(url, Mapping) and str(url.get("authorizer", "")).lower() == "aws_iam":
                auth = "AWS_IAM"
            url_config: dict[str, Any] = {"AuthType": auth}
            url_cors = _cors(url.get("cors"), _loc(url, "cors"), ("allowedOrigins",), "AllowOrigins") \
                if isinstance(url, Mapping) and url.get("cors") else None
            if url_cors is not None:
                url_config["Cors"] = url_cors
            copy("FunctionUrlConfig", url_config, _loc(spec, "url"))
        self.function_statements = LocatedList(self.display, key_loc.line, key_loc.column)
        events = spec.get("events")
        if isinstance(events, list):
            sam_events = _ld(path, _loc(spec, "events").line)
            for index, event in enumerate(events):
                where = Location(events.path, *events.item_locs[index]) if isinstance(events, LocatedList) \
                    and index < len(events.item_locs) else _loc(spec, "events")
                translated = self._event(key, event, where)
                if translated is not None:
                    event_name, body = translated
                    _put(sam_events, f"{event_name}{index}", body, where)
            if sam_events:
                copy("Events", sam_events, _loc(spec, "events"))
        self._role_for(key, spec, key_loc, shared_role, props)
        function_name = spec.get("name")
        if isinstance(function_name, str):
            copy("FunctionName", function_name, _loc(spec, "name"))
        _put(fn, "Properties", props, key_loc)
        _put(self.resources, key, fn, key_loc)

    def _wsgi_app(self, handler: Any) -> Any:
        """serverless-wsgi's `wsgi_handler.handler` dispatches every event into the app named by
        `custom.wsgi.app` (`module.attribute`); naming that app lets the code analysis follow every route."""
        if not isinstance(handler, str) or handler.rsplit("/", 1)[-1] not in ("wsgi_handler.handler",
                                                                             "wsgi.handler"):
            return handler
        custom = self.doc.get("custom")
        wsgi = custom.get("wsgi") if isinstance(custom, Mapping) else None
        app = wsgi.get("app") if isinstance(wsgi, Mapping) else None
        return app if isinstance(app, str) and "." in app else handler

    def _code_uri(self, spec: Mapping[str, Any], handler: Any) -> tuple[str, Any, Location | None]:
        """(package path, handler relative to it, where the package is named): a prebuilt zip, whose top level
        the handler path is relative to, else the package directory."""
        artifact, artifact_loc = self._artifact(spec)
        if artifact is not None:
            return artifact, handler, artifact_loc
        code_uri, handler = self._package_dir(handler)
        return code_uri, handler, None

    def _artifact(self, spec: Mapping[str, Any]) -> tuple[str | None, Location | None]:
        """The prebuilt package the framework deploys instead of packaging the service: the function's own
        `package.artifact`, else the service's. An S3 or HTTP URL is not in the project, so it names none."""
        for owner in (spec, self.doc):
            package = owner.get("package")
            artifact = package.get("artifact") if isinstance(package, Mapping) else None
            if isinstance(artifact, str) and artifact:
                if "://" in artifact:
                    return None, None
                return artifact, _loc(package, "artifact")
        return None, None

    def _package_dir(self, handler: Any) -> tuple[str, Any]:
        """The function's package directory: the service root, unless the handler's own directory carries its
        dependency manifest (serverless-python-requirements' `module`, per-function packages), in which case
        that directory is the package and the handler is relative to it."""
        if not isinstance(handler, str) or "/" not in handler:
            return ".", handler
        module_dir, _, rest = handler.rpartition("/")
        if module_dir not in self._own_packages:
            directory = self.service_dir / module_dir
            self._own_packages[module_dir] = any((directory / name).is_file() for name in (
                "requirements.txt", "package.json", "pyproject.toml", "Pipfile", "poetry.lock"))
        if self._own_packages[module_dir]:
            return module_dir, rest
        return ".", handler

    def _role_for(self, key: str, spec: Mapping[str, Any], key_loc: Location, shared_role: str | None,
                  props: LocatedDict) -> None:
        own_statements = spec.get("iamRoleStatements")
        if "role" in spec:
            role = spec["role"]
            where = _loc(spec, "role")
            if isinstance(role, str) and not role.startswith("arn:") and not role.startswith("${"):
                role = {"Fn::GetAtt": [role, "Arn"]}  # a role defined in `resources`
            _put(props, "Role", role, where)
        elif isinstance(own_statements, list):
            role_id = f"{_logical(key)}IamRoleLambdaExecution"
            where = _loc(spec, "iamRoleStatements")
            statements = LocatedList(self.display, where.line, where.column)
            for index, statement in enumerate(own_statements):
                statements.append(statement)
                statements.item_locs.append(own_statements.item_locs[index]
                                            if isinstance(own_statements, LocatedList) else (where.line, 1))
            statements.extend(self.function_statements)
            statements.item_locs.extend(self.function_statements.item_locs)
            inherited = self._inherited_statements(spec)
            statements.extend(inherited)
            statements.item_locs.extend(inherited.item_locs)
            self._role_resource(role_id, statements, where, managed=_list(spec.get("iamManagedPolicies")),
                                boundary=None)
            _put(props, "Role", {"Fn::GetAtt": [role_id, "Arn"]}, where)
        elif shared_role is not None:
            _put(props, "Role", {"Fn::GetAtt": [shared_role, "Arn"]}, self.provider_loc)
            self.role_statements.extend(self.function_statements)
            self.role_statements.item_locs.extend(self.function_statements.item_locs)
        elif self.external_role is not None:
            role = self.external_role
            if isinstance(role, str) and not role.startswith("arn:"):
                role = {"Fn::GetAtt": [role, "Arn"]}
            _put(props, "Role", role, self.external_role_loc)

    def _inherited_statements(self, spec: Mapping[str, Any]) -> LocatedList:
        """The provider's statements a per-function role of serverless-iam-roles-per-function also holds:
        with `iamRoleStatementsInherit: true`, or `custom.serverless-iam-roles-per-function.defaultInherit`
        unless the function says `false`. Like the plugin, `provider.iam.role.statements` when `provider.iam`
        is set, else the legacy `provider.iamRoleStatements`; managed policies are never inherited. Without
        this a wildcard granted to every function went unseen on the functions with their own roles."""
        out = LocatedList(self.display, self.provider_loc.line, self.provider_loc.column)
        custom = self.doc.get("custom")
        options = custom.get("serverless-iam-roles-per-function") if isinstance(custom, Mapping) else None
        default = isinstance(options, Mapping) and options.get("defaultInherit") is True
        flag = spec.get("iamRoleStatementsInherit")
        if flag is not True and not (default and flag is not False):
            return out
        iam = self.provider.get("iam")
        if iam is not None:
            role = iam.get("role") if isinstance(iam, Mapping) else None
            items = role.get("statements") if isinstance(role, Mapping) else None
        else:
            items = self.provider.get("iamRoleStatements")
        if isinstance(items, list):
            for index, statement in enumerate(items):
                out.append(statement)
                out.item_locs.append(items.item_locs[index] if isinstance(items, LocatedList)
                                     and index < len(items.item_locs) else (out.line, out.column))
        return out

    # -- events -----------------------------------------------------------------------------------
    def _event(self, function_key: str, event: Any, where: Location) -> tuple[str, Any] | None:  # noqa: C901, PLR0912, PLR0915 -- one branch per Serverless event type
        if not isinstance(event, Mapping) or len(event) != 1:
            return None
        kind, spec = next(iter(event.items()))
        body = _ld(self.display, where.line, where.column)
        props = _ld(self.display, where.line, where.column)
        if kind == "http":
            self.needs_rest_api = True
            method, path, spec_map = _http_shorthand(spec)
            props.update({"Path": "/" + path.lstrip("/"), "Method": method,
                          "RestApiId": {"Ref": "ApiGatewayRestApi"}})
            auth = self._rest_authorizer(spec_map, where)
            if auth:
                props["Auth"] = auth
            self._rest_event_cors(spec_map)
            request = spec_map.get("request")
            if isinstance(request, Mapping) and (request.get("schemas") or request.get("schema")):
                props["RequestModel"] = {"Model": "ServerlessRequestModel", "Required": True,
                                         "ValidateBody": True}
            body.update({"Type": "Api", "Properties": props})
            return "Http", body
        if kind == "httpApi":
            self.needs_http_api = True
            method, path, spec_map = _http_shorthand(spec, http_api=True)
            props.update({"Path": path if path.startswith("/") or path == "*" else "/" + path,
                          "Method": method, "ApiId": {"Ref": "HttpApi"}})
            authorizer = spec_map.get("authorizer")
            if isinstance(authorizer, Mapping):
                if str(authorizer.get("type", "")).lower() == "aws_iam":
                    props["Auth"] = {"Authorizer": "AWS_IAM"}
                elif authorizer.get("name") or authorizer.get("id"):
                    name = str(authorizer.get("name") or authorizer.get("id"))
                    props["Auth"] = {"Authorizer": _logical(name)}
                    self._http_authorizer(name)
            elif isinstance(authorizer, str):
                props["Auth"] = {"Authorizer": _logical(authorizer)}
                self._http_authorizer(authorizer)
            body.update({"Type": "HttpApi", "Properties": props})
            return "HttpApi", body
        if kind == "s3":
            bucket = spec.get("bucket") if isinstance(spec, Mapping) else spec
            existing = isinstance(spec, Mapping) and spec.get("existing")
            bucket_id = f"S3Bucket{_logical(str(bucket))}"
            if not existing and isinstance(bucket, str) and bucket_id not in self.resources:
                bucket_resource = _ld(self.display, where.line, where.column)
                bucket_resource.update({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}})
                _put(self.resources, bucket_id, bucket_resource, where)
            props.update({"Bucket": {"Ref": bucket_id} if not existing else bucket,
                          "Events": (spec.get("event") if isinstance(spec, Mapping) else None)
                          or "s3:ObjectCreated:*"})
            _s3_filter(spec, props)
            body.update({"Type": "S3", "Properties": props})
            return "S3", body
        if kind == "sqs":
            arn = spec.get("arn") if isinstance(spec, Mapping) else spec
            props["Queue"] = arn
            _copy_filter(spec, "filterPatterns", props, "FilterCriteria")
            self._event_permission(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], arn,
                                   where)
            body.update({"Type": "SQS", "Properties": props})
            return "SQS", body
        if kind == "sns":
            props["Topic"] = (spec.get("arn") or spec.get("topicName")) if isinstance(spec, Mapping) else spec
            if isinstance(spec, Mapping) and spec.get("redrivePolicy"):
                props["RedrivePolicy"] = spec["redrivePolicy"]
            _copy_filter(spec, "filterPolicy", props, "FilterPolicy")
            body.update({"Type": "SNS", "Properties": props})
            return "SNS", body
        if kind == "schedule":
            props["Schedule"] = spec.get("rate") if isinstance(spec, Mapping) else spec
            body.update({"Type": "Schedule", "Properties": props})
            return "Schedule", body
        if kind == "stream":
            arn = spec.get("arn") if isinstance(spec, Mapping) else spec
            stream_type = spec.get("type") if isinstance(spec, Mapping) else None
            if stream_type is None:
                stream_type = "kinesis" if isinstance(arn, str) and ":kinesis:" in arn else "dynamodb"
            props.update({"Stream": arn, "StartingPosition": "TRIM_HORIZON"})
            destinations = spec.get("destinations") if isinstance(spec, Mapping) else None
            if isinstance(destinations, Mapping) and destinations.get("onFailure"):
                on_failure = destinations["onFailure"]
                target = on_failure.get("arn") if isinstance(on_failure, Mapping) else on_failure
                props["DestinationConfig"] = {"OnFailure": {"Destination": target}}
            actions = (["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                        "kinesis:ListStreams"] if stream_type == "kinesis" else
                       ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                        "dynamodb:ListStreams"])
            self._event_permission(actions, arn, where)
            body.update({"Type": "Kinesis" if stream_type == "kinesis" else "DynamoDB", "Properties": props})
            return "Stream", body
        if kind in ("eventBridge", "cloudwatchEvent"):
            spec_map = spec if isinstance(spec, Mapping) else {}
            if spec_map.get("schedule"):
                props["Schedule"] = spec_map["schedule"]
                body.update({"Type": "Schedule", "Properties": props})
                return "Schedule", body
            props["Pattern"] = spec_map.get("pattern") or spec_map.get("event") or {}
            if spec_map.get("eventBus"):
                props["EventBusName"] = spec_map["eventBus"]
            body.update({"Type": "EventBridgeRule", "Properties": props})
            return "EventBridge", body
        if kind == "alb":
            self.note("`alb` events are modelled as an HTTP trigger without authorization details", where,
                      DiagnosticKind.INFO)
            return None
        self.note(f"`{kind}` events are not modelled yet", where)
        return None

    def _rest_event_cors(self, spec: Mapping[str, Any]) -> None:
        cors = _cors(spec.get("cors"), _loc(spec, "cors"), ("origins", "origin"), "AllowOrigin") \
            if spec.get("cors") else None
        if cors is not None:
            self.rest_cors.append(cors)

    def _event_permission(self, actions: list[str], arn: Any, where: Location) -> None:
        """The framework adds the event source's read permissions to the service role; so do we."""
        statement = _ld(self.display, where.line, where.column)
        statement.update({"Effect": "Allow", "Action": actions, "Resource": arn})
        self.function_statements.append(statement)
        self.function_statements.item_locs.append((where.line, where.column))

    def _rest_authorizer(self, spec: Mapping[str, Any], where: Location) -> dict[str, Any] | None:
        auth: dict[str, Any] = {}
        if spec.get("private") is True:
            auth["ApiKeyRequired"] = True
        authorizer = spec.get("authorizer")
        if isinstance(authorizer, str):
            if authorizer.lower() == "aws_iam":
                auth["Authorizer"] = "AWS_IAM"
            else:
                name = _logical(authorizer.rsplit(":", 1)[-1])
                auth["Authorizer"] = name
                self.rest_auth[name] = {"FunctionArn": authorizer} if authorizer.startswith("arn:") \
                    else {"FunctionArn": {"Fn::GetAtt": [authorizer, "Arn"]}}
        elif isinstance(authorizer, Mapping):
            kind = _HTTP_AUTH_TYPES.get(str(authorizer.get("type", "")).lower(), "")
            if kind == "AWS_IAM":
                auth["Authorizer"] = "AWS_IAM"
            else:
                name = _logical(str(authorizer.get("name") or authorizer.get("authorizerId")
                                    or authorizer.get("arn") or "Authorizer"))
                auth["Authorizer"] = name
                if kind == "COGNITO" or (isinstance(authorizer.get("arn"), str)
                                         and ":cognito-idp:" in authorizer["arn"]):
                    self.rest_auth[name] = {"UserPoolArn": authorizer.get("arn") or "unknown"}
                else:
                    self.rest_auth[name] = {"FunctionArn": authorizer.get("arn") or "unknown"}
        return auth or None

    def _http_authorizer(self, name: str) -> None:
        http_api = self.provider.get("httpApi")
        definitions = http_api.get("authorizers") if isinstance(http_api, Mapping) else None
        definition = definitions.get(name) if isinstance(definitions, Mapping) else None
        logical = _logical(name)
        if isinstance(definition, Mapping) and str(definition.get("type", "jwt")).lower() == "request":
            self.http_auth[logical] = {"FunctionArn": definition.get("functionArn") or "unknown",
                                       "AuthorizerPayloadFormatVersion": "2.0"}
        else:
            config = definition if isinstance(definition, Mapping) else {}
            self.http_auth[logical] = {"JwtConfiguration": {"issuer": config.get("issuerUrl", "unknown"),
                                                            "audience": _list(config.get("audience"))},
                                       "IdentitySource": config.get("identitySource",
                                                                    "$request.header.Authorization")}

    def _apis(self) -> None:
        if self.needs_rest_api:
            api = _ld(self.display, self.provider_loc.line)
            props: dict[str, Any] = {"StageName": self.provider.get("stage", "dev")}
            if self.rest_auth:
                props["Auth"] = {"Authorizers": dict(self.rest_auth)}
            logs = self.provider.get("logs")
            if isinstance(logs, Mapping) and logs.get("restApi"):
                props["AccessLogSetting"] = {"DestinationArn": "serverless-managed", "Format": "serverless"}
            if self.rest_cors:
                # SAM's Cors is API-wide, Serverless's per event: the event that opens the API widest stands for it
                props["Cors"] = next((c for c in self.rest_cors if "*" in c["AllowOrigin"]), self.rest_cors[0])
            policy = self._resource_policy()
            if policy is not None:
                props.setdefault("Auth", {})["ResourcePolicy"] = policy
            api.update({"Type": "AWS::Serverless::Api", "Properties": props})
            _put(self.resources, "ApiGatewayRestApi", api, self.provider_loc)
        if self.needs_http_api:
            api = _ld(self.display, self.provider_loc.line)
            http_props: dict[str, Any] = {}
            if self.http_auth:
                http_props["Auth"] = {"Authorizers": dict(self.http_auth)}
            logs = self.provider.get("logs")
            if isinstance(logs, Mapping) and logs.get("httpApi"):
                http_props["AccessLogSettings"] = {"DestinationArn": "serverless-managed", "Format": "serverless"}
            http_api = self.provider.get("httpApi")
            if isinstance(http_api, Mapping) and http_api.get("cors"):
                http_cors = _cors(http_api.get("cors"), _loc(http_api, "cors"), ("allowedOrigins",), "AllowOrigins")
                if http_cors is not None:
                    http_props["CorsConfiguration"] = http_cors
            api.update({"Type": "AWS::Serverless::HttpApi", "Properties": http_props})
            _put(self.resources, "HttpApi", api, self.provider_loc)

    def _resource_policy(self) -> LocatedDict | None:
        """`provider.apiGateway.resourcePolicy` (or the older `provider.resourcePolicy`) as SAM's
        `Auth.ResourcePolicy.CustomStatements`, statements keeping their serverless.yml lines."""
        gateway = self.provider.get("apiGateway")
        statements = gateway.get("resourcePolicy") if isinstance(gateway, Mapping) else None
        if statements is None:
            statements = self.provider.get("resourcePolicy")
        if not isinstance(statements, list) or not statements:
            return None
        where = statements.loc() if isinstance(statements, LocatedList) else self.provider_loc
        policy = _ld(self.display, where.line, where.column)
        _put(policy, "CustomStatements", statements, where)
        return policy

    def _invoke_config(self, destinations: Any) -> tuple[dict[str, Any], Location] | None:
        """`destinations: {onSuccess, onFailure}` as SAM's `EventInvokeConfig`, located at the first one."""
        if not isinstance(destinations, Mapping) or not (destinations.get("onFailure")
                                                         or destinations.get("onSuccess")):
            return None
        config: dict[str, Any] = {}
        for option, name in (("onFailure", "OnFailure"), ("onSuccess", "OnSuccess")):
            target = destinations.get(option)
            if isinstance(target, Mapping):  # {type: sqs, arn: ...} (the object form)
                target = target.get("arn")
            if target:
                config[name] = {"Type": "SQS", "Destination": self._destination_target(target)}
        first = "onFailure" if destinations.get("onFailure") else "onSuccess"
        return {"DestinationConfig": config}, _loc(destinations, first)

    def _function_keys(self) -> list[str]:
        functions = self.doc.get("functions")
        if isinstance(functions, Mapping):
            return [str(k) for k in functions]
        if isinstance(functions, list):
            return [str(k) for block in functions if isinstance(block, Mapping) for k in block]
        return []

    def _destination_target(self, target: Any) -> Any:
        """A `destinations` target as the template would name it: the framework accepts the key of another
        function of the service (or of this one) and deploys its ARN; anything else (an ARN, a reference)
        is kept as written."""
        if isinstance(target, str) and target in self._function_keys():
            return {"Fn::GetAtt": [target, "Arn"]}
        return target

    def _merge_resources(self) -> None:
        keys = self._function_keys()
        aliases = {f"{_logical(key)}LambdaFunction": key for key in keys}
        section = self.doc.get("resources")
        if aliases:
            _rename_references(section, aliases)
        blocks = section if isinstance(section, list) else [section]
        for block in blocks:
            if not isinstance(block, Mapping):
                continue
            resources = block.get("Resources")
            if isinstance(resources, Mapping):
                for logical_id, resource in resources.items():
                    where = _loc(resources, logical_id)
                    if isinstance(resource, LocatedDict) and resource.path != where.path:
                        # `Role: ${file(role.yml)}`: the key is here but the resource is written in that
                        # file, where its findings point; a line of this file would name the wrong place there
                        where = resource.loc()
                    target = aliases.get(str(logical_id), str(logical_id))
                    if target in self.resources:
                        self._override(target, resource)
                        continue
                    _put(self.resources, str(logical_id), resource, where)
            extensions = block.get("extensions")
            if isinstance(extensions, Mapping):
                for logical_id, extension in extensions.items():
                    self._extend(aliases.get(str(logical_id), str(logical_id)), extension)

    def _override(self, logical_id: str, resource: Any) -> None:
        """A resource of `resources.Resources` under the logical id of one the framework generates is merged
        into it, as the framework does (lodash `merge`): `IamRoleLambdaExecution: {Properties:
        {PermissionsBoundary: ...}}` adds a boundary to the service role, it does not replace the role. It
        replaced it here, and with it every statement, the API and its routes. A resource this loader writes
        in SAM's shape (functions, the REST and HTTP APIs) keeps its shape: CloudFormation property names
        merged into it would mean something else, or nothing."""
        generated = self.resources[logical_id]
        kind = generated.get("Type") if isinstance(generated, Mapping) else None
        if isinstance(kind, str) and kind.startswith("AWS::Serverless::"):
            return
        self.resources[logical_id] = _lodash_merge(generated, resource)

    def _extend(self, logical_id: str, extension: Any) -> None:
        """`resources.extensions`: the framework sets `Condition`/`DeletionPolicy`/... and assigns `Properties`
        and `Metadata` key by key (not deeply) into a generated resource, and appends to its `DependsOn`."""
        generated = self.resources.get(logical_id)
        if not isinstance(generated, LocatedDict) or not isinstance(extension, Mapping):
            return
        kind = generated.get("Type")
        if isinstance(kind, str) and kind.startswith("AWS::Serverless::"):
            return
        for attribute, value in extension.items():
            if attribute in ("Properties", "Metadata") and isinstance(value, Mapping):
                current = generated.get(attribute)
                merged = _ld(generated.path, generated.line, generated.column)
                if isinstance(current, Mapping):
                    _copy_into(merged, current, generated.path)
                _copy_into(merged, value, generated.path)
                generated[attribute] = merged
            elif attribute == "DependsOn":
                current = generated.get("DependsOn")
                generated["DependsOn"] = [*_list(current), *_list(value)]
            elif attribute in ("Condition", "CreationPolicy", "DeletionPolicy", "UpdatePolicy", "UpdateReplacePolicy"):
                generated[attribute] = value


def _copy_into(target: LocatedDict, source: Mapping[str, Any], path: str) -> None:
    """Key by key, with each key's line when `source` is written in `target`'s file."""
    for key, value in source.items():
        target[key] = value
        if isinstance(source, LocatedDict) and source.path == path and key in source.key_locs:
            target.key_locs[key] = source.key_locs[key]


def _lodash_merge(base: Any, override: Any) -> Any:
    """lodash `merge`, as the framework applies `resources.Resources` to what it generates: mappings merge key
    by key, lists index by index, anything else (null too) replaces. The result keeps `base`'s place; a key
    `override` adds keeps its own line when both are written in the same file."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        path = base.path if isinstance(base, LocatedDict) else ""
        out = _ld(path, base.line, base.column) if isinstance(base, LocatedDict) else _ld("", 1)
        _copy_into(out, base, path)
        for key, value in override.items():
            out[key] = _lodash_merge(base[key], value) if key in base else value
            if isinstance(override, LocatedDict) and override.path == path and key in override.key_locs:
                out.key_locs[key] = override.key_locs[key]
        return out
    if isinstance(base, list) and isinstance(override, list):
        merged = [_lodash_merge(base[i], override[i]) if i < len(base) else override[i]
                  for i in range(len(override))] + list(base[len(override):])
        if isinstance(base, LocatedList):
            located = LocatedList(base.path, base.line, base.column)
            located.extend(merged)
            located.item_locs.extend(base.item_locs[:len(merged)])
            return located
        return merged
    return override


def _cors(value: Any, where: Location, origin_keys: tuple[str, ...], sam_key: str) -> LocatedDict | None:
    """A Serverless `cors` setting (`true`, or a mapping with `origin`/`origins`/`allowedOrigins` and
    `allowCredentials`) as SAM's spelling, located at the serverless.yml line that sets the origins.
    `cors: true` and a mapping without origins mean any origin (the framework's default)."""
    out = _ld(where.path, where.line, where.column)
    if value is True:
        _put(out, sam_key, ["*"], where)
        return out
    if not isinstance(value, Mapping):
        return None
    key = next((k for k in origin_keys if value.get(k) is not None), None)
    origins = _list(value.get(key)) if key else ["*"]
    _put(out, sam_key, origins, _loc(value, key) if key else where)
    if "allowCredentials" in value:
        _put(out, "AllowCredentials", value.get("allowCredentials"), _loc(value, "allowCredentials"))
    return out


def _is_role_definition(value: Any) -> bool:
    """provider.iam.role may be a role *definition* (statements, managedPolicies...) or a role reference."""
    if isinstance(value, Mapping):
        keys = set(value)
        return bool(keys & {"statements", "managedPolicies", "permissionsBoundary", "name", "path", "tags"}) \
            and not keys & {"Fn::GetAtt", "Ref", "Fn::ImportValue", "Fn::Sub", "Fn::Join"}
    return False


def _merge_maps(base: Any, override: Any, owner: Location) -> LocatedDict | None:
    """The provider's mapping overlaid with the function's, located in the function's file (`owner`, its key):
    a key from another file (the provider's, when the function comes from a `${file(...)}`) is placed at the
    function's key."""
    if not isinstance(base, Mapping) and not isinstance(override, Mapping):
        return None
    anchor = override if isinstance(override, LocatedDict) else base
    if isinstance(anchor, LocatedDict) and anchor.path == owner.path:
        merged = _ld(owner.path, anchor.line, anchor.column)
    else:
        merged = _ld(owner.path, owner.line, owner.column)
    for source in (base, override):
        if isinstance(source, Mapping):
            for key, value in source.items():
                merged[key] = value
                if isinstance(source, LocatedDict):
                    merged.key_locs[key] = source.key_locs.get(key, (source.line, source.column)) \
                        if source.path == owner.path else (owner.line, owner.column)
    return merged


def _http_shorthand(spec: Any, http_api: bool = False) -> tuple[str, str, Mapping[str, Any]]:
    if isinstance(spec, str):
        if spec.strip() == "*":
            return "ANY", "*" if http_api else "/{proxy+}", {}
        parts = spec.split(None, 1)
        method, path = (parts[0], parts[1]) if len(parts) == 2 else ("ANY", parts[0])
        return method.lower() if method != "*" else "any", path, {}
    if isinstance(spec, Mapping):
        method = str(spec.get("method", "any"))
        return (method.lower() if method != "*" else "any"), str(spec.get("path", "/")), spec
    return "any", "/", {}


def _s3_filter(spec: Any, props: LocatedDict) -> None:
    """`rules: [{prefix: uploads/}, {suffix: .jpg}]` of an `s3` event as SAM's `Filter.S3Key.Rules`."""
    rules = spec.get("rules") if isinstance(spec, Mapping) else None
    if isinstance(rules, list) and rules:
        props["Filter"] = {"S3Key": {"Rules": [{"Name": name, "Value": value} for rule in rules
                                               if isinstance(rule, Mapping) for name, value in rule.items()]}}


def _copy_filter(spec: Any, option: str, props: LocatedDict, key: str) -> None:
    """An `sqs` event's `filterPatterns` (SAM `FilterCriteria`) or an `sns` event's `filterPolicy`."""
    value = spec.get(option) if isinstance(spec, Mapping) else None
    if value:
        props[key] = {"Filters": value} if option == "filterPatterns" else value


def _logical(name: str) -> str:
    """The framework's normalisation of names into CloudFormation logical ids (`-` → Dash, `_` → Underscore,
    other non-alphanumerics dropped, first letter capitalised), so references written in `resources` to
    framework-made resources (`HelloDashworldLambdaFunction`, `S3BucketUploads`) resolve."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", name.replace("-", "Dash").replace("_", "Underscore"))
    return (cleaned[:1].upper() + cleaned[1:]) or "X"


def _rename_references(value: Any, aliases: Mapping[str, str]) -> Any:
    """Rewrite Ref/GetAtt/Sub references to the framework's function logical ids (`XLambdaFunction`) into the
    function keys we use as ids, in place."""
    if isinstance(value, dict):
        for key, item in list(value.items()):
            if key == "Ref" and isinstance(item, str) and item in aliases:
                value[key] = aliases[item]
            elif key == "Fn::GetAtt":
                if isinstance(item, list) and item and item[0] in aliases:
                    item[0] = aliases[item[0]]
                elif isinstance(item, str) and item.split(".", 1)[0] in aliases:
                    head, _, tail = item.partition(".")
                    value[key] = f"{aliases[head]}.{tail}"
            elif key == "Fn::Sub" and isinstance(item, str):
                value[key] = re.sub(r"\$\{([A-Za-z0-9]+)",
                                    lambda m: "${" + aliases.get(m.group(1), m.group(1)), item)
            else:
                _rename_references(item, aliases)
    elif isinstance(value, list):
        for item in value:
            _rename_references(item, aliases)
    return value


# ---------------------------------------------------------------------------------------------- load

def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        with isolated(result.diagnostics, "serverless loader", source.display):
            _load_one(source, ctx, result)
    return result


def _load_one(source: SourceFile, ctx: LoadContext, result: LoadResult) -> None:
    """One service file; publishes into `result` only once it is fully modelled."""
    from faasguard.loaders import cloudformation

    budget = ctx.budget_for(source.display)
    try:
        if source.path.suffix.lower() == ".json":
            documents = [parse_json_text(read_text(source.path, source.display, ctx.config.max_file_bytes),
                                         source.display, budget)]
        else:
            documents = parse_yaml_file(source.path, source.display, budget)
    except BudgetExceededError:
        raise
    except ParseError as exc:
        result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                             DiagnosticLevel.ERROR, "serverless loader"))
        return
    raw = documents[0] if documents else None
    if not isinstance(raw, LocatedDict) or ("functions" not in raw and "provider" not in raw):
        result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR,
                                             "not a Serverless Framework service (no provider/functions)",
                                             Location(source.display), DiagnosticLevel.WARNING,
                                             "serverless loader"))
        return
    diagnostics: list[Diagnostic] = []
    variables = _Variables(raw, source.path.parent, ctx, source.display, diagnostics, budget=budget)
    resolved = variables.resolve(raw)
    plugins = resolved.get("plugins")
    plugin_names = plugins.get("modules") if isinstance(plugins, Mapping) else plugins
    known_plugins = {"serverless-iam-roles-per-function", "serverless-python-requirements",
                     "serverless-offline", "serverless-prune-plugin", "serverless-bundle",
                     "serverless-plugin-typescript", "serverless-esbuild", "serverless-webpack",
                     "serverless-dotenv-plugin", "serverless-domain-manager", "serverless-wsgi"}
    for plugin in _list(plugin_names):
        if isinstance(plugin, str) and plugin not in known_plugins:
            diagnostics.append(Diagnostic(
                DiagnosticKind.UNSUPPORTED,
                f"plugin `{plugin}` is not understood; what it changes at deploy time is not modelled",
                _loc(raw, "plugins"), DiagnosticLevel.NOTE, "serverless loader"))
    template = _Translator(resolved, source.display, diagnostics, source.path.parent).template()
    app, template_diagnostics = cloudformation.build_application(template, source.path, source.display, ctx,
                                                                 source=SourceKind.SERVERLESS, budget=budget)
    included = tuple(ctx.display(p) for p in sorted(variables.consumed))
    result.apps.append(replace(app, files=(source.display, *included)))
    result.diagnostics.extend(diagnostics)
    result.diagnostics.extend(template_diagnostics)
    result.handled |= variables.consumed
