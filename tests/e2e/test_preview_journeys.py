"""Staff preview in Chromium: every state through the quality gate."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, expect

from preview.management.commands.create_demo_staff import DEMO_TOTP_KEY
from preview.registry import STATES
from tests.e2e.conftest import Gate, PortalServer, open_page

pytestmark = pytest.mark.e2e


def test_staff_review_every_state_and_a_phone_frame(
    browser: Browser, gate: Gate, portal_server: PortalServer
) -> None:
    context, page = open_page(browser, gate, js=True)
    try:
        page.goto(f"{portal_server.url}/preview/")
        expect(page).to_have_url(f"{portal_server.url}/admin/login/?next=%2Fpreview%2F")
        page.fill("#id_username", "staff")
        page.fill("#id_password", "demo-pass-1")
        # The demo staff is a superuser and the portal runs with debug off: it needs its code.
        page.fill("#id_otp_token", f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}")
        page.click("input[type=submit]")
        expect(page.get_by_role("heading", name="Staff preview")).to_be_visible()
        gate.check(page)

        for state in STATES:
            page.goto(f"{portal_server.url}/preview/{state.page}/{state.key}/")
            # The banner (a page may have a note of its own: "How to pay").
            expect(page.locator(".preview-banner")).to_contain_text(state.title)
            gate.check(page)

        page.goto(f"{portal_server.url}/preview/invoices/two-currencies/phone/")
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="My invoices")).to_be_visible()
        gate.check(page)
        sample = page.request.get(f"{portal_server.url}/preview/sample/ada/30001.pdf")
        assert sample.body().startswith(b"%PDF")
    finally:
        context.close()
