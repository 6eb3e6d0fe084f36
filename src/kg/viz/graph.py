"""The entity network as a networkx graph, read from the store through SPARQL only, and the analytics over it.

Nodes are entities (IRI → label, type, aliases); edges are extracted relations between entities, plus co-mention
links kept apart (``kind="comention"``) so that views can draw them fainter or hide them.  Everything a view needs
(search, neighbourhoods, shortest paths, centrality, communities) is computed here on the server, so that the
browser only ever receives the few hundred nodes it draws, whatever the size of the graph.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from kg.rdf.namespaces import KG
from kg.store import GraphStore

ENTITY_TYPES = ("Agency", "Person", "Place", "Project", "Event")
COMENTION = "coMention"
# Co-mentions are weak evidence of a link; they count for less than an extracted relation in centrality and paths.
COMENTION_WEIGHT = 0.3

_PREFIXES = f"""PREFIX kg: <{KG}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# Single triple patterns only, joined in Python: on a 50,000-entity store, Oxigraph answers a two-pattern join with
# aggregates (label + type + document count) in ~10 s and the three-pattern rdf:Statement join in ~30 s, while each
# single pattern below takes one index scan (benchmarks/explore_bench.py).
TYPES_QUERY = _PREFIXES + f"""
SELECT ?e ?type WHERE {{ VALUES ?type {{ {' '.join('kg:' + t for t in ENTITY_TYPES)} }} ?e a ?type }}
"""

LABELS_QUERY = _PREFIXES + "SELECT ?e ?l WHERE { ?e rdfs:label ?l }"

ALIASES_QUERY = _PREFIXES + "SELECT ?e ?alt WHERE { ?e skos:altLabel ?alt }"

# Relations are read from the plain triples the pipeline writes beside each rdf:Statement, one row per document
# (named graph) asserting them, so an edge's count is the number of documents that support it.
EDGES_QUERY = _PREFIXES + """
SELECT ?g ?s ?p ?o WHERE {{ VALUES ?p {{ {predicates} }} GRAPH ?g {{ ?s ?p ?o }} }}
"""


def relation_predicates() -> list[str]:
    """The properties whose object is an entity: the ones the rdf stage writes (see kg.rdf.convert)."""
    from kg.rdf.convert import OBJECT_PROPERTIES

    return sorted(str(p) for p in OBJECT_PROPERTIES.values())


def local_name(iri: str) -> str:
    """The part of an IRI after ``#`` (or the last ``/``): how predicates and types are shown."""
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def normalise(text: str) -> str:
    """Fold full-width letters/digits and case so that ``ＫＧ`` finds ``kg``: how search keys are compared."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def entity_graph(store: GraphStore) -> nx.MultiGraph:
    """Read every entity and every relation between entities; co-mentions of one pair merge into one edge."""
    graph = nx.MultiGraph()
    for row in store.query(TYPES_QUERY).rows:
        iri = str(row["e"])
        if iri not in graph:  # an entity typed twice keeps its first type
            graph.add_node(iri, label="", type=local_name(str(row["type"])), aliases=[])
    nodes = graph.nodes
    for row in store.query(LABELS_QUERY).rows:
        iri = str(row["e"])
        if iri in nodes and not nodes[iri]["label"]:
            nodes[iri]["label"] = str(row["l"])
    for iri, data in nodes.items():
        data["label"] = data["label"] or local_name(iri)
    for row in store.query(ALIASES_QUERY).rows:
        iri = str(row["e"])
        if iri in nodes:
            alias = str(row["alt"])
            if alias not in nodes[iri]["aliases"]:
                nodes[iri]["aliases"].append(alias)
    predicates = " ".join(f"<{p}>" for p in relation_predicates())
    support: dict[tuple[str, str, str], int] = {}
    for row in store.query(EDGES_QUERY.format(predicates=predicates)).rows:
        s, o = str(row["s"]), str(row["o"])
        if s == o or s not in nodes or o not in nodes:
            continue
        predicate = local_name(str(row["p"]))
        key = (predicate, *sorted((s, o))) if predicate == COMENTION else (predicate, s, o)
        support[key] = support.get(key, 0) + 1
    for (predicate, s, o), count in sorted(support.items()):
        if predicate == COMENTION:
            graph.add_edge(s, o, key=COMENTION, predicate=COMENTION, count=count, kind="comention",
                           source=s, target=o)
        else:
            graph.add_edge(s, o, key=f"{predicate}:{s}>{o}", predicate=predicate, count=count, kind="relation",
                           source=s, target=o)
    return graph


def pagerank(graph: nx.MultiGraph, *, damping: float = 0.85, iterations: int = 100,
             tol: float = 1e-9) -> dict[str, float]:
    """Weighted PageRank by power iteration in numpy.

    networkx's own ``pagerank`` needs scipy, which we do not depend on; this is the same computation (dangling mass
    spread uniformly) in a few vector operations, fast enough for a 50,000-entity graph on every reload.
    """
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    src, dst, weight = [], [], []
    for s, o, data in graph.edges(data=True):
        w = COMENTION_WEIGHT if data["kind"] == "comention" else 1.0
        i, j = index[s], index[o]
        src += (i, j)
        dst += (j, i)
        weight += (w, w)
    src_a, dst_a, w_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(weight)
    out = np.bincount(src_a, weights=w_a, minlength=n) if len(src) else np.zeros(n)
    share = np.divide(w_a, out[src_a], out=np.zeros_like(w_a), where=out[src_a] > 0) if len(src) else w_a
    dangling = out == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        spread = np.bincount(dst_a, weights=rank[src_a] * share, minlength=n) if len(src) else np.zeros(n)
        new = damping * (spread + rank[dangling].sum() / n) + (1 - damping) / n
        if np.abs(new - rank).sum() < n * tol:
            rank = new
            break
        rank = new
    return {node: float(rank[i]) for i, node in enumerate(nodes)}


def _simple(graph: nx.MultiGraph, nodes: Iterable[str] | None = None, *, comention: bool = True) -> nx.Graph:
    """Collapse parallel edges into one weighted edge (what path finding and community detection need)."""
    simple = nx.Graph()
    view = graph if nodes is None else graph.subgraph(nodes)
    simple.add_nodes_from(view.nodes)
    for s, o, data in view.edges(data=True):
        if data["kind"] == "comention" and not comention:
            continue
        w = COMENTION_WEIGHT if data["kind"] == "comention" else 1.0
        prev = simple.get_edge_data(s, o, {}).get("weight", 0.0)
        simple.add_edge(s, o, weight=prev + w)
    return simple


@dataclass
class Explorer:
    """The entity graph with what every request needs precomputed: centrality and a search index.

    Built once per store version and shared by the requests of the explorer, so that a request touches only the
    part of the graph it returns.
    """

    graph: nx.MultiGraph
    rank: dict[str, float] = field(default_factory=dict)
    _names: list[tuple[str, str, bool]] = field(default_factory=list)  # (normalised name, iri, is the label)
    _adjacency: dict[bool, dict[str, list[str]]] = field(default_factory=dict)
    _order: list[str] | None = None

    @classmethod
    def from_store(cls, store: GraphStore) -> Explorer:
        return cls.from_graph(entity_graph(store))

    @classmethod
    def from_graph(cls, graph: nx.MultiGraph) -> Explorer:
        explorer = cls(graph=graph, rank=pagerank(graph))
        for node, data in graph.nodes(data=True):
            explorer._names.append((normalise(data["label"]), node, True))
            explorer._names.extend((normalise(a), node, False) for a in data.get("aliases", ()))
        explorer.adjacency(True)  # built here, while the cache warms, rather than on a user's first expand
        explorer.adjacency(False)
        return explorer

    # -- lookups -------------------------------------------------------------------------------------------------
    def resolve(self, key: str) -> str | None:
        """An entity IRI from an IRI or an exact label/alias (best ranked when several share it)."""
        if key in self.graph:
            return key
        hits = self.search(key, limit=1, exact=True)
        return hits[0] if hits else None

    def search(self, query: str, *, limit: int = 20, exact: bool = False) -> list[str]:
        """Entities whose label or alias equals, starts with or contains ``query``, in that order of preference.

        Within one kind of match a label beats an alias and a shorter name beats a longer one, then PageRank.
        """
        q = normalise(query)
        if not q:
            return []
        best: dict[str, tuple] = {}
        for name, iri, is_label in self._names:
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
            key = (kind, 0 if is_label else 1, len(name), -self.rank.get(iri, 0.0), iri)
            if iri not in best or key < best[iri]:
                best[iri] = key
        return sorted(best, key=best.__getitem__)[:limit]

    def adjacency(self, comention: bool) -> dict[str, list[str]]:
        """Neighbours of every entity as sorted lists, with or without co-mention links; built once, then shared.

        Plain dicts rather than a networkx filtered view: a BFS over a filtered view of 150,000 edges took ~2 s.
        """
        cached = self._adjacency.get(comention)
        if cached is None:
            sets: dict[str, set[str]] = {n: set() for n in self.graph}
            for s, o, data in self.graph.edges(data=True):
                if comention or data["kind"] != "comention":
                    sets[s].add(o)
                    sets[o].add(s)
            cached = self._adjacency[comention] = {n: sorted(v) for n, v in sets.items()}
        return cached

    # -- views ---------------------------------------------------------------------------------------------------
    def top(self, limit: int, *, types: set[str] | None = None) -> list[str]:
        """The ``limit`` most central entities (of the given types), best first."""
        if self._order is None:  # sorted once: sorting 50,000 entities on every request cost ~50 ms
            self._order = sorted(self.graph.nodes, key=lambda n: (-self.rank.get(n, 0.0), n))
        if not types:
            return self._order[:limit]
        nodes = self.graph.nodes
        out = []
        for n in self._order:
            if nodes[n]["type"] in types:
                out.append(n)
                if len(out) >= limit:
                    break
        return out

    def neighbourhood(self, centres: Iterable[str], hops: int, limit: int, *,
                      comention: bool = True) -> tuple[list[str], int]:
        """Entities within ``hops`` of any centre, nearest first then most central; and how many there were.

        The BFS stops expanding once it has seen ten times the limit, so a hub in a huge graph costs a bounded amount.
        """
        adjacency = self.adjacency(comention)
        distance: dict[str, int] = {}
        frontier = [c for c in centres if c in self.graph]
        for c in frontier:
            distance[c] = 0
        for depth in range(1, hops + 1):
            nxt = []
            for node in frontier:
                for other in adjacency[node]:
                    if other not in distance:
                        distance[other] = depth
                        nxt.append(other)
            frontier = nxt
            if len(distance) > 10 * limit:
                break
        order = sorted(distance, key=lambda n: (distance[n], -self.rank.get(n, 0.0), n))
        return order[:limit], len(distance)

    def paths(self, source: str, target: str, *, limit: int = 3, comention: bool = False) -> list[list[str]]:
        """Up to ``limit`` shortest paths (fewest hops); relations only unless co-mentions are allowed.

        When relations alone do not connect the two, co-mentions are tried, because a path through "mentioned
        together" is still an answer worth showing (each of its edges carries its sentence).  The search is a
        breadth-first search that stops at the target's depth, so near pairs in a huge graph stay cheap.
        """
        if source not in self.graph or target not in self.graph:
            return []
        if source == target:
            return [[source]]
        for allow in ([comention] if comention else [False, True]):
            adjacency = self.adjacency(allow)
            parents: dict[str, list[str]] = {source: []}
            frontier = [source]
            while frontier and target not in parents:
                level: dict[str, list[str]] = {}
                for node in frontier:
                    for other in adjacency[node]:
                        if other not in parents:
                            level.setdefault(other, []).append(node)
                parents.update(level)
                frontier = sorted(level)
            if target not in parents:
                continue
            found: list[list[str]] = []
            stack = [[target]]
            while stack and len(found) < limit:
                partial = stack.pop()
                head = partial[-1]
                if head == source:
                    found.append(partial[::-1])
                    continue
                stack.extend([*partial, p] for p in sorted(parents[head], reverse=True))
            return found
        return []

    def communities(self, nodes: Iterable[str], *, seed: int = 7) -> list[list[str]]:
        """Louvain communities of the given entities (largest first), each ranked by PageRank, best first.

        Run on what the user is looking at, not on the whole store: Louvain on 50,000 nodes takes tens of seconds.
        """
        simple = _simple(self.graph, [n for n in nodes if n in self.graph])
        if simple.number_of_nodes() == 0:
            return []
        found = nx.community.louvain_communities(simple, weight="weight", seed=seed)
        ranked = [sorted(c, key=lambda n: (-self.rank.get(n, 0.0), n)) for c in found]
        return sorted(ranked, key=lambda c: (-len(c), c[0]))

    def edges_among(self, nodes: Iterable[str], *, comention: bool = True) -> list[tuple[str, str, str, dict]]:
        """Every edge with both ends in ``nodes``: (source, target, key, data)."""
        keep = set(nodes)
        out = []
        for _, _, key, data in self.graph.subgraph(keep).edges(keys=True, data=True):
            if data["kind"] == "comention" and not comention:
                continue
            out.append((data["source"], data["target"], key, data))
        return out


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
