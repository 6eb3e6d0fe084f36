"""The /sparql hot path (plain WSGI in front of Flask) must answer exactly as the Flask view does: same status, media
type, body and headers, for every form of the protocol, and hand everything else to Flask untouched."""

from __future__ import annotations

import gzip
import urllib.parse
from pathlib import Path

import pytest
from werkzeug.test import Client

from kg.serve import create_app
from kg.serve.hot_path import SparqlHotPath
from kg.store import open_store

SELECT = ('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n'
          'SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER(CONTAINS(?l, "株洲")) } ORDER BY ?e ?l')
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def clients(seed_store: Path):
    store = open_store(str(seed_store), read_only=True)
    app = create_app(store, result_limit=5)
    assert isinstance(app.wsgi_app, SparqlHotPath)
    yield Client(app), Client(app.wsgi_app.next)  # the hot path in front, and the Flask app alone
    store.close()


CASES = [
    ("GET", {"query": SELECT}, None, {"Accept": "application/sparql-results+json"}),
    ("GET", {"query": SELECT, "format": "csv"}, None, {}),
    ("GET", {"query": SELECT}, None, {"Accept": "text/tab-separated-values", "Accept-Encoding": "gzip"}),
    ("GET", {"query": "ASK { ?s ?p ?o }"}, None, {"Accept": "application/sparql-results+xml"}),
    ("GET", {"query": "DESCRIBE ?e WHERE { ?e ?p \"株洲经开区\"@zh }"}, None, {"Accept": "application/n-triples"}),
    ("GET", {"query": SELECT}, None, {"Accept": "image/png"}),  # 406
    ("GET", {"query": "SELECT WHERE {"}, None, {}),  # 400 with line and column
    ("GET", {"query": SELECT, "default-graph-uri": "urn:none"}, None, {}),
    ("POST", {}, urllib.parse.urlencode({"query": SELECT}), {"Content-Type": FORM, "Accept": "text/csv"}),
    ("POST", {"format": "json"}, SELECT, {"Content-Type": "application/sparql-query; charset=utf-8"}),
    ("POST", {}, SELECT.encode("gb18030"), {"Content-Type": "application/sparql-query; charset=gb18030"}),
    # Handed to Flask: two queries, an update parameter, a bad content type, an undecodable body, no query.
    ("GET", {"query": [SELECT, SELECT]}, None, {}),
    ("POST", {}, urllib.parse.urlencode({"update": "CLEAR ALL"}), {"Content-Type": FORM}),
    ("POST", {}, SELECT, {"Content-Type": "text/plain"}),
    ("POST", {}, b"\xff\xfe", {"Content-Type": "application/sparql-query"}),
    ("GET", {}, None, {"Accept": "text/turtle"}),
]


@pytest.mark.parametrize(("method", "args", "body", "headers"), CASES)
def test_hot_path_answers_as_the_flask_view(clients, method: str, args: dict, body, headers: dict) -> None:
    hot, flask_only = clients
    answers = [c.open("/sparql", method=method, query_string=args, data=body, headers=headers)
               for c in (hot, flask_only)]
    fast, slow = answers
    assert fast.status_code == slow.status_code
    assert fast.headers.get("Content-Type") == slow.headers.get("Content-Type")
    for name in ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Content-Encoding",
                 "X-KG-Truncated"):
        assert fast.headers.get(name) == slow.headers.get(name), name
    assert set(fast.headers.get("Vary", "").replace(" ", "").split(",")) \
        == set(slow.headers.get("Vary", "").replace(" ", "").split(","))
    data = [r.get_data() for r in answers]
    if fast.headers.get("Content-Encoding") == "gzip":
        data = [gzip.decompress(d) for d in data]
    assert data[0] == data[1]


def test_hot_path_really_answers_the_common_case(clients) -> None:
    """Not vacuous: the common case is answered without Flask (its request hooks never run)."""
    hot, _ = clients
    app = hot.application
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask"))
    try:
        assert hot.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
        assert seen == []
        assert hot.get("/sparql", query_string={"query": ["ASK {}", "ASK {}"]}).status_code == 400
        assert seen == ["flask"]
    finally:
        app.before_request_funcs[None].pop()


def test_truncated_results_say_so(clients) -> None:
    hot, _ = clients
    response = hot.get("/sparql", query_string={"query": SELECT})
    assert response.status_code == 200
    assert response.headers["X-KG-Truncated"].startswith("true; the result was cut at 5 rows")
    assert len(response.get_json()["results"]["bindings"]) == 5


def test_fast_field_parsing_agrees_with_urllib() -> None:
    """The hot path decodes query strings its own (faster) way; it must read every field exactly as urllib does,
    including broken escapes, half UTF-8 sequences, raw backslashes and non-ASCII text."""
    import random
    import urllib.parse

    from kg.serve.hot_path import parse_fields

    rng = random.Random(5)
    pieces = [*"abc =&+%\\/?#{}\"'<>;", "炎", "帝", "\n", "%2", "%zz", "%E7", "%82", "%5C", "%25", "%41", "é"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        for sent in (text, urllib.parse.quote(text), urllib.parse.urlencode({"query": text, "format": text})):
            assert parse_fields(sent) == urllib.parse.parse_qs(sent, keep_blank_values=True), sent
