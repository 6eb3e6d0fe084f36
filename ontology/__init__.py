"""The ontology files (kg.ttl, shapes.ttl), installed as package data of kg."""
