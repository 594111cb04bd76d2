"""`record`: `@dataclass` with equality, hashing and repr shared instead of compiled per class.

Why it exists: on Python 3.11 `dataclasses` writes every generated method as source text and compiles it with
`exec` when the class is defined -- six compilations per frozen class (`__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__`, `__delattr__`), three per mutable one. For the ~130 classes a scan imports that was
~0.2 s of a ~0.55 s one-template scan, more than the scan itself. `__eq__`, `__hash__` and `__repr__` differ
between classes only by their lists of field names, so `record` lets `dataclasses` generate the others (their
code is per class) and makes these three from closures over the class's field names: no compilation.

The behaviour is the stdlib's, field options included: `__eq__` compares the `compare` fields as a tuple and
only with an instance of exactly the same class (NotImplemented otherwise); `__hash__` hashes the tuple of the
fields whose `hash` is true (or, when None, whose `compare` is), and is None on a mutable record; `__repr__` is
`QualName(a=..., b=...)` over the `repr` fields and prints `...` for a recursive reference.
tests/test_record.py checks every record class against a twin that `dataclasses` generates, on the objects of
real scans. `__dataclass_params__` says `eq=False, repr=False`: that is how the stdlib is told not to generate
them; nothing in faasguard reads it.

A frozen class's `__setattr__`/`__delattr__` are the same text for every class too, but `dataclasses` has no
option to leave them out; on Python 3.11 and 3.12 (3.13 compiles all of a class's methods in one go) `_make`
hands it closures instead, for the time of the one call, through the private function that builds them
(`dataclasses._frozen_get_del_attr`, same signature in both versions; checked at import, ignored otherwise).
With a docstring set for a class that has none (`dataclasses` would compute one from `inspect.signature`), a
frozen record compiles only its `__init__`: ~0.35 ms instead of ~1.1 ms per class, ~85 ms of a one-file scan.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, frozen: bool = True, slots: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T] | None = None, /, *, frozen: bool = True, slots: bool = True) -> Any:
    """`@dataclass(frozen=frozen, slots=slots)` to its users; bare `@record` is frozen and slotted."""

    def make(target: type[T]) -> type[T]:
        return _make(target, frozen=frozen, slots=slots)

    return make if cls is None else make(cls)


def _make(cls: type[T], *, frozen: bool, slots: bool) -> type[T]:
    for name in ("__eq__", "__hash__", "__repr__"):
        if name in cls.__dict__:
            # the stdlib would keep a hand-written __eq__/__repr__ and reject or keep a __hash__; a class that
            # writes its own has no use for the shared ones
            raise TypeError(f"{cls.__qualname__} defines {name}: use @dataclass for it, not @record")
    if cls.__doc__ is None:
        cls.__doc__ = f"{cls.__name__}: a record of {cls.__module__}."
    if frozen and _SHARE_FROZEN_METHODS:
        generate = dataclasses._frozen_get_del_attr  # type: ignore[attr-defined]
        dataclasses._frozen_get_del_attr = _frozen_methods  # type: ignore[attr-defined]
        try:
            made: Any = dataclasses.dataclass(frozen=frozen, slots=slots, eq=False, repr=False)(cls)
        finally:
            dataclasses._frozen_get_del_attr = generate  # type: ignore[attr-defined]
    else:
        made = dataclasses.dataclass(frozen=frozen, slots=slots, eq=False, repr=False)(cls)
    fields = dataclasses.fields(made)
    compared = _getter(tuple(f.name for f in fields if f.compare))
    hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in fields if f.repr)

    def __eq__(self: Any, other: object) -> Any:  # noqa: N807 - installed as the method
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:  # noqa: N807
        return hash(hashed(self))

    @recursive_repr()
    def __repr__(self: Any) -> str:  # noqa: N807
        text: str = self.__class__.__qualname__
        return text + "(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in shown) + ")"

    for method in (__eq__, __hash__, __repr__):
        method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
        setattr(made, method.__name__, method)
    if not frozen:
        made.__hash__ = None  # as the stdlib's eq=True on a mutable class: unhashable
    result: type[T] = made
    return result


_SHARE_FROZEN_METHODS = sys.version_info < (3, 13) and hasattr(dataclasses, "_frozen_get_del_attr")


def _frozen_methods(owner: type[Any], fields: list[dataclasses.Field[Any]], _globals: dict[str, Any]
                    ) -> tuple[Callable[..., None], Callable[..., None]]:
    """What `dataclasses._frozen_get_del_attr` returns on 3.11/3.12, as closures: assigning or deleting a field,
    or any attribute of an instance of exactly `owner`, raises `FrozenInstanceError`; otherwise (a subclass's own
    attribute) the base class's method runs."""
    names = frozenset(f.name for f in fields)

    def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807
        if type(self) is owner or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(owner, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:  # noqa: N807
        if type(self) is owner or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(owner, self).__delattr__(name)

    for method in (__setattr__, __delattr__):
        method.__qualname__ = f"{owner.__qualname__}.{method.__name__}"
    return __setattr__, __delattr__


def _getter(names: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    """The tuple of `names`' values (attrgetter's own C loop; it returns a bare value for one name)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return lambda obj: ()
