"""Org-wide runs: many independent *units* (an (account, region) of `faasguard audit --accounts`, a repository
checkout of `faasguard scan --repos`) run in parallel, on a local pool or on a Ray cluster, merged into one report.

The driver is the only writer of the units directory: each finished unit's JSON v1 report is written there and
recorded in the manifest (atomically) the moment its result arrives, so a driver killed at any point resumes
(`--resume`) without redoing a finished unit, whichever machine of the cluster ran it. A unit that fails is
recorded with its error under `failed` (never under `units`, so `--resume` retries it) and becomes one error
diagnostic of the merged report; the other units go on. The merged report is always built from the per-unit
files -- the ones run now and the ones finished earlier -- so a resumed run reports the whole organisation.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["FleetError", "FleetOptions", "FleetRun", "Outcome", "Unit", "run_units"]

MANIFEST = "manifest.json"

Backend = Literal["threads", "processes", "ray"]


class FleetError(Exception):
    """A usage-level problem (Ray not installed, cluster unreachable, bad units file): exit code 2."""


@dataclass(frozen=True)
class Unit:
    """One independent piece of an org-wide run. `key` names it in the manifest, `file` is its report's name in
    the units directory, `account` groups units under one per-account concurrency limit (None: no limit)."""

    key: str
    file: str
    work: Callable[[Any], dict[str, Any]]
    """A module-level function (it travels to Ray workers and process pools by reference)."""
    payload: Any
    account: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a unit sends back: its JSON v1 report text, or the error that stopped it after the retries."""

    key: str
    report: str | None
    error: str | None = None
    attempts: int = 1
    seconds: float = 0.0
    stats: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetOptions:
    units_dir: Path
    resume: bool = False
    backend: Backend = "threads"
    jobs: int = 4
    """Units in flight at once (local pool size; CPUs of the in-process Ray cluster)."""
    ray_address: str | None = None
    """None: an in-process local Ray cluster (`ray.init()`); else the address of a running one."""
    per_account: int = 2
    """Units of one account in flight at once (IAM and STS throttle per account)."""
    retries: int = 3
    """Further attempts after a transient error (throttling, connection, timeout)."""
    backoff: float = 1.0
    """Seconds before the first retry; doubled each time, with jitter."""


@dataclass
class FleetRun:
    documents: list[dict[str, Any]] = field(default_factory=list)
    """The JSON v1 report of every finished unit, in unit order (run now or resumed)."""
    failed: dict[str, str] = field(default_factory=dict)
    """key → error of the units that did not finish."""
    done_now: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0


ProgressHook = Callable[[int, int, int, int], None]
"""(units done, units total, findings so far, units failed)."""


def read_manifest(units_dir: Path) -> dict[str, Any]:
    path = units_dir / MANIFEST
    if not path.is_file():
        return {"version": 1, "units": {}, "failed": {}}
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {"version": 1, "units": {}, "failed": {}}
    data.setdefault("units", {})
    data.setdefault("failed", {})
    return data


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a kill never leaves half a file behind


def run_units(units: Sequence[Unit], options: FleetOptions, progress: ProgressHook | None = None) -> FleetRun:
    """Run every unit not finished already (per the manifest, with `resume`); return every finished report."""
    started = time.perf_counter()
    options.units_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = read_manifest(options.units_dir) if options.resume else \
        {"version": 1, "units": {}, "failed": {}}
    finished: dict[str, Any] = manifest["units"]
    run = FleetRun()
    pending = [u for u in units if not (u.key in finished and (options.units_dir / u.file).is_file())]
    run.resumed = [u.key for u in units if u not in pending]
    total, done, findings = len(units), len(run.resumed), 0
    for key in run.resumed:
        findings += int(finished[key].get("findings", 0))
    if progress:
        progress(done, total, findings, 0)

    def record(outcome: Outcome) -> None:
        nonlocal done, findings
        unit = by_key[outcome.key]
        for name, value in outcome.stats.items():
            run.stats[name] += value
        if outcome.report is None:
            run.failed[unit.key] = outcome.error or "unknown error"
            manifest["failed"][unit.key] = {"error": run.failed[unit.key], "attempts": outcome.attempts}
        else:
            _write_atomic(options.units_dir / unit.file, outcome.report)
            count = len(json.loads(outcome.report).get("findings", []))
            findings += count
            done += 1
            finished[unit.key] = {"file": unit.file, "findings": count, "attempts": outcome.attempts,
                                  "seconds": round(outcome.seconds, 3),
                                  "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            manifest["failed"].pop(unit.key, None)
            run.done_now.append(unit.key)
        _write_atomic(options.units_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        if progress:
            progress(done, total, findings, len(run.failed))

    by_key = {u.key: u for u in units}
    if pending:
        if options.backend == "ray":
            from faasguard.fleet._ray import run_on_ray

            outcomes: Iterable[Outcome] = run_on_ray(pending, options)
        else:
            outcomes = _run_local(pending, options)
        for outcome in outcomes:
            record(outcome)
    for unit in units:
        if unit.key in finished and unit.key not in run.failed:
            path = options.units_dir / unit.file
            try:
                run.documents.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                run.failed[unit.key] = f"its report {path} cannot be read: {exc}"
    run.seconds = time.perf_counter() - started
    return run


def windowed(units: Sequence[Unit], options: FleetOptions, submit: Callable[[Unit], Any],
             wait: Callable[[list[Any]], tuple[Any, Outcome]]) -> Iterator[Outcome]:
    """Submit units as slots free up: at most `jobs * 2` in flight (the driver holds few handles at 17,000
    units) and at most `per_account` of one account (throttling is per account). Shared by every backend."""
    queue = deque(units)
    in_flight: dict[Any, Unit] = {}
    per_account: dict[str | None, int] = defaultdict(int)
    limit = max(1, options.jobs * 2)
    while queue or in_flight:
        skipped: list[Unit] = []
        while queue and len(in_flight) < limit:
            unit = queue.popleft()
            if unit.account is not None and per_account[unit.account] >= options.per_account:
                skipped.append(unit)
                continue
            in_flight[submit(unit)] = unit
            per_account[unit.account] += 1
        queue.extendleft(reversed(skipped))
        handle, outcome = wait(list(in_flight))
        unit = in_flight.pop(handle)
        per_account[unit.account] -= 1
        yield outcome


def _run_local(units: Sequence[Unit], options: FleetOptions) -> Iterator[Outcome]:
    import concurrent.futures as cf

    from faasguard.fleet._attempt import attempt

    pool: cf.Executor
    if options.backend == "processes":
        import multiprocessing

        # spawn: no fork of a driver that may hold threads and locks (boto3, rich's refresh thread)
        pool = cf.ProcessPoolExecutor(options.jobs, mp_context=multiprocessing.get_context("spawn"))
    else:
        pool = cf.ThreadPoolExecutor(options.jobs, thread_name_prefix="faasguard-unit")

    def submit(unit: Unit) -> cf.Future[Outcome]:
        return pool.submit(attempt, unit.key, unit.work, unit.payload, options.retries, options.backoff)

    def wait(handles: list[cf.Future[Outcome]]) -> tuple[cf.Future[Outcome], Outcome]:
        done, _ = cf.wait(handles, return_when=cf.FIRST_COMPLETED)
        future = next(iter(done))
        try:
            return future, future.result()
        except Exception as exc:  # the worker process died (BrokenProcessPool): this unit failed, not the run
            return future, Outcome(in_flight_key(future), None, f"{type(exc).__name__}: {exc}")

    keys: dict[int, str] = {}

    def in_flight_key(future: cf.Future[Outcome]) -> str:
        return keys[id(future)]

    def tracked_submit(unit: Unit) -> cf.Future[Outcome]:
        future = submit(unit)
        keys[id(future)] = unit.key
        return future

    with pool:
        yield from windowed(units, options, tracked_submit, wait)
