"""Knobs (values, defaults, environment) and the /_sandbox control endpoints."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from sandbox.app import Knobs, SandboxApp

from .conftest import SignedIn

PROFILES = "/api/public/coworkers/profiles"


@pytest.mark.parametrize(
    "values",
    [
        {"fault": "teapot"},
        {"nope": 1},
        {"fault_times": 0},
        {"latency_ms": -1},
        {"trickle_interval_ms": -1},
        {"huge_bytes": 0},
        {"invoices_viewable": "maybe"},
        {"invoices_printable": 2},
        {"primary_color": "blue"},
        {"portal_url": "127.0.0.1:8000"},
        {"webhook_url": "file:///etc/passwd"},
        {"fault_rate": 1.5},
        {"fault_rate": -0.1},
        {"fault_rate": "often"},
    ],
)
def test_it_refuses_bad_knob_values(values: dict) -> None:
    with pytest.raises(ValueError):
        Knobs().update(**values)


def test_it_resets_knobs_to_defaults() -> None:
    knobs = Knobs()
    knobs.update(fault="500", latency_ms=1000, trickle_interval_ms=5, fault_times=2)
    knobs.update(invoices_viewable=False, primary_color="#ffffff", webhook_url="http://x/")
    knobs.reset()
    assert knobs.as_dict() == Knobs().as_dict()
    assert knobs.webhook_url is None and knobs.invoices_viewable is True


def test_it_reads_knobs_from_the_environment() -> None:
    knobs = Knobs.from_env(
        {
            "SANDBOX_LATENCY_MS": "250",
            "SANDBOX_FAULT": "429",
            "SANDBOX_FAULT_PATH": "/api/public/billing/",
            "SANDBOX_FAULT_TIMES": "2",
            "SANDBOX_TRICKLE_INTERVAL_MS": "20",
            "SANDBOX_FAULT_RATE": "0.05",
            "SANDBOX_FAULT_UNRELATED": "x",
        }
    )
    assert knobs.latency_ms == 250
    assert knobs.trickle_interval_ms == 20
    assert knobs.fault == "429"
    assert knobs.fault_path_prefix == "/api/public/billing/"
    assert knobs.fault_times == 2
    assert knobs.fault_rate == 0.05
    assert Knobs.from_env({"SANDBOX_FAULT": ""}).fault is None
    with pytest.raises(ValueError):
        Knobs.from_env({"SANDBOX_FAULT": "sometimes"})


def test_it_offers_control_endpoints_that_never_fault_or_log(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    client.get(PROFILES, headers=member.headers)
    response = client.post(
        "/_sandbox/knobs", json={"fault": "500", "fault_path_prefix": "/", "latency_ms": 0}
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


def test_it_keeps_durations_in_milliseconds_like_the_environment(client: Client) -> None:
    response = client.post("/_sandbox/knobs", json={"latency_ms": 50, "trickle_interval_ms": 2})
    assert response.status_code == 200
    assert response.get_json()["latency_ms"] == 50
    assert response.get_json()["trickle_interval_ms"] == 2
    assert Knobs().trickle_interval_ms == 1000


@pytest.mark.parametrize(
    ("old", "new"), [("latency", "latency_ms"), ("trickle_interval", "trickle_interval_ms")]
)
def test_it_names_the_millisecond_knob_when_given_an_old_name(old: str, new: str) -> None:
    with pytest.raises(ValueError, match=new):
        Knobs().update(**{old: 1})


def test_it_refuses_an_old_knob_name_over_http(client: Client, app: SandboxApp) -> None:
    response = client.post("/_sandbox/knobs", json={"latency": 0.5})
    assert response.status_code == 400
    assert "latency_ms" in response.get_json()["Message"]
    assert app.knobs.latency_ms == 0


def test_it_refuses_the_old_trickle_interval_variable() -> None:
    with pytest.raises(ValueError, match="SANDBOX_TRICKLE_INTERVAL_MS"):
        Knobs.from_env({"SANDBOX_TRICKLE_INTERVAL": "1.0"})
    assert Knobs.from_env({"SANDBOX_TRICKLE_INTERVAL": " "}).trickle_interval_ms == 1000
