"""Terraform (`.tf`, `.tf.json`, `.tfvars`) → one `Application(source=TERRAFORM)` per root module.

A *root module* is a directory with `.tf` files that no other scanned directory uses as a local module
(`source = "./modules/x"`). Local modules are followed with their inputs, and the nodes they declare get
addresses prefixed `module.<name>.`, exactly as Terraform names them. The popular registry module
`terraform-aws-modules/lambda/aws` is understood from its inputs without fetching it (its function, role,
policies, function URL and allowed triggers are synthesized under `module.<name>.`); any other registry or git
module is not downloaded: an UNSUPPORTED note says its contents are not checked.

Conventions (shared with the CloudFormation loader so rules treat both alike):

* `Node.id` and `Location.logical_id` are the Terraform address without instance keys
  (`aws_lambda_function.api`, `module.svc.aws_iam_role.this`). A resource with `count`/`for_each` is one node
  (noted in an INFO diagnostic); one whose count is known to be 0 (or whose for_each is known empty) is not
  created and not modelled.
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
  `aws_s3_bucket_public_access_block` (and the account-wide one) and `aws_s3_bucket_ownership_controls` are
  folded into the bucket's `properties` as `acl`, `public_access_block` and `object_ownership`, the
  Terraform spellings `rules/_common.py` reads beside CloudFormation's.
* Terraform adds no implicit allow-all egress to a security group (unlike CloudFormation), so
  `implicit_allow_all_egress` is always False here.

Security: `file()`, `templatefile()` and `fileexists()` read only regular files inside the scanned roots (size
capped); anything else is `Unknown` with the reason. No network, no module download, no provider plugins.

For the container engineer: `parse_container_definitions()` turns an `aws_ecs_task_definition`'s
`container_definitions` (JSON string, heredoc, `jsonencode([...])`, `file()`) into a located list of
definitions; `Container` nodes are built from it with the shared `_containers.ecs_container` helper.

Google Cloud Run services (`google_cloud_run_v2_service`, `google_cloud_run_service` and their `*_iam_*`
invoker grants) become `Container` nodes in `_terraform_gcp.py`, in the shape the Knative YAML loader gives them.
"""

from __future__ import annotations

import gc
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel
from faasguard.loaders import LoadContext, LoadResult, SourceFile
from faasguard.loaders._budget import Budget, Work, isolated
from faasguard.loaders._hcl import (
    Attribute,
    Block,
    EvalError,
    Evaluator,
    HclFile,
    JsonExpr,
    apply_steps,
    parse_hcl,
    parse_tf_json,
    to_plain,
)
from faasguard.loaders._terraform_gcp import TYPES as GCP_TYPES
from faasguard.loaders._terraform_gcp import cloud_run_containers
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, read_text
from faasguard.loaders.intrinsics import Symbolic
from faasguard.model import (
    Api,
    Application,
    Auth,
    AuthType,
    CodeLocation,
    Container,
    Destination,
    EnvVar,
    Function,
    Layer,
    Location,
    Parameter,
    Permission,
    Policy,
    PolicyDocument,
    PolicyKind,
    Resource,
    ResourceCategory,
    Role,
    SecurityGroup,
    SecurityGroupRule,
    SourceKind,
    Stage,
    Statement,
    Trigger,
    TriggerKind,
    Unknown,
    VpcConfig,
)

__all__ = ["load", "parse_container_definitions"]

COMPONENT = "terraform loader"
MAX_MODULE_DEPTH = 12
MAX_READ_BYTES = 2 * 1024 * 1024
"""Cap for `file()` / `templatefile()` reads."""

ACCOUNT = "${AWS::AccountId}"
REGION = "${AWS::Region}"
PARTITION = "${AWS::Partition}"

LAMBDA_MODULE = re.compile(
    r"^(?:registry\.terraform\.io/)?terraform-aws-modules/lambda/aws(?://.*)?$"
    r"|^(?:git::)?(?:https://|git@)?github\.com[/:]terraform-aws-modules/terraform-aws-lambda(?:\.git)?(?:[/?].*)?$")

_REF = re.compile(r"\$\{((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*)(data\.)?([a-z][a-z0-9_]*)\.([\w-]+)"
                  r"(?:\[[^\]]*\])?((?:\.[\w-]+)*)")

_CATEGORIES: dict[str, tuple[ResourceCategory, tuple[str, ...]]] = {
    "aws_db_instance": (ResourceCategory.RDS, ("identifier", "db_name")),
    "aws_rds_cluster": (ResourceCategory.RDS, ("cluster_identifier",)),
    "aws_rds_cluster_instance": (ResourceCategory.RDS, ("identifier",)),
    "aws_db_proxy": (ResourceCategory.RDS, ("name",)),
    "aws_elasticache_cluster": (ResourceCategory.ELASTICACHE, ("cluster_id",)),
    "aws_elasticache_replication_group": (ResourceCategory.ELASTICACHE, ("replication_group_id",)),
    "aws_elasticache_serverless_cache": (ResourceCategory.ELASTICACHE, ("name",)),
    "aws_redshift_cluster": (ResourceCategory.REDSHIFT, ("cluster_identifier",)),
    "aws_redshiftserverless_workgroup": (ResourceCategory.REDSHIFT, ("workgroup_name",)),
    "aws_docdb_cluster": (ResourceCategory.DOCUMENTDB, ("cluster_identifier",)),
    "aws_opensearch_domain": (ResourceCategory.OPENSEARCH, ("domain_name",)),
    "aws_elasticsearch_domain": (ResourceCategory.OPENSEARCH, ("domain_name",)),
    "aws_memorydb_cluster": (ResourceCategory.MEMORYDB, ("name",)),
    "aws_neptune_cluster": (ResourceCategory.NEPTUNE, ("cluster_identifier",)),
    "aws_dynamodb_table": (ResourceCategory.TABLE, ("name",)),
    "aws_s3_bucket": (ResourceCategory.BUCKET, ("bucket",)),
    "aws_sqs_queue": (ResourceCategory.QUEUE, ("name",)),
    "aws_sns_topic": (ResourceCategory.TOPIC, ("name",)),
    "aws_kinesis_stream": (ResourceCategory.STREAM, ("name",)),
    "aws_secretsmanager_secret": (ResourceCategory.SECRET, ("name",)),
    "aws_ssm_parameter": (ResourceCategory.PARAMETER, ("name",)),
    "aws_kms_key": (ResourceCategory.KMS_KEY, ("description",)),
    "aws_ecr_repository": (ResourceCategory.ECR_REPOSITORY, ("name",)),
    "aws_sfn_state_machine": (ResourceCategory.STATE_MACHINE, ("name",)),
    "aws_cloudwatch_event_bus": (ResourceCategory.EVENT_BUS, ("name",)),
    "aws_cloudwatch_log_group": (ResourceCategory.LOG_GROUP, ("name",)),
    "aws_cognito_user_pool": (ResourceCategory.USER_POOL, ("name",)),
    "aws_ecs_task_definition": (ResourceCategory.OTHER, ("family",)),
}

_POLICY_RESOURCES: dict[str, tuple[str, str]] = {
    "aws_s3_bucket_policy": ("bucket", "aws_s3_bucket"),
    "aws_sqs_queue_policy": ("queue_url", "aws_sqs_queue"),
    "aws_sns_topic_policy": ("arn", "aws_sns_topic"),
}
"""Resource-policy resource → (the argument naming its target, the target's type)."""
_POLICY_TARGETS = {rtype: target for rtype, (_, target) in _POLICY_RESOURCES.items()}
_BLOCK_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")

_SECRET_ATTRIBUTES = {
    ("aws_iam_access_key", "secret"), ("aws_iam_access_key", "ses_smtp_password_v4"),
    ("aws_api_gateway_api_key", "value"), ("random_password", "result"), ("random_string", "result"),
    ("aws_secretsmanager_secret_version", "secret_string"), ("aws_db_instance", "password"),
    ("aws_rds_cluster", "master_password"), ("tls_private_key", "private_key_pem"),
    ("aws_ssm_parameter", "value"), ("aws_iam_user_login_profile", "password"),
}
"""(resource type, attribute) pairs whose value is a secret: copying one into an environment variable puts it
in plaintext function configuration."""


# ------------------------------------------------------------------------------------------ modules

@dataclass
class _ModuleDir:
    """The parsed `.tf`/`.tf.json` files of one directory."""

    path: Path
    files: list[HclFile] = field(default_factory=list)
    displays: list[str] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)

    def add(self, hcl: HclFile, display: str) -> None:
        self.files.append(hcl)
        self.displays.append(display)
        for block in hcl.body.blocks:
            if block.type == "variable" and block.labels:
                self.variables[block.labels[0]] = block
            elif block.type == "locals":
                self.locals.update(block.body.attributes)
            elif block.type == "resource" and len(block.labels) == 2:
                self.resources.append(block)
            elif block.type == "data" and len(block.labels) == 2:
                self.data[(block.labels[0], block.labels[1])] = block
            elif block.type == "module" and block.labels:
                self.modules[block.labels[0]] = block
            elif block.type == "output" and block.labels:
                self.outputs[block.labels[0]] = block


def _module_source(block: Block) -> str | None:
    attr = block.body.attr("source")
    if attr is None:
        return None
    if isinstance(attr.expr, JsonExpr):
        return attr.expr.value if isinstance(attr.expr.value, str) else None
    text = attr.expr.text.decode("utf-8", "replace").strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and "${" not in text:
        return str(text[1:-1])
    return None


def _is_local_source(source: str) -> bool:
    return source.startswith(("./", "../")) or source in (".", "..")


# ------------------------------------------------------------------------------------------ instances

class _Instance:
    """One instantiation of a module directory: root (`prefix == ""`) or `module.x.` (with its inputs)."""

    def __init__(self, loader: _Loader, mod: _ModuleDir, prefix: str, root_dir: Path, *,
                 inputs: Mapping[str, Any] | None, parent: _Instance | None, call: Block | None) -> None:
        self.loader = loader
        self.mod = mod
        self.prefix = prefix
        self.root_dir = root_dir
        self.inputs: Mapping[str, Any] = inputs or {}
        """Variable name → (evaluator thunk) for child modules; name → value for root tfvars."""
        self.parent = parent
        self.call = call
        self.children: dict[str, _Instance | _SyntheticLambda | None] = {}
        self._var_cache: dict[str, Any] = {}
        self._local_cache: dict[str, Any] = {}
        self._output_cache: dict[str, Any] = {}
        self._doc_cache: dict[str, Any] = {}
        self._attr_cache: dict[int, Any] = {}
        self._active: list[str] = []
        self.unknown_vars: set[str] = set()
        self.evaluator = Evaluator(self._resolve, {
            "file": self._fn_file, "templatefile": self._fn_templatefile, "fileexists": self._fn_fileexists,
            "abspath": lambda args, loc: Unknown("abspath() depends on the machine running Terraform", loc),
            "pathexpand": lambda args, loc: Unknown("pathexpand() reads the home directory; not resolved", loc),
        }, budget=loader.budget)

    # -------------------------------------------------------------------------- evaluation

    def module_rel(self) -> str:
        try:
            rel = self.mod.path.relative_to(self.root_dir).as_posix()
        except ValueError:
            return self.mod.path.as_posix()
        return "." if rel in ("", ".") else rel

    def eval_attr(self, attr: Attribute, bindings: Mapping[str, Any] | None = None) -> Any:
        """Evaluate an attribute; without iterator bindings the value is computed once (rules of several
        resource types read the same attribute, e.g. a function's name for permissions and triggers)."""
        if bindings:
            return self.evaluator.eval(attr.expr, attr.location, bindings)
        key = id(attr)
        if key in self._attr_cache:
            return self._attr_cache[key]
        value = self.evaluator.eval(attr.expr, attr.location)
        self._attr_cache[key] = value
        return value

    def _guard(self, key: str, location: Location) -> Unknown | None:
        if key in self._active:
            cycle = " → ".join([*self._active[self._active.index(key):], key])
            self.loader.diag(DiagnosticKind.UNRESOLVED, f"reference cycle: {cycle}; values on it are unknown",
                             location)
            return Unknown(f"reference cycle ({cycle})", location)
        if len(self._active) > 60:
            return Unknown("references nested too deeply", location)
        return None

    def variable(self, name: str, location: Location) -> Any:
        if name in self._var_cache:
            return self._var_cache[name]
        key = f"var.{name}"
        cyc = self._guard(key, location)
        if cyc is not None:
            return cyc
        self._active.append(key)
        try:
            value = self._variable(name, location)
        finally:
            self._active.pop()
        self._var_cache[name] = value
        return value

    def _variable(self, name: str, location: Location) -> Any:
        block = self.mod.variables.get(name)
        if name in self.inputs:
            provided = self.inputs[name]
            value = provided() if callable(provided) else provided
            if value is None and block is not None and block.body.attr("default") is not None:
                return self.eval_attr(block.body.attributes["default"])  # null input = use the default
            return value
        if block is None:
            self.loader.diag(DiagnosticKind.UNRESOLVED, f"undeclared variable var.{name}", location)
            return EvalError(f"undeclared variable var.{name}", location)
        default = block.body.attr("default")
        if default is not None:
            return self.eval_attr(default)
        self.unknown_vars.add(name)
        where = "the module call" if self.prefix else "a .tfvars file"
        return Unknown(f"variable {name} has no default and no value in {where}", location)

    def local(self, name: str, location: Location) -> Any:
        if name in self._local_cache:
            return self._local_cache[name]
        attr = self.mod.locals.get(name)
        if attr is None:
            return EvalError(f"undeclared local.{name}", location)
        key = f"local.{name}"
        cyc = self._guard(key, attr.location)
        if cyc is not None:
            return cyc
        self._active.append(key)
        try:
            value = self.eval_attr(attr)
        finally:
            self._active.pop()
        self._local_cache[name] = value
        return value

    def output(self, name: str, location: Location) -> Any:
        if name in self._output_cache:
            return self._output_cache[name]
        block = self.mod.outputs.get(name)
        attr = block.body.attr("value") if block is not None else None
        if attr is None:
            return EvalError(f"module has no output {name}", location)
        key = f"output.{name}"
        cyc = self._guard(key, attr.location)
        if cyc is not None:
            return cyc
        self._active.append(key)
        try:
            value = self.eval_attr(attr)
        finally:
            self._active.pop()
        self._output_cache[name] = value
        return value

    def _resolve(self, root: str, steps: list[tuple[str, Any]], location: Location, text: str) -> Any:
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if root == "var":
            if first is None:
                return EvalError("var without a name", location)
            return apply_steps(self.variable(first, location), steps[1:], location)
        if root == "local":
            if first is None:
                return EvalError("local without a name", location)
            return apply_steps(self.local(first, location), steps[1:], location)
        if root == "module":
            return self._module_ref(first, steps, location)
        if root == "data":
            return self._data_ref(steps, location, text)
        if root == "path":
            rel = self.module_rel()
            return {"module": rel, "root": ".", "cwd": "."}.get(str(first), EvalError("unknown path.*", location))
        if root in ("count", "each", "self", "terraform"):
            return Unknown(f"{text} (one node per resource; instances are not expanded)", location)
        if "_" in root and first is not None:
            return _arn_shape(self.prefix, root, first, steps[1:]) or _symbolic(self.prefix + text)
        self.loader.diag(DiagnosticKind.UNRESOLVED, f"unknown reference {text}", location)
        return EvalError(f"unknown reference {text}", location)

    def _module_ref(self, name: str | None, steps: list[tuple[str, Any]], location: Location) -> Any:
        if name is None:
            return EvalError("module without a name", location)
        child: _Instance | _SyntheticLambda | str | None = self.children.get(name, "missing")
        if isinstance(child, str):
            return EvalError(f"undeclared module.{name}", location)
        rest = steps[1:]
        if rest and rest[0][0] == "index":  # module with count / for_each
            rest = rest[1:]
        if not rest or rest[0][0] != "attr":
            return Unknown(f"module.{name} as a whole is not evaluated", location)
        output = rest[0][1]
        if child is None:
            return Unknown(f"output {output} of module {name}, whose source is not loaded", location)
        return apply_steps(child.output(output, location), rest[1:], location)

    def _data_ref(self, steps: list[tuple[str, Any]], location: Location, text: str) -> Any:
        names = [key for kind, key in steps[:2] if kind == "attr"]
        if len(names) < 2:
            return EvalError(f"incomplete data reference {text}", location)
        data_type, data_name = names
        rest = steps[2:]
        if rest and rest[0][0] == "index":
            rest = rest[1:]
        attr = rest[0][1] if rest and rest[0][0] == "attr" else None
        tail = rest[1:] if attr is not None else rest
        block = self.mod.data.get((data_type, data_name))
        if data_type == "aws_caller_identity" and attr in ("account_id", "id"):
            return ACCOUNT
        if data_type == "aws_region" and attr in ("name", "id", "region"):
            return REGION
        if data_type == "aws_partition" and attr == "partition":
            return PARTITION
        if data_type == "aws_partition" and attr == "dns_suffix":
            return "amazonaws.com"
        if block is not None and data_type == "aws_iam_policy_document" and attr in ("json", "minified_json"):
            return apply_steps(self.policy_document_data(data_name, block), tail, location)
        if block is not None and data_type == "aws_iam_policy" and attr == "arn":
            arn_attr = block.body.attr("arn")
            if arn_attr is not None:
                return self.eval_attr(arn_attr)
            name_attr = block.body.attr("name")
            name = self.eval_attr(name_attr) if name_attr is not None else None
            return Unknown(f"ARN of the policy named {name!s} (looked up in the account at plan time)", location)
        if block is not None and data_type == "archive_file" and attr == "output_path":
            return _symbolic(f"{self.prefix}{text}")
        return _symbolic(self.prefix + text)

    # -------------------------------------------------------------------------- policy documents

    def policy_document_data(self, name: str, block: Block) -> Any:
        """`data "aws_iam_policy_document"` → a located JSON-shaped policy (what its `.json` would hold)."""
        if name in self._doc_cache:
            return self._doc_cache[name]
        key = f"data.aws_iam_policy_document.{name}"
        cyc = self._guard(key, block.location)
        if cyc is not None:
            return cyc
        self._active.append(key)
        try:
            doc = self._build_policy_document(block, self.prefix + key)
        finally:
            self._active.pop()
        self._doc_cache[name] = doc
        return doc

    def _build_policy_document(self, block: Block, address: str) -> LocatedDict:
        loc = block.location.with_id(address)
        doc = LocatedDict(loc.path, loc.line, loc.column)
        doc["Version"] = "2012-10-17"
        doc.key_locs["Version"] = (loc.line, loc.column)
        unresolved: list[str] = []
        statements = LocatedList(loc.path, loc.line, loc.column)
        for source_attr in ("source_policy_documents", "source_json"):
            attr = block.body.attr(source_attr)
            if attr is not None:
                for stmt in _statements_of(self.eval_attr(attr), attr.location, unresolved):
                    statements.append(stmt)
                    statements.item_locs.append((attr.location.line, attr.location.column))
        res = _Res(self, block, address)
        blocks, dyn_unknown = res.blocks("statement")
        if dyn_unknown is not None:
            unresolved.append(dyn_unknown.reason)
        for stmt_block in blocks:
            stmt = self._statement_from_block(stmt_block)
            sid = stmt.get("Sid")
            if isinstance(sid, str):
                for index, existing in enumerate(statements):
                    if isinstance(existing, dict) and existing.get("Sid") == sid:
                        del statements[index]
                        del statements.item_locs[index]
                        break
            statements.append(stmt)
            statements.item_locs.append((stmt_block.block.location.line, stmt_block.block.location.column))
        for override_attr in ("override_policy_documents", "override_json"):
            attr = block.body.attr(override_attr)
            if attr is None:
                continue
            for stmt in _statements_of(self.eval_attr(attr), attr.location, unresolved):
                sid = stmt.get("Sid") if isinstance(stmt, dict) else None
                replaced = False
                if isinstance(sid, str):
                    for index, existing in enumerate(statements):
                        if isinstance(existing, dict) and existing.get("Sid") == sid:
                            statements[index] = stmt
                            replaced = True
                            break
                if not replaced:
                    statements.append(stmt)
                    statements.item_locs.append((attr.location.line, attr.location.column))
        doc["Statement"] = statements
        doc.key_locs["Statement"] = (loc.line, loc.column)
        if unresolved:
            doc[_UNRESOLVED_KEY] = "; ".join(unresolved)
        return doc

    def _statement_from_block(self, res: _Res) -> LocatedDict:
        loc = res.block.location
        stmt = LocatedDict(loc.path, loc.line, loc.column)

        def put(key: str, attr_name: str) -> None:
            if res.has(attr_name):
                value = res.get(attr_name)
                if value is None:
                    return
                stmt[key] = value
                attr_loc = res.loc(attr_name)
                stmt.key_locs[key] = (attr_loc.line, attr_loc.column)

        put("Sid", "sid")
        if res.has("effect") and res.get("effect") is not None:
            put("Effect", "effect")
        else:
            stmt["Effect"] = "Allow"
            stmt.key_locs["Effect"] = (loc.line, loc.column)
        put("Action", "actions")
        put("NotAction", "not_actions")
        put("Resource", "resources")
        put("NotResource", "not_resources")
        for key, block_type in (("Principal", "principals"), ("NotPrincipal", "not_principals")):
            blocks, unknown = res.blocks(block_type)
            if not blocks and unknown is None:
                continue
            principals = LocatedDict(loc.path, loc.line, loc.column)
            if unknown is not None:
                principals["AWS"] = [unknown]
            for principal in blocks:
                ptype = principal.get("type")
                ids = principal.get("identifiers")
                ptype_text = ptype if isinstance(ptype, str) else "AWS"
                values = list(ids) if isinstance(ids, list) else [ids]
                principals.setdefault(ptype_text, [])
                principals[ptype_text].extend(values)
                principals.key_locs[ptype_text] = (principal.block.location.line, principal.block.location.column)
            first = (blocks[0].block.location if blocks else loc)
            stmt[key] = "*" if list(principals.keys()) == ["*"] else principals
            stmt.key_locs[key] = (first.line, first.column)
        conditions_blocks, unknown = res.blocks("condition")
        if conditions_blocks or unknown is not None:
            conditions = LocatedDict(loc.path, loc.line, loc.column)
            for cond in conditions_blocks:
                test, variable, values = cond.get("test"), cond.get("variable"), cond.get("values")
                if not isinstance(test, str) or not isinstance(variable, str):
                    conditions.setdefault("Unknown", {})[str(variable)] = [Unknown("condition not resolved")]
                    continue
                conditions.setdefault(test, {})
                conditions[test][variable] = list(values) if isinstance(values, list) else [values]
                conditions.key_locs[test] = (cond.block.location.line, cond.block.location.column)
            if unknown is not None:
                conditions.setdefault("Unknown", {})["dynamic"] = [unknown]
            first_cond = conditions_blocks[0].block.location if conditions_blocks else loc
            stmt["Condition"] = conditions
            stmt.key_locs["Condition"] = (first_cond.line, first_cond.column)
        return stmt

    # -------------------------------------------------------------------------- files

    def _safe_path(self, raw: Any, location: Location) -> Path | Unknown:
        if isinstance(raw, Unknown):
            return raw
        if not isinstance(raw, str):
            return EvalError("file path is not a string", location)
        candidate = Path(raw)
        if candidate.is_absolute() or raw.startswith("~"):
            self.loader.diag(DiagnosticKind.UNRESOLVED,
                             f"file {raw!r} is outside the scanned project; not read", location)
            return Unknown(f"file {raw!r} is outside the scanned project; not read", location)
        path = self.root_dir / candidate
        try:
            resolved = path.resolve()
            resolved.exists()  # raises on a name the system refuses (too long), which later checks would not catch
        except (OSError, RuntimeError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            self.loader.diag(DiagnosticKind.PARSE_ERROR, f"file path {raw[:80]!r}... names a path the system "
                             f"refuses ({reason})", location, DiagnosticLevel.ERROR)
            return Unknown(f"file path cannot be used ({reason})", location)
        if not self.loader.ctx.inside_roots(resolved):
            self.loader.diag(DiagnosticKind.UNRESOLVED,
                             f"file {raw!r} is outside the scanned project; not read", location)
            return Unknown(f"file {raw!r} is outside the scanned project; not read", location)
        return resolved

    def _read(self, raw: Any, location: Location) -> str | Unknown:
        path = self._safe_path(raw, location)
        if isinstance(path, Unknown):
            return path
        if not path.is_file():
            return Unknown(f"file {raw!r} does not exist (generated at build time?)", location)
        try:
            return read_text(path, str(raw), MAX_READ_BYTES)
        except ParseError as exc:
            return Unknown(f"file {raw!r} not read: {exc.message}", location)

    def _fn_file(self, args: list[Any], location: Location) -> Any:
        return self._read(args[0] if args else None, location)

    def _fn_fileexists(self, args: list[Any], location: Location) -> Any:
        path = self._safe_path(args[0] if args else None, location)
        return path if isinstance(path, Unknown) else path.is_file()

    def _fn_templatefile(self, args: list[Any], location: Location) -> Any:
        text = self._read(args[0] if args else None, location)
        if isinstance(text, Unknown):
            return text
        variables = args[1] if len(args) > 1 else {}
        if isinstance(variables, Unknown):
            return variables
        if not isinstance(variables, dict):
            return EvalError("templatefile() variables must be a map", location)
        from faasguard.loaders._hcl import _template_node

        node = _template_node(text)
        if node is None:
            return EvalError(f"templatefile(): cannot parse {args[0]!r}", location)
        isolated = Evaluator(lambda root, steps, loc, src: EvalError(f"{src} is not a template variable", loc),
                             {"file": self._fn_file, "templatefile": self._fn_templatefile},
                             budget=self.loader.budget)
        flat = Location("", location.line, location.column, logical_id=location.logical_id)
        value = isolated.eval(node, flat, dict(variables))
        if isinstance(value, Unknown):
            return Unknown(value.reason, location)
        return value


_UNRESOLVED_KEY = "__faasguard_unresolved__"


def _symbolic(text: str) -> str:
    return Symbolic("${" + _strip_indexes(text) + "}") if "[" in text and "]" in text and "*" not in text \
        else Symbolic("${" + text + "}")


def _arn(service: str, resource: str) -> str:
    return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{resource}"


_ARN_SHAPES: dict[tuple[str, str], tuple[str, str]] = {}
"""(resource type, attribute) → (shape with `@NAME@`, the attribute naming the resource): attributes that are
ARNs or URLs built from the resource's name, and aliases of the name."""
for _rtype, _shape, _name_attr, _attrs in (
        ("aws_dynamodb_table", _arn("dynamodb", "table/@NAME@"), "name", ("arn",)),
        ("aws_dynamodb_table", "@NAME@", "name", ("id",)),
        ("aws_s3_bucket", f"arn:{PARTITION}:s3:::@NAME@", "id", ("arn",)),
        ("aws_s3_bucket", "@NAME@", "id", ("bucket",)),
        ("aws_sqs_queue", _arn("sqs", "@NAME@"), "name", ("arn",)),
        ("aws_sqs_queue", f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/@NAME@", "name", ("id", "url")),
        ("aws_sns_topic", _arn("sns", "@NAME@"), "name", ("arn", "id")),
        ("aws_secretsmanager_secret", _arn("secretsmanager", "secret:@NAME@-??????"), "name", ("arn", "id")),
        ("aws_sfn_state_machine", _arn("states", "stateMachine:@NAME@"), "name", ("arn", "id")),
        ("aws_kinesis_stream", _arn("kinesis", "stream/@NAME@"), "name", ("arn", "id")),
        ("aws_kinesis_firehose_delivery_stream", _arn("firehose", "deliverystream/@NAME@"), "name", ("arn", "id"))):
    for _attr in _attrs:
        _ARN_SHAPES[(_rtype, _attr)] = (_shape, _name_attr)


def _arn_shape(prefix: str, rtype: str, name: str, rest: list[tuple[str, Any]]) -> str | None:
    """`aws_dynamodb_table.t.arn` → `arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/
    ${aws_dynamodb_table.t.name}`: an ARN (or queue URL) of a known shape keeps the *name* symbolic.

    Why: the policy side writes `aws_dynamodb_table.t.arn` while the handler side reaches the same table through
    `TABLE = aws_dynamodb_table.t.name` and builds `table/${...name}` (what CloudFormation's loader gets from a
    named table's `GetAtt Arn`). One spelling for both makes a grant and a need on the same table compare equal,
    and the `${address.attr}` inside still lets every reference lookup find the resource. Aliases of the name
    (`aws_s3_bucket.b.bucket` = `.id`, a table's `id` = `name`) get one spelling for the same reason."""
    if rest and rest[0][0] == "index":
        if rest[0][1] == "*":
            return None
        rest = rest[1:]
    if len(rest) != 1 or rest[0][0] != "attr":
        return None
    shape = _ARN_SHAPES.get((rtype, str(rest[0][1])))
    if shape is None:
        return None
    template, name_attr = shape
    return Symbolic(template.replace("@NAME@", "${" + f"{prefix}{rtype}.{name}.{name_attr}" + "}"))


def _strip_indexes(text: str) -> str:
    """`aws_iam_role.lambda[0].arn` → `aws_iam_role.lambda.arn` (one node per resource)."""
    return re.sub(r"\[[^\]]*\]", "", text)


# ------------------------------------------------------------------------------------------ resource view

class _Res:
    """A block of one instance, with typed, located accessors (field locations carry the address)."""

    __slots__ = ("address", "bindings", "block", "inst")

    def __init__(self, inst: _Instance, block: Block, address: str,
                 bindings: Mapping[str, Any] | None = None) -> None:
        self.inst = inst
        self.block = block
        self.address = address
        self.bindings = {**(bindings or {}), **block.bindings}

    @property
    def location(self) -> Location:
        return self.block.location.with_id(self.address)

    def has(self, name: str) -> bool:
        return name in self.block.body.attributes

    def get(self, name: str, default: Any = None) -> Any:
        attr = self.block.body.attr(name)
        if attr is None:
            return default
        value = self.inst.eval_attr(attr, self.bindings)
        if isinstance(value, Unknown) and value.location is not None and value.location.logical_id is None:
            return type(value)(value.reason, value.location.with_id(self.address))
        return value

    def loc(self, name: str) -> Location:
        attr = self.block.body.attr(name)
        return (attr.location if attr is not None else self.block.location).with_id(self.address)

    # The common results (absent, already the right type, Unknown) are returned without building the field's
    # located address, which only an error value needs (the builder calls these tens of thousands of times).

    def text(self, name: str) -> str | Unknown | None:
        value = self.get(name)
        if value is None or isinstance(value, (str, Unknown)):
            return value
        return _as_text(value, self.loc(name))

    def num(self, name: str) -> int | Unknown | None:
        value = self.get(name)
        if value is None or isinstance(value, Unknown) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        return _as_int(value, self.loc(name))

    def flag(self, name: str) -> bool | Unknown | None:
        value = self.get(name)
        if value is None or isinstance(value, (bool, Unknown)):
            return value
        return _as_bool(value, self.loc(name))

    def blocks(self, block_type: str) -> tuple[list[_Res], Unknown | None]:
        """Static and `dynamic` blocks of a type; the Unknown says a dynamic block's for_each is unknown."""
        out = [_Res(self.inst, b, self.address, self.bindings) for b in self.block.body.blocks_of(block_type)]
        unknown: Unknown | None = None
        for dyn in self.block.body.blocks_of("dynamic"):
            if not dyn.labels or dyn.labels[0] != block_type:
                continue
            dyn_res = _Res(self.inst, dyn, self.address, self.bindings)
            collection = dyn_res.get("for_each")
            iterator = dyn_res.get("iterator") if dyn_res.has("iterator") else block_type
            if not isinstance(iterator, str):
                iterator = block_type
            contents = dyn.body.blocks_of("content")
            if isinstance(collection, Unknown) or not isinstance(collection, (list, dict)) or not contents:
                reason = collection.reason if isinstance(collection, Unknown) else "not a collection"
                unknown = Unknown(f"dynamic \"{block_type}\" over a value not known statically ({reason})",
                                  dyn_res.location)
                continue
            items = collection.items() if isinstance(collection, dict) else enumerate(collection)
            for key, value in items:
                content = contents[0]
                bound = Block(block_type, (), content.body, content.location,
                              {**dyn.bindings, iterator: {"key": key, "value": value}})
                out.append(_Res(self.inst, bound, self.address, self.bindings))
        return out, unknown

    def first_block(self, block_type: str) -> _Res | None:
        blocks, _ = self.blocks(block_type)
        return blocks[0] if blocks else None

    def plain(self, depth: int = 0) -> dict[str, Any]:
        """Every attribute and nested block as plain values (for `Resource.properties`)."""
        out: dict[str, Any] = {}
        if depth > 8:
            return out
        for name in self.block.body.attributes:
            if name in ("count", "for_each", "depends_on", "provider", "lifecycle"):
                continue
            out[name] = self.get(name)
        nested: dict[str, list[Any]] = defaultdict(list)
        for sub in self.block.body.blocks:
            if sub.type in ("lifecycle", "dynamic", "provisioner", "connection"):
                continue
            nested[sub.type].append(_Res(self.inst, sub, self.address, self.bindings).plain(depth + 1))
        out.update(nested)
        return out


def _as_text(value: Any, location: Location) -> str | Unknown | None:
    if value is None or isinstance(value, (str, Unknown)):
        return value
    plain = to_plain(value)
    if isinstance(plain, str):
        return plain
    return EvalError(f"expected text, found a {type(value).__name__}", location)


def _as_int(value: Any, location: Location) -> int | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return EvalError("expected a number, found a bool", location)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return Unknown(f"not a number: {value!r}", location)
    return EvalError(f"expected a number, found a {type(value).__name__}", location)


def _as_bool(value: Any, location: Location) -> bool | Unknown | None:
    if value is None or isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return EvalError(f"expected a bool, found {value!r}", location)


def _as_str(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


# ------------------------------------------------------------------------------------------ policies

def _statements_of(value: Any, location: Location, unresolved: list[str]) -> Iterator[Any]:
    """Statements of one or more policy documents (JSON text or already-structured)."""
    for item in _as_list(value):
        doc = _document_value(item, location)
        if isinstance(doc, Unknown):
            unresolved.append(doc.reason)
            continue
        if isinstance(doc, dict):
            if _UNRESOLVED_KEY in doc:
                unresolved.append(str(doc[_UNRESOLVED_KEY]))
            yield from _as_list(doc.get("Statement"))


def _document_value(value: Any, location: Location, first_line: int | None = None) -> Any:
    if isinstance(value, (Unknown, dict)) or value is None:
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped.startswith(("{", "[")):
            if "${" in stripped:
                return Unknown(f"document {_short(stripped)} is only known after apply", location)
            return EvalError(f"document {_short(stripped)} is not JSON", location)
        if first_line is not None:
            shifted = "\n" * (first_line - 1) + value
            try:
                return parse_json_text(shifted, location.path)
            except ParseError as exc:
                return EvalError(f"policy is not valid JSON: {exc.message}", location)
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            return EvalError(f"policy is not valid JSON: {exc.msg}", location)
        except RecursionError:
            return EvalError("policy nested too deeply", location)
    return EvalError(f"policy document is a {type(value).__name__}", location)


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _expr_first_line(attr: Attribute | None) -> int | None:
    """The line a JSON policy written literally in this attribute starts on (for exact statement lines)."""
    if attr is None or isinstance(attr.expr, JsonExpr):
        return None
    text = attr.expr.text[:3]
    if text.startswith(b"<<"):
        return int(attr.expr.start_point[0]) + 2
    if text.startswith(b'"'):
        return int(attr.expr.start_point[0]) + 1
    return None


def policy_document(value: Any, location: Location, first_line: int | None = None) -> PolicyDocument:
    """A policy value (JSON text, `jsonencode` object, `aws_iam_policy_document`) → `PolicyDocument`."""
    doc = _document_value(value, location, first_line)
    if isinstance(doc, Unknown):
        return PolicyDocument((), location, unresolved=Unknown(doc.reason, doc.location or location))
    if not isinstance(doc, dict):
        return PolicyDocument((), location, unresolved=Unknown("policy document is empty", location))
    doc_loc = _value_loc(doc, location)
    unresolved = doc.get(_UNRESOLVED_KEY)
    raw = doc.get("Statement")
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    statements: list[Statement] = []
    problems: list[str] = [str(unresolved)] if unresolved else []
    for index, item in enumerate(items):
        item_loc = raw.item_loc(index, location.logical_id) if isinstance(raw, LocatedList) else doc_loc
        if isinstance(item, Unknown):
            problems.append(item.reason)
            continue
        if not isinstance(item, dict):
            problems.append("a statement is not an object")
            continue
        statements.append(_statement(item, _value_loc(item, item_loc)))
    if isinstance(raw, Unknown):
        problems.append(raw.reason)
    return PolicyDocument(tuple(statements), doc_loc,
                          unresolved=Unknown("; ".join(problems), doc_loc) if problems else None)


def _value_loc(value: Any, fallback: Location) -> Location:
    if isinstance(value, (LocatedDict, LocatedList)) and value.path:
        return Location(value.path, value.line, value.column, logical_id=fallback.logical_id)
    return fallback


def _key_loc(mapping: Any, key: str, fallback: Location) -> Location:
    if isinstance(mapping, LocatedDict) and key in mapping.key_locs and mapping.path:
        line, column = mapping.key_locs[key]
        return Location(mapping.path, line, column, logical_id=fallback.logical_id)
    return fallback


def _strings(value: Any) -> tuple[str | Unknown, ...]:
    out: list[str | Unknown] = []
    for item in _as_list(value):
        if isinstance(item, (str, Unknown)):
            out.append(item)
        elif item is not None:
            plain = to_plain(item)
            out.append(plain if isinstance(plain, str) else Unknown(f"not a string: {item!r}"))
    return tuple(out)


def _principals(value: Any) -> dict[str, tuple[str | Unknown, ...]] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"*": (value,)} if value == "*" else {"AWS": (value,)}
    if isinstance(value, Unknown):
        return {"AWS": (value,)}
    if isinstance(value, dict):
        return {str(k): _strings(v) for k, v in value.items()}
    return {"AWS": (Unknown(f"principal is a {type(value).__name__}"),)}


def _statement(item: Mapping[str, Any], loc: Location) -> Statement:
    effect = item.get("Effect")
    conditions: dict[str, dict[str, tuple[str | Unknown, ...]]] = {}
    raw_conditions = item.get("Condition")
    if isinstance(raw_conditions, dict):
        for op, keys in raw_conditions.items():
            if isinstance(keys, dict):
                conditions[str(op)] = {str(k): _strings(v) for k, v in keys.items()}
            else:
                conditions[str(op)] = {"?": (Unknown("condition not resolved"),)}
    elif isinstance(raw_conditions, Unknown):
        conditions["Unknown"] = {"?": (raw_conditions,)}
    fields = {name: _key_loc(item, key, loc) for name, key in (
        ("sid", "Sid"), ("effect", "Effect"), ("actions", "Action"), ("not_actions", "NotAction"),
        ("resources", "Resource"), ("not_resources", "NotResource"), ("principals", "Principal"),
        ("not_principals", "NotPrincipal"), ("conditions", "Condition")) if key in item}
    sid = item.get("Sid")
    return Statement(
        effect=effect if isinstance(effect, (str, Unknown)) else Unknown("Effect is not a string", loc),
        location=loc,
        sid=sid if isinstance(sid, str) else None,
        actions=_strings(item.get("Action")),
        not_actions=_strings(item["NotAction"]) if "NotAction" in item else None,
        resources=_strings(item.get("Resource")),
        not_resources=_strings(item["NotResource"]) if "NotResource" in item else None,
        principals=_principals(item.get("Principal")),
        not_principals=_principals(item.get("NotPrincipal")),
        conditions=conditions,
        field_locations=fields,
    )


def parse_container_definitions(value: Any, location: Location) -> LocatedList | list[Any] | Unknown:
    """`aws_ecs_task_definition.container_definitions` → a (located) list of container definitions.

    Accepts what the attribute holds after evaluation: JSON text (quoted string, heredoc, `file()`), or the
    structure `jsonencode([...])` keeps. The result keeps lines when the JSON was written in the `.tf` file."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        parsed = _document_value(value, location, location.line + 1 if location.path else None)
        if isinstance(parsed, EvalError) and location.path:
            parsed = _document_value(value, location)
        value = parsed
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return value
    return EvalError("container_definitions is not a list of definitions", location)


# ------------------------------------------------------------------------------------------ the loader

@dataclass
class _Entry:
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
            if hcl.errors:
                self.diag(DiagnosticKind.PARSE_ERROR, "Terraform JSON file is not an object", Location(display),
                          DiagnosticLevel.ERROR)
            return hcl
        hcl = parse_hcl(text.encode("utf-8"), display)
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
            inst.children[name] = self._child(inst, name, block, root_dir, chain=chain, instances=instances)
        return inst

    def _child(self, inst: _Instance, name: str, block: Block, root_dir: Path, *, chain: tuple[Path, ...],
               instances: list[_Instance]) -> _Instance | _SyntheticLambda | None:
        source = _module_source(block)
        loc = block.location.with_id(f"{inst.prefix}module.{name}")
        if _count_is_zero(inst, block):
            return None
        inputs = {attr_name: _thunk(inst, attr) for attr_name, attr in block.body.attributes.items()
                  if attr_name not in ("source", "version", "count", "for_each", "providers", "depends_on")}
        if source is not None and LAMBDA_MODULE.match(source):
            return _SyntheticLambda(inst, name, block, inputs)
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
        _note_repetition(self, inst, block, loc)
        return self.instantiate(child_mod, f"{inst.prefix}module.{name}.", root_dir, inputs=inputs, parent=inst,
                                call=block, chain=(*chain, directory), instances=instances)


def _thunk(inst: _Instance, attr: Attribute) -> Any:
    cache: list[Any] = []

    def value() -> Any:
        if not cache:
            cache.append(inst.eval_attr(attr))
        return cache[0]
    return value


def _tf_files_in(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir()
                      if p.is_file() and not p.is_symlink() and p.name.lower().endswith((".tf", ".tf.json")))
    except OSError:
        return []


def _count_is_zero(inst: _Instance, block: Block) -> bool:
    count = block.body.attr("count")
    if count is not None:
        value = inst.eval_attr(count)
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0
    for_each = block.body.attr("for_each")
    if for_each is not None:
        value = inst.eval_attr(for_each)
        return isinstance(value, (list, dict)) and len(value) == 0
    return False


def _note_repetition(loader: _Loader, inst: _Instance, block: Block, loc: Location) -> None:
    for meta in ("count", "for_each"):
        if block.body.attr(meta) is not None:
            loader.diag(DiagnosticKind.INFO, f"{loc.logical_id} uses {meta}: modelled as one node", loc)


# ------------------------------------------------------------------------------------------ lambda module

class _SyntheticLambda:
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

    def __init__(self, inst: _Instance, name: str, block: Block, inputs: Mapping[str, Any]) -> None:
        self.inst = inst
        self.name = name
        self.block = block
        self.inputs = inputs
        self.prefix = f"{inst.prefix}module.{name}."

    def value(self, key: str) -> Any:
        if key in self.inputs:
            provided = self.inputs[key]()
            if provided is not None:
                return provided
        return self.DEFAULTS.get(key)

    def loc(self, key: str) -> Location:
        attr = self.block.body.attr(key)
        return (attr.location if attr is not None else self.block.location).with_id(self.function_id)

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
        if name == "lambda_function_name":
            fn_name = self.value("function_name")
            if isinstance(fn_name, str):
                return fn_name
        if name in table:
            return _symbolic(table[name])
        return Unknown(f"output {name} of the lambda module is not modelled", location)


# ------------------------------------------------------------------------------------------ building

class _Builder:
    """Turns the blocks of every instance of one root module into model nodes and links them."""

    def __init__(self, loader: _Loader, instances: list[_Instance]) -> None:
        self.loader = loader
        self.instances = instances
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
        self.resources: list[Resource] = []
        self.parameters: list[Parameter] = []
        self.aliases: dict[str, str] = {}
        self.async_failures: dict[str, Destination] = {}
        self.synthetic: list[_SyntheticLambda] = []

    # -------------------------------------------------------------------------- references

    def refs(self, value: Any) -> list[tuple[str, str, str]]:
        """(address, type, attribute path) of every `${...}` reference inside a value."""
        out: list[tuple[str, str, str]] = []
        for text in _texts(value):
            if "${" not in text:
                continue
            for match in _REF.finditer(text):
                modules, data, rtype, name, attrs = match.groups()
                prefix = _strip_indexes(modules or "")
                address = f"{prefix}{'data.' if data else ''}{rtype}.{name}"
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

    def build(self) -> None:
        for inst in self.instances:
            for block in inst.mod.resources:
                rtype, name = block.labels
                address = f"{inst.prefix}{rtype}.{name}"
                if _count_is_zero(inst, block):
                    continue
                entry = _Entry(inst, _Res(inst, block, address), rtype, name)
                self.entries[rtype].append(entry)
                self.by_address[address] = entry
                if block.body.attr("count") is not None or block.body.attr("for_each") is not None:
                    _note_repetition(self.loader, inst, block, entry.res.location)
            for child in inst.children.values():
                if isinstance(child, _SyntheticLambda) and child.creates_function:
                    self.synthetic.append(child)
        for entry in self.entries["aws_lambda_alias"]:
            fid = self.function_id(entry.res.get("function_name"))
            if isinstance(fid, str):
                self.aliases[entry.res.address] = fid
        self._roles()
        self._security_groups()
        self._layers()
        self._functions_prepass()
        self._async_configs()
        self._functions()
        for module in self.synthetic:
            self._lambda_module(module)
        self._attachments()
        self._permissions()
        self._function_urls()
        self._event_sources()
        self._rest_apis()
        self._http_apis()
        self._resources()
        self._parameters()
        if any(self.entries.get(rtype) for rtype in GCP_TYPES):
            self.containers.extend(cloud_run_containers(self))

    def _functions_prepass(self) -> None:
        for entry in self.entries["aws_lambda_function"]:
            name = entry.res.get("function_name")
            if isinstance(name, str) and "${" not in name:
                self.function_names[name] = entry.res.address
        for module in self.synthetic:
            name = module.value("function_name")
            if isinstance(name, str):
                self.function_names[name] = module.function_id

    # -------------------------------------------------------------------------- IAM

    def _roles(self) -> None:
        for entry in self.entries["aws_iam_role"]:
            res = entry.res
            policies: list[Policy] = []
            inline_blocks, unknown = res.blocks("inline_policy")
            for inline in inline_blocks:
                if not inline.has("policy"):
                    continue  # an empty inline_policy block means "no inline policies" (exclusive management)
                name = inline.text("name")
                attr = inline.block.body.attr("policy")
                doc = policy_document(inline.get("policy"), inline.loc("policy"), _expr_first_line(attr))
                policies.append(Policy(name if isinstance(name, str) else "inline", PolicyKind.INLINE,
                                       inline.location, doc, id=res.address))
            if unknown is not None:
                policies.append(Policy("inline", PolicyKind.INLINE, res.location,
                                       PolicyDocument((), res.location, unresolved=unknown), id=res.address))
            for arn in _as_list(res.get("managed_policy_arns")):
                policies.append(self._policy_from_arn(arn, res.loc("managed_policy_arns")))
            trust = None
            if res.has("assume_role_policy"):
                trust = policy_document(res.get("assume_role_policy"), res.loc("assume_role_policy"),
                                        _expr_first_line(res.block.body.attr("assume_role_policy")))
            name = res.text("name")
            if name is None and res.has("name_prefix"):
                prefix = res.text("name_prefix")
                name = Unknown(f"generated from name_prefix {prefix}", res.loc("name_prefix"))
            fields = {f: res.loc(a) for f, a in (("name", "name"), ("trust_policy", "assume_role_policy"),
                                                  ("permissions_boundary", "permissions_boundary"),
                                                  ("policies", "inline_policy")) if res.has(a)}
            self.roles[res.address] = Role(
                id=res.address, location=res.location, field_locations=fields, name=name,
                arn=_symbolic(f"{res.address}.arn"), trust_policy=trust, policies=tuple(policies),
                permissions_boundary=res.text("permissions_boundary"))

    def _policy_from_arn(self, arn: Any, location: Location) -> Policy:
        address = self.ref_of(arn, "aws_iam_policy")
        if address is not None and address in self.by_address:
            entry = self.by_address[address]
            res = entry.res
            name = res.text("name")
            doc = policy_document(res.get("policy"), res.loc("policy"),
                                  _expr_first_line(res.block.body.attr("policy")))
            return Policy(name if isinstance(name, str) else address, PolicyKind.CUSTOMER_MANAGED, res.location,
                          doc, arn=_symbolic(f"{address}.arn"), id=address)
        if isinstance(arn, str):
            normal = arn.replace(PARTITION, "aws")
            match = re.match(r"^arn:aws[\w-]*:iam::aws:policy/(.+)$", normal)
            if match:
                return Policy(match.group(1).rsplit("/", 1)[-1], PolicyKind.AWS_MANAGED, location, None, arn=normal)
            return Policy(arn.rsplit("/", 1)[-1], PolicyKind.EXTERNAL, location, None, arn=arn)
        reason = arn.reason if isinstance(arn, Unknown) else "policy ARN is not a string"
        return Policy("unknown", PolicyKind.EXTERNAL, location, None, arn=Unknown(reason, location))

    def _attachments(self) -> None:
        for entry in self.entries["aws_iam_role_policy"]:
            res = entry.res
            role = self.role_id(res.get("role"), res.loc("role"))
            if not isinstance(role, str):
                self.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: role is not known statically; "
                                 "its policy is not attached to any role", res.loc("role"))
                continue
            name = res.text("name")
            doc = policy_document(res.get("policy"), res.loc("policy"),
                                  _expr_first_line(res.block.body.attr("policy")))
            self.role_policies[role].append(Policy(name if isinstance(name, str) else res.address,
                                                   PolicyKind.INLINE, res.location, doc, id=res.address))
        for entry in self.entries["aws_iam_role_policy_attachment"]:
            res = entry.res
            role = self.role_id(res.get("role"), res.loc("role"))
            if isinstance(role, str):
                self.role_policies[role].append(self._policy_from_arn(res.get("policy_arn"), res.loc("policy_arn")))
        for entry in self.entries["aws_iam_policy_attachment"]:
            res = entry.res
            for role_value in _as_list(res.get("roles")):
                role = self.role_id(role_value, res.loc("roles"))
                if isinstance(role, str):
                    self.role_policies[role].append(self._policy_from_arn(res.get("policy_arn"),
                                                                          res.loc("policy_arn")))
        for role_id, extra in self.role_policies.items():
            owner = self.roles.get(role_id)
            if owner is not None:
                self.roles[role_id] = _with_policies(owner, extra)

    # -------------------------------------------------------------------------- network

    def _security_groups(self) -> None:
        for entry in self.entries["aws_security_group"]:
            res = entry.res
            for direction in ("ingress", "egress"):
                for rule in res.blocks(direction)[0]:
                    self.group_rules[res.address].extend(_sg_rules(rule, direction, rule.location))
                if res.has(direction) and not res.blocks(direction)[0]:
                    # Attribute syntax (`egress = [...]`): a list of rule objects.
                    for item in _as_list(res.get(direction)):
                        if isinstance(item, dict):
                            self.group_rules[res.address].extend(
                                _sg_rules_from_map(item, direction, res.loc(direction)))
        for entry in self.entries["aws_security_group_rule"]:
            res = entry.res
            group = self.ref_of(res.get("security_group_id"), "aws_security_group")
            rule_type = res.text("type")
            if group and isinstance(rule_type, str):
                self.group_rules[group].extend(_sg_rules(res, rule_type, res.location))
        for rtype, direction in (("aws_vpc_security_group_egress_rule", "egress"),
                                 ("aws_vpc_security_group_ingress_rule", "ingress")):
            for entry in self.entries[rtype]:
                res = entry.res
                group = self.ref_of(res.get("security_group_id"), "aws_security_group")
                if group is None:
                    continue
                cidr = res.get("cidr_ipv4")
                if cidr is None:
                    cidr = res.get("cidr_ipv6")
                protocol = _as_text(res.get("ip_protocol"), res.loc("ip_protocol"))
                self.group_rules[group].append(SecurityGroupRule(
                    direction, "-1" if protocol in ("-1", "all") else (protocol or "-1"),
                    res.num("from_port"), res.num("to_port"), _as_text(cidr, res.loc("cidr_ipv4")),
                    res.location, destination_group=self._group_ref(res.get("referenced_security_group_id"))))
        for entry in self.entries["aws_security_group"]:
            res = entry.res
            group_fields = {d: res.loc(d) for d in ("ingress", "egress") if res.has(d)}
            first_egress = res.first_block("egress")
            if first_egress is not None:
                group_fields["egress"] = first_egress.location
            self.groups[res.address] = SecurityGroup(
                id=res.address, location=res.location, field_locations=group_fields,
                rules=tuple(self.group_rules.get(res.address, ())), implicit_allow_all_egress=False,
                vpc_id=res.text("vpc_id"))

    def _group_ref(self, value: Any) -> str | Unknown | None:
        if value is None or isinstance(value, Unknown):
            return value
        return self.ref_of(value, "aws_security_group") or _as_text(value, Location(""))

    # -------------------------------------------------------------------------- functions

    def _layers(self) -> None:
        for entry in self.entries["aws_lambda_layer_version"]:
            res = entry.res
            runtimes = tuple(r for r in _as_list(res.get("compatible_runtimes")) if isinstance(r, str))
            self.layers.append(Layer(
                id=res.address, location=res.location, arn=_symbolic(f"{res.address}.arn"),
                name=res.text("layer_name"), content_dir=self._code_dir(entry.inst, res.get("filename"))[0],
                compatible_runtimes=runtimes))

    def _async_configs(self) -> None:
        for entry in self.entries["aws_lambda_function_event_invoke_config"]:
            res = entry.res
            fid = self.function_id(res.get("function_name"))
            dest = res.first_block("destination_config")
            failure = dest.first_block("on_failure") if dest else None
            if isinstance(fid, str) and failure is not None:
                target = failure.text("destination")
                self.async_failures[fid] = Destination("on-failure", target if target is not None else Unknown(
                    "no destination"), failure.location)

    def _code_dir(self, inst: _Instance, filename: Any) -> tuple[str | None, str | None]:
        """(code directory, single source file) for a package path: an `archive_file`'s source, or a directory."""
        for address, rtype, _attr in self.refs(filename):
            if rtype != "archive_file":
                continue
            data_name = address.rsplit(".", 1)[-1]
            owner = next((i for i in self.instances if f"{i.prefix}data.archive_file.{data_name}" == address), inst)
            block = owner.mod.data.get(("archive_file", data_name))
            if block is None:
                return None, None
            res = _Res(owner, block, address)
            source_dir = res.get("source_dir")
            if isinstance(source_dir, str):
                path = owner._safe_path(source_dir, res.loc("source_dir"))
                if isinstance(path, Path) and path.is_dir():
                    return str(path), None
            source_file = res.get("source_file")
            if isinstance(source_file, str):
                path = owner._safe_path(source_file, res.loc("source_file"))
                if isinstance(path, Path) and path.is_file():
                    return str(path.parent), str(path)
            return None, None
        if isinstance(filename, str) and "${" not in filename:
            path = inst._safe_path(filename, Location(""))
            if isinstance(path, Path) and path.is_dir():
                return str(path), None
        return None, None

    def _code(self, inst: _Instance, handler: Any, runtime: Any, *, filename: Any, image_uri: Any,
              package_type: str, s3: bool) -> CodeLocation | None:
        if package_type == "Image":
            return CodeLocation(None, None, None, handler=handler, package_type="Image", image_uri=image_uri)
        code_dir, single = (None, None) if s3 else self._code_dir(inst, filename)
        handler_file: str | None = None
        handler_function: str | None = None
        if isinstance(handler, str) and "." in handler:
            module_path, handler_function = handler.rsplit(".", 1)
            if code_dir is not None:
                handler_file = _find_handler(Path(code_dir), module_path, runtime, single)
        return CodeLocation(code_dir, handler_file, handler_function, handler=handler, package_type=package_type)

    def _functions(self) -> None:
        for entry in self.entries["aws_lambda_function"]:
            res = entry.res
            address = res.address
            package_type = res.text("package_type") or ("Image" if res.has("image_uri") else "Zip")
            package = package_type if isinstance(package_type, str) else "Zip"
            handler = res.text("handler")
            runtime = res.text("runtime")
            env_block = res.first_block("environment")
            environment = self._environment(env_block.get("variables") if env_block else None,
                                            env_block.loc("variables") if env_block else res.location, entry.inst)
            vpc_block = res.first_block("vpc_config")
            vpc = None
            if vpc_block is not None:
                vpc = VpcConfig(vpc_block.location, tuple(_strings(vpc_block.get("subnet_ids"))),
                                tuple(self._group_ids(vpc_block.get("security_group_ids"))))
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
            if "code" not in fields and res.has("image_uri"):
                fields["code"] = res.loc("image_uri")
            tracing = tracing_block.text("mode") if tracing_block else None
            self.functions[address] = Function(
                id=address, location=res.location, field_locations=fields,
                name=res.text("function_name"), runtime=runtime, handler=handler,
                code=self._code(entry.inst, handler, runtime, filename=res.get("filename"),
                                image_uri=res.text("image_uri"), package_type=package, s3=res.has("s3_bucket")),
                timeout=res.num("timeout"), memory_size=res.num("memory_size"),
                role=self.role_id(res.get("role"), res.loc("role")),
                environment=environment, kms_key=res.text("kms_key_arn"),
                layers=tuple(self._layer_ids(res.get("layers"))), vpc=vpc,
                reserved_concurrency=None if reserved == -1 else reserved,
                tracing=tracing, code_signing_config=res.text("code_signing_config_arn"),
                dead_letter=Destination("dlq", dlq_block.text("target_arn") or Unknown("no target"),
                                        dlq_block.location) if dlq_block else None,
                async_on_failure=self.async_failures.get(address), package_type=package,
                architectures=tuple(a for a in _as_list(res.get("architectures")) if isinstance(a, str)),
                tags=_tags(res.get("tags")))

    def _environment(self, variables: Any, location: Location, inst: _Instance) -> tuple[EnvVar, ...]:
        if isinstance(variables, Unknown):
            return (EnvVar("*", variables, location),)
        if not isinstance(variables, dict):
            return ()
        out: list[EnvVar] = []
        for name, value in variables.items():
            loc = _key_loc(variables, name, location)
            secret_attr = self._secret_attribute(value, inst)
            if isinstance(value, (dict, list)):
                text: str | Unknown = json.dumps(_plainify(value))
            else:
                plain = to_plain(value)
                text = plain if isinstance(plain, (str, Unknown)) else ("" if plain is None else str(plain))
            out.append(EnvVar(str(name), text, loc, secret_reference=_is_secret_reference(text),
                              from_secret_attribute=secret_attr))
        return tuple(out)

    def _secret_attribute(self, value: Any, inst: _Instance) -> str | None:
        for _address, rtype, attrs in self.refs(value):
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

    def _layer_ids(self, value: Any) -> Iterator[str | Unknown]:
        if isinstance(value, Unknown):
            yield value
            return
        for item in _as_list(value):
            address = self.ref_of(item, "aws_lambda_layer_version")
            if address is not None:
                yield address
            elif isinstance(item, (str, Unknown)):
                yield item

    def _group_ids(self, value: Any) -> Iterator[str | Unknown]:
        if isinstance(value, Unknown):
            yield value
            return
        for item in _as_list(value):
            address = self.ref_of(item, "aws_security_group")
            if address is not None:
                yield address
            elif isinstance(item, (str, Unknown)):
                yield item

    # -------------------------------------------------------------------------- the lambda module

    def _lambda_module(self, module: _SyntheticLambda) -> None:
        fid = module.function_id
        call_loc = module.block.location.with_id(fid)
        role_id: str | Unknown | None
        if module.value("create_role") is not False and not module.value("lambda_role"):
            role_id = module.role_id
            self.roles[role_id] = self._module_role(module)
        else:
            role_id = self.role_id(module.value("lambda_role"), module.loc("lambda_role"))
        fn_name = module.value("function_name")
        handler = _as_text(module.value("handler"), module.loc("handler"))
        runtime = _as_text(module.value("runtime"), module.loc("runtime"))
        package = "Image" if module.value("package_type") == "Image" else "Zip"
        code_dir = self._module_source_dir(module)
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
            vpc = VpcConfig(module.loc("vpc_subnet_ids"), tuple(_strings(subnets)), tuple(self._group_ids(groups)))
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
        self.functions[fid] = Function(
            id=fid, location=call_loc, field_locations=fields,
            name=_as_text(fn_name, module.loc("function_name")), runtime=runtime, handler=handler,
            code=CodeLocation(code_dir, handler_file, handler_function, handler=handler, package_type=package,
                              image_uri=_as_text(module.value("image_uri"), module.loc("image_uri"))),
            timeout=_as_int(module.value("timeout"), module.loc("timeout")),
            memory_size=_as_int(module.value("memory_size"), module.loc("memory_size")),
            role=role_id,
            environment=self._environment(env_value, module.loc("environment_variables"), module.inst),
            kms_key=_as_text(module.value("kms_key_arn"), module.loc("kms_key_arn")),
            layers=tuple(self._layer_ids(module.value("layers"))), vpc=vpc,
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
            self.triggers.append(Trigger(
                id=f"{module.prefix}aws_lambda_function_url.this", location=url_loc,
                field_locations={"auth": module.loc("authorization_type")}, kind=TriggerKind.FUNCTION_URL,
                function=fid, auth=_url_auth(auth, module.loc("authorization_type"))))
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
                self.permissions.append(Permission(
                    id=f'{module.prefix}aws_lambda_permission.triggers["{key}"]', location=loc, function=fid,
                    action=_as_text(spec.get("action", "lambda:InvokeFunction"), loc) or "lambda:InvokeFunction",
                    principal=_as_text(principal, loc) or Unknown("no principal", loc),
                    source_arn=_as_text(spec.get("source_arn"), loc),
                    source_account=_as_text(spec.get("source_account"), loc),
                    principal_org_id=_as_text(spec.get("principal_org_id"), loc)))
        elif isinstance(triggers, Unknown):
            self.loader.diag(DiagnosticKind.UNRESOLVED, f"{fid}: allowed_triggers not known statically; "
                             "its invoke permissions are not checked", module.loc("allowed_triggers"))

    def _module_source_dir(self, module: _SyntheticLambda) -> str | None:
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
            code_dir, _ = self._code_dir(module.inst, local)
            return code_dir
        return None

    def _module_role(self, module: _SyntheticLambda) -> Role:
        rid = module.role_id
        loc = module.block.location.with_id(rid)
        fn_name = module.value("function_name")
        role_name = module.value("role_name") or fn_name
        trust_statement = Statement("Allow", loc, actions=("sts:AssumeRole",),
                                    principals={"Service": ("lambda.amazonaws.com",)})
        trust = PolicyDocument((trust_statement,), loc)
        policies: list[Policy] = []
        if module.value("attach_cloudwatch_logs_policy") is not False:
            group = _symbolic(f"{module.prefix}aws_cloudwatch_log_group.lambda.arn")
            actions: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
            if module.value("use_existing_cloudwatch_log_group") is not True:
                actions = ("logs:CreateLogGroup", *actions)
            statement = Statement("Allow", loc, actions=actions, resources=(f"{group}:*", f"{group}:*:*"))
            policies.append(Policy(f"{role_name}-logs", PolicyKind.CUSTOMER_MANAGED, loc,
                                   PolicyDocument((statement,), loc), id=f"{module.prefix}aws_iam_policy.logs"))
        if module.value("attach_policy_statements") is True:
            policies.append(self._module_statements(module))
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
            policies.append(self._policy_from_arn(module.value("policy"), module.loc("policy")))
        if module.value("attach_policies") is True:
            policies_value = module.value("policies")
            if isinstance(policies_value, Unknown):
                policies.append(self._policy_from_arn(policies_value, module.loc("policies")))
            for arn in _as_list(policies_value) if not isinstance(policies_value, Unknown) else []:
                policies.append(self._policy_from_arn(arn, module.loc("policies")))
        if module.value("attach_network_policy") is True:
            policies.append(Policy(
                "AWSLambdaENIManagementAccess", PolicyKind.AWS_MANAGED, module.loc("attach_network_policy"), None,
                arn="arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"))
        if module.value("attach_tracing_policy") is True:
            policies.append(Policy("AWSXRayDaemonWriteAccess", PolicyKind.AWS_MANAGED, module.loc(
                "attach_tracing_policy"), None, arn="arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"))
        return Role(id=rid, location=loc, name=_as_text(role_name, loc), arn=_symbolic(f"{rid}.arn"),
                    trust_policy=trust, policies=tuple(policies),
                    permissions_boundary=_as_text(module.value("role_permissions_boundary"), loc), implicit=True)

    def _module_statements(self, module: _SyntheticLambda) -> Policy:
        attr_loc = module.loc("policy_statements")
        value = module.value("policy_statements")
        pid = f"{module.prefix}aws_iam_policy.additional_inline"
        if not isinstance(value, dict):
            reason = value.reason if isinstance(value, Unknown) else "policy_statements is not a map"
            return Policy("inline", PolicyKind.CUSTOMER_MANAGED, attr_loc,
                          PolicyDocument((), attr_loc, unresolved=Unknown(reason, attr_loc)), id=pid)
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
                plist = spec.get(src)
                if isinstance(plist, list):
                    principals: dict[str, list[Any]] = {}
                    for p in plist:
                        if isinstance(p, dict) and isinstance(p.get("type"), str):
                            principals.setdefault(p["type"], []).extend(_as_list(p.get("identifiers")))
                    item[dst] = principals
            conds = spec.get("condition")
            if isinstance(conds, list):
                condition: dict[str, dict[str, Any]] = {}
                for c in conds:
                    if isinstance(c, dict) and isinstance(c.get("test"), str) and isinstance(c.get("variable"), str):
                        condition.setdefault(c["test"], {})[c["variable"]] = _as_list(c.get("values"))
                item["Condition"] = condition
            statements.append(_statement(item, loc.with_id(pid)))
        return Policy(f"{module.value('role_name') or module.value('function_name')}-inline",
                      PolicyKind.CUSTOMER_MANAGED, attr_loc, PolicyDocument(tuple(statements), attr_loc), id=pid)

    # -------------------------------------------------------------------------- triggers

    def _permissions(self) -> None:
        for entry in self.entries["aws_lambda_permission"]:
            res = entry.res
            fields = {m: res.loc(a) for m, a in (
                ("function", "function_name"), ("action", "action"), ("principal", "principal"),
                ("source_arn", "source_arn"), ("source_account", "source_account"),
                ("principal_org_id", "principal_org_id"), ("function_url_auth_type", "function_url_auth_type"))
                if res.has(a)}
            self.permissions.append(Permission(
                id=res.address, location=res.location, field_locations=fields,
                function=self.function_id(res.get("function_name")),
                action=res.text("action") or "lambda:InvokeFunction",
                principal=res.text("principal") or Unknown("no principal", res.location),
                source_arn=res.text("source_arn"), source_account=res.text("source_account"),
                principal_org_id=res.text("principal_org_id"),
                function_url_auth_type=res.text("function_url_auth_type")))

    def _function_urls(self) -> None:
        for entry in self.entries["aws_lambda_function_url"]:
            res = entry.res
            auth = res.text("authorization_type")
            self.triggers.append(Trigger(
                id=res.address, location=res.location,
                field_locations={"auth": res.loc("authorization_type"), "function": res.loc("function_name")},
                kind=TriggerKind.FUNCTION_URL, function=self.function_id(res.get("function_name")),
                auth=_url_auth(auth, res.loc("authorization_type"))))

    def _event_sources(self) -> None:
        queues = {e.res.address: e.res for e in self.entries["aws_sqs_queue"]}
        for entry in self.entries["aws_lambda_event_source_mapping"]:
            res = entry.res
            source = res.get("event_source_arn")
            kind = _stream_kind(source, self.refs(source))
            if res.has("self_managed_event_source") or res.first_block("self_managed_event_source"):
                kind = TriggerKind.KAFKA
            address = self.ref_of(source)
            on_failure = None
            dest = res.first_block("destination_config")
            failure = dest.first_block("on_failure") if dest else None
            if failure is not None:
                on_failure = Destination("on-failure", failure.text("destination_arn") or Unknown("no target"),
                                         failure.location)
            elif kind is TriggerKind.SQS and address in queues:
                on_failure = _redrive(queues[address])
            self.triggers.append(Trigger(
                id=res.address, location=res.location,
                field_locations={"source": res.loc("event_source_arn"), "on_failure": (
                    failure.location if failure else res.location)},
                kind=kind, function=self.function_id(res.get("function_name")),
                source=address or _as_text(source, res.loc("event_source_arn")), on_failure=on_failure))
        for entry in self.entries["aws_s3_bucket_notification"]:
            res = entry.res
            bucket = res.get("bucket")
            blocks, _ = res.blocks("lambda_function")
            for index, block in enumerate(blocks):
                tid = res.address if len(blocks) == 1 else f"{res.address}.lambda_function[{index}]"
                self.triggers.append(Trigger(
                    id=tid, location=block.location, kind=TriggerKind.S3,
                    function=self.function_id(block.get("lambda_function_arn")),
                    source=self.ref_of(bucket, "aws_s3_bucket") or _as_text(bucket, res.loc("bucket"))))
        rules = {e.res.address: e.res for e in self.entries["aws_cloudwatch_event_rule"]}
        for entry in self.entries["aws_cloudwatch_event_target"]:
            res = entry.res
            fid = self.function_id(res.get("arn"))
            if not isinstance(fid, str):
                continue
            rule = rules.get(self.ref_of(res.get("rule"), "aws_cloudwatch_event_rule") or "")
            kind, source = TriggerKind.EVENTBRIDGE, None
            if rule is not None:
                schedule = rule.text("schedule_expression")
                if schedule is not None:
                    kind, source = TriggerKind.SCHEDULE, schedule
                else:
                    source = _pattern_source(rule.get("event_pattern")) or rule.address
            dlq = res.first_block("dead_letter_config")
            self.triggers.append(Trigger(
                id=res.address, location=res.location, kind=kind, function=fid, source=source,
                on_failure=Destination("dlq", dlq.text("arn") or Unknown("no target"), dlq.location) if dlq else None))
        for entry in self.entries["aws_scheduler_schedule"]:
            res = entry.res
            target = res.first_block("target")
            if target is None:
                continue
            fid = self.function_id(target.get("arn"))
            if not isinstance(fid, str):
                continue
            dlq = target.first_block("dead_letter_config")
            self.triggers.append(Trigger(
                id=res.address, location=res.location, kind=TriggerKind.SCHEDULE, function=fid,
                source=res.text("schedule_expression"),
                on_failure=Destination("dlq", dlq.text("arn") or Unknown("no target"), dlq.location) if dlq else None))
        for entry in self.entries["aws_sns_topic_subscription"]:
            res = entry.res
            if res.text("protocol") != "lambda":
                continue
            redrive = res.get("redrive_policy")
            on_failure = None
            if redrive is not None:
                parsed = _document_value(redrive, res.loc("redrive_policy"))
                target = parsed.get("deadLetterTargetArn") if isinstance(parsed, dict) else None
                on_failure = Destination("redrive", target if isinstance(target, (str, Unknown)) else Unknown(
                    "redrive policy not resolved"), res.loc("redrive_policy"))
            topic = res.get("topic_arn")
            self.triggers.append(Trigger(
                id=res.address, location=res.location, kind=TriggerKind.SNS,
                function=self.function_id(res.get("endpoint")),
                source=self.ref_of(topic, "aws_sns_topic") or _as_text(topic, res.loc("topic_arn")),
                on_failure=on_failure))
        for entry in self.entries["aws_cloudwatch_log_subscription_filter"]:
            res = entry.res
            fid = self.function_id(res.get("destination_arn"))
            if isinstance(fid, str):
                self.triggers.append(Trigger(id=res.address, location=res.location,
                                             kind=TriggerKind.CLOUDWATCH_LOGS, function=fid,
                                             source=res.text("log_group_name")))

    # -------------------------------------------------------------------------- API Gateway v1

    def _rest_apis(self) -> None:
        authorizers: dict[str, tuple[AuthType, str]] = {}
        for entry in self.entries["aws_api_gateway_authorizer"]:
            rtype = entry.res.text("type") or "TOKEN"
            kind = AuthType.COGNITO if rtype == "COGNITO_USER_POOLS" else (
                AuthType.LAMBDA if rtype in ("TOKEN", "REQUEST") else AuthType.UNKNOWN)
            authorizers[entry.res.address] = (kind, entry.res.address)
        resources = {e.res.address: e.res for e in self.entries["aws_api_gateway_resource"]}
        stages: dict[str, list[Stage]] = defaultdict(list)
        waf_targets: set[str] = set()
        waf_unknown = False
        for rtype in ("aws_wafv2_web_acl_association", "aws_wafregional_web_acl_association"):
            for entry in self.entries[rtype]:
                target = self.ref_of(entry.res.get("resource_arn"), "aws_api_gateway_stage")
                if target is not None:
                    waf_targets.add(target)
                elif "apigateway" in str(entry.res.get("resource_arn")) or isinstance(
                        entry.res.get("resource_arn"), Unknown):
                    waf_unknown = True
        for entry in self.entries["aws_api_gateway_stage"]:
            res = entry.res
            api = self.ref_of(res.get("rest_api_id"), "aws_api_gateway_rest_api")
            logs = res.first_block("access_log_settings")
            name = res.text("stage_name")
            waf: bool | Unknown = res.address in waf_targets or (
                Unknown("a WAF association targets a stage not known statically") if waf_unknown else False)
            stages[api or ""].append(Stage(
                name if isinstance(name, str) else res.address, res.location,
                access_logging=logs is not None, waf=waf, id=res.address,
                field_locations={"access_logging": logs.location if logs else res.location}))
        for entry in self.entries["aws_api_gateway_deployment"]:
            res = entry.res
            if res.has("stage_name"):
                api = self.ref_of(res.get("rest_api_id"), "aws_api_gateway_rest_api")
                name = res.text("stage_name")
                stages[api or ""].append(Stage(name if isinstance(name, str) else res.address, res.location,
                                               access_logging=False, waf=False, id=res.address))
        policies: dict[str, PolicyDocument] = {}
        for entry in self.entries["aws_api_gateway_rest_api_policy"]:
            api = self.ref_of(entry.res.get("rest_api_id"), "aws_api_gateway_rest_api")
            if api:
                policies[api] = policy_document(entry.res.get("policy"), entry.res.loc("policy"))
        endpoint_types: dict[str, str | Unknown | None] = {}
        for entry in self.entries["aws_api_gateway_rest_api"]:
            res = entry.res
            endpoint = res.first_block("endpoint_configuration")
            types = endpoint.get("types") if endpoint else None
            etype = _as_text(_as_list(types)[0], endpoint.location) if endpoint and _as_list(types) else None
            endpoint_types[res.address] = etype
            if res.has("body"):
                self.loader.diag(DiagnosticKind.UNSUPPORTED, f"{res.address}: routes defined in the OpenAPI body "
                                 "are not modelled; only aws_api_gateway_method resources are checked",
                                 res.loc("body"))
            policy = policies.get(res.address)
            if policy is None and res.has("policy"):
                policy = policy_document(res.get("policy"), res.loc("policy"))
            self.apis[res.address] = Api(
                id=res.address, location=res.location, kind=TriggerKind.REST_API, name=res.text("name"),
                stages=tuple(stages.get(res.address, ())), endpoint_type=etype, resource_policy=policy,
                field_locations={"endpoint_type": endpoint.location} if endpoint else {})
        integrations: dict[tuple[str, str], _Res] = {}
        by_method: dict[str, _Res] = {}
        for entry in self.entries["aws_api_gateway_integration"]:
            res = entry.res
            method_ref = self.ref_of(res.get("http_method"), "aws_api_gateway_method")
            resource_key = self._resource_key(res.get("resource_id"))
            method = method_ref or str(res.get("http_method"))
            integrations[(resource_key, method)] = res
            if method_ref is not None:
                # `http_method = aws_api_gateway_method.m.http_method` names the method whatever spelling its
                # resource_id uses (often `aws_api_gateway_method.m.resource_id`)
                by_method.setdefault(method_ref, res)
        for entry in self.entries["aws_api_gateway_method"]:
            res = entry.res
            http_method = res.text("http_method")
            resource_key = self._resource_key(res.get("resource_id"))
            integration = by_method.get(res.address) or integrations.get(
                (resource_key, res.address), integrations.get((resource_key, str(http_method))))
            if integration is None:
                continue
            fid = self._integration_target(integration.get("type"), integration.get("uri"))
            if fid is None:
                continue  # MOCK: API Gateway answers itself (CORS preflights), as the CloudFormation loader skips
            api = self.ref_of(res.get("rest_api_id"), "aws_api_gateway_rest_api")
            path = self._resource_path(resource_key, resources, 0)
            authorization = res.text("authorization")
            api_key = res.flag("api_key_required") is True
            authorizer = self.ref_of(res.get("authorizer_id"), "aws_api_gateway_authorizer")
            auth = _rest_auth(authorization, api_key, authorizers.get(authorizer or ""), res.loc("authorization"))
            validator = res.get("request_validator_id")
            models = res.get("request_models")
            validation: bool | Unknown = bool(validator) or bool(models)
            if isinstance(validator, Unknown) and not models:
                validation = validator
            params = res.get("request_parameters")
            takes_input: bool | Unknown | None = None
            if isinstance(http_method, str):
                # A path parameter (`/person/{id}`) is input too, as in the CloudFormation loader.
                takes_input = http_method.upper() in ("POST", "PUT", "PATCH", "ANY") or bool(
                    isinstance(params, dict) and params) or (isinstance(path, str) and "{" in path)
            self.triggers.append(Trigger(
                id=res.address, location=res.location,
                field_locations={"auth": res.loc("authorization"), "method": res.loc("http_method"),
                                 "request_validation": res.loc("request_validator_id")},
                kind=TriggerKind.REST_API, function=fid, api=api,
                method=http_method if isinstance(http_method, str) else None, path=path, auth=auth,
                request_validation=validation, takes_input=takes_input,
                private=endpoint_types.get(api or "") == "PRIVATE"))

    def _integration_target(self, itype: Any, uri: Any, subtype: Any = None) -> str | Unknown | None:
        """The function an API integration invokes, Unknown saying so when the backend is not a Lambda function
        (an HTTP endpoint, an AWS service), None for a MOCK integration.

        Why keep the non-Lambda routes: a route with no authorizer is open whatever its backend (FG301), and
        the CloudFormation loader keeps them the same way; rules that need the function skip an Unknown one."""
        kind = itype.strip().upper() if isinstance(itype, str) else None
        if kind == "MOCK":
            return None
        what = " ".join(p for p in (kind, subtype if isinstance(subtype, str) else None,
                                    uri if isinstance(uri, str) else None) if p) or "no target"
        if kind in ("HTTP", "HTTP_PROXY") or isinstance(subtype, str):
            return Unknown(f"integration is not a Lambda function: {what}"[:200])
        fid = self.function_id(uri)
        if isinstance(fid, Unknown) and not self.refs(uri) and not (isinstance(uri, str) and "lambda" in uri):
            return Unknown(f"integration is not a Lambda function: {what}"[:200])
        return fid

    def _resource_key(self, value: Any) -> str:
        address = self.ref_of(value, "aws_api_gateway_resource")
        if address is not None:
            return address
        api = self.ref_of(value, "aws_api_gateway_rest_api")
        return f"{api}/" if api else str(value)

    def _resource_path(self, key: str, resources: Mapping[str, _Res], depth: int) -> str | None:
        if key.endswith("/"):
            return "/"
        res = resources.get(key)
        if res is None or depth > 30:
            return None
        part = res.text("path_part")
        parent = self._resource_path(self._resource_key(res.get("parent_id")), resources, depth + 1)
        if not isinstance(part, str) or parent is None:
            return None
        return parent.rstrip("/") + "/" + part

    # -------------------------------------------------------------------------- API Gateway v2

    def _http_apis(self) -> None:
        authorizers: dict[str, AuthType] = {}
        for entry in self.entries["aws_apigatewayv2_authorizer"]:
            atype = entry.res.text("authorizer_type")
            authorizers[entry.res.address] = AuthType.JWT if atype == "JWT" else (
                AuthType.LAMBDA if atype == "REQUEST" else AuthType.UNKNOWN)
        integrations = {e.res.address: e.res for e in self.entries["aws_apigatewayv2_integration"]}
        stages: dict[str, list[Stage]] = defaultdict(list)
        for entry in self.entries["aws_apigatewayv2_stage"]:
            res = entry.res
            api = self.ref_of(res.get("api_id"), "aws_apigatewayv2_api") or ""
            logs = res.first_block("access_log_settings")
            name = res.text("name")
            stages[api].append(Stage(name if isinstance(name, str) else res.address, res.location,
                                     access_logging=logs is not None, waf=False, id=res.address,
                                     field_locations={"access_logging": logs.location if logs else res.location}))
        websocket: set[str] = set()
        for entry in self.entries["aws_apigatewayv2_api"]:
            res = entry.res
            protocol = res.text("protocol_type")
            if isinstance(protocol, str) and protocol.upper() == "WEBSOCKET":
                # As in the CloudFormation loader: a WebSocket API's routes are not HTTP routes (only `$connect`
                # is authorized; every later message rides the open connection)
                websocket.add(res.address)
            cors = res.first_block("cors_configuration")
            origins = tuple(_strings(cors.get("allow_origins"))) if cors else ()
            api_stages = list(stages.get(res.address, ()))
            if res.has("target"):
                api_stages.append(Stage("$default", res.loc("target"), access_logging=False, waf=False))
                fid = self.function_id(res.get("target"))
                self.triggers.append(Trigger(
                    id=res.address, location=res.loc("target"), kind=TriggerKind.HTTP_API, function=fid,
                    api=res.address, method="ANY", path=_as_str(res.text("route_key"), "$default"),
                    auth=Auth(AuthType.NONE, res.loc("target"), detail="quick-create API target: no authorizer")))
            self.apis[res.address] = Api(
                id=res.address, location=res.location,
                kind=TriggerKind.OTHER if res.address in websocket else TriggerKind.HTTP_API, name=res.text("name"),
                stages=tuple(api_stages), cors_allow_origins=origins,
                field_locations={"cors_allow_origins": cors.location} if cors else {})
        for entry in self.entries["aws_apigatewayv2_route"]:
            res = entry.res
            target = res.get("target")
            integration = self.ref_of(target, "aws_apigatewayv2_integration")
            if integration is None or integration not in integrations:
                continue
            target_res = integrations[integration]
            route_fid = self._integration_target(target_res.get("integration_type"),
                                                 target_res.get("integration_uri"),
                                                 target_res.get("integration_subtype"))
            if route_fid is None:
                continue
            route_key = res.text("route_key")
            method, path = None, None
            if isinstance(route_key, str):
                method, _, path = route_key.partition(" ")
                if not path:
                    method, path = "ANY", route_key
            atype = res.text("authorization_type") or "NONE"
            route_api = self.ref_of(res.get("api_id"), "aws_apigatewayv2_api")
            authorizer = self.ref_of(res.get("authorizer_id"), "aws_apigatewayv2_authorizer")
            auth = _http_auth(atype, authorizers.get(authorizer or ""), authorizer,
                              res.flag("api_key_required") is True, res.loc("authorization_type"))
            self.triggers.append(Trigger(
                id=res.address, location=res.location,
                field_locations={"auth": res.loc("authorization_type"), "path": res.loc("route_key")},
                kind=TriggerKind.OTHER if route_api in websocket else TriggerKind.HTTP_API, function=route_fid,
                api=route_api, method=method, path=path, auth=auth))

    # -------------------------------------------------------------------------- data stores and the rest

    def _resources(self) -> None:
        policies = self._resource_policies()
        settings = self._bucket_settings()
        for rtype, (category, name_attrs) in _CATEGORIES.items():
            for entry in self.entries[rtype]:
                res = entry.res
                props = res.plain()
                name_attr = next((a for a in name_attrs if res.has(a)), None)
                name = res.text(name_attr) if name_attr else None
                fields = {"name": res.loc(name_attr)} if name_attr else {}
                if rtype == "aws_ecs_task_definition":
                    self._task_definition(entry, props)
                policy: PolicyDocument | None = None
                if rtype in _POLICY_TARGETS.values():
                    if rtype == "aws_s3_bucket" and res.has("acl"):
                        fields["acl"] = res.loc("acl")
                    for key, (value, where) in settings.get(res.address, {}).items():
                        props[key] = value
                        fields[key] = where
                    documents = policies.get(res.address, [])
                    if res.get("policy") is not None:  # the inline `policy` argument comes first
                        documents = [_policy_attr(res, "policy"), *documents]
                    if documents:
                        policy = PolicyDocument(
                            tuple(s for d in documents for s in d.statements), documents[0].location,
                            next((d.unresolved for d in documents if d.unresolved is not None), None))
                        fields["resource_policy"] = policy.location
                prefix, _, local = res.address.rpartition(f"{rtype}.")
                arn = _arn_shape(prefix, rtype, local, [("attr", "arn")]) or _symbolic(f"{res.address}.arn")
                self.resources.append(Resource(
                    id=res.address, location=res.location, field_locations=fields, type=rtype, category=category,
                    name=name, arn=arn, properties=props, resource_policy=policy))

    def _policy_target(self, value: Any, target_type: str) -> str | None:
        """The bucket/queue/topic of this configuration a policy or setting names: by reference
        (`aws_s3_bucket.b.id`, `aws_sqs_queue.q.url`, `aws_sns_topic.t.arn`), or by a literal name, URL or ARN
        whose last segment is the name of exactly one of them. Anything else is not attached (never guessed)."""
        address = self.ref_of(value, target_type)
        if address is not None:
            return address if address in self.by_address else None
        if not isinstance(value, str) or not value.strip() or "${" in value.replace(ACCOUNT, "").replace(
                REGION, "").replace(PARTITION, ""):
            return None
        text = value.strip().rstrip("/")
        wanted = {text, re.split(r"[:/]", text)[-1]}
        name_attr = _CATEGORIES[target_type][1][0]
        hits = [e.res.address for e in self.entries[target_type]
                if isinstance(name := e.res.get(name_attr), str) and name in wanted]
        return hits[0] if len(hits) == 1 else None

    def _resource_policies(self) -> dict[str, list[PolicyDocument]]:
        """aws_s3_bucket_policy / aws_sqs_queue_policy / aws_sns_topic_policy → target address → documents, in
        source order; each statement keeps its own line and the policy resource's address as logical id."""
        out: dict[str, list[PolicyDocument]] = defaultdict(list)
        for rtype, (attr, target_type) in _POLICY_RESOURCES.items():
            for entry in self.entries[rtype]:
                res = entry.res
                target = self._policy_target(res.get(attr), target_type)
                if target is None:
                    if res.has(attr):
                        self.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: the {target_type} it names "
                                         "is not one of this configuration; its policy is not checked", res.loc(attr))
                    continue
                if res.get("policy") is not None:
                    out[target].append(_policy_attr(res, "policy"))
        return out

    def _bucket_settings(self) -> dict[str, dict[str, tuple[Any, Location]]]:
        """The S3 settings Terraform keeps in resources of their own, folded into the bucket's properties under
        the names `rules/_common.py` reads: `acl` (aws_s3_bucket_acl), `public_access_block`
        (aws_s3_bucket_public_access_block, snake-case flags; an account-wide
        aws_s3_account_public_access_block applies to every bucket) and `object_ownership`
        (aws_s3_bucket_ownership_controls)."""
        out: dict[str, dict[str, tuple[Any, Location]]] = defaultdict(dict)
        account_block: tuple[dict[str, Any], Location] | None = None
        for entry in self.entries["aws_s3_account_public_access_block"]:
            account_block = (_block_flags(entry.res), entry.res.location)
        for entry in self.entries["aws_s3_bucket_public_access_block"]:
            target = self._policy_target(entry.res.get("bucket"), "aws_s3_bucket")
            if target is not None:
                out[target]["public_access_block"] = (_block_flags(entry.res), entry.res.location)
        if account_block is not None:
            for entry in self.entries["aws_s3_bucket"]:
                own = out[entry.res.address].get("public_access_block")
                flags = account_block[0] if own is None else _stricter(own[0], account_block[0])
                out[entry.res.address]["public_access_block"] = (flags, (own or account_block)[1])
        for entry in self.entries["aws_s3_bucket_acl"]:
            res = entry.res
            target = self._policy_target(res.get("bucket"), "aws_s3_bucket")
            if target is not None and res.has("acl"):
                out[target]["acl"] = (res.text("acl"), res.loc("acl"))
        for entry in self.entries["aws_s3_bucket_ownership_controls"]:
            res = entry.res
            target = self._policy_target(res.get("bucket"), "aws_s3_bucket")
            rule = res.first_block("rule")
            if target is not None and rule is not None and rule.has("object_ownership"):
                out[target]["object_ownership"] = (rule.text("object_ownership"), rule.loc("object_ownership"))
        return {k: v for k, v in out.items() if v}

    def _task_definition(self, entry: _Entry, props: dict[str, Any]) -> None:
        from faasguard.loaders._containers import ecs_container

        res = entry.res
        loc = res.loc("container_definitions")
        definitions = parse_container_definitions(res.get("container_definitions"), loc)
        props["container_definitions"] = definitions
        task_role = self.role_id(res.get("task_role_arn"), res.loc("task_role_arn"))
        execution_role = self.role_id(res.get("execution_role_arn"), res.loc("execution_role_arn"))
        props["task_role"] = task_role
        props["execution_role"] = execution_role
        if isinstance(definitions, Unknown):
            self.loader.diag(DiagnosticKind.UNRESOLVED, f"{res.address}: container_definitions not known "
                             f"statically ({definitions.reason}); its containers are not checked", loc)
            return
        for index, definition in enumerate(definitions):
            if not isinstance(definition, Mapping):
                continue
            item_loc = definitions.item_loc(index, res.address) if isinstance(definitions, LocatedList) \
                and definitions.path else loc
            self.containers.append(ecs_container(definition, item_loc, res.address, task_role=task_role,
                                                 execution_role=execution_role, task_cpu=res.get("cpu"),
                                                 task_memory=res.get("memory")))

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
            security_groups=tuple(self.groups.values()), resources=tuple(self.resources),
            parameters=tuple(self.parameters), account_id=ACCOUNT)


# ------------------------------------------------------------------------------------------ small helpers

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


def _policy_attr(res: _Res, name: str) -> PolicyDocument:
    return policy_document(res.get(name), res.loc(name), _expr_first_line(res.block.body.attr(name)))


def _block_flags(res: _Res) -> dict[str, Any]:
    """The four Block Public Access flags as written (bool, Unknown, or absent = off, the API default)."""
    return {flag: res.flag(flag) for flag in _BLOCK_FLAGS if res.has(flag)}


def _stricter(own: Mapping[str, Any], account: Mapping[str, Any]) -> dict[str, Any]:
    """A bucket's and its account's Block Public Access together: S3 applies the most restrictive of the two,
    so a flag is on when either is on (an unknown flag may be on, and stays unknown unless the other is on)."""
    merged: dict[str, Any] = {}
    for flag in _BLOCK_FLAGS:
        values = [v for v in (own.get(flag), account.get(flag)) if v is not None and v is not False]
        if any(v is True for v in values):
            merged[flag] = True
        elif values:
            merged[flag] = values[0]
    return merged


def _with_policies(role: Role, extra: Sequence[Policy]) -> Role:
    from dataclasses import replace

    return replace(role, policies=(*role.policies, *extra))


def _find_handler(code_dir: Path, module_path: str, runtime: Any, single: str | None) -> str | None:
    if single is not None:
        return single if Path(single).stem == module_path.rsplit("/", 1)[-1].rsplit(".", 1)[-1] else None
    relative = module_path.replace(".", "/") if not (isinstance(runtime, str) and runtime.startswith("node")) \
        else module_path
    suffixes = (".js", ".mjs", ".cjs", ".ts", ".py") if isinstance(runtime, str) and runtime.startswith("node") \
        else (".py", ".js", ".mjs", ".cjs", ".ts")
    for suffix in suffixes:
        candidate = code_dir / f"{relative}{suffix}"
        if candidate.is_file() and not candidate.is_symlink():
            return str(candidate)
    return None


def _sg_rules(res: _Res, direction: str, location: Location) -> list[SecurityGroupRule]:
    protocol = _as_text(res.get("protocol"), res.loc("protocol"))
    protocol = "-1" if protocol in ("-1", "all", "ALL") else protocol
    from_port, to_port = res.num("from_port"), res.num("to_port")
    cidrs = _strings(res.get("cidr_blocks")) + _strings(res.get("ipv6_cidr_blocks"))
    groups = _strings(res.get("security_groups"))
    if res.flag("self") is True:
        groups = (*groups, "self")
    rules = [SecurityGroupRule(direction, protocol or "-1", from_port, to_port, cidr, location) for cidr in cidrs]
    rules.extend(SecurityGroupRule(direction, protocol or "-1", from_port, to_port, None, location,
                                   destination_group=group) for group in groups)
    prefix_lists = _strings(res.get("prefix_list_ids"))
    rules.extend(SecurityGroupRule(direction, protocol or "-1", from_port, to_port, None, location,
                                   destination_group=p) for p in prefix_lists)
    if res.has("source_security_group_id"):
        rules.append(SecurityGroupRule(direction, protocol or "-1", from_port, to_port, None, location,
                                       destination_group=res.text("source_security_group_id")))
    return rules


def _sg_rules_from_map(item: Mapping[str, Any], direction: str, location: Location) -> list[SecurityGroupRule]:
    protocol = _as_text(item.get("protocol"), location)
    protocol = "-1" if protocol in ("-1", "all") else protocol
    from_port, to_port = _as_int(item.get("from_port"), location), _as_int(item.get("to_port"), location)
    loc = _value_loc(item, location)
    cidrs = _strings(item.get("cidr_blocks")) + _strings(item.get("ipv6_cidr_blocks"))
    return [SecurityGroupRule(direction, protocol or "-1", from_port, to_port, cidr, loc) for cidr in cidrs]


def _stream_kind(source: Any, refs: list[tuple[str, str, str]]) -> TriggerKind:
    by_type = {"aws_sqs_queue": TriggerKind.SQS, "aws_kinesis_stream": TriggerKind.KINESIS,
               "aws_dynamodb_table": TriggerKind.DYNAMODB_STREAM, "aws_msk_cluster": TriggerKind.KAFKA,
               "aws_msk_serverless_cluster": TriggerKind.KAFKA, "aws_mq_broker": TriggerKind.MQ}
    for _address, rtype, _ in refs:
        if rtype in by_type:
            return by_type[rtype]
    if isinstance(source, str):
        for marker, kind in ((":sqs:", TriggerKind.SQS), (":kinesis:", TriggerKind.KINESIS),
                             (":dynamodb:", TriggerKind.DYNAMODB_STREAM), (":kafka:", TriggerKind.KAFKA),
                             (":mq:", TriggerKind.MQ)):
            if marker in source:
                return kind
    return TriggerKind.OTHER


def _redrive(queue: _Res) -> Destination | None:
    redrive = queue.get("redrive_policy")
    if redrive is None:
        return None
    parsed = _document_value(redrive, queue.loc("redrive_policy"))
    target = parsed.get("deadLetterTargetArn") if isinstance(parsed, dict) else None
    return Destination("redrive", target if isinstance(target, (str, Unknown)) else Unknown(
        "redrive policy not resolved"), queue.loc("redrive_policy"))


def _pattern_source(pattern: Any) -> str | None:
    parsed = _document_value(pattern, Location("")) if isinstance(pattern, str) else pattern
    if isinstance(parsed, dict):
        source = parsed.get("source")
        first = _as_list(source)[0] if _as_list(source) else None
        return first if isinstance(first, str) else None
    return None


def _url_auth(auth: str | Unknown | None, location: Location) -> Auth:
    if isinstance(auth, Unknown):
        return Auth(AuthType.UNKNOWN, location, detail=auth.reason)
    if auth == "AWS_IAM":
        return Auth(AuthType.IAM, location)
    if auth == "NONE":
        return Auth(AuthType.NONE, location, detail="authorization_type = NONE")
    return Auth(AuthType.UNKNOWN, location, detail=f"authorization_type {auth!r}")


def _rest_auth(authorization: str | Unknown | None, api_key: bool, authorizer: tuple[AuthType, str] | None,
               location: Location) -> Auth:
    if isinstance(authorization, Unknown) or authorization is None:
        detail = authorization.reason if isinstance(authorization, Unknown) else "authorization not set"
        return Auth(AuthType.UNKNOWN, location, api_key_required=api_key, detail=detail)
    upper = authorization.upper()
    if upper == "NONE":
        if api_key:
            return Auth(AuthType.API_KEY, location, api_key_required=True,
                        detail="authorization NONE, API key required")
        return Auth(AuthType.NONE, location, detail="authorization = NONE")
    if upper == "AWS_IAM":
        return Auth(AuthType.IAM, location, api_key_required=api_key)
    kind = AuthType.COGNITO if upper == "COGNITO_USER_POOLS" else AuthType.LAMBDA if upper == "CUSTOM" \
        else AuthType.UNKNOWN
    if authorizer is not None and kind is AuthType.LAMBDA:
        kind = authorizer[0]
    return Auth(kind, location, authorizer=authorizer[1] if authorizer else None, api_key_required=api_key)


def _http_auth(atype: str | Unknown, authorizer_kind: AuthType | None, authorizer: str | None, api_key: bool,
               location: Location) -> Auth:
    if isinstance(atype, Unknown):
        return Auth(AuthType.UNKNOWN, location, detail=atype.reason)
    upper = atype.upper()
    if upper == "NONE":
        if api_key:
            return Auth(AuthType.API_KEY, location, api_key_required=True)
        return Auth(AuthType.NONE, location, detail="authorization_type = NONE")
    if upper == "AWS_IAM":
        return Auth(AuthType.IAM, location)
    if upper == "JWT":
        return Auth(AuthType.JWT, location, authorizer=authorizer)
    if upper == "CUSTOM":
        return Auth(authorizer_kind or AuthType.LAMBDA, location, authorizer=authorizer)
    return Auth(AuthType.UNKNOWN, location, detail=f"authorization_type {atype!r}")


# ------------------------------------------------------------------------------------------ entry point

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


def _load_root(loader: _Loader, root: Path, reached: set[Path]) -> None:
    """One root module, isolated: its crash or budget overrun is its diagnostic, the other roots load."""
    display = loader.ctx.display(root)
    loader.budget = loader.ctx.budget_for(display)
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
    builder.build()
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
