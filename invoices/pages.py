"""My Invoices and the dashboard's unpaid panel, as page functions.

The views and the staff preview both call these with a Nexudus client (the member's, or a
preview's sample client), so a preview shows exactly what a member would get. Both screens
count from one `Ledger`, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invoices import kept
from invoices.finding import fetch_groups, finding, group_empty_texts, narrowed_ledger
from invoices.ledger import ROW_FIELDS, Ledger, fetch_ledger
from invoices.paging import (
    GROUPS,
    GROUPS_TARGET,
    PAGE_SIZE,
    PAID,
    TO_PAY,
    ListOptions,
    Pager,
    pager,
)
from invoices.rows import MEMBER_LINKS, DocumentLinks, Money, Row, RowBuilder, several_locations
from invoices.switches import InvoiceSwitches, invoice_switches
from nexudus import InvoiceQuery, NexudusError
from nexudus.records import InvoicePage
from web.formatting import format_count
from web.pages import Page

PANEL_ROWS = 3


@dataclass(frozen=True, slots=True)
class Columns:
    """Column names, looked up once per page (not once per row)."""

    invoice: str = field(default_factory=lambda: _("Invoice"))
    issued: str = field(default_factory=lambda: _("Issued"))
    due: str = field(default_factory=lambda: _("Due"))
    total: str = field(default_factory=lambda: _("Total"))
    amount_due: str = field(default_factory=lambda: _("Amount due"))
    paid_on: str = field(default_factory=lambda: _("Paid on"))
    status: str = field(default_factory=lambda: _("Status"))
    download: str = field(default_factory=lambda: _("Download"))
    pdf: str = field(default_factory=lambda: _("PDF"))
    pay: str = field(default_factory=lambda: _("Pay"))


@dataclass(frozen=True, slots=True)
class ToPayView:
    failed: bool
    count_text: str = ""
    count: int = 0
    rows: list[Row] = field(default_factory=list)
    pager: Pager | None = None
    totals: list[Money] = field(default_factory=list)
    credits: list[Money] = field(default_factory=list)
    balances: list[Money] = field(default_factory=list)
    upcoming: list[Row] = field(default_factory=list)
    credit_notes: list[Row] = field(default_factory=list)
    retry_url: str = "?"
    announce: str = ""
    # Narrowed to a year or a number: what an empty group says, and that the totals above
    # the rows are still the whole account's.
    empty_text: str = ""
    whole_account: bool = False


@dataclass(frozen=True, slots=True)
class PaidView:
    failed: bool
    count_text: str = ""
    count: int = 0
    rows: list[Row] = field(default_factory=list)
    pager: Pager | None = None
    retry_url: str = "?"
    announce: str = ""
    empty_text: str = ""


def invoices_text(count: int, culture: str | None, *, complete: bool = True) -> str:
    if not complete:
        return _("%(count)s+ invoices") % {"count": format_count(count, culture)}
    return ngettext("%(count)s invoice", "%(count)s invoices", count) % {
        "count": format_count(count, culture)
    }


def paid_query(options: ListOptions, page: int | None = None) -> InvoiceQuery:
    return InvoiceQuery(
        paid=True,
        credit_notes=options.credit_notes,
        page=page or options.pages[PAID.key],
        size=PAGE_SIZE,
        fields=ROW_FIELDS,
    )


def invoice_list_page(
    nexudus: Any,
    options: ListOptions,
    today: date,
    culture: str | None,
    *,
    target: str | None = None,
    links: DocumentLinks = MEMBER_LINKS,
    switches: InvoiceSwitches | None = None,
    time_zone: str | None = None,
) -> Page:
    """My Invoices, or the fragment htmx asked for (`target`: one group, or both).
    `switches` are the operator's (asked of Nexudus when not given: previews give theirs)."""
    switches = switches or invoice_switches(nexudus)
    if not switches.view:
        return Page("invoices/not_shown.html", {})
    wanted = [group for group in GROUPS if group.target == target] or list(GROUPS)
    # The years to pick from only on a full page: the form is not part of any fragment.
    fetched = fetch_groups(nexudus, options, wanted, paid_query(options), with_years=not target)
    ledger, paid, staleness = fetched.ledger, fetched.paid, fetched.staleness
    if isinstance(paid, InvoicePage) and paid.total_pages and paid.page > paid.total_pages:
        # Past the end: answer with the last page, and say its address.
        paid, paid_staleness = _one(nexudus, paid_query(options, page=paid.total_pages))
        staleness = kept.oldest(staleness, paid_staleness)
    options = _clamped(options, ledger, paid)
    shown = [*(_invoices_of(ledger)), *(paid.invoices if isinstance(paid, InvoicePage) else ())]
    builder = RowBuilder(today, culture, links, switches, show_location=several_locations(shown))
    to_pay = _to_pay_view(ledger, options, builder) if TO_PAY in wanted else None
    paid_view = _paid_view(paid, options, builder) if PAID in wanted else None
    if paid_view is not None and fetched.too_long:
        paid_view = PaidView(
            failed=False, empty_text=_("Pick a year to search your paid invoices.")
        )
    context = {
        "options": options,
        "switches": switches,
        "statement_href": links.statement_pdf() if switches.print and shown else "",
        "next_invoice_href": (
            links.next_invoice_pdf()
            if switches.print and isinstance(ledger, Ledger) and ledger.upcoming
            else ""
        ),
        "to_pay": to_pay,
        "paid": paid_view,
        "all_failed": all(v is None or v.failed for v in (to_pay, paid_view)),
        "cols": Columns(),
        "links": links,
        "credit_notes_url": replace(options, credit_notes=not options.credit_notes).url(),
        "retry_url": options.url(),
        "stale_notice": staleness.notice(culture, time_zone) if staleness else "",
        "years": _years(fetched.years, options.year),
        "finding": finding(
            options,
            fetched,
            _rows_shown(to_pay, paid_view),
            culture,
            links,
            can_print=switches.print,
        ),
    }
    url = options.url()
    if target is not None and len(wanted) == 1:
        view = to_pay if wanted == [TO_PAY] else paid_view
        template = "to_pay.html" if wanted == [TO_PAY] else "paid.html"
        page_context = {**context, "view": view, "single_group": True}
        return Page(f"invoices/includes/{template}", page_context, url=url)
    if target == GROUPS_TARGET:
        return Page("invoices/includes/groups.html", context, url=url)
    return Page("invoices/list.html", context, url=url)


def _invoices_of(ledger: Ledger | NexudusError | None) -> tuple[Any, ...]:
    if not isinstance(ledger, Ledger):
        return ()
    return (*ledger.to_pay, *ledger.upcoming, *ledger.credit_notes)


def _one(
    nexudus: Any, query: InvoiceQuery
) -> tuple[InvoicePage | NexudusError, kept.Staleness | None]:
    try:
        answer: InvoicePage | NexudusError = nexudus.list_invoices(query)
    except NexudusError as error:
        answer = error
    return kept.kept_or_stale(nexudus, kept.paid_name(query), answer)


def _clamped(options: ListOptions, ledger: Ledger | NexudusError | None, paid: Any) -> ListOptions:
    pages = dict(options.pages)
    if isinstance(ledger, Ledger):
        last = max(1, -(-narrowed_ledger(ledger, options).count // PAGE_SIZE))
        pages[TO_PAY.key] = min(pages[TO_PAY.key], last)
    if isinstance(paid, InvoicePage):
        pages[PAID.key] = paid.page
    return replace(options, pages=pages, corrected=False)


def _to_pay_view(
    ledger: Ledger | NexudusError | None, options: ListOptions, builder: RowBuilder
) -> ToPayView:
    if not isinstance(ledger, Ledger):
        # No "#to-pay" on a retry: a link that differs from the page only by its fragment
        # would not reload it without JavaScript.
        return ToPayView(failed=True, retry_url=options.url())
    culture = builder.culture
    # Rows of the year or search only; the totals stay the whole account's (and say so).
    shown = narrowed_ledger(ledger, options)
    page = pager(options, TO_PAY, shown.count, culture)
    start = (page.number - 1) * PAGE_SIZE
    return ToPayView(
        failed=False,
        count=shown.count,
        count_text=invoices_text(shown.count, culture, complete=ledger.complete),
        rows=builder.rows(shown.to_pay[start : start + PAGE_SIZE]),
        pager=page,
        totals=builder.totals(ledger.totals),
        credits=builder.totals(ledger.credits),
        balances=builder.totals(ledger.balances) if ledger.credits else [],
        upcoming=builder.rows(shown.upcoming),
        credit_notes=builder.rows(shown.credit_notes),
        retry_url=options.url(TO_PAY.target),
        announce=_("To pay, %(position)s") % {"position": page.position_text},
        empty_text=group_empty_texts(options)[0],
        whole_account=options.narrowed and bool(ledger.totals or ledger.credits),
    )


def _paid_view(paid: Any, options: ListOptions, builder: RowBuilder) -> PaidView:
    if not isinstance(paid, InvoicePage):
        return PaidView(failed=True, retry_url=options.url())
    total = paid.total_items if paid.total_items is not None else len(paid.invoices)
    page = pager(options, PAID, total, builder.culture)
    return PaidView(
        failed=False,
        count=total,
        count_text=invoices_text(total, builder.culture),
        rows=builder.rows(paid.invoices),
        pager=page,
        retry_url=options.url(PAID.target),
        announce=_("Paid, %(position)s") % {"position": page.position_text},
        empty_text=group_empty_texts(options)[1],
    )


def _rows_shown(to_pay: ToPayView | None, paid: PaidView | None) -> int:
    """Every row the groups show for this address, on any of their pages."""
    count = 0
    if to_pay is not None and not to_pay.failed:
        count += to_pay.count + len(to_pay.upcoming) + len(to_pay.credit_notes)
    if paid is not None and not paid.failed:
        count += paid.count
    return count


def _years(years: tuple[int, ...], chosen: int | None) -> list[int]:
    """The years to pick from, newest first, with the chosen one even when it has nothing."""
    return sorted({*years, *([chosen] if chosen is not None else [])}, reverse=True)


def unpaid_panel(
    nexudus: Any,
    today: date,
    *,
    culture: str | None = None,
    links: DocumentLinks = MEMBER_LINKS,
    switches: InvoiceSwitches | None = None,
    time_zone: str | None = None,
    **_options: Any,
) -> dict[str, Any]:
    """The dashboard's panel: the same ledger as My Invoices, so the counts always agree.
    With webhooks on, a repeat view answers from the member's fresh copy: no upstream call."""
    switches = switches or invoice_switches(nexudus)
    if not switches.view:
        return {"hidden": True}
    ledger = kept.fresh_ledger(nexudus)
    staleness = None
    if ledger is None:
        try:
            ledger, staleness = kept.fetched(nexudus, kept.LEDGER, lambda: fetch_ledger(nexudus))
        except NexudusError:
            return {"failed": True}
    builder = RowBuilder(today, culture, links, switches, show_location=False)
    return {
        "failed": False,
        "stale_notice": staleness.notice(culture, time_zone) if staleness else "",
        "count": ledger.count,
        "count_text": ngettext(
            "%(count)s invoice to pay", "%(count)s invoices to pay", ledger.count
        )
        % {"count": format_count(ledger.count, culture) + ("" if ledger.complete else "+")},
        "totals": builder.totals(ledger.totals),
        "credits": builder.totals(ledger.credits),
        "balances": builder.totals(ledger.balances) if ledger.credits else [],
        "urgent": builder.rows(ledger.to_pay[:PANEL_ROWS]),
        "upcoming_count": len(ledger.upcoming),
        "cols": Columns(),
    }
