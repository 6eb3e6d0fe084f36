"""kg: build an RDF knowledge graph from Chinese news text."""

__version__ = "0.1.0"
