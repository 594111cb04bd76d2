"""What `parse_hcl` keeps of a file: no tree-sitter object outlives the parse (a live node keeps its whole tree,
~64 bytes per source byte), and the expressions taken at parse time (plain literals and references) evaluate
exactly as the evaluator evaluates the same nodes: same value, same location, same steps counted."""

from __future__ import annotations

from typing import Any

import pytest

from faasguard.loaders._budget import FILE_LIMITS, Budget, Work
from faasguard.loaders._hcl import (
    Body,
    Evaluator,
    SyntaxNode,
    _Constant,
    _freeze,
    _parser,
    _Reference,
    parse_hcl,
)
from faasguard.model import Location, Unknown

SOURCE = b'''
locals {
  text    = "app.handler"
  unicode = "caf\xc3\xa9"
  number  = 30
  big     = 12345678901234567890
  decimal = 1.5
  yes     = true
  nothing = null
  escaped = "a\\"b"
  dollar  = "$${x}"
  ref     = aws_sqs_queue.q.arn
  bare    = something
  dashed  = aws_s3_bucket.my-bucket.id
  bound   = each.value
  indexed = var.list[0]
  call    = upper("x")
  object  = { a = 1 }
}

resource "aws_lambda_function" "fn" {
  function_name = "${local.prefix}-fn"
  timeout       = 30
  environment {
    variables = {
      TABLE = aws_dynamodb_table.t.name
    }
  }
}
'''


def _resolve(root: str, steps: list[tuple[str, Any]], location: Location, text: str) -> Any:
    return Unknown(f"{root}|{steps}|{text}", location)


def _walk(body: Body) -> list[Any]:
    found: list[Any] = []
    stack = [body]
    while stack:
        current = stack.pop()
        found.extend(attr.expr for attr in current.attributes.values())
        stack.extend(block.body for block in current.blocks)
    return found


def test_no_tree_sitter_object_outlives_the_parse() -> None:
    hcl = parse_hcl(SOURCE, "main.tf")
    exprs = _walk(hcl.body)
    assert len(exprs) == 19
    assert {type(e) for e in exprs} == {SyntaxNode, _Constant, _Reference}
    assert not any(type(e).__module__.startswith("tree_sitter") for e in exprs)


@pytest.mark.parametrize(("name", "kind"), [
    ("text", _Constant), ("unicode", _Constant), ("number", _Constant), ("yes", _Constant),
    ("nothing", _Constant), ("ref", _Reference), ("bare", _Reference), ("dashed", _Reference),
    ("bound", _Reference),
    # not taken at parse time: beyond float's exact integers, decimals, escapes, `$${`, indexes, calls, objects
    ("big", SyntaxNode), ("decimal", SyntaxNode), ("escaped", SyntaxNode), ("dollar", SyntaxNode),
    ("indexed", SyntaxNode), ("call", SyntaxNode), ("object", SyntaxNode),
])
def test_which_expressions_are_taken_at_parse_time(name: str, kind: type) -> None:
    (locals_block,) = parse_hcl(SOURCE, "main.tf").body.blocks_of("locals")
    attr = locals_block.body.attributes[name]
    assert type(attr.expr) is kind


def _full_tree_exprs() -> dict[str, tuple[Any, Location]]:
    """Every attribute of SOURCE frozen whole, as the evaluator would walk it without the parse-time shortcut."""
    tree = _parser().parse(SOURCE)
    out: dict[str, tuple[Any, Location]] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "attribute":
            name = node.children[0].text.decode()
            expr = next(c for c in node.children if c.type == "expression")
            point = node.start_point
            out[name] = (_freeze(expr, SOURCE), Location("main.tf", point[0] + 1, point[1] + 1, point[0] + 1))
        stack.extend(node.children)
    return out


@pytest.mark.parametrize("bindings", [None, {"each": {"value": "bound!"}}])
def test_parse_time_values_equal_the_evaluators(bindings: dict[str, Any] | None) -> None:
    hcl = parse_hcl(SOURCE, "main.tf")
    full = _full_tree_exprs()
    (locals_block,) = hcl.body.blocks_of("locals")
    (function,) = hcl.body.blocks_of("resource")
    attrs = {**locals_block.body.attributes, **function.body.attributes}
    assert set(attrs) <= set(full)
    for name, attr in attrs.items():
        tree_expr, _ = full[name]
        fast_budget, tree_budget = Budget(FILE_LIMITS, "fast"), Budget(FILE_LIMITS, "tree")
        fast = Evaluator(_resolve, budget=fast_budget).eval(attr.expr, attr.location, bindings)
        slow = Evaluator(_resolve, budget=tree_budget).eval(tree_expr, attr.location, bindings)
        assert fast == slow, name
        assert type(fast) is type(slow), name
        assert fast_budget.left(Work.STEPS) == tree_budget.left(Work.STEPS), name
        assert attr.expr.text == tree_expr.text, name
        assert attr.expr.start_point == tree_expr.start_point, name


def test_values_and_positions_inside_a_copied_expression() -> None:
    hcl = parse_hcl(SOURCE, "main.tf")
    (function,) = hcl.body.blocks_of("resource")
    (environment,) = function.body.blocks_of("environment")
    attr = environment.body.attributes["variables"]
    assert isinstance(attr.expr, SyntaxNode)
    value = Evaluator(_resolve).eval(attr.expr, attr.location)
    assert isinstance(value["TABLE"], Unknown)
    assert value["TABLE"].reason == "aws_dynamodb_table|[('attr', 't'), ('attr', 'name')]|aws_dynamodb_table.t.name"
    # the key is on the line after the attribute's: located there, not at the attribute
    assert value.key_locs["TABLE"] == (26, 7)
    assert (value["TABLE"].location.line, value["TABLE"].location.column) == (26, 15)
    assert (attr.location.line, attr.location.end_line) == (25, 27)


NESTED = b'''x = {
  a = [1, -2 * (3 + var.n), !local.flag] # trailing comment
  b = "t-${upper(var.s)}-%{ if true }y%{ endif }"
  c = [for k, v in local.m : v if v != null]
  d = <<-EOT
    hello ${var.x}
  EOT
  e = aws_s3_bucket.b[*].arn
}
'''


def _expected(node: Any, source: bytes, base: int) -> tuple[Any, ...]:
    """What a copied node should hold, read from tree-sitter's own nodes by the rule the copy follows: tokens kept
    only under `_WITH_TOKENS` nodes (and without positions), `_DROPPED` kinds left out, `_LEAVES` kept without
    their children."""
    from faasguard.loaders._hcl import _DROPPED, _LEAVES, _WITH_TOKENS

    if not node.is_named:
        return (node.type, False, 0, 0, ())
    kids: tuple[Any, ...] = ()
    if node.type not in _LEAVES:
        pool = node.children if node.type in _WITH_TOKENS else node.named_children
        kids = tuple(_expected(c, source, base) for c in pool if c.type not in _DROPPED)
    return (node.type, True, node.start_byte - base, node.end_byte - base, kids)


def _copied(view: SyntaxNode) -> tuple[Any, ...]:
    return (view.type, view.is_named, view.start_byte, view.end_byte, tuple(_copied(c) for c in view.children))


def test_copied_expression_mirrors_the_tree_node_for_node() -> None:
    tree = _parser().parse(NESTED)
    attribute = tree.root_node.children[0].children[0]
    expr = next(c for c in attribute.children if c.type == "expression")
    view = _freeze(expr, NESTED)
    assert _copied(view) == _expected(expr, NESTED, expr.start_byte)
    # read through the file walk too: the same copy, and operators kept where the evaluator reads them
    (attr,) = parse_hcl(NESTED, "main.tf").body.attributes.values()
    assert _copied(attr.expr) == _copied(view)
    copied = repr(_copied(view))
    assert "'*', False" in copied
    assert "'!', False" in copied
    assert "'[', False" not in copied  # a tuple's brackets are never read
    assert "'template_literal'" not in copied
    assert "'tuple_start'" not in copied
    value = Evaluator(_resolve).eval(attr.expr, attr.location)
    assert set(value) == {"a", "b", "c", "d", "e"}
    assert value["a"][0] == 1


def test_deeply_nested_expression_is_copied_without_recursion() -> None:
    depth = 3000
    source = b"x = " + b"[" * depth + b"1" + b"]" * depth + b"\n"
    (attr,) = parse_hcl(source, "deep.tf").body.attributes.values()
    assert isinstance(attr.expr, SyntaxNode)
    node, levels = attr.expr, 0
    while node.children:
        node = node.children[0]
        levels += node.type == "tuple"
    assert levels == depth
    assert node.text == b"1"


def test_nested_blocks_cost_one_python_frame_a_level() -> None:
    # Nesting depth is the input's choice; beyond the interpreter's stack the file is refused as too deep (the
    # loader's isolation), but the walk must not halve how deep a readable file may nest.
    depth = 600
    source = b"".join(b"b%d {\n" % level for level in range(depth)) + b"x = 1\n" + b"}\n" * depth
    body, levels = parse_hcl(source, "nested.tf").body, 0
    while body.blocks:
        (block,) = body.blocks
        assert block.type == f"b{levels}"
        assert block.location.line == levels + 1
        body, levels = block.body, levels + 1
    assert levels == depth
    assert body.attributes["x"].location.line == depth + 1
