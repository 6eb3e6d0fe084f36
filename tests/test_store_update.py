"""SPARQL Update through the store keeps the default graph what every query relies on: the set union of the named
graphs.  Inserting into the default graph lands in a named graph (so it survives the next union rebuild and shows up
in exports), deleting from it deletes from every document, and named-graph writes show in the union at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.store import QueryError, StoreError, open_store
from kg.store.base import UPDATES_GRAPH

G1, G2 = "http://localhost:8000/id/graph/甲", "http://localhost:8000/id/graph/乙"
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
ZHUZHOU = URIRef("http://localhost:8000/id/place/株洲")
TIAN = URIRef("http://localhost:8000/id/place/天元区")


@pytest.fixture(params=["memory:", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    s = open_store(str(tmp_path / "store") if request.param == "disk" else request.param)
    s.replace_graph(G1, [(ZHUZHOU, LABEL, Literal("株洲", lang="zh")), (TIAN, LABEL, Literal("天元区", lang="zh"))])
    s.replace_graph(G2, [(ZHUZHOU, LABEL, Literal("株洲", lang="zh"))])
    yield s
    s.close()


def _count(store, pattern: str = "?s ?p ?o") -> int:
    return int(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}").rows[0]["n"])


def test_insert_into_the_default_graph_is_kept_in_a_named_graph(store) -> None:
    store.update('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n'
                 'INSERT DATA { <http://localhost:8000/id/place/芦淞区> rdfs:label "芦淞区"@zh } ;')
    assert UPDATES_GRAPH in store.graphs()
    assert _count(store) == 3  # a set: 株洲's label is in two documents and counts once
    assert store.query('ASK { GRAPH <urn:kg:graph:updates> { ?s ?p "芦淞区"@zh } }').boolean


def test_delete_from_the_default_graph_deletes_from_every_document(store) -> None:
    store.update(f'DELETE DATA {{ <{ZHUZHOU}> <{LABEL}> "株洲"@zh }}')
    assert not store.query('ASK { ?s ?p "株洲"@zh }').boolean
    assert not store.query('ASK { GRAPH ?g { ?s ?p "株洲"@zh } }').boolean
    assert _count(store) == 1


def test_named_graph_writes_show_in_the_union(store) -> None:
    store.update(f'INSERT DATA {{ GRAPH <{G2}> {{ <{TIAN}> <http://schema.org/name> "天元" }} }} ;\n'
                 f'DELETE DATA {{ GRAPH <{G1}> {{ <{TIAN}> <{LABEL}> "天元区"@zh }} }}')
    assert store.query('ASK { ?s <http://schema.org/name> "天元" }').boolean
    assert not store.query('ASK { ?s ?p "天元区"@zh }').boolean
    assert UPDATES_GRAPH not in store.graphs()


def test_bad_updates_are_refused_with_their_position_and_change_nothing(store) -> None:
    with pytest.raises(QueryError, match="LOAD is not allowed"):
        store.update("LOAD <http://example.org/data.ttl>")
    with pytest.raises(QueryError, match="syntax error: error at 2:"):
        store.update(f"DELETE DATA {{ GRAPH <{G1}> {{\n  <{TIAN}> <{LABEL}> }} }}")
    assert _count(store) == 2


def test_read_only_and_rdflib_stores_refuse_updates(tmp_path: Path) -> None:
    path = tmp_path / "store"
    open_store(str(path)).close()
    with open_store(str(path), read_only=True) as ro, pytest.raises(StoreError, match="read-only"):
        ro.update('INSERT DATA { <urn:a> <urn:b> "c" }')
    with pytest.raises(StoreError, match="does not accept SPARQL updates"):
        open_store("rdflib:").update('INSERT DATA { <urn:a> <urn:b> "c" }')
