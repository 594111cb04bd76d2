"""HCL (Terraform) → located values, on top of tree-sitter-hcl.

Why hand-written on top of tree-sitter: Terraform's own parser and evaluator are Go. tree-sitter-hcl gives us a
fast concrete syntax tree with exact positions and error recovery (a file with a syntax error still yields
everything around the error), but no values. python-hcl2 gives values, but it is ~25x slower on the corpus,
fails on files Terraform accepts (heredoc terminators with trailing spaces), and drops every position, which we
need for findings. Neither does what a scanner needs from an evaluator: *partial* evaluation, where a reference
that cannot be known statically (a variable without a value, a resource attribute known only after apply)
becomes an `Unknown(reason)` or a symbolic `${...}` string instead of an error. So this module does two small
things by hand:

* the structural layer (`Body` / `Block` / `Attribute`), from HCL native syntax or from Terraform's JSON
  syntax (`.tf.json`), with the line of every attribute and block. Native expressions are copied out of the
  tree-sitter tree as it is read, in one `TreeCursor` walk per file (`SyntaxNode` views over flat records;
  plain literals and references as `_Constant` / `_Reference`), so no parse tree outlives its file. The parse
  itself (tree-sitter-hcl, ~2 MB/s here: tree-sitter's per-node work on ~0.35 nodes a byte, not the binding
  version nor the external scanner) holds the GIL, so threads cannot share it: `bench/bench_terraform.py`
  measures both;
* an `Evaluator` for HCL expressions (literals, templates with escapes and heredocs, collections,
  operators, conditionals, `for` expressions, splats, a set of pure built-in functions), where the caller
  supplies how a reference (`var.x`, `aws_s3_bucket.b.arn`) resolves. Objects and tuples evaluate to
  `LocatedDict` / `LocatedList` (the YAML loader's located containers), so a policy built with
  `jsonencode({...})` keeps the line of every statement and key.

What a reader would otherwise get wrong:

* A template whose text is partly known keeps the unknown parts as their source text (`"arn:aws:s3:::${var.b}/*"`
  stays that string, so rules can still tell a scoped resource from a wildcard); a template made only of unknown
  parts is `Unknown`. A single interpolation (`"${x}"`) is the value itself, as in Terraform.
* `EvalError` (a subclass of `Unknown`) marks an expression that is *wrong* (missing key, bad type) rather than
  unknowable; `try()` and `can()` distinguish the two, everything else treats both as unknown.
* Evaluation never raises: a step budget, a depth guard and a catch-all at the entry points turn pathological
  input into `Unknown`.

Size: one evaluator for the whole HCL expression language (values, operators, templates, `for`, splats and
Terraform's function table) kept in one module, because every construct calls back into the same `evaluate`;
the copy of the syntax it walks sits beside it because the two must agree node for node.
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from faasguard._record import record
from faasguard.loaders._budget import Budget, BudgetExceededError, Work
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.model import Location, Unknown

__all__ = [
    "Attribute", "Block", "Body", "EvalError", "Evaluator", "HclFile", "JsonExpr", "parse_hcl",
    "parse_tf_json", "to_plain",
]

MAX_STEPS = 200_000
"""Expression nodes visited per top-level evaluation before giving up (huge `range()`, nested `for`)."""
MAX_COLLECTION = 10_000
MAX_STRING = 1_000_000


@record
class EvalError(Unknown):
    """An expression that cannot be evaluated because it is wrong (missing key, type mismatch), not merely
    unknown before apply. `try()` skips these; other consumers treat them as `Unknown`."""


class FileText(str):
    """Text `file()` or `templatefile()` read from a project file, remembering which one (`display`), so a document
    parsed from it (ECS container definitions) is located in that file rather than at the calling attribute.
    Compares, hashes and slices as the plain string it is."""

    display: str

    def __new__(cls, text: str, display: str) -> FileText:
        made = super().__new__(cls, text)
        made.display = display
        return made


# ------------------------------------------------------------------------------------------ structure

@record
class JsonExpr:
    """An expression in Terraform's JSON syntax: a JSON value whose strings are HCL templates."""

    value: Any
    location: Location


class _Source:
    """One attribute's expression, copied out of the tree-sitter tree: its source bytes, where it starts (0-based
    row and byte column, as tree-sitter counts) and its nodes as flat records in an array of 32-bit ints.

    Why a copy: a tree-sitter tree costs ~64 bytes per source byte and any live `Node` keeps its whole tree
    alive, so holding nodes in attributes kept every file's tree for the whole load (10,000 functions:
    2.4 GB). Why flat records rather than an object per node: ~130 bytes per node as Python objects was still
    most of a large module's memory; a record is 20 bytes, and the evaluator's `SyntaxNode` views over it are
    made as it walks and freed after. Byte offsets are relative to the expression (only differences and slices
    within one expression are ever taken); positions are worked out from them only when asked."""

    __slots__ = ("column", "data", "newlines", "nodes", "row")

    def __init__(self, data: bytes, row: int, column: int, nodes: array[int]) -> None:
        self.data = data
        self.row = row
        self.column = column
        self.nodes = nodes
        """Per node, `_FIELDS` ints: kind id, start byte, end byte, index just past its subtree (its next
        sibling's), child count. Records are in preorder, so a node's first child is the record after it: one
        cursor walk over the tree writes them in order. Unsigned 16-bit items when every value fits, else
        32-bit."""
        self.newlines: Sequence[int] | None = None

    def point(self, offset: int) -> tuple[int, int]:
        """tree-sitter's (row, column) of a byte offset into `data`."""
        if self.newlines is None:
            data = self.data
            found: list[int] = []
            at = data.find(b"\n")
            while at >= 0:
                found.append(at)
                at = data.find(b"\n", at + 1)
            self.newlines = found or ()  # one-line expressions (most) keep no list of their own
        line = bisect_left(self.newlines, offset)
        if line == 0:
            return self.row, self.column + offset
        return self.row + line, offset - self.newlines[line - 1] - 1


_FIELDS = 5


class SyntaxNode(tuple):  # type: ignore[type-arg]
    """A view of one node record of a `_Source`, offering the part of tree-sitter's `Node` interface the
    evaluator reads (`type`, `children`, `is_named`, `text`, `start_point`, byte offsets). A tuple (source,
    index, type) because the evaluator makes one for every node it visits: built in C, type read through
    `itemgetter`."""

    __slots__ = ()

    is_named = True

    if TYPE_CHECKING:
        src: _Source
        type: str
    else:
        src = property(itemgetter(0))
        type = property(itemgetter(2))

    @property
    def start_byte(self) -> int:
        return self[0].nodes[self[1] * _FIELDS + 1]  # type: ignore[no-any-return]

    @property
    def end_byte(self) -> int:
        return self[0].nodes[self[1] * _FIELDS + 2]  # type: ignore[no-any-return]

    @property
    def start_point(self) -> tuple[int, int]:
        src = self[0]
        return src.point(src.nodes[self[1] * _FIELDS + 1])  # type: ignore[no-any-return]

    @property
    def text(self) -> bytes:
        src, at = self[0], self[1] * _FIELDS
        nodes = src.nodes
        return src.data[nodes[at + 1]:nodes[at + 2]]  # type: ignore[no-any-return]

    @property
    def children(self) -> tuple[SyntaxNode, ...]:
        # Hot path (the evaluator asks for every node it visits): most nodes (wrappers, literals) have one child,
        # which is the next record, made without a loop.
        src, index = self[0], self[1]
        nodes = src.nodes
        count = nodes[index * _FIELDS + 4]
        index += 1
        if count == 1:
            kind, _, view = _KINDS[nodes[index * _FIELDS]]
            return (tuple.__new__(view, (src, index, kind)),)
        kinds, make = _KINDS, tuple.__new__
        out: list[SyntaxNode] = []
        for _ in range(count):
            kind, _, view = kinds[nodes[index * _FIELDS]]
            out.append(make(view, (src, index, kind)))
            index = nodes[index * _FIELDS + 3]
        return tuple(out)


class _TokenView(SyntaxNode):
    """An anonymous token (operator, bracket, `.`)."""

    __slots__ = ()

    is_named = False


_KINDS: dict[int, tuple[str, int, type[SyntaxNode]]] = {}
"""tree-sitter kind id → (interned type name, what `_freeze` does with such a node, its view class)."""
_TOKEN, _DROP, _LEAF, _INNER = range(4)

_LEAVES = frozenset({
    "identifier", "string_lit", "numeric_lit", "bool_lit", "null_lit", "heredoc_identifier", "heredoc_start",
    "legacy_index", "quoted_template_start", "quoted_template_end", "variable_expr", "comment",
})
"""Named nodes the evaluator reads only as text or position: their children are not copied."""
_DROPPED = frozenset({
    "template_literal", "tuple_start", "tuple_end", "object_start", "object_end", "template_interpolation_start",
    "template_interpolation_end",
})
"""Named nodes the evaluator never looks at (it takes template text from byte ranges and picks children by
type): not copied at all."""
_WITH_TOKENS = frozenset({"expression", "binary_operation", "unary_operation"})
"""The only nodes whose anonymous tokens the evaluator reads (operators, a parenthesis): elsewhere only the
named children are copied."""


def _learn_kind(node: Any) -> tuple[str, int, type[SyntaxNode]]:
    kind = sys.intern(node.type)
    learnt: tuple[str, int, type[SyntaxNode]]
    if not node.is_named:
        learnt = (kind, _TOKEN, _TokenView)
    else:
        learnt = (kind, _DROP if kind in _DROPPED else _LEAF if kind in _LEAVES else _INNER, SyntaxNode)
    _KINDS[node.kind_id] = learnt
    return learnt


def _freeze(root: Any, source: bytes, cursor: Any = None) -> SyntaxNode:
    """Copy an expression's subtree out of the tree-sitter tree into a `_Source`'s flat records and return the
    view of its root. `source` is what the tree was parsed from (slicing it is several times cheaper than
    tree-sitter's `Node.text`); `cursor`, when given, stands on `root` and is left there.

    One `TreeCursor` walk in preorder with an explicit stack (nesting depth is the input's choice): a cursor
    step makes no list of children, and a subtree nobody reads (`_DROPPED`, below a `_LEAVES` node, anonymous
    tokens outside `_WITH_TOKENS`) is stepped over without making a `Node` for anything inside it."""
    base = root.start_byte
    point = root.start_point
    kinds = _KINDS
    kind_id = root.kind_id
    root_kind = (kinds.get(kind_id) or _learn_kind(root))[0]
    records = [kind_id, 0, root.end_byte - base, 1, 0]
    walker = cursor if cursor is not None else root.walk()
    if walker.goto_first_child():
        _copy_children(walker, records, base, root_kind in _WITH_TOKENS)
    # 16-bit records whenever the expression allows (nearly always: offsets are relative to it), half the size
    src = _Source(source[base:root.end_byte], point[0], point[1], array("H" if max(records) <= 0xFFFF else "I",
                                                                        records))
    return tuple.__new__(SyntaxNode, (src, 0, root_kind))


def _copy_children(cursor: Any, records: list[int], base: int, keep_tokens: bool) -> None:
    """`_freeze`'s walk: `cursor` stands on the first child of record 0's node and ends back on that node."""
    kinds, with_tokens = _KINDS, _WITH_TOKENS
    parent, keep = 0, keep_tokens
    ancestors: list[tuple[int, bool]] = []
    while True:
        node = cursor.node
        child_id = node.kind_id
        kind, action, _ = kinds.get(child_id) or _learn_kind(node)
        if action == _TOKEN:
            if keep:
                records[parent * _FIELDS + 4] += 1
                records += (child_id, 0, 0, len(records) // _FIELDS + 1, 0)
        elif action != _DROP:
            at = len(records) // _FIELDS
            records[parent * _FIELDS + 4] += 1
            records += (child_id, node.start_byte - base, node.end_byte - base, at + 1, 0)
            if action == _INNER and cursor.goto_first_child():
                ancestors.append((parent, keep))
                parent, keep = at, kind in with_tokens
                continue
        while not cursor.goto_next_sibling():
            cursor.goto_parent()
            records[parent * _FIELDS + 3] = len(records) // _FIELDS
            if not ancestors:
                return
            parent, keep = ancestors.pop()


class _Constant:
    """An attribute whose expression is a single literal (`"app.handler"`, `30`, `true`), with its value taken
    at parse time: a third of a typical configuration's attributes, evaluated without copying or walking
    nodes. `text` and `start_point` are the expression's, as a `SyntaxNode`'s."""

    __slots__ = ("column", "line", "text", "value")

    STEPS = 3
    """What the evaluator counts walking `expression → literal_value → literal`."""

    def __init__(self, text: bytes, value: Any, line: int, column: int) -> None:
        self.text = text
        self.value = value
        self.line = line
        """1-based, as the attribute's `Location` holds it (the same int object: a large module has tens of
        thousands of lines above the ints Python shares)."""
        self.column = column

    @property
    def start_point(self) -> tuple[int, int]:
        return self.line - 1, self.column


class _Reference:
    """An attribute whose expression is a plain reference (`aws_sqs_queue.q.arn`, `var.stage`): its root name
    and attribute steps taken at parse time, resolved at evaluation exactly as the evaluator resolves the same
    nodes (another third of a typical configuration's attributes). Its text is exactly the name and steps
    joined by dots, so it is rebuilt when asked rather than kept."""

    __slots__ = ("column", "line", "name", "steps")

    STEPS = 2
    """What the evaluator counts before resolving `expression → variable_expr get_attr...`."""

    def __init__(self, name: str, steps: tuple[tuple[str, str], ...], line: int, column: int) -> None:
        self.name = name
        self.steps = steps
        self.line = line
        """1-based, shared with the attribute's `Location` (see `_Constant.line`)."""
        self.column = column

    @property
    def source(self) -> str:
        return ".".join([self.name, *(attr for _, attr in self.steps)])

    @property
    def text(self) -> bytes:
        return self.source.encode("ascii")

    @property
    def start_point(self) -> tuple[int, int]:
        return self.line - 1, self.column


_LITERALS = frozenset({"string_lit", "numeric_lit", "bool_lit", "null_lit"})
_PLAIN_STRING = re.compile(rb'"[^"\\$%\n]*"')
"""A quoted string with nothing to unescape or interpolate."""
_PLAIN_INTEGER = re.compile(rb"[0-9]{1,15}")
"""Digits that `float` holds exactly (the evaluator reads numbers through `float`)."""
_PLAIN_REFERENCE = re.compile(rb"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*")
_KEYWORDS = {b"true": True, b"false": False, b"null": None}


@lru_cache(maxsize=8192)
def _plain_literal(text: bytes) -> tuple[bytes, Any]:
    """A plain literal's text and value, shared by every attribute spelling it the same way (`"2012-10-17"`,
    `"Allow"`, `"python3.12"` repeat across a configuration)."""
    if text[:1] == b'"':
        return text, text[1:-1].decode("utf-8", "replace")
    if text in _KEYWORDS:
        return text, _KEYWORDS[text]
    return text, int(text)


@lru_cache(maxsize=8192)
def _attr_step(name: str) -> tuple[str, str]:
    """One shared `("attr", name)` step per attribute name (`arn`, `name`, `id` repeat in every reference)."""
    return "attr", sys.intern(name)


def _simple(expr: Any, cursor: Any, source: bytes, line: int, column: int) -> _Constant | _Reference | None:
    """The `_Constant` or `_Reference` an expression node amounts to, or None when it needs the evaluator.
    `cursor` stands on `expr` and is left there.

    Decided from the expression's text (cheaper than walking its nodes), checked against the shape of the tree
    (a `literal_value`; a `variable_expr` followed by one `get_attr` per dot), and built to equal what the
    evaluator makes of the same nodes (`Evaluator._literal`, `Evaluator._term`)."""
    count = expr.child_count
    if not count or not cursor.goto_first_child():
        return None
    first = cursor.node
    cursor.goto_parent()
    kind = (_KINDS.get(first.kind_id) or _learn_kind(first))[0]
    text = source[expr.start_byte:expr.end_byte]
    if kind == "literal_value":
        if count != 1 or not (_PLAIN_STRING.fullmatch(text) or _PLAIN_INTEGER.fullmatch(text)
                                      or text in _KEYWORDS):
            return None
        shared, value = _plain_literal(text)
        return _Constant(shared, value, line, column)
    if kind != "variable_expr" or not _PLAIN_REFERENCE.fullmatch(text) or count != text.count(b".") + 1:
        return None
    name, *attrs = text.decode("ascii").split(".")
    return _Reference(sys.intern(name), tuple(_attr_step(attr) for attr in attrs), line, column)


_NOT_SIMPLE = object()


def _literal_value(kind: str, text: str) -> Any:
    """A literal's value, or `_NOT_SIMPLE` where the evaluator would report an error at a location."""
    if kind == "string_lit":
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        return _unescape(text)
    if kind == "numeric_lit":
        try:
            number = float(text)
        except ValueError:
            return _NOT_SIMPLE
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "bool_lit":
        return text == "true"
    return None


NO_BINDINGS: Mapping[str, Any] = MappingProxyType({})
"""The iterator values of a block outside any `dynamic` block: none, shared."""

Expr = Any
"""A `SyntaxNode` (native syntax) or a `JsonExpr`."""


@dataclass(slots=True, eq=False)
class Attribute:
    """Compared and hashed by identity: evaluated values are memoised per attribute object (a module's
    attribute is one object however many instances read it)."""

    name: str
    expr: Expr
    location: Location


@dataclass(slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    location: Location
    bindings: Mapping[str, Any] = field(default_factory=lambda: NO_BINDINGS)
    """Iterator values visible inside the block (the content of a `dynamic` block). Read-only; blocks without
    any (nearly all) share one empty mapping rather than a dict each."""


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: Sequence[Block] = ()
    """A list when the body has blocks; most bodies (a resource's leaf blocks) have none and share `()`."""
    location: Location = field(default_factory=lambda: Location(""))
    json: bool = False
    """True for `.tf.json` bodies, where a nested block is written as an attribute holding an object."""

    def attr(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def blocks_of(self, block_type: str) -> list[Block]:
        """The static blocks of one type. In JSON syntax an attribute holding an object (or a list of objects)
        is read as block(s) of that type."""
        found = [b for b in self.blocks if b.type == block_type]
        if self.json and not found and block_type in self.attributes:
            attr = self.attributes[block_type]
            value = attr.expr.value if isinstance(attr.expr, JsonExpr) else None
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if isinstance(item, LocatedDict):
                    loc = (value.item_loc(index) if isinstance(value, LocatedList) else attr.location)
                    found.append(Block(block_type, (), _json_body(item, loc), loc))
        return found


@dataclass(slots=True)
class HclFile:
    path: str
    """Display path."""
    body: Body
    errors: list[Location] = field(default_factory=list)
    """Where tree-sitter found syntax errors (ERROR / MISSING nodes); the rest of the file is still read."""
    size: int = 0
    """Characters of source read (set by the loader): a root module's evaluation budget grows with it."""


# --------------------------------------------------------------------------------------- native syntax

@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


def _loc(path: str, node: Any, logical_id: str | None = None) -> Location:
    return Location(path, node.start_point[0] + 1, node.start_point[1] + 1, node.end_point[0] + 1, logical_id)


def _string_lit(node: Any, kind: str, source: bytes) -> str:
    """The value of a block label (a `string_lit`) or identifier (`kind`, the node's type)."""
    raw = source[node.start_byte:node.end_byte].decode("utf-8", "replace")
    if kind == "identifier":
        return sys.intern(raw)
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        raw = raw[1:-1]
    return sys.intern(_unescape(raw))


def parse_hcl(source: bytes, path: str) -> HclFile:
    """Parse HCL native syntax. Never raises on bad input: syntax errors are listed in `HclFile.errors`."""
    tree = _parser().parse(source)
    root = tree.root_node
    errors: list[Location] = []
    if root.has_error:
        return _parse_in_chunks(source, path)
    body_node = next((c for c in root.children if c.type == "body"), None)
    body = _body(body_node, path, source) if body_node is not None else Body(location=Location(path))
    return HclFile(path, body, errors)


_TOP_LEVEL = re.compile(rb"^(?:resource|data|module|variable|output|locals|provider|terraform|moved|import|check)\b",
                        re.MULTILINE)


def _parse_in_chunks(source: bytes, path: str) -> HclFile:
    """Error recovery: tree-sitter may let one syntax error swallow the rest of the file, so a file with errors
    is re-parsed one top-level block at a time (a block starts at a line beginning with a top-level keyword).
    Each chunk is padded with newlines so that positions stay those of the whole file."""
    starts = [m.start() for m in _TOP_LEVEL.finditer(source)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    body = Body(location=Location(path))
    blocks: list[Block] = []
    errors: list[Location] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(source)
        padding = b"\n" * source.count(b"\n", 0, start)
        chunk_source = padding + source[start:end]
        tree = _parser().parse(chunk_source)
        root = tree.root_node
        if root.has_error:
            found: list[Location] = []
            _collect_errors(root, path, found)
            real = [e for e in found if not e.logical_id] or found[:1]  # MISSING tokens only when no ERROR
            errors.extend(Location(e.path, e.line, e.column, e.end_line) for e in real)
        body_node = next((c for c in root.children if c.type == "body"), None)
        if body_node is None:
            continue
        chunk = _body(body_node, path, chunk_source)
        body.attributes.update(chunk.attributes)
        blocks.extend(chunk.blocks)
    body.blocks = blocks
    return HclFile(path, body, errors)


def _collect_errors(node: Any, path: str, out: list[Location], limit: int = 20) -> None:
    stack = [node]
    while stack and len(out) < limit:
        current = stack.pop()
        if current.type == "ERROR":
            out.append(_loc(path, current))
            continue
        if current.is_missing:
            out.append(_loc(path, current, "missing"))
            continue
        if current.has_error:
            stack.extend(reversed(current.children))


def _span(path: str, start: tuple[int, int], end: tuple[int, int]) -> Location:
    """The location of a node; a one-line node shares one int for its first and last line (a large module
    has tens of thousands of them, above the small ints Python shares anyway)."""
    line = start[0] + 1
    return Location(path, line, start[1] + 1, line if end[0] == start[0] else end[0] + 1)


def _body(node: Any, path: str, source: bytes, location: Location | None = None, cursor: Any = None) -> Body:
    """A `body` node's attributes and blocks. `cursor`, when given, stands on `node` and is left there.

    Hot path (every attribute and block of every file): one `TreeCursor` walk over the file (a cursor step makes
    no list of children, and the tokens between them are stepped over), kinds compared by interned name from
    the kind id (tree-sitter's `Node.type` builds a string each time), positions read once, text sliced from
    `source` (tree-sitter's `Node.text` costs several times more). A block's body is located at its block (as
    in JSON syntax): nothing reads a body's own span, and a large module has tens of thousands of blocks."""
    body = Body(location=location or _span(path, node.start_point, node.end_point))
    walker = cursor if cursor is not None else node.walk()
    if not walker.goto_first_child():
        return body
    kinds = _KINDS
    attributes = body.attributes
    blocks: list[Block] = []
    while True:
        child = walker.node
        kind = (kinds.get(child.kind_id) or _learn_kind(child))[0]
        if kind == "attribute":
            _attribute(child, walker, path, source, attributes)
        elif kind == "block" and walker.goto_first_child():
            # the block's body is read by this function itself: one Python frame per level of nesting
            block_type, labels, inner = _block_head(walker, source)
            loc = _span(path, child.start_point, child.end_point)
            body_of = _body(inner, path, source, loc, walker) if inner is not None else Body(location=loc)
            walker.goto_parent()
            blocks.append(Block(block_type, labels, body_of, loc))
        if not walker.goto_next_sibling():
            break
    walker.goto_parent()
    if blocks:
        body.blocks = blocks
    return body


def _attribute(node: Any, cursor: Any, path: str, source: bytes, into: dict[str, Attribute]) -> None:
    """Add the attribute `node` (where `cursor` stands, and is left) to `into`, its expression copied out."""
    if not cursor.goto_first_child():
        return
    kinds = _KINDS
    ident = expr = cursor.node
    while (kinds.get(expr.kind_id) or _learn_kind(expr))[0] != "expression":
        if not cursor.goto_next_sibling():
            cursor.goto_parent()
            return
        expr = cursor.node
    name = sys.intern(source[ident.start_byte:ident.end_byte].decode("utf-8", "replace"))
    start, end = node.start_point, node.end_point
    point = expr.start_point
    loc = _span(path, start, end)
    frozen = _simple(expr, cursor, source, loc.line, point[1]) if point[0] == start[0] else None
    into[name] = Attribute(name, frozen or _freeze(expr, source, cursor), loc)
    cursor.goto_parent()


def _block_head(cursor: Any, source: bytes) -> tuple[str, tuple[str, ...], Any]:
    """A block's type, labels and `body` node (None for a block without one), read from its children: `cursor`
    stands on the first child and is left on the body, or on the last child when there is none."""
    kinds = _KINDS
    ident = cursor.node
    block_type = sys.intern(source[ident.start_byte:ident.end_byte].decode("utf-8", "replace"))
    labels: list[str] = []
    while cursor.goto_next_sibling():
        candidate = cursor.node
        kind = (kinds.get(candidate.kind_id) or _learn_kind(candidate))[0]
        if kind in ("string_lit", "identifier"):
            labels.append(_string_lit(candidate, kind, source))
        elif kind == "body":
            return block_type, tuple(labels), candidate
    return block_type, tuple(labels), None


# ----------------------------------------------------------------------------------------- JSON syntax

_TOP_LEVEL_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
                     "locals": 0, "terraform": 0, "moved": 0, "import": 0, "check": 1, "removed": 0}


def parse_tf_json(document: Any, path: str) -> HclFile:
    """Terraform's JSON syntax (`.tf.json`), already parsed with positions, to the same structure."""
    blocks: list[Block] = []
    hcl = HclFile(path, Body(blocks=blocks, location=Location(path), json=True))
    if not isinstance(document, LocatedDict):
        hcl.errors.append(Location(path))
        return hcl
    for block_type, content in document.items():
        depth = _TOP_LEVEL_LABELS.get(block_type)
        loc = document.key_loc(block_type)
        if depth is None:
            continue
        for labels, item, item_loc in _json_blocks(content, depth, (), loc):
            if isinstance(item, LocatedDict):
                blocks.append(Block(block_type, labels, _json_body(item, item_loc), item_loc))
    return hcl


def _json_blocks(value: Any, depth: int, labels: tuple[str, ...],
                 loc: Location) -> Iterator[tuple[tuple[str, ...], Any, Location]]:
    if isinstance(value, LocatedList):
        for index, item in enumerate(value):
            yield from _json_blocks(item, depth, labels, value.item_loc(index))
        return
    if depth == 0:
        yield labels, value, loc
        return
    if isinstance(value, LocatedDict):
        for key, item in value.items():
            yield from _json_blocks(item, depth - 1, (*labels, key), value.key_loc(key))


def _json_body(value: LocatedDict, loc: Location) -> Body:
    body = Body(location=loc, json=True)
    for key, item in value.items():
        key_loc = value.key_loc(key)
        if key == "//":
            continue
        body.attributes[key] = Attribute(key, JsonExpr(item, key_loc), key_loc)
    return body


# ------------------------------------------------------------------------------------------ evaluation

Resolver = Callable[[str, list[tuple[str, Any]], Location, str], Any]
"""(root name, steps, location, source text) → value. Steps are ("attr", name), ("index", key), ("splat", None)."""

HclFunction = Callable[[list[Any], Location], Any]


class _BudgetError(Exception):
    pass


_INTERP = re.compile(r"\$\{|%\{")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(raw: str, quoted: bool = True) -> str:
    """Template literal text: `$${` → `${`, `%%{` → `%{`, and backslash escapes in quoted strings."""
    text = raw.replace("$${", "${").replace("%%{", "%{")
    if not quoted or "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "uU":
            width = 4 if nxt == "u" else 8
            digits = text[i + 2:i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
                i += 2 + width
            except (ValueError, OverflowError):
                out.append(ch)
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _first_unknown(values: Iterable[Any]) -> Unknown | None:
    return next((v for v in values if isinstance(v, Unknown)), None)


def to_plain(value: Any) -> Any:
    """Render a value for places that want text (an environment variable holding a map, a template part)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value


class Evaluator:
    """Evaluates HCL expressions against a caller-supplied resolver of references.

    One evaluator per module instance (its resolver knows that module's variables, locals and resources).
    `functions` adds or overrides built-ins (the loader supplies `file()` and `templatefile()`, which must not
    read outside the scanned project).
    """

    def __init__(self, resolve: Resolver, functions: Mapping[str, HclFunction] | None = None,
                 budget: Budget | None = None) -> None:
        self._resolve = resolve
        # The per-expression caps bound one expression; the budget bounds their sum over a module tree, where
        # locals feeding locals (`l2 = concat(l1, l1)`) double what each expression builds.
        self._budget = budget
        self._functions: dict[str, HclFunction] = dict(_BUILTINS)
        if functions:
            self._functions.update(functions)
        self._steps = 0

    # ------------------------------------------------------------------------------ entry points

    def eval(self, expr: Expr, location: Location, bindings: Mapping[str, Any] | None = None) -> Any:
        """Evaluate one expression; never raises. `location` is where the expression's attribute is."""
        outer = self._steps
        self._steps = 0
        try:
            return self._eval(expr, location, dict(bindings or {}))
        except _BudgetError:
            return Unknown("expression too complex to evaluate statically", location)
        except RecursionError:
            return Unknown("expression nested too deeply to evaluate", location)
        except BudgetExceededError:
            raise
        except Exception as exc:  # the scanner must survive any input: say why, never crash
            return EvalError(f"cannot evaluate expression ({type(exc).__name__})", location)
        finally:
            # evaluations nest (a reference evaluates a local): charge this one's steps, restore the caller's
            if self._budget is not None:
                self._budget.charge(Work.STEPS, self._steps, location)
            self._steps = outer

    def call(self, name: str, args: list[Any], location: Location) -> Any:
        func = self._functions.get(name)
        if func is None:
            return Unknown(f"function {name}() is not evaluated statically", location)
        try:
            result = func(args, location)
        except (_BudgetError, RecursionError, BudgetExceededError):
            raise
        except Exception as exc:  # a bad argument is the input's problem, not ours
            return EvalError(f"{name}() failed on its arguments ({type(exc).__name__})", location)
        self._charge(result, location)
        return result

    def _charge(self, value: Any, location: Location) -> None:
        """A value this evaluator built: refused above the per-expression caps, charged to the budget."""
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise _BudgetError
            if self._budget is not None:
                self._budget.charge(Work.TEXT, len(value), location)
        elif isinstance(value, (list, dict)):
            if len(value) > MAX_COLLECTION:
                raise _BudgetError
            if self._budget is not None:
                self._budget.charge(Work.ITEMS, len(value), location)

    # ------------------------------------------------------------------------------ dispatch

    def _tick(self) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise _BudgetError

    def _eval(self, expr: Expr, location: Location, bindings: dict[str, Any]) -> Any:
        self._tick()
        kind = type(expr)
        if kind is _Constant:
            self._steps += _Constant.STEPS - 1
            return expr.value
        if kind is _Reference:
            self._steps += _Reference.STEPS - 1
            steps = list(expr.steps)
            if expr.name in bindings:
                return apply_steps(bindings[expr.name], steps, location)
            return self._resolve(expr.name, steps, location, expr.source)
        if isinstance(expr, JsonExpr):
            return self._eval_json(expr.value, expr.location, bindings)
        return self._node(expr, location, bindings)

    def _here(self, node: Any, location: Location) -> Location:
        """The node's own position (the attribute's when on the same line, to spare an allocation)."""
        row = node.start_point[0] + 1
        if location.path and row > location.line:
            return Location(location.path, row, node.start_point[1] + 1, logical_id=location.logical_id)
        return location

    @staticmethod
    def _here_pos(node: Any, location: Location) -> tuple[int, int]:
        """`_here`'s (line, column) without allocating a Location (positions of collection items)."""
        point = node.start_point
        row = point[0] + 1
        if location.path and row > location.line:
            return row, point[1] + 1
        return location.line, location.column

    def _node(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise _BudgetError
        # Hot path: wrapper nodes with one meaningful child (and single-child expressions) are unwrapped in
        # this loop instead of through a call each; every node passed still counts one step, as a recursive
        # call would.
        while True:
            kind = node.type
            while kind in _PASS_THROUGH:
                node = node.children[0]  # (an IndexError on a malformed tree is caught by `eval`, as before)
                self._steps += 1
                if self._steps > MAX_STEPS:
                    raise _BudgetError
                kind = node.type
            if kind == "literal_value":
                children = node.children
                return self._literal(children[0], location) if children else None
            if isinstance(node, _StripNewline):
                value = self._heredoc(node.node, location, bindings)
                return value[:-1] if isinstance(value, str) and value.endswith("\n") else value
            if kind != "expression":
                break
            children = node.children
            if not children:
                return EvalError("empty expression", location)
            first = children[0].type
            if first == "(":
                inner = next((c for c in children if c.type == "expression"), None)
                value = self._node(inner, location, bindings) if inner is not None else EvalError(
                    "empty parentheses", location)
                rest = children[children.index(inner) + 2:] if inner is not None else []
                return self._postfix(value, rest, location, bindings)
            if len(children) == 1 and first != "variable_expr":
                node = children[0]
                self._steps += 1
                if self._steps > MAX_STEPS:
                    raise _BudgetError
                continue
            return self._term(children, location, bindings, node)
        handler = _DISPATCH.get(kind)
        if handler is not None:
            return handler(self, node, location, bindings)
        return Unknown(f"unsupported expression ({kind})", self._here(node, location))

    # ------------------------------------------------------------------------------ literals

    def _literal(self, node: Any, location: Location) -> Any:
        kind = node.type
        if kind not in _LITERALS:
            return EvalError(f"unsupported literal ({kind})", location)
        text = node.text.decode("utf-8", "replace")
        value = _literal_value(kind, text)
        return EvalError(f"bad number {text!r}", location) if value is _NOT_SIMPLE else value

    def _tuple(self, node: Any, location: Location, bindings: dict[str, Any]) -> LocatedList:
        here = self._here(node, location)
        result = LocatedList(here.path, here.line, here.column)
        for child in node.children:
            if child.type == "expression":
                result.append(self._node(child, location, bindings))
                result.item_locs.append(self._here_pos(child, location))
                if len(result) > MAX_COLLECTION:
                    raise _BudgetError
        self._charge(result, location)
        return result

    def _object(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        here = self._here(node, location)
        result = LocatedDict(here.path, here.line, here.column)
        for elem in node.children:
            if elem.type != "object_elem":
                continue
            exprs = [c for c in elem.children if c.type == "expression"]
            if len(exprs) != 2:
                continue
            key = self._object_key(exprs[0], location, bindings)
            if not isinstance(key, str):
                return Unknown("object key is not known statically", self._here(elem, location))
            result[key] = self._node(exprs[1], location, bindings)
            result.key_locs[key] = self._here_pos(elem, location)
        return result

    def _object_key(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        children = node.children
        if len(children) == 1 and children[0].type == "variable_expr":
            return children[0].text.decode("utf-8", "replace")  # a bare key is a name, not a reference
        value = self._node(node, location, bindings)
        value = to_plain(value)
        return value if isinstance(value, str) else Unknown("object key")

    # ------------------------------------------------------------------------------ templates

    def _template(self, node: Any, location: Location, bindings: dict[str, Any], quoted: bool, *,
                  start: int | None = None, end: int | None = None) -> Any:
        """A template's parts from the source bytes between its delimiters (tree-sitter's literal nodes omit
        some whitespace, so literal text is taken from the byte ranges between interpolations)."""
        every = node.children
        children = [c for c in every if c.type in ("template_interpolation", "template_directive")]
        source = node.text
        base = node.start_byte
        if start is None:
            first = every[0] if every else None
            start = (first.end_byte if first is not None and first.type == "quoted_template_start"
                     else node.start_byte)
        if end is None:
            last = every[-1] if every else None
            end = last.start_byte if last is not None and last.type == "quoted_template_end" else node.end_byte
        parts: list[tuple[str, Any]] = []  # ("lit", text) | ("val", value, source text)
        cursor = start
        for child in children:
            if child.start_byte < start or child.end_byte > end:
                continue
            if child.start_byte > cursor:
                parts.append(("lit", _unescape(source[cursor - base:child.start_byte - base].decode(
                    "utf-8", "replace"), quoted)))
            parts.append(("val", (self._template_part(child, location, bindings, quoted),
                                  child.text.decode("utf-8", "replace"))))
            cursor = child.end_byte
        if end > cursor:
            parts.append(("lit", _unescape(source[cursor - base:end - base].decode("utf-8", "replace"), quoted)))
        return self._join_parts(parts, self._here(node, location))

    def _join_parts(self, parts: list[tuple[str, Any]], location: Location) -> Any:
        values = [p[1] for p in parts if p[0] == "val"]
        literal = "".join(p[1] for p in parts if p[0] == "lit")
        if len(values) == 1 and not literal:
            value, _ = values[0]
            return value
        unknowns = [v for v, _ in values if isinstance(v, Unknown)]
        if unknowns:
            known_text = literal + "".join(str(to_plain(v)) for v, _ in values
                                           if not isinstance(v, Unknown) and isinstance(to_plain(v), str))
            if not known_text.strip():
                return Unknown(unknowns[0].reason, unknowns[0].location or location)
        out: list[str] = []
        for part in parts:
            if part[0] == "lit":
                out.append(part[1])
                continue
            value, text = part[1]
            plain = to_plain(value)
            if isinstance(value, Unknown):
                out.append(text if text.startswith("${") else "${" + text + "}")
            elif plain is None:
                return EvalError("null value in a template", location)
            elif isinstance(plain, str):
                out.append(plain)
            else:
                return EvalError("a collection cannot be interpolated into a string", location)
        if sum(map(len, out)) > MAX_STRING:
            raise _BudgetError
        joined = "".join(out)
        self._charge(joined, location)
        return joined

    def _template_part(self, node: Any, location: Location, bindings: dict[str, Any], quoted: bool) -> Any:
        if node.type == "template_interpolation":
            expr = next((c for c in node.children if c.type == "expression"), None)
            return self._node(expr, location, bindings) if expr is not None else EvalError("empty ${}", location)
        children = node.children
        directive = children[0] if children else None
        if directive is None:
            return EvalError("empty directive", location)
        if directive.type == "template_if":
            intro = next((c for c in directive.children if c.type == "template_if_intro"), None)
            cond_expr = next((c for c in intro.children if c.type == "expression"), None) if intro else None
            cond = self._node(cond_expr, location, bindings) if cond_expr is not None else None
            if not isinstance(cond, bool):
                return Unknown("template %{if} condition is not known statically", self._here(node, location))
            else_node = next((c for c in directive.children if c.type == "template_else_intro"), None)
            end_node = next((c for c in directive.children if c.type == "template_if_end"), None)
            if intro is None or end_node is None:
                return EvalError("malformed %{if}", location)
            if cond:
                stop = else_node.start_byte if else_node is not None else end_node.start_byte
                return self._template_slice(directive, location, bindings, quoted, start=intro.end_byte, end=stop)
            if else_node is None:
                return ""
            return self._template_slice(directive, location, bindings, quoted, start=else_node.end_byte,
                                        end=end_node.start_byte)
        if directive.type == "template_for":
            start = next((c for c in directive.children if c.type == "template_for_start"), None)
            end_node = next((c for c in directive.children if c.type == "template_for_end"), None)
            if start is None or end_node is None:
                return EvalError("malformed %{for}", location)
            names = [c.text.decode() for c in start.children if c.type == "identifier"]
            coll_node = next((c for c in start.children if c.type == "expression"), None)
            coll = self._node(coll_node, location, bindings) if coll_node is not None else None
            if isinstance(coll, Unknown) or not isinstance(coll, (list, dict)):
                return Unknown("template %{for} collection is not known statically", self._here(node, location))
            out: list[str] = []
            for key, value in (coll.items() if isinstance(coll, dict) else enumerate(coll)):
                inner = dict(bindings)
                if len(names) == 2:
                    inner[names[0]], inner[names[1]] = key, value
                elif names:
                    inner[names[0]] = value
                piece = self._template_slice(directive, location, inner, quoted, start=start.end_byte,
                                             end=end_node.start_byte)
                if isinstance(piece, Unknown):
                    return piece
                out.append(str(to_plain(piece)))
            return "".join(out)
        return Unknown(f"unsupported template directive ({directive.type})", location)

    def _template_slice(self, node: Any, location: Location, bindings: dict[str, Any], quoted: bool, *,
                        start: int, end: int) -> Any:
        value = self._template(node, location, bindings, quoted, start=start, end=end)
        if isinstance(value, (str, Unknown)):
            return value
        return to_plain(value)

    def _heredoc(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        children = node.children
        idents = [c for c in children if c.type == "heredoc_identifier"]
        start_tok = next((c for c in children if c.type == "heredoc_start"), None)
        if len(idents) < 2 or start_tok is None:
            return EvalError("unterminated heredoc", self._here(node, location))
        source = node.text
        base = node.start_byte
        newline = source.find(b"\n", idents[0].end_byte - base)
        content_start = base + (newline + 1 if newline >= 0 else idents[0].end_byte - base)
        # The closing marker's line may be indented (`<<-`); the content ends at that line's start.
        close_line_start = source.rfind(b"\n", 0, idents[-1].start_byte - base) + 1 + base
        content_end = max(content_start, close_line_start)
        value = self._template(node, location, bindings, False, start=content_start, end=content_end)
        if start_tok.text == b"<<-" and isinstance(value, str):
            value = _dedent(value)
        return value

    # ------------------------------------------------------------------------------ traversals

    def _steps_of(self, nodes: Sequence[Any], location: Location, bindings: dict[str, Any],
                  ) -> list[tuple[str, Any]] | None:
        steps: list[tuple[str, Any]] = []
        for node in nodes:
            kind = node.type
            if kind == "get_attr":
                children = node.children
                ident = children[-1] if children else None
                if ident is None or ident.type != "identifier":
                    return None
                steps.append(("attr", ident.text.decode("utf-8", "replace")))
            elif kind == "index":
                children = node.children
                inner = children[0] if children else None
                if inner is None:
                    return None
                if inner.type == "legacy_index":
                    text = inner.text.decode("utf-8", "replace").lstrip(".")
                    steps.append(("index", int(text) if text.isdigit() else text))
                else:
                    expr = next((c for c in inner.children if c.type == "expression"), None)
                    key = self._node(expr, location, bindings) if expr is not None else None
                    steps.append(("index", key))
            elif kind == "splat":
                children = node.children
                inner = children[0] if children else None
                steps.append(("splat", None))
                if inner is not None:
                    sub = [c for c in inner.children if c.type in ("get_attr", "index")]
                    more = self._steps_of(sub, location, bindings)
                    if more is None:
                        return None
                    steps.extend(more)
            else:
                return None
        return steps

    def _term(self, nodes: Sequence[Any], location: Location, bindings: dict[str, Any],
              whole: Any = None) -> Any:
        """An expression term and its postfix operators (`a.b[0]`, `f(x).y`): tree-sitter-hcl puts these side
        by side, inside `expression` and directly inside operations."""
        head, rest = nodes[0], nodes[1:]
        if head.type != "variable_expr":
            return self._postfix(self._node(head, location, bindings), rest, location, bindings)
        name = head.text.decode("utf-8", "replace")
        here = self._here(head, location)
        steps = self._steps_of(rest, location, bindings)
        if steps is None:
            return Unknown("unsupported traversal", here)
        if name in bindings:
            return apply_steps(bindings[name], steps, here)
        source = head.text if not rest else whole.text if whole is not None else _span_text(head, rest[-1])
        return self._resolve(name, steps, here, source.decode("utf-8", "replace"))

    def _operands(self, node: Any) -> tuple[list[list[Any]], list[str]]:
        """Split an operation's children into operand terms and operator tokens."""
        groups: list[list[Any]] = []
        ops: list[str] = []
        for child in node.children:
            if not child.is_named:
                ops.append(child.type)
                groups.append([])
            elif child.type in _POSTFIX and groups and groups[-1]:
                groups[-1].append(child)
            elif child.type == "comment":
                continue
            else:
                if not groups or groups[-1]:
                    groups.append([])
                groups[-1].append(child)
        return [g for g in groups if g], ops

    def _postfix(self, value: Any, rest: Sequence[Any], location: Location, bindings: dict[str, Any]) -> Any:
        if not rest:
            return value
        steps = self._steps_of(rest, location, bindings)
        if steps is None:
            return Unknown("unsupported traversal", location)
        return apply_steps(value, steps, location)

    # ------------------------------------------------------------------------------ calls and operators

    def _function_call(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        children = node.children
        name = children[0].text.decode("utf-8", "replace")
        args_node = next((c for c in children if c.type == "function_arguments"), None)
        arguments = args_node.children if args_node is not None else ()
        arg_nodes = [c for c in arguments if c.type == "expression"]
        expand = any(c.type == "ellipsis" for c in arguments)
        here = self._here(node, location)
        if name in ("try", "can"):
            return self._try(name, arg_nodes, location, bindings, here)
        args = [self._node(a, location, bindings) for a in arg_nodes]
        if expand and args:
            last = args[-1]
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list):
                return EvalError("... expects a list", here)
            args = [*args[:-1], *last]
        return self.call(name, args, here)

    def _try(self, name: str, arg_nodes: Sequence[Any], location: Location, bindings: dict[str, Any],
             here: Location) -> Any:
        last: Any = EvalError(f"{name}() without arguments", here)
        for arg in arg_nodes:
            value = self._node(arg, location, bindings)
            if name == "can":
                if isinstance(value, EvalError):
                    return False
                return Unknown("can() of a value not known statically", here) if _is_unknown(value) else True
            if isinstance(value, EvalError):
                last = value
                continue
            return value  # a plain Unknown stops here: which branch applies is not known
        return last

    def _unary(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        groups, ops = self._operands(node)
        if len(groups) != 1 or len(ops) != 1:
            return EvalError("malformed unary operation", location)
        op = ops[0]
        value = self._term(groups[0], location, bindings)
        if isinstance(value, Unknown):
            return value
        if op == "!":
            return (not value) if isinstance(value, bool) else EvalError("! expects a bool", location)
        if op == "-":
            number = _number(value)
            return -number if number is not None else EvalError("- expects a number", location)
        return EvalError(f"unknown operator {op}", location)

    def _binary(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        groups, ops = self._operands(node)
        if len(groups) != 2 or len(ops) != 1:
            return EvalError("malformed binary operation", location)
        op = ops[0]
        left = self._term(groups[0], location, bindings)
        if op in ("&&", "||") and isinstance(left, bool):
            if op == "&&" and not left:
                return False
            if op == "||" and left:
                return True
        right = self._term(groups[1], location, bindings)
        unknown = _first_unknown((left, right))
        here = self._here(node, location)
        if op in ("==", "!="):
            if unknown is not None:
                return Unknown(f"comparison with a value not known statically: {unknown.reason}", here)
            equal = _normalise(left) == _normalise(right)
            return equal if op == "==" else not equal
        if unknown is not None:
            return unknown
        if op in ("&&", "||"):
            if not isinstance(left, bool) or not isinstance(right, bool):
                return EvalError(f"{op} expects bools", here)
            return (left and right) if op == "&&" else (left or right)
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return EvalError(f"{op} expects numbers", here)
        if op == "+":
            return _tidy(a + b)
        if op == "-":
            return _tidy(a - b)
        if op == "*":
            return _tidy(a * b)
        if op == "/":
            return EvalError("division by zero", here) if b == 0 else _tidy(a / b)
        if op == "%":
            return EvalError("modulo by zero", here) if b == 0 else _tidy(math.fmod(a, b))
        comparisons = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}
        if op in comparisons:
            return comparisons[op]
        return EvalError(f"unknown operator {op}", here)

    def _conditional(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        exprs = [c for c in node.children if c.type == "expression"]
        if len(exprs) != 3:
            return EvalError("malformed conditional", location)
        cond = self._node(exprs[0], location, bindings)
        if isinstance(cond, bool):
            return self._node(exprs[1] if cond else exprs[2], location, bindings)
        if isinstance(cond, str) and cond in ("true", "false"):
            return self._node(exprs[1] if cond == "true" else exprs[2], location, bindings)
        yes = self._node(exprs[1], location, bindings)
        no = self._node(exprs[2], location, bindings)
        if not _is_unknown(yes) and _normalise(yes) == _normalise(no):
            return yes
        reason = cond.reason if isinstance(cond, Unknown) else "condition is not a bool"
        return Unknown(f"conditional on a value not known statically ({reason})", self._here(node, location))

    def _for(self, node: Any, location: Location, bindings: dict[str, Any]) -> Any:
        intro = next((c for c in node.children if c.type == "for_intro"), None)
        cond_node = next((c for c in node.children if c.type == "for_cond"), None)
        if intro is None:
            return EvalError("malformed for expression", location)
        names = [c.text.decode() for c in intro.children if c.type == "identifier"]
        coll_node = next((c for c in intro.children if c.type == "expression"), None)
        coll = self._node(coll_node, location, bindings) if coll_node is not None else None
        here = self._here(node, location)
        if isinstance(coll, Unknown):
            return Unknown(f"for expression over a collection not known statically ({coll.reason})", here)
        if not isinstance(coll, (list, dict)):
            return EvalError("for expression over a non-collection", here)
        body = [c for c in node.children if c.type == "expression"]
        is_object = node.type == "for_object_expr"
        grouping = any(c.type == "ellipsis" for c in node.children)
        cond_expr = (next((c for c in cond_node.children if c.type == "expression"), None)
                     if cond_node is not None else None)
        out_list = LocatedList(here.path, here.line, here.column)
        out_dict = LocatedDict(here.path, here.line, here.column)
        for key, value in (coll.items() if isinstance(coll, dict) else enumerate(coll)):
            inner = dict(bindings)
            if len(names) >= 2:
                inner[names[0]], inner[names[1]] = key, value
            elif names:
                inner[names[0]] = value
            if cond_expr is not None:
                keep = self._node(cond_expr, location, inner)
                if isinstance(keep, Unknown):
                    return Unknown(f"for expression filter not known statically ({keep.reason})", here)
                if keep is not True:
                    continue
            if is_object:
                if len(body) < 2:
                    return EvalError("malformed for expression", here)
                k = to_plain(self._node(body[0], location, inner))
                if not isinstance(k, str):
                    return Unknown("for expression key not known statically", here)
                v = self._node(body[1], location, inner)
                if grouping:
                    group = out_dict.setdefault(k, LocatedList(here.path, here.line, here.column))
                    group.append(v)
                else:
                    out_dict[k] = v
                out_dict.key_locs[k] = (here.line, here.column)
            else:
                if not body:
                    return EvalError("malformed for expression", here)
                out_list.append(self._node(body[0], location, inner))
                out_list.item_locs.append((here.line, here.column))
            if len(out_list) + len(out_dict) > MAX_COLLECTION:
                raise _BudgetError
        built = out_dict if is_object else out_list
        self._charge(built, location)
        return built

    # ------------------------------------------------------------------------------ JSON syntax

    def _eval_json(self, value: Any, location: Location, bindings: dict[str, Any]) -> Any:
        self._tick()
        if isinstance(value, str):
            if _INTERP.search(value):
                return self._eval_template_text(value, location, bindings)
            return value
        if isinstance(value, LocatedDict):
            result = LocatedDict(value.path, value.line, value.column)
            for key, item in value.items():
                result[key] = self._eval_json(item, value.key_loc(key, location.logical_id), bindings)
                result.key_locs[key] = value.key_locs.get(key, (value.line, value.column))
            return result
        if isinstance(value, LocatedList):
            out = LocatedList(value.path, value.line, value.column)
            for index, item in enumerate(value):
                out.append(self._eval_json(item, value.item_loc(index, location.logical_id), bindings))
                out.item_locs.append(value.item_locs[index] if index < len(value.item_locs)
                                     else (value.line, value.column))
            return out
        if isinstance(value, dict):
            return {k: self._eval_json(v, location, bindings) for k, v in value.items()}
        if isinstance(value, list):
            return [self._eval_json(v, location, bindings) for v in value]
        return value

    def _eval_template_text(self, text: str, location: Location, bindings: dict[str, Any]) -> Any:
        """A JSON-syntax string: parse it as an HCL template (inside a heredoc, so no quoting is needed);
        positions inside it collapse to the JSON value's own position."""
        if len(text) > MAX_STRING:
            return Unknown("string too long to evaluate", location)
        node = _template_node(text)
        if node is None:
            return EvalError("cannot parse template", location)
        flat = Location("", location.line, location.column, logical_id=location.logical_id)
        value = self._node(node, flat, bindings)
        return _relocate(value, location)


_DISPATCH: dict[str, Callable[[Evaluator, Any, Location, dict[str, Any]], Any]] = {
    "for_expr": lambda self, n, loc, b: self._for(n.children[0], loc, b),
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "quoted_template": lambda self, n, loc, b: self._template(n, loc, b, quoted=True),
    "heredoc_template": Evaluator._heredoc,
    "function_call": Evaluator._function_call,
    "unary_operation": Evaluator._unary,
    "binary_operation": Evaluator._binary,
    "conditional": Evaluator._conditional,
    "variable_expr": lambda self, n, loc, b: self._term([n], loc, b),
    "string_lit": lambda self, n, loc, b: self._literal(n, loc),
    "numeric_lit": lambda self, n, loc, b: self._literal(n, loc),
    "bool_lit": lambda self, n, loc, b: self._literal(n, loc),
    "null_lit": lambda self, n, loc, b: self._literal(n, loc),
}

_PASS_THROUGH = frozenset({"collection_value", "template_expr", "operation"})
"""Wrapper nodes whose value is their first child's."""


_POSTFIX = frozenset({"get_attr", "index", "splat"})


def _span_text(first: SyntaxNode, last: SyntaxNode) -> bytes:
    """Source bytes from the start of `first` to the end of `last` (nodes of one expression)."""
    return first.src.data[first.start_byte:last.end_byte]


@lru_cache(maxsize=4096)
def _template_node(text: str) -> Any:
    marker = "FAASGUARD_EOT_7f3a"
    source = f"x = <<{marker}\n{text}\n{marker}\n".encode()
    tree = _parser().parse(source)
    body = next((c for c in tree.root_node.children if c.type == "body"), None)
    attr = next((c for c in body.children if c.type == "attribute"), None) if body is not None else None
    expr = next((c for c in attr.children if c.type == "expression"), None) if attr is not None else None
    if expr is None or tree.root_node.has_error:
        return None
    template = expr.children[0] if expr.children and expr.children[0].type == "template_expr" else None
    heredoc = template.children[0] if template is not None and template.children else None
    if heredoc is None or heredoc.type != "heredoc_template":
        return None
    return _StripNewline(_freeze(heredoc, source))


class _StripNewline:
    """Marks a wrapped JSON-syntax template so the heredoc's added trailing newline is removed."""

    __slots__ = ("node",)
    type = "json_template"

    def __init__(self, node: Any) -> None:
        self.node = node


def _relocate(value: Any, location: Location) -> Any:
    if isinstance(value, Unknown) and (value.location is None or not value.location.path):
        return type(value)(value.reason, location)
    return value


def _dedent(text: str) -> str:
    lines = text.split("\n")
    widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] if len(line) >= cut else line.lstrip(" \t") for line in lines)


# ------------------------------------------------------------------------------------------ helpers

def apply_steps(value: Any, steps: Sequence[tuple[str, Any]], location: Location) -> Any:
    """Follow attribute / index / splat steps into a known value."""
    current = value
    for position, (kind, key) in enumerate(steps):
        if isinstance(current, Unknown):
            return current
        if kind == "splat":
            items = current if isinstance(current, list) else ([] if current is None else [current])
            rest = steps[position + 1:]
            out = LocatedList(location.path, location.line, location.column)
            for item in items:
                out.append(apply_steps(item, rest, location))
                out.item_locs.append((location.line, location.column))
            return out
        if isinstance(key, Unknown):
            return Unknown(f"index not known statically ({key.reason})", location)
        if isinstance(current, dict):
            plain = to_plain(key)
            if plain not in current:
                return EvalError(f"no key {plain!r}", location)
            current = current[plain]
        elif isinstance(current, list):
            index = _number(key)
            if index is None or not float(index).is_integer() or not -len(current) <= int(index) < len(current):
                return EvalError(f"index {key!r} out of range", location)
            current = current[int(index)]
        else:
            return EvalError(f"cannot take {key!r} of a {type(current).__name__}", location)
    return current


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() and "." not in value else number
    return None


def _tidy(number: float) -> int | float:
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, Unknown):
        return ("<unknown>", value.reason)
    return value


# ------------------------------------------------------------------------------------------ built-ins

def _plain_list(value: Any, location: Location) -> LocatedList:
    out = LocatedList(location.path, location.line, location.column)
    items = list(value.values()) if isinstance(value, dict) else list(value)
    out.extend(items)
    out.item_locs.extend(getattr(value, "item_locs", None) or [(location.line, location.column)] * len(items))
    return out


def _need_known(args: Sequence[Any]) -> Unknown | None:
    return _first_unknown(args)


def _strict(func: Callable[[list[Any], Location], Any]) -> HclFunction:
    """Most functions are unknown when any argument is."""
    def wrapper(args: list[Any], location: Location) -> Any:
        unknown = _need_known(args)
        if unknown is not None:
            return unknown
        return func(args, location)
    return wrapper


def _str(value: Any) -> str:
    plain = to_plain(value)
    if not isinstance(plain, str):
        raise TypeError("expected a string")
    return plain


def _fn_format(args: list[Any], location: Location) -> Any:
    fmt = _str(args[0])
    values = list(args[1:])
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if fmt[i + 1:i + 2] == "%":
            out.append("%")
            i += 2
            continue
        match = re.match(r"%[-+# 0]*\d*(?:\.\d+)?([a-zA-Z])", fmt[i:])
        if not match or not values:
            raise ValueError("bad format")
        verb = match.group(1)
        value = values.pop(0)
        if verb == "d":
            out.append(str(int(value)))
        elif verb in "fFeEgG":
            out.append(("%" + fmt[i + 1:i + len(match.group(0))]) % float(value))
        elif verb in "sqv":
            rendered = json.dumps(_normalise(value)) if isinstance(value, (dict, list)) else str(to_plain(value))
            out.append(json.dumps(rendered) if verb == "q" else rendered)
        else:
            out.append(str(to_plain(value)))
        i += len(match.group(0))
        if len(out[-1]) > MAX_STRING:
            raise _BudgetError
    if sum(map(len, out)) > MAX_STRING:
        raise _BudgetError
    return "".join(out)


def _fn_join(args: list[Any], location: Location) -> Any:
    sep = _str(args[0])
    items: list[Any] = [item for lst in args[1:] for item in lst]
    unknown = _first_unknown(items)
    if unknown is not None:
        return unknown
    parts = [_str(item) for item in items]
    if sum(map(len, parts)) + len(sep) * len(parts) > MAX_STRING:  # refuse before building, not after
        raise _BudgetError
    return sep.join(parts)


def _fn_merge(args: list[Any], location: Location) -> Any:
    out = LocatedDict(location.path, location.line, location.column)
    for arg in args:
        if arg is None:
            continue
        if not isinstance(arg, dict):
            raise TypeError("merge expects maps")
        for key, value in arg.items():
            out[key] = value
            locs = getattr(arg, "key_locs", {})
            out.key_locs[key] = locs.get(key, (location.line, location.column))
    return out


def _fn_concat(args: list[Any], location: Location) -> Any:
    out = LocatedList(location.path, location.line, location.column)
    for arg in args:
        if not isinstance(arg, list):
            raise TypeError("concat expects lists")
        out.extend(arg)
        out.item_locs.extend(getattr(arg, "item_locs", None) or [(location.line, location.column)] * len(arg))
    return out


def _fn_flatten(args: list[Any], location: Location) -> Any:
    out = LocatedList(location.path, location.line, location.column)

    def walk(value: Any, loc: tuple[int, int]) -> None:
        if isinstance(value, list):
            locs = getattr(value, "item_locs", None) or []
            for index, item in enumerate(value):
                walk(item, locs[index] if index < len(locs) else loc)
        else:
            out.append(value)
            out.item_locs.append(loc)
    walk(args[0], (location.line, location.column))
    return out


def _fn_lookup(args: list[Any], location: Location) -> Any:
    mapping, key = args[0], args[1]
    if isinstance(mapping, Unknown):
        return mapping
    if isinstance(key, Unknown):
        return key
    if not isinstance(mapping, dict):
        raise TypeError("lookup expects a map")
    plain = to_plain(key)
    if plain in mapping:
        return mapping[plain]
    if len(args) > 2:
        return args[2]
    return EvalError(f"lookup: no key {plain!r}", location)


def _fn_coalesce(args: list[Any], location: Location) -> Any:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
        if arg is not None and arg != "":
            return arg
    return EvalError("coalesce: no non-empty argument", location)


def _fn_element(args: list[Any], location: Location) -> Any:
    items, index = args[0], int(args[1])
    if not items:
        raise IndexError("element of an empty list")
    return items[index % len(items)]


def _fn_jsondecode(args: list[Any], location: Location) -> Any:
    from faasguard.loaders._yaml import ParseError, parse_json_text

    text = _str(args[0])
    if len(text) > MAX_STRING:
        return Unknown("jsondecode() input too long", location)
    shifted = "\n" * max(0, location.line - 1) + text if location.path else text
    try:
        return parse_json_text(shifted, location.path)
    except ParseError as exc:
        return EvalError(f"jsondecode(): {exc.message}", location)


def _fn_jsonencode(args: list[Any], location: Location) -> Any:
    """jsonencode keeps the structure (so a policy written as an HCL object keeps its positions); consumers
    that need text render it. Scalars become their JSON text as Terraform would."""
    value = args[0]
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, Unknown):
        return value
    return json.dumps(value)


def _fn_range(args: list[Any], location: Location) -> Any:
    numbers = [int(a) for a in args]
    result = range(*numbers) if len(numbers) <= 3 else range(0)
    if len(result) > MAX_COLLECTION:
        raise _BudgetError
    return _plain_list(list(result), location)


def _fn_keys(args: list[Any], location: Location) -> Any:
    return _plain_list(sorted(args[0].keys()), location)


def _fn_values(args: list[Any], location: Location) -> Any:
    mapping = args[0]
    return _plain_list([mapping[k] for k in sorted(mapping.keys())], location)


def _fn_distinct(args: list[Any], location: Location) -> Any:
    out: list[Any] = []
    for item in args[0]:
        if _normalise(item) not in [_normalise(o) for o in out]:
            out.append(item)
    return _plain_list(out, location)


def _fn_compact(args: list[Any], location: Location) -> Any:
    items = args[0]
    unknown = _first_unknown(items)
    if unknown is not None and not all(isinstance(i, (str, Unknown)) for i in items):
        return unknown
    return _plain_list([i for i in items if i not in (None, "")], location)


def _fn_tomap(args: list[Any], location: Location) -> Any:
    if not isinstance(args[0], dict):
        raise TypeError("tomap expects a map")
    return args[0]


def _fn_tolist(args: list[Any], location: Location) -> Any:
    if not isinstance(args[0], (list, dict)):
        raise TypeError("tolist expects a list")
    return args[0] if isinstance(args[0], list) else _plain_list(args[0], location)


def _fn_slice(args: list[Any], location: Location) -> Any:
    return _plain_list(list(args[0])[int(args[1]):int(args[2])], location)


def _fn_zipmap(args: list[Any], location: Location) -> Any:
    out = LocatedDict(location.path, location.line, location.column)
    for key, value in zip(args[0], args[1], strict=False):
        out[_str(key)] = value
        out.key_locs[_str(key)] = (location.line, location.column)
    return out


def _fn_regex_replace(args: list[Any], location: Location) -> Any:
    text, pattern, repl = _str(args[0]), _str(args[1]), _str(args[2])
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re.sub(pattern[1:-1], re.sub(r"\$\{?(\d+)\}?", r"\\\1", repl), text)
    return text.replace(pattern, repl)


def _fn_contains(args: list[Any], location: Location) -> Any:
    items = args[0]
    needle = args[1]
    if _first_unknown(items) is not None:
        return Unknown("contains() over a list with unknown items", location)
    return _normalise(needle) in [_normalise(i) for i in items]


def _lenient(func: HclFunction) -> HclFunction:
    """Functions that decide their own handling of unknown arguments."""
    return func


_BUILTINS: dict[str, HclFunction] = {
    "format": _strict(_fn_format),
    "join": _strict(_fn_join),
    "concat": _lenient(_fn_concat),
    "merge": _lenient(_fn_merge),
    "flatten": _lenient(_fn_flatten),
    "lookup": _lenient(_fn_lookup),
    "coalesce": _lenient(_fn_coalesce),
    "coalescelist": _lenient(lambda a, loc: next((x for x in a if x), EvalError("coalescelist: all empty", loc))),
    "compact": _lenient(_fn_compact),
    "element": _strict(_fn_element),
    "jsonencode": _lenient(_fn_jsonencode),
    "jsondecode": _strict(_fn_jsondecode),
    "yamlencode": _lenient(_fn_jsonencode),
    "range": _strict(_fn_range),
    "keys": _strict(_fn_keys),
    "values": _strict(_fn_values),
    "distinct": _strict(_fn_distinct),
    "tomap": _lenient(_fn_tomap),
    "tolist": _lenient(_fn_tolist),
    "toset": _lenient(_fn_tolist),
    "tostring": _strict(lambda a, loc: _str(a[0]) if a[0] is not None else None),
    "tonumber": _strict(lambda a, loc: _number(a[0]) if a[0] is not None else None),
    "tobool": _strict(lambda a, loc: a[0] if isinstance(a[0], bool) or a[0] is None
                      else {"true": True, "false": False}[_str(a[0])]),
    "lower": _strict(lambda a, loc: _str(a[0]).lower()),
    "upper": _strict(lambda a, loc: _str(a[0]).upper()),
    "title": _strict(lambda a, loc: _str(a[0]).title()),
    "trimspace": _strict(lambda a, loc: _str(a[0]).strip()),
    "trim": _strict(lambda a, loc: _str(a[0]).strip(_str(a[1]))),
    "trimprefix": _strict(lambda a, loc: _str(a[0]).removeprefix(_str(a[1]))),
    "trimsuffix": _strict(lambda a, loc: _str(a[0]).removesuffix(_str(a[1]))),
    "startswith": _strict(lambda a, loc: _str(a[0]).startswith(_str(a[1]))),
    "endswith": _strict(lambda a, loc: _str(a[0]).endswith(_str(a[1]))),
    "replace": _strict(_fn_regex_replace),
    "split": _strict(lambda a, loc: _plain_list(_str(a[1]).split(_str(a[0])), loc)),
    "substr": _strict(lambda a, loc: _str(a[0])[int(a[1]):(None if int(a[2]) < 0 else int(a[1]) + int(a[2]))]),
    "length": _strict(lambda a, loc: len(a[0]) if isinstance(a[0], (str, list, dict)) else EvalError(
        "length of a non-collection", loc)),
    "contains": _lenient(_fn_contains),
    "abs": _strict(lambda a, loc: abs(a[0])),
    "max": _strict(lambda a, loc: max(a)),
    "min": _strict(lambda a, loc: min(a)),
    "ceil": _strict(lambda a, loc: math.ceil(a[0])),
    "floor": _strict(lambda a, loc: math.floor(a[0])),
    "slice": _strict(_fn_slice),
    "zipmap": _strict(_fn_zipmap),
    "reverse": _strict(lambda a, loc: _plain_list(list(reversed(a[0])), loc)),
    "sort": _strict(lambda a, loc: _plain_list(sorted(_str(x) for x in a[0]), loc)),
    "one": _strict(lambda a, loc: (a[0][0] if len(a[0]) == 1 else None) if len(a[0]) <= 1 else EvalError(
        "one() of a list with several items", loc)),
    "base64encode": _strict(lambda a, loc: base64.b64encode(_str(a[0]).encode()).decode()),
    "base64decode": _strict(lambda a, loc: base64.b64decode(_str(a[0])).decode("utf-8", "replace")),
    "basename": _strict(lambda a, loc: _str(a[0]).rstrip("/").rsplit("/", 1)[-1]),
    "dirname": _strict(lambda a, loc: _str(a[0]).rsplit("/", 1)[0] if "/" in _str(a[0]) else "."),
    "nonsensitive": _lenient(lambda a, loc: a[0]),
    "sensitive": _lenient(lambda a, loc: a[0]),
    "chomp": _strict(lambda a, loc: _str(a[0]).rstrip("\r\n")),
    "setunion": _strict(lambda a, loc: _fn_distinct([[x for lst in a for x in lst]], loc)),
}
