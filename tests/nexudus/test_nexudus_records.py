"""Parsing at the boundary: tolerant of absent fields, strict about wrong ones, no secrets shown."""

from __future__ import annotations

import pickle
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexudus.errors import BadResponse
from nexudus.records import (
    Invoice,
    InvoicePage,
    Me,
    MediaToken,
    Registration,
    Tokens,
    loads,
)

# --- secrets stay out of reprs --------------------------------------------------------------------


def test_it_masks_tokens_in_every_repr_and_str():
    tokens = Tokens("access-SECRET-1", "refresh-SECRET-2", 86400, "bearer")
    shown = [repr(tokens), str(tokens), repr([tokens]), f"{tokens!r}"]
    shown += [repr(MediaToken("eyJ.media.SECRET")), str(Registration("eyJ.reg.SECRET"))]

    for text in shown:
        assert "SECRET" not in text
    assert repr(tokens) == (
        "Tokens(access_token='***', refresh_token='***', expires_in=86400, token_type='bearer')"
    )


def test_it_keeps_the_token_values_usable_and_the_records_frozen():
    tokens = Tokens("a", "r", 60, "bearer")

    assert tokens.access_token == "a"
    with pytest.raises(AttributeError):
        tokens.access_token = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(tokens)) == tokens  # noqa: S301 (our own bytes)


# --- values ---------------------------------------------------------------------------------------


def test_it_decodes_every_fraction_as_decimal_never_float():
    data = loads(b'{"TotalAmount": 0.1, "Big": 12345678901234567890.01, "Int": 3}')

    assert data["TotalAmount"] == Decimal("0.1")
    assert data["Big"] == Decimal("12345678901234567890.01")
    assert data["Int"] == 3


@pytest.mark.parametrize("body", [b'{"a": NaN}', b'{"a": Infinity}', b"[" * 100_000, b"\xff"])
def test_it_refuses_json_that_is_not_plain_json(body):
    with pytest.raises(BadResponse):
        loads(body)


@pytest.mark.parametrize(
    ("sent", "wall_clock"),
    [
        ("2025-09-01T09:30:00Z", datetime(2025, 9, 1, 9, 30)),
        ("2025-09-01T09:30:00.1234567Z", datetime(2025, 9, 1, 9, 30, 0, 123456)),
        ("2025-09-01T09:30:00", datetime(2025, 9, 1, 9, 30)),
        ("2025-09-01T09:30:00+02:00", datetime(2025, 9, 1, 9, 30)),
    ],
)
def test_it_keeps_the_locations_wall_clock_time_even_when_it_says_z(sent, wall_clock):
    invoice = Invoice.from_json({"Id": 1, "CreatedOn": sent, "PaidOn": sent})

    assert invoice.created_on == wall_clock
    assert invoice.created_on.tzinfo is None
    assert invoice.paid_on == wall_clock


@pytest.mark.parametrize("sent", ["2025-10-01", "2025-10-01T00:00:00Z", "2025-10-01T23:59:59"])
def test_it_reads_due_dates_as_dates(sent):
    assert Invoice.from_json({"Id": 1, "DueDate": sent}).due_date == date(2025, 10, 1)


def test_it_treats_missing_null_and_empty_optional_fields_as_none():
    invoice = Invoice.from_json(
        {"Id": "42", "InvoiceNumber": None, "PaidOn": "", "TotalAmount": "", "Currency": None}
    )

    assert invoice == Invoice(id=42)
    assert invoice.lines == ()


def test_it_reads_lines_under_either_name():
    line = {"Description": "Room", "UnitPrice": "10.50", "SubTotal": 10.5, "Quantity": "2"}

    from_lines = Invoice.from_json({"Id": 1, "Lines": [line]})
    from_raw = Invoice.from_json({"Id": 1, "LinesRaw": [line]})

    assert from_lines.lines == from_raw.lines
    assert from_lines.lines[0].unit_price == Decimal("10.50")
    assert from_lines.lines[0].quantity == Decimal(2)
    assert from_lines.lines[0].tax_rate is None


def test_it_reads_a_currency_given_as_a_bare_code_and_drops_an_empty_one():
    assert Invoice.from_json({"Id": 1, "Currency": "EUR"}).currency_code == "EUR"
    assert Invoice.from_json({"Id": 1, "Currency": {"Code": "GBP"}}).currency_code == "GBP"
    empty = {"Code": None, "Name": "", "Format": None}
    assert Invoice.from_json({"Id": 1, "Currency": empty}).currency_code is None


@pytest.mark.parametrize(
    "invoice",
    [
        {},
        {"Id": None},
        {"Id": True},
        {"Id": "12a"},
        {"Id": 1.5},
        {"Id": "9" * 5000},
        {"Id": Decimal("1E+999999999")},
        {"Id": 1, "TotalAmount": Decimal("1E+999999999")},
        {"Id": 1, "TotalAmount": "1e-999999999"},
        {"Id": 1, "TotalAmount": "1,234.00"},
        {"Id": 1, "TotalAmount": True},
        {"Id": 1, "TotalAmount": [1]},
        {"Id": 1, "Paid": 2},
        {"Id": 1, "DueDate": 20251001},
        {"Id": 1, "Currency": 7},
        {"Id": 1, "Lines": [None]},
        {"Id": 1, "InvoiceNumber": {"a": 1}},
    ],
)
def test_it_refuses_wrong_kinds_of_values(invoice):
    with pytest.raises(BadResponse):
        Invoice.from_json(invoice)


def test_it_never_quotes_the_offending_value():
    with pytest.raises(BadResponse) as caught:
        Invoice.from_json({"Id": 1, "TotalAmount": "<script>alert(1)</script>"})

    assert str(caught.value) == "field TotalAmount has the wrong type"
    assert "script" not in repr(caught.value.__cause__)


def test_it_reads_the_member_without_optional_parts():
    me = Me.from_json({"User": {"Id": 9}})

    assert me == Me(None, None, ())


def test_it_needs_a_user_id():
    with pytest.raises(BadResponse):
        Me.from_json({"User": {"FullName": "Nobody"}})
    with pytest.raises(BadResponse):
        Me.from_json({"Profiles": []})


# --- pages ----------------------------------------------------------------------------------------


def test_it_reads_the_page_envelope():
    page = InvoicePage.from_json(
        {
            "Records": [{"Id": 1}],
            "CurrentPage": 2,
            "PageSize": 1,
            "TotalItems": 3,
            "TotalPages": 3,
            "HasNextPage": True,
            "HasPreviousPage": True,
        },
        page=2,
        size=1,
    )

    assert (page.page, page.size, page.total_items, page.total_pages) == (2, 1, 3, 3)
    assert (page.has_next, page.has_previous) == (True, True)


def test_it_derives_paging_from_totals_when_the_flags_are_missing():
    page = InvoicePage.from_json({"Records": [{"Id": 1}], "TotalItems": 60}, page=2, size=25)

    assert (page.total_pages, page.has_next, page.has_previous) == (3, True, True)


def test_it_assumes_no_next_page_when_nothing_says_so():
    page = InvoicePage.from_json({"Records": [{"Id": n} for n in range(25)]}, page=1, size=25)

    assert page.has_next is False
    assert page.has_previous is False
    assert (page.total_items, page.total_pages) == (25, 1)


def test_it_takes_a_bare_list_as_all_the_records():
    page = InvoicePage.from_json([{"Id": 1}, {"Id": 2}], page=1, size=25)

    assert [invoice.id for invoice in page.invoices] == [1, 2]
    assert (page.total_items, page.has_next) == (2, False)


def test_it_uses_the_alternative_envelope_names():
    page = InvoicePage.from_json(
        {"Records": [], "PageNumber": 4, "CurrentPageSize": 10}, page=1, size=25
    )

    assert (page.page, page.size, page.has_previous) == (4, 10, True)


# --- fuzzing: anything JSON can say ends in a record or a BadResponse -----------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
INVOICE_KEYS = [
    "Id",
    "UniqueId",
    "InvoiceNumber",
    "CreatedOn",
    "DueDate",
    "Paid",
    "PaidOn",
    "Draft",
    "CreditNote",
    "TotalAmount",
    "TaxAmount",
    "DueAmount",
    "TotalFormated",
    "Currency",
    "BusinessWebAddress",
    "Lines",
]
invoice_like = st.dictionaries(st.sampled_from(INVOICE_KEYS), json_values, max_size=8)
page_like = st.dictionaries(
    st.sampled_from(["Records", "CurrentPage", "PageSize", "TotalItems", "HasNextPage"]),
    json_values | st.lists(invoice_like, max_size=3),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(page_like | json_values)
def test_it_turns_any_json_into_a_page_or_a_bad_response(data):
    try:
        page = InvoicePage.from_json(data, page=1, size=25)
    except BadResponse:
        return
    for invoice in page.invoices:
        assert isinstance(invoice.id, int)
        for amount in (invoice.total_amount, invoice.due_amount):
            assert amount is None or (isinstance(amount, Decimal) and amount.is_finite())
        assert invoice.created_on is None or invoice.created_on.tzinfo is None


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_it_turns_any_json_into_tokens_or_a_bad_response(data):
    try:
        tokens = Tokens.from_json(data)
    except BadResponse:
        return
    assert isinstance(tokens.access_token, str)
    assert isinstance(tokens.expires_in, int)
