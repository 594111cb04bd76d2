"""FG7xx: containers on ECS/Fargate, Cloud Run / Knative, and Dockerfiles.

These rules judge only what the platform enforces (RULES.md): a security context on fully managed Cloud Run is
ignored by the platform, so FG701/FG703/FG704 never fire there (FG709 says the settings are decorative), and
Lambda container images never run as root.
"""

from __future__ import annotations

from collections.abc import Iterator

from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import Container, Function, TriggerKind, Unknown
from faasguard.rules.base import Rule, RuleContext, register

_ENFORCING = frozenset({"ecs", "knative"})
_SERVICE_PLATFORMS = frozenset({"cloudrun", "knative"})
_PUBLIC_MEMBERS = frozenset({"allusers", "allauthenticatedusers"})


def _services(ctx: RuleContext) -> Iterator[Container]:
    """One container per Cloud Run / Knative service (service-level settings are reported once)."""
    seen: set[str | None] = set()
    for container in ctx.app.containers:
        if container.platform in _SERVICE_PLATFORMS and container.task not in seen:
            seen.add(container.task)
            yield container


def _cloud_functions(ctx: RuleContext) -> Iterator[Function]:
    """Google Cloud Functions: the same ingress, invoker and identity model as Cloud Run (gen 2 functions *are*
    Cloud Run services), read from the function node."""
    return (fn for fn in ctx.app.functions if fn.platform == "gcp-functions")


def _is_http_function(ctx: RuleContext, fn: Function) -> bool:
    return any(t.kind is TriggerKind.HTTP_FUNCTION for t in ctx.app.triggers_of(fn.id))


def _public_members(members: tuple[str | Unknown, ...]) -> list[str]:
    return [m for m in members if isinstance(m, str) and m.lower() in _PUBLIC_MEMBERS]


_GEN1_DEFAULT = "App Engine default service account (PROJECT_ID@appspot.gserviceaccount.com)"
_GEN2_DEFAULT = "Compute Engine default service account (PROJECT_NUMBER-compute@developer.gserviceaccount.com)"


def _default_account(fn: Function) -> str | None:
    """Why the function runs as a project default account, or None when it does not (or we cannot tell)."""
    account = fn.service_account
    if isinstance(account, Unknown) or fn.external:
        return None
    if account is None:
        gen2 = "google_cloudfunctions2_function." in f".{fn.id}"
        return f"sets no service account, so it runs as the {_GEN2_DEFAULT if gen2 else _GEN1_DEFAULT}"
    if account.endswith(("-compute@developer.gserviceaccount.com", "@appspot.gserviceaccount.com")):
        return f"runs as the project's default service account `{account}`"
    return None


def _platform_name(container: Container) -> str:
    return {"ecs": "ECS container", "knative": "Knative container", "cloudrun": "Cloud Run container",
            "dockerfile": "Dockerfile"}.get(container.platform, "container")


@register
class ContainerRunsAsRoot(Rule):
    """## What it does
    Reports containers that run as root: an ECS container definition with no non-root `user`, a Knative
    container without `runAsNonRoot: true` (or a non-zero `runAsUser`), a Dockerfile whose final stage sets no
    non-root `USER`. Fully managed Cloud Run (which ignores `securityContext`) and AWS Lambda base images (Lambda
    never runs functions as root) are not reported.

    ## Why is this bad?
    A process running as root inside the container turns any code-execution bug into root in the container:
    it can read every file, modify the image's binaries for the next request, and use kernel attack surface
    that an unprivileged user cannot. Container escapes almost always start from root.

    ## Example
    ```json
    {"containerDefinitions": [{"name": "api", "image": "acme/api@sha256:...", "essential": true}]}
    ```

    ## Fix
    ```json
    {"containerDefinitions": [{"name": "api", "image": "acme/api@sha256:...", "user": "1000:1000"}]}
    ```
    In a Dockerfile, create a user and end the final stage with `USER app`.
    """

    id = "FG701"
    name = "container-runs-as-root"
    summary = "Container runs as root (no non-root user / runAsNonRoot / USER)"
    severity = Severity.MEDIUM
    cwe = "CWE-250"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        images = ctx.facts.images
        for container in ctx.app.containers:
            if container.platform not in _ENFORCING and container.platform != "dockerfile":
                continue
            if container.platform == "ecs":
                user = container.user
                if isinstance(user, Unknown):
                    continue
                bound = images.for_container(container.id) if images else None
                if user is None and bound is not None:
                    if bound.image.runs_as_root:
                        yield self.finding(
                            f"ECS container '{container.id}' sets no `user` and its image {bound.image.display} "
                            f"runs as root ({_image_user(bound.image.user)}).",
                            container.location, container.id, confidence=Confidence.HIGH,
                            fix='Set "user": "1000:1000" in the container definition, or end the image\'s '
                                "Dockerfile with a non-root `USER`.")
                elif user is None:
                    yield self.finding(
                        f"ECS container '{container.id}' sets no `user`, so it runs as the image's user, "
                        "which is root unless the image says otherwise.",
                        container.location, container.id, confidence=Confidence.MEDIUM,
                        fix='Set "user": "1000:1000" (a non-root uid:gid) in the container definition.')
                elif user.split(":")[0].lower() in ("root", "0"):
                    yield self.finding(f"ECS container '{container.id}' runs as root (`user: {user}`).",
                                       container.loc("user"), container.id,
                                       fix='Set "user" to a non-root uid:gid such as "1000:1000".')
            elif container.platform == "knative":
                if container.run_as_non_root is True:
                    continue
                yield self.finding(
                    f"Knative container '{container.id}' does not set `runAsNonRoot: true` (or a non-zero "
                    "`runAsUser`), so it runs as root unless the image says otherwise.",
                    container.loc("run_as_non_root"), container.id,
                    confidence=Confidence.HIGH if container.run_as_non_root is False else Confidence.MEDIUM,
                    fix="Set securityContext.runAsNonRoot: true and runAsUser to a non-zero uid.")
            elif container.run_as_non_root is not True:
                explicit = container.run_as_non_root is False
                yield self.finding(
                    f"Dockerfile '{container.id}' runs its final stage as root "
                    + (f"(`USER {container.user}`)." if explicit else "(no `USER` instruction)."),
                    container.loc("user"), container.id,
                    confidence=Confidence.HIGH if explicit else Confidence.MEDIUM,
                    fix="Add a non-root user (`RUN useradd --uid 10001 app`) and end with `USER app`.")
        yield from self._standalone_images(ctx)

    def _standalone_images(self, ctx: RuleContext) -> Iterator[Finding]:
        """An image no function or container of the app references: the platform that will run it is unknown,
        so its own config decides. Images bound to Lambda functions are not judged (Lambda never runs a
        function as root), and images bound to containers are judged through the container above."""
        for bound in ctx.facts.images.images if ctx.facts.images else ():
            image = bound.image
            if bound.functions or bound.containers or not image.runs_as_root:
                continue
            yield self.finding(
                f"{bound.phrase} runs as root ({_image_user(image.user)}).",
                image.location, image.display, confidence=Confidence.MEDIUM,
                fix="Add a non-root user (`RUN useradd --uid 10001 app`) and end the Dockerfile with `USER app`.")


def _image_user(user: str | None) -> str:
    return f"config `User` is `{user}`" if user else "its config sets no `User`"


@register
class PrivilegedContainer(Rule):
    """## What it does
    Reports ECS and Knative containers that run privileged or add Linux capabilities.

    ## Why is this bad?
    A privileged container has every capability and access to the host's devices: escaping it to the host is
    trivial. Added capabilities (SYS_ADMIN, NET_ADMIN, SYS_PTRACE...) each re-open part of that door.

    ## Example
    ```json
    {"name": "worker", "image": "acme/worker@sha256:...", "privileged": true,
     "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"]}}}
    ```

    ## Fix
    ```json
    {"name": "worker", "image": "acme/worker@sha256:...", "privileged": false,
     "linuxParameters": {"capabilities": {"drop": ["ALL"]}}}
    ```
    """

    id = "FG702"
    name = "privileged-container"
    summary = "Privileged container or added Linux capabilities"
    severity = Severity.HIGH
    cwe = "CWE-250"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.app.containers:
            if container.platform not in _ENFORCING:
                continue
            if container.privileged is True:
                yield self.finding(f"{_platform_name(container)} '{container.id}' runs privileged.",
                                   container.loc("privileged"), container.id,
                                   fix="Remove `privileged: true`; grant only the specific capability needed.")
            elif container.capabilities_add:
                added = ", ".join(str(c) for c in container.capabilities_add)
                yield self.finding(f"{_platform_name(container)} '{container.id}' adds Linux capabilities: "
                                   f"{added}.", container.loc("capabilities_add"), container.id,
                                   severity=Severity.MEDIUM,
                                   fix="Drop added capabilities (capabilities.drop: [ALL]) unless one is "
                                       "strictly required, and document why.")


@register
class WritableRootFilesystem(Rule):
    """## What it does
    Reports ECS and Knative containers whose root filesystem is writable (`readonlyRootFilesystem` /
    `readOnlyRootFilesystem` not true).

    ## Why is this bad?
    An attacker who gets code execution can persist by rewriting binaries, libraries or configuration in the
    container for every later request, and can drop tools. A read-only root with an explicit writable volume
    for scratch data removes that option.

    ## Example
    ```json
    {"name": "api", "image": "acme/api@sha256:...", "user": "1000"}
    ```

    ## Fix
    ```json
    {"name": "api", "image": "acme/api@sha256:...", "user": "1000", "readonlyRootFilesystem": true}
    ```
    """

    id = "FG703"
    name = "writable-root-filesystem"
    summary = "Container root filesystem is writable"
    severity = Severity.LOW
    cwe = "CWE-732"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.app.containers:
            if container.platform not in _ENFORCING or container.read_only_root_filesystem is True:
                continue
            if isinstance(container.read_only_root_filesystem, Unknown):
                continue
            key = "readonlyRootFilesystem" if container.platform == "ecs" else "readOnlyRootFilesystem"
            yield self.finding(f"{_platform_name(container)} '{container.id}' has a writable root filesystem "
                               f"(`{key}` is not true).", container.loc("read_only_root_filesystem"),
                               container.id, fix=f"Set `{key}: true` and mount a volume for scratch data.")


@register
class PrivilegeEscalationAllowed(Rule):
    """## What it does
    Reports Knative (Cloud Run for Anthos / GKE) containers that do not set `allowPrivilegeEscalation: false`.

    ## Why is this bad?
    Without it, a process can gain more privileges than its parent through setuid binaries or file
    capabilities, undoing a non-root user.

    ## Example
    ```yaml
    securityContext:
      runAsNonRoot: true
    ```

    ## Fix
    ```yaml
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
    ```
    """

    id = "FG704"
    name = "privilege-escalation-allowed"
    summary = "Container allows privilege escalation (allowPrivilegeEscalation not false)"
    severity = Severity.LOW
    cwe = "CWE-269"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.app.containers:
            if container.platform != "knative" or container.allow_privilege_escalation is False:
                continue
            yield self.finding(f"Knative container '{container.id}' does not set "
                               "`allowPrivilegeEscalation: false`.", container.loc("allow_privilege_escalation"),
                               container.id, fix="Set securityContext.allowPrivilegeEscalation: false.")


@register
class PublicIngress(Rule):
    """## What it does
    Reports Cloud Run / Knative services, and Google Cloud Functions with an HTTP trigger (gen 1
    `ingress_settings`, gen 2 `service_config.ingress_settings`), whose ingress is `all` (explicitly or by
    default) while their invoker is not public, i.e. services that authenticate callers and so are probably
    meant for internal callers.

    ## Why is this bad?
    Ingress `all` exposes the service's URL to the whole internet: every request reaches the service's front
    end, authentication bugs are exploitable from anywhere, and a private service has no reason to take that
    risk. `internal` (or `internal-and-cloud-load-balancing`) keeps it reachable only from the VPC and Google
    Cloud.

    ## Example
    ```yaml
    metadata:
      annotations:
        run.googleapis.com/ingress: all
    ```

    ## Fix
    ```yaml
    metadata:
      annotations:
        run.googleapis.com/ingress: internal
    ```
    """

    id = "FG705"
    name = "public-ingress"
    summary = "Cloud Run / Cloud Functions ingress `all` where internal would do"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-668"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for service in _services(ctx):
            if service.platform != "cloudrun":
                continue  # plain Knative has no ingress setting of this kind (it uses cluster-local visibility)
            ingress = service.ingress
            if isinstance(ingress, Unknown) or (ingress is not None and ingress != "all"):
                continue
            if any(isinstance(m, str) and m.lower() in _PUBLIC_MEMBERS for m in service.invokers):
                continue  # a deliberately public service: FG706 judges that
            how = "is `all`" if ingress == "all" else "is not set (the default is `all`)"
            yield self.finding(f"Cloud Run service '{service.task}' ingress {how}: it is reachable from the "
                               "internet although its invoker is not public.", service.loc("ingress"),
                               service.task or service.id,
                               fix="Set run.googleapis.com/ingress to `internal` or "
                                   "`internal-and-cloud-load-balancing`.")
        for fn in _cloud_functions(ctx):
            ingress = fn.ingress
            if isinstance(ingress, Unknown) or (ingress is not None and ingress != "all") \
                    or not _is_http_function(ctx, fn) or _public_members(fn.invokers) \
                    or any(isinstance(m, Unknown) for m in fn.invokers):
                continue
            how = "is ALLOW_ALL" if ingress == "all" else "is not set (the default is ALLOW_ALL)"
            yield self.finding(f"Cloud Function '{fn.id}' ingress {how}: its HTTPS endpoint is reachable from the "
                               "internet although its invoker is not public.", fn.loc("ingress"), fn.id,
                               function=fn.id,
                               fix="Set ingress_settings to ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB.")


@register
class UnauthenticatedInvoker(Rule):
    """## What it does
    Reports Cloud Run services that grant the invoker role (`roles/run.invoker`) to `allUsers` or
    `allAuthenticatedUsers`, and Google Cloud Functions granted `roles/cloudfunctions.invoker` (gen 1 and
    gen 2 `*_function_iam_*`) or `roles/run.invoker` on a gen 2 function's service. The binding alone makes a
    function public, so it is reported even when the function is deployed outside the scanned configuration.

    ## Why is this bad?
    Anyone on the internet (or anyone with any Google account, which is the same thing) can call the service:
    there is no authentication in front of the code, its cost, or the data it reaches.

    ## Example
    ```hcl
    resource "google_cloud_run_v2_service_iam_member" "public" {
      name   = google_cloud_run_v2_service.api.name
      role   = "roles/run.invoker"
      member = "allUsers"
    }
    ```

    ## Fix
    Grant `roles/run.invoker` to the specific service accounts or groups that call it, and authenticate end
    users in front of it (IAP, API Gateway with JWT).
    """

    id = "FG706"
    name = "unauthenticated-invoker"
    summary = "Cloud Run / Cloud Functions allUsers / allAuthenticatedUsers invoker binding"
    severity = Severity.HIGH
    cwe = "CWE-306"
    owasp = "SAS-2"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for service in _services(ctx):
            public = [m for m in service.invokers if isinstance(m, str) and m.lower() in _PUBLIC_MEMBERS]
            if public:
                yield self.finding(f"Cloud Run service '{service.task}' lets {', '.join(public)} invoke it "
                                   "without authentication.", service.loc("invokers"), service.task or service.id,
                                   fix="Bind roles/run.invoker to specific identities instead of "
                                       f"{', '.join(public)}.")
        for fn in _cloud_functions(ctx):
            public = _public_members(fn.invokers)
            if public:
                where = " (deployed outside this configuration: the binding alone makes it public)" \
                    if fn.external else ""
                yield self.finding(f"Cloud Function '{fn.id}' lets {', '.join(public)} invoke it without "
                                   f"authentication{where}.", fn.loc("invokers"), fn.id, function=fn.id,
                                   fix="Grant the invoker role to the specific service accounts or groups that "
                                       f"call it instead of {', '.join(public)}.")


@register
class DefaultServiceAccount(Rule):
    """## What it does
    Reports Cloud Run / Knative services that run as the default compute service account (no
    `serviceAccountName`, or `PROJECT_NUMBER-compute@developer.gserviceaccount.com`), and Google Cloud
    Functions that run as a project default account: no `service_account_email` (gen 1 then runs as the App
    Engine default account, gen 2 as the Compute Engine default) or one of the two named explicitly. Roles the
    same configuration grants that account (`google_project_iam_member`/`_binding`) are named in the message.

    ## Why is this bad?
    The default compute service account is shared by every service and VM in the project and historically holds
    the Editor role: code execution in one service becomes write access to most of the project.

    ## Example
    ```yaml
    spec:
      template:
        spec:
          containers:
            - image: europe-docker.pkg.dev/acme/api/api@sha256:...
    ```

    ## Fix
    ```yaml
    spec:
      template:
        spec:
          serviceAccountName: api-runtime@acme.iam.gserviceaccount.com
    ```
    """

    id = "FG707"
    name = "default-service-account"
    summary = "Cloud Run / GCF service uses the default compute service account"
    severity = Severity.MEDIUM
    cwe = "CWE-250"
    owasp = "SAS-4"
    checklist = "C1"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for service in _services(ctx):
            account = service.service_account
            if isinstance(account, Unknown):
                continue
            if account is None:
                message = "sets no service account, so it runs as the project's default compute service account"
            elif account.endswith("-compute@developer.gserviceaccount.com"):
                message = f"runs as the default compute service account `{account}`"
            else:
                continue
            yield self.finding(f"Cloud Run service '{service.task}' {message}.", service.loc("service_account"),
                               service.task or service.id,
                               fix="Create a dedicated service account with only the roles this service needs "
                                   "and set serviceAccountName.")
        for fn in _cloud_functions(ctx):
            reason = _default_account(fn)
            if reason is None:
                continue
            roles = [r for r in fn.account_roles if isinstance(r, str)]
            granted = f"; this configuration also grants that account {', '.join(roles)}" if roles else ""
            broad = any(r in ("roles/owner", "roles/editor") for r in roles)
            yield self.finding(f"Cloud Function '{fn.id}' {reason}{granted}.", fn.loc("service_account"), fn.id,
                               function=fn.id, severity=Severity.HIGH if broad else None,
                               fix="Create a dedicated service account with only the roles this function needs "
                                   "and set service_account_email.")


@register
class NoResourceLimits(Rule):
    """## What it does
    Reports ECS containers with no memory limit (neither on the container nor on the task) and Knative
    containers without CPU and memory limits. Fully managed Cloud Run applies its own defaults and is not
    reported.

    ## Why is this bad?
    Without limits one container can starve everything else on the host (a denial of service that an attacker
    triggers with a few expensive requests) and the bill grows with it.

    ## Example
    ```yaml
    containers:
      - image: registry.example.com/api@sha256:...
    ```

    ## Fix
    ```yaml
    containers:
      - image: registry.example.com/api@sha256:...
        resources:
          limits: {cpu: "1", memory: 512Mi}
    ```
    """

    id = "FG708"
    name = "no-resource-limits"
    summary = "Container without CPU/memory limits"
    severity = Severity.LOW
    cwe = "CWE-770"
    owasp = "SAS-8"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.app.containers:
            if container.platform == "ecs" and container.memory_limit is None:
                yield self.finding(f"ECS container '{container.id}' has no memory limit (container `memory` "
                                   "or task-level memory).", container.location, container.id,
                                   fix='Set "memory" on the container (hard limit) or on the task.')
            elif container.platform == "knative" and (container.memory_limit is None or container.cpu_limit is None):
                missing = " and ".join(n for n, v in (("CPU", container.cpu_limit),
                                                      ("memory", container.memory_limit)) if v is None)
                yield self.finding(f"Knative container '{container.id}' has no {missing} limit.",
                                   container.loc("memory_limit"), container.id,
                                   fix="Set resources.limits.cpu and resources.limits.memory.")


@register
class UnenforcedSecurityContext(Rule):
    """## What it does
    Reports fully managed Cloud Run services that declare a container `securityContext` (runAsNonRoot,
    readOnlyRootFilesystem, allowPrivilegeEscalation...). Cloud Run's Admin API marks SecurityContext as not
    supported: only Cloud Run for Anthos (Knative on GKE) applies it.

    ## Why is this bad?
    The settings look like hardening in review and in other scanners' reports, but the platform ignores them:
    a false sense of security. Hardening on fully managed Cloud Run comes from the image (a non-root `USER`),
    a dedicated service account, and ingress/invoker settings.

    ## Example
    ```yaml
    containers:
      - image: europe-docker.pkg.dev/acme/api/api@sha256:...
        securityContext:
          runAsNonRoot: true
    ```

    ## Fix
    Remove the `securityContext` block and set a non-root `USER` in the image's Dockerfile instead.
    """

    id = "FG709"
    name = "unenforced-security-context"
    summary = "Cloud Run securityContext settings the platform does not enforce"
    severity = Severity.INFO
    cwe = "CWE-1188"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.app.containers:
            if container.platform == "cloudrun" and container.security_context_declared \
                    and container.security_context_enforced is False:
                yield self.finding(f"Cloud Run container '{container.id}' declares a securityContext that fully "
                                   "managed Cloud Run does not enforce.", container.loc("security_context"),
                                   container.id,
                                   fix="Remove the securityContext; run as a non-root USER set in the image.")
