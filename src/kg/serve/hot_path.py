"""The query endpoint's hot path as plain WSGI, in front of Flask.

Why: a small SELECT costs the engine about 0.1 ms and Oxigraph's own server answers it in about 0.2 ms, while the
same request through Flask's routing, request and response objects and two after-request hooks took about 1.2 ms
(measured with ``benchmarks/sparql_bench.py``).  The SPARQL Protocol's common case (one query by GET, form POST or
``application/sparql-query`` POST) needs none of that machinery, so it is answered here; everything else (the
service description, the query page, protocol errors such as two ``query`` parameters or a bad content type, other
paths) falls through to the Flask app unchanged, so each rule of the protocol has one implementation.

The answer itself comes from the same runner and the same header rules as the Flask view (:func:`answer_headers`,
:func:`cors_headers`, :func:`maybe_gzip`), which the app's after-request hooks also use.
"""

from __future__ import annotations

import codecs
import gzip
import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from flask import Flask

from kg.serve.runner import Answer, Job

GZIP_MIN_BYTES = 1024
MAX_REQUEST_BYTES = 1 << 20  # a query is text; a megabyte is far beyond any real one (the guard's limit is lower)
_TEXT_TYPES = ("application/sparql-results+json", "application/ld+json", "application/n-triples")
_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_REASONS = {200: "OK", 400: "BAD REQUEST", 406: "NOT ACCEPTABLE", 500: "INTERNAL SERVER ERROR",
            503: "SERVICE UNAVAILABLE"}

StartResponse = Callable[..., Any]


def content_type(media: str) -> str:
    """The media type with a charset on text types, so that Chinese survives every client."""
    if media.startswith("text/") or media in _TEXT_TYPES:
        return media + "; charset=utf-8"
    return media


def answer_headers(answer: Answer, result_limit: int) -> list[tuple[str, str]]:
    headers = [("Content-Type", content_type(answer.media))]
    if answer.truncated:
        headers.append(("X-KG-Truncated", f"true; the result was cut at {result_limit} rows (the server's "
                                          "result-size cap); add LIMIT/OFFSET to page"))
    return headers


def cors_headers(path: str, method: str) -> list[tuple[str, str]]:
    """Let browser pages on other origins read the public, read-only views (never the token-protected /update)."""
    if path.startswith("/update"):
        return []
    headers = [("Access-Control-Allow-Origin", "*")]
    if method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Accept, Content-Type"), ("Access-Control-Max-Age", "86400")]
    headers.append(("Access-Control-Expose-Headers", "X-KG-Truncated, Content-Type"))
    return headers


def accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def maybe_gzip(body: bytes, accept_encoding: str) -> bytes | None:
    """The gzipped body when the client takes gzip and the body is worth it (SPARQL results shrink ~10×)."""
    if len(body) < GZIP_MIN_BYTES or not accepts_gzip(accept_encoding):
        return None
    return gzip.compress(body, compresslevel=5)


def unquote_plus(text: str) -> str:
    """``urllib.parse.unquote_plus`` for one query-string field, five times faster on the common case.

    Why: a SPARQL query sent by GET is mostly percent escapes, and urllib decodes them one by one in Python (about
    15 µs for a small query, a tenth of the whole request).  Here the escapes become ``\\xHH`` and one C codec call
    decodes them; anything unusual (a backslash or non-ASCII in the raw text, a broken escape) takes urllib's way.
    """
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if "\\" in text or not text.isascii():
        return unquote(text, errors="replace")
    try:
        raw = codecs.decode(text.replace("%", "\\x"), "unicode_escape")
    except UnicodeDecodeError:
        return unquote(text, errors="replace")
    return raw.encode("latin-1").decode("utf-8", "replace")


def parse_fields(text: str) -> dict[str, list[str]]:
    """``urllib.parse.parse_qs(text, keep_blank_values=True)`` with the fast :func:`unquote_plus`."""
    fields: dict[str, list[str]] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields.setdefault(unquote_plus(name), []).append(unquote_plus(value))
    return fields


def _single(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


class SparqlHotPath:
    """WSGI middleware answering well-formed ``/sparql`` queries on ``runner``; the rest goes to ``next_app``.

    It needs no Flask, so the same object serves in front of the app (:meth:`in_front_of`) and inside a serving
    process that forwards everything else to the app in another process (:mod:`kg.serve.prefork`).
    """

    def __init__(self, next_app: Callable[..., Iterable[bytes]], *, runner: Any, result_limit: int,
                 timeout: float) -> None:
        self.next = next_app
        self.runner = runner
        self.result_limit = result_limit
        self.timeout = timeout

    @classmethod
    def in_front_of(cls, app: Flask) -> SparqlHotPath:
        return cls(app.wsgi_app, runner=app.extensions["kg_runner"], result_limit=app.config["KG_RESULT_LIMIT"],
                   timeout=app.config["KG_TIMEOUT"])

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") not in ("GET", "POST"):
            return self.next(environ, start_response)
        job = self._job(environ)
        if job is None:
            return self.next(environ, start_response)
        job.limit = self.result_limit
        answer = self.runner.run(job, self.timeout)
        return self.respond(environ, start_response, answer)

    def _job(self, environ: dict[str, Any]) -> Job | None:
        """The job for a request in the protocol's common case, or None to let the Flask view decide."""
        params = parse_fields(environ.get("QUERY_STRING", ""))
        queries = params.get("query", [])
        if environ["REQUEST_METHOD"] == "POST":
            ctype, _, ctype_params = environ.get("CONTENT_TYPE", "").partition(";")
            ctype = ctype.strip().lower()
            if ctype not in (_FORM, _QUERY):
                return None
            try:
                length = int(environ.get("CONTENT_LENGTH", ""))
            except ValueError:
                return None  # no length (a chunked body, say): Flask reads it its own way
            if length > MAX_REQUEST_BYTES:
                return None
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again if the request falls through
            if ctype == _FORM:
                form = parse_fields(body.decode("utf-8", "replace"))
                for name, values in form.items():
                    params.setdefault(name, []).extend(values)
                queries = params.get("query", [])
            else:
                charset = "utf-8"
                for item in ctype_params.split(";"):
                    key, _, value = item.partition("=")
                    if key.strip().lower() == "charset":
                        charset = value.strip().strip('"') or "utf-8"
                try:
                    queries = [body.decode(charset), *queries]
                except (LookupError, UnicodeDecodeError):
                    return None
        if len(queries) != 1 or "update" in params:
            return None
        return Job(queries[0], accept=environ.get("HTTP_ACCEPT", ""),
                   fmt=_single(params, "format") or _single(params, "output") or None,
                   default_graphs=params.get("default-graph-uri", []),
                   named_graphs=params.get("named-graph-uri", []))

    def respond(self, environ: dict[str, Any], start_response: StartResponse, answer: Answer) -> list[bytes]:
        """The response for ``answer``: also used by a serving process's watchdog to answer for a stuck query."""
        headers = answer_headers(answer, self.result_limit)
        headers += cors_headers("/sparql", environ["REQUEST_METHOD"])
        headers.append(("Vary", "Accept, Accept-Encoding"))
        body = answer.body
        if answer.status == 200:
            packed = maybe_gzip(body, environ.get("HTTP_ACCEPT_ENCODING", ""))
            if packed is not None:
                body = packed
                headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{answer.status} {_REASONS.get(answer.status, 'ERROR')}", headers)
        return [body]
