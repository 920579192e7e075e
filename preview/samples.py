"""Sample data for staff previews, and a sample Nexudus client that answers from it.

A preview must look like the real thing and never touch Nexudus. `SampleClient` answers the
calls pages make (`list_invoices`, `guest_pdf`, ...) with records shaped exactly like the real
client's, for a few sample people who cover the states worth seeing: a typical member with two
currencies, credit notes and a draft; a member with two-step sign-in; an empty history; and a
2,000-invoice history. Dates are relative to today, so "overdue" keeps its meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from nexudus import InvoiceQuery, NexudusError, NotFound, Unauthorized, Unavailable
from nexudus.api import FIRST_PAGE
from nexudus.copies import Copy
from nexudus.records import Configuration, Invoice, InvoiceLine, InvoicePage
from preview.documents import sample_pdf
from web.formatting import format_day, format_money, location_today

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class SampleLocation:
    name: str
    culture: str
    currency_code: str
    time_zone: str
    tax_rate: Decimal
    prefix: str


LONDON = SampleLocation("Harbour Works London", "en-GB", "GBP", "Europe/London", Decimal(20), "HW")
LISBOA = SampleLocation("Harbour Works Lisboa", "pt-PT", "EUR", "Europe/Lisbon", Decimal(23), "HWL")


@dataclass(frozen=True, slots=True)
class ShellMember:
    """What a page's shell shows of the signed-in member (the shape of members' Member)."""

    full_name: str
    email: str


@dataclass(frozen=True, slots=True)
class ShellLocation:
    """What a page's shell shows of the location (the shape of members' Location)."""

    name: str
    language_culture: str
    currency_code: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class SamplePerson:
    key: str
    full_name: str
    email: str
    home: SampleLocation

    @property
    def member(self) -> ShellMember:
        return ShellMember(self.full_name, self.email)

    @property
    def location(self) -> ShellLocation:
        home = self.home
        return ShellLocation(home.name, home.culture, home.currency_code, home.time_zone)


PEOPLE = {
    person.key: person
    for person in (
        SamplePerson("ada", "Ada Lovelace", "ada@example.com", LONDON),
        SamplePerson("grace", "Grace Hopper", "grace@example.com", LONDON),
        SamplePerson("empty", "Edsger Dijkstra", "empty@example.com", LONDON),
        SamplePerson("busy", "Barbara Liskov", "busy@example.com", LONDON),
    )
}

# Guest checkouts of the previews' own (never a real guest's id, so no cache entry of a real
# checkout is ever touched by a preview): gateway -> (invoice id, gateway session id).
GUEST_CHECKOUTS = {
    "stripe": (39001, "cs_test_PREVIEWa1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdefghij"),
    "spreedly": (39002, "PREVIEWsampleSpreedlyToken01"),
    "paypal": (39003, "PREVIEW000SAMPLE1"),
}


@dataclass(frozen=True, slots=True)
class _Spec:
    """An invoice in a few numbers: net amount, days ago it was issued, what happened since."""

    id: int
    location: SampleLocation
    days_ago: int
    net: str
    due_in: int = 14
    paid_after: int | None = None
    draft: bool = False
    credit_note: bool = False
    due: str | None = None
    # (description, quantity, unit price); none: one line for the whole net amount.
    lines: tuple[tuple[str, str, str], ...] = ()

    def line_items(self) -> tuple[tuple[str, str, str], ...]:
        return self.lines or (("Membership", "1", self.net),)


DESK = ("Dedicated desk — monthly membership", "1", "350.00")
MANY_LINES = (
    DESK,
    ("Meeting room (Boardroom) — 2 hours", "2", "25.00"),
    ("Printing credits", "120", "0.10"),
    ("Locker rental", "1", "15.00"),
    ("Day pass (guest)", "2", "25.00"),
    ("Café & snacks", "6", "3.20"),
    ("Discount: loyal member", "1", "-80.20"),
)


def _ada() -> list[_Spec]:
    lon, lis = LONDON, LISBOA
    return [
        _Spec(30001, lon, 45, "425.00", lines=(DESK, ("Meeting room — 3 hours", "3", "25.00"))),
        _Spec(30002, lon, 75, "450.00", due="240.00"),  # overdue, partly paid
        _Spec(30003, lon, 5, "362.50"),  # not yet due
        _Spec(30004, lon, 1, "365.00", draft=True),  # the next invoice
        _Spec(30005, lon, 105, "362.80", paid_after=10),
        _Spec(30006, lon, 135, "370.00", paid_after=5),
        _Spec(30007, lon, 165, "350.00", paid_after=3),
        _Spec(30008, lon, 195, "400.00", paid_after=1),
        _Spec(30009, lon, 225, "416.00", paid_after=0, lines=MANY_LINES),  # many lines
        _Spec(30010, lon, 100, "-50.00", paid_after=0, credit_note=True),
        _Spec(30011, lis, 40, "195.00"),
        _Spec(30012, lis, 3, "1003.66"),  # 1,234.50 with tax: thousands separators
        _Spec(30013, lis, 70, "180.00", paid_after=4),
        _Spec(30014, lis, 130, "60.00", paid_after=2),
        _Spec(
            30015,
            lis,
            20,
            "-45.00",
            credit_note=True,
            due="-55.35",
            lines=(("Credit: overcharge on hot desk pass", "1", "-45.00"),),
        ),  # open credit
    ]


def _grace() -> list[_Spec]:
    return [
        _Spec(31001, LONDON, 10, "220.00"),
        _Spec(31002, LONDON, 40, "220.00", paid_after=2),
        _Spec(31003, LONDON, 70, "220.00", paid_after=6),
    ]


def _busy() -> list[_Spec]:
    specs = []
    for i in range(2000):  # two invoices a day going back ~2.7 years; i = 0 is the newest
        lisboa = i % 7 == 3
        net = Decimal(i % 5 + 1) * (Decimal(30) if lisboa else Decimal(25))
        if i % 3 == 0:
            net += Decimal(5)  # printing credits
        specs.append(
            _Spec(
                40001 + i,
                LISBOA if lisboa else LONDON,
                2 + i // 2,
                str(net),
                due_in=7,
                paid_after=None if i < 15 else i % 5,
            )
        )
    return specs


_SPECS = {"ada": _ada, "grace": _grace, "empty": list, "busy": _busy}


def _line(item: tuple[str, str, str], rate: Decimal) -> InvoiceLine:
    description, quantity, unit = item
    net = (Decimal(quantity) * Decimal(unit)).quantize(CENT, rounding=ROUND_HALF_UP)
    tax = (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return InvoiceLine(description, Decimal(quantity), Decimal(unit), net, tax, rate, None)


def _invoice(spec: _Spec, today: date, number: str) -> Invoice:
    location = spec.location
    lines = tuple(_line(item, location.tax_rate) for item in spec.line_items())
    tax = sum((line.tax_amount or Decimal(0) for line in lines), Decimal("0.00"))
    total = sum((line.sub_total or Decimal(0) for line in lines), Decimal("0.00")) + tax
    created = datetime.combine(today - timedelta(days=spec.days_ago), time(9, 30))
    paid_on = None
    if spec.paid_after is not None:
        paid_on = created + timedelta(days=spec.paid_after, hours=4, minutes=42)
    due = Decimal(spec.due) if spec.due else (Decimal("0.00") if paid_on else total)
    return Invoice(
        id=spec.id,
        number=number,
        created_on=created,
        due_date=(created + timedelta(days=spec.due_in)).date(),
        paid=paid_on is not None,
        paid_on=paid_on,
        draft=spec.draft,
        credit_note=spec.credit_note,
        total_amount=total,
        tax_amount=tax,
        due_amount=due,
        currency_code=location.currency_code,
        business_name=location.name,
        lines=lines,
        unique_id=f"sample-{spec.id}",
    )


@functools.lru_cache(maxsize=8)
def sample_invoices(person: str, today: date) -> tuple[Invoice, ...]:
    """A sample person's invoices, newest first (the order the list endpoint serves)."""
    specs = sorted(_SPECS[person](), key=lambda spec: (spec.days_ago, -spec.id))
    counters: dict[tuple[str, bool], int] = {}
    invoices = []
    for spec in reversed(specs):  # numbered in issue order, like a real ledger
        if spec.draft:
            number = f"DRAFT-{spec.id}"
        else:
            # Numbers run per location, kind and year, like a real ledger's.
            year = (today - timedelta(days=spec.days_ago)).year
            key = (spec.location.prefix, spec.credit_note, year)
            counters[key] = counters.get(key, 0) + 1
            prefix = f"{spec.location.prefix}CN" if spec.credit_note else spec.location.prefix
            number = f"{prefix}-{year}-{counters[key]:05d}"
        invoices.append(_invoice(spec, today, number))
    return tuple(reversed(invoices))


class SampleCopies:
    """A member's kept copies for a preview: in memory, never fresh, all taken at `as_of`.

    A stale-data preview renders a page once with a healthy sample client keeping into this,
    then again with Nexudus down, exactly as a member's second visit would go."""

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        self._kept: dict[str, Any] = {}

    def fresh(self, name: str) -> Any | None:
        return None

    def stale(self, name: str) -> Copy[Any] | None:
        if name not in self._kept:
            return None
        return Copy(value=self._kept[name], taken_at=self.as_of.timestamp(), generation="")

    def keep(self, name: str, value: Any) -> None:
        self._kept[name] = value

    def forget_fresh(self) -> None:
        return None


def stale_copies(minutes_ago: int = 47) -> SampleCopies:
    """Copies taken a while ago today, for "as of 14:05" previews."""
    return SampleCopies(datetime.now(UTC) - timedelta(minutes=minutes_ago))


class SampleClient:
    """Answers a page's Nexudus calls for one sample person, or as if Nexudus were down.

    Only what previews render is answered; anything else is refused loudly, so a preview can
    never quietly do something a member's page would not.
    """

    def __init__(
        self,
        person: str | None = "ada",
        *,
        down: bool = False,
        rejected_tokens: frozenset[str] = frozenset(),
        copies: SampleCopies | None = None,
    ) -> None:
        self.person = PEOPLE[person] if person else None
        self.down = down
        self.rejected_tokens = rejected_tokens
        # What a "last good data" preview shows: pages keep into it, then read it back.
        self.copies = copies

    def _invoices(self) -> tuple[Invoice, ...]:
        if self.down:
            raise Unavailable("preview: Nexudus down")
        if self.person is None:
            raise Unauthorized("preview: nobody is signed in")
        return sample_invoices(self.person.key, location_today(self.person.home.time_zone))

    def list_invoices(self, query: InvoiceQuery = FIRST_PAGE) -> InvoicePage:
        rows = [
            invoice
            for invoice in self._invoices()
            if (query.credit_notes or not invoice.credit_note)
            and (query.paid is None or invoice.paid == query.paid)
        ]
        if query.ascending:
            rows.reverse()  # newest first is the default order, as the list serves it
        size = min(query.size, 100)
        pages = -(-len(rows) // size)
        chunk = rows[(query.page - 1) * size : query.page * size]
        return InvoicePage(
            invoices=tuple(chunk),
            page=query.page,
            size=size,
            total_items=len(rows),
            total_pages=pages,
            has_next=query.page < pages,
            has_previous=query.page > 1,
            order_field="CreatedOn",
            order_direction="ASC" if query.ascending else "DESC",
        )

    def list_invoices_each(
        self, queries: Sequence[InvoiceQuery]
    ) -> list[InvoicePage | NexudusError]:
        results: list[InvoicePage | NexudusError] = []
        for query in queries:
            try:
                results.append(self.list_invoices(query))
            except NexudusError as error:
                results.append(error)
        return results

    def get_invoice(self, invoice_id: int, **_: Any) -> Invoice:
        for invoice in self._invoices():
            if invoice.id == invoice_id:
                return invoice
        raise NotFound("preview: not this person's invoice")

    def configuration(self) -> Configuration:
        """Every My-account switch on: previews show what members see by default."""
        return Configuration({"members.viewinvoices": "True", "members.printinvoices": "True"})

    def guest_pdf(self, invoice_id: int, *, token: str) -> bytes:
        if self.down:
            raise Unavailable("preview: Nexudus down")
        if token in self.rejected_tokens:
            raise Unauthorized("preview: token rejected")
        return b"%PDF-sample"

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"previews do not call {name}")


class SampleLinks:
    """Links of a preview page: sample documents and sample pages, never a member's. Pay is
    inert in a preview."""

    def __init__(self, person: str) -> None:
        self.person = person

    def invoice(self, invoice_id: int) -> str:
        key = DETAIL_STATES.get((self.person, invoice_id))
        return reverse("preview:show", args=["invoice", key]) if key else "#"

    def invoice_pdf(self, invoice_id: int) -> str:
        return reverse("preview:invoice_pdf", args=[self.person, invoice_id])

    def invoice_pay(self, invoice_id: int) -> str:
        return "#"

    def statement_pdf(self) -> str:
        return reverse("preview:statement_pdf", args=[self.person])

    def next_invoice_pdf(self) -> str:
        return reverse("preview:statement_pdf", args=[self.person])

    def export_csv(self, year: int | None) -> str:
        return "#"  # exports are the member's own data: a preview has none to give

    def export_zip(self, year: int | None) -> str:
        return "#"


# Sample invoices that have a preview state of their own page (see invoices/previews.py).
DETAIL_STATES = {
    ("ada", 30001): "typical",
    ("ada", 30009): "many-lines",
    ("ada", 30015): "credit-note",
}


def sample_invoice_pdf(person: str, invoice_id: int) -> bytes:
    sample = PEOPLE[person]
    invoice = SampleClient(person).get_invoice(invoice_id)
    culture = sample.home.culture
    return sample_pdf(
        _("Invoice %(number)s (sample)") % {"number": invoice.number},
        [
            sample.full_name,
            _("Issued %(day)s") % {"day": format_day(invoice.created_on, culture)},
            _("Total %(amount)s") % {"amount": _total(invoice, culture)},
            _("A preview sample: not a real invoice."),
        ],
    )


def sample_statement_pdf(person: str) -> bytes:
    sample = PEOPLE[person]
    invoices = sample_invoices(person, location_today(sample.home.time_zone))
    culture = sample.home.culture
    lines = [f"{invoice.number}  {_total(invoice, culture)}" for invoice in invoices[:30]]
    title = _("Statement for %(name)s (sample)") % {"name": sample.full_name}
    return sample_pdf(title, lines)


def _total(invoice: Invoice, culture: str) -> str:
    return format_money(invoice.total_amount or Decimal(0), invoice.currency_code, culture)


def sample_guest_pdf(invoice_id: int) -> bytes:
    if invoice_id not in {invoice for invoice, _ in GUEST_CHECKOUTS.values()}:
        raise NotFound("preview: no such sample checkout")
    return sample_pdf(
        _("Invoice %(number)s (sample)") % {"number": invoice_id},
        [_("A guest's invoice, as a preview sample.")],
    )
