"""Training the networks under the CRF (tools/train_char_cnn.py, ARCH "lstm" and "cnn"): the numpy export matches torch.

A few real CLUENER2020 training sentences, one short epoch: ``train`` itself compares the exported numpy pass with
torch's on the first sentences and raises if they differ, so a gate-order or direction slip in the export fails
here.  Also checks that pretrained character vectors really initialise the embedding rows.  Needs torch (the
``train`` extra) and ``../shared/data``; skipped without them.
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

torch = pytest.importorskip("torch")
DATA = ROOT.parent / "shared" / "data" / "cluener2020" / "train.jsonl"


@pytest.mark.skipif(not DATA.is_file(), reason="needs ../shared/data/cluener2020")
def test_lstm_trains_and_exports_like_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import train_char_cnn as cnn
    import train_ner

    from kg.extract.crf.charlstm import CharLstm

    data = train_ner.load_cluener(DATA)[:40]
    samples = cnn.as_samples(data, "cluener")
    units = sorted({ch for text, _, _ in samples for ch in text})[:50]
    vectors = np.random.default_rng(3).standard_normal((len(units), cnn.EMB[0])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    monkeypatch.setattr(cnn, "ARCH", "lstm")
    monkeypatch.setattr(cnn, "PRETRAINED", (units, vectors))
    monkeypatch.setattr(cnn, "LSTM_HIDDEN", 8)
    monkeypatch.setattr(cnn, "MIN_COUNT", (1, 1, 1, 1, 1))
    arrays = cnn.train(samples, epochs=1)  # raises if numpy and torch disagree
    net = cnn.save(arrays, tmp_path / "charcnn.npz")
    assert isinstance(net, CharLstm)
    assert arrays["lstm_whh"].shape == (2, 8, 32)
    probs = net.probs(cnn.streams(samples[0][0]))["cluener"]
    assert probs.shape == (len(samples[0][0]), len(cnn.TAGS))
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    # a character with a pretrained vector keeps its direction after one short epoch of fine-tuning
    vocab = arrays["vocab0"].tolist()
    shared = [u for u in units if u in vocab]
    assert shared
    rows = arrays["emb0"][[vocab.index(u) for u in shared]]
    start = vectors[[units.index(u) for u in shared]]
    cosine = (rows * start).sum(axis=1) / np.linalg.norm(rows, axis=1)
    assert float(np.median(cosine)) > 0.8


@pytest.mark.skipif(not DATA.is_file(), reason="needs ../shared/data/cluener2020")
def test_cnn_trains_and_exports_like_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dilated CNN shares the training step and the embedding export with the BiLSTM: one short epoch, and
    ``train``'s own check that numpy and torch agree."""
    import train_char_cnn as cnn
    import train_ner

    from kg.extract.crf.charcnn import CharCnn

    samples = cnn.as_samples(train_ner.load_cluener(DATA)[:40], "cluener")
    monkeypatch.setattr(cnn, "ARCH", "cnn")
    monkeypatch.setattr(cnn, "MIN_COUNT", (1, 1, 1, 1, 1))
    arrays = cnn.train(samples, epochs=1)  # raises if numpy and torch disagree
    net = cnn.save(arrays, tmp_path / "charcnn.npz")
    assert isinstance(net, CharCnn)
    probs = net.probs(cnn.streams(samples[0][0]))["cluener"]
    assert probs.shape == (len(samples[0][0]), len(cnn.TAGS))
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
