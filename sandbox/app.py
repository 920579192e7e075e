"""The sandbox WSGI application: a stand-in for the Nexudus Public API.

`SandboxApp` lets the knobs have their say (latency, faults), routes each request to a plain
handler function in the module for its concern, and logs it:

- `sandbox.auth`: /api/token, bearer checks, media JWTs, /api/sys/users/exchange, the
  password-recovery page;
- `sandbox.people`: profiles and the current business (location);
- `sandbox.configuration`: the operator's settings (/api/public/configuration) and the
  location's colours (/api/sys/businesses/{id}/colors);
- `sandbox.invoices`: the invoice list and details;
- `sandbox.documents`: invoice, statement and next-invoice (draft) PDFs, the guest's
  pdfByToken and registerByToken;
- `sandbox.payments`: the stand-in payment page, /invoices/{unique id}/pay (not Nexudus API);
- `sandbox.webhooks`: signed webhooks to `webhook_url` when data changes;
- `sandbox.control`: knobs, the request log and /_sandbox/*; `sandbox.faults`: what a fault
  answers; `sandbox.state`: what an instance remembers.

Readings chosen where the reference (`nexudus-public-api.md`) says UNCERTAIN (each is also
stated beside the code it concerns, in the module named):

- `/api/token` is served on the same host as everything else (no separate
  `spaces.nexudus.com`) (ROUTES, below).
- `must_reset_password` carries a human message in `error_description`, not a reset token
  (auth).
- Invoices carry the bill-to block, per-line `Quantity`/`TaxRate` and `TaxAmount`, and
  `PaidAmount` (= TotalAmount - DueAmount). Line `SubTotal` is net of tax, after discount
  (invoices).
- Lines come as `Lines`; one seeded Lisboa invoice (data.LINES_RAW_INVOICE_ID, 30011) names
  them `LinesRaw`, as a captured basket preview did, in the list and in its details
  (invoices).
- A draft is not exposed by id: /billing/invoices/{id} answers 404 for it, though the list
  shows it and /billing/invoices/{id}/pdf renders it (invoices).
- The list endpoint honours `page` (1-based, default 1) and `size` (default 25, capped at 100);
  a value that is not a positive integer falls back to the default. `paid` and `creditNotes`
  accept true/false in any case; anything else counts as omitted. `TotalPages` is 0 when
  there is nothing to list (invoices).
- The list also honours `orderBy` (CreatedOn, DueDate, InvoiceNumber or Id, in any case) and
  `dir` (1 ascending, -1 descending: the admin REST convention); default CreatedOn
  descending; an unknown field means CreatedOn, any other `dir` descending. Ties go by Id in
  the same direction. `CurrentOrderField`/`CurrentSortDirection` ("ASC"/"DESC") echo the order
  used (invoices).
- Another member's invoice and an unknown invoice both answer 404 (never 401), so ids cannot
  be probed (invoices).
- draft/pdf renders the member's newest draft invoice; no draft means nothing upcoming: a JSON
  404 (documents).
- `pdfByToken` accepts both the gateway session id and the Token from `registerByToken`
  (documents).
- The Token that `registerByToken` returns is a one-time JWT for /api/sys/users/exchange; the
  session it opens has the customer's e-mail as client_id, the documented default (auth).
- `Currency.Format` is numeral.js style ("£0,0.00", "0,0.00 €") (people); `TotalFormated`
  comes from Babel for the location's culture (invoices).
- `_shape` paths are relative to the response root (shape).
- `WebAddress`/`BusinessWebAddress` are host[:port] strings that lead back to this sandbox
  (people, `web_address`), so the portal's PDF links work locally.
- /api/public/configuration uses the documented BusinessSetting names `Members.ViewInvoices`
  (one switch for viewing and paying) and `Members.PrintInvoices`; they change only what the
  endpoint reports, not what the invoice endpoints answer (configuration).
- /api/public/businesses/current answers without a bearer token too (public data, §7b): the
  location of the host, which for the sandbox is London (people).
- The colours of every location are the same four; `primaryColor` is a knob (configuration).
- Paying happens on the sandbox's own page, keyed by the invoice UniqueId without
  authentication, like the guest payment link; it lands on the portal's checkout-complete page
  with a new Stripe-shaped session id that pdfByToken accepts (payments).
- Webhooks carry an admin-style CoworkerInvoice with `CurrencyCode` and the public API's
  datetime format; the signature covers the body as .NET's ASCIIEncoding sees it (non-ASCII
  UTF-16 code units become "?") while the body goes out as UTF-8 (webhooks).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox import auth, configuration, control, documents, invoices, payments, people
from sandbox.clock import Clock, local_today
from sandbox.data import DemoData, Payment, demo_data
from sandbox.faults import fault_response, reset_connection
from sandbox.knobs import FAULTS, Knobs, LogEntry
from sandbox.responses import Halt, json_response
from sandbox.state import SandboxState
from sandbox.webhooks import WebhookDelivery, WebhookSender

StartResponse = Callable[..., Any]
# handler(state, request, **arguments from the path) -> response
Handler = Callable[..., Response]

BILLING = "/api/public/billing/invoices"
GET, POST = ("GET",), ("POST",)

# One host serves every path, /api/token included (a reading chosen: see the docstring).
ROUTES: tuple[tuple[str, tuple[str, ...], Handler], ...] = (
    ("/api/token", POST, auth.token),
    ("/api/sys/users/exchange", POST, auth.exchange),
    ("/api/auth/media/customer", GET, auth.customer_media_token),
    ("/password-recovery", GET, auth.password_recovery),
    ("/api/public/coworkers/profiles", GET, people.profiles),
    ("/api/public/businesses/current", GET, people.business),
    ("/api/public/configuration", GET, configuration.configuration),
    ("/api/sys/businesses/<int:business_id>/colors", GET, configuration.colors),
    (f"{BILLING}/my", GET, invoices.list_invoices),
    (f"{BILLING}/<int:invoice_id>", GET, invoices.invoice_details),
    (f"{BILLING}/<int:invoice_id>/pdf", GET, documents.invoice_pdf),
    (f"{BILLING}/statements/pdf", GET, documents.statement_pdf),
    (f"{BILLING}/draft/pdf", GET, documents.draft_pdf),
    (f"{BILLING}/<int:invoice_id>/pdfByToken", GET, documents.guest_invoice_pdf),
    (f"{BILLING}/<int:invoice_id>/registerByToken", POST, documents.register_guest),
    # Not Nexudus API: the stand-in for a location's payment page (sandbox.payments).
    ("/invoices/<invoice_unique_id>/pay", GET, payments.pay_page),
    ("/invoices/<invoice_unique_id>/pay", POST, payments.pay),
    # Browsers ask every host for one; the payment page's host answers "none" without a 404.
    ("/favicon.ico", GET, control.no_favicon),
    ("/_sandbox/health", GET, control.show_health),
    ("/_sandbox/log", GET, control.show_log),
    ("/_sandbox/knobs", ("GET", "POST"), control.knobs_endpoint),
    ("/_sandbox/reset-log", POST, control.reset_log),
    ("/_sandbox/clock/advance", POST, control.advance_clock),
    ("/_sandbox/invoices/<int:invoice_id>/touch", POST, control.touch_invoice),
)


class SandboxApp:
    """WSGI callable. `app.clock`, `app.knobs`, `app.data`, `app.log`, `app.calls()`,
    `app.payments`, `app.webhook_deliveries`, `app.wait_for_webhooks()`."""

    def __init__(
        self,
        clock: Clock | None = None,
        knobs: Knobs | None = None,
        today: date | None = None,
        secret: bytes | None = None,
    ) -> None:
        clock = clock or Clock()
        knobs = knobs or Knobs()
        self.state = SandboxState(
            clock=clock,
            knobs=knobs,
            data=demo_data(today or local_today(clock)),
            secret=secret or secrets.token_bytes(32),
            webhooks=WebhookSender(knobs),
        )
        self.url_map = Map(
            [Rule(path, endpoint=handler, methods=methods) for path, methods, handler in ROUTES],
            merge_slashes=False,
            strict_slashes=False,
            redirect_defaults=False,
        )

    # -- conveniences for tests ----------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def knobs(self) -> Knobs:
        return self.state.knobs

    @property
    def data(self) -> DemoData:
        return self.state.data

    @property
    def payments(self) -> list[Payment]:
        """Payments received on the payment page, oldest first (a copy)."""
        with self.state.lock:
            return list(self.data.payments)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Webhooks sent so far (action, record id, status; never a body), oldest first."""
        return self.state.webhooks.deliveries

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every queued webhook has been tried; False if `timeout` ran out."""
        return self.state.webhooks.wait(timeout)

    @property
    def log(self) -> list[LogEntry]:
        """A snapshot of the request log, oldest first."""
        return self.state.log_snapshot()

    def calls(self, path_prefix: str | None = None, method: str | None = None) -> list[LogEntry]:
        """Logged requests whose path starts with `path_prefix` and whose method matches."""
        return [
            entry
            for entry in self.log
            if (path_prefix is None or entry.path.startswith(path_prefix))
            and (method is None or entry.method == method.upper())
        ]

    def writes(self) -> list[LogEntry]:
        """Logged requests that change data (see `LogEntry.is_write`)."""
        return [entry for entry in self.log if entry.is_write]

    def clear_log(self) -> None:
        self.state.clear_log()

    def issue_tokens(self, email: str, client_id: str | None = None) -> dict[str, Any]:
        """Sign a person in without HTTP (test set-up); returns the token response body."""
        person = self.data.person_by_email(email)
        if person is None:
            raise KeyError(email)
        return auth.issue_tokens(self.state, person, client_id or person.email)

    def media_token(self, person_id: int) -> str:
        """A fresh media JWT for a person, as `/api/auth/media/customer` would issue."""
        return auth.media_token(self.state, person_id)

    def web_address(self, location_id: int, request_host: str, home_location_id: int) -> str:
        """Host[:port] for a location, as seen from a request on `request_host`."""
        return people.web_address(location_id, request_host, home_location_id)

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            # Control endpoints: never delayed, faulted or logged.
            return self._dispatch(request)(environ, start_response)
        started = time.perf_counter()
        knobs = self.knobs
        fault = knobs.take_fault(request.path)
        latency_ms = knobs.latency_ms
        if latency_ms and request.path.startswith(knobs.fault_path_prefix):
            time.sleep(latency_ms / 1000)
        if fault == "reset":
            self._record(request, 0, started, fault)
            reset_connection(environ)
        response = fault_response(fault, request, knobs) if fault else self._dispatch(request)
        self._record(request, response.status_code, started, fault)
        return response(environ, start_response)

    def _record(self, request: Request, status: int, started: float, fault: str | None) -> None:
        entry = LogEntry(
            method=request.method,
            path=request.path,
            query={name: len(request.args.getlist(name)) for name in request.args},
            status=status,
            time=self.clock.now(),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            fault=fault,
        )
        self.state.record(entry)

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            handler, args = adapter.match()
            return handler(self.state, request, **args)
        except Halt as halt:
            return halt.response
        except MethodNotAllowed as exc:
            message = f"The requested resource does not support http method '{request.method}'."
            response = json_response({"Message": message}, 405)
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
            return response
        except NotFound:
            return json_response({"Message": "Not found"}, 404)
        except HTTPException as exc:
            return json_response({"Message": exc.description or exc.name}, exc.code or 500)


__all__ = [
    "FAULTS",
    "Knobs",
    "LogEntry",
    "SandboxApp",
    "SandboxState",
    "local_today",
]
