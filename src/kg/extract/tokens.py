"""Word segmentation with jieba, loaded once per process with the project's user dictionary.

Why a user dictionary: jieba's default dictionary splits institutional head words (经开区 → 经/开区) and misses
new compound words; the entries in ``data/userdict.txt`` are generic head words, never names from our test pages.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib import resources

import jieba

from kg.extract import posseg

_lock = threading.Lock()
_ready = False


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    word: str
    pos: str


def _ensure_loaded() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        jieba.setLogLevel(logging.WARNING)
        userdict = resources.files("kg.extract") / "data" / "userdict.txt"
        with resources.as_file(userdict) as path:
            jieba.load_userdict(str(path))
        _ready = True


def tokenize(text: str) -> list[Token]:
    """POS-tagged tokens with offsets into ``text``."""
    _ensure_loaded()
    out: list[Token] = []
    pos = 0
    for pair in posseg.cut(text):  # jieba.posseg.cut's tokens, its HMM step vectorised
        word = pair.word
        out.append(Token(pos, pos + len(word), word, pair.flag))
        pos += len(word)
    return out
