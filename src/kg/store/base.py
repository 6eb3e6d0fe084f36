"""The one small interface every graph store backend implements.

Stages above the store (``serve``, ``viz``, ``export``, the CLI) talk only to :class:`GraphStore`, never to
pyoxigraph or rdflib directly, so a backend can be swapped by ``--store`` alone (the rdflib plugin-registry idea).
Terms crossing this interface are rdflib terms: the lingua franca of Python RDF code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

Quad = tuple[Node, Node, Node, Node]
Triple = tuple[Node, Node, Node]
# Where an update's triples written to the default graph (the union view) are kept, so that they stay in a named
# graph like everything else and survive the union being recomputed.
UPDATES_GRAPH = "urn:kg:graph:updates"


class StoreError(Exception):
    """A store could not be opened, read or written; the message names the store and the cause."""


class QueryError(ValueError):
    """A query was rejected (syntax error, refused feature, too large); the message is shown to the user as is."""


@dataclass
class QueryResult:
    """Backend-neutral result of a SPARQL query.

    ``kind`` is ``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE).  ``truncated`` is set when the result-size cap
    cut the rows, so that callers can say so instead of silently returning a partial answer.
    """

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)
    truncated: bool = False


class GraphStore(ABC):
    """A quad store with named graphs whose default graph, when queried, is the union of all graphs."""

    description: str = ""
    writes_batches: bool = False  # add_graphs writes many graphs in one transaction (see kg.build)
    # Writes through this object that may change triples without changing any document graph's name or content hash
    # (SPARQL updates, additions to a graph): caches of derived views (the explorer) include it in their version.
    writes: int = 0

    @abstractmethod
    def replace_graph(self, graph: str, triples: Iterable[Triple], metadata: Iterable[Triple] = ()) -> None:
        """Atomically replace named graph ``graph`` with ``triples``: readers see the old or the new, never half."""

    def add_graphs(self, graphs: list[tuple[str, list[Triple]]]) -> None:
        """Write several graphs that the store does not hold yet.  Stores whose ``writes_batches`` is true write
        them in one transaction; the fallback writes them one by one, each whole."""
        for graph, triples in graphs:
            self.replace_graph(graph, triples)

    @abstractmethod
    def remove_graph(self, graph: str) -> None: ...

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        """Add ``triples`` to ``graph`` (one transaction), keeping what it holds: how an import writes a graph too
        large for one transaction, in pieces.  Backends override this; the fallback rewrites the whole graph."""
        kept = [(s, p, o) for s, p, o, _ in self.graph_quads(graph)]
        self.replace_graph(graph, [*kept, *triples])

    @abstractmethod
    def graphs(self) -> list[str]: ...

    @abstractmethod
    def quads(self) -> Iterator[Quad]:
        """Every quad of the named graphs, streamed: graphs in IRI order, each graph's quads grouped by subject in an
        order that depends only on the store's content, so the same store exports the same bytes."""

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        """The quads of one named graph, grouped by subject, in the same stable order as :meth:`quads`."""
        name = URIRef(graph)
        return (q for q in self.quads() if q[3] == name)

    def quads_for(self, subject: Node | None = None, predicate: Node | None = None, obj: Node | None = None,
                  graph: str | None = None) -> Iterator[Quad]:
        """Quads matching a pattern (``None`` matches anything); backends override this with an index lookup."""
        for q in self.quads():
            if (subject is None or q[0] == subject) and (predicate is None or q[1] == predicate) \
                    and (obj is None or q[2] == obj) and (graph is None or str(q[3]) == graph):
                yield q

    @abstractmethod
    def query(self, sparql: str, *, limit: int | None = None, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = ()) -> QueryResult:
        """Run a read-only SPARQL query; raises :class:`QueryError` when invalid.

        The dataset is the union of all graphs (as a set) unless the SPARQL Protocol's ``default-graph-uri`` /
        ``named-graph-uri`` are given as ``default_graphs`` (merged into the default graph) / ``named_graphs`` (the
        only graphs ``GRAPH`` sees; with default graphs only, no named graph is visible, as the protocol says).
        """

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (one request, one transaction where the backend has them).

        The default graph stays the union of the named graphs: a triple inserted into the default graph is kept in
        the graph :data:`UPDATES_GRAPH`, and one deleted from the default graph is deleted from every named graph.
        ``LOAD`` and ``SERVICE`` are refused.  Backends without updates raise :class:`StoreError`.
        """
        raise StoreError(f"the {self.description} store does not accept SPARQL updates")

    @abstractmethod
    def __len__(self) -> int:
        """Number of distinct triples in the union graph (what ``kg stats`` and the export count)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections; the default has nothing to release."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
