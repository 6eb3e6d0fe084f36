"""Bulk paths: N-Quads shards through pyoxigraph's bulk loader keep the union default graph, and a parallel build writes
to an Oxigraph server in Graph Store Protocol batches, ending with the graph a serial build stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import build
from kg.extract import Extractor
from kg.read import ReadOptions
from kg.store import RemoteStore, open_store
from kg.store.bulk import document_nquads, load_shards
from tests.test_parallel_build import CLUENER, NOW, make_corpus
from tests.test_store_backends import _clear, oxigraph_server  # noqa: F401 - the server fixture

pytestmark = pytest.mark.skipif(not CLUENER.exists(), reason="needs the CLUENER2020 corpus in ../shared/data")
UNION_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("bulk")
    store = open_store("memory:")
    corpus = make_corpus(folder)
    build(store, [corpus / "people", corpus / "zhuzhou-daily-2021-12.txt"], extractor=Extractor(), now=NOW,
          read_options=ReadOptions(root=folder))
    return store


def _count(store) -> int:
    return int(store.query(UNION_COUNT).rows[0]["n"])


@pytest.mark.parametrize("union", [True, False])
def test_shards_load_into_an_embedded_store_with_the_union(built, tmp_path: Path, union: bool) -> None:
    graphs = built.graphs()
    shards = []
    for index, part in enumerate((graphs[: len(graphs) // 2], graphs[len(graphs) // 2:])):
        path = tmp_path / f"shard-{index}.nq"
        path.write_text("".join(document_nquads(g, [q[:3] for q in built.graph_quads(g)], union=union)
                                for g in part), encoding="utf-8")
        shards.append(path)
    lines: list[str] = []
    with open_store(str(tmp_path / "store")) as store:
        loaded = load_shards(store, shards, union_included=union, progress=lines.append)
        assert loaded == sum(p.stat().st_size for p in shards)
        assert set(store.quads()) == set(built.quads())
        # The default graph is the set union of the documents, as after any other write.
        assert _count(store) == _count(built) == len(built)
    assert lines[-1].startswith("kg bulk load: 2 shard(s)") and "shard 2/2" in lines[-2]


def test_parallel_build_writes_to_a_server_in_batches(oxigraph_server: str, tmp_path: Path,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch, built) -> None:
    monkeypatch.chdir(tmp_path)
    corpus = make_corpus(tmp_path)
    remote = open_store(oxigraph_server)
    assert isinstance(remote, RemoteStore)
    _clear(remote)
    posts = []
    real = remote.session.request

    def counting(method: str, url: str, **kwargs):
        if method == "POST" and kwargs.get("headers", {}).get("Content-Type") == "application/n-quads":
            posts.append(len(kwargs["data"]))
        return real(method, url, **kwargs)

    monkeypatch.setattr(remote.session, "request", counting)
    report = build(remote, [corpus / "people", corpus / "zhuzhou-daily-2021-12.txt"], jobs=2, now=NOW,
                   read_options=ReadOptions(root=tmp_path))
    assert len(report.built) == 9 and not report.problems
    assert 1 <= len(posts) < 9  # the nine documents went in batches, not one request each
    # The same graph (the files sit in another folder here: their path as given, prov:hadPrimarySource, differs).
    assert _without_paths(remote.quads()) == _without_paths(built.quads())
    _clear(remote)


def _without_paths(quads) -> set:
    return {q for q in quads if str(q[1]) != "http://www.w3.org/ns/prov#hadPrimarySource"}
