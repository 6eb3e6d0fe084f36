"""Unit tests for content negotiation and query-form detection (no server: these run in milliseconds)."""

from __future__ import annotations

import pytest

from kg.serve.negotiation import choose_format, prefers_html
from kg.serve.runner import query_form

SPARQLWRAPPER_JSON = "application/sparql-results+json,application/json,text/javascript,application/javascript"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(("kind", "accept", "parameter", "expected"), [
    ("select", None, None, "json"),
    ("select", "", None, "json"),
    ("select", "*/*", None, "json"),
    ("select", SPARQLWRAPPER_JSON, None, "json"),
    ("select", "application/sparql-results+xml", None, "xml"),
    ("select", "text/csv; charset=utf-8", None, "csv"),
    ("select", "text/csv;q=0.1, text/tab-separated-values;q=0.5", None, "tsv"),
    ("select", "text/csv;q=0", None, None),
    ("select", "text/html", None, None),
    ("select", BROWSER, None, "xml"),  # application/xml at q=0.9 beats */* at q=0.8
    ("ask", "application/sparql-results+json;q=0.2, application/sparql-results+xml;q=0.3", None, "xml"),
    ("graph", None, None, "turtle"),
    ("graph", "application/rdf+xml", None, "xml"),
    ("graph", "application/n-triples", None, "nt"),
    ("graph", "text/plain", None, "nt"),
    ("graph", "application/ld+json", None, "jsonld"),
    ("graph", "application/turtle,text/turtle", None, "turtle"),  # what SPARQLWrapper sends for TURTLE
    ("graph", "application/sparql-results+json", None, None),
    ("select", "text/html", "csv", "csv"),  # the parameter wins over Accept
    ("select", None, "text/tab-separated-values", "tsv"),
    ("graph", None, "json-ld", "jsonld"),
    ("graph", None, "rdf+xml", "xml"),
    ("graph", None, "n3", "turtle"),
    ("select", None, "turtle", None),
    ("select", None, "yaml", None),
])
def test_choose_format(kind: str, accept: str | None, parameter: str | None, expected: str | None) -> None:
    assert choose_format(kind, accept, parameter) == expected


@pytest.mark.parametrize(("accept", "expected"), [
    (BROWSER, True), ("text/html", True), ("*/*", False), ("", False), ("text/turtle", False),
    ("text/turtle, text/html;q=0.5", False), ("text/html;q=0", False),
])
def test_prefers_html(accept: str, expected: bool) -> None:
    assert prefers_html(accept, ["text/turtle", "application/rdf+xml"]) is expected


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("PREFIX select: <http://example.org/ask#>\nASK { ?s select:x 'CONSTRUCT' }", "ask"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "graph"),
    ("describe <http://example.org/x>", "graph"),
    ('BASE <http://example.org/>\nselect ?x { ?x ?p "ASK" }', "select"),
    ("INSERT DATA { <a:b> <c:d> <e:f> }", None),
])
def test_query_form(query: str, expected: str | None) -> None:
    assert query_form(query) == expected
