"""Six languages in Chromium: the footer's switcher with JavaScript on and off, and every
language through the quality gate (axe, vnu, no sideways scroll, nothing overlapping) at desktop
and phone widths, German (the longest words) down to 320 px. (Staff previews in every language
are checked with the test client: a second staff sign-in here would reuse the demo staff's TOTP
code within its 30 seconds, which django-otp rightly refuses to the other journey.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.server import RunningSandbox
from tests.conftest import DEMO_PASSWORD
from tests.e2e.conftest import Gate, PortalServer, open_page

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def healthy_sandbox(e2e_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    e2e_sandbox.app.knobs.reset()
    yield e2e_sandbox
    e2e_sandbox.app.knobs.reset()


STRIPE = "cs_test_COo38eU2e1SP8MMWLo9IRRqFwfRgJiuNa23pakKqwf0OnEMvAeorXeFZUz"

# What each language calls the pages, so a journey can find its way in it.
WORDS = {
    "en": (
        "English",
        "Sign in",
        "E-mail address",
        "Password",
        "Hello, Ada Lovelace",
        "My invoices",
    ),
    "fr": (
        "Français",
        "Se connecter",
        "Adresse e-mail",
        "Mot de passe",
        "Bonjour Ada Lovelace",
        "Mes factures",
    ),
    "de": (
        "Deutsch",
        "Anmelden",
        "E-Mail-Adresse",
        "Passwort",
        "Hallo Ada Lovelace",
        "Meine Rechnungen",
    ),
    "it": (
        "Italiano",
        "Accedi",
        "Indirizzo email",
        "Password",
        "Ciao Ada Lovelace",
        "Le mie fatture",
    ),
    "pt": (
        "Português",
        "Iniciar sessão",
        "Endereço de e-mail",
        "Palavra-passe",
        "Olá, Ada Lovelace",
        "As minhas faturas",
    ),
    "es": (
        "Español",
        "Iniciar sesión",
        "Correo electrónico",
        "Contraseña",
        "Hola, Ada Lovelace",
        "Mis facturas",
    ),
}

# Boxes in one row that must never cover each other, whatever the words.
OVERLAPS = """() => {
  const rows = document.querySelectorAll('.urgent-list li, .invoice-table tbody tr');
  const found = [];
  for (const row of rows) {
    // A cell's box never overlaps its neighbours, its words may: measure the words.
    const box = el => {
      if (el.tagName !== 'TD') return el.getBoundingClientRect();
      const range = document.createRange();
      range.selectNodeContents(el);
      return range.getBoundingClientRect();
    };
    const boxes = [...row.querySelectorAll('.status, .row-action, .amount, td.date, th a')]
      .map(el => [el, box(el)])
      .filter(([, r]) => r.width > 0 && r.height > 0);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i], [b, rb] = boxes[j];
        if (a.contains(b) || b.contains(a)) continue;
        const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (x > 1 && y > 1) found.push(a.textContent.trim() + ' / ' + b.textContent.trim());
      }
    }
  }
  return found;
}"""


def _switch_to(page: Page, language: str) -> None:
    """The footer's switcher: a real form post, with or without JavaScript."""
    address = page.url
    page.locator(".language-switcher").get_by_role("button", name=WORDS[language][0]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.url == address  # the same page, at the same address, in the other language


def _sign_in(page: Page, language: str) -> None:
    _, sign_in, email, password, hello, _ = WORDS[language]
    page.get_by_label(email).fill("ada@example.com")
    page.get_by_label(password, exact=True).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name=sign_in).click()
    expect(page.get_by_role("heading", name=hello)).to_be_visible()


def test_the_switcher_works_with_javascript_on_and_off(
    visitor: Page, gate: Gate, portal_server: PortalServer
) -> None:
    visitor.goto(f"{portal_server.url}/login/?next=%2Finvoices%2F")
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    _switch_to(visitor, "de")
    expect(visitor.get_by_role("heading", name="Anmelden")).to_be_visible()
    gate.check(visitor)

    # The choice is remembered: signing in and the pages after it speak German.
    visitor.get_by_label("E-Mail-Adresse").fill("ada@example.com")
    visitor.get_by_label("Passwort", exact=True).fill(DEMO_PASSWORD)
    visitor.locator("main").get_by_role("button", name="Anmelden").click()
    expect(visitor).to_have_url(f"{portal_server.url}/invoices/")
    expect(visitor.get_by_role("heading", name="Meine Rechnungen", level=1)).to_be_visible()
    gate.check(visitor)

    _switch_to(visitor, "pt")
    expect(visitor.get_by_role("heading", name="As minhas faturas", level=1)).to_be_visible()
    expect(visitor.get_by_role("button", name="Terminar sessão")).to_be_visible()
    gate.check(visitor)


def test_switching_language_after_an_htmx_page_turn_stays_on_that_page(
    visitor: Page, gate: Gate, portal_server: PortalServer
) -> None:
    visitor.goto(f"{portal_server.url}/login/?next=%2Finvoices%2F")
    visitor.get_by_label("E-mail address").fill("busy@example.com")
    visitor.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    visitor.locator("main").get_by_role("button", name="Sign in").click()
    paid = visitor.get_by_role("region", name="Paid")
    paid.get_by_role("link", name="Next").click()
    expect(paid).to_contain_text("21–40 of")
    _switch_to_and_land(visitor, "fr", f"{portal_server.url}/invoices/?paid_page=2")
    expect(visitor.get_by_role("region", name="Payées")).to_contain_text("21–40 sur")
    gate.check(visitor)


def _switch_to_and_land(page: Page, language: str, address: str) -> None:
    page.locator(".language-switcher").get_by_role("button", name=WORDS[language][0]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page).to_have_url(address)


def test_a_guest_switches_language_on_the_checkout_page(
    visitor: Page, gate: Gate, portal_server: PortalServer
) -> None:
    """The guest's page sends no referrer, so the browser posts the switch with Origin: null;
    it still works, and the guest comes back to the same purchase."""
    visitor.goto(f"{portal_server.url}/checkout/complete/39001/?stripe_session_id={STRIPE}")
    expect(visitor.get_by_role("heading", name="Thank you for your purchase")).to_be_visible()
    _switch_to(visitor, "es")
    expect(visitor.get_by_role("heading", name="Gracias por tu compra")).to_be_visible()
    expect(visitor.get_by_role("link", name="Descargar la factura (PDF)")).to_be_visible()
    gate.check(visitor)


@pytest.mark.parametrize("language", list(WORDS))
def test_every_language_passes_the_gate_at_desktop_and_phone_width(
    browser: Browser, gate: Gate, portal_server: PortalServer, language: str
) -> None:
    widths = [1280, 375, 320] if language == "de" else [1280, 375]
    for width in widths:
        context, page = open_page(browser, gate, js=True, width=width)
        try:
            page.goto(f"{portal_server.url}/login/")
            if language != "en":
                _switch_to(page, language)
            gate.check(page)
            _sign_in(page, language)
            gate.check(page)
            assert page.evaluate(OVERLAPS) == [], (language, width, "dashboard")
            page.goto(f"{portal_server.url}/invoices/?credit_notes=1")
            expect(page.get_by_role("heading", name=WORDS[language][5], level=1)).to_be_visible()
            gate.check(page)
            assert page.evaluate(OVERLAPS) == [], (language, width, "my invoices")
            page.goto(f"{portal_server.url}/invoices/30009/")
            gate.check(page)
        finally:
            context.close()
