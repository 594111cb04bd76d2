"""Lambda functions (SAM and plain CloudFormation), their environment, layers and async destinations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faasguard.loaders.cloudformation._code import (
    _asset_dir,
    _cfn_code,
    _local_dir,
    _sam_code,
)
from faasguard.loaders.cloudformation._core import (
    _as_int,
    _as_str,
    _Builder,
    _dig,
    _key_loc,
)
from faasguard.loaders.cloudformation._iam import (
    _function_role,
)
from faasguard.loaders.cloudformation._network import _vpc
from faasguard.loaders.cloudformation._secrets import _secret_attribute
from faasguard.loaders.cloudformation._triggers import (
    _sam_events,
    _target_or_value,
    _url_trigger,
)
from faasguard.model import (
    CodeLocation,
    Destination,
    EnvVar,
    Function,
    Layer,
    Location,
    Unknown,
)


def _sam_function(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.merged_raw(logical_id)
    where = b.loc(logical_id)
    role = _function_role(b, logical_id, props, raw, where, sam=True)
    runtime = _as_str(props.get("Runtime"), where)
    handler = _as_str(props.get("Handler"), where)
    declared_type = props.get("PackageType")
    package_type = declared_type if isinstance(declared_type, str) else ("Image" if "ImageUri" in props else "Zip")
    code = _sam_code(b, logical_id, props, runtime, handler, package_type=package_type, where=where)
    tracing = props.get("Tracing")
    function = _function(b, logical_id, props, raw, where, role=role, runtime=runtime, handler=handler,
                              code=code, package_type=package_type, tracing=_as_str(tracing, where), sam=True)
    b.functions[logical_id] = function
    _sam_events(b, logical_id, props, raw, where)
    url = props.get("FunctionUrlConfig")
    if isinstance(url, dict):
        _url_trigger(b, f"{logical_id}Url", logical_id, url, _key_loc(props, "FunctionUrlConfig", where))


def _cfn_function(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    role = _function_role(b, logical_id, props, raw, where, sam=False)
    runtime = _as_str(props.get("Runtime"), where)
    handler = _as_str(props.get("Handler"), where)
    declared_type = props.get("PackageType")
    package_type = declared_type if isinstance(declared_type, str) else "Zip"
    code = _cfn_code(b, logical_id, props, runtime, handler, package_type=package_type, where=where)
    tracing_config = props.get("TracingConfig")
    tracing = _as_str(tracing_config.get("Mode"), where) if isinstance(tracing_config, dict) else \
        (tracing_config if isinstance(tracing_config, Unknown) else None)
    b.functions[logical_id] = _function(b,
        logical_id, props, raw, where, role=role, runtime=runtime, handler=handler, code=code,
        package_type=package_type, tracing=tracing, sam=False)


def _field_map(sam: bool) -> dict[str, str]:
    """`Function` field → the property that sets it, in a SAM or a plain CloudFormation function."""
    return {
        "name": "FunctionName", "runtime": "Runtime", "handler": "Handler", "timeout": "Timeout",
        "memory_size": "MemorySize", "role": "Role", "environment": "Environment", "kms_key": "KmsKeyArn",
        "layers": "Layers", "vpc": "VpcConfig", "reserved_concurrency": "ReservedConcurrentExecutions",
        "tracing": "Tracing" if sam else "TracingConfig", "code_signing_config": "CodeSigningConfigArn",
        "dead_letter": "DeadLetterQueue" if sam else "DeadLetterConfig", "async_on_failure": "EventInvokeConfig",
        "package_type": "PackageType", "architectures": "Architectures", "tags": "Tags",
        "code": "CodeUri" if sam else "Code", "recursive_loop": "RecursiveLoop",
    }


_SAM_FIELDS = _field_map(sam=True)
_CFN_FIELDS = _field_map(sam=False)


def _function(b: _Builder, logical_id: str, props: dict[str, Any], raw: Mapping[str, Any], where: Location, *,
              role: str | Unknown | None, runtime: str | Unknown | None, handler: str | Unknown | None,
              code: CodeLocation, package_type: str, tracing: str | Unknown | None, sam: bool) -> Function:
    field_locations = b.fields(logical_id, props, _SAM_FIELDS if sam else _CFN_FIELDS)
    if "role" not in field_locations and "Policies" in props:
        field_locations["role"] = _key_loc(props, "Policies", where)
    if logical_id in b._invoke_configs and "async_on_failure" not in field_locations:
        field_locations["async_on_failure"] = b._invoke_configs[logical_id].location
    async_success = b._invoke_successes.get(logical_id)
    if sam and "Handler" in props and "code" not in field_locations:
        field_locations["code"] = _key_loc(props, "Handler", where)
    if "ImageUri" in props:
        field_locations["image_uri"] = _key_loc(props, "ImageUri", where)
    elif isinstance(props.get("Code"), dict) and "ImageUri" in props["Code"]:
        field_locations["image_uri"] = _key_loc(props["Code"], "ImageUri", where)
    dead_letter = None
    dlq = props.get("DeadLetterQueue") if sam else props.get("DeadLetterConfig")
    if isinstance(dlq, dict) and dlq.get("TargetArn") is not None:
        dlq_raw = raw.get("DeadLetterQueue" if sam else "DeadLetterConfig")
        dead_letter = Destination("dlq", _target_or_value(b,
            dlq_raw.get("TargetArn") if isinstance(dlq_raw, dict) else None, dlq["TargetArn"], where),
            _key_loc(props, "DeadLetterQueue" if sam else "DeadLetterConfig", where))
    async_failure = b._invoke_configs.get(logical_id)
    config = props.get("EventInvokeConfig") if sam else None
    if isinstance(config, dict):
        destination = _dig(config, "DestinationConfig", "OnFailure", "Destination")
        raw_destination = _dig(raw.get("EventInvokeConfig"), "DestinationConfig", "OnFailure", "Destination")
        on_failure = _dig(config, "DestinationConfig", "OnFailure")
        if destination is not None:
            async_failure = Destination("on-failure", _target_or_value(b, raw_destination, destination, where),
                                        _key_loc(config, "DestinationConfig", where))
        elif isinstance(on_failure, dict) and on_failure.get("Type") is not None:
            async_failure = Destination("on-failure", Unknown("SAM-generated destination", where),
                                        _key_loc(config, "DestinationConfig", where))
        success = _dig(config, "DestinationConfig", "OnSuccess", "Destination")
        if success is not None:
            async_success = Destination("on-success", _target_or_value(
                b, _dig(raw.get("EventInvokeConfig"), "DestinationConfig", "OnSuccess", "Destination"), success,
                where), _key_loc(config, "DestinationConfig", _key_loc(props, "EventInvokeConfig", where)))
    if async_success is not None:
        field_locations.setdefault("async_on_success", async_success.location)
    architectures = props.get("Architectures")
    return Function(
        id=logical_id, location=where, field_locations=field_locations,
        name=_as_str(props.get("FunctionName"), where), runtime=runtime, handler=handler, code=code,
        timeout=_as_int(props.get("Timeout"), field_locations.get("timeout", where)),
        memory_size=_as_int(props.get("MemorySize"), where), role=role,
        environment=_environment(b, props, raw, where),
        kms_key=_as_str(props.get("KmsKeyArn"), where),
        layers=_layers_of(b, props, raw, where),
        vpc=_vpc(b, props, raw, where),
        reserved_concurrency=_as_int(props.get("ReservedConcurrentExecutions"), where),
        tracing=tracing,
        code_signing_config=_as_str(props.get("CodeSigningConfigArn"), where),
        dead_letter=dead_letter, async_on_failure=async_failure, async_on_success=async_success,
        recursive_loop=_as_str(props.get("RecursiveLoop"), where), package_type=package_type,
        architectures=tuple(a for a in architectures if isinstance(a, str))
        if isinstance(architectures, list) else (),
        tags=b._tags(props.get("Tags"), where))


def _environment(b: _Builder, props: Mapping[str, Any], raw: Mapping[str, Any], where: Location) -> tuple[EnvVar, ...]:
    environment = props.get("Environment")
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    if not isinstance(variables, dict):
        return ()
    raw_env = raw.get("Environment")
    raw_variables = raw_env.get("Variables") if isinstance(raw_env, dict) else None
    raw_variables = raw_variables if isinstance(raw_variables, dict) else {}
    base = _key_loc(environment, "Variables", where)
    out: list[EnvVar] = []
    for name, value in variables.items():
        var_where = _key_loc(variables, name, base)
        text = _as_str(value, var_where)
        if text is None:
            text = ""
        reference = isinstance(text, str) and ("{{resolve:secretsmanager:" in text
                                               or "{{resolve:ssm-secure:" in text)
        out.append(EnvVar(str(name), text, var_where, secret_reference=reference,
                          from_secret_attribute=_secret_attribute(b, raw_variables.get(name))))
    return tuple(out)


def _layers_of(b: _Builder, props: Mapping[str, Any], raw: Mapping[str, Any],
               where: Location) -> tuple[str | Unknown, ...]:
    layers = props.get("Layers")
    raw_layers = raw.get("Layers")
    if not isinstance(layers, list):
        return () if layers is None else (Unknown("layers cannot be resolved", where),)
    raw_items = raw_layers if isinstance(raw_layers, list) and len(raw_layers) == len(layers) else layers
    out: list[str | Unknown] = []
    for item, raw_item in zip(layers, raw_items, strict=False):
        target = b.resolver.target(raw_item, ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"))
        if target is not None:
            out.append(target)
        else:
            text = _as_str(item, where)
            if text is not None:
                out.append(text)
    return tuple(out)


def _invoke_config(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    raw = b.raw_props(logical_id)
    where = b.loc(logical_id)
    function = b._function_target(raw.get("FunctionName"))
    destination = _dig(props, "DestinationConfig", "OnFailure", "Destination")
    if isinstance(function, str) and destination is not None:
        b._invoke_configs[function] = Destination(
            "on-failure", _target_or_value(b, _dig(raw, "DestinationConfig", "OnFailure", "Destination"),
                                                destination, where),
            _key_loc(props, "DestinationConfig", where))
    success = _dig(props, "DestinationConfig", "OnSuccess", "Destination")
    if isinstance(function, str) and success is not None:
        b._invoke_successes[function] = Destination(
            "on-success", _target_or_value(b, _dig(raw, "DestinationConfig", "OnSuccess", "Destination"),
                                                success, where),
            _key_loc(props, "DestinationConfig", where))


def _layer(b: _Builder, logical_id: str) -> None:
    props = b.props(logical_id)
    where = b.loc(logical_id)
    content = props.get("ContentUri") if "ContentUri" in props else props.get("Content")
    content_dir = None
    if isinstance(content, str) and not content.startswith("s3://"):
        content_dir = _local_dir(b, content)
    content_dir = _asset_dir(b, logical_id) or content_dir
    runtimes = props.get("CompatibleRuntimes")
    b.layers.append(Layer(
        id=logical_id, location=where,
        field_locations=b.fields(logical_id, props, {"name": "LayerName", "content_dir": "ContentUri",
                                                        "compatible_runtimes": "CompatibleRuntimes"}),
        arn=f"${{{logical_id}}}", name=_as_str(props.get("LayerName"), where), content_dir=content_dir,
        compatible_runtimes=tuple(r for r in runtimes if isinstance(r, str)) if isinstance(runtimes, list)
        else ()))


