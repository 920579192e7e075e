"""My Invoices and the dashboard's unpaid panel, as page functions.

The views and the staff preview both call these with a Nexudus client (the member's, or a
preview's sample client), so a preview shows exactly what a member would get.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from invoices import status
from nexudus import InvoiceQuery, NexudusError
from nexudus.records import InvoicePage
from web.pages import Page

PAGE_SIZE = 20
# The panel sorts by urgency, which needs every unpaid invoice: one call, the largest page.
PANEL_FETCH_SIZE = 100
PANEL_ROWS = 3
MAX_PAGE = 10_000
# Only the fields the rows show (`_shape`): a 2,000-invoice history stays a small response.
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
    "TotalFormated",
    "Currency.Code",
)


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
class Group:
    key: str
    paid: bool
    title: str
    page_param: str
    target: str


GROUPS = (
    Group("unpaid", False, _("To pay"), "unpaid_page", "unpaid-group"),
    Group("paid", True, _("Paid"), "paid_page", "paid-group"),
)
GROUPS_TARGET = "invoice-groups"


@dataclass(frozen=True, slots=True)
class ListOptions:
    """What the address bar says about the list: the switch and each group's page."""

    credit_notes: bool
    pages: dict[str, int]

    @classmethod
    def from_query(cls, query: QueryDict) -> ListOptions:
        return cls(
            credit_notes=query.get("credit_notes") == "1",
            pages={group.key: _page_number(query.get(group.page_param)) for group in GROUPS},
        )

    def url(self, **pages: int) -> str:
        """This list's address with some groups moved to other pages."""
        query = QueryDict(mutable=True)
        if self.credit_notes:
            query["credit_notes"] = "1"
        merged = {**self.pages, **pages}
        for group in GROUPS:
            if merged[group.key] > 1:
                query[group.page_param] = str(merged[group.key])
        encoded = query.urlencode()
        return f"?{encoded}" if encoded else "?"

    def query_for(self, group: Group) -> InvoiceQuery:
        return InvoiceQuery(
            paid=group.paid,
            credit_notes=self.credit_notes,
            page=self.pages[group.key],
            size=PAGE_SIZE,
            fields=ROW_FIELDS,
        )


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass(frozen=True, slots=True)
class GroupView:
    """One group as the template shows it: the page fetched, or the reason it is missing."""

    group: Group
    page: InvoicePage | None
    failed: bool
    number: int
    previous_url: str | None = None
    next_url: str | None = None
    retry_url: str = "?"

    @property
    def invoices(self) -> tuple[Any, ...]:
        return self.page.invoices if self.page else ()

    @property
    def outstanding(self) -> list[status.CurrencyTotal]:
        return status.outstanding_by_currency(self.invoices)

    @property
    def complete(self) -> bool:
        """True when this page holds the whole group, so its totals are the group's totals."""
        return self.page is not None and self.number == 1 and not self.page.has_next


def _group_view(
    group: Group, options: ListOptions, result: InvoicePage | NexudusError
) -> GroupView:
    number = options.pages[group.key]
    if not isinstance(result, InvoicePage):
        return GroupView(group, None, True, number, retry_url=options.url())
    previous_url = options.url(**{group.key: number - 1}) if number > 1 else None
    next_url = options.url(**{group.key: number + 1}) if result.has_next else None
    return GroupView(group, result, False, number, previous_url, next_url, options.url())


def invoice_list_page(
    nexudus: Any,
    options: ListOptions,
    today: date,
    *,
    target: str | None = None,
    links: DocumentLinks = MEMBER_LINKS,
) -> Page:
    """My Invoices, or the fragment htmx asked for (`target`: one group, or both)."""
    wanted = [group for group in GROUPS if group.target == target] or list(GROUPS)
    # One call per group, side by side: the page costs about one upstream round trip.
    results = nexudus.list_invoices_each([options.query_for(group) for group in wanted])
    groups = [
        _group_view(group, options, result) for group, result in zip(wanted, results, strict=True)
    ]
    context = {
        "options": options,
        "groups": groups,
        "today": today,
        "links": links,
        "credit_notes_url": replace(options, credit_notes=not options.credit_notes).url(),
    }
    if target is not None and len(wanted) == 1:
        return Page("invoices/includes/group.html", {**context, "view": groups[0]})
    if target == GROUPS_TARGET:
        return Page("invoices/includes/groups.html", context)
    return Page("invoices/list.html", context)


def unpaid_panel(
    nexudus: Any, today: date, *, links: DocumentLinks = MEMBER_LINKS, **_: Any
) -> dict[str, Any]:
    """The dashboard's panel: one call for every unpaid invoice, sorted by urgency here."""
    query = InvoiceQuery(paid=False, credit_notes=False, size=PANEL_FETCH_SIZE, fields=ROW_FIELDS)
    try:
        page = nexudus.list_invoices(query)
    except NexudusError:
        return {"failed": True}
    owed = [invoice for invoice in page.invoices if status.counts_as_owed(invoice)]
    return {
        "failed": False,
        "count": len(owed),
        "more_than_fetched": bool(page.has_next),
        "totals": status.outstanding_by_currency(owed),
        "urgent": status.most_urgent(owed, today, PANEL_ROWS),
        "today": today,
        "links": links,
    }
