"""Running queries with a time limit that really stops the work.

Why processes: pyoxigraph has no cancellation hook, and a Python thread cannot be killed, so a thread-based deadline
only stops the *response* while the engine keeps burning a core (Oxigraph server's own timeout has the same flaw and
also answers ``200`` with a truncated body).  :class:`ProcessRunner` keeps a small pool of worker processes, each
with the on-disk store opened read-only; a query that overruns its limit gets its worker killed and replaced, and a
query that crashes the engine (pyoxigraph segfaults on some hostile input) costs one worker, never the server.
In ``kg serve`` it runs the queries that reach the Flask app (named queries, entity pages); the SPARQL hot path is
answered by the serving processes of :mod:`kg.serve.prefork`, which call :func:`execute` themselves.
Workers serialise results themselves and send back bytes, so no rdflib terms cross the process boundary on the hot
path.

:class:`InlineRunner` is the fallback for stores that live inside the server process (``memory:``, ``rdflib:``, or a
store opened read-write for ``--allow-update``): it runs queries on a thread pool and can only abandon an overrunning
query, which its error message says.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import queue
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from kg.serve.fast import engine_of, fast_serialize, native_select, run_engine
from kg.serve.negotiation import choices, choose_format, media_type
from kg.store import GraphStore, QueryError, QueryResult, StoreError, open_store
from kg.store.results import serialize
from kg.store.sparql_guard import strip_literals

# What fast.py serialises itself: JSON/XML for SELECT and ASK, every RDF format for graphs.
_FAST = {"select": lambda f: f in ("json", "xml"), "ask": lambda f: f in ("json", "xml"), "graph": lambda f: True}
_ERROR_AT = re.compile(r"\bat (\d+):(\d+):")  # Oxigraph's "error at 3:2:" said in words
_FORM_WORDS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_FORM = re.compile(rf"\b({'|'.join(_FORM_WORDS)})\b", re.IGNORECASE)  # prefixed names and variables: see query_form


@dataclass
class Job:
    """One query to run: the text, the dataset from the protocol, and how the client wants the answer."""

    query: str
    accept: str = ""
    fmt: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    limit: int | None = None
    raw: bool = False  # return the QueryResult itself (for pages rendered by the server) instead of bytes


@dataclass
class Answer:
    """What to send back: an HTTP status, a media type and a body (or, for ``raw`` jobs, the result)."""

    status: int
    media: str = "text/plain"
    body: bytes = b""
    truncated: bool = False
    kind: str = ""
    result: QueryResult | None = None

    @classmethod
    def error(cls, status: int, message: str) -> Answer:
        return cls(status, "text/plain", (message.rstrip() + "\n").encode("utf-8"))


def query_form(query: str) -> str | None:
    """``select``, ``ask`` or ``graph`` from the query's first keyword (strings, IRIs and comments ignored)."""
    code = strip_literals(query)
    start = 0
    if code.isascii():  # skip to the first keyword with substring searches: a regex scan of the prologue costs more
        upper = code.upper()
        start = min((i for i in (upper.find(word) for word in _FORM_WORDS) if i >= 0), default=len(code))
    for found in _FORM.finditer(code, start):
        begin, end = found.span()
        if (begin and code[begin - 1] in ":?$") or code[end : end + 1] == ":":
            continue  # ex:select, ?ask, $construct or select:thing are names, not the query form
        return {"SELECT": "select", "ASK": "ask"}.get(found.group(1).upper(), "graph")
    return None


def run_query(store: GraphStore, job: Job) -> QueryResult:
    """Run ``job`` on ``store``, honouring ``default-graph-uri`` / ``named-graph-uri``."""
    if not (job.default_graphs or job.named_graphs):
        return store.query(job.query, limit=job.limit)
    return store.query(job.query, limit=job.limit, default_graphs=job.default_graphs, named_graphs=job.named_graphs)


def execute(store: GraphStore, job: Job) -> Answer:
    """Run one job to completion: negotiate, query, serialise.  Never raises; errors become answers."""
    kind = query_form(job.query)
    fmt = choose_format(kind, job.accept, job.fmt) if kind else None
    if kind and not job.raw and fmt is None:
        # Known before running the query: do not spend the engine's time on an answer nobody can read.
        return Answer.error(406, f"none of the requested media types can carry a {kind.upper()} result; "
                                 f"available: {choices(kind)}")
    try:
        if kind and fmt and not job.raw and _FAST.get(kind, lambda f: False)(fmt):
            engine = engine_of(store)
            if engine is not None and kind == "select":
                native = native_select(engine, job.query, job.default_graphs, job.named_graphs, fmt, job.limit)
                if native is not None:
                    return Answer(200, media_type(kind, fmt), native[0], truncated=native[1], kind=kind)
            if engine is not None and (kind != "select" or fmt == "json"):
                result = run_engine(engine, job.query, job.default_graphs, job.named_graphs)
                fast = fast_serialize(result, fmt, job.limit)
                if fast is not None and fast[0] == kind:
                    return Answer(200, media_type(kind, fmt), fast[1], truncated=fast[2], kind=kind)
        result = run_query(store, job)
    except QueryError as exc:
        return Answer.error(400, _ERROR_AT.sub(r"at line \1, column \2:", str(exc)))
    except StoreError as exc:
        return Answer.error(500, str(exc))
    except Exception as exc:  # an engine bug must not take the worker down with it
        return Answer.error(500, f"query failed: {type(exc).__name__}: {exc}")
    if job.raw:
        return Answer(200, kind=result.kind, truncated=result.truncated, result=result)
    fmt = choose_format(result.kind, job.accept, job.fmt)
    if fmt is None:
        return Answer.error(406, f"none of the requested media types can carry this result; available: "
                                 f"{choices(result.kind)}")
    body = serialize(result, fmt)
    return Answer(200, media_type(result.kind, fmt), body.encode("utf-8"), truncated=result.truncated,
                  kind=result.kind)


class InlineRunner:
    """Runs queries on threads of this process: for stores that cannot be opened again by another process."""

    stops_work = False

    def __init__(self, store: GraphStore, *, threads: int = 8) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kg-query")

    def run(self, job: Job, timeout: float) -> Answer:
        future = self._pool.submit(execute, self.store, job)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            return Answer.error(503, f"query exceeded the time limit of {timeout:g} s; the answer was abandoned "
                                     f"(the {self.store.description} store cannot interrupt a running query)")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _worker_main(spec: str, conn: multiprocessing.connection.Connection) -> None:
    """A query worker: open the store read-only, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops its workers itself
    try:
        store = open_store(spec, read_only=True)
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            break
        conn.send(execute(store, job))
    store.close()


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection

    def kill(self) -> None:
        kill_process(self.process, self.conn)


def kill_process(process: multiprocessing.process.BaseProcess,
                 pipe: multiprocessing.connection.Connection) -> None:
    """Kill a child process and close our end of its pipe, whatever state either is in (already dead, closed)."""
    with contextlib.suppress(Exception):
        process.kill()
        process.join(5)
    with contextlib.suppress(Exception):
        pipe.close()


class ProcessRunner:
    """Worker processes over an on-disk store opened read-only; a query that overruns gets its worker killed."""

    stops_work = True

    def __init__(self, spec: str, *, workers: int = 8, min_workers: int = 2, start_timeout: float = 120.0) -> None:
        self.spec = spec
        self.workers = workers
        self._ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        # Last in, first out: at low load the same few workers answer, and their engine caches stay warm (each
        # process has its own; round-robin over cold workers made 1-client latency 6x worse at 1M triples).
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._booting = 0
        # Serve as soon as one worker is ready (a failure to open the store shows here, at start-up).  The pool then
        # grows one worker at a time, up to ``workers``, whenever a query finds every worker busy: an idle server
        # keeps two processes, a loaded one gets as many as it needs (starting all eight at once on two cores took
        # 12 s before the first answered).
        with self._lock:
            first = self._spawn()
        self._idle.put(self._await_ready(first, start_timeout))
        for _ in range(min(min_workers, workers) - 1):
            self._grow()

    def _grow(self, *, replacing: bool = False) -> None:
        """Start one more worker (it joins the pool when ready), unless the pool is full or, when growing on demand
        rather than replacing a killed worker, another one is still starting."""
        with self._lock:
            if self._closed or (self._booting and not replacing) or len(self._all) >= self.workers:
                return
            worker = self._spawn()
            self._booting += 1

        def ready() -> None:
            try:
                self._idle.put(self._await_ready(worker, 120.0))
            except StoreError:
                with self._lock:
                    if worker in self._all:
                        self._all.remove(worker)
            finally:
                with self._lock:
                    self._booting -= 1

        threading.Thread(target=ready, name="kg-worker-start", daemon=True).start()

    def _spawn(self) -> _Worker:
        """Start a worker process (the caller holds the lock, so the pool never exceeds its size)."""
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(self.spec, child), name="kg-query-worker", daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._all.append(worker)
        return worker

    def _await_ready(self, worker: _Worker, timeout: float) -> _Worker:
        if not worker.conn.poll(timeout):
            worker.kill()
            raise StoreError(f"query worker did not open store {self.spec} within {timeout:g} s")
        try:
            status, message = worker.conn.recv()
        except EOFError:
            status, message = "error", "the worker exited while opening the store"
        if status != "ready":
            worker.kill()
            raise StoreError(f"query worker cannot open store {self.spec}: {message}")
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start a fresh one (in the background: starting one takes about a second)."""
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        self._grow(replacing=True)

    def run(self, job: Job, timeout: float) -> Answer:
        """Run ``job`` on an idle worker (waiting up to ``timeout`` for one); the query itself gets ``timeout``."""
        wait_until = time.monotonic() + timeout
        while True:
            try:
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    self._grow()
                    worker = self._idle.get(timeout=max(wait_until - time.monotonic(), 0.0))
            except queue.Empty:
                return Answer.error(503, f"all {self.workers} query workers stayed busy for the whole time limit "
                                         f"({timeout:g} s); try again later")
            if worker.process.is_alive():
                break
            self._replace(worker)  # died while idle (killed from outside): not this query's fault, take another
        deadline = time.monotonic() + timeout
        try:
            worker.conn.send(job)
            if worker.conn.poll(max(deadline - time.monotonic(), 0.0)):
                answer = worker.conn.recv()
                self._idle.put(worker)
                return answer
        except (EOFError, OSError):
            self._replace(worker)
            return Answer.error(500, "the query engine stopped while running this query (it was restarted); "
                                     "the query may be too complex for it")
        self._replace(worker)
        return Answer.error(503, f"query exceeded the time limit of {timeout:g} s and was stopped")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
