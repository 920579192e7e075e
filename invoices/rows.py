"""Invoice rows as the pages show them: every display value built once, in Python.

Templates only print these strings: no formatting, translation or URL reversing happens in a
row loop. Amounts go through `web.formatting.format_money` with the member's culture, so one
currency looks one way on a page; credit notes read as negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.urls import reverse
from django.utils.translation import gettext as _

from invoices import status
from nexudus.records import Invoice
from web.formatting import format_day, format_money


class DocumentLinks(Protocol):
    """Where a page's PDF links lead: our click-time routes, or a preview's samples."""

    def invoice_pdf(self, invoice_id: int) -> str: ...

    def statement_pdf(self) -> str: ...


class MemberDocumentLinks:
    """A member's PDF links: our routes, which mint the short-lived upstream link at click time."""

    def invoice_pdf(self, invoice_id: int) -> str:
        return reverse("invoices:pdf", args=[invoice_id])

    def statement_pdf(self) -> str:
        return reverse("invoices:statement")


MEMBER_LINKS = MemberDocumentLinks()


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
    pdf_href: str


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency, with its text: totals, credit, balances."""

    currency_code: str
    amount: Decimal
    text: str


class RowBuilder:
    """Builds rows for one page: one culture, one `today`, one set of links."""

    def __init__(self, today: date, culture: str | None, links: DocumentLinks) -> None:
        self.today = today
        self.culture = culture
        self.links = links
        # A paid row says when in its own column; its badge needs one word, looked up once.
        self.paid = status.Status("paid", _("Paid"))

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
            pdf_href=self.links.invoice_pdf(invoice.id),
        )

    def _status(self, invoice: Invoice) -> status.Status:
        if invoice.paid and not invoice.credit_note:
            return self.paid
        return status.invoice_status(invoice, self.today, self.culture)

    def rows(self, invoices: Iterable[Invoice]) -> list[Row]:
        return [self.row(invoice) for invoice in invoices]

    def totals(self, totals: Sequence[status.CurrencyTotal]) -> list[Money]:
        return [
            Money(total.currency_code, total.amount, self.money(total.amount, total.currency_code))
            for total in totals
        ]
