"""Linked Data: every IRI minted under the server's base dereferences at ``/id/…``.

A browser gets an HTML page (label, type, aliases, every fact with the sentence and document it was read from,
links to neighbours and to the explorer); any other client gets the same description as Turtle, N-Triples, JSON-LD
or RDF/XML by ``Accept``.  The IRI is rebuilt from the configured base and the *raw* request path, re-encoded the way
:func:`kg.rdf.iris.segment` mints it, so ``%2F`` inside a name and a browser's percent-encoded Chinese both land on
the node that was minted.
"""

from __future__ import annotations

import contextlib
from urllib.parse import quote, unquote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.rdf.iris import normalise_base, segment
from kg.rdf.namespaces import KG, PREFIXES, RDF, RDFS, SKOS
from kg.serve.negotiation import GRAPH_OFFERS, prefers_html
from kg.serve.runner import Answer, Job
from kg.serve.sparql import answer_response, run, text_response

linked_data = Blueprint("linked_data", __name__)

MAX_FACTS = 2000

_PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

FACTS_QUERY = _PROLOGUE + """
SELECT ?direction ?p ?o ?olabel ?amount ?currency ?sentence ?doc ?title WHERE {
  { ?st rdf:subject <%(iri)s> ; rdf:predicate ?p ; rdf:object ?o . BIND("out" AS ?direction) }
  UNION
  { ?st rdf:object <%(iri)s> ; rdf:predicate ?p ; rdf:subject ?o . BIND("in" AS ?direction) }
  OPTIONAL { ?o rdfs:label ?olabel }
  OPTIONAL { ?o schema:value ?amount . OPTIONAL { ?o schema:currency ?currency } }
  OPTIONAL { ?st kg:evidence/kg:text ?sentence }
  OPTIONAL { ?st prov:wasDerivedFrom ?doc . OPTIONAL { ?doc schema:headline ?title } }
} LIMIT %(limit)d
"""

PROPERTIES_QUERY = _PROLOGUE + """
SELECT ?p ?o ?olabel WHERE { <%(iri)s> ?p ?o . OPTIONAL { ?o rdfs:label ?olabel } } LIMIT %(limit)d
"""

INCOMING_QUERY = _PROLOGUE + """
SELECT ?s ?p ?slabel WHERE { ?s ?p <%(iri)s> . FILTER(?p NOT IN (rdf:subject, rdf:object))
  OPTIONAL { ?s rdfs:label ?slabel } } LIMIT %(limit)d
"""

DESCRIBE_QUERY = _PROLOGUE + """
CONSTRUCT { <%(iri)s> ?p ?o . ?st ?sp ?so . ?ev kg:text ?text . ?s ?ip <%(iri)s> }
WHERE {
  { <%(iri)s> ?p ?o }
  UNION { ?s ?ip <%(iri)s> . FILTER(?ip NOT IN (rdf:subject, rdf:object)) }
  UNION { { ?st rdf:subject <%(iri)s> } UNION { ?st rdf:object <%(iri)s> }
          ?st ?sp ?so . OPTIONAL { ?st kg:evidence ?ev . ?ev kg:text ?text } }
}
"""


def iri_from_request(base: str) -> str:
    """The IRI this request dereferences: base + raw path after ``/id/``, each segment re-encoded as minted."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or quote(request.path)
    raw = raw.split("?", 1)[0].split("#", 1)[0]
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].split("/", 1)[-1]
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        raw = raw.encode("latin-1").decode("utf-8")  # WSGI strings carry raw bytes as latin-1
    rest = raw[len("/id/"):] if raw.startswith("/id/") else raw.lstrip("/")
    return normalise_base(base) + "/".join(segment(unquote(part)) if part else "" for part in rest.split("/"))


def local_href(term: object) -> str | None:
    """The path on this server that describes ``term``, or None when it is not minted under our base."""
    base = normalise_base(current_app.config["KG_BASE"])
    text = str(term)
    if not isinstance(term, URIRef) or not text.startswith(base):
        return None
    return "/id/" + quote(text[len(base):], safe="/%:@!$&'()*+,;=-._~")


def short(term: object) -> str:
    """A compact display form: prefixed names for vocabulary IRIs, the last path segment for ours."""
    text = str(term)
    if isinstance(term, URIRef):
        for prefix, ns in PREFIXES.items():
            if text.startswith(ns):
                return f"{prefix}:{text[len(ns):]}"
        base = normalise_base(current_app.config["KG_BASE"])
        if text.startswith(base):
            return unquote(text[len(base):])
    return text


@linked_data.app_template_filter("local_href")
def _local_href_filter(term: object) -> str | None:
    return local_href(term)


@linked_data.app_template_filter("short")
def _short_filter(term: object) -> str:
    return short(term)


def _rows(query: str) -> list[dict[str, Node]]:
    answer = run(Job(query, raw=True, limit=MAX_FACTS))
    if answer.result is None:
        raise _Failed(answer)
    return answer.result.rows


class _Failed(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body.decode("utf-8", "replace"))
        self.answer = answer


@linked_data.route("/id/<path:rest>")
def describe(rest: str) -> Response:
    iri = iri_from_request(current_app.config["KG_BASE"])
    if any(c in iri for c in '<>"{}|\\^`') or any(ord(c) < 33 for c in iri):
        return text_response(f"not an IRI this server mints: {iri}", 400)
    accept = request.headers.get("Accept", "")
    fmt = request.args.get("format")
    try:
        if fmt or not prefers_html(accept, list(GRAPH_OFFERS)):
            if _is_empty(iri):
                abort(404, description=f"nothing is known about {iri}")
            return answer_response(run(Job(DESCRIBE_QUERY % {"iri": iri}, accept=accept, fmt=fmt)))
        properties = _rows(PROPERTIES_QUERY % {"iri": iri, "limit": MAX_FACTS})
        incoming = _rows(INCOMING_QUERY % {"iri": iri, "limit": MAX_FACTS})
        if not properties and not incoming:
            abort(404, description=f"nothing is known about {iri}")
        facts = _rows(FACTS_QUERY % {"iri": iri, "limit": MAX_FACTS})
    except _Failed as failed:
        return answer_response(failed.answer)
    labels = [o for row in properties if row["p"] == RDFS.label for o in [row["o"]]]
    label = str(labels[0]) if labels else short(URIRef(iri))
    types = list(dict.fromkeys(row["o"] for row in properties if row["p"] == RDF.type))
    aliases = sorted({str(row["o"]) for row in properties if row["p"] == SKOS.altLabel})
    shown = {RDFS.label, RDF.type, SKOS.altLabel}
    other = list({(row["p"], row["o"]): row for row in properties if row["p"] not in shown}.values())
    other.sort(key=lambda r: (str(r["p"]), str(r.get("olabel") or r["o"])))
    facts.sort(key=lambda r: (str(r["direction"]) != "out", str(r["p"]), str(r.get("olabel") or r["o"])))
    kg_entity = any(str(t).startswith(str(KG)) for t in types)
    twins = {name: url_for("linked_data.describe", rest=rest, format=name) for name in ("turtle", "jsonld", "nt")}
    return Response(render_template(
        "entity.html", iri=iri, label=label, types=types, aliases=aliases, other=other, incoming=incoming,
        facts=facts, kg_entity=kg_entity, twins=twins, max_facts=MAX_FACTS,
        explore=url_for("explore.page", focus=label) if kg_entity else None,
        value_of=_value_text), mimetype="text/html")


def _is_empty(iri: str) -> bool:
    rows = _rows(f"SELECT ?x WHERE {{ {{ <{iri}> ?p ?x }} UNION {{ ?x ?p <{iri}> }} }} LIMIT 1")
    return not rows


def _value_text(row: dict[str, Node]) -> str:
    """A fact's object as text: the label of an entity, an amount with its currency, or the literal itself."""
    if row.get("olabel") is not None:
        return str(row["olabel"])
    if row.get("amount") is not None:
        amount = row["amount"]
        currency = f" {row['currency']}" if row.get("currency") is not None else ""
        return f"{amount}{currency}"
    obj = row["o"]
    return str(obj) if isinstance(obj, Literal) else short(obj)


__all__ = ["iri_from_request", "linked_data", "local_href", "short"]
