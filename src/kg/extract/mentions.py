"""Finding entity mentions: candidate spans from several recognisers, then the longest well-formed name wins.

Recognisers are small and independent (the spaCy idea of pipeline components): each proposes ``Mention`` candidates
with the name of the rule that found it, and :func:`resolve_overlaps` keeps a consistent, non-overlapping set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from kg.document import Mention
from kg.extract.lexicon import NOT_NAMES, NOT_PERSON, POST_TITLES, SUFFIXES_BY_TYPE, SURNAMES
from kg.extract.tokens import Token

Recogniser = Callable[[str, list[Token]], Iterable[Mention]]

MAX_NAME_CHARS = 24
# POS tags of tokens that may stand inside a compound name before its head word.
NAME_PARTS = {"ns", "nr", "nrt", "nrfg", "nt", "nz", "n", "nw", "j", "eng", "ng", "an", "vn", "b", "f", "s", "m",
              "l", "i", "x"}
# Words that never stand inside a name even when tagged as nouns.
BREAKERS = set("的和与及或在对向把被从为将等了是着过也都而并")
PUNCT = re.compile(r"[\s，。、；：！？,.;:!?“”‘’\"'（）()《》〈〉【】\[\]…—\-/·]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _suffix_type(word: str) -> tuple[str, str] | None:
    """The entity type and head word a token ends with, longest head word first across all types."""
    best: tuple[str, str] | None = None
    for type_name, suffixes in SUFFIXES_BY_TYPE.items():
        for suffix in suffixes:
            if word.endswith(suffix) and (best is None or len(suffix) > len(best[1])):
                best = (type_name, suffix)
                break
    return best


def suffix_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Compound names closed by a head word: extend left from the head over name-like tokens."""
    for i, tok in enumerate(tokens):
        found = _suffix_type(tok.word)
        if found is None:
            continue
        type_name, suffix = found
        if tok.word != suffix and tok.pos.startswith(("v", "l", "d", "a", "p", "c", "r")):
            continue  # 出席会议 is a verb phrase, not a name ending in 会议
        start = tok.start
        j = i - 1
        parts = 1
        while j >= 0 and parts < 6:
            prev = tokens[j]
            if (prev.pos not in NAME_PARTS or PUNCT.fullmatch(prev.word[-1]) or prev.word in BREAKERS
                    or (not CJK.search(prev.word) and prev.pos not in {"eng", "m"})
                    or tok.end - prev.start > MAX_NAME_CHARS):
                break
            if prev.word.startswith("该") or prev.word in {"全", "各", "本", "我", "其"}:
                break
            if (prev.pos in {"nr", "nrfg", "nrt"} and _suffix_type(prev.word) is None) or prev.word in POST_TITLES:
                break  # a person or a post title ends the name before it: 厅长李明 | 出席…
            start = prev.start
            parts += 1
            j -= 1
        name = text[start:tok.end]
        body = name[: len(name) - len(suffix)]
        if name in NOT_NAMES or len(name) < 2 or not CJK.search(body):
            continue
        if len(suffix) == 1 and len(body) < 2:
            continue
        if (body and body[-1].isdigit()) or name[0].isdigit():
            continue
        yield Mention(start, tok.end, name, type_name, source="suffix")


def jieba_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Single-word names that jieba tags: people (nr with a surname), places (ns), organisations (nt)."""
    for tok in tokens:
        word = tok.word
        if tok.pos in {"nr", "nrfg"} and 2 <= len(word) <= 4 and word not in NOT_PERSON:
            if word[:1] in SURNAMES or word[:2] in SURNAMES:
                yield Mention(tok.start, tok.end, word, "Person", source="jieba")
        elif tok.pos == "ns" and len(word) >= 2 and word not in NOT_NAMES:
            yield Mention(tok.start, tok.end, word, "Place", source="jieba")
        elif tok.pos == "nt" and len(word) >= 2 and word not in NOT_NAMES:
            yield Mention(tok.start, tok.end, word, "Agency", source="jieba")


_QUOTED = re.compile(r"“([^“”\n]{1,30})”")


def quoted_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """A quoted title followed by a head word: “童说炎帝”抖音大赛 is one Event."""
    for match in _QUOTED.finditer(text):
        tail_start = match.end()
        tail = text[tail_start: tail_start + 10]
        best = None
        for k in range(1, len(tail) + 1):
            piece = tail[:k]
            if PUNCT.search(piece[-1]):
                break
            found = _suffix_type(piece)
            if found and found[0] in {"Event", "Project"}:
                best = (k, found[0])
        if best:
            end = tail_start + best[0]
            yield Mention(match.start(), end, text[match.start(): end], best[1], source="quoted")


_BYLINE = re.compile(
    r"(记者|通讯员|实习生|见习记者|特约记者|责任编辑|编辑)\s*[/／:：]?\s*((?:[\u4e00-\u9fff]{2,4}[\s、，,]*)+)"
)


def byline_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Names after a byline role (记者/李逸峰 通讯员/文石金 李波): people, whatever jieba thinks of them."""
    for match in _BYLINE.finditer(text):
        pos = match.start(2)
        for name in re.split(r"[\s、，,]+", match.group(2)):
            idx = text.find(name, pos)
            if 2 <= len(name) <= 3 and (name[0] in SURNAMES or name[:2] in SURNAMES) and idx >= 0:
                yield Mention(idx, idx + len(name), name, "Person", source="byline")
            pos = idx + len(name) if idx >= 0 else pos


DEFAULT_RECOGNISERS: tuple[Recogniser, ...] = (byline_names, quoted_names, suffix_names, jieba_names)

_PRIORITY = {"byline": 4, "quoted": 3, "crf": 2, "suffix": 2, "jieba": 1}


def resolve_overlaps(candidates: Iterable[Mention]) -> list[Mention]:
    """Keep the longest candidates (then the most trusted source) so that no two kept mentions overlap."""
    ranked = sorted(candidates, key=lambda m: (-(m.end - m.start), -_PRIORITY.get(m.source, 0), m.start))
    taken: list[Mention] = []
    occupied = bytearray()
    for mention in ranked:
        if mention.end > len(occupied):
            occupied.extend(b"\0" * (mention.end - len(occupied)))
        if any(occupied[mention.start: mention.end]):
            continue
        occupied[mention.start: mention.end] = b"\1" * (mention.end - mention.start)
        taken.append(mention)
    return sorted(taken, key=lambda m: m.start)
