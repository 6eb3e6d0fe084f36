"""Standard clients against the real ``kg serve``: SPARQLWrapper (every method and format) and rdflib's SPARQLStore.

Why: these libraries send the Accept headers and ``format``/``output`` parameters real users' scripts send; if the
endpoint bends the protocol, this is where it shows.
"""

from __future__ import annotations

import csv
import io

import pytest
from conftest import Server
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

KG = "https://w3id.org/kgnews/ontology#"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
AGENCIES = f"""PREFIX kg: <{KG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?a ?label WHERE {{ ?a a kg:Agency ; rdfs:label ?label }} ORDER BY ?label"""
CONSTRUCT = f"""PREFIX kg: <{KG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{ ?a rdfs:label ?label }} WHERE {{ ?a a kg:Agency ; rdfs:label ?label }}"""


def wrapper(server: Server, query: str, fmt: str, method: str = "GET", request_method: str = URLENCODED
            ) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    return sparql


@pytest.fixture(scope="module")
def agencies(seed_server: Server) -> list[str]:
    data = wrapper(seed_server, AGENCIES, JSON).queryAndConvert()
    names = [b["label"]["value"] for b in data["results"]["bindings"]]  # type: ignore[index]
    assert "株洲经开区" in names and "湖南省炎帝陵基金会办公室" in names
    return names


@pytest.mark.parametrize(("method", "request_method"), [("GET", URLENCODED), (POST, URLENCODED),
                                                        (POST, POSTDIRECTLY)])
def test_sparqlwrapper_json_by_every_method(seed_server: Server, agencies: list[str], method: str,
                                            request_method: str) -> None:
    data = wrapper(seed_server, AGENCIES, JSON, method, request_method).queryAndConvert()
    assert [b["label"]["value"] for b in data["results"]["bindings"]] == agencies  # type: ignore[index]


def test_sparqlwrapper_xml(seed_server: Server, agencies: list[str]) -> None:
    document = wrapper(seed_server, AGENCIES, XML).queryAndConvert()
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]  # type: ignore[union-attr]
    assert literals == agencies


@pytest.mark.parametrize("fmt", [CSV, TSV])
def test_sparqlwrapper_csv_and_tsv(seed_server: Server, agencies: list[str], fmt: str) -> None:
    raw = wrapper(seed_server, AGENCIES, fmt).queryAndConvert()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    # TSV keeps terms in Turtle syntax (quotes and language tags): split it, no CSV-style unquoting.
    rows = list(csv.reader(io.StringIO(text))) if fmt == CSV else [line.split("\t") for line in text.splitlines()]
    labels = [r[1] for r in rows[1:]]
    assert labels == (agencies if fmt == CSV else [f'"{a}"@zh' for a in agencies])


def test_sparqlwrapper_ask(seed_server: Server) -> None:
    data = wrapper(seed_server, 'ASK { ?a <http://www.w3.org/2000/01/rdf-schema#label> "株洲经开区"@zh }',
                   JSON).queryAndConvert()
    assert data["boolean"] is True  # type: ignore[index]


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD, N3, XML])
def test_sparqlwrapper_construct(seed_server: Server, agencies: list[str], fmt: str) -> None:
    result = wrapper(seed_server, CONSTRUCT, fmt).queryAndConvert()
    graph = result if isinstance(result, Graph) else Graph().parse(
        data=result.decode("utf-8") if isinstance(result, bytes) else result,
        format={TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}.get(fmt, "xml"))
    assert sorted(str(o) for o in graph.objects(None, RDFS_LABEL)) == sorted(set(agencies))


def test_sparqlwrapper_bad_query_raises_with_the_message(seed_server: Server) -> None:
    with pytest.raises(QueryBadFormed) as info:
        wrapper(seed_server, "SELECT ?x WHERE { ?x ?y }", JSON).query()
    assert "line 1, column" in str(info.value)


@pytest.fixture
def rdflib_graph(seed_server: Server) -> Graph:
    return Graph(store=SPARQLStore(seed_server.url + "/sparql", returnFormat="xml"))


def test_rdflib_sparqlstore_select(rdflib_graph: Graph, agencies: list[str]) -> None:
    rows = list(rdflib_graph.query(AGENCIES))
    assert [str(r.label) for r in rows] == agencies
    assert all(r.label.language == "zh" and isinstance(r.a, URIRef) for r in rows)


def test_rdflib_sparqlstore_ask_and_construct(rdflib_graph: Graph, agencies: list[str]) -> None:
    assert rdflib_graph.query('ASK { ?a ?p "株洲经开区"@zh }').askAnswer is True
    constructed = rdflib_graph.query(CONSTRUCT).graph
    assert constructed is not None
    assert sorted(str(o) for o in constructed.objects(None, RDFS_LABEL)) == sorted(set(agencies))


def test_rdflib_sparqlstore_triples_and_json(seed_server: Server, agencies: list[str]) -> None:
    graph = Graph(store=SPARQLStore(seed_server.url + "/sparql", returnFormat="json", method="POST_FORM"))
    subjects = set(graph.subjects(RDFS_LABEL, Literal("株洲经开区", lang="zh")))
    assert URIRef("http://localhost:8000/id/agency/株洲经开区") in subjects
    rows = list(graph.query(AGENCIES))
    assert [str(r.label) for r in rows] == agencies
