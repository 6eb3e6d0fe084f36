"""Scale-out for ``kg build``: extraction as a parallel map, one writer.

Extraction is a pure function of one document (design.md §1), so a build is a map (read + extract, in N worker
processes with ``-j N``, or as tasks on a Dask cluster with ``--dask``) followed by what must happen once and in
order: entity merging (the IRI resolver, which looks at what earlier documents said), RDF conversion and the store
writes.  Workers send back :class:`~kg.document.Document` dataclasses; this process consumes them in input order
through the same writer as a serial build, so ``-j N`` and ``--dask`` give the same IRIs and the same quads.

* :mod:`kg.scale.work`: tasks, the worker function, entries that come back.
* :mod:`kg.scale.plan`: inputs to tasks (small files grouped, big corpora read here and chunked).
* :mod:`kg.scale.pool`: N local processes, surviving workers that die.
* :mod:`kg.scale.dask_runner`: the same tasks on Dask (imported only when asked for).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.read import ReadOptions, ReadProblem, account
from kg.scale.plan import plan_tasks
from kg.scale.pool import TaskFailure
from kg.scale.work import Entry, Extracted, Failed, FilesTask, SourcesTask, TaskResult, Unchanged


def parallel_entries(paths: Iterable[str | Path], *, lines: bool, date: str, options: ReadOptions,
                     known: dict[str, str], jobs: int = 2, dask: str | None = None,
                     force: bool = False, convert: tuple[str, str] | None = None) -> Iterator[Entry]:
    """Every entry of the build in input order: documents extracted by workers, unchanged ones, problems.

    Read statistics and warnings go to ``options.stats`` and ``options.on_warning`` as in a serial read.
    ``convert`` (base IRI, build time): workers also write each document's graph as N-Quads for a bulk load.
    """
    if dask:
        from kg.scale.dask_runner import DaskRunner

        runner = DaskRunner(dask, workers=max(jobs, 2))
    else:
        from kg.scale.pool import ProcessRunner

        runner = ProcessRunner(jobs)
    try:
        tasks = plan_tasks(paths, lines=lines, date=date, options=options, known=known, force=force,
                           convert=convert)
        for item, outcome in runner.run(tasks):
            if outcome is None:
                yield item  # a problem met while planning (already counted)
            elif isinstance(outcome, TaskFailure):
                yield from _failed(item, outcome, options)
            else:
                yield from _accounted(item, outcome, options)
    finally:
        runner.close()


def _accounted(task: FilesTask | SourcesTask, result: TaskResult, options: ReadOptions) -> Iterator[Entry]:
    stats = options.stats
    if stats is not None:
        for name, n in result.encodings.items():
            stats.encodings[name] = stats.encodings.get(name, 0) + n
        for name, n in result.formats.items():
            stats.formats[name] = stats.formats.get(name, 0) + n
    for entries in result.groups:  # a SourcesTask's documents were counted when the coordinator read them
        yield from account(entries, options, counted=isinstance(task, SourcesTask))


def _failed(task: FilesTask | SourcesTask, failure: TaskFailure, options: ReadOptions) -> Iterator[Entry]:
    if isinstance(task, SourcesTask):
        for source in task.sources:
            yield Failed(source.doc_id, ReadProblem(task.name, f"document {source.doc_id} could not be extracted: "
                                                               f"{failure.reason}"))
        return
    for item in task.files:
        problem = ReadProblem(item.name, f"could not be read and extracted: {failure.reason}")
        if options.stats is not None:
            options.stats.problems.append(problem)
        yield problem


__all__ = ["Extracted", "Failed", "TaskFailure", "Unchanged", "parallel_entries"]
