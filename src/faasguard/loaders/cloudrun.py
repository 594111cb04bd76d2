"""Cloud Run / Knative `serving.knative.dev/v1` Service YAML (as `gcloud run services describe --format export`
writes it), one `Application(source=CLOUD_RUN)` per file, a `Container` per container of each Service document.

What the platform enforces decides what the rules may say, so the loader records it: fully managed Cloud Run
ignores a container's `securityContext` (its Admin API marks SecurityContext unsupported), so its containers get
platform "cloudrun" with `security_context_enforced=False`; Knative on GKE / Cloud Run for Anthos applies it
(platform "knative"). A file is judged fully managed when it carries Cloud Run's own markers: a
`cloud.googleapis.com/location` label, any `run.googleapis.com/` annotation, or a numeric project namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._containers import key_location
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_yaml_file
from faasguard.model import Application, Container, EnvVar, Location, SourceKind, Unknown

INGRESS = "run.googleapis.com/ingress"
MAX_SCALE = "autoscaling.knative.dev/maxScale"
VPC_EGRESS = "run.googleapis.com/vpc-access-egress"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _is_managed(metadata: Mapping[str, Any], template_metadata: Mapping[str, Any]) -> bool:
    labels = _mapping(metadata.get("labels"))
    annotations = {**_mapping(metadata.get("annotations")), **_mapping(template_metadata.get("annotations"))}
    namespace = metadata.get("namespace")
    return ("cloud.googleapis.com/location" in labels
            or any(str(k).startswith("run.googleapis.com/") for k in annotations)
            or (isinstance(namespace, (str, int)) and str(namespace).isdigit()))


def _int(value: Any) -> int | Unknown | None:
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return Unknown(f"not an integer: {value!r}")


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _env(items: Any, container_id: str) -> tuple[EnvVar, ...]:
    result = []
    if not isinstance(items, list):
        return ()
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        loc = items.item_loc(index, container_id) if isinstance(items, LocatedList) else Location("?")
        value_from = _mapping(item.get("valueFrom"))
        if "secretKeyRef" in value_from:
            ref = _mapping(value_from["secretKeyRef"])
            result.append(EnvVar(item["name"], f"secret:{ref.get('name')}:{ref.get('key')}", loc,
                                 secret_reference=True))
        elif value_from:
            result.append(EnvVar(item["name"], Unknown("value from a reference (valueFrom)"), loc))
        else:
            value = item.get("value")
            result.append(EnvVar(item["name"], "" if value is None else str(value), loc))
    return tuple(result)


def service_containers(document: Mapping[str, Any], display: str) -> list[Container]:
    metadata = _mapping(document.get("metadata"))
    raw_name = metadata.get("name")
    name: str = raw_name if isinstance(raw_name, str) else display
    spec = _mapping(document.get("spec"))
    template = _mapping(spec.get("template"))
    template_metadata = _mapping(template.get("metadata"))
    pod = _mapping(template.get("spec"))
    managed = _is_managed(metadata, template_metadata)
    service_loc = document.loc(name) if isinstance(document, LocatedDict) else Location(display, logical_id=name)
    annotations = _mapping(metadata.get("annotations"))
    template_annotations = _mapping(template_metadata.get("annotations"))
    pod_security = _mapping(pod.get("securityContext"))
    containers = pod.get("containers")
    result: list[Container] = []
    if not isinstance(containers, list):
        return result
    for index, raw in enumerate(containers):
        if not isinstance(raw, Mapping):
            continue
        raw_container_name = raw.get("name")
        container_name = raw_container_name if isinstance(raw_container_name, str) else str(index)
        container_id = name if len(containers) == 1 else f"{name}/{container_name}"
        loc = containers.item_loc(index, container_id) if isinstance(containers, LocatedList) \
            else service_loc.with_id(container_id)
        security = _mapping(raw.get("securityContext"))
        fields: dict[str, Location] = {}
        if security:
            fields["security_context"] = key_location(raw, "securityContext", loc)
            for key, field_name in (("runAsNonRoot", "run_as_non_root"), ("runAsUser", "user"),
                                    ("privileged", "privileged"),
                                    ("readOnlyRootFilesystem", "read_only_root_filesystem"),
                                    ("allowPrivilegeEscalation", "allow_privilege_escalation"),
                                    ("capabilities", "capabilities_add")):
                if key in security:
                    fields[field_name] = key_location(security, key, loc)
        if "image" in raw:
            fields["image"] = key_location(raw, "image", loc)
        limits = _mapping(_mapping(raw.get("resources")).get("limits"))
        if "resources" in raw:
            fields["memory_limit"] = key_location(raw, "resources", loc)
        for key, field_name, holder in ((INGRESS, "ingress", annotations),
                                        (MAX_SCALE, "max_instances", template_annotations),
                                        (VPC_EGRESS, "vpc_egress", template_annotations)):
            if key in holder:
                fields[field_name] = key_location(holder, key, service_loc)
        if "serviceAccountName" in pod:
            fields["service_account"] = key_location(pod, "serviceAccountName", service_loc)
        if "timeoutSeconds" in pod:
            fields["timeout"] = key_location(pod, "timeoutSeconds", service_loc)
        run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
        run_as_non_root = _bool(security.get("runAsNonRoot", pod_security.get("runAsNonRoot")))
        if run_as_non_root is None and isinstance(run_as_user, int):
            run_as_non_root = run_as_user != 0
        capabilities = _mapping(security.get("capabilities")).get("add")
        ingress = annotations.get(INGRESS)
        result.append(Container(
            id=container_id, location=loc, field_locations=fields,
            platform="cloudrun" if managed else "knative", task=name,
            image=raw.get("image") if isinstance(raw.get("image"), str) else None,
            user=str(run_as_user) if run_as_user is not None else None,
            run_as_non_root=run_as_non_root,
            privileged=_bool(security.get("privileged")),
            read_only_root_filesystem=_bool(security.get("readOnlyRootFilesystem")),
            allow_privilege_escalation=_bool(security.get("allowPrivilegeEscalation")),
            capabilities_add=tuple(str(c) for c in capabilities) if isinstance(capabilities, list) else (),
            security_context_declared=bool(security) or bool(pod_security),
            security_context_enforced=not managed,
            environment=_env(raw.get("env"), container_id),
            cpu_limit=str(limits["cpu"]) if "cpu" in limits else None,
            memory_limit=str(limits["memory"]) if "memory" in limits else None,
            service_account=pod.get("serviceAccountName") if isinstance(pod.get("serviceAccountName"), str)
            else None,
            ingress=str(ingress) if ingress is not None else None,
            max_instances=_int(template_annotations.get(MAX_SCALE)),
            timeout=_int(pod.get("timeoutSeconds")),
            vpc_egress=str(template_annotations[VPC_EGRESS]) if VPC_EGRESS in template_annotations else None,
        ))
    return result


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    result = LoadResult()
    for source in files:
        try:
            documents = parse_yaml_file(source.path, source.display)
        except ParseError as exc:
            result.diagnostics.append(Diagnostic(DiagnosticKind.PARSE_ERROR, exc.message, exc.location,
                                                 DiagnosticLevel.ERROR, "cloudrun loader"))
            continue
        containers: list[Container] = []
        for document in documents:
            if not isinstance(document, Mapping):
                continue
            api, kind = str(document.get("apiVersion", "")), document.get("kind")
            if not api.startswith("serving.knative.dev/") or kind != "Service":
                where = document.loc() if isinstance(document, LocatedDict) else Location(source.display)
                result.diagnostics.append(Diagnostic(
                    DiagnosticKind.UNSUPPORTED, f"{kind or 'document'} ({api or 'no apiVersion'}) is not a "
                    "Knative Service; skipped", where, DiagnosticLevel.NOTE, "cloudrun loader"))
                continue
            containers.extend(service_containers(document, source.display))
        if containers:
            result.apps.append(Application(name=source.display, source=SourceKind.CLOUD_RUN,
                                           root=str(source.path.parent), files=(source.display,),
                                           containers=tuple(containers)))
    return result
