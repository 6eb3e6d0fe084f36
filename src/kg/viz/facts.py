"""What the explorer's side panel and path view show about entities, read from the store by SPARQL.

Each fact is an ``rdf:Statement`` traced to the sentence it came from (``kg:evidence`` → ``kg:text``) and its
document (``prov:wasDerivedFrom`` → ``schema:headline``), so the browser can show every edge with its evidence.
Values returned here are plain strings; escaping is the job of whoever puts them into HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.rdf.namespaces import KG, PREFIXES
from kg.store import GraphStore
from kg.viz.graph import COMENTION, Explorer, local_name

_HEAD = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())

_STATEMENTS = _HEAD + """
SELECT ?st ?s ?p ?o ?role ?text ?doc ?headline ?amount ?currency ?unit ?count WHERE {{
  {pattern}
  ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  {filter}
  OPTIONAL {{ ?st kg:role ?role }}
  OPTIONAL {{ ?st kg:count ?count }}
  OPTIONAL {{ ?st kg:evidence ?sent . ?sent kg:text ?text }}
  OPTIONAL {{ ?st prov:wasDerivedFrom ?doc . OPTIONAL {{ ?doc schema:headline ?headline }} }}
  OPTIONAL {{ ?o schema:value ?amount .
             OPTIONAL {{ ?o schema:currency ?currency }} OPTIONAL {{ ?o schema:unitText ?unit }} }}
}}
"""

_MENTION_SENTENCES = _HEAD + """
SELECT DISTINCT ?text ?doc ?headline WHERE {{
  ?m kg:refersTo <{iri}> ; kg:inSentence ?sent .
  ?sent kg:text ?text ; kg:inDocument ?doc .
  OPTIONAL {{ ?doc schema:headline ?headline }}
}} LIMIT {limit}
"""


def _iri(value: str) -> str:
    """An IRI safe to splice into a query: anything that could break out of ``<…>`` is refused."""
    if any(c in value for c in '<>"{}|^`\\ \n\t'):
        raise ValueError(f"not an IRI: {value!r}")
    return f"<{value}>"


def _value(row: dict[str, Any]) -> str:
    """A literal object or an amount as a person would write it (35000000 CNY)."""
    if "amount" in row:
        amount = str(row["amount"])
        unit = str(row.get("currency") or row.get("unit") or "")
        return f"{amount} {unit}".strip()
    return str(row["o"])


def _statement(row: dict[str, Any], labels: dict[str, dict]) -> dict[str, Any]:
    s, o = str(row["s"]), row["o"]
    fact: dict[str, Any] = {
        "statement": str(row["st"]),
        "predicate": local_name(str(row["p"])),
        "subject": {"id": s, **labels.get(s, {"label": local_name(s), "type": ""})},
        "role": str(row["role"]) if "role" in row else None,
        "sentence": str(row["text"]) if "text" in row else None,
        "document": str(row["doc"]) if "doc" in row else None,
        "headline": str(row["headline"]) if "headline" in row else None,
    }
    if "count" in row:
        fact["count"] = int(row["count"])
    if isinstance(o, URIRef) and str(o) in labels:
        fact["object"] = {"id": str(o), **labels[str(o)]}
    elif isinstance(o, URIRef) and "amount" not in row:
        # Not an entity (a document a person is quoted in, say): show the headline when it is that document.
        label = fact["headline"] if str(o) == fact["document"] and fact["headline"] else unquote(local_name(str(o)))
        fact["object"] = {"id": str(o), "label": label, "type": ""}
    else:
        fact["value"] = _value(row)
    return fact


def _labels(graph_nodes: Any, iris: Iterable[str]) -> dict[str, dict]:
    out = {}
    for iri in iris:
        if iri in graph_nodes:
            data = graph_nodes[iri]
            out[iri] = {"label": data["label"], "type": data["type"]}
    return out


def entity_facts(store: GraphStore, explorer: Explorer, iri: str, *, comentions: int = 10,
                 sentences: int = 5) -> dict[str, Any]:
    """Facts about one entity (both directions), its strongest co-mentions, and sentences that mention it.

    Co-mention partners are ranked from the explorer's entity graph and only the top ``comentions`` are looked up:
    a hub can have thousands, and reading them all made the panel slow.
    """
    ref = _iri(iri)
    nodes = explorer.nodes
    pattern = f"{{ ?st rdf:subject {ref} }} UNION {{ ?st rdf:object {ref} }}"
    rows = store.query(_STATEMENTS.format(pattern=pattern, filter=f"FILTER(?p != <{KG}{COMENTION}>)")).rows
    ends = {str(r["s"]) for r in rows} | {str(r["o"]) for r in rows if isinstance(r["o"], URIRef)}
    labels = _labels(nodes, ends | {iri})
    facts = sorted((_statement(row, labels) for row in rows), key=lambda f: (f["predicate"], f["statement"]))
    partners = sorted((-count, nodes[other]["label"], other, count)
                      for other, count in (explorer.comentions(iri) if iri in explorer else []))
    top = partners[:comentions]
    evidence: dict[str, dict[str, Any]] = {}
    for fact in edge_evidence(store, nodes, [(iri, other) for _, _, other, _ in top], comention_only=True):
        other = fact["object"]["id"] if fact["subject"]["id"] == iri else fact["subject"]["id"]
        evidence.setdefault(other, fact)
    ranked_co = [{"entity": {"id": other, **_labels(nodes, [other])[other]}, "count": count,
                  "sentence": evidence.get(other, {}).get("sentence"),
                  "headline": evidence.get(other, {}).get("headline")} for _, _, other, count in top]
    mention_rows = store.query(_MENTION_SENTENCES.format(iri=iri, limit=int(sentences))).rows
    mentioned = [{"sentence": str(r["text"]), "document": str(r["doc"]),
                  "headline": str(r["headline"]) if "headline" in r else None} for r in mention_rows]
    mentioned.sort(key=lambda m: (m["document"], m["sentence"]))
    return {"facts": facts, "comentions": ranked_co, "sentences": mentioned}


def edge_evidence(store: GraphStore, graph_nodes: Any, pairs: Iterable[tuple[str, str]], *,
                  comention_only: bool = False) -> list[dict[str, Any]]:
    """The statements linking each pair (either direction): what a path's edges rest on.

    One bound block per pair and direction, joined by UNION: Oxigraph turns each into index lookups, where a
    ``VALUES (?s ?o)`` table made it scan every statement (1.5 s at 50,000 entities).
    """
    blocks = []
    for a, b in pairs:
        blocks.append(f"{{ ?st rdf:subject {_iri(a)} ; rdf:object {_iri(b)} }}")
        blocks.append(f"{{ ?st rdf:subject {_iri(b)} ; rdf:object {_iri(a)} }}")
    if not blocks:
        return []
    only = f"FILTER(?p = <{KG}{COMENTION}>)" if comention_only else ""
    rows = store.query(_STATEMENTS.format(pattern=" UNION ".join(blocks), filter=only)).rows
    labels = _labels(graph_nodes, {str(r["s"]) for r in rows} | {str(r["o"]) for r in rows})
    facts = [_statement(row, labels) for row in rows]
    facts.sort(key=lambda f: (f["predicate"] == COMENTION, f["predicate"], f["statement"]))
    return facts


def subgraph_turtle(store: GraphStore, iris: Iterable[str]) -> str:
    """Turtle for the entities on screen: their type, labels and aliases, and the relations among them."""
    keep = sorted(set(iris))
    out = Graph()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns)
    wanted = {RDF.type, RDFS.label, SKOS.altLabel}
    for start in range(0, len(keep), 500):
        chunk = keep[start:start + 500]
        values = " ".join(_iri(i) for i in chunk)
        rows = store.query(f"SELECT ?e ?p ?o WHERE {{ VALUES ?e {{ {values} }} ?e ?p ?o }}").rows
        members = set(keep)
        for row in rows:
            p, o = row["p"], row["o"]
            if p in wanted or (isinstance(o, URIRef) and str(o) in members) or (
                    isinstance(o, Literal) and str(p).startswith(PREFIXES["kg"]) and local_name(str(p)).endswith(
                        ("Date", "date"))):
                out.add((row["e"], p, o))
    return out.serialize(format="turtle")
