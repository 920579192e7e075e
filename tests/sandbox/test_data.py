"""The seeded demo data: deterministic, relative to the seeding day, isolated per app."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from sandbox.app import SandboxApp
from sandbox.data import (
    ADA_ID,
    BARBARA_ID,
    BUSY_CREDIT_NOTE_COUNT,
    EDSGER_ID,
    GUEST_CHECKOUTS,
    LINES_RAW_INVOICE_ID,
    LISBOA_ID,
    LISBOA_OWN_PREFIXES_YEARS_AGO,
    LONDON_ID,
    SHOWCASE_INVOICES,
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
    everything = demo_data(DAY).invoices_of(BARBARA_ID)
    invoices = [i for i in everything if not i.credit_note]
    assert len(invoices) == 2000
    assert sum(not i.paid for i in invoices) == 15
    assert sum(not i.paid for i in everything) == 15
    # Unique within each location; two locations may share a number (see below).
    assert len({(i.location_id, i.number) for i in everything}) == len(everything)
    assert len({i.number for i in invoices}) > 1900


def test_it_gives_the_empty_member_nothing() -> None:
    assert demo_data(DAY).invoices_of(EDSGER_ID) == []


def test_it_numbers_invoices_uniquely() -> None:
    data = demo_data(DAY)
    numbered = [(i.location_id, i.number) for i in data.invoices.values()]
    assert len(numbered) == len(set(numbered))
    # Across locations a number repeats only in the years Lisboa used London's prefixes.
    shared_before = DAY.year - LISBOA_OWN_PREFIXES_YEARS_AGO
    by_number = Counter(i.number for i in data.invoices.values())
    repeated = [i for i in data.invoices.values() if by_number[i.number] > 1]
    assert repeated
    assert all(i.created_on.year < shared_before for i in repeated)
    recent = [i.number for i in data.invoices.values() if i.created_on.year >= shared_before]
    assert len(recent) == len(set(recent))


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


def test_it_spreads_the_busy_members_invoices_over_more_than_five_years() -> None:
    invoices = demo_data(DAY).invoices_of(BARBARA_ID)
    oldest = min(i.created_on for i in invoices).date()
    assert (DAY - oldest).days > 5 * 365
    days = Counter(i.created_on.date() for i in invoices if not i.credit_note)
    assert set(days.values()) == {1}  # one a day


def test_it_gives_the_busy_member_euros_and_a_few_credit_notes() -> None:
    data = demo_data(DAY)
    invoices = data.invoices_of(BARBARA_ID)
    unpaid = [i for i in invoices if not i.paid]
    assert {data.locations[i.location_id].currency_code for i in unpaid} == {"GBP", "EUR"}
    credit_notes = [i for i in invoices if i.credit_note]
    assert len(credit_notes) == BUSY_CREDIT_NOTE_COUNT
    assert {i.location_id for i in credit_notes} == {LONDON_ID, LISBOA_ID}
    assert all(i.total_amount < 0 and i.paid for i in credit_notes)


def test_it_gives_the_first_invoices_of_a_year_in_both_locations_the_same_number() -> None:
    year = DAY.year - LISBOA_OWN_PREFIXES_YEARS_AGO - 1
    invoices = demo_data(DAY).invoices_of(BARBARA_ID)

    def first_of(location_id: int):
        issued = [
            i
            for i in invoices
            if i.location_id == location_id and i.created_on.year == year and not i.credit_note
        ]
        return min(issued, key=lambda i: (i.created_on, i.id))

    london, lisboa = first_of(LONDON_ID), first_of(LISBOA_ID)
    assert london.number == lisboa.number == f"HW-{year}-00001"
    assert london.id != lisboa.id
    # Later, Lisboa numbers with its own prefix.
    assert any(i.number.startswith(f"HWL-{year + 1}-") for i in invoices)


def test_it_seeds_a_multi_line_invoice_with_tax_and_discounts() -> None:
    invoice = demo_data(DAY).invoices[SHOWCASE_INVOICES["multi_line_tax_and_discounts"]]
    assert len(invoice.lines) >= 6
    assert sum(line.discount_amount > 0 for line in invoice.lines) >= 2
    assert all(line.tax_amount > 0 for line in invoice.lines)
    assert invoice.total_amount == invoice.sub_total + invoice.tax_amount
    assert invoice.paid


def test_it_seeds_every_case_a_detail_page_shows() -> None:
    data = demo_data(DAY)
    case = {name: data.invoices[invoice_id] for name, invoice_id in SHOWCASE_INVOICES.items()}
    assert not case["typical"].paid and case["typical"].person_id == ADA_ID
    partly = case["partly_paid"]
    assert Decimal(0) < partly.paid_amount < partly.total_amount
    assert case["draft"].draft
    credit = case["credit_note_negative_lines"]
    assert credit.credit_note and all(line.sub_total < 0 for line in credit.lines)
    assert "<script>" in case["hostile_line"].lines[-1].description
    assert data.locations[case["euro"].location_id].currency_code == "EUR"
    lines_raw = [i.id for i in data.invoices.values() if i.lines_raw]
    assert lines_raw == [LINES_RAW_INVOICE_ID]
    assert data.invoices[LINES_RAW_INVOICE_ID].location_id == LISBOA_ID
    assert len(data.invoices[LINES_RAW_INVOICE_ID].lines) > 1


def test_it_gives_a_bill_to_company_a_hostile_name() -> None:
    data = demo_data(DAY)
    grace = data.person_by_email("grace@example.com")
    assert "<script>" in grace.company_name and "&" in grace.company_name
    assert all(i.bill_to_name == grace.company_name for i in data.invoices_of(grace.id))
