"""``kg build --dask``: the same tasks on a real ``dask.distributed`` cluster (a LocalCluster of two worker processes
on 127.0.0.1) give the store of a serial build; a document that raises on a worker is retried, then reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.build import build, stored_documents
from kg.cli import main
from kg.extract import Extractor
from kg.store import open_store
from tests.test_parallel_build import CLUENER, NOW, make_corpus

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.skipif(not CLUENER.exists(), reason="needs the CLUENER2020 corpus in ../shared/data"),
              pytest.mark.slow]  # about 20 s with the cluster's start


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    import dask

    # A task whose worker dies is retried once, as `--dask local` sets it (the scheduler reads this when it starts).
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("kg.scale.plan.BIG_FILE_BYTES", 4000)
    monkeypatch.setattr("kg.scale.plan.DOCS_PER_TASK", 4)
    return make_corpus(tmp_path)


def test_dask_cluster_gives_the_serial_graph(cluster: str, corpus: Path) -> None:
    serial = open_store("memory:")
    expected = build(serial, [corpus], extractor=Extractor(), now=NOW)
    on_dask = open_store("memory:")
    report = build(on_dask, [corpus], dask=cluster, now=NOW)
    assert report.built == expected.built and len(report.built) == 29 and not report.problems
    assert set(on_dask.quads()) == set(serial.quads())
    # The documents really were extracted on the cluster's workers.
    client = distributed.Client(cluster)
    try:
        assert len(client.nthreads()) == 2
        loaded = client.run(lambda: __import__("kg.scale.work", fromlist=["_extractor"])._extractor is not None)
        assert all(loaded.values())
    finally:
        client.close()


def test_a_failing_document_on_dask_is_reported_and_the_rest_built(cluster: str, corpus: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_BUILD_FAULT", "raise:wire.jsonl#w3")
    store = open_store("memory:")
    report = build(store, [corpus], dask=cluster, now=NOW)
    assert len(report.built) == 28
    [problem] = report.problems
    assert problem.path.endswith("wire.jsonl") and "news/wire.jsonl#w3" in problem.reason
    assert "news/wire.jsonl#w3" not in stored_documents(store)


def test_a_dying_dask_worker_loses_only_its_document(cluster: str, corpus: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunk holding w6 kills its worker twice (KilledWorker); its documents are run one by one, and only w6,
    which kills its worker again, is reported; the cluster's nannies restart the workers and the build finishes."""
    monkeypatch.setenv("KG_BUILD_FAULT", "exit:wire.jsonl#w6")
    store = open_store("memory:")
    report = build(store, [corpus], dask=cluster, now=NOW)
    assert len(report.built) == 28 and "news/wire.jsonl#w6" not in report.built
    [problem] = report.problems
    assert "news/wire.jsonl#w6" in problem.reason and "worker died" in problem.reason
    assert "news/wire.jsonl#w6" not in stored_documents(store)


def test_cli_dask_local_and_errors(corpus: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``--dask local`` starts (and stops) its own two-worker cluster; a scheduler that is not there is one line."""
    assert main(["build", "-q", "--store", "memory:", "--dask", "local", str(corpus / "people")]) == 0
    assert "3 document(s) built" in capsys.readouterr().err
    monkeypatch.setenv("KG_DASK_TIMEOUT", "2s")
    assert main(["build", "-q", "--store", "memory:", "--dask", "tcp://127.0.0.1:9", str(corpus / "people")]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "Traceback" not in err
