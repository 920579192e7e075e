"""The sandbox over real HTTP: start_in_thread and `python -m sandbox`."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sandbox.app import FAULTS, SandboxApp
from sandbox.data import DEMO_PASSWORD
from sandbox.server import RunningSandbox, start_in_thread

ROOT = Path(__file__).resolve().parents[2]


def post_form(url: str, form: dict[str, str], headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def running() -> RunningSandbox:
    sandbox = start_in_thread()
    yield sandbox
    sandbox.stop()


def test_it_serves_real_requests_from_a_thread_and_stops(running: RunningSandbox) -> None:
    assert running.url == f"http://127.0.0.1:{running.port}"
    assert running.port > 0
    assert isinstance(running.app, SandboxApp)
    tokens = post_form(
        f"{running.url}/api/token",
        {"grant_type": "password", "username": "ada@example.com", "password": DEMO_PASSWORD},
    )
    request = urllib.request.Request(
        f"{running.url}/api/public/billing/invoices/my?paid=false",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.load(response)
    home = f"127.0.0.1:{running.port}"
    other = f"localhost:{running.port}"
    assert {r["BusinessWebAddress"] for r in body["Records"]} == {home, other}

    running.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{running.url}/_sandbox/health", timeout=2)


def test_it_passes_the_client_id_header_through_over_http(running: RunningSandbox) -> None:
    # Werkzeug's server drops headers with underscores; the sandbox must keep this one.
    url = f"{running.url}/api/token"
    tokens = post_form(
        url,
        {"grant_type": "password", "username": "ada@example.com", "password": DEMO_PASSWORD},
        headers={"client_id": "nexudus.portal.ada@example.com"},
    )
    refreshed = post_form(
        url,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"client_id": "nexudus.portal.ada@example.com"},
    )
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        post_form(
            url,
            {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
            headers={"client_id": "someone-else"},
        )
    assert refused.value.code == 400


def test_it_resets_a_real_connection_and_keeps_serving(running: RunningSandbox) -> None:
    running.app.knobs.update(fault="reset", fault_times=1)
    with pytest.raises((ConnectionResetError, urllib.error.URLError)):
        urllib.request.urlopen(f"{running.url}/api/public/billing/invoices/my", timeout=5)
    with pytest.raises(urllib.error.HTTPError) as unauthorized:
        urllib.request.urlopen(f"{running.url}/api/public/billing/invoices/my", timeout=5)
    assert unauthorized.value.code == 401


def test_it_works_as_a_context_manager() -> None:
    with start_in_thread(app=SandboxApp()) as sandbox:
        url = f"{sandbox.url}/_sandbox/health"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_module(port: int, **env: str) -> subprocess.Popen[str]:
    """`python -m sandbox` on `port` with extra environment, its log on a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def test_it_runs_as_a_module_and_logs_requests_without_query_strings() -> None:
    port = free_port()
    process = run_module(port, SANDBOX_LATENCY_MS="1")
    try:
        banner = process.stderr.readline()
        assert f"http://127.0.0.1:{port}" in banner
        assert "ada@example.com" in banner
        url = f"http://127.0.0.1:{port}/api/public/billing/invoices/1/pdf?t=secret-jwt-value"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 401
        line = process.stderr.readline()
        assert line.strip() == "GET /api/public/billing/invoices/1/pdf 401"
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=5)
    assert "secret-jwt-value" not in rest


PASSWORD = "pw-Zq8-must-never-be-logged"


def _knobs(url: str, values: dict) -> None:
    request = urllib.request.Request(
        f"{url}/_sandbox/knobs",
        data=json.dumps(values).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def _send_password(url: str) -> None:
    """The password in a form body, a JSON body and a query string; whatever comes back."""
    attempts = [
        ("/api/token", {"grant_type": "password", "username": "ada@example.com"}),
        (f"/api/token?password={PASSWORD}", {"grant_type": "password"}),
    ]
    for path, form in attempts:
        body = urllib.parse.urlencode({**form, "password": PASSWORD}).encode()
        for content_type in ("application/x-www-form-urlencoded", "application/json"):
            request = urllib.request.Request(
                f"{url}{path}", data=body, headers={"Content-Type": content_type}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                pass  # refused, reset, cut short: only the log matters here


def _send_raw(host: str, port: int, raw: bytes) -> None:
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(raw)
        with contextlib.suppress(OSError):
            connection.recv(4096)


def test_it_never_logs_a_password_sent_to_the_token_endpoint_whatever_the_fault() -> None:
    port = free_port()
    process = run_module(port, SANDBOX_TRICKLE_INTERVAL_MS="1")
    url = f"http://127.0.0.1:{port}"
    try:
        assert url in process.stderr.readline()
        for fault in [None, *sorted(FAULTS)]:
            if fault is None:
                _knobs(url, {"fault": None})
            else:
                # Enough for every request of one round, so each one meets the fault.
                _knobs(url, {"fault": fault, "fault_times": 4, "huge_bytes": 4096})
            _send_password(url)
        _knobs(url, {"fault": None})
        # A client that puts a body where the request line goes, and one that sends no line.
        _send_raw(
            "127.0.0.1", port, f"POST /api/token password={PASSWORD} HTTP/1.1\r\n\r\n".encode()
        )
        _send_raw("127.0.0.1", port, f"password={PASSWORD}\r\n\r\n".encode())
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
    assert PASSWORD not in log
    assert log.count("POST /api/token") >= 4 * (len(FAULTS) + 1) - 4  # resets log nothing
    assert "code 400" in log


class _Crashing(SandboxApp):
    """A sandbox with a bug that quotes the request body in an exception."""

    def _dispatch(self, request):  # type: ignore[no-untyped-def]
        raise ValueError(f"could not read {request.get_data(as_text=True)!r}")


def test_it_logs_a_crash_without_the_exception_message() -> None:
    stream = io.StringIO()
    with start_in_thread(app=_Crashing(), log_stream=stream) as sandbox:
        with pytest.raises(urllib.error.HTTPError) as crashed:
            post_form(f"{sandbox.url}/api/token", {"username": "ada", "password": PASSWORD})
        assert crashed.value.code == 500
        # The handler thread writes the traceback after the 500 has gone out.
        deadline = time.monotonic() + 5
        while "message not logged" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    log = stream.getvalue()
    assert PASSWORD not in log
    assert "Error on request" in log
    assert "ValueError (message not logged)" in log
    assert "POST /api/token 500" in log
