"""What each fault of the `fault` knob answers: a broken, slow, huge or hostile upstream.

`SandboxApp` asks for one of these in place of the real handler. "reset" is different: it
drops the connection before any answer (`reset_connection`).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.knobs import Knobs
from sandbox.responses import JSON_TYPE, json_response

_GATEWAY_TITLES = {"502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}


def fault_response(fault: str, request: Request, knobs: Knobs) -> Response:
    """The answer for `fault` (one of FAULTS but "reset") to this request."""
    if fault == "500":
        return json_response({"Message": "An error has occurred."}, 500)
    if fault in _GATEWAY_TITLES:
        # Gateways and load balancers answer these, in HTML, not the API.
        title = f"{fault} {_GATEWAY_TITLES[fault]}"
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(html, status=int(fault), content_type="text/html; charset=utf-8")
    if fault == "429":
        response = json_response({"Message": "Too many requests. Try again later."}, 429)
        response.headers["Retry-After"] = "3600"
        return response
    if fault == "malformed":
        return Response('{"Records": [', status=200, content_type=JSON_TYPE)
    if fault == "html":
        return Response(_LOGIN_PAGE, status=200, content_type="text/html; charset=utf-8")
    if fault == "wrong_types":
        return json_response(_wrong_types_body(request.path))
    if fault == "trickle":
        body = b'{"Records": [], "TotalItems": 0, "HasNextPage": false}'
        return _stream(_trickle(body, knobs.trickle_interval_ms / 1000), len(body))
    if fault == "huge":
        size = knobs.huge_bytes
        return _stream(_huge_json(size), _huge_json_length(size))
    raise ValueError(f"unknown fault {fault!r}")


def reset_connection(environ: dict[str, Any]) -> None:
    """Drop the client's connection with a TCP reset, then abort the request.

    SO_LINGER 0 makes the close send RST instead of FIN. The server still holds the socket
    object (and file objects over it), so `close()` would not release the descriptor; instead a
    dead socketpair end is duplicated over the descriptor. That closes the TCP socket at once
    and leaves the server reading EOF and failing writes with EPIPE, which it treats as a
    client that went away. Without a real socket (the werkzeug test client, other servers) the
    ConnectionResetError simply propagates to the caller.
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket) and sock.fileno() >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        dead, peer = socket.socketpair()
        peer.close()
        try:
            os.dup2(dead.fileno(), sock.fileno())
        finally:
            dead.close()
    raise ConnectionResetError("sandbox fault: connection reset")


def _stream(chunks: Iterator[bytes], length: int) -> Response:
    response = Response(chunks, status=200, content_type=JSON_TYPE, direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    return response


def _trickle(body: bytes, interval_seconds: float) -> Iterator[bytes]:
    for index in range(len(body)):
        if index:
            time.sleep(interval_seconds)
        yield body[index : index + 1]


_HUGE_PREFIX = b'{"Records":['
_HUGE_SUFFIX = b'],"TotalItems":0,"HasNextPage":false}'
_HUGE_RECORD = b'{"Id":1,"InvoiceNumber":"HUGE","Padding":"' + b"x" * 1000 + b'"}'


def _huge_record_count(size: int) -> int:
    return max(1, (size - len(_HUGE_PREFIX) - len(_HUGE_SUFFIX)) // (len(_HUGE_RECORD) + 1))


def _huge_json_length(size: int) -> int:
    count = _huge_record_count(size)
    return len(_HUGE_PREFIX) + count * len(_HUGE_RECORD) + (count - 1) + len(_HUGE_SUFFIX)


def _huge_json(size: int) -> Iterator[bytes]:
    # Valid JSON, streamed in ~64 KB chunks so the sandbox never holds the whole body.
    count = _huge_record_count(size)
    yield _HUGE_PREFIX
    batch = 64
    for start in range(0, count, batch):
        n = min(batch, count - start)
        chunk = b",".join([_HUGE_RECORD] * n)
        yield (b"," + chunk) if start else chunk
    yield _HUGE_SUFFIX


def _wrong_types_body(path: str) -> Any:
    """A 200 body with the right keys' wrong types, nulls and missing keys, per endpoint."""
    invoice = {
        "Id": "30001",
        "InvoiceNumber": 42,
        "Draft": None,
        "Paid": "false",
        "CreatedOn": "yesterday",
        "DueDate": None,
        "TotalAmount": "510.00",
        "DueAmount": None,
        "Currency": "GBP",
        "BusinessWebAddress": 7,
        "Lines": None,
    }
    if path == "/api/token":
        return {"access_token": 12345, "token_type": None, "expires_in": "a day"}
    if path == "/api/auth/media/customer":
        return {"jwt": None}
    if path.endswith("/invoices/my"):
        return {"Records": [invoice, None], "TotalItems": "2000", "HasNextPage": "no"}
    if path.endswith("/coworkers/profiles"):
        return {"User": {"Id": "abc", "FullName": None, "Email": 42}, "Profiles": "none"}
    if path.endswith("/businesses/current"):
        return {"Id": "x", "Name": None, "Currency": "GBP", "LanguageCulture": 12}
    return invoice


_LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1>
<form method="post" action="/login"><label>Email <input name="email"></label>
<label>Password <input name="password" type="password"></label>
<button>Sign in</button></form></body></html>
"""
