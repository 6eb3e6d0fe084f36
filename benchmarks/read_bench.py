"""How much reading and decoding add to ``kg build`` on the SogouCS samples (target: under 10 %).

For each file it measures, in the same run:

* ``read``: ``kg.read.read_sources`` alone — bytes from disk, encoding detection, decoding, SogouCS parsing, ids and
  metadata (best of several runs, so the figure is the cost, not the page cache);
* ``build``: ``kg.build.build`` into an in-memory store, which includes that same reading plus extraction, RDF and
  the store load (one run: it is long enough to be stable);
* ``naive``: what the first reader did, ``bytes.decode("utf-8")`` of the whole file (UTF-8 file only; it cannot read
  the GBK file at all), as a floor for the cost of reading.

and prints ``read / build`` as the overhead ratio.

Run: ``.venv/bin/python benchmarks/read_bench.py [FILE...]`` (default: ../shared/data/raw-news-sogou/*.dat).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kg.build import build
from kg.document import Source
from kg.read import ReadOptions, ReadStats, read_sources
from kg.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT.parent / "shared" / "data" / "raw-news-sogou").glob("*.dat"))


def best_of(runs: int, func) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or DEFAULT
    if not files:
        print("no input files (expected ../shared/data/raw-news-sogou/*.dat)", file=sys.stderr)
        return 1
    print(f"{'file':<34} {'docs':>5} {'encoding':<9} {'naive ms':>9} {'read ms':>8} {'build s':>8} {'read/build':>10}")
    total_read = total_build = 0.0
    for path in files:
        stats = ReadStats()
        docs = [s for s in read_sources([path], options=ReadOptions(stats=stats)) if isinstance(s, Source)]
        read_s = best_of(5, lambda p=path: list(read_sources([p])))
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            naive = f"{best_of(5, lambda p=path: p.read_bytes().decode('utf-8')) * 1000:9.2f}"
        except UnicodeDecodeError:
            naive = f"{'fails':>9}"
        with open_store("memory:") as store:
            start = time.perf_counter()
            report = build(store, [path])
            build_s = time.perf_counter() - start
        assert len(report.built) == len(docs), (len(report.built), len(docs))
        total_read += read_s
        total_build += build_s
        encoding = ",".join(stats.encodings)
        print(f"{path.name:<34} {len(docs):>5} {encoding:<9} {naive} {read_s * 1000:8.1f} {build_s:8.2f} "
              f"{read_s / build_s:10.2%}")
    print(f"{'all':<34} {'':>5} {'':<9} {'':>9} {total_read * 1000:8.1f} {total_build:8.2f} "
          f"{total_read / total_build:10.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
