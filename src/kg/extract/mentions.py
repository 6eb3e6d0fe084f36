"""Finding entity mentions: candidate spans from several recognisers, then the longest well-formed name wins.

Recognisers are small and independent (the spaCy idea of pipeline components): each proposes ``Mention`` candidates
with the name of the rule that found it, and :func:`resolve_overlaps` keeps a consistent, non-overlapping set.
Every rule works from generic evidence (head words, list structure, quotes, bylines, jieba's tags), never from a
list of particular names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import jieba
import jieba.posseg

from kg.document import Mention
from kg.extract.gazetteer import find_divisions, is_division
from kg.extract.lexicon import (
    AGENCY_FUNCTION_WORDS,
    HONORIFICS,
    LIST_LEADERS,
    NOT_HEADS,
    NOT_NAMES,
    NOT_PERSON,
    ORGAN_WORDS,
    POST_TITLES,
    SUFFIXES_BY_TYPE,
    SURNAMES,
    TRIGGER_VERBS,
)
from kg.extract.tokens import Token

Recogniser = Callable[[str, list[Token]], Iterable[Mention]]

MAX_NAME_CHARS = 24
MAX_NAME_TOKENS = 8
# POS tags of tokens that may stand inside a compound name before its head word, by the head's entity type.
_NOUNISH = {"ns", "nr", "nrt", "nrfg", "nt", "nz", "n", "nw", "j", "eng", "ng", "an", "s", "f", "zg", "z"}
_PARTS = {
    "Agency": _NOUNISH | {"vn"},
    "Place": _NOUNISH,
    "Project": _NOUNISH | {"vn", "v", "a"},
    "Event": _NOUNISH | {"vn", "v", "a"},
}
# Single characters that never stand inside a name.
BREAKERS = set("的和与及或在对向把被从为将等了是着过也都而并暨")
PUNCT = re.compile(r"[\s，。、；：！？,.;:!?“”‘’\"'（）()《》〈〉【】\[\]…—\-/·+&*=|~#%<>{}]")
CJK = re.compile(r"[\u4e00-\u9fff]")
_MEASURE_WORDS = set("个批项名位件次场届期家所条种类部台辆架只头匹张本份座栋层户人元万亿多余些")
_NOT_NAME_START = set("一二三四五六七八九十两几各每这那该本全此其某多")
_ORDINAL = re.compile(r"^(第.+|.*[届年期次])$")
_PROPER = {"ns", "nr", "nrt", "nrfg", "nz", "nt", "eng", "j"}
# Head words of projects and events: a name does not run on past one of them ("项目量身定制验收计划").
_INNER_HEADS = {w for t in ("Project", "Event") for w in SUFFIXES_BY_TYPE[t] if len(w) >= 2}


# Characters rarer than this in jieba's dictionary (summed word frequencies) are rare in real text.
_RARE_CHAR = 600


@functools.cache
def _char_frequency() -> dict[str, int]:
    """How often each character occurs in jieba's dictionary, weighted by word frequency (built once, ~0.5 s)."""
    counts: dict[str, int] = {}
    for word, freq in jieba.dt.FREQ.items():
        if freq:
            for ch in word:
                counts[ch] = counts.get(ch, 0) + freq
    return counts


@functools.lru_cache(maxsize=256)
def garbled(text: str) -> bool:
    """Whether a sentence is mis-decoded bytes rather than Chinese (the SogouCS GBK dump has stretches such as
    ``?Ｆ殉こ乔康鳎?`` where a lost byte shifted every character pair).

    Real sentences are made of common characters; a mis-decoded stretch is dense in rare ones.  Names read off such
    text are junk (乔康鳎, 安淮嬖), so no recogniser looks at it.
    """
    if not jieba.dt.initialized:
        jieba.initialize()
    freq = _char_frequency()
    cjk = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    rare = sum(1 for ch in cjk if freq.get(ch, 0) < _RARE_CHAR)
    if rare >= 2 and rare >= 0.2 * len(cjk):
        return True
    # a short stretch cut off by the '?' a lost byte leaves, with a rare character in it
    return rare >= 1 and len(cjk) <= 12 and text.rstrip().endswith("?")


def _skip_garbled(recogniser: Recogniser) -> Recogniser:
    """Wrap *recogniser* so that it proposes nothing in a :func:`garbled` sentence."""

    @functools.wraps(recogniser)
    def wrapped(text: str, tokens: list[Token]) -> Iterable[Mention]:
        return () if garbled(text) else recogniser(text, tokens)

    return wrapped


def _build_suffix_index() -> tuple[dict[str, str], tuple[int, ...]]:
    index: dict[str, str] = {}
    for type_name, suffixes in SUFFIXES_BY_TYPE.items():
        for suffix in suffixes:
            index.setdefault(suffix, type_name)  # a head word listed for two types keeps the first (Agency first)
    return index, tuple(sorted({len(s) for s in index}, reverse=True))


_SUFFIX_INDEX, _SUFFIX_LENGTHS = _build_suffix_index()


def suffix_type(word: str) -> tuple[str, str] | None:
    """The entity type and head word a word ends with, the longest head word winning (a dictionary probe per
    head-word length: this runs for every token)."""
    for length in _SUFFIX_LENGTHS:
        if len(word) >= length:
            type_name = _SUFFIX_INDEX.get(word[-length:])
            if type_name is not None:
                return type_name, word[-length:]
    return None


def _may_extend(prev: Token, following: Token | None, type_name: str) -> bool:
    """Whether ``prev`` can stand inside a name of ``type_name`` just before the part already taken."""
    word = prev.word
    if PUNCT.fullmatch(word[-1]) or word in BREAKERS or word in TRIGGER_VERBS or word in POST_TITLES:
        return False
    if word.startswith(("该", "全", "各", "本", "我", "其", "这", "那", "此", "每")) and len(word) <= 2 \
            and word != "全国":  # 全国老龄办, 全国妇联: national bodies start with 全国
        return False
    if type_name in {"Event", "Project"} and word in _INNER_HEADS:
        return False
    if len(word) == 1 and CJK.match(word) and prev.pos in {"x", "ng", "zg", "g", "tg", "vg"}:
        return True  # a single character jieba could not place: part of a rare name (洙|江街道)
    if prev.pos == "m" or word == "届":
        if type_name in {"Place", "Agency"}:
            return word.startswith("第") and len(word) >= 2  # 第一中学, never 2012年深港
        if word in {"届", "年"}:
            return True
        if len(word) >= 2 and _ORDINAL.match(word):
            return True
        is_number = re.fullmatch(r"\d+|[一二三四五六七八九十百]+", word) is not None
        return is_number and following is not None and following.word[:1] in {"届", "年", "期"}
    if prev.pos == "q" and len(word) == 1:
        return word not in _MEASURE_WORDS and type_name != "Agency"
    if prev.pos == "v" and type_name == "Agency":
        return word in AGENCY_FUNCTION_WORDS
    if prev.pos not in _PARTS[type_name]:
        return False
    return bool(CJK.search(word)) or prev.pos == "eng"


def _cut_inside_word(prev: Token, following: Token | None, start: int, end: int) -> bool:
    """Whether jieba cut a word in two at the name's left edge: a one-character first part whose left neighbour's
    last character makes a dictionary word with it (腾|翔实|业有限公司: 实业), so the name goes on to the left."""
    return (following is not None and following.start == start and start < end and len(following.word) == 1
            and CJK.match(prev.word[-1]) is not None and _dictionary_frequency(prev.word[-1] + following.word) >= 100)


_COMPANY_HEADS = ("公司", "集团", "银行", "厂")


def _brand_after_place(tokens: list[Token], j: int, type_name: str, end: int) -> bool:
    """Whether ``tokens[j]``, an adjective or idiom as jieba reads it, is the brand of a company named in full:
    place + brand + trade + company head (珠海|可口可乐|饮料有限公司, 中国|平安|人寿保险股份有限公司)."""
    word = tokens[j].word
    if type_name != "Agency" or tokens[j].pos not in {"a", "i"} or not 2 <= len(word) <= 4 or CJK.match(word) is None:
        return False
    head = "".join(t.word for t in tokens[j + 1:] if t.end <= end)
    return j > 0 and tokens[j - 1].pos == "ns" and head.endswith(_COMPANY_HEADS)


def extend_left(tokens: list[Token], last: int, end: int, type_name: str) -> int:
    """Start offset of the longest name ending at ``end`` whose left part ends with ``tokens[last]``."""
    start = tokens[last + 1].start if last + 1 < len(tokens) else end
    count = 0
    j = last
    while j >= 0 and count < MAX_NAME_TOKENS:
        prev = tokens[j]
        following = tokens[j + 1] if j + 1 < len(tokens) else None
        if end - prev.start > MAX_NAME_CHARS:
            break
        if not (_may_extend(prev, following, type_name) or _cut_inside_word(prev, following, start, end)
                or _brand_after_place(tokens, j, type_name, end)):
            break
        start = prev.start
        count += 1
        j -= 1
    return start


def _acceptable(name: str, suffix: str, bare_head: bool = False) -> bool:
    """A candidate name is not a listed generic word, has a body of two characters or more before its head word,
    and (for a bare one-character head such as 办 standing alone as a token) a body of three or more."""
    body = name[: len(name) - len(suffix)]
    if name in NOT_NAMES or len(name) < 2:
        return False
    if name[0].isdigit() and not re.match(r"(19|20)\d\d年", name):
        return False  # 2012年深港地铁圈高峰论坛 is a name; 24项通办 is not
    if name in ORGAN_WORDS:
        return True
    if not CJK.search(body) and not re.search(r"[A-Za-z0-9]", body):
        return False
    if len(body) < 2 or (bare_head and len(suffix) == 1 and len(body) < 3):
        return False
    if len(suffix) == 1 and body[-1] in "者时后前之的了着":
        return False  # 严重者会, 亏损时银行: a clause, not a name, runs into a one-character head
    return not (body and body[-1].isdigit() and suffix not in {"路", "线", "号"})


def _looks_named(tokens: list[Token], first: int, last: int, type_name: str) -> bool:
    """Projects and events need evidence of being a particular one, not a generic noun phrase (重点项目, 相亲活动):
    a proper-noun token, a number or ordinal, or (events) a long specific description."""
    span = tokens[first: last + 1]
    if type_name == "Agency":
        head = span[-1]
        return len(span) >= 3 or suffix_type(head.word) is None or head.word != suffix_type(head.word)[1] \
            or any(t.pos in _PROPER for t in span[:-1]) or sum(len(t.word) for t in span) >= 5
    if type_name not in {"Project", "Event"}:
        return True
    if any(t.pos in _PROPER or re.search(r"\d", t.word) or _ORDINAL.match(t.word) for t in span[:-1]):
        return True
    chars = sum(len(t.word) for t in span)
    return type_name == "Event" and len(span) >= 4 and chars >= 7


@_skip_garbled
def suffix_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Compound names closed by a head word: extend left from the head over tokens that can stand in a name."""
    for i, tok in enumerate(tokens):
        found = suffix_type(tok.word)
        if found is None:
            continue
        type_name, suffix = found
        if tok.word != suffix:
            if tok.pos.startswith(("v", "l", "d", "a", "p", "c", "r", "u", "m", "q")) and tok.word not in ORGAN_WORDS:
                continue  # 出席会议 is a verb phrase, not a name ending in 会议
            if any(tok.word.endswith(w) for w in NOT_HEADS):
                continue  # 干部 ends in 部 but is not an office
        start = extend_left(tokens, i - 1, tok.end, type_name)
        first = next(k for k in range(i + 1) if tokens[k].start >= start)
        name = text[start:tok.end]
        if _acceptable(name, suffix, tok.word == suffix) and _looks_named(tokens, first, i, type_name):
            yield Mention(start, tok.end, name, type_name, source="suffix")


def _dictionary_frequency(word: str) -> int:
    return int(jieba.dt.FREQ.get(word) or 0)


# jieba tags of ordinary words that a surname character such as 戴 (wear), 和 (and) or 向 (towards) also is.
_FUNCTION_TAGS = frozenset({"v", "p", "c"})
# Tags of a dictionary word that, after such a character, makes a phrase rather than a name (戴|面纱).
_PHRASE_TAGS = frozenset({"n", "v", "vn", "a", "d"})


def _reads_as_phrase(name: str, given: str) -> bool:
    """Whether surname + given name reads as ordinary words: a surname followed by a speech verb (庞|认为 after
    庞飒 was named), or a verb/preposition/conjunction that doubles as a surname followed by a transliterated
    foreign name (和|亨特拉尔) or a common word (戴|面纱).  Word classes from jieba's dictionary, not a name list."""
    if given in _SPEECH_VERBS:
        return True
    if jieba.posseg.dt.word_tag_tab.get(name[0]) not in _FUNCTION_TAGS:
        return False
    tag = jieba.posseg.dt.word_tag_tab.get(given)
    return tag == "nrt" or (len(given) == 2 and tag in _PHRASE_TAGS and _dictionary_frequency(given) >= 100)


def person_shaped(name: str) -> bool:
    """Whether a candidate looks like a Chinese personal name: two or three characters after a surname (four only
    with a double surname), not a form of address, not a word jieba's dictionary files under another tag
    (安全感, 探照灯), not ordinary words after a surname character (see :func:`_reads_as_phrase`), and not ending
    in an institution's head word."""
    double = name[:2] in SURNAMES
    if not (name[:1] in SURNAMES or double) or not 2 <= len(name) <= (4 if double else 3):
        return False
    if name.endswith(HONORIFICS) or name in NOT_PERSON or suffix_type(name) is not None:
        return False
    if _reads_as_phrase(name, name[2:] if double else name[1:]):
        return False
    tag = jieba.posseg.dt.word_tag_tab.get(name)
    if tag is None:
        return True
    # jieba's dictionary tags some ordinary words nr, built on a common word (许可|证, 严重|者, 安全|法); in the
    # names it lists, surname and first character make no word (许嘉璐, 张维迎, and 王建国 although 建国 is one)
    starts_with_word = len(name) == 3 and _dictionary_frequency(name[:2]) >= 100
    return tag.startswith("nr") and not starts_with_word


@_skip_garbled
def jieba_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Single-word names that jieba tags, filtered by what its tags get wrong.

    People: nr with a surname, and either out of jieba's vocabulary (names are found by its HMM) or a
    three-character name in it (崔永元); jieba's dictionary tags two-character ordinary words such as 师傅 or
    许可 as nr.  Not an item of a list of ordinary words (see :func:`_listed_among_words`).  Places: ns only when the
    gazetteer knows them.  Organisations: nt only when they end in an agency head word (党组织 does not).
    """
    for k, tok in enumerate(tokens):
        word = tok.word
        if tok.pos in {"nr", "nrfg"} and person_shaped(word):
            # not two-character dictionary words (师傅, 许可), nor an item listed among ordinary words
            if (len(word) == 3 or _dictionary_frequency(word) == 0) and not _listed_among_words(tokens, k):
                yield Mention(tok.start, tok.end, word, "Person", source="jieba")
        elif tok.pos == "ns" and len(word) >= 2 and word not in NOT_NAMES and is_division(word):
            yield Mention(tok.start, tok.end, word, "Place", source="jieba")
        elif tok.pos == "nt" and len(word) >= 2 and word not in NOT_NAMES:
            found = suffix_type(word)
            if found and found[0] == "Agency" and not any(word.endswith(w) for w in NOT_HEADS):
                yield Mention(tok.start, tok.end, word, "Agency", source="jieba")


_LIST_MARKS = frozenset({"、", "和", "及", "与"})


def _listed_among_words(tokens: list[Token], k: int) -> bool:
    """Whether token *k* is an item of an enumeration with an item of ordinary dictionary words beside it
    (民政、医保、人社、卫健和市场准入: jieba's HMM reads the abbreviation 卫健 as a name).  Items of a list share a
    kind; an item naming a person (总经理李四, 张三) holds a word jieba tags nr or one outside its dictionary."""
    for step in (-1, 1):
        mark = k + step
        if not (0 <= mark < len(tokens) and tokens[mark].word in _LIST_MARKS):
            continue
        item = []
        j = mark + step
        while 0 <= j < len(tokens) and len(item) < 4 and tokens[j].word not in _LIST_MARKS \
                and not PUNCT.search(tokens[j].word):
            item.append(tokens[j])
            j += step
        if item and any(len(t.word) >= 2 for t in item) and all(
                not t.pos.startswith("nr") and _dictionary_frequency(t.word) > 0 for t in item):
            return True
    return False


_QUOTED = re.compile(r"[“\"]([^“”\"\n]{1,30})[”\"]")


@_skip_garbled
def quoted_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Quoted titles: “童说炎帝”抖音大赛 (quote + head word) and “第九届…论坛” (a quoted name ending in a head word)."""
    for match in _QUOTED.finditer(text):
        tail_start = match.end()
        tail = text[tail_start: tail_start + 12]
        best = None
        for k in range(1, len(tail) + 1):
            if PUNCT.search(tail[k - 1]):
                break
            found = suffix_type(tail[:k])
            if found and found[0] in {"Event", "Project"} and tail[:k] not in NOT_HEADS:
                best = (k, found[0])
                if k >= len(found[1]) and found[0] == "Project":
                    yield Mention(match.start(), tail_start + k, text[match.start(): tail_start + k], found[0],
                                  source="quoted")
        if best:
            end = tail_start + best[0]
            yield Mention(match.start(), end, text[match.start(): end], best[1], source="quoted")
        inner = match.group(1)
        found = suffix_type(inner)
        if found and len(inner) > len(found[1]) + 1 and not best and inner not in NOT_NAMES \
                and not PUNCT.search(inner) \
                and (found[0] in {"Event", "Project"} or len(found[1]) >= 2):
            yield Mention(match.start(1), match.end(1), inner, found[0], source="quoted")


_BRACKETED = re.compile(r"[（(]([\u4e00-\u9fff]{1,4})[）)]")


@_skip_garbled
def bracket_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Names with a bracketed part: 农耕文化（体验）园项目 is one Project, not 农耕文化 plus 园项目."""
    for match in _BRACKETED.finditer(text):
        tail = text[match.end(): match.end() + 8]
        best = None
        for k in range(1, len(tail) + 1):
            if PUNCT.search(tail[k - 1]):
                break
            found = suffix_type(tail[:k])
            if found:
                best = (k, found[0])
        if not best:
            continue
        before = [i for i, t in enumerate(tokens) if t.end == match.start()]
        if not before:
            continue
        end = match.end() + best[0]
        start = extend_left(tokens, before[0], end, best[1])
        if start < match.start():
            yield Mention(start, end, text[start:end], best[1], source="bracket")


_ROUTE = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{0,4}\d{1,4}(?:路|号线))([\u4e00-\u9fff]{0,10}(?:公交线路|公交专线|专线|线路|公交车))?"
)


@_skip_garbled
def route_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Bus and metro lines (CZ1路长株城际公交线路, 3路公交车): a Project, the numbered route its name."""
    for match in _ROUTE.finditer(text):
        if match.group(2) or match.group(1).endswith("号线") \
                or re.match(r"\s*(公交|车|线|正式|开通|运行)", text[match.end():]):
            yield Mention(match.start(), match.end(), match.group(0), "Project", source="route")


_LEADER_CHARS = "经至到从往赴沿"


def _after_leader(piece: str) -> int:
    """Offset just after a one-character leader inside the first list item (该线路经|枫林大道), or 0.

    A leader counts only when it and the next character do not form a common word (经济, 至今, 从事 …), as jieba's
    dictionary tells; what follows must be long enough to be a name.
    """
    for i in range(len(piece) - 3, 0, -1):
        if piece[i] in _LEADER_CHARS and _dictionary_frequency(piece[i:i + 2]) < 50:
            return i + 1
    return 0


@_skip_garbled
def list_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Items of a 、-separated list that share a head word type are names (云峰大道、洞株路、振东路 …)."""
    for clause in re.finditer(r"[^，。；：！？,;:!?\n“”（）()《》]+", text):
        items = clause.group().split("、")
        if len(items) < 2:
            continue
        spans = []
        pos = clause.start()
        for index, item in enumerate(items):
            start, end = pos, pos + len(item)
            pos = end + 1
            piece = text[start:end]
            if index == len(items) - 1:
                piece = re.split(r"等|和|及|与", piece)[0]
                end = start + len(piece)
            if index == 0:
                for leader in LIST_LEADERS:
                    if piece.startswith(leader) and len(piece) - len(leader) >= 3:
                        start += len(leader)
                        piece = piece[len(leader):]
                        break
                else:
                    # The first item runs back into the clause: keep only the name the tokens allow.
                    last = [k for k, t in enumerate(tokens) if t.end == end]
                    head = suffix_type(piece)
                    if last and head:
                        k = last[0]
                        name_start = extend_left(tokens, k - 1, end, head[0]) if tokens[k].word.endswith(head[1]) \
                            else start
                        if name_start > start:
                            start = name_start
                            piece = text[start:end]
                    cut = _after_leader(piece)
                    start += cut
                    piece = piece[cut:]
            found = suffix_type(piece)
            if found and found[0] in {"Place", "Agency"} and 3 <= len(piece) <= 12 and CJK.fullmatch(piece[0]) \
                    and not re.search(r"\d", piece) and piece not in NOT_NAMES \
                    and not any(piece.endswith(w) for w in NOT_HEADS) and piece[0] not in _NOT_NAME_START:
                spans.append((start, end, found[0]))
        if len(spans) >= 2:
            for start, end, type_name in spans:
                yield Mention(start, end, text[start:end], type_name, source="list")
        else:
            yield from _located_items(text, clause.start(), items)
        yield from _typed_list(text, clause.start(), items, tokens)


# "A、B、C等(多家|知名|一批)企业": the word after 等 says what the items are (a Hearst pattern).
_HYPERNYMS = {
    "企业": "Agency", "公司": "Agency", "商家": "Agency", "单位": "Agency", "机构": "Agency", "高校": "Agency",
    "院校": "Agency", "媒体": "Agency", "银行": "Agency", "医院": "Agency", "学校": "Agency", "部门": "Agency",
    "社团": "Agency", "协会": "Agency", "品牌": "Agency", "城市": "Place", "地区": "Place", "省份": "Place",
    "国家": "Place", "县市区": "Place", "乡镇": "Place", "社区": "Place", "村": "Place", "景区": "Place",
}
_TYPED_TAIL = re.compile(r"等(?:[\d一二三四五六七八九十百几多]+[个家所座]|多家|知名|一批|大型|重点|国内外|省内外)*("
                         + "|".join(sorted(_HYPERNYMS, key=len, reverse=True)) + ")")
_ITEM = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,10}")


def _typed_list(text: str, pos: int, items: list[str], tokens: list[Token]) -> Iterable[Mention]:
    """Items of a list closed by 等 and a class word (湖南烟草、千金药业、华融湘江银行等知名企业) are names of
    that class, whatever their own last word is."""
    last = items[-1]
    tail = next((m for m in _TYPED_TAIL.finditer(last)
                 if m.start() >= 2 and _dictionary_frequency(last[m.start() - 1: m.start() + 1]) < 50), None)
    if not tail or len(items) < 2:
        return  # 高等院校 is a word, not "高 等 院校"
    type_name = _HYPERNYMS[tail.group(1)]
    offsets = []
    for item in items:
        offsets.append(pos)
        pos += len(item) + 1
    for index, item in enumerate(items):
        start = offsets[index]
        piece = item[: tail.start()] if index == len(items) - 1 else item
        if index == 0:  # the first item runs back into the clause: keep the nouns that end it
            end = start + len(piece)
            name_start = end
            for tok in reversed([t for t in tokens if start <= t.start and t.end <= end]):
                if tok.pos not in _NOUNISH or tok.word in BREAKERS or tok.word in TRIGGER_VERBS:
                    break
                name_start = tok.start
            piece = text[name_start:end]
            start = name_start
        if _ITEM.fullmatch(piece) and piece not in NOT_NAMES and piece[0] not in _NOT_NAME_START \
                and not any(piece.endswith(w) for w in NOT_HEADS) and len(piece) <= 8:
            yield Mention(start, start + len(piece), piece, type_name, source="list")


_LOCATED_ITEM = re.compile(r"^([\u4e00-\u9fff]{2,6}?(?:街道|社区|乡|镇|村|区|县|市))([\u4e00-\u9fff]{2,5})$")


def _located_items(text: str, pos: int, items: list[str]) -> Iterable[Mention]:
    """A list whose items each name a place and then something in it (学林街道凯凯城、龙头铺街道云凤凰谷): the
    items are places, whatever their last word is."""
    found = []
    for index, item in enumerate(items):
        start, end = pos, pos + len(item)
        pos = end + 1
        if index == len(items) - 1:
            item = re.split(r"等|和|及|与", item)[0]
            end = start + len(item)
        match = _LOCATED_ITEM.match(item)
        if match and not set(item) & BREAKERS and match.group(1) not in NOT_NAMES:
            found.append((start, end))
    if len(found) >= 2:
        for start, end in found:
            yield Mention(start, end, text[start:end], "Place", source="list")


_ROLE = r"(?:记者|通讯员|实习生|见习记者|特约记者|责任编辑|编辑)"
_BYLINE = re.compile(rf"({_ROLE})\s*[/／:：]?\s*((?:(?!{_ROLE})[\u4e00-\u9fff]{{2,4}}[ \t　、，,]*)+)")
_CREDIT = re.compile(r"[（(]((?:[\u4e00-\u9fff]{2,3}[ 　]+)*[\u4e00-\u9fff]{2,3})[）)]\s*$")


@_skip_garbled
def byline_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Names after a byline role (记者/李逸峰 通讯员/文石金 李波) or in a closing credit (（甘敏 叶金涛）): people."""
    for match in _BYLINE.finditer(text):
        yield from _names_in(text, match.start(2), match.group(2))
    credit = _CREDIT.search(text)
    if credit:  # a bracket closing a paragraph is a credit only if it holds names: not （全文）, （关于）
        yield from _names_in(text, credit.start(1), credit.group(1), person_shaped)


def _names_in(text: str, pos: int, names: str, check: Callable[[str], bool] | None = None) -> Iterable[Mention]:
    for name in re.split(r"[\s、，,　]+", names):
        if not name:
            continue
        idx = text.find(name, pos)
        if 2 <= len(name) <= 3 and (name[0] in SURNAMES or name[:2] in SURNAMES) and idx >= 0 \
                and suffix_type(name) is None and (check is None or check(name)):
            yield Mention(idx, idx + len(name), name, "Person", source="byline")
        pos = idx + len(name) if idx >= 0 else pos


@_skip_garbled
def organ_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Party and state organs named by a short word of their own (党中央, 省委, 市政府)."""
    for tok in tokens:
        if tok.word in ORGAN_WORDS:
            yield Mention(tok.start, tok.end, tok.word, "Agency", source="suffix")


_LOWER_UNIT = re.compile(r"([\u4e00-\u9fff]{2,4}?(?:街道|社区|乡|镇|村))")


@_skip_garbled
def gazetteer_names(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """Provinces, cities, counties and countries named anywhere (their word boundaries checked against jieba's),
    with the towns, streets and villages written right after them (炎陵县船形乡同睦村): the gazetteer stops at
    counties, but a chain that starts at a known county is a chain of places however jieba cuts it."""
    starts = {t.start for t in tokens}
    for start, end, _name in find_divisions(text):
        if start not in starts:
            continue
        chain_end = end
        while (unit := _LOWER_UNIT.match(text, chain_end)) and not (set(unit.group()) & BREAKERS) \
                and not unit.group().startswith(tuple(TRIGGER_VERBS)):
            chain_end = unit.end()
        source = "gazetteer" if chain_end == end else "list"
        yield Mention(start, chain_end, text[start:chain_end], "Place", source=source)


_SPEECH_VERBS = frozenset({"说", "表示", "介绍", "称", "指出", "认为", "强调", "透露", "告诉", "说道", "坦言", "回忆"})


@functools.cache
def _crf_tagger():  # a CrfTagger, imported lazily so that rule-only use never loads the model
    from kg.extract.crf import CrfTagger

    return CrfTagger.load()


@_skip_garbled
def crf_people(text: str, tokens: list[Token]) -> Iterable[Mention]:
    """People found by the statistical tagger (trained on CLUENER2020 and People's Daily) that the rules miss.

    Only people: on news pages the rules find agencies, places, projects and events more precisely than the CRF,
    whose place and agency spans follow its corpora's conventions; for names of people it generalises best, and
    the People's Daily convention alone is decoded (one pass, its best Person F1 on held-out data).  A span
    must fall on jieba's word boundaries, start with a surname (or be a name jieba tags too) and not be an ordinary
    dictionary word or a form of address (林先生).
    """
    return _people(text, tokens, _tag_near_cues([(text, tokens)])[0])


def crf_people_over_document(sentences: list[tuple[str, list[Token]]]) -> list[list[Mention]]:
    """:func:`crf_people` of every (text, tokens) sentence of one document, the tagger called once for all.

    The network under the CRF (if the model has one) then runs once over all the document's windows instead of
    once per sentence; an extractor that finds this function as ``crf_people.over_document`` may call it.
    """
    live = [k for k, (text, _) in enumerate(sentences) if not garbled(text)]
    tagged = _tag_near_cues([sentences[k] for k in live])
    found: list[list[Mention]] = [[] for _ in sentences]
    for k, spans in zip(live, tagged, strict=True):
        found[k] = list(_people(*sentences[k], spans))
    return found


crf_people.over_document = crf_people_over_document  # type: ignore[attr-defined]


def _people(text: str, tokens: list[Token], spans: list[tuple[int, int, str]]) -> Iterable[Mention]:
    """The tagger's Person spans in one sentence that pass crf_people's checks (see there)."""
    starts = {t.start for t in tokens}
    ends = {t.end for t in tokens}
    jieba_people = {(t.start, t.end) for t in tokens if t.pos in {"nr", "nrfg"}}
    for start, end, type_name in spans:
        name = text[start:end]
        if type_name != "Person" or start not in starts or end not in ends or not 2 <= len(name) <= 4:
            continue
        if not CJK.fullmatch(name[0]) or PUNCT.search(name) or (len(name) == 2 and _dictionary_frequency(name) > 0):
            continue
        if person_shaped(name) or ((start, end) in jieba_people and len(name) == 3  # rare surname: 鞠健夫
                                   and _dictionary_frequency(name) == 0 and not name.endswith(HONORIFICS)
                                   and suffix_type(name) is None):
            yield Mention(start, end, name, "Person", source="crf")


# Characters of context on each side of a cue: a name and its title sit close together.  8 finds the same people
# as 12 on all 400 SogouCS articles and the seed page (6 loses one) and keeps the CRF's share of extraction small.
_CUE_WINDOW = 8


def _tag_near_cues(sentences: list[tuple[str, list[Token]]]) -> list[list[tuple[int, int, str]]]:
    """CRF spans in the stretches of each sentence around the signs of a person (a jieba nr tag, a post title).

    Tagging only there, on token boundaries and with the pipeline's own tokens, keeps the tagger — the most
    expensive step of extraction — to a fraction of the text; names far from any such sign are the rules' job.
    All the sentences' windows go to the tagger in one call, so a network under the CRF runs once over them.
    """
    pieces: list[str] = []
    insides: list[list[tuple[int, int, str, str]]] = []
    owners: list[tuple[int, int]] = []  # (sentence, offset) of each window
    for k, (text, tokens) in enumerate(sentences):
        for lo, hi in _cue_windows(tokens):
            offset = tokens[lo].start
            pieces.append(text[offset: tokens[hi].end])
            insides.append([(t.start - offset, t.end - offset, t.word, t.pos) for t in tokens[lo: hi + 1]])
            owners.append((k, offset))
    spans: list[list[tuple[int, int, str]]] = [[] for _ in sentences]
    for (k, offset), found in zip(owners, _crf_tagger().tag_many(pieces, style="pd", tokens=insides), strict=True):
        spans[k] += [(s + offset, e + offset, kind) for s, e, kind in found]
    return spans


def _cue_windows(tokens: list[Token]) -> list[list[int]]:
    """(first, last) token index of each stretch within _CUE_WINDOW characters of a person cue, merged."""
    windows: list[list[int]] = []
    for i, tok in enumerate(tokens):
        if not (tok.pos.startswith("nr") or tok.word in POST_TITLES):
            continue
        lo = i
        while lo > 0 and tok.start - tokens[lo - 1].start <= _CUE_WINDOW:
            lo -= 1
        hi = i
        while hi + 1 < len(tokens) and tokens[hi + 1].end - tok.end <= _CUE_WINDOW:
            hi += 1
        if windows and lo <= windows[-1][1] + 1:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    return windows


DEFAULT_RECOGNISERS: tuple[Recogniser, ...] = (byline_names, quoted_names, bracket_names, route_names, list_names,
                                               suffix_names, organ_names, gazetteer_names, jieba_names, crf_people)

# Structural evidence (a byline, quotes, brackets, a list of like items) beats head-word rules and the statistical
# tagger, which beat single words that jieba or the gazetteer found; within a tier the longest name wins.
_TIER = {"byline": 2, "route": 2, "quoted": 2, "bracket": 2, "list": 2, "suffix": 1, "gazetteer": 0, "jieba": 0,
         "crf": 0}


def confirmed_people(candidates: list[Mention]) -> list[Mention]:
    """The candidates without jieba's people that are ordinary dictionary words the statistical tagger did not also
    find as a person on the same span.

    jieba's dictionary files hundreds of ordinary words under nr (白开水, 连衣裙, 屈光度, 段时间, 高尔夫) beside the
    names it lists (崔永元, 许嘉璐), and nothing in their form tells them apart; the tagger reads the sentence.  On
    the 400 SogouCS articles this drops 18 of 465 distinct people, nearly all such words (also 陆家嘴, 黄尾屿,
    王老吉), and nothing on the reader's lists.  Names jieba found outside its dictionary (its HMM) need no
    confirmation: requiring it for them too dropped as many real names as wrong ones.  Only for an extractor that
    runs the tagger.
    """
    crf = {(m.start, m.end) for m in candidates if m.source == "crf" and m.type == "Person"}
    return [m for m in candidates if not (m.source == "jieba" and m.type == "Person"
                                          and (m.start, m.end) not in crf and _dictionary_frequency(m.text) > 0)]


def resolve_overlaps(candidates: Iterable[Mention]) -> list[Mention]:
    """Keep a non-overlapping set: the most trusted tier first, then the longest name, then the earliest."""
    ranked = sorted(candidates, key=lambda m: (-_TIER.get(m.source, 0), -(m.end - m.start), m.start))
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
