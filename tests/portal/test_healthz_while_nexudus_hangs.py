"""/healthz while Nexudus hangs, with gunicorn as production runs it without Redis (1 worker x 8
threads, debug off): 64 member pages at once wait on a sandbox that answers nothing in time.

Without a bulkhead, eight of them take every thread for a read timeout (5 s) and the other 56
(and /healthz) queue behind them, eight rounds deep (about 40 s). With it, the requests of at
most half of the threads wait on the host; the rest fail fast with the page's "could not load"
state. Generous bounds: a busy 2-core CI box.
"""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from sandbox.server import RunningSandbox, start_in_thread
from tests.conftest import DEMO_PASSWORD
from tests.live_portal import PortalServer, running_portal

STORM = 64
# "Hung": far longer than any limit of the portal (read timeout 5 s, request budget 8 s).
HUNG_MS = 60_000
HEALTHZ_BOUND = 1.0
BUDGET = 8.0
# The dashboard (one call) and My Invoices (two side by side), with their "could not" states.
PAGES = {
    "/": b"We could not check your invoices just now",
    "/invoices/": b"We could not load your invoices just now",
}


@dataclass(frozen=True)
class Reply:
    status: int
    seconds: float
    body: bytes
    cookies: SimpleCookie


class Browser:
    """Plain HTTP with the portal's cookies, one connection a request (as 64 browsers would)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return Reply(response.status, time.monotonic() - started, data, cookies)

    def sign_in(self, email: str, password: str) -> None:
        """Through the real form: its CSRF cookie and token, then the POST."""
        form = self._keep(self.request("GET", "/login/"))
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
        assert token is not None
        data = {"email": email, "password": password, "csrfmiddlewaretoken": token[1].decode()}
        signed_in = self._keep(self.request("POST", "/login/", data))
        assert signed_in.status == 303, signed_in.body[:500]

    def _keep(self, reply: Reply) -> Reply:
        self.cookies.update({name: morsel.value for name, morsel in reply.cookies.items()})
        return reply


@pytest.fixture
def sandbox_for_portal() -> Iterator[RunningSandbox]:
    running = start_in_thread()
    yield running
    running.stop()


@pytest.fixture
def portal(sandbox_for_portal: RunningSandbox, tmp_path: Path) -> Iterator[PortalServer]:
    with running_portal(sandbox_for_portal, tmp_path) as server:
        yield server


def _healthz_while(portal: PortalServer, storm: threading.Event) -> list[Reply]:
    """/healthz every 100 ms for as long as the storm lasts (and once after)."""
    browser = Browser(portal.url)
    replies = []
    while True:
        replies.append(browser.request("GET", "/healthz"))
        if storm.wait(0.1):
            replies.append(browser.request("GET", "/healthz"))
            return replies


def _summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name}: n={len(ordered)} median={statistics.median(ordered) * 1000:.0f} ms "
        f"p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"
    )


@pytest.mark.timeout(180)
def test_healthz_answers_within_a_second_while_64_pages_wait_on_a_hung_nexudus(
    sandbox_for_portal: RunningSandbox, portal: PortalServer
) -> None:
    member = Browser(portal.url)
    member.sign_in("ada@example.com", DEMO_PASSWORD)
    sandbox_for_portal.app.knobs.update(latency_ms=HUNG_MS)

    over = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as prober, ThreadPoolExecutor(STORM) as pool:
        healthz = prober.submit(_healthz_while, portal, over)
        started = time.monotonic()
        paths = [list(PAGES)[i % 2] for i in range(STORM)]
        pages = list(pool.map(lambda path: member.request("GET", path), paths))
        storm_seconds = time.monotonic() - started
        over.set()
        probes = healthz.result(timeout=60)

    log = portal.log()
    timeouts = log.count("-> read timeout")
    refused = log.count("-> too many calls waiting")
    report = [
        _summary("/healthz during the storm", [probe.seconds for probe in probes]),
        _summary(f"{STORM} member pages", [page.seconds for page in pages]),
        f"storm over in {storm_seconds:.1f} s; upstream calls that timed out: {timeouts}, "
        f"refused by the bulkhead: {refused}, failed fast by the open circuit: "
        f"{log.count('-> circuit open')}",
    ]
    print("\n".join(report))

    assert all(probe.status == 200 for probe in probes)
    assert max(probe.seconds for probe in probes) < HEALTHZ_BOUND, report
    # Every page answers, with its "could not load" state, never a 500, within the budget.
    assert [page.status for page in pages] == [200] * STORM
    assert all(PAGES[path] in page.body for path, page in zip(paths, pages, strict=True))
    assert max(page.seconds for page in pages) < BUDGET + 4, report
    # Four pages (half the 8 threads) waited on the hung host, with one or two calls each.
    assert 4 <= timeouts <= 8, report
    assert refused >= STORM - 8, report
