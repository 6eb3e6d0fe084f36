"""Traditional to simplified Chinese for extraction, without moving a single offset.

Why: the extractor's dictionaries, CRF model and rules are simplified Chinese (People's Daily, CLUENER, jieba), so
``臺灣軟體開發者`` finds little until it reads ``台湾软体开发者``.  Every offset in the pipeline (mentions, evidence,
``kg extract`` output) points into the text, so the conversion must keep the length: OpenCC's ``t2s`` phrase
conversion is used when the result has the input's length, else its character-level conversion (each character
converted alone, which OpenCC's character table maps one to one).  The original text is kept in
``Source.original_text`` so that labels can keep what the page said (as an alias).

Only text that *is* traditional is converted (``auto``): a simplified page converted character by character could
only lose (a handful of characters are valid in both scripts).
"""

from __future__ import annotations

import functools
import re

# Share of Han characters that OpenCC changes above which a text is traditional.  Simplified news scores 0-0.2 %
# (variants such as 乾/于 in names), traditional news 15-30 %.
TRADITIONAL_RATIO = 0.03
MIN_CHANGED = 2

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=1)
def _converter():
    try:
        import opencc
    except ImportError:
        return None
    try:
        return opencc.OpenCC("t2s")
    except Exception:  # a broken installation (missing dictionaries) means "cannot convert", not a crash
        return None


def available() -> bool:
    return _converter() is not None


@functools.lru_cache(maxsize=65536)
def _char(ch: str) -> str:
    converted = _converter().convert(ch)
    return converted if len(converted) == 1 else ch


def char_table(text: str) -> dict[int, str]:
    """The characters of ``text`` that OpenCC converts one to one, as a ``str.translate`` table."""
    if _converter() is None:
        return {}
    table = {}
    for ch in set(_HAN.findall(text)):
        simple = _char(ch)
        if simple != ch:
            table[ord(ch)] = simple
    return table


def is_traditional(text: str) -> bool:
    han = _HAN.findall(text[:20000])
    if not han or _converter() is None:
        return False
    changed = sum(1 for ch in han if _char(ch) != ch)
    return changed >= MIN_CHANGED and changed / len(han) >= TRADITIONAL_RATIO


def to_simplified(text: str) -> str:
    """``text`` in simplified characters, always of the same length (``text`` itself without OpenCC)."""
    converter = _converter()
    if converter is None or not text:
        return text
    phrased = converter.convert(text)
    if len(phrased) == len(text) and _aligned(text, phrased):
        return phrased
    return text.translate(char_table(text))


def _aligned(text: str, converted: str) -> bool:
    """Whether a same-length conversion changed Han characters only, each in place (no phrase grew where another
    shrank): everything else, punctuation above all, must sit where it was."""
    return all(a == b or (_HAN.match(a) and _HAN.match(b)) for a, b in zip(text, converted, strict=True))


__all__ = ["available", "is_traditional", "to_simplified"]
