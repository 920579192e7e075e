"""A period's invoices for an accountant: one CSV, or every PDF in a zip beside that CSV.

The period is a year (location time) or the whole history, read from `invoices.history`:
invoices and credit notes, paid or not, oldest first; drafts are left out (not issued yet).

The CSV is RFC 4180 (CRLF, quotes doubled), UTF-8 with a byte-order mark so spreadsheet
programs read "€" and "ç" right; dates are ISO 8601 calendar dates as the location wrote them,
amounts plain decimals (`web.formatting.format_amount_plain`, credit notes negative, as on
every screen). A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`,
`-`, `@`, a tab, CR or LF) gets a leading apostrophe (OWASP, CSV injection); the amounts and
dates are ours, so a negative amount stays a number.

The zip is written while it is sent: the CSV first (so the download shows at once), then each
PDF as it arrives from Nexudus, stored (PDFs are already compressed); at most ZIP_MAX_PDFS. A
PDF that cannot be had is listed in MISSING.txt instead; after GIVE_UP_AFTER failures in a row
the rest are listed without being asked for.
"""

from __future__ import annotations

import csv
import io
import logging
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from invoices import status
from invoices.history import History, read_history
from nexudus import NexudusError, NotFound, Unauthorized
from nexudus.records import Invoice
from web.formatting import format_amount_plain

logger = logging.getLogger("invoices")

ZIP_MAX_PDFS = 500
GIVE_UP_AFTER = 5
BOM = "\ufeff"
# Cells a spreadsheet could read as a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NAME_MAX = 100
# Names Windows keeps for devices, with or without an extension ("CON.pdf" too).
RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{n}" for device in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)
UNSAFE_IN_NAMES = frozenset('<>:"/\\|?*')
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def period_documents(nexudus: Any, year: int | None) -> list[Invoice]:
    """The year's (or every year's) invoices and credit notes, oldest first, no drafts.

    Raises NexudusError, or history.TooLong when the period is longer than one read allows.
    """

    def read(history: History) -> list[Invoice]:
        return history.year(year) if year is not None else history.everything()

    newest_first: list[Invoice] = read_history(nexudus, read)
    return [invoice for invoice in reversed(newest_first) if not invoice.draft]


def file_stem(year: int | None) -> str:
    return f"invoices-{year}" if year is not None else "invoices-all-years"


# -- CSV ----------------------------------------------------------------------------------------


def neutralised(text: str) -> str:
    """A text cell no spreadsheet will run: formula starters get a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def columns(*, with_files: bool = False) -> list[str]:
    """The header row, in the reader's language like the status words in the rows below it (a
    member who reads French hands a French file on); the file names stay ASCII."""
    names = [
        pgettext("an invoice's number, a CSV column", "Number"),
        _("Issued"),
        _("Due"),
        # Not the screen's column word: in German that is "Bezahlt", the status's word too.
        pgettext("the day an invoice was paid, a CSV column", "Paid on"),
        _("Status"),
        _("Currency"),
        _("Total"),
        _("Amount due"),
        pgettext("the location that issued an invoice, a CSV column", "Location"),
    ]
    return [*names, _("PDF file")] if with_files else names


@dataclass(frozen=True, slots=True)
class Words:
    """Status words, looked up once per export, not once per row."""

    paid: str
    unpaid: str
    overdue: str
    partly_paid: str
    credit_note: str

    @classmethod
    def now(cls) -> Words:
        return cls(_("Paid"), _("Unpaid"), _("Overdue"), _("Partially paid"), _("Credit note"))

    def of(self, invoice: Invoice, today: date) -> str:
        if invoice.credit_note:
            return self.credit_note
        if invoice.paid:
            return self.paid
        if status.days_overdue(invoice, today):
            return self.overdue
        if status.is_partially_paid(invoice):
            return self.partly_paid
        return self.unpaid


def csv_row(invoice: Invoice, today: date, words: Words) -> list[str]:
    code = invoice.currency_code or ""
    total = invoice.total_amount
    due = status.amount_due(invoice)
    if invoice.credit_note:
        # Money back reads as negative, whatever sign Nexudus sent (as rows.RowBuilder does).
        total = -abs(total) if total is not None else None
        due = -status.credit_of(invoice)
    if invoice.paid:
        due = Decimal(0)
    return [
        neutralised(invoice.number or str(invoice.id)),
        _day(invoice.created_on),
        _day(invoice.due_date),
        _day(invoice.paid_on) if invoice.paid else "",
        words.of(invoice, today),
        neutralised(code),
        format_amount_plain(total, code) if total is not None else "",
        format_amount_plain(due, code) if due is not None else "",
        neutralised(invoice.business_name or ""),
    ]


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def csv_text(invoices: Iterable[Invoice], today: date, files: Sequence[str] | None = None) -> str:
    """The CSV, header first. `files`: each row's PDF name in a zip (the zip's own copy)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns(with_files=files is not None))
    words = Words.now()
    for n, invoice in enumerate(invoices):
        row = csv_row(invoice, today, words)
        writer.writerow(row if files is None else [*row, files[n]])
    return BOM + out.getvalue()


# -- names in the zip ------------------------------------------------------------------------


def pdf_names(invoices: Iterable[Invoice]) -> list[str]:
    """`<number>.pdf` for each, safe on every system and unique whatever the case."""
    used: set[str] = set()
    names = []
    for invoice in invoices:
        stem = safe_stem(invoice.number or "") or f"invoice-{invoice.id}"
        name, n = f"{stem}.pdf", 2
        while name.casefold() in used:
            name, n = f"{stem} ({n}).pdf", n + 1
        used.add(name.casefold())
        names.append(name)
    return names


def safe_stem(text: str) -> str:
    """A file name without path parts, device names, control characters or trailing dots."""
    text = unicodedata.normalize("NFC", text)
    cleaned = "".join(
        "_" if c in UNSAFE_IN_NAMES or not c.isprintable() or unicodedata.category(c) == "Cf" else c
        for c in text
    )
    # Leading dots hide a file (or climb: "..") and Windows drops trailing dots and spaces.
    cleaned = cleaned.strip(" .")[:NAME_MAX].rstrip(" .")
    if cleaned.split(".", 1)[0].rstrip(" ").upper() in RESERVED_NAMES:
        cleaned = f"_{cleaned}"
    return cleaned


# -- the zip, as it is sent --------------------------------------------------------------------


class _Sink:
    """What the zip writes, handed on in pieces: never the whole archive in memory."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _entry(name: str, when: datetime | None, *, compress: bool) -> zipfile.ZipInfo:
    stamp = when.timetuple()[:6] if when is not None and when.year >= 1980 else ZIP_EPOCH
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


@dataclass(frozen=True, slots=True)
class MissingWords:
    """What MISSING.txt says, translated before the stream starts (the request's language)."""

    refused: str
    no_answer: str
    skipped: str
    intro: tuple[str, ...]

    @classmethod
    def now(cls, csv_name: str) -> MissingWords:
        return cls(
            refused=_("Nexudus would not give this PDF."),
            no_answer=_("Nexudus did not answer in time."),
            skipped=_("Not asked for: Nexudus had failed several times in a row."),
            intro=(
                _("These PDFs are not in this zip; their rows are in %(csv)s.") % {"csv": csv_name},
                _("Download the zip again later, or each PDF from My invoices."),
            ),
        )

    def reason(self, error: NexudusError) -> str:
        return self.refused if isinstance(error, NotFound | Unauthorized) else self.no_answer

    def text(self, missing: Sequence[tuple[str, str]]) -> str:
        lines = [*self.intro, "", *(f"{name}\t{reason}" for name, reason in missing)]
        return "\r\n".join(lines) + "\r\n"


def zip_stream(
    nexudus: Any,
    invoices: Sequence[Invoice],
    today: date,
    stem: str,
    member_hosts: Sequence[str] = (),
) -> Iterator[bytes]:
    """The zip, piece by piece: the CSV, each PDF as it arrives, then MISSING.txt if any.

    Everything worded is made now, in the request's language; the pieces follow as they are
    read from the returned iterator.
    """
    names = pdf_names(invoices)
    table = csv_text(invoices, today, files=names).encode()
    words = MissingWords.now(f"{stem}.csv")
    return _pieces(nexudus, invoices, names, table, words, stem, member_hosts)


def _pieces(
    nexudus: Any,
    invoices: Sequence[Invoice],
    names: Sequence[str],
    table: bytes,
    words: MissingWords,
    stem: str,
    member_hosts: Sequence[str],
) -> Iterator[bytes]:
    started = time.monotonic()
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", allowZip64=True)
    now = datetime.now()
    archive.writestr(_entry(f"{stem}.csv", now, compress=True), table)
    yield sink.take()
    missing: list[tuple[str, str]] = []
    failures = done = 0
    downloads = nexudus.invoice_pdfs(invoices, member_hosts)
    try:
        for (invoice, result), name in zip(downloads, names, strict=False):
            done += 1
            if isinstance(result, bytes):
                archive.writestr(_entry(name, invoice.created_on, compress=False), result)
                failures = 0
            else:
                missing.append((name, words.reason(result)))
                failures += 1
            yield sink.take()
            if failures >= GIVE_UP_AFTER:
                break
    finally:
        downloads.close()
    missing += [(name, words.skipped) for name in names[done:]]
    if missing:
        archive.writestr(_entry("MISSING.txt", now, compress=True), words.text(missing).encode())
    archive.close()
    yield sink.take()
    logger.info(
        "zip export: %d PDFs, %d missing, %.1f s",
        len(invoices) - len(missing),
        len(missing),
        time.monotonic() - started,
    )
