"""``kg serve``: open the store, start the query workers, serve the app with waitress.

Kept out of ``cli.py`` (argument parsing only) because choosing the runner is a serving decision: an on-disk store
served read-only gets a pool of worker processes (time limits that stop the work, crashes contained); a store that
lives in this process (``memory:``, ``rdflib:``) or is opened for writing (``--allow-update``) is queried on threads.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from kg.store import StoreError, open_store


def default_workers() -> int:
    """The most query workers the pool may grow to: two per core, at least eight, at most sixteen (it starts with two).

    More workers than cores on purpose: a heavy query holds its worker for its whole run, and with one worker per
    core the light queries queue behind it (measured at 1M triples, 8 clients, 2 workers on 2 cores: p50 7.4× that of
    Oxigraph server; 8 workers: the OS interleaves them as Oxigraph's threads are).  A worker costs about 40 MB.
    """
    return max(8, min(16, 2 * (os.cpu_count() or 2)))


def run_server(spec: str, *, host: str = "127.0.0.1", port: int = 8000, base: str, timeout: float = 30.0,
               allow_update: bool = False, token: str | None = None, workers: int | None = None,
               max_rows: int = 10_000) -> int:
    import waitress

    from kg.serve import create_app
    from kg.serve.runner import InlineRunner, ProcessRunner

    token = token or os.environ.get("KG_UPDATE_TOKEN") or None
    if allow_update and not token:
        raise StoreError("--allow-update needs a token (--token or the KG_UPDATE_TOKEN environment variable)")
    on_disk = ":" not in spec
    if on_disk and not Path(spec).exists() and not allow_update:
        raise StoreError(f"store {spec} does not exist; build one first with: kg build --store {spec} PATH")
    store = open_store(spec, read_only=on_disk and not allow_update)
    workers = workers or default_workers()
    runner: InlineRunner | ProcessRunner
    if on_disk and not allow_update:
        runner = ProcessRunner(spec, workers=workers)
        mode = f"up to {workers} worker processes; queries over {timeout:g} s are stopped"
    else:
        runner = InlineRunner(store, threads=workers * 2)
        mode = f"in-process threads; queries over {timeout:g} s are abandoned (this store cannot be interrupted)"
    app = create_app(store, base=base, result_limit=max_rows, timeout=timeout, runner=runner,
                     allow_update=allow_update, token=token)
    shown = f"[{host}]" if ":" in host else host
    print(f"kg serve: SPARQL endpoint  http://{shown}:{port}/sparql ({mode})", file=sys.stderr)
    print(f"kg serve: named queries    http://{shown}:{port}/queries", file=sys.stderr)
    print(f"kg serve: graph explorer   http://{shown}:{port}/explore", file=sys.stderr)
    if allow_update:
        print(f"kg serve: updates          http://{shown}:{port}/update (bearer token required)", file=sys.stderr)
    print(f"kg serve: home             http://{shown}:{port}/", file=sys.stderr, flush=True)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # so the workers are stopped and the store closed on `kill`
    try:
        waitress.serve(app, host=host, port=port, threads=workers * 2 + 4, channel_timeout=max(120, int(timeout * 2)),
                       max_request_body_size=2 << 20, ident="kg")
    finally:
        runner.close()
        store.close()
    return 0
