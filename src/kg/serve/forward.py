"""Forwarding a request from a serving process to the Flask app in the main process, over a Unix socket.

Why: a serving process (:mod:`kg.serve.prefork`) answers the SPARQL hot path itself, but the pages, the explorer,
the named queries and the protocol's error cases live in the one Flask app of the main process (the explorer's graph
is built once there, not once per process).  Forwarding keeps one implementation of each of them; it costs a local
round trip, which only the hot path would notice.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.datastructures import EnvironHeaders

from kg.serve.http1 import HOP_BY_HOP


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The client's end-to-end headers (werkzeug rebuilds them from the environ), without the body's length, which
    the forwarder sets itself."""
    return [(name, value) for name, value in EnvironHeaders(environ)
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length"]


class ForwardToApp:
    """A WSGI app that replays each request on the main process's server and relays its answer as it comes."""

    def __init__(self, unix_path: str, *, timeout: float) -> None:
        self.unix_path = unix_path
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self, fresh: bool) -> _UnixConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = self._local.conn = _UnixConnection(self.unix_path, self.timeout)
        return conn

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read()
        headers = request_headers(environ)
        headers.append(("Content-Length", str(len(body))))
        target = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        for attempt in (0, 1):  # a kept-alive connection the app server has closed meanwhile: retry once, fresh
            conn = self._connection(fresh=attempt == 1)
            try:
                conn.putrequest(environ["REQUEST_METHOD"], target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.endheaders(body)
                response = conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                if attempt:
                    raise
        relayed = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
        start_response(f"{response.status} {response.reason}", relayed)
        return _Relay(response, conn)


class _Relay:
    """The app's answer, passed on as it arrives; closing it (as every WSGI server must) frees the connection, or
    drops it when the answer was not read to the end (a HEAD, a client gone), so the next request starts clean."""

    def __init__(self, response: http.client.HTTPResponse, conn: _UnixConnection) -> None:
        self.response = response
        self.conn = conn

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.response.read1(1 << 16):
            yield chunk

    def close(self) -> None:
        finished = self.response.isclosed() or self.response.length == 0
        self.response.close()
        if not finished or self.response.will_close:
            self.conn.close()
