"""Terraform (`.tf`, `.tf.json`, `.tfvars`) → one `Application(source=TERRAFORM)` per root module.

A *root module* is a directory with `.tf` files that no other scanned directory uses as a local module
(`source = "./modules/x"`). Local modules are followed with their inputs, and the nodes they declare get
addresses prefixed `module.<name>.`, exactly as Terraform names them. The popular registry modules
`terraform-aws-modules/lambda/aws` (its function, role with its trust policy, policies, function URL and
allowed triggers) and `terraform-aws-modules/apigateway-v2/aws` (its API, stage, authorizers and routes) are
understood from their inputs without fetching them, synthesized under `module.<name>.`; any other registry or
git module is not downloaded: an UNSUPPORTED note says its contents are not checked.

Conventions (shared with the CloudFormation loader so rules treat both alike):

* `Node.id` and `Location.logical_id` are the Terraform address (`aws_lambda_function.api`,
  `module.svc.aws_iam_role.this`). A resource whose `count` / `for_each` is known statically is one node per
  instance, addressed as Terraform does (`aws_lambda_function.fn["a"]`, `aws_sqs_queue.q[0]`) and located at the
  resource block; a known count of 0 (or an empty for_each) creates no node. One whose collection is not known
  stays one node under the plain address (an INFO note says why); see `_expansion`. A module call with a known
  `count` / `for_each` is one module instance per key, its nodes under `module.name["key"].`.
* A reference to an attribute only known after apply stays a symbolic string in `${...}` form:
  `aws_iam_role.r.arn` → `"${aws_iam_role.r.arn}"`, so a policy resource scoped to one resource is
  distinguishable from `*`. The ARN (or queue URL) of a table, bucket, queue, topic, secret, state machine,
  stream or delivery stream is written in its AWS shape around the symbolic *name*
  (`arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${aws_dynamodb_table.t.name}`), so a
  grant on `.arn` and a handler call on `.name` compare equal (see `_arn_shape`).
  `data.aws_caller_identity.*.account_id` is `${AWS::AccountId}` (the app's own account),
  `data.aws_region.*.name` `${AWS::Region}`, `data.aws_partition.*.partition` `${AWS::Partition}`.
* A variable resolves, in Terraform's order, to `*.auto.tfvars` / `terraform.tfvars` values (root) or the
  module call's input (child), else its `default`; without either it is `Unknown` (and an UNRESOLVED note
  names it once). `TF_VAR_*` environment variables are never read (the scan must not depend on, or leak, the
  CI machine's environment), and named `-var-file`s are not guessed.
* Who may write to a bucket, queue or topic (RULES.md "Public trigger") is spread over several resources in
  Terraform. `aws_s3_bucket_policy` / `aws_sqs_queue_policy` / `aws_sns_topic_policy` and the inline `policy`
  of `aws_s3_bucket` / `aws_sqs_queue` / `aws_sns_topic` are merged into the target's `resource_policy`
  (each statement located where written, logical id = the address holding the policy); the target is found
  by reference or by a literal name/URL/ARN naming exactly one of them, never guessed. `aws_s3_bucket_acl`,
  `aws_s3_bucket_public_access_block` (and the account-wide one) and `aws_s3_bucket_ownership_controls` become
  the bucket's typed `BucketSettings` (`Resource.bucket`), as CloudFormation's bucket properties do.
* Terraform adds no implicit allow-all egress to a security group (unlike CloudFormation), so
  `implicit_allow_all_egress` is always False here.

Security: `file()`, `templatefile()` and `fileexists()` read only regular files inside the scanned roots (size
capped); anything else is `Unknown` with the reason. No network, no module download, no provider plugins.

For the container engineer: `parse_container_definitions()` turns an `aws_ecs_task_definition`'s
`container_definitions` (JSON string, heredoc, `jsonencode([...])`, `file()`) into a located list of
definitions; `Container` nodes are built from it with the shared `_containers.ecs_container` helper.

Google Cloud Run services (`google_cloud_run_v2_service`, `google_cloud_run_service` and their `*_iam_*`
invoker grants) become `Container` nodes in `_gcp.py`, in the shape the Knative YAML loader gives them; Google
Cloud Functions (gen 1 and gen 2, their invoker grants, and functions only a grant names) become `Function`
nodes with platform "gcp-functions" in `_gcf.py`.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from faasguard.findings import DiagnosticKind
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._budget import FILE_LIMITS, SCAN_LIMITS, Limits, isolated
from faasguard.loaders.terraform._apis import (
    _http_apis,
    _module_http_api,
    _rest_apis,
)
from faasguard.loaders.terraform._core import _Builder
from faasguard.loaders.terraform._expansion import index_text
from faasguard.loaders.terraform._functions import (
    _async_configs,
    _functions,
    _functions_prepass,
    _lambda_module,
    _layers,
)
from faasguard.loaders.terraform._gcf import TYPES as GCF_TYPES
from faasguard.loaders.terraform._gcf import cloud_functions
from faasguard.loaders.terraform._gcp import TYPES as GCP_TYPES
from faasguard.loaders.terraform._gcp import cloud_run_containers
from faasguard.loaders.terraform._iam import _attachments, _permissions, _roles
from faasguard.loaders.terraform._instances import (
    COMPONENT,
    _Instance,
    _Res,
)
from faasguard.loaders.terraform._loader import (
    _Entry,
    _Loader,
    _SyntheticHttpApi,
    _SyntheticLambda,
)
from faasguard.loaders.terraform._network import (
    _ecs_services,
    _network_topology,
    _scheduled_tasks,
    _security_groups,
)
from faasguard.loaders.terraform._policies import parse_container_definitions, policy_document
from faasguard.loaders.terraform._storage import (
    _resources,
)
from faasguard.loaders.terraform._triggers import (
    _event_sources,
    _function_urls,
)

__all__ = ["load", "parse_container_definitions", "policy_document", "root_limits"]


def build(b: _Builder) -> None:
    for inst in b.instances:
        for block in inst.mod.resources:
            rtype, name = block.labels
            expansion = inst.expansion(rtype, name)
            if expansion is None:
                address = f"{inst.prefix}{rtype}.{name}"
                entry = _Entry(inst, _Res(inst, block, address), rtype, name)
                b.entries[rtype].append(entry)
                b.by_address[address] = entry
                continue
            for key, bindings in expansion.instances.items():
                address = expansion.address + index_text(key)
                entry = _Entry(inst, _Res(inst, block, address, bindings), rtype, name)
                b.entries[rtype].append(entry)
                b.by_address[address] = entry
        expanded = [child for _, by_key in inst.module_instances.values() for child in by_key.values()]
        for child in [*inst.children.values(), *expanded]:
            if isinstance(child, (_SyntheticLambda, _SyntheticHttpApi)):
                b.prefixes.add(child.prefix)  # `module.m["a"].` stays in the references to its nodes
            if isinstance(child, _SyntheticLambda) and child.creates_function:
                b.synthetic.append(child)
            elif isinstance(child, _SyntheticHttpApi) and child.creates_api:
                b.synthetic_apis.append(child)
    for entry in b.entries["aws_lambda_alias"]:
        fid = b.function_id(entry.res.get("function_name"))
        if isinstance(fid, str):
            b.aliases[entry.res.address] = fid
    _roles(b)
    _security_groups(b)
    _network_topology(b)
    _ecs_services(b)
    _scheduled_tasks(b)
    _layers(b)
    _functions_prepass(b)
    _async_configs(b)
    _functions(b)
    for module in b.synthetic:
        _lambda_module(b, module)
    _attachments(b)
    _permissions(b)
    _function_urls(b)
    _event_sources(b)
    _rest_apis(b)
    _http_apis(b)
    for api in b.synthetic_apis:
        _module_http_api(b, api)
    _resources(b)
    b._parameters()
    if any(b.entries.get(rtype) for rtype in GCP_TYPES):
        b.containers.extend(cloud_run_containers(b))
    if any(b.entries.get(rtype) for rtype in GCF_TYPES):
        cloud_functions(b)


def load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    """Every Terraform file of the scan: group by directory, find root modules, build one app per root."""
    # The loader allocates many small, acyclic objects (syntax nodes, located values); the cyclic collector
    # rescanning them made loading superlinear (1,000 functions: 2.9 s with it, 1.5 s without). Nothing here
    # creates reference cycles that need collecting during the load, so it is paused and restored.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(files, ctx)
    finally:
        if was_enabled:
            gc.enable()


def _load(files: Sequence[SourceFile], ctx: LoadContext) -> LoadResult:
    loader = _Loader(ctx)
    tf_by_dir: dict[Path, list[tuple[Path, str]]] = defaultdict(list)
    for source in files:
        lower = source.path.name.lower()
        if lower.endswith((".tfvars", ".tfvars.json")):
            loader.var_files[source.path.parent].append((source.path, source.display))
            loader.result.handled.add(source.path)
        elif lower.endswith((".tf", ".tf.json")):
            tf_by_dir[source.path.parent].append((source.path, source.display))
    for directory in sorted(tf_by_dir):
        loader.read_dir(directory, tf_by_dir[directory])
    used_as_module: set[Path] = set()
    for directory, mod in list(loader.dirs.items()):
        for block in mod.modules.values():
            child = loader._local_module_dir(directory, block)
            if child is not None and child != directory and child in tf_by_dir:
                used_as_module.add(child)
    roots = [d for d in sorted(tf_by_dir) if d not in used_as_module]
    reached: set[Path] = set()
    for root in roots:
        _load_root(loader, root, reached)
    for directory in sorted(tf_by_dir):  # modules only reachable through a cycle: load them as roots
        if directory not in reached:
            _load_root(loader, directory, reached)
    return loader.result


SOURCE_CHARS_PER_STEP = 4
"""A root module may take one evaluation step per this many characters of its own source, above the fixed
per-input floor. Legitimate modules take far fewer (the benchmark's functions: one step per ~16 characters;
the corpus' largest root: ~30k steps), so this only ever matters for very large roots."""


def root_limits(source_size: int) -> Limits:
    """The work budget of one root module whose own `.tf` files hold `source_size` characters.

    Why the step limit grows with the input: a fixed limit that bounds hostile input also refused legitimate
    large roots (10,000 functions take ~1.4M steps, ~140 per function), and a root module is evaluated as one
    unit. Why it is still safe: what hostile input can buy is linear in bytes it must write (one step per
    `SOURCE_CHARS_PER_STEP` characters, every file capped by `max_file_bytes`), the multiplying constructs stay
    bounded by the per-expression cap and by the text/item/module limits, which do not grow, and every step is
    also charged to the scan's budget, whose fixed limit bounds the sum over all roots exactly as before."""
    steps = min(max(FILE_LIMITS.steps, source_size // SOURCE_CHARS_PER_STEP), SCAN_LIMITS.steps)
    return FILE_LIMITS if steps == FILE_LIMITS.steps else replace(FILE_LIMITS, steps=steps)


def _load_root(loader: _Loader, root: Path, reached: set[Path]) -> None:
    """One root module, isolated: its crash or budget overrun is its diagnostic, the other roots load."""
    display = loader.ctx.display(root)
    loader.budget = loader.ctx.budget.child(display, root_limits(loader.dirs[root].source_size))
    loader.reserved_steps = 0
    before = len(loader.result.diagnostics)
    with isolated(loader.result.diagnostics, COMPONENT, display):
        _load_root_unguarded(loader, root, reached)
        return
    # refused: its modules are not loaded again as roots of their own (each would be refused in turn)
    del loader.result.diagnostics[before:-1]
    reached.update(d for d in loader.dirs if d.is_relative_to(root))


def _load_root_unguarded(loader: _Loader, root: Path, reached: set[Path]) -> None:
    mod = loader.dirs[root]
    instances: list[_Instance] = []
    tfvars = loader.tfvars(root)
    inst = loader.instantiate(mod, "", root, inputs=tfvars, parent=None, call=None, chain=(root,),
                              instances=instances)
    builder = _Builder(loader, instances)
    build(builder)
    files: list[str] = []
    for instance in instances:
        reached.add(instance.mod.path)
        for display in instance.mod.displays:
            if display not in files:
                files.append(display)
        for name in sorted(instance.unknown_vars):
            block = instance.mod.variables.get(name)
            if block is not None:
                where = "the module call" if instance.prefix else "terraform.tfvars / *.auto.tfvars"
                loader.diag(DiagnosticKind.UNRESOLVED, f"variable {instance.prefix}var.{name} has no default and "
                            f"no value in {where}; values that depend on it are unknown",
                            block.location.with_id(f"{instance.prefix}var.{name}"))
    files.extend(display for path, display in sorted(loader.var_files.get(root, [])))
    loader.result.apps.append(builder.application(loader.ctx.display(root), root, files))
    # Instances sit in reference cycles (evaluator → bound resolver → instance, parent ↔ children, input
    # thunks) that keep every parse tree and cache alive until a full garbage collection, which then has to
    # traverse them all (0.45 s after a 1,000-function load). Breaking the cycles lets reference counting free
    # them when the load returns; the application holds no reference to them.
    for instance in instances:
        instance.__dict__.clear()
    del inst
