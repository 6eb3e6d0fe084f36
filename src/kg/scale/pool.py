"""Running tasks on N local worker processes, results in input order, surviving workers that die.

``concurrent.futures.ProcessPoolExecutor`` marks the whole pool broken when one worker dies (every task in flight
fails with ``BrokenProcessPool``), and cannot say which task killed it.  So on a break the tasks that were in flight
become suspects and are run again one at a time in a fresh pool: an innocent one just finishes; the culprit kills
its pool again, alone, and is thereby known.  A culprit holding several files or documents is then split and each
part run alone once more, so only the file (or document) that kills its worker is lost, reported by name.  Results
that completed before the break are kept.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from kg.scale.work import Task, TaskResult, run_task, warm_up


@dataclass(frozen=True)
class TaskFailure:
    """A task that could not be run: its worker died (twice) or it raised outside any one document."""

    reason: str


Outcome = TaskResult | TaskFailure | None  # None: a passthrough item (a problem found while planning)

# Tasks in flight per worker.  The writer stops taking results while it bulk-loads a batch (50,000 quads, about 125
# news articles, ~1 s); the workers must have enough work queued to go on meanwhile, or they idle and -j N loses what
# it should gain.  Eight 16-document tasks per worker cover two such batches; the results waiting meanwhile hold
# about 190 KB per document (Document + N-Quads), ~50 MB for two workers.
TASKS_PER_WORKER = 8


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers start from a clean process (not a fork of a coordinator holding an open RocksDB store and
    # its threads); spawn where there is no fork.
    if "forkserver" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["kg.scale.preload"])  # takes effect when the fork server starts
        return context
    return multiprocessing.get_context("spawn")


class InFlight:
    """Items in input order, with at most ``limit`` tasks submitted at a time (enough to keep workers busy, few
    enough to bound memory); items that are not tasks wait their turn in the queue with no future.  Shared by the
    local pool and the Dask runner, which differ only in how a task is submitted and how failures are handled."""

    def __init__(self, items: Iterable[object], limit: int, submit: Callable[[Task], Any]) -> None:
        self.source = iter(items)
        self.limit = limit
        self.submit = submit
        self.queue: deque[tuple[object, Any]] = deque()
        self.running = 0
        self.exhausted = False

    def fill(self) -> bool:
        """Submit tasks up to the limit; False once every item has been taken out."""
        while not self.exhausted and self.running < self.limit:
            item = next(self.source, _END)
            if item is _END:
                self.exhausted = True
                break
            if isinstance(item, Task):
                self.queue.append((item, self.submit(item)))
                self.running += 1
            else:
                self.queue.append((item, None))
        return bool(self.queue)

    def pop(self) -> tuple[object, Any]:
        """The oldest item and its future (None for a passthrough item)."""
        item, future = self.queue.popleft()
        if future is not None:
            self.running -= 1
        return item, future

    def drain(self) -> list[tuple[object, Any]]:
        """Take every queued item out at once (their futures died with a broken pool)."""
        items = list(self.queue)
        self.queue.clear()
        self.running = 0
        return items


class ProcessRunner:
    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.window = jobs * TASKS_PER_WORKER  # enough to keep workers busy through a batch load, bounded memory
        self.pool = self._new_pool()
        self.restarts = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=_context(), initializer=warm_up)

    def _replace_pool(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new_pool()
        self.restarts += 1

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, task: Task) -> Future:
        """Submit ``task``; if the pool broke before it could (a worker died meanwhile), a future that failed so, which
        the run loop then treats like any other task of the broken pool (found in CI: the task was lost)."""
        try:
            return self.pool.submit(run_task, task)
        except BrokenProcessPool as exc:
            failed: Future = Future()
            failed.set_exception(exc)
            return failed

    def run(self, items: Iterable[object]) -> Iterator[tuple[object, Outcome]]:
        """(item, outcome) for every item, in order; tasks run in the pool, anything else passes through."""
        window = InFlight(items, self.window, self._submit)
        while window.fill():
            item, future = window.queue[0]
            if future is None:
                window.pop()
                yield item, None
                continue
            try:
                result = future.result()
            except BrokenProcessPool:
                suspects = window.drain()
                self._replace_pool()
                for suspect, pending in suspects:
                    yield from self._recover(suspect, pending)
                continue
            except Exception as exc:  # the task itself failed (not one document: those are caught in the worker)
                window.pop()
                yield from self._alone(item, f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            window.pop()
            yield item, result

    def _recover(self, item: object, pending: Future | None) -> Iterator[tuple[object, Outcome]]:
        if pending is None:
            yield item, None
            return
        if pending.done() and not pending.cancelled() and pending.exception() is None:
            yield item, pending.result()
            return
        yield from self._alone(item, "its worker process died")

    def _alone(self, task: Task, first: str, *, split: bool = True) -> Iterator[tuple[Task, Outcome]]:
        """Run a task that failed once by itself; if it fails again, its parts one by one (each alone, once)."""
        try:
            yield task, self.pool.submit(run_task, task).result()
            return
        except BrokenProcessPool:
            self._replace_pool()
            again = "its worker process died"
        except Exception as exc:
            again = f"{type(exc).__name__}: {str(exc)[:200]}"
        if split and task.size > 1:
            for unit in task.units():
                yield from self._alone(unit, again, split=False)
            return
        yield task, TaskFailure(f"{again}; retried once ({first} the first time)" if split else
                                f"{again} (retried alone)")


_END = object()
