"""Decoded text to articles: plain text, SogouCS-style XML, JSON Lines (HTML lives in :mod:`kg.read.html`).

Every reader takes a ``str`` and returns :class:`Parsed` — articles plus warnings — and never raises on bad input:
the fuzz tests feed them random text, truncated records and huge lines.  A reader knows nothing about files; the
caller turns each article's ``key`` into a stable document id (``path#key``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

FORMATS = ("auto", "text", "html", "sogou", "jsonl")

SUFFIX_FORMATS = {
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html", ".mhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".json": "jsonl",
    ".txt": "text", ".text": "text", ".md": "text",
}


@dataclass
class Article:
    """One document found in an input: its text, metadata, and a key unique within that input ("" for the whole)."""

    text: str
    key: str = ""
    title: str = ""
    date: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Parsed:
    articles: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------- sniffing

# Both must match at the start of the input (after a BOM, an XML declaration, comments): prose that merely mentions
# ``<doc><url>`` or ``<body>`` (a README, an article about HTML) stays text.
_SOGOU_HINT = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<doclist>\s*)?<doc>\s*<(?:url|docno|contenttitle|content)>",
                         re.IGNORECASE)
_HTML_HINT = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
                        r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|meta\s)", re.IGNORECASE | re.DOTALL)


def sniff_format(head: str, suffix: str = "") -> str:
    """The format of an input from its first few kilobytes, its suffix breaking no tie it can see through.

    Content wins over the suffix for XML and HTML because SogouCS dumps are ``.dat``/``.txt`` and saved pages are
    often ``.txt``; JSON Lines needs its first non-blank line to be a JSON object, so a ``.txt`` of prose never is.
    """
    head = head[:8192].lstrip("\ufeff")
    if _SOGOU_HINT.match(head):
        return "sogou"
    if _HTML_HINT.match(head):
        return "html"
    by_suffix = SUFFIX_FORMATS.get(suffix.lower())
    if by_suffix == "html":
        return "html"
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if by_suffix == "jsonl" or (first.startswith("{") and _is_json_object(first, head)) or re.match(r"\[\s*\{", first):
        return "jsonl"
    return "text"


def _is_json_object(first: str, head: str) -> bool:
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        # A first line cut by the 8 kB sniff window is still JSON Lines if it is the only, long, line.
        return len(first) >= len(head.strip()) - 1 and first.startswith('{"')


# -------------------------------------------------------------------------------------------------------- plain text


def read_text(text: str, *, lines: bool = False) -> Parsed:
    """The whole text as one article, or (``lines``) one article per non-blank line keyed ``L<number>``."""
    if not lines:
        return Parsed([Article(text=text)] if text.strip() else [], [] if text.strip() else ["no text"])
    articles = [Article(text=line, key=f"L{number}")
                for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return Parsed(articles, [] if articles else ["no text"])


# ----------------------------------------------------------------------------------------------------------- dates

_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")


def normalise_date(value: str) -> str:
    """``YYYY-MM-DD`` from the date forms news metadata uses (``2012-07-06 10:22``, ``2012年7月6日``, ``20120706``,
    an ISO timestamp), or "" when there is no plausible calendar date in it."""
    value = value.strip().translate(_FULLWIDTH_DIGITS)
    match = _DATE.search(value) or _DATE_COMPACT.search(value)
    if not match:
        return ""
    year, month, day = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９－／", "0123456789-/")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[-_/]?(\d\d)[-_/]?(\d\d)(?:/|[^0-9])")


def date_from_url(url: str) -> str:
    """Publication date from news URLs like ``/20120706/n347457739.shtml`` or ``/2012-07/06/``; "" when absent."""
    match = _URL_DATE.search(url)
    if not match:
        return ""
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


def site_of(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


# ------------------------------------------------------------------------------------------------------ SogouCS XML

_DOC_START = re.compile(r"<doc\s*>", re.IGNORECASE)
_SOGOU_FIELDS = ("url", "docno", "contenttitle", "content")
_FIELD_RES = {name: re.compile(rf"<{name}\s*>(.*?)(?:</{name}\s*>|(?=<(?:/?doc|{'|'.join(_SOGOU_FIELDS)})\s*>)|\Z)",
                               re.IGNORECASE | re.DOTALL) for name in _SOGOU_FIELDS}
_KEY_UNSAFE = re.compile(r"[^0-9A-Za-z._\-]+")


def _field(block: str, name: str) -> str:
    match = _FIELD_RES[name].search(block)
    return html.unescape(match.group(1)).strip() if match else ""


def read_sogou(text: str) -> Parsed:
    """SogouCS/SogouCA "smarty" dumps: many ``<doc>`` records, parsed leniently.

    The dumps are not well-formed XML (no single root in some, bare ``&``, stray bytes, missing end tags), so records
    are split at ``<doc>`` and each field is read up to its end tag or the next field's start tag.  The key is the
    ``docno`` (unique in SogouCS), made unique with ``-2``, ``-3`` … when a dump repeats one, or ``n<ordinal>`` when
    missing.  A record with no content but a title becomes a title-only document; one with neither is skipped with a
    warning.  The publication date comes from the URL (``/20120706/``), which Sohu and Tencent URLs carry.
    """
    parsed = Parsed()
    starts = [m.start() for m in _DOC_START.finditer(text)]
    seen: dict[str, int] = {}
    for ordinal, start in enumerate(starts, start=1):
        end = starts[ordinal] if ordinal < len(starts) else len(text)
        block = text[start:end]
        url, docno, title, content = (_field(block, name) for name in _SOGOU_FIELDS)
        key = _KEY_UNSAFE.sub("_", docno)[:120] or f"n{ordinal}"
        if key in seen:
            seen[key] += 1
            key = f"{key}-{seen[key]}"
        else:
            seen[key] = 1
        body = content or title
        if not body.strip():
            parsed.warnings.append(f"record {ordinal} ({key}) has neither title nor content; skipped")
            continue
        metadata = {name: value for name, value in (("url", url), ("docno", docno)) if value}
        if url and site_of(url):
            metadata["site"] = site_of(url)
        parsed.articles.append(Article(text=body, key=key, title=title, date=date_from_url(url), metadata=metadata))
    if not starts:
        parsed.warnings.append("no <doc> records found")
    return parsed


# ------------------------------------------------------------------------------------------------------- JSON Lines

TEXT_FIELDS = ("text", "content", "body", "article", "正文", "内容")
TITLE_FIELDS = ("title", "headline", "标题")
DATE_FIELDS = ("date", "datePublished", "publish_date", "pub_date", "pubdate", "time", "publish_time", "日期", "时间")
ID_FIELDS = ("id", "docno", "doc_id", "uuid")
URL_FIELDS = ("url", "link", "source_url")
PUBLISHER_FIELDS = ("publisher", "source", "media", "site", "来源", "媒体")


@dataclass(frozen=True)
class JsonFields:
    """Which JSON keys hold what; empty means "the first of the usual names that is present".

    ``metadata`` names further keys to keep as document metadata; ``("*",)`` keeps every other scalar key.  URL and
    publisher are always kept when found, as ``url`` and ``publisher``.  Dotted names reach into nested objects
    (``meta.title``).
    """

    text: str = ""
    title: str = ""
    date: str = ""
    id: str = ""
    metadata: tuple[str, ...] = ()


def _lookup(record: dict, name: str) -> object:
    value: object = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _first(record: dict, chosen: str, defaults: Sequence[str]) -> tuple[str, object]:
    for name in (chosen,) if chosen else defaults:
        value = _lookup(record, name)
        if value not in (None, ""):
            return name, value
    return "", None


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    return ""


def read_jsonl(text: str, fields: JsonFields | None = None) -> Parsed:
    """One article per JSON object line; bad lines and records without text are warnings naming the line.

    The key is the record's id field when it has one (made unique like Sogou's), else ``L<line number>``.  A whole
    file holding one JSON array of objects is accepted too, keyed by ``L1`` … in array order.
    """
    fields = fields or JsonFields()
    parsed = Parsed()
    records: list[tuple[int, object]] = []
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            array = json.loads(stripped)
        except (ValueError, RecursionError):
            array = None
        if isinstance(array, list):
            records = list(enumerate(array, start=1))
    if not records:
        for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except (ValueError, RecursionError) as exc:
                parsed.warnings.append(f"line {number}: not JSON ({str(exc)[:80]}); skipped")
    seen: dict[str, int] = {}
    for number, record in records:
        if not isinstance(record, dict):
            parsed.warnings.append(f"line {number}: a JSON {type(record).__name__}, not an object; skipped")
            continue
        text_name, body = _first(record, fields.text, TEXT_FIELDS)
        if not isinstance(body, str) or not body.strip():
            wanted = fields.text or "/".join(TEXT_FIELDS[:3])
            parsed.warnings.append(f"line {number}: no text in field {wanted!r}; skipped")
            continue
        title_name, title = _first(record, fields.title, TITLE_FIELDS)
        date_name, date_value = _first(record, fields.date, DATE_FIELDS)
        id_name, ident = _first(record, fields.id, ID_FIELDS)
        date = normalise_date(_scalar(date_value)) if date_value is not None else ""
        metadata: dict[str, str] = {}
        if date_value is not None and not date:
            metadata["date"] = _scalar(date_value)[:200]
            parsed.warnings.append(f"line {number}: date {_scalar(date_value)[:40]!r} not understood; kept as metadata")
        _, url = _first(record, "", URL_FIELDS)
        _, publisher = _first(record, "", PUBLISHER_FIELDS)
        if _scalar(url):
            metadata["url"] = _scalar(url)
            if not date:
                date = date_from_url(_scalar(url))
        if _scalar(publisher):
            metadata["publisher"] = _scalar(publisher)
        used = {text_name, title_name, date_name, id_name}
        wanted_meta = [k for k in record if k not in used] if fields.metadata == ("*",) else list(fields.metadata)
        for name in wanted_meta:
            value = _scalar(_lookup(record, name))
            if value and name not in metadata:
                metadata[name] = value
        key = _KEY_UNSAFE.sub("_", _scalar(ident))[:120] if ident is not None else ""
        key = key or f"L{number}"
        if key in seen:
            seen[key] += 1
            key = f"{key}-{seen[key]}"
        else:
            seen[key] = 1
        parsed.articles.append(Article(text=body, key=key, title=_scalar(title).strip(), date=date, metadata=metadata))
    if not parsed.articles and not parsed.warnings:
        parsed.warnings.append("no records")
    return parsed


__all__ = ["FORMATS", "Article", "JsonFields", "Parsed", "date_from_url", "normalise_date", "read_jsonl",
           "read_sogou", "read_text", "site_of", "sniff_format"]
