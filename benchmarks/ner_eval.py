#!/usr/bin/env python
"""Score the shipped CRF NER model on the fixed held-out sets and measure its speed.

Prints per-type and micro P/R/F1 (strict span match, mapped types) on the
CLUENER held-out 10 % and People's Daily held-out 20 % (same seeded split as
``tools/train_ner.py``), the model load time, and tagging throughput compared
with raw ``jieba.posseg.cut`` on the same text in the same run, so a
regression in accuracy or speed is visible in one command::

    python benchmarks/ner_eval.py [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO / "src", REPO / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import jieba  # noqa: E402
import jieba.posseg as pseg  # noqa: E402
import psutil  # noqa: E402
import train_ner  # noqa: E402

from kg.extract import posseg  # noqa: E402
from kg.extract.crf import CrfTagger  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print a plain-text report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="model path (default: the shipped one)")
    args = ap.parse_args(argv)

    jieba.setLogLevel(60)
    # jieba's dictionary is shared with the rest of the pipeline, so its one-off
    # initialisation is timed apart from the model's own load.
    rss0 = psutil.Process().memory_info().rss
    t0 = time.perf_counter()
    jieba.initialize()
    jieba_init_s = time.perf_counter() - t0
    rss1 = psutil.Process().memory_info().rss
    t0 = time.perf_counter()
    tagger = CrfTagger.load(args.model)
    load_s = time.perf_counter() - t0
    rss2 = psutil.Process().memory_info().rss
    print(f"model: {tagger.path} ({tagger.path.stat().st_size / 1e6:.2f} MB)")
    print(f"load: CrfTagger.load {load_s:.2f} s (+{(rss2 - rss1) / 1e6:.0f} MB RSS: model and gazetteer); "
          f"jieba.initialize {jieba_init_s:.2f} s (+{(rss1 - rss0) / 1e6:.0f} MB RSS)")

    ds = train_ner.datasets()
    texts: list[str] = []
    sets = (
        ("cluener_heldout", "CLUENER held-out 10 %", "cluener"),
        ("pd_heldout", "People's Daily held-out 20 %", "pd"),
    )
    for name, label, style in sets:
        data = ds[name]
        texts.extend(t for t, _ in data)
        gold = [s for _, s in data]
        res = train_ner.score(gold, [tagger.tag(t, style=style) for t, _ in data])
        print(f"\n{label} ({len(data)} sentences), style={style!r}")
        print(f"{'type':8s} {'P':>7s} {'R':>7s} {'F1':>7s} {'gold':>6s} {'pred':>6s}")
        for key, r in res.items():
            print(f"{key:8s} {r['p']:7.4f} {r['r']:7.4f} {r['f1']:7.4f} {int(r['gold']):6d} {int(r['pred']):6d}")
        others = [sty for sty in ("news", "pd", "cluener", None) if sty != style]
        for sty in others:
            micro = train_ner.score(gold, [tagger.tag(t, style=sty) for t, _ in data])["micro"]
            print(f"  (same set tagged with style={sty!r}: micro F1 {micro['f1']:.4f})")

    corpus = "\n".join(texts)
    n = len(corpus)
    t0 = time.perf_counter()
    for _ in pseg.cut(corpus):
        pass
    jieba_s = time.perf_counter() - t0
    posseg.forget_paths()  # the sets above were tagged already: start without their jieba HMM paths
    t0 = time.perf_counter()
    tagger.tag(corpus)  # default style; one call on the whole text exercises the internal chunking
    crf_s = time.perf_counter() - t0
    print(f"\nthroughput on {n} chars: CrfTagger.tag {n / crf_s:,.0f} chars/s, "
          f"jieba.posseg.cut {n / jieba_s:,.0f} chars/s, ratio tag/jieba {jieba_s / crf_s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
