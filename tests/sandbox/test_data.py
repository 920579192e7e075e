"""The seeded demo data: deterministic, relative to the seeding day, isolated per app."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sandbox.app import SandboxApp
from sandbox.data import (
    ADA_ID,
    BARBARA_ID,
    EDSGER_ID,
    GUEST_CHECKOUTS,
    LISBOA_ID,
    LONDON_ID,
    demo_data,
)

DAY = date(2026, 10, 15)


def test_it_seeds_the_same_data_for_the_same_day() -> None:
    first, second = demo_data(DAY), demo_data(DAY)
    assert first.invoices == second.invoices
    assert first.people == second.people
    assert [i.number for i in first.invoices_of(ADA_ID)] == [
        i.number for i in second.invoices_of(ADA_ID)
    ]


def test_it_dates_invoices_relative_to_the_seeding_day() -> None:
    earlier, later = demo_data(DAY), demo_data(date(2027, 3, 1))
    shift = date(2027, 3, 1) - DAY
    for before, after in zip(earlier.invoices_of(ADA_ID), later.invoices_of(ADA_ID), strict=True):
        assert after.created_on - before.created_on == shift
        assert after.is_overdue(later.today) == before.is_overdue(earlier.today)


def test_it_gives_ada_every_kind_of_invoice() -> None:
    data = demo_data(DAY)
    invoices = data.invoices_of(ADA_ID)
    assert 12 <= len(invoices) <= 20
    assert {i.location_id for i in invoices} == {LONDON_ID, LISBOA_ID}
    unpaid = [i for i in invoices if not i.paid and not i.draft and not i.credit_note]
    assert sum(i.is_overdue(DAY) for i in unpaid) >= 2
    assert sum(not i.is_overdue(DAY) for i in unpaid) >= 2
    assert sum(i.paid and not i.credit_note for i in invoices) >= 3
    assert all(i.paid_on for i in invoices if i.paid)
    credit_notes = [i for i in invoices if i.credit_note]
    assert len(credit_notes) == 2
    assert {data.locations[i.location_id].currency_code for i in credit_notes} == {"GBP", "EUR"}
    assert all(i.total_amount < 0 for i in credit_notes)
    assert sum(i.draft for i in invoices) == 1
    assert any(Decimal(0) < i.due_amount < i.total_amount for i in invoices)
    assert any(len(i.lines) > 1 for i in invoices)
    rates = {(i.location_id, line.tax_rate) for i in invoices for line in i.lines}
    assert rates == {(LONDON_ID, Decimal(20)), (LISBOA_ID, Decimal(23))}


def test_it_adds_up_lines_tax_and_totals() -> None:
    invoice = demo_data(DAY).invoices[30012]
    assert invoice.sub_total == Decimal("1003.66")
    assert invoice.tax_amount == Decimal("230.84")
    assert invoice.total_amount == Decimal("1234.50")
    discounted = demo_data(DAY).invoices[30009]
    assert discounted.lines[0].sub_total == Decimal("315.00")


def test_it_gives_the_busy_member_two_thousand_invoices() -> None:
    invoices = demo_data(DAY).invoices_of(BARBARA_ID)
    assert len(invoices) == 2000
    assert sum(not i.paid for i in invoices) == 15
    assert len({i.number for i in invoices}) == 2000


def test_it_gives_the_empty_member_nothing() -> None:
    assert demo_data(DAY).invoices_of(EDSGER_ID) == []


def test_it_numbers_invoices_uniquely() -> None:
    data = demo_data(DAY)
    numbers = [i.number for i in data.invoices.values()]
    assert len(numbers) == len(set(numbers))


def test_it_links_each_guest_checkout_to_a_paid_guest_invoice() -> None:
    data = demo_data(DAY)
    for gateway, (invoice_id, session_id, email) in GUEST_CHECKOUTS.items():
        checkout = data.checkouts[session_id]
        assert checkout.gateway == gateway
        invoice = data.invoices[invoice_id]
        assert invoice.paid
        owner = data.people[invoice.person_id]
        assert owner.guest and not owner.registered and owner.password is None
        assert owner.email == email


def test_it_gives_each_app_its_own_copy_of_the_people() -> None:
    first, second = SandboxApp(today=DAY), SandboxApp(today=DAY)
    first.data.people[ADA_ID].full_name = "Changed"
    assert second.data.people[ADA_ID].full_name == "Ada Lovelace"
    assert demo_data(DAY).people[ADA_ID].full_name == "Ada Lovelace"
