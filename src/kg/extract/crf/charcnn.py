"""A small dilated character CNN whose per-character tag probabilities are features of the CRF (numpy inference).

Why: the linear CRF sees only sparse indicator features in a +-2 window and had reached a plateau; a CNN over
character embeddings (plus the jieba word position/POS, gazetteer and lexicon tags the CRF already computes)
sees +-7 characters through dense, shared representations and generalises to unseen names differently.  Its
best tag and confidence become CRF features (stacking): the CRF keeps its lexical precision and learns how far
to trust the network.  The CRF was trained on *out-of-fold* CNN outputs (``tools/train_char_cnn.py``) so that it
does not learn to over-trust a network that has seen the sentence.

Training needs torch; inference here is plain numpy (a few matrix products per chunk), so the shipped package
stays light.  The model file is an ``.npz`` holding the vocabularies and the weights.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kg.extract.crf import blas

if TYPE_CHECKING:
    from kg.extract.crf.charlstm import CharLstm

CNN_PATH = Path(__file__).resolve().parent / "model" / "charcnn.npz"
TYPES = ("Person", "Place", "Agency")
# Output tags of each style head, in this fixed order (BIOES over the three types).
TAGS: tuple[str, ...] = ("O", *(f"{p}-{t}" for t in TYPES for p in "BIES"))
STYLES = ("cluener", "pd")
DILATIONS = (1, 2, 4)
PAD, UNK = 0, 1


def input_keys(text: str, wp_pos: list[str], gaz: list[str], lex: list[str]) -> tuple[list[str], ...]:
    """The symbol streams the network reads, one symbol per character of the normalised *text*: the character,
    the bigram it starts, jieba's word position + POS, the gazetteer tag and the lexicon tag."""
    following = text[1:] + "\x03" if text else ""
    return list(text), [a + b for a, b in zip(text, following, strict=True)], wp_pos, gaz, lex


def stream_tables(data: np.lib.npyio.NpzFile) -> tuple[list[dict[str, int]], list[np.ndarray]]:
    """Per input stream, symbol -> row and the embedding table (``vocabK``/``embK``): read the same way for every
    network under the CRF."""
    streams = sum(1 for name in data.files if name.startswith("vocab"))
    vocabs = [{s: i for i, s in enumerate(data[f"vocab{k}"].tolist())} for k in range(streams)]
    return vocabs, [data[f"emb{k}"].astype(np.float32) for k in range(streams)]


def style_softmax(logits: np.ndarray) -> np.ndarray:
    """(positions, styles * tags) head outputs -> (positions, styles, tags) probabilities, each style's tags summing
    to one: the output layer every network under the CRF shares."""
    logits = logits.reshape(len(logits), len(STYLES), len(TAGS))
    logits -= logits.max(axis=2, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=2, keepdims=True)


class CharCnn:
    """Numpy forward pass of the network trained by ``tools/train_char_cnn.py``."""

    def __init__(self, path: Path) -> None:
        """Read the ``.npz`` at *path* (vocabularies ``vocabK``, embeddings ``embK``, ``convN_w/b``, head)."""
        self.path = Path(path)
        data = np.load(self.path, allow_pickle=False)
        self.vocabs, self.embs = stream_tables(data)
        # conv{k}_w is (3 * in, out), taps left/centre/right stacked; kept here as (in, 3 * out) so one product
        # gives all three taps' contributions, which are then added at their offsets (no padded copy of the input)
        self.convs = []
        k = 0
        while f"conv{k}_w" in data:
            w = data[f"conv{k}_w"].astype(np.float32)
            chans, out = w.shape[0] // 3, w.shape[1]
            w = np.ascontiguousarray(w.reshape(3, chans, out).transpose(1, 0, 2).reshape(chans, 3 * out))
            self.convs.append((w, data[f"conv{k}_b"].astype(np.float32)))
            k += 1
        self.head_w = data["head_w"].astype(np.float32)
        self.head_b = data["head_b"].astype(np.float32)
        self.dilations = tuple(int(d) for d in data["dilations"])

    def probs(self, streams: tuple[list[str], ...]) -> dict[str, np.ndarray]:
        """Tag probabilities per style: style -> (len, len(TAGS)) array, for the symbol streams of one chunk."""
        return self.probs_batch([streams])[0]

    def probs_batch(self, batch: list[tuple[list[str], ...]]) -> list[dict[str, np.ndarray]]:
        """:meth:`probs` of many chunks in one pass: the same numbers, a fraction of the calls.

        The extractor tags a document as many short windows; a forward pass per window paid numpy's fixed cost
        per call several times per layer.  Here the chunks are laid end to end with ``max(dilations)`` empty
        rows between them and the empty rows are zeroed after every layer, so no tap ever reaches another chunk
        and each chunk sees exactly the zero padding it has alone: one product per layer for the whole batch.
        """
        with blas.one_thread():  # small products: threads only wait for a busy core (see blas)
            return self._probs_batch(batch)

    def _probs_batch(self, batch: list[tuple[list[str], ...]]) -> list[dict[str, np.ndarray]]:
        lengths = [len(st[0]) for st in batch]
        gap = max(self.dilations)
        starts = []
        pos = 0
        for n in lengths:
            starts.append(pos)
            pos += n + gap
        total = pos
        keep = np.zeros((total, 1), dtype=np.float32)
        parts = []
        for k, (vocab, emb) in enumerate(zip(self.vocabs, self.embs, strict=True)):
            ids = np.zeros(total, dtype=np.int64)  # PAD in the gaps
            for st, s, n in zip(batch, starts, lengths, strict=True):
                if n:
                    ids[s : s + n] = np.fromiter((vocab.get(sym, UNK) for sym in st[k]), dtype=np.int64, count=n)
                    if k == 0:
                        keep[s : s + n] = 1.0
            parts.append(emb[ids])
        x = np.concatenate(parts, axis=1)
        x *= keep  # zero input in the gaps whatever the PAD row holds
        for layer, ((w, b), d) in enumerate(zip(self.convs, self.dilations, strict=True)):
            h = b.shape[0]
            z = x @ w
            y = z[:, h : 2 * h] + b  # centre tap; the side taps reach d characters away (zero past the ends)
            if d < total:
                y[d:] += z[: total - d, :h]
                y[: total - d] += z[d:, 2 * h :]
            np.maximum(y, 0, out=y)
            y *= keep  # the gaps stay zero: the next layer's taps see a chunk's own end padding
            x = y if layer == 0 else x + y
        p = style_softmax(x @ self.head_w + self.head_b)
        return [{style: p[s : s + n, k] for k, style in enumerate(STYLES)}
                for s, n in zip(starts, lengths, strict=True)]


@lru_cache(maxsize=4)
def load(path: Path = CNN_PATH) -> CharCnn | CharLstm | None:
    """The shipped network, or None when there is no file (the CRF then runs without these features).

    The file holds either this CNN or the BiLSTM of :mod:`kg.extract.crf.charlstm` (it has ``lstm_whh``).
    """
    if not Path(path).is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        is_lstm = "lstm_whh" in data.files
    if is_lstm:
        from kg.extract.crf.charlstm import CharLstm

        return CharLstm(path)
    return CharCnn(path)


def nn_features(p: np.ndarray) -> list[list[str]]:
    """CRF features from one style's probabilities: best tag, best tag with a confidence bin, the runner-up when it
    is close, and the best tags of the neighbours at distance 1 and 2 (alone and paired with this one)."""
    n = p.shape[0]
    order = np.argsort(-p, axis=1)[:, :2]
    best, second = order[:, 0], order[:, 1]
    rows = np.arange(n)
    conf = p[rows, best].tolist()
    close = (p[rows, second] >= 0.2).tolist()
    tags = [TAGS[i] for i in best.tolist()]
    seconds = [TAGS[i] for i in second.tolist()]
    padded = ["^", "^", *tags, "$", "$"]
    out = []
    for i, t in enumerate(tags):
        a, c = padded[i + 1], padded[i + 3]
        f = ["nn=" + t, "nnc=" + t + ("h" if conf[i] >= 0.9 else ("m" if conf[i] >= 0.6 else "l")),
             "nn-1=" + a, "nn+1=" + c, "nn-1nn=" + a + "_" + t, "nnnn+1=" + t + "_" + c,
             "nn-2=" + padded[i], "nn+2=" + padded[i + 4]]
        if close[i]:
            f.append("nn2=" + seconds[i])
        out.append(f)
    return out
