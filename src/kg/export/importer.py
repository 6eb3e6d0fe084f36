"""Loading RDF files (a previous ``kg export``, or any Turtle, N-Triples, TriG, N-Quads, JSON-LD) into a store.

Each named graph in the file replaces the graph of the same name in the store, in one transaction per graph, so
importing an export restores every document exactly and importing the same file twice changes nothing.  Triples in
a file's default graph (Turtle, N-Triples, plain JSON-LD) go into one named graph for that file, because everything
in a kg store lives in a named graph that can be replaced or removed (``--graph`` names it).

Parsing is pyoxigraph's streaming parser: it is strict (a broken file is refused with its line and column before
anything is written) and it never fetches remote JSON-LD contexts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.rdf import DEFAULT_BASE, graph_iri
from kg.store.base import GraphStore, StoreError
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


def import_file(store: GraphStore, path: str | Path, *, fmt: str | None = None, graph: str | None = None,
                base: str = DEFAULT_BASE, progress: Callable[[str], None] | None = None) -> ImportReport:
    """Parse ``path`` completely, then replace each of its graphs in ``store``; nothing is written if it fails to
    parse.  Memory holds the parsed file (grouped by graph) — the price of not half-importing a broken file."""
    fmt = fmt or guess_format(path)
    if fmt not in IMPORT_FORMATS:
        raise ImportError_(f"{path}: unknown format {fmt!r}; choose one of {', '.join(IMPORT_FORMATS)}")
    default = graph or default_graph_for(path, base)
    by_graph: dict[str, list[ox.Quad]] = {}
    try:
        with open(path, "rb") as handle:
            for q in ox.parse(handle, format=IMPORT_FORMATS[fmt], base_iri=None):
                if isinstance(q.graph_name, ox.NamedNode):
                    by_graph.setdefault(q.graph_name.value, []).append(q)
                    continue
                name = default if not isinstance(q.graph_name, ox.BlankNode) else f"{default}#{q.graph_name.value}"
                by_graph.setdefault(name, []).append(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(name)))
    except SyntaxError as exc:
        raise ImportError_(f"{path}: not valid {fmt}: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise ImportError_(f"{path}: {exc}") from exc
    report = ImportReport(path=str(path))
    for name in sorted(by_graph):
        if isinstance(store, OxigraphStore):  # the default store takes pyoxigraph quads as they are: 3x faster
            store.replace_graph_quads(name, by_graph[name])
        else:
            store.replace_graph(name, [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                                       for q in by_graph[name]])
        report.graphs.append(name)
        report.quads += len(by_graph[name])
        if progress is not None:
            progress(name)
    return report
