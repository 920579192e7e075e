"""One log line per request, with what it cost upstream.

Logging every Nexudus call at INFO made a page's log a paragraph and cost CPU on every call
(issue 15). Instead each call is counted here (nexudus.http records it, and logs its detail at
DEBUG), and this middleware writes one INFO line when the request is done:

    GET /invoices/ 200 in 84 ms; nexudus 2 calls in 61 ms (200 x2)

The path comes without its query string (ours can carry secrets) and escaped like the access
log's (a path cannot forge a line). Failed calls still log their own WARNING at once. Calls
made on another thread for this request (side by side) are counted too: they run in a copy of
the request's context, which shares the tally.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from web.gunicorn_log import escape_for_log

logger = logging.getLogger("portal.requests")

# Liveness probes come every few seconds: their lines would drown the rest.
QUIET_PATHS = frozenset({"/healthz"})


class Tally:
    """The upstream calls of one request: how many, how long, how they ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.milliseconds = 0.0
        self.outcomes: Counter[str] = Counter()

    def add(self, outcome: str, milliseconds: float) -> None:
        with self._lock:
            self.calls += 1
            self.milliseconds += milliseconds
            self.outcomes[outcome] += 1

    def summary(self) -> str:
        if not self.calls:
            return "no nexudus calls"
        ended = ", ".join(f"{outcome} x{count}" for outcome, count in sorted(self.outcomes.items()))
        noun = "call" if self.calls == 1 else "calls"
        return f"nexudus {self.calls} {noun} in {self.milliseconds:.0f} ms ({ended})"


_TALLY: ContextVar[Tally | None] = ContextVar("upstream_tally", default=None)


def record_upstream_call(outcome: str, milliseconds: float) -> None:
    """Count one Nexudus call for the request being served (nothing outside a request)."""
    tally = _TALLY.get()
    if tally is not None:
        tally.add(outcome, milliseconds)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tally = Tally()
        token = _TALLY.set(tally)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            _TALLY.reset(token)
            path = request.META.get("PATH_INFO", "") or "/"
            level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
            if logger.isEnabledFor(level):
                logger.log(
                    level,
                    "%s %s %d in %.0f ms; %s",
                    escape_for_log(request.method or ""),
                    escape_for_log(path),
                    status,
                    (time.perf_counter() - started) * 1000,
                    tally.summary(),
                )
