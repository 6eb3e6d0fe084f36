"""Bulk loading: documents' graphs as N-Quads text, loaded through a store's own fast path.

Why text: in a parallel build the workers turn their documents into N-Quads (:func:`document_nquads`), so the one
writer no longer builds rdflib and pyoxigraph term objects for every triple (that was most of its time, and the
writer is what a parallel build waits on); it joins the texts of a batch and hands them to the engine's parser.

* Embedded Oxigraph (:func:`load_nquads`): ``Store.bulk_load`` — the bulk loader writes sorted files and ingests
  them at its end, so a batch (well under the loader's million-quad chunk) is all there or absent after a kill, and
  no document is ever half there.  The store's default graph is the set union of its named graphs (see
  :mod:`kg.store.oxigraph_store`); :func:`document_nquads` writes every triple twice, in its document's graph and in
  the default graph, so the invariant holds in the same load, with no rebuild after it.
* Shards on disk (:func:`load_shards`): N-Quads files written elsewhere (a cluster's workers, another tool), each
  loaded with the bulk loader, with a progress line and a summary; shards without the union copies are followed by
  one :meth:`~kg.store.oxigraph_store.OxigraphStore.rebuild_union`.
* A remote SPARQL server (:func:`post_graphs`): the graphs of a batch in one Graph Store Protocol request
  (``POST`` of N-Quads to the dataset, which Oxigraph server commits in one transaction) instead of one ``PUT``
  per document.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from kg.export.writer import nt_term
from kg.store.base import GraphStore, StoreError, Triple


def document_nquads(graph: str, triples: Iterable[Triple], *, union: bool = True) -> str:
    """N-Quads of one document's graph; with ``union`` each triple also as a default-graph line (see above)."""
    name = f" {nt_term_iri(graph)} .\n"
    out = []
    for s, p, o in triples:
        triple = f"{nt_term(s)} {nt_term(p)} {nt_term(o)}"
        out.append(triple + name)
        if union:
            out.append(triple + " .\n")
    return "".join(out)


def nt_term_iri(iri: str) -> str:
    from rdflib import URIRef

    return nt_term(URIRef(iri))


def engine_of(store: GraphStore) -> object | None:
    """The pyoxigraph Store under an embedded store (on disk or ``memory:``), or None for other backends."""
    from kg.store.oxigraph_store import OxigraphStore

    if isinstance(store, OxigraphStore):
        return store.engine
    return None


def load_nquads(store: GraphStore, data: bytes) -> None:
    """Load UTF-8 N-Quads (with union copies) into an embedded store through the bulk loader."""
    import pyoxigraph as ox

    engine = engine_of(store)
    if engine is None:
        raise StoreError(f"{store.description} has no bulk loader for N-Quads text")
    try:
        engine.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
    except (OSError, SyntaxError, RuntimeError, ValueError) as exc:
        raise StoreError(f"cannot bulk-load into {store.description}: {exc}") from exc


def load_shards(store: GraphStore, paths: Sequence[str | Path], *, union_included: bool = True,
                progress: Callable[[str], None] | None = None) -> int:
    """Bulk-load N-Quads shard files into an embedded store; returns the bytes loaded.

    ``union_included``: the shards carry the default-graph copies (as :func:`document_nquads` writes them); if not,
    the union is recomputed once at the end.  ``progress`` gets one line per shard and a summary (default: stderr).
    """
    import pyoxigraph as ox

    engine = engine_of(store)
    if engine is None:
        raise StoreError(f"{store.description} has no bulk loader for N-Quads files")
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.monotonic()
    total = sum(Path(p).stat().st_size for p in paths)
    done = 0
    for index, path in enumerate(paths, start=1):
        try:
            engine.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"cannot bulk-load shard {path} into {store.description} ({index - 1} of "
                             f"{len(paths)} shards loaded before it): {exc}") from exc
        done += Path(path).stat().st_size
        elapsed = time.monotonic() - started
        say(f"kg bulk load: shard {index}/{len(paths)} {path}: {done / max(total, 1):.0%} of "
            f"{total / 1e6:.1f} MB, {done / 1e6 / max(elapsed, 1e-9):.1f} MB/s")
    if not union_included:
        store.rebuild_union()
    say(f"kg bulk load: {len(paths)} shard(s), {total / 1e6:.1f} MB in {time.monotonic() - started:.1f} s")
    return total


def posts_batches(store: GraphStore) -> bool:
    """Whether :func:`post_graphs` can write a batch to this store (an Oxigraph server)."""
    from kg.store.remote_store import RemoteStore

    return isinstance(store, RemoteStore) and not store.virtuoso


def post_graphs(store: GraphStore, graphs: list[tuple[str, list[Triple]]]) -> bool:
    """Write new graphs to an Oxigraph server in one Graph Store Protocol request; False when the store is not one
    that takes N-Quads on its dataset (Virtuoso, other backends): the caller writes graph by graph."""
    if not posts_batches(store):
        return False
    body = "".join(document_nquads(graph, triples, union=False) for graph, triples in graphs)
    first, last = graphs[0][0], graphs[-1][0]
    store._request("POST", store.gsp_url, f"writing graphs {first} … {last} ({len(graphs)} graphs)",
                   data=body.encode("utf-8"), headers={"Content-Type": "application/n-quads"})
    return True
