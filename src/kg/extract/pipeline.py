"""The extraction pipeline: Source in, Document out.

Components run in order over one Document (sentences → tokens → mentions → entities → relations), each a plain
function that can be tested alone.  The extractor is a pure function of its input, so the build can map it over
documents in parallel and merge afterwards.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from kg.document import Document, Mention, Relation, Source, Span
from kg.extract.dates import find_dates
from kg.extract.entities import anaphora, build_entities, declared_aliases
from kg.extract.lexicon import POST_TITLES
from kg.extract.mentions import DEFAULT_RECOGNISERS, Recogniser, resolve_overlaps
from kg.extract.sentences import split_sentences
from kg.extract.tokens import tokenize

_TITLES = "|".join(sorted(POST_TITLES, key=len, reverse=True))
# After an agency: one or more post titles joined by 、 or 兼, then (optionally 、/ space) the person's name.
_POSTS_BEFORE_NAME = re.compile(rf"^((?:{_TITLES})(?:[、兼和及](?:{_TITLES}))*)\s*$")
_NESTED_PLACE = re.compile(r"^(.{2,}?(?:省|市|县|区|镇|乡|街道))(.{2,})$")


class Extractor:
    def __init__(self, recognisers: Sequence[Recogniser] = DEFAULT_RECOGNISERS) -> None:
        self.recognisers = tuple(recognisers)

    def __call__(self, source: Source) -> Document:
        text = source.text
        doc = Document(doc=source.doc_id, text=text, title=source.title or guess_title(text), date=source.date,
                       path=source.path, metadata=dict(source.metadata))
        doc.sentences = split_sentences(text)
        candidates: list[Mention] = []
        for sent in doc.sentences:
            tokens = tokenize(sent.text)
            for recogniser in self.recognisers:
                for m in recogniser(sent.text, tokens):
                    candidates.append(Mention(m.start + sent.start, m.end + sent.start, m.text, m.type,
                                              source=m.source))
        mentions = resolve_overlaps(candidates)
        aliases = declared_aliases(text, mentions)
        if aliases:
            alias_spans = {(a.start, a.end) for a in aliases}
            mentions = [m for m in mentions if not any(m.start < e and s < m.end for s, e in alias_spans)]
        mentions += nested_places(mentions)
        mentions += aliases
        mentions += anaphora(text, mentions)
        mentions.sort(key=lambda m: (m.start, -m.end))
        doc.mentions = mentions
        doc.entities = build_entities(mentions)
        doc.relations = relations(doc)
        return doc


def guess_title(text: str) -> str:
    """The first non-empty line when it looks like a headline (short, no sentence-final stop)."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= 60 and not line.endswith(("。", "！", "？")) else ""
    return ""


def nested_places(mentions: list[Mention]) -> list[Mention]:
    """The administrative prefix of a compound place (云田镇 in 云田镇五星社区) as a mention of its own."""
    out = []
    for m in mentions:
        if m.type != "Place" or m.source == "nested":
            continue
        match = _NESTED_PLACE.match(m.text)
        if match:
            prefix = match.group(1)
            out.append(Mention(m.start, m.start + len(prefix), prefix, "Place", source="nested"))
    return out


def relations(doc: Document) -> list[Relation]:
    rels: list[Relation] = []
    by_id = {e.id: e for e in doc.entities}
    # Part-of between a compound place and its administrative prefix.
    seen_part: set[tuple[str, str]] = set()
    for outer in doc.mentions:
        if outer.type != "Place" or outer.source == "nested":
            continue
        for inner in doc.mentions:
            if (inner.source == "nested" and inner.start == outer.start and inner.end < outer.end
                    and inner.entity != outer.entity and (outer.entity, inner.entity) not in seen_part):
                seen_part.add((outer.entity, inner.entity))
                sent = doc.sentence_at(outer.start)
                rels.append(Relation(outer.entity, "partOf", object=inner.entity,
                                     evidence=Span(sent.start, sent.end) if sent else None,
                                     extra={"source": "nested-name"}))
    rels += posts(doc)
    dates = find_dates(doc.text, doc.date)
    pair_counts: Counter[tuple[str, str]] = Counter()
    pair_evidence: dict[tuple[str, str], Span] = {}
    for sent in doc.sentences:
        in_sent = [m for m in doc.mentions if sent.start <= m.start < sent.end and m.entity in by_id]
        ids = sorted({m.entity for m in in_sent}, key=lambda i: int(i[1:]))
        for a, b in combinations(ids, 2):
            pair_counts[(a, b)] += 1
            pair_evidence.setdefault((a, b), Span(sent.start, sent.end))
        sent_dates = [d for d in dates if sent.start <= d.start < sent.end]
        if sent_dates:
            for ent_id in ids:
                if by_id[ent_id].type in {"Event", "Project"}:
                    rels.append(Relation(ent_id, "date", value=sent_dates[0].value,
                                         evidence=Span(sent.start, sent.end),
                                         extra={"source": "sentence-date", "text": sent_dates[0].text}))
    for (a, b), count in sorted(pair_counts.items(), key=lambda kv: (int(kv[0][0][1:]), int(kv[0][1][1:]))):
        rels.append(Relation(a, "coMention", object=b, evidence=pair_evidence[(a, b)], extra={"count": count}))
    return rels


def posts(doc: Document) -> list[Relation]:
    """``<Agency><title>、<title><Person>`` (省炎基办党组书记、主任黄勇): the person holds each title in the agency."""
    rels = []
    ordered = sorted((m for m in doc.mentions if m.entity), key=lambda m: m.start)
    for i, person in enumerate(ordered):
        if person.type != "Person":
            continue
        for agency in reversed(ordered[:i]):
            if agency.type != "Agency" or person.start - agency.end > 16:
                continue
            between = doc.text[agency.end: person.start]
            match = _POSTS_BEFORE_NAME.match(between)
            if match:
                sent = doc.sentence_at(person.start)
                for title in re.split(r"[、兼和及]", match.group(1)):
                    rels.append(Relation(person.entity, "holdsPost", object=agency.entity,
                                         evidence=Span(sent.start, sent.end) if sent else None,
                                         extra={"role": title, "source": "post-pattern"}))
            break
    return rels
