"""The map of a parallel build: what a worker process is given (a :class:`Task`) and what it gives back (entries).

A task is either a few small files to read and extract (:class:`FilesTask`) or a chunk of documents the coordinator
already read from a big file (:class:`SourcesTask`: a JSON Lines or SogouCS corpus is split this way, so that one
big file is spread over every worker while its record ids are made unique over the whole file, as a serial read
does).  Everything here is plain picklable data; a worker builds its :class:`~kg.extract.Extractor` once per process
(jieba dictionaries and the CRF model take a second or two to load) and keeps it for every task it runs.

Entries come back in input order: :class:`Extracted` (a document and its build key), :class:`Unchanged` (its build
key is the one the store holds, so it was not extracted again), :class:`Failed` (it raised twice), ``ReadProblem``
and ``ReadWarning`` as the reader gives them.  Nothing here touches the store or RDF: entity merging and writing
happen once, in the writer (:mod:`kg.build`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.document import Document, Source
from kg.read import InputFile, ReadOptions, ReadProblem, ReadStats, ReadWarning, read_input

# Test-only fault injection, read from the coordinator's environment when tasks are planned and carried by each task
# (a worker's own environment may be older: a pool's fork server, a Dask worker started earlier).
# ``raise:SUBSTRING`` makes extracting any document whose id contains SUBSTRING raise, ``exit:SUBSTRING`` kills the
# worker process (os._exit) instead.  With KG_BUILD_FAULT_ONCE=FILE the fault fires only while FILE does not exist,
# and creates it: the retry then succeeds.
FAULT_ENV = "KG_BUILD_FAULT"
FAULT_ONCE_ENV = "KG_BUILD_FAULT_ONCE"


@dataclass(frozen=True)
class Extracted:
    """A document and its build key; with ``convert`` tasks also its graph as N-Quads (with union copies) and the
    entity IRIs it was written with (minted without the store's resolver: the writer checks them)."""

    doc: Document
    key: str
    nquads: bytes = b""  # UTF-8: pickled as is, and what the bulk loader reads
    iris: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unchanged:
    doc_id: str


@dataclass(frozen=True)
class Failed:
    doc_id: str
    problem: ReadProblem


Entry = Extracted | Unchanged | Failed | ReadProblem | ReadWarning


@dataclass
class FilesTask:
    """Read and extract these files.  ``known``: document id -> stored build key, for the documents of these files."""

    files: list[InputFile]
    lines: bool
    date: str
    options: ReadOptions
    known: dict[str, str] = field(default_factory=dict)
    force: bool = False
    fault: tuple[str, str] = ("", "")
    convert: tuple[str, str] | None = None  # (base IRI, build time): also write each document as N-Quads

    def units(self) -> list[FilesTask]:
        return [replace(self, files=[f]) for f in self.files]

    def describe(self) -> str:
        return self.files[0].name if len(self.files) == 1 else f"{self.files[0].name} … {self.files[-1].name}"

    @property
    def size(self) -> int:
        return len(self.files)


@dataclass
class SourcesTask:
    """Extract these documents (read by the coordinator from ``name``)."""

    name: str
    sources: list[Source]
    known: dict[str, str] = field(default_factory=dict)
    force: bool = False
    fault: tuple[str, str] = ("", "")
    convert: tuple[str, str] | None = None

    def units(self) -> list[SourcesTask]:
        return [replace(self, sources=[s]) for s in self.sources]

    def describe(self) -> str:
        ids = [s.doc_id for s in self.sources]
        return ids[0] if len(ids) == 1 else f"{ids[0]} … {ids[-1]} ({len(ids)} documents)"

    @property
    def size(self) -> int:
        return len(self.sources)


Task = FilesTask | SourcesTask


@dataclass
class TaskResult:
    """What one task yields: per file (one group for a SourcesTask), the entries in order; plus the encodings and
    formats the reader met, for the coordinator's read statistics."""

    groups: list[list[Entry]]
    encodings: dict[str, int] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)
    pid: int = 0


_extractor = None
_lock = threading.Lock()  # a Dask worker may run tasks in threads; the extractor is used by one at a time


def _get_extractor():
    global _extractor
    if _extractor is None:
        from kg.extract import Extractor

        _extractor = Extractor()
    return _extractor


def warm_up() -> int:
    """Load the extractor in this process now (a pool's initializer), so the first task is not slower; its pid."""
    with _lock:
        _get_extractor()
    return os.getpid()


def run_task(task: Task) -> TaskResult:
    """The map function: read (FilesTask) and extract, in this worker process."""
    with _lock:
        extractor = _get_extractor()
        if isinstance(task, SourcesTask):
            entries = [_extract(extractor, source, task) for source in task.sources]
            return TaskResult([entries], pid=os.getpid())
        stats = ReadStats()
        options = replace(task.options, stats=stats)
        groups = []
        for item in task.files:
            entries: list[Entry] = []
            for result in read_input(item, lines=task.lines, date=task.date, options=options):
                if isinstance(result, Source):
                    entries.append(_extract(extractor, result, task))
                else:
                    entries.append(result)
            groups.append(entries)
        return TaskResult(groups, stats.encodings, stats.formats, pid=os.getpid())


def _extract(extractor, source: Source, task: Task) -> Extracted | Unchanged | Failed:
    from kg.build import build_key, extract_with_retry

    key = build_key(source)
    if not task.force and task.known.get(source.doc_id) == key:
        return Unchanged(source.doc_id)
    kind, once = task.fault
    if kind and kind.startswith("exit:") and kind[5:] in source.doc_id and _armed(once):
        os._exit(70)
    if kind and kind.startswith("raise:") and kind[6:] in source.doc_id:
        extractor = _Faulty(extractor, once)
    doc = extract_with_retry(extractor, source)
    if isinstance(doc, ReadProblem):
        return Failed(source.doc_id, doc)
    if task.convert is None:
        return Extracted(doc, key)
    return _converted(doc, key, task.convert)


_converters: dict[tuple[str, str], object] = {}


def _converted(doc: Document, key: str, convert: tuple[str, str]) -> Extracted:
    """The document's graph as N-Quads, exactly as the writer would write it when its IRIs stand (see
    :meth:`kg.build._Writer.write`)."""
    from datetime import datetime

    from kg.build import document_triples
    from kg.rdf import DocumentConverter
    from kg.store.bulk import document_nquads

    converter = _converters.get(convert)
    if converter is None:
        converter = _converters[convert] = DocumentConverter(convert[0], now=datetime.fromisoformat(convert[1]))
    iris = {entity_id: str(iri) for entity_id, iri in converter.entity_iris(doc).items()}
    text = document_nquads(converter.graph(doc), document_triples(converter, doc, key)).encode("utf-8")
    return Extracted(doc, key, text, iris)


def current_fault() -> tuple[str, str]:
    """The test-only fault the coordinator's environment asks for (see FAULT_ENV)."""
    return os.environ.get(FAULT_ENV, ""), os.environ.get(FAULT_ONCE_ENV, "")


class _Faulty:
    """The extractor, raising the injected fault on every attempt (only the first, with a once-file)."""

    def __init__(self, extractor, once: str) -> None:
        self.extractor = extractor
        self.once = once

    def __call__(self, source: Source) -> Document:
        if _armed(self.once):
            raise RuntimeError(f"injected fault ({FAULT_ENV}) on {source.doc_id}")
        return self.extractor(source)


def _armed(once: str) -> bool:
    if not once:
        return True
    try:
        with open(once, "x"):
            return True
    except FileExistsError:
        return False


def strip_options(options: ReadOptions) -> ReadOptions:
    """Options a worker can be sent: no callbacks, statistics or stdin stream (the coordinator keeps those)."""
    return replace(options, on_warning=None, stats=None, stdin=None,
                   root=str(Path(options.root).resolve()) if options.root is not None else None)
