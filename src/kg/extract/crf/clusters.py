"""Character and word classes learned from unlabelled text, used as CRF features.

Why: a CRF trained on ~12k sentences sees most names once or never, so it
cannot tell that 斯 and 尔 both belong to transliterated foreign names, or that
位于 and 坐落 announce a place.  Classes of characters and jieba words learned
from *unlabelled* text give the model such word classes (cf. Brown-cluster
features for NER, Turian et al. 2010).  Each unit gets a PPMI+SVD embedding of
its left/right neighbours (numpy only), the embeddings are grouped by spherical
k-means into fine classes, and the fine classes' centroids are grouped again
into coarse ones, so every unit has a coarse and a fine class (like the
prefixes of a Brown-cluster bit string).

The table is built by ``tools/train_ner.py --build-clusters`` (which text it
reads is documented there and in ``model/MODEL.md``) and shipped next to the
model as ``model/clusters.tsv``: one ``kind<TAB>unit<TAB>coarse<TAB>fine`` line
per unit, kind ``c`` (character) or ``w`` (jieba word).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

CLUSTERS_PATH = Path(__file__).resolve().parent / "model" / "clusters.tsv"
SEED = 42
CHAR_FINE, CHAR_COARSE, CHAR_DIM, CHAR_MIN = 256, 32, 60, 3
WORD_FINE, WORD_COARSE, WORD_DIM, WORD_MIN = 512, 64, 100, 3
CONTEXTS = 4000  # most frequent units kept as contexts per relative position

Classes = dict[str, tuple[str, str]]


@lru_cache(maxsize=1)
def load(path: Path = CLUSTERS_PATH) -> tuple[Classes, Classes]:
    """(characters, words), each unit -> (coarse, fine) class id as strings.

    A missing file yields empty tables: the features then carry no class, which
    weakens tagging but never breaks it.
    """
    chars: Classes = {}
    words: Classes = {}
    if path.is_file():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 4:
                    (chars if parts[0] == "c" else words)[parts[1]] = (parts[2], parts[3])
    return chars, words


def embed(seqs: list[list[str]], min_count: int, dim: int) -> tuple[list[str], np.ndarray]:
    """PPMI (context-distribution smoothing 0.75) over left/right neighbours at distance 1 and 2, then a
    randomised truncated SVD; returns the vocabulary and L2-normalised row vectors."""
    freq = Counter(u for s in seqs for u in s)
    vocab = sorted((u for u, c in freq.items() if c >= min_count), key=lambda u: (-freq[u], u))
    index = {u: i for i, u in enumerate(vocab)}
    ctx_units = vocab[:CONTEXTS]
    ctx_index = {u: i for i, u in enumerate(ctx_units)}
    offsets = (-2, -1, 1, 2)
    counts = np.zeros((len(vocab), len(offsets) * len(ctx_units)), dtype=np.float32)
    rows: list[int] = []
    cols: list[int] = []
    for s in seqs:
        padded = ["<s>", "<s>", *s, "</s>", "</s>"]
        for i, unit in enumerate(s):
            r = index.get(unit)
            if r is None:
                continue
            for k, off in enumerate(offsets):
                c = ctx_index.get(padded[i + 2 + off])
                if c is not None:
                    rows.append(r)
                    cols.append(k * len(ctx_units) + c)
    np.add.at(counts, (np.array(rows), np.array(cols)), 1.0)
    total = counts.sum()
    row_p = counts.sum(axis=1, keepdims=True) / total
    col_s = counts.sum(axis=0, keepdims=True) ** 0.75
    col_p = col_s / col_s.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((counts / total) / (row_p * col_p))
    ppmi = np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0).astype(np.float32)
    del counts, pmi
    rng = np.random.default_rng(SEED)
    omega = rng.standard_normal((ppmi.shape[1], dim + 20)).astype(np.float32)
    q, _ = np.linalg.qr(ppmi @ omega)
    for _ in range(2):  # power iterations sharpen the leading subspace
        q, _ = np.linalg.qr(ppmi @ (ppmi.T @ q))
    u_b, sing, _ = np.linalg.svd(q.T @ ppmi, full_matrices=False)
    vec = (q @ u_b[:, :dim]) * np.sqrt(sing[:dim])
    vec /= np.linalg.norm(vec, axis=1, keepdims=True) + 1e-8
    return vocab, vec


def kmeans(x: np.ndarray, k: int, iters: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (cosine) with k-means++ seeding from a fixed seed; returns (labels, centroids).

    Rows of *x* are unit vectors or zero (a unit with no frequent neighbour); zero rows never seed a class.
    """
    rng = np.random.default_rng(SEED)
    usable = np.linalg.norm(x, axis=1) > 0
    k = min(k, int(usable.sum()))
    centres = [x[rng.choice(np.flatnonzero(usable))]]
    dist = np.where(usable, np.inf, 0.0)
    for _ in range(k - 1):
        dist = np.minimum(dist, np.where(usable, 1 - x @ centres[-1], 0.0))
        p = np.clip(dist, 0, None)
        centres.append(x[rng.choice(len(x), p=p / p.sum())])
    c = np.array(centres)
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iters):
        labels = np.argmax(x @ c.T, axis=1)
        new = np.zeros_like(c)
        np.add.at(new, labels, x)
        norms = np.linalg.norm(new, axis=1, keepdims=True)
        c = np.where(norms > 0, new / np.maximum(norms, 1e-12), c)
    return labels, c


def group(vocab: list[str], vec: np.ndarray, fine: int, coarse: int) -> dict[str, tuple[int, int]]:
    """unit -> (coarse, fine) class; coarse classes group the fine classes' centroids."""
    fine_labels, centres = kmeans(vec, fine)
    coarse_of_fine, _ = kmeans(centres, coarse)
    return {u: (int(coarse_of_fine[f]), int(f)) for u, f in zip(vocab, fine_labels, strict=True)}


def build(char_seqs: list[list[str]], word_seqs: list[list[str]], out: Path = CLUSTERS_PATH) -> dict[str, int]:
    """Embed and cluster characters and words of the given sentences; write the table to *out*.

    Returns the number of units of each kind.  Deterministic for the same input (fixed seeds).
    """
    lines: list[str] = []
    sizes: dict[str, int] = {}
    for kind, seqs, fine, coarse, dim, min_count in (
        ("c", char_seqs, CHAR_FINE, CHAR_COARSE, CHAR_DIM, CHAR_MIN),
        ("w", word_seqs, WORD_FINE, WORD_COARSE, WORD_DIM, WORD_MIN),
    ):
        vocab, vec = embed(seqs, min_count, dim)
        table = group(vocab, vec, fine, coarse)
        sizes[kind] = len(table)
        lines += [f"{kind}\t{u}\t{a}\t{b}" for u, (a, b) in table.items() if "\t" not in u and u.strip()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load.cache_clear()
    return sizes
