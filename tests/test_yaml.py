"""Located YAML/JSON parsing: positions, short-form intrinsics and the safety limits."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faasguard.loaders._yaml import LocatedDict, LocatedList, ParseError, parse_json_text, parse_yaml_text


def test_keys_and_items_keep_their_lines() -> None:
    doc = parse_yaml_text("a: 1\nb:\n  c: x\n  d:\n    - 1\n    - two\n", "t.yaml")[0]
    assert isinstance(doc, LocatedDict)
    assert doc.key_loc("b").line == 2
    assert doc["b"].key_loc("d").line == 4
    items = doc["b"]["d"]
    assert isinstance(items, LocatedList)
    assert [items.item_loc(i).line for i in range(2)] == [5, 6]
    assert items == [1, "two"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: !Ref Bucket", {"Ref": "Bucket"}),
        ("v: !GetAtt Role.Arn", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("v: !Sub 'arn:${AWS::Partition}:s3:::b'", {"Fn::Sub": "arn:${AWS::Partition}:s3:::b"}),
        ("v: !Join ['', [a, b]]", {"Fn::Join": ["", ["a", "b"]]}),
        ("v: !If [Cond, 1, 2]", {"Fn::If": ["Cond", 1, 2]}),
        ("v: !GetAZs ''", {"Fn::GetAZs": ""}),
    ],
)
def test_short_form_intrinsics_become_long_form(text: str, expected: object) -> None:
    assert parse_yaml_text(text, "t.yaml")[0]["v"] == expected


def test_scalars_follow_yaml_types() -> None:
    doc = parse_yaml_text("a: 30\nb: true\nc: ~\nd: '30'\ne: 1.5\nf: 017\n", "t.yaml")[0]
    assert doc == {"a": 30, "b": True, "c": None, "d": "30", "e": 1.5, "f": 15}


def test_syntax_error_is_located() -> None:
    with pytest.raises(ParseError) as info:
        parse_yaml_text("a: 1\nb: [unclosed\nc: 2\n", "bad.yaml")
    assert info.value.location.path == "bad.yaml"
    assert info.value.location.line >= 2


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(ParseError, match="alias bomb"):
        parse_yaml_text("\n".join(lines), "bomb.yaml")


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * 5000 + "]" * 5000
    with pytest.raises(ParseError, match="nest"):
        parse_yaml_text(text, "deep.yaml")


def test_json_keeps_lines_and_falls_back_on_tabs() -> None:
    doc = parse_json_text('{\n  "Resources": {\n    "Fn": {"Type": "AWS::Lambda::Function"}\n  }\n}', "t.json")
    assert doc["Resources"].key_loc("Fn").line == 3
    assert parse_json_text('{"a":\t"\\/x"}', "t.json") == {"a": "/x"}
    with pytest.raises(ParseError) as info:
        parse_json_text('{"a": 1,,}', "t.json")
    assert info.value.location.line == 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_yaml_text(text, "fuzz.yaml")
