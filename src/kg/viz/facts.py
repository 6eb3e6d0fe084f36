"""What the explorer's side panel and path view show about entities, read from the store by SPARQL.

Each fact is an ``rdf:Statement`` traced to the sentence it came from (``kg:evidence`` → ``kg:text``) and its
document (``prov:wasDerivedFrom`` → ``schema:headline``), so the browser can show every edge with its evidence.
Values returned here are plain strings; escaping is the job of whoever puts them into HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.rdf.namespaces import PREFIXES
from kg.store import GraphStore
from kg.viz.graph import COMENTION, local_name

_HEAD = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())

_STATEMENTS = _HEAD + """
SELECT ?st ?s ?p ?o ?role ?text ?doc ?headline ?amount ?currency ?unit ?count WHERE {{
  {pattern}
  ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
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
        fact["object"] = {"id": str(o), "label": local_name(str(o)), "type": ""}
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


def entity_facts(store: GraphStore, graph_nodes: Any, iri: str, *, comentions: int = 10,
                 sentences: int = 5) -> dict[str, Any]:
    """Facts about one entity (both directions), its strongest co-mentions, and sentences that mention it."""
    ref = _iri(iri)
    pattern = f"{{ ?st rdf:subject {ref} }} UNION {{ ?st rdf:object {ref} }}"
    rows = store.query(_STATEMENTS.format(pattern=pattern)).rows
    ends = {str(r["s"]) for r in rows} | {str(r["o"]) for r in rows if isinstance(r["o"], URIRef)}
    labels = _labels(graph_nodes, ends | {iri})
    facts, co = [], {}
    for row in rows:
        fact = _statement(row, labels)
        if fact["predicate"] == COMENTION:
            other = fact["object"] if fact["subject"]["id"] == iri else fact["subject"]
            entry = co.setdefault(other["id"], {"entity": other, "count": 0, "sentence": None, "headline": None})
            entry["count"] += fact.get("count", 1)
            entry["sentence"] = entry["sentence"] or fact["sentence"]
            entry["headline"] = entry["headline"] or fact["headline"]
            continue
        facts.append(fact)
    facts.sort(key=lambda f: (f["predicate"], f["statement"]))
    ranked_co = sorted(co.values(), key=lambda c: (-c["count"], c["entity"]["label"]))[:comentions]
    mention_rows = store.query(_MENTION_SENTENCES.format(iri=iri, limit=int(sentences))).rows
    mentioned = [{"sentence": str(r["text"]), "document": str(r["doc"]),
                  "headline": str(r["headline"]) if "headline" in r else None} for r in mention_rows]
    mentioned.sort(key=lambda m: (m["document"], m["sentence"]))
    return {"facts": facts, "comentions": ranked_co, "sentences": mentioned}


def edge_evidence(store: GraphStore, graph_nodes: Any, pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The statements linking each pair (either direction): what a path's edges rest on."""
    values = " ".join(f"({_iri(a)} {_iri(b)}) ({_iri(b)} {_iri(a)})" for a, b in pairs)
    if not values:
        return []
    pattern = f"VALUES (?s ?o) {{ {values} }}"
    rows = store.query(_STATEMENTS.format(pattern=pattern)).rows
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
