"""Checks a query before any engine sees it.

Why: pyoxigraph 0.5 crashes the whole process on queries nested a few thousand levels deep, and a SPARQL endpoint
must never fetch URLs on a query's behalf.  Both are refused here, before parsing, with a message a user can act on.
"""

from __future__ import annotations

import re

MAX_QUERY_CHARS = 100_000
MAX_NESTING = 200

_STRING_OR_IRI = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s{}]*>'
)
_COMMENT = re.compile(r"#[^\n]*")
_REMOTE_UPDATE = re.compile(r"(?<![:\w?$])(LOAD|SERVICE)\b(?!:)", re.IGNORECASE)
_UPDATE_WORDS = re.compile(
    r"(?<![:\w?$])(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD)\b(?!:)",
    re.IGNORECASE,
)


def strip_literals(query: str) -> str:
    """The query with strings, IRIs and comments blanked (same length), so keywords inside them do not count."""
    blank = _STRING_OR_IRI.sub(lambda m: " " * len(m.group()), query)
    return _COMMENT.sub(lambda m: " " * len(m.group()), blank)


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def check_shape(text: str, what: str = "query") -> str:
    """Raise ValueError for an empty, over-long or over-deep request (the engine crashes on deep nesting); return
    the text with strings, IRIs and comments blanked, for keyword checks."""
    if not text.strip():
        raise ValueError(f"empty {what}")
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"{what} is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    code = strip_literals(text)
    depth = 0
    for i, ch in enumerate(code):
        if ch in "({[":
            depth += 1
            if depth > MAX_NESTING:
                line, col = line_col(text, i)
                raise ValueError(f"{what} nests deeper than {MAX_NESTING} levels at line {line}, column {col}")
        elif ch in ")}]":
            depth -= 1
    return code


def check_query(query: str) -> None:
    """Raise ValueError naming the problem (and its line and column) for a query no engine should run."""
    code = check_shape(query)
    service = re.search(r"(?<![:\w?$])SERVICE\b", code, re.IGNORECASE)
    if service:
        line, col = line_col(query, service.start())
        raise ValueError(f"SERVICE is not allowed (line {line}, column {col}): this endpoint never fetches remote data")
    update = _UPDATE_WORDS.search(code)
    if update:
        line, col = line_col(query, update.start())
        raise ValueError(f"{update.group(1).upper()} is an update operation (line {line}, column {col}); "
                         "this is a read-only query interface")
    dataset = re.search(r"(?<![:\w?$])FROM\b(?!:)", code, re.IGNORECASE)
    if dataset:
        line, col = line_col(query, dataset.start())
        raise ValueError(f"FROM / FROM NAMED is not supported (line {line}, column {col}): the default graph is the "
                         "union of all documents; use GRAPH <…> {{ … }} to select one document")


def check_update(text: str) -> None:
    """Raise ValueError for an update no engine should run here: empty, too long, too deep, or fetching remote data
    (``LOAD`` and ``SERVICE``: a store never fetches a URL on a request's behalf)."""
    code = check_shape(text, "update")
    remote = _REMOTE_UPDATE.search(code)
    if remote:
        line, col = line_col(text, remote.start())
        raise ValueError(f"{remote.group(1).upper()} is not allowed (line {line}, column {col}): kg never fetches "
                         "remote data")
