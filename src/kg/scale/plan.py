"""Cutting a build's inputs into tasks, in input order.

Small files are grouped a few to a task (read and extracted in the worker: reading HTML or decoding GBK is work worth
spreading too).  A big file, which usually holds many documents (a JSON Lines or SogouCS corpus, a long page), is
read here, in the coordinator, and its documents sent out in chunks: so one big corpus file still keeps every worker
busy, and its document ids (JSON Lines ids made unique over the whole file, ``#L<line>`` numbers) are exactly those
of a serial read.  Reading here is cheap next to extraction (decoding and ``json.loads`` against jieba and a CRF).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.read import InputFile, ReadOptions, ReadProblem, account, input_files, read_input
from kg.read.files import STDIN
from kg.scale.work import FilesTask, SourcesTask, Task, current_fault, strip_options

BIG_FILE_BYTES = int(os.environ.get("KG_SCALE_BIG_FILE", str(256 * 1024)))
FILES_PER_TASK = 16
BYTES_PER_TASK = 48 * 1024
DOCS_PER_TASK = int(os.environ.get("KG_SCALE_DOCS_PER_TASK", "16"))


def file_id(doc_id: str) -> str:
    return doc_id.split("#", 1)[0]


def plan_tasks(paths: Iterable[str | Path], *, lines: bool, date: str, options: ReadOptions,
               known: dict[str, str], force: bool,
               convert: tuple[str, str] | None = None) -> Iterator[Task | ReadProblem]:
    """Tasks (and the problems of paths that could not be listed or read here), in input order.

    ``options`` are the coordinator's (with statistics and the warning callback, used for what is read here);
    workers get a copy without them.  ``known``: the build keys the store holds, by document id.
    """
    by_file: dict[str, dict[str, str]] = {}
    for doc_id, key in known.items():
        by_file.setdefault(file_id(doc_id), {})[doc_id] = key
    worker_options = strip_options(options)
    fault = current_fault()
    group: list[InputFile] = []
    group_bytes = 0

    def files_task() -> FilesTask:
        wanted = {}
        for f in group:
            wanted.update(by_file.get(f.doc_id, {}))
        return FilesTask(list(group), lines, date, worker_options, wanted, force, fault, convert)

    for item in input_files(paths, options):
        if isinstance(item, ReadProblem):
            yield item  # already counted
            continue
        size = _size(item)
        if item.path != STDIN and size <= BIG_FILE_BYTES:
            group.append(item)
            group_bytes += size
            if len(group) >= FILES_PER_TASK or group_bytes >= BYTES_PER_TASK:
                yield files_task()
                group, group_bytes = [], 0
            continue
        if group:
            yield files_task()
            group, group_bytes = [], 0
        chunk = []
        for result in account(read_input(item, lines=lines, date=date, options=options), options):
            if isinstance(result, ReadProblem):
                yield result
                continue
            chunk.append(result)
            if len(chunk) >= DOCS_PER_TASK:
                yield SourcesTask(item.name, chunk, {s.doc_id: known[s.doc_id] for s in chunk if s.doc_id in known},
                                  force, fault, convert)
                chunk = []
        if chunk:
            yield SourcesTask(item.name, chunk, {s.doc_id: known[s.doc_id] for s in chunk if s.doc_id in known},
                              force, fault, convert)
    if group:
        yield files_task()


def _size(item: InputFile) -> int:
    if item.path == STDIN:
        return 0
    try:
        return os.path.getsize(item.path)
    except OSError:
        return 0  # the worker's read reports it
