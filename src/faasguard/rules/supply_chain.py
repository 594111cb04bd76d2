"""Supply-chain rules FG601-FG605: vulnerable and unpinned dependencies, untrusted layers, mutable image
references, ECR repositories without scanning.

FG601/FG602 read `facts.deps` (built by `faasguard.analysis.deps`); FG603-FG605 read the model only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache

from faasguard._packaged import packaged
from faasguard.analysis.deps.facts import Advisory, Dependency, Ecosystem, Inventory, VulnerableDependency
from faasguard.analysis.images.facts import deployed_by
from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.model import Location, RegistryScanning, Resource, ResourceCategory, Unknown
from faasguard.rules.base import Rule, RuleContext, register


def _functions(inventory: Inventory) -> tuple[str, ...] | None:
    return inventory.functions or None


def _owner_phrase(inventory: Inventory) -> str:
    if inventory.owner_kind == "image":
        return f"image {inventory.owner}{deployed_by(inventory.functions, inventory.containers)}"
    if inventory.owner_kind == "layer":
        users = ", ".join(inventory.functions) if inventory.functions else "no function in this application"
        return f"layer {inventory.owner} (used by {users})"
    if len(inventory.functions) > 1:
        return f"the package of functions {', '.join(inventory.functions)}"
    return f"function {inventory.owner}"


@register
class VulnerableDependencyRule(Rule):
    """
    ## What it does
    Matches every exactly-known dependency version a function ships (pinned in a requirements file, locked in
    `poetry.lock`/`Pipfile.lock`/`uv.lock`/`package-lock.json`, or installed into the package or a layer) against
    OSV advisories, and reports each known vulnerability once, with its CVE and GHSA ids and the version that
    fixes it. A layer's vulnerable package is reported through every function that uses the layer. Severity is
    the advisory's own (GitHub's rating, or the CVSS base score) where the record has one.

    Advisory data comes from `faasguard db update` (the OSV PyPI and npm exports), `--advisories PATH`, or
    `--online`. With none of them the scan says so in a note instead of reporting nothing.

    ## Why is this bad?
    A function runs its dependencies with its role's permissions on every event it receives. A library with a
    known flaw (a header leaked on redirect, unsafe YAML loading, prototype pollution) is often reachable from
    the event the function parses, and exploits for published advisories are public.

    ## Example
    ```text
    # src/orders/requirements.txt
    requests==2.25.0
    PyYAML==5.3
    ```

    ## Fix
    Upgrade to a fixed version and rebuild the package or layer:
    ```text
    requests==2.32.3
    PyYAML==6.0.2
    ```
    """

    id = "FG601"
    name = "vulnerable-dependency"
    summary = "A deployed dependency version has a known vulnerability (OSV advisory)"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-1395"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        deps = ctx.facts.deps
        if deps is None:
            return
        for vulnerable in deps.vulnerable:
            for advisory in vulnerable.advisories:
                yield self._finding(vulnerable, advisory)

    def _finding(self, vulnerable: VulnerableDependency, advisory: Advisory) -> Finding:
        dep, inventory = vulnerable.dependency, vulnerable.inventory
        ids = advisory.id + (f" ({', '.join(advisory.aliases)})" if advisory.aliases else "")
        summary = f": {advisory.summary.rstrip('.')}" if advisory.summary else ""
        if advisory.fixed:
            remedy = f"fixed in {advisory.fixed[0]}"
            fix = f"Upgrade {dep.name} to {advisory.fixed[0]} or later"
        elif advisory.last_affected:
            remedy = f"no fixed version published (last affected {advisory.last_affected})"
            fix = f"Upgrade {dep.name} past {advisory.last_affected}, or replace it"
        else:
            remedy = "no fixed version published"
            fix = f"Replace {dep.name} or mitigate {advisory.id}; no fixed release is known"
        if dep.kind.value in ("poetry-lock", "pipfile-lock", "uv-lock", "package-lock"):
            fix += f" and regenerate {dep.manifest.rsplit('/', 1)[-1]}"
        elif inventory.owner_kind == "image":
            fix += (" (`apt-get upgrade`/`apk upgrade` in the Dockerfile, or a newer base image)"
                    if dep.ecosystem.is_os else "") + " and rebuild the image"
        elif dep.kind.value in ("installed", "node-modules"):
            fix += f" and rebuild {'the layer' if inventory.owner_kind == 'layer' else 'the package'}"
        elif dep.ecosystem is Ecosystem.PYPI:
            fix += f" (`{dep.name}=={advisory.fixed[0]}`)" if advisory.fixed else ""
        fix += "."
        severity_note = f" [{advisory.severity_source}]" if advisory.severity_source else ""
        evidence = [EvidenceStep(f"{dep.name} {dep.version} declared in {dep.manifest}", dep.location)]
        if dep.binaries and dep.binaries != (dep.name,):
            evidence.append(EvidenceStep(f"installed binary packages: {', '.join(dep.binaries)}", dep.location))
        if dep.layer:
            evidence.append(EvidenceStep(f"introduced by {dep.layer}", dep.location))
        if advisory.url:
            evidence.append(EvidenceStep(f"advisory {advisory.url}{severity_note}", dep.location))
        name = f"{dep.osv_ecosystem} package {dep.name}" if dep.ecosystem.is_os else dep.name
        return self.finding(
            f"{name} {dep.version} in {_owner_phrase(inventory)} has known vulnerability {ids}{summary}; "
            f"{remedy}",
            dep.location, inventory.owner, function=_functions(inventory),
            severity=advisory.severity or self.severity, evidence=evidence, fix=fix)


@register
class UnpinnedDependencyRule(Rule):
    """
    ## What it does
    Reports dependencies of a deployed function or layer whose version is not fixed: a requirements line
    without `==` (and no `-c` constraint pinning it), a VCS requirement on a branch or tag instead of a
    commit, a `pyproject.toml` range with no lockfile beside it, and npm ranges (`^1.2.0`, `~1.2.0`, `*`,
    dist-tags) in a `package.json` with no lockfile (`package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`,
    `pnpm-lock.yaml`) next to it or above it. Development-only files and sections are not reported.

    ## Why is this bad?
    Every build resolves the range again: the package that ships is whatever the registry serves that day,
    including a release with a new vulnerability or a hijacked maintainer account's malicious version. Nobody
    reviewed it, and the deployed function no longer matches what was tested. Pinned versions also make
    advisories checkable (FG601 needs an exact version).

    ## Example
    ```text
    # src/orders/requirements.txt
    requests>=2.20
    boto3
    ```

    ## Fix
    Pin exact versions (ideally with hashes, e.g. generated by `pip-compile --generate-hashes`), or commit the
    lockfile your tool writes:
    ```text
    requests==2.32.3
    boto3==1.35.10
    ```
    """

    id = "FG602"
    name = "unpinned-dependency"
    summary = "A deployed dependency is not pinned to an exact version (range, no lockfile)"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-1357"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        deps = ctx.facts.deps
        if deps is None:
            return
        seen: set[tuple[str, str, int, str]] = set()
        for inventory in deps.inventories:
            for dep in inventory.dependencies:
                if dep.unpinned_reason is None or dep.dev or not dep.direct:
                    continue
                key = (inventory.owner, dep.manifest, dep.location.line, dep.key)
                if key in seen:
                    continue
                seen.add(key)
                yield self.finding(
                    f"{dep.name} in {dep.manifest} ({_owner_phrase(inventory)}) is not pinned: "
                    f"{dep.unpinned_reason}",
                    dep.location, inventory.owner, function=_functions(inventory), fix=_pin_fix(dep))


def _pin_fix(dep: Dependency) -> str:
    if dep.ecosystem is Ecosystem.NPM:
        return ("Commit a lockfile (`npm install --package-lock-only`) and build with `npm ci`, or pin the exact "
                f"version of {dep.name} in package.json.")
    if dep.kind.value == "pyproject":
        return "Commit a lockfile (`uv lock`, `poetry lock`) or deploy from a pinned requirements file."
    if dep.specifier.startswith(("git+", "hg+", "svn+", "bzr+")):
        return f"Reference a full commit hash for {dep.name} (`@<40-hex-sha>`), or a released version."
    return (f"Pin {dep.name} to an exact version (`{dep.name}==X.Y.Z`), ideally with `--hash`, e.g. by compiling "
            "the requirements with `pip-compile --generate-hashes`.")


# ------------------------------------------------------------------------------------------------ FG603

_LAYER_ARN = re.compile(r"^arn:(aws[\w-]*):lambda:([\w-]*):([^:]+):layer:([^:]+)(?::(\d+))?$")


@lru_cache(maxsize=1)
def aws_layer_accounts() -> dict[str, str]:
    """Account id → publisher name, from `faasguard/data/layer_accounts.json` (read once)."""
    data = json.loads(packaged("layer_accounts.json"))
    accounts: dict[str, str] = {}
    for publisher in data["publishers"]:
        for account in publisher["accounts"].values():
            accounts[str(account)] = publisher["name"]
    return accounts


def layer_account(arn: str) -> str | None:
    match = _LAYER_ARN.match(arn)
    return match.group(3) if match else None


@register
class UntrustedLayerRule(Rule):
    """
    ## What it does
    Reports a function that uses a Lambda layer published by an AWS account that is neither the application's
    own, nor listed in the config (`accounts`, `trusted_layer_accounts`), nor one of the accounts AWS uses to
    publish its own layers (Powertools for AWS Lambda, the Parameters and Secrets extension, AppConfig, Lambda
    Insights, ADOT, AWS SDK for pandas, Lambda Web Adapter; the package's `layer_accounts.json` names the source
    of each). Layers referenced through a parameter, or with the template's own `${AWS::AccountId}`, are not
    reported.

    ## Why is this bad?
    A layer is code that runs inside the function, with its role and its event data, before the handler does.
    A layer version from someone else's account can be replaced by a new version you have not reviewed the day
    you bump the number, and its publisher can delete it, breaking deployments. Nobody audits it the way the
    function's own dependencies are audited.

    ## Example
    ```yaml
    OrdersFunction:
      Type: AWS::Serverless::Function
      Properties:
        Layers:
          - arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:7
    ```

    ## Fix
    Build the layer in your own account from reviewed sources, or, after reviewing the publisher, allow its
    account explicitly:
    ```toml
    # .faasguard.toml
    trusted_layer_accounts = ["123456789012"]
    ```
    """

    id = "FG603"
    name = "untrusted-layer"
    summary = "A function uses a layer from an account outside the app's own and the allowlist"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-829"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        app = ctx.app
        trusted = set(ctx.config.accounts) | set(ctx.config.trusted_layer_accounts)
        if isinstance(app.account_id, str):
            trusted.add(app.account_id)
        own_arns = {layer.arn for layer in app.layers if isinstance(layer.arn, str)}
        own_ids = {layer.id for layer in app.layers}
        aws = aws_layer_accounts()
        for function in app.functions:
            for ref in function.layers:
                if not isinstance(ref, str) or ref in own_ids or ref in own_arns:
                    continue
                account = layer_account(ref)
                if account is None or not re.fullmatch(r"\d{12}", account):
                    continue  # ${AWS::AccountId}, a parameter, or not a layer ARN: not judged
                if account in trusted or account in aws:
                    continue
                yield self.finding(
                    f"function {function.id} uses layer {ref} from account {account}, which is not this "
                    "application's account, not in the configured allowlist and not an AWS publishing account",
                    function.loc("layers"), function.id, function=function.id,
                    fix=f"Build the layer in your own account from reviewed sources, or add {account} to "
                        "`trusted_layer_accounts` after reviewing its publisher.")


# ------------------------------------------------------------------------------------------------ FG604

def _written(image: str | Unknown | None) -> str | None:
    """The image reference as written: a resolved string, or the known shape of an unresolved one
    (`${Repo}:latest`), whose literal tag is still judged."""
    if isinstance(image, Unknown):
        return image.partial
    return image


def image_reference(image: str) -> tuple[str | None, bool]:
    """(tag, pinned by digest) of an image reference; tag None when absent (which means `latest`)."""
    if "@sha256:" in image or "@sha512:" in image:
        return None, True
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1], False
    return None, False


@register
class MutableImageReferenceRule(Rule):
    """
    ## What it does
    Reports container images referenced by tag instead of by digest: ECS/Fargate container definitions, Cloud
    Run containers and Lambda container-image functions (`ImageUri`). `:latest` or no tag at all is reported at
    medium severity, any other tag at low. A literal tag (or none) after a registry or repository that is not
    known statically (`${var.registry}/app:latest`, `!Sub "${Repo}:latest"`) is judged the same; a tag that
    may be inside the unresolved part (`${Repo}:${Tag}`, `!Ref Image`) is not. In Dockerfiles only an
    untagged or `:latest` base image from a
    registry path is reported (a bare name may be a build stage). Lambda resolves a tag to a digest when the
    function is deployed, so for Lambda images a tag is reported at low severity.

    ## Why is this bad?
    A tag is a movable pointer: whoever can push to the repository (or compromise it) changes what runs on the
    next deployment or scale-out, with no change in your code review. Two tasks of the same service can even run
    different images. A digest names exactly one image.

    ## Example
    ```json
    {"containerDefinitions": [{"name": "api", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest"}]}
    ```

    ## Fix
    Reference the image by digest (your build pipeline knows it after `docker push`):
    ```json
    {"containerDefinitions": [{"name": "api",
      "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:4c1b...e9"}]}
    ```
    """

    id = "FG604"
    name = "mutable-image-reference"
    summary = "A container image is referenced by tag instead of by digest"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-494"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.app.containers:
            image = _written(container.image)
            if not isinstance(image, str) or not image.strip() or container.platform == "lambda-image":
                continue
            found = self._judge(image.strip(), dockerfile=container.platform == "dockerfile")
            if found:
                severity, why = found
                known, fix = _digest_fix(ctx, image.strip(), container=container.id)
                yield self.finding(
                    f"container {container.id} runs image {image} by {why} instead of by digest{known}",
                    container.loc("image"), container.id, severity=severity,
                    fix=fix or "Reference the image by digest (`<repository>@sha256:<digest>`, as printed by "
                               "`docker push` or the registry) and update it deliberately.")
        for function in ctx.app.functions:
            code = function.code
            image = _written(code.image_uri) if code else None
            if not isinstance(image, str) or not image.strip():
                continue
            found = self._judge(image.strip(), dockerfile=False)
            if found:
                _, why = found
                location = function.field_locations.get("image_uri") or function.field_locations.get("code") \
                    or function.location
                known, fix = _digest_fix(ctx, image.strip(), function=function.id)
                yield self.finding(
                    f"function {function.id} deploys image {image} by {why} instead of by digest (Lambda pins "
                    "the digest at deploy time, so the next deployment silently picks up whatever the tag "
                    f"points to then){known}",
                    location, function.id, function=function.id, severity=Severity.LOW,
                    fix=fix or "Reference the image by digest (`ImageUri: <repo>@sha256:<digest>`).")

    @staticmethod
    def _judge(image: str, dockerfile: bool) -> tuple[Severity, str] | None:
        if "{{" in image or image.lower() == "scratch":
            return None  # a dynamic reference: the whole value is unknown
        tag, pinned = image_reference(image)
        if "${" in image:
            # An unresolved registry or repository part (`${var.registry}/app:latest`, `${Repo}:latest`) does not
            # make a literal tag after it any less mutable; only a tag the symbol may itself hold is not judged.
            tail = image[image.rfind("}") + 1:]
            if pinned or "@" in tail:
                return None
            if "/" in tail:
                tag, _ = image_reference(tail.rsplit("/", 1)[-1])
            elif ":" in tail:
                tag = tail.rsplit(":", 1)[1]
            else:
                return None  # `${Image}` or `${Repo}-suffix`: the tag may be inside the symbol
            if "$" in (tag or "") or (tag is not None and not tag):
                return None
        if pinned:
            return None
        if tag is None or tag == "latest":
            if dockerfile and "/" not in image:
                return None
            return Severity.MEDIUM, "the mutable `latest` tag" if tag else "no tag (implicitly `latest`)"
        if dockerfile:
            return None
        return Severity.LOW, f"the tag `{tag}`"


def _digest_fix(ctx: RuleContext, image: str, *, function: str | None = None,
                container: str | None = None) -> tuple[str, str | None]:
    """(message suffix, fix) naming the digest of the image scanned for this workload, when its file records the
    manifest digest (an OCI layout or archive, or a Docker 25+ `docker save`)."""
    images = ctx.facts.images
    bound = None
    if images is not None:
        bound = images.for_function(function) if function else images.for_container(container or "")
    if bound is None or not bound.image.manifest_digest:
        return "", None
    digest = bound.image.manifest_digest
    repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return (f"; the scanned image {bound.image.display} has manifest digest {digest}",
            f"Reference the image by digest: `{repository}@{digest}` (the digest of {bound.image.display}; check it "
            "is the one the registry serves for this tag before pinning).")


# ------------------------------------------------------------------------------------------------ FG605

def _property_location(resource: Resource, key: str) -> Location | None:
    return resource.field_locations.get(key)


def _registry_covers(app_scanning: tuple[RegistryScanning, ...], resource: Resource) -> bool | Unknown:
    """Whether a registry-wide scanning configuration of the same source scans this repository's pushes."""
    undecided: Unknown | None = None
    for config in app_scanning:
        covered = config.covers(resource.name)
        if covered is True:
            return True
        if isinstance(covered, Unknown):
            undecided = undecided or covered
    return undecided if undecided is not None else False


@register
class ImageScanningDisabledRule(Rule):
    """
    ## What it does
    Reports ECR repositories (CloudFormation `AWS::ECR::Repository`, Terraform `aws_ecr_repository`) that do not
    scan images on push (`ImageScanningConfiguration.ScanOnPush` / `image_scanning_configuration.scan_on_push`
    absent or false) or whose tags are mutable (`ImageTagMutability` / `image_tag_mutability` absent or
    `MUTABLE`, the default). Scanning is not reported when a registry-wide scanning configuration of the same
    source (`AWS::ECR::RegistryScanningConfiguration` / `aws_ecr_registry_scanning_configuration`) has a
    `SCAN_ON_PUSH` or `CONTINUOUS_SCAN` rule whose wildcard repository filter matches the repository's name.

    ## Why is this bad?
    Without scanning, a base image or package with a known CVE is pushed and deployed without anyone being told.
    With mutable tags, anyone allowed to push can silently replace the image behind a tag that task definitions
    and functions already reference.

    ## Example
    ```yaml
    ImagesRepository:
      Type: AWS::ECR::Repository
      Properties:
        RepositoryName: orders
    ```

    ## Fix
    ```yaml
    ImagesRepository:
      Type: AWS::ECR::Repository
      Properties:
        RepositoryName: orders
        ImageTagMutability: IMMUTABLE
        ImageScanningConfiguration:
          ScanOnPush: true
    ```
    """

    id = "FG605"
    name = "image-scanning-disabled"
    summary = "An ECR repository does not scan images on push, or has mutable tags"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-1104"
    owasp = "SAS-6"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for resource in ctx.app.resources:
            if resource.category is not ResourceCategory.ECR_REPOSITORY or resource.ecr is None:
                continue
            scan, mutability = resource.ecr.scan_on_push, resource.ecr.tag_mutability
            problems: list[str] = []
            location: Location | None = None
            severity = Severity.LOW
            if (scan is not True and not isinstance(scan, Unknown)
                    and _registry_covers(ctx.app.registry_scanning, resource) is False):
                problems.append("does not scan images on push" if scan is None
                                else "has scan on push turned off")
                location = _property_location(resource, "ecr.scan_on_push")
                severity = Severity.MEDIUM
            if not isinstance(mutability, Unknown) and (mutability is None
                                                        or mutability.upper().startswith("MUTABLE")):
                problems.append("allows tags to be overwritten (mutable tags)" if mutability is None
                                else f"has ImageTagMutability {mutability}")
                location = location or _property_location(resource, "ecr.tag_mutability")
            if not problems:
                continue
            fixes = []
            if severity is Severity.MEDIUM:  # the scanning problem is the one that raises it
                fixes.append("turn on scan on push (`ImageScanningConfiguration: {ScanOnPush: true}` / "
                             "`image_scanning_configuration { scan_on_push = true }`)")
            if len(problems) == 2 or severity is Severity.LOW:
                fixes.append("make tags immutable (`ImageTagMutability: IMMUTABLE` / "
                             "`image_tag_mutability = \"IMMUTABLE\"`)")
            fix = "; ".join(fixes)
            # Only the first letter is raised: property names in the text are case-sensitive.
            yield self.finding(
                f"ECR repository {resource.id} {' and '.join(problems)}",
                location or resource.location, resource.id, severity=severity,
                fix=fix[:1].upper() + fix[1:] + ".")

