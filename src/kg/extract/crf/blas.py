"""Run the tagger's small matrix products on one BLAS thread.

Why: numpy's OpenBLAS splits a product across threads once it is larger than a few hundred thousand
multiply-adds, which the network under the CRF reaches on every document (a window of 30 characters times a
128 x 288 layer already does).  On a small machine that is busy with other work (the extractor runs beside
jieba, a build's other workers or a server), the split product waits for a second core and took 3-4x the
single-thread time in measurements here (600 x 128 x 288 float32: 2.8 ms on two threads under load, 0.8 ms on
one).  Pinning OpenBLAS to one thread only while the network runs keeps the rest of the process as it was.

No new dependency: the OpenBLAS that numpy loaded is found in the process's own memory map and its
``*openblas_set_num_threads*`` / ``get`` functions are called through ctypes.  Where there is no such library
(another BLAS, another OS), :func:`one_thread` does nothing.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np  # noqa: F401  (loads the BLAS library this module looks for)

_SUFFIXES = ("", "64_", "_64")
_PREFIXES = ("scipy_openblas_", "openblas_")
_lock = threading.Lock()


@cache
def _openblas() -> tuple[object, object] | None:
    """(set_num_threads, get_num_threads) of the OpenBLAS in this process, or None."""
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        return None
    try:
        paths = sorted({part for line in maps.read_text().splitlines() for part in line.split()[5:6]
                        if "openblas" in Path(part).name.lower()})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                set_fn = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                get_fn = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if set_fn is not None and get_fn is not None:
                    set_fn.argtypes = [ctypes.c_int]
                    get_fn.restype = ctypes.c_int
                    return set_fn, get_fn
    return None


@contextmanager
def one_thread() -> Iterator[None]:
    """Within the block, numpy's OpenBLAS uses one thread; the previous setting is restored after."""
    fns = _openblas()
    if fns is None:
        yield
        return
    set_fn, get_fn = fns
    with _lock:  # the thread count is process-wide: two taggers must not restore each other's setting
        before = get_fn()  # type: ignore[operator]
        if before != 1:
            set_fn(1)  # type: ignore[operator]
        try:
            yield
        finally:
            if before != 1:
                set_fn(before)  # type: ignore[operator]
