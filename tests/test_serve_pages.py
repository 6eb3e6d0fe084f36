"""Named queries (/queries) and Linked Data (/id/…) over the real server, plus escaping checked on a tiny store.

Every HTML view is checked together with its machine twin: the same facts must come out of both.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from html import unescape

import pytest
from conftest import Server
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from test_serve_protocol import get, http

from kg.resources import named_queries
from kg.serve import create_app
from kg.store import OxigraphStore

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BASE = "http://localhost:8000/id/"
KG = "https://w3id.org/kgnews/ontology#"


def path_of(iri: str) -> str:
    """The request path a browser sends for an IRI under our base (Chinese percent-encoded as UTF-8)."""
    return "/id/" + urllib.parse.quote(iri[len(BASE):], safe="/%")


# --- /queries -------------------------------------------------------------------------------------------------------

def test_queries_list_in_html_and_json(seed_server: Server) -> None:
    names = [q.name for q in named_queries()]
    status, headers, body = http(seed_server, "GET", "/queries", headers=BROWSER)
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode("utf-8")
    for q in named_queries():
        assert q.name in page and q.description.split("(")[0].strip()[:40] in unescape(page)
    status, headers, body = http(seed_server, "GET", "/queries", headers={"Accept": "application/json"})
    data = json.loads(body)
    assert [q["name"] for q in data["queries"]] == names
    assert all(q["description"] and q["url"].endswith("/queries/" + q["name"]) for q in data["queries"])


def test_named_query_runs_as_html_and_as_results(seed_server: Server) -> None:
    status, headers, body = http(seed_server, "GET", "/queries/people-posts", headers=BROWSER)
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode("utf-8")
    status, _, body = http(seed_server, "GET", "/queries/people-posts",
                           headers={"Accept": "application/sparql-results+json"})
    rows = json.loads(body)["results"]["bindings"]
    assert any(r["person"]["value"] == "黄勇" for r in rows)
    for row in rows:  # the HTML table shows every row of the machine answer
        assert f"<td>{row['person']['value']}</td>" in page
    status, headers, body = http(seed_server, "GET", "/queries/people-posts?format=csv")
    assert headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert table[0] == ["person", "post", "agency", "sentence"] and len(table) == len(rows) + 1


def test_named_query_text_and_unknown_name(seed_server: Server) -> None:
    status, headers, body = http(seed_server, "GET", "/queries/people-posts.rq")
    assert status == 200 and headers["content-type"].startswith("application/sparql-query")
    assert b"holdsPost" in body
    status, headers, body = http(seed_server, "GET", "/queries/no-such-query", headers=BROWSER)
    assert status == 404 and b"/queries" in body


# --- /id/… ----------------------------------------------------------------------------------------------------------

def _facts_about(server: Server, iri: str) -> list[dict]:
    query = f"""PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    SELECT ?p ?o ?text WHERE {{ ?st rdf:subject <{iri}> ; rdf:predicate ?p ; rdf:object ?o ;
      <{KG}evidence>/<{KG}text> ?text . FILTER(?p != <{KG}coMention>) }}"""
    return json.loads(get(server, query)[2])["results"]["bindings"]


def test_entity_page_for_a_browser(seed_server: Server) -> None:
    person = BASE + "person/黄勇"
    facts = _facts_about(seed_server, person)
    assert facts, "the seed page says 黄勇 holds a post"
    status, headers, body = http(seed_server, "GET", path_of(person), headers=BROWSER)
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode("utf-8")
    assert "<h1>黄勇</h1>" in page and "kg:Person" in page
    for fact in facts:
        assert fact["text"]["value"] in page  # the source sentence of every fact
        if fact["o"]["type"] == "uri" and fact["o"]["value"].startswith(BASE):
            assert f'href="{path_of(fact["o"]["value"])}"' in page  # a link to the neighbour's own page
    assert re.search(r'href="/id/doc/[^"]+"', page)  # the document each fact came from
    assert re.search(r'href="/explore/?\?focus=%E9%BB%84%E5%8B%87"', page)  # the explorer, focused on it
    assert 'rel="alternate" type="text/turtle"' in page


def test_entity_page_shows_aliases(seed_server: Server) -> None:
    rows = json.loads(get(seed_server, f"SELECT ?e ?alt WHERE {{ ?e <{SKOS.altLabel}> ?alt }} LIMIT 1")[2])
    binding = rows["results"]["bindings"][0]
    status, _, body = http(seed_server, "GET", path_of(binding["e"]["value"]), headers=BROWSER)
    assert status == 200 and binding["alt"]["value"] in body.decode("utf-8")


@pytest.mark.parametrize(("accept", "rdflib_format"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                                       ("application/n-triples", "nt"), (None, "turtle")])
def test_entity_machine_twins(seed_server: Server, accept: str | None, rdflib_format: str) -> None:
    agency = URIRef(BASE + "agency/株洲经开区")
    status, _, body = http(seed_server, "GET", path_of(str(agency)), headers={"Accept": accept} if accept else {})
    assert status == 200, body
    graph = Graph().parse(data=body.decode("utf-8"), format=rdflib_format)
    assert (agency, RDF.type, URIRef(KG + "Agency")) in graph
    assert (agency, RDFS.label, Literal("株洲经开区", lang="zh")) in graph
    statements = set(graph.subjects(RDF.subject, agency))
    assert statements and all(graph.value(st, URIRef(KG + "evidence")) is not None for st in statements)
    assert any(isinstance(o, Literal) for o in graph.objects(None, URIRef(KG + "text")))


def test_entity_format_parameter_and_raw_utf8_path(seed_server: Server) -> None:
    status, headers, body = http(seed_server, "GET", path_of(BASE + "person/黄勇") + "?format=nt")
    assert status == 200 and headers["content-type"].startswith("application/n-triples")
    assert f"<{BASE}person/黄勇>".encode() in body


def test_unknown_entity_is_404(seed_server: Server) -> None:
    assert http(seed_server, "GET", path_of(BASE + "person/没有这个人"), headers=BROWSER)[0] == 404
    assert http(seed_server, "GET", path_of(BASE + "person/没有这个人"), headers={"Accept": "text/turtle"})[0] == 404


def test_document_iri_dereferences(seed_server: Server) -> None:
    rows = json.loads(get(seed_server, f"SELECT ?d WHERE {{ ?d a <{KG}Document> }} LIMIT 1")[2])
    document = rows["results"]["bindings"][0]["d"]["value"]
    status, _, body = http(seed_server, "GET", path_of(document), headers={"Accept": "text/turtle"})
    assert status == 200
    assert (URIRef(document), RDF.type, URIRef(KG + "Document")) in Graph().parse(data=body.decode(), format="turtle")


# --- escaping and IRI rebuilding, on a store made for the purpose ---------------------------------------------------

def test_names_from_news_are_escaped_and_reserved_characters_round_trip() -> None:
    store = OxigraphStore(None)
    hostile = URIRef(BASE + "agency/%3Cscript%3E株洲")
    slashy = URIRef(BASE + "agency/A%2FB公司")
    graph = "http://localhost:8000/id/graph/t"
    store.replace_graph(graph, [
        (hostile, RDF.type, URIRef(KG + "Agency")),
        (hostile, RDFS.label, Literal('<script>alert("株洲")</script>', lang="zh")),
        (hostile, SKOS.altLabel, Literal("<b>别名</b>", lang="zh")),
        (slashy, RDF.type, URIRef(KG + "Agency")),
        (slashy, RDFS.label, Literal("A/B公司", lang="zh")),
    ])
    client = create_app(store).test_client()
    page = client.get("/id/agency/%3Cscript%3E%E6%A0%AA%E6%B4%B2", headers=BROWSER).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;株洲&#34;)&lt;/script&gt;" in page
    assert "<b>别名</b>" not in page and "&lt;b&gt;别名&lt;/b&gt;" in page
    # %2F inside a name is not a path separator: it finds the node minted with %2F
    response = client.get("/id/agency/A%2FB%E5%85%AC%E5%8F%B8", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and f"<{slashy}>" in response.get_data(as_text=True)
    assert client.get("/id/agency/A/B%E5%85%AC%E5%8F%B8").status_code == 404
