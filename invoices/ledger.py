"""The member's unpaid set, fetched whole, and everything counted from it.

Counts and totals come from every unpaid record, never from one page, so the panel's count, the
list's count and the totals agree for every member. Unpaid sets are small: the portal pages
through them with the largest page the API serves, up to `UNPAID_LIMIT` records, and says
"500+" honestly beyond that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invoices import status
from nexudus import InvoiceQuery, NexudusError
from nexudus.records import Invoice, InvoicePage

# The largest page the list endpoint is known to serve (the sandbox caps at 100, like the
# admin API's documented maximum); more pages are fetched side by side.
UNPAID_PAGE_SIZE = 100
UNPAID_LIMIT = 500
# Only the fields the pages show (`_shape`): a long history stays a small response.
ROW_FIELDS = (
    "InvoiceNumber",
    "CreatedOn",
    "DueDate",
    "Paid",
    "PaidOn",
    "Draft",
    "CreditNote",
    "TotalAmount",
    "DueAmount",
    "Currency.Code",
)


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the member owes, what is upcoming and what credit they have."""

    to_pay: tuple[Invoice, ...]  # urgency order
    upcoming: tuple[Invoice, ...]  # drafts, newest first
    credit_notes: tuple[Invoice, ...]  # open credit, newest first
    complete: bool  # False when the unpaid set is bigger than UNPAID_LIMIT

    @classmethod
    def of(cls, invoices: list[Invoice], *, complete: bool) -> Ledger:
        return cls(
            to_pay=tuple(status.by_urgency(i for i in invoices if status.is_to_pay(i))),
            upcoming=tuple(i for i in invoices if status.is_upcoming(i)),
            credit_notes=tuple(i for i in invoices if status.is_open_credit(i)),
            complete=complete,
        )

    @property
    def count(self) -> int:
        return len(self.to_pay)

    @property
    def totals(self) -> list[status.CurrencyTotal]:
        return status.outstanding_by_currency(self.to_pay)

    @property
    def credits(self) -> list[status.CurrencyTotal]:
        return status.credit_by_currency(self.credit_notes)

    @property
    def balances(self) -> list[status.CurrencyTotal]:
        return status.balance_by_currency(self.totals, self.credits)


def unpaid_query(page: int) -> InvoiceQuery:
    return InvoiceQuery(
        paid=False, credit_notes=True, page=page, size=UNPAID_PAGE_SIZE, fields=ROW_FIELDS
    )


def fetch_ledger(nexudus: Any) -> Ledger:
    """Every unpaid record (credit notes included), up to UNPAID_LIMIT. Raises NexudusError."""
    return ledger_after(nexudus, nexudus.list_invoices(unpaid_query(1)))


def ledger_after(nexudus: Any, first: InvoicePage) -> Ledger:
    """The ledger, given its first page (fetched beside another call). Raises NexudusError."""
    pages = [first]
    known = _known_pages(pages[0])
    if known:
        # The envelope says how many pages there are: ask for them all at once.
        for result in nexudus.list_invoices_each([unpaid_query(n) for n in known]):
            if isinstance(result, NexudusError):
                raise result
            pages.append(result)
    else:
        # No total: follow HasNextPage one page at a time, as far as the limit.
        while pages[-1].has_next and len(pages) * _size(pages[0]) < UNPAID_LIMIT:
            pages.append(nexudus.list_invoices(unpaid_query(len(pages) + 1)))
    invoices = _unique(invoice for page in pages for invoice in page.invoices)
    complete = not pages[-1].has_next and len(invoices) <= UNPAID_LIMIT
    return Ledger.of(invoices[:UNPAID_LIMIT], complete=complete)


def _size(page: InvoicePage) -> int:
    return page.size or UNPAID_PAGE_SIZE


def _known_pages(first: InvoicePage) -> list[int]:
    """The pages after the first that the envelope says exist, within the limit."""
    if not first.has_next or not first.total_pages:
        return []
    last = min(first.total_pages, -(-UNPAID_LIMIT // _size(first)))
    return list(range(2, last + 1))


def _unique(invoices: Any) -> list[Invoice]:
    # A record that moves between pages while we read them must not count twice.
    seen: set[int] = set()
    unique = []
    for invoice in invoices:
        if invoice.id not in seen:
            seen.add(invoice.id)
            unique.append(invoice)
    return unique
