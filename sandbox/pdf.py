"""Real invoice and statement PDFs, rendered with fpdf2.

The functions take plain data objects (`sandbox.data` records) and return bytes; they know
nothing about the running sandbox, so the portal's staff preview can render sample invoices
with them too.

Text uses the core Helvetica font, which only covers latin-1. Rather than embed a font (bigger
files, slower renders, a font file to ship), text is folded to latin-1: "€" becomes "EUR",
typographic dashes and quotes become ASCII, anything else unsupported becomes "?". Names like
"Zoë" are latin-1 already and come through untouched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.fonts import FontFace

from sandbox.data import Invoice, Location, Person, format_money

_FONT = "Helvetica"
_GREY = (110, 110, 110)
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))

_REPLACEMENTS = {
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2212": "-",  # minus sign
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2022": "*",
    "\u202f": " ",  # narrow no-break space (CLDR group separator)
    "\u2009": " ",  # thin space
    "\u2122": "(TM)",
}
# "€12.00" reads better as "EUR 12.00"; "12,00 €" as "12,00 EUR".
_EURO_BEFORE_DIGIT = re.compile("\u20ac(?=[\\d-])")


def latin1(text: str) -> str:
    """Fold text into what the core PDF fonts can draw (see module docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = _EURO_BEFORE_DIGIT.sub("EUR ", text).replace("\u20ac", "EUR")
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text.encode("latin-1", "replace").decode("latin-1")


def status_label(invoice: Invoice) -> str:
    """The stamp printed on the document: DRAFT, CREDIT NOTE, PAID or UNPAID."""
    if invoice.draft:
        return "DRAFT"
    if invoice.credit_note:
        return "CREDIT NOTE"
    return "PAID" if invoice.paid else "UNPAID"


class _Document(FPDF):
    def __init__(self, footer_text: str, title: str, author: str, created: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = latin1(footer_text)
        self.set_title(latin1(title))
        self.set_author(latin1(author))
        self.set_creator("Nexudus sandbox")
        # A fixed creation date makes the same invoice render to the same bytes.
        self.set_creation_date(created)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FONT, size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 5, self._footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def text_line(self, text: str, size: float = 10, style: str = "", height: float = 5) -> None:
        self.set_font(_FONT, style=style, size=size)
        self.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _money(amount: Decimal, location: Location) -> str:
    return latin1(format_money(amount, location.currency_code, location.culture))


def _day(value: datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else "-"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def render_invoice_pdf(invoice: Invoice, location: Location, person: Person) -> bytes:
    """One invoice or credit note as a PDF: issuer, bill-to, lines, totals and a status stamp."""
    kind = "Credit note" if invoice.credit_note else "Invoice"
    doc = _Document(
        footer_text=f"{location.name} - {location.email}",
        title=f"{kind} {invoice.number}",
        author=location.name,
        created=_utc(invoice.created_on),
    )
    doc.add_page()
    _issuer_block(doc, location)
    _stamp(doc, status_label(invoice), paid=invoice.paid and not invoice.credit_note)

    doc.ln(4)
    doc.text_line(f"{kind} {invoice.number}", size=16, style="B", height=8)
    doc.text_line(f"Issued: {_day(invoice.created_on)}")
    doc.text_line(f"Due: {_day(invoice.due_date)}")
    if invoice.paid_on:
        doc.text_line(f"Paid on: {_day(invoice.paid_on)}")

    doc.ln(4)
    doc.text_line("Bill to", style="B")
    for part in _bill_to(invoice, person):
        doc.text_line(part)

    doc.ln(4)
    _lines_table(doc, invoice, location)
    doc.ln(3)
    _totals(doc, invoice, location)
    return bytes(doc.output())


def _issuer_block(doc: _Document, location: Location) -> None:
    doc.text_line(location.name, size=14, style="B", height=7)
    doc.text_line(location.address, size=9, height=4.5)
    doc.text_line(f"{location.postal_code} {location.town_city}", size=9, height=4.5)
    doc.text_line(location.country_name, size=9, height=4.5)
    doc.text_line(location.email, size=9, height=4.5)


def _stamp(doc: _Document, label: str, paid: bool) -> None:
    # Drawn in the top-right corner, away from the flowing text.
    y = doc.get_y()
    doc.set_xy(doc.w - doc.r_margin - 60, doc.t_margin)
    doc.set_font(_FONT, style="B", size=18)
    colour = (30, 130, 60) if paid else (190, 40, 40) if label == "UNPAID" else (90, 90, 160)
    doc.set_text_color(*colour)
    doc.set_draw_color(*colour)
    doc.cell(60, 12, label, border=1, align="C")
    doc.set_text_color(0, 0, 0)
    doc.set_draw_color(0, 0, 0)
    doc.set_xy(doc.l_margin, y)


def _bill_to(invoice: Invoice, person: Person) -> list[str]:
    name = invoice.bill_to_name or person.full_name
    parts = [name]
    if person.full_name and person.full_name != name:
        parts.append(f"Attn: {person.full_name}")
    parts.append(invoice.bill_to_address)
    parts.append(" ".join(p for p in (invoice.bill_to_post_code, invoice.bill_to_city) if p))
    parts.append(invoice.bill_to_country_name)
    if invoice.bill_to_tax_id:
        parts.append(f"Tax ID: {invoice.bill_to_tax_id}")
    return [part for part in parts if part]


def _lines_table(doc: _Document, invoice: Invoice, location: Location) -> None:
    doc.set_font(_FONT, size=9)
    with doc.table(
        col_widths=(70, 14, 26, 16, 26, 28),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=_HEADINGS,
        borders_layout="HORIZONTAL_LINES",
        line_height=5,
    ) as table:
        table.row(["Description", "Qty", "Unit price", "Tax rate", "Tax", "Subtotal"])
        for line in invoice.lines:
            description = line.description
            if line.discount_amount:
                description += f" (discount {_money(line.discount_amount, location)})"
            table.row(
                [
                    latin1(description),
                    _quantity(line.quantity),
                    _money(line.unit_price, location),
                    _percent(line.tax_rate),
                    _money(line.tax_amount, location),
                    _money(line.sub_total, location),
                ]
            )


def _totals(doc: _Document, invoice: Invoice, location: Location) -> None:
    rows = [
        ("Subtotal (excl. tax)", invoice.sub_total, ""),
        ("Tax total", invoice.tax_amount, ""),
        ("Total", invoice.total_amount, "B"),
        ("Amount due", invoice.due_amount, "B"),
    ]
    for label, amount, style in rows:
        doc.set_font(_FONT, style=style, size=10)
        doc.set_x(doc.w - doc.r_margin - 90)
        doc.cell(50, 6, label, align="R")
        doc.cell(40, 6, _money(amount, location), align="R", new_x="LMARGIN", new_y="NEXT")


def render_statement_pdf(
    person: Person,
    invoices: Iterable[Invoice],
    locations: Mapping[int, Location],
    as_of: date | None = None,
) -> bytes:
    """A statement of account: every issued invoice and credit note, newest first, with
    totals per currency. Drafts are left out because they have not been issued."""
    rows = sorted(
        (inv for inv in invoices if not inv.draft),
        key=lambda inv: (inv.created_on, inv.id),
        reverse=True,
    )
    newest = rows[0].created_on if rows else datetime(2000, 1, 1)
    as_of = as_of or newest.date()
    doc = _Document(
        footer_text=f"Statement for {person.full_name}",
        title=f"Statement for {person.full_name}",
        author="Nexudus sandbox",
        created=_utc(datetime.combine(as_of, datetime.min.time())),
    )
    doc.add_page()
    home = locations.get(person.home_location_id)
    if home:
        _issuer_block(doc, home)
    doc.ln(4)
    doc.text_line("Statement of account", size=16, style="B", height=8)
    doc.text_line(f"{person.full_name} <{person.email}>")
    doc.text_line(f"As of {as_of.strftime('%d %b %Y')} - {len(rows)} documents")
    doc.ln(3)
    _statement_summary(doc, rows, locations)
    doc.ln(3)
    if rows:
        _statement_table(doc, rows, locations)
    else:
        doc.text_line("No invoices yet.")
    return bytes(doc.output())


def _statement_summary(
    doc: _Document, rows: list[Invoice], locations: Mapping[int, Location]
) -> None:
    totals: dict[str, tuple[Location, Decimal, Decimal]] = {}
    for inv in rows:
        location = locations[inv.location_id]
        _, invoiced, due = totals.get(location.currency_code, (location, Decimal(0), Decimal(0)))
        totals[location.currency_code] = (
            location,
            invoiced + inv.total_amount,
            due + inv.due_amount,
        )
    for code, (location, invoiced, due) in sorted(totals.items()):
        doc.text_line(
            f"{code}: invoiced {_money(invoiced, location)}, outstanding {_money(due, location)}",
            style="B",
        )


_STATEMENT_COLUMNS = (
    ("Date", 22, "L"),
    ("Number", 34, "L"),
    ("Location", 46, "L"),
    ("Status", 24, "L"),
    ("Total", 27, "R"),
    ("Due", 27, "R"),
)


def _statement_table(
    doc: _Document, rows: list[Invoice], locations: Mapping[int, Location]
) -> None:
    # Plain cells rather than fpdf2's table(): a busy member has thousands of rows, and the
    # table layout engine is ~10x slower for rows that never wrap anyway.
    _statement_headings(doc)
    doc.set_font(_FONT, size=8)
    for inv in rows:
        if doc.will_page_break(5):
            doc.add_page()
            _statement_headings(doc)
            doc.set_font(_FONT, size=8)
        location = locations[inv.location_id]
        values = (
            _day(inv.created_on),
            latin1(inv.number),
            latin1(location.name),
            status_label(inv),
            _money(inv.total_amount, location),
            _money(inv.due_amount, location),
        )
        for (_, width, align), value in zip(_STATEMENT_COLUMNS, values, strict=True):
            doc.cell(width, 5, value, border="B", align=align)
        doc.ln(5)


def _statement_headings(doc: _Document) -> None:
    doc.set_font(_FONT, style="B", size=8)
    doc.set_fill_color(235, 235, 235)
    for heading, width, align in _STATEMENT_COLUMNS:
        doc.cell(width, 6, heading, border="B", align=align, fill=True)
    doc.ln(6)
