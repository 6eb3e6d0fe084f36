"""Store benchmarks: loading a generated graph of our shape, and an incremental build into a big store.

    .venv/bin/python benchmarks/store_bench.py                       # 1,000,000 triples; 10,000 articles
    .venv/bin/python benchmarks/store_bench.py --triples 200000 --articles 2000   # a quicker run

1. Load: documents of our shape (sentences, mentions, entities, reified relations with provenance, money nodes),
   made by the real DocumentConverter from generated Documents, loaded into the default store (embedded Oxigraph
   on disk) the way ``kg build`` writes new documents (atomic batches of ``kg.build.batch_quads()``), one
   transaction per document (how a changed document is replaced), and by ``kg import``; for comparison in the same run,
   pyoxigraph's own bulk loader on the same quads as an N-Quads file, and rdflib's in-memory Dataset.  Each loader
   runs in its own process so peak memory (max RSS) is its own.  Prints triples per second, peak MB, and ratios
   against the pyoxigraph bulk load.
   Then the export of that store in every format (time, peak memory).
2. Incremental: one new real article (a paragraph of the seed page) built with ``kg.build.build`` into an empty
   store and into a store already holding N articles; prints both times and their ratio.

Figures depend on the machine and its load: compare ratios, which are measured in one run.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rdflib import URIRef  # noqa: E402

from kg.document import Document, Entity, Mention, Relation, Sentence, Span  # noqa: E402
from kg.export.writer import nt_term  # noqa: E402
from kg.rdf import DocumentConverter  # noqa: E402

BASE = "http://localhost:8000/id/"
TYPES = ("Agency", "Person", "Place", "Project", "Event")
SUFFIX = {"Agency": "局", "Person": "", "Place": "镇", "Project": "项目", "Event": "大会"}
CHARS = "株洲经开区云田镇五星社区湖南省炎帝陵基金会办公室农耕文化体验园李波黄勇王芳建设改革发展服务中心"


def _name(rng: random.Random, kind: str, pool: int) -> str:
    """A label drawn from a pool of ``pool`` names per type, so entities recur across documents as in news."""
    index = rng.randrange(pool)
    local = random.Random(zlib.crc32(f"{kind}{index}".encode()))  # not hash(): it differs between processes
    return "".join(local.choice(CHARS) for _ in range(local.randint(2, 6))) + SUFFIX[kind]


def synthetic_document(number: int, sentences: int = 20, entities: int = 25) -> Document:
    rng = random.Random(number)
    sents, text, pos = [], [], 0
    for _ in range(sentences):
        s = "".join(rng.choice(CHARS) for _ in range(rng.randint(20, 60))) + "。"
        sents.append(Sentence(pos, pos + len(s), s))
        text.append(s)
        pos += len(s)
    ents = []
    seen = set()
    for i in range(entities):
        kind = TYPES[i % 5]
        label = _name(rng, kind, 2000)
        if (kind, label) in seen:
            continue
        seen.add((kind, label))
        ents.append(Entity(f"e{i}", kind, label, aliases=[label[:2]] if rng.random() < 0.2 else []))
    mentions, relations = [], []
    spans: set[int] = set()  # one mention per span, as the extractor gives (a span is the mention's IRI)
    for ent in ents:
        for _ in range(rng.randint(1, 3)):
            sent = rng.choice(sents)
            start = rng.randrange(sent.start, sent.end - 2)
            if start in spans:
                continue
            spans.add(start)
            mentions.append(Mention(start, start + 2, "".join(text)[start:start + 2], ent.type, ent.id, "bench"))
    people = [e for e in ents if e.type == "Person"]
    agencies = [e for e in ents if e.type == "Agency"]
    for _ in range(entities):
        a, b = rng.sample(ents, 2)
        sent = rng.choice(sents)
        relations.append(Relation(a.id, "coMention", object=b.id, evidence=Span(sent.start, sent.end),
                                  extra={"count": 1}))
    for person in people:
        if agencies:
            sent = rng.choice(sents)
            relations.append(Relation(person.id, "holdsPost", object=rng.choice(agencies).id,
                                      evidence=Span(sent.start, sent.end), extra={"role": "主任"}))
    for ent in ents[:3]:
        sent = rng.choice(sents)
        relations.append(Relation(ent.id, "funding", value={"amount": rng.randint(1, 9) * 10000, "currency": "CNY"},
                                  evidence=Span(sent.start, sent.end)))
        relations.append(Relation(ent.id, "startDate", value=f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                  evidence=Span(sent.start, sent.end)))
    return Document(doc=f"bench/{number:06d}.txt", text="".join(text), title=f"测试文章{number}", date="2021-12-16",
                    sentences=sents, mentions=mentions, entities=ents, relations=relations)


def documents(total_triples: int, converter: DocumentConverter) -> Iterator[tuple[str, list]]:
    made, number = 0, 0
    while made < total_triples:
        doc = synthetic_document(number)
        triples = list(dict.fromkeys(converter.triples(doc)))  # a store keeps each quad once
        yield converter.graph(doc), triples
        made += len(triples)
        number += 1


def write_nquads(path: Path, total: int) -> tuple[int, int]:
    converter = DocumentConverter(BASE)
    quads = docs = 0
    with path.open("w", encoding="utf-8") as out:
        for graph, triples in documents(total, converter):
            g = nt_term(URIRef(graph))
            out.write("".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} {g} .\n" for s, p, o in triples))
            quads += len(triples)
            docs += 1
    return quads, docs


# ---------------------------------------------------------------- loaders (each run in a child process)

def load_kg(store_dir: str, total: int) -> dict:
    from kg.store import open_store

    converter = DocumentConverter(BASE)
    spent = 0.0
    quads = 0
    with open_store(store_dir) as store:
        for graph, triples in documents(total, converter):
            started = time.perf_counter()
            store.replace_graph(graph, triples)
            spent += time.perf_counter() - started
            quads += len(triples)
    return {"seconds": spent, "quads": quads}


def load_kg_batched(store_dir: str, total: int) -> dict:
    """As ``kg build`` writes new documents: batches of ``kg.build.batch_quads()`` quads through ``add_graphs``."""
    from kg.build import batch_quads
    from kg.store import open_store

    converter = DocumentConverter(BASE)
    spent = 0.0
    quads = 0
    batch: list[tuple[str, list]] = []
    size = 0
    with open_store(store_dir) as store:
        for graph, triples in documents(total, converter):
            batch.append((graph, triples))
            size += len(triples)
            quads += len(triples)
            if size >= batch_quads():
                started = time.perf_counter()
                store.add_graphs(batch)
                spent += time.perf_counter() - started
                batch, size = [], 0
        started = time.perf_counter()
        store.add_graphs(batch)
        spent += time.perf_counter() - started
    return {"seconds": spent, "quads": quads}


def load_kg_import(store_dir: str, nquads: str) -> dict:
    from kg.export import import_file
    from kg.store import open_store

    started = time.perf_counter()
    with open_store(store_dir) as store:
        report = import_file(store, nquads)
    return {"seconds": time.perf_counter() - started, "quads": report.quads}


def load_ox_bulk(store_dir: str, nquads: str) -> dict:
    import pyoxigraph as ox

    started = time.perf_counter()
    store = ox.Store(store_dir)
    store.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    return {"seconds": time.perf_counter() - started, "quads": len(store)}


def load_rdflib(nquads: str) -> dict:
    from rdflib import Dataset

    started = time.perf_counter()
    ds = Dataset()
    ds.parse(nquads, format="nquads")
    quads = sum(1 for _ in ds.quads((None, None, None, None)))
    return {"seconds": time.perf_counter() - started, "quads": quads}


def export_store(store_dir: str, fmt: str) -> dict:
    from kg.export import export
    from kg.store import open_store

    class Sink:
        written = 0

        def write(self, data: bytes) -> int:
            Sink.written += len(data)
            return len(data)

    started = time.perf_counter()
    with open_store(store_dir, read_only=True) as store:
        count = export(store, fmt, Sink())
    return {"seconds": time.perf_counter() - started, "quads": count, "mb": Sink.written / 1e6}


def child(args: argparse.Namespace) -> None:
    name, params = args.child[0], args.child[1:]
    result = {"kg": lambda: load_kg(params[0], int(params[1])), "kg-import": lambda: load_kg_import(*params),
              "kg-batched": lambda: load_kg_batched(params[0], int(params[1])),
              "ox-bulk": lambda: load_ox_bulk(*params), "rdflib": lambda: load_rdflib(*params),
              "export": lambda: export_store(*params)}[name]()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(*params: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *params], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- incremental build

def incremental(articles: int, work: Path) -> None:
    import pyoxigraph as ox

    from kg.build import build
    from kg.extract import Extractor
    from kg.store import open_store
    from kg.store.terms import to_ox

    seed = [line for line in (ROOT / "seeds" / "zhuzhou-daily-2021-12.txt").read_text(encoding="utf-8").splitlines()
            if len(line) > 60]
    (work / "new").mkdir()
    articles_text = ["\n".join(seed[i::4])[:1200] + "\n" for i in range(4)]
    article = work / "new" / "warm-up.txt"
    article.write_text(articles_text[3], encoding="utf-8")
    extractor = Extractor()
    warm = open_store("memory:")
    build(warm, [article], extractor=extractor)  # load dictionaries and models once, outside the timings

    big_dir = work / "big"
    converter = DocumentConverter(BASE)
    started = time.perf_counter()
    raw = ox.Store(str(big_dir))
    count = 0

    def quads() -> Iterator[ox.Quad]:
        nonlocal count
        for number in range(articles):
            doc = synthetic_document(number, sentences=6, entities=8)
            name = ox.NamedNode(converter.graph(doc))
            count += 1
            for s, p, o in converter.triples(doc):
                yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), name)

    raw.bulk_extend(quads())
    raw.flush()
    size = len(raw)
    del raw
    (big_dir / "kg-store-format").write_text("1\n", encoding="utf-8")
    print(f"  setup: {count} generated articles ({size} quads) bulk-loaded in {time.perf_counter() - started:.1f} s")

    timings: dict[str, list[float]] = {}
    for round_ in range(3):  # alternate the stores so that machine load hits both alike; report medians
        for label, store_dir in (("empty store", work / "empty"), (f"store of {articles} articles", big_dir)):
            path = work / "new" / f"{label.split()[0]}-{round_}.txt"
            path.write_text(articles_text[round_], encoding="utf-8")
            with open_store(str(store_dir)) as store:
                started = time.perf_counter()
                report = build(store, [path], extractor=extractor)
                timings.setdefault(label, []).append(time.perf_counter() - started)
                assert report.built, report.summary()
    medians = {label: sorted(values)[1] for label, values in timings.items()}
    for label, value in medians.items():
        print(f"  one new article into an {label}: {value * 1000:.0f} ms (median of 3, kg.build.build in-process)")
    small, big = medians.values()
    print(f"  ratio big/empty: {big / small:.2f}x")
    for label, store_dir in (("empty store", work / "empty"), (f"store of {articles} articles", big_dir)):
        path = work / "new" / f"cli-{label.split()[0]}.txt"
        path.write_text(articles_text[3], encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg", "build", "-q", "--store", str(store_dir), str(path)],
                              capture_output=True, text=True, cwd=work / "new")
        if done.returncode:
            raise SystemExit(f"kg build failed: {done.stderr}")
        print(f"  `kg build` of one new article, whole command, into the {label}: "
              f"{time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--no-rdflib", action="store_true", help="skip the rdflib baseline (slow, gigabytes)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = Path(tempfile.mkdtemp(prefix="kg-store-bench-"))
    try:
        if not args.skip_load:
            print(f"Load {args.triples:,} triples of kg's shape")
            nq = work / "data.nq"
            started = time.perf_counter()
            quads, docs = write_nquads(nq, args.triples)
            print(f"  generated {quads:,} quads in {docs:,} documents ({nq.stat().st_size / 1e6:.0f} MB N-Quads) "
                  f"in {time.perf_counter() - started:.1f} s")
            results = {
                "pyoxigraph bulk_load (baseline)": run_child("ox-bulk", str(work / "ox"), str(nq)),
                "kg build's writes (atomic batches)": run_child("kg-batched", str(work / "kgstore"),
                                                                       str(args.triples)),
                "kg store, one transaction per document": run_child("kg", str(work / "kgdocs"), str(args.triples)),
                "kg import (N-Quads file)": run_child("kg-import", str(work / "kgi"), str(nq)),
            }
            if not args.no_rdflib:
                results["rdflib Dataset in memory"] = run_child("rdflib", str(nq))
            base = results["pyoxigraph bulk_load (baseline)"]
            for label, r in results.items():
                rate = r["quads"] / r["seconds"]
                print(f"  {label:<42} {r['quads']:>9,} quads {r['seconds']:7.1f} s {rate:>9,.0f} quads/s "
                      f"peak {r['peak_mb']:6.0f} MB   time x{r['seconds'] / base['seconds']:.2f} of bulk")
            print("Export of that store (streamed to a sink; peak is the whole process)")
            for fmt in ("nquads", "nt", "turtle", "trig", "jsonld"):
                r = run_child("export", str(work / "kgstore"), fmt)
                print(f"  {fmt:<8} {r['quads']:>9,} {'quads' if fmt in ('nquads', 'trig', 'jsonld') else 'triples'} "
                      f"{r['seconds']:7.1f} s {r['quads'] / r['seconds']:>9,.0f}/s {r['mb']:6.0f} MB written "
                      f"peak {r['peak_mb']:6.0f} MB")
        if not args.skip_incremental:
            print(f"Incremental build of one article (store of {args.articles:,} articles vs empty)")
            incremental(args.articles, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
