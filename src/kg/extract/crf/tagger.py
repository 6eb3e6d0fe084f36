"""Load the shipped CRF model and tag raw Chinese text with Person/Place/Agency spans.

The model is a python-crfsuite (CRFsuite) linear-chain CRF over characters
with BIOES tags; it was trained by ``tools/train_ner.py`` on CLUENER2020 and
People's Daily data (see ``model/MODEL.md``).  A statistical tagger is used
instead of jieba's POS tags because jieba alone reaches only ~0.26-0.54 F1 on
these corpora.  When the fine-tuned encoder (``model/encoder.onnx``, see
:mod:`kg.extract.crf.encoder`) lies beside the model, each character's CRF
marginals are averaged with the encoder's probabilities before decoding.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import jieba
import numpy as np
import pycrfsuite

from kg.extract.crf import charcnn, clusters, encoder
from kg.extract.crf.decode import averaged_tags_batch
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
from kg.extract.sentences import bounded_runs

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "model" / "ner.crfsuite"
ENTITY_TYPES: frozenset[str] = frozenset({"Person", "Place", "Agency"})
# Annotation convention used when the caller names none.  "news" merges the two
# corpus conventions: CLUENER style finds full agency names (株洲市人民政府) that
# People's Daily style, trained on far less data, splits; People's Daily style
# adds the bare country/city mentions (美国 in 美国总统) CLUENER leaves untagged.
# A news knowledge graph wants both; MODEL.md has every style's scores.
DEFAULT_STYLE: str | None = "news"
TAG_STYLES: tuple[str | None, ...] = (*STYLES, "news", None)

# Share of the encoder in the averaged per-character distribution; 0.5 was best on the validation slice
# (0.3-0.6 measured, MODEL.md fifth round) and is what the held-out figures use.
ENCODER_WEIGHT = 0.5
# The encoder is consulted only for chunks whose best CRF path has a probability below this: on both held-out sets
# the F1 is the same as consulting it everywhere (at 0.8 it drops by 0.001), and in extraction it then reads 57 %
# of the characters the CRF tags instead of all of them (MODEL.md).
ENCODER_GATE = 0.9

Span = tuple[int, int, str]
Chunk = tuple[int, int, int, str, Columns]  # (text index, start, end, normalised text, columns)


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

    def __init__(self, path: Path, cnn_path: Path | None = None, encoder_path: Path | None = None) -> None:
        """Open the CRFsuite model file at *path* (raises if it is missing or corrupt).

        The character CNN whose outputs are features of the model is read from *cnn_path*, by default
        ``charcnn.npz`` beside the model; a model trained without it has no such file and runs without it.
        The encoder averaged with the CRF is read from *encoder_path*, by default ``encoder.onnx`` beside the
        model; without that file the CRF decodes alone (as the validation models of ``tools/train_ner.py`` do).
        """
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"CRF model not found: {self.path}")
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.path))
        self.cnn = charcnn.load(Path(cnn_path) if cnn_path else self.path.with_name(charcnn.CNN_PATH.name))
        self.encoder = encoder.load(Path(encoder_path) if encoder_path
                                    else self.path.with_name(encoder.DEFAULT_PATH.name))
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

    def _features(self, norm: str, cols: Columns, probs: dict[str, np.ndarray],
                  style: str | None) -> dict[str | None, list[list[str]]]:
        """CRF features of one normalised chunk for each style to decode: *style*, or both corpus styles for
        "news" (the style-free features computed once and extended per style)."""
        if style != "news":
            return {style: sent2features(norm, style, nn=probs.get(style or "cluener"), cols=cols)}
        base = sent2features(norm, None, cols=cols)
        styled: dict[str | None, list[list[str]]] = {}
        for sty in STYLES:
            styled[sty] = add_style(base, sty)
            if sty in probs:
                for f, extra in zip(styled[sty], charcnn.nn_features(probs[sty]), strict=True):
                    f += extra
        return styled

    def _decode_all(self, chunks: list[str], feats: list[dict[str | None, list[list[str]]]]
                    ) -> dict[str | None, list[list[Span]]]:
        """Style -> spans of each normalised chunk, from its features under that style.

        The CRF decodes every chunk; where the encoder is present and the CRF's best path has a probability
        below ``ENCODER_GATE``, the chunk is decoded again from the CRF's marginals averaged with the encoder's
        probabilities (see :func:`kg.extract.crf.decode.constrained_viterbi_batch`).
        """
        decoded: dict[str | None, list[list[Span]]] = {}
        unsure: dict[tuple[str, int], np.ndarray] = {}  # (style, chunk) -> CRF marginals
        with self._lock:
            for sty in feats[0] if feats else ():
                decoded[sty] = []
                for i, f in enumerate(feats):
                    tags = self._tagger.tag(f[sty])  # also sets the sequence the marginals are read from
                    if sty is not None and self.encoder and self._tagger.probability(tags) < ENCODER_GATE:
                        unsure[sty, i] = self._current_marginals(len(tags))
                    decoded[sty].append(tags_to_spans(list(tags)))
        if unsure:
            enc = {i: self.encoder.probs(chunks[i]) for i in sorted({i for _, i in unsure})}
            keys = list(unsure)
            mixed = averaged_tags_batch([unsure[k] for k in keys], [enc[i][sty] for sty, i in keys], ENCODER_WEIGHT)
            for (sty, i), tags in zip(keys, mixed, strict=True):
                decoded[sty][i] = tags_to_spans(tags)
        return decoded

    def _current_marginals(self, n: int) -> np.ndarray:
        """(n, TAGS) marginal probabilities of the sequence last given to ``set`` or ``tag`` (under the lock)."""
        marginal = self._tagger.marginal
        return np.array([[marginal(label, t) for label in charcnn.TAGS] for t in range(n)])

    def marginals(self, text: str, style: str) -> np.ndarray:
        """(len(text), TAGS) per-character marginals of the CRF alone under *style* ("cluener" or "pd"), chunked
        and featurised as :meth:`tag` does; blank stretches are certain O.  For measuring the averaging (tools/)."""
        if style not in STYLES:
            raise ValueError(f"marginals: unknown style {style!r}; expected one of {STYLES}")
        out = np.zeros((len(text), len(charcnn.TAGS)))
        out[:, 0] = 1.0
        chunks = self._chunks([text], None)
        for (_, start, end, _, _), feats in zip(chunks, self._chunk_features(chunks, style), strict=True):
            with self._lock:
                self._tagger.set(feats[style])
                out[start:end] = self._current_marginals(end - start)
        return out

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
        :meth:`CharCnn.probs_batch`).  The CRF, and the encoder where it is consulted, still read chunk by
        chunk, so the spans are those :meth:`tag` gives each text alone.
        """
        if style not in TAG_STYLES:
            raise ValueError(f"unknown style {style!r}; expected one of {TAG_STYLES}")
        if tokens is not None and len(tokens) != len(texts):
            raise ValueError(f"tag_many: {len(texts)} texts but {len(tokens)} token lists")
        out: list[list[Span]] = [[] for _ in texts]
        for group in bounded_runs(self._chunks(texts, tokens), lambda chunk: chunk[2] - chunk[1], GROUP_CHARS):
            for (k, start, end, _, _), spans in zip(group, self._spans(group, style), strict=True):
                piece = texts[k][start:end]
                out[k] += [(start + s, start + e, typ) for s, e, typ in spans
                           if typ in ENTITY_TYPES and piece[s:e].strip()]
        return out

    @staticmethod
    def _chunks(texts: list[str], tokens: list[list[tuple[int, int, str, str]] | None] | None) -> list[Chunk]:
        """The non-blank chunks of *texts* (``split_chunks``), normalised, with their columns (jieba words from
        *tokens* where they tile the chunk exactly)."""
        chunks: list[Chunk] = []
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
        return chunks

    def _chunk_features(self, chunks: list[Chunk], style: str | None) -> list[dict[str | None, list[list[str]]]]:
        """:meth:`_features` of each chunk, the network under the CRF run once over all of them."""
        probs: list[dict[str, np.ndarray]] = [{} for _ in chunks]
        if self.cnn and chunks:
            probs = self.cnn.probs_batch([cols.cnn_streams(norm) for _, _, _, norm, cols in chunks])
        return [self._features(norm, cols, nn, style) for (_, _, _, norm, cols), nn in zip(chunks, probs, strict=True)]

    def _spans(self, chunks: list[Chunk], style: str | None) -> list[list[Span]]:
        """Spans of each chunk under *style* ("news": CLUENER's, plus People's Daily's where they overlap none)."""
        decoded = self._decode_all([norm for _, _, _, norm, _ in chunks], self._chunk_features(chunks, style))
        if style != "news":
            return decoded[style]
        return [sorted(first + [(s, e, typ) for s, e, typ in second if all(e <= ms or s >= me for ms, me, _ in first)])
                for first, second in zip(decoded["cluener"], decoded["pd"], strict=True)]


# Characters of chunks handled together by tag_many (kg.extract.sentences.bounded_runs): one page's windows fit in one
# group (one network pass), while the features of a multi-megabyte text are never all held at once.
GROUP_CHARS = 20_000

