"""Nexudus webhooks: when the sandbox's data changes, it POSTs what changed to `webhook_url`.

As Nexudus does (help.nexudus.com, "Verifying Webhooks Created via the API"): each webhook has
one Action; the body is `JsonConvert.SerializeObject(new[] { dto })`, a JSON array with one
record; with a shared secret, `X-Nexudus-Hook-Signature` carries the upper-case hex
HMAC-SHA256 of the body, with key and body both turned into bytes by .NET's ASCIIEncoding.

ASCIIEncoding turns every UTF-16 code unit outside ASCII into "?" (so "€" becomes "?" and an
emoji, two code units, "??"). The sandbox signs exactly those bytes but sends the body itself
as UTF-8 JSON (non-ASCII characters as they are, not \\u escapes). A receiver that verifies the
UTF-8 bytes it got fails for any body with a non-ASCII character, as it would with Nexudus.

Reading chosen (UNCERTAIN upstream): the record is an admin-style CoworkerInvoice with the
currency as `CurrencyCode` and datetimes in the public API's format (location wall-clock time
with a literal "Z").

Nexudus lets an operator give each webhook (one per action) its own URL; the body does not
name the action. One `webhook_url` stands for all of them: a literal `{action}` in it is
replaced by the action (e.g. `http://127.0.0.1:8000/webhooks/nexudus/?action={action}`).

What sends them: the payment page (CoworkerInvoicePaid, then CoworkerInvoiceReceivedPayment)
and POST /_sandbox/invoices/{id}/touch?action=... (any invoice action, for tests).
registerByToken would send CoworkerCreate on Nexudus; the sandbox leaves that out.

Deliveries run on one background thread per sandbox, in order, with a short timeout: they
never block or fail the request that caused them. Each is recorded (action, record id, status,
whether it was signed; never the body, the URL or the secret) for tests to read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from sandbox.data import DemoData, Invoice
from sandbox.knobs import Knobs
from sandbox.responses import json_default, nexudus_datetime

INVOICE_ACTIONS = frozenset(
    {
        "CoworkerInvoiceCreate",
        "CoworkerInvoiceUpdate",
        "CoworkerInvoicePaid",
        "CoworkerInvoiceCreditNote",
        "CoworkerInvoiceRefund",
        "CoworkerInvoiceReceivedPayment",
        "CoworkerInvoiceFailedPayment",
    }
)
SIGNATURE_HEADER = "X-Nexudus-Hook-Signature"
TIMEOUT_SECONDS = 3.0
# The delivery thread ends after this long without work; the next webhook starts another.
IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook sent (or tried). `status` is None when no HTTP answer came; `error` then
    names the exception class (never its message, which may quote the URL)."""

    action: str
    record_id: int
    status: int | None
    signed: bool
    error: str | None = None


def invoice_dto(data: DemoData, invoice: Invoice) -> dict[str, Any]:
    """The CoworkerInvoice record a webhook carries."""
    location = data.locations[invoice.location_id]
    return {
        "Id": invoice.id,
        "UniqueId": invoice.unique_id,
        "CoworkerId": invoice.person_id,
        "BusinessId": invoice.location_id,
        "InvoiceNumber": invoice.number,
        "Draft": invoice.draft,
        "CreditNote": invoice.credit_note,
        "Paid": invoice.paid,
        "PaidOn": nexudus_datetime(invoice.paid_on),
        "TotalAmount": invoice.total_amount,
        "PaidAmount": invoice.paid_amount,
        "DueAmount": invoice.due_amount,
        "CurrencyCode": location.currency_code,
        "CreatedOn": nexudus_datetime(invoice.created_on),
        "DueDate": nexudus_datetime(invoice.due_date),
        "UpdatedOn": nexudus_datetime(invoice.updated_on or invoice.paid_on or invoice.created_on),
    }


def webhook_body(dto: dict[str, Any]) -> bytes:
    """The body Nexudus sends: a JSON array with the one record, compact, as UTF-8."""
    text = json.dumps([dto], ensure_ascii=False, separators=(",", ":"), default=json_default)
    return text.encode("utf-8")


def dotnet_ascii(text: str) -> bytes:
    """`new ASCIIEncoding().GetBytes(text)`: each UTF-16 code unit outside ASCII becomes "?"."""
    if text.isascii():
        return text.encode("ascii")
    out = bytearray()
    for char in text:
        code = ord(char)
        if code < 0x80:
            out.append(code)
        else:
            # Outside the BMP a character is a surrogate pair: two code units, two "?".
            out.extend(b"??" if code > 0xFFFF else b"?")
    return bytes(out)


def signature(body: bytes, secret: str) -> str:
    """X-Nexudus-Hook-Signature for `body` (UTF-8 bytes as sent) under `secret`."""
    message = dotnet_ascii(body.decode("utf-8"))
    return hmac.new(dotnet_ascii(secret), message, hashlib.sha256).hexdigest().upper()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the receiver's answer; record it rather than follow it


# No proxies from the environment, no redirects: straight to the receiver.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


@dataclass(frozen=True)
class _Outgoing:
    url: str
    secret: str | None
    action: str
    record_id: int
    body: bytes


class WebhookSender:
    """Queues webhooks and delivers them in order on a background thread."""

    def __init__(self, knobs: Knobs) -> None:
        self._knobs = knobs
        self._queue: queue.Queue[_Outgoing] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._worker: threading.Thread | None = None
        self._deliveries: list[WebhookDelivery] = []

    def send(self, action: str, record_id: int, dto: dict[str, Any]) -> bool:
        """Queue one webhook with the record as it is now; False when no URL is set."""
        url, secret = self._knobs.webhook_url, self._knobs.webhook_secret
        if not url:
            return False
        url = url.replace("{action}", action)
        outgoing = _Outgoing(url, secret, action, record_id, webhook_body(dto))
        with self._lock:
            self._pending += 1
            self._queue.put(outgoing)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, daemon=True, name="sandbox-webhooks"
                )
                self._worker.start()
        return True

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        """Deliveries so far, oldest first (a copy)."""
        with self._lock:
            return list(self._deliveries)

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every queued webhook has been tried; False if `timeout` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _work(self) -> None:
        while True:
            try:
                outgoing = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._worker = None
                        return
                continue
            delivery = _deliver(outgoing)
            with self._idle:
                self._deliveries.append(delivery)
                self._pending -= 1
                self._idle.notify_all()


def _deliver(outgoing: _Outgoing) -> WebhookDelivery:
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Nexudus sandbox"}
    if outgoing.secret:
        headers[SIGNATURE_HEADER] = signature(outgoing.body, outgoing.secret)
    # The webhook_url knob only takes http:// and https:// URLs.
    request = urllib.request.Request(  # noqa: S310
        outgoing.url, data=outgoing.body, headers=headers, method="POST"
    )
    status: int | None = None
    error: str | None = None
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (OSError, ValueError) as exc:  # refused, timed out, unreachable, bad URL
        error = type(exc).__name__
    return WebhookDelivery(
        action=outgoing.action,
        record_id=outgoing.record_id,
        status=status,
        signed=bool(outgoing.secret),
        error=error,
    )
