"""What an invoice's state means to a member: its status in words, totals, urgency.

Plain functions over `nexudus.records.Invoice`, so they are tested without a request.
Every status is a word first; colour only repeats it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nexudus.records import Invoice
from web import formatting


@dataclass(frozen=True, slots=True)
class Status:
    kind: str  # overdue | unpaid | paid | draft | credit: a CSS hook, never the only signal
    label: str


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency_code: str
    amount: Decimal


def days_overdue(invoice: Invoice, today: date) -> int:
    if invoice.paid or invoice.draft or invoice.credit_note or invoice.due_date is None:
        return 0
    return max(0, (today - invoice.due_date).days)


def invoice_status(invoice: Invoice, today: date, culture: str | None) -> Status:
    if invoice.credit_note:
        return Status("credit", _("Credit note"))
    if invoice.draft:
        return Status("draft", _("Draft"))
    if invoice.paid:
        if invoice.paid_on is not None:
            day = formatting.format_day(invoice.paid_on, culture)
            return Status("paid", _("Paid on %(day)s") % {"day": day})
        return Status("paid", _("Paid"))
    overdue = days_overdue(invoice, today)
    if overdue:
        label = ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", overdue)
        return Status("overdue", label % {"days": overdue})
    if invoice.due_date == today:
        return Status("unpaid", _("Due today"))
    return Status("unpaid", _("Unpaid"))


def counts_as_owed(invoice: Invoice) -> bool:
    # Drafts are not issued yet and credit notes are owed to the member, not by them.
    return not (invoice.paid or invoice.draft or invoice.credit_note)


def amount_due(invoice: Invoice) -> Decimal | None:
    return invoice.due_amount if invoice.due_amount is not None else invoice.total_amount


def outstanding_by_currency(invoices: Iterable[Invoice]) -> list[CurrencyTotal]:
    """What is owed, one total per currency: amounts in two currencies are never added up."""
    totals: dict[str, Decimal] = {}
    for invoice in invoices:
        due = amount_due(invoice)
        if not counts_as_owed(invoice) or due is None:
            continue
        code = invoice.currency_code or ""
        totals[code] = totals.get(code, Decimal(0)) + due
    return [CurrencyTotal(code, amount) for code, amount in sorted(totals.items())]


def most_urgent(invoices: Sequence[Invoice], today: date, limit: int) -> list[Invoice]:
    """Owed invoices, the longest overdue first, then by how soon they fall due."""
    owed = [invoice for invoice in invoices if counts_as_owed(invoice)]
    owed.sort(key=lambda invoice: (invoice.due_date or date.max, invoice.id))
    return owed[:limit]
