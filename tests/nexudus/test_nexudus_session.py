"""The session's policy, against a faked upstream: statuses, retries, backoff, caps, headers."""

from __future__ import annotations

import io

import pytest
import requests
import responses

from portal.nexudus import client, errors
from portal.nexudus.session import USER_AGENT, NexudusSession

from .conftest import BASE_URL

URL = f"{BASE_URL}/api/public/billing/invoices/my"
PAGE = {"Records": []}


def list_invoices() -> client.InvoicePage:
    return client.list_invoices("access-abc")


class FakeClock:
    """A monotonic clock that only moves when the session sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# --- statuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raised"),
    [
        (400, client.BadResponse),
        (401, client.Unauthorized),
        (403, client.BadResponse),
        (404, client.NotFound),
        (409, client.Unavailable),
        (422, client.BadResponse),
        (429, client.Unavailable),
        (500, client.Unavailable),
        (501, client.Unavailable),
    ],
)
def test_it_sorts_error_statuses_into_a_few_exceptions_without_retrying_them(
    upstream, sleeps, status, raised
):
    upstream.get(URL, status=status, body="<h1>upstream says <script>no</script></h1>")

    with pytest.raises(raised) as caught:
        list_invoices()

    assert str(caught.value) == f"GET /api/public/billing/invoices/my -> {status}"
    assert caught.value.status == status
    assert len(upstream.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [502, 503, 504])
def test_it_retries_a_get_twice_on_a_gateway_error_then_gives_up(upstream, sleeps, status):
    upstream.get(URL, status=status)

    with pytest.raises(client.Unavailable) as caught:
        list_invoices()

    assert caught.value.status == status
    assert len(upstream.calls) == 3
    # Full jitter with random() pinned to 1.0: the caps of 0.25 * 2**n.
    assert sleeps == [0.25, 0.5]


def test_it_returns_the_answer_when_a_retry_succeeds(upstream, sleeps):
    upstream.get(URL, status=503)
    upstream.get(URL, json=PAGE)

    assert list_invoices().invoices == ()
    assert len(upstream.calls) == 2
    assert sleeps == [0.25]


def test_it_does_not_sleep_on_retry_after_when_throttled(upstream, sleeps):
    upstream.get(URL, status=429, headers={"Retry-After": "3600"})

    with pytest.raises(client.Unavailable):
        list_invoices()

    assert len(upstream.calls) == 1
    assert sleeps == []


def test_it_does_not_follow_redirects(upstream):
    upstream.get(URL, status=302, headers={"Location": "https://evil.test/steal"})
    upstream.get("https://evil.test/steal", json=PAGE)

    with pytest.raises(client.BadResponse) as caught:
        list_invoices()

    assert caught.value.status == 302
    assert [call.request.url.split("?")[0] for call in upstream.calls] == [URL]


def test_it_accepts_any_2xx(upstream):
    upstream.get(URL, status=203, json=PAGE)

    assert list_invoices().invoices == ()


# --- transport errors -----------------------------------------------------------------------------


def test_it_retries_a_get_after_a_connection_error(upstream, sleeps):
    upstream.get(URL, body=requests.exceptions.ConnectionError("reset by peer"))
    upstream.get(URL, json=PAGE)

    assert list_invoices().invoices == ()
    assert len(upstream.calls) == 2


def test_it_retries_a_connect_timeout_but_not_a_read_timeout(upstream, sleeps):
    upstream.get(URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(client.Unavailable) as caught:
        list_invoices()
    assert len(upstream.calls) == 3
    assert caught.value.reason == "connect timeout"

    upstream.replace(responses.GET, URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(client.Unavailable) as caught:
        list_invoices()
    assert len(upstream.calls) == 4
    assert caught.value.reason == "read timeout"


def test_it_does_not_retry_a_tls_failure(upstream):
    upstream.get(URL, body=requests.exceptions.SSLError("certificate verify failed"))

    with pytest.raises(client.Unavailable) as caught:
        list_invoices()

    assert caught.value.reason == "TLS failure"
    assert len(upstream.calls) == 1


def test_it_never_retries_a_post_even_on_a_connection_error(upstream, sleeps):
    upstream.post(f"{BASE_URL}/api/token", body=requests.exceptions.ConnectionError("reset"))

    with pytest.raises(client.Unavailable):
        client.sign_in("ada@example.com", "pw", client_id="c")

    assert len(upstream.calls) == 1
    assert sleeps == []


def test_it_chains_a_redacted_cause(upstream):
    message = "Max retries exceeded with url: /api/x?t=eyJ.secret (Caused by reset)"
    upstream.get(URL, body=requests.exceptions.ConnectionError(message))

    with pytest.raises(client.Unavailable) as caught:
        list_invoices()

    cause = caught.value.__cause__
    assert isinstance(cause, errors.UpstreamCause)
    assert "ConnectionError" in str(cause)
    assert "eyJ.secret" not in str(cause)
    assert "/api/x?[redacted]" in str(cause)


# --- the deadline and the backoff budget ----------------------------------------------------------


def test_it_never_sleeps_past_the_deadline(base_url):
    clock = FakeClock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)

    session = NexudusSession(deadline=0.6, clock=clock, sleep=sleep, random=lambda: 1.0)
    with client.use_session(session), responses.RequestsMock() as upstream:
        upstream.get(URL, status=503)
        with pytest.raises(client.Unavailable):
            list_invoices()
        assert len(upstream.calls) == 2

    # 0.25 fits in 0.6 s; 0.25 + 0.5 would not, so it gives up instead of sleeping again.
    assert slept == [0.25]


def test_it_caps_the_backoff(base_url):
    slept: list[float] = []
    session = NexudusSession(
        max_retries=5,
        backoff_factor=1.0,
        backoff_max=2.0,
        deadline=60,
        clock=FakeClock(),
        sleep=slept.append,
        random=lambda: 1.0,
    )
    with client.use_session(session), responses.RequestsMock() as upstream:
        upstream.get(URL, status=504)
        with pytest.raises(client.Unavailable):
            list_invoices()
        assert len(upstream.calls) == 6

    assert slept == [1.0, 2.0, 2.0, 2.0, 2.0]


def test_it_jitters_the_backoff_over_the_whole_range(base_url):
    slept: list[float] = []
    session = NexudusSession(sleep=slept.append, random=lambda: 0.1)
    with client.use_session(session), responses.RequestsMock() as upstream:
        upstream.get(URL, status=503)
        with pytest.raises(client.Unavailable):
            list_invoices()

    assert slept == pytest.approx([0.025, 0.05])


def test_it_bounds_each_timeout_by_what_is_left_of_the_deadline(upstream):
    upstream.get(URL, json=PAGE)

    list_invoices()

    kwargs = upstream.calls[0].request.req_kwargs
    assert kwargs["timeout"] == (3.05, 5.0)
    assert kwargs["stream"] is True
    assert kwargs["verify"] is True

    session = NexudusSession(deadline=1.5)
    with client.use_session(session):
        list_invoices()
    assert upstream.calls[1].request.req_kwargs["timeout"] == pytest.approx((1.5, 1.5), abs=0.1)


def test_it_ignores_a_callers_timeout_redirect_and_verify_choices(upstream, session):
    upstream.get(URL, status=301, headers={"Location": URL})

    with pytest.raises(client.BadResponse):
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
    session = NexudusSession(max_body_bytes=1024 * 1024)
    with client.use_session(session), responses.RequestsMock() as upstream:
        upstream.get(URL, body=io.BufferedReader(endless), content_type="application/json")
        with pytest.raises(client.BadResponse) as caught:
            list_invoices()

    assert caught.value.reason == "body too large"
    assert endless.served < 2 * 1024 * 1024  # stopped soon after the cap, not at the end


def test_it_refuses_a_declared_length_over_the_cap_without_reading_it(base_url):
    endless = EndlessBody()
    session = NexudusSession(max_body_bytes=1024)
    with client.use_session(session), responses.RequestsMock() as upstream:
        upstream.get(URL, body=io.BufferedReader(endless), headers={"Content-Length": "50000000"})
        with pytest.raises(client.BadResponse):
            list_invoices()

    assert endless.served == 0


def test_it_accepts_a_body_exactly_at_the_cap(base_url):
    body = b'{"Records": []}'
    session = NexudusSession(max_body_bytes=len(body))
    with client.use_session(session), responses.RequestsMock() as upstream:
        upstream.get(URL, body=body)
        assert list_invoices().invoices == ()


# --- headers and cookies --------------------------------------------------------------------------


def test_it_says_who_it_is_and_asks_for_json(upstream):
    upstream.get(URL, json=PAGE)

    list_invoices()

    headers = upstream.calls[0].request.headers
    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("nexudus-member-portal/")
    assert USER_AGENT.endswith(" (+python-requests)")
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == "Bearer access-abc"


def test_it_never_carries_one_members_cookies_into_another_members_call(upstream):
    upstream.get(URL, json=PAGE, headers={"Set-Cookie": "ASP.NET_SessionId=ada; Path=/"})

    client.list_invoices("ada-token")
    client.list_invoices("grace-token")

    assert "Cookie" not in upstream.calls[1].request.headers
    assert len(client.get_session().cookies) == 0


def test_it_ignores_proxies_and_credentials_from_the_environment(monkeypatch, upstream):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    upstream.get(URL, json=PAGE)

    list_invoices()

    assert client.get_session().trust_env is False
    assert upstream.calls[0].request.req_kwargs.get("proxies") in (None, {}, {"no": None})


def test_it_creates_one_shared_session_lazily():
    assert client.get_session() is client.get_session()
    assert isinstance(client.get_session(), NexudusSession)
