"""Resource and module `count` / `for_each`: one instance per key when the collection is known statically.

Why: real apps declare their functions, queues, roles and policies as a map or list walked by `for_each` /
`count`, and what makes them unsafe (a deprecated runtime, a 900 s timeout, a wildcard action) is written in the
map entries. Modelled as one node with `each.value.*` Unknown, a whole app's functions went unchecked; Terraform
(and Checkov) see one resource instance per key, so faasguard does too.

* Known means: a literal, a local or a variable with a default (or tfvars value), `toset([...])`, a map or object,
  `length(...)` of a known list, a conditional over known values, or another expanded resource (`for_each =
  aws_lambda_function.fn`). Each instance is addressed as Terraform does (`aws_lambda_function.fn["a"]`,
  `aws_sqs_queue.q[0]`), located at the resource block, with `each.key` / `each.value` / `count.index` bound.
* A count of 0 or an empty collection is a resource that is not created: no node at all (a disabled resource,
  `count = var.enabled ? 1 : 0`, must raise nothing).
* Unknown (a variable without a default, a data source, a value only known after apply), or keys that cannot be
  written into the `${address}` references the builder follows (quotes, brackets, braces, `$`): one node under
  the plain address with per-instance values Unknown, as before, and an INFO note saying why.
* A count above `MAX_INSTANCES`, or more instances than the root's remaining work budget pays for, is not
  expanded either (a hostile `count = 100000000` must not allocate a hundred million nodes): a located WARNING,
  one node.

`data "aws_iam_policy_document"` and `data "archive_file"` blocks are expanded the same way (`EXPANDED_DATA`), and
so are module calls: one module instance per key, prefixed `module.name["key"].`, its inputs evaluated with the
instance's bindings (`_loader._Loader.instantiate`), its outputs read through the key.

References to an expanded resource resolve per instance (`fn["a"].arn`, `fn[each.key].arn`, `fn[count.index]`,
`values(fn)[*].arn`, `fn[*].arn` for a count); an instance key that is not known or not among the instances, and
an attribute read without an instance key, stay Unknown: never a guess at which instance was meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from faasguard.findings import DiagnosticKind, DiagnosticLevel
from faasguard.loaders._budget import Work
from faasguard.loaders._hcl import Block, apply_steps
from faasguard.loaders._yaml import LocatedList
from faasguard.model import Location, Unknown

if TYPE_CHECKING:
    from faasguard.loaders.terraform._instances import _Instance

MAX_INSTANCES = 1_000
"""Instances one resource block may expand to. Serverless apps declare tens of functions or queues per block;
far above that the block is more likely hostile (or generated) than a set of functions to review one by one."""

STEPS_PER_ATTRIBUTE = 8
"""What reading one attribute or nested block of one instance costs in evaluation steps, about (a reference or
a short template: 4 to 10). A root's expansions reserve their instances' steps at this rate against what is left
of its budget, so the instances it creates are ones it can afford to evaluate: past that, a block stays one node
with a warning instead of the whole root being refused halfway through evaluating its instances."""

_SAFE_KEY = re.compile(r"[A-Za-z0-9_.:/@+=, -]{1,200}")
"""Keys written into `${aws_x.y["key"].attr}` references: nothing that would end the index, the string or the
interpolation early (`"`, `]`, `}`, `$`), so the builder's reference reader sees one address per instance."""

Key = str | int

EXPANDED_DATA = frozenset({"aws_iam_policy_document", "archive_file"})
"""Data sources expanded per instance like resources: a policy document per function (`...[each.key].json`) and
the zip of each function's code (`data.archive_file.zip[each.key].output_path`, which the function's code lookup
follows back to that instance's `source_dir`). Other data sources stay one block, as before."""


def index_text(key: Key) -> str:
    """`["a"]` / `[0]`: the instance key as Terraform writes it in an address."""
    return f"[{key}]" if isinstance(key, int) else f'["{key}"]'


class _InstanceObject(dict[str, Any]):
    """One resource instance taken as a whole value (`each.value` over `for_each = aws_lambda_function.fn`,
    an item of `values(aws_lambda_function.fn)`): any attribute read from it is that instance's attribute, the
    same symbolic value a direct `aws_lambda_function.fn["a"].arn` gives. Empty as a mapping: its attributes are
    only known after apply, so nothing iterates them."""

    __slots__ = ("_attribute",)

    def __init__(self, attribute: Callable[[str], Any]) -> None:
        super().__init__()
        self._attribute = attribute

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __missing__(self, key: str) -> Any:
        return self._attribute(key)


class Expansion:
    """The instances of one `count` / `for_each` resource whose collection is known (possibly none)."""

    __slots__ = ("address", "counted", "instances", "symbolic")

    def __init__(self, address: str, counted: bool, instances: dict[Key, Mapping[str, Any]],
                 symbolic: Callable[[str, list[tuple[str, Any]]], str]) -> None:
        self.address = address
        """The resource's address without an instance key (`module.m.aws_lambda_function.fn`)."""
        self.counted = counted
        """`count` (integer keys, a list as a whole) rather than `for_each` (string keys, a map as a whole)."""
        self.instances = instances
        """Instance key → the iterator bindings of that instance (`count.index` or `each.key` / `each.value`)."""
        self.symbolic = symbolic
        """(address with instance key, attribute steps) → the attribute's symbolic value."""

    def bindings_of(self, address: str) -> Mapping[str, Any] | None:
        """The bindings of the instance at `address` (`data.archive_file.zip["a"]`), if it is one of these."""
        base, index = address[:len(self.address)], address[len(self.address):]
        if base != self.address:
            return None
        return next((b for key, b in self.instances.items() if index_text(key) == index), None)

    def pick(self, rest: list[tuple[str, Any]], location: Location) -> Key | Unknown:
        """The instance key `rest` starts with (`[each.key]`, `["a"]`, `[0]`), or why it names none."""
        if not rest or rest[0][0] != "index":
            return Unknown(f"{self.address} has {'count' if self.counted else 'for_each'}: which instance is "
                           "meant is not written", location)
        key = rest[0][1]
        if isinstance(key, Unknown):
            return Unknown(f"instance of {self.address} not known statically ({key.reason})", location)
        wanted = _as_key(key, self.counted)
        if wanted is None or wanted not in self.instances:
            return Unknown(f"{self.address} has no instance {key!r}", location)
        return wanted

    def _object(self, key: Key) -> _InstanceObject:
        address = self.address + index_text(key)
        return _InstanceObject(lambda attr: self.symbolic(address, [("attr", attr)]))

    def _one(self, key: Key, rest: list[tuple[str, Any]], location: Location) -> Any:
        if not rest:
            return self._object(key)
        if rest[0][0] == "attr":
            return self.symbolic(self.address + index_text(key), rest)
        return apply_steps(self._object(key), rest, location)

    def reference(self, rest: list[tuple[str, Any]], location: Location) -> Any:
        """The value of `<address><rest...>` in an expression."""
        if not rest:
            if self.counted:
                whole = LocatedList(location.path, location.line, location.column)
                for key in self.instances:
                    whole.append(self._object(key))
                    whole.item_locs.append((location.line, location.column))
                return whole
            return {key: self._object(key) for key in self.instances}
        if rest[0][0] == "index":
            wanted = self.pick(rest, location)
            return wanted if isinstance(wanted, Unknown) else self._one(wanted, rest[1:], location)
        if rest[0][0] == "splat" and self.counted:
            out = LocatedList(location.path, location.line, location.column)
            for index in self.instances:
                out.append(self._one(index, rest[1:], location))
                out.item_locs.append((location.line, location.column))
            return out
        return Unknown(f"{self.address} has {'count' if self.counted else 'for_each'}: which instance is meant "
                       "is not written", location)


def data_instance(inst: _Instance, expansion: Expansion, block: Block, rest: list[tuple[str, Any]],
                  location: Location) -> Any:
    """`data.aws_iam_policy_document.d[each.key].json` → that instance's document; any other attribute of an
    expanded data source → its symbolic value under the instance address. Which instance is meant must be
    written and known (as for a resource)."""
    wanted = expansion.pick(rest, location)
    if isinstance(wanted, Unknown):
        return wanted
    address = expansion.address + index_text(wanted)
    tail = rest[1:]
    if block.labels[0] == "aws_iam_policy_document" and tail and tail[0] in (("attr", "json"),
                                                                            ("attr", "minified_json")):
        return apply_steps(inst.bound_policy_document(block, address, expansion.instances[wanted]), tail[1:],
                           location)
    return expansion.symbolic(address, tail)


def _as_key(key: Any, counted: bool) -> Key | None:
    if counted:
        if isinstance(key, bool):
            return None
        if isinstance(key, float) and key.is_integer():
            return int(key)
        if isinstance(key, str) and key.isdigit():
            return int(key)
        return key if isinstance(key, int) else None
    if isinstance(key, bool):
        return None
    return str(key) if isinstance(key, (str, int)) else None


def _count_of(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def _for_each_of(value: Any) -> dict[Key, Any] | str:
    """Key → `each.value`, or why the collection is not usable: a map (keys sorted, as Terraform orders
    instances), or a set of strings (`toset([...])`; a list is read the same way)."""
    if isinstance(value, Unknown):
        return value.reason
    if isinstance(value, _InstanceObject):  # one instance as a whole: its attributes are known after apply only
        return "the attributes of a resource instance"
    if isinstance(value, dict):
        items: dict[Key, Any] = {}
        for key in sorted(value, key=str):
            items[str(key)] = value[key]
        return items
    if isinstance(value, list):
        members: dict[Key, Any] = {}
        for item in value:
            if isinstance(item, Unknown):
                return item.reason
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                return "not a set of strings"
            members[str(item)] = str(item)
        return {key: members[key] for key in sorted(members, key=str)}
    return "not a map or a set of strings"


def expand(inst: _Instance, block: Block, address: str,
           symbolic: Callable[[str, list[tuple[str, Any]]], str], *, module: bool = False) -> Expansion | None:
    """The instances of a resource, data or (`module`) module block, or None when it is one node (no `count` /
    `for_each`, or one whose collection is not known or cannot be expanded: noted). A module's instances are
    also bounded by the module instances the root may still create."""
    count = block.body.attr("count")
    for_each = block.body.attr("for_each") if count is None else None
    meta = count if count is not None else for_each
    if meta is None:
        return None
    where = meta.location.with_id(address)
    value = inst.eval_attr(meta)
    if count is not None:
        number = _count_of(value)
        if number is None:
            reason = value.reason if isinstance(value, Unknown) else f"{value} is only known after apply" \
                if isinstance(value, str) and "${" in value else f"not a whole number: {value!r}"
            _one_node(inst, where, f"{address} uses count = a value not known statically ({reason})", module)
            return None
        keys: dict[Key, Any] = {}
    else:
        items = _for_each_of(value)
        if isinstance(items, str):
            _one_node(inst, where, f"{address} uses for_each over a value not known statically ({items})", module)
            return None
        bad = next((k for k in items if not _SAFE_KEY.fullmatch(str(k))), None)
        if bad is not None:
            _one_node(inst, where, f"{address} uses for_each with a key ({str(bad)[:40]!r}) that faasguard does "
                      "not write into instance addresses", module)
            return None
        keys = items
        number = len(items)
    loader = inst.loader
    reserved = loader.reserved_steps + number * STEPS_PER_ATTRIBUTE * (
        len(block.body.attributes) + len(block.body.blocks) + 1)
    if number > MAX_INSTANCES or reserved > loader.budget.left(Work.STEPS) or (
            module and number >= loader.budget.left(Work.MODULES)):
        limit = f"the {MAX_INSTANCES:,} faasguard expands per block" if number > MAX_INSTANCES else \
            "what is left of the root module's work budget"
        loader.diag(DiagnosticKind.UNRESOLVED, f"{address} asks for {number:,} instances, more than {limit}: "
                    f"modelled as one {'instance' if module else 'node'} whose per-instance values are unknown",
                    where, DiagnosticLevel.WARNING)
        return None
    loader.reserved_steps = reserved  # not charged: evaluating the instances charges what they really take
    instances: dict[Key, Mapping[str, Any]] = (
        {index: {"count": {"index": index}} for index in range(number)} if count is not None else
        {key: {"each": {"key": key, "value": item}} for key, item in keys.items()})
    return Expansion(address, count is not None, instances, symbolic)


def _one_node(inst: _Instance, where: Location, why: str, module: bool) -> None:
    inst.loader.diag(DiagnosticKind.INFO, f"{why}: modelled as one {'instance' if module else 'node'}; values "
                     "that depend on the instance are unknown", where)


