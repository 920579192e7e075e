"""The faults the `fault` knob injects, and which requests they hit."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug.test import Client

from sandbox.app import FAULTS, Knobs, SandboxApp

from .conftest import SignedIn

PROFILES = "/api/public/coworkers/profiles"
LIST = "/api/public/billing/invoices/my"


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        ("500", 500, "application/json"),
        ("502", 502, "text/html"),
        ("503", 503, "text/html"),
        ("504", 504, "text/html"),
        ("429", 429, "application/json"),
    ],
)
def test_it_injects_error_statuses(
    client: Client, app: SandboxApp, member: SignedIn, fault: str, status: int, content_type: str
) -> None:
    app.knobs.update(fault=fault)
    response = client.get(PROFILES, headers=member.headers)
    assert response.status_code == status
    assert response.mimetype == content_type
    if fault == "429":
        assert response.headers["Retry-After"] == "3600"


def test_it_injects_malformed_json(client: Client, app: SandboxApp, member: SignedIn) -> None:
    app.knobs.update(fault="malformed")
    response = client.get(LIST, headers=member.headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    with pytest.raises(ValueError):
        json.loads(response.data)


def test_it_injects_an_html_login_page(client: Client, app: SandboxApp, member: SignedIn) -> None:
    app.knobs.update(fault="html")
    response = client.get(LIST, headers=member.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"<form" in response.data


@pytest.mark.parametrize(
    "path",
    [
        LIST,
        "/api/public/billing/invoices/30001",
        PROFILES,
        "/api/public/businesses/current",
        "/api/auth/media/customer",
        "/api/token",
    ],
)
def test_it_injects_wrong_types(client: Client, app: SandboxApp, path: str) -> None:
    app.knobs.update(fault="wrong_types")
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, dict)
    if path == LIST:
        assert isinstance(body["TotalItems"], str)
        assert "PageSize" not in body
        assert isinstance(body["Records"][0]["TotalAmount"], str)


def test_it_resets_the_connection(client: Client, app: SandboxApp, member: SignedIn) -> None:
    app.knobs.update(fault="reset")
    with pytest.raises(ConnectionResetError):
        client.get(PROFILES, headers=member.headers)
    assert app.log[-1].status == 0
    assert app.log[-1].fault == "reset"


def test_it_trickles_a_response_one_byte_at_a_time(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(fault="trickle", trickle_interval_ms=1)
    response = client.get(LIST, headers=member.headers, buffered=False)
    started = time.perf_counter()
    chunks = list(response.response)
    # One millisecond between bytes, not one second.
    assert (len(chunks) - 1) / 1000 <= time.perf_counter() - started < 5
    assert response.status_code == 200
    assert all(len(chunk) == 1 for chunk in chunks)
    body = b"".join(chunks)
    assert int(response.headers["Content-Length"]) == len(body)
    assert json.loads(body)["Records"] == []


def test_it_streams_a_huge_valid_json_body(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    assert Knobs().huge_bytes >= 50 * 1000 * 1000
    app.knobs.update(fault="huge", huge_bytes=300_000)
    response = client.get(LIST, headers=member.headers, buffered=False)
    chunks = list(response.response)
    assert len(chunks) > 2
    body = b"".join(chunks)
    assert int(response.headers["Content-Length"]) == len(body)
    assert 290_000 <= len(body) <= 300_000
    assert json.loads(body)["Records"]


def test_it_faults_only_paths_under_the_prefix(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(fault="503", fault_path_prefix="/api/public/billing/")
    assert client.get(PROFILES, headers=member.headers).status_code == 200
    assert client.get(LIST, headers=member.headers).status_code == 503


def test_it_fails_once_then_succeeds(client: Client, app: SandboxApp, member: SignedIn) -> None:
    app.knobs.update(fault="500", fault_times=1)
    assert client.get(LIST, headers=member.headers).status_code == 500
    assert client.get(LIST, headers=member.headers).status_code == 200
    assert app.knobs.fault is None


def test_it_faults_the_next_n_matching_requests(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(fault="502", fault_times=3, fault_path_prefix=LIST)
    statuses = []
    for _ in range(5):
        client.get(PROFILES, headers=member.headers)  # not matching: does not use up a fault
        statuses.append(client.get(LIST, headers=member.headers).status_code)
    assert statuses == [502, 502, 502, 200, 200]


def test_it_faults_forever_without_fault_times(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(fault="500")
    assert {client.get(LIST, headers=member.headers).status_code for _ in range(5)} == {500}


def test_it_faults_a_share_of_matching_requests_at_random() -> None:
    knobs = Knobs()
    knobs.update(fault="500", fault_rate=0.05)
    faults = [knobs.take_fault(LIST) for _ in range(20_000)]
    # 1,000 expected; the bounds are more than six standard deviations away.
    assert 800 < faults.count("500") < 1200
    assert set(faults) == {"500", None}


def test_a_fault_rate_uses_up_fault_times_only_when_it_faults() -> None:
    knobs = Knobs()
    knobs.update(fault="503", fault_rate=0.5, fault_times=3)
    faults = [knobs.take_fault(LIST) for _ in range(200)]
    assert faults.count("503") == 3
    assert knobs.fault is None


def test_a_fault_rate_of_zero_never_faults_and_one_always_does(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(fault="500", fault_rate=0)
    assert {client.get(LIST, headers=member.headers).status_code for _ in range(20)} == {200}
    app.knobs.update(fault_rate=1)
    assert {client.get(LIST, headers=member.headers).status_code for _ in range(20)} == {500}


def test_it_knows_every_documented_fault() -> None:
    assert {
        "500",
        "502",
        "503",
        "504",
        "429",
        "malformed",
        "html",
        "wrong_types",
        "reset",
        "trickle",
        "huge",
    } == FAULTS
