"""Reading a configuration: parsing `.tf` / `.tf.json` files per directory, tfvars, instantiating local module
calls (depth- and cycle-bounded), and the registry Lambda module modelled without reading it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult
from faasguard.loaders._budget import Budget, Work, isolated
from faasguard.loaders._hcl import (
    Attribute,
    Block,
    EvalError,
    Evaluator,
    HclFile,
    parse_hcl,
    parse_tf_json,
)
from faasguard.loaders._yaml import ParseError, parse_json_text, read_text
from faasguard.loaders.terraform._expansion import Key, expand, index_text
from faasguard.loaders.terraform._instances import (
    COMPONENT,
    _Instance,
    _instance_symbolic,
    _is_local_source,
    _module_source,
    _ModuleDir,
    _Res,
    exact_ref,
)
from faasguard.model import (
    Location,
    Unknown,
)

MAX_MODULE_DEPTH = 12


LAMBDA_MODULE = re.compile(
    r"^(?:registry\.terraform\.io/)?terraform-aws-modules/lambda/aws(?://.*)?$"
    r"|^(?:git::)?(?:https://|git@)?github\.com[/:]terraform-aws-modules/terraform-aws-lambda(?:\.git)?(?:[/?].*)?$")
HTTP_API_MODULE = re.compile(
    r"^(?:registry\.terraform\.io/)?terraform-aws-modules/apigateway-v2/aws(?://.*)?$"
    r"|^(?:git::)?(?:https://|git@)?github\.com[/:]terraform-aws-modules/terraform-aws-apigateway-v2(?:\.git)?"
    r"(?:[/?].*)?$")


@dataclass(slots=True)
class _Entry:
    """One resource of a root's module tree (a large root has tens of thousands: slots, no dict each)."""

    inst: _Instance
    res: _Res
    type: str
    name: str


class _Loader:
    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.result = LoadResult()
        self._seen_diags: set[tuple[str, str, int]] = set()
        self.dirs: dict[Path, _ModuleDir] = {}
        self.var_files: dict[Path, list[tuple[Path, str]]] = defaultdict(list)
        self.budget: Budget = ctx.budget
        """The budget of the root module being loaded (its module instances and evaluations charge it)."""
        self.reserved_steps = 0
        """Evaluation steps the root's count / for_each expansions expect their instances to take (`_expansion`)."""

    def diag(self, kind: DiagnosticKind, message: str, location: Location | None,
             level: DiagnosticLevel = DiagnosticLevel.NOTE) -> None:
        key = (message, location.path if location else "", location.line if location else 0)
        if key in self._seen_diags:
            return
        self._seen_diags.add(key)
        self.result.diagnostics.append(Diagnostic(kind, message, location, level, COMPONENT))

    # -------------------------------------------------------------------------- reading

    def read_dir(self, directory: Path, sources: Iterable[tuple[Path, str]]) -> _ModuleDir:
        mod = _ModuleDir(directory)
        for path, display in sorted(sources):
            with isolated(self.result.diagnostics, COMPONENT, display):
                hcl = self._parse_file(path, display)
                if hcl is not None:
                    mod.add(hcl, display)
            self.result.handled.add(path)
        self.dirs[directory] = mod
        return mod

    def _parse_file(self, path: Path, display: str) -> HclFile | None:
        try:
            text = read_text(path, display, self.ctx.config.max_file_bytes)
        except ParseError as exc:
            self.diag(DiagnosticKind.PARSE_ERROR, exc.message, exc.location, DiagnosticLevel.ERROR)
            return None
        if path.name.lower().endswith(".json"):
            try:
                document = parse_json_text(text, display)
            except ParseError as exc:
                self.diag(DiagnosticKind.PARSE_ERROR, exc.message, exc.location, DiagnosticLevel.ERROR)
                return None
            hcl = parse_tf_json(document, display)
            hcl.size = len(text)
            if hcl.errors:
                self.diag(DiagnosticKind.PARSE_ERROR, "Terraform JSON file is not an object", Location(display),
                          DiagnosticLevel.ERROR)
            return hcl
        hcl = parse_hcl(text.encode("utf-8"), display)
        hcl.size = len(text)
        for error in hcl.errors:
            self.diag(DiagnosticKind.PARSE_ERROR,
                      "HCL syntax error; the blocks around it are still read", error, DiagnosticLevel.ERROR)
        return hcl

    def _local_module_dir(self, caller: Path, block: Block) -> Path | None:
        source = _module_source(block)
        if source is None or not _is_local_source(source):
            return None
        try:
            return (caller / source).resolve()
        except (OSError, RuntimeError):
            return None

    def tfvars(self, directory: Path) -> dict[str, Any]:
        """Values of `terraform.tfvars[.json]` then `*.auto.tfvars[.json]` (alphabetical), as Terraform loads."""
        values: dict[str, Any] = {}
        files = self.var_files.get(directory, [])
        ordered = sorted(files, key=lambda f: (not f[0].name.startswith("terraform.tfvars"), f[0].name))
        for path, display in ordered:
            name = path.name.lower()
            if not (name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith(
                    (".auto.tfvars", ".auto.tfvars.json"))):
                self.diag(DiagnosticKind.INFO, f"{path.name} is not loaded automatically by Terraform "
                          "(only with -var-file); its values are not used", Location(display))
                continue
            try:
                text = read_text(path, display, self.ctx.config.max_file_bytes)
            except ParseError as exc:
                self.diag(DiagnosticKind.PARSE_ERROR, exc.message, exc.location, DiagnosticLevel.ERROR)
                continue
            if name.endswith(".json"):
                try:
                    document = parse_json_text(text, display)
                except ParseError as exc:
                    self.diag(DiagnosticKind.PARSE_ERROR, exc.message, exc.location, DiagnosticLevel.ERROR)
                    continue
                if isinstance(document, dict):
                    values.update(document)
                continue
            hcl = parse_hcl(text.encode("utf-8"), display)
            for error in hcl.errors:
                self.diag(DiagnosticKind.PARSE_ERROR, "HCL syntax error in variable file", error,
                          DiagnosticLevel.ERROR)
            evaluator = Evaluator(lambda root, steps, loc, src: EvalError(
                f"{src}: references are not allowed in .tfvars", loc))
            for attr_name, attr in hcl.body.attributes.items():
                values[attr_name] = evaluator.eval(attr.expr, attr.location)
        return values

    # -------------------------------------------------------------------------- instantiation

    def instantiate(self, mod: _ModuleDir, prefix: str, root_dir: Path, *, inputs: Mapping[str, Any] | None,
                    parent: _Instance | None, call: Block | None, chain: tuple[Path, ...],
                    instances: list[_Instance]) -> _Instance:
        self.budget.charge(Work.MODULES, 1, call.location if call is not None else Location(mod.displays[0]
                                                                                               if mod.displays else ""))
        inst = _Instance(self, mod, prefix, root_dir, inputs=inputs, parent=parent, call=call)
        instances.append(inst)
        for name, block in mod.modules.items():
            repeated = block.body.attr("count") is not None or block.body.attr("for_each") is not None
            expansion = expand(inst, block, f"{inst.prefix}module.{name}", _instance_symbolic, module=True) \
                if repeated else None
            if expansion is None:
                inst.children[name] = self._child(inst, name, block, root_dir, chain=chain, instances=instances)
                continue
            inst.children[name] = None
            by_key: dict[Key, _Instance | _SyntheticModule] = {}
            for key, bindings in expansion.instances.items():
                child = self._child(inst, name, block, root_dir, chain=chain, instances=instances,
                                    key=index_text(key), bindings=bindings)
                if child is not None:
                    by_key[key] = child
            inst.module_instances[name] = (expansion, by_key)
        return inst

    def _child(self, inst: _Instance, name: str, block: Block, root_dir: Path, *, chain: tuple[Path, ...],
               instances: list[_Instance], key: str = "",
               bindings: Mapping[str, Any] | None = None) -> _Instance | _SyntheticModule | None:
        """The module called by `block`: one instance, or (`key`, `bindings`) the instance of a known count /
        for_each, addressed `module.name["key"].` with `each` / `count` bound in its inputs."""
        source = _module_source(block)
        loc = block.location.with_id(f"{inst.prefix}module.{name}{key}")
        inputs = {attr_name: _thunk(inst, attr, bindings) for attr_name, attr in block.body.attributes.items()
                  if attr_name not in ("source", "version", "count", "for_each", "providers", "depends_on")}
        if source is not None and LAMBDA_MODULE.match(source):
            return _SyntheticLambda(inst, name, block, inputs, key)
        if source is not None and HTTP_API_MODULE.match(source):
            return _SyntheticHttpApi(inst, name, block, inputs, key)
        directory = self._local_module_dir(inst.mod.path, block)
        if directory is None:
            what = f"source {source!r}" if source else "a source that is not a literal string"
            self.diag(DiagnosticKind.UNSUPPORTED, f"module {name} has {what}, which is not downloaded; "
                      "its resources are not checked", loc)
            return None
        if directory in chain or len(chain) >= MAX_MODULE_DEPTH:
            self.diag(DiagnosticKind.UNRESOLVED, f"module {name}: module calls form a cycle or nest too deeply",
                      loc, DiagnosticLevel.WARNING)
            return None
        if not self.ctx.inside_roots(directory):
            self.diag(DiagnosticKind.UNRESOLVED, f"module {name}: {source!r} is outside the scanned project; "
                      "not read", loc)
            return None
        child_mod = self.dirs.get(directory)
        if child_mod is None:
            files = _tf_files_in(directory)
            if not files:
                self.diag(DiagnosticKind.UNRESOLVED, f"module {name}: no .tf files in {source!r}", loc)
                return None
            child_mod = self.read_dir(directory, [(p, self.ctx.display(p)) for p in files])
        return self.instantiate(child_mod, f"{inst.prefix}module.{name}{key}.", root_dir, inputs=inputs,
                                parent=inst, call=block, chain=(*chain, directory), instances=instances)


def _thunk(inst: _Instance, attr: Attribute, bindings: Mapping[str, Any] | None = None) -> Any:
    cache: list[Any] = []

    def value() -> Any:
        if not cache:
            cache.append(inst.eval_attr(attr, bindings))
        return cache[0]
    return value


def _tf_files_in(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir()
                      if p.is_file() and not p.is_symlink() and p.name.lower().endswith((".tf", ".tf.json")))
    except OSError:
        return []


class _RegistryModule:
    """A registry module understood from its inputs: its `module` block, the inputs given to it (evaluated on
    demand) and the module's own defaults for the rest."""

    DEFAULTS: Mapping[str, Any] = {}

    def __init__(self, inst: _Instance, name: str, block: Block, inputs: Mapping[str, Any], key: str = "") -> None:
        self.inst = inst
        self.name = name
        self.block = block
        self.inputs = inputs
        self.prefix = f"{inst.prefix}module.{name}{key}."
        """`module.name.`, or `module.name["key"].` for an instance of a known count / for_each."""

    def value(self, key: str) -> Any:
        if key in self.inputs:
            provided = self.inputs[key]()
            if provided is not None:
                return provided
        return self.DEFAULTS.get(key)

    def _loc(self, key: str, node_id: str) -> Location:
        """Where input `key` is set (else the module block), naming the synthesized node `node_id`."""
        attr = self.block.body.attr(key)
        return (attr.location if attr is not None else self.block.location).with_id(node_id)


class _SyntheticLambda(_RegistryModule):
    """`terraform-aws-modules/lambda/aws`, understood from its inputs (the module is never fetched)."""

    DEFAULTS: Mapping[str, Any] = {
        "create": True, "create_function": True, "create_role": True, "create_layer": False,
        "timeout": 3, "memory_size": 128, "authorization_type": "NONE", "create_lambda_function_url": False,
        "attach_cloudwatch_logs_policy": True, "use_existing_cloudwatch_log_group": False,
        "reserved_concurrent_executions": -1, "package_type": "Zip", "attach_policy_statements": False,
        "attach_policy_json": False, "attach_policy_jsons": False, "attach_policy": False,
        "attach_policies": False, "attach_network_policy": False, "attach_tracing_policy": False,
        "attach_dead_letter_policy": False, "attach_async_event_policy": False, "create_package": True,
    }

    def loc(self, key: str) -> Location:
        return self._loc(key, self.function_id)

    @property
    def function_id(self) -> str:
        return f"{self.prefix}aws_lambda_function.this"

    @property
    def role_id(self) -> str:
        return f"{self.prefix}aws_iam_role.lambda"

    @property
    def creates_function(self) -> bool:
        return self.value("create") is not False and self.value("create_function") is not False \
            and self.value("create_layer") is not True

    def output(self, name: str, location: Location) -> Any:
        fn = f"{self.prefix}aws_lambda_function.this"
        table = {
            "lambda_function_arn": f"{fn}.arn", "lambda_function_name": f"{fn}.function_name",
            "lambda_function_invoke_arn": f"{fn}.invoke_arn", "lambda_function_qualified_arn": f"{fn}.qualified_arn",
            "lambda_function_qualified_invoke_arn": f"{fn}.qualified_invoke_arn",
            "lambda_role_arn": f"{self.role_id}.arn", "lambda_role_name": f"{self.role_id}.name",
            "lambda_function_url": f"{self.prefix}aws_lambda_function_url.this.function_url",
            "lambda_cloudwatch_log_group_arn": f"{self.prefix}aws_cloudwatch_log_group.lambda.arn",
            "lambda_cloudwatch_log_group_name": f"{self.prefix}aws_cloudwatch_log_group.lambda.name",
            "lambda_layer_arn": f"{self.prefix}aws_lambda_layer_version.this.arn",
        }
        name = name.removeprefix("this_")  # the module's outputs before 2.0: this_lambda_function_arn...
        if name == "lambda_function_name":
            fn_name = self.value("function_name")
            if isinstance(fn_name, str):
                return fn_name
        if name in table:
            return exact_ref(table[name])
        return Unknown(f"output {name} of the lambda module is not modelled", location)


class _SyntheticHttpApi(_RegistryModule):
    """`terraform-aws-modules/apigateway-v2/aws`, understood from its inputs (the module is never fetched): its
    API, its one stage, its authorizers and its routes, from either spelling of the routes the module has had
    (`integrations` keyed by route with `lambda_arn` / `integration_uri`, and `routes` whose `integration`
    map holds the `uri`). An OpenAPI `body` is not read."""

    DEFAULTS: Mapping[str, Any] = {
        "create": True, "create_api_gateway": True, "protocol_type": "HTTP",
        "create_routes_and_integrations": True, "create_default_stage": True, "create_stage": True,
        "stage_name": "$default",
    }

    def loc(self, key: str) -> Location:
        return self._loc(key, self.api_id)

    @property
    def api_id(self) -> str:
        return f"{self.prefix}aws_apigatewayv2_api.this"

    @property
    def creates_api(self) -> bool:
        return self.value("create") is not False and self.value("create_api_gateway") is not False

    def output(self, name: str, location: Location) -> Any:
        table = {"api_id": "id", "api_arn": "arn", "api_endpoint": "api_endpoint",
                 "api_execution_arn": "execution_arn"}
        stage = {"stage_id": "id", "stage_arn": "arn", "stage_execution_arn": "execution_arn",
                 "stage_invoke_url": "invoke_url"}
        # the module's outputs before 5.0 (`apigatewayv2_api_id`, `default_apigatewayv2_stage_id`) and
        # before 2.0 (`this_apigatewayv2_api_id`)
        name = name.removeprefix("this_").replace("apigatewayv2_", "").removeprefix("default_")
        name = "api_endpoint" if name == "api_api_endpoint" else name
        if name in table:
            return exact_ref(f"{self.api_id}.{table[name]}")
        if name in stage:
            return exact_ref(f"{self.prefix}aws_apigatewayv2_stage.default.{stage[name]}")
        return Unknown(f"output {name} of the apigateway-v2 module is not modelled", location)


_SyntheticModule = _SyntheticLambda | _SyntheticHttpApi
"""A registry module modelled from its inputs instead of its source."""
