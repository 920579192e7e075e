"""Serve a SandboxApp over HTTP: in a background thread (tests, `make run`) or in the
foreground (`python -m sandbox`).

What the server writes to its log stream never includes a request body, a query string or an
exception message: request lines are `METHOD /path STATUS`, http.server's complaints lose the
raw request line they quote, and a crash is logged as a traceback of frames and the exception's
type only (its message may quote a request: a body, a password, a token).
"""

from __future__ import annotations

import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, TextIO

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

from sandbox.app import SandboxApp
from web.logging import redact_query_strings


class _Handler(WSGIRequestHandler):
    """Werkzeug's handler with two changes the Nexudus stand-in needs.

    - It keeps the `client_id` header. Werkzeug drops every header whose name contains "_"
      (so `client-id` cannot spoof it), but Nexudus's refresh grant requires exactly that
      header. Only this one name is let through.
    - It logs `METHOD /path STATUS` without the query string (query strings carry media JWTs
      and checkout tokens), or nothing at all when the server is quiet.
    - Its error messages drop the raw request line that http.server quotes in them ("Bad
      request syntax ('...')"): a misbehaving client may have put anything there.
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
        text = message % args if args else message
        if type == "error":
            text = _QUOTED_REQUEST.sub("", text)
        # Anything left may still hold a path: keep it, minus anything after a "?".
        self._write(redact_query_strings(text))

    def _write(self, line: str) -> None:
        _write(getattr(self.server, "sandbox_log_stream", None), line)


# http.server's error messages end with the offending request line in parentheses.
_QUOTED_REQUEST = re.compile(r"\s*\(['\"].*\Z", re.S)


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, with its own messages written the handler's way.

    Werkzeug logs a crash in the app as "Error on request:" and a traceback whose last line is
    the exception's message; socketserver prints a traceback for errors outside the app. Both
    go to the log stream here (stderr when the server is quiet) without that message.
    """

    sandbox_log_stream: TextIO | None = None

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error" and sys.exc_info()[1] is not None:
            text = f"Error on request:\n{_traceback_without_message()}"
        else:
            text = redact_query_strings(message % args if args else message)
        _write(self.sandbox_log_stream or sys.stderr, text)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _write(self.sandbox_log_stream or sys.stderr, _traceback_without_message())


def _traceback_without_message() -> str:
    error = sys.exc_info()[1]
    if error is None:
        return "(no exception)"
    frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
    kind = type(error).__qualname__
    return f"Traceback (most recent call last):\n{frames}{kind} (message not logged)"


def _write(stream: TextIO | None, line: str) -> None:
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
    server = _Server(host, port, app, handler=_Handler)
    server.sandbox_log_stream = log_stream
    return server


def sandbox_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    app: SandboxApp | None = None,
    log_stream: TextIO | None = None,
) -> RunningSandbox:
    """Serve `app` (a fresh SandboxApp by default) on `host:port`; port 0 picks a free one.

    Quiet by default; with `log_stream`, one line per request, as `python -m sandbox` writes.
    """
    app = app or SandboxApp()
    server = _make_server(host, port, app, log_stream=log_stream)
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
