"""The payment loop in Chromium, with JavaScript on and off: from the dashboard's most urgent
invoice to the location's payment page (the sandbox's stand-in), back to the checkout page,
and to My Invoices, where the invoice is paid and every count agrees."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

from sandbox.server import RunningSandbox
from tests.e2e.conftest import Gate, PortalServer, sign_in_as, wire_sandbox_to

pytestmark = pytest.mark.e2e

MEMBER = "busy@example.com"


@pytest.fixture
def paying_sandbox(
    e2e_sandbox: RunningSandbox, portal_server: PortalServer
) -> Iterator[RunningSandbox]:
    """The sandbox wired to this portal; the busy member's invoices as they were, after."""
    e2e_sandbox.app.knobs.reset()
    wire_sandbox_to(e2e_sandbox, portal_server)
    invoices = e2e_sandbox.app.data.invoices
    before = dict(invoices)
    yield e2e_sandbox
    changed = [key for key, invoice in invoices.items() if before.get(key) is not invoice]
    invoices.clear()
    invoices.update(before)
    for invoice_id in changed:
        # As Nexudus would on a refund: the portal hears the invoice changed back.
        touched = requests.post(
            f"{e2e_sandbox.url}/_sandbox/invoices/{invoice_id}/touch?action=CoworkerInvoiceUpdate",
            timeout=10,
        )
        assert touched.status_code == 202
    assert e2e_sandbox.app.wait_for_webhooks()
    e2e_sandbox.app.knobs.reset()


def _count(text: str) -> int:
    return int(re.search(r"([\d,]+) invoices? to pay", text).group(1).replace(",", ""))


def test_a_member_pays_the_most_urgent_invoice_and_sees_it_paid(
    visitor: Page, gate: Gate, portal_server: PortalServer, paying_sandbox: RunningSandbox
) -> None:
    sign_in_as(visitor, portal_server, MEMBER)
    panel = visitor.get_by_role("region", name="Unpaid invoices")
    count = _count(panel.inner_text())
    urgent = panel.locator(".urgent-list li").first
    number = urgent.locator(".urgent-number").inner_text().strip()
    gate.check(visitor)

    urgent.get_by_role("link", name=re.compile(r"^Pay")).click()
    # The location's payment page (the sandbox's stand-in), on Nexudus's host, not ours.
    expect(visitor.get_by_role("heading", name=f"Pay invoice {number}")).to_be_visible()
    assert not visitor.url.startswith(portal_server.url)
    visitor.get_by_role("button", name=re.compile(r"^Pay ")).click()

    # Back on the portal's checkout page, signed in, with the gateway's secret gone from the URL
    # once the page has been shown.
    expect(visitor.get_by_role("heading", name="Thank you for your purchase")).to_be_visible()
    expect(visitor.get_by_text("Your payment went through")).to_be_visible()
    assert visitor.url.startswith(f"{portal_server.url}/checkout/complete/")
    gate.check(visitor)
    assert paying_sandbox.app.wait_for_webhooks()
    deliveries = paying_sandbox.app.webhook_deliveries
    assert deliveries and all(d.status == 200 and d.signed for d in deliveries)

    visitor.goto(f"{portal_server.url}/")
    panel = visitor.get_by_role("region", name="Unpaid invoices")
    assert _count(panel.inner_text()) == count - 1
    assert number not in panel.inner_text()

    visitor.goto(f"{portal_server.url}/invoices/")
    to_pay = visitor.get_by_role("region", name="To pay")
    paid = visitor.get_by_role("region", name="Paid")
    expect(to_pay).not_to_contain_text(number)
    expect(paid).to_contain_text(number)
    row = paid.locator("tr", has_text=number)
    expect(row.locator(".status")).to_have_text("Paid")
    assert _count(to_pay.inner_text().replace("invoices", "invoices to pay", 1)) == count - 1
    gate.check(visitor)


def test_the_invoice_page_offers_pay_and_the_payment_page_can_be_left(
    visitor: Page, gate: Gate, portal_server: PortalServer, paying_sandbox: RunningSandbox
) -> None:
    sign_in_as(visitor, portal_server, MEMBER)
    panel = visitor.get_by_role("region", name="Unpaid invoices")
    number = panel.locator(".urgent-number").first.inner_text().strip()
    panel.get_by_role("link", name=number, exact=True).click()
    expect(visitor.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()
    gate.check(visitor)
    visitor.get_by_role("link", name=re.compile(r"^Pay ")).click()
    expect(visitor.get_by_role("heading", name=f"Pay invoice {number}")).to_be_visible()
    visitor.get_by_role("link", name="Cancel and go back").click()
    expect(visitor.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()
    # Nothing was paid: the invoice still asks to be paid.
    expect(visitor.get_by_role("link", name=re.compile(r"^Pay "))).to_be_visible()
