"""`make loadtest`'s simulated members, for locust. Started by scripts/loadtest.py; not a test.

Each simulated user is one member's browser with a session of its own: it signs in once (the
demo members in turn: Ada, Grace with her two-step code, Barbara with 2,000 invoices, Edsger
with none), then browses: the dashboard, My Invoices, a page turn (as htmx sends it), a PDF
click. The portal answers a PDF click with a 302 to Nexudus, which is not followed: the
download is Nexudus's load, not ours.

Every portal answer is remembered (when, which page, how long, status, whether the page said
"We could not ...") and written as JSON to $LOADTEST_SAMPLES when locust quits, for
scripts/loadtest.py to cut into its phases.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.env import Environment

from sandbox.data import DEMO_PASSWORD, DEMO_TOTP
from tests.harness.members import LoopbackCookies, sign_in, signed_in

PEOPLE = itertools.cycle(
    [
        ("ada@example.com", None),
        ("grace@example.com", DEMO_TOTP),
        ("busy@example.com", None),
        ("empty@example.com", None),
    ]
)
# The pages a member views (sign-in steps are counted, but are not views).
PAGES = ("dashboard", "my invoices", "page turn", "pdf click")
SIGN_IN = "sign in"
# What htmx sends for the Paid group's "Next" link: the portal answers with that group alone.
PAGE_TURN_HEADERS = {"HX-Request": "true", "HX-Target": "paid"}
_PDF_LINK = re.compile(r'href="(/invoices/\d+/pdf/)"')
# Every "Nexudus is unavailable" message of the portal starts so.
_DEGRADED = "We could not"

# [start time (epoch s), name, milliseconds, status (0: no answer), degraded]
samples: list[list[Any]] = []


@events.request.add_listener
def _remember(
    name: str,
    response_time: float,
    response: Any,
    start_time: float | None = None,
    **_: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    degraded = status == 200 and name in PAGES and _DEGRADED in (response.text or "")
    samples.append([start_time, name, round(response_time, 1), status, degraded])


@events.quitting.add_listener
def _write_samples(environment: Environment, **_: Any) -> None:
    path = os.environ.get("LOADTEST_SAMPLES")
    if path:
        with open(path, "w") as out:
            json.dump(samples, out)


class Member(FastHttpUser):
    # About one view every two seconds per member: 200 members make ~100 views/s.
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackCookies())
        self.email, self.totp = next(PEOPLE)
        self.signed_in = self._sign_in()

    def _sign_in(self) -> bool:
        answer = sign_in(self.client, "", self.email, DEMO_PASSWORD, self.totp, name=SIGN_IN)
        return signed_in(answer)

    @task
    def browse(self) -> None:
        if not self.signed_in:
            # Nexudus failed the sign-in (or the session ended): try again, as a person would.
            self.signed_in = self._sign_in()
            return
        self._view("dashboard", "/")
        self.wait()
        invoices = self._view("my invoices", "/invoices/")
        self.wait()
        self._view("page turn", "/invoices/?paid_page=2", headers=PAGE_TURN_HEADERS)
        links = _PDF_LINK.findall(invoices.text or "") if invoices.status_code == 200 else []
        if links:
            self.wait()
            self._view("pdf click", random.choice(links))

    def _view(self, name: str, path: str, **options: Any) -> Any:
        response = self.client.get(path, name=name, allow_redirects=False, **options)
        location = response.headers.get("Location", "") if response.headers else ""
        if response.status_code == 302 and location.startswith("/login/"):
            self.signed_in = False
        return response
