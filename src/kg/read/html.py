"""Saved news pages to main text, title, date and publisher.

trafilatura (maintained, used by news-corpus builders) finds the article body and drops navigation, scripts, styles,
comments and footers; it also reads title, date (via htmldate) and site name from meta tags.  It returns nothing for
pages too short or too odd for its heuristics, so a plain lxml pass is the fallback: the page's text without
``script``/``style``/``nav``/``header``/``footer``/``aside``/``form`` elements, block by block.  Meta tags are read by
our own small lxml pass as well, because the fallback needs them and because ``article:published_time`` and
``og:site_name`` are exactly what we want in the graph.

trafilatura is imported on first use: it takes a third of a second to import and most builds read no HTML.
"""

from __future__ import annotations

import re

from kg.read.formats import Article, Parsed, date_from_url, normalise_date, site_of

DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg",
             "button", "select", "head")
BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "section", "article",
              "blockquote", "pre", "dd", "dt", "table", "ul", "ol"}

# Meta names carrying each field, in order of preference.
META_TITLE = ("og:title", "twitter:title", "title", "headline")
META_DATE = ("article:published_time", "og:article:published_time", "publishdate", "pubdate", "publish_date",
             "date", "dc.date", "dc.date.issued", "dcterms.date", "sailthru.date", "weibo:article:create_at",
             "og:release_date")
META_PUBLISHER = ("og:site_name", "publisher", "source", "article:publisher", "application-name")
META_URL = ("og:url",)

# Pages nested deeper than this skip trafilatura, which takes seconds on them (2.5 s at depth 2048), and are read by
# the plain pass; real news pages are 20-40 levels deep.
MAX_DEPTH = 200

# Huge or very deep pages are cut rather than refused: lxml stops at depth 256 unless told otherwise, and the text we
# want is in the first megabytes.
MAX_CHARS = 5_000_000


def _meta(root) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        name = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        content = (element.get("content") or "").strip()
        if name and content and name not in found:
            found[name] = content
    canonical = next((link.get("href", "") for link in root.iter("link")
                      if (link.get("rel") or "").lower() == "canonical"), "")
    if canonical:
        found.setdefault("canonical", canonical.strip())
    return found


def _pick(meta: dict[str, str], names: tuple[str, ...]) -> str:
    return next((meta[name] for name in names if meta.get(name)), "")


_CONTROLS = {code: " " for code in (*range(0, 9), 11, 12, *range(14, 32), 0x7F)}
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _plain_text(root) -> str:
    """Visible text of the body without boilerplate elements, one line per block."""
    from lxml import etree

    for element in list(root.iter(*DROP_TAGS)):
        parent = element.getparent()
        if parent is not None:
            tail = element.tail
            parent.remove(element)
            if tail:
                previous = parent[-1] if len(parent) else None
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
    body = root.find(".//body")
    node = body if body is not None else root
    parts: list[str] = []
    for event, element in etree.iterwalk(node, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if element.text and tag:
                parts.append(element.text)
        else:
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if element.tail and element is not node:
                parts.append(element.tail)
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def _depth(root) -> int:
    from lxml import etree

    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


_SCRIPTS = re.compile(r"<(script|style|noscript|template)\b.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")


def _strip_tags(text: str) -> str:
    """Last resort for pages lxml cannot hold (it stops at depth 2048): the text between tags, unescaped."""
    import html

    stripped = html.unescape(_TAG.sub("\n", _SCRIPTS.sub("", text)))
    lines = (_SPACE.sub(" ", line).strip() for line in stripped.split("\n"))
    return "\n".join(line for line in lines if line)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def _parse(text: str):
    from lxml import etree, html

    parser = html.HTMLParser(recover=True, huge_tree=True, remove_comments=True, remove_pis=True)
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str input that declares an encoding (XHTML)
    try:
        root = html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


# Removed before trafilatura sees the page: on short pages it falls back to all body text, navigation included.
NEVER_TEXT = ("script", "style", "noscript", "template", "nav", "iframe", "svg", "button", "select")


def _trafilatura(root) -> tuple[str, dict[str, str]]:
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - a declared dependency, but a reader must not crash without it
        return "", {}
    for element in list(root.iter(*NEVER_TEXT)):
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()
    result = trafilatura.bare_extraction(root, with_metadata=True, include_comments=False, include_tables=True)
    if result is None:
        return "", {}
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    fields = {key: str(data.get(key) or "") for key in ("title", "date", "sitename", "url", "author")}
    return str(data.get("text") or ""), fields


def read_html(text: str, *, url: str = "") -> Parsed:
    """One article: main text, title, date (``YYYY-MM-DD``) and publisher/url metadata, plus warnings.

    ``url`` (a page's address, when the caller knows it) helps date guessing from paths like ``/20211216/``.
    """
    parsed = Parsed()
    text = text.translate(_CONTROLS)  # lxml refuses them in text it is handed back, and they are never content
    if len(text) > MAX_CHARS:
        parsed.warnings.append(f"page of {len(text)} characters cut to the first {MAX_CHARS}")
        text = text[:MAX_CHARS]
    root = _parse(text)
    meta = _meta(root) if root is not None else {}
    title_element = root.find(".//title") if root is not None else None
    page_title = (title_element.text_content() or "") if title_element is not None else ""
    body, extracted = "", {}
    deep = root is not None and _depth(root) > MAX_DEPTH
    if deep:
        parsed.warnings.append(f"page nested more than {MAX_DEPTH} levels deep; read without the main-text extractor")
    try:
        if root is not None and not deep:
            body, extracted = _trafilatura(root)
    except Exception as exc:  # a third-party extractor must not stop the batch
        parsed.warnings.append(f"main-text extractor failed ({type(exc).__name__}: {str(exc)[:80]}); "
                               "used the plain page text")
    if not body.strip() and root is not None:
        try:
            fresh = _parse(text)  # parsed again: trafilatura prunes the tree it is given
            body = _plain_text(fresh) if fresh is not None else ""
        except RecursionError:
            body = ""
    if not body.strip():
        body = _strip_tags(text)
    title = extracted.get("title") or _pick(meta, META_TITLE) or page_title
    page_url = url or _pick(meta, META_URL) or meta.get("canonical", "") or extracted.get("url", "")
    date = normalise_date(_pick(meta, META_DATE)) or normalise_date(extracted.get("date", ""))
    date = date or (date_from_url(page_url) if page_url else "")
    metadata: dict[str, str] = {}
    if page_url:
        metadata["url"] = page_url
        if site_of(page_url):
            metadata["site"] = site_of(page_url)
    publisher = _pick(meta, META_PUBLISHER) or extracted.get("sitename", "")
    if publisher:
        metadata["publisher"] = publisher
    author = meta.get("author") or extracted.get("author", "")
    if author:
        metadata["author"] = author
    if not body.strip():
        parsed.warnings.append("no main text found in the page")
        return parsed
    parsed.articles.append(Article(text=body, title=_SPACE.sub(" ", title).strip(), date=date, metadata=metadata))
    return parsed


__all__ = ["read_html"]
