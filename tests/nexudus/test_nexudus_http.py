"""The transport's policy: statuses, retries, backoff, caps, headers.

Statuses, caps and headers against a faked upstream (`responses`); retries and backoff against
real sockets, because they happen inside urllib3 (`Retry` on the adapter), below any mock.
"""

from __future__ import annotations

import io
import socket

import pytest
import requests
import responses

import nexudus
from nexudus import errors
from nexudus.api import Api
from nexudus.http import USER_AGENT, Transport
from nexudus.records import InvoicePage
from tests.clock import ManualClock

from .conftest import BASE_URL
from .servers import (
    answering,
    http_server,
    raw_server,
    read_request_head,
    send,
    unanswered_port_url,
)

URL = f"{BASE_URL}/api/public/billing/invoices/my"
PAGE = {"Records": []}
BODY = b'{"Records": []}'


def list_invoices(api: Api) -> InvoicePage:
    return api.list_invoices("access-abc")


def list_invoices_at(base_url: str, transport: Transport) -> InvoicePage:
    return Api(transport, base_url).list_invoices("access-abc")


class FakeClock(ManualClock):
    """A monotonic clock that only moves when the transport sleeps."""

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


# --- statuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raised"),
    [
        (400, nexudus.BadResponse),
        (401, nexudus.Unauthorized),
        (403, nexudus.BadResponse),
        (404, nexudus.NotFound),
        (409, nexudus.Unavailable),
        (422, nexudus.BadResponse),
        (429, nexudus.Unavailable),
        (501, nexudus.Unavailable),
    ],
)
def test_it_sorts_error_statuses_into_a_few_exceptions_without_retrying_them(
    upstream, api, sleeps, status, raised
):
    upstream.get(URL, status=status, body="<h1>upstream says <script>no</script></h1>")

    with pytest.raises(raised) as caught:
        list_invoices(api)

    assert str(caught.value) == f"GET /api/public/billing/invoices/my -> {status}"
    assert caught.value.status == status
    assert len(upstream.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_it_retries_a_get_twice_on_a_gateway_error_then_gives_up(session, sleeps, status):
    with http_server(answering(status)) as server:
        with pytest.raises(nexudus.Unavailable) as caught:
            list_invoices_at(server.base_url, session)
        calls = len(server.requests)

    assert caught.value.status == status
    assert calls == 3
    # Full jitter with random() pinned to 1.0: the caps of 0.25 * 2**n.
    assert sleeps == [0.25, 0.5]


def test_it_returns_the_answer_when_a_retry_succeeds(session, sleeps):
    with http_server(answering(503, 200)) as server:
        assert list_invoices_at(server.base_url, session).invoices == ()
        calls = len(server.requests)

    assert calls == 2
    assert sleeps == [0.25]


def test_it_does_not_sleep_on_retry_after_when_throttled(session, sleeps):
    def throttled(handler: object) -> None:
        send(handler, 429, b"slow down", headers={"Retry-After": "3600"})  # type: ignore[arg-type]

    with http_server(throttled) as server:
        with pytest.raises(nexudus.Unavailable):
            list_invoices_at(server.base_url, session)
        calls = len(server.requests)

    assert calls == 1
    assert sleeps == []


def test_it_does_not_follow_redirects(upstream, api):
    upstream.get(URL, status=302, headers={"Location": "https://evil.test/steal"})
    upstream.get("https://evil.test/steal", json=PAGE)

    with pytest.raises(nexudus.BadResponse) as caught:
        list_invoices(api)

    assert caught.value.status == 302
    assert [call.request.url.split("?")[0] for call in upstream.calls] == [URL]


def test_it_accepts_any_2xx(upstream, api):
    upstream.get(URL, status=203, json=PAGE)

    assert list_invoices(api).invoices == ()


# --- transport errors -----------------------------------------------------------------------------


def reset_the_first_connection():
    """A raw server behaviour: the first connection is reset before any answer, later ones
    get a normal answer."""
    seen: list[socket.socket] = []

    def behave(conn: socket.socket, stop: object) -> None:
        seen.append(conn)
        read_request_head(conn)
        if len(seen) == 1:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
            return  # closed with a reset
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        conn.sendall(head + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))

    return behave


def test_it_retries_a_get_after_a_connection_error(session, sleeps):
    with raw_server(reset_the_first_connection()) as server:
        assert list_invoices_at(server.base_url, session).invoices == ()
        accepted = len(server.accepted)

    assert accepted == 2
    assert len(sleeps) == 1


def test_it_retries_a_connect_timeout_but_not_a_read_timeout(sleeps):
    transport = Transport(connect_timeout=0.2, deadline=5.0, sleep=sleeps.append)
    with unanswered_port_url() as url, pytest.raises(nexudus.Unavailable) as caught:
        list_invoices_at(url, transport)
    assert caught.value.reason == "connect timeout"
    assert len(sleeps) == 2  # two retries: three connects

    def silent(conn, stop) -> None:
        read_request_head(conn)
        stop.wait(5)

    quiet = Transport(read_timeout=0.2, deadline=5.0, sleep=sleeps.append)
    with raw_server(silent) as server:
        with pytest.raises(nexudus.Unavailable) as caught:
            list_invoices_at(server.base_url, quiet)
        accepted = len(server.accepted)
    assert caught.value.reason == "read timeout"
    assert accepted == 1
    assert len(sleeps) == 2


def test_it_does_not_retry_a_tls_failure(upstream, api):
    upstream.get(URL, body=requests.exceptions.SSLError("certificate verify failed"))

    with pytest.raises(nexudus.Unavailable) as caught:
        list_invoices(api)

    assert caught.value.reason == "TLS failure"
    assert len(upstream.calls) == 1


def test_it_never_retries_a_post_even_on_a_connection_error(session, sleeps):
    with raw_server(reset_the_first_connection()) as server:
        with pytest.raises(nexudus.Unavailable):
            Api(session, server.base_url).sign_in("ada@example.com", "pw", client_id="c")
        accepted = len(server.accepted)

    assert accepted == 1
    assert sleeps == []


def test_it_chains_a_redacted_cause(upstream, api):
    message = "Max retries exceeded with url: /api/x?t=eyJ.secret (Caused by reset)"
    upstream.get(URL, body=requests.exceptions.ConnectionError(message))

    with pytest.raises(nexudus.Unavailable) as caught:
        list_invoices(api)

    cause = caught.value.__cause__
    assert isinstance(cause, errors.UpstreamCause)
    assert "ConnectionError" in str(cause)
    assert "eyJ.secret" not in str(cause)
    assert "/api/x?[redacted]" in str(cause)


# --- the deadline and the backoff budget ----------------------------------------------------------


def test_it_never_sleeps_past_the_deadline():
    clock = FakeClock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)

    transport = Transport(deadline=0.6, clock=clock, sleep=sleep, random=lambda: 1.0)
    with http_server(answering(503)) as server:
        with pytest.raises(nexudus.Unavailable):
            list_invoices_at(server.base_url, transport)
        assert len(server.requests) == 2

    # 0.25 fits in 0.6 s; 0.25 + 0.5 would not, so it gives up instead of sleeping again.
    assert slept == [0.25]


def test_it_caps_the_backoff():
    slept: list[float] = []
    transport = Transport(
        max_retries=5,
        backoff_factor=1.0,
        backoff_max=2.0,
        deadline=60,
        clock=FakeClock(),
        sleep=slept.append,
        random=lambda: 1.0,
    )
    with http_server(answering(504)) as server:
        with pytest.raises(nexudus.Unavailable):
            list_invoices_at(server.base_url, transport)
        assert len(server.requests) == 6

    assert slept == [1.0, 2.0, 2.0, 2.0, 2.0]


def test_it_jitters_the_backoff_over_the_whole_range():
    slept: list[float] = []
    transport = Transport(sleep=slept.append, random=lambda: 0.1)
    with http_server(answering(503)) as server, pytest.raises(nexudus.Unavailable):
        list_invoices_at(server.base_url, transport)

    assert slept == pytest.approx([0.025, 0.05])


def test_it_bounds_each_timeout_by_what_is_left_of_the_deadline(upstream, api):
    upstream.get(URL, json=PAGE)

    list_invoices(api)

    kwargs = upstream.calls[0].request.req_kwargs
    assert kwargs["timeout"] == (3.05, 5.0)
    assert kwargs["stream"] is True
    assert kwargs["verify"] is True

    list_invoices_at(BASE_URL, Transport(deadline=1.5))
    assert upstream.calls[1].request.req_kwargs["timeout"] == pytest.approx((1.5, 1.5), abs=0.1)


def test_it_ignores_a_callers_timeout_redirect_and_verify_choices(upstream, session):
    upstream.get(URL, status=301, headers={"Location": URL})

    with pytest.raises(nexudus.BadResponse):
        session.get(URL, timeout=999, allow_redirects=True, verify=False)

    kwargs = upstream.calls[0].request.req_kwargs
    assert kwargs["timeout"] == (3.05, 5.0)
    assert kwargs["verify"] is True
    assert len(upstream.calls) == 1


# --- bodies ---------------------------------------------------------------------------------------


class EndlessBody(io.RawIOBase):
    """An upstream that would send zeros forever; counts what was asked of it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = len(buffer)
        buffer[:n] = b"0" * n
        self.served += n
        return n


def test_it_stops_reading_a_body_over_the_cap(base_url):
    endless = EndlessBody()
    transport = Transport(max_body_bytes=1024 * 1024)
    with responses.RequestsMock() as upstream:
        upstream.get(URL, body=io.BufferedReader(endless), content_type="application/json")
        with pytest.raises(nexudus.BadResponse) as caught:
            list_invoices_at(BASE_URL, transport)

    assert caught.value.reason == "body too large"
    assert endless.served < 2 * 1024 * 1024  # stopped soon after the cap, not at the end


def test_it_refuses_a_declared_length_over_the_cap_without_reading_it(base_url):
    endless = EndlessBody()
    transport = Transport(max_body_bytes=1024)
    with responses.RequestsMock() as upstream:
        upstream.get(URL, body=io.BufferedReader(endless), headers={"Content-Length": "50000000"})
        with pytest.raises(nexudus.BadResponse):
            list_invoices_at(BASE_URL, transport)

    assert endless.served == 0


def test_it_accepts_a_body_exactly_at_the_cap(base_url):
    body = b'{"Records": []}'
    transport = Transport(max_body_bytes=len(body))
    with responses.RequestsMock() as upstream:
        upstream.get(URL, body=body)
        assert list_invoices_at(BASE_URL, transport).invoices == ()


# --- headers and cookies --------------------------------------------------------------------------


def test_it_says_who_it_is_and_asks_for_json(upstream, api):
    upstream.get(URL, json=PAGE)

    list_invoices(api)

    headers = upstream.calls[0].request.headers
    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("nexudus-member-portal/")
    assert USER_AGENT.endswith(" (+python-requests)")
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == "Bearer access-abc"


def test_it_never_carries_one_members_cookies_into_another_members_call(upstream, api, session):
    upstream.get(URL, json=PAGE, headers={"Set-Cookie": "ASP.NET_SessionId=ada; Path=/"})

    api.list_invoices("ada-token")
    api.list_invoices("grace-token")

    assert "Cookie" not in upstream.calls[1].request.headers
    assert len(session.cookies) == 0


def test_it_ignores_proxies_and_credentials_from_the_environment(monkeypatch, upstream, api):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    upstream.get(URL, json=PAGE)

    list_invoices(api)

    assert api.transport.trust_env is False
    assert upstream.calls[0].request.req_kwargs.get("proxies") in (None, {}, {"no": None})


def test_it_creates_one_shared_session_lazily():
    assert nexudus.default_api() is nexudus.default_api()
    assert isinstance(nexudus.default_api().transport, Transport)
