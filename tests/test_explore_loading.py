"""How the explorer gets its graph: the fast reader on the Oxigraph engine against the generic SPARQL reader, the
background build and its status while a user waits, rebuilds after a write, and the copy kept beside the store."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, run_kg
from rdflib import Literal, URIRef

import kg.serve.explore as explore_module
from kg.rdf.namespaces import KG, RDF, RDFS, SKOS
from kg.serve import create_app
from kg.serve.explore import ExplorerCache
from kg.store import OxigraphStore, RdflibStore, open_store
from kg.viz import Explorer, disk_cache, entity_graph
from kg.viz.table import EntityTable, read_generic, read_oxigraph, read_table

BASE = "http://localhost:8000/id/"


def same_table(a: EntityTable, b: EntityTable) -> None:
    assert a.iris == b.iris and a.labels == b.labels and a.types == b.types and a.aliases == b.aliases
    assert a.predicates == b.predicates
    for name in ("src", "dst", "pred", "count"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def seed_quads(seed_store: Path) -> dict[str, list]:
    by_graph: dict[str, list] = defaultdict(list)
    with open_store(str(seed_store), read_only=True) as disk:
        for s, p, o, g in disk.quads():
            by_graph[str(g)].append((s, p, o))
    return by_graph


def test_fast_reader_reads_what_the_generic_reader_reads(seed_store: Path) -> None:
    with open_store(str(seed_store), read_only=True) as store:
        fast = read_oxigraph(store.engine)
        generic = read_generic(store)
        assert read_table(store).iris == fast.iris  # an Oxigraph store takes the fast path
    same_table(fast, generic)
    assert len(fast) > 50 and len(fast.src) > 50
    assert set(fast.types) <= {"Agency", "Person", "Place", "Project", "Event"}
    # The text's people and organisations are there, with their labels and a declared abbreviation as an alias.
    labels = dict(zip(fast.labels, fast.aliases, strict=True))
    assert "黄勇" in labels and "株洲经开区" in labels
    assert any("省炎基办" in aliases for label, aliases in labels.items() if "炎帝陵基金会" in label)
    # Co-mentions are stored once per pair, source before target; every edge joins two different entities.
    co = fast.predicates.index("coMention")
    assert np.all(fast.src[fast.pred == co] < fast.dst[fast.pred == co]) and np.all(fast.src != fast.dst)


def test_other_backends_take_the_generic_path_to_the_same_table(seed_store: Path) -> None:
    memory = RdflibStore()
    for graph, triples in seed_quads(seed_store).items():
        memory.replace_graph(graph, triples)
    with open_store(str(seed_store), read_only=True) as store:
        same_table(read_table(memory), read_table(store))


def test_networkx_graph_and_explorer_agree(seed_store: Path) -> None:
    with open_store(str(seed_store), read_only=True) as store:
        explorer = Explorer.from_store(store)
        graph = entity_graph(store)
    assert graph.number_of_nodes() == explorer.number_of_nodes()
    assert graph.number_of_edges() == explorer.number_of_edges()
    huang = explorer.resolve("黄勇")
    assert explorer.degree(huang) == graph.degree(huang)
    co = sorted(explorer.comentions(huang))
    assert co == sorted((o, d["count"]) for o in graph[huang] for k, d in graph[huang][o].items()
                        if k == "coMention")
    # The table rebuilt from the networkx graph is the one read from the store, and ranks the same way.
    again = Explorer.from_graph(graph)
    same_table(again.table, explorer.table)
    assert again.top(30) == explorer.top(30)


def test_first_request_waits_for_the_build_and_status_reports_it(seed_store: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = explore_module.read_table

    def slow(store: object) -> EntityTable:
        release.wait(20)
        return real(store)

    monkeypatch.setattr(explore_module, "read_table", slow)
    store = OxigraphStore(None)
    for graph, triples in seed_quads(seed_store).items():
        store.replace_graph(graph, triples)
    client = create_app(store).test_client()
    # The page itself never waits for the graph: it says what is going on and asks again.
    assert client.get("/explore").status_code == 200
    status = client.get("/api/status?wait=0.2").get_json()
    assert status["ready"] is False and status["building"] is True
    assert status["phase"] == "reading entities and links from the store" and status["entities"] is None
    answers: list = []
    waiting = threading.Thread(target=lambda: answers.append(client.get("/api/graph?max=10")))
    waiting.start()
    time.sleep(0.3)
    assert not answers  # held until the graph is there, not answered with something partial
    release.set()
    waiting.join(20)
    assert answers and answers[0].status_code == 200 and answers[0].get_json()["shown"] == 10
    done = client.get("/api/status?wait=5").get_json()
    assert done["ready"] is True and done["entities"] > 50 and done["source"] == "store" and done["error"] is None


def test_a_failed_build_is_reported_and_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def broken(store: object) -> EntityTable:
        calls.append(1)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(explore_module, "read_table", broken)
    client = create_app(OxigraphStore(None)).test_client()
    status = client.get("/api/status?wait=5").get_json()
    assert status["ready"] is False and "disk on fire" in status["error"]
    response = client.get("/api/graph")
    assert response.status_code == 500 and "disk on fire" in response.get_json()["error"]
    assert len(calls) == 2  # the request started a new build rather than repeating the old failure


def test_a_write_rebuilds_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_module, "VERSION_CHECK_SECONDS", 0.0)
    store = OxigraphStore(None)

    def document(n: int) -> None:
        doc, person = URIRef(f"{BASE}doc/{n}"), URIRef(f"{BASE}person/p{n}")
        store.replace_graph(f"{BASE}graph/{n}", [(doc, RDF.type, KG.Document), (doc, KG.contentHash, Literal(str(n))),
                                                (person, RDF.type, KG.Person),
                                                (person, RDFS.label, Literal(f"人物{n}", lang="zh"))])

    document(1)
    cache = ExplorerCache(store, disk=False)
    first = cache.get()
    assert first.number_of_nodes() == 1
    document(2)
    assert cache.get() is first  # the version changed: a rebuild starts, this request keeps the current graph
    deadline = time.monotonic() + 10
    while cache.get() is first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache.get().number_of_nodes() == 2 and cache.get().resolve("人物2") == f"{BASE}person/p2"


def test_a_sparql_update_rebuilds_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """An update through /update changes triples without changing any document's graph or hash: the explorer must
    still notice (the store counts its writes)."""
    monkeypatch.setattr(explore_module, "VERSION_CHECK_SECONDS", 0.0)
    store = OxigraphStore(None)
    doc, person = URIRef(f"{BASE}doc/1"), URIRef(f"{BASE}person/p1")
    store.replace_graph(f"{BASE}graph/1", [(doc, RDF.type, KG.Document), (doc, KG.contentHash, Literal("1")),
                                          (person, RDF.type, KG.Person),
                                          (person, RDFS.label, Literal("人物1", lang="zh"))])
    cache = ExplorerCache(store, disk=False)
    first = cache.get()
    assert first.resolve("人物1") == str(person)
    store.update(f'DELETE DATA {{ <{person}> <{RDFS.label}> "人物1"@zh }} ;\n'
                 f'INSERT DATA {{ GRAPH <{BASE}graph/1> {{ <{person}> <{RDFS.label}> "人物甲"@zh }} }}')
    deadline = time.monotonic() + 10
    while cache.get() is first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache.get().resolve("人物甲") == str(person) and not cache.get().resolve("人物1")


def test_kg_build_prepares_the_graph_for_the_first_serve(seed_store: Path, tmp_path: Path) -> None:
    """`kg build` saves the explorer's graph, so the first server reads it back instead of reading the store;
    `--no-explorer-cache` skips that."""
    assert (seed_store / disk_cache.CACHE_NAME).exists()  # built by the session fixture with plain `kg build`
    with open_store(str(seed_store), read_only=True) as store:
        cache = ExplorerCache(store, disk=True)
        assert cache.get().resolve("黄勇") and cache.source == "disk cache"
    bare = tmp_path / "bare"
    assert run_kg("build", "--store", bare, "--date", "2021-12-16", "-q", "--no-explorer-cache", SEEDS) == 0
    assert not (bare / disk_cache.CACHE_NAME).exists()


def test_the_graph_is_kept_beside_the_store_until_the_store_changes(seed_store_copy: Path) -> None:
    (seed_store_copy / disk_cache.CACHE_NAME).unlink()  # as a store built by an older kg, or with --no-explorer-cache
    with open_store(str(seed_store_copy), read_only=True) as store:
        cache = ExplorerCache(store)
        built = cache.get()
        cache.wait_idle(20)
        assert cache.source == "store"
    assert (seed_store_copy / disk_cache.CACHE_NAME).exists()
    with open_store(str(seed_store_copy), read_only=True) as store:  # a restart: read back, not recomputed
        again = ExplorerCache(store)
        restored = again.get()
        assert again.source == "disk cache"
        same_table(restored.table, built.table)
        assert restored.top(20) == built.top(20) and restored.search("黄勇") == built.search("黄勇")
    with open_store(str(seed_store_copy)) as store:  # any write makes the saved copy stale
        person = URIRef(f"{BASE}person/新人物")
        store.replace_graph(f"{BASE}graph/new", [(person, RDF.type, KG.Person),
                                                 (person, RDFS.label, Literal("新人物", lang="zh"))])
    with open_store(str(seed_store_copy), read_only=True) as store:
        fresh = ExplorerCache(store)
        assert fresh.get().resolve("新人物") == str(person) and fresh.source == "store"


def test_a_damaged_or_foreign_cache_file_is_ignored(seed_store_copy: Path) -> None:
    target = seed_store_copy / disk_cache.CACHE_NAME
    for content in (b"{not json", b'{"format": 3, "stamp": "other", "table": {}, "rank": []}', b"[]"):
        target.write_bytes(content)
        with open_store(str(seed_store_copy), read_only=True) as store:
            cache = ExplorerCache(store)
            assert cache.get().resolve("黄勇") and cache.source == "store"
            cache.wait_idle(20)
    with open_store(str(seed_store_copy), read_only=True) as store:  # and each time replaced by a good copy
        cache = ExplorerCache(store)
        assert cache.get().resolve("黄勇") and cache.source == "disk cache"
    # The right stamp over a table that does not fit together (a link to an entity that is not there): ignored too.
    data = json.loads(target.read_bytes())
    data["table"]["dst"] = base64.b64encode(np.full(len(np.frombuffer(base64.b64decode(data["table"]["dst"]),
                                                                      dtype="<i4")), 10**6, dtype="<i4").tobytes()
                                            ).decode()
    target.write_text(json.dumps(data))
    with open_store(str(seed_store_copy), read_only=True) as store:
        cache = ExplorerCache(store)
        assert cache.get().resolve("黄勇") and cache.source == "store"



def test_fast_reader_copes_with_commas_quotes_and_line_breaks_in_names() -> None:
    """The fast reader splits the engine's TSV at tabs and line ends: names holding them (escaped in TSV), quotes,
    backslashes and an IRI with a comma (which Oxigraph's CSV would leave unquoted) must come out as written."""
    store = OxigraphStore(None)
    odd = URIRef(f"{BASE}agency/a,b")
    plain = URIRef(f"{BASE}person/p")
    name = '他说"你好",\r\n再见\t\\n'
    store.replace_graph(f"{BASE}graph/odd", [
        (odd, RDF.type, KG.Agency), (odd, RDFS.label, Literal(name, lang="zh")),
        (odd, SKOS.altLabel, Literal("甲\t乙", lang="zh")), (odd, SKOS.altLabel, Literal("12")),
        (plain, RDF.type, KG.Person), (plain, RDFS.label, Literal("普通", lang="zh")), (plain, KG.memberOf, odd)])
    fast = read_oxigraph(store.engine)
    same_table(fast, read_generic(store))
    assert fast.iris == [str(odd), str(plain)] and fast.labels[0] == name and fast.aliases[0] == ["12", "甲\t乙"]
    assert fast.predicates == ["memberOf"] and fast.src.tolist() == [1] and fast.dst.tolist() == [0]
