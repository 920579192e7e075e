"""Tiny real servers on 127.0.0.1 for the behaviours `responses` cannot fake: trickling bytes,
silence, refused connections. Each runs in daemon threads and stops when its block ends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class RawServer:
    """Accepts connections and hands each to `behave(conn, stop)` in its own thread."""

    base_url: str
    stop: threading.Event
    accepted: list[socket.socket] = field(default_factory=list)


@contextmanager
def raw_server(behave: Callable[[socket.socket, threading.Event], None]) -> Iterator[RawServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    server = RawServer(f"http://127.0.0.1:{listener.getsockname()[1]}", stop)

    def serve(conn: socket.socket) -> None:
        with closing(conn), suppress(OSError):
            behave(conn, stop)

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.accepted.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def read_request_head(conn: socket.socket) -> bytes:
    """Read up to the blank line that ends a request's headers (our calls send no body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def trickle(conn: socket.socket, stop: threading.Event, data: bytes, every: float) -> None:
    for byte in data:
        if stop.wait(every):
            return
        conn.sendall(bytes([byte]))


def closed_port_url() -> str:
    """A URL whose port refuses connections (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class HTTPServer:
    base_url: str
    requests: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def http_server(handle: Handler) -> Iterator[HTTPServer]:
    """A keep-alive HTTP/1.1 server; `handle` writes the whole response for each request."""
    record: list[tuple[str, str]] = []

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output (and caplog) free of the server's own access log

        def _dispatch(self) -> None:
            record.append((self.command, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
            handle(self)

        do_GET = do_POST = _dispatch

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield HTTPServer(f"http://127.0.0.1:{httpd.server_port}", record)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=2)


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def answering(*statuses: int, body: bytes = b'{"Records": []}') -> Handler:
    """A handler that answers the given statuses in turn, then keeps answering the last."""
    remaining = list(statuses)

    def handle(handler: BaseHTTPRequestHandler) -> None:
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        send(handler, status, body if 200 <= status < 300 else b"<h1>upstream says no</h1>")

    return handle


@contextmanager
def unanswered_port_url() -> Iterator[str]:
    """A URL whose connections never complete: the listener's backlog is full and nothing is
    accepted, so Linux drops new SYNs and a connect waits until its timeout."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with suppress(BlockingIOError, OSError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
