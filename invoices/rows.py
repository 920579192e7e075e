"""Invoice rows as the pages show them: every display value built once, in Python.

Templates only print these strings: no formatting, translation or URL reversing happens in a
row loop. Amounts go through `web.formatting.format_money` in the reader's language, so one
currency looks one way on a page; credit notes read as negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _

from invoices import status
from invoices.switches import ALL_ON, InvoiceSwitches
from nexudus.records import Invoice
from web.formatting import format_day, format_money, writing_culture


class DocumentLinks(Protocol):
    """Where a page's links lead: our routes, or a preview's samples."""

    def invoice(self, invoice_id: int) -> str: ...

    def invoice_pdf(self, invoice_id: int) -> str: ...

    def invoice_pay(self, invoice_id: int) -> str: ...

    def statement_pdf(self) -> str: ...

    def next_invoice_pdf(self) -> str: ...

    def export_csv(self, year: int | None) -> str: ...

    def export_zip(self, year: int | None) -> str: ...


class MemberDocumentLinks:
    """A member's links: our routes. PDF routes mint the short-lived upstream link at click
    time; Pay hands over to the location's payment page."""

    def invoice(self, invoice_id: int) -> str:
        return _route("invoices:detail", invoice_id)

    def invoice_pdf(self, invoice_id: int) -> str:
        return _route("invoices:pdf", invoice_id)

    def invoice_pay(self, invoice_id: int) -> str:
        return _route("invoices:pay", invoice_id)

    def statement_pdf(self) -> str:
        return reverse("invoices:statement")

    def next_invoice_pdf(self) -> str:
        return reverse("invoices:next")

    def export_csv(self, year: int | None) -> str:
        return _with_year(reverse("invoices:export_csv"), year)

    def export_zip(self, year: int | None) -> str:
        return _with_year(reverse("invoices:export_zip"), year)


def _with_year(path: str, year: int | None) -> str:
    return f"{path}?year={int(year)}" if year is not None else path


MEMBER_LINKS = MemberDocumentLinks()

# A number no invoice has, reversed once per route and script prefix; rows fill in their own id.
_ANY_ID = 987654321987


def _route(name: str, invoice_id: int) -> str:
    """`reverse(name, args=[invoice_id])`, at the cost of a string replace: three links a row
    made reversing the dearest part of building one."""
    return _route_pattern(name, get_script_prefix()).replace(str(_ANY_ID), str(int(invoice_id)))


@lru_cache(maxsize=32)
def _route_pattern(name: str, script_prefix: str) -> str:
    return reverse(name, args=[_ANY_ID])


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    number: str
    issued: str
    due: str
    total: str
    amount_due: str
    paid_on: str
    status: status.Status
    href: str  # the invoice's own page
    pdf_href: str  # empty when the space does not let members print invoices
    pay_href: str  # empty unless the member can pay it online now
    location: str  # the issuing location, when the member has more than one


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency, with its text: totals, credit, balances."""

    currency_code: str
    amount: Decimal
    text: str


class RowBuilder:
    """Builds rows for one page: one culture, one `today`, one set of links."""

    def __init__(
        self,
        today: date,
        culture: str | None,
        links: DocumentLinks,
        switches: InvoiceSwitches = ALL_ON,
        *,
        show_location: bool = False,
    ) -> None:
        self.today = today
        # Chosen once for the page's language: every row's dates and amounts are written so.
        self.culture = writing_culture(culture)
        self.links = links
        self.switches = switches
        self.show_location = show_location
        # A paid row says when in its own column; its badge needs one word, looked up once.
        self.paid = status.Status("paid", _("Paid"))
        # Rows that fall due on one day read alike: each status is worded once per page.
        self._statuses: dict[tuple[object, ...], status.Status] = {}

    def money(self, amount: Decimal | None, currency_code: str | None) -> str:
        if amount is None:
            return ""
        return format_money(amount, currency_code, self.culture)

    def row(self, invoice: Invoice) -> Row:
        total = invoice.total_amount
        due = status.amount_due(invoice)
        if invoice.credit_note:
            # A credit note is money back: it reads as negative, whatever sign Nexudus sent.
            total = -abs(total) if total is not None else None
            due = -status.credit_of(invoice)
        return Row(
            id=invoice.id,
            number=invoice.number or str(invoice.id),
            issued=format_day(invoice.created_on, self.culture),
            due=format_day(invoice.due_date, self.culture),
            total=self.money(total, invoice.currency_code),
            amount_due="" if invoice.paid else self.money(due, invoice.currency_code),
            paid_on=format_day(invoice.paid_on, self.culture) if invoice.paid else "",
            status=self._status(invoice),
            href=self.links.invoice(invoice.id),
            pdf_href=self.links.invoice_pdf(invoice.id) if self.switches.print else "",
            pay_href=self.links.invoice_pay(invoice.id) if self._payable(invoice) else "",
            location=(invoice.business_name or "") if self.show_location else "",
        )

    def _payable(self, invoice: Invoice) -> bool:
        return self.switches.pay_online and status.is_to_pay(invoice)

    def _status(self, invoice: Invoice) -> status.Status:
        if invoice.paid and not invoice.credit_note:
            return self.paid
        key = (
            invoice.credit_note,
            invoice.draft,
            invoice.paid,
            invoice.paid_on,
            invoice.due_date,
            status.is_partially_paid(invoice),
        )
        worded = self._statuses.get(key)
        if worded is None:
            worded = self._statuses[key] = status.invoice_status(invoice, self.today, self.culture)
        return worded

    def rows(self, invoices: Iterable[Invoice]) -> list[Row]:
        return [self.row(invoice) for invoice in invoices]

    def totals(self, totals: Sequence[status.CurrencyTotal]) -> list[Money]:
        return [
            Money(total.currency_code, total.amount, self.money(total.amount, total.currency_code))
            for total in totals
        ]


def several_locations(invoices: Iterable[Invoice]) -> bool:
    """True when the invoices come from more than one location: rows then say which."""
    return len({invoice.business_name for invoice in invoices if invoice.business_name}) > 1
