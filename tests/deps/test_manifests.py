"""Inventory of manifests, lockfiles and installed trees, on directories and zips; bad input → diagnostics."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from deps_helpers import zip_dir

from faasguard.analysis.deps._tree import DirTree, ZipTree, open_tree
from faasguard.analysis.deps.facts import Dependency, ManifestKind
from faasguard.analysis.deps.inventory import TreeInventory, inventory
from faasguard.findings import DiagnosticKind


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(root: Path, kind: str = "function", runtimes: tuple[str, ...] = ("python3.12",),
        allowed: tuple[Path, ...] = ()) -> TreeInventory:
    tree = open_tree(root, root.name)
    assert tree is not None
    return inventory(tree, kind, runtimes, (), allowed)


def deps_by_name(found: TreeInventory) -> dict[str, Dependency]:
    return {d.key: d for d in found.dependencies}


def test_requirements_every_line_kind(tmp_path: Path) -> None:
    root = write(tmp_path / "fn", {"requirements.txt": "\n".join([
        "# comment",
        "requests==2.25.0 --hash=sha256:aaaa \\",
        "    --hash=sha256:bbbb",
        "Django>=3.2,<4  # trailing comment",
        "boto3[crt]==1.34.0",
        "pkg-a===1.0.post1",
        "wild==1.*",
        "old-only==1.0; python_version < '3'",
        "new-only==2.0; python_version >= '3.12'",
        "arm-only==3.0; platform_machine == 'aarch64'",
        "https://files.example/pkgs/six-1.16.0-py2.py3-none-any.whl",
        "flask @ https://files.example/flask-2.0.0.tar.gz",
        "git+https://github.com/org/lib.git@v1.2#egg=lib",
        "git+https://github.com/org/pinned.git@0123456789abcdef0123456789abcdef01234567#egg=pinned",
        "-e ./local",
        "-e git+https://github.com/org/edit.git#egg=editable",
        "-i https://pypi.org/simple",
        "--extra-index-url https://example.org/simple",
        "./vendored/thing",
    ])})
    found = deps_by_name(run(root))
    assert found["requests"].version == "2.25.0"
    assert found["requests"].unpinned_reason is None
    assert found["requests"].location.line == 2
    assert found["django"].version is None
    assert "allows any matching version" in (found["django"].unpinned_reason or "")
    assert found["django"].location.line == 4
    assert found["boto3"].version == "1.34.0"
    assert found["pkg-a"].version == "1.0.post1"
    assert found["wild"].version is None
    assert found["wild"].unpinned_reason
    assert "old-only" not in found
    assert "new-only" in found
    assert "arm-only" not in found
    assert found["six"].version == "1.16.0"
    assert found["six"].unpinned_reason is None
    assert found["flask"].version == "2.0.0"
    assert found["lib"].unpinned_reason
    assert "branch or tag" in found["lib"].unpinned_reason
    assert found["pinned"].unpinned_reason is None
    assert "editable" in found
    assert found["editable"].unpinned_reason
    assert "local" not in found
    assert "thing" not in found
    assert not [d for d in run(root).diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]


@pytest.mark.parametrize(("line", "message"), [
    ("requests=2.25.0", "invalid requirement"),
    ("requests==", "invalid requirement"),
    ("--frobnicate", "unknown option"),
    ("requests==2.0 --no-index", "not allowed on a requirement line"),
    ("-r", "needs a file name"),
])
def test_lines_pip_rejects_are_located_diagnostics(tmp_path: Path, line: str, message: str) -> None:
    root = write(tmp_path / "fn", {"requirements.txt": f"attrs==23.2.0\n{line}\nsix==1.16.0\n"})
    found = run(root)
    errors = [d for d in found.diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]
    assert len(errors) == 1
    assert message in errors[0].message
    assert errors[0].location is not None
    assert errors[0].location.line == 2
    assert errors[0].location.path == "fn/requirements.txt"
    assert {"attrs", "six"} <= set(deps_by_name(found))  # nothing else lost


def test_includes_constraints_and_their_limits(tmp_path: Path) -> None:
    project = write(tmp_path / "project", {
        "fn/requirements.txt": "-r ../common.txt\n-c constraints.txt\nurllib3\n-r /etc/passwd\n-r ../../outside.txt\n",
        "fn/constraints.txt": "urllib3==1.26.5\n",
        "common.txt": "attrs==23.2.0\n-r common.txt\n",
    })
    write(tmp_path, {"outside.txt": "evil==1.0\n"})
    found = run(project / "fn", allowed=(project,))
    by_name = deps_by_name(found)
    assert by_name["attrs"].version == "23.2.0"
    assert by_name["attrs"].manifest.endswith("project/common.txt")
    assert by_name["urllib3"].version == "1.26.5"
    assert by_name["urllib3"].unpinned_reason is None
    assert "evil" not in by_name
    outside = [d for d in found.diagnostics if "outside the scanned project" in d.message]
    assert len(outside) == 2


def test_dev_requirement_files(tmp_path: Path) -> None:
    root = write(tmp_path / "fn", {"requirements.txt": "attrs==23.2.0\n", "requirements-dev.txt": "pytest\n",
                                   "dev-requirements.txt": "black\n", "requirements_test.txt": "tox\n"})
    found = deps_by_name(run(root))
    assert not found["attrs"].dev
    assert found["pytest"].dev
    assert found["black"].dev
    assert found["tox"].dev


def test_pyproject_with_and_without_lockfile(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "fn"\ndependencies = [\n  "requests>=2.0",\n  "attrs==23.2.0",\n]\n'
    unlocked = deps_by_name(run(write(tmp_path / "a", {"pyproject.toml": pyproject})))
    assert unlocked["requests"].unpinned_reason
    assert unlocked["requests"].location.line == 4
    assert unlocked["attrs"].version == "23.2.0"
    locked = deps_by_name(run(write(tmp_path / "b", {"pyproject.toml": pyproject, "uv.lock": "version = 1\n"})))
    assert locked["requests"].unpinned_reason is None


def test_poetry_lock(tmp_path: Path) -> None:
    lock = ('[[package]]\nname = "requests"\nversion = "2.25.0"\ndescription = "HTTP"\noptional = false\n'
            'python-versions = ">=3.7"\ngroups = ["main"]\n\n'
            '[[package]]\nname = "pytest"\nversion = "7.0.0"\ngroups = ["dev"]\n\n'
            '[[package]]\nname = "old-style"\nversion = "1.0"\ncategory = "dev"\n\n'
            '[metadata]\nlock-version = "2.0"\n')
    found = deps_by_name(run(write(tmp_path / "fn", {"poetry.lock": lock})))
    assert found["requests"].version == "2.25.0"
    assert found["requests"].location.line == 2
    assert found["requests"].kind is ManifestKind.POETRY_LOCK
    assert not found["requests"].dev
    assert found["pytest"].dev
    assert found["old-style"].dev
    assert found["pytest"].location.line == 10


def test_uv_lock_dev_reachability(tmp_path: Path) -> None:
    lock = ('version = 1\n\n'
            '[[package]]\nname = "fn"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
            'dependencies = [{ name = "requests" }]\n\n'
            '[package.dev-dependencies]\ndev = [{ name = "pytest" }]\n\n'
            '[[package]]\nname = "requests"\nversion = "2.25.0"\nsource = { registry = "https://pypi.org/simple" }\n'
            'dependencies = [{ name = "urllib3" }]\n\n'
            '[[package]]\nname = "urllib3"\nversion = "1.26.5"\nsource = { registry = "https://pypi.org/simple" }\n\n'
            '[[package]]\nname = "pytest"\nversion = "7.0.0"\nsource = { registry = "https://pypi.org/simple" }\n')
    found = deps_by_name(run(write(tmp_path / "fn", {"uv.lock": lock})))
    assert set(found) == {"requests", "urllib3", "pytest"}
    assert not found["urllib3"].dev
    assert found["pytest"].dev
    assert found["requests"].location.line == 13


def test_pipfile_lock(tmp_path: Path) -> None:
    lock = json.dumps({"_meta": {"hash": {"sha256": "x"}}, "default": {"requests": {"version": "==2.25.0"}},
                       "develop": {"pytest": {"version": "==7.0.0"}}}, indent=4)
    found = deps_by_name(run(write(tmp_path / "fn", {"Pipfile.lock": lock})))
    assert found["requests"].version == "2.25.0"
    assert not found["requests"].dev
    assert found["pytest"].dev
    assert found["requests"].location.line == lock.splitlines().index('        "requests": {') + 1


@pytest.mark.parametrize(("name", "text", "line"), [
    ("poetry.lock", '[[package]]\nname = "requests"\nversion = \n', 3),
    ("uv.lock", "version = 1\n[[package]\n", 2),
    ("Pipfile.lock", '{"default": {"requests": {"version": "==2.25.0"}},\n}', 2),
    ("package-lock.json", '{"lockfileVersion": 3,\n "packages": {\n', 3),
    ("package.json", "[1, 2]", 1),
    ("pyproject.toml", '[project]\ndependencies = ["requests>=2"\n', 3),
])
def test_broken_lockfiles_are_located_parse_errors(tmp_path: Path, name: str, text: str, line: int) -> None:
    found = run(write(tmp_path / "fn", {name: text, "requirements.txt": "attrs==23.2.0\n"}))
    errors = [d for d in found.diagnostics if d.kind is DiagnosticKind.PARSE_ERROR]
    assert len(errors) == 1, errors
    assert errors[0].location is not None
    assert errors[0].location.path == f"fn/{name}"
    assert errors[0].location.line == line
    assert "attrs" in deps_by_name(found)


def test_installed_dist_info_in_function_and_layer_layouts(tmp_path: Path) -> None:
    meta = "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n\nbody\nVersion: 9.9\n"
    fn = deps_by_name(run(write(tmp_path / "fn", {"PyYAML-5.3.dist-info/METADATA": meta})))
    assert fn["pyyaml"].version == "5.3"
    assert fn["pyyaml"].kind is ManifestKind.INSTALLED
    layer = write(tmp_path / "layer", {
        "python/lib/python3.12/site-packages/PyYAML-5.3.dist-info/METADATA": meta,
        "python/requests-2.25.0.dist-info/METADATA": "Name: requests\nVersion: 2.25.0\n",
        "nodejs/node_modules/lodash/package.json": '{"name": "lodash", "version": "4.17.20"}',
        "nodejs/node_modules/@scope/pkg/package.json": '{"name": "@scope/pkg", "version": "1.0.0"}',
        "nodejs/node_modules/a/node_modules/lodash/package.json": '{"name": "lodash", "version": "3.10.1"}',
        "nodejs/node18/node_modules/minimist/package.json": '{"name": "minimist", "version": "1.2.5"}',
    })
    found = run(layer, kind="layer")
    versions = sorted((d.key, d.version) for d in found.dependencies)
    assert versions == [("@scope/pkg", "1.0.0"), ("lodash", "3.10.1"), ("lodash", "4.17.20"),
                        ("minimist", "1.2.5"), ("pyyaml", "5.3"), ("requests", "2.25.0")]


def test_package_json_ranges_and_lockfiles(tmp_path: Path) -> None:
    package = json.dumps({"dependencies": {"lodash": "4.17.20", "express": "^4.18.2", "left-pad": "latest",
                                           "git-dep": "github:org/repo#v1", "pinned-git":
                                           "git+https://github.com/org/x.git#0123456789abcdef0123456789abcdef01234567",
                                           "aliased": "npm:real-name@^1.0.0", "local": "file:../lib"},
                          "devDependencies": {"jest": "^29.0.0"}}, indent=2)
    found = deps_by_name(run(write(tmp_path / "fn", {"package.json": package})))
    assert found["lodash"].version == "4.17.20"
    assert found["lodash"].unpinned_reason is None
    assert "no lockfile" in (found["express"].unpinned_reason or "")
    assert found["left-pad"].unpinned_reason
    assert "not a commit" in (found["git-dep"].unpinned_reason or "")
    assert found["pinned-git"].unpinned_reason is None
    assert "real-name" in found
    assert "local" not in found
    assert found["jest"].dev
    assert found["express"].location.line == package.splitlines().index('    "express": "^4.18.2",') + 1
    locked = deps_by_name(run(write(tmp_path / "locked", {"package.json": package, "yarn.lock": "# yarn\n"})))
    assert locked["express"].unpinned_reason is None
    assert "not a commit" in (locked["git-dep"].unpinned_reason or "")  # a lockfile does not pin a moving ref
    nested = write(tmp_path / "mono", {"yarn.lock": "", "packages/fn/package.json": package})
    assert deps_by_name(run(nested / "packages" / "fn", allowed=(nested,)))["express"].unpinned_reason is None


@pytest.mark.parametrize("version", [1, 2, 3])
def test_package_lock_versions(tmp_path: Path, version: int) -> None:
    v1 = {"lodash": {"version": "4.17.20"}, "jest": {"version": "29.0.0", "dev": True},
          "a": {"version": "1.0.0", "dependencies": {"minimist": {"version": "1.2.5"}}}}
    packages = {"": {"name": "fn", "dependencies": {"lodash": "4.17.20", "a": "1.0.0"}},
                "node_modules/lodash": {"version": "4.17.20"},
                "node_modules/jest": {"version": "29.0.0", "dev": True},
                "node_modules/a": {"version": "1.0.0"},
                "node_modules/a/node_modules/minimist": {"version": "1.2.5"},
                "node_modules/linked": {"link": True, "resolved": "../linked"}}
    data: dict[str, object] = {"name": "fn", "lockfileVersion": version}
    if version in (1, 2):
        data["dependencies"] = v1
    if version in (2, 3):
        data["packages"] = packages
    text = json.dumps(data, indent=2)
    found = run(write(tmp_path / "fn", {"package-lock.json": text}))
    versions = sorted((d.key, d.version, d.dev) for d in found.dependencies)
    assert versions == [("a", "1.0.0", False), ("jest", "29.0.0", True), ("lodash", "4.17.20", False),
                        ("minimist", "1.2.5", False)]
    lodash = next(d for d in found.dependencies if d.key == "lodash")
    needle = '"node_modules/lodash": {' if version > 1 else '"lodash": {'
    assert lodash.location.line == next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# ----------------------------------------------------------------------------------------------- zips

def test_layer_zip_read_in_memory(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {"python/requests-2.25.0.dist-info/METADATA": "Name: requests\nVersion: 2.25.0\n",
                                      "requirements.txt": "PyYAML==5.3\n"})
    archive = zip_dir(source, tmp_path / "deps.zip")
    tree = open_tree(archive, "layers/deps.zip")
    assert isinstance(tree, ZipTree)
    found = inventory(tree, "layer")
    by_name = deps_by_name(found)
    assert by_name["requests"].manifest == "layers/deps.zip!/python/requests-2.25.0.dist-info/METADATA"
    assert by_name["requests"].location.path == "layers/deps.zip"
    assert by_name["requests"].location.line == 1
    assert by_name["pyyaml"].version == "5.3"
    assert found.diagnostics == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps.zip", "src"]  # nothing extracted


def test_path_traversal_zip_is_reported_and_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../etc/cron.d/evil", "* * * * * root sh\n")
        zf.writestr("/abs/path.txt", "x")
        zf.writestr("python/requests-2.25.0.dist-info/METADATA", "Name: requests\nVersion: 2.25.0\n")
    found = inventory(ZipTree(archive, "evil.zip"), "layer")
    traversal = [d for d in found.diagnostics if "path-traversal" in d.message]
    assert len(traversal) == 1
    assert traversal[0].location is not None
    assert traversal[0].location.path == "evil.zip"
    assert "2 entries" in traversal[0].message
    assert deps_by_name(found)["requests"].version == "2.25.0"  # the rest still inventoried
    assert not (tmp_path.parent / "etc").exists()


def test_zip_bomb_member_is_not_decompressed(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("requirements.txt", "attrs==23.2.0\n" + "#" * (8 * 1024 * 1024))  # ratio ~1000:1
        zf.writestr("python/six-1.16.0.dist-info/METADATA", "Name: six\nVersion: 1.16.0\n")
    found = inventory(ZipTree(archive, "bomb.zip"), "layer")
    assert any("compression ratio" in d.message for d in found.diagnostics)
    assert set(deps_by_name(found)) == {"six"}


def test_zip_declaring_more_than_lambda_allows_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "huge.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("requirements.txt", "attrs==23.2.0\n")
    data = bytearray(archive.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)  # uncompressed size claimed in the central directory
    archive.write_bytes(bytes(data))
    found = inventory(ZipTree(archive, "huge.zip"), "layer")
    assert any("250 MB" in d.message and "zip bomb" in d.message for d in found.diagnostics)
    assert found.dependencies == []


def test_not_a_zip_is_a_parse_error(tmp_path: Path) -> None:
    archive = tmp_path / "layer.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    tree = open_tree(archive, "layer.zip")
    assert tree is not None
    found = inventory(tree, "layer")
    assert [d.kind for d in found.diagnostics] == [DiagnosticKind.PARSE_ERROR]


def test_symlink_leaving_the_package_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"secret/requirements.txt": "evil==1.0\n"})
    fn = write(tmp_path / "fn", {"app.py": ""})
    (fn / "requirements.txt").symlink_to(tmp_path / "secret" / "requirements.txt")
    found = run(fn)
    assert found.dependencies == []
    assert isinstance(open_tree(fn, "fn"), DirTree)


@pytest.mark.parametrize(("spec", "version", "pinned"), [
    ("^0.0.4", "0.0.4", True),   # npm: >=0.0.4 <0.0.5-0, one version only
    ("^0.0.12", "0.0.12", True),
    ("^0.3.0", None, False),     # >=0.3.0 <0.4.0
    ("~0.0.4", None, False),     # >=0.0.4 <0.1.0
    ("^0.0.4 || ^0.0.5", None, False),
])
def test_caret_on_a_zero_zero_version_is_exact(tmp_path: Path, spec: str, version: str | None, pinned: bool) -> None:
    package = json.dumps({"dependencies": {"serializer": spec}}, indent=2)
    dep = deps_by_name(run(write(tmp_path / "fn", {"package.json": package})))["serializer"]
    assert dep.version == version
    assert (dep.unpinned_reason is None) is pinned
