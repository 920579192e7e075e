"""Serve a SandboxApp over HTTP: in a background thread (tests, `make run`) or in the
foreground (`python -m sandbox`)."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.app import SandboxApp
from web.logging import redact_query_strings


class _Handler(WSGIRequestHandler):
    """Werkzeug's handler with two changes the Nexudus stand-in needs.

    - It keeps the `client_id` header. Werkzeug drops every header whose name contains "_"
      (so `client-id` cannot spoof it), but Nexudus's refresh grant requires exactly that
      header. Only this one name is let through.
    - It logs `METHOD /path STATUS` without the query string (query strings carry media JWTs
      and checkout tokens), or nothing at all when the server is quiet.
    """

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        values = [value for key, value in self.headers.items() if key.lower() == "client_id"]
        if values:
            environ["HTTP_CLIENT_ID"] = values[-1].replace("\r\n", "")
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = (getattr(self, "path", None) or "").split("?", 1)[0]
        command = getattr(self, "command", None) or "-"
        self._write(f"{command} {path} {code}")

    def log(self, type: str, message: str, *args: Any) -> None:
        # Werkzeug's other messages ("Bad request syntax (...)") may quote the request line,
        # query string and all: keep them, minus anything after a "?".
        self._write(redact_query_strings(message % args if args else message))

    def _write(self, line: str) -> None:
        stream: TextIO | None = getattr(self.server, "sandbox_log_stream", None)
        if stream is not None:
            stream.write(f"{line.rstrip()}\n")
            stream.flush()


@dataclass
class RunningSandbox:
    """A sandbox served from a daemon thread. Use `.url`; call `.stop()` (or use `with`)."""

    url: str
    app: SandboxApp
    port: int
    host: str
    server: BaseWSGIServer = field(repr=False)
    thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _make_server(
    host: str, port: int, app: SandboxApp, log_stream: TextIO | None
) -> BaseWSGIServer:
    server = make_server(host, port, app, threaded=True, request_handler=_Handler)
    server.sandbox_log_stream = log_stream  # type: ignore[attr-defined]
    return server


def sandbox_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_in_thread(
    host: str = "127.0.0.1", port: int = 0, app: SandboxApp | None = None
) -> RunningSandbox:
    """Serve `app` (a fresh SandboxApp by default) on `host:port`; port 0 picks a free one."""
    app = app or SandboxApp()
    server = _make_server(host, port, app, log_stream=None)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="sandbox"
    )
    thread.start()
    actual_port = server.server_port
    return RunningSandbox(
        url=sandbox_url(host, actual_port),
        app=app,
        port=actual_port,
        host=host,
        server=server,
        thread=thread,
    )


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8001,
    app: SandboxApp | None = None,
    log_stream: TextIO | None = None,
    banner: str | None = None,
) -> None:
    """Serve in the foreground until interrupted, logging one line per request.

    `banner` is written once the port is bound, so whoever waits for it can connect at once.
    """
    app = app or SandboxApp()
    log_stream = log_stream or sys.stderr
    server = _make_server(host, port, app, log_stream=log_stream)
    if banner:
        log_stream.write(f"{banner}\n")
        log_stream.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
