"""What an invoice's state means to a member: its status in words, and the one rule for what
a member owes (written once; the panel, My Invoices, counts and totals all use it).

Plain functions over `nexudus.records.Invoice`, so they are tested without a request. Every
status is a word first; colour only repeats it.

The rule:
- *to pay*: issued (not draft) invoices, not credit notes, not paid, with an amount due > 0;
- *upcoming*: drafts, shown apart as not issued yet, never counted as owed;
- *credit*: unpaid credit notes, money the member has, per currency; the balance per currency
  is what is to pay minus that credit, as the statement computes it.
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

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Status:
    # overdue | due | unpaid | paid | draft | credit: a CSS hook, never the only signal
    kind: str
    label: str
    # A second word where one is not enough: "Partially paid" beside "Overdue by 3 days".
    note: str = ""


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency_code: str
    amount: Decimal


def amount_due(invoice: Invoice) -> Decimal | None:
    return invoice.due_amount if invoice.due_amount is not None else invoice.total_amount


def is_to_pay(invoice: Invoice) -> bool:
    due = amount_due(invoice)
    return (
        not invoice.paid
        and not invoice.draft
        and not invoice.credit_note
        and due is not None
        and due > 0
    )


def is_upcoming(invoice: Invoice) -> bool:
    return bool(invoice.draft) and not invoice.paid and not invoice.credit_note


def is_open_credit(invoice: Invoice) -> bool:
    return bool(invoice.credit_note) and not invoice.paid and credit_of(invoice) > 0


def credit_of(invoice: Invoice) -> Decimal:
    """What a credit note is worth to the member: positive, whichever sign Nexudus sends."""
    due = amount_due(invoice)
    return abs(due) if due is not None else ZERO


def is_partially_paid(invoice: Invoice) -> bool:
    due, total = amount_due(invoice), invoice.total_amount
    return due is not None and total is not None and ZERO < due < total


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
    note = _("Partially paid") if is_partially_paid(invoice) else ""
    overdue = days_overdue(invoice, today)
    if overdue:
        label = ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", overdue)
        return Status("overdue", label % {"days": overdue}, note)
    if invoice.due_date == today:
        return Status("due", _("Due today"), note)
    if invoice.due_date is not None:
        days = (invoice.due_date - today).days
        label = ngettext("Due in %(days)d day", "Due in %(days)d days", days)
        return Status("unpaid", label % {"days": days}, note)
    if note:
        return Status("unpaid", note)
    return Status("unpaid", _("Unpaid"))


def by_urgency(invoices: Iterable[Invoice]) -> list[Invoice]:
    """The longest overdue first (the oldest due date), then by how soon they fall due."""
    return sorted(invoices, key=lambda invoice: (invoice.due_date or date.max, invoice.id))


def sum_by_currency(amounts: Iterable[tuple[str, Decimal]]) -> list[CurrencyTotal]:
    """One exact total per currency: amounts in two currencies are never added up."""
    totals: dict[str, Decimal] = {}
    for code, amount in amounts:
        totals[code] = totals.get(code, ZERO) + amount
    return [CurrencyTotal(code, amount) for code, amount in sorted(totals.items())]


def outstanding_by_currency(invoices: Iterable[Invoice]) -> list[CurrencyTotal]:
    """What is to pay, one total per currency."""
    return sum_by_currency(
        (invoice.currency_code or "", amount_due(invoice) or ZERO)
        for invoice in invoices
        if is_to_pay(invoice)
    )


def credit_by_currency(invoices: Iterable[Invoice]) -> list[CurrencyTotal]:
    """The member's open credit, one positive total per currency."""
    return sum_by_currency(
        (invoice.currency_code or "", credit_of(invoice))
        for invoice in invoices
        if is_open_credit(invoice)
    )


def balance_by_currency(
    to_pay: Sequence[CurrencyTotal], credit: Sequence[CurrencyTotal]
) -> list[CurrencyTotal]:
    """Per currency, what is to pay minus the credit the member has."""
    return sum_by_currency(
        [(t.currency_code, t.amount) for t in to_pay]
        + [(c.currency_code, -c.amount) for c in credit]
    )


def most_urgent(invoices: Sequence[Invoice], today: date, limit: int) -> list[Invoice]:
    """The first invoices to pay, in urgency order (`today` kept for callers' symmetry)."""
    return by_urgency(invoice for invoice in invoices if is_to_pay(invoice))[:limit]
