"""The default backend: Oxigraph embedded on disk (pyoxigraph).

Why Oxigraph: a compiled SPARQL 1.1 engine with a persistent RocksDB store, tens of times faster than rdflib's
engine on counts and regex filters, and transactional writes (one ``update`` is one transaction), which is what
makes a killed build leave every document whole or absent.

The default graph holds the union of all named graphs as a set, kept by every write in the same transaction as the
write itself.  Oxigraph's own union mode (``use_default_graph_as_union``) is a bag: a triple asserted by five
documents matches five times, so joins repeat rows and COUNTs grow with the number of documents.  A store written
before this (named graphs, empty default graph) is brought up to date when opened for writing; opened read-only it
is queried in union mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from kg.store.base import UPDATES_GRAPH, GraphStore, Quad, QueryError, QueryResult, StoreError, Triple
from kg.store.sparql_guard import check_query, check_update, strip_literals
from kg.store.terms import from_ox, to_ox

FORMAT_MARKER = "kg-store-format"
FORMAT_VERSION = "1"

_DEFAULT = ox.DefaultGraph()
# A prologue once strings, IRIs and comments are blanked: PREFIX names and BASE keywords separated by blanks.
_PROLOGUE = re.compile(r"(?:\s*(?:PREFIX\s+[^\s:]*:|BASE)\s*)*", re.IGNORECASE)
T = TypeVar("T")
R = TypeVar("R")


# Engines opened read-only see the store as it was when opened, so their answer is settled once (by id; removed on
# close).  The seek below is cheap, but on the endpoint's smallest queries it was a tenth of the server's time.
_SETTLED: dict[int, dict[str, object]] = {}


def dataset_kwargs(engine: ox.Store) -> dict[str, object]:
    """Query arguments that make the default graph the union of all documents: none when the store keeps the union
    in its default graph, Oxigraph's union mode for a store that does not (an index seek, cheap per query)."""
    settled = _SETTLED.get(id(engine))
    if settled is not None:
        return dict(settled)
    if next(iter(engine.quads_for_pattern(None, None, None, _DEFAULT)), None) is not None:
        return {}
    return {"use_default_graph_as_union": True}


def protocol_dataset(engine: ox.Store, default_graphs: Sequence[str] = (),
                     named_graphs: Sequence[str] = ()) -> dict[str, object]:
    """Engine arguments for the SPARQL Protocol's dataset, or for the union of all graphs when none is given."""
    kwargs: dict[str, object] = {}
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    elif default_graphs:
        kwargs["named_graphs"] = []  # the protocol: a dataset with default graphs only has no named graphs
    return kwargs or dataset_kwargs(engine)


def union_preserving_update(sparql: str) -> str:
    """``sparql`` wrapped so that, in the same request (one Oxigraph transaction), the default graph stays the set
    union of the named graphs: what the update inserted into the default graph moves to :data:`UPDATES_GRAPH`, what
    it deleted from the default graph is deleted from every named graph, and the union is recomputed.

    Why a snapshot: after the update alone, a triple in the default graph but in no named graph may be one the user
    inserted or one the user deleted from its named graph; only the state before the update tells them apart.
    """
    before = "urn:kg:graph:before-update"
    # The user's PREFIX/BASE declarations go first: Oxigraph does not take a prologue after a ";".
    prologue = _PROLOGUE.match(strip_literals(sparql))
    head, body = sparql[: prologue.end()], sparql[prologue.end():].rstrip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return (f"{head}\nDROP SILENT GRAPH <{before}> ;\nADD DEFAULT TO <{before}> ;\n{body}\n;\n"
            f"INSERT {{ GRAPH <{UPDATES_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o "
            f"FILTER NOT EXISTS {{ GRAPH <{before}> {{ ?s ?p ?o }} }} }} ;\n"
            f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{before}> {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} }} ;\n"
            f"DROP SILENT GRAPH <{before}> ;\nDROP SILENT DEFAULT ;\n"
            "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


def take(items: Iterable[T], limit: int | None) -> tuple[list[T], bool]:
    """The first ``limit`` items (all when None), and whether more were left: the result-size cap."""
    out: list[T] = []
    for item in items:
        if limit is not None and len(out) >= limit:
            return out, True
        out.append(item)
    return out, False


def solution_rows(result: ox.QuerySolutions, convert: Callable[[object], R],
                  limit: int | None) -> tuple[list[str], list[dict[str, R]], bool]:
    """Variable names and bound values (converted) of SELECT solutions, capped at ``limit``."""
    names = [v.value for v in result.variables]
    solutions, truncated = take(result, limit)
    rows = [{name: convert(value) for name in names if (value := solution[name]) is not None}
            for solution in solutions]
    return names, rows, truncated


@contextmanager
def engine_errors(failed: str) -> Iterator[None]:
    """Turn the engine's errors (and the guard's) into ours: syntax errors and refusals become a
    :class:`QueryError` the user can act on; I/O failures a :class:`StoreError` that starts with ``failed``."""
    try:
        yield
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    except OSError as exc:
        raise StoreError(f"{failed}: {exc}") from exc


def run_checked(engine: ox.Store, sparql: str, where: str, **dataset: object) -> object:
    """Guard a query and run it on the engine, with its errors made ours (:func:`engine_errors`)."""
    with engine_errors(f"query failed on {where}"):
        check_query(sparql)
        return engine.query(sparql, **dataset)


def _in_default(quads: list[ox.Quad]) -> list[ox.Quad]:
    return [ox.Quad(q.subject, q.predicate, q.object, _DEFAULT) for q in quads]


def _drop_graph_update(graph: str) -> str:
    """SPARQL that removes a graph and, from the union, the triples no other graph asserts."""
    return (f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != <{graph}>) }} }} ;\n"
            f"DROP SILENT GRAPH <{graph}>")


class OxigraphStore(GraphStore):
    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        if self.path is None:
            self._store = ox.Store()
            self.description = "memory (oxigraph)"
            return
        self.description = f"oxigraph at {self.path}"
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"store path {self.path} is a file, not a store directory")
        marker = self.path / FORMAT_MARKER
        if self.path.is_dir() and any(self.path.iterdir()):
            if not marker.exists():
                raise StoreError(f"{self.path} is not empty and is not a kg store (no {FORMAT_MARKER} file); "
                                 "refusing to write into it")
            version = marker.read_text(encoding="utf-8").strip()
            if version != FORMAT_VERSION:
                raise StoreError(f"store {self.path} has format {version!r}; this kg reads format {FORMAT_VERSION!r}."
                                 " Export it with the kg that wrote it and import it here.")
        try:
            if read_only:
                self._store = ox.Store.read_only(str(self.path))
                _SETTLED[id(self._store)] = dataset_kwargs(self._store)
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
                if not marker.exists():
                    marker.write_text(FORMAT_VERSION + "\n", encoding="utf-8")
                if dataset_kwargs(self._store) and any(True for _ in self._store.named_graphs()):
                    self.rebuild_union()
        except OSError as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc

    @property
    def engine(self) -> ox.Store:
        """The pyoxigraph Store itself, for callers that serialise answers natively or bulk-load (the endpoint's
        fast path, the explorer's reader, bulk builds).  Writes through it must keep the union default graph:
        call :meth:`rebuild_union` after writing named graphs directly."""
        return self._store

    def rebuild_union(self) -> None:
        """Recompute the default graph as the set union of all named graphs, in one transaction (for stores
        written by other tools or older versions)."""
        try:
            self._store.update("DROP SILENT DEFAULT ;\nINSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot update the union graph of {self.description}: {exc}") from exc

    def replace_graph(self, graph: str, triples: Iterable[Triple], metadata: Iterable[Triple] = ()) -> None:
        name = ox.NamedNode(graph)
        quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in triples]
        quads += [ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in metadata]
        self.replace_graph_quads(graph, quads)

    def replace_graph_quads(self, graph: str, quads: list[ox.Quad]) -> None:
        """:meth:`replace_graph` for pyoxigraph quads already in ``graph`` (the import fast path: no conversion
        through rdflib terms)."""
        name = ox.NamedNode(graph)
        try:
            if not self._store.contains_named_graph(name):
                # A new graph (the common case in a build): one transactional insert, no SPARQL text to parse.
                self._store.extend(quads + _in_default(quads))
                return
            # One SPARQL update is one transaction in Oxigraph: the drop and the insert commit together or not at all.
            body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
            self._store.update(f"{_drop_graph_update(graph)} ;\n"
                               f"INSERT DATA {{ {body}\nGRAPH <{graph}> {{\n{body}\n}} }}")
        except (OSError, SyntaxError, RuntimeError) as exc:
            raise StoreError(f"cannot write graph {graph} to {self.description}: {exc}") from exc

    writes_batches = True

    def add_graphs(self, graphs: list[tuple[str, list[Triple]]]) -> None:
        """New graphs in one atomic bulk load: Oxigraph's bulk loader builds sorted files and ingests them all at
        its commit, so a kill leaves all of them or none, and it is several times faster than transactions."""
        names = [ox.NamedNode(graph) for graph, _ in graphs]
        if any(self._store.contains_named_graph(name) for name in names):  # not new after all: replace each
            for graph, triples in graphs:
                self.replace_graph(graph, triples)
            return
        quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), name)
                 for name, (_, triples) in zip(names, graphs, strict=True) for s, p, o in triples]
        self.bulk_add(quads)

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        name = ox.NamedNode(graph)
        self.add_quads([ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in triples])
        self.writes += 1

    def has_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def bulk_add(self, quads: list[ox.Quad]) -> None:
        """Add quads with the bulk loader: atomic (all ingested at its commit) and several times faster than a
        transaction, for graphs the store does not hold yet."""
        try:
            self._store.bulk_extend(quads + _in_default(quads))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot write to {self.description}: {exc}") from exc

    def add_quads(self, quads: list[ox.Quad]) -> None:
        """Add pyoxigraph quads in one transaction (the import fast path for graphs written in pieces)."""
        try:
            self._store.extend(quads + _in_default(quads))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot write to {self.description}: {exc}") from exc

    def remove_graph(self, graph: str) -> None:
        try:
            self._store.update(_drop_graph_update(graph))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot remove graph {graph} from {self.description}: {exc}") from exc

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def quads(self) -> Iterator[Quad]:
        # Streamed straight from the store's graph-subject-predicate-object index: constant memory, and an order
        # that depends only on the content (Oxigraph encodes terms by a fixed hash), so exports are reproducible.
        for graph in self.graphs():
            yield from self.graph_quads(graph)

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        g = URIRef(graph)
        for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), g

    def quads_for(self, subject: Node | None = None, predicate: Node | None = None, obj: Node | None = None,
                  graph: str | None = None) -> Iterator[Quad]:
        pattern = [None if t is None else to_ox(t) for t in (subject, predicate, obj)]
        name = ox.NamedNode(graph) if graph is not None else None
        for q in self._store.quads_for_pattern(pattern[0], pattern[1], pattern[2], name):
            if isinstance(q.graph_name, ox.NamedNode):
                yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), URIRef(q.graph_name.value)

    def query(self, sparql: str, *, limit: int | None = None, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = ()) -> QueryResult:
        result = run_checked(self._store, sparql, self.description,
                             **protocol_dataset(self._store, default_graphs, named_graphs))
        if isinstance(result, ox.QueryBoolean):
            return QueryResult(kind="ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names, rows, truncated = solution_rows(result, from_ox, limit)
            return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
        found, truncated = take(result, limit)
        triples = [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in found]
        return QueryResult(kind="graph", triples=triples, truncated=truncated)

    def update(self, sparql: str) -> None:
        if self.read_only:
            raise StoreError(f"{self.description} is open read-only; updates need a store opened for writing")
        with engine_errors(f"update failed on {self.description}"):
            check_update(sparql)
            # Parsed (and run) on an empty scratch store first, so that a syntax error's line and column point into
            # the user's text rather than into the wrapped request.
            ox.Store().update(sparql)
            self._store.update(union_preserving_update(sparql))
        self.writes += 1

    def __len__(self) -> int:
        result = self._store.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }",
                                   **dataset_kwargs(self._store))
        return int(next(iter(result))["n"].value)

    def close(self) -> None:
        if self.path is not None and not getattr(self, "_closed", False):
            if not self.read_only:
                self._store.flush()
            self._closed = True
            _SETTLED.pop(id(self._store), None)
            del self._store
