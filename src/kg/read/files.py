"""Reading inputs into Sources, one bad file never stopping the rest.

Problems are returned as values (:class:`ReadProblem`: the file produced nothing, and why) rather than raised, so a
batch carries on and reports every skipped file at the end.  Damage that still left text (replaced bytes, a bad JSON
line, a record without content) is a warning: delivered to ``ReadOptions.on_warning`` as it happens and counted in
``ReadOptions.stats`` for the end-of-batch summary.

A file is decoded (:mod:`kg.read.decode`), its format chosen (``--format-in``, else sniffed from content and suffix),
and split into articles by the reader for that format (:mod:`kg.read.formats`, :mod:`kg.read.html`).

Document ids: the file's path relative to the *id root*, POSIX separators, plus ``#key`` for inputs holding many
documents (``#L12`` for line 12, ``#<docno>`` for SogouCS, ``#<id>`` for JSON Lines); a file outside the root keeps
its absolute path.  The root is ``ReadOptions.root``; unset, it is the working directory (``kg build`` sets it to the
directory holding an on-disk store, see :func:`kg.build.id_root`).  It is resolved once, in the process that lists
the inputs (:func:`input_files`), and each :class:`InputFile` carries its id: a worker process, which may run in
another directory or on another machine, never computes an id itself, so a parallel build names documents exactly
as a serial one.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, TypeVar

from kg.document import Source
from kg.read.decode import binary_kind, decode_bytes, looks_binary_text, normalise_encoding
from kg.read.formats import FORMATS, JsonFields, Parsed, read_jsonl, read_sogou, read_text, sniff_format

T = TypeVar("T")  # what one input yields besides warnings: Sources, or a parallel build's entries

STDIN = "-"
STDIN_ID = "stdin"
SIMPLIFY = ("auto", "always", "never")


@dataclass(frozen=True)
class ReadProblem:
    """A file or path that produced no document, and why (shown to the user as ``path: reason``)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class ReadWarning:
    """Something lost or odd in a file that still produced documents (``path: message``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ReadStats:
    """Counts for the end-of-batch summary; filled in as :func:`read_sources` goes."""

    files_read: int = 0
    documents: int = 0
    excluded: int = 0
    problems: list[ReadProblem] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    encodings: dict[str, int] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """``3 file(s) read (2 gb18030, 1 utf-8; 1 sogou, 2 text), 402 document(s), 1 skipped, 2 warning(s)``."""
        detail = []
        if self.encodings:
            detail.append(", ".join(f"{n} {name}" for name, n in sorted(self.encodings.items())))
        if self.formats:
            detail.append(", ".join(f"{n} {name}" for name, n in sorted(self.formats.items())))
        text = f"{self.files_read} file(s) read"
        if detail:
            text += f" ({'; '.join(detail)})"
        text += f", {self.documents} document(s), {len(self.problems)} skipped, {len(self.warnings)} warning(s)"
        if self.excluded:
            text += f", {self.excluded} excluded by --include/--exclude"
        return text


@dataclass
class ReadOptions:
    """How to read a batch.  Every field has the default that ``kg build PATH`` uses.

    ``encoding``: force a codec instead of detecting.  ``input_format``: one of :data:`FORMATS`.  ``include`` /
    ``exclude``: glob patterns matched against the file name and its path relative to the directory walked (only
    for files found in directories; a file named on the command line is always read).  ``json``: JSON Lines field
    names.  ``articles``: split a plain-text page into its articles (:mod:`kg.read.articles`; never for
    ``lines``, and never for SogouCS, JSON Lines or HTML, whose records are articles already).  ``stdin``: where
    ``-`` reads from (tests pass a BytesIO).  ``simplify``: ``auto`` converts traditional Chinese text to
    simplified for extraction (same length; the original kept in ``Source.original_text``), ``always`` converts
    every text, ``never`` none.  ``root``: the directory document ids are relative to (default: the working
    directory; see the module docstring).
    """

    encoding: str | None = None
    input_format: str = "auto"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    json: JsonFields = field(default_factory=JsonFields)
    articles: bool = True
    simplify: str = "auto"
    stdin: BinaryIO | None = None
    root: str | Path | None = None
    on_warning: Callable[[ReadWarning], None] | None = None
    stats: ReadStats | None = None

    def __post_init__(self) -> None:
        if self.input_format not in FORMATS:
            raise ValueError(f"unknown input format {self.input_format!r}; expected one of {', '.join(FORMATS)}")
        if self.simplify not in SIMPLIFY:
            raise ValueError(f"unknown simplify mode {self.simplify!r}; expected one of {', '.join(SIMPLIFY)}")
        if self.encoding:
            normalise_encoding(self.encoding)  # LookupError now rather than once per file


@dataclass(frozen=True)
class InputFile:
    """One input to read, named once by the process that lists the inputs.

    ``name``: the path as the user gave it (messages, ``Source.path``); ``path``: the absolute path to open (``-``
    for stdin); ``doc_id``: the document id of the file (its documents add ``#key``).  Picklable, so a worker process
    can read the file without knowing the working directory it was named from.
    """

    name: str
    path: str
    doc_id: str


def id_root(options: ReadOptions) -> Path:
    """The directory document ids are relative to, resolved (symlinks and ``..`` gone)."""
    return Path(options.root if options.root is not None else Path.cwd()).resolve()


def doc_id_for(path: Path, root: Path) -> str:
    """A stable id: the path relative to ``root`` when inside it, else the absolute path; POSIX separators."""
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(root)
    except ValueError:
        rel = resolved
    return rel.as_posix()


def _matches(patterns: tuple[str, ...], rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def iter_files(paths: Iterable[str | Path], options: ReadOptions | None = None) -> Iterator[Path | ReadProblem]:
    """Files named, or found below directories (sorted, recursive), or a problem per bad path.

    Inside directories, hidden files and directories are skipped with a problem naming them (one per hidden
    directory, not per file in it), and include/exclude globs apply.  ``-`` is passed through for stdin.
    """
    options = options or ReadOptions()
    for raw in paths:
        if str(raw) == STDIN:
            yield Path(STDIN)
            continue
        path = Path(raw)
        if not path.exists():
            yield ReadProblem(str(raw), "no such file or directory")
        elif path.is_dir():
            found = False
            for dirpath, dirnames, filenames in os.walk(path):
                for hidden in sorted(d for d in dirnames if d.startswith(".")):
                    yield ReadProblem(str(Path(dirpath) / hidden), "hidden directory, not read")
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    file = Path(dirpath) / name
                    if name.startswith("."):
                        yield ReadProblem(str(file), "hidden file, not read")
                        continue
                    rel = file.relative_to(path).as_posix()
                    if (options.include and not _matches(options.include, rel)) or _matches(options.exclude, rel):
                        if options.stats is not None:
                            options.stats.excluded += 1
                        continue
                    found = True
                    yield file
            if not found:
                yield ReadProblem(str(raw), "directory holds no files to read")
        elif path.is_file():
            yield path
        else:
            yield ReadProblem(str(raw), "not a regular file")


def parse_text(text: str, fmt: str, *, lines: bool = False, json_fields: JsonFields | None = None) -> Parsed:
    """The articles in decoded ``text`` of format ``fmt`` (not "auto"); never raises on bad content."""
    if fmt == "sogou":
        return read_sogou(text)
    if fmt == "jsonl":
        return read_jsonl(text, json_fields)
    if fmt == "html":
        from kg.read.html import read_html

        return read_html(text)
    return read_text(text, lines=lines)


def read_bytes(data: bytes, name: str, *, lines: bool = False, date: str = "", doc_id: str | None = None,
               options: ReadOptions | None = None) -> list[Source | ReadProblem | ReadWarning]:
    """Everything one input yields, in order: Sources, warnings, or a single problem.

    ``date`` is the fallback publication date for documents whose own metadata (Sogou URL, JSON field, HTML meta)
    gives none.
    """
    options = options or ReadOptions()
    kind = binary_kind(data)
    if kind:
        return [ReadProblem(name, f"{kind}, not text; skipped")]
    decoded = decode_bytes(data, options.encoding)
    out: list[Source | ReadProblem | ReadWarning] = []
    if decoded.warning():
        out.append(ReadWarning(name, decoded.warning()))
    if not decoded.plausible:
        return [ReadProblem(name, "no text encoding fits (binary data?); if it is text, name its encoding with "
                                  "--encoding; skipped")]
    if looks_binary_text(decoded.text):
        return [ReadProblem(name, f"binary data (mostly undecodable as {decoded.encoding}), not text; skipped")]
    text = decoded.text
    if not text.strip():
        return [ReadProblem(name, "file is empty")]
    fmt = options.input_format
    if fmt == "auto":
        fmt = sniff_format(text[:8192], Path(name).suffix if name != STDIN else "")
    parsed = parse_text(text, fmt, lines=lines, json_fields=options.json)
    base = doc_id if doc_id is not None else name
    out.extend(ReadWarning(name, message) for message in parsed.warnings)
    if not parsed.articles:
        reasons = "; ".join(parsed.warnings[:3]) or "no documents"
        return [ReadProblem(name, f"no documents in {fmt} input ({reasons})")]
    for article in parsed.articles:
        text, original = _simplified(article.text, options.simplify)
        source = Source(doc_id=f"{base}#{article.key}" if article.key else base, text=text, path=name,
                        title=article.title, date=article.date or date, metadata=article.metadata,
                        original_text=original)
        if fmt == "text" and not lines and options.articles:
            out.extend(_with_original(part, original) for part in _split_articles(source))
        else:
            out.append(source)
    if options.stats is not None:
        options.stats.encodings[decoded.encoding] = options.stats.encodings.get(decoded.encoding, 0) + 1
        options.stats.formats[fmt] = options.stats.formats.get(fmt, 0) + 1
    return out


def input_files(paths: Iterable[str | Path], options: ReadOptions | None = None) -> Iterator[InputFile | ReadProblem]:
    """The inputs :func:`read_sources` would read, in order, each with its document id; problems for bad paths and
    for stdin named twice (it can be read once), each also counted in ``options.stats``."""
    options = options or ReadOptions()
    root = id_root(options)
    stdin_used = False
    for item in iter_files(paths, options):
        if not isinstance(item, ReadProblem) and str(item) == STDIN:
            if not stdin_used:
                stdin_used = True
                yield InputFile(STDIN, STDIN, STDIN_ID)
                continue
            item = ReadProblem(STDIN, "stdin named twice")
        if isinstance(item, ReadProblem):
            if options.stats is not None:
                options.stats.problems.append(item)
            yield item
        else:
            yield InputFile(str(item), str(item.resolve()), doc_id_for(item, root))


def read_input(item: InputFile, *, lines: bool = False, date: str = "",
               options: ReadOptions | None = None) -> list[Source | ReadProblem | ReadWarning]:
    """Everything one input yields (stdin from ``options.stdin`` or the process's own); never raises."""
    options = options or ReadOptions()

    def load() -> bytes:
        if item.path == STDIN:
            return (options.stdin if options.stdin is not None else sys.stdin.buffer).read()
        return Path(item.path).read_bytes()

    return _guarded(lambda: read_bytes(load(), item.name, lines=lines, date=date, doc_id=item.doc_id,
                                       options=options), item.name)


def account(results: Sequence[T | ReadWarning], options: ReadOptions, *, counted: bool = False) -> Iterator[T]:
    """Count one input's results in ``options.stats``, pass its warnings to ``options.on_warning``, and yield the
    rest: what :func:`read_sources` does with what a file yields (a parallel build does it with what a worker
    read).  ``counted``: the input was counted as read already (documents a coordinator read and sent out), so
    only its problems and warnings count now."""
    stats = options.stats
    if stats is not None and not counted and not any(isinstance(r, ReadProblem) for r in results):
        stats.files_read += 1
    for result in results:
        if isinstance(result, ReadWarning):
            if stats is not None:
                stats.warnings.append(result)
            if options.on_warning is not None:
                options.on_warning(result)
            continue
        if stats is not None:
            if isinstance(result, ReadProblem):
                stats.problems.append(result)
            elif not counted:
                stats.documents += 1
        yield result


def read_sources(paths: Iterable[str | Path], *, lines: bool = False, date: str = "",
                 options: ReadOptions | None = None, **overrides) -> Iterator[Source | ReadProblem]:
    """Sources for every readable input; with ``lines`` every non-empty line of plain text is its own document.

    ``options`` say how to read; keyword ``overrides`` set single :class:`ReadOptions` fields
    (``read_sources(paths, encoding="gbk")``).  Warnings go to ``options.on_warning`` and ``options.stats``, never
    into the yielded stream, so callers written for Source | ReadProblem keep working.  Any unexpected error while
    reading one file becomes a problem for that file: a batch never stops on one input.
    """
    if options is None:
        options = ReadOptions()
    if overrides:
        options = replace(options, **overrides)
    for item in input_files(paths, options):
        if isinstance(item, ReadProblem):
            yield item  # already counted
            continue
        yield from account(read_input(item, lines=lines, date=date, options=options), options)


def _simplified(text: str, mode: str) -> tuple[str, str]:
    """(text for extraction, original text or "" when unchanged)."""
    if mode == "never":
        return text, ""
    from kg.read.chinese import is_traditional, to_simplified

    if mode == "always" or is_traditional(text):
        converted = to_simplified(text)
        if converted != text:
            return converted, text
    return text, ""


def _with_original(part: Source, original: str) -> Source:
    """An article cut from a converted page gets its own slice of the original (``metadata['offset']`` is where the
    splitter cut it; the conversion kept every offset)."""
    if not original:
        return part
    start = int(part.metadata.get("offset", "0") or 0)
    return replace(part, original_text=original[start:start + len(part.text)])


def _split_articles(source: Source) -> list[Source]:
    """A newspaper page as its articles (``path#a1`` …); the page unchanged when it holds fewer than two."""
    try:
        from kg.read.articles import split_articles
    except ImportError:  # the splitter is optional: without it a page is one document, as before
        return [source]
    return list(split_articles(source))


def _guarded(read: Callable[[], list[Source | ReadProblem | ReadWarning]],
             name: str) -> list[Source | ReadProblem | ReadWarning]:
    try:
        return read()
    except OSError as exc:
        return [ReadProblem(name, exc.strerror or str(exc))]
    except MemoryError:
        return [ReadProblem(name, "too large to read into memory")]
    except Exception as exc:  # one bad input must not stop the batch; the fuzz tests find the causes
        return [ReadProblem(name, f"could not be read ({type(exc).__name__}: {str(exc)[:120]})")]
