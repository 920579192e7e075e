"""My Invoices narrowed to a year or an invoice number, and the years a member can pick.

The groups' first calls go out side by side, as for the plain list: the unpaid ledger (fetched
whole, so the To pay totals stay whole-account), and either the Paid group's page or, when
the list is narrowed, the first page of the whole history (`invoices.history`), from which the
year is found and read. The years offered come from two one-record probes (the newest and the
oldest document), asked in the same round and then kept a few minutes per member.

To pay rows are the ledger's, narrowed here; its totals are never narrowed, and the page says
so. Paid rows are the history's paid documents, narrowed, paged here 20 at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invoices import kept
from invoices.history import (
    History,
    Span,
    TooLong,
    created,
    history_query,
    known_span,
    read_history,
    remember_span,
    span_from,
    span_queries,
)
from invoices.ledger import Ledger, ledger_after, unpaid_query
from invoices.paging import PAGE_SIZE, PAID, TO_PAY, Group, ListOptions, last_page
from nexudus import InvoiceQuery, NexudusError
from nexudus.records import Invoice, InvoicePage
from web.formatting import format_count


@dataclass(frozen=True, slots=True)
class Fetched:
    """What the list's calls brought back, per group (a group not asked for is None)."""

    ledger: Ledger | NexudusError | None
    paid: InvoicePage | NexudusError | None
    # The years of the member's history, newest first (asked for full pages only).
    years: tuple[int, ...] = ()
    # Narrowed only: documents of the period (any kind), and paid credit notes found but hidden.
    period_documents: int = 0
    hidden_credit_notes: int = 0
    too_long: bool = False
    # Narrowed to a search in every year: the years of everything that was read.
    span: Span | None = None
    # Some of it is a kept copy because Nexudus failed (invoices.kept): as of when.
    staleness: kept.Staleness | None = None


def fetch_groups(
    nexudus: Any,
    options: ListOptions,
    wanted: Sequence[Group],
    paid_query: InvoiceQuery,
    *,
    with_years: bool,
) -> Fetched:
    """The groups' data in about one round trip (plus the year's search when narrowed).
    The unpaid set comes from a webhook-vouched copy when there is one; an answer Nexudus
    fails to give comes from the last good copy, and the page says as of when."""
    history = PAID in wanted and options.narrowed
    fresh = kept.fresh_ledger(nexudus) if TO_PAY in wanted else None
    queries = []
    if TO_PAY in wanted and fresh is None:
        queries.append(unpaid_query(1))
    if PAID in wanted:
        queries.append(history_query(1) if history else paid_query)
    span = known_span(nexudus) if with_years else None
    # The newest document heads the history's first page, and a search of every year reads
    # all of it: the probes ask only for what this page will not see anyway.
    newest_probe = with_years and span is None and not history
    oldest_probe = with_years and span is None and not (history and options.year is None)
    newest_query, oldest_query = span_queries()
    queries += [newest_query] if newest_probe else []
    queries += [oldest_query] if oldest_probe else []
    results = list(nexudus.list_invoices_each(queries))
    ledger: Ledger | NexudusError | None = fresh
    ledger_staleness = paid_staleness = None
    if TO_PAY in wanted and fresh is None:
        first = results.pop(0)
        ledger = first if isinstance(first, NexudusError) else _ledger(nexudus, first)
        ledger, ledger_staleness = kept.kept_or_stale(nexudus, kept.LEDGER, ledger)
    paid: InvoicePage | NexudusError | None = results.pop(0) if PAID in wanted else None
    if PAID in wanted and not history:
        paid, paid_staleness = kept.kept_or_stale(nexudus, kept.paid_name(paid_query), paid)
    newest = results.pop(0) if newest_probe else paid if history else None
    oldest = results.pop(0) if oldest_probe else None
    oldest_seen = None
    if isinstance(newest, InvoicePage) and isinstance(oldest, InvoicePage):
        span = span_from(newest, oldest)
        remember_span(nexudus, span)
        oldest_seen = created(oldest.invoices[0]) if span else None
    fetched = Fetched(ledger, paid, staleness=kept.oldest(ledger_staleness, paid_staleness))
    if history and isinstance(paid, InvoicePage):
        fetched = replace(
            _narrowed(nexudus, options, paid, ledger, oldest_seen), staleness=ledger_staleness
        )
        if fetched.span is not None:
            span = fetched.span
            remember_span(nexudus, span)
    if not with_years:
        return fetched
    # What this page saw widens the span: a year just begun shows before the cache forgets.
    seen = [i.created_on for i in (*_ledger_invoices(ledger), *_page_invoices(paid))]
    span = span.widened(*seen) if span is not None else Span.of(seen)
    return replace(fetched, years=span.years if span is not None else ())


def _narrowed(
    nexudus: Any,
    options: ListOptions,
    first: InvoicePage,
    ledger: Ledger | NexudusError | None,
    oldest: Any,
) -> Fetched:
    year = options.year

    def period(history: History) -> list[Invoice]:
        history.oldest_hint = oldest
        return history.year(year) if year is not None else history.everything()

    try:
        documents: list[Invoice] = read_history(nexudus, period, first)
    except TooLong:
        return Fetched(ledger, None, too_long=True)
    except NexudusError as error:
        return Fetched(ledger, error)
    found = [i for i in documents if i.paid and number_matches(i, options.q)]
    shown = [i for i in found if options.credit_notes or not i.credit_note]
    total_pages = last_page(len(shown))
    number = min(options.pages[PAID.key], total_pages)
    window = shown[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    page = InvoicePage(
        invoices=tuple(window),
        page=number,
        size=PAGE_SIZE,
        total_items=len(shown),
        total_pages=total_pages,
        has_next=number < total_pages,
        has_previous=number > 1,
    )
    period_documents = sum(1 for i in documents if not i.draft)
    hidden = len(found) - len(shown)
    # Every year was read: its span is exact, no probe needed.
    span = Span.of(i.created_on for i in documents) if year is None else None
    return Fetched(ledger, page, (), period_documents, hidden, span=span)


def _ledger(nexudus: Any, first: InvoicePage) -> Ledger | NexudusError:
    try:
        return ledger_after(nexudus, first)
    except NexudusError as error:
        return error


def _ledger_invoices(ledger: Ledger | NexudusError | None) -> tuple[Invoice, ...]:
    if not isinstance(ledger, Ledger):
        return ()
    return (*ledger.to_pay, *ledger.upcoming, *ledger.credit_notes)


def _page_invoices(page: InvoicePage | NexudusError | None) -> tuple[Invoice, ...]:
    return page.invoices if isinstance(page, InvoicePage) else ()


# -- narrowing ----------------------------------------------------------------------------------


def number_matches(invoice: Invoice, q: str) -> bool:
    """The number the row shows contains `q`, whatever the case."""
    if not q:
        return True
    return q.casefold() in (invoice.number or str(invoice.id)).casefold()


def in_period(invoice: Invoice, options: ListOptions) -> bool:
    if options.year is not None and (
        invoice.created_on is None or created(invoice).year != options.year
    ):
        return False
    return number_matches(invoice, options.q)


def narrowed_ledger(ledger: Ledger, options: ListOptions) -> Ledger:
    """The ledger's rows that the year and the search keep; its totals stay the ledger's own
    (callers take them from the whole ledger)."""
    if not options.narrowed:
        return ledger

    def keep(invoices: Iterable[Invoice]) -> tuple[Invoice, ...]:
        return tuple(i for i in invoices if in_period(i, options))

    return Ledger(
        to_pay=keep(ledger.to_pay),
        upcoming=keep(ledger.upcoming),
        credit_notes=keep(ledger.credit_notes),
        complete=ledger.complete,
    )


# -- what the page says about it ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """The line above the groups: what the list shows, what to do when it is empty, and the
    period's exports."""

    summary: str = ""
    empty_text: str = ""
    clear_url: str = ""  # the same list without the search
    all_years_url: str = ""  # the same list in every year
    credit_notes_url: str = ""  # the same list with credit notes shown
    credit_notes_text: str = ""
    too_long_text: str = ""
    exports_label: str = ""  # "Download 2025:" or "Download all years:", before the buttons
    csv_href: str = ""
    zip_href: str = ""
    announce: str = ""


def quoted(text: str) -> str:
    # Translators: the member's search text, in the language's own quotation marks.
    return _("“%(text)s”") % {"text": text}


def group_empty_texts(options: ListOptions) -> tuple[str, str]:
    """What To pay and Paid say when the narrowed list leaves them empty."""
    if options.q:
        q = quoted(options.q)
        return (
            _("No invoice to pay has a number containing %(q)s.") % {"q": q},
            _("No paid invoice has a number containing %(q)s.") % {"q": q},
        )
    if options.year is not None:
        year = str(options.year)
        return (
            _("Nothing to pay from %(year)s.") % {"year": year},
            _("No paid invoices from %(year)s.") % {"year": year},
        )
    return "", ""


def finding(
    options: ListOptions,
    fetched: Fetched,
    shown: int,
    culture: str | None,
    export_links: Any,
    *,
    can_print: bool,
) -> Finding:
    """`shown`: the rows both groups show for this address, credit and upcoming included."""
    # Whole sentences, not "Download" + a period: not every language puts them in that order.
    exports_label = (
        _("Download %(year)s:") % {"year": options.year}
        if options.year is not None
        else _("Download all years:")
    )
    exportable = fetched.period_documents > 0 if options.narrowed else shown > 0
    exports = {
        "exports_label": exports_label,
        "csv_href": export_links.export_csv(options.year) if exportable else "",
        "zip_href": export_links.export_zip(options.year) if exportable and can_print else "",
    }
    if not options.narrowed:
        return Finding(**exports)
    if options.q and options.year is not None:
        summary = _("Invoices from %(year)s whose number contains %(q)s") % {
            "year": options.year,
            "q": quoted(options.q),
        }
    elif options.q:
        summary = _("Invoices whose number contains %(q)s, all years") % {"q": quoted(options.q)}
    else:
        summary = _("Invoices from %(year)s") % {"year": options.year}
    empty_text = ""
    if fetched.too_long:
        empty_text = ""
    elif shown == 0 and options.q and options.year is not None:
        empty_text = _("No invoice number contains %(q)s in %(year)s.") % {
            "q": quoted(options.q),
            "year": options.year,
        }
    elif shown == 0 and options.q:
        empty_text = _("No invoice number contains %(q)s in any year.") % {"q": quoted(options.q)}
    elif shown == 0:
        empty_text = _("You have no invoices from %(year)s.") % {"year": options.year}
    hidden = fetched.hidden_credit_notes
    found = ngettext("%(count)s invoice found.", "%(count)s invoices found.", shown) % {
        "count": format_count(shown, culture)
    }
    return Finding(
        summary=summary,
        empty_text=empty_text,
        clear_url=replace(options, q="", pages=_first_pages()).url() if options.q else "",
        all_years_url=(
            replace(options, year=None, pages=_first_pages()).url()
            if options.year is not None
            else ""
        ),
        credit_notes_url=(
            replace(options, credit_notes=True, pages=_first_pages()).url() if hidden else ""
        ),
        credit_notes_text=(
            ngettext(
                "%(count)s paid credit note is hidden.",
                "%(count)s paid credit notes are hidden.",
                hidden,
            )
            % {"count": format_count(hidden, culture)}
            if hidden
            else ""
        ),
        too_long_text=(
            _("Your history is too long to search every year at once: pick a year first.")
            if fetched.too_long
            else ""
        ),
        announce=empty_text or f"{summary}. {found}",
        **exports,
    )


def _first_pages() -> dict[str, int]:
    return {TO_PAY.key: 1, PAID.key: 1}
