"""Bad input gets a one-line error naming the problem, a non-zero exit, and loses nothing already stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.store import open_store
from tests.conftest import run_kg


def triple_count(store: Path) -> int:
    with open_store(str(store), read_only=True) as s:
        return len(s)


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "error" in line or "skipped" in line]


def test_missing_path(seed_store_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = triple_count(seed_store_copy)
    assert run_kg("build", "--store", seed_store_copy, "-q", "no/such/file.txt") == 1
    err = capsys.readouterr().err
    assert "no/such/file.txt: no such file or directory" in err
    assert triple_count(seed_store_copy) == before


def test_empty_directory(seed_store_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = triple_count(seed_store_copy)
    assert run_kg("build", "--store", seed_store_copy, "-q", empty) == 1
    assert "directory holds no files" in capsys.readouterr().err
    assert triple_count(seed_store_copy) == before


def test_binary_file(seed_store_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "image.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    before = triple_count(seed_store_copy)
    assert run_kg("build", "--store", seed_store_copy, "-q", binary) == 1
    err = capsys.readouterr().err
    assert "image.bin" in err and "binary" in err
    assert triple_count(seed_store_copy) == before


def test_batch_goes_on_past_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "in" / "good.txt"
    good.parent.mkdir()
    good.write_text("湖南省人民政府副省长张三昨日在长沙市调研。", encoding="utf-8")
    (tmp_path / "in" / "bad.bin").write_bytes(b"\x00\x01\x02" * 100)
    store = tmp_path / "store"
    assert run_kg("build", "--store", store, "-q", tmp_path / "in") == 0
    err = capsys.readouterr().err
    assert "1 document(s) built" in err and "1 skipped" in err and "bad.bin" in err


def test_malformed_query_file_and_text(seed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kg("query", "--store", seed_store, "SELECT ?x WHERE { ?x ?y }") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "syntax error" in err[0].lower()
    assert run_kg("query", "--store", seed_store, tmp_path / "missing.rq") == 1
    assert "missing.rq does not exist" in capsys.readouterr().err


def test_query_on_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kg("query", "--store", tmp_path / "nostore", "ASK {}") == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nostore").exists()


def test_store_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    src = tmp_path / "a.txt"
    src.write_text("株洲市政府", encoding="utf-8")
    assert run_kg("build", "--store", not_a_dir, "-q", src) == 1
    assert "is a file" in capsys.readouterr().err
    assert not_a_dir.read_text() == "x"


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kg("build") == 2
    assert run_kg("frobnicate") == 2
    assert run_kg("build", "--date", "16/12/2021", "x") == 2


def test_update_refused_by_query(seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = triple_count(seed_store)
    assert run_kg("query", "--store", seed_store, "DROP ALL") == 1
    assert "read-only" in capsys.readouterr().err
    assert triple_count(seed_store) == before
