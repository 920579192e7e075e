"""Deterministic demo data for the sandbox.

Nothing here is random: the same "today" always yields the same locations, people, invoices and
guest checkouts, byte for byte. Invoice dates are relative to the day the data is seeded (the
sandbox clock's date), so "overdue" and "not yet due" keep their meaning whenever the demo runs.

Locations, invoices, lines and payments are frozen records shared between copies: an app that
changes one (an invoice paid on the payment page) puts a `dataclasses.replace`d record in its own
`DemoData`, never mutates the shared one. People and guest checkouts change in place (a guest
registers) and are copied.
"""

from __future__ import annotations

import copy
import functools
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from babel.numbers import format_currency

# Published demo credentials (README lists them); not a secret.
DEMO_PASSWORD = "demo-pass-1"  # noqa: S105
DEMO_TOTP = "123456"

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# A fixed namespace makes every UniqueId a pure function of the record's id.
_NAMESPACE = uuid.UUID("6f1c1f0e-5b1a-4d7e-9a53-0d3c8e2b7a10")


def stable_uuid(kind: str, key: object) -> str:
    """A UUID that is the same on every run for the same kind and key."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def money(value: str | int | Decimal) -> Decimal:
    """A Decimal rounded to cents the way invoices round (half up)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency_code: str, culture: str) -> str:
    """Format an amount for a culture such as "en-GB" or "pt-PT" (Babel, CLDR rules)."""
    return format_currency(amount, currency_code, locale=culture.replace("-", "_"))


class _Immutable:
    """Mixin for frozen records: a deep copy may share them, since nobody can change them."""

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self


@dataclass(frozen=True)
class Location(_Immutable):
    """A Nexudus location (a "business")."""

    id: int
    unique_id: str
    name: str
    slug: str
    currency_code: str
    currency_name: str
    currency_format: str
    culture: str
    time_zone: str
    address: str
    town_city: str
    postal_code: str
    country_id: int
    country_name: str
    country_code: str
    tax_rate: Decimal
    invoice_prefix: str
    credit_note_prefix: str
    email: str
    language_path: str


@dataclass
class Person:
    """A customer (coworker) or a guest contact created by a guest checkout."""

    id: int
    user_id: int
    email: str
    full_name: str
    home_location_id: int
    password: str | None
    company_name: str = ""
    address: str = ""
    city: str = ""
    postal_code: str = ""
    country_name: str = ""
    tax_id: str = ""
    totp: str | None = None
    must_reset_password: bool = False
    suspended: bool = False
    guest: bool = False
    registered: bool = False
    registered_on: datetime | None = None
    coworker_type: int = 1
    is_admin: bool = False


@dataclass(frozen=True)
class InvoiceLine(_Immutable):
    """One invoice line. Amounts are net of tax; `tax_rate` is a percentage (20 = 20 %)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_amount: Decimal = ZERO
    contract_unique_id: str | None = None
    booking_unique_id: str | None = None

    @property
    def sub_total(self) -> Decimal:
        """Net amount of the line after discount (Nexudus "SubTotal")."""
        return money(self.quantity * self.unit_price - self.discount_amount)

    @property
    def tax_amount(self) -> Decimal:
        return money(self.sub_total * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.sub_total + self.tax_amount


@dataclass(frozen=True)
class Invoice(_Immutable):
    """An invoice or credit note. Datetimes are naive location-local wall-clock times."""

    id: int
    unique_id: str
    number: str
    location_id: int
    person_id: int
    created_on: datetime
    due_date: datetime
    lines: tuple[InvoiceLine, ...]
    paid_on: datetime | None = None
    draft: bool = False
    credit_note: bool = False
    # None means "nothing paid yet" (or all of it, once paid_on is set); a value models a
    # partial payment or an open credit.
    due_amount_override: Decimal | None = None
    bill_to_name: str = ""
    bill_to_address: str = ""
    bill_to_city: str = ""
    bill_to_post_code: str = ""
    bill_to_country_name: str = ""
    bill_to_tax_id: str = ""
    # When the record last changed (paid, touched); None: never since it was created.
    updated_on: datetime | None = None
    # Serve the lines as "LinesRaw" instead of "Lines" (see LINES_RAW_INVOICE_ID).
    lines_raw: bool = False

    @property
    def paid(self) -> bool:
        return self.paid_on is not None

    @property
    def sub_total(self) -> Decimal:
        return sum((line.sub_total for line in self.lines), ZERO)

    @property
    def tax_amount(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), ZERO)

    @property
    def total_amount(self) -> Decimal:
        return self.sub_total + self.tax_amount

    @property
    def due_amount(self) -> Decimal:
        if self.due_amount_override is not None:
            return self.due_amount_override
        return ZERO if self.paid else self.total_amount

    @property
    def paid_amount(self) -> Decimal:
        """What has been received (or, for a credit note, applied) so far."""
        return self.total_amount - self.due_amount

    def is_overdue(self, today: date) -> bool:
        return not self.paid and not self.draft and self.due_date.date() < today


@dataclass
class GuestCheckout:
    """A completed guest checkout: the gateway session id is the guest's only credential."""

    gateway: str
    session_id: str
    invoice_id: int
    email: str
    person_id: int
    # Set by registerByToken; kept so repeated calls answer with the same Token.
    register_token: str | None = None


@dataclass(frozen=True)
class Payment(_Immutable):
    """Money received for an invoice (the sandbox's payment page records one per payment)."""

    invoice_id: int
    amount: Decimal
    currency_code: str
    paid_on: datetime
    gateway: str


class GuestCheckoutInfo(NamedTuple):
    invoice_id: int
    session_id: str
    email: str


# Gateway session ids shaped like the real ones: a Stripe Checkout session id, a 29-character
# Spreedly transaction token and a 17-character PayPal order id.
GUEST_CHECKOUTS: dict[str, GuestCheckoutInfo] = {
    "stripe": GuestCheckoutInfo(
        39001,
        "cs_test_COo38eU2e1SP8MMWLo9IRRqFwfRgJiuNa23pakKqwf0OnEMvAeorXeFZUz",
        "katherine.guest@example.com",
    ),
    "spreedly": GuestCheckoutInfo(
        39002, "nOIxxK5kBRCHvhCfO68CdHuMPP964", "margaret.guest@example.com"
    ),
    "paypal": GuestCheckoutInfo(39003, "6K8CY3KUHR05RRM3I", "frances.guest@example.com"),
}

LONDON_ID = 91001
LISBOA_ID = 91002

ADA_ID = 5001
GRACE_ID = 5002
ALAN_ID = 5003
EDSGER_ID = 5004
BARBARA_ID = 5005
NIKLAUS_ID = 5006

BUSY_INVOICE_COUNT = 2000
BUSY_UNPAID_COUNT = 15
BUSY_CREDIT_NOTE_COUNT = 6

# Lisboa opened with London's number prefixes (HW, HWCN) and got its own (HWL, HWLCN) at the
# start of the year this many years before the seeding year. Each location keeps its own
# counter, so before that both issued HW-<year>-00001 and so on: the busy member has invoices
# from two locations that share a number, which an export must tell apart.
LISBOA_OWN_PREFIXES_YEARS_AGO = 4

# Ada's invoices that show each case a detail page must handle (README lists them).
SHOWCASE_INVOICES = {
    "typical": 30001,
    "partly_paid": 30002,
    "draft": 30004,
    "hostile_line": 30006,
    "multi_line_tax_and_discounts": 30009,
    "credit_note_negative_lines": 30010,
    "lines_raw": 30011,
    "euro": 30012,
    "open_credit_note": 30015,
}
# The one invoice whose lines come as "LinesRaw" (a Lisboa invoice; see sandbox.invoices).
LINES_RAW_INVOICE_ID = SHOWCASE_INVOICES["lines_raw"]


@dataclass
class DemoData:
    """Everything the sandbox serves. `copy()` before mutating (each app owns its copy).

    `payments` lists the payments received while the sandbox runs (none are seeded).
    """

    today: date
    locations: dict[int, Location]
    people: dict[int, Person]
    invoices: dict[int, Invoice]
    # Newest CreatedOn first (ties: higher id first), the order the list endpoint serves.
    invoices_by_person: dict[int, tuple[int, ...]]
    checkouts: dict[str, GuestCheckout]
    payments: list[Payment] = field(default_factory=list)
    _by_email: dict[str, int] = field(default_factory=dict, repr=False)
    _by_unique_id: dict[str, int] = field(default_factory=dict, repr=False)

    def person_by_email(self, email: str) -> Person | None:
        person_id = self._by_email.get(email.strip().lower())
        return self.people.get(person_id) if person_id is not None else None

    def invoice_by_unique_id(self, unique_id: str) -> Invoice | None:
        invoice_id = self._by_unique_id.get(unique_id.strip().lower())
        return self.invoices.get(invoice_id) if invoice_id is not None else None

    def invoices_of(self, person_id: int) -> list[Invoice]:
        return [self.invoices[i] for i in self.invoices_by_person.get(person_id, ())]

    def copy(self) -> DemoData:
        return copy.deepcopy(self)


def demo_data(today: date) -> DemoData:
    """A private copy of the demo data seeded for `today`."""
    return _seed(today).copy()


@functools.lru_cache(maxsize=4)
def _seed(today: date) -> DemoData:
    # Building 2,000 invoices takes a moment; tests build many apps on the same day.
    return _Builder(today).build()


def _locations() -> dict[int, Location]:
    london = Location(
        id=LONDON_ID,
        unique_id=stable_uuid("location", LONDON_ID),
        name="Harbour Works London",
        slug="harbourworks-london",
        currency_code="GBP",
        currency_name="British Pound",
        currency_format="£0,0.00",
        culture="en-GB",
        time_zone="Europe/London",
        address="12 Wharf Road",
        town_city="London",
        postal_code="N1 7GR",
        country_id=1222,
        country_name="United Kingdom",
        country_code="GB",
        tax_rate=Decimal("20"),
        invoice_prefix="HW",
        credit_note_prefix="HWCN",
        email="london@harbourworks.example",
        language_path="/en",
    )
    lisboa = Location(
        id=LISBOA_ID,
        unique_id=stable_uuid("location", LISBOA_ID),
        name="Harbour Works Lisboa",
        slug="harbourworks-lisboa",
        currency_code="EUR",
        currency_name="Euro",
        currency_format="0,0.00 €",
        culture="pt-PT",
        time_zone="Europe/Lisbon",
        address="Rua da Conceição 45, 2.º",
        town_city="Lisboa",
        postal_code="1100-152",
        country_id=1175,
        country_name="Portugal",
        country_code="PT",
        tax_rate=Decimal("23"),
        invoice_prefix="HWL",
        credit_note_prefix="HWLCN",
        email="lisboa@harbourworks.example",
        language_path="/pt",
    )
    return {london.id: london, lisboa.id: lisboa}


def _people() -> list[Person]:
    def member(pid: int, email: str, name: str, home: int, **extra: Any) -> Person:
        defaults: dict[str, Any] = {
            "password": DEMO_PASSWORD,
            "address": "1 Demo Street",
            "city": "London" if home == LONDON_ID else "Lisboa",
            "postal_code": "EC1A 1AA" if home == LONDON_ID else "1200-001",
            "country_name": "United Kingdom" if home == LONDON_ID else "Portugal",
        }
        defaults.update(extra)
        return Person(
            id=pid,
            user_id=pid + 2000,
            email=email,
            full_name=name,
            home_location_id=home,
            **defaults,
        )

    return [
        member(
            ADA_ID,
            "ada@example.com",
            "Ada Lovelace",
            LONDON_ID,
            company_name="Analytical Engines Ltd",
            address="12 St James's Square",
            postal_code="SW1Y 4JH",
            tax_id="GB123456789",
        ),
        member(
            GRACE_ID,
            "grace@example.com",
            "Grace Hopper",
            LONDON_ID,
            totp=DEMO_TOTP,
            # Hostile on purpose: every page must escape what Nexudus sends.
            company_name='Hopper & Co "Compilers" <script>alert(1)</script>',
        ),
        member(ALAN_ID, "alan@example.com", "Alan Turing", LISBOA_ID, must_reset_password=True),
        member(EDSGER_ID, "empty@example.com", "Edsger Dijkstra", LONDON_ID),
        member(
            BARBARA_ID,
            "busy@example.com",
            "Barbara Liskov",
            LONDON_ID,
            company_name="Liskov Substitutions LLP",
        ),
        member(NIKLAUS_ID, "suspended@example.com", "Niklaus Wirth", LONDON_ID, suspended=True),
        # Guest contacts: no password, no portal access until registerByToken.
        member(
            5101,
            GUEST_CHECKOUTS["stripe"].email,
            "Katherine Johnson",
            LONDON_ID,
            password=None,
            guest=True,
        ),
        member(
            5102,
            GUEST_CHECKOUTS["spreedly"].email,
            "Margaret Hamilton",
            LISBOA_ID,
            password=None,
            guest=True,
        ),
        member(
            5103,
            GUEST_CHECKOUTS["paypal"].email,
            "Frances Allen",
            LONDON_ID,
            password=None,
            guest=True,
        ),
    ]


@dataclass(frozen=True)
class _Spec:
    """An invoice before it gets its number: offsets in days from today."""

    id: int
    person_id: int
    location_id: int
    created_days_ago: int
    lines: tuple[tuple[str, str, str] | tuple[str, str, str, str], ...]
    due_in_days: int = 14
    paid_days_after: int | None = None
    draft: bool = False
    credit_note: bool = False
    due_amount: str | None = None
    created_at: time = time(9, 30)


def _ada_specs() -> list[_Spec]:
    lon, lis, ada = LONDON_ID, LISBOA_ID, ADA_ID
    desk = ("Dedicated desk — monthly membership", "1", "350.00")
    return [
        # Unpaid and overdue.
        _Spec(30001, ada, lon, 45, (desk, ("Meeting room (Boardroom) — 3 hours", "3", "25.00"))),
        # Overdue and partly paid: 300.00 of 540.00 received.
        _Spec(
            30002,
            ada,
            lon,
            75,
            (("Private office — 2 desks", "1", "450.00"),),
            due_amount="240.00",
        ),
        # Unpaid, not yet due.
        _Spec(30003, ada, lon, 5, (desk, ("Printing credits", "125", "0.10"))),
        # Draft: the next invoice, not issued yet.
        _Spec(
            30004,
            ada,
            lon,
            1,
            (
                ("Dedicated desk — monthly membership (next period)", "1", "350.00"),
                ("Locker rental", "1", "15.00"),
            ),
            draft=True,
        ),
        # Paid.
        _Spec(
            30005,
            ada,
            lon,
            105,
            (desk, ("Café & snacks — Zoë's kitchen", "4", "3.20")),
            paid_days_after=10,
        ),
        _Spec(
            30006,
            ada,
            lon,
            135,
            (desk, ('Event ticket: <script>alert(1)</script> & "quotes"', "1", "20.00")),
            paid_days_after=5,
        ),
        _Spec(30007, ada, lon, 165, (desk,), paid_days_after=3),
        _Spec(30008, ada, lon, 195, (desk, ("Day pass (guest)", "2", "25.00")), paid_days_after=1),
        # Seven lines, two of them discounted, all taxed at 20 %.
        _Spec(
            30009,
            ada,
            lon,
            225,
            (
                ("Dedicated desk — monthly membership", "1", "350.00", "35.00"),
                ("Meeting room (Boardroom) — 2 hours", "2", "25.00"),
                ("Printing credits", "200", "0.10"),
                ("Locker rental", "1", "15.00"),
                ("Mail handling & scanning", "1", "12.50"),
                ("Day pass (guest)", "3", "25.00", "7.50"),
                ("Café & snacks", "6", "2.80"),
            ),
            paid_days_after=0,
        ),
        # Credit note, already applied.
        _Spec(
            30010,
            ada,
            lon,
            100,
            (("Credit: meeting room booking cancelled", "2", "-25.00"),),
            paid_days_after=0,
            credit_note=True,
        ),
        # Lisboa, in euros; its lines come as "LinesRaw" (LINES_RAW_INVOICE_ID).
        _Spec(
            30011,
            ada,
            lis,
            40,
            (
                ("Hot desk — 10-day pass", "1", "180.00"),
                ("Printing credits (€0.10/page)", "150", "0.10"),
            ),
        ),
        # Large enough to show thousands separators: 1,003.66 + 23 % = 1,234.50.
        _Spec(30012, ada, lis, 3, (("Private office — 4 desks, monthly", "1", "1003.66"),)),
        _Spec(30013, ada, lis, 70, (("Hot desk — 10-day pass", "1", "180.00"),), paid_days_after=4),
        _Spec(
            30014,
            ada,
            lis,
            130,
            (("Meeting room (Sala Tejo) — 2 hours", "2", "30.00"),),
            paid_days_after=2,
        ),
        # Credit note not applied yet: an open credit in the member's favour.
        _Spec(
            30015,
            ada,
            lis,
            20,
            (("Credit: overcharge on hot desk pass", "1", "-45.00"),),
            credit_note=True,
            due_amount="-55.35",
        ),
    ]


def _other_specs() -> list[_Spec]:
    lon, lis = LONDON_ID, LISBOA_ID
    return [
        _Spec(31001, GRACE_ID, lon, 10, (("Hot desk — monthly membership", "1", "220.00"),)),
        _Spec(
            31002,
            GRACE_ID,
            lon,
            40,
            (("Hot desk — monthly membership", "1", "220.00"),),
            paid_days_after=2,
        ),
        _Spec(
            31003,
            GRACE_ID,
            lon,
            70,
            (("Hot desk — monthly membership", "1", "220.00"),),
            paid_days_after=6,
        ),
        _Spec(32001, ALAN_ID, lis, 30, (("Hot desk — 10-day pass", "1", "180.00"),)),
        _Spec(32002, ALAN_ID, lis, 60, (("Hot desk — 10-day pass", "1", "180.00"),), 14, 3),
        _Spec(33001, NIKLAUS_ID, lon, 90, (("Day pass", "1", "25.00"),), paid_days_after=0),
        # Guest checkouts: paid at the moment of purchase, today.
        _Spec(39001, 5101, lon, 0, (("Day pass", "1", "25.00"),), 0, 0, created_at=time(8, 5)),
        _Spec(
            39002,
            5102,
            lis,
            0,
            (("Meeting room (Sala Tejo) — 1 hour", "1", "30.00"),),
            0,
            0,
            created_at=time(8, 10),
        ),
        _Spec(
            39003,
            5103,
            lon,
            0,
            (("Event ticket: Demo night", "1", "15.00"),),
            0,
            0,
            created_at=time(8, 15),
        ),
    ]


def _busy_specs() -> list[_Spec]:
    specs = []
    for i in range(BUSY_INVOICE_COUNT):
        # One invoice a day going back ~5.5 years; i = 0 is the newest.
        lisboa = i % 7 == 3
        price = "25.00" if not lisboa else "30.00"
        lines: list[tuple[str, str, str]] = [("Hot desk — day pass", str(i % 5 + 1), price)]
        if i % 3 == 0:
            lines.append(("Printing credits", "50", "0.10"))
        specs.append(
            _Spec(
                id=40001 + i,
                person_id=BARBARA_ID,
                location_id=LISBOA_ID if lisboa else LONDON_ID,
                created_days_ago=2 + i,
                lines=tuple(lines),
                due_in_days=7,
                paid_days_after=None if i < BUSY_UNPAID_COUNT else i % 5,
                created_at=time(15, 30) if i % 2 == 0 else time(9, 15),
            )
        )
    for k in range(BUSY_CREDIT_NOTE_COUNT):
        # A few refunds over the years, applied at once; odd ones from Lisboa.
        lisboa = k % 2 == 1
        specs.append(
            _Spec(
                id=40001 + BUSY_INVOICE_COUNT + k,
                person_id=BARBARA_ID,
                location_id=LISBOA_ID if lisboa else LONDON_ID,
                created_days_ago=30 + 330 * k,
                lines=(("Credit: day pass refund", "1", "-30.00" if lisboa else "-25.00"),),
                paid_days_after=0,
                credit_note=True,
                created_at=time(11, 0),
            )
        )
    return specs


class _Builder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.locations = _locations()
        self.people = {p.id: p for p in _people()}

    def build(self) -> DemoData:
        specs = _ada_specs() + _other_specs() + _busy_specs()
        invoices = self._number([self._invoice(spec) for spec in specs])
        by_person: dict[int, list[Invoice]] = {}
        for invoice in invoices:
            by_person.setdefault(invoice.person_id, []).append(invoice)
        order = {
            pid: tuple(
                inv.id for inv in sorted(rows, key=lambda v: (v.created_on, v.id), reverse=True)
            )
            for pid, rows in by_person.items()
        }
        checkouts = {
            info.session_id: GuestCheckout(
                gateway=gateway,
                session_id=info.session_id,
                invoice_id=info.invoice_id,
                email=info.email,
                person_id=next(i.person_id for i in invoices if i.id == info.invoice_id),
            )
            for gateway, info in GUEST_CHECKOUTS.items()
        }
        return DemoData(
            today=self.today,
            locations=self.locations,
            people=self.people,
            invoices={inv.id: inv for inv in invoices},
            invoices_by_person=order,
            checkouts=checkouts,
            _by_email={p.email.lower(): p.id for p in self.people.values()},
            _by_unique_id={inv.unique_id: inv.id for inv in invoices},
        )

    def _invoice(self, spec: _Spec) -> Invoice:
        location = self.locations[spec.location_id]
        person = self.people[spec.person_id]
        created_day = self.today - timedelta(days=spec.created_days_ago)
        created_on = datetime.combine(created_day, spec.created_at)
        due_date = datetime.combine(created_day + timedelta(days=spec.due_in_days), time())
        paid_on = None
        if spec.paid_days_after is not None:
            paid_on = created_on + timedelta(days=spec.paid_days_after, hours=4, minutes=42)
        lines = tuple(self._line(spec, n, raw, location) for n, raw in enumerate(spec.lines))
        return Invoice(
            id=spec.id,
            unique_id=stable_uuid("invoice", spec.id),
            number="",
            location_id=location.id,
            person_id=person.id,
            created_on=created_on,
            due_date=due_date,
            lines=lines,
            paid_on=paid_on,
            draft=spec.draft,
            credit_note=spec.credit_note,
            due_amount_override=money(spec.due_amount) if spec.due_amount else None,
            bill_to_name=person.company_name or person.full_name,
            bill_to_address=person.address,
            bill_to_city=person.city,
            bill_to_post_code=person.postal_code,
            bill_to_country_name=person.country_name,
            bill_to_tax_id=person.tax_id,
            lines_raw=spec.id == LINES_RAW_INVOICE_ID,
        )

    @staticmethod
    def _line(spec: _Spec, n: int, raw: tuple[str, ...], location: Location) -> InvoiceLine:
        description, quantity, unit_price, *rest = raw
        # Memberships link to a contract, rooms to a booking, as Nexudus lines do.
        is_plan = "membership" in description or "office" in description
        is_room = "room" in description.lower()
        return InvoiceLine(
            description=description,
            quantity=Decimal(quantity),
            unit_price=money(unit_price),
            tax_rate=location.tax_rate,
            discount_amount=money(rest[0]) if rest else ZERO,
            contract_unique_id=stable_uuid("contract", spec.person_id) if is_plan else None,
            booking_unique_id=stable_uuid("booking", f"{spec.id}-{n}") if is_room else None,
        )

    def _number(self, invoices: list[Invoice]) -> list[Invoice]:
        # Numbers run per location, kind and year in issue order, like a real ledger.
        counters: dict[tuple[int, bool, int], int] = {}
        numbered: dict[int, Invoice] = {}
        for inv in sorted(invoices, key=lambda v: (v.created_on, v.id)):
            if inv.draft:
                # A draft has not been issued, so it takes no number from the sequence yet.
                numbered[inv.id] = replace(inv, number=f"DRAFT-{inv.id}")
                continue
            year = inv.created_on.year
            key = (inv.location_id, inv.credit_note, year)
            counters[key] = counters.get(key, 0) + 1
            number = f"{self._prefix(inv, year)}-{year}-{counters[key]:05d}"
            numbered[inv.id] = replace(inv, number=number)
        return [numbered[inv.id] for inv in invoices]

    def _prefix(self, invoice: Invoice, year: int) -> str:
        location = self.locations[invoice.location_id]
        if location.id == LISBOA_ID and year < self.today.year - LISBOA_OWN_PREFIXES_YEARS_AGO:
            location = self.locations[LONDON_ID]
        return location.credit_note_prefix if invoice.credit_note else location.invoice_prefix
