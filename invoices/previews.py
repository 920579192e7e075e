"""Staff preview states of My Invoices (see preview.registry)."""

from __future__ import annotations

from django.http import QueryDict

from invoices.pages import invoice_list_page
from invoices.paging import ListOptions
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


register_page("invoices", "My invoices", 20)
register(_state("typical", "Typical member", "grace"))
register(_state("empty", "No invoices", "empty"))
register(_state("two-currencies", "Two currencies", "ada"))
register(_state("credit-notes", "Credit notes and drafts", "ada", "credit_notes=1"))
register(_state("long-history", "Page 3 of a long history", "busy", "paid_page=3"))
register(_state("nexudus-down", "Nexudus down", "ada", down=True))
