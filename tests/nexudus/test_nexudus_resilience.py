"""The transport under a failing or hung host: the request's budget, the circuit breaker and the
bulkhead, against real sockets on 127.0.0.1. Generous bounds: a busy 2-core CI box."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import nexudus
from nexudus.guards import CIRCUIT_OPEN, TOO_MANY_WAITING, State
from nexudus.http import BUDGET_SPENT, Transport
from tests.clock import ManualClock

from .servers import answering, closed_port_url, http_server, raw_server, read_request_head

# Real waits with bounds of a few tenths of a second (a queue's patience is 0.1 s at least).
pytestmark = pytest.mark.alone


def transport(**options: float) -> Transport:
    settings: dict[str, float] = {"connect_timeout": 0.5, "read_timeout": 1.0, "deadline": 2.0}
    settings.update(options)
    return Transport(sleep=lambda seconds: None, **settings)  # type: ignore[arg-type]


def failure(session: Transport, url: str, **kwargs: float) -> nexudus.NexudusError:
    with pytest.raises(nexudus.NexudusError) as caught:
        session.get(url, **kwargs)
    return caught.value


@pytest.fixture
def silent() -> Iterator[str]:
    """A host that takes the request and never answers."""

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        stop.wait(30)

    with raw_server(behave) as server:
        yield server.base_url


# --- The request's budget -----------------------------------------------------------------------


def test_a_call_after_the_budget_is_spent_fails_without_calling() -> None:
    session = transport()
    with http_server(answering(200)) as server:
        error = failure(session, f"{server.base_url}/api/x", deadline_at=session.clock() - 0.01)
        assert server.requests == []
    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == BUDGET_SPENT
    assert error.path == "/api/x"


def test_a_call_in_flight_is_cut_when_the_budget_ends(silent) -> None:
    session = transport(read_timeout=5.0, deadline=8.0)
    started = time.monotonic()
    error = failure(session, f"{silent}/api/x", deadline_at=session.clock() + 0.5)
    elapsed = time.monotonic() - started
    assert isinstance(error, nexudus.Unavailable)
    assert error.reason == BUDGET_SPENT
    assert 0.4 < elapsed < 3  # its own 8 s deadline and 5 s read timeout never came into it


def test_a_budget_later_than_the_calls_own_deadline_changes_nothing(silent) -> None:
    session = transport(read_timeout=5.0, deadline=0.5)
    error = failure(session, f"{silent}/api/x", deadline_at=session.clock() + 60)
    assert error.reason == "deadline exceeded"


def test_a_call_the_budget_cut_short_does_not_count_against_the_host(silent) -> None:
    session = transport(read_timeout=1.0, failure_threshold=1)
    failure(session, f"{silent}/api/x", deadline_at=session.clock() + 0.2)
    assert session.host_guard(silent).breaker.state is State.CLOSED
    failure(session, f"{silent}/api/x")  # its full time, and silence: that one counts
    assert session.host_guard(silent).breaker.state is State.OPEN


# --- The circuit breaker ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_five_failing_calls_open_the_circuit_and_the_next_never_goes_out(status) -> None:
    session = transport()
    with http_server(answering(status)) as server:
        for _ in range(5):
            assert failure(session, f"{server.base_url}/api/x").reason == str(status)
        sent = len(server.requests)
        started = time.monotonic()
        refused = failure(session, f"{server.base_url}/api/x")
        assert time.monotonic() - started < 0.5
        assert len(server.requests) == sent
    assert isinstance(refused, nexudus.Unavailable)
    assert refused.reason == CIRCUIT_OPEN


def test_refused_connections_open_the_circuit() -> None:
    session = transport()
    url = closed_port_url()
    for _ in range(5):
        assert failure(session, f"{url}/api/x").reason == "connection failed"
    assert failure(session, f"{url}/api/x").reason == CIRCUIT_OPEN


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_nexudus_saying_no_never_opens_the_circuit(status) -> None:
    session = transport()
    with http_server(answering(status)) as server:
        for _ in range(8):
            failure(session, f"{server.base_url}/api/x")
        assert len(server.requests) == 8


def test_after_the_cool_down_one_probe_goes_out_and_its_answer_closes_the_circuit() -> None:
    clock = ManualClock()  # the transport's; the watchdog keeps real time for the sockets
    session = Transport(sleep=lambda seconds: None, clock=clock, cool_down=15.0)
    # 501: a status the transport does not retry, so one call takes one answer.
    with http_server(answering(501, 501, 501, 501, 501, 200)) as server:
        url = f"{server.base_url}/api/x"
        for _ in range(5):
            failure(session, url)
        clock.advance(14)
        assert failure(session, url).reason == CIRCUIT_OPEN
        sent = len(server.requests)
        clock.advance(1)
        assert session.get(url).status_code == 200
        assert len(server.requests) == sent + 1
        assert session.get(url).status_code == 200


def test_each_host_has_its_own_circuit() -> None:
    session = transport()
    dead = closed_port_url()
    for _ in range(5):
        failure(session, f"{dead}/api/x")
    with http_server(answering(200)) as server:
        assert session.get(f"{server.base_url}/api/x").status_code == 200


def test_the_opening_is_logged_once_and_fast_failures_quietly(caplog) -> None:
    caplog.set_level("INFO", logger="nexudus")
    session = transport()
    url = closed_port_url()
    for _ in range(8):
        failure(session, f"{url}/api/x?token=secret-value")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sum("circuit to" in message for message in warnings) == 1
    assert not any(CIRCUIT_OPEN in message for message in warnings)
    refusals = [r for r in caplog.records if CIRCUIT_OPEN in r.getMessage()]
    assert len(refusals) == 3
    assert all(r.levelname == "INFO" for r in refusals)
    assert re.fullmatch(
        rf"GET /api/x -> {CIRCUIT_OPEN} in \d+ ms \(attempt 0/3\)", refusals[0].getMessage()
    )
    assert "secret-value" not in caplog.text


# --- The bulkhead --------------------------------------------------------------------------------


def test_a_hung_host_holds_no_more_than_its_places(silent) -> None:
    session = transport(read_timeout=2.0, deadline=4.0, max_calls_per_host=2)
    url = f"{silent}/api/x"
    with ThreadPoolExecutor(max_workers=2) as pool:
        hung = [pool.submit(failure, session, url) for _ in range(2)]
        deadline = time.monotonic() + 5
        while session.host_guard(silent).bulkhead.in_use < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        refused = failure(session, url)
        elapsed = time.monotonic() - started
        assert refused.reason == TOO_MANY_WAITING
        assert elapsed < 1.5  # a moment's wait for a place at most, never the read timeout
        assert [future.result().reason for future in hung] == ["read timeout"] * 2


def test_a_busy_host_that_answers_gets_a_queue_not_a_refusal() -> None:
    def slowish(handler) -> None:
        time.sleep(0.1)
        answering(200)(handler)

    session = transport(max_calls_per_host=2)
    with http_server(slowish) as server, ThreadPoolExecutor(max_workers=8) as pool:
        url = f"{server.base_url}/api/x"
        for _ in range(10):  # the transport learns how long this host takes to answer
            session.get(url)
        assert session.host_guard(url).bulkhead.patience >= 0.2
        statuses = list(pool.map(lambda _: session.get(url).status_code, range(16)))
    assert statuses == [200] * 16


def test_the_probe_is_one_try_even_for_a_status_that_is_retried() -> None:
    """A half-open circuit lets one call through to ask if the host is back: that call asks
    once, so a sick host sees one request, not three."""
    clock = ManualClock()
    session = Transport(sleep=lambda seconds: None, clock=clock, cool_down=15.0)
    with http_server(answering(503)) as server:
        url = f"{server.base_url}/api/x"
        for _ in range(5):
            failure(session, url)  # each retried twice: 15 requests in all
        assert len(server.requests) == 15
        clock.advance(15)
        assert failure(session, url).status == 503
        assert len(server.requests) == 16
        assert failure(session, url).reason == CIRCUIT_OPEN
