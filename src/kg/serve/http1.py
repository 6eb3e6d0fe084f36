"""A small threaded HTTP/1.1 server for one WSGI app, over a listening socket that other processes may share.

Why not waitress here: waitress reads a request on its I/O thread, hands it to a task thread and hands the response
back, two thread hops that cost about 0.3 ms, more than the engine needs for a small SPARQL query.  In a serving
process (:mod:`kg.serve.prefork`) every connection gets one thread that reads a request, runs it and writes the
answer, the shape of Oxigraph's own server.  The main process still runs waitress for everything else.

What it does: HTTP/1.0 and 1.1, keep-alive and pipelining, ``Content-Length`` and chunked request bodies,
``Expect: 100-continue``, chunked responses when the app gives no length, HEAD, limits on head and body size, an idle
timeout, and clear ``4xx`` answers for malformed requests.  What it leaves out: TLS and HTTP/2 (put a reverse proxy in
front for those, as for any WSGI server).
"""

from __future__ import annotations

import contextlib
import io
import re
import selectors
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 2 << 20
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Headers that describe one connection (or that this server writes itself), never passed on from an app or a client.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                        "proxy-connection", "date", "server"})
_REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable", 505: "HTTP Version Not Supported"}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class HttpError(Exception):
    """A request this server must refuse before the app sees it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Closed(Exception):
    """The client went away (or stayed idle too long) between requests: close quietly."""


class Connection:
    """One client connection.  ``lock`` lets a watchdog answer for a request stuck in the engine, exactly once."""

    def __init__(self, sock: socket.socket, peer: Any) -> None:
        self.sock = sock
        self.peer = peer
        self.lock = threading.Lock()
        self.busy = False  # a request is being read or run (not idle between requests)
        self.responding = False  # the answer to the current request has started to go out
        self.abandoned = False  # someone else answered the current request: drop the app's answer, close
        self.environ: dict[str, Any] | None = None  # the current request, for whoever must answer in its place

    def claim_response(self) -> bool:
        """True if this thread may write the current answer (the watchdog has not written one already)."""
        with self.lock:
            if self.abandoned:
                return False
            self.responding = True
            return True

    def answer_instead(self, payload: bytes) -> bool:
        """Write ``payload`` (a whole response) for the current request on someone else's behalf, then close."""
        with self.lock:
            if self.responding or self.abandoned or not self.busy:
                return False
            self.abandoned = True
        with contextlib.suppress(OSError):
            self.sock.sendall(payload)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        return True


_current = threading.local()


def current() -> Connection | None:
    """The connection whose request this thread is serving (for watchdogs; its ``environ`` is the request), if any."""
    return getattr(_current, "conn", None)


_clock: list[Any] = [0, ""]


def _date() -> str:
    """The Date header, formatted once a second (formatting it cost more than parsing the request)."""
    now = int(time.time())
    if _clock[0] != now:
        _clock[:] = [now, f"Date: {formatdate(now, usegmt=True)}"]
    return _clock[1]


def render(status: str, headers: list[tuple[str, str]], body: bytes = b"", *, close: bool = True,
           version: str = "HTTP/1.1", chunked: bool = False) -> bytes:
    """A complete response head (the app's end-to-end headers, then ours: Date, Server, framing), then ``body``."""
    lines = [f"{version} {status}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in HOP_BY_HOP]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    lines.append(_date())
    lines.append("Server: kg")
    if close:
        lines.append("Connection: close")
    elif version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def plain(status: int, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = (message.rstrip() + "\n").encode("utf-8")
    return (f"{status} {_REASONS.get(status, 'Error')}",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))], body)


class _Reader:
    """Reads requests off one socket, keeping bytes that belong to the next (pipelined) request."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        # One receive buffer per connection: a fresh 64 KB bytes object per recv() cost more in malloc than the
        # request's parsing (seen with perf on a serving process).
        self.scratch = bytearray(65536)
        self.view = memoryview(self.scratch)

    def _fill(self) -> None:
        try:
            n = self.sock.recv_into(self.scratch)
        except (BlockingIOError, TimeoutError):  # the receive timeout: idle too long
            raise _Closed from None
        if not n:
            raise _Closed
        self.buf += self.view[:n]

    def head(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end > MAX_HEAD_BYTES:
                raise HttpError(431, f"the request head is over {MAX_HEAD_BYTES} bytes")
            if end >= 0:
                head = bytes(self.buf[:end])
                del self.buf[: end + 4]
                return head
            if len(self.buf) > MAX_HEAD_BYTES:
                raise HttpError(431, f"the request head is over {MAX_HEAD_BYTES} bytes")
            if len(self.buf) <= 2 and not self.buf.strip(b"\r\n"):
                del self.buf[:]  # blank lines between requests are allowed (RFC 9112 2.2)
            self._fill()

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            if len(self.buf) > 4096:
                raise HttpError(400, "a chunk-size line of the request body is too long")
            self._fill()
        data = bytes(self.buf[:end])
        del self.buf[: end + 2]
        return data

    def chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_text = self.line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise HttpError(400, f"bad chunk size {size_text[:20]!r} in the request body") from None
            if size == 0:
                while self.line():  # trailer fields, ignored
                    pass
                return bytes(body)
            if len(body) + size > MAX_BODY_BYTES:
                raise HttpError(413, f"the request body is over {MAX_BODY_BYTES} bytes")
            body += self.exactly(size)
            if self.exactly(2) != b"\r\n":
                raise HttpError(400, "a chunk of the request body does not end with CRLF")


class Share(Protocol):
    """How a server sharing its listener with other processes spreads the connections (see kg.serve.prefork)."""

    def report(self, connections: int) -> None: ...

    def my_turn(self, connections: int) -> bool: ...


class HttpServer:
    """Serves ``app`` on ``listener`` (already bound and listening), one thread per connection."""

    def __init__(self, listener: socket.socket, app: WsgiApp, *, idle_timeout: float = 120.0,
                 max_connections: int = 256, share: Share | None = None) -> None:
        self.listener = listener
        self.app = app
        self.share = share
        self.idle_timeout = idle_timeout
        self.slots = threading.BoundedSemaphore(max_connections)
        name, port = listener.getsockname()[:2]
        self.server_name, self.server_port = str(name), str(port)
        self.connections: set[Connection] = set()
        self._headers: dict[bytes, tuple[dict[str, str], str, str, str, str]] = {}  # see _parse_headers
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()

    # --- accepting ---------------------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Accept until :meth:`stop`.  The listener is shared: another process may win an accept, which is fine."""
        self.listener.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            deferred = 0
            while not self._stopping.is_set():
                if not self.slots.acquire(timeout=0.5):
                    continue
                try:
                    ready = selector.select()
                    if self._stopping.is_set() or not any(key.fileobj is self.listener for key, _ in ready):
                        self.slots.release()
                        continue
                    if self.share is not None and not self.share.my_turn(len(self.connections)) and deferred < 5:
                        deferred += 1  # a process with fewer connections is woken too: let it take this one
                        self.slots.release()
                        time.sleep(0.001)
                        continue
                    deferred = 0
                    sock, peer = self.listener.accept()
                except (BlockingIOError, InterruptedError):
                    self.slots.release()
                    continue
                except OSError:
                    self.slots.release()
                    if self._stopping.is_set():
                        break
                    raise
                # Blocking, with the idle limit as the kernel's receive timeout rather than Python's (which polls
                # before every recv and send: two more system calls per request).
                sock.setblocking(True)
                seconds = int(self.idle_timeout)
                micros = int((self.idle_timeout - seconds) * 1e6)
                limit = struct.pack("ll", seconds, micros)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)  # a client that stops reading
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn = Connection(sock, peer)
                with self._lock:
                    self.connections.add(conn)
                    self._report()
                threading.Thread(target=self._serve_connection, args=(conn,), name="kg-http", daemon=True).start()

    def _report(self) -> None:
        if self.share is not None:
            self.share.report(len(self.connections))

    def stop(self) -> None:
        """Stop accepting and close the connections that wait idle between requests; busy ones finish."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        with self._lock:
            idle = [conn for conn in self.connections if not conn.busy]
        for conn in idle:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def busy_connections(self) -> list[Connection]:
        with self._lock:
            return [conn for conn in self.connections if conn.busy and not conn.abandoned]

    # --- one connection ----------------------------------------------------------------------------------------

    def _serve_connection(self, conn: Connection) -> None:
        reader = _Reader(conn.sock)
        try:
            keep_alive = True
            while keep_alive and not self._stopping.is_set():
                try:
                    head = reader.head()
                    conn.busy, conn.responding, conn.abandoned = True, False, False
                    keep_alive = self._serve_request(conn, reader, head)
                except HttpError as exc:
                    status, headers, body = plain(exc.status, str(exc))
                    if conn.claim_response():
                        conn.sock.sendall(render(status, headers, body, close=True))
                    return
                except _Closed:
                    return
                finally:
                    conn.busy = False
                    _current.conn = None
        except OSError:
            return  # the client reset the connection, or the watchdog closed it
        finally:
            with self._lock:
                self.connections.discard(conn)
                self._report()
            with contextlib.suppress(OSError):
                conn.sock.close()
            self.slots.release()

    def _serve_request(self, conn: Connection, reader: _Reader, head: bytes) -> bool:
        """Read the body, run the app, write the answer.  Returns whether the connection stays open."""
        environ, version, wants_close, expects_continue, body_kind, length = self._parse(conn, head)
        if expects_continue and (body_kind == "chunked" or length) and version == "HTTP/1.1":
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = reader.chunked() if body_kind == "chunked" else (reader.exactly(length) if length else b"")
        environ["CONTENT_LENGTH"] = str(len(body)) if body or body_kind else environ.get("CONTENT_LENGTH", "")
        environ["wsgi.input"] = io.BytesIO(body)
        keep_alive = not wants_close
        conn.environ = environ
        _current.conn = conn
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            if exc_info and started and conn.responding:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, list(headers)]
            return lambda data: pending.append(data)

        pending: list[bytes] = []
        try:
            result = self.app(environ, start_response)
        except Exception as exc:  # an app bug answers 500 and keeps the server up, as any WSGI server does
            print(f"kg serve: error in {environ['REQUEST_METHOD']} {environ.get('RAW_URI')}: {exc!r}",
                  file=sys.stderr)
            status, headers, payload = plain(500, f"internal error: {type(exc).__name__}")
            if conn.claim_response():
                conn.sock.sendall(render(status, headers, payload, close=True))
            return False
        try:
            return self._write(conn, environ, version, keep_alive, started, pending, result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _write(self, conn: Connection, environ: dict[str, Any], version: str, keep_alive: bool, started: list[Any],
               pending: list[bytes], result: Iterable[bytes]) -> bool:
        chunks = iter(result)
        first = b"".join(pending)
        for chunk in chunks:  # WSGI: headers may be set until the first non-empty chunk
            if chunk:
                first += chunk
                break
        if not started:
            raise HttpError(500, "the application gave no status")
        status, headers = started
        if not conn.claim_response():
            return False  # the watchdog answered already (the query overran): close without a second answer
        names = {name.lower() for name, _ in headers}
        head_only = environ["REQUEST_METHOD"] == "HEAD"
        no_body = head_only or status[:3] in ("204", "304") or status[0] == "1"
        chunked = False
        if "content-length" not in names and not no_body:
            if isinstance(result, (list, tuple)):
                rest = b"".join(chunks)
                first += rest
                headers.append(("Content-Length", str(len(first))))
            elif version == "HTTP/1.1":
                chunked = True
            else:
                keep_alive = False  # HTTP/1.0 without a length: the end of the body is the end of the connection
        sock = conn.sock
        head = render(status, headers, close=not keep_alive, version=version, chunked=chunked)
        if no_body:
            sock.sendall(head)
            return keep_alive
        if not chunked:
            sock.sendall(head + first)
            for chunk in chunks:
                if chunk:
                    sock.sendall(chunk)
            return keep_alive
        sock.sendall(head + (b"%x\r\n%s\r\n" % (len(first), first) if first else b""))
        for chunk in chunks:
            if chunk:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")
        return keep_alive

    def _parse(self, conn: Connection, head: bytes) -> tuple[dict[str, Any], str, bool, bool, str, int]:
        request_line, _, header_block = head.partition(b"\r\n")
        line = request_line.decode("latin-1")
        parts = line.split(" ")
        if len(parts) != 3 or not _TOKEN.match(parts[0]):
            raise HttpError(400, f"malformed request line {line[:80]!r}")
        method, target, version = parts
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise HttpError(505, f"HTTP version {version[:20]!r} is not supported (use HTTP/1.1)")
        if target.startswith(("http://", "https://")):  # absolute form: keep the path and query
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        if not target.startswith("/") and not (method == "OPTIONS" and target == "*"):
            raise HttpError(400, f"request target {target[:80]!r} is not a path")
        path, _, query = target.partition("?")
        fields = self._headers.get(header_block)
        if fields is None:
            fields = _parse_headers(header_block)
            if len(self._headers) > 256:
                self._headers.clear()
            self._headers[header_block] = fields
        headers, length_text, transfer, connection, expect = fields
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1") if "%" in path else path,
            "QUERY_STRING": query, "RAW_URI": target, "REQUEST_URI": target, "SERVER_PROTOCOL": version,
            "SERVER_NAME": self.server_name, "SERVER_PORT": self.server_port,
            "REMOTE_ADDR": str(conn.peer[0]) if isinstance(conn.peer, tuple) else "",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            **headers,
        }
        body_kind, length = "", 0
        if transfer:
            if length_text:
                raise HttpError(400, "a request may not have both Transfer-Encoding and Content-Length")
            if transfer != "chunked":
                raise HttpError(501, f"transfer coding {transfer!r} is not supported (use chunked)")
            body_kind = "chunked"
        elif length_text:
            if not length_text.isdigit():
                raise HttpError(400, f"bad Content-Length {length_text[:20]!r}")
            length = int(length_text)
            if length > MAX_BODY_BYTES:
                raise HttpError(413, f"the request body ({length} bytes) is over {MAX_BODY_BYTES} bytes")
            environ["CONTENT_LENGTH"] = length_text
        tokens = {t.strip() for t in connection.split(",")} if connection else ()
        wants_close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
        return environ, version, wants_close, expect == "100-continue", body_kind, length


def _parse_headers(block: bytes) -> tuple[dict[str, str], str, str, str, str]:
    """The header fields as WSGI environ entries, plus the ones that frame the request (Content-Length,
    Transfer-Encoding, Connection, Expect).  Pure, so a connection's repeated header block is parsed once."""
    environ: dict[str, str] = {}
    length_text = transfer = connection = expect = ""
    for line in block.decode("latin-1").split("\r\n") if block else ():
        name, sep, value = line.partition(":")
        if not sep or not _TOKEN.match(name):
            raise HttpError(400, f"malformed header line {line[:80]!r}")
        key = name.upper().replace("-", "_")
        value = value.strip()
        if key == "CONTENT_LENGTH":
            if length_text and length_text != value:
                raise HttpError(400, "two different Content-Length headers")
            length_text = value
            continue
        if key == "TRANSFER_ENCODING":
            transfer = value.lower()
        elif key == "CONNECTION":
            connection = value.lower()
        elif key == "EXPECT":
            expect = value.lower()
        if "_" in name:
            continue  # X_Forwarded_For would look like X-Forwarded-For to the app: drop it, as waitress does
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        env_key = "HTTP_" + key
        environ[env_key] = environ[env_key] + "," + value if env_key in environ else value
    return environ, length_text, transfer, connection, expect
