"""The stand-in payment page: GET and POST /invoices/{invoice_unique_id}/pay."""

from __future__ import annotations

import dataclasses
import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from werkzeug.test import Client

from sandbox.app import Knobs, SandboxApp
from sandbox.clock import local_now
from sandbox.data import SHOWCASE_INVOICES, demo_data
from sandbox.server import RunningSandbox

from .conftest import SignedIn, pdf_text

TYPICAL = SHOWCASE_INVOICES["typical"]
LANDING = re.compile(
    r"http://127\.0\.0\.1:8000/checkout/complete/(\d+)/\?stripe_session_id=(cs_test_[A-Za-z0-9]{58})"
)


@dataclasses.dataclass
class Answer:
    status: int
    location: str | None
    text: str


def call(running: RunningSandbox, method: str, path: str) -> Answer:
    """One request over real HTTP, redirects not followed."""
    connection = http.client.HTTPConnection(running.host, running.port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
        connection.request(method, path, body=b"" if method == "POST" else None, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Location"), response.read().decode())
    finally:
        connection.close()


def pay_path(app: SandboxApp, invoice_id: int) -> str:
    return f"/invoices/{app.data.invoices[invoice_id].unique_id}/pay"


def test_it_shows_a_payment_page_without_signing_in(
    running: RunningSandbox, app: SandboxApp
) -> None:
    page = call(running, "GET", pay_path(app, TYPICAL))
    assert page.status == 200
    invoice = app.data.invoices[TYPICAL]
    assert invoice.number in page.text
    assert "Amount due" in page.text and "£510.00" in page.text
    assert "Harbour Works London" in page.text
    assert '<form method="post" action="' + pay_path(app, TYPICAL) + '">' in page.text
    assert '<button type="submit">Pay £510.00</button>' in page.text
    assert f'href="http://127.0.0.1:8000/invoices/{TYPICAL}/">Cancel' in page.text
    assert '<html lang="en">' in page.text and "<title>" in page.text


def test_it_pays_an_invoice_and_sends_the_member_back_to_the_portal(
    running: RunningSandbox, app: SandboxApp
) -> None:
    before = app.data.invoices[TYPICAL]
    answer = call(running, "POST", pay_path(app, TYPICAL))
    assert answer.status == 303
    landing = LANDING.fullmatch(answer.location or "")
    assert landing and int(landing.group(1)) == TYPICAL
    paid = app.data.invoices[TYPICAL]
    assert paid.paid and paid.due_amount == 0 and paid.paid_amount == before.total_amount
    now = local_now(app.clock, "Europe/London")
    assert now - timedelta(seconds=5) <= paid.paid_on <= now
    [payment] = app.payments
    assert (payment.invoice_id, payment.amount, payment.currency_code) == (
        TYPICAL,
        before.total_amount,
        "GBP",
    )
    assert payment.gateway == "stripe"
    # The shared seed record is untouched: other apps still see it unpaid.
    assert before.paid_on is None
    assert not demo_data(app.data.today).invoices[TYPICAL].paid
    assert not SandboxApp(today=app.data.today).data.invoices[TYPICAL].paid


def test_it_shows_the_payment_through_the_api(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    client.post(pay_path(app, TYPICAL))
    details = client.get(f"/api/public/billing/invoices/{TYPICAL}", headers=member.headers)
    body = details.get_json()
    assert body["Paid"] is True and body["PaidOn"]
    assert body["DueAmount"] == 0 and body["PaidAmount"] == body["TotalAmount"]
    listed = client.get(
        "/api/public/billing/invoices/my?paid=true&size=100", headers=member.headers
    )
    assert TYPICAL in [r["Id"] for r in listed.get_json()["Records"]]


def test_it_dates_the_payment_by_the_sandbox_clock(client: Client, app: SandboxApp) -> None:
    app.clock.advance(3 * 86400)
    client.post(pay_path(app, TYPICAL))
    assert app.data.invoices[TYPICAL].paid_on.date() == app.data.today + timedelta(days=3)


def test_it_lets_pdf_by_token_open_the_paid_invoice_with_the_new_session_id(
    client: Client, app: SandboxApp
) -> None:
    location = client.post(pay_path(app, TYPICAL)).headers["Location"]
    session_id = LANDING.fullmatch(location).group(2)
    url = f"/api/public/billing/invoices/{TYPICAL}/pdfByToken?token={session_id}"
    response = client.get(url)
    assert response.status_code == 200
    assert "PAID" in pdf_text(response.data)
    other = f"/api/public/billing/invoices/30003/pdfByToken?token={session_id}"
    assert client.get(other).status_code == 404
    second = client.post(pay_path(app, 30003)).headers["Location"]
    assert LANDING.fullmatch(second).group(2) != session_id


def test_it_renders_the_pdf_again_once_the_invoice_is_paid(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    jwt = client.get("/api/auth/media/customer", headers=member.headers).get_json()["jwt"]
    url = f"/api/public/billing/invoices/{TYPICAL}/pdf?t={jwt}"
    assert "UNPAID" in pdf_text(client.get(url).data)
    client.post(pay_path(app, TYPICAL))
    text = pdf_text(client.get(url).data)
    assert "UNPAID" not in text and "PAID" in text and "Paid on:" in text


def test_it_pays_what_is_left_of_a_partly_paid_invoice(client: Client, app: SandboxApp) -> None:
    partly = SHOWCASE_INVOICES["partly_paid"]
    page = client.get(pay_path(app, partly)).get_data(as_text=True)
    assert "Pay £240.00" in page
    assert client.post(pay_path(app, partly)).status_code == 303
    assert app.payments[0].amount == Decimal("240.00")
    paid = app.data.invoices[partly]
    assert paid.due_amount == 0 and paid.paid_amount == paid.total_amount == Decimal("540.00")


def test_it_shows_euros_on_a_lisboa_invoice(client: Client, app: SandboxApp) -> None:
    page = client.get(pay_path(app, SHOWCASE_INVOICES["euro"])).get_data(as_text=True)
    assert "Pay 1\xa0234,50\xa0€" in page
    assert "Harbour Works Lisboa" in page


def test_it_refuses_to_pay_twice(running: RunningSandbox, app: SandboxApp) -> None:
    assert call(running, "POST", pay_path(app, TYPICAL)).status == 303
    again = call(running, "POST", pay_path(app, TYPICAL))
    assert again.status == 409
    assert "already paid" in again.text
    assert call(running, "GET", pay_path(app, TYPICAL)).status == 409
    assert len(app.payments) == 1


def test_it_takes_one_payment_when_two_arrive_at_once(
    running: RunningSandbox, app: SandboxApp
) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: call(running, "POST", pay_path(app, 30003)), range(6)))
    assert sorted(a.status for a in answers) == [303, 409, 409, 409, 409, 409]
    assert len(app.payments) == 1


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("draft", "is a draft"),
        ("credit_note_negative_lines", "is a credit note"),
        ("open_credit_note", "is a credit note"),
        ("multi_line_tax_and_discounts", "already paid"),
    ],
)
def test_it_refuses_to_pay_what_has_nothing_to_pay(
    client: Client, app: SandboxApp, case: str, words: str
) -> None:
    invoice_id = SHOWCASE_INVOICES[case]
    before = app.data.invoices[invoice_id]
    for method in (client.get, client.post):
        response = method(pay_path(app, invoice_id))
        assert response.status_code == 409
        assert response.mimetype == "text/html"
        assert words in response.get_data(as_text=True)
    assert app.data.invoices[invoice_id] is before
    assert app.payments == []


@pytest.mark.parametrize("unique_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_it_answers_404_for_an_unknown_payment_link(client: Client, unique_id: str) -> None:
    for method in (client.get, client.post):
        response = method(f"/invoices/{unique_id}/pay")
        assert response.status_code == 404
        assert "not found" in response.get_data(as_text=True)


def test_it_sends_the_member_back_to_the_configured_portal(client: Client, app: SandboxApp) -> None:
    app.knobs.update(portal_url="https://portal.example/members/")
    page = client.get(pay_path(app, TYPICAL)).get_data(as_text=True)
    assert f'href="https://portal.example/members/invoices/{TYPICAL}/"' in page
    location = client.post(pay_path(app, TYPICAL)).headers["Location"]
    assert location.startswith(f"https://portal.example/members/checkout/complete/{TYPICAL}/?")
    assert Knobs.from_env({"SANDBOX_PORTAL_URL": "http://x:1"}).portal_url == "http://x:1"
    with pytest.raises(ValueError):
        Knobs().update(portal_url="javascript:alert(1)")


def test_it_escapes_what_it_shows_on_the_payment_page(client: Client, app: SandboxApp) -> None:
    invoice = app.data.invoices[TYPICAL]
    app.data.invoices[TYPICAL] = dataclasses.replace(invoice, number='<b>"&')
    page = client.get(pay_path(app, TYPICAL)).get_data(as_text=True)
    assert "<b>" not in page
    assert "&lt;b&gt;&quot;&amp;" in page


def test_it_counts_paying_as_a_write(client: Client, app: SandboxApp) -> None:
    client.get(pay_path(app, TYPICAL))
    assert app.writes() == []
    client.post(pay_path(app, TYPICAL))
    assert [(e.method, e.status) for e in app.writes()] == [("POST", 303)]
