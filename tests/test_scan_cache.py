"""The scan cache (faasguard.scan_cache): a re-run of an unchanged project replays the report of the run before
it; any change to what the scan read -- a file's content, a file added beside the others, a module that was
looked for and missing, an option -- runs the scan again; a damaged entry is ignored, never trusted."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from faasguard import pipeline, scan_cache
from faasguard.cli import main

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
"""
HANDLER = """\
import helpers


def handler(event, context):
    return helpers.run(event["name"])
"""
SHELL_HELPER = """\
import os


def run(name):
    os.system("echo " + name)
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FAASGUARD_NO_CACHE", raising=False)
    directory = tmp_path / "cache"
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(directory))
    return directory / f"scan-v{scan_cache.CACHE_FORMAT}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "project"
    (app / "src").mkdir(parents=True)
    (app / "template.yaml").write_text(TEMPLATE)
    (app / "src" / "app.py").write_text(HANDLER)
    monkeypatch.chdir(app)
    return app


class Counting:
    """Counts the scans that really ran (a replay runs none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs = 0
        real = pipeline.scan

        def scan(*args: object, **kwargs: object) -> object:
            self.runs += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pipeline, "scan", scan)


def run(*args: str) -> tuple[int, list[tuple[str, str, int]], str]:
    outcome = CliRunner().invoke(main, ["scan", *args, "--format", "json"])
    report = json.loads(outcome.stdout)
    return (outcome.exit_code,
            sorted((f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]),
            outcome.stdout)


def test_an_unchanged_project_is_replayed_and_a_changed_one_scanned(
        cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scans = Counting(monkeypatch)
    first = run(".")
    assert first[0] == 0
    assert [f for f in first[1] if f[0] == "FG501"] == []  # helpers.py does not exist yet
    (entry,) = cache.glob("*.json")
    assert scan_cache.first_change(json.loads(entry.read_bytes().split(b"\n", 1)[1])) is None
    assert run(".") == first
    assert scans.runs == 1

    # a module the import resolution looked for, and did not find, now exists
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)
    second = run(".")
    assert scans.runs == 2
    assert ("FG501", "src/helpers.py", 5) in second[1]
    assert run(".") == second
    assert scans.runs == 2

    # same size, same mtime, other content: the hash decides
    helper = project / "src" / "helpers.py"
    stat = helper.stat()
    moved = SHELL_HELPER.replace("import os\n\n\n", "import os\n") + "\n\n"
    assert len(moved) == len(SHELL_HELPER)
    helper.write_text(moved)
    os.utime(helper, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = run(".")
    assert scans.runs == 3
    assert ("FG501", "src/helpers.py", 3) in third[1]

    # touched, not changed: still replayed
    os.utime(helper, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert run(".") == third
    assert scans.runs == 3


def test_a_new_file_and_another_option_are_new_scans(
        cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scans = Counting(monkeypatch)
    run(".")
    (project / "src" / "other.py").write_text("def handler(event, context):\n    eval(event['x'])\n")
    assert ("FG502", "src/other.py", 2) in run(".")[1]
    assert scans.runs == 2
    selected = run(".", "--select", "FG4")
    assert scans.runs == 3
    assert {f[0][:3] for f in selected[1]} <= {"FG4"}
    run(".", "--no-cache")
    run(".", "--no-cache")
    assert scans.runs == 5


def test_directories_are_checked_by_their_signature_and_a_set_back_mtime_is_still_seen(
        cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A listed directory is stored with the stat signature it had just before it was listed, and a warm run
    compares that signature instead of listing it again; a new entry changes the directory's change time even
    when its modification time is set back, so the new file is still seen. Nothing is listed again when nothing
    changed. The scan cache's own files (entries, units, memos) are no inputs: the entry names none of them."""
    from faasguard import unit_cache

    monkeypatch.setattr(unit_cache, "wanted", lambda base: True)
    hour_ago = time.time_ns() - 3600 * 10**9
    for directory in (project, project / "src"):  # a directory changed seconds ago keeps no signature (below)
        os.utime(directory, ns=(hour_ago, hour_ago))
    scans = Counting(monkeypatch)
    first = run(".")
    (entry,) = [json.loads(e.read_bytes().split(b"\n", 1)[1]) for e in cache.glob("*.json")]
    src = str(project / "src")
    (stored,) = [item for item in entry["dirs"] if item[0] == src]
    assert stored[2] is not None
    assert stored[2][:2] == [os.stat(src).st_mtime_ns, os.stat(src).st_ctime_ns]
    listed: list[str] = []
    real = scan_cache._listing
    monkeypatch.setattr(scan_cache, "_listing", lambda path, report=None: listed.append(path) or real(path, report))
    assert run(".") == first
    assert (scans.runs, listed) == (1, [])

    before = os.stat(src)
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)
    os.utime(src, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(src).st_mtime_ns == before.st_mtime_ns
    second = run(".")
    assert scans.runs == 2
    assert ("FG501", "src/helpers.py", 5) in second[1]
    assert src in listed
    (entry,) = [json.loads(e.read_bytes().split(b"\n", 1)[1]) for e in cache.glob("*.json")]
    assert not [path for path, _, _ in entry["files"] if path.startswith(str(cache))]
    assert len(list(cache.glob("units/*.json"))) > 3  # units were read by the second run


@pytest.mark.parametrize("damage", ["truncate", "edit", "garbage"])
def test_a_damaged_entry_is_ignored(cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch,
                                    damage: str) -> None:
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)
    scans = Counting(monkeypatch)
    expected = run(".")
    assert expected[0] == 1
    (entry,) = cache.glob("*.json")
    raw = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "edit":
        # a forged clean report with a consistent JSON body, but the checksum line left as it was
        checksum, body = raw.split(b"\n", 1)
        data = json.loads(body)
        data["payload"]["report"]["text"] = '{"findings": []}'
        data["payload"]["exit"] = 0
        entry.write_bytes(checksum + b"\n" + json.dumps(data).encode())
    else:
        entry.write_bytes(b"\x80\x04garbage")
    assert run(".")[:2] == expected[:2]
    assert scans.runs == 2


def test_a_cache_inside_the_scanned_tree_is_not_used(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAASGUARD_NO_CACHE", raising=False)
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(project / ".cache"))
    scans = Counting(monkeypatch)
    run(".")
    run(".")
    assert scans.runs == 2
    assert not (project / ".cache").exists()


def test_cache_clean_removes_the_entries(cache: Path, project: Path) -> None:
    run(".")
    assert list(cache.glob("*.json"))
    assert not list(cache.glob("*/*.json"))  # a command line's first scan keeps no units (unit_cache.wanted)
    for entry in cache.glob("*.json"):
        entry.unlink()
    run(".")
    # the report; the discovery, the template's load unit, the application's analysis, the application and the
    # memo of what the files hold (`UnitCache.fact`)
    assert len(list(cache.glob("*/*.json"))) == 5
    assert len(list(cache.glob("units/memo-*.json"))) == 1
    outcome = CliRunner().invoke(main, ["cache", "clean"])
    assert outcome.exit_code == 0
    assert "removed 6 cached scan results " in outcome.output
    assert not list(cache.glob("**/*.json"))


def test_console_reports_are_replayed_for_the_terminal_they_are_shown_on(
        cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)
    scans = Counting(monkeypatch)
    monkeypatch.setenv("COLUMNS", "200")
    wide = CliRunner().invoke(main, ["scan", "."]).stdout
    monkeypatch.setenv("COLUMNS", "60")
    narrow = CliRunner().invoke(main, ["scan", "."]).stdout
    assert scans.runs == 1
    assert max(len(line) for line in narrow.splitlines()) <= 60 < max(len(line) for line in wide.splitlines())
    fresh = CliRunner().invoke(main, ["scan", ".", "--no-cache"]).stdout
    assert re.sub(r"in [0-9.]+ s", "", narrow) == re.sub(r"in [0-9.]+ s", "", fresh)  # the run's duration aside


def test_findings_are_identical_with_and_without_the_cache_on_many_apps(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app the test suite keeps, in one tree (~60 apps of every source kind): the first run records
    while it scans, and must find what an uncached run finds; the replay must give the same report."""
    tree = tmp_path / "many"
    shutil.copytree(ROOT / "examples" / "vulnerable-app", tree / "vulnerable-app")
    for name in ("rules", "paths", "loaders", "iam", "containers"):
        if (ROOT / "tests" / "fixtures" / name).is_dir():
            shutil.copytree(ROOT / "tests" / "fixtures" / name, tree / name, symlinks=True)
    monkeypatch.chdir(tree)
    scans = Counting(monkeypatch)
    uncached = run(".", "--no-cache")
    recorded = run(".")
    replayed = run(".")
    assert scans.runs == 2
    assert len(uncached[1]) > 200
    assert recorded[:2] == uncached[:2]
    assert replayed == recorded


def test_the_exit_codes_a_replay_uses_are_the_models() -> None:
    from faasguard import cli
    from faasguard.findings import ExitCode

    assert (cli._USAGE, cli._INTERNAL_ERROR) == (ExitCode.USAGE, ExitCode.INTERNAL_ERROR)


def test_a_config_error_is_never_cached(cache: Path, project: Path) -> None:
    (project / ".faasguard.toml").write_text('select = ["FG999999"]\n')
    for _ in range(2):
        outcome = CliRunner().invoke(main, ["scan", "."])
        assert outcome.exit_code == 2
    assert not list(cache.glob("*.json"))


def test_the_config_file_is_an_input(cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)
    scans = Counting(monkeypatch)
    assert ("FG501", "src/helpers.py", 5) in run(".")[1]
    (project / ".faasguard.toml").write_text('ignore = ["FG501"]\n')
    assert ("FG501", "src/helpers.py", 5) not in run(".")[1]
    assert scans.runs == 2


def test_the_advisory_database_is_an_input(cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`faasguard db update` writes `osv/PyPI.sqlite` in the cache directory: a scan before it and one after
    see different advisory data, so the first is not replayed for the second."""
    import zipfile

    from faasguard.analysis.deps.advisories import build_index, osv_dir

    (project / "src" / "requirements.txt").write_text("leakylib==1.0.0\n")
    scans = Counting(monkeypatch)
    assert not [f for f in run(".")[1] if f[0] == "FG601"]
    export = project.parent / "all.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("OSV-TEST-1.json", json.dumps({
            "id": "OSV-TEST-1", "summary": "leaks", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "leakylib"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}],
        }))
    osv_dir().mkdir(parents=True, exist_ok=True)
    build_index(export, osv_dir() / "PyPI.sqlite", "test export")
    assert [f for f in run(".")[1] if f[0] == "FG601"]
    assert scans.runs == 2


def test_a_report_written_into_the_scanned_tree_is_not_an_input(
        cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)
    scans = Counting(monkeypatch)
    for _ in range(3):
        outcome = CliRunner().invoke(main, ["scan", ".", "--format", "sarif", "-o", "results.sarif"])
        assert outcome.exit_code == 1
    assert scans.runs == 1
    assert "FG501" in (project / "results.sarif").read_text()


def test_the_first_run_in_a_new_cache_directory_is_replayed_too(
        cache: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first scan writes derived tables (IAM catalog, botocore operations) it first looked for: they are
    its own output, not inputs that changed."""
    (project / "src" / "app.py").write_text(HANDLER + "\nimport boto3\nboto3.client('s3').list_buckets()\n")
    assert not cache.parent.exists()
    scans = Counting(monkeypatch)
    run(".")
    run(".")
    assert scans.runs == 1


def test_what_the_import_system_reads_first_is_recorded_when_the_scan_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook skips already-recorded and excluded paths before it looks up the stack for the import system;
    a module imported first and then read by the scan (a handler directory on `sys.path`) is still an input,
    and a name looked for twice counts as first found."""
    import importlib
    import sys

    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "fg_recorded_module.py"
    module.write_text("VALUE = 1\n")
    monkeypatch.chdir(tmp_path)
    with scan_cache.recording() as recorder:
        importlib.import_module("fg_recorded_module")
        assert str(module) not in recorder.opened
        assert str(tmp_path) not in recorder.listed
        with open("fg_recorded_module.py", "rb"):
            pass
        os.listdir(".")
        assert not Path("later.txt").exists()
        Path("later.txt").write_text("x")
        assert Path("later.txt").exists()
        assert Path(tmp_path / "later.txt").is_file()
    sys.modules.pop("fg_recorded_module", None)
    assert recorder.opened == {str(module): scan_cache._signature(str(module))}
    assert recorder.listed == {str(tmp_path)}
    assert recorder.probed == {f"1{tmp_path / 'later.txt'}": ("missing", 0)}
    assert not recorder.incomplete


@pytest.mark.parametrize(("given", "expected"), [
    ("/p/app/template.yaml", "/p/app/template.yaml"),
    ("/p/app/../lib/x.py", "/p/lib/x.py"),
    ("/p//app/./x.py", "/p/app/x.py"),
    ("/p/app/", "/p/app"),
    ("/p/.hidden/x", "/p/.hidden/x"),
    ("src/app.py", "/work/src/app.py"),
    (".", "/work"),
    (b"/p/app.py", "/p/app.py"),
    (Path("/p/a/../app.py"), "/p/app.py"),
    ("/usr/lib/python3/os.py", None),
    ("/p/../usr/lib/x.py", None),
    ("/work/report.json", None),
    (3, None),
])
def test_recorded_paths_are_absolute_and_normal(given: object, expected: str | None) -> None:
    """Paths are recorded absolute and normalised, however the scan spelled them (the shortcut for paths
    already normal must agree with `os.path.normpath`), and the same spelling twice gives the same answer."""
    recorder = scan_cache.Recorder("/work", ("/usr/",), report="/work/report.json")
    assert recorder.absolute(given) == expected
    assert recorder.absolute(given) == expected


def test_a_directory_changed_seconds_before_the_scan_keeps_no_signature(cache: Path, project: Path) -> None:
    """Timestamps advance in ticks: an entry created in the tick in which the directory was listed leaves its
    modification time as recorded. A directory changed less than two seconds before its entry is stored is
    therefore compared by listing next time, and a file created that way is seen."""
    first = run(".")
    (entry,) = [json.loads(e.read_bytes().split(b"\n", 1)[1]) for e in cache.glob("*.json")]
    (stored,) = [item for item in entry["dirs"] if item[0] == str(project / "src")]
    assert stored[2] is None
    before = os.stat(project / "src")
    (project / "src" / "helpers.py").write_text(SHELL_HELPER)  # as if in the same tick: times set back
    os.utime(project / "src", ns=(before.st_atime_ns, before.st_mtime_ns))
    second = run(".")
    assert second != first
    assert ("FG501", "src/helpers.py", 5) in second[1]


@pytest.mark.parametrize(("path", "own"), [
    ("/home/u/.cache/faasguard", True),
    ("/home/u/.cache/faasguard/scan-v1/units/x.json", True),
    ("/home/u/.cache/faasguard-other/x", False),  # the same stem, another directory
    ("/home/u/.cache", False),
    ("/work/app/template.yaml", False),
])
def test_the_cache_directory_and_only_it_is_own(path: str, own: bool) -> None:
    recorder = scan_cache.Recorder("/work", (), own=("/home/u/.cache/faasguard/",))
    assert recorder.is_own(path) is own
    assert scan_cache.Recorder("/work", (), own=("/",)).is_own(path)


def test_the_report_file_is_left_out_of_its_own_directorys_listing_only(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.json").write_text("{}")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text("{}")
    with_report = scan_cache._listing(str(tmp_path / "a"))
    without = scan_cache._listing(str(tmp_path / "a"), str(tmp_path / "a" / "report.json"))
    assert without != with_report
    (tmp_path / "a" / "report.json").unlink()
    assert scan_cache._listing(str(tmp_path / "a")) == without
    assert scan_cache._listing(str(tmp_path / "a")) == scan_cache._listing(
        str(tmp_path / "b"), str(tmp_path / "b" / "report.json"))
    assert scan_cache._listing(str(tmp_path / "b"), str(tmp_path / "a" / "report.json")) \
        == scan_cache._listing(str(tmp_path / "b"))


@pytest.mark.parametrize("path", ["/a/b/c.py", "/a", "/", "//a/b", "//a", "///a", "/a/b/", "a/b", "a", "", "/a//b"])
def test_the_manifests_parent_is_dirname(path: str) -> None:
    assert scan_cache._parent(path) == os.path.dirname(path)
