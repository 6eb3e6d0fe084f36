"""Sentence splitting for Chinese news.

Why not split on every 。: a sentence end inside quotes or brackets (“……。”) belongs to the sentence around it,
and closing quotes after the stop belong to the sentence they close.  Offsets always point into the original text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from kg.document import Sentence

T = TypeVar("T")

ENDERS = set("。！？!?；;\n")
OPENERS = {"“": "”", "‘": "’", "（": "）", "(": ")", "《": "》", "「": "」", "『": "』", "【": "】"}
CLOSERS = set(OPENERS.values())
MAX_SENTENCE = 500  # hard cap so that one unpunctuated 5 MB line still splits into bounded pieces


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth > 0:
            depth -= 1
        end_here = ch == "\n" or (ch in ENDERS and depth == 0) or i - start + 1 >= MAX_SENTENCE
        if ch == "\n" or (ch in ENDERS and depth > 0 and i + 1 < n and text[i + 1] == "\n"):
            depth = 0  # an unclosed quote never swallows the next paragraph
            end_here = True
        if end_here:
            j = i + 1
            while j < n and text[j] in CLOSERS and depth > 0:
                depth -= 1
                j += 1
            while j < n and text[j] in CLOSERS:
                j += 1
            _append(sentences, text, start, j)
            start = j
            i = j
            continue
        i += 1
    _append(sentences, text, start, n)
    return sentences


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    """Add text[start:end] trimmed of surrounding white space, if anything is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start=start, end=end, text=text[start:end]))


_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and ASCII punctuation as half-width, one character for one (offsets unchanged).

    Archives write ２０１２ and ＶＩＰ; jieba and the rules see 2012 and VIP, while mentions keep the original text.
    Full-width Chinese punctuation (，。：) has no half-width twin in this range except the ASCII-like ones
    (！？（）：；，), which become their ASCII forms — the rules treat both alike.
    """
    return text.translate(_HALFWIDTH)


def bounded_runs(items: Sequence[T], size: Callable[[T], int], limit: int) -> list[list[T]]:
    """Consecutive runs of *items* whose sizes add up to at most about *limit*; a run is never empty (an item
    larger than the limit is a run of its own).  Batches text so a page is one batch and megabytes are many."""
    runs: list[list[T]] = []
    total = 0
    for item in items:
        n = size(item)
        if not runs or total + n > limit:
            runs.append([])
            total = 0
        runs[-1].append(item)
        total += n
    return runs
