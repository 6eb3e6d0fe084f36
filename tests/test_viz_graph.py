"""The explorer's analytics on small hand-made graphs and on the seed graph: PageRank, search, neighbourhoods,
paths and communities, each checked against networkx or against what the text says."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

from kg.store import open_store
from kg.viz import Explorer, entity_graph, focus, pagerank, top_nodes


def toy() -> nx.MultiGraph:
    g = nx.MultiGraph()
    names = {"a": ("株洲经开区", "Agency", ["经开区"]), "b": ("黄勇", "Person", []), "c": ("株洲", "Place", []),
             "d": ("云田镇", "Place", []), "e": ("孤立点", "Event", []), "f": ("ＫＧ中心", "Agency", [])}
    for iri, (label, kind, aliases) in names.items():
        g.add_node(iri, label=label, type=kind, aliases=aliases, docs=1)
    for s, o, kind in [("b", "a", "relation"), ("a", "c", "relation"), ("c", "d", "comention"),
                       ("a", "d", "comention"), ("f", "a", "relation")]:
        predicate = "coMention" if kind == "comention" else "memberOf"
        g.add_edge(s, o, key=predicate, predicate=predicate, kind=kind, count=1, source=s, target=o)
    return g


def test_pagerank_matches_networkx() -> None:
    g = toy()
    weighted = nx.Graph()
    weighted.add_nodes_from(g)
    for s, o, d in g.edges(data=True):
        weighted.add_edge(s, o, weight=(0.3 if d["kind"] == "comention" else 1.0))
    expected = _pagerank_python(weighted, weight="weight", tol=1e-12, max_iter=500)
    ours = pagerank(g)
    assert ours == pytest.approx(expected, abs=1e-6)
    assert max(ours, key=ours.get) == "a" and abs(sum(ours.values()) - 1) < 1e-9


def test_search_prefers_exact_then_prefix_then_substring_and_folds_width() -> None:
    ex = Explorer.from_graph(toy())
    assert ex.search("株洲") == ["c", "a"]  # exact label first, then the prefix match
    assert ex.search("经开区")[0] == "a"  # an alias
    assert ex.search("kg") == ["f"]  # full-width ＫＧ folds to kg
    assert ex.search("云田") == ["d"] and ex.search("") == [] and ex.search("北京") == []
    assert ex.resolve("黄勇") == "b" and ex.resolve("黄") is None and ex.resolve("a") == "a"


def test_neighbourhood_paths_and_limits() -> None:
    ex = Explorer.from_graph(toy())
    nodes, total = ex.neighbourhood(["b"], 2, 10)
    assert nodes[0] == "b" and nodes[1] == "a" and set(nodes) == {"a", "b", "c", "d", "f"} and total == 5
    assert ex.neighbourhood(["b"], 2, 2) == (["b", "a"], 5)
    relations_only, _ = ex.neighbourhood(["c"], 1, 10, comention=False)
    assert set(relations_only) == {"c", "a"}
    assert ex.paths("b", "c") == [["b", "a", "c"]]
    # d is reachable only through co-mentions: the path falls back to them rather than saying "no path".
    assert ex.paths("b", "d") == [["b", "a", "d"]]
    assert ex.paths("b", "e") == []


def test_top_and_focus_keep_the_old_helpers_working() -> None:
    g = toy()
    assert set(top_nodes(g, 2).nodes) == {"a", "c"}
    assert set(focus(g, "黄勇", 1).nodes) == {"a", "b"}
    with pytest.raises(KeyError):
        focus(g, "不存在", 1)


def test_seed_graph_communities_and_evidence(seed_store: Path) -> None:
    with open_store(str(seed_store), read_only=True) as store:
        graph = entity_graph(store)
    ex = Explorer.from_graph(graph)
    assert graph.number_of_nodes() > 50
    top = ex.top(60)
    communities = ex.communities(top)
    assert sorted(n for c in communities for n in c) == sorted(top)
    assert [len(c) for c in communities] == sorted((len(c) for c in communities), reverse=True)
    assert ex.communities(top) == communities  # seeded: the same colours on every reload
    # The person quoted as head of the foundation office is linked to it by a holdsPost relation.
    huang = ex.resolve("黄勇")
    office = [o for o in graph[huang] if "炎帝陵基金会" in graph.nodes[o]["label"]]
    assert office and any(d["predicate"] == "holdsPost" for d in graph.get_edge_data(huang, office[0]).values())
