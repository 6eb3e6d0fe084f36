"""SHACL validation of a store: ``ontology/shapes.ttl`` checked by pyshacl over the union graph plus the ontology.

Why the union: it is what the SPARQL endpoint shows and what users query, so "valid" means "what you can see is
valid".  The ontology is always added (even when a store was imported without it) because the shapes rely on its
class hierarchy (``sh:class kg:Entity`` must accept a ``kg:Agency``) and on its property declarations.

pyshacl's own report is long and full of blank nodes; :class:`Violation` keeps what a user needs — which rule,
which node, which property and value, and the document the node came from — so ``kg validate`` prints one line each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from kg.rdf.namespaces import KG, PREFIXES
from kg.resources import ontology_text
from kg.store.base import GraphStore


@dataclass(frozen=True)
class Violation:
    """One failed constraint, in the words of the shape's ``sh:message``."""

    severity: str
    rule: str
    focus: str
    path: str
    value: str
    message: str
    documents: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" [in {', '.join(self.documents)}]" if self.documents else ""
        detail = f" (property {self.path}" + (f", value {self.value}" if self.value else "") + ")" if self.path else ""
        return f"{self.severity}: {self.rule}: {self.focus}: {self.message}{detail}{where}"


@dataclass
class ValidationReport:
    conforms: bool
    triples: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]


def shapes_graph() -> Graph:
    return Graph().parse(data=ontology_text("shapes.ttl"), format="turtle")


def _short(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, ns in PREFIXES.items():
            if text.startswith(ns) and "/" not in text[len(ns):]:
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    if isinstance(term, Literal):
        return term.n3()
    return f"_:{term}"


def data_graph(store: GraphStore, *, limit: int | None = None) -> Graph | None:
    """The union of the store's graphs plus the ontology, as one rdflib graph (pyshacl needs rdflib); ``None``
    when the store holds more than ``limit`` quads (then it is validated in batches)."""
    g = Graph()
    for count, (s, p, o, _) in enumerate(store.quads()):
        if limit is not None and count >= limit:
            return None
        g.add((s, p, o))
    g.parse(data=ontology_text(), format="turtle")
    return g


def validate_graph(data: Graph) -> tuple[bool, list[tuple[str, str, Node, Node | None, Node | None, str]]]:
    """Run pyshacl; returns conforms and (severity, rule, focus, path, value, message) tuples."""
    import pyshacl  # imported here: it takes a second to import and only this command needs it

    shapes = shapes_graph()
    conforms, results, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True,
                                                abort_on_first=False, meta_shacl=False)
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        source = results.value(result, SH.sourceShape)
        constraint = results.value(result, SH.sourceConstraint)
        rule = (shapes.value(constraint, SH.name) if constraint is not None else None) \
            or shapes.value(source, SH.name) or _short(source)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        found.append((severity, str(rule), results.value(result, SH.focusNode), results.value(result, SH.resultPath),
                      results.value(result, SH.value), messages[0] if messages else "constraint failed"))
    return bool(conforms), found


BATCH_QUADS = 150_000  # above this, the store is validated in batches of whole graphs (memory stays bounded)


def _batches(store: GraphStore, batch_quads: int) -> Iterator[Graph]:
    """The store as data graphs of whole named graphs, about ``batch_quads`` quads each, each completed with the
    types and labels other graphs give its subjects (so "exactly one type / one label" counts every graph).

    That is exact for graphs kg builds, where every node a document's triples point to is typed in that
    document's own graph.  Imported data that points across graphs may get ``sh:class`` violations in batch mode
    that a single pass would not report; stores below :data:`BATCH_QUADS` quads are checked in one pass.
    """
    ontology = Graph().parse(data=ontology_text(), format="turtle")
    current = Graph()
    for graph in store.graphs():
        for s, p, o, _ in store.graph_quads(graph):
            current.add((s, p, o))
        if len(current) >= batch_quads:
            yield _complete(store, current, ontology)
            current = Graph()
    if len(current):
        yield _complete(store, current, ontology)


def _complete(store: GraphStore, data: Graph, ontology: Graph) -> Graph:
    # Only nodes typed in this batch are shape targets here; they get every type and label other graphs give them.
    # (An untyped node is not completed: it would become a target without the rest of its description.)
    subjects = {s for s in data.subjects(RDF.type) if isinstance(s, URIRef)}
    for s in subjects:
        for predicate in (RDF.type, RDFS.label):
            for q in store.quads_for(subject=s, predicate=predicate):
                data.add(q[:3])
    for t in ontology:
        data.add(t)
    return data


def validate(store: GraphStore, *, max_located: int = 200, batch_quads: int = BATCH_QUADS) -> ValidationReport:
    """Validate ``store``; the first ``max_located`` violations also name the document graphs holding their node.

    A store of more than ``batch_quads`` quads is checked in batches of whole document graphs (see
    :func:`_batches`), so that pyshacl never holds more than a batch in memory; the rules are written so that a
    batch finds exactly what a single pass over the union would (the per-document rules only need the document's
    own graph, and the cross-document counts get the other graphs' types and labels).
    """
    found: list[tuple[str, str, Node, Node | None, Node | None, str]] = []
    triples = 0
    conforms = True
    whole = data_graph(store, limit=batch_quads)
    parts = [whole] if whole is not None else _batches(store, batch_quads)
    for data in parts:
        ok, batch_found = validate_graph(data)
        conforms = conforms and ok
        triples += len(data)
        found += batch_found
    found = list(dict.fromkeys(found))  # a node in two batches is reported once
    violations = []
    for index, (severity, rule, focus, path, value, message) in enumerate(found):
        node = value if isinstance(value, URIRef) and rule in _GRAPH_WIDE_RULES else focus
        if isinstance(value, Literal) and rule in _GRAPH_WIDE_RULES and str(value).startswith(("http", "urn:")):
            node = URIRef(str(value))
        documents: tuple[str, ...] = ()
        if index < max_located and isinstance(node, URIRef):
            documents = _documents_of(store, node)
        violations.append(Violation(severity=severity, rule=rule, focus=_short(node), path=_short(path),
                                    value="" if value is None or value == node else _short(value), message=message,
                                    documents=documents))
    violations.sort(key=lambda v: (v.severity != "Violation", v.rule, v.focus, v.path, v.value))
    return ValidationReport(conforms=conforms, triples=triples, violations=violations)


# Rules whose focus node is the ontology and whose real subject is the value (see shapes.ttl, GraphWideShape).
_GRAPH_WIDE_RULES = {"relation provenance", "statement asserted", "declared property"}


def _documents_of(store: GraphStore, node: URIRef) -> tuple[str, ...]:
    """The ``kg:docId`` of each document graph that says something about ``node``, so a user knows what to fix."""
    result = store.query(
        f"SELECT DISTINCT ?id WHERE {{ GRAPH ?g {{ <{node}> ?p ?o . ?d <{KG.docId}> ?id }} }} ORDER BY ?id LIMIT 5")
    return tuple(str(row["id"]) for row in result.rows if "id" in row)
