"""Google Cloud Functions in Terraform (`google_cloudfunctions_function` gen 1, `google_cloudfunctions2_function`
gen 2) → `Function` nodes with platform "gcp-functions", so the function rules that mean the same on Google
Cloud (FG201 environment secrets, FG402 runtime deprecation, FG705-FG707 exposure and identity, the code rules
through the handler) read one shape whatever the platform.

What a reader would otherwise get wrong:

* The default runtime identity differs by generation: a gen 1 function without `service_account_email` runs as
  the App Engine default service account (`PROJECT_ID@appspot.gserviceaccount.com`), a gen 2 function as the
  Compute Engine default (`PROJECT_NUMBER-compute@developer.gserviceaccount.com`). Both are project-wide
  defaults that historically hold Editor, so an absent account stays None (the rule names the default) and a
  reference to `data.google_compute_default_service_account` / `data.google_app_engine_default_service_account`
  is recorded as the default it returns.
* Public invocation is decided by IAM alone: `allUsers` / `allAuthenticatedUsers` bound to
  `roles/cloudfunctions.invoker` (gen 1 and gen 2 `*_function_iam_*` resources) or `roles/run.invoker` on the
  Cloud Run service a gen 2 function runs as (`google_cloud_run_service_iam_*` / `google_cloud_run_v2_service_iam_*`
  naming the function). A binding that names a function this configuration does not define still makes that
  function public, so it becomes an `external` function node carrying only the binding (everything else
  Unknown), and FG706 reports it.
* HTTP functions get a `HTTP_FUNCTION` trigger whose auth is NONE when the invoker is public and IAM otherwise
  (the platform checks the invoker role on every request); event functions get an OTHER trigger naming the
  event type and resource. Ingress is normalised to Cloud Run's spelling (`ALLOW_ALL` → `all`,
  `ALLOW_INTERNAL_ONLY` → `internal`, `ALLOW_INTERNAL_AND_GCLB` → `internal-and-cloud-load-balancing`), VPC
  connector egress likewise (`ALL_TRAFFIC` → `all-traffic`, `PRIVATE_RANGES_ONLY` → `private-ranges-only`).
* Python code is found through the uploaded archive: `source_archive_object` (gen 1) or
  `build_config.source.storage_source.object` (gen 2) names a `google_storage_bucket_object` whose `source` is
  an `archive_file` output (by reference or by the same literal path) or a directory; the handler is
  `entry_point` in the package's `main.py`, as the Python runtime loads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard.loaders._hcl import to_plain
from faasguard.loaders.terraform._functions import _environment, _package
from faasguard.loaders.terraform._gcp import FUNCTION_TYPES, _member, _members, _policy_members, cloud_function_names
from faasguard.model import (
    Auth,
    AuthType,
    CodeLocation,
    EnvVar,
    Function,
    Location,
    Trigger,
    TriggerKind,
    Unknown,
)

if TYPE_CHECKING:
    from faasguard.loaders.terraform._core import _Builder
    from faasguard.loaders.terraform._instances import _Res

GEN1, GEN2 = FUNCTION_TYPES
INVOKER_ROLES = frozenset({"roles/cloudfunctions.invoker", "roles/run.invoker"})
FUNCTION_IAM: Mapping[str, str] = {
    "google_cloudfunctions_function_iam_member": "cloud_function",
    "google_cloudfunctions_function_iam_binding": "cloud_function",
    "google_cloudfunctions_function_iam_policy": "cloud_function",
    "google_cloudfunctions2_function_iam_member": "cloud_function",
    "google_cloudfunctions2_function_iam_binding": "cloud_function",
    "google_cloudfunctions2_function_iam_policy": "cloud_function",
}
RUN_IAM: Mapping[str, str] = {
    "google_cloud_run_service_iam_member": "service", "google_cloud_run_service_iam_binding": "service",
    "google_cloud_run_service_iam_policy": "service", "google_cloud_run_v2_service_iam_member": "name",
    "google_cloud_run_v2_service_iam_binding": "name", "google_cloud_run_v2_service_iam_policy": "name",
}
"""Cloud Run IAM resources: they grant on a gen 2 function when they name it."""
TYPES = (*FUNCTION_TYPES, *FUNCTION_IAM)
PLATFORM = "gcp-functions"
DEFAULT_ACCOUNTS = {
    "google_compute_default_service_account": "PROJECT_NUMBER-compute@developer.gserviceaccount.com",
    "google_app_engine_default_service_account": "PROJECT_ID@appspot.gserviceaccount.com",
}
_INGRESS = {"ALLOW_ALL": "all", "ALLOW_INTERNAL_ONLY": "internal",
            "ALLOW_INTERNAL_AND_GCLB": "internal-and-cloud-load-balancing"}
_EGRESS = {"ALL_TRAFFIC": "all-traffic", "PRIVATE_RANGES_ONLY": "private-ranges-only"}

Member = tuple[str | Unknown, Location]


def cloud_functions(b: _Builder) -> None:
    """Every Cloud Function of the root module, its triggers, and the functions only an IAM binding names."""
    names = cloud_function_names(b)
    invokers, external = _invokers(b, names)
    grants = _project_grants(b)
    for rtype in FUNCTION_TYPES:
        for entry in b.entries.get(rtype, ()):
            _function(b, entry.res, invokers.get(entry.res.address, []), grants, gen2=rtype == GEN2)
    for name, members in external.items():
        _external(b, name, members)


# ------------------------------------------------------------------------------------------ invokers

def _invokers(b: _Builder, names: Mapping[str, str]) -> tuple[dict[str, list[Member]], dict[str, list[Member]]]:
    """(function address → invoker members, external function name → invoker members)."""
    found: dict[str, list[Member]] = defaultdict(list)
    external: dict[str, list[Member]] = defaultdict(list)
    for table, own in ((FUNCTION_IAM, True), (RUN_IAM, False)):
        for rtype, attr in table.items():
            for entry in b.entries.get(rtype, ()):
                res = entry.res
                value = res.get(attr)
                address = b.ref_of(value, *FUNCTION_TYPES)
                literal = value.rsplit("/", 1)[-1] if isinstance(value, str) and "${" not in value else None
                if address is None and literal is not None:
                    address = names.get(literal)
                if address is None and not own:
                    continue  # a Cloud Run service: `_gcp` judges it
                members = _granted(b, entry, res, rtype)
                if address is not None:
                    found[address].extend(members)
                elif literal is not None:
                    external[literal].extend(members)
    return found, external


def _granted(b: _Builder, entry: Any, res: _Res, rtype: str) -> list[Member]:
    if rtype.endswith("_iam_policy"):
        return _policy_members(b, entry, INVOKER_ROLES)
    role = res.text("role")
    if role not in INVOKER_ROLES:
        return []
    if rtype.endswith("_iam_member"):
        return [(_member(res.get("member")), res.loc("member"))]
    return _members(res.get("members"), res.loc("members"))


def _project_grants(b: _Builder) -> dict[str, list[tuple[str | Unknown, Location]]]:
    """Service account (as `_account` spells it) → the project roles granted to it by
    `google_project_iam_member` / `google_project_iam_binding` in this configuration."""
    out: dict[str, list[tuple[str | Unknown, Location]]] = defaultdict(list)
    for rtype in ("google_project_iam_member", "google_project_iam_binding"):
        for entry in b.entries.get(rtype, ()):
            res = entry.res
            role = res.text("role")
            if role is None:
                continue
            raw = [res.get("member")] if rtype.endswith("_member") else res.get("members")
            for value in raw if isinstance(raw, list) else []:
                account = _account(b, value, res.location)
                if isinstance(account, str) and account.startswith("serviceAccount:"):
                    out[account.removeprefix("serviceAccount:")].append((role, res.loc("role")))
    return out


# ------------------------------------------------------------------------------------------ functions

def _function(b: _Builder, res: _Res, members: list[Member],
              grants: Mapping[str, list[tuple[str | Unknown, Location]]], *, gen2: bool) -> None:
    address = res.address
    fields: dict[str, Location] = {}
    service = res.first_block("service_config") if gen2 else None
    build = res.first_block("build_config") if gen2 else None
    holder = service if gen2 else res
    runtime_holder = build if gen2 else res

    def note(field_name: str, owner: _Res | None, attr: str) -> None:
        if owner is not None and owner.has(attr):
            fields[field_name] = owner.loc(attr).with_id(address)

    note("name", res, "name")
    note("runtime", runtime_holder, "runtime")
    note("handler", runtime_holder, "entry_point")
    note("timeout", holder, "timeout_seconds" if gen2 else "timeout")
    note("memory_size", holder, "available_memory" if gen2 else "available_memory_mb")
    note("service_account", holder, "service_account_email")
    note("ingress", holder, "ingress_settings")
    note("vpc_egress", holder, "vpc_connector_egress_settings")
    note("environment", holder, "environment_variables")
    runtime = runtime_holder.text("runtime") if runtime_holder is not None else None
    entry_point = runtime_holder.text("entry_point") if runtime_holder is not None else None
    environment = list(_environment(b, holder.get("environment_variables") if holder is not None else None,
                                    fields.get("environment", res.location), res.inst))
    if runtime_holder is not None and runtime_holder.has("environment_variables" if gen2 else
                                                        "build_environment_variables"):
        attr = "environment_variables" if gen2 else "build_environment_variables"
        environment.extend(_environment(b, runtime_holder.get(attr), runtime_holder.loc(attr), res.inst))
    environment.extend(_secret_environment(holder, address))
    ingress = holder.text("ingress_settings") if holder is not None else None
    egress = holder.text("vpc_connector_egress_settings") if holder is not None else None
    account = _account(b, holder.get("service_account_email") if holder is not None else None,
                       fields.get("service_account", res.location))
    default = DEFAULT_ACCOUNTS["google_compute_default_service_account" if gen2 else
                               "google_app_engine_default_service_account"]
    granted = grants.get(account if account is not None else default, []) if not isinstance(account, Unknown) \
        else []
    if granted:
        fields["account_roles"] = granted[0][1]
    invokers = tuple(member for member, _ in members)
    public = [loc for member, loc in members if _public(member)]
    if members:
        fields["invokers"] = public[0] if public else members[0][1]
    http = _triggers(b, res, address, public=bool(public), gen2=gen2, unknown=any(
        isinstance(m, Unknown) for m in invokers))
    if http and "ingress" not in fields:
        fields["ingress"] = res.location
    b.functions[address] = Function(
        id=address, location=res.location, field_locations=fields, name=res.text("name"), runtime=runtime,
        handler=entry_point, code=_code(b, res, entry_point, build, gen2=gen2),
        timeout=holder.num("timeout_seconds" if gen2 else "timeout") if holder is not None else None,
        timeout_default=60,
        memory_size=res.num("available_memory_mb") if not gen2 else None,
        environment=tuple(environment), platform=PLATFORM, service_account=account,
        ingress=_INGRESS.get(ingress, ingress) if isinstance(ingress, str) else ingress,
        invokers=invokers, vpc_egress=_EGRESS.get(egress, egress) if isinstance(egress, str) else egress,
        account_roles=tuple(role for role, _ in granted))


def _public(member: str | Unknown) -> bool:
    return isinstance(member, str) and member.lower() in ("allusers", "allauthenticatedusers")


def _triggers(b: _Builder, res: _Res, address: str, *, public: bool, gen2: bool, unknown: bool) -> bool:
    """The function's trigger; True when it is an HTTP function."""
    event = res.first_block("event_trigger")
    if event is not None:
        event_type = event.text("event_type")
        source: Any = event.get("resource") if not gen2 else (event.get("pubsub_topic") or _event_filters(event))
        plain = to_plain(source)
        b.triggers.append(Trigger(
            id=f"{address}/event", location=event.location.with_id(address), kind=TriggerKind.OTHER,
            function=address, source=plain if isinstance(plain, (str, Unknown)) else
            (event_type if isinstance(event_type, str) else None)))
        return False
    if not gen2 and res.flag("trigger_http") is not True:
        return False
    where = res.loc("trigger_http").with_id(address) if res.has("trigger_http") else res.location
    if unknown and not public:
        auth = Auth(AuthType.UNKNOWN, where, detail="the invoker members are not known statically")
    elif public:
        auth = Auth(AuthType.NONE, where, detail="allUsers/allAuthenticatedUsers may invoke it")
    else:
        auth = Auth(AuthType.IAM, where, detail="callers need the invoker role")
    b.triggers.append(Trigger(id=f"{address}/https", location=where, kind=TriggerKind.HTTP_FUNCTION,
                              function=address, method="ANY", path="/", auth=auth))
    return True


def _event_filters(event: _Res) -> str | None:
    blocks, _ = event.blocks("event_filters")
    for block in blocks:
        value = block.text("value")
        if isinstance(value, str):
            return value
    return None


def _secret_environment(holder: _Res | None, address: str) -> list[EnvVar]:
    """`secret_environment_variables` blocks: Secret Manager references resolved at run time, never plaintext."""
    if holder is None:
        return []
    out: list[EnvVar] = []
    blocks, _ = holder.blocks("secret_environment_variables")
    for block in blocks:
        key = block.text("key")
        if not isinstance(key, str):
            continue
        secret = block.text("secret")
        version = block.text("version")
        shown = secret if isinstance(secret, str) else "?"
        out.append(EnvVar(key, f"secret:{shown}:{version if isinstance(version, str) else 'latest'}",
                          block.location.with_id(address), secret_reference=True))
    return out


def _account(b: _Builder, value: Any, location: Location) -> str | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    for _address, rtype, _attr in b.refs(value):
        if rtype in DEFAULT_ACCOUNTS:
            text = to_plain(value)
            prefix = "serviceAccount:" if isinstance(text, str) and text.startswith("serviceAccount:") else ""
            return prefix + DEFAULT_ACCOUNTS[rtype]
    plain = to_plain(value)
    if isinstance(plain, str) and "${" in plain:
        return plain  # a dedicated account defined or named elsewhere: not the default
    return plain if isinstance(plain, str) else Unknown("service account is not a string", location)


def _code(b: _Builder, res: _Res, entry_point: str | Unknown | None, build: _Res | None, *,
          gen2: bool) -> CodeLocation:
    """The uploaded package's directory and `main.py`, through the bucket object that uploads the archive."""
    if gen2:
        source = build.first_block("source") if build is not None else None
        storage = source.first_block("storage_source") if source is not None else None
        object_ref = storage.get("object") if storage is not None else None
    else:
        object_ref = res.get("source_archive_object")
    code_dir: str | None = None
    single: str | None = None
    exact = False
    address = b.ref_of(object_ref, "google_storage_bucket_object")
    upload = b.by_address.get(address) if address is not None else None
    if upload is not None:
        code_dir, single, exact = _package(b, upload.inst, upload.res.get("source"), "main")
    handler_file: str | None = None
    if exact and single is not None:
        handler_file = single
    elif code_dir is not None and (Path(code_dir) / "main.py").is_file():
        handler_file = str(Path(code_dir) / "main.py")
    function = entry_point if isinstance(entry_point, str) else None
    return CodeLocation(code_dir, handler_file if function is not None else None, function,
                        handler=f"main.{function}" if function is not None else entry_point)


def _external(b: _Builder, name: str, members: list[Member]) -> None:
    """A function only an invoker binding names: public through the binding alone."""
    if not members:
        return
    public = [loc for member, loc in members if _public(member)]
    where = public[0] if public else members[0][1]
    function_id = name
    reason = Unknown(f"function {name} is not defined in this configuration", where)
    b.functions.setdefault(function_id, Function(
        id=function_id, location=where.with_id(function_id), field_locations={"invokers": where},
        name=name, runtime=reason, timeout=reason, memory_size=reason, platform=PLATFORM,
        service_account=reason, ingress=reason, invokers=tuple(m for m, _ in members), external=True))

