"""A character BiLSTM whose per-character tag probabilities are features of the CRF (numpy inference).

Why: the dilated CNN of :mod:`kg.extract.crf.charcnn` sees +-7 characters and scores only ~0.6 F1 alone; a
bidirectional LSTM reads the whole chunk in both directions, so the word before a name's end (位于, 担任) or a
title three words away still shapes each character's tag.  It reads the same symbol streams as the CNN (the
character, its bigram, jieba word position + POS, gazetteer and lexicon tags), with character embeddings
initialised from PPMI+SVD vectors learnt on unlabelled text (``tools/train_char_cnn.py``).  Its probabilities
become the same CRF features as the CNN's (:func:`kg.extract.crf.charcnn.nn_features`), stacked out of fold.

Inference is numpy only and batched: :meth:`CharLstm.probs_batch` runs every chunk of a document (right-padded
to the longest) through one loop over character positions, both directions in the same step (one batched
product per step), so a document's windows cost a few dozen small products together instead of per window.
The file is an ``.npz`` beside the CRF model named ``charcnn.npz`` like the CNN's; its ``lstm_whh`` array tells
:func:`kg.extract.crf.charcnn.load` which network it holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kg.extract.crf import blas
from kg.extract.crf.charcnn import STYLES, TAGS, UNK, stream_tables, style_softmax


class CharLstm:
    """Numpy forward pass of the BiLSTM trained by ``tools/train_char_cnn.py --arch lstm``.

    Arrays: ``vocabK``/``embK`` per input stream; ``lstm_wih`` (2, in, 4H), ``lstm_whh`` (2, H, 4H) and
    ``lstm_b`` (2, 4H) for the forward (0) and backward (1) direction, gates in the order input, forget,
    output, cell (torch's i, f, g, o reordered so the three sigmoid gates are contiguous); ``head_w`` (2H,
    styles x tags) and ``head_b``.
    """

    group = 64  # chunks per pass of the step loop when a call brings more

    def __init__(self, path: Path) -> None:
        """Read the ``.npz`` at *path*."""
        self.path = Path(path)
        data = np.load(self.path, allow_pickle=False)
        self.vocabs, self.embs = stream_tables(data)
        self.hidden = hidden = data["lstm_whh"].shape[1]
        # sigmoid(x) = 0.5 * tanh(x / 2) + 0.5: with the three sigmoid gates' weights halved here, one tanh per
        # step covers all four gates (fewer numpy calls in the loop, which dominate at these sizes)
        scale = np.ones(4 * hidden, dtype=np.float32)
        scale[: 3 * hidden] = 0.5
        self.wih = data["lstm_wih"].astype(np.float32) * scale
        self.whh = data["lstm_whh"].astype(np.float32) * scale
        self.b = data["lstm_b"].astype(np.float32) * scale
        self.head_w = data["head_w"].astype(np.float32)
        self.head_b = data["head_b"].astype(np.float32)

    def probs(self, streams: tuple[list[str], ...]) -> dict[str, np.ndarray]:
        """Tag probabilities per style: style -> (len, len(TAGS)) array, for the symbol streams of one chunk."""
        return self.probs_batch([streams])[0]

    def probs_batch(self, batch: list[tuple[list[str], ...]]) -> list[dict[str, np.ndarray]]:
        """:meth:`probs` of many chunks at once (each chunk's numbers are those it gets alone)."""
        with blas.one_thread():  # small products: threads only wait for a busy core (see blas)
            if len(batch) <= self.group:
                return self._probs_batch(batch)
            # many chunks (a whole corpus in one tag() call): groups of similar length, so that short chunks do not
            # step through the padding of the longest one
            order = sorted(range(len(batch)), key=lambda i: len(batch[i][0]))
            result: list[dict[str, np.ndarray]] = [{} for _ in batch]
            for start in range(0, len(order), self.group):
                members = order[start : start + self.group]
                for i, probs in zip(members, self._probs_batch([batch[i] for i in members]), strict=True):
                    result[i] = probs
            return result

    def _probs_batch(self, batch: list[tuple[list[str], ...]]) -> list[dict[str, np.ndarray]]:
        lengths = [len(st[0]) for st in batch]
        width = max(lengths, default=0)
        if width == 0:
            return [{style: np.zeros((0, len(TAGS)), dtype=np.float32) for style in STYLES} for _ in batch]
        rows = len(batch)
        # forward input: each chunk left-aligned; backward input: each chunk reversed, left-aligned, so both
        # directions start at step 0 and right padding never reaches a real position
        fwd = np.zeros((rows, width), dtype=np.int64)
        back = np.zeros((rows, width), dtype=np.int64)
        x = []
        for k, (vocab, emb) in enumerate(zip(self.vocabs, self.embs, strict=True)):
            ids = np.zeros((rows, width), dtype=np.int64)
            for r, (st, n) in enumerate(zip(batch, lengths, strict=True)):
                if n:
                    ids[r, :n] = np.fromiter((vocab.get(sym, UNK) for sym in st[k]), dtype=np.int64, count=n)
            x.append(emb[ids])
        x = np.concatenate(x, axis=2)  # rows, width, in
        for r, n in enumerate(lengths):
            fwd[r, :n] = np.arange(n)
            back[r, :n] = np.arange(n - 1, -1, -1)
        take = np.arange(rows)[:, None]
        # input contributions of every step in one product per direction: (2, width, rows, 4H)
        z = np.stack([(x[take, fwd] @ self.wih[0] + self.b[0]).transpose(1, 0, 2),
                      (x[take, back] @ self.wih[1] + self.b[1]).transpose(1, 0, 2)])
        h_size = self.hidden
        h = np.zeros((2, rows, h_size), dtype=np.float32)
        c = np.zeros((2, rows, h_size), dtype=np.float32)
        out = np.empty((width, 2, rows, h_size), dtype=np.float32)
        for t in range(width):
            u = np.tanh(z[:, t] + h @ self.whh)  # (2, rows, 4H): tanh of the halved sigmoid gates and of the cell
            s = u[:, :, : 3 * h_size] * 0.5 + 0.5  # sigmoid of the input, forget, output gates
            c = s[:, :, h_size : 2 * h_size] * c + s[:, :, :h_size] * u[:, :, 3 * h_size :]
            h = s[:, :, 2 * h_size :] * np.tanh(c)
            out[t] = h
        # every real character of every chunk in one head product; the backward direction's step t belongs to
        # character n - 1 - t of its chunk
        row = np.repeat(np.arange(rows), lengths)
        pos = np.concatenate([np.arange(n) for n in lengths])
        back_step = np.repeat(np.array(lengths), lengths) - 1 - pos
        feats = np.concatenate([out[pos, 0, row], out[back_step, 1, row]], axis=1)
        p = style_softmax(feats @ self.head_w + self.head_b)
        bounds = np.cumsum([0, *lengths])
        return [{style: p[a:b, k] for k, style in enumerate(STYLES)}
                for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]
