"""Export and import: every format round-trips, the same store exports the same bytes, odd text never breaks a file,
and export memory does not grow with the store."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.cli import main
from kg.export import export, import_file
from kg.export.importer import ImportError_
from kg.rdf.namespaces import KG, PREFIXES
from kg.store import open_store
from kg.store.terms import from_ox

FORMATS = ["turtle", "nt", "trig", "nquads", "jsonld"]
EXT = {"turtle": "ttl", "nt": "nt", "trig": "trig", "nquads": "nq", "jsonld": "jsonld"}
GRAPH_FORMATS = {"trig", "nquads", "jsonld"}


def _quads(store) -> set:
    return set(store.quads())


def _triples(store) -> set:
    return {(s, p, o) for s, p, o, _ in store.quads()}


def _export(store, fmt: str) -> bytes:
    buf = io.BytesIO()
    export(store, fmt, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def seed(seed_store: Path):
    with open_store(str(seed_store), read_only=True) as store:
        yield store


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_a_file(seed, fmt: str, tmp_path: Path) -> None:
    data = _export(seed, fmt)
    path = tmp_path / f"export.{EXT[fmt]}"
    path.write_bytes(data)
    with open_store(str(tmp_path / "copy")) as copy:
        report = import_file(copy, path)
        if fmt in GRAPH_FORMATS:
            assert _quads(copy) == _quads(seed)  # every document keeps its own graph
            assert report.graphs == seed.graphs()
        else:
            assert _triples(copy) == _triples(seed)
            assert copy.graphs() == ["http://localhost:8000/id/graph/import/" + path.name]
        # Same quads, a different store: the same bytes again (the order depends on the content only).
        if fmt in GRAPH_FORMATS:
            assert _export(copy, fmt) == data
            assert _export(copy, "turtle") == _export(seed, "turtle")


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_store_same_bytes(seed, fmt: str) -> None:
    assert _export(seed, fmt) == _export(seed, fmt)


def test_formats_parse_with_another_parser(seed) -> None:
    """rdflib (not the parser import uses) reads each export and finds the same quads or triples."""
    triples = {(s, p, o) for s, p, o, _ in seed.quads()}
    for fmt, rdflib_fmt in [("turtle", "turtle"), ("nt", "nt")]:
        g = Graph().parse(data=_export(seed, fmt).decode("utf-8"), format=rdflib_fmt)
        assert set(g) == triples, fmt
    for fmt, rdflib_fmt in [("trig", "trig"), ("nquads", "nquads"), ("jsonld", "json-ld")]:
        ds = Dataset()
        ds.parse(data=_export(seed, fmt).decode("utf-8"), format=rdflib_fmt)
        got = {(s, p, o, g) for s, p, o, g in ds.quads((None, None, None, None)) if g is not None}
        assert got == _quads(seed), fmt


def test_turtle_has_prefixes_in_fixed_order_and_readable_chinese(seed) -> None:
    text = _export(seed, "turtle").decode("utf-8")
    header = [line for line in text.splitlines() if line.startswith("@prefix")]
    assert header == [f"@prefix {p}: <{ns}> ." for p, ns in PREFIXES.items()]
    assert "rdfs:label \"" in text and "@zh" in text
    assert "\\u" not in text  # Chinese is written as itself, not escaped


def test_jsonld_has_a_context() -> None:
    store = open_store("memory:")
    person = URIRef("http://example.org/p/张三")
    store.replace_graph("http://example.org/g", [(person, RDF.type, KG.Person),
                                                 (person, RDFS.label, Literal("张三", lang="zh"))])
    doc = json.loads(_export(store, "jsonld"))
    assert doc["@context"]["kg"] == str(KG)
    node = doc["@graph"][0]["@graph"][0]
    assert node["@type"] == ["kg:Person"] and node["rdfs:label"] == [{"@value": "张三", "@language": "zh"}]


ODD = [
    'quote " and backslash \\ and\nnewline\r\ttab',
    "control \x00\x01\x1f\x7f chars",
    "line separator \u2028 paragraph \u2029 bom \ufeff",
    "全角ＡＢＣ１２３ and emoji 🎉 and combining é",
    '"""triple quotes""" and \'single\'',
    "ends with backslash \\",
    "",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_odd_text_never_breaks_a_file(fmt: str, tmp_path: Path) -> None:
    store = open_store("memory:")
    graph = "http://localhost:8000/id/graph/odd%20doc"
    triples = []
    for i, text in enumerate(ODD):
        s = URIRef(f"http://localhost:8000/id/agency/名{i}%3C%3E%22%7B%7D%7C%5E%60%5C")
        triples += [(s, RDFS.label, Literal(text, lang="zh")), (s, KG.text, Literal(text)),
                    (s, KG.start, Literal(str(i), datatype=XSD.integer)),
                    (s, KG.metadata, Literal(text, datatype=URIRef("http://example.org/dt#odd")))]
    triples.append((URIRef("urn:x-odd:a"), KG.approximate, Literal("true", datatype=XSD.boolean)))
    triples.append((URIRef("urn:x-odd:a"), KG.confidence, Literal("-0.5", datatype=XSD.decimal)))
    store.replace_graph(graph, triples)
    data = _export(store, fmt)
    path = tmp_path / f"odd.{EXT[fmt]}"
    path.write_bytes(data)
    parsed = {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
              for q in ox.parse(path=str(path), format=_ox_format(fmt))}
    assert parsed == set(triples)


def _ox_format(fmt: str) -> ox.RdfFormat:
    return {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "trig": ox.RdfFormat.TRIG,
            "nquads": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD}[fmt]


@pytest.mark.parametrize("spec", ["memory:", "rdflib:"])
def test_union_formats_write_shared_triples_once(spec: str) -> None:
    """An entity named by two documents has its type in both graphs; Turtle writes it once, N-Quads twice."""
    store = open_store(spec)
    person = URIRef("http://localhost:8000/id/person/王芳")
    for doc in ("a", "b"):
        store.replace_graph(f"http://localhost:8000/id/graph/{doc}",
                            [(person, RDF.type, KG.Person), (person, RDFS.label, Literal("王芳", lang="zh")),
                             (person, KG.mentionedIn, URIRef(f"http://localhost:8000/id/doc/{doc}"))])
    nt = _export(store, "nt").decode("utf-8").splitlines()
    assert len(nt) == 4 and len(set(nt)) == 4
    assert len(_export(store, "nquads").decode("utf-8").splitlines()) == 6
    assert _export(store, "turtle").decode("utf-8").count("a kg:Person") == 1


def test_broken_file_is_refused_with_its_position_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.nq"
    path.write_text('<http://a/s> <http://a/p> "ok" <http://a/g> .\n<http://a/s> <http://a/p> "unterminated .\n',
                    encoding="utf-8")
    store = open_store("memory:")
    with pytest.raises(ImportError_, match=r"broken\.nq.*line 2|broken\.nq.*2:"):
        import_file(store, path)
    assert store.graphs() == []


def test_cli_export_import_round_trip(seed_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.trig"
    assert main(["export", "--store", str(seed_store), "--format", "trig", "-o", str(out)]) == 0
    target = tmp_path / "restored"
    assert main(["import", "--store", str(target), str(out)]) == 0
    assert main(["import", "--store", str(target), str(out)]) == 0  # importing twice changes nothing
    again = tmp_path / "again.trig"
    assert main(["export", "--store", str(target), "--format", "trig", "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    assert main(["validate", "--store", str(target)]) == 0
    assert main(["import", "--store", str(target), str(tmp_path / "missing.ttl")]) == 1
    (tmp_path / "data.xyz").write_text("", encoding="utf-8")
    assert main(["import", "--store", str(target), str(tmp_path / "data.xyz")]) == 1


def _synthetic_store(n_subjects: int):
    store = open_store("memory:")
    for chunk in range(0, n_subjects, 1000):
        triples = []
        for i in range(chunk, min(chunk + 1000, n_subjects)):
            s = URIRef(f"http://localhost:8000/id/agency/机构{i}")
            triples += [(s, RDF.type, KG.Agency), (s, RDFS.label, Literal(f"机构{i}", lang="zh")),
                        (s, KG.start, Literal(i))]
        store.replace_graph(f"http://localhost:8000/id/graph/doc{chunk // 1000}", triples)
    return store


def _peak_export_memory(store, fmt: str) -> int:
    class Sink(io.RawIOBase):
        def write(self, b) -> int:
            return len(b)

    tracemalloc.start()
    try:
        export(store, fmt, Sink())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["nquads", "nt", "turtle"])
def test_export_memory_does_not_grow_with_the_store(fmt: str) -> None:
    small = _peak_export_memory(_synthetic_store(1_000), fmt)
    large = _peak_export_memory(_synthetic_store(10_000), fmt)
    assert large < 3 * small + 200_000, (small, large)  # 10x the data, not 10x the memory


@pytest.mark.parametrize("spec", ["memory:", "rdflib:"])
def test_import_streams_big_graphs_in_pieces_and_interleaved_graphs(spec: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.export.importer as importer

    monkeypatch.setattr(importer, "CHUNK", 7)  # so that a small file exercises the piecewise path
    path = tmp_path / "mixed.nq"
    lines = [f'<http://a/s{i}> <http://a/p> "第{i}条"@zh <http://a/g{1 if i < 20 or i >= 30 else 2}> .'
             for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = open_store(spec)
    store.replace_graph("http://a/g1", [(URIRef("http://a/old"), RDFS.label, Literal("旧"))])
    for _ in range(2):  # importing twice: each graph replaced, never doubled
        report = import_file(store, path)
        assert report.quads == 40 and report.graphs == ["http://a/g1", "http://a/g2"]
        assert len(list(store.graph_quads("http://a/g1"))) == 30
        assert len(list(store.graph_quads("http://a/g2"))) == 10
