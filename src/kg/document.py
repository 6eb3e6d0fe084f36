"""The plain data that flows between stages.

`read` produces a :class:`Source`, `extract` turns it into a :class:`Document`, and `rdf` turns a Document into
quads.  These classes hold no behaviour beyond (de)serialisation so that any stage can be replaced, run in another
process or on a cluster, without importing another stage's internals.  The JSON shape is the contract documented in
``design.md`` (``kg extract`` prints exactly :meth:`Document.to_json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENTITY_TYPES = ("Agency", "Person", "Place", "Project", "Event")


@dataclass(frozen=True)
class Source:
    """Decoded text of one input document and where it came from.

    ``doc_id`` is stable across machines (a relative path plus a fragment for line- or article-level documents) so
    that IRIs minted from it are deterministic.
    """

    doc_id: str
    text: str
    path: str = ""
    title: str = ""
    date: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # The text as the input had it when ``text`` was converted for extraction (traditional to simplified Chinese, see
    # kg.read.chinese); same length as ``text``, so every offset is valid in both.  "" when nothing was converted.
    original_text: str = ""


@dataclass
class Span:
    """A character range ``[start, end)`` into the document text as decoded."""

    start: int
    end: int

    def to_json(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end}


@dataclass
class Sentence:
    start: int
    end: int
    text: str


@dataclass
class Mention:
    start: int
    end: int
    text: str
    type: str
    entity: str = ""
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text, "type": self.type,
                               "entity": self.entity}
        if self.source:
            out["source"] = self.source
        return out


@dataclass
class Entity:
    id: str
    type: str
    label: str
    aliases: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "label": self.label, "aliases": list(self.aliases)}


@dataclass
class Relation:
    """A fact about an entity: either a link to another entity (``object``) or a literal ``value``.

    ``predicate`` is the local name of an ontology property.  ``evidence`` is the sentence span it was read from.
    """

    subject: str
    predicate: str
    object: str | None = None
    value: Any = None
    evidence: Span | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "predicate": self.predicate}
        if self.object is not None:
            out["object"] = self.object
        else:
            out["value"] = self.value
        out.update(self.extra)
        if self.evidence is not None:
            out["evidence"] = self.evidence.to_json()
        return out


@dataclass
class Document:
    doc: str
    text: str
    title: str = ""
    date: str = ""
    path: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def entity(self, entity_id: str) -> Entity:
        for ent in self.entities:
            if ent.id == entity_id:
                return ent
        raise KeyError(entity_id)

    def sentence_at(self, offset: int) -> Sentence | None:
        for sent in self.sentences:
            if sent.start <= offset < sent.end:
                return sent
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "title": self.title,
            "date": self.date,
            "mentions": [m.to_json() for m in self.mentions],
            "entities": [e.to_json() for e in self.entities],
            "relations": [r.to_json() for r in self.relations],
        }


def document_from_json(data: dict[str, Any], text: str = "") -> Document:
    """Rebuild a Document from ``kg extract`` output (sentences are not part of that format)."""
    rels = []
    for r in data.get("relations", []):
        known = {"subject", "predicate", "object", "value", "evidence"}
        ev = r.get("evidence")
        rels.append(Relation(subject=r["subject"], predicate=r["predicate"], object=r.get("object"),
                             value=r.get("value"), evidence=Span(ev["start"], ev["end"]) if ev else None,
                             extra={k: v for k, v in r.items() if k not in known}))
    return Document(
        doc=data["doc"], text=text, title=data.get("title", ""), date=data.get("date", ""),
        mentions=[Mention(**m) for m in data.get("mentions", [])],
        entities=[Entity(**e) for e in data.get("entities", [])],
        relations=rels,
    )


__all__ = ["ENTITY_TYPES", "Document", "Entity", "Mention", "Relation", "Sentence", "Source", "Span",
           "document_from_json"]
