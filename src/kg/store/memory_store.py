"""An rdflib in-memory backend (``--store rdflib:``), for tests and small scripts that want pure Python.

The default and ``memory:`` stores use Oxigraph; this one exists so that the store interface is proven against a
second engine and so that rdflib-only environments still work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from rdflib import Dataset, URIRef
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.query import Result
from rdflib.term import Node

from kg.store.base import GraphStore, Quad, QueryError, QueryResult, Triple
from kg.store.sparql_guard import check_query


class RdflibStore(GraphStore):
    description = "memory (rdflib)"

    def __init__(self) -> None:
        self._ds = Dataset(default_union=True)

    def replace_graph(self, graph: str, triples: Iterable[Triple], metadata: Iterable[Triple] = ()) -> None:
        new = list(triples) + list(metadata)
        self._ds.remove_graph(URIRef(graph))
        g = self._ds.graph(URIRef(graph))
        for t in new:
            g.add(t)

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        g = self._ds.graph(URIRef(graph))
        for t in triples:
            g.add(t)

    def remove_graph(self, graph: str) -> None:
        self._ds.remove_graph(URIRef(graph))

    def graphs(self) -> list[str]:
        return sorted(str(g.identifier) for g in self._ds.graphs() if len(g) and isinstance(g.identifier, URIRef)
                      and str(g.identifier) != "urn:x-rdflib:default")

    def quads(self) -> Iterator[Quad]:
        for name in self.graphs():
            yield from self.graph_quads(name)

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        g = self._ds.graph(URIRef(graph))
        for s, p, o in sorted(g, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3())):
            yield s, p, o, URIRef(graph)

    def quads_for(self, subject: Node | None = None, predicate: Node | None = None, obj: Node | None = None,
                  graph: str | None = None) -> Iterator[Quad]:
        names = [graph] if graph is not None else self.graphs()
        for name in names:
            for s, p, o in self._ds.graph(URIRef(name)).triples((subject, predicate, obj)):
                yield s, p, o, URIRef(name)

    def _protocol_dataset(self, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> Dataset:
        """A copy holding only the protocol's dataset: the named graphs asked for, and the merge of the default
        graphs as the default graph (small stores only, which is what this backend is for)."""
        view = Dataset(default_union=False)
        default = view.default_graph
        for name in default_graphs:
            for t in self._ds.graph(URIRef(name)):
                default.add(t)
        for name in named_graphs:
            g = view.graph(URIRef(name))
            for t in self._ds.graph(URIRef(name)):
                g.add(t)
        return view

    def query(self, sparql: str, *, limit: int | None = None, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = ()) -> QueryResult:
        try:
            check_query(sparql)
            parseQuery(sparql)
            dataset = self._protocol_dataset(default_graphs, named_graphs) if default_graphs or named_graphs \
                else self._ds
            result: Result = dataset.query(sparql)
        except ValueError as exc:
            raise QueryError(str(exc)) from exc
        except Exception as exc:  # rdflib raises pyparsing errors of several kinds
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        if result.type == "ASK":
            return QueryResult(kind="ask", boolean=bool(result.askAnswer))
        if result.type == "SELECT":
            names = [str(v) for v in result.vars or []]
            rows = []
            for row in result:
                if limit is not None and len(rows) >= limit:
                    return QueryResult(kind="select", vars=names, rows=rows, truncated=True)
                rows.append({n: row[n] for n in names if row[n] is not None})
            return QueryResult(kind="select", vars=names, rows=rows)
        triples = list(result)
        truncated = limit is not None and len(triples) > limit
        return QueryResult(kind="graph", triples=triples[:limit] if truncated else triples, truncated=truncated)

    def __len__(self) -> int:
        return len({(s, p, o) for s, p, o, _ in self.quads()})
