"""Checks a query before any engine sees it.

Why: pyoxigraph 0.5 crashes the whole process on queries nested a few thousand levels deep, and a SPARQL endpoint
must never fetch URLs on a query's behalf.  Both are refused here, before parsing, with a message a user can act on.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.store.base import QueryError

MAX_QUERY_CHARS = 100_000
MAX_NESTING = 200

_STRING_OR_IRI = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s{}]*>'
)
_COMMENT = re.compile(r"#[^\n]*")
_REMOTE_UPDATE = re.compile(r"(?<![:\w?$])(LOAD|SERVICE)\b(?!:)", re.IGNORECASE)
# What a read-only query may not contain: remote fetches (SERVICE, FROM <url>) and update operations, in one scan.
_REFUSED_WORDS = ("SERVICE", "FROM", "INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
_REFUSED = re.compile(rf"(?<![:\w?$])({'|'.join(_REFUSED_WORDS)})\b(?!:)", re.IGNORECASE)


@lru_cache(maxsize=64)
def strip_literals(query: str) -> str:
    """The query with strings, IRIs and comments blanked (same length), so keywords inside them do not count.

    Cached: one request asks for it several times (the form, the guard, the LIMIT check), and for a large query each
    pass is a full regex scan."""
    blank = _STRING_OR_IRI.sub(lambda m: " " * len(m.group()), query)
    return _COMMENT.sub(lambda m: " " * len(m.group()), blank)


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def check_shape(text: str, what: str = "query") -> str:
    """Raise QueryError for an empty, over-long or over-deep request (the engine crashes on deep nesting); return
    the text with strings, IRIs and comments blanked, for keyword checks."""
    if not text.strip():
        raise QueryError(f"empty {what}")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"{what} is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    code = strip_literals(text)
    if code.count("(") + code.count("{") + code.count("[") <= MAX_NESTING:
        return code  # cannot nest deeper than it has brackets: no need to walk it character by character
    depth = 0
    for i, ch in enumerate(code):
        if ch in "({[":
            depth += 1
            if depth > MAX_NESTING:
                line, col = line_col(text, i)
                raise QueryError(f"{what} nests deeper than {MAX_NESTING} levels at line {line}, column {col}")
        elif ch in ")}]":
            depth -= 1
    return code


def check_query(query: str) -> None:
    """Raise QueryError naming the problem (and its line and column) for a query no engine should run."""
    problem = _query_problem(query)
    if problem is not None:
        raise QueryError(problem)


@lru_cache(maxsize=64)
def _query_problem(query: str) -> str | None:
    """What is wrong with ``query`` (cached: the endpoint checks a query on more than one path), or None."""
    try:
        code = check_shape(query)
    except QueryError as exc:
        return str(exc)
    upper = code.upper()  # a plain substring test first: the regex costs as much as running a small query
    if not any(word in upper for word in _REFUSED_WORDS):
        return None
    found = _REFUSED.search(code)
    if found is None:
        return None
    word = found.group(1).upper()
    line, col = line_col(query, found.start())
    if word == "SERVICE":
        return f"SERVICE is not allowed (line {line}, column {col}): this endpoint never fetches remote data"
    if word == "FROM":
        return (f"FROM / FROM NAMED is not supported (line {line}, column {col}): the default graph is the union of "
                "all documents; use GRAPH <…> { … } to select one document")
    return f"{word} is an update operation (line {line}, column {col}); this is a read-only query interface"


def check_update(text: str) -> None:
    """Raise QueryError for an update no engine should run here: empty, too long, too deep, or fetching remote data
    (``LOAD`` and ``SERVICE``: a store never fetches a URL on a request's behalf)."""
    code = check_shape(text, "update")
    remote = _REMOTE_UPDATE.search(code)
    if remote:
        line, col = line_col(text, remote.start())
        raise QueryError(f"{remote.group(1).upper()} is not allowed (line {line}, column {col}): kg never fetches "
                         "remote data")
