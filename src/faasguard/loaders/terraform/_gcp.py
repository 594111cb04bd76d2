"""Cloud Run in Terraform (`google_cloud_run_v2_service`, `google_cloud_run_service`) → `Container` nodes.

The nodes are those `loaders/cloudrun.py` builds from Knative YAML, so the container rules (FG705–FG709), FG201
(container environment) and FG604 (image by digest) read one shape whatever the source:

* platform "cloudrun" with `security_context_enforced=False`: the google provider always targets fully managed
  Cloud Run (Cloud Run for Anthos is configured through Kubernetes resources, not these), and fully managed
  Cloud Run ignores a container's securityContext. The provider's schema has no `security_context` block for
  these containers (so `terraform validate` rejects one); a block copied in from a Kubernetes manifest is
  still recorded as declared-but-unenforced, which is exactly what FG709 says.
* Values are normalised to the Knative annotation spellings the rules compare against: v2
  `INGRESS_TRAFFIC_ALL` → `all`, `INGRESS_TRAFFIC_INTERNAL_ONLY` → `internal`,
  `INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER` → `internal-and-cloud-load-balancing`; `vpc_access.egress`
  `ALL_TRAFFIC` → `all-traffic`, `PRIVATE_RANGES_ONLY` → `private-ranges-only`; v2 `timeout = "300s"` → 300.
* `invokers` are the members bound to `roles/run.invoker` by the `*_iam_member`, `*_iam_binding` and
  `*_iam_policy` resources of either API version (the policy through `data "google_iam_policy"` or a
  `jsonencode({bindings = [...]})` literal), plus `allUsers` when a v2 service sets `invoker_iam_disabled =
  true` (Cloud Run then skips the IAM check: anyone may invoke it). `field_locations["invokers"]` is the first
  public member's line, where the fix goes.
* Service-level settings (ingress, service account, max instances, timeout) repeat on every container of a
  service, as in the Knative loader; the rules report them once per service (`Container.task` is the service's
  address). A setting that is absent is located at the resource's first line (the problem is an absence).

A reference to `data.google_compute_default_service_account.*.email` *is* the default compute service account
(that is what the data source returns), so it is recorded as `PROJECT_NUMBER-compute@developer.gserviceaccount.com`
for FG707 rather than as an opaque reference.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from faasguard.findings import DiagnosticKind
from faasguard.loaders._hcl import to_plain
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.loaders.terraform._functions import _secret_attribute
from faasguard.loaders.terraform._instances import _Res
from faasguard.model import Container, EnvVar, Location, Unknown

if TYPE_CHECKING:
    from faasguard.loaders.terraform._core import _Builder
    from faasguard.loaders.terraform._loader import _Entry

SERVICE_TYPES = ("google_cloud_run_v2_service", "google_cloud_run_service")
IAM_TYPES: Mapping[str, str] = {
    "google_cloud_run_v2_service_iam_member": "name", "google_cloud_run_v2_service_iam_binding": "name",
    "google_cloud_run_v2_service_iam_policy": "name", "google_cloud_run_service_iam_member": "service",
    "google_cloud_run_service_iam_binding": "service", "google_cloud_run_service_iam_policy": "service",
}
"""IAM resource type → the attribute naming its service."""
TYPES = (*SERVICE_TYPES, *IAM_TYPES)

INVOKER_ROLE = "roles/run.invoker"
PUBLIC_MEMBERS = frozenset({"allusers", "allauthenticatedusers"})
INGRESS = "run.googleapis.com/ingress"
MAX_SCALE = "autoscaling.knative.dev/maxScale"
VPC_EGRESS = "run.googleapis.com/vpc-access-egress"
DEFAULT_COMPUTE_ACCOUNT = "PROJECT_NUMBER-compute@developer.gserviceaccount.com"

_INGRESS_V2 = {"INGRESS_TRAFFIC_ALL": "all", "INGRESS_TRAFFIC_INTERNAL_ONLY": "internal",
               "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER": "internal-and-cloud-load-balancing"}
_EGRESS_V2 = {"ALL_TRAFFIC": "all-traffic", "PRIVATE_RANGES_ONLY": "private-ranges-only"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")

Member = tuple[str | Unknown, Location]


def cloud_run_containers(builder: _Builder) -> list[Container]:
    """Every container of every Cloud Run service in the root module (and its local modules)."""
    invokers = _invokers(builder)
    out: list[Container] = []
    for entry in builder.entries.get("google_cloud_run_v2_service", ()):
        out.extend(_service(builder, entry, invokers.get(entry.res.address, []), v2=True))
    for entry in builder.entries.get("google_cloud_run_service", ()):
        out.extend(_service(builder, entry, invokers.get(entry.res.address, []), v2=False))
    return out


# ------------------------------------------------------------------------------------------ invokers

FUNCTION_TYPES = ("google_cloudfunctions_function", "google_cloudfunctions2_function")
"""Cloud Functions (read by `_gcf`): a gen 2 function *is* a Cloud Run service, so Cloud Run IAM may name one."""


def cloud_function_names(builder: _Builder) -> dict[str, str]:
    """Literal Cloud Function name → address."""
    names: dict[str, str] = {}
    for rtype in FUNCTION_TYPES:
        for entry in builder.entries.get(rtype, ()):
            name = entry.res.get("name")
            if isinstance(name, str) and "${" not in name:
                names[name] = entry.res.address
    return names


def grants_on_function(builder: _Builder, value: Any) -> bool:
    """Whether a Cloud Run IAM resource's service names a gen 2 function (its invoker grant is the function's,
    read by `_gcf`)."""
    if builder.ref_of(value, FUNCTION_TYPES[1]) is not None:
        return True
    return isinstance(value, str) and "${" not in value and value.rsplit("/", 1)[-1] in cloud_function_names(builder)


def _service_names(builder: _Builder) -> dict[str, str]:
    """Literal service name → address, for IAM resources that name their service by a string."""
    names: dict[str, str] = {}
    for rtype in SERVICE_TYPES:
        for entry in builder.entries.get(rtype, ()):
            res = entry.res
            name = res.get("name")
            if name is None and rtype == "google_cloud_run_service":
                metadata = res.first_block("metadata")
                name = metadata.get("name") if metadata is not None else None
            if isinstance(name, str) and "${" not in name:
                names[name] = res.address
    return names


def _invokers(builder: _Builder) -> dict[str, list[Member]]:
    """Service address → (member, location) of every `roles/run.invoker` grant on it."""
    out: dict[str, list[Member]] = defaultdict(list)
    names: dict[str, str] | None = None
    for rtype, service_attr in IAM_TYPES.items():
        for entry in builder.entries.get(rtype, ()):
            res = entry.res
            value = res.get(service_attr)
            address = builder.ref_of(value, *SERVICE_TYPES)
            if address is None and isinstance(value, str) and "${" not in value:
                names = _service_names(builder) if names is None else names
                address = names.get(value.rsplit("/", 1)[-1])
            if address is None and grants_on_function(builder, value):
                continue  # the Cloud Run service of a gen 2 Cloud Function: `_gcf` reads the grant
            if address is None:
                builder.loader.diag(DiagnosticKind.INFO, f"{res.address}: the Cloud Run service it grants access "
                                    "to is not defined in this configuration; not checked", res.location)
                continue
            if rtype.endswith("_iam_policy"):
                out[address].extend(_policy_members(builder, entry))
                continue
            if res.text("role") != INVOKER_ROLE:
                continue
            if rtype.endswith("_iam_member"):
                out[address].append((_member(res.get("member")), res.loc("member")))
            else:
                out[address].extend(_members(res.get("members"), res.loc("members")))
    return out


def _member(value: Any) -> str | Unknown:
    if isinstance(value, (str, Unknown)):
        return value
    plain = to_plain(value)
    return plain if isinstance(plain, str) else Unknown(f"member is not a string: {value!r}")


def _members(value: Any, location: Location) -> list[Member]:
    if isinstance(value, Unknown):
        return [(value, location)]
    if not isinstance(value, list):
        return []
    out: list[Member] = []
    for index, item in enumerate(value):
        loc = value.item_loc(index, location.logical_id) if isinstance(value, LocatedList) and value.path \
            else location
        out.append((_member(item), loc))
    return out


def _policy_members(builder: _Builder, entry: _Entry, roles: frozenset[str] = frozenset({INVOKER_ROLE}),
                    ) -> list[Member]:
    """Invoker members (of any of `roles`) of an `*_iam_policy` resource's `policy_data`."""

    res = entry.res
    value = res.get("policy_data")
    location = res.loc("policy_data")
    for address, rtype, _attr in builder.refs(value):
        if rtype != "google_iam_policy" or ".data." not in f".{address}":
            continue
        data_name = address.rsplit(".", 1)[-1]
        block = entry.inst.mod.data.get(("google_iam_policy", data_name))
        if block is None:
            return [(Unknown(f"{address} is not defined in this module", location), location)]
        data = _Res(entry.inst, block, f"{entry.inst.prefix}data.google_iam_policy.{data_name}")
        members: list[Member] = []
        for binding in data.blocks("binding")[0]:
            if binding.text("role") in roles:
                members.extend(_members(binding.get("members"), binding.loc("members")))
        return members
    document = _json_document(value)
    if isinstance(document, Mapping):
        members = []
        bindings = document.get("bindings")
        for binding in bindings if isinstance(bindings, list) else []:
            if isinstance(binding, Mapping) and binding.get("role") in roles:
                loc = binding.loc(location.logical_id) if isinstance(binding, LocatedDict) and binding.path \
                    else location
                members.extend(_members(binding.get("members"), loc))
        return members
    reason = value.reason if isinstance(value, Unknown) else "policy_data is not known statically"
    return [(Unknown(reason, location), location)]


def _json_document(value: Any) -> Any:
    if isinstance(value, str) and value.strip().startswith("{"):
        import json

        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return None
    return value


# ------------------------------------------------------------------------------------------ services

def _service(builder: _Builder, entry: _Entry, members: list[Member], *, v2: bool) -> list[Container]:
    res = entry.res
    address = res.address
    here = res.location
    service: dict[str, Any] = {}
    fields: dict[str, Location] = {}
    template = res.first_block("template")

    def put(field_name: str, value: Any, location: Location | None) -> None:
        service[field_name] = value
        if location is not None and value is not None:
            fields[field_name] = location.with_id(address)

    if v2:
        ingress = res.text("ingress")
        put("ingress", _INGRESS_V2.get(ingress, ingress) if isinstance(ingress, str) else ingress,
            res.loc("ingress"))
        if template is not None:
            put("service_account", _account(builder, template.get("service_account"),
                                            template.loc("service_account")), template.loc("service_account"))
            if template.has("timeout"):
                put("timeout", _duration(template.get("timeout"), template.loc("timeout")), template.loc("timeout"))
            scaling = template.first_block("scaling") or res.first_block("scaling")
            if scaling is not None and scaling.has("max_instance_count"):
                put("max_instances", scaling.num("max_instance_count"), scaling.loc("max_instance_count"))
            vpc = template.first_block("vpc_access")
            if vpc is not None:
                egress = vpc.text("egress")
                put("vpc_egress", _EGRESS_V2.get(egress, egress) if isinstance(egress, str) else egress,
                    vpc.loc("egress") if vpc.has("egress") else vpc.location)
        containers = template.blocks("containers") if template is not None else ([], None)
        if res.flag("invoker_iam_disabled") is True:
            members = [("allUsers", res.loc("invoker_iam_disabled")), *members]
    else:
        metadata = res.first_block("metadata")
        annotations = metadata.get("annotations") if metadata is not None else None
        _annotation(put, annotations, "ingress", INGRESS, metadata)
        spec = template.first_block("spec") if template is not None else None
        template_metadata = template.first_block("metadata") if template is not None else None
        template_annotations = template_metadata.get("annotations") if template_metadata is not None else None
        _annotation(put, template_annotations, "max_instances", MAX_SCALE, template_metadata)
        _annotation(put, template_annotations, "vpc_egress", VPC_EGRESS, template_metadata)
        if isinstance(service.get("max_instances"), str):
            service["max_instances"] = _int(service["max_instances"])
        if spec is not None:
            put("service_account", _account(builder, spec.get("service_account_name"),
                                            spec.loc("service_account_name")), spec.loc("service_account_name"))
            if spec.has("timeout_seconds"):
                put("timeout", spec.num("timeout_seconds"), spec.loc("timeout_seconds"))
        containers = spec.blocks("containers") if spec is not None else ([], None)

    invokers = tuple(member for member, _ in members)
    public = [loc for member, loc in members if isinstance(member, str) and member.lower() in PUBLIC_MEMBERS]
    if members:
        fields["invokers"] = (public[0] if public else members[0][1])
    for field_name in ("ingress", "service_account", "max_instances", "timeout"):
        fields.setdefault(field_name, here)

    blocks, unknown = containers
    if unknown is not None:
        builder.loader.diag(DiagnosticKind.UNRESOLVED, f"{address}: {unknown.reason}; those containers are not "
                            "checked", unknown.location or here)
    out: list[Container] = []
    for index, block in enumerate(blocks):
        name = block.text("name")
        container_id = address if len(blocks) == 1 else f"{address}/{name if isinstance(name, str) else index}"
        out.append(_container(builder, entry, block, container_id, address, v2=v2, service=service,
                              fields=fields, invokers=invokers))
    return out


def _annotation(put: Any, annotations: Any, field_name: str, key: str, holder: _Res | None) -> None:
    if holder is None or annotations is None:
        return
    if isinstance(annotations, Unknown):
        put(field_name, Unknown(f"annotations not known statically ({annotations.reason})", holder.loc(
            "annotations")), holder.loc("annotations"))
        return
    if not isinstance(annotations, Mapping) or key not in annotations:
        return
    value = annotations[key]
    plain = to_plain(value)
    location = holder.loc("annotations")
    if isinstance(annotations, LocatedDict) and key in annotations.key_locs and annotations.path:
        line, column = annotations.key_locs[key]
        location = Location(annotations.path, line, column)
    put(field_name, plain if isinstance(plain, (str, Unknown)) else str(plain), location)


def _container(builder: _Builder, entry: _Entry, block: _Res, container_id: str, address: str, *, v2: bool,
               service: Mapping[str, Any], fields: Mapping[str, Location], invokers: tuple[str | Unknown, ...],
               ) -> Container:
    loc = block.location.with_id(container_id)
    own = dict(fields)
    image = block.text("image")
    if block.has("image"):
        own["image"] = block.loc("image").with_id(container_id)
    cpu: str | Unknown | None = None
    memory: str | Unknown | None = None
    resources = block.first_block("resources")
    if resources is not None:
        own["memory_limit"] = (resources.loc("limits") if resources.has("limits") else resources.location
                               ).with_id(container_id)
        limits = resources.get("limits")
        if isinstance(limits, Unknown):
            cpu = memory = limits
        elif isinstance(limits, Mapping):
            cpu, memory = _text(limits.get("cpu")), _text(limits.get("memory"))
    security = block.first_block("security_context")
    run_as_non_root: bool | Unknown | None = None
    privileged = read_only = escalation = None
    if security is not None:
        own["security_context"] = security.location.with_id(container_id)
        run_as_non_root = security.flag("run_as_non_root")
        privileged = security.flag("privileged")
        read_only = security.flag("read_only_root_filesystem")
        escalation = security.flag("allow_privilege_escalation")
    return Container(
        id=container_id, location=loc, field_locations=own, platform="cloudrun", task=address,
        image=image, run_as_non_root=run_as_non_root, privileged=privileged,
        read_only_root_filesystem=read_only, allow_privilege_escalation=escalation,
        security_context_declared=security is not None, security_context_enforced=False,
        environment=_environment(builder, entry, block, container_id, v2=v2),
        cpu_limit=cpu, memory_limit=memory,
        service_account=service.get("service_account"), ingress=service.get("ingress"),
        max_instances=service.get("max_instances"), timeout=service.get("timeout"),
        invokers=invokers, vpc_egress=service.get("vpc_egress"),
    )


def _environment(builder: _Builder, entry: _Entry, block: _Res, container_id: str, *, v2: bool,
                 ) -> tuple[EnvVar, ...]:
    envs, unknown = block.blocks("env")
    out: list[EnvVar] = []
    if unknown is not None:
        out.append(EnvVar("*", unknown, (unknown.location or block.location).with_id(container_id)))
    for env in envs:
        name = env.text("name")
        if not isinstance(name, str):
            continue
        source = env.first_block("value_source" if v2 else "value_from")
        if source is not None:
            ref = source.first_block("secret_key_ref")
            loc = (ref.location if ref is not None else source.location).with_id(container_id)
            if ref is None:
                out.append(EnvVar(name, Unknown("value from a reference that is not a secret", loc), loc))
                continue
            secret = ref.text("secret" if v2 else "name")
            version = ref.text("version" if v2 else "key")
            out.append(EnvVar(name, f"secret:{_show(secret)}:{_show(version) if version is not None else 'latest'}",
                              loc, secret_reference=True))
            continue
        raw = env.get("value")
        loc = (env.loc("value") if env.has("value") else env.location).with_id(container_id)
        plain = to_plain(raw)
        value: str | Unknown = plain if isinstance(plain, (str, Unknown)) else ("" if plain is None else str(plain))
        out.append(EnvVar(name, value, loc, from_secret_attribute=_secret_attribute(builder, raw, entry.inst)))
    return tuple(out)


# ------------------------------------------------------------------------------------------ values

def _account(builder: _Builder, value: Any, location: Location) -> str | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    for _address, rtype, _attr in builder.refs(value):
        if rtype == "google_compute_default_service_account":
            return DEFAULT_COMPUTE_ACCOUNT
    plain = to_plain(value)
    return plain if isinstance(plain, str) else Unknown("service account is not a string", location)


def _duration(value: Any, location: Location) -> int | Unknown | None:
    """A protobuf duration (`"300s"`, `"3.5s"`) → whole seconds (rounded up)."""
    if value is None or isinstance(value, Unknown):
        return value
    match = _DURATION.match(str(value))
    if match is None:
        return Unknown(f"timeout {value!r} is not a duration in seconds", location)
    return math.ceil(float(match.group(1)))


def _int(value: str) -> int | Unknown:
    try:
        return int(value)
    except ValueError:
        return Unknown(f"not an integer: {value!r}")


def _text(value: Any) -> str | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    plain = to_plain(value)
    return plain if isinstance(plain, str) else str(plain)


def _show(value: str | Unknown | None) -> str:
    return value if isinstance(value, str) else "?"
