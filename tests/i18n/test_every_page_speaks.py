"""Every page, in every state, in every language: no English message of ours is left showing.

Each page a member, a guest or staff can reach is rendered with the Django test client, in each
language: every staff-preview state (the registry lists them all), and the real pages against
the sandbox where a real member, guest or failure is needed. What a reader sees (text, tooltips,
accessible names, live-region announcements; see tests.harness.catalogues) must contain no
English message of the catalogue, unless the language writes it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

import nexudus
from preview.registry import STATES
from preview.samples import PEOPLE, sample_invoices
from tests.conftest import DEMO_PASSWORD, Person, sign_in
from tests.harness.catalogues import TRANSLATED, describe, untranslated_english
from web.formatting import location_today

pytestmark = pytest.mark.django_db

STRIPE = "cs_test_COo38eU2e1SP8MMWLo9IRRqFwfRgJiuNa23pakKqwf0OnEMvAeorXeFZUz"
CHECKOUT = f"/checkout/complete/39001/?stripe_session_id={STRIPE}"
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class Rendered:
    where: str
    html: str
    full_page: bool = True


def _browser(language: str, **defaults: str) -> Client:
    browser = Client(**defaults)
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def _get(browser: Client, where: str, path: str, **headers: str) -> Rendered:
    response = browser.get(path, **headers)
    assert response.status_code < 500 or where.endswith("(down)"), (where, response.status_code)
    assert response.status_code not in (301, 302, 303), (where, response.get("Location"))
    return Rendered(where, response.content.decode(), "<html" in response.content.decode())


def _staff_pages(language: str) -> Iterator[Rendered]:
    staff = get_user_model().objects.create_user(f"pat-{language}", password="pw", is_staff=True)
    browser = _browser(language)
    browser.force_login(staff)
    yield _get(browser, "preview index", "/preview/")
    for state in STATES:
        yield _get(
            browser, f"preview {state.page}/{state.key}", f"/preview/{state.page}/{state.key}/"
        )
    state = STATES[0]
    yield _get(browser, "preview phone frame", f"/preview/{state.page}/{state.key}/phone/")
    yield _get(browser, "staff admin", "/admin/")
    yield _get(_browser(language), "staff sign-in", "/admin/login/")


def _visitor_pages(language: str, sandbox) -> Iterator[Rendered]:
    visitor = _browser(language)
    yield _get(visitor, "sign-in", "/login/")
    yield _get(visitor, "sign-in, session ended", "/login/?reason=expired")
    yield _get(visitor, "sign-in, signed out", "/login/?reason=signed-out")
    for where, data in [
        ("sign-in, nothing filled in", {"email": "", "password": ""}),
        ("sign-in, wrong password", {"email": "ada@example.com", "password": "nope"}),
        ("sign-in, must reset", {"email": "alan@example.com", "password": DEMO_PASSWORD}),
    ]:
        response = visitor.post("/login/", data)
        yield Rendered(where, response.content.decode())
    two_step = _browser(language)
    two_step.post("/login/", {"email": "grace@example.com", "password": DEMO_PASSWORD})
    yield _get(two_step, "sign-in, two-step code", "/login/")
    response = two_step.post("/login/", {"totp": "12"})
    yield Rendered("sign-in, malformed code", response.content.decode())
    response = two_step.post("/login/", {"totp": "000000"})
    yield Rendered("sign-in, wrong code", response.content.decode())
    yield _get(visitor, "not found", "/no-such-page/")
    guest = _browser(language)
    yield _get(guest, "checkout", CHECKOUT)
    yield _get(guest, "checkout, bad link", "/checkout/complete/39001/")
    yield _get(
        guest, "checkout, rejected", "/checkout/complete/39001/?paypal_session_id=ZZZZZZZZZZZZZZZZZ"
    )
    response = guest.post(CHECKOUT, {})
    yield _get(guest, "checkout, account created", response["Location"])
    expired = Client(enforce_csrf_checks=True)
    expired.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    response = expired.post("/login/", {"email": "ada@example.com", "password": "x"})
    yield Rendered("form expired (CSRF)", response.content.decode())


def _answers_again(sandbox) -> None:
    """Nexudus is back, and the portal's circuit to it closed again (the failures above
    opened it, and its cool-down would refuse the pages below)."""
    sandbox.app.knobs.update(fault=None, fault_path_prefix=None)
    nexudus.default_api().transport.forget_hosts()


def _a_year_of(sandbox, person: Person) -> int:
    """The year of the member's newest invoice: the year filter has something to show."""
    data = sandbox.app.data
    return max(i.created_on.year for i in data.invoices_of(data.person_by_email(person.email).id))


def _as_of(page: Rendered) -> Rendered:
    """A page Nexudus failed to answer that shows the last good copy (kept when it was seen
    healthy above), with its "as of" notice."""
    assert 'class="alert alert-stale"' in page.html, page.where
    return page


def _member_pages(language: str, sandbox, person: Person, settings) -> Iterator[Rendered]:
    member = _browser(language)
    sign_in(member, person)
    yield _get(member, "dashboard", "/")
    yield _get(member, "my invoices", "/invoices/")
    yield _get(member, "my invoices, credit notes", "/invoices/?credit_notes=1")
    yield _get(
        member,
        "my invoices, paid page 2 (htmx)",
        "/invoices/?paid_page=2",
        HTTP_HX_TARGET="paid",
        **HTMX,
    )
    yield _get(
        member,
        "my invoices, both groups (htmx)",
        "/invoices/?credit_notes=1",
        HTTP_HX_TARGET="invoice-groups",
        **HTMX,
    )
    year = _a_year_of(sandbox, person)
    yield _get(member, f"my invoices, {year} only", f"/invoices/?year={year}")
    yield _get(member, "my invoices, a search that finds nothing", "/invoices/?q=zz9")
    yield _get(
        member, f"my invoices, {year}, a search that finds nothing", f"/invoices/?year={year}&q=zz9"
    )
    # A download, not a page: its header row and status words are worded for the reader too.
    yield _get(member, "my invoices as a CSV", "/invoices/export.csv")
    for invoice_id in (30001, 30002, 30009, 30010, 30011):
        yield _get(member, f"invoice {invoice_id}", f"/invoices/{invoice_id}/")
    yield _get(member, "sign-out button", "/logout/")
    sandbox.app.knobs.update(fault="503")
    yield _get(member, "dashboard (down)", "/")
    yield _as_of(_get(member, "my invoices (down)", "/invoices/"))
    yield _as_of(_get(member, "invoice (down)", "/invoices/30001/"))
    yield _get(member, "export (down)", "/invoices/export.csv")
    yield _get(member, "invoice PDF (down)", "/invoices/30001/pdf/")
    yield _get(member, "statement (down)", "/invoices/statement/pdf/")
    _answers_again(sandbox)
    settings.NEXUDUS_PAY_URL = "http://{web_address}/invoices/{invoice_unique_id}/pay"
    yield _get(member, "invoice, pay on", "/invoices/30001/")
    sandbox.app.knobs.update(fault="503", fault_path_prefix="/api/public/billing/invoices/30001")
    yield _get(member, "pay (down)", "/invoices/30001/pay/")
    _answers_again(sandbox)
    sandbox.app.knobs.update(invoices_viewable=False)
    yield _get(member, "my invoices, not shown", "/invoices/")
    yield _get(member, "dashboard, invoices not shown", "/")
    sandbox.app.knobs.update(invoices_viewable=True)
    busy = _browser(language)
    sign_in(busy, Person("busy@example.com"))
    yield _get(busy, "long history, page 3", "/invoices/?paid_page=3")
    yield _get(busy, "zip of every year, too many", "/invoices/export.zip")
    empty = _browser(language)
    sign_in(empty, Person("empty@example.com"))
    yield _get(empty, "nothing at all", "/invoices/")
    yield _get(empty, "dashboard, nothing to pay", "/")


def _nexudus_data(sandbox) -> set[str]:
    """What the space wrote in Nexudus (invoice lines) and the previews' samples of it."""
    texts = {line.description for i in sandbox.app.data.invoices.values() for line in i.lines}
    for person in PEOPLE:
        invoices = sample_invoices(person, location_today(PEOPLE[person].home.time_zone))
        texts |= {line.description for invoice in invoices for line in invoice.lines}
    return {text for text in texts if text}


def _check(pages: Iterator[Rendered], language: str, data: set[str]) -> list[str]:
    problems, checked = [], 0
    for page in pages:
        checked += 1
        if page.full_page:
            match = re.search(r'<html lang="([\w-]+)"', page.html)
            if not match or match.group(1) != language:
                problems.append((page.where, "<html lang>", match.group(1) if match else ""))
        for english, run in untranslated_english(page.html, language, data):
            problems.append((page.where, english, run))
    assert checked > 10
    return problems


@pytest.mark.timeout(600)
@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_is_left_on_any_page_in_any_state(language, sandbox, member, settings) -> None:
    pages: list[Callable[[], Iterator[Rendered]]] = [
        lambda: _staff_pages(language),
        lambda: _visitor_pages(language, sandbox),
        lambda: _member_pages(language, sandbox, member, settings),
    ]
    data = _nexudus_data(sandbox)
    problems = [problem for build in pages for problem in _check(build(), language, data)]
    assert problems == [], f"English left in {language}:\n{describe(problems)}"


def test_the_check_sees_english_when_it_is_there(sandbox, member, settings) -> None:
    """The same check on English pages finds English everywhere: it is not blind."""
    seen = {
        english
        for page in _member_pages("en", sandbox, member, settings)
        for english, _ in untranslated_english(page.html, "de")
    }
    for english in [
        "My invoices",
        "Sign out",
        "Total to pay",
        "Overdue by %(days)d days",
        "Language",
    ]:
        assert english in seen, english
