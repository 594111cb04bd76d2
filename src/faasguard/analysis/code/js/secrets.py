"""Hard-coded secrets in JavaScript/TypeScript source (issue kind "hardcoded-secret").

The judgement is the Python front end's (a credential-shaped literal, or a literal bound to a name whose last
word says it is a secret); only the walk over the syntax differs: declarations, object properties,
assignments and every string literal of a tree-sitter tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from faasguard.analysis.code.facts import CodeIssue
from faasguard.analysis.code.js.modules import JsModule
from faasguard.analysis.code.python import secrets as judge
from faasguard.model import Location

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _string(module: JsModule, node: Any) -> str | None:
    if node is None or node.type != "string":
        return None
    text = module.text(node)
    return text[1:-1] if len(text) >= 2 else None


def hardcoded_secrets(module: JsModule) -> Iterator[CodeIssue]:
    """Every hard-coded secret literal of a module, one per literal."""
    if module.root is None:
        return
    seen: set[int] = set()

    def issue(node: Any, what: str) -> CodeIssue:
        seen.add(node.start_byte)
        return CodeIssue("hardcoded-secret",
                         f"{what} is hard-coded in the source; load it from Secrets Manager or SSM at init instead",
                         Location(module.display, node.start_point[0] + 1, node.start_point[1] + 1))

    literals: list[Any] = []
    todo = [module.root]
    while todo:
        node = todo.pop()
        t = node.type
        if t == "string":
            literals.append(node)
            continue
        pair: tuple[Any, Any] | None = None
        if t == "variable_declarator":
            pair = (node.child_by_field_name("name"), node.child_by_field_name("value"))
        elif t == "pair":
            pair = (node.child_by_field_name("key"), node.child_by_field_name("value"))
        elif t == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression":
                left = left.child_by_field_name("property")
            pair = (left, node.child_by_field_name("right"))
        if pair is not None and pair[0] is not None and pair[1] is not None:
            literal = _string(module, pair[1])
            name = module.text(pair[0]).strip("'\"")
            if literal is not None and pair[1].start_byte not in seen:
                snake = _CAMEL.sub("_", name)
                shape = judge._shape(literal)
                if shape is not None:
                    yield issue(pair[1], f"{shape} ({name})")
                elif (judge._SECRET_NAME.search(snake) and not judge._NOT_SECRET_NAME.search(snake)
                      and judge._looks_secret_value(literal)):
                    yield issue(pair[1], f"a secret value assigned to `{name}`")
        todo.extend(reversed(node.children))
    for node in literals:
        if node.start_byte not in seen:
            text = _string(module, node) or ""
            shape = judge._shape(text) if len(text) < 5000 else None
            if shape is not None:
                yield issue(node, shape)


def connection_passwords(module: JsModule, config: Any) -> Iterator[CodeIssue]:
    """A literal password in a database client's settings object (`mysql.createConnection({password: "..."})`,
    also one level down: knex's `connection: {...}`), reported even when it is a plain word; what looks like
    a secret anyway is the module-wide scan's (`hardcoded_secrets`) to report."""
    todo = [(config, 0)]
    while todo:
        node, depth = todo.pop()
        if node is None or node.type != "object":
            continue
        for pair in node.named_children:
            if pair.type != "pair":
                continue
            key = module.text(pair.child_by_field_name("key")).strip("'\"`")
            value = pair.child_by_field_name("value")
            literal = _string(module, value)
            if key in judge.CONNECTION_PASSWORD_KEYS and literal is not None and judge.connection_password(literal):
                yield CodeIssue("hardcoded-secret", "the database password is hard-coded in the source; load it "
                                "from Secrets Manager at init (or use IAM database authentication)",
                                Location(module.display, value.start_point[0] + 1, value.start_point[1] + 1))
            elif depth == 0 and value is not None and value.type == "object":
                todo.append((value, 1))
