"""Running tasks on a Dask cluster (``dask.distributed``), results in input order.

``--dask ADDRESS`` connects to a running scheduler (``tcp://host:8786``); ``--dask local`` starts a LocalCluster of
worker processes on 127.0.0.1 for this build (one thread each: extraction is pure Python and holds the GIL).  The
same :func:`kg.scale.work.run_task` runs as a Dask task; each worker process keeps its extractor between tasks.

Failures: a task that raises is retried once by Dask (``retries=1``); a worker that dies has its tasks rescheduled
by the scheduler until ``distributed.scheduler.allowed-failures`` deaths (set to 1 for the local cluster: one retry),
after which the task ends with ``KilledWorker``.  A failed task of several files or documents is then run again part
by part, so that only the part that fails again is reported; the build goes on.  The files
must be readable by the workers at the same absolute paths (a shared file system) unless they are big enough to be
read by the coordinator (see :mod:`kg.scale.plan`).

Dask is imported only here, when a build asks for it, so ``kg`` starts as fast without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from kg.scale.pool import TASKS_PER_WORKER, InFlight, Outcome, TaskFailure
from kg.scale.work import Task, run_task, warm_up


class DaskUnavailable(RuntimeError):
    pass


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise DaskUnavailable("--dask needs dask.distributed: pip install 'dask[distributed]' (or kg[scale])") \
            from exc
    return distributed


class DaskRunner:
    def __init__(self, address: str, *, workers: int = 2) -> None:
        distributed = _distributed()
        self.cluster = None
        if address == "local":
            import dask

            dask.config.set({"distributed.scheduler.allowed-failures": 1})
            self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                    host="127.0.0.1", dashboard_address=None)
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout=os.environ.get("KG_DASK_TIMEOUT", "20s"))
            except OSError as exc:
                raise DaskUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        self.client.run(warm_up)  # load the extractor in every worker before the first task
        threads = sum(self.client.nthreads().values())
        self.window = max(4, threads * TASKS_PER_WORKER)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, items: Iterable[object]) -> Iterator[tuple[object, Outcome]]:
        distributed = _distributed()
        window = InFlight(items, self.window, lambda task: self.client.submit(run_task, task, retries=1, pure=False))
        while window.fill():
            item, future = window.pop()
            if future is None:
                yield item, None
                continue
            yield from self._outcomes(item, future, distributed, split=True)

    def _outcomes(self, task: Task, future: Any, distributed: Any, *, split: bool) -> Iterator[tuple[Task, Outcome]]:
        """The task's result; if it failed (after Dask's own retry), its parts one by one, so that only the file or
        document that kills its worker is lost (as :class:`kg.scale.pool.ProcessRunner` does)."""
        try:
            result = future.result()
        except distributed.KilledWorker:
            reason = "its Dask worker died; retried once"
        except Exception as exc:
            reason = f"{type(exc).__name__}: {str(exc)[:200]}; retried once"
        else:
            yield task, result
            return
        finally:
            future.release()
        if split and task.size > 1:
            for unit in task.units():
                yield from self._outcomes(unit, self.client.submit(run_task, unit, retries=1, pure=False),
                                          distributed, split=False)
            return
        yield task, TaskFailure(reason)
