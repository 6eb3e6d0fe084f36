"""Crash safety: a real ``kg build`` process killed with SIGKILL at several moments leaves a store that opens,
validates, and holds every document either exactly as a clean build writes it or not at all; the next build
resumes (skips what is whole) and completes.

The corpus is real news sentences (CLUENER2020) split into many small files, so a kill lands between and during
document writes.  Kill moments are fractions of the measured clean build time, so the test adapts to the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.build import stored_documents
from kg.rdf.namespaces import PROV
from kg.store import open_store
from tests.conftest import SHARED

CLUENER = SHARED / "data" / "cluener2020" / "train.jsonl"
FILES, LINES_PER_FILE = 48, 8


def _write_corpus(folder: Path) -> None:
    folder.mkdir()
    with CLUENER.open(encoding="utf-8") as handle:
        lines = [json.loads(next(handle))["text"] for _ in range(FILES * LINES_PER_FILE)]
    for i in range(FILES):
        chunk = lines[i * LINES_PER_FILE:(i + 1) * LINES_PER_FILE]
        (folder / f"n{i:03d}.txt").write_text("\n".join(chunk) + "\n", encoding="utf-8")


def _build_cmd(store: Path) -> list[str]:
    return [sys.executable, "-m", "kg", "build", "-q", "--store", str(store), "corpus"]


def _snapshot(store_path: Path) -> dict[str, frozenset]:
    """doc id -> the quads of its graph, without the build time (which differs from build to build)."""
    with open_store(str(store_path), read_only=True) as store:
        out = {}
        for doc_id, graph in stored_documents(store).items():
            out[doc_id] = frozenset(q for q in store.graph_quads(graph) if q[1] != PROV.generatedAtTime)
        return out


@pytest.mark.slow
@pytest.mark.skipif(not CLUENER.exists(), reason="needs the CLUENER2020 corpus in ../shared/data")
def test_sigkill_leaves_every_document_whole_or_absent(tmp_path: Path) -> None:
    _write_corpus(tmp_path / "corpus")
    # Small write batches (a document or two each), so that kills land between batches as well as inside them.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "KG_BUILD_BATCH_QUADS": "300"}

    started = time.monotonic()
    subprocess.run(_build_cmd(tmp_path / "clean"), cwd=tmp_path, env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    clean = _snapshot(tmp_path / "clean")
    assert len(clean) == FILES

    crashed = tmp_path / "crashed"
    partial_states = 0
    for fraction in (0.4, 0.5, 0.6, 0.7, 0.8, 0.95):
        proc = subprocess.Popen(_build_cmd(crashed), cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if not crashed.exists():
            continue  # killed before the store was created: nothing to check yet
        state = _snapshot(crashed)  # the store opens after the kill
        for doc_id, quads in state.items():
            assert quads == clean[doc_id], f"{doc_id} is not whole after SIGKILL at {fraction:.0%}"
        if 0 < len(state) < FILES:
            partial_states += 1
    assert partial_states >= 1, "no kill landed in the middle of a build; the test proved nothing"

    # The killed store validates, and the next build resumes: what is whole is skipped, the rest is built.
    from kg.cli import main

    assert main(["validate", "--store", str(crashed)]) == 0
    done_before = set(_snapshot(crashed))
    result = subprocess.run(_build_cmd(crashed), cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert f"{FILES - len(done_before)} document(s) built, {len(done_before)} unchanged" in result.stderr
    assert _snapshot(crashed) == clean
