"""``kg serve``: open the store, start the serving processes, serve the app with waitress.

Kept out of ``cli.py`` (argument parsing only) because choosing how queries run is a serving decision: an on-disk
store served read-only gets serving processes that answer SPARQL on the public socket themselves (time limits that
stop the work, crashes contained; see :mod:`kg.serve.prefork`) in front of the app, which waitress serves on a private
Unix socket; a store that lives in this process (``memory:``, ``rdflib:``) or is opened for writing
(``--allow-update``) is served by waitress directly and queried on threads.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path

from kg.store import StoreError, open_store


def default_workers() -> int:
    """Serving processes for an on-disk store: one per core, at least two.

    Each serves many connections on threads (pyoxigraph releases the GIL while it evaluates), so more processes than
    cores would only add memory (about 65 MB each); two keep the server answering while one restarts.
    """
    return max(2, os.cpu_count() or 2)


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
    preforked = on_disk and not allow_update
    runner: InlineRunner | ProcessRunner
    if preforked:
        # Queries that reach the app (named queries, entity pages, the protocol's error cases) get a small pool of
        # their own; the SPARQL hot path is answered by the serving processes and never comes here.
        runner = ProcessRunner(spec, workers=2, min_workers=1)
        mode = f"{workers} serving processes; queries over {timeout:g} s are stopped"
    else:
        runner = InlineRunner(store, threads=16)
        mode = f"in-process threads; queries over {timeout:g} s are abandoned (this store cannot be interrupted)"
    app = create_app(store, base=base, result_limit=max_rows, timeout=timeout, runner=runner,
                     allow_update=allow_update, token=token)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # so the processes are stopped and the store closed on `kill`
    options = {"threads": 16, "channel_timeout": max(120, int(timeout * 2)), "max_request_body_size": 2 << 20,
               "ident": "kg"}
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(store.close)
        cleanup.callback(runner.close)
        if not preforked:
            _announce(host, port, mode, allow_update)
            waitress.serve(app, host=host, port=port, **options)
            return 0
        from kg.serve.prefork import ServingConfig, Supervisor, listen

        listener = cleanup.enter_context(listen(host, port))
        private = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="kg-serve-"))
        app_socket = str(Path(private) / "app.sock")
        backend = waitress.create_server(app, unix_socket=app_socket, unix_socket_perms="600", **options)
        cleanup.callback(backend.close)
        supervisor = Supervisor(ServingConfig(spec, app_socket, timeout, max_rows), listener, workers)
        cleanup.callback(supervisor.close)
        supervisor.start()
        _announce(host, port, mode, allow_update)
        backend.run()
    return 0


def _announce(host: str, port: int, mode: str, allow_update: bool) -> None:
    shown = f"[{host}]" if ":" in host else host
    print(f"kg serve: SPARQL endpoint  http://{shown}:{port}/sparql ({mode})", file=sys.stderr)
    print(f"kg serve: named queries    http://{shown}:{port}/queries", file=sys.stderr)
    print(f"kg serve: graph explorer   http://{shown}:{port}/explore", file=sys.stderr)
    if allow_update:
        print(f"kg serve: updates          http://{shown}:{port}/update (bearer token required)", file=sys.stderr)
    print(f"kg serve: home             http://{shown}:{port}/", file=sys.stderr, flush=True)
