"""The fine-tuned encoder averaged with the CRF (``kg.extract.crf.encoder``, ``CrfTagger`` with ``encoder.onnx``).

What a user relies on: the shipped file opens and gives a probability distribution per character and style; the
tagger consults it where the CRF is unsure and so finds entities the CRF alone gets wrong (measured here on real
held-out CLUENER and People's Daily sentences); a model directory without the file still tags (the CRF alone);
and a damaged file is an error that names it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "src", ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from kg.extract.crf import encoder  # noqa: E402
from kg.extract.crf.charcnn import STYLES, TAGS  # noqa: E402
from kg.extract.crf.features import columns, normalize  # noqa: E402
from kg.extract.crf.tagger import ENCODER_GATE, CrfTagger, tags_to_spans  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="module")
def shipped() -> encoder.Encoder:
    enc = encoder.load()
    assert enc is not None, f"the package ships {encoder.DEFAULT_PATH}"
    return enc


def _alone(tmp_path: Path) -> CrfTagger:
    """The shipped CRF and network without the encoder (a model directory that lacks encoder.onnx)."""
    model = CrfTagger.load().path
    for name in (model.name, "charcnn.npz"):
        (tmp_path / name).symlink_to(model.with_name(name))
    return CrfTagger(tmp_path / model.name)


def test_probabilities_per_character_and_style(shipped: encoder.Encoder) -> None:
    text = "湖南省株洲市人民政府副市长李四在长沙调研，ＡＢＣ公司 CEO 王五陪同。"
    probs = shipped.probs(normalize(text))
    assert set(probs) == set(STYLES)
    for p in probs.values():
        assert p.shape == (len(text), len(TAGS))
        assert np.allclose(p.sum(1), 1.0, atol=1e-4)
    best = [TAGS[i] for i in probs["pd"].argmax(1)]
    assert best[text.index("李四")] == "B-Person" and best[text.index("李四") + 1] == "E-Person"
    assert shipped.probs("")["cluener"].shape == (0, len(TAGS))


def test_text_longer_than_the_positions_is_read_in_pieces(shipped: encoder.Encoder) -> None:
    text = "株洲市人民政府副市长李四在长沙调研。" * 40  # 720 characters; the model has 254 positions
    probs = shipped.probs(text)["pd"]
    assert probs.shape == (len(text), len(TAGS)) and np.allclose(probs.sum(1), 1.0, atol=1e-4)
    n = shipped.max_len
    assert np.array_equal(probs[:n], shipped.probs(text[:n])["pd"])


def test_characters_map_to_their_own_ids(shipped: encoder.Encoder) -> None:
    ids = shipped.token_ids("株洲 A a\x00㐀")
    assert len(ids) == 8 and ids[6] == shipped.unk
    assert ids[2] == ids[4] == shipped.space and ids[3] == ids[5]  # spaces; upper and lower case alike
    assert ids[0] != shipped.unk and ids[1] != shipped.unk


@pytest.mark.skipif(not (DATA / "cluener2020").is_dir(), reason="needs ../shared/data")
def test_the_encoder_lifts_held_out_f1_over_the_crf_alone(tmp_path: Path) -> None:
    """On held-out sentences the models never trained on, the averaged tagger scores higher than the CRF alone
    (full sets: CLUENER 0.787 -> 0.812, People's Daily 0.827 -> 0.863; MODEL.md)."""
    import train_ner

    ds = train_ner.datasets()
    with_encoder, alone = CrfTagger.load(), _alone(tmp_path)
    assert with_encoder.encoder is not None and alone.encoder is None
    for part, style in (("cluener_heldout", "cluener"), ("pd_heldout", "pd")):
        sample = ds[part][:400]
        gold = [spans for _, spans in sample]
        f1 = [train_ner.score(gold, [t.tag(text, style=style) for text, _ in sample])["micro"]["f1"]
              for t in (alone, with_encoder)]
        assert f1[1] > f1[0] + 0.01, (part, f1)


def _crf_path(tagger: CrfTagger, text: str, style: str) -> tuple[list[str], float]:
    """The CRF's own best tags for one short text and their probability (what the gate looks at)."""
    text = normalize(text)
    cols = columns(text)
    probs = tagger.cnn.probs_batch([cols.cnn_streams(text)])[0]
    tags = tagger._tagger.tag(tagger._features(text, cols, probs, style)[style])
    return list(tags), tagger._tagger.probability(tags)


SENTENCES = ["今天天气很好。", "记者从中国工商银行获悉，该行行长陈晓明上周赴广州考察。", "张伟在北京",
             "湖南省株洲市人民政府副市长李四在长沙调研并召开座谈会，市发改委负责人参加。"]


def test_encoder_is_consulted_only_where_the_crf_is_unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks whose best CRF path is at least ENCODER_GATE likely keep the CRF's spans and cost no encoder run."""
    tagger = CrfTagger.load()
    seen: list[str] = []
    real = tagger.encoder.probs
    monkeypatch.setattr(tagger.encoder, "probs", lambda text: seen.append(text) or real(text))
    found = tagger.tag_many(SENTENCES, style="pd")
    unsure = [text for text in SENTENCES if _crf_path(tagger, text, "pd")[1] < ENCODER_GATE]
    assert seen == [normalize(text) for text in unsure] and 0 < len(unsure) < len(SENTENCES)
    for text, spans in zip(SENTENCES, found, strict=True):
        if text not in unsure:
            assert spans == tags_to_spans(_crf_path(tagger, text, "pd")[0])


def test_model_directory_without_the_encoder_tags_with_the_crf_alone(tmp_path: Path) -> None:
    tagger = _alone(tmp_path)
    assert tagger.encoder is None
    for text in SENTENCES:
        for style in ("cluener", "pd"):
            assert tagger.tag(text, style=style) == tags_to_spans(_crf_path(tagger, text, style)[0])


def test_damaged_encoder_file_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "encoder.onnx"
    bad.write_bytes(b"not an onnx graph")
    with pytest.raises(ValueError, match=r"encoder\.onnx"):
        encoder.Encoder(bad)
    model = CrfTagger.load().path
    (tmp_path / model.name).symlink_to(model)
    with pytest.raises(ValueError, match="not a kg encoder model"):
        CrfTagger(tmp_path / model.name)
    with pytest.raises(FileNotFoundError, match=r"missing\.onnx"):
        encoder.Encoder(tmp_path / "missing.onnx")


def test_crf_marginals_are_distributions_and_name_a_bad_style() -> None:
    tagger = CrfTagger.load()
    text = "记者从中国工商银行获悉，该行行长陈晓明上周赴广州考察。\n\n"
    marginals = tagger.marginals(text, "pd")
    assert marginals.shape == (len(text), len(TAGS)) and np.allclose(marginals.sum(1), 1.0, atol=1e-6)
    assert marginals[-1, 0] == 1.0  # the blank end is certain O
    with pytest.raises(ValueError, match="unknown style 'news'"):
        tagger.marginals(text, "news")
