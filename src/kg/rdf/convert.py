"""Document -> triples for that document's named graph.

What a document asserts goes into its own graph, so a document can be replaced or removed without touching what
others said about the same entities.  Every relation is written twice: as a plain triple that queries use, and as an
``rdf:Statement`` carrying its provenance (document, sentence text, offsets, producing component), so any answer can
be traced to the sentence it came from by SPARQL alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg import __version__
from kg.document import Document, Relation
from kg.rdf.iris import Resolver, document_iri, graph_iri, mint_entity_iris, resolver_qualifies
from kg.rdf.namespaces import DCT, KG, PROV, RDF, RDFS, SCHEMA, SKOS, XSD

Triple = tuple[Node, Node, Node]

# Relations whose object is an entity, mapped to the property that states them.
OBJECT_PROPERTIES = {
    "holdsPost": KG.holdsPost,
    "memberOf": KG.memberOf,
    "subOrganizationOf": KG.subOrganizationOf,
    "partOf": KG.partOf,
    "locatedIn": KG.locatedIn,
    "partner": KG.partner,
    "organizer": KG.organizer,
    "participant": KG.participant,
    "eventPlace": KG.eventPlace,
    "projectLocation": KG.projectLocation,
    "coMention": KG.coMention,
    "author": KG.author,
    "speaker": KG.speaker,
    "routeFrom": KG.routeFrom,
    "routeTo": KG.routeTo,
    "founder": KG.founder,
    "alumniOf": KG.alumniOf,
}
# Document-level relations: the subject is an entity, the ``value`` the id of the document (a person wrote it, an
# agency is quoted in it); the object written is the document's node.
DOCUMENT_PROPERTIES = {
    "authorOf": KG.authorOf,
    "quotedIn": KG.quotedIn,
}
# Relations whose value is a literal or an amount.
VALUE_PROPERTIES = {
    "date": KG.date,
    "startDate": KG.startDate,
    "endDate": KG.endDate,
    "funding": KG.funding,
    "investment": KG.investment,
    "quantity": KG.quantity,
    "price": KG.price,
    "foundingDate": KG.foundingDate,
}


def _date_literal(value: str) -> Literal:
    if len(value) == 10 and value[4] == "-":
        return Literal(value, datatype=XSD.date)
    if value.startswith("--"):
        return Literal(value, datatype=XSD.gMonthDay)
    if len(value) == 7 and value[4] == "-":
        return Literal(value, datatype=XSD.gYearMonth)
    if len(value) == 4 and value.isdigit():  # 今年 / 2021年 with no month: a year is a date too (xsd:gYear)
        return Literal(value, datatype=XSD.gYear)
    return Literal(value, datatype=XSD.string)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DocumentConverter:
    """Turns one :class:`Document` into triples under a base IRI.

    ``now`` is injectable so that tests (and reproducible exports) can fix the extraction time.
    """

    def __init__(self, base: str, *, now: datetime | None = None, resolver: Resolver | None = None) -> None:
        self.base = base
        self.now = now
        self.resolver = resolver  # what other documents in the store say, to keep two people of one name apart

    def graph(self, doc: Document) -> str:
        return graph_iri(self.base, doc.doc)

    def graph_for_id(self, doc_id: str) -> str:
        return graph_iri(self.base, doc_id)

    def entity_iris(self, doc: Document) -> dict[str, URIRef]:
        iris = mint_entity_iris(self.base, doc, self.resolver, self.graph(doc))
        return {entity_id: URIRef(iri) for entity_id, iri in iris.items()}

    def iris_differ_from_unresolved(self, doc: Document) -> bool:
        """Whether this converter's resolver gives the document other entity IRIs than a converter without one (as a
        parallel build's workers have)."""
        return self.resolver is not None and resolver_qualifies(self.base, doc, self.resolver, self.graph(doc))

    def triples(self, doc: Document) -> Iterator[Triple]:
        doc_node = URIRef(document_iri(self.base, doc.doc))
        iris = self.entity_iris(doc)
        yield from self._document_triples(doc, doc_node)
        sentence_nodes = {}
        for index, sent in enumerate(doc.sentences):
            node = URIRef(f"{doc_node}/s{index}")
            sentence_nodes[(sent.start, sent.end)] = node
            yield node, RDF.type, KG.Sentence
            yield node, KG.text, Literal(sent.text, lang="zh")
            yield node, KG.start, Literal(sent.start)
            yield node, KG.end, Literal(sent.end)
            yield node, KG.inDocument, doc_node
        for ent in doc.entities:
            node = iris[ent.id]
            yield node, RDF.type, KG[ent.type]
            yield node, RDFS.label, Literal(ent.label, lang="zh")
            for alias in ent.aliases:
                if alias != ent.label:
                    yield node, SKOS.altLabel, Literal(alias, lang="zh")
            yield node, KG.mentionedIn, doc_node
        for mention in doc.mentions:
            if mention.entity not in iris:
                continue
            node = URIRef(f"{doc_node}/m{mention.start}-{mention.end}")
            yield node, RDF.type, KG.Mention
            yield node, KG.refersTo, iris[mention.entity]
            yield node, KG.text, Literal(mention.text, lang="zh")
            yield node, KG.start, Literal(mention.start)
            yield node, KG.end, Literal(mention.end)
            yield node, KG.inDocument, doc_node
            sent = doc.sentence_at(mention.start)
            if sent is not None:
                yield node, KG.inSentence, sentence_nodes[(sent.start, sent.end)]
            if mention.source:
                yield node, KG.extractedBy, Literal(mention.source)
        for index, rel in enumerate(doc.relations):
            yield from self._relation_triples(doc, doc_node, iris, sentence_nodes, index, rel)

    def _document_triples(self, doc: Document, node: URIRef) -> Iterator[Triple]:
        yield node, RDF.type, KG.Document
        yield node, RDF.type, SCHEMA.NewsArticle
        yield node, KG.docId, Literal(doc.doc)
        if doc.title:
            yield node, SCHEMA.headline, Literal(doc.title, lang="zh")
        if doc.date:
            yield node, SCHEMA.datePublished, _date_literal(doc.date)
        if doc.path:
            yield node, PROV.hadPrimarySource, Literal(doc.path)
        yield node, KG.contentHash, Literal(content_hash(doc.text))
        yield node, DCT.creator, Literal(f"kg {__version__}")
        if self.now is not None:
            yield node, PROV.generatedAtTime, Literal(self.now.astimezone(UTC).isoformat(),
                                                      datatype=XSD.dateTime)
        # Reader metadata with a schema.org home (kg.read: SogouCS url, JSON Lines and HTML meta publisher/url).
        url = doc.metadata.get("url", "")
        if url.startswith(("http://", "https://")) and not any(c in url for c in ' <>"{}|\\^`\n\t'):
            yield node, SCHEMA.url, URIRef(url)
        if doc.metadata.get("publisher"):
            yield node, SCHEMA.publisher, Literal(doc.metadata["publisher"], lang="zh")
        for key, value in sorted(doc.metadata.items()):
            yield node, KG.metadata, Literal(f"{key}={value}")

    def _relation_triples(self, doc: Document, doc_node: URIRef, iris: dict[str, URIRef],
                          sentence_nodes: dict[tuple[int, int], URIRef], index: int,
                          rel: Relation) -> Iterator[Triple]:
        if rel.subject not in iris:
            return
        subject = iris[rel.subject]
        statement = URIRef(f"{doc_node}/r{index}")
        if rel.object is not None:
            prop = OBJECT_PROPERTIES.get(rel.predicate, KG[rel.predicate])
            if rel.object not in iris:
                return
            obj: Node = iris[rel.object]
        elif rel.predicate in DOCUMENT_PROPERTIES:
            prop, obj = DOCUMENT_PROPERTIES[rel.predicate], URIRef(document_iri(self.base, str(rel.value)))
        else:
            prop = VALUE_PROPERTIES.get(rel.predicate, KG[rel.predicate])
            obj = yield from self._value(statement, rel.predicate, rel.value)
        yield subject, prop, obj
        yield statement, RDF.type, RDF.Statement
        yield statement, RDF.subject, subject
        yield statement, RDF.predicate, prop
        yield statement, RDF.object, obj
        yield statement, PROV.wasDerivedFrom, doc_node
        for key, value in sorted(rel.extra.items()):
            if isinstance(value, (str, int, float)):
                yield statement, KG[key], Literal(value, lang="zh") if isinstance(value, str) else Literal(value)
        if rel.evidence is not None:
            yield statement, KG.start, Literal(rel.evidence.start)
            yield statement, KG.end, Literal(rel.evidence.end)
            sent = doc.sentence_at(rel.evidence.start)
            if sent is not None:
                yield statement, KG.evidence, sentence_nodes[(sent.start, sent.end)]

    def _value(self, statement: URIRef, predicate: str, value: Any) -> Iterator[Triple]:
        """Yield the triples describing a value and return the node or literal that stands for it."""
        if isinstance(value, dict) and "amount" in value:
            node = URIRef(f"{statement}/value")
            yield node, RDF.type, SCHEMA.MonetaryAmount if "currency" in value else KG.Quantity
            yield node, SCHEMA.value, Literal(Decimal(str(value["amount"])), datatype=XSD.decimal)
            if "currency" in value:
                yield node, SCHEMA.currency, Literal(value["currency"])
            if "unit" in value:
                yield node, SCHEMA.unitText, Literal(value["unit"], lang="zh")
            if value.get("approximate"):
                yield node, KG.approximate, Literal(True)
            return node
        if isinstance(value, str) and predicate.lower().endswith("date"):
            return _date_literal(str(value))
        if isinstance(value, (int, float)):
            return Literal(value)
        return Literal(str(value), lang="zh")
