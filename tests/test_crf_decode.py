"""The BIOES-constrained decoder of averaged tag distributions (``kg.extract.crf.decode``): the tagger's spans when
the encoder is shipped depend on it, so a slip would silently drop or break entities."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "src", ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import train_ner  # noqa: E402
from train_char_cnn import bioes_ids  # noqa: E402

from kg.extract.crf.charcnn import TAGS  # noqa: E402
from kg.extract.crf.decode import (  # noqa: E402
    CLOSES,
    FOLLOW,
    OPENS,
    averaged_tags,
    constrained_viterbi,
    constrained_viterbi_batch,
)
from kg.extract.crf.tagger import tags_to_spans  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "cluener2020" / "train.jsonl"


def valid_bioes(tags: list[str]) -> bool:
    """Every entity opens with B or S, continues with I of its type and closes with E; nothing dangles at the end."""
    open_type = None
    for tag in tags:
        kind, _, name = tag.partition("-")
        if open_type is None:
            if kind in ("I", "E"):
                return False
            open_type = name if kind == "B" else None
        else:
            if kind not in ("I", "E") or name != open_type:
                return False
            open_type = None if kind == "E" else open_type
    return open_type is None


@pytest.mark.skipif(not DATA.is_file(), reason="needs ../shared/data/cluener2020")
def test_gold_tags_of_real_sentences_survive_decoding() -> None:
    """Certain probabilities of the gold tags decode to exactly those tags, which give back the gold spans."""
    data = train_ner.load_cluener(DATA)[:500]
    assert sum(len(spans) for _, spans in data) > 500
    for text, spans in data:
        ids = bioes_ids(len(text), spans)
        tags = [TAGS[i] for i in ids]
        assert valid_bioes(tags), text
        assert sorted(tags_to_spans(tags)) == sorted(spans), text
        certain = np.full((len(text), len(TAGS)), 1e-6)
        certain[np.arange(len(text)), ids] = 1.0
        assert constrained_viterbi(np.log(certain)) == tags


def test_always_returns_well_formed_tags() -> None:
    rng = np.random.default_rng(7)
    for length in (1, 2, 5, 30):
        for _ in range(50):
            log_probs = np.log(rng.dirichlet(np.full(len(TAGS), 0.3), size=length))
            assert valid_bioes(constrained_viterbi(log_probs))
    assert constrained_viterbi(np.zeros((0, len(TAGS)))) == []


def test_repairs_an_impossible_argmax() -> None:
    """argmax would give I-Place, E-Place with no B: the decoder opens the entity instead of dropping its end."""
    index = {t: i for i, t in enumerate(TAGS)}
    probs = np.full((3, len(TAGS)), 0.01)
    probs[0, index["I-Place"]], probs[0, index["B-Place"]] = 0.6, 0.3
    probs[1, index["I-Place"]] = 0.9
    probs[2, index["E-Place"]] = 0.9
    assert constrained_viterbi(np.log(probs)) == ["B-Place", "I-Place", "E-Place"]


def test_averaging_lets_the_surer_model_win() -> None:
    """The CRF is unsure (O 0.55 vs a person 0.45), the encoder sure of the person: at weight 0.5 the person wins;
    at weight 0 the CRF alone decides."""
    index = {t: i for i, t in enumerate(TAGS)}
    crf = np.zeros((2, len(TAGS)))
    crf[:, index["O"]] = 0.55
    crf[0, index["B-Person"]] = crf[1, index["E-Person"]] = 0.45
    enc = np.zeros((2, len(TAGS)))
    enc[:, index["O"]] = 0.05
    enc[0, index["B-Person"]] = enc[1, index["E-Person"]] = 0.95
    assert averaged_tags(crf, enc, 0.5) == ["B-Person", "E-Person"]
    assert averaged_tags(crf, enc, 0.0) == ["O", "O"]


def test_batch_decoding_equals_one_at_a_time() -> None:
    """Sequences of mixed lengths (padding inside a group, and more than one group) decode as they do alone."""
    rng = np.random.default_rng(11)
    seqs = [np.log(rng.dirichlet(np.full(len(TAGS), 0.3), size=n)) for n in rng.integers(0, 40, size=150)]
    alone = []
    for s in seqs:  # reference: the textbook per-position recursion, written out here independently
        if len(s) == 0:
            alone.append([])
            continue
        score, back = np.where(OPENS, s[0], -1e9), []
        for t in range(1, len(s)):
            cand = score[:, None] + FOLLOW
            back.append(cand.argmax(0))
            score = cand.max(0) + s[t]
        path = [int(np.where(CLOSES, score, -1e9).argmax())]
        for b in reversed(back):
            path.append(int(b[path[-1]]))
        alone.append([TAGS[i] for i in reversed(path)])
    assert constrained_viterbi_batch(seqs) == alone
    assert sum(len(s) > 0 for s in seqs) > 100
