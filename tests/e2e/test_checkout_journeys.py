"""Guest journeys from each payment gateway, through the quality gate."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from sandbox.data import GUEST_CHECKOUTS
from tests.e2e.conftest import Gate, PortalServer, open_page

pytestmark = pytest.mark.e2e

PARAMETERS = {
    "stripe": "stripe_session_id",
    "spreedly": "spreedly_session_id",
    "paypal": "paypal_session_id",
}
NAMES = {"stripe": "Stripe", "spreedly": "Spreedly", "paypal": "PayPal"}


def _landing(portal: PortalServer, gateway: str, session_id: str | None = None) -> str:
    invoice_id, seeded, _ = GUEST_CHECKOUTS[gateway]
    token = quote(session_id or seeded, safe="")
    return f"{portal.url}/checkout/complete/{invoice_id}/?{PARAMETERS[gateway]}={token}"


@pytest.mark.parametrize(
    "gateway, js, dark, width",
    [
        ("stripe", True, False, 1280),
        ("spreedly", False, False, 1280),
        ("paypal", True, True, 375),
    ],
)
def test_a_guest_downloads_creates_an_account_and_is_signed_in(
    browser: Browser,
    gate: Gate,
    portal_server: PortalServer,
    gateway: str,
    js: bool,
    dark: bool,
    width: int,
) -> None:
    invoice_id, session_id, _ = GUEST_CHECKOUTS[gateway]
    context, page = open_page(browser, gate, js=js, dark=dark, width=width)
    try:
        page.goto(_landing(portal_server, gateway))
        expect(page.get_by_role("heading", name="Thank you for your purchase")).to_be_visible()
        expect(page.get_by_text("Your payment went through")).to_be_visible()
        expect(page.get_by_text(NAMES[gateway])).to_have_count(0)
        expect(page.get_by_role("link", name="Harbour Works London")).to_be_visible()
        gate.check(page)

        download = page.get_by_role("link", name="Download your invoice (PDF)")
        document = page.request.get(download.get_attribute("href"))
        assert document.body().startswith(b"%PDF")

        page.get_by_role("button", name="Create your account").click()
        expect(page.get_by_text("Your account is ready, and you are signed in.")).to_be_visible()
        gate.check(page)
        # Post/Redirect/Get: a reload shows the same signed-in state, never "Go to sign in".
        page.reload()
        expect(page.get_by_text("Your account is ready, and you are signed in.")).to_be_visible()
        expect(page.get_by_role("link", name="Go to sign in")).to_have_count(0)

        page.get_by_role("link", name="Go to my invoices").click()
        expect(page.get_by_role("heading", name="My invoices")).to_be_visible()
        expect(page.get_by_role("region", name="Paid")).to_contain_text("Paid on")
        gate.check(page)
        pdf = page.request.get(f"{portal_server.url}/invoices/{invoice_id}/pdf/")
        assert pdf.body().startswith(b"%PDF")
    finally:
        context.close()
    assert session_id not in portal_server.log()


@pytest.mark.parametrize("js", [True, False])
def test_a_rejected_or_broken_link_gets_a_helpful_page(
    browser: Browser, gate: Gate, portal_server: PortalServer, js: bool
) -> None:
    context, page = open_page(browser, gate, js=js)
    try:
        page.goto(_landing(portal_server, "stripe", "cs_test_" + "N" * 58))
        expect(page.get_by_role("heading", name="We could not find this purchase")).to_be_visible()
        expect(page.get_by_role("link", name="Download your invoice (PDF)")).to_have_count(0)
        gate.check(page)

        page.goto(f"{portal_server.url}/checkout/complete/39001/?stripe_session_id=%3Cscript%3E")
        expect(page.get_by_role("heading", name="This link does not look right")).to_be_visible()
        gate.check(page)
    finally:
        context.close()
