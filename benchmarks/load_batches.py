"""Bulk-load cost by batch size: the same N-Quads of our shape, loaded in batches of B quads, each size in a fresh
process (so peak memory is that size's own).

Why: a build writes in batches (``KG_BUILD_BATCH_QUADS``, see :class:`kg.build.BatchWriter`), and each batch is one
run of pyoxigraph's bulk loader, which has a fixed cost per run (a sorted file per index, then their ingest).  This
prints CPU seconds, wall seconds and peak RSS per batch size, so the default can be chosen from figures.

    .venv/bin/python benchmarks/load_batches.py                       # 300,000 triples, 2 rounds
    .venv/bin/python benchmarks/load_batches.py --triples 100000 --sizes 20000 50000

Batch sizes count *document* quads, as the build does; each is written twice (its graph and the union default
graph), as :func:`kg.store.bulk.document_nquads` writes them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(triples: int, batch: int) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).parent))
    import pyoxigraph as ox
    import sparql_bench

    data, _ = sparql_bench.generate(triples)
    lines = []
    for line in data.splitlines(keepends=True):  # s p o g .  ->  also  s p o .  (the union copy)
        lines.append(line)
        lines.append(line.rstrip(b" .\n").rsplit(b" ", 1)[0] + b" .\n")
    with tempfile.TemporaryDirectory() as folder:
        store = ox.Store(folder)
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        for i in range(0, len(lines), 2 * batch):
            store.bulk_load(input=b"".join(lines[i : i + 2 * batch]), format=ox.RdfFormat.N_QUADS)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        del store
    return {"batch": batch, "lines": len(lines), "wall": wall,
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "peak_mib": after.ru_maxrss / 1024, "before_mib": before.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=300_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000, 100_000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # a child process: one size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.triples, args.one)))
        return
    rows: dict[int, list[dict[str, float]]] = {}
    for _ in range(args.rounds):  # sizes interleaved, so load from other programs falls on each alike
        for size in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--triples", str(args.triples), "--one", str(size)],
                                 check=True, capture_output=True, text=True).stdout
            rows.setdefault(size, []).append(json.loads(out))
    base = min(r["cpu"] for r in rows[args.sizes[0]])
    print(f"{'batch quads':>12} {'cpu s':>8} {'wall s':>8} {'cpu vs first':>13} {'peak MiB (+ over start)':>24}")
    for size, runs in rows.items():
        cpu = min(r["cpu"] for r in runs)
        wall = min(r["wall"] for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        extra = max(r["peak_mib"] - r["before_mib"] for r in runs)
        print(f"{size:>12} {cpu:>8.2f} {wall:>8.2f} {cpu / base:>12.2f}× {peak:>14.0f} (+{extra:.0f})")


if __name__ == "__main__":
    main()
