"""YAML/JSON parsing with line numbers, for every YAML-based loader (CloudFormation, SAM, Serverless, Knative).

Why not a library: PyYAML's constructors drop positions and cfn-lint's node classes are tied to cfn-lint. We let
libyaml (`CSafeLoader`, ten times faster than the pure-Python loader on the corpus) *compose* the node graph,
which keeps start marks, and convert nodes ourselves into `LocatedDict`/`LocatedList`: plain dicts and lists
that also remember where each key and item is. Scalars stay plain Python values (wrapping millions of strings
would cost more than the parse); their position is the parent's `key_loc`/`item_loc`.

The conversion is also where the scanner protects itself: a node budget stops alias bombs ("billion laughs"),
a depth limit stops pathological nesting, and files above a size cap are refused before parsing.

CloudFormation short-form tags (`!Ref`, `!Sub`, `!GetAtt a.b`...) become their long form (`{"Ref": ...}`) so
that the intrinsic resolver sees one shape. Other unknown tags keep their value (with the tag noted), because a
YAML file with a custom tag is still worth scanning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from faasguard.loaders._budget import MAX_FILE_BYTES, Budget, BudgetExceededError, ParseError, Work, read_text
from faasguard.model import Location

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_Resolvers = tuple[tuple[str, "re.Pattern[str]"], ...]
_WILDCARD: _Resolvers = tuple(_BaseLoader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT: dict[str, _Resolvers] = {
    first: (*resolvers, *_WILDCARD) for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    if first is not None}
_SCALAR_TAG: str = _BaseLoader.DEFAULT_SCALAR_TAG
_SEQUENCE_TAG: str = _BaseLoader.DEFAULT_SEQUENCE_TAG
_MAPPING_TAG: str = _BaseLoader.DEFAULT_MAPPING_TAG


class _Loader(_BaseLoader):
    """The safe loader with PyYAML's tag resolution done in one dictionary lookup.

    libyaml composes in C but asks this Python object for every node: `resolve` for each plain scalar's tag
    and `descend_resolver`/`ascend_resolver` around each node, for path resolvers that the safe loader never
    has. PyYAML's `resolve` concatenates two lists per scalar before trying the regexes of the scalar's first
    character; this one looks the (pre-joined) candidates up and returns the same tag, so the graph is the
    same, ~20% sooner."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _SCALAR_TAG
        return _SEQUENCE_TAG if kind is yaml.SequenceNode else _MAPPING_TAG

    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


assert not _BaseLoader.yaml_path_resolvers, "path resolvers would need PyYAML's own resolve()"

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "LocatedDict", "LocatedList", "ParseError", "location_of",
           "parse_json_text", "parse_yaml_file", "parse_yaml_text", "read_text"]
MAX_NODES = 2_000_000
MAX_DEPTH = 200

_SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!Join": "Fn::Join",
    "!If": "Fn::If",
    "!Select": "Fn::Select",
    "!FindInMap": "Fn::FindInMap",
    "!ImportValue": "Fn::ImportValue",
    "!Split": "Fn::Split",
    "!GetAZs": "Fn::GetAZs",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!Equals": "Fn::Equals",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!Not": "Fn::Not",
    "!Transform": "Fn::Transform",
    "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString",
    "!ForEach": "Fn::ForEach",
}


class LocatedDict(dict[str, Any]):
    """A mapping that knows where it starts and where each of its keys is."""

    __slots__ = ("blocks", "column", "key_locs", "line", "path")

    def __init__(self, path: str, line: int, column: int) -> None:
        # dict.__init__ is not called: the mapping starts empty and this runs once per YAML mapping.
        self.path = path
        self.line = line
        self.column = column
        self.key_locs: dict[str, tuple[int, int]] = {}
        self.blocks: dict[str, int] | None = None
        """Keys whose value is a literal block scalar (`|`, also under a tag such as `!Sub |`), with the line
        of the block's first line: only there is line N of the text line N of the file (inline code)."""

    def loc(self, logical_id: str | None = None) -> Location:
        return Location(self.path, self.line, self.column, logical_id=logical_id)

    def key_loc(self, key: str, logical_id: str | None = None) -> Location:
        line, column = self.key_locs.get(key, (self.line, self.column))
        return Location(self.path, line, column, logical_id=logical_id)


class LocatedList(list[Any]):
    __slots__ = ("column", "item_locs", "line", "path")

    def __init__(self, path: str, line: int, column: int) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.item_locs: list[tuple[int, int]] = []

    def loc(self, logical_id: str | None = None) -> Location:
        return Location(self.path, self.line, self.column, logical_id=logical_id)

    def item_loc(self, index: int, logical_id: str | None = None) -> Location:
        line, column = self.item_locs[index] if index < len(self.item_locs) else (self.line, self.column)
        return Location(self.path, line, column, logical_id=logical_id)


def location_of(value: Any, fallback: Location) -> Location:
    if isinstance(value, (LocatedDict, LocatedList)):
        return value.loc(fallback.logical_id)
    return fallback


_ScalarNode = yaml.ScalarNode
_MappingNode = yaml.MappingNode
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Converter:
    """Node graph → located values. Counts the nodes it builds (an alias is built again at every use, so this
    is what bounds alias bombs) and the characters of the scalars it hands out (a long string behind many
    aliases costs nothing here but multiplies in every consumer that joins or copies it)."""

    def __init__(self, path: str, budget: Budget | None = None) -> None:
        self.path = path
        self.nodes = MAX_NODES if budget is None else min(MAX_NODES, budget.left(Work.NODES))
        self.budget = self.nodes
        self.limit = self.nodes
        self.file_budget = budget
        self.text = 0

    def _mark(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def convert(self, node: yaml.Node, depth: int = 0) -> Any:
        # Hot path (every node of every template): locals and exact class checks instead of helpers.
        self.budget -= 1
        if self.budget < 0 or depth > MAX_DEPTH:
            line, column = self._mark(node)
            where = Location(self.path, line, column)
            if self.budget < 0 and self.file_budget is not None and self.limit < MAX_NODES:
                self.file_budget.charge(Work.NODES, self.limit + 1, where)  # raises, naming the scope
            problem = (f"document expands to more than {self.limit} nodes (alias bomb?)" if self.budget < 0
                       else f"nesting deeper than {MAX_DEPTH} levels")
            raise ParseError(problem, where)
        tag = node.tag
        cls = node.__class__
        if cls is _ScalarNode:
            if tag == _STR:
                value = node.value
                self.text += len(value)
                return value
            if tag in _SHORT_FORMS:
                return self._short_form(node, tag, depth)
            return self._scalar(node)
        if tag in _SHORT_FORMS:
            return self._short_form(node, tag, depth)
        mark = node.start_mark
        if cls is _MappingNode:
            result = LocatedDict(self.path, mark.line + 1, mark.column + 1)
            key_locs = result.key_locs
            convert = self.convert
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    self._merge(result, convert(value_node, depth + 1))
                    continue
                if key_node.__class__ is _ScalarNode:
                    key = key_node.value if key_node.tag == _STR else convert(key_node, depth + 1)
                    if not isinstance(key, str):
                        key = str(key)
                else:
                    key = self._complex_key(key_node)
                result[key] = convert(value_node, depth + 1)
                if value_node.__class__ is _ScalarNode and value_node.style == "|":
                    if result.blocks is None:
                        result.blocks = {}
                    result.blocks[key] = value_node.start_mark.line + 2
                key_mark = key_node.start_mark
                key_locs[key] = (key_mark.line + 1, key_mark.column + 1)
            return result
        seq = LocatedList(self.path, mark.line + 1, mark.column + 1)
        item_locs = seq.item_locs
        for item in node.value:
            seq.append(self.convert(item, depth + 1))
            item_mark = item.start_mark
            item_locs.append((item_mark.line + 1, item_mark.column + 1))
        return seq

    def _complex_key(self, node: yaml.Node) -> str:
        """A sequence or mapping used as a key (`? [a, b]`). No template format gives these a meaning, and
        rendering one as text nests quotes that double at every level (`? ` 32 deep: 67 bytes → 5 GB), so the
        key is a short placeholder naming where it is; its nodes still count against the budget."""
        self.budget -= 1
        line, column = self._mark(node)
        return f"<complex key at {line}:{column}>"

    @staticmethod
    def _merge(result: LocatedDict, merged: Any) -> None:
        """YAML merge keys (`<<: *defaults`): earlier explicit keys win, as in PyYAML."""
        for item in merged if isinstance(merged, list) else [merged]:
            if isinstance(item, LocatedDict):
                for k, v in item.items():
                    result.setdefault(k, v)
                    result.key_locs.setdefault(k, item.key_locs.get(k, (result.line, result.column)))

    def _scalar(self, node: yaml.Node) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == "tag:yaml.org,2002:str" or not tag.startswith("tag:yaml.org,2002:"):
            return value
        if tag == "tag:yaml.org,2002:int":
            digits = value.replace("_", "")
            if len(digits) > 4000:  # above int()'s str-digits limit: not a number any template means
                return value
            for base in (0, 8):
                try:
                    return int(digits, base)
                except ValueError:
                    continue
            return value
        if tag == "tag:yaml.org,2002:float":
            try:
                return float(value.replace("_", ""))
            except ValueError:
                return value
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() in ("true", "yes", "on", "y")
        if tag == "tag:yaml.org,2002:null":
            return None
        return value  # timestamps, binary: keep the text as written

    def _short_form(self, node: yaml.Node, tag: str, depth: int) -> LocatedDict:
        name = _SHORT_FORMS[tag]
        line, column = self._mark(node)
        result = LocatedDict(self.path, line, column)
        if isinstance(node, yaml.ScalarNode):
            value: Any = node.value
            if name == "Fn::GetAtt" and isinstance(value, str):
                head, _, tail = value.partition(".")
                attr = LocatedList(self.path, line, column)
                attr.extend([head, tail])
                attr.item_locs.extend([(line, column), (line, column)])
                value = attr
            elif name == "Fn::GetAZs" and value == "":
                value = ""
        else:
            node.tag = "tag:yaml.org,2002:seq" if isinstance(node, yaml.SequenceNode) else "tag:yaml.org,2002:map"
            value = self.convert(node, depth + 1)
        result[name] = value
        result.key_locs[name] = (line, column)
        return result


def parse_yaml_text(text: str, display: str, budget: Budget | None = None) -> list[Any]:
    """Parse every document of a YAML (or JSON) text into located values, charging `budget` what it built."""
    converter = _Converter(display, budget)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ParseError(f"YAML syntax error: {problem}", loc) from exc
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {exc}", Location(display)) from exc
    except RecursionError as exc:
        raise ParseError(f"nesting too deep to parse (over {MAX_DEPTH} levels)", Location(display)) from exc
    try:
        documents = [converter.convert(node) for node in nodes if node is not None]
    except RecursionError as exc:
        raise ParseError(f"nesting too deep to parse (over {MAX_DEPTH} levels)", Location(display)) from exc
    if budget is not None:
        where = Location(display)
        budget.charge(Work.NODES, converter.limit - converter.budget, where)
        budget.charge(Work.TEXT, converter.text, where)
    return documents


def parse_yaml_file(path: Path, display: str, budget: Budget | None = None) -> list[Any]:
    return parse_yaml_text(read_text(path, display), display, budget)


def parse_json_text(text: str, display: str, budget: Budget | None = None) -> Any:
    """JSON through the YAML composer (which keeps positions); plain `json` when the YAML reader rejects valid
    JSON (tabs, some escapes), with positions degraded to line 1 rather than losing the file."""
    try:
        docs = parse_yaml_text(text, display, budget)
        return docs[0] if docs else None
    except BudgetExceededError:
        raise
    except ParseError:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"JSON syntax error: {exc.msg}", Location(display, exc.lineno, exc.colno)) from exc
        except RecursionError as exc:
            raise ParseError("nesting too deep to parse", Location(display)) from exc
