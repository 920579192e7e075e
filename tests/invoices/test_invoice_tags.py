"""The invoice template tags, rendered the way the pages render them."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template

from invoices.pages import MEMBER_LINKS
from members.session import Location
from nexudus.records import Invoice

TODAY = date(2026, 3, 10)
NBSP = "\xa0"


def _location(culture: str | None) -> Location:
    return Location(
        name="The Space",
        language_culture=culture or "",
        currency_code="GBP",
        time_zone="Europe/London",
    )


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


def _render(source: str, culture: str | None = "en-GB", **context) -> str:
    template = Template("{% load web_tags invoice_tags %}" + source)
    return template.render(Context({"location": _location(culture), "today": TODAY, **context}))


# --- totals -------------------------------------------------------------------------------------


def test_it_shows_the_total_nexudus_formatted_when_there_is_one() -> None:
    invoice = _invoice(total_formatted="£1,234.50 (incl. VAT)")
    assert _render("{% invoice_total invoice %}", invoice=invoice) == "£1,234.50 (incl. VAT)"


def test_it_formats_the_total_itself_when_nexudus_sent_none() -> None:
    invoice = _invoice(total_formatted=None)
    assert _render("{% invoice_total invoice %}", "en-GB", invoice=invoice) == "£1,234.50"
    assert _render("{% invoice_total invoice %}", "pt-PT", invoice=invoice) == (
        f"1{NBSP}234,50{NBSP}£"
    )


def test_it_shows_the_formatted_total_as_the_amount_due_when_nothing_is_paid_yet() -> None:
    formatted = "GBP 1,234.50"
    unpaid = _invoice(total_formatted=formatted, due_amount=Decimal("1234.50"))
    unknown_due = _invoice(total_formatted=formatted, due_amount=None)
    assert _render("{% amount_due invoice %}", invoice=unpaid) == formatted
    assert _render("{% amount_due invoice %}", invoice=unknown_due) == formatted


def test_it_formats_what_is_left_to_pay_on_a_part_paid_invoice() -> None:
    invoice = _invoice(total_formatted="GBP 1,234.50", due_amount=Decimal("234.5"))
    assert _render("{% amount_due invoice %}", "en-GB", invoice=invoice) == "£234.50"
    assert _render("{% amount_due invoice %}", "pt-PT", invoice=invoice) == f"234,50{NBSP}£"


def test_it_formats_the_amount_due_itself_when_nexudus_sent_no_formatted_total() -> None:
    invoice = _invoice(total_formatted=None, due_amount=None)
    assert _render("{% amount_due invoice %}", invoice=invoice) == "£1,234.50"


# --- escaping -----------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize("tag", ["invoice_total", "amount_due"])
def test_it_escapes_markup_in_the_formatted_total(tag) -> None:
    invoice = _invoice(total_formatted=SCRIPT)
    rendered = _render(f"{{% {tag} invoice %}}", invoice=invoice)
    assert "<script>" not in rendered
    assert html.unescape(rendered) == SCRIPT


def test_it_escapes_markup_in_the_invoice_number() -> None:
    rendered = _render("{{ invoice.number }}", invoice=_invoice(number=SCRIPT))
    assert "<script>" not in rendered
    assert html.unescape(rendered) == SCRIPT


# --- status -------------------------------------------------------------------------------------


def test_it_gives_the_status_against_the_day_in_the_context() -> None:
    invoice = _invoice(due_date=TODAY - timedelta(days=1))
    source = "{% invoice_status invoice as state %}{{ state.kind }}: {{ state.label }}"
    assert _render(source, invoice=invoice) == "overdue: Overdue by 1 day"
    later = _render(source, invoice=invoice, today=TODAY + timedelta(days=1))
    assert later == "overdue: Overdue by 2 days"


def test_it_gives_the_paid_day_in_the_locations_way() -> None:
    invoice = _invoice(paid=True, paid_on=datetime(2026, 10, 1, 9, 0))
    source = "{% invoice_status invoice as state %}{{ state.label }}"
    assert _render(source, "en-GB", invoice=invoice) == "Paid on 1 Oct 2026"
    assert _render(source, "pt-PT", invoice=invoice) == "Paid on 01/10/2026"


# --- links --------------------------------------------------------------------------------------


def test_it_links_a_member_to_our_own_pdf_route() -> None:
    source = "{% invoice_pdf_href links invoice %}"
    assert _render(source, invoice=_invoice(id=42), links=MEMBER_LINKS) == "/invoices/42/pdf/"
    assert _render(source, invoice=_invoice(id=7), links=MEMBER_LINKS) == "/invoices/7/pdf/"
