"""Entity recognition as a reader sees it, and what it costs: run on demand, prints figures.

    .venv/bin/python benchmarks/entities.py [--model PATH]   # PATH: another CRF model (its charcnn.npz beside it)

1. The careful reader's lists (tests/fixtures/seed_entities.json, sogou_entities.json): share of the listed
   entities found with an acceptable type, and share of output entities that are not names (targets ≥ 90 % and
   < 5 % on the seed page).
2. Throughput of entity extraction (relations off) against raw ``jieba.posseg.cut`` on the same text in the same
   run (target ratio ≥ 0.5), for the rules alone and with the CRF tagger.
3. CRF model load time (target < 2 s) and resident memory after loading (target < 300 MB).
4. One unpunctuated line of 100k and 400k characters through the whole extractor: chars/s should stay about the
   same (linear time; the issue's 5 MB line is 12 x the longer one).
The statistical model's own held-out F1 is printed by benchmarks/ner_eval.py.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import jieba.posseg  # noqa: E402

from kg.document import Source  # noqa: E402
from kg.extract import (  # noqa: E402
    Extractor,
    pipeline,
    posseg,
)
from kg.extract import mentions as recognition  # noqa: E402
from kg.extract.evaluate import load_list, score_entities  # noqa: E402
from kg.read import read_sources  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


def reader_lists(extractor: Extractor) -> None:
    seed = load_list(FIXTURES / "seed_entities.json")
    doc = extractor(Source("seed", (ROOT / seed["source"]).read_text(encoding="utf-8")))
    print("seed page    :", score_entities(doc.entities, seed).report().replace("\n", "\n               "))
    for item in load_list(FIXTURES / "sogou_entities.json")["documents"]:
        raw = (SHARED / item["file"]).read_text(encoding="utf-8")
        pattern = rf"<docno>{item['docno']}</docno>\s*<contenttitle>(.*?)</contenttitle>\s*<content>(.*?)</content>"
        match = re.search(pattern, raw, re.S)
        doc = extractor(Source(item["docno"], match.group(1) + "\n" + match.group(2)))
        score = score_entities(doc.entities, item)
        print(f"sogou {item['docno'][:8]}:", score.report().replace("\n", "\n               "))


def throughput(rounds: int = 2) -> None:
    """Extraction (entities only) against jieba.posseg, timed document by document in turn (jieba, the rules,
    the rules + CRF on the same document, then the next), so a busy machine slows every column alike."""
    paths = [str(ROOT / "seeds"), str(SHARED / "raw-news-sogou")]
    sources = [s for s in read_sources(paths, date="2021-12-16") if isinstance(s, Source)][:200]
    chars = sum(len(s.text) for s in sources)
    relations = pipeline.relations
    pipeline.relations = lambda doc: []  # entities only
    try:
        rules = tuple(r for r in recognition.DEFAULT_RECOGNISERS if r is not recognition.crf_people)
        extractors = {"rules": Extractor(rules), "rules + CRF": Extractor(recognition.DEFAULT_RECOGNISERS)}
        for extractor in extractors.values():
            extractor(sources[0])
        list(jieba.posseg.cut(sources[0].text))
        jieba_s = 0.0
        spent = dict.fromkeys(extractors, 0.0)
        for _ in range(rounds):
            for s in sources:
                start = time.perf_counter()
                list(jieba.posseg.cut(s.text))
                jieba_s += time.perf_counter() - start
                for name, extractor in extractors.items():
                    posseg.forget_paths()  # each extractor starts without the jieba HMM paths the last one found
                    start = time.perf_counter()
                    extractor(s)
                    spent[name] += time.perf_counter() - start
        total = rounds * chars
        for name, extract_s in spent.items():
            print(f"{name:<12}: jieba.posseg {total / jieba_s:8.0f} chars/s, extract {total / extract_s:8.0f} "
                  f"chars/s, ratio {jieba_s / extract_s:.2f} (target ≥ 0.5); {len(sources)} documents x {rounds}, "
                  f"{chars} chars")
    finally:
        pipeline.relations = relations


def model_cost(model: str | None) -> None:
    """Import and load the CRF tagger in a fresh process, so nothing this run loaded hides the cost.

    The peak is the child's VmHWM, not ``getrusage``'s ru_maxrss: Linux carries ru_maxrss across fork + exec,
    so the child reported this (larger) benchmark process's own peak instead of the model's.
    """
    code = ("import re, time; t = time.perf_counter(); from kg.extract.crf import CrfTagger; "
            f"CrfTagger.load({model!r}); took = time.perf_counter() - t; "
            "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
            "print(f'{took:.2f} {hwm / 1024:.0f}')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")}).stdout.split()
    print(f"CRF model   : import + load {out[-2]} s in a fresh process (target < 2 s); its peak RSS {out[-1]} MB "
          "(target < 300 MB)")


def long_line(extractor: Extractor) -> None:
    base = "株洲市人民政府副市长李四在长沙调研并召开座谈会"
    rates = []
    for n in (100_000, 400_000):
        text = (base * (n // len(base) + 1))[:n]
        start = time.perf_counter()
        extractor(Source("long", text))
        rates.append(n / (time.perf_counter() - start))
        print(f"long line   : {n} chars without punctuation, {rates[-1]:.0f} chars/s")
    print(f"long line   : rate at 400k / rate at 100k = {rates[1] / rates[0]:.2f} (1.0 is linear; 0.25 quadratic)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="CRF model to use instead of the shipped one (its charcnn.npz beside it)")
    model = parser.parse_args().model
    if model:
        import kg.extract.crf.tagger

        kg.extract.crf.tagger.DEFAULT_MODEL_PATH = Path(model).resolve()
    start = time.perf_counter()
    extractor = Extractor()
    extractor(Source("warm", "株洲市人民政府副市长李四说。"))
    print(f"first extraction (jieba dictionary, gazetteer, CRF model): {time.perf_counter() - start:.2f} s")
    reader_lists(extractor)
    throughput()
    model_cost(model)
    long_line(extractor)
