"""Stage 3: documents to RDF (triples per document graph), IRIs and namespaces."""

from kg.rdf.convert import DocumentConverter, content_hash
from kg.rdf.iris import document_iri, entity_iri, graph_iri
from kg.rdf.namespaces import DEFAULT_BASE, KG, ONTOLOGY_GRAPH, PREFIXES

__all__ = ["DEFAULT_BASE", "KG", "ONTOLOGY_GRAPH", "PREFIXES", "DocumentConverter", "content_hash", "document_iri",
           "entity_iri", "graph_iri"]
