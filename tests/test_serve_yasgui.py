"""The YASGUI query page in real headless Chromium against the real ``kg serve``.

Debian's chromium driven by Playwright (never ``playwright install``): the page must load only from 127.0.0.1, open
one tab per named query, run a query through the endpoint and show the Chinese result, with no console errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from conftest import Server

from kg.resources import named_queries

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")]

QUERY = """PREFIX kg: <https://w3id.org/kgnews/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?person ?label WHERE { ?person a kg:Person ; rdfs:label ?label } ORDER BY ?label"""


@pytest.fixture(scope="module")
def page_watch(seed_server: Server) -> Iterator[tuple[object, list[str], list[str]]]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                    "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route: object) -> None:  # belt and braces: anything not for our server is refused, and recorded
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith(seed_server.url + "/"):
                route.continue_()  # type: ignore[attr-defined]
            else:
                route.abort()  # type: ignore[attr-defined]

        page.route("**/*", guard)
        page.goto(seed_server.url + "/sparql")
        page.wait_for_selector(".yasqe .CodeMirror", timeout=30_000)
        yield page, requests, errors
        browser.close()


def test_yasgui_opens_a_tab_per_named_query(page_watch: tuple[object, list[str], list[str]]) -> None:
    page, _, errors = page_watch
    tabs = page.eval_on_selector_all(".tabsList .tab a", "els => els.map(e => e.textContent.trim())")  # type: ignore
    assert [t.rstrip("✖").strip() for t in tabs] == [q.name for q in named_queries()]  # ✖ is the close button
    assert errors == []
    text = page.evaluate("window.kgYasgui.getTab().getYasqe().getValue()")  # type: ignore[attr-defined]
    assert text == named_queries()[0].text


def test_yasgui_runs_a_query_and_shows_chinese_results(page_watch: tuple[object, list[str], list[str]],
                                                        seed_server: Server) -> None:
    page, requests, errors = page_watch
    page.evaluate("q => window.kgYasgui.getTab().getYasqe().setValue(q)", QUERY)  # type: ignore[attr-defined]
    page.click(".yasqe_queryButton")  # type: ignore[attr-defined]
    page.wait_for_selector(".yasr table.dataTable td", timeout=30_000)  # type: ignore[attr-defined]
    cells = page.eval_on_selector_all(".yasr table.dataTable td", "els => els.map(e => e.textContent)")  # type: ignore
    assert any("黄勇" in c for c in cells)
    assert any(u.startswith(seed_server.url + "/sparql") for u in requests)
    assert [u for u in requests if not u.startswith((seed_server.url + "/", "data:", "blob:"))] == []
    assert errors == []
