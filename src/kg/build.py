"""The build: read → extract → rdf → store, document by document.

Each document's graph is replaced in one store transaction, so an interrupted build leaves every document whole or
absent and the next build resumes.  A document whose content hash is already in the store is skipped, which makes
re-running a build on the same files a no-op (``force`` rebuilds anyway, e.g. after changing the extractor).

With ``jobs`` > 1 or ``dask`` the reading and extraction run elsewhere (:mod:`kg.scale`) and the documents come back
here, in input order, to the same writer (:class:`_Writer`: build keys, entity merging, RDF, store writes), so a
parallel build stores exactly what a serial one does.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from kg import __version__
from kg.document import Document, Source
from kg.export.writer import nt_term
from kg.extract import Extractor
from kg.rdf import DEFAULT_BASE, ONTOLOGY_GRAPH, DocumentConverter, content_hash, document_iri
from kg.rdf.iris import AFFILIATIONS, Resolver, affiliation_of
from kg.rdf.namespaces import KG, OWL, RDFS
from kg.read import ReadOptions, ReadProblem, read_sources
from kg.resources import ontology_text
from kg.store import GraphStore, StoreError, bulk


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # graph IRIs of documents their file no longer yields

    def summary(self) -> str:
        parts = [f"{len(self.built)} document(s) built", f"{len(self.unchanged)} unchanged",
                 f"{len(self.problems)} skipped"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed (no longer in their file)")
        return ", ".join(parts)


def load_ontology(store: GraphStore) -> None:
    """(Re)load the ontology into its own named graph so queries can use labels and class hierarchy.

    Skipped when the store already holds this exact ontology text (its hash is kept as an ``owl:versionInfo``), so
    that adding one article to a big store does not re-parse and rewrite the ontology every time.
    """
    text = ontology_text()
    stamp = Literal(f"kg.ttl sha256 {content_hash(text)}")
    ontology = URIRef(ONTOLOGY_GRAPH)
    loaded = f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{ONTOLOGY_GRAPH}> <{OWL.versionInfo}> {stamp.n3()} }} }}"
    if store.query(loaded).boolean:
        return
    g = Graph()
    g.parse(data=text, format="turtle")
    store.replace_graph(ONTOLOGY_GRAPH, [*g, (ontology, OWL.versionInfo, stamp)])


def build_key(source: Source) -> str:
    """What decides whether a stored document is current: its text, its date option and the kg version."""
    return content_hash(f"{__version__}\0{source.date}\0{source.text}")


def stored_build_keys(store: GraphStore) -> dict[str, str]:
    """Document id -> build key for every document in the store, in one query: what a parallel build sends its
    workers so that they skip unchanged documents without asking the store (the writer checks again)."""
    rows = store.query(f"SELECT ?id ?k WHERE {{ GRAPH ?g {{ ?d <{KG.docId}> ?id ; <{KG.buildKey}> ?k }} }}").rows
    return {str(row["id"]): str(row["k"]) for row in rows}


def stored_build_key(store: GraphStore, converter: DocumentConverter, doc_id: str) -> str | None:
    graph = converter.graph_for_id(doc_id)
    result = store.query(f"SELECT ?k WHERE {{ GRAPH <{graph}> {{ ?d <{KG.buildKey}> ?k }} }}")
    return str(result.rows[0]["k"]) if result.rows else None


def id_root(store: GraphStore, options: ReadOptions) -> str:
    """The directory document ids are relative to (see :mod:`kg.read.files`).

    ``options.root`` when given (``kg build --root DIR``); else, for an on-disk store, the directory holding it (for
    the default ``./kg-data``, the working directory); else the working directory.  Anchoring ids to the store's home
    means the same file gets the same id whichever directory the build is started from, so building it twice never
    makes two documents of it; and the root is fixed here, once, so worker processes never use their own.
    """
    if options.root is not None:
        return str(Path(options.root).resolve())
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return str(path.resolve().parent)
    return str(Path.cwd().resolve())


def build(store: GraphStore, paths: Iterable[str | Path], *, base: str = DEFAULT_BASE, lines: bool = False,
          date: str = "", force: bool = False, extractor: Extractor | None = None,
          progress: Callable[[object], None] | None = None, read_options: ReadOptions | None = None,
          now: datetime | None = None, jobs: int = 1, dask: str | None = None) -> BuildReport:
    """Build ``paths`` into ``store``; returns what was built, unchanged, skipped and removed.

    ``read_options`` say how to read (encoding, formats, globs, id root…).  ``now`` is the build time written as
    ``prov:generatedAtTime`` (default: the clock; tests fix it to compare builds).  ``jobs`` > 1 extracts in that many
    worker processes, ``dask`` on a Dask cluster (a scheduler address, or ``local``); either way one writer (this
    process) merges entities and writes the store in input order, so the store ends up with the same IRIs and quads
    as a serial build.  ``progress`` is called with each Source, Document or ReadProblem as it is handled.
    """
    options = replace(read_options or ReadOptions(), root=id_root(store, read_options or ReadOptions()))
    now = now or datetime.now(UTC)
    if jobs > 1 or dask:
        from kg.scale import parallel_entries

        known = stored_build_keys(store)
        writer = _Writer(store, base=base, force=force, now=now, options=options, known=known)
        # Workers also turn documents into N-Quads for an embedded store's bulk loader (see _Writer.write).
        convert = (base, now.isoformat()) if bulk.engine_of(store) is not None else None
        for entry in parallel_entries(paths, lines=lines, date=date, options=options, known=known, jobs=jobs,
                                      dask=dask, force=force, convert=convert):
            writer.take(entry, progress)
        return writer.finish()
    writer = _Writer(store, base=base, force=force, now=now, options=options)
    extractor = extractor or Extractor()
    for item in read_sources(paths, lines=lines, date=date, options=options):
        if progress is not None:
            progress(item)
        if isinstance(item, ReadProblem):
            writer.problem(item)
            continue
        key = build_key(item)
        wanted, stored = writer.check(item.doc_id, key)
        if not wanted:
            continue
        doc = extract_with_retry(extractor, item)
        if isinstance(doc, ReadProblem):
            writer.failed(item.doc_id, doc)
        else:
            writer.write(doc, key, stored)
    return writer.finish()


def document_triples(converter: DocumentConverter, doc: Document, key: str) -> list:
    """Everything a document's graph holds: what the converter says of it, its build key and its source file."""
    node = URIRef(document_iri(converter.base, doc.doc))
    return [*converter.triples(doc), (node, KG.buildKey, Literal(key)),
            (node, KG.sourceFile, Literal(file_id(doc.doc)))]


def extract_with_retry(extractor: Extractor, source: Source) -> Document | ReadProblem:
    """Extract one document, trying twice: an exception becomes a problem naming the file and the document, so one
    bad document never stops a build (and a flaky failure, e.g. memory pressure, gets a second chance)."""
    error: Exception | None = None
    for _ in range(2):
        try:
            return extractor(source)
        except Exception as exc:  # the extractor is tested, but one document must never stop a batch
            error = exc
    return ReadProblem(source.path or source.doc_id, f"document {source.doc_id} could not be extracted (tried "
                                                     f"twice): {type(error).__name__}: {str(error)[:200]}")


class _Writer:
    """The one writer of a build: checks build keys, merges entities (the IRI resolver), converts to RDF and writes,
    document by document in input order, whether the documents were extracted here or by workers."""

    def __init__(self, store: GraphStore, *, base: str, force: bool, now: datetime, options: ReadOptions,
                 known: dict[str, str] | None = None) -> None:
        self.store = store
        self.base = base
        self.force = force
        self.options = options
        self.report = BuildReport()
        # known: the build keys the store held when a parallel build started; the store is asked again only about
        # documents this build has written since.
        self.known = known
        self.written: set[str] = set()
        self.pending = _Pending(store, self.report, remote_batches=known is not None)
        self.converter = DocumentConverter(base, now=now, resolver=self.pending.resolver(store_resolver(store)))
        self.seen: dict[str, set[str]] = {}  # file id -> the document ids it yields now
        load_ontology(store)

    def take(self, entry: object, progress: Callable[[object], None] | None) -> None:
        """One entry of a parallel build (see :mod:`kg.scale.work`), in input order."""
        from kg.scale.work import Extracted, Failed, Unchanged

        if progress is not None:
            progress(entry.doc if isinstance(entry, Extracted) else entry)
        if isinstance(entry, ReadProblem):
            self.problem(entry)
        elif isinstance(entry, Failed):
            self.failed(entry.doc_id, entry.problem)
        elif isinstance(entry, Unchanged):
            self.seen.setdefault(file_id(entry.doc_id), set()).add(entry.doc_id)
            self.report.unchanged.append(entry.doc_id)
        elif isinstance(entry, Extracted):
            wanted, stored = self.check(entry.doc.doc, entry.key)
            if wanted:
                self.write(entry.doc, entry.key, stored, prepared=entry)

    def problem(self, problem: ReadProblem) -> None:
        self.report.problems.append(problem)

    def failed(self, doc_id: str, problem: ReadProblem) -> None:
        """A document read but not extracted: reported, and its stored version (if any) kept, not removed."""
        self.seen.setdefault(file_id(doc_id), set()).add(doc_id)
        self.report.problems.append(problem)
        if self.options.stats is not None:
            self.options.stats.problems.append(problem)

    def check(self, doc_id: str, key: str) -> tuple[bool, str | None]:
        """(whether the document must be written, the build key stored for it now or None)."""
        self.seen.setdefault(file_id(doc_id), set()).add(doc_id)
        if doc_id in self.pending.ids:  # the same document twice in one build: the second replaces the first
            self.pending.flush()
        if self.known is not None and doc_id not in self.written:
            stored = self.known.get(doc_id)
        else:
            stored = stored_build_key(self.store, self.converter, doc_id)
        if not self.force and stored == key:
            self.report.unchanged.append(doc_id)
            return False, stored
        return True, stored

    def write(self, doc: Document, key: str, stored: str | None, prepared: object = None) -> None:
        """Write a document; ``prepared``: a worker's :class:`~kg.scale.work.Extracted` whose N-Quads are used as
        they are when the entity IRIs the worker minted are the ones the resolver gives here (almost always: they
        differ only for a person whose name another document already gave to someone affiliated elsewhere)."""
        self.written.add(doc.doc)
        graph = self.converter.graph(doc)
        text = getattr(prepared, "nquads", b"")
        embedded = bulk.engine_of(self.store) is not None
        if stored is None and text and embedded and not self.converter.iris_differ_from_unresolved(doc):
            self.pending.add(doc, graph, text, prepared.iris)
            return
        iris = {entity_id: str(iri) for entity_id, iri in self.converter.entity_iris(doc).items()}
        triples = document_triples(self.converter, doc, key)
        if stored is None:
            # The embedded store takes N-Quads text, as from a worker: its bulk loader parses text in Rust for less
            # than it takes pyoxigraph terms made in Python (serial build, 1,000 articles: 28 instead of 30 ms of CPU
            # and 7 % more documents per second, benchmarks/scale_bench.py --modes serial).  A graph that exists
            # without a build key (imported under the same name) goes the term way, which replaces it.
            text_ok = embedded and not self.store.has_graph(graph)
            payload = bulk.document_nquads(graph, triples).encode("utf-8") if text_ok else triples
            self.pending.add(doc, graph, payload, iris)
            return
        self.pending.flush()  # keep the store's order of writes the order of the input
        try:
            self.store.replace_graph(graph, triples)
        except StoreError as exc:
            raise StoreError(f"document {doc.doc} was not stored ({len(self.report.built)} built before it are "
                             f"stored): {exc}") from exc
        self.report.built.append(doc.doc)

    def finish(self) -> BuildReport:
        self.pending.flush()
        # A changed file may yield fewer articles or lines than before: the documents it no longer yields go, so the
        # store holds what the files hold now.  (Done last: a build killed before this point leaves them for the
        # next.)
        self.report.removed = remove_stale(self.store, self.converter, self.seen)
        return self.report


def batch_quads() -> int:
    """Quads per write batch of a build: ``KG_BUILD_BATCH_QUADS`` or 50,000 (why 50,000: see ``_Pending``)."""
    return int(os.environ.get("KG_BUILD_BATCH_QUADS", "50000"))


class _Pending:
    """New documents waiting to be written together, in one transaction, when the store can (the embedded
    Oxigraph store writes a batch of new graphs with its atomic bulk loader, several times faster than one
    transaction per document).  A killed build loses at most the batch it was writing, never part of a document.

    A document comes as triples, or (from a parallel build's workers) as N-Quads text already holding the union
    copies, which goes to the bulk loader as it is (:mod:`kg.store.bulk`).  A parallel build writes to a remote
    Oxigraph server in batches too (one Graph Store request per batch).

    The documents in a batch are not in the store yet, so the IRI resolver is told about their people too: a
    batched build mints the same IRIs as one that writes document by document.
    """

    def __init__(self, store: GraphStore, report: BuildReport, *, remote_batches: bool = False) -> None:
        # Quads per batch; KG_BUILD_BATCH_QUADS lets tests (and users who want smaller losses on a kill) change it.
        # Each batch is one run of the bulk loader, which has a fixed cost (sorted files per index, their ingest):
        # 50,000 quads took 0.75x the loader CPU of 20,000 for 68 MiB more peak memory, 100,000 took 0.61x for
        # 174 MiB more (benchmarks/load_batches.py, 300,000 triples).
        self.max_quads = batch_quads()
        self.store = store
        self.report = report
        self.remote_batches = remote_batches and bulk.posts_batches(store)
        self.batch = getattr(store, "writes_batches", False) or self.remote_batches
        self.items: list[tuple[str, str, list | bytes]] = []
        self.ids: set[str] = set()
        self.quads = 0
        self.people: dict[tuple[str, str], dict[str, set[str]]] = {}

    def resolver(self, from_store: Resolver) -> Resolver:
        def resolve(type_name: str, label: str, graph: str) -> dict[str, set[str]]:
            found = from_store(type_name, label, graph)
            for iri, affiliations in self.people.get((type_name, label), {}).items():
                found.setdefault(iri, set()).update(affiliations)
            return found

        return resolve

    def add(self, doc: Document, graph: str, payload: list | bytes, iris: dict[str, str]) -> None:
        """Queue a new document: its graph as triples or as UTF-8 N-Quads (see :func:`kg.store.bulk.document_nquads`),
        and its entities' IRIs."""
        self.items.append((doc.doc, graph, payload))
        self.ids.add(doc.doc)
        self.quads += len(payload) if isinstance(payload, list) else payload.count(b"\n") // 2
        for ent in doc.entities:
            affiliation = affiliation_of(doc, ent.id) if ent.type == "Person" else None
            if affiliation:
                self.people.setdefault((ent.type, ent.label), {}).setdefault(iris[ent.id], set()).add(affiliation)
        if not self.batch or self.quads >= self.max_quads:
            self.flush()

    def flush(self) -> None:
        if not self.items:
            return
        ids = [doc_id for doc_id, _, _ in self.items]
        texts = [payload for _, _, payload in self.items if isinstance(payload, bytes)]
        graphs = [(graph, payload) for _, graph, payload in self.items if isinstance(payload, list)]
        try:
            if texts:
                bulk.load_nquads(self.store, b"".join(texts))
            if graphs and not (self.remote_batches and bulk.post_graphs(self.store, graphs)):
                self.store.add_graphs(graphs)
        except StoreError as exc:
            names = ids[0] if len(ids) == 1 else f"{ids[0]} … {ids[-1]} ({len(ids)} documents)"
            raise StoreError(f"document {names} was not stored ({len(self.report.built)} built before it are "
                             f"stored): {exc}") from exc
        self.report.built.extend(ids)
        self.items, self.ids, self.quads, self.people = [], set(), 0, {}


def remove_stale(store: GraphStore, converter: DocumentConverter, seen: dict[str, set[str]]) -> list[str]:
    """Remove the graphs of documents that a file read in this build no longer yields; returns their graph IRIs.

    Found by graph IRI prefix in the sorted list of graphs (a file's documents are ``graph/FILE`` and
    ``graph/FILE%23…``), so the cost is a few lookups per file, not a query over every document in the store.
    """
    if not seen:
        return []
    # Few files (adding an article to a big store): look each file's documents up by kg:sourceFile, an index
    # lookup whatever the size of the store; many files: list the graphs once.
    graphs = store.graphs() if len(seen) > 20 else None
    removed = []
    for fid, doc_ids in sorted(seen.items()):
        whole = converter.graph_for_id(fid)
        expected = {converter.graph_for_id(doc_id) for doc_id in doc_ids}
        if graphs is None:
            rows = store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?d <{KG.sourceFile}> "
                               f"{nt_term(Literal(fid))} }} }}").rows
            graphs_here = sorted(str(row["g"]) for row in rows)
            removed += _drop(store, [g for g in graphs_here if g not in expected])
            continue
        at = bisect_left(graphs, whole)
        candidates = [whole] if at < len(graphs) and graphs[at] == whole else []
        parts = whole + "%23"  # the graphs of the file's articles or lines, FILE#…
        index = bisect_left(graphs, parts)
        while index < len(graphs) and graphs[index].startswith(parts):
            candidates.append(graphs[index])
            index += 1
        removed += _drop(store, [g for g in candidates if g not in expected])
    return removed


def _drop(store: GraphStore, graphs: list[str]) -> list[str]:
    for graph in graphs:
        store.remove_graph(graph)
    return graphs


def file_id(doc_id: str) -> str:
    """The id of the file a document came from: its id without the ``#article`` or ``#line`` fragment."""
    return doc_id.split("#", 1)[0]


def store_resolver(store: GraphStore) -> Resolver:
    """Answers "which entities of this type and label do other documents hold, affiliated where?" from the store,
    so that a build keeps two people of one name apart (see :func:`kg.rdf.iris.mint_entity_iris`)."""

    def resolve(type_name: str, label: str, graph: str) -> dict[str, set[str]]:
        affiliated = " | ".join(f"<{KG[name]}>" for name in AFFILIATIONS)
        rows = store.query(f"""
            SELECT DISTINCT ?e ?aff WHERE {{
              GRAPH ?g {{ ?e a <{KG[type_name]}> ; <{RDFS.label}> {nt_term(Literal(label, lang="zh"))} }}
              FILTER (?g != <{graph}>)
              OPTIONAL {{ GRAPH ?g2 {{ ?e {affiliated} ?a }} FILTER (?g2 != <{graph}>) ?a <{RDFS.label}> ?aff }}
            }}""").rows
        out: dict[str, set[str]] = {}
        for row in rows:
            entry = out.setdefault(str(row["e"]), set())
            if "aff" in row:
                entry.add(str(row["aff"]))
        return out

    return resolve


def stored_documents(store: GraphStore) -> dict[str, str]:
    """Document id -> the named graph holding it, for every document in the store."""
    rows = store.query(f"SELECT ?g ?id WHERE {{ GRAPH ?g {{ ?d <{KG.docId}> ?id }} }}").rows
    return {str(row["id"]): str(row["g"]) for row in rows}


def remove_documents(store: GraphStore, doc: str) -> list[str]:
    """Remove document ``doc`` and its articles (``doc#N``); returns the removed ids, sorted.

    Nothing else needs cleaning up: everything a document asserts (its entities' types, labels and facts, its
    mentions and statements) lives in its own graph, and an entity that other documents also name keeps what
    they said about it.
    """
    removed = []
    for doc_id, graph in sorted(stored_documents(store).items()):
        if doc_id == doc or doc_id.startswith(doc + "#"):
            store.remove_graph(graph)
            removed.append(doc_id)
    return removed

