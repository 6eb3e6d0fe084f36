"""The explorer in real headless Chromium (Debian's chromium, driven by Playwright; never `playwright install`).

The app runs in this process over the seed graph plus an entity whose name is an HTML payload; the browser must
show it as text, load nothing from outside 127.0.0.1 and log no console errors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_explore_api import XSS, XSS_IRI, memory_copy
from werkzeug.serving import make_server

from kg.serve import create_app

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "explore.png"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")]


@pytest.fixture(scope="module")
def server(seed_store: Path) -> Iterator[str]:
    app = create_app(memory_copy(seed_store))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        yield browser
        browser.close()


class Watched:
    """A page with every request and console error recorded."""

    def __init__(self, browser: object, origin: str) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.origin = origin

    def open(self, path: str) -> object:
        self.page.goto(self.origin + path)
        self.page.wait_for_function("document.body.dataset.loaded === '1' && document.body.dataset.ready === '1'",
                                    timeout=30_000)
        return self.page

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.origin + "/", "data:", "blob:"))]


@pytest.fixture
def watched(browser: object, server: str) -> Iterator[Watched]:
    w = Watched(browser, server)
    yield w
    w.page.close()


def drawn(page: object) -> int:
    return page.evaluate("window.kgExplorer.nodeView.length")


def test_page_loads_offline_and_draws_what_the_api_returns(watched: Watched, server: str) -> None:
    page = watched.open("/explore?max=40")
    api = page.evaluate("fetch('/api/graph?max=40').then(r => r.json())")
    assert drawn(page) == len(api["nodes"]) == 40
    assert page.evaluate("window.kgExplorer.edgeView.length") == len(api["edges"])
    assert "40 most central" in page.inner_text("#notice")
    # Co-mention links switch off and on.
    co = sum(1 for e in api["edges"] if e["kind"] == "comention")
    page.uncheck("#comention")
    assert page.evaluate("window.kgExplorer.edgeView.length") == len(api["edges"]) - co
    page.check("#comention")
    # A type filter hides that type.
    people = sum(1 for n in api["nodes"] if n["type"] == "Person")
    page.uncheck("#type-filters input[value=Person]")
    assert drawn(page) == 40 - people
    assert watched.errors == [] and watched.outside() == []


def test_search_focuses_the_entity_and_the_panel_shows_evidence(watched: Watched) -> None:
    page = watched.open("/explore")
    page.fill("#search", "黄勇")
    page.wait_for_selector("#suggestions li")
    assert page.inner_text("#suggestions li >> nth=0").startswith("黄勇")
    page.press("#search", "Enter")
    page.wait_for_function("document.body.dataset.focus && document.body.dataset.panel")
    focus = page.evaluate("document.body.dataset.focus")
    assert focus.endswith("/黄勇")
    assert page.evaluate("window.kgExplorer.network.getSelectedNodes()") == [focus]
    page.wait_for_selector("#panel h2")
    assert page.inner_text("#panel h2") == "黄勇"
    sentences = page.locator("#panel .sentence").all_inner_texts()
    assert any("黄勇" in s for s in sentences)
    api = page.evaluate(f"fetch('/api/neighbourhood?hops=2&max=150&id=' + encodeURIComponent({focus!r}))"
                        ".then(r => r.json())")
    page.wait_for_function("document.body.dataset.ready === '1'")
    assert drawn(page) == len(api["nodes"])
    assert watched.errors == [] and watched.outside() == []


def screen_position(page: object, node: str) -> tuple[float, float]:
    return page.evaluate(f"""(() => {{ const n = window.kgExplorer.network;
        const p = n.canvasToDOM(n.getPositions([{node!r}])[{node!r}]);
        const r = document.querySelector('#graph canvas').getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }})()""")


def test_clicking_a_node_opens_its_panel(watched: Watched) -> None:
    page = watched.open("/explore?max=30")
    target = page.evaluate("window.kgExplorer.nodeView.getIds()[0]")
    page.evaluate("document.body.dataset.panel = ''")
    x, y = screen_position(page, target)
    page.mouse.click(x, y)
    page.wait_for_function(f"document.body.dataset.panel === {target!r}")
    label = page.evaluate(f"window.kgExplorer.nodes.get({target!r}).label")
    assert page.inner_text("#panel h2") == label
    assert page.locator("#panel .sentence").count() >= 1
    # Double-click expands: the neighbours of the node join the view.
    before = drawn(page)
    page.wait_for_timeout(200)  # the panel narrowed the canvas: find the node again
    x, y = screen_position(page, target)
    page.mouse.dblclick(x, y)
    page.wait_for_function(f"window.kgExplorer.nodeView.length > {before}", timeout=10_000)
    assert watched.errors == []


def test_path_view_highlights_a_path_with_evidence(watched: Watched, server: str) -> None:
    page = watched.open("/explore?max=20")
    from flask import Flask  # noqa: F401 - only to make the helper's client below

    target = page.evaluate("""(async () => {
        const r = await fetch('/api/neighbourhood?id=' + encodeURIComponent('黄勇') + '&hops=3&max=2000');
        return (await r.json()).nodes.map(n => n.label); })()""")
    wanted = "株洲经开区" if "株洲经开区" in target else target[-1]
    page.fill("#path-from", "黄勇")
    page.fill("#path-to", wanted)
    page.click("#path-form button")
    page.wait_for_function("document.body.dataset.path")
    path = page.evaluate("document.body.dataset.path").split(" ")
    assert path[0].endswith("/黄勇") and len(path) >= 2
    highlighted = page.evaluate("window.kgExplorer.edges.get({filter: e => e.highlight}).map(e => [e.from, e.to])")
    assert len(highlighted) >= len(path) - 1
    assert {p for pair in highlighted for p in pair} <= set(path)
    assert page.evaluate("window.kgExplorer.network.getSelectedNodes().length") == len(path)
    assert page.inner_text("#panel h2").startswith("路径")
    assert page.locator("#panel .step .sentence").count() >= 1
    assert watched.errors == [] and watched.outside() == []


def test_markup_in_a_name_renders_as_text(watched: Watched) -> None:
    page = watched.open("/explore")
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    page.evaluate(f"window.kgExplorer.focusEntity({XSS_IRI!r})")
    page.wait_for_function(f"document.body.dataset.panel === {XSS_IRI!r}")
    assert page.inner_text("#panel h2") == XSS
    assert page.locator("#panel img").count() == 0 and page.locator("img[src=x]").count() == 0
    assert "<script>alert(2)</script>" in page.inner_text("#panel")
    page.fill("#search", "<img")
    page.wait_for_selector("#suggestions li")
    assert page.inner_text("#suggestions li >> nth=0").startswith(XSS)
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert alerts == [] and watched.errors == []


def test_exports_and_communities(watched: Watched) -> None:
    page = watched.open("/explore?max=50")
    page.check("#community")
    page.wait_for_selector("#community-list li")
    assert page.locator("#community-list li").count() > 1
    colours = page.evaluate("new Set(window.kgExplorer.nodes.get().map(n => JSON.stringify(n.color))).size")
    assert colours > 1
    with page.expect_download() as png:
        page.click("#export-png")
    assert png.value.suggested_filename == "graph.png"
    assert page.evaluate("window.kgExplorer.lastExport").startswith("data:image/png;base64,")
    with page.expect_download() as ttl:
        page.click("#export-ttl")
    assert ttl.value.suggested_filename == "subgraph.ttl"
    assert "rdfs:label" in page.evaluate("window.kgExplorer.lastExport")
    assert watched.errors == [] and watched.outside() == []


def test_screenshot_for_the_readme(watched: Watched, tmp_path: Path) -> None:
    """Draws the README's picture; it replaces docs/explore.png only with KG_UPDATE_SCREENSHOT=1, so that a test run
    does not leave a changed tracked file behind."""
    page = watched.open("/explore?max=60")
    page.fill("#search", "黄勇")
    page.wait_for_selector("#suggestions li")
    page.press("#search", "Enter")
    page.wait_for_function("document.body.dataset.panel && document.body.dataset.ready === '1'")
    page.wait_for_timeout(500)
    target = SCREENSHOT if os.environ.get("KG_UPDATE_SCREENSHOT") == "1" else tmp_path / "explore.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20_000
    assert watched.errors == []


def test_panel_hides_and_pins_nodes(watched: Watched) -> None:
    page = watched.open("/explore?max=30")
    target = page.evaluate("window.kgExplorer.nodeView.getIds()[1]")
    page.evaluate(f"window.kgExplorer.openEntity({target!r})")
    page.wait_for_function(f"document.body.dataset.panel === {target!r}")
    page.click("#panel button:has-text('固定 pin')")
    page.wait_for_function(f"window.kgExplorer.nodes.get({target!r}).fixed === true")
    page.wait_for_selector("#panel button:has-text('取消固定 unpin')")
    before = drawn(page)
    page.click("#panel button:has-text('隐藏 hide')")
    assert drawn(page) == before - 1
    assert target not in page.evaluate("window.kgExplorer.nodeView.getIds()")
    assert watched.errors == []


def test_page_says_it_is_loading_while_the_server_reads_the_store(browser: object, seed_store: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A visitor faster than the first build sees a loading notice (with what is being done), then the graph."""
    import kg.serve.explore as explore_module

    release = threading.Event()
    real = explore_module.read_table

    def slow(store: object) -> object:
        release.wait(30)
        return real(store)

    monkeypatch.setattr(explore_module, "read_table", slow)
    app = create_app(memory_copy(seed_store))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    watched = Watched(browser, f"http://127.0.0.1:{httpd.server_port}")
    try:
        page = watched.page
        page.goto(watched.origin + "/explore?max=40")
        page.wait_for_function("document.body.dataset.state === 'loading'", timeout=10_000)
        notice = page.text_content("#notice")
        assert "loading the graph" in notice and "reading entities and links" in notice
        assert page.is_visible("#notice") and page.evaluate("document.body.dataset.loaded") is None
        release.set()
        page.wait_for_function("document.body.dataset.loaded === '1' && document.body.dataset.ready === '1'",
                               timeout=30_000)
        assert page.evaluate("document.body.dataset.state") == "ready" and drawn(page) == 40
        assert "loading" not in (page.text_content("#notice") or "")
        assert watched.errors == [] and watched.outside() == []
    finally:
        release.set()
        watched.page.close()
        httpd.shutdown()
