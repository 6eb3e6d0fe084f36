"""SPARQL endpoint benchmark: ``kg serve`` against ``oxigraph serve-read-only`` on the same generated data, same run.

Why: the endpoint adds a Python HTTP layer, a guard and worker processes on top of the Oxigraph engine; this measures
what that costs per query shape and under concurrency, against Oxigraph's own server as the baseline.

    .venv/bin/python benchmarks/sparql_bench.py --triples 100000 --seconds 10
    .venv/bin/python benchmarks/sparql_bench.py --triples 1000000 --clients 1 4 8 --seconds 10
    .venv/bin/python benchmarks/sparql_bench.py --triples 100000 --clients 8 --seconds 60   # the 60 s soak

The graph has the shape ``kg build`` writes (one named graph per document: document, sentences, mentions, entities
with Chinese labels and aliases, reified statements with evidence, co-mentions), generated deterministically.
``oxigraph`` comes from PyPI (``pip install oxigraph``, the ``bench`` extra).  Prints p50/p95 latency and queries
per second per server, query shape and client count, and the kg/oxigraph ratios.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

KG = "https://w3id.org/kgnews/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "http://localhost:8000/id/"

# Generic building blocks for plausible names (common characters and administrative/organisational suffixes).
_CHARS = ("安宁平和华新东南西北中兴盛昌明德仁义清泉山水林田河湖江海云阳光春秋金银玉石龙凤长青白红黄绿天地"
          "开发建设城乡文化科技教育卫生交通农业工业商贸旅游生态环境民生服务创新产业合作综合公共")
_PLACE_SUFFIX = ["市", "县", "区", "镇", "乡", "街道", "社区", "村"]
_AGENCY_SUFFIX = ["人民政府", "发展和改革局", "教育局", "卫生健康委员会", "农业农村局", "住房和城乡建设局", "管委会",
                  "办公室", "基金会", "研究会", "党工委", "服务中心"]
_PROJECT_SUFFIX = ["产业园项目", "道路改造工程", "安置房项目", "污水处理厂", "文化广场", "综合体项目"]
_EVENT_SUFFIX = ["工作会议", "实践活动", "调度会", "签约仪式", "座谈会", "开工仪式"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_POSTS = ["主任", "局长", "书记", "院长", "县长", "副主任", "秘书长"]
TYPES = ["Agency", "Person", "Place", "Project", "Event"]


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(n))


def _name(rng: random.Random, kind: str) -> str:
    if kind == "Person":
        return rng.choice(_SURNAMES) + _word(rng, rng.choice([1, 2]))
    if kind == "Place":
        return _word(rng, 2) + rng.choice(_PLACE_SUFFIX)
    if kind == "Agency":
        return _word(rng, 2) + rng.choice(_PLACE_SUFFIX[:3]) + rng.choice(_AGENCY_SUFFIX)
    if kind == "Project":
        return _word(rng, 2) + rng.choice(_PROJECT_SUFFIX)
    return _word(rng, 2) + rng.choice(_EVENT_SUFFIX)


def _lit(text: str, lang: str = "zh") -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + f'"@{lang}'


def _int(n: int) -> str:
    return f'"{n}"^^<{XSD}integer>'


def generate(triples: int, seed: int = 7) -> tuple[bytes, dict[str, list[str]]]:
    """N-Quads of about ``triples`` triples in kg's shape, and samples (labels, IRIs) for the query mix."""
    rng = random.Random(seed)
    docs = max(1, triples // 400)
    pool: list[tuple[str, str, str]] = []  # (iri, type, label)
    seen: set[str] = set()
    while len(pool) < docs * 4:
        kind = rng.choice(TYPES)
        label = _name(rng, kind)
        iri = f"{BASE}{kind.lower()}/{label}"
        if iri not in seen:
            seen.add(iri)
            pool.append((iri, kind, label))
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(pool))]  # some entities are in many documents
    out: list[str] = []
    for d in range(docs):
        doc = f"{BASE}doc/news/{d:06d}"
        g = f"<{BASE}graph/news/{d:06d}>"

        def q(s: str, p: str, o: str, g: str = g) -> None:
            out.append(f"{s} {p} {o} {g} .\n")

        D = f"<{doc}>"
        q(D, f"<{RDF}type>", f"<{KG}Document>")
        q(D, f"<{RDF}type>", f"<{SCHEMA}NewsArticle>")
        q(D, f"<{SCHEMA}headline>", _lit(_word(rng, 12)))
        q(D, f"<{KG}docId>", f'"news/{d:06d}"')
        q(D, f"<{SCHEMA}datePublished>", f'"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^<{XSD}date>')
        entities = list({e[0]: e for e in rng.choices(pool, weights=weights, k=10)}.values())
        for iri, kind, label in entities:
            E = f"<{iri}>"
            q(E, f"<{RDF}type>", f"<{KG}{kind}>")
            q(E, f"<{RDFS}label>", _lit(label))
            q(E, f"<{KG}mentionedIn>", D)
            if kind == "Agency" and rng.random() < 0.3:
                q(E, f"<{SKOS}altLabel>", _lit(label[:2] + label[-3:-1]))
        sentences = []
        offset = 0
        for s in range(12):
            S = f"<{doc}/s{s}>"
            mentioned = rng.sample(entities, min(2, len(entities)))
            text = "，".join(m[2] for m in mentioned) + _word(rng, 20) + "。"
            sentences.append((S, offset, offset + len(text), mentioned))
            q(S, f"<{RDF}type>", f"<{KG}Sentence>")
            q(S, f"<{KG}text>", _lit(text))
            q(S, f"<{KG}start>", _int(offset))
            q(S, f"<{KG}end>", _int(offset + len(text)))
            q(S, f"<{KG}inDocument>", D)
            offset += len(text)
        m = 0
        for S, start, _, mentioned in sentences:
            for iri, _, label in mentioned:
                M = f"<{doc}/m{m}>"
                m += 1
                q(M, f"<{RDF}type>", f"<{KG}Mention>")
                q(M, f"<{KG}text>", _lit(label))
                q(M, f"<{KG}refersTo>", f"<{iri}>")
                q(M, f"<{KG}inSentence>", S)
                q(M, f"<{KG}inDocument>", D)
                q(M, f"<{KG}start>", _int(start))
                q(M, f"<{KG}end>", _int(start + len(label)))
                q(M, f"<{KG}extractedBy>", '"suffix"')
        r = 0
        for S, start, end, mentioned in sentences:
            if len(mentioned) < 2:
                continue
            (a, ka, _), (b, kb, _) = mentioned
            predicate = f"{KG}coMention"
            if ka == "Person" and kb == "Agency":
                predicate = f"{KG}holdsPost"
            elif ka == "Place" and kb == "Place":
                predicate = f"{KG}partOf"
            R = f"<{doc}/r{r}>"
            r += 1
            q(f"<{a}>", f"<{predicate}>", f"<{b}>")
            q(R, f"<{RDF}type>", f"<{RDF}Statement>")
            q(R, f"<{RDF}subject>", f"<{a}>")
            q(R, f"<{RDF}predicate>", f"<{predicate}>")
            q(R, f"<{RDF}object>", f"<{b}>")
            q(R, f"<{KG}evidence>", S)
            q(R, f"<{PROV}wasDerivedFrom>", D)
            q(R, f"<{KG}start>", _int(start))
            q(R, f"<{KG}end>", _int(end))
            if predicate == f"{KG}holdsPost":
                q(R, f"<{KG}role>", _lit(rng.choice(_POSTS)))
            else:
                q(R, f"<{KG}count>", _int(1))
    samples = {
        "labels": [label for _, _, label in pool[:200]],
        "iris": [iri for iri, _, _ in pool[:200]],
        "agency_chars": sorted({label[:2] for _, kind, label in pool[:500] if kind == "Agency"}),
    }
    return "".join(out).encode("utf-8"), samples


def load_store(path: Path, nquads: bytes) -> int:
    """Bulk-load into a kg store directory (the format ``kg serve`` opens, union default graph included) and return
    the number of quads."""
    import pyoxigraph as ox

    from kg.store.oxigraph_store import FORMAT_MARKER, FORMAT_VERSION

    store = ox.Store(str(path))
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    # As kg build writes it: the default graph holds the set union of the document graphs (see
    # kg.store.oxigraph_store), so both servers answer default-graph queries from it without a union at query time.
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    store.flush()
    count = len(store)
    del store
    (path / FORMAT_MARKER).write_text(FORMAT_VERSION + "\n", encoding="utf-8")
    return count


PREFIXES = (f"PREFIX kg: <{KG}>\nPREFIX rdf: <{RDF}>\nPREFIX rdfs: <{RDFS}>\nPREFIX skos: <{SKOS}>\n")


def query_mix(samples: dict[str, list[str]], rng: random.Random) -> list[tuple[str, str]]:
    """One round of the mix: (shape name, query) with a random entity or label in each."""
    label = rng.choice(samples["labels"])
    iri = rng.choice(samples["iris"])
    chars = rng.choice(samples["agency_chars"] or ["安宁"])
    return [
        ("label lookup", PREFIXES + f'SELECT ?e ?type WHERE {{ ?e rdfs:label "{label}"@zh ; a ?type }}'),
        ("1-hop neighbours", PREFIXES + f"SELECT DISTINCT ?n ?label WHERE {{ {{ <{iri}> ?p ?n }} UNION "
                                        f"{{ ?n ?p <{iri}> }} ?n rdfs:label ?label }}"),
        ("2-hop paths", PREFIXES + f"SELECT DISTINCT ?n2 WHERE {{ <{iri}> kg:coMention ?n1 . ?n1 kg:coMention ?n2 "
                                   f"FILTER(?n2 != <{iri}>) }} LIMIT 100"),
        ("count by type", PREFIXES + "SELECT ?type (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a ?type } GROUP BY ?type"),
        ("filter zh label", PREFIXES + f'SELECT ?e ?l WHERE {{ ?e a kg:Agency ; rdfs:label ?l '
                                       f'FILTER(REGEX(?l, "^{chars}")) }} LIMIT 50'),
        ("optional", PREFIXES + f"SELECT ?p ?o ?text WHERE {{ ?st rdf:subject <{iri}> ; rdf:predicate ?p ; "
                                f"rdf:object ?o OPTIONAL {{ ?st kg:evidence/kg:text ?text }} }}"),
    ]


def _client(port: int, path: str, samples: dict, seconds: float, seed: int, out: multiprocessing.Queue) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    results: list[tuple[str, float, bool]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for shape, query in query_mix(samples, rng):
            url = path + "?" + urllib.parse.urlencode({"query": query})
            start = time.perf_counter()
            try:
                conn.request("GET", url, headers={"Accept": "application/sparql-results+json"})
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and body.startswith(b"{") and body.rstrip().endswith(b"}")
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            results.append((shape, time.perf_counter() - start, ok))
    out.put(results)


def run_load(port: int, path: str, samples: dict, clients: int, seconds: float) -> list[tuple[str, float, bool]]:
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(port, path, samples, seconds, 1000 + i, out)) for i in range(clients)]
    for p in procs:
        p.start()
    results = [r for _ in procs for r in out.get()]
    for p in procs:
        p.join()
    return results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path + "?query=" + urllib.parse.quote("ASK {}"))
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def start(server: str, store: Path, port: int, workers: int | None) -> tuple[subprocess.Popen, str]:
    venv_bin = Path(sys.executable).parent
    if server == "kg":
        cmd = [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port), "--timeout", "60"]
        if workers:
            cmd += ["--workers", str(workers)]
        path = "/sparql"
    else:
        binary = shutil.which("oxigraph") or str(venv_bin / "oxigraph")
        cmd = [binary, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}"]
        path = "/query"
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_ready(port, path, process)
    return process, path


def summarise(results: list[tuple[str, float, bool]], seconds: float) -> dict[str, dict[str, float]]:
    by_shape: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for shape, latency, ok in results:
        by_shape.setdefault(shape, []).append(latency)
        by_shape.setdefault("ALL", []).append(latency)
        if not ok:
            errors[shape] = errors.get(shape, 0) + 1
            errors["ALL"] = errors.get("ALL", 0) + 1
    out = {}
    for shape, values in by_shape.items():
        values.sort()
        out[shape] = {"p50": statistics.median(values) * 1000, "p95": values[int(0.95 * (len(values) - 1))] * 1000,
                      "qps": len(values) / seconds, "errors": errors.get(shape, 0), "n": len(values)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, nargs="+", default=[100_000])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per (server, clients), split into --rounds alternating slices")
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per measurement (default 4)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load before measuring (default 15)")
    parser.add_argument("--workers", type=int, default=None, help="kg serve --workers (default: its own default)")
    parser.add_argument("--servers", nargs="+", default=["oxigraph", "kg"], choices=["oxigraph", "kg"])
    args = parser.parse_args()
    for size in args.triples:
        with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
            store = Path(tmp) / "store"
            t0 = time.perf_counter()
            nquads, samples = generate(size)
            quads = load_store(store, nquads)
            print(f"\n== {quads} quads generated and loaded in {time.perf_counter() - t0:.1f} s "
                  f"({len(samples['labels'])} sample entities)", flush=True)
            table: dict[tuple[str, int], dict[str, dict[str, float]]] = {}
            # Both servers run side by side on the same store (both read-only) and are measured in alternating
            # slices, so that other load on the machine falls on both alike instead of on whichever ran second.
            servers: dict[str, tuple[subprocess.Popen, str, int]] = {}
            try:
                for server in args.servers:
                    port = free_port()
                    process, path = start(server, store, port, args.workers)
                    servers[server] = (process, path, port)
                # Warm-up at the highest concurrency: engine caches, and kg's worker pool grown to its working
                # size (it starts with two processes and adds one whenever every worker is busy).
                for _, path, port in servers.values():
                    run_load(port, path, samples, max(args.clients), args.warmup)
                for clients in args.clients:
                    collected: dict[str, list[tuple[str, float, bool]]] = {server: [] for server in servers}
                    for r in range(args.rounds):
                        order = list(servers) if r % 2 == 0 else list(reversed(servers))
                        for server in order:
                            _, path, port = servers[server]
                            collected[server] += run_load(port, path, samples, clients, args.seconds / args.rounds)
                    for server in servers:
                        table[(server, clients)] = summarise(collected[server], args.seconds)
                        s = table[(server, clients)]["ALL"]
                        print(f"{server:>8} {clients} client(s): p50 {s['p50']:.2f} ms  p95 {s['p95']:.2f} ms  "
                              f"{s['qps']:.0f} q/s  errors {int(s['errors'])}", flush=True)
            finally:
                for process, _, _ in servers.values():
                    process.terminate()
                    process.wait(30)
            shapes = ["ALL", *[name for name, _ in query_mix(samples, random.Random(0))]]
            print(f"\n{'shape':<18}{'clients':>8}" + "".join(
                f"{s + ' p50':>13}{s + ' p95':>13}{s + ' q/s':>12}" for s in args.servers) + "  kg/ox p50  errors")
            for clients in args.clients:
                for shape in shapes:
                    row = f"{shape:<18}{clients:>8}"
                    for server in args.servers:
                        cell = table[(server, clients)].get(shape, {"p50": 0, "p95": 0, "qps": 0})
                        row += f"{cell['p50']:>13.2f}{cell['p95']:>13.2f}{cell['qps']:>12.1f}"
                    if set(args.servers) == {"kg", "oxigraph"}:
                        kg_cell, ox_cell = table[("kg", clients)].get(shape), table[("oxigraph", clients)].get(shape)
                        if kg_cell and ox_cell and ox_cell["p50"]:
                            row += f"{kg_cell['p50'] / ox_cell['p50']:>10.2f}×"
                        errs = sum(int(table[(s, clients)].get(shape, {}).get("errors", 0)) for s in args.servers)
                        row += f"{errs:>8}"
                    print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
