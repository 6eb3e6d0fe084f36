"""What writing a growing embedded store costs, beyond the bulk load itself: CPU on background threads.

Why: a serial ``kg build`` into the on-disk store uses more than one core, because RocksDB (under pyoxigraph)
compacts the store on background threads as it grows; a parallel build's workers need those cores too.  This loads
the same articles' N-Quads (as a build's workers write them) round after round into one store, on disk and in
memory, and prints per round the CPU of every thread of the process against the wall time, then the CPU spent in the
ten idle seconds after the last load (compaction that goes on after the writes).

    .venv/bin/python benchmarks/store_growth.py                  # 1,000 articles x 10 rounds
    .venv/bin/python benchmarks/store_growth.py --docs 300 --rounds 4

The articles come from ``scale_bench``'s corpus generator; each round renames their document and graph IRIs, so
every round adds new graphs (and the union default graph grows by the new triples) while entities recur, as in a
real archive.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def articles_nquads(docs: int, seed: int) -> list[bytes]:
    """Each generated article's graph as N-Quads with union copies, exactly as a worker sends it to the writer."""
    import scale_bench

    from kg.build import build_key
    from kg.extract import Extractor
    from kg.read import read_sources
    from kg.scale.work import _converted

    with tempfile.TemporaryDirectory() as folder:
        [corpus] = scale_bench.generate_corpus(Path(folder), docs, seed)
        extractor = Extractor()
        now = datetime(2026, 11, 28, tzinfo=UTC).isoformat()
        return [_converted(extractor(source), build_key(source), ("http://localhost:8000/id/", now)).nquads
                for source in read_sources([corpus])]


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def load_rounds(texts: list[bytes], rounds: int, batch: int, path: str | None) -> None:
    import pyoxigraph as ox

    store = ox.Store(path) if path else ox.Store()
    where = "on disk" if path else "in memory"
    for round_no in range(rounds):
        tag = f"/r{round_no}/".encode()
        cpu, wall = _cpu(), time.perf_counter()
        pending: list[bytes] = []
        quads = 0
        for text in texts:
            pending.append(text.replace(b"/graph/", b"/graph" + tag).replace(b"/doc/", b"/doc" + tag))
            quads += text.count(b"\n") // 2
            if quads >= batch:
                store.bulk_load(input=b"".join(pending), format=ox.RdfFormat.N_QUADS)
                pending, quads = [], 0
        if pending:
            store.bulk_load(input=b"".join(pending), format=ox.RdfFormat.N_QUADS)
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        print(f"{where:>9} round {round_no + 1:>2}: {1000 * cpu / len(texts):5.2f} ms CPU per article in "
              f"{1000 * wall / len(texts):5.2f} ms wall ({cpu / wall:.2f} cores)", flush=True)
    cpu = _cpu()
    time.sleep(10)
    print(f"{where:>9} after the last load, 10 s idle: {_cpu() - cpu:.2f} s CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    from kg.build import batch_quads

    texts = articles_nquads(args.docs, args.seed)
    lines = sum(text.count(b"\n") for text in texts)
    print(f"{len(texts)} articles, {lines / len(texts):.0f} N-Quads lines each; batches of {batch_quads()} quads; "
          f"{args.rounds} rounds (= {args.rounds * len(texts)} articles) into one store", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        load_rounds(texts, args.rounds, batch_quads(), folder)
    load_rounds(texts, args.rounds, batch_quads(), None)


if __name__ == "__main__":
    main()
