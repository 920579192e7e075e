"""The member's whole history, newest first, and how a year is found in it with few calls.

Nothing says the Nexudus invoice list filters by date (reference §5, §6b), so a year is found
by position. The portal asks for every document, invoices and credit notes, paid or not,
newest first (`orderBy=CreatedOn&dir=-1`, the admin REST convention, §6b), in pages of
`CHUNK`, and checks what comes back before trusting it: the order the envelope says it used,
the records of each page, and the seam between neighbouring pages.

Where a year starts and ends is then a search over those pages. Each edge is guessed by
interpolating between the nearest dates already seen (for a member invoiced at a steady pace
one guess lands on the right page), and a guess that does poorly is followed by halving the
unknown range, so even an odd history costs a few calls per edge. Both edges are searched side
by side; the pages between them are then read at once.

When the answer is not in that order (or has no total), the whole history is read, up to
`READ_LIMIT` documents, and sorted here: slower, never wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from django.core.cache import cache

from invoices.ledger import ROW_FIELDS
from nexudus import InvoiceQuery, NexudusError, Unavailable
from nexudus.records import Invoice, InvoicePage
from web.crypto import keyed_digest

logger = logging.getLogger("invoices")

# The largest page the list is known to serve (see ledger.UNPAID_PAGE_SIZE).
CHUNK = 100
# The most documents one answer reads: 25 calls of CHUNK.
READ_LIMIT = 2_500
ORDER_FIELD = "CreatedOn"
# A row's fields, and the issuing location's host for an export's PDFs.
HISTORY_FIELDS = (*ROW_FIELDS, "BusinessWebAddress")
# Rounds of the edge search before giving up (halving alone needs log2(25) < 5).
MAX_ROUNDS = 12
# How long a member's first and last years are kept: only years, never an invoice.
SPAN_CACHE_SECONDS = 600
SPAN_PURPOSE = "invoices.history-span"
_OLDEST = datetime.min


class TooLong(Exception):
    """More documents than one answer may read (READ_LIMIT)."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} documents")
        self.count = count


class _Changed(Exception):
    """The history moved while it was read (a new invoice shifts every position)."""


def history_query(page: int, *, size: int = CHUNK, ascending: bool = False) -> InvoiceQuery:
    """A page of everything, invoices and credit notes, paid or not, in issue order."""
    return InvoiceQuery(
        paid=None,
        credit_notes=True,
        page=page,
        size=size,
        fields=HISTORY_FIELDS,
        order_by=ORDER_FIELD,
        ascending=ascending,
    )


def created(invoice: Invoice) -> datetime:
    return invoice.created_on or _OLDEST


def says_its_order(page: InvoicePage, *, ascending: bool = False) -> bool:
    """False when the envelope says it used another order than the one asked for."""
    if page.order_field is not None and page.order_field.lower() != ORDER_FIELD.lower():
        return False
    if page.order_direction is None:
        return True
    wanted = {"ASC", "ASCENDING", "1"} if ascending else {"DESC", "DESCENDING", "-1"}
    return page.order_direction.strip().upper() in wanted


def newest_first(invoices: Sequence[Invoice]) -> bool:
    # Ties on the date may come in any order: only dates are compared, and only dates are
    # what a year's edges depend on.
    return all(created(a) >= created(b) for a, b in pairwise(invoices))


class History:
    """The pages of one member's history read so far, and what they say about positions.

    Raises NexudusError (from the client) while reading; `TooLong` when an answer would read
    more than READ_LIMIT documents.
    """

    def __init__(self, nexudus: Any, first: InvoicePage | None = None) -> None:
        self.nexudus = nexudus
        self.size = CHUNK
        self.total: int | None = None
        self.chunks: dict[int, tuple[Invoice, ...]] = {}
        self.has_next: dict[int, bool] = {}
        self.ordered = True
        # The oldest date known only roughly (a probe in the other direction): a better first
        # guess for edges near the end, never used to decide one.
        self.oldest_hint: datetime | None = None
        if first is not None:
            self.keep(1, first)

    # -- reading -----------------------------------------------------------------------------

    def keep(self, page: int, result: InvoicePage) -> None:
        if not self.chunks:
            self.size = result.size or CHUNK
            self.total = result.total_items
        elif (result.size or CHUNK) != self.size or _differ(self.total, result.total_items):
            raise _Changed
        self.has_next[page] = result.has_next
        invoices = result.invoices
        if not says_its_order(result) or not newest_first(invoices):
            self._unordered("a page")
        last_page = self.pages_count() or page
        if page < last_page and len(invoices) != self.size:
            raise _Changed  # only the last page may be short
        self.chunks[page] = invoices
        earlier, later = self.chunks.get(page - 1), self.chunks.get(page + 1)
        if earlier and invoices and created(earlier[-1]) < created(invoices[0]):
            self._unordered("two pages")
        if later and invoices and created(invoices[-1]) < created(later[0]):
            self._unordered("two pages")

    def _unordered(self, where: str) -> None:
        if self.ordered:
            logger.info("invoice list: %s not newest first, reading the whole history", where)
        self.ordered = False

    def read(self, pages: Iterable[int]) -> None:
        """Read these pages (those not read yet), side by side."""
        wanted = sorted({page for page in pages if page not in self.chunks and page >= 1})
        if not wanted:
            return
        results = self.nexudus.list_invoices_each([history_query(page) for page in wanted])
        for page, result in zip(wanted, results, strict=True):
            if isinstance(result, NexudusError):
                raise result
            self.keep(page, result)

    def read_first(self) -> None:
        if 1 not in self.chunks:
            self.keep(1, self.nexudus.list_invoices(history_query(1)))

    def pages_count(self) -> int | None:
        if self.total is None:
            return None
        return -(-self.total // self.size)

    def at(self, index: int) -> Invoice | None:
        chunk = self.chunks.get(index // self.size + 1)
        offset = index % self.size
        return chunk[offset] if chunk is not None and offset < len(chunk) else None

    # -- answers -----------------------------------------------------------------------------

    def everything(self) -> list[Invoice]:
        """Every document, newest first."""
        self.read_first()
        if self.total is None:
            return self._follow_next_pages()
        if self.total > READ_LIMIT:
            raise TooLong(self.total)
        self.read(range(2, (self.pages_count() or 1) + 1))
        return self._documents()

    def _follow_next_pages(self) -> list[Invoice]:
        """No total to page by: follow HasNextPage one page at a time, as far as the limit."""
        page = max(self.chunks)
        while self.has_next.get(page):
            if page * self.size >= READ_LIMIT:
                raise TooLong(page * self.size)
            page += 1
            self.keep(page, self.nexudus.list_invoices(history_query(page)))
        return self._documents()

    def _documents(self) -> list[Invoice]:
        documents = [i for page in sorted(self.chunks) for i in self.chunks[page]]
        if not self.ordered:
            documents.sort(key=created, reverse=True)
        return documents

    def year(self, year: int) -> list[Invoice]:
        """The documents issued in `year` (location time), newest first."""
        self.read_first()
        if not self.ordered or self.total is None:
            return [i for i in self.everything() if created(i).year == year]
        start, stop = self.positions([datetime(year + 1, 1, 1), datetime(year, 1, 1)])
        if not self.ordered:
            return [i for i in self.everything() if created(i).year == year]
        if stop - start > READ_LIMIT:
            raise TooLong(stop - start)
        if stop > start:
            self.read(range(start // self.size + 1, (stop - 1) // self.size + 2))
        if not self.ordered:
            return [i for i in self.everything() if created(i).year == year]
        documents = [self.at(index) for index in range(start, stop)]
        return [i for i in documents if i is not None]

    def positions(self, cutoffs: Sequence[datetime]) -> list[int]:
        """For each cutoff, how many documents were issued at or after it: its position."""
        total = self.total or 0
        widths: dict[datetime, int] = {}
        halve: set[datetime] = set()
        for _ in range(MAX_ROUNDS):
            brackets = {cutoff: self._bracket(cutoff) for cutoff in cutoffs}
            if not self.ordered:
                return [0 for _ in cutoffs]
            open_ = {c: b for c, b in brackets.items() if b[1] - b[0] > 1}
            if not open_:
                return [brackets[cutoff][1] for cutoff in cutoffs]
            probes = set()
            for cutoff, (low, high) in open_.items():
                width = high - low
                # A guess that did not halve the unknown range is followed by a halving.
                if cutoff in widths and width > widths[cutoff] / 2:
                    halve.add(cutoff)
                else:
                    halve.discard(cutoff)
                widths[cutoff] = width
                guess = self._guess(cutoff, low, high, halve=cutoff in halve)
                probes.add(min(max(guess, 0), max(total - 1, 0)) // self.size + 1)
            self.read(probes)
        raise Unavailable("the invoice list did not settle into an order")

    def _bracket(self, cutoff: datetime) -> tuple[int, int]:
        """(last index known issued at or after `cutoff`, first index known issued before)."""
        low, high = -1, self.total or 0
        for page, chunk in self.chunks.items():
            base = (page - 1) * self.size
            for offset, invoice in enumerate(chunk):
                if created(invoice) >= cutoff:
                    low = max(low, base + offset)
                else:
                    high = min(high, base + offset)
        if low >= high:
            self._unordered("the search")
        return low, high

    def _guess(self, cutoff: datetime, low: int, high: int, *, halve: bool) -> int:
        """Where the first document before `cutoff` probably is, strictly inside the bracket."""
        guess = (low + high) // 2
        newer = self.at(low) if low >= 0 else None
        older = self.at(high) if high < (self.total or 0) else None
        older_date = created(older) if older is not None else self.oldest_hint
        if halve or newer is None:
            pass
        elif older_date is not None and older_date < cutoff <= created(newer):
            # Between two dates seen: as far along as the cutoff is between them.
            share = (cutoff - older_date) / (created(newer) - older_date)
            guess = high - 1 - int(share * (high - low - 1))
        elif (rate := self._pace(low)) is not None:
            # Only newer dates seen: go on at the pace the nearest page shows.
            guess = low + 1 + int((created(newer) - cutoff).total_seconds() * rate)
        return min(max(guess, low + 1), high - 1)

    def _pace(self, index: int) -> float | None:
        """Documents per second around `index`, from the page it is on."""
        chunk = self.chunks.get(index // self.size + 1) or ()
        if len(chunk) < 2:
            return None
        seconds = (created(chunk[0]) - created(chunk[-1])).total_seconds()
        return (len(chunk) - 1) / seconds if seconds > 0 else None


def _differ(known: int | None, told: int | None) -> bool:
    return known is not None and told is not None and known != told


def read_history(nexudus: Any, answer: Any, first: InvoicePage | None = None) -> Any:
    """`answer(history)` over a fresh History, tried again once if the history moved."""
    for attempt in range(2):
        history = History(nexudus, first if attempt == 0 else None)
        try:
            return answer(history)
        except _Changed:
            continue
    raise Unavailable("the invoice list kept changing while it was read")


# -- the years of a member's history ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """The years a member's history covers."""

    newest: int
    oldest: int

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.newest, self.oldest - 1, -1))

    def widened(self, *days: date | datetime | None) -> Span:
        known = [d.year for d in days if d is not None and d.year > 1]
        return Span(max([self.newest, *known]), min([self.oldest, *known]))

    @classmethod
    def of(cls, days: Iterable[date | datetime | None]) -> Span | None:
        known = [d.year for d in days if d is not None and d.year > 1]
        return cls(max(known), min(known)) if known else None


def span_queries() -> list[InvoiceQuery]:
    """The newest and the oldest document: two one-record pages, asked side by side."""
    return [history_query(1, size=1), history_query(1, size=1, ascending=True)]


def span_from(newest: InvoicePage, oldest: InvoicePage) -> Span | None:
    """The span two probes found; None when there is nothing, or the order was not kept."""
    if not newest.invoices or not oldest.invoices:
        return None
    if not says_its_order(newest) or not says_its_order(oldest, ascending=True):
        return None
    first, last = created(newest.invoices[0]), created(oldest.invoices[0])
    if first < last or last == _OLDEST:
        return None
    if newest.invoices[0].id == oldest.invoices[0].id and (newest.total_items or 0) > 1:
        return None  # both ends are the same record: `dir` was ignored
    return Span(first.year, last.year)


def _span_key(nexudus: Any) -> str | None:
    identity = getattr(nexudus, "identity", None)
    if not isinstance(identity, str) or not identity:
        return None  # previews and anonymous clients keep nothing
    return f"history-span:{keyed_digest(SPAN_PURPOSE, identity)}"


def known_span(nexudus: Any) -> Span | None:
    key = _span_key(nexudus)
    cached = cache.get(key) if key else None
    return Span(*cached) if isinstance(cached, tuple) and len(cached) == 2 else None


def remember_span(nexudus: Any, span: Span | None) -> None:
    key = _span_key(nexudus)
    if key and span is not None:
        cache.set(key, (span.newest, span.oldest), SPAN_CACHE_SECONDS)
