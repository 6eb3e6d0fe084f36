"""Batched network passes under the CRF: a document's windows in one call give what each window gets alone.

The extractor tags a document as many short windows (``mentions._tag_near_cues``); the network whose outputs
feed the CRF runs once over all of them (``CrfTagger.tag_many``, ``CharCnn.probs_batch``,
``CharLstm.probs_batch``).  These tests pin that batching changes no number: against per-chunk calls, and for
the BiLSTM against a per-character loop written from the LSTM equations with torch's gate order, so a gate
reordering or a reversal slip in the vectorised pass cannot hide.  The windows are real sentences of
SogouCS news (``../shared/data/raw-news-sogou``) when that data is present, else sentences written here.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from kg.document import Source  # noqa: E402
from kg.extract.crf import charcnn  # noqa: E402
from kg.extract.crf.charcnn import STYLES, TAGS, CharCnn  # noqa: E402
from kg.extract.crf.charlstm import CharLstm  # noqa: E402
from kg.extract.crf.features import columns, normalize  # noqa: E402
from kg.extract.crf.tagger import CrfTagger  # noqa: E402
from kg.extract.sentences import bounded_runs  # noqa: E402
from kg.read import read_sources  # noqa: E402

WRITTEN = ["记者从中国工商银行获悉，该行行长陈晓明上周赴广州考察。", "张伟在北京", "北",
           "湖南省株洲市人民政府副市长李四在长沙调研并召开座谈会，市发改委负责人参加。", "", "   "]


def _news_sentences(limit: int = 12) -> list[str]:
    folder = ROOT.parent / "shared" / "data" / "raw-news-sogou"
    out: list[str] = []
    for source in read_sources(sorted(folder.glob("*.dat"))[:1]):
        if isinstance(source, Source):
            out += [s for s in re.split(r"(?<=[。！？])", source.text) if 4 <= len(s.strip()) <= 120]
            if len(out) >= limit:
                return out[:limit]
    return out


TEXTS = WRITTEN + _news_sentences()
VOCABS = [["<pad>", "<unk>", *sorted(set("".join(TEXTS)))[:300]], ["<pad>", "<unk>", "张伟", "北京"],
          ["<pad>", "<unk>", "Bnr", "Env", "Sns"], ["<pad>", "<unk>", "", "B-Place"], ["<pad>", "<unk>", ""]]
DIMS = (6, 3, 2, 2, 2)


def _embeddings(rng: np.random.Generator) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for k, (vocab, dim) in enumerate(zip(VOCABS, DIMS, strict=True)):
        arrays[f"vocab{k}"] = np.array(vocab)
        emb = rng.normal(size=(len(vocab), dim)).astype(np.float32)
        emb[0] = 0
        arrays[f"emb{k}"] = emb
    return arrays


def _tiny_lstm(path: Path, hidden: int = 4) -> dict[str, np.ndarray]:
    """Random BiLSTM weights in torch's layout (gate rows i, f, g, o), saved in CharLstm's layout."""
    rng = np.random.default_rng(11)
    arrays = _embeddings(rng)
    chans = sum(DIMS)
    torch_like = {d: (rng.normal(size=(4 * hidden, chans)), rng.normal(size=(4 * hidden, hidden)),
                      rng.normal(size=4 * hidden)) for d in (0, 1)}
    perm = np.r_[0 : 2 * hidden, 3 * hidden : 4 * hidden, 2 * hidden : 3 * hidden]
    arrays["lstm_wih"] = np.stack([torch_like[d][0][perm].T for d in (0, 1)]).astype(np.float32)
    arrays["lstm_whh"] = np.stack([torch_like[d][1][perm].T for d in (0, 1)]).astype(np.float32)
    arrays["lstm_b"] = np.stack([torch_like[d][2][perm] for d in (0, 1)]).astype(np.float32)
    arrays["head_w"] = rng.normal(size=(2 * hidden, len(STYLES) * len(TAGS))).astype(np.float32)
    arrays["head_b"] = rng.normal(size=len(STYLES) * len(TAGS)).astype(np.float32)
    np.savez(path, **arrays)
    arrays["torch_like"] = torch_like  # type: ignore[assignment]
    return arrays


def _reference_lstm(arrays: dict, streams: tuple[list[str], ...]) -> np.ndarray:
    """Per-character BiLSTM from its equations (torch gate order i, f, g, o), then the softmax heads."""
    n = len(streams[0])
    index = [{s: i for i, s in enumerate(arrays[f"vocab{k}"].tolist())} for k in range(len(streams))]
    x = [np.concatenate([arrays[f"emb{k}"][index[k].get(streams[k][i], 1)] for k in range(len(streams))])
         for i in range(n)]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    outs = []
    for d, order in ((0, range(n)), (1, range(n - 1, -1, -1))):
        w_ih, w_hh, b = arrays["torch_like"][d]
        hid = w_hh.shape[1]
        h, c = np.zeros(hid), np.zeros(hid)
        seq = [np.zeros(hid)] * n
        for i in order:
            g = w_ih @ x[i] + w_hh @ h + b
            c = sig(g[hid : 2 * hid]) * c + sig(g[:hid]) * np.tanh(g[2 * hid : 3 * hid])
            h = sig(g[3 * hid :]) * np.tanh(c)
            seq[i] = h
        outs.append(np.stack(seq) if n else np.zeros((0, hid)))
    logits = (np.concatenate(outs, axis=1) @ arrays["head_w"] + arrays["head_b"]).reshape(n, len(STYLES), len(TAGS))
    e = np.exp(logits - logits.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def _streams(text: str) -> tuple[list[str], ...]:
    norm = normalize(text)
    return columns(norm).cnn_streams(norm)


@pytest.fixture(scope="module")
def lstm(tmp_path_factory: pytest.TempPathFactory) -> tuple[CharLstm, dict]:
    path = tmp_path_factory.mktemp("lstm") / "charcnn.npz"
    arrays = _tiny_lstm(path)
    return CharLstm(path), arrays


def test_lstm_matches_its_equations(lstm: tuple[CharLstm, dict]) -> None:
    net, arrays = lstm
    for text in TEXTS:
        if not text:
            continue
        st = _streams(text)
        got = net.probs(st)
        expected = _reference_lstm(arrays, st)
        for k, style in enumerate(STYLES):
            np.testing.assert_allclose(got[style], expected[:, k], atol=1e-5, err_msg=text)


@pytest.mark.parametrize("kind", ["cnn", "lstm"])
def test_batch_equals_one_chunk_at_a_time(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "charcnn.npz"
    if kind == "lstm":
        _tiny_lstm(path)
    else:
        rng = np.random.default_rng(5)
        arrays = _embeddings(rng)
        chans = sum(DIMS)
        for k, _ in enumerate((1, 2, 4)):
            arrays[f"conv{k}_w"] = rng.normal(size=(3 * chans, 5)).astype(np.float32)
            arrays[f"conv{k}_b"] = rng.normal(size=5).astype(np.float32)
            chans = 5
        arrays["head_w"] = rng.normal(size=(5, len(STYLES) * len(TAGS))).astype(np.float32)
        arrays["head_b"] = rng.normal(size=len(STYLES) * len(TAGS)).astype(np.float32)
        arrays["dilations"] = np.array((1, 2, 4))
        np.savez(path, **arrays)
    net = charcnn.load.__wrapped__(path)
    assert isinstance(net, CharLstm if kind == "lstm" else CharCnn)
    batch = [_streams(t) for t in TEXTS]
    if kind == "lstm":
        net.group = 4  # several length-sorted groups, as a long text brings
    together = net.probs_batch(batch)
    assert len(together) == len(TEXTS)
    for text, st, got in zip(TEXTS, batch, together, strict=True):
        alone = net.probs(st)
        for style in STYLES:
            assert got[style].shape == (len(text), len(TAGS))
            np.testing.assert_allclose(got[style], alone[style], atol=1e-5, err_msg=text)


def test_tag_many_equals_tag_per_text(tmp_path: Path) -> None:
    """With a network beside the model and without one, every style: tag_many gives each text's tag()."""
    shipped = CrfTagger.load().path
    (tmp_path / shipped.name).symlink_to(shipped)
    _tiny_lstm(tmp_path / charcnn.CNN_PATH.name)
    for tagger in (CrfTagger.load(), CrfTagger(tmp_path / shipped.name)):
        for style in ("pd", "cluener", "news", None):
            many = tagger.tag_many(TEXTS, style=style)
            assert many == [tagger.tag(t, style=style) for t in TEXTS]
    assert CrfTagger(tmp_path / shipped.name).cnn is not None


def test_tag_many_in_groups_equals_one_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks are handled in groups of about GROUP_CHARS characters (so a huge text never holds all its features at
    once); with groups of a few dozen characters the spans are the same as with one group."""
    from kg.extract.crf import tagger as tagger_module

    tagger = CrfTagger.load()
    texts = [t for t in TEXTS if t.strip()] * 3
    whole = {style: tagger.tag_many(texts, style=style) for style in ("pd", "news")}
    monkeypatch.setattr(tagger_module, "GROUP_CHARS", 40)
    assert len(bounded_runs(texts, len, tagger_module.GROUP_CHARS)) > 3
    for style, expected in whole.items():
        assert tagger.tag_many(texts, style=style) == expected
    assert any(expected for expected in whole["pd"])


def test_tag_many_rejects_mismatched_tokens() -> None:
    with pytest.raises(ValueError, match="2 texts but 1 token lists"):
        CrfTagger.load().tag_many(["张伟", "北京"], style="pd", tokens=[None])


def test_one_blas_thread_inside_and_restored_after() -> None:
    from kg.extract.crf import blas

    fns = blas._openblas()
    if fns is None:
        pytest.skip("numpy here does not use OpenBLAS")
    _set_fn, get_fn = fns
    before = get_fn()
    with blas.one_thread():
        assert get_fn() == 1
    assert get_fn() == before


def test_people_over_a_document_equal_people_per_sentence() -> None:
    """The extractor's document-level call of the person tagger finds what the per-sentence call finds."""
    from kg.extract import mentions
    from kg.extract.sentences import split_sentences, to_halfwidth
    from kg.extract.tokens import tokenize

    page = (ROOT / "seeds").glob("*")
    texts = [p.read_text(encoding="utf-8") for p in sorted(page) if p.is_file() and p.suffix in {".txt", ".html"}][:1]
    sentences = []
    for text in [*texts, "".join(TEXTS)]:
        for sent in split_sentences(text):
            normalised = to_halfwidth(sent.text)
            sentences.append((normalised, tokenize(normalised)))
    assert len(sentences) > 10
    together = mentions.crf_people.over_document(sentences)
    alone = [list(mentions.crf_people(text, tokens)) for text, tokens in sentences]
    assert together == alone
    assert sum(map(len, alone)) >= 3  # real people were found, so the comparison means something
