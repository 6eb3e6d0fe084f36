"""The SPARQL 1.1 Service Description of the endpoint (what GET /sparql without a query returns to machines).

Why: clients and registries discover what an endpoint speaks (language, result formats, the union default graph)
from this document instead of by trial and error.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


def service_description(endpoint: str, graphs: list[str], *, allow_update: bool = False,
                        max_graphs: int = 1000) -> Graph:
    """The description as a graph; named graphs are listed up to ``max_graphs`` so the document stays small."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if allow_update:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in RESULT_FORMATS:
        g.add((service, SD.resultFormat, FORMATS[name]))
    dataset = BNode("dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = BNode("defaultGraph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    for i, name in enumerate(graphs[:max_graphs]):
        node = BNode(f"graph{i}")
        g.add((dataset, SD.namedGraph, node))
        g.add((node, RDF.type, SD.NamedGraph))
        g.add((node, SD.name, URIRef(name)))
    g.add((service, URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
           Literal("Read-only SPARQL 1.1 endpoint over a knowledge graph built from Chinese news; the default graph "
                   "is the union of all named graphs (one per source document). SERVICE, LOAD and FROM <url> are "
                   "refused: the endpoint never fetches remote data.", lang="en")))
    return g
