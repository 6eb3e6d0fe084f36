"""Serving processes that answer SPARQL queries themselves, on the public socket, with a time limit that stops work.

Why: sending each query from the HTTP server to a query process and back cost about 0.65 ms (two thread hops in
waitress, one process round trip) on top of the 0.1-0.3 ms Oxigraph needs for a small query, so small queries took
three to four times as long as on Oxigraph's own server.  Here the main process binds the public socket and a few
*serving processes* accept on it directly.  Each opens the store read-only, answers the SPARQL hot path
(:class:`~kg.serve.hot_path.SparqlHotPath`) on the connection's own thread (pyoxigraph releases the GIL while it
evaluates, so threads of one process query in parallel), and forwards every other request to the Flask app in the
main process (:mod:`kg.serve.forward`).

The time limit: a watchdog thread in each serving process answers ``503`` for a query that overruns, then the
process stops accepting, lets its other requests finish for a moment, and exits, which is what stops the engine
(pyoxigraph cannot be interrupted).  The supervisor in the main process starts a replacement at once, and kills a
serving process whose watchdog has stopped beating.  A process that crashes (the engine has segfaulted on hostile
input) drops only its own connections; the server keeps serving.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from kg.serve import http1
from kg.serve.runner import Answer, Job, execute, kill_process
from kg.store import GraphStore, StoreError, open_store

BEAT_SECONDS = 0.25
DRAIN_SECONDS = 1.0  # how long an overrun process lets its other requests finish before it exits


@dataclass(frozen=True)
class ServingConfig:
    """What a serving process needs to know (picklable: it crosses to a spawned process)."""

    spec: str
    app_socket: str
    timeout: float
    result_limit: int
    idle_timeout: float = 120.0


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """The public listening socket, bound before any serving process starts (so a busy port fails at once)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StoreError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    sock.listen(backlog)
    return sock


PROCESS_NAME = "kg-serving"  # what ps, top and /proc/PID/comm show for a serving process


def name_process(name: str) -> None:
    """Name this process for ps and top (Linux), so an operator can tell serving processes from the others."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


class Watchdog:
    """Stops queries that overrun the time limit: answers 503 for them, then retires the whole process."""

    def __init__(self, server: http1.HttpServer, hot: Any, heartbeat: Any,
                 status: multiprocessing.connection.Connection, balancer: Balancer) -> None:
        self.server = server
        self.balancer = balancer
        self.hot = hot
        self.heartbeat = heartbeat
        self.status = status
        self.parent = os.getppid()
        self._running: dict[int, tuple[float, float, http1.Connection]] = {}
        self._lock = threading.Lock()
        self.retiring = False

    def start(self, deadline: float, timeout: float) -> int | None:
        conn = http1.current()
        if conn is None:
            return None
        key = id(conn)
        with self._lock:
            self._running[key] = (deadline, timeout, conn)
        return key

    def done(self, key: int | None) -> None:
        if key is not None:
            with self._lock:
                self._running.pop(key, None)

    def run(self) -> None:
        while True:
            now = time.monotonic()
            self.heartbeat.value = now
            if os.getppid() != self.parent:
                os._exit(0)  # the supervisor is gone: nobody would restart or stop this process
            with self._lock:
                overdue = [(key, item) for key, item in self._running.items() if item[0] <= now]
            for key, (_, timeout, conn) in overdue:
                self.done(key)
                answer = Answer.error(503, f"query exceeded the time limit of {timeout:g} s and was stopped")
                if conn.environ is not None and conn.answer_instead(self._render(conn.environ, answer)):
                    self.retire()
            time.sleep(0.02 if self._running else BEAT_SECONDS)

    def _render(self, environ: dict[str, Any], answer: Answer) -> bytes:
        captured: list[Any] = []
        body = b"".join(self.hot.respond(environ, lambda status, headers: captured.extend((status, headers)),
                                          answer))
        return http1.render(captured[0], captured[1], body, close=True)

    def retire(self) -> None:
        """Stop the engine the only way there is: tell the supervisor, stop accepting, drain briefly, exit."""
        if self.retiring:
            return
        self.retiring = True
        with contextlib.suppress(OSError):
            self.status.send(("retiring", os.getpid()))
        self.balancer.leave()
        self.server.stop()

        def drain_then_exit() -> None:
            until = time.monotonic() + DRAIN_SECONDS
            while self.server.busy_connections() and time.monotonic() < until:
                time.sleep(0.02)
            for conn in self.server.busy_connections():
                self._stop_other(conn)
            os._exit(0)

        threading.Thread(target=drain_then_exit, name="kg-retire", daemon=True).start()

    def _stop_other(self, conn: http1.Connection) -> None:
        request = conn.environ
        message = ("this query was stopped because its serving process restarted to stop another query that overran "
                   "the time limit; send it again")
        if request is not None:
            conn.answer_instead(self._render(request, Answer.error(503, message)))


class Balancer:
    """Spreads connections evenly over the serving processes that accept on one socket.

    Why: every process waiting on the socket is woken by a new connection and the first to call accept() gets it,
    so four clients often landed three on one process and one on the other (5 of 6 trials); that process's Python
    work then ran on one core while the other idled.  Each process publishes its open connections in a shared
    array, and one that has more than another live process lets that one take the connection.
    """

    def __init__(self, counts: Any, slot: int) -> None:
        self.counts = counts
        self.slot = slot

    def report(self, connections: int) -> None:
        if self.slot >= 0 and self.counts[self.slot] >= 0:
            self.counts[self.slot] = connections

    def my_turn(self, connections: int) -> bool:
        if self.slot < 0:
            return True  # no slot (a storm of retirements used them all): accept as the kernel hands them out
        others = [n for i, n in enumerate(self.counts) if i != self.slot and n >= 0]
        return not others or connections <= min(others)

    def join(self) -> None:
        """Start counting this process, once it accepts (one still opening the store must not be deferred to)."""
        if self.slot >= 0:
            self.counts[self.slot] = 0

    def leave(self) -> None:
        """Stop counting this process (it accepts no more), so the others stop deferring to it."""
        if self.slot >= 0:
            self.counts[self.slot] = -1


class DirectRunner:
    """Runs a job on this thread, under the watchdog's eye (the serving-process counterpart of ProcessRunner)."""

    stops_work = True

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.watchdog: Watchdog | None = None

    def run(self, job: Job, timeout: float) -> Answer:
        key = self.watchdog.start(time.monotonic() + timeout, timeout) if self.watchdog else None
        try:
            return execute(self.store, job)
        finally:
            if self.watchdog:
                self.watchdog.done(key)


def serving_main(config: ServingConfig, listener: socket.socket, status: multiprocessing.connection.Connection,
                 heartbeat: Any, counts: Any, slot: int) -> None:
    """A serving process: open the store, then answer on the shared socket until retired or stopped."""
    from kg.serve.forward import ForwardToApp
    from kg.serve.hot_path import SparqlHotPath

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the supervisor, which stops its processes itself
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    name_process(PROCESS_NAME)
    try:
        store = open_store(config.spec, read_only=True)
    except Exception as exc:
        status.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    runner = DirectRunner(store)
    forward = ForwardToApp(config.app_socket, timeout=config.timeout + 60)
    hot = SparqlHotPath(forward, runner=runner, result_limit=config.result_limit, timeout=config.timeout)
    balancer = Balancer(counts, slot)
    server = http1.HttpServer(listener, hot, idle_timeout=config.idle_timeout, share=balancer)
    watchdog = Watchdog(server, hot, heartbeat, status, balancer)
    runner.watchdog = watchdog
    heartbeat.value = time.monotonic()
    threading.Thread(target=watchdog.run, name="kg-watchdog", daemon=True).start()
    balancer.join()
    status.send(("ready", os.getpid()))
    server.serve_forever()
    while True:  # retired: the watchdog's drain thread ends the process
        time.sleep(1)


@dataclass
class _Serving:
    process: multiprocessing.process.BaseProcess
    status: multiprocessing.connection.Connection
    heartbeat: Any
    slot: int
    ready: bool = False

    def kill(self) -> None:
        kill_process(self.process, self.status)


class Supervisor:
    """Keeps ``count`` serving processes accepting on ``listener``: starts them, replaces the retired and the dead."""

    def __init__(self, config: ServingConfig, listener: socket.socket, count: int) -> None:
        self.config = config
        self.listener = listener
        self.count = count
        self._ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._lock = threading.Lock()
        self._live: list[_Serving] = []
        self._closed = threading.Event()
        self._failures: list[float] = []
        # Open connections per serving process (see Balancer); -1 marks a free slot.  Retiring processes overlap
        # their replacements for a moment, hence the spare slots.
        self._counts = self._ctx.Array("i", [-1] * (2 * count + 16), lock=False)
        self._held_slots: set[int] = set()  # not to reuse: reserved for a starting process, or a retiring one's

    def start(self, start_timeout: float = 120.0) -> None:
        """Start the processes; return once one answers (a store that cannot be opened fails here, clearly)."""
        first = self._spawn()
        if not first.status.poll(start_timeout):
            first.kill()
            raise StoreError(f"the serving process did not open store {self.config.spec} within {start_timeout:g} s")
        message = self._receive(first)
        if message[0] != "ready":
            first.kill()
            raise StoreError(f"the serving process cannot open store {self.config.spec}: {message[1]}")
        first.ready = True
        for _ in range(self.count - 1):
            self._spawn()
        threading.Thread(target=self._watch, name="kg-supervisor", daemon=True).start()

    def pids(self) -> list[int]:
        with self._lock:
            return [s.process.pid for s in self._live if s.process.pid is not None]

    def _spawn(self) -> _Serving:
        with self._lock:
            used = {s.slot for s in self._live} | self._held_slots
            slot = next((i for i in range(len(self._counts)) if i not in used and self._counts[i] < 0), -1)
            self._held_slots.add(slot)  # reserved until the process is in the live list
        parent, child = self._ctx.Pipe()
        heartbeat = self._ctx.Value("d", time.monotonic(), lock=False)
        process = self._ctx.Process(target=serving_main, name="kg-serving", daemon=True,
                                    args=(self.config, self.listener, child, heartbeat, self._counts, slot))
        process.start()
        child.close()
        serving = _Serving(process, parent, heartbeat, slot)
        with self._lock:
            self._live.append(serving)
            self._held_slots.discard(slot)
        return serving

    @staticmethod
    def _receive(serving: _Serving) -> tuple[str, Any]:
        try:
            return serving.status.recv()
        except (EOFError, OSError):
            return ("error", "the serving process exited while opening the store")

    def _watch(self) -> None:
        while not self._closed.is_set():
            with self._lock:
                live = list(self._live)
            ready = multiprocessing.connection.wait([s.process.sentinel for s in live] + [s.status for s in live],
                                                    timeout=1.0)
            now = time.monotonic()
            for serving in live:
                gone = serving.process.sentinel in ready
                if serving.status in ready:
                    message = self._receive(serving)
                    if message[0] == "ready":
                        serving.ready = True
                    if message[0] == "retiring":
                        with self._lock:
                            self._held_slots.add(serving.slot)  # its slot is not reused while it still runs
                        self._forget(serving)
                        self._replace()
                        # It exits by itself once drained; if it cannot (the engine holds the interpreter), kill it.
                        threading.Thread(target=self._reap, args=(serving,), name="kg-reap", daemon=True).start()
                        continue
                    if message[0] == "error":
                        gone = True
                        print(f"kg serve: a serving process failed: {message[1]}", file=sys.stderr)
                stalled = serving.ready and now - serving.heartbeat.value > self.config.timeout + 10
                if gone or stalled:
                    serving.kill()
                    self._forget(serving)
                    self._replace()

    def _reap(self, serving: _Serving) -> None:
        serving.process.join(DRAIN_SECONDS + 5)
        serving.kill()
        with self._lock:
            if serving.slot >= 0:
                self._counts[serving.slot] = -1
            self._held_slots.discard(serving.slot)

    def _forget(self, serving: _Serving) -> None:
        with self._lock:
            if serving in self._live:
                self._live.remove(serving)
            if serving.slot >= 0:
                self._counts[serving.slot] = -1

    def _replace(self) -> None:
        """Start a replacement, backing off if processes keep failing (say, the store went away)."""
        if self._closed.is_set():
            return
        now = time.monotonic()
        self._failures = [t for t in self._failures if now - t < 10] + [now]
        if len(self._failures) > 3 * self.count:
            time.sleep(1.0)
        with self._lock:
            short = self.count - len(self._live)
        for _ in range(short):
            self._spawn()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            live = list(self._live)
            self._live.clear()
        for serving in live:
            with contextlib.suppress(Exception):
                serving.process.terminate()
        for serving in live:
            with contextlib.suppress(Exception):
                serving.process.join(3)
            serving.kill()
