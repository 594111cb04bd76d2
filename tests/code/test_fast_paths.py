"""The Python front end's shortcuts (issue 18) give what the general code they stand in for gives.

Each shortcut skips work the general code would do (a full tree walk, `ast.unparse`, eight regex searches,
path objects, system calls); these tests hold every one to the general answer on real code: the handler
fixtures and a slice of the standard library, always present where the tests run.
"""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest

from faasguard.analysis.code import analyze_file
from faasguard.analysis.code.core.values import LazyStep
from faasguard.analysis.code.python.modules import (
    Listings,
    _display,
    _statements,
    parse_module,
    resolve_import,
)
from faasguard.analysis.code.python.secrets import _nodes, _shape, hardcoded_secrets
from faasguard.analysis.code.python.syntax import _simple, unparse
from faasguard.findings import EvidenceStep
from faasguard.model import Location
from faasguard.sources import display_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "code"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _real_modules() -> list[ast.Module]:
    files = sorted(FIXTURES.rglob("*.py")) + sorted(STDLIB.glob("*.py"))[::6]
    trees = []
    for path in files:
        try:
            trees.append(ast.parse(path.read_bytes()))
        except (SyntaxError, ValueError):
            continue  # deliberately broken fixtures
    assert len(trees) > 250
    return trees


_TREES = _real_modules()


def test_simple_descriptions_equal_ast_unparse() -> None:
    covered = 0
    for tree in _TREES:
        for node in ast.walk(tree):
            if isinstance(node, ast.expr):
                text = _simple(node, 0)
                if text is not None:
                    covered += 1
                    assert text == ast.unparse(node), ast.dump(node)
    assert covered > 20_000  # the shortcut is taken for the common shapes, not vacuously


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("event", "event"),
        ("event['body']['id']", "event['body']['id']"),
        ("os.environ['TABLE']", "os.environ['TABLE']"),
        ("table.get_item(Key=key, ConsistentRead=True)", "table.get_item(Key=key, ConsistentRead=True)"),
        ("u'x'", "u'x'"),  # ast.unparse keeps the prefix: not a shortcut
        ("f(*args)", "f(*args)"),  # not a shortcut either
        ("a  [ 'x  y' ]", "a['x y']"),  # whitespace normalised as before
        ("json.loads(event.get('body') or '{}')", "json.loads(event.get('body') or '{}')"),
        ("a and b.c and d[0]", "a and b.c and d[0]"),
        ("(a or b).strip()", "(a or b).strip()"),  # parenthesised as a chain's base: not a shortcut
        ("f(a and b or c)", "f(a and b or c)"),  # a nested operation: not a shortcut
        ("f(x=None, y=True, z=False)", "f(x=None, y=True, z=False)"),
        ("d[None]", "d[None]"),
    ],
)
def test_unparse_text(source: str, text: str) -> None:
    assert unparse(ast.parse(source, mode="eval").body) == text


def test_secret_walk_keeps_literals_and_bindings_in_ast_walk_order() -> None:
    kept = (ast.Constant, ast.Assign, ast.AnnAssign, ast.keyword, ast.Dict, ast.Compare, ast.Call, ast.FunctionDef,
            ast.AsyncFunctionDef)
    for tree in _TREES:
        expected = [id(n) for n in ast.walk(tree) if isinstance(n, kept)]
        assert [id(n) for n in _nodes(tree)] == expected


@pytest.mark.parametrize(
    ("literal", "label"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "a private key"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "a Stripe live key"),
        ("ghp_" + "a" * 36, "a GitHub token"),
        ("github_pat_" + "b" * 40, "a GitHub token"),
        ("xoxb-" + "1234567890-abc", "a Slack token"),
        ("AIza" + "S" * 35, "a Google API key"),
        ("SG." + "c" * 22 + "." + "d" * 22, "a SendGrid key"),
        ("postgres://admin:s3cr3tpw@db.internal:5432/app", "credentials in a connection URL"),
        ("postgres://admin:changeme@db.internal/app", None),  # a placeholder password
        ("AKIA-not-a-key", None),
        ("ghp_short", None),
        ("https://example.com/path", None),
        ("a plain message", None),
    ],
)
def test_shapes_behind_the_anchor_search(literal: str, label: str | None) -> None:
    assert _shape(literal) == label


def test_hardcoded_secrets_located_and_ordered() -> None:
    source = (
        "import boto3\n"
        "DB_PASSWORD = 'hunter2-Very-Secret'\n"
        "SECRET_NAME = 'prod/db'\n"
        "def handler(event, context, api_key='k3y-V4lue-123'):\n"
        "    boto3.client('s3', aws_access_key_id='AKIAIOSFODNN7EXAMPLE')\n"
        "    return {'note': 'AKIAIOSFODNN7EXAMPLF'}\n"
    )
    found = [(i.message.split(" is hard-coded")[0], i.location.line, i.location.column)
             for i in hardcoded_secrets(ast.parse(source), "app.py")]
    assert found == [
        ("a secret value assigned to `DB_PASSWORD`", 2, 15),
        ("a secret value assigned to `api_key`", 4, 37),
        ("an AWS access key id (note)", 6, 21),
        ("an AWS access key id (aws_access_key_id)", 5, 42),
    ]


def test_function_index_walks_statements_like_ast_walk() -> None:
    for tree in _TREES:
        for node in tree.body:
            if isinstance(node, ast.If | ast.Try):
                expected = [n for n in ast.walk(node) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
                found = [n for n in _statements(node) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
                assert found == expected


@pytest.mark.parametrize("cwd", ["/a", "/a/b", "/", "/ab", "/a/b/c.py"])
def test_display_from_strings_equals_display_path(cwd: str) -> None:
    for text in ("/a/b/c.py", "/a/bc.py", "/a", "/a/b", "/x/y.py", "/", "/a/b/../c.py", "/ab/c.py"):
        path, base = Path(text), Path(cwd)
        assert _display(str(path), str(base), path, base) == display_path(path, base)


def test_parse_cache_keeps_the_display_of_each_directory(tmp_path: Path) -> None:
    module = tmp_path / "pkg" / "app.py"
    module.parent.mkdir()
    module.write_text("def handler(event, context):\n    return 1\n")
    assert parse_module(module, tmp_path).display == "pkg/app.py"
    assert parse_module(module, tmp_path / "pkg").display == "app.py"
    assert parse_module(module, tmp_path).display == "pkg/app.py"


def test_lazy_step_equals_the_written_step_and_writes_once() -> None:
    written: list[str] = []

    def text(a: str, b: str) -> str:
        written.append(a)
        return f"{a} = {b}"

    here = Location("app.py", 3, 5)
    lazy = LazyStep(text, ("x", "event['a']"), here)
    elsewhere = LazyStep(text, ("x", "event['a']"), Location("app.py", 4, 5))
    assert lazy != elsewhere  # different places differ without their text being written
    assert written == []
    eager = EvidenceStep("x = event['a']", here)
    assert lazy == eager
    assert eager == lazy
    assert hash(lazy) == hash(eager)
    assert lazy != EvidenceStep("x = event['b']", here)
    assert lazy.evidence() == eager
    assert type(lazy.evidence()) is EvidenceStep
    assert written == ["x"]  # written once, then kept


def test_flows_carry_written_steps_with_the_assignment_and_call_text(tmp_path: Path) -> None:
    """The facts hold plain `EvidenceStep`s (they are stored in the unit cache and compared across scans), with
    the text the assignments and calls of the flow are written in."""
    handler = tmp_path / "app.py"
    handler.write_text(
        "import json\n"
        "import subprocess\n"
        "\n"
        "def run(cmd):\n"
        "    subprocess.run(cmd, shell=True)\n"
        "\n"
        "def handler(event, context):\n"
        "    body = json.loads(event.get('body') or '{}')\n"
        "    name = body.get('name', 'x')\n"
        "    run(f'echo {name}')\n"
    )
    facts, _ = analyze_file(handler, "handler")
    assert facts is not None
    (flow,) = [f for f in facts.flows if f.kind == "shell"]
    assert [(type(s), s.description, s.location.line) for s in flow.hops] == [
        (EvidenceStep, "body = json.loads(event.get('body') or '{}')", 8),
        (EvidenceStep, "name = body.get('name', 'x')", 9),
        (EvidenceStep, "passed to run() (run(f'echo {name}'))", 10),
    ]


def test_import_lookups_from_listings_equal_file_system_lookups(tmp_path: Path) -> None:
    """`resolve_import` with directory listings finds what it finds asking the file system for every candidate:
    local modules and packages, relative imports, nothing for third-party or missing ones, and a directory it
    cannot list (a file given as a search root) is asked about as before."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "db.py").write_text("X = 1\n")
    (tmp_path / "helpers.py").write_text("Y = 2\n")
    (tmp_path / "lib" / "Mixed.py").write_text("")
    importer = tmp_path / "app.py"
    importer.write_text("import lib.db\n")
    roots = (tmp_path, tmp_path / "helpers.py", tmp_path / "missing")
    listings: Listings = {}
    cases = [("lib.db", 0), ("lib", 0), ("helpers", 0), ("json", 0), ("boto3.session", 0), ("lib.nope", 0),
             ("db", 1), ("lib.Mixed", 0), ("lib.mixed", 0), ("", 1), ("helpers.x", 0)]
    for module, level in cases:
        plain = resolve_import(module, level, importer if level == 0 else tmp_path / "lib" / "x.py", roots)
        listed = resolve_import(module, level, importer if level == 0 else tmp_path / "lib" / "x.py", roots,
                                listings=listings)
        assert listed == plain, module
    assert resolve_import("lib.db", 0, importer, roots, listings=listings) == tmp_path / "lib" / "db.py"
    assert resolve_import("json", 0, importer, roots, listings=listings) is None
    assert listings[tmp_path / "helpers.py"] is None  # not a directory: never rules a candidate out


def test_big_directories_are_not_listed(tmp_path: Path) -> None:
    big = tmp_path / "services"
    big.mkdir()
    for index in range(300):
        (big / f"svc{index}").mkdir()
    (big / "shared.py").write_text("")
    listings: Listings = {}
    importer = big / "svc1" / "app.py"
    assert resolve_import("shared", 0, importer, (big,), listings=listings) == big / "shared.py"
    assert resolve_import("json", 0, importer, (big,), listings=listings) is None
    assert listings[big] is None  # asked about by stat, as without listings


def test_taint_copies_keep_every_field() -> None:
    """The hand-written copies of a taint name every field (a field they forget would be reset to its default
    by the copy): each equals `dataclasses.replace` with the one change."""
    import dataclasses

    from faasguard.analysis.code.core.values import Taint

    here = Location("app.py", 2, 1)
    flipped = {f.name: not f.default for f in dataclasses.fields(Taint) if isinstance(f.default, bool)}
    taint = Taint("event", "event['a']", here, (EvidenceStep("x = event['a']", here),), 3, frozenset({"shell"}),
                  **flipped)
    assert taint.with_source("event.get('b')") == dataclasses.replace(taint, source="event.get('b')")
    assert taint.clean_for("path") == dataclasses.replace(taint, sanitized=frozenset({"shell", "path"}))
    step = EvidenceStep("y = x", Location("app.py", 3, 1))
    assert taint.step(step) == dataclasses.replace(taint, steps=(*taint.steps, step))
