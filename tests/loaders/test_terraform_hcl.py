"""The HCL value layer: literal values, templates, functions, and a property test that it never raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faasguard.loaders._hcl import EvalError, Evaluator, apply_steps, parse_hcl
from faasguard.model import Unknown


def _resolve(root: str, steps: list[tuple[str, Any]], location: Any, text: str) -> Any:
    if root == "var":
        values = {"known": "abc", "n": 3, "list": ["a", "b"], "flag": True}
        name = steps[0][1] if steps else None
        if name in values:
            return apply_steps(values[name], steps[1:], location)
        return Unknown(f"variable {name} has no value", location)
    return "${" + text + "}"


def evaluate(source: str) -> dict[str, Any]:
    hcl = parse_hcl(source.encode(), "t.tf")
    evaluator = Evaluator(_resolve)
    return {name: evaluator.eval(attr.expr, attr.location) for name, attr in hcl.body.attributes.items()}


@pytest.mark.parametrize(("source", "expected"), [
    ('x = "a\\"b\\n\\u0041"', 'a"b\nA'),
    ('x = "$${literal} %%{x}"', "${literal} %{x}"),
    ('x = "pre-${var.known}-post"', "pre-abc-post"),
    ('x = "arn:aws:s3:::${var.missing}/*"', "arn:aws:s3:::${var.missing}/*"),
    ("x = aws_dynamodb_table.t.arn", "${aws_dynamodb_table.t.arn}"),
    ('x = "${aws_s3_bucket.b.arn}/*"', "${aws_s3_bucket.b.arn}/*"),
    ("x = var.n * 2 + 1", 7),
    ("x = -var.n", -3),
    ('x = var.flag ? "yes" : "no"', "yes"),
    ('x = var.n > 2 && !false', True),
    ('x = [for s in var.list : upper(s)]', ["A", "B"]),
    ('x = {for s in var.list : s => length(s)}', {"a": 1, "b": 1}),
    ('x = var.list[1]', "b"),
    ('x = join(",", concat(var.list, ["c"]))', "a,b,c"),
    ('x = format("%s-%d", "a", 5)', "a-5"),
    ('x = lookup({a = 1}, "b", 2)', 2),
    ('x = try(var.list[5], "fallback")', "fallback"),
    ('x = jsondecode("{\\"a\\": [1, 2]}")', {"a": [1, 2]}),
    ('x = merge({a = 1}, {b = 2})', {"a": 1, "b": 2}),
    ('x = "%{if var.flag}on%{else}off%{endif}"', "on"),
    ('x = "%{for s in var.list}${s};%{endfor}"', "a;b;"),
    ("x = <<-EOT\n    hello ${var.known}\n      indented\n    EOT\n", "hello abc\n  indented\n"),
    ('x = replace("a-b-c", "/-/", "_")', "a_b_c"),
])
def test_values(source: str, expected: Any) -> None:
    assert evaluate(source)["x"] == expected


def test_unknown_when_the_whole_value_depends_on_it() -> None:
    values = evaluate('a = "${var.missing}"\nb = var.missing == "x" ? 1 : 2\nc = upper(var.missing)\n')
    assert all(isinstance(v, Unknown) for v in values.values())
    assert "missing" in values["a"].reason


def test_errors_are_not_guesses() -> None:
    values = evaluate('a = var.list[9]\nb = 1 + "x"\nc = nosuchfunction(1)\n')
    assert isinstance(values["a"], EvalError)
    assert isinstance(values["b"], EvalError)
    assert isinstance(values["c"], Unknown)


def test_positions_of_object_keys() -> None:
    values = evaluate('x = {\n  a = 1\n  b = [\n    "p",\n    "q",\n  ]\n}\n')
    value = values["x"]
    assert value.key_locs["a"] == (2, 3)
    assert value["b"].item_locs == [(4, 5), (5, 5)]


def test_syntax_error_is_located_and_the_rest_is_kept() -> None:
    hcl = parse_hcl(b'resource "a" "b" {\n  x = = 1\n}\n\nresource "c" "d" {\n  y = 2\n}\n', "t.tf")
    assert hcl.errors
    assert hcl.errors[0].line == 2
    assert [b.labels for b in hcl.body.blocks][-1] == ("c", "d")


def test_budget_stops_runaway_expressions() -> None:
    values = evaluate("x = [for a in range(10000) : [for b in range(10000) : a * b]]")
    assert isinstance(values["x"], Unknown)


_HCL_PIECES = st.sampled_from([
    "x", "=", '"', "${", "}", "%{", "if", "for", "in", ":", "?", "[", "]", "{", "}", "(", ")", ",", ".", "*",
    "var.a", "local.b", "1", "-", "+", "==", "!", "&&", "<<EOT\n", "\nEOT\n", "\n", " ", "jsonencode(", "...",
    "resource", '"aws_x"', "true", "null", "[*]", "=>", "\\", "$$", "try(", "format(", "\"%s\"",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HCL_PIECES, max_size=40), st.text(max_size=40))
def test_converter_never_raises(pieces: list[str], noise: str) -> None:
    source = "a = " + "".join(pieces) + noise + "\nb " + "".join(reversed(pieces))
    hcl = parse_hcl(source.encode("utf-8", "surrogatepass"), "fuzz.tf")
    evaluator = Evaluator(_resolve)

    def walk(body: Any, depth: int = 0) -> None:
        for attr in body.attributes.values():
            evaluator.eval(attr.expr, attr.location)
        for block in body.blocks:
            if depth < 10:
                walk(block.body, depth + 1)
    walk(hcl.body)
