"""Loading RDF files (a previous ``kg export``, or any Turtle, N-Triples, TriG, N-Quads, JSON-LD) into a store.

Each named graph in the file replaces the graph of the same name in the store, in one transaction per graph, so
importing an export restores every document exactly and importing the same file twice changes nothing.  The file
is streamed (checked in a first pass, written in a second), so memory does not grow with its size.  Triples in
a file's default graph (Turtle, N-Triples, plain JSON-LD) go into one named graph for that file, because everything
in a kg store lives in a named graph that can be replaced or removed (``--graph`` names it).

Parsing is pyoxigraph's streaming parser: it is strict (a broken file is refused with its line and column before
anything is written) and it never fetches remote JSON-LD contexts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.rdf import DEFAULT_BASE, graph_iri
from kg.store.base import GraphStore, StoreError, Triple
from kg.store.oxigraph_store import OxigraphStore
from kg.store.terms import from_ox

IMPORT_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}
EXTENSIONS = {".ttl": "turtle", ".turtle": "turtle", ".nt": "nt", ".ntriples": "nt", ".trig": "trig", ".nq": "nquads",
              ".nquads": "nquads", ".jsonld": "jsonld", ".json": "jsonld"}


class ImportError_(StoreError):
    """A file could not be imported; the message names the file and, for syntax errors, the line and column."""


@dataclass
class ImportReport:
    path: str
    graphs: list[str] = field(default_factory=list)
    quads: int = 0


def guess_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ImportError_(f"{path}: cannot tell the format from the extension {suffix or '(none)'}; "
                           f"use --format ({', '.join(IMPORT_FORMATS)})")
    return EXTENSIONS[suffix]


def default_graph_for(path: str | Path, base: str = DEFAULT_BASE) -> str:
    return graph_iri(base, f"import/{Path(path).name}")


CHUNK = 50_000  # quads per transaction when one graph is larger than this


def _read(path: str | Path, fmt: str, default: str) -> Iterator[tuple[str, ox.Quad]]:
    """(graph IRI, quad) for every statement of the file, default-graph triples moved into ``default``."""
    with open(path, "rb") as handle:
        for q in ox.parse(handle, format=IMPORT_FORMATS[fmt], base_iri=None):
            if isinstance(q.graph_name, ox.NamedNode):
                yield q.graph_name.value, q
                continue
            name = default if not isinstance(q.graph_name, ox.BlankNode) else f"{default}#{q.graph_name.value}"
            yield name, ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(name))


def import_file(store: GraphStore, path: str | Path, *, fmt: str | None = None, graph: str | None = None,
                base: str = DEFAULT_BASE, progress: Callable[[str], None] | None = None) -> ImportReport:
    """Check the whole file first (nothing is written if any of it fails to parse), then stream it into the store,
    replacing each graph it names.

    Memory stays bounded: the file is read twice rather than held.  A graph's quads are written in one
    transaction — a document's graph from a kg export always is; only a graph larger than :data:`CHUNK` quads
    (a big Turtle file's single graph) is written in several.
    """
    fmt = fmt or guess_format(path)
    if fmt not in IMPORT_FORMATS:
        raise ImportError_(f"{path}: unknown format {fmt!r}; choose one of {', '.join(IMPORT_FORMATS)}")
    default = graph or default_graph_for(path, base)
    try:
        for _ in _read(path, fmt, default):  # pass 1: syntax only
            pass
    except SyntaxError as exc:
        raise ImportError_(f"{path}: not valid {fmt}: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise ImportError_(f"{path}: {exc}") from exc

    report = ImportReport(path=str(path))
    written: set[str] = set()
    current: str | None = None
    batch: list[ox.Quad] = []
    fresh: list[ox.Quad] = []  # graphs the store does not hold yet, written together by the bulk loader
    fast = isinstance(store, OxigraphStore)  # the default store takes pyoxigraph quads as they are: 3x faster

    def flush_fresh() -> None:
        if fresh:
            store.bulk_add(fresh)
            fresh.clear()

    def flush() -> None:
        if current is None:
            return
        if current not in written:
            if fast and not store.has_graph(current):
                fresh.extend(batch)  # whole graphs, in one atomic bulk load with the graphs before them
                if len(fresh) >= CHUNK:
                    flush_fresh()
            elif fast:
                flush_fresh()
                store.replace_graph_quads(current, batch)
            else:
                store.replace_graph(current, [_triple(q) for q in batch])
            written.add(current)
            report.graphs.append(current)
            if progress is not None:
                progress(current)
        elif fast:
            flush_fresh()
            store.add_quads(batch)
        else:
            store.add_to_graph(current, [_triple(q) for q in batch])
        report.quads += len(batch)

    for name, quad in _read(path, fmt, default):  # pass 2: write graph by graph
        if name != current or len(batch) >= CHUNK:
            flush()
            current, batch = name, []
        batch.append(quad)
    flush()
    if fast:
        flush_fresh()
    report.graphs.sort()
    return report


def _triple(q: ox.Quad) -> Triple:
    return from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)
