"""The circuit breaker and the bulkhead on their own: a clock moved by hand, no sleeping."""

from __future__ import annotations

import threading
import time

import pytest

from nexudus import errors
from nexudus.guards import (
    CIRCUIT_OPEN,
    TOO_MANY_WAITING,
    Bulkhead,
    CircuitBreaker,
    HostGuard,
    State,
    Ticket,
)
from tests.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def breaker(clock: ManualClock) -> CircuitBreaker:
    return CircuitBreaker(
        "https://myspace.test:443", failure_threshold=5, cool_down=15, clock=clock
    )


def _settle(breaker: CircuitBreaker, healthy: bool | None) -> None:
    ticket = breaker.admit()
    assert ticket is not None
    breaker.settle(ticket, healthy)


def _fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        _settle(breaker, False)


def _open(breaker: CircuitBreaker) -> None:
    _fail(breaker, breaker.failure_threshold)
    assert breaker.state is State.OPEN


def _probe(breaker: CircuitBreaker, clock: ManualClock) -> Ticket:
    """Open the circuit, wait out the cool-down, and take the probe's ticket."""
    _open(breaker)
    clock.advance(breaker.cool_down)
    probe = breaker.admit()
    assert probe is not None and probe.probe
    return probe


def test_the_circuit_opens_after_five_failures_in_a_row(breaker) -> None:
    _fail(breaker, 4)
    assert breaker.state is State.CLOSED
    assert breaker.admit() is not None
    _fail(breaker, 1)
    assert breaker.state is State.OPEN
    assert breaker.admit() is None


def test_an_answer_between_failures_starts_the_count_again(breaker) -> None:
    _fail(breaker, 4)
    _settle(breaker, True)
    _fail(breaker, 4)
    assert breaker.state is State.CLOSED


def test_a_call_without_a_verdict_neither_counts_nor_resets(breaker) -> None:
    _fail(breaker, 4)
    _settle(breaker, None)
    _fail(breaker, 1)
    assert breaker.state is State.OPEN


def test_an_open_circuit_fails_fast_for_the_whole_cool_down(breaker, clock) -> None:
    _open(breaker)
    clock.advance(14.9)
    assert breaker.admit() is None


def test_after_the_cool_down_exactly_one_probe_goes_through(breaker, clock) -> None:
    _probe(breaker, clock)
    assert breaker.state is State.HALF_OPEN
    assert breaker.admit() is None  # the others still fail fast while the probe is out


def test_a_probe_that_gets_an_answer_closes_the_circuit(breaker, clock) -> None:
    breaker.settle(_probe(breaker, clock), True)
    assert breaker.state is State.CLOSED
    ticket = breaker.admit()
    assert ticket is not None and not ticket.probe


def test_a_probe_that_fails_opens_the_circuit_for_another_cool_down(breaker, clock) -> None:
    breaker.settle(_probe(breaker, clock), False)
    assert breaker.state is State.OPEN
    clock.advance(14.9)
    assert breaker.admit() is None
    clock.advance(0.1)
    assert breaker.admit() is not None


def test_a_probe_that_never_went_out_leaves_the_next_call_to_probe(breaker, clock) -> None:
    breaker.settle(_probe(breaker, clock), None)
    assert breaker.state is State.HALF_OPEN
    again = breaker.admit()
    assert again is not None and again.probe


def test_calls_let_through_before_the_circuit_opened_do_not_decide(breaker, clock) -> None:
    early = breaker.admit()
    assert early is not None
    _open(breaker)
    breaker.settle(early, True)  # came back late: only a probe may close the circuit
    assert breaker.state is State.OPEN


def test_opening_and_closing_are_logged_with_the_host_only(breaker, clock, caplog) -> None:
    caplog.set_level("INFO", logger="nexudus")
    breaker.settle(_probe(breaker, clock), True)
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "circuit to https://myspace.test:443 open (5 failures in a row)" in caplog.text
    assert "closed" in caplog.records[1].getMessage()


# --- The bulkhead -------------------------------------------------------------------------------


@pytest.mark.alone  # a real wait, timed
def test_a_full_bulkhead_of_stuck_calls_refuses_at_once() -> None:
    # No patience at all: as soon as the places are taken, nothing counts as moving.
    bulkhead = Bulkhead(2, least_patience=0, most_patience=0)
    assert bulkhead.enter(within=1) and bulkhead.enter(within=1)
    started = time.monotonic()
    assert not bulkhead.enter(within=10)
    assert time.monotonic() - started < 0.5
    assert bulkhead.in_use == 2


def test_a_waiting_call_gets_the_place_a_returning_call_frees() -> None:
    bulkhead = Bulkhead(1, least_patience=5, most_patience=5)
    assert bulkhead.enter(within=1)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(bulkhead.enter(within=5)))
    waiter.start()
    bulkhead.leave()
    waiter.join(timeout=5)
    assert got == [True]
    assert bulkhead.in_use == 1


@pytest.mark.alone  # a real wait, timed
def test_a_waiting_call_gives_up_when_its_time_is_up() -> None:
    bulkhead = Bulkhead(1, least_patience=5, most_patience=5)
    assert bulkhead.enter(within=1)
    started = time.monotonic()
    assert not bulkhead.enter(within=0.05)
    assert time.monotonic() - started < 2


def test_side_by_side_calls_of_one_request_share_its_place() -> None:
    bulkhead = Bulkhead(1, least_patience=0, most_patience=0)
    page = object()
    assert bulkhead.enter(within=0, holder=page)
    assert bulkhead.enter(within=0, holder=page)  # its second call, side by side
    assert not bulkhead.enter(within=0, holder=object())  # another page finds no place
    assert not bulkhead.enter(within=0)  # nor does a call on its own
    bulkhead.leave(holder=page)
    assert bulkhead.in_use == 1  # the page still waits on its other call
    bulkhead.leave(holder=page)
    assert bulkhead.in_use == 0
    assert bulkhead.enter(within=0, holder=object())


def test_patience_follows_how_long_answered_calls_take() -> None:
    bulkhead = Bulkhead(4, least_patience=0.1, most_patience=0.5)
    assert bulkhead.patience == 0.1  # nothing known yet: the least
    for _ in range(30):
        assert bulkhead.enter(within=0)
        bulkhead.leave(answered_in=0.2)
    assert bulkhead.patience == pytest.approx(0.4, abs=0.01)  # twice a call's time
    for _ in range(30):
        assert bulkhead.enter(within=0)
        bulkhead.leave(answered_in=3.0)
    assert bulkhead.patience == 0.5  # never more than the most
    for _ in range(30):
        assert bulkhead.enter(within=0)
        bulkhead.leave()  # failures and refusals: no news about a healthy call's time
    assert bulkhead.patience == 0.5


def test_a_bulkhead_needs_a_place() -> None:
    with pytest.raises(ValueError):
        Bulkhead(0)


# --- Both, as the transport uses them -------------------------------------------------------------


def _guard(breaker: CircuitBreaker, places: int = 2) -> HostGuard:
    return HostGuard(breaker, Bulkhead(places, least_patience=0, most_patience=0))


def _run(guard: HostGuard, error: errors.NexudusError | None) -> None:
    def counts(failure: errors.NexudusError) -> bool:
        return isinstance(failure, errors.Unavailable)

    with guard.attempt(1.0, counts):
        if error is not None:
            raise error


@pytest.mark.parametrize(
    "answer",
    [
        errors.Unauthorized("401"),
        errors.NotFound("404"),
        errors.BadResponse("400"),
        errors.InvalidCredentials("invalid_grant"),
    ],
)
def test_nexudus_saying_no_is_not_a_failure_of_the_host(breaker, answer) -> None:
    guard = _guard(breaker)
    for _ in range(10):
        with pytest.raises(type(answer)):
            _run(guard, answer)
    assert breaker.state is State.CLOSED


def test_failures_open_the_guard_and_it_then_refuses_without_a_place(breaker) -> None:
    guard = _guard(breaker)
    for _ in range(5):
        with pytest.raises(errors.Unavailable):
            _run(guard, errors.Unavailable("503"))
    with pytest.raises(errors.Unavailable) as refused:
        _run(guard, None)
    assert refused.value.reason == CIRCUIT_OPEN
    assert guard.bulkhead.in_use == 0


def test_a_call_refused_a_place_gives_the_probe_back(breaker, clock) -> None:
    guard = _guard(breaker, places=1)
    _open(breaker)
    clock.advance(15)
    assert guard.bulkhead.enter(within=0)  # someone holds the only place, and it is stuck
    with pytest.raises(errors.Unavailable) as refused:
        _run(guard, None)
    assert refused.value.reason == TOO_MANY_WAITING
    assert breaker.state is State.HALF_OPEN
    guard.bulkhead.leave()
    _run(guard, None)  # this one is the probe, and its answer closes the circuit
    assert breaker.state is State.CLOSED


def test_a_place_is_given_back_whatever_the_call_raised(breaker) -> None:
    guard = _guard(breaker, places=1)
    with pytest.raises(RuntimeError), guard.attempt(1.0, lambda error: True):
        raise RuntimeError("a bug on our side")
    assert guard.bulkhead.in_use == 0
    assert breaker.state is State.CLOSED
