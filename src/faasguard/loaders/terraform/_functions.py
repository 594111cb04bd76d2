"""Lambda functions (plain resources and the registry Lambda module), their code, environment, layers and async
destinations.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from faasguard.analysis.archive import find_member, is_archive
from faasguard.findings import DiagnosticKind
from faasguard.loaders._hcl import (
    Evaluator,
    to_plain,
)
from faasguard.loaders._yaml import LocatedDict
from faasguard.loaders.terraform._core import _Builder, _url_auth
from faasguard.loaders.terraform._iam import _policy_from_arn
from faasguard.loaders.terraform._instances import (
    _as_int,
    _as_text,
    _Instance,
    _Res,
    exact_ref,
    node_ref,
)
from faasguard.loaders.terraform._loader import (
    _SyntheticLambda,
)
from faasguard.loaders.terraform._network import _group_ids, _subnet_ids
from faasguard.loaders.terraform._policies import (
    _as_list,
    _expr_first_line,
    _key_loc,
    _statement,
    _strings,
    _value_loc,
    map_cors,
    policy_document,
)
from faasguard.model import (
    CodeLocation,
    Destination,
    EnvVar,
    Function,
    Layer,
    Location,
    Permission,
    Policy,
    PolicyDocument,
    PolicyKind,
    Role,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
    VpcConfig,
)

_SECRET_ATTRIBUTES = {
    ("aws_iam_access_key", "secret"), ("aws_iam_access_key", "ses_smtp_password_v4"), ("aws_iam_access_key", "id"),
    ("aws_api_gateway_api_key", "value"), ("random_password", "result"), ("random_string", "result"),
    ("random_string", "id"), ("aws_secretsmanager_secret_version", "secret_string"),
    ("aws_secretsmanager_secret_version", "secret_binary"), ("aws_db_instance", "password"),
    ("aws_rds_cluster", "master_password"), ("tls_private_key", "private_key_pem"),
    ("tls_private_key", "private_key_pem_pkcs8"), ("tls_private_key", "private_key_openssh"),
    ("aws_ssm_parameter", "value"), ("aws_iam_user_login_profile", "password"),
}
"""(resource or data source type, attribute) pairs whose value is a secret: copying one into an environment
variable puts it in plaintext function configuration. `random_string.id` is its result (the provider's own
docs); `random_password.id` is the constant "none" and is not listed. `aws_iam_access_key.id` is listed because
a literal access key id is FG201 by its shape, and the reference must not be the quieter spelling.
`random_string` is also the provider's way to make name suffixes: FG201 counts it only beside a secret-looking
variable name (see `rules.secrets.classify`)."""


def _functions_prepass(b: _Builder) -> None:
    for entry in b.entries["aws_lambda_function"]:
        name = entry.res.get("function_name")
        if isinstance(name, str) and "${" not in name:
            b.function_names[name] = entry.res.address
    for module in b.synthetic:
        name = module.value("function_name")
        if isinstance(name, str):
            b.function_names[name] = module.function_id


def _layers(b: _Builder) -> None:
    for entry in b.entries["aws_lambda_layer_version"]:
        res = entry.res
        runtimes = tuple(r for r in _as_list(res.get("compatible_runtimes")) if isinstance(r, str))
        b.layers.append(Layer(
            id=res.address, location=res.location, arn=node_ref(res.address, "arn"),
            name=res.text("layer_name"), content_dir=_code_dir(b, entry.inst, res.get("filename"))[0],
            compatible_runtimes=runtimes))


def _async_configs(b: _Builder) -> None:
    for entry in b.entries["aws_lambda_function_event_invoke_config"]:
        res = entry.res
        fid = b.function_id(res.get("function_name"))
        dest = res.first_block("destination_config")
        failure = dest.first_block("on_failure") if dest else None
        if isinstance(fid, str) and failure is not None:
            target = failure.text("destination")
            b.async_failures[fid] = Destination("on-failure", target if target is not None else Unknown(
                "no destination"), failure.location)
        success = dest.first_block("on_success") if dest else None
        if isinstance(fid, str) and success is not None:
            target = success.text("destination")
            b.async_successes[fid] = Destination("on-success", target if target is not None else Unknown(
                "no destination"), success.location)
    # aws_lambda_function_recursion_config (AWS provider 5.83+): the function's recursive loop detection.
    for entry in b.entries["aws_lambda_function_recursion_config"]:
        res = entry.res
        fid = b.function_id(res.get("function_name"))
        if isinstance(fid, str):
            b.recursive_loops[fid] = (res.text("recursive_loop"), res.loc("recursive_loop"))


def _code_dir(b: _Builder, inst: _Instance, filename: Any) -> tuple[str | None, str | None]:
    """(code directory, single source file) for a package path: an `archive_file`'s source, or a directory."""
    code_dir, single, _ = _package(b, inst, filename, None)
    return code_dir, single


def _package(b: _Builder, inst: _Instance, filename: Any,
             member: str | None) -> tuple[str | None, str | None, bool]:
    """`_code_dir`, plus the handler's source when the archive is built from `source` blocks.

    `member` is the handler's path inside the zip without its suffix; the flag says the single file was
    matched by its name in the zip, which may differ from its name on disk.
    """
    for address, rtype, _attr in b.refs(filename):
        if rtype != "archive_file":
            continue
        base = address[:address.rindex("[")] if address.endswith("]") else address  # an instance: `zip["a"]`
        data_name = base.rsplit(".", 1)[-1]
        owner = next((i for i in b.instances if f"{i.prefix}data.archive_file.{data_name}" == base), inst)
        block = owner.mod.data.get(("archive_file", data_name))
        if block is None:
            return None, None, False
        expansion = owner.expansion("data.archive_file", data_name) if base != address else None
        bindings = expansion.bindings_of(address) if expansion is not None else None
        return _archive_source(_Res(owner, block, address, bindings), member)
    if isinstance(filename, str) and "${" not in filename:
        archive = _archive_by_output(b, inst, filename)
        if archive is not None:
            return _archive_source(archive, member)
        path = inst._safe_path(filename, Location(""))
        if isinstance(path, Path) and (path.is_dir() or is_archive(path)):
            # a directory, or a committed zip whose members the code analysis reads in memory
            return str(path), None, False
    return None, None, False


def _archive_by_output(b: _Builder, inst: _Instance, filename: str) -> _Res | None:
    """The `archive_file` whose `output_path` is the same file as a literal `filename`.

    Projects often write the zip's path twice instead of referencing the data source; Terraform resolves both
    relative paths against the working directory (the root module's), so they name one file when they normalise
    to the same path under it — whichever module declares the archive.
    """
    wanted = _normalised(inst, filename)
    if wanted is None:
        return None
    for owner in b.instances:
        for (dtype, name), block in owner.mod.data.items():
            if dtype != "archive_file":
                continue
            res = _Res(owner, block, f"{owner.prefix}data.archive_file.{name}")
            output = res.get("output_path")
            if isinstance(output, str) and _normalised(owner, output) == wanted:
                return res
    return None


def _normalised(inst: _Instance, raw: str) -> str | None:
    if "${" in raw or Path(raw).is_absolute() or raw.startswith("~"):
        return None
    return os.path.normpath(inst.root_dir / raw)


def _archive_source(res: _Res, member: str | None) -> tuple[str | None, str | None, bool]:
    """What an `archive_file` packs: `source_dir`, `source_file`, or the `source` block holding the handler."""
    owner = res.inst
    source_dir = res.get("source_dir")
    if isinstance(source_dir, str):
        path = owner._safe_path(source_dir, res.loc("source_dir"))
        if isinstance(path, Path) and path.is_dir():
            return str(path), None, False
    source_file = res.get("source_file")
    if isinstance(source_file, str):
        path = owner._safe_path(source_file, res.loc("source_file"))
        if isinstance(path, Path) and path.is_file():
            return str(path.parent), str(path), False
    if member is not None:
        blocks, _ = res.blocks("source")
        for block in blocks:
            name = block.get("filename")
            if not isinstance(name, str) or PurePosixPath(name).with_suffix("").as_posix() != member:
                continue
            copied = _file_content_path(block)
            if copied is not None:
                return str(copied.parent), str(copied), True
    return None, None, False


class _FileRef:
    """Stands for `file(path)` so the path of a `source` block's content survives evaluation."""

    __slots__ = ("path",)

    def __init__(self, path: Any) -> None:
        self.path = path


def _file_content_path(block: _Res) -> Path | None:
    """The project file a `source` block's `content = file(...)` copies; inline or computed text is no file.

    The content is evaluated with `file()` standing for its argument, so any spelling of the path that the
    loader resolves elsewhere (`path.module`, locals, variables) resolves here too.
    """
    attr = block.block.body.attr("content")
    if attr is None:
        return None
    inst = block.inst
    evaluator = Evaluator(inst._resolve, {"file": lambda args, loc: _FileRef(args[0] if args else None)},
                          budget=inst.loader.budget)
    value = evaluator.eval(attr.expr, attr.location, block.bindings)
    if not isinstance(value, _FileRef) or not isinstance(value.path, str):
        return None
    path = inst._safe_path(value.path, block.loc("content"))
    return path if isinstance(path, Path) and path.is_file() and not path.is_symlink() else None


def _package_source(b: _Builder, inst: _Instance, res: _Res) -> tuple[_Instance, Any]:
    """(instance resolving the path, package path value): `filename`, or the uploaded S3 object's `source`;
    None as the value when the package is not built or uploaded by this configuration."""
    if res.has("s3_bucket") or res.has("s3_key"):
        found = _s3_source(b, res)
        return found if found is not None else (inst, None)
    return inst, res.get("filename")


def _code(b: _Builder, inst: _Instance, filename: Any, handler: Any, runtime: Any, *, image_uri: Any,
          package_type: str) -> CodeLocation | None:
    if package_type == "Image":
        return CodeLocation(None, None, None, handler=handler, package_type="Image", image_uri=image_uri)
    handler_file: str | None = None
    handler_function: str | None = None
    code_dir: str | None = None
    if isinstance(handler, str) and "." in handler:
        module_path, handler_function = handler.rsplit(".", 1)
        node = isinstance(runtime, str) and runtime.startswith("node")
        member = module_path if node else module_path.replace(".", "/")
        code_dir, single, exact = _package(b, inst, filename, member) if filename is not None else (None, None, False)
        if code_dir is not None:
            handler_file = single if exact else _find_handler(Path(code_dir), module_path, runtime, single)
    elif filename is not None:
        code_dir, _ = _code_dir(b, inst, filename)
    return CodeLocation(code_dir, handler_file, handler_function, handler=handler, package_type=package_type)


_S3_OBJECTS = ("aws_s3_object", "aws_s3_bucket_object")


def _s3_source(b: _Builder, res: _Res) -> tuple[_Instance, Any] | None:
    """(declaring instance, `source`) of the S3 object this configuration uploads as the function's package.

    Real projects upload the zip in the same configuration and point the function at it, either through the
    object (`s3_key = aws_s3_object.app.key`) or by writing the same bucket and key twice. A literal key alone
    is not enough: the same key in another bucket is another object, so the buckets must match too (the same
    literal, or a reference to the same bucket resource). An object without a `source` (uploaded `content`, or
    built elsewhere) links nothing.
    """
    key = res.get("s3_key")
    for address, rtype, _attr in b.refs(key):
        if rtype in _S3_OBJECTS and (entry := b.by_address.get(address)) is not None:
            return entry.inst, entry.res.get("source")
    if not isinstance(key, str) or "${" in key:
        return None
    bucket = res.get("s3_bucket")
    for rtype in _S3_OBJECTS:
        for entry in b.entries[rtype]:
            if entry.res.get("key") == key and _same_bucket(b, entry.res.get("bucket"), bucket):
                return entry.inst, entry.res.get("source")
    return None


def _same_bucket(b: _Builder, first: Any, second: Any) -> bool:
    if isinstance(first, str) and isinstance(second, str) and "${" not in first and first == second:
        return True
    left = b.ref_of(first, "aws_s3_bucket")
    return left is not None and left == b.ref_of(second, "aws_s3_bucket")


def _capacity_provider_vpc(b: _Builder, res: _Res) -> VpcConfig | None:
    """The network placement of a function on Lambda Managed Instances: the `vpc_config` of the
    `aws_lambda_capacity_provider` it names.

    Such a function has no `vpc_config` of its own: its execution environments run on instances the provider
    launches in the provider's subnets with the provider's security groups (FG309 judges those groups; FG308
    sees the function inside a VPC). A provider outside this configuration still places it in a VPC, whose
    subnets and groups are then Unknown."""
    config = res.first_block("capacity_provider_config")
    managed = config.first_block("lambda_managed_instances_capacity_provider_config") if config else None
    if managed is None:
        return None
    address = b.ref_of(managed.get("capacity_provider_arn"), "aws_lambda_capacity_provider")
    entry = b.by_address.get(address) if address else None
    if entry is None:
        unknown = Unknown("the capacity provider is not a resource of this configuration", managed.location)
        return VpcConfig(managed.location, (unknown,), (unknown,))
    block = entry.res.first_block("vpc_config")
    if block is None:
        return None
    return VpcConfig(block.location, _subnet_ids(b, block.get("subnet_ids")),
                     tuple(_group_ids(b, block.get("security_group_ids"))))


def _functions(b: _Builder) -> None:
    for entry in b.entries["aws_lambda_function"]:
        res = entry.res
        address = res.address
        package_type = res.text("package_type") or ("Image" if res.has("image_uri") else "Zip")
        package = package_type if isinstance(package_type, str) else "Zip"
        handler = res.text("handler")
        runtime = res.text("runtime")
        env_block = res.first_block("environment")
        environment = _environment(b, env_block.get("variables") if env_block else None,
                                        env_block.loc("variables") if env_block else res.location, entry.inst)
        vpc_block = res.first_block("vpc_config")
        vpc = None
        if vpc_block is not None:
            vpc = VpcConfig(vpc_block.location, _subnet_ids(b, vpc_block.get("subnet_ids")),
                            tuple(_group_ids(b, vpc_block.get("security_group_ids"))))
        else:
            vpc = _capacity_provider_vpc(b, res)
        tracing_block = res.first_block("tracing_config")
        dlq_block = res.first_block("dead_letter_config")
        reserved = res.num("reserved_concurrent_executions")
        fields = {model: res.loc(attr) for model, attr in (
            ("name", "function_name"), ("runtime", "runtime"), ("handler", "handler"), ("timeout", "timeout"),
            ("memory_size", "memory_size"), ("role", "role"), ("kms_key", "kms_key_arn"), ("layers", "layers"),
            ("reserved_concurrency", "reserved_concurrent_executions"),
            ("code_signing_config", "code_signing_config_arn"), ("code", "filename"),
            ("package_type", "package_type"), ("tags", "tags")) if res.has(attr)}
        for model, block in (("environment", env_block), ("vpc", vpc_block), ("tracing", tracing_block),
                             ("dead_letter", dlq_block)):
            if block is not None:
                fields[model] = block.location
        for attr in ("image_uri", "s3_key"):
            if "code" not in fields and res.has(attr):
                fields["code"] = res.loc(attr)
        recursion = b.recursive_loops.get(address)
        if recursion is not None:
            fields["recursive_loop"] = recursion[1]
        success = b.async_successes.get(address)
        if success is not None:
            fields["async_on_success"] = success.location
        tracing = tracing_block.text("mode") if tracing_block else None
        b.functions[address] = Function(
            id=address, location=res.location, field_locations=fields,
            name=res.text("function_name"), runtime=runtime, handler=handler,
            code=_code(b, *_package_source(b, entry.inst, res), handler, runtime,
                       image_uri=res.text("image_uri"), package_type=package),
            timeout=res.num("timeout"), memory_size=res.num("memory_size"),
            role=b.role_id(res.get("role"), res.loc("role")),
            environment=environment, kms_key=res.text("kms_key_arn"),
            layers=tuple(_layer_ids(b, res.get("layers"))), vpc=vpc,
            reserved_concurrency=None if reserved == -1 else reserved,
            tracing=tracing, code_signing_config=res.text("code_signing_config_arn"),
            dead_letter=Destination("dlq", dlq_block.text("target_arn") or Unknown("no target"),
                                    dlq_block.location) if dlq_block else None,
            async_on_failure=b.async_failures.get(address), async_on_success=success,
            recursive_loop=recursion[0] if recursion is not None else None, package_type=package,
            architectures=tuple(a for a in _as_list(res.get("architectures")) if isinstance(a, str)),
            tags=_tags(res.get("tags")))


def _environment(b: _Builder, variables: Any, location: Location, inst: _Instance) -> tuple[EnvVar, ...]:
    if isinstance(variables, Unknown):
        return (EnvVar("*", variables, location),)
    if not isinstance(variables, dict):
        return ()
    out: list[EnvVar] = []
    for name, value in variables.items():
        loc = _key_loc(variables, name, location)
        secret_attr = _secret_attribute(b, value, inst)
        if isinstance(value, (dict, list)):
            text: str | Unknown = json.dumps(_plainify(value))
        else:
            plain = to_plain(value)
            text = plain if isinstance(plain, (str, Unknown)) else ("" if plain is None else str(plain))
        out.append(EnvVar(str(name), text, loc, secret_reference=_is_secret_reference(text),
                          from_secret_attribute=secret_attr))
    return tuple(out)


def _secret_attribute(b: _Builder, value: Any, inst: _Instance) -> str | None:
    for _address, rtype, attrs in b.refs(value):
        attr = attrs.split(".", 1)[0]
        if (rtype, attr) in _SECRET_ATTRIBUTES:
            return f"{rtype}.{attr}"
    if isinstance(value, Unknown) and value.reason.startswith("variable "):
        name = value.reason.split()[1]
        block = inst.mod.variables.get(name)
        sensitive = block.body.attr("sensitive") if block else None
        if sensitive is not None and inst.eval_attr(sensitive) is True:
            return f"var.{name} (sensitive)"
    return None


def _layer_ids(b: _Builder, value: Any) -> Iterator[str | Unknown]:
    if isinstance(value, Unknown):
        yield value
        return
    for item in _as_list(value):
        address = b.ref_of(item, "aws_lambda_layer_version")
        if address is not None:
            yield address
        elif isinstance(item, (str, Unknown)):
            yield item


def _lambda_module(b: _Builder, module: _SyntheticLambda) -> None:
    fid = module.function_id
    call_loc = module.block.location.with_id(fid)
    role_id: str | Unknown | None
    if module.value("create_role") is not False and not module.value("lambda_role"):
        role_id = module.role_id
        b.roles[role_id] = _module_role(b, module)
    else:
        role_id = b.role_id(module.value("lambda_role"), module.loc("lambda_role"))
    fn_name = module.value("function_name")
    handler = _as_text(module.value("handler"), module.loc("handler"))
    runtime = _as_text(module.value("runtime"), module.loc("runtime"))
    package = "Image" if module.value("package_type") == "Image" else "Zip"
    code_dir = _module_source_dir(b, module)
    handler_file = handler_function = None
    if isinstance(handler, str) and "." in handler:
        module_path, handler_function = handler.rsplit(".", 1)
        if code_dir is not None:
            handler_file = _find_handler(Path(code_dir), module_path, runtime, None)
    env_value = module.value("environment_variables")
    subnets = module.value("vpc_subnet_ids")
    groups = module.value("vpc_security_group_ids")
    vpc = None
    if subnets is not None or groups is not None:
        vpc = VpcConfig(module.loc("vpc_subnet_ids"), _subnet_ids(b, subnets), tuple(_group_ids(b, groups)))
    reserved = _as_int(module.value("reserved_concurrent_executions"),
                       module.loc("reserved_concurrent_executions"))
    fields = {model: module.loc(key) for model, key in (
        ("name", "function_name"), ("runtime", "runtime"), ("handler", "handler"), ("timeout", "timeout"),
        ("memory_size", "memory_size"), ("environment", "environment_variables"), ("layers", "layers"),
        ("reserved_concurrency", "reserved_concurrent_executions"), ("tracing", "tracing_mode"),
        ("vpc", "vpc_subnet_ids"), ("code", "source_path"), ("kms_key", "kms_key_arn"),
        ("role", "lambda_role")) if key in module.inputs}
    failure = module.value("destination_on_failure")
    dlq = module.value("dead_letter_target_arn")
    b.functions[fid] = Function(
        id=fid, location=call_loc, field_locations=fields,
        name=_as_text(fn_name, module.loc("function_name")), runtime=runtime, handler=handler,
        code=CodeLocation(code_dir, handler_file, handler_function, handler=handler, package_type=package,
                          image_uri=_as_text(module.value("image_uri"), module.loc("image_uri"))),
        timeout=_as_int(module.value("timeout"), module.loc("timeout")),
        memory_size=_as_int(module.value("memory_size"), module.loc("memory_size")),
        role=role_id,
        environment=_environment(b, env_value, module.loc("environment_variables"), module.inst),
        kms_key=_as_text(module.value("kms_key_arn"), module.loc("kms_key_arn")),
        layers=tuple(_layer_ids(b, module.value("layers"))), vpc=vpc,
        reserved_concurrency=None if reserved == -1 else reserved,
        tracing=_as_text(module.value("tracing_mode"), module.loc("tracing_mode")),
        code_signing_config=_as_text(module.value("code_signing_config_arn"),
                                     module.loc("code_signing_config_arn")),
        dead_letter=Destination("dlq", dlq, module.loc("dead_letter_target_arn")) if dlq else None,
        async_on_failure=Destination("on-failure", failure, module.loc("destination_on_failure"))
        if failure else None,
        package_type=package,
        architectures=tuple(a for a in _as_list(module.value("architectures")) if isinstance(a, str)))
    if module.value("create_lambda_function_url") is True:
        auth = _as_text(module.value("authorization_type"), module.loc("authorization_type"))
        url_loc = module.loc("create_lambda_function_url")
        b.triggers.append(Trigger(
            id=f"{module.prefix}aws_lambda_function_url.this", location=url_loc,
            field_locations={"auth": module.loc("authorization_type")}, kind=TriggerKind.FUNCTION_URL,
            function=fid, auth=_url_auth(auth, module.loc("authorization_type")),
            cors=map_cors(module.value("cors"), module.loc("cors")) if "cors" in module.inputs else None))
    triggers = module.value("allowed_triggers")
    if isinstance(triggers, dict):
        for key, spec in triggers.items():
            if not isinstance(spec, dict):
                continue
            loc = _key_loc(triggers, key, module.loc("allowed_triggers")).with_id(
                f"{module.prefix}aws_lambda_permission.triggers")
            service = spec.get("service")
            principal = spec.get("principal")
            if principal is None and isinstance(service, str):
                principal = f"{service}.amazonaws.com"
            b.permissions.append(Permission(
                id=f'{module.prefix}aws_lambda_permission.triggers["{key}"]', location=loc, function=fid,
                action=_as_text(spec.get("action", "lambda:InvokeFunction"), loc) or "lambda:InvokeFunction",
                principal=_as_text(principal, loc) or Unknown("no principal", loc),
                source_arn=_as_text(spec.get("source_arn"), loc),
                source_account=_as_text(spec.get("source_account"), loc),
                principal_org_id=_as_text(spec.get("principal_org_id"), loc)))
    elif isinstance(triggers, Unknown):
        b.loader.diag(DiagnosticKind.UNRESOLVED, f"{fid}: allowed_triggers not known statically; "
                         "its invoke permissions are not checked", module.loc("allowed_triggers"))


def _module_source_dir(b: _Builder, module: _SyntheticLambda) -> str | None:
    source = module.value("source_path")
    candidates = _as_list(source)
    for item in candidates:
        raw = item.get("path") if isinstance(item, dict) else item
        if isinstance(raw, str):
            path = module.inst._safe_path(raw, module.loc("source_path"))
            if isinstance(path, Path):
                if path.is_dir():
                    return str(path)
                if path.is_file():
                    return str(path.parent)
    local = module.value("local_existing_package")
    if isinstance(local, str):
        code_dir, _ = _code_dir(b, module.inst, local)
        return code_dir
    return None


def _module_role(b: _Builder, module: _SyntheticLambda) -> Role:
    rid = module.role_id
    loc = module.block.location.with_id(rid)
    fn_name = module.value("function_name")
    role_name = module.value("role_name") or fn_name
    trust = _module_trust(module, loc)
    policies: list[Policy] = []
    if module.value("attach_cloudwatch_logs_policy") is not False:
        group = exact_ref(f"{module.prefix}aws_cloudwatch_log_group.lambda.arn")
        actions: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
        if module.value("use_existing_cloudwatch_log_group") is not True:
            actions = ("logs:CreateLogGroup", *actions)
        statement = Statement("Allow", loc, actions=actions, resources=(f"{group}:*", f"{group}:*:*"))
        policies.append(Policy(f"{role_name}-logs", PolicyKind.CUSTOMER_MANAGED, loc,
                               PolicyDocument((statement,), loc), id=f"{module.prefix}aws_iam_policy.logs"))
    if module.value("attach_policy_statements") is True:
        policies.append(_module_statements(b, module))
    if module.value("attach_policy_json") is True:
        attr_loc = module.loc("policy_json")
        policies.append(Policy(str(role_name), PolicyKind.CUSTOMER_MANAGED, attr_loc,
                               policy_document(module.value("policy_json"), attr_loc,
                                               _expr_first_line(module.block.body.attr("policy_json"))),
                               id=f"{module.prefix}aws_iam_policy.additional_json"))
    if module.value("attach_policy_jsons") is True:
        attr_loc = module.loc("policy_jsons")
        for index, item in enumerate(_as_list(module.value("policy_jsons"))):
            policies.append(Policy(f"{role_name}-{index}", PolicyKind.CUSTOMER_MANAGED, attr_loc,
                                   policy_document(item, attr_loc),
                                   id=f"{module.prefix}aws_iam_policy.additional_jsons"))
    if module.value("attach_policy") is True:
        policies.append(_policy_from_arn(b, module.value("policy"), module.loc("policy")))
    if module.value("attach_policies") is True:
        policies_value = module.value("policies")
        if isinstance(policies_value, Unknown):
            policies.append(_policy_from_arn(b, policies_value, module.loc("policies")))
        for arn in _as_list(policies_value) if not isinstance(policies_value, Unknown) else []:
            policies.append(_policy_from_arn(b, arn, module.loc("policies")))
    if module.value("attach_network_policy") is True:
        policies.append(Policy(
            "AWSLambdaENIManagementAccess", PolicyKind.AWS_MANAGED, module.loc("attach_network_policy"), None,
            arn="arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"))
    if module.value("attach_tracing_policy") is True:
        policies.append(Policy("AWSXRayDaemonWriteAccess", PolicyKind.AWS_MANAGED, module.loc(
            "attach_tracing_policy"), None, arn="arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"))
    return Role(id=rid, location=loc, name=_as_text(role_name, loc), arn=exact_ref(f"{rid}.arn"),
                trust_policy=trust, policies=tuple(policies),
                permissions_boundary=_as_text(module.value("role_permissions_boundary"), loc), implicit=True)


def _module_statements(b: _Builder, module: _SyntheticLambda) -> Policy:
    attr_loc = module.loc("policy_statements")
    pid = f"{module.prefix}aws_iam_policy.additional_inline"
    statements = _statement_map(module.value("policy_statements"), attr_loc, pid, "policy_statements")
    name = f"{module.value('role_name') or module.value('function_name')}-inline"
    if isinstance(statements, Unknown):
        return Policy(name, PolicyKind.CUSTOMER_MANAGED, attr_loc,
                      PolicyDocument((), attr_loc, unresolved=statements), id=pid)
    return Policy(name, PolicyKind.CUSTOMER_MANAGED, attr_loc, PolicyDocument(statements, attr_loc), id=pid)


def _module_trust(module: _SyntheticLambda, loc: Location) -> PolicyDocument:
    """The role's trust policy as the module writes it: one statement for `lambda.amazonaws.com` (and
    `edgelambda.amazonaws.com` for Lambda@Edge) plus the services (strings) and principals (`{type,
    identifiers}`) of `trusted_entities`, then one statement per `assume_role_policy_statements` entry.
    Reading only the Lambda service hid a foreign account trusted this way (FG111)."""
    services: list[str | Unknown] = ["lambda.amazonaws.com"]
    if module.value("lambda_at_edge") is True:
        services.append("edgelambda.amazonaws.com")
    principals: dict[str, list[str | Unknown]] = {}
    entities = module.value("trusted_entities")
    where = module.loc("trusted_entities") if "trusted_entities" in module.inputs else loc
    unresolved: Unknown | None = None
    if isinstance(entities, Unknown):
        unresolved = Unknown(f"trusted_entities: {entities.reason}", where)
    for entity in _as_list(entities) if not isinstance(entities, Unknown) else []:
        if isinstance(entity, (str, Unknown)):
            services.append(entity)
        elif isinstance(entity, dict) and isinstance(entity.get("type"), str):
            principals.setdefault(entity["type"], []).extend(_strings(entity.get("identifiers")))
    principals["Service"] = list(dict.fromkeys([*services, *principals.get("Service", [])]))
    first = Statement("Allow", where.with_id(loc.logical_id), actions=("sts:AssumeRole",),
                      principals={kind: tuple(ids) for kind, ids in principals.items()})
    statements: list[Statement] = [first]
    if "assume_role_policy_statements" in module.inputs:
        extra = _statement_map(module.value("assume_role_policy_statements"),
                               module.loc("assume_role_policy_statements"), loc.logical_id or "",
                               "assume_role_policy_statements")
        if isinstance(extra, Unknown):
            unresolved = unresolved or extra
        else:
            statements.extend(extra)
    return PolicyDocument(tuple(statements), loc, unresolved=unresolved)


def _entries(value: Any) -> list[Any]:
    """A module input the module walks with `for_each`: the values of a map, the items of a list."""
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else []


def _statement_map(value: Any, attr_loc: Location, pid: str, name: str) -> tuple[Statement, ...] | Unknown:
    """A map of statements in the module's own spelling (`effect`, `actions`, `resources`, `principals` and
    `condition` as lists or maps of `{type, identifiers}` / `{test, variable, values}`), as IAM statements."""
    if not isinstance(value, dict):
        return value if isinstance(value, Unknown) else Unknown(f"{name} is not a map", attr_loc)
    statements: list[Statement] = []
    for key, spec in value.items():
        if not isinstance(spec, dict):
            continue
        loc = _value_loc(spec, _key_loc(value, key, attr_loc))
        item = LocatedDict(loc.path, loc.line, loc.column)
        item["Sid"] = spec.get("sid", re.sub(r"[^0-9A-Za-z]*", "", str(key)))
        item["Effect"] = spec.get("effect") or "Allow"
        for src, dst in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                         ("not_resources", "NotResource")):
            if spec.get(src) is not None:
                item[dst] = spec[src]
                if isinstance(spec, LocatedDict) and src in spec.key_locs:
                    item.key_locs[dst] = spec.key_locs[src]
        for src, dst in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if src in spec:
                principals: dict[str, list[Any]] = {}
                for p in _entries(spec.get(src)):
                    if isinstance(p, dict) and isinstance(p.get("type"), str):
                        principals.setdefault(p["type"], []).extend(_as_list(p.get("identifiers")))
                item[dst] = principals
        if "condition" in spec:
            condition: dict[str, dict[str, Any]] = {}
            for c in _entries(spec.get("condition")):
                if isinstance(c, dict) and isinstance(c.get("test"), str) and isinstance(c.get("variable"), str):
                    condition.setdefault(c["test"], {})[c["variable"]] = _as_list(c.get("values"))
            item["Condition"] = condition
        statements.append(_statement(item, loc.with_id(pid)))
    return tuple(statements)


def _plainify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plainify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plainify(v) for v in value]
    if isinstance(value, Unknown):
        return f"<unknown: {value.reason}>"
    return value


def _tags(value: Any) -> dict[str, str | Unknown]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, str | Unknown] = {}
    for key, item in value.items():
        plain = to_plain(item)
        out[str(key)] = plain if isinstance(plain, (str, Unknown)) else str(plain)
    return out


def _is_secret_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("{{resolve:secretsmanager:", "{{resolve:ssm-secure:"))


def _find_handler(code_dir: Path, module_path: str, runtime: Any, single: str | None) -> str | None:
    if single is not None:
        return single if Path(single).stem == module_path.rsplit("/", 1)[-1].rsplit(".", 1)[-1] else None
    relative = module_path.replace(".", "/") if not (isinstance(runtime, str) and runtime.startswith("node")) \
        else module_path
    suffixes = (".js", ".mjs", ".cjs", ".ts", ".py") if isinstance(runtime, str) and runtime.startswith("node") \
        else (".py", ".js", ".mjs", ".cjs", ".ts")
    if is_archive(code_dir):
        return find_member(code_dir, (f"{relative}{suffix}" for suffix in suffixes))
    for suffix in suffixes:
        candidate = code_dir / f"{relative}{suffix}"
        if candidate.is_file() and not candidate.is_symlink():
            return str(candidate)
    return None
