"""Tokens in the session: refresh before expiry, once on a 401, once under parallel requests."""

from __future__ import annotations

import threading
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django_htmx.middleware import HtmxMiddleware

import nexudus
from members.middleware import MemberMiddleware
from members.tokens import SessionTokenStore, read_tokens
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _session_of(browser: Client) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=browser.cookies[settings.SESSION_COOKIE_NAME].value)


def _request_with(session: SessionBase, path: str = "/", **headers: str):
    request = RequestFactory().get(path, **headers)
    request.session = session
    return request


def _client(session: SessionBase, **options) -> nexudus.MemberClient:
    """The client a request of this session gets as `request.nexudus`."""
    return nexudus.MemberClient(nexudus.default_api(), SessionTokenStore(session), **options)


def _kill_access_tokens(sandbox) -> None:
    with sandbox.app.state.lock:
        sandbox.app.state.access_tokens.clear()


def _token_calls(sandbox) -> int:
    return len(sandbox.app.calls("/api/token", method="POST"))


@pytest.fixture
def member_session(client: Client, sandbox, member) -> SessionBase:
    sign_in(client, member)
    sandbox.app.clear_log()
    return _session_of(client)


def test_it_refreshes_once_on_a_401_then_retries_the_call(member_session, sandbox) -> None:
    before = read_tokens(member_session)
    _kill_access_tokens(sandbox)

    business = _client(member_session).business()

    assert business.name == "Harbour Works London"
    assert _token_calls(sandbox) == 1
    statuses = [entry.status for entry in sandbox.app.calls("/api/public/businesses/current")]
    assert statuses == [401, 200]
    after = read_tokens(_session_of_key(member_session))
    assert after.generation == before.generation + 1
    assert after.refresh_token != before.refresh_token


def _session_of_key(session: SessionBase) -> SessionBase:
    return type(session)(session_key=session.session_key)


def test_it_refreshes_shortly_before_expiry_without_waiting_for_a_401(
    member_session, sandbox
) -> None:
    tokens = read_tokens(member_session)

    _client(member_session, clock=lambda: tokens.expires_at - 30).business()

    assert _token_calls(sandbox) == 1
    assert [e.status for e in sandbox.app.calls("/api/public/businesses/current")] == [200]


def test_it_does_not_refresh_a_token_that_still_has_time(member_session, sandbox) -> None:
    _client(member_session).business()
    assert _token_calls(sandbox) == 0


def test_a_refused_refresh_ends_the_session(member_session, sandbox) -> None:
    _kill_access_tokens(sandbox)
    with sandbox.app.state.lock:
        sandbox.app.state.refresh_tokens.clear()

    with pytest.raises(nexudus.SessionExpired):
        _client(member_session).business()

    assert read_tokens(member_session) is None


def test_nexudus_down_during_a_refresh_is_a_failure_not_a_sign_out(member_session, sandbox) -> None:
    _kill_access_tokens(sandbox)
    sandbox.app.knobs.update(fault="503", fault_path_prefix="/api/token")

    with pytest.raises(nexudus.Unavailable):
        _client(member_session).business()

    assert read_tokens(_session_of_key(member_session)) is not None


# Twelve calls for four places: a waiting call gives up after 0.1 s in which none comes back.
@pytest.mark.alone
@pytest.mark.parametrize("engine", ["cache", "db"])
def test_parallel_requests_of_one_member_refresh_only_once(
    client, sandbox, member, settings, engine
) -> None:
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    sign_in(client, member)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    _kill_access_tokens(sandbox)
    sandbox.app.clear_log()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    results: list[object] = []
    start = threading.Barrier(12)

    def one_request() -> None:
        # Each thread is a request of its own: its own copy of the session, loaded up front.
        session = store(session_key=key)
        session.load()
        start.wait()
        try:
            results.append(_client(session).business())
        except Exception as error:  # the assertion below names it
            results.append(error)

    threads = [threading.Thread(target=one_request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == []
    assert len(results) == 12
    assert _token_calls(sandbox) == 1
    stored = read_tokens(store(session_key=key))
    assert stored.generation == 1
    assert stored.refresh_token in sandbox.app.state.refresh_tokens


def test_a_stale_copy_of_the_session_never_brings_back_old_tokens(client, sandbox, member) -> None:
    sign_in(client, member)
    stale = _session_of(client)
    stale.load()
    fresh = _session_of(client)
    _kill_access_tokens(sandbox)
    _client(fresh).business()

    stale["something-else"] = True
    _client(stale).keep_newest_tokens()
    stale.save()

    assert read_tokens(_session_of(client)).generation == 1


def test_an_expired_session_sends_the_member_to_sign_in(member_session) -> None:
    def view(request):
        raise nexudus.SessionExpired

    middleware = MemberMiddleware(lambda request: HttpResponse())
    request = _request_with(member_session, "/somewhere/?page=2")
    request.member = None
    response = middleware.process_exception(request, nexudus.SessionExpired())
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fsomewhere%2F%3Fpage%3D2&reason=expired"
    assert read_tokens(member_session) is None


def test_an_expired_session_redirects_the_whole_window_for_htmx(member_session) -> None:
    request = _request_with(member_session, "/somewhere/", HTTP_HX_REQUEST="true")
    HtmxMiddleware(lambda r: HttpResponse())(request)
    middleware = MemberMiddleware(lambda r: HttpResponse())
    response = middleware.process_exception(request, nexudus.SessionExpired())
    assert response["HX-Redirect"].startswith("/login/?next=%2Fsomewhere%2F")


def test_a_page_whose_refresh_fails_sends_the_member_to_sign_in(
    client: Client, sandbox, member
) -> None:
    sign_in(client, member)
    _kill_access_tokens(sandbox)
    with sandbox.app.state.lock:
        sandbox.app.state.refresh_tokens.clear()
    response = client.get("/invoices/?paid_page=2")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Finvoices%2F%3Fpaid_page%3D2&reason=expired"
    assert "Your session has ended" in client.get(response["Location"]).content.decode()
    assert client.get("/").status_code == 302


def test_a_page_survives_an_expired_access_token(client: Client, sandbox, member) -> None:
    sign_in(client, member)
    _kill_access_tokens(sandbox)
    sandbox.app.clear_log()
    response = client.get("/invoices/")
    assert response.status_code == 200
    assert "We could not load" not in response.content.decode()
    assert _token_calls(sandbox) == 1
