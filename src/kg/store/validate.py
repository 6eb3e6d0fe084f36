"""SHACL validation of a store: ``ontology/shapes.ttl`` checked by pyshacl over the union graph plus the ontology.

Why the union: it is what the SPARQL endpoint shows and what users query, so "valid" means "what you can see is
valid".  The ontology is always added (even when a store was imported without it) because the shapes rely on its
class hierarchy (``sh:class kg:Entity`` must accept a ``kg:Agency``) and on its property declarations.

pyshacl's own report is long and full of blank nodes; :class:`Violation` keeps what a user needs — which rule,
which node, which property and value, and the document the node came from — so ``kg validate`` prints one line each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
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


def data_graph(store: GraphStore) -> Graph:
    """The union of the store's graphs plus the ontology, as one rdflib graph (pyshacl needs rdflib)."""
    g = Graph()
    for s, p, o, _ in store.quads():
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


def validate(store: GraphStore, *, max_located: int = 200) -> ValidationReport:
    """Validate ``store``; the first ``max_located`` violations also name the document graphs holding their node."""
    data = data_graph(store)
    conforms, found = validate_graph(data)
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
    return ValidationReport(conforms=conforms, triples=len(data), violations=violations)


# Rules whose focus node is the ontology and whose real subject is the value (see shapes.ttl, GraphWideShape).
_GRAPH_WIDE_RULES = {"relation provenance", "statement asserted", "declared property"}


def _documents_of(store: GraphStore, node: URIRef) -> tuple[str, ...]:
    """The ``kg:docId`` of each document graph that says something about ``node``, so a user knows what to fix."""
    result = store.query(
        f"SELECT DISTINCT ?id WHERE {{ GRAPH ?g {{ <{node}> ?p ?o . ?d <{KG.docId}> ?id }} }} ORDER BY ?id LIMIT 5")
    return tuple(str(row["id"]) for row in result.rows if "id" in row)
