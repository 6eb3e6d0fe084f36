"""Scale-out benchmark: documents/s of a serial build, ``-j 2`` and a two-worker Dask LocalCluster, on one generated
corpus, in one run (so that the ratios compare like with like on a shared machine).

The corpus is generated, deterministically (``--seed``), from ``../shared/data/`` text: each article is a title and
5-15 sentences drawn from CLUENER2020 train sentences and SogouCS article bodies, written as one JSON Lines file (a
newsroom export) into a temporary directory.  Each mode builds the whole corpus into a fresh embedded on-disk store
(``--store memory``: an in-memory one, where the store does no background work).

Printed per mode: wall time, documents/s, ratio to serial, CPU time of the coordinator (this process: in a parallel
build, the writer) per document and of all processes (the coordinator and every child: the cores a mode keeps
busy, against the 2 a 2-core machine has), peak RSS of the coordinator (over the whole run: the serial mode's
extractor is part of it) and of each worker process, the store's size on disk; and ``uptime`` before and after, to
show how loaded the machine was.

    .venv/bin/python benchmarks/scale_bench.py                 # 10,000 articles (about 30-60 min on 2 busy cores)
    .venv/bin/python benchmarks/scale_bench.py --docs 600      # a quick run
    .venv/bin/python benchmarks/scale_bench.py --modes serial,j2 --docs 2000
    .venv/bin/python benchmarks/scale_bench.py --docs 4000 --slices 4   # modes interleaved, on a busy machine
    .venv/bin/python benchmarks/scale_bench.py --split --docs 200       # where a document's CPU goes
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
MODES = ("serial", "j2", "dask2")


def _sentences() -> list[str]:
    out = []
    with (DATA / "cluener2020" / "train.jsonl").open(encoding="utf-8") as handle:
        out += [json.loads(line)["text"] for line in handle]
    for name, encoding in (("news_sohusite_xml.smarty.dat", "utf-8"), ("news_tensite_xml.smarty.dat", "gb18030")):
        raw = (DATA / "raw-news-sogou" / name).read_bytes().decode(encoding, errors="replace")
        for body in re.findall(r"<content>(.*?)</content>", raw, flags=re.S):
            found = re.findall(r"[^。！？]*[。！？]", body)
            out += [s for s in found if 8 <= len(s.strip()) <= 200 and "\ufffd" not in s]
    return [s.strip() for s in out if s.strip()]


def generate_corpus(folder: Path, docs: int, seed: int = 20261128, slices: int = 1) -> list[Path]:
    """``folder/corpus-N.jsonl``: ``docs`` articles of recombined real sentences (same seed, same bytes), cut into
    ``slices`` files of consecutive articles."""
    rng = random.Random(seed)
    pool = _sentences()
    paths = [folder / f"corpus-{index}.jsonl" for index in range(slices)]
    outs = [path.open("w", encoding="utf-8") for path in paths]
    try:
        for n in range(docs):
            body = [rng.choice(pool) for _ in range(rng.randint(5, 15))]
            day = 1 + n % 28
            record = {"id": f"a{n:07d}", "title": body[0][:24], "date": f"2021-{1 + n % 12:02d}-{day:02d}",
                      "text": "".join(body)}
            outs[n * slices // docs].write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        for out in outs:
            out.close()
    return paths


class RssWatch:
    """Peak RSS (MiB) and CPU seconds of each child process of this one (and theirs), sampled from /proc every 0.2 s
    (the CPU of a child is its last sample: a worker that exits loses at most its last 0.2 s; a child already running
    when the watch starts, such as an earlier pool's fork server, counts only what it spends from then on)."""

    def __init__(self) -> None:
        self.peaks: dict[int, float] = {}
        self.cpu: dict[int, float] = {}
        self._before: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> RssWatch:
        for pid in _descendants(os.getpid()):
            if (spent := _cpu_seconds(pid)) is not None:
                self._before[pid] = spent
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            for pid in _descendants(os.getpid()):
                try:
                    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                        for line in handle:
                            if line.startswith("VmRSS:"):
                                rss = int(line.split()[1]) / 1024
                                self.peaks[pid] = max(self.peaks.get(pid, 0.0), rss)
                except (OSError, ValueError):
                    continue
                if (spent := _cpu_seconds(pid)) is not None:
                    self.cpu[pid] = spent

    def children_cpu(self) -> float:
        """CPU seconds of every child process seen (workers, fork servers, Dask's scheduler and nannies) while
        watched."""
        return sum(spent - self._before.get(pid, 0.0) for pid, spent in self.cpu.items())

    def workers(self) -> list[float]:
        """Peaks of the processes that grew past 100 MiB (the workers; not fork servers or helpers)."""
        return sorted((v for v in self.peaks.values() if v > 100), reverse=True)


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = []
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            threads = []
        for thread in threads:  # a child belongs to the thread that started it (Dask starts workers off-main)
            try:
                with open(f"/proc/{parent}/task/{thread}/children", encoding="ascii") as handle:
                    kids += [int(k) for k in handle.read().split()]
            except OSError:
                continue
        out += kids
        todo += kids
    return out


def run_mode(mode: str, corpus: Path, store_dir: Path, memory: dict[str, object] | None = None) -> dict[str, object]:
    """Build one corpus file into the mode's store (which may already hold earlier slices): an on-disk store in
    ``store_dir``, or with ``memory`` (mode -> store, kept across slices) an in-memory one."""
    from contextlib import nullcontext

    from kg.build import build
    from kg.store import open_store

    kwargs: dict[str, object] = {"serial": {}, "j2": {"jobs": 2}, "dask2": {"dask": "local", "jobs": 2}}[mode]
    now = datetime(2026, 11, 28, tzinfo=UTC)
    if memory is not None:
        if mode not in memory:
            memory[mode] = open_store("memory:")
        opened = nullcontext(memory[mode])
    else:
        opened = open_store(str(store_dir))
    with RssWatch() as watch, opened as store:
        cpu = time.process_time()
        started = time.perf_counter()
        report = build(store, [corpus], now=now, **kwargs)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        graphs = len(store.graphs())
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = 0 if memory is not None else sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file())
    return {"mode": mode, "seconds": elapsed, "built": len(report.built), "problems": len(report.problems),
            "docs_per_s": len(report.built) / elapsed, "graphs": graphs, "coordinator_peak_mib": self_peak,
            "coordinator_cpu_ms_per_doc": 1000 * cpu / max(len(report.built), 1), "store_mb": size / 1e6,
            "all_cpu_ms_per_doc": 1000 * (cpu + watch.children_cpu()) / max(len(report.built), 1),
            "worker_peaks_mib": watch.workers()}


def split_costs(folder: Path, docs: int, seed: int) -> None:
    """Per-document CPU, in this process, of what a worker does (extract; RDF + N-Quads; pickling the result both
    ways) and of what a serial build's writer does to the same document before its store write (RDF + pyoxigraph
    terms): where the time of a build goes, without pools or load in the way."""
    import pickle
    from datetime import UTC, datetime

    import pyoxigraph as ox

    from kg.build import build_key, document_triples
    from kg.extract import Extractor
    from kg.rdf import DocumentConverter
    from kg.read import read_sources
    from kg.scale.work import _converted
    from kg.store.terms import to_ox

    [corpus] = generate_corpus(folder, docs, seed)
    sources = [s for s in read_sources([corpus])]
    extractor = Extractor()
    extractor(sources[0])
    now = datetime(2026, 11, 28, tzinfo=UTC)
    clock = time.process_time()
    extracted = [extractor(source) for source in sources]
    extract = time.process_time() - clock
    clock = time.process_time()
    results = [_converted(doc, build_key(source), ("http://localhost:8000/id/", now.isoformat()))
               for doc, source in zip(extracted, sources, strict=True)]
    convert = time.process_time() - clock
    clock = time.process_time()
    blobs = [pickle.dumps(result) for result in results]
    for blob in blobs:
        pickle.loads(blob)
    pickled = time.process_time() - clock
    converter = DocumentConverter("http://localhost:8000/id/", now=now)
    clock = time.process_time()
    for doc, source in zip(extracted, sources, strict=True):
        graph = ox.NamedNode(converter.graph(doc))
        [ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph) for s, p, o in document_triples(converter, doc,
                                                                                       build_key(source))]
    serial_convert = time.process_time() - clock
    n = len(sources)
    print(f"per document, {n} articles: extract {1000 * extract / n:.1f} ms; worker RDF + N-Quads "
          f"{1000 * convert / n:.1f} ms; pickle + unpickle {1000 * pickled / n:.2f} ms "
          f"({sum(map(len, blobs)) / n / 1000:.0f} KB); serial writer RDF + pyoxigraph terms "
          f"{1000 * serial_convert / n:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="articles to generate (default 10000)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--keep", default=None, help="write the corpus and stores here and keep them")
    parser.add_argument("--store", choices=("disk", "memory"), default="disk",
                        help="build into an embedded on-disk store (default; RocksDB compacts it on background "
                             "threads as it grows) or an in-memory one (no background work)")
    parser.add_argument("--split", action="store_true",
                        help="instead: per-document CPU of extraction, conversion and pickling, in one process")
    parser.add_argument("--slices", type=int, default=1,
                        help="cut the corpus into this many slices and build them mode after mode, slice by slice "
                             "(starting with another mode each slice), so that load from other programs falls on "
                             "every mode alike; each build pays its start-up again (default 1)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes {sorted(unknown)}")
    folder = Path(args.keep or tempfile.mkdtemp(prefix="kg-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if args.split:
            split_costs(folder, args.docs, args.seed)
            return 0
        corpora = generate_corpus(folder, args.docs, args.seed, args.slices)
        size = sum(c.stat().st_size for c in corpora)
        print(f"corpus: {args.docs} articles, {size / 1e6:.1f} MB, seed {args.seed}, {args.slices} slice(s); "
              f"{os.cpu_count()} cores; {args.store} stores", flush=True)
        print(f"uptime before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}",
              flush=True)
        totals: dict[str, dict[str, object]] = {}
        memory: dict[str, object] | None = {} if args.store == "memory" else None
        for index, corpus in enumerate(corpora):
            for mode in modes[index % len(modes):] + modes[: index % len(modes)]:
                result = run_mode(mode, corpus, folder / f"store-{mode}", memory)
                total = totals.setdefault(mode, {"mode": mode, "seconds": 0.0, "built": 0, "problems": 0,
                                                 "cpu_ms": 0.0, "all_cpu_ms": 0.0, "worker_peaks_mib": []})
                total["seconds"] += result["seconds"]
                total["built"] += result["built"]
                total["problems"] += result["problems"]
                total["cpu_ms"] += result["coordinator_cpu_ms_per_doc"] * result["built"]
                total["all_cpu_ms"] += result["all_cpu_ms_per_doc"] * result["built"]
                total["worker_peaks_mib"] = sorted(set(total["worker_peaks_mib"]) | set(result["worker_peaks_mib"]),
                                                   reverse=True)[:2]
                total.update(graphs=result["graphs"], store_mb=result["store_mb"],
                             coordinator_peak_mib=result["coordinator_peak_mib"])
                if args.slices > 1:
                    print(f"  slice {index + 1}/{args.slices} {mode}: {result['built']} docs in "
                          f"{result['seconds']:.1f} s", flush=True)
        results = []
        for mode in modes:
            result = totals[mode]
            result["docs_per_s"] = result["built"] / result["seconds"]
            result["coordinator_cpu_ms_per_doc"] = result.pop("cpu_ms") / max(result["built"], 1)
            result["all_cpu_ms_per_doc"] = result.pop("all_cpu_ms") / max(result["built"], 1)
            results.append(result)
            peaks = ", ".join(f"{p:.0f}" for p in result["worker_peaks_mib"]) or "-"
            print(f"{mode:>6}: {result['built']} docs in {result['seconds']:.1f} s = {result['docs_per_s']:.2f} "
                  f"docs/s; coordinator {result['coordinator_cpu_ms_per_doc']:.1f} ms CPU/doc (all processes "
                  f"{result['all_cpu_ms_per_doc']:.1f}), peak "
                  f"{result['coordinator_peak_mib']:.0f} MiB; worker peaks [{peaks}] MiB; store "
                  f"{result['store_mb']:.0f} MB; {result['problems']} problems", flush=True)
        print(f"uptime after:  {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        base = next((r for r in results if r["mode"] == "serial"), None)
        if base is not None:
            for r in results:
                print(f"ratio {r['mode']}/serial: {r['docs_per_s'] / base['docs_per_s']:.2f}x")
        print(json.dumps(results))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
