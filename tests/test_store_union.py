"""The default graph is the union of all document graphs as a set: a fact stated by several documents is one
triple there, so joins do not repeat rows and counts do not grow with the number of documents."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.store import open_store
from kg.store.oxigraph_store import OxigraphStore

E = URIRef("http://localhost:8000/id/agency/株洲经开区")
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
AGENCY = URIRef("https://w3id.org/kgnews/ontology#Agency")
OTHER = URIRef("https://w3id.org/kgnews/ontology#mentionedIn")
FACTS = [(E, LABEL, Literal("株洲经开区", lang="zh")), (E, TYPE, AGENCY)]
JOIN = """SELECT ?t WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> "株洲经开区"@zh ;
                             <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?t }"""


def graph(n: int) -> str:
    return f"http://localhost:8000/id/graph/doc{n}"


def count(store: OxigraphStore, triple_pattern: str = "?s ?p ?o") -> int:
    return int(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {triple_pattern} }}").rows[0]["n"])


@pytest.fixture(params=["memory", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> OxigraphStore:
    return OxigraphStore(None if request.param == "memory" else tmp_path / "store")


def test_a_fact_stated_by_three_documents_is_one_triple(store: OxigraphStore) -> None:
    for n in range(3):
        store.replace_graph(graph(n), [*FACTS, (E, OTHER, URIRef(f"http://x/doc{n}"))])
    assert len(store.query(JOIN).rows) == 1
    assert count(store) == 2 + 3 == len(store)


def test_removing_and_replacing_keeps_what_others_still_state(store: OxigraphStore) -> None:
    store.replace_graph(graph(1), FACTS)
    store.replace_graph(graph(2), FACTS)
    store.remove_graph(graph(1))
    assert len(store.query(JOIN).rows) == 1  # still stated by doc2
    store.replace_graph(graph(2), [FACTS[0]])  # doc2 no longer says it is an Agency
    assert store.query(JOIN).rows == []
    assert count(store) == 1
    store.remove_graph(graph(2))
    assert count(store) == 0


def test_bulk_and_piecewise_writes_keep_the_union(store: OxigraphStore) -> None:
    store.add_graphs([(graph(1), FACTS), (graph(2), FACTS)])
    store.add_to_graph(graph(3), FACTS)
    assert len(store.query(JOIN).rows) == 1
    assert store.graphs() == [graph(1), graph(2), graph(3)]
    assert len(list(store.quads())) == 6  # exports see every document's own statements


def test_a_store_written_without_the_union_is_upgraded_or_read_in_union_mode(tmp_path: Path) -> None:
    path = tmp_path / "legacy"
    raw = ox.Store(str(path))
    for n in range(2):
        raw.extend([ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)),
                            ox.Literal(str(o), language="zh") if isinstance(o, Literal) else ox.NamedNode(str(o)),
                            ox.NamedNode(graph(n))) for s, p, o in FACTS])
    raw.flush()
    del raw
    (path / "kg-store-format").write_text("1\n", encoding="utf-8")
    with open_store(str(path), read_only=True) as ro:
        assert len(ro.query(JOIN).rows) >= 1  # Oxigraph's union mode: answers, though as a bag
    with open_store(str(path)) as rw:  # opened for writing: the union is materialised once
        assert len(rw.query(JOIN).rows) == 1
    with open_store(str(path), read_only=True) as ro:
        assert len(ro.query(JOIN).rows) == 1


@pytest.mark.slow
def test_seed_store_answers_each_type_once(seed_store: Path) -> None:
    with open_store(str(seed_store), read_only=True) as store:
        rows = store.query(JOIN).rows
    assert [str(r["t"]) for r in rows] == [str(AGENCY)]
