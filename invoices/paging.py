"""What the address bar says about My Invoices, and pagers that cannot lie.

A page number out of range, below 1 or not a number is answered with the last or the first
page, and the page says which address it really shows. Every link keeps the list's filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.http import QueryDict
from django.utils.translation import gettext as _

from web.formatting import format_count

PAGE_SIZE = 20
# Pages around the current one in a pager: 1 … 4 5 [6] 7 8 … 100.
WINDOW = 2


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    page_param: str
    target: str  # the section's id: htmx swaps it, links land on it


TO_PAY = Group("to_pay", "unpaid_page", "to-pay")
PAID = Group("paid", "paid_page", "paid")
GROUPS = (TO_PAY, PAID)
GROUPS_TARGET = "invoice-groups"


@dataclass(frozen=True, slots=True)
class ListOptions:
    """The list's filters and each group's page, as the address bar has them."""

    credit_notes: bool = False
    pages: dict[str, int] = field(default_factory=lambda: {g.key: 1 for g in GROUPS})
    # True when the address asked for something that is not a page (junk, zero, negative):
    # the page answers with page 1 and its own address.
    corrected: bool = False
    # Only invoices issued in this year (location time); only numbers containing `q`.
    year: int | None = None
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> ListOptions:
        pages, corrected = {}, False
        for group in GROUPS:
            number, ok = _page_number(query.get(group.page_param))
            pages[group.key] = number
            corrected |= not ok
        year, year_ok = finding_year(query.get("year"))
        q, q_ok = finding_text(query.get("q"))
        return cls(
            credit_notes=query.get("credit_notes") == "1",
            pages=pages,
            corrected=corrected or not (year_ok and q_ok),
            year=year,
            q=q,
        )

    @property
    def narrowed(self) -> bool:
        """A year or a number narrows the list: it is then read from the whole history."""
        return self.year is not None or bool(self.q)

    def on_page(self, group: Group, number: int) -> ListOptions:
        return replace(self, pages={**self.pages, group.key: number}, corrected=False)

    def url(self, anchor: str = "") -> str:
        """This list's address (relative), with `#anchor` for links that work without JS."""
        query = QueryDict(mutable=True)
        if self.year is not None:
            query["year"] = str(self.year)
        if self.q:
            query["q"] = self.q
        if self.credit_notes:
            query["credit_notes"] = "1"
        for group in GROUPS:
            if self.pages[group.key] > 1:
                query[group.page_param] = str(self.pages[group.key])
        fragment = f"#{anchor}" if anchor else ""
        return f"?{query.urlencode()}{fragment}"


# Years a history can hold; anything else in `?year=` is junk, answered with all years.
FIRST_YEAR, LAST_YEAR = 1900, 2999
SEARCH_MAX = 50


def finding_year(raw: str | None) -> tuple[int | None, bool]:
    """`?year=`: (the year or None for all years, whether the address said it well)."""
    if raw is None or raw == "":
        return None, True
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        return None, False
    year = int(raw)
    return (year, True) if FIRST_YEAR <= year <= LAST_YEAR else (None, False)


def finding_text(raw: str | None) -> tuple[str, bool]:
    """`?q=`: the text an invoice number must contain, tidied, and whether it was tidy."""
    if raw is None:
        return "", True
    text = " ".join("".join(c for c in raw if c.isprintable()).split())[:SEARCH_MAX]
    return text, text == raw.strip() or (text == "" and raw.strip() == "")


def _page_number(raw: str | None) -> tuple[int, bool]:
    if raw is None:
        return 1, True
    try:
        number = int(raw)
    except ValueError:
        return 1, False
    return (number, True) if number >= 1 else (1, False)


@dataclass(frozen=True, slots=True)
class PageLink:
    label: str
    url: str  # with the group's anchor
    hx_url: str  # without it: htmx asks for the fragment
    current: bool = False
    gap: bool = False  # an ellipsis between numbers


@dataclass(frozen=True, slots=True)
class Pager:
    number: int
    total_pages: int
    range_text: str  # "41–60 of 2,000"
    position_text: str  # "page 3 of 100", for the live region
    previous: PageLink | None
    next: PageLink | None
    links: tuple[PageLink, ...]

    @property
    def needed(self) -> bool:
        return self.total_pages > 1


def last_page(total_items: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total_items // size))


def pager(
    options: ListOptions, group: Group, total_items: int, culture: str | None, size: int = PAGE_SIZE
) -> Pager:
    total_pages = last_page(total_items, size)
    number = min(options.pages[group.key], total_pages)

    def link(n: int, label: str | None = None) -> PageLink:
        target = options.on_page(group, n)
        return PageLink(
            label=label or format_count(n, culture),
            url=target.url(group.target),
            hx_url=target.url(),
            current=n == number,
        )

    first = (number - 1) * size + 1 if total_items else 0
    last = min(number * size, total_items)
    range_text = _("%(first)s–%(last)s of %(total)s") % {
        "first": format_count(first, culture),
        "last": format_count(last, culture),
        "total": format_count(total_items, culture),
    }
    position = _("page %(number)s of %(total)s") % {
        "number": format_count(number, culture),
        "total": format_count(total_pages, culture),
    }
    return Pager(
        number=number,
        total_pages=total_pages,
        range_text=range_text,
        position_text=position,
        previous=link(number - 1, _("Previous")) if number > 1 else None,
        next=link(number + 1, _("Next")) if number < total_pages else None,
        links=tuple(_numbered(number, total_pages, link)),
    )


def _numbered(number: int, total: int, link: Callable[[int], PageLink]) -> list[PageLink]:
    shown = sorted({1, total, *range(max(1, number - WINDOW), min(total, number + WINDOW) + 1)})
    links: list[PageLink] = []
    for previous, n in zip([0, *shown], shown, strict=False):
        if n - previous > 1:
            links.append(PageLink("…", "", "", gap=True))
        links.append(link(n))
    return links
