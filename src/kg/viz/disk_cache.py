"""The explorer's entity table and PageRank kept on disk beside an on-disk store, so a restarted server is ready at
once instead of re-reading every entity.

The file is keyed by a stamp of the store's content: the names, sizes and modification times of the store's own
files (any write to an Oxigraph/RocksDB store appends to its log or adds table files) together with the explorer's
content version (document graphs and their content hashes).  A stamp that differs means the file is ignored and
rewritten; a file that cannot be read, parsed or checked is ignored the same way.  Nothing here is trusted as code:
the file is JSON, checked for shape before use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from kg.store import GraphStore
from kg.viz.table import EntityTable

CACHE_NAME = "kg-explore-cache.json"
CACHE_FORMAT = 3
# RocksDB's info logs and lock file change on every open, even read-only, without any change of content.
_VOLATILE = ("LOG", "LOCK")


def store_folder(store: GraphStore) -> Path | None:
    """The directory of an on-disk store (None for memory and remote stores: nothing to keep a file beside)."""
    path = getattr(store, "path", None)
    if path is None:
        return None
    folder = Path(path)
    return folder if folder.is_dir() else None


def store_stamp(folder: Path, version: str) -> str:
    """A digest that changes whenever the store's files or its documents change."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{folder.resolve()}\0{version}\n".encode())
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name == CACHE_NAME or entry.name.startswith(_VOLATILE) or entry.name.startswith(f".{CACHE_NAME}"):
            continue
        with contextlib.suppress(OSError):
            st = entry.stat()
            digest.update(f"{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load(folder: Path, stamp: str) -> tuple[EntityTable, np.ndarray] | None:
    """The cached table and ranks when the file exists and carries ``stamp``; None otherwise."""
    try:
        data = json.loads((folder / CACHE_NAME).read_bytes())
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("stamp") != stamp:
            return None
        table = EntityTable.from_json(data["table"])
        rank = np.asarray(data["rank"], dtype=float)
        if rank.shape != (len(table),):
            return None
        return table, rank
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def save(folder: Path, stamp: str, table: EntityTable, rank: np.ndarray) -> bool:
    """Write the cache atomically (a temporary file renamed over the old one); False when the folder is not
    writable, which only costs the next start its read."""
    payload = json.dumps({"format": CACHE_FORMAT, "stamp": stamp, "table": table.to_json(),
                          "rank": rank.tolist()}, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{CACHE_NAME}.", dir=folder)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        os.chmod(name, 0o644)  # readable like the store's own files (mkstemp makes it private)
        os.replace(name, folder / CACHE_NAME)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(name)
        return False
