"""Stores that must be refused with a clear message and left untouched: a store from another format version, a
folder that is not a store, a read-only store asked to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from kg.cli import main
from kg.store import StoreError, open_store
from kg.store.oxigraph_store import FORMAT_MARKER

TRIPLE = (URIRef("http://localhost:8000/id/place/云田镇"), RDFS.label, Literal("云田镇", lang="zh"))


def test_incompatible_version_is_refused_and_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "store"
    with open_store(str(path)) as store:
        store.replace_graph("http://localhost:8000/id/graph/a", [TRIPLE])
    (path / FORMAT_MARKER).write_text("99\n", encoding="utf-8")
    before = {p.name: p.stat().st_mtime_ns for p in path.iterdir()}
    with pytest.raises(StoreError, match=r"format '99'.*Export it with the kg that wrote it"):
        open_store(str(path))
    assert main(["stats", "--store", str(path)]) == 1
    assert "format '99'" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in path.iterdir()} == before  # nothing was written


def test_folder_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("我的笔记", encoding="utf-8")
    with pytest.raises(StoreError, match="not a kg store"):
        open_store(str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_read_only_store_refuses_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with open_store(str(path)) as store:
        store.replace_graph("http://localhost:8000/id/graph/a", [TRIPLE])
    with open_store(str(path), read_only=True) as store:
        with pytest.raises(StoreError, match="cannot write graph"):
            store.replace_graph("http://localhost:8000/id/graph/b", [TRIPLE])
        with pytest.raises(StoreError, match="cannot remove graph"):
            store.remove_graph("http://localhost:8000/id/graph/a")
    with open_store(str(path)) as store:
        assert store.graphs() == ["http://localhost:8000/id/graph/a"]


def test_remove_on_a_missing_store_does_not_create_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remove", "--store", str(tmp_path / "nothing"), "a.txt"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()
