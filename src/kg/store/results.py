"""Serialising a :class:`QueryResult` in the W3C SPARQL 1.1 Query Results formats (JSON, XML, CSV, TSV) and RDF.

Written here once so that ``kg query`` and the HTTP endpoint print byte-for-byte the same thing, whatever backend
answered the query.
"""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.rdf.namespaces import PREFIXES
from kg.store.base import QueryResult

RESULT_MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_MEDIA_TYPES = {
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "xml": "application/rdf+xml",
}


def term_json(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None:
        out["datatype"] = str(term.datatype)
    return out


def to_json(result: QueryResult) -> str:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    body = {
        "head": {"vars": result.vars},
        "results": {"bindings": [{k: term_json(v) for k, v in row.items()} for row in result.rows]},
    }
    return json.dumps(body, ensure_ascii=False)


def _xml_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(str(term))}</literal>"
    if term.datatype is not None:
        return f"<literal datatype={quoteattr(str(term.datatype))}>{escape(str(term))}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def to_xml(result: QueryResult) -> str:
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    for var in result.vars:
        out.append(f"<variable name={quoteattr(var)}/>")
    out.append("</head>")
    if result.kind == "ask":
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            out.append("<result>")
            for k, v in row.items():
                out.append(f"<binding name={quoteattr(k)}>{_xml_term(v)}</binding>")
            out.append("</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def to_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    writer.writerow(result.vars)
    for row in result.rows:
        writer.writerow([_csv_value(row.get(v)) for v in result.vars])
    return buf.getvalue()


def _csv_value(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal):
        text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") \
            .replace("\t", "\\t")
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    return term.n3()


def to_tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    for row in result.rows:
        lines.append("\t".join(_tsv_term(row.get(v)) for v in result.vars))
    return "\n".join(lines) + "\n"


def graph_of(result: QueryResult) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    for t in result.triples:
        g.add(t)
    return g


def serialize(result: QueryResult, fmt: str) -> str:
    """Text of the result in ``fmt`` (json/xml/csv/tsv for SELECT and ASK; turtle/nt/jsonld/xml for graphs)."""
    if result.kind == "graph":
        rdflib_format = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml", "json": "json-ld"}
        if fmt not in rdflib_format:
            raise ValueError(f"format {fmt!r} is not available for CONSTRUCT/DESCRIBE results")
        return graph_of(result).serialize(format=rdflib_format[fmt])
    writers = {"json": to_json, "xml": to_xml, "csv": to_csv, "tsv": to_tsv}
    if fmt not in writers:
        raise ValueError(f"format {fmt!r} is not available for SELECT/ASK results")
    return writers[fmt](result)


def table(result: QueryResult) -> str:
    """A plain-text table for people (labels shown without datatype noise)."""
    if result.kind == "ask":
        return "yes" if result.boolean else "no"
    if result.kind == "graph":
        return serialize(result, "turtle")
    headers = result.vars
    rows = [[_display(row.get(v)) for v in headers] for row in result.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = [" | ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{', truncated' if result.truncated else ''})")
    return "\n".join(lines)


def _display(term: Node | None) -> str:
    if term is None:
        return ""
    text = str(term)
    for prefix, ns in PREFIXES.items():
        if isinstance(term, URIRef) and text.startswith(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text.replace("\n", " ")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
