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
from preview.samples import PEOPLE, SampleClient, SampleLinks
from web.formatting import location_today
from web.pages import Page


def _invoices(person: str, query: str = "", *, down: bool = False):
    def build() -> Page:
        home = PEOPLE[person].home
        options = ListOptions.from_query(QueryDict(query))
        client = SampleClient(person, down=down)
        today = location_today(home.time_zone)
        return invoice_list_page(client, options, today, home.culture, links=SampleLinks(person))

    return build


def _state(key: str, label: str, person: str, query: str = "", *, down: bool = False) -> State:
    return State("invoices", key, label, _invoices(person, query, down=down), person, "/invoices/")


register_page("invoices", _("My invoices"), 20)
register(_state("typical", _("Typical member"), "grace"))
register(_state("empty", _("No invoices"), "empty"))
register(_state("two-currencies", _("Two currencies"), "ada"))
register(_state("credit-notes", _("Credit notes and drafts"), "ada", "credit_notes=1"))
register(_state("long-history", _("Page 3 of a long history"), "busy", "paid_page=3"))
register(_state("nexudus-down", _("Nexudus down"), "ada", down=True))


def _detail(invoice_id: int, switches: InvoiceSwitches = ALL_ON):
    def build() -> Page:
        home = PEOPLE["ada"].home
        today = location_today(home.time_zone)
        client = SampleClient("ada")
        links = SampleLinks("ada")
        return invoice_detail_page(
            client, invoice_id, today, home.culture, links=links, switches=switches
        )

    return build


def _detail_state(key: str, label: str, invoice_id: int, **switches: bool) -> State:
    chosen = replace(ALL_ON, **switches)
    path = f"/invoices/{invoice_id}/"
    return State("invoice", key, label, _detail(invoice_id, chosen), "ada", path)


register_page("invoice", _("One invoice"), 25)
register(_detail_state("typical", _("Unpaid, with Pay"), 30001))
register(_detail_state("credit-note", _("A credit note"), 30015))
register(_detail_state("many-lines", _("Many lines, tax and a discount, paid"), 30009))
register(
    _detail_state("payment-instructions", _("Paying online off: how to pay"), 30002, pay=False)
)
