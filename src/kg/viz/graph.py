"""The entity network as a networkx graph, read from the store through SPARQL only.

Nodes are entities (IRI → label, type); edges are extracted relations between entities, plus co-mention links kept
apart (``kind="comention"``) so that views can draw them fainter or hide them.
"""

from __future__ import annotations

import networkx as nx

from kg.rdf.namespaces import KG
from kg.store import GraphStore

ENTITY_TYPES = ("Agency", "Person", "Place", "Project", "Event")

NODES_QUERY = f"""
PREFIX kg: <{KG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?e ?type (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?doc) AS ?docs) WHERE {{
  VALUES ?type {{ {' '.join('kg:' + t for t in ENTITY_TYPES)} }}
  ?e a ?type ; rdfs:label ?l .
  OPTIONAL {{ ?e kg:mentionedIn ?doc }}
}} GROUP BY ?e ?type
"""

EDGES_QUERY = f"""
PREFIX kg: <{KG}>
SELECT ?s ?p ?o (COUNT(*) AS ?n) WHERE {{
  ?st a <http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement> ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?s ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?p ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?o .
  ?o a ?ot . FILTER(STRSTARTS(STR(?ot), STR(kg:)))
}} GROUP BY ?s ?p ?o
"""


def entity_graph(store: GraphStore) -> nx.MultiGraph:
    graph = nx.MultiGraph()
    for row in store.query(NODES_QUERY).rows:
        graph.add_node(str(row["e"]), label=str(row["label"]), type=str(row["type"]).rsplit("#", 1)[-1],
                       docs=int(row["docs"]))
    for row in store.query(EDGES_QUERY).rows:
        s, o = str(row["s"]), str(row["o"])
        if s not in graph or o not in graph or s == o:
            continue
        predicate = str(row["p"]).rsplit("#", 1)[-1]
        graph.add_edge(s, o, key=predicate, predicate=predicate, count=int(row["n"]),
                       kind="comention" if predicate == "coMention" else "relation")
    return graph


def focus(graph: nx.MultiGraph, label: str, hops: int) -> nx.MultiGraph:
    """The neighbourhood of the entity labelled ``label`` (exact match first, then prefix)."""
    matches = [n for n, d in graph.nodes(data=True) if d["label"] == label]
    matches = matches or [n for n, d in graph.nodes(data=True) if d["label"].startswith(label)]
    if not matches:
        raise KeyError(label)
    nodes: set[str] = set()
    for node in matches:
        nodes |= set(nx.single_source_shortest_path_length(graph, node, cutoff=hops))
    return graph.subgraph(nodes).copy()


def top_nodes(graph: nx.MultiGraph, limit: int) -> nx.MultiGraph:
    """The ``limit`` most central entities (PageRank over relation edges, co-mentions weighted lower)."""
    if graph.number_of_nodes() <= limit:
        return graph
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes)
    for s, o, data in graph.edges(data=True):
        weight = 0.3 if data["kind"] == "comention" else 1.0
        prev = simple.get_edge_data(s, o, {}).get("weight", 0.0)
        simple.add_edge(s, o, weight=prev + weight)
    rank = nx.pagerank(simple, weight="weight")
    keep = sorted(rank, key=lambda n: (-rank[n], n))[:limit]
    return graph.subgraph(keep).copy()
