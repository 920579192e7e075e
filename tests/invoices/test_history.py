"""The history search as a unit: a year's edges with few calls, whatever the history's shape,
and never a wrong answer when the list ignores the order it was asked for."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

import pytest
from django.http import QueryDict

from invoices.history import (
    READ_LIMIT,
    History,
    Span,
    TooLong,
    read_history,
    span_from,
    span_queries,
)
from invoices.paging import ListOptions
from nexudus import InvoiceQuery, NexudusError, Unavailable
from nexudus.records import Invoice, InvoicePage

NOW = datetime(2026, 12, 1, 9, 0)


class FakeList:
    """The invoice list over a few records: honours page, size (up to 100) and, unless told
    not to, orderBy=CreatedOn and dir; counts its calls."""

    def __init__(self, invoices: list[Invoice], *, honours_order: bool = True, echo: bool = True):
        self.invoices = invoices
        self.honours_order = honours_order
        self.echo = echo
        self.calls: list[InvoiceQuery] = []
        self.fail_on: set[int] = set()

    def list_invoices(self, query: InvoiceQuery) -> InvoicePage:
        self.calls.append(query)
        if query.page in self.fail_on:
            raise Unavailable("down")
        rows = [i for i in self.invoices if query.credit_notes or not i.credit_note]
        if self.honours_order and query.order_by:
            rows.sort(key=lambda i: (i.created_on, i.id), reverse=not query.ascending)
        size = min(query.size, 100)
        pages = -(-len(rows) // size)
        echo = self.echo and self.honours_order and query.order_by
        return InvoicePage(
            invoices=tuple(rows[(query.page - 1) * size : query.page * size]),
            page=query.page,
            size=size,
            total_items=len(rows),
            total_pages=pages,
            has_next=query.page < pages,
            has_previous=query.page > 1,
            order_field="CreatedOn" if echo else None,
            order_direction=("ASC" if query.ascending else "DESC") if echo else None,
        )

    def list_invoices_each(self, queries: list[InvoiceQuery]) -> list[InvoicePage | NexudusError]:
        results: list[InvoicePage | NexudusError] = []
        for query in queries:
            try:
                results.append(self.list_invoices(query))
            except NexudusError as error:
                results.append(error)
        return results


def daily(count: int, start: int = 2) -> list[Invoice]:
    """One document a day going back from NOW, like the busy member's."""
    return [
        Invoice(id=40001 + i, number=f"HW-{i:05d}", created_on=NOW - timedelta(days=start + i))
        for i in range(count)
    ]


def expected(invoices: list[Invoice], year: int) -> list[int]:
    newest_first = sorted(invoices, key=lambda i: (i.created_on, i.id), reverse=True)
    return [i.id for i in newest_first if i.created_on.year == year]


@pytest.mark.parametrize("year", [2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027])
def test_it_finds_each_year_of_a_steady_history_in_a_few_calls(year: int) -> None:
    invoices = daily(2000)
    upstream = FakeList(invoices)
    found = read_history(upstream, lambda history: history.year(year))
    assert [i.id for i in found] == expected(invoices, year)
    # The first page, at most one guess per edge, and the pages in between (a year of 366
    # documents spans at most 5 pages of 100).
    assert len(upstream.calls) <= 7
    assert all(q.order_by == "CreatedOn" and not q.ascending for q in upstream.calls)


def test_it_stays_right_and_cheap_when_the_pace_changes() -> None:
    rng = random.Random(7)
    invoices = [
        Invoice(id=i, number=str(i), created_on=NOW - timedelta(hours=rng.expovariate(1 / 3000)))
        for i in range(2400)
    ]
    for year in range(2018, 2027):
        upstream = FakeList(invoices)
        found = read_history(upstream, lambda history, y=year: history.year(y))
        assert sorted(i.id for i in found) == sorted(expected(invoices, year))
        pages_in_year = -(-len(expected(invoices, year)) // 100)
        # Halving takes over when guessing does badly: a few probes beyond the year's pages.
        assert len(upstream.calls) <= pages_in_year + 2 + 2 * 5


def test_an_empty_history_costs_one_call() -> None:
    upstream = FakeList([])
    assert read_history(upstream, lambda history: history.year(2025)) == []
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("echo", [True, False])
def test_when_the_list_ignores_the_order_it_reads_everything_and_sorts(echo: bool) -> None:
    invoices = daily(700)
    random.Random(3).shuffle(invoices)
    upstream = FakeList(invoices, honours_order=False, echo=echo)
    found = read_history(upstream, lambda history: history.year(2025))
    assert [i.id for i in found] == expected(invoices, 2025)
    assert len(upstream.calls) == 7  # every page once, nothing twice


def test_an_echo_of_another_order_is_not_trusted() -> None:
    class Liar(FakeList):
        def list_invoices(self, query: InvoiceQuery) -> InvoicePage:
            page = super().list_invoices(query)
            return dataclasses.replace(page, order_field="InvoiceNumber")

    upstream = Liar(daily(300))
    read_history(upstream, lambda history: history.year(2025))
    history = History(upstream, upstream.list_invoices(span_queries()[0]))
    assert not history.ordered


def test_everything_is_every_page_once_up_to_the_limit() -> None:
    invoices = daily(2006)
    upstream = FakeList(invoices)
    found = read_history(upstream, lambda history: history.everything())
    assert len(found) == 2006 and len(upstream.calls) == 21
    with pytest.raises(TooLong):
        read_history(FakeList(daily(READ_LIMIT + 1)), lambda history: history.everything())


def test_a_history_that_moves_while_it_is_read_is_read_again() -> None:
    invoices = daily(500)

    class Growing(FakeList):
        def list_invoices(self, query: InvoiceQuery) -> InvoicePage:
            if len(self.calls) == 1:  # a new invoice arrives after the first page
                self.invoices = [
                    Invoice(id=1, number="NEW", created_on=NOW - timedelta(days=1)),
                    *self.invoices,
                ]
            return super().list_invoices(query)

    upstream = Growing(invoices)
    found = read_history(upstream, lambda history: history.everything())
    assert [i.number for i in found][:1] == ["NEW"] and len(found) == 501


def test_a_failing_page_fails_the_answer() -> None:
    upstream = FakeList(daily(900))
    upstream.fail_on = {5}
    with pytest.raises(Unavailable):
        read_history(upstream, lambda history: history.everything())


def test_the_span_is_the_newest_and_oldest_years() -> None:
    upstream = FakeList(daily(2000))
    newest, oldest = upstream.list_invoices_each(span_queries())
    span = span_from(newest, oldest)
    assert span == Span(2026, 2021)
    assert span.years == (2026, 2025, 2024, 2023, 2022, 2021)
    # An answer that ignored `dir` is no span at all.
    ignored = FakeList(daily(2000), honours_order=False)
    assert span_from(*ignored.list_invoices_each(span_queries())) is None


@pytest.mark.parametrize(
    ("query", "year", "q", "corrected"),
    [
        ("", None, "", False),
        ("year=2025", 2025, "", False),
        ("year=", None, "", False),
        ("year=25", None, "", True),
        ("year=abcd", None, "", True),
        ("year=١٢٣٤", None, "", True),
        ("year=1800", None, "", True),
        ("q=HW-2025", None, "HW-2025", False),
        ("q=%20%2000012%20", None, "00012", False),
        ("q=a%0Ab", None, "ab", True),
        ("q=" + "x" * 60, None, "x" * 50, True),
    ],
)
def test_the_address_says_the_year_and_the_search(query, year, q, corrected) -> None:
    options = ListOptions.from_query(QueryDict(query))
    assert (options.year, options.q, options.corrected) == (year, q, corrected)


def test_the_address_keeps_year_search_switch_and_pages_in_one_order() -> None:
    options = ListOptions.from_query(QueryDict("paid_page=3&credit_notes=1&q=12&year=2024"))
    assert options.url("paid") == "?year=2024&q=12&credit_notes=1&paid_page=3#paid"
