"""Staff preview states of My Invoices (see preview.registry)."""

from __future__ import annotations

from django.http import QueryDict

from invoices.pages import ListOptions, invoice_list_page
from preview.registry import State, register, register_page
from preview.samples import PEOPLE, SampleClient, SampleLinks
from web.formatting import location_today
from web.pages import Page


def _invoices(person: str, query: str = "", *, down: bool = False):
    def build() -> Page:
        today = location_today(PEOPLE[person].home.time_zone)
        options = ListOptions.from_query(QueryDict(query))
        client = SampleClient(person, down=down)
        return invoice_list_page(client, options, today, links=SampleLinks(person))

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
