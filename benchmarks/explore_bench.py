"""How the explorer copes with a big graph: a generated store of 50,000 entities (default) and ~150,000 links.

Measures, on one machine in one run:
  * the issue's target: a fresh ``kg serve`` process over the store, timed from its start until /explore and the
    page's first /api/graph view are both answered: the first start ever (the graph read from the store) and a
    restart (the graph read back from the copy the first start saved beside the store), then the same view warm;
  * building the entity graph in this process: the fast reader (SPARQL SELECTs serialised by the Oxigraph engine as
    TSV, cut into columns of plain strings; numpy PageRank) against the generic reader every backend has (rdflib
    terms through ``store.query``) plus the networkx graph, which is what the explorer built before (the baseline);
  * each JSON API call once the graph is cached (graph/top N, search, neighbourhood, entity panel, path,
    communities, Turtle export);
  * the page in headless Chromium (Debian chromium via Playwright, when installed): time from navigation until the
    first view is drawn and physics has stopped, with the graph ready;
  * the baseline: what peers do, a pyvis dump (``Network.from_nx`` + ``generate_html``) of a graph, timed at a few
    sizes in this run, against our server-chosen view; and payload bytes of the whole graph versus the view.

    nice -n 10 .venv/bin/python benchmarks/explore_bench.py [--entities 50000] [--store DIR] [--no-browser]
        [--starts 3] [--baseline-src /tmp/old/src]

The generated graph is deterministic (seeded): Chinese-looking names built from common characters, hubs from
preferential attachment, evidence sentences and documents like the real pipeline writes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from kg.rdf.namespaces import KG, SCHEMA
from kg.serve import create_app
from kg.store import OxigraphStore
from kg.viz import Explorer
from kg.viz.disk_cache import CACHE_NAME
from kg.viz.render import view
from kg.viz.table import read_generic, read_oxigraph

BASE = "http://localhost:8000/id/"
CHARS = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
WORDS = "株洲湘潭长沙衡阳岳阳常德益阳郴州永州怀化娄底云田炎陵醴陵攸县茶陵石峰荷塘芦淞天元渌口龙泉白关雷打石明照仙庾"
SUFFIX = {"Agency": ["局", "委员会", "办公室", "公司", "中心", "协会"],
          "Place": ["市", "县", "镇", "村", "社区", "街道"], "Project": ["项目", "工程", "产业园"],
          "Event": ["大会", "活动", "论坛", "典礼"], "Person": [""]}
PREDICATES = ["memberOf", "holdsPost", "partOf", "locatedIn", "partner", "organizer", "participant"]


def name(rng: random.Random, kind: str, index: int) -> str:
    if kind == "Person":
        return rng.choice(CHARS) + "".join(rng.choice(CHARS + WORDS) for _ in range(rng.choice((1, 2)))) + \
            (str(index) if index % 7 == 0 else "")
    stem = "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
    return f"{stem}{index % 97}{rng.choice(SUFFIX[kind])}"


def generate(store: OxigraphStore, entities: int, *, seed: int = 2021, per_doc: int = 100) -> tuple[int, int]:
    """Write ``entities`` entities in documents of ``per_doc``, each with ~2 relations and 1 co-mention."""
    rng = random.Random(seed)
    kinds = ["Person", "Agency", "Place", "Project", "Event"]
    iris: list[URIRef] = []
    ends: list[int] = []  # preferential attachment: an entity appears once per link it has
    links = 0
    for doc_index in range(0, entities, per_doc):
        doc = URIRef(f"{BASE}doc/bench/{doc_index}")
        triples = [(doc, RDF.type, KG.Document), (doc, SCHEMA.headline, Literal(f"第{doc_index}号新闻", lang="zh")),
                   (doc, KG.contentHash, Literal(f"bench-{seed}-{doc_index}"))]
        sentences = [URIRef(f"{doc}/s{i}") for i in range(20)]
        for i, sentence in enumerate(sentences):
            triples += [(sentence, RDF.type, KG.Sentence), (sentence, KG.inDocument, doc),
                        (sentence, KG.text, Literal(f"第{doc_index}号新闻第{i}句：各方共同推进相关工作。", lang="zh"))]
        for index in range(doc_index, min(doc_index + per_doc, entities)):
            kind = kinds[index % 5]
            label = name(rng, kind, index)
            iri = URIRef(f"{BASE}{kind.lower()}/{index}")
            iris.append(iri)
            triples += [(iri, RDF.type, KG[kind]), (iri, RDFS.label, Literal(label, lang="zh")),
                        (iri, KG.mentionedIn, doc)]
            if index % 4 == 0:
                triples.append((iri, SKOS.altLabel, Literal(label[:2] + "方面", lang="zh")))
            for r in range(3 if index else 0):
                other = iris[rng.choice(ends)] if ends and rng.random() < 0.7 else iris[rng.randrange(len(iris))]
                if other == iri:
                    continue
                predicate = KG.coMention if r == 2 else KG[rng.choice(PREDICATES)]
                st = URIRef(f"{doc}/r{index}-{r}")
                triples += [(iri, predicate, other), (st, RDF.type, RDF.Statement), (st, RDF.subject, iri),
                            (st, RDF.predicate, predicate), (st, RDF.object, other), (st, PROV.wasDerivedFrom, doc),
                            (st, KG.evidence, rng.choice(sentences))]
                if predicate == KG.coMention:
                    triples.append((st, KG["count"], Literal(1)))
                ends += [index, _index(other)]
                links += 1
        store.replace_graph(f"{BASE}graph/bench/{doc_index}", triples)
    return len(iris), links


def _index(iri: URIRef) -> int:
    return int(str(iri).rsplit("/", 1)[1])


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in milliseconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def pyvis_dump_ms(explorer: Explorer, size: int) -> tuple[float, int]:
    """The baseline: a pyvis page of the ``size`` most central entities, built the way pyvis users build one."""
    from pyvis.network import Network

    sub = explorer.graph.subgraph(explorer.top(size))
    simple = __import__("networkx").Graph()
    for n, d in sub.nodes(data=True):
        simple.add_node(n, label=d["label"], group=d["type"])
    simple.add_edges_from((s, o) for s, o in sub.edges())
    start = time.perf_counter()
    net = Network(cdn_resources="remote")
    net.from_nx(simple)
    page = net.generate_html()
    return (time.perf_counter() - start) * 1000, len(page.encode())


def browser_open_ms(url: str, runs: int = 3) -> list[float]:
    """Navigation → first view drawn and physics stopped, in Debian chromium (None when it is not installed)."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function("document.body.dataset.loaded === '1' && document.body.dataset.ready === '1'",
                                   timeout=120_000)
            out.append((time.perf_counter() - start) * 1000)
            page.close()
        browser.close()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_server_open(folder: Path, *, warm_runs: int = 5, source: str = "") -> dict[str, float]:
    """Start ``kg serve`` over ``folder`` and time, from the moment the process is started: the port accepting
    connections, /explore answered, then /api/graph?max=150 (what the page asks for first) answered; then that view
    again, warm.  The server is stopped before returning.  ``source``: the ``src`` folder of another checkout to
    run instead of this one (the baseline)."""

    port = free_port()
    env = dict(os.environ, KG_EXPLORE_DISK_CACHE="1")
    if source:
        env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", str(folder), "--port",
                                    str(port)], stdout=subprocess.DEVNULL, stderr=log, env=env)
        return _time_server(process, port, start, log, warm_runs)


def _time_server(process: subprocess.Popen, port: int, start: float, log: object, warm_runs: int) -> dict:
    import urllib.error
    import urllib.request

    def get(path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=300) as response:
            return response.read()

    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
                break
            except OSError:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError("kg serve exited: " + log.read().decode(errors="replace")[-2000:]) from None
                time.sleep(0.01)
        listening = time.perf_counter() - start
        get("/explore")
        page = time.perf_counter() - start
        get("/api/graph?max=150")
        first = time.perf_counter() - start
        try:
            status = json.loads(get("/api/status"))
        except urllib.error.HTTPError:  # a baseline from before /api/status
            status = {}
        warm = []
        for _ in range(warm_runs):
            begun = time.perf_counter()
            get("/api/graph?max=150")
            warm.append(time.perf_counter() - begun)
        deadline = time.monotonic() + 60  # let the server finish saving the graph beside the store before stopping it
        while status and json.loads(get("/api/status"))["busy"] and time.monotonic() < deadline:
            time.sleep(0.05)
        return {"listening": listening, "page": page, "first": first, "warm": statistics.median(warm),
                "source": status.get("source") or "?"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fresh_starts(folder: Path, starts: int, baseline: str = "") -> None:
    """The target figure: first start ever (no saved graph) and restarts, and the baseline checkout's first start
    when given, alternating so that load falls on all alike."""
    cache = folder / CACHE_NAME
    runs: dict[str, list[dict[str, float]]] = {"first start (graph read from the store)": [],
                                               "restart (graph saved beside the store)": []}
    if baseline:
        runs[f"baseline {baseline}"] = []
    for _ in range(starts):
        if baseline:
            runs[f"baseline {baseline}"].append(fresh_server_open(folder, source=baseline))
        cache.unlink(missing_ok=True)
        runs["first start (graph read from the store)"].append(fresh_server_open(folder))
        runs["restart (graph saved beside the store)"].append(fresh_server_open(folder))
    print(f"\nfresh `kg serve` process → /explore + first /api/graph view answered (median of {starts}; "
          f"load {os.getloadavg()[0]:.1f}):")
    for title, results in runs.items():
        med = {k: statistics.median(r[k] for r in results) for k in ("listening", "page", "first", "warm")}
        sources = "/".join(sorted({str(r["source"]) for r in results}))
        each = ", ".join(f"{r['first']:.2f}" for r in results)
        print(f"  {title:<42} {med['first']:6.2f} s  (listening at {med['listening']:.2f} s, page at "
              f"{med['page']:.2f} s; runs {each}; graph from {sources})")
    warm = statistics.median(r["warm"] for rs in runs.values() for r in rs)
    first = statistics.median(r["first"] for r in runs["first start (graph read from the store)"])
    print(f"  warm /api/graph?max=150 on the running server: {warm * 1000:.0f} ms  "
          f"(first start ÷ warm: ×{first / warm:.0f})")
    if baseline:
        old = statistics.median(r["first"] for r in runs[f"baseline {baseline}"])
        again = statistics.median(r["first"] for r in runs["restart (graph saved beside the store)"])
        print(f"  baseline ÷ first start: ×{old / first:.1f}; baseline ÷ restart: ×{old / again:.1f}")


def build_figures(store: OxigraphStore) -> Explorer:
    """Building the explorer in this process: the fast reader against the generic one plus networkx (the baseline,
    what the explorer did before), measured alternately."""
    fast_times, base_times = [], []
    explorer = None
    for _ in range(2):
        begun = time.perf_counter()
        explorer = Explorer(read_oxigraph(store.engine))
        fast_times.append(time.perf_counter() - begun)
        begun = time.perf_counter()
        baseline = Explorer(read_generic(store))
        baseline.graph  # noqa: B018 - the networkx graph the old explorer built before its first answer
        base_times.append(time.perf_counter() - begun)
    fast, base = min(fast_times), min(base_times)
    print(f"\nbuilding the entity graph in this process (best of 2, load {os.getloadavg()[0]:.1f}):")
    print(f"  baseline: generic reader (rdflib terms) + networkx graph + PageRank  {base:6.2f} s")
    print(f"  fast reader (engine TSV, plain strings) + numpy PageRank              {fast:6.2f} s  "
          f"(×{base / fast:.1f} faster)")
    begun = time.perf_counter()
    explorer.prepare()
    print(f"  then, in the background: search index and neighbour lists             "
          f"{time.perf_counter() - begun:6.2f} s")
    return explorer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--store", default="", help="reuse/keep the generated store in this directory")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--starts", type=int, default=3, help="fresh server starts to time, of each kind")
    parser.add_argument("--baseline-src", default="", metavar="DIR",
                        help="the src/ folder of another checkout (e.g. `git archive 0203105 src | tar -x -C /tmp/old`"
                             " for the explorer before the fast reader) whose kg serve is timed the same way")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (figures scale with it)")

    folder = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="kg-explore-bench-"))
    fresh = not (folder / "kg-store-format").exists()
    store = OxigraphStore(folder)
    if fresh:
        start = time.perf_counter()
        n, links = generate(store, args.entities)
        print(f"generated {n} entities, {links} links into {folder} in {time.perf_counter() - start:.1f} s")
    else:
        print(f"reusing the store in {folder}")
    store.close()  # the servers below open it themselves
    if args.starts > 0:
        fresh_starts(folder, args.starts, args.baseline_src)

    store = OxigraphStore(folder, read_only=True)
    explorer = build_figures(store)
    app = create_app(store)
    app.extensions["kg_explorer"].get()
    g = explorer.graph
    print(f"\nentity graph: {g.number_of_nodes()} entities, {g.number_of_edges()} edges")

    client = app.test_client()
    hub = explorer.top(1)[0]
    person = next(n for n in explorer.top(2000) if g.nodes[n]["type"] == "Person")
    far = explorer.top(5000)[-1]
    label = g.nodes[person]["label"]
    top150 = explorer.top(150)
    calls = {
        "GET /api/graph?max=150": lambda: client.get("/api/graph?max=150"),
        "GET /api/graph?max=1000": lambda: client.get("/api/graph?max=1000"),
        "GET /api/search?q=<2 chars>": lambda: client.get("/api/search", query_string={"q": label[:2]}),
        "GET /api/neighbourhood hub, 2 hops": lambda: client.get("/api/neighbourhood",
                                                                 query_string={"id": hub, "hops": 2}),
        "GET /api/neighbourhood person, 3 hops": lambda: client.get("/api/neighbourhood",
                                                                    query_string={"id": person, "hops": 3}),
        "GET /api/entity (hub)": lambda: client.get("/api/entity", query_string={"id": hub}),
        "GET /api/path person → far entity": lambda: client.get("/api/path",
                                                                query_string={"from": person, "to": far}),
        "POST /api/communities (150 shown)": lambda: client.post("/api/communities", json={"ids": top150}),
        "POST /api/subgraph.ttl (150 shown)": lambda: client.post("/api/subgraph.ttl", json={"ids": top150}),
        "GET /explore (page)": lambda: client.get("/explore"),
    }
    print("\nJSON API with the graph cached (median of 5):")
    for title, call in calls.items():
        ms, response = timed(call)
        assert response.status_code == 200, (title, response.get_data(as_text=True)[:200])
        print(f"  {title:<40} {ms:8.1f} ms  {len(response.get_data()):>9,} bytes")

    print("\nbaseline: pyvis dump (from_nx + generate_html) vs our view() for the same entities:")
    for size in (500, 1000, 2000):
        base_ms, base_bytes = pyvis_dump_ms(explorer, size)
        ours_ms, data = timed(lambda size=size: view(explorer, explorer.top(size)), repeat=3)
        ours_bytes = len(json.dumps(data, ensure_ascii=False).encode())
        print(f"  {size:>5} entities: pyvis {base_ms:8.0f} ms {base_bytes:>10,} B (+ CDN assets), "
              f"ours {ours_ms:6.0f} ms {ours_bytes:>10,} B  (×{base_ms / max(ours_ms, 0.001):.1f} faster)")
        last = (size, base_ms)
    # pyvis checks every new edge against lists of nodes and edges: quadratic, so the whole graph is out of reach.
    size, base_ms = last
    print(f"  pyvis for all {g.number_of_nodes()} entities, extrapolated as n²: "
          f"~{base_ms * (g.number_of_nodes() / size) ** 2 / 60_000:.0f} min")
    whole = len(json.dumps(view(explorer, list(g.nodes)), ensure_ascii=False).encode())
    shown = len(json.dumps(view(explorer, top150), ensure_ascii=False).encode())
    print(f"  payload: whole graph {whole:,} bytes vs first view {shown:,} bytes (×{whole / shown:.0f} smaller)")

    if not args.no_browser and Path("/usr/bin/chromium").exists():
        from werkzeug.serving import make_server

        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_port}/explore"
        runs = browser_open_ms(url, runs=4)
        httpd.shutdown()
        print(f"\n/explore in headless Chromium, navigation → drawn and physics settled "
              f"({g.number_of_nodes()} entities, graph ready): first page {runs[0]:.0f} ms, "
              f"then median of {len(runs) - 1}: {statistics.median(runs[1:]):.0f} ms")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    store.close()
    if not args.store:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
