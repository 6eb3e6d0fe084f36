"""Load the shipped CRF model and tag raw Chinese text with Person/Place/Agency spans.

The model is a python-crfsuite (CRFsuite) linear-chain CRF over characters
with BIOES tags; it was trained by ``tools/train_ner.py`` on CLUENER2020 and
People's Daily data (see ``model/MODEL.md``).  A statistical tagger is used
instead of jieba's POS tags because jieba alone reaches only ~0.26-0.54 F1 on
these corpora.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import jieba
import numpy as np
import pycrfsuite

from kg.extract.crf import charcnn, clusters
from kg.extract.crf.features import (
    STYLES,
    Columns,
    add_style,
    columns,
    gazetteer,
    normalize,
    sent2features,
    split_chunks,
)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "model" / "ner.crfsuite"
ENTITY_TYPES: frozenset[str] = frozenset({"Person", "Place", "Agency"})
# Annotation convention used when the caller names none.  "news" merges the two
# corpus conventions: CLUENER style finds full agency names (株洲市人民政府) that
# People's Daily style, trained on far less data, splits; People's Daily style
# adds the bare country/city mentions (美国 in 美国总统) CLUENER leaves untagged.
# A news knowledge graph wants both; MODEL.md has every style's scores.
DEFAULT_STYLE: str | None = "news"
TAG_STYLES: tuple[str | None, ...] = (*STYLES, "news", None)

Span = tuple[int, int, str]


def tags_to_spans(tags: list[str]) -> list[Span]:
    """Turn BIOES (or BIO) tags into (start, end_exclusive, type) spans.

    Lenient on purpose: a CRF can emit an I/E without a B, so an entity
    starts at any B/S or at any I/E whose type differs from the open one.
    That keeps every decoded span inside the text and never drops a
    plausible entity because of one inconsistent transition.
    """
    spans: list[Span] = []
    start = -1
    cur = ""
    for i, tag in enumerate(tags):
        if tag == "O" or "-" not in tag:
            if cur:
                spans.append((start, i, cur))
            start, cur = -1, ""
            continue
        prefix, typ = tag.split("-", 1)
        if prefix in ("B", "S") or typ != cur:
            if cur:
                spans.append((start, i, cur))
            start, cur = i, typ
        if prefix in ("E", "S"):
            spans.append((start, i + 1, cur))
            start, cur = -1, ""
    if cur:
        spans.append((start, len(tags), cur))
    return spans


class CrfTagger:
    """Character CRF named-entity tagger; use :meth:`load` rather than the constructor.

    Instances are cached per model path, since opening a model costs a few
    hundred milliseconds and callers tag many documents.  ``pycrfsuite.Tagger``
    is not thread-safe, so tagging is serialised with a lock.
    """

    _cache: ClassVar[dict[str, CrfTagger]] = {}
    _cache_lock = threading.Lock()

    def __init__(self, path: Path, cnn_path: Path | None = None) -> None:
        """Open the CRFsuite model file at *path* (raises if it is missing or corrupt).

        The character CNN whose outputs are features of the model is read from *cnn_path*, by default
        ``charcnn.npz`` beside the model; a model trained without it has no such file and runs without it.
        """
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"CRF model not found: {self.path}")
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.path))
        self.cnn = charcnn.load(Path(cnn_path) if cnn_path else self.path.with_name(charcnn.CNN_PATH.name))
        self._lock = threading.Lock()
        # Pay jieba's dictionary load and the gazetteer and cluster reads here,
        # once, so the first tag() call is not unexpectedly slow.
        jieba.initialize()
        gazetteer()
        clusters.load()

    @classmethod
    def load(cls, path: str | Path | None = None) -> CrfTagger:
        """Return a (cached) tagger for *path*, defaulting to the model shipped in the package."""
        resolved = Path(path).resolve() if path is not None else DEFAULT_MODEL_PATH
        key = str(resolved)
        with cls._cache_lock:
            tagger = cls._cache.get(key)
            if tagger is None:
                tagger = cls(resolved)
                cls._cache[key] = tagger
        return tagger

    def _decode(self, norm: str, cols: Columns, probs: dict[str, np.ndarray], style: str | None) -> list[Span]:
        """Spans of one normalised chunk; style "news" decodes under both corpus styles and merges."""
        if style != "news":
            nn = probs.get(style or "cluener")
            with self._lock:
                return tags_to_spans(list(self._tagger.tag(sent2features(norm, style, nn=nn, cols=cols))))
        base = sent2features(norm, None, cols=cols)
        styled = {}
        for sty in STYLES:
            styled[sty] = add_style(base, sty)
            if sty in probs:
                for f, extra in zip(styled[sty], charcnn.nn_features(probs[sty]), strict=True):
                    f += extra
        with self._lock:
            first = tags_to_spans(list(self._tagger.tag(styled["cluener"])))
            second = tags_to_spans(list(self._tagger.tag(styled["pd"])))
        merged = list(first)
        for s, e, typ in second:
            if all(e <= ms or s >= me for ms, me, _ in first):
                merged.append((s, e, typ))
        return sorted(merged)

    def tag(self, text: str, style: str | None = DEFAULT_STYLE,
            tokens: list[tuple[int, int, str, str]] | None = None) -> list[Span]:
        """Find Person/Place/Agency mentions in *text*.

        Returns (start, end, type) with *end* exclusive; offsets index the
        given Python string.  Long text is split into bounded chunks so cost
        stays linear; entities never cross chunk boundaries.  *style* picks
        the annotation convention: "news" (default: CLUENER spans plus the
        non-overlapping People's Daily spans), "pd" (People's Daily: every
        country/city mention is a Place), "cluener" (CLUENER2020: fuller
        addresses and company names, bare country names mostly untagged) or
        None (only the features both corpora share; weak).

        ``tokens`` — (start, end, word, POS) jieba tokens of ``text`` the caller already computed — are reused for
        the word features of every chunk they tile exactly, instead of segmenting the text again.
        """
        return self.tag_many([text], style, [tokens])[0]

    def tag_many(self, texts: list[str], style: str | None = DEFAULT_STYLE,
                 tokens: list[list[tuple[int, int, str, str]] | None] | None = None) -> list[list[Span]]:
        """:meth:`tag` for each of *texts* (with its *tokens*, if given), the network run once for all of them.

        A document reaches the tagger as many short windows; the network under the CRF (if the model has one)
        then costs one batched forward pass per document instead of one per window (see
        :meth:`CharCnn.probs_batch`).  The CRF still decodes chunk by chunk; the spans are those :meth:`tag`
        gives each text alone.
        """
        if style not in TAG_STYLES:
            raise ValueError(f"unknown style {style!r}; expected one of {TAG_STYLES}")
        if tokens is not None and len(tokens) != len(texts):
            raise ValueError(f"tag_many: {len(texts)} texts but {len(tokens)} token lists")
        chunks: list[tuple[int, int, int, str, Columns]] = []  # (text index, start, end, normalised, columns)
        for k, text in enumerate(texts):
            toks = tokens[k] if tokens is not None else None
            for start, end in split_chunks(text) if text else ():
                piece = text[start:end]
                if not piece.strip():
                    continue
                words = None
                if toks is not None:
                    inside = [(w, p) for s, e, w, p in toks if start <= s and e <= end]
                    words = inside if sum(len(w) for w, _ in inside) == end - start else None
                norm = normalize(piece)
                chunks.append((k, start, end, norm, columns(norm, words)))
        probs: list[dict[str, np.ndarray]] = [{} for _ in chunks]
        if self.cnn and chunks:
            probs = self.cnn.probs_batch([cols.cnn_streams(norm) for _, _, _, norm, cols in chunks])
        out: list[list[Span]] = [[] for _ in texts]
        for (k, start, end, norm, cols), nn in zip(chunks, probs, strict=True):
            piece = texts[k][start:end]
            for s, e, typ in self._decode(norm, cols, nn, style):
                if typ in ENTITY_TYPES and piece[s:e].strip():
                    out[k].append((start + s, start + e, typ))
        return out
