"""Units of a scan replayed between runs (faasguard.unit_cache): after any change -- a handler, a module it
imports, a template, a file added or deleted, the configuration, faasguard's version, a damaged entry -- the
report is the one a scan without the cache gives, field by field, while the units the change does not touch
are replayed rather than recomputed. Run on a copy of real applications from the corpus."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faasguard import scan_cache, unit_cache
from faasguard.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "serverless-patterns"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/serverless-patterns")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside this checkout "
                                  "(its README: tests that use it skip where ../shared is absent)")
APPS = (
    "activemq-lambda",  # SAM, Python handler with requirements.txt
    "apigw-cognito-certificate-bound-access-token",  # SAM, two handlers in a package
    "apigw-http-api-lambda-rds-proxy",  # SAM
    "apigw-data-validation-tf",  # Terraform
    "apigw-s3-lambda-sls-py",  # Serverless Framework
)
FORMATS = ("json", "sarif", "html", "concise", "junit", "gitlab", "github")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache, with units kept from the first run (`unit_cache.wanted`'s own policy -- none on a command
    line's first scan -- is tested on its own below)."""
    monkeypatch.delenv("FAASGUARD_NO_CACHE", raising=False)
    monkeypatch.setattr(unit_cache, "wanted", lambda base: True)
    directory = tmp_path / "cache"
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(directory))
    return directory / f"scan-v{scan_cache.CACHE_FORMAT}"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not beside this checkout (its README: skip where ../shared is absent)")
    root = tmp_path / "tree"
    for name in APPS:
        shutil.copytree(CORPUS / name, root / name)
    monkeypatch.chdir(root)
    return root


class Counted:
    """How many units a run replayed and how many it computed (in this process)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.replayed = self.computed = 0
        lookup, store = unit_cache.UnitCache.lookup, unit_cache.UnitCache.store

        def counted_lookup(cache: unit_cache.UnitCache, key: str) -> Any:
            found = lookup(cache, key)
            if found is not None:
                self.replayed += 1
            return found

        def counted_store(cache: unit_cache.UnitCache, key: str, recorder: Any, payload: Any) -> None:
            self.computed += 1
            store(cache, key, recorder, payload)

        monkeypatch.setattr(unit_cache.UnitCache, "lookup", counted_lookup)
        monkeypatch.setattr(unit_cache.UnitCache, "store", counted_store)

    def reset(self) -> None:
        self.replayed = self.computed = 0


def report(*extra: str, fmt: str = "json") -> str:
    outcome = CliRunner().invoke(main, ["scan", ".", "--format", fmt, "--jobs", "1", *extra])
    assert outcome.exit_code in (0, 1), outcome.output
    return outcome.stdout


def parsed(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    document["summary"].pop("duration_seconds", None)
    return document


def assert_identical(cache: Path, *extra: str) -> dict[str, Any]:
    """The cached run's report (the whole-scan entry dropped first, so that units answer) against a run
    without the cache, field by field."""
    for entry in cache.glob("*.json"):
        entry.unlink()
    cached = parsed(report(*extra))
    fresh = parsed(report("--no-cache", *extra))
    assert cached.keys() == fresh.keys()
    for key in fresh:
        assert cached[key] == fresh[key], key
    return cached


def findings(document: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in document["findings"]}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    return Counted(monkeypatch)


def test_every_change_is_rescanned_as_without_the_cache(cache: Path, tree: Path, counted: Counted) -> None:
    first = assert_identical(cache)
    units = counted.computed
    # the discovery, three templates, the Serverless and Terraform loader runs, five applications
    assert units == 1 + 3 + 2 + 5
    counted.reset()
    assert assert_identical(cache) == first
    assert (counted.replayed, counted.computed) == (units, 0)

    # a handler edited: that application's analysis again, and nothing else -- its template's load unit, which
    # only asked whether the handler file is there (a probe by kind), is replayed, its application a skeleton
    handler = tree / "activemq-lambda" / "mq_listener" / "app.py"
    handler.write_text(handler.read_text().replace('    print(f"context={context}")\n',
                                                   '    import os\n    os.system(event["cmd"])\n'))
    counted.reset()
    edited = assert_identical(cache)
    assert ("FG501", "activemq-lambda/mq_listener/app.py", 8) in findings(edited) - findings(first)
    assert (counted.computed, counted.replayed) == (1, units - 1)

    # a module the handler imports: missing first, then added, then edited with the same size
    handler.write_text(handler.read_text().replace("import os\n    os.system", "import helper\n    helper.go"))
    helper = handler.parent / "helper.py"
    counted.reset()
    missing = assert_identical(cache)
    assert ("FG501", "activemq-lambda/mq_listener/app.py", 8) not in findings(missing)
    helper.write_text("import os\n\n\ndef go(cmd):\n    os.system(cmd)\n")
    counted.reset()
    added = assert_identical(cache)
    assert ("FG501", "activemq-lambda/mq_listener/helper.py", 5) in findings(added)
    assert counted.computed >= 1
    stat = helper.stat()
    helper.write_text("import os\n\n\ndef go(cmd):\n    os.getenv(cmd)\n")
    os.utime(helper, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    counted.reset()
    assert ("FG501", "activemq-lambda/mq_listener/helper.py", 5) not in findings(assert_identical(cache))
    assert counted.computed >= 1

    # a template edited: its load unit and its application's analysis; the discovery, which read its head, only
    # classifies it again (`UnitCache._reclassified`: still a template), on every run until more files than
    # `_RESTORE_AFTER` changed, when it is stored again as it is now
    template = tree / "apigw-http-api-lambda-rds-proxy" / "template.yaml"
    template.write_text(template.read_text().replace("Timeout: 30", "Timeout: 900"))
    counted.reset()
    longer = assert_identical(cache)
    assert ("FG401", "apigw-http-api-lambda-rds-proxy/template.yaml", 36) in findings(longer)
    assert (counted.computed, counted.replayed) == (2, units - 3)
    counted.reset()
    assert assert_identical(cache) == longer
    assert (counted.computed, counted.replayed) == (0, units - 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(unit_cache, "_RESTORE_AFTER", 0)
        counted.reset()
        assert assert_identical(cache) == longer
    counted.reset()
    assert assert_identical(cache) == longer
    assert (counted.computed, counted.replayed) == (0, units)

    # a file added in a directory the scan listed (a new application), and one deleted
    shutil.copytree(CORPUS / "apigw-cors-proxy", tree / "apigw-cors-proxy")  # (tree skips without the corpus)
    counted.reset()
    assert assert_identical(cache)["summary"]["applications"] == len(APPS) + 1
    assert counted.computed >= 2
    (tree / "apigw-s3-lambda-sls-py" / "process_s3_data.py").unlink()
    counted.reset()
    assert_identical(cache)
    assert counted.computed >= 1


def test_a_configuration_change_and_a_new_version_recompute_the_units(
        cache: Path, tree: Path, counted: Counted, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_identical(cache)
    (tree / ".faasguard.toml").write_text('ignore = ["FG107"]\nmax_timeout = 60\n'
                                          'exclude = ["activemq-lambda/mq_listener/"]\n')
    counted.reset()
    configured = assert_identical(cache)
    assert not [f for f in configured["findings"] if f["rule_id"] == "FG107"]
    assert any("is excluded by `exclude`" in d["message"] for d in configured["diagnostics"])
    assert counted.computed > 0  # the configuration is part of every unit's key
    counted.reset()
    assert assert_identical(cache) == configured  # the excluded handler's application read back in full
    assert counted.computed == 0

    monkeypatch.setattr(scan_cache, "__version__", "999.0")
    counted.reset()
    assert_identical(cache)
    assert counted.replayed == 0


def test_damaged_units_and_applications_are_recomputed(cache: Path, tree: Path, counted: Counted) -> None:
    assert_identical(cache)
    for entry in (cache / "units").glob("*.json"):
        entry.write_bytes(entry.read_bytes()[:-10])
    counted.reset()
    assert_identical(cache)
    assert counted.replayed == 0

    # a stored application read back for an analysis that must run again: damaged, the scan starts over
    for blob in (cache / "apps").glob("*.json"):
        blob.write_bytes(blob.read_bytes().replace(b'"', b"'", 1))
    handler = tree / "apigw-http-api-lambda-rds-proxy" / "src" / "app.py"
    handler.write_text(handler.read_text() + "\n# edited\n")
    assert_identical(cache)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_format_of_a_replayed_scan_is_the_same(cache: Path, tree: Path, fmt: str) -> None:
    """Replayed applications are skeletons (`unit_cache.skeleton`): every reporter must render them alike."""
    report(fmt=fmt)
    for entry in cache.glob("*.json"):
        entry.unlink()
    replayed, fresh = report(fmt=fmt), report("--no-cache", fmt=fmt)
    if fmt == "json":
        assert parsed(replayed) == parsed(fresh)
    else:
        assert _without_duration(replayed) == _without_duration(fresh)


def _without_duration(text: str) -> str:
    """The report without when and how long the scan ran (HTML's summary, JUnit's `time`, GitLab's times)."""
    import re

    return re.sub(r'"duration_seconds": ?[0-9.]+|time="[0-9.]+"|"(?:start|end)_time": ?"[^"]*"', "", text)


def test_units_analysed_in_worker_processes_are_stored_and_replayed(
        cache: Path, tree: Path, counted: Counted) -> None:
    first = parsed(report("--jobs", "2"))
    assert len(list((cache / "units").glob("[0-9a-f]*.json"))) == 11  # the workers' analyses are there too
    counted.reset()
    for entry in cache.glob("*.json"):
        entry.unlink()
    assert parsed(report("--jobs", "2")) == first
    assert (counted.replayed, counted.computed) == (11, 0)

    # a worker's unit holds what the worker read: the handler edit is seen
    handler = tree / "apigw-cognito-certificate-bound-access-token" / "handlers" / "authorizer.py"
    handler.write_text(handler.read_text().replace("get_unverified_claims", "get_unverified_header"))
    for entry in cache.glob("*.json"):
        entry.unlink()
    edited = parsed(report("--jobs", "2"))
    fresh = parsed(report("--no-cache", "--jobs", "2"))
    assert edited == fresh
    assert ("FG512", "apigw-cognito-certificate-bound-access-token/handlers/authorizer.py", 70) \
        not in findings(edited)


def test_a_change_analysed_beside_the_replay_is_the_same_report(
        cache: Path, tree: Path, counted: Counted, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """With two processes allowed, the applications a change touches are analysed in a forked child while this
    process decodes the replayed ones (`parallel.run_beside`): the report is a scan's without the cache, the
    child's units are stored (the next run replays everything), and an outcome that does not decode is
    analysed here instead."""
    import logging

    from faasguard import parallel

    monkeypatch.setattr(parallel, "BESIDE_MIN_REPLAYS", 1)  # five applications here, hundreds on the corpus
    assert_identical(cache, "--jobs", "2")
    units = len(list((cache / "units").glob("[0-9a-f]*.json")))  # (stored in this process and in workers)
    handler = tree / "activemq-lambda" / "mq_listener" / "app.py"
    handler.write_text(handler.read_text().replace('    print(f"context={context}")\n',
                                                   '    import os\n    os.system(event["cmd"])\n'))
    caplog.set_level(logging.DEBUG, logger="faasguard.parallel")
    counted.reset()
    edited = assert_identical(cache, "--jobs", "2")
    assert ("FG501", "activemq-lambda/mq_listener/app.py", 8) in findings(edited)
    forked = [r.getMessage() for r in caplog.records if "beside the replay" in r.getMessage()]
    assert forked[:1] == ["1 worker(s) forked for 1 applications beside the replay"]
    counted.reset()
    assert assert_identical(cache, "--jobs", "2") == edited
    assert (counted.replayed, counted.computed) == (units, 0)  # the child's unit was stored

    # a replayed outcome that does not decode: analysed here, the report unchanged
    real = unit_cache.UnitCache.decode_analysis
    undecodable: list[int] = []

    def damaged(payload: Any) -> Any:
        if not undecodable:
            undecodable.append(1)
            return None
        return real(payload)

    monkeypatch.setattr(unit_cache.UnitCache, "decode_analysis", staticmethod(damaged))
    handler.write_text(handler.read_text() + "\n# edited again\n")
    assert assert_identical(cache, "--jobs", "2") == edited
    assert undecodable


def test_a_file_whose_type_changes_is_discovered_again(cache: Path, tree: Path, counted: Counted) -> None:
    """The stored discovery stands after an edit only while every edited file keeps its type: a YAML file that
    becomes a template, and a template that stops being one, make the walk run again (a stored unit), as does
    an edit to a file the walk reads for something else (a CDK output's `manifest.json`)."""
    other = tree / "activemq-lambda" / "extra.yaml"
    other.write_text("settings:\n  retries: 3\n")
    first = assert_identical(cache)
    assert "activemq-lambda/extra.yaml" not in [source["path"] for source in first["sources"]]

    other.write_text('AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources:\n'
                     "  ExtraFn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                     "      CodeUri: mq_listener/\n      Handler: app.lambda_handler\n      Runtime: python3.12\n")
    counted.reset()
    became = assert_identical(cache)
    assert {"path": "activemq-lambda/extra.yaml", "type": "cloudformation"} in became["sources"]
    assert became["summary"]["applications"] == first["summary"]["applications"] + 1
    assert counted.computed >= 3  # the discovery, the new template's load unit, its application's analysis

    other.write_text("settings:\n  retries: 4\n" + "#" * 400 + "\n")
    counted.reset()
    again = assert_identical(cache)
    assert again["sources"] == first["sources"]
    assert counted.computed >= 1

    build = tree / "apigw-data-validation-tf" / "build"
    build.mkdir()
    (build / "manifest.json").write_text('{"version": "36.0.0", "artifacts": {}}')
    assert {"path": "apigw-data-validation-tf/build", "type": "cdk"} not in assert_identical(cache)["sources"]
    (build / "manifest.json").write_text('{"version": "36.0.0", "artifacts": {"a": {"type": '
                                         '"aws:cloudformation:stack"}}}')
    counted.reset()
    assert {"path": "apigw-data-validation-tf/build", "type": "cdk"} in assert_identical(cache)["sources"]
    assert counted.computed >= 1


def test_a_python_file_that_becomes_handler_shaped_is_seen(cache: Path, tree: Path, counted: Counted) -> None:
    """The bare-handler pre-filter's memo (`UnitCache.shapes`) answers only for a file whose stat signature
    is unchanged; the file then still counts as read (the whole-scan entry lists it)."""
    tool = tree / "apigw-data-validation-tf" / "tools" / "build.py"
    tool.parent.mkdir()
    tool.write_text("def build(target):\n    return target\n")
    first = assert_identical(cache)
    assert list((cache / "units").glob("memo-*.json"))
    stat = tool.stat()
    tool.write_text("def handler(e, context):\n    return e\n")  # the same size
    os.utime(tool, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = assert_identical(cache)
    assert second["summary"]["applications"] == first["summary"]["applications"] + 1
    (entry,) = [json.loads(e.read_bytes().split(b"\n", 1)[1]) for e in cache.glob("*.json")]
    assert str(tool) in [path for path, _, _ in entry["files"]]
    tool.write_text("def handler(e, context):\n    return 1\n")
    assert parsed(report()) == parsed(report("--no-cache"))


def test_a_requirements_file_edited_is_an_input_of_its_applications_analysis(
        cache: Path, tree: Path, counted: Counted) -> None:
    """The dependency analysis reads the handler's requirements file: pinning a version with a known advisory
    re-runs that application's analysis (FG601 appears, FG602 goes), and nothing else."""
    first = assert_identical(cache)
    units = counted.computed
    requirements = tree / "activemq-lambda" / "mq_listener" / "requirements.txt"
    assert ("FG601", "activemq-lambda/mq_listener/requirements.txt", 1) not in findings(first)
    requirements.write_text("requests==2.19.0\n")
    counted.reset()
    pinned = assert_identical(cache)
    assert ("FG601", "activemq-lambda/mq_listener/requirements.txt", 1) in findings(pinned)
    assert counted.computed == 1
    assert counted.replayed == units - 1
    requirements.write_text("requests\n")  # back as it was: the first report again
    counted.reset()
    assert assert_identical(cache) == first


def test_select_is_part_of_every_units_key(cache: Path, tree: Path, counted: Counted) -> None:
    """`--select` changes which rules run and which enrichers they need: a narrowed run recomputes its units
    (it replays none of the full run's) and then replays its own; the full run's units are still there."""
    full = assert_identical(cache)
    units = counted.computed
    counted.reset()
    narrowed = assert_identical(cache, "--select", "FG5")
    assert {f["rule_id"][:3] for f in narrowed["findings"]} == {"FG5"}
    assert narrowed["findings"] == [f for f in full["findings"] if f["rule_id"].startswith("FG5")]
    assert counted.replayed == 0
    counted.reset()
    assert assert_identical(cache, "--select", "FG5") == narrowed
    assert counted.computed == 0
    counted.reset()
    assert assert_identical(cache) == full
    assert (counted.replayed, counted.computed) == (units, 0)


def test_a_hit_refreshes_a_units_age_once_a_day(cache: Path, tree: Path) -> None:
    """A unit replayed, and the stored application behind a replayed skeleton, are kept by the pruning: one
    more than a day old has its modification time moved to now by the hit; a younger one is left as it is (a
    hit costs no write)."""
    assert_identical(cache)
    entries = sorted((cache / "units").glob("[0-9a-f]*.json")) + sorted((cache / "apps").glob("*.json"))
    old = time.time() - 3 * 86400
    recent = time.time() - 3600
    for index, entry in enumerate(entries):
        os.utime(entry, (old, old) if index % 2 else (recent, recent))
    assert_identical(cache)
    for index, entry in enumerate(entries):
        mtime = entry.stat().st_mtime
        if index % 2:
            assert mtime > time.time() - 600, entry
        else:
            assert mtime == pytest.approx(recent, abs=1), entry
    # every one was used by the run (a stored application through its replayed skeleton): none is pruned
    assert unit_cache.prune(max_age_days=2) == 0


def test_a_suppression_comment_added_to_a_file_known_to_hold_none_is_read(cache: Path, tree: Path) -> None:
    """The filter's memo of the files that hold no suppression marker (`UnitCache.fact`, kind "unmarked")
    answers only while a file's stat signature is unchanged: a comment added to a handler then suppresses its
    finding on the next run, and one added to a file without a finding is reported unused, as without the
    cache. A remembered file still counts as read (the whole-scan entry lists it)."""
    first = assert_identical(cache)
    handler = tree / "activemq-lambda" / "mq_listener" / "app.py"
    (memo,) = (cache / "units").glob("memo-*.json")
    remembered = json.loads(memo.read_bytes().split(b"\n", 1)[1])["unmarked"]
    assert str(handler) in remembered
    (entry,) = [json.loads(e.read_bytes().split(b"\n", 1)[1]) for e in cache.glob("*.json")]
    assert str(handler) in [path for path, _, _ in entry["files"]]

    handler.write_text(handler.read_text().replace(
        '    print(f"context={context}")\n',
        '    import os\n    os.system(event["cmd"])  # faasguard: ignore[FG501] -- a test of the memo\n'))
    edited = assert_identical(cache)
    (finding,) = [f for f in edited["findings"]
                  if f["rule_id"] == "FG501" and f["location"]["path"] == "activemq-lambda/mq_listener/app.py"]
    assert finding["location"]["line"] == 8
    assert finding["suppression"]["justification"] == "a test of the memo"

    helper = tree / "apigw-s3-lambda-sls-py" / "process_s3_data.py"
    assert str(helper) in remembered
    helper.write_text(helper.read_text() + "# faasguard: ignore[FG104] -- nothing to suppress here\n")
    unused = assert_identical(cache)
    lines = len(helper.read_text().splitlines())
    assert [(d["location"]["path"], d["location"]["line"]) for d in unused["diagnostics"]
            if d["message"].startswith("unused")] == [("apigw-s3-lambda-sls-py/process_s3_data.py", lines)]
    assert not [d for d in first["diagnostics"] if d["message"].startswith("unused")]


def test_container_images_see_whole_applications(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 counted: Counted) -> None:
    """Binding images to applications reads fields a replayed skeleton leaves out: they are read back first."""
    root = tmp_path / "images"
    for name in ("image-function", "vulnerable-app"):
        shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / name, root / name)
    monkeypatch.chdir(root)
    first = assert_identical(cache)
    assert any(f["rule_id"].startswith("FG8") or "image" in f["message"] for f in first["findings"])
    counted.reset()
    assert assert_identical(cache) == first
    assert counted.computed == 0

    from faasguard import pipeline
    from faasguard.config import Config

    def scan() -> tuple[unit_cache.UnitCache, Any]:
        units = unit_cache.UnitCache("images", scan_cache.excluded_prefixes(), (), None)
        return units, pipeline.scan(["."], Config(), units=units)

    scan()
    units, result = scan()
    assert units.replayed > 0
    assert not [app.name for app in result.apps if units.is_skeleton(app)]


SHARED_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../code/
      Handler: {module}.handler
      Runtime: python3.12
"""


def test_a_module_two_applications_import_is_an_input_of_both(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: Counted) -> None:
    """The second application's analysis finds the shared module already parsed (the process keeps parsed
    modules by stat signature) and only stats it: its unit must still list the module as read."""
    root = tmp_path / "shared"
    (root / "code").mkdir(parents=True)
    for name, module in (("First", "first"), ("Second", "second")):
        (root / name.lower()).mkdir()
        (root / name.lower() / "template.yaml").write_text(SHARED_TEMPLATE.format(name=name, module=module))
        (root / "code" / f"{module}.py").write_text(
            "import helpers\n\n\ndef handler(event, context):\n    helpers.run(event['cmd'])\n")
    helpers = root / "code" / "helpers.py"
    helpers.write_text("import os\n\n\ndef run(cmd):\n    os.system(cmd)\n")
    monkeypatch.chdir(root)
    first = assert_identical(cache)
    assert [f for f in first["findings"] if f["rule_id"] == "FG501"]
    stat = helpers.stat()
    helpers.write_text("import os\n\n\ndef run(cmd):\n    os.getenv(cmd)\n")  # same size, same mtime
    os.utime(helpers, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    counted.reset()
    second = assert_identical(cache)
    assert not [f for f in second["findings"] if f["rule_id"] == "FG501"]
    assert counted.computed >= 2  # both applications' analyses


def test_a_handler_two_templates_deploy_is_an_input_of_both_analyses(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: Counted) -> None:
    """Two templates deploying the same handler file: both load units only asked whether it is there and are
    replayed after an edit, but both applications' analyses read it and run again -- neither keeps the other's
    stale findings."""
    root = tmp_path / "twice"
    (root / "code").mkdir(parents=True)
    for name in ("First", "Second"):
        (root / name.lower()).mkdir()
        (root / name.lower() / "template.yaml").write_text(SHARED_TEMPLATE.format(name=name, module="shared"))
    handler = root / "code" / "shared.py"
    handler.write_text("import os\n\n\ndef handler(event, context):\n    os.system(event['cmd'])\n")
    monkeypatch.chdir(root)
    first = assert_identical(cache)
    assert sorted(f["function"] for f in first["findings"] if f["rule_id"] == "FG501") == ["First", "Second"]
    units = counted.computed
    handler.write_text("import os\n\n\ndef handler(event, context):\n    os.getenv(event['cmd'])\n")
    counted.reset()
    second = assert_identical(cache)
    assert not [f for f in second["findings"] if f["rule_id"] == "FG501"]
    assert (counted.computed, counted.replayed) == (2, units - 2)  # the two analyses; loads and discovery replayed


def test_no_cache_stores_no_unit(cache: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report("--no-cache")
    assert not (cache / "units").exists()
    monkeypatch.setenv("FAASGUARD_NO_CACHE", "1")
    report()
    assert not (cache / "units").exists()


def test_pruning_removes_unused_units_and_bounds_the_size(cache: Path, tree: Path) -> None:
    report()
    files = sorted((cache / "units").glob("*.json")) + sorted((cache / "apps").glob("*.json"))
    old = time.time() - (unit_cache.MAX_AGE_DAYS + 1) * 86400
    os.utime(files[0], (old, old))
    assert unit_cache.prune() == 1
    assert not files[0].exists()
    assert unit_cache.prune(max_bytes=0) == len(files) - 1
    assert not list(cache.glob("*/*.json"))
    # a run prunes at most once a day (the scan above did)
    units = unit_cache.UnitCache("prune", (), (), None)
    assert (cache / "units" / ".pruned").is_file()
    stale = cache / "units" / f"{'0' * 64}.json"
    stale.write_text("{}")
    os.utime(stale, (old, old))
    assert units.prune() == 0
    assert stale.exists()
    assert units.prune(now=time.time() + 2 * 86400) == 1  # a day later it looks again


def test_a_replayed_load_charges_the_scans_work_budget_as_the_load_did(cache: Path, tree: Path) -> None:
    """A hostile tree must be refused with the cache as without: the replay charges what the load charged,
    and is not used when the scan's budget no longer has room for it (the loader then runs, and refuses)."""
    from faasguard.config import Config
    from faasguard.loaders import LoadContext, LoadResult
    from faasguard.loaders import cloudformation as loader
    from faasguard.loaders._budget import Work
    from faasguard.sources import SourceFile, SourceType

    template = tree / "activemq-lambda" / "template.yaml"
    files = [SourceFile(SourceType.CLOUDFORMATION, template, "activemq-lambda/template.yaml", tree)]
    runs: list[int] = []

    def load(ctx: LoadContext) -> LoadResult:
        units = unit_cache.UnitCache("budget", scan_cache.excluded_prefixes(), (), None)

        def run() -> LoadResult:
            runs.append(1)
            return loader.load(files, ctx)

        return units.load("faasguard.loaders.cloudformation", files, ctx, run)

    first = LoadContext(config=Config(), cwd=tree, roots=(tree,))
    loaded = load(first)
    charged = first.budget._limits.nodes - first.budget.left(Work.NODES)
    assert charged > 1000
    replay = LoadContext(config=Config(), cwd=tree, roots=(tree,))
    assert load(replay).apps == [unit_cache.skeleton(app) for app in loaded.apps]
    assert runs == [1]
    assert replay.budget.left(Work.NODES) == first.budget.left(Work.NODES)

    tight = LoadContext(config=Config(), cwd=tree, roots=(tree,))
    from faasguard.model import Location

    tight.budget.charge(Work.NODES, tight.budget.left(Work.NODES) - charged // 2, Location("elsewhere"))
    refused = load(tight)
    assert runs == [1, 1]
    assert not refused.apps
    assert "work budget of the whole scan" in refused.diagnostics[0].message


def test_the_shipped_examples_are_rescanned_as_without_the_cache(cache: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  counted: Counted) -> None:
    """The same invalidations on the repository's own examples (SAM with Python and Node.js handlers, Serverless,
    Terraform), so that the units are tested wherever the suite runs, corpus or not."""
    root = tmp_path / "examples"
    for name in ("vulnerable-app", "secure-app", "parity"):
        shutil.copytree(EXAMPLES / name, root / name)
    monkeypatch.chdir(root)
    first = assert_identical(cache)
    units = counted.computed
    assert units >= 5
    counted.reset()
    assert assert_identical(cache) == first
    assert (counted.replayed, counted.computed) == (units, 0)

    handler = root / "secure-app" / "src" / "report" / "app.py"
    handler.write_text(handler.read_text().replace(
        "def handler(event, context):\n", "def handler(event, context):\n    os.system(event['cmd'])\n"))
    counted.reset()
    edited = assert_identical(cache)
    assert findings(edited) != findings(first)
    assert 1 <= counted.computed < units

    template = root / "vulnerable-app" / "template.yaml"
    template.write_text(template.read_text().replace(
        "          THUMBNAIL_BUCKET: !Ref ThumbnailsBucket\n",
        "          THUMBNAIL_BUCKET: !Ref ThumbnailsBucket\n"
        "          API_TOKEN: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n", 1))
    counted.reset()
    assert findings(assert_identical(cache)) != findings(edited)
    assert 1 <= counted.computed < units

    (root / "parity" / "terraform" / "main.tf").unlink()
    counted.reset()
    assert not any(path.startswith("parity/terraform") for _, path, _ in findings(assert_identical(cache)))


def test_units_are_kept_from_the_second_scan_of_a_command_line_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   counted: Counted) -> None:
    """A project scanned once (a CI job with an empty cache) pays nothing for units; the second scan of the same
    command line stores them, the third replays them; `cache clean` forgets the command lines seen."""
    monkeypatch.delenv("FAASGUARD_NO_CACHE", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("FAASGUARD_CACHE_DIR", str(cache))
    root = tmp_path / "app"
    shutil.copytree(EXAMPLES / "secure-app", root)
    monkeypatch.chdir(root)
    whole = cache / f"scan-v{scan_cache.CACHE_FORMAT}"

    def rescan() -> dict[str, Any]:
        for entry in whole.glob("*.json"):  # the whole-report entry, so that the scan runs
            entry.unlink()
        counted.reset()
        return parsed(report())

    first = rescan()
    assert (counted.replayed, counted.computed) == (0, 0)
    assert not list(unit_cache.units_dir().glob("*.json"))
    assert rescan() == first
    assert counted.replayed == 0
    assert counted.computed >= 2
    stored = counted.computed
    assert rescan() == first
    assert (counted.replayed, counted.computed) == (stored, 0)
    assert CliRunner().invoke(main, ["cache", "clean"]).exit_code == 0
    assert rescan() == first
    assert (counted.replayed, counted.computed) == (0, 0)


SIZE_READERS = {("loaders/cloudformation/_code.py", "_bundle_entry"), ("safeio.py", "read_regular")}
"""Where the loading code reads a file's size, each of a file it opens (so its content is an input anyway)."""


def test_the_loaders_read_no_size_of_a_file_they_do_not_open() -> None:
    """A load unit records its probes by kind, not size (`UnitCache.load`), so that an edited handler does not
    reload the template that only asked whether the handler is there. That is right while no loader reads the
    size of a file it does not also open: this lists every place the loading code reads a size. A new one must
    open what it measures, or the load units must record sizes again (`recording(sizes=True)`)."""
    import ast

    package = Path(unit_cache.__file__).resolve().parent
    modules = [*sorted((package / "loaders").rglob("*.py")), package / "sources.py", package / "safeio.py",
               package / "analysis" / "archive.py"]
    found: set[tuple[str, str]] = set()
    for module in modules:
        tree = ast.parse(module.read_text(), str(module))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if (isinstance(node, ast.Attribute) and node.attr in ("st_size", "getsize")) \
                        or (isinstance(node, ast.Name) and node.id == "getsize"):
                    found.add((module.relative_to(package).as_posix(), function.name))
    assert found == SIZE_READERS


def test_a_handler_edited_replays_its_templates_load_and_analyses_its_application_again(
        cache: Path, tree: Path, counted: Counted) -> None:
    """The application of an edited handler comes back from its load unit as a skeleton (its template did not
    change), but its analysis -- which read the handler -- must not be replayed: it runs again on the full
    application and finds what the edit introduced, in a report equal to a scan without the cache."""
    first = assert_identical(cache)
    units = counted.computed
    handler = tree / "apigw-http-api-lambda-rds-proxy" / "src" / "app.py"
    assert handler.is_file()
    text = handler.read_text()
    assert '    query = "select curdate() from dual"\n' in text
    handler.write_text(text.replace('    query = "select curdate() from dual"\n',
                                    '    query = "select * from t where id = " + event["id"]\n'))
    loads: list[str] = []
    load = unit_cache.UnitCache.load

    def watched(self: unit_cache.UnitCache, module_name: str, files: Any, ctx: Any, run: Any) -> Any:
        loaded = load(self, module_name, files, ctx, run)
        loads.extend(f"{f.display}:{'skeleton' if all(self.is_skeleton(a) for a in loaded.apps) else 'full'}"
                     for f in files)
        return loaded

    counted.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(unit_cache.UnitCache, "load", watched)
        edited = assert_identical(cache)
    assert "apigw-http-api-lambda-rds-proxy/template.yaml:skeleton" in loads
    new = findings(edited) - findings(first)
    assert ("FG503", "apigw-http-api-lambda-rds-proxy/src/app.py", 56) in new  # SQL built from the event
    assert (counted.computed, counted.replayed) == (1, units - 1)


def test_a_tampered_or_misplaced_unit_is_ignored(cache: Path, tree: Path, counted: Counted) -> None:
    """A unit is trusted only behind its SHA-256 and under its own key: a finding's text altered in place (its
    checksum line left as it was), or a sound entry copied over another unit's file, is recomputed -- the
    report is a scan's without the cache and nothing of the altered text reaches it."""
    first = assert_identical(cache)
    units = counted.computed
    message = first["findings"][0]["message"]
    target = message.encode()[:24]
    altered = [entry for entry in (cache / "units").glob("*.json") if target in entry.read_bytes()]
    assert altered
    for entry in altered:
        entry.write_bytes(entry.read_bytes().replace(target, target.swapcase()))
    counted.reset()
    again = assert_identical(cache)
    assert target.swapcase().decode() not in json.dumps(again)
    assert (counted.computed, counted.replayed) == (len(altered), units - len(altered))

    # a sound entry under another unit's name: its key field says whose it is
    entries = sorted((cache / "units").glob("*.json"), key=lambda p: p.stat().st_size)
    analyses = [entry for entry in entries if b'"findings"' in entry.read_bytes()]
    victim, impostor = analyses[0], analyses[-1]
    victim.write_bytes(impostor.read_bytes())
    counted.reset()
    assert assert_identical(cache) == again
    assert (counted.computed, counted.replayed) == (1, units - 1)
