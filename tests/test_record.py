"""`faasguard._record.record` behaves as `@dataclass(frozen=True, slots=True)`: every record class is compared
with a twin that `dataclasses` itself generates, on the real objects of real scans (equality between every
pair, hashes, reprs, the refusal to mutate), and on small classes exercising each field option."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import faasguard
from faasguard import _record
from faasguard._record import record
from faasguard.config import Config
from faasguard.pipeline import scan

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent.parent / "shared" / "corpora" / "serverless-patterns"


def is_record(cls: type) -> bool:
    eq = cls.__dict__.get("__eq__")
    return getattr(getattr(eq, "__code__", None), "co_filename", None) == _record.__file__


def record_classes() -> list[type]:
    """Every record class of the package (the runtime guard, stdlib-only and run inside Lambda, has none)."""
    classes: dict[type, None] = {}
    for info in pkgutil.walk_packages(faasguard.__path__, "faasguard."):
        if info.name.startswith("faasguard.guard") or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == info.name and is_record(value):
                classes[value] = None
    return list(classes)


def twin(cls: type) -> type:
    """The class `dataclasses` makes of the same fields, with the same qualified name (which reprs show)."""
    specs = []
    for f in dataclasses.fields(cls):
        options: dict[str, Any] = {"compare": f.compare, "repr": f.repr, "hash": f.hash, "init": f.init}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    made = dataclasses.make_dataclass(cls.__name__, specs, frozen=is_frozen(cls), slots=is_slotted(cls))
    made.__qualname__ = cls.__qualname__
    return made


def is_frozen(cls: type) -> bool:
    return bool(getattr(cls, "__dataclass_params__").frozen)  # noqa: B009 - typeshed does not declare it


def is_slotted(cls: type) -> bool:
    return "__slots__" in cls.__dict__


def copy_to(obj: Any, cls: type) -> Any:
    other: Any = object.__new__(cls)
    for f in dataclasses.fields(obj):
        object.__setattr__(other, f.name, getattr(obj, f.name))
    return other


def reachable(root: object, limit: int = 12) -> dict[type, list[Any]]:
    """Record instances reachable from `root`, at most `limit` distinct ones per class."""
    found: dict[type, list[Any]] = {}
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None) | Path):
            continue
        seen.add(id(obj))
        if isinstance(obj, Mapping):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            if is_record(type(obj)):
                bucket = found.setdefault(type(obj), [])
                if len(bucket) < limit:
                    bucket.append(obj)
            stack.extend(getattr(obj, f.name, None) for f in dataclasses.fields(obj))
    return found


def outcome(action: Any) -> Any:
    try:
        return ("ok", action())
    except Exception as error:  # the kind of error is what is compared
        return ("raises", type(error))


def assert_same_behaviour(cls: type, objects: list[Any]) -> None:
    model = twin(cls)
    copies = [copy_to(obj, model) for obj in objects]
    for obj, copy in zip(objects, copies, strict=True):
        assert repr(obj) == repr(copy)
        assert outcome(lambda o=obj: hash(o)) == outcome(lambda c=copy: hash(c))
        assert obj.__eq__(object()) is NotImplemented
        assert obj.__eq__(copy) is NotImplemented  # another class, even with the same fields
        for name in [f.name for f in dataclasses.fields(obj)][:1]:
            if is_frozen(cls):
                with pytest.raises(dataclasses.FrozenInstanceError):
                    setattr(obj, name, None)
        assert (type(obj).__hash__ is None) == (model.__hash__ is None)
    for i, a in enumerate(objects):
        for j, b in enumerate(objects):
            assert (a == b) == (copies[i] == copies[j]), (cls, i, j)
            assert (a != b) == (copies[i] != copies[j]), (cls, i, j)


def scanned_objects() -> dict[type, list[Any]]:
    paths = [str(ROOT / "examples")]
    for name in ("apigw-rest-api-lambda-python", "eventbridge-schedule-to-lambda-terraform-python",
                 "lambda-sqs-sls"):
        if (CORPUS / name).is_dir():
            paths.append(str(CORPUS / name))
    found: dict[type, list[Any]] = {}
    for path in paths:
        result = scan([path], Config())
        for cls, objects in reachable(result).items():
            bucket = found.setdefault(cls, [])
            bucket.extend(objects[: 12 - len(bucket)])
    return found


def test_record_classes_behave_as_their_dataclass_twins_on_real_scans() -> None:
    classes = record_classes()
    objects = scanned_objects()
    from faasguard import findings, model

    for expected in (model.Location, model.Function, model.Role, model.Statement, model.Trigger,
                     findings.Finding, findings.Diagnostic):
        assert expected in objects, expected.__qualname__
    assert len(objects) >= 25, sorted(c.__qualname__ for c in objects)
    for cls, instances in objects.items():
        assert cls in classes
        assert_same_behaviour(cls, instances)


def test_frozen_slotted_dataclasses_are_records() -> None:
    """The point is the import cost: a class left on `@dataclass(frozen=True, slots=True)` compiles three more
    methods at every start. Left: classes that want identity equality
    (`eq=False`)."""
    left = []
    for info in pkgutil.walk_packages(faasguard.__path__, "faasguard."):
        if info.name.startswith("faasguard.guard") or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if not (isinstance(value, type) and value.__module__ == info.name and dataclasses.is_dataclass(value)):
                continue
            params: Any = getattr(value, "__dataclass_params__")  # noqa: B009 - typeshed does not declare it
            if not is_record(value) and params.frozen and params.eq and "__slots__" in value.__dict__:
                left.append(f"{info.name}.{value.__qualname__}")
    assert left == [], left
    assert len(record_classes()) >= 80


@record
class Sample:
    name: str
    count: int = 0
    note: str = dataclasses.field(default="", compare=False)
    hidden: str = dataclasses.field(default="", repr=False)
    hashed_only: int = dataclasses.field(default=0, compare=False, hash=True)
    unhashed: int = dataclasses.field(default=0, hash=False)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)


@record
class Child(Sample):
    level: int = 1


@record
class One:
    value: Any


@record
class Empty:
    pass


@record(frozen=False, slots=False)
class Mutable:
    items: list[int] = dataclasses.field(default_factory=list)
    name: str = ""
    note: str = dataclasses.field(default="", compare=False, repr=False)


@record(frozen=False)
class MutableSlotted:
    name: str
    count: int = 0


@record(slots=False)
class FrozenWithDict:
    name: str
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)


@pytest.mark.parametrize(("cls", "values"), [
    (Sample, [("a",), ("a", 1), ("a", 0, "other note"), ("a", 0, "", "hidden"), ("a", 0, "", "", 5),
              ("a", 0, "", "", 0, 7), ("b", 2, "n", "h", 1, 1, {"k": "v"})]),
    (Child, [("a",), ("a", 0, "", "", 0, 0, {}, 2), ("b", 3)]),
    (One, [(1,), (2,), ([1],), ("x",), (None,)]),  # a list value: both unhashable
    (Empty, [(), ()]),
    (Mutable, [(), ([1, 2],), ([1, 2], "a"), ([], "", "note")]),
    (MutableSlotted, [("a",), ("a", 1), ("b", 1)]),
    (FrozenWithDict, [("a",), ("a", {"k": 1}), ("b",)]),
])
def test_field_options_as_the_stdlib(cls: type, values: list[tuple[Any, ...]]) -> None:
    assert_same_behaviour(cls, [cls(*args) for args in values])


def test_a_parent_and_its_subclass_are_never_equal() -> None:
    assert Sample("a") != Child("a")
    assert Child("a") != Sample("a")
    assert Child("a") == Child("a")


def test_recursive_repr_prints_an_ellipsis() -> None:
    holder: list[Any] = []
    one = One(holder)
    holder.append(one)
    assert repr(one) == "One(value=[...])"


def test_replace_fields_and_match_args_are_the_dataclass_ones() -> None:
    sample = Sample("a", 1, extra={"x": 1})
    assert dataclasses.replace(sample, count=2) == Sample("a", 2)
    assert [f.name for f in dataclasses.fields(Child)][-1] == "level"
    assert Sample.__match_args__ == ("name", "count", "note", "hidden", "hashed_only", "unhashed", "extra")
    with pytest.raises(dataclasses.FrozenInstanceError):
        del sample.name


def test_a_class_with_its_own_equality_is_refused() -> None:
    with pytest.raises(TypeError, match="defines __eq__"):
        @record
        class Own:
            x: int

            def __eq__(self, other: object) -> bool:
                return True

            __hash__ = object.__hash__


def test_a_mutable_record_is_mutable_and_unhashable_and_a_frozen_one_keeps_a_dict_when_asked() -> None:
    item = Mutable([1])
    item.name = "changed"
    assert item == Mutable([1], "changed")
    with pytest.raises(TypeError, match="unhashable"):
        hash(item)
    assert FrozenWithDict("a").__dict__["name"] == "a"
    assert not hasattr(MutableSlotted("a"), "__dict__")


@pytest.mark.parametrize("cls", [Sample, Child, FrozenWithDict])
def test_frozen_records_refuse_assignment_and_deletion_with_the_stdlib_messages(cls: type) -> None:
    # the same slots setting: on 3.11/3.12 the stdlib's own methods of a slotted class raise TypeError for an
    # attribute that is not a field (they name the class as it was before `slots` rebuilt it); so do ours
    slotted = "__slots__" in cls.__dict__
    twin = dataclasses.dataclass(frozen=True, slots=slotted)(
        type(f"{cls.__name__}Twin", (), {"__annotations__": {"name": "str"}}))
    expected: list[str] = []
    for target in (twin("a"), cls("a")):
        for action in (lambda t: setattr(t, "name", "b"), lambda t: delattr(t, "name"),
                       lambda t: setattr(t, "not_a_field", 1)):
            with pytest.raises((dataclasses.FrozenInstanceError, TypeError)) as caught:
                action(target)
            # (3.13 names the class in the TypeError: the twin's name is read as the record's)
            expected.append(f"{type(caught.value).__name__}: {caught.value}".replace(f"{cls.__name__}Twin",
                                                                                     cls.__name__))
    assert expected[:3] == expected[3:]
    assert "FrozenInstanceError: cannot assign to field 'name'" in expected
    assert cls.__setattr__.__qualname__ == f"{cls.__qualname__}.__setattr__"


def test_the_written_out_location_init_takes_the_fields_as_dataclasses_would() -> None:
    """`Location.__init__` is written by hand for speed: it must take exactly the fields, with their defaults,
    positionally and by keyword, and leave the instance frozen."""
    import inspect

    from faasguard.model import Location

    parameters = list(inspect.signature(Location.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in parameters] == [
        (f.name, inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
        for f in dataclasses.fields(Location)]
    twin = dataclasses.dataclass(frozen=True)(type("LocationTwin", (), {
        "__annotations__": {f.name: f.type for f in dataclasses.fields(Location)},
        **{f.name: f.default for f in dataclasses.fields(Location) if f.default is not dataclasses.MISSING}}))
    for args, kwargs in [(("a.yaml",), {}), (("a.yaml", 3, 4, 5, "Fn", "Stack/Fn"), {}),
                         (("a.yaml",), {"logical_id": "Fn", "column": 9})]:
        made, expected = Location(*args, **kwargs), twin(*args, **kwargs)
        assert [getattr(made, f.name) for f in dataclasses.fields(Location)] == \
            [getattr(expected, f.name) for f in dataclasses.fields(Location)]
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.line = 2  # type: ignore[misc]
