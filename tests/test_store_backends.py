"""One contract, every backend: rdflib in memory, Oxigraph in memory and on disk, and a real Oxigraph server
(``oxigraph serve`` on a free loopback port) reached through the SPARQL 1.1 Protocol, Graph Store Protocol and
Update.  Then the remote store's failure handling: retry with back-off on a flaky server, a clear error naming the
document when the server keeps failing (documents before it stay loaded), a server that is down, and credentials
that must not come from the URL.
"""

from __future__ import annotations

import http.server
import re
import shutil
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import SEEDS, free_port
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.build import build
from kg.cli import main
from kg.rdf.namespaces import KG
from kg.store import QueryError, StoreError, open_store
from kg.store.remote_store import RemoteStore


def _oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server (PyPI package oxigraph) is not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path_factory.mktemp("oxserver")),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/query?query=ASK%7B%7D", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


@pytest.fixture(scope="module")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Virtuoso (Debian virtuoso-opensource) on loopback, its database in a temporary folder; user dba/dba."""
    binary = shutil.which("virtuoso-t")
    if binary is None or not VIRTUOSO_INI.exists():
        pytest.skip("Virtuoso (Debian package virtuoso-opensource) is not installed")
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text(encoding="utf-8").replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
    ini = re.sub(r"(?m)^ServerPort\s*=\s*1111\s*$", f"ServerPort = 127.0.0.1:{sql_port}", ini)
    ini = re.sub(r"(?m)^ServerPort\s*=\s*8890\s*$", f"ServerPort = 127.0.0.1:{http_port}", ini)
    (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
    proc = subprocess.Popen([binary, "-c", str(folder / "virtuoso.ini"), "+foreground"], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}/sparql"
    try:
        _wait_for(url + "?query=ASK%7B%7D", proc, seconds=60)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _clear(store) -> None:
    for graph in store.graphs():
        store.remove_graph(graph)


@pytest.fixture(params=["rdflib:", "memory:", "disk", "oxigraph-server", "virtuoso"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = request.param
    if spec == "disk":
        spec = str(tmp_path / "store")
    elif spec == "oxigraph-server":
        spec = request.getfixturevalue("oxigraph_server")
    elif spec == "virtuoso":
        spec = request.getfixturevalue("virtuoso_server")
        monkeypatch.setenv("KG_STORE_USER", "dba")
        monkeypatch.setenv("KG_STORE_PASSWORD", "dba")
    s = open_store(spec)
    _clear(s)
    yield s
    _clear(s)
    s.close()


G1, G2 = "http://localhost:8000/id/graph/甲", "http://localhost:8000/id/graph/乙"
LI = URIRef("http://localhost:8000/id/person/李波")
OFFICE = URIRef("http://localhost:8000/id/agency/省炎基办")


def _facts(doc: str) -> list[tuple]:
    return [(LI, RDF.type, KG.Person), (LI, RDFS.label, Literal("李波", lang="zh")),
            (LI, KG.mentionedIn, URIRef(f"http://localhost:8000/id/doc/{doc}")),
            (LI, KG.start, Literal(12)), (LI, KG.date, Literal("2021-12-16", datatype=XSD.date)),
            (OFFICE, RDFS.label, Literal('引号"与\\反斜杠\n换行', lang="zh"))]


def test_replace_remove_and_union(store) -> None:
    store.replace_graph(G1, _facts("甲"))
    store.replace_graph(G2, _facts("乙")[:3])
    assert store.graphs() == sorted([G1, G2])
    # The union graph holds each triple once: 李波's type and label are in both graphs.
    assert len(store) == 7
    rows = store.query("SELECT ?d WHERE { ?p <https://w3id.org/kgnews/ontology#mentionedIn> ?d } ORDER BY ?d").rows
    assert [str(r["d"]).rsplit("/", 1)[1] for r in rows] == ["乙", "甲"]
    # Replacing a graph swaps its content; it is not added to.
    store.replace_graph(G1, _facts("甲")[:2])
    assert set(store.graph_quads(G1)) == {(*t, URIRef(G1)) for t in _facts("甲")[:2]}
    store.remove_graph(G2)
    assert store.graphs() == [G1]
    assert not store.query("ASK { ?s <https://w3id.org/kgnews/ontology#mentionedIn> ?d }").boolean


def test_terms_round_trip(store) -> None:
    store.replace_graph(G1, _facts("甲"))
    assert {(s, p, o) for s, p, o, _ in store.quads()} == set(_facts("甲"))
    label = store.query(f"SELECT ?l WHERE {{ <{OFFICE}> ?p ?l }}").rows[0]["l"]
    assert str(label) == '引号"与\\反斜杠\n换行' and label.language == "zh"
    found = list(store.quads_for(subject=LI, predicate=KG.start))
    assert found == [(LI, KG.start, Literal(12), URIRef(G1))]


def test_query_kinds(store) -> None:
    store.replace_graph(G1, _facts("甲"))
    assert store.query("ASK { ?s a <https://w3id.org/kgnews/ontology#Person> }").boolean is True
    graph = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(?s = <{LI}>) }}")
    assert graph.kind == "graph" and len(graph.triples) == 5
    limited = store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", limit=2)
    assert len(limited.rows) == 2 and limited.truncated
    with pytest.raises(QueryError):
        store.query("SELECT WHERE {")
    with pytest.raises(QueryError):
        store.query("DROP ALL")


@pytest.mark.slow
@pytest.mark.parametrize("server", ["oxigraph_server", "virtuoso_server"])
def test_build_into_a_server_and_validate(server: str, request: pytest.FixtureRequest,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = request.getfixturevalue(server)
    if server == "virtuoso_server":
        monkeypatch.setenv("KG_STORE_USER", "dba")
        monkeypatch.setenv("KG_STORE_PASSWORD", "dba")
    store = open_store(url)
    _clear(store)
    assert main(["build", "-q", "--store", url, str(SEEDS)]) == 0
    assert main(["build", "-q", "--store", url, str(SEEDS)]) == 0  # unchanged: skipped
    assert "0 document(s) built" in capsys.readouterr().err
    assert main(["validate", "--store", url]) == 0
    # The same graph as an embedded build of the same input (modulo build time).
    local = open_store("memory:")
    build(local, [SEEDS], date="")
    stamp = URIRef("http://www.w3.org/ns/prov#generatedAtTime")
    remote_quads = {q for q in store.quads() if q[1] != stamp}
    assert remote_quads == {q for q in local.quads() if q[1] != stamp}
    _clear(store)


class _Flaky(http.server.BaseHTTPRequestHandler):
    """A proxy in front of the real server that fails on purpose: 503 on the first try of every graph write, and
    500 forever on writes of graphs whose IRI contains ``fail_on``."""

    upstream = ""
    fail_on = "\0"
    seen: ClassVar[set[str]] = set()

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "PUT":
            if urllib.parse.unquote(self.path).find(self.fail_on) >= 0:
                self.send_error(500, "disk full (simulated)")
                return
            if self.path not in self.seen:
                self.seen.add(self.path)
                self.send_error(503, "busy (simulated)")
                return
        request = urllib.request.Request(self.upstream + self.path, data=body, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
                status, headers = response.status, response.headers
        except urllib.error.HTTPError as exc:
            data, status, headers = exc.read(), exc.code, exc.headers
        self.send_response(status)
        for key in ("Content-Type",):
            if headers.get(key):
                self.send_header(key, headers[key])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args: object) -> None:
        pass


import urllib.error  # noqa: E402  (used by the proxy above)
import urllib.parse  # noqa: E402


@pytest.fixture
def flaky(oxigraph_server: str) -> Iterator[type[_Flaky]]:
    handler = type("Flaky", (_Flaky,), {"upstream": oxigraph_server, "seen": set(), "fail_on": "\0"})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    text = (SEEDS / "zhuzhou-daily-2021-12.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = [line for line in text if len(line) > 40][:3]
    for i, paragraph in enumerate(paragraphs):
        (folder / f"n{i}.txt").write_text(paragraph + "\n", encoding="utf-8")
    return folder


def test_retries_then_fails_naming_the_document(flaky, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 oxigraph_server: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KG_STORE_BACKOFF", "0.01")
    monkeypatch.setenv("KG_STORE_RETRIES", "3")
    corpus = _corpus(tmp_path)
    _clear(open_store(oxigraph_server))
    # Every write fails once (503) and succeeds on retry: the build completes.
    store = open_store(flaky.url)
    report = build(store, [corpus])
    assert len(report.built) == 3
    _clear(open_store(oxigraph_server))
    # Writes of the second document keep failing: a clear error naming it; the first stays loaded.
    flaky.fail_on = "news/n1.txt"
    flaky.seen = set()
    with pytest.raises(StoreError) as info:
        build(open_store(flaky.url), [corpus])
    message = str(info.value)
    assert "news/n1.txt" in message and "HTTP 500" in message and "4 attempts" in message
    assert open_store(oxigraph_server).graphs() == ["http://localhost:8000/id/graph/news/n0.txt",
                                                    "https://w3id.org/kgnews/ontology"]
    _clear(open_store(oxigraph_server))


def test_server_down_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KG_STORE_BACKOFF", "0.01")
    monkeypatch.setenv("KG_STORE_RETRIES", "2")
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    assert main(["stats", "--store", url]) == 1
    err = capsys.readouterr().err
    assert "after 3 attempts" in err and "cannot reach 127.0.0.1" in err
    assert time.monotonic() - started < 10


def test_credentials_never_from_the_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StoreError, match="KG_STORE_USER"):
        RemoteStore("http://dba:secret@127.0.0.1:8890/sparql")
    assert main(["stats", "--store", "http://dba:secret@127.0.0.1:8890/sparql"]) == 1
    assert "secret" not in capsys.readouterr().err
    monkeypatch.setenv("KG_STORE_USER", "dba")
    monkeypatch.setenv("KG_STORE_PASSWORD", "secret")
    virtuoso = RemoteStore("http://127.0.0.1:8890/sparql")
    assert virtuoso.update_url.endswith("/sparql-auth") and virtuoso.gsp_url.endswith("/sparql-graph-crud-auth")
    assert type(virtuoso.session.auth).__name__ == "HTTPDigestAuth"
    assert "secret" not in virtuoso.description


def test_changed_file_drops_documents_it_no_longer_yields(store, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The stale-document lookup (graphs of FILE#…) works on every backend, remote ones included."""
    monkeypatch.chdir(tmp_path)
    lines = [line for line in (SEEDS / "zhuzhou-daily-2021-12.txt").read_text(encoding="utf-8").splitlines()
             if len(line) > 40][:3]
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = build(store, [path], lines=True)
    assert len(first.built) == 3
    path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    second = build(store, [path], lines=True)
    assert len(second.unchanged) == 2 and len(second.removed) == 1
    assert len([g for g in store.graphs() if "lines.txt" in g]) == 2


def test_protocol_dataset(store) -> None:
    """default-graph-uri / named-graph-uri (as the endpoint passes them) choose the dataset on every backend."""
    store.replace_graph(G1, _facts("甲"))
    store.replace_graph(G2, _facts("乙")[:3])
    mentioned = "SELECT ?d WHERE { ?p <https://w3id.org/kgnews/ontology#mentionedIn> ?d }"
    rows = store.query(mentioned, default_graphs=[G2]).rows
    assert [str(r["d"]).rsplit("/", 1)[1] for r in rows] == ["乙"]
    named = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[G1]).rows
    assert [str(r["g"]) for r in named] == [G1]
    # Default graphs only: the dataset has no named graphs (SPARQL 1.1 Protocol, 2.1.4).
    assert not store.query("ASK { GRAPH ?g { ?s ?p ?o } }", default_graphs=[G1]).boolean
