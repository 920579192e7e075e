"""Two gunicorn workers, one portal, as production runs it: sessions and cache in Redis, the
database in PostgreSQL, the sandbox upstream.

Each worker is a process with memory of its own, so what one knows reaches the other only
through Redis or Postgres. Each test spreads its requests over both workers (a new connection
per request) and reads which worker served each one from gunicorn's access log, where the
harness adds the worker's pid.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from members.throttle import PER_ACCOUNT
from sandbox.server import RunningSandbox, start_in_thread
from tests.harness.members import LoopbackSession, csrf_token, sign_in, signed_in
from tests.harness.portal import (
    PID_ACCESS_LOG_FORMAT,
    AccessLine,
    PortalServer,
    portal_env,
    prepare,
    start_portal,
)

# Rounds of parallel requests that must reach both workers, and a slow refresh they all
# overlap: load the other workers' browsers would skew (tests/parallel.py).
pytestmark = [pytest.mark.timeout(240), pytest.mark.alone]

# Requests fired at once per round, and rounds tried until both workers have served some.
PARALLEL = 16
ROUNDS = 5


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningSandbox]:
    running = start_in_thread()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def portal(
    upstream: RunningSandbox, redis_server, postgres_server, tmp_path_factory
) -> Iterator[PortalServer]:
    env = portal_env(
        nexudus_url=upstream.url,
        database_url=postgres_server.url,
        redis_url=redis_server.url,
        workers=2,
    )
    # Static files are already collected for the whole run (tests/conftest.py).
    prepare(env, collect_static=False)
    log_path = tmp_path_factory.mktemp("two-workers") / "gunicorn.log"
    server = start_portal(env, log_path, access_log_format=PID_ACCESS_LOG_FORMAT)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_state(upstream: RunningSandbox, redis_server) -> None:
    upstream.app.knobs.reset()
    upstream.app.clear_log()
    # Throttle counters, locks and sessions of earlier tests must not help or hinder this one.
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushdb()


def _browser() -> requests.Session:
    browser = LoopbackSession()
    # One connection per request, so that every request is dealt to a worker afresh.
    browser.headers["Connection"] = "close"
    return browser


def _signed_in(portal: PortalServer, email: str, password: str) -> requests.Session:
    browser = _browser()
    answer = sign_in(browser, portal.url, email, password)
    assert signed_in(answer), (answer.status_code, answer.text[:2000])
    return browser


def _at_once(
    browser: requests.Session, method: str, url: str, count: int, data: dict[str, str] | None = None
) -> list[requests.Response]:
    """`count` copies of one request, released together, each on a connection of its own."""
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)
    headers = {"Cookie": cookies, "Connection": "close"}
    start = threading.Barrier(count)

    def one(_: int) -> requests.Response:
        start.wait(timeout=30)
        return requests.request(
            method, url, headers=headers, data=data, allow_redirects=False, timeout=60
        )

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def _served(
    portal: PortalServer, since: int, method: str, path: str, count: int
) -> list[AccessLine]:
    """The access log's lines for `count` requests after the `since` bookmark (waiting for the
    workers to write them: a worker logs a request after answering it)."""
    lines: list[AccessLine] = []
    for _ in range(100):
        lines = [
            line
            for line in portal.access_lines(since)
            if line.method == method and line.path == path
        ]
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"{count} {method} {path} expected in the access log, got {lines}")


def _on_both_workers(
    portal: PortalServer, one_round: Callable[[], list[AccessLine]]
) -> list[AccessLine]:
    """Run rounds until both workers have served some of a round's requests.

    Which worker accepts a connection is the kernel's choice: a round of parallel requests
    nearly always reaches both, and a round that did not proves nothing, so it goes again.
    """
    workers = set(portal.worker_pids())
    assert len(workers) == 2
    for _ in range(ROUNDS):
        served = one_round()
        if {line.pid for line in served} == workers:
            return served
    raise AssertionError(f"{ROUNDS} rounds of {PARALLEL} requests never reached both workers")


def test_a_member_signed_in_on_one_worker_is_signed_in_on_both(portal, member) -> None:
    browser = _signed_in(portal, member.email, member.password)

    def one_round() -> list[AccessLine]:
        mark = portal.log_size()
        pages = _at_once(browser, "GET", f"{portal.url}/", PARALLEL)
        assert [page.status_code for page in pages] == [200] * PARALLEL
        assert all(member.full_name in page.text for page in pages)
        return _served(portal, mark, "GET", "/", PARALLEL)

    served = _on_both_workers(portal, one_round)
    assert {line.status for line in served} == {200}


def test_sign_in_failures_counted_by_one_worker_refuse_sign_in_on_the_other(
    portal, upstream, member
) -> None:
    browser = _browser()
    token = csrf_token(browser.get(f"{portal.url}/login/").text)
    wrong = {"csrfmiddlewaretoken": token, "email": member.email, "password": "not-the-password"}
    mark = portal.log_size()
    for _ in range(PER_ACCOUNT.max_count):
        answer = browser.post(f"{portal.url}/login/", data=wrong, allow_redirects=False)
        assert answer.status_code == 400, answer.status_code
    failures = _served(portal, mark, "POST", "/login/", PER_ACCOUNT.max_count)

    def one_round() -> list[AccessLine]:
        mark = portal.log_size()
        answers = _at_once(browser, "POST", f"{portal.url}/login/", PARALLEL, data=wrong)
        assert [answer.status_code for answer in answers] == [429] * PARALLEL
        assert all(int(answer.headers["Retry-After"]) > 0 for answer in answers)
        return _served(portal, mark, "POST", "/login/", PARALLEL)

    refusals = _on_both_workers(portal, one_round)
    # Both workers refused, yet no worker saw all ten failures and the other saw none: the
    # count each refused on is the shared one.
    assert {line.pid for line in refusals} == set(portal.worker_pids())
    assert len(failures) == PER_ACCOUNT.max_count
    # A refused attempt costs Nexudus nothing.
    assert len(upstream.app.calls("/api/token")) == PER_ACCOUNT.max_count


def _kill_access_tokens(upstream: RunningSandbox) -> None:
    with upstream.app.state.lock:
        upstream.app.state.access_tokens.clear()


def test_parallel_requests_on_both_workers_refresh_an_expired_token_once(
    portal, upstream, member
) -> None:
    browser = _signed_in(portal, member.email, member.password)
    # A slow refresh: every request of a round arrives while it is still running.
    upstream.app.knobs.update(latency_ms=300, fault_path_prefix="/api/token")

    def one_round() -> list[AccessLine]:
        _kill_access_tokens(upstream)
        upstream.app.clear_log()
        mark = portal.log_size()
        pages = _at_once(browser, "GET", f"{portal.url}/invoices/", PARALLEL)
        assert [page.status_code for page in pages] == [200] * PARALLEL
        assert not [page for page in pages if "We could not load" in page.text]
        refreshes = upstream.app.calls("/api/token", method="POST")
        assert [call.status for call in refreshes] == [200]
        return _served(portal, mark, "GET", "/invoices/", PARALLEL)

    _on_both_workers(portal, one_round)
    # The session kept the newest pair: the next refresh works too.
    _kill_access_tokens(upstream)
    assert _browser_get(browser, f"{portal.url}/invoices/").status_code == 200


def _browser_get(browser: requests.Session, url: str) -> requests.Response:
    return browser.get(url, allow_redirects=False, timeout=30)


_PDF_LINK = re.compile(r'href="(/invoices/\d+/pdf/)"')


def test_the_workers_log_no_password_token_or_query_string(portal, upstream, member) -> None:
    browser = _signed_in(portal, member.email, member.password)
    invoices = _browser_get(browser, f"{portal.url}/invoices/")
    pdf = _browser_get(browser, portal.url + _PDF_LINK.findall(invoices.text)[0])
    assert pdf.status_code == 302 and "t=" in pdf.headers["Location"]
    media_token = pdf.headers["Location"].split("t=", 1)[1]
    with upstream.app.state.lock:
        tokens = [*upstream.app.state.access_tokens, *upstream.app.state.refresh_tokens]

    log = portal.log()

    assert tokens and media_token
    assert [secret for secret in [member.password, media_token, *tokens] if secret in log] == []
    assert "?" not in "".join(line.path for line in portal.access_lines())


def test_a_members_last_good_copy_is_shown_by_both_workers_when_nexudus_fails(
    portal, upstream, member
) -> None:
    """Issue 14: the stale copy lives in the shared Redis, so either worker can stand in."""
    browser = _signed_in(portal, member.email, member.password)
    good = browser.get(f"{portal.url}/invoices/")
    assert good.status_code == 200 and "as of" not in good.text
    upstream.app.knobs.update(fault="503", fault_path_prefix="/api/public/billing")

    def one_round() -> list[AccessLine]:
        mark = portal.log_size()
        pages = _at_once(browser, "GET", f"{portal.url}/invoices/", PARALLEL)
        assert [page.status_code for page in pages] == [200] * PARALLEL
        assert all("Showing your invoices as of" in page.text for page in pages)
        return _served(portal, mark, "GET", "/invoices/", PARALLEL)

    _on_both_workers(portal, one_round)
