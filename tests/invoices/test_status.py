"""An invoice's status in words, what is owed per currency, and which invoices are most urgent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from invoices.status import (
    CurrencyTotal,
    amount_due,
    balance_by_currency,
    credit_by_currency,
    days_overdue,
    invoice_status,
    is_open_credit,
    is_to_pay,
    is_upcoming,
    most_urgent,
    outstanding_by_currency,
)
from nexudus.records import Invoice

TODAY = date(2026, 3, 10)
GBP = "GBP"
EUR = "EUR"


def _invoice(**fields) -> Invoice:
    """An unpaid, issued GBP invoice due in a week, unless `fields` say otherwise."""
    values = {
        "id": 1,
        "number": "INV-1",
        "paid": False,
        "draft": False,
        "credit_note": False,
        "total_amount": Decimal("100.00"),
        "currency_code": GBP,
        "due_date": TODAY + timedelta(days=7),
        "created_on": datetime(2026, 3, 1, 9, 0),
    }
    values.update(fields)
    return Invoice(**values)


# --- Status in words ----------------------------------------------------------------------------


def test_it_says_credit_note_for_a_credit_note() -> None:
    state = invoice_status(_invoice(credit_note=True), TODAY, "en-GB")
    assert (state.kind, state.label) == ("credit", "Credit note")


def test_it_says_draft_for_a_draft() -> None:
    state = invoice_status(_invoice(draft=True), TODAY, "en-GB")
    assert (state.kind, state.label) == ("draft", "Draft")


def test_it_says_paid_on_the_day_written_the_british_way_for_an_en_gb_location() -> None:
    invoice = _invoice(paid=True, paid_on=datetime(2026, 10, 1, 18, 30))
    state = invoice_status(invoice, TODAY, "en-GB")
    assert (state.kind, state.label) == ("paid", "Paid on 1 Oct 2026")


def test_it_says_paid_on_the_day_in_portuguese_for_a_portuguese_reader() -> None:
    invoice = _invoice(paid=True, paid_on=datetime(2026, 10, 1, 18, 30))
    with translation.override("pt"):
        state = invoice_status(invoice, TODAY, "pt-PT")
    assert (state.kind, state.label) == ("paid", "Paga em 1/10/2026")


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        ("en", "Overdue by 1 day", "Overdue by 3 days"),
        ("fr", "En retard de 1 jour", "En retard de 3 jours"),
        ("de", "1 Tag überfällig", "3 Tage überfällig"),
        ("it", "Scaduta da 1 giorno", "Scaduta da 3 giorni"),
        ("pt", "Em atraso há 1 dia", "Em atraso há 3 dias"),
        ("es", "Vencida hace 1 día", "Vencida hace 3 días"),
    ],
)
def test_overdue_days_take_each_languages_plural(language, one, three) -> None:
    with translation.override(language):
        labels = [
            invoice_status(_invoice(due_date=TODAY - timedelta(days=n)), TODAY, "en-GB").label
            for n in (1, 3)
        ]
    assert labels == [one, three]


def test_it_says_just_paid_when_the_payment_day_is_unknown() -> None:
    state = invoice_status(_invoice(paid=True, paid_on=None), TODAY, "en-GB")
    assert (state.kind, state.label) == ("paid", "Paid")


def test_it_says_overdue_by_one_day_the_day_after_the_due_date() -> None:
    state = invoice_status(_invoice(due_date=TODAY - timedelta(days=1)), TODAY, "en-GB")
    assert (state.kind, state.label) == ("overdue", "Overdue by 1 day")


def test_it_says_overdue_by_two_days_in_the_plural_two_days_after_the_due_date() -> None:
    state = invoice_status(_invoice(due_date=TODAY - timedelta(days=2)), TODAY, "en-GB")
    assert (state.kind, state.label) == ("overdue", "Overdue by 2 days")


def test_it_says_due_today_and_not_overdue_on_the_due_date() -> None:
    invoice = _invoice(due_date=TODAY)
    state = invoice_status(invoice, TODAY, "en-GB")
    assert (state.kind, state.label) == ("due", "Due today")
    assert days_overdue(invoice, TODAY) == 0


def test_it_says_unpaid_before_the_due_date() -> None:
    # Issue 11: before the due date the badge says how soon it falls due.
    invoice = _invoice(due_date=TODAY + timedelta(days=1))
    state = invoice_status(invoice, TODAY, "en-GB")
    assert (state.kind, state.label) == ("unpaid", "Due in 1 day")
    assert days_overdue(invoice, TODAY) == 0
    later = invoice_status(_invoice(due_date=TODAY + timedelta(days=9)), TODAY, "en-GB")
    assert later.label == "Due in 9 days"


def test_it_says_partially_paid_beside_the_urgency() -> None:
    part = _invoice(total_amount=Decimal("100.00"), due_amount=Decimal("40.00"))
    assert invoice_status(part, TODAY, "en-GB").note == "Partially paid"
    overdue = _invoice(
        total_amount=Decimal("100.00"),
        due_amount=Decimal("40.00"),
        due_date=TODAY - timedelta(days=3),
    )
    state = invoice_status(overdue, TODAY, "en-GB")
    assert (state.label, state.note) == ("Overdue by 3 days", "Partially paid")
    assert invoice_status(_invoice(due_amount=Decimal("100.00")), TODAY, "en-GB").note == ""


def test_it_says_unpaid_and_never_overdue_without_a_due_date() -> None:
    invoice = _invoice(due_date=None)
    assert invoice_status(invoice, TODAY, "en-GB").label == "Unpaid"
    assert days_overdue(invoice, TODAY) == 0


def test_it_counts_the_days_overdue_from_the_due_date() -> None:
    assert days_overdue(_invoice(due_date=TODAY - timedelta(days=40)), TODAY) == 40


def test_it_never_calls_a_paid_invoice_overdue() -> None:
    invoice = _invoice(paid=True, paid_on=None, due_date=TODAY - timedelta(days=30))
    assert days_overdue(invoice, TODAY) == 0
    assert invoice_status(invoice, TODAY, "en-GB").kind == "paid"


@pytest.mark.parametrize(
    ("fields", "kind"),
    [({"draft": True}, "draft"), ({"credit_note": True}, "credit")],
    ids=["draft", "credit note"],
)
def test_it_never_calls_a_draft_or_a_credit_note_overdue(fields, kind) -> None:
    invoice = _invoice(due_date=TODAY - timedelta(days=30), **fields)
    assert days_overdue(invoice, TODAY) == 0
    assert invoice_status(invoice, TODAY, "en-GB").kind == kind


# --- What is owed -------------------------------------------------------------------------------


def test_it_counts_only_issued_unpaid_invoices_as_owed() -> None:
    assert is_to_pay(_invoice())
    assert not is_to_pay(_invoice(paid=True))
    assert not is_to_pay(_invoice(draft=True))
    assert not is_to_pay(_invoice(credit_note=True))
    assert not is_to_pay(_invoice(due_amount=Decimal("0.00")))  # nothing left to pay
    assert is_upcoming(_invoice(draft=True)) and not is_upcoming(_invoice())


def test_it_counts_an_unpaid_credit_note_as_credit_whatever_its_sign() -> None:
    negative = _invoice(id=1, credit_note=True, due_amount=Decimal("-55.35"), currency_code=EUR)
    positive = _invoice(id=2, credit_note=True, due_amount=Decimal("30.00"), currency_code=EUR)
    used = _invoice(id=3, credit_note=True, paid=True, due_amount=Decimal("0.00"))
    assert is_open_credit(negative) and is_open_credit(positive) and not is_open_credit(used)
    assert credit_by_currency([negative, positive, used]) == [
        CurrencyTotal("EUR", Decimal("85.35"))
    ]


def test_it_nets_credit_against_what_is_owed_per_currency() -> None:
    owed = [CurrencyTotal("EUR", Decimal("1474.35")), CurrencyTotal("GBP", Decimal("675.00"))]
    credit = [CurrencyTotal("EUR", Decimal("55.35")), CurrencyTotal("USD", Decimal("5.00"))]
    assert balance_by_currency(owed, credit) == [
        CurrencyTotal("EUR", Decimal("1419.00")),
        CurrencyTotal("GBP", Decimal("675.00")),
        CurrencyTotal("USD", Decimal("-5.00")),
    ]


def test_it_takes_the_amount_due_from_due_amount_and_else_from_the_total() -> None:
    assert amount_due(_invoice(due_amount=Decimal("40.00"))) == Decimal("40.00")
    assert amount_due(_invoice(due_amount=None)) == Decimal("100.00")


def test_it_keeps_one_exact_total_per_currency_and_never_adds_currencies_up() -> None:
    invoices = [
        _invoice(id=1, total_amount=Decimal("0.10"), currency_code=GBP),
        _invoice(id=2, total_amount=Decimal("10.25"), currency_code=EUR),
        _invoice(id=3, total_amount=Decimal("0.20"), currency_code=GBP),
        _invoice(id=4, total_amount=Decimal("40.00"), currency_code=EUR),
    ]
    totals = outstanding_by_currency(invoices)
    assert totals == [
        CurrencyTotal("EUR", Decimal("50.25")),
        CurrencyTotal("GBP", Decimal("0.30")),
    ]
    assert all(isinstance(total.amount, Decimal) for total in totals)
    # Exact Decimal arithmetic: 0.10 + 0.20 is 0.30, not 0.30000000000000004.
    assert str(totals[1].amount) == "0.30"


def test_it_counts_a_part_paid_invoice_by_what_is_still_due() -> None:
    invoice = _invoice(total_amount=Decimal("100.00"), due_amount=Decimal("40.50"))
    assert outstanding_by_currency([invoice]) == [CurrencyTotal("GBP", Decimal("40.50"))]


def test_it_counts_the_whole_total_when_due_amount_is_missing() -> None:
    invoice = _invoice(total_amount=Decimal("99.99"), due_amount=None)
    assert outstanding_by_currency([invoice]) == [CurrencyTotal("GBP", Decimal("99.99"))]


def test_it_leaves_drafts_credit_notes_and_paid_invoices_out_of_what_is_owed() -> None:
    invoices = [
        _invoice(id=1, total_amount=Decimal("12.00")),
        _invoice(id=2, total_amount=Decimal("500.00"), draft=True),
        _invoice(id=3, total_amount=Decimal("700.00"), credit_note=True),
        _invoice(id=4, total_amount=Decimal("900.00"), paid=True),
        _invoice(id=5, total_amount=Decimal("300.00"), currency_code=EUR, paid=True),
    ]
    assert outstanding_by_currency(invoices) == [CurrencyTotal("GBP", Decimal("12.00"))]


def test_it_owes_nothing_for_no_invoices() -> None:
    assert outstanding_by_currency([]) == []


# --- Urgency ------------------------------------------------------------------------------------


def test_it_puts_the_longest_overdue_first_then_the_soonest_due_and_undated_last() -> None:
    invoices = [
        _invoice(id=1, due_date=TODAY + timedelta(days=3)),
        _invoice(id=2, due_date=None),
        _invoice(id=3, due_date=TODAY - timedelta(days=1)),
        _invoice(id=4, due_date=TODAY),
        _invoice(id=5, due_date=TODAY - timedelta(days=20)),
        _invoice(id=6, due_date=TODAY + timedelta(days=30)),
    ]
    urgent = most_urgent(invoices, TODAY, limit=10)
    assert [invoice.id for invoice in urgent] == [5, 3, 4, 1, 6, 2]


def test_it_shows_no_more_urgent_invoices_than_the_limit() -> None:
    invoices = [_invoice(id=n, due_date=TODAY - timedelta(days=n)) for n in range(1, 8)]
    urgent = most_urgent(invoices, TODAY, limit=3)
    assert [invoice.id for invoice in urgent] == [7, 6, 5]


def test_it_leaves_paid_drafts_and_credit_notes_out_of_the_most_urgent() -> None:
    long_ago = TODAY - timedelta(days=365)
    invoices = [
        _invoice(id=1, due_date=long_ago, paid=True),
        _invoice(id=2, due_date=long_ago, draft=True),
        _invoice(id=3, due_date=long_ago, credit_note=True),
        _invoice(id=4, due_date=TODAY + timedelta(days=5)),
    ]
    assert [invoice.id for invoice in most_urgent(invoices, TODAY, limit=3)] == [4]


def test_it_finds_nothing_urgent_in_no_invoices() -> None:
    assert most_urgent([], TODAY, limit=5) == []
