"""Reading input files into Sources, one bad file never stopping the rest.

Problems are returned as values (:class:`ReadProblem`) rather than raised, so that a batch can carry on and report
every skipped file at the end with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.document import Source

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
BINARY_SNIFF = 8192


@dataclass(frozen=True)
class ReadProblem:
    """A file or path that produced no document, and why (shown to the user as ``path: reason``)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _doc_id(path: Path) -> str:
    """A stable id: the path relative to the working directory when inside it, POSIX separators."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        rel = path.resolve()
    return rel.as_posix()


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | ReadProblem]:
    """Files named or found below directories (sorted, hidden entries skipped), or a problem per bad path."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield ReadProblem(str(raw), "no such file or directory")
        elif path.is_dir():
            found = False
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        found = True
                        yield Path(dirpath) / name
            if not found:
                yield ReadProblem(str(raw), "directory holds no files")
        elif path.is_file():
            yield path
        else:
            yield ReadProblem(str(raw), "not a regular file")


def decode(data: bytes, path: str) -> str:
    """UTF-8 text (a BOM is dropped); anything else is a clear error naming the first bad byte."""
    if b"\0" in data[:BINARY_SNIFF]:
        raise ValueError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 at byte {exc.start}: {exc.reason}") from exc


def read_sources(paths: Iterable[str | Path], *, lines: bool = False, date: str = "") -> Iterator[Source | ReadProblem]:
    """Sources for every readable input; with ``lines`` every non-empty line is its own document."""
    for item in iter_files(paths):
        if isinstance(item, ReadProblem):
            yield item
            continue
        try:
            text = decode(item.read_bytes(), str(item))
        except (OSError, ValueError) as exc:
            yield ReadProblem(str(item), str(exc))
            continue
        doc_id = _doc_id(item)
        if not text.strip():
            yield ReadProblem(str(item), "file is empty")
            continue
        if lines:
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    yield Source(doc_id=f"{doc_id}#L{number}", text=line, path=str(item), date=date)
        else:
            yield Source(doc_id=doc_id, text=text, path=str(item), date=date)
