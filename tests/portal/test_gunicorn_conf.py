"""gunicorn.conf.py: an access log that URLs cannot forge, and forwarded headers trusted only
behind our own proxy."""

from __future__ import annotations

import runpy
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from gunicorn.config import Config

from tests.harness.portal import ROOT, PortalServer, portal_env, prepare, start_portal
from web.gunicorn_log import escape_for_log

FORGED = '127.0.0.1 "GET /admin/ HTTP/1.1" 200 0 1ms'


def _gunicorn_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> Config:
    """gunicorn's own reading of gunicorn.conf.py under `env`."""
    for name in ("DJANGO_BEHIND_PROXY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    return config


@pytest.mark.parametrize("behind_proxy", [None, "0", "no"])
def test_gunicorn_trusts_no_forwarded_headers_without_our_proxy(monkeypatch, behind_proxy) -> None:
    env = {} if behind_proxy is None else {"DJANGO_BEHIND_PROXY": behind_proxy}
    assert _gunicorn_config(monkeypatch, **env).forwarded_allow_ips == []


def test_behind_our_proxy_gunicorn_trusts_loopback_or_the_proxy_named(monkeypatch) -> None:
    config = _gunicorn_config(monkeypatch, DJANGO_BEHIND_PROXY="1")
    assert config.forwarded_allow_ips == ["127.0.0.1", "::1"]
    config = _gunicorn_config(monkeypatch, DJANGO_BEHIND_PROXY="1", FORWARDED_ALLOW_IPS="10.0.0.7")
    assert config.forwarded_allow_ips == ["10.0.0.7"]


def test_the_logger_is_ours(monkeypatch) -> None:
    from web.gunicorn_log import PortalLogger

    assert _gunicorn_config(monkeypatch).logger_class is PortalLogger


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        ("/invoices/", "/invoices/"),
        ("/a\r\nb", "/a\\x0d\\x0ab"),
        ("/\x1b[2J\x08\x00\x7f", "/\\x1b[2J\\x08\\x00\\x7f"),
        ('/say"hi"\\', '/say\\"hi\\"\\\\'),
        # WSGI strings are latin-1 decodings of UTF-8 bytes.
        ("/caf\xc3\xa9", "/café"),
        ("/nel\xc2\x85x", "/nel\\x85x"),
        ("/line\xe2\x80\xa8sep", "/line\\u2028sep"),
        ("/\xe2\x80\xaeevil", "/\\u202eevil"),
        ("/not-utf8\xff", "/not-utf8\\xff"),
    ],
)
def test_it_writes_every_logged_value_on_one_printable_line(raw: str, logged: str) -> None:
    assert escape_for_log(raw) == logged
    assert len(escape_for_log(raw).splitlines()) == 1


@pytest.fixture(scope="module")
def production_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """One gunicorn worker on SQLite, HTTPS redirect on, no upstream: enough for these pages."""
    workdir = tmp_path_factory.mktemp("gunicorn")
    env = portal_env(
        nexudus_url="http://127.0.0.1:9",
        database_url=f"sqlite:///{workdir / 'db.sqlite3'}",
        redis_url=None,
        workers=1,
        threads=2,
        DJANGO_SECURE_SSL_REDIRECT="1",
    )
    prepare(env, collect_static=False)
    portal = start_portal(env, workdir / "gunicorn.log")
    yield portal
    portal.stop()


def _raw_request(portal: PortalServer, target: bytes, *headers: bytes) -> bytes:
    """Send a request line as given, byte for byte (no client library would send these)."""
    port = int(portal.url.rsplit(":", 1)[1])
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close", *headers]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


def _log_after(portal: PortalServer, mark: int, expected: bytes) -> bytes:
    """The log written after `mark`, once `expected` is in it (a worker logs after answering)."""
    deadline = time.monotonic() + 10
    while True:
        written = portal.log_path.read_bytes()[mark:]
        if expected in written or time.monotonic() > deadline:
            return written
        time.sleep(0.05)


def _assert_every_line_is_honest(written: bytes) -> None:
    # No raw control byte but the newline that ends each line, and no line that a URL began.
    assert not [byte for byte in written if (byte < 0x20 and byte != 0x0A) or byte == 0x7F]
    text = written.decode("utf-8", errors="replace")
    # str.splitlines also breaks at \x1c-\x1e, \x85, U+2028 and U+2029, as some log viewers do.
    assert not [line for line in text.splitlines() if line.startswith(FORGED)]
    assert "\u2028" not in text and "\x85" not in text


@pytest.mark.parametrize(
    "separator",
    [b"%0d%0a", b"%0a", b"%0d", b"%0b%0c", b"%1b[2K%0d", b"%e2%80%a8", b"%c2%85", b"%00"],
)
def test_a_url_cannot_forge_a_line_of_the_access_log(production_portal, separator) -> None:
    mark = production_portal.log_size()
    target = b"/forged" + separator + quote(FORGED).encode()

    status = _raw_request(production_portal, target)

    assert status == b"HTTP/1.1 301 Moved Permanently"  # to https: SSL redirect is on
    written = _log_after(production_portal, mark, b"/forged")
    _assert_every_line_is_honest(written)
    ours = [line for line in written.decode().splitlines() if "/forged" in line]
    assert len(ours) == 1
    assert ours[0].startswith('127.0.0.1 "GET /forged\\')
    assert ours[0].endswith("ms")
    assert 'HTTP/1.1\\" 200 0 1ms HTTP/1.1" 301 0 ' in ours[0]


@pytest.mark.parametrize(
    "raw",
    [b"\x1b[2K\x08", b"\x00", b"\x7f", b"\x0b", b"\x0c", b"\r", b"\x85", b"\xe2\x80\xa8", b"\t"],
)
def test_control_bytes_in_a_request_line_reach_no_log_raw(production_portal, raw) -> None:
    mark = production_portal.log_size()
    target = b"/literal" + raw + quote(FORGED).encode()

    status = _raw_request(production_portal, target)

    written = _log_after(production_portal, mark, b"/literal")
    assert b"/literal" in written, written
    _assert_every_line_is_honest(written)
    if status != b"HTTP/1.1 400 Bad Request":  # gunicorn refuses most of them outright
        ours = [line for line in written.decode().splitlines() if "/literal" in line]
        assert len(ours) == 1 and ours[0].startswith('127.0.0.1 "GET /literal\\'), ours


def test_a_client_cannot_claim_https_with_a_forwarded_header(production_portal) -> None:
    # From 127.0.0.1, gunicorn's default would believe it and Django would serve the page as if
    # it came over HTTPS; here it is only a header, so plain HTTP is still sent to https.
    status = _raw_request(production_portal, b"/login/", b"X-Forwarded-Proto: https")
    assert status == b"HTTP/1.1 301 Moved Permanently"
    assert _raw_request(production_portal, b"/login/", b"X-Forwarded-Ssl: on") == status


def test_a_refused_request_leaves_its_query_string_out_of_the_error_log(production_portal) -> None:
    mark = production_portal.log_size()

    status = _raw_request(production_portal, b"/refused\x1b?t=media-jwt-secret&x=1")

    assert status == b"HTTP/1.1 400 Bad Request"
    written = _log_after(production_portal, mark, b"/refused")
    assert b"/refused" in written
    assert b"media-jwt-secret" not in written
