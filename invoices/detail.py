"""One invoice, in HTML: what it was for, what it comes to, and how to pay it.

One upstream call (the invoice by id, `_shape`d to what the page shows). Lines are read under
either name Nexudus may use (`Lines`, `LinesRaw`); the subtotal and tax are the sums of the
lines, so the page agrees with the rows on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from invoices import kept, status
from invoices.ledger import ROW_FIELDS
from invoices.rows import MEMBER_LINKS, DocumentLinks, RowBuilder
from invoices.switches import InvoiceSwitches, invoice_switches
from nexudus import NexudusError, NotFound, Unauthorized
from nexudus.records import Invoice, InvoiceLine
from web.formatting import format_day, format_percent, format_quantity
from web.pages import Page

logger = logging.getLogger("invoices")

ZERO = Decimal("0.00")
# A row's fields, and what only the invoice's own page shows (`_shape`).
DETAIL_FIELDS = (
    *ROW_FIELDS,
    "UniqueId",
    "TaxAmount",
    "PaidAmount",
    "BusinessWebAddress",
    "Lines",
    "LinesRaw",
)


class InvoiceNotFound(Exception):
    """Not this member's invoice, not an invoice, or a draft: the view answers 404."""


@dataclass(frozen=True, slots=True)
class LineView:
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    tax: str
    total: str


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: str
    tax: str
    total: str
    paid: str
    due: str


def invoice_detail_page(
    nexudus: Any,
    invoice_id: int,
    today: date,
    culture: str | None,
    *,
    links: DocumentLinks = MEMBER_LINKS,
    switches: InvoiceSwitches | None = None,
    time_zone: str | None = None,
) -> Page:
    """The invoice page. Raises InvoiceNotFound for someone else's invoice, a junk id or a
    draft (the API does not show drafts by id). When Nexudus fails, the last good copy."""
    switches = switches or invoice_switches(nexudus)
    if not switches.view:
        return Page("invoices/not_shown.html", {})
    try:
        invoice, staleness = kept.fetched(
            nexudus,
            f"invoice:{invoice_id}",
            lambda: nexudus.get_invoice(invoice_id, fields=DETAIL_FIELDS),
        )
    except (NotFound, Unauthorized) as error:
        raise InvoiceNotFound from error
    except NexudusError:
        return Page("invoices/detail_unavailable.html", {"invoice_id": invoice_id}, 503)
    if invoice.draft:
        raise InvoiceNotFound
    builder = RowBuilder(today, culture, links, switches)
    row = builder.row(invoice)
    unpaid = not invoice.paid and not invoice.credit_note
    context = {
        "invoice": row,
        "full_status": status.invoice_status(invoice, today, culture),
        "issued": format_day(invoice.created_on, culture),
        "due": format_day(invoice.due_date, culture),
        "paid_on": format_day(invoice.paid_on, culture) if invoice.paid else "",
        # Not "location": that name is the shell's (the space's name and the reader's formats).
        "issued_by": invoice.business_name or "",
        "credit_note": bool(invoice.credit_note),
        "lines": [_line(line, invoice, builder) for line in invoice.lines],
        "totals": _totals(invoice, builder),
        "can_print": switches.print,
        # Paying online off (the operator's switch, or no pay page set): say how to pay.
        "instructions": _instructions() if unpaid and not row.pay_href else "",
        "stale_notice": staleness.notice(culture, time_zone, one=True) if staleness else "",
    }
    return Page("invoices/detail.html", context)


def _sign(invoice: Invoice) -> int:
    """Credit notes read as negative, whichever sign Nexudus gives their amounts."""
    total = invoice.total_amount or ZERO
    return -1 if invoice.credit_note and total > 0 else 1


def _net(line: InvoiceLine) -> Decimal:
    if line.sub_total is not None:
        return line.sub_total
    quantity = line.quantity if line.quantity is not None else Decimal(1)
    return quantity * (line.unit_price or ZERO) - (line.discount_amount or ZERO)


def _line(line: InvoiceLine, invoice: Invoice, builder: RowBuilder) -> LineView:
    sign, code, culture = _sign(invoice), invoice.currency_code, builder.culture
    net, tax = _net(line) * sign, (line.tax_amount or ZERO) * sign
    return LineView(
        description=line.description or _("Item"),
        quantity=format_quantity(line.quantity, culture) if line.quantity is not None else "",
        unit_price=builder.money(
            line.unit_price * sign if line.unit_price is not None else None, code
        ),
        tax_rate=format_percent(line.tax_rate, culture) if line.tax_rate is not None else "",
        tax=builder.money(tax, code),
        total=builder.money(net + tax, code),
    )


def _totals(invoice: Invoice, builder: RowBuilder) -> Totals:
    sign, code = _sign(invoice), invoice.currency_code
    total = (invoice.total_amount or ZERO) * sign
    if invoice.lines:
        subtotal = sum((_net(line) for line in invoice.lines), ZERO) * sign
        tax = sum((line.tax_amount or ZERO for line in invoice.lines), ZERO) * sign
        if subtotal + tax != total:
            # The page must not contradict itself: say so in the log, show Nexudus's total.
            logger.warning("invoice %s: its lines do not add up to its total", invoice.id)
    else:
        tax = (invoice.tax_amount or ZERO) * sign
        subtotal = total - tax
    due = (status.amount_due(invoice) or ZERO) * sign
    if invoice.paid:
        due = ZERO
    paid = invoice.paid_amount * sign if invoice.paid_amount is not None else total - due
    return Totals(
        subtotal=builder.money(subtotal, code),
        tax=builder.money(tax, code),
        total=builder.money(total, code),
        paid=builder.money(paid, code),
        due=builder.money(due, code),
    )


def _instructions() -> str:
    return settings.PAYMENT_INSTRUCTIONS or _(
        "To pay this invoice, contact your space's team: they will tell you how."
    )
