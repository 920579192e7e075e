"""Every count and total a member sees agrees with every other screen and with the rows below it.

For the typical, the empty, the two-currency and the 2,000-invoice member, against the sandbox:
the panel's count is the list's To pay count is the number of To pay rows over all pages; the
totals and the balance per currency are the sums of the rows; drafts and credit notes are never
to pay; both screens order by urgency; a currency is written one way on a page.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest
from django.test import Client

from tests.conftest import Person, sign_in

pytestmark = pytest.mark.django_db

MINUS = "\u2212"
AMOUNT = re.compile(r'<span class="amount">([^<]+)</span>')
ROW = re.compile(
    r'<th scope="row" class="number"><a href="[^"]+">([^<]+)</a>.*?<td class="num due amount">'
    r'<span class="label">[^<]*</span> ([^<]*)</td>',
    re.S,
)
ONE_FORMAT = {
    "£": re.compile(rf"^{MINUS}?£\d{{1,3}}(,\d{{3}})*\.\d{{2}}$"),
    "€": re.compile(rf"^{MINUS}?€\d{{1,3}}(,\d{{3}})*\.\d{{2}}$"),
}
PEOPLE = {
    "typical": Person("grace@example.com"),
    "empty": Person("empty@example.com"),
    "two currencies": Person("ada@example.com"),
    "2,000 invoices": Person("busy@example.com"),
}


def _signed_in(client: Client, person: Person) -> Client:
    if person.email == "grace@example.com":
        client.post("/login/", {"email": person.email, "password": person.password})
        assert client.post("/login/", {"totp": "123456"}).status_code == 303
    else:
        sign_in(client, person)
    return client


def _value(text: str) -> tuple[str, Decimal]:
    """ "−£1,234.50" -> ("£", Decimal("-1234.50")) (en-GB, the demo locations' culture)."""
    sign = -1 if text.startswith(MINUS) else 1
    text = text.removeprefix(MINUS)
    return text[0], sign * Decimal(text[1:].replace(",", ""))


def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}"')
    return page[start : page.index("</section>", start)]


def _to_pay_rows(client: Client, url: str = "/invoices/") -> list[tuple[str, str]]:
    """(number, amount due) of every To pay row, page after page."""
    rows: list[tuple[str, str]] = []
    while True:
        section = _section(client.get(url).content.decode(), "to-pay")
        main = section[: section.index("</table>")] if "</table>" in section else ""
        rows += ROW.findall(main)
        found = re.search(r'rel="next" href="([^"#]+)', section)
        if not found:
            return rows
        url = "/invoices/" + found.group(1).replace("&amp;", "&")


def _summary(section: str, label: str) -> dict[str, Decimal]:
    match = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", section, re.S)
    return dict(_value(text) for text in AMOUNT.findall(match.group(1))) if match else {}


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_every_screen_tells_one_story(client: Client, sandbox, who: str) -> None:
    person = PEOPLE[who]
    browser = _signed_in(client, person)
    rows = _to_pay_rows(browser)
    list_page = browser.get("/invoices/").content.decode()
    to_pay = _section(list_page, "to-pay")
    dashboard = browser.get("/").content.decode()

    # Counts: the panel's, the list's and the rows' agree.
    seeded = sandbox.app.data.invoices_of(sandbox.app.data.person_by_email(person.email).id)
    owed = [i for i in seeded if not (i.paid or i.draft or i.credit_note) and i.due_amount > 0]
    assert len(rows) == len(owed)
    if owed:
        noun = "invoice" if len(owed) == 1 else "invoices"
        assert f"{len(owed):,} {noun}</p>" in to_pay
        assert f"{len(owed):,} {noun} to pay" in dashboard
    else:
        assert "Nothing to pay" in to_pay and "You have no invoices to pay." in dashboard

    # Drafts and credit notes are never to pay.
    numbers = {number for number, _ in rows}
    assert numbers == {i.number for i in owed}

    # Totals per currency are the sums of the rows, on both screens.
    sums: dict[str, Decimal] = {}
    for _, amount in rows:
        symbol, value = _value(amount)
        sums[symbol] = sums.get(symbol, Decimal(0)) + value
    panel = dashboard[dashboard.index("Unpaid invoices") :] if owed else ""
    assert _summary(to_pay, "Total to pay") == sums
    if owed:
        assert _summary(panel, "Total to pay") == sums

    # The balance per currency is what is to pay minus the open credit, on both screens.
    credit = _summary(to_pay, "Credit")
    if credit:
        balance = {c: sums.get(c, Decimal(0)) - credit.get(c, Decimal(0)) for c in {*sums, *credit}}
        assert _summary(to_pay, "Balance") == balance
        assert _summary(panel, "Balance") == balance

    # Urgency: the oldest due date first, in the list and in the panel's most urgent.
    due = {i.number: (i.due_date, i.id) for i in owed}
    order = [number for number, _ in rows]
    assert order == sorted(order, key=lambda number: due[number])
    if owed:
        urgent = dashboard[dashboard.index('class="urgent-list"') :]
        urgent_numbers = re.findall(r'class="urgent-number"><a href="[^"]+">([^<]+)<', urgent)
        assert urgent_numbers == order[:3]

    # One format per currency on each page.
    for page in (list_page, dashboard):
        for text in AMOUNT.findall(page) + [amount for _, amount in ROW.findall(page)]:
            assert ONE_FORMAT[_value(text)[0]].match(text), text


def test_a_draft_and_open_credit_sit_apart_from_what_is_owed(signed_in_member, sandbox) -> None:
    to_pay = _section(signed_in_member.get("/invoices/").content.decode(), "to-pay")
    assert "Upcoming" in to_pay and "Not issued yet, so not counted in what you owe." in to_pay
    assert "Credit notes you can use" in to_pay
    assert re.search(r"<dt>Credit</dt><dd><span class=\"amount\">€55.35</span>", to_pay)
    assert re.search(r"<dt>Balance</dt>", to_pay)


def test_the_two_thousand_invoice_member_counts_all_of_it_in_one_call(
    client, sandbox, busy_member
) -> None:
    sign_in(client, busy_member)
    sandbox.app.clear_log()
    client.get("/")
    unpaid = [e for e in sandbox.app.calls("/api/public/billing/invoices/my")]
    assert len(unpaid) == 1  # 15 unpaid: one page of the largest size holds them


def test_every_successful_post_answers_303(client, sandbox, member, two_factor_member) -> None:
    signed = client.post("/login/", {"email": member.email, "password": member.password})
    assert signed.status_code == 303
    assert client.post("/logout/").status_code == 303
    other = Client()
    step = other.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    assert step.status_code == 303
    assert other.post("/login/", {"totp": "123456"}).status_code == 303


def test_a_year_narrows_the_rows_to_pay_but_the_totals_stay_whole_account(
    client: Client, sandbox
) -> None:
    data = sandbox.app.data
    busy = data.person_by_email("busy@example.com")
    year = data.today.year - 1
    # Three of last year's invoices were never paid: owed rows in two years.
    unpaid_last_year = [i for i in data.invoices_of(busy.id) if i.created_on.year == year][5:8]
    for invoice in unpaid_last_year:
        data.invoices[invoice.id] = dataclasses.replace(invoice, paid_on=None)
    browser = _signed_in(client, PEOPLE["2,000 invoices"])

    seeded = data.invoices_of(busy.id)
    owed = [i for i in seeded if not (i.paid or i.draft or i.credit_note) and i.due_amount > 0]
    owed_in_year = [i for i in owed if i.created_on.year == year]
    assert len(owed_in_year) == 3 and len(owed) == 18

    rows = _to_pay_rows(browser, f"/invoices/?year={year}")
    assert sorted(number for number, _ in rows) == sorted(i.number for i in owed_in_year)
    to_pay = _section(browser.get(f"/invoices/?year={year}").content.decode(), "to-pay")
    assert "3 invoices</p>" in to_pay  # the count agrees with the rows below it
    # The totals are the whole account's, as on the dashboard and the unfiltered list, and
    # the page says so.
    assert "These totals are for your whole account, all years" in to_pay
    whole = _summary(_section(browser.get("/invoices/").content.decode(), "to-pay"), "Total to pay")
    dashboard = browser.get("/").content.decode()
    panel = dashboard[dashboard.index("Unpaid invoices") :]
    assert _summary(to_pay, "Total to pay") == whole == _summary(panel, "Total to pay")
    sums: dict[str, Decimal] = {}
    for _, amount in _to_pay_rows(browser):
        symbol, value = _value(amount)
        sums[symbol] = sums.get(symbol, Decimal(0)) + value
    assert whole == sums
    assert "18 invoices to pay" in dashboard
