"""The circuit breaker against the sandbox over real HTTP: its faults open the circuit, an open
circuit sends nothing, and one probe after the cool-down decides whether it closes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import nexudus
from nexudus.api import Api
from nexudus.guards import CIRCUIT_OPEN, State
from nexudus.http import Transport
from tests.clock import ManualClock

API = "/api/"
BUSINESS = "/api/public/businesses/current"


@pytest.fixture
def clock() -> ManualClock:
    """The transport's clock: the cool-down passes without waiting for it."""
    return ManualClock()


@pytest.fixture
def api(sandbox, clock: ManualClock) -> Iterator[Api]:
    transport = Transport(
        connect_timeout=1.0,
        read_timeout=1.0,
        deadline=2.0,
        cool_down=15.0,
        clock=clock,
        sleep=lambda seconds: None,
    )
    yield Api(transport, sandbox.url)
    transport.close()


@pytest.fixture
def token(sandbox) -> str:
    return sandbox.app.issue_tokens("ada@example.com")["access_token"]


def _state(api: Api) -> State:
    return api.transport.host_guard(api.base_url).breaker.state


def _fail_five_times(api: Api, token: str) -> None:
    for _ in range(5):
        with pytest.raises(nexudus.Unavailable):
            api.list_invoices(token)
    assert _state(api) is State.OPEN


@pytest.mark.parametrize("fault", ["503", "500", "502", "429", "reset"])
def test_repeated_faults_open_the_circuit_and_then_nothing_is_sent(
    sandbox, api, token, fault
) -> None:
    sandbox.app.knobs.update(fault=fault)
    _fail_five_times(api, token)
    sent = len(sandbox.app.calls(API))
    with pytest.raises(nexudus.Unavailable) as refused:
        api.get_business(token)
    assert refused.value.reason == CIRCUIT_OPEN
    assert len(sandbox.app.calls(API)) == sent


def test_a_silent_sandbox_opens_the_circuit_after_five_timeouts(sandbox, clock, token) -> None:
    transport = Transport(read_timeout=0.3, deadline=2.0, clock=clock, sleep=lambda s: None)
    api = Api(transport, sandbox.url)
    sandbox.app.knobs.update(latency_ms=2000)
    for _ in range(5):
        with pytest.raises(nexudus.Unavailable) as slow:
            api.get_business(token)
        assert slow.value.reason == "read timeout"
    with pytest.raises(nexudus.Unavailable) as refused:
        api.get_business(token)
    assert refused.value.reason == CIRCUIT_OPEN
    transport.close()


def test_after_the_cool_down_one_probe_goes_out_and_its_answer_closes_the_circuit(
    sandbox, api, token, clock
) -> None:
    sandbox.app.knobs.update(fault="503")
    _fail_five_times(api, token)
    sandbox.app.knobs.update(fault=None)  # Nexudus is back; the portal does not know yet
    sandbox.app.clear_log()
    clock.advance(14.9)
    with pytest.raises(nexudus.Unavailable):
        api.get_business(token)
    assert sandbox.app.calls(API) == []
    clock.advance(0.1)
    assert api.get_business(token).name == "Harbour Works London"
    assert _state(api) is State.CLOSED
    assert api.list_invoices(token).invoices
    assert len(sandbox.app.calls(API)) == 2


def test_a_probe_that_fails_keeps_the_circuit_open_for_another_cool_down(
    sandbox, api, token, clock
) -> None:
    sandbox.app.knobs.update(fault="500")
    _fail_five_times(api, token)
    clock.advance(15)
    sandbox.app.clear_log()
    with pytest.raises(nexudus.Unavailable) as probe:
        api.get_business(token)
    assert probe.value.reason == "500"
    assert len(sandbox.app.calls(API)) == 1
    with pytest.raises(nexudus.Unavailable) as refused:
        api.get_business(token)
    assert refused.value.reason == CIRCUIT_OPEN
    assert len(sandbox.app.calls(API)) == 1


def test_a_fault_that_the_retries_ride_out_is_no_failure(sandbox, api, token) -> None:
    for _ in range(3):
        sandbox.app.knobs.update(fault="503", fault_times=2)
        assert api.get_business(token).name == "Harbour Works London"
    assert _state(api) is State.CLOSED


def test_refused_sign_ins_and_unknown_tokens_never_open_the_circuit(sandbox, api) -> None:
    for _ in range(6):
        with pytest.raises(nexudus.InvalidCredentials):
            api.sign_in("ada@example.com", "wrong", client_id="member-portal.test")
        with pytest.raises(nexudus.Unauthorized):
            api.get_business("not-a-token")
    assert _state(api) is State.CLOSED
    assert len(sandbox.app.calls(API)) == 12
