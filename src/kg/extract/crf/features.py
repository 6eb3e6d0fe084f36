"""Character-level feature extraction for the CRF named-entity tagger.

Training (``tools/train_ner.py``) and tagging (:mod:`kg.extract.crf.tagger`)
must produce *identical* features, otherwise the model silently degrades; that
is why both import everything from this one module.

Design choices (and why):

* Features are computed on a *normalised copy* of the text that has exactly the
  same length as the original (full-width ASCII to half-width, control and
  whitespace characters to a plain space).  Offsets therefore stay valid in the
  caller's original string while the model sees one canonical spelling.
* Char n-grams in a +-2 window give the bulk of the signal; jieba word
  boundaries and POS tags add a cheap "word" view that a char CRF otherwise
  lacks (they help most on People's Daily style short place names).
* Small hand-written suffix lexicons and a gazetteer of Chinese administrative
  divisions plus countries/capitals (read from the data that ``jionlp`` ships,
  nothing taken from any evaluation split) let the model generalise to names
  it never saw in training.
* Character and word classes learned from unlabelled text
  (:mod:`kg.extract.crf.clusters`) and a longest match against jieba's own
  dictionary of proper names add the word knowledge ~12k labelled sentences
  cannot give.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import jieba
import jieba.posseg
import numpy as np

from kg.extract import posseg
from kg.extract.crf import charcnn, clusters

jieba.setLogLevel(60)

# Typical last characters / words of organisations and places.  A match is a
# hint, not a decision: the CRF learns how much to trust it.
AGENCY_SUFFIXES: tuple[str, ...] = (
    "公司", "集团", "大学", "学院", "银行", "中心", "医院", "协会", "学会", "法院",
    "检察院", "政府", "委员会", "研究所", "研究院", "基金会", "电视台", "报社",
    "俱乐部", "联合会", "总局", "分局", "党委", "部队", "中学", "小学", "队",
    "局", "厅", "委", "办", "院", "会", "部", "社", "署", "所", "行", "厂", "党",
    "校", "处", "司", "台", "馆", "团", "军", "组",
)
PLACE_SUFFIXES: tuple[str, ...] = (
    "自治区", "自治州", "自治县", "特别行政区", "开发区", "新区", "省", "市", "县",
    "区", "镇", "乡", "村", "路", "街", "道", "巷", "山", "河", "湖", "江", "海",
    "岛", "州", "洲", "湾", "港", "桥", "庄", "屯", "寨", "峰", "岭", "峡", "港",
)
SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江"
    "尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐"
    "易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆"
    "农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟"
    "邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
SENTENCE_ENDS = frozenset("。！？!?；;\n\r")
SOFT_BREAKS = frozenset("，,、：:）)」』”\"' \t")
MAX_CHUNK = 200
_MAX_GAZ_LEN = 12


def normalize(text: str) -> str:
    """Return a same-length copy of *text* in a canonical spelling.

    Full-width ASCII becomes half-width, the ideographic space and every
    control/format/whitespace character becomes ' '.  Keeping the length
    fixed is what lets the tagger report offsets into the original string.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000 or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def char_type(ch: str) -> str:
    """Coarse character class; lets the model generalise over digits/latin."""
    if ch.isdigit():
        return "D"
    if ch.isascii() and ch.isalpha():
        return "L"
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return "C"
    if ch == " ":
        return "S"
    cat = unicodedata.category(ch)
    if cat.startswith("P"):
        return "P"
    return "X"


_CHAR_TYPES: dict[str, str] = {}


def _remember_type(ch: str) -> str:
    """char_type of *ch*, memoised: sent2features asks for every character of every chunk."""
    if len(_CHAR_TYPES) > 100_000:  # bound the memo on adversarial input (every code point once)
        _CHAR_TYPES.clear()
    kind = _CHAR_TYPES[ch] = char_type(ch)
    return kind


def _jionlp_dictionary_dir() -> Path | None:
    """Locate jionlp's data folder without importing jionlp (its import is slow and noisy)."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dictionary"
    return path if path.is_dir() else None


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Place names from jionlp's administrative-division and world-location tables.

    Only provinces, prefecture cities and counties (levels 0-2, full and short
    names) plus countries, capitals and major foreign cities are kept: town
    and village names are too numerous and ambiguous to help.  Returns a
    mapping name -> 'G' (Chinese division) or 'W' (world).  Missing data
    yields an empty gazetteer, which only weakens, never breaks, tagging.
    """
    names: dict[str, str] = {}
    folder = _jionlp_dictionary_dir()
    if folder is None:
        return names
    china = folder / "china_location.txt"
    if china.is_file():
        with china.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("\t\t\t"):
                    continue
                parts = line.strip().split("\t")
                for name in (parts[0], parts[2] if len(parts) > 2 else ""):
                    if 2 <= len(name) <= _MAX_GAZ_LEN:
                        names[name] = "G"
    world = folder / "world_location.txt"
    if world.is_file():
        with world.open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.strip().split("\t")
                if len(parts) < 2:
                    continue
                cands = parts[:3] + (parts[3].split("/") if len(parts) > 3 else [])
                for name in cands:
                    if 2 <= len(name) <= _MAX_GAZ_LEN and name not in names:
                        names[name] = "W"
    return names


def _first_char_index(names: dict[str, str], max_len: int) -> dict[str, tuple[int, ...]]:
    """First character -> the lengths (longest first) of the names starting with it, so a longest match
    tries only lengths that exist instead of every length up to *max_len*."""
    lengths: dict[str, set[int]] = {}
    for name in names:
        if 2 <= len(name) <= max_len:
            lengths.setdefault(name[0], set()).add(len(name))
    return {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}


def _longest_match_tags(text: str, names: dict[str, str], index: dict[str, tuple[int, ...]]) -> list[str]:
    """Left-to-right longest match of *names* (name -> kind) in *text*: 'B-kind', 'M-kind', 'E-kind' or ''."""
    tags = [""] * len(text)
    i, n = 0, len(text)
    while i < n:
        hit, kind = 0, ""
        for length in index.get(text[i], ()):
            if length <= n - i:
                kind = names.get(text[i : i + length], "")
                if kind:
                    hit = length
                    break
        if hit:
            tags[i] = "B-" + kind
            for j in range(i + 1, i + hit - 1):
                tags[j] = "M-" + kind
            tags[i + hit - 1] = "E-" + kind
            i += hit
        else:
            i += 1
    return tags


@lru_cache(maxsize=1)
def _gazetteer_index() -> dict[str, tuple[int, ...]]:
    return _first_char_index(gazetteer(), _MAX_GAZ_LEN)


def gazetteer_tags(text: str) -> list[str]:
    """Longest-match gazetteer labels per char, e.g. 'B-G', 'E-W', or ''."""
    return _longest_match_tags(text, gazetteer(), _gazetteer_index())


# jieba dictionary POS of proper names, mapped to the feature value.
_LEXICON_POS = {"ns": "ns", "nt": "nt", "nz": "nz", "nr": "nr", "nrt": "nr", "nrfg": "nr"}
_MAX_LEX_LEN = 10


@lru_cache(maxsize=1)
def _proper_names() -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """Proper-name entries of jieba's word-tag table (name -> ns/nt/nr/nz) and their first-character index."""
    names = {w: _LEXICON_POS[t] for w, t in jieba.posseg.dt.word_tag_tab.items()
             if t in _LEXICON_POS and 2 <= len(w) <= _MAX_LEX_LEN}
    return names, _first_char_index(names, _MAX_LEX_LEN)


def lexicon_tags(text: str) -> list[str]:
    """Longest-match labels ('B-ns', 'M-nt', 'E-nr', ...) from jieba's own dictionary of proper names.

    jieba's segmentation picks words by frequency and often cuts a long name
    (黔西南布依族苗族自治州) that its dictionary knows; a left-to-right longest
    match of place (ns), organisation (nt), person (nr) and other proper (nz)
    entries shows the whole name to the CRF.  The names come from the table
    ``jieba.posseg`` already holds in memory (read once, as jieba ships it).
    """
    return _longest_match_tags(text, *_proper_names())


@lru_cache(maxsize=65536)
def _suffix_kind(word: str) -> str:
    """'A' if *word* looks like an agency name ending, 'P' for a place ending, else ''."""
    if len(word) >= 2:
        for suf in AGENCY_SUFFIXES:
            if word.endswith(suf) and len(word) > len(suf):
                return "A"
        for suf in PLACE_SUFFIXES:
            if word.endswith(suf) and len(word) > len(suf):
                return "P"
    return ""


_NO_CLASSES = ("", "", "", "")


def word_info(text: str, tokens: list[tuple[str, str]] | None = None) -> tuple[
        list[str], list[str], list[str], list[str], list[tuple[str, str, str, str]]]:
    """Per-char jieba word position (B/M/E/S), POS, word string, suffix kind and word classes.

    The word classes are (coarse, fine, previous word's coarse, next word's coarse) (see :mod:`clusters`).

    ``tokens`` (word, POS) pairs the caller already has for this text save a second jieba pass, which is half the
    tagger's cost inside the extraction pipeline.  jieba returns tokens whose concatenation is the input; if they
    do not (defensive), we fall back to one-char words so features stay aligned.
    """
    n = len(text)
    pos_in_word = ["S"] * n
    pos_tag = ["x"] * n
    words = [""] * n
    suffix = [""] * n
    if tokens is None:
        tokens = [(t.word, t.flag) for t in posseg.cut(text)]
    if sum(len(w) for w, _ in tokens) != n:
        tokens = [(c, "x") for c in text]
    word_classes = clusters.load()[1]
    classes = [word_classes.get(w, ("", "")) for w, _ in tokens]
    wcl: list[tuple[str, str, str, str]] = [_NO_CLASSES] * n
    i = 0
    last = len(tokens) - 1
    for t, (word, flag) in enumerate(tokens):
        length = len(word)
        kind = _suffix_kind(word)
        shown = word if length <= 6 else ""
        around = (classes[t][0], classes[t][1], classes[t - 1][0] if t else "^", classes[t + 1][0] if t < last else "$")
        if length == 1:
            pos_in_word[i] = "S"
        else:
            pos_in_word[i : i + length] = ["B", *(["M"] * (length - 2)), "E"]
        pos_tag[i : i + length] = [flag] * length
        words[i : i + length] = [shown] * length
        suffix[i : i + length] = [kind] * length
        wcl[i : i + length] = [around] * length
        i += length
    return pos_in_word, pos_tag, words, suffix, wcl


# Features that are also emitted conjoined with the annotation style (see
# sent2features); kept small so the model stays a few MB.
_STYLED_PREFIXES = ("b", "c0=", "c-1c0=", "c0c1=", "c-1c0c1=", "w=", "wp_pos=", "gaz=", "suf=")
# The fixed first features of every char in sent2features, and the positions of the styled ones among them.
_FIXED = ("b", "c0=", "c-1=", "c1=", "c-2=", "c2=", "c-2c-1=", "c-1c0=", "c0c1=", "c1c2=", "c-1c0c1=", "c-2c-1c0=",
          "c0c1c2=", "t0=", "t-1t0t1=", "wp=", "pos=", "wp_pos=", "pos-1=", "pos+1=", "gaz=", "lex=", "suf=")
_STYLED_AT = tuple(k for k, name in enumerate(_FIXED) if name.startswith(_STYLED_PREFIXES))
STYLES = ("cluener", "pd")


class Columns(NamedTuple):
    """Per-character word and dictionary views of one normalised text, shared by the CRF features and the CNN."""

    wpos: list[str]
    ptag: list[str]
    words: list[str]
    suffix: list[str]
    wcl: list[tuple[str, str, str, str]]
    gaz: list[str]
    lex: list[str]

    def cnn_streams(self, text: str) -> tuple[list[str], ...]:
        """The character CNN's input symbols (see :mod:`kg.extract.crf.charcnn`)."""
        return charcnn.input_keys(text, [a + b for a, b in zip(self.wpos, self.ptag, strict=True)], self.gaz,
                                  self.lex)


def columns(text: str, tokens: list[tuple[str, str]] | None = None) -> Columns:
    """jieba word views (see :func:`word_info`), gazetteer and lexicon tags of normalised *text*."""
    return Columns(*word_info(text, tokens), gazetteer_tags(text), lexicon_tags(text))


def sent2features(text: str, style: str | None = None, tokens: list[tuple[str, str]] | None = None,
                  nn: np.ndarray | None = None, cols: Columns | None = None) -> list[list[str]]:
    """Feature strings for each character of one (already short) sentence.

    *text* should be the normalised text (see :func:`normalize`); the
    returned list has exactly ``len(text)`` items.

    *style* names an annotation convention ("cluener" or "pd").  CLUENER and
    People's Daily disagree on what is an entity (People's Daily tags every
    country/city mention such as 美国 in 美国总统, CLUENER mostly does not),
    so a single feature set cannot fit both.  Following "frustratingly easy
    domain adaptation" (Daume 2007), each training sentence gets a copy of
    its key features conjoined with its corpus' style; the shared copy learns
    what the corpora agree on.  At tagging time ``style=None`` uses only the
    shared features, while a style adds that convention's corrections.

    *nn* is the character CNN's (len, tags) probability array for this style (:mod:`charcnn`); its best tags
    become features.  *cols* are the :func:`columns` of *text* if the caller already computed them.
    """
    n = len(text)
    if n == 0:
        return []
    padded = "\x02\x02" + text + "\x03\x03"
    wpos, ptag, words, suffix, wcl, gaz, lex = cols if cols is not None else columns(text, tokens)
    char_classes = clusters.load()[0]
    ccl = [char_classes.get(c, ("", "")) for c in text]
    known = _CHAR_TYPES
    types = [known.get(c) or _remember_type(c) for c in text]
    tails = _suffix_features(text)
    feats: list[list[str]] = []
    for i in range(n):
        p = i + 2
        c_2, c_1, c0, c1, c2 = padded[p - 2], padded[p - 1], padded[p], padded[p + 1], padded[p + 2]
        f = [
            "b",
            "c0=" + c0,
            "c-1=" + c_1,
            "c1=" + c1,
            "c-2=" + c_2,
            "c2=" + c2,
            "c-2c-1=" + c_2 + c_1,
            "c-1c0=" + c_1 + c0,
            "c0c1=" + c0 + c1,
            "c1c2=" + c1 + c2,
            "c-1c0c1=" + c_1 + c0 + c1,
            "c-2c-1c0=" + c_2 + c_1 + c0,
            "c0c1c2=" + c0 + c1 + c2,
            "t0=" + types[i],
            "t-1t0t1=" + (types[i - 1] if i > 0 else "^") + types[i] + (types[i + 1] if i + 1 < n else "$"),
            "wp=" + wpos[i],
            "pos=" + ptag[i],
            "wp_pos=" + wpos[i] + ptag[i],
            "pos-1=" + (ptag[i - 1] if i > 0 else "^"),
            "pos+1=" + (ptag[i + 1] if i + 1 < n else "$"),
            "gaz=" + gaz[i],
            "lex=" + lex[i],
            "suf=" + suffix[i] + wpos[i],
        ]
        if words[i]:
            f.append("w=" + words[i])
        # the features add_style conjoins with the style, picked by position (much faster than its prefix test;
        # tests/test_crf_tagger.py checks that both give the same lists)
        styled = [f[k] for k in _STYLED_AT] + f[len(_FIXED) :] if style else []
        # character classes of c-1, c0, c1 (coarse; c0 also fine) and of the pairs around c0
        cc_1 = ccl[i - 1][0] if i > 0 else "^"
        cc1 = ccl[i + 1][0] if i + 1 < n else "$"
        f += [
            "kc0=" + ccl[i][1],
            "kC0=" + ccl[i][0],
            "kC-1=" + cc_1,
            "kC1=" + cc1,
            "kC-1C0=" + cc_1 + "_" + ccl[i][0],
            "kC0C1=" + ccl[i][0] + "_" + cc1,
        ]
        # classes of this jieba word (with the char's position in it) and of its neighbours
        wc, wf, wprev, wnext = wcl[i]
        if wc:
            f += ["kw=" + wpos[i] + wf, "kW=" + wpos[i] + wc]
        f += ["kW-1=" + wprev, "kW+1=" + wnext]
        if c0 in SURNAMES:
            f.append("sur=" + wpos[i])
        if i + 1 < n and c1 in SURNAMES:
            f.append("sur+1")
        if tails[i]:
            f += tails[i]
        if style:
            f += [style + "|" + x for x in styled]
        feats.append(f)
    if nn is not None:
        for f, extra in zip(feats, charcnn.nn_features(nn), strict=True):
            f += extra
    return feats


def _suffix_features(text: str) -> list[list[str]]:
    """Per char, 'asufL'/'psufL' when the L (1-3) characters ending there are an agency/place suffix (set lookups,
    in the order sent2features has always emitted them)."""
    tails: list[list[str]] = [[] for _ in text]
    for i in range(len(text)):
        for suf_len in (1, 2, 3):
            if i + 1 >= suf_len:
                tail = text[i - suf_len + 1 : i + 1]
                if tail in _AGENCY_SET:
                    tails[i].append(_ASUF[suf_len])
                if tail in _PLACE_SET:
                    tails[i].append(_PSUF[suf_len])
    return tails


_AGENCY_SET = frozenset(AGENCY_SUFFIXES)
_PLACE_SET = frozenset(PLACE_SUFFIXES)
_ASUF = {k: "asuf" + str(k) for k in (1, 2, 3)}
_PSUF = {k: "psuf" + str(k) for k in (1, 2, 3)}


def add_style(feats: list[list[str]], style: str) -> list[list[str]]:
    """Copy of *feats* with the key features also conjoined with *style* (see sent2features).

    Separate from sent2features so the tagger can compute the expensive base
    features once and decode under several styles.
    """
    return [f + [style + "|" + x for x in f if x.startswith(_STYLED_PREFIXES)] for f in feats]


def split_chunks(text: str, max_len: int = MAX_CHUNK) -> list[tuple[int, int]]:
    """Split *text* into (start, end) pieces of at most *max_len* chars.

    Cuts after sentence-ending punctuation; a piece still longer than
    *max_len* is cut at its last soft break (comma, space, ...) inside the
    window, or hard-cut if there is none.  This bounds the CRF's per-call
    cost, so tagging time grows linearly with input length.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch in SENTENCE_ENDS:
            spans.append((start, i + 1))
            start = i + 1
    if start < n:
        spans.append((start, n))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while e - s > max_len:
            cut = 0
            for j in range(s + max_len - 1, s + max_len // 2, -1):
                if text[j] in SOFT_BREAKS:
                    cut = j + 1
                    break
            if not cut:
                cut = s + max_len
            out.append((s, cut))
            s = cut
        if e > s:
            out.append((s, e))
    return out
