"""The extraction pipeline: Source in, Document out.

Components run in order over one Document (sentences → tokens → mentions → entities → relations), each a plain
function that can be tested alone.  The extractor is a pure function of its input, so the build can map it over
documents in parallel and merge afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.document import Document, Mention, Source
from kg.extract.dates import date_from_name
from kg.extract.entities import anaphora, build_entities, declared_aliases, repeated_names
from kg.extract.lexicon import AGENCY_SUFFIXES, NOT_NAMES
from kg.extract.mentions import DEFAULT_RECOGNISERS, Recogniser, confirmed_people, crf_people, resolve_overlaps
from kg.extract.relations import credit_mentions, relations
from kg.extract.sentences import bounded_runs, split_sentences, to_halfwidth
from kg.extract.tokens import tokenize

_NESTED_PLACE = re.compile(r"^(.{2,}?(?:省|市|县|区|镇|乡|街道))(.{2,})$")
_PARENT_AGENCY_HEADS = ("大学", "集团", "公司", "政府", "委员会")
# The longest administrative or institutional prefix of an agency's name (深圳市罗湖区 in 深圳市罗湖区政数局).
_PARENT_HEAD = re.compile(r"(?:省|市|县|区|镇|乡|街道|社区|村|大学|集团|公司|政府|委员会)")
# Two characters that make a word across a prefix boundary: 市场, 区域 … (贵阳市|场监督管理局 is no cut).
_NOT_A_CUT = frozenset({"市场", "区域", "县域", "市区", "市县", "市民", "区县", "镇区", "省市", "市政", "区划", "市委",
                        "区委", "县委", "省委", "镇委", "市级", "区级", "县级", "省级", "学院", "学校", "司法"})


class Extractor:
    def __init__(self, recognisers: Sequence[Recogniser] = DEFAULT_RECOGNISERS) -> None:
        self.recognisers = tuple(recognisers)

    def __call__(self, source: Source) -> Document:
        text = source.text
        # Without --date or metadata, a date in the file name (zhuzhou-daily-2021-12.txt) still anchors 12月15日.
        date = source.date or date_from_name(source.path or source.doc_id.split("#", 1)[0])
        doc = Document(doc=source.doc_id, text=text, title=source.title or guess_title(text), date=date,
                       path=source.path, metadata=dict(source.metadata))
        doc.sentences = split_sentences(text)
        candidates: list[Mention] = []
        for block in sentence_blocks(doc.sentences):
            prepared = []
            for sent in block:
                normalised = to_halfwidth(sent.text)  # same length: offsets hold, mention text is the original's
                prepared.append((normalised, tokenize(normalised)))
            # a recogniser with an over_document form (the statistical tagger) sees a block's sentences in one call
            whole = {id(r): r.over_document(prepared) for r in self.recognisers if hasattr(r, "over_document")}
            for k, (sent, (normalised, tokens)) in enumerate(zip(block, prepared, strict=True)):
                for recogniser in self.recognisers:
                    found = whole[id(recogniser)][k] if id(recogniser) in whole else recogniser(normalised, tokens)
                    for m in found:
                        start, end = m.start + sent.start, m.end + sent.start
                        candidates.append(Mention(start, end, text[start:end], m.type, source=m.source))
        candidates += credit_mentions(text)  # names in bylines and photo credits are people, whatever NER says
        if crf_people in self.recognisers:
            candidates = confirmed_people(candidates)
        mentions = resolve_overlaps(candidates)
        aliases = declared_aliases(text, mentions)
        if aliases:
            alias_spans = {(a.start, a.end) for a in aliases}
            mentions = [m for m in mentions if not any(m.start < e and s < m.end for s, e in alias_spans)]
        mentions = nested_places(mentions)
        mentions += aliases
        mentions += repeated_names(text, mentions)
        mentions += anaphora(text, mentions)
        mentions.sort(key=lambda m: (m.start, -m.end))
        doc.mentions = mentions
        doc.entities = build_entities(mentions)
        keep_original_forms(doc, source.original_text)
        doc.relations = relations(doc)
        return doc


def sentence_blocks(sentences: list, max_chars: int = 20_000) -> list[list]:
    """Consecutive runs of sentences of at most about *max_chars* characters: a news page is one block (its
    statistical tagging is then one batched call), while a 5 MB text never holds all its tokens at once."""
    return bounded_runs(sentences, lambda sent: len(sent.text), max_chars)


def keep_original_forms(doc: Document, original: str) -> None:
    """Traditional-character input is read simplified (same length); each entity keeps the form the page wrote
    (臺北市政府 for 台北市政府) as an alias, so a search in either script finds it."""
    if not original or len(original) != len(doc.text):
        return
    by_id = {e.id: e for e in doc.entities}
    for m in doc.mentions:
        entity = by_id.get(m.entity)
        written = original[m.start:m.end]
        if entity is not None and written != m.text and written not in entity.aliases and written != entity.label:
            entity.aliases.append(written)


def guess_title(text: str) -> str:
    """The first non-empty line when it looks like a headline (short, no sentence-final stop)."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= 60 and not line.endswith(("。", "！", "？")) else ""
    return ""


def nested_places(mentions: list[Mention]) -> list[Mention]:
    """The mentions with compound names taken apart into the places and institutions they are made of.

    A chain of places (炎陵县船形乡同睦村, 云田镇五星社区, 学林街道凯凯城) becomes one mention per place: the
    enclosing ones as ``nested`` mentions and the innermost as the mention itself, so that 五星社区 is one entity
    whether or not its town is written before it; the relation stage makes each part of the one before it.  For an
    agency the place or parent-institution prefix (云田镇 in 云田镇城管办, 清华大学 in 清华大学美术学院) is added as a
    ``nested`` mention overlapping it (subOrganizationOf, locatedIn).
    """
    kept: list[Mention] = []
    out = []
    for m in mentions:
        if m.source == "nested":
            kept.append(m)
            continue
        if m.type == "Place":
            parts = place_chain(m.text)
            if len(parts) > 1:
                offset = m.start
                for part in parts[:-1]:
                    out.append(Mention(offset, offset + len(part), part, "Place", source="nested"))
                    offset += len(part)
                kept.append(Mention(offset, m.end, parts[-1], "Place", entity=m.entity, source=m.source))
                continue
        kept.append(m)
        if m.type == "Agency":
            prefix = _agency_prefix(m.text)
            if prefix:
                kind = "Agency" if prefix.endswith(_PARENT_AGENCY_HEADS) else "Place"
                out.append(Mention(m.start, m.start + len(prefix), prefix, kind, source="nested"))
                # 云田镇五星社区照料中心 → 云田镇五星社区 → 云田镇
                match = _NESTED_PLACE.match(prefix) if kind == "Place" else None
                if match:
                    out.append(Mention(m.start, m.start + len(match.group(1)), match.group(1), "Place",
                                       source="nested"))
    return kept + out


def place_chain(name: str) -> list[str]:
    """A compound place name cut into the places it chains (茶陵县洙江街道睦睦村 → 茶陵县, 洙江街道, 睦睦村).

    Cuts fall after an administrative head word and leave at least two characters on each side; a cut that would
    split a word (贵阳市|场) is not made.  A name that is not a chain comes back whole.
    """
    parts = []
    rest = name
    while True:
        match = _NESTED_PLACE.match(rest)
        if not match or rest[len(match.group(1)) - 1: len(match.group(1)) + 1] in _NOT_A_CUT:
            break
        parts.append(match.group(1))
        rest = rest[len(match.group(1)):]
    return [*parts, rest]


def _agency_prefix(name: str) -> str:
    """The longest place or parent-institution prefix of an agency's name, not cutting a word (市|场监督…)."""
    for match in reversed(list(_PARENT_HEAD.finditer(name))):
        k = match.end()
        rest = name[k:]
        if k < 3 or len(rest) < 2 or name[k - 1: k + 1] in _NOT_A_CUT or not rest.endswith(AGENCY_SUFFIXES):
            continue
        if name[:k] not in NOT_NAMES:
            return name[:k]
    return ""
