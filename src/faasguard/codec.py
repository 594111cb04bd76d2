"""A JSON form of the model, the findings and the attack graph, so the scan cache can keep units of work.

The scan cache (`faasguard.scan_cache`) stores what one loader run or one application's analysis produced
and gives it back on a later run whose inputs did not change. Those results are trees of frozen dataclasses
(`Application`, `Finding`, `AttackGraph`...), enums, tuples, `Unknown` values and -- in `Resource.properties`
and `Finding.statement` -- the parsed template itself (`LocatedDict`/`LocatedList`, `Symbolic` strings).
pickle would carry all of that but is a code-execution format for whoever can write the cache file; this
codec only ever builds the classes it knows.

The form is self-describing, so one pair of functions covers every class without a schema per class (a new
field of a dataclass needs nothing here): a JSON scalar stands for itself, and every other value is a JSON
array whose first element says what it is -- `("` a tuple, `[` a list, `{` a mapping, `C` a dataclass by its
constructor fields in order or `K` by those that differ from their defaults (each as its position among the
constructor's fields, then its value), `E` an enum member, and a few of the loaders' own value types. A value of any
other type (or a subclass of a scalar this module does not know) raises `UnencodableError`: the unit is then simply
not stored, never stored lossily. Decoding only instantiates classes from `_MODULES` and raises `UndecodableError`
on anything else, which the cache treats as a damaged entry.
"""

from __future__ import annotations

import enum
import importlib
import sys
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from faasguard.model import Location

_MODULES = (
    "faasguard.model",
    "faasguard.findings",
    "faasguard.analysis.paths",
    "faasguard.loaders.intrinsics",
    "faasguard.loaders._hcl",
    "faasguard.loaders._yaml",
)
"""The only modules whose classes a cache entry may name."""

_SCALARS = (str, int, float, bool, type(None))
_LOCATION: Any = Location


class UnencodableError(TypeError):
    """A value this codec has no faithful form for."""


class UndecodableError(ValueError):
    """An entry that names something this codec does not build, or is malformed."""


_FIELDS: dict[type, tuple[str, ...]] = {}
_TAGS: dict[type, str] = {}
_CLASSES: dict[str, type] = {}
_SPECS: dict[type, tuple[tuple[int, str, int, Any], ...]] = {}
"""Class → (position, name, how its default is recognised, the default) of each constructor field."""
_REQUIRED, _SAME, _EQUAL, _EMPTY_OF = 0, 1, 2, 3
"""How a field's default is recognised: never (no default, or one whose equality could hide a difference: a
record's `__eq__` skips its `compare=False` fields, `-0.0 == 0.0`); by identity (None, a bool, an enum member);
by type and equality (an int, a string); by type and emptiness (an empty tuple, list or mapping, also from a
`default_factory`). Anything else is always written."""


def _tag(cls: type) -> str:
    tag = _TAGS.get(cls)
    if tag is None:
        if cls.__module__ not in _MODULES:
            raise UnencodableError(f"{cls.__module__}.{cls.__qualname__} is not a model class")
        tag = _TAGS[cls] = f"{cls.__module__}:{cls.__qualname__}"
    return tag


def _init_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls) if f.init)
    return names


def _spec(cls: type) -> tuple[tuple[int, str, int, Any], ...]:
    spec = _SPECS.get(cls)
    if spec is None:
        out = []
        for position, item in enumerate(f for f in fields(cls) if f.init):
            if item.default is not MISSING:
                default = item.default
            elif item.default_factory is not MISSING:
                default = item.default_factory()
            else:
                out.append((position, item.name, _REQUIRED, None))
                continue
            kind = type(default)
            if default is None or kind is bool or isinstance(default, enum.Enum):
                how = _SAME
            elif kind in (int, str):
                how = _EQUAL
            elif kind in (tuple, list, dict) and not default:
                how = _EMPTY_OF
            else:
                how = _REQUIRED
            out.append((position, item.name, how, default))
        spec = _SPECS[cls] = tuple(out)
    return spec


def _encode_dataclass(value: Any, kind: type) -> list[Any]:
    """The shorter of two forms: `["K", tag, position, value, ...]` with only the fields whose value is not
    their default (a skeleton's function sets ~4 of its ~32 fields), or `["C", tag, value, ...]` with every
    field in order when most are set (a finding): the positional form decodes faster, the sparse one spares
    decoding the defaults and most of the JSON."""
    spec = _spec(kind)
    values = [getattr(value, name) for _, name, _, _ in spec]
    kept: list[Any] = ["K", _tag(kind)]
    for (position, _, how, default), item in zip(spec, values, strict=True):
        if how == _SAME:
            if item is default:
                continue
        elif how == _EMPTY_OF:
            if type(item) is type(default) and not item:
                continue
        elif how == _EQUAL and type(item) is type(default) and item == default:
            continue
        kept.append(position)
        kept.append(item)
    if len(kept) - 2 > len(spec):  # more than half of the fields set
        return ["C", kept[1], *[encode(item) for item in values]]
    for index in range(3, len(kept), 2):
        kept[index] = encode(kept[index])
    return kept


def encode(value: Any) -> Any:
    """`value` in the JSON form (see the module docstring); raises `UnencodableError`."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple:
        return ["(", *[encode(item) for item in value]]
    if kind is list:
        return ["[", *[encode(item) for item in value]]
    if kind is dict:
        out: list[Any] = ["{"]
        for key, item in value.items():
            out.append(encode(key))
            out.append(encode(item))
        return out
    return _encode_other(value, kind)


def _encode_other(value: Any, kind: type) -> Any:
    if kind is _LOCATION:
        # the most numerous value by far: positional, no class name
        return ["@", value.path, value.line, value.column, value.end_line, value.logical_id, value.construct_path]
    if isinstance(value, enum.Enum):
        return ["E", _tag(kind), value.value]
    if is_dataclass(value):
        return _encode_dataclass(value, kind)
    name = kind.__name__
    if name == "LocatedDict" and kind.__module__ == "faasguard.loaders._yaml":
        out: list[Any] = ["D", value.path, value.line, value.column,
                          [[key, *place] for key, place in value.key_locs.items()]]
        for key, item in value.items():
            out.append(encode(key))
            out.append(encode(item))
        return out
    if name == "LocatedList" and kind.__module__ == "faasguard.loaders._yaml":
        return ["L", value.path, value.line, value.column, [list(place) for place in value.item_locs],
                *[encode(item) for item in value]]
    if name == "Symbolic" and kind.__module__ == "faasguard.loaders.intrinsics":
        return ["S", str(value)]
    if name == "FileText" and kind.__module__ == "faasguard.loaders._hcl":
        return ["F", str(value), value.display]
    if name == "_NoValue" and kind.__module__ == "faasguard.loaders.intrinsics":
        return ["N"]
    if kind is PurePosixPath or (isinstance(value, Path) and type(value).__name__ == "PosixPath"):
        return ["P", str(value)]
    raise UnencodableError(f"no JSON form for {kind.__module__}.{kind.__qualname__}")


def decode(value: Any) -> Any:
    """The value `encode` was given; raises `UndecodableError` on anything `encode` would not have written."""
    if type(value) is not list:
        return value
    try:
        head = value[0]
        if head == "@":
            if len(value) != 7:
                raise UndecodableError("malformed location")
            return _LOCATION(_text(value[1]), *value[2:])
        if len(value) == 1 and head in _EMPTY:
            # an empty tuple or mapping: most of a skeleton's values (a function's ~20 unset collections), each
            # otherwise a call of its decoder and of a list comprehension over nothing
            return _EMPTY[head]()
        return _DECODERS[head](value)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, UndecodableError):
            raise
        raise UndecodableError(f"malformed cache value: {exc!r}") from None


def _class(tag: Any) -> type:
    cls = _CLASSES.get(tag)
    if cls is None:
        module_name, _, qualname = str(tag).partition(":")
        if module_name not in _MODULES:
            raise UndecodableError(f"{tag!r} is not a model class")
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        found = getattr(module, qualname, None)
        if not isinstance(found, type) or not (is_dataclass(found) or issubclass(found, enum.Enum)):
            raise UndecodableError(f"{tag!r} is not a model class")
        cls = _CLASSES[tag] = found
    return cls


_DATACLASSES: dict[str, tuple[type, tuple[str, ...]]] = {}
"""Tag → (dataclass, its constructor fields' names), for the tags already checked: a replayed scan decodes
~10,000 dataclasses of a few dozen classes."""
_MEMBERS: dict[tuple[str, Any], enum.Enum] = {}
"""(tag, value) → enum member, for the members already decoded (~9,000 on a replayed scan, of a few dozen)."""


def _known_dataclass(tag: Any) -> tuple[type, tuple[str, ...]]:
    known = _DATACLASSES.get(tag)
    if known is None:
        cls = _class(tag)
        if not is_dataclass(cls):
            raise UndecodableError(f"{tag!r} is not a dataclass")
        known = _DATACLASSES[tag] = (cls, _init_fields(cls))
    return known


def _dataclass(value: list[Any]) -> Any:
    cls, names = _known_dataclass(value[1])
    if len(value) - 2 != len(names):
        raise UndecodableError(f"{value[1]!r}: {len(value) - 2} fields stored, {len(names)} expected")
    return cls(*[item if type(item) is not list else decode(item) for item in value[2:]])


def _sparse_dataclass(value: list[Any]) -> Any:
    cls, names = _known_dataclass(value[1])
    if len(value) % 2:
        raise UndecodableError(f"{value[1]!r}: a field without its value")
    given: dict[str, Any] = {}
    last = -1
    for index in range(2, len(value), 2):
        position, item = value[index], value[index + 1]
        if type(position) is not int or not last < position < len(names):
            raise UndecodableError(f"{value[1]!r}: no field {position!r} here (the fields go in order, once)")
        last = position
        given[names[position]] = item if type(item) is not list else decode(item)
    return cls(**given)  # a required field missing: TypeError, undecodable


def _enum(value: list[Any]) -> Any:
    key = (value[1], value[2])
    member = _MEMBERS.get(key)
    if member is None:
        cls = _class(value[1])
        if not issubclass(cls, enum.Enum):
            raise UndecodableError(f"{value[1]!r} is not an enum")
        member = _MEMBERS[key] = cls(value[2])
    return member


def _mapping(value: list[Any]) -> dict[Any, Any]:
    items = value[1:]
    return {decode(items[i]): decode(items[i + 1]) for i in range(0, len(items), 2)}


def _located_dict(value: list[Any]) -> Any:
    from faasguard.loaders._yaml import LocatedDict

    out = LocatedDict(str(value[1]), int(value[2]), int(value[3]))
    out.key_locs = {str(key): (int(line), int(column)) for key, line, column in value[4]}
    items = value[5:]
    for i in range(0, len(items), 2):
        out[decode(items[i])] = decode(items[i + 1])
    return out


def _located_list(value: list[Any]) -> Any:
    from faasguard.loaders._yaml import LocatedList

    out = LocatedList(str(value[1]), int(value[2]), int(value[3]))
    out.item_locs = [(int(line), int(column)) for line, column in value[4]]
    out.extend(decode(item) for item in value[5:])
    return out


def _symbolic(value: list[Any]) -> Any:
    from faasguard.loaders.intrinsics import Symbolic

    return Symbolic(_text(value[1]))


def _file_text(value: list[Any]) -> Any:
    from faasguard.loaders._hcl import FileText

    return FileText(_text(value[1]), _text(value[2]))


def _no_value(value: list[Any]) -> Any:
    from faasguard.loaders.intrinsics import NO_VALUE

    return NO_VALUE


def _text(value: Any) -> str:
    if type(value) is not str:
        raise UndecodableError("a string was expected")
    return value


_EMPTY: dict[str, type] = {"(": tuple, "[": list, "{": dict}

_DECODERS: dict[str, Any] = {
    "(": lambda value: tuple([item if type(item) is not list else decode(item) for item in value[1:]]),
    "[": lambda value: [item if type(item) is not list else decode(item) for item in value[1:]],
    "{": _mapping,
    "C": _dataclass,
    "K": _sparse_dataclass,
    "E": _enum,
    "D": _located_dict,
    "L": _located_list,
    "S": _symbolic,
    "F": _file_text,
    "N": _no_value,
    "P": lambda value: Path(_text(value[1])),
}
