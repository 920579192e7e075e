"""Invoice rows as the pages show them: display values built once, one money format."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from invoices.rows import MEMBER_LINKS, RowBuilder
from nexudus.records import Invoice

TODAY = date(2026, 3, 10)
NBSP = "\xa0"
MINUS = "\u2212"


def _invoice(**fields) -> Invoice:
    values = {
        "id": 42,
        "number": "INV-42",
        "paid": False,
        "draft": False,
        "credit_note": False,
        "total_amount": Decimal("1234.50"),
        "currency_code": "GBP",
        "due_date": TODAY + timedelta(days=7),
    }
    values.update(fields)
    return Invoice(**values)


def _row(culture: str = "en-GB", **fields):
    return RowBuilder(TODAY, culture, MEMBER_LINKS).row(_invoice(**fields))


def test_it_formats_every_amount_itself_in_the_readers_language() -> None:
    # Issue 11: one format per currency per page (Nexudus's TotalFormated is not used).
    assert _row(currency_code="GBP").total == "£1,234.50"
    with translation.override("pt"):
        assert _row("pt-PT").total == f"1{NBSP}234,50{NBSP}£"
    # A Lisbon location read in English: English digits, the invoice's own currency.
    with translation.override("en"):
        assert _row("pt-PT").total == "£1,234.50"


def test_a_page_asks_for_its_language_once_not_once_per_row() -> None:
    with translation.override("de"):
        builder = RowBuilder(TODAY, "en-GB", MEMBER_LINKS)
    # Built in German, its rows stay German whatever is active when they are made.
    with translation.override("en"):
        assert builder.row(_invoice()).total == f"1.234,50{NBSP}£"


def test_it_shows_the_total_as_the_amount_due_when_nothing_is_paid_yet() -> None:
    assert _row(due_amount=Decimal("1234.50")).amount_due == "£1,234.50"
    assert _row(due_amount=None).amount_due == "£1,234.50"


def test_it_formats_what_is_left_to_pay_on_a_part_paid_invoice() -> None:
    row = _row(due_amount=Decimal("234.5"))
    assert row.amount_due == "£234.50"
    assert row.status.note == "Partially paid"
    with translation.override("pt"):
        assert _row("pt-PT", due_amount=Decimal("234.5")).amount_due == f"234,50{NBSP}£"


def test_a_credit_note_reads_as_negative_with_a_true_minus_sign() -> None:
    positive = _row(credit_note=True, total_amount=Decimal("30"), due_amount=Decimal("30"))
    negative = _row(credit_note=True, total_amount=Decimal("-30"), due_amount=Decimal("-30"))
    for row in (positive, negative):
        assert row.total == f"{MINUS}£30.00"
        assert row.amount_due == f"{MINUS}£30.00"
        assert "-" not in row.total


def test_a_paid_row_says_when_instead_of_an_empty_amount_due() -> None:
    row = _row(paid=True, paid_on=datetime(2026, 10, 1, 9, 0), due_amount=Decimal(0))
    assert row.amount_due == ""
    assert row.paid_on == "1 Oct 2026"
    assert (row.status.kind, row.status.label) == ("paid", "Paid")


def test_it_writes_dates_the_way_each_language_writes_them() -> None:
    issued = datetime(2026, 10, 1, 23, 59)
    assert _row(created_on=issued).issued == "1 Oct 2026"
    with translation.override("pt"):
        assert _row("pt-PT", created_on=issued).issued == "1/10/2026"
    with translation.override("fr"):
        assert _row(created_on=issued).issued == "1 oct. 2026"


def test_it_links_a_member_to_our_own_pdf_route() -> None:
    assert _row(id=42).pdf_href == "/invoices/42/pdf/"
    assert _row(id=7).pdf_href == "/invoices/7/pdf/"


def test_it_names_an_invoice_without_a_number_by_its_id() -> None:
    assert _row(number=None, id=9).number == "9"


SCRIPT = "<script>alert(1)</script>"


def test_it_escapes_markup_in_the_invoice_number() -> None:
    row = _row(number=SCRIPT)
    rendered = Template("{{ row.number }}").render(Context({"row": row}))
    assert "<script>" not in rendered
    assert html.unescape(rendered) == SCRIPT


def test_it_escapes_markup_in_a_currency_code() -> None:
    row = _row(currency_code="<b>", total_amount=Decimal("1"))
    rendered = Template("{{ row.total }}").render(Context({"row": row}))
    assert "<b>" not in rendered
    assert "&lt;b&gt;" in rendered
