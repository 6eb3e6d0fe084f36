"""Namespaces and the default base IRI shared by every stage that writes or reads RDF."""

from rdflib import Namespace
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

KG = Namespace("https://w3id.org/kgnews/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
DCT = Namespace("http://purl.org/dc/terms/")

DEFAULT_BASE = "http://localhost:8000/id/"
ONTOLOGY_GRAPH = "https://w3id.org/kgnews/ontology"

PREFIXES = {
    "kg": str(KG),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "dct": str(DCT),
    "prov": str(PROV),
    "skos": str(SKOS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
}

__all__ = ["DCT", "DEFAULT_BASE", "FOAF", "KG", "ONTOLOGY_GRAPH", "ORG", "OWL", "PREFIXES", "PROV", "RDF", "RDFS",
           "SCHEMA", "SKOS", "XSD"]
