"""Relations between entities, read from one sentence at a time by small rules over mentions.

Each rule is a function ``Context -> Iterable[Relation]`` (spaCy-style components) so it can be tested alone on a real
sentence; :func:`relations` runs them all and removes duplicates.  Rules look at the entity mentions of a sentence
and the words between them (trigger verbs such as 主办/牵头/签订, post titles, 位于 …), never at particular names.

Relation kinds and the JSON they produce (``kg extract``; predicate = local name of an ontology property):

* ``holdsPost`` person → agency, ``role`` = the post title (省炎基办党组书记、主任黄勇 gives two).
* ``organizer`` event/project → agency (召开/主办/承办/牵头/组织/开展/启动/联合), ``role`` = the trigger.
* ``partner`` agency/place ↔ agency/place (与…签订…协议/合作/通办/联合).
* ``participant`` event → agency (a list of agencies that attend).
* ``date``/``startDate``/``endDate`` event/project → date resolved against the document date.
* ``funding``/``investment``/``price`` project → money; ``quantity`` event/project → number with unit, ``role`` = what
  is measured (全长, 占地面积, 参赛作品).
* ``projectLocation``/``eventPlace``/``locatedIn``/``partOf`` (位于, 在…召开, 前往…开展); ``subOrganizationOf``
  (该区行政审批服务局, 云田镇城管办); ``routeFrom``/``routeTo`` for a line (从…始发…至…).
* ``quotedIn`` speaker → the document (…负责人表示/介绍), ``authorOf`` person → the document (bylines, 摄, bracketed
  credits).  These two are document-level: their ``value`` is the document id, because the document is not an
  entity; the RDF stage turns it into the document node.
* ``founder``, ``foundingDate``, ``alumniOf`` (创办, 成立于, 毕业于) for biographies and company news.
* ``coMention`` (weak, with ``count``) for every pair of entities named in one sentence.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from kg.document import Document, Entity, Mention, Relation, Sentence, Span
from kg.extract.dates import DateMention, find_dates
from kg.extract.gazetteer import lookup, parent_chain
from kg.extract.lexicon import POST_TITLES
from kg.extract.money import Amount, find_money, find_quantities
from kg.extract.tokens import tokenize
from kg.newsprint import credits

_TITLES = "|".join(sorted(POST_TITLES, key=len, reverse=True))
_TITLE_LIST = rf"(?:{_TITLES})(?:\s*[、兼和及]\s*(?:{_TITLES}))*"
# Between an agency and a person: post titles joined by 、/兼, optionally after 的 (X的董事长张三).
_POSTS_BEFORE_NAME = re.compile(rf"^的?({_TITLE_LIST})\s*$")
# After a person: ，X公司董事长 / 担任X的董事长 / 现任X校长.
_POST_AFTER_NAME_LEAD = re.compile(
    r"^\s*(?:博士|教授|先生|女士|院士|同志)?\s*(?:[，,（(]\s*)?(?:现任|曾任|历任|担任|出任|就任|任|是|为|系|当选为?|升任|兼任)?\s*$")
_POSTS_AFTER_AGENCY = re.compile(rf"^的?({_TITLE_LIST})")
_CLAUSE = re.compile(r"[，,；;：:。！？!?\n]")
_ORGANISE = re.compile(r"(牵头|主办|承办|协办|举办|组织召开|组织开展|组织|召开|开展|启动|举行|发起|策划)")
# Triggers strong enough to credit the article's agency when the sentence drops its subject.
_TOPIC_TRIGGERS = {"牵头", "主办", "承办", "举办", "组织召开", "组织开展", "组织", "召开", "开展", "举行"}
_BY_ORGANISER = re.compile(r"^由\s*$")
_PARTNER_TRIGGER = re.compile(r"(签订|签署|签约|合作|通办|共建|携手|配合|结对|协调|联动|共同)")
_PARTNER_LINK = re.compile(r"(与|同|跟|和|联合|对接)\s*$")
_LIST_SEP = re.compile(r"^\s*(?:、|和|及|以及|与|,|，)\s*$")
_START_WORDS = ("开业", "启动", "开通", "运行", "通车", "开工", "开幕", "开始", "上线", "开放", "投用", "试运行",
                "揭牌")
_VENUES = ("广场", "商场", "商城", "中心", "酒店", "宾馆", "超市", "店", "馆", "园", "场", "院")
_END_WORDS = ("竣工", "完工", "结束", "闭幕", "办结", "建成", "交付")
_INVEST = re.compile(r"(总投资|投资|投入|造价|总额)[^，,。；]{0,6}$")
_FUND = re.compile(r"(资金|筹集|筹措|争取|募集|拨付|补助|补贴|奖励|捐赠|捐款|资助|专项|经费)[^，,。；]{0,6}$")
_PRICE = re.compile(r"(票价|价格|售价|单价|门票)[^，,。；]{0,4}$")
_MEASURE = re.compile(r"(全长|总长|长约|长|占地面积|占地|建筑面积|面积|阅读量|播放量|浏览量|点击量|参与人数|"
                      r"收到|吸引|覆盖|总里程|里程|容量|规模)[^，,。；]{0,4}$")
_LOCATED = re.compile(r"^\s*(?:总部)?(?:位于|坐落于|坐落在|地处|落户|设在|设于|总部在|总部设在|总部位于)\s*$")
_JOIN = re.compile(r"(?:将会|将|也|均|都|还)?\s*(?:积极|共同|一同|纷纷)?\s*(?:参加|参与|出席|加入)了?\s*"
                   r"((?:这一|此次|本次|该|这次|本届)[\u4e00-\u9fff]{0,6}(?:活动|会议|大会|赛事|论坛|仪式))?")
_HOLD = re.compile(r"(召开|举行|举办|开展|启动|参加|参观|开幕|进行|调研|考察|学习)")
_HEADQUARTERS = re.compile(r"总部(?:位于|设在|设于|在)\s*$")
_EVENT_PLACE_LEAD = re.compile(r"(在|于|赴|前往|到|深入)\s*$")
_SPEAK = re.compile(r"^\s*(?:相关)?(?:负责人|工作人员|有关负责人|相关人士)?\s*(?:到会|在会上|随后|也|还|会上)?\s*"
                    r"(?:发表)?(表示|介绍|说|指出|强调|透露|坦言|称|认为|告诉记者|讲话|致辞)")
_FOUND_VERB = re.compile(r"^\s*(?:于[^，,。]{0,12})?(?:一手)?(?:创办|创立|创建|创设|成立|建立)了?\s*$")
_FOUNDER_NOUN = re.compile(r"^\s*(?:的)?(?:联合)?创始人(?:之一)?(?:兼[^，,。\s]{1,6})?\s*(?:[是为：:]|，|,)?\s*$")
_BY_FOUNDER = re.compile(r"^\s*(?:是)?由\s*$")
_FOUNDED_AT = re.compile(r"^\s*(?:正式)?(?:成立|创建|创立|始建|建立|组建|注册成立|挂牌成立)(?:于)?\s*$")
_AT_FOUNDED = re.compile(r"^\s*(?:在[^，,。；]{1,30}?)?(?:正式|注册|登记|挂牌)?(?:成立|创建|创立|始建|建立|组建)")
_GRADUATED = re.compile(r"毕业于\s*$")
_SCHOOL_SUFFIXES = ("大学", "学院", "学校", "中学", "小学", "研究院", "研究生院", "党校", "大专", "高中", "书院")
_ROUTE_FROM = re.compile(r"(?:从|由|自)\s*$")
_ROUTE_FROM_AFTER = re.compile(r"^\s*(?:始发|出发|发车)")
_ROUTE_TO = re.compile(r"(?:至|到|抵达|终到)\s*$")
_CREDIT_PROVIDER = re.compile(r"[（(]\s*图片由\s*([^（）()]{2,30}?)\s*提供\s*[）)]")


# Parts of speech of a word that would belong to an agency's name if it stood right before it.
_NAME_POS = frozenset({"n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "vn", "j", "eng", "ng", "an", "b", "l", "i", "x"})
_CJK_PUNCT = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]")
_PHRASE_BREAK = re.compile(r"[\s，,。；;：:、！？!?（）()“”\"《》【】\[\]—…·]")
_LEAD_WORDS = ("由", "是", "为", "和", "与", "及", "在", "从", "对", "向", "据", "经", "将", "把", "被", "于", "的",
               "即",
               "聘请", "任命", "加入", "创办", "创立", "创建", "成立", "投资", "收购", "担任", "出任", "就职", "毕业于",
               "就读于", "考入", "进入", "原", "现", "其", "该", "旗下", "简介", "介绍", "任", "现任", "曾任", "历任",
               "兼任", "当选", "创办了", "创立了", "创建了", "成立了")
# Kinds of division, not names of one (省、市、自治区民政局).
_LEVEL_WORDS = frozenset({"自治区", "自治州", "自治县", "特别行政区", "直辖市", "地级市", "县级市"})
_RESOLVED = frozenset({"anaphora", "abbreviation", "repeat"})
_PARTY_HEADS = ("党工委", "党委", "党组", "党支部", "总支")
_OFFICIAL_HEADS = ("局", "委", "办", "政府", "厅", "处", "科", "室", "委员会", "管委会", "党委", "党组", "人大", "政协",
                   "法院", "检察院", "派出所", "中心", "所", "站", "队", "部", "署")
# An agency label that is only a legal form or a kind of body (有限公司, 党委, 俱乐部): a piece of a longer name.
_GENERIC_AGENCY = re.compile(r"(?:股份)?有限(?:责任)?公司|(?:总|分|集团)?公司|集团|俱乐部|联合会|委员会|党委|党组|"
                             r"党工委|支部|总支|董事会|理事会|工作委员会")
_GENERIC_HEADS = ("干部", "党员", "群众", "人员", "居民", "职工", "员工")


def _generic(entity: Entity) -> bool:
    """A common-noun phrase the recogniser took for a name: 具体项目, 重点项目 (≤4 characters ending in 项目/工程),
    党员干部 (people, not an agency)."""
    label = entity.label
    if entity.type == "Project" and len(label) <= 4 and label.endswith(("项目", "工程")):
        return True
    return entity.type == "Agency" and (label.endswith(_GENERIC_HEADS) or bool(_GENERIC_AGENCY.fullmatch(label)))


def _inside_title(m: Mention, titles: list[tuple[int, int]]) -> bool:
    for s, e in titles:
        if s < m.start and m.end <= e - 1:
            return not (m.end == e - 1 and m.type in {"Event", "Project"})
    return False


def _with_enclosing_places(m: Mention, nested_by_end: dict[int, Mention], text: str) -> Mention:
    """A place whose enclosing places were split off in front of it (炎陵县船形乡|同睦村), as rules should see it:
    spanning the whole written name, so that list and position patterns (与长沙市雨花区、浏阳市) read as written.
    The entity stays the innermost place; the enclosing ones remain as ``nested`` mentions."""
    if m.type != "Place" or m.source == "nested":
        return m
    start = m.start
    while start in nested_by_end:
        start = nested_by_end[start].start
    if start == m.start:
        return m
    return Mention(start, m.end, text[start:m.end], m.type, entity=m.entity, source=m.source)


@dataclass
class Context:
    """What every rule needs, computed once per document: mentions in order, dates, amounts."""

    doc: Document
    mentions: list[Mention]
    by_id: dict[str, Entity]
    dates: list[DateMention] = field(default_factory=list)
    money: list[Amount] = field(default_factory=list)
    quantities: list[Amount] = field(default_factory=list)
    _whole: dict[tuple[int, int, str], bool] = field(default_factory=dict)
    _starts: list[int] | None = None

    @classmethod
    def of(cls, doc: Document) -> Context:
        """Mentions usable as relation ends: not inside a book title, not a generic phrase (具体项目, 党员干部)."""
        by_id = {e.id: e for e in doc.entities}
        titles = [(t.start(), t.end()) for t in re.finditer(r"《[^《》\n]{0,60}》", doc.text)]
        # A name inside a book or document title (《炎帝与炎帝陵史话》) is part of the title, not an actor; an event
        # whose name closes the title (《2012年度“中国爱心城市”公益活动新闻发布会》) is the event itself.
        nested_by_end = {n.end: n for n in doc.mentions if n.source == "nested" and n.type == "Place"}
        ordered = sorted((_with_enclosing_places(m, nested_by_end, doc.text) for m in doc.mentions
                          if m.entity in by_id and not _generic(by_id[m.entity]) and not _inside_title(m, titles)),
                         key=lambda m: (m.start, -m.end))
        return cls(doc, ordered, by_id, find_dates(doc.text, doc.date), find_money(doc.text),
                   find_quantities(doc.text))

    def in_span(self, start: int, end: int, types: Iterable[str] | None = None) -> list[Mention]:
        """Mentions inside [start, end), found by bisection on the sorted starts: rules ask this per sentence, and
        a scan of every mention each time made long documents quadratic."""
        if self._starts is None:
            self._starts = [m.start for m in self.mentions]
        wanted = set(types) if types else None
        out = []
        for m in self.mentions[bisect.bisect_left(self._starts, start):]:
            if m.start >= end:
                break
            if m.end <= end and (wanted is None or m.type in wanted):
                out.append(m)
        return out

    def starting_at(self, start: int) -> list[Mention]:
        if self._starts is None:
            self._starts = [m.start for m in self.mentions]
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_right(self._starts, start)
        return self.mentions[lo:hi]

    def type_of(self, mention: Mention) -> str:
        return self.by_id[mention.entity].type

    def whole(self, m: Mention) -> bool:
        key = (m.start, m.end, m.type)
        if key not in self._whole:
            self._whole[key] = self._is_whole(m)
        return self._whole[key]

    def _is_whole(self, m: Mention) -> bool:
        """Whether ``m`` is a whole name, not a piece the recogniser cut out of a longer one.

        温州华泰警示|设备有限公司 and 刘炯|天 are pieces: the word segmenter puts a word boundary elsewhere, or the
        word right before is a noun that belongs to the name.  Used where a fact is only worth stating about the
        whole name (posts, founders, founding dates, headquarters, schools).
        """
        text = self.doc.text
        if m.start > 0 and text[m.start - 1] in "（(":
            return False  # an aside in brackets: (原江苏中烟工业公司)
        lo, hi = max(0, m.start - 8), min(len(text), m.end + 4)
        starts, ends, last_before = set(), set(), None
        for tok in tokenize(text[lo:hi]):
            starts.add(lo + tok.start)
            ends.add(lo + tok.end)
            if lo + tok.end == m.start:
                last_before = tok
        if (m.end not in ends and m.type == "Person") or (m.start not in starts and m.start > lo):
            return False  # (an agency's last word may fuse with a title: 中国文化|大学校长)
        return not (m.type == "Agency" and last_before is not None and last_before.pos in _NAME_POS
                    and not _CJK_PUNCT.search(last_before.word) and last_before.word not in _LEAD_WORDS)

    def all_whole(self, *ms: Mention) -> bool:
        return all(m.source in _RESOLVED or self.whole(m) for m in ms)

    def opens_phrase(self, m: Mention) -> bool:
        """Whether an agency's name opens its phrase: after punctuation or a lead word (由, 在, 毕业于 …).

        Company facts (成立于, 创始人, 总部) are read only about names that open their phrase, because a company name
        the recogniser cut short (温州华泰警示|设备有限公司) still looks like a name of its own.
        """
        if m.source in _RESOLVED:
            return True
        text = self.doc.text
        k = m.start
        while k > 0 and not _PHRASE_BREAK.match(text[k - 1]) and m.start - k < 12:
            k -= 1
        lead = text[k: m.start]
        return not lead or lead.endswith(_LEAD_WORDS)

    def evidence(self, offset: int) -> Span | None:
        sent = self.doc.sentence_at(offset)
        return Span(sent.start, sent.end) if sent else None

    def clause_bounds(self, sent: Sentence, offset: int) -> tuple[int, int]:
        """The clause (between commas/semicolons) of ``sent`` that holds ``offset``."""
        start, end = sent.start, sent.end
        for m in _CLAUSE.finditer(self.doc.text, sent.start, sent.end):
            if m.start() < offset:
                start = m.end()
            elif m.start() >= offset:
                end = m.start()
                break
        return start, end

    def topic(self, offset: int, types: tuple[str, ...] = ("Agency",)) -> Mention | None:
        """The agency the text is about around ``offset``: the one in the headline (株洲经开区全力开展…), else the
        one named most often in the 1500 characters before."""
        title = self.doc.title
        at = self.doc.text.find(title, 0, 200) if title else -1
        if at >= 0:
            head_end = at + len(title)
            in_title = [m for m in self.mentions if m.end <= head_end and m.type in types and m.source != "nested"]
            if in_title:
                return in_title[0]
        window = [m for m in self.mentions if offset - 1500 <= m.start < offset and m.type in types
                  and m.source != "nested"]
        if not window:
            return None
        counts = Counter(m.entity for m in window)
        best = counts.most_common(1)[0][0]
        return next(m for m in reversed(window) if m.entity == best)


# How often each rule is right, judged on the seed page, the SogouCS fixtures and DuIE (see benchmarks/
# relations_eval.py): a prior for ranking and filtering, written on every statement as kg:confidence.
CONFIDENCE = {
    "byline": 0.95, "nested-name": 0.9, "gazetteer": 0.9, "post-before-name": 0.9, "speech-verb": 0.9,
    "by-organiser": 0.9,
    "money-trigger": 0.85, "route": 0.85, "located-verb": 0.85, "founded-verb": 0.85, "graduated": 0.85,
    "post-after-name": 0.8, "post-list": 0.8, "organise-trigger": 0.8, "partner-trigger": 0.8, "date-clause": 0.8,
    "headquarters": 0.8, "founder-noun": 0.8, "founder-verb": 0.8, "founder-by": 0.8, "adjacent-parent": 0.75,
    "measure": 0.7, "participant-list": 0.7, "participant-verb": 0.7, "event-place": 0.7, "quote-speaker": 0.7,
    "organise-topic": 0.6,
}


def _rel(ctx: Context, subject: Mention | str, predicate: str, *, obj: Mention | None = None, value: object = None,
         at: int, source: str, **extra: object) -> Relation:
    subject_id = subject if isinstance(subject, str) else subject.entity
    extra_all = {k: v for k, v in extra.items() if v not in (None, "")}
    extra_all["source"] = source
    extra_all["confidence"] = CONFIDENCE.get(source, 0.7)
    return Relation(subject_id, predicate, object=obj.entity if obj is not None else None, value=value,
                    evidence=ctx.evidence(at), extra=extra_all)


# ---------------------------------------------------------------- posts


def posts(ctx: Context) -> Iterator[Relation]:
    """Person holds post in agency (only for a whole name: 刘炯|天 is not a person; checked last, it is slow)."""
    for rel in _posts(ctx):
        person = next((m for m in ctx.mentions if m.entity == rel.subject and m.type == "Person"
                       and rel.evidence is not None and rel.evidence.start <= m.start < rel.evidence.end), None)
        if person is None or ctx.whole(person):
            yield rel


def _posts(ctx: Context) -> Iterator[Relation]:
    """Person holds post in agency.

    ``<Agency><titles><Person>`` with titles joined by 、/兼 (省炎基办党组书记、主任黄勇), chained with 、 for several
    agencies (中国美协副主席、清华大学美术学院院长鲁晓波), and ``<Person>，<Agency><titles>`` / ``<Person>担任<Agency>
    <title>`` after the name.
    """
    text = ctx.doc.text
    ordered = ctx.mentions
    _posts_of: dict[str, list[Relation]] = {}
    parents = {(m.start, m.end): m for m in ordered if m.source == "nested" and m.type == "Agency"}
    for i, person in enumerate(ordered):
        if person.type != "Person":
            continue
        pos = person.start
        found_before = False
        for agency in reversed(ordered[:i]):
            if agency.end > pos or agency.source == "nested":
                continue
            if pos - agency.end > 24:
                break
            if agency.type not in {"Agency", "Place"}:
                if agency.end > pos - 1:
                    break
                continue
            between = text[agency.end: pos]
            match = _POSTS_BEFORE_NAME.match(between)
            if not match:
                if agency.type == "Agency":
                    break
                continue
            if agency.type == "Agency" and ctx.all_whole(agency) and ctx.opens_phrase(agency):
                holder, titles = _holder_and_titles(agency, match.group(1), parents)
                for title in titles:
                    rel = _rel(ctx, person, "holdsPost", obj=holder, at=person.start, source="post-before-name",
                               role=title)
                    _posts_of.setdefault(person.entity, []).append(rel)
                    yield rel
                found_before = True
            # Another "<Agency><titles>、" segment before this one?
            if agency.start > 0 and text[agency.start - 1] in "、，,":
                pos = agency.start - 1
                continue
            break
        if found_before:
            continue
        # 北京交通大学党委书记黄泰岩、校长王稼琼: a second office-holder of the agency just named
        prev = ordered[i - 1] if i else None
        if prev is not None and prev.type == "Person":
            match = re.match(rf"^、({_TITLE_LIST})\s*$", text[prev.end: person.start])
            held = [r for r in _posts_of.get(prev.entity, []) if r.evidence == ctx.evidence(person.start)]
            if match and held:
                for title in re.split(r"\s*[、兼和及]\s*", match.group(1)):
                    yield _rel(ctx, person, "holdsPost", obj=next(m for m in ordered if m.entity == held[0].object),
                               at=person.start, source="post-list", role=title)
                continue
        # After the name: 张三，X公司董事长 / 张三担任X公司董事长.
        for agency in ordered[i + 1:]:
            if agency.start - person.end > 8:
                break
            if agency.type != "Agency" or agency.source == "nested":
                continue
            if not _POST_AFTER_NAME_LEAD.match(text[person.end: agency.start]):
                break
            match = _POSTS_AFTER_AGENCY.match(text[agency.end: agency.end + 30])
            after = text[agency.end + match.end(): agency.end + match.end() + 1] if match else ""
            if after and not (_PHRASE_BREAK.match(after) or after in "的等兼"):
                break  # 周萍，中华社会救助基金会副理事长耿志远: the title belongs to the next name
            if match and ctx.all_whole(agency):
                holder, titles = _holder_and_titles(agency, match.group(1), parents)
                for title in titles:
                    yield _rel(ctx, person, "holdsPost", obj=holder, at=person.start, source="post-after-name",
                               role=title)
            break


def _holder_and_titles(agency: Mention, titles: str, parents: dict[tuple[int, int], Mention]
                       ) -> tuple[Mention, list[str]]:
    """新疆天业集团有限公司党委书记、董事长: the posts are in the company, 书记 being of its party committee."""
    holder, party = agency, ""
    party_head = next((h for h in _PARTY_HEADS if agency.text.endswith(h)), "")
    if party_head:
        parent = parents.get((agency.start, agency.end - len(party_head)))
        if parent is not None:
            holder, party = parent, party_head
    out = []
    for title in re.split(r"\s*[、兼和及]\s*", titles):
        if party and title.endswith("书记") and not title.startswith(("党", "纪")):
            title = party + title
        out.append(title)
    return holder, out


# ---------------------------------------------------------------- organisers, partners, participants


def organizers(ctx: Context) -> Iterator[Relation]:
    """``<Agency>…召开/主办/牵头/组织/开展/启动…<Event|Project>`` and ``由<Agency>主办``: the agency organises it.

    The organiser is the nearest agency before the trigger in the same sentence (the subject of the clause, or of an
    earlier clause when a later one drops it); agencies joined by 联合/与 organise together.
    """
    text = ctx.doc.text
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        events = [m for m in inside if m.type in {"Event", "Project"}]
        for event in events:
            # the trigger closest before the event, within its own clause or the clause before
            c_start, _ = ctx.clause_bounds(sent, event.start)
            window_start = max(sent.start, c_start - 30)
            triggers = list(_ORGANISE.finditer(text, window_start, event.start))
            if not triggers:
                continue
            trig = triggers[-1]
            # text between trigger and event must not hold another event/project or a sentence-final stop
            if any(m.type in {"Event", "Project"} and trig.end() <= m.start < event.start for m in inside):
                continue
            if event.start - trig.end() > 16 or _CLAUSE.search(text, trig.end(), event.start):
                continue
            before = [m for m in inside if m.end <= trig.start() and m.type in {"Agency"}
                      and m.source != "nested"]
            if not before:
                # a dropped subject (先后多次组织党员干部…开展…活动): the agency the article is about
                if any(m.type in {"Person", "Agency"} for m in inside if m.end <= trig.start()):
                    continue
                if trig.group(1) not in _TOPIC_TRIGGERS or "、" in text[trig.end(): event.start] \
                        or re.search(r"(成功|正式|隆重|顺利)$", text[max(sent.start, trig.start() - 2): trig.start()]):
                    continue
                topic = ctx.topic(sent.start)
                if topic is not None and topic.entity != event.entity:
                    yield _rel(ctx, event, "organizer", obj=topic, at=event.start, source="organise-topic",
                               role=trig.group(1))
                continue
            agency = before[-1]
            if trig.start() - agency.end > 40:
                continue
            role = trig.group(1)
            yield _rel(ctx, event, "organizer", obj=agency, at=event.start, source="organise-trigger", role=role)
            # 联合/与 X …: X organises too, and the two are partners
            link = text[max(sent.start, agency.start - 4): agency.start]
            if re.search(r"(联合|与|和|会同)\s*$", link):
                co = [m for m in before[:-1] if m.type == "Agency" and m.entity != agency.entity]
                if co:
                    yield _rel(ctx, event, "organizer", obj=co[-1], at=event.start, source="organise-trigger",
                               role=role)
        # 由X主办/承办/牵头
        for m in re.finditer(r"由\s*", text[sent.start: sent.end]):
            pos = sent.start + m.end()
            agency = next((a for a in inside if a.start == pos and a.type == "Agency"), None)
            if agency is None:
                continue
            after = re.match(r"\s*(主办|承办|协办|牵头|组织|举办|发起)", text[agency.end: sent.end])
            if not after:
                continue
            for event in events:
                yield _rel(ctx, event, "organizer", obj=agency, at=event.start, source="by-organiser",
                           role=after.group(1))


def _entity_list_after(ctx: Context, inside: list[Mention], start: int, types: set[str]) -> list[Mention]:
    """Mentions of ``types`` starting at ``start`` and joined by 、/和/及 (长沙市雨花区、浏阳市、长沙县)."""
    text = ctx.doc.text
    out: list[Mention] = []
    pos = start
    for m in inside:
        if m.start < pos:
            continue
        gap = text[pos: m.start]
        if m.type not in types or (out and not _LIST_SEP.match(gap)) or (not out and gap.strip()):
            break
        out.append(m)
        pos = m.end
    return out


def partners(ctx: Context) -> Iterator[Relation]:
    """``X与Y(、Z)…签订/合作/通办/配合`` and ``X联合Y``: X and each of Y, Z are partners.

    X is the nearest agency or place before 与 in the sentence, else the agency the passage is about (the subject
    of such sentences is often dropped: 加强与湖南工业大学合作).
    """
    text = ctx.doc.text
    kinds = {"Agency", "Place"}
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        for i, m in enumerate(inside):
            if m.type not in kinds:
                continue
            lead = text[max(sent.start, m.start - 4): m.start]
            link = _PARTNER_LINK.search(lead)
            if not link:
                continue
            link_start = m.start - len(link.group(0))
            prev = inside[i - 1] if i else None
            if prev is not None and prev.end == m.start - 1 and text[prev.end] in "、，,":
                continue  # a later member of a list, handled from the list's head
            subject: Mention | None = None
            if prev is not None and prev.end == link_start and prev.type in kinds and link.group(1) != "联合":
                subject = prev
            group = _entity_list_after(ctx, inside, m.start, kinds)
            tail_end = min(len(text), group[-1].end + 40)
            tail = re.split(r"[。；;！？!?]", text[group[-1].end: tail_end], maxsplit=1)[0]
            if link.group(1) != "联合" and not _PARTNER_TRIGGER.search(tail):
                continue
            if link.group(1) == "和" and subject is None:
                continue
            if subject is None:
                cands = [c for c in inside[:i] if c.type in kinds and c.source != "nested"
                         and c.end <= m.start - len(link.group(0))]
                subject = cands[-1] if cands else ctx.topic(m.start)
            if subject is None:
                continue
            for other in group:
                if other.entity != subject.entity:
                    yield _rel(ctx, subject, "partner", obj=other, at=m.start, source="partner-trigger",
                               role=(_PARTNER_TRIGGER.search(tail) or link).group(1))


def participants(ctx: Context) -> Iterator[Relation]:
    """``<Event>，A、B和C(各社区)相关负责人约40人…``: the listed agencies and places take part in the event."""
    text = ctx.doc.text
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        events = [m for m in inside if m.type == "Event"]
        if not events:
            continue
        for m in re.finditer(r"(相关)?(负责人|代表|干部|党员|嘉宾|人员)", text[sent.start: sent.end]):
            end = sent.start + m.start()
            clause_start, _ = ctx.clause_bounds(sent, end)
            group = [c for c in inside if clause_start <= c.start and c.end <= end and c.type in {"Agency", "Place"}]
            event = next((e for e in reversed(events) if e.end <= clause_start), None)
            if event is None or len(group) < 2:
                continue
            for member in group:
                yield _rel(ctx, event, "participant", obj=member, at=member.start, source="participant-list")
    # 重庆市、呼和浩特市…及遵化市将会积极参加这一公益活动: a list of places or agencies that will take part
    for sent in ctx.doc.sentences:
        sent_text = text[sent.start: sent.end]
        for m in _JOIN.finditer(sent_text):
            at = sent.start + m.start()
            c_start, _ = ctx.clause_bounds(sent, at)
            group = [c for c in ctx.in_span(c_start, at, {"Agency", "Place"}) if c.source != "nested"]
            if len(group) < 2 or text[group[-1].end: at].strip(" ，,"):
                continue
            if any(text[a.end: b.start] not in {"、", "和", "及", "以及", "与", "，", ","} for a, b in pairwise(group)):
                continue  # only a plain list right before the verb
            after = sent.start + m.end()
            named = [e for e in ctx.in_span(after, sent.end, {"Event"}) if e.start - after <= 2]
            if named:
                event = named[0]
            elif m.group(1):  # 这一公益活动 / 本次会议: the event the document is about so far
                noun = re.sub(r"^(?:这一|此次|本次|该|这次|本届)", "", m.group(1))
                earlier = [e for e in ctx.mentions if e.type == "Event" and e.end <= c_start
                           and (ctx.by_id[e.entity].label.endswith(noun) or
                                (len(noun) > 2 and ctx.by_id[e.entity].label.endswith(noun[-2:])))]
                if not earlier:
                    continue
                # the one whose name ends with the same words (这一公益活动 → “中国爱心城市”公益活动)
                exact = [e for e in earlier if ctx.by_id[e.entity].label.endswith(noun)]
                event = (exact or earlier)[-1]
            else:
                continue
            for member in group:
                yield _rel(ctx, event, "participant", obj=member, at=member.start, source="participant-verb")


# ---------------------------------------------------------------- dates, money, quantities


def _target_near(ctx: Context, sent: Sentence, offset: int, types: set[str]) -> Mention | None:
    """The entity a date or amount at ``offset`` is about: in its clause (after, then before), then earlier."""
    c_start, c_end = ctx.clause_bounds(sent, offset)
    in_clause = [m for m in ctx.in_span(c_start, c_end, types) if m.source != "nested"]
    after = [m for m in in_clause if m.start >= offset]
    before = [m for m in in_clause if m.end <= offset]
    if before:
        return before[-1]
    if after:
        return after[0]
    # a leading date (12月7日，X召开Y): the entity in the next clause(s) of the sentence
    rest = [m for m in ctx.in_span(c_end, sent.end, types) if m.source != "nested"]
    if rest and ctx.doc.text[offset: c_end].strip() and c_start == sent.start:
        return rest[0]
    earlier = [m for m in ctx.in_span(sent.start, c_start, types) if m.source != "nested"]
    return earlier[-1] if earlier else None


def dates(ctx: Context) -> Iterator[Relation]:
    """When an event or project happens, starts (开业/启动/开通/运行) or ends (竣工/办结), as resolved dates."""
    text = ctx.doc.text
    for d in ctx.dates:
        sent = ctx.doc.sentence_at(d.start)
        if sent is None or len(d.value) == 4:  # a bare year rarely dates one event
            continue
        c_start, c_end = ctx.clause_bounds(sent, d.start)
        after = text[d.end: min(sent.end, d.end + 40)]
        target = _target_near(ctx, sent, d.start, {"Event", "Project"})
        verb_zone = after[: max(0, c_end - d.end)] if c_start != sent.start or c_end - d.end > 2 else after
        predicate = "date"
        word = ""
        for w in _START_WORDS:
            if w in verb_zone[:20]:
                predicate, word = "startDate", w
                break
        else:
            for w in _END_WORDS:
                if w in verb_zone[:20]:
                    predicate, word = "endDate", w
                    break
        if target is None and re.fullmatch(r"\s*(?:项目|工程|活动)\s*(?:于|在)?\s*", text[c_start: d.start]):
            # 项目于10月26日启动验收工作: the bare head word stands for the project the article is about
            kind = {"项": "Project", "工": "Project", "活": "Event"}[text[c_start: d.start].strip()[0]]
            earlier = [m for m in ctx.mentions if m.type == kind and d.start - 600 <= m.end <= c_start
                       and m.source != "nested"]
            target = earlier[-1] if earlier else None
        if target is None and predicate == "startDate" and word == "开业":
            venue = _target_near(ctx, sent, d.start, {"Place", "Agency"})
            if venue is not None and venue.text.endswith(_VENUES):
                target = venue
        if target is None:
            continue
        # 于10月26日启动验收工作: the start of something else than the project itself
        if predicate == "startDate":
            rest = verb_zone[verb_zone.find(word) + len(word):]
            obj = re.match(r"(?!以来|之后|以后|后|了)[^，,。；;]{2,}", rest)
            zone_end = d.end + len(verb_zone)
            if obj and not any(m.entity == target.entity for m in ctx.in_span(d.end, zone_end)):
                yield _rel(ctx, target, "date", value=d.value, at=d.start, source="date-clause",
                           role=(word + obj.group(0))[:20], text=d.text)
                continue
        yield _rel(ctx, target, predicate, value=d.value, at=d.start, source="date-clause", text=d.text,
                   role=word)


def _project_for_amount(ctx: Context, sent: Sentence, amount: Amount) -> Mention | None:
    target = _target_near(ctx, sent, amount.start, {"Project"})
    if target is not None:
        return target
    # the project named in the sentences just before (该项目…总投资)
    earlier = [m for m in ctx.mentions if m.type == "Project" and amount.start - 300 <= m.start < sent.start
               and m.source != "nested"]
    return earlier[-1] if earlier else None


def amounts(ctx: Context) -> Iterator[Relation]:
    """Money for a project: investment (总投资/投资), funding (资金/争取/筹集), price (票价)."""
    text = ctx.doc.text
    for amount in ctx.money:
        sent = ctx.doc.sentence_at(amount.start)
        if sent is None:
            continue
        lead = text[max(sent.start, amount.start - 12): amount.start]
        tail = text[amount.end: amount.end + 3]
        if _INVEST.search(lead) or (tail.startswith("的") and "投资" in lead):
            predicate = "investment"
        elif _PRICE.search(lead):
            predicate = "price"
        elif _FUND.search(lead):
            predicate = "funding"
        else:
            continue
        target = _project_for_amount(ctx, sent, amount)
        if target is None:
            continue
        yield _rel(ctx, target, predicate, value=amount.value(), at=amount.start, source="money-trigger",
                   text=amount.text)


def quantities(ctx: Context) -> Iterator[Relation]:
    """Measures and counts of an event or project (全长52公里, 占地面积约40公顷, 收到160所学校的500多个参赛作品)."""
    text = ctx.doc.text
    for q in ctx.quantities:
        sent = ctx.doc.sentence_at(q.start)
        if sent is None:
            continue
        c_start, _ = ctx.clause_bounds(sent, q.start)
        lead = text[c_start: q.start]
        measure = _MEASURE.search(lead)
        previous = [p for p in ctx.quantities if c_start <= p.end <= q.start
                    and re.fullmatch(r"[\u4e00-\u9fff]{0,6}的", text[p.end: q.start])] if not measure else []
        if not measure and not previous:
            continue
        target = _target_near(ctx, sent, q.start, {"Event", "Project"})
        if target is None:
            continue
        role = measure.group(1) if measure else ""
        noun = re.match(r"[\u4e00-\u9fff]{1,6}?(?=[的，,。；、]|$)", text[q.end: q.end + 8])
        if noun and role in {"", "收到", "吸引", "覆盖"}:
            role = (role + noun.group(0)) if role else noun.group(0)
        yield _rel(ctx, target, "quantity", value=q.value(), at=q.start, source="measure", role=role, text=q.text)


# ---------------------------------------------------------------- places and organisations


def locations(ctx: Context) -> Iterator[Relation]:
    """``X位于Y`` (by X's type: projectLocation, eventPlace, locatedIn, partOf) and events held in a place."""
    text = ctx.doc.text
    predicate_for = {"Project": "projectLocation", "Event": "eventPlace", "Agency": "locatedIn", "Place": "partOf",
                     "Person": None}
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        for k, (a, b) in enumerate(pairwise(inside)):
            if b.type not in {"Place"} or a.entity == b.entity:
                continue
            gap = text[a.end: b.start]
            head = _HEADQUARTERS.search(gap)
            if head and not _LOCATED.match(gap):
                # 润迅通信集团有限公司是一家…公司,总部位于广东省深圳市: the company the sentence is about
                agencies = [m for m in inside[: k + 1] if m.type == "Agency" and m.source != "nested"]
                if agencies and not _CLAUSE.search(text, b.start - len(head.group(0)), b.start) \
                        and (b.end >= len(text) or _PHRASE_BREAK.match(text[b.end])) \
                        and ctx.all_whole(agencies[0]) and ctx.opens_phrase(agencies[0]):
                    yield _rel(ctx, agencies[0], "locatedIn", obj=b, at=b.start, source="headquarters", role="总部")
                continue
            if _LOCATED.match(gap):
                predicate = predicate_for.get(a.type)
                if predicate and ("总部" not in gap or (ctx.all_whole(a) and ctx.opens_phrase(a))):
                    yield _rel(ctx, a, predicate, obj=b, at=a.start, source="located-verb",
                               role="总部" if "总部" in gap else "")
        # 在/前往 <Place>(、<Place>) … 召开/开展/举行 <Event>
        for i, place in enumerate(inside):
            if place.type != "Place" or place.source == "nested":
                continue
            if not _EVENT_PLACE_LEAD.search(text[max(sent.start, place.start - 2): place.start]):
                continue
            if i and text[place.start - 1] == "、":
                continue  # inside a list; handled from its head
            _, c_end = ctx.clause_bounds(sent, place.start)
            events_after = [m for m in inside if place.start < m.start < c_end and m.type == "Event"]
            if events_after:
                event = events_after[0]
                group = [m for m in inside if place.start <= m.start and m.end <= event.start and m.type == "Place"
                         and m.source != "nested"]
                between = text[group[-1].end: event.start]
                if len(between) > 24 or not _HOLD.search(between):
                    continue
            else:
                # …交流会,…负责人约40人,前往云峰湖社区、曹塘社区,参观学习: the event named before the journey
                if not re.search(r"(前往|赴|来到|走进|深入)\s*$", text[max(sent.start, place.start - 3): place.start]):
                    continue
                earlier = [m for m in inside if m.end <= place.start and m.type == "Event"]
                if not earlier or not _HOLD.search(text[place.end: min(sent.end, c_end + 12)]):
                    continue
                event = earlier[-1]
                group = [m for m in inside if place.start <= m.start and m.end <= c_end and m.type == "Place"
                         and m.source != "nested"]
            for p in group:
                yield _rel(ctx, event, "eventPlace", obj=p, at=p.start, source="event-place")


def sub_organizations(ctx: Context) -> Iterator[Relation]:
    """An agency named right after its parent: 该区行政审批服务局, 云田镇城管办 (parent prefix inside the name)."""
    text = ctx.doc.text
    ordered = ctx.mentions
    for prev, m in pairwise(ordered):
        if m.type != "Agency" or prev.end != m.start or prev.type not in {"Agency", "Place"}:
            continue
        if prev.entity == m.entity or text[m.start: m.end] in {"党组", "党委"}:
            continue
        yield _rel(ctx, m, "subOrganizationOf", obj=prev, at=m.start, source="adjacent-parent")
    # a place or agency prefix inside an agency's name (nested mention at the same start)
    for outer in ordered:
        if outer.type != "Agency" or outer.source in {"nested", "anaphora", "abbreviation"}:
            continue
        inners = [m for m in ctx.starting_at(outer.start) if m.end < outer.end and m.type in {"Place", "Agency"}
                  and m.entity != outer.entity and len(outer.text) - len(m.text) >= 2
                  and m.text not in _LEVEL_WORDS]
        if inners:  # the nearest parent only (深圳市罗湖区政数局 → 深圳市罗湖区, not 深圳市)
            inner = max(inners, key=lambda m: m.end)
            # an office of a town is part of its government; a school or company in a city is only located there
            official = inner.type == "Agency" or outer.text.endswith(_OFFICIAL_HEADS)
            yield _rel(ctx, outer, "subOrganizationOf" if official else "locatedIn", obj=inner, at=outer.start,
                       source="nested-name")


def nested_parts(ctx: Context) -> Iterator[Relation]:
    """A place written after the place that encloses it is part of it (云田镇五星社区: 五星社区 partOf 云田镇;
    炎陵县船形乡同睦村: 同睦村 partOf 船形乡 partOf 炎陵县), and a compound place is part of a prefix nested in it."""
    nested_by_end = {m.end: m for m in ctx.mentions if m.source == "nested" and m.type == "Place"}
    for outer in ctx.mentions:
        if outer.type != "Place":
            continue
        before = nested_by_end.get(outer.start)
        if before is not None and before.entity != outer.entity:
            yield _rel(ctx, outer, "partOf", obj=before, at=outer.start, source="nested-name")
            continue
        inners = [m for m in ctx.starting_at(outer.start) if m.source == "nested" and m.end < outer.end
                  and m.type == "Place" and m.entity != outer.entity]
        if inners:  # the nearest enclosing place only
            inner = max(inners, key=lambda m: m.end)
            yield _rel(ctx, outer, "partOf", obj=inner, at=outer.start, source="nested-name")


def gazetteer_parts(ctx: Context) -> Iterator[Relation]:
    """A place is part of the nearest enclosing division the document also names (浏阳市 partOf 长沙市, 炎陵县
    partOf 株洲), from the administrative hierarchy of the gazetteer; ambiguous names (two 雨花区) are left alone."""
    places: dict[str, Mention] = {}
    for m in ctx.mentions:
        if m.type == "Place" and m.entity not in places:
            places[m.entity] = m
    if len(places) < 2:
        return
    names: dict[str, Mention] = {}
    for m in places.values():
        label = ctx.by_id[m.entity].label
        for d in lookup(label):
            names.setdefault(d.name, m)
    for m in places.values():
        for ancestor in parent_chain(ctx.by_id[m.entity].label):
            parent = names.get(ancestor)
            if parent is not None and parent.entity != m.entity:
                yield _rel(ctx, m, "partOf", obj=parent, at=m.start, source="gazetteer")
                break


def routes(ctx: Context) -> Iterator[Relation]:
    """A line's termini: 从A始发(，经…)，至B → routeFrom A, routeTo B."""
    text = ctx.doc.text
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        origin = dest = None
        for m in inside:
            if m.type != "Place":
                continue
            lead = text[max(sent.start, m.start - 2): m.start]
            if origin is None and _ROUTE_FROM.search(lead) and _ROUTE_FROM_AFTER.match(text[m.end: m.end + 4]):
                origin = m
            elif origin is not None and dest is None and _ROUTE_TO.search(lead):
                dest = m
        if origin is None:
            continue
        line = _target_near(ctx, sent, origin.start, {"Project"})
        if line is None:
            earlier = [m for m in ctx.mentions if m.type == "Project" and origin.start - 200 <= m.start < sent.start]
            line = earlier[-1] if earlier else None
        if line is None:
            continue
        yield _rel(ctx, line, "routeFrom", obj=origin, at=origin.start, source="route")
        if dest is not None:
            yield _rel(ctx, line, "routeTo", obj=dest, at=dest.start, source="route")


# ---------------------------------------------------------------- who said it, who wrote it


def speakers(ctx: Context) -> Iterator[Relation]:
    """``X相关负责人表示/介绍``, ``<title><Person>表示``: X is quoted in the document (the evidence is the quote)."""
    text = ctx.doc.text
    doc_id = ctx.doc.doc
    for m in ctx.mentions:
        if m.type not in {"Person", "Agency"}:
            continue
        after = text[m.end: m.end + 12]
        match = _SPEAK.match(after)
        title = ""
        if not match and m.type == "Agency":
            t = re.match(rf"({_TITLE_LIST})", after)
            if t:
                title = t.group(1)
                # a person named after the titles speaks, not the agency
                continue
        if not match:
            continue
        role = after[: match.start(1)].strip()
        yield _rel(ctx, m, "quotedIn", value=doc_id, at=m.start, source="speech-verb",
                   role=role or title or match.group(1))
        # “策划组织的‘童说炎帝’抖音大赛,…”省炎基办相关负责人表示: what the quote says the speaker organised
        quote_end = m.start
        while quote_end > 0 and text[quote_end - 1] in " \u3000":
            quote_end -= 1
        if m.type == "Agency" and quote_end > 0 and text[quote_end - 1] == "”":
            quote_start = text.rfind("“", 0, quote_end - 1)
            for event in ctx.in_span(quote_start, quote_end, {"Event"}):
                lead = text[max(quote_start, event.start - 8): event.start]
                trig = re.search(r"(策划组织|策划|组织|主办|承办|举办)的?\s*$", lead)
                if trig:
                    yield _rel(ctx, event, "organizer", obj=m, at=event.start, source="quote-speaker",
                               role=trig.group(1))


def credit_mentions(text: str) -> list[Mention]:
    """Person mentions for credited names, so that the author relation has an entity even where NER missed it."""
    return [Mention(s, e, name, "Person", source="byline") for s, e, name, _ in credits(text)]


def authors(ctx: Context) -> Iterator[Relation]:
    """Everyone credited in a byline or caption is an author of the document, with the byline role."""
    doc_id = ctx.doc.doc
    by_start = {(m.start, m.end): m for m in ctx.mentions if m.type == "Person"}
    for start, end, _name, role in credits(ctx.doc.text):
        m = by_start.get((start, end))
        if m is not None:
            yield _rel(ctx, m, "authorOf", value=doc_id, at=start, source="byline", role=role)
    for m in _CREDIT_PROVIDER.finditer(ctx.doc.text):
        provider = next((a for a in ctx.mentions if a.start == m.start(1) and a.type in {"Agency", "Person"}), None)
        if provider is not None:
            yield _rel(ctx, provider, "authorOf", value=doc_id, at=m.start(1), source="byline", role="图片提供")


# ---------------------------------------------------------------- organisations' history (DuIE-style facts)


def founders(ctx: Context) -> Iterator[Relation]:
    """``X创始人张三``, ``张三创办了X``, ``X由张三创办``: the person founded the agency."""
    text = ctx.doc.text
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        for a, b in pairwise(inside):
            gap = text[a.end: b.start]
            noun = a.type == "Agency" and b.type == "Person" and _FOUNDER_NOUN.match(gap)
            verb = a.type == "Person" and b.type == "Agency" and _FOUND_VERB.match(gap)
            if not (noun or verb) or not ctx.all_whole(a, b) or not ctx.opens_phrase(a if noun else b):
                continue
            if noun:
                yield _rel(ctx, a, "founder", obj=b, at=a.start, source="founder-noun")
            else:
                yield _rel(ctx, b, "founder", obj=a, at=a.start, source="founder-verb")
        for a, b in pairwise(inside):
            if a.type == "Agency" and b.type == "Person" and _BY_FOUNDER.match(text[a.end: b.start]) \
                    and re.match(r"\s*(?:于[^，,。]{0,12})?(?:创办|创立|创建|成立)", text[b.end: b.end + 16]) \
                    and ctx.all_whole(a, b) and ctx.opens_phrase(a):
                yield _rel(ctx, a, "founder", obj=b, at=a.start, source="founder-by")


def founding_dates(ctx: Context) -> Iterator[Relation]:
    """``X成立于2005年``, ``X于2005年3月成立``, ``2005年，X成立``: the agency's founding date."""
    text = ctx.doc.text
    for d in ctx.dates:
        sent = ctx.doc.sentence_at(d.start)
        if sent is None or d.value.startswith("--"):
            continue
        if re.match(r"[^，,。]{0,30}?(?:成立|创建|创立|始建|建立|组建)了", text[d.end: d.end + 32]):
            continue  # 2017年，成都市教科院创立了…附属学校: the agency founded something else
        agencies = [m for m in ctx.in_span(sent.start, sent.end, {"Agency"})
                    if not re.search(r"(?:和|与|及|、)\s*$", text[max(0, m.start - 1): m.start])]
        before = [m for m in agencies if m.end <= d.start]
        if before and ctx.all_whole(before[-1]) and ctx.opens_phrase(before[-1]):
            a = before[-1]
            gap = text[a.end: d.start]
            if _FOUNDED_AT.match(gap) or (re.fullmatch(r"\s*(?:于|在)\s*", gap)
                                          and _AT_FOUNDED.match(text[d.end: d.end + 40])):
                yield _rel(ctx, a, "foundingDate", value=d.value, at=d.start, source="founded-verb")
                continue
            # X（成立于…）/ X是一家成立于…的公司
            if re.fullmatch(r"[^，,。；]{0,12}(?:成立|创建|创立)于\s*", gap) and not any(
                    m.end <= d.start and m.start > a.end and m.type in {"Agency", "Person"} for m in agencies):
                yield _rel(ctx, a, "foundingDate", value=d.value, at=d.start, source="founded-verb")
                continue
        after = [m for m in agencies if m.start >= d.end]
        if after and re.fullmatch(r"\s*[，,]?\s*", text[d.end: after[0].start]) \
                and _AT_FOUNDED.match(text[after[0].end: after[0].end + 8]) and ctx.all_whole(after[0]) \
                and ctx.opens_phrase(after[0]):
            yield _rel(ctx, after[0], "foundingDate", value=d.value, at=d.start, source="founded-verb")


def alumni(ctx: Context) -> Iterator[Relation]:
    """``张三…毕业于X大学`` / ``张三，X大学毕业``: the person graduated from the school."""
    text = ctx.doc.text
    for sent in ctx.doc.sentences:
        inside = ctx.in_span(sent.start, sent.end)
        for i, school in enumerate(inside):
            if school.type != "Agency" or not school.text.endswith(_SCHOOL_SUFFIXES):
                continue
            lead = text[max(sent.start, school.start - 4): school.start]
            graduated_after = re.match(r"\s*(?:本科|硕士|博士|研究生)?毕业", text[school.end: school.end + 6])
            if not (_GRADUATED.search(lead) or graduated_after):
                continue
            people = [m for m in inside[:i] if m.type == "Person"]
            if not people:
                continue
            person = people[-1]
            between = text[person.end: school.start]
            if len(between) > 40 or re.search(r"[。；;]", between):
                continue
            if any(m.type == "Person" for m in inside[inside.index(person) + 1: i]) \
                    or not ctx.all_whole(person, school) or not ctx.opens_phrase(school):
                continue
            yield _rel(ctx, person, "alumniOf", obj=school, at=school.start, source="graduated")


# ---------------------------------------------------------------- co-mentions


def co_mentions(ctx: Context) -> list[Relation]:
    """Every pair of entities named in one sentence, with how many sentences name both (a weak, separate link)."""
    pair_counts: Counter[tuple[str, str]] = Counter()
    pair_evidence: dict[tuple[str, str], Span] = {}
    order = {e.id: i for i, e in enumerate(ctx.doc.entities)}
    mentions = ctx.mentions
    j = 0
    for sent in ctx.doc.sentences:
        while j < len(mentions) and mentions[j].start < sent.start:
            j += 1
        ids: set[str] = set()
        k = j
        while k < len(mentions) and mentions[k].start < sent.end:
            ids.add(mentions[k].entity)
            k += 1
        for a, b in combinations(sorted(ids, key=order.__getitem__), 2):
            pair_counts[(a, b)] += 1
            pair_evidence.setdefault((a, b), Span(sent.start, sent.end))
    return [Relation(a, "coMention", object=b, evidence=pair_evidence[(a, b)], extra={"count": count})
            for (a, b), count in sorted(pair_counts.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]]))]


Rule = Callable[[Context], Iterable[Relation]]
RULES: tuple[Rule, ...] = (nested_parts, gazetteer_parts, posts, organizers, partners, participants, dates, amounts,
                           quantities, locations, sub_organizations, routes, speakers, authors, founders,
                           founding_dates, alumni)


def _key(rel: Relation) -> tuple[object, ...]:
    value = rel.value if not isinstance(rel.value, dict) else tuple(sorted(rel.value.items()))
    where = rel.evidence.start if rel.predicate == "quotedIn" and rel.evidence else None
    return rel.subject, rel.predicate, rel.object, value, rel.extra.get("role", ""), where


def relations(doc: Document, rules: Iterable[Rule] = RULES, *, co_mention: bool = True) -> list[Relation]:
    """All relations of ``doc``: every rule's, without duplicates and self-links, then the co-mentions."""
    ctx = Context.of(doc)
    out: list[Relation] = []
    seen: set[tuple[object, ...]] = set()
    for rule in rules:
        for rel in rule(ctx):
            if rel.object is not None and rel.object == rel.subject:
                continue
            if rel.predicate == "partner" and rel.object is not None:
                mirror = (rel.object, rel.predicate, rel.subject, None, rel.extra.get("role", ""), None)
                if mirror in seen:
                    continue
            key = _key(rel)
            if key in seen:
                continue
            seen.add(key)
            out.append(rel)
    if co_mention:
        out += co_mentions(ctx)
    return out


__all__ = ["RULES", "Context", "authors", "credit_mentions", "credits", "relations"]
