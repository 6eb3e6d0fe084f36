"""The entity network and the analytics over it: centrality, search, neighbourhoods, shortest paths, communities.

Nodes are entities (IRI → label, type, aliases); edges are extracted relations between entities, plus co-mention
links kept apart (``kind="comention"``) so that views can draw them fainter or hide them.  Everything a view needs is
computed here on the server, so that the browser only ever receives the few hundred nodes it draws, whatever the size
of the graph.

The explorer works on the compact table of :mod:`kg.viz.table` (integer ids, numpy edge arrays): on a 50,000-entity
store that makes the first view cost a table read and a vectorised PageRank, about a second, where building a
networkx MultiGraph first took several.  The networkx graph is still there (``Explorer.graph``, ``entity_graph``)
for callers that want one, built on first use; Louvain runs in networkx on the entities a user is looking at.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from kg.store import GraphStore
from kg.viz.table import (
    COMENTION,
    ENTITY_TYPES,
    EntityTable,
    assemble,
    local_name,
    read_table,
    relation_predicates,
)

if TYPE_CHECKING:  # networkx is imported where it is used: a server's first view does not need it (~0.1 s)
    import networkx as nx

__all__ = ["COMENTION", "COMENTION_WEIGHT", "ENTITY_TYPES", "Explorer", "entity_graph", "focus", "local_name",
           "normalise", "pagerank", "relation_predicates", "top_nodes"]

# Co-mentions are weak evidence of a link; they count for less than an extracted relation in centrality and paths.
COMENTION_WEIGHT = 0.3


def normalise(text: str) -> str:
    """Fold full-width letters/digits and case so that ``ＫＧ`` finds ``kg``: how search keys are compared."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def pagerank_arrays(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *, damping: float = 0.85,
                    iterations: int = 100, tol: float = 1e-9) -> np.ndarray:
    """Weighted PageRank of an undirected graph given as edge arrays, by power iteration in numpy.

    networkx's own ``pagerank`` needs scipy, which we do not depend on; this is the same computation (dangling mass
    spread uniformly) in a few vector operations: ~0.1 s for 50,000 entities and 150,000 edges.
    """
    if n == 0:
        return np.zeros(0)
    a = np.concatenate([src, dst]).astype(np.int64)
    b = np.concatenate([dst, src]).astype(np.int64)
    w = np.concatenate([weight, weight]).astype(float)
    out = np.bincount(a, weights=w, minlength=n) if len(a) else np.zeros(n)
    share = np.divide(w, out[a], out=np.zeros_like(w), where=out[a] > 0) if len(a) else w
    dangling = out == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        spread = np.bincount(b, weights=rank[a] * share, minlength=n) if len(a) else np.zeros(n)
        new = damping * (spread + rank[dangling].sum() / n) + (1 - damping) / n
        if np.abs(new - rank).sum() < n * tol:
            return new
        rank = new
    return rank


def pagerank(graph: nx.MultiGraph, *, damping: float = 0.85, iterations: int = 100,
             tol: float = 1e-9) -> dict[str, float]:
    """Weighted PageRank of a networkx entity graph (co-mentions weighted :data:`COMENTION_WEIGHT`)."""
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    src, dst, weight = [], [], []
    for s, o, data in graph.edges(data=True):
        src.append(index[s])
        dst.append(index[o])
        weight.append(COMENTION_WEIGHT if data["kind"] == "comention" else 1.0)
    rank = pagerank_arrays(len(nodes), np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64),
                           np.asarray(weight, dtype=float), damping=damping, iterations=iterations, tol=tol)
    return {node: float(rank[i]) for i, node in enumerate(nodes)}


def table_of_graph(graph: nx.MultiGraph) -> EntityTable:
    """The compact table of a networkx entity graph (as :func:`entity_graph` builds, or made by hand)."""
    by_type: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        by_type.setdefault(data.get("type", ""), []).append(str(node))
    order = [t for t in ENTITY_TYPES if t in by_type] + sorted(t for t in by_type if t not in ENTITY_TYPES)
    labelled = [(str(n), d["label"]) for n, d in graph.nodes(data=True) if d.get("label")]
    aliased = [(str(n), a) for n, d in graph.nodes(data=True) for a in d.get("aliases", ())]
    edges: dict[str, tuple[list[str], list[str]]] = {}
    for s, o, data in graph.edges(data=True):
        times = int(data.get("count", 1))
        subjects, objects = edges.setdefault(data["predicate"], ([], []))
        subjects.extend([str(data.get("source", s))] * times)
        objects.extend([str(data.get("target", o))] * times)
    return assemble([(t, by_type[t]) for t in order], ([e for e, _ in labelled], [t for _, t in labelled]),
                    ([e for e, _ in aliased], [t for _, t in aliased]),
                    [(p, subjects, objects) for p, (subjects, objects) in sorted(edges.items())])


class Explorer:
    """The entity graph with what every request needs: centrality, a search index, neighbour lists.

    Built once per store version and shared by the requests of the explorer (read-only after construction; the
    lazily built parts are guarded by a lock), so that a request touches only the part of the graph it returns.
    """

    def __init__(self, table: EntityTable, rank: np.ndarray | None = None) -> None:
        self.table = table
        n = len(table)
        self.index = {iri: i for i, iri in enumerate(table.iris)}
        # The attribute dicts views read, shaped like networkx's ``graph.nodes[iri]``.
        self.nodes: dict[str, dict[str, Any]] = {
            iri: {"label": label, "type": kind, "aliases": aliases}
            for iri, label, kind, aliases in zip(table.iris, table.labels, table.types, table.aliases, strict=True)}
        co = table.comention_code
        self._is_co = table.pred == co if co >= 0 else np.zeros(len(table.pred), dtype=bool)
        weight = np.where(self._is_co, COMENTION_WEIGHT, 1.0)
        self.rank_array = pagerank_arrays(n, table.src, table.dst, weight) if rank is None else rank
        if len(self.rank_array) != n:
            raise ValueError("one rank per entity expected")
        self.rank: dict[str, float] = dict(zip(table.iris, self.rank_array.tolist(), strict=True))
        self.max_rank = float(self.rank_array.max()) if n else 1.0
        # Best first, ties by IRI (ids are in IRI order): the order of every "top N" view.
        self._order = np.lexsort((np.arange(n), -self.rank_array)) if n else np.zeros(0, dtype=np.int64)
        self._degree = (np.bincount(table.src, minlength=n) + np.bincount(table.dst, minlength=n)) if n else \
            np.zeros(0, dtype=np.int64)
        self._lock = threading.RLock()
        self._names: list[tuple[str, int, bool]] | None = None
        self._neighbours: dict[bool, list[list[int]]] = {}
        self._graph: nx.MultiGraph | None = None

    # -- construction --------------------------------------------------------------------------------------------
    @classmethod
    def from_store(cls, store: GraphStore) -> Explorer:
        return cls(read_table(store))

    @classmethod
    def from_table(cls, table: EntityTable, rank: np.ndarray | None = None) -> Explorer:
        return cls(table, rank)

    @classmethod
    def from_graph(cls, graph: nx.MultiGraph) -> Explorer:
        explorer = cls(table_of_graph(graph))
        explorer._graph = graph
        return explorer

    def prepare(self) -> Explorer:
        """Build the lazy parts now (search index, neighbour lists): what a warm-up does once the first view is
        answerable, so that a user's first search or expand does not pay for them."""
        self._name_index()
        self.neighbours(True)
        self.neighbours(False)
        return self

    # -- the graph as networkx -----------------------------------------------------------------------------------
    @property
    def graph(self) -> nx.MultiGraph:
        """The entity graph as a networkx MultiGraph (built on first use: ~2 s at 50,000 entities)."""
        with self._lock:
            if self._graph is None:
                self._graph = self._to_networkx()
            return self._graph

    def _to_networkx(self) -> nx.MultiGraph:
        import networkx as nx

        graph = nx.MultiGraph()
        graph.add_nodes_from((iri, dict(data)) for iri, data in self.nodes.items())
        graph.add_edges_from(self._edge_tuples(np.arange(len(self.table.src))))
        return graph

    def _edge_tuples(self, positions: Iterable[int]) -> list[tuple[str, str, str, dict[str, Any]]]:
        t = self.table
        out = []
        for k in positions:
            s, o = t.iris[t.src[k]], t.iris[t.dst[k]]
            predicate = t.predicates[t.pred[k]]
            if predicate == COMENTION:
                out.append((s, o, COMENTION, {"predicate": COMENTION, "count": int(t.count[k]), "kind": "comention",
                                              "source": s, "target": o}))
            else:
                out.append((s, o, f"{predicate}:{s}>{o}", {"predicate": predicate, "count": int(t.count[k]),
                                                           "kind": "relation", "source": s, "target": o}))
        return out

    # -- lookups -------------------------------------------------------------------------------------------------
    def __contains__(self, iri: object) -> bool:
        return iri in self.index

    def __len__(self) -> int:
        return len(self.table)

    def number_of_nodes(self) -> int:
        return len(self.table)

    def number_of_edges(self) -> int:
        return len(self.table.src)

    def degree(self, iri: str) -> int:
        """Edges at ``iri``, relations and co-mentions (as networkx counts a MultiGraph's degree)."""
        return int(self._degree[self.index[iri]])

    def type_counts(self) -> dict[str, int]:
        return dict(Counter(self.table.types))

    def comentions(self, iri: str) -> list[tuple[str, int]]:
        """The entities co-mentioned with ``iri`` and in how many documents."""
        i = self.index[iri]
        t = self.table
        hits = np.nonzero(self._is_co & ((t.src == i) | (t.dst == i)))[0]
        return [(t.iris[t.dst[k] if t.src[k] == i else t.src[k]], int(t.count[k])) for k in hits]

    def resolve(self, key: str) -> str | None:
        """An entity IRI from an IRI or an exact label/alias (best ranked when several share it)."""
        if key in self.index:
            return key
        hits = self.search(key, limit=1, exact=True)
        return hits[0] if hits else None

    def _name_index(self) -> list[tuple[str, int, bool]]:
        with self._lock:
            if self._names is None:
                names = []
                for i, (label, aliases) in enumerate(zip(self.table.labels, self.table.aliases, strict=True)):
                    names.append((normalise(label), i, True))
                    names.extend((normalise(a), i, False) for a in aliases)
                self._names = names
            return self._names

    def search(self, query: str, *, limit: int = 20, exact: bool = False) -> list[str]:
        """Entities whose label or alias equals, starts with or contains ``query``, in that order of preference.

        Within one kind of match a label beats an alias and a shorter name beats a longer one, then PageRank.
        """
        q = normalise(query)
        if not q:
            return []
        rank = self.rank_array
        best: dict[int, tuple] = {}
        for name, i, is_label in self._name_index():
            if name == q:
                kind = 0
            elif exact:
                continue
            elif name.startswith(q):
                kind = 1
            elif q in name:
                kind = 2
            else:
                continue
            key = (kind, 0 if is_label else 1, len(name), -rank[i], i)
            if i not in best or key < best[i]:
                best[i] = key
        return [self.table.iris[i] for i in sorted(best, key=best.__getitem__)[:limit]]

    def neighbours(self, comention: bool) -> list[list[int]]:
        """Neighbour ids of every entity, sorted, with or without co-mention links; built once, then shared."""
        with self._lock:
            cached = self._neighbours.get(comention)
            if cached is None:
                t, n = self.table, len(self.table)
                keep = slice(None) if comention else ~self._is_co
                a = np.concatenate([t.src[keep], t.dst[keep]])
                b = np.concatenate([t.dst[keep], t.src[keep]])
                pairs = np.unique(a * max(n, 1) + b)  # sorted by (node, neighbour), parallel edges merged
                starts = np.searchsorted(pairs // max(n, 1), np.arange(n + 1))
                flat = (pairs % max(n, 1)).tolist()
                bounds = starts.tolist()
                cached = self._neighbours[comention] = [flat[bounds[i]:bounds[i + 1]] for i in range(n)]
            return cached

    def adjacency(self, comention: bool) -> dict[str, list[str]]:
        """Neighbours by IRI (for callers outside; the explorer itself walks integer ids)."""
        iris = self.table.iris
        return {iris[i]: [iris[j] for j in nbrs] for i, nbrs in enumerate(self.neighbours(comention))}

    # -- views ---------------------------------------------------------------------------------------------------
    def top(self, limit: int, *, types: set[str] | None = None) -> list[str]:
        """The ``limit`` most central entities (of the given types), best first."""
        iris = self.table.iris
        if not types:
            return [iris[i] for i in self._order[:limit].tolist()]
        kinds = self.table.types
        out = []
        for i in self._order.tolist():
            if kinds[i] in types:
                out.append(iris[i])
                if len(out) >= limit:
                    break
        return out

    def neighbourhood(self, centres: Iterable[str], hops: int, limit: int, *,
                      comention: bool = True) -> tuple[list[str], int]:
        """Entities within ``hops`` of any centre, nearest first then most central; and how many there were.

        The BFS stops expanding once it has seen ten times the limit, so a hub in a huge graph costs a bounded amount.
        """
        nbrs = self.neighbours(comention)
        distance: dict[int, int] = {}
        frontier = [self.index[c] for c in centres if c in self.index]
        for c in frontier:
            distance[c] = 0
        for depth in range(1, hops + 1):
            nxt = []
            for node in frontier:
                for other in nbrs[node]:
                    if other not in distance:
                        distance[other] = depth
                        nxt.append(other)
            frontier = nxt
            if len(distance) > 10 * limit:
                break
        rank = self.rank_array
        order = sorted(distance, key=lambda i: (distance[i], -rank[i], i))
        return [self.table.iris[i] for i in order[:limit]], len(distance)

    def paths(self, source: str, target: str, *, limit: int = 3, comention: bool = False) -> list[list[str]]:
        """Up to ``limit`` shortest paths (fewest hops); relations only unless co-mentions are allowed.

        When relations alone do not connect the two, co-mentions are tried, because a path through "mentioned
        together" is still an answer worth showing (each of its edges carries its sentence).  The search is a
        breadth-first search that stops at the target's depth, so near pairs in a huge graph stay cheap.
        """
        if source not in self.index or target not in self.index:
            return []
        if source == target:
            return [[source]]
        s, t = self.index[source], self.index[target]
        iris = self.table.iris
        for allow in ([comention] if comention else [False, True]):
            nbrs = self.neighbours(allow)
            parents: dict[int, list[int]] = {s: []}
            frontier = [s]
            while frontier and t not in parents:
                level: dict[int, list[int]] = {}
                for node in frontier:
                    for other in nbrs[node]:
                        if other not in parents:
                            level.setdefault(other, []).append(node)
                parents.update(level)
                frontier = sorted(level)
            if t not in parents:
                continue
            found: list[list[str]] = []
            stack = [[t]]
            while stack and len(found) < limit:
                partial = stack.pop()
                head = partial[-1]
                if head == s:
                    found.append([iris[i] for i in reversed(partial)])
                    continue
                stack.extend([*partial, p] for p in sorted(parents[head], reverse=True))
            return found
        return []

    def _among(self, nodes: Iterable[str]) -> np.ndarray:
        """Positions of the edges with both ends in ``nodes`` (a vectorised mask over all edges)."""
        mask = np.zeros(len(self.table), dtype=bool)
        ids = [self.index[n] for n in nodes if n in self.index]
        if ids:
            mask[ids] = True
        t = self.table
        return np.nonzero(mask[t.src] & mask[t.dst])[0] if len(t.src) else np.zeros(0, dtype=np.int64)

    def communities(self, nodes: Iterable[str], *, seed: int = 7) -> list[list[str]]:
        """Louvain communities of the given entities (largest first), each ranked by PageRank, best first.

        Run on what the user is looking at, not on the whole store: Louvain on 50,000 nodes takes tens of seconds.
        """
        keep = sorted({self.index[n] for n in nodes if n in self.index})
        if not keep:
            return []
        import networkx as nx

        t, iris = self.table, self.table.iris
        simple = nx.Graph()
        simple.add_nodes_from(iris[i] for i in keep)
        for k in self._among(iris[i] for i in keep).tolist():
            s, o = iris[t.src[k]], iris[t.dst[k]]
            w = COMENTION_WEIGHT if self._is_co[k] else 1.0
            prev = simple.get_edge_data(s, o, {}).get("weight", 0.0)
            simple.add_edge(s, o, weight=prev + w)
        found = nx.community.louvain_communities(simple, weight="weight", seed=seed)
        ranked = [sorted(c, key=lambda n: (-self.rank.get(n, 0.0), n)) for c in found]
        return sorted(ranked, key=lambda c: (-len(c), c[0]))

    def edges_among(self, nodes: Iterable[str], *, comention: bool = True) -> list[tuple[str, str, str, dict]]:
        """Every edge with both ends in ``nodes``: (source, target, key, data)."""
        positions = self._among(nodes)
        if not comention:
            positions = positions[~self._is_co[positions]]
        return self._edge_tuples(positions.tolist())


def entity_graph(store: GraphStore) -> nx.MultiGraph:
    """Every entity and every relation between entities as a networkx MultiGraph; the co-mentions of one pair
    merge into one edge, and an edge's ``count`` is the number of documents asserting it."""
    return Explorer(read_table(store)).graph


# -- the functions the CLI and older callers use -------------------------------------------------------------------
def focus(graph: nx.MultiGraph, label: str, hops: int) -> nx.MultiGraph:
    """The neighbourhood of the entity labelled ``label`` (exact label or alias first, then prefix)."""
    explorer = Explorer.from_graph(graph)
    matches = explorer.search(label, limit=1, exact=True) or explorer.search(label, limit=1)
    if not matches:
        raise KeyError(label)
    nodes, _ = explorer.neighbourhood(matches, hops, graph.number_of_nodes())
    return graph.subgraph(nodes).copy()


def top_nodes(graph: nx.MultiGraph, limit: int) -> nx.MultiGraph:
    """The ``limit`` most central entities (PageRank over relation edges, co-mentions weighted lower)."""
    if graph.number_of_nodes() <= limit:
        return graph
    keep = Explorer.from_graph(graph).top(limit)
    return graph.subgraph(keep).copy()
