"""The Terraform builder's state and the reference resolution every resource family shares (`${...}` → address,
function and role ids).

The families (`_functions`, `_iam`, `_apis`, `_triggers`, `_storage`, `_network`, `_containers`, `_gcp`) are
plain functions taking the `_Builder` as `b`. They import this module (and the evaluation layers below it:
`_instances`, `_policies`, `_loader`), never the package entry, so no import circle runs through the builder.
HCL expression evaluation stays in `loaders._hcl`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from faasguard.loaders.terraform._instances import (
    ACCOUNT,
    _Instance,
    _strip_indexes,
)
from faasguard.loaders.terraform._loader import (
    _Entry,
    _Loader,
    _SyntheticHttpApi,
    _SyntheticLambda,
)
from faasguard.model import (
    Api,
    Application,
    Auth,
    AuthType,
    Container,
    Destination,
    Function,
    Layer,
    Location,
    Parameter,
    Permission,
    Policy,
    RegistryScanning,
    Resource,
    Role,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    Service,
    SourceKind,
    Subnet,
    Trigger,
    Unknown,
)

_REF = re.compile(r"\$\{((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*)(data\.)?([a-z][a-z0-9_]*)\.([\w-]+)"
                  r"(\[[^\]]*\])?((?:\.[\w-]+)*)")


class _Builder:
    """Turns the blocks of every instance of one root module into model nodes and links them."""

    def __init__(self, loader: _Loader, instances: list[_Instance]) -> None:
        self.loader = loader
        self.instances = instances
        self.prefixes = {inst.prefix for inst in instances}
        """The address prefix of every module instance (`module.m["a"].` for an expanded module call)."""
        self.entries: dict[str, list[_Entry]] = defaultdict(list)
        self.by_address: dict[str, _Entry] = {}
        self.functions: dict[str, Function] = {}
        self.function_names: dict[str, str] = {}
        self.roles: dict[str, Role] = {}
        self.role_policies: dict[str, list[Policy]] = defaultdict(list)
        self.triggers: list[Trigger] = []
        self.apis: dict[str, Api] = {}
        self.permissions: list[Permission] = []
        self.layers: list[Layer] = []
        self.containers: list[Container] = []
        self.groups: dict[str, SecurityGroup] = {}
        self.group_rules: dict[str, list[SecurityGroupRule]] = defaultdict(list)
        self.subnets: dict[str, Subnet] = {}
        self.route_tables: dict[str, RouteTable] = {}
        self.services: list[Service] = []
        self.resources: list[Resource] = []
        self.registry_scanning: list[RegistryScanning] = []
        self.parameters: list[Parameter] = []
        self.aliases: dict[str, str] = {}
        self.async_failures: dict[str, Destination] = {}
        self.async_successes: dict[str, Destination] = {}
        self.recursive_loops: dict[str, tuple[str | Unknown | None, Location]] = {}
        self.synthetic: list[_SyntheticLambda] = []
        self.synthetic_apis: list[_SyntheticHttpApi] = []

    # -------------------------------------------------------------------------- references

    def refs(self, value: Any) -> list[tuple[str, str, str]]:
        """(address, type, attribute path) of every `${...}` reference inside a value."""
        out: list[tuple[str, str, str]] = []
        for text in _texts(value):
            if "${" not in text:
                continue
            for match in _REF.finditer(text):
                modules, data, rtype, name, index, attrs = match.groups()
                prefix = modules or ""
                if "[" in prefix and prefix not in self.prefixes:  # a module instance only when expanded
                    prefix = _strip_indexes(prefix)
                address = f"{prefix}{'data.' if data else ''}{rtype}.{name}"
                if index and (data or address + index in self.by_address):  # an instance (see _expansion)
                    address += index
                out.append((address, rtype, attrs.lstrip(".")))
        return out

    def ref_of(self, value: Any, *types: str) -> str | None:
        for address, rtype, _ in self.refs(value):
            if not types or rtype in types:
                return address
        return None

    def function_id(self, value: Any) -> str | Unknown:
        if isinstance(value, Unknown):
            return value
        for address, rtype, _ in self.refs(value):
            if rtype == "aws_lambda_function":
                return address
            if rtype == "aws_lambda_alias" and address in self.aliases:
                return self.aliases[address]
        if isinstance(value, str):
            match = re.search(r":function:([A-Za-z0-9_-]+)", value)
            name = match.group(1) if match else value
            if name in self.function_names:
                return self.function_names[name]
            return Unknown(f"function {value} is not defined in this Terraform configuration")
        return Unknown("function reference is not a string")

    def role_id(self, value: Any, location: Location) -> str | Unknown | None:
        if value is None or isinstance(value, Unknown):
            return value
        address = self.ref_of(value, "aws_iam_role")
        if address is not None:
            return address
        if not isinstance(value, str):
            return Unknown("role is not a string", location)
        if "${" in value:
            return Unknown(f"role {value} is not defined in this configuration", location)
        name = value.rsplit("/", 1)[-1]
        for role in self.roles.values():
            if role.name == name and not role.external:
                return role.id
        if value not in self.roles:
            self.roles[value] = Role(id=value, location=location, name=name,
                                     arn=value if value.startswith("arn:") else None, external=True)
        return value

    # -------------------------------------------------------------------------- build


    # -------------------------------------------------------------------------- IAM


    # -------------------------------------------------------------------------- network


    # -------------------------------------------------------------------------- functions


    # -------------------------------------------------------------------------- the lambda module


    # -------------------------------------------------------------------------- triggers


    # -------------------------------------------------------------------------- API Gateway v1


    # -------------------------------------------------------------------------- API Gateway v2


    # -------------------------------------------------------------------------- data stores and the rest


    def _parameters(self) -> None:
        for inst in self.instances:
            if inst.prefix:
                continue
            for name, block in inst.mod.variables.items():
                default = block.body.attr("default")
                sensitive = block.body.attr("sensitive")
                self.parameters.append(Parameter(
                    name, block.location.with_id(f"var.{name}"),
                    default=inst.eval_attr(default) if default is not None else None,
                    has_default=default is not None,
                    no_echo=sensitive is not None and inst.eval_attr(sensitive) is True))

    def application(self, name: str, root: Path, files: Sequence[str]) -> Application:
        return Application(
            name=name, source=SourceKind.TERRAFORM, root=str(root), files=tuple(files),
            functions=tuple(self.functions.values()), roles=tuple(self.roles.values()),
            triggers=tuple(self.triggers), apis=tuple(self.apis.values()), permissions=tuple(self.permissions),
            layers=tuple(self.layers), containers=tuple(self.containers),
            security_groups=tuple(self.groups.values()), subnets=tuple(self.subnets.values()),
            route_tables=tuple(self.route_tables.values()), services=tuple(self.services),
            resources=tuple(self.resources),
            registry_scanning=tuple(self.registry_scanning),
            parameters=tuple(self.parameters), account_id=ACCOUNT)


def _texts(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item, depth + 1)


def _url_auth(auth: str | Unknown | None, location: Location) -> Auth:
    if isinstance(auth, Unknown):
        return Auth(AuthType.UNKNOWN, location, detail=auth.reason)
    if auth == "AWS_IAM":
        return Auth(AuthType.IAM, location)
    if auth == "NONE":
        return Auth(AuthType.NONE, location, detail="authorization_type = NONE")
    return Auth(AuthType.UNKNOWN, location, detail=f"authorization_type {auth!r}")
