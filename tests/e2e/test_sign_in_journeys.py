"""Sign-in journeys in Chromium, with JavaScript on and off, through the quality gate."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD, DEMO_TOTP
from tests.e2e.conftest import Gate, PortalServer, open_page

pytestmark = pytest.mark.e2e


def _sign_in_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_member_signs_in_and_out(visitor: Page, gate: Gate, portal_server: PortalServer) -> None:
    visitor.goto(f"{portal_server.url}/")
    expect(visitor).to_have_url(f"{portal_server.url}/login/?next=%2F")
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
    gate.check(visitor)

    _sign_in_form(visitor, "ada@example.com", DEMO_PASSWORD)
    expect(visitor).to_have_url(f"{portal_server.url}/")
    expect(visitor.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()
    expect(visitor.get_by_role("link", name="Harbour Works London")).to_be_visible()
    gate.check(visitor)

    visitor.get_by_role("button", name="Sign out").click()
    expect(visitor.get_by_text("You have signed out.")).to_be_visible()
    gate.check(visitor)
    visitor.goto(f"{portal_server.url}/")
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_member_with_two_step_verification_signs_in(
    visitor: Page, gate: Gate, portal_server: PortalServer
) -> None:
    visitor.goto(f"{portal_server.url}/login/")
    _sign_in_form(visitor, "grace@example.com", DEMO_PASSWORD)
    expect(visitor.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(visitor.get_by_label("Password")).to_have_count(0)
    gate.check(visitor)

    visitor.get_by_label("6-digit code").fill("000000")
    visitor.get_by_role("button", name="Verify and sign in").click()
    expect(visitor.get_by_role("alert")).to_contain_text("That code did not work")
    gate.check(visitor)

    visitor.get_by_label("6-digit code").fill(DEMO_TOTP)
    visitor.get_by_role("button", name="Verify and sign in").click()
    expect(visitor.get_by_role("heading", name="Hello, Grace Hopper")).to_be_visible()
    gate.check(visitor)


def test_a_wrong_password_gets_the_generic_message(
    visitor: Page, gate: Gate, portal_server: PortalServer
) -> None:
    visitor.goto(f"{portal_server.url}/login/")
    _sign_in_form(visitor, "ada@example.com", "not-the-password")
    expect(visitor.get_by_role("alert")).to_contain_text("do not match an account here")
    expect(visitor.get_by_label("E-mail address")).to_have_value("ada@example.com")
    gate.check(visitor)


def test_a_member_who_must_reset_is_shown_the_way(
    visitor: Page, gate: Gate, portal_server: PortalServer
) -> None:
    visitor.goto(f"{portal_server.url}/login/")
    _sign_in_form(visitor, "alan@example.com", DEMO_PASSWORD)
    expect(visitor.get_by_role("alert")).to_contain_text("Please choose a new password")
    expect(visitor.get_by_role("link", name="Reset your password")).to_be_visible()
    gate.check(visitor)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_shell_holds_up_in_dark_mode_at_phone_and_desktop_width(
    browser, gate: Gate, portal_server: PortalServer, width: int
) -> None:
    context, page = open_page(browser, gate, js=True, dark=True, width=width)
    try:
        page.goto(f"{portal_server.url}/login/")
        gate.check(page)
        _sign_in_form(page, "ada@example.com", DEMO_PASSWORD)
        expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()
        gate.check(page)
        page.goto(f"{portal_server.url}/invoices/?credit_notes=1")
        expect(page.get_by_role("heading", name="My invoices")).to_be_visible()
        gate.check(page)
        page.goto(f"{portal_server.url}/no-such-page/")
        expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
        gate.check(page)
    finally:
        context.close()


def test_the_gate_itself_catches_inaccessible_and_invalid_pages(browser, gate: Gate) -> None:
    broken = "<!doctype html><html><title>t</title><input type=text><p></span>"
    context, page = open_page(browser, gate, js=True)
    try:
        page.set_content(broken)
        gate.check(page, source=broken)
    finally:
        context.close()
    found = "\n".join(gate.problems)
    gate.problems.clear()
    assert "axe" in found and "label" in found
    assert "html-has-lang" in found
    assert "Stray end tag" in found
