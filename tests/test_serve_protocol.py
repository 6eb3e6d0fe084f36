"""The SPARQL 1.1 Protocol over real HTTP against ``kg serve`` on the seed store: every case the issue lists.

Plain HTTP (urllib) on purpose: it shows exactly what goes over the wire, with nothing smoothing errors over.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import pytest
from conftest import Server, start_server
from rdflib import Graph, Namespace, URIRef

KG = "https://w3id.org/kgnews/ontology#"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
PEOPLE = f"""PREFIX kg: <{KG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?p ?label WHERE {{ ?p a kg:Person ; rdfs:label ?label }} ORDER BY ?label"""
CONSTRUCT = f"""PREFIX kg: <{KG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{ ?p a kg:Person ; rdfs:label ?label }} WHERE {{ ?p a kg:Person ; rdfs:label ?label }}"""
RESULT_NS = "{http://www.w3.org/2005/sparql-results#}"


def http(server: Server, method: str, path: str, body: bytes | str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One raw request: status, headers (case-insensitive keys lowered) and the undecoded body."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def get(server: Server, query: str, accept: str | None = None, **params: str) -> tuple[int, dict[str, str], bytes]:
    qs = urllib.parse.urlencode({"query": query, **params})
    return http(server, "GET", f"/sparql?{qs}", headers={"Accept": accept} if accept else {})


def labels_json(body: bytes) -> list[str]:
    return [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]]


@pytest.fixture(scope="module")
def people(seed_server: Server) -> list[str]:
    status, _, body = get(seed_server, PEOPLE)
    assert status == 200
    names = labels_json(body)
    assert "黄勇" in names  # a person named in the seed page, read by the extractor
    return names


# --- query operation: three ways to send, one answer ----------------------------------------------------------------

def test_get_post_form_and_post_direct_agree(seed_server: Server, people: list[str]) -> None:
    form = urllib.parse.urlencode({"query": PEOPLE})
    status, headers, body = http(seed_server, "POST", "/sparql", form,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and labels_json(body) == people
    status, headers, body = http(seed_server, "POST", "/sparql", PEOPLE,
                                 {"Content-Type": "application/sparql-query; charset=utf-8"})
    assert status == 200 and labels_json(body) == people
    assert headers["content-type"].startswith("application/sparql-results+json")


def test_default_format_is_sparql_json_with_language_tags(seed_server: Server) -> None:
    _, headers, body = get(seed_server, PEOPLE)
    assert headers["content-type"].startswith("application/sparql-results+json")
    binding = json.loads(body)["results"]["bindings"][0]
    assert binding["label"]["xml:lang"] == "zh" and binding["p"]["type"] == "uri"


@pytest.mark.parametrize(("accept", "media"), [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv;q=0.2, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
    ("text/csv;q=0, */*;q=0.1", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("*/*", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
])
def test_accept_with_q_values_chooses_the_format(seed_server: Server, people: list[str], accept: str,
                                                 media: str) -> None:
    status, headers, body = get(seed_server, PEOPLE, accept)
    assert status == 200, body
    assert headers["content-type"].split(";")[0] == media
    text = body.decode("utf-8")
    if media.endswith("xml"):
        root = ET.fromstring(body)
        found = [e.text for e in root.iter(f"{RESULT_NS}literal")]
        assert found == people
    elif media == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["p", "label"] and [r[1] for r in rows[1:]] == people
    elif media == "text/tab-separated-values":
        lines = text.splitlines()
        assert lines[0] == "?p\t?label" and lines[1].split("\t")[1] == f'"{people[0]}"@zh'
    else:
        assert labels_json(body) == people


def test_format_parameter_overrides_accept(seed_server: Server) -> None:
    status, headers, _ = get(seed_server, PEOPLE, "application/sparql-results+json", format="csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(("accept", "media", "rdflib_format"), [
    (None, "text/turtle", "turtle"),
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/rdf+xml;q=0.3, text/turtle;q=0.9", "text/turtle", "turtle"),
])
def test_construct_in_every_rdf_format(seed_server: Server, people: list[str], accept: str | None, media: str,
                                       rdflib_format: str) -> None:
    status, headers, body = get(seed_server, CONSTRUCT, accept)
    assert status == 200, body
    assert headers["content-type"].split(";")[0] == media
    graph = Graph().parse(data=body.decode("utf-8"), format=rdflib_format)
    labels = sorted(str(o) for o in graph.objects(None, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert labels == sorted(set(people))


def test_ask(seed_server: Server) -> None:
    status, _, body = get(seed_server, 'ASK { ?p <http://www.w3.org/2000/01/rdf-schema#label> "黄勇"@zh }')
    assert status == 200 and json.loads(body)["boolean"] is True
    status, _, body = get(seed_server, "ASK { ?p ?q \"no such name anywhere\" }", "text/csv")
    assert body.decode().splitlines() == ["_askResult", "false"]


# --- errors ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "accept"), [(PEOPLE, "text/html"), (PEOPLE, "text/turtle"),
                                               (CONSTRUCT, "application/sparql-results+json"),
                                               (PEOPLE, "application/sparql-results+json;q=0, text/plain")])
def test_406_when_nothing_acceptable(seed_server: Server, query: str, accept: str) -> None:
    status, headers, body = get(seed_server, query, accept)
    assert status == 406
    assert headers["content-type"].startswith("text/plain") and b"available" in body


def test_malformed_query_is_400_with_line_and_column(seed_server: Server) -> None:
    status, headers, body = get(seed_server, "SELECT ?x WHERE {\n  ?x ?y\n}")
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert re.search(rb"line 3, column \d+", body), body


def test_two_query_parameters_are_400(seed_server: Server) -> None:
    status, _, body = http(seed_server, "GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert status == 400 and b"exactly one" in body
    status, _, body = http(seed_server, "POST", "/sparql?query=ASK%7B%7D", "ASK {}",
                           {"Content-Type": "application/sparql-query"})
    assert status == 400 and b"exactly one" in body


@pytest.mark.parametrize(("body", "ctype"), [
    ("update=" + urllib.parse.quote('INSERT DATA { <urn:a> <urn:b> "c" }'), "application/x-www-form-urlencoded"),
    ('INSERT DATA { <urn:a> <urn:b> "c" }', "application/sparql-update"),
    ("query=" + urllib.parse.quote('INSERT DATA { <urn:a> <urn:b> "c" }'), "application/x-www-form-urlencoded"),
])
def test_update_sent_to_the_query_endpoint_is_400(seed_server: Server, body: str, ctype: str) -> None:
    status, headers, text = http(seed_server, "POST", "/sparql", body, {"Content-Type": ctype})
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert b"update" in text.lower() or b"read-only" in text
    status, _, text = get(seed_server, "ASK { <urn:a> <urn:b> \"c\" }")
    assert json.loads(text)["boolean"] is False


def test_unsupported_content_type_is_415(seed_server: Server) -> None:
    status, _, body = http(seed_server, "POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"})
    assert status == 415 and b"application/sparql-query" in body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(seed_server: Server, method: str) -> None:
    status, headers, _ = http(seed_server, method, "/sparql", "ASK {}", {"Content-Type": "application/sparql-query"})
    assert status == 405 and "GET" in headers["allow"] and "POST" in headers["allow"]
    assert headers["content-type"].startswith("text/plain")


def test_missing_query_on_post_is_400(seed_server: Server) -> None:
    status, _, body = http(seed_server, "POST", "/sparql", "", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and b"missing query" in body


def test_over_long_query_is_400(seed_server: Server) -> None:
    query = "ASK { ?s ?p ?o }" + " " * 120_000
    status, _, body = http(seed_server, "POST", "/sparql", query, {"Content-Type": "application/sparql-query"})
    assert status == 400 and b"limit" in body


@pytest.mark.parametrize("query", [
    "ASK { FILTER(" + "(" * 5000 + "1 = 1" + ")" * 5000 + ") }",
    "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000,
])
def test_hostile_nesting_is_400_and_the_server_survives(seed_server: Server, query: str) -> None:
    status, _, body = http(seed_server, "POST", "/sparql", query, {"Content-Type": "application/sparql-query"})
    assert status == 400 and b"nests deeper" in body
    status, _, body = get(seed_server, "ASK {}")
    assert status == 200


# --- CORS, gzip, service description, dataset -----------------------------------------------------------------------

def test_cors_on_answers_errors_and_preflight(seed_server: Server) -> None:
    _, headers, _ = get(seed_server, "ASK {}")
    assert headers["access-control-allow-origin"] == "*"
    _, headers, _ = get(seed_server, "SELECT {")
    assert headers["access-control-allow-origin"] == "*"
    status, headers, _ = http(seed_server, "OPTIONS", "/sparql", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()


def test_large_results_are_gzipped_for_clients_that_ask(seed_server: Server) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 2000"
    qs = urllib.parse.urlencode({"query": query})
    status, headers, body = http(seed_server, "GET", f"/sparql?{qs}", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    plain = gzip.decompress(body)
    assert len(json.loads(plain)["results"]["bindings"]) == 2000
    assert len(body) * 4 < len(plain)
    status, headers, body = http(seed_server, "GET", f"/sparql?{qs}")
    assert "content-encoding" not in headers and json.loads(body)


@pytest.mark.parametrize(("accept", "rdflib_format"), [(None, "turtle"), ("text/turtle", "turtle"),
                                                       ("application/rdf+xml", "xml")])
def test_service_description(seed_server: Server, accept: str | None, rdflib_format: str) -> None:
    status, _, body = http(seed_server, "GET", "/sparql", headers={"Accept": accept} if accept else {})
    assert status == 200
    graph = Graph().parse(data=body.decode("utf-8"), format=rdflib_format)
    endpoint = URIRef(seed_server.url + "/sparql")
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in graph
    assert len(list(graph.objects(endpoint, SD.resultFormat))) == 8


def test_browser_gets_the_query_page(seed_server: Server) -> None:
    status, headers, body = http(seed_server, "GET", "/sparql", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"people-posts" in body  # the editor is pre-loaded with the named queries


def _graphs(server: Server) -> list[str]:
    _, _, body = get(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
    return [b["g"]["value"] for b in json.loads(body)["results"]["bindings"]]


def test_default_graph_uri_and_named_graph_uri_are_honoured(seed_server: Server) -> None:
    graphs = _graphs(seed_server)
    ontology = "https://w3id.org/kgnews/ontology"
    document = next(g for g in graphs if g != ontology)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def n(**params: str) -> int:
        status, _, body = get(seed_server, count, **params)
        assert status == 200, body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    union = n()
    only_ontology, only_document = n(**{"default-graph-uri": ontology}), n(**{"default-graph-uri": document})
    assert 0 < only_ontology < union and 0 < only_document < union
    qs = urllib.parse.urlencode([("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
                                 ("named-graph-uri", document)])
    _, _, body = http(seed_server, "GET", f"/sparql?{qs}")
    assert [b["g"]["value"] for b in json.loads(body)["results"]["bindings"]] == [document]


# --- never fetch a URL ----------------------------------------------------------------------------------------------

@pytest.fixture
def listener() -> Iterator[tuple[str, list[object]]]:
    """A loopback TCP port that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    seen: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/", seen
    stop.set()
    thread.join(2)
    sock.close()


def test_service_from_and_dataset_uris_make_no_connection(seed_server: Server,
                                                          listener: tuple[str, list[object]]) -> None:
    url, seen = listener
    status, _, body = get(seed_server, f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}")
    assert status == 400 and b"SERVICE" in body
    status, _, body = get(seed_server, f"SELECT * FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}")
    assert status == 400 and b"FROM" in body
    status, _, body = get(seed_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{"default-graph-uri": url + "g.ttl"})
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    assert seen == []


# --- limits: time, size, concurrency --------------------------------------------------------------------------------

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def limited_server(seed_store: Path) -> Iterator[Server]:
    server = start_server(seed_store, "--timeout", "3", "--max-rows", "5", "--workers", "2")
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


def _serving(pid: int) -> set[int]:
    """Pids of the serving processes of server ``pid`` (they name themselves kg-serving)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = (stat.parent / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == pid and name == "kg-serving" and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out


def _wait_for_serving(server: Server, count: int) -> set[int]:
    deadline = time.monotonic() + 60
    while len(found := _serving(server.process.pid)) != count and time.monotonic() < deadline:
        time.sleep(0.2)  # replacements take a second or two to open the store
    return found


@pytest.mark.slow
def test_time_limit_stops_the_query_and_others_are_served(limited_server: Server) -> None:
    before = _wait_for_serving(limited_server, 2)
    assert len(before) == 2
    done: dict[str, float] = {}
    results: dict[str, object] = {}

    def heavy() -> None:
        results["heavy"] = get(limited_server, HEAVY)
        done["heavy"] = time.monotonic()

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.2)
    # While the heavy query runs, a quick one is answered, before the heavy one ends.
    status, _, body = get(limited_server, "ASK { ?s ?p ?o }")
    done["quick"] = time.monotonic()
    assert status == 200 and json.loads(body)["boolean"] is True
    thread.join(60)
    assert done["quick"] < done["heavy"]
    status, headers, body = results["heavy"]  # type: ignore[misc]
    assert status == 503 and b"time limit of 3 s" in body and headers["content-type"].startswith("text/plain")
    # The process that ran it exited (the work stopped, not just the response), and a new one replaced it.
    deadline = time.monotonic() + 10
    while not before - _serving(limited_server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert before - _serving(limited_server.process.pid)
    assert len(_wait_for_serving(limited_server, 2)) == 2
    status, _, _ = get(limited_server, "ASK {}")
    assert status == 200


@pytest.mark.slow
def test_a_crashed_engine_costs_its_connections_not_the_server(limited_server: Server) -> None:
    """A serving process dying mid-query (as pyoxigraph does on some hostile input) drops only its connections."""
    before = _wait_for_serving(limited_server, 2)
    outcome: dict[str, object] = {}

    def heavy() -> None:
        try:
            outcome["answer"] = get(limited_server, HEAVY)
        except OSError as exc:  # the connection went down with the process
            outcome["error"] = exc

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.5)
    for pid in before:  # every serving process dies, busy or idle
        os.kill(pid, signal.SIGKILL)
    thread.join(30)
    assert "error" in outcome, outcome
    assert limited_server.process.poll() is None
    after = _wait_for_serving(limited_server, 2)
    assert len(after) == 2 and not after & before
    status, _, body = get(limited_server, "ASK { ?s ?p ?o }")
    assert status == 200 and json.loads(body)["boolean"] is True


@pytest.mark.parametrize("query", [
    "SELECT ?s WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s ?p ?o } LIMIT 50",  # its own LIMIT is above the cap
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s",
    "SELECT ?s ?p WHERE { ?s ?p ?o } VALUES ?p { <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> }",
])
@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv"])
def test_result_size_cap_with_notice(limited_server: Server, query: str, accept: str) -> None:
    status, headers, body = get(limited_server, query, accept)
    assert status == 200
    if accept.endswith("json"):
        assert len(json.loads(body)["results"]["bindings"]) == 5
    elif accept.endswith("xml"):
        assert len(ET.fromstring(body).findall(f"{RESULT_NS}results/{RESULT_NS}result")) == 5
    else:
        assert len(body.decode().splitlines()) == 6
    assert "5 rows" in headers["x-kg-truncated"]


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_results_within_the_cap_are_whole(limited_server: Server, accept: str) -> None:
    for n in (0, 1, 5):
        status, headers, body = get(limited_server, f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n}", accept)
        assert status == 200 and "x-kg-truncated" not in headers
        if accept.endswith("json"):
            assert len(json.loads(body)["results"]["bindings"]) == n
        else:
            assert len(ET.fromstring(body).findall(f"{RESULT_NS}results/{RESULT_NS}result")) == n


# --- update: off by default, token-guarded when on ------------------------------------------------------------------

def test_update_endpoint_absent_by_default(seed_server: Server) -> None:
    status, _, _ = http(seed_server, "POST", "/update", 'INSERT DATA { <urn:a> <urn:b> "c" }',
                        {"Content-Type": "application/sparql-update"})
    assert status == 404


@pytest.mark.slow
def test_update_needs_the_token(seed_store_copy: Path, listener: tuple[str, list[object]]) -> None:
    url, seen = listener
    server = start_server(seed_store_copy, "--allow-update", "--token", "s3cret-token", "--workers", "2")
    try:
        insert = 'INSERT DATA { <urn:kg:test> <http://www.w3.org/2000/01/rdf-schema#label> "测试"@zh }'
        ctype = {"Content-Type": "application/sparql-update"}
        assert http(server, "POST", "/update", insert, ctype)[0] == 401
        assert http(server, "POST", "/update", insert, {**ctype, "Authorization": "Bearer wrong"})[0] == 401
        auth = {**ctype, "Authorization": "Bearer s3cret-token"}
        status, _, body = http(server, "POST", "/update", f"LOAD <{url}data.ttl>", auth)
        assert status == 400 and b"LOAD" in body
        assert http(server, "POST", "/update", insert, auth)[0] == 204
        status, _, body = get(server, 'ASK { <urn:kg:test> ?p "测试"@zh }')
        assert json.loads(body)["boolean"] is True
        # Deleting from the default graph (the union) deletes the fact from every document that states it.
        label = '<http://www.w3.org/2000/01/rdf-schema#label> "株洲经开区"@zh'
        assert json.loads(get(server, f"ASK {{ GRAPH ?g {{ ?e {label} }} }}")[2])["boolean"] is True
        delete = f"DELETE WHERE {{ ?e {label} }}"
        assert http(server, "POST", "/update", delete, auth)[0] == 204
        for ask in (f"ASK {{ ?e {label} }}", f"ASK {{ GRAPH ?g {{ ?e {label} }} }}"):
            assert json.loads(get(server, ask)[2])["boolean"] is False
        assert seen == []
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def _established(pid: int, port: int) -> int:
    """Client connections to ``port`` that process ``pid`` holds (its socket inodes matched in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
            count += 1
    return count


def test_connections_are_spread_over_the_serving_processes(limited_server: Server) -> None:
    """Four clients connecting at once get two serving processes each (without balancing: often three and one)."""
    processes = _wait_for_serving(limited_server, 2)
    port = int(limited_server.url.rsplit(":", 1)[1])
    start = threading.Barrier(4)
    conns = [HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(4)]

    def connect(conn: HTTPConnection) -> None:
        start.wait()
        conn.request("GET", "/sparql?query=" + urllib.parse.quote("ASK {}"))
        conn.getresponse().read()

    threads = [threading.Thread(target=connect, args=(conn,)) for conn in conns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert sorted(_established(pid, port) for pid in processes) == [2, 2]
    finally:
        for conn in conns:
            conn.close()
