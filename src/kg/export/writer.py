"""Writing the store out as RDF files, streamed.

Turtle and N-Triples carry the union graph (what the endpoint's default graph shows, each triple once); TriG,
N-Quads and JSON-LD keep the named graphs, so a later ``kg import`` restores each document's graph and provenance.

Why our own writers instead of rdflib's serializers: rdflib builds the whole graph in memory first (gigabytes for a
store of millions of triples) and orders prefixes and blank nodes differently from run to run.  These writers pull
quads from the store one subject at a time, so memory is bounded by the largest subject, and every choice (prefix
order, predicate order, escaping) is fixed, so the same store exports byte-identical files.

Terms are written in the strict N-Triples forms (every character that could break a file is escaped), so text from
odd news pages can never produce a file that fails to parse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kg.rdf.namespaces import PREFIXES
from kg.store.base import GraphStore

# format -> (keeps named graphs, file extension, media type)
FORMATS = {
    "turtle": (False, "ttl", "text/turtle"),
    "nt": (False, "nt", "application/n-triples"),
    "trig": (True, "trig", "application/trig"),
    "nquads": (True, "nq", "application/n-quads"),
    "jsonld": (True, "jsonld", "application/ld+json"),
}

_XSD_STRING = str(XSD.string)
_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\\ud800-\udfff]')
_STRING_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f\ud800-\udfff]')
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# A local name we can write as prefix:local in Turtle without any escaping (a strict subset of PN_LOCAL).
_SAFE_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SAFE_BNODE = re.compile(r"[A-Za-z0-9_]+")


def _uchar(ch: str) -> str:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be encoded; it stands for an undecodable byte
        return "\\uFFFD"
    return f"\\u{code:04X}"


def _escape_iri(iri: str) -> str:
    return _IRI_ESCAPE.sub(lambda m: _uchar(m.group()), iri)


def _escape_string(text: str) -> str:
    return _STRING_ESCAPE.sub(lambda m: _SHORT_ESCAPES.get(m.group()) or _uchar(m.group()), text)


def _bnode_label(node: BNode) -> str:
    text = str(node)
    return text if _SAFE_BNODE.fullmatch(text) else "b" + re.sub(r"[^A-Za-z0-9_]", "_", text)


def nt_term(term: Node) -> str:
    """A term in N-Triples syntax (also valid in N-Quads, Turtle and TriG)."""
    if isinstance(term, URIRef):
        return f"<{_escape_iri(str(term))}>"
    if isinstance(term, BNode):
        return f"_:{_bnode_label(term)}"
    if isinstance(term, Literal):
        body = f'"{_escape_string(str(term))}"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return f"{body}^^<{_escape_iri(str(term.datatype))}>"
        return body
    raise TypeError(f"cannot write term {term!r}")


def _compact(iri: str) -> str | None:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and _SAFE_LOCAL.fullmatch(iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return None


# Bare numbers only in canonical form: parsers may canonicalise a bare "-0.50" to "-0.5", which would not round-trip.
_BARE = {str(XSD.integer): re.compile(r"0|-?[1-9][0-9]*"),
         str(XSD.decimal): re.compile(r"-?(?:0|[1-9][0-9]*)\.(?:0|[0-9]*[1-9])"),
         str(XSD.boolean): re.compile(r"true|false")}


def turtle_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return _compact(str(term)) or nt_term(term)
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) in _BARE \
            and _BARE[str(term.datatype)].fullmatch(str(term)):
        return str(term)  # Turtle's bare numbers and booleans mean exactly this datatype and lexical form
    if isinstance(term, Literal) and not term.language and term.datatype is not None \
            and str(term.datatype) != _XSD_STRING:
        dt = _compact(str(term.datatype))
        if dt:
            return f'"{_escape_string(str(term))}"^^{dt}'
    return nt_term(term)


def _sort_key(term: Node) -> tuple:
    kind = 0 if isinstance(term, URIRef) else 1 if isinstance(term, BNode) else 2
    if isinstance(term, Literal):
        return kind, str(term), term.language or "", str(term.datatype or "")
    return kind, str(term), "", ""


def _predicate_key(pred: Node) -> tuple:
    return (0 if pred == RDF.type else 1, *_sort_key(pred))


Group = tuple[Node, list[tuple[Node, Node]]]


def _subject_runs(quads: Iterator[tuple[Node, Node, Node, Node]]) -> Iterator[Group]:
    """Consecutive quads with one subject, as (subject, sorted distinct (predicate, object) pairs)."""
    subject: Node | None = None
    pairs: set[tuple[Node, Node]] = set()
    for s, p, o, _ in quads:
        if s != subject:
            if subject is not None:
                yield subject, _sorted_pairs(pairs)
            subject, pairs = s, set()
        pairs.add((p, o))
    if subject is not None:
        yield subject, _sorted_pairs(pairs)


def _sorted_pairs(pairs: set[tuple[Node, Node]]) -> list[tuple[Node, Node]]:
    return sorted(pairs, key=lambda po: (_predicate_key(po[0]), _sort_key(po[1])))


def union_groups(store: GraphStore) -> Iterator[Group]:
    """Every subject of the union graph once, with its distinct triples from all graphs, in a stable order.

    Constant memory: subjects are visited graph by graph (graphs in IRI order); a subject is written when the graph
    being visited is the first, in that order, that mentions it, and then with what every graph says about it
    (an index lookup by subject).
    """
    for graph in store.graphs():
        for subject, pairs in _subject_runs(store.graph_quads(graph)):
            found = list(store.quads_for(subject=subject))
            if min(str(q[3]) for q in found) != graph:
                continue  # written already, with the first graph that mentions it
            if len(found) == len(pairs):
                yield subject, pairs
            else:
                yield subject, _sorted_pairs({(q[1], q[2]) for q in found})


def _graph_groups(store: GraphStore) -> Iterator[tuple[str, Iterator[Group]]]:
    for graph in store.graphs():
        yield graph, _subject_runs(store.graph_quads(graph))


def _turtle_block(subject: Node, pairs: list[tuple[Node, Node]], indent: str) -> str:
    lines = []
    index = 0
    while index < len(pairs):
        pred = pairs[index][0]
        objects = []
        while index < len(pairs) and pairs[index][0] == pred:
            objects.append(turtle_term(pairs[index][1]))
            index += 1
        verb = "a" if pred == RDF.type else turtle_term(pred)
        separator = f" ,\n{indent}        " if len(objects) > 2 else " , "
        lines.append(f"{verb} {separator.join(objects)}")
    inner = f" ;\n{indent}    ".join(lines)
    return f"{indent}{turtle_term(subject)} {inner} .\n"


def _prefix_header() -> str:
    return "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in PREFIXES.items()) + "\n"


def write_turtle(store: GraphStore, write: Callable[[str], None]) -> int:
    write(_prefix_header())
    count = 0
    for subject, pairs in union_groups(store):
        write(_turtle_block(subject, pairs, "") + "\n")
        count += len(pairs)
    return count


def write_nt(store: GraphStore, write: Callable[[str], None]) -> int:
    count = 0
    for subject, pairs in union_groups(store):
        s = nt_term(subject)
        write("".join(f"{s} {nt_term(p)} {nt_term(o)} .\n" for p, o in pairs))
        count += len(pairs)
    return count


def write_trig(store: GraphStore, write: Callable[[str], None]) -> int:
    write(_prefix_header())
    count = 0
    for graph, groups in _graph_groups(store):
        write(f"{nt_term(URIRef(graph))} {{\n")
        first = True
        for subject, pairs in groups:
            write(("" if first else "\n") + _turtle_block(subject, pairs, "    "))
            first = False
            count += len(pairs)
        write("}\n\n")
    return count


def write_nquads(store: GraphStore, write: Callable[[str], None]) -> int:
    count = 0
    for graph, groups in _graph_groups(store):
        g = nt_term(URIRef(graph))
        for subject, pairs in groups:
            s = nt_term(subject)
            write("".join(f"{s} {nt_term(p)} {nt_term(o)} {g} .\n" for p, o in pairs))
            count += len(pairs)
    return count


def _jsonld_key(iri: str) -> str:
    return _compact(iri) or iri


def _jsonld_value(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"@id": str(term)}
    if isinstance(term, BNode):
        return {"@id": f"_:{_bnode_label(term)}"}
    assert isinstance(term, Literal)
    out = {"@value": str(term)}
    if term.language:
        out["@language"] = term.language
    elif term.datatype is not None and str(term.datatype) != _XSD_STRING:
        out["@type"] = _jsonld_key(str(term.datatype))
    return out


def _jsonld_node(subject: Node, pairs: list[tuple[Node, Node]]) -> dict:
    node: dict = {"@id": _jsonld_value(subject)["@id"]}
    types = [_jsonld_key(str(o)) for p, o in pairs if p == RDF.type and isinstance(o, URIRef)]
    if types:
        node["@type"] = types
    for p, o in pairs:
        if p == RDF.type and isinstance(o, URIRef):
            continue
        node.setdefault(_jsonld_key(str(p)), []).append(_jsonld_value(o))
    return node


def write_jsonld(store: GraphStore, write: Callable[[str], None]) -> int:
    """JSON-LD 1.1 with our prefixes as the context; each document's graph is a node with its own ``@graph``."""
    context = json.dumps(PREFIXES, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    write(f'{{\n  "@context": {context},\n  "@graph": [')
    count = 0
    first_graph = True
    for graph, groups in _graph_groups(store):
        write(("" if first_graph else ",") + f'\n    {{"@id": {json.dumps(graph, ensure_ascii=False)}, "@graph": [')
        first_graph = False
        first = True
        for subject, pairs in groups:
            write(("" if first else ",") + "\n      " + json.dumps(_jsonld_node(subject, pairs), ensure_ascii=False))
            first = False
            count += len(pairs)
        write("\n    ]}")
    write("\n  ]\n}\n")
    return count


WRITERS: dict[str, Callable[[GraphStore, Callable[[str], None]], int]] = {
    "turtle": write_turtle,
    "nt": write_nt,
    "trig": write_trig,
    "nquads": write_nquads,
    "jsonld": write_jsonld,
}


def export(store: GraphStore, fmt: str, out: BinaryIO) -> int:
    """Write the store in ``fmt`` to ``out``; returns the number of triples (union formats) or quads written."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(WRITERS)}")

    def write(text: str) -> None:
        out.write(text.encode("utf-8"))

    return WRITERS[fmt](store, write)
