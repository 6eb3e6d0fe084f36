"""Extraction throughput (with relations) against raw ``jieba.posseg.cut`` on the same text, in the same run.

Usage::

    .venv/bin/python benchmarks/extract_throughput.py [--docs N] [--repeat R]

The text is the seed page plus the SogouCS news in ``../shared/data/raw-news-sogou`` as the read stage gives it
(articles).  Both sides are warmed up first (jieba's dictionary, the project's user dictionary, the CRF model), then
timed over the same documents; the figure to watch is the ratio (target ≥ 0.35).  Relations alone are timed too, so
a slow rule shows up.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import jieba  # noqa: E402
import jieba.posseg  # noqa: E402

from kg.document import Source  # noqa: E402
from kg.extract import Extractor, posseg  # noqa: E402
from kg.extract.relations import relations  # noqa: E402
from kg.read import read_sources  # noqa: E402

SOGOU = ROOT.parent / "shared" / "data" / "raw-news-sogou"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200, help="documents to time (default 200)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    paths = [str(ROOT / "seeds")] + ([str(SOGOU)] if SOGOU.exists() else [])
    sources = [s for s in read_sources(paths, date="2021-12-16") if isinstance(s, Source) and s.text.strip()]
    sources = sources[: args.docs]
    chars = sum(len(s.text) for s in sources)
    extractor = Extractor()
    extractor(sources[0])  # warm up: dictionaries and models load once
    list(jieba.posseg.cut(sources[0].text))

    start = time.perf_counter()
    for _ in range(args.repeat):
        for s in sources:
            list(jieba.posseg.cut(s.text))
    jieba_s = time.perf_counter() - start

    # the extractor's cache of jieba HMM paths starts empty on each pass: a repeated pass is not measured warm
    extract_s = 0.0
    docs = []
    for _ in range(args.repeat):
        posseg.forget_paths()
        start = time.perf_counter()
        docs = [extractor(s) for s in sources]
        extract_s += time.perf_counter() - start

    start = time.perf_counter()
    for _ in range(args.repeat):
        n_rel = sum(len([r for r in relations(d) if r.predicate != "coMention"]) for d in docs)
    relations_s = time.perf_counter() - start

    total = chars * args.repeat
    print(f"{len(sources)} documents, {chars} characters, x{args.repeat}")
    print(f"raw jieba.posseg.cut : {total / jieba_s:10.0f} chars/s ({jieba_s:.2f} s)")
    print(f"kg extract (all)     : {total / extract_s:10.0f} chars/s ({extract_s:.2f} s)")
    print(f"  of which relations : {relations_s / args.repeat:.2f} s per pass, {n_rel} relations (no co-mentions)")
    print(f"ratio extract / jieba: {jieba_s / extract_s:.2f}  (target >= 0.35)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
