"""Incremental builds on real news sentences (CLUENER2020): unchanged files are skipped by their build key, a changed
file replaces its graph, a file with fewer lines loses the documents it no longer has, and ``kg remove`` deletes a
document together with every entity only it asserted while shared entities keep what other documents say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import URIRef

from kg.build import build, remove_documents, stored_documents
from kg.cli import main
from kg.extract import Extractor
from kg.rdf.namespaces import KG
from kg.store import open_store
from tests.conftest import SHARED

CLUENER = SHARED / "data" / "cluener2020" / "train.jsonl"
pytestmark = pytest.mark.skipif(not CLUENER.exists(), reason="needs the CLUENER2020 corpus in ../shared/data")


def _sentences(start: int, count: int) -> list[str]:
    out = []
    with CLUENER.open(encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if index >= start + count:
                break
            if index >= start:
                out.append(json.loads(line)["text"])
    return out


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two articles that share place names (罗马, 热那亚 appear in both halves of these sentences)."""
    monkeypatch.chdir(tmp_path)  # document ids are paths relative to the working directory
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text("".join(_sentences(0, 20)), encoding="utf-8")
    (tmp_path / "news" / "b.txt").write_text("".join(_sentences(20, 20)), encoding="utf-8")
    return tmp_path / "news"


def _entities_by_doc(store) -> dict[str, set[str]]:
    rows = store.query(f"SELECT ?e ?id WHERE {{ ?e <{KG.mentionedIn}> ?d . ?d <{KG.docId}> ?id }}").rows
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(str(row["e"]), set()).add(str(row["id"]))
    return out


def _mentions_of(store, node: str) -> int:
    """Triples anywhere in the union with ``node`` as subject or object."""
    return len(store.query(f"SELECT * WHERE {{ {{ <{node}> ?p ?o }} UNION {{ ?s ?p2 <{node}> }} }}").rows)


def test_unchanged_files_are_skipped_by_build_key(corpus: Path, extractor: Extractor) -> None:
    store = open_store("memory:")
    first = build(store, [corpus], extractor=extractor)
    assert sorted(first.built) == ["news/a.txt", "news/b.txt"] and not first.unchanged
    before = set(store.quads())
    keys = store.query(f"SELECT ?id ?k WHERE {{ ?d <{KG.docId}> ?id ; <{KG.buildKey}> ?k }}").rows
    assert len(keys) == 2 and all(len(str(r["k"])) == 64 for r in keys)
    second = build(store, [corpus], extractor=extractor)
    assert second.built == [] and sorted(second.unchanged) == ["news/a.txt", "news/b.txt"]
    assert set(store.quads()) == before  # not even the build time was rewritten
    # The date option is part of the key: the same text read with another publication date is rebuilt.
    third = build(store, [corpus / "a.txt"], extractor=extractor, date="2020-01-01")
    assert third.built == ["news/a.txt"]
    forced = build(store, [corpus / "b.txt"], extractor=extractor, force=True)
    assert forced.built == ["news/b.txt"]


def test_changed_file_replaces_its_graph(corpus: Path, extractor: Extractor) -> None:
    store = open_store("memory:")
    build(store, [corpus], extractor=extractor)
    graph_a = stored_documents(store)["news/a.txt"]
    a_before = set(store.graph_quads(graph_a))
    old_only_b = {e for e, docs in _entities_by_doc(store).items() if docs == {"news/b.txt"}}
    assert old_only_b
    (corpus / "b.txt").write_text("".join(_sentences(200, 15)), encoding="utf-8")
    report = build(store, [corpus], extractor=extractor)
    assert report.built == ["news/b.txt"] and report.unchanged == ["news/a.txt"]
    assert set(store.graph_quads(graph_a)) == a_before
    texts = {str(r["t"]) for r in store.query(f"SELECT ?t WHERE {{ ?s a <{KG.Sentence}> ; <{KG.text}> ?t }}").rows}
    assert not any(t in "".join(_sentences(20, 20)) for t in texts if t not in "".join(_sentences(0, 20)))
    new_only_b = {e for e, docs in _entities_by_doc(store).items() if docs == {"news/b.txt"}}
    for gone in old_only_b - new_only_b:
        assert _mentions_of(store, gone) == 0, gone


def test_remove_deletes_what_only_that_document_asserted(corpus: Path, extractor: Extractor,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    store_dir = corpus.parent / "store"
    assert main(["build", "-q", "--store", str(store_dir), str(corpus)]) == 0
    with open_store(str(store_dir)) as store:
        by_doc = _entities_by_doc(store)
    only_a = {e for e, docs in by_doc.items() if docs == {"news/a.txt"}}
    shared = {e for e, docs in by_doc.items() if docs == {"news/a.txt", "news/b.txt"}}
    assert only_a and shared, by_doc

    assert main(["remove", "--store", str(store_dir), "news/a.txt"]) == 0
    assert "removed news/a.txt" in capsys.readouterr().err
    with open_store(str(store_dir)) as store:
        assert set(stored_documents(store)) == {"news/b.txt"}
        for node in only_a:
            assert _mentions_of(store, node) == 0, f"{node} survived the removal of the only document naming it"
        by_doc = _entities_by_doc(store)
        for node in shared:
            assert by_doc[node] == {"news/b.txt"}
            label = store.query(f"SELECT ?l WHERE {{ <{node}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")
            assert len(label.rows) == 1 and label.rows[0]["l"].language == "zh"
        assert not store.query("ASK { ?s ?p <http://localhost:8000/id/doc/news/a.txt> }").boolean
    assert main(["validate", "--store", str(store_dir)]) == 0
    assert main(["remove", "--store", str(store_dir), "news/a.txt"]) == 1  # gone already: says so
    assert "no document with id news/a.txt" in capsys.readouterr().err


def test_file_with_fewer_lines_loses_the_missing_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          extractor: Extractor) -> None:
    monkeypatch.chdir(tmp_path)
    lines = _sentences(40, 5)
    (tmp_path / "lines.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = open_store("memory:")
    first = build(store, [tmp_path / "lines.txt"], lines=True, extractor=extractor)
    assert len(first.built) == 5
    (tmp_path / "lines.txt").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    second = build(store, [tmp_path / "lines.txt"], lines=True, extractor=extractor)
    assert second.built == [] and len(second.unchanged) == 3 and len(second.removed) == 2
    assert sorted(stored_documents(store)) == sorted(second.unchanged)
    # Removing by file id removes every line of it.
    assert sorted(remove_documents(store, "lines.txt")) == sorted(second.unchanged)
    assert stored_documents(store) == {}


def test_remove_by_graph_leaves_only_the_ontology(corpus: Path, extractor: Extractor) -> None:
    store = open_store("rdflib:")
    build(store, [corpus / "a.txt"], extractor=extractor)
    assert remove_documents(store, "news/a.txt") == ["news/a.txt"]
    assert store.graphs() == ["https://w3id.org/kgnews/ontology"]
    assert not any(isinstance(s, URIRef) and "/id/" in str(s) for s, _, _, _ in store.quads())
