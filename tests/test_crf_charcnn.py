"""Tests for the character CNN under the CRF (kg.extract.crf.charcnn): its numpy forward pass and its features.

The forward pass is checked against a plain per-position loop written from the definition of a dilated
convolution (zero padding at both ends of a chunk, taps left/centre/right), so a layout or tap-order slip in the
vectorised code cannot hide.  (tools/train_char_cnn.py checks the export against torch itself at training time.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from kg.extract.crf import charcnn  # noqa: E402
from kg.extract.crf.charcnn import STYLES, TAGS, CharCnn, nn_features  # noqa: E402
from kg.extract.crf.features import columns, normalize, sent2features  # noqa: E402
from kg.extract.crf.tagger import CrfTagger  # noqa: E402


def _tiny_network(path: Path, hidden: int = 5, dilations: tuple[int, ...] = (1, 2, 4)) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    vocabs = [["<pad>", "<unk>", "张", "伟", "在", "北", "京"], ["<pad>", "<unk>", "张伟"], ["<pad>", "<unk>", "Bnr"],
              ["<pad>", "<unk>", ""], ["<pad>", "<unk>", ""]]
    dims = (4, 3, 2, 2, 2)
    arrays: dict[str, np.ndarray] = {}
    for k, (vocab, dim) in enumerate(zip(vocabs, dims, strict=True)):
        arrays[f"vocab{k}"] = np.array(vocab)
        arrays[f"emb{k}"] = rng.normal(size=(len(vocab), dim)).astype(np.float32)
    chans = sum(dims)
    for k, _ in enumerate(dilations):
        arrays[f"conv{k}_w"] = rng.normal(size=(3 * chans, hidden)).astype(np.float32)
        arrays[f"conv{k}_b"] = rng.normal(size=hidden).astype(np.float32)
        chans = hidden
    arrays["head_w"] = rng.normal(size=(hidden, len(STYLES) * len(TAGS))).astype(np.float32)
    arrays["head_b"] = rng.normal(size=len(STYLES) * len(TAGS)).astype(np.float32)
    arrays["dilations"] = np.array(dilations)
    np.savez(path, **arrays)
    return arrays


def _reference_probs(arrays: dict[str, np.ndarray], streams: tuple[list[str], ...]) -> np.ndarray:
    n = len(streams[0])
    vocabs = [{s: i for i, s in enumerate(arrays[f"vocab{k}"].tolist())} for k in range(len(streams))]
    x = [np.concatenate([arrays[f"emb{k}"][vocabs[k].get(streams[k][i], 1)] for k in range(len(streams))])
         for i in range(n)]
    for layer, d in enumerate(arrays["dilations"].tolist()):
        w, b = arrays[f"conv{layer}_w"], arrays[f"conv{layer}_b"]
        chans = w.shape[0] // 3
        out = []
        for i in range(n):
            acc = b.copy()
            for tap, j in enumerate((i - d, i, i + d)):
                if 0 <= j < n:
                    acc = acc + x[j] @ w[tap * chans : (tap + 1) * chans]
            y = np.maximum(acc, 0)
            out.append(y if layer == 0 else x[i] + y)
        x = out
    logits = np.stack(x) @ arrays["head_w"] + arrays["head_b"]
    logits = logits.reshape(n, len(STYLES), len(TAGS))
    e = np.exp(logits - logits.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


@pytest.mark.parametrize("text", ["张伟在北京", "张", "北京北京北京张伟在在在北京京"])
def test_forward_matches_per_position_definition(tmp_path: Path, text: str) -> None:
    arrays = _tiny_network(tmp_path / "tiny.npz")
    net = CharCnn(tmp_path / "tiny.npz")
    streams = charcnn.input_keys(text, ["Bnr"] * len(text), [""] * len(text), [""] * len(text))
    got = net.probs(streams)
    expected = _reference_probs(arrays, streams)
    for k, style in enumerate(STYLES):
        assert got[style].shape == (len(text), len(TAGS))
        np.testing.assert_allclose(got[style], expected[:, k], atol=1e-5)


def test_nn_features_name_best_tag_confidence_and_neighbours() -> None:
    p = np.full((3, len(TAGS)), 0.01)
    p[0, TAGS.index("B-Person")] = 0.95
    p[1, TAGS.index("E-Person")] = 0.7
    p[2, TAGS.index("O")] = 0.4
    p[2, TAGS.index("S-Place")] = 0.3
    feats = nn_features(p)
    assert len(feats) == 3
    assert {"nn=B-Person", "nnc=B-Personh", "nn-1=^", "nn+1=E-Person"} <= set(feats[0])
    assert {"nn=E-Person", "nnc=E-Personm", "nn-1=B-Person", "nn+1=O"} <= set(feats[1])
    assert "nn2=S-Place" in feats[2]
    assert {"nn=O", "nnc=Ol", "nn+1=$", "nn-2=B-Person", "nn+2=$"} <= set(feats[2])
    assert not any(f.startswith("nn2=") for f in feats[0])  # runner-up far behind


def test_missing_network_file_means_no_network(tmp_path: Path) -> None:
    assert charcnn.load(tmp_path / "none.npz") is None


def test_tagger_uses_the_network_beside_its_model(tmp_path: Path) -> None:
    """A model directory with charcnn.npz gets the network's features in every style; one without runs without."""
    shipped = CrfTagger.load().path
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    (tmp_path / "with" / shipped.name).symlink_to(shipped)
    (tmp_path / "without" / shipped.name).symlink_to(shipped)
    _tiny_network(tmp_path / "with" / charcnn.CNN_PATH.name)
    assert CrfTagger(tmp_path / "without" / shipped.name).cnn is None
    tagger = CrfTagger(tmp_path / "with" / shipped.name)
    assert tagger.cnn is not None
    text = "记者从中国工商银行获悉，该行行长陈晓明上周赴广州考察。"
    for style in ("cluener", "pd", "news", None):
        for s, e, t in tagger.tag(text, style=style):
            assert 0 <= s < e <= len(text) and t in {"Person", "Place", "Agency"}
    norm = normalize(text)
    probs = tagger.cnn.probs(columns(norm).cnn_streams(norm))
    feats = sent2features(norm, "pd", nn=probs["pd"])
    assert len(feats) == len(text)
    assert all(sum(f.startswith("nn=") for f in row) == 1 for row in feats)
