"""Per-application analysis in forked workers (faasguard.parallel): the report is the same byte for byte as a
serial scan's, a small scan never forks, a worker that dies loses nothing, and what a worker read is in the
scan cache's manifest."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faasguard import parallel, pipeline, scan_cache
from faasguard.analysis import iam as iam_analysis
from faasguard.cli import main
from faasguard.config import Config, ConfigError, parse_config
from faasguard.findings import DiagnosticKind
from faasguard.report import FORMATS, prepare
from faasguard.result import ScanResult

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

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
SAFE_HANDLER = """\
def handler(event, context):
    return {"statusCode": 200}
"""
SHELL_HANDLER = """\
import os


def handler(event, context):
    os.system("echo " + event["name"])
"""


def _forked(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "faasguard.parallel" and "forked" in r.getMessage()]


def _scan(paths: list[Path], jobs: int | None) -> ScanResult:
    return pipeline.scan([str(p) for p in paths], Config(), jobs=jobs)


def _keys(result: ScanResult) -> tuple[list[Any], list[Any]]:
    return list(result.findings), list(result.diagnostics)


class _FrozenClock(datetime):
    """GitLab's report stamps its end with the rendering time to the second: two renders must not straddle one."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenClock:
        return cls(2026, 12, 6, 1, 0, 0, tzinfo=tz)


def test_every_report_format_is_identical_with_workers(caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG, logger="faasguard.parallel")
    monkeypatch.setattr("faasguard.report.gitlab.datetime", _FrozenClock)
    serial = _scan([EXAMPLES], jobs=1)
    assert not _forked(caplog)
    forked = _scan([EXAMPLES], jobs=2)
    assert _forked(caplog) == ["1 worker(s) forked for 6 applications"]
    assert len(serial.apps) == 7
    assert len(serial.findings) == 93
    assert _keys(forked) == _keys(serial)
    # the attack paths reporters read come back from the workers (HTML, JSON "paths", console's path section)
    assert [i for i, f in sorted(forked.facts.items()) if f.paths is not None] == list(range(7))
    forked.timings = serial.timings  # the duration each report shows
    for output_format in FORMATS:
        assert prepare(forked, output_format, Config()) == prepare(serial, output_format, Config()), output_format


def test_a_small_scan_never_forks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The pre-commit case: one template and its handler, and a handful of small applications, stay serial."""
    caplog.set_level(logging.DEBUG, logger="faasguard.parallel")
    for name in ("one", "two", "three"):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "template.yaml").write_text(TEMPLATE)
        (tmp_path / name / "src" / "app.py").write_text(SHELL_HANDLER)
    one = _scan([tmp_path / "one"], jobs=None)
    assert [(f.rule_id, f.location.line) for f in one.findings if f.rule_id == "FG501"] == [("FG501", 5)]
    three = _scan([tmp_path], jobs=None)
    assert len(three.apps) == 3
    assert not _forked(caplog)


def test_how_many_processes() -> None:
    big, small = [300.0, 300.0, 300.0], [5.0, 5.0]
    cpus = parallel.usable_cpus()
    assert parallel.plan_jobs(None, None, [10_000.0]) == 1  # one application is never split
    assert parallel.plan_jobs(None, None, small) == 1
    assert parallel.plan_jobs(None, None, big) == min(cpus, 3)
    assert parallel.plan_jobs(2, None, small) == 2  # asked for: taken as asked
    assert parallel.plan_jobs(8, None, small) == 2  # never more processes than applications
    assert parallel.plan_jobs(None, 1, big) == 1  # the config may lower it
    assert parallel.plan_jobs(3, 2, big) == 2
    assert parallel.plan_jobs(1, None, big) == 1
    assert parallel.heaviest_first([1.0, 9.0, 3.0, 9.0]) == [1, 3, 2, 0]


def test_the_jobs_config_key() -> None:
    assert parse_config({"jobs": 2}, "t").jobs == 2
    for bad in (0, -1, True, "2"):
        with pytest.raises(ConfigError, match="jobs must be a positive integer"):
            parse_config({"jobs": bad}, "t")


def test_a_config_in_the_scanned_tree_can_only_lower_jobs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="faasguard.parallel")
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES, tree)
    (tree / ".faasguard.toml").write_text("jobs = 1\n")
    (tree / ".git").mkdir()
    code = CliRunner().invoke(main, ["scan", str(tree), "--jobs", "2", "--format", "json", "--no-cache"]).exit_code
    assert code == 1
    assert not _forked(caplog)
    (tree / ".faasguard.toml").write_text("jobs = 8\n")
    assert CliRunner().invoke(main, ["scan", str(tree), "--jobs", "2", "--format", "json", "--no-cache"]).exit_code == 1
    assert _forked(caplog) == ["1 worker(s) forked for 6 applications"]


def _in_workers_only(monkeypatch: pytest.MonkeyPatch, module: Any, action: Callable[[], None]) -> None:
    """`module.enrich` does `action` first in a forked worker, and nothing different in this process: the
    children inherit the patch, so a worker really dies (or raises) where the parent does not."""
    parent, real = os.getpid(), module.enrich

    def enrich(*args: Any) -> Any:
        if os.getpid() != parent:
            action()
        return real(*args)

    monkeypatch.setattr(module, "enrich", enrich)


@pytest.mark.parametrize("death", ["killed", "raises"])
def test_a_worker_that_dies_loses_nothing(death: str, monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    serial = _scan([EXAMPLES], jobs=1)

    def die() -> None:
        if death == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise SystemExit(3)  # not an Exception: no component guard catches it, the worker ends

    _in_workers_only(monkeypatch, iam_analysis, die)
    caplog.set_level(logging.DEBUG, logger="faasguard.parallel")
    forked = _scan([EXAMPLES], jobs=2)
    assert _forked(caplog) == ["1 worker(s) forked for 6 applications"]
    lost = [r.getMessage() for r in caplog.records if "runs again here" in r.getMessage()]
    assert lost == [f"worker 1 exited with {-signal.SIGKILL if death == 'killed' else 1}; what it took runs again here"]
    assert _keys(forked) == _keys(serial)
    assert not [d for d in forked.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]


def test_what_fails_twice_is_named() -> None:
    """An application whose analysis raises in the worker and again in the retry here: `failed` names it, for
    the pipeline's internal-error diagnostic (exit 4); everything else is analysed."""
    def work(index: int) -> int:
        if index == 2:
            raise RuntimeError("broken everywhere")
        return index * 10

    run = parallel.run(work, lambda x: x, [5, 4, 3, 2, 1, 0], 2, first=0)
    assert run.workers == 1
    assert [(indices, str(exc)) for _, indices, exc in run.failed] == [([2], "broken everywhere")]
    # the worker that took it died of it, or this process took it itself
    assert run.failed[0][0] == ("worker 1" if run.lost else "the main process")
    assert run.outcomes == {0: 0, 1: 10, 3: 30, 4: 40, 5: 50}


def test_a_share_lost_twice_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise MemoryError("no memory left")

    real = pipeline.enrich
    names = {"vulnerable-app"}

    def enrich(app: Any, *args: Any, **kwargs: Any) -> Any:
        if any(name in app.name for name in names):
            broken()
        return real(app, *args, **kwargs)

    monkeypatch.setattr(pipeline, "enrich", enrich)
    result = _scan([EXAMPLES / "vulnerable-app", EXAMPLES / "secure-app"], jobs=2)
    errors = [(d.component, d.message) for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
    assert len(errors) == 1
    component, message = errors[0]
    assert component == "parallel analysis"
    assert "vulnerable-app" in message
    assert "MemoryError" in message


# ------------------------------------------------------------------------------------------ the scan cache

@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FAASGUARD_NO_CACHE", raising=False)
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


SAME_SIZE_SAFE_HANDLER = SAFE_HANDLER + "#" * (len(SHELL_HANDLER) - len(SAFE_HANDLER) - 1) + "\n"
"""A change of content, not of size: a stat of the file (which the scheduling's cost estimate makes) would
not see it; only the opened file's signature and digest in the manifest do."""


def _three_apps(root: Path) -> Path:
    for name in ("a", "b", "c"):
        (root / name / "src").mkdir(parents=True)
        (root / name / "template.yaml").write_text(TEMPLATE)
        (root / name / "src" / "app.py").write_text(SAME_SIZE_SAFE_HANDLER)
    return root


def _parent_takes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent analyses only the application it warms up with; every other one is taken by the worker, so
    their handlers are read in the worker only (else which process takes which is a race)."""
    parent, real = os.getpid(), parallel._taken

    def taken(chunks: Any, reader: int) -> Any:
        return iter(()) if os.getpid() == parent else real(chunks, reader)

    monkeypatch.setattr(parallel, "_taken", taken)


def _run(root: Path) -> tuple[int, list[tuple[str, str]]]:
    out = CliRunner().invoke(main, ["scan", str(root), "--jobs", "2", "--format", "json"])
    report = json.loads(out.output)
    return out.exit_code, sorted((f["rule_id"], Path(f["location"]["path"]).parent.parent.name)
                                 for f in report["findings"] if f["rule_id"] == "FG501")


def test_a_handler_read_only_in_a_worker_is_in_the_manifest(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="faasguard.parallel")
    root = _three_apps(tmp_path / "apps")
    _parent_takes_nothing(monkeypatch)
    assert _run(root) == (0, [])
    assert _forked(caplog) == ["1 worker(s) forked for 2 applications"]
    stored = next((cache / f"scan-v{scan_cache.CACHE_FORMAT}").glob("*.json")).read_bytes()
    entry = json.loads(stored.split(b"\n", 1)[1])
    handlers = {Path(path).parent.parent.name for path, _, _ in entry["files"] if path.endswith("app.py")}
    assert handlers == {"a", "b", "c"}
    # which application the parent warmed up with: the other two were read by the worker only
    (root / "b" / "src" / "app.py").write_text(SHELL_HANDLER)
    assert _run(root) == (1, [("FG501", "b")])


def test_without_the_merge_a_stale_report_would_be_replayed(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hazard the merge exists for, shown: the worker's reads left out, a changed handler goes unnoticed."""
    root = _three_apps(tmp_path / "apps")
    _parent_takes_nothing(monkeypatch)
    monkeypatch.setattr(scan_cache, "merge_recording", lambda recorded: None)
    assert _run(root) == (0, [])
    (root / "b" / "src" / "app.py").write_text(SHELL_HANDLER)
    assert _run(root) == (0, [])  # replayed: the stale report


def test_a_worker_recording_that_is_not_one_marks_the_recording_incomplete() -> None:
    with scan_cache.recording() as recorder:
        scan_cache.merge_recording(({"/x/y.py": None}, {"/x"}, {"1/x/z": ("missing", 0)}, False))
        assert recorder.opened == {"/x/y.py": None}
        assert recorder.listed == {"/x"}
        assert recorder.probed == {"1/x/z": ("missing", 0)}
        assert not recorder.incomplete
        scan_cache.merge_recording(None)
        assert recorder.incomplete


def test_code_facts_stay_in_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the attack graph crosses the pipe (the handler facts hold syntax trees nothing after the rules
    reads); the application the parent analysed keeps all of its facts."""
    root = _three_apps(tmp_path / "apps")
    _parent_takes_nothing(monkeypatch)
    forked = _scan([root], jobs=2)
    assert [bool(forked.facts[i].handlers) for i in range(3)] == [True, False, False]
    assert all(forked.facts[i].paths is not None for i in range(3))


def test_beside_runs_the_work_in_a_child_while_this_process_does_its_own() -> None:
    """`run_beside`: every index analysed in one forked child while `beside` runs here, once; the outcomes are
    the child's (reduced), in full."""
    parent = os.getpid()
    ran: list[int] = []

    def work(index: int) -> tuple[int, bool]:
        return index * 10, os.getpid() != parent

    run = parallel.run_beside(work, lambda outcome: outcome, [3, 1, 2], lambda: ran.append(os.getpid()))
    assert ran == [parent]
    assert (run.workers, run.lost, run.failed) == (1, [], [])
    assert run.outcomes == {1: (10, True), 2: (20, True), 3: (30, True)}


@pytest.mark.parametrize("death", ["killed", "raises"])
def test_beside_a_child_that_dies_loses_nothing(death: str) -> None:
    """A child that dies or raises: its indices are analysed here after `beside`; one that also fails here is
    named in `failed`."""
    parent = os.getpid()

    def work(index: int) -> int:
        if os.getpid() != parent:
            if death == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            raise SystemExit(3)
        if index == 2:
            raise RuntimeError("broken here too")
        return index

    run = parallel.run_beside(work, lambda outcome: outcome, [0, 1, 2], lambda: None)
    assert run.lost == ["worker 1"]
    assert run.outcomes == {0: 0, 1: 1}
    assert [(name, indices, str(exc)) for name, indices, exc in run.failed] == [("worker 1", [2], "broken here too")]


def test_beside_pays_only_with_two_processes_allowed_and_enough_to_replay() -> None:
    many = parallel.BESIDE_MIN_REPLAYS
    assert not parallel.beside_pays(None, None, 0, many)  # nothing to analyse
    assert not parallel.beside_pays(None, None, 1, many - 1)  # too little to decode meanwhile
    assert not parallel.beside_pays(1, None, 1, many)  # --jobs 1
    assert not parallel.beside_pays(4, 1, 1, many)  # `jobs = 1` in the config
    assert parallel.beside_pays(2, None, 1, many) is parallel.fork_available()
    assert parallel.beside_pays(None, None, 1, many) is (parallel.fork_available() and parallel.usable_cpus() >= 2)
