"""Years, a search by number and a period's exports in Chromium, with JavaScript on and off,
through the quality gate; the downloads are opened and read."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sandbox.server import RunningSandbox
from tests.e2e.conftest import Gate, PortalServer, js_on, sign_in_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def healthy_sandbox(e2e_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    e2e_sandbox.app.knobs.reset()
    yield e2e_sandbox
    e2e_sandbox.app.knobs.reset()


def _apply(page: Page) -> None:
    """Without JavaScript the form needs its button; with it, htmx acts on the change."""
    if not js_on(page):
        page.get_by_role("button", name="Apply").click()


def _downloaded(page: Page, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    return Path(info.value.path()).read_bytes()


def test_a_member_picks_a_year_searches_a_number_and_downloads_the_year(
    visitor: Page, gate: Gate, portal_server: PortalServer, healthy_sandbox: RunningSandbox
) -> None:
    data = healthy_sandbox.app.data
    busy = data.person_by_email("busy@example.com")
    year = data.today.year - 5  # the oldest year: a couple of hundred documents
    documents = [i for i in data.invoices_of(busy.id) if i.created_on.year == year]
    paid = [i for i in documents if i.paid and not i.credit_note]

    sign_in_as(visitor, portal_server, "busy@example.com")
    visitor.goto(f"{portal_server.url}/invoices/")
    expect(visitor.get_by_label("Year")).to_have_value("")
    gate.check(visitor)

    # Pick a year.
    visitor.get_by_label("Year").select_option(str(year))
    _apply(visitor)
    groups = visitor.locator("#invoice-groups")
    expect(groups).to_contain_text(f"Invoices from {year}")
    paid_group = visitor.get_by_role("region", name="Paid")
    expect(paid_group).to_contain_text(f"1–20 of {len(paid)}")
    expect(visitor).to_have_url(re.compile(rf"/invoices/\?year={year}"))
    expect(visitor.get_by_role("region", name="To pay")).to_contain_text(
        "for your whole account, all years"
    )
    if js_on(visitor):
        expect(visitor.locator("#live-region")).to_contain_text(f"Invoices from {year}.")
    gate.check(visitor)

    # Turn a page within the year: the year stays.
    paid_group.get_by_role("link", name="Next").click()
    expect(paid_group).to_contain_text(f"21–40 of {len(paid)}")
    expect(visitor).to_have_url(re.compile(rf"year={year}&paid_page=2"))
    gate.check(visitor)

    # Search a number within the year.
    wanted = paid[3].number
    visitor.get_by_label("Invoice number").fill(wanted.lower())
    visitor.get_by_label("Invoice number").press("Enter")
    expect(groups).to_contain_text(f"whose number contains “{wanted.lower()}”")
    expect(paid_group.get_by_role("link", name=wanted, exact=True)).to_be_visible()
    expect(paid_group).to_contain_text("1 invoice")
    gate.check(visitor)

    # Download the year's CSV and zip, open both, read them.
    table = _downloaded(visitor, "Spreadsheet (CSV)").decode("utf-8")
    assert table.startswith("\ufeffNumber,Issued,Due,Paid on,Status")
    rows = list(csv.reader(io.StringIO(table.removeprefix("\ufeff"), newline="")))
    assert sorted(row[0] for row in rows[1:]) == sorted(i.number for i in documents)
    archive = zipfile.ZipFile(io.BytesIO(_downloaded(visitor, "PDFs (zip)")))
    names = archive.namelist()
    assert names[0] == f"invoices-{year}.csv" and "MISSING.txt" not in names
    pdfs = [name for name in names if name.endswith(".pdf")]
    assert len(pdfs) == len(documents)
    assert all(archive.read(name).startswith(b"%PDF") for name in pdfs[:5])
    assert archive.testzip() is None

    # A number that is nowhere: the page says so and offers to clear the search.
    visitor.get_by_label("Invoice number").fill("zz9")
    visitor.get_by_label("Invoice number").press("Enter")
    expect(groups).to_contain_text(f"No invoice number contains “zz9” in {year}.")
    gate.check(visitor)
    groups.get_by_role("link", name="Clear the search").click()
    expect(visitor).to_have_url(f"{portal_server.url}/invoices/?year={year}")
    expect(visitor.get_by_label("Invoice number")).to_have_value("")
    expect(paid_group).to_contain_text(f"1–20 of {len(paid)}")
    gate.check(visitor)


def test_everything_at_once_is_too_much_for_one_zip_and_says_which_years_to_take(
    visitor: Page, gate: Gate, portal_server: PortalServer, healthy_sandbox: RunningSandbox
) -> None:
    sign_in_as(visitor, portal_server, "busy@example.com")
    visitor.goto(f"{portal_server.url}/invoices/")
    visitor.get_by_role("link", name="PDFs (zip)").click()
    expect(visitor.get_by_role("heading", name="Too many for one download")).to_be_visible()
    year = healthy_sandbox.app.data.today.year
    expect(visitor.get_by_role("link", name=f"{year}: PDFs (zip)")).to_be_visible()
    gate.check(visitor)


def test_the_find_controls_fit_a_phone_with_big_enough_targets(
    browser, gate: Gate, portal_server: PortalServer, healthy_sandbox: RunningSandbox
) -> None:
    from tests.e2e.conftest import open_page

    for width in (375, 320):
        context, page = open_page(browser, gate, js=True, width=width)
        try:
            sign_in_as(page, portal_server, "busy@example.com")
            year = healthy_sandbox.app.data.today.year - 1
            page.goto(f"{portal_server.url}/invoices/?year={year}&q=0001")
            gate.check(page)  # includes: nothing scrolls sideways
            small = page.evaluate(
                """() => [...document.querySelectorAll(
                    '.filter select, .filter input[type=search], .filter button,'
                    + ' .filter-check, .finding-exports a')]
                  .map(el => el.getBoundingClientRect())
                  .filter(box => box.height < 44)
                  .map(box => box.width + 'x' + box.height)"""
            )
            assert small == []
            year_box = page.get_by_label("Year").bounding_box()
            number_box = page.get_by_label("Invoice number").bounding_box()
            assert year_box and number_box and abs(year_box["y"] - number_box["y"]) < 2
        finally:
            context.close()
