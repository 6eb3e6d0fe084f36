"""Shared fixtures: the seed page built once per test session, and helpers to run the CLI and a real server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.cli import main as kg_main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# The workspace's shared folder (corpora for training and tests) sits beside the checkout, in CI too.
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))


def run_kg(*args: str) -> int:
    """Run the CLI in-process (fast) and return its exit code."""
    return kg_main([str(a) for a in args])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from seeds/ once; tests that write must copy it (see ``seed_store_copy``)."""
    store = tmp_path_factory.mktemp("seed") / "store"
    assert run_kg("build", "--store", store, "--date", "2021-12-16", "-q", SEEDS) == 0
    return store


@pytest.fixture
def seed_store_copy(seed_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(seed_store, target)
    return target


class Server:
    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process = process
        self.url = url

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()


def start_server(store: Path, *extra: str) -> Server:
    """Start the real ``kg serve`` on a free loopback port and wait until it answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port),
                                *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kg serve exited: {process.stderr.read().decode()}")
        try:
            urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=2).read()
            return Server(process, url)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("kg serve did not start within 60 s")


@pytest.fixture(scope="session")
def seed_server(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server over a private copy of the seed store (the server holds the store's write lock)."""
    copy = tmp_path_factory.mktemp("served") / "store"
    shutil.copytree(seed_store, copy)
    server = start_server(copy)
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
