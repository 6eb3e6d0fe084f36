"""Writing the store out as RDF files.

Turtle and N-Triples carry the union graph (what the endpoint's default graph shows); TriG and N-Quads keep the
named graphs so that a later import restores each document's provenance.  The store yields quads in a stable
order, so the same store exports the same bytes.
"""

from __future__ import annotations

from typing import BinaryIO

from rdflib import Dataset, Graph, URIRef

from kg.rdf.namespaces import PREFIXES
from kg.store import GraphStore

FORMATS = {
    "turtle": ("turtle", False),
    "nt": ("nt", False),
    "jsonld": ("json-ld", True),
    "trig": ("trig", True),
    "nquads": ("nquads", True),
}


def export(store: GraphStore, fmt: str, out: BinaryIO) -> int:
    """Write the store in ``fmt`` to ``out``; returns the number of triples (union) or quads written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rdflib_format, keeps_graphs = FORMATS[fmt]
    if keeps_graphs:
        ds = Dataset()
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns)
        for s, p, o, g in store.quads():
            ds.graph(URIRef(str(g))).add((s, p, o))
        count = sum(len(g) for g in ds.graphs())
        data = ds.serialize(format=rdflib_format, encoding="utf-8")
    else:
        graph = Graph()
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns)
        for s, p, o, _ in store.quads():
            graph.add((s, p, o))
        count = len(graph)
        if rdflib_format == "nt":
            lines = sorted(graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines())
            data = ("\n".join(line for line in lines if line) + "\n").encode("utf-8")
        else:
            data = graph.serialize(format=rdflib_format, encoding="utf-8")
    out.write(data)
    return count
