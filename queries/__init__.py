"""Named SPARQL queries (*.rq), installed as package data of kg."""
