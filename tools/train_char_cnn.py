#!/usr/bin/env python
"""Train the character CNN of ``kg.extract.crf.charcnn`` (torch, CPU, one thread, fixed seed) and export it to numpy.

Used by ``tools/train_ner.py --cnn``: the CRF is trained on *out-of-fold* network outputs (the training sentences
are split into folds; each fold is tagged by a network trained on the other folds), so the CRF learns how far to
trust the network on text the network has not seen; the shipped network is then trained on all training
sentences.  torch is needed here only; tagging runs the exported weights with numpy.

Network: embeddings of the character (64), of the bigram it starts (32), of jieba's word position + POS (16), of
the gazetteer tag (8) and of the jieba proper-name lexicon tag (8); three dilated convolutions (width 3,
dilations 1, 2, 4, ReLU, residual from the second on), so each character sees +-7 characters; one softmax head
of BIOES tags per annotation style (CLUENER, People's Daily), trained with the cross-entropy of the sentence's
own style.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

import jieba.posseg as pseg  # noqa: E402

from kg.extract.crf.charcnn import DILATIONS, PAD, STYLES, TAGS, UNK, CharCnn, input_keys  # noqa: E402
from kg.extract.crf.features import gazetteer_tags, lexicon_tags, normalize, word_info  # noqa: E402

EMB = (64, 32, 16, 8, 8)  # char, bigram, word position + POS, gazetteer, lexicon
HIDDEN = 96
EPOCHS = 12
BATCH = 32
LR = 2e-3
DROPOUT = 0.25
MIN_COUNT = (2, 3, 1, 1, 1)  # rarer characters and bigrams share the UNK embedding
FOLDS = 4

# (normalised text, gold spans, style)
Sample = tuple[str, list[tuple[int, int, str]], str]


def streams(text: str) -> tuple[list[str], ...]:
    """The network's input symbols for normalised *text* (the same calls the CRF features make)."""
    tokens = [(t.word, t.flag) for t in pseg.cut(text)]
    wpos, ptag, _words, _suffix, _wcl = word_info(text, tokens)
    return input_keys(text, [a + b for a, b in zip(wpos, ptag, strict=True)], gazetteer_tags(text), lexicon_tags(text))


def bioes_ids(n: int, spans: list[tuple[int, int, str]]) -> list[int]:
    """Gold spans -> TAGS index per character."""
    index = {t: i for i, t in enumerate(TAGS)}
    tags = [0] * n
    for s, e, t in spans:
        if e - s == 1:
            tags[s] = index["S-" + t]
        else:
            tags[s] = index["B-" + t]
            for i in range(s + 1, e - 1):
                tags[i] = index["I-" + t]
            tags[e - 1] = index["E-" + t]
    return tags


def build_vocabs(all_streams: list[tuple[list[str], ...]]) -> list[list[str]]:
    """Vocabulary per stream: PAD, UNK, then the symbols seen >= MIN_COUNT times, sorted for determinism."""
    vocabs = []
    for k in range(len(EMB)):
        freq = Counter(s for st in all_streams for s in st[k])
        keep = sorted(s for s, c in freq.items() if c >= MIN_COUNT[k])
        vocabs.append(["<pad>", "<unk>", *keep])
    return vocabs


def train(samples: list[Sample], seed: int = 42, epochs: int = EPOCHS, log: str = "") -> dict[str, np.ndarray]:
    """Train one network on *samples*; returns the arrays of the ``.npz`` CharCnn reads."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    all_streams = [streams(t) for t, _, _ in samples]
    vocabs = build_vocabs(all_streams)
    index = [{s: i for i, s in enumerate(v)} for v in vocabs]
    style_id = {s: i for i, s in enumerate(STYLES)}
    encoded = []
    for st, (text, spans, style) in zip(all_streams, samples, strict=True):
        ids = [[index[k].get(s, UNK) for s in st[k]] for k in range(len(EMB))]
        encoded.append((ids, bioes_ids(len(text), spans), style_id[style]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embs = nn.ModuleList(nn.Embedding(len(v), d, padding_idx=PAD) for v, d in zip(vocabs, EMB,
                                                                                              strict=True))
            chans = sum(EMB)
            self.convs = nn.ModuleList()
            for d in DILATIONS:
                self.convs.append(nn.Conv1d(chans, HIDDEN, 3, dilation=d, padding=d))
                chans = HIDDEN
            self.head = nn.Linear(HIDDEN, len(STYLES) * len(TAGS))
            self.drop = nn.Dropout(DROPOUT)

        def forward(self, xs: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
            x = torch.cat([e(x) for e, x in zip(self.embs, xs, strict=True)], dim=-1)
            x = self.drop(x).transpose(1, 2)  # B C L
            m = mask.unsqueeze(1)
            for layer, conv in enumerate(self.convs):
                y = torch.relu(conv(x)) * m  # padding positions stay zero, as at the ends of a chunk at run time
                x = y if layer == 0 else x + y
                x = self.drop(x)
            return self.head(x.transpose(1, 2))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][1]))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    for epoch in range(epochs):
        rng.shuffle(batches)
        net.train()
        total, count = 0.0, 0
        for lr_scale in (1.0 if epoch < epochs - 2 else 0.3,):
            for g in opt.param_groups:
                g["lr"] = LR * lr_scale
        for batch in batches:
            n = max(len(encoded[i][1]) for i in batch)
            xs = [torch.zeros(len(batch), n, dtype=torch.long) for _ in EMB]
            y = torch.full((len(batch), n), -100, dtype=torch.long)
            mask = torch.zeros(len(batch), n)
            styles = torch.zeros(len(batch), dtype=torch.long)
            for r, i in enumerate(batch):
                ids, tags, sid = encoded[i]
                for k in range(len(EMB)):
                    xs[k][r, : len(tags)] = torch.tensor(ids[k])
                y[r, : len(tags)] = torch.tensor(tags)
                mask[r, : len(tags)] = 1
                styles[r] = sid
            out = net(xs, mask).view(len(batch), n, len(STYLES), len(TAGS))
            out = out[torch.arange(len(batch)), :, styles]  # B L T: each sentence's own style head
            loss = loss_fn(out.reshape(-1, len(TAGS)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            count += int(mask.sum())
        print(f"  cnn{log} epoch {epoch + 1}/{epochs}: loss/char {total / count:.4f}", flush=True)
    net.eval()
    arrays: dict[str, np.ndarray] = {f"vocab{k}": np.array(vocabs[k]) for k in range(len(EMB))}
    for k, e in enumerate(net.embs):
        arrays[f"emb{k}"] = e.weight.detach().numpy().astype(np.float32)
    for k, conv in enumerate(net.convs):
        w = conv.weight.detach().numpy()  # out, in, 3 -> (3 * in, out), taps in order left, centre, right
        arrays[f"conv{k}_w"] = np.ascontiguousarray(w.transpose(2, 1, 0).reshape(-1, w.shape[0])).astype(np.float32)
        arrays[f"conv{k}_b"] = conv.bias.detach().numpy().astype(np.float32)
    arrays["head_w"] = np.ascontiguousarray(net.head.weight.detach().numpy().T).astype(np.float32)
    arrays["head_b"] = net.head.bias.detach().numpy().astype(np.float32)
    arrays["dilations"] = np.array(DILATIONS)
    check_export(arrays, net, encoded[:20], all_streams[:20])
    return arrays


def check_export(arrays: dict[str, np.ndarray], net: object, encoded: list, sample_streams: list) -> None:
    """Fail loudly if the numpy forward pass of the exported arrays differs from torch's (tap order, layout)."""
    import tempfile

    import torch

    with tempfile.TemporaryDirectory() as tmp:
        exported = save(arrays, Path(tmp) / "check.npz")
        with torch.no_grad():
            for (ids, tags, sid), st in zip(encoded, sample_streams, strict=True):
                xs = [torch.tensor([ids[k]]) for k in range(len(EMB))]
                out = net(xs, torch.ones(1, len(tags))).view(len(tags), len(STYLES), len(TAGS))[:, sid]
                expected = torch.softmax(out, dim=-1).numpy()
                got = exported.probs(st)[STYLES[sid]]
                if not np.allclose(expected, got, atol=1e-4):
                    raise AssertionError(f"numpy export differs from torch by {np.abs(expected - got).max():.2e}")


def save(arrays: dict[str, np.ndarray], path: Path) -> CharCnn:
    """Write the network to *path* (uncompressed npz, so it loads fast) and open it for numpy inference."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    return CharCnn(path)


def fingerprint(samples: list[Sample], seed: int) -> str:
    """Digest of the training samples and every setting of the network, naming a cache of trained networks."""
    digest = hashlib.md5(repr((EMB, HIDDEN, EPOCHS, BATCH, LR, DROPOUT, MIN_COUNT, FOLDS, DILATIONS, seed,
                               torch_version())).encode())
    for text, spans, style in samples:
        digest.update(repr((text, spans, style)).encode())
    return digest.hexdigest()[:16]


def torch_version() -> str:
    """Version of the installed torch (part of the cache key: another version may train other weights)."""
    from importlib.metadata import version

    return version("torch")


def trained(samples: list[Sample], path: Path, seed: int = 42, log: str = "") -> CharCnn:
    """The network trained on *samples*, read from *path* if a run with the same fingerprint left it there."""
    stamp = path.with_suffix(".fingerprint")
    key = fingerprint(samples, seed)
    if path.is_file() and stamp.is_file() and stamp.read_text() == key:
        print(f"  cnn{log}: reusing {path}", flush=True)
        return CharCnn(path)
    net = save(train(samples, seed, log=log), path)
    stamp.write_text(key)
    return net


def out_of_fold(samples: list[Sample], workdir: Path, folds: int = FOLDS, seed: int = 42) -> list[np.ndarray]:
    """For each sample, its own style's probabilities from a network that did not train on it."""
    idx = list(range(len(samples)))
    random.Random(seed).shuffle(idx)
    result: list[np.ndarray | None] = [None] * len(samples)
    for f in range(folds):
        held = set(idx[f::folds])
        net = trained([s for i, s in enumerate(samples) if i not in held], workdir / f"cnn_fold{f}.npz", seed,
                      log=f" fold {f + 1}/{folds}")
        for i in held:
            text = samples[i][0]
            result[i] = net.probs(streams(text))[samples[i][2]] if text else np.zeros((0, len(TAGS)))
    return [r for r in result if r is not None]


def as_samples(data: list[tuple[str, list[tuple[int, int, str]]]], style: str) -> list[Sample]:
    """Training examples of one corpus in the network's form (normalised text)."""
    return [(normalize(t), s, style) for t, s in data]
