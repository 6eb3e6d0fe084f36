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

from kg.extract import posseg  # noqa: E402
from kg.extract.crf.charcnn import DILATIONS, PAD, STYLES, TAGS, UNK, CharCnn, input_keys  # noqa: E402
from kg.extract.crf.charcnn import load as charcnn_load  # noqa: E402
from kg.extract.crf.charlstm import CharLstm  # noqa: E402
from kg.extract.crf.features import gazetteer_tags, lexicon_tags, normalize, word_info  # noqa: E402

EMB = (64, 32, 16, 8, 8)  # char, bigram, word position + POS, gazetteer, lexicon
HIDDEN = 96
EPOCHS = 12
BATCH = 32
LR = 2e-3
DROPOUT = 0.25
MIN_COUNT = (2, 3, 1, 1, 1)  # rarer characters and bigrams share the UNK embedding
FOLDS = 4
# "cnn" (the dilated CNN above) or "lstm": the same embeddings read by one bidirectional LSTM layer
# (kg.extract.crf.charlstm), whose character embeddings start from PPMI+SVD vectors learnt on unlabelled text
# when PRETRAINED is set (see set_pretrained).  train_ner.py --net picks it.
ARCH = "cnn"
LSTM_HIDDEN = 64
LSTM_EPOCHS = 10
PRETRAINED: tuple[list[str], np.ndarray] | None = None  # (characters, unit vectors) from clusters.embed

# (normalised text, gold spans, style)
Sample = tuple[str, list[tuple[int, int, str]], str]


def stream_arrays(net, vocabs: list[list[str]]) -> dict[str, np.ndarray]:
    """The ``vocabK``/``embK`` arrays of a trained network (read back by ``kg.extract.crf.charcnn.stream_tables``)."""
    arrays: dict[str, np.ndarray] = {f"vocab{k}": np.array(vocabs[k]) for k in range(len(EMB))}
    for k, e in enumerate(net.embs):
        arrays[f"emb{k}"] = e.weight.detach().numpy().astype(np.float32)
    return arrays


def styled_step(out, styles, y, opt, loss_fn, clip=None) -> float:
    """One optimiser step on a batch: each sentence is scored by its own corpus style's head (``out`` is B x L x
    styles*tags); ``clip``: parameters whose gradient norm is clipped to 5 first (the LSTM's).  Returns the loss."""
    import torch
    from torch import nn

    batch = len(styles)
    out = out.reshape(batch, -1, len(STYLES), len(TAGS))[torch.arange(batch), :, styles]  # B L T
    loss = loss_fn(out.reshape(-1, len(TAGS)), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(clip, 5.0)
    opt.step()
    return float(loss.detach())


def streams(text: str) -> tuple[list[str], ...]:
    """The network's input symbols for normalised *text* (the same calls the CRF features make)."""
    tokens = [(t.word, t.flag) for t in posseg.cut(text)]
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

    if ARCH == "lstm":
        return train_lstm(encoded, vocabs, all_streams, seed, epochs if epochs != EPOCHS else LSTM_EPOCHS, log)

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
            total += styled_step(net(xs, mask), styles, y, opt, loss_fn)
            count += int(mask.sum())
        print(f"  cnn{log} epoch {epoch + 1}/{epochs}: loss/char {total / count:.4f}", flush=True)
    net.eval()
    arrays = stream_arrays(net, vocabs)
    for k, conv in enumerate(net.convs):
        w = conv.weight.detach().numpy()  # out, in, 3 -> (3 * in, out), taps in order left, centre, right
        arrays[f"conv{k}_w"] = np.ascontiguousarray(w.transpose(2, 1, 0).reshape(-1, w.shape[0])).astype(np.float32)
        arrays[f"conv{k}_b"] = conv.bias.detach().numpy().astype(np.float32)
    arrays["head_w"] = np.ascontiguousarray(net.head.weight.detach().numpy().T).astype(np.float32)
    arrays["head_b"] = net.head.bias.detach().numpy().astype(np.float32)
    arrays["dilations"] = np.array(DILATIONS)
    check_export(arrays, net, encoded[:20], all_streams[:20])
    return arrays


def pretrained_rows(vocab: list[str], dim: int) -> tuple[np.ndarray, int]:
    """Initial character embeddings: the PPMI+SVD vector of each vocabulary character that has one (scaled to
    the unit-variance entries torch's default initialisation gives the others), else a seeded random row."""
    rng = np.random.default_rng(SEED_INIT)
    rows = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    rows[PAD] = 0
    found = 0
    if PRETRAINED is not None:
        units, vec = PRETRAINED
        where = {u: i for i, u in enumerate(units)}
        width = min(dim, vec.shape[1])
        for k, ch in enumerate(vocab):
            j = where.get(ch)
            if j is not None and k > UNK:
                rows[k, :width] = vec[j, :width] * np.sqrt(width)
                found += 1
    return rows, found


SEED_INIT = 42


def set_pretrained(units: list[str], vectors: np.ndarray) -> None:
    """Character vectors learnt on unlabelled text, to initialise the BiLSTM's character embeddings."""
    global PRETRAINED
    PRETRAINED = (units, vectors)


def train_lstm(encoded: list, vocabs: list[list[str]], all_streams: list, seed: int, epochs: int,
               log: str) -> dict[str, np.ndarray]:
    """Train the BiLSTM variant (see :mod:`kg.extract.crf.charlstm`); returns its ``.npz`` arrays."""
    import torch
    from torch import nn

    rng = random.Random(seed)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embs = nn.ModuleList(nn.Embedding(len(v), d, padding_idx=PAD) for v, d in zip(vocabs, EMB,
                                                                                              strict=True))
            rows, found = pretrained_rows(vocabs[0], EMB[0])
            with torch.no_grad():
                self.embs[0].weight.copy_(torch.from_numpy(rows))
            print(f"  lstm{log}: {found} of {len(vocabs[0])} characters start from pretrained vectors", flush=True)
            self.lstm = nn.LSTM(sum(EMB), LSTM_HIDDEN, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * LSTM_HIDDEN, len(STYLES) * len(TAGS))
            self.drop = nn.Dropout(DROPOUT)

        def forward(self, xs: list[torch.Tensor], lengths: torch.Tensor) -> torch.Tensor:
            x = self.drop(torch.cat([e(x) for e, x in zip(self.embs, xs, strict=True)], dim=-1))
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            return self.head(self.drop(out))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][1]))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    batches = [b for b in batches if max(len(encoded[i][1]) for i in b) > 0]
    for epoch in range(epochs):
        rng.shuffle(batches)
        net.train()
        for g in opt.param_groups:
            g["lr"] = LR * (1.0 if epoch < epochs - 2 else 0.3)
        total, count = 0.0, 0
        for batch in batches:
            batch = [i for i in batch if encoded[i][1]]
            n = max(len(encoded[i][1]) for i in batch)
            xs = [torch.zeros(len(batch), n, dtype=torch.long) for _ in EMB]
            y = torch.full((len(batch), n), -100, dtype=torch.long)
            lengths = torch.tensor([len(encoded[i][1]) for i in batch])
            styles = torch.tensor([encoded[i][2] for i in batch])
            for r, i in enumerate(batch):
                ids, tags, _ = encoded[i]
                for k in range(len(EMB)):
                    xs[k][r, : len(tags)] = torch.tensor(ids[k])
                y[r, : len(tags)] = torch.tensor(tags)
            total += styled_step(net(xs, lengths), styles, y, opt, loss_fn, clip=net.parameters())
            count += int(lengths.sum())
        print(f"  lstm{log} epoch {epoch + 1}/{epochs}: loss/char {total / count:.4f}", flush=True)
    net.eval()
    arrays = stream_arrays(net, vocabs)
    hid = LSTM_HIDDEN
    # torch's gate rows are i, f, g, o; the numpy pass wants i, f, o, g (three sigmoid gates side by side)
    perm = np.concatenate([np.arange(0, 2 * hid), np.arange(3 * hid, 4 * hid), np.arange(2 * hid, 3 * hid)])
    wih, whh, bias = [], [], []
    for suffix in ("", "_reverse"):
        w_ih = getattr(net.lstm, f"weight_ih_l0{suffix}").detach().numpy()[perm]
        w_hh = getattr(net.lstm, f"weight_hh_l0{suffix}").detach().numpy()[perm]
        b = (getattr(net.lstm, f"bias_ih_l0{suffix}") + getattr(net.lstm, f"bias_hh_l0{suffix}")).detach().numpy()
        wih.append(w_ih.T)
        whh.append(w_hh.T)
        bias.append(b[perm])
    arrays["lstm_wih"] = np.ascontiguousarray(np.stack(wih)).astype(np.float32)
    arrays["lstm_whh"] = np.ascontiguousarray(np.stack(whh)).astype(np.float32)
    arrays["lstm_b"] = np.stack(bias).astype(np.float32)
    arrays["head_w"] = np.ascontiguousarray(net.head.weight.detach().numpy().T).astype(np.float32)
    arrays["head_b"] = net.head.bias.detach().numpy().astype(np.float32)

    def reference(xs: list[torch.Tensor], n: int) -> torch.Tensor:
        return net(xs, torch.tensor([n]))

    check_export(arrays, reference, encoded[:20], all_streams[:20])
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
                if not tags:
                    continue
                out = (net(xs, len(tags)) if not isinstance(net, torch.nn.Module)
                       else net(xs, torch.ones(1, len(tags)))).view(len(tags), len(STYLES), len(TAGS))[:, sid]
                expected = torch.softmax(out, dim=-1).numpy()
                got = exported.probs(st)[STYLES[sid]]
                if not np.allclose(expected, got, atol=1e-4):
                    raise AssertionError(f"numpy export differs from torch by {np.abs(expected - got).max():.2e}")


def save(arrays: dict[str, np.ndarray], path: Path) -> CharCnn | CharLstm:
    """Write the network to *path* (uncompressed npz, so it loads fast) and open it for numpy inference."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    return CharLstm(path) if "lstm_whh" in arrays else CharCnn(path)


def fingerprint(samples: list[Sample], seed: int) -> str:
    """Digest of the training samples and every setting of the network, naming a cache of trained networks."""
    digest = hashlib.md5(repr((EMB, HIDDEN, EPOCHS, BATCH, LR, DROPOUT, MIN_COUNT, FOLDS, DILATIONS, seed,
                               torch_version())).encode())
    if ARCH != "cnn":
        digest.update(repr((ARCH, LSTM_HIDDEN, LSTM_EPOCHS, SEED_INIT)).encode())
        if PRETRAINED is not None:
            digest.update(repr(PRETRAINED[0]).encode() + PRETRAINED[1].tobytes())
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
        return charcnn_load.__wrapped__(path)
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
