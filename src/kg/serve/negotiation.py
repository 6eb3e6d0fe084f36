"""Content negotiation for SPARQL results and RDF graphs.

Why a module of its own: the endpoint, the named queries and the Linked Data pages all answer "which serialisation
does this client want?", and clients disagree on how to ask (SPARQLWrapper sends ``format=json`` *and* an Accept
list, rdflib's SPARQLStore sends only Accept, browsers send ``text/html`` with ``*/*;q=0.8``).  One table and one
function keep those answers identical everywhere.
"""

from __future__ import annotations

from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.store.results import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES

# Offered media types, most preferred first: the first one wins ties of quality and specificity.
RESULT_OFFERS: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/javascript": "json",
    "application/javascript": "json",
}
GRAPH_OFFERS: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xml",
    "application/x-turtle": "turtle",
    "application/turtle": "turtle",
    "text/n3": "turtle",  # Turtle is a subset of N3, so an N3 reader can read what we send
    "text/rdf+n3": "turtle",
    "text/plain": "nt",
    "application/json": "jsonld",
    "application/xml": "xml",
    "application/x-json+ld": "jsonld",
}

# Names accepted in the ``format`` (or ``output``) parameter, including the ones SPARQLWrapper sends.
_RESULT_NAMES = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv"}
_GRAPH_NAMES = {"turtle": "turtle", "ttl": "turtle", "n3": "turtle", "nt": "nt", "ntriples": "nt",
                "n-triples": "nt", "jsonld": "jsonld", "json-ld": "jsonld", "json": "jsonld", "xml": "xml",
                "rdf": "xml", "rdf+xml": "xml", "rdfxml": "xml"}

DEFAULT_FORMAT = {"select": "json", "ask": "json", "graph": "turtle"}


def parse_accept(accept: str | None) -> MIMEAccept:
    """Accept parsed with only the q parameter kept.

    Why: werkzeug matches ``text/csv; charset=utf-8`` only against an offer with the same parameters, but a
    charset (or any other parameter) on a SPARQL result type never changes which format fits.
    """
    parts = []
    for item in (accept or "").split(","):
        media, *params = [p.strip() for p in item.split(";")]
        if media:
            q = [p for p in params if p.replace(" ", "").lower().startswith("q=")]
            parts.append(";".join([media, *q[:1]]))
    return parse_accept_header(", ".join(parts), MIMEAccept)


def media_type(kind: str, fmt: str) -> str:
    """The canonical media type of format ``fmt`` for a result of ``kind`` (select, ask or graph)."""
    return GRAPH_MEDIA_TYPES[fmt] if kind == "graph" else RESULT_MEDIA_TYPES[fmt]


def _from_parameter(kind: str, value: str) -> str | None:
    value = value.strip().lower()
    names = _GRAPH_NAMES if kind == "graph" else _RESULT_NAMES
    offers = GRAPH_OFFERS if kind == "graph" else RESULT_OFFERS
    if value in names:
        return names[value]
    return offers.get(value.split(";")[0].strip())


@lru_cache(maxsize=256)
def choose_format(kind: str, accept: str | None, parameter: str | None = None) -> str | None:
    """The format to answer a result of ``kind`` in, or None when nothing the client accepts is available.

    Cached: a pure function of three strings, and each client library sends the same Accept header every time
    (parsing it cost more than a small query).

    An explicit ``format`` parameter wins over Accept (it is what a person typed); an unknown parameter value is not
    silently replaced by a default, so a typo gives a 406 that names the choices.  No Accept header, or ``*/*``,
    gives the default (SPARQL JSON for SELECT/ASK, Turtle for graphs).  q-values are honoured, including ``q=0``.
    """
    if parameter:
        return _from_parameter(kind, parameter)
    offers = GRAPH_OFFERS if kind == "graph" else RESULT_OFFERS
    parsed = parse_accept(accept)
    if not parsed:
        return DEFAULT_FORMAT[kind]
    default_media = media_type(kind, DEFAULT_FORMAT[kind])
    best = parsed.best_match([default_media, *offers])
    return offers[best] if best else None


def choices(kind: str) -> str:
    """Human-readable list of what a result of ``kind`` can be sent as, for 406 messages."""
    offers = GRAPH_MEDIA_TYPES if kind == "graph" else RESULT_MEDIA_TYPES
    return ", ".join(offers.values())


def prefers_html(accept: str | None, alternatives: list[str]) -> bool:
    """True when the client (a browser) ranks ``text/html`` above every machine format offered.

    HTML is offered last, so ``*/*`` (curl, scripts) gets the machine format and only a real preference for HTML
    (browsers send ``text/html`` at q=1 and ``*/*`` at q=0.8) gets the page.
    """
    parsed = parse_accept(accept)
    if not parsed:
        return False
    return parsed.best_match([*alternatives, "text/html"]) == "text/html"
