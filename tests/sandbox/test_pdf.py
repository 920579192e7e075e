"""render_invoice_pdf / render_statement_pdf with plain data, as the staff preview will call
them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sandbox.data import ADA_ID, BARBARA_ID, Invoice, InvoiceLine, Location, Person, demo_data
from sandbox.pdf import latin1, render_invoice_pdf, render_statement_pdf, status_label

from .conftest import pdf_text

DAY = date(2026, 10, 15)


def sample() -> tuple[Invoice, Location, Person]:
    data = demo_data(DAY)
    location = data.locations[next(iter(data.locations))]
    person = Person(
        id=1,
        user_id=2,
        email="zoe@example.com",
        full_name="Zoë Ünal",
        home_location_id=location.id,
        password=None,
    )
    invoice = Invoice(
        id=1,
        unique_id="x",
        number="PREVIEW-1",
        location_id=location.id,
        person_id=person.id,
        created_on=datetime(2026, 1, 2, 9, 0),
        due_date=datetime(2026, 1, 16),
        lines=(
            InvoiceLine(
                "Café \u2013 \u201cspecial\u201d €5 \u2615",
                Decimal(2),
                Decimal("5.00"),
                Decimal(20),
            ),
            InvoiceLine("A very long description " * 8, Decimal(1), Decimal("1.00"), Decimal(20)),
        ),
        bill_to_name="Zoë's Company",
    )
    return invoice, location, person


def test_it_renders_plain_sample_data() -> None:
    invoice, location, person = sample()
    pdf = render_invoice_pdf(invoice, location, person)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Harbour Works London" in text
    assert "Invoice PREVIEW-1" in text
    assert "Zoë's Company" in text
    assert "Attn: Zoë Ünal" in text
    assert 'Café - "special" EUR 5 ?' in text
    assert "UNPAID" in text
    assert "£10.00" in text  # 2 x £5.00, before tax
    assert "£13.20" in text  # both lines with 20 % tax
    assert "Amount due" in text


def test_it_prints_every_part_of_an_invoice() -> None:
    data = demo_data(DAY)
    invoice = data.invoices[30006]
    text = pdf_text(
        render_invoice_pdf(invoice, data.locations[invoice.location_id], data.people[ADA_ID])
    )
    for expected in (
        "Harbour Works London",
        "12 Wharf Road",
        "Bill to",
        "Analytical Engines Ltd",
        f"Invoice {invoice.number}",
        "Issued: 02 Jun 2026",
        "Due: 16 Jun 2026",
        "Paid on: 07 Jun 2026",
        'Event ticket: <script>alert(1)</script> & "quotes"',
        "Qty",
        "Unit price",
        "20%",
        "Tax total",
        "£74.00",
        "£444.00",
        "Amount due",
        "£0.00",
        "PAID",
    ):
        assert expected in text, expected


def test_it_marks_drafts_credit_notes_and_euros() -> None:
    data = demo_data(DAY)

    def text_of(invoice_id: int) -> str:
        invoice = data.invoices[invoice_id]
        location = data.locations[invoice.location_id]
        return pdf_text(render_invoice_pdf(invoice, location, data.people[invoice.person_id]))

    assert "DRAFT" in text_of(30004)
    credit = text_of(30015)
    assert "CREDIT NOTE" in credit
    assert "-55,35 EUR" in credit
    assert "1 234,50 EUR" in text_of(30012)


def test_it_labels_status() -> None:
    data = demo_data(DAY)
    assert status_label(data.invoices[30004]) == "DRAFT"
    assert status_label(data.invoices[30010]) == "CREDIT NOTE"
    assert status_label(data.invoices[30005]) == "PAID"
    assert status_label(data.invoices[30001]) == "UNPAID"


def test_it_renders_the_same_bytes_for_the_same_invoice() -> None:
    invoice, location, person = sample()
    assert render_invoice_pdf(invoice, location, person) == render_invoice_pdf(
        invoice, location, person
    )


def test_it_folds_text_into_latin1() -> None:
    assert latin1("Zoë") == "Zoë"
    assert latin1("€1,234.50") == "EUR 1,234.50"
    assert latin1("1\u202f234,50\xa0€") == "1 234,50\xa0EUR"
    assert (
        latin1("a \u2014 b \u2013 c \u201cq\u201d \u2018s\u2019 \u2026")
        == "a - b - c \"q\" 's' ..."
    )
    assert latin1("日本") == "??"


def test_it_renders_a_statement_with_totals_per_currency() -> None:
    data = demo_data(DAY)
    pdf = render_statement_pdf(data.people[ADA_ID], data.invoices_of(ADA_ID), data.locations, DAY)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Statement of account" in text
    assert "GBP: invoiced" in text
    assert "EUR: invoiced" in text
    assert "DRAFT" not in text  # drafts are not issued yet
    assert data.invoices[30012].number in text


def test_it_renders_a_long_statement_over_many_pages() -> None:
    data = demo_data(DAY)
    pdf = render_statement_pdf(
        data.people[BARBARA_ID], data.invoices_of(BARBARA_ID), data.locations, DAY
    )
    assert pdf.count(b"/Type /Page\n") > 20
