"""The JSON form of the model (faasguard.codec): every application, finding, diagnostic and attack graph of
the corpus comes back equal -- the fields left out of equality (`field_locations`, `properties`, a statement)
included -- and nothing outside the model's own classes is ever built from a cache entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faasguard import codec, pipeline
from faasguard.config import Config
from faasguard.findings import Confidence, Finding, Severity
from faasguard.loaders._yaml import LocatedDict, LocatedList
from faasguard.loaders.intrinsics import NO_VALUE, Symbolic
from faasguard.model import Function, Location, Unknown

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "serverless-patterns"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/serverless-patterns")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def round_trip(value: Any) -> Any:
    return codec.decode(json.loads(json.dumps(codec.encode(value))))


@pytest.mark.parametrize("root", [CORPUS, EXAMPLES], ids=["corpus", "examples"])
def test_everything_a_scan_produces_comes_back_equal(root: Path) -> None:
    if not root.is_dir():
        pytest.skip("the shared corpus is not beside this checkout (its README: skip where ../shared is absent)")
    result = pipeline.scan([str(root)], Config())
    assert len(result.apps) > 3
    for app in result.apps:
        back = round_trip(app)
        assert back == app, app.name
        assert codec.encode(back) == codec.encode(app), app.name  # the fields equality ignores as well
    assert round_trip(tuple(result.findings)) == tuple(result.findings)
    assert codec.encode(round_trip(tuple(result.findings))) == codec.encode(tuple(result.findings))
    assert round_trip(tuple(result.diagnostics)) == tuple(result.diagnostics)
    graphs = tuple(facts.paths for facts in result.facts.values())
    assert any(graph is not None and graph.functions for graph in graphs)
    assert round_trip(graphs) == graphs


def test_the_loaders_value_types_keep_their_type_and_positions() -> None:
    mapping = LocatedDict("t.yaml", 3, 5)
    mapping["Name"] = Symbolic("${AWS::StackName}-x")
    mapping.key_locs["Name"] = (4, 7)
    items = LocatedList("t.yaml", 6, 1)
    items.extend([1, 2.5, None, True, NO_VALUE, Unknown("why", Location("t.yaml", 2))])
    items.item_locs.extend([(6, 3), (7, 3)])
    mapping["Items"] = items
    back = round_trip({"m": mapping, "t": (1, [2, (3,)])})
    assert back == {"m": mapping, "t": (1, [2, (3,)])}
    assert type(back["m"]) is LocatedDict
    assert back["m"].key_locs == {"Name": (4, 7)}
    assert back["m"].loc() == Location("t.yaml", 3, 5)
    assert type(back["m"]["Name"]) is Symbolic
    assert type(back["m"]["Items"]) is LocatedList
    assert back["m"]["Items"].item_locs == [(6, 3), (7, 3)]
    assert back["m"]["Items"][4] is NO_VALUE
    assert type(back["t"]) is tuple
    assert type(back["t"][1]) is list


class Foreign:
    pass


class Text(str):
    pass


@pytest.mark.parametrize("value", [Foreign(), Text("x"), {1, 2}, b"bytes", Path("/x").parent.stat])
def test_a_value_without_a_faithful_form_is_refused(value: Any) -> None:
    with pytest.raises(codec.UnencodableError):
        codec.encode(value)


@pytest.mark.parametrize("entry", [
    ["K", "os:system", 0, "echo pwned"],
    ["K", "subprocess:Popen", 0, ["[", "id"]],
    ["E", "builtins:type", "x"],
    ["K", "faasguard.model:_AppIndex", 0, None],
    ["K", "faasguard.model:Severity", 0, 1],
    ["K", "faasguard.model:Application", 3, ["("]],  # required fields missing
    ["K", "faasguard.model:Location", 0],  # a position without its value
    ["K", "faasguard.model:Location", 99, 1],  # no such field
    ["K", "faasguard.model:Location", "path", "t.yaml"],  # a position that is no number
    ["K", "faasguard.model:Location", 1, 2, 0, "t.yaml"],  # out of order: encode writes each once, in order
    ["K", "faasguard.model:Location", 0, "t.yaml", 0, "u.yaml"],
    ["@", "t.yaml", 1],
    ["S", 5],
    ["?"],
    [],
])
def test_an_entry_naming_anything_else_is_undecodable(entry: list[Any]) -> None:
    with pytest.raises(codec.UndecodableError):
        codec.decode(entry)


def test_empty_collections_come_back_as_their_own_type_and_a_fresh_one_each() -> None:
    """The shortcut for empty tuples, lists and mappings (most of a skeleton's values) builds what their
    decoders build: the type kept, and a list or mapping never shared between two decoded values."""
    back = round_trip({"t": (), "l": [], "d": {}, "nested": ((), [[]], {"k": {}})})
    assert back == {"t": (), "l": [], "d": {}, "nested": ((), [[]], {"k": {}})}
    assert [type(back[key]) for key in ("t", "l", "d")] == [tuple, list, dict]
    first, second = codec.decode(["[", ["["], ["["]])
    assert first == []
    assert first is not second
    assert codec.decode(["N"]) is NO_VALUE  # a one-element entry that is no collection goes to its decoder
    with pytest.raises(codec.UndecodableError):
        codec.decode(["S"])


def test_a_dataclass_keeps_only_what_differs_from_its_defaults_and_nothing_that_only_looks_equal() -> None:
    """The compact form leaves out a field at its default, so that a skeleton's function is a few fields, not
    ~35; a value that is merely *equal* to the default (another type, a subclass of the default's type) is
    written and comes back with its own type."""
    plain = Function("F", Location("t.yaml", 3))
    assert codec.encode(plain) == ["K", "faasguard.model:Function", 0, "F", 1, ["@", "t.yaml", 3, 1, None, None, None]]
    assert round_trip(plain) == plain
    odd = Function("F", Location("t.yaml"), field_locations=LocatedDict("t.yaml", 1, 1), timeout_default=3.0,
                   external=0, package_type="Zip", platform="google-cloud-run")  # type: ignore[arg-type]
    back = round_trip(odd)
    assert back == odd
    assert type(back.field_locations) is LocatedDict
    assert type(back.timeout_default) is float
    assert back.external == 0
    assert back.external is not False
    assert back.platform == "google-cloud-run"
    assert "Zip" not in json.dumps(codec.encode(odd))  # a default string is left out like any default


def test_a_dataclass_with_most_fields_set_is_written_in_order() -> None:
    """A finding sets most of its fields: every field in order is shorter than positions and values, and
    decodes faster."""
    finding = Finding("FG501", "command-injection", Severity.HIGH, Confidence.HIGH, "m", Location("a.py", 3),
                      "Fn", "Fn", fix="f", cwe="CWE-78", owasp="SAS-1", fingerprint="x")
    encoded = codec.encode(finding)
    assert encoded[:3] == ["C", "faasguard.findings:Finding", "FG501"]
    assert len(encoded) == 2 + 15
    assert round_trip(finding) == finding
