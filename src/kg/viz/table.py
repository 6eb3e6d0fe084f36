"""The entity network as compact tables read from the store: what the explorer needs and nothing else.

Entities get integer ids in the order of their IRIs (so sorting ids sorts IRIs), and edges are parallel numpy
arrays (source id, target id, predicate code, number of documents asserting it).  Building this is the first
visitor's wait on a big store, so the embedded Oxigraph engine is read directly: one single-pattern SELECT per
entity type and per relation predicate, serialised by the engine as SPARQL TSV and cut into columns of plain strings,
with no rdflib term objects and no Python loop per row (at 50,000 entities and load ~6 on 2 cores: 2.3 s against
5.7 s through ``store.query``, benchmarks/explore_bench.py).  Any other backend (rdflib memory, a remote SPARQL
server) runs the same SELECTs through the store's query interface, so both readers see the same rows and build the
same table.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import repeat

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


Column = list[str]


def assemble(typed: Iterable[tuple[str, Column]], labels: tuple[Column, Column], aliases: tuple[Column, Column],
             edges: Iterable[tuple[str, Column, Column]], *, iri: Callable[[str], str] | None = None) -> EntityTable:
    """The table from columns as read: the entities of each type (an entity typed twice keeps the first type of
    :data:`ENTITY_TYPES`), entity and label columns, entity and alias columns, and per predicate IRI the subject and
    object columns with one row per document asserting the link.  The smallest label wins when an entity has
    several, aliases are sorted: the same table whatever order the backend returns rows in.

    Columns rather than rows because each step is then one C-level pass (``map`` over a dict lookup, numpy), not a
    Python loop per row: half the time at 150,000 links.  Entities may come in another form than their IRI (``<…>``
    as SPARQL TSV writes them): ``iri`` turns that form into the IRI, and the columns are matched in that form.
    """
    kind: dict[str, str] = {}
    for type_name, entities in typed:
        for entity in entities:
            kind.setdefault(entity, type_name)
    plain = {entity: iri(entity) for entity in kind} if iri is not None else {entity: entity for entity in kind}
    iris = sorted(plain.values())
    n = len(iris)
    position = {name: i for i, name in enumerate(iris)}
    index = {entity: position[name] for entity, name in plain.items()}
    kind = {plain[entity]: type_name for entity, type_name in kind.items()}

    def ids(column: Column) -> np.ndarray:
        return np.fromiter(map(index.get, column, repeat(-1)), dtype=np.int64, count=len(column))

    label: list[str | None] = [None] * n
    for i, text in zip(ids(labels[0]).tolist(), labels[1], strict=True):
        if i >= 0 and (label[i] is None or text < label[i]):
            label[i] = text
    alias_sets: list[set[str] | None] = [None] * n
    for i, text in zip(ids(aliases[0]).tolist(), aliases[1], strict=True):
        if i >= 0:
            if alias_sets[i] is None:
                alias_sets[i] = set()
            alias_sets[i].add(text)
    chunks: list[tuple[str, np.ndarray, np.ndarray]] = []
    for predicate_iri, subjects, objects in edges:
        a, b = ids(subjects), ids(objects)
        keep = (a >= 0) & (b >= 0) & (a != b)  # both ends entities, no self-links
        if keep.any():
            chunks.append((local_name(predicate_iri), a[keep], b[keep]))
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
    return EntityTable(iris=iris, labels=[lab if lab is not None else local_name(name)
                                          for lab, name in zip(label, iris, strict=True)],
                       types=[kind[name] for name in iris],
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
    def columns(sparql: str, *names: str) -> list[Column]:
        rows = [row for row in store.query(sparql).rows if all(name in row for name in names)]
        return [[str(row[name]) for row in rows] for name in names]

    types, edges = _queries()
    return assemble([(t, columns(q, "e")[0]) for t, q in types], tuple(columns(LABELS_QUERY, "e", "l")),
                    tuple(columns(ALIASES_QUERY, "e", "l")), [(p, *columns(q, "s", "o")) for p, q in edges])


def tsv_columns(data: bytes, width: int) -> list[Column]:
    """The columns of SPARQL TSV results with ``width`` variables, after the header, each term as TSV writes it.

    TSV writes IRIs as ``<…>`` and literals in N-Triples syntax, with tabs and line breaks escaped, so the text split
    at line ends and tabs is exactly the fields, row after row, and every ``width``-th of them is a column: no Python
    loop per row.  (Oxigraph's CSV is no use here: it writes an IRI holding a comma without quotes.)
    """
    fields = data.decode("utf-8").replace("\n", "\t").split("\t")
    if fields and fields[-1] == "":  # after the last line end
        fields.pop()
    if len(fields) % width:
        raise ValueError(f"SPARQL TSV results with {len(fields)} fields do not make rows of {width}")
    return [fields[width + i::width] for i in range(width)]


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    return chr(int(code, 16)) if code else _ECHAR.get(match.group(3), match.group(3))


def lexical(term: str) -> str:
    """The lexical form of a literal as TSV writes it (``"…"@zh``, ``"…"^^<…>``, or a bare number); an IRI's
    text without its brackets."""
    if term.startswith('"'):
        body = term[1:term.rfind('"')]
        return _ESCAPE.sub(_unescape, body) if "\\" in body else body
    if term.startswith("<") and term.endswith(">"):
        return term[1:-1]
    return term


def entity_iri(term: str) -> str:
    """An entity as TSV writes it (``<iri>``, or ``_:id`` for a blank node) to the IRI ``store.query`` gives."""
    return term[1:-1] if term.startswith("<") else term[2:] if term.startswith("_:") else term


def read_oxigraph(engine: object) -> EntityTable:
    """From a pyoxigraph ``Store``: results serialised as TSV by the engine, split into columns of plain strings."""
    import pyoxigraph as ox

    from kg.store.oxigraph_store import dataset_kwargs

    dataset = dataset_kwargs(engine)

    def columns(sparql: str, width: int) -> list[Column]:
        return tsv_columns(engine.query(sparql, **dataset).serialize(format=ox.QueryResultsFormat.TSV), width)

    def named(sparql: str) -> tuple[Column, Column]:
        entities, names = columns(sparql, 2)
        return entities, [lexical(name) for name in names]

    types, edges = _queries()
    return assemble([(t, columns(q, 1)[0]) for t, q in types], named(LABELS_QUERY), named(ALIASES_QUERY),
                    [(p, *columns(q, 2)) for p, q in edges], iri=entity_iri)
