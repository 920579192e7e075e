"""SandboxApp itself: routing, added latency and the request log."""

from __future__ import annotations

import time

import pytest
from werkzeug.test import Client

from sandbox import clock, knobs
from sandbox.app import FAULTS, Knobs, LogEntry, SandboxApp, local_today

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
    app.knobs.update(latency_ms=50)
    started = time.perf_counter()
    assert client.get(PROFILES, headers=member.headers).status_code == 200
    # Milliseconds, not seconds: 50 would be most of a minute.
    assert 0.05 <= time.perf_counter() - started < 5


@pytest.mark.alone  # 0.5 s, against 0.5 s of latency where it does not belong
def test_it_adds_latency_only_under_the_fault_prefix(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(latency_ms=500, fault_path_prefix="/api/token")
    started = time.perf_counter()
    assert client.get(PROFILES, headers=member.headers).status_code == 200
    assert client.get("/_sandbox/health").status_code == 200
    assert time.perf_counter() - started < 0.5


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


def test_it_keeps_the_names_other_code_imports_from_sandbox_app() -> None:
    assert FAULTS is knobs.FAULTS
    assert Knobs is knobs.Knobs
    assert LogEntry is knobs.LogEntry
    assert local_today is clock.local_today
