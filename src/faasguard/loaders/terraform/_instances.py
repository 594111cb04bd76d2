"""Module directories and their instances: variables, locals, outputs, data sources and the `file()` family
evaluated per instance, and `_Res`, the located view of one resource block that the families read.

Size: the one resolver of every reference kind (variables, locals, outputs, modules, data sources, resources and
their count / for_each instances) sits with the values it resolves; `_expansion` holds what instances add.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasguard.findings import DiagnosticKind, DiagnosticLevel
from faasguard.loaders._hcl import (
    Attribute,
    Block,
    EvalError,
    Evaluator,
    FileText,
    HclFile,
    JsonExpr,
    apply_steps,
    to_plain,
)
from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, read_text
from faasguard.loaders.intrinsics import Symbolic
from faasguard.loaders.terraform._expansion import EXPANDED_DATA, Expansion, Key, data_instance, expand
from faasguard.loaders.terraform._policies import (
    _UNRESOLVED_KEY,
    _statements_of,
)
from faasguard.model import (
    Location,
    Unknown,
)
from faasguard.sources import display_path

COMPONENT = "terraform loader"

if TYPE_CHECKING:
    from faasguard.loaders.terraform._loader import _Loader, _SyntheticModule


MAX_READ_BYTES = 2 * 1024 * 1024
"""Cap for `file()` / `templatefile()` reads."""


ACCOUNT = "${AWS::AccountId}"


REGION = "${AWS::Region}"


PARTITION = "${AWS::Partition}"


@dataclass
class _ModuleDir:
    """The parsed `.tf`/`.tf.json` files of one directory."""

    path: Path
    files: list[HclFile] = field(default_factory=list)
    displays: list[str] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    repeated: dict[tuple[str, str], Block] = field(default_factory=dict)
    """(type, name) → the resource blocks with `count` / `for_each`, and (`data.<type>`, name) → the expanded data
    sources' (few: what a reference looks up to know whether it names instances)."""
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    source_size: int = 0
    """Characters of source in the directory's files (what sizes a root module's evaluation budget)."""

    def add(self, hcl: HclFile, display: str) -> None:
        self.files.append(hcl)
        self.source_size += hcl.size
        self.displays.append(display)
        for block in hcl.body.blocks:
            if block.type == "variable" and block.labels:
                self.variables[block.labels[0]] = block
            elif block.type == "locals":
                self.locals.update(block.body.attributes)
            elif block.type == "resource" and len(block.labels) == 2:
                self.resources.append(block)
                body = block.body
                if body.attr("count") is not None or body.attr("for_each") is not None:
                    self.repeated[(block.labels[0], block.labels[1])] = block
            elif block.type == "data" and len(block.labels) == 2:
                self.data[(block.labels[0], block.labels[1])] = block
                if block.labels[0] in EXPANDED_DATA and (block.body.attr("count") is not None
                                                         or block.body.attr("for_each") is not None):
                    self.repeated[(f"data.{block.labels[0]}", block.labels[1])] = block
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
        self.children: dict[str, _Instance | _SyntheticModule | None] = {}
        self.module_instances: dict[str, tuple[Expansion, dict[Key, _Instance | _SyntheticModule]]] = {}
        """Module calls whose count / for_each is known: the expansion and the instance per key."""
        self._var_cache: dict[str, Any] = {}
        self._local_cache: dict[str, Any] = {}
        self._output_cache: dict[str, Any] = {}
        self._doc_cache: dict[str, Any] = {}
        self._attr_cache: dict[Attribute, Any] = {}
        self._expansions: dict[tuple[str, str], Expansion | None] = {}
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
        cache = self._attr_cache
        if attr in cache:
            return cache[attr]
        value = self.evaluator.eval(attr.expr, attr.location)
        cache[attr] = value
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
            return Unknown(f"{text} (outside an expanded count / for_each resource)", location)
        if "_" in root and first is not None:
            expansion = self.expansion(root, first)
            if expansion is not None:
                return expansion.reference(steps[1:], location)
            return _arn_shape(self.prefix, root, first, steps[1:]) or _symbolic(text, self.prefix)
        self.loader.diag(DiagnosticKind.UNRESOLVED, f"unknown reference {text}", location)
        return EvalError(f"unknown reference {text}", location)

    def expansion(self, rtype: str, name: str) -> Expansion | None:
        """The instances of resource `rtype.name` of this module when its `count` / `for_each` is known (see
        `_expansion`), else None (not repeated, not declared, or one node). Computed once: the builder and
        every reference to the resource must agree on it."""
        key = (rtype, name)
        block = self.mod.repeated.get(key)
        if block is None:
            return None
        if key in self._expansions:
            return self._expansions[key]
        address = f"{self.prefix}{rtype}.{name}"
        self._expansions[key] = None  # a for_each that reads its own resource sees it as one node
        guard = self._guard(address, block.location)
        if guard is not None:
            return None
        self._active.append(address)
        try:
            result = expand(self, block, address, _instance_symbolic)
        finally:
            self._active.pop()
        self._expansions[key] = result
        return result

    def _module_ref(self, name: str | None, steps: list[tuple[str, Any]], location: Location) -> Any:
        if name is None:
            return EvalError("module without a name", location)
        child: _Instance | _SyntheticModule | str | None = self.children.get(name, "missing")
        if isinstance(child, str):
            return EvalError(f"undeclared module.{name}", location)
        rest = steps[1:]
        expanded = self.module_instances.get(name)
        if expanded is not None:  # a module call whose count / for_each is known: the instance must be named
            expansion, by_key = expanded
            picked = expansion.pick(rest[:1], location)
            if isinstance(picked, Unknown):
                return picked
            child, rest = by_key.get(picked), rest[1:]
        elif rest and rest[0][0] == "index":  # module with count / for_each not known: its one instance
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
        repeated = self.mod.repeated.get((f"data.{data_type}", data_name))
        if repeated is not None:
            expansion = self.expansion(f"data.{data_type}", data_name)
            if expansion is not None:
                return data_instance(self, expansion, repeated, steps[2:], location)
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
        if block is not None and data_type == "template_file" and attr == "rendered":
            return apply_steps(self.template_file_data(data_name, block, location), tail, location)
        if block is not None and data_type == "archive_file" and attr == "output_path":
            return _symbolic(text, self.prefix)
        return _symbolic(text, self.prefix)

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

    def bound_policy_document(self, block: Block, address: str, bindings: Mapping[str, Any]) -> Any:
        """One instance of a `for_each` / `count` policy document (`data.aws_iam_policy_document.d["a"]`)."""
        if address in self._doc_cache:
            return self._doc_cache[address]
        cyc = self._guard(address, block.location)
        if cyc is not None:
            return cyc
        self._active.append(address)
        try:
            doc = self._build_policy_document(block, address, bindings)
        finally:
            self._active.pop()
        self._doc_cache[address] = doc
        return doc

    def _build_policy_document(self, block: Block, address: str,
                               bindings: Mapping[str, Any] | None = None) -> LocatedDict:
        loc = block.location.with_id(address)
        doc = LocatedDict(loc.path, loc.line, loc.column)
        doc["Version"] = "2012-10-17"
        doc.key_locs["Version"] = (loc.line, loc.column)
        unresolved: list[str] = []
        statements = LocatedList(loc.path, loc.line, loc.column)
        for source_attr in ("source_policy_documents", "source_json"):
            attr = block.body.attr(source_attr)
            if attr is not None:
                for stmt in _statements_of(self.eval_attr(attr, bindings), attr.location, unresolved):
                    statements.append(stmt)
                    statements.item_locs.append((attr.location.line, attr.location.column))
        res = _Res(self, block, address, bindings)
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
            for stmt in _statements_of(self.eval_attr(attr, bindings), attr.location, unresolved):
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
            return FileText(read_text(path, str(raw), MAX_READ_BYTES), display_path(path, self.loader.ctx.cwd))
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
        return self._render(text, args[1] if len(args) > 1 else {}, location, f"templatefile(): {args[0]!r}")

    def _render(self, text: str, variables: Any, location: Location, what: str) -> Any:
        """A template rendered with `variables`, as `templatefile()` and `data "template_file"` do. A variable
        whose value is unknown stays `${name}` in the text (what the rest of the loader reads as not known
        statically); rendered from a file line for line, the text stays located in that file."""
        if isinstance(variables, Unknown):
            return variables
        if not isinstance(variables, dict):
            return EvalError(f"{what}: variables must be a map", location)
        from faasguard.loaders._hcl import _template_node

        node = _template_node(text)
        if node is None:
            return EvalError(f"{what}: cannot parse the template", location)
        isolated = Evaluator(lambda root, steps, loc, src: EvalError(f"{src} is not a template variable", loc),
                             {"file": self._fn_file, "templatefile": self._fn_templatefile},
                             budget=self.loader.budget)
        flat = Location("", location.line, location.column, logical_id=location.logical_id)
        value = isolated.eval(node, flat, dict(variables))
        if isinstance(value, Unknown):
            return Unknown(value.reason, location)
        if isinstance(value, str) and isinstance(text, FileText) and value.count("\n") == text.count("\n"):
            return FileText(value, text.display)
        return value

    def template_file_data(self, name: str, block: Block, location: Location) -> Any:
        """`data "template_file"` (the deprecated template provider): its `rendered` text, from its `template`
        (usually `file(...)`) and `vars`, as `templatefile()` would render them."""
        key = f"data.template_file.{name}"
        cyc = self._guard(key, block.location)
        if cyc is not None:
            return cyc
        self._active.append(key)
        try:
            template_attr = block.body.attr("template")
            if template_attr is None:
                return EvalError(f"{key} has no template", location)
            text = self.eval_attr(template_attr)
            if isinstance(text, Unknown):
                return text
            if not isinstance(text, str):
                return EvalError(f"{key}: template is not text", location)
            vars_attr = block.body.attr("vars")
            variables = self.eval_attr(vars_attr) if vars_attr is not None else {}
            return self._render(text, variables, location, key)
        finally:
            self._active.pop()


def _symbolic(text: str, prefix: str = "") -> str:
    """`${prefix text}`, the instance keys of `text` dropped (it names one node). `prefix` (a module instance's
    address, `module.m["a"].`) is kept as it is."""
    return Symbolic("${" + prefix + _strip_indexes(text) + "}") if "[" in text and "]" in text and "*" not in text \
        else Symbolic("${" + prefix + text + "}")


def _instance_symbolic(address: str, rest: list[tuple[str, Any]]) -> str:
    """`aws_lambda_function.fn["a"]` + `.arn` → that instance's symbolic attribute, the instance key kept (an
    expanded resource's instances are separate nodes); indexes inside the attribute are dropped, as
    `_symbolic` drops them."""
    base = address[:address.rindex("[")] if address.endswith("]") else address
    head, _, name = base.rpartition(".")
    module, _, rtype = head.rpartition(".")
    shaped = _arn_shape(f"{module}." if module else "", rtype, name + address[len(base):], rest)
    if shaped is not None:
        return shaped
    return Symbolic("${" + address + "".join(f".{key}" for kind, key in rest if kind == "attr") + "}")


def node_ref(address: str, attribute: str) -> str:
    """`${address.attribute}` for a node the builder made, whose address may carry an instance key."""
    return Symbolic("${" + f"{address}.{attribute}" + "}")


def exact_ref(text: str) -> str:
    """`${text}` as written: an address built from a module instance's prefix keeps its instance key."""
    return Symbolic("${" + text + "}")


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


class _Res:
    """A block of one instance, with typed, located accessors (field locations carry the address)."""

    __slots__ = ("_location", "_values", "address", "bindings", "block", "inst")

    def __init__(self, inst: _Instance, block: Block, address: str,
                 bindings: Mapping[str, Any] | None = None) -> None:
        self.inst = inst
        self.block = block
        self.address = address
        self.bindings: Mapping[str, Any] = ({**bindings, **block.bindings} if bindings and block.bindings
                                            else bindings or block.bindings)
        self._location: Location | None = None
        self._values: dict[str, Any] | None = {} if self.bindings else None
        """Attribute values under this resource's bindings (`_Instance.eval_attr` caches only the unbound)."""

    @property
    def location(self) -> Location:
        """Built once: the families ask a resource for its location several times each."""
        if self._location is None:
            self._location = self.block.location.with_id(self.address)
        return self._location

    def has(self, name: str) -> bool:
        return name in self.block.body.attributes

    def get(self, name: str, default: Any = None) -> Any:
        attr = self.block.body.attr(name)
        if attr is None:
            return default
        values = self._values
        if values is None:
            value = self.inst.eval_attr(attr)
        elif name in values:
            value = values[name]
        else:
            value = values[name] = self.inst.eval_attr(attr, self.bindings)
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
