"""Exports as units: CSV cells and quoting, names inside a zip, plain amounts."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from invoices.exports import csv_text, neutralised, pdf_names, safe_stem
from nexudus.records import Invoice
from web.formatting import format_amount_plain

TODAY = date(2026, 12, 1)


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize(
    ("number", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("HW-2025-00012", "HW-2025-00012"),
        ("a=b", "a=b"),
    ],
)
def test_text_cells_that_a_spreadsheet_would_run_are_neutralised(number, cell) -> None:
    assert neutralised(number) == cell
    text = csv_text([Invoice(id=1, number=number, currency_code="GBP")], TODAY)
    assert rows_of(text)[1][0] == cell


def test_rows_are_rfc_4180_with_crlf_and_doubled_quotes() -> None:
    hostile = Invoice(
        id=7,
        number='A "quoted", number\nwith a line',
        created_on=datetime(2025, 3, 4, 23, 30),
        due_date=date(2025, 3, 18),
        total_amount=Decimal("1234.5"),
        due_amount=Decimal("1234.5"),
        paid=False,
        currency_code="EUR",
        business_name="Harbour Works Lisboa, Rua da Conceição",
    )
    text = csv_text([hostile], TODAY)
    body = text.removeprefix("\ufeff")
    assert body.startswith(
        "Number,Issued,Due,Paid on,Status,Currency,Total,Amount due,Location\r\n"
    )
    assert '"A ""quoted"", number\nwith a line"' in body
    assert body.endswith('"Harbour Works Lisboa, Rua da Conceição"\r\n')
    row = rows_of(text)[1]
    # The location's own calendar day (23:30 stays 4 March), amounts as plain decimals.
    assert row[1:9] == [
        "2025-03-04",
        "2025-03-18",
        "",
        "Overdue",
        "EUR",
        "1234.50",
        "1234.50",
        "Harbour Works Lisboa, Rua da Conceição",
    ]


def test_credit_notes_are_negative_numbers_not_neutralised_text() -> None:
    note = Invoice(
        id=8,
        number="HWCN-2025-00001",
        credit_note=True,
        paid=False,
        total_amount=Decimal("45.00"),
        due_amount=Decimal("-55.35"),
        currency_code="EUR",
    )
    paid = Invoice(
        id=9,
        number="HW-1",
        paid=True,
        paid_on=datetime(2025, 1, 2, 13, 0),
        total_amount=Decimal("10"),
        due_amount=Decimal("0"),
        currency_code="JPY",
    )
    rows = rows_of(csv_text([note, paid], TODAY))
    assert rows[1][4:8] == ["Credit note", "EUR", "-45.00", "-55.35"]
    assert rows[2][3:8] == ["2025-01-02", "Paid", "JPY", "10", "0"]


def test_plain_amounts_follow_the_currency_and_round_like_the_screen() -> None:
    assert format_amount_plain(Decimal("-25"), "GBP") == "-25.00"
    assert format_amount_plain(Decimal("0.125"), "GBP") == "0.12"
    assert format_amount_plain(Decimal("-0.001"), "GBP") == "0.00"
    assert format_amount_plain(Decimal("1234.5"), "JPY") == "1234"
    assert format_amount_plain(Decimal("12.3456"), "BHD") == "12.346"


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("HW-2025-00012", "HW-2025-00012.pdf"),
        ("../x", "_x.pdf"),
        ("../../etc/passwd", "_.._etc_passwd.pdf"),
        ("a/b\\c:d", "a_b_c_d.pdf"),
        ("CON", "_CON.pdf"),
        ("con.txt", "_con.txt.pdf"),
        ("LPT1", "_LPT1.pdf"),
        ("COM¹", "_COM¹.pdf"),
        ("trailing. ", "trailing.pdf"),
        ("...", "invoice-1.pdf"),
        ("", "invoice-1.pdf"),
        ("tab\there\x00nul", "tab_here_nul.pdf"),
        ("bidi\u202eevil", "bidi_evil.pdf"),
        ("x" * 300, "x" * 100 + ".pdf"),
    ],
)
def test_a_pdf_name_is_safe_on_every_system(number: str, name: str) -> None:
    assert pdf_names([Invoice(id=1, number=number)]) == [name]
    assert "/" not in name and "\\" not in name and not name.startswith(".")


def test_duplicate_names_are_told_apart_whatever_the_case() -> None:
    invoices = [
        Invoice(id=1, number="HW-2021-00001"),
        Invoice(id=2, number="HW-2021-00001"),
        Invoice(id=3, number="hw-2021-00001"),
        Invoice(id=4, number="HW-2021-00001 (2)"),
    ]
    assert pdf_names(invoices) == [
        "HW-2021-00001.pdf",
        "HW-2021-00001 (2).pdf",
        "hw-2021-00001 (3).pdf",
        "HW-2021-00001 (2) (2).pdf",
    ]


def test_a_stem_never_names_a_device_or_climbs() -> None:
    for hostile in ("..", "./..", "CON.", " NUL ", "aux.pdf"):
        stem = safe_stem(hostile)
        assert stem.split(".")[0].strip().upper() not in {"CON", "NUL", "AUX"}
        assert not stem.startswith(".")
