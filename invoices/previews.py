"""Staff preview states of My Invoices (see preview.registry)."""

from __future__ import annotations

from dataclasses import replace

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from invoices.detail import invoice_detail_page
from invoices.pages import invoice_list_page
from invoices.paging import ListOptions
from invoices.switches import ALL_ON, InvoiceSwitches
from preview.registry import State, register, register_page
from preview.samples import PEOPLE, SampleClient, SampleLinks, stale_copies
from web.formatting import location_today
from web.pages import Page


def _invoices(person: str, query: str = "", *, down: bool = False, stale: bool = False):
    def build() -> Page:
        home = PEOPLE[person].home
        today = location_today(home.time_zone)
        # "{last_year}" keeps a year-filter state on sample data, whatever today is.
        options = ListOptions.from_query(QueryDict(query.format(last_year=today.year - 1)))
        links = SampleLinks(person)
        copies = stale_copies() if stale else None

        def page(client: SampleClient) -> Page:
            return invoice_list_page(
                client, options, today, home.culture, links=links, time_zone=home.time_zone
            )

        if copies is not None:
            page(SampleClient(person, copies=copies))  # the earlier visit that kept its data
        return page(SampleClient(person, down=down or stale, copies=copies))

    return build


def _state(
    key: str, label: str, person: str, query: str = "", *, down: bool = False, stale: bool = False
) -> State:
    build = _invoices(person, query, down=down, stale=stale)
    return State("invoices", key, label, build, person, "/invoices/")


register_page("invoices", _("My invoices"), 20)
register(_state("typical", _("Typical member"), "grace"))
register(_state("empty", _("No invoices"), "empty"))
register(_state("two-currencies", _("Two currencies"), "ada"))
register(_state("credit-notes", _("Credit notes and drafts"), "ada", "credit_notes=1"))
register(_state("long-history", _("Page 3 of a long history"), "busy", "paid_page=3"))
register(_state("year", _("Last year only, page 2"), "busy", "year={last_year}&paid_page=2"))
register(_state("empty-search", _("A search that finds nothing"), "ada", "q=zz9"))
register(_state("nexudus-down", _("Nexudus down"), "ada", down=True))
register(_state("stale", _("Nexudus down, last good data"), "ada", stale=True))


def _detail(invoice_id: int, switches: InvoiceSwitches = ALL_ON, *, stale: bool = False):
    def build() -> Page:
        home = PEOPLE["ada"].home
        today = location_today(home.time_zone)
        links = SampleLinks("ada")
        copies = stale_copies() if stale else None

        def page(client: SampleClient) -> Page:
            return invoice_detail_page(
                client,
                invoice_id,
                today,
                home.culture,
                links=links,
                switches=switches,
                time_zone=home.time_zone,
            )

        if copies is not None:
            page(SampleClient("ada", copies=copies))  # the earlier visit that kept its data
        return page(SampleClient("ada", down=stale, copies=copies))

    return build


def _detail_state(
    key: str, label: str, invoice_id: int, *, stale: bool = False, **switches: bool
) -> State:
    chosen = replace(ALL_ON, **switches)
    path = f"/invoices/{invoice_id}/"
    return State("invoice", key, label, _detail(invoice_id, chosen, stale=stale), "ada", path)


register_page("invoice", _("One invoice"), 25)
register(_detail_state("typical", _("Unpaid, with Pay"), 30001))
register(_detail_state("credit-note", _("A credit note"), 30015))
register(_detail_state("many-lines", _("Many lines, tax and a discount, paid"), 30009))
register(
    _detail_state("payment-instructions", _("Paying online off: how to pay"), 30002, pay=False)
)
register(_detail_state("stale", _("Nexudus down, last good data"), 30001, stale=True))
