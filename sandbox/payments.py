"""A stand-in for a location's payment page: GET and POST /invoices/{invoice_unique_id}/pay.

Nexudus documents no public "pay this invoice" endpoint (reference §4a, §4d): members pay on
Nexudus-hosted pages, and the guest payment link's unguessable ids are its only credential.
The sandbox serves such a page on its own host, without authentication, keyed by the invoice's
UniqueId. Paying it does what a Stripe Checkout payment would have done:

- the invoice is paid (PaidOn = the sandbox clock's now in the location's time, DueAmount 0,
  PaidAmount = TotalAmount), and a `Payment` is recorded;
- a guest-checkout-like record makes pdfByToken (and registerByToken) accept a new
  Stripe-shaped session id (`cs_test_` + 58 letters and digits) for that invoice;
- webhooks CoworkerInvoicePaid, then CoworkerInvoiceReceivedPayment, go to `webhook_url`;
- the answer is 303 to `{portal_url}/checkout/complete/{invoice_id}/?stripe_session_id=...`,
  the page a Stripe redirect lands on.

An invoice already paid, a draft or a credit note has nothing to pay: 409, on a page that says
why. An unknown UniqueId: 404.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import replace
from html import escape

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox.clock import local_now
from sandbox.data import GuestCheckout, Invoice, Payment, format_money
from sandbox.responses import Halt, html_page
from sandbox.state import SandboxState
from sandbox.webhooks import invoice_dto

STRIPE_SESSION_PREFIX = "cs_test_"
STRIPE_SESSION_LENGTH = 58
_ALPHANUMERICS = string.ascii_letters + string.digits


def pay_page(state: SandboxState, request: Request, invoice_unique_id: str) -> Response:
    invoice = _invoice(state, invoice_unique_id)
    _refuse_if_nothing_to_pay(state, invoice)
    location = state.data.locations[invoice.location_id]
    amount = _amount(state, invoice)
    body = f"""<h1>Pay invoice {escape(invoice.number)}</h1>
<p>This is the Nexudus sandbox's stand-in for {escape(location.name)}'s payment page. No card
is needed: the button marks the invoice paid.</p>
<dl>
<dt>Invoice</dt><dd>{escape(invoice.number)}</dd>
<dt>Amount due</dt><dd>{escape(amount)}</dd>
<dt>Location</dt><dd>{escape(location.name)}</dd>
</dl>
<form method="post" action="/invoices/{escape(invoice.unique_id)}/pay">
<button type="submit">Pay {escape(amount)}</button>
</form>
<p><a href="{escape(_portal(state, f"/invoices/{invoice.id}/"))}">Cancel and go back</a></p>"""
    return html_page(f"Pay invoice {invoice.number}", body)


def pay(state: SandboxState, request: Request, invoice_unique_id: str) -> Response:
    with state.lock:
        # Under the lock, so paying twice at once pays once and refuses the other.
        invoice = _invoice(state, invoice_unique_id)
        _refuse_if_nothing_to_pay(state, invoice)
        location = state.data.locations[invoice.location_id]
        now = local_now(state.clock, location.time_zone)
        # The shared seed record is frozen: this app's data gets a changed copy.
        paid = replace(invoice, paid_on=now, updated_on=now, due_amount_override=None)
        state.data.invoices[invoice.id] = paid
        state.data.payments.append(
            Payment(invoice.id, invoice.due_amount, location.currency_code, now, "stripe")
        )
        session_id = stripe_session_id()
        state.data.checkouts[session_id] = GuestCheckout(
            gateway="stripe",
            session_id=session_id,
            invoice_id=invoice.id,
            email=state.data.people[invoice.person_id].email,
            person_id=invoice.person_id,
        )
        state.forget_pdf(invoice.id)
    dto = invoice_dto(state.data, paid)
    state.webhooks.send("CoworkerInvoicePaid", paid.id, dto)
    state.webhooks.send("CoworkerInvoiceReceivedPayment", paid.id, dto)
    landing = _portal(state, f"/checkout/complete/{paid.id}/?stripe_session_id={session_id}")
    return redirect(landing, code=303)


def stripe_session_id() -> str:
    """A fresh id shaped like a Stripe Checkout session id in test mode."""
    tail = "".join(secrets.choice(_ALPHANUMERICS) for _ in range(STRIPE_SESSION_LENGTH))
    return STRIPE_SESSION_PREFIX + tail


def _invoice(state: SandboxState, unique_id: str) -> Invoice:
    invoice = state.data.invoice_by_unique_id(unique_id)
    if invoice is None:
        body = "<h1>Payment link not found</h1>\n<p>There is no invoice behind this link.</p>"
        raise Halt(html_page("Payment link not found", body, status=404))
    return invoice


def _refuse_if_nothing_to_pay(state: SandboxState, invoice: Invoice) -> None:
    number = escape(invoice.number)
    if invoice.draft:
        reason = f"Invoice {number} is a draft: it has not been issued yet, so it cannot be paid."
    elif invoice.credit_note:
        reason = f"{number} is a credit note: there is nothing to pay."
    elif invoice.paid:
        reason = f"Invoice {number} is already paid. There is nothing more to pay."
    elif invoice.due_amount <= 0:
        reason = f"Invoice {number} has nothing left to pay."
    else:
        return
    back = escape(_portal(state, "/invoices/"))
    body = (
        f"<h1>Nothing to pay</h1>\n<p>{reason}</p>\n"
        f'<p><a href="{back}">Back to your invoices</a></p>'
    )
    raise Halt(html_page("Nothing to pay", body, status=409))


def _amount(state: SandboxState, invoice: Invoice) -> str:
    location = state.data.locations[invoice.location_id]
    return format_money(invoice.due_amount, location.currency_code, location.culture)


def _portal(state: SandboxState, path: str) -> str:
    return state.knobs.portal_url + path
