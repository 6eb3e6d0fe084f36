"""Deterministic, readable IRIs.

An entity's IRI is made from its type and canonical label only, so the same name found in two documents (or on two
machines) lands on the same node: that is how entities merge across documents.  Chinese characters are kept as they
are (IRIs allow them, and a reader can see what a node is); characters that would break an IRI or a URL path are
percent-encoded.  Two different people with one name are kept apart by :func:`mint_entity_iris`.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from kg.document import Document
from kg.rdf.namespaces import DEFAULT_BASE

# Keep everything that is legal and unambiguous in an IRI path segment; encode the rest.
_SAFE = "-._~!$&'()*+,;=:@"


def segment(text: str, *, keep_slash: bool = False) -> str:
    """One path segment: non-ASCII kept, reserved ASCII and control/space characters percent-encoded."""
    safe = _SAFE + "/" if keep_slash else _SAFE
    out = []
    for ch in text:
        if ord(ch) > 127 and ch.isprintable() and not ch.isspace():
            out.append(ch)
        else:
            out.append(quote(ch, safe=safe))
    return "".join(out) or "_"


def normalise_base(base: str | None) -> str:
    base = base or DEFAULT_BASE
    return base if base.endswith(("/", "#")) else base + "/"


def entity_iri(base: str, type_name: str, label: str) -> str:
    return f"{normalise_base(base)}{type_name.lower()}/{segment(label)}"


def document_iri(base: str, doc_id: str) -> str:
    return f"{normalise_base(base)}doc/{segment(doc_id, keep_slash=True)}"


def graph_iri(base: str, doc_id: str) -> str:
    """The named graph holding what one document asserts (kept apart from the document node itself)."""
    return f"{normalise_base(base)}graph/{segment(doc_id, keep_slash=True)}"


# ---------------------------------------------------------------- two different things with one name

# Predicates whose object tells two people of one name apart: the agency a person holds a post in or belongs to.
AFFILIATIONS = ("holdsPost", "memberOf")

Resolver = Callable[[str, str, str], dict[str, set[str]]]
"""(type, label, IRI of the document's own graph) -> {IRI of an existing entity with that type and label: labels of
its affiliations}, as other documents in the store state them."""


def qualified_iri(base: str, type_name: str, label: str, qualifier: str) -> str:
    """``person/李波(株洲市教育局)``: the Wikipedia-style disambiguation, readable and still one path segment."""
    return entity_iri(base, type_name, f"{label}({qualifier})")


def affiliation_of(doc: Document, entity_id: str) -> str | None:
    """The label of the agency the entity is first said to hold a post in or belong to (by evidence offset)."""
    found = []
    for index, rel in enumerate(doc.relations):
        if rel.subject == entity_id and rel.predicate in AFFILIATIONS and rel.object is not None:
            offset = rel.evidence.start if rel.evidence is not None else 1 << 62
            found.append((offset, index, rel.object))
    for _, _, obj in sorted(found):
        try:
            return doc.entity(obj).label
        except KeyError:
            continue
    return None


def mint_entity_iris(base: str, doc: Document, resolver: Resolver | None = None, graph: str = "") -> dict[str, str]:
    """Entity id -> IRI for one document, so that one name does not blindly merge two people.

    The rule, deterministic for a given set of documents built in order:

    * By default an entity's IRI is its type and label: the same name in two documents is one node (that is how
      entities merge across documents).
    * A person with a known affiliation (holds a post in / member of an agency) whose plain IRI is already used by
      other documents for a person affiliated elsewhere is a different person: it gets ``person/李波(株洲市教育局)``
      (or reuses that IRI when another document minted it already).  A person with no known affiliation cannot be
      told apart and joins the plain node.
    * Two entities of one document with one type and label (the extractor kept them apart) never share an IRI:
      the later one is qualified by its affiliation, or numbered ``(2)``, ``(3)``…

    ``resolver`` answers from the store what other documents say (see :data:`Resolver`); without it (``kg
    extract``, unit tests) only the in-document rule applies.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for ent in doc.entities:
        plain = entity_iri(base, ent.type, ent.label)
        iri = plain
        affiliation = affiliation_of(doc, ent.id) if ent.type == "Person" else None
        if affiliation and resolver is not None and _someone_else(plain, affiliation, resolver(ent.type, ent.label,
                                                                                              graph)):
            iri = qualified_iri(base, ent.type, ent.label, affiliation)
        if iri in used:
            iri = qualified_iri(base, ent.type, ent.label, affiliation) if affiliation else iri
            number = 2
            while iri in used:
                iri = qualified_iri(base, ent.type, ent.label, str(number))
                number += 1
        used.add(iri)
        out[ent.id] = iri
    return out


def _someone_else(plain: str, affiliation: str, existing: dict[str, set[str]]) -> bool:
    """Other documents use the plain IRI for a person affiliated elsewhere: this one is a different person."""
    return plain in existing and bool(existing[plain]) and affiliation not in existing[plain]


def resolver_qualifies(base: str, doc: Document, resolver: Resolver, graph: str = "") -> bool:
    """Whether ``resolver`` makes :func:`mint_entity_iris` give any entity of ``doc`` another IRI than it gives
    without one.  Why: a parallel build's workers mint without the store; the writer then asks the resolver about the
    document's affiliated people only, instead of minting every IRI again (~0.7 ms a news article)."""
    for ent in doc.entities:
        if ent.type != "Person":
            continue
        affiliation = affiliation_of(doc, ent.id)
        if affiliation and _someone_else(entity_iri(base, ent.type, ent.label), affiliation,
                                         resolver(ent.type, ent.label, graph)):
            return True
    return False
