"""The entity network as compact tables read from the store: what the explorer needs and nothing else.

Entities get integer ids in the order of their IRIs (so sorting ids sorts IRIs), and edges are parallel numpy
arrays (source id, target id, predicate code, number of documents asserting it).  Building this is the first
visitor's wait on a big store, so the embedded Oxigraph engine is read directly: one single-pattern SELECT per
entity type and per relation predicate, serialised by the engine as CSV and parsed by Python's C csv reader, with no
rdflib term objects on the way (measured at 50,000 entities: ~1 s instead of ~7 s through ``store.query``).  Any
other backend (rdflib memory, a remote SPARQL server) runs the same SELECTs through the store's query interface, so
both readers see the same rows and build the same table.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from kg.rdf.namespaces import KG
from kg.store import GraphStore

ENTITY_TYPES = ("Agency", "Person", "Place", "Project", "Event")
COMENTION = "coMention"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"

# Single triple patterns only, one per type or predicate: Oxigraph answers each with one index scan, while a
# two-pattern join with aggregates took ~10 s at 50,000 entities and one SELECT with ``VALUES ?p { …15 IRIs… }``
# 1.8 s where the fifteen single-predicate SELECTs take 0.4 s together (benchmarks/explore_bench.py).
TYPE_QUERY = "SELECT ?e WHERE {{ ?e <" + RDF_TYPE + "> <{type}> }}"
LABELS_QUERY = f"SELECT ?e ?l WHERE {{ ?e <{RDFS_LABEL}> ?l }}"
ALIASES_QUERY = f"SELECT ?e ?l WHERE {{ ?e <{SKOS_ALT}> ?l }}"
# One row per named graph (document) asserting the triple: without DISTINCT the bag keeps them, so an edge's count
# is the number of documents that support it, and the long graph IRIs need not travel.
EDGES_QUERY = "SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o }} }}"


def relation_predicates() -> list[str]:
    """The properties whose object is an entity: the ones the rdf stage writes (see kg.rdf.convert)."""
    from kg.rdf.convert import OBJECT_PROPERTIES

    return sorted(str(p) for p in OBJECT_PROPERTIES.values())


def local_name(iri: str) -> str:
    """The part of an IRI after ``#`` (or the last ``/``): how predicates and types are shown."""
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


@dataclass
class EntityTable:
    """Entities (ids = positions, IRIs sorted) and deduplicated edges with their document counts.

    Edges are sorted by (predicate, source, target); a co-mention is undirected and stored once with source < target.
    """

    iris: list[str]
    labels: list[str]
    types: list[str]
    aliases: list[list[str]]
    predicates: list[str]  # local names, sorted; an edge's ``pred`` indexes this list
    src: np.ndarray
    dst: np.ndarray
    pred: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.iris)

    @property
    def comention_code(self) -> int:
        """The predicate code of co-mentions (-1 when there are none)."""
        return self.predicates.index(COMENTION) if COMENTION in self.predicates else -1

    def to_json(self) -> dict:
        """A JSON-ready form that reads back fast: numbers as base64 of little-endian int32, IRIs (which hold no
        line breaks) as one string, types as codes."""
        kinds = sorted(set(self.types))
        code = {k: i for i, k in enumerate(kinds)}
        return {"iris": "\n".join(self.iris), "labels": self.labels, "kinds": kinds,
                "types": _pack(np.asarray([code[t] for t in self.types], dtype=np.int64)),
                "aliases": {str(i): a for i, a in enumerate(self.aliases) if a},
                "predicates": self.predicates, "src": _pack(self.src), "dst": _pack(self.dst),
                "pred": _pack(self.pred), "count": _pack(self.count)}

    @classmethod
    def from_json(cls, data: dict) -> EntityTable:
        """The table :meth:`to_json` wrote; ``ValueError`` when anything in it does not fit together."""
        iris = data["iris"].split("\n") if data["iris"] else []
        n = len(iris)
        kinds, types = list(data["kinds"]), _unpack(data["types"])
        if len(types) and (types.min() < 0 or types.max() >= len(kinds)):
            raise ValueError("inconsistent entity table")
        aliases: list[list[str]] = [[] for _ in range(n)]
        for key, names in data["aliases"].items():
            if not 0 <= int(key) < n:
                raise ValueError("inconsistent entity table")
            aliases[int(key)] = [str(a) for a in names]
        table = cls(iris=iris, labels=[str(label) for label in data["labels"]],
                    types=[kinds[t] for t in types.tolist()], aliases=aliases,
                    predicates=list(data["predicates"]), src=_unpack(data["src"]), dst=_unpack(data["dst"]),
                    pred=_unpack(data["pred"]), count=_unpack(data["count"]))
        edges = {len(table.src), len(table.dst), len(table.pred), len(table.count)}
        if {len(table.labels), len(table.types)} != {n} or len(edges) != 1 or (len(table.src) and (
                min(table.src.min(), table.dst.min(), table.pred.min()) < 0 or table.src.max() >= n
                or table.dst.max() >= n or table.pred.max() >= len(table.predicates))):
            raise ValueError("inconsistent entity table")
        return table


def _pack(values: np.ndarray) -> str:
    """Base64 of little-endian int32 (ids and counts stay far below 2**31)."""
    if len(values) and (values.max() >= 2**31 or values.min() < -2**31):
        raise ValueError("a number too large for the saved table")
    return base64.b64encode(np.ascontiguousarray(values, dtype="<i4").tobytes()).decode("ascii")


def _unpack(text: str) -> np.ndarray:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) % 4:
        raise ValueError("inconsistent entity table")
    return np.frombuffer(raw, dtype="<i4").astype(np.int64)


def assemble(typed: Iterable[tuple[str, Iterable[str]]], labels: Iterable[tuple[str, str]],
             aliases: Iterable[tuple[str, str]], edges: Iterable[tuple[str, Iterable[tuple[str, str]]]]
             ) -> EntityTable:
    """The table from rows as read: entities per type (an entity typed twice keeps the first type of
    :data:`ENTITY_TYPES`), (entity, label) and (entity, alias) pairs, and per predicate IRI one (s, o) row per
    document asserting it.  The smallest label wins when an entity has several, aliases are sorted: the same table
    whatever order the backend returns rows in."""
    kind: dict[str, str] = {}
    for type_name, entities in typed:
        for iri in entities:
            kind.setdefault(iri, type_name)
    iris = sorted(kind)
    index = {iri: i for i, iri in enumerate(iris)}
    label: list[str | None] = [None] * len(iris)
    for iri, text in labels:
        i = index.get(iri)
        if i is not None and (label[i] is None or text < label[i]):
            label[i] = text
    alias_sets: list[set[str] | None] = [None] * len(iris)
    for iri, text in aliases:
        i = index.get(iri)
        if i is not None:
            if alias_sets[i] is None:
                alias_sets[i] = set()
            alias_sets[i].add(text)
    chunks: list[tuple[str, np.ndarray, np.ndarray]] = []
    n = len(iris)
    for predicate_iri, rows in edges:
        s_ids, o_ids = [], []
        get = index.get
        for s, o in rows:
            a, b = get(s), get(o)
            if a is not None and b is not None and a != b:
                s_ids.append(a)
                o_ids.append(b)
        if s_ids:
            chunks.append((local_name(predicate_iri), np.asarray(s_ids, dtype=np.int64),
                           np.asarray(o_ids, dtype=np.int64)))
    predicates = sorted({name for name, _, _ in chunks})
    code = {name: c for c, name in enumerate(predicates)}
    src_parts, dst_parts, pred_parts, count_parts = [], [], [], []
    for name, s_arr, o_arr in chunks:
        if name == COMENTION:  # undirected: one edge per pair, counted over both directions
            s_arr, o_arr = np.minimum(s_arr, o_arr), np.maximum(s_arr, o_arr)
        keys, counts = np.unique(s_arr * n + o_arr, return_counts=True)
        src_parts.append(keys // n)
        dst_parts.append(keys % n)
        pred_parts.append(np.full(len(keys), code[name], dtype=np.int64))
        count_parts.append(counts.astype(np.int64))
    empty = np.zeros(0, dtype=np.int64)
    src = np.concatenate(src_parts) if src_parts else empty
    dst = np.concatenate(dst_parts) if dst_parts else empty
    pred = np.concatenate(pred_parts) if pred_parts else empty
    count = np.concatenate(count_parts) if count_parts else empty
    # Sorted by (predicate, source, target); two predicate IRIs with one local name merge into one edge.
    if len(src):
        _, first, inverse = np.unique((pred * n + src) * n + dst, return_index=True, return_inverse=True)
        merged = np.bincount(inverse, weights=count).astype(np.int64)
        src, dst, pred, count = src[first], dst[first], pred[first], merged
    return EntityTable(iris=iris, labels=[lab if lab is not None else local_name(iri)
                                          for lab, iri in zip(label, iris, strict=True)],
                       types=[kind[iri] for iri in iris],
                       aliases=[sorted(a) if a else [] for a in alias_sets],
                       predicates=predicates, src=src, dst=dst, pred=pred, count=count)


# -- readers -----------------------------------------------------------------------------------------------------
def read_table(store: GraphStore) -> EntityTable:
    """The table of ``store``: straight from the Oxigraph engine when the store embeds one, else by SPARQL."""
    engine = getattr(store, "engine", None)
    if engine is None:
        engine = getattr(store, "_store", None)  # an OxigraphStore from before the public property
    try:
        import pyoxigraph as ox
    except ImportError:  # pragma: no cover - pyoxigraph is a dependency
        ox = None
    if ox is not None and isinstance(engine, ox.Store):
        return read_oxigraph(engine)
    return read_generic(store)


def _queries() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    types = [(t, TYPE_QUERY.format(type=f"{KG}{t}")) for t in ENTITY_TYPES]
    edges = [(p, EDGES_QUERY.format(predicate=p)) for p in relation_predicates()]
    return types, edges


def read_generic(store: GraphStore) -> EntityTable:
    """Through :meth:`GraphStore.query` (rdflib terms): any backend."""
    def pairs(sparql: str, a: str, b: str) -> Iterator[tuple[str, str]]:
        for row in store.query(sparql).rows:
            if a in row and b in row:
                yield str(row[a]), str(row[b])

    types, edges = _queries()
    return assemble(((t, (str(r["e"]) for r in store.query(q).rows)) for t, q in types),
                    pairs(LABELS_QUERY, "e", "l"), pairs(ALIASES_QUERY, "e", "l"),
                    [(p, pairs(q, "s", "o")) for p, q in edges])


def csv_rows(data: bytes) -> Iterable[list[str]]:
    """The rows of SPARQL CSV results after the header.  A field is quoted only when it holds a comma, a quote or a
    line break, and then the data holds a quote: without one, splitting lines at commas is exact and three times
    faster than the csv module, which reads the rest."""
    text = data.decode("utf-8")
    if '"' in text:
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader, None)
        return reader
    return [line.split(",") for line in text.split("\r\n")[1:] if line]


def read_oxigraph(engine: object) -> EntityTable:
    """From a pyoxigraph ``Store``: results serialised as CSV by the engine, parsed as plain strings."""
    import pyoxigraph as ox

    from kg.store.oxigraph_store import dataset_kwargs

    dataset = dataset_kwargs(engine)

    def rows(sparql: str) -> Iterable[list[str]]:
        data = engine.query(sparql, **dataset).serialize(format=ox.QueryResultsFormat.CSV)
        return csv_rows(data)

    def pairs(sparql: str) -> Iterator[tuple[str, str]]:
        for row in rows(sparql):
            if len(row) == 2 and row[0] and row[1]:
                yield row[0], row[1]

    types, edges = _queries()
    return assemble(((t, (row[0] for row in rows(q) if row)) for t, q in types),
                    pairs(LABELS_QUERY), pairs(ALIASES_QUERY), [(p, pairs(q)) for p, q in edges])
