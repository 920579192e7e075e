"""The session against real sockets on 127.0.0.1: what a mock cannot fake.

These are behaviour tests with generous bounds (a busy 2-core CI box), not benchmarks.
"""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import nexudus
from nexudus.http import Transport

from .servers import closed_port_url, http_server, raw_server, read_request_head, send, trickle

BODY = b'{"Records": []}'
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


def short_session(**overrides: float) -> Transport:
    options: dict[str, float] = {"connect_timeout": 0.5, "read_timeout": 5.0, "deadline": 1.0}
    options.update(overrides)
    return Transport(sleep=lambda seconds: None, **options)  # type: ignore[arg-type]


def timed_failure(session: Transport, url: str) -> tuple[nexudus.NexudusError, float]:
    started = time.monotonic()
    with pytest.raises(nexudus.NexudusError) as caught:
        session.get(url)
    return caught.value, time.monotonic() - started


# --- a total deadline, whatever the server does ---------------------------------------------------


def test_it_cuts_a_body_trickling_one_byte_at_a_time_at_the_deadline():
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(HEAD + b"Content-Length: 1000\r\n\r\n")
        trickle(conn, stop, b"x" * 1000, every=0.2)

    with raw_server(behave) as server:
        error, elapsed = timed_failure(short_session(), f"{server.base_url}/slow")

    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == "deadline exceeded"
    assert 0.8 < elapsed < 3  # the read timeout (5 s) never fires: the deadline does
    assert len(server.accepted) == 1


def test_it_cuts_a_chunked_body_trickling_one_chunk_at_a_time_at_the_deadline():
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        while not stop.wait(0.2):
            conn.sendall(b"1\r\nx\r\n")

    with raw_server(behave) as server:
        error, elapsed = timed_failure(short_session(), f"{server.base_url}/slow")

    assert isinstance(error, nexudus.Unavailable)
    assert 0.8 < elapsed < 3


def test_it_cuts_a_server_trickling_its_status_line_and_headers_at_the_deadline():
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        trickle(conn, stop, HEAD + b"X-Padding: " + b"p" * 500 + b"\r\n\r\n", every=0.2)

    with raw_server(behave) as server:
        error, elapsed = timed_failure(short_session(), f"{server.base_url}/slow")

    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == "deadline exceeded"
    assert 0.8 < elapsed < 3


def test_it_gives_up_on_a_silent_server_after_the_read_timeout_without_retrying():
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        stop.wait(10)

    with raw_server(behave) as server:
        session = short_session(read_timeout=0.3, deadline=5.0)
        error, elapsed = timed_failure(session, f"{server.base_url}/silent")
        accepted = len(server.accepted)

    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == "read timeout"
    assert elapsed < 3
    assert accepted == 1  # a server that took the request and went quiet is not asked again


def test_it_gives_up_on_a_closed_port_after_two_retries(caplog):
    caplog.set_level(logging.INFO, logger="nexudus")
    url = f"{closed_port_url()}/api/public/coworkers/profiles"

    error, elapsed = timed_failure(short_session(), url)

    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == "connection failed"
    attempts = [r.getMessage() for r in caplog.records if r.name == "nexudus"]
    assert [message[-13:] for message in attempts] == [
        "(attempt 1/3)",
        "(attempt 2/3)",
        "(attempt 3/3)",
    ]
    assert elapsed < 3


# --- ordinary bodies, read piece by piece ---------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_it_reads_a_body_that_arrives_in_pieces_in_full(framing):
    pieces = [b'{"Records": [', b'{"Id": 1},', b'{"Id": 2}', b"]}"]

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        if framing == "chunked":
            conn.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
            for piece in pieces:
                stop.wait(0.05)
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.sendall(b"0\r\n\r\n")
        else:
            conn.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(b"".join(pieces)))
            for piece in pieces:
                stop.wait(0.05)
                conn.sendall(piece)
        stop.wait(5)

    with raw_server(behave) as server:
        response = short_session().get(f"{server.base_url}/pieces")

    assert response.json() == {"Records": [{"Id": 1}, {"Id": 2}]}


def gzipped(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    return compressor.compress(data) + compressor.flush()


def test_it_decompresses_gzip_bodies():
    body = gzipped(BODY * 100)

    def respond(handler: object) -> None:
        send(handler, 200, body, headers={"Content-Encoding": "gzip"})  # type: ignore[arg-type]

    with http_server(respond) as server:
        response = short_session().get(f"{server.base_url}/gz")

    assert response.content == BODY * 100


def test_it_caps_what_a_gzip_bomb_expands_to_not_what_it_weighs():
    bomb = gzipped(b" " * (64 * 1024 * 1024))  # ~64 KB on the wire, 64 MB unpacked

    def respond(handler: object) -> None:
        send(handler, 200, bomb, headers={"Content-Encoding": "gzip"})  # type: ignore[arg-type]

    with http_server(respond) as server:
        session = short_session(max_body_bytes=1024 * 1024, deadline=5.0)
        with pytest.raises(nexudus.BadResponse) as caught:
            session.get(f"{server.base_url}/bomb")

    assert caught.value.reason == "body too large"


def test_it_retries_a_get_whose_connection_is_cut_mid_body():
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        if len(server.accepted) == 1:
            conn.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"Rec')
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            return  # closed with a reset
        conn.sendall(HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))

    with raw_server(behave) as server:
        response = short_session().get(f"{server.base_url}/flaky")
        accepted = len(server.accepted)

    assert response.content == BODY
    assert accepted == 2


def test_it_reuses_a_pooled_connection_long_after_the_first_calls_deadline():
    with http_server(lambda handler: send(handler, 200, BODY)) as server:
        session = short_session(deadline=0.3)
        assert session.get(f"{server.base_url}/one").content == BODY
        threading.Event().wait(0.5)  # the first call's watchdog must be long disarmed
        assert session.get(f"{server.base_url}/two").content == BODY


# --- redirects and TLS (S22) ----------------------------------------------------------------------


def test_it_never_follows_a_redirect_to_another_host():
    with http_server(lambda handler: send(handler, 200, BODY)) as elsewhere:

        def redirect(handler: object) -> None:
            send(handler, 302, b"", headers={"Location": f"{elsewhere.base_url}/steal"})  # type: ignore[arg-type]

        with http_server(redirect) as upstream:
            session = short_session()
            with pytest.raises(nexudus.BadResponse):
                session.get(
                    f"{upstream.base_url}/api/public/coworkers/profiles",
                    headers={"Authorization": "Bearer access-abc"},
                )

    assert elsewhere.requests == []


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[ssl.SSLContext]:
    """A server TLS context with a certificate no public CA vouches for."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.cert_path = cert  # type: ignore[attr-defined]
    yield context


def tls_server(context: ssl.SSLContext, then: object):
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            then(tls, stop)  # type: ignore[operator]

    return raw_server(behave)


def test_it_refuses_an_untrusted_certificate_without_retrying(self_signed):
    def respond(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        read_request_head(tls)
        tls.sendall(HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))

    with tls_server(self_signed, respond) as server:
        https = server.base_url.replace("http://", "https://")
        error, _ = timed_failure(short_session(), f"{https}/api/public/coworkers/profiles")
        accepted = len(server.accepted)

    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == "TLS failure"
    assert accepted == 1


def test_it_cuts_a_trickle_over_tls_at_the_deadline(self_signed, monkeypatch):
    # Trust this one certificate, the way a real CA bundle would trust Nexudus.
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(self_signed.cert_path))

    def respond(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        read_request_head(tls)
        tls.sendall(HEAD + b"Content-Length: 1000\r\n\r\n")
        trickle(tls, stop, b"x" * 1000, every=0.2)

    with tls_server(self_signed, respond) as server:
        https = server.base_url.replace("http://", "https://")
        session = short_session()
        error, elapsed = timed_failure(session, f"{https}/slow")

    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == "deadline exceeded"
    assert 0.8 < elapsed < 3
