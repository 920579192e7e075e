"""Knobs (latency, faults), the request log and the /_sandbox control endpoints."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug.test import Client

from sandbox.app import FAULTS, Knobs, SandboxApp

from .conftest import SignedIn

PROFILES = "/api/public/coworkers/profiles"
LIST = "/api/public/billing/invoices/my"


def test_it_answers_unknown_paths_with_a_json_404(client: Client) -> None:
    for path in ("/", "/api/public/nope", "/api/public/billing/invoices/abc"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json() == {"Message": "Not found"}


def test_it_answers_405_to_the_wrong_method(client: Client, member: SignedIn) -> None:
    response = client.get("/api/token")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert client.delete(PROFILES, headers=member.headers).status_code == 405


def test_it_adds_latency_to_api_responses(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(latency=0.05)
    started = time.perf_counter()
    assert client.get(PROFILES, headers=member.headers).status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_it_adds_latency_only_under_the_fault_prefix(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(latency=0.5, fault_path_prefix="/api/token")
    started = time.perf_counter()
    assert client.get(PROFILES, headers=member.headers).status_code == 200
    assert client.get("/_sandbox/health").status_code == 200
    assert time.perf_counter() - started < 0.5


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
    app.knobs.update(fault="trickle", trickle_interval=0.001)
    response = client.get(LIST, headers=member.headers, buffered=False)
    chunks = list(response.response)
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


@pytest.mark.parametrize(
    "values",
    [{"fault": "teapot"}, {"nope": 1}, {"fault_times": 0}, {"latency": -1}, {"huge_bytes": 0}],
)
def test_it_refuses_bad_knob_values(values: dict) -> None:
    with pytest.raises(ValueError):
        Knobs().update(**values)


def test_it_resets_knobs_to_defaults() -> None:
    knobs = Knobs()
    knobs.update(fault="500", latency=1, fault_times=2)
    knobs.reset()
    assert knobs.as_dict() == Knobs().as_dict()


def test_it_reads_knobs_from_the_environment() -> None:
    knobs = Knobs.from_env(
        {
            "SANDBOX_LATENCY_MS": "250",
            "SANDBOX_FAULT": "429",
            "SANDBOX_FAULT_PATH": "/api/public/billing/",
            "SANDBOX_FAULT_TIMES": "2",
            "SANDBOX_FAULT_UNRELATED": "x",
        }
    )
    assert knobs.latency == 0.25
    assert knobs.fault == "429"
    assert knobs.fault_path_prefix == "/api/public/billing/"
    assert knobs.fault_times == 2
    assert Knobs.from_env({"SANDBOX_FAULT": ""}).fault is None
    with pytest.raises(ValueError):
        Knobs.from_env({"SANDBOX_FAULT": "sometimes"})


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


def test_it_logs_paths_and_parameter_names_but_never_values(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    jwt = client.get("/api/auth/media/customer", headers=member.headers).get_json()["jwt"]
    app.clear_log()
    client.get(f"/api/public/billing/invoices/30001/pdf?t={jwt}")
    client.get(f"{LIST}?paid=false&_shape=Records.Id", headers=member.headers)
    first, second = app.log
    assert (first.method, first.path, first.query, first.status) == (
        "GET",
        "/api/public/billing/invoices/30001/pdf",
        {"t": 1},
        200,
    )
    assert second.query == {"paid": 1, "_shape": 1}
    assert jwt not in repr(app.log)
    assert member.access_token not in repr(app.log)
    assert first.time <= app.clock.now()
    assert first.duration_ms >= 0


def test_it_filters_logged_calls_by_path_and_method(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    client.get(PROFILES, headers=member.headers)
    client.get(LIST, headers=member.headers)
    assert len(app.calls("/api/token", method="post")) == 1
    assert len(app.calls("/api/public/")) == 2
    assert len(app.calls(method="GET")) == 2
    assert not app.calls(method="PUT")
    assert app.writes() == []  # signing in is not a write
    app.clear_log()
    assert app.log == []


def test_it_offers_control_endpoints_that_never_fault_or_log(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    client.get(PROFILES, headers=member.headers)
    response = client.post(
        "/_sandbox/knobs", json={"fault": "500", "fault_path_prefix": "/", "latency": 0}
    )
    assert response.status_code == 200
    assert response.get_json()["fault"] == "500"
    assert app.knobs.fault == "500"

    log = client.get("/_sandbox/log")
    assert log.status_code == 200
    entries = log.get_json()
    assert [(e["path"], e["status"]) for e in entries] == [
        ("/api/token", 200),
        (PROFILES, 200),
    ]
    assert client.get("/_sandbox/health").status_code == 200

    assert client.post("/_sandbox/reset-log").status_code == 204
    assert app.log == []

    before = app.clock.now()
    advanced = client.post("/_sandbox/clock/advance?seconds=3600")
    assert advanced.status_code == 200
    assert (app.clock.now() - before).total_seconds() >= 3600

    assert client.post("/_sandbox/knobs", json={"fault": None}).get_json()["fault"] is None
    # Access tokens live a day, so an hour later the bearer still works.
    assert client.get(PROFILES, headers=member.headers).status_code == 200


def test_it_refuses_bad_control_requests(client: Client) -> None:
    assert client.post("/_sandbox/knobs", json={"fault": "teapot"}).status_code == 400
    assert client.post("/_sandbox/knobs", json=[1, 2]).status_code == 400
    assert (
        client.post("/_sandbox/knobs", data="{", content_type="application/json").status_code == 400
    )
    assert client.post("/_sandbox/clock/advance?seconds=soon").status_code == 400
