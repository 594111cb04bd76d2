"""Class declarations as the interpreter sees them: where a method, the constructor, field initialisers and
TypeScript parameter properties are in a class body.

Handlers in real code often hand the event to a service or repository object (`new OrderRepo(pool).find(id)`);
without classes the flow stops at `new`. An instance is modelled as an object value whose fields are what its
constructor (and field initialisers) stored on `this`; a method call runs the method in place with `this`
bound to it. Inheritance is not followed (a method found only on a base class is an unknown call).
"""

from __future__ import annotations

from typing import Any

Node = Any


def body_members(class_node: Node) -> list[Node]:
    body = class_node.child_by_field_name("body")
    return list(body.named_children) if body is not None else []


def method(class_node: Node, name: str, text: Any) -> Node | None:
    """The method (static or not: a call names the one it means) called `name`, or None."""
    for member in body_members(class_node):
        if member.type == "method_definition":
            key = member.child_by_field_name("name")
            if key is not None and text(key) == name:
                return member
    return None


def field_initialisers(class_node: Node, text: Any) -> list[tuple[str, Node]]:
    """`db = createPool()` in the class body: (field name, value expression), in order."""
    out = []
    for member in body_members(class_node):
        if member.type in ("public_field_definition", "field_definition"):
            if any(c.type == "static" for c in member.children):
                continue
            key, value = member.child_by_field_name("name") or member.child_by_field_name("property"), \
                member.child_by_field_name("value")
            if key is not None and value is not None:
                out.append((text(key), value))
    return out


def parameter_property(param: Node, text: Any) -> str | None:
    """`constructor(private readonly db: Pool)`: TypeScript stores such a parameter on `this` under its name."""
    if param.type not in ("required_parameter", "optional_parameter"):
        return None
    if not any(c.type in ("accessibility_modifier", "readonly", "override_modifier") for c in param.children):
        return None
    pattern = param.child_by_field_name("pattern")
    return text(pattern) if pattern is not None and pattern.type == "identifier" else None
