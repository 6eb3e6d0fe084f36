"""The one small interface every graph store backend implements.

Stages above the store (``serve``, ``viz``, ``export``, the CLI) talk only to :class:`GraphStore`, never to
pyoxigraph or rdflib directly, so a backend can be swapped by ``--store`` alone (the rdflib plugin-registry idea).
Terms crossing this interface are rdflib terms: the lingua franca of Python RDF code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rdflib.term import Node

Quad = tuple[Node, Node, Node, Node]
Triple = tuple[Node, Node, Node]


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

    @abstractmethod
    def replace_graph(self, graph: str, triples: Iterable[Triple], metadata: Iterable[Triple] = ()) -> None:
        """Atomically replace named graph ``graph`` with ``triples``: readers see the old or the new, never half."""

    @abstractmethod
    def remove_graph(self, graph: str) -> None: ...

    @abstractmethod
    def graphs(self) -> list[str]: ...

    @abstractmethod
    def quads(self) -> Iterator[Quad]:
        """Every quad, in a stable order (graph, subject, predicate, object) so exports are reproducible."""

    @abstractmethod
    def query(self, sparql: str, *, limit: int | None = None) -> QueryResult:
        """Run a read-only SPARQL query over the union of all graphs; raises :class:`QueryError` when invalid."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of distinct triples in the union graph (what ``kg stats`` and the export count)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections; the default has nothing to release."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
