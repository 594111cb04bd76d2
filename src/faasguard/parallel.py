"""Per-application work on both cores: forked worker processes that inherit what the parent already loaded.

Why fork and not a pool: the applications (and the parsed templates and syntax trees behind them) are large,
and pickling them to a worker cost about as much as analysing them (0.9 s to pickle and unpickle the corpus'
639 applications against ~3.5 s of analysis). A forked child sees the parent's heap as it is, copy-on-write,
so only the per-application *results* travel, once, back through a pipe. The parent takes applications too:
one process fewer to start, and nothing of what it analysed to transfer.

The contract with the caller (`faasguard.pipeline.analyse`):

* `work(index)` analyses one application and returns a picklable outcome; `reduce` turns an outcome into what
  may cross the pipe (the facts reporters read, not every fact);
* results come back keyed by index and the caller merges them in application order, so findings and
  diagnostics are in exactly the serial order whatever ran where;
* a worker that raises, dies (killed, out of memory) or sends something unreadable loses nothing: the
  applications it had taken are analysed again in the parent, and if that raises too, `failed` names the
  worker and the applications so the caller reports an internal error (exit 4) instead of a report that is
  silently missing them;
* what a worker read is part of the scan cache's manifest (`faasguard.scan_cache`): the audit hook that
  records reads runs in each process, so each worker sends its recording back and the parent merges it.
  Without that a warm run could replay a report whose handler has since changed. A lost worker's recording
  is lost with it, but so are its results: everything it had taken is read again here, and recorded.

Platforms without `fork` (Windows, and macOS where it is unsafe with system frameworks) run serially.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

AUTO_MIN_COST = 400.0
"""Estimated work (in `cost` units, roughly milliseconds of analysis) below which `auto` stays serial: a
fork, a child's first lazy imports and the transfer of its results cost ~50-100 ms, which a pre-commit scan
of one template (a few milliseconds of analysis) would pay for nothing."""


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or `taskset`'s limit, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def fork_available() -> bool:
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def plan_jobs(requested: int | None, limit: int | None, costs: Sequence[float]) -> int:
    """How many processes to use: `requested` (`--jobs`, None = auto), never more than `limit` (the `jobs`
    config key, which may only lower it), the usable CPUs (auto only) or the number of applications.

    Auto forks only with two usable CPUs or more and enough estimated work; an explicit number is taken as
    asked (bounded by the applications: one application is never split)."""
    if not fork_available() or len(costs) < 2 or multiprocessing.current_process().daemon:
        return 1  # a daemonic process (a pool's worker) may not start children
    jobs = requested if requested is not None else usable_cpus() if sum(costs) >= AUTO_MIN_COST else 1
    if limit is not None:
        jobs = min(jobs, limit)
    return max(1, min(jobs, len(costs)))


def heaviest_first(costs: Sequence[float]) -> list[int]:
    """The order in which the processes take applications: the costliest first, so that the last ones taken,
    which decide when everyone is done, are small (longest-processing-time scheduling)."""
    return sorted(range(len(costs)), key=lambda i: (-costs[i], i))


@dataclass
class Run(Generic[T]):
    """What `run` gives back: an outcome per index that was analysed, and what could not be."""

    outcomes: dict[int, T] = field(default_factory=dict)
    failed: list[tuple[str, list[int], BaseException]] = field(default_factory=list)
    """(the workers lost, the indices the retry here could not analyse, the first exception)."""
    workers: int = 0
    """Processes forked (0: it all ran in the parent)."""
    lost: list[str] = field(default_factory=list)
    """Workers that raised or died: the applications they had taken were analysed again here."""


_RECORD = struct.Struct("<I")
_PIPE_RECORDS = 16384
"""A pipe holds 64 KiB on Linux: the queue is written whole before any process reads it."""


def run(work: Callable[[int], T], reduce: Callable[[T], T], order: Sequence[int], jobs: int,
        first: int | None = None) -> Run[T]:
    """`work` on every index of `order`, in this process and `jobs - 1` forked children.

    The indices are taken one at a time from a queue shared by every process, so a process that drew cheap
    applications simply takes more: no estimate has to be right. The queue is a pipe filled before the fork
    with fixed-size records; a read of one record is atomic, so no lock is shared, and a worker killed at any
    point cannot leave the others waiting on one. `first` is analysed before the fork: the lazy imports and
    catalog loads of a first application (~0.4 s) are then inherited by the children instead of paid again.
    """
    outcome: Run[T] = Run()
    if first is not None:
        with contextlib.suppress(Exception):  # left missing: retried and reported below
            outcome.outcomes[first] = work(first)
    queue = [index for index in order if index != first]
    chunk = -(-len(queue) // _PIPE_RECORDS) or 1
    chunks = [queue[start:start + chunk] for start in range(0, len(queue), chunk)]
    reader, writer = os.pipe()
    try:
        os.write(writer, b"".join(_RECORD.pack(number) for number in range(len(chunks))))
        os.close(writer)
        children = _start(work, reduce, chunks, reader, jobs - 1)
        outcome.workers = len(children)
        log.debug("%d worker(s) forked for %d applications", len(children), len(queue))
        for index in _taken(chunks, reader):
            with contextlib.suppress(Exception):  # left missing: retried (and reported) with a lost worker's
                outcome.outcomes[index] = work(index)
    finally:
        os.close(reader)
    _collect(children, outcome)
    return _completed(work, order, outcome)


BESIDE_MIN_REPLAYS = 50
"""Replayed applications (`faasguard.unit_cache`) from which decoding them pays for a fork: their decoding
(~0.4 ms each) then covers the child's start, and the analysis beside it is ~0.3 s of imports and work."""


def beside_pays(requested: int | None, limit: int | None, analysed: int, replayed: int) -> bool:
    """Whether `run_beside` is worth its fork: applications to analyse, enough replayed ones to decode
    meanwhile, and at least two processes allowed (`--jobs`, the `jobs` key) and usable (auto)."""
    if analysed < 1 or replayed < BESIDE_MIN_REPLAYS or not fork_available() \
            or multiprocessing.current_process().daemon:
        return False
    jobs = requested if requested is not None else usable_cpus()
    if limit is not None:
        jobs = min(jobs, limit)
    return jobs >= 2


def run_beside(work: Callable[[int], T], reduce: Callable[[T], T], indices: Sequence[int],
               beside: Callable[[], None]) -> Run[T]:
    """`work` on every index of `indices` in one forked child while this process runs `beside()`, then the
    child's outcomes. For a scan whose few changed applications are analysed while the many unchanged ones
    are read back from the unit cache: both take a few tenths of a second, on two cores at once. The
    guarantees of `run` hold: a child that cannot start, raises or dies loses nothing (its applications are
    analysed here afterwards, `failed` naming what could not be), and its recording is merged."""
    outcome: Run[T] = Run()
    reader, writer = os.pipe()
    try:
        os.write(writer, _RECORD.pack(0))  # one chunk, all of `indices`, for the one child
        os.close(writer)
        children = _start(work, reduce, [list(indices)], reader, 1)
    finally:
        os.close(reader)
    outcome.workers = len(children)
    log.debug("%d worker(s) forked for %d applications beside the replay", len(children), len(indices))
    try:
        beside()
    finally:
        _collect(children, outcome)
    return _completed(work, indices, outcome)


def _collect(children: Sequence[_Child], outcome: Run[T]) -> None:
    """Each child's outcomes and cache recording into `outcome`; a child that sent nothing is named lost."""
    for name, process, connection in children:
        received = _receive(name, process, connection)
        if received is None:
            outcome.lost.append(name)
            continue
        results, recording = received
        from faasguard import scan_cache

        scan_cache.merge_recording(recording)
        outcome.outcomes.update(results)


def _completed(work: Callable[[int], T], indices: Sequence[int], outcome: Run[T]) -> Run[T]:
    """`outcome` with what no process delivered analysed here (`_retry`), so nothing is lost."""
    missing = [index for index in indices if index not in outcome.outcomes]
    if missing:
        _retry(work, ", ".join(outcome.lost) or "the main process", missing, outcome)
    return outcome


def _taken(chunks: Sequence[Sequence[int]], reader: int) -> Iterator[int]:
    """The indices this process takes from the shared queue, until it is empty."""
    while len(record := os.read(reader, _RECORD.size)) == _RECORD.size:
        yield from chunks[_RECORD.unpack(record)[0]]


_Child = tuple[str, Any, Any]


def _start(work: Callable[[int], T], reduce: Callable[[T], T], chunks: Sequence[Sequence[int]], reader: int,
           count: int) -> list[_Child]:
    context = multiprocessing.get_context("fork")
    # anything still buffered would be written a second time by each child as it exits
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    children: list[_Child] = []
    for number in range(1, count + 1):
        name = f"worker {number}"
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(work, reduce, chunks, reader, sending),
                                  name=f"faasguard {name}", daemon=True)
        try:
            process.start()
        except (OSError, AssertionError) as exc:  # no memory or process slot: the others take its part
            log.debug("cannot start %s: %s", name, exc)
            receiving.close()
            sending.close()
            continue
        sending.close()  # the child's end: once it exits, a read sees the end of the pipe instead of waiting
        children.append((name, process, receiving))
    return children


def _child(work: Callable[[int], T], reduce: Callable[[T], T], chunks: Sequence[Sequence[int]], reader: int,
           sending: Any) -> None:
    """A worker's whole life. It exits with a status only: whatever goes wrong, the parent redoes its part."""
    from faasguard import scan_cache

    try:
        scan_cache.forget_recorded()  # what the parent recorded before the fork stays the parent's to store
        results = {index: reduce(work(index)) for index in _taken(chunks, reader)}
        sending.send((results, scan_cache.export_recording()))
        sending.close()
    except BaseException:  # the parent sees the missing message and retries; nothing to print twice
        log.debug("worker failed", exc_info=True)
        os._exit(1)


def _receive(name: str, process: Any, connection: Any) -> tuple[dict[int, Any], Any] | None:
    try:
        message = connection.recv()
    except (EOFError, OSError, MemoryError, ValueError, TypeError, AttributeError, ImportError) as exc:
        # EOF: it died before sending; the others: a message that could not be read back
        log.debug("%s sent nothing usable: %r", name, exc)
        message = None
    finally:
        connection.close()
        process.join()
    if process.exitcode != 0 or not _well_formed(message):
        log.debug("%s exited with %s; what it took runs again here", name, process.exitcode)
        return None
    results, recording = message
    return results, recording


def _well_formed(message: Any) -> bool:
    return isinstance(message, tuple) and len(message) == 2 and isinstance(message[0], dict)


def _retry(work: Callable[[int], T], name: str, indices: Sequence[int], outcome: Run[T]) -> None:
    failures: list[tuple[int, Exception]] = []
    for index in indices:
        try:
            outcome.outcomes[index] = work(index)
        except Exception as exc:  # the caller reports it: an application missing from a report must be said
            failures.append((index, exc))
    if failures:
        outcome.failed.append((name, [index for index, _ in failures], failures[0][1]))
