"""My Invoices, the dashboard's unpaid panel, and PDF links that never go dead."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from invoices import links, status
from portal import formatting, members
from portal.nexudus import client
from portal.nexudus.records import InvoicePage

logger = logging.getLogger("portal.invoices")

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
    def invoices(self):
        return self.page.invoices if self.page else ()

    @property
    def outstanding(self) -> list[status.CurrencyTotal]:
        return status.outstanding_by_currency(self.invoices)

    @property
    def complete(self) -> bool:
        """True when this page holds the whole group, so its totals are the group's totals."""
        return self.page is not None and self.number == 1 and not self.page.has_next


def _group_view(group: Group, options: ListOptions, result: InvoicePage | Exception) -> GroupView:
    number = options.pages[group.key]
    if not isinstance(result, InvoicePage):
        return GroupView(group, None, True, number, retry_url=options.url())
    previous_url = options.url(**{group.key: number - 1}) if number > 1 else None
    next_url = options.url(**{group.key: number + 1}) if result.has_next else None
    return GroupView(group, result, False, number, previous_url, next_url, options.url())


def _fetch(group: Group, options: ListOptions):
    @sensitive_variables("access_token")
    def call(access_token: str) -> InvoicePage:
        return client.list_invoices(
            access_token,
            paid=group.paid,
            credit_notes=options.credit_notes,
            page=options.pages[group.key],
            size=PAGE_SIZE,
            fields=ROW_FIELDS,
        )

    return call


def _today(request: HttpRequest) -> date:
    location = members.current_location(request)
    return formatting.location_today(location.time_zone if location else None)


@require_GET
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    options = ListOptions.from_query(request.GET)
    target = request.htmx.target if request.htmx else None
    wanted = [group for group in GROUPS if group.target == target] or list(GROUPS)
    # One call per group, side by side: the page costs about one upstream round trip.
    results = members.call_all_as_member(
        request, {group.key: _fetch(group, options) for group in wanted}
    )
    groups = [_group_view(group, options, results[group.key]) for group in wanted]
    context = {
        "options": options,
        "groups": groups,
        "today": _today(request),
        "credit_notes_url": replace(options, credit_notes=not options.credit_notes).url(),
    }
    if request.htmx and len(wanted) == 1:
        return render(request, "invoices/includes/group.html", {**context, "view": groups[0]})
    if request.htmx and target == GROUPS_TARGET:
        return render(request, "invoices/includes/groups.html", context)
    return render(request, "invoices/list.html", context)


def unpaid_panel(request: HttpRequest) -> dict[str, object]:
    """The dashboard's panel: one call for every unpaid invoice, sorted by urgency here."""
    try:
        page = members.call_as_member(request, _panel_fetch)
    except client.NexudusError:
        return {"failed": True}
    today = _today(request)
    owed = [invoice for invoice in page.invoices if status.counts_as_owed(invoice)]
    return {
        "failed": False,
        "count": len(owed),
        "more_than_fetched": bool(page.has_next),
        "totals": status.outstanding_by_currency(owed),
        "urgent": status.most_urgent(owed, today, PANEL_ROWS),
        "today": today,
    }


@sensitive_variables("access_token")
def _panel_fetch(access_token: str) -> InvoicePage:
    return client.list_invoices(
        access_token, paid=False, credit_notes=False, size=PANEL_FETCH_SIZE, fields=ROW_FIELDS
    )


@sensitive_variables("media_token")
@require_GET
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Mint the upstream PDF link at click time: however old the page, the link works."""
    try:
        invoice = members.call_as_member(
            request,
            lambda token: client.get_invoice(
                token, invoice_id, fields=("InvoiceNumber", "BusinessWebAddress")
            ),
        )
        media_token = members.media_token(request)
    except (client.NotFound, client.Unauthorized) as error:
        # Nexudus says 404 for unknown ids and may say 401 for someone else's: both are ours 404.
        logger.warning("invoice PDF refused: invoice not found for this member")
        raise Http404 from error
    except client.NexudusError:
        return _download_unavailable(request)
    return _redirect_to_document(
        links.invoice_pdf_url(invoice.id, media_token, invoice.business_web_address)
    )


@sensitive_variables("media_token")
@require_GET
def statement_pdf(request: HttpRequest) -> HttpResponse:
    try:
        media_token = members.media_token(request)
    except client.NexudusError:
        return _download_unavailable(request)
    return _redirect_to_document(links.statement_pdf_url(media_token))


def _redirect_to_document(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    # The link carries a media token: no cache may keep it, no page may pass it on.
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _download_unavailable(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "invoices/download_unavailable.html", {"retry_url": request.path}, status=503
    )
    response["Retry-After"] = "30"
    return response
