"""PDFs and guest checkouts: a member's invoice PDF, statement and next-invoice preview (by
media JWT), and a guest's invoice PDF and account registration (by checkout token: pdfByToken,
registerByToken)."""

from __future__ import annotations

import hmac

from werkzeug.wrappers import Request, Response

from sandbox.auth import media_subject, one_time_token
from sandbox.clock import local_today
from sandbox.data import GuestCheckout, Invoice
from sandbox.invoices import own_invoice
from sandbox.pdf import render_invoice_pdf, render_statement_pdf
from sandbox.responses import Halt, json_response, not_found, unauthorized
from sandbox.state import SandboxState

PDF_CACHE_SIZE = 256


def invoice_pdf(state: SandboxState, request: Request, invoice_id: int) -> Response:
    # No bearer here: the media JWT in `t` is the credential.
    person_id = media_subject(state, request)
    return _pdf(state, own_invoice(state, invoice_id, person_id))


def statement_pdf(state: SandboxState, request: Request) -> Response:
    person = state.data.people.get(media_subject(state, request))
    if person is None:
        raise Halt(unauthorized())
    body = render_statement_pdf(
        person,
        state.data.invoices_of(person.id),
        state.data.locations,
        as_of=local_today(state.clock),
    )
    return _pdf_response(body, "statement.pdf")


def draft_pdf(state: SandboxState, request: Request) -> Response:
    """Preview of the next invoice (draft/pdf). Reading chosen (UNCERTAIN upstream): it is the
    member's newest draft invoice; a member with no draft has nothing upcoming: 404."""
    person_id = media_subject(state, request)
    draft = next((inv for inv in state.data.invoices_of(person_id) if inv.draft), None)
    if draft is None:
        raise Halt(not_found())
    return _pdf(state, draft)


def guest_invoice_pdf(state: SandboxState, request: Request, invoice_id: int) -> Response:
    """pdfByToken. Reading chosen (UNCERTAIN upstream): it accepts both the gateway session id
    and the Token from registerByToken."""
    checkout = _checkout(state, request.args.get("token"), allow_register_token=True)
    if checkout.invoice_id != invoice_id:
        raise Halt(not_found())
    return _pdf(state, state.data.invoices[checkout.invoice_id])


def register_guest(state: SandboxState, request: Request, invoice_id: int) -> Response:
    """registerByToken: turn the guest who paid into a customer; answer a one-time Token."""
    checkout = _checkout(state, request.args.get("token"), allow_register_token=False)
    if checkout.invoice_id != invoice_id:
        raise Halt(not_found())
    with state.lock:
        # Idempotent: the first call turns the guest into a customer (same e-mail, no
        # password until they set one); later calls return the same Token.
        if checkout.register_token is None:
            person = state.data.people[checkout.person_id]
            person.registered = True
            person.registered_on = state.clock.now()
            checkout.register_token = one_time_token(state, person.id, invoice_id)
        token = checkout.register_token
    return json_response({"Token": token})


def _checkout(state: SandboxState, token: str | None, allow_register_token: bool) -> GuestCheckout:
    if token:
        checkout = state.data.checkouts.get(token)
        if checkout is not None:
            return checkout
        if allow_register_token:
            with state.lock:
                for candidate in state.data.checkouts.values():
                    if candidate.register_token and hmac.compare_digest(
                        candidate.register_token.encode(), token.encode()
                    ):
                        return candidate
    raise Halt(unauthorized())


def _pdf(state: SandboxState, invoice: Invoice) -> Response:
    # A rendered PDF is served again as is until the invoice changes (`state.forget_pdf`).
    with state.lock:
        body = state.pdf_cache.get(invoice.id)
    if body is None:
        body = render_invoice_pdf(
            invoice,
            state.data.locations[invoice.location_id],
            state.data.people[invoice.person_id],
        )
        with state.lock:
            if len(state.pdf_cache) >= PDF_CACHE_SIZE:
                state.pdf_cache.clear()
            # Not if the invoice changed while this one rendered: that PDF is already stale.
            if state.data.invoices.get(invoice.id) is invoice:
                state.pdf_cache[invoice.id] = body
    return _pdf_response(padded(body, state.knobs.pdf_min_kib * 1024), f"{invoice.number}.pdf")


def padded(body: bytes, size: int) -> bytes:
    """`body` grown to at least `size` bytes and still a valid PDF: a comment after its end,
    then its last trailer again, so a reader looking for `startxref` from the end finds it."""
    if len(body) >= size:
        return body
    tail = body[body.rindex(b"startxref") :]
    line = b"% padding " + b"." * 100 + b"\n"
    count = -(-(size - len(body) - len(tail)) // len(line))
    return body + b"\n" + line * count + tail


def _pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, status=200, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
