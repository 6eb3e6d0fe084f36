"""The serving processes' HTTP/1.1 server (kg.serve.http1), spoken to over raw sockets: framing that real clients
use (keep-alive, pipelining, chunked bodies both ways, 100-continue, HTTP/1.0, HEAD) and clear refusals of
malformed requests.  The SPARQL behaviour on top of it is covered by the protocol and client tests."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kg.serve import http1


def echo_app(environ: dict[str, Any], start_response: Any) -> Any:
    """Answers with what it was given; ``/stream`` answers in pieces with no length, ``/boom`` fails."""
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("the app failed")
    body = environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return (part.encode("utf-8") for part in ["炎帝", "陵", "基金会"])
    payload = json.dumps({
        "method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"], "query": environ["QUERY_STRING"],
        "length": environ.get("CONTENT_LENGTH", ""), "body": body.decode("utf-8"),
        "headers": sorted(k for k in environ if k.startswith("HTTP_")),
    }, ensure_ascii=False).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    srv = http1.HttpServer(listener, echo_app, idle_timeout=5)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield listener.getsockname()
    srv.stop()
    thread.join(5)
    listener.close()


def exchange(address: tuple[str, int], raw: bytes, *, until_close: bool = True) -> bytes:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(raw)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
            if not until_close and out.count(b"\r\n\r\n") >= 1:
                break
        return out


def test_keep_alive_and_pipelining_answer_in_order(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=5)
    for path in ("/a", "/b?x=%E7%82%8E"):
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200 and not response.will_close
        assert json.loads(response.read())["path"] == path.split("?")[0]
    # Two requests in one packet: two answers, in order, then the connection closes as the second one asked.
    raw = b"GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    out = exchange(server, raw)
    assert out.count(b"HTTP/1.1 200 OK") == 2
    assert out.index(b'"/first"') < out.index(b'"/second"')


def test_chunked_body_and_100_continue(server: tuple[str, int]) -> None:
    body = "ASK { ?s ?p \"株洲\" }".encode()
    raw = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
           b"Connection: close\r\n\r\n" + b"%x\r\n%s\r\n" % (5, body[:5]) + b"%x\r\n%s\r\n" % (len(body) - 5, body[5:])
           + b"0\r\n\r\n")
    out = exchange(server, raw)
    assert out.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    echoed = json.loads(out.split(b"\r\n\r\n", 2)[2])
    assert echoed["body"] == body.decode() and echoed["length"] == str(len(body))


def test_streamed_answer_is_chunked_for_1_1_and_closed_for_1_0(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=5)
    conn.request("GET", "/stream")
    response = conn.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.read().decode("utf-8") == "炎帝陵基金会"
    out = exchange(server, b"GET /stream HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.0 200 OK") and b"Connection: close" in out
    assert out.split(b"\r\n\r\n", 1)[1].decode("utf-8") == "炎帝陵基金会"


def test_head_has_headers_but_no_body(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=5)
    conn.request("HEAD", "/thing")
    response = conn.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) > 0
    assert response.read() == b""
    conn.request("GET", "/after-head")  # the connection is still in step
    assert json.loads(conn.getresponse().read())["path"] == "/after-head"


@pytest.mark.parametrize(("raw", "status", "words"), [
    (b"GARBAGE\r\n\r\n", 400, b"malformed request line"),
    (b"GET /x HTTP/2.0\r\n\r\n", 505, b"not supported"),
    (b"GET nowhere HTTP/1.1\r\n\r\n", 400, b"is not a path"),
    (b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n", 400, b"malformed header line"),
    (b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, b"both"),
    (b"POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413, b"over"),
    (b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, b"bad Content-Length"),
    (b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, b"gzip"),
    (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, b"bad chunk size"),
    (b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, b"head is over"),
])
def test_malformed_requests_get_a_clear_status(server: tuple[str, int], raw: bytes, status: int,
                                               words: bytes) -> None:
    out = exchange(server, raw)
    assert out.startswith(f"HTTP/1.1 {status} ".encode()), out[:80]
    assert b"Connection: close" in out and words in out.split(b"\r\n\r\n", 1)[1]


def test_an_app_error_is_a_500_and_the_server_goes_on(server: tuple[str, int]) -> None:
    out = exchange(server, b"GET /boom HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 500 ") and b"RuntimeError" in out
    conn = http.client.HTTPConnection(*server, timeout=5)
    conn.request("GET", "/fine")
    assert conn.getresponse().status == 200


def test_headers_with_underscores_are_dropped(server: tuple[str, int]) -> None:
    """X_Forwarded_For must not pose as X-Forwarded-For (both become HTTP_X_FORWARDED_FOR)."""
    out = exchange(server, b"GET /h HTTP/1.1\r\nX_Forwarded_For: 6.6.6.6\r\nX-Real: 1\r\nConnection: close\r\n\r\n")
    headers = json.loads(out.split(b"\r\n\r\n", 1)[1])["headers"]
    assert "HTTP_X_REAL" in headers and "HTTP_X_FORWARDED_FOR" not in headers


def test_a_watchdog_answer_replaces_the_apps(server: tuple[str, int]) -> None:
    """What the time limit relies on: once someone else has answered a request, the app's late answer is dropped."""
    sock_a, sock_b = socket.socketpair()
    conn = http1.Connection(sock_a, None)
    conn.busy = True
    assert conn.answer_instead(http1.render("503 Service Unavailable", [("Content-Length", "0")]))
    assert not conn.claim_response()  # the app's answer, coming later, must not be written
    assert not conn.answer_instead(b"again")  # and nobody answers twice
    assert sock_b.recv(1024).startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    sock_b.close()
