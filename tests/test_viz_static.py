"""`kg viz`: the explorer as one self-contained file, checked as text and in real headless Chromium from file://."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_kg

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def static_file(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("viz") / "graph.html"
    assert run_kg("viz", "--store", seed_store, "-o", out, "--max-nodes", "80") == 0
    return out


def config(page: str) -> dict:
    raw = re.search(r'<script type="application/json" id="kg-config">(.*?)</script>', page, re.S).group(1)
    return json.loads(raw)


def test_file_embeds_everything_it_draws(static_file: Path) -> None:
    page = static_file.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(?!data:)", page)  # nothing loaded: all inlined
    data = config(page)
    assert data["mode"] == "embedded" and len(data["view"]["nodes"]) == 80
    assert "most central" in data["view"]["notice"]
    huang = next(n["id"] for n in data["view"]["nodes"] if n["label"] == "黄勇") \
        if any(n["label"] == "黄勇" for n in data["view"]["nodes"]) else None
    # Every shown entity carries its facts, so the panel works without a server.
    assert set(data["facts"]) == {n["id"] for n in data["view"]["nodes"]}
    if huang:
        assert any(f["predicate"] == "holdsPost" for f in data["facts"][huang]["facts"])
    assert set(data["communities"]["membership"]) == set(data["facts"])


def test_focus_and_errors(seed_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "focus.html"
    assert run_kg("viz", "--store", seed_store, "-o", out, "--focus", "黄勇", "--hops", "1") == 0
    data = config(out.read_text(encoding="utf-8"))
    assert data["focus"].endswith("/黄勇")
    labels = {n["label"] for n in data["view"]["nodes"]}
    assert "黄勇" in labels and any("炎帝陵基金会" in label for label in labels)
    assert run_kg("viz", "--store", seed_store, "-o", tmp_path / "x.html", "--focus", "没有这个实体") == 1
    assert run_kg("viz", "--store", seed_store, "-o", tmp_path / "x.html", "--max-nodes", "0") == 1


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.mark.slow
def test_file_works_offline_in_chromium(static_file: Path, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 850})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(static_file.as_uri())
    page.wait_for_function("document.body.dataset.loaded === '1' && document.body.dataset.ready === '1'")
    assert page.evaluate("window.kgExplorer.nodeView.length") == 80
    page.fill("#search", "黄勇")
    page.wait_for_selector("#suggestions li")
    page.press("#search", "Enter")
    page.wait_for_function("document.body.dataset.panel")
    assert page.inner_text("#panel h2") == "黄勇"
    assert any("黄勇" in s for s in page.locator("#panel .sentence").all_inner_texts())
    labels = page.evaluate("window.kgExplorer.backend.data.view.nodes.map(n => n.label)")
    target = "株洲经开区" if "株洲经开区" in labels else labels[0]
    page.fill("#path-from", "黄勇")
    page.fill("#path-to", target)
    page.click("#path-form button")
    page.wait_for_function("document.body.dataset.path || document.getElementById('notice').textContent")
    if page.evaluate("document.body.dataset.path"):
        assert page.evaluate("window.kgExplorer.edges.get({filter: e => e.highlight}).length") >= 1
    with page.expect_download() as ttl:
        page.click("#export-ttl")
    assert "rdfs:label" in page.evaluate("window.kgExplorer.lastExport")
    assert ttl.value.suggested_filename == "subgraph.ttl"
    assert errors == []
    assert all(u.startswith(("file:", "data:", "blob:")) for u in requests), requests
    page.close()


@pytest.mark.slow
def test_focused_file_opens_on_its_entity(seed_store: Path, tmp_path: Path, browser: object) -> None:
    out = tmp_path / "focus.html"
    assert run_kg("viz", "--store", seed_store, "-o", out, "--focus", "黄勇", "--hops", "2") == 0
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(out.as_uri())
    page.wait_for_function("document.body.dataset.loaded === '1' && document.body.dataset.panel")
    assert page.evaluate("document.body.dataset.panel").endswith("/黄勇")
    assert page.inner_text("#panel h2") == "黄勇" and errors == []
    page.close()
